"""Statements marked hot run prepared on PostgreSQL from their second time on a
connection (haven/core/db/postgresql/prepared.py, haven/core/db/hot.py)."""

import pytest
from django.db import DatabaseError, connection, connections, transaction

from haven.core.db.hot import LONGEST, hot, is_hot
from haven.core.db.postgresql.prepared import MOST_VALUES, server_text
from haven.supplies.models import Item

ON_POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL prepares")


def test_placeholders_are_numbered_and_percent_signs_kept():
    assert server_text("SELECT %s, name FROM t WHERE name LIKE 'a%%' AND id = %s") == (
        "SELECT $1, name FROM t WHERE name LIKE 'a%' AND id = $2",
        2,
    )
    assert server_text("SELECT 1") == ("SELECT 1", 0)


def test_named_placeholders_are_left_unprepared():
    assert server_text("SELECT %(name)s") is None


def test_a_bulk_statement_s_long_text_is_not_kept_as_hot():
    short = "SELECT 1 WHERE 1 = %s /* short */"
    long = "SELECT 1 WHERE 1 IN (" + ", ".join(["%s"] * LONGEST) + ")"
    assert hot(short) == short and is_hot(short)
    assert hot(long) == long and not is_hot(long)


def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def item_names(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def item_sql(tag):
    # Each test its own text: a connection outlives a test and keeps what it prepared.
    table = connection.ops.quote_name(Item._meta.db_table)
    return f"SELECT name FROM {table} WHERE name = %s OR name LIKE %s /* {tag} */"  # noqa: S608


@postgresql_only
@pytest.mark.django_db
def test_a_hot_statement_runs_prepared_from_its_second_time_with_the_same_answers():
    odd = "O'Brien's 100% kit; -- not a comment $1"
    Item.objects.create(name=odd, category="other")
    Item.objects.create(name="Gauze", category="other")
    sql = hot(item_sql("second time"))
    assert item_names(sql, [odd, "Ga%"]) == item_names(sql, [odd, "Ga%"])
    assert sorted(item_names(sql, [odd, "Ga%"])) == sorted([odd, "Gauze"])
    (statement,) = [text for text in prepared_statements() if "second time" in text]
    assert "name = $1 OR name LIKE $2" in statement
    assert item_names(sql, ["nobody", "no%"]) == []


@postgresql_only
@pytest.mark.django_db
def test_a_statement_not_marked_is_never_prepared():
    sql = item_sql("not marked")
    for _ in range(3):
        item_names(sql, ["a", "b"])
    assert not [text for text in prepared_statements() if "not marked" in text]


@postgresql_only
@pytest.mark.django_db
def test_a_bulk_statement_is_not_prepared():
    table = connection.ops.quote_name(Item._meta.db_table)
    values = ", ".join(["%s"] * (MOST_VALUES + 1))
    sql = hot(f"SELECT name FROM {table} WHERE name IN ({values}) /* bulk */")  # noqa: S608
    for _ in range(3):
        assert item_names(sql, [str(n) for n in range(MOST_VALUES + 1)]) == []
    assert not [text for text in prepared_statements() if "bulk" in text]


@postgresql_only
@pytest.mark.django_db
def test_a_statement_postgresql_cannot_prepare_runs_as_it_is_and_the_transaction_goes_on():
    # $1's type cannot be told from "SELECT $1 IS NULL": PREPARE is refused.
    sql = hot("SELECT %s IS NULL /* untyped */")
    with transaction.atomic():
        for _ in range(3):
            with connection.cursor() as cursor:
                cursor.execute(sql, [None])
                assert cursor.fetchone() == (True,)
        Item.objects.create(name="Written after", category="other")
    assert Item.objects.filter(name="Written after").exists()
    assert not [text for text in prepared_statements() if "untyped" in text]


@postgresql_only
@pytest.mark.django_db
def test_inside_an_aborted_transaction_the_statement_fails_as_it_would_have():
    sql = hot(item_sql("aborted"))
    with pytest.raises(DatabaseError), transaction.atomic():
        item_names(sql, ["a", "b"])
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        item_names(sql, ["a", "b"])  # its second time: not prepared, refused
    assert item_names(sql, ["a", "b"]) == []


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_afresh():
    sql = hot(item_sql("reconnected"))
    item_names(sql, ["a", "b"])
    item_names(sql, ["a", "b"])
    assert [text for text in prepared_statements() if "reconnected" in text]
    connection.close()
    assert item_names(sql, ["a", "b"]) == []
    assert item_names(sql, ["a", "b"]) == []
    assert [text for text in prepared_statements() if "reconnected" in text]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_through_pgbouncer_nothing_is_prepared():
    options = {**connection.settings_dict["OPTIONS"], "prepare_hot_statements": False}
    through_pooler = connections.create_connection("default")
    through_pooler.settings_dict = {**through_pooler.settings_dict, "OPTIONS": options}
    try:
        sql = hot(item_sql("pooled"))
        with through_pooler.cursor() as cursor:
            for _ in range(3):
                cursor.execute(sql, ["a", "b"])
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            assert not [row for row in cursor.fetchall() if "pooled" in row[0]]
    finally:
        through_pooler.close()
