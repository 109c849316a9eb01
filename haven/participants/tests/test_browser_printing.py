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
def test_in_part2_mode_the_printed_card_carries_the_redisclosure_notice(
    page, sam, participant, settings, language
):
    settings.HAVEN_PART2_MODE = True
    log_in(page, "sam", PASSWORD)
    page.goto(f"/participants/{participant.pk}/card/")
    if language == "es":
        page.get_by_role("button", name="Español").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
    pdf = page.pdf(format="Letter")
    assert_printable(pdf)
    assert qr_codes(pdf) == [participant.card_code]
    printed = " ".join(page_text(pdf).split())
    assert {
        "en": "protected by Federal confidentiality rules (42 CFR part 2)",
        "es": "protegido por normas federales de confidencialidad (42 CFR parte 2)",
    }[language] in printed


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_participants_own_summary_prints_within_the_margins(page, sam, participant, language):
    log_in(page, "sam", PASSWORD)
    page.goto(f"/consents/participant/{participant.pk}/summary/?language={language}")
    pdf = page.pdf(format="Letter")
    assert_printable(pdf)
    assert participant.card_code[:4] in page_text(pdf)
