"""Audit of logins and logouts. No passwords or typed usernames are stored."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
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
