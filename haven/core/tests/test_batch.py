"""Held-back writes (haven/core/db/batch.py): one round trip on PostgreSQL, same rows everywhere."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from haven.core.db import batch, inserts
from haven.supplies.models import Item

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


def new_items(*names):
    return [Item(name=name, category="hygiene") for name in names]


def test_held_writes_go_in_one_statement_on_postgresql_and_a_later_read_sees_them():
    with CaptureQueriesContext(connection) as sent, batch.together():
        inserts.insert(new_items("Gauze"), returning=False)
        inserts.insert(new_items("Tape", "Wipes"), returning=False)
        batch.write(f"UPDATE {Item._meta.db_table} SET usual = %s WHERE name = %s", [True, "Tape"])
        # A read runs after what is held, in the order written.
        assert sorted(
            Item.objects.filter(name__in=["Gauze", "Tape", "Wipes"]).values_list("name", "usual")
        ) == [("Gauze", False), ("Tape", True), ("Wipes", False)]
    # The three writes and the read; on PostgreSQL the writes went as one.
    assert len(sent) == (2 if ON_POSTGRESQL else 4)


def test_then_sees_each_statements_own_result():
    Item.objects.bulk_create(new_items("Gauze", "Tape", "Wipes"))
    counted = []
    with batch.together():
        batch.write(
            f"UPDATE {Item._meta.db_table} SET usual = %s WHERE name IN (%s, %s)",
            [True, "Gauze", "Tape"],
            then=lambda cursor: counted.append(cursor.rowcount),
        )
        batch.write(
            f"UPDATE {Item._meta.db_table} SET usual = %s WHERE name = %s",
            [True, "Nothing of that name"],
            then=lambda cursor: counted.append(cursor.rowcount),
        )
        batch.write(
            f"SELECT name FROM {Item._meta.db_table} WHERE usual ORDER BY name",
            [],
            then=lambda cursor: counted.append(cursor.fetchall()),
        )
        assert counted == ([] if ON_POSTGRESQL else [2, 0, [("Gauze",), ("Tape",)]])
    assert counted == [2, 0, [("Gauze",), ("Tape",)]]


def test_a_refused_held_write_raises_django_s_error_and_stores_nothing_of_the_transaction():
    Item.objects.create(name="Gauze", category="hygiene")
    with pytest.raises(IntegrityError), transaction.atomic(), batch.together():
        inserts.insert(new_items("Tape"), returning=False)
        inserts.insert(new_items("Gauze"), returning=False)  # the name is taken
    assert not Item.objects.filter(name="Tape").exists()
    # The connection goes on working.
    inserts.insert(new_items("Wipes"), returning=False)
    assert Item.objects.filter(name="Wipes").exists()


def test_an_error_raised_by_then_reaches_the_caller():
    class Moved(Exception):
        pass

    def refuse(cursor):
        raise Moved

    with pytest.raises(Moved), transaction.atomic(), batch.together():
        batch.write(f"SELECT 1 FROM {Item._meta.db_table}", [], then=refuse)


def test_values_with_quotes_and_percent_signs_are_stored_as_given():
    odd = ["O'Brien's 100% kit", "semi;colon -- not a comment", "back\\slash $1 %s"]
    with batch.together():
        inserts.insert(new_items(*odd), returning=False)
    assert sorted(Item.objects.filter(name__in=odd).values_list("name", flat=True)) == sorted(odd)


def test_a_block_inside_another_joins_it():
    with CaptureQueriesContext(connection) as sent, batch.together():
        inserts.insert(new_items("Gauze"), returning=False)
        with batch.together():
            inserts.insert(new_items("Tape"), returning=False)
        assert len(sent) == (0 if ON_POSTGRESQL else 2)
    assert len(sent) == (1 if ON_POSTGRESQL else 2)
    assert Item.objects.filter(name__in=["Gauze", "Tape"]).count() == 2


def test_many_held_rows_are_split_into_statements_psycopg_parses_once_and_still_go_together():
    names = [f"Item {n}" for n in range(40)]
    with CaptureQueriesContext(connection) as sent, batch.together():
        inserts.insert(new_items(*names), returning=False)
    assert Item.objects.filter(name__in=names).count() == 40
    if ON_POSTGRESQL:
        (statement,) = sent.captured_queries
        fields = len(inserts._insert_fields(Item))
        # Each an INSERT, or the EXECUTE of it once prepared (prepared.py).
        assert statement["sql"].count(";\n") + 1 == -(-40 // (50 // fields))


def test_a_connection_that_binds_values_on_the_server_runs_each_write_at_once(monkeypatch):
    # Such a connection takes one statement a string (OPTIONS server_side_binding).
    monkeypatch.setitem(connection.features.__dict__, "uses_server_side_binding", True)
    with CaptureQueriesContext(connection) as sent, batch.together():
        inserts.insert(new_items("Gauze"), returning=False)
        assert len(sent) == 1
        inserts.insert(new_items("Tape"), returning=False)
    assert len(sent) == 2


def test_send_now_answers_a_held_write_before_the_block_ends():
    Item.objects.bulk_create(new_items("Gauze", "Tape"))
    counted = []
    with CaptureQueriesContext(connection) as sent, batch.together():
        inserts.insert(new_items("Wipes"), returning=False)
        batch.write(
            f"UPDATE {Item._meta.db_table} SET usual = %s WHERE name IN (%s, %s)",
            [True, "Gauze", "Wipes"],
            then=lambda cursor: counted.append(cursor.rowcount),
        )
        batch.send_now()
        assert counted == [2]
        batch.send_now()  # nothing held: nothing sent
    assert len(sent) == (1 if ON_POSTGRESQL else 2)
