"""Copying SQLite's write-ahead log into the database away from the writers.

SQLite copies its log back into the database file (a checkpoint) inside the
commit that takes the log past `wal_autocheckpoint` pages: on the write lock,
which every writer waits for. At its default (1,000 pages) one contact save in
some thirty took 6-7 ms to commit instead of 0.3 ms, a third of a millisecond a
save on the lock (docs/performance.md, "Fifth pass"). An app server's worker
instead runs a PASSIVE checkpoint every second in a thread of its own, which
neither waits for the writers nor holds them up, and the connections' own
checkpoint comes much later (settings.py, HAVEN_SQLITE_AUTOCHECKPOINT_PAGES):
for processes without the thread, and should it stop.
"""

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

EVERY_SECONDS = 1.0


def checkpoint(path):
    """One PASSIVE checkpoint of the database file at `path` (never made if missing):
    (1 if it could not finish, pages in the log, pages copied back)."""
    db = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=1)
    try:
        return db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        db.close()


def start_checkpointer(path, every=EVERY_SECONDS, stop=None):
    """Checkpoint `path` every `every` seconds in a daemon thread, until `stop`
    (a threading.Event) is set or the process ends."""
    stop = stop or threading.Event()

    def run():
        failing = False
        while not stop.wait(every):
            try:
                checkpoint(path)
                failing = False
            except sqlite3.Error:
                if not failing:  # once a spell, not every second
                    log.exception("The SQLite checkpoint failed; the writers checkpoint instead.")
                failing = True

    thread = threading.Thread(target=run, name="sqlite-checkpoint", daemon=True)
    thread.start()
    return thread


def start_for_worker():
    """gunicorn's post_worker_init: checkpoint the default database if it is a SQLite file."""
    from django.db import connections

    connection = connections["default"]
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        start_checkpointer(connection.settings_dict["NAME"])
