"""Statements a connection runs again and again, planned once by PostgreSQL.

Django binds values on the client (psycopg's ClientCursor): each statement
reaches PostgreSQL as text with its values in it, and is parsed and planned
anew every time, about a quarter of the server's CPU of a contact save.
psycopg prepares statements itself only when values are bound on the server,
which rules out sending several statements in one string (haven/core/db/batch.py)
and cost more in the worker than it saved in the server when tried.

So the cursor prepares with SQL: the second time a connection runs a statement
marked hot (haven/core/db/hot.py), it sends `PREPARE` once (its values become $1, $2, …), and
from then on `EXECUTE name(values…)`, the values still quoted by psycopg as
for any statement. A prepared statement lasts as long as its server session,
whatever happens to the transaction it was made in, so what was prepared is
kept per connection. A statement PostgreSQL will not prepare (a value whose
type it cannot tell) is run as it is from then on. Not used through PgBouncer
in transaction pooling, where consecutive transactions may run on different
server sessions (settings.py).
"""

import re

from django.db.backends.postgresql.base import Cursor
from psycopg import pq

from haven.core.db.hot import is_hot

# Seen this many times on a connection, a statement is prepared.
PREPARE_AT = 2
# Prepared statements a connection keeps; past it, nothing more is prepared
# (statements whose text varies, such as IN lists of every length, would
# otherwise grow the server's memory without end).
KEEP_AT_MOST = 400
# A statement of more values (a bulk insert) is planned in no time next to its
# writes: not worth a prepared statement of its own.
MOST_VALUES = 100

_PLACEHOLDER = re.compile(r"%(.)")


def server_text(sql):
    """`sql` with its %s placeholders numbered for PREPARE, and how many; None
    if it has other kinds (named ones), which are left unprepared."""
    count = 0
    refused = False

    def number(match):
        nonlocal count, refused
        kind = match.group(1)
        if kind == "%":
            return "%"
        if kind != "s":
            refused = True
            return match.group(0)
        count += 1
        return f"${count}"

    text = _PLACEHOLDER.sub(number, sql)
    return None if refused else (text, count)


class Statements:
    """What one server session has seen and prepared."""

    def __init__(self):
        self.seen = {}
        # statement text -> (name, number of values), or None if it cannot be prepared
        self.prepared = {}

    def call_for(self, connection, sql, params):
        """`sql` as an EXECUTE of its prepared form, or `sql` itself."""
        known = self.prepared.get(sql, False)
        if known is False:
            known = self._maybe_prepare(connection, sql)
        if known is None or known[1] != len(params):
            return sql
        name, count = known
        return f"EXECUTE {name}({', '.join(['%s'] * count)})"

    def _maybe_prepare(self, connection, sql):
        seen = self.seen.get(sql, 0) + 1
        if seen < PREPARE_AT:
            self.seen[sql] = seen
            return None
        del self.seen[sql]
        converted = server_text(sql)
        if converted is None or len(self.prepared) >= KEEP_AT_MOST:
            self.prepared[sql] = None
            return None
        raw = connection.pgconn
        status = raw.transaction_status
        if status not in (pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS):
            return None  # an aborted transaction: the statement itself will say so
        text, count = converted
        name = f"haven_{len(self.prepared) + 1}"
        # Sent as it is, before the statement and outside psycopg's own
        # transaction handling: a refusal must not end the caller's transaction,
        # so inside one it is made under a savepoint.
        if status == pq.TransactionStatus.INTRANS:
            result = raw.exec_(f"SAVEPOINT haven_prepare; PREPARE {name} AS {text}".encode())
            made = result.status == pq.ExecStatus.COMMAND_OK
            raw.exec_(
                b"RELEASE SAVEPOINT haven_prepare"
                if made
                else b"ROLLBACK TO SAVEPOINT haven_prepare; RELEASE SAVEPOINT haven_prepare"
            )
        else:
            result = raw.exec_(f"PREPARE {name} AS {text}".encode())
            made = result.status == pq.ExecStatus.COMMAND_OK
        self.prepared[sql] = (name, count) if made else None
        return self.prepared[sql]


class PreparingCursor(Cursor):
    """Django's client-binding cursor, running repeated statements prepared."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(self.prepared_form(query, params), params, **kwargs)

    def mogrify(self, query, params=None):
        return super().mogrify(self.prepared_form(query, params), params)

    def prepared_form(self, query, params):
        if (
            not params
            or len(params) > MOST_VALUES
            or not is_hot(query)
            or not isinstance(params, list | tuple)
        ):
            return query
        return self.connection.haven_statements.call_for(self.connection, query, params)
