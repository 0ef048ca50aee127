"""pytest fixtures: a fresh database, a private Redis and a running server per test."""
import os
import tempfile

import pytest

import zikao_harness as h


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


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
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for s in servers:
        s.stop()
        if failed:
            print(f"\n--- zikao-server log ({s.log_path}) ---\n{s.log()[-6000:]}")


@pytest.fixture
def server(make_server):
    return make_server()
