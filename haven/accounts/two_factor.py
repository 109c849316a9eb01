"""Two-factor sign-in: who needs a second factor, and checking one.

Signing in takes two steps. The password logs the user in (Django's login
view), and then, if they have an authenticator app, the session stays
*unverified* until they type a code from it or a recovery code: the
SecondFactorMiddleware lets an unverified session reach only the code page and
logout. When the program requires two factors, a user who has none yet can
reach only the enrolment page.

Wrong codes are audited and count, like wrong passwords, towards django-axes's
lockout of the account from that address: the password step alone no longer
clears the count (AXES_RESET_ON_SUCCESS is off); a completed sign-in does.
"""

import functools

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.apps import apps
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django_otp import device_classes, verify_token
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from haven.core import audit
from haven.core.db import reads
from haven.core.db.hot import hot
from haven.core.models import AuditEntry
from haven.core.permissions import ADMIN, PARTICIPANT_ROLES

from .models import RecoveryCodeDevice

# Roles that must sign in with two factors when the program requires it.
TWO_FACTOR_ROLES = (*PARTICIPANT_ROLES, ADMIN)

VERIFY = "verify"
ENROL = "enrol"

TOTP_DIGITS = 6


def required_for(user):
    """Whether the program requires this user to have a second factor."""
    return settings.HAVEN_REQUIRE_TWO_FACTOR and (
        user.role in TWO_FACTOR_ROLES or user.is_superuser
    )


def is_verified(user):
    """A second factor was given in this session (set by django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def has_device(user):
    """Whether the user has any confirmed second factor, in one query.

    Asked on every request of an unverified session. The session's own read
    (haven/accounts/sessions.py) asks it in the same statement, for the user it
    reads; otherwise the device tables (app, recovery codes, passkeys) are asked
    together rather than one by one as django_otp.user_has_device does, in SQL
    written once per process: the ORM built the same statement again on every
    request, which cost more CPU than anything else in the middleware.
    """
    known = getattr(user, DEVICE_READ_WITH_SESSION, None)
    if known is not None:
        return known
    sql = f"SELECT {has_device_sql('%s')}"
    with connection.cursor() as cursor:
        # The user's id once for each kind of device the expression asks.
        cursor.execute(hot(sql), [user.pk] * sql.count("%s"))
        return bool(cursor.fetchone()[0])


# The user's attribute that holds has_device's answer when it was read with the session.
DEVICE_READ_WITH_SESSION = "_has_second_factor_device"


@functools.cache
def has_device_sql(user_id):
    """An SQL expression, true when the user `user_id` (a column, or %s for a
    parameter given once per kind of device) has a confirmed device of any kind."""
    quote = connection.ops.quote_name
    return " OR ".join(
        # Only quoted names from the device models go into the text; values are parameters.
        f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {quote(model._meta.get_field('user').column)} = {user_id} "
        f"AND {quote(model._meta.get_field('confirmed').column)})"
        for model in device_classes()
    )


def device_from_persistent_id(persistent_id):
    """The device a verified session names ("app_label.model/id"), or None.

    What django_otp's Device.from_persistent_id reads, asked on every request of
    a verified session, in a statement written once a process: the ORM built
    it again each time (0.14 ms of CPU a request, docs/performance.md)."""
    try:
        label, pk = persistent_id.rsplit("/", 1)
        model = apps.get_model(label)
        pk = int(pk)
    except (ValueError, LookupError):
        return None
    if not issubclass(model, Device):
        return None
    fields, sql = _device_sql(model)
    found = reads.instances(model, fields, sql, [pk])
    return found[0] if found else None


@functools.cache
def _device_sql(model):
    fields = tuple(field.name for field in model._meta.concrete_fields)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    return fields, f"{reads.select(model, fields)} WHERE {pk_column} = %s"


def step_needed(user):
    """What a signed-in user must do before anything else: VERIFY, ENROL or None."""
    if is_verified(user):
        return None
    if has_device(user):
        return VERIFY
    if required_for(user):
        return ENROL
    return None


def normalize_code(code):
    """Codes are read aloud and typed on phones: ignore spaces, dashes and case."""
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def _credentials(user):
    return get_credentials(user.get_username())


def is_locked_out(request, user):
    return AxesProxyHandler.is_locked(request, _credentials(user))


def clear_failures(request, user):
    """Forget failed attempts once a sign-in is complete (both factors, or the only one)."""
    handler = AxesProxyHandler.get_implementation()
    AxesProxyHandler.update_request(request)
    if hasattr(handler, "reset_user_attempts"):
        handler.reset_user_attempts(request, _credentials(user))


def _fail(request, user, method, reason, message):
    """Audit a wrong code, count it towards the lockout, and refuse it."""
    audit.record(
        user,
        AuditEntry.Action.SECOND_FACTOR_FAILED,
        user,
        request=request,
        method=method,
        reason=reason,
    )
    try:
        count_failure(request, user)
    except LockedOut:
        pass  # The view sees the session has ended.
    raise ValidationError(message, code=reason)


class LockedOut(Exception):
    """Too many failures: the session has ended and the account is locked for a while."""


def count_failure(request, user):
    """Count a failed second factor towards the lockout, as a wrong password is.

    django-axes counts it for this account and address; at the limit it marks
    the request locked out (its middleware then answers with the lockout page),
    and the half-signed-in session is ended here.
    """
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    if getattr(request, "axes_locked_out", False):
        logout(request)
        raise LockedOut


def mark_verified(request, device):
    """The session has given its second factor: a new session key, and the count cleared."""
    # A new key, as Django's login() gives after the password, so that a key
    # seen before this step is worth nothing after it.
    request.session.cycle_key()
    otp_login(request, device)
    clear_failures(request, request.user)


def check_second_factor(request, code):
    """Verify `code` for the signed-in user; mark the session verified or raise.

    Six digits are checked against the authenticator app, anything else
    against the recovery codes (each works once: its hash is deleted).
    """
    user = request.user
    code = normalize_code(code)
    if code.isdigit() and len(code) == TOTP_DIGITS:
        method, devices = "totp", TOTPDevice.objects.devices_for_user(user, confirmed=True)
    else:
        method, devices = (
            "recovery_code",
            RecoveryCodeDevice.objects.devices_for_user(user, confirmed=True),
        )
    devices = list(devices)
    if not code:
        raise ValidationError(_("Type the code."), code="empty")
    if any(not device.verify_is_allowed()[0] for device in devices):
        _fail(
            request,
            user,
            method,
            "throttled",
            _("Too many wrong codes in a row. Wait a minute, then try again."),
        )
    for device in devices:
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            mark_verified(request, verified)
            return verified
    if method == "totp":
        message = _(
            "That code is wrong or was already used. Wait for the next code in your "
            "authenticator app and type it."
        )
    else:
        message = _("That recovery code is wrong or was already used. Each one works only once.")
    _fail(request, user, method, "wrong", message)
