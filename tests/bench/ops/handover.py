"""handover.py - rolling restarts of zikao-server under wrk load, by hand-over
of an inherited listening socket (what zikao-server.socket does for systemd).

This process plays systemd: it holds the listening socket, starts each server
with it as fd 3 (LISTEN_FDS=1, LISTEN_PID), waits for the server's READY=1 on
its own NOTIFY_SOCKET, then sends SIGTERM to the previous server and checks
that it exits 0. wrk runs against the socket the whole time.

Usage: handover.py BUILD_DIR [--duration S] [--every S] [--connections N] [--workdir DIR]
Environment: the ZIKAO_* settings of the services (database, Redis).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--every", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", default="1")
    ap.add_argument("--path", default="/healthz")
    ap.add_argument("--workdir", help="for notify sockets and server logs (default: a new "
                    "directory, removed at the end)")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    server_bin = os.path.join(args.build, "server", "zikao-server")
    tmp = args.workdir or tempfile.mkdtemp(prefix="zikao-handover-")

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4096)
    port = lsock.getsockname()[1]
    fd = lsock.fileno()

    def start(n):
        npath = os.path.join(tmp, f"notify-{n}.sock")
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(npath)
        ns.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=npath, ZIKAO_SERVER_WORKERS=args.workers,
                   ZIKAO_LOG_LEVEL="notice", ZIKAO_SERVER_LISTEN="127.0.0.1:1")
        log = open(os.path.join(tmp, f"server-{n}.log"), "wb")
        wrapper = ["/bin/bash", "-c", f'exec 3<&{fd}; LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" "$@"',
                   server_bin]
        p = subprocess.Popen(wrapper, env=env, pass_fds=(fd,), stdout=log,
                             stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        while True:
            msg = ns.recv(4096).decode()
            if "READY=1" in msg.split("\n"):
                break
        ns.close()
        return p, time.monotonic() - t0

    current, ready_s = start(0)
    wrk_cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
               "--latency", "-s", os.path.join(here, "count_status.lua"),
               f"http://127.0.0.1:{port}{args.path}"]
    wrk = subprocess.Popen(wrk_cmd, stdout=subprocess.PIPE, text=True)
    handovers, bad_exits = [], 0
    deadline = time.monotonic() + args.duration - args.every / 2
    n = 1
    time.sleep(args.every)
    while time.monotonic() < deadline:
        nxt, ready_s = start(n)
        t0 = time.monotonic()
        current.send_signal(signal.SIGTERM)
        rc = current.wait(60)
        handovers.append((ready_s, time.monotonic() - t0, rc))
        bad_exits += rc != 0
        current = nxt
        n += 1
        time.sleep(args.every)
    out, _ = wrk.communicate()
    current.send_signal(signal.SIGTERM)
    last_rc = current.wait(60)
    lsock.close()

    print(out)
    m = re.search(r"RESULT (.*)", out)
    figures = dict(kv.split("=") for kv in m.group(1).split()) if m else {}
    print("command: " + " ".join(wrk_cmd).replace(f":{port}", ":PORT"))
    print(f"server processes per server: {args.workers}; hand-overs: {len(handovers)} "
          f"(new server ready in {', '.join(f'{r:.2f}' for r, _, _ in handovers)} s; "
          f"old one drained and exited in {', '.join(f'{d:.2f}' for _, d, _ in handovers)} s; "
          f"exit codes {[rc for _, _, rc in handovers] + [last_rc]})")
    errors = sum(int(figures.get(k, 1)) for k in ("non2xx", "connect_errors", "read_errors",
                                                     "write_errors", "timeouts"))
    print(f"requests answered: {figures.get('responses', '?')}, non-2xx: "
          f"{figures.get('non2xx', '?')}, socket errors: connect {figures.get('connect_errors')} "
          f"read {figures.get('read_errors')} write {figures.get('write_errors')} timeout "
          f"{figures.get('timeouts')}; max latency {figures.get('max_latency_ms')} ms, "
          f"p99 {figures.get('p99_ms')} ms")
    ok = errors == 0 and bad_exits == 0 and last_rc == 0 and handovers
    print("ROLLING RESTART: " + ("nothing dropped" if ok else "FAILURES"))
    if not ok:
        for name in sorted(os.listdir(tmp)):
            if name.endswith(".log"):
                with open(os.path.join(tmp, name), errors="replace") as f:
                    print(f"--- {name}\n" + "".join(f.readlines()[-20:]))
    if not args.workdir:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
