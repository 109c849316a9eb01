"""Changing a password, and resetting a forgotten one by email."""

import re
from datetime import datetime, timedelta

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from conftest import PASSWORD
from haven.core.models import AuditEntry

CHANGE = reverse("accounts:password_change")
RESET = reverse("accounts:password_reset")
NEW_PASSWORD = "a brand new passphrase for sam"


def audited(user, action):
    return AuditEntry.objects.filter(user=user, action=action)


def test_changing_the_password_is_audited_and_ends_other_sessions(login, sam):
    here, elsewhere = login(sam), login(sam)
    response = here.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    sam.refresh_from_db()
    assert sam.check_password(NEW_PASSWORD)
    assert audited(sam, AuditEntry.Action.PASSWORD_CHANGED).count() == 1
    # This session goes on; the other one is logged out at once.
    assert here.get(reverse("core:home")).status_code == 200
    assert elsewhere.get(reverse("core:home")).status_code == 302


def test_a_wrong_old_password_changes_nothing(login, sam):
    response = login(sam).post(
        CHANGE,
        {"old_password": "guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert b"old password was entered incorrectly" in response.content
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)
    assert not audited(sam, AuditEntry.Action.PASSWORD_CHANGED).exists()


def test_the_password_page_is_in_spanish(login, sam):
    response = login(sam).get(CHANGE, headers={"accept-language": "es"})
    assert "Cambie su contraseña".encode() in response.content


def reset_link(sam):
    sam.email = "sam@example.org"
    sam.save()
    response = Client().post(RESET, {"email": "sam@example.org"})
    assert response.url == reverse("accounts:password_reset_sent")
    assert len(mail.outbox) == 1
    return re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)


def choose_password(client, link):
    form_url = client.get(link).url
    return client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def test_resetting_a_forgotten_password_by_email(sam, login):
    elsewhere = login(sam)
    link = reset_link(sam)
    assert "sam" in mail.outbox[0].body
    response = choose_password(Client(), link)
    assert response.url == reverse("accounts:password_reset_done")
    sam.refresh_from_db()
    assert sam.check_password(NEW_PASSWORD)
    assert audited(sam, AuditEntry.Action.PASSWORD_RESET).count() == 1
    assert elsewhere.get(reverse("core:home")).status_code == 302


def test_a_reset_link_works_once(sam):
    link = reset_link(sam)
    choose_password(Client(), link)
    response = Client().get(link)
    assert response.status_code == 200
    assert b"This link no longer works" in response.content
    assert b"expired or was already used" in response.content
    entry = audited(sam, AuditEntry.Action.REFUSED).get()
    assert "password reset link" in entry.detail["reason"]


def test_an_expired_reset_link_is_refused(sam, settings):
    class Yesterday(PasswordResetTokenGenerator):
        def _now(self):
            return datetime.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)

    token = Yesterday().make_token(sam)
    uid = urlsafe_base64_encode(force_bytes(sam.pk))
    link = reverse("accounts:password_reset_confirm", args=[uid, token])
    response = Client().get(link)
    assert b"This link no longer works" in response.content
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)
    assert audited(sam, AuditEntry.Action.REFUSED).exists()


def test_a_reset_for_an_unknown_address_says_the_same_and_sends_nothing(db):
    response = Client().post(RESET, {"email": "nobody@example.org"})
    assert response.url == reverse("accounts:password_reset_sent")
    assert mail.outbox == []


def test_the_login_page_links_to_the_reset(client, db):
    assert RESET.encode() in client.get(reverse("accounts:login")).content


# An admin sets staff emails and may reset a lost phone's second factor. Together
# they would let an admin become a field worker (email changed to theirs, a reset
# link, the second factor reset) and read participants under that person's name.


def test_no_reset_link_while_an_admins_reset_of_the_second_factor_is_pending(sam, adam, login):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from haven.accounts.actions import do_reset_second_factor

    TOTPDevice.objects.create(user=sam, name="Authenticator app", confirmed=True)
    do_reset_second_factor(sam, by=adam)
    sam.email = "adam-controls-this@example.org"
    sam.save()
    response = Client().post(RESET, {"email": "adam-controls-this@example.org"})
    # The same answer as for any address, so that nothing is given away; no email.
    assert response.url == reverse("accounts:password_reset_sent")
    assert mail.outbox == []
    # Once the person has signed in and set up a second factor again, links work.
    login(sam)
    TOTPDevice.objects.create(user=sam, name="New phone", confirmed=True)
    Client().post(RESET, {"email": "adam-controls-this@example.org"})
    assert len(mail.outbox) == 1


def test_no_second_factor_reset_after_a_password_reset_by_link_before_a_sign_in(sam, adam, login):
    import pytest
    from django.core.exceptions import ValidationError
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from haven.accounts.actions import do_reset_second_factor

    TOTPDevice.objects.create(user=sam, name="Authenticator app", confirmed=True)
    choose_password(Client(), reset_link(sam))
    with pytest.raises(ValidationError, match="signed in"):
        do_reset_second_factor(sam, by=adam)
    page = login(adam).post(
        reverse("accounts:staff_reset_second_factor", args=[sam.pk]), follow=True
    )
    assert "they must sign in once" in page.content.decode()
    assert TOTPDevice.objects.filter(user=sam).exists()
    refused = AuditEntry.objects.filter(action=AuditEntry.Action.REFUSED, user=adam)
    assert [entry.detail for entry in refused] == [
        {"reason": "second factor after a password reset by link"}
    ] * 2
    # Signed in with the new password (and the second factor), sam may lose a phone again.
    login(sam)
    assert do_reset_second_factor(sam, by=adam) == 1


def test_a_link_sent_before_an_admins_reset_of_the_second_factor_no_longer_works(sam, adam):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from haven.accounts.actions import do_reset_second_factor

    TOTPDevice.objects.create(user=sam, name="Authenticator app", confirmed=True)
    link = reset_link(sam)
    do_reset_second_factor(sam, by=adam)
    response = Client().get(link, follow=True)
    assert b"This link no longer works" in response.content
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)
