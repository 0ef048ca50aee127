"""HTTP limits against the real server: 400, 431, 413, 408 and the connection cap."""
import socket
import threading
import time

import zikao_harness as h


def status_of(raw):
    assert raw.startswith(b"HTTP/1.1 "), raw[:100]
    return int(raw.split(b" ", 2)[1])


def test_malformed_request_line_is_400_with_error_envelope(server):
    raw = server.raw(b"GARBAGE\r\n\r\n")
    [r] = h.split_responses(raw)
    assert r.status == 400
    assert r.json()["error"]["code"] == "BAD_REQUEST"
    assert r.header("X-Request-Id")
    assert r.header("Connection") == "close"


def test_20kb_of_headers_is_431(server):
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20480 + b"\r\n\r\n"
    [r] = h.split_responses(server.raw(req))
    assert r.status == 431
    assert r.json()["error"]["code"] == "HEADERS_TOO_LARGE"


def test_declared_body_over_route_limit_is_413_before_the_body_is_sent(server):
    # /api/v1/_test/echo allows 1 KiB. Send only the head; the answer must come
    # without the client sending a single body byte.
    with server.connect() as s:
        s.sendall(b"POST /api/v1/_test/echo HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 3145728\r\n\r\n")
        raw = h.read_all(s, timeout=5)
    [r] = h.split_responses(raw)
    assert r.status == 413
    assert r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_body_within_limit_is_read(server):
    r = server.request("POST", "/api/v1/_test/echo", body=b"x" * 1000)
    assert r.status == 200 and r.json()["length"] == 1000


def test_413_reaches_a_client_that_keeps_sending(server):
    # Lingering close: the client is mid-body when refused and must still read 413.
    with server.connect() as s:
        s.sendall(b"POST /api/v1/_test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
        try:
            for _ in range(20):
                s.sendall(b"z" * 10000)
        except (BrokenPipeError, ConnectionResetError):
            pass
        raw = h.read_all(s, timeout=5)
    assert status_of(raw) == 413


def test_content_length_with_transfer_encoding_is_400(server):
    raw = server.raw(b"POST /api/v1/_test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    assert status_of(raw) == 400


def test_duplicate_content_length_is_400(server):
    raw = server.raw(b"POST /api/v1/_test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Content-Length: 5\r\n\r\nhello")
    assert status_of(raw) == 400


def test_obsolete_line_folding_is_400(server):
    raw = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n")
    assert status_of(raw) == 400


def test_empty_header_value_is_accepted(server):
    raw = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nConnection: close\r\n\r\n")
    assert status_of(raw) == 200


def test_folding_after_an_empty_value_is_400(server):
    raw = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Folded:\r\n b\r\n\r\n")
    assert status_of(raw) == 400


def test_stalled_header_is_cut_off_while_others_are_served(make_server):
    server = make_server(env={"ZIKAO_LIMITS_HEADER_TIMEOUT_MS": "700"})
    slow = server.connect(timeout=5)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    t0 = time.monotonic()
    served = 0
    while time.monotonic() - t0 < 0.5:
        assert server.get("/healthz").status == 200
        served += 1
    raw = h.read_all(slow, timeout=5)
    elapsed = time.monotonic() - t0
    slow.close()
    assert served > 5
    assert status_of(raw) == 408
    assert elapsed < 4
    assert server.get("/healthz").status == 200


def test_trickling_client_cannot_extend_the_header_deadline(make_server):
    server = make_server(env={"ZIKAO_LIMITS_HEADER_TIMEOUT_MS": "600"})
    got = b""
    with server.connect() as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        s.settimeout(0.1)
        while time.monotonic() - t0 < 5:
            try:
                s.sendall(b"X-A: b\r\n")  # progress, but never the end of the head
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                break
        elapsed = time.monotonic() - t0
    assert got.startswith(b"HTTP/1.1 408"), got[:80]
    assert elapsed < 3


def test_idle_keepalive_connection_is_closed(make_server):
    server = make_server(env={"ZIKAO_LIMITS_IDLE_TIMEOUT_MS": "400"})
    with server.connect() as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        t0 = time.monotonic()
        raw = h.read_all(s, timeout=5)  # returns when the server closes
        assert time.monotonic() - t0 < 3
    [r] = h.split_responses(raw)
    assert r.status == 200


def test_connections_beyond_the_limit_are_refused_cheaply(make_server):
    server = make_server(env={"ZIKAO_SERVER_MAX_CONNECTIONS": "4"})
    held = [server.connect() for _ in range(4)]
    time.sleep(0.2)
    with server.connect() as extra:
        raw = h.read_all(extra, timeout=3)
    assert status_of(raw) == 503
    for s in held:
        s.close()
    time.sleep(0.2)
    assert server.get("/healthz").status == 200
    m = server.get("/metrics").body.decode()
    assert "zikao_http_refused_connections_total 1" in m
