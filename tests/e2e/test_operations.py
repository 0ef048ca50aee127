"""Operations: what `cmake --install` puts where, the systemd units (verify and
security exposure), the sd_notify conversation of server and workers, the
zero-downtime hand-over of an inherited listening socket, and zikaoctl status.

PID 1 here is not systemd, so the units are checked offline with
systemd-analyze, and what systemd would do is done by the tests: they hold the
listening socket and pass it (LISTEN_FDS), and they bind the NOTIFY_SOCKET.
"""
import ctypes
import http.client
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

import zikao_harness as h

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="SKIP: systemd-analyze not installed (package systemd)")

WORKER_INSTANCES = ["photo", "face", "payment", "pdf", "sms", "chsi", "face-2"]


# ---- helpers ---------------------------------------------------------------------------

def build_info(name):
    path = os.path.join(h.BUILD, "generated", "build_info.h")
    with open(path) as f:
        m = re.search(r'#define %s "?([^"\n]*)"?' % name, f.read())
    return m.group(1)


def cmake_cache(name):
    with open(os.path.join(h.BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    raise KeyError(name)


def cmake_install(destdir):
    r = subprocess.run(["cmake", "--install", h.BUILD], env=dict(os.environ, DESTDIR=destdir),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """One `cmake --install` into a DESTDIR, shared by the install and unit tests."""
    dest = str(tmp_path_factory.mktemp("destdir"))
    out = cmake_install(dest)
    prefix = cmake_cache("CMAKE_INSTALL_PREFIX")
    unitdir = cmake_cache("ZIKAO_SYSTEMD_UNIT_DIR")
    if not unitdir.startswith("/"):
        unitdir = os.path.join(prefix, unitdir)
    return {"dest": dest, "out": out, "unitdir": dest + unitdir,
            "bindir": dest + os.path.join(prefix, cmake_cache("CMAKE_INSTALL_BINDIR"))}


@pytest.fixture
def units(installed, tmp_path):
    """The installed units, with their binaries' paths pointing into the DESTDIR
    (systemd-analyze verify checks that ExecStart= is executable)."""
    d = tmp_path / "units"
    shutil.copytree(installed["unitdir"], d)
    prefix = installed["bindir"][len(installed["dest"]):]
    for name in os.listdir(d):
        p = d / name
        if p.is_file() and name.endswith(".service"):
            p.write_text(p.read_text().replace(prefix + "/", installed["bindir"] + "/"))
    return d


class NotifySocket:
    """A unix datagram socket standing in for systemd's NOTIFY_SOCKET; records
    each message with the sender's pid (SCM_CREDENTIALS)."""

    def __init__(self, tmpdir):
        self.path = os.path.join(tmpdir, f"notify-{uuid.uuid4().hex[:8]}.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.2)
        self.messages = []  # (monotonic time, sender pid, text)
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                data, anc, _, _ = self.sock.recvmsg(8192, socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            except OSError:
                return
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", payload[:12])[0]
            with self.lock:
                self.messages.append((time.monotonic(), pid, data.decode()))

    def env(self, watchdog_usec=None):
        e = {"NOTIFY_SOCKET": self.path}
        if watchdog_usec is not None:
            e["WATCHDOG_USEC"] = str(watchdog_usec)
        return e

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def assignments(self, since=0.0):
        """[(time, pid, 'KEY=value')] for every line of every message."""
        return [(t, pid, line) for t, pid, text in self.snapshot() if t >= since
                for line in text.split("\n") if line]

    def wait_for(self, line_pred, since=0.0, timeout=20, what="notification"):
        found = []

        def check():
            found[:] = [a for a in self.assignments(since) if line_pred(a[2])]
            return bool(found)
        h.wait_until(check, timeout=timeout, what=what)
        return found[0]

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()
        os.unlink(self.path)


@pytest.fixture
def notify(tmpdir_path):
    n = NotifySocket(tmpdir_path)
    yield n
    n.close()


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def start_on_inherited_socket(server, lsock):
    """Starts server as systemd would with the socket unit: the listening socket
    is fd 3 and LISTEN_PID names the server itself."""
    fd = lsock.fileno()
    server.env["ZIKAO_SERVER_LISTEN"] = "127.0.0.1:1"  # ignored when a socket is passed
    server.port = lsock.getsockname()[1]
    wrapper = ["/bin/bash", "-c", f'exec 3<&{fd}; LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" "$@"']
    return server.start(wait_ready=False, pass_fds=(fd,), argv_prefix=wrapper)


# ---- install ---------------------------------------------------------------------------

def test_install_puts_binaries_config_schema_and_units_in_place(installed):
    dest, unitdir, bindir = installed["dest"], installed["unitdir"], installed["bindir"]
    for b in ("zikao-server", "zikao-worker", "zikaoctl"):
        assert os.access(os.path.join(bindir, b), os.X_OK), b
    confdir = dest + cmake_cache("ZIKAO_CONFIG_DIR")
    assert cmake_cache("ZIKAO_CONFIG_DIR") == "/etc/zikao"
    with open(os.path.join(h.SOURCE, "config", "zikao.conf")) as f:
        example = f.read()
    with open(os.path.join(confdir, "zikao.conf")) as f:
        assert f.read() == example
    # zikaoctl migrate looks in ZIKAO_INSTALL_SCHEMA_DIR once the source tree is gone.
    schema_dir = dest + build_info("ZIKAO_INSTALL_SCHEMA_DIR")
    wanted = sorted(f for f in os.listdir(os.path.join(h.SOURCE, "schema")) if f.endswith(".sql"))
    assert wanted and sorted(f for f in os.listdir(schema_dir) if f.endswith(".sql")) == wanted
    # [server] www_dir = auto serves the pages from ZIKAO_INSTALL_WWW_DIR in production.
    www_dir = dest + build_info("ZIKAO_INSTALL_WWW_DIR")
    with open(os.path.join(h.SOURCE, "server", "www", "index.html"), "rb") as f:
        with open(os.path.join(www_dir, "index.html"), "rb") as g:
            assert g.read() == f.read()
    for u in ("zikao-server.service", "zikao-server.socket", "zikao-worker@.service",
              "zikao.target"):
        assert os.path.isfile(os.path.join(unitdir, u)), u
    for kind in ("photo", "face", "payment", "pdf", "sms", "chsi"):
        dropin = os.path.join(unitdir, f"zikao-worker@{kind}.service.d", "50-kind.conf")
        with open(dropin) as f:
            assert re.search(r"^MemoryMax=\d+[MG]$", f.read(), re.M), dropin
    with open(os.path.join(unitdir, "zikao-server.service")) as f:
        text = f.read()
    # The installed unit names the installed paths (without the DESTDIR).
    assert f"ExecStart={bindir[len(dest):]}/zikao-server\n" in text
    assert "Environment=ZIKAO_CONFIG=/etc/zikao/zikao.conf\n" in text
    assert not re.search(r"@[A-Z_]+@", text), "a placeholder was not substituted"


def test_install_keeps_an_existing_configuration(tmp_path):
    dest = str(tmp_path)
    cmake_install(dest)
    conf = os.path.join(dest + cmake_cache("ZIKAO_CONFIG_DIR"), "zikao.conf")
    with open(conf, "w") as f:
        f.write("[server]\nworkers = auto\n")
    out = cmake_install(dest)
    with open(conf) as f:
        assert f.read() == "[server]\nworkers = auto\n"
    assert "not overwritten" in out


# ---- units -------------------------------------------------------------------------------

def service_units():
    return ["zikao-server.service"] + [f"zikao-worker@{i}.service" for i in WORKER_INSTANCES]


@needs_systemd_analyze
def test_every_unit_passes_systemd_analyze_verify(units):
    names = ["zikao-server.socket", "zikao.target"] + service_units()
    r = subprocess.run([SYSTEMD_ANALYZE, "verify", *[f"./{n}" for n in names]], cwd=units,
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


@needs_systemd_analyze
def test_verify_notices_a_broken_unit(units):
    """The check above can fail: a typo in a directive is reported."""
    p = units / "zikao-server.service"
    p.write_text(p.read_text().replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"))
    r = subprocess.run([SYSTEMD_ANALYZE, "verify", "./zikao-server.service"], cwd=units,
                       capture_output=True, text=True)
    assert "NoNewPrivilege" in r.stderr


def exposure(units, name, threshold):
    # systemd 252 reads --threshold on its internal 0-100 scale (2.0 shown = 20).
    r = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=true",
                        f"--threshold={threshold}", f"./{name}"], cwd=units, capture_output=True,
                       text=True)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
    assert m, r.stdout + r.stderr
    return r.returncode, float(m.group(1))


@needs_systemd_analyze
@pytest.mark.parametrize("name", service_units())
def test_service_exposure_is_at_most_2_0(units, name):
    rc, level = exposure(units, name, 20)
    print(f"{name}: exposure {level}")
    assert level <= 2.0 and rc == 0, f"{name}: exposure {level}"


@needs_systemd_analyze
def test_security_threshold_fails_an_unhardened_unit(units):
    (units / "plain.service").write_text("[Service]\nExecStart=/bin/true\n")
    rc, level = exposure(units, "plain.service", 20)
    assert level > 2.0 and rc != 0


@needs_systemd_analyze
def test_units_keep_the_protections_the_operators_rely_on(units):
    r = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=true", "./zikao-worker@photo.service"],
                       cwd=units, capture_output=True, text=True)
    for setting in ("MemoryDenyWriteExecute=", "NoNewPrivileges=", "ProtectSystem=",
                    "PrivateDevices=", "RestrictNamespaces=~user", "ProtectProc=",
                    "ProcSubset=", "LockPersonality=", "ProtectKernelTunables="):
        line = next((x for x in r.stdout.splitlines() if setting in x), "")
        assert line.lstrip().startswith("✓"), f"{setting}: {line}"
    text = (units / "zikao-server.service").read_text()
    for line in ("Type=notify", "NotifyAccess=main", "KillMode=mixed",
                 "ExecReload=/bin/kill -HUP $MAINPID", "Requires=zikao-server.socket"):
        assert line + "\n" in text, line
    assert re.search(r"^WatchdogSec=\d+s$", text, re.M)


# ---- MemoryDenyWriteExecute and libvips' orc ---------------------------------------------

PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1


def run_under_mdwe(argv, env, cwd):
    """Runs argv with writable+executable memory refused (prctl PR_SET_MDWE, as
    MemoryDenyWriteExecute=) and /tmp mounted noexec (as NoExecPaths=/tmp), in
    a private mount namespace. Returns the CompletedProcess, or None when this
    machine cannot do that (not root, no unshare, kernel without PR_SET_MDWE)."""
    code = ("import ctypes, os, sys\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            f"if libc.prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN}, 0, 0, 0) != 0: sys.exit(97)\n"
            "os.execvpe(sys.argv[1], sys.argv[1:], os.environ)\n")
    script = ("mount -t tmpfs -o noexec tmpfs /tmp || exit 98\n"
              'exec /usr/bin/python3 -c "$0" "$@"\n')
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return None
    r = subprocess.run(["unshare", "-m", "/bin/sh", "-c", script, code, *argv], env=env,
                       cwd=cwd, capture_output=True, text=True, timeout=120)
    if r.returncode in (97, 98) or "unshare failed" in r.stderr:
        return None
    return r


def worker_unit_environment():
    with open(os.path.join(h.SOURCE, "systemd", "zikao-worker@.service.in")) as f:
        lines = [l.split("=", 1)[1] for l in f.read().splitlines() if l.startswith("Environment=")
                 and "ZIKAO_CONFIG" not in l]
    return dict(kv.split("=", 1) for line in lines for kv in line.split())


def test_photo_pipeline_runs_under_memory_deny_write_execute():
    vips = shutil.which("vips")
    if vips is None:
        pytest.skip("SKIP: the vips command (libvips-tools) is not installed")
    # Not under /tmp: the test mounts a fresh noexec /tmp over it (and the
    # build directory itself may be under /tmp, as a CI checkout can be).
    outside = h.BUILD if not os.path.realpath(h.BUILD).startswith("/tmp/") else "/var/tmp"
    tmpdir_path = tempfile.mkdtemp(prefix="mdwe-", dir=outside)
    photo = os.path.join(tmpdir_path, "photo.jpg")
    noise = os.path.join(tmpdir_path, "noise.v")
    subprocess.run([vips, "gaussnoise", noise, "1200", "1600", "--mean", "128", "--sigma", "40"],
                   check=True)
    subprocess.run([vips, "bandjoin", f"{noise} {noise} {noise}", noise + ".3.v"], check=True)
    subprocess.run([vips, "cast", noise + ".3.v", photo + "[Q=90]", "uchar"], check=True)
    base = {k: v for k, v in os.environ.items() if k not in ("VIPS_NOVECTOR", "ORC_CODE")}
    base["HOME"] = "/nonexistent"
    # Control: libvips' vector path (orc JIT) is killed under these protections,
    # so this machine really enforces them.
    out = os.path.join(tmpdir_path, "out.v")
    r = run_under_mdwe([vips, "reducev", photo, out, "3"], base, tmpdir_path)
    if r is None:
        pytest.skip("SKIP: cannot emulate MemoryDenyWriteExecute here (needs root, unshare, "
                    "Linux >= 6.3 for PR_SET_MDWE)")
    assert r.returncode == -signal.SIGABRT, (
        f"expected orc to abort ({r.returncode}): {r.stderr[-2000:]}")
    # With the worker unit's environment, the same and the whole photo check work.
    env = dict(base, **worker_unit_environment())
    assert env.get("VIPS_NOVECTOR") == "1" and env.get("ORC_CODE") == "backup"
    r = run_under_mdwe([vips, "reducev", photo, out, "3"], env, tmpdir_path)
    assert r.returncode == 0, r.stderr
    # The photo worker's own pipeline (zikaoctl photo check runs the same code).
    # A build under /tmp is hidden by the fresh /tmp: run a copy from outside.
    zikaoctl = h.binary("zikaoctl")
    if os.path.realpath(zikaoctl).startswith("/tmp/"):
        zikaoctl = shutil.copy(zikaoctl, os.path.join(tmpdir_path, "zikaoctl"))
    kinds = subprocess.run([zikaoctl, "photo", "kinds"], capture_output=True, text=True)
    rows = [l.split() for l in kinds.stdout.splitlines()[1:] if len(l.split()) >= 2]
    if kinds.returncode != 0 or not rows:
        pytest.skip("SKIP: zikaoctl photo is not built")
    profile, kind = rows[0][0], rows[0][1]
    check = [zikaoctl, "photo", "check", "--profile", profile, "--kind", kind, photo]
    r = run_under_mdwe(check, base, tmpdir_path)
    assert r.returncode == -signal.SIGABRT, (
        f"without the unit's environment orc should abort the photo check ({r.returncode})")
    r = run_under_mdwe(check, env, tmpdir_path)
    assert r.returncode in (0, 1), f"photo check died ({r.returncode}): {r.stderr[-2000:]}"
    assert r.stdout.startswith("{"), r.stdout
    shutil.rmtree(tmpdir_path, ignore_errors=True)


# ---- sd_notify ---------------------------------------------------------------------------

def test_server_notifies_ready_status_watchdog_reload_and_stopping(pg, database, tmpdir_path,
                                                                   notify):
    redis = h.Redis(tmpdir_path)  # not started yet: the server must not be READY
    s = h.Server(tmpdir_path, pg.conninfo(database), redis.port,
                 env=notify.env(watchdog_usec=1000000))
    s.start(wait_ready=False)
    try:
        notify.wait_for(lambda l: l.startswith("WATCHDOG=1"), what="first watchdog ping")
        time.sleep(1.5)
        lines = [l for _, _, l in notify.assignments()]
        assert "READY=1" not in lines, "READY=1 before Redis answered"
        status = [l for l in lines if l.startswith("STATUS=")]
        assert status and "starting" in status[-1] and "Redis DOWN" in status[-1], status
        redis.start()
        t_ready, pid, _ = notify.wait_for(lambda l: l == "READY=1", what="READY=1")
        assert pid == s.proc.pid
        assert s.get("/readyz").status == 200
        # Pings every half WATCHDOG_USEC (500 ms), from the loop's tick: never
        # a whole interval without one.
        time.sleep(2.2)
        pings = [t for t, _, l in notify.assignments(since=t_ready) if l == "WATCHDOG=1"]
        assert len(pings) >= 4, pings
        assert max(b - a for a, b in zip(pings, pings[1:])) < 1.0
        for _ in range(20):
            assert s.get("/healthz").status == 200
        st = notify.wait_for(lambda l: l.startswith("STATUS=serving") and "req/s" in l,
                             since=t_ready, what="serving status")[2]
        assert re.search(r"1 process\(es\), \d+ connection\(s\), \d+ req/s; PostgreSQL up, "
                         r"Redis up", st), st
        t0 = time.monotonic()
        s.send_signal(signal.SIGHUP)
        notify.wait_for(lambda l: l == "RELOADING=1", since=t0, what="RELOADING=1")
        t_rel = [t for t, _, l in notify.assignments(since=t0) if l == "RELOADING=1"][0]
        notify.wait_for(lambda l: l == "READY=1", since=t_rel, what="READY=1 after the reload")
        t0 = time.monotonic()
        s.send_signal(signal.SIGTERM)
        notify.wait_for(lambda l: l == "STOPPING=1", since=t0, what="STOPPING=1")
        assert s.proc.wait(15) == 0
        assert all(pid == s.proc.pid for _, pid, _ in notify.assignments())
    finally:
        s.stop()
        redis.stop()


def test_supervisor_alone_notifies_for_its_processes(make_server, notify):
    server = make_server(workers=2, env=notify.env(watchdog_usec=1000000))
    notify.wait_for(lambda l: l == "READY=1", what="READY=1")
    notify.wait_for(lambda l: l.startswith("STATUS=serving: 2 process(es)"), what="status")
    time.sleep(1.0)
    senders = {pid for _, pid, _ in notify.assignments()}
    # NotifyAccess=main is enough: every message comes from the supervisor.
    assert senders == {server.proc.pid}, senders
    assert [l for _, _, l in notify.assignments()].count("WATCHDOG=1") >= 2
    t0 = time.monotonic()
    server.send_signal(signal.SIGHUP)
    notify.wait_for(lambda l: l == "RELOADING=1", since=t0, what="RELOADING=1")
    notify.wait_for(lambda l: l == "READY=1", since=t0, what="READY=1 after reload")
    t0 = time.monotonic()
    assert server.stop() == 0
    assert "STOPPING=1" in [l for _, _, l in notify.assignments(since=t0)]


def test_supervisor_restarts_a_process_whose_loop_is_stuck(make_server, notify):
    server = make_server(workers=2, env=notify.env(watchdog_usec=1000000))
    notify.wait_for(lambda l: l == "READY=1", what="READY=1")
    kids = children(server.proc.pid)
    assert len(kids) == 2
    stuck = kids[0]
    os.kill(stuck, signal.SIGSTOP)  # its loop stops ticking
    try:
        h.wait_until(lambda: stuck not in children(server.proc.pid)
                     and len(children(server.proc.pid)) == 2, timeout=15,
                     what="the stuck process replaced")
    finally:
        try:
            os.kill(stuck, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert re.search(rf"server process \d \(pid {stuck}\) has not ticked for \d+ ms", server.log())
    # The supervisor kept pinging: systemd did not have to restart everything.
    t0 = time.monotonic()
    time.sleep(1.2)
    assert [l for _, _, l in notify.assignments(since=t0)].count("WATCHDOG=1") >= 2
    for _ in range(20):
        assert server.get("/healthz").status == 200


def test_worker_notifies_ready_watchdog_status_reload_and_stopping(pg, database, redis_server,
                                                                   tmpdir_path, notify):
    w = h.Worker(tmpdir_path, pg.conninfo(database), redis_server.port, queue="noop",
                 env=notify.env(watchdog_usec=600000))
    w.start()
    try:
        t_ready, pid, _ = notify.wait_for(lambda l: l == "READY=1", what="READY=1")
        assert pid == w.proc.pid
        h.zikaoctl(pg.conninfo(database), redis_server.port, "jobs", "enqueue", "noop",
                   "--count", "5")
        notify.wait_for(lambda l: re.match(r"STATUS=consuming queue noop: 2 thread\(s\), "
                                           r"\d job\(s\) in hand, 5 done, 0 failed", l),
                        what="status with 5 jobs done")
        pings = [t for t, _, l in notify.assignments(since=t_ready) if l == "WATCHDOG=1"]
        assert len(pings) >= 2 and max(b - a for a, b in zip(pings, pings[1:])) < 0.6
        t0 = time.monotonic()
        w.proc.send_signal(signal.SIGHUP)
        notify.wait_for(lambda l: l == "RELOADING=1", since=t0, what="RELOADING=1")
        notify.wait_for(lambda l: l == "READY=1", since=t0, what="READY=1 after reload")
        t0 = time.monotonic()
        assert w.stop() == 0
        assert "STOPPING=1" in [l for _, _, l in notify.assignments(since=t0)]
    finally:
        w.stop()


# ---- zero-downtime hand-over -------------------------------------------------------------

class Load:
    """Clients sending GET /healthz in a loop until stopped: some on keep-alive
    connections (a new one when the server says Connection: close), some with
    a new connection per request. Records every failure: an exception or a
    status other than 2xx. No retries."""

    def __init__(self, port, keepalive=4, fresh=2):
        self.port = port
        self.ok = 0
        self.failures = []
        self.closes = 0
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._keepalive) for _ in range(keepalive)]
        self.threads += [threading.Thread(target=self._fresh) for _ in range(fresh)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _record(self, kind, status=None, error=None):
        with self.lock:
            if error is None and 200 <= status < 300:
                self.ok += 1
            else:
                self.failures.append((kind, status, error, time.monotonic()))

    def _keepalive(self):
        conn = None
        while not self.stop_event.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                self._record("keep-alive", resp.status)
                if (resp.getheader("Connection") or "").lower() == "close":
                    with self.lock:
                        self.closes += 1
                    conn.close()
                    conn = None
            except Exception as e:  # noqa: BLE001 - every failure counts
                self._record("keep-alive", error=repr(e))
                conn = None

    def _fresh(self):
        while not self.stop_event.is_set():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                self._record("new connection", resp.status)
            except Exception as e:  # noqa: BLE001
                self._record("new connection", error=repr(e))

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(30)


def test_handover_on_inherited_socket_loses_no_request(pg, database, redis_server, tmpdir_path):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1024)
    servers, notifies, load = [], [], None
    try:
        def start_one():
            n = NotifySocket(tmpdir_path)
            notifies.append(n)
            s = h.Server(tmpdir_path, pg.conninfo(database), redis_server.port,
                         env=dict(n.env(), ZIKAO_LOG_LEVEL="notice"))
            servers.append(s)
            start_on_inherited_socket(s, lsock)
            n.wait_for(lambda l: l == "READY=1", what="READY=1")
            return s

        a = start_one()
        load = Load(lsock.getsockname()[1]).start()
        for _ in range(3):  # A -> B -> C -> D, each under load
            time.sleep(1.0)
            b = start_one()  # both now accept from the same socket
            time.sleep(0.5)
            ok_before = load.ok
            a.send_signal(signal.SIGTERM)
            assert a.proc.wait(20) == 0
            assert "draining" in a.log()
            time.sleep(0.3)
            assert load.ok > ok_before
            a = b
        time.sleep(1.0)
        load.stop()
        print(f"{load.ok} requests answered 2xx, {load.closes} keep-alive connections closed "
              f"with Connection: close, {len(load.failures)} failed")
        assert load.failures == [], load.failures[:10]
        assert load.ok > 1000
        assert load.closes >= 3 * 4  # every keep-alive client was handed over, each time
    finally:
        if load is not None:
            load.stop()
        for s in servers:
            s.stop()
        for n in notifies:
            n.close()
        lsock.close()


# ---- zikaoctl status ---------------------------------------------------------------------

def ctl_status(pg, database, redis_port):
    return h.zikaoctl(pg.conninfo(database), redis_port, "status", check=False)


def test_status_shows_servers_workers_queues_dependencies_and_windows(make_server, pg, database,
                                                                      redis_server, tmpdir_path):
    server = make_server(workers=2)
    conninfo = pg.conninfo(database)
    with pg.connect(database) as c, c.cursor() as cur:
        cur.execute("UPDATE windows SET starts_at = now() - interval '1 day', "
                    "ends_at = now() + interval '2 days' WHERE kind = 'exemption'")
        cur.execute("INSERT INTO jobs (queue, payload, state, attempts, last_error) "
                    "VALUES ('noop', '{}', 'dead', 3, 'it broke')")
        c.commit()
    w = h.Worker(tmpdir_path, conninfo, redis_server.port, queue="noop").start()
    try:
        h.zikaoctl(conninfo, redis_server.port, "jobs", "enqueue", "noop", "--count", "3")
        h.wait_until(lambda: re.search(r"noop\s+1\s+0\s+0\s+0\s+1\s+3\s",
                                       ctl_status(pg, database, redis_server.port).stdout),
                     timeout=20, what="noop: 1 worker, 3 done, 1 dead")
        h.wait_until(lambda: "2 process(es), 2 serving" in
                     ctl_status(pg, database, redis_server.port).stdout, timeout=10,
                     what="both server processes recorded as serving")
        r = ctl_status(pg, database, redis_server.port)
        out = r.stdout
        print(out)
        assert r.returncode == 0, out + r.stderr
        pids = children(server.proc.pid)
        for pid in pids:
            assert re.search(rf":{pid}\s+\d/2\s+serving\s", out), (pid, out)
        assert "2 process(es), 2 serving" in out
        assert re.search(rf"active \S+:{w.proc.pid}, reported \d+s ago: 2 thread\(s\), "
                         r"0 in hand, \d+ done, 0 failed", out), out
        assert "dead jobs: zikaoctl jobs list --state dead --queue noop" in out
        assert re.search(r"^POSTGRESQL up: \S+ primary, .*schema \d+$", out, re.M), out
        assert re.search(r"^REDIS\s+up: master \S+, .*maxmemory-policy noeviction, appendonly yes",
                         out, re.M), out
        assert re.search(r"open: 2026年下半年免考申请 \(exemption 2026-2\) until "
                         r"\d{4}-\d\d-\d\d \d\d:\d\d \+08:00", out), out
        assert "!" not in out
    finally:
        w.stop()
    # A stopped server removes its record at once.
    assert server.stop() == 0
    r = ctl_status(pg, database, redis_server.port)
    assert r.returncode == 1
    assert "! no server process has reported" in r.stdout


def test_status_says_when_the_windows_table_is_missing_and_redis_is_down(pg, database,
                                                                         redis_server):
    with pg.connect(database) as c, c.cursor() as cur:
        cur.execute("DROP TABLE windows CASCADE")
        cur.execute("INSERT INTO jobs (queue, payload) VALUES ('pdf', '{}')")
        c.commit()
    r = ctl_status(pg, database, redis_server.port)
    assert re.search(r"^WINDOWS\s+no windows table yet$", r.stdout, re.M), r.stdout
    assert "! queue pdf has jobs waiting and no worker" in r.stdout
    redis_server.stop()
    r = ctl_status(pg, database, redis_server.port)
    assert r.returncode == 1
    assert re.search(r"^REDIS\s+DOWN$", r.stdout, re.M), r.stdout
    assert "unknown: the processes record themselves in Redis, which is unreachable" in r.stdout
    assert re.search(r"^POSTGRESQL up:", r.stdout, re.M)
