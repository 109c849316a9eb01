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
    from haven.accounts.models import StaffSession as Session
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


# A phone that is never logged out does not keep one device key for ever.


def age(days):
    """Make every device key as old as this, and last handed out then."""
    then = timezone.now() - timedelta(days=days)
    FieldDeviceKey.objects.update(created_at=then, handed_at=then)


def release(client, ids, device=PHONE):
    body = json.dumps({"device": device, "ids": ids})
    return client.post(URL + "/release", body, content_type="application/json")


def test_a_device_key_past_its_lifetime_is_replaced_and_still_handed_out_to_open_old_records(
    sam, settings
):
    settings.HAVEN_FIELD_DEVICE_KEY_DAYS = 30
    first = ask(signed_in(sam)).json()
    assert first["retired"] == []
    age(29)
    assert ask(signed_in(sam)).json()["device"] == first["device"]  # not yet
    age(31)
    rotated = ask(signed_in(sam)).json()
    # New records are sealed with a new key; the old one opens what it sealed.
    assert rotated["device"]["key"] != first["device"]["key"]
    assert rotated["retired"] == [first["device"]]
    # Until the phone releases it, every sign-in hands it out again.
    client = signed_in(sam)
    again = ask(client).json()
    assert again["device"] == rotated["device"] and again["retired"] == [first["device"]]

    assert release(client, [first["device"]["id"]]).status_code == 204
    assert ask(client).json()["retired"] == []
    assert list(FieldDeviceKey.objects.values_list("key", flat=True)) == [rotated["device"]["key"]]


def test_releasing_never_deletes_the_key_that_seals_nor_another_users_or_phones(sam, sue):
    other_phone = str(uuid.uuid4())
    mine = ask(signed_in(sam)).json()["device"]
    ask(signed_in(sam), device=other_phone)
    age(400)
    retired_elsewhere = ask(signed_in(sam), device=other_phone).json()["retired"][0]
    colleague = signed_in(sue)
    theirs = ask(colleague).json()["device"]
    client = signed_in(sam)
    current = ask(client).json()
    assert current["retired"] == [mine]
    # Sam's current key, Sue's key, and Sam's other phone's retired key stay.
    ids = [current["device"]["id"], theirs["id"], retired_elsewhere["id"], "x", "-1", "²", "9" * 19]
    assert release(client, ids).status_code == 204
    assert FieldDeviceKey.objects.count() == 5
    assert release(colleague, [mine["id"]]).status_code == 204
    assert FieldDeviceKey.objects.count() == 5


def test_the_lifetime_is_a_setting(sam, settings):
    settings.HAVEN_FIELD_DEVICE_KEY_DAYS = 2
    first = ask(signed_in(sam)).json()["device"]
    age(3)
    assert ask(signed_in(sam)).json()["retired"] == [first]


def test_asking_twice_after_the_lifetime_rotates_once(sam):
    client = signed_in(sam)
    ask(client)
    age(40)
    answers = [ask(client).json(), ask(client).json()]
    assert answers[0]["device"] == answers[1]["device"]
    assert FieldDeviceKey.objects.filter(retired_at__isnull=True).count() == 1


def test_the_hourly_cleanup_deletes_the_keys_of_phones_not_signed_in_on_for_a_lifetime(
    sam, settings
):
    from haven.outreach.tasks import clear_expired_sessions

    settings.HAVEN_FIELD_DEVICE_KEY_DAYS = 30
    lost_phone = str(uuid.uuid4())
    ask(signed_in(sam), device=lost_phone)
    ask(signed_in(sam))
    age(31)
    # The phone in use: its old key was retired today, and both were handed out today.
    in_use = ask(signed_in(sam)).json()
    assert len(in_use["retired"]) == 1
    clear_expired_sessions.call()
    assert set(FieldDeviceKey.objects.values_list("device", flat=True)) == {uuid.UUID(PHONE)}
    assert {key.key for key in FieldDeviceKey.objects.all()} == {
        in_use["device"]["key"],
        *(old["key"] for old in in_use["retired"]),
    }
    # Nor does a retired key go while its phone still comes back for it.
    FieldDeviceKey.objects.update(handed_at=timezone.now() - timedelta(days=29))
    clear_expired_sessions.call()
    assert FieldDeviceKey.objects.count() == 2
    FieldDeviceKey.objects.update(handed_at=timezone.now() - timedelta(days=31))
    clear_expired_sessions.call()
    assert not FieldDeviceKey.objects.exists()


def test_logout_destroys_the_retired_keys_too(sam):
    ask(signed_in(sam))
    age(40)
    client = signed_in(sam)
    assert len(ask(client).json()["retired"]) == 1
    client.post(reverse("accounts:logout"))
    assert not FieldDeviceKey.objects.exists()
