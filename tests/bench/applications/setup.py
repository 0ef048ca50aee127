"""tests/bench/applications/setup.py - what the submission benchmark needs:
N verified Shanxi candidates, each with a graduation draft that passes every
check (a 专科 major whose plan their two passes meet), and a session each.

Usage: setup.py CONNINFO SERVER_URL N OUT_LUA_DATA
Writes one line per candidate to OUT: "app_id<TAB>cookie<TAB>csrf"."""
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psycopg2

conninfo, base, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
db = psycopg2.connect(conninfo)
db.autocommit = True
cur = db.cursor()
cur.execute("""
INSERT INTO universities (code, name) VALUES ('99901', '基准大学') ON CONFLICT DO NOTHING;
INSERT INTO majors (code, name, level) VALUES ('990101', '基准专业', '专科') ON CONFLICT DO NOTHING;
INSERT INTO major_universities VALUES ('990101', '99901', 1) ON CONFLICT DO NOTHING;
INSERT INTO courses (code, name, credits) VALUES ('99001', '基准课程甲', 4), ('99002', '基准课程乙', 6)
    ON CONFLICT DO NOTHING;
WITH p AS (INSERT INTO plans (major_code, version, valid_from) VALUES ('990101', 'new', '2024-01-01')
           RETURNING id),
     m AS (INSERT INTO plan_modules (plan_id, seq, name, min_credits) SELECT id, 1, '基础课程', 10
           FROM p RETURNING id, plan_id)
INSERT INTO plan_courses (plan_id, module_id, seq, course_code, credits, required)
SELECT plan_id, id, 1, '99001', 4, true FROM m UNION ALL SELECT plan_id, id, 2, '99002', 6, true FROM m;
DELETE FROM windows WHERE kind = 'graduation';
INSERT INTO windows (kind, term, name, starts_at, ends_at)
VALUES ('graduation', '2026-2', '2026年下半年毕业申请', now() - interval '1 day', now() + interval '1 day');
""")
# ID numbers: 140105 1990MMDD + a 3-digit sequence + check digit, unique per i.
def id_number(i):
    body = "140105%04d%02d%02d%03d" % (1950 + i // 100000 % 50, 1 + i // 1000 % 12, 1 + i // 10 % 28,
                                       i % 1000)
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]

draft = json.dumps({"confirmed": True, "district": "140105", "address": "太原市小店区坞城路 92 号",
                    "universities": ["99901"], "major": "990101"})
ids = []
for start in range(0, n, 1000):
    rows = [(id_number(i),) for i in range(start, min(n, start + 1000))]
    args = ",".join(cur.mogrify("(%s, '基准', '男', '140105', 'enrolled', 'verified')", r).decode()
                    for r in rows)
    cur.execute("INSERT INTO candidates (id_number, name, gender, district, kind, identity) VALUES "
                + args + " RETURNING id")
    ids += [r[0] for r in cur.fetchall()]
cur.execute("""
INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, score, credits, passed_on)
SELECT c, lpad(c::text, 12, '0'), code, name, '75', credits, '2025-04-20'
  FROM unnest(%s::bigint[]) c CROSS JOIN courses WHERE code IN ('99001', '99002')
""", (ids,))
cur.execute("SELECT count((application_open(c, 'graduation', 'shanxi')).id) FROM unnest(%s::bigint[]) c",
            (ids,))
cur.execute("UPDATE applications SET data = %s::jsonb WHERE candidate_id = ANY (%s)", (draft, ids))
cur.execute("SELECT candidate_id, id FROM applications WHERE candidate_id = ANY (%s)", (ids,))
apps = dict(cur.fetchall())


def session(cid):
    req = urllib.request.Request(base + "/api/v1/_test/session",
                                 data=json.dumps({"candidate_id": cid}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req) as r:
        cookie = r.headers["Set-Cookie"].split(";", 1)[0]
        return "%d\t%s\t%s" % (apps[cid], cookie, json.loads(r.read())["csrf_token"])


with ThreadPoolExecutor(16) as pool:
    lines = list(pool.map(session, ids))
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"{len(lines)} candidates with a draft and a session", file=sys.stderr)
