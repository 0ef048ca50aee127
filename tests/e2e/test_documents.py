"""Documents: the receipt of a paid order through GET
/api/v1/me/orders/{no}/receipt.pdf and the `pdf` queue - 202 while it renders,
then the PDF with its Chinese file name; the same bytes on every download and
on a fresh render of the same input; owner, state and login checks; a worker
killed or stopped in the middle of a job; a render that fails for good - with
real PostgreSQL, Redis, zikao-server and zikao-worker --queue pdf.

Orders are opened through the test-only order route and marked paid in the
database (the payment flow itself is tested in test_payments.py)."""
import hashlib
import signal
import subprocess
import tempfile
import time
import urllib.parse

import pytest

import zikao_harness as h
from zikao_harness import q, q1

NAME = "欧阳明华"
EXAM_ID = "010518000777"
PAID_AT = "2026-11-23 10:30:15+08"
TRADE_NO = "4200002026112312345678901234"


# ---- fixtures and helpers ------------------------------------------------------------------

@pytest.fixture
def pdf_worker(make_worker):
    def factory(env=None, concurrency=1):
        return make_worker("pdf", concurrency, env)
    return factory


_seq = [100]


def candidate(server, db, name=NAME, exam_id=EXAM_ID):
    _seq[0] += 1
    idn = h.id_number(seq=str(_seq[0]))
    cid = q1(db, "INSERT INTO candidates (id_number, name, district, kind, identity) VALUES "
                 "(%s, %s, '140105', 'new', 'verified') RETURNING id", idn, name)
    if exam_id:
        q(db, "INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES (%s, %s, 'issued')",
          exam_id, cid)
    c = h.Client(server)
    assert c.post("/api/v1/_test/session", {"candidate_id": cid}).status == 201
    return c, cid, idn


def order(server, db, cid, paid=True, amount_fen=12345, subject=None, trade_no=TRADE_NO):
    subject = subject or f"doc-{cid}-{time.monotonic_ns() % 10**9}"
    r = server.request("POST", "/api/v1/_test/orders",
                       body={"candidate_id": cid, "subject": subject})
    assert r.status == 201, r
    no = r.json()["order_no"]
    q(db, "UPDATE orders SET amount_fen = %s WHERE order_no = %s", amount_fen, no)
    if paid:
        q(db, "UPDATE orders SET state = 'paid', provider = 'wechat', provider_trade_no = %s, "
              "paying_at = %s::timestamptz - interval '1 minute', paid_at = %s WHERE order_no = %s",
          trade_no, PAID_AT, PAID_AT, no)
    return no


def receipt_path(no):
    return f"/api/v1/me/orders/{no}/receipt.pdf"


def fetch(c, no, timeout=30):
    """Asks until the answer is not 202; returns (first answer, final answer)."""
    first = c.get(receipt_path(no))
    r = first
    deadline = time.monotonic() + timeout
    while r.status == 202:
        assert time.monotonic() < deadline, f"still pending after {timeout} s: {r.body!r}"
        time.sleep(0.1)
        r = c.get(receipt_path(no))
    return first, r


def pdftotext(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True,
                             check=True)
    return out.stdout.decode()


def iso7064_mod11_2(digits):
    p = 0
    for ch in digits:
        p = (p + int(ch)) * 2 % 11
    c = (12 - p) % 11
    return "X" if c == 10 else str(c)


def docno_valid(docno):
    pp, date, serial, check = docno.split("-")
    letters = "".join(str(ord(ch) - ord("A") + 10) for ch in pp)
    return iso7064_mod11_2(letters + date + serial) == check


def wait_blocked_on_lock(db, timeout=20):
    h.wait_until(lambda: q1(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                "current_database() AND wait_event_type = 'Lock'") > 0,
                 timeout=timeout, what="the worker waiting for the document's row lock")


# ---- the receipt -----------------------------------------------------------------------------

def test_a_paid_orders_receipt_is_pending_then_served_as_pdf_with_its_chinese_name(
        server, db, pdf_worker):
    c, cid, idn = candidate(server, db)
    no = order(server, db, cid)
    pdf_worker()
    first, r = fetch(c, no)

    assert first.status == 202, first
    assert first.header("Retry-After") == "1"
    body = first.json()
    assert body["state"] == "pending" and body["retry_after"] == 1
    assert body["job"]["state"] in ("queued", "running", "done")

    assert r.status == 200, r
    assert r.header("Content-Type") == "application/pdf"
    assert r.body.startswith(b"%PDF-")
    filename, docno = q(db, "SELECT filename, docno FROM documents WHERE subject_id = %s", no)[0]
    assert filename == f"缴费凭证-{docno}.pdf"
    cd = r.header("Content-Disposition")
    assert cd == ("attachment; filename=\"receipt.pdf\"; filename*=UTF-8''"
                  + urllib.parse.quote(filename, safe="!#$&+-.^_`|~"))
    assert urllib.parse.unquote(cd.split("UTF-8''", 1)[1]) == filename
    assert r.header("ETag") == '"%s"' % hashlib.sha256(r.body).hexdigest()
    assert r.header("X-Document-Number") == docno and docno_valid(docno)
    # the number's date is the Beijing date of the payment, its serial the order's id
    assert docno.startswith("JF-20261123-")

    text = pdftotext(r.body)
    assert NAME in text and no in text and EXAM_ID in text and TRADE_NO in text
    assert "123.45" in text and "壹佰贰拾叁元肆角伍分" in text
    assert "微信支付" in text and "2026-11-23 10:30:15" in text
    assert "山西省招生考试管理中心" in text and docno in text
    assert idn not in text and idn[:4] + "*" * 10 + idn[-4:] in text  # masked as printed

    doc = q(db, "SELECT d.state, d.candidate_id, f.content_type, f.size, f.sha256, "
                "f.candidate_id, j.state FROM documents d JOIN files f ON f.id = d.file_id "
                "JOIN jobs j ON j.id = d.job_id WHERE d.subject_id = %s", no)
    assert doc == [("ready", cid, "application/pdf", len(r.body),
                    hashlib.sha256(r.body).hexdigest(), cid, "done")]


def test_identical_input_gives_identical_bytes_on_every_download_and_every_render(
        server, db, pdf_worker):
    c, cid, _ = candidate(server, db)
    no = order(server, db, cid)
    pdf_worker()
    _, a = fetch(c, no)
    _, b = fetch(c, no)
    assert a.status == b.status == 200
    assert hashlib.sha256(a.body).digest() == hashlib.sha256(b.body).digest()
    assert q1(db, "SELECT count(*) FROM jobs WHERE queue = 'pdf'") == 1  # rendered once

    # Forget the rendering: the same input renders again to the same bytes.
    q(db, "DELETE FROM documents")
    first, again = fetch(c, no)
    assert first.status == 202 and again.status == 200
    assert hashlib.sha256(again.body).hexdigest() == hashlib.sha256(a.body).hexdigest()
    assert q1(db, "SELECT count(*) FROM jobs WHERE queue = 'pdf'") == 2
    assert q1(db, "SELECT count(DISTINCT sha256) FROM files WHERE content_type = "
                  "'application/pdf'") == 1


def test_a_changed_input_is_a_new_document_and_the_old_one_stays(server, db, pdf_worker):
    c, cid, _ = candidate(server, db)
    no = order(server, db, cid)
    pdf_worker()
    _, before = fetch(c, no)
    q(db, "UPDATE candidates SET name = '欧阳明' WHERE id = %s", cid)
    first, after = fetch(c, no)
    assert first.status == 202 and after.status == 200
    assert before.body != after.body
    assert "欧阳明" in pdftotext(after.body) and NAME not in pdftotext(after.body)
    assert q(db, "SELECT state FROM documents ORDER BY id") == [("ready",), ("ready",)]
    # the same number: same order, same payment time
    assert before.header("X-Document-Number") == after.header("X-Document-Number")


def test_office_name_comes_from_the_configuration_or_the_province_profile(
        make_server, db, pdf_worker):
    s1 = make_server(env={"ZIKAO_DOCUMENTS_OFFICE_NAME": "山西省招生考试管理中心（测试）"})
    c, cid, _ = candidate(s1, db)
    no = order(s1, db, cid)
    pdf_worker()
    _, r = fetch(c, no)
    assert "山西省招生考试管理中心（测试）" in pdftotext(r.body)
    s2 = make_server(env={"ZIKAO_PROFILE_PROVINCE": "tianjin"})
    c2, cid2, _ = candidate(s2, db, exam_id="120101000001")
    no2 = order(s2, db, cid2, trade_no=TRADE_NO[:-1] + "9")
    _, r2 = fetch(c2, no2)
    text = pdftotext(r2.body)
    assert "天津市教育招生考试院" in text and "天津市高等教育自学考试网上缴费凭证" in text


# ---- who may ask, and when -----------------------------------------------------------------

def test_an_unpaid_order_has_no_receipt_yet(server, db):
    c, cid, _ = candidate(server, db)
    no = order(server, db, cid, paid=False)
    r = c.get(receipt_path(no))
    assert r.status == 409
    err = r.json()["error"]
    assert err["code"] == "ORDER_NOT_PAID" and "支付" in err["message"]
    assert q1(db, "SELECT count(*) FROM documents") == 0
    assert q1(db, "SELECT count(*) FROM jobs") == 0


def test_another_candidates_order_is_not_found(server, db):
    _, owner, _ = candidate(server, db)
    other, _, _ = candidate(server, db, name="王五", exam_id=None)
    no = order(server, db, owner)
    r = other.get(receipt_path(no))
    assert r.status == 404 and r.json()["error"]["code"] == "ORDER_NOT_FOUND"
    assert q1(db, "SELECT count(*) FROM documents") == 0


def test_a_receipt_needs_a_login_and_a_well_formed_order_number(server, db):
    _, cid, _ = candidate(server, db)
    no = order(server, db, cid)
    r = server.get(receipt_path(no))
    assert r.status == 401 and r.json()["error"]["code"] == "NOT_LOGGED_IN"
    c, _, _ = candidate(server, db, name="赵六", exam_id=None)
    r = c.get(receipt_path("ZK-not-an-order"))
    assert r.status == 400 and r.json()["error"]["code"] == "ORDER_NO_MALFORMED"
    assert q1(db, "SELECT count(*) FROM documents") == 0


# ---- workers that stop in the middle of a job ----------------------------------------------

def test_a_worker_killed_in_the_middle_of_a_job_is_replaced_and_the_document_ends_ready(
        server, db, pg, database, pdf_worker):
    c, cid, _ = candidate(server, db)
    no = order(server, db, cid)
    assert c.get(receipt_path(no)).status == 202
    doc_id = q1(db, "SELECT id FROM documents")
    # Hold the document's row: the worker renders, then waits in its done
    # transaction for the lock - and is killed there.
    lock = pg.connect(database)
    lock.autocommit = False
    with lock.cursor() as cur:
        cur.execute("SELECT 1 FROM documents WHERE id = %s FOR UPDATE", (doc_id,))
    w = pdf_worker()
    wait_blocked_on_lock(db)
    w.kill()
    lock.rollback()
    lock.close()
    assert q1(db, "SELECT state FROM documents") == "pending"
    assert c.get(receipt_path(no)).status == 202  # the job is still running (its lease)
    pdf_worker()  # a new worker reclaims the message once the lease ends
    _, r = fetch(c, no, timeout=40)
    assert r.status == 200 and r.body.startswith(b"%PDF-")
    assert q(db, "SELECT state, attempts FROM jobs") == [("done", 2)]
    assert q1(db, "SELECT count(*) FROM files") == 1  # the killed run wrote nothing


def test_a_worker_stopped_in_the_middle_of_a_job_finishes_it(server, db, pg, database,
                                                             pdf_worker):
    c, cid, _ = candidate(server, db)
    no = order(server, db, cid)
    assert c.get(receipt_path(no)).status == 202
    lock = pg.connect(database)
    lock.autocommit = False
    with lock.cursor() as cur:
        cur.execute("SELECT 1 FROM documents FOR UPDATE")
    w = pdf_worker()
    wait_blocked_on_lock(db)
    w.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert w.proc.poll() is None  # finishing the job in hand
    lock.rollback()
    lock.close()
    assert w.proc.wait(20) == 0
    assert q(db, "SELECT state, attempts FROM jobs") == [("done", 1)]
    assert q1(db, "SELECT state FROM documents") == "ready"
    pdf_worker()  # restarted: the download is served, nothing is rendered again
    _, r = fetch(c, no)
    assert r.status == 200
    assert q1(db, "SELECT count(*) FROM jobs") == 1


# ---- failures --------------------------------------------------------------------------------

def test_a_render_that_keeps_failing_leaves_a_failed_document_with_the_reason(
        make_server, db, pg, database, redis_server, pdf_worker):
    server = make_server(env={"ZIKAO_DOCUMENTS_FONT_FAMILY": "No Such Font Family"})
    c, cid, idn = candidate(server, db)
    no = order(server, db, cid)
    pdf_worker()  # [jobs] max_attempts = 3, backoff from 100 ms (TEST_JOB_ENV)
    first, r = fetch(c, no, timeout=40)
    assert first.status == 202
    assert r.status == 500, r
    err = r.json()["error"]
    assert err["code"] == "DOCUMENT_FAILED" and err["message"].startswith("缴费凭证生成失败")
    assert 'font "No Such Font Family" is not installed' in err["detail"]
    state, error = q(db, "SELECT state, error FROM documents")[0]
    assert state == "failed"
    assert "rendering the receipt failed" in error and "after 3 attempts" in error
    assert NAME not in error and idn not in error and no not in error  # no personal values
    job = q(db, "SELECT state, attempts, last_error FROM jobs")[0]
    assert job[0] == "dead" and job[1] == 3 and "No Such Font Family" in job[2]
    # asking again answers the same, without a new job
    assert c.get(receipt_path(no)).status == 500
    assert q1(db, "SELECT count(*) FROM jobs") == 1

    # An operator fixes the row's font and revives the job: it renders, and
    # the row takes the hash of the input it was rendered from.
    q(db, "UPDATE documents SET meta = jsonb_set(meta, '{font}', 'null')")
    job_id = q1(db, "SELECT id FROM jobs")
    h.zikaoctl(pg.conninfo(database), redis_server.port, "jobs", "retry", str(job_id))
    h.wait_until(lambda: q1(db, "SELECT state FROM documents") == "ready", timeout=30,
                 what="the revived document ready")
    assert q(db, "SELECT d.input_hash = document_input_hash(document_input(d.kind, "
                 "d.subject_type, d.subject_id) || jsonb_build_object('meta', d.meta)), "
                 "d.error IS NULL, j.state FROM documents d JOIN jobs j ON j.id = d.job_id") == \
        [(True, True, "done")]
