"""Multi-scale detection through the database: one alert per spike, and the real Tempe file."""

import csv
import datetime
import io
from collections import Counter

from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.overdose.actions import do_detect_spikes, run_detection
from haven.overdose.models import Area, DrugAlert, OverdoseReport, Region, SpikeFlag

from .test_import import TEMPE


def test_the_whole_program_region_exists(db):
    assert Region.objects.get(whole_program=True).code == "program"


def make_areas():
    return [
        Area.objects.create(
            code=f"cell-{n}",
            name=f"Cell {n}",
            kind=Area.Kind.GRID,
            latitude=33.41,
            longitude=-111.95 + 0.02 * n,
        )  # fmt: skip
        for n in range(4)
    ]


def test_a_spike_seen_on_several_scales_is_one_alert_with_every_reason(
    db, sue, login, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=sue.pk).update(email="sue@example.org")
    areas = make_areas()
    city = Region.objects.create(code="city", name="The city")
    city.areas.set(areas[:3])
    now = timezone.now()
    background = [
        OverdoseReport(
            occurred_at=now - datetime.timedelta(days=day, hours=3),
            area=area,
            reported_by="imported",
        )
        for day in range(1, 60)
        for area in areas
        if (day + area.pk) % 3 == 0
    ]
    spike = [
        OverdoseReport(
            occurred_at=now - datetime.timedelta(minutes=10 * n + 1), area=area, reported_by="staff"
        )
        for area, count in ((areas[0], 6), (areas[1], 4))
        for n in range(count)
    ]
    OverdoseReport.objects.bulk_create(background + spike)

    with django_capture_on_commit_callbacks(execute=True):
        flags = do_detect_spikes(now)

    scales = {(flag.scale, flag.key) for flag in flags}
    assert ("area", "area:cell-0") in scales
    assert ("region", "region:city") in scales
    assert ("region", "region:program") in scales
    assert DrugAlert.objects.count() == 1
    assert {flag.alert_id for flag in flags} == {DrugAlert.objects.get().pk}
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "The city" in body and "Cell 0" in body and "expected" in body
    for flag in flags:
        assert flag.count > flag.expected and flag.window_days >= 1

    page = login(sue).get(reverse("overdose:alert_edit", args=[flags[0].alert_id]))
    text = page.content.decode()
    assert "The city" in text and "Whole program" in text and "By chance once in" in text

    # An hour later the same spike is not alerted again.
    with django_capture_on_commit_callbacks(execute=True):
        do_detect_spikes(now + datetime.timedelta(hours=1))
    assert DrugAlert.objects.count() == 1
    assert len(mail.outbox) == 1
    assert SpikeFlag.objects.filter(alert__isnull=True).count() == 0


def test_the_defaults_flag_the_busiest_days_of_the_tempe_file(db):
    call_command("import_overdose_reports", str(TEMPE), source="Tempe EMS", stdout=io.StringIO())
    with TEMPE.open(newline="") as file:
        per_day = Counter(row["incident_date"] for row in csv.DictReader(file))
    busiest = max(per_day.values())
    busiest_days = sorted(day for day, count in per_day.items() if count == busiest)
    assert len(busiest_days) >= 3
    for day in busiest_days:
        next_midnight = timezone.make_aware(
            datetime.datetime.combine(
                datetime.date.fromisoformat(day) + datetime.timedelta(days=1), datetime.time()
            )
        )
        result = run_detection(next_midnight)
        assert result.signals, f"{day} ({busiest} calls) was not flagged"
