"""Enqueue scheduled background tasks; run beside `manage.py db_worker`."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from haven.core.schedule import Schedule

# Wake at least this often, so that a changed clock or a stuck sleep does not
# delay a task by more than this.
MAX_SLEEP_SECONDS = 60


class Command(BaseCommand):
    help = (
        "Enqueue the tasks of settings.SCHEDULED_TASKS now and then every interval, for "
        "`manage.py db_worker` to run. Runs until stopped; --once enqueues once and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue every task and exit")

    def handle(self, *args, once, **options):
        schedule = Schedule.from_settings()
        while True:
            for task in schedule.run_due():
                when = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
                self.stdout.write(f"{when} enqueued {task.module_path}")
            if once:
                return
            time.sleep(min(schedule.seconds_until_due(), MAX_SLEEP_SECONDS))
