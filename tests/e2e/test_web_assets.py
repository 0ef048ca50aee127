"""The pages' own files agree with each other: a <link rel="modulepreload"> (a
page's imports fetched beside its module rather than after it) names a module
that page really loads, so no preload fetches bytes nobody uses."""
import os
import re

import zikao_harness as h

WWW = os.path.join(h.SOURCE, "server", "www")


def imports(path, seen):
    """Every module `path` (a /js/... path) loads, itself included."""
    if path in seen:
        return seen
    seen.add(path)
    with open(os.path.join(WWW, path.lstrip("/")), encoding="utf-8") as f:
        text = f.read()
    for rel in re.findall(r"^import .* from '([^']+)';", text, re.M):
        imports(os.path.normpath(os.path.join(os.path.dirname(path), rel)), seen)
    return seen


def test_every_modulepreload_names_a_module_the_page_loads():
    checked = 0
    for dirpath, _, files in os.walk(WWW):
        for name in files:
            if not name.endswith(".html"):
                continue
            with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                html = f.read()
            loaded = set()
            for src in re.findall(r'<script type="module" src="([^"]+)">', html):
                imports(src, loaded)
            for href in re.findall(r'<link rel="modulepreload" href="([^"]+)">', html):
                assert href in loaded, f"{name}: modulepreload {href} is not loaded by the page"
                checked += 1
    assert checked >= 17  # index (3), login (4), me/identity (5), offices (5)
