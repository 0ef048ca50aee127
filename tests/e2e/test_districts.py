"""The district offices' contact details as data: `zikaoctl districts import`
(every rejected line told with its number and reason, then nothing written),
`zikaoctl districts list`, the demo data, and the public
GET /api/v1/districts/{code}/office that the identity page shows."""
import os
import subprocess

import zikao_harness as h
from zikao_harness import q

HEADER = "district,name,address,phone,hours,note\n"
GOOD = ('140105,小店区招生考试办公室,"太原市小店区示例路 1 号, 一层",0351-1234567、0351-7654321,'
        '工作日 8:30-17:30,携带身份证原件\n')


def ctl(pg, database, redis_server, *args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("ZIKAO_")}
    e.update({"ZIKAO_DATABASE_CONNINFO": pg.conninfo(database),
              "ZIKAO_REDIS_PORT": str(redis_server.port)})
    e.update(env or {})
    return subprocess.run([h.binary("zikaoctl"), *args], env=e, capture_output=True, text=True)


def write(tmpdir, name, text):
    path = os.path.join(tmpdir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def test_import_reports_every_rejected_line_and_writes_nothing(pg, database, redis_server, db,
                                                               tmpdir_path):
    path = write(tmpdir_path, "offices.csv", HEADER + GOOD +
                 "140106,迎泽区招办,太原市迎泽区示例路 2 号,0351-2222222,工作日,\n"   # fine
                 "999999,某招办,某地示例路 3 号,0351-3333333,工作日,\n"              # no such region
                 "140100,太原市招办,太原市示例路 4 号,0351-4444444,工作日,\n"        # a city
                 "140107,杏花岭区招办,太原市示例路 5 号,电话见官网,工作日,\n"         # no number
                 "140108,尖草坪区招办,太原市示例路 6 号,0351-6666666,工作日\n"       # 5 fields
                 '140109,万柏林区招办,"太原市示例路 7 号,0351-7777777,工作日,\n'     # quote open
                 "140106,迎泽区招办,太原市迎泽区示例路 8 号,0351-8888888,工作日,\n"   # twice
                 "14011,晋源区招办,太原市示例路 9 号,0351-9999999,工作日,\n")        # 5 digits
    r = ctl(pg, database, redis_server, "districts", "import", path)
    assert r.returncode == 1, r
    lines = r.stderr.splitlines()
    assert [line.split(": rejected")[0].rsplit(":", 1)[1] for line in lines] == \
        ["4", "5", "6", "7", "8", "9", "10"], r.stderr
    assert "999999 is not a district" in lines[0]
    assert "140100 is not a district" in lines[1]
    assert "at least 7 digits" in lines[2] or "phone may hold" in lines[2]
    assert "expected 6 fields" in lines[3]
    assert "quoted field" in lines[4]
    assert "already on line 3" in lines[5]
    assert "6-digit" in lines[6]
    assert "nothing written" in r.stdout
    assert q(db, "SELECT count(*) FROM district_offices") == [(0,)]


def test_import_dry_run_then_import_update_and_list(pg, database, redis_server, db, tmpdir_path):
    path = write(tmpdir_path, "ok.csv", "# 示例\n" + HEADER + GOOD)
    r = ctl(pg, database, redis_server, "districts", "import", path, "--dry-run")
    assert r.returncode == 0 and "1 office(s) would be imported" in r.stdout, r
    assert q(db, "SELECT count(*) FROM district_offices") == [(0,)]
    r = ctl(pg, database, redis_server, "districts", "import", path)
    assert r.returncode == 0 and "1 office(s) imported (1 new, 0 updated)" in r.stdout, r
    assert q(db, "SELECT address, phone, note FROM district_offices") == [
        ("太原市小店区示例路 1 号, 一层", "0351-1234567、0351-7654321", "携带身份证原件")]
    changed = write(tmpdir_path, "changed.csv",
                    HEADER + "140105,小店区招办,太原市小店区新址 9 号,0351-1111111,周一至周五,\n")
    r = ctl(pg, database, redis_server, "districts", "import", changed)
    assert r.returncode == 0 and "(0 new, 1 updated)" in r.stdout, r
    assert q(db, "SELECT name, note FROM district_offices") == [("小店区招办", None)]
    r = ctl(pg, database, redis_server, "districts", "list")
    assert r.returncode == 0, r
    assert "140105 太原市小店区: 小店区招办" in r.stdout
    assert "0351-1111111" in r.stdout and "太原市小店区新址 9 号" in r.stdout
    assert "have none:" in r.stdout and "140106 太原市迎泽区" in r.stdout


def test_the_demo_offices_import_and_say_they_are_samples(pg, database, redis_server, db):
    path = os.path.join(h.SOURCE, "schema/data/demo/district_offices.csv")
    r = ctl(pg, database, redis_server, "districts", "import", path)
    assert r.returncode == 0 and "0 line(s) rejected" in r.stdout, r
    rows = q(db, "SELECT district, note FROM district_offices")
    assert len(rows) >= 12 and all("示例数据" in note for _, note in rows)
    assert {"140105", "140106", "120101"} <= {d for d, _ in rows}


def test_an_office_is_public_and_a_district_without_one_is_a_sentence(server, pg, database,
                                                                      redis_server, tmpdir_path):
    ctl(pg, database, redis_server, "districts", "import",
        write(tmpdir_path, "o.csv", HEADER + GOOD))
    r = server.get("/api/v1/districts/140105/office")       # no session needed
    assert r.status == 200, r
    body = r.json()
    assert body["district"] == {"code": "140105", "name": "小店区", "city": "太原市"}
    assert body["name"] == "小店区招生考试办公室"
    assert body["address"] == "太原市小店区示例路 1 号, 一层"
    assert body["phone"] == "0351-1234567、0351-7654321"
    assert body["hours"] == "工作日 8:30-17:30" and body["note"] == "携带身份证原件"
    assert body["updated_at"].endswith("+08:00")
    r = server.get("/api/v1/districts/140106/office")
    assert r.status == 404 and r.json()["error"]["code"] == "DISTRICT_OFFICE_NOT_FOUND"
    assert "联系方式" in r.json()["error"]["message"]
    r = server.get("/api/v1/districts/140100/office")
    assert r.status == 404 and r.json()["error"]["code"] == "REGION_NOT_DISTRICT"
    r = server.get("/api/v1/districts/999999/office")
    assert r.status == 404 and r.json()["error"]["code"] == "REGION_NOT_FOUND"
    r = server.get("/api/v1/districts/14010x/office")
    assert r.status == 422 and r.json()["error"]["field"] == "code"
