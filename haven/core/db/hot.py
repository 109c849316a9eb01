"""Statements to plan once: marked where they are written, prepared by the
PostgreSQL backend (haven/core/db/postgresql/prepared.py); nothing on SQLite."""

_hot = set()
# A longer text is a bulk statement (thousands of rows in one insert): planning
# is nothing next to its writes, and a process keeps no copy of it.
LONGEST = 4000


def hot(sql):
    """Mark `sql` as a statement to prepare where it runs again (returns it).

    Only statements by key are marked: a prepared statement may run on a plan
    made once for any values, fine for a row by its key, not for a range of
    days whose best plan depends on how long it is."""
    if len(sql) <= LONGEST:
        _hot.add(sql)
    return sql


def is_hot(sql):
    return sql in _hot
