"""Background tasks of mail distribution, run by `manage.py db_worker`.

`manage.py run_schedule` enqueues them on a schedule (settings.SCHEDULED_TASKS).
"""

from django_tasks import task

from .actions import do_purge_addresses


@task()
def purge_addresses():
    """Purge the addresses whose time is up; safe to run early or twice. Returns how many."""
    return do_purge_addresses()
