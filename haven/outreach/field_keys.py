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

The phone drops its copies whenever it sees a logged-out page, so that
what it keeps is unreadable until Haven hands the keys out again; see
docs/api.md (Sealed on the phone).
"""

import base64
import secrets
from importlib import import_module
from uuid import UUID

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.http import HttpResponse
from ninja import Field, Router, Schema

from haven.api.auth import SessionAuth
from haven.api.schemas import StrictSchema
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


def device_key(user, device):
    """The key of this user's phone, made on first use."""
    try:
        with transaction.atomic():
            held, _made = FieldDeviceKey.objects.get_or_create(
                user=user, device=device, defaults={"key": _new_key()}
            )
    except IntegrityError:
        # The phone asked twice at once, and the other request made it.
        held = FieldDeviceKey.objects.get(user=user, device=device)
    return held


def delete_expired_sessions():
    """An expired session is never loaded again, but its stored data (with its key)
    stays until deleted: deleted here, on a schedule (tasks.py), as `clearsessions` does."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


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
    device: KeyOut


@router.post(
    "/field-keys",
    response=FieldKeysOut,
    # Only the web app's own session: the session key lives in it.
    auth=[SessionAuth(PARTICIPANT_ROLES)],
)
def field_keys(request, response: HttpResponse, body: FieldKeysIn):
    """The keys the field app seals participant data on the phone with (see field_keys.py)."""
    device = str(body.device)
    held = device_key(request.auth, device)
    request.session[SESSION_DEVICE] = device
    response["Cache-Control"] = "no-store"
    return {
        "session": session_key(request.session),
        "device": {"id": str(held.pk), "key": held.key},
    }
