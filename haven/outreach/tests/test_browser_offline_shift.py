"""A shift with no signal on every field screen, at phone size (issue 17)."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.outreach.models import Encounter
from haven.outreach.tests.test_browser_offline import WAIT_FOR_OFFLINE_CACHE, log_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEPT_PAGE_TEXT = """async (path) => {
  const cached = await caches.match(path);
  return cached ? await cached.text() : "";
}"""

IN_VIEW = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight;
}"""


def test_the_no_signal_page_is_styled_and_in_the_language_the_worker_chose(
    page, sam, downtown, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/outreach/offline/")
    # Spanish chosen after the phone kept its screens in English: they are kept again.
    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    for _ in range(100):
        if "Sin señal" in page.evaluate(KEPT_PAGE_TEXT, "/outreach/offline/"):
            break
        page.wait_for_timeout(100)

    page.context.set_offline(True)
    page.goto("/participants/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sin señal")
    expect(page.get_by_text("Nada de lo que guardó se pierde")).to_be_visible()
    # Haven's own stylesheet and header, not a bare page.
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    assert_accessible(page)
    page.get_by_role("link", name="Registrar un contacto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar un contacto")


def test_a_contact_saved_offline_is_confirmed_where_the_worker_is_looking(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    page.context.set_offline(True)
    # Save stays within reach at the bottom of the screen, however long the form.
    assert page.evaluate(IN_VIEW, "#quick-log button[type=submit]")
    log_contact(page, card_code=participant.display_code, naloxone=1)
    status = page.locator("#outbox-status")
    expect(status).to_have_text("Saved on this phone. It will be sent when there is signal.")
    expect(status).to_be_focused()
    assert page.evaluate(IN_VIEW, "#outbox-status")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    assert Encounter.objects.get().participant == participant


def test_a_contact_saved_with_signal_is_confirmed_at_the_top_of_the_saved_page(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    log_contact(page, card_code=participant.display_code)
    confirmation = page.locator("main .messages")
    expect(confirmation).to_contain_text("Contact saved.")
    expect(confirmation).to_be_focused()
    assert page.evaluate(IN_VIEW, "main .messages")
