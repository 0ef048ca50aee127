"""zikao_harness - start real PostgreSQL, Redis and zikao binaries for tests.

The ctest fixture e2e/services_start runs one shared PostgreSQL cluster
(scripts/services) and migrates a template database; each test gets a fresh
database cloned from that template, its own Redis, and its own zikao-server
on a free port. Tests that must stop PostgreSQL start a private cluster.

Environment (set by tests/e2e/CMakeLists.txt):
  ZIKAO_BUILD_DIR     where zikao-server, zikao-worker and zikaoctl are
  ZIKAO_SOURCE_DIR    the repository
  ZIKAO_TEST_SERVICES the shared services directory (has an env file)
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid

BUILD = os.environ.get("ZIKAO_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE = os.environ.get("ZIKAO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
SERVICES = os.environ.get("ZIKAO_TEST_SERVICES", os.path.join(BUILD, "test-services"))
# The reference kit (faces, handbooks) and the face-api models; tests that
# need them skip, saying why, when they are missing.
KIT = os.environ.get("ZIKAO_KIT_DIR") or os.path.join(SOURCE, "../shared")
MODELS = os.environ.get("ZIKAO_MODELS_DIR") or os.path.join(
    SOURCE, "models/face-api/node_modules/@vladmandic/face-api/model")


# Lines the sanitizers print; a test fails if a server log contains one.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer")


def binary(name):
    for sub in ("server", "workers", "."):
        p = os.path.join(BUILD, sub, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{name} not built in {BUILD}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if "=" in line:
                k, v = line.split("=", 1)
                env[k] = v.strip("'")
    return env


def stop_process(proc, sig=signal.SIGTERM, timeout=20):
    """Signals proc and waits (killing it after timeout); its exit status, or
    None when there was no process."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def read_log(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_until(pred, timeout=10.0, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    raise TimeoutError(f"timed out waiting for {what}")


class Postgres:
    """A PostgreSQL cluster started by scripts/services (shared or private)."""

    def __init__(self, services_dir):
        self.dir = services_dir
        self.env = read_env(os.path.join(services_dir, "env"))
        self.port = int(self.env["ZIKAO_PG_PORT"])
        self.bin = self.env["ZIKAO_PG_BIN"]
        self.data = self.env["ZIKAO_PG_DATA"]

    def conninfo(self, dbname):
        """As the application role (server, workers, zikaoctl)."""
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user=zikao"

    def owner_conninfo(self, dbname):
        """As the owner of the tables (zikaoctl migrate)."""
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user=zikao_owner"

    def connect(self, dbname, user="postgres"):
        import psycopg2
        c = psycopg2.connect(host="127.0.0.1", port=self.port, dbname=dbname, user=user)
        c.autocommit = True
        return c

    def create_database(self, template="zikao_template"):
        name = "t_" + uuid.uuid4().hex[:12]
        c = self.connect("postgres")
        with c.cursor() as cur:
            # A template can be copied only while nobody is connected to it.
            for attempt in range(50):
                try:
                    cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" '
                                'OWNER zikao_owner')
                    break
                except Exception as e:  # source database is being accessed
                    if "being accessed" not in str(e) or attempt == 49:
                        raise
                    time.sleep(0.1)
        c.close()
        return name

    def drop_database(self, name):
        c = self.connect("postgres")
        with c.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.close()

    def _pg_ctl(self, *args):
        cmd = [os.path.join(self.bin, "pg_ctl"), "-D", self.data, *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self):
        self._pg_ctl("-w", "-t", "60", "-l", os.path.join(self.data, "server.log"),
                     "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 "
                           f"-c unix_socket_directories={self.data} -c max_connections=300",
                     "start")


def shared_postgres():
    env = os.path.join(SERVICES, "env")
    if not os.path.exists(env):
        raise RuntimeError(f"shared services not started ({env} missing): run the e2e "
                           "tests through ctest, which starts them first")
    return Postgres(SERVICES)


def start_private_services(tmpdir):
    """Starts a private cluster + Redis (for tests that stop PostgreSQL)."""
    subprocess.run([os.path.join(SOURCE, "scripts/services"), "start", tmpdir], check=True,
                   stdout=subprocess.DEVNULL)
    pg = Postgres(tmpdir)
    migrate(pg.owner_conninfo("zikao"))
    return pg


def stop_private_services(tmpdir):
    subprocess.run([os.path.join(SOURCE, "scripts/services"), "stop", tmpdir],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def migrate(conninfo):
    """zikaoctl migrate with conninfo (give the owner's: pg.owner_conninfo)."""
    env = dict(os.environ, ZIKAO_DATABASE_CONNINFO=conninfo)
    env.pop("ZIKAO_CONFIG", None)
    env.pop("ZIKAO_DATABASE_OWNER_CONNINFO", None)
    subprocess.run([binary("zikaoctl"), "migrate"], check=True, env=env,
                   stdout=subprocess.DEVNULL)


class Redis:
    """A private redis-server on a free port (appendonly, noeviction)."""

    def __init__(self, tmpdir):
        self.dir = os.path.join(tmpdir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--maxmemory-policy", "noeviction", "--save", "",
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.ping, what="redis")
        return self

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def client(self):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return f"<Response {self.status} {self.body[:200]!r}>"


class Server:
    """A real zikao-server process with its own port and log file."""

    def __init__(self, tmpdir, conninfo, redis_port, env=None, config_text=None, workers=1):
        self.tmpdir = tmpdir
        self.port = free_port()
        self.log_path = os.path.join(tmpdir, f"server-{self.port}.log")
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("ZIKAO_") and k not in ("ZIKAO_KIT_DIR", "ZIKAO_MODELS_DIR"):
                del self.env[k]
        self.env.update({
            "ZIKAO_SERVER_LISTEN": f"127.0.0.1:{self.port}",
            "ZIKAO_SERVER_WORKERS": str(workers),
            "ZIKAO_SERVER_ENVIRONMENT": "test",
            "ZIKAO_DATABASE_CONNINFO": conninfo,
            "ZIKAO_DATABASE_POOL_SIZE": "4",
            "ZIKAO_REDIS_HOST": "127.0.0.1",
            "ZIKAO_REDIS_PORT": str(redis_port),
            "ZIKAO_LOG_LEVEL": "info",
        })
        if env:
            self.env.update(env)
        self.config_path = None
        if config_text is not None:
            self.config_path = os.path.join(tmpdir, f"zikao-{self.port}.conf")
            self.write_config(config_text)
        self.proc = None
        self.log_file = None

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    def start(self, wait_ready=True, pass_fds=(), preexec=None, argv_prefix=None):
        args = [binary("zikao-server")]
        if self.config_path:
            args += ["--config", self.config_path]
        if argv_prefix:
            args = argv_prefix + args
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, env=self.env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, pass_fds=pass_fds,
                                     preexec_fn=preexec)
        if wait_ready:
            wait_until(lambda: self._ready(), timeout=20, what="zikao-server /readyz")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"zikao-server exited with {self.proc.returncode}:\n{self.log()}")
        try:
            return self.get("/readyz", timeout=1).status == 200
        except OSError:
            return False

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        rc = stop_process(self.proc, sig, timeout)
        self.proc = None
        if self.log_file:
            self.log_file.close()
        return rc

    def log(self):
        return read_log(self.log_path)

    def request(self, method, path, body=None, headers=None, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = dict(headers or {}, **{"Content-Type": "application/json"})
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def connect(self, timeout=5):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def raw(self, data, timeout=5, half_close=False):
        """Sends bytes, returns everything received until close or timeout."""
        with self.connect(timeout) as s:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
            return read_all(s, timeout)


def read_all(sock, timeout=5):
    sock.settimeout(timeout)
    chunks = []
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                break
            chunks.append(b)
    except (socket.timeout, ConnectionResetError):
        pass
    return b"".join(chunks)


def split_responses(data):
    """Splits a byte stream of HTTP/1.1 responses (Content-Length framed)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = [tuple(x.split(": ", 1)) for x in lines[1:]]
        length = 0
        for k, v in headers:
            if k.lower() == "content-length":
                length = int(v)
        out.append(Response(status, headers, rest[:length]))
        data = rest[length:]
    return out


# Job settings for tests: short claims and sweeps so recovery is quick.
TEST_JOB_ENV = {
    "ZIKAO_JOBS_VISIBILITY_MS": "2000",
    "ZIKAO_JOBS_SWEEP_INTERVAL_MS": "200",
    "ZIKAO_JOBS_PUBLISH_GRACE_MS": "500",
    "ZIKAO_JOBS_BACKOFF_BASE_MS": "100",
    "ZIKAO_JOBS_BACKOFF_MAX_MS": "1000",
    "ZIKAO_JOBS_MAX_ATTEMPTS": "3",
}


class Worker:
    """A real zikao-worker process consuming one queue."""

    def __init__(self, tmpdir, conninfo, redis_port, queue="noop", concurrency=2, env=None):
        self.queue = queue
        self.concurrency = concurrency
        self.log_path = os.path.join(tmpdir, f"worker-{queue}-{uuid.uuid4().hex[:6]}.log")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("ZIKAO_") or k in ("ZIKAO_KIT_DIR", "ZIKAO_MODELS_DIR")}
        self.env.update({
            "ZIKAO_DATABASE_CONNINFO": conninfo,
            "ZIKAO_REDIS_HOST": "127.0.0.1",
            "ZIKAO_REDIS_PORT": str(redis_port),
            "ZIKAO_LOG_LEVEL": "info",
        })
        self.env.update(TEST_JOB_ENV)
        if env:
            self.env.update(env)
        self.proc = None
        self.log_file = None

    def start(self):
        # On a restart the log already holds the last run's lines: wait for
        # this process's own "consuming queue" line, after the old ones.
        seen = len(self.log())
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [binary("zikao-worker"), "--queue", self.queue, "--concurrency", str(self.concurrency)],
            env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT)
        wait_until(lambda: "consuming queue" in self.log()[seen:] or self.proc.poll() is not None,
                   what="worker start")
        if self.proc.poll() is not None:
            raise RuntimeError(f"zikao-worker exited with {self.proc.returncode}:\n{self.log()}")
        return self

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        rc = stop_process(self.proc, sig, timeout)
        self.proc = None
        return rc

    def log(self):
        return read_log(self.log_path)


def zikaoctl(conninfo, redis_port, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZIKAO_")}
    env.update({"ZIKAO_DATABASE_CONNINFO": conninfo, "ZIKAO_REDIS_HOST": "127.0.0.1",
                "ZIKAO_REDIS_PORT": str(redis_port)})
    r = subprocess.run([binary("zikaoctl"), *args], env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"zikaoctl {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def q(db, sql, *args):
    """Runs one statement on a psycopg2 connection; its rows (or [])."""
    with db.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else []


def q1(db, sql, *args):
    """The first column of the first row of one statement."""
    rows = q(db, sql, *args)
    return rows[0][0] if rows else None


def metric(server, name):
    """The value of one /metrics sample, named with its labels as printed
    (e.g. 'zikao_login_password_checks_total{account="known"}')."""
    for line in server.get("/metrics").body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def sms_code(db, phone, purpose):
    """The last SMS code the outbox holds for phone and purpose."""
    rows = q(db, "SELECT body FROM sms_outbox WHERE phone = %s AND purpose = %s "
                 "ORDER BY id DESC LIMIT 1", phone, purpose)
    assert rows, f"no SMS to {phone} for {purpose}"
    return rows[0][0].split("验证码为 ")[1][:6]


def verify_account(db, candidate_id, how="verified"):
    """What a passing identity verification does (the face worker and
    `zikaoctl candidates verify` call the same function): the account that is
    now verified, or None when another claim on the ID number won first."""
    return q1(db, "SELECT account_verify(%s, %s)", candidate_id, how)


def id_number(region="140105", birth="19900307", seq="123"):
    """A valid GB 11643 number (check character computed)."""
    body = region + birth + seq
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(body, weights))
    return body + "10X98765432"[total % 11]


class Client:
    """Speaks to a server like a browser: keeps the session cookie and sends
    the CSRF token on state-changing requests."""

    def __init__(self, server):
        self.server = server
        self.cookies = {}  # name -> value, every cookie the server set (paths ignored)
        self.csrf = None

    @property
    def cookie(self):
        """The Cookie header this client sends, or None."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items()) or None

    def request(self, method, path, body=None, headers=None, raw=None, content_type=None):
        hdrs = dict(headers or {})
        if self.cookie:
            hdrs["Cookie"] = self.cookie
        if self.csrf and method in ("POST", "PUT", "PATCH", "DELETE"):
            hdrs.setdefault("X-CSRF-Token", self.csrf)
        if raw is not None:
            hdrs["Content-Type"] = content_type or "application/octet-stream"
            r = self.server.request(method, path, body=raw, headers=hdrs)
        else:
            r = self.server.request(method, path, body=body, headers=hdrs)
        for cookie in r.header_all("Set-Cookie"):
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value and "Max-Age=0" not in cookie:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        try:
            data = r.json() if r.body else None
        except ValueError:
            data = None
        if isinstance(data, dict) and "csrf_token" in data:
            self.csrf = data["csrf_token"]
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body if body is not None else {}, **kw)

    def captcha(self):
        r = self.get("/api/v1/captcha")
        assert r.status == 200, r
        return r.json()["captcha_id"]


def sim_pay_via_page(server, pay_info, notify=True):
    """Follows the pay URL of the built-in payment simulator like a browser
    and presses the button on the page; returns the trade number."""
    url = urllib.parse.urlsplit(pay_info["url"])
    r = server.get(url.path + ("?" + url.query if url.query else ""))
    assert r.status == 200, r
    action = re.search(r'action="(/sim/pay/[a-z]+/[0-9]+)"', r.body.decode()).group(1)
    r = server.request("POST", action, body=b"" if notify else b"notify=0",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200 and "支付成功" in r.body.decode(), r
    return action.rsplit("/", 1)[1]
