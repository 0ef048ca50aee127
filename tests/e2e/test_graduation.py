"""The graduation application (handbooks 001 六 and 004 十) through the API and
the real photo worker: the draft's checks at submit (confirmed details, the
district, the main universities of the major, the audit with the candidate's
choices), Shanxi's graduation photo and the automatic review, the order that
opens when the application is paid for, and Tianjin's submit-and-pay with
the identity photo reused.

Each test makes its own small 专科 major (990101 测试专业: two required
courses of 基础课程) so that what the audit finds is written here."""
import hashlib
import re
import urllib.parse

import pytest

import zikao_harness as h

MAJOR = "990101"
UNIVERSITY = "99901"
OTHER_UNIVERSITY = "99902"


@pytest.fixture(autouse=True)
def major(db):
    """990101 测试专业 (专科), new plan: 99001 and 99002 required in 基础课程;
    main universities 99901 (and 99902 teaches another major)."""
    if h.q1(db, "SELECT count(*) FROM majors WHERE code = %s", MAJOR):
        return
    h.q(db, "INSERT INTO universities (code, name) VALUES (%s, '测试大学'), (%s, '另一所大学') "
            "ON CONFLICT DO NOTHING", UNIVERSITY, OTHER_UNIVERSITY)
    h.q(db, "INSERT INTO majors (code, name, level) VALUES (%s, '测试专业', '专科'), "
            "('990102', '测试本科', '本科')", MAJOR)
    h.q(db, "INSERT INTO major_universities (major_code, university_code, seq) VALUES "
            "(%s, %s, 1), ('990102', %s, 1)", MAJOR, UNIVERSITY, OTHER_UNIVERSITY)
    h.q(db, "INSERT INTO courses (code, name, credits) VALUES ('99001', '测试课程甲', 4), "
            "('99002', '测试课程乙', 6) ON CONFLICT DO NOTHING")
    for code in (MAJOR, "990102"):
        plan = h.q1(db, "INSERT INTO plans (major_code, version, valid_from) VALUES "
                        "(%s, 'new', '2024-01-01') RETURNING id", code)
        module = h.q1(db, "INSERT INTO plan_modules (plan_id, seq, name, min_credits) VALUES "
                          "(%s, 1, '基础课程', 10) RETURNING id", plan)
        h.q(db, "INSERT INTO plan_courses (plan_id, module_id, seq, course_code, credits, "
                "required) VALUES (%s, %s, 1, '99001', 4, true), (%s, %s, 2, '99002', 6, true)",
            plan, module, plan, module)


def candidate(db, passed=("99001", "99002"), district="140105", identity="verified"):
    seq = "%03d" % (h.q1(db, "SELECT count(*) FROM candidates") + 500)
    cid = h.q1(db, "INSERT INTO candidates (id_number, name, gender, district, kind, identity) "
                   "VALUES (%s, '王五', '男', %s, 'enrolled', %s) RETURNING id",
               h.id_number(region=district, seq=seq), district, identity)
    for code in passed:
        h.q(db, "INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, "
                "score, credits, passed_on) SELECT %s, %s, code, name, '75', credits, "
                "'2025-04-20' FROM courses WHERE code = %s",
            cid, district[2:6] + "25" + "%06d" % cid, code)
    return cid


def client(server, cid):
    c = h.Client(server)
    assert c.post("/api/v1/_test/session", {"candidate_id": cid}).status == 201
    return c


def window(db, opens="-1 day", closes="+1 day"):
    h.q(db, "DELETE FROM windows WHERE kind = 'graduation'")
    return h.q1(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
                    "('graduation', '2026-2', '2026年下半年毕业申请', now() + %s::interval, "
                    "now() + %s::interval) RETURNING id", opens, closes)


def draft(**changes):
    d = {"confirmed": True, "district": "140105", "address": "太原市小店区坞城路 92 号",
         "universities": [UNIVERSITY], "major": MAJOR}
    d.update(changes)
    return {k: v for k, v in d.items() if v is not None}


def applied(c, data):
    """Opens the graduation application and saves data as its draft."""
    r = c.post("/api/v1/me/applications", {"kind": "graduation"})
    assert r.status in (200, 201), r
    app = r.json()
    path = f"/api/v1/me/applications/{app['id']}"
    r = c.request("PUT", path + "/draft", body={"version": app["version"], "data": data})
    assert r.status == 200, r
    return path


def upload_photo(c, path, data, content_type="image/jpeg"):
    return c.request("PUT", path + "/photo", raw=data, content_type=content_type)


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def photo_worker(make_worker):
    return make_worker("photo", 1, {"ZIKAO_PATHS_MODELS_DIR": h.MODELS,
                                    "ZIKAO_PROFILE_PROVINCE": "shanxi",
                                    "OPENBLAS_NUM_THREADS": "1"})


def wait_state(c, path, state, timeout=60):
    h.wait_until(lambda: c.get(path).json()["state"] == state, timeout=timeout,
                 what=f"application in state {state}")
    return c.get(path).json()


REFUSALS = [
    ({"confirmed": None}, "CONFIRMATION_REQUIRED", "confirmed"),
    ({"district": "120101"}, "DISTRICT_INVALID", "district"),
    ({"district": "140100"}, "DISTRICT_INVALID", "district"),   # a city, not a district
    ({"address": "  "}, "FIELD_REQUIRED", "address"),
    ({"address": "路" * 201}, "FIELD_TOO_LONG", "address"),
    ({"universities": []}, "FIELD_REQUIRED", "universities"),
    ({"universities": [UNIVERSITY, OTHER_UNIVERSITY, "99903"]}, "UNIVERSITIES_TOO_MANY",
     "universities"),
    ({"universities": [UNIVERSITY, UNIVERSITY]}, "UNIVERSITIES_REPEATED", "universities"),
    ({"universities": [OTHER_UNIVERSITY]}, "UNIVERSITY_NOT_FOR_MAJOR", "universities"),
    ({"major": "999999"}, "MAJOR_NOT_FOUND", "major"),
    ({"major": None}, "FIELD_REQUIRED", "major"),
    ({"plan_version": "newest"}, "FIELD_INVALID", "plan_version"),
    ({"substitutions": "E2"}, "SUBSTITUTION_INVALID", "substitutions"),
    ({"old_cards": [{"course": "15", "kind": "red", "passed_on": "2003-10"}]}, "FIELD_INVALID",
     "old_cards"),
]


def test_a_draft_that_is_not_complete_and_true_is_refused_at_submit_naming_the_field(server, db):
    c = client(server, candidate(db))
    window(db)
    path = applied(c, draft())
    for changes, code, field in REFUSALS:
        app = c.get(path).json()
        r = c.request("PUT", path + "/draft", body={"version": app["version"],
                                                    "data": draft(**changes)})
        assert r.status == 200, r
        r = c.post(path + "/submit")
        assert r.status == 422, (changes, r.json())
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), changes
        assert c.get(path).json()["state"] == "draft"  # nothing changed: fix and submit again


def test_the_audit_not_met_is_refused_with_what_is_missing(server, db):
    c = client(server, candidate(db, passed=("99001",)))
    window(db)
    path = applied(c, draft())
    r = c.post(path + "/submit")
    body = r.json()
    assert r.status == 422 and body["error"]["code"] == "AUDIT_NOT_MET"
    assert "99002" in body["error"]["message"] and body["audit"]["complete"] is False
    assert c.get(path).json()["state"] == "draft"


def test_a_bachelor_major_needs_the_prior_education_authorisation_first(make_server, make_worker,
                                                                        tmpdir_path, db):
    keys = {"ZIKAO_CHSI_KEY_DIR": tmpdir_path + "/chsi-keys"}
    server = make_server(env=keys)
    make_worker("chsi", 1, keys)
    c = client(server, candidate(db))
    window(db)
    path = applied(c, draft(major="990102", universities=[OTHER_UNIVERSITY]))
    r = c.post(path + "/submit")
    assert r.status == 422 and r.json()["error"]["code"] == "PRIOR_EDUCATION_REQUIRED"
    assert "学信网" in r.json()["error"]["message"]
    # 学信网 authorisation through the simulator: scan, confirm the record as it is
    qr = c.post("/api/v1/me/prior-education/authorisations").json()["qr"]
    page = server.get(qr.split(str(server.port), 1)[1]).body.decode()
    form = dict(re.findall(r'<input (?:type="hidden" )?name="([a-z_]+)" value="([^"]*)">', page))
    form["gender"] = "男"
    r = server.request("POST", "/sim/chsi/authorise", body=urllib.parse.urlencode(form).encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r
    h.wait_until(lambda: c.get("/api/v1/me/prior-education").json()["verified"], timeout=30,
                 what="the authorisation applied")
    r = c.post(path + "/submit")
    assert r.status == 200 and r.json()["state"] == "photo", r.json()


def test_shanxi_submit_asks_for_the_photo_and_a_passing_photo_approves_it_automatically(
        server, db, photos, photo_worker):
    c = client(server, candidate(db))
    window(db)
    path = applied(c, draft())
    r = c.post(path + "/submit")
    assert r.status == 200, r.json()
    app = r.json()
    assert app["state"] == "photo" and "毕业照片" in app["next_step"]
    review = h.q1(db, "SELECT detail->>'review' FROM application_events WHERE application_id = "
                      "%s AND transition = 'submit'", app["id"])
    assert review == "auto"  # the records meet the plan: nobody needs to look
    r = c.request("PUT", path + "/draft", body={"version": app["version"], "data": draft()})
    assert r.status == 409  # nothing can be edited after the submit
    r = c.post(path + "/order")
    assert r.status == 409 and r.json()["error"]["code"] == "PAYMENT_NOT_DUE"

    r = upload_photo(c, path, photos("sx_reg_sheldon.jpg"))
    assert r.status == 202 and r.json()["state"] == "checking"
    app = wait_state(c, path, "approved")
    assert [e["transition"] for e in app["timeline"]] == ["create", "submit", "auto_approve"]
    assert c.get(path + "/photo").json()["state"] == "passed"
    assert c.get(path + "/photo/image").body == photos("sx_reg_sheldon.jpg")

    r = c.post(path + "/order")
    assert r.status == 200, r.json()
    order = r.json()
    assert order["purpose"] == "graduation" and order["subject"] == str(app["id"])
    assert order["amount_fen"] == 5000 and order["can_pay"]
    assert c.post(path + "/order").json()["order_no"] == order["order_no"]  # the same order
    h.q(db, "UPDATE orders SET state = 'paying', provider = 'alipay', paying_at = now() "
            "WHERE order_no = %s", order["order_no"])
    h.q(db, "UPDATE orders SET state = 'paid', paid_at = now(), provider_trade_no = 'T9' "
            "WHERE order_no = %s", order["order_no"])
    assert c.get(path).json()["state"] == "paid"
    r = c.post(path + "/order")
    assert r.status == 409 and "已缴费" in r.json()["error"]["message"]  # never twice


def test_a_refused_photo_says_why_and_the_candidate_may_ask_the_district_to_check_it(
        server, db, photos, photo_worker):
    c = client(server, candidate(db))
    window(db)
    path = applied(c, draft())
    r = c.post(path + "/photo_by_hand")  # a draft has no photo to hand over
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_WRONG_STATE"
    assert c.post(path + "/submit").status == 200
    r = c.post(path + "/photo_by_hand")
    assert r.status == 409 and r.json()["error"]["code"] == "PHOTO_NOT_REFUSED"
    assert upload_photo(c, path, photos("sx_reg_darkgrey.jpg")).status == 202
    h.wait_until(lambda: c.get(path + "/photo").json()["state"] == "failed", timeout=60,
                 what="the photo's verdict")
    rules = c.get(path + "/photo").json()["rules"]
    assert any(x["verdict"] == "failed" and "深灰色" in x["message"] for x in rules), rules
    assert c.get(path).json()["state"] == "photo"  # still waiting for a photo
    r = c.post(path + "/photo_by_hand")
    assert r.status == 200 and r.json()["state"] == "reviewing"
    assert "县区招办预审" in r.json()["next_step"]


def test_the_photo_is_taken_only_while_it_is_awaited_inside_the_window(server, db, photos):
    c = client(server, candidate(db))
    w = window(db)
    path = applied(c, draft())
    jpeg = photos("sx_reg_sheldon.jpg")
    r = upload_photo(c, path, jpeg)
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_WRONG_STATE"
    assert c.post(path + "/submit").status == 200
    h.q(db, "UPDATE windows SET ends_at = now() - interval '1 minute', starts_at = now() - "
            "interval '2 days' WHERE id = %s", w)
    r = upload_photo(c, path, jpeg)
    assert r.status == 403 and r.json()["error"]["code"] == "WINDOW_CLOSED"
    h.q(db, "UPDATE windows SET ends_at = now() + interval '1 day' WHERE id = %s", w)
    r = upload_photo(c, path, b"GIF89a....", content_type="image/jpeg")
    assert r.status == 415
    r = upload_photo(c, path, jpeg, content_type="image/png")
    assert r.status == 415 and r.json()["error"]["code"] == "PHOTO_TYPE_MISMATCH"
    r = upload_photo(c, path, b"\xff\xd8\xff" + b"0" * (2 << 20))
    assert r.status == 413
    other = client(server, candidate(db))
    assert upload_photo(other, path, jpeg).status == 404
    assert other.get(path + "/photo").status == 404
    assert other.get(path + "/photo/image").status == 404
    assert h.Client(server).request("PUT", path + "/photo", raw=jpeg,
                                    content_type="image/jpeg").status == 401
    assert h.q1(db, "SELECT count(*) FROM application_photos") == 0  # nothing was stored


def to_district_review(db, c, path):
    """Submits, and has the photo refused so the candidate hands it to the district."""
    assert c.post(path + "/submit").status == 200
    app_id = int(path.rsplit("/", 1)[1])
    fid = h.q1(db, "INSERT INTO files (content_type, size, sha256, data) VALUES ('image/jpeg', "
                   "3, repeat('0', 64), '\\xffd8ff') RETURNING id")
    h.q(db, "INSERT INTO application_photos (application_id, file_id, state) VALUES "
            "(%s, %s, 'failed')", app_id, fid)
    r = c.post(path + "/photo_by_hand")
    assert r.status == 200 and r.json()["state"] == "reviewing", r.json()
    return app_id


def test_a_refused_shanxi_application_may_be_made_again_once_in_the_window(server, db):
    c = client(server, candidate(db))
    window(db)
    for reason in ("缺少材料", "仍缺少材料"):
        app_id = to_district_review(db, c, applied(c, draft()))
        h.q1(db, "SELECT (application_transition(%s, 'refuse', 'staff', NULL, %s, NULL)).state",
             app_id, reason)
    r = c.post("/api/v1/me/applications", {"kind": "graduation"})
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_LIMIT"


def test_tianjin_submits_and_pays_at_once_with_the_identity_photo_as_graduation_photo(
        make_server, db):
    server = make_server(env={"ZIKAO_PROFILE_PROVINCE": "tianjin"})
    cid = candidate(db, district="120101")
    jpeg = b"\xff\xd8\xff\xe0" + b"reg" * 100
    fid = h.q1(db, "INSERT INTO files (candidate_id, content_type, size, sha256, data) VALUES "
                   "(%s, 'image/jpeg', %s, %s, %s) RETURNING id",
               cid, len(jpeg), hashlib.sha256(jpeg).hexdigest(), jpeg)
    h.q(db, "INSERT INTO identity_photos (candidate_id, kind, file_id) VALUES "
            "(%s, 'registration', %s)", cid, fid)
    c = client(server, cid)
    window(db)
    path = applied(c, draft(district="120101", address=None))
    r = c.post(path + "/submit")
    assert r.status == 200, r.json()
    assert r.json()["state"] == "awaiting_payment" and "不予退还" in r.json()["next_step"]
    photo = c.get(path + "/photo").json()
    assert photo["state"] == "passed" and photo["reused"] is True and photo["file_id"] == fid
    review = h.q1(db, "SELECT detail->>'review' FROM application_events WHERE application_id = "
                      "%s AND transition = 'submit'", r.json()["id"])
    assert review == "district"
    [order] = c.get("/api/v1/me/orders").json()["items"]
    assert order["purpose"] == "graduation" and order["amount_fen"] == 6000
    assert c.post(path + "/order").json()["order_no"] == order["order_no"]
    assert upload_photo(c, path, jpeg).status == 409  # Tianjin takes no new photo


def test_business_needs_a_verified_candidate(server, db):
    owner = client(server, candidate(db))
    window(db)
    path = applied(owner, draft())
    claim = client(server, candidate(db, identity="unverified"))
    r = claim.request("PUT", path + "/photo", raw=b"\xff\xd8\xff", content_type="image/jpeg")
    assert r.status == 403 and r.json()["error"]["code"] == "IDENTITY_REQUIRED"
    assert claim.post(path + "/order").status == 403
    assert h.Client(server).post(path + "/order").status == 401
