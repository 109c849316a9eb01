"""Audit of logins and logouts. No passwords or typed usernames are stored."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .models import AuditEntry


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit.record(user, AuditEntry.Action.LOGIN, user, request=request)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(user, AuditEntry.Action.LOGOUT, user, request=request)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    """A failed login names the account only when the name typed is a real user's.

    A name that matches no one is not kept: it is often a password typed
    into the wrong box. The password itself never reaches the log.
    """
    user_model = get_user_model()
    typed = credentials.get(user_model.USERNAME_FIELD)
    user = None
    if isinstance(typed, str) and typed:
        user = user_model.objects.filter(**{user_model.USERNAME_FIELD: typed}).first()
    audit.record(user, AuditEntry.Action.LOGIN_FAILED, user, request=request)
