"""Logs the demo candidate in over and over from N threads (captcha, then
login) for D seconds; prints logins per second and latency percentiles."""
import http.client
import json
import sys
import threading
import time

port, duration, threads = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
lat, errors, lock = [], [0], threading.Lock()
stop = time.monotonic() + duration


def call(c, method, path, body=None):
    c.request(method, path, body=json.dumps(body) if body else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, r.read()


def worker():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < stop:
        status, body = call(c, "GET", "/api/v1/captcha")
        cid = json.loads(body)["captcha_id"]
        t0 = time.monotonic()
        status, _ = call(c, "POST", "/api/v1/auth/login",
                         {"login": "010518000001", "password": "Demo2026zk",
                          "captcha_id": cid, "captcha": "BENCH"})
        with lock:
            if status == 200:
                lat.append(time.monotonic() - t0)
            else:
                errors[0] += 1


ts = [threading.Thread(target=worker) for _ in range(threads)]
start = time.monotonic()
for t in ts:
    t.start()
for t in ts:
    t.join()
elapsed = time.monotonic() - start
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
print(f"login ({threads} clients): {len(lat) / elapsed:.1f} logins/s, p50 {pct(0.5):.0f} ms, "
      f"p99 {pct(0.99):.0f} ms, {errors[0]} failed")
