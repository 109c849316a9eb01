"""A specialist finds an open buprenorphine provider near the site, refers, then marks it linked."""

import pytest

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.resources.models import Referral

from .conftest import make_resource

pytestmark = pytest.mark.browser


@pytest.fixture
def open_clinic(adam):
    # Open around the clock, so that "open now" holds whenever the test runs.
    return make_resource(
        adam,
        "Always Open Bupe",
        lat=33.4230,
        lon=-111.9350,
        zip_code="85281",
        city="Tempe",
        phone="480-555-0101",
        needs=["buprenorphine"],
        hours=[(day, "00:00", "00:00") for day in range(7)],
    )


def test_specialist_refers_to_an_open_provider_and_marks_it_linked(
    page, sam, participant, open_clinic
):
    from playwright.sync_api import expect

    log_in(page, "sam", PASSWORD)
    page.goto(f"/participants/{participant.pk}/")
    page.get_by_role("link", name="Refer", exact=True).click()
    page.get_by_label("Buprenorphine").check()
    page.get_by_label("Open now").check()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Always Open Bupe", exact=True)).to_be_visible()
    expect(page.get_by_text("near Downtown")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Refer to Always Open Bupe").click()
    # The need searched for is chosen on the referral form.
    expect(page.get_by_label("Need")).to_have_value("buprenorphine")
    page.get_by_label("Note").fill("Wants to start this week")
    page.get_by_role("button", name="Make referral").click()
    expect(page.get_by_text("Referral made")).to_be_visible()

    page.get_by_role("link", name="Resources", exact=True).click()
    page.get_by_role("link", name="Follow-ups").click()
    assert_accessible(page)
    page.get_by_role("link", name="Buprenorphine · Always Open Bupe").click()
    page.get_by_label("Status").select_option("linked")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Referral updated")).to_be_visible()
    assert Referral.objects.get().status == "linked"
