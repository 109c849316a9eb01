"""On a phone: a specialist is refused a referral that shares details, records a spoken
consent in Spanish, makes the referral, and the accounting shows the disclosure."""

import re

import pytest

from conftest import PASSWORD
from haven.consents.models import Consent, Disclosure
from haven.core.tests.browser import assert_accessible, log_in
from haven.resources.tests.conftest import make_resource

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic(adam):
    return make_resource(adam, "Always Open Bupe", zip_code="85281", needs=["buprenorphine"])


def test_specialist_records_a_spoken_consent_in_spanish_and_shares_details_on_referral(
    page, sam, participant, clinic
):
    from playwright.sync_api import expect

    log_in(page, "sam", PASSWORD)
    refer_url = f"/resources/participant/{participant.pk}/refer/{clinic.pk}/"
    page.goto(refer_url)
    page.get_by_label("Share their details with the provider").check()
    page.get_by_role("button", name="Make referral").click()
    expect(page.get_by_text("no consent in force to share their details")).to_be_visible()
    assert not Disclosure.objects.exists()

    page.get_by_role("button", name="Record their consent to share").click()
    expect(page.get_by_label("Share with this provider")).to_have_value(str(clinic.pk))
    # The provider chosen is not in the address beside the participant's record id.
    expect(page).to_have_url(re.compile(rf"/consents/participant/{participant.pk}/$"))
    expect(page.get_by_text("Text to read")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Given").check()
    page.get_by_label("Spoken").check()
    page.get_by_label("Spanish").check()
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_text("Consent recorded.")).to_be_visible()
    expect(
        page.get_by_text("Agrees to share their details with Always Open Bupe for a referral")
    ).to_be_visible()
    consent = Consent.objects.get()
    assert (consent.language, consent.how, consent.provider) == ("es", "spoken", clinic)

    page.goto(refer_url)
    page.get_by_label("Share their details with the provider").check()
    page.get_by_role("button", name="Make referral").click()
    expect(page.get_by_text("Referral made")).to_be_visible()
    expect(page.get_by_text("were shared with Always Open Bupe")).to_be_visible()

    page.goto(f"/consents/participant/{participant.pk}/")
    page.get_by_role("link", name="Disclosures", exact=True).click()
    # Printed for the participant in the language of their consent.
    expect(page.get_by_text("Una derivación que compartió sus datos")).to_be_visible()
    expect(page.get_by_role("cell", name="Always Open Bupe")).to_be_visible()
    expect(page.get_by_role("button", name="Imprimir")).to_be_visible()
    assert_accessible(page)
    assert Disclosure.objects.get().consent == consent
