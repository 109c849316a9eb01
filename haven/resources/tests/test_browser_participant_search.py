"""The directory searched for a participant, with signal and without: never in the address.

The search is sent by POST, so the browser's history holds only the page's
bare address; with no signal it is answered from the directory kept on the
phone, in the page, and the address does not change either. A result's Refer opens the referral form with the need it
matched chosen, and that need does not go into an address either.
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.outreach.tests.test_browser_offline import WAIT_FOR_OFFLINE_CACHE
from haven.resources.models import Referral

from .conftest import make_resource

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every address the phone keeps, in any of Haven's caches.
KEPT_ADDRESSES = """async () => {
  const kept = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) kept.push(request.url);
  }
  return kept;
}"""


@pytest.fixture
def clinics(adam):
    always = [(day, "00:00", "00:00") for day in range(7)]
    return (
        make_resource(
            adam,
            "Always Open Bupe",
            lat=33.4230,
            lon=-111.9350,
            zip_code="85281",
            city="Tempe",
            needs=["buprenorphine"],
            hours=always,
        ),
        make_resource(
            adam,
            "Mesa Food Bank",
            lat=33.4100,
            lon=-111.8300,
            zip_code="85201",
            city="Mesa",
            needs=["food"],
        ),
    )


def test_a_participant_search_keeps_the_address_bare_with_and_without_signal(
    page, sam, participant, clinics
):
    address = f"/resources/participant/{participant.pk}/"
    bare = re.compile(re.escape(address) + "$")
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/api/v1/resources")

    # An old bookmark with a query runs no search and shows none of its values.
    page.goto(f"{address}?needs=food&place=Mesa&miles=25")
    form = page.locator("#resource-search")
    results = page.locator("#resource-results")
    expect(form.get_by_label("Food")).not_to_be_checked()
    expect(form.get_by_label("Or near a ZIP code or city")).to_have_value("")
    expect(results).to_be_empty()

    # With signal: sent by POST, answered at the bare address, Refer on each result.
    page.goto(address)
    form.get_by_label("Buprenorphine").check()
    form.get_by_role("button", name="Search").tap()
    expect(results.get_by_role("link", name="Always Open Bupe", exact=True)).to_be_visible()
    expect(page).to_have_url(bare)
    assert_accessible(page)
    refer = results.get_by_role("button", name="Refer to Always Open Bupe")
    expect(refer).to_be_visible()

    # No signal: answered from the phone's copy, in the page; the address stays bare.
    page.context.set_offline(True)
    form.get_by_label("Buprenorphine").uncheck()
    form.get_by_label("Food").check()
    form.get_by_label("Or near a ZIP code or city").fill("Mesa")
    form.get_by_role("button", name="Search").tap()
    expect(results.get_by_role("status")).to_contain_text("saved on this phone")
    expect(results.get_by_role("heading", name="1 result · near Mesa")).to_be_visible()
    expect(results).to_contain_text("Mesa Food Bank")
    expect(page).to_have_url(bare)
    assert_accessible(page)

    # "Use my location" with no signal is answered on the phone as well.
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 33.4100, "longitude": -111.8300})
    form.get_by_role("button", name="Use my location").tap()
    expect(results.get_by_role("heading", name="1 result · near your location")).to_be_visible()
    expect(page).to_have_url(bare)

    # Neither the page nor an answer of it was kept on the phone.
    kept = page.evaluate(KEPT_ADDRESSES)
    assert kept, "the phone keeps nothing: the check above proves nothing"
    assert not [url for url in kept if "/participant/" in url]

    # With signal again, "Use my location" sends the search by POST too.
    page.context.set_offline(False)
    form.get_by_label("Food").uncheck()
    form.get_by_label("Buprenorphine").check()
    page.context.set_geolocation({"latitude": 33.4230, "longitude": -111.9350})
    form.get_by_role("button", name="Use my location").tap()
    expect(results.get_by_role("heading", name="1 result · near your location")).to_be_visible()
    expect(results.get_by_role("button", name="Refer to Always Open Bupe")).to_be_visible()
    expect(page).to_have_url(bare)


def addresses_asked(page):
    """Every address the tab asks for, as a server's access log would keep it."""
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    return asked


def never_named(asked, participant, *searched):
    """No address the tab asked for names the participant or what was searched for them."""
    assert asked, "the tab asked for nothing: the check below proves nothing"
    for url in asked:
        for secret in (participant.card_code, participant.display_code, "need=", *searched):
            assert secret not in url, url


def test_a_result_s_refer_opens_the_referral_form_with_the_need_chosen_and_a_bare_address(
    page, sam, participant, clinics
):
    bupe, _food_bank = clinics
    address = f"/resources/participant/{participant.pk}/"
    refer_address = f"{address}refer/{bupe.pk}/"
    log_in(page, "sam", PASSWORD)
    asked = addresses_asked(page)
    page.goto(address)
    form = page.locator("#resource-search")
    results = page.locator("#resource-results")
    form.get_by_label("Buprenorphine").check()
    form.get_by_role("button", name="Search").tap()
    refer = results.get_by_role("button", name="Refer to Always Open Bupe")
    expect(refer).to_be_visible()
    # It looks as the link did: Haven's button, a thumb's width tall.
    assert refer.bounding_box()["height"] >= 44
    assert_accessible(page)

    refer.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Refer {participant.display_code} to Always Open Bupe"
    )
    expect(page.get_by_label("Need")).to_have_value("buprenorphine")
    expect(page).to_have_url(re.compile(re.escape(refer_address) + "$"))
    # Shown as a form to fill in, not one sent with mistakes.
    expect(page.locator(".errorlist")).to_have_count(0)
    assert not Referral.objects.exists()
    assert_accessible(page)

    page.get_by_label("Note").fill("Wants to start this week")
    page.get_by_role("button", name="Make referral").tap()
    expect(page.get_by_text("Referral made")).to_be_visible()
    referral = Referral.objects.get()
    assert (referral.participant, referral.resource, referral.need) == (
        participant,
        bupe,
        "buprenorphine",
    )
    never_named(asked, participant, "buprenorphine")
