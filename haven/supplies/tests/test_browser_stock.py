"""From the shelf to a bag to a person, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.supplies import actions, stock

from .conftest import in_days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_restocks_a_bag_and_the_kit_handed_out_shows_in_stock(
    browser, live_server, page, sam, sue, participant, catalog, shelf, sams_bag, injection_kit
):
    actions.do_receive_stock(
        location=shelf,
        item=catalog["syringes"],
        quantity=200,
        lot_number="S-1",
        expires_on=in_days(365),
        by=sue,
    )
    log_in(page, "sue", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Stock").click()
    # The list of locations comes first; the low-stock table links the bag too.
    page.get_by_role("link", name="Sam's bag").first.click()
    # An empty bag shows the usual supplies it is out of, marked low.
    empty = page.get_by_role("table", name="On hand by item, with use in the last 30 days")
    expect(empty.get_by_role("row", name=re.compile(r"^Syringes 1cc 0 low"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Restock").click()
    page.get_by_label("From").select_option(label="Downtown shelf")
    page.get_by_label("Syringes 1cc").fill("50")
    assert_accessible(page)
    page.get_by_role("button", name="Move these").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Moved to Sam's bag from Downtown shelf: 50 × Syringes 1cc"
    )
    on_hand = page.get_by_role("table", name="On hand by item, with use in the last 30 days")
    expect(on_hand.get_by_role("row", name="Syringes 1cc 50")).to_be_visible()

    # The specialist, on a phone, hands out two safer injection kits.
    specialist = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}
    )
    phone = specialist.new_page()
    log_in(phone, "sam", PASSWORD)
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Log contact").click()
    phone.get_by_label("Card code").fill(participant.card_code)
    more_kits = phone.get_by_role("button", name="One more Safer injection kit")
    more_kits.click()
    more_kits.click()
    phone.get_by_role("button", name="Save contact").click()
    expect(phone.get_by_role("status")).to_have_text("Contact saved.")
    expect(phone.get_by_text("20 × Syringes 1cc")).to_be_visible()
    specialist.close()

    page.reload()
    expect(on_hand.get_by_role("row", name="Syringes 1cc 30 20")).to_be_visible()
    assert stock.on_hand(sams_bag, catalog["syringes"]) == 30


def test_handing_out_more_than_the_bag_holds_is_refused_on_the_phone(
    page, sam, participant, catalog, sams_bag
):
    actions.do_receive_stock(location=sams_bag, item=catalog["naloxone"], quantity=1, by=sam)
    log_in(page, "sam", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log contact").click()
    page.get_by_label("Card code").fill(participant.card_code)
    more = page.get_by_role("button", name="One more Naloxone nasal spray")
    more.tap()
    more.tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("alert")).to_contain_text(
        "Not enough Naloxone nasal spray at Sam's bag: 1 on hand, 2 asked."
    )
    expect(page.get_by_role("spinbutton", name="Naloxone nasal spray")).to_have_value("2")
    assert_accessible(page)
    assert stock.on_hand(sams_bag, catalog["naloxone"]) == 1
