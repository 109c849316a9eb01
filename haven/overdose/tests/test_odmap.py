"""ODMAP-style exchange: export the four fields, import them back, managers only."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.core.models import AuditEntry
from haven.overdose import odmap
from haven.overdose.importing import ImportFailed, import_reports
from haven.overdose.models import Area, OverdoseReport


@pytest.fixture
def cell(db):
    return Area.objects.create(
        code="grid_33-40_m111-96", name="Grid 33.40, -111.96", kind="grid",
        latitude=33.41, longitude=-111.95,
    )  # fmt: skip


def test_export_has_the_four_fields_and_no_note(cell):
    when = timezone.now() - datetime.timedelta(hours=2)
    OverdoseReport.objects.create(
        occurred_at=when, area=cell, reported_by="staff", outcome="died",
        naloxone_doses=2, naloxone_source="program", note="Xsecret",
    )  # fmt: skip
    OverdoseReport.objects.create(
        occurred_at=when, area=cell, reported_by="staff", outcome="survived",
        naloxone_source="none",
    )  # fmt: skip
    today = timezone.localdate()
    text = odmap.export_csv(today - datetime.timedelta(days=1), today)
    # Text cells come quoted (haven/core/spreadsheet.py), as any CSV reader takes them.
    header, first, second = csv.reader(io.StringIO(text))
    assert header == ["date_time", "latitude", "longitude", "area", "fatal", "naloxone_given"]
    stamp = timezone.localtime(when).isoformat(timespec="minutes")
    assert first == [stamp, "33.41", "-111.95", "grid_33-40_m111-96", "Fatal", "TRUE"]
    assert second[-2:] == ["Non-fatal", "FALSE"]
    assert ",33.41,-111.95," in text  # the coordinates are numbers, not quoted text
    assert "Xsecret" not in text


def test_an_exported_file_imports_into_another_program(cell):
    when = timezone.now() - datetime.timedelta(days=1)
    OverdoseReport.objects.create(
        occurred_at=when, area=cell, reported_by="staff", outcome="died", naloxone_source="ems"
    )
    today = timezone.localdate()
    text = odmap.export_csv(today - datetime.timedelta(days=3), today)
    # The other program has none of our areas: the coordinates make a grid cell.
    cell.code = "ours-only"
    cell.save()
    result = import_reports(io.StringIO(text), source="Neighbouring program")
    assert result.created == 1
    imported = OverdoseReport.objects.get(source="Neighbouring program")
    assert imported.outcome == "died"
    assert imported.naloxone_source == "ems"
    assert imported.area.code == "grid_33-40_m111-96"
    assert (imported.area.latitude, imported.area.longitude) == (33.41, -111.95)
    assert abs(imported.occurred_at - when) < datetime.timedelta(minutes=1)


def test_a_bad_fatal_value_imports_nothing(db):
    text = "date_time,latitude,longitude,fatal\n2024-01-02T10:00,33.41,-111.95,maybe\n"
    with pytest.raises(ImportFailed) as failure:
        import_reports(io.StringIO(text), source="County")
    assert failure.value.problems == ["Line 2: “maybe” is not Fatal, Non-fatal or NA."]
    assert not OverdoseReport.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("specialist", 403),
        ("supervisor", 403),
        ("analyst", 403),
        ("admin", 403),
        ("manager", 200),
    ],
)
def test_only_managers_export_and_the_export_is_audited(role, status, personas, login, cell):
    response = login(personas[role]).get(reverse("overdose:odmap_export") + "?days=30")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"].startswith("text/csv")
        assert AuditEntry.objects.filter(page="overdose odmap export").exists()
