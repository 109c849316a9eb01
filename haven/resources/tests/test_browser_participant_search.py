"""The directory searched for a participant, with signal and without: never in the address.

The search is sent by POST, so the browser's history holds only the page's
bare address; with no signal, or when Haven cannot be reached, it is answered
from the directory kept on the phone, in the page, and the address does not
change either. A result's Refer opens the referral form with the need it
matched chosen, and that need does not go into an address either.
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, go_online, log_in
from haven.outreach.tests.test_browser_offline import HOLDS_KEYS, WAIT_FOR_OFFLINE_CACHE
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


def the_phones_copy_answers(page, bare, because=None):
    """Search tapped (for food near Mesa): the phone's copy of the directory answers in
    the page, saying so (and `because`, why Haven did not), and the address stays `bare`."""
    results = page.locator("#resource-results")
    notice = results.get_by_role("status")
    # Whatever was shown before goes, so that only this search's answer can pass.
    page.evaluate("document.getElementById('resource-results').replaceChildren()")
    page.locator("#resource-search").get_by_role("button", name="Search").tap()
    if because:
        expect(notice).to_contain_text(because)
    expect(notice).to_contain_text("saved on this phone")
    expect(results.get_by_role("heading", name="1 result · near Mesa")).to_be_visible()
    expect(results).to_contain_text("Mesa Food Bank")
    expect(page).to_have_url(bare)


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
    the_phones_copy_answers(page, bare)
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


def test_with_haven_unreachable_the_search_answers_from_the_phone_and_refers_there(
    page, sam, participant, clinics
):
    """The phone shows signal but Haven does not answer: the search is not lost on the
    browser's error page; the phone answers, says so, and its Refer opens the phone's
    referral screen with the person, the need and the resource chosen."""
    _bupe, food_bank = clinics
    address = f"/resources/participant/{participant.pk}/"
    bare = re.compile(re.escape(address) + "$")
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/api/v1/resources")
    assert page.evaluate(HOLDS_KEYS)
    asked = addresses_asked(page)
    page.goto(address)
    form = page.locator("#resource-search")
    results = page.locator("#resource-results")
    form.get_by_label("Food").check()
    form.get_by_label("Or near a ZIP code or city").fill("Mesa")
    notice = results.get_by_role("status")

    def cut_off(answer):
        """Haven's answer to the search, and to nothing else, replaced by `answer`."""

        def route(route):
            if route.request.method == "POST":
                answer(route)
            else:
                route.continue_()

        page.route(f"**{address}", route)
        return route

    unreachable = "Haven cannot be reached"
    # No answer at all (Haven down, the connection cut) ...
    cut = cut_off(lambda route: route.abort("internetdisconnected"))
    the_phones_copy_answers(page, bare, because=unreachable)
    assert_accessible(page)
    page.unroute(f"**{address}", cut)

    # ... a proxy's answer for a Haven that is down ...
    cut = cut_off(lambda route: route.fulfill(status=502, body="Bad gateway"))
    the_phones_copy_answers(page, bare, because=unreachable)
    page.unroute(f"**{address}", cut)

    # ... or none in time (a captive portal holding the connection).
    held = []
    cut = cut_off(held.append)
    the_phones_copy_answers(page, bare, because=unreachable)
    assert held, "the search was not sent: the check above proves nothing"

    # The phone's result refers on the phone's referral screen, all chosen, the address bare.
    results.get_by_role("button", name="Refer to Mesa Food Bank").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a referral")
    expect(page.get_by_label("Card code")).to_have_value(participant.display_code)
    expect(page.get_by_label("Need")).to_have_value("food")
    expect(page.get_by_label("Resource")).to_have_value(str(food_bank.pk))
    expect(page).to_have_url(re.compile(r"/resources/referrals/new/$"))
    assert_accessible(page)
    page.get_by_role("button", name="Make the referral").tap()
    expect(page.locator("#referral-kept")).to_have_text(
        "Referral made. It is on your follow-up list."
    )
    referral = Referral.objects.get()
    assert (referral.participant, referral.resource, referral.need) == (
        participant,
        food_bank,
        "food",
    )
    never_named(asked, participant, "food", "Mesa")

    # Once Haven answers again, the search is Haven's again.
    page.unroute(f"**{address}", cut)
    page.goto(address)
    form.get_by_label("Food").check()
    form.get_by_label("Or near a ZIP code or city").fill("Mesa")
    form.get_by_role("button", name="Search").tap()
    expect(results.get_by_role("link", name="Mesa Food Bank", exact=True)).to_be_visible()
    expect(notice).to_have_count(0)

    # Haven stops answering after its results came: their Refer opens the phone's screen.
    refer_address = f"{address}refer/{food_bank.pk}/"
    sent_to_haven = []
    page.route("**/healthz", lambda route: route.abort("internetdisconnected"))
    page.route(f"**{refer_address}", lambda route: sent_to_haven.append(route) or route.abort())
    results.get_by_role("button", name="Refer to Mesa Food Bank").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a referral")
    expect(page.get_by_label("Card code")).to_have_value(participant.display_code)
    expect(page.get_by_label("Need")).to_have_value("food")
    expect(page.get_by_label("Resource")).to_have_value(str(food_bank.pk))
    assert not sent_to_haven


def test_with_no_signal_a_result_s_refer_opens_the_phone_s_referral_screen(
    page, sam, participant, clinics
):
    """Haven's results are on the screen when the signal goes: their Refer (a POST the
    service worker cannot answer) opens the phone's referral screen instead, the need and
    the resource chosen there, carried over sealed and never in the address."""
    bupe, _food_bank = clinics
    address = f"/resources/participant/{participant.pk}/"
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    for path in ("/api/v1/resources", "/resources/referrals/new/"):
        assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, path), path
    assert page.evaluate(HOLDS_KEYS)
    asked = addresses_asked(page)
    page.goto(address)
    form = page.locator("#resource-search")
    results = page.locator("#resource-results")
    form.get_by_label("Buprenorphine").check()
    form.get_by_role("button", name="Search").tap()
    refer = results.get_by_role("button", name="Refer to Always Open Bupe")
    expect(refer).to_be_visible()

    page.context.set_offline(True)
    refer.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a referral")
    expect(page.get_by_label("Card code")).to_have_value(participant.display_code)
    expect(page.get_by_label("Need")).to_have_value("buprenorphine")
    expect(page.get_by_label("Resource")).to_have_value(str(bupe.pk))
    expect(page).to_have_url(re.compile(r"/resources/referrals/new/$"))
    page.get_by_role("button", name="Make the referral").tap()
    expect(page.locator("#referral-kept")).to_have_text(
        "Referral saved on this phone. It will be sent when there is signal."
    )
    # The need and the resource were carried over once: the screen opened again starts empty.
    page.goto("/resources/referrals/new/")
    expect(page.get_by_label("Card code")).to_have_value(participant.display_code)
    expect(page.get_by_label("Need")).to_have_value("")

    page.goto("/outreach/log/")
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    referral = Referral.objects.get()
    assert (referral.participant, referral.resource, referral.need) == (
        participant,
        bupe,
        "buprenorphine",
    )
    never_named(asked, participant, "buprenorphine")
