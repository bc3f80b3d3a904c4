#!/usr/bin/python3
"""The web console in a real browser: Debian's headless Chromium, driven by Selenium.

Starts the real cmqd (free ports, a temporary data directory, a second account), then,
as a user would: the pages need a login and a wrong key is refused; log in, create a
queue, send a message, watch the counter change, receive and delete it, trace it
(sent, received, deleted), create a topic and publish; the
console's API refuses a call without a session and one without the CSRF token; the
second account sees none of the first one's queues. A screenshot of each page goes
to the directory given as the second argument.

  console_test.py CMQD_PATH SCREENSHOT_DIR

With CMQ_CONSOLE_QUEUES=N in the environment it first creates N queues (cmqd then
runs with relaxed durability and a quota that allows them) and prints how long the
overview took to load, from navigation start to its data shown: a measurement for
docs/benchmarks.md, never a pass/fail criterion.

Exit status: 0 passed, 1 failed, 77 skipped (no Chromium, chromedriver or Selenium:
scripts/install-deps.sh --browser installs them).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
SECRET_ID, SECRET_KEY = "AKIDbrowsertest000000000000000", "browser-test-secret-key-00000000"
OTHER_ID, OTHER_KEY = "AKIDbrowserother00000000000000", "browser-other-secret-key-0000000"
WAIT_S = 30  # the longest any condition is waited for

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("skipped: python3-selenium is not installed (scripts/install-deps.sh --browser)")
    sys.exit(SKIP)


class Failed(Exception):
    pass


def create_queues(base, count):
    """`count` queues through the console's own API, on one keep-alive connection."""
    import http.client
    import json
    import urllib.parse
    host = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=WAIT_S)
    form = urllib.parse.urlencode({"secretId": SECRET_ID, "secretKey": SECRET_KEY})
    conn.request("POST", "/console/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
    answer = conn.getresponse()
    token = json.loads(answer.read())["csrfToken"]
    cookie = answer.getheader("Set-Cookie").split(";")[0]
    for i in range(count):
        conn.request("POST", "/console/api", f"Action=CreateQueue&queueName=load-{i:05d}",
                     {"Cookie": cookie, "X-CSRF-Token": token,
                      "Content-Type": "application/x-www-form-urlencoded"})
        code = json.loads(conn.getresponse().read())["code"]
        if code != 0:
            raise Failed(f"CreateQueue load-{i:05d} answered code {code}")
    conn.close()


def start_cmqd(cmqd_path, work, extra_args=()):
    """cmqd on free ports (port 0); returns (process, admin base URL)."""
    config = os.path.join(work, "cmqd.conf")
    with open(config, "w") as f:
        f.write(f"[account]\napp_id = 1300000001\nsecret_id = {OTHER_ID}\nsecret_key = {OTHER_KEY}\n")
    log = open(os.path.join(work, "cmqd.log"), "w+")
    process = subprocess.Popen(
        [cmqd_path, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
         "--data-dir", os.path.join(work, "data"), "--secret-id", SECRET_ID,
         "--secret-key", SECRET_KEY, "--config", config, *extra_args],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        log.seek(0)
        out = log.read()
        admin = re.search(r"admin listener on (http://127\.0\.0\.1:\d+)", out)
        if admin and "cmqd: listening on" in out:
            return process, admin.group(1), log
        if process.poll() is not None:
            raise Failed("cmqd exited at start:\n" + out)
        time.sleep(0.05)  # polling a child's output: there is nothing to wait on
    raise Failed("cmqd did not start within 120 s")


def browser():
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not chromium or not os.path.exists(driver_path):
        print("skipped: chromium or chromedriver is not installed (scripts/install-deps.sh --browser)")
        sys.exit(SKIP)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1100", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run as root otherwise
    return webdriver.Chrome(service=Service(driver_path), options=options)


class ConsoleTest:
    def __init__(self, driver, base, shots, queues):
        self.d, self.base, self.shots, self.queues = driver, base, shots, queues

    def wait(self, what, condition):
        try:
            return WebDriverWait(self.d, WAIT_S, poll_frequency=0.05).until(lambda d: condition())
        except TimeoutException:
            self.shot("failed")
            shown = self.row_text(".error, .ok")
            raise Failed(f"timed out waiting for: {what} (at {self.d.current_url}); the page says {shown}")

    def el(self, element_id):
        return self.d.find_element(By.ID, element_id)

    def text(self, element_id):
        # In one script: the pages re-render their counters, so an element found in one
        # call may be gone by the next.
        return self.d.execute_script(
            "const e = document.getElementById(arguments[0]); return e ? e.innerText : '';",
            element_id)

    def row_text(self, selector):
        return self.d.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText);",
            selector)

    def open(self, path):
        self.d.get(self.base + path)

    def loaded(self, what):
        self.wait(what + " loaded",
                  lambda: self.d.execute_script("return document.body.dataset.loaded") == "true")

    def shot(self, name):
        path = os.path.join(self.shots, name + ".png")
        self.d.save_screenshot(path)
        print(f"  screenshot {path}")

    def fetch(self, path, body, headers):
        """A fetch() from inside the page (its cookies); returns [status, body]."""
        return self.d.execute_async_script(
            "const [path, body, headers, done] = arguments;"
            "fetch(path, {method: 'POST', body, headers, credentials: 'same-origin'})"
            ".then(async r => done([r.status, await r.text()]), e => done([0, String(e)]));",
            path, body, headers)

    def log_in(self, secret_id, secret_key):
        self.open("/console/login")
        self.wait("login form", lambda: self.d.find_elements(By.ID, "secretId"))
        self.el("secretId").send_keys(secret_id)
        self.el("secretKey").send_keys(secret_key)
        self.el("login-button").click()

    def step(self, name):
        print("- " + name)

    def run(self):
        self.step("every page needs a login")
        for page in ("/console/", "/console/queue?name=x", "/console/topic?name=x", "/console/trace"):
            self.open(page)
            self.wait(page + " redirects to the login page",
                      lambda: self.d.current_url == self.base + "/console/login")
        status, _ = self.fetch("/console/api", "Action=ListQueue", {"X-CSRF-Token": "x"})
        if status != 401:
            raise Failed(f"console API without a session answered {status}, not 401")
        self.shot("login")

        self.step("a wrong key is refused")
        self.log_in(SECRET_ID, "not-the-key")
        self.wait("the refusal", lambda: "wrong SecretId or SecretKey" in self.text("login-error"))
        if not self.d.current_url.endswith("/console/login"):
            raise Failed("a wrong key left the login page")

        self.step("log in, create a queue")
        self.log_in(SECRET_ID, SECRET_KEY)
        self.wait("the overview", lambda: self.d.current_url == self.base + "/console/")
        self.loaded("overview")
        if self.queues:
            self.open("/console/")
            self.loaded("overview")
            took = self.d.execute_script("return document.body.dataset.loadedMs")
            print(f"  MEASURED: the overview with {self.queues} queues loaded in {took} ms")
        self.el("new-queue").send_keys("browser-queue")
        self.el("create-queue").click()
        self.wait("the queue page", lambda: "/console/queue?name=browser-queue" in self.d.current_url)
        self.loaded("queue page")
        self.wait("counters", lambda: self.text("counter-activeMsgNum") == "0")

        self.step("send, and watch the counter change")
        self.el("send-body").send_keys("hello from chromium")
        self.el("send").click()
        self.wait("the send's msgId", lambda: self.text("send-result").startswith("sent "))
        msg_id = self.text("send-result").split()[1]
        self.wait("active count 1", lambda: self.text("counter-activeMsgNum") == "1")
        self.wait("sent total 1", lambda: self.text("counter-msgSentTotal") == "1")
        self.shot("queue")

        self.step("receive and delete")
        self.el("receive").click()
        row = f'tr[data-msg="{msg_id}"]'
        self.wait("the received message", lambda: self.row_text(row))
        if "hello from chromium" not in self.row_text(row)[0]:
            raise Failed("the received message's body is not shown")
        self.wait("in flight 1", lambda: self.text("counter-inactiveMsgNum") == "1")
        self.d.find_element(By.CSS_SELECTOR, row + " button.delete-message").click()
        self.wait("deleted", lambda: "deleted" in self.row_text(row)[0])
        self.wait("in flight 0", lambda: self.text("counter-inactiveMsgNum") == "0")
        self.wait("deleted total 1", lambda: self.text("counter-msgDeletedTotal") == "1")
        self.shot("queue-after-delete")

        self.step("the overview lists the queue with its counters")
        self.open("/console/")
        self.loaded("overview")
        self.el("queue-search").send_keys("browser")  # found among any number of queues
        self.el("queue-search-button").click()
        cells = 'tr[data-queue="browser-queue"] td[data-field="msgDeletedTotal"]'
        self.wait("the queue's row", lambda: self.row_text(cells) == ["1"])
        self.shot("overview")

        self.step("a topic: create, subscribe the queue, publish")
        self.el("new-topic").send_keys("browser-topic")
        self.el("create-topic").click()
        self.wait("the topic page", lambda: "/console/topic?name=browser-topic" in self.d.current_url)
        self.loaded("topic page")
        self.el("sub-name").send_keys("to-queue")
        self.el("sub-endpoint").send_keys("browser-queue")
        self.el("subscribe").click()
        self.wait("subscribed", lambda: self.text("subscribe-result") == "subscribed to-queue")
        self.wait("the subscription listed", lambda: "to-queue" in self.text("subscriptions"))
        self.el("publish-body").send_keys("test publish")
        self.el("publish").click()
        self.wait("published", lambda: self.text("publish-result").startswith("published "))
        self.shot("topic")
        self.open("/console/queue?name=browser-queue")
        self.loaded("queue page")
        self.wait("the published message in the queue", lambda: self.text("counter-activeMsgNum") == "1")

        self.step("trace the message")
        self.open(f"/console/trace?msgId={msg_id}&queueName=browser-queue")
        self.loaded("trace page")
        self.shot("trace")
        events = self.row_text("tr.trace-event td.event")
        for wanted in ("sent", "received", "deleted"):
            if wanted not in events:
                raise Failed(f"the trace lacks '{wanted}': {events} {self.text('trace-error')}")

        self.step("the console API refuses a call without the CSRF token")
        status, body = self.fetch("/console/api", "Action=CreateQueue&queueName=csrf-queue", {})
        if status != 403:
            raise Failed(f"a call without the CSRF token answered {status}: {body}")

        self.step("log out; the other account sees none of these queues")
        self.open("/console/")
        self.loaded("overview")
        self.el("logout").click()
        self.wait("the login page", lambda: self.d.current_url == self.base + "/console/login")
        self.open("/console/")
        self.wait("logged out", lambda: self.d.current_url == self.base + "/console/login")
        self.log_in(OTHER_ID, OTHER_KEY)
        self.wait("the overview", lambda: self.d.current_url == self.base + "/console/")
        self.loaded("overview")
        self.wait("no queues", lambda: self.text("queue-total") == "(0)")
        self.wait("no topics", lambda: self.text("topic-total") == "(0)")
        if self.row_text('tr[data-queue="browser-queue"]'):
            raise Failed("the other account sees browser-queue")
        self.shot("overview-other-account")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    cmqd_path, shots = sys.argv[1], sys.argv[2]
    os.makedirs(shots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="cmq-browser-")
    process = log = driver = None
    try:
        queues = int(os.environ.get("CMQ_CONSOLE_QUEUES", "0"))
        extra = ("--durability", "relaxed", "--max-queues-per-account", str(queues + 10)) if queues else ()
        process, base, log = start_cmqd(cmqd_path, work, extra)
        if queues:
            create_queues(base, queues)
        driver = browser()
        driver.set_script_timeout(WAIT_S)
        ConsoleTest(driver, base, shots, queues).run()
        print("passed")
        return 0
    except Failed as e:
        print("FAILED: " + str(e))
        if log:
            log.seek(0)
            print("cmqd's output:\n" + log.read()[-4000:])
        return 1
    finally:
        if driver:
            driver.quit()
        if process:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
