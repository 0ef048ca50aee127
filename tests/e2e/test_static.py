"""Static files from [server] www_dir: types, ETag and 304, Cache-Control, gzip
siblings, HEAD, no way out of the folder, 404/405, limits, SIGHUP reload, and
the API left as it was."""
import gzip
import hashlib
import os
import signal
import time

import pytest

import zikao_harness as h

SECRET = b"TOP-SECRET-OUTSIDE-WWW\n"
INDEX = "<!doctype html><title>首页</title><p>考生服务</p>\n".encode()
APP_JS = b"export const answer = 42;\n" * 40  # long enough for gzip to be worth it
APP_JS_HASH = hashlib.sha256(APP_JS).hexdigest()

# name -> (bytes, Content-Type the server must send)
TYPED = {
    "index.html": (INDEX, "text/html; charset=utf-8"),
    "app.css": (b"body { color: #123; }\n", "text/css; charset=utf-8"),
    "app.js": (APP_JS, "text/javascript; charset=utf-8"),
    "mod.mjs": (b"export default 1;\n", "text/javascript; charset=utf-8"),
    "data.json": (b'{"a": 1}\n', "application/json; charset=utf-8"),
    "icon.svg": (b'<svg xmlns="http://www.w3.org/2000/svg"/>\n', "image/svg+xml; charset=utf-8"),
    "logo.png": (b"\x89PNG\r\n\x1a\n fake", "image/png"),
    "photo.jpg": (b"\xff\xd8\xff fake", "image/jpeg"),
    "photo.jpeg": (b"\xff\xd8\xff fake2", "image/jpeg"),
    "pic.webp": (b"RIFF fake WEBP", "image/webp"),
    "favicon.ico": (b"\x00\x00\x01\x00 fake", "image/x-icon"),
    "font.woff2": (b"wOF2 fake", "font/woff2"),
    "robots.txt": ("User-agent: *\n中文\n".encode(), "text/plain; charset=utf-8"),
    "guide.pdf": (b"%PDF-1.4 fake", "application/pdf"),
    "site.webmanifest": (b'{"name": "zikao"}\n', "application/manifest+json; charset=utf-8"),
    "notes.unknownext": (b"raw", "application/octet-stream"),
}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_www(root):
    """A www folder with one file of each type, a gzip sibling, a versioned
    name, a folder with an index, and a secret beside the folder."""
    www = os.path.join(root, "www")
    for name, (data, _) in TYPED.items():
        write(os.path.join(www, name), data)
    write(os.path.join(www, "app.js.gz"), gzip.compress(APP_JS))
    write(os.path.join(www, f"app.{APP_JS_HASH[:8]}.js"), APP_JS)
    write(os.path.join(www, "guide", "index.html"), b"<!doctype html><p>guide</p>\n")
    write(os.path.join(root, "secret.txt"), SECRET)
    return www


@pytest.fixture
def www(tmpdir_path):
    return make_www(tmpdir_path)


@pytest.fixture
def static_server(make_server, www):
    return make_server(env={"ZIKAO_SERVER_WWW_DIR": www})


def raw_get(server, target, extra=b""):
    data = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + b"\r\n"
    rs = h.split_responses(server.raw(data))
    assert len(rs) == 1, rs
    return rs[0]


def test_files_are_served_with_their_type_utf8_on_text_and_nosniff(static_server):
    for name, (data, ctype) in TYPED.items():
        r = static_server.get("/" + name)
        assert (r.status, r.header("Content-Type"), r.body) == (200, ctype, data), name
        assert r.header("X-Content-Type-Options") == "nosniff", name


def test_html_answers_carry_the_document_security_headers(static_server):
    r = static_server.get("/index.html")
    assert r.header("Content-Security-Policy") == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    assert r.header("Referrer-Policy") == "no-referrer"
    assert r.header("X-Frame-Options") == "DENY"
    css = static_server.get("/app.css")
    assert css.header("Content-Security-Policy") is None


def test_root_and_folders_serve_their_index_and_a_bare_folder_name_redirects(static_server):
    assert static_server.get("/").body == INDEX
    assert static_server.get("/guide/").body == b"<!doctype html><p>guide</p>\n"
    r = static_server.get("/guide?x=1")
    assert r.status == 301 and r.header("Location") == "/guide/?x=1"


def test_etag_revalidation_answers_304_with_no_body(static_server):
    first = static_server.get("/app.css")
    etag = first.header("ETag")
    assert etag == '"%s"' % hashlib.sha256(TYPED["app.css"][0]).hexdigest()[:16]
    r = static_server.get("/app.css", headers={"If-None-Match": etag})
    assert r.status == 304 and r.body == b""
    assert r.header("ETag") == etag and r.header("Cache-Control") == "no-cache"
    r = static_server.get("/app.css", headers={"If-None-Match": 'W/"other", W/' + etag})
    assert r.status == 304
    r = static_server.get("/app.css", headers={"If-None-Match": '"0000000000000000"'})
    assert r.status == 200 and r.body == TYPED["app.css"][0]


def test_cache_control_revalidates_unless_the_name_carries_the_content_hash(static_server, www):
    assert static_server.get("/app.js").header("Cache-Control") == "no-cache"
    r = static_server.get(f"/app.{APP_JS_HASH[:8]}.js")
    assert r.status == 200 and r.body == APP_JS
    assert r.header("Cache-Control") == "public, max-age=31536000, immutable"


def test_a_name_with_a_hash_that_is_not_its_content_is_not_cached_for_a_year(make_server, www):
    write(os.path.join(www, "app.deadbeef.js"), b"changed after naming\n")
    server = make_server(env={"ZIKAO_SERVER_WWW_DIR": www})
    assert server.get("/app.deadbeef.js").header("Cache-Control") == "no-cache"
    assert "app.deadbeef.js: the name looks versioned" in server.log()


def test_gzip_sibling_is_served_only_when_accepted(static_server):
    zipped = static_server.get("/app.js", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert zipped.header("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == APP_JS
    assert zipped.header("Vary") == "Accept-Encoding"
    plain = [raw_get(static_server, b"/app.js")]  # no Accept-Encoding at all
    plain += [static_server.get("/app.js", headers={"Accept-Encoding": ae})
              for ae in ("gzip;q=0", "identity", "br, deflate")]
    for r in plain:
        assert r.header("Content-Encoding") is None and r.body == APP_JS
        assert r.header("Vary") == "Accept-Encoding"
    plain_etag = plain[0].header("ETag")
    assert zipped.header("ETag") != plain_etag
    # Each representation revalidates against its own ETag.
    r = static_server.get("/app.js", headers={"Accept-Encoding": "gzip",
                                              "If-None-Match": zipped.header("ETag")})
    assert r.status == 304
    r = static_server.get("/app.js", headers={"If-None-Match": zipped.header("ETag")})
    assert r.status == 200 and r.body == APP_JS
    # A file without a sibling has no Vary.
    assert static_server.get("/app.css", headers={"Accept-Encoding": "gzip"}).header("Vary") is None


def test_a_stale_gzip_sibling_is_never_served(make_server, www):
    write(os.path.join(www, "app.css.gz"), gzip.compress(b"body { color: old; }\n"))
    server = make_server(env={"ZIKAO_SERVER_WWW_DIR": www})
    r = server.get("/app.css", headers={"Accept-Encoding": "gzip"})
    assert r.header("Content-Encoding") is None and r.body == TYPED["app.css"][0]
    assert "app.css.gz does not inflate to app.css" in server.log()


def test_head_has_the_get_headers_and_length_but_no_body(static_server):
    get = static_server.get("/app.js", headers={"Accept-Encoding": "gzip"})
    raw = static_server.raw(b"HEAD /app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
                            b"Connection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and body == b""
    assert b"Content-Length: %d\r\n" % len(get.body) in head + b"\r\n"
    assert b"ETag: " + get.header("ETag").encode() in head
    assert b"Content-Encoding: gzip" in head


TRAVERSALS = [
    b"/../secret.txt", b"/%2e%2e/secret.txt", b"/%2E%2E/secret.txt", b"/..%2fsecret.txt",
    b"/%2e%2e%2fsecret.txt", b"/guide/../../secret.txt", b"/%2e%2e%2fetc/passwd",
    b"/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", b"//secret.txt", b"/..%5csecret.txt",
    b"/leak.txt", b"/index.html%00", b"/index.html%00.txt", b"http://x/../secret.txt",
]


def test_traversal_attempts_never_serve_bytes_from_outside(make_server, www, tmpdir_path):
    os.symlink(os.path.join(tmpdir_path, "secret.txt"), os.path.join(www, "leak.txt"))
    server = make_server(env={"ZIKAO_SERVER_WWW_DIR": www})
    answers = {t: raw_get(server, t) for t in TRAVERSALS}
    leaked = {t: r for t, r in answers.items()
              if r.status not in (400, 404) or b"TOP-SECRET" in r.body or b"root:" in r.body}
    assert not leaked


def test_a_symlink_out_of_the_folder_is_skipped_with_a_warning_and_one_inside_is_served(
        make_server, www, tmpdir_path):
    os.symlink(os.path.join(tmpdir_path, "secret.txt"), os.path.join(www, "leak.txt"))
    os.symlink("index.html", os.path.join(www, "home.html"))
    server = make_server(env={"ZIKAO_SERVER_WWW_DIR": www})
    assert server.get("/leak.txt").status == 404
    assert "leak.txt: symbolic link to" in server.log() and "outside" in server.log()
    assert server.get("/home.html").body == INDEX


def test_hidden_files_are_not_served_but_well_known_is(make_server, www):
    write(os.path.join(www, ".env"), b"SECRET=1\n")
    write(os.path.join(www, ".git", "config"), b"[core]\n")
    write(os.path.join(www, ".well-known", "security.txt"), b"Contact: mailto:x@example.cn\n")
    server = make_server(env={"ZIKAO_SERVER_WWW_DIR": www})
    assert server.get("/.env").status == 404
    assert server.get("/.git/config").status == 404
    r = server.get("/.well-known/security.txt")
    assert r.status == 200 and r.body == b"Contact: mailto:x@example.cn\n"


def test_malformed_percent_encoding_is_400(static_server):
    r = raw_get(static_server, b"/app%zz.css")
    assert r.status == 400 and r.json()["error"]["code"] == "BAD_PATH"


def test_other_methods_on_a_file_are_405_with_allow(static_server):
    r = static_server.request("POST", "/index.html", body=b"x")
    assert r.status == 405 and r.header("Allow") == "GET, HEAD"
    assert r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    r = static_server.request("OPTIONS", "/app.css")
    assert r.status == 204 and r.header("Allow") == "GET, HEAD"


def test_unknown_path_is_404_with_the_folders_404_page(make_server, www):
    page = "<!doctype html><title>页面不存在</title>\n".encode()
    write(os.path.join(www, "404.html"), page)
    server = make_server(env={"ZIKAO_SERVER_WWW_DIR": www})
    r = server.get("/no/such/page")
    assert r.status == 404 and r.body == page
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("X-Frame-Options") == "DENY" and r.header("ETag") is None
    # The API's own paths keep their JSON answers.
    r = server.get("/api/v1/nothing-here")
    assert r.status == 404 and r.json()["error"]["code"] == "NOT_FOUND"


def test_unknown_path_without_404_page_is_the_json_error(static_server):
    r = static_server.get("/no/such/page")
    assert r.status == 404 and r.json()["error"]["code"] == "NOT_FOUND"


def test_api_health_and_metrics_routes_still_answer_json(static_server):
    assert static_server.get("/healthz").json() == {"status": "alive"}
    assert static_server.get("/readyz").json()["status"] == "ready"
    r = static_server.get("/api/v1/regions/140105")
    assert r.status == 200 and r.json()["name"] == "小店区"
    r = static_server.request("DELETE", "/healthz")
    assert r.status == 405 and r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert static_server.get("/api/v1/openapi.yaml").status == 200
    assert static_server.get("/metrics").header("Content-Type").startswith("text/plain")


def test_static_requests_are_counted_under_one_route_label(static_server):
    static_server.get("/index.html")
    etag = static_server.get("/app.css").header("ETag")
    static_server.get("/app.css", headers={"If-None-Match": etag})
    static_server.get("/no/such/file")
    m = static_server.get("/metrics").body.decode()
    counted = [line for line in m.splitlines() if "zikao_http_requests_total{" in line]
    assert 'zikao_http_requests_total{method="GET",route="static",status="200"} 2' in m, counted
    assert 'zikao_http_requests_total{method="GET",route="static",status="304"} 1' in m
    assert 'route="unmatched",status="404"} 1' in m
    assert "/index.html" not in m and "/app.css" not in m


def test_limits_exceeded_at_start_stop_the_server_naming_the_limit(make_server, www):
    files = make_server(env={"ZIKAO_SERVER_WWW_DIR": www, "ZIKAO_SERVER_WWW_MAX_FILES": "5"},
                        start=False)
    files.start(wait_ready=False)
    assert files.proc.wait(20) == 78
    assert "www_max_files" in files.log() and www in files.log()
    size = make_server(env={"ZIKAO_SERVER_WWW_DIR": www, "ZIKAO_SERVER_WWW_MAX_BYTES": "1k"},
                       start=False)
    size.start(wait_ready=False)
    assert size.proc.wait(20) == 78
    assert "more than 1024 bytes" in size.log() and "www_max_bytes" in size.log()


def test_a_www_dir_that_cannot_be_read_is_a_configuration_error(make_server, tmpdir_path):
    missing = os.path.join(tmpdir_path, "no-such-www")
    server = make_server(env={"ZIKAO_SERVER_WWW_DIR": missing}, start=False)
    server.start(wait_ready=False)
    assert server.proc.wait(20) == 78
    assert f"[server] www_dir: {missing}: No such file or directory" in server.log()


def test_an_empty_www_dir_serves_nothing(make_server):
    server = make_server(env={"ZIKAO_SERVER_WWW_DIR": ""})
    r = server.get("/")
    assert r.status == 404 and r.json()["error"]["code"] == "NOT_FOUND"


def test_auto_serves_the_checkouts_pages(server):
    checkout = os.path.join(h.SOURCE, "server", "www")
    r = server.get("/")
    assert r.status == 200 and r.header("Content-Type") == "text/html; charset=utf-8"
    with open(os.path.join(checkout, "index.html"), "rb") as f:
        assert r.body == f.read()
    r = server.get("/no/such/page.html")
    with open(os.path.join(checkout, "404.html"), "rb") as f:
        assert r.status == 404 and r.body == f.read()


def test_a_browser_asking_for_the_sites_icon_gets_one(server):
    # Every first visit asks for /favicon.ico by itself: an icon, not the 404 page.
    r = server.get("/favicon.ico")
    assert r.status == 200 and r.header("Content-Type") == "image/x-icon"
    assert r.body[:4] == b"\x00\x00\x01\x00"          # an ICO file's header


def test_sighup_reload_serves_a_changed_file_with_a_new_etag(static_server, www):
    old = static_server.get("/index.html")
    write(os.path.join(www, "index.html"), b"<!doctype html><p>new</p>\n")
    write(os.path.join(www, "added.txt"), b"added\n")
    static_server.send_signal(signal.SIGHUP)
    h.wait_until(lambda: static_server.get("/added.txt").status == 200, what="reloaded files")
    new = static_server.get("/index.html")
    assert new.body == b"<!doctype html><p>new</p>\n"
    assert new.header("ETag") != old.header("ETag")
    assert static_server.get("/index.html",
                             headers={"If-None-Match": old.header("ETag")}).status == 200


def test_a_broken_reload_keeps_serving_the_files_loaded_before(make_server, www):
    server = make_server(env={"ZIKAO_SERVER_WWW_DIR": www, "ZIKAO_SERVER_WWW_MAX_BYTES": "64k"})
    before = server.get("/index.html")
    write(os.path.join(www, "index.html"), b"<!doctype html><p>new</p>\n")
    write(os.path.join(www, "huge.bin"), b"\0" * (65 * 1024))
    server.send_signal(signal.SIGHUP)
    h.wait_until(lambda: "www: reload failed" in server.log(), what="refused www reload")
    assert "www_max_bytes" in server.log()
    r = server.get("/index.html")
    assert r.body == INDEX and r.header("ETag") == before.header("ETag")
    assert server.get("/huge.bin").status == 404


def test_an_answer_being_written_during_a_reload_completes_with_the_old_bytes(static_server,
                                                                              www):
    big = os.urandom(1024) * (16 * 1024)  # 16 MiB: more than the socket buffers hold
    write(os.path.join(www, "big.bin"), big)
    static_server.send_signal(signal.SIGHUP)
    h.wait_until(lambda: static_server.get("/big.bin").status == 200, what="big.bin loaded")
    with static_server.connect(timeout=20) as s:
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        time.sleep(0.3)  # the server has written what the socket takes; the rest waits
        write(os.path.join(www, "big.bin"), b"replaced\n")
        loads = static_server.log().count("www: serving")
        static_server.send_signal(signal.SIGHUP)
        h.wait_until(lambda: static_server.log().count("www: serving") > loads, what="reload")
        [r] = h.split_responses(h.read_all(s, timeout=20))
    assert r.status == 200 and r.body == big
    assert static_server.get("/big.bin").body == b"replaced\n"
