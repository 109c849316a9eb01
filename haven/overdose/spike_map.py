"""The supervisors' map: each area coloured by the last 7 days' reports against expected.

Drawn on the server as SVG with no tiles and no points: each area with a
centre is a square around that centre, the size of a grid cell; areas of a
cluster flagged in the last 7 days get a thick outline. Expected is the
area's weekly average over the 52 weeks before.
"""

import datetime
import math
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from .actions import program_counts
from .importing import GRID_DEGREES
from .models import SpikeFlag

WEEK, YEAR = 7, 364
# (lowest ratio of observed to expected, fill colour): the legend is in areas.html.
CLASSES = [(2.0, "#b2182b"), (1.5, "#ef8a62"), (1.0, "#fddbc7"), (0.0, "#f7f7f7")]
SIZE, MARGIN = 600, 20


def area_weeks(as_of=None):
    """[(area, reports in the last 7 days, expected)] for active areas with a centre."""
    as_of = as_of or timezone.now()
    areas, counts = program_counts(as_of, WEEK + YEAR)
    rows = []
    for area, series in zip(areas, counts, strict=True):
        if area.latitude is None or area.longitude is None:
            continue
        rows.append((area, int(series[-WEEK:].sum()), float(series[:-WEEK].sum()) / (YEAR / WEEK)))
    return rows


def colour(observed, expected):
    ratio = observed / expected if expected else (math.inf if observed else 0)
    for lowest, fill in CLASSES:
        if ratio >= lowest:
            return fill
    return CLASSES[-1][1]


def flagged_cluster_codes(as_of=None):
    as_of = as_of or timezone.now()
    codes = set()
    recent = SpikeFlag.objects.filter(
        scale=SpikeFlag.Scale.CLUSTER, window_end__gt=as_of - datetime.timedelta(days=WEEK)
    )
    for flag in recent:
        codes.update(flag.area_codes)
    return codes


def svg(as_of=None):
    rows = area_weeks(as_of)
    outlined = flagged_cluster_codes(as_of)
    title = _("Overdose reports in the last 7 days against expected, by area")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    if rows:
        mid = sum(area.latitude for area, _o, _e in rows) / len(rows)
        squash = math.cos(math.radians(mid))
        xs = [area.longitude * squash for area, _o, _e in rows]
        ys = [area.latitude for area, _o, _e in rows]
        span = max(max(xs) - min(xs), max(ys) - min(ys)) + GRID_DEGREES
        scale = (SIZE - 2 * MARGIN) / span
        side = GRID_DEGREES * scale
        for (area, observed, expected), x, y in zip(rows, xs, ys, strict=True):
            left = MARGIN + (x - min(xs)) * scale
            top = MARGIN + (max(ys) - y) * scale
            thick = area.code in outlined
            label = _("%(area)s: %(observed)s reports, %(expected).1f expected") % {
                "area": area.name,
                "observed": observed,
                "expected": expected,
            }
            parts.append(
                f'<rect x="{left:.1f}" y="{top:.1f}" width="{side:.1f}" height="{side:.1f}" '
                f'fill="{colour(observed, expected)}" stroke="{"#000" if thick else "#999"}" '
                f'stroke-width="{4 if thick else 1}"><title>{escape(label)}</title></rect>'
            )
    parts.append("</svg>")
    return "".join(parts)
