"""Scanning a card's QR code on the quick-log screen, in a real browser.

Headless Chromium has no camera and no QR reader, so the test gives the page
a stand-in for both (a canvas as the camera, a detector that reads the code
the card carries), and checks what Haven does with what it reads.
"""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.outreach.models import Encounter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAKE_CAMERA = """
window.BarcodeDetector = class {
  constructor(options) { this.formats = options.formats; }
  async detect() { return [{ rawValue: "%s", format: "qr_code" }]; }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return canvas.captureStream(5);
};
"""


def test_scanning_a_card_fills_in_the_code(page, sam, participant, catalog):
    page.add_init_script(FAKE_CAMERA % participant.card_code.lower())
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    page.get_by_role("button", name="Scan the card").tap()
    expect(page.get_by_label("Card code")).to_have_value(participant.card_code)
    expect(page.get_by_text("Card read.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("status").first).to_contain_text("Contact saved.")
    assert Encounter.objects.get().participant == participant


def test_without_a_qr_reader_there_is_no_scan_button(page, sam, catalog):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    expect(page.get_by_label("Card code")).to_be_visible()
    expect(page.get_by_role("button", name="Scan the card")).to_be_hidden()
