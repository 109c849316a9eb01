"""Gunicorn settings for Haven: `gunicorn --config deploy/gunicorn.conf.py`.

Threaded workers (gthread): two processes per core, each with one thread by
default (HAVEN_THREADS adds more), each thread keeping its own database
connection (CONN_MAX_AGE in settings.py).
Override any of these with HAVEN_* variables or on the command line.
"""

import multiprocessing
import os

wsgi_app = "haven.wsgi:application"
bind = os.environ.get("HAVEN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

worker_class = "gthread"
# Processes rather than threads. Python runs one thread of a process at a time,
# and a save holds locks that every save needs (SQLite's write lock; on
# PostgreSQL the audit log's and the month's supply totals) from its first write
# to its commit: a thread that holds them and then waits for its turn at Python,
# or for a core, makes every other save wait too. Two single-threaded processes
# per core: 20 users saving without pause got 303-326 saves a second on SQLite
# and 223-230 on PostgreSQL, against 261-263 and 203-216 with three processes
# per core of two threads (docs/performance.md, "Fifth pass").
workers = int(os.environ.get("HAVEN_WORKERS", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("HAVEN_THREADS", "1"))
# Each thread holds one database connection: workers x threads per app server
# is what PostgreSQL (or PgBouncer) must allow (docs/deploy.md).


def post_worker_init(worker):
    """Warm each worker (views, templates, translations, catalog, a database
    connection per thread) before it takes requests: its first requests were
    the slow tail of every load test and restart (haven/core/warmup.py)."""
    from haven.core.warmup import warm_worker

    warm_worker(worker)
    # On SQLite, copy the write-ahead log back off the writers' lock.
    from haven.core.db.sqlite.checkpoint import start_for_worker

    start_for_worker()


# A request still running after this long is a stuck worker: restart it.
timeout = int(os.environ.get("HAVEN_REQUEST_TIMEOUT", "60"))
# Each worker touches a file every time round its loop to show it is alive: in
# memory (tmpfs), not on a disk where the write can stall a busy worker. gunicorn
# makes the file with a unique name of its own (mkstemp).
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = os.environ.get("HAVEN_WORKER_TMP_DIR") or (
    SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
)
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then, so that a slow leak cannot grow for ever;
# not often, since a new worker spends about two seconds of CPU warming up (at
# 300 requests a second, every 5,000 requests a worker was a tenth of the CPU).
max_requests = 100_000
max_requests_jitter = 10_000

# The reverse proxy logs requests; set HAVEN_ACCESS_LOG=- to log them here too.
# Paths carry no participant identifiers (haven/participants/urls.py); query
# strings are not logged, and a training certificate's check code, which leads
# to its holder's name, is withheld from the request line and the referrer
# (haven/core/logs.py).
accesslog = os.environ.get("HAVEN_ACCESS_LOG") or None
logger_class = "haven.core.logs.AccessLogWithoutCodes"
errorlog = "-"
loglevel = os.environ.get("HAVEN_LOG_LEVEL", "info").lower()
# Behind a proxy on the same machine; set HAVEN_FORWARDED_ALLOW_IPS for one elsewhere.
forwarded_allow_ips = os.environ.get("HAVEN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
