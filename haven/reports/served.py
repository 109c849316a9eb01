"""Who was served in a period, as exact sets of participant ids (compressed bitmaps).

Unique participants and their demographics are distinct counts: they cannot be
summed from daily rows, and counted from the contacts a year's ~170,000 of them
were most of a report that is not cached (the current year, or any year after a
write into it). Here:

- each finished calendar month's participant records are kept as a bitmap
  (ServedMonth) under the month's data version, the sum of its days'
  DailyActivity.changes, which every contact written, or edited into or out of
  the month, moves on in the upsert the save already makes. So a period's
  people are the union of its whole finished months' bitmaps, each counted
  again only after a write into it, and of the days outside them (the current
  month, the ends of a period that does not cover whole months), read live
  from the (time, participant) index;
- the records are the ones the contacts were logged under; merged records are
  replaced by their kept record when read (a few rows), so a merge spoils no
  month;
- demographics are the sizes of the intersections with the records giving each
  answer (AnswerSets), kept under the figures' generation, which every edit of
  an answer moves on; records enrolled since are read live.

Whole program only: a report filtered by site, staff member or contact type, and
the breakdowns of the suppressed reports, count from the contacts (metrics.py).
"""

import base64
import datetime
import json

from django.db import connection
from django.utils import timezone
from pyroaring import BitMap

from haven.outreach.models import Encounter
from haven.participants.models import Participant

from .models import AnswerSets, DailyActivity, FiguresGeneration, ServedMonth

# The answers the demographics count, in the order the tables are filled.
ANSWERS = ("year_of_birth", "gender", "race_ethnicity", "zip_code")


def next_month(first):
    return (first + datetime.timedelta(days=32)).replace(day=1)


def _aware(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def records_seen(start, after):
    """The participant records with a contact on local days [start, after), from the index."""
    ids = (
        Encounter.objects.filter(
            occurred_at__gte=_aware(start), occurred_at__lt=_aware(after), participant__isnull=False
        )
        .values_list("participant_id", flat=True)
        .distinct()
        .order_by()
    )
    return BitMap(ids)


def finished_months(start, end, today):
    """The firsts of the calendar months wholly inside [start, end] that ended before today."""
    first = start if start.day == 1 else next_month(start)
    months = []
    while next_month(first) <= end + datetime.timedelta(days=1) and next_month(first) <= today:
        months.append(first)
        first = next_month(first)
    return months


def day_changes(start, end):
    """{local day: its activity rows' changes} for days start to end (inclusive), and the
    figures' generation, in one statement: summed by day from the (day, changes) index
    (a few hundred rows a year) and folded into periods in Python, which SQLite does
    faster than a sum for each month over every row."""
    quote = connection.ops.quote_name
    # Only table names from the models go into the text; the days are parameters.
    sql = (
        f"SELECT NULL, (SELECT COALESCE(MAX(generation), 0) "  # noqa: S608
        f"FROM {quote(FiguresGeneration._meta.db_table)}) "
        f"UNION ALL SELECT day, SUM(changes) FROM {quote(DailyActivity._meta.db_table)} "
        f"WHERE day >= %s AND day <= %s GROUP BY day"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        rows = cursor.fetchall()
    generation = next(changes for day, changes in rows if day is None)
    by_day = {
        day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day): changes
        for day, changes in rows
        if day is not None
    }
    return by_day, generation


def month_versions(months, changes_by_day=None):
    """({month: sum of its days' activity changes}, the figures' generation), from
    day_changes() over the months unless the caller passes them."""
    if not months:
        return {}, day_changes(datetime.date.max, datetime.date.max)[1]
    by_day, generation = changes_by_day or day_changes(
        months[0], next_month(months[-1]) - datetime.timedelta(days=1)
    )
    versions = dict.fromkeys(months, 0)
    for day, changes in by_day.items():
        month = day.replace(day=1)
        if month in versions:
            versions[month] += changes
    return versions, generation


def _month_records(months, versions):
    """The union of the months' records (records_by_month)."""
    records = BitMap()
    for seen in records_by_month(months, versions).values():
        records |= seen
    return records


def records_by_month(months, versions):
    """{month: its records}: stored bitmaps that still hold, the others counted from
    the contacts (one query) and stored under the version read before."""
    stored = {
        month: (changes, participants)
        for month, changes, participants in ServedMonth.objects.filter(
            month__in=months
        ).values_list("month", "changes", "participants")
    }
    records = {}
    missing = []
    for month in months:
        changes, participants = stored.get(month, (None, None))
        if changes == versions[month]:
            records[month] = BitMap.deserialize(bytes(participants))
        else:
            missing.append(month)
    if missing:
        counted = records_seen_by_month(missing)
        records.update(counted)
        ServedMonth.objects.bulk_create(
            [
                ServedMonth(month=month, changes=versions[month], participants=seen.serialize())
                for month, seen in counted.items()
            ],
            update_conflicts=True,
            unique_fields=["month"],
            update_fields=["changes", "participants"],
        )
    return records


def records_seen_by_month(months):
    """{month: its records seen} for calendar months (firsts), in one query: the distinct
    (month, participant) of their contacts, the month told by bounds in the local time."""
    # As the ORM passes them: SQLite compares stored UTC text, not aware datetimes.
    adapt = connection.ops.adapt_datetimefield_value
    bounds = [(adapt(_aware(month)), adapt(_aware(next_month(month)))) for month in months]
    table = connection.ops.quote_name(Encounter._meta.db_table)
    which = " ".join("WHEN occurred_at >= %s AND occurred_at < %s THEN %s" for _ in months)
    params = [
        value for index, (start, after) in enumerate(bounds) for value in (start, after, index)
    ]
    # Only the table name from the model goes into the text; the bounds are parameters.
    sql = (
        f"SELECT DISTINCT CASE {which} END, participant_id FROM {table} "  # noqa: S608
        f"WHERE participant_id IS NOT NULL AND ("
        f"{' OR '.join('(occurred_at >= %s AND occurred_at < %s)' for _ in _runs(months))})"
    )
    for first, last in _runs(months):
        params += [adapt(_aware(first)), adapt(_aware(next_month(last)))]
    seen = {month: [] for month in months}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for index, record in cursor.fetchall():
            seen[months[index]].append(record)
    return {month: BitMap(records) for month, records in seen.items()}


def _runs(months):
    """Runs of consecutive months: [(first, last)]."""
    runs = []
    for month in months:
        if runs and next_month(runs[-1][1]) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def merged_records():
    """{merged record: the record it was merged into} (merges point straight at the
    kept record: participants.actions moves a duplicate's duplicates)."""
    return dict(
        Participant.objects.filter(merged_into__isnull=False)
        .values_list("id", "merged_into_id")
        .order_by()  # not by enrolment: the index on merged_into holds them
    )


def kept_records(records, merged=None):
    """`records` with each merged record replaced by its kept record (merged_records(),
    unless the caller read them already)."""
    merged = merged_records() if merged is None else merged
    duplicates = records & BitMap(merged)
    if not duplicates:
        return records
    return (records - duplicates) | BitMap(merged[record] for record in duplicates)


def people_served(start, end, today=None, versions=None):
    """The kept records served on local days start to end (inclusive) and, for each
    answer, {value: those giving it} ("" for no answer): (BitMap, {answer: {value: BitMap}}).

    `versions` are month_versions() of its finished months when the caller has read them.
    """
    months = finished_months(start, end, today or timezone.localdate())
    versions, generation = versions or month_versions(months)
    records = _month_records(months, versions)
    after = end + datetime.timedelta(days=1)
    live = [(start, after)]
    if months:
        live = [(start, months[0]), (next_month(months[-1]), after)]
    for first, last in live:
        if first < last:
            records |= records_seen(first, last)
    people = kept_records(records)
    return people, _answers_of(people, generation)


def _encode(sets):
    return json.dumps(
        {
            answer: {value: base64.b64encode(ids.serialize()).decode() for value, ids in by.items()}
            for answer, by in sets.items()
        }
    ).encode()


def _decode(stored):
    return {
        answer: {value: BitMap.deserialize(base64.b64decode(ids)) for value, ids in by.items()}
        for answer, by in json.loads(bytes(stored)).items()
    }


def _answer_sets_of(participants):
    """{answer: {value: BitMap}} of rows (id, *ANSWERS)."""
    grouped = {answer: {} for answer in ANSWERS}
    for record, *values in participants:
        for answer, value in zip(ANSWERS, values, strict=True):
            grouped[answer].setdefault("" if value is None else str(value), []).append(record)
    return {
        answer: {value: BitMap(ids) for value, ids in by.items()} for answer, by in grouped.items()
    }


# Records enrolled since the answer sets were counted that are read live; more, and
# the sets are counted again.
MOST_READ_LIVE = 500


def _known(sets):
    """The records whose answers `sets` hold (every record gives a value, "" included)."""
    return BitMap.union(*sets[ANSWERS[0]].values()) if sets[ANSWERS[0]] else BitMap()


def _answers_of(people, generation):
    """AnswerSets at `generation` (counted and stored when they do not hold), with the
    answers of the records among `people` enrolled since read live."""
    stored = AnswerSets.objects.filter(pk=1).values_list("generation", "sets").first()
    sets = _decode(stored[1]) if stored and stored[0] == generation else None
    if sets is None or len(people - _known(sets)) > MOST_READ_LIVE:
        every = Participant.objects.values_list("id", *ANSWERS).order_by()  # in no order
        sets = _answer_sets_of(every.iterator(2000))
        AnswerSets.objects.bulk_create(
            [AnswerSets(pk=1, generation=generation, sets=_encode(sets))],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["generation", "sets"],
        )
    new = people - _known(sets)
    if new:
        for answer, by in _answer_sets_of(
            Participant.objects.filter(pk__in=list(new)).values_list("id", *ANSWERS).order_by()
        ).items():
            for value, ids in by.items():
                sets[answer][value] = sets[answer].get(value, BitMap()) | ids
    return sets
