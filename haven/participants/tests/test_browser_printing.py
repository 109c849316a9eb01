"""The pages staff print for a participant, printed by Chromium and looked at as pictures."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import log_in
from haven.core.tests.pdf_pictures import assert_printable, page_text, qr_codes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_card_prints_within_the_margins_and_its_qr_code_scans(page, sam, participant):
    log_in(page, "sam", PASSWORD)
    page.goto(f"/participants/{participant.pk}/card/")
    expect(page.locator(".printable-card")).to_be_visible()
    pdf = page.pdf(format="Letter")
    assert_printable(pdf)
    assert qr_codes(pdf) == [participant.card_code]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_participants_own_summary_prints_within_the_margins(page, sam, participant, language):
    log_in(page, "sam", PASSWORD)
    page.goto(f"/consents/participant/{participant.pk}/summary/?language={language}")
    pdf = page.pdf(format="Letter")
    assert_printable(pdf)
    assert participant.card_code[:4] in page_text(pdf)
