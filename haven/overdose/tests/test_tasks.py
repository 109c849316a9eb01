"""Spike detection as a background task, run by the database worker."""

import pytest
from django.core import mail
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from haven.accounts.models import User
from haven.overdose.actions import do_detect_spikes
from haven.overdose.models import DrugAlert, SpikeFlag
from haven.overdose.tasks import detect_spikes

from .test_spikes import SETTINGS, make_spike


def run_worker():
    """What `manage.py db_worker --batch` does, without touching the process's signals."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


# The worker commits and closes connections as it does in production, which
# a test wrapped in one transaction cannot allow.
@pytest.mark.django_db(transaction=True)
def test_detector_task_enqueued_twice_drafts_one_alert_and_sends_one_email(
    area, other_area, sue, max_manager
):
    User.objects.filter(pk__in=[sue.pk, max_manager.pk]).update(email="sup@example.org")
    make_spike(area, SETTINGS.threshold, timezone.now())
    make_spike(other_area, 1, timezone.now())

    first = detect_spikes.enqueue()
    second = detect_spikes.enqueue()
    assert DBTaskResult.objects.count() == 2
    assert first.status == TaskResultStatus.READY
    assert not SpikeFlag.objects.exists()

    run_worker()

    first.refresh()
    second.refresh()
    assert first.status == second.status == TaskResultStatus.SUCCESSFUL
    assert sorted([first.return_value, second.return_value]) == [[], [area.code]]
    flag = SpikeFlag.objects.get()
    assert flag.area == area
    alert = DrugAlert.objects.get()
    assert (alert.status, alert.audience, alert.area) == ("draft", "staff", area)
    assert flag.alert == alert
    assert len(mail.outbox) == 1
    assert area.name in mail.outbox[0].subject


def test_a_run_that_loses_the_race_for_an_area_skips_it(area, monkeypatch):
    make_spike(area, SETTINGS.threshold, timezone.now())
    [flag] = do_detect_spikes()
    # As if another run inserted its flag between this run's check and its insert.
    monkeypatch.setattr(QuerySet, "exists", lambda queryset: False)
    assert do_detect_spikes() == []
    assert SpikeFlag.objects.get() == flag
    assert DrugAlert.objects.get() == flag.alert
