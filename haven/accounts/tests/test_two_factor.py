"""Two-factor sign-in: enrolment, the code page, recovery codes, required 2FA, lockout."""

import base64
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import RequestContext, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from haven.accounts.actions import do_reset_second_factor
from haven.accounts.models import RecoveryCode, RecoveryCodeDevice
from haven.accounts.passkeys import AccountLockedOut, CompleteAuthentication
from haven.api.actions import do_issue_device_token
from haven.core.models import AuditEntry

HOME = reverse("core:home")
LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")
TWO_FACTOR = reverse("accounts:two_factor")
APP = reverse("accounts:two_factor_app")
RECOVERY_CODES = ["aaaa2222", "bbbb3333"]


def code_for(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrol(user):
    """An authenticator app and two recovery codes, as after enrolment."""
    app = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    recovery = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for code in RECOVERY_CODES:
        RecoveryCode.hashed(recovery, code).save()
    return app


def verified_client(user, device):
    """A client whose session gave `device` as its second factor."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def password_step(user):
    client = Client()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def failures(user, action=AuditEntry.Action.SECOND_FACTOR_FAILED):
    return AuditEntry.objects.filter(user=user, action=action)


@pytest.fixture
def required(settings):
    settings.HAVEN_REQUIRE_TWO_FACTOR = True


@pytest.fixture
def no_throttle(settings):
    """django-otp's own delay after a wrong code; off where a test types a right one at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# Enrolment


def test_enrolling_an_authenticator_app_shows_a_qr_code_and_the_key(login, sam, required):
    response = login(sam).get(APP)
    assert response.status_code == 200
    assert b"<svg" in response.content
    device = TOTPDevice.objects.get(user=sam)
    assert not device.confirmed
    key = response.context["secret"].replace(" ", "")
    assert key in device.config_url
    assert response["Cache-Control"] == "no-store"


def test_confirming_the_app_with_its_code_gives_ten_recovery_codes_once(login, sam, required):
    client = login(sam)
    client.get(APP)
    device = TOTPDevice.objects.get(user=sam)
    response = client.post(APP, {"code": code_for(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert code.encode() in response.content
    assert response["Cache-Control"] == "no-store"
    device.refresh_from_db()
    assert device.confirmed
    assert RecoveryCode.objects.filter(device__user=sam).count() == 10
    # The session that enrolled is verified: the rest of Haven opens.
    assert client.get(HOME).status_code == 200
    assert AuditEntry.objects.filter(
        user=sam, action=AuditEntry.Action.CREATE, object_type="otp_totp.totpdevice"
    ).exists()
    # The codes are never shown again.
    assert b"aaaa" not in client.get(TWO_FACTOR).content
    assert codes[0].encode() not in client.get(TWO_FACTOR).content


def test_a_wrong_code_at_enrolment_changes_nothing_and_is_audited(login, sam, required):
    client = login(sam)
    client.get(APP)
    response = client.post(APP, {"code": "000000"})
    assert response.status_code == 400
    assert b"That code does not match" in response.content
    assert not TOTPDevice.objects.filter(user=sam, confirmed=True).exists()
    assert not RecoveryCodeDevice.objects.filter(user=sam).exists()
    assert failures(sam).get().detail == {"method": "totp", "reason": "wrong", "step": "enrol"}
    assert client.get(HOME).url.startswith(TWO_FACTOR)


def test_moving_to_a_new_app_replaces_the_old_one_and_keeps_recovery_codes(sam):
    old = enrol(sam)
    client = verified_client(sam, old)
    client.get(APP)
    new = TOTPDevice.objects.get(user=sam, confirmed=False)
    response = client.post(APP, {"code": code_for(new)})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=sam)) == [new]
    assert RecoveryCode.objects.filter(device__user=sam).count() == len(RECOVERY_CODES)
    # Still verified, now by the new app.
    assert client.get(HOME).status_code == 200


def test_new_recovery_codes_replace_the_old_ones(sam, no_throttle):
    app = enrol(sam)
    client = verified_client(sam, app)
    response = client.post(TWO_FACTOR, {"action": "new_recovery_codes"})
    codes = response.context["codes"]
    assert len(codes) == 10
    assert RECOVERY_CODES[0] not in codes
    # The old code no longer works; a new one does.
    client = password_step(sam)
    assert client.post(VERIFY, {"code": RECOVERY_CODES[0]}).status_code == 400
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 302


def test_an_unverified_session_cannot_make_new_recovery_codes(sam):
    enrol(sam)
    client = password_step(sam)
    response = client.post(TWO_FACTOR, {"action": "new_recovery_codes"})
    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert RecoveryCode.objects.filter(device__user=sam).count() == len(RECOVERY_CODES)


# Signing in


def test_sign_in_asks_for_the_code_after_the_password(sam):
    app = enrol(sam)
    client = password_step(sam)
    response = client.get(reverse("participants:find"))
    assert response.status_code == 302
    assert response.url == VERIFY + "?next=%2Fparticipants%2F"
    assert client.get(VERIFY).status_code == 200
    response = client.post(VERIFY, {"code": code_for(app), "next": "/participants/"})
    assert response.status_code == 302
    assert response.url == "/participants/"
    assert client.get(HOME).status_code == 200


def test_the_session_key_changes_when_the_second_factor_is_given(sam):
    app = enrol(sam)
    client = password_step(sam)
    key_after_password = client.session.session_key
    client.post(VERIFY, {"code": code_for(app)})
    assert client.session.session_key != key_after_password
    assert client.get(HOME).status_code == 200


def test_a_code_typed_with_spaces_works(sam):
    app = enrol(sam)
    code = code_for(app)
    client = password_step(sam)
    assert client.post(VERIFY, {"code": f" {code[:3]} {code[3:]} "}).status_code == 302


def test_a_wrong_code_is_refused_audited_and_opens_nothing(sam):
    enrol(sam)
    client = password_step(sam)
    response = client.post(VERIFY, {"code": "123456"})
    assert response.status_code == 400
    assert b"That code is wrong or was already used" in response.content
    assert failures(sam).get().detail == {"method": "totp", "reason": "wrong"}
    assert client.get(HOME).status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_code_cannot_be_used_twice(sam):
    app = enrol(sam)
    code = code_for(app)
    assert password_step(sam).post(VERIFY, {"code": code}).status_code == 302
    other = password_step(sam)
    response = other.post(VERIFY, {"code": code})
    assert response.status_code == 400
    assert b"already used" in response.content
    assert other.get(HOME).status_code == 302
    assert failures(sam).count() == 1


def test_a_recovery_code_works_once(sam):
    enrol(sam)
    client = password_step(sam)
    assert client.post(VERIFY, {"code": "AAAA-2222"}).status_code == 302
    assert client.get(HOME).status_code == 200
    assert RecoveryCode.objects.filter(device__user=sam).count() == len(RECOVERY_CODES) - 1
    again = password_step(sam)
    response = again.post(VERIFY, {"code": "aaaa2222"})
    assert response.status_code == 400
    assert b"That recovery code is wrong or was already used" in response.content
    assert failures(sam).get().detail == {"method": "recovery_code", "reason": "wrong"}
    assert again.get(HOME).status_code == 302


def test_the_code_page_does_not_redirect_elsewhere(sam):
    app = enrol(sam)
    client = password_step(sam)
    response = client.post(VERIFY, {"code": code_for(app), "next": "https://evil.example/"})
    assert response.url == HOME


def test_a_user_without_a_device_signs_in_with_the_password_alone_when_not_required(sam):
    client = password_step(sam)
    assert client.get(HOME).status_code == 200


def test_an_unverified_session_cannot_use_the_api(sam):
    enrol(sam)
    client = password_step(sam)
    response = client.get("/api/v1/participants/recent")
    assert response.status_code == 403
    assert "second factor" in response.json()["detail"]


def test_a_device_token_is_issued_only_from_a_verified_session(sam):
    enrol(sam)
    client = password_step(sam)
    response = client.post(reverse("accounts:settings"), {"action": "add_device", "name": "P"})
    assert response.status_code == 302
    assert not sam.device_tokens.exists()


def test_the_code_page_is_in_spanish(sam):
    enrol(sam)
    client = password_step(sam)
    response = client.get(VERIFY, headers={"accept-language": "es"})
    assert "Escriba su código".encode() in response.content


# Required two-factor


@pytest.mark.parametrize("role", ["specialist", "supervisor", "manager", "admin"])
def test_required_two_factor_sends_each_role_that_reads_records_to_enrol(
    role, personas, login, required
):
    client = login(personas[role])
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 302
    assert response.url.startswith(TWO_FACTOR)
    page = client.get(TWO_FACTOR)
    assert page.status_code == 200
    assert b"requires a second factor" in page.content


def test_required_two_factor_lets_an_analyst_in_without_a_device(ana, login, required):
    assert login(ana).get(reverse("accounts:settings")).status_code == 200


def test_without_the_requirement_nobody_is_sent_to_enrol(sam, login, settings):
    settings.HAVEN_REQUIRE_TWO_FACTOR = False
    assert login(sam).get(reverse("accounts:settings")).status_code == 200


def test_a_user_sent_to_enrol_can_still_log_out(sam, login, required):
    client = login(sam)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


# Lockout over the second factor


def test_repeated_wrong_codes_lock_the_account_like_wrong_passwords(sam, settings):
    app = enrol(sam)
    client = password_step(sam)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(VERIFY, {"code": "000000"}).status_code == 400
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    # The session is over, and the right password and code no longer help.
    assert "_auth_user_id" not in client.session
    response = Client().post(LOGIN, {"username": "sam", "password": PASSWORD})
    assert response.status_code == 429
    assert code_for(app)  # the app still works once the cool-off is over
    assert failures(sam).count() == settings.AXES_FAILURE_LIMIT


def test_logging_in_again_with_the_password_does_not_clear_wrong_codes(sam, settings):
    enrol(sam)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_step(sam).post(VERIFY, {"code": "000000"})
    client = password_step(sam)
    assert client.post(VERIFY, {"code": "000000"}).status_code == 429


def test_a_right_code_clears_earlier_wrong_ones(sam, settings, no_throttle):
    app = enrol(sam)
    client = password_step(sam)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(VERIFY, {"code": "000000"})
    assert client.post(VERIFY, {"code": code_for(app)}).status_code == 302
    client = password_step(sam)
    assert client.post(VERIFY, {"code": "000000"}).status_code == 400


def test_wrong_codes_in_quick_succession_are_throttled(sam):
    app = enrol(sam)
    client = password_step(sam)
    client.post(VERIFY, {"code": "000000"})
    response = client.post(VERIFY, {"code": code_for(app)})
    assert response.status_code == 400
    assert b"Wait a minute" in response.content
    assert [entry.detail["reason"] for entry in failures(sam).order_by("id")] == [
        "wrong",
        "throttled",
    ]


# Reset by an admin


def test_an_admin_resets_a_lost_second_factor(sam, adam, required):
    app = enrol(sam)
    client = verified_client(sam, app)
    assert do_reset_second_factor(sam, by=adam) == 2
    assert not TOTPDevice.objects.filter(user=sam).exists()
    assert not RecoveryCodeDevice.objects.filter(user=sam).exists()
    entry = AuditEntry.objects.get(user=adam, action=AuditEntry.Action.UPDATE)
    assert entry.object_id == str(sam.pk)
    assert entry.detail == {"second_factor": "reset", "devices": 2}
    # Sam signs in again with the password, and must enrol again.
    assert client.get(HOME).url.startswith(LOGIN)
    assert password_step(sam).get(HOME).url.startswith(TWO_FACTOR)


def test_a_reset_ends_the_lost_phones_session_and_token_before_they_set_up_a_new_app(
    sam, adam, required
):
    """Whoever holds the lost phone has its session (and maybe its API token), not
    the password: the reset must not leave them a way to set up an app of their own."""
    app = enrol(sam)
    lost_phone = verified_client(sam, app)
    _device, token = do_issue_device_token(sam, name="Work phone")
    do_reset_second_factor(sam, by=adam)
    response = lost_phone.get(APP)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    pending = TOTPDevice.objects.filter(user=sam, confirmed=False).first()
    if pending is not None:
        lost_phone.post(APP, {"code": code_for(pending)})
    assert not TOTPDevice.objects.filter(user=sam, confirmed=True).exists()
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/sites").status_code == 401


def test_an_admin_cannot_reset_their_own_second_factor(adam):
    enrol(adam)
    with pytest.raises(ValidationError):
        do_reset_second_factor(adam, by=adam)
    assert TOTPDevice.objects.filter(user=adam).exists()
    assert not AuditEntry.objects.filter(user=adam, action=AuditEntry.Action.UPDATE).exists()


@pytest.mark.parametrize("role", ["specialist", "supervisor", "manager", "analyst"])
def test_only_an_admin_resets_a_second_factor(role, personas, sam):
    enrol(sam)
    by = personas[role] if role != "specialist" else personas["other_site_specialist"]
    with pytest.raises(PermissionDenied):
        do_reset_second_factor(sam, by=by)
    assert TOTPDevice.objects.filter(user=sam).exists()


# Passkeys (the ceremonies themselves are in test_browser_passkeys.py)


def test_a_session_at_the_code_page_may_start_a_passkey_check_but_not_add_one(sam):
    enrol(sam)
    client = password_step(sam)
    begin = client.post(reverse("otp_webauthn:credential-authentication-begin"))
    assert begin.status_code == 200
    assert "challenge" in begin.json()
    refused = client.post(reverse("otp_webauthn:credential-registration-begin"))
    assert refused.status_code == 302
    assert refused.url.startswith(VERIFY)


def test_a_made_up_passkey_answer_is_refused_audited_and_counted(sam, settings):
    enrol(sam)
    client = password_step(sam)
    client.post(reverse("otp_webauthn:credential-authentication-begin"))
    response = client.post(
        reverse("otp_webauthn:credential-authentication-complete"),
        {"id": "bm9wZQ", "rawId": "bm9wZQ", "type": "public-key", "response": {}},
        content_type="application/json",
    )
    assert response.status_code >= 400
    assert failures(sam).get().detail["method"] == "passkey"
    assert client.get(HOME).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(VERIFY, {"code": "000000"})
    assert "_auth_user_id" not in client.session


def test_the_django_admin_never_shows_an_authenticator_key(sam, root):
    app = enrol(sam)
    client = verified_client(root, enrol(root))
    response = client.get(reverse("admin:otp_totp_totpdevice_change", args=[app.pk]))
    assert response.status_code == 200
    assert app.key.encode() not in response.content
    assert base64.b32encode(app.bin_key) not in response.content


def a_passkey(user, name="Laptop"):
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.create(
        user=user,
        name=name,
        credential_id=f"id-{user.pk}-{name}".encode(),
        public_key=b"not a real key",
        aaguid="00000000-0000-0000-0000-000000000000",
    )


def test_removing_ones_own_passkey(sam):
    passkey = a_passkey(sam)
    client = verified_client(sam, enrol(sam))
    assert b"Remove Laptop" in client.get(TWO_FACTOR).content
    response = client.post(TWO_FACTOR, {"action": "remove_passkey", "passkey": passkey.pk})
    assert response.status_code == 302
    assert not sam.webauthncredential_set.exists()
    entry = AuditEntry.objects.get(user=sam, action=AuditEntry.Action.DELETE)
    assert entry.object_type == "django_otp_webauthn.webauthncredential"


def test_nobody_removes_someone_elses_passkey(sam, sue):
    passkey = a_passkey(sam)
    client = verified_client(sue, enrol(sue))
    response = client.post(TWO_FACTOR, {"action": "remove_passkey", "passkey": passkey.pk})
    assert response.status_code == 404
    assert sam.webauthncredential_set.exists()


def test_an_unverified_session_cannot_remove_a_passkey(sam, settings):
    passkey = a_passkey(sam)
    # A passkey alone is a device: the password leads to the code page.
    client = password_step(sam)
    response = client.post(TWO_FACTOR, {"action": "remove_passkey", "passkey": passkey.pk})
    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert sam.webauthncredential_set.exists()


def locked_out_by_wrong_passwords(user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": user.username, "password": "wrong"})
    assert failures(user, AuditEntry.Action.LOGIN_FAILED).count() == settings.AXES_FAILURE_LIMIT


def passwordless_check(passkey):
    """What the passkey sign-in checks before it logs anyone in, from a fresh session."""
    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    request.user = AnonymousUser()
    view = CompleteAuthentication()
    view.setup(request)
    view.check_device_usable(passkey)


def test_a_passkey_alone_does_not_sign_in_to_a_locked_account(sam, settings):
    passkey = a_passkey(sam)
    passwordless_check(passkey)  # not locked: usable
    locked_out_by_wrong_passwords(sam, settings)
    with pytest.raises(AccountLockedOut):
        passwordless_check(passkey)
    refused = failures(sam).get()
    assert refused.detail == {"method": "passkey", "reason": "locked_out"}


@pytest.mark.parametrize("kind", ["app", "recovery codes", "passkey"])
def test_any_confirmed_device_of_ones_own_counts_as_a_second_factor(sam, sue, kind):
    from haven.accounts.two_factor import has_device

    def add(user, confirmed):
        if kind == "passkey":
            device = a_passkey(user, name=f"Key {confirmed}")
            device.confirmed = confirmed
            device.save()
        elif kind == "app":
            TOTPDevice.objects.create(user=user, name="App", confirmed=confirmed)
        else:
            RecoveryCodeDevice.objects.create(user=user, name="Codes", confirmed=confirmed)

    add(sam, confirmed=False)
    add(sue, confirmed=True)
    assert not has_device(sam)  # unconfirmed, and someone else's
    assert has_device(sue)
    add(sam, confirmed=True)
    assert has_device(sam)


# The session's device is read with a statement of Haven's (two_factor.device_from_persistent_id).


def test_the_device_a_session_names_is_read_as_django_otp_reads_it(sam):
    from django_otp.models import Device

    from haven.accounts.two_factor import device_from_persistent_id

    app = enrol(sam)
    recovery = RecoveryCodeDevice.objects.get(user=sam)
    for device in (app, recovery):
        mine, theirs = (
            device_from_persistent_id(device.persistent_id),
            Device.from_persistent_id(device.persistent_id),
        )
        assert type(mine) is type(theirs)
        assert [getattr(mine, f.attname) for f in type(mine)._meta.concrete_fields] == [
            getattr(theirs, f.attname) for f in type(theirs)._meta.concrete_fields
        ]
    assert device_from_persistent_id(f"otp_totp.totpdevice/{app.pk + 1000}") is None


@pytest.mark.parametrize(
    "persistent_id",
    ["nonsense", "otp_totp.totpdevice/abc", "no_app.nomodel/1", "accounts.user/1", "a.b.c.d/1"],
)
def test_a_session_naming_no_device_is_not_verified(sam, persistent_id):
    enrol(sam)
    client = Client()
    client.force_login(sam)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = persistent_id
    session.save()
    assert client.get(HOME).status_code == 302  # to the code page
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_session_is_verified_only_by_its_users_confirmed_device_still_there(sam, adam):
    app = enrol(sam)
    assert verified_client(sam, app).get(HOME).status_code == 200
    # Another user's device does not verify sam's session.
    other = TOTPDevice.objects.create(user=adam, name="Adam's app", confirmed=True)
    assert verified_client(sam, other).get(HOME).status_code == 302
    # A device removed (a second-factor reset) ends the verification at once.
    client = verified_client(sam, app)
    app.delete()
    assert client.get(HOME).status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session
    # So does one no longer confirmed.
    again = enrol(sam)
    client = verified_client(sam, again)
    TOTPDevice.objects.filter(pk=again.pk).update(confirmed=False)
    assert client.get(HOME).status_code == 302


CATALOG_THEN_MODULE = re.compile(
    r'<script defer src="/[^"]*jsi18n[^"]*"></script>\s*'
    r'<script type="module" src="[^"]*otp_webauthn_(auth|register)\.js"></script>'
)


def test_the_passkey_buttons_translations_are_loaded_before_their_script(rf):
    """The passkey library's script calls gettext() when its button is tapped: the
    translation catalog runs before it (defer, in order), never after (async), so a
    button tapped on a page still loading does not throw and do nothing."""
    page = Client().get(reverse("accounts:login")).content.decode()
    assert CATALOG_THEN_MODULE.search(page).group(1) == "auth"
    request = rf.get("/accounts/two-factor/")
    scripts = Template("{% load passkeys %}{% render_otp_webauthn_register_scripts %}").render(
        RequestContext(request)
    )
    assert CATALOG_THEN_MODULE.search(scripts).group(1) == "register"
    assert " async" not in page + scripts
