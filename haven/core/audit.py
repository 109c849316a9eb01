"""Writing the audit log. Every action and every sensitive read calls record()."""

from django.db import connections, transaction

from . import chain
from .db import inserts
from .models import AuditEntry


def record(user, action, obj=None, *, participant=None, request=None, page="", **detail):
    """Append one audit entry.

    `page` names the screen for reads (e.g. "participant timeline"); the
    request path is kept too, never the query string.
    """
    entry = unsaved_entry(
        user, action, obj, participant=participant, request=request, page=page, **detail
    )
    entry.save()
    return entry


def unsaved_entry(user, action, obj=None, *, participant=None, request=None, page="", **detail):
    """The entry record() would append, for writing many at once with bulk_create."""
    if obj is not None and participant is None and obj._meta.model_name == "participant":
        participant = obj
    return AuditEntry(
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        participant=participant,
        page=page or (request.path if request is not None else ""),
        detail=detail,
    )


def append(entries, using="default"):
    """Append unsaved entries (unsaved_entry), in order, chained (haven/core/chain.py).

    What AuditEntry.objects.bulk_create does, with one hand-written INSERT:
    on a contact save, the last write before the commit, since it holds the
    log's lock (every writer's) from the read of the chain's end to the commit.
    """
    if not entries:
        return entries
    if len(entries) == 1 and connections[using].vendor == "postgresql":
        with transaction.atomic(using=using, savepoint=False):
            return [chain.append_one(entries[0], AuditEntry, using)]
    with transaction.atomic(using=using, savepoint=False):
        chain.link(entries, AuditEntry, using)
        return inserts.insert(entries, using=using)
