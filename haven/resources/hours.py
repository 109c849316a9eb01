"""Opening hours: is a place open at a given moment, and until when.

Hours are wall-clock times in the program's time zone (settings.TIME_ZONE).
A weekly span runs from `opens` on its weekday to `closes`; when `closes` is
at or before `opens` the span ends the next day (22:00 to 06:00 is overnight),
and 00:00 to 00:00 is open the whole day. A span belongs to the day it starts
on, so a holiday on Tuesday does not cut short Monday night's overnight span.
An exception for a date replaces the weekly spans that start on that date:
closed all day, or special hours.
"""

import datetime
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

MIDNIGHT = datetime.time(0, 0)


@dataclass(frozen=True)
class Span:
    weekday: int  # 0 = Monday
    opens: datetime.time
    closes: datetime.time

    @property
    def all_day(self):
        return self.opens == MIDNIGHT and self.closes == MIDNIGHT

    @property
    def weekday_name(self):
        return weekday_names()[self.weekday]

    @property
    def overnight(self):
        return self.closes <= self.opens and not self.all_day

    def on(self, date):
        """(start, end) as naive local datetimes when the span starts on `date`."""
        start = datetime.datetime.combine(date, self.opens)
        end = datetime.datetime.combine(date, self.closes)
        if end <= start:
            end += datetime.timedelta(days=1)
        return start, end


@dataclass(frozen=True)
class Status:
    """Open (True), closed (False) or unknown (None), and when that changes."""

    open: bool | None
    until: datetime.datetime | None = None  # closing time when open (aware)
    opens_at: datetime.datetime | None = None  # next opening within a week when closed


class Week:
    def __init__(self, spans, exceptions=None):
        self.spans = list(spans)
        self.exceptions = dict(exceptions or {})

    @property
    def known(self):
        return bool(self.spans) or bool(self.exceptions)

    def spans_starting_on(self, date):
        if date in self.exceptions:
            return self.exceptions[date]
        return [span for span in self.spans if span.weekday == date.weekday()]

    def intervals_around(self, local_date, days_before=1, days_after=7):
        """Naive local (start, end) intervals for spans starting near a date."""
        intervals = []
        for offset in range(-days_before, days_after + 1):
            date = local_date + datetime.timedelta(days=offset)
            intervals.extend(span.on(date) for span in self.spans_starting_on(date))
        return sorted(intervals)

    def status_at(self, moment):
        if not self.known:
            return Status(open=None)
        zone = ZoneInfo(settings.TIME_ZONE)
        local = moment.astimezone(zone).replace(tzinfo=None)
        intervals = self.intervals_around(local.date())
        containing = [(start, end) for start, end in intervals if start <= local < end]
        if containing:
            # Touching spans (e.g. 00:00–12:00 then 12:00–00:00) make one opening.
            end = max(end for _start, end in containing)
            for start, later_end in intervals:
                if start <= end < later_end:
                    end = later_end
            return Status(open=True, until=end.replace(tzinfo=zone))
        upcoming = [start for start, _end in intervals if start > local]
        opens_at = min(upcoming).replace(tzinfo=zone) if upcoming else None
        return Status(open=False, opens_at=opens_at)


def validate_span(opens, closes):
    """Return an error message for impossible hours, or None."""
    if opens == closes and opens != MIDNIGHT:
        return _(
            "Opening and closing at the same time is not possible; "
            "use 00:00 to 00:00 for open all day."
        )
    return None


def find_overlaps(spans):
    """Messages for weekly spans that overlap each other (impossible hours)."""
    monday = datetime.date(2024, 1, 1)  # a Monday
    intervals = []
    for span in spans:
        date = monday + datetime.timedelta(days=span.weekday)
        intervals.append((*span.on(date), span))
        # Wrap the week, so that Sunday night overlapping Monday morning is seen.
        intervals.append((*span.on(date + datetime.timedelta(days=7)), span))
    intervals.sort(key=lambda item: item[0])
    messages = []
    for (_start_a, end_a, span_a), (start_b, _end_b, span_b) in zip(
        intervals, intervals[1:], strict=False
    ):
        if start_b < end_a and span_a != span_b:
            message = _("Hours overlap: %(a)s and %(b)s.") % {
                "a": describe_span(span_a),
                "b": describe_span(span_b),
            }
            if message not in messages:
                messages.append(message)
    return messages


def weekday_names():
    from .models import OpeningHours

    return dict(OpeningHours.Weekday.choices)


def describe_span(span):
    if span.all_day:
        return _("%(day)s open 24 hours") % {"day": weekday_names()[span.weekday]}
    return _("%(day)s %(opens)s–%(closes)s") % {
        "day": weekday_names()[span.weekday],
        "opens": span.opens.strftime("%H:%M"),
        "closes": span.closes.strftime("%H:%M"),
    }


DAY_WORDS = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
HOURS_PART = re.compile(
    r"^\s*(?P<first>[a-z]{3})[a-z]*(?:\s*-\s*(?P<last>[a-z]{3})[a-z]*)?\s+"
    r"(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})\s*$"
)
ALWAYS = {"24/7", "24 hours", "24h"}


class HoursParseError(ValueError):
    pass


def parse_hours(text):
    """Parse hours written as "Mon-Fri 08:00-17:00; Sat 22:00-06:00" or "24/7".

    Returns a list of Spans, empty for blank text (hours unknown). Raises
    HoursParseError with a message a person can act on.
    """
    text = (text or "").strip().lower()
    if not text:
        return []
    if text in ALWAYS:
        return [Span(day, MIDNIGHT, MIDNIGHT) for day in range(7)]
    spans = []
    for part in re.split(r"[;\n]", text):
        if not part.strip():
            continue
        match = HOURS_PART.match(part)
        if (
            not match
            or match["first"] not in DAY_WORDS
            or (match["last"] and match["last"] not in DAY_WORDS)
        ):
            raise HoursParseError(
                _('Cannot read the hours "%(part)s"; write e.g. "Mon-Fri 08:00-17:00".')
                % {"part": part.strip()}
            )
        try:
            opens = datetime.time.fromisoformat(match["opens"].zfill(5))
            closes = datetime.time.fromisoformat(match["closes"].zfill(5))
        except ValueError as error:
            raise HoursParseError(
                _('"%(part)s" has a time that does not exist.') % {"part": part.strip()}
            ) from error
        problem = validate_span(opens, closes)
        if problem:
            raise HoursParseError(problem)
        first = DAY_WORDS[match["first"]]
        last = DAY_WORDS[match["last"]] if match["last"] else first
        day = first
        while True:
            spans.append(Span(day, opens, closes))
            if day == last:
                break
            day = (day + 1) % 7
    overlaps = find_overlaps(spans)
    if overlaps:
        raise HoursParseError(overlaps[0])
    return spans


def compact_hours(spans):
    """Hours as people write them: "Mon–Fri 08:00–17:00; Sat 09:00–13:00".

    Days in a row with the same hours are one range; a day with two spans
    lists both ("Mon 08:00–12:00, 13:00–17:00"); every day round the clock is
    "Open 24 hours, every day". Days with no span are closed and left out.
    """
    from django.utils.dates import WEEKDAYS_ABBR

    if len(spans) == 7 and all(span.all_day for span in spans):
        return str(_("Open 24 hours, every day"))
    by_day = {}
    for span in sorted(spans, key=lambda span: (span.weekday, span.opens)):
        text = str(_("24 hours")) if span.all_day else f"{span.opens:%H:%M}–{span.closes:%H:%M}"
        by_day.setdefault(span.weekday, []).append(text)
    runs = []  # [first day, last day, hours]
    for day in sorted(by_day):
        hours = ", ".join(by_day[day])
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == hours:
            runs[-1][1] = day
        else:
            runs.append([day, day, hours])
    parts = []
    for first, last, hours in runs:
        days = str(WEEKDAYS_ABBR[first])
        if last != first:
            days += f"–{WEEKDAYS_ABBR[last]}"
        parts.append(f"{days} {hours}")
    return "; ".join(parts)


def format_hours(spans):
    """The inverse of parse_hours, one day per part (for CSV export)."""
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    if len(spans) == 7 and all(span.all_day for span in spans):
        return "24/7"
    return "; ".join(
        f"{names[span.weekday]} {span.opens:%H:%M}-{span.closes:%H:%M}"
        for span in sorted(spans, key=lambda span: (span.weekday, span.opens))
    )
