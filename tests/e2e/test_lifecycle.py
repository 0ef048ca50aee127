"""Process lifecycle: SIGTERM drain, SIGHUP reload, schema check, several processes,
a socket passed by systemd."""
import os
import signal
import socket
import subprocess
import threading
import time

import zikao_harness as h


def test_sigterm_completes_the_request_in_flight_and_exits_0(server):
    result = {}

    def slow():
        result["r"] = server.get("/api/v1/_test/sleep?ms=1200", timeout=10)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.4)
    server.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    # No new connections once draining.
    refused = False
    try:
        server.get("/healthz", timeout=2)
    except OSError:
        refused = True
    t.join(10)
    assert result["r"].status == 200 and result["r"].json() == {"slept": True}
    assert result["r"].header("Connection") == "close"
    assert refused
    assert server.proc.wait(10) == 0
    assert "draining" in server.log()


def test_sigterm_closes_idle_keepalive_connections_at_once(server):
    idle = server.connect()
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    t0 = time.monotonic()
    server.send_signal(signal.SIGTERM)
    assert server.proc.wait(10) == 0
    assert time.monotonic() - t0 < 3
    idle.close()


def test_sighup_reloads_limits_without_restart(make_server, tmpdir_path):
    server = make_server(config_text="[limits]\nheader_bytes = 16k\n")
    big = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " + b"a" * 4000
           + b"\r\n\r\n")
    assert h.split_responses(server.raw(big))[0].status == 200
    server.write_config("[limits]\nheader_bytes = 2k\n")
    pid = server.proc.pid
    server.send_signal(signal.SIGHUP)
    h.wait_until(lambda: "configuration reloaded" in server.log(), what="reload")
    assert h.split_responses(server.raw(big))[0].status == 431
    assert server.proc.pid == pid and server.proc.poll() is None


def test_sighup_with_broken_config_keeps_running_configuration(make_server):
    server = make_server(config_text="[limits]\nheader_bytes = 16k\n")
    server.write_config("[limits]\nheader_bytes = lots\n")
    server.send_signal(signal.SIGHUP)
    h.wait_until(lambda: "reload refused" in server.log(), what="refused reload")
    assert server.get("/healthz").status == 200


def test_server_refuses_to_start_on_an_old_schema(pg, redis_server, tmpdir_path):
    db = pg.create_database(template="template0")  # empty: no migrations applied
    try:
        s = h.Server(tmpdir_path, pg.conninfo(db), redis_server.port)
        s.start(wait_ready=False)
        rc = s.proc.wait(20)
        assert rc == 78
        assert "zikaoctl migrate" in s.log()
    finally:
        pg.drop_database(db)


def test_invalid_configuration_is_refused_at_start(pg, database, redis_server, tmpdir_path):
    s = h.Server(tmpdir_path, pg.conninfo(database), redis_server.port,
                 config_text="[server]\nlisten = 127.0.0.1:1\n[limits]\nheder_bytes = 1\n")
    s.start(wait_ready=False)
    assert s.proc.wait(10) == 78
    assert "unknown setting [limits] heder_bytes" in s.log()


def test_several_processes_share_the_port_and_are_restarted(make_server):
    server = make_server(workers=2)
    pids = set()
    for _ in range(40):
        r = server.get("/healthz")
        assert r.status == 200
    # Both children serve; metrics from any of them count all requests.
    children = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True,
                              text=True).stdout.split()
    assert len(children) == 2
    os.kill(int(children[0]), signal.SIGKILL)
    h.wait_until(lambda: len(subprocess.run(["pgrep", "-P", str(server.proc.pid)],
                                            capture_output=True, text=True).stdout.split()) == 2
                 and children[0] not in subprocess.run(["pgrep", "-P", str(server.proc.pid)],
                                                       capture_output=True, text=True).stdout,
                 timeout=10, what="restart of the killed process")
    for _ in range(20):
        assert server.get("/healthz").status == 200
    m = server.get("/metrics").body.decode()
    assert "zikao_server_processes 2" in m
    assert server.stop() == 0


def test_socket_passed_by_systemd_is_used(pg, database, redis_server, tmpdir_path):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    fd = lsock.fileno()
    s = h.Server(tmpdir_path, pg.conninfo(database), redis_server.port)
    s.env["ZIKAO_SERVER_LISTEN"] = "127.0.0.1:1"  # ignored when a socket is passed
    s.port = lsock.getsockname()[1]
    # As systemd does: the socket is fd 3 and LISTEN_PID names the server itself.
    wrapper = ["/bin/bash", "-c", f'exec 3<&{fd}; LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" "$@"']
    s.start(pass_fds=(fd,), argv_prefix=wrapper)
    try:
        assert s.get("/healthz").status == 200
        assert s.get("/readyz").status == 200
    finally:
        assert s.stop() == 0
        lsock.close()
