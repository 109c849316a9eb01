"""Import of overdose incident records (e.g. a county's EMS calls) from CSV.

A file is imported whole or not at all: every row is checked first, and one
bad row stores nothing and names the line. Importing the same file twice
stores each record once (each row is keyed by a hash of its text).

Columns, by name, any order; others are ignored:

- the date: `incident_date` or `date` (YYYY-MM-DD), or a time: `occurred_at`
  (ISO 8601; without an offset it is read in the program's time zone);
- the place, one of: `area` (the code of one of the program's areas), or
  `latitude` and `longitude`, which are turned into a grid cell of
  GRID_DEGREES on a side and then forgotten: the point itself is never stored;
- optionally `narcan_given` / `naloxone_given` (TRUE, FALSE or NA);
- optionally `fatal` (Fatal, Non-fatal, TRUE, FALSE or NA), as ODMAP records it.

ODMAP's four fields are date and time (`date_time`, read as `occurred_at`),
approximate location (`latitude` and `longitude`), fatal or non-fatal, and
naloxone given: odmap.py writes them, and a file it wrote imports here. An
`area` code that is not one of the program's areas falls back on the
coordinates when the row has them (another program's areas are not ours).

A record with a date but no time is put at noon local time, so that it falls
in the right day whichever way the day is cut.
"""

import csv
import datetime
import hashlib
import math
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from haven.core.spreadsheet import first_nul_line

from .models import Area, OverdoseReport

# 0.02 degrees is about 2.2 km north-south and 1.9 km east-west at Tempe's
# latitude: coarse enough that a cell never points at a building, and small
# enough to tell one part of a city from another.
GRID_DEGREES = 0.02
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n"}
UNKNOWN_WORDS = {"", "na", "n/a", "null", "unknown"}


class ImportFailed(Exception):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ImportResult:
    created: int
    already_there: int
    areas_created: int


@dataclass
class ImportPlan:
    """What importing a file would do: its checked rows and which are already stored."""

    source: str
    rows: list  # (area code, unsaved OverdoseReport), in the file's order
    new_areas: dict  # {code: name} of the grid cells to create
    area_names: dict  # {code: name} of every area the rows name
    stored_refs: set  # source_ref of each row already imported from this source

    def is_stored(self, report):
        return report.source_ref in self.stored_refs

    @property
    def to_import(self):
        return [(code, report) for code, report in self.rows if not self.is_stored(report)]

    @property
    def already_there(self):
        return len(self.rows) - len(self.to_import)

    def preview(self, count):
        """The first `count` rows as (report, area name, already stored)."""
        return [
            (report, self.area_names[code], self.is_stored(report))
            for code, report in self.rows[:count]
        ]


def decode(content):
    """The text of an uploaded file: UTF-8, with or without a byte-order mark."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ImportFailed(
            [
                _(
                    "Line %(n)s: the file is not UTF-8 text. Save it as “CSV UTF-8” "
                    "(or CSV with UTF-8 encoding) and upload it again."
                )
                % {"n": line}
            ]
        ) from error
    line = first_nul_line(text)
    if line:
        raise ImportFailed(
            [
                _("Line %(n)s holds a NUL character, which no field can hold; remove it.")
                % {"n": line}
            ]
        )
    return text


def grid_cell(latitude, longitude, size=GRID_DEGREES):
    """(code, name) of the grid cell holding a point, named by its south-west corner."""
    south = math.floor(round(latitude / size, 9)) * size
    west = math.floor(round(longitude / size, 9)) * size
    code = f"grid_{south:.2f}_{west:.2f}".replace(".", "-").replace("_-", "_m")
    # Stored, so not translated: an area name is data, like a ZIP code.
    name = f"Grid {south:.2f}, {west:.2f}"
    return code, name


def grid_centre(code):
    """(latitude, longitude) of the centre of the grid cell with this code."""
    south, west = (
        (-1 if part.startswith("m") else 1) * float(part.lstrip("m").replace("-", "."))
        for part in code.removeprefix("grid_").split("_")
    )
    return round(south + GRID_DEGREES / 2, 3), round(west + GRID_DEGREES / 2, 3)


def _occurred_at(row):
    stamp = row.get("occurred_at") or row.get("date_time")
    if stamp:
        value = parse_datetime(stamp.strip())
        if value is None:
            raise ValueError(_("“%(value)s” is not a date and time.") % {"value": stamp})
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value
    text = (row.get("incident_date") or row.get("date") or "").strip()
    if not text:
        raise ValueError(_("The date is missing."))
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": text}) from error
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def _naloxone_given(row):
    text = (row.get("narcan_given") or row.get("naloxone_given") or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    if text in UNKNOWN_WORDS:
        return None
    raise ValueError(_("“%(value)s” is not TRUE, FALSE or NA.") % {"value": text})


FATAL_WORDS = {"fatal", "true", "yes", "1", "y", "died"}
NON_FATAL_WORDS = {"non-fatal", "nonfatal", "non fatal", "false", "no", "0", "n", "survived"}


def _outcome(row):
    text = (row.get("fatal") or "").strip().lower()
    if text in FATAL_WORDS:
        return OverdoseReport.Outcome.DIED
    if text in NON_FATAL_WORDS:
        return OverdoseReport.Outcome.SURVIVED
    if text in UNKNOWN_WORDS:
        return OverdoseReport.Outcome.UNKNOWN
    raise ValueError(_("“%(value)s” is not Fatal, Non-fatal or NA.") % {"value": text})


def _place(row, areas):
    """(area code, area name or None when it must already exist)."""
    has_point = bool((row.get("latitude") or "").strip() and (row.get("longitude") or "").strip())
    if row.get("area") and (row["area"].strip() in areas or not has_point):
        code = row["area"].strip()
        if code not in areas:
            raise ValueError(_("“%(code)s” is not one of the program's areas.") % {"code": code})
        return code, None
    try:
        latitude = float(row["latitude"])
        longitude = float(row["longitude"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(_("Give an area code, or a latitude and a longitude.")) from error
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(_("The latitude or longitude is out of range."))
    return grid_cell(latitude, longitude)


DATE_COLUMNS = {"incident_date", "date", "occurred_at", "date_time"}


def _check_columns(reader):
    """Refuse a file without the columns every row needs, once rather than on every line."""
    columns = {(name or "").strip().lower() for name in reader.fieldnames or ()}
    if not columns - {""}:
        raise ImportFailed([_("The file is empty.")])
    problems = []
    if not columns & DATE_COLUMNS:
        problems.append(_("Line 1: there is no date column (incident_date, date or occurred_at)."))
    if "area" not in columns and not {"latitude", "longitude"} <= columns:
        problems.append(
            _("Line 1: there is no place: an area column, or latitude and longitude columns.")
        )
    if problems:
        raise ImportFailed(problems)


def read_rows(lines, source):
    """Check every row; return the reports to store (unsaved) and the grid cells needed."""
    reader = csv.DictReader(lines)
    try:
        _check_columns(reader)
        return _read_checked_rows(reader, source)
    except csv.Error as error:
        raise ImportFailed(
            [_("Line %(n)s: %(problem)s") % {"n": reader.line_num, "problem": error}]
        ) from error


def _read_checked_rows(reader, source):
    areas = set(Area.objects.filter(active=True).values_list("code", flat=True))
    now = timezone.now()
    seen = Counter()
    reports, new_areas, problems = [], {}, []
    for line_number, row in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): value for key, value in row.items()}
        try:
            occurred_at = _occurred_at(row)
            if occurred_at > now:
                raise ValueError(_("The date is in the future."))
            naloxone = _naloxone_given(row)
            outcome = _outcome(row)
            code, name = _place(row, areas)
        except ValueError as error:
            problems.append(_("Line %(n)s: %(problem)s") % {"n": line_number, "problem": error})
            continue
        if name is not None and code not in areas:
            new_areas[code] = name
        # Identical rows are real, separate calls (same day, same rounded
        # place); number them so that each is stored once.
        text = "\x1f".join(f"{key}={row[key]}" for key in sorted(row))
        digest = hashlib.sha256(text.encode()).hexdigest()[:24]
        seen[digest] += 1
        reports.append(
            (
                code,
                OverdoseReport(
                    occurred_at=occurred_at,
                    reported_by=OverdoseReport.Reporter.IMPORTED,
                    naloxone_source=(
                        OverdoseReport.NaloxoneSource.EMS
                        if naloxone
                        else OverdoseReport.NaloxoneSource.NONE
                        if naloxone is False
                        else OverdoseReport.NaloxoneSource.UNKNOWN
                    ),
                    outcome=outcome,
                    source=source,
                    source_ref=f"{digest}-{seen[digest]}",
                ),
            )
        )
    if problems:
        raise ImportFailed(problems)
    return reports, new_areas


def _centre_fields(code):
    latitude, longitude = grid_centre(code)
    return {"latitude": latitude, "longitude": longitude}


def _clean_source(source):
    source = source.strip()
    if not source:
        raise ImportFailed([_("Name the source of the records (e.g. “County EMS”).")])
    return source


def _stored_refs(source):
    return set(OverdoseReport.objects.filter(source=source).values_list("source_ref", flat=True))


def plan_import(lines, *, source):
    """Check a CSV file's lines and say what importing them would do, storing nothing."""
    source = _clean_source(source)
    reports, new_areas = read_rows(lines, source)
    area_names = dict(
        Area.objects.filter(code__in={code for code, _report in reports}).values_list(
            "code", "name"
        )
    )
    area_names.update(new_areas)
    return ImportPlan(source, reports, new_areas, area_names, _stored_refs(source))


def import_reports(lines, *, source):
    """Import a CSV file's lines as overdose reports from `source`. All or nothing."""
    source = _clean_source(source)
    reports, new_areas = read_rows(lines, source)
    with transaction.atomic():
        Area.objects.bulk_create(
            [
                Area(code=code, name=name, kind=Area.Kind.GRID, **_centre_fields(code))
                for code, name in new_areas.items()
            ],
            ignore_conflicts=True,
        )
        area_ids = dict(Area.objects.values_list("code", "id"))
        stored = _stored_refs(source)
        to_create = []
        for code, report in reports:
            if report.source_ref in stored:
                continue
            report.area_id = area_ids[code]
            to_create.append(report)
        OverdoseReport.objects.bulk_create(to_create, batch_size=1000)
    return ImportResult(
        created=len(to_create),
        already_there=len(reports) - len(to_create),
        areas_created=len(new_areas),
    )
