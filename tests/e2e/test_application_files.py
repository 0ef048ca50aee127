"""Files attached to an application, through the API and the real workers:
Shanxi's zip of old-plan card scans (the `archive` worker opens it) and
Tianjin's supporting material (JPEGs the `photo` worker checks). The slots
are data (application_slots, migration 0023); a candidate adds and deletes
files only in their own draft inside its window; every zip is checked
without trusting what it claims and a refusal names the entry and the rule;
application_files_status() tells the submit what it needs.

The zips are built here with Python's zipfile, including what Windows tools
write: names in GBK without the UTF-8 flag. Tianjin's JPEGs are drawn with
libvips' `vips` command; the photo worker needs the face models
(ZIKAO_MODELS_DIR) and those tests skip without them."""
import io
import os
import shutil
import subprocess
import zipfile

import pytest

import zikao_harness as h

ZIP = "application/zip"
JPEG = "image/jpeg"
SCAN_JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
SCAN_PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(1500)
SCAN_PDF = b"%PDF-1.4\n" + os.urandom(1500)


# ---- building zips ------------------------------------------------------------------------

class RawName(zipfile.ZipInfo):
    """An entry whose name is stored as the given bytes, without the UTF-8
    flag: what Windows' own zip tool writes for 成绩卡.jpg (GBK)."""

    def __init__(self, raw):
        super().__init__(raw.decode("latin-1"))
        self.raw = raw

    def _encodeFilenameFlags(self):
        return self.raw, self.flag_bits


def zip_of(*entries):
    """entries: (name str | ZipInfo, data bytes); deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if isinstance(name, zipfile.ZipInfo):
                name.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(name, data)
    return out.getvalue()


def symlink(name, target):
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the mode below is read
    info.external_attr = (0o120777 << 16)
    return info, target


def jpeg(width, height, quality):
    """A JPEG of noise (sizes grow with the three); skips without `vips`."""
    if shutil.which("vips") is None:
        pytest.skip("SKIP: the vips command is not installed (package libvips-tools)")
    d = os.path.join(h.BUILD, "test-jpegs")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"noise-{width}x{height}-q{quality}.jpg")
    if not os.path.exists(path):
        subprocess.run(["vips", "gaussnoise", f"{path}[Q={quality}]", str(width), str(height)],
                       check=True)
    with open(path, "rb") as f:
        return f.read()


# ---- candidates and applications ------------------------------------------------------------

def candidate(db, region="140105"):
    seq = "%03d" % (h.q1(db, "SELECT count(*) FROM candidates") + 500)
    return h.q1(db, "INSERT INTO candidates (id_number, name, district, kind, identity) VALUES "
                    "(%s, '王五', %s, 'enrolled', 'verified') RETURNING id",
                h.id_number(region=region, seq=seq), region)


def client(server, cid):
    c = h.Client(server)
    r = c.post("/api/v1/_test/session", {"candidate_id": cid})
    assert r.status == 201, r
    return c


def window(db, opens="-1 day", closes="+1 day"):
    h.q(db, "DELETE FROM windows WHERE kind = 'graduation'")
    return h.q1(db, "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
                    "('graduation', '2026-2', '2026年下半年毕业申请', now() + %s::interval, "
                    "now() + %s::interval) RETURNING id", opens, closes)


def application(c, data=None):
    """Opens the candidate's graduation application; saves data into its draft."""
    r = c.post("/api/v1/me/applications", {"kind": "graduation"})
    assert r.status in (200, 201), r
    app = r.json()
    if data is not None:
        r = c.request("PUT", f"/api/v1/me/applications/{app['id']}/draft",
                      body={"version": app["version"], "data": data})
        assert r.status == 200, r
    return app["id"]


def bachelor_major(db):
    """030101K 法学, 本科(专升本) (handbook 004's example): its applicants need
    前置学历证明材料. Returns its code."""
    h.q(db, "INSERT INTO majors (code, name, level) VALUES ('030101K', '法学', '专升本') "
            "ON CONFLICT (code) DO NOTHING")
    return "030101K"


def files_path(app_id, slot=None, n=None):
    p = f"/api/v1/me/applications/{app_id}/files"
    return p + (f"/{slot}" if slot else "") + (f"/{n}" if n else "")


def upload(c, app_id, slot, data, content_type):
    return c.request("PUT", files_path(app_id, slot), raw=data, content_type=content_type)


def slot_of(c, app_id, slot):
    r = c.get(files_path(app_id))
    assert r.status == 200, r
    [s] = [s for s in r.json()["slots"] if s["slot"] == slot]
    return s


def checked(c, app_id, slot, n=1, timeout=60):
    """The file once its worker has decided (not 'checking')."""
    def decided():
        [f] = [f for f in slot_of(c, app_id, slot)["files"] if f["seq"] == n]
        return f if f["state"] != "checking" else None
    h.wait_until(decided, timeout=timeout, step=0.2, what=f"the check of {slot}/{n}")
    return decided()


def status(db, app_id):
    """application_files_status() as the submit reads it: slot -> the rest of its row."""
    return {r[0]: r[1:] for r in h.q(db, "SELECT * FROM application_files_status(%s)", app_id)}


def submit(db, app_id, cid):
    """The candidate's submit, made through the engine (the graduation flow's own
    checks at submit are not what these tests are about)."""
    h.q(db, "SELECT application_transition(%s, 'submit', 'candidate', %s, NULL, NULL)",
        app_id, cid)


# ---- fixtures -----------------------------------------------------------------------------

@pytest.fixture
def shanxi(make_server, db):
    window(db)
    return make_server()


@pytest.fixture
def tianjin(make_server, db):
    window(db)
    return make_server(env={"ZIKAO_PROFILE_PROVINCE": "tianjin"})


@pytest.fixture
def archive_worker(make_worker):
    return make_worker("archive", 1)


@pytest.fixture
def start_photo_worker(make_worker):
    """start() -> a Tianjin photo worker (it loads the face models at start)."""
    if not os.path.isdir(h.MODELS):
        pytest.skip(f"SKIP: face models not found at {h.MODELS} (the photo worker loads them; "
                    "run workers/face/fetch-models.sh, or set ZIKAO_MODELS_DIR)")
    return lambda: make_worker("photo", 1, {"ZIKAO_PATHS_MODELS_DIR": h.MODELS,
                                            "ZIKAO_PROFILE_PROVINCE": "tianjin",
                                            "OPENBLAS_NUM_THREADS": "1"})


# ---- Shanxi: the zip of card scans ----------------------------------------------------------

def test_a_zip_of_scans_is_accepted_and_its_gbk_names_are_decoded(shanxi, db, archive_worker):
    cid = candidate(db)
    c = client(shanxi, cid)
    app = application(c)
    data = zip_of((RawName("成绩卡.jpg".encode("gbk")), SCAN_JPG),
                  ("实践考核卡/", b""), ("实践考核卡/二.png", SCAN_PNG), ("三.pdf", SCAN_PDF))
    r = upload(c, app, "old_cards", data, ZIP)
    assert r.status == 201, r
    assert r.json()["state"] == "checking" and r.json()["seq"] == 1
    assert r.header("Location") == files_path(app, "old_cards", 1)
    f = checked(c, app, "old_cards")
    assert f["state"] == "accepted" and f["reason"] is None
    assert [(e["name"], e["type"]) for e in f["entries"]] == [
        ("成绩卡.jpg", "image/jpeg"), ("实践考核卡/二.png", "image/png"),
        ("三.pdf", "application/pdf")]
    assert status(db, app) == {"old_cards": ("旧计划课程合格证（红卡/绿卡）或实践课考核卡扫描件压缩包",
                                             False, 1, 0, 0)}
    r = c.get(files_path(app, "old_cards", 1))
    assert r.status == 200 and r.body == data and r.header("Content-Type") == ZIP


def test_the_slots_say_what_to_upload_and_the_limits(shanxi, db):
    c = client(shanxi, candidate(db))
    app = application(c)
    body = c.get(files_path(app)).json()
    assert body["editable"] is True and body["state"] == "draft"
    [s] = body["slots"]
    assert s["slot"] == "old_cards" and s["accepts"] == "zip" and s["required"] is False
    assert "打包成一个 .zip" in s["hint"] and s["max_files"] == 1
    assert s["max_bytes"] == 20 << 20
    assert s["zip"] == {"max_entries": 200, "max_entry_bytes": 10 << 20,
                        "max_total_bytes": 100 << 20, "max_ratio": 100}
    assert s["files"] == []


BOMB = b"%PDF-1.4\n" + bytes(5 << 20)


@pytest.mark.parametrize("entries, entry, words", [
    pytest.param([("a.jpg", SCAN_JPG), ("炸弹.pdf", BOMB)], "炸弹.pdf", "压缩比超过 100:1",
                 id="zip_bomb"),
    pytest.param([("../x.jpg", SCAN_JPG)], "../x.jpg", "指向压缩包以外的位置",
                 id="path_outside"),
    pytest.param([symlink("卡片.jpg", "/etc/passwd")], "卡片.jpg", "是链接", id="symlink"),
    pytest.param([("ok.png", SCAN_PNG), ("card.jpg", b"this is only text")], "card.jpg",
                 "不是 JPG、PNG 或 PDF 文件", id="text_named_jpg"),
    pytest.param([(f"card{i}.jpg", SCAN_JPG[:16]) for i in range(1, 202)], "card201.jpg",
                 "超过 200 个", id="too_many_entries"),
])
def test_a_zip_is_refused_naming_the_entry_and_the_rule(shanxi, db, archive_worker, entries,
                                                       entry, words):
    c = client(shanxi, candidate(db))
    app = application(c)
    assert upload(c, app, "old_cards", zip_of(*entries), ZIP).status == 201
    f = checked(c, app, "old_cards")
    assert f["state"] == "refused"
    assert f"“{entry}”" in f["reason"] and words in f["reason"], f["reason"]
    assert "重新" in f["reason"]  # what to do about it
    assert status(db, app)["old_cards"][2:] == (0, 0, 1)


def test_an_upload_over_the_zip_limit_is_413_saying_the_limit(make_server, db):
    window(db)
    server = make_server(env={"ZIKAO_ATTACHMENTS_ZIP_MAX_BYTES": "64k"})
    c = client(server, candidate(db))
    app = application(c)
    r = upload(c, app, "old_cards", b"PK\x03\x04" + os.urandom(100 << 10), ZIP)
    assert r.status == 413 and r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "压缩包不能超过 64 KB" in r.json()["error"]["message"]


def test_the_content_must_be_what_the_slot_takes(shanxi, db):
    c = client(shanxi, candidate(db))
    app = application(c)
    r = upload(c, app, "old_cards", b"hello", "text/plain")
    assert r.status == 415 and r.json()["error"]["code"] == "FILE_TYPE_UNSUPPORTED"
    r = upload(c, app, "old_cards", SCAN_JPG, ZIP)  # declared a zip, is a JPEG
    assert r.status == 415 and r.json()["error"]["code"] == "FILE_TYPE_MISMATCH"
    r = upload(c, app, "old_cards", SCAN_JPG, JPEG)  # a JPEG, where the slot takes a zip
    assert r.status == 415 and r.json()["error"]["code"] == "FILE_TYPE_NOT_ACCEPTED"
    assert "ZIP 压缩包" in r.json()["error"]["message"]
    r = upload(c, app, "prior_education", zip_of(("a.jpg", SCAN_JPG)), ZIP)  # Tianjin's slot
    assert r.status == 404 and r.json()["error"]["code"] == "SLOT_NOT_FOUND"
    assert slot_of(c, app, "old_cards")["files"] == []


def test_files_change_only_in_the_candidates_own_draft_inside_its_window(shanxi, db):
    cid = candidate(db)
    owner = client(shanxi, cid)
    app = application(owner)
    data = zip_of(("a.jpg", SCAN_JPG))
    other = client(shanxi, candidate(db))
    for method, path in [("GET", files_path(app)), ("GET", files_path(app, "old_cards", 1)),
                         ("DELETE", files_path(app, "old_cards", 1))]:
        r = other.request(method, path)
        assert r.status == 404, (method, path, r)
    r = upload(other, app, "old_cards", data, ZIP)
    assert r.status == 404 and r.json()["error"]["code"] == "APPLICATION_NOT_FOUND"
    r = shanxi.request("PUT", files_path(app, "old_cards"), body=data,
                       headers={"Content-Type": ZIP})
    assert r.status == 401
    h.q(db, "UPDATE windows SET ends_at = now() - interval '1 minute', starts_at = now() - "
            "interval '2 days' WHERE kind = 'graduation'")
    r = upload(owner, app, "old_cards", data, ZIP)
    assert r.status == 403 and r.json()["error"]["code"] == "WINDOW_CLOSED"
    h.q(db, "UPDATE windows SET ends_at = now() + interval '1 day' WHERE kind = 'graduation'")
    assert upload(owner, app, "old_cards", data, ZIP).status == 201
    submit(db, app, cid)
    r = upload(owner, app, "old_cards", data, ZIP)
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_WRONG_STATE"
    r = owner.request("DELETE", files_path(app, "old_cards", 1))
    assert r.status == 409 and r.json()["error"]["code"] == "APPLICATION_WRONG_STATE"
    assert owner.get(files_path(app)).json()["editable"] is False
    assert owner.get(files_path(app, "old_cards", 1)).body == data  # still readable


def test_a_deleted_file_frees_its_place_and_goes_to_the_retention(shanxi, db):
    c = client(shanxi, candidate(db))
    app = application(c)
    assert upload(c, app, "old_cards", zip_of(("a.jpg", SCAN_JPG)), ZIP).status == 201
    r = upload(c, app, "old_cards", zip_of(("b.jpg", SCAN_JPG)), ZIP)
    assert r.status == 409 and r.json()["error"]["code"] == "SLOT_FULL"
    file_id = h.q1(db, "SELECT file_id FROM application_files WHERE application_id = %s", app)
    assert h.q1(db, "SELECT count(*) FROM file_references WHERE file_id = %s", file_id) == 1
    assert c.request("DELETE", files_path(app, "old_cards", 1)).status == 204
    assert slot_of(c, app, "old_cards")["files"] == []
    assert h.q1(db, "SELECT count(*) FROM files_unreferenced WHERE file_id = %s", file_id) == 1
    assert h.q1(db, "SELECT count(*) FROM file_references WHERE file_id = %s", file_id) == 0
    assert upload(c, app, "old_cards", zip_of(("b.jpg", SCAN_JPG)), ZIP).status == 201
    r = c.request("DELETE", files_path(app, "old_cards", 2))
    assert r.status == 404 and r.json()["error"]["code"] == "FILE_NOT_FOUND"


def test_uploads_are_rate_limited_per_candidate(make_server, db):
    window(db)
    server = make_server(env={"ZIKAO_ATTACHMENTS_UPLOADS_PER_HOUR": "2"})
    c = client(server, candidate(db))
    app = application(c)
    data = zip_of(("a.jpg", SCAN_JPG))
    assert upload(c, app, "old_cards", data, ZIP).status == 201
    assert c.request("DELETE", files_path(app, "old_cards", 1)).status == 204
    assert upload(c, app, "old_cards", data, ZIP).status == 201
    assert c.request("DELETE", files_path(app, "old_cards", 1)).status == 204
    r = upload(c, app, "old_cards", data, ZIP)
    assert r.status == 429 and r.json()["error"]["code"] == "RATE_LIMITED"
    assert r.header("Retry-After")


# ---- Tianjin: supporting material per item ----------------------------------------------------

def test_tianjin_material_in_range_is_accepted_and_a_small_one_refused_with_the_range(
        tianjin, db, start_photo_worker):
    c = client(tianjin, candidate(db, region="120101"))
    app = application(c, {"major": bachelor_major(db)})
    good, small = jpeg(700, 700, 95), jpeg(80, 80, 50)
    assert 50 << 10 <= len(good) <= 500 << 10 and len(small) < 50 << 10
    assert upload(c, app, "prior_education", good, JPEG).status == 201
    assert upload(c, app, "prior_education", small, JPEG).status == 201
    start_photo_worker()
    assert checked(c, app, "prior_education", 1)["state"] == "accepted"
    f = checked(c, app, "prior_education", 2)
    assert f["state"] == "refused"
    assert f["reason"].startswith("证明材料（文件大小）：") and "50-500KB" in f["reason"], f["reason"]
    assert status(db, app)["prior_education"] == ("前置学历证明材料", True, 1, 0, 1)


def test_tianjin_material_above_the_range_is_refused_at_upload(tianjin, db):
    c = client(tianjin, candidate(db, region="120101"))
    app = application(c)
    big = jpeg(1000, 1000, 98)
    assert len(big) > 500 << 10
    r = upload(c, app, "other", big, JPEG)
    assert r.status == 413 and r.json()["error"]["code"] == "FILE_TOO_LARGE"
    assert "不能超过 500 KB" in r.json()["error"]["message"]


def test_a_fifth_file_in_a_four_file_item_is_refused(tianjin, db):
    c = client(tianjin, candidate(db, region="120101"))
    app = application(c)
    scan = jpeg(400, 400, 90)
    for n in range(1, 5):
        r = upload(c, app, "other", scan, JPEG)
        assert r.status == 201 and r.json()["seq"] == n, r
    r = upload(c, app, "other", scan, JPEG)
    assert r.status == 409 and r.json()["error"]["code"] == "SLOT_FULL"
    assert "最多上传 4 个文件" in r.json()["error"]["message"]


def test_a_check_that_can_never_finish_refuses_the_file_asking_to_upload_again(
        tianjin, db, start_photo_worker):
    c = client(tianjin, candidate(db, region="120101"))
    app = application(c)
    assert upload(c, app, "other", jpeg(400, 400, 90), JPEG).status == 201
    # The job names a specification no deployment has: every run fails until it is dead.
    h.q(db, "UPDATE jobs SET payload = jsonb_set(payload, '{spec}', '\"nonesuch\"') "
            "WHERE queue = 'photo'")
    start_photo_worker()
    f = checked(c, app, "other")
    assert f["state"] == "refused" and "请删除后重新上传" in f["reason"]
    assert h.q1(db, "SELECT state FROM jobs WHERE queue = 'photo'") == "dead"


def test_the_status_covers_the_slots_of_the_applications_level(tianjin, db):
    c = client(tianjin, candidate(db, region="120101"))
    app = application(c)
    assert status(db, app) == {"other": ("其他证明材料", False, 0, 0, 0)}
    r = c.get(f"/api/v1/me/applications/{app}")
    c.request("PUT", f"/api/v1/me/applications/{app}/draft",
              body={"version": r.json()["version"], "data": {"major": bachelor_major(db)}})
    assert status(db, app) == {"prior_education": ("前置学历证明材料", True, 0, 0, 0),
                               "other": ("其他证明材料", False, 0, 0, 0)}
    assert upload(c, app, "prior_education", jpeg(400, 400, 90), JPEG).status == 201
    assert status(db, app)["prior_education"] == ("前置学历证明材料", True, 0, 1, 0)
    body = c.get(files_path(app)).json()
    assert [s["slot"] for s in body["slots"]] == ["prior_education", "other"]
    assert body["slots"][0]["min_bytes"] == 50 << 10 and body["slots"][0]["max_files"] == 4
