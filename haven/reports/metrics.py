"""Funder metrics: each one defined once, here, with what counts and what does not.

Every metric takes a `Scope`: a period of local calendar days (both ends
included) and optional filters for sites, staff members and contact types.
Figures are exact: additive counts come from the daily summaries (kept exact on
every write, see summaries.py), the rest from the raw records; a report of a
finished period reads its costliest figures from a cache that every write to
them invalidates in its own transaction (CachedContactFigures, at the end).
Tests check each metric against a hand-built program, and the summaries and the
cache against direct counts.

General rules, unless a metric says otherwise:
- A *contact* is an Encounter. Anonymous contacts count as contacts, and
  their head count counts as people served, but never as unique participants.
- *Merged* records (duplicates linked to a kept record) count as the kept
  record: one person, one participant.
- Supplies count in units of the item ("a naloxone 2-pack kit" is one kit);
  kits handed out count as their components.
- Filters apply to the contact: its site, the staff member who logged it, and
  its type. Records that are not contacts say how they are filtered.
"""

import datetime
import functools
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from pyroaring import BitMap

from haven.outreach.models import Encounter, Service
from haven.participants.models import Participant
from haven.supplies.models import Item

from . import served
from .models import (
    CachedFigures,
    DailyActivity,
    DailyService,
    DailySupply,
    FirstNaloxoneLine,
    MonthlySupply,
)

Group = Item.ReportingGroup
MAX_PERIOD_DAYS = 3 * 366 + 1


@dataclass(frozen=True)
class Scope:
    """What a report covers: local days `start` to `end` inclusive, and filters."""

    start: datetime.date
    end: datetime.date
    site_ids: tuple = ()
    staff_ids: tuple = ()
    contact_types: tuple = ()
    label: str = field(default="", compare=False)

    def __post_init__(self):
        if self.end < self.start:
            raise ValidationError({"end": _("The period ends before it starts.")})
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise ValidationError({"end": _("A report covers at most three years.")})

    @property
    def bounds(self):
        """Aware [start, end) datetimes of the period in the program's time zone."""
        start = timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))
        end = timezone.make_aware(
            datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min)
        )
        return start, end

    def summary(self, model):
        rows = model.objects.filter(day__gte=self.start, day__lte=self.end)
        if self.site_ids:
            rows = rows.filter(site_id__in=self.site_ids)
        if self.staff_ids:
            rows = rows.filter(staff_id__in=self.staff_ids)
        if self.contact_types:
            rows = rows.filter(contact_type__in=self.contact_types)
        return rows

    def whole_months(self):
        """[first, after) firsts of the calendar months the period covers whole, or None."""
        first = self.start.replace(day=1)
        if first != self.start:
            first = (first + datetime.timedelta(days=32)).replace(day=1)
        after = (self.end + datetime.timedelta(days=1)).replace(day=1)
        return (first, after) if first < after else None

    def monthly_member(self, by=None):
        """The MonthlySupply rows that hold this scope's figures: (dimension, member),
        member None for every member of `by`; None when no monthly rows do (filters
        combined, or several members of one, or `by` a tuple of dimensions)."""
        if by is not None and not isinstance(by, str):
            return None
        chosen = [
            (dimension, values)
            for dimension, values in (
                ("site", self.site_ids),
                ("staff", self.staff_ids),
                ("type", self.contact_types),
            )
            if values
        ]
        if not chosen:
            return (by, None) if by else (MonthlySupply.EVERYONE, "")
        if by or len(chosen) > 1 or len(chosen[0][1]) > 1:
            return None
        return (chosen[0][0], str(chosen[0][1][0]))

    def encounters(self, prefix=""):
        """A Q for raw encounters (or rows reaching them through `prefix`)."""
        start, end = self.bounds
        q = Q(**{f"{prefix}occurred_at__gte": start, f"{prefix}occurred_at__lt": end})
        if self.site_ids:
            q &= Q(**{f"{prefix}site_id__in": self.site_ids})
        if self.staff_ids:
            q &= Q(**{f"{prefix}staff_id__in": self.staff_ids})
        if self.contact_types:
            q &= Q(**{f"{prefix}contact_type__in": self.contact_types})
        return q


def _total(rows, column):
    return rows.aggregate(n=Coalesce(Sum(column), 0))["n"]


# Each breakdown of a report, and the field of a contact (or summary row) it goes by.
# (By "day" only for FinishedMonths, which folds the days of a figure into months.)
DIMENSION_FIELDS = {"site": "site_id", "staff": "staff_id", "type": "contact_type", "day": "day"}
DIMENSION_FILTERS = {"site": "site_ids", "staff": "staff_ids", "type": "contact_types"}


def member_fields(by, fields=DIMENSION_FIELDS):
    """The fields a breakdown `by` groups on: none, one for a dimension ("site"), or one
    for each of a tuple of dimensions (("site", "staff", "type"): every combination of
    them at once, a member being a tuple such as (3, 7, "street"))."""
    if not by:
        return []
    return [fields[by]] if isinstance(by, str) else [fields[dimension] for dimension in by]


def _by_member(rows, count, empty, width=1):
    """{member: count(rows of that member)} for the breakdown `by`, `empty` for the others.

    `rows` is a list of (member, …) tuples: one query grouped by the member
    gives every member's figure at once (the suppressed reports need them all).
    A member of a tuple of dimensions takes the first `width` columns.
    """
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[0] if width == 1 else tuple(row[:width])].append(row[width:])
    result = defaultdict(empty)
    for member, member_rows in grouped.items():
        result[member] = count(member_rows)
    return result


def _same_for_all(value):
    """A breakdown a figure does not follow: every member's figure is the whole's."""
    return defaultdict(lambda: value)


def _applies(by, fields):
    """Whether a figure with these breakdown `fields` follows the breakdown `by` (a
    dimension, or a tuple of them, every one of which it must follow)."""
    return (by in fields) if isinstance(by, str) else all(d in fields for d in by)


# ---------------------------------------------------------------- people and contacts


def contacts(scope):
    """Contacts (encounters) in the period, with a participant or anonymous."""
    return _total(scope.summary(DailyActivity), "encounters")


def contacts_by_type(scope, by=None):
    """Contacts by contact type (fixed site, mobile, street, mail, virtual): {type: n}."""
    return (
        activity(scope, by=by)["by_type"]
        if by is None
        else {member: figures["by_type"] for member, figures in activity(scope, by=by).items()}
    )


def activity(scope, by=None):
    """Contacts by type, anonymous head count and secondary distribution, in one query.

    {"by_type": {type: n}, "anonymous": n, "secondary": n}; with `by`, that
    for each member of the breakdown (see DIMENSION_FIELDS).
    """
    member = member_fields(by)
    rows = (
        scope.summary(DailyActivity)
        .values_list(*member, "contact_type")
        .annotate(
            n=Sum("encounters"),
            anonymous=Sum("anonymous_people"),
            secondary=Sum("secondary_people"),
        )
        .order_by()
    )

    def count(rows):
        counts = {contact_type: n for contact_type, n, _anonymous, _secondary in rows}
        return {
            "by_type": {value: counts.get(value, 0) for value in Encounter.ContactType.values},
            "anonymous": sum(row[2] for row in rows),
            "secondary": sum(row[3] for row in rows),
        }

    if by is None:
        return count(list(rows))
    return _by_member(rows, count, lambda: count([]), width=len(member))


def anonymous_people(scope):
    """People served at anonymous contacts: the sum of their head counts.

    The same person met anonymously twice counts twice: anonymous contacts
    cannot be told apart.
    """
    return activity(scope)["anonymous"]


def unique_participants(scope, people=None):
    """Unique participants served: people with a card who had at least one contact.

    A participant and the duplicates merged into them count once. Anonymous
    contacts are not counted here (see anonymous_people). A report that has
    already counted `people_served` passes it, so it is not counted twice.
    """
    return (people if people is not None else people_served(scope))["unique"]


def unique_participants_of_each(scopes):
    """[unique_participants(scope) for scope in scopes], reading what they share once:
    the whole program's finished months from their stored sets of people served
    (served.py), the merged records once, and only the people, not their demographics.
    """
    today = timezone.localdate()

    def finished_month_of_program(scope):
        return (
            not (scope.site_ids or scope.staff_ids or scope.contact_types)
            and served.finished_months(scope.start, scope.end, today) == [scope.start]
            and served.next_month(scope.start) == scope.end + datetime.timedelta(days=1)
        )

    months = sorted({scope.start for scope in scopes if finished_month_of_program(scope)})
    stored = served.records_by_month(months, served.month_versions(months)[0])
    merged = served.merged_records()
    counts = []
    for scope in scopes:
        if finished_month_of_program(scope):
            records = stored[scope.start]
        else:
            records = BitMap(
                Encounter.objects.filter(scope.encounters(), participant__isnull=False)
                .values_list("participant_id", flat=True)
                .distinct()
                .order_by()
            )
        counts.append(len(served.kept_records(records, merged)))
    return counts


def contact_trends(scopes):
    """[{"contacts", "participants", "naloxone", "syringes_out"} of each scope]: the
    dashboard's figures counted from contacts. A finished scope's are kept in
    CachedFigures while their data version holds (as CachedContactFigures: the
    version read before anything is counted), so only the period not over yet is
    counted on every view.
    """
    today = timezone.localdate()
    finished = [scope for scope in scopes if scope.end < today]
    versions = {}
    if finished:
        by_day, generation = served.day_changes(
            min(scope.start for scope in finished), max(scope.end for scope in finished)
        )
        for scope in finished:
            changes = sum(n for day, n in by_day.items() if scope.start <= day <= scope.end)
            versions[scope] = (changes, generation)
    keys = {scope: CachedContactFigures.key_of(scope, "trends") for scope in finished}
    stored = {
        key: ((changes, generation), figures)
        for key, changes, generation, figures in CachedFigures.objects.filter(
            scope__in=keys.values()
        ).values_list("scope", "changes", "generation", "figures")
    }
    trends = {}
    for scope in finished:
        version, figures = stored.get(keys[scope], (None, None))
        if version == versions[scope]:
            trends[scope] = figures
    missing = [scope for scope in scopes if scope not in trends]
    for scope, participants in zip(missing, unique_participants_of_each(missing), strict=True):
        by_item = supplies_by_item(scope)  # read once for naloxone and syringes
        trends[scope] = {
            "contacts": contacts(scope),
            "participants": participants,
            "naloxone": naloxone_doses(scope, by_item),
            "syringes_out": syringes_distributed(scope, by_item),
        }
    keep_figures(
        (keys[scope], versions[scope], trends[scope]) for scope in missing if scope in versions
    )
    return [trends[scope] for scope in scopes]


def keep_figures(entries):
    """Store (CachedFigures key, (changes, generation), figures) entries in one
    statement, replacing what was kept under those keys."""
    CachedFigures.objects.bulk_create(
        [
            CachedFigures(scope=key, changes=changes, generation=generation, figures=figures)
            for key, (changes, generation), figures in entries
        ],
        update_conflicts=True,
        unique_fields=["scope"],
        update_fields=["changes", "generation", "figures", "counted_at"],
    )


def new_participants(scope, by=None):
    """Participants enrolled in the period, not counting records later merged as duplicates.

    Filtered by the site they were enrolled at and the staff member who enrolled
    them; contact types do not apply.
    """
    start, end = scope.bounds
    if not (by or scope.site_ids or scope.staff_ids):
        # Everyone enrolled, from the index on enrolment time alone, less the merged
        # records among them (a few, from the index on merged_into): reading each
        # enrolled record's row to see whether it was merged was most of this on SQLite.
        everyone = Participant.objects.filter(enrolled_at__gte=start, enrolled_at__lt=end)
        merged = (
            Participant.objects.filter(merged_into__isnull=False)
            .values_list("enrolled_at", flat=True)
            .order_by()
        )
        return everyone.order_by().count() - sum(start <= when < end for when in merged)
    enrolled = Participant.objects.filter(
        enrolled_at__gte=start, enrolled_at__lt=end, merged_into__isnull=True
    )
    if scope.site_ids:
        enrolled = enrolled.filter(enrolled_site_id__in=scope.site_ids)
    if scope.staff_ids:
        enrolled = enrolled.filter(created_by_id__in=scope.staff_ids)
    fields = {"site": "enrolled_site_id", "staff": "created_by_id"}
    if by is None:
        return enrolled.count()
    if not _applies(by, fields):
        return _same_for_all(enrolled.count())
    member = member_fields(by, fields)
    rows = enrolled.values_list(*member).annotate(n=Count("id")).order_by()
    return _by_member(rows, lambda rows: rows[0][0], int, len(member))


def secondary_distribution_people(scope):
    """People reached through secondary distribution: the sum of what participants said
    they were taking supplies for ("for my friends too"), as recorded at each contact."""
    return activity(scope)["secondary"]


# ---------------------------------------------------------------- supplies


def supplies_by_item(scope, by=None):
    """Units handed out at contacts by item: {item id: (units, units at anonymous contacts)}.

    The supply figures below are all sums of these: a report reads them once
    and passes them on.
    """
    member = member_fields(by)
    sums = {"units": Sum("quantity"), "anonymous": Sum("anonymous_quantity")}
    months, monthly = scope.whole_months(), scope.monthly_member(by)
    daily_scopes = [scope]
    rows = []
    if months and monthly:
        # Whole months from the monthly rows, the days at either end from the daily ones.
        dimension, chosen = monthly
        in_months = MonthlySupply.objects.filter(
            dimension=dimension, month__gte=months[0], month__lt=months[1]
        )
        if chosen is not None:
            in_months = in_months.filter(member=chosen)
        for row in (
            in_months.values_list(*(["member"] if by else []), "item_id")
            .annotate(**sums)
            .order_by()
        ):
            if by in ("site", "staff"):
                row = (int(row[0]), *row[1:])
            rows.append(row)
        daily_scopes = [
            replace(scope, start=start, end=end)
            for start, end in (
                (scope.start, months[0] - datetime.timedelta(days=1)),
                (months[1], scope.end),
            )
            if start <= end
        ]
    for each in daily_scopes:
        rows += (
            each.summary(DailySupply).values_list(*member, "item_id").annotate(**sums).order_by()
        )

    def count(rows):
        totals = {}
        for item_id, units, anonymous in rows:
            before = totals.get(item_id, (0, 0))
            totals[item_id] = (before[0] + units, before[1] + anonymous)
        # An edit can leave a summary row at zero: nothing handed out is no row.
        return {item_id: sums for item_id, sums in totals.items() if sums != (0, 0)}

    return count(rows) if by is None else _by_member(rows, count, dict, width=len(member))


def _items():
    return {
        pk: (group, doses)
        for pk, group, doses in Item.objects.values_list("pk", "reporting_group", "doses_per_unit")
    }


def units_by_group(scope, by_item=None):
    """Units handed out at contacts, by the item's funder reporting group: {group: n}."""
    by_item = supplies_by_item(scope) if by_item is None else by_item
    counts = dict.fromkeys(Group.values, 0)
    items = _items()
    for item_id, (units, _anonymous) in by_item.items():
        group = items[item_id][0]
        if group in counts:
            counts[group] += units
    return counts


def syringes_distributed(scope, by_item=None):
    """Syringes handed out at contacts (items in the "syringes" reporting group), in units."""
    return units_by_group(scope, by_item)[Group.SYRINGES]


def syringes_collected(scope, by=None):
    """Used syringes brought back, counted or estimated from weight (estimates included).

    Filtered by the site of the collection and the staff member who recorded it;
    contact types do not apply.
    """
    from haven.supplies.models import SyringeCollection

    start, end = scope.bounds
    collected = SyringeCollection.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    if scope.site_ids:
        collected = collected.filter(site_id__in=scope.site_ids)
    if scope.staff_ids:
        collected = collected.filter(recorded_by_id__in=scope.staff_ids)
    fields = {"site": "site_id", "staff": "recorded_by_id"}
    if by is None:
        return _total(collected, "syringes")
    if not _applies(by, fields):
        return _same_for_all(_total(collected, "syringes"))
    member = member_fields(by, fields)
    rows = collected.values_list(*member).annotate(n=Sum("syringes")).order_by()
    return _by_member(rows, lambda rows: rows[0][0], int, len(member))


def syringe_return_ratio(scope, distributed=None, collected=None):
    """Syringes collected per syringe distributed in the period (None when none went out).

    A report that already has either count passes it, so it is not counted twice.
    """
    out = syringes_distributed(scope) if distributed is None else distributed
    back = syringes_collected(scope) if collected is None else collected
    return round(back / out, 3) if out else None


def naloxone_doses(scope, by_item=None):
    """Naloxone doses handed out at contacts, both formulations (units × doses per unit)."""
    by_item = supplies_by_item(scope) if by_item is None else by_item
    items = _items()
    naloxone_groups = (Group.NALOXONE_NASAL, Group.NALOXONE_INJECTABLE)
    return sum(
        units * items[item_id][1]
        for item_id, (units, _anonymous) in by_item.items()
        if items[item_id][0] in naloxone_groups
    )


def naloxone(scope, by_item=None, first_kits=None):
    """Naloxone handed out at contacts, nasal spray and injectable apart.

    For each formulation: kits (units of the item), doses (units × doses per
    unit), and kits as *first kits* (handed out at a participant's first
    contact with naloxone from the program ever, merged records included),
    *refills* (to a participant who had naloxone before) or *anonymous* (no
    participant: first or refill unknown).
    """
    items = _items()
    by_item = supplies_by_item(scope) if by_item is None else by_item
    by_group = {}
    for item_id, (units, anonymous) in by_item.items():
        group, doses_per_unit = items[item_id]
        row = by_group.setdefault(group, {"kits": 0, "anonymous": 0, "doses": 0})
        row["kits"] += units
        row["anonymous"] += anonymous
        row["doses"] += units * doses_per_unit
    first_kits = naloxone_first_kits(scope) if first_kits is None else first_kits
    result = {}
    for group in (Group.NALOXONE_NASAL, Group.NALOXONE_INJECTABLE):
        row = by_group.get(group, {"kits": 0, "anonymous": 0, "doses": 0})
        first = first_kits.get(group, 0)
        result[group] = {
            "kits": row["kits"],
            "doses": row["doses"],
            "first_kits": first,
            "refills": row["kits"] - first - row["anonymous"],
            "anonymous": row["anonymous"],
        }
    return result


def first_kit_rows(scope, by=None):
    """[(member…, item id, units)] handed out at first naloxone contacts in scope."""
    member = member_fields(by)
    return list(
        scope.summary(FirstNaloxoneLine)
        .values_list(*member, "item_id")
        .annotate(n=Sum("quantity"))
        .order_by()
    )


def naloxone_first_kits(scope, by=None, rows=None):
    """Naloxone units at each participant's first naloxone contact, when it falls in scope,
    by formulation: {reporting group: units}.

    Summed from the lines of first naloxone contacts that summaries.py keeps
    (FirstNaloxoneLine), a few thousand a year, under the same filters, by item,
    then by the item's reporting group (`rows` are first_kit_rows, from the cache).
    """
    rows = first_kit_rows(scope, by) if rows is None else rows
    items = _items()
    formulations = (Group.NALOXONE_NASAL, Group.NALOXONE_INJECTABLE)

    def count(rows):
        totals = {}
        for item_id, units in rows:
            group = items[item_id][0]
            if group in formulations:
                totals[group] = totals.get(group, 0) + units
        return totals

    return count(rows) if by is None else _by_member(rows, count, dict, len(member_fields(by)))


# ---------------------------------------------------------------- services


def service_rows(scope, by=None):
    """[(member…, service id, contacts, people)] given each service at contacts."""
    member = member_fields(by)
    # Summed by service without a join, then by reporting group (a dozen services).
    return list(
        scope.summary(DailyService)
        .values_list(*member, "service_id")
        .annotate(encounters=Sum("encounters"), people=Sum("people"))
        .order_by()
    )


def services(scope, by=None, rows=None):
    """Contacts and people given a service at contacts, by the service's reporting group:
    {group: {"encounters": n, "people": n}} (one contact per service given).

    `rows` are service_rows(scope) when the caller has them (from the cache)."""
    rows = service_rows(scope, by) if rows is None else rows
    groups = dict(Service.objects.values_list("pk", "reporting_group"))

    def count(rows):
        totals = {}
        for service_id, encounters, people in rows:
            total = totals.setdefault(groups[service_id], {"encounters": 0, "people": 0})
            total["encounters"] += encounters
            total["people"] += people
        return totals

    return count(rows) if by is None else _by_member(rows, count, dict, len(member_fields(by)))


def _service_total(scope, reporting_group, column, figures=None):
    figures = services(scope) if figures is None else figures
    return figures.get(reporting_group, {}).get(column, 0)


def people_trained_in_overdose_response(scope):
    """People given overdose response training at contacts: one per participant contact
    with a service in the "overdose response training" group, plus the head count of
    anonymous contacts given it. (Group trainings are counted by the training module.)"""
    return _service_total(scope, Service.ReportingGroup.OVERDOSE_EDUCATION, "people")


def hiv_tests(scope):
    """HIV tests done: contacts with a service in the "HIV test" reporting group."""
    return _service_total(scope, Service.ReportingGroup.HIV_TEST, "encounters")


def hcv_tests(scope):
    """HCV tests done: contacts with a service in the "HCV test" reporting group."""
    return _service_total(scope, Service.ReportingGroup.HCV_TEST, "encounters")


# ---------------------------------------------------------------- demographics


AGE_GROUPS = [
    (0, 17, "under 18"),
    (18, 24, "18–24"),
    (25, 34, "25–34"),
    (35, 44, "35–44"),
    (45, 54, "45–54"),
    (55, 64, "55–64"),
    (65, 200, "65 and over"),
]
NOT_RECORDED = "not recorded"


def age_group(year_of_birth, in_year):
    """The age group of someone born in `year_of_birth` during `in_year` (age then)."""
    if not year_of_birth:
        return NOT_RECORDED
    age = in_year - year_of_birth
    for low, high, label in AGE_GROUPS:
        if low <= age <= high:
            return label
    return NOT_RECORDED


def people_served(scope, by=None):
    """Unique participants served and their demographics.

    Returns {"unique": n, "age": Counter, "gender": …, "race_ethnicity": …,
    "zip": …}, see `demographics`; with `by` ("site", "staff" or "type"),
    {member: that} for every member with someone served. The whole program's
    from the sets of people served by month (served.py), the rest counted from
    the contacts (people_served_from_contacts).
    """
    if by or scope.site_ids or scope.staff_ids or scope.contact_types:
        return people_served_from_contacts(scope, by)
    return demographics_of_sets(*served.people_served(scope.start, scope.end), scope.end.year)


def demographics_of_sets(people, answer_sets, in_year):
    """people_served's tables from the kept records served (a BitMap) and the records
    giving each answer ({answer: {value: BitMap}}, see served.py); ages in `in_year`."""
    tables = _empty_demographics()
    tables["unique"] = len(people)
    for answer, by_value in answer_sets.items():
        for value, records in by_value.items():
            n = people.intersection_cardinality(records)
            if not n:
                continue
            if answer == "year_of_birth":
                tables["age"][age_group(value and int(value), in_year)] += n
            else:
                tables[ANSWER_TABLES[answer]][value or NOT_RECORDED] += n
    return tables


def people_served_from_contacts(scope, by=None):
    """people_served counted by the database from the period's contacts. One query: the
    distinct participants of the period's contacts (an index on the contact's
    time and participant holds them), each replaced by its kept record, then
    grouped by each answer.
    """
    seen = (
        Encounter.objects.filter(scope.encounters(), participant__isnull=False)
        .order_by()
        .distinct()
    )
    fields = member_fields(by)
    # The member's columns: one for a dimension, one each for a tuple of them.
    names = ["member"] if len(fields) == 1 else [f"member{i}" for i in range(len(fields))]
    if fields:
        seen_sql, params = seen.values(*fields, "participant_id").query.sql_with_params()
        columns = ", ".join([*names, "who"])
        member = ", ".join(f"seen.{name} AS {name}" for name in names)
    else:
        seen_sql, params = seen.values("participant_id").query.sql_with_params()
        columns, names, member = "who", ["member"], "NULL AS member"
    grouped = ", ".join(names)
    participants = connection.ops.quote_name(Participant._meta.db_table)
    answers = ("year_of_birth", "gender", "race_ethnicity", "zip_code")
    tallies = " UNION ALL ".join(
        f"SELECT {grouped}, '{answer}', CAST({answer} AS TEXT), COUNT(*) "  # noqa: S608 - as below
        f"FROM people GROUP BY {grouped}, {answer}"
        for answer in answers
    )
    # Only names from the models and this function go into the text; values are parameters.
    sql = f"""
        WITH seen({columns}) AS ({seen_sql}),
        people AS MATERIALIZED (
            SELECT DISTINCT {member}, kept.id, kept.{", kept.".join(answers)}
            FROM seen
            JOIN {participants} record ON record.id = seen.who
            JOIN {participants} kept ON kept.id = COALESCE(record.merged_into_id, record.id)
        )
        {tallies}
    """  # noqa: S608
    by_member = defaultdict(_empty_demographics)
    width = len(names)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            member_key = row[0] if width == 1 else tuple(row[:width])
            answer, value, n = row[width:]
            tables = by_member[member_key]
            if answer == "year_of_birth":
                tables["age"][age_group(value and int(value), scope.end.year)] += n
                tables["unique"] += n
            else:
                tables[ANSWER_TABLES[answer]][value or NOT_RECORDED] += n
    if by:
        return by_member
    return by_member[None]


ANSWER_TABLES = {"gender": "gender", "race_ethnicity": "race_ethnicity", "zip_code": "zip"}


def _empty_demographics():
    return {
        "unique": 0,
        "age": Counter(),
        "gender": Counter(),
        "race_ethnicity": Counter(),
        "zip": Counter(),
    }


def demographics(scope, people=None):
    """Unique participants served in the period by age group, gender, race/ethnicity and ZIP.

    Each person counts once per table (their kept record's answers); age is
    their age in the year the period ends, from year of birth. Blank answers
    are "not recorded"; "prefers not to say" is its own answer.
    """
    people = people if people is not None else people_served(scope)
    return {name: people[name] for name in ("age", "gender", "race_ethnicity", "zip")}


# ---------------------------------------------------------------- overdose response


def overdose_reports(scope, by=None):
    """Overdoses reported in the period and the reversals among them.

    A *reversal* is a report where naloxone was given and the person survived.
    Reports imported from other sources (e.g. EMS calls) are not the program's
    and are left out. A report made at a contact follows that contact's filters;
    a report made on its own is filtered by the staff member who recorded it
    and is kept when no site or contact type filter is set.
    """
    from haven.overdose.models import OverdoseReport

    start, end = scope.bounds
    reports = OverdoseReport.objects.filter(occurred_at__gte=start, occurred_at__lt=end, source="")
    if scope.staff_ids:
        reports = reports.filter(recorded_by_id__in=scope.staff_ids)
    dimensions = (by,) if isinstance(by, str) else by or ()
    if scope.site_ids or scope.contact_types or {"site", "type"} & set(dimensions):
        reports = reports.filter(scope.encounters("encounter__"))
    reversal = Q(naloxone_doses__gt=0, outcome=OverdoseReport.Outcome.SURVIVED)
    tally = {"reports": Count("id"), "reversals": Count("id", filter=reversal)}
    if by is None:
        return reports.aggregate(**tally)
    fields = {
        "site": "encounter__site_id",
        "staff": "recorded_by_id",
        "type": "encounter__contact_type",
    }
    member = member_fields(by, fields)
    rows = reports.values_list(*member).annotate(**tally).order_by()
    return _by_member(
        rows,
        lambda rows: {"reports": rows[0][0], "reversals": rows[0][1]},
        lambda: {"reports": 0, "reversals": 0},
        len(member),
    )


def overdose_reports_by_combination(scope):
    """overdose_reports of every combination of site, recorder and contact type that has
    reports made at its contacts, {(site, recorder, type): figures}, and for each recorder
    what they recorded that no site holds (made at no contact, or at a contact of another
    period), as (None, recorder, None); the recorder None is nobody (the public form of
    haven/mail). Every report of the scope is in exactly one: each site's, recorder's and
    type's figures are sums of these."""
    at_contacts = overdose_reports(scope, by=("site", "staff", "type"))
    result = defaultdict(lambda: {"reports": 0, "reversals": 0}, at_contacts)
    for recorder, figures in overdose_reports(scope, by="staff").items():
        theirs = [counts for (_site, who, _kind), counts in at_contacts.items() if who == recorder]
        elsewhere = {name: figures[name] - sum(c[name] for c in theirs) for name in figures}
        if any(elsewhere.values()):
            result[(None, recorder, None)] = elsewhere
    return result


def drug_checks(scope, by=None):
    """Drug checks done in the period, and the share positive.

    The share is positive ÷ (positive + negative): inconclusive results are
    counted in `done` but left out of the share. Filtered by site and by the
    staff member who recorded the check; contact types do not apply.
    """
    from haven.overdose.models import DrugCheck

    checks = DrugCheck.objects.filter(checked_on__gte=scope.start, checked_on__lte=scope.end)
    if scope.site_ids:
        checks = checks.filter(site_id__in=scope.site_ids)
    if scope.staff_ids:
        checks = checks.filter(recorded_by_id__in=scope.staff_ids)
    tally = {
        "done": Count("id"),
        "positive": Count("id", filter=Q(result=DrugCheck.Result.POSITIVE)),
        "negative": Count("id", filter=Q(result=DrugCheck.Result.NEGATIVE)),
    }

    def with_share(counts):
        decided = counts["positive"] + counts["negative"]
        counts["share_positive"] = round(counts["positive"] / decided, 3) if decided else None
        return counts

    fields = {"site": "site_id", "staff": "recorded_by_id"}
    if by is None or not _applies(by, fields):
        counts = with_share(checks.aggregate(**tally))
        return counts if by is None else _same_for_all(counts)
    member = member_fields(by, fields)
    rows = checks.values_list(*member).annotate(**tally).order_by()
    return _by_member(
        rows,
        lambda rows: with_share(dict(zip(tally, rows[0], strict=True))),
        lambda: with_share(dict.fromkeys(tally, 0)),
        len(member),
    )


# ---------------------------------------------------------------- referrals


LINKAGE_WINDOW = datetime.timedelta(days=30)


def linkage_within_30_days(referrals, now=None):
    """The share of referrals linked to care within 30 days of being made.

    Counted over referrals whose 30-day window has closed (made at least 30
    days before `now`), so that recent referrals, which may still be linked,
    do not drag the share down. A referral counts as linked when it reached
    "linked to care" no later than 30 days after it was made; one linked
    later counts in the denominator only.

    `referrals` is an iterable of objects with made_at and linked_at. Returns
    (linked, eligible, share), share None when nothing is eligible. The
    follow-up page and the funder reports both count with this.
    """
    now = now or timezone.now()
    eligible = linked = 0
    for referral in referrals:
        if referral.made_at > now - LINKAGE_WINDOW:
            continue
        eligible += 1
        if (
            referral.linked_at is not None
            and referral.linked_at - referral.made_at <= LINKAGE_WINDOW
        ):
            linked += 1
    return linked, eligible, (linked / eligible if eligible else None)


def referrals(scope, now=None, by=None):
    """Referrals made in the period, by need, and those linked to care within 30 days.

    Linked within 30 days and its share follow `linkage_within_30_days`: the
    share is over the period's referrals whose 30-day window has closed.
    Filtered by the site it was made at and the staff member who made it;
    contact types do not apply.
    """
    from haven.resources.models import Referral

    start, end = scope.bounds
    made = Referral.objects.filter(made_at__gte=start, made_at__lt=end)
    if scope.site_ids:
        made = made.filter(site_id__in=scope.site_ids)
    if scope.staff_ids:
        made = made.filter(made_by_id__in=scope.staff_ids)
    now = now or timezone.now()
    fields = {"site": "site_id", "staff": "made_by_id"}
    if by is not None and not _applies(by, fields):
        return _same_for_all(referrals(scope, now))
    member = member_fields(by, fields)

    def count(rows):
        by_need = Counter()
        for need, _made_at, _linked_at in rows:
            by_need[need] += 1
        linked, eligible, share = linkage_within_30_days(
            (Referral(made_at=made_at, linked_at=linked_at) for _n, made_at, linked_at in rows), now
        )
        return {
            "made": sum(by_need.values()),
            "by_need": dict(by_need),
            "linked_within_30_days": linked,
            "eligible_for_linkage": eligible,
            "share_linked": round(share, 3) if share is not None else None,
        }

    rows = made.values_list(*member, "need", "made_at", "linked_at").order_by()
    if by is None:
        return count(list(rows))
    return _by_member(rows, count, lambda: count([]), len(member))


# ---------------------------------------------------------------- cached figures of past periods


def _people_from_json(stored):
    return {
        name: stored[name] if name == "unique" else Counter(stored[name])
        for name in _empty_demographics()
    }


# The figures that cost most to count and follow only contacts and participants'
# answers: {name: (count(scope), from stored JSON)}. Services and first kits are
# cached by service and item and grouped when read, so that one moved to another
# reporting group counts under its new one.
def _rows_from_json(stored):
    return [tuple(row) for row in stored]


def _activity_from_json(stored):
    # PostgreSQL's jsonb keeps no key order: the contact types go back in theirs.
    by_type = stored["by_type"]
    return {
        **stored,
        "by_type": {value: by_type.get(value, 0) for value in Encounter.ContactType.values},
    }


CACHED_FIGURES = {
    "activity": (activity, _activity_from_json),
    "people": (people_served, _people_from_json),
    "new_participants": (new_participants, lambda stored: stored),
    "first_kits": (first_kit_rows, _rows_from_json),
    "services": (service_rows, _rows_from_json),
}
# Those cached as rows by item or service, and what makes them figures when read.
FROM_CACHED_ROWS = {"first_kits": naloxone_first_kits, "services": services}


def _add_activity(parts):
    return {
        "by_type": {
            value: sum(part["by_type"].get(value, 0) for part in parts)
            for value in Encounter.ContactType.values
        },
        "anonymous": sum(part["anonymous"] for part in parts),
        "secondary": sum(part["secondary"] for part in parts),
    }


def _add_rows(parts):
    """Rows (key, *counts) of several periods, summed by key (every key kept, as a
    grouped sum over the whole period keeps a key whose rows add up to zero)."""
    totals = {}
    for rows in parts:
        for key, *counts in rows:
            before = totals.get(key)
            totals[key] = (
                counts if before is None else [a + b for a, b in zip(before, counts, strict=True)]
            )
    return [(key, *counts) for key, counts in totals.items()]


# The cached figures that add up over days: a whole-program period's are the sums of
# its finished months' (each cached under its own version) and of the days outside them.
ADD_UP = {"activity": _add_activity, "services": _add_rows, "first_kits": _add_rows}


def _months_to_add_up(scope):
    """The finished whole months whose figures make up a whole-program `scope`'s, [] when
    it has none, is one of them or is filtered (FinishedMonths)."""
    if scope.site_ids or scope.staff_ids or scope.contact_types:
        return []
    months = served.finished_months(scope.start, scope.end, timezone.localdate())
    whole_month = months == [scope.start] and served.next_month(scope.start) == (
        scope.end + datetime.timedelta(days=1)
    )
    return [] if whole_month else months


def count_by_months(scope, name, months_cache):
    """CACHED_FIGURES[name] of `scope`: where the figure adds up over days, the sum of
    its finished whole months' (FinishedMonths) and of the days outside them; else counted.

    A write into one month of a year makes only that month's figures be counted
    again, and the current year's finished months are cached though the year is
    not. `months_cache` keeps the FinishedMonths of the report being built.
    """
    count = CACHED_FIGURES[name][0]
    months = _months_to_add_up(scope)
    if name not in (*ADD_UP, "people") or not months:
        return count(scope)
    if "months" not in months_cache:
        months_cache["months"] = FinishedMonths(months, months_cache.get("versions"))
    finished = months_cache["months"]
    if name == "people":  # the months' versions read once for both
        people = served.people_served(scope.start, scope.end, versions=finished.month_versions)
        return demographics_of_sets(*people, scope.end.year)
    parts = finished.figures(name)
    for start, end in (
        (scope.start, months[0] - datetime.timedelta(days=1)),
        (served.next_month(months[-1]), scope.end),
    ):
        if start <= end:
            parts.append(count(replace(scope, start=start, end=end)))
    return ADD_UP[name](parts)


def is_finished(scope):
    """A period that ended before today: its figures change only when old records do."""
    return scope.end < timezone.localdate()


class CachedContactFigures:
    """CACHED_FIGURES of one finished scope, from models.CachedFigures while their data
    version holds, else counted and stored.

    The version is read before anything is counted: a write that commits while the
    figures are counted leaves them stored under the version before it, which no
    longer matches, so they are counted again; never the other way round. Every
    write that changes these figures moves the version on in its own transaction
    (summaries.py: the activity rows' `changes`, and the generation).
    """

    def __init__(self, scope):
        self.scope = scope
        self.months = {}  # the FinishedMonths of its months, see count_by_months
        self.counted = {}  # figures counted by this build, not read from the cache
        names = list(CACHED_FIGURES)
        by_day, self.generation = served.day_changes(scope.start, scope.end)
        self.changes = sum(by_day.values())
        # The months it adds up from (if any) get their versions from the same read.
        months = _months_to_add_up(scope)
        if months:
            self.months["versions"] = served.month_versions(months, (by_day, self.generation))
        version = (self.changes, self.generation)
        self.stored = {
            key: figures
            for key, changes, generation, figures in CachedFigures.objects.filter(
                scope__in=[self._key(name) for name in names]
            ).values_list("scope", "changes", "generation", "figures")
            if (changes, generation) == version
        }

    def _key(self, name):
        return self.key_of(self.scope, name)

    @staticmethod
    @functools.lru_cache(maxsize=4096)  # a report asks for a month's keys several times
    def key_of(scope, name):
        """The CachedFigures key of a figure of `scope`."""
        described = json.dumps(
            [str(scope.start), str(scope.end), scope.site_ids, scope.staff_ids, scope.contact_types]
        )
        return f"{name} {hashlib.sha256(described.encode()).hexdigest()}"

    def figure(self, name):
        stored = self.stored.get(self._key(name))
        if stored is not None:
            return CACHED_FIGURES[name][1](stored)
        if name not in self.counted:
            # A report needs them all: every figure not stored is counted now and
            # stored in one statement (one commit, not one a figure).
            missing = [each for each in CACHED_FIGURES if self._key(each) not in self.stored]
            for each in missing:
                self.counted[each] = count_by_months(self.scope, each, self.months)
            version = (self.changes, self.generation)
            keep_figures((self._key(each), version, self.counted[each]) for each in missing)
        return self.counted[name]


class FinishedMonths:
    """The ADD_UP figures of whole finished months of the whole program, each month's
    cached in CachedFigures (as CachedContactFigures of that month) while its version
    holds: one statement for every month's version, one for what is stored, and for the
    months that do not hold one query per figure grouped by day, summed into months.

    As in CachedContactFigures, the versions are read before anything is counted.
    """

    def __init__(self, months, versions=None):
        self.months = months
        self.scopes = [
            Scope(month, served.next_month(month) - datetime.timedelta(days=1)) for month in months
        ]
        # served.month_versions(months), unless the caller read them already.
        self.month_versions = versions or served.month_versions(months)
        versions, generation = self.month_versions
        self.versions = {month: (versions[month], generation) for month in months}
        self.counted = None
        keys = [
            CachedContactFigures.key_of(scope, name) for scope in self.scopes for name in ADD_UP
        ]
        self.stored = {
            key: (changes, generation, json.loads(value) if isinstance(value, str) else value)
            for key, changes, generation, value in CachedFigures.objects.filter(
                scope__in=keys
            ).values_list("scope", "changes", "generation", "figures")
        }

    def figures(self, name):
        """[the figure of each month], in the order of the months."""
        if self.counted is None:
            self._count_missing()
        values = []
        for scope in self.scopes:
            key = CachedContactFigures.key_of(scope, name)
            if key in self.counted:
                values.append(self.counted[key])
            else:
                values.append(CACHED_FIGURES[name][1](self.stored[key][2]))
        return values

    def _count_missing(self):
        """Count every figure of the months whose stored one does not hold, one query per
        figure grouped by day, and store them in one statement."""
        self.counted, rows = {}, []
        for name, add_up in ADD_UP.items():
            missing = [
                month
                for month, scope in zip(self.months, self.scopes, strict=True)
                if self.stored.get(CachedContactFigures.key_of(scope, name), (None,) * 3)[:2]
                != self.versions[month]
            ]
            if not missing:
                continue
            span = Scope(missing[0], served.next_month(missing[-1]) - datetime.timedelta(days=1))
            counted = CACHED_FIGURES[name][0](span, by="day")
            by_month = defaultdict(list)
            if name == "activity":
                for day, figures in counted.items():
                    by_month[day.replace(day=1)].append(figures)
            else:
                for day, *row in counted:
                    by_month[day.replace(day=1)].append(tuple(row))
                by_month = {month: [month_rows] for month, month_rows in by_month.items()}
            for month, scope in zip(self.months, self.scopes, strict=True):
                if month in missing:
                    key = CachedContactFigures.key_of(scope, name)
                    self.counted[key] = add_up(by_month.get(month, []))
                    rows.append((key, self.versions[month], self.counted[key]))
        keep_figures(rows)
