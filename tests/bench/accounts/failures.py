"""Failed logins, one client at a time: how long the answer takes for an
account with a wrong password (the anchor), an ID number or exam ID that
names nobody, and an enrolled candidate who has not activated. The answers
must not tell them apart, neither by their text nor by their time: each does
one argon2id at the configured cost. Prints median and p90 per case.

usage: failures.py PORT SAMPLES  (the server runs with a fixed captcha answer
BENCH and a lockout high enough not to lock during the run)"""
import http.client
import json
import statistics
import sys
import time

port, samples = int(sys.argv[1]), int(sys.argv[2])
CASES = [
    ("account, wrong password (anchor)", "010518000001"),
    ("ID number that names nobody", "140105199001010019"),
    ("exam ID that names nobody", "010599999999"),
    ("enrolled, not activated", "140105198507161351"),
]


def call(c, method, path, body=None):
    c.request(method, path, body=json.dumps(body) if body else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, r.read()


c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
answers = {}
for name, login in CASES:
    times = []
    for i in range(samples):
        _, body = call(c, "GET", "/api/v1/captcha")
        cid = json.loads(body)["captcha_id"]
        t0 = time.perf_counter()
        status, body = call(c, "POST", "/api/v1/auth/login",
                            {"login": login, "password": "Wrong2026zk", "captcha_id": cid,
                             "captcha": "BENCH"})
        times.append(time.perf_counter() - t0)
        if i == 0:
            answers[name] = (status, json.loads(body)["error"]["code"])
    times.sort()
    print(f"failed login, {name}: p50 {statistics.median(times) * 1000:.1f} ms, "
          f"p90 {times[int(0.9 * len(times))] * 1000:.1f} ms ({samples} samples, "
          f"answer {answers[name][0]} {answers[name][1]})")
if len(set(answers.values())) != 1:
    print("ANSWERS DIFFER:", answers)
    sys.exit(1)
