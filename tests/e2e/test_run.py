"""scripts/start - what scripts/run does once it has installed and built - on
the binaries of this build: a private PostgreSQL and Redis under its own var
directory, migrations, demo data, one worker per queue and the server, with
what scripts/setup installed configured (the face models). A new user's run
must work: every queue has a worker that consumes it, an identity attempt
gets its verdict, the demo order is paid and its receipt printed, Ctrl-C
stops everything. A worker that cannot start stops the run, its log line on
the terminal, and leaves nothing running.

Needs the kit (ZIKAO_KIT_DIR) for the photos and the face models where
scripts/setup installs them (<repo>/models/face-api/...); skips without."""
import os
import re
import shutil
import signal
import socket
import subprocess

import psycopg2
import pytest

import zikao_harness as h

SETUP_MODELS = os.path.join(h.SOURCE, "models/face-api/node_modules/@vladmandic/face-api/model")
CAPTCHA = "TEST7"
SHANXI_SET = {"registration": "sx_reg_sheldon.jpg", "idcard": "sx_id_sheldon.jpg",
              "holding": "sx_hold_sheldon.jpg"}


class Endpoint(h.Server):
    """Requests to a server this test did not start (the run's)."""

    def __init__(self, port):  # no process of its own: only the port
        self.port = port


class Run:
    """scripts/start on this build, with its own var directory and free ports."""

    def __init__(self, tmpdir, env=None):
        self.var = os.path.join(tmpdir, "var")
        self.out_path = os.path.join(tmpdir, "start.out")
        self.port, self.pg_port, self.redis_port = h.free_port(), h.free_port(), h.free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ZIKAO_")}
        self.env.update({
            "ZIKAO_SERVER_LISTEN": f"127.0.0.1:{self.port}",
            "ZIKAO_PG_PORT": str(self.pg_port),
            "ZIKAO_REDIS_PORT": str(self.redis_port),
            "ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": CAPTCHA,
            "ZIKAO_AUTH_ARGON2_MEMLIMIT_KIB": "8192",
            "OPENBLAS_NUM_THREADS": "1",
        })
        self.env.update(env or {})
        self.server = Endpoint(self.port)
        self.conninfo = f"host=127.0.0.1 port={self.pg_port} dbname=zikao user=zikao"
        self.proc = None

    def start(self):
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(
                [os.path.join(h.SOURCE, "scripts/start"), "--build", h.BUILD, "--var", self.var],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def output(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_running(self, timeout=180):
        h.wait_until(lambda: "zikao is running at" in self.output() or self.proc.poll() is not None,
                     timeout=timeout, step=0.2, what="scripts/start")
        assert self.proc.poll() is None, f"scripts/start exited {self.proc.returncode}:\n" \
                                         f"{self.output()}"

    def wait_exit(self, timeout=120):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def processes(self):
        """Pids of the processes this run started (they inherit ZIKAO_PG_PORT)."""
        marker = f"ZIKAO_PG_PORT={self.pg_port}".encode()
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/environ", "rb") as f:
                    if marker in f.read().split(b"\0"):
                        pids.append(int(d))
            except OSError:
                pass
        return pids

    def listening(self):
        """The run's ports that still accept connections."""
        up = []
        for port in (self.port, self.pg_port, self.redis_port):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                up.append(port)
            except OSError:
                pass
        return up

    def logs(self):
        """Log file name -> text, from VAR/log."""
        d = os.path.join(self.var, "log")
        out = {}
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), "rb") as f:
                out[name] = f.read().decode("utf-8", "replace")
        return out

    def cleanup(self):
        """Whatever the test's outcome: nothing of the run is left."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait_exit(60) is None:
                self.proc.kill()
                self.proc.wait()
        subprocess.run([os.path.join(h.SOURCE, "scripts/services"), "stop", self.var],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        pg = os.path.join(self.var, "pg")
        if os.path.islink(pg):  # as root the cluster may live under /var/tmp
            shutil.rmtree(os.path.realpath(pg), ignore_errors=True)
        shutil.rmtree(self.var, ignore_errors=True)


@pytest.fixture
def setup_models():
    """The face models where scripts/setup installs them, which the run uses."""
    if not os.path.isdir(SETUP_MODELS):
        pytest.skip(f"SKIP: face models not installed at {SETUP_MODELS} (scripts/setup runs "
                    "workers/face/fetch-models.sh)")
    return SETUP_MODELS


@pytest.fixture
def make_run(request, tmpdir_path):
    runs = []

    def factory(env=None):
        r = Run(tmpdir_path, env)
        runs.append(r)
        return r.start()

    yield factory
    for r in runs:
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            print(f"\n--- scripts/start output ---\n{r.output()[-6000:]}")
            for name, log in r.logs().items():
                print(f"\n--- {name} ---\n{log[-3000:]}")
        r.cleanup()


def queues():
    out = subprocess.run([h.binary("zikao-worker"), "--list-queues"], capture_output=True,
                         text=True, check=True).stdout
    return sorted(q.strip() for q in out.split() if q.strip() != "noop")


def status_workers(text):
    """QUEUE -> the WORKERS column (active workers) of `zikaoctl status`."""
    section = text.split("\nQUEUES", 1)[1].split("\n\n", 1)[0]
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^  (\w+)\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+", section, re.M)}


def sms_code(run, phone, purpose):
    """The code the outbox SMS provider wrote for phone (the sms_outbox table)."""
    db = psycopg2.connect(host="127.0.0.1", port=run.pg_port, dbname="zikao", user="zikao")
    try:
        with db.cursor() as cur:
            cur.execute("SELECT body FROM sms_outbox WHERE phone = %s AND purpose = %s "
                        "ORDER BY id DESC LIMIT 1", (phone, purpose))
            return cur.fetchone()[0].split("验证码为 ")[1][:6]
    finally:
        db.close()


def register(run, phone="13800000001"):
    """A new candidate registers as in the portal: captcha, SMS code, form."""
    c = h.Client(run.server)
    r = c.post("/api/v1/sms/send", {"phone": phone, "purpose": "register",
                                    "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 202, r
    r = c.post("/api/v1/auth/register", {
        "id_type": "身份证", "id_number": h.id_number(), "name": "张三", "password": "abcd1234",
        "password_confirm": "abcd1234", "district": "140105", "phone": phone,
        "sms_code": sms_code(run, phone, "register")})
    assert r.status == 201, r
    return c


def login(run, login_id, password):
    c = h.Client(run.server)
    r = c.post("/api/v1/auth/login", {"login": login_id, "password": password,
                                      "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 200, r
    return c


def test_a_run_has_a_worker_consuming_every_queue_and_verifies_an_identity(make_run, photos,
                                                                           setup_models):
    run = make_run()
    run.wait_running()
    # The URL printed shows this checkout's web pages (server/www).
    with open(os.path.join(h.SOURCE, "server", "www", "index.html"), "rb") as f:
        assert run.server.get("/").body == f.read()
    # ... each text file with its precompressed .gz (scripts/www-gzip into VAR/www).
    import gzip
    r = run.server.request("GET", "/login.html", headers={"Accept-Encoding": "gzip"})
    assert r.header("Content-Encoding") == "gzip", r
    with open(os.path.join(h.SOURCE, "server", "www", "login.html"), "rb") as f:
        assert gzip.decompress(r.body) == f.read()
    # Every queue has a worker consuming it from the start, idle or not.
    st = h.zikaoctl(run.conninfo, run.redis_port, "status", check=False)
    assert all(status_workers(st.stdout).get(q, 0) >= 1 for q in queues()), st.stdout

    # A new candidate uploads the photos the Shanxi profile asks for and starts
    # a verification: the photo and face workers decide it.
    c = register(run)
    for kind, name in SHANXI_SET.items():
        r = c.request("PUT", f"/api/v1/me/identity/photos/{kind}", raw=photos(name),
                      content_type="image/jpeg")
        assert r.status == 200, r
    r = c.post("/api/v1/me/identity/attempts")
    assert r.status == 202, r
    attempt = f"/api/v1/me/identity/attempts/{r.json()['attempt_id']}"
    h.wait_until(lambda: c.get(attempt).json()["state"] != "pending", timeout=120, step=0.5,
                 what="the identity attempt's verdict")
    body = c.get(attempt).json()
    assert body["state"] == "passed", body

    # The demo candidate pays the demo order through the simulator (the payment
    # worker delivers the callback) and prints its receipt (the pdf worker).
    d = login(run, "010518000001", "Demo2026zk")
    [order] = d.get("/api/v1/me/orders").json()["items"]
    no = order["order_no"]
    r = d.post(f"/api/v1/me/orders/{no}/pay", {"provider": "alipay"})
    assert r.status == 200, r
    h.sim_pay_via_page(run.server, r.json()["pay"])
    h.wait_until(lambda: d.get(f"/api/v1/me/orders/{no}").json()["state"] == "paid",
                 timeout=60, step=0.2, what="the demo order paid")
    receipt = f"/api/v1/me/orders/{no}/receipt.pdf"
    h.wait_until(lambda: d.get(receipt).status != 202, timeout=60, step=0.2, what="the receipt")
    r = d.get(receipt)
    assert r.status == 200 and r.body.startswith(b"%PDF-"), r

    st = h.zikaoctl(run.conninfo, run.redis_port, "status", check=False)
    assert st.returncode == 0, st.stdout + st.stderr
    workers = status_workers(st.stdout)
    assert all(workers.get(q, 0) >= 1 for q in queues()), st.stdout

    # Ctrl-C: everything stops, cleanly.
    run.proc.send_signal(signal.SIGINT)
    assert run.wait_exit() == 0, run.output()
    assert run.processes() == [] and run.listening() == []
    for name, log in run.logs().items():
        assert not any(m in log for m in h.SANITIZER_MARKERS), f"{name}:\n{log[-4000:]}"


def test_a_worker_failing_at_start_stops_the_run_showing_its_log_line(make_run):
    run = make_run(env={"ZIKAO_PATHS_MODELS_DIR": "/nonexistent/face-models"})

    rc = run.wait_exit()
    out = run.output()
    assert rc is not None and rc != 0, out
    assert "zikao is running" not in out
    assert re.search(r"worker (photo|face) exited with status 1", out), out
    assert "face models in /nonexistent/face-models" in out
    assert "worker set-up failed; not consuming" in out
    assert run.processes() == [] and run.listening() == []
