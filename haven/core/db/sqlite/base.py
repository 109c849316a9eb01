"""SQLite with one writer at a time: writers queue for the write lock.

SQLite lets one connection write at a time. Left to itself, a writer that finds
the database locked sleeps and retries (SQLite's busy handler backs off up to
100 ms a try), so under load the lock often sits free while writers sleep. Here
every write transaction (each `transaction.atomic()` block, which settings start
with BEGIN IMMEDIATE, and each write made outside one) first takes:

1. a lock shared by the threads of this process, waited on in order and for at
   most `write_wait` seconds (OPTIONS; settings.py sets it from
   HAVEN_WRITE_WAIT_SECONDS). A writer that waits longer gets ServerBusy, which
   Haven answers with 503 and Retry-After (haven/core/overload.py) before it has
   written anything;
2. an exclusive flock() on a file beside the database, shared by every process
   on the machine that uses this backend (gunicorn workers); the kernel wakes the
   next waiter the moment it is released, and releases it if a process dies.

Processes that do not go through this backend (sqlite3 on the command line) are
still covered by SQLite's own busy timeout.
"""

import fcntl
import os
import threading
import time

from django.db.backends.sqlite3 import base

from haven.core.overload import ServerBusy

DEFAULT_WRITE_WAIT_SECONDS = 10.0
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")

_process_locks = {}
_process_locks_guard = threading.Lock()


def _process_lock(path):
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


class WriterQueue:
    """The write lock of one database file, held by one connection at a time."""

    def __init__(self, database_path, wait_seconds):
        self.lock_path = f"{database_path}-writer.lock"
        self.wait_seconds = wait_seconds
        self.process_lock = _process_lock(self.lock_path)
        self.file = None
        self.held = False

    def acquire(self):
        if self.held:
            return
        started = time.monotonic()
        if not self.process_lock.acquire(timeout=self.wait_seconds):
            raise ServerBusy(waited=time.monotonic() - started)
        try:
            if self.file is None:
                self.file = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            # Only one thread of this process waits here at a time; the others
            # wait (bounded) on the process lock above.
            fcntl.flock(self.file, fcntl.LOCK_EX)
        except BaseException:
            self.process_lock.release()
            raise
        self.held = True

    def release(self):
        if not self.held:
            return
        self.held = False
        try:
            fcntl.flock(self.file, fcntl.LOCK_UN)
        finally:
            self.process_lock.release()

    def close(self):
        self.release()
        if self.file is not None:
            os.close(self.file)
            self.file = None


class QueuedWritesCursor(base.SQLiteCursorWrapper):
    """Takes the write lock around a write made outside a transaction."""

    wrapper = None  # the DatabaseWrapper, set by create_cursor

    def _queued(self, query):
        return (
            self.wrapper.get_autocommit()
            and query.lstrip()[:7].upper().startswith(WRITE_STATEMENTS)
            and self.wrapper.writer_queue is not None
        )

    def execute(self, query, params=None):
        if not self._queued(query):
            return super().execute(query, params)
        self.wrapper.writer_queue.acquire()
        try:
            return super().execute(query, params)
        finally:
            self.wrapper.writer_queue.release()

    def executemany(self, query, param_list):
        if not self._queued(query):
            return super().executemany(query, param_list)
        self.wrapper.writer_queue.acquire()
        try:
            return super().executemany(query, param_list)
        finally:
            self.wrapper.writer_queue.release()


class DatabaseWrapper(base.DatabaseWrapper):
    writer_queue = None

    def get_connection_params(self):
        params = super().get_connection_params()
        self.write_wait_seconds = float(params.pop("write_wait", DEFAULT_WRITE_WAIT_SECONDS))
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self.writer_queue = WriterQueue(self.settings_dict["NAME"], self.write_wait_seconds)
        return connection

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=QueuedWritesCursor)
        cursor.wrapper = self
        return cursor

    def _start_transaction_under_autocommit(self):
        if self.writer_queue is not None:
            self.writer_queue.acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self):
        if self.writer_queue is not None:
            self.writer_queue.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            if self.writer_queue is not None:
                self.writer_queue.close()
                self.writer_queue = None
