"""Audit of logins and logouts, and of every change made in the break-glass admin.

No passwords or typed usernames are stored.
"""

import json

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ObjectDoesNotExist
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import translation
from django.utils.text import capfirst

from . import audit
from .models import AuditEntry

ADMIN_ACTIONS = {
    ADDITION: AuditEntry.Action.CREATE,
    CHANGE: AuditEntry.Action.UPDATE,
    DELETION: AuditEntry.Action.DELETE,
}
# On a staff account, these say who may read what: their new values are kept.
USER_ACCESS_FIELDS = ("role", "is_superuser", "is_staff", "is_active")


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit.record(user, AuditEntry.Action.LOGIN, user, request=request)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(user, AuditEntry.Action.LOGOUT, user, request=request)


def _changed_field_names(model, change_message):
    """The model field names in an admin change message (which keeps form labels)."""
    try:
        parts = json.loads(change_message or "[]")
    except ValueError:
        return []
    with translation.override(None):
        by_label = {
            str(capfirst(field.verbose_name)): field.name
            for field in model._meta.get_fields()
            if getattr(field, "verbose_name", None)
        }
    names = []
    for part in parts if isinstance(parts, list) else []:
        changed = part.get("changed", {}) if isinstance(part, dict) else {}
        if "name" in changed:
            # An inline (a related record) changed; name its kind, not its fields.
            names.append(str(changed["name"]))
            continue
        names.extend(by_label.get(label, label) for label in changed.get("fields", []))
    return names


@receiver(post_save, sender=LogEntry)
def audit_django_admin_change(sender, instance, created, **kwargs):
    """Every add, change and delete in the Django admin goes to Haven's audit log too.

    Django writes a LogEntry for each (the admin's delete-many action, which
    writes them without signals, is disabled in haven/core/admin.py). The
    deleted object still exists here: Django logs a deletion before doing it.
    """
    if not created:
        return
    model = instance.content_type.model_class() if instance.content_type_id else None
    try:
        obj = instance.get_edited_object() if model is not None else None
    except ObjectDoesNotExist:
        obj = None
    detail = {"via": "django admin"}
    if model is not None and instance.action_flag == CHANGE:
        detail["fields"] = _changed_field_names(model, instance.change_message)
    if obj is not None and model._meta.label_lower == "accounts.user":
        fields = detail.get("fields", USER_ACCESS_FIELDS)
        for name in USER_ACCESS_FIELDS:
            if name in fields:
                detail[name] = getattr(obj, name)
        if instance.action_flag == ADDITION or "sites" in fields:
            detail["sites"] = sorted(obj.sites.values_list("pk", flat=True))
    entry = audit.unsaved_entry(
        instance.user,
        ADMIN_ACTIONS.get(instance.action_flag, AuditEntry.Action.UPDATE),
        obj,
        page="django admin",
        **detail,
    )
    if obj is None:
        entry.object_type = model._meta.label_lower if model is not None else ""
        entry.object_id = instance.object_id or ""
    entry.save()


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
