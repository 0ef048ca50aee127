"""The graduation application's staff side (schema/0025_graduation_review.sql,
server/api/graduation_review.c): an application that needs a person is an
item of the `graduation` review queue at the district the candidate chose;
approving opens the way to payment, refusing tells the candidate why; after
payment the district records the paper originals by the deadline (or the
application lapses) and the province decides; Tianjin goes district then
市考试院. Applications are set up through the candidate API (the photo
worker's verdict and the provider's payment through the SQL they call)."""
import io
import zipfile

import pytest

import test_graduation as g
import test_staff as s
import zikao_harness as h
from test_graduation import major  # noqa: F401  (autouse: the test major)
from zikao_harness import q, q1


@pytest.fixture
def server(make_server):
    return make_server(env=s.ENV)


@pytest.fixture
def world(server, db, pg, database, redis_server):
    return s.World(server, db, pg, database, redis_server)


def item_of(db, app_id):
    return q1(db, "SELECT id FROM review_items WHERE kind = 'graduation' AND subject = %s "
                  "ORDER BY id DESC LIMIT 1", app_id)


def items(world, who):
    r = world.c[who].get("/api/v1/staff/queues/graduation/items")
    assert r.status == 200, r
    return r.json()["items"]


def decide(world, who, item, decision, reason=None):
    body = {"decision": decision}
    if reason:
        body["reason"] = reason
    return world.c[who].post(f"/api/v1/staff/queues/graduation/items/{item}/decision", body)


def paid(db, app_id):
    """The provider's payment, as the payment worker applies it."""
    q1(db, "SELECT (application_transition(%s, 'pay', 'provider', NULL, NULL, NULL)).state",
       app_id)


def shanxi_in_review(world, db, district="140105"):
    cid = g.candidate(db, district=district)
    c = g.client(world.server, cid)
    g.window(db)
    app_id = g.to_district_review(db, c, g.applied(c, g.draft(district=district)))
    return c, app_id


def test_a_shanxi_application_needing_a_person_waits_at_the_chosen_district(world, db):
    c, app_id = shanxi_in_review(world, db)
    item = item_of(db, app_id)
    listed = items(world, "dista")
    assert [i["id"] for i in listed] == [item]
    assert listed[0]["summary"]["major"] == g.MAJOR and listed[0]["summary"]["photo"] == "failed"
    assert items(world, "distb") == []  # another district sees nothing of it
    r = world.c["distb"].get(f"/api/v1/staff/queues/graduation/items/{item}")
    assert r.status == 404
    detail = world.c["dista"].get(f"/api/v1/staff/queues/graduation/items/{item}").json()
    d = detail["detail"]
    assert d["application"]["id"] == app_id and d["application"]["state"] == "reviewing"
    assert d["photo"]["state"] == "failed" and "audit" in d["audit"]  # why it is here: the photo
    assert [t["transition"] for t in d["timeline"]] == ["create", "submit", "photo_by_hand"]
    # the photo itself is there for the district to look at, and the look is in the trail
    photo = world.c["dista"].get(f"/api/v1/staff/files/{d['photo']['file_id']}")
    assert photo.status == 200 and photo.body.startswith(b"\xff\xd8")
    assert world.c["distb"].get(f"/api/v1/staff/files/{d['photo']['file_id']}").status == 404
    assert q1(db, "SELECT count(*) FROM staff_audit WHERE action = 'view.photo'") == 1


def test_the_district_reads_the_chosen_universities_by_name_and_each_steps_title(world, db):
    c, app_id = shanxi_in_review(world, db)
    r = world.c["dista"].get(f"/api/v1/staff/queues/graduation/items/{item_of(db, app_id)}")
    d = r.json()["detail"]
    assert d["application"]["universities"] == [{"code": g.UNIVERSITY, "name": "测试大学"}]
    assert [t["title"] for t in d["timeline"]][:1] == ["创建"]
    assert all(t["title"] for t in d["timeline"]), d["timeline"]


def test_approving_accepts_the_photo_by_hand_and_the_candidate_pays_next(world, db):
    c, app_id = shanxi_in_review(world, db)
    item = item_of(db, app_id)
    r = decide(world, "dista", item, "approve")
    assert r.status == 200, r
    assert r.json()["effect"]["state"] == "approved"
    assert q1(db, "SELECT state FROM application_photos WHERE application_id = %s",
              app_id) == "by_hand"
    app = c.get(f"/api/v1/me/applications/{app_id}").json()
    assert app["state"] == "approved"
    r = c.post(f"/api/v1/me/applications/{app_id}/order")
    assert r.status in (200, 201) and r.json()["amount_fen"] > 0, r
    # approving twice, or deciding from another district
    assert decide(world, "dista", item, "approve").json()["error"]["code"] == "ITEM_DECIDED"
    assert decide(world, "distb", item, "refuse", "x").status == 404


def test_refusing_tells_the_candidate_why_and_allows_one_more_application(world, db):
    c, app_id = shanxi_in_review(world, db)
    item = item_of(db, app_id)
    r = decide(world, "dista", item, "return", "请补交材料")
    assert r.status == 422 and r.json()["error"]["code"] == "DECISION_INVALID"
    assert q1(db, "SELECT state FROM review_items WHERE id = %s", item) == "open"  # unchanged
    r = decide(world, "dista", item, "refuse", "旧计划课程合格证与成绩记录不符")
    assert r.status == 200, r
    app = c.get(f"/api/v1/me/applications/{app_id}").json()
    assert app["state"] == "refused"
    assert "旧计划课程合格证与成绩记录不符" in str(app["timeline"])
    r = c.post("/api/v1/me/applications", {"kind": "graduation"})
    assert r.status in (200, 201), r  # the one re-application the window allows


def test_the_papers_come_in_at_the_district_then_the_province_decides(world, db):
    c, app_id = shanxi_in_review(world, db)
    assert decide(world, "dista", item_of(db, app_id), "approve").status == 200
    url = f"/api/v1/staff/graduation/applications/{app_id}/papers"
    r = world.c["dista"].post(url, {})
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_WRONG_STATE"  # unpaid
    paid(db, app_id)
    assert world.c["distb"].post(url, {}).status == 404          # not their candidate's choice
    assert world.c["point"].post(url, {}).status == 403          # a confirmation point
    assert world.c["audit"].post(url, {}).status == 403          # read-only
    assert world.c["nobody"].post(url, {}).status == 401
    assert world.c["dista"].post("/api/v1/staff/graduation/applications/x/papers",
                                 {}).status == 404
    r = world.c["dista"].post(url, {})
    assert r.status == 200 and r.json()["application"]["state"] == "papers_in", r
    assert world.c["dista"].post(url, {}).json()["application"]["state"] == "papers_in"
    assert q1(db, "SELECT count(*) FROM staff_audit WHERE action = 'graduation.papers'") == 1
    # the province's decision: the district sees no item, the province approves
    item = item_of(db, app_id)
    assert items(world, "dista") == [] or item not in [i["id"] for i in items(world, "dista")]
    assert decide(world, "dista", item, "approve").status == 404
    r = decide(world, "prov", item, "approve")
    assert r.status == 200 and r.json()["effect"]["state"] == "graduated", r
    assert c.get(f"/api/v1/me/applications/{app_id}").json()["state_title"] == "审定通过"


def test_papers_not_in_by_the_deadline_lapse_the_application(world, db, make_worker):
    c, app_id = shanxi_in_review(world, db)
    assert decide(world, "dista", item_of(db, app_id), "approve").status == 200
    paid(db, app_id)
    window = q1(db, "SELECT window_id FROM applications WHERE id = %s", app_id)
    q(db, "INSERT INTO graduation_papers_deadlines (window_id, due_at) VALUES "
          "(%s, now() - interval '1 minute')", window)
    r = world.c["dista"].post(f"/api/v1/staff/graduation/applications/{app_id}/papers", {})
    assert r.status == 409 and r.json()["error"]["code"] == "PAPERS_DEADLINE_PASSED"
    make_worker("noop", 1)  # every worker runs the keeper's tasks
    h.wait_until(lambda: c.get(f"/api/v1/me/applications/{app_id}").json()["state"] == "lapsed",
                 timeout=90, what="the application lapsed")
    app = c.get(f"/api/v1/me/applications/{app_id}").json()
    assert "未在规定时间内交回纸质材料" in str(app["timeline"])


def test_tianjin_goes_to_the_district_then_the_city_office(make_server, db, pg, database,
                                                           redis_server):
    server = make_server(env={**s.ENV, "ZIKAO_PROFILE_PROVINCE": "tianjin"})
    world = s.World(server, db, pg, database, redis_server)
    district = "120101"
    officer = q1(db, "INSERT INTO staff (username, name, role, district, password_hash, "
                     "password_must_change, totp_secret) SELECT 'tjdist', '和平区职员', 'district', "
                     "%s, password_hash, false, %s FROM staff WHERE username = 'admin' "
                     "RETURNING id", district, s.SECRET)
    assert officer
    world.c["tj"] = s.sign_in(server, "tjdist")
    cid = g.candidate(db, district=district)
    jpeg = b"\xff\xd8\xff\xe0" + b"reg" * 100
    fid = q1(db, "INSERT INTO files (candidate_id, content_type, size, sha256, data) VALUES "
                 "(%s, 'image/jpeg', %s, repeat('1', 64), %s) RETURNING id", cid, len(jpeg), jpeg)
    q(db, "INSERT INTO identity_photos (candidate_id, kind, file_id) VALUES "
          "(%s, 'registration', %s)", cid, fid)
    c = g.client(server, cid)
    g.window(db)
    path = g.applied(c, g.draft(district=district, address=None))
    assert c.post(path + "/submit").status == 200
    app_id = int(path.rsplit("/", 1)[1])
    assert item_of(db, app_id) is None  # unpaid applications are not reviewed
    paid(db, app_id)
    item = item_of(db, app_id)
    assert [i["id"] for i in items(world, "tj")] == [item]
    assert items(world, "tj")[0]["checks_passed"] is True
    r = world.c["tj"].post("/api/v1/staff/queues/graduation/bulk-approve", {"items": [item]})
    assert r.status == 200, r
    assert c.get(path).json()["state"] == "province_review"
    city = item_of(db, app_id)
    assert city != item and items(world, "tj") == []
    r = decide(world, "prov", city, "approve")
    assert r.status == 200 and r.json()["effect"]["state"] == "approved", r


def test_the_province_exports_the_graduates_with_their_photos_for_electronic_registration(
        world, db, make_worker):
    c, app_id = shanxi_in_review(world, db)
    assert decide(world, "dista", item_of(db, app_id), "approve").status == 200
    paid(db, app_id)
    assert world.c["dista"].post(f"/api/v1/staff/graduation/applications/{app_id}/papers",
                                 {}).status == 200
    assert decide(world, "prov", item_of(db, app_id), "approve").status == 200
    window = q1(db, "SELECT window_id FROM applications WHERE id = %s", app_id)
    id_number = q1(db, "SELECT c.id_number FROM candidates c JOIN applications a ON "
                       "a.candidate_id = c.id WHERE a.id = %s", app_id)
    photo = bytes(q1(db, "SELECT f.data FROM files f JOIN application_photos p ON "
                         "p.file_id = f.id WHERE p.application_id = %s", app_id))
    url = "/api/v1/staff/graduation/exports"
    assert world.c["dista"].post(url, {"window_id": window}).status == 403
    assert world.c["nobody"].post(url, {"window_id": window}).status == 401
    r = world.c["prov"].post(url, {"window_id": "one"})
    assert r.status == 422 and r.json()["error"]["field"] == "window_id"
    r = world.c["prov"].post(url, {"window_id": window + 1000})
    assert r.status == 422 and r.json()["error"]["code"] == "WINDOW_NOT_FOUND"
    assert q1(db, "SELECT count(*) FROM graduation_exports") == 0  # nothing was recorded
    r = world.c["prov"].post(url, {"window_id": window})
    assert r.status == 202 and r.json()["export"]["state"] == "queued", r
    export = r.json()["export"]["id"]
    make_worker("archive", 1)
    h.wait_until(lambda: world.c["prov"].get(url).json()["items"][0]["state"] == "done",
                 what="the export made")
    listed = world.c["prov"].get(url).json()["items"][0]
    assert (listed["graduates"], listed["missing_photos"]) == (1, 0)
    assert world.c["dista"].get(listed["download"]).status == 403
    assert world.c["prov"].get(f"{url}/{export + 1}/file").status == 404
    r = world.c["prov"].get(listed["download"])
    assert r.status == 200 and r.header("Content-Type") == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.body)) as z:
        assert z.read(f"照片/{id_number}.jpg") == photo
        rows = z.read("毕业生名单.csv").decode("utf-8-sig").splitlines()
    assert rows[0].startswith("序号,姓名,性别,出生日期,证件号码")
    assert rows[1].split(",")[4] == id_number and rows[1].endswith(f"照片/{id_number}.jpg")
    assert q1(db, "SELECT count(*) FROM staff_audit WHERE action = 'view.export'") == 1
