"""Majors, plans, passed courses and the graduation pre-check through the API,
on the demo data (seed 004's 030101K 法学 record and candidates exercising
each substitution rule)."""
import os
import subprocess

import pytest

import zikao_harness as h

CAPTCHA = "TEST7"


@pytest.fixture
def server(make_server, pg, database):
    env = dict(os.environ, ZIKAO_DATABASE_CONNINFO=pg.conninfo(database))
    r = subprocess.run([os.path.join(h.SOURCE, "scripts/demo-data"), h.BUILD], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return make_server(env={"ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": CAPTCHA})


def as_candidate(server, cid):
    c = h.Client(server)
    assert c.post("/api/v1/_test/session", {"candidate_id": cid}).status == 201
    return c


def test_majors_are_public(server):
    r = server.get("/api/v1/majors")
    assert r.status == 200
    majors = {m["code"]: m for m in r.json()["items"]}
    assert majors["030101K"]["name"] == "法学"
    assert len(majors) >= 30
    assert any(m["status"] == "stopping" for m in majors.values())


def test_plan_shows_modules_courses_and_rules(server):
    r = server.get("/api/v1/majors/030101K/plan")
    assert r.status == 200
    body = r.json()
    assert body["major"]["name"] == "法学"
    versions = {p["version"]: p for p in body["plans"]}
    assert set(versions) == {"old", "new"}
    modules = {m["name"]: m for m in versions["new"]["modules"]}
    assert "基础课程" in modules
    codes = [c["code"] for c in modules["基础课程"]["courses"]]
    assert "03709" in codes and "14081" in codes
    assert any(s["rule"] == "E2" and s["kind"] == "credit_pool" for s in body["substitutions"])
    assert server.get("/api/v1/majors/999999/plan").status == 404
    assert server.get("/api/v1/majors/nonsense/plan").status == 404


def test_seed004_record_gets_the_seed_verdict(server):
    c = as_candidate(server, 9000001)
    r = c.post("/api/v1/me/graduation/precheck", {"major": "030101K"})
    assert r.status == 200, r
    audit = r.json()
    assert audit["complete"] is True
    assert "已完成毕业所需课程" in audit["verdict"]
    assert audit["plan_version"] == "new"


def test_missing_course_is_named_with_its_module(server):
    c = as_candidate(server, 9000002)
    audit = c.post("/api/v1/me/graduation/precheck", {"major": "030101K"}).json()
    assert audit["complete"] is False
    messages = " ".join(x["message"] for x in audit["reasons"])
    assert "14081" in messages and "基础课程" in messages


def test_english2_substitution_chosen_and_refused(server):
    c = as_candidate(server, 9000004)
    body = {"major": "030101K", "version": "old",
            "substitutions": [{"rule": "E2", "sources": ["00144", "10791", "02628"]}]}
    r = c.post("/api/v1/me/graduation/precheck", body)
    assert r.status == 200 and r.json()["complete"] is True
    c = as_candidate(server, 9000005)
    body = {"major": "030101K", "version": "old",
            "substitutions": [{"rule": "E2", "sources": ["00144", "10791", "00018", "00019"]}]}
    r = c.post("/api/v1/me/graduation/precheck", body)
    assert r.status == 422
    err = r.json()["error"]
    assert err["code"] == "SUBSTITUTION_REFUSED" and err["field"] == "substitutions"
    assert "E2" in err["message"]
    assert r.json()["audit"]["complete"] is False


def test_precheck_bad_input(server):
    c = as_candidate(server, 9000001)
    r = c.post("/api/v1/me/graduation/precheck", {"major": "999999"})
    assert r.status == 404 and r.json()["error"]["code"] == "MAJOR_NOT_FOUND"
    r = c.post("/api/v1/me/graduation/precheck", {})
    assert r.status == 422 and r.json()["error"]["field"] == "major"
    r = c.post("/api/v1/me/graduation/precheck", {"major": "030101K", "version": "newest"})
    assert r.status == 422 and r.json()["error"]["field"] == "version"
    r = c.post("/api/v1/me/graduation/precheck", {"major": "030101K", "substitutions": "E2"})
    assert r.status == 422 and r.json()["error"]["code"] == "SUBSTITUTION_INVALID"
    r = c.request("POST", "/api/v1/me/graduation/precheck", raw=b"{oops",
                  content_type="application/json")
    assert r.status == 400
    r = server.request("POST", "/api/v1/me/graduation/precheck", body={"major": "030101K"})
    assert r.status == 401


def test_scores_list_and_used_in_audit(server):
    c = as_candidate(server, 9000001)
    r = c.get("/api/v1/me/scores")
    assert r.status == 200
    body = r.json()
    assert len(body["passed"]) >= 15
    assert all(p["used"] is None for p in body["passed"])  # no major asked: unknown
    r = c.get("/api/v1/me/scores?major=030101K")
    assert r.status == 200
    body = r.json()
    assert body["audit"]["complete"] is True
    used = {p["course_code"]: p["used"] for p in body["passed"]}
    assert used["03709"] is True
    assert used["00144"] is False  # the seed marks it unused (否)
    assert c.get("/api/v1/me/scores?major=999999").status == 404
    assert server.get("/api/v1/me/scores").status == 401


def test_every_demo_passed_course_is_under_an_exam_id_of_its_own_candidate(server, pg, database):
    db = pg.connect(database)
    with db.cursor() as cur:
        cur.execute("SELECT exam_id, array_agg(DISTINCT candidate_id ORDER BY candidate_id) "
                    "FROM passed_courses GROUP BY exam_id "
                    "HAVING count(DISTINCT candidate_id) > 1 ORDER BY exam_id")
        shared = cur.fetchall()
        cur.execute("SELECT DISTINCT p.candidate_id, p.exam_id, e.candidate_id "
                    "FROM passed_courses p LEFT JOIN exam_ids e ON e.exam_id = p.exam_id "
                    "WHERE e.candidate_id IS DISTINCT FROM p.candidate_id ORDER BY 1, 2")
        not_theirs = cur.fetchall()
    db.close()
    assert shared == []
    assert not_theirs == []


def test_the_demo_candidate_sees_their_passed_courses_under_their_exam_ids(server):
    c = h.Client(server)
    r = c.post("/api/v1/auth/login", {"login": "010518000001", "password": "Demo2026zk",
                                      "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 200, r
    exam_ids = c.get("/api/v1/me").json()["exam_ids"]
    passed = c.get("/api/v1/me/scores").json()["passed"]
    assert "010518000001" in exam_ids
    assert len(passed) > 0
    assert {p["exam_id"] for p in passed} <= set(exam_ids)
