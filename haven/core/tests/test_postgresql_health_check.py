"""A kept PostgreSQL connection is checked before reuse without a round trip while it is
idle and alive, and one the server dropped is found and replaced
(haven/core/db/postgresql/base.py)."""

import time

import pytest
from django.db import connection, connections, transaction

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's connections"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def other():
    """A second connection, to watch and stop the first from the server's side."""
    watcher = connections.create_connection("default")
    yield watcher
    watcher.close()


def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def last_statement(other, pid):
    with other.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
        return row and row[0]


def test_an_idle_live_connection_is_usable_without_a_statement(other):
    pid = backend_pid()
    assert connection.is_usable()
    assert last_statement(other, pid) == "SELECT pg_backend_pid()"


def test_in_a_transaction_the_check_asks_the_server(other):
    with transaction.atomic():
        pid = backend_pid()
        assert connection.is_usable()
        assert last_statement(other, pid) == "SELECT 1"


def test_a_connection_the_server_ended_is_found_and_replaced(other):
    pid = backend_pid()
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(100):
        if last_statement(other, pid) is None:
            break
        time.sleep(0.05)

    assert not connection.is_usable()
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert backend_pid() != pid
