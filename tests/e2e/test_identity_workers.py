"""Identity verification through the real `photo` and `face` workers.

Each test inserts what the server's upload and submit endpoints create (a
candidate, the photo files, an identity_attempts row and one pending
identity_photo_checks row per photo), enqueues one `photo` job per photo and
one `face` job (zikaoctl jobs enqueue), runs `zikao-worker --queue photo` and
`--queue face`, and asserts the rows a candidate's identity page shows: each
photo's verdicts, each face pair's decision, the attempt's state and
reasons, the candidate's verification and exam ID.

The photos are built from the kit's faces (ZIKAO_KIT_DIR) by
workers/face/tests/identity_fixtures.c (the `photos` fixture of conftest.py);
the face models come from ZIKAO_MODELS_DIR. Without either the tests skip and
say why.
"""
import hashlib
import json
import os
import re
import subprocess
import time
import uuid

import pytest

import zikao_harness as h
from zikao_harness import q, q1

SHANXI_DISTRICT = "140105"   # 太原市小店区: issued exam IDs start 0105YY
TIANJIN_DISTRICT = "120101"


@pytest.fixture
def workers(make_worker):
    """start(queue, province="shanxi", env=None) -> a running zikao-worker."""
    def start(queue, province="shanxi", concurrency=1, env=None):
        e = {"ZIKAO_PATHS_MODELS_DIR": h.MODELS, "ZIKAO_PROFILE_PROVINCE": province,
             "OPENBLAS_NUM_THREADS": "1"}
        e.update(env or {})
        return make_worker(queue, concurrency, e)
    return start


def new_candidate(db, kind="new", district=SHANXI_DISTRICT):
    id_number = "%018d" % (uuid.uuid4().int % 10**18)
    return q1(db, "INSERT INTO candidates (id_number, name, district, kind) VALUES "
                  "(%s, '张三', %s, %s) RETURNING id", id_number, district, kind)


def new_attempt(db, candidate, files):
    """files: kind -> JPEG bytes. Creates what the server's submit creates."""
    ids = {}
    for kind, data in files.items():
        ids[kind] = q1(db, "INSERT INTO files (candidate_id, content_type, size, sha256, data) "
                           "VALUES (%s, 'image/jpeg', %s, %s, %s) RETURNING id",
                       candidate, len(data), hashlib.sha256(data).hexdigest(), data)
    attempt = q1(db, "INSERT INTO identity_attempts (candidate_id, photos) VALUES (%s, %s) "
                     "RETURNING id", candidate, json.dumps(ids))
    for kind, file_id in ids.items():
        q(db, "INSERT INTO identity_photo_checks (attempt_id, kind, file_id) VALUES (%s, %s, %s) "
              "RETURNING attempt_id", attempt, kind, file_id)
    return attempt, ids


class Jobs:
    def __init__(self, pg, database, redis_server, db):
        self.conninfo = pg.conninfo(database)
        self.redis_port = redis_server.port
        self.db = db

    def enqueue(self, queue, payload):
        out = h.zikaoctl(self.conninfo, self.redis_port, "jobs", "enqueue", queue, "--payload",
                         json.dumps(payload)).stdout
        assert "1 job(s) added" in out, out

    def photo_jobs(self, attempt, ids):
        for kind, file_id in ids.items():
            self.enqueue("photo", {"attempt_id": attempt, "kind": kind, "file_id": file_id})

    def face_job(self, attempt):
        self.enqueue("face", {"attempt_id": attempt})

    def wait_done(self, queue=None, timeout=120):
        """Waits until every job (of queue) is done; fails on a dead job."""
        where = "WHERE queue = %s" if queue else ""
        args = (queue,) if queue else ()

        def done():
            rows = q(self.db, f"SELECT state, last_error FROM jobs {where}", *args)
            dead = [r for r in rows if r[0] == "dead"]
            assert not dead, f"dead jobs: {dead}"
            return rows and all(r[0] == "done" for r in rows)

        h.wait_until(done, timeout=timeout, step=0.2, what=f"{queue or 'all'} jobs done")


@pytest.fixture
def jobs(pg, database, redis_server, db):
    return Jobs(pg, database, redis_server, db)


def attempt_row(db, attempt):
    state, reasons = q(db, "SELECT state, reasons FROM identity_attempts WHERE id = %s",
                       attempt)[0]
    return state, reasons


def photo_checks(db, attempt):
    return {kind: (state, rules) for kind, state, rules in
            q(db, "SELECT kind, state, rules FROM identity_photo_checks WHERE attempt_id = %s",
              attempt)}


def face_checks(db, attempt):
    return {pair: (distance, decision, reason, model) for pair, distance, decision, reason, model
            in q(db, "SELECT pair, distance, decision, reason, model_version FROM "
                     "identity_face_checks WHERE attempt_id = %s", attempt)}


def rule(rules, name):
    [r] = [r for r in rules if r["rule"] == name]
    return r


def run_all(workers, jobs, province="shanxi", env=None):
    workers("photo", province, concurrency=2, env=env)
    workers("face", province, env=env)
    jobs.wait_done()


SHANXI_SET = {"registration": "sx_reg_sheldon.jpg", "idcard": "sx_id_sheldon.jpg",
              "holding": "sx_hold_sheldon.jpg"}


def submit(db, jobs, photos, names, kind="new", district=SHANXI_DISTRICT):
    cand = new_candidate(db, kind, district)
    attempt, ids = new_attempt(db, cand, {k: photos(v) for k, v in names.items()})
    jobs.photo_jobs(attempt, ids)
    jobs.face_job(attempt)
    return cand, attempt


def test_matching_photos_pass_and_a_new_candidate_gets_an_exam_id(db, jobs, workers, photos):
    cand, attempt = submit(db, jobs, photos, SHANXI_SET)
    run_all(workers, jobs)

    state, reasons = attempt_row(db, attempt)
    assert (state, reasons) == ("passed", [])
    assert q1(db, "SELECT decided_at IS NOT NULL FROM identity_attempts WHERE id = %s", attempt)
    checks = photo_checks(db, attempt)
    assert set(checks) == {"registration", "idcard", "holding"}
    for kind, (st, rules) in checks.items():
        assert st == "passed", (kind, [r for r in rules if r["verdict"] != "passed"])
        assert all(r["verdict"] == "passed" for r in rules)
        for r in rules:  # every verdict says what was measured and what is required
            assert {"rule", "verdict", "value", "required", "message", "title"} <= set(r)
    # Real landmarks: the face rules measured something, nothing is pending.
    reg = checks["registration"][1]
    assert rule(reg, "face_count")["value"] == 1
    assert isinstance(rule(reg, "face_centre")["value"], (int, float))
    assert rule(checks["holding"][1], "face_count")["value"] == 2
    faces = face_checks(db, attempt)
    assert set(faces) == {"registration~idcard", "holding_person~registration",
                          "holding_card~registration"}
    for pair, (distance, decision, reason, model) in faces.items():
        assert decision == "pass", (pair, distance, reason)
        assert 0 <= distance <= 0.5
        assert model.startswith("face-api 1.7.15 ")
    ident, verified_at = q(db, "SELECT identity, verified_at FROM candidates WHERE id = %s",
                           cand)[0]
    assert ident == "verified" and verified_at is not None
    [(exam_id, source)] = q(db, "SELECT exam_id, source FROM exam_ids WHERE candidate_id = %s",
                            cand)
    assert source == "issued"
    assert re.fullmatch(r"0105\d{2}\d{6}", exam_id), exam_id


def test_through_the_server_upload_submit_and_read_the_verdict(make_server, db, jobs, workers,
                                                               photos):
    # The candidate's side: upload the three photos, start an attempt, read
    # the result, with the lead's endpoints (the jobs come from the server).
    server = make_server()
    cand = new_candidate(db)
    c = h.Client(server)
    assert c.post("/api/v1/_test/session", {"candidate_id": cand}).status == 201
    for kind, name in SHANXI_SET.items():
        r = c.request("PUT", f"/api/v1/me/identity/photos/{kind}", raw=photos(name),
                      content_type="image/jpeg")
        assert r.status == 200, r
    r = c.post("/api/v1/me/identity/attempts")
    assert r.status == 202, r
    attempt = r.json()["attempt_id"]
    assert c.get(f"/api/v1/me/identity/attempts/{attempt}").json()["state"] == "pending"
    run_all(workers, jobs)

    body = c.get(f"/api/v1/me/identity/attempts/{attempt}").json()
    assert body["state"] == "passed" and body["reasons"] == []
    assert [p["state"] for p in body["photos"]] == ["passed"] * 3
    assert sorted(f["decision"] for f in body["faces"]) == ["pass"] * 3
    assert c.get("/api/v1/me/identity").json()["state"] == "verified"
    assert q1(db, "SELECT count(*) FROM exam_ids WHERE candidate_id = %s AND source = 'issued'",
              cand) == 1


def server_candidate(make_server, db, photos, names):
    """A logged-in candidate of a real server who uploaded the photos names."""
    server = make_server()
    c = h.Client(server)
    assert c.post("/api/v1/_test/session", {"candidate_id": new_candidate(db)}).status == 201
    for kind, name in names.items():
        assert upload(c, kind, photos(name)).status == 200
    return c


def upload(c, kind, data):
    return c.request("PUT", f"/api/v1/me/identity/photos/{kind}", raw=data,
                     content_type="image/jpeg")


def test_unchanged_photos_that_failed_a_rule_are_refused_naming_the_finding(make_server, db, jobs,
                                                                            workers, photos):
    c = server_candidate(make_server, db, photos,
                         dict(SHANXI_SET, registration="sx_reg_darkgrey.jpg"))
    assert c.post("/api/v1/me/identity/attempts").status == 202
    run_all(workers, jobs)
    assert c.get("/api/v1/me/identity").json()["state"] == "failed"
    # the same bytes uploaded again are the same photo
    assert upload(c, "registration", photos("sx_reg_darkgrey.jpg")).status == 200

    r = c.post("/api/v1/me/identity/attempts")
    assert r.status == 422 and r.json()["error"]["code"] == "PHOTOS_UNCHANGED"
    message = r.json()["error"]["message"]
    assert "彩色证件照（背景颜色）" in message and "深灰色" in message and "改正" in message
    assert c.get("/api/v1/me/identity").json()["attempts_left_today"] == 2
    assert upload(c, "registration", photos("sx_reg_sheldon.jpg")).status == 200
    assert c.post("/api/v1/me/identity/attempts").status == 202


def test_unchanged_photos_whose_faces_did_not_match_are_refused_naming_the_finding(
        make_server, db, jobs, workers, photos):
    c = server_candidate(make_server, db, photos, dict(SHANXI_SET, idcard="sx_id_leonard.jpg"))
    assert c.post("/api/v1/me/identity/attempts").status == 202
    run_all(workers, jobs)
    assert c.get("/api/v1/me/identity").json()["state"] == "failed"

    r = c.post("/api/v1/me/identity/attempts")
    assert r.status == 422 and r.json()["error"]["code"] == "PHOTOS_UNCHANGED"
    assert "不是同一人" in r.json()["error"]["message"]
    assert c.get("/api/v1/me/identity").json()["attempts_left_today"] == 2
    assert upload(c, "idcard", photos("sx_id_sheldon.jpg")).status == 200
    assert c.post("/api/v1/me/identity/attempts").status == 202


def test_another_persons_id_card_fails_with_a_reason(db, jobs, workers, photos):
    cand, attempt = submit(db, jobs, photos, dict(SHANXI_SET, idcard="sx_id_leonard.jpg"))
    run_all(workers, jobs)

    state, reasons = attempt_row(db, attempt)
    assert state == "failed"
    distance, decision, reason, _ = face_checks(db, attempt)["registration~idcard"]
    assert decision == "fail" and distance > 0.7
    assert "不是同一人" in reason and "身份证人像面照片" in reason
    assert reason in reasons
    # The photos themselves are fine: only the comparison failed.
    assert all(st == "passed" for st, _ in photo_checks(db, attempt).values())
    assert q1(db, "SELECT identity FROM candidates WHERE id = %s", cand) == "unverified"
    assert q1(db, "SELECT count(*) FROM exam_ids WHERE candidate_id = %s", cand) == 0


def test_a_photo_failing_a_rule_fails_the_attempt_naming_photo_and_rule(db, jobs, workers,
                                                                         photos):
    cand, attempt = submit(db, jobs, photos,
                           dict(SHANXI_SET, registration="sx_reg_darkgrey.jpg"))
    run_all(workers, jobs)

    state, reasons = attempt_row(db, attempt)
    assert state == "failed"
    st, rules = photo_checks(db, attempt)["registration"]
    assert st == "failed"
    bg = rule(rules, "background_colour")
    assert bg["verdict"] == "failed" and "深灰色" in bg["message"]
    # what it measured, in words, beside the range allowed (the identity page shows both)
    assert bg["measured"].startswith("与要求颜色的色差 ") and bg["required"] == "色差（CIEDE2000）不超过 16"
    assert rule(rules, "file_size")["measured"].endswith("KB")
    assert [r["rule"] for r in rules if r["verdict"] == "failed"] == ["background_colour"]
    assert any(r.startswith("彩色证件照（背景颜色）：") and "深灰色" in r for r in reasons), reasons
    # Same person everywhere: the faces still match.
    assert {d for _, d, _, _ in face_checks(db, attempt).values()} == {"pass"}
    assert q1(db, "SELECT identity FROM candidates WHERE id = %s", cand) == "unverified"


def test_no_face_or_extra_faces_give_clear_reasons(db, jobs, workers, photos):
    _, no_face = submit(db, jobs, photos, dict(SHANXI_SET, registration="sx_reg_noface.jpg"))
    _, two = submit(db, jobs, photos, dict(SHANXI_SET, registration="sx_reg_two.jpg"))
    _, no_card = submit(db, jobs, photos, dict(SHANXI_SET, holding="sx_hold_nocard.jpg"))
    run_all(workers, jobs)

    state, reasons = attempt_row(db, no_face)
    assert state == "failed"
    assert rule(photo_checks(db, no_face)["registration"][1], "face_count")["value"] == 0
    distance, decision, reason, _ = face_checks(db, no_face)["registration~idcard"]
    assert (distance, decision) == (None, "fail")
    assert "彩色证件照中未检测到人脸" in reason and reason in reasons

    state, reasons = attempt_row(db, two)
    assert state == "failed"
    assert rule(photo_checks(db, two)["registration"][1], "face_count")["value"] == 2
    reason = face_checks(db, two)["registration~idcard"][2]
    assert "检测到 2 张人脸，只能有本人一张" in reason and reason in reasons

    state, reasons = attempt_row(db, no_card)
    assert state == "failed"
    st, rules = photo_checks(db, no_card)["holding"]
    assert st == "failed" and rule(rules, "face_count")["value"] == 1
    holding = face_checks(db, no_card)
    assert holding["registration~idcard"][1] == "pass"
    for pair in ("holding_person~registration", "holding_card~registration"):
        assert holding[pair][1] == "fail"
        assert "检测到 1 张人脸，要求 2 张（本人和身份证上的人像）" in holding[pair][2]
    assert sum("要求 2 张" in r for r in reasons) == 2  # the photo rule and the face pairs


def test_enrolled_candidate_is_verified_against_the_id_card_without_a_new_exam_id(
        db, jobs, workers, photos):
    cand, attempt = submit(db, jobs, photos, {"idcard": "sx_id_sheldon.jpg",
                                              "holding": "sx_hold_sheldon.jpg"}, kind="enrolled")
    run_all(workers, jobs)

    assert attempt_row(db, attempt) == ("passed", [])
    assert set(face_checks(db, attempt)) == {"holding_person~idcard", "holding_card~idcard"}
    assert q1(db, "SELECT identity FROM candidates WHERE id = %s", cand) == "verified"
    assert q1(db, "SELECT count(*) FROM exam_ids WHERE candidate_id = %s", cand) == 0


def test_holding_the_wrong_card_fails(db, jobs, workers, photos):
    # Another person holds another person's card: both holding faces fail.
    _, attempt = submit(db, jobs, photos, dict(SHANXI_SET, holding="sx_hold_leonard.jpg"))
    run_all(workers, jobs)
    state, reasons = attempt_row(db, attempt)
    assert state == "failed"
    faces = face_checks(db, attempt)
    assert faces["holding_person~registration"][1] == "fail"
    assert "手持人" in faces["holding_person~registration"][2]
    assert faces["holding_card~registration"][1] == "fail"
    assert "手持的身份证人像" in faces["holding_card~registration"][2]


def describe(path):
    """The operator's zikaoctl face describe (the detector at input size 416)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZIKAO_")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    r = subprocess.run([h.binary("zikaoctl"), "face", "describe", "--models", h.MODELS, path],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_small_card_portrait_is_found_at_a_larger_detector_size(db, jobs, workers, photos):
    # The card is held further away: at input 416 only the person is found.
    name = "sx_hold_far_card.jpg"
    assert len(describe(os.path.join(photos.dir, name))["faces"]) == 1
    cand, attempt = submit(db, jobs, photos, dict(SHANXI_SET, holding=name))
    run_all(workers, jobs)
    st, rules = photo_checks(db, attempt)["holding"]
    assert st == "passed" and rule(rules, "face_count")["value"] == 2
    faces = face_checks(db, attempt)
    assert faces["holding_card~registration"][1] == "pass", faces
    assert attempt_row(db, attempt) == ("passed", [])


def compare(a, b):
    """The operator's zikaoctl face compare on two stored photos."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZIKAO_")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    r = subprocess.run([h.binary("zikaoctl"), "face", "compare", "--models", h.MODELS, a, b],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_tianjin_review_band_gives_review_for_district_staff(db, jobs, workers, photos):
    # stuart1 and stuart5 are one person whose distance lies between the
    # pass threshold (0.50) and the review threshold (0.70).
    names = {"registration": "tj_reg_stuart.jpg", "idcard": "tj_id_stuart.jpg"}
    ref = compare(os.path.join(photos.dir, names["registration"]),
                  os.path.join(photos.dir, names["idcard"]))
    assert 0.5 < ref["distance"] <= 0.7, f"fixture no longer in the review band: {ref}"
    cand, attempt = submit(db, jobs, photos, names, district=TIANJIN_DISTRICT)
    run_all(workers, jobs, province="tianjin")

    state, reasons = attempt_row(db, attempt)
    checks = photo_checks(db, attempt)
    assert all(st == "passed" for st, _ in checks.values()), checks
    # Tianjin's geometry rules measured real landmarks.
    reg = checks["registration"][1]
    for name in ("head_top", "eye_line", "face_width", "face_centre", "symmetry"):
        assert rule(reg, name)["verdict"] == "passed", rule(reg, name)
    distance, decision, reason, _ = face_checks(db, attempt)["registration~idcard"]
    assert decision == "review"
    assert abs(distance - ref["distance"]) < 0.02
    assert state == "review"
    assert reasons == [reason] and "人工审核" in reason
    assert q1(db, "SELECT identity FROM candidates WHERE id = %s", cand) == "unverified"


def test_tianjin_matching_photos_pass_with_every_geometry_rule_measured(db, jobs, workers,
                                                                         photos):
    cand, attempt = submit(db, jobs, photos, {"registration": "tj_reg_sheldon.jpg",
                                              "idcard": "tj_id_sheldon.jpg"},
                           district=TIANJIN_DISTRICT)
    run_all(workers, jobs, province="tianjin")
    assert attempt_row(db, attempt) == ("passed", [])
    reg = photo_checks(db, attempt)["registration"][1]
    assert 20 * 1024 <= rule(reg, "file_size")["value"] <= 40 * 1024
    assert 200 <= rule(reg, "eye_line")["value"] <= 300
    assert 180 <= rule(reg, "face_width")["value"] <= 300
    assert 50 <= rule(reg, "head_top")["value"] <= 110
    [exam_id] = [r[0] for r in q(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s",
                                 cand)]
    assert exam_id.startswith("0101")  # 天津市和平区 120101


def test_tianjin_eye_line_out_of_range_fails_naming_the_rule(db, jobs, workers, photos):
    _, attempt = submit(db, jobs, photos, {"registration": "tj_reg_low.jpg",
                                           "idcard": "tj_id_sheldon.jpg"},
                        district=TIANJIN_DISTRICT)
    run_all(workers, jobs, province="tianjin")
    state, reasons = attempt_row(db, attempt)
    assert state == "failed"
    eye = rule(photo_checks(db, attempt)["registration"][1], "eye_line")
    assert eye["verdict"] == "failed" and eye["value"] > 300 and eye["max"] == 300
    assert any(r.startswith("报名照片（眼睛位置）：") for r in reasons), reasons


def test_attempt_stays_pending_until_every_job_is_done(db, jobs, workers, photos):
    cand, attempt = submit(db, jobs, photos, SHANXI_SET)
    workers("photo", concurrency=2)
    jobs.wait_done("photo")
    # Every photo passed, but the faces have not been compared yet.
    assert all(st == "passed" for st, _ in photo_checks(db, attempt).values())
    assert attempt_row(db, attempt) == ("pending", [])
    assert q1(db, "SELECT identity FROM candidates WHERE id = %s", cand) == "unverified"
    workers("face")
    jobs.wait_done()
    assert attempt_row(db, attempt) == ("passed", [])


def test_face_job_first_then_photos_decides_on_the_last_photo(db, jobs, workers, photos):
    cand, attempt = submit(db, jobs, photos, SHANXI_SET)
    workers("face")
    jobs.wait_done("face")
    assert {d for _, d, _, _ in face_checks(db, attempt).values()} == {"pass"}
    assert attempt_row(db, attempt) == ("pending", [])
    workers("photo", concurrency=2)
    jobs.wait_done()
    assert attempt_row(db, attempt) == ("passed", [])
    assert q1(db, "SELECT count(*) FROM exam_ids WHERE candidate_id = %s", cand) == 1


def snapshot(db, attempt, cand):
    return (q(db, "SELECT state, reasons, decided_at FROM identity_attempts WHERE id = %s",
              attempt),
            q(db, "SELECT kind, state, rules, checked_at FROM identity_photo_checks WHERE "
                  "attempt_id = %s ORDER BY kind", attempt),
            q(db, "SELECT pair, distance, decision, reason, checked_at FROM identity_face_checks "
                  "WHERE attempt_id = %s ORDER BY pair", attempt),
            q(db, "SELECT identity, verified_at FROM candidates WHERE id = %s", cand),
            q(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", cand))


def test_running_the_jobs_again_changes_nothing(db, jobs, workers, photos):
    cand, attempt = submit(db, jobs, photos, SHANXI_SET)
    run_all(workers, jobs)
    before = snapshot(db, attempt, cand)
    assert before[0][0][0] == "passed"
    # The same jobs delivered again (new job rows, same payloads).
    ids = {k: v for k, v in q(db, "SELECT kind, file_id FROM identity_photo_checks WHERE "
                                  "attempt_id = %s", attempt)}
    jobs.photo_jobs(attempt, ids)
    jobs.face_job(attempt)
    jobs.wait_done()
    assert q1(db, "SELECT count(*) FROM jobs WHERE state = 'done'") == 8
    assert snapshot(db, attempt, cand) == before


def test_a_decided_attempt_is_never_overturned_by_a_late_job(db, jobs, workers, photos):
    # Staff decided a review case by hand; a job run again later must not undo it.
    _, attempt = submit(db, jobs, photos, dict(SHANXI_SET, idcard="sx_id_leonard.jpg"))
    run_all(workers, jobs)
    assert attempt_row(db, attempt)[0] == "failed"
    q(db, "UPDATE identity_attempts SET state = 'passed', reasons = '[]' WHERE id = %s "
          "RETURNING id", attempt)
    jobs.face_job(attempt)
    jobs.wait_done()
    assert attempt_row(db, attempt) == ("passed", [])


def test_bad_payloads_end_dead_with_the_error_kept(db, jobs, workers, photos):
    _, attempt = submit(db, jobs, photos, {"idcard": "sx_id_sheldon.jpg"}, kind="enrolled")
    jobs.enqueue("photo", {"attempt_id": attempt, "kind": "holding", "file_id": 1})
    jobs.enqueue("photo", {"attempt_id": 999999, "kind": "idcard", "file_id": 1})
    workers("photo", env={"ZIKAO_JOBS_MAX_ATTEMPTS": "1"})
    h.wait_until(lambda: q1(db, "SELECT count(*) FROM jobs WHERE state = 'dead'") == 2,
                 timeout=60, what="two dead jobs")
    errors = sorted(r[0] for r in q(db, "SELECT last_error FROM jobs WHERE state = 'dead'"))
    assert "has no holding photo" in errors[0] or "has no holding photo" in errors[1]
    assert any("identity attempt 999999 does not exist" in e for e in errors)


def test_an_attempt_whose_check_job_dies_fails_instead_of_waiting_for_ever(db, jobs, workers,
                                                                            photos):
    cand = new_candidate(db, kind="enrolled")
    attempt, ids = new_attempt(db, cand, {"idcard": photos("sx_id_sheldon.jpg"),
                                          "holding": photos("sx_id_sheldon.jpg")})
    jobs.enqueue("photo", {"attempt_id": attempt, "kind": "idcard", "file_id": 999999999})
    workers("photo", env={"ZIKAO_JOBS_MAX_ATTEMPTS": "1"})
    h.wait_until(lambda: q1(db, "SELECT count(*) FROM jobs WHERE state = 'dead'") == 1,
                 timeout=60, what="dead job")
    row = q(db, "SELECT state, reasons FROM identity_attempts WHERE id = %s", attempt)[0]
    assert row[0] == "failed"
    assert any("系统未能完成本次认证的照片检查" in r for r in row[1])


def test_an_operators_photo_specs_file_changes_the_rules(db, jobs, workers, photos, tmp_path):
    # [paths] photo_specs: the office accepts a dark grey background too,
    # without a rebuild. The same photo that fails with the built-in rules
    # passes with the operator's file.
    with open(os.path.join(h.SOURCE, "config", "photo_specs.ini"), encoding="utf-8") as f:
        text = f.read()
    marker = "[shanxi.registration]\ninherit = shanxi.graduation\n"
    assert marker in text
    text = text.replace(marker, marker + "background = light_blue blue white light_grey dark_grey\n")
    specs = tmp_path / "photo_specs.ini"
    specs.write_text(text, encoding="utf-8")

    cand, attempt = submit(db, jobs, photos, dict(SHANXI_SET, registration="sx_reg_darkgrey.jpg"))
    run_all(workers, jobs, env={"ZIKAO_PATHS_PHOTO_SPECS": str(specs)})
    assert attempt_row(db, attempt) == ("passed", [])
    st, rules = photo_checks(db, attempt)["registration"]
    assert st == "passed" and rule(rules, "background_colour")["verdict"] == "passed"


def test_a_missing_or_broken_photo_specs_file_stops_the_worker_naming_it(pg, database,
                                                                          redis_server,
                                                                          tmpdir_path, tmp_path, photos):
    broken = tmp_path / "broken.ini"
    broken.write_text("[shanxi.registration]\nbackground = no_such_colour\n", encoding="utf-8")
    for path in (str(tmp_path / "missing.ini"), str(broken)):
        w = h.Worker(tmpdir_path, pg.conninfo(database), redis_server.port, queue="photo",
                     concurrency=1, env={"ZIKAO_PATHS_MODELS_DIR": h.MODELS,
                                         "ZIKAO_PATHS_PHOTO_SPECS": path})
        with pytest.raises(RuntimeError) as e:
            w.start()
        assert w.proc.returncode != 0
        assert "photo specifications " + path in str(e.value), str(e.value)
