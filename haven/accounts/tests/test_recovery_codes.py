"""Recovery codes are kept only as hashes: each signs in once, and whoever reads the
database (a backup, a dump) finds no code in it to sign in with."""

import io
import threading

import pytest
from django.contrib import admin
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user, verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from haven.accounts.actions import do_new_recovery_codes
from haven.accounts.models import RecoveryCode, RecoveryCodeDevice
from haven.accounts.tests.test_two_factor import (
    APP,
    RECOVERY_CODES,
    TWO_FACTOR,
    VERIFY,
    code_for,
    enrol,
    password_step,
    verified_client,
)
from haven.core.models import AuditEntry


@pytest.fixture
def no_throttle(settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def codes_from_enrolment(login, user):
    """Set up an app as a person does, and the ten codes Haven shows them then."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = login(user)
    client.get(APP)
    response = client.post(APP, {"code": code_for(TOTPDevice.objects.get(user=user))})
    return response.context["codes"]


def rows(model):
    """Every row of the model's table, each as the text of all its columns, as a
    copy of the database holds them."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a model's own table
        return [" ".join(str(value) for value in row) for row in cursor.fetchall()]


def recovery_devices(user):
    return [d for d in devices_for_user(user) if isinstance(d, RecoveryCodeDevice)]


# What a copy of the database holds


def test_a_copy_of_the_database_holds_no_recovery_code(login, sam):
    codes = codes_from_enrolment(login, sam)
    assert len(codes) == 10
    stored = list(RecoveryCode.objects.filter(device__user=sam))
    assert len(stored) == 10
    for row in stored:
        assert row.code_hash not in codes
        assert identify_hasher(row.code_hash).algorithm == get_hasher().algorithm
    for row in rows(RecoveryCode) + rows(RecoveryCodeDevice) + rows(StaticToken):
        for code in codes:
            assert code not in row.lower()
    # What `manage.py dumpdata` writes, as an attacker with a backup would read it.
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    for code in codes:
        assert code not in dump.getvalue().lower()
    # And the codes shown still sign in.
    assert password_step(sam).post(VERIFY, {"code": codes[3]}).status_code == 302


def test_with_the_production_hasher_a_code_is_an_argon2_hash_that_works_once(settings, sam):
    """One code, not ten: Argon2 takes a tenth of a second a hash, on purpose."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    device = RecoveryCodeDevice.objects.create(user=sam, name="Recovery codes")
    RecoveryCode.hashed(device, "aaaa2222").save()
    assert device.codes.get().code_hash.startswith("argon2$argon2id$")
    assert verify_token(sam, device.persistent_id, "aaaa2222") == device
    assert verify_token(sam, device.persistent_id, "aaaa2222") is None


# Each code signs in once


def test_a_code_works_once_then_is_refused(sam, no_throttle):
    enrol(sam)
    (device,) = recovery_devices(sam)
    assert verify_token(sam, device.persistent_id, RECOVERY_CODES[1]) == device
    assert verify_token(sam, device.persistent_id, RECOVERY_CODES[1]) is None
    # The other code is still there, and works.
    assert verify_token(sam, device.persistent_id, RECOVERY_CODES[0]) == device
    assert not RecoveryCode.objects.filter(device__user=sam).exists()
    device.refresh_from_db()
    assert device.last_used_at is not None


def test_a_wrong_code_is_refused_and_slows_the_next_try(sam):
    enrol(sam)
    (device,) = recovery_devices(sam)
    assert verify_token(sam, device.persistent_id, "zzzz7777") is None
    assert verify_token(sam, device.persistent_id, "") is None
    assert RecoveryCode.objects.filter(device__user=sam).count() == len(RECOVERY_CODES)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Right away, even a right code waits (django-otp's delay, 1, 2, 4… seconds).
    assert verify_token(sam, device.persistent_id, RECOVERY_CODES[0]) is None
    assert RecoveryCode.objects.filter(device__user=sam).count() == len(RECOVERY_CODES)


def test_someone_elses_code_does_not_sign_in(sam, sue, no_throttle):
    enrol(sam)
    sues_codes = do_new_recovery_codes(sue)
    client = password_step(sam)
    response = client.post(VERIFY, {"code": sues_codes[0]})
    assert response.status_code == 400
    assert RecoveryCode.objects.filter(device__user=sue).count() == 10


def test_the_page_counts_the_codes_left(sam, no_throttle):
    app = enrol(sam)
    client = password_step(sam)
    assert client.post(VERIFY, {"code": RECOVERY_CODES[0]}).status_code == 302
    page = verified_client(sam, app).get(TWO_FACTOR)
    assert page.context["recovery_left"] == 1
    assert b"You have 1 recovery code left." in page.content


@pytest.mark.django_db(transaction=True)
def test_two_sign_ins_racing_with_one_code_only_one_gets_in(sam, no_throttle):
    """Each has the device read already, as two requests at the code page at once."""
    enrol(sam)
    start = threading.Barrier(2, timeout=30)
    outcomes, errors = [], []

    def sign_in():
        try:
            (device,) = recovery_devices(sam)
            start.wait()
            outcomes.append(device.verify_token(RECOVERY_CODES[0]))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == [False, True]
    assert RecoveryCode.objects.filter(device__user=sam).count() == len(RECOVERY_CODES) - 1


# Making new codes


def test_new_codes_are_audited_by_count_only(sam):
    app = enrol(sam)
    response = verified_client(sam, app).post(TWO_FACTOR, {"action": "new_recovery_codes"})
    codes = response.context["codes"]
    (device,) = recovery_devices(sam)
    entry = AuditEntry.objects.get(user=sam, action=AuditEntry.Action.CREATE)
    assert (entry.object_type, entry.object_id) == ("accounts.recoverycodedevice", str(device.pk))
    assert entry.detail == {"count": 10}
    assert all(code not in str(entry.detail) for code in codes)


# The break-glass admin


def test_the_django_admin_offers_no_way_to_type_codes_in_or_read_them(sam, root, login):
    enrol(sam)
    assert not admin.site.is_registered(StaticDevice)
    (device,) = recovery_devices(sam)
    client = login(root)
    add = reverse("admin:accounts_recoverycodedevice_add")
    assert client.get(add).status_code == 403
    page = client.get(reverse("admin:accounts_recoverycodedevice_change", args=[device.pk]))
    assert page.status_code == 200
    for code_hash in RecoveryCode.objects.values_list("code_hash", flat=True):
        assert code_hash not in page.content.decode()
    # A superuser can still remove them in an emergency, with the app.
    delete = reverse("admin:accounts_recoverycodedevice_delete", args=[device.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not RecoveryCode.objects.filter(device__user=sam).exists()


# The upgrade from django-otp's plain codes


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_hashes_the_plain_codes_which_still_work_once(migrator, no_throttle):
    old = migrator.apply_initial_migration(
        [("accounts", "0004_staff_sessions"), ("otp_static", "0003_add_timestamps")]
    )
    user = old.apps.get_model("accounts", "User").objects.create(username="sam", role="specialist")
    other = old.apps.get_model("accounts", "User").objects.create(username="sue", role="manager")
    OldDevice = old.apps.get_model("otp_static", "StaticDevice")  # noqa: N806 - a model
    OldToken = old.apps.get_model("otp_static", "StaticToken")  # noqa: N806 - a model
    made = timezone.now() - timezone.timedelta(days=40)
    device = OldDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    OldDevice.objects.filter(pk=device.pk).update(created_at=made)
    for code in ("aaaa2222", "bbbb3333"):
        OldToken.objects.create(device=device, token=code)
    # All of Sue's codes were used: she keeps the device, with none left.
    OldDevice.objects.create(user=other, name="Recovery codes", confirmed=True)

    new = migrator.apply_tested_migration(("accounts", "0005_recovery_codes_hashed"))
    assert not new.apps.get_model("otp_static", "StaticToken").objects.exists()
    assert not new.apps.get_model("otp_static", "StaticDevice").objects.exists()
    for row in rows(RecoveryCode) + rows(RecoveryCodeDevice):
        assert "aaaa2222" not in row and "bbbb3333" not in row
    assert RecoveryCode.objects.count() == 2
    moved = RecoveryCodeDevice.objects.get(user_id=user.pk)
    assert (moved.name, moved.confirmed, moved.created_at) == ("Recovery codes", True, made)
    emptied = RecoveryCodeDevice.objects.get(user_id=other.pk)
    assert not emptied.codes.exists()

    assert verify_token(user, moved.persistent_id, "bbbb3333") == moved
    assert verify_token(user, moved.persistent_id, "bbbb3333") is None
    assert verify_token(user, moved.persistent_id, "aaaa2222") == moved
