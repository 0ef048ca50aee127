"""Business windows are instances: one row per kind and term (the sitting or
half-year), never two of a kind at once. Migration 0011 turns 0003's one row
per kind into the windows of their terms; `zikaoctl windows` creates, edits,
lists and deletes them with sentences for every refusal; GET /api/v1/windows
shows, per kind of the list, the window open now and the next one; `zikaoctl
status` prints the open ones; the demo data places windows around today."""
import datetime
import os
import re
import subprocess

import psycopg2
import pytest

import zikao_harness as h

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
KINDS = ["theory_registration", "practical_registration", "ticket_printing",
         "results_publication", "transfer_in_province", "transfer_out", "exemption",
         "graduation"]
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


@pytest.fixture
def ctl(pg, database):
    """ctl(*args) runs zikaoctl on the test's database."""
    def run(*args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZIKAO_")}
        env["ZIKAO_DATABASE_CONNINFO"] = pg.conninfo(database)
        return subprocess.run([h.binary("zikaoctl"), *args], env=env, capture_output=True,
                              text=True)
    return run


def beijing(days, hour=9):
    """A time `days` from today at hour:00 in Beijing, as zikaoctl reads it."""
    d = datetime.datetime.now(BEIJING).date() + datetime.timedelta(days=days)
    return f"{d.isoformat()} {hour:02d}:00"


def beijing_iso(days, hour=9):
    return beijing(days, hour).replace(" ", "T") + ":00+08:00"


def window(db, kind, term, starts, ends, name=None):
    """Inserts a window (starts, ends: SQL expressions); its id."""
    return h.q1(db, f"INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES "
                    f"(%s, %s, %s, {starts}, {ends}) RETURNING id", kind, term,
                name or f"{term} {kind}")


def created_id(r):
    m = re.match(r"^created window (\d+): ", r.stdout)
    assert r.returncode == 0 and m, r.stdout + r.stderr
    return int(m.group(1))


def listed(r):
    """The rows of `windows list`: id -> (kind, term, starts, ends, state, name)."""
    assert r.returncode == 0, r.stderr
    rows = {}
    for line in r.stdout.splitlines()[1:]:
        m = re.match(r"^(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.+)$", line)
        if m:
            rows[int(m.group(1))] = m.groups()[1:]
    return rows


# ---- migration 0011 ------------------------------------------------------------------------

def test_migration_makes_each_kinds_window_the_window_of_its_term(pg, tmpdir_path):
    name = pg.create_database(template="template0")
    try:
        conninfo = pg.owner_conninfo(name)  # migrations run as the owner
        before = os.path.join(tmpdir_path, "schema-0010")
        os.makedirs(before)
        schema = os.path.join(h.SOURCE, "schema")
        for f in os.listdir(schema):
            if re.match(r"^\d{4}_.*\.sql$", f) and int(f[:4]) <= 10:
                os.symlink(os.path.join(schema, f), os.path.join(before, f))
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZIKAO_")}
        env["ZIKAO_DATABASE_CONNINFO"] = conninfo
        migrate = [h.binary("zikaoctl"), "migrate"]
        subprocess.run(migrate + ["--schema-dir", before], env=env, check=True,
                       capture_output=True)
        db = pg.connect(name)
        # As operators left them: one registration moved into April (so it serves the
        # October sitting), graduation renamed, and a row of a kind not in the list.
        h.q(db, "UPDATE windows SET starts_at = '2026-04-10 09:00+08', "
                "ends_at = '2026-04-20 17:00+08' WHERE kind = 'theory_registration'")
        h.q(db, "UPDATE windows SET name = '2026年毕业申请（第二批）' WHERE kind = 'graduation'")
        h.q(db, "INSERT INTO windows (kind, name, starts_at, ends_at) VALUES ('bogus', '旧的', "
                "'2026-01-01 09:00+08', '2026-01-02 09:00+08')")
        r = subprocess.run(migrate, env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "0011_window_instances" in r.stdout
        assert "bogus (旧的" in r.stderr, r.stderr  # the dropped row is named
        rows = h.q(db, "SELECT kind, term, name, zk_ts(starts_at), zk_ts(ends_at) FROM windows "
                       "ORDER BY kind")
        assert rows == [
            ("exemption", "2026-2", "2026年下半年免考申请",
             "2026-09-01T09:00:00+08:00", "2026-09-10T17:00:00+08:00"),
            ("graduation", "2026-2", "2026年毕业申请（第二批）",
             "2026-11-16T09:00:00+08:00", "2026-11-30T17:00:00+08:00"),
            ("practical_registration", "2026-04", "2026年4月实践课程报名",
             "2026-03-15T09:00:00+08:00", "2026-03-25T17:00:00+08:00"),
            ("theory_registration", "2026-10", "2026年10月理论课程报名",
             "2026-04-10T09:00:00+08:00", "2026-04-20T17:00:00+08:00"),
            ("transfer_in_province", "2026-1", "2026年上半年省内转考",
             "2026-05-06T09:00:00+08:00", "2026-05-15T17:00:00+08:00"),
            ("transfer_out", "2026-1", "2026年上半年转出省外",
             "2026-05-06T09:00:00+08:00", "2026-05-15T17:00:00+08:00"),
        ]
        assert h.q1(db, "SELECT count(DISTINCT id) FROM windows") == 6
        # The next half-year's graduation window is a row of its own beside this one.
        window(db, "graduation", "2027-1", "'2027-05-06 09:00+08'", "'2027-05-20 17:00+08'")
        assert h.q1(db, "SELECT count(*) FROM windows WHERE kind = 'graduation'") == 2
        db.close()
    finally:
        pg.drop_database(name)


def test_the_database_takes_exactly_the_kinds_zikaoctl_lists_with_their_terms(ctl, db):
    r = ctl("windows", "kinds")
    assert r.returncode == 0, r.stderr
    kinds = dict(re.findall(r"^([a-z_]+)\s+(sitting|half-year)\s", r.stdout, re.M))
    assert list(kinds) == KINDS
    assert "准考证打印" in r.stdout and "当次成绩查询" in r.stdout
    definition = h.q1(db, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                          "WHERE conname = 'windows_kind_term'")
    assert set(re.findall(r"'([a-z_]+)'::text", definition)) == set(KINDS), definition
    h.q(db, "DELETE FROM windows")
    term = {"sitting": "2099-04", "half-year": "2099-1"}
    for kind, style in kinds.items():
        other = term["half-year" if style == "sitting" else "sitting"]
        with pytest.raises(psycopg2.errors.CheckViolation):
            window(db, kind, other, "now()", "now() + interval '1 day'")
        window(db, kind, term[style], "now()", "now() + interval '1 day'")
    with pytest.raises(psycopg2.errors.CheckViolation):
        window(db, "bogus", "2099-1", "now()", "now() + interval '1 day'")


def test_two_windows_of_one_kind_cannot_overlap_in_the_database(db):
    h.q(db, "DELETE FROM windows")
    window(db, "exemption", "2099-1", "'2099-03-01 09:00+08'", "'2099-03-10 17:00+08'")
    with pytest.raises(psycopg2.errors.ExclusionViolation):
        window(db, "exemption", "2099-2", "'2099-03-10 09:00+08'", "'2099-03-20 17:00+08'")
    with pytest.raises(psycopg2.errors.UniqueViolation):
        window(db, "exemption", "2099-1", "'2099-09-01 09:00+08'", "'2099-09-10 17:00+08'")
    window(db, "exemption", "2099-2", "'2099-03-10 17:00+08'", "'2099-03-20 17:00+08'")
    window(db, "graduation", "2099-1", "'2099-03-01 09:00+08'", "'2099-03-10 17:00+08'")


# ---- zikaoctl windows ----------------------------------------------------------------------

def test_create_names_the_window_after_its_term_and_reads_beijing_time(ctl, db):
    r = ctl("windows", "create", "graduation", "2030-1", "2030-01-02 09:00", "2030-01-20 17:00")
    wid = created_id(r)
    assert "graduation 2030-1 (2030年上半年毕业申请) 2030-01-02T09:00:00+08:00 .. " \
           "2030-01-20T17:00:00+08:00" in r.stdout
    r = ctl("windows", "create", "ticket_printing", "2030-04", "2030-03-30T01:00:00Z",
            "2030-04-12", "--name", "2030年4月考试准考证打印")
    tid = created_id(r)
    assert h.q(db, "SELECT kind, term, name, zk_ts(starts_at), zk_ts(ends_at) FROM windows "
                   "WHERE id IN (%s, %s) ORDER BY id", wid, tid) == [
        ("graduation", "2030-1", "2030年上半年毕业申请", "2030-01-02T09:00:00+08:00",
         "2030-01-20T17:00:00+08:00"),
        ("ticket_printing", "2030-04", "2030年4月考试准考证打印", "2030-03-30T09:00:00+08:00",
         "2030-04-12T00:00:00+08:00"),  # a date alone is Beijing's midnight
    ]


def test_create_refuses_a_kind_not_in_the_list_and_names_the_kinds(ctl, db):
    r = ctl("windows", "create", "bogus", "2030-1", "2030-02-01 09:00", "2030-02-02 09:00")
    assert r.returncode == 2
    assert "'bogus' is not a window kind" in r.stderr
    for kind in KINDS:
        assert kind in r.stderr, r.stderr
    assert h.q1(db, "SELECT count(*) FROM windows WHERE term = '2030-1'") == 0


def test_create_refuses_a_term_not_written_as_the_kinds_terms_are(ctl):
    r = ctl("windows", "create", "exemption", "2030-04", "2030-02-01 09:00", "2030-02-02 09:00")
    assert r.returncode == 2
    assert "'2030-04' is not a term of exemption: write YYYY-1 or YYYY-2" in r.stderr, r.stderr
    r = ctl("windows", "create", "theory_registration", "2030-2", "2030-02-01 09:00",
            "2030-02-02 09:00")
    assert r.returncode == 2
    assert "is not a term of theory_registration: write YYYY-MM" in r.stderr, r.stderr


def test_create_refuses_a_window_that_ends_before_it_starts_in_a_sentence(ctl, db):
    r = ctl("windows", "create", "graduation", "2030-1", "2030-02-02 09:00", "2030-02-01 09:00")
    assert r.returncode == 2
    assert "a window must end after it starts: START 2030-02-02T09:00:00+08:00 is not before " \
           "END 2030-02-01T09:00:00+08:00" in r.stderr, r.stderr
    assert "constraint" not in r.stderr
    r = ctl("windows", "create", "graduation", "2030-1", "2030-02-31 09:00", "2030-03-01 09:00")
    assert r.returncode == 2
    assert "'2030-02-31 09:00' is not a time" in r.stderr and "syntax" not in r.stderr, r.stderr
    assert h.q1(db, "SELECT count(*) FROM windows WHERE term = '2030-1'") == 0


def test_create_refuses_an_overlap_with_another_window_of_the_kind_naming_it(ctl, db):
    first = created_id(ctl("windows", "create", "exemption", "2030-1", "2030-03-01 09:00",
                           "2030-03-10 17:00"))
    r = ctl("windows", "create", "exemption", "2030-2", "2030-03-10 09:00", "2030-09-10 17:00")
    assert r.returncode == 1
    assert f"overlaps window {first}, exemption 2030-1 (2030年上半年免考申请) " \
           "2030-03-01T09:00:00+08:00 .. 2030-03-10T17:00:00+08:00" in r.stderr, r.stderr
    assert "conflicting key" not in r.stderr and "violates" not in r.stderr
    # one may start the moment the other ends; other kinds may share the time
    created_id(ctl("windows", "create", "exemption", "2030-2", "2030-03-10 17:00",
                   "2030-09-10 17:00"))
    created_id(ctl("windows", "create", "graduation", "2030-1", "2030-03-01 09:00",
                   "2030-03-10 17:00"))


def test_create_refuses_a_second_window_for_one_kind_and_term(ctl):
    first = created_id(ctl("windows", "create", "exemption", "2030-1", "2030-03-01 09:00",
                           "2030-03-10 17:00"))
    r = ctl("windows", "create", "exemption", "2030-1", "2030-05-01 09:00", "2030-05-10 17:00")
    assert r.returncode == 1
    assert f"exemption 2030-1 already has its window {first}; change that one with " \
           f"zikaoctl windows edit {first}" in r.stderr, r.stderr


def test_edit_changes_dates_and_name_by_id(ctl, db):
    wid = created_id(ctl("windows", "create", "exemption", "2030-1", "2030-03-01 09:00",
                         "2030-03-10 17:00"))
    r = ctl("windows", "edit", str(wid), "--end", "2030-03-15 17:00")
    assert r.returncode == 0, r.stderr
    assert f"edited window {wid}: exemption 2030-1 (2030年上半年免考申请) " \
           "2030-03-01T09:00:00+08:00 .. 2030-03-15T17:00:00+08:00" in r.stdout
    r = ctl("windows", "edit", str(wid), "--start", "2030-02-20 09:00", "--name", "免考（延长）")
    assert r.returncode == 0, r.stderr
    assert h.q(db, "SELECT name, zk_ts(starts_at), zk_ts(ends_at), updated_at > created_at "
                   "FROM windows WHERE id = %s", wid) == [
        ("免考（延长）", "2030-02-20T09:00:00+08:00", "2030-03-15T17:00:00+08:00", True)]
    # a new name alone leaves the times exactly as they were, to the microsecond
    other = window(db, "graduation", "2098-1", "now() + interval '1.234567 s'",
                   "now() + interval '1 day 0.5 s'")
    before = h.q(db, "SELECT starts_at, ends_at FROM windows WHERE id = %s", other)
    assert ctl("windows", "edit", str(other), "--name", "毕业申请").returncode == 0
    assert h.q(db, "SELECT starts_at, ends_at FROM windows WHERE id = %s", other) == before


def test_edit_refuses_an_inverted_or_overlapping_window_and_changes_nothing(ctl, db):
    a = created_id(ctl("windows", "create", "exemption", "2030-1", "2030-03-01 09:00",
                       "2030-03-10 17:00"))
    b = created_id(ctl("windows", "create", "exemption", "2030-2", "2030-09-01 09:00",
                       "2030-09-10 17:00"))
    before = h.q(db, "SELECT * FROM windows ORDER BY id")
    r = ctl("windows", "edit", str(b), "--end", "2030-08-01 09:00")
    assert r.returncode == 2
    assert "a window must end after it starts: START 2030-09-01T09:00:00+08:00 is not before " \
           "END 2030-08-01T09:00:00+08:00" in r.stderr, r.stderr
    r = ctl("windows", "edit", str(b), "--start", "2030-03-05 09:00")
    assert r.returncode == 1
    assert f"overlaps window {a}, exemption 2030-1" in r.stderr, r.stderr
    r = ctl("windows", "edit", str(a), "--end", "2030-09-02 09:00")  # not with itself: with b
    assert r.returncode == 1
    assert f"overlaps window {b}, exemption 2030-2" in r.stderr, r.stderr
    assert h.q(db, "SELECT * FROM windows ORDER BY id") == before
    r = ctl("windows", "edit", "999999", "--name", "x")
    assert r.returncode == 1 and "there is no window 999999" in r.stderr
    r = ctl("windows", "edit", "graduation", "--name", "x")
    assert r.returncode == 2 and "'graduation' is not a window id" in r.stderr
    r = ctl("windows", "edit", str(a))
    assert r.returncode == 2 and "usage" in r.stderr


def test_list_shows_current_and_future_windows_and_all_with_all(ctl, db):
    h.q(db, "DELETE FROM windows")
    past = created_id(ctl("windows", "create", "exemption", "2030-1", beijing(-30), beijing(-20)))
    now = created_id(ctl("windows", "create", "exemption", "2030-2", beijing(-1), beijing(2)))
    later = created_id(ctl("windows", "create", "graduation", "2030-2", beijing(10), beijing(20)))
    rows = listed(ctl("windows", "list"))
    assert list(rows) == [now, later]
    assert rows[now] == ("exemption", "2030-2", beijing_iso(-1), beijing_iso(2), "open",
                         "2030年下半年免考申请")
    assert rows[later][4] == "upcoming"
    rows = listed(ctl("windows", "list", "--all"))
    assert list(rows) == [past, now, later] and rows[past][4] == "closed"
    assert list(listed(ctl("windows", "list", "--kind", "graduation", "--all"))) == [later]
    r = ctl("windows", "list", "--kind", "nope")
    assert r.returncode == 2 and "'nope' is not a window kind" in r.stderr


def test_delete_removes_a_window_nothing_refers_to(ctl, db):
    wid = created_id(ctl("windows", "create", "exemption", "2030-1", "2030-03-01 09:00",
                         "2030-03-10 17:00"))
    r = ctl("windows", "delete", str(wid))
    assert r.returncode == 0, r.stderr
    assert f"deleted window {wid}: exemption 2030-1" in r.stdout
    assert h.q1(db, "SELECT count(*) FROM windows WHERE id = %s", wid) == 0
    r = ctl("windows", "delete", str(wid))
    assert r.returncode == 1 and f"there is no window {wid}" in r.stderr


def test_delete_refuses_a_window_that_rows_refer_to_naming_them(ctl, db):
    wid = created_id(ctl("windows", "create", "graduation", "2030-1", "2030-03-01 09:00",
                         "2030-03-10 17:00"))
    # as applications and registrations will when they name their window
    h.q(db, "CREATE TABLE window_users (window_id bigint REFERENCES windows (id))")
    h.q(db, "INSERT INTO window_users VALUES (%s)", wid)
    r = ctl("windows", "delete", str(wid))
    assert r.returncode == 1
    assert f"window {wid}, graduation 2030-1 (2030年上半年毕业申请) cannot be deleted: rows of " \
           "window_users refer to it" in r.stderr, r.stderr
    assert "violates" not in r.stderr
    assert h.q1(db, "SELECT count(*) FROM windows WHERE id = %s", wid) == 1


def test_windows_set_says_what_replaced_it(ctl):
    r = ctl("windows", "set", "graduation", "2030-01-02 09:00", "2030-01-20 17:00")
    assert r.returncode == 2
    assert "windows create KIND TERM START END" in r.stderr and "windows edit ID" in r.stderr


# ---- GET /api/v1/windows -------------------------------------------------------------------

def test_windows_show_each_kind_with_the_window_open_now_and_the_next(server, db):
    h.q(db, "DELETE FROM windows")
    window(db, "exemption", "2098-1", "now() - interval '30 days'", "now() - interval '20 days'")
    current = window(db, "exemption", "2098-2", "now() - interval '1 day'",
                     "now() + interval '2 days'", name="2098年下半年免考申请")
    following = window(db, "exemption", "2099-1", "now() + interval '10 days'",
                       "now() + interval '20 days'")
    window(db, "exemption", "2099-2", "now() + interval '30 days'", "now() + interval '40 days'")
    grad = window(db, "graduation", "2099-1", "now() + interval '5 days'",
                  "now() + interval '6 days'")
    window(db, "ticket_printing", "2098-04", "now() - interval '3 days'",
           "now() - interval '1 second'")  # just closed: neither current nor next
    r = server.get("/api/v1/windows")
    assert r.status == 200 and r.header("Cache-Control") == "no-store"
    items = r.json()["items"]
    assert [i["kind"] for i in items] == KINDS  # every kind of the list, in its order
    by = {i["kind"]: i for i in items}
    starts, ends = h.q(db, "SELECT zk_ts(starts_at), zk_ts(ends_at) FROM windows WHERE id = %s",
                       current)[0]
    assert by["exemption"]["name"] == "免考申请"
    assert by["exemption"]["current"] == {
        "id": current, "kind": "exemption", "name": "2098年下半年免考申请", "term": "2098-2",
        "starts_at": starts, "ends_at": ends, "open": True}
    assert ISO.match(starts) and ISO.match(ends)
    assert by["exemption"]["next"]["id"] == following
    assert by["exemption"]["next"]["open"] is False and by["exemption"]["next"]["term"] == "2099-1"
    assert by["graduation"]["current"] is None and by["graduation"]["next"]["id"] == grad
    assert by["ticket_printing"] == {"kind": "ticket_printing", "name": "准考证打印",
                                     "current": None, "next": None}
    assert by["results_publication"]["name"] == "当次成绩查询"


def test_a_window_is_open_from_its_start_until_its_end(server, db):
    h.q(db, "DELETE FROM windows")
    w = window(db, "graduation", "2098-2", "now() - interval '1 second'",
               "now() + interval '1 hour'")
    by = {i["kind"]: i for i in server.get("/api/v1/windows").json()["items"]}
    assert by["graduation"]["current"]["id"] == w and by["graduation"]["current"]["open"] is True
    h.q(db, "UPDATE windows SET starts_at = now() - interval '1 hour', ends_at = now() "
            "WHERE id = %s", w)
    by = {i["kind"]: i for i in server.get("/api/v1/windows").json()["items"]}
    assert by["graduation"]["current"] is None and by["graduation"]["next"] is None


# ---- zikaoctl status -----------------------------------------------------------------------

def test_status_prints_the_open_windows_with_kind_and_term(pg, database, redis_server, db):
    h.q(db, "DELETE FROM windows")
    window(db, "exemption", "2098-2", "now() - interval '1 day'", "now() + interval '2 days'",
           name="2098年下半年免考申请")
    window(db, "graduation", "2098-2", "now() - interval '1 hour'", "now() + interval '9 days'",
           name="2098年下半年毕业申请")
    window(db, "exemption", "2099-1", "now() + interval '10 days'", "now() + interval '20 days'",
           name="2099年上半年免考申请")
    out = h.zikaoctl(pg.conninfo(database), redis_server.port, "status", check=False).stdout
    assert re.search(r"^WINDOWS\s+open: 2098年下半年免考申请 \(exemption 2098-2\) until "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d \+08:00$", out, re.M), out
    assert re.search(r"^\s+open: 2098年下半年毕业申请 \(graduation 2098-2\) until ", out, re.M), out
    assert re.search(r"^\s+next: 2099年上半年免考申请 \(exemption 2099-1\) opens ", out, re.M), out


# ---- demo data -----------------------------------------------------------------------------

def load_demo_windows(pg, database):
    """Runs schema/data/demo/windows.sql in a session of its own, as scripts/demo-data does."""
    with open(os.path.join(h.SOURCE, "schema/data/demo/windows.sql")) as f:
        sql = f.read()
    c = pg.connect(database)
    with c.cursor() as cur:
        cur.execute(sql)
    c.close()


def test_demo_windows_open_now_and_to_come_beside_the_windows_already_there(pg, database, db):
    h.q(db, "DELETE FROM windows")
    kept = window(db, "exemption", "2098-1", "now() - interval '1 day'",
                  "now() + interval '1 day'")
    soon = window(db, "graduation", "2099-1", "now() + interval '3 days'",
                  "now() + interval '10 days'")
    load_demo_windows(pg, database)
    rows = h.q(db, "SELECT id, kind, term, name, starts_at <= now() AND now() < ends_at, "
                   "starts_at > now() FROM windows ORDER BY kind, starts_at")
    load_demo_windows(pg, database)  # idempotent
    assert h.q(db, "SELECT id, kind, term, name, starts_at <= now() AND now() < ends_at, "
                   "starts_at > now() FROM windows ORDER BY kind, starts_at") == rows
    # exemption was open already: kept as it was, no demo window beside it
    assert [r[0] for r in rows if r[1] == "exemption"] == [kept]
    # graduation opens now, for this half-year, and closes when the next one opens
    today = datetime.datetime.now(BEIJING).date()
    half = f"{today.year}-{1 if today.month <= 6 else 2}"
    grad = [r for r in rows if r[1] == "graduation" and r[4]]
    assert len(grad) == 1 and grad[0][2] == half, rows
    assert grad[0][3] == f"{today.year}年{'上' if half.endswith('1') else '下'}半年毕业申请"
    assert h.q1(db, "SELECT ends_at = (SELECT starts_at FROM windows WHERE id = %s) FROM windows "
                    "WHERE id = %s", soon, grad[0][0]) is True
    # the next sitting's windows are to come, named by its month
    for kind in ("theory_registration", "practical_registration", "ticket_printing",
                 "results_publication"):
        future = [r for r in rows if r[1] == kind]
        assert len(future) == 1 and future[0][5] and re.match(r"^\d{4}-(04|10)$", future[0][2]), \
            (kind, rows)
