"""The 毕业生登记表 of a Shanxi graduation application through the API
(handbook 001 六.8-10): once the fee is paid the candidate reads the form
prefilled from the records, saves it (a stale version refused, every rule
naming its field), and exports it as PDF through the `pdf` queue - the same
data gives the same document and bytes, changed data a new one; the PDF
holds the résumé and says to hand in two copies. Before payment, another
candidate's application, no login: refused.

The application is set up in state 'paid' with its graduation photo directly
in the database (the graduation flow makes them through the API; its own
tests are test_graduation.py)."""
import hashlib
import os
import subprocess
import tempfile
import time

import pytest

import zikao_harness as h
from zikao_harness import q, q1

PHOTO = os.path.join(h.SOURCE, "workers/pdf/tests/data/photo.jpg")

RESUME = [
    {"from": "2010-09", "to": "2013-07", "where": "山西省太原市第五中学 学习", "role": "学生",
     "witness": "王建国"},
    {"from": "2016-08", "to": "至今", "where": "山西晋阳科技有限公司法务部 工作",
     "role": "法务专员", "witness": "赵志刚"},
]


def form_data(**changes):
    data = {"ethnicity": "汉族", "political_status": "共青团员", "native_place": "山西省太原市",
            "work_unit": "山西晋阳科技有限公司", "address": "山西省太原市小店区长风街100号",
            "postcode": "030006", "phone": "13812345678", "email": "zhangxm@example.com",
            "prior_level": "专科", "prior_school": "山西职业技术学院", "prior_major": "法律事务",
            "prior_graduated": "2016-07", "prior_cert_no": "123451201605001234",
            "resume": RESUME, "self_assessment": "本人自报考以来，遵纪守法，刻苦学习。"}
    data.update(changes)
    return data


_seq = [400]


def candidate(db, name="张晓明", verified=True):
    _seq[0] += 1
    idn = h.id_number(birth="19950315", seq=str(_seq[0]))
    cid = q1(db, "INSERT INTO candidates (id_number, name, gender, ethnicity, phone, address, "
                 "district, kind, identity) VALUES (%s, %s, '男', '汉族', '13812345678', "
                 "'太原市迎泽区', '140105', 'enrolled', %s) RETURNING id",
             idn, name, "verified" if verified else "unverified")
    q(db, "INSERT INTO exam_ids (exam_id, candidate_id, source) VALUES (%s, %s, 'imported')",
      "0801054%05d" % _seq[0], cid)
    return cid, idn


def client(server, cid):
    c = h.Client(server)
    assert c.post("/api/v1/_test/session", {"candidate_id": cid}).status == 201
    return c


def application(db, cid, state="paid", province="shanxi", photo=True):
    """A graduation application of cid in state, with the draft's choices
    and a graduation photo that passed."""
    q(db, "INSERT INTO universities (code, name) VALUES ('0003', '山西大学') "
          "ON CONFLICT DO NOTHING")
    q(db, "INSERT INTO majors (code, name, level) VALUES ('030101K', '法学', '本科') "
          "ON CONFLICT DO NOTHING")
    q(db, "INSERT INTO major_universities (major_code, university_code, seq) VALUES "
          "('030101K', '0003', 1) ON CONFLICT DO NOTHING")
    w = q1(db, "SELECT id FROM windows WHERE kind = 'graduation' AND term = '2019-2'")
    if w is None:  # long closed: the fee may be paid, and the form filled in, after the window
        w = q1(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
                   "('graduation', '2019-2', '2019年下半年毕业申请', '2019-11-16 09:00+08', "
                   "'2019-11-30 17:00+08') RETURNING id")
    app = q1(db, "INSERT INTO applications (kind, province, candidate_id, window_id, seq, state, "
                 "data, submitted_at) VALUES ('graduation', %s, %s, %s, 1, %s, %s::jsonb, "
                 "now() - interval '10 days') RETURNING id",
             province, cid, w, state,
             '{"major": "030101K", "universities": ["0003"], "district": "140105", '
             '"address": "山西省太原市小店区长风街100号"}')
    if photo:
        with open(PHOTO, "rb") as f:
            data = f.read()
        fid = q1(db, "INSERT INTO files (candidate_id, content_type, size, sha256, data) VALUES "
                     "(%s, 'image/jpeg', %s, %s, %s) RETURNING id",
                 cid, len(data), hashlib.sha256(data).hexdigest(), data)
        q(db, "INSERT INTO application_photos (application_id, file_id, state, checked_at) "
              "VALUES (%s, %s, 'passed', now())", app, fid)
    return app


def path(app):
    return f"/api/v1/me/applications/{app}/graduate-form"


def save(c, app, data, version):
    return c.request("PUT", path(app), body={"version": version, "data": data})


def export(c, app, body=None):
    return c.post(path(app) + "/pdf", body if body is not None else {})


def download(c, app, timeout=40):
    """GET .../graduate-form.pdf until it is not 202."""
    deadline = time.monotonic() + timeout
    while True:
        r = c.get(path(app) + ".pdf")
        if r.status != 202:
            return r
        assert time.monotonic() < deadline, f"still pending after {timeout} s: {r.body!r}"
        time.sleep(0.1)


def pdftotext(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True,
                             check=True)
    return out.stdout.decode()


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def pdf_worker(make_worker):
    return make_worker("pdf", 1)


# ---- reading and saving ----------------------------------------------------------------------

def test_a_paid_application_shows_its_form_prefilled_from_the_records(server, db):
    cid, idn = candidate(db)
    app = application(db, cid)
    r = client(server, cid).get(path(app))
    assert r.status == 200, r
    form = r.json()
    assert form["state"] == "paid" and form["editable"] is True
    assert form["version"] == 0 and form["saved"] is False
    fixed = form["fixed"]
    assert fixed["name"] == "张晓明" and fixed["gender"] == "男"
    assert fixed["id_number"] == idn and fixed["birth_date"] == "1995-03"
    assert fixed["exam_id"] == q1(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", cid)
    assert (fixed["major_code"], fixed["major_name"], fixed["level"]) == ("030101K", "法学", "本科")
    assert fixed["university"] == "山西大学" and fixed["district"] == "太原市小店区"
    data = form["data"]
    assert data["ethnicity"] == "汉族" and data["phone"] == "13812345678"
    assert data["address"] == "山西省太原市小店区长风街100号"  # the application's, not the record's
    assert data["resume"] == [] and data["self_assessment"] == ""
    assert "一式两份" in form["notice"] and "未按时提交纸质原件者，毕业申请无效" in form["notice"]


def test_a_save_is_kept_and_a_stale_version_is_refused(server, db):
    cid, _ = candidate(db)
    app = application(db, cid)
    c = client(server, cid)
    r = save(c, app, form_data(ethnicity="  回族 "), 0)
    assert r.status == 200, r
    assert r.json()["version"] == 1 and r.json()["saved"] is True
    assert r.json()["data"]["ethnicity"] == "回族"  # trimmed
    assert c.get(path(app)).json()["data"]["resume"] == RESUME
    r = save(c, app, form_data(ethnicity="汉族"), 0)  # another window still at version 0
    assert r.status == 409, r
    err = r.json()["error"]
    assert err["code"] == "GRADUATE_FORM_CHANGED" and err["field"] == "version"
    assert "刷新" in err["message"]
    r = save(c, app, form_data(ethnicity="回族"), 1)  # the same data again: nothing changes
    assert r.status == 200 and r.json()["version"] == 1
    r = save(c, app, form_data(ethnicity="回族", unknown="x"), 1)  # unknown members are dropped
    assert r.status == 200 and r.json()["version"] == 1 and "unknown" not in r.json()["data"]


def test_the_form_is_not_gated_by_the_application_window(server, db):
    cid, _ = candidate(db)
    app = application(db, cid)  # its window closed in 2019
    assert q1(db, "SELECT ends_at < now() FROM windows w JOIN applications a ON a.window_id = "
                  "w.id WHERE a.id = %s", app)
    assert save(client(server, cid), app, form_data(), 0).status == 200


def long_rows(n):
    return [dict(RESUME[0]) for _ in range(n)]


@pytest.mark.parametrize("change,field,code", [
    ({"resume": [dict(RESUME[0], to="2009-07")]}, "resume[0].to", "FIELD_INVALID"),
    ({"resume": [RESUME[0], dict(RESUME[1], to="2016")]}, "resume[1].to", "FIELD_INVALID"),
    ({"resume": [dict(RESUME[0], **{"from": "2013-13"})]}, "resume[0].from", "FIELD_INVALID"),
    ({"resume": [dict(RESUME[0], **{"from": ""})]}, "resume[0].from", "FIELD_REQUIRED"),
    ({"resume": [dict(RESUME[0], where=" ")]}, "resume[0].where", "FIELD_REQUIRED"),
    ({"resume": [dict(RESUME[0], where="长" * 61)]}, "resume[0].where", "FIELD_TOO_LONG"),
    ({"resume": [dict(RESUME[0], role="长" * 31)]}, "resume[0].role", "FIELD_TOO_LONG"),
    ({"resume": [dict(RESUME[0], witness="长" * 21)]}, "resume[0].witness", "FIELD_TOO_LONG"),
    ({"resume": [RESUME[0], "2010-09 至 2013-07"]}, "resume[1]", "FIELD_INVALID"),
    ({"resume": []}, "resume", "FIELD_REQUIRED"),
    ({"resume": long_rows(16)}, "resume", "FIELD_TOO_LONG"),
    ({"self_assessment": "好" * 801}, "self_assessment", "FIELD_TOO_LONG"),
    ({"postcode": "03000"}, "postcode", "FIELD_INVALID"),
    ({"prior_graduated": "2016年7月"}, "prior_graduated", "FIELD_INVALID"),
    ({"email": "zhangxm"}, "email", "FIELD_INVALID"),
    ({"work_unit": "单位\u0007"}, "work_unit", "FIELD_INVALID"),
    ({"address": 100}, "address", "FIELD_INVALID"),
])
def test_a_form_that_breaks_a_rule_is_refused_naming_the_field(server, db, change, field, code):
    cid, _ = candidate(db)
    app = application(db, cid)
    c = client(server, cid)
    r = save(c, app, form_data(**change), 0)
    assert r.status == 422, r
    err = r.json()["error"]
    assert (err["field"], err["code"]) == (field, code), err
    assert err["message"]
    if field.startswith("resume["):
        assert err["message"].startswith("个人简历第 %d 行" % (int(field[7]) + 1))
    assert q1(db, "SELECT count(*) FROM graduate_forms") == 0


def test_a_malformed_or_oversized_save_is_refused(server, db):
    cid, _ = candidate(db)
    app = application(db, cid)
    c = client(server, cid)
    r = c.request("PUT", path(app), body={"data": form_data()})
    assert r.status == 422 and r.json()["error"]["field"] == "version"
    r = c.request("PUT", path(app), body={"version": 0, "data": "个人简历"})
    assert r.status == 422 and r.json()["error"]["field"] == "data"
    r = c.request("PUT", path(app), raw=b'{"version": 0, "data": {', content_type="application/json")
    assert r.status == 400 and r.json()["error"]["code"] == "BAD_JSON"
    r = save(c, app, form_data(self_assessment="好" * 12000), 0)  # over 32 KiB of JSON
    assert r.status == 413
    assert q1(db, "SELECT count(*) FROM graduate_forms") == 0


# ---- 保存并导出 PDF -------------------------------------------------------------------------------

def test_export_renders_each_content_once_and_the_pdf_says_to_hand_in_two_copies(
        server, db, pdf_worker):
    cid, idn = candidate(db)
    app = application(db, cid)
    c = client(server, cid)
    r = export(c, app, {"version": 0, "data": form_data()})
    assert r.status == 202, r
    first = r.json()
    assert first["state"] == "pending" and first["version"] == 1
    assert first["download"] == path(app) + ".pdf"

    pdf = download(c, app)
    assert pdf.status == 200, pdf
    assert pdf.header("Content-Type") == "application/pdf"
    docno = pdf.header("X-Document-Number")
    assert docno.startswith("DJ-") and "graduate-form.pdf" in pdf.header("Content-Disposition")
    text = pdftotext(pdf.body)
    for want in ("山西省高等教育自学考试毕业生登记表", "张晓明", idn, "030101K 法学", "山西大学",
                 "2010-09 至 2013-07", "山西省太原市第五中学 学习", "王建国", "2016-08 至今",
                 "山西晋阳科技有限公司法务部 工作", "法务专员", "本人自报考以来", docno):
        assert want in text, want
    flat = "".join(text.split())
    assert "打印一式两份" in flat and "交到所选县（市、区）自考部门（太原市小店区）" in flat
    assert "未按时提交纸质原件者，毕业申请无效" in flat

    # 保存并导出 again with the same data: the same document, no new render
    r = export(c, app, {"version": 1, "data": form_data()})
    assert r.status == 200, r
    again = r.json()
    assert again["state"] == "ready" and again["version"] == 1
    assert again["document_id"] == first["document_id"] and again["docno"] == docno
    assert download(c, app).body == pdf.body
    assert q1(db, "SELECT count(*) FROM jobs WHERE queue = 'pdf'") == 1

    # changed data: a new document, the old one stays
    changed = form_data(resume=RESUME + [{"from": "2020-01", "to": "2020-06",
                                          "where": "太原市法律援助中心 志愿者", "role": "",
                                          "witness": ""}])
    r = export(c, app, {"version": 1, "data": changed})
    assert r.status == 202 and r.json()["version"] == 2
    assert r.json()["document_id"] != first["document_id"]
    newer = download(c, app)
    assert newer.status == 200 and newer.body != pdf.body
    assert "太原市法律援助中心 志愿者" in pdftotext(newer.body)
    assert newer.header("X-Document-Number") != docno
    assert q(db, "SELECT state FROM documents ORDER BY id") == [("ready",), ("ready",)]


def test_a_blank_self_assessment_and_the_longest_values_accepted_print(server, db, pdf_worker):
    cid, _ = candidate(db)
    app = application(db, cid)
    c = client(server, cid)
    longest = {"ethnicity": "长" * 10, "political_status": "长" * 10, "native_place": "长" * 20,
               "work_unit": "长" * 40, "address": "长" * 60, "postcode": "030006",
               "phone": "0351-1234567-12345678", "email": "a" * 48 + "@example.com",
               "prior_level": "长" * 10, "prior_school": "长" * 40, "prior_major": "长" * 30,
               "prior_graduated": "2016-07", "prior_cert_no": "1" * 30,
               "resume": [{"from": "2000-01", "to": "至今", "where": "长" * 60, "role": "长" * 30,
                           "witness": "长" * 20}] * 15,
               "self_assessment": ""}
    longest["phone"] = longest["phone"][:20]
    r = export(c, app, {"version": 0, "data": longest})
    assert r.status == 202, r
    pdf = download(c, app)
    assert pdf.status == 200, pdf
    assert "自我鉴定" in pdftotext(pdf.body)  # the box is there, to write in by hand

    r = export(c, app, {"version": 1, "data": dict(longest, self_assessment="好" * 800)})
    assert r.status == 202, r
    assert download(c, app).status == 200


def test_export_of_a_form_never_saved_says_to_fill_it_in_first(server, db):
    cid, _ = candidate(db)
    app = application(db, cid)
    r = export(client(server, cid), app)
    assert r.status == 409, r
    assert r.json()["error"]["code"] == "GRADUATE_FORM_NOT_SAVED"
    assert "保存" in r.json()["error"]["message"]
    assert q1(db, "SELECT count(*) FROM documents") == 0


def test_once_the_papers_are_in_the_form_is_read_only_and_still_exports(server, db, pdf_worker):
    cid, _ = candidate(db)
    app = application(db, cid)
    c = client(server, cid)
    assert save(c, app, form_data(), 0).status == 200
    q(db, "SELECT application_transition(%s, 'receive_papers', 'staff', NULL, NULL, NULL)", app)
    form = c.get(path(app)).json()
    assert form["state"] == "papers_in" and form["editable"] is False
    r = save(c, app, form_data(ethnicity="回族"), 1)
    assert r.status == 409 and r.json()["error"]["code"] == "GRADUATE_FORM_READ_ONLY"
    assert "纸质材料已交" in r.json()["error"]["message"]
    r = export(c, app, {"version": 1, "data": form_data(ethnicity="回族")})
    assert r.status == 409 and r.json()["error"]["code"] == "GRADUATE_FORM_READ_ONLY"
    r = export(c, app)  # 导出 without changes
    assert r.status == 202, r
    assert download(c, app).status == 200


# ---- who may, and when ---------------------------------------------------------------------

def test_before_payment_the_form_is_refused_saying_to_pay_first(server, db):
    cid, _ = candidate(db)
    app = application(db, cid, state="approved")
    c = client(server, cid)
    for r in (c.get(path(app)), save(c, app, form_data(), 0),
              export(c, app, {"version": 0, "data": form_data()}), c.get(path(app) + ".pdf")):
        assert r.status == 409, r
        err = r.json()["error"]
        assert err["code"] == "GRADUATE_FORM_NOT_AVAILABLE"
        assert "缴纳毕业申请费后才能填写" in err["message"]
        assert "请在申请期内缴纳毕业申请费" in err["message"]  # the state's next step
    assert q1(db, "SELECT count(*) FROM graduate_forms") == 0
    assert q1(db, "SELECT count(*) FROM documents") == 0


def test_another_candidates_application_is_not_found(server, db):
    owner, _ = candidate(db)
    app = application(db, owner)
    other, _ = candidate(db, name="王五")
    c = client(server, other)
    for r in (c.get(path(app)), save(c, app, form_data(), 0), export(c, app),
              c.get(path(app) + ".pdf"), c.get(path("12x"))):
        assert r.status == 404, r
        assert r.json()["error"]["code"] == "APPLICATION_NOT_FOUND"
    tianjin = application(db, other, province="tianjin", state="district_review")
    assert c.get(path(tianjin)).status == 404  # Tianjin's graduation has no such form
    assert q1(db, "SELECT count(*) FROM graduate_forms") == 0


def test_the_form_needs_a_login_and_a_verified_account(server, db):
    cid, _ = candidate(db)
    app = application(db, cid)
    anonymous = h.Client(server)
    for r in (anonymous.get(path(app)), anonymous.get(path(app) + ".pdf")):
        assert r.status == 401 and r.json()["error"]["code"] == "NOT_LOGGED_IN"
    unverified, _ = candidate(db, name="李四", verified=False)
    r = client(server, unverified).get(path(application(db, unverified)))
    assert r.status == 403 and r.json()["error"]["code"] == "IDENTITY_REQUIRED"
