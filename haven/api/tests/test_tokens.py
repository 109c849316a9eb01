"""Device tokens: made and revoked on the settings page; revoking stops the device at once."""

import re

import pytest
from django.urls import reverse

from haven.api.models import DeviceToken, hash_token
from haven.api.tests.client import ApiClient, api_client
from haven.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def make_token(client, name="Work phone"):
    response = client.post(reverse("accounts:settings"), {"action": "add_device", "name": name})
    assert response.status_code == 200
    match = re.search(r"haven_[A-Za-z0-9_-]{40,}", response.content.decode())
    assert match, "the token is shown once, at creation"
    return match.group(0)


def test_token_is_shown_once_and_only_its_hash_is_stored(login, sam):
    client = login(sam)
    token = make_token(client)
    device = DeviceToken.objects.get()
    assert device.name == "Work phone"
    assert device.token_hash == hash_token(token)
    assert token not in str(DeviceToken.objects.values_list())
    page = client.get(reverse("accounts:settings")).content.decode()
    assert "Work phone" in page
    assert token not in page
    assert AuditEntry.objects.filter(object_type="api.devicetoken", action="create").exists()


def test_a_device_uses_its_token_and_last_use_is_kept(login, sam, downtown):
    token = make_token(login(sam))
    response = ApiClient(token).get("/api/v1/sites")
    assert response.status_code == 200
    assert DeviceToken.objects.get().last_used_at is not None


def test_revoking_stops_that_device_at_once(login, sam, downtown):
    client = login(sam)
    token = make_token(client)
    other = make_token(client, "Tablet")
    phone = ApiClient(token)
    assert phone.get("/api/v1/sites").status_code == 200
    device = DeviceToken.objects.get(name="Work phone")
    response = client.post(
        reverse("accounts:settings"), {"action": "revoke_device", "device": device.pk}
    )
    assert response.status_code == 302
    refused = phone.get("/api/v1/sites")
    assert refused.status_code == 401
    assert "device token" in refused.json()["detail"]
    assert ApiClient(other).get("/api/v1/sites").status_code == 200


def test_nobody_revokes_another_persons_device(login, sam, sue):
    phone = api_client(sue)
    device = DeviceToken.objects.get(user=sue)
    response = login(sam).post(
        reverse("accounts:settings"), {"action": "revoke_device", "device": device.pk}
    )
    assert response.status_code == 404
    assert phone.get("/api/v1/sites").status_code == 200


def test_a_device_needs_a_name(login, sam):
    response = login(sam).post(reverse("accounts:settings"), {"action": "add_device", "name": " "})
    assert response.status_code == 400
    assert not DeviceToken.objects.exists()


def test_a_deactivated_users_token_stops_working(sam, downtown):
    phone = api_client(sam)
    sam.is_active = False
    sam.save()
    assert phone.get("/api/v1/sites").status_code == 401


def test_wrong_or_missing_token_is_a_401(db):
    assert ApiClient("haven_nonsense").get("/api/v1/sites").status_code == 401
    assert ApiClient("").get("/api/v1/items").status_code == 401


def test_the_web_session_works_with_csrf_and_is_refused_without(sam, downtown):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sam)
    assert client.get("/api/v1/sites").status_code == 200
    refused = client.post("/api/v1/sync", {"records": []}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get(reverse("outreach:quick_log"))
    csrf = client.cookies["csrftoken"].value
    allowed = client.post(
        "/api/v1/sync",
        {"records": []},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert allowed.status_code == 200
