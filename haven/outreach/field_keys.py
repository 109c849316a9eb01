"""The keys the field app seals what it keeps on the phone with (outreach/field_crypto.js).

Two AES-256-GCM keys, handed to the signed-in field app by POST
/api/v1/field-keys and nowhere else (never in a page, a URL or a log):

- the session key, made at random for each signed-in session and kept only
  in its session data: it seals the participants kept for finding them with
  no signal. It is gone when the session ends (logout, idle timeout, expiry),
  and the kept set is fetched again, sealed under the next session's key.
- the device key, one per user and phone (FieldDeviceKey): it seals the
  outbox. A session that ended mid-shift must not lose queued contacts, so
  this key outlives the session; signing in again on the same phone hands
  the same key back. The deliberate logout on that phone deletes it.

A phone that is never logged out must not keep one key for ever, so a
device key seals new records for HAVEN_FIELD_DEVICE_KEY_DAYS only. The
first hand-out after that retires it and makes a new one; the retired key
is still handed out (`retired`), so that records sealed with it are opened
and sent as ever, never lost. The phone seals those records again with the
new key and then releases the old one (POST /field-keys/release), which
deletes it. (Refusing to rotate while the outbox holds records would let a
phone whose outbox never empties, e.g. a record waiting to be fixed, keep
its key for ever.) A key its phone has not been handed for a whole
lifetime is deleted by the hourly cleanup (tasks.py): that phone has not
been signed in on for a month and is taken as lost, so what it still
holds stays unreadable for good.

The phone drops its copies whenever it sees a logged-out page, so that
what it keeps is unreadable until Haven hands the keys out again; see
docs/api.md (Sealed on the phone).
"""

import base64
import re
import secrets
from datetime import timedelta
from importlib import import_module
from uuid import UUID

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from haven.api.auth import SessionAuth
from haven.api.schemas import StrictSchema, Text
from haven.core.permissions import PARTICIPANT_ROLES

from .models import FieldDeviceKey

SESSION_KEY = "haven_field_key"
SESSION_DEVICE = "haven_field_device"
KEY_BYTES = 32


def _new_key():
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def session_key(session):
    """This session's key ({"id", "key"}), made on first use. The id is not secret:
    a page carries it so the phone can tell a new session from the one it holds keys of."""
    held = session.get(SESSION_KEY)
    if not held:
        held = session[SESSION_KEY] = {"id": secrets.token_hex(8), "key": _new_key()}
    return held


def device_key_lifetime():
    return timedelta(days=settings.HAVEN_FIELD_DEVICE_KEY_DAYS)


def device_keys(user, device):
    """(the key that seals this phone's new records, [retired keys it still needs to open
    older ones]), made or rotated as needed, all marked as handed out now."""
    now = timezone.now()
    try:
        with transaction.atomic():
            held = list(
                FieldDeviceKey.objects.select_for_update()
                .filter(user=user, device=device)
                .order_by("created_at", "pk")
            )
            sealing = next((key for key in held if key.retired_at is None), None)
            if sealing is not None and sealing.created_at <= now - device_key_lifetime():
                sealing.retired_at = now
                sealing.save(update_fields=["retired_at"])
                sealing = None
            if sealing is None:
                sealing = FieldDeviceKey.objects.create(user=user, device=device, key=_new_key())
            FieldDeviceKey.objects.filter(user=user, device=device).update(handed_at=now)
    except IntegrityError:
        # The phone asked twice at once, and the other request made the key.
        return device_keys(user, device)
    return sealing, [key for key in held if key.retired_at is not None]


def release_retired_keys(user, device, ids):
    """The phone sealed its records again with its new key: the old ones it names go.
    Only retired keys of this user's phone: the key that seals stays."""
    FieldDeviceKey.objects.filter(
        user=user, device=device, pk__in=ids, retired_at__isnull=False
    ).delete()


def delete_expired_sessions():
    """An expired session is never loaded again, but its stored data (with its key)
    stays until deleted: deleted here, on a schedule (tasks.py), as `clearsessions` does."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def delete_expired_device_keys():
    """The keys of phones not handed them for a whole lifetime (lost phones); see above."""
    FieldDeviceKey.objects.filter(handed_at__lt=timezone.now() - device_key_lifetime()).delete()


@receiver(user_logged_in)
def make_session_key_at_sign_in(sender, request, user, **kwargs):
    """Made now rather than on first use, so that every page the phone keeps from this
    session names the same key id, and rendering a page never writes the session."""
    if request is not None and hasattr(request, "session"):
        session_key(request.session)


@receiver(user_logged_out)
def forget_device_key_at_logout(sender, request, user, **kwargs):
    """The logout button destroys the key of the phone it was pressed on.

    An idle timeout logs out too, from middleware, before a view is chosen:
    that session merely ended, and its phone's outbox must stay readable.
    """
    match = getattr(request, "resolver_match", None)
    device = request.session.get(SESSION_DEVICE) if request is not None else None
    if user is None or device is None or match is None or match.view_name != "accounts:logout":
        return
    FieldDeviceKey.objects.filter(user=user, device=device).delete()


router = Router(tags=["field app"])


class FieldKeysIn(StrictSchema):
    device: UUID = Field(description="The phone's own random id (its card codes' too).")


class KeyOut(Schema):
    id: str
    key: str = Field(description="32 random bytes, base64: an AES-256-GCM key.")


class FieldKeysOut(Schema):
    session: KeyOut
    device: KeyOut = Field(description="The key that seals new records in the outbox.")
    retired: list[KeyOut] = Field(
        description="Older device keys of this phone, to open what they sealed: seal it "
        "again with `device`, then release them (POST /field-keys/release)."
    )


class ReleaseIn(StrictSchema):
    device: UUID
    ids: list[Text(20)] = Field(max_length=100, description="Retired keys no record needs now.")


@router.post(
    "/field-keys",
    response=FieldKeysOut,
    # Only the web app's own session: the session key lives in it.
    auth=[SessionAuth(PARTICIPANT_ROLES)],
)
def field_keys(request, response: HttpResponse, body: FieldKeysIn):
    """The keys the field app seals participant data on the phone with (see field_keys.py)."""
    device = str(body.device)
    sealing, retired = device_keys(request.auth, device)
    request.session[SESSION_DEVICE] = device
    response["Cache-Control"] = "no-store"
    return {
        "session": session_key(request.session),
        "device": {"id": str(sealing.pk), "key": sealing.key},
        "retired": [{"id": str(key.pk), "key": key.key} for key in retired],
    }


@router.post("/field-keys/release", response={204: None}, auth=[SessionAuth(PARTICIPANT_ROLES)])
def release_field_keys(request, body: ReleaseIn):
    """The phone no longer needs these retired device keys: Haven deletes them."""
    # Key ids are the phone's copies of ours: anything else names no key.
    ids = [int(key_id) for key_id in body.ids if re.fullmatch(r"[0-9]{1,18}", key_id)]
    release_retired_keys(request.auth, str(body.device), ids)
    return Status(204, None)
