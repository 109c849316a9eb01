"""The scheduler enqueues each task when it is due, on a fake clock: no sleeping."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from haven.core.schedule import Entry, Schedule
from haven.overdose.tasks import detect_spikes

START = timezone.make_aware(datetime.datetime(2024, 3, 1, 9, 0))


class FakeClock:
    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def hourly(db, clock):
    return Schedule([Entry(detect_spikes, datetime.timedelta(hours=1))], clock)


def mark_run():
    """Stand in for the worker: every queued run has run."""
    DBTaskResult.objects.update(status="SUCCESSFUL", finished_at=timezone.now())


def test_a_task_is_enqueued_at_start_and_then_every_interval(hourly, clock):
    assert hourly.run_due() == [detect_spikes]
    mark_run()
    clock.advance(minutes=59)
    assert hourly.run_due() == []
    assert hourly.seconds_until_due() == 60
    clock.advance(minutes=1)
    assert hourly.seconds_until_due() == 0
    assert hourly.run_due() == [detect_spikes]
    assert hourly.run_due() == []
    assert DBTaskResult.objects.count() == 2
    assert set(DBTaskResult.objects.values_list("task_path", flat=True)) == {
        "haven.overdose.tasks.detect_spikes"
    }


def test_runs_do_not_pile_up_while_no_worker_runs(hourly, clock):
    hourly.run_due()
    for _hour in range(3):
        clock.advance(hours=1)
        assert hourly.run_due() == []
    assert DBTaskResult.objects.count() == 1
    mark_run()
    clock.advance(hours=1)
    assert hourly.run_due() == [detect_spikes]


def test_the_interval_comes_from_settings(db, settings, clock):
    settings.SCHEDULED_TASKS = {"haven.overdose.tasks.detect_spikes": 15}
    schedule = Schedule.from_settings(clock)
    [entry] = schedule.entries
    assert (entry.task, entry.interval) == (detect_spikes, datetime.timedelta(minutes=15))


def test_run_schedule_once_enqueues_every_task(db, capsys, settings):
    call_command("run_schedule", once=True)
    out = capsys.readouterr().out
    assert "enqueued haven.overdose.tasks.detect_spikes" in out
    assert "enqueued haven.mail.tasks.purge_addresses" in out
    for path in settings.SCHEDULED_TASKS:
        assert f"enqueued {path}" in out
    assert DBTaskResult.objects.filter(status="READY").count() == len(settings.SCHEDULED_TASKS)
