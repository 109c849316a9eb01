"""Second factors of staff accounts: enrolment, recovery codes, reset by an admin."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user, verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from haven.core import audit
from haven.core.models import AuditEntry
from haven.core.permissions import ADMIN

from .two_factor import normalize_code

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def pending_authenticator(user):
    """The authenticator app being set up (not yet confirmed); made on first ask."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def _replace_recovery_codes(user):
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return device, codes


def do_confirm_authenticator(user, device, code, *, request=None):
    """Confirm a new authenticator app with a code from it.

    Replaces any app confirmed before. Returns the new recovery codes when the
    user had none (to be shown once), else an empty list. A wrong code is
    audited and changes nothing.
    """
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied
    # The check runs in its own transaction (django-otp locks the device), so
    # that a wrong code's throttling count is kept when this refuses.
    if verify_token(user, device.persistent_id, normalize_code(code)) is None:
        audit.record(
            user,
            AuditEntry.Action.SECOND_FACTOR_FAILED,
            user,
            request=request,
            method="totp",
            reason="wrong",
            step="enrol",
        )
        raise ValidationError(
            {
                "code": _(
                    "That code does not match. Check that the app shows Haven, "
                    "then type the code it shows now."
                )
            }
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = []
        if not StaticDevice.objects.filter(user=user, token_set__isnull=False).exists():
            _device, codes = _replace_recovery_codes(user)
        audit.record(user, AuditEntry.Action.CREATE, device, request=request)
    return codes


@transaction.atomic
def do_new_recovery_codes(user, *, request=None):
    """New recovery codes for a user; the old ones stop working. Shown once."""
    device, codes = _replace_recovery_codes(user)
    audit.record(user, AuditEntry.Action.CREATE, device, request=request, count=len(codes))
    return codes


@transaction.atomic
def do_remove_passkey(user, passkey, *, request=None):
    """Remove one of the user's own passkeys (a lost laptop or security key)."""
    if passkey.user_id != user.pk:
        raise PermissionDenied
    audit.record(user, AuditEntry.Action.DELETE, passkey, request=request)
    passkey.delete()


@transaction.atomic
def do_reset_second_factor(user, by):
    """Remove every second factor of `user`, so that they must enrol again.

    For a lost phone: an admin does it for someone else, never for themselves
    (that would let one stolen password replace the second factor).
    """
    if by.role != ADMIN or not by.is_active:
        raise PermissionDenied
    if by.pk == user.pk:
        raise ValidationError(
            _("You cannot reset your own second factor; ask another administrator.")
        )
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    audit.record(by, AuditEntry.Action.UPDATE, user, second_factor="reset", devices=removed)
    return removed
