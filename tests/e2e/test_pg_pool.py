"""The non-blocking PostgreSQL pool's pipeline mode, against the real cluster.

A transaction's BEGIN travels with its first statement in one libpq pipeline
(pg_conn_query_pipelined). tests/pg_pool_probe drives shared/pg_pool.c
directly and prints one JSON line per callback; these tests read them.
"""
import json
import os
import subprocess

import zikao_harness as h

PROBE = os.path.join(h.BUILD, "tests", "pg_pool_probe")
OK, QUERY, TIMEOUT = 0, 1, 2   # enum pg_error


def probe(pg, database, *args):
    # As the owner: the probe makes a scratch table of its own, which the
    # application role may not (it changes rows, never the schema).
    r = subprocess.run([PROBE, pg.owner_conninfo(database), *args], capture_output=True,
                       text=True, timeout=120)
    assert not any(m in r.stderr for m in h.SANITIZER_MARKERS), r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    return r.returncode, {l["step"]: l for l in lines}, r


def test_begin_and_the_first_statement_share_one_round_trip(pg, database):
    rc, steps, r = probe(pg, database, "pipelined")
    assert rc == 0, r.stderr
    first = steps["begin+select"]
    assert first["error"] == OK and first["value"].isdigit()
    # The next statement runs inside the transaction BEGIN opened: same xid ...
    assert steps["select"] == {"step": "select", "error": OK, "sqlstate": "", "value":
                               first["value"]}
    assert steps["commit"]["error"] == OK
    # ... and after COMMIT the next statement is a transaction of its own.
    assert steps["state"]["error"] == OK
    assert int(steps["state"]["value"]) > int(first["value"])


def test_a_failing_lead_statement_gives_its_error_and_skips_the_second(pg, database):
    rc, steps, r = probe(pg, database, "lead-error")
    assert rc == 0, r.stderr
    assert steps["lead-error"]["error"] == QUERY
    assert steps["lead-error"]["sqlstate"] == "22012"   # division_by_zero
    assert steps["lead-error"]["value"] is None
    assert steps["state"]["error"] == OK and steps["state"]["value"] == "usable"


def test_a_failing_statement_after_begin_gives_its_error_and_the_pool_goes_on(pg, database):
    rc, steps, r = probe(pg, database, "main-error")
    assert rc == 0, r.stderr
    assert (steps["main-error"]["error"], steps["main-error"]["sqlstate"]) == (QUERY, "22012")
    assert steps["state"]["value"] == "usable"


def test_a_pipelined_statement_past_its_deadline_times_out_and_the_pool_recovers(pg, database):
    rc, steps, r = probe(pg, database, "timeout")
    assert rc == 0, r.stderr
    assert steps["timeout"]["error"] == TIMEOUT
    assert steps["after-timeout"]["error"] == OK
    assert steps["after-timeout"]["value"] == "usable"


def test_many_pipelined_transactions_all_commit(pg, database):
    rc, steps, r = probe(pg, database, "many", "2000")
    assert rc == 0, r.stdout + r.stderr
    assert steps["many"]["failures"] == 0
    c = pg.connect(database)
    try:
        with c.cursor() as cur:
            cur.execute("SELECT count(*) FROM probe_rows")
            assert cur.fetchone()[0] == 2000
    finally:
        c.close()
