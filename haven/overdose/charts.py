"""Reported overdoses per week by area, as small multiples in Haven's chart theme.

One small chart per busy area, all on one scale, rather than one chart of
tangled lines: each area's weeks read on their own and heights still compare.
The areas past the busiest are summed in one more chart.
"""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from haven.core.charts import data_uri, line_chart

# The areas with the most reports get a chart each; the rest are summed.
MOST_AREAS = 5


def reports_by_area(table):
    """[{area, total, this_week, src}] for the busiest areas and then the others summed.

    `table` is figures.by_area_and_week(); its last week is the current one, so
    far, and is drawn dashed.
    """
    weeks = table["weeks"]
    totals, counts = {}, {}
    for row in table["rows"]:
        totals[row["area"]] = totals.get(row["area"], 0) + row["reports"]
        counts.setdefault(row["area"], {})[row["week"]] = row["reports"]
    busiest = sorted(totals, key=lambda area: (-totals[area], area))
    groups = [(area, [area]) for area in busiest[:MOST_AREAS]]
    if busiest[MOST_AREAS:]:
        groups.append((_("Other areas"), busiest[MOST_AREAS:]))
    per_week = {
        name: [sum(counts[area].get(week, 0) for area in areas) for week in weeks]
        for name, areas in groups
    }
    shared_top = max((max(values) for values in per_week.values()), default=0)
    labels = [date_format(week, "j M") for week in weeks]
    labels[-1] = _("%(period)s so far") % {"period": labels[-1]}
    multiples = []
    for name, _areas in groups:
        values = per_week[name]
        svg = line_chart(
            labels, [(name, values)], size="small", partial_last=True, y_max=shared_top
        )
        multiples.append(
            {"area": name, "total": sum(values), "this_week": values[-1], "src": data_uri(svg)}
        )
    return multiples
