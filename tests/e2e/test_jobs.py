"""Durable jobs: no job lost, none applied twice, through crashes of workers
and of Redis; dead jobs and their revival; stopping with a job in hand."""
import os
import re
import signal
import subprocess
import time

import pytest

import zikao_harness as h
from zikao_harness import q1


@pytest.fixture
def workers(make_worker):
    def factory(n=1, concurrency=2, env=None):
        return [make_worker("noop", concurrency, env) for _ in range(n)]
    return factory


def add_jobs(server, n, payload):
    ids = []
    while n > 0:
        k = min(n, 64)
        r = server.request("POST", "/api/v1/_test/jobs",
                           body={"queue": "noop", "count": k, "payload": payload})
        assert r.status == 201, r
        ids += r.json()["ids"]
        n -= k
    return ids


def wait_all_done(db, n, timeout=90):
    h.wait_until(lambda: q1(db, "SELECT count(*) FROM jobs WHERE state = 'done'") == n,
                 timeout=timeout, step=0.2, what=f"{n} jobs done")


def test_thousand_jobs_done_exactly_once_despite_sigkills(server, db, workers):
    ids = add_jobs(server, 1000, {"sleep_ms": 20})
    assert len(set(ids)) == 1000
    ws = workers(n=2, concurrency=4)
    for round_ in range(6):
        time.sleep(0.5)
        victim = ws[round_ % 2]
        victim.kill()  # SIGKILL mid-run: its jobs in hand must be reclaimed
        victim.start()
    wait_all_done(db, 1000)
    # Killed in the middle of jobs: those were run again by another consumer.
    assert q1(db, "SELECT count(*) FROM jobs WHERE attempts > 1") >= 1
    assert q1(db, "SELECT count(*) FROM job_noop_effects") == 1000
    assert q1(db, "SELECT count(*) FROM job_noop_effects e JOIN jobs j ON j.id = e.job_id "
                  "WHERE j.state = 'done'") == 1000
    assert q1(db, "SELECT count(*) FROM jobs WHERE state <> 'done'") == 0


def test_redis_flushall_and_restart_lose_no_job(server, db, workers, redis_server):
    add_jobs(server, 300, {"sleep_ms": 5})
    workers(n=2, concurrency=2)
    time.sleep(0.5)
    redis_server.client().flushall()           # every stream and group gone
    add_jobs(server, 100, {"sleep_ms": 1})     # published into the emptied Redis
    time.sleep(0.5)
    redis_server.stop()                        # Redis down: publishing fails
    ids = add_jobs(server, 100, {"sleep_ms": 1})
    assert len(ids) == 100                     # the requests still succeed
    time.sleep(0.5)
    redis_server.start()
    wait_all_done(db, 500)
    assert q1(db, "SELECT count(*) FROM job_noop_effects") == 500


def test_always_failing_job_goes_dead_with_its_error_and_retry_revives_it(
        server, db, workers, pg, database, redis_server):
    [job] = add_jobs(server, 1, {"fail": True})
    workers(n=1)
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "dead",
                 timeout=30, what="dead job")
    assert q1(db, "SELECT attempts FROM jobs WHERE id = %s", job) == 3
    assert "asked to fail (attempt 3)" in q1(db, "SELECT last_error FROM jobs WHERE id = %s", job)
    assert q1(db, "SELECT count(*) FROM job_noop_effects") == 0
    listed = h.zikaoctl(pg.conninfo(database), redis_server.port, "jobs", "list", "--state",
                        "dead").stdout
    assert str(job) in listed and "asked to fail" in listed
    shown = h.zikaoctl(pg.conninfo(database), redis_server.port, "jobs", "show", str(job)).stdout
    assert '"state":"dead"' in shown
    # The cause is fixed (here: the payload), the operator retries.
    with db.cursor() as cur:
        cur.execute("UPDATE jobs SET payload = '{}' WHERE id = %s", (job,))
    out = h.zikaoctl(pg.conninfo(database), redis_server.port, "jobs", "retry", str(job)).stdout
    assert "1 job(s) queued again" in out
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "done",
                 timeout=20, what="revived job done")
    assert q1(db, "SELECT count(*) FROM job_noop_effects") == 1
    assert q1(db, "SELECT attempts FROM jobs WHERE id = %s", job) == 1


def test_job_failing_once_is_retried_after_backoff(server, db, workers):
    [job] = add_jobs(server, 1, {"fail_attempts": 1})
    workers(n=1)
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "done",
                 timeout=20, what="retried job done")
    assert q1(db, "SELECT attempts FROM jobs WHERE id = %s", job) == 2
    assert q1(db, "SELECT last_error FROM jobs WHERE id = %s", job) is None


def test_same_message_delivered_twice_gives_one_result(server, db, workers, redis_server):
    [done_job] = add_jobs(server, 1, {})
    ws = workers(n=1)
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", done_job) == "done",
                 what="first job done")
    ws[0].stop()
    [queued_job] = add_jobs(server, 1, {"sleep_ms": 50})
    r = redis_server.client()
    for job in (done_job, done_job, queued_job, queued_job, queued_job):
        r.xadd("zikao:q:noop", {"job": str(job)})
    workers(n=1, concurrency=4)
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", queued_job) == "done",
                 what="second job done")
    time.sleep(1.0)  # let every duplicate be consumed
    assert q1(db, "SELECT count(*) FROM job_noop_effects WHERE job_id = %s", done_job) == 1
    assert q1(db, "SELECT count(*) FROM job_noop_effects WHERE job_id = %s", queued_job) == 1
    assert q1(db, "SELECT attempts FROM jobs WHERE id = %s", done_job) == 1
    assert r.xlen("zikao:q:noop") == 0  # acknowledged entries are deleted


def test_sigterm_mid_job_finishes_it_and_exits_0(server, db, workers):
    [job] = add_jobs(server, 1, {"sleep_ms": 1500})
    [w] = workers(n=1, concurrency=1)
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "running",
                 what="job running")
    assert w.stop(signal.SIGTERM) == 0
    assert q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "done"
    assert q1(db, "SELECT count(*) FROM job_noop_effects") == 1


def test_second_sigterm_exits_at_once_and_the_job_is_reclaimed(server, db, workers):
    [job] = add_jobs(server, 1, {"sleep_ms": 4000})
    [a] = workers(n=1, concurrency=1)
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "running",
                 what="job running")
    a.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    t0 = time.monotonic()
    a.proc.send_signal(signal.SIGTERM)
    a.proc.wait(5)
    assert time.monotonic() - t0 < 2
    assert q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "running"
    workers(n=1, concurrency=1)  # takes over once the claim expires
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "done",
                 timeout=30, what="reclaimed job done")
    assert q1(db, "SELECT count(*) FROM job_noop_effects") == 1
    assert q1(db, "SELECT attempts FROM jobs WHERE id = %s", job) == 2


def test_long_job_keeps_its_claim(server, db, workers):
    # Runs for twice the visibility timeout: the keeper must renew the claim
    # so that a second worker does not take it over.
    [job] = add_jobs(server, 1, {"sleep_ms": 4500})
    workers(n=2, concurrency=1)
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "done",
                 timeout=20, what="long job done")
    assert q1(db, "SELECT attempts FROM jobs WHERE id = %s", job) == 1


def test_job_row_never_published_is_found_by_the_sweeper(db, workers):
    with db.cursor() as cur:  # as if the server died between COMMIT and XADD
        cur.execute("INSERT INTO jobs (queue, payload, created_at) "
                    "VALUES ('noop', '{}', now() - interval '10 seconds') RETURNING id")
        job = cur.fetchone()[0]
    workers(n=1)
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "done",
                 timeout=10, what="swept job done")


def test_a_job_delivered_before_it_is_due_runs_once_it_is_due(db, workers, redis_server):
    with db.cursor() as cur:  # published at once, as a retry's or a delayed job's message can be
        cur.execute("INSERT INTO jobs (queue, payload, not_before) "
                    "VALUES ('noop', '{}', now() + interval '3 seconds') RETURNING id")
        job = cur.fetchone()[0]
    r = redis_server.client()
    r.sadd("zikao:q:noop:published", str(job))
    r.xadd("zikao:q:noop", {"job": str(job)})
    workers(n=1)
    h.wait_until(lambda: r.xlen("zikao:q:noop") == 0, what="the early message consumed")
    assert q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "queued"
    h.wait_until(lambda: q1(db, "SELECT state FROM jobs WHERE id = %s", job) == "done",
                 timeout=20, what="the job run once due")


def test_metrics_and_stats_show_the_queue(server, db, workers, pg, database, redis_server):
    add_jobs(server, 20, {})
    m = server.get("/metrics").body.decode()
    assert 'zikao_jobs{queue="noop",state="queued"} 20' in m
    workers(n=1)
    wait_all_done(db, 20)
    m = server.get("/metrics").body.decode()
    assert 'zikao_jobs{queue="noop",state="queued"} 0' in m
    assert 'zikao_jobs_finished_total{queue="noop",outcome="done"} 20' in m
    assert 'zikao_job_duration_seconds_count{queue="noop"} 20' in m
    out = h.zikaoctl(pg.conninfo(database), redis_server.port, "jobs", "stats").stdout
    row = [line for line in out.splitlines() if line.startswith("noop")][0].split()
    assert row[1:6] == ["0", "0", "0", "0", "20"]


def test_test_jobs_endpoint_rejects_bad_input(server):
    assert server.request("POST", "/api/v1/_test/jobs", body=b"{nope",
                          headers={"Content-Type": "application/json"}).status == 400
    assert server.request("POST", "/api/v1/_test/jobs", body=b"{}",
                          headers={"Content-Type": "text/plain"}).status == 415
    r = server.request("POST", "/api/v1/_test/jobs", body={"queue": "Bad Name"})
    assert r.status == 422 and r.json()["error"]["field"] == "queue"
    r = server.request("POST", "/api/v1/_test/jobs", body={"queue": "noop", "count": 65})
    assert r.status == 422 and r.json()["error"]["field"] == "count"


def test_the_queues_workers_consume_are_the_one_list_the_server_knows(server):
    out = subprocess.run([h.binary("zikao-worker"), "--list-queues"], capture_output=True,
                         text=True, check=True).stdout
    consumed = {q.strip() for q in out.split() if q.strip()}
    metrics = server.get("/metrics").body.decode()
    known = set(re.findall(r'^zikao_jobs_oldest_seconds\{queue="([a-z_-]+)"\}', metrics, re.M))
    assert consumed == known and "photo" in known, (consumed, known)
