"""Import of incident records from CSV, including the real Tempe EMS file."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from haven.overdose.importing import ImportFailed, grid_cell, import_reports
from haven.overdose.models import Area, OverdoseReport

TEMPE = Path(settings.BASE_DIR).parent / "shared" / "data" / "tempe_opioid_calls.csv"
HEADER = "year,incident_date,narcan_given,latitude,longitude\n"


def lines(text):
    return io.StringIO(text)


def test_points_become_grid_cells_and_are_not_stored(db):
    result = import_reports(
        lines(
            HEADER
            + "2021,2021-06-22,TRUE,33.4196,-111.8904\n2021,2021-06-22,NA,33.4297,-111.9334\n"
        ),
        source="Tempe EMS",
    )
    assert (result.created, result.areas_created) == (2, 2)
    assert set(Area.objects.values_list("code", "kind")) == {
        ("grid_33-40_m111-90", "grid"),
        ("grid_33-42_m111-94", "grid"),
    }
    report = OverdoseReport.objects.get(area__code="grid_33-40_m111-90")
    assert (report.source, report.reported_by, report.naloxone_source) == (
        "Tempe EMS",
        "imported",
        "ems",
    )
    stored = {field.name for field in OverdoseReport._meta.fields}
    assert not {"latitude", "longitude"} & stored


def test_grid_cell_is_named_by_its_south_west_corner():
    assert grid_cell(33.4199, -111.8901) == ("grid_33-40_m111-90", "Grid 33.40, -111.90")


def test_identical_rows_are_separate_calls_and_a_second_import_adds_nothing(db):
    text = HEADER + "2021,2021-07-01,TRUE,33.41,-111.93\n" * 3
    assert import_reports(lines(text), source="EMS").created == 3
    again = import_reports(lines(text), source="EMS")
    assert (again.created, again.already_there) == (0, 3)
    assert OverdoseReport.objects.count() == 3


def test_one_bad_row_stores_nothing_and_names_its_line(db):
    text = (
        HEADER
        + "2021,2021-07-01,TRUE,33.41,-111.93\n"
        + "2021,2021-13-01,TRUE,33.41,-111.93\n"
        + "2099,2099-01-01,TRUE,33.41,-111.93\n"
        + "2021,2021-07-02,maybe,33.41,-111.93\n"
    )
    with pytest.raises(ImportFailed) as failure:
        import_reports(lines(text), source="EMS")
    problems = failure.value.problems
    assert problems[0].startswith("Line 3:") and "not a date" in problems[0]
    assert problems[1].startswith("Line 4:") and "future" in problems[1]
    assert problems[2].startswith("Line 5:") and "TRUE, FALSE or NA" in problems[2]
    assert not OverdoseReport.objects.exists()
    assert not Area.objects.exists()


def test_rows_naming_an_unknown_area_are_refused(area):
    text = "date,area\n2024-01-02,85281\n2024-01-03,99999\n"
    with pytest.raises(ImportFailed) as failure:
        import_reports(lines(text), source="County")
    assert failure.value.problems == ["Line 3: “99999” is not one of the program's areas."]


def test_the_real_tempe_file_imports_whole(db):
    assert TEMPE.exists(), f"{TEMPE} is missing"
    call_command("import_overdose_reports", str(TEMPE), source="Tempe EMS", stdout=io.StringIO())
    assert OverdoseReport.objects.filter(source="Tempe EMS").count() == 3379
    assert Area.objects.filter(kind="grid").count() == 58
    first = OverdoseReport.objects.order_by("occurred_at").first()
    assert first.occurred_at.date().isoformat() == "2017-01-03"
    assert OverdoseReport.objects.filter(naloxone_source="ems").count() == 1978


def test_command_reports_bad_files_without_importing(tmp_path, db):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2021,2021-07-01,TRUE,,\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_overdose_reports", str(bad), source="EMS")
    assert not OverdoseReport.objects.exists()
