"""bench_identity.py - cost of identity verification in the real workers.

Creates N Shanxi new-candidate attempts (registration photo, ID card,
holding photo: the fixtures of workers/face/tests/identity_fixtures.c),
enqueues their 3N photo jobs and N face jobs, then runs
`zikao-worker --queue photo` and afterwards `zikao-worker --queue face`, one
handler thread each (OPENBLAS_NUM_THREADS=1), and prints:
  * per job: the handler's own wall time and CPU time (jobs.result.ms and
    cpu_ms: read the photo, decode, find faces, rules / descriptors; CPU
    time is what to compare on a shared machine), median, p90 and mean, and
    per photo kind;
  * end to end: jobs per second from the first claim to the last done mark
    (includes the done transaction and the queue);
  * memory: each worker's RSS once its models are loaded (idle) and its peak
    (VmHWM) at the end; then the same for the photo worker at concurrency 2.
Asserts nothing: run by tests/bench/identity/run.sh.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../e2e"))
import zikao_harness as h  # noqa: E402

N = int(os.environ.get("N", "30"))
KIT = os.environ.get("ZIKAO_KIT_DIR") or "/work/shared"
MODELS = os.environ.get("ZIKAO_MODELS_DIR") or os.path.join(
    h.SOURCE, "models/face-api/node_modules/@vladmandic/face-api/model")


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024.0
    return out


def stats(values):
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return f"median {statistics.median(values):7.1f}  p90 {p90:7.1f}  mean " \
           f"{statistics.mean(values):7.1f} ms  (n={len(values)})"


def main():
    tmp = tempfile.mkdtemp(prefix="zikao-identity-bench-")
    svc = os.path.join(tmp, "svc")
    pg = h.start_private_services(svc)
    redis = h.Redis(tmp).start()
    conninfo = pg.conninfo("zikao")
    db = pg.connect("zikao")
    started = []
    try:
        fx = os.path.join(tmp, "photos")
        subprocess.run([os.path.join(h.BUILD, "workers/face/identity_fixtures"), MODELS, KIT, fx],
                       check=True, stdout=subprocess.DEVNULL)
        files = {k: open(os.path.join(fx, v), "rb").read() for k, v in
                 {"registration": "sx_reg_sheldon.jpg", "idcard": "sx_id_sheldon.jpg",
                  "holding": "sx_hold_sheldon.jpg"}.items()}
        cur = db.cursor()
        payloads = {"photo": [], "face": []}
        for i in range(N):
            cur.execute("INSERT INTO candidates (id_number, name, district, kind) VALUES "
                        "(%s, '张三', '140105', 'new') RETURNING id", ("%018d" % (10**17 + i),))
            cand = cur.fetchone()[0]
            ids = {}
            for kind, data in files.items():
                cur.execute("INSERT INTO files (candidate_id, content_type, size, sha256, data) "
                            "VALUES (%s, 'image/jpeg', %s, 'x', %s) RETURNING id",
                            (cand, len(data), data))
                ids[kind] = cur.fetchone()[0]
            cur.execute("INSERT INTO identity_attempts (candidate_id, photos) VALUES (%s, %s) "
                        "RETURNING id", (cand, json.dumps(ids)))
            attempt = cur.fetchone()[0]
            for kind, fid in ids.items():
                cur.execute("INSERT INTO identity_photo_checks (attempt_id, kind, file_id) "
                            "VALUES (%s, %s, %s)", (attempt, kind, fid))
                payloads["photo"].append({"attempt_id": attempt, "kind": kind, "file_id": fid})
            payloads["face"].append({"attempt_id": attempt})

        def add_jobs(queue):
            """Jobs straight into the outbox; the worker's sweeper publishes them."""
            for p in payloads[queue]:
                cur.execute("INSERT INTO jobs (queue, payload, created_at, updated_at) VALUES "
                            "(%s, %s, now() - interval '1 hour', now() - interval '1 hour')",
                            (queue, json.dumps(p)))
        env = {"ZIKAO_PATHS_MODELS_DIR": MODELS, "ZIKAO_PROFILE_PROVINCE": "shanxi",
               "OPENBLAS_NUM_THREADS": "1", "ZIKAO_LOG_LEVEL": "notice"}
        print(f"identity verification benchmark: {N} attempts (Shanxi: 3 photos + 1 face job "
              f"each), one handler thread per worker, {os.cpu_count()} CPUs")
        for queue, conc in (("photo", 1), ("face", 1)):
            w = h.Worker(tmp, conninfo, redis.port, queue=queue, concurrency=conc, env=env)
            started.append(w)
            w.start()
            time.sleep(0.5)
            idle = status(w.proc.pid)
            add_jobs(queue)
            total = len(payloads[queue])
            h.wait_until(lambda: cur.execute("SELECT count(*) FROM jobs WHERE queue = %s AND "
                                             "state IN ('done', 'dead')", (queue,))
                         or cur.fetchone()[0] == total, timeout=1200, step=0.2, what=queue)
            peak = status(w.proc.pid)
            w.stop()
            cur.execute("SELECT count(*) FILTER (WHERE state = 'dead'), "
                        "extract(epoch FROM max(finished_at) - min(started_at)) "
                        "FROM jobs WHERE queue = %s", (queue,))
            dead, wall = cur.fetchone()
            cur.execute("SELECT payload->>'kind', (result->>'ms')::float8, "
                        "(result->>'cpu_ms')::float8 FROM jobs WHERE queue = %s AND "
                        "state = 'done' ORDER BY id", (queue,))
            rows = cur.fetchall()
            print(f"\n{queue} worker: {total} jobs in {wall:.2f} s = {total / wall:.1f} jobs/s "
                  f"end to end ({dead} dead)")
            print(f"  handler wall, all          {stats([r[1] for r in rows])}")
            print(f"  handler CPU,  all          {stats([r[2] for r in rows])}")
            if queue == "photo":
                for kind in ("registration", "idcard", "holding"):
                    print(f"  handler CPU,  {kind:12s} "
                          f"{stats([r[2] for r in rows if r[0] == kind])}")
            print(f"  RSS idle (models loaded) {idle['VmRSS']:.0f} MiB, peak {peak['VmHWM']:.0f} "
                  f"MiB")
        # Memory with two handler threads: two engines (one per thread).
        cur.execute("DELETE FROM jobs WHERE queue = 'photo'")
        cur.execute("UPDATE identity_photo_checks SET state = 'pending'")
        w = h.Worker(tmp, conninfo, redis.port, queue="photo", concurrency=2, env=env)
        started.append(w)
        w.start()
        time.sleep(0.5)
        idle = status(w.proc.pid)
        add_jobs("photo")
        h.wait_until(lambda: cur.execute("SELECT count(*) FROM jobs WHERE queue = 'photo' AND "
                                         "state <> 'done'") or cur.fetchone()[0] == 0,
                     timeout=1200, step=0.2, what="photo again")
        peak = status(w.proc.pid)
        w.stop()
        cur.execute("SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM jobs "
                    "WHERE queue = 'photo'")
        wall = cur.fetchone()[0]
        print(f"\nphoto worker, 2 threads: {3 * N / wall:.1f} jobs/s end to end; RSS idle "
              f"{idle['VmRSS']:.0f} MiB, peak {peak['VmHWM']:.0f} MiB")
    finally:
        for w in started:
            w.stop()
        db.close()
        redis.stop()
        h.stop_private_services(svc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
