"""Trend charts for the dashboard, drawn on the server by pygal as SVG pictures.

No scripts: pygal's tooltips load JavaScript from elsewhere, which Haven never
does, so each chart is a static picture with its numbers in a table beside it.
The page shows each chart as an <img> with a data: address rather than as SVG
markup in the page: pygal styles its SVG with a <style> element, which the
content security policy (style-src 'self') refuses inside a page but which an
image keeps to itself.
"""

import base64
import re

import pygal
from pygal.style import Style

SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
HAVEN_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#4a5360",
    colors=("#0b5cad", "#a3161b", "#17603a", "#7a4a00"),
    font_family="system-ui, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    title_font_size=16,
)


def line_chart(title, labels, series):
    """`series`: [(name, [values])]. Returns SVG markup."""
    chart = pygal.Line(
        style=HAVEN_STYLE,
        js=[],
        width=960,
        height=420,
        show_dots=True,
        dots_size=3,
        x_label_rotation=30,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(labels) // 8),
        legend_at_bottom=True,
        include_x_axis=True,
        disable_xml_declaration=True,
        explicit_size=False,
    )
    chart.title = title
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, values)
    # pygal writes its settings into an inline script for its tooltips even
    # with no tooltip script; the picture does not need it.
    return SCRIPT.sub("", chart.render(is_unicode=True))


def data_uri(svg):
    """An SVG picture as a data: address for an <img>, drawn with the page's other numbers."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
