"""The application engine through the API: one state machine per kind and
province (data), candidate steps only inside the window, drafts kept by the
server, a submit that happens once however often it is asked, the limits of
the province's rules, and a timeline with the next step. The tests use a
kind of their own, `trial`: graduation's state machines and fees without a
flow's checks (the graduation flow has its own tests, test_graduation.py)."""
import threading

import pytest

import zikao_harness as h


def candidate(db, verified=True):
    seq = "%03d" % (h.q1(db, "SELECT count(*) FROM candidates") + 300)
    return h.q1(db, "INSERT INTO candidates (id_number, name, district, kind, identity) VALUES "
                    "(%s, '张三', '140105', 'enrolled', %s) RETURNING id",
                h.id_number(seq=seq), "verified" if verified else "unverified")


def client(server, cid):
    c = h.Client(server)
    r = c.post("/api/v1/_test/session", {"candidate_id": cid})
    assert r.status == 201, r
    return c


def window(db, opens="-1 day", closes="+1 day", term="2026-2"):
    h.q(db, "DELETE FROM windows WHERE kind = 'graduation'")
    return h.q1(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
                    "('graduation', %s, '2026年下半年毕业申请', now() + %s::interval, "
                    "now() + %s::interval) RETURNING id", term, opens, closes)


def open_app(c):
    r = c.post("/api/v1/me/applications", {"kind": "trial"})
    assert r.status in (200, 201), r
    return r.json()


def staff(db, app_id, name, reason=None):
    """A staff member's decision (the staff queues make it through the same function)."""
    return h.q1(db, "SELECT (application_transition(%s, %s, 'staff', NULL, %s, NULL)).state",
                app_id, name, reason)


@pytest.fixture(autouse=True)
def trial_kind(db):
    """The kind `trial`: graduation's machines, rules and fees, no flow; its
    Shanxi submit goes straight to the review (no graduation photo)."""
    h.q(db, "INSERT INTO application_kinds (kind, window_kind, title) VALUES ('trial', "
            "'graduation', '试用申请') ON CONFLICT DO NOTHING")
    if h.q1(db, "SELECT count(*) FROM application_states WHERE kind = 'trial'"):
        return
    for table, cols in [("application_rules", "province, pays, per_window, cancels, reviews"),
                        ("application_states", "province, state, title, open, next"),
                        ("application_transitions",
                         "province, name, from_state, to_state, actor, title")]:
        h.q(db, f"INSERT INTO {table} (kind, {cols}) SELECT 'trial', {cols} FROM {table} "
                "WHERE kind = 'graduation'")
    h.q(db, "UPDATE application_transitions SET to_state = 'reviewing' WHERE kind = 'trial' "
            "AND province = 'shanxi' AND name = 'submit'")
    h.q(db, "INSERT INTO order_purposes (purpose, description, on_paid) VALUES ('trial', "
            "'test kind', 'application_order_paid') ON CONFLICT DO NOTHING")
    h.q(db, "INSERT INTO fee_catalogue (province, fee_type, name, amount_fen, refundable) "
            "SELECT province, 'trial', name, amount_fen, refundable FROM fee_catalogue "
            "WHERE fee_type = 'graduation' ON CONFLICT DO NOTHING")


@pytest.fixture
def server(make_server):
    return make_server()


def test_an_application_opens_only_in_its_window_and_says_when(server, db):
    c = client(server, candidate(db))
    h.q(db, "DELETE FROM windows WHERE kind = 'graduation'")
    r = c.post("/api/v1/me/applications", {"kind": "trial"})
    assert r.status == 403 and r.json()["error"]["code"] == "WINDOW_CLOSED"
    assert "没有安排" in r.json()["error"]["message"]
    window(db, opens="+2 days", closes="+9 days")
    r = c.post("/api/v1/me/applications", {"kind": "trial"})
    assert r.status == 403 and "2026年下半年毕业申请的时间为" in r.json()["error"]["message"]
    window(db)
    r = c.post("/api/v1/me/applications", {"kind": "trial"})
    assert r.status == 201
    app = r.json()
    assert app["state"] == "draft" and app["state_title"] == "草稿" and app["seq"] == 1
    assert "提交后不能再修改" in app["next_step"]
    assert [a["name"] for a in app["actions"]] == ["cancel", "submit"]
    r = c.post("/api/v1/me/applications", {"kind": "trial"})  # the same one, again
    assert r.status == 200 and r.json()["id"] == app["id"]
    r = c.post("/api/v1/me/applications", {"kind": "teleport"})
    assert r.status == 422 and r.json()["error"]["code"] == "APPLICATION_KIND_UNKNOWN"


def test_a_draft_is_kept_by_the_server_and_a_stale_save_is_refused(server, db):
    c = client(server, candidate(db))
    window(db)
    app = open_app(c)
    path = f"/api/v1/me/applications/{app['id']}"
    r = c.request("PUT", path + "/draft", body={"version": app["version"],
                                                "data": {"district": "140105", "address": "太原"}})
    assert r.status == 200 and r.json()["data"]["address"] == "太原"
    saved = r.json()["version"]
    again = client(server, h.q1(db, "SELECT candidate_id FROM applications WHERE id = %s",
                                app["id"]))  # another browser of the same person
    assert again.get(path).json()["data"] == {"district": "140105", "address": "太原"}
    r = c.request("PUT", path + "/draft", body={"version": app["version"], "data": {}})
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_CHANGED"
    r = c.request("PUT", path + "/draft", body={"version": saved, "data": "x"})
    assert r.status == 422 and r.json()["error"]["field"] == "data"
    r = c.request("PUT", path + "/draft", body={"version": saved,
                                                "data": {"x": "长" * 30000}})  # 90 KB
    assert r.status == 413


def test_submit_happens_once_however_often_it_is_asked_and_ends_editing(server, db):
    c = client(server, candidate(db))
    window(db)
    app = open_app(c)
    path = f"/api/v1/me/applications/{app['id']}"
    answers = []

    def submit():
        answers.append(c.post(path + "/submit"))

    threads = [threading.Thread(target=submit) for _ in range(5)]  # a double click, and more
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert [a.status for a in answers] == [200] * 5, answers
    body = c.get(path).json()
    assert body["state"] == "reviewing" and body["submitted_at"]
    assert [e["transition"] for e in body["timeline"]] == ["create", "submit"]
    assert body["timeline"][1]["title"] == "提交申请"
    assert "等待审核" in body["next_step"] and body["actions"] == []
    r = c.request("PUT", path + "/draft", body={"version": body["version"], "data": {}})
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_WRONG_STATE"


def test_a_candidate_cannot_make_a_staff_decision_nor_an_unknown_one(server, db):
    c = client(server, candidate(db))
    window(db)
    app = open_app(c)
    path = f"/api/v1/me/applications/{app['id']}"
    assert c.post(path + "/submit").status == 200
    r = c.post(path + "/approve")
    assert r.status == 403 and r.json()["error"]["code"] == "ACTION_NOT_YOURS"
    r = c.post(path + "/fly")
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_WRONG_STATE"
    r = c.post(path + "/Sub-mit")
    assert r.status == 404 and r.json()["error"]["code"] == "ACTION_UNKNOWN"
    assert staff(db, app["id"], "approve") == "approved"


def test_the_window_gates_candidate_steps_never_staff_ones(server, db):
    c = client(server, candidate(db))
    w = window(db)
    app = open_app(c)
    path = f"/api/v1/me/applications/{app['id']}"
    h.q(db, "UPDATE windows SET ends_at = now() - interval '1 minute', starts_at = now() - "
            "interval '2 days' WHERE id = %s", w)
    r = c.post(path + "/submit")
    assert r.status == 403 and r.json()["error"]["code"] == "WINDOW_CLOSED"
    r = c.request("PUT", path + "/draft", body={"version": app["version"], "data": {"a": 1}})
    assert r.status == 403
    h.q(db, "UPDATE windows SET ends_at = now() + interval '1 day' WHERE id = %s", w)
    assert c.post(path + "/submit").status == 200
    h.q(db, "UPDATE windows SET ends_at = now() - interval '1 minute' WHERE id = %s", w)
    assert staff(db, app["id"], "refuse", "成绩未达到毕业要求") == "refused"  # after the window
    body = c.get(path).json()
    assert body["state"] == "refused" and body["timeline"][-1]["reason"] == "成绩未达到毕业要求"


def test_shanxi_allows_one_reapplication_after_a_refusal(server, db):
    c = client(server, candidate(db))
    window(db)
    first = open_app(c)
    assert c.post(f"/api/v1/me/applications/{first['id']}/submit").status == 200
    staff(db, first["id"], "refuse", "缺少成绩")
    second = open_app(c)
    assert second["id"] != first["id"] and second["seq"] == 2
    assert c.post(f"/api/v1/me/applications/{second['id']}/submit").status == 200
    staff(db, second["id"], "refuse", "仍缺少成绩")
    r = c.post("/api/v1/me/applications", {"kind": "trial"})
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_LIMIT"
    assert "最多可办理 2 次" in r.json()["error"]["message"]
    listed = c.get("/api/v1/me/applications?kind=trial").json()["items"]
    assert [a["seq"] for a in listed] == [2, 1] and {a["state"] for a in listed} == {"refused"}


def test_a_cancelled_draft_counts_against_the_cancel_limit(server, db):
    c = client(server, candidate(db))
    window(db)
    app = open_app(c)
    assert c.post(f"/api/v1/me/applications/{app['id']}/cancel").status == 200
    again = open_app(c)
    r = c.post(f"/api/v1/me/applications/{again['id']}/cancel")
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_LIMIT"


def test_tianjin_pays_at_submit_and_the_payment_moves_the_application_on(make_server, db):
    server = make_server(env={"ZIKAO_PROFILE_PROVINCE": "tianjin"})
    cid = h.q1(db, "INSERT INTO candidates (id_number, name, district, kind, identity) VALUES "
                   "(%s, '李四', '120101', 'enrolled', 'verified') RETURNING id",
               h.id_number(region="120101", seq="401"))
    c = client(server, cid)
    window(db)
    app = open_app(c)
    path = f"/api/v1/me/applications/{app['id']}"
    assert c.post(path + "/submit").status == 200
    body = c.get(path).json()
    assert body["state"] == "awaiting_payment" and "不予退还" in body["next_step"]
    [order] = c.get("/api/v1/me/orders").json()["items"]
    assert order["purpose"] == "trial" and order["subject"] == str(app["id"])
    assert order["amount_fen"] == 6000
    assert c.post(path + "/submit").status == 200  # again: still one order
    assert len(c.get("/api/v1/me/orders").json()["items"]) == 1
    # The provider's notification is applied (the payment worker marks the order paid):
    h.q(db, "UPDATE orders SET state = 'paying', provider = 'alipay', paying_at = now() "
            "WHERE order_no = %s",
        order["order_no"])
    h.q(db, "UPDATE orders SET state = 'paid', paid_at = now(), provider_trade_no = 'T1' "
            "WHERE order_no = %s", order["order_no"])
    body = c.get(path).json()
    assert body["state"] == "district_review"
    assert [e["transition"] for e in body["timeline"]] == ["create", "submit", "pay"]
    assert body["timeline"][-1]["actor"] == "provider"


def test_another_candidates_application_is_404_and_business_needs_verification(server, db):
    owner = client(server, candidate(db))
    window(db)
    app = open_app(owner)
    other = client(server, candidate(db))
    for method, suffix in [("GET", ""), ("POST", "/submit"), ("PUT", "/draft")]:
        body = {"version": 1, "data": {}} if method == "PUT" else {}
        r = other.request(method, f"/api/v1/me/applications/{app['id']}{suffix}", body=body)
        assert r.status == 404, (method, suffix, r)
    claim = client(server, candidate(db, verified=False))
    r = claim.post("/api/v1/me/applications", {"kind": "trial"})
    assert r.status == 403 and r.json()["error"]["code"] == "IDENTITY_REQUIRED"
    r = server.request("POST", "/api/v1/me/applications", body={"kind": "trial"})
    assert r.status == 401
    r = owner.request("POST", "/api/v1/me/applications", body={"kind": "trial"},
                      headers={"X-CSRF-Token": "0" * 32})
    assert r.status == 403 and r.json()["error"]["code"] == "CSRF_CHECK_FAILED"
    r = owner.request("POST", "/api/v1/me/applications", raw=b"{nope",
                      content_type="application/json")
    assert r.status == 400
