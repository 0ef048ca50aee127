"""Identity verification through the API: photo uploads (bounded before they
are read, sniffed), attempts that enqueue the photo and face jobs, and the
state a candidate (and only that candidate) sees."""
import socket
import struct
import time
import zlib

import pytest

import zikao_harness as h
from zikao_harness import q

ENV = {"ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": "TEST7", "ZIKAO_AUTH_ARGON2_MEMLIMIT_KIB": "8192"}

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000 + b"\xff\xd9"


def png_bytes(w=2, h=2):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def server(make_server):
    return make_server(env=ENV)


def candidate(server, db, kind="new", seq="001"):
    idn = h.id_number(seq=seq)
    cid = q(db, "INSERT INTO candidates (id_number, name, district, kind) VALUES (%s, '张三', "
                "'140105', %s) RETURNING id", idn, kind)[0][0]
    c = h.Client(server)
    r = c.post("/api/v1/_test/session", {"candidate_id": cid})
    assert r.status == 201
    return c, cid


def upload(c, kind, data=JPEG, ctype="image/jpeg"):
    return c.request("PUT", f"/api/v1/me/identity/photos/{kind}", raw=data, content_type=ctype)


def test_required_photos_follow_the_profile(server, db):
    c, _ = candidate(server, db, "new")
    r = c.get("/api/v1/me/identity")
    assert r.status == 200
    body = r.json()
    assert [p["kind"] for p in body["required"]] == ["registration", "idcard", "holding"]
    assert body["state"] == "not_started" and body["attempts"] == []
    assert body["attempts_left_today"] == 3
    e, _ = candidate(server, db, "enrolled", seq="002")
    assert [p["kind"] for p in e.get("/api/v1/me/identity").json()["required"]] == \
        ["idcard", "holding"]
    # an enrolled Shanxi candidate has no registration photo to upload
    r = upload(e, "registration")
    assert r.status == 404 and r.json()["error"]["code"] == "PHOTO_KIND_NOT_REQUIRED"


def test_tianjin_profile_asks_for_registration_photo_and_id_card(make_server, db):
    server = make_server(env=dict(ENV, ZIKAO_PROFILE_PROVINCE="tianjin"))
    c, _ = candidate(server, db, "new")
    required = c.get("/api/v1/me/identity").json()["required"]
    assert [p["kind"] for p in required] == ["registration", "idcard"]
    # Tianjin's names and requirements (handbook 004), as the worker's findings name them
    assert [p["label"] for p in required] == ["报名照片", "身份证人像面照片"]
    assert any("20-40KB" in line and "480" in line for line in required[0]["guide"])
    assert any("浅蓝色" in line for line in required[0]["guide"])
    assert any("20-80KB" in line for line in required[1]["guide"])
    r = upload(c, "registration")
    assert r.json()["label"] == "报名照片"


def test_each_required_photo_has_its_name_and_what_a_good_one_looks_like(make_server, db):
    server = make_server(env=dict(ENV, ZIKAO_IDENTITY_MAX_BYTES_HOLDING="1m"))
    c, _ = candidate(server, db, "new")
    required = {p["kind"]: p for p in c.get("/api/v1/me/identity").json()["required"]}
    assert {k: p["label"] for k, p in required.items()} == {
        "registration": "彩色证件照", "idcard": "身份证人像面照片", "holding": "手持身份证照"}
    for p in required.values():
        assert p["guide"] and all(isinstance(line, str) and line for line in p["guide"])
    assert any("浅蓝色" in line and "白色" in line for line in required["registration"]["guide"])
    assert any("四个圆角" in line for line in required["idcard"]["guide"])
    # the upload limit comes from [identity] max_bytes_*, in words and in bytes
    assert required["registration"]["guide"][-1] == "JPG 或 PNG 格式，文件不超过 2MB。"
    assert required["holding"]["guide"][-1] == "JPG 或 PNG 格式，文件不超过 1MB。"
    assert required["holding"]["max_bytes"] == 1 << 20
    # a missing photo is named the same way
    upload(c, "registration")
    r = c.post("/api/v1/me/identity/attempts", {})
    assert r.status == 422 and r.json()["error"]["code"] == "PHOTOS_MISSING"
    assert "身份证人像面照片" in r.json()["error"]["message"]
    assert "手持身份证照" in r.json()["error"]["message"]


def test_upload_stores_the_photo_and_gives_it_back(server, db):
    c, cid = candidate(server, db)
    r = upload(c, "idcard")
    assert r.status == 200
    body = r.json()
    assert body["kind"] == "idcard" and body["size"] == len(JPEG)
    assert body["content_type"] == "image/jpeg" and body["uploaded_at"].endswith("+08:00")
    r = c.get("/api/v1/me/identity/photos/idcard")
    assert r.status == 200 and r.body == JPEG and r.header("Content-Type") == "image/jpeg"
    row = q(db, "SELECT f.sha256, f.size FROM identity_photos p JOIN files f ON f.id = p.file_id "
                "WHERE p.candidate_id = %s", cid)[0]
    import hashlib
    assert row == (hashlib.sha256(JPEG).hexdigest(), len(JPEG))
    assert upload(c, "idcard", png_bytes(), "image/png").status == 200  # replaced
    assert c.get("/api/v1/me/identity/photos/idcard").header("Content-Type") == "image/png"
    assert c.get("/api/v1/me/identity/photos/holding").status == 404


def test_png_declared_as_jpeg_is_refused(server, db):
    c, _ = candidate(server, db)
    r = upload(c, "idcard", png_bytes(), "image/jpeg")
    assert r.status == 415 and r.json()["error"]["code"] == "PHOTO_TYPE_MISMATCH"
    assert "PNG" in r.json()["error"]["message"]
    r = upload(c, "idcard", b"GIF89a....", "image/jpeg")
    assert r.status == 415 and r.json()["error"]["code"] == "PHOTO_TYPE_UNSUPPORTED"
    r = upload(c, "idcard", JPEG, "image/gif")
    assert r.status == 415
    r = upload(c, "passport", JPEG)
    assert r.status == 404 and r.json()["error"]["code"] == "PHOTO_KIND_UNKNOWN"
    r = upload(c, "idcard", b"", "image/jpeg")
    assert r.status == 422


def test_3mb_upload_is_refused_before_it_is_read(server, db):
    c, _ = candidate(server, db)
    with server.connect() as s:
        s.sendall(b"PUT /api/v1/me/identity/photos/idcard HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: image/jpeg\r\nContent-Length: 3145728\r\n"
                  b"Cookie: " + c.cookie.encode() + b"\r\nX-CSRF-Token: " + c.csrf.encode()
                  + b"\r\n\r\n")
        raw = h.read_all(s, timeout=5)  # answered without a single body byte sent
    [r] = h.split_responses(raw)
    assert r.status == 413 and r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_per_kind_limit_comes_from_configuration(make_server, db):
    server = make_server(env=dict(ENV, ZIKAO_IDENTITY_MAX_BYTES_IDCARD="1k"))
    c, _ = candidate(server, db)
    assert upload(c, "idcard").status == 413          # 2 KB over the 1 KB limit
    assert upload(c, "holding").status == 200         # other kinds keep 2 MB


def test_attempt_needs_every_photo_then_queues_the_checks(server, db):
    c, cid = candidate(server, db)
    upload(c, "idcard")
    r = c.post("/api/v1/me/identity/attempts")
    assert r.status == 422 and r.json()["error"]["code"] == "PHOTOS_MISSING"
    assert r.json()["error"]["message"] == "请先上传：彩色证件照、手持身份证照"
    upload(c, "registration")
    upload(c, "holding", png_bytes(), "image/png")
    r = c.post("/api/v1/me/identity/attempts")
    assert r.status == 202
    attempt = r.json()["attempt_id"]
    assert r.json()["state"] == "pending"
    assert set(r.json()["photos"]) == {"registration", "idcard", "holding"}
    jobs = q(db, "SELECT queue, payload FROM jobs ORDER BY id")
    assert sorted(j[0] for j in jobs) == ["face", "photo", "photo", "photo"]
    assert all(j[1]["attempt_id"] == attempt for j in jobs)
    assert {j[1]["kind"] for j in jobs if j[0] == "photo"} == {"registration", "idcard", "holding"}
    checks = q(db, "SELECT kind, state FROM identity_photo_checks WHERE attempt_id = %s", attempt)
    assert sorted(checks) == [("holding", "pending"), ("idcard", "pending"),
                              ("registration", "pending")]
    # while pending: no second attempt, no new photos
    r = c.post("/api/v1/me/identity/attempts")
    assert r.status == 409 and r.json()["error"]["code"] == "ATTEMPT_PENDING"
    r = upload(c, "idcard")
    assert r.status == 409 and r.json()["error"]["code"] == "ATTEMPT_PENDING"
    state = c.get("/api/v1/me/identity").json()
    assert state["state"] == "pending" and state["attempts"][0]["attempt_id"] == attempt
    assert c.get("/api/v1/me").json()["identity"]["state"] == "pending"


def test_attempts_per_day_are_limited(server, db):
    c, cid = candidate(server, db, "enrolled")
    upload(c, "idcard")
    upload(c, "holding")
    for i in range(3):
        r = c.post("/api/v1/me/identity/attempts")
        assert r.status == 202
        q(db, "UPDATE identity_attempts SET state = 'failed' WHERE candidate_id = %s", cid)
    r = c.post("/api/v1/me/identity/attempts")
    assert r.status == 429 and r.json()["error"]["code"] == "IDENTITY_ATTEMPTS_EXHAUSTED"
    assert c.get("/api/v1/me/identity").json()["attempts_left_today"] == 0


def test_exhausted_attempts_are_retried_at_the_next_beijing_midnight(server, db):
    c, cid = candidate(server, db, "enrolled")
    upload(c, "idcard")
    upload(c, "holding")
    for _ in range(3):
        q(db, "INSERT INTO identity_attempts (candidate_id, state, photos) "
              "VALUES (%s, 'failed', '{}')", cid)
    r = c.post("/api/v1/me/identity/attempts")
    assert r.status == 429 and r.json()["error"]["code"] == "IDENTITY_ATTEMPTS_EXHAUSTED"
    retry = [v for k, v in r.headers if k.lower() == "retry-after"]
    beijing = time.time() + 8 * 3600
    until_midnight = 86400 - beijing % 86400
    assert len(retry) == 1 and abs(int(retry[0]) - until_midnight) <= 5


def test_verified_candidate_cannot_start_again(server, db):
    c, cid = candidate(server, db, "enrolled")
    q(db, "UPDATE candidates SET identity = 'verified', verified_at = now() WHERE id = %s", cid)
    assert c.post("/api/v1/me/identity/attempts").json()["error"]["code"] == "ALREADY_VERIFIED"
    r = upload(c, "idcard")
    assert r.status == 409 and r.json()["error"]["code"] == "ALREADY_VERIFIED"


def test_candidate_a_cannot_read_b_s_identity_state(server, db):
    a, _ = candidate(server, db, "enrolled", seq="011")
    b, _ = candidate(server, db, "enrolled", seq="012")
    upload(b, "idcard")
    upload(b, "holding")
    attempt = b.post("/api/v1/me/identity/attempts").json()["attempt_id"]
    assert b.get(f"/api/v1/me/identity/attempts/{attempt}").status == 200
    r = a.get(f"/api/v1/me/identity/attempts/{attempt}")
    assert r.status == 404 and r.json()["error"]["code"] == "ATTEMPT_NOT_FOUND"
    assert a.get("/api/v1/me/identity").json()["attempts"] == []
    assert a.get("/api/v1/me/identity/attempts/abc").status == 404


def test_retention_deletes_a_replaced_photo_once_due_and_keeps_what_is_used(
        server, db, make_worker):
    def idcard_file(cid):
        return q(db, "SELECT file_id FROM identity_photos WHERE candidate_id = %s AND kind = "
                     "'idcard'", cid)[0][0]

    def marked():
        return {r[0] for r in q(db, "SELECT file_id FROM files_unreferenced")}

    def exists(fid):
        return q(db, "SELECT count(*) FROM files WHERE id = %s", fid)[0][0] == 1

    # A replaces an unused photo twice: both old ones are recorded.
    a, aid = candidate(server, db)
    upload(a, "idcard")
    j1 = idcard_file(aid)
    upload(a, "idcard", png_bytes(), "image/png")
    p1 = idcard_file(aid)
    upload(a, "idcard")
    j2 = idcard_file(aid)
    assert marked() == {j1, p1}
    # B's photo was used by an attempt, then replaced: it is recorded too.
    b, bid = candidate(server, db, seq="002")
    for kind in ("registration", "idcard", "holding"):
        upload(b, kind)
    used = idcard_file(bid)
    assert b.post("/api/v1/me/identity/attempts").status == 202
    q(db, "UPDATE identity_attempts SET state = 'failed', decided_at = now() "
          "WHERE candidate_id = %s", bid)
    assert upload(b, "idcard", png_bytes(), "image/png").status == 200
    assert marked() == {j1, p1, used}
    # j1 and the used one are due; p1 is not yet. Done jobs: one due, one not.
    q(db, "UPDATE files_unreferenced SET since = now() - interval '25 hours' "
          "WHERE file_id IN (%s, %s)", j1, used)
    old_job, new_job = [q(db, "INSERT INTO jobs (queue, state, finished_at) VALUES ('noop', "
                              "'done', now() - make_interval(days => %s)) RETURNING id", d)[0][0]
                        for d in (15, 13)]
    w = make_worker()  # stopped, exit code and sanitizer log checked by the fixture
    h.wait_until(lambda: not exists(j1), timeout=60, step=0.2, what="the due photo deleted")
    h.wait_until(lambda: marked() == {p1}, timeout=10, step=0.2, what="due records gone")
    assert exists(used)  # the attempt's checks still refer to it
    assert exists(p1) and exists(j2) and exists(idcard_file(bid))
    assert q(db, "SELECT id FROM jobs WHERE id IN (%s, %s)", old_job, new_job) == [(new_job,)]
    assert "deleted 1 replaced photo(s)" in w.log()
