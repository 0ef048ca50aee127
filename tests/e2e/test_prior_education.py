"""Prior-education authorisation (学信网): a candidate's QR code, the provider's
signed notifications stored once and applied once by the chsi worker, the
record kept only when name, ID number and gender equal the candidate's
exactly, and the built-in simulator playing the phone app and the provider -
with real PostgreSQL, Redis, zikao-server and the chsi worker. The worker
writes the simulator's keys on start; notifications are also signed here
with them (the `cryptography` package), forged ones with a key of our own."""
import base64
import json
import os
import re
import urllib.parse
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import zikao_harness as h
from zikao_harness import q, q1

ME = "/api/v1/me/prior-education"
NEW = "/api/v1/me/prior-education/authorisations"
NOTIFY = "/api/v1/prior-education/chsi/notify"
CONTACT = "请尽早联系所属县（市、区）招办线下办理"


# ---- fixtures and helpers ------------------------------------------------------------------

@pytest.fixture
def keydir(tmpdir_path):
    return os.path.join(tmpdir_path, "chsi-keys")


@pytest.fixture
def pserver(make_server, keydir):
    return make_server(env={"ZIKAO_CHSI_KEY_DIR": keydir})


@pytest.fixture
def pworker(make_worker, keydir):
    """The chsi worker (it writes the simulator's keys into keydir on start)."""
    return make_worker("chsi", 2, {"ZIKAO_CHSI_KEY_DIR": keydir})


class Candidate:
    """A verified candidate with a session (POST /api/v1/_test/session)."""

    def __init__(self, server, db, name="王小明", seq="135", gender="男", identity="verified"):
        self.id_number = h.id_number("140105", "19900307", seq)
        self.name = name
        self.id = q1(db, "INSERT INTO candidates (id_number, name, gender, district, kind, "
                         "identity) VALUES (%s, %s, %s, '140105', 'new', %s) RETURNING id",
                     self.id_number, name, gender, identity)
        r = server.request("POST", "/api/v1/_test/session", body={"candidate_id": self.id})
        assert r.status == 201, r
        self.server = server
        self.cookie = r.header("Set-Cookie").split(";", 1)[0]
        self.csrf = r.json()["csrf_token"]

    def get(self, path):
        return self.server.request("GET", path, headers={"Cookie": self.cookie})

    def post(self, path, body=None, csrf=True):
        hd = {"Cookie": self.cookie}
        if csrf:
            hd["X-CSRF-Token"] = self.csrf
        return self.server.request("POST", path, body=body if body is not None else {},
                                   headers=hd)

    def authorise(self):
        r = self.post(NEW)
        assert r.status == 201, r
        return r.json()

    def state(self):
        r = self.get(ME)
        assert r.status == 200, r
        return r.json()

    def wait_state(self, state, timeout=20):
        got = {}

        def reached():
            got["s"] = self.state()
            return got["s"]["state"] == state
        h.wait_until(reached, timeout=timeout, step=0.1, what=f"prior-education state {state}")
        return got["s"]


def path_of(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def scan(server, qr):
    """The phone app opens the QR code's link (the simulator's page)."""
    r = server.get(path_of(qr))
    assert r.status == 200, r
    return r.body.decode()


def confirm(server, page, **changes):
    """Presses 确认授权 on the simulator's page, with fields changed as given
    (name=..., id_number=..., gender=..., replay="1", after_expiry="1")."""
    form = dict(re.findall(r'<input (?:type="hidden" )?name="([a-z_]+)" value="([^"]*)">', page))
    form["gender"] = re.search(r"<option selected>(.)</option>", page).group(1)
    form.update(changes)
    r = server.request("POST", "/sim/chsi/authorise", body=urllib.parse.urlencode(form).encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200 and "已确认授权" in r.body.decode(), r
    return r.body.decode()


def private_key(keydir):
    with open(os.path.join(keydir, "chsi_private.pem"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def signed_post(server, key, body, content_type="application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    sig = base64.b64encode(key.sign(raw, padding.PKCS1v15(), hashes.SHA256())).decode()
    return server.request("POST", NOTIFY, body=raw,
                          headers={"Content-Type": content_type, "Chsi-Signature": sig})


def notice(token, event="authorised", record=None, notify_id=None):
    n = {"notify_id": notify_id or uuid.uuid4().hex, "app_id": "zikao-dev", "event": event,
         "token": token, "sent_at": "2026-11-20T10:00:00+08:00"}
    if event == "authorised":
        n["record"] = record
    return n


def record_of(c, **changes):
    rec = {"name": c.name, "id_number": c.id_number, "gender": "男", "school": "山西大学",
           "level": "专科", "major": "法学", "graduated_on": "2015-07-01",
           "certificate_no": "101081201505001234"}
    rec.update(changes)
    return rec


def verified_in_db(db, c):
    return q1(db, "SELECT prior_education_verified(%s)", c.id)


# ---- the happy path ------------------------------------------------------------------------

def test_a_candidate_authorised_through_the_simulator_is_verified_and_sees_the_record_masked(
        pserver, pworker, db):
    c = Candidate(pserver, db)
    auth = c.authorise()
    assert auth["qr"] == (f"http://127.0.0.1:{pserver.port}/sim/chsi/authorise"
                          f"?app_id=zikao-dev&token={auth['token']}")
    assert re.fullmatch(r"[0-9a-f]{64}", auth["token"])
    assert c.state()["state"] == "waiting"

    page = scan(pserver, auth["qr"])
    assert c.wait_state("scanned")["state_title"] == "已扫码，待确认授权"
    confirm(pserver, page)
    s = c.wait_state("verified")

    assert s["verified"] is True and verified_in_db(db, c) is True
    assert s["state_title"] == "已完成授权" and "查看已验证学历信息" in s["next_step"]
    assert s["record"] == {"name": "王小明", "id_number": c.id_number[:4] + "*" * 10 +
                           c.id_number[-4:], "gender": "男", "school": "山西大学",
                           "level": "专科", "major": "法学", "graduated_on": "2015-07-01",
                           "certificate_no": "101081201505001234",
                           "verified_at": s["record"]["verified_at"]}
    assert c.id_number not in json.dumps(s, ensure_ascii=False)


# ---- mismatches ----------------------------------------------------------------------------

@pytest.mark.parametrize("field,value,label", [
    ("name", "王晓明", "姓名"),
    ("id_number", h.id_number("140105", "19900307", "137"), "身份证号"),
    ("gender", "女", "性别"),
])
def test_a_record_differing_in_one_detail_is_a_mismatch_that_names_it_and_sends_to_the_district(
        pserver, pworker, db, field, value, label):
    c = Candidate(pserver, db)
    page = scan(pserver, c.authorise()["qr"])
    confirm(pserver, page, **{field: value})
    s = c.wait_state("mismatch")

    assert s["request"]["mismatch"] == [{"field": field, "label": label}]
    assert f"学信网学历信息中的{label}与本人报考信息不一致" in s["next_step"]
    assert CONTACT in s["next_step"] and "小店区" in s["next_step"]
    assert s["verified"] is False and s["record"] is None
    assert verified_in_db(db, c) is False


def test_another_candidates_token_cannot_authorise_this_candidate(pserver, pworker, db):
    alice = Candidate(pserver, db, name="张三", seq="135")
    bob = Candidate(pserver, db, name="李四", seq="157")
    page = scan(pserver, alice.authorise()["qr"])
    # Bob authorises Alice's QR code with his own 学信网 account.
    confirm(pserver, page, name=bob.name, id_number=bob.id_number)

    s = alice.wait_state("mismatch")
    assert [m["field"] for m in s["request"]["mismatch"]] == ["name", "id_number"]
    assert bob.state()["state"] == "none" and bob.state()["record"] is None
    assert verified_in_db(db, alice) is False and verified_in_db(db, bob) is False
    assert q1(db, "SELECT count(*) FROM prior_education_records") == 0


# ---- the provider's notifications ----------------------------------------------------------

def test_a_notification_with_a_bad_signature_is_refused_and_changes_nothing(pserver, pworker,
                                                                            db):
    c = Candidate(pserver, db)
    token = c.authorise()["token"]
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    r = signed_post(pserver, forger, notice(token, record=record_of(c)))

    assert r.status == 401 and r.json()["error"]["code"] == "SIGNATURE_INVALID", r
    assert q1(db, "SELECT count(*) FROM prior_education_callbacks") == 0
    assert c.state()["state"] == "waiting" and verified_in_db(db, c) is False


def test_a_notification_without_a_signature_is_refused(pserver, db):
    c = Candidate(pserver, db)
    token = c.authorise()["token"]
    r = pserver.request("POST", NOTIFY, body=notice(token, record=record_of(c)))
    assert r.status == 401 and r.json()["error"]["code"] == "SIGNATURE_MISSING", r
    assert q1(db, "SELECT count(*) FROM prior_education_callbacks") == 0


def test_the_same_notification_delivered_twice_is_applied_once(pserver, pworker, db):
    c = Candidate(pserver, db)
    page = scan(pserver, c.authorise()["qr"])
    confirm(pserver, page, replay="1")  # the simulator sends it twice
    c.wait_state("verified")
    h.wait_until(lambda: q1(db, "SELECT deliveries FROM chsi_sim_notices WHERE event = "
                                "'authorised'") == 2, timeout=20, what="both deliveries")

    rows = q(db, "SELECT outcome FROM prior_education_callbacks WHERE event = 'authorised'")
    assert rows == [("verified",)]
    assert q1(db, "SELECT last_status FROM chsi_sim_notices WHERE event = 'authorised'") == 200
    assert q1(db, "SELECT count(*) FROM jobs WHERE queue = 'chsi' AND payload->>'kind' = "
                  "'notice'") == 2  # scanned + authorised, nothing for the replay


def test_a_notification_replayed_after_it_was_applied_changes_nothing(pserver, pworker, db):
    c = Candidate(pserver, db)
    token = c.authorise()["token"]
    key = private_key(pserver.env["ZIKAO_CHSI_KEY_DIR"])
    n = notice(token, record=record_of(c))
    assert signed_post(pserver, key, n).status == 200
    c.wait_state("verified")
    verified_at = q1(db, "SELECT verified_at FROM prior_education_records")

    r = signed_post(pserver, key, n)

    assert r.status == 200 and r.json() == {"code": "SUCCESS"}, r
    assert q1(db, "SELECT count(*) FROM prior_education_callbacks") == 1
    assert q1(db, "SELECT verified_at FROM prior_education_records") == verified_at


def test_a_notification_for_an_expired_token_is_refused(pserver, pworker, db):
    c = Candidate(pserver, db)
    auth = c.authorise()
    q(db, "UPDATE prior_education_requests SET expires_at = now() - interval '1 second'")
    page = scan(pserver, auth["qr"])  # the app does not know: it still sends
    assert "已过期" in page
    confirm(pserver, page)

    h.wait_until(lambda: q1(db, "SELECT last_status FROM chsi_sim_notices WHERE event = "
                                "'authorised'") == 410, timeout=20, what="the refusal")
    s = c.state()
    assert s["state"] == "expired" and "重新点击“获取学信网二维码”" in s["next_step"]
    assert q1(db, "SELECT count(*) FROM prior_education_callbacks") == 0
    assert verified_in_db(db, c) is False


def test_a_new_qr_code_ends_the_one_before(pserver, pworker, db):
    c = Candidate(pserver, db)
    first = c.authorise()["token"]
    c.authorise()
    key = private_key(pserver.env["ZIKAO_CHSI_KEY_DIR"])

    r = signed_post(pserver, key, notice(first, record=record_of(c)))

    assert r.status == 410 and r.json()["error"]["code"] == "TOKEN_EXPIRED", r
    assert c.state()["state"] == "waiting"


@pytest.mark.parametrize("body,status,code,field", [
    (b"{not json", 400, "NOTICE_MALFORMED", None),
    ("no-gender", 400, "NOTICE_MALFORMED", "record.gender"),
    ("other-app", 400, "NOTICE_MALFORMED", "app_id"),
    ("unknown-token", 404, "TOKEN_UNKNOWN", "token"),
])
def test_a_malformed_notification_is_refused_naming_what_is_wrong(pserver, pworker, db, body,
                                                                  status, code, field):
    c = Candidate(pserver, db)
    token = c.authorise()["token"]
    key = private_key(pserver.env["ZIKAO_CHSI_KEY_DIR"])
    if body == "no-gender":
        rec = record_of(c)
        del rec["gender"]
        body = notice(token, record=rec)
    elif body == "other-app":
        body = dict(notice(token, record=record_of(c)), app_id="someone-else")
    elif body == "unknown-token":
        body = notice("ab" * 32, record=record_of(c))

    r = signed_post(pserver, key, body)

    assert r.status == status and r.json()["error"]["code"] == code, r
    assert r.json()["error"].get("field") == field
    assert q1(db, "SELECT count(*) FROM prior_education_callbacks") == 0


def test_a_notification_that_is_not_json_is_415(pserver, pworker, db):
    key = private_key(pserver.env["ZIKAO_CHSI_KEY_DIR"])
    r = signed_post(pserver, key, b"event=authorised", content_type="text/plain")
    assert r.status == 415, r


def test_an_oversized_notification_is_413_before_it_is_read(pserver, db):
    r = pserver.request("POST", NOTIFY, body=b"{" + b" " * 9000 + b"}",
                        headers={"Content-Type": "application/json", "Chsi-Signature": "x"})
    assert r.status == 413, r


# ---- the candidate's side ------------------------------------------------------------------

def test_without_a_login_the_authorisation_answers_401(pserver):
    assert pserver.request("POST", NEW, body={}).status == 401
    assert pserver.get(ME).status == 401


def test_an_account_whose_identity_is_not_verified_cannot_authorise(pserver, db):
    c = Candidate(pserver, db, identity="unverified")
    r = c.post(NEW)
    assert r.status == 403 and r.json()["error"]["code"] == "IDENTITY_REQUIRED", r


def test_asking_for_a_qr_code_needs_the_csrf_token(pserver, db):
    c = Candidate(pserver, db)
    r = c.post(NEW, csrf=False)
    assert r.status == 403 and r.json()["error"]["code"] == "CSRF_CHECK_FAILED", r
    assert q1(db, "SELECT count(*) FROM prior_education_requests") == 0


def test_qr_codes_beyond_the_hourly_limit_are_429(make_server, keydir, db):
    server = make_server(env={"ZIKAO_CHSI_KEY_DIR": keydir, "ZIKAO_CHSI_PER_HOUR": "2"})
    c = Candidate(server, db)
    c.authorise()
    c.authorise()
    r = c.post(NEW)
    assert r.status == 429 and r.json()["error"]["code"] == "RATE_LIMITED", r
    assert r.header("Retry-After") is not None


def test_before_any_qr_code_the_next_step_is_to_ask_for_one(pserver, db):
    s = Candidate(pserver, db).state()
    assert s["state"] == "none" and s["request"] is None and s["record"] is None
    assert "获取学信网二维码" in s["next_step"] and s["verified"] is False


def test_the_simulator_is_not_served_when_it_is_off(make_server, keydir):
    server = make_server(env={"ZIKAO_CHSI_KEY_DIR": keydir, "ZIKAO_CHSI_SIMULATOR": "false"})
    r = server.get("/sim/chsi/authorise?app_id=zikao-dev&token=" + "ab" * 32)
    assert r.status == 404, r
