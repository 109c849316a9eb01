"""Charts drawn on the server as SVG (pygal): no JavaScript, readable without it."""

import re

import pygal
from django.utils.translation import gettext as _

# The areas with the most reports get a line each; the rest are summed.
MAX_LINES = 6
# pygal writes its settings into an inline script even with no tooltip script;
# the picture does not need it, and opened on its own the policy refuses it.
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def reports_by_week(table, weeks):
    """A line chart of reported overdoses per week for the busiest areas."""
    week_list = table["weeks"]
    totals, series = {}, {}
    for row in table["rows"]:
        totals[row["area"]] = totals.get(row["area"], 0) + row["reports"]
        series.setdefault(row["area"], {})[row["week"]] = row["reports"]
    busiest = sorted(totals, key=lambda area: (-totals[area], area))
    config = pygal.Config(
        js=[],
        width=800,
        height=400,
        show_dots=weeks <= 26,
        x_label_rotation=45,
        show_minor_x_labels=False,
        legend_at_bottom=True,
        title=_("Reported overdoses per week"),
        y_title=_("Reports"),
        print_values=False,
    )
    chart = pygal.Line(config)
    chart.x_labels = [week.isoformat() for week in week_list]
    chart.x_labels_major = chart.x_labels[:: max(1, len(week_list) // 8)]
    for area in busiest[:MAX_LINES]:
        chart.add(area, [series[area].get(week, 0) for week in week_list])
    rest = busiest[MAX_LINES:]
    if rest:
        chart.add(
            _("Other areas"),
            [sum(series[area].get(week, 0) for area in rest) for week in week_list],
        )
    if not busiest:
        chart.add(_("All areas"), [0 for _week in week_list])
    return SCRIPT.sub("", chart.render(is_unicode=True))
