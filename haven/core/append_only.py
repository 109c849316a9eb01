"""The database's own refusal to change or delete audit entries (triggers made in
haven/core/migrations/0005_audit_append_only.py), and the one way to empty the log.

PostgreSQL refuses UPDATE, DELETE and TRUNCATE of core_auditentry. SQLite refuses
UPDATE, and DELETE unless the connection says the log may be emptied: its trigger
asks haven_audit_may_be_emptied(), a function each Django connection registers,
so any other client of the file (the sqlite3 shell) fails on the unknown function.

Only emptying a whole test database uses may_be_emptied() (see conftest.py):
Django's flush empties every table, the audit log included.
"""

import contextvars
from contextlib import contextmanager

from django.db.backends.signals import connection_created
from django.dispatch import receiver

_may_be_emptied = contextvars.ContextVar("audit_log_may_be_emptied", default=False)


@receiver(connection_created)
def register_sqlite_function(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "haven_audit_may_be_emptied", 0, lambda: int(_may_be_emptied.get())
        )


@contextmanager
def may_be_emptied(connection):
    """Within this block, `connection` may empty the audit log (a flush, never an edit)."""
    token = _may_be_emptied.set(True)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET haven.audit_may_be_emptied = 'on'")
        yield
    finally:
        _may_be_emptied.reset(token)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET haven.audit_may_be_emptied")
