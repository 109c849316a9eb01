"""Gunicorn settings for Haven: `gunicorn --config deploy/gunicorn.conf.py`.

Threaded workers (gthread): a few processes, each with a handful of threads,
each thread keeping its own database connection (CONN_MAX_AGE in settings.py).
Threads suit Haven's requests, which mostly wait on the database. Override any
of these with HAVEN_* variables or on the command line.
"""

import multiprocessing
import os

wsgi_app = "haven.wsgi:application"
bind = os.environ.get("HAVEN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

worker_class = "gthread"
# One process per core: Python runs one thread at a time per process.
workers = int(os.environ.get("HAVEN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("HAVEN_THREADS", "8"))
# Each thread holds one database connection: workers x threads per app server
# is what PostgreSQL (or PgBouncer) must allow (docs/deploy.md).

# A request still running after this long is a stuck worker: restart it.
timeout = int(os.environ.get("HAVEN_REQUEST_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then, so that a slow leak cannot grow for ever.
max_requests = 5000
max_requests_jitter = 500

# The reverse proxy logs requests; set HAVEN_ACCESS_LOG=- to log them here too.
# Paths carry no participant identifiers (haven/participants/urls.py).
accesslog = os.environ.get("HAVEN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("HAVEN_LOG_LEVEL", "info").lower()
# Behind a proxy on the same machine; set HAVEN_FORWARDED_ALLOW_IPS for one elsewhere.
forwarded_allow_ips = os.environ.get("HAVEN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
