"""Accounts under attack: a login lockout nobody can race or turn into a
weapon, answers that do not tell whether an account exists, registrations and
activations that cannot squat someone else's ID number, SMS codes that hold
their limit under parallel guesses and survive a mistyped detail, and a
password change that ends the other sessions before it answers."""
import hashlib
import threading
import time

import pytest

import zikao_harness as h

CAPTCHA = "TEST7"
MAX_FAILURES = 5
ENV = {
    "ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": CAPTCHA,
    "ZIKAO_AUTH_SMS_RESEND_SECONDS": "1",
    "ZIKAO_AUTH_LOCKOUT_SECONDS": "600",
    "ZIKAO_AUTH_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
    "ZIKAO_AUTH_LOGIN_PER_IP_MINUTE": "1000",
    "ZIKAO_AUTH_CAPTCHA_PER_IP_MINUTE": "1000",
    "ZIKAO_AUTH_SMS_PER_IP_HOUR": "1000",
    "ZIKAO_AUTH_ARGON2_MEMLIMIT_KIB": "8192",  # fast enough for tests; production keeps 19 MiB
}
KNOWN = 'zikao_login_password_checks_total{account="known"}'
UNKNOWN = 'zikao_login_password_checks_total{account="unknown"}'


@pytest.fixture
def server(make_server):
    return make_server(env=ENV)


def send_sms(c, phone, purpose):
    r = c.post("/api/v1/sms/send", {"phone": phone, "purpose": purpose,
                                    "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 202, r
    return r


def register(server, db, idn, phone, password="abcd1234", name="张三"):
    c = h.Client(server)
    send_sms(c, phone, "register")
    r = c.post("/api/v1/auth/register", {
        "id_number": idn, "name": name, "password": password, "password_confirm": password,
        "district": "140105", "phone": phone, "sms_code": h.sms_code(db, phone, "register")})
    assert r.status == 201, r
    return c, r.json()["candidate"]["candidate_id"]


def activate(server, db, idn, name, phone, password="abcd1234"):
    c = h.Client(server)
    r = c.post("/api/v1/auth/activate/check", {"id_number": idn, "name": name,
                                               "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 200, r
    token = r.json()["activation_token"]
    send_sms(c, phone, "activate")
    r = c.post("/api/v1/auth/activate", {
        "activation_token": token, "password": password, "password_confirm": password,
        "phone": phone, "sms_code": h.sms_code(db, phone, "activate")})
    return c, r


def login(server, login_id, password, client=None):
    c = client or h.Client(server)
    r = c.post("/api/v1/auth/login", {"login": login_id, "password": password,
                                      "captcha_id": c.captcha(), "captcha": CAPTCHA})
    return c, r


def enrolled(db, idn, name, exam_id):
    cid = h.q1(db, "INSERT INTO candidates (id_number, name, district, kind) VALUES "
                   "(%s, %s, '140105', 'enrolled') RETURNING id", idn, name)
    h.q(db, "INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES (%s, %s, 'imported')",
        exam_id, cid)
    return cid


def untrusted_checks(redis_server, idn):
    """The count of password checks from clients the person never used."""
    person = hashlib.sha256(b"person|" + idn.encode()).hexdigest()[:32]
    v = redis_server.client().get(f"zikao:login:{person}:any")
    return int(v) if v else 0


# ---- the lockout cannot be raced ------------------------------------------------------------

def burst_logins(server, login_id, passwords, last=None, before_last=None):
    """Sends one login per password at once, each on its own connection with
    its own captcha; `last` is sent once before_last() holds, while the burst
    is still arriving. Returns the answers in the order of `passwords` (+ last)."""
    clients = [h.Client(server) for _ in passwords]
    captchas = [c.captcha() for c in clients]
    answers = [None] * len(passwords)
    go = threading.Barrier(len(passwords) + 1)

    def one(i):
        go.wait()
        answers[i] = clients[i].post("/api/v1/auth/login", {
            "login": login_id, "password": passwords[i], "captcha_id": captchas[i],
            "captcha": CAPTCHA})

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(passwords))]
    for t in threads:
        t.start()
    last_client = h.Client(server)
    last_captcha = last_client.captcha() if last else None
    go.wait()
    last_answer = None
    if last:
        h.wait_until(before_last, timeout=20, step=0.002, what="the burst counted")
        last_answer = last_client.post("/api/v1/auth/login", {
            "login": login_id, "password": last, "captcha_id": last_captcha,
            "captcha": CAPTCHA})
    for t in threads:
        t.join(30)
    return answers, last_answer


def test_fifty_parallel_logins_check_at_most_max_failures_passwords(server, db, redis_server):
    idn = h.id_number(seq="811")
    _, cid = register(server, db, idn, "13800001101")
    h.verify_account(db, cid)
    checks_before = h.metric(server, KNOWN)
    answers, right = burst_logins(
        server, idn, ["wrongpass%d" % i for i in range(49)], last="abcd1234",
        before_last=lambda: untrusted_checks(redis_server, idn) >= MAX_FAILURES)
    assert h.metric(server, KNOWN) - checks_before == MAX_FAILURES
    assert untrusted_checks(redis_server, idn) == MAX_FAILURES
    codes = [a.json()["error"]["code"] for a in answers]
    assert codes.count("LOGIN_FAILED") == MAX_FAILURES - 1
    assert codes.count("ACCOUNT_LOCKED") == 49 - (MAX_FAILURES - 1)
    # The right password, sent while the burst was arriving, is refused too.
    assert right.status == 403 and right.json()["error"]["code"] == "ACCOUNT_LOCKED"
    assert "锁定至" in right.json()["error"]["message"]
    assert h.metric(server, KNOWN) - checks_before == MAX_FAILURES


def test_a_stranger_locking_the_account_does_not_lock_out_its_owner(server, db, redis_server):
    idn = h.id_number(seq="812")
    _, cid = register(server, db, idn, "13800001102")
    h.verify_account(db, cid)
    owner, r = login(server, idn, "abcd1234")  # the owner's browser, remembered from now on
    assert r.status == 200 and "zikao_device" in owner.cookies
    for i in range(MAX_FAILURES):               # someone with a list of ID numbers
        _, r = login(server, idn, "guess%04d" % i)
    assert r.status == 403 and r.json()["error"]["code"] == "ACCOUNT_LOCKED"
    _, r = login(server, idn, "abcd1234")       # any other browser waits
    assert r.status == 403 and r.json()["error"]["code"] == "ACCOUNT_LOCKED"
    _, r = login(server, idn, "abcd1234", client=owner)  # the owner's does not
    assert r.status == 200
    # The owner's own browser has its own budget: typos there lock only it.
    for i in range(MAX_FAILURES):
        _, r = login(server, idn, "typo%04d" % i, client=owner)
    assert r.json()["error"]["code"] == "ACCOUNT_LOCKED"
    # A recovery by SMS lifts the lock for the browser it was made from.
    exam_id = h.q1(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", cid)
    time.sleep(1.1)  # the resend interval
    send_sms(owner, "13800001102", "reset_password")
    r = owner.post("/api/v1/auth/recover/password", {
        "id_number": idn, "exam_id": exam_id, "phone": "13800001102", "password": "newpass77",
        "password_confirm": "newpass77",
        "sms_code": h.sms_code(db, "13800001102", "reset_password")})
    assert r.status == 200
    _, r = login(server, idn, "newpass77", client=owner)
    assert r.status == 200


# ---- unknown and known accounts answer alike ---------------------------------------------

def test_unknown_known_and_unactivated_logins_get_the_same_answer_and_work(server, db):
    known = h.id_number(seq="821")
    register(server, db, known, "13800001201")
    unactivated = h.id_number(seq="822")
    enrolled(db, unactivated, "赵六", "010512000821")
    unknown = h.id_number(seq="823")
    answers = {}
    for name, login_id in [("known", known), ("unknown", unknown), ("unactivated", unactivated),
                           ("unknown exam ID", "010599999999")]:
        k0, u0 = h.metric(server, KNOWN), h.metric(server, UNKNOWN)
        _, r = login(server, login_id, "wrongpass1")
        answers[name] = (r.status, r.json())
        # Exactly one password check each: a real one, or the same work for nobody.
        assert (h.metric(server, KNOWN) - k0) + (h.metric(server, UNKNOWN) - u0) == 1, name
    assert len({repr(a) for a in answers.values()}) == 1, answers
    status, body = answers["known"]
    assert status == 401 and body["error"]["field"] == "password"
    assert f"再错 {MAX_FAILURES - 1} 次" in body["error"]["message"]
    # Unknown identifiers are counted and locked like accounts are.
    for i in range(MAX_FAILURES - 1):
        _, r = login(server, unknown, "wrongpass1")
    assert r.status == 403 and r.json()["error"]["code"] == "ACCOUNT_LOCKED"


def test_activation_check_tells_nothing_before_the_sms_code(server, db):
    idn = h.id_number(seq="831")
    enrolled(db, idn, "赵六", "010512000831")
    shapes = set()
    for who, name in [(idn, "赵六"), (idn, "赵七"), (h.id_number(seq="832"), "赵六")]:
        c = h.Client(server)
        r = c.post("/api/v1/auth/activate/check", {"id_number": who, "name": name,
                                                   "captcha_id": c.captcha(), "captcha": CAPTCHA})
        assert r.status == 200
        shapes.add(tuple(sorted(r.json())))
    assert shapes == {("activation_token", "expires_in")}


def test_registration_says_an_id_number_is_taken_only_after_the_sms_code(server, db):
    idn = h.id_number(seq="841")
    _, cid = register(server, db, idn, "13800001401")
    h.verify_account(db, cid)
    c = h.Client(server)
    send_sms(c, "13800001402", "register")
    body = {"id_number": idn, "name": "李四", "password": "abcd1234",
            "password_confirm": "abcd1234", "district": "140105", "phone": "13800001402"}
    r = c.post("/api/v1/auth/register", dict(body, sms_code="000000"))
    assert r.status == 422 and r.json()["error"]["field"] == "sms_code"
    r = c.post("/api/v1/auth/register",
               dict(body, sms_code=h.sms_code(db, "13800001402", "register")))
    assert r.status == 409 and r.json()["error"]["code"] == "ID_NUMBER_REGISTERED"


# ---- nobody can squat an ID number ---------------------------------------------------------

def test_a_registration_of_someone_elses_id_number_loses_to_the_owners(server, db):
    idn = h.id_number(seq="851")
    squatter, squat = register(server, db, idn, "13800001501", password="squat1234",
                               name="冒名")
    r = squatter.get("/api/v1/me/orders")  # an unverified claim does no business
    assert r.status == 403 and r.json()["error"]["code"] == "IDENTITY_REQUIRED"
    owner, mine = register(server, db, idn, "13800001502", password="owner1234")  # not 409
    assert mine != squat
    assert h.verify_account(db, mine) == mine  # the owner's photos pass
    assert owner.get("/api/v1/me/orders").status == 200
    me = owner.get("/api/v1/me").json()
    assert me["identity"]["state"] == "verified" and len(me["exam_ids"]) == 1
    r = squatter.get("/api/v1/me")  # the squatter's session ended
    assert r.status == 401 and r.json()["error"]["code"] == "SESSION_ENDED"
    assert h.q(db, "SELECT phone, password_hash, superseded_at IS NOT NULL FROM candidates "
                   "WHERE id = %s", squat) == [(None, None, True)]
    _, r = login(server, idn, "squat1234")
    assert r.status == 401
    _, r = login(server, idn, "owner1234")
    assert r.status == 200 and r.json()["candidate"]["candidate_id"] == mine
    # A squatter who verifies later changes nothing.
    assert h.verify_account(db, squat) is None


def test_an_activation_by_someone_else_loses_to_the_owners(server, db):
    idn = h.id_number(seq="852")
    record = enrolled(db, idn, "钱七", "010512000852")
    squatter, r = activate(server, db, idn, "钱七", "13800001511", password="squat1234")
    assert r.status == 200
    squat = r.json()["candidate"]["candidate_id"]
    assert squatter.get("/api/v1/me").json()["exam_ids"] == []  # nothing of the record shows
    assert squatter.get("/api/v1/me/scores").status == 403
    time.sleep(1.1)  # the resend interval
    owner, r = activate(server, db, idn, "钱七", "13800001512", password="owner1234")
    assert r.status == 200  # not ALREADY_ACTIVATED: the squatter reserved nothing
    mine = r.json()["candidate"]["candidate_id"]
    assert h.verify_account(db, mine) == record
    me = owner.get("/api/v1/me").json()
    assert me["candidate_id"] == record and me["exam_ids"] == ["010512000852"]
    assert me["phone"] == "138****1512"
    assert squatter.get("/api/v1/me").status == 401
    _, r = login(server, "010512000852", "squat1234")
    assert r.status == 401
    _, r = login(server, "010512000852", "owner1234")
    assert r.status == 200 and r.json()["candidate"]["candidate_id"] == record
    # The squatter's phone no longer recovers anything.
    c = h.Client(server)
    send_sms(c, "13800001511", "forgot_exam_id")
    r = c.post("/api/v1/auth/recover/exam-id", {
        "id_number": idn, "name": "钱七", "phone": "13800001511",
        "sms_code": h.sms_code(db, "13800001511", "forgot_exam_id")})
    assert r.status == 422


def test_registering_again_from_the_same_phone_replaces_ones_own_claim(server, db):
    idn = h.id_number(seq="853")
    first, a = register(server, db, idn, "13800001521", password="first1234")
    time.sleep(1.1)
    second, b = register(server, db, idn, "13800001521", password="second1234")
    assert a == b  # the same claim, with the new password; the old session ended
    assert first.get("/api/v1/me").status == 401
    _, r = login(server, idn, "first1234")
    assert r.status == 401
    _, r = login(server, idn, "second1234")
    assert r.status == 200


def test_claims_on_one_id_number_are_bounded(server, db):
    idn = h.id_number(seq="854")
    for i in range(3):
        register(server, db, idn, "1380000153%d" % i)
    c = h.Client(server)
    send_sms(c, "13800001539", "register")
    r = c.post("/api/v1/auth/register", {
        "id_number": idn, "name": "张三", "password": "abcd1234", "password_confirm": "abcd1234",
        "district": "140105", "phone": "13800001539",
        "sms_code": h.sms_code(db, "13800001539", "register")})
    assert r.status == 409 and r.json()["error"]["code"] == "CLAIMS_FULL"


# ---- SMS codes ------------------------------------------------------------------------------

def test_parallel_sms_guesses_get_at_most_five_tries(server, db):
    phone = "13800001601"
    c = h.Client(server)
    send_sms(c, phone, "register")
    good = h.sms_code(db, phone, "register")
    wrong = "000000" if good != "000000" else "111111"
    body = {"id_number": h.id_number(seq="861"), "name": "王五", "password": "abcd1234",
            "password_confirm": "abcd1234", "district": "140105", "phone": phone,
            "sms_code": wrong}
    answers = []
    go = threading.Barrier(12)

    def guess():
        go.wait()
        answers.append(h.Client(server).post("/api/v1/auth/register", body))

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    codes = sorted(a.json()["error"]["code"] for a in answers)
    assert codes.count("SMS_CODE_WRONG") == 5 and codes.count("SMS_CODE_LOCKED") == 7
    r = c.post("/api/v1/auth/register", dict(body, sms_code=good))
    assert r.status == 422 and r.json()["error"]["code"] == "SMS_CODE_LOCKED"


# ---- a password change ends the other sessions before it answers ----------------------------

def test_after_a_password_change_no_other_session_passes(server, db):
    idn = h.id_number(seq="871")
    a, cid = register(server, db, idn, "13800001701", password="pass0000a")
    h.verify_account(db, cid)
    password = "pass0000a"
    for i in range(10):  # (ten changes an hour at most)
        b, r = login(server, idn, password)
        assert r.status == 200
        new = "pass%04da" % (i + 1)
        r = a.post("/api/v1/me/password", {"old_password": password, "password": new,
                                           "password_confirm": new})
        assert r.status == 200
        assert b.get("/api/v1/me/orders").status == 401, f"trial {i}"
        assert a.get("/api/v1/me/orders").status == 200
        password = new
