"""Shared pieces for browser tests: Chromium, a phone-sized page, logging in, axe.

Browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright's
sync API against pytest-django's ``live_server``. Playwright's own browser
download does not work here, so the executable path is fixed. The fixtures are
made available to every test under haven/ by haven/conftest.py.

Every browser context a test opens, through ``page`` or ``browser.new_context``,
watches for Content-Security-Policy violations, and any violation fails the
test: so each browser journey also proves that its pages work under Haven's
policy (no inline script, no inline style).
"""

import os
import re
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HAVEN_CHROMIUM", "/usr/bin/chromium"))
# How long a step may wait for the page. Generous, because CI machines are
# sometimes shared and slow; a page that never shows still fails the test.
WAIT_MS = 20_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# A mid-sized phone, as specialists use in the field.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Chromium writes its own message to the console when it refuses something
# ("... violates the following Content Security Policy directive ..."); the
# listener below also reports the event itself, in the same words, in case a
# refusal is not logged.
CSP_MARKER = "Content Security Policy"
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    `Content Security Policy violation: ${event.effectiveDirective} refused ` +
      `${event.blockedURI || "inline"} at ${event.sourceFile || event.documentURI}` +
      `:${event.lineNumber} (${event.sample || "no sample"})`,
  );
});
"""


def _in_ci():
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def watch_csp(context, violations):
    """Add every Content-Security-Policy violation in the context's pages to `violations`."""
    context.add_init_script(REPORT_CSP_VIOLATIONS)

    def on_console(message):
        if CSP_MARKER in message.text:
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", on_console)


class CspWatchingBrowser:
    """Playwright's Browser, whose new contexts all watch for CSP violations."""

    def __init__(self, browser):
        self._browser = browser
        self.csp_violations = []

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        watch_csp(context, self.csp_violations)
        return context


@pytest.fixture(autouse=True)
def live_server_settles(request):
    """A browser test ends only once the live server has answered every request.

    The field app's service worker fetches on in the background (kept screens,
    participants, card codes); a request still in its transaction when the
    test's database is emptied can deadlock with the emptying on PostgreSQL.
    """
    if "live_server" not in request.fixturenames and "page" not in request.fixturenames:
        yield
        return
    from django.core.signals import request_finished, request_started

    in_flight = [0]
    lock = threading.Lock()

    def started(**kwargs):
        with lock:
            in_flight[0] += 1

    def finished(**kwargs):
        with lock:
            in_flight[0] -= 1

    request_started.connect(started, weak=False, dispatch_uid="live_server_settles_started")
    request_finished.connect(finished, weak=False, dispatch_uid="live_server_settles_finished")
    yield
    # Teardown runs after the test's browser contexts were closed: nothing new
    # arrives; wait (a bounded while) for what is under way to finish.
    deadline = time.monotonic() + 15
    while in_flight[0] > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    request_started.disconnect(dispatch_uid="live_server_settles_started")
    request_finished.disconnect(dispatch_uid="live_server_settles_finished")


@pytest.fixture(autouse=True)
def fail_on_csp_violations(request):
    """A test that drives the browser fails if any page broke the content security policy."""
    if "browser" not in request.fixturenames:
        yield
        return
    watching = request.getfixturevalue("browser")
    watching.csp_violations.clear()
    yield
    violations = sorted(set(watching.csp_violations))
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run, watching for CSP violations. Never skipped in CI."""
    if not CHROMIUM.exists():
        message = f"Browser tests need Chromium at {CHROMIUM} (apt-get install chromium)."
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an event loop in this thread, which makes
    # Django refuse ORM calls from test code; the live server runs in its own
    # thread, and the tests themselves are synchronous, so this is safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    expect.set_options(timeout=WAIT_MS)
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield CspWatchingBrowser(chromium)
    chromium.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized tab (own cookies) whose relative URLs go to the live server.

    A JavaScript error on any page fails the test.
    """
    context = browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def log_in(page, username, password):
    """Log in through the real login form, as a person would."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def go_online(page):
    """The phone has signal again: Playwright's offline switch lifted, and "online" fired.

    Chromium 150 no longer fires "online" when Playwright lifts its switch
    (navigator.onLine turns true silently); a phone fires it, and the field app
    sends its outbox when it does.
    """
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")


def _describe(violation):
    lines = [
        f"- {violation['id']} ({violation.get('impact') or 'no impact'}): {violation['help']}",
        f"  {violation['helpUrl']}",
    ]
    for node in violation["nodes"]:
        target = ", ".join(str(part) for part in node["target"])
        lines.append(f"    at {target}: {node['html'][:200]}")
        summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
        if summary:
            lines.append(f"      {summary}")
    return "\n".join(lines)


def assert_accessible(page):
    """Fail the test on any WCAG 2.1 A or AA violation that axe finds on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    if violations:
        report = "\n".join(_describe(violation) for violation in violations)
        pytest.fail(
            f"{len(violations)} accessibility violation(s) on {page.url}:\n{report}",
            pytrace=False,
        )
