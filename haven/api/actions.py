"""Issuing and revoking device tokens. The settings page calls these."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.models import AuditEntry

from .models import DeviceToken

# Enough for every phone a person might lose in a year; more is a mistake.
MAX_ACTIVE_TOKENS = 10


@transaction.atomic
def do_issue_device_token(user, *, name):
    """Returns (device_token, token). The token is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the device, e.g. “Work phone”.")})
    active = DeviceToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {
                "name": _("You have %(n)s devices already; revoke one you no longer use.")
                % {"n": active}
            }
        )
    device, token = DeviceToken.issue(user, name)
    audit.record(user, AuditEntry.Action.CREATE, device)
    return device, token


@transaction.atomic
def do_revoke_device_token(device, *, by):
    device.revoke()
    audit.record(by, AuditEntry.Action.UPDATE, device, fields=["revoked_at"])
    return device
