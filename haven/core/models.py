from django.conf import settings
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import chain


class SpanishName:
    """For catalog records with `name` and `name_es`: the name in a page's language."""

    def localised_name(self, language_code):
        if language_code and language_code.startswith("es") and self.name_es:
            return self.name_es
        return self.name


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")

    def bulk_create(self, objs, *args, **kwargs):
        """Append `objs` in order, each chained to the one before (see haven/core/chain.py)."""
        objs = list(objs)
        if not objs:
            return objs
        with transaction.atomic(using=self.db, savepoint=False):
            chain.link(objs, self.model, self.db)
            return super().bulk_create(objs, *args, **kwargs)


class AuditEntry(models.Model):
    """One sensitive read or one write, kept for ever.

    Never holds free text or identifiers beyond database ids: the audit log
    is itself read by admins who may not read participant records.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        MERGE = "merge", _("merged")
        DELETE = "delete", _("deleted")
        LOGIN = "login", _("logged in")
        LOGOUT = "logout", _("logged out")
        LOGIN_FAILED = "login_failed", _("failed login")
        SECOND_FACTOR_FAILED = "2fa_failed", _("failed second factor")
        PASSWORD_CHANGED = "password", _("changed password")
        PASSWORD_RESET = "password_reset", _("reset password")
        DEACTIVATE = "deactivate", _("deactivated")
        REFUSED = "refused", _("refused access")
        EXPORT = "export", _("exported")
        ROTATE = "rotate", _("rotated keys")
        BACKUP = "backup", _("backed up")
        RESTORE = "restore", _("restored")

    # Set when the entry is appended, under the log's lock (haven/core/chain.py).
    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    # Plain indexes only: migration 0007 drops PostgreSQL's copies for LIKE patterns.
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=50, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    participant = models.ForeignKey(
        "participants.Participant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    page = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # The entry's place in the log (1, 2, 3, … with no gaps) and its hash,
    # chained to the entry before: see haven/core/chain.py.
    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            chain.link([self], type(self), using)
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")


class RateCount(models.Model):
    """How often one network address used one public form in one time window.

    Kept in the database so that the limit holds across every process and
    server (see haven/core/ratelimit.py). `key` is a keyed hash, never the
    address itself; rows of past windows are deleted by a scheduled task.
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="rate_count_once_per_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="rate_count_window")]
