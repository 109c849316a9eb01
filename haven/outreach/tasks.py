"""Background tasks of the field app, run by `manage.py db_worker`.

`manage.py run_schedule` enqueues them on a schedule (settings.SCHEDULED_TASKS).
"""

from django_tasks import task

from .field_keys import delete_expired_device_keys, delete_expired_sessions


@task()
def clear_expired_sessions():
    """Delete expired sessions, and with them their keys, and the device keys of phones
    not signed in on for a whole key lifetime (field_keys.py); safe to run twice."""
    delete_expired_sessions()
    delete_expired_device_keys()
