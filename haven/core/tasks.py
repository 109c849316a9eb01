"""Background tasks of the core app, run by `manage.py db_worker`."""

from django_tasks import task

from . import audit_checks


@task()
def verify_audit_log():
    """Check the audit log's chain against the kept checkpoints; keep a new signed one.

    Enqueued by `manage.py run_schedule` (settings.SCHEDULED_TASKS). Reads the
    whole log and appends one line to the checkpoint file, so running it twice
    does no harm. Returns whether the log was intact.
    """
    result = audit_checks.check()
    audit_checks.record(result)
    return result.intact
