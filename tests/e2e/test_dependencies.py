"""Readiness follows the dependencies: PostgreSQL stopped and restarted, Redis down."""
import shutil
import time

import zikao_harness as h


def test_readyz_turns_503_when_postgres_stops_and_200_after_restart(redis_server, tmpdir_path):
    pg = h.start_private_services(tmpdir_path + "/pg")
    try:
        s = h.Server(tmpdir_path, pg.conninfo("zikao"), redis_server.port).start()
        try:
            assert s.get("/readyz").status == 200
            assert s.get("/api/v1/regions/140105").status == 200
            pg.stop()
            h.wait_until(lambda: s.get("/readyz").status == 503, what="readyz 503")
            r = s.get("/readyz")
            assert r.json()["error"]["code"] == "NOT_READY"
            assert r.json()["checks"]["postgres"] != "up"
            assert r.header("Retry-After") == "1"
            r = s.get("/api/v1/regions/140105")
            assert r.status == 503 and r.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
            assert s.get("/healthz").status == 200  # alive all along
            pg.start()
            h.wait_until(lambda: s.get("/readyz").status == 200, timeout=15, what="readyz 200")
            assert s.get("/api/v1/regions/140105").status == 200
            assert s.proc.poll() is None  # same process throughout
        finally:
            s.stop()
    finally:
        h.stop_private_services(tmpdir_path + "/pg")


def test_readyz_names_redis_when_it_is_down_and_recovers(server, redis_server):
    assert server.get("/readyz").status == 200
    redis_server.stop()
    h.wait_until(lambda: server.get("/readyz").status == 503, what="readyz 503")
    assert server.get("/readyz").json()["checks"]["redis"] != "up"
    assert "Redis" in server.get("/readyz").json()["error"]["message"]
    redis_server.start()
    h.wait_until(lambda: server.get("/readyz").status == 200, timeout=15, what="readyz 200")


def redis_reconnects(server):
    for line in server.get("/metrics").body.decode().splitlines():
        if line.startswith("zikao_redis_reconnects_total "):
            return int(line.split()[1])
    raise AssertionError("zikao_redis_reconnects_total not in /metrics")


def test_each_redis_restart_counts_one_reconnection(server, redis_server):
    assert redis_reconnects(server) == 0  # the first connection is not a reconnection
    for restarts in (1, 2):
        redis_server.stop()
        h.wait_until(lambda: server.get("/readyz").status == 503, what="readyz 503")
        redis_server.start()
        h.wait_until(lambda: server.get("/readyz").status == 200, timeout=15, what="readyz 200")
        h.wait_until(lambda: redis_reconnects(server) >= restarts, timeout=5,
                     what=f"{restarts} reconnection(s) in /metrics")
    time.sleep(0.5)  # a failed attempt while Redis was down is not a reconnection
    assert redis_reconnects(server) == 2
