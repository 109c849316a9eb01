"""The audit log's hash chain: each entry's hash covers the entry and the hash before it.

Entry n (its `sequence`, counted from 1 with no gaps) carries

    entry_hash = sha256(previous entry's entry_hash + "\\n" + canonical(entry n))

where the first entry's previous hash is "" and canonical() is the JSON list
[sequence, at, user_id, action, object_type, object_id, participant_id, page, detail]
with `at` in UTC to the microsecond and the detail's keys sorted. Changing any
field of an entry changes its hash; removing an entry leaves a gap in the
sequence and breaks the hash of the entry after it. The format is frozen:
entries written today must verify for ever, so a change needs a new version
marker, not an edit here.

This module reads no models, so the migration that chains older entries can
use it too.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.db import connections
from django.utils import timezone

from haven.core.db import batch

GENESIS = ""
# The key of the PostgreSQL advisory lock that queues writers of the log: any
# constant works as long as nothing else in the database uses it ("haven" in ASCII).
LOCK_KEY = 0x686176656E


def _as_stored(value):
    """`value` as it reads back from any database: PostgreSQL's jsonb keeps numbers as
    decimals, so 1e20 or 2.0 written as floats read back as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _as_stored(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_stored(item) for item in value]
    return value


def canonical(sequence, at, user_id, action, object_type, object_id, participant_id, page, detail):
    return json.dumps(
        [
            sequence,
            at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            user_id,
            action,
            object_type,
            object_id,
            participant_id,
            page,
            _as_stored(detail),
        ],
        sort_keys=True,
        separators=(",", ":"),
    )


def digest(previous_hash, **fields):
    text = previous_hash + "\n" + canonical(**fields)
    return hashlib.sha256(text.encode()).hexdigest()


def entry_digest(previous_hash, entry):
    return digest(
        previous_hash,
        sequence=entry.sequence,
        at=entry.at,
        user_id=entry.user_id,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        participant_id=entry.participant_id,
        page=entry.page,
        detail=entry.detail,
    )


def head(model, using):
    """(sequence, entry_hash) of the last entry, holding the log for this transaction.

    Call inside a transaction. SQLite transactions here are IMMEDIATE, so the
    writer already holds the database; on PostgreSQL a transaction-scoped
    advisory lock queues the writers, released at commit or rollback. The lock
    and the read go in one round trip: PostgreSQL runs each statement of a
    multi-statement string with its own snapshot, so the read sees an entry
    committed by the writer the lock waited for.
    """
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    last = f"SELECT sequence, entry_hash FROM {table} ORDER BY sequence DESC LIMIT 1"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT pg_advisory_xact_lock(%s); {last}", [LOCK_KEY])
            cursor.cursor.nextset()
        else:
            cursor.execute(last)
        row = cursor.fetchone()
    return row if row is not None else (0, GENESIS)


def link(entries, model, using):
    """Give unsaved `entries`, in order, their time, sequence number and hash."""
    sequence, previous_hash = head(model, using)
    now = timezone.now()
    for entry in entries:
        sequence += 1
        entry.at = now
        entry.sequence = sequence
        entry.entry_hash = previous_hash = entry_digest(previous_hash, entry)


def append_one(entry, model, using):
    """PostgreSQL: append one unsaved entry in one round trip, from the log's lock
    to the insert, the database giving it its time, sequence number and hash.

    A contact save's last write: until its commit it holds the log's lock, which
    every writer needs, so that lock is held for this statement and the commit
    instead of a read, a hash in Python and an insert (inside batch.together(),
    the entry's id, sequence, hash and time are filled in when the batch is
    sent). The hash is the one digest() makes: the JSON of canonical() is the
    sequence number and the time, which only the database knows here, joined to
    the rest of the entry, which Python writes as canonical() does; verify()
    checks every entry the same way whichever way it was written (tests:
    haven/core/tests).
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [
        entry.user_id,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.participant_id,
        entry.page,
    ]
    rest = json.dumps([*columns, _as_stored(entry.detail)], sort_keys=True, separators=(",", ":"))[
        1:-1
    ]
    detail = model._meta.get_field("detail").get_db_prep_save(entry.detail, connection)
    # Only the quoted model table name goes into the text; values are parameters.
    sql = f"""
        WITH last AS (SELECT sequence, entry_hash FROM {table} ORDER BY sequence DESC LIMIT 1),
        head AS (
            SELECT COALESCE((SELECT sequence FROM last), 0) + 1 AS sequence,
                   COALESCE((SELECT entry_hash FROM last), '') AS previous,
                   clock_timestamp() AS at
        )
        INSERT INTO {table} (at, user_id, action, object_type, object_id, participant_id,
                             page, detail, sequence, entry_hash)
        SELECT head.at, %s, %s, %s, %s, %s, %s, %s, head.sequence,
               encode(sha256(convert_to(
                   head.previous || E'\\n[' || head.sequence::text || ',"'
                   || to_char(head.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
                   || '+00:00",' || %s || ']', 'UTF8')), 'hex')
        FROM head
        RETURNING id, sequence, entry_hash, at
    """  # noqa: S608

    def fill_in(cursor):
        entry.pk, entry.sequence, entry.entry_hash, entry.at = cursor.fetchone()
        entry._state.adding = False
        entry._state.db = using

    # The lock and the insert are two statements, so that the insert's read of
    # the chain's end sees an entry committed by the writer the lock waited for,
    # sent together (batch.py): inside an outer batch.together() (a contact
    # save), with the save's other held writes, just before the commit.
    with batch.together(using):
        batch.write("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY], using=using)
        batch.write(sql, [*columns, detail, rest], then=fill_in, using=using)
    return entry


@dataclass
class Break:
    """The first entry where the chain does not hold, and why."""

    id: int
    sequence: int
    at: datetime.datetime
    reason: str


FIELDS = (
    "id",
    "sequence",
    "at",
    "user_id",
    "action",
    "object_type",
    "object_id",
    "participant_id",
    "page",
    "detail",
    "entry_hash",
)


def verify(rows):
    """Walk `rows` (dicts of FIELDS, in sequence order); return (count, last hash, breaks).

    Each entry is checked against the stored hash of the one before, so an
    edit is named at the edited entry even when later entries are intact.
    """
    count, expected_sequence, previous_hash, breaks = 0, 1, GENESIS, []
    for row in rows:
        count += 1
        if row["sequence"] != expected_sequence:
            missing = row["sequence"] - expected_sequence
            reason = (
                f"{missing} entries before it are missing (sequence {expected_sequence} "
                f"to {row['sequence'] - 1})"
                if missing > 0
                else f"its sequence number {row['sequence']} repeats or goes back"
            )
            breaks.append(Break(row["id"], row["sequence"], row["at"], reason))
        fields = {name: row[name] for name in FIELDS if name not in ("id", "entry_hash")}
        # After a gap the hash cannot match either; the gap is the one problem to report.
        if (
            row["sequence"] == expected_sequence
            and digest(previous_hash, **fields) != row["entry_hash"]
        ):
            breaks.append(
                Break(
                    row["id"],
                    row["sequence"],
                    row["at"],
                    "its hash does not match it and the hash before it: this entry was changed, "
                    "or the one before it was replaced",
                )
            )
        expected_sequence = row["sequence"] + 1
        previous_hash = row["entry_hash"]
    return count, previous_hash, breaks
