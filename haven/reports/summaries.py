"""Keeping the daily summaries and first-naloxone dates exact on every write.

Each write that adds or changes contacts calls `contacts_added` or
`contact_changed` inside its own transaction. A contact's *contribution* (its
counts, supply lines and services under its day, site, staff member and type)
is added to the summary rows, and on an edit the old contribution is taken
away first: a few single-row updates, whatever the size of the day. A test
checks after random sequences of writes that the rows equal direct counts.
`rebuild_all` recomputes everything from the raw records instead, for
repairs and after bulk loads.
"""

import datetime
import functools
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from haven.core.db import batch
from haven.outreach.models import Encounter, EncounterSupply
from haven.participants.models import Participant

from .models import (
    CachedFigures,
    DailyActivity,
    DailyService,
    DailySupply,
    FiguresGeneration,
    FirstNaloxoneLine,
    MonthlySupply,
    ServedMonth,
)

SUMMARIES = (DailyActivity, DailySupply, DailyService, FirstNaloxoneLine, MonthlySupply)


def _local_day(path):
    return TruncDate(path, tzinfo=timezone.get_current_timezone())


def _write_summaries(encounters):
    """Insert the summary rows of a set of encounters (whose old rows are gone)."""
    DailyActivity.objects.bulk_create(
        (
            DailyActivity(**row)
            for row in encounters.values(
                "site_id", "staff_id", "contact_type", day=_local_day("occurred_at")
            )
            .annotate(
                encounters=Count("id"),
                participant_encounters=Count("id", filter=Q(participant__isnull=False)),
                anonymous_people=Sum("anonymous_people"),
                secondary_people=Sum("secondary_people"),
            )
            .order_by()
            .iterator()
        ),
        batch_size=2000,
    )
    by_encounter = {
        "day": _local_day("encounter__occurred_at"),
        "site_id": F("encounter__site_id"),
        "staff_id": F("encounter__staff_id"),
        "contact_type": F("encounter__contact_type"),
    }
    DailySupply.objects.bulk_create(
        (
            DailySupply(quantity=row.pop("quantity_total"), **row)
            for row in EncounterSupply.objects.filter(encounter__in=encounters)
            .values("item_id", **by_encounter)
            .annotate(
                # Annotated in this order: the anonymous part is summed over the
                # lines, before `quantity` names the total.
                anonymous_quantity=Coalesce(
                    Sum("quantity", filter=Q(encounter__participant__isnull=True)), 0
                ),
                quantity_total=Sum("quantity"),
            )
            .order_by()
            .iterator()
        ),
        batch_size=2000,
    )
    write_monthly_supply()
    Through = Encounter.services.through
    DailyService.objects.bulk_create(
        (
            DailyService(**row)
            for row in Through.objects.filter(encounter__in=encounters)
            .values("service_id", **by_encounter)
            .annotate(
                encounters=Count("encounter_id"),
                # One for a participant, the head count for an anonymous contact.
                people=Count("encounter__participant_id") + Sum("encounter__anonymous_people"),
            )
            .order_by()
            .iterator()
        ),
        batch_size=2000,
    )


def _first_line_rows(lines):
    """FirstNaloxoneLine rows for `lines`, a queryset of EncounterSupply.

    Merges point straight at the kept record (participants.actions moves the
    duplicates of a duplicate), so the kept record is one step away.
    """
    return (
        FirstNaloxoneLine(**row)
        for row in lines.values(
            "encounter_id",
            "item_id",
            "quantity",
            participant_id=Coalesce(
                "encounter__participant__merged_into_id", "encounter__participant_id"
            ),
            day=_local_day("encounter__occurred_at"),
            site_id=F("encounter__site_id"),
            staff_id=F("encounter__staff_id"),
            contact_type=F("encounter__contact_type"),
        ).iterator()
    )


def _activity_key(day, site_id, staff_id, contact_type):
    return {
        "day": day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day),
        "site_id": site_id,
        "staff_id": staff_id,
        "contact_type": contact_type,
    }


def _delete_first_lines(column, ids):
    """Delete the first-naloxone lines whose `column` is in `ids`; return the activity keys
    (day, site, staff member, type) of the contacts they were at, in one statement."""
    if not ids:
        return []
    quote = connection.ops.quote_name
    returned = ", ".join(quote(name) for name in ("day", "site_id", "staff_id", "contact_type"))
    with connection.cursor() as cursor:
        # Only names from the model go into the text; the ids are parameters.
        cursor.execute(
            f"DELETE FROM {quote(FirstNaloxoneLine._meta.db_table)} "  # noqa: S608
            f"WHERE {quote(column)} IN ({', '.join(['%s'] * len(ids))}) RETURNING {returned}",
            list(ids),
        )
        rows = cursor.fetchall()
    return [_activity_key(*row) for row in rows]


def _write_first_lines(linked_ids, first):
    """Rewrite the first-naloxone lines of one kept record: the naloxone lines
    of its contacts at its first naloxone moment (`first`), under any linked record.

    Returns the activity keys of the lines taken away and of those written: the
    first kits of those days changed, so their cached figures must be counted
    again (see `_apply`). A first kit can move to a contact that was not edited
    (its participant's earlier naloxone was edited away), in a period cached
    before.
    """
    moved = _delete_first_lines("participant_id", list(linked_ids))
    if first is None:
        return moved
    lines = EncounterSupply.objects.filter(
        encounter__participant_id__in=linked_ids,
        encounter__occurred_at=first,
        item__category="naloxone",
    )
    rows = list(_first_line_rows(lines))
    # A contact just moved here from another participant may still have rows
    # there; that participant's own refresh rewrites the rest of them.
    moved += _delete_first_lines("encounter_id", sorted({row.encounter_id for row in rows}))
    FirstNaloxoneLine.objects.bulk_create(rows)
    return moved + [
        _activity_key(row.day, row.site_id, row.staff_id, row.contact_type) for row in rows
    ]


def write_monthly_supply(DailySupply=DailySupply, MonthlySupply=MonthlySupply):  # noqa: N803
    """Write MonthlySupply from the daily rows (whose monthly rows are gone).

    Takes the models so that the data migration can pass its historical ones.
    """
    fields = {"site": "site_id", "staff": "staff_id", "type": "contact_type"}
    for dimension in ("all", *fields):
        member = [fields[dimension]] if dimension in fields else []
        rows = (
            DailySupply.objects.values_list(TruncMonth("day"), *member, "item_id")
            .annotate(Sum("quantity"), Sum("anonymous_quantity"))
            .order_by()
        )
        MonthlySupply.objects.bulk_create(
            (
                MonthlySupply(
                    month=row[0],
                    dimension=dimension,
                    member=str(row[1]) if member else "",
                    item_id=row[-3],
                    quantity=row[-2],
                    anonymous_quantity=row[-1],
                )
                for row in rows.iterator()
            ),
            batch_size=2000,
        )


def refresh_first_naloxone(participant):
    """Set first_naloxone_at on a kept record from all its linked records, and rewrite
    the lines of that first contact: after a merge, which changes who every contact of
    the duplicate counts as, in every period, so no cached figures hold after it."""
    figures_changed()
    _refresh_first_naloxone(participant)


# A participant's answers that the cached figures count (demographics, enrolment).
REPORTED_ANSWERS = frozenset(
    ("year_of_birth", "gender", "race_ethnicity", "zip_code", "enrolled_site", "merged_into")
)


def figures_changed():
    """Move the cached figures' generation on: every period is counted again.

    For writes that change figures of any period at once: a participant's answers
    edited (demographics), a merge, a rebuild. Call inside the write's transaction.
    """
    table = connection.ops.quote_name(FiguresGeneration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, generation) VALUES (1, 1) "  # noqa: S608 - model name
            f"ON CONFLICT (id) DO UPDATE SET generation = {table}.generation + 1"
        )


def _refresh_first_naloxone(participant):
    """refresh_first_naloxone for a contact's edit: returns the activity keys of the
    first-naloxone lines it took away (the edit's own days are counted as changed anyway)."""
    root = Participant.objects.get(pk=participant.pk).canonical()
    linked = root.linked_ids()
    first = EncounterSupply.objects.filter(
        encounter__participant_id__in=linked, item__category="naloxone"
    ).aggregate(first=Min("encounter__occurred_at"))["first"]
    Participant.objects.filter(pk=root.pk).update(first_naloxone_at=first)
    # Duplicates carry no date of their own: the kept record speaks for them.
    Participant.objects.filter(merged_into=root).update(first_naloxone_at=None)
    return _write_first_lines(linked, first)


@dataclass
class Contribution:
    """What one contact adds to the summaries."""

    key: dict
    participant_id: int = None
    anonymous_people: int = 0
    secondary_people: int = 0
    supplies: dict = field(default_factory=dict)  # item id -> quantity
    services: list = field(default_factory=list)  # service ids
    naloxone: bool = False

    @property
    def people(self):
        return 1 if self.participant_id else self.anonymous_people


def contribution_of(encounter, supplies=None, services=None):
    """What `encounter` adds to the summaries, read from the database unless the
    caller passes the supplies ({Item: quantity}) and services it just stored."""
    if supplies is None:
        lines = list(encounter.supplies.values_list("item_id", "quantity", "item__category"))
    else:
        lines = [
            (item.pk, quantity, item.category) for item, quantity in supplies.items() if quantity
        ]
    if services is None:
        service_ids = list(encounter.services.values_list("pk", flat=True))
    else:
        service_ids = sorted({service.pk for service in services})
    return Contribution(
        key={
            "day": timezone.localdate(encounter.occurred_at),
            "site_id": encounter.site_id,
            "staff_id": encounter.staff_id,
            "contact_type": encounter.contact_type,
        },
        participant_id=encounter.participant_id,
        anonymous_people=encounter.anonymous_people,
        secondary_people=encounter.secondary_people,
        supplies={item_id: quantity for item_id, quantity, _category in lines},
        services=service_ids,
        naloxone=any(category == "naloxone" for _item, _quantity, category in lines),
    )


# Rows per upsert statement: well under SQLite's limit of bound parameters.
UPSERT_ROWS = 500


def _add(model, rows):
    """Add deltas to summary rows of one model: rows are [(key, deltas)].

    The rows that only add are one upsert (INSERT … ON CONFLICT DO UPDATE,
    which SQLite and PostgreSQL both speak) for all of them, so two writers
    adding to the same new row never collide. Taking away (an edit) updates
    each row the contact added to.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    # In the order of their keys, so that two writers take row locks in one order.
    rows = sorted(rows, key=lambda row: tuple(row[0].values()))
    adding = [(key, deltas) for key, deltas in rows if all(d >= 0 for d in deltas.values())]
    taking = [(key, deltas) for key, deltas in rows if any(d < 0 for d in deltas.values())]
    # Only quoted names from the model go into the text; values are parameters.
    # Nothing is read back: inside batch.together() they go with the next statement.
    per_statement = UPSERT_ROWS
    if adding:
        per_statement = batch.rows_per_statement(sum(map(len, adding[0])), UPSERT_ROWS)
    for start in range(0, len(adding), per_statement):
        chunk = adding[start : start + per_statement]
        batch.write(
            _upsert(connection.vendor, model, tuple(chunk[0][0]), tuple(chunk[0][1]), len(chunk)),
            [value for key, deltas in chunk for value in (*key.values(), *deltas.values())],
        )
    for key, deltas in taking:
        key_columns = [quote(model._meta.get_field(name).column) for name in key]
        delta_columns = [quote(model._meta.get_field(name).column) for name in deltas]
        increments = ", ".join(f"{c} = {table}.{c} + %s" for c in delta_columns)
        where = " AND ".join(f"{c} = %s" for c in key_columns)
        batch.write(
            f"UPDATE {table} SET {increments} WHERE {where}",  # noqa: S608 - as above
            [*deltas.values(), *key.values()],
        )


@functools.cache
def _upsert(vendor, model, keys, deltas, rows):
    """The text of an upsert adding `deltas` to `rows` rows of `model` by `keys`
    (on the `vendor`'s database): made once a process, since every save sends
    the same few."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_columns = [quote(model._meta.get_field(name).column) for name in keys]
    delta_columns = [quote(model._meta.get_field(name).column) for name in deltas]
    values = f"({', '.join(['%s'] * (len(key_columns) + len(delta_columns)))})"
    increments = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in delta_columns)
    # Only quoted names from the model go into the text; values are parameters.
    return (
        f"INSERT INTO {table} ({', '.join(key_columns + delta_columns)}) "  # noqa: S608
        f"VALUES {', '.join([values] * rows)} "
        f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {increments}"
    )


def monthly_keys(key):
    """The MonthlySupply keys a daily supply key adds to: everyone's, and its site's,
    staff member's and contact type's, in its month."""
    month = key["day"].replace(day=1)
    return [
        {"dimension": dimension, "member": str(member), "month": month, "item_id": key["item_id"]}
        for dimension, member in (
            (MonthlySupply.EVERYONE, ""),
            ("site", key["site_id"]),
            ("staff", key["staff_id"]),
            ("type", key["contact_type"]),
        )
    ]


ACTIVITY_COUNTS = ("encounters", "participant_encounters", "anonymous_people", "secondary_people")


def _apply(contributions, sign, changed_days=()):
    """Add (sign +1) or take away (-1) contributions: adding is one statement per summary table.

    Every activity row written to, and those of `changed_days` (activity keys whose
    first kits moved), count one more change whatever the sign: the data version
    of the cached figures of their days (models.CachedFigures).
    """
    rows = {}

    def add(model, key, **deltas):
        total = rows.setdefault((model, tuple(key.items())), dict.fromkeys(deltas, 0))
        for name, delta in deltas.items():
            total[name] += delta if name == "changes" else sign * delta

    for key in changed_days:
        add(DailyActivity, key, **dict.fromkeys(ACTIVITY_COUNTS, 0), changes=1)
    for contribution in contributions:
        key = contribution.key
        add(
            DailyActivity,
            key,
            encounters=1,
            participant_encounters=int(bool(contribution.participant_id)),
            anonymous_people=contribution.anonymous_people,
            secondary_people=contribution.secondary_people,
            changes=1,
        )
        anonymous = contribution.participant_id is None
        for item_id, quantity in contribution.supplies.items():
            add(
                DailySupply,
                {**key, "item_id": item_id},
                quantity=quantity,
                anonymous_quantity=quantity * anonymous,
            )
            for month_key in monthly_keys({**key, "item_id": item_id}):
                add(
                    MonthlySupply,
                    month_key,
                    quantity=quantity,
                    anonymous_quantity=quantity * anonymous,
                )
        for service_id in contribution.services:
            add(
                DailyService,
                {**key, "service_id": service_id},
                encounters=1,
                people=contribution.people,
            )
    # The month's rows are everyone's (every save at a site, of an item, adds to
    # them), the others one staff member's: written last, they are held the least.
    by_model = {model: [] for model in (DailyActivity, DailySupply, DailyService, MonthlySupply)}
    for (model, key), deltas in rows.items():
        by_model[model].append((dict(key), deltas))
    for model, model_rows in by_model.items():
        if model_rows:
            _add(model, model_rows)


def contacts_added(added):
    """Count new contacts, given as (encounter, supplies, services) just stored.

    Call inside the transaction that stored them. A batch of contacts is
    summed first, so it costs one statement per summary row, not per contact.
    """
    contributions = [contribution_of(*contact) for contact in added]
    firsts = {}
    for contribution, (encounter, _supplies, _services) in zip(contributions, added, strict=True):
        # The contact's participant is already the kept record (see outreach).
        if contribution.naloxone and encounter.participant_id:
            first = firsts.get(encounter.participant_id)
            firsts[encounter.participant_id] = min(
                first or encounter.occurred_at, encounter.occurred_at
            )
    # Sent with the writes held before them (haven/core/db/batch.py), in one round
    # trip, when what follows depends on them; else everything goes in one.
    updates = {pk: _moved_first_naloxone(pk, first) for pk, first in firsts.items()}
    if updates:
        batch.send_now()
    moved = []
    for participant_id, update in updates.items():
        if update:
            moved += _write_first_lines(
                Participant(pk=participant_id).linked_ids(), firsts[participant_id]
            )
    # After the first kits, so that a first kit moved to this contact from an older
    # one counts as a change on that one's day too, in the same upsert.
    _apply(contributions, +1, changed_days=moved)


class _Moved:
    """Whether a held update changed a row, known once it is sent."""

    def __init__(self):
        self.rows = None

    def __call__(self, cursor):
        self.rows = cursor.rowcount

    def __bool__(self):
        return bool(self.rows)


def _moved_first_naloxone(participant_id, first):
    """Make `first` the participant's first naloxone unless an earlier one is known;
    whether it was, once sent (inside batch.together(), with batch.send_now()).
    Equal counts too: a second contact at the very same first moment adds its
    lines. A hand-written statement: run on every save with naloxone, inside
    the write lock, where the ORM's query building cost more than the update."""
    quote = connection.ops.quote_name
    column = quote(Participant._meta.get_field("first_naloxone_at").column)
    when = Participant._meta.get_field("first_naloxone_at").get_db_prep_save(first, connection)
    moved = _Moved()
    batch.write(
        f"UPDATE {quote(Participant._meta.db_table)} SET {column} = %s "  # noqa: S608
        f"WHERE id = %s AND ({column} IS NULL OR {column} >= %s)",
        [when, participant_id, when],
        then=moved,
    )
    return moved


def contact_changed(before, encounter):
    """Recount an edited contact; `before` is its contribution_of() before the edit."""
    after = contribution_of(encounter)
    moved = []
    if before.naloxone or after.naloxone:
        for participant_id in {before.participant_id, after.participant_id} - {None}:
            moved += _refresh_first_naloxone(Participant(pk=participant_id))
    _apply([before], -1)
    _apply([after], +1, changed_days=moved)


@transaction.atomic
def rebuild_all():
    """Recompute every summary and first-naloxone date: after a bulk load or import."""
    # The activity rows' changes start again from zero: no cached figure may match them.
    figures_changed()
    CachedFigures.objects.all().delete()
    ServedMonth.objects.all().delete()
    for model in SUMMARIES:
        model.objects.all().delete()
    _write_summaries(Encounter.objects.all())
    Participant.objects.exclude(first_naloxone_at=None).update(first_naloxone_at=None)
    firsts = (
        EncounterSupply.objects.filter(
            item__category="naloxone", encounter__participant__isnull=False
        )
        .values("encounter__participant_id", "encounter__participant__merged_into_id")
        .annotate(first=Min("encounter__occurred_at"))
        .order_by()
    )
    by_root = {}
    for row in firsts.iterator():
        root = row["encounter__participant__merged_into_id"] or row["encounter__participant_id"]
        if root not in by_root or row["first"] < by_root[root]:
            by_root[root] = row["first"]
    for root, first in by_root.items():
        Participant.objects.filter(pk=root).update(first_naloxone_at=first)
    # Annotated, not filtered, so that the join to a kept record stays an outer join.
    first_contacts = EncounterSupply.objects.annotate(
        first=Coalesce(
            "encounter__participant__merged_into__first_naloxone_at",
            "encounter__participant__first_naloxone_at",
        )
    ).filter(encounter__occurred_at=F("first"), item__category="naloxone")
    FirstNaloxoneLine.objects.bulk_create(_first_line_rows(first_contacts), batch_size=2000)
    return DailyActivity.objects.count()
