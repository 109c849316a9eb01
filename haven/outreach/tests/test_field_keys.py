"""The keys that seal participant data on the phone: who gets them, and when they are gone."""

import base64
import json
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from haven.accounts.middleware import LAST_SEEN_KEY
from haven.accounts.tests.test_two_factor import enrol
from haven.api.tests.client import api_client
from haven.core.models import AuditEntry
from haven.outreach.field_keys import SESSION_KEY
from haven.outreach.models import FieldDeviceKey

pytestmark = pytest.mark.django_db

URL = "/api/v1/field-keys"
PHONE = str(uuid.uuid4())


def ask(client, device=PHONE):
    return client.post(URL, json.dumps({"device": device}), content_type="application/json")


def signed_in(user):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def key_bytes(key):
    return base64.b64decode(key["key"], validate=True)


def test_a_signed_in_specialist_gets_two_random_256_bit_keys_not_to_be_cached(sam):
    response = ask(signed_in(sam))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    keys = response.json()
    assert len(key_bytes(keys["session"])) == len(key_bytes(keys["device"])) == 32
    assert keys["session"]["key"] != keys["device"]["key"]


def test_the_session_key_is_kept_with_the_session_and_the_device_key_stored_encrypted(sam):
    client = signed_in(sam)
    keys = ask(client).json()
    assert client.session[SESSION_KEY] == keys["session"]
    assert ask(client).json() == keys
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {FieldDeviceKey._meta.db_table}")
        [(stored,)] = cursor.fetchall()
    assert keys["device"]["key"] not in stored  # the database holds it encrypted
    assert FieldDeviceKey.objects.get().key == keys["device"]["key"]


def test_the_session_key_is_made_at_sign_in_and_pages_name_its_id(sam, downtown):
    client = signed_in(sam)
    made = client.session[SESSION_KEY]
    page = client.get(reverse("outreach:quick_log")).content.decode()
    assert f'data-key-id="{made["id"]}"' in page
    assert ask(client).json()["session"] == made


def test_the_key_is_in_no_page_url_or_audit_entry(sam, downtown):
    client = signed_in(sam)
    keys = ask(client).json()
    page = client.get(reverse("outreach:quick_log")).content.decode()
    assert keys["session"]["key"] not in page
    # The page names the session's key (so the phone can tell a new session), not the key.
    assert f'data-key-id="{keys["session"]["id"]}"' in page
    for entry in AuditEntry.objects.all():
        assert keys["session"]["key"] not in str(entry.__dict__)
        assert keys["device"]["key"] not in str(entry.__dict__)


def test_a_new_session_on_the_same_phone_gets_a_new_session_key_and_the_same_device_key(sam):
    first = ask(signed_in(sam)).json()
    again = ask(signed_in(sam)).json()
    assert again["session"]["key"] != first["session"]["key"]
    assert again["device"] == first["device"]


def test_each_phone_and_each_user_has_its_own_device_key(sam, sue):
    mine = ask(signed_in(sam)).json()["device"]
    other_phone = ask(signed_in(sam), device=str(uuid.uuid4())).json()["device"]
    colleague = ask(signed_in(sue)).json()["device"]
    assert len({mine["key"], other_phone["key"], colleague["key"]}) == 3


def test_logout_destroys_both_keys_and_the_endpoint_refuses(sam):
    client = signed_in(sam)
    before = ask(client).json()
    client.post(reverse("accounts:logout"))
    assert ask(client).status_code == 401
    assert not FieldDeviceKey.objects.exists()
    # Signing in again on that phone: what was sealed before stays unreadable.
    after = ask(signed_in(sam)).json()
    assert after["session"]["key"] != before["session"]["key"]
    assert after["device"]["key"] != before["device"]["key"]


def test_logout_on_one_phone_leaves_the_other_phones_key(sam):
    other_phone = str(uuid.uuid4())
    kept = ask(signed_in(sam), device=other_phone).json()["device"]
    client = signed_in(sam)
    ask(client)
    client.post(reverse("accounts:logout"))
    assert list(FieldDeviceKey.objects.values_list("device", flat=True)) == [uuid.UUID(other_phone)]
    assert ask(signed_in(sam), device=other_phone).json()["device"] == kept


def test_a_session_that_timed_out_keeps_the_device_key_for_the_next_sign_in(sam, settings):
    settings.HAVEN_IDLE_TIMEOUT_MINUTES = 30
    client = signed_in(sam)
    before = ask(client).json()
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 31 * 60
    session.save()
    assert ask(client).status_code == 401  # the session key went with the session
    after = ask(signed_in(sam)).json()
    assert after["device"] == before["device"]  # the queued contacts can be read and sent
    assert after["session"]["key"] != before["session"]["key"]


def test_a_session_that_expired_keeps_the_device_key(sam):
    client = signed_in(sam)
    before = ask(client).json()
    client.cookies.clear()  # the session cookie expired
    assert ask(client).status_code == 401
    assert ask(signed_in(sam)).json()["device"] == before["device"]


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_a_role_without_field_work_is_refused(role, personas):
    response = ask(signed_in(personas[role]))
    assert response.status_code == 403
    assert not FieldDeviceKey.objects.exists()


def test_nobody_signed_out_gets_a_key(client, db):
    assert ask(client).status_code == 401


def test_a_device_token_gets_no_key_the_session_key_lives_in_a_session(sam):
    assert ask(api_client(sam)).status_code == 401


def test_a_session_without_its_second_factor_gets_no_key(sam):
    enrol(sam)
    response = ask(signed_in(sam))
    assert response.status_code == 403
    assert "second factor" in response.json()["detail"]
    assert not FieldDeviceKey.objects.exists()


def test_a_get_is_not_answered(sam):
    assert signed_in(sam).get(URL).status_code == 405


@pytest.mark.parametrize("device", ["", "phone-1", "../../etc"])
def test_a_device_id_that_is_not_a_uuid_is_refused(sam, device):
    response = ask(signed_in(sam), device=device)
    assert response.status_code == 400
    assert not FieldDeviceKey.objects.exists()


def test_an_expired_sessions_key_is_deleted_from_the_database_on_schedule(sam, settings):
    from django.contrib.sessions.models import Session

    from haven.outreach.tasks import clear_expired_sessions

    assert "haven.outreach.tasks.clear_expired_sessions" in settings.SCHEDULED_TASKS
    expired, live = signed_in(sam), signed_in(sam)
    ask(expired)
    ask(live)
    Session.objects.filter(session_key=expired.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    clear_expired_sessions.call()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session.session_key]
    assert SESSION_KEY in live.session
