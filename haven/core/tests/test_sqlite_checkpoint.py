"""SQLite's write-ahead log is copied back by a thread of each app server worker,
not on the writers' lock (haven/core/db/sqlite/checkpoint.py)."""

import sqlite3
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from haven.core.db.sqlite.checkpoint import checkpoint, start_checkpointer


def logged_database(path):
    """A database in WAL mode with rows still only in its log, and its open writer."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")  # nothing copied back on commit
    db.execute("CREATE TABLE note (text TEXT)")
    db.executemany("INSERT INTO note VALUES (?)", [(f"marker-{n}",) for n in range(50)])
    db.commit()
    return db


def in_database_file(path):
    return b"marker-49" in path.read_bytes()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own setting")
@pytest.mark.django_db
def test_the_apps_connections_checkpoint_only_when_the_log_is_long():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == settings.SQLITE_AUTOCHECKPOINT_PAGES == 10000


def test_a_checkpoint_copies_the_log_into_the_database_file(tmp_path):
    path = tmp_path / "haven.sqlite3"
    writer = logged_database(path)
    assert not in_database_file(path)
    busy, pages, copied = checkpoint(path)
    assert (busy, copied) == (0, pages) and pages > 0
    assert in_database_file(path)
    writer.close()


def test_a_missing_database_is_not_made(tmp_path):
    with pytest.raises(sqlite3.OperationalError):
        checkpoint(tmp_path / "gone.sqlite3")
    assert not (tmp_path / "gone.sqlite3").exists()


def test_the_worker_thread_checkpoints_while_the_writer_goes_on(tmp_path):
    path = tmp_path / "haven.sqlite3"
    writer = logged_database(path)
    stop = threading.Event()
    thread = start_checkpointer(path, every=0.05, stop=stop)
    deadline = time.monotonic() + 10
    while not in_database_file(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert in_database_file(path) and thread.is_alive()
    writer.execute("INSERT INTO note VALUES ('after')")  # the writer was never held up
    writer.commit()
    writer.close()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
