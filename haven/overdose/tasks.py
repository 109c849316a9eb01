"""Background tasks of overdose response, run by `manage.py db_worker`.

`manage.py run_schedule` enqueues them on a schedule (settings.SCHEDULED_TASKS).
"""

from django_tasks import task

from .actions import do_detect_spikes


@task()
def detect_spikes():
    """Run the spike detector over the 24 hours up to now; the codes of newly flagged areas.

    Safe to run as often as wanted, and twice at once: an area is flagged at
    most once a local day (SpikeFlag is unique per area and day), so a second
    run drafts no second alert and sends no second email.
    """
    return [flag.area.code for flag in do_detect_spikes()]
