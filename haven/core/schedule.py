"""Enqueue background tasks at fixed intervals, for `manage.py run_schedule`.

django-tasks runs tasks but does not schedule them. This is the smallest
scheduler that is honest about what it does: each task in
settings.SCHEDULED_TASKS is enqueued when the scheduler starts and then every
interval after; if the previous run of a task has not started yet (no worker
is running), no second copy is queued behind it. It keeps its state in
memory, so a restart enqueues at once: the tasks must be safe to run early or
twice, as the spike detector is.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus

logger = logging.getLogger(__name__)


@dataclass
class Entry:
    task: object  # a django_tasks Task
    interval: datetime.timedelta
    next_at: datetime.datetime | None = None
    last_result: object = None  # the TaskResult of the last enqueue

    def still_waiting(self):
        """Whether the last run is still queued, not yet picked up by a worker."""
        if self.last_result is None or not self.task.get_backend().supports_get_result:
            return False
        self.last_result.refresh()
        return self.last_result.status == TaskResultStatus.READY


class Schedule:
    def __init__(self, entries, clock=timezone.now):
        self.entries = entries
        self.clock = clock

    @classmethod
    def from_settings(cls, clock=timezone.now):
        """The tasks of settings.SCHEDULED_TASKS: {dotted path of a task: minutes}."""
        entries = [
            Entry(import_string(path), datetime.timedelta(minutes=minutes))
            for path, minutes in settings.SCHEDULED_TASKS.items()
        ]
        return cls(entries, clock)

    def run_due(self):
        """Enqueue every task that is due, and return them. Never waits."""
        now = self.clock()
        enqueued = []
        for entry in self.entries:
            if entry.next_at is not None and now < entry.next_at:
                continue
            entry.next_at = now + entry.interval
            if entry.still_waiting():
                logger.warning(
                    "%s: the previous run has not started; is `manage.py db_worker` running?",
                    entry.task.module_path,
                )
                continue
            entry.last_result = entry.task.enqueue()
            enqueued.append(entry.task)
        return enqueued

    def seconds_until_due(self):
        """How long until the next task is due (0 when one is due now)."""
        now = self.clock()
        waits = [
            (entry.next_at - now).total_seconds() if entry.next_at else 0 for entry in self.entries
        ]
        return max(min(waits, default=60), 0)
