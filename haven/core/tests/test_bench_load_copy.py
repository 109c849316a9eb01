"""The load test (bench/load_test.py) writes to a copy of the benchmark database, so
that one run's contacts do not become the next run's data. No timings here."""

import os
import sqlite3
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from bench import load_test


def test_an_sqlite_database_is_copied_and_the_copy_dropped(tmp_path, monkeypatch):
    source = tmp_path / "bench.sqlite3"
    with sqlite3.connect(source) as database:
        database.execute("CREATE TABLE contact (id INTEGER PRIMARY KEY)")
        database.execute("INSERT INTO contact VALUES (1)")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("HAVEN_SQLITE_PATH", str(source))

    drop = load_test.work_on_a_copy()
    copy = Path(os.environ["HAVEN_SQLITE_PATH"])
    assert copy != source
    with sqlite3.connect(copy) as database:
        assert database.execute("SELECT id FROM contact").fetchall() == [(1,)]
        database.execute("INSERT INTO contact VALUES (2)")
    with sqlite3.connect(source) as database:
        assert database.execute("SELECT id FROM contact").fetchall() == [(1,)]
    drop()
    assert not copy.exists() and source.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL server's databases")
def test_a_postgresql_database_is_copied_and_the_copy_dropped(monkeypatch):
    import psycopg

    # Haven reaches PostgreSQL by DATABASE_URL (settings.py); its server's own database:
    server = urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()
    source = f"haven_load_copy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{source}"')
    try:
        with psycopg.connect(server.replace("/postgres", f"/{source}"), autocommit=True) as db:
            db.execute("CREATE TABLE contact (id integer PRIMARY KEY)")
            db.execute("INSERT INTO contact VALUES (1)")
        monkeypatch.setenv("DATABASE_URL", server.replace("/postgres", f"/{source}"))

        drop = load_test.work_on_a_copy()
        copy_url = os.environ["DATABASE_URL"]
        assert copy_url.endswith(f"/{source}_load_test")
        with psycopg.connect(copy_url, autocommit=True) as db:
            assert db.execute("SELECT id FROM contact").fetchall() == [(1,)]
        drop()
        with psycopg.connect(server, autocommit=True) as admin:
            names = [row[0] for row in admin.execute("SELECT datname FROM pg_database")]
        assert f"{source}_load_test" not in names and source in names
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{source}" WITH (FORCE)')
