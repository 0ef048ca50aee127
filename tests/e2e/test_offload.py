"""Work the loop hands to the thread pool (password hashing, captcha drawing,
payment signatures) is bounded per process and kind; beyond the bound every
kind answers the same way: 503 SERVER_BUSY with one Retry-After."""
import json
import re

import zikao_harness as h

CAPTCHA = "TEST7"


def pipelined(server, requests):
    """Sends every request in one write on one connection (they are
    dispatched in the same loop turn); the answers' statuses and bodies."""
    wire = b""
    for i, (path, body) in enumerate(requests):
        data = json.dumps(body).encode() if body is not None else b""
        method = b"POST" if body is not None else b"GET"
        wire += (method + b" " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n"
                 b"Content-Type: application/json\r\nContent-Length: " + str(len(data)).encode()
                 + (b"\r\nConnection: close" if i == len(requests) - 1 else b"")
                 + b"\r\n\r\n" + data)
    return h.split_responses(server.raw(wire, timeout=20))


def test_password_hashes_beyond_the_limit_are_refused_with_server_busy(make_server):
    server = make_server(env={"ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": CAPTCHA,
                              "ZIKAO_AUTH_HASH_QUEUE_LIMIT": "1",
                              "ZIKAO_AUTH_LOGIN_PER_IP_MINUTE": "100"})
    c = h.Client(server)
    logins = [("/api/v1/auth/login", {"login": h.id_number(seq="%03d" % (600 + i)),
                                      "password": "whatever1", "captcha_id": c.captcha(),
                                      "captcha": CAPTCHA}) for i in range(5)]
    answers = pipelined(server, logins)
    statuses = [r.status for r in answers]
    assert statuses.count(401) >= 1 and statuses.count(503) >= 1, statuses
    for r in answers:
        if r.status == 503:
            assert r.json()["error"]["code"] == "SERVER_BUSY"
            assert [v for k, v in r.headers if k.lower() == "retry-after"] == ["1"]
    assert "password piece(s) of work waiting: refused (503)" in server.log()


def test_captcha_drawings_beyond_the_limit_are_refused_with_server_busy(make_server):
    server = make_server(env={"ZIKAO_AUTH_CAPTCHA_QUEUE_LIMIT": "1",
                              "ZIKAO_AUTH_CAPTCHA_PER_IP_MINUTE": "100"})
    answers = pipelined(server, [("/api/v1/captcha", None)] * 6)
    statuses = [r.status for r in answers]
    assert statuses.count(200) >= 1 and statuses.count(503) >= 1, statuses
    busy = [r for r in answers if r.status == 503]
    assert all(r.json()["error"]["code"] == "SERVER_BUSY" for r in busy)
    assert all([v for k, v in r.headers if k.lower() == "retry-after"] == ["1"] for r in busy)
    metrics = server.get("/metrics").body.decode()
    assert re.search(r'^zikao_offload_in_flight\{kind="captcha"\} 0$', metrics, re.M), metrics
