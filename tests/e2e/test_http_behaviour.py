"""HTTP behaviour: pipelining order, keep-alive, routing errors, HEAD, 100-continue, ids."""
import threading
import time

import zikao_harness as h


def test_pipelined_requests_are_answered_in_order(server):
    # The first request is slow (held in PostgreSQL); the rest are fast and
    # complete first, yet must be written after it, in order.
    reqs = [b"GET /api/v1/_test/sleep?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"]
    codes = ["140105", "140106", "120101", "140000", "999999"]
    for c in codes:
        reqs.append(b"GET /api/v1/regions/" + c.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    reqs.append(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    raw = server.raw(b"".join(reqs), timeout=10)
    rs = h.split_responses(raw)
    assert [r.status for r in rs] == [200, 200, 200, 200, 200, 404, 200]
    assert rs[0].json() == {"slept": True}
    assert [r.json()["code"] for r in rs[1:5]] == codes[:4]
    ids = [r.header("X-Request-Id") for r in rs]
    assert len(set(ids)) == len(ids)


def test_deep_pipeline_pauses_and_resumes(make_server):
    server = make_server(env={"ZIKAO_LIMITS_PIPELINE_DEPTH": "4"})
    n = 200
    data = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * (n - 1)
    data += b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    rs = h.split_responses(server.raw(data, timeout=10))
    assert len(rs) == n and all(r.status == 200 for r in rs)


def test_nothing_after_connection_close_is_answered(server):
    raw = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                     b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
    rs = h.split_responses(raw)
    assert len(rs) == 1 and rs[0].status == 200
    assert rs[0].header("Connection") == "close"


def test_keep_alive_serves_many_requests_on_one_connection(server):
    with server.connect() as s:
        for i in range(5):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while b"alive" not in data:
                data += s.recv(4096)
            assert data.startswith(b"HTTP/1.1 200")


def test_unknown_path_is_404_and_wrong_method_is_405_with_allow(server):
    r = server.get("/api/v1/nothing-here")
    assert r.status == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    r = server.request("DELETE", "/healthz")
    assert r.status == 405
    assert r.header("Allow") == "GET, HEAD"
    assert r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    r = server.request("OPTIONS", "/api/v1/regions/140105")
    assert r.status == 204 and r.header("Allow") == "GET, HEAD"


def test_head_has_length_but_no_body(server):
    raw = server.raw(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Content-Length: 18" in head
    assert body == b""


def test_expect_100_continue_gets_interim_answer(server):
    with server.connect() as s:
        s.sendall(b"POST /api/v1/_test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        first = s.recv(4096)
        assert first.startswith(b"HTTP/1.1 100 Continue")
        s.sendall(b"ping")
        data = first.split(b"\r\n\r\n", 1)[1]
        while b"length" not in data:
            data += s.recv(4096)
        assert b"HTTP/1.1 200" in data


def test_http10_gets_closed_after_answer(server):
    raw = server.raw(b"GET /healthz HTTP/1.0\r\n\r\n", timeout=3)
    [r] = h.split_responses(raw)
    assert r.status == 200


def test_region_lookup_and_validation(server):
    r = server.get("/api/v1/regions/140105")
    assert r.status == 200
    assert r.json() == {"code": "140105", "name": "小店区", "level": "district", "parent": "140100"}
    r = server.get("/api/v1/regions/14x")
    assert r.status == 422 and r.json()["error"]["field"] == "code"
    r = server.get("/api/v1/regions/120100/children")
    assert r.status == 200 and len(r.json()["items"]) == 16
    assert server.get("/api/v1/regions/990000/children").status == 404


def test_province_names_the_profile_its_region_and_office(make_server):
    r = make_server().get("/api/v1/province")
    assert r.status == 200
    assert r.json() == {"profile": "shanxi", "code": "140000", "name": "山西省",
                        "office_name": "山西省招生考试管理中心"}
    tianjin = make_server(env={"ZIKAO_PROFILE_PROVINCE": "tianjin",
                               "ZIKAO_DOCUMENTS_OFFICE_NAME": "天津市教育招生考试院自考办"})
    r = tianjin.get("/api/v1/province")
    assert r.json() == {"profile": "tianjin", "code": "120000", "name": "天津市",
                        "office_name": "天津市教育招生考试院自考办"}
    cities = tianjin.get("/api/v1/regions/120000/children").json()["items"]
    assert [c["code"] for c in cities] == ["120100"]  # registration offers its districts


def test_personal_numbers_are_masked_in_the_log(server):
    server.get("/api/v1/regions/14010519900307123X")
    time.sleep(0.1)
    log = server.log()
    assert "14010519900307123X" not in log
    assert "1401**********123X" in log


def test_every_response_has_a_request_id(server):
    for path in ["/healthz", "/nope", "/api/v1/regions/1"]:
        assert len(server.get(path).header("X-Request-Id")) == 16
