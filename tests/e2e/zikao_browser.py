"""zikao_browser - drives Debian's chromium like a person, for the web pages' tests
(tests/e2e/test_web_*.py; fixtures `web`, `make_web` and `web_server` in conftest.py).

A Web is one headless chromium (a fresh profile in the test's tmpdir) pointed
at one real zikao-server. Its helpers do what a person does - open a page,
type into the field a label names, press the button or link with a text,
press keys - and read what a person sees: visible text, the error shown next
to a field, the error summary, which field has the focus, whether a button
can be pressed. Tests assert on those, never on HTTP statuses.

Checks made for every test, so a test cannot forget them:
  * every page the test reaches (a new document) is checked with axe-core
    once it is ready (the pages mark <html data-ready> when their first
    content is on screen); `web.check(step)` checks the current state again
    (an error shown, the next step of a form). A serious or critical
    violation fails the test, naming the rule, the elements and the help;
    the others are listed in the screenshots folder (axe.txt);
  * each check saves screenshots of the whole page at 360x800 (a phone) and
    1280x900 (a desktop) under tests/artifacts/screenshots/<file>/<test>/, named
    NN-<page>-<step>-<width>.png; a failing test adds its last screen;
  * a script error or a Content-Security-Policy refusal in the console fails
    the test (answers with an error status, which the pages show, do not).

The test interacts at the phone size (360x800). Waiting polls what is on
screen until it appears (up to TIMEOUT seconds, then fails saying what was
awaited); no test measures time.
"""
import base64
import math
import os
import re
import shutil

import zikao_harness as h

CAPTCHA = "TEST7"
# Server settings for page tests: a captcha answer the test can type (the
# picture still shows), fast password hashing.
WEB_ENV = {
    "ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER": CAPTCHA,
    "ZIKAO_AUTH_ARGON2_MEMLIMIT_KIB": "8192",
}
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE_JS = os.path.join(h.SOURCE, "tests/node_modules/axe-core/axe.min.js")
SCREENSHOTS = os.path.join(h.SOURCE, "tests/artifacts/screenshots")
TIMEOUT = 10
PHONE = (360, 800)
DESKTOP = (1280, 900)
FAILING_IMPACTS = ("serious", "critical")

_axe_source = None


def _requirements():
    """Imports selenium, or fails saying what to install."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python3-selenium (run the tests with /usr/bin/python3)")
    if not os.path.exists(AXE_JS):
        missing.append(AXE_JS + " (axe-core of tests/package.json)")
    if missing:
        raise RuntimeError("browser tests need " + ", ".join(missing) + ": run scripts/setup")


def axe_source():
    global _axe_source
    if _axe_source is None:
        with open(AXE_JS, encoding="utf-8") as f:
            _axe_source = f.read()
    return _axe_source


def slug(text):
    return re.sub(r"[^A-Za-z0-9\u4e00-\u9fff]+", "-", text).strip("-").lower() or "page"


class BrowserError(AssertionError):
    pass


class Web:
    """One headless chromium on one server. See the module's comment."""

    def __init__(self, server, tmpdir, name):
        _requirements()
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.server = server
        self.base = f"http://127.0.0.1:{server.port}"
        self.name = name
        self.shots = os.path.join(SCREENSHOTS, name)
        shutil.rmtree(self.shots, ignore_errors=True)
        os.makedirs(self.shots, exist_ok=True)
        self.count = 0
        self.notes = []  # axe findings below the failing impacts
        # One profile (and download folder) per browser: a test may open two.
        profile = tempfile_dir(tmpdir, f"chromium-profile-{os.path.basename(name)}")
        self.downloads = tempfile_dir(tmpdir, f"downloads-{os.path.basename(name)}")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--no-default-browser-check",
                  "--disable-dev-shm-usage", "--lang=zh-CN", "--password-store=basic",
                  f"--window-size={DESKTOP[0]},{DESKTOP[1]}", f"--user-data-dir={profile}"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=CHROMEDRIVER,
                          log_path=os.path.join(tmpdir, f"chromedriver-{server.port}.log"))
        self.driver = webdriver.Chrome(service=service, options=opts)
        self.driver.set_script_timeout(30)
        self._size(*PHONE, mobile=True)

    # ---- acting as a person ------------------------------------------------------------

    def open(self, path):
        """Opens a page of the site (path like "/login.html") and waits until it is ready."""
        self.driver.get(self.base + path)
        self._settle()
        return self

    def type(self, label, text, clear=True):
        """Types into the field whose label reads `label`."""
        el = self.field(label)
        if clear:
            el.clear()
        el.send_keys(text)
        return el

    def select(self, label, option):
        """Chooses the option with the visible text `option` in the list labelled `label`."""
        from selenium.webdriver.support.ui import Select
        el = self.field(label)
        self.wait(lambda: any(o.text.strip() == option for o in Select(el).options),
                  f"option {option!r} in {label!r}")
        Select(el).select_by_visible_text(option)
        return el

    def tick(self, label, on=True):
        """Ticks (or with on=False clears) the checkbox, or chooses the radio button,
        whose label reads `label`, by clicking it as a person does."""
        el = self.field(label)
        if el.is_selected() != on:
            el.click()
        return el

    def download(self, text, timeout=30):
        """Presses the link or button with this text and waits for the file the
        browser saves: (file name, bytes)."""
        folder = os.path.join(self.downloads, str(len(os.listdir(self.downloads))))
        os.makedirs(folder)
        self.driver.execute_cdp_cmd("Page.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": folder})

        def saved():
            names = [n for n in os.listdir(folder) if not n.endswith(".crdownload")]
            return names[0] if names else None
        el = self.wait(lambda: self._clickable(text), f"a button or link {text!r} to press")
        el.click()
        name = self.wait(saved, f"the file {text!r} downloads", timeout)
        with open(os.path.join(folder, name), "rb") as f:
            return name, f.read()

    def options(self, label):
        """The texts of the options of the list labelled `label`."""
        from selenium.webdriver.support.ui import Select
        return [o.text.strip() for o in Select(self.field(label)).options]

    def click(self, text):
        """Presses the visible, enabled button (or else link) whose text is `text`."""
        el = self.wait(lambda: self._clickable(text), f"a button or link {text!r} to press")
        el.click()
        self._settle()
        return self

    def press(self, *keys):
        """Presses keys on whatever has the focus (e.g. Keys.TAB, "abc", Keys.ENTER)."""
        from selenium.webdriver.common.action_chains import ActionChains
        ActionChains(self.driver).send_keys(*keys).perform()
        self._settle()
        return self

    def tab_to(self, label, limit=40):
        """Presses Tab until the field labelled `label` (or the button/link with that
        text) has the focus; the names of what the focus passed, in order."""
        from selenium.webdriver.common.keys import Keys
        seen = []
        for _ in range(limit):
            self.press(Keys.TAB)
            seen.append(self.focused())
            if seen[-1] == label:
                return seen
        raise BrowserError(f"Tab never reached {label!r}; the focus went through {seen}")

    # ---- reading the screen ------------------------------------------------------------

    def text(self):
        """Everything visible on the page, as rendered."""
        return self.driver.execute_script("return document.body.innerText")

    def wait_text(self, text, timeout=TIMEOUT):
        """Waits until `text` is visible on the page."""
        self.wait(lambda: text in self.text(), f"{text!r} on the page", timeout)
        self._settle()
        return self

    def sees(self, text):
        return text in self.text()

    def field(self, label):
        """The input, select or textarea whose <label> reads `label` (visible)."""
        def find():
            return self.driver.execute_script(FIND_FIELD, label)
        el = self.wait(find, f"a visible field labelled {label!r}")
        return el

    def value(self, label):
        return self.field(label).get_attribute("value")

    def error_for(self, label):
        """The error shown next to the field labelled `label` (waits for one)."""
        el = self.field(label)
        return self.wait(lambda: self.driver.execute_script(FIELD_ERROR, el),
                         f"an error next to {label!r}")

    def no_error_for(self, label):
        return not self.driver.execute_script(FIELD_ERROR, self.field(label))

    def summary(self):
        """The error summary at the top (role=alert), waiting for it: its text."""
        return self.wait(lambda: self.driver.execute_script(SUMMARY), "an error summary")

    def focused(self):
        """What has the focus, named as a person would: a field by its label, a button or
        link by its text, another element by its heading or text."""
        return self.driver.execute_script(FOCUSED)

    def enabled(self, text):
        """Whether the visible button with this text can be pressed."""
        el = self.wait(lambda: self.driver.execute_script(FIND_CLICKABLE, text, False),
                       f"a button {text!r}")
        return el.is_enabled() and el.get_attribute("aria-disabled") != "true"

    def buttons(self):
        """The visible buttons as (text, can be pressed), in page order."""
        return [tuple(b) for b in self.driver.execute_script(BUTTONS)]

    def url_path(self):
        return self.driver.execute_script("return location.pathname + location.search")

    def wait(self, predicate, what, timeout=TIMEOUT):
        """Polls predicate() until it returns something true (which is returned).
        An element gone or a script cut short because the page is changing
        counts as "not yet"."""
        from selenium.common.exceptions import (JavascriptException,
                                                StaleElementReferenceException, TimeoutException)
        from selenium.webdriver.support.ui import WebDriverWait
        last = []

        def poll(_):
            try:
                return predicate()
            except (StaleElementReferenceException, JavascriptException) as e:
                last[:] = [e]
                return False
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(poll)
        except TimeoutException:
            why = f" (last: {last[0].msg})" if last else ""
            raise BrowserError(f"timed out waiting for {what}{why}; the page ({self.url_path()}) "
                               f"shows:\n{self.text()[:1500]}") from None

    # ---- checks --------------------------------------------------------------------------

    def check(self, step):
        """Checks the screen as it is now: axe-core (fails on a serious or critical
        violation) and screenshots at both sizes, named after the page and step."""
        self._ready()
        self._console()
        self._axe(step)
        self.count += 1
        base = os.path.join(self.shots, f"{self.count:02d}-{self._page()}-{slug(step)}")
        self._capture(base + f"-{PHONE[0]}.png", *PHONE, mobile=True)
        self._capture(base + f"-{DESKTOP[0]}.png", *DESKTOP, mobile=False)
        self._size(*PHONE, mobile=True)
        self.driver.execute_script("window.__zikaoChecked = true")
        return self

    def finish(self, failed):
        """At the end of the test: the last page is checked too (or, after a failure,
        photographed for the record)."""
        try:
            if failed:
                self._capture(os.path.join(self.shots, "zz-failed.png"), *PHONE, mobile=True)
            else:
                self._settle()
                self._console()
        finally:
            if self.notes:
                with open(os.path.join(self.shots, "axe.txt"), "w", encoding="utf-8") as f:
                    f.write("\n".join(self.notes) + "\n")

    def quit(self):
        self.driver.quit()

    # ---- internals -------------------------------------------------------------------------

    def _clickable(self, text):
        return self.driver.execute_script(FIND_CLICKABLE, text, True)

    def _page(self):
        path = self.driver.execute_script("return location.pathname")
        path = path.strip("/") or "index"
        if path.endswith("/"):
            path += "index"
        return slug(path.replace(".html", ""))

    def _ready(self):
        # A payment provider's page (the built-in simulator's, under /sim/) is not
        # one of ours: it is ready once loaded.
        self.wait(lambda: self.driver.execute_script(
            "return document.readyState === 'complete' && "
            "(document.documentElement.hasAttribute('data-ready') || "
            " location.pathname.startsWith('/sim/'))"),
            "the page to be ready (<html data-ready>)")

    def _settle(self):
        """A new document the test has not checked yet is checked once it is ready."""
        if not self.driver.execute_script("return window.__zikaoChecked === true"):
            self._ready()
            self.check("open")

    def _console(self):
        problems = []
        for entry in self.driver.get_log("browser"):
            msg = entry.get("message", "")
            if entry.get("level") != "SEVERE" or "Failed to load resource" in msg:
                continue  # an answer with an error status: the page shows it
            problems.append(msg)
        if problems:
            raise BrowserError("the browser console reports:\n" + "\n".join(problems))

    def _axe(self, step):
        d = self.driver
        if not d.execute_script("return typeof window.axe === 'object'"):
            d.execute_script(axe_source())
        result = d.execute_async_script(AXE_RUN)
        if isinstance(result, dict) and "error" in result:
            raise BrowserError(f"axe-core failed on {self._page()}: {result['error']}")
        failing = []
        for v in result:
            line = (f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})\n    " +
                    "\n    ".join(f"{n['target']}: {n['summary']}" for n in v["nodes"]))
            if v["impact"] in FAILING_IMPACTS:
                failing.append(line)
            else:
                self.notes.append(f"{self._page()} / {step}: {line}")
        if failing:
            raise BrowserError(f"axe-core: {len(failing)} serious or critical violation(s) on "
                               f"{self.url_path()} ({step}):\n" + "\n".join(failing))

    def _size(self, width, height, mobile):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        self.driver.execute_async_script(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done))")

    def _capture(self, path, width, height, mobile):
        self._size(width, height, mobile)
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        full = max(height, math.ceil(metrics["cssContentSize"]["height"]))
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": full, "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))


def tempfile_dir(tmpdir, name):
    d = os.path.join(tmpdir, name)
    os.makedirs(d, exist_ok=True)
    return d


# ---- scripts run in the page ----------------------------------------------------------------

# A label's own text: without the hint or error inside it, collapsed.
_LABEL_TEXT = """
function labelText(l) {
  const c = l.cloneNode(true);
  c.querySelectorAll('.hint, .field-error, .visually-hidden').forEach(n => n.remove());
  return c.textContent.replace(/\\s+/g, ' ').trim();
}
function visible(el) {
  return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) &&
         getComputedStyle(el).visibility !== 'hidden';
}
"""

FIND_FIELD = _LABEL_TEXT + """
const want = arguments[0];
for (const l of document.querySelectorAll('label')) {
  if (labelText(l) !== want || !visible(l)) continue;
  const el = l.control;
  if (el && (visible(el) || el.type === 'checkbox' || el.type === 'radio')) return el;
}
return null;
"""

FIELD_ERROR = """
const el = arguments[0];
const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
for (const id of ids) {
  const e = document.getElementById(id);
  if (e && e.classList.contains('field-error') && e.offsetParent !== null) {
    const c = e.cloneNode(true);
    c.querySelectorAll('.visually-hidden').forEach(n => n.remove());
    return c.textContent.replace(/\\s+/g, ' ').trim();
  }
}
return '';
"""

SUMMARY = """
for (const s of document.querySelectorAll('[role=alert]')) {
  if (s.offsetParent !== null && s.textContent.trim()) return s.innerText.trim();
}
return '';
"""

FIND_CLICKABLE = _LABEL_TEXT + """
const want = arguments[0], mustBeEnabled = arguments[1];
// Buttons before links: a form's 登录 button, not the header's 登录 link.
const els = [...document.querySelectorAll('button, input[type=submit], input[type=button]'),
             ...document.querySelectorAll('a[href]')];
for (const el of els) {
  const t = (el.value && el.tagName === 'INPUT' ? el.value : el.innerText || '')
              .replace(/\\s+/g, ' ').trim();
  if (t !== want || !visible(el)) continue;
  if (mustBeEnabled && (el.disabled || el.getAttribute('aria-disabled') === 'true')) continue;
  return el;
}
return null;
"""

BUTTONS = _LABEL_TEXT + """
return [...document.querySelectorAll('button, input[type=submit]')].filter(visible).map(b =>
  [(b.tagName === 'INPUT' ? b.value : b.innerText).replace(/\\s+/g, ' ').trim(),
   !b.disabled && b.getAttribute('aria-disabled') !== 'true']);
"""

FOCUSED = _LABEL_TEXT + """
const el = document.activeElement;
if (!el || el === document.body) return '';
if (el.labels && el.labels.length) return labelText(el.labels[0]);
if (el.matches('button, a, input[type=submit]'))
  return (el.value && el.tagName === 'INPUT' ? el.value : el.innerText).replace(/\\s+/g, ' ').trim();
const heading = el.querySelector('h1, h2, h3');
if (heading) return heading.innerText.replace(/\\s+/g, ' ').trim();
return el.innerText.replace(/\\s+/g, ' ').trim().slice(0, 80);
"""

AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
  nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '),
                                         summary: (n.failureSummary || '').replace(/\\s+/g, ' ')}))
})))).catch(e => done({error: String(e)}));
"""


# ---- people to log in as (made through the API, as the pages would) -------------------------

def candidate(server, db, id_number=None, name="张三", phone="13800000001",
              password="abcd1234", verified=True):
    """A new candidate registered through the API (district 小店区), verified by
    default (which issues an exam ID), whose phone may be sent a code at once.
    Returns (id_number, exam_id or None)."""
    c = h.Client(server)
    id_number = id_number or h.id_number()
    r = c.post("/api/v1/sms/send", {"phone": phone, "purpose": "register",
                                    "captcha_id": c.captcha(), "captcha": CAPTCHA})
    assert r.status == 202, r
    r = c.post("/api/v1/auth/register", {
        "id_type": "身份证", "id_number": id_number, "name": name, "password": password,
        "password_confirm": password, "district": "140105", "phone": phone,
        "sms_code": h.sms_code(db, phone, "register")})
    assert r.status == 201, r
    # The resend interval is per phone: let the page under test send a code at once.
    import redis
    redis.Redis(host="127.0.0.1", port=int(server.env["ZIKAO_REDIS_PORT"])).delete(
        f"zikao:sms:cool:{phone}")
    if not verified:
        return id_number, None
    cid = r.json()["candidate"]["candidate_id"]
    h.verify_account(db, cid)
    return id_number, h.q1(db, "SELECT exam_id FROM exam_ids WHERE candidate_id = %s", cid)
