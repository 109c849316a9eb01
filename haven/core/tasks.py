"""Background tasks of core, run by `manage.py db_worker` (see settings.SCHEDULED_TASKS)."""

from django_tasks import task

from . import audit_checks
from .ratelimit import forget_old_counts


@task()
def verify_audit_log():
    """Check the audit log's chain against the kept checkpoints; keep a new signed one.

    Reads the whole log and appends one line to the checkpoint file, so running
    it twice does no harm. Returns whether the log was intact.
    """
    result = audit_checks.check()
    audit_checks.record(result)
    return result.intact


@task()
def forget_rate_counts():
    """Delete the public forms' rate-limit counts of windows that are over."""
    return forget_old_counts()
