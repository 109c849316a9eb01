"""Aggregate figures for the staff area view and drug checking pages.

Definitions:
- reported overdoses: overdose reports by when they happened, from every
  source (reports entered in Haven and imported records);
- reversals: reports where naloxone was given (one dose or more) and the
  person survived;
- positive drug checks: results "positive", by the date of the check;
- share positive: positive / (positive + negative); inconclusive results are
  counted apart and left out of the share.
"""

import datetime
from collections import defaultdict

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import DrugCheck, OverdoseReport

DEFAULT_WEEKS = 12
MAX_WEEKS = 104
PERIODS = {"month": _("Month"), "quarter": _("Quarter")}
REVERSAL = Q(naloxone_doses__gt=0, outcome=OverdoseReport.Outcome.SURVIVED)


def first_week(weeks, today=None):
    """The Monday that starts the first of the last `weeks` weeks, this one included."""
    today = today or timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    return monday - datetime.timedelta(weeks=weeks - 1)


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def by_area_and_week(weeks, today=None):
    """Counts per area and week (Monday first) for the last `weeks` weeks.

    Returns {"weeks": [monday, ...], "rows": [{week, area, reports, reversals,
    positive_checks}, ...]} with a row only where something happened, newest
    week first. Two queries.
    """
    start = first_week(weeks, today)
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time()))
    cells = defaultdict(lambda: {"reports": 0, "reversals": 0, "positive_checks": 0})
    report_counts = (
        OverdoseReport.objects.filter(occurred_at__gte=start_at)
        .annotate(week=TruncWeek("occurred_at"))
        .values("week", "area__name")
        .annotate(reports=Count("id"), reversals=Count("id", filter=REVERSAL))
        .order_by()
    )
    for row in report_counts:
        cell = cells[(_as_date(row["week"]), row["area__name"])]
        cell["reports"] += row["reports"]
        cell["reversals"] += row["reversals"]
    check_counts = (
        DrugCheck.objects.filter(checked_on__gte=start, result=DrugCheck.Result.POSITIVE)
        .annotate(week=TruncWeek("checked_on"))
        .values("week", "area__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in check_counts:
        cells[(_as_date(row["week"]), row["area__name"])]["positive_checks"] += row["n"]
    rows = [
        {"week": week, "area": area, **counts}
        for (week, area), counts in sorted(
            cells.items(), key=lambda kv: (-kv[0][0].toordinal(), kv[0][1])
        )
    ]
    return {"weeks": [start + datetime.timedelta(weeks=i) for i in range(weeks)], "rows": rows}


def share_positive(period, today=None):
    """Drug checks by period and method for the last year, with the share positive."""
    today = today or timezone.localdate()
    trunc = TruncMonth if period == "month" else TruncQuarter
    counts = (
        DrugCheck.objects.filter(checked_on__gt=today - datetime.timedelta(days=365))
        .annotate(period=trunc("checked_on"))
        .values("period", "method")
        .annotate(
            positive=Count("id", filter=Q(result=DrugCheck.Result.POSITIVE)),
            negative=Count("id", filter=Q(result=DrugCheck.Result.NEGATIVE)),
            inconclusive=Count("id", filter=Q(result=DrugCheck.Result.INCONCLUSIVE)),
        )
        .order_by("-period", "method")
    )
    labels = dict(DrugCheck.Method.choices)
    rows = []
    for row in counts:
        decided = row["positive"] + row["negative"]
        rows.append(
            {
                **row,
                "period": _as_date(row["period"]),
                "method_label": labels.get(row["method"], row["method"]),
                "share": round(100 * row["positive"] / decided) if decided else None,
            }
        )
    return rows
