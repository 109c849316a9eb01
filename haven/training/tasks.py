"""Background tasks of training, run by `manage.py db_worker` (see settings.SCHEDULED_TASKS)."""

from django_tasks import task

from .actions import do_send_refresher_reminders


@task()
def send_refresher_reminders():
    """Email refresher reminders that are due; safe to run early or twice. Returns how many."""
    return do_send_refresher_reminders()
