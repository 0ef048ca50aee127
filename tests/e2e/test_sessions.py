"""Sessions: the cookie's flags, 401 without a session, CSRF on state changes."""
import http.cookies

import zikao_harness as h


def candidate(db):
    """A verified candidate (a session of it is answered from Redis alone)."""
    return h.q1(db, "INSERT INTO candidates (id_number, name, district, kind, identity) VALUES "
                    "(%s, '张三', '140105', 'enrolled', 'verified') RETURNING id",
                h.id_number(seq="%03d" % (h.q1(db, "SELECT count(*) FROM candidates") + 100)))


def session(server, db, candidate_id=None):
    candidate_id = candidate_id or candidate(db)
    r = server.request("POST", "/api/v1/_test/session", body={"candidate_id": candidate_id})
    assert r.status == 201, r
    cookie = r.header("Set-Cookie")
    token = cookie.split(";", 1)[0]
    return token, r.json()["csrf_token"], cookie


def test_session_cookie_has_safe_flags(server, db):
    _, csrf, cookie = session(server, db)
    parts = [p.strip() for p in cookie.split(";")]
    name, value = parts[0].split("=", 1)
    assert name == "zikao_session" and len(value) == 43  # 256 bits, base64url
    assert "HttpOnly" in parts and "SameSite=Lax" in parts and "Path=/" in parts
    assert "Secure" not in parts  # not configured here
    assert len(csrf) == 32


def test_secure_flag_when_configured(make_server, db):
    server = make_server(env={"ZIKAO_AUTH_COOKIE_SECURE": "true"})
    _, _, cookie = session(server, db)
    assert "Secure" in [p.strip() for p in cookie.split(";")]


def test_no_or_unknown_session_is_401(server):
    r = server.get("/api/v1/_test/whoami")
    assert r.status == 401 and r.json()["error"]["code"] == "NOT_LOGGED_IN"
    r = server.get("/api/v1/_test/whoami", headers={"Cookie": "zikao_session=" + "A" * 43})
    assert r.status == 401


def test_session_identifies_the_candidate(server, db):
    cid = candidate(db)
    token, _, _ = session(server, db, cid)
    r = server.get("/api/v1/_test/whoami", headers={"Cookie": token})
    assert r.status == 200 and r.json() == {"candidate_id": cid}


def test_state_change_needs_the_csrf_token(server, db):
    token, csrf, _ = session(server, db)
    r = server.request("POST", "/api/v1/_test/whoami", headers={"Cookie": token})
    assert r.status == 403 and r.json()["error"]["code"] == "CSRF_CHECK_FAILED"
    r = server.request("POST", "/api/v1/_test/whoami",
                       headers={"Cookie": token, "X-CSRF-Token": "0" * 32})
    assert r.status == 403
    r = server.request("POST", "/api/v1/_test/whoami",
                       headers={"Cookie": token, "X-CSRF-Token": csrf})
    assert r.status == 200


def test_an_empty_csrf_token_is_refused_like_a_wrong_one(server, db):
    token, _, _ = session(server, db)
    r = server.raw(f"POST /api/v1/_test/whoami HTTP/1.1\r\nHost: x\r\nCookie: {token}\r\n"
                   "X-CSRF-Token:\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    [r] = h.split_responses(r)
    assert r.status == 403 and r.json()["error"]["code"] == "CSRF_CHECK_FAILED"


def test_only_the_hash_of_the_token_is_stored(server, redis_server, db):
    token, _, _ = session(server, db)
    value = token.split("=", 1)[1]
    keys = [k.decode() for k in redis_server.client().keys("zikao:sess:*")]
    assert len(keys) == 1 and value not in keys[0] and len(keys[0]) == len("zikao:sess:") + 64
    stored = redis_server.client().hgetall(keys[0])
    assert value.encode() not in b"".join(stored.values())
    assert redis_server.client().ttl(keys[0]) <= 30 * 60


def test_redis_down_is_503_not_401(server, redis_server, db):
    token, _, _ = session(server, db)
    redis_server.stop()
    h.wait_until(lambda: server.get("/api/v1/_test/whoami", headers={"Cookie": token}).status
                 == 503, what="503 while Redis is down")
    redis_server.start()
