"""Passkeys in a real Chromium, with its virtual authenticator driven through DevTools."""

import re

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.accounts.tests.test_two_factor import code_for, enrol
from haven.core.models import AuditEntry
from haven.core.tests.browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authenticator(page, settings, live_server):
    """A platform authenticator that always says yes, as a phone's screen lock would."""
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return devtools


def sign_in_with_app(page, user, app):
    log_in(page, user.username, PASSWORD)
    page.goto("/accounts/verify/")
    page.get_by_role("textbox", name=re.compile(r"^Code")).fill(code_for(app))
    page.get_by_role("button", name="Continue").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/verify/"))


def add_passkey(page, user):
    page.goto("/accounts/two-factor/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-register-status-message")).to_contain_text("successful")
    assert WebAuthnCredential.objects.filter(user=user, confirmed=True).count() == 1


# What the field app's logged-out page does in the background: wipe the phone,
# service worker included. Its fetches run on for a moment after a logout.
PHONE_WIPED = """async function () {
  const workers = await navigator.serviceWorker.getRegistrations();
  const caches_ = (await caches.keys()).filter((n) => n.startsWith("haven-"));
  return workers.length === 0 && caches_.length === 0;
}"""


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    # As a person would, sign in again once the page has settled (its passkey
    # script runs only after the library's translations: passkeys.py).
    page.wait_for_load_state("load")
    page.wait_for_function(PHONE_WIPED)


def test_a_passkey_as_the_second_factor_and_to_sign_in_without_a_password(page, sam, authenticator):
    app = enrol(sam)
    sign_in_with_app(page, sam, app)
    add_passkey(page, sam)
    assert AuditEntry.objects.filter(
        user=sam,
        action=AuditEntry.Action.CREATE,
        object_type="django_otp_webauthn.webauthncredential",
    ).exists()
    log_out(page)

    # After the password, the passkey instead of a code.
    log_in(page, "sam", PASSWORD)
    page.goto("/participants/")
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    assert_accessible(page)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(re.compile(r"/participants/$"))
    log_out(page)

    # No password at all: the passkey alone, which is both factors.
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto("/participants/")
    expect(page).to_have_url(re.compile(r"/participants/$"))
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SECOND_FACTOR_FAILED).exists()


def test_a_passkey_answer_for_another_origin_is_refused_and_audited(
    page, sam, authenticator, settings
):
    app = enrol(sam)
    sign_in_with_app(page, sam, app)
    add_passkey(page, sam)
    log_out(page)

    # Haven now only accepts another site's origin: what this browser signs
    # for http://localhost is what a phishing site would relay.
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://haven.example.org"]
    log_in(page, "sam", PASSWORD)
    page.goto("/accounts/verify/")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.locator("#passkey-verification-status-message")).not_to_be_empty()
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    page.goto("/participants/")
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    entry = AuditEntry.objects.get(user=sam, action=AuditEntry.Action.SECOND_FACTOR_FAILED)
    assert entry.detail["method"] == "passkey"
