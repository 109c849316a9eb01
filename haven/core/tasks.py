"""Background tasks of core, run by `manage.py db_worker` (see settings.SCHEDULED_TASKS)."""

from django_tasks import task

from .ratelimit import forget_old_counts


@task()
def forget_rate_counts():
    """Delete the public forms' rate-limit counts of windows that are over."""
    return forget_old_counts()
