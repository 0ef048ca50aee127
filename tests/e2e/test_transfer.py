"""Transfer applications (转考, handbook 003) through the API: 省内转考 decided
by the origin district (on approval the management district changes, in the
staff trail, exam IDs unchanged, the new district's staff see the candidate),
省际转出 decided by the province, withdrawal before a decision, one open
transfer at a time and none while another application is under way."""
import pytest

import zikao_harness as h
from test_staff import PASSWORD, SECRET, ctl, sign_in
from zikao_harness import q, q1

ENV = {"ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": "TEST7", "ZIKAO_AUTH_ARGON2_MEMLIMIT_KIB": "8192"}


def window(db, kind, opens="-1 day", closes="+1 day"):
    q(db, "DELETE FROM windows WHERE kind = %s", kind)
    q(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
          "(%s, '2026-2', %s, now() + %s::interval, now() + %s::interval)",
      kind, "2026年下半年" + kind, opens, closes)


def candidate(db, district="140105"):
    seq = "%03d" % (q1(db, "SELECT count(*) FROM candidates") + 800)
    cid = q1(db, "INSERT INTO candidates (id_number, name, district, kind, identity, phone) VALUES "
                 "(%s, '赵六', %s, 'enrolled', 'verified', '13700000000') RETURNING id",
             h.id_number(region=district, seq=seq), district)
    q(db, "INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES (%s, %s, 'imported')",
      "0105170%05d" % cid, cid)
    return cid


def client(server, cid):
    c = h.Client(server)
    assert c.post("/api/v1/_test/session", {"candidate_id": cid}).status == 201
    return c


class Staff:
    """Signed-in clients: districts A (140105, origin) and B (140212, 大同市新荣区),
    the province, an auditor."""

    def __init__(self, server, db, pg, database, redis_server):
        r = ctl(pg, database, redis_server, "staff", "create-admin", "admin", "王管理",
                stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
        hash_ = q1(db, "SELECT password_hash FROM staff WHERE username = 'admin'")
        self.ids = {}
        for name, role, district in [("dista", "district", "140105"),
                                     ("distb", "district", "140212"),
                                     ("prov", "province", None), ("audit", "auditor", None)]:
            self.ids[name] = q1(db, "INSERT INTO staff (username, name, role, district, "
                                    "password_hash, password_must_change, totp_secret) VALUES "
                                    "(%s, %s, %s, %s, %s, false, %s) RETURNING id",
                                name, "职员" + name, role, district, hash_, SECRET)
            setattr(self, name, sign_in(server, name))


@pytest.fixture
def server(make_server, db):
    window(db, "transfer_in_province")
    window(db, "transfer_out")
    return make_server(env=ENV)


@pytest.fixture
def staff(server, db, pg, database, redis_server):
    return Staff(server, db, pg, database, redis_server)


def applied(c, kind, data):
    r = c.post("/api/v1/me/applications", {"kind": kind})
    assert r.status in (200, 201), r
    app = r.json()
    r = c.request("PUT", f"/api/v1/me/applications/{app['id']}/draft",
                  body={"version": app["version"], "data": data})
    assert r.status == 200, r
    return r.json()


def act(c, app_id, action):
    return c.post(f"/api/v1/me/applications/{app_id}/{action}")


def item_of(db, kind, app_id):
    return q1(db, "SELECT id FROM review_items WHERE kind = %s AND subject = %s "
                  "ORDER BY id DESC LIMIT 1", kind, app_id)


def decide(who, kind, item, decision, reason=""):
    return who.post(f"/api/v1/staff/queues/{kind}/items/{item}/decision",
                    {"decision": decision, "reason": reason})


def error(r):
    return r.json()["error"]


TO_DATONG = {"city": "140200", "district": "140212", "remarks": "工作调动"}


# ---- 省内转考 ---------------------------------------------------------------------------------

def test_an_approved_transfer_moves_the_district_keeps_the_exam_ids_and_is_in_the_trail(
        server, staff, db):
    cid = candidate(db)
    exam_ids = q(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", cid)
    c = client(server, cid)
    app = applied(c, "transfer", TO_DATONG)
    r = act(c, app["id"], "submit")
    assert r.status == 200 and r.json()["state_title"] == "已提交，待原属区县审核", r
    assert staff.distb.get(f"/api/v1/staff/candidates/{cid}").status == 404
    item = item_of(db, "transfer", app["id"])
    assert staff.distb.get(f"/api/v1/staff/queues/transfer/items/{item}").status == 404
    r = decide(staff.dista, "transfer", item, "approve")
    assert r.status == 200, r
    assert r.json()["effect"]["from_district"] == "140105"
    assert r.json()["effect"]["to_district"] == "140212"
    got = c.get(f"/api/v1/me/applications/{app['id']}").json()
    assert got["state"] == "approved" and got["open"] is False
    assert q1(db, "SELECT district FROM candidates WHERE id = %s", cid) == "140212"
    assert q(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", cid) == exam_ids
    assert staff.distb.get(f"/api/v1/staff/candidates/{cid}").status == 200
    assert staff.dista.get(f"/api/v1/staff/candidates/{cid}").status == 404
    trail = q(db, "SELECT staff_id, before ->> 'district', after ->> 'district' FROM staff_audit "
                  "WHERE action = 'transfer.district' AND item_id = %s", str(cid))
    assert trail == [(staff.ids["dista"], "140105", "140212")]


def test_the_deciding_office_sees_the_passed_courses_that_go_with_the_record(server, staff, db):
    cid = candidate(db)
    q(db, "INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, score, "
          "credits, passed_on) VALUES (%s, %s, '00015', '英语(二)', '72', 14, '2024-04-20')",
      cid, "0105170%05d" % cid)
    c = client(server, cid)
    app = applied(c, "transfer", TO_DATONG)
    assert act(c, app["id"], "submit").status == 200
    r = staff.dista.get(f"/api/v1/staff/queues/transfer/items/{item_of(db, 'transfer', app['id'])}")
    assert r.status == 200, r
    assert r.json()["detail"]["courses"] == [
        {"exam_id": "0105170%05d" % cid, "code": "00015", "name": "英语(二)", "score": "72",
         "credits": 14, "passed_on": "2024-04-20", "source": "exam"}]


def test_a_refused_transfer_tells_the_candidate_why(server, staff, db):
    cid = candidate(db)
    c = client(server, cid)
    app = applied(c, "transfer", TO_DATONG)
    assert act(c, app["id"], "submit").status == 200
    r = decide(staff.dista, "transfer", item_of(db, "transfer", app["id"]), "refuse",
               "有未办结的考籍事项")
    assert r.status == 200, r
    got = c.get(f"/api/v1/me/applications/{app['id']}").json()
    assert got["state"] == "refused" and got["timeline"][-1]["reason"] == "有未办结的考籍事项"
    assert q1(db, "SELECT district FROM candidates WHERE id = %s", cid) == "140105"


def test_a_withdrawn_transfer_closes_its_item(server, staff, db):
    c = client(server, candidate(db))
    app = applied(c, "transfer", TO_DATONG)
    assert act(c, app["id"], "submit").status == 200
    r = act(c, app["id"], "withdraw")
    assert r.status == 200 and r.json()["state"] == "withdrawn", r
    r = decide(staff.dista, "transfer", item_of(db, "transfer", app["id"]), "approve")
    assert r.status == 409 and error(r)["code"] == "ITEM_WITHDRAWN", r


@pytest.mark.parametrize("data, code, field", [
    pytest.param({"city": "130100", "district": "130102"}, "CITY_INVALID", "city",
                 id="a_city_outside_the_province"),
    pytest.param({"city": "140200", "district": "140105"}, "DISTRICT_INVALID", "district",
                 id="a_district_outside_the_city"),
    pytest.param({"city": "140100", "district": "140105"}, "DISTRICT_SAME", "district",
                 id="the_district_it_already_is"),
    pytest.param({"city": "140200", "district": "140212", "remarks": "长" * 201},
                 "FIELD_TOO_LONG", "remarks", id="remarks_too_long"),
    pytest.param({"city": ["140200"]}, "CITY_INVALID", "city", id="malformed"),
])
def test_the_submit_is_refused_naming_the_field(server, db, data, code, field):
    c = client(server, candidate(db))
    app = applied(c, "transfer", data)
    r = act(c, app["id"], "submit")
    assert r.status == 422 and error(r)["code"] == code and error(r)["field"] == field, r


def test_a_second_open_transfer_is_refused(server, db):
    c = client(server, candidate(db))
    first = applied(c, "transfer", TO_DATONG)
    assert act(c, first["id"], "submit").status == 200
    out = applied(c, "transfer_out", {"province": "110000", "reason": "随家庭迁往北京"})
    r = act(c, out["id"], "submit")
    assert r.status == 409 and error(r)["code"] == "TRANSFER_OPEN", r
    assert "省内转考申请（已提交，待原属区县审核）" in error(r)["message"]
    assert act(c, first["id"], "withdraw").status == 200
    assert act(c, out["id"], "submit").status == 200


def test_no_transfer_while_another_application_is_under_way(server, db):
    cid = candidate(db)
    window(db, "graduation")
    grad = q1(db, "SELECT id FROM application_open(%s, 'graduation', 'shanxi')", cid)
    q(db, "SELECT application_transition(%s, 'submit', 'candidate', %s, NULL, NULL)", grad, cid)
    c = client(server, cid)
    app = applied(c, "transfer", TO_DATONG)
    r = act(c, app["id"], "submit")
    assert r.status == 409 and error(r)["code"] == "APPLICATION_OPEN", r
    assert error(r)["message"].startswith("您的毕业申请（"), r


def test_outside_the_window_the_submit_is_closed(server, db):
    c = client(server, candidate(db))
    app = applied(c, "transfer", TO_DATONG)
    q(db, "UPDATE windows SET starts_at = now() - interval '3 days', "
          "ends_at = now() - interval '1 minute' WHERE kind = 'transfer_in_province'")
    r = act(c, app["id"], "submit")
    assert r.status == 403 and error(r)["code"] == "WINDOW_CLOSED", r


def test_only_the_origin_district_decides_and_others_get_404(server, staff, db):
    cid = candidate(db)
    c = client(server, cid)
    app = applied(c, "transfer", TO_DATONG)
    assert act(c, app["id"], "submit").status == 200
    item = item_of(db, "transfer", app["id"])
    assert decide(staff.distb, "transfer", item, "approve").status == 404
    r = decide(staff.audit, "transfer", item, "approve")
    assert r.status == 403 and error(r)["code"] == "ROLE_FORBIDDEN", r
    r = decide(staff.dista, "transfer", item, "return", "补材料")
    assert r.status == 422 and error(r)["code"] == "DECISION_INVALID", r
    r = c.post(f"/api/v1/staff/queues/transfer/items/{item}/decision", {"decision": "approve"})
    assert r.status == 401, r
    other = client(server, candidate(db))
    for method, path in [("GET", f"/api/v1/me/applications/{app['id']}"),
                         ("POST", f"/api/v1/me/applications/{app['id']}/withdraw"),
                         ("GET", f"/api/v1/me/applications/{app['id']}/transfer-detail.pdf")]:
        r = other.request(method, path, body={} if method == "POST" else None)
        assert r.status == 404, (path, r)
    detail = staff.dista.get(f"/api/v1/staff/queues/transfer/items/{item}").json()["detail"]
    assert detail["from"]["city_name"] == "太原市" and detail["to"]["city_name"] == "大同市"


# ---- 省际转出 ---------------------------------------------------------------------------------

def test_a_transfer_out_is_decided_by_the_province(server, staff, db):
    cid = candidate(db)
    c = client(server, cid)
    app = applied(c, "transfer_out", {"province": "110000", "reason": "随家庭迁往北京"})
    assert act(c, app["id"], "submit").status == 200
    item = item_of(db, "transfer_out", app["id"])
    assert decide(staff.dista, "transfer_out", item, "approve").status == 404
    r = decide(staff.prov, "transfer_out", item, "approve")
    assert r.status == 200, r
    assert c.get(f"/api/v1/me/applications/{app['id']}").json()["state"] == "approved"
    assert q1(db, "SELECT district FROM candidates WHERE id = %s", cid) == "140105"


@pytest.mark.parametrize("data, code, field", [
    pytest.param({"province": "140000", "reason": "迁居"}, "PROVINCE_INVALID", "province",
                 id="its_own_province"),
    pytest.param({"province": "110000"}, "FIELD_REQUIRED", "reason", id="no_reason"),
])
def test_a_transfer_out_submit_is_refused_naming_the_field(server, db, data, code, field):
    c = client(server, candidate(db))
    app = applied(c, "transfer_out", data)
    r = act(c, app["id"], "submit")
    assert r.status == 422 and error(r)["code"] == code and error(r)["field"] == field, r


def test_the_detail_prints_through_the_pdf_queue(server, db, make_worker):
    c = client(server, candidate(db))
    app = applied(c, "transfer", TO_DATONG)
    path = f"/api/v1/me/applications/{app['id']}/transfer-detail.pdf"
    assert c.get(path).status == 409
    assert act(c, app["id"], "submit").status == 200
    assert c.get(path).status == 202
    make_worker("pdf", 1)
    h.wait_until(lambda: c.get(path).status == 200, timeout=60, step=0.3, what="the detail PDF")
    r = c.get(path)
    assert r.header("Content-Type") == "application/pdf" and r.body.startswith(b"%PDF-")
    input_ = q1(db, "SELECT document_input('transfer_detail', 'transfer', %s)", str(app["id"]))
    assert (input_["from_city"], input_["to_city"], input_["remarks"]) == (
        "太原市", "大同市新荣区", "工作调动")


def test_an_approved_transfer_out_prints_the_certificate_with_every_passed_course(
        server, staff, db, make_worker):
    cid = candidate(db)
    exam_id = q1(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", cid)
    for code, name, score, credits in [("00018", "计算机应用基础", "85", 2),
                                       ("00015", "英语(二)", "免考", 14)]:
        q(db, "INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, "
              "score, credits, passed_on) VALUES (%s, %s, %s, %s, %s, %s, '2024-04-13')",
          cid, exam_id, code, name, score, credits)
    c = client(server, cid)
    app = applied(c, "transfer_out", {"province": "110000", "reason": "随家庭迁往北京"})
    path = f"/api/v1/me/applications/{app['id']}/transfer-certificate.pdf"
    assert act(c, app["id"], "submit").status == 200
    r = c.get(path)
    assert r.status == 409 and error(r)["code"] == "TRANSFER_NOT_APPROVED", r
    assert decide(staff.prov, "transfer_out", item_of(db, "transfer_out", app["id"]),
                  "approve").status == 200
    assert c.get(path).status == 202
    make_worker("pdf", 1)
    h.wait_until(lambda: c.get(path).status == 200, timeout=60, step=0.3,
                 what="the transfer certificate")
    r = c.get(path)
    assert r.body.startswith(b"%PDF-") and "transfer-certificate.pdf" in r.header(
        "Content-Disposition")
    input_ = q1(db, "SELECT document_input('transfer_certificate', 'transfer_out', %s)",
                str(app["id"]))
    assert input_["to_province"] == "北京市" and input_["exam_ids"] == exam_id
    assert [(x["code"], x["score"], x["credits"], x["passed_on"]) for x in input_["courses"]] == [
        ("00015", "免考", 14, "2024-04-13"), ("00018", "85", 2, "2024-04-13")]
    assert q1(db, "SELECT docno FROM documents WHERE kind = 'transfer_certificate'").startswith(
        "ZC-")


def test_the_provinces_are_listed_for_the_destination(server):
    r = server.get("/api/v1/regions")
    assert r.status == 200, r
    names = {p["code"]: p["name"] for p in r.json()["items"]}
    assert names["110000"] == "北京市" and names["140000"] == "山西省"
    assert all(p["level"] == "province" for p in r.json()["items"])
