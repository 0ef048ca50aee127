"""bench_documents.py - the receipt download end to end, on a private
PostgreSQL + Redis (scripts/services), a real zikao-server and one
`zikao-worker --queue pdf` with one handler thread pinned to one core.

Prints:
  * latency, request -> ready: for N paid orders one after another, the
    client's first GET (202, creates the document and its job) until a GET
    answers the PDF (polling every POLL_MS), and the server-side part
    (documents.ready_at - created_at: request transaction to done mark);
  * throughput: M documents queued while the worker is stopped, then the
    worker started: documents per second from the first claim to the last
    done mark (render + file write + done transaction), the handler's own
    time per job (jobs.result.ms) and the worker's CPU time per document.
Asserts nothing: run by tests/bench/documents/run.sh.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../e2e"))
import zikao_harness as h  # noqa: E402

N = int(os.environ.get("N", "40"))
M = int(os.environ.get("M", "300"))
CORE = os.environ.get("CORE", "0")
POLL_MS = float(os.environ.get("POLL_MS", "5"))


def stats(values):
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return (f"median {statistics.median(values):7.1f}  p90 {p90:7.1f}  mean "
            f"{statistics.mean(values):7.1f} ms  (n={len(values)})")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PinnedWorker(h.Worker):
    def start(self):
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["taskset", "-c", CORE, h.binary("zikao-worker"), "--queue", "pdf",
             "--concurrency", "1"], env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT)
        h.wait_until(lambda: "consuming queue" in self.log(), what="worker start")
        return self


def main():
    tmp = tempfile.mkdtemp(prefix="zikao-documents-bench-")
    svc = os.path.join(tmp, "svc")
    pg = h.start_private_services(svc)
    redis = h.Redis(tmp).start()
    conninfo = pg.conninfo("zikao")
    db = pg.connect("zikao")
    cur = db.cursor()
    server = worker = None
    try:
        server = h.Server(tmp, conninfo, redis.port, env={"ZIKAO_LOG_LEVEL": "notice"}).start()
        orders = []
        for i in range(N + M + 1):
            cur.execute("INSERT INTO candidates (id_number, name, district, kind) VALUES "
                        "(%s, '欧阳明华', '140105', 'new') RETURNING id", ("%017dX" % (10**16 + i),))
            cid = cur.fetchone()[0]
            r = server.request("POST", "/api/v1/_test/orders",
                               body={"candidate_id": cid, "subject": f"bench-{i}"})
            no = r.json()["order_no"]
            cur.execute("UPDATE orders SET state = 'paid', provider = 'wechat', provider_trade_no "
                        "= %s, paying_at = now(), paid_at = now() WHERE order_no = %s",
                        ("42%026d" % i, no))
            c = h.Client(server)
            c.post("/api/v1/_test/session", {"candidate_id": cid})
            orders.append((c, no))

        def fetch(c, no):
            path = f"/api/v1/me/orders/{no}/receipt.pdf"
            t0 = time.perf_counter()
            r = c.get(path)
            while r.status == 202:
                time.sleep(POLL_MS / 1000)
                r = c.get(path)
            assert r.status == 200, r
            return (time.perf_counter() - t0) * 1000

        env = {"ZIKAO_LOG_LEVEL": "notice"}
        worker = PinnedWorker(tmp, conninfo, redis.port, queue="pdf", concurrency=1, env=env)
        worker.start()
        fetch(*orders[0])  # the thread's first render loads the fonts
        lat = [fetch(c, no) for c, no in orders[1:N + 1]]
        cur.execute("SELECT extract(epoch FROM ready_at - created_at) * 1000 FROM documents "
                    "WHERE id > 1 ORDER BY id")
        srv = [float(x[0]) for x in cur.fetchall()]
        print(f"== receipt, request -> ready (worker: 1 thread on core {CORE}, "
              f"polling every {POLL_MS:g} ms)")
        print(f"  client, first GET -> PDF received: {stats(lat)}")
        print(f"  server, request txn -> done mark:  {stats(srv)}")
        worker.stop()

        for c, no in orders[N + 1:]:
            r = c.get(f"/api/v1/me/orders/{no}/receipt.pdf")
            assert r.status == 202, r
        cur.execute("SELECT max(id) FROM jobs WHERE state = 'done'")
        last_done = cur.fetchone()[0]
        worker = PinnedWorker(tmp, conninfo, redis.port, queue="pdf", concurrency=1, env=env)
        worker.start()
        cpu0 = cpu_seconds(worker.proc.pid)
        def all_ready():
            cur.execute("SELECT count(*) FROM documents WHERE state = 'ready'")
            return cur.fetchone()[0] == N + M + 1

        h.wait_until(all_ready, timeout=600, step=0.2, what="all documents ready")
        cpu1 = cpu_seconds(worker.proc.pid)
        cur.execute("SELECT extract(epoch FROM max(finished_at) - min(started_at)), "
                    "percentile_cont(0.5) WITHIN GROUP (ORDER BY (result->>'ms')::float8), "
                    "avg(length(f.data)) FROM jobs j JOIN documents d ON d.job_id = j.id "
                    "JOIN files f ON f.id = d.file_id WHERE j.id > %s", (last_done,))
        span, run_ms, size = cur.fetchone()
        print(f"== worker throughput: {M} queued receipts, 1 thread on core {CORE}")
        print(f"  {M / span:.1f} documents/s ({span:.2f} s first claim -> last done mark)")
        print(f"  handler run (load input + render), median {run_ms:.1f} ms; "
              f"worker CPU {1000 * (cpu1 - cpu0) / M:.1f} ms per document; "
              f"{size / 1024:.1f} KiB per PDF")
    finally:
        for p in (worker, server):
            if p is not None:
                p.stop()
        redis.stop()
        db.close()
        h.stop_private_services(svc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
