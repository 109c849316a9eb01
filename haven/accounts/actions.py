"""Managing staff accounts, their second factors, and sites.

Each action is one transaction and writes one audit entry (plus one for each
device token a deactivation revokes). Nothing here ever deletes a user or a
site: records point at both for ever, so they are deactivated instead.

An admin may not change their own role or deactivate themselves; the refusal
is written to the audit log (outside the refused transaction, so that it is
kept) and nothing is changed.
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user, verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from haven.api.actions import do_revoke_device_token
from haven.api.models import DeviceToken
from haven.core import audit
from haven.core.models import AuditEntry
from haven.core.permissions import ADMIN

from .models import RecoveryCode, RecoveryCodeDevice, Site, StaffSession, User
from .two_factor import normalize_code

USER_FIELDS = ("first_name", "last_name", "email", "role")
SITE_FIELDS = ("name", "kind", "area")


def _refuse(by, obj, field, message, *, reason):
    """Keep a trace of the attempt, then refuse it with a message for the form."""
    audit.record(by, AuditEntry.Action.REFUSED, obj, reason=reason)
    raise ValidationError({field: message})


def _clean_username(username, *, exclude=None):
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("Give the account a username.")})
    taken = User.objects.filter(username__iexact=username)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"username": _("That username is taken; choose another.")})
    return username


def _check_role(role):
    if role not in User.Role.values:
        raise ValidationError({"role": _("Choose one of the roles.")})


def do_create_user(
    by, *, username, password, role, sites=(), first_name="", last_name="", email=""
):
    """Make a staff account with an initial password the admin hands over in person.

    The password must pass the program's password rules (AUTH_PASSWORD_VALIDATORS).
    """
    username = _clean_username(username)
    _check_role(role)
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=User.objects.normalize_email(email.strip()),
        role=role,
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    with transaction.atomic():
        user.save()
        user.sites.set(sites)
        audit.record(
            by,
            AuditEntry.Action.CREATE,
            user,
            role=role,
            sites=sorted(site.pk for site in sites),
        )
    return user


def do_update_user(by, user, *, role, sites, first_name="", last_name="", email=""):
    """Change a staff member's name, email, role and sites.

    The audit entry names the fields changed, the old and new role and the
    sites added and removed (ids only).
    """
    _check_role(role)
    if user.pk == by.pk and role != user.role:
        _refuse(
            by,
            user,
            "role",
            _("You cannot change your own role. Ask another administrator."),
            reason="own role",
        )
    new = {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "email": User.objects.normalize_email(email.strip()),
        "role": role,
    }
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        changed = [field for field in USER_FIELDS if getattr(user, field) != new[field]]
        old_role = user.role
        old_site_ids = set(user.sites.values_list("pk", flat=True))
        new_site_ids = {site.pk for site in sites}
        for field in changed:
            setattr(user, field, new[field])
        if changed:
            user.save(update_fields=changed)
        detail = {"fields": changed + (["sites"] if old_site_ids != new_site_ids else [])}
        if old_site_ids != new_site_ids:
            user.sites.set(sites)
            detail["sites_added"] = sorted(new_site_ids - old_site_ids)
            detail["sites_removed"] = sorted(old_site_ids - new_site_ids)
        if "role" in changed:
            detail["old_role"] = old_role
            detail["new_role"] = role
        if detail["fields"]:
            audit.record(by, AuditEntry.Action.UPDATE, user, **detail)
    return user


def end_sessions_and_devices(user, *, by):
    """Log `user` out everywhere and revoke every device token, at once.

    An inactive user is refused on their next request anyway (Django's login
    backend and the API's token check both look at is_active); ending the
    sessions and revoking the tokens makes sure a later reactivation does not
    bring back a session or a token on a phone that has since been lost.
    """
    for device in DeviceToken.objects.filter(user=user, revoked_at__isnull=True):
        do_revoke_device_token(device, by=by)
    # Each session row names its user (haven/accounts/sessions.py).
    StaffSession.objects.filter(user=user).delete()


def do_deactivate_user(by, user):
    if user.pk == by.pk:
        _refuse(
            by,
            user,
            "is_active",
            _("You cannot deactivate your own account. Ask another administrator."),
            reason="deactivate self",
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
            audit.record(by, AuditEntry.Action.DEACTIVATE, user)
        end_sessions_and_devices(user, by=by)
    return user


def do_reactivate_user(by, user):
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
            audit.record(by, AuditEntry.Action.UPDATE, user, fields=["is_active"])
    return user


def _clean_site(name, kind, area, *, exclude=None):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the site a name.")})
    taken = Site.objects.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": _("There is already a site with that name.")})
    if kind not in Site.Kind.values:
        raise ValidationError({"kind": _("Choose what kind of site this is.")})
    return {"name": name, "kind": kind, "area": (area or "").strip()}


@transaction.atomic
def do_create_site(by, *, name, kind, area=""):
    site = Site.objects.create(**_clean_site(name, kind, area))
    audit.record(by, AuditEntry.Action.CREATE, site)
    return site


@transaction.atomic
def do_update_site(by, site, *, name, kind, area=""):
    new = _clean_site(name, kind, area, exclude=site)
    site = Site.objects.select_for_update().get(pk=site.pk)
    changed = [field for field in SITE_FIELDS if getattr(site, field) != new[field]]
    if changed:
        for field in changed:
            setattr(site, field, new[field])
        site.save(update_fields=changed)
        audit.record(by, AuditEntry.Action.UPDATE, site, fields=changed)
    return site


@transaction.atomic
def do_deactivate_site(by, site):
    """A closed site keeps its records; it is no longer offered for new work."""
    site = Site.objects.select_for_update().get(pk=site.pk)
    if site.active:
        site.active = False
        site.save(update_fields=["active"])
        audit.record(by, AuditEntry.Action.DEACTIVATE, site)
    return site


@transaction.atomic
def do_reactivate_site(by, site):
    site = Site.objects.select_for_update().get(pk=site.pk)
    if not site.active:
        site.active = True
        site.save(update_fields=["active"])
        audit.record(by, AuditEntry.Action.UPDATE, site, fields=["active"])
    return site


# Second factors.

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
    """New codes for `user`, kept as hashes: the codes returned are shown once, never kept."""
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [RecoveryCode.random_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode.hashed(device, code) for code in codes)
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
        if not RecoveryCode.objects.filter(device__user=user).exists():
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


def _since_last_sign_in(user, **entry):
    """Whether the audit log holds such an entry about `user` since they last signed in."""
    return AuditEntry.objects.filter(
        object_type=user._meta.label_lower,
        object_id=str(user.pk),
        at__gt=user.last_login or user.date_joined,
        **entry,
    ).exists()


# An admin sets staff emails and resets lost phones' second factors: together, a
# reset link sent to an address they chose and a second factor they reset would
# let them sign in as a field worker and read participants in that person's name.
# So neither follows the other until the person has signed in themselves.


def second_factor_reset_pending(user):
    """An admin reset their second factor and they have not signed in since."""
    return _since_last_sign_in(user, action=AuditEntry.Action.UPDATE, detail__second_factor="reset")


def password_reset_by_link_pending(user):
    """Their password was reset by an emailed link and they have not signed in since."""
    return _since_last_sign_in(user, action=AuditEntry.Action.PASSWORD_RESET)


def do_reset_second_factor(user, by):
    """Remove every second factor of `user`, so that they must enrol again.

    For a lost phone: an admin does it for someone else, never for themselves
    (that would let one stolen password replace the second factor), and not
    after a password reset by link the person has not signed in with.

    The person is logged out everywhere and their device tokens are revoked:
    a session left open on the lost phone would otherwise be sent on to set up
    an authenticator app of its finder's, with no password asked, and its
    token would go on reaching the API.
    """
    if by.role != ADMIN or not by.is_active:
        raise PermissionDenied
    if by.pk == user.pk:
        raise ValidationError(
            _("You cannot reset your own second factor; ask another administrator.")
        )
    if password_reset_by_link_pending(user):
        _refuse(
            by,
            user,
            "second_factor",
            _(
                "Their password was reset by an emailed link and they have not signed in "
                "since: they must sign in once (with a recovery code if the phone is lost) "
                "before their second factor can be reset."
            ),
            reason="second factor after a password reset by link",
        )
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        audit.record(by, AuditEntry.Action.UPDATE, user, second_factor="reset", devices=removed)
        end_sessions_and_devices(user, by=by)
    return removed
