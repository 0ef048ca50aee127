"""What the province runs on the site: business windows (zikaoctl's rules),
notices and the registration guide with PDF attachments, the site banner, and
the district offices' contact details; who may do each, and what candidates
see of it."""
import urllib.parse

import pytest

import zikao_harness as h
from zikao_harness import q, q1
from test_staff import ENV, World, attempt, candidate

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def server(make_server):
    return make_server(env=dict(ENV, ZIKAO_STAFF_NOTICE_FILE_MAX_BYTES="4k",
                                ZIKAO_STAFF_NOTICE_FILES_MAX="2"))


@pytest.fixture
def world(server, db, pg, database, redis_server):
    return World(server, db, pg, database, redis_server)


def upload(c, notice, data=PDF, name="2027年报考简章.pdf", content_type="application/pdf"):
    path = f"/api/v1/staff/notices/{notice}/files"
    if name is not None:
        path += "?name=" + urllib.parse.quote(name)
    return c.request("POST", path, raw=data, content_type=content_type)


def new_notice(c, title="关于2027年4月自学考试报名的通知", kind="notice"):
    r = c.post("/api/v1/staff/notices", {"kind": kind, "title": title,
                                         "body": "报名时间为3月1日至3月10日。\n请按时报名。"})
    assert r.status == 201, r
    return r.json()["notice"]["id"]


def error(r):
    return r.json()["error"]


# ---- who may do what ----------------------------------------------------------------------

def test_every_site_endpoint_across_roles_and_offices(world, db):
    """Province staff run windows, notices and the banner (auditors read them);
    a district office edits its own office only (another district is 404); a
    confirmation point has no offices; no staff session is 401."""
    notice = new_notice(world.c["prov"])
    file_id = upload(world.c["prov"], notice).json()["notice"]["files"][0]["id"]
    callers = ["admin", "prov", "dista", "distb", "point", "audit", "nobody", "candidate"]
    office = {"name": "小店区招生考试办公室", "address": "太原市小店区示例路 1 号",
              "phone": "0351-1234567", "hours": "工作日 9:00-17:00"}
    rows = [
        ("GET", "/api/v1/staff/windows", None, [200, 200, 403, 403, 403, 200, 401, 401]),
        ("POST", "/api/v1/staff/windows", "window", [201, 201, 403, 403, 403, 403, 401, 401]),
        ("GET", "/api/v1/staff/notices", None, [200, 200, 403, 403, 403, 200, 401, 401]),
        ("GET", f"/api/v1/staff/notices/{notice}", None, [200, 200, 403, 403, 403, 200, 401, 401]),
        ("POST", "/api/v1/staff/notices", {"kind": "guide", "title": "报考简章", "body": "正文"},
         [201, 201, 403, 403, 403, 403, 401, 401]),
        ("PATCH", f"/api/v1/staff/notices/{notice}", {"title": "关于报名的通知（更正）"},
         [200, 200, 403, 403, 403, 403, 401, 401]),
        ("GET", f"/api/v1/staff/notices/{notice}/files/{file_id}", None,
         [200, 200, 403, 403, 403, 200, 401, 401]),
        ("GET", "/api/v1/staff/banner", None, [200, 200, 403, 403, 403, 200, 401, 401]),
        ("PUT", "/api/v1/staff/banner", {"kind": "maintenance", "message": "今晚维护"},
         [200, 200, 403, 403, 403, 403, 401, 401]),
        ("GET", "/api/v1/staff/districts", None, [200, 200, 200, 200, 403, 200, 401, 401]),
        ("PUT", "/api/v1/staff/districts/140105/office", office,
         [200, 200, 200, 404, 403, 403, 401, 401]),
        ("PUT", "/api/v1/staff/districts/140106/office", office,
         [200, 200, 404, 200, 403, 403, 401, 401]),
        ("PUT", "/api/v1/staff/districts/999999/office", office,
         [404, 404, 404, 404, 403, 403, 401, 401]),
        ("POST", f"/api/v1/staff/notices/{notice}/publish", {},
         [200, 409, 403, 403, 403, 403, 401, 401]),  # once, then it is published
    ]
    failures = []
    year = 2040
    for method, path, body, expected in rows:
        for who, want in zip(callers, expected):
            b = body
            if body == "window":
                year += 1
                b = {"kind": "graduation", "term": f"{year}-1", "starts_at": f"{year}-03-01 09:00",
                     "ends_at": f"{year}-03-10 17:00"}
            c = world.c[who]
            r = c.get(path) if method == "GET" else c.request(method, path, body=b)
            if r.status != want:
                failures.append(f"{who} {method} {path}: {r.status} (wanted {want}) {r.body[:120]}")
    assert not failures, "\n".join(failures)
    # the district office lists only its own district; the province every one
    mine = world.c["dista"].get("/api/v1/staff/districts").json()["districts"]
    assert [d["district"]["code"] for d in mine] == ["140105"]
    assert len(world.c["prov"].get("/api/v1/staff/districts").json()["districts"]) > 10


# ---- windows ----------------------------------------------------------------------------

def test_province_staff_manage_windows_with_the_rules_zikaoctl_applies(world, server, db):
    c = world.c["prov"]
    base = {"kind": "exemption", "term": "2031-2", "starts_at": "2031-09-01 09:00",
            "ends_at": "2031-09-10 17:00"}
    r = c.post("/api/v1/staff/windows", base)
    assert r.status == 201, r
    w = r.json()["window"]
    assert w["name"] == "2031年下半年免考申请"  # named from its term, as zikaoctl names it
    assert w["starts_at"] == "2031-09-01T09:00:00+08:00" and w["state"] == "upcoming"
    refusals = [
        (dict(base, kind="holiday"), 422, "WINDOW_KIND_UNKNOWN", "kind"),
        (dict(base, term="2031-09"), 422, "WINDOW_TERM_INVALID", "term"),
        (dict(base, term="2032-1", ends_at="2031-08-01 09:00"), 422, "WINDOW_ENDS_BEFORE_START",
         "ends_at"),
        (dict(base, term="2032-1", starts_at="2031-09-05 09:00", ends_at="2031-09-20 09:00"),
         409, "WINDOW_OVERLAP", "starts_at"),
        (dict(base, starts_at="2031-10-01 09:00", ends_at="2031-10-05 09:00"), 409,
         "WINDOW_TERM_TAKEN", "term"),
        (dict(base, term="2032-1", starts_at="next tuesday"), 422, "TIME_INVALID", "starts_at"),
        ({"kind": "exemption", "term": "2032-1"}, 422, "FIELD_REQUIRED", "starts_at"),
    ]
    for body, status, code, field in refusals:
        r = c.post("/api/v1/staff/windows", body)
        assert (r.status, error(r)["code"], error(r)["field"]) == (status, code, field), (body, r)
    assert "2031年下半年免考申请" in error(c.post("/api/v1/staff/windows", refusals[3][0]))["message"]
    # edit: one may start when the other ends
    r = c.request("PATCH", f"/api/v1/staff/windows/{w['id']}",
                  body={"ends_at": "2031-09-12T17:00+08:00", "name": "免考申请（延长）"})
    assert r.status == 200 and r.json()["window"]["ends_at"] == "2031-09-12T17:00:00+08:00"
    r = c.request("PATCH", f"/api/v1/staff/windows/{w['id']}", body={})
    assert r.status == 422 and error(r)["code"] == "FIELD_REQUIRED"
    assert c.request("PATCH", "/api/v1/staff/windows/999999",
                     body={"name": "x"}).status == 404
    # candidates see it
    kinds = h.Client(server).get("/api/v1/windows").json()["items"]
    ex = [k for k in kinds if k["kind"] == "exemption"][0]
    assert ex["next"]["name"] == "免考申请（延长）"
    assert c.request("DELETE", f"/api/v1/staff/windows/{w['id']}").status == 200
    assert c.request("DELETE", f"/api/v1/staff/windows/{w['id']}").status == 404
    actions = [a for (a,) in q(db, "SELECT action FROM staff_audit WHERE item_kind = 'window' "
                                   "ORDER BY id")]
    assert actions == ["window.create", "window.edit", "window.delete"]
    before, after = q(db, "SELECT before, after FROM staff_audit WHERE action = 'window.edit'")[0]
    assert before["name"] == "2031年下半年免考申请" and after["name"] == "免考申请（延长）"


def test_a_window_an_application_refers_to_cannot_be_deleted(world, db):
    wid = q1(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
                 "('graduation', '2030-1', '2030年上半年毕业申请', now() - interval '1 day', "
                 "now() + interval '1 day') RETURNING id")
    q(db, "INSERT INTO applications (kind, province, candidate_id, window_id, seq, state) "
          "VALUES ('graduation', 'shanxi', %s, %s, 1, 'draft')", world.cand_a, wid)
    r = world.c["prov"].request("DELETE", f"/api/v1/staff/windows/{wid}")
    assert r.status == 409 and error(r)["code"] == "WINDOW_IN_USE"
    assert q1(db, "SELECT count(*) FROM windows WHERE id = %s", wid) == 1


# ---- notices ----------------------------------------------------------------------------

def test_a_published_notice_is_listed_for_candidates_with_its_pdf_as_a_download(world, server):
    c = world.c["prov"]
    public = h.Client(server)
    notice = new_notice(c)
    r = upload(c, notice)
    assert r.status == 201, r
    f = r.json()["notice"]["files"][0]
    assert f["name"] == "2027年报考简章.pdf" and f["size"] == len(PDF)
    # a draft is nobody's business but the office's
    assert public.get("/api/v1/notices").json()["notices"] == []
    assert public.get(f"/api/v1/notices/{notice}").status == 404
    assert public.get(f"/api/v1/notices/{notice}/files/{f['id']}").status == 404
    assert c.post(f"/api/v1/staff/notices/{notice}/publish").status == 200
    listed = public.get("/api/v1/notices").json()["notices"]
    assert [(n["id"], n["title"], n["kind"], n["files"]) for n in listed] == [
        (notice, "关于2027年4月自学考试报名的通知", "notice", 1)]
    assert public.get("/api/v1/notices?kind=guide").json()["notices"] == []
    one = public.get(f"/api/v1/notices/{notice}").json()["notice"]
    assert one["body"].startswith("报名时间为3月1日") and one["files"][0]["id"] == f["id"]
    r = public.get(f"/api/v1/notices/{notice}/files/{f['id']}")
    assert r.status == 200 and r.body == PDF
    assert r.header("Content-Type").startswith("application/pdf")
    disposition = r.header("Content-Disposition")
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + urllib.parse.quote("2027年报考简章.pdf") in disposition
    # wrong state: twice, or deleting what candidates read
    r = c.post(f"/api/v1/staff/notices/{notice}/publish")
    assert r.status == 409 and error(r)["code"] == "NOTICE_ALREADY_PUBLISHED"
    r = c.request("DELETE", f"/api/v1/staff/notices/{notice}")
    assert r.status == 409 and error(r)["code"] == "NOTICE_PUBLISHED"
    assert c.post(f"/api/v1/staff/notices/{notice}/unpublish").status == 200
    r = c.post(f"/api/v1/staff/notices/{notice}/unpublish")
    assert r.status == 409 and error(r)["code"] == "NOTICE_NOT_PUBLISHED"
    assert public.get(f"/api/v1/notices/{notice}").status == 404
    assert c.request("DELETE", f"/api/v1/staff/notices/{notice}").status == 200
    assert c.get(f"/api/v1/staff/notices/{notice}").status == 404
    assert c.post("/api/v1/staff/notices/999999/publish").status == 404


def test_notice_attachments_are_pdfs_by_their_bytes_and_bounded(world, db):
    c = world.c["prov"]
    notice = new_notice(c)
    r = upload(c, notice, data=b"\xff\xd8\xff\xe0" + b"\0" * 100)
    assert r.status == 415 and error(r)["code"] == "FILE_TYPE_UNSUPPORTED"
    r = upload(c, notice, content_type="image/png")
    assert r.status == 415
    r = upload(c, notice, data=b"")
    assert r.status == 422 and error(r)["code"] == "FILE_EMPTY"
    r = upload(c, notice, name=None)
    assert r.status == 422 and error(r)["field"] == "name"
    # over [staff] notice_file_max_bytes (4k here): refused before the body is read
    r = upload(c, notice, data=PDF + b"\0" * 5000)
    assert r.status == 413 and "4 KB" in error(r)["message"]
    # a name without .pdf gets it; a path is cut to its last part
    r = upload(c, notice, name="C:\\文件\\附件一")
    assert r.status == 201 and r.json()["notice"]["files"][0]["name"] == "附件一.pdf"
    assert upload(c, notice).status == 201
    r = upload(c, notice)  # [staff] notice_files_max = 2
    assert r.status == 409 and error(r)["code"] == "NOTICE_FILES_FULL"
    first = q1(db, "SELECT min(id) FROM notice_files")
    assert c.request("DELETE", f"/api/v1/staff/notices/{notice}/files/{first}").status == 200
    assert c.request("DELETE", f"/api/v1/staff/notices/{notice}/files/{first}").status == 404
    assert upload(c, 999999).status == 404
    assert [a for (a,) in q(db, "SELECT action FROM staff_audit WHERE item_kind = 'notice' "
                                "ORDER BY id")] == [
        "notice.create", "notice.file_add", "notice.file_add", "notice.file_delete"]


def test_malformed_and_oversized_notice_bodies_are_refused(world):
    c = world.c["prov"]
    r = c.request("POST", "/api/v1/staff/notices", raw=b"{not json",
                  content_type="application/json")
    assert r.status == 400
    r = c.request("POST", "/api/v1/staff/notices", raw=b"kind=notice",
                  content_type="application/x-www-form-urlencoded")
    assert r.status == 415
    r = c.post("/api/v1/staff/notices", {"kind": "notice", "title": "标题"})
    assert r.status == 422 and error(r)["field"] == "body"
    r = c.post("/api/v1/staff/notices", {"kind": "news", "title": "标题", "body": "正文"})
    assert r.status == 422 and error(r)["field"] == "kind"
    r = c.post("/api/v1/staff/notices", {"kind": "notice", "title": "标", "body": "正文"})
    assert r.status == 422 and error(r)["field"] == "title"
    r = c.post("/api/v1/staff/notices", {"kind": "notice", "title": "标题", "body": "字" * 60000})
    assert r.status == 413
    r = c.post("/api/v1/staff/notices", {"kind": "notice", "title": "标题",
                                         "body": "字" * 20001})
    assert r.status == 422 and error(r)["field"] == "body"
    assert h.Client(world.server).get("/api/v1/notices?kind=news").status == 400


# ---- the banner -------------------------------------------------------------------------

def test_the_banner_shows_on_the_public_api_between_its_dates(world, server, db):
    c, public = world.c["prov"], h.Client(server)
    assert public.get("/api/v1/banner").json() == {"banner": None}
    r = c.request("PUT", "/api/v1/staff/banner",
                  body={"kind": "opening", "message": "2027年4月报名已开始", "link": "/me/",
                        "ends_at": "2000-01-02 00:00"})
    assert r.status == 200, r
    assert public.get("/api/v1/banner").json() == {"banner": None}  # ended
    assert c.get("/api/v1/staff/banner").json()["shown"] is False
    r = c.request("PUT", "/api/v1/staff/banner",
                  body={"kind": "maintenance", "message": "今晚22:00至24:00系统维护"})
    b = public.get("/api/v1/banner").json()["banner"]
    assert (b["kind"], b["message"], b["link"]) == ("maintenance", "今晚22:00至24:00系统维护",
                                                    None)
    for body, field in [({"kind": "party", "message": "维护"}, "kind"),
                        ({"kind": "opening", "message": "开"}, "message"),
                        ({"kind": "opening", "message": "报名", "link": "https://evil.example/"},
                         "link"),
                        ({"kind": "opening", "message": "报名", "starts_at": "2030-01-02",
                          "ends_at": "2030-01-01"}, "ends_at")]:
        r = c.request("PUT", "/api/v1/staff/banner", body=body)
        assert r.status == 422 and error(r)["field"] == field, (body, r)
    assert c.request("DELETE", "/api/v1/staff/banner").status == 200
    assert public.get("/api/v1/banner").json() == {"banner": None}
    r = c.request("DELETE", "/api/v1/staff/banner")
    assert r.status == 409 and error(r)["code"] == "BANNER_NOT_SET"
    assert [a for (a,) in q(db, "SELECT action FROM staff_audit WHERE item_kind = 'banner' "
                                "ORDER BY id")] == ["banner.set", "banner.set", "banner.clear"]


# ---- district offices --------------------------------------------------------------------

def test_a_district_office_edits_its_contacts_and_the_trail_keeps_before_and_after(world, server,
                                                                                 db):
    c = world.c["dista"]
    office = {"name": "小店区招生考试办公室", "address": "太原市小店区示例路 1 号",
              "phone": "0351-1234567、0351-7654321", "hours": "工作日 9:00-17:00",
              "note": "请带身份证原件"}
    r = c.request("PUT", "/api/v1/staff/districts/140105/office", body=office)
    assert r.status == 200, r
    assert r.json()["office"]["phone"] == "0351-1234567、0351-7654321"
    r = c.request("PUT", "/api/v1/staff/districts/140105/office",
                  body=dict(office, address="太原市小店区新址 9 号", note=None))
    assert r.status == 200 and r.json()["office"]["note"] is None
    public = h.Client(server).get("/api/v1/districts/140105/office").json()
    assert public["address"] == "太原市小店区新址 9 号"
    # the rules of zikaoctl districts import
    for change, field in [({"phone": "请致电"}, "phone"), ({"phone": "12345"}, "phone"),
                          ({"name": "区"}, "name"), ({"hours": "x" * 101}, "hours")]:
        r = c.request("PUT", "/api/v1/staff/districts/140105/office", body=dict(office, **change))
        assert r.status == 422 and error(r)["field"] == field, (change, r)
    r = c.request("PUT", "/api/v1/staff/districts/140105/office", body={"name": "小店区招办"})
    assert r.status == 422 and error(r)["code"] == "FIELD_REQUIRED"
    r = c.request("PUT", "/api/v1/staff/districts/14010X/office", body=office)
    assert r.status == 404
    before, after, office_col = q(db, "SELECT before, after, office FROM staff_audit WHERE "
                                      "action = 'office.edit' ORDER BY id")[1]
    assert before["address"] == "太原市小店区示例路 1 号"
    assert after["address"] == "太原市小店区新址 9 号" and office_col == "district:140105"


# ---- the enrolment's QR code (for the console's sign-in page) -----------------------------

def test_the_enrolment_answer_carries_the_secret_as_a_qr_code(world, server):
    r = world.c["admin"].post("/api/v1/staff/accounts", {"username": "wang.wu", "name": "王五",
                                                         "role": "district",
                                                         "district": "140105"})
    temp = r.json()["temporary_password"]
    r = h.Client(server).post("/api/v1/staff/auth/login", {"username": "wang.wu",
                                                           "password": temp})
    assert r.status == 200 and r.json()["state"] == "enrol"
    svg = r.json()["qr_svg"]
    assert svg.startswith("<svg xmlns=\"http://www.w3.org/2000/svg\"") and "<path" in svg


def test_queue_counts_come_per_state_and_per_handling_office(world, db):
    attempt(db, world.cand_a)
    attempt(db, candidate(db, "140106", "301"))
    queues = world.c["prov"].get("/api/v1/staff/queues").json()["queues"]
    identity = [x for x in queues if x["kind"] == "identity"][0]
    assert identity["counts"] == {"open": 2}
    assert identity["by_office"] == [
        {"office": "district:140105", "name": "小店区", "counts": {"open": 1}},
        {"office": "district:140106", "name": "迎泽区", "counts": {"open": 1}}]
    mine = world.c["dista"].get("/api/v1/staff/queues").json()["queues"][0]["by_office"]
    assert [o["office"] for o in mine] == ["district:140105"]
