#!/usr/bin/python3
"""The web console in a real browser (headless Chromium driven by
Selenium) against a real coordinator and real workers, which
test_console.sh starts. What an on-call engineer does: open the overview,
follow a run's output live, approve a waiting step, acknowledge an
incident, add a note to a run (the approval and the note by keyboard
alone: Tab and Enter), on a phone-wide screen too; every page's controls
labelled, its text at a contrast of 4.5:1 or more and the keyboard's
focus visible; and what the console must refuse: a viewer's actions, and
a POST without the CSRF token.

Environment (set by test_console.sh): ROTA_URL, ROTA_LOGIN_ADMIN,
ROTA_LOGIN_VIEWER (one-time sign-in links), RUN_TICKER, RUN_GATED,
GATED_STEP, INC_ACK, INC_PHONE, SHOTS (where a failure's screenshot goes).
Prints one PASS line per check; exits 1 on the first failure, after saving
a screenshot of the page it was on."""
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

URL = os.environ["ROTA_URL"]
SHOTS = os.environ["SHOTS"]
# A bounded poll: conditions, never a bare sleep-then-assert. Generous for
# a loaded machine; a passing test waits only as long as it needs.
PATIENCE = float(os.environ.get("BROWSER_PATIENCE", "30"))


class Failed(Exception):
    pass


def browser(width=1280, height=900):
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=%d,%d" % (width, height), "--no-first-run",
              "--disable-extensions", "--disable-background-networking"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def wait(d, cond, what):
    end = time.monotonic() + PATIENCE
    last = None
    while time.monotonic() < end:
        try:
            v = cond()
            if v:
                return v
        except WebDriverException as e:  # the page is being redrawn
            last = e
        time.sleep(0.1)
    raise Failed("timed out waiting for %s%s" % (what, " (%s)" % last.msg if last else ""))


def h1(d):
    return d.find_element(By.TAG_NAME, "h1").text


def buttons(d, text):
    """The buttons whose label starts with text, read in one go in the page
    (a page redrawn between a lookup and a read leaves stale handles)."""
    return d.execute_script(
        "var t = arguments[0]; return Array.prototype.filter.call("
        "document.querySelectorAll('button'),"
        " function (b) { return b.textContent.trim().indexOf(t) === 0; });", text)


def click(d, text, what):
    """Clicks the first button whose label starts with text, once it is
    there; a page redrawn under the pointer is tried again."""
    def attempt():
        b = buttons(d, text)
        if not b:
            return False
        b[0].click()
        return True
    wait(d, attempt, what)


def fetch(d, method, path, csrf):
    """A request from the page itself (its cookie), with or without the
    CSRF token: what a forged or hand-made request looks like."""
    return d.execute_async_script(
        """
        var done = arguments[arguments.length - 1];
        var h = {'Content-Type': 'application/json'};
        if (arguments[2]) h['X-CSRF-Token'] = arguments[2];
        fetch(arguments[1], {method: arguments[0], headers: h, body: '{}',
                             credentials: 'same-origin'})
          .then(function (r) { done(r.status); }, function (e) { done(String(e)); });
        """, method, path, csrf)


def csp_errors(d):
    """Lines the browser logged about a refused script or style: the policy
    refusing something of our own would leave a page half drawn."""
    return [e["message"] for e in d.get_log("browser")
            if "Content Security Policy" in e["message"]]


def check(name, d, fn):
    start = time.monotonic()
    try:
        fn(d)
    except Exception as e:
        os.makedirs(SHOTS, exist_ok=True)
        shot = os.path.join(SHOTS, name + ".png")
        try:
            d.save_screenshot(shot)
        except WebDriverException:
            shot = "(no screenshot)"
        print("FAIL: browser: %s: %s; page %s; screenshot %s" % (name, e, d.current_url, shot),
              file=sys.stderr)
        raise
    print("PASS: browser: %s (%.1f s)" % (name, time.monotonic() - start))


def overview(d):
    d.get(os.environ["ROTA_LOGIN_ADMIN"])
    wait(d, lambda: h1(d) == "Overview", "the overview after signing in")
    wait(d, lambda: d.find_element(By.ID, "who").text.endswith("(admin)"), "who I am")
    for s in ("Open incidents", "Active runs", "Workers", "Next scheduled runs"):
        if s not in d.find_element(By.TAG_NAME, "main").text:
            raise Failed("the overview has no section " + s)
    errs = csp_errors(d)
    if errs:
        raise Failed("the policy refused something: %s" % errs)


def live_output(d):
    d.get(URL + "/runs/" + os.environ["RUN_TICKER"])
    wait(d, lambda: h1(d).startswith("Run "), "the run page")
    # A mark on the window: gone if the page were reloaded.
    d.execute_script("window.__notReloaded = true;")

    def last_tick():
        # The highest "tick N" shown: the view may keep only the last lines.
        ns = [int(l.split()[1]) for l in d.find_element(By.ID, "output").text.splitlines()
              if l.startswith("tick ") and l.split()[1].isdigit()]
        return max(ns) if ns else 0

    first = wait(d, last_tick, "a first line of output")
    wait(d, lambda: last_tick() >= first + 2,
         "two more lines without reloading (tick %d shown first)" % first)
    if not d.execute_script("return window.__notReloaded === true;"):
        raise Failed("the page was reloaded")


def tab_to(d, pred, what, most=80):
    """Presses Tab from the top of the page until the focused element
    fits pred (a JS expression over `e`); on the way every element the
    keyboard reaches must show its focus (an outline or a shadow).
    Returns the element."""
    d.execute_script("document.activeElement && document.activeElement.blur();"
                     " window.scrollTo(0, 0);")
    body = d.switch_to.active_element
    trail = []
    for _ in range(most):
        body.send_keys(Keys.TAB)
        e = d.switch_to.active_element
        look = d.execute_script("""
            var e = document.activeElement, s = getComputedStyle(e);
            var ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) ||
                       (s.boxShadow && s.boxShadow !== 'none');
            return {ring: ring, tag: e.tagName, text: (e.textContent || '').slice(0, 40),
                    fits: (function (e) { return %s; })(e)};
            """ % pred)
        trail.append("%s %s" % (look["tag"], look["text"].strip()[:15]))
        if not look["ring"]:
            raise Failed("no visible focus on <%s> %r after %s" % (look["tag"], look["text"][:30],
                                                                  " > ".join(trail)))
        if look["fits"]:
            return e
        body = e
    raise Failed("%d presses of Tab never reached %s" % (most, what))


def approve(d):
    # By keyboard: Tab reaches the Approve button, Enter presses it.
    step = os.environ["GATED_STEP"]
    d.get(URL + "/runs/" + os.environ["RUN_GATED"])
    wait(d, lambda: buttons(d, "Approve " + step), "the Approve button")
    b = tab_to(d, "e.tagName === 'BUTTON' && e.textContent.indexOf('Approve ') === 0",
               "the Approve button")
    b.send_keys(Keys.ENTER)
    wait(d, lambda: d.find_element(By.ID, "run-status").text == "succeeded",
         "the run to go on and succeed after the approval")


def run_note(d):
    # A note on the run, typed and sent from the keyboard; shown after.
    d.get(URL + "/runs/" + os.environ["RUN_GATED"])
    wait(d, lambda: d.find_elements(By.ID, "run-note-text"), "the run's note form")
    t = tab_to(d, "e.id === 'run-note-text'", "the note's text box")
    t.send_keys("browser: run looked fine")
    b = tab_to(d, "e.id === 'run-note-add'", "the Add note button")
    b.send_keys(Keys.ENTER)
    wait(d, lambda: "browser: run looked fine" in d.find_element(By.ID, "run-notes").text,
         "the note among the run's notes")


# Every control named, every text colour at 4.5:1 or more against what is
# behind it (WCAG AA), computed in the page from the styles it got.
A11Y_JS = """
function rgb(c) {
  var m = c.match(/rgba?\\(([^)]*)\\)/); if (!m) return null;
  var p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(parseFloat);
  return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
}
function lum(c) {
  function ch(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
  return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
}
function over(f, b) {
  return {r: f.r * f.a + b.r * (1 - f.a), g: f.g * f.a + b.g * (1 - f.a), b: f.b * f.a + b.b * (1 - f.a), a: 1};
}
function behind(e) {
  var layers = [];
  for (var x = e; x && x.nodeType === 1; x = x.parentElement) {
    var c = rgb(getComputedStyle(x).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  var bg = {r: 255, g: 255, b: 255, a: 1};
  for (var i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
  return bg;
}
function named(e) {
  if (e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.closest('label')) return true;
  if (e.id && document.querySelector('label[for="' + CSS.escape(e.id) + '"]')) return true;
  return e.tagName === 'BUTTON' && e.textContent.trim() !== '';
}
var bad = [];
document.querySelectorAll('input, select, textarea, button').forEach(function (e) {
  if (e.type !== 'hidden' && !named(e)) bad.push('unlabelled <' + e.tagName.toLowerCase() + '> ' + (e.name || e.id || e.outerHTML.slice(0, 60)));
});
var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
var seen = 0;
for (var n = walker.nextNode(); n; n = walker.nextNode()) {
  if (!n.nodeValue.trim()) continue;
  var e = n.parentElement;
  if (!e || !e.getClientRects().length || e.closest('.sr, .skip, noscript, [disabled]')) continue;
  var s = getComputedStyle(e);
  if (s.visibility === 'hidden' || parseFloat(s.opacity) === 0) continue;
  var bg = behind(e), fg = over(rgb(s.color), bg);
  var a = lum(fg), b = lum(bg), ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  seen++;
  if (ratio < 4.5) bad.push('contrast ' + ratio.toFixed(2) + ':1 of "' + n.nodeValue.trim().slice(0, 30) + '" (' + s.color + ' on rgb(' + [bg.r, bg.g, bg.b].map(Math.round) + '))');
}
return {bad: bad, seen: seen};
"""


def accessible(d):
    pages = ["/", "/incidents", "/incidents/" + os.environ["INC_PHONE"], "/runs",
             "/runs/" + os.environ["RUN_GATED"], "/workers", "/schedules", "/runbooks",
             "/runbooks/gated", "/audit"]
    for p in pages:
        d.get(URL + p)
        wait(d, lambda: h1(d) and h1(d) != "Loading…" and
             "Loading" not in d.find_element(By.TAG_NAME, "main").text[:10], "page " + p)
        r = d.execute_script(A11Y_JS)
        if r["bad"]:
            raise Failed("%s: %s" % (p, "; ".join(r["bad"][:8])))
        if r["seen"] < 3:
            raise Failed("%s: only %d pieces of text looked at" % (p, r["seen"]))
    # The keyboard reaches the incident's Acknowledge button, showing its
    # focus on the way (not pressed: this incident stays open).
    d.get(URL + "/incidents/" + os.environ["INC_PHONE"])
    wait(d, lambda: buttons(d, "Acknowledge"), "the Acknowledge button")
    tab_to(d, "e.tagName === 'BUTTON' && e.textContent.indexOf('Acknowledge') === 0",
           "the Acknowledge button")


def ack(d):
    inc = os.environ["INC_ACK"]
    d.get(URL + "/incidents/" + inc)
    click(d, "Acknowledge", "the Acknowledge button")
    wait(d, lambda: " by " in d.find_element(By.ID, "acked").text, "the page to say who acked")
    d.find_element(By.ID, "note-text").send_keys("browser: looking at it")
    click(d, "Add note", "the Add note button")
    wait(d, lambda: "browser: looking at it" in d.find_element(By.CSS_SELECTOR, "ul.notes").text,
         "the note among the notes")


def no_csrf(d):
    inc = os.environ["INC_PHONE"]
    status = fetch(d, "POST", "/v1/incidents/%s/ack" % inc, None)
    if status not in (400, 403):
        raise Failed("a POST without the CSRF token got %s, expected 403" % status)


def phone(d):
    # A phone's viewport: headless Chromium's window is never narrower
    # than 500 px, so the page is laid out as on a 390 px phone instead.
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    inc = os.environ["INC_PHONE"]
    d.get(URL + "/incidents/" + inc)
    # One look at the page (it is read again every few seconds): the
    # button's box, the viewport and how wide the page is.
    look = wait(d, lambda: d.execute_script("""
        var b = Array.prototype.filter.call(document.querySelectorAll('button'),
            function (x) { return x.textContent.indexOf('Acknowledge') === 0; })[0];
        if (!b) return null;
        var r = b.getBoundingClientRect();
        return {left: r.left, right: r.right, width: r.width, disabled: b.disabled,
                inner: window.innerWidth, wide: document.documentElement.scrollWidth};
        """), "the Acknowledge button at 390 px")
    if look["inner"] != 390:
        raise Failed("the viewport is %d px wide, not 390" % look["inner"])
    if look["wide"] > look["inner"]:
        raise Failed("the page scrolls sideways: %d px wide in %d" % (look["wide"], look["inner"]))
    if look["left"] < 0 or look["right"] > look["inner"] or look["width"] <= 0:
        raise Failed("the Acknowledge button is not on the screen: %s" % look)
    if look["disabled"]:
        raise Failed("the Acknowledge button is disabled")


def no_sideways(d, path):
    """The page laid out (at 390 px) no wider than the screen."""
    look = d.execute_script("return {inner: window.innerWidth,"
                            " wide: document.documentElement.scrollWidth};")
    if look["inner"] != 390:
        raise Failed("the viewport is %d px wide, not 390" % look["inner"])
    if look["wide"] > look["inner"]:
        raise Failed("%s scrolls sideways at 390 px: %d px wide" % (path, look["wide"]))


def oncall_maintenance(d):
    # On a phone's screen: who is on call, and a window started and ended
    # by clicks; both pages labelled, at contrast, never wider than the
    # screen. One visit of each page.
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        d.get(URL + "/oncall")
        wait(d, lambda: h1(d) == "On call" and
             "primary" in d.find_element(By.TAG_NAME, "main").text,
             "the on-call page with its rotation")
        main = d.find_element(By.TAG_NAME, "main")
        if not main.find_elements(By.CSS_SELECTOR, 'a[href="/v1/oncall/primary.ics"]'):
            raise Failed("no link to primary's calendar")
        if not main.find_elements(By.CSS_SELECTOR, "time[title$='UTC']"):
            raise Failed("no handoff time with UTC on hover")
        r = d.execute_script(A11Y_JS)
        if r["bad"]:
            raise Failed("/oncall: %s" % "; ".join(r["bad"][:8]))
        no_sideways(d, "/oncall")
        d.get(URL + "/maintenance")
        wait(d, lambda: d.find_elements(By.NAME, "target"), "the start form")
        d.find_element(By.NAME, "target").send_keys("db-9")
        d.find_element(By.NAME, "reason").send_keys("browser: patching")
        click(d, "Start maintenance", "the Start maintenance button")
        wait(d, lambda: "browser: patching" in d.find_element(By.TAG_NAME, "main").text,
             "the started window in the list")
        r = d.execute_script(A11Y_JS)
        if r["bad"]:
            raise Failed("/maintenance: %s" % "; ".join(r["bad"][:8]))
        no_sideways(d, "/maintenance")
        # The End button of that window's row (the viewer's window is
        # listed too).
        wait(d, lambda: d.execute_script("""
            var rows = document.querySelectorAll('main tr');
            for (var i = 0; i < rows.length; i++) {
              if (rows[i].textContent.indexOf('browser: patching') < 0) continue;
              var b = rows[i].querySelector('button');
              if (b && !b.disabled) { b.click(); return true; }
            }
            return false;"""), "the End button of the window")
        wait(d, lambda: "browser: patching" not in d.find_element(By.TAG_NAME, "main").text,
             "the window gone once ended")
    finally:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def viewer(d):
    d.get(os.environ["ROTA_LOGIN_VIEWER"])
    wait(d, lambda: d.find_element(By.ID, "who").text.endswith("(viewer)"), "the viewer's session")
    inc = os.environ["INC_PHONE"]
    d.get(URL + "/incidents/" + inc)
    wait(d, lambda: h1(d) == inc, "the incident page")
    wait(d, lambda: "Timeline" in d.find_element(By.TAG_NAME, "main").text, "its timeline")
    for t in ("Acknowledge", "Resolve", "Add note"):
        if buttons(d, t):
            raise Failed("a viewer is shown the %s button" % t)
    d.get(URL + "/runs/" + os.environ["RUN_TICKER"])
    wait(d, lambda: h1(d).startswith("Run "), "the run page")
    wait(d, lambda: d.find_elements(By.ID, "run-status"), "the run's status")
    for t in ("Cancel", "Approve", "Reject"):
        if buttons(d, t):
            raise Failed("a viewer is shown the %s button" % t)
    token = d.execute_async_script(
        "var done = arguments[0]; fetch('/v1/session').then(function (r) { return r.json(); })"
        ".then(function (s) { done(s.csrf_token); }, function () { done(null); });")
    status = fetch(d, "POST", "/v1/incidents/%s/ack" % inc, token)
    if status != 403:
        raise Failed("a viewer's forged POST got %s, expected 403" % status)
    # The maintenance page: the windows, no button to start or end one.
    d.get(URL + "/maintenance")
    wait(d, lambda: "browser: viewer sees" in d.find_element(By.TAG_NAME, "main").text,
         "the window started from the CLI")
    for t in ("Start maintenance", "End"):
        if buttons(d, t):
            raise Failed("a viewer is shown the %s button on /maintenance" % t)


def main():
    d = browser()
    try:
        check("overview", d, overview)
        check("live-output", d, live_output)
        check("approve-by-keyboard", d, approve)
        check("run-note", d, run_note)
        check("accessible", d, accessible)
        check("ack", d, ack)
        check("no-csrf-token", d, no_csrf)
        check("oncall-maintenance", d, oncall_maintenance)
        check("phone-390px", d, phone)
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        d.delete_all_cookies()
        check("viewer", d, viewer)
    except Exception:
        return 1
    finally:
        d.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
