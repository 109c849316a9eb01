"""Writes a save does not wait on, sent to PostgreSQL together in one round trip.

A contact save writes to some ten tables. On PostgreSQL each statement is a
round trip to the server, and at field pace the waits added up to more than
the server's work. Inside `together()`, `write()` holds a statement back; the
held statements go as one multi-statement string just before the next
statement that is not held back (any query on the connection), or at the end
of the block, so the order of the writes is kept and a later read sees them.
psycopg's client-side binding (Django's default) quotes each statement's values,
as it does for every statement it sends. A write whose answer is needed later
(a row count to check, a RETURNING row) gives `then`, called with the driver's
cursor on that statement's result when it has run; an error in any of them
raises at that point, inside the caller's transaction, as it would have
alone.

On SQLite, in the process and without round trips, and on a connection that
binds values on the server (one statement a string), `write()`
runs each statement at once.
"""

from contextlib import contextmanager

from django.db import connections

from haven.core.db.hot import hot


@contextmanager
def together(using="default"):
    """Hold back write()s in this block; a block inside another joins it.

    An error in the block drops what is held: let it end the transaction."""
    connection = connections[using]
    if (
        connection.vendor != "postgresql"
        or connection.features.uses_server_side_binding  # one statement a string
        or getattr(connection, "held_writes", None) is not None
    ):
        yield
        return
    connection.held_writes = []

    def send_held_first(execute, sql, params, many, context):
        _send(connection)
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(send_held_first):
            yield
            _send(connection)
    finally:
        connection.held_writes = None


def write(sql, params, *, then=None, using="default"):
    """Run a statement now, or hold it back inside together(); `then(cursor)` sees its result."""
    connection = connections[using]
    # A save's writes are by key: planned once where they are prepared.
    sql = hot(sql)
    held = getattr(connection, "held_writes", None)
    if held is not None:
        held.append((sql, params, then))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if then is not None:
            then(cursor.cursor)


def send_now(using="default"):
    """Send what is held now (inside together()), for a caller that needs a held
    write's answer (its `then`) before it goes on."""
    connection = connections[using]
    if getattr(connection, "held_writes", None):
        _send(connection)


# psycopg keeps the parsed form of a statement of up to 50 values; one with more
# is parsed afresh each time, which cost more CPU than a held statement split in
# several that go in the same round trip anyway.
PARSED_ONCE_VALUES = 50


def rows_per_statement(values_per_row, otherwise, using="default"):
    """Rows a multi-row statement should take: `otherwise` unless writes are held."""
    if getattr(connections[using], "held_writes", None) is None:
        return otherwise
    return max(1, min(otherwise, PARSED_ONCE_VALUES // values_per_row))


def _send(connection):
    statements, connection.held_writes = connection.held_writes, []
    if not statements:
        return
    with connection.cursor() as cursor:
        driver = cursor.cursor
        cursor.execute(";\n".join(driver.mogrify(sql, params) for sql, params, _ in statements))
        for number, (_sql, _params, then) in enumerate(statements):
            if number:
                driver.nextset()
            if then is not None:
                then(driver)
