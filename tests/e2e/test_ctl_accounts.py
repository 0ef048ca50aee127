"""Operator commands for accounts: importing enrolled candidates, manual
verification, and the demo data script (windows: test_windows.py)."""
import os
import re
import subprocess

import zikao_harness as h


def ctl(pg, database, redis_server, *args, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZIKAO_")}
    env.update({"ZIKAO_DATABASE_CONNINFO": pg.conninfo(database),
                "ZIKAO_REDIS_PORT": str(redis_server.port)})
    return subprocess.run([h.binary("zikaoctl"), *args], env=env, capture_output=True, text=True,
                          input=stdin)


def test_import_reports_every_rejected_line_and_writes_nothing(pg, database, redis_server,
                                                               tmpdir_path):
    good = h.id_number(seq="901")
    path = os.path.join(tmpdir_path, "enrolled.csv")
    with open(path, "w") as f:
        f.write("id_number,name,district,phone,exam_ids\n")
        f.write(f"{good},孙立,140105,13900000021,010519000001\n")
        f.write(f"{good[:-1]}0,周娜,140106,,010619000002\n" if good[-1] != "0"
                else f"{good[:-1]}1,周娜,140106,,010619000002\n")      # wrong check digit
        f.write(f"{h.id_number(seq='903')},吴刚,999999,,010619000003\n")  # unknown district
        f.write(f"{h.id_number(seq='905')},吴刚,140106,1390000,010619000004\n")  # bad phone
        f.write(f"{h.id_number(seq='907')},吴刚,140106,,12345\n")          # bad exam ID
    r = ctl(pg, database, redis_server, "candidates", "import", path)
    assert r.returncode == 1
    assert ":3: rejected" in r.stderr and "校验位" in r.stderr
    assert ":4: rejected" in r.stderr and "district" in r.stderr
    assert ":5: rejected" in r.stderr and ":6: rejected" in r.stderr
    assert good not in r.stderr  # ID numbers are masked in the report
    c = pg.connect(database)
    with c.cursor() as cur:
        cur.execute("SELECT count(*) FROM candidates")
        assert cur.fetchone()[0] == 0
    c.close()


def test_import_then_activate_and_manual_verification(pg, database, redis_server, tmpdir_path):
    idn = h.id_number(seq="911")
    path = os.path.join(tmpdir_path, "ok.csv")
    with open(path, "w") as f:
        f.write("id_number,name,district,phone,exam_ids\n")
        f.write(f"{idn},孙立,140105,13900000021,010519000011|010519000012\n")
    r = ctl(pg, database, redis_server, "candidates", "import", path, "--dry-run")
    assert r.returncode == 0 and "would be imported" in r.stdout
    r = ctl(pg, database, redis_server, "candidates", "import", path)
    assert r.returncode == 0 and "1 candidate(s) imported" in r.stdout
    r = ctl(pg, database, redis_server, "candidates", "import", path)  # again: no change
    assert r.returncode == 0
    c = pg.connect(database)
    with c.cursor() as cur:
        cur.execute("SELECT c.kind, c.gender, array_agg(e.exam_id ORDER BY e.exam_id) FROM "
                    "candidates c JOIN exam_ids e ON e.candidate_id = c.id GROUP BY c.id")
        assert cur.fetchall() == [("enrolled", "男", ["010519000011", "010519000012"])]
    r = ctl(pg, database, redis_server, "candidates", "verify", idn)
    assert r.returncode == 0 and "verified by hand" in r.stdout
    with c.cursor() as cur:
        cur.execute("SELECT identity FROM candidates")
        assert cur.fetchone()[0] == "manual"
    r = ctl(pg, database, redis_server, "candidates", "verify", idn)
    assert r.returncode == 1  # already verified
    c.close()


def test_demo_data_loads_twice_and_the_demo_login_works(pg, database, redis_server, make_server):
    env = dict(os.environ, ZIKAO_DATABASE_CONNINFO=pg.conninfo(database))
    for _ in range(2):
        r = subprocess.run([os.path.join(h.SOURCE, "scripts/demo-data"), h.BUILD], env=env,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    server = make_server(env={"ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": "TEST7"})
    c = h.Client(server)
    r = c.post("/api/v1/auth/login", {"login": "010518000001", "password": "Demo2026zk",
                                      "captcha_id": c.captcha(), "captcha": "TEST7"})
    assert r.status == 200, r
    me = c.get("/api/v1/me").json()
    assert me["name"] == "王小明" and me["identity"]["state"] == "verified"
    # whatever the day, the demo shows windows open and windows to come
    windows = {w["kind"]: w for w in me["windows"]}
    assert windows["exemption"]["current"]["open"] is True
    assert windows["graduation"]["current"]["open"] is True
    for kind in ("theory_registration", "ticket_printing", "results_publication"):
        assert windows[kind]["next"] is not None, kind
