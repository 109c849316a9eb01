"""A staff session unused for HAVEN_IDLE_TIMEOUT_MINUTES ends; deactivated users are out at once."""

import time

from django.test import Client
from django.urls import reverse

from haven.accounts.middleware import LAST_SEEN_KEY
from haven.api.models import DeviceToken
from haven.core.models import AuditEntry

HOME = reverse("core:home")


def idle_for(client, seconds):
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_a_session_unused_for_the_timeout_is_ended(login, sam, settings):
    settings.HAVEN_IDLE_TIMEOUT_MINUTES = 30
    client = login(sam)
    client.get(HOME)
    idle_for(client, 31 * 60)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    page = client.get(response.url)
    assert b"logged out after 30 minutes without use" in page.content
    assert AuditEntry.objects.filter(user=sam, action=AuditEntry.Action.LOGOUT).exists()


def test_a_session_in_use_goes_on(login, sam, settings):
    settings.HAVEN_IDLE_TIMEOUT_MINUTES = 30
    client = login(sam)
    idle_for(client, 29 * 60)
    assert client.get(HOME).status_code == 200
    # Using it starts the clock again.
    assert time.time() - client.session[LAST_SEEN_KEY] < 5


def test_an_idle_session_cannot_use_the_api(login, sam, settings):
    settings.HAVEN_IDLE_TIMEOUT_MINUTES = 30
    client = login(sam)
    client.get(HOME)
    idle_for(client, 31 * 60)
    assert client.get("/api/v1/participants/recent").status_code == 401


def test_a_timeout_of_zero_turns_it_off(login, sam, settings):
    settings.HAVEN_IDLE_TIMEOUT_MINUTES = 0
    client = login(sam)
    idle_for(client, 24 * 60 * 60)
    assert client.get(HOME).status_code == 200


def test_logging_in_starts_the_clock(client, sam):
    from conftest import PASSWORD

    client.post(reverse("accounts:login"), {"username": "sam", "password": PASSWORD})
    assert time.time() - client.session[LAST_SEEN_KEY] < 5


def test_a_deactivated_users_session_and_device_token_are_refused_at_once(login, sam):
    client = login(sam)
    _device, token = DeviceToken.issue(sam, "Work phone")
    api = Client(headers={"authorization": f"Bearer {token}"})
    assert client.get(HOME).status_code == 200
    assert api.get("/api/v1/participants/recent").status_code == 200
    sam.is_active = False
    sam.save()
    response = client.get(HOME)
    assert response.status_code == 302
    assert b"Your account is deactivated" in client.get(response.url).content
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/participants/recent").status_code == 401
    refused = api.get("/api/v1/participants/recent")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "This account is deactivated."
    reasons = AuditEntry.objects.filter(user=sam, action=AuditEntry.Action.REFUSED)
    assert sorted(entry.object_type for entry in reasons) == ["accounts.user", "api.devicetoken"]
