"""Haven's one chart theme: every chart Haven draws is made here, drawn on the server by pygal.

Why pygal: it is maintained, small, already a dependency, fast enough to draw a
dashboard's charts per request, and writes SVG whose text stays text (sharp at
any zoom, in the page's font). matplotlib draws finer charts but is a large
dependency, slower per chart and measures text with its own fonts, not the
page's; vega-lite draws in the browser, which needs a script bundle and an
expression evaluator the content security policy refuses.

Each chart is a picture with no script, shown as an <img> with a data: address,
or on the dashboard an address of its own (reports.views.dashboard_chart) (pygal
styles its SVG with a <style> element, which the policy refuses inside a
page but an image keeps to itself), with a text alternative and its numbers in
a table beside it. A chart is drawn once per size at which it is shown, so
that its text is as large on a phone as on a desk: the picture is shown at
about its own width, never shrunk to a third.
"""

import base64
import functools
import math
import re

import pygal
from django.utils import translation
from django.utils.formats import number_format
from pygal.style import Style

# The page's font (haven.css), so a chart reads as part of the page.
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
INK = "#1b1f24"
MUTED = "#4a5360"
GUIDE = "#c9d1da"
# Series colours, in order: Haven's accent, error and ok colours and three more.
# Each has at least 4.5:1 contrast on white, more than the 3:1 WCAG asks of lines
# and points, and the first two differ for the common kinds of colour blindness.
COLOURS = ("#0b5cad", "#a3161b", "#17603a", "#7a4a00", "#6a3d9a", "#4a5360")

# Size in SVG units and the text size at that size: each is drawn for the width
# at which the page shows it (haven.css: .chart), so one unit is about one pixel.
SIZES = {
    "desk": {"width": 860, "height": 380, "text": 16, "labels": 12},
    "phone": {"width": 360, "height": 300, "text": 14, "labels": 3},
    "small": {"width": 400, "height": 220, "text": 14, "labels": 3},
}
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
# The dashed line to the period not over yet, and its point drawn hollow.
PARTIAL_DASH = "6,5"


def style(colours=COLOURS, text=16):
    """Haven's pygal style: the page's font and ink, AA colours, plain light guides."""
    return Style(
        background="white",
        plot_background="white",
        foreground=INK,
        foreground_strong=INK,
        foreground_subtle=GUIDE,
        colors=colours,
        font_family=FONT,
        label_font_size=text,
        major_label_font_size=text,
        value_font_size=text,
        legend_font_size=text,
        title_font_size=text + 2,
        tooltip_font_size=text,
        stroke_width=3,
        opacity="1",
        opacity_hover="1",
        stroke_opacity="1",
        stroke_opacity_hover="1",
        guide_stroke_dasharray="none",
        major_guide_stroke_dasharray="none",
        guide_stroke_color=GUIDE,
        major_guide_stroke_color=GUIDE,
    )


def whole_number(value):
    """A tick or value as the page writes numbers, grouped in the page's language (12,400)."""
    return number_format(round(value), 0, use_l10n=True, force_grouping=True)


def line_chart(labels, series, *, size="desk", partial_last=False, y_max=None):
    """SVG markup of a line chart of counts, in Haven's theme, with no script.

    `series`: [(name, [values])], one value per label. With `partial_last`, the
    last period is not over: its line is dashed and its point hollow, so a month
    that has only begun is not read as a fall. `y_max` shares one scale across
    small multiples, so that their heights compare.

    Drawing is most of a dashboard's time, and a chart whose numbers have not
    changed since it was last drawn (in this language) is the same picture: the
    last few are kept, by what they show.
    """
    return _drawn(
        tuple(labels),
        tuple((name, tuple(values)) for name, values in series),
        size,
        partial_last,
        y_max,
        translation.get_language(),
    )


@functools.lru_cache(maxsize=64)
def _drawn(labels, series, size, partial_last, y_max, _language):
    spec = SIZES[size]
    colours = []
    for index in range(len(series)):
        colours += [COLOURS[index % len(COLOURS)]] * (2 if partial_last else 1)
    top = max([y_max or 0] + [value for _name, values in series for value in values if value])
    ticks = count_ticks(top)
    chart = pygal.Line(
        style=style(tuple(colours), spec["text"]),
        js=[],
        width=spec["width"],
        height=spec["height"],
        show_dots=len(labels) <= 26,
        dots_size=4,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        legend_at_bottom_columns=1 if size == "phone" else min(len(series), 4),
        legend_box_size=spec["text"],
        truncate_legend=-1,
        truncate_label=-1,
        x_labels=list(labels),
        x_label_rotation=0,
        show_minor_x_labels=False,
        x_labels_major=_labels_shown(labels, spec["labels"]),
        show_x_guides=False,
        show_y_guides=True,
        include_x_axis=True,
        # A count never goes below zero; the top tick is at or above the highest
        # point, so no line runs past the last number on the axis.
        y_labels=ticks,
        range=(0, ticks[-1]),
        value_formatter=whole_number,
        margin=8,
        # Room above the highest point, drawn hollow when it is the last.
        margin_top=round(spec["text"] * 1.5),
        # Room for half the last label, centred on the right edge's point (a letter is
        # about 0.55 of the text size wide).
        margin_right=round(max(2, 0.3 * len(labels[-1] if labels else "")) * spec["text"]),
        spacing=12,
        disable_xml_declaration=True,
        explicit_size=False,
    )
    for name, values in series:
        values = list(values)
        if partial_last and len(values) > 1:
            chart.add(name, values[:-1] + [None])
            chart.add(
                None,
                [None] * (len(values) - 2) + [values[-2], _hollow(values[-1])],
                stroke_style={"dasharray": PARTIAL_DASH, "width": 3},
            )
        else:
            chart.add(name, values)
    return SCRIPT.sub("", chart.render(is_unicode=True))


def count_ticks(top, most=5):
    """0 and whole round steps (1, 2, 2.5 or 5 times a power of ten) up to at least `top`,
    in at most `most` steps; at least 0-4, so that one report does not fill a chart."""
    top = max(math.ceil(top), 4)
    magnitude = 1
    while True:
        for tenfold in (10, 20, 25, 50):
            step, fraction = divmod(tenfold * magnitude, 10)
            if not fraction and -(-top // step) <= most:  # no step of 2.5: counts are whole
                return [step * n for n in range(-(-top // step) + 1)]
        magnitude *= 10


def _hollow(value):
    return {"value": value, "style": "fill: white; stroke-width: 3", "node": {"r": 6}}


def _labels_shown(labels, most):
    """At most `most` evenly spaced labels, counted back from the last, which is always shown."""
    step = max(1, -(-len(labels) // most))
    return labels[::-1][::step][::-1]


def data_uri(svg):
    """An SVG picture as a data: address for an <img> or a <source srcset>."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
