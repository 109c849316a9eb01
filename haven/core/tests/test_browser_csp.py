"""Pages work under the Content-Security-Policy in a real browser.

Every browser test fails on a policy violation (haven/core/tests/browser.py);
these tests prove that the watch works and cover pages no other journey opens:
the API docs, the Django admin, the printable card, the dashboard charts and
the page the service worker shows when there is no signal.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import log_in
from haven.outreach.tests.test_browser_offline import WAIT_FOR_OFFLINE_CACHE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICY = "default-src 'self'; script-src 'self'; style-src 'self'"
BREAKS_THE_POLICY = (
    "<!doctype html><html lang='en'><head><title>x</title></head>"
    "<body><p style='color: red'>inline style</p><script>document.title = 'ran';</script>"
    "<button onclick='alert(1)'>x</button></body></html>"
)


def test_a_page_that_breaks_the_policy_fails_the_browser_test(browser, page):
    page.route(
        "**/breaks-the-policy",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": POLICY},
            body=BREAKS_THE_POLICY,
        ),
    )
    page.goto("/breaks-the-policy")
    expect(page.get_by_text("inline style")).to_be_visible()
    page.wait_for_timeout(200)
    assert page.title() == "x"  # the inline script did not run
    caught = list(browser.csp_violations)
    # Cleared so that this test, which broke the policy on purpose, passes.
    browser.csp_violations.clear()
    assert any("script-src" in violation for violation in caught), caught
    assert any("style-src" in violation for violation in caught), caught


def test_every_response_carries_the_policy_in_the_browser(page):
    response = page.goto("/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_api_docs_load_from_haven_itself(page, live_server):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="Haven API")).to_be_visible()
    assert hosts == {urlsplit(live_server.url).netloc}


def test_the_django_admin_works_under_the_policy(page, root, downtown):
    # Only the break-glass superuser may use the Django admin.
    log_in(page, "root", PASSWORD)
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/accounts/user/")
    page.get_by_role("link", name="root").click()
    # The sites chooser (filter_horizontal) is built by the admin's own script.
    expect(page.get_by_role("button", name="Choose all sites")).to_be_visible()
    page.goto("/admin/accounts/site/add/")
    expect(page.get_by_label("Name")).to_be_visible()


def test_print_button_opens_the_print_dialog(page, sam, participant):
    page.add_init_script("window.print = () => { document.body.dataset.printed = 'yes'; };")
    log_in(page, "sam", PASSWORD)
    page.goto(f"/participants/{participant.pk}/card/")
    page.get_by_role("button", name="Print").click()
    expect(page.locator("body")).to_have_attribute("data-printed", "yes")


def test_dashboard_charts_are_drawn(page, max_manager):
    log_in(page, "max", PASSWORD)
    page.goto("/reports/dashboard/")
    charts = page.locator("figure.chart img")
    expect(charts).to_have_count(4)
    for index in range(4):
        chart = charts.nth(index)
        expect(chart).to_be_visible()
        assert chart.evaluate("image => image.complete && image.naturalWidth > 0")


def test_the_no_signal_page_is_styled_from_haven_css_under_the_policy(page, sam, downtown):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/static/core/haven.css")
    page.context.set_offline(True)
    # A page the phone does not keep.
    response = page.goto("/overdose/alerts/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="No signal")).to_be_visible()
    expect(page.get_by_role("link", name="Log a contact")).to_be_visible()
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "system-ui" in font
