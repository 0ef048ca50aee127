"""The exemption application (免考申请, handbook 002) through the API: the
catalogues (confirmation points, certificate types and the courses each
exempts in a major), the draft and its submit with every refusal the issue
lists, the confirmation point's confirm or return (the candidate's one
re-application, the second return final), the courses a confirmation adds to
the graduation audit, and the staff queue's scope."""
import os
import shutil
import subprocess

import pytest

import zikao_harness as h
from test_staff import PASSWORD, SECRET, ctl, sign_in
from zikao_harness import q, q1

ENV = {"ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": "TEST7", "ZIKAO_AUTH_ARGON2_MEMLIMIT_KIB": "8192"}
JPEG = "image/jpeg"
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8  # sniffed as a JPEG


# ---- the world: catalogues, a window, candidates, staff ------------------------------------

def catalogue(db):
    """Two points (小店, 迎泽), two majors (080702 计算机及应用, 020204 会计, and
    040112 小学教育 which is stopping), NCRE-1 exempting 00018 and 00019 in every
    major, and CET-4 exempting 00015 英语(二) in 080702 only."""
    points = [q1(db, "INSERT INTO confirmation_points (name, district, address, phone, hours) "
                     "VALUES (%s, %s, '太原市示例路 1 号', '0351-0000001', '工作日 9:00-17:00') "
                     "RETURNING id", name, d)
              for name, d in [("小店区免考确认点", "140105"), ("迎泽区免考确认点", "140106")]]
    for code, name, level, status in [("080702", "计算机及应用", "本科", "open"),
                                      ("020204", "会计", "本科", "open"),
                                      ("040112", "小学教育", "本科", "stopping")]:
        q(db, "INSERT INTO majors (code, name, level, status) VALUES (%s, %s, %s, %s) "
              "ON CONFLICT (code) DO NOTHING", code, name, level, status)
    for code, name, credits in [("00018", "计算机应用基础", 2), ("00019", "计算机应用基础(实践)", 2),
                                ("00015", "英语(二)", 14)]:
        q(db, "INSERT INTO courses (code, name, credits) VALUES (%s, %s, %s) "
              "ON CONFLICT (code) DO NOTHING", code, name, credits)
    q(db, "INSERT INTO exemption_certificates (code, title, seq, source) VALUES "
          "('ncre1', '全国计算机等级考试(NCRE)NCRE一级及以上合格证书', 1, '示例数据'), "
          "('cet4', '全国大学英(日)语等级考试四级及以上证书或成绩单', 2, '示例数据')")
    q(db, "INSERT INTO exemption_certificate_courses (certificate, major_code, course_code) VALUES "
          "('ncre1', NULL, '00018'), ('ncre1', NULL, '00019'), ('cet4', '080702', '00015')")
    return points


def window(db, opens="-1 day", closes="+1 day"):
    q(db, "DELETE FROM windows WHERE kind = 'exemption'")
    return q1(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
                  "('exemption', '2026-2', '2026年下半年免考申请', now() + %s::interval, "
                  "now() + %s::interval) RETURNING id", opens, closes)


def candidate(db, district="140105"):
    seq = "%03d" % (q1(db, "SELECT count(*) FROM candidates") + 700)
    cid = q1(db, "INSERT INTO candidates (id_number, name, district, kind, identity, phone) VALUES "
                 "(%s, '李四', %s, 'enrolled', 'verified', '13900000000') RETURNING id",
             h.id_number(region=district, seq=seq), district)
    q(db, "INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES (%s, %s, 'imported')",
      "0105180%05d" % cid, cid)
    return cid


def client(server, cid):
    c = h.Client(server)
    assert c.post("/api/v1/_test/session", {"candidate_id": cid}).status == 201
    return c


class Staff:
    """Signed-in clients: the two points, districts A (140105) and B, province, auditor."""

    def __init__(self, server, db, pg, database, redis_server, points):
        r = ctl(pg, database, redis_server, "staff", "create-admin", "admin", "王管理",
                stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
        hash_ = q1(db, "SELECT password_hash FROM staff WHERE username = 'admin'")
        for name, role, district, point in [("pointa", "confirmation_point", None, points[0]),
                                            ("pointb", "confirmation_point", None, points[1]),
                                            ("dista", "district", "140105", None),
                                            ("prov", "province", None, None),
                                            ("audit", "auditor", None, None)]:
            q(db, "INSERT INTO staff (username, name, role, district, point_id, password_hash, "
                  "password_must_change, totp_secret) VALUES (%s, %s, %s, %s, %s, %s, false, %s)",
              name, "职员" + name, role, district, point, hash_, SECRET)
            setattr(self, name, sign_in(server, name))


@pytest.fixture
def world(make_server, db):
    points = catalogue(db)
    window(db)
    return make_server(env=ENV), points


@pytest.fixture
def staff(world, db, pg, database, redis_server):
    return Staff(world[0], db, pg, database, redis_server, world[1])


# ---- the candidate's steps -------------------------------------------------------------------

def open_app(c):
    r = c.post("/api/v1/me/applications", {"kind": "exemption"})
    assert r.status in (200, 201), r
    return r.json()


def photo(db, c, app_id, accepted=True):
    """A certificate photo in the slot, decided as the photo worker would."""
    r = c.request("PUT", f"/api/v1/me/applications/{app_id}/files/certificates", raw=PHOTO,
                  content_type=JPEG)
    assert r.status == 201, r
    q(db, "SELECT application_file_checked(id, %s, %s, NULL) FROM application_files "
          "WHERE application_id = %s AND slot = 'certificates' AND seq = %s", accepted,
      None if accepted else "免考证书照片（分辨率）：长边应大于 800 像素", app_id, r.json()["seq"])
    return r.json()["seq"]


def cert(n, type_="ncre1", major="080702", courses=("00018", "00019")):
    return {"type": type_, "major": major, "exam_date": "2019-09",
            "subject": "一级计算机基础及MS Office应用", "courses": list(courses), "photo": n}


def draft(c, app, data):
    r = c.request("PUT", f"/api/v1/me/applications/{app['id']}/draft",
                  body={"version": app["version"], "data": data})
    assert r.status == 200, r
    return r.json()


def act(c, app_id, action):
    return c.post(f"/api/v1/me/applications/{app_id}/{action}")


def filled(db, c, point_id, **over):
    """An exemption draft with one NCRE certificate and its accepted photo."""
    app = open_app(c)
    data = {"point": point_id, "majors": ["080702"],
            "certificates": [cert(photo(db, c, app["id"]))]}
    data.update(over)
    return draft(c, app, data)


def item_of(db, app_id):
    return q1(db, "SELECT id FROM review_items WHERE kind = 'exemption' AND subject = %s "
                  "ORDER BY id DESC LIMIT 1", app_id)


def decide(who, item, decision, reason=""):
    return who.post(f"/api/v1/staff/queues/exemption/items/{item}/decision",
                    {"decision": decision, "reason": reason})


def error(r):
    return r.json()["error"]


# ---- catalogues ------------------------------------------------------------------------------

def test_the_points_are_listed_with_address_phone_and_hours(world, db):
    server, points = world
    q(db, "INSERT INTO confirmation_points (name, district) VALUES ('没有联系方式的点', '140107')")
    r = server.get("/api/v1/exemption/points")
    assert r.status == 200, r
    items = r.json()["items"]
    assert [p["name"] for p in items] == ["小店区免考确认点", "迎泽区免考确认点"]
    assert items[0] == {"id": points[0], "name": "小店区免考确认点", "district": "140105",
                        "district_name": "太原市小店区", "address": "太原市示例路 1 号",
                        "phone": "0351-0000001", "hours": "工作日 9:00-17:00", "note": None}


def test_the_certificates_say_which_courses_each_exempts_in_a_major(world):
    server, _ = world
    r = server.get("/api/v1/exemption/certificates?major=020204")
    assert r.status == 200, r
    by = {x["code"]: x for x in r.json()["items"]}
    assert [c["code"] for c in by["ncre1"]["courses"]] == ["00018", "00019"]
    assert by["cet4"]["courses"] == []  # CET-4 exempts nothing in 会计
    assert by["ncre1"]["source"] == "示例数据"


# ---- submit, confirm, and the audit -----------------------------------------------------------

def test_a_confirmed_exemption_adds_its_courses_as_exempted_passes(world, staff, db):
    server, points = world
    cid = candidate(db)
    c = client(server, cid)
    app = filled(db, c, points[0])
    r = act(c, app["id"], "submit")
    assert r.status == 200, r
    assert r.json()["state"] == "submitted" and r.json()["state_title"] == "已提交，待确认点确认"
    item = item_of(db, app["id"])
    r = decide(staff.pointa, item, "approve")
    assert r.status == 200, r
    assert r.json()["effect"] == {"application_id": app["id"], "state": "confirmed",
                                  "courses_added": 2}
    got = c.get(f"/api/v1/me/applications/{app['id']}").json()
    assert got["state"] == "confirmed" and got["open"] is False
    scores = c.get("/api/v1/me/scores").json()
    passes = {p["course_code"]: p for p in scores["passed"]}
    assert passes["00018"]["score"] == "免考" and passes["00018"]["source"] == "exemption"
    assert passes["00019"]["credits"] == 2


def test_confirmed_exemptions_count_in_the_graduation_audit(world, staff, db):
    server, points = world
    plan = q1(db, "INSERT INTO plans (major_code, version, valid_from) VALUES "
                  "('080702', 'new', '2024-01-01') RETURNING id")
    module = q1(db, "INSERT INTO plan_modules (plan_id, seq, name, min_credits) VALUES "
                    "(%s, 1, '公共基础课', 4) RETURNING id", plan)
    q(db, "INSERT INTO plan_courses (plan_id, module_id, seq, course_code, credits, required) "
          "VALUES (%s, %s, 1, '00018', 2, true), (%s, %s, 2, '00019', 2, true)",
      plan, module, plan, module)
    c = client(server, candidate(db))
    precheck = {"major": "080702", "plan_version": "new"}
    assert c.post("/api/v1/me/graduation/precheck", precheck).json()["complete"] is False
    app = filled(db, c, points[0])
    assert act(c, app["id"], "submit").status == 200
    assert decide(staff.pointa, item_of(db, app["id"]), "approve").status == 200
    audit = c.post("/api/v1/me/graduation/precheck", precheck).json()
    assert audit["complete"] is True, audit
    assert {(p["course_code"], p["source"], p["used"]) for p in audit["passes"]} == {
        ("00018", "exemption", True), ("00019", "exemption", True)}


def test_the_point_returns_it_with_a_reason_and_the_candidate_reapplies_once(world, staff, db):
    server, points = world
    cid = candidate(db)
    c = client(server, cid)
    app = filled(db, c, points[0])
    assert act(c, app["id"], "submit").status == 200
    r = decide(staff.pointa, item_of(db, app["id"]), "return", "证书照片与证书信息不符")
    assert r.status == 200, r
    got = c.get(f"/api/v1/me/applications/{app['id']}").json()
    assert got["state"] == "returned" and got["state_title"] == "被退回"
    assert got["timeline"][-1]["reason"] == "证书照片与证书信息不符"
    assert [a["name"] for a in got["actions"]] == ["reapply"]
    r = act(c, app["id"], "reapply")
    assert r.status == 200 and r.json()["state"] == "draft", r
    assert act(c, app["id"], "submit").status == 200
    r = decide(staff.pointa, item_of(db, app["id"]), "return", "仍不符")
    assert r.status == 200 and r.json()["effect"]["state"] == "returned_final", r
    r = act(c, app["id"], "reapply")
    assert r.status == 409 and error(r)["code"] == "REAPPLY_USED", r
    assert "仅限一次" in error(r)["message"]


def test_reapplying_without_the_points_permission_is_refused(world, db):
    server, points = world
    c = client(server, candidate(db))
    app = filled(db, c, points[0])
    assert act(c, app["id"], "submit").status == 200
    r = act(c, app["id"], "reapply")
    assert r.status == 409 and error(r)["code"] == "REAPPLY_NOT_PERMITTED", r
    assert "免考确认点" in error(r)["message"]


def test_a_second_application_in_the_window_is_refused(world, staff, db):
    server, points = world
    c = client(server, candidate(db))
    app = filled(db, c, points[0])
    assert act(c, app["id"], "submit").status == 200
    assert decide(staff.pointa, item_of(db, app["id"]), "approve").status == 200
    r = c.post("/api/v1/me/applications", {"kind": "exemption"})
    assert r.status == 409 and error(r)["code"] == "APPLICATION_LIMIT", r


# ---- refusals at submit ---------------------------------------------------------------------

@pytest.mark.parametrize("change, code, field", [
    pytest.param({"majors": ["080702", "020204", "040112"]}, "MAJORS_TOO_MANY", "majors",
                 id="a_third_major"),
    pytest.param({"majors": ["080702", "080702"]}, "MAJORS_REPEATED", "majors",
                 id="the_same_major_twice"),
    pytest.param({"majors": ["040112"]}, "MAJOR_STOPPING", "majors", id="a_stopping_major"),
    pytest.param({"point": None}, "POINT_REQUIRED", "point", id="no_point"),
    pytest.param({"certificates": [cert(1, "cet4", "080702", ["00015"])] * 5},
                 "CERTIFICATES_TOO_MANY", "certificates", id="a_fifth_certificate"),
    pytest.param({"majors": ["020204"], "certificates": [cert(1, "cet4", "020204", ["00015"])]},
                 "CERTIFICATE_EXEMPTS_NOTHING", "certificates[0].type",
                 id="a_certificate_that_exempts_nothing_in_the_major"),
    pytest.param({"certificates": [cert(1, courses=["00015"])]}, "COURSE_NOT_EXEMPTED",
                 "certificates[0].courses", id="a_course_the_certificate_does_not_exempt"),
    pytest.param({"certificates": [cert(1, major="020204")]}, "CERTIFICATE_MAJOR_INVALID",
                 "certificates[0].major", id="a_major_not_chosen"),
    pytest.param({"certificates": [cert(2)]}, "CERTIFICATE_PHOTO_REQUIRED",
                 "certificates[0].photo", id="no_photo"),
    pytest.param({"majors": "080702"}, "MAJORS_REQUIRED", "majors", id="malformed_majors"),
    pytest.param({"point": "小店"}, "POINT_REQUIRED", "point", id="malformed_point"),
    pytest.param({"certificates": [dict(cert(1), exam_date="去年", photo="一")]}, "FIELD_INVALID",
                 "certificates[0].exam_date", id="malformed_exam_date"),
    pytest.param({"certificates": [dict(cert(1), photo="一")]}, "CERTIFICATE_PHOTO_REQUIRED",
                 "certificates[0].photo", id="malformed_photo"),
    pytest.param({"certificates": [dict(cert(1), courses="00018")]}, "COURSES_REQUIRED",
                 "certificates[0].courses", id="malformed_courses"),
])
def test_the_submit_is_refused_naming_the_field(world, db, change, code, field):
    server, points = world
    c = client(server, candidate(db))
    app = filled(db, c, points[0], **change)
    r = act(c, app["id"], "submit")
    assert r.status == 422 and error(r)["code"] == code and error(r)["field"] == field, r
    assert c.get(f"/api/v1/me/applications/{app['id']}").json()["state"] == "draft"


def test_a_refused_certificate_photo_blocks_the_submit_with_its_reason(world, db):
    server, points = world
    c = client(server, candidate(db))
    app = open_app(c)
    n = photo(db, c, app["id"], accepted=False)
    app = draft(c, app, {"point": points[0], "majors": ["080702"], "certificates": [cert(n)]})
    r = act(c, app["id"], "submit")
    assert r.status == 422 and error(r)["code"] == "CERTIFICATE_PHOTO_REFUSED", r
    assert "长边应大于 800 像素" in error(r)["message"]


def test_a_fifth_certificate_photo_is_refused(world, db):
    server, points = world
    c = client(server, candidate(db))
    app = open_app(c)
    for _ in range(4):
        photo(db, c, app["id"])
    r = c.request("PUT", f"/api/v1/me/applications/{app['id']}/files/certificates", raw=PHOTO,
                  content_type=JPEG)
    assert r.status == 409 and error(r)["code"] == "SLOT_FULL", r


def test_a_certificate_photo_over_3_mb_is_refused_at_upload(world, db):
    server, _ = world
    c = client(server, candidate(db))
    app = open_app(c)
    r = c.request("PUT", f"/api/v1/me/applications/{app['id']}/files/certificates",
                  raw=PHOTO + bytes(3 << 20), content_type=JPEG)
    assert r.status == 413 and error(r)["code"] == "FILE_TOO_LARGE", r


def vips_jpeg(width, height):
    if shutil.which("vips") is None:
        pytest.skip("SKIP: the vips command is not installed (package libvips-tools)")
    d = os.path.join(h.BUILD, "test-jpegs")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"certificate-{width}x{height}.jpg")
    if not os.path.exists(path):
        subprocess.run(["vips", "gaussnoise", f"{path}[Q=85]", str(width), str(height)],
                       check=True)
    with open(path, "rb") as f:
        return f.read()


def test_the_photo_worker_takes_a_large_enough_photo_either_way_round_and_refuses_a_small_one(
        world, db, make_worker):
    if not os.path.isdir(h.MODELS):
        pytest.skip(f"SKIP: face models not found at {h.MODELS}")
    server, _ = world
    c = client(server, candidate(db))
    app = open_app(c)
    path = f"/api/v1/me/applications/{app['id']}/files/certificates"
    for w, ht in [(1000, 700), (700, 1000), (800, 600)]:
        assert c.request("PUT", path, raw=vips_jpeg(w, ht), content_type=JPEG).status == 201
    make_worker("photo", 1, {"ZIKAO_PATHS_MODELS_DIR": h.MODELS, "OPENBLAS_NUM_THREADS": "1"})

    def decided():
        files = [f for s in c.get(f"/api/v1/me/applications/{app['id']}/files").json()["slots"]
                 for f in s["files"]]
        return files if all(f["state"] != "checking" for f in files) else None
    h.wait_until(decided, timeout=60, step=0.2, what="the certificate photos' checks")
    states = [(f["seq"], f["state"]) for f in decided()]
    assert states == [(1, "accepted"), (2, "accepted"), (3, "refused")], decided()
    assert decided()[2]["reason"].startswith("免考证书照片"), decided()[2]


# ---- who may do what ---------------------------------------------------------------------------

def test_outside_the_window_the_submit_is_closed(world, db):
    server, points = world
    c = client(server, candidate(db))
    app = filled(db, c, points[0])
    q(db, "UPDATE windows SET starts_at = now() - interval '3 days', "
          "ends_at = now() - interval '1 minute' WHERE kind = 'exemption'")
    r = act(c, app["id"], "submit")
    assert r.status == 403 and error(r)["code"] == "WINDOW_CLOSED", r
    r = c.post("/api/v1/me/applications", {"kind": "exemption"})
    assert r.status == 403 and error(r)["code"] == "WINDOW_CLOSED", r


def test_another_candidates_application_is_not_found(world, db):
    server, points = world
    owner = client(server, candidate(db))
    app = filled(db, owner, points[0])
    other = client(server, candidate(db))
    for method, path in [("GET", f"/api/v1/me/applications/{app['id']}"),
                         ("POST", f"/api/v1/me/applications/{app['id']}/submit"),
                         ("GET", f"/api/v1/me/applications/{app['id']}/exemption-detail.pdf")]:
        r = other.request(method, path, body={} if method == "POST" else None)
        assert r.status == 404 and error(r)["code"] == "APPLICATION_NOT_FOUND", (path, r)
    r = server.request("POST", f"/api/v1/me/applications/{app['id']}/submit", body={})
    assert r.status == 401, r


def test_malformed_and_oversized_drafts_are_refused(world, db):
    server, _ = world
    c = client(server, candidate(db))
    app = open_app(c)
    path = f"/api/v1/me/applications/{app['id']}/draft"
    r = c.request("PUT", path, raw=b"{not json", content_type="application/json")
    assert r.status == 400, r
    r = c.request("PUT", path, body={"version": app["version"], "data": {"x": "a" * (70 << 10)}})
    assert r.status == 413, r


def test_only_the_chosen_point_decides(world, staff, db):
    server, points = world
    c = client(server, candidate(db))
    app = filled(db, c, points[0])
    assert act(c, app["id"], "submit").status == 200
    item = item_of(db, app["id"])
    for who in (staff.pointb, staff.dista):  # another point, a district: not theirs
        r = who.get(f"/api/v1/staff/queues/exemption/items/{item}")
        assert r.status == 404, r
        assert decide(who, item, "approve").status == 404
    r = decide(staff.audit, item, "approve")
    assert r.status == 403 and error(r)["code"] == "ROLE_FORBIDDEN", r
    r = c.post(f"/api/v1/staff/queues/exemption/items/{item}/decision", {"decision": "approve"})
    assert r.status == 401, r
    r = decide(staff.pointa, item, "refuse", "不符合")
    assert r.status == 422 and error(r)["code"] == "DECISION_INVALID", r
    r = staff.pointa.get(f"/api/v1/staff/queues/exemption/items/{item}")
    assert r.status == 200, r
    detail = r.json()["detail"]
    assert detail["point"]["id"] == points[0]
    assert detail["certificates"][0]["courses"] == [
        {"code": "00018", "name": "计算机应用基础"}, {"code": "00019", "name": "计算机应用基础(实践)"}]


def test_the_province_lists_one_confirmation_points_items(world, staff, db):
    server, points = world
    apps = []
    for point in points:
        c = client(server, candidate(db))
        app = filled(db, c, point)
        assert act(c, app["id"], "submit").status == 200
        apps.append(app["id"])
    url = "/api/v1/staff/queues/exemption/items?office="
    r = staff.prov.get(url + f"point:{points[1]}")
    assert r.status == 200, r
    assert [i["subject"] for i in r.json()["items"]] == [apps[1]]
    assert [i["office"] for i in r.json()["items"]] == [f"point:{points[1]}"]
    assert staff.prov.get(url + "province").json()["items"] == []
    r = staff.prov.get(url + "point:x")
    assert r.status == 400 and error(r)["field"] == "office", r


def test_the_point_sees_the_certificate_photos_and_each_look_is_in_the_trail(world, staff, db):
    server, points = world
    c = client(server, candidate(db))
    app = filled(db, c, points[0])
    assert act(c, app["id"], "submit").status == 200
    item = item_of(db, app["id"])
    path = f"/api/v1/staff/exemption/items/{item}/photos/1"
    r = staff.pointa.get(path)
    assert r.status == 200 and r.body == PHOTO and r.header("Content-Type") == JPEG, r
    assert q1(db, "SELECT count(*) FROM staff_audit WHERE action = 'view.certificate' "
                  "AND item_id = %s", str(item)) == 1
    assert staff.pointb.get(path).status == 404
    assert staff.pointa.get(f"/api/v1/staff/exemption/items/{item}/photos/2").status == 404
    assert c.get(path).status == 401


def test_the_detail_prints_through_the_pdf_queue_with_the_return_reason(world, staff, db,
                                                                          make_worker):
    server, points = world
    c = client(server, candidate(db))
    app = filled(db, c, points[0])
    path = f"/api/v1/me/applications/{app['id']}/exemption-detail.pdf"
    r = c.get(path)
    assert r.status == 409 and error(r)["code"] == "APPLICATION_NOT_SUBMITTED", r
    assert act(c, app["id"], "submit").status == 200
    serial = "SELECT document_input('exemption_detail', 'exemption', %s) ->> 'serial'"
    submitted = q1(db, serial, str(app["id"]))
    assert decide(staff.pointa, item_of(db, app["id"]), "return", "证书照片不清晰").status == 200
    assert q1(db, serial, str(app["id"])) != submitted  # another state, another document number
    assert c.get(path).status == 202
    make_worker("pdf", 1)
    h.wait_until(lambda: c.get(path).status == 200, timeout=60, step=0.3, what="the detail PDF")
    r = c.get(path)
    assert r.header("Content-Type") == "application/pdf" and r.body.startswith(b"%PDF-")
    assert "exemption-detail.pdf" in r.header("Content-Disposition")
    input_ = q1(db, "SELECT document_input('exemption_detail', 'exemption', %s)", str(app["id"]))
    assert input_["status"] == "被退回" and input_["return_reason"] == "证书照片不清晰"
    assert input_["certificates"][0]["courses"][0] == {"code": "00018", "name": "计算机应用基础"}


# ---- the catalogues are data loaded with zikaoctl -------------------------------------------

def test_zikaoctl_loads_the_demo_catalogue_and_refuses_a_file_with_a_bad_line(
        pg, database, redis_server, db, tmp_path):
    demo = os.path.join(h.SOURCE, "schema", "data", "demo")
    for kind in ("points", "certificates"):
        r = ctl(pg, database, redis_server, "exemption", "import", "--kind", kind,
                os.path.join(demo, f"exemption_{kind}.csv"))
        assert r.returncode == 0, r.stderr
    assert q1(db, "SELECT count(*) FROM confirmation_points WHERE note LIKE '示例数据%%'") == 2
    assert q1(db, "SELECT source FROM exemption_certificates WHERE code = 'ncre1'").startswith(
        "示例数据")
    for code, name in [("00018", "计算机应用基础"), ("00019", "计算机应用基础(实践)")]:
        q(db, "INSERT INTO courses (code, name, credits) VALUES (%s, %s, 2) "
              "ON CONFLICT (code) DO NOTHING", code, name)
    f = tmp_path / "courses.csv"
    f.write_text("certificate,major,course\nncre1,,00018\nncre1,,00019\nnosuch,,00018\n")
    r = ctl(pg, database, redis_server, "exemption", "import", "--kind", "courses", str(f))
    assert r.returncode == 1 and "courses.csv:4: rejected" in r.stderr, r
    assert q1(db, "SELECT count(*) FROM exemption_certificate_courses") == 0
    f.write_text("certificate,major,course\nncre1,,00018\nncre1,,00019\n")
    r = ctl(pg, database, redis_server, "exemption", "import", "--kind", "courses", str(f))
    assert r.returncode == 0, r.stderr
    f.write_text("certificate,major,course\nncre1,,00019\n")  # the file replaces ncre1's rows
    assert ctl(pg, database, redis_server, "exemption", "import", "--kind", "courses",
               str(f)).returncode == 0
    assert q(db, "SELECT certificate, major_code, course_code FROM "
                 "exemption_certificate_courses") == [("ncre1", None, "00019")]
    r = ctl(pg, database, redis_server, "exemption", "list")
    assert r.returncode == 0 and "*:00019" in r.stdout and "太原市小店区免考确认点" in r.stdout


def test_tianjin_has_no_exemption_application(make_server, db):
    window(db)
    server = make_server(env=dict(ENV, ZIKAO_PROFILE_PROVINCE="tianjin"))
    c = client(server, candidate(db, district="120101"))
    r = c.post("/api/v1/me/applications", {"kind": "exemption"})
    assert r.status == 422 and error(r)["code"] == "APPLICATION_KIND_UNKNOWN", r
