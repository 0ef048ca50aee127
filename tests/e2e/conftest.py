"""pytest fixtures: a fresh database, a private Redis and a running server per
test; workers; identity photos built from the kit; a headless chromium on the
test's server for the web pages' tests (zikao_browser.py)."""
import os
import re
import subprocess
import tempfile

import pytest

import zikao_harness as h


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def stop_all(request, procs, name):
    """Stops every process a test started. Each must stop cleanly: exit 0 on
    SIGTERM and no report from AddressSanitizer / LeakSanitizer / UBSan in
    its log. A failed test prints their logs instead."""
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    problems = []
    for p in procs:
        running = p.proc is not None and p.proc.poll() is None
        rc = p.stop()
        log = p.log()
        if failed:
            print(f"\n--- {name(p)} log ({p.log_path}) ---\n{log[-6000:]}")
        if running and rc != 0:
            problems.append(f"{name(p)} exited with {rc} on SIGTERM")
        if any(m in log for m in h.SANITIZER_MARKERS):
            problems.append(f"sanitizer report in the {name(p)} log:\n{log[-4000:]}")
    if problems and not failed:
        pytest.fail("; ".join(problems))


@pytest.fixture
def tmpdir_path():
    d = tempfile.mkdtemp(prefix="zikao-e2e-")
    yield d


@pytest.fixture
def pg():
    return h.shared_postgres()


@pytest.fixture
def database(pg):
    name = pg.create_database()
    yield name
    pg.drop_database(name)


@pytest.fixture
def db(pg, database):
    """A connection (autocommit, superuser) to the test's database."""
    c = pg.connect(database)
    yield c
    c.close()


@pytest.fixture
def redis_server(tmpdir_path):
    r = h.Redis(tmpdir_path).start()
    yield r
    r.stop()


@pytest.fixture
def make_server(request, pg, database, redis_server, tmpdir_path):
    """Factory: make_server(env={...}, config_text=..., workers=1, start=True)."""
    servers = []

    def factory(env=None, config_text=None, workers=1, start=True, wait_ready=True):
        s = h.Server(tmpdir_path, pg.conninfo(database), redis_server.port, env=env,
                     config_text=config_text, workers=workers)
        servers.append(s)
        if start:
            s.start(wait_ready=wait_ready)
        return s

    yield factory
    stop_all(request, servers, lambda s: "zikao-server")


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def make_worker(request, pg, database, redis_server, tmpdir_path):
    """Factory: make_worker(queue="noop", concurrency=2, env={...}) -> a running
    zikao-worker on the test's database and Redis. Each must stop cleanly:
    exit 0 on SIGTERM and no sanitizer report in its log."""
    workers = []

    def factory(queue="noop", concurrency=2, env=None):
        w = h.Worker(tmpdir_path, pg.conninfo(database), redis_server.port, queue=queue,
                     concurrency=concurrency, env=env)
        workers.append(w)
        return w.start()

    yield factory
    stop_all(request, workers, lambda w: f"zikao-worker --queue {w.queue}")


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """name -> bytes of the identity photos workers/face/tests/identity_fixtures.c
    builds from the kit's faces (h.KIT) with the face models (h.MODELS); get.dir
    is their folder. Skips, saying why, without the kit, the models or the tool."""
    fixtures = os.path.join(h.BUILD, "workers", "face", "identity_fixtures")
    if not os.path.isdir(os.path.join(h.KIT, "testdata", "faces", "identities")):
        pytest.skip(f"SKIP: kit not found at {h.KIT} (set ZIKAO_KIT_DIR)")
    if not os.path.isdir(h.MODELS):
        pytest.skip(f"SKIP: face models not found at {h.MODELS} (run "
                    "workers/face/fetch-models.sh, or set ZIKAO_MODELS_DIR)")
    if not os.path.exists(fixtures):
        pytest.skip(f"SKIP: {fixtures} not built (make identity_fixtures)")
    out = str(tmp_path_factory.mktemp("identity-photos"))
    r = subprocess.run([fixtures, h.MODELS, h.KIT, out], capture_output=True, text=True)
    if r.returncode == 77:
        pytest.skip(r.stdout.strip())
    assert r.returncode == 0, r.stdout + r.stderr
    cache = {}

    def get(name):
        if name not in cache:
            with open(os.path.join(out, name), "rb") as f:
                cache[name] = f.read()
        return cache[name]

    get.dir = out
    return get


@pytest.fixture
def web_server(make_server):
    """A server for page tests: the captcha answer is zikao_browser.CAPTCHA (the
    picture still shows), password hashing is fast (zikao_browser.WEB_ENV)."""
    import zikao_browser
    return make_server(env=zikao_browser.WEB_ENV)


@pytest.fixture
def make_web(request, tmpdir_path, make_server):
    """Factory: make_web(server) -> a zikao_browser.Web, a headless chromium with a
    fresh profile pointed at that server. Each is closed after the test (before
    the servers stop); its last page is checked (axe-core, screenshots) unless
    the test failed."""
    import zikao_browser
    webs = []
    module = request.node.module.__name__
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)

    def factory(server):
        name = test if not webs else f"{test}-{len(webs) + 1}"
        w = zikao_browser.Web(server, tmpdir_path, os.path.join(module, name))
        webs.append(w)
        return w

    yield factory
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    errors = []
    for w in webs:
        try:
            w.finish(failed)
        except AssertionError as e:
            errors.append(str(e))
        finally:
            w.quit()
    if errors and not failed:
        pytest.fail("\n".join(errors))


@pytest.fixture
def web(make_web, web_server):
    """A headless chromium on web_server (see make_web)."""
    return make_web(web_server)
