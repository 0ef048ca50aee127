"""first_load.py URL [URL...] - what a first visit to a page transfers: Debian's
chromium (headless, a fresh profile: nothing cached) opens each URL, waits
until the page is ready (<html data-ready>) and the network is quiet, and adds
up every response's bytes on the wire (Chrome's encodedDataLength: headers and
body as sent, compressed when the server compressed it). Prints one JSON line
per URL: {"url", "bytes", "requests", "resources": [[bytes, encoding, url]...]}.
Run with /usr/bin/python3 (selenium is Debian's)."""
import json
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def first_load(url):
    profile = tempfile.mkdtemp(prefix="zikao-first-load-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--no-first-run",
              "--window-size=360,800", f"--user-data-dir={profile}"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        d.execute_cdp_cmd("Network.enable", {})
        d.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        d.get_log("performance")  # what the browser did before: not this page's
        origin = "/".join(url.split("/", 3)[:3]) + "/"
        d.get(url)
        for _ in range(200):
            if d.execute_script("return document.documentElement.hasAttribute('data-ready')"):
                break
            time.sleep(0.05)
        urls, encodings, sizes = {}, {}, {}
        quiet_since = time.time()
        while time.time() - quiet_since < 1.0:  # a second without a new response
            for entry in d.get_log("performance"):
                m = json.loads(entry["message"])["message"]
                p = m.get("params", {})
                if m["method"] == "Network.responseReceived":
                    urls[p["requestId"]] = p["response"]["url"]
                    h = {k.lower(): v for k, v in p["response"].get("headers", {}).items()}
                    encodings[p["requestId"]] = h.get("content-encoding", "")
                    quiet_since = time.time()
                elif m["method"] == "Network.loadingFinished":
                    sizes[p["requestId"]] = int(p["encodedDataLength"])
                    quiet_since = time.time()
            time.sleep(0.1)
        # Only what came from the server (the browser's own pages, data: URLs aside).
        resources = sorted(([sizes[r], encodings.get(r, ""), urls[r]] for r in sizes
                            if urls.get(r, "").startswith(origin)), reverse=True)
        return {"url": url, "bytes": sum(r[0] for r in resources), "requests": len(resources),
                "resources": resources}
    finally:
        d.quit()


if __name__ == "__main__":
    for u in sys.argv[1:]:
        print(json.dumps(first_load(u), ensure_ascii=False))
