"""Payments: orders and their endpoints, provider callbacks (verified, stored
once, applied exactly once), mismatches recorded and alerted, reconciliation
of lost callbacks, expiry, and the built-in simulator's full pay flow - with
real PostgreSQL, Redis, zikao-server and the payment worker. Keys are
generated per test (zikaoctl payments keygen); callbacks are signed here with
the `cryptography` package, forged ones with keys of our own."""
import base64
import hashlib
import json
import os
import random
import re
import subprocess
import threading
import time
import urllib.parse
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import zikao_harness as h
from zikao_harness import metric, q, q1

ALIPAY_NOTIFY = "/api/v1/payments/alipay/notify"
WECHAT_NOTIFY = "/api/v1/payments/wechat/notify"


# ---- fixtures and helpers ------------------------------------------------------------------

@pytest.fixture
def keydir(pg, database, redis_server, tmpdir_path):
    d = os.path.join(tmpdir_path, "paykeys")
    h.zikaoctl(pg.conninfo(database), redis_server.port, "payments", "keygen", "--dir", d)
    return d


def pay_env(keydir, extra=None):
    env = {"ZIKAO_PAYMENT_KEY_DIR": keydir}
    env.update(extra or {})
    return env


@pytest.fixture
def pserver(make_server, keydir):
    return make_server(env=pay_env(keydir))


@pytest.fixture
def pworker(make_worker, keydir):
    def factory(server=None, env=None, concurrency=2):
        e = pay_env(keydir)
        if server is not None:  # where the provider (simulator) gateways are
            e["ZIKAO_PAYMENT_PUBLIC_URL"] = f"http://127.0.0.1:{server.port}"
        e.update(env or {})
        return make_worker("payment", concurrency, e)
    return factory


def ctl(pg, database, redis_server, *args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("ZIKAO_")}
    e.update({"ZIKAO_DATABASE_CONNINFO": pg.conninfo(database), "ZIKAO_REDIS_HOST": "127.0.0.1",
              "ZIKAO_REDIS_PORT": str(redis_server.port)})
    e.update(env or {})
    r = subprocess.run([h.binary("zikaoctl"), *args], env=e, capture_output=True, text=True)
    assert r.returncode == 0, f"zikaoctl {args}: {r.returncode} {r.stdout} {r.stderr}"
    return r


def new_candidate(db):
    idn = "".join(random.choice("0123456789") for _ in range(17)) + "X"
    return q1(db, "INSERT INTO candidates (id_number, name, district, kind, identity) VALUES "
                  "(%s, '李四', '140105', 'new', 'verified') RETURNING id", idn)


class Session:
    def __init__(self, server, candidate_id):
        r = server.request("POST", "/api/v1/_test/session", body={"candidate_id": candidate_id})
        assert r.status == 201, r
        self.server = server
        self.candidate_id = candidate_id
        self.cookie = r.header("Set-Cookie").split(";", 1)[0]
        self.csrf = r.json()["csrf_token"]

    def get(self, path, **kw):
        return self.server.request("GET", path, headers={"Cookie": self.cookie}, **kw)

    def post(self, path, body=None, headers=None):
        hd = {"Cookie": self.cookie, "X-CSRF-Token": self.csrf}
        hd.update(headers or {})
        return self.server.request("POST", path, body=body, headers=hd)


def demo_order(server, candidate_id, subject=None):
    subject = subject or "demo-" + uuid.uuid4().hex[:10]
    r = server.request("POST", "/api/v1/_test/orders",
                       body={"candidate_id": candidate_id, "subject": subject})
    assert r.status == 201, r
    return r.json()


def paying_order(server, db, provider="alipay"):
    cid = new_candidate(db)
    s = Session(server, cid)
    o = demo_order(server, cid)
    r = s.post(f"/api/v1/me/orders/{o['order_no']}/pay", {"provider": provider})
    assert r.status == 200 and r.json()["state"] == "paying", r
    return s, r.json()


def wait_pay_info(session, no, timeout=20):
    """WeChat's QR payload arrives once the worker's prepay call answered."""
    got = {}

    def ready():
        got["pay"] = session.get(f"/api/v1/me/orders/{no}").json()["pay"]
        return got["pay"] is not None and "qr_payload" in got["pay"]
    h.wait_until(ready, timeout=timeout, step=0.1, what=f"QR payload of {no}")
    return got["pay"]


def order_state(db, no):
    return q1(db, "SELECT state FROM orders WHERE order_no = %s", no)


def wait_state(db, no, state, timeout=20):
    h.wait_until(lambda: order_state(db, no) == state, timeout=timeout, step=0.1,
                 what=f"order {no} {state} (is {order_state(db, no)})")


def wait_events_processed(db, n=None, timeout=20):
    def done():
        total, left = q(db, "SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL) "
                            "FROM payment_events")[0]
        return left == 0 and (n is None or total == n)
    h.wait_until(done, timeout=timeout, step=0.1, what="payment events processed")


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def rsa2(key, msg):
    return base64.b64encode(key.sign(msg, padding.PKCS1v15(), hashes.SHA256())).decode()


def alipay_body(key, order, trade_no="2026112322001400000000000001", status="TRADE_SUCCESS",
                amount=None, **over):
    p = {"notify_time": "2026-11-23 10:00:00", "notify_type": "trade_status_sync",
         "notify_id": uuid.uuid4().hex, "charset": "utf-8", "version": "1.0",
         "app_id": "2021000000000001", "seller_id": "2088000000000001", "trade_no": trade_no,
         "out_trade_no": order["order_no"], "trade_status": status,
         "total_amount": amount or "%d.%02d" % divmod(order["amount_fen"], 100),
         "buyer_id": "2088000000001234", "gmt_payment": "2026-11-23 10:00:00"}
    p.update(over)
    content = "&".join(f"{k}={v}" for k, v in sorted(p.items())
                       if v and k not in ("sign", "sign_type"))
    p["sign_type"] = "RSA2"
    p["sign"] = rsa2(key, content.encode())
    return urllib.parse.urlencode(p).encode()


def post_alipay(server, body):
    return server.request("POST", ALIPAY_NOTIFY, body=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})


def key_serial(key):
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:40].upper()


def wechat_request(keydir, order, transaction_id="4200002026112300000000000001",
                   state="SUCCESS", total=None, ts=None, key=None, mchid="1900000001"):
    with open(os.path.join(keydir, "wechat_apiv3.key")) as f:
        apiv3 = f.read().strip().encode()
    tx = {"appid": "wx0000000000000001", "mchid": mchid, "out_trade_no": order["order_no"],
          "transaction_id": transaction_id, "trade_type": "NATIVE", "trade_state": state,
          "trade_state_desc": "支付成功", "success_time": "2026-11-23T10:00:00+08:00",
          "amount": {"total": order["amount_fen"] if total is None else total,
                     "payer_total": order["amount_fen"], "currency": "CNY"}}
    nonce = uuid.uuid4().hex[:12]
    ct = AESGCM(apiv3).encrypt(nonce.encode(), json.dumps(tx).encode(), b"transaction")
    body = json.dumps({"id": str(uuid.uuid4()), "create_time": "2026-11-23T10:00:00+08:00",
                       "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
                       "summary": "支付成功",
                       "resource": {"original_type": "transaction",
                                    "algorithm": "AEAD_AES_256_GCM",
                                    "ciphertext": base64.b64encode(ct).decode(),
                                    "associated_data": "transaction", "nonce": nonce}}).encode()
    platform = load_key(os.path.join(keydir, "wechat_platform_private.pem"))
    ts = str(int(time.time()) if ts is None else ts)
    hnonce = uuid.uuid4().hex
    sig = rsa2(key or platform, ts.encode() + b"\n" + hnonce.encode() + b"\n" + body + b"\n")
    headers = {"Content-Type": "application/json", "Wechatpay-Timestamp": ts,
               "Wechatpay-Nonce": hnonce, "Wechatpay-Signature": sig,
               "Wechatpay-Serial": key_serial(platform)}
    return body, headers


def events(db):
    return q(db, "SELECT provider, status, outcome, order_no FROM payment_events ORDER BY id")


# ---- callbacks: verification ----------------------------------------------------------------

def test_forged_alipay_signature_is_refused_and_nothing_stored(pserver, db, keydir):
    _, order = paying_order(pserver, db)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r = post_alipay(pserver, alipay_body(forger, order))
    assert r.status == 401 and r.body == b"failure"
    # A genuine notification altered in transit: the amount no longer matches the signature.
    real = alipay_body(load_key(os.path.join(keydir, "alipay_private.pem")), order)
    tampered = real.replace(b"total_amount=1.00", b"total_amount=0.01")
    assert tampered != real
    r = post_alipay(pserver, tampered)
    assert r.status == 401 and r.body == b"failure"
    r = post_alipay(pserver, b"out_trade_no=" + order["order_no"].encode())  # unsigned
    assert r.status == 401
    assert q1(db, "SELECT count(*) FROM payment_events") == 0
    assert q1(db, "SELECT count(*) FROM jobs WHERE queue = 'payment' AND payload->>'kind' = "
                  "'event'") == 0
    assert order_state(db, order["order_no"]) == "paying"


def test_forged_wechat_signature_or_unknown_serial_is_refused_and_nothing_stored(
        pserver, db, keydir):
    _, order = paying_order(pserver, db, "wechat")
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body, hd = wechat_request(keydir, order, key=forger)
    r = pserver.request("POST", WECHAT_NOTIFY, body=body, headers=hd)
    assert r.status == 401 and r.json()["code"] == "FAIL"
    body, hd = wechat_request(keydir, order)
    hd["Wechatpay-Serial"] = "0" * 40
    r = pserver.request("POST", WECHAT_NOTIFY, body=body, headers=hd)
    assert r.status == 401 and r.json()["code"] == "FAIL"
    # The right signature over a body whose resource was encrypted under another key.
    body, hd = wechat_request(keydir, order)
    doc = json.loads(body)
    doc["resource"]["ciphertext"] = base64.b64encode(os.urandom(80)).decode()
    body2 = json.dumps(doc).encode()
    platform = load_key(os.path.join(keydir, "wechat_platform_private.pem"))
    ts, n = hd["Wechatpay-Timestamp"], hd["Wechatpay-Nonce"]
    hd["Wechatpay-Signature"] = rsa2(platform, f"{ts}\n{n}\n".encode() + body2 + b"\n")
    r = pserver.request("POST", WECHAT_NOTIFY, body=body2, headers=hd)
    assert r.status == 401 and r.json()["code"] == "FAIL"
    assert q1(db, "SELECT count(*) FROM payment_events") == 0


def test_replayed_wechat_callback_with_an_old_timestamp_is_refused(pserver, db, keydir,
                                                                   pworker):
    _, order = paying_order(pserver, db, "wechat")
    # Genuinely signed, but captured 6 minutes ago and replayed now.
    body, hd = wechat_request(keydir, order, ts=int(time.time()) - 360)
    r = pserver.request("POST", WECHAT_NOTIFY, body=body, headers=hd)
    assert r.status == 401 and r.json()["code"] == "FAIL"
    body, hd = wechat_request(keydir, order, ts=int(time.time()) + 360)
    assert pserver.request("POST", WECHAT_NOTIFY, body=body, headers=hd).status == 401
    assert q1(db, "SELECT count(*) FROM payment_events") == 0
    # The same notification signed just now is accepted and applied.
    pworker(pserver)
    body, hd = wechat_request(keydir, order)
    r = pserver.request("POST", WECHAT_NOTIFY, body=body, headers=hd)
    assert r.status == 204, r
    wait_state(db, order["order_no"], "paid")


# ---- callbacks: exactly once, mismatches --------------------------------------------------------

def test_the_same_callback_ten_times_concurrently_changes_the_order_once(
        pserver, db, keydir, pworker):
    _, order = paying_order(pserver, db)
    body = alipay_body(load_key(os.path.join(keydir, "alipay_private.pem")), order)
    answers = []

    def send():
        answers.append(post_alipay(pserver, body))

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every copy is acknowledged (after the one stored row was committed).
    assert [(a.status, a.body) for a in answers] == [(200, b"success")] * 10
    assert q1(db, "SELECT count(*) FROM payment_events") == 1
    assert q1(db, "SELECT count(*) FROM jobs WHERE payload->>'kind' = 'event'") == 1
    pworker(pserver)
    wait_state(db, order["order_no"], "paid")
    wait_events_processed(db, 1)
    for _ in range(3):  # and again, after it was applied
        assert post_alipay(pserver, body).body == b"success"
    assert q1(db, "SELECT count(*) FROM payment_events") == 1
    assert events(db) == [("alipay", "success", "applied", order["order_no"])]
    no = order["order_no"]
    assert q(db, "SELECT state, provider_trade_no FROM orders WHERE order_no = %s", no) == \
        [("paid", "2026112322001400000000000001")]
    assert q1(db, "SELECT paid_order FROM payment_demo_subjects WHERE subject = %s",
              order["subject"]) == no


def payment_gauges(server):
    m = server.get("/metrics").body.decode()
    return {l.split()[0]: l.split()[1] for l in m.splitlines()
            if l.startswith(("zikao_payment_alerts_open ", "zikao_orders_paying",
                             "zikao_payments_database_up "))}


def test_a_different_amount_is_recorded_and_alerted_never_applied(pserver, db, keydir, pworker):
    _, order = paying_order(pserver, db)
    g = payment_gauges(pserver)
    assert (g["zikao_payment_alerts_open"], g["zikao_orders_paying"]) == ("0", "1")
    assert g["zikao_payments_database_up"] == "1"
    pworker(pserver)
    key = load_key(os.path.join(keydir, "alipay_private.pem"))
    r = post_alipay(pserver, alipay_body(key, order, amount="0.01"))
    assert r.status == 200 and r.body == b"success"
    wait_events_processed(db, 1)
    assert events(db) == [("alipay", "success", "amount_mismatch", order["order_no"])]
    assert order_state(db, order["order_no"]) == "paying"
    alerts = q(db, "SELECT kind, order_no, detail FROM payment_alerts")
    assert alerts == [("amount_mismatch", order["order_no"], "paid 1 fen, the order is 100 fen")]
    # Monitoring sees it: an open alert, and the order still waiting to be settled.
    g = payment_gauges(pserver)
    assert (g["zikao_payment_alerts_open"], g["zikao_orders_paying"]) == ("1", "1")
    assert int(g["zikao_orders_paying_oldest_seconds"]) >= 0
    q(db, "UPDATE payment_alerts SET resolved_at = now()")
    assert payment_gauges(pserver)["zikao_payment_alerts_open"] == "0"
    assert q1(db, "SELECT paid_at FROM payment_demo_subjects WHERE subject = %s",
              order["subject"]) is None


def test_a_callback_for_an_unknown_order_is_recorded_and_answered_so_it_stops(
        pserver, db, keydir, pworker):
    pworker(pserver)
    key = load_key(os.path.join(keydir, "alipay_private.pem"))
    ghost = {"order_no": "ZK20261123ABCDEFGHJKMNPQRS", "amount_fen": 5000}
    r = post_alipay(pserver, alipay_body(key, ghost))
    assert r.status == 200 and r.body == b"success"  # the provider stops sending it
    wait_events_processed(db, 1)
    assert events(db) == [("alipay", "success", "unknown_order", ghost["order_no"])]
    assert q1(db, "SELECT kind FROM payment_alerts") == "unknown_order"
    assert q1(db, "SELECT count(*) FROM orders") == 0


def test_callbacks_out_of_order_closed_after_paid_leave_it_paid(pserver, db, keydir, pworker):
    pworker(pserver)
    key = load_key(os.path.join(keydir, "alipay_private.pem"))
    _, order = paying_order(pserver, db)
    assert post_alipay(pserver, alipay_body(key, order)).body == b"success"
    wait_state(db, order["order_no"], "paid")
    assert post_alipay(pserver, alipay_body(key, order, status="TRADE_CLOSED")).body == b"success"
    assert post_alipay(pserver, alipay_body(key, order, status="TRADE_FINISHED")).body == \
        b"success"  # same key as TRADE_SUCCESS: already stored
    wait_events_processed(db, 2)
    assert order_state(db, order["order_no"]) == "paid"
    assert [e[2] for e in events(db)] == ["applied", "ignored"]
    # The other way round: the close arrives first, the payment after it.
    _, order2 = paying_order(pserver, db)
    t2 = "2026112322001400000000000002"
    assert post_alipay(pserver, alipay_body(key, order2, trade_no=t2,
                                            status="TRADE_CLOSED")).body == b"success"
    wait_state(db, order2["order_no"], "closed")
    assert post_alipay(pserver, alipay_body(key, order2, trade_no=t2)).body == b"success"
    wait_state(db, order2["order_no"], "paid")  # the money was taken: it ends paid
    assert q1(db, "SELECT count(*) FROM payment_alerts WHERE kind = 'paid_after_close'") == 1


def test_a_second_payment_of_a_paid_order_is_alerted(pserver, db, keydir, pworker):
    pworker(pserver)
    key = load_key(os.path.join(keydir, "alipay_private.pem"))
    _, order = paying_order(pserver, db)
    post_alipay(pserver, alipay_body(key, order))
    wait_state(db, order["order_no"], "paid")
    post_alipay(pserver, alipay_body(key, order, trade_no="2026112322001400000000000999"))
    wait_events_processed(db, 2)
    assert [e[2] for e in events(db)] == ["applied", "duplicate_payment"]
    assert q1(db, "SELECT provider_trade_no FROM orders") == "2026112322001400000000000001"


def test_callbacks_are_answered_only_after_commit_and_503_without_database(
        make_server, keydir, db):
    server = make_server(env=pay_env(keydir))
    _, order = paying_order(server, db)
    key = load_key(os.path.join(keydir, "alipay_private.pem"))
    # Without PostgreSQL nothing can be stored: the provider must not get "success".
    q(db, "ALTER TABLE payment_events RENAME TO payment_events_gone")
    try:
        r = post_alipay(server, alipay_body(key, order))
        assert r.status in (500, 503) and r.body == b"failure"
    finally:
        q(db, "ALTER TABLE payment_events_gone RENAME TO payment_events")
    assert post_alipay(server, alipay_body(key, order)).body == b"success"
    assert q1(db, "SELECT count(*) FROM payment_events") == 1


# ---- callbacks: many per COMMIT -----------------------------------------------------------------


class HeldStore:
    """Holds an uncommitted payment_events row: the server's statement storing
    the same key waits for it, and the notifications arriving meanwhile queue
    up for the next statement. release() rolls back and lets them all go."""

    def __init__(self, pg, database, server, alipay, key, trade_no):
        self.conn = pg.connect(database)
        self.conn.autocommit = False
        with self.conn.cursor() as cur:
            cur.execute("INSERT INTO payment_events (provider, source, notify_key, order_no, "
                        "trade_no, status, provider_status, merchant, raw) VALUES ('alipay', "
                        "'notify', %s, 'HELD', %s, 'success', 'TRADE_SUCCESS', 'm', 'r')",
                        (key, trade_no))
        watch = pg.connect(database)
        self.answers = []
        self.threads = []
        self.send(server, alipay_body(alipay, {"order_no": "HELD", "amount_fen": 100},
                                      trade_no=trade_no))

        def blocked():
            return q1(watch, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                             "'Lock' AND query LIKE 'WITH v (provider%%'") == 1
        h.wait_until(blocked, timeout=20, step=0.05, what="the held statement waiting")
        watch.close()

    def send(self, server, body):
        def go():
            self.answers.append((body, post_alipay(server, body)))
        t = threading.Thread(target=go)
        t.start()
        self.threads.append(t)

    def release(self):
        self.conn.rollback()
        self.conn.close()
        for t in self.threads:
            t.join()
        return self.answers


@pytest.fixture
def batch_server(make_server, keydir):
    # One process, so every notification meets the held statement's queue.
    return make_server(env=pay_env(keydir, {"ZIKAO_DATABASE_QUERY_TIMEOUT_MS": "30000"}))


def test_notifications_arriving_together_share_one_commit_each_stored_once(
        batch_server, db, pg, database, keydir, pworker):
    server = batch_server
    key = load_key(os.path.join(keydir, "alipay_private.pem"))
    batches0 = metric(server, "zikao_payment_store_batches_total")
    rows0 = metric(server, "zikao_payment_store_notifications_total")
    held = HeldStore(pg, database, server, key, "HOLD1:success", "HOLD1")
    bodies = [alipay_body(key, {"order_no": f"ZKBATCH{i:04d}", "amount_fen": 100 + i},
                          trade_no=f"BATCH{i:04d}") for i in range(20)]
    for b in bodies + bodies[:2]:  # two notifications twice
        held.send(server, b)
    h.wait_until(lambda: metric(server, "zikao_payment_notifications_waiting") == 22,
                 timeout=20, step=0.05, what="22 notifications waiting")
    answers = held.release()
    assert [(a.status, a.body) for _, a in answers] == [(200, b"success")] * 23
    # The held one, then the 22 waiting in ONE statement: one transaction id.
    # (the figures reach /metrics with the next tick)
    h.wait_until(lambda: metric(server, "zikao_payment_notifications_waiting") == 0 and
                 metric(server, "zikao_payment_store_batches_total") - batches0 == 2,
                 timeout=5, step=0.05, what="two statements counted, none waiting")
    assert metric(server, "zikao_payment_store_notifications_total") - rows0 == 23
    rows = q(db, "SELECT trade_no, xmin::text FROM payment_events WHERE trade_no LIKE 'BATCH%%' "
                 "ORDER BY trade_no")
    assert [r[0] for r in rows] == [f"BATCH{i:04d}" for i in range(20)]
    assert len({r[1] for r in rows}) == 1
    assert q1(db, "SELECT count(*) FROM payment_events") == 21
    assert q1(db, "SELECT count(*) FROM jobs WHERE queue = 'payment'") == 21
    # Each job was published after the COMMIT: the worker applies all 21 once.
    pworker(server)
    wait_events_processed(db, 21)
    assert q(db, "SELECT outcome, count(*) FROM payment_events GROUP BY 1") == \
        [("unknown_order", 21)]


def test_a_notification_the_database_refuses_does_not_refuse_its_batch(
        batch_server, db, pg, database, keydir):
    server = batch_server
    key = load_key(os.path.join(keydir, "alipay_private.pem"))
    q(db, "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          "IF NEW.order_no = 'POISON' THEN RAISE EXCEPTION 'refused for the test'; END IF; "
          "RETURN NEW; END $$")
    q(db, "CREATE TRIGGER refuse_poison BEFORE INSERT ON payment_events FOR EACH ROW "
          "EXECUTE FUNCTION refuse_poison()")
    held = HeldStore(pg, database, server, key, "HOLD2:success", "HOLD2")
    poison = alipay_body(key, {"order_no": "POISON", "amount_fen": 100}, trade_no="POISON1")
    good = [alipay_body(key, {"order_no": f"ZKGOOD{i:04d}", "amount_fen": 100},
                        trade_no=f"GOOD{i:04d}") for i in range(10)]
    for b in good[:5] + [poison] + good[5:]:
        held.send(server, b)
    h.wait_until(lambda: metric(server, "zikao_payment_notifications_waiting") == 11,
                 timeout=20, step=0.05, what="11 notifications waiting")
    answers = dict(held.release())
    # The poisoned batch is retried one by one: only the refused one fails
    # (and the provider will send it again); nothing of it is stored.
    assert (answers[poison].status, answers[poison].body) == (500, b"failure")
    assert all((answers[b].status, answers[b].body) == (200, b"success") for b in good)
    assert q1(db, "SELECT count(*) FROM payment_events WHERE trade_no LIKE 'GOOD%%'") == 10
    assert q1(db, "SELECT count(*) FROM payment_events WHERE order_no = 'POISON'") == 0
    assert q1(db, "SELECT count(*) FROM jobs WHERE queue = 'payment'") == 11  # + HOLD2


def test_signature_checks_beyond_the_crypto_queue_limit_are_refused_with_503(
        make_server, db, keydir):
    server = make_server(env=pay_env(keydir, {"ZIKAO_PAYMENT_CRYPTO_QUEUE_LIMIT": "1"}))
    key = load_key(os.path.join(keydir, "alipay_private.pem"))
    bodies = [alipay_body(key, {"order_no": f"ZKLIMIT{i}", "amount_fen": 100},
                          trade_no=f"LIMIT{i}") for i in range(5)]
    # Pipelined in one write: the server reads all five at once, and while the
    # first waits for the thread pool the others meet the limit of one.
    wire = b"".join(
        b"POST " + ALIPAY_NOTIFY.encode() + b" HTTP/1.1\r\nHost: t\r\nContent-Type: "
        b"application/x-www-form-urlencoded\r\nContent-Length: " + str(len(b)).encode() +
        (b"\r\nConnection: close" if i == len(bodies) - 1 else b"") + b"\r\n\r\n" + b
        for i, b in enumerate(bodies))
    out = server.raw(wire, timeout=10)
    assert re.findall(rb"HTTP/1\.1 (\d{3})", out) == [b"200", b"503", b"503", b"503", b"503"]
    assert q1(db, "SELECT count(*) FROM payment_events") == 1
    assert "payment piece(s) of work waiting: refused (503)" in server.log()
    assert h.metric(server, 'zikao_offload_in_flight{kind="payment"}') == 0  # all done
    # The slot is free again once the first check has finished.
    r = post_alipay(server, bodies[1])
    assert (r.status, r.body) == (200, b"success")
    assert q1(db, "SELECT count(*) FROM payment_events") == 2


# ---- reconciliation and expiry ------------------------------------------------------------------

sim_pay_via_page = h.sim_pay_via_page


@pytest.mark.parametrize("provider", ["alipay", "wechat"])
def test_a_lost_callback_is_settled_by_zikaoctl_reconcile(pserver, db, pg, database,
                                                          redis_server, keydir, pworker, provider):
    s, order = paying_order(pserver, db, provider)
    info = order["pay"]
    if provider == "wechat":
        pworker(pserver)  # asks the provider for the QR payload (prepay)
        info = wait_pay_info(s, order["order_no"])
    trade_no = sim_pay_via_page(pserver, info, notify=False)
    time.sleep(0.5)
    assert order_state(db, order["order_no"]) == "paying"  # no callback ever comes
    r = ctl(pg, database, redis_server, "payments", "reconcile", "--older-than", "0",
            env=pay_env(keydir, {"ZIKAO_SERVER_LISTEN": f"127.0.0.1:{pserver.port}"}))
    report = json.loads(r.stdout)
    assert report["paid"] == 1 and report["errors"] == 0, (r.stdout, r.stderr)
    assert q(db, "SELECT state, provider_trade_no FROM orders") == [("paid", trade_no)]
    assert q(db, "SELECT source, outcome FROM payment_events") == [("query", "applied")]


def test_a_lost_callback_is_settled_by_the_periodic_reconciliation(pserver, db, keydir, pworker):
    _, order = paying_order(pserver, db, "alipay")
    sim_pay_via_page(pserver, order["pay"], notify=False)
    pworker(pserver, env={"ZIKAO_PAYMENT_RECONCILE_AFTER_MINUTES": "0",
                          "ZIKAO_PAYMENT_RECONCILE_INTERVAL_SECONDS": "1"})
    wait_state(db, order["order_no"], "paid", timeout=30)
    # Exactly one scheduled reconciliation is waiting for its turn.
    h.wait_until(lambda: q1(db, "SELECT count(*) FROM jobs WHERE payload->>'kind' = 'reconcile' "
                                "AND state IN ('queued', 'running')") == 1, what="one chain")


def test_expired_unpaid_orders_close_and_the_provider_trade_with_them(pserver, db, pg, database,
                                                                      redis_server, keydir):
    cid = new_candidate(db)
    created = demo_order(pserver, cid)
    _, paying = paying_order(pserver, db, "alipay")
    sim_url = urllib.parse.urlsplit(paying["pay"]["url"])
    assert pserver.get(sim_url.path + "?" + sim_url.query).status == 200  # the trade exists
    q(db, "UPDATE orders SET expires_at = now() - interval '1 minute'")
    r = ctl(pg, database, redis_server, "payments", "reconcile",
            env=pay_env(keydir, {"ZIKAO_SERVER_LISTEN": f"127.0.0.1:{pserver.port}"}))
    assert json.loads(r.stdout)["closed"] == 2, (r.stdout, r.stderr)
    assert q(db, "SELECT state, closed_reason FROM orders ORDER BY id") == \
        [("closed", "expired"), ("closed", "expired")]
    assert q1(db, "SELECT state FROM payment_sim_trades") == "CLOSED"
    s = Session(pserver, cid)
    r = s.post(f"/api/v1/me/orders/{created['order_no']}/pay", {"provider": "alipay"})
    assert r.status == 409 and r.json()["error"]["code"] == "ORDER_CLOSED"


def test_a_wechat_orders_qr_code_is_drawn_for_its_owner_only(pserver, pworker, db):
    """GET .../qr.svg draws pay.qr_payload as a QR code for the order page: an SVG
    of 17 + 4 x version modules (plus a 4-module quiet zone) with the three
    finder patterns in their corners; not for an order paid another way, nor for
    another candidate."""
    pworker(pserver)
    s, order = paying_order(pserver, db, "wechat")
    no = order["order_no"]
    wait_pay_info(s, no)
    r = s.get(f"/api/v1/me/orders/{no}/qr.svg")
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("image/svg+xml")
    assert r.header("Cache-Control") == "no-store"
    svg = r.body.decode()
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    width = side - 8
    assert width >= 21 and (width - 17) % 4 == 0
    dark = {(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg)}

    def finder_at(x0, y0):
        rows = ["1111111", "1000001", "1011101", "1011101", "1011101", "1000001", "1111111"]
        return all(((x0 + dx, y0 + dy) in dark) == (c == "1")
                   for dy, row in enumerate(rows) for dx, c in enumerate(row))
    assert finder_at(4, 4) and finder_at(4 + width - 7, 4) and finder_at(4, 4 + width - 7)

    s2, other = paying_order(pserver, db, "alipay")
    r = s2.get(f"/api/v1/me/orders/{other['order_no']}/qr.svg")
    assert r.status == 409 and r.json()["error"]["code"] == "ORDER_NO_QR"
    assert s2.get(f"/api/v1/me/orders/{no}/qr.svg").status == 404
    assert pserver.get(f"/api/v1/me/orders/{no}/qr.svg").status == 401


# ---- the simulator's full pay flow ------------------------------------------------------------

def test_simulator_full_pay_flow_with_the_run_configuration(make_server, make_worker, db, pg,
                                                          database, redis_server, tmpdir_path):
    """config/zikao.conf as scripts/run uses it: the simulator is the embedded
    default, its keys appear on the worker's first start, the person pays on
    the simulator's page, the worker delivers the signed callback."""
    conf = os.path.join(h.SOURCE, "config", "zikao.conf")
    keys = os.path.join(tmpdir_path, "run-keys")  # var/payment-keys under scripts/run
    server = make_server(config_text=open(conf).read(), env={"ZIKAO_PAYMENT_KEY_DIR": keys},
                         start=False)
    make_worker("payment", 2, {"ZIKAO_CONFIG": conf, "ZIKAO_PAYMENT_KEY_DIR": keys,
                               "ZIKAO_SERVER_LISTEN": f"127.0.0.1:{server.port}"})
    assert os.path.exists(os.path.join(keys, "alipay_public.pem"))
    assert oct(os.stat(os.path.join(keys, "alipay_private.pem")).st_mode & 0o777) == "0o600"
    server.start()
    cid = new_candidate(db)
    no = ctl(pg, database, redis_server, "payments", "demo-order", "--candidate",
             str(cid)).stdout.split("\t")[0]
    s = Session(server, cid)
    for provider in ("alipay", "wechat"):
        if provider == "wechat":
            no = demo_order(server, cid)["order_no"]
        r = s.post(f"/api/v1/me/orders/{no}/pay", {"provider": provider})
        assert r.status == 200, r
        info = r.json()["pay"]
        assert info["provider"] == provider
        if provider == "wechat":
            assert info["pending"] is True  # the prepay call runs in the worker
            info = wait_pay_info(s, no)
            assert info["qr_payload"].startswith("weixin://wxpay/bizpayurl?pr=")
        trade_no = sim_pay_via_page(server, info)
        if provider == "alipay":  # the browser comes back to a page, which asks for the order
            ret = q1(db, "SELECT return_url FROM payment_sim_trades WHERE trade_no = %s",
                     trade_no)
            assert ret == f"http://127.0.0.1:{server.port}/me/pay-return.html?no={no}"
            assert server.get(urllib.parse.urlsplit(ret).path).status == 200
        h.wait_until(lambda: s.get(f"/api/v1/me/orders/{no}").json()["state"] == "paid",
                     timeout=20, what=f"{provider} order paid")
        got = s.get(f"/api/v1/me/orders/{no}").json()
        assert got["provider_trade_no"] == trade_no and got["paid_at"].endswith("+08:00")
        assert got["refundable"] is False and got["can_cancel"] is False and got["pay"] is None
        assert q1(db, "SELECT notified_at IS NOT NULL FROM payment_sim_trades WHERE "
                      "trade_no = %s", trade_no)
    assert [(e[0], e[2]) for e in events(db)] == [("alipay", "applied"), ("wechat", "applied")]
    assert q1(db, "SELECT count(*) FROM payment_alerts") == 0
    assert q1(db, "SELECT count(paid_at) FROM payment_demo_subjects") == 2


def test_simulator_retries_a_notification_the_server_did_not_acknowledge(
        pserver, db, keydir, pworker):
    _, order = paying_order(pserver, db, "alipay")
    q(db, "ALTER TABLE payment_events RENAME TO payment_events_gone")
    sim_pay_via_page(pserver, order["pay"])
    pworker(pserver)
    h.wait_until(lambda: q1(db, "SELECT max(attempts) FROM jobs WHERE payload->>'kind' = "
                                "'sim_notify'") >= 2, timeout=20, what="a retried notification")
    assert order_state(db, order["order_no"]) == "paying"
    q(db, "ALTER TABLE payment_events_gone RENAME TO payment_events")
    wait_state(db, order["order_no"], "paid", timeout=30)


# ---- the order service --------------------------------------------------------------------------

def test_one_open_order_per_subject_asking_again_returns_it(pserver, db):
    cid = new_candidate(db)
    results = []

    def ask():
        results.append(pserver.request("POST", "/api/v1/_test/orders",
                                       body={"candidate_id": cid, "subject": "grad-7"}))

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status for r in results} == {201}
    assert len({r.json()["order_no"] for r in results}) == 1
    assert q1(db, "SELECT count(*) FROM orders") == 1
    no = results[0].json()["order_no"]
    assert re.fullmatch(r"ZK\d{8}[0-9A-HJKMNP-TV-Z]{16}", no)
    # Another candidate cannot take the subject.
    other = new_candidate(db)
    r = pserver.request("POST", "/api/v1/_test/orders",
                        body={"candidate_id": other, "subject": "grad-7"})
    assert r.status == 409 and r.json()["error"]["code"] == "SUBJECT_OTHER_CANDIDATE"
    # A cancelled order frees the subject; the next request opens a new order.
    s = Session(pserver, cid)
    assert s.post(f"/api/v1/me/orders/{no}/cancel").status == 200
    r = pserver.request("POST", "/api/v1/_test/orders", body={"candidate_id": cid,
                                                              "subject": "grad-7"})
    assert r.status == 201 and r.json()["order_no"] != no and r.json()["amount_fen"] == 100


def test_asking_again_after_expiry_opens_a_fresh_order(pserver, db):
    cid = new_candidate(db)
    first = demo_order(pserver, cid, "grad-9")
    q(db, "UPDATE orders SET expires_at = now() - interval '1 second'")
    second = demo_order(pserver, cid, "grad-9")
    assert second["order_no"] != first["order_no"] and second["state"] == "created"
    assert q(db, "SELECT state, closed_reason FROM orders ORDER BY id") == \
        [("closed", "expired"), ("created", None)]


def test_a_paid_subject_is_never_charged_again(pserver, db, keydir, pworker):
    pworker(pserver)
    s, order = paying_order(pserver, db)
    post_alipay(pserver, alipay_body(load_key(os.path.join(keydir, "alipay_private.pem")), order))
    wait_state(db, order["order_no"], "paid")
    cid = q1(db, "SELECT candidate_id FROM orders")
    again = demo_order(pserver, cid, order["subject"])
    assert again["order_no"] == order["order_no"] and again["state"] == "paid"


def test_fees_come_from_the_catalogue_of_the_province(make_server, db, keydir):
    server = make_server(env=pay_env(keydir, {"ZIKAO_PROFILE_PROVINCE": "tianjin"}))
    q(db, "UPDATE fee_catalogue SET amount_fen = 4321 WHERE province = 'tianjin' AND "
          "fee_type = 'demo'")
    o = demo_order(server, new_candidate(db))
    assert o["amount_fen"] == 4321 and o["description"] == "演示费用"


# ---- the endpoints: malformed, oversized, 401, another's order, wrong state -----------------------

def test_order_list_and_get(pserver, db):
    cid, other = new_candidate(db), new_candidate(db)
    mine, theirs = demo_order(pserver, cid), demo_order(pserver, other)
    s = Session(pserver, cid)
    r = s.get("/api/v1/me/orders")
    assert r.status == 200 and [o["order_no"] for o in r.json()["items"]] == [mine["order_no"]]
    assert s.get("/api/v1/me/orders?state=paid").json()["items"] == []
    assert s.get("/api/v1/me/orders?state=bogus").status == 400
    assert pserver.get("/api/v1/me/orders").status == 401
    r = s.get(f"/api/v1/me/orders/{mine['order_no']}")
    assert r.status == 200 and r.json()["amount_fen"] == 100
    assert r.json()["refund_policy"] and r.json()["refundable"] is False
    r = s.get(f"/api/v1/me/orders/{theirs['order_no']}")
    assert r.status == 404 and r.json()["error"]["code"] == "ORDER_NOT_FOUND"
    assert s.get("/api/v1/me/orders/not-an-order").status == 400
    assert pserver.get(f"/api/v1/me/orders/{mine['order_no']}").status == 401
    big = pserver.request("GET", f"/api/v1/me/orders/{mine['order_no']}", body=b"x" * 5000,
                          headers={"Cookie": s.cookie})
    assert big.status == 413


def test_pay_endpoint_errors(pserver, db):
    cid, other = new_candidate(db), new_candidate(db)
    mine, theirs = demo_order(pserver, cid), demo_order(pserver, other)
    s = Session(pserver, cid)
    path = f"/api/v1/me/orders/{mine['order_no']}/pay"
    assert pserver.request("POST", path, body={"provider": "alipay"}).status == 401
    r = pserver.request("POST", path, body={"provider": "alipay"}, headers={"Cookie": s.cookie})
    assert r.status == 403  # no CSRF token
    r = s.post(path, b"{not json", headers={"Content-Type": "application/json"})
    assert r.status == 400
    r = s.post(path, {"provider": "paypal"})
    assert r.status == 422 and r.json()["error"]["code"] == "PROVIDER_INVALID"
    r = s.post(path, b"x" * 5000, headers={"Content-Type": "application/json"})
    assert r.status == 413
    assert s.post(f"/api/v1/me/orders/{theirs['order_no']}/pay", {}).status == 404
    assert s.post("/api/v1/me/orders/ZK123/pay", {}).status == 400
    r = s.post(path, {"provider": "alipay"})
    assert r.status == 200 and r.json()["pay"]["kind"] == "redirect"
    again = s.post(path, {"provider": "alipay"})  # idempotent while paying
    assert again.status == 200 and again.json()["pay"] == r.json()["pay"]
    r = s.post(path, {"provider": "wechat"})
    assert r.status == 409 and r.json()["error"]["code"] == "ORDER_PAYING_ELSEWHERE"
    assert s.post(f"/api/v1/me/orders/{mine['order_no']}/cancel").status == 200
    r = s.post(path, {"provider": "alipay"})
    assert r.status == 409 and r.json()["error"]["code"] == "ORDER_CLOSED"


def test_cancel_endpoint_errors_and_no_refund_after_payment(pserver, db, keydir, pworker):
    pworker(pserver)
    cid, other = new_candidate(db), new_candidate(db)
    mine, theirs = demo_order(pserver, cid), demo_order(pserver, other)
    s = Session(pserver, cid)
    path = f"/api/v1/me/orders/{mine['order_no']}/cancel"
    assert pserver.request("POST", path).status == 401
    assert s.post(f"/api/v1/me/orders/{theirs['order_no']}/cancel").status == 404
    assert s.post("/api/v1/me/orders/zk/cancel").status == 400
    assert s.post(path, b"x" * 5000, headers={"Content-Type": "application/json"}).status == 413
    r = s.post(path)
    assert r.status == 200 and r.json()["state"] == "closed"
    assert r.json()["closed_reason"] == "cancelled"
    r = s.post(path)
    assert r.status == 409 and r.json()["error"]["code"] == "ORDER_CLOSED"
    # Paid: final, no refund.
    s2, paid = paying_order(pserver, db)
    post_alipay(pserver, alipay_body(load_key(os.path.join(keydir, "alipay_private.pem")), paid))
    wait_state(db, paid["order_no"], "paid")
    r = s2.post(f"/api/v1/me/orders/{paid['order_no']}/cancel")
    assert r.status == 409 and r.json()["error"]["code"] == "ORDER_PAID_NO_REFUND"
    assert "不予退还" in r.json()["error"]["message"]
    r = s2.post(f"/api/v1/me/orders/{paid['order_no']}/pay", {})
    assert r.status == 409 and r.json()["error"]["code"] == "ORDER_PAID"


def test_cancelling_while_paying_closes_the_provider_trade(pserver, db, pworker):
    pworker(pserver)
    s, order = paying_order(pserver, db, "wechat")
    info = wait_pay_info(s, order["order_no"])  # the provider has the trade now
    r = s.post(f"/api/v1/me/orders/{order['order_no']}/cancel")
    assert r.status == 200 and r.json()["state"] == "closed"
    h.wait_until(lambda: q1(db, "SELECT state FROM payment_sim_trades") == "CLOSED",
                 what="provider trade closed")
    page = urllib.parse.urlsplit(info["url"]).path
    assert pserver.get(page).status == 409  # can no longer be paid


def test_callback_endpoints_refuse_malformed_and_oversized(pserver, db, keydir):
    r = pserver.request("POST", ALIPAY_NOTIFY, body=b"a=1&&=2",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status in (400, 401) and r.body == b"failure"
    r = pserver.request("POST", ALIPAY_NOTIFY, body=b"{}", headers={"Content-Type":
                                                                    "application/json"})
    assert r.status == 415
    r = pserver.request("POST", ALIPAY_NOTIFY, body=b"a=" + b"x" * 20000,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 413
    # Not UTF-8 (the form says charset=utf-8): refused before anything else.
    _, paying = paying_order(pserver, db)
    signed = alipay_body(load_key(os.path.join(keydir, "alipay_private.pem")), paying)
    for body in (signed + b"&memo=%FF", signed.replace(b"charset=utf-8", b"charset=\xff"),
                 signed + b"&memo=a%00b\x00"):
        r = post_alipay(pserver, body)
        assert (r.status, r.body) == (400, b"failure"), body
    _, order = paying_order(pserver, db, "wechat")
    body, hd = wechat_request(keydir, order)
    del hd["Wechatpay-Signature"]
    assert pserver.request("POST", WECHAT_NOTIFY, body=body, headers=hd).status == 401
    body, hd = wechat_request(keydir, order)
    hd["Wechatpay-Timestamp"] = "soon"
    r = pserver.request("POST", WECHAT_NOTIFY, body=body, headers=hd)
    assert r.status == 400 and r.json()["code"] == "FAIL"
    r = pserver.request("POST", WECHAT_NOTIFY, body=b"x" * 70000, headers=hd)
    assert r.status == 413
    assert q1(db, "SELECT count(*) FROM payment_events") == 0


def test_simulator_is_refused_in_production(make_server, keydir):
    server = make_server(env=pay_env(keydir, {"ZIKAO_SERVER_ENVIRONMENT": "production"}),
                         start=False)
    server.start(wait_ready=False)
    server.proc.wait(20)
    assert server.proc.returncode == 78
    assert "simulator" in server.log()
    server.proc = None


def test_simulator_refuses_unsigned_merchant_requests(pserver):
    body = json.dumps({"mchid": "1900000001", "out_trade_no": "ZK20261123ABCDEFGHJKMNPQRS",
                       "description": "x", "notify_url": "http://127.0.0.1:1/",
                       "amount": {"total": 1}}).encode()
    r = pserver.request("POST", "/sim/wechat/v3/pay/transactions/native", body=body,
                        headers={"Content-Type": "application/json"})
    assert r.status == 401 and r.json()["code"] == "SIGN_ERROR"
    assert r.header("Wechatpay-Signature")  # even refusals are signed by the "platform"
    r = pserver.request("POST", "/sim/alipay/gateway.do",
                        body=b"method=alipay.trade.query&app_id=2021000000000001&sign=AAAA",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200
    assert json.loads(r.body)["alipay_trade_query_response"]["sub_code"] == \
        "isv.invalid-signature"


# ---- what becomes of a subject: the flow's hooks (order_purposes) ---------------------------

def test_the_purpose_registry_runs_the_flows_hooks_when_an_order_is_paid_or_closed(
        pserver, db, keydir, pworker):
    # A flow registers what becomes of its subject, in its own migration; here
    # the demo purpose gets a closed hook too, recording into a table of its own.
    q(db, "CREATE TABLE flow_log (subject text, order_no text, what text)")
    q(db, "GRANT ALL ON flow_log TO zikao")
    q(db, "CREATE FUNCTION flow_closed(s text, n text) RETURNS void LANGUAGE sql AS "
          "$$ INSERT INTO flow_log VALUES (s, n, 'closed') $$")
    q(db, "UPDATE order_purposes SET on_closed = 'flow_closed' WHERE purpose = 'demo'")
    s, paying = paying_order(pserver, db)  # paid through the provider and the payment worker
    body = alipay_body(load_key(os.path.join(keydir, "alipay_private.pem")), paying)
    assert post_alipay(pserver, body).body == b"success"
    pworker(pserver)
    wait_state(db, paying["order_no"], "paid")
    assert q1(db, "SELECT paid_order FROM payment_demo_subjects WHERE subject = %s",
              paying["subject"]) == paying["order_no"]
    o = demo_order(pserver, s.candidate_id)  # cancelled through the API before paying
    r = s.post(f"/api/v1/me/orders/{o['order_no']}/cancel", {})
    assert r.status == 200, r
    assert q(db, "SELECT subject, order_no, what FROM flow_log") == \
        [(o["subject"], o["order_no"], "closed")]
    with pytest.raises(Exception):  # an order names a purpose someone registered
        q(db, "INSERT INTO orders (order_no, candidate_id, purpose, subject, description, "
              "amount_fen, refundable, expires_at) VALUES ('ZK00000000AAAAAAAAAAAAAAAA', %s, "
              "'bogus', 'x', 'x', 1, false, now())", s.candidate_id)
