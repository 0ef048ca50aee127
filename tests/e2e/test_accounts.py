"""Candidate accounts end to end: captcha, SMS codes, registration, activation,
login and lockout, sessions, recovery, the personal centre."""
import base64
import struct
import time

import pytest

import zikao_harness as h
from zikao_harness import q, sms_code

CAPTCHA = "TEST7"
ACCOUNT_ENV = {
    "ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": CAPTCHA,
    "ZIKAO_AUTH_SMS_RESEND_SECONDS": "2",
    "ZIKAO_AUTH_SMS_PER_PHONE_DAY": "4",
    "ZIKAO_AUTH_LOCKOUT_SECONDS": "3",
    "ZIKAO_AUTH_ARGON2_MEMLIMIT_KIB": "8192",  # fast enough for tests; production keeps 19 MiB
}


@pytest.fixture
def server(make_server):
    return make_server(env=ACCOUNT_ENV)


def send_sms(c, phone, purpose):
    return c.post("/api/v1/sms/send", {"phone": phone, "purpose": purpose,
                                       "captcha_id": c.captcha(), "captcha": CAPTCHA})


def register(server, db, idn=None, phone="13800000001", password="abcd1234"):
    c = h.Client(server)
    idn = idn or h.id_number()
    assert send_sms(c, phone, "register").status == 202
    r = c.post("/api/v1/auth/register", {
        "id_type": "身份证", "id_number": idn, "name": "张三", "password": password,
        "password_confirm": password, "district": "140105", "phone": phone,
        "sms_code": sms_code(db, phone, "register")})
    assert r.status == 201, r
    return c, r.json()["candidate"]["candidate_id"]


def login(server, login_id, password):
    c = h.Client(server)
    r = c.post("/api/v1/auth/login", {"login": login_id, "password": password,
                                      "captcha_id": c.captcha(), "captcha": CAPTCHA})
    return c, r


# ---- captcha -------------------------------------------------------------------

def test_captcha_is_a_png_and_is_consumed_on_first_use(server):
    c = h.Client(server)
    r = c.get("/api/v1/captcha")
    assert r.status == 200
    body = r.json()
    assert body["image"].startswith("data:image/png;base64,iVBOR")
    assert body["expires_in"] == 300
    cid = body["captcha_id"]
    payload = {"login": h.id_number(), "password": "whatever1", "captcha_id": cid,
               "captcha": CAPTCHA}
    assert c.post("/api/v1/auth/login", payload).status == 401  # captcha fine, account unknown
    r = c.post("/api/v1/auth/login", payload)                   # the same captcha again
    assert r.status == 422 and r.json()["error"]["code"] == "CAPTCHA_WRONG"


def test_captcha_is_drawn_at_twice_the_size_it_is_displayed_at(server):
    body = h.Client(server).get("/api/v1/captcha").json()
    png = base64.b64decode(body["image"].split(",", 1)[1])
    width, height = struct.unpack(">II", png[16:24])  # IHDR, after the signature
    assert (body["width"], body["height"]) == (130, 44)  # CSS pixels
    assert (width, height) == (260, 88)


def test_wrong_captcha_is_refused_and_still_consumed(server):
    c = h.Client(server)
    cid = c.captcha()
    r = c.post("/api/v1/auth/login", {"login": h.id_number(), "password": "x1234567",
                                      "captcha_id": cid, "captcha": "WRONG"})
    assert r.status == 422 and r.json()["error"]["field"] == "captcha"
    r = c.post("/api/v1/auth/login", {"login": h.id_number(), "password": "x1234567",
                                      "captcha_id": cid, "captcha": CAPTCHA})
    assert r.status == 422


def test_server_refuses_fixed_captcha_in_production(pg, database, redis_server, tmpdir_path):
    s = h.Server(tmpdir_path, pg.conninfo(database), redis_server.port,
                 env={"ZIKAO_SERVER_ENVIRONMENT": "production",
                      "ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": CAPTCHA})
    s.start(wait_ready=False)
    assert s.proc.wait(10) == 78
    assert "captcha_fixed_answer" in s.log()


# ---- SMS codes -----------------------------------------------------------------

def test_sms_needs_a_captcha_and_a_valid_phone_and_purpose(server):
    c = h.Client(server)
    r = c.post("/api/v1/sms/send", {"phone": "13800000001", "purpose": "register"})
    assert r.status == 422 and r.json()["error"]["field"] == "captcha_id"
    r = c.post("/api/v1/sms/send", {"phone": "1380000", "purpose": "register",
                                    "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 422 and r.json()["error"]["field"] == "phone"
    r = c.post("/api/v1/sms/send", {"phone": "13800000001", "purpose": "party",
                                    "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 422 and r.json()["error"]["field"] == "purpose"


def test_sms_resend_waits_and_daily_limit_holds(server, db):
    c = h.Client(server)
    phone = "13900000002"
    assert send_sms(c, phone, "register").status == 202
    r = send_sms(c, phone, "register")  # within the resend interval
    assert r.status == 429 and r.json()["error"]["code"] == "SMS_TOO_SOON"
    assert r.header("Retry-After") == "2"
    for _ in range(3):                  # up to the day's limit of 4 in this test
        time.sleep(2.1)
        assert send_sms(c, phone, "register").status == 202
    time.sleep(2.1)
    r = send_sms(c, phone, "register")  # the 5th of the day
    assert r.status == 429 and r.json()["error"]["code"] == "RATE_LIMITED"
    assert "明天" in r.json()["error"]["message"]
    assert len(q(db, "SELECT 1 FROM sms_outbox WHERE phone = %s", phone)) == 4


def test_a_rate_limited_answer_has_one_retry_after_with_the_time_left(make_server):
    server = make_server(env=dict(ACCOUNT_ENV, ZIKAO_AUTH_CAPTCHA_PER_IP_MINUTE="1"))
    assert server.get("/api/v1/captcha").status == 200
    r = server.get("/api/v1/captcha")
    assert r.status == 429 and r.json()["error"]["code"] == "RATE_LIMITED"
    retry = [v for k, v in r.headers if k.lower() == "retry-after"]
    assert len(retry) == 1 and 50 <= int(retry[0]) <= 60  # what is left of the minute


def test_sms_code_is_bound_to_its_purpose_and_phone_and_is_logged_masked(server, db):
    c = h.Client(server)
    phone = "13700000003"
    assert send_sms(c, phone, "reset_password").status == 202
    code = sms_code(db, phone, "reset_password")
    r = c.post("/api/v1/auth/register", {
        "id_number": h.id_number(seq="456"), "name": "李四", "password": "abcd1234",
        "password_confirm": "abcd1234", "district": "140105", "phone": phone, "sms_code": code})
    assert r.status == 422 and r.json()["error"]["code"] == "SMS_CODE_EXPIRED"
    log = server.log()
    assert phone not in log and code not in log
    assert "137****0003" in log


def test_five_wrong_sms_codes_lock_the_code(server, db):
    c = h.Client(server)
    phone = "13600000004"
    assert send_sms(c, phone, "register").status == 202
    good = sms_code(db, phone, "register")
    wrong = "000000" if good != "000000" else "111111"
    body = {"id_number": h.id_number(seq="777"), "name": "王五", "password": "abcd1234",
            "password_confirm": "abcd1234", "district": "140105", "phone": phone}
    for i in range(5):
        r = c.post("/api/v1/auth/register", dict(body, sms_code=wrong))
        assert r.status == 422 and r.json()["error"]["code"] == "SMS_CODE_WRONG"
    r = c.post("/api/v1/auth/register", dict(body, sms_code=good))
    assert r.status == 422 and r.json()["error"]["code"] == "SMS_CODE_LOCKED"


# ---- registration ----------------------------------------------------------------

def test_full_registration_logs_in_and_shows_the_personal_centre(server, db):
    idn = h.id_number(birth="19951231", seq="124")
    c, cid = register(server, db, idn=idn)
    r = c.get("/api/v1/me")
    assert r.status == 200
    me = r.json()
    assert me["candidate_id"] == cid and me["name"] == "张三"
    assert me["id_number"] == idn[:4] + "*" * 10 + idn[-4:]
    assert me["phone"] == "138****0001"
    assert me["gender"] == "女" and me["birth_date"] == "1995-12-31"
    assert me["district"] == {"code": "140105", "name": "小店区", "city": "太原市"}
    assert me["kind"] == "new" and me["exam_ids"] == []
    assert me["identity"]["state"] == "not_started"
    assert me["windows"] == server.get("/api/v1/windows").json()["items"]  # one shape
    assert {w["kind"] for w in me["windows"]} >= {"graduation", "exemption"}
    r = c.get("/api/v1/me?reveal=1").json()
    assert r["id_number"] == idn and r["phone"] == "13800000001"
    row = q(db, "SELECT password_hash, identity FROM candidates WHERE id = %s", cid)[0]
    assert row[0].startswith("$argon2id$") and row[1] == "unverified"


@pytest.mark.parametrize("bad,why", [
    ("140105199003071235", "校验位"),            # wrong check character
    ("14010519900230123X", "出生日期"),          # 30 February
    ("14010520990101123X", "出生日期"),          # born in the future
    ("1401051990030712", "18 位"),
    ("99010519900307123X", "省级"),
])
def test_registration_rejects_bad_id_numbers(server, bad, why):
    c = h.Client(server)
    r = c.post("/api/v1/auth/register", {
        "id_number": bad, "name": "张三", "password": "abcd1234", "password_confirm": "abcd1234",
        "district": "140105", "phone": "13800000009", "sms_code": "123456"})
    assert r.status == 422
    err = r.json()["error"]
    assert err["code"] == "ID_NUMBER_INVALID" and err["field"] == "id_number"
    assert why in err["message"]


def test_registration_input_errors_name_the_field(server):
    c = h.Client(server)
    base = {"id_type": "身份证", "id_number": h.id_number(), "name": "张三",
            "password": "abcd1234", "password_confirm": "abcd1234", "district": "140105",
            "phone": "13800000009", "sms_code": "123456"}
    cases = [({"id_type": "护照"}, 422, "id_type", "ID_TYPE_UNSUPPORTED"),
             ({"name": ""}, 422, "name", "FIELD_REQUIRED"),
             ({"name": "张3"}, 422, "name", "NAME_INVALID"),
             ({"password": "abcdefgh", "password_confirm": "abcdefgh"}, 422, "password",
              "PASSWORD_WEAK"),
             ({"password_confirm": "abcd12345"}, 422, "password_confirm", "PASSWORD_MISMATCH"),
             ({"phone": "23800000009"}, 422, "phone", "PHONE_INVALID"),
             ({"district": "999999"}, 422, "district", "DISTRICT_INVALID"),
             ({"district": "120101"}, 422, "district", "DISTRICT_INVALID")]  # not in Shanxi
    for change, status, field, code in cases:
        r = c.post("/api/v1/auth/register", dict(base, **change))
        assert r.status == status, (change, r)
        assert r.json()["error"]["field"] == field and r.json()["error"]["code"] == code
    body = dict(base)
    del body["sms_code"]
    r = c.post("/api/v1/auth/register", body)
    assert r.status == 422 and r.json()["error"]["field"] == "sms_code"
    r = server.request("POST", "/api/v1/auth/register", body=b"{not json",
                       headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json()["error"]["code"] == "BAD_JSON"
    r = server.request("POST", "/api/v1/auth/register", body=b"id_number=1",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 415
    r = server.request("POST", "/api/v1/auth/register", body=b"{" + b" " * 5000 + b"}",
                       headers={"Content-Type": "application/json"})
    assert r.status == 413


def test_a_verified_id_number_is_409_but_only_once_the_sms_code_is_right(server, db):
    idn = h.id_number(seq="321")
    _, cid = register(server, db, idn=idn, phone="13800000011")
    assert h.verify_account(db, cid) == cid
    c = h.Client(server)
    body = {"id_number": idn, "name": "张三", "password": "abcd1234", "password_confirm": "abcd1234",
            "district": "140105", "phone": "13800000012", "sms_code": "123456"}
    r = c.post("/api/v1/auth/register", body)  # no code sent to this phone: nothing is told
    assert r.status == 422 and r.json()["error"]["code"] == "SMS_CODE_EXPIRED"
    assert send_sms(c, "13800000012", "register").status == 202
    r = c.post("/api/v1/auth/register",
               dict(body, sms_code=sms_code(db, "13800000012", "register")))
    assert r.status == 409 and r.json()["error"]["code"] == "ID_NUMBER_REGISTERED"
    assert "登录" in r.json()["error"]["message"] and "区县" in r.json()["error"]["message"]


# ---- login, lockout, sessions ------------------------------------------------------

def test_login_by_id_number_and_by_exam_id(server, db):
    idn = h.id_number(seq="555")
    _, cid = register(server, db, idn=idn, phone="13800000021")
    q(db, "SELECT issue_exam_id(%s)", cid)
    exam_id = q(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", cid)[0][0]
    c, r = login(server, idn, "abcd1234")
    assert r.status == 200 and r.json()["candidate"]["candidate_id"] == cid
    assert c.get("/api/v1/me").json()["exam_ids"] == [exam_id]
    c2, r = login(server, exam_id, "abcd1234")
    assert r.status == 200
    c3, r = login(server, idn.lower(), "abcd1234")  # a lower-case x also works
    assert r.status == 200


def test_five_failures_lock_the_account_until_the_period_ends(server, db):
    idn = h.id_number(seq="556")
    register(server, db, idn=idn, phone="13800000022")
    for i in range(4):
        _, r = login(server, idn, "wrongpass1")
        assert r.status == 401 and r.json()["error"]["code"] == "LOGIN_FAILED"
        assert f"再错 {4 - i} 次" in r.json()["error"]["message"]
    _, r = login(server, idn, "wrongpass1")
    assert r.status == 403 and r.json()["error"]["code"] == "ACCOUNT_LOCKED"
    assert "锁定至" in r.json()["error"]["message"]
    _, r = login(server, idn, "abcd1234")  # even the right password waits
    assert r.status == 403
    time.sleep(3.2)
    _, r = login(server, idn, "abcd1234")
    assert r.status == 200


def test_logout_invalidates_the_token(server, db):
    c, _ = register(server, db, phone="13800000031")
    token = c.cookie
    assert c.post("/api/v1/auth/logout").status == 200
    r = server.get("/api/v1/me", headers={"Cookie": token})
    assert r.status == 401


def test_password_change_ends_other_sessions(server, db):
    idn = h.id_number(seq="557")
    a, _ = register(server, db, idn=idn, phone="13800000032")
    b, r = login(server, idn, "abcd1234")
    assert r.status == 200
    r = a.post("/api/v1/me/password", {"old_password": "wrong1234", "password": "newpass99",
                                       "password_confirm": "newpass99"})
    assert r.status == 422 and r.json()["error"]["code"] == "OLD_PASSWORD_WRONG"
    r = a.post("/api/v1/me/password", {"old_password": "abcd1234", "password": "newpass99",
                                       "password_confirm": "newpass99"})
    assert r.status == 200
    h.wait_until(lambda: b.get("/api/v1/me").status == 401, what="other session ended")
    assert a.get("/api/v1/me").status == 200  # this one stays
    _, r = login(server, idn, "newpass99")
    assert r.status == 200


def test_state_changes_need_the_csrf_token(server, db):
    c, _ = register(server, db, phone="13800000033")
    r = server.request("PATCH", "/api/v1/me", body={"email": "a@b.cn"},
                       headers={"Cookie": c.cookie})
    assert r.status == 403 and r.json()["error"]["code"] == "CSRF_CHECK_FAILED"


def test_unauthenticated_requests_are_401(server):
    for method, path in [("GET", "/api/v1/me"), ("PATCH", "/api/v1/me"),
                         ("POST", "/api/v1/me/password"), ("POST", "/api/v1/me/phone"),
                         ("POST", "/api/v1/auth/logout"), ("GET", "/api/v1/me/identity")]:
        r = server.request(method, path, body={})
        assert r.status == 401, (method, path, r)
        assert r.json()["error"]["code"] == "NOT_LOGGED_IN"


# ---- personal centre -----------------------------------------------------------------

def test_edit_email_address_and_phone(server, db):
    c, cid = register(server, db, phone="13800000041")
    r = c.request("PATCH", "/api/v1/me", body={"email": "kao@example.cn", "address": "太原市小店区"})
    assert r.status == 200 and r.json() == {"email": "kao@example.cn", "address": "太原市小店区"}
    r = c.request("PATCH", "/api/v1/me", body={"email": "not-an-email"})
    assert r.status == 422 and r.json()["error"]["field"] == "email"
    r = c.request("PATCH", "/api/v1/me", body={})
    assert r.status == 422
    new = "13800000042"
    assert send_sms(c, new, "change_phone").status == 202
    r = c.post("/api/v1/me/phone", {"phone": new, "sms_code": sms_code(db, new, "change_phone")})
    assert r.status == 200 and r.json() == {"phone": "138****0042"}
    assert q(db, "SELECT phone FROM candidates WHERE id = %s", cid)[0][0] == new


def test_windows_are_public_and_say_whether_open(server, db):
    q(db, "UPDATE windows SET starts_at = now() - interval '1 day', ends_at = now() + "
          "interval '1 day' WHERE kind = 'graduation'")
    r = server.get("/api/v1/windows")
    assert r.status == 200
    items = {w["kind"]: w for w in r.json()["items"]}
    assert items["graduation"]["current"]["open"] is True
    assert items["graduation"]["name"] == "毕业申请"


# ---- enrolled candidates: activation -------------------------------------------------

def enrolled(db, idn, name="赵六", phone=None, exam_ids=("010512000077",)):
    cid = q(db, "INSERT INTO candidates (id_number, name, district, kind, phone) "
                "VALUES (%s, %s, '140105', 'enrolled', %s) RETURNING id", idn, name, phone)[0][0]
    for e in exam_ids:
        q(db, "INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES (%s, %s, 'imported') "
              "RETURNING 1", e, cid)
    return cid


def test_enrolled_candidate_activates_with_id_name_password_and_phone(server, db):
    idn = h.id_number(seq="600")
    cid = enrolled(db, idn)
    c = h.Client(server)
    _, r = login(server, idn, "whatever1")  # not activated: told like any wrong login
    assert r.status == 401 and r.json()["error"]["code"] == "LOGIN_FAILED"
    # Step 1 tells nothing: a wrong name gets a token like the right one ...
    r = c.post("/api/v1/auth/activate/check", {"id_number": idn, "name": "赵七",
                                               "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 200
    wrong = r.json()["activation_token"]
    phone = "13800000051"
    assert send_sms(c, phone, "activate").status == 202
    code = sms_code(db, phone, "activate")
    body = {"password": "abcd1234", "password_confirm": "abcd1234", "phone": phone,
            "sms_code": code}
    # ... and step 2, once the code proved the phone, says the name is wrong;
    r = c.post("/api/v1/auth/activate", dict(body, activation_token=wrong))
    assert r.status == 422 and r.json()["error"]["code"] == "IDENTITY_NOT_FOUND"
    # the corrected retry needs no new code.
    r = c.post("/api/v1/auth/activate/check", {"id_number": idn, "name": "赵六",
                                               "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 200
    r = c.post("/api/v1/auth/activate", dict(body, activation_token=r.json()["activation_token"]))
    assert r.status == 200 and r.json()["candidate"]["identity"] == "unverified"
    claim = r.json()["candidate"]["candidate_id"]
    assert claim != cid  # a claim of the record, reserving nothing until verified
    me = c.get("/api/v1/me").json()
    assert me["exam_ids"] == [] and me["identity"]["state"] == "not_started"
    r = c.get("/api/v1/me/scores")
    assert r.status == 403 and r.json()["error"]["code"] == "IDENTITY_REQUIRED"
    assert h.verify_account(db, claim) == cid  # the photos passed: the record is the account
    me = c.get("/api/v1/me").json()           # the same session follows it
    assert me["candidate_id"] == cid and me["exam_ids"] == ["010512000077"]
    assert me["identity"]["state"] == "verified"
    assert c.get("/api/v1/me/scores").status == 200
    _, r = login(server, "010512000077", "abcd1234")
    assert r.status == 200 and r.json()["candidate"]["candidate_id"] == cid
    time.sleep(2.1)  # the resend interval
    r = c.post("/api/v1/auth/activate/check", {"id_number": idn, "name": "赵六",
                                               "captcha_id": c.captcha(), "captcha": CAPTCHA})
    token = r.json()["activation_token"]
    assert send_sms(c, "13800000052", "activate").status == 202
    r = c.post("/api/v1/auth/activate", {
        "activation_token": token, "password": "abcd1234", "password_confirm": "abcd1234",
        "phone": "13800000052", "sms_code": sms_code(db, "13800000052", "activate")})
    assert r.status == 409 and r.json()["error"]["code"] == "ALREADY_ACTIVATED"


# ---- recovery -------------------------------------------------------------------------

def test_forgot_exam_id_lists_the_exam_ids(server, db):
    idn = h.id_number(seq="700")
    cid = enrolled(db, idn, name="钱七", phone="13800000061",
                   exam_ids=("010512000088", "010512000099"))
    h.verify_account(db, cid, "manual")
    c = h.Client(server)
    assert send_sms(c, "13800000061", "forgot_exam_id").status == 202
    code = sms_code(db, "13800000061", "forgot_exam_id")
    r = c.post("/api/v1/auth/recover/exam-id", {"id_number": idn, "name": "钱七",
                                                "phone": "13800000061", "sms_code": code})
    assert r.status == 200
    items = r.json()["exam_ids"]
    assert [i["exam_id"] for i in items] == ["010512000088", "010512000099"]
    assert items[0]["name"] == "钱*" and items[0]["id_number"] == idn[:4] + "*" * 10 + idn[-4:]


def test_forgot_exam_id_keeps_the_code_through_a_wrong_detail(server, db):
    idn = h.id_number(seq="702")
    cid = enrolled(db, idn, name="孙八", phone="13800000062", exam_ids=("010512000066",))
    c = h.Client(server)
    assert send_sms(c, "13800000062", "forgot_exam_id").status == 202
    code = sms_code(db, "13800000062", "forgot_exam_id")
    body = {"id_number": idn, "name": "孙八", "phone": "13800000062", "sms_code": code}
    r = c.post("/api/v1/auth/recover/exam-id", body)  # records' phone, never verified: no
    assert r.status == 422 and r.json()["error"]["code"] == "IDENTITY_NOT_FOUND"
    r = c.post("/api/v1/auth/recover/exam-id", dict(body, name="孙九"))  # a typo
    assert r.status == 422 and r.json()["error"]["code"] == "IDENTITY_NOT_FOUND"
    h.verify_account(db, cid, "manual")
    r = c.post("/api/v1/auth/recover/exam-id", body)  # the same code, corrected
    assert r.status == 200 and [i["exam_id"] for i in r.json()["exam_ids"]] == ["010512000066"]
    r = c.post("/api/v1/auth/recover/exam-id", body)
    assert r.status == 422 and r.json()["error"]["code"] == "SMS_CODE_EXPIRED"  # used once


def test_forgot_password_sets_a_new_one_and_ends_sessions(server, db):
    idn = h.id_number(seq="701")
    a, cid = register(server, db, idn=idn, phone="13800000071")
    h.verify_account(db, cid)  # issues the exam ID
    exam_id = q(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", cid)[0][0]
    c = h.Client(server)
    time.sleep(2.1)  # the resend interval is per phone, whatever the purpose
    assert send_sms(c, "13800000071", "reset_password").status == 202
    code = sms_code(db, "13800000071", "reset_password")
    r = c.post("/api/v1/auth/recover/password", {
        "id_number": idn, "exam_id": "000000000000", "phone": "13800000071", "sms_code": code,
        "password": "reset9999", "password_confirm": "reset9999"})
    assert r.status == 422 and r.json()["error"]["code"] == "IDENTITY_NOT_FOUND"
    assert "仍可使用" in r.json()["error"]["message"]
    # The wrong detail did not use the code up: the corrected retry takes it.
    r = c.post("/api/v1/auth/recover/password", {
        "id_number": idn, "exam_id": exam_id, "phone": "13800000071", "sms_code": code,
        "password": "reset9999", "password_confirm": "reset9999"})
    assert r.status == 200
    assert a.get("/api/v1/me").status == 401  # ended before the answer
    r = c.post("/api/v1/auth/recover/password", {  # used once
        "id_number": idn, "exam_id": exam_id, "phone": "13800000071", "sms_code": code,
        "password": "reset9999", "password_confirm": "reset9999"})
    assert r.status == 422 and r.json()["error"]["code"] == "SMS_CODE_EXPIRED"
    _, r = login(server, idn, "reset9999")
    assert r.status == 200
