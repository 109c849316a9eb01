"""Haven's one chart theme (haven/core/charts.py): legible, accessible, safe under the CSP."""

import re
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from haven.core import charts

LABELS = ["Jan 26", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SERIES = [("Contacts", [0, 0, 0, 0, 0, 300, 900, 1300, 1700, 2100, 1300, 217])]


def contrast(foreground, background="#ffffff"):
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_every_series_colour_and_the_text_pass_aa_contrast_on_white():
    for colour in (*charts.COLOURS, charts.INK, charts.MUTED):
        assert contrast(colour) >= 4.5, colour


def test_the_theme_uses_the_pages_font_not_monospace():
    css = Path(charts.__file__).parent.joinpath("static/core/haven.css").read_text()
    assert f"font-family: {charts.FONT};" in css
    svg = charts.line_chart(LABELS, SERIES)
    assert f"font-family:{charts.FONT.replace(', ', ',')}" in svg
    assert "monospace" not in svg


@pytest.mark.parametrize("size", list(charts.SIZES))
def test_text_is_page_sized_at_every_size(size):
    spec = charts.SIZES[size]
    svg = charts.line_chart(LABELS, SERIES, size=size)
    # Axis labels and legend: drawn about as wide as shown, so 13 units is 13 px on the screen.
    sizes = re.findall(r"\.(?:axis text|legends \.legend text)\{[^}]*font-size:(\d+)px", svg)
    assert len(sizes) == 2 and min(int(n) for n in sizes) >= 13
    assert f'viewBox="0 0 {spec["width"]} {spec["height"]}"' in svg


def test_no_script_and_no_outside_address_in_a_chart():
    svg = charts.line_chart(LABELS, SERIES + [("People", [1] * 12)], partial_last=True)
    assert "<script" not in svg
    assert "kozea.github.io" not in svg and "googleapis" not in svg


def test_the_last_label_is_always_shown_and_labels_do_not_crowd():
    svg = charts.line_chart(LABELS, SERIES, size="phone")
    shown = re.findall(r'<text[^>]*class="major"[^>]*>([A-Z][a-z]{2}[^<]*)</text>', svg)
    assert shown == ["Apr", "Aug", "Dec"]
    assert charts._labels_shown(LABELS, 12) == LABELS


def test_the_partial_period_is_a_dashed_segment_to_a_hollow_point():
    svg = charts.line_chart(LABELS, SERIES, partial_last=True)
    assert f"stroke-dasharray:{charts.PARTIAL_DASH}" in svg
    # Only the last point is hollow.
    assert svg.count("fill: white") == 1
    # One series needs no legend; with two, one entry each: the dashed part is no series.
    assert svg.count('class="legend reactive') == 0
    two = charts.line_chart(LABELS, SERIES + [("People", [1] * 12)], partial_last=True)
    assert two.count('class="legend reactive') == 2


def test_ticks_have_thousands_separators_in_the_language_of_the_page():
    svg = charts.line_chart(LABELS, [("Syringes", [12_000] * 12)])
    assert "12,000" in svg
    with translation.override("es"):
        # Django's Spanish format groups with a no-break space, as the page's numbers do.
        assert "12\xa0000" in charts.line_chart(LABELS, [("Jeringas", [12_000] * 12)])


def test_a_chart_drawn_again_is_the_same_picture_unless_its_numbers_or_language_change():
    series = [("Syringes", [12_000] * 12)]
    english = charts.line_chart(LABELS, series)
    assert charts.line_chart(LABELS, series) is english  # kept, not drawn again
    changed = charts.line_chart(LABELS, [("Syringes", [12_000] * 11 + [13_000])])
    assert changed is not english and changed != english
    with translation.override("es"):
        assert "12\xa0000" in charts.line_chart(LABELS, series)


def test_small_multiples_share_one_scale():
    quiet = charts.line_chart(LABELS, [("A", [1] * 12)], size="small", y_max=40)
    ticks = [int(n) for n in re.findall(r'class="(?:major)?">(\d+)</text>', quiet)]
    assert max(ticks) >= 30


@given(st.integers(min_value=0, max_value=10**9))
def test_the_axis_reaches_the_highest_point_in_a_few_whole_round_steps(top):
    ticks = charts.count_ticks(top)
    step = ticks[1]
    assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) <= 6
    assert all(isinstance(tick, int) for tick in ticks)
    assert ticks == [step * n for n in range(len(ticks))]
    assert int(str(step).rstrip("0") or 0) in {1, 2, 25, 5}
    # Not needlessly tall: one step fewer would fall short (or the scale is the least, 0-4).
    assert ticks[-2] < top or ticks[-1] == 4


def test_no_line_runs_past_the_last_number_on_the_axis():
    svg = charts.line_chart(LABELS, [("Contacts", [0, 120, 470, 503, 310, 0, 0, 0, 0, 0, 0, 0])])
    ticks = [
        int(n.replace(",", "")) for n in re.findall(r'class="(?:major)?">([\d,]+)</text>', svg)
    ]
    assert max(ticks) == 600
