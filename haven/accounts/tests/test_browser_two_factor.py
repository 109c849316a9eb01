"""Setting up two-factor sign-in and signing in with it, in a real browser on a phone."""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_code(key_text):
    key = base64.b32decode(key_text.replace(" ", ""))
    return f"{TOTP(key).token():06d}"


def test_specialist_sets_up_an_app_then_signs_in_with_a_recovery_code(page, sam, settings):
    settings.HAVEN_REQUIRE_TWO_FACTOR = True
    log_in(page, "sam", PASSWORD)
    # Required: any page leads to setting up an app first.
    page.goto("/participants/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/"))
    expect(page.get_by_role("alert")).to_contain_text("requires a second factor")
    assert_accessible(page)
    page.get_by_role("link", name="Set up an authenticator app").click()

    expect(page.get_by_role("img", name="QR code to add Haven")).to_be_visible()
    assert_accessible(page)
    key = page.locator("code.token").inner_text()
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("That code does not match")
    # django-otp slows down the next try after a wrong code.
    time.sleep(1.1)
    page.get_by_label("Code from the app").fill(current_code(key))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page)
    page.get_by_role("link", name="I have kept them, go on").click()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "sam", PASSWORD)
    page.goto("/participants/")
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Type your code")
    assert_accessible(page)
    page.get_by_role("textbox", name=re.compile(r"^Code")).fill(codes[0].upper())
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/participants/$"))
