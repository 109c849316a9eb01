"""ODMAP-style export of suspected overdoses, to share with a health department.

The four ODMAP fields and nothing else: date and time, approximate location
(the centre of the report's area, never a point; and the area's code), fatal
or non-fatal, and naloxone given. No participant, note or reporter is in it.
importing.py reads the file back, so two programs can exchange without re-keying.
"""

import io

from django.utils import timezone

from haven.core.spreadsheet import csv_writer

from .models import OverdoseReport

COLUMNS = ["date_time", "latitude", "longitude", "area", "fatal", "naloxone_given"]
FATAL = {OverdoseReport.Outcome.DIED: "Fatal", OverdoseReport.Outcome.SURVIVED: "Non-fatal"}


def naloxone_given(report):
    if report.naloxone_doses:
        return "TRUE"
    if report.naloxone_source == OverdoseReport.NaloxoneSource.NONE or report.naloxone_doses == 0:
        return "FALSE"
    if report.naloxone_source == OverdoseReport.NaloxoneSource.UNKNOWN:
        return "NA"
    return "TRUE"


def export_csv(since, until):
    """The CSV text of every report that happened on local days since .. until."""
    reports = (
        OverdoseReport.objects.filter(occurred_at__date__gte=since, occurred_at__date__lte=until)
        .select_related("area")
        .order_by("occurred_at", "id")
    )
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for report in reports:
        area = report.area
        writer.writerow(
            [
                timezone.localtime(report.occurred_at).isoformat(timespec="minutes"),
                # Numbers, not text, so that a negative longitude is not read as a formula.
                "" if area.latitude is None else round(area.latitude, 2),
                "" if area.longitude is None else round(area.longitude, 2),
                area.code,
                FATAL.get(report.outcome, "NA"),
                naloxone_given(report),
            ]
        )
    return out.getvalue()
