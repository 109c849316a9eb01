import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.resources.hours import (
    HoursParseError,
    Span,
    Week,
    find_overlaps,
    format_hours,
    parse_hours,
)

PHOENIX = ZoneInfo("America/Phoenix")
T = datetime.time


def at(text, zone=PHOENIX):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.fixture(autouse=True)
def phoenix(settings):
    settings.TIME_ZONE = "America/Phoenix"


WEEKDAYS_9_TO_5 = Week([Span(day, T(9), T(17)) for day in range(5)])
OVERNIGHT = Week([Span(0, T(22), T(6))])  # Monday night into Tuesday morning


def test_open_during_the_day_and_closed_after_closing():
    assert WEEKDAYS_9_TO_5.status_at(at("2025-03-03 09:00")).open is True  # a Monday
    assert WEEKDAYS_9_TO_5.status_at(at("2025-03-03 16:59")).open is True
    assert WEEKDAYS_9_TO_5.status_at(at("2025-03-03 17:00")).open is False
    assert WEEKDAYS_9_TO_5.status_at(at("2025-03-08 12:00")).open is False  # Saturday


def test_open_status_says_when_it_closes_and_when_it_opens_next():
    status = WEEKDAYS_9_TO_5.status_at(at("2025-03-03 10:00"))
    assert status.until == at("2025-03-03 17:00")
    closed = WEEKDAYS_9_TO_5.status_at(at("2025-03-07 18:00"))  # Friday evening
    assert closed.opens_at == at("2025-03-10 09:00")


def test_overnight_span_is_open_after_midnight_the_next_day():
    assert OVERNIGHT.status_at(at("2025-03-03 23:30")).open is True
    assert OVERNIGHT.status_at(at("2025-03-04 05:59")).open is True
    assert OVERNIGHT.status_at(at("2025-03-04 06:00")).open is False
    assert OVERNIGHT.status_at(at("2025-03-03 21:59")).open is False
    assert OVERNIGHT.status_at(at("2025-03-04 23:00")).open is False  # Tuesday night


def test_sunday_night_span_runs_into_monday_morning():
    week = Week([Span(6, T(20), T(4))])
    assert week.status_at(at("2025-03-10 03:00")).open is True


def test_a_holiday_closes_the_day_but_not_the_night_before():
    holiday = datetime.date(2025, 3, 4)  # Tuesday
    week = Week([Span(day, T(22), T(6)) for day in range(7)], {holiday: []})
    assert week.status_at(at("2025-03-04 02:00")).open is True  # Monday's span
    assert week.status_at(at("2025-03-04 23:00")).open is False  # Tuesday's span cancelled


def test_special_hours_replace_the_weekly_hours_on_that_date():
    week = Week(
        [Span(day, T(9), T(17)) for day in range(5)],
        {datetime.date(2025, 12, 24): [Span(2, T(9), T(12))]},
    )
    assert week.status_at(at("2025-12-24 11:00")).open is True
    assert week.status_at(at("2025-12-24 13:00")).open is False


def test_all_day_is_open_at_midnight():
    week = Week([Span(day, T(0), T(0)) for day in range(7)])
    assert week.status_at(at("2025-03-05 00:00")).open is True
    assert week.status_at(at("2025-03-05 23:59")).open is True


def test_no_hours_means_unknown_not_closed():
    assert Week([]).status_at(at("2025-03-03 10:00")).open is None


def test_hours_are_read_in_the_program_time_zone(settings):
    # 16:30 UTC is 09:30 in Phoenix (UTC-7 all year): open. In New York it is 11:30 or 12:30.
    moment = datetime.datetime(2025, 3, 3, 16, 30, tzinfo=datetime.UTC)
    assert WEEKDAYS_9_TO_5.status_at(moment).open is True
    moment = datetime.datetime(2025, 3, 3, 15, 30, tzinfo=datetime.UTC)  # 08:30 Phoenix
    assert WEEKDAYS_9_TO_5.status_at(moment).open is False
    settings.TIME_ZONE = "America/New_York"
    assert WEEKDAYS_9_TO_5.status_at(moment).open is True  # 10:30 in New York


def test_parse_hours_reads_ranges_overnight_and_24_7():
    assert parse_hours("Mon-Fri 08:00-17:00") == [Span(d, T(8), T(17)) for d in range(5)]
    assert parse_hours("Sat 22:00-06:00") == [Span(5, T(22), T(6))]
    assert parse_hours("Fri-Mon 9:00-12:00") == [Span(d, T(9), T(12)) for d in (4, 5, 6, 0)]
    assert len(parse_hours("24/7")) == 7
    assert parse_hours("") == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("Mon 09:00-09:00", "same time"),
        ("Funday 09:00-17:00", "Cannot read"),
        ("Mon 25:00-26:00", "does not exist"),
        ("Mon 09:00-17:00; Mon 12:00-20:00", "overlap"),
        ("Sun 22:00-08:00; Mon 07:00-09:00", "overlap"),
    ],
)
def test_impossible_or_unreadable_hours_are_refused_with_a_reason(text, message):
    with pytest.raises(HoursParseError, match=message):
        parse_hours(text)


times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@given(st.lists(st.tuples(st.integers(0, 6), times, times), max_size=7))
def test_formatted_hours_parse_back_to_the_same_spans(raw):
    spans = []
    for day, opens, closes in raw:
        if opens == closes and opens != T(0):
            continue
        candidate = Span(day, opens, closes)
        if not find_overlaps([*spans, candidate]):
            spans.append(candidate)
    text = format_hours(spans)
    assert sorted(parse_hours(text), key=repr) == sorted(spans, key=repr) or (
        text == "24/7" and len(spans) == 7
    )


@given(st.integers(0, 6), times, times, st.integers(0, 7 * 24 * 60 - 1))
def test_a_moment_is_open_exactly_when_it_falls_inside_the_span(day, opens, closes, minute):
    if opens == closes and opens != T(0):
        return
    span = Span(day, opens, closes)
    monday = datetime.datetime(2025, 3, 3)
    moment = monday + datetime.timedelta(minutes=minute)
    inside = False
    for week in (-1, 0):
        start, end = span.on((monday + datetime.timedelta(days=day, weeks=week)).date())
        inside |= start <= moment < end
    assert Week([span]).status_at(moment.replace(tzinfo=PHOENIX)).open is inside
