"""An administrator makes an account, gives it a site and deactivates it, on a phone."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.accounts.models import User
from haven.core.tests.browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_makes_an_account_changes_its_sites_and_deactivates_it(
    page, adam, sam, downtown, eastside
):
    log_in(page, "adam", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    expect(page.get_by_role("table", name="Staff accounts")).to_contain_text("sam")
    assert_accessible(page)

    page.get_by_role("link", name="New staff account").click()
    page.get_by_label("Username").fill("rosa")
    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("Role").select_option(label="Specialist")
    page.get_by_label("Downtown").check()
    page.get_by_label("Initial password").fill("rosa")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This password is too short")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Initial password").fill("a quiet river at dawn")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Made the account rosa.")).to_be_visible()

    page.get_by_role("link", name="rosa").click()
    page.get_by_label("Eastside").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row", name="rosa")).to_contain_text("Downtown, Eastside")

    page.get_by_role("link", name="rosa").click()
    assert_accessible(page)
    page.get_by_role("button", name="Deactivate rosa").click()
    expect(page.get_by_text("rosa can no longer log in")).to_be_visible()
    expect(page.get_by_role("row", name="rosa")).to_contain_text("deactivated")
    assert not User.objects.get(username="rosa").is_active


def test_admin_closes_a_site_on_a_phone(page, adam, downtown):
    log_in(page, "adam", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sites").click()
    page.get_by_role("link", name="Downtown").click()
    assert_accessible(page)
    page.get_by_role("button", name="Close Downtown").click()
    expect(page.get_by_text("Downtown is closed; its records are kept.")).to_be_visible()
    expect(page.get_by_role("button", name="Open Downtown again")).to_be_visible()
