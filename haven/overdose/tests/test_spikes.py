"""Spike detection: finds injected spikes, stays quiet without one, drafts alerts once."""

import datetime
import math
import random

import pytest
from django.core import mail
from django.utils import timezone

from haven.accounts.models import User
from haven.overdose import spikes
from haven.overdose.actions import daily_counts, do_detect_spikes
from haven.overdose.models import DrugAlert, OverdoseReport, SpikeFlag

SETTINGS = spikes.DetectorSettings()


def poisson(rng, rate):
    limit, count, product = math.exp(-rate), 0, 1.0
    while True:
        product *= rng.random()
        if product < limit:
            return count
        count += 1


def quiet_series(seed, rate, days=120):
    rng = random.Random(seed)
    return [poisson(rng, rate) for _ in range(days)]


def test_threshold_flags_a_day_at_the_threshold_whatever_the_history():
    counts = [0] * 40
    counts[-1] = SETTINGS.threshold
    [flag] = spikes.scan(counts)
    assert (flag.index, flag.method) == (39, spikes.THRESHOLD)


def test_one_short_of_the_threshold_in_a_busy_area_is_not_a_spike():
    counts = [3, 4, 2, 5, 3] * 8
    counts[-1] = SETTINGS.threshold - 1
    assert spikes.evaluate_day(counts, len(counts) - 1) is None


def test_ewma_finds_a_cluster_in_a_quiet_area_below_the_threshold():
    counts = [0, 0, 1, 0, 0, 0, 0] * 6
    counts[-2:] = [3, 4]
    flag = spikes.evaluate_day(counts, len(counts) - 1)
    assert flag is not None and flag.method == spikes.EWMA
    assert flag.count == 4 < SETTINGS.threshold


def test_a_single_report_in_a_quiet_area_is_not_a_spike():
    counts = [0] * 40
    counts[-1] = 1
    assert spikes.scan(counts) == []


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.6])
def test_injected_spikes_are_found(rate):
    found = 0
    for seed in range(50):
        counts = quiet_series(seed, rate)
        for day in (100, 101, 102):
            counts[day] += 4
        flags = spikes.scan(counts, start=SETTINGS.history_days)
        found += any(100 <= flag.index <= 102 for flag in flags)
    assert found >= 48, f"found {found} of 50 injected spikes"


@pytest.mark.parametrize("rate", [0.05, 0.2])
def test_quiet_series_stay_quiet(rate):
    flagged = [
        seed
        for seed in range(50)
        if spikes.scan(quiet_series(seed, rate, days=365), start=SETTINGS.history_days)
    ]
    assert flagged == []


def test_daily_counts_bin_reports_by_24_hours_ending_now(area, other_area):
    now = timezone.now()
    for hours in (1, 23, 25, 24 * 5 + 1):
        OverdoseReport.objects.create(
            occurred_at=now - datetime.timedelta(hours=hours), area=area, reported_by="staff"
        )
    counts = daily_counts(now, 7)
    assert counts == {area.pk: [0, 1, 0, 0, 0, 1, 2]}


def make_spike(area, count, now):
    for minutes in range(count):
        OverdoseReport.objects.create(
            occurred_at=now - datetime.timedelta(minutes=5 * minutes + 1),
            area=area,
            reported_by="imported",
        )


def late_last_night():
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(23, 30)))


def test_a_spike_drafts_a_staff_alert_and_emails_supervisors_once(
    area, other_area, sue, max_manager, sam, django_capture_on_commit_callbacks
):
    User.objects.filter(pk__in=[sue.pk, max_manager.pk, sam.pk]).update(email="x@example.org")
    sue.refresh_from_db()
    # Half an hour before midnight, so the rerun below falls on the next day:
    # the same spike must still be one flag, one alert, one email.
    now = late_last_night()
    make_spike(area, SETTINGS.threshold, now)
    make_spike(other_area, 1, now)

    with django_capture_on_commit_callbacks(execute=True):
        [flag] = do_detect_spikes(now)

    assert (flag.area, flag.count, flag.method) == (area, SETTINGS.threshold, "threshold")
    alert = flag.alert
    assert (alert.status, alert.audience, alert.area) == ("draft", "staff", area)
    assert alert.from_spike_detector
    assert alert.title_es and alert.body_es
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["x@example.org", "x@example.org"]
    assert area.name in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        assert do_detect_spikes(now + datetime.timedelta(hours=1)) == []
    assert SpikeFlag.objects.count() == 1
    assert DrugAlert.objects.count() == 1
    assert len(mail.outbox) == 1


def test_an_area_is_flagged_again_once_its_last_window_has_passed(area):
    first = late_last_night()
    make_spike(area, SETTINGS.threshold, first)
    assert len(do_detect_spikes(first, notify=False)) == 1
    assert do_detect_spikes(first + datetime.timedelta(hours=23), notify=False) == []

    later = first + datetime.timedelta(hours=25)
    make_spike(area, SETTINGS.threshold, later)
    [flag] = do_detect_spikes(later, notify=False)
    assert flag.day == timezone.localdate(later)
    assert SpikeFlag.objects.filter(area=area).count() == 2


def test_detector_command_runs_and_reports(area, capsys):
    from django.core.management import call_command

    # The history below counts by local calendar day: just after midnight the
    # 36 minutes of reports would straddle two days, so end them before it.
    now = timezone.now()
    midnight = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(now), datetime.time())
    )
    end = (
        now
        if now - midnight > datetime.timedelta(hours=1)
        else midnight - datetime.timedelta(minutes=1)
    )
    make_spike(area, 8, end)
    call_command("detect_overdose_spikes")
    assert "1 new spike flag(s)." in capsys.readouterr().out
    since = timezone.localdate() - datetime.timedelta(days=3)
    call_command("detect_overdose_spikes", since=since)
    assert "8 reports" in capsys.readouterr().out
