"""Warming an app server's worker before it takes requests (deploy/gunicorn.conf.py).

A fresh worker imports the views on its first request, compiles each template
the first time it renders it, loads each language's translations on first use,
reads the contact catalog and opens a database connection per thread. Done on
the first requests, that made them ten times slower than the rest: the slow
tail of every load test, and of every restart (gunicorn restarts each worker
after `max_requests`). Done here, before the worker is ready, it costs the
users nothing. Nothing here writes.
"""

import gc
import logging
import threading
import time
from pathlib import Path

from django.apps import apps
from django.db import connections
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation

log = logging.getLogger(__name__)


def warm_process():
    """What every thread of a process shares: views, templates, translations, the catalog."""
    get_resolver().url_patterns  # noqa: B018 - imports every view module
    for name in haven_templates():
        try:
            get_template(name)  # compiled once and kept (the cached template loader)
        except (TemplateDoesNotExist, TemplateSyntaxError):
            # A fragment that only compiles inside its parent; it is compiled there.
            pass
    from django.conf import settings

    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Contact saved.")
    from haven.outreach import catalog

    try:
        catalog.current()
    finally:
        # This thread does not serve requests: its connection would only idle.
        connections.close_all()


def haven_templates():
    """The names of Haven's own templates (those of its apps' templates/ folders)."""
    names = []
    for config in apps.get_app_configs():
        if not config.name.startswith("haven."):
            continue
        folder = Path(config.path) / "templates"
        names += [str(path.relative_to(folder)) for path in sorted(folder.rglob("*.html"))]
    return names


def warm_threads(executor, threads):
    """Open a database connection in each of the executor's `threads` threads.

    Each thread keeps its own connection (CONN_MAX_AGE), so a fresh worker's
    first requests would each wait for one. The tasks wait for each other, so
    that each runs in a thread of its own.
    """
    all_started = threading.Barrier(threads)

    def connect():
        try:
            all_started.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        for connection in connections.all(initialized_only=False):
            connection.ensure_connection()

    for future in [executor.submit(connect) for _ in range(threads)]:
        future.result(timeout=30)


def warm_worker(worker):
    """gunicorn's post_worker_init hook: warm a worker before it takes requests.

    A failure (the database down a moment) is logged, never fatal: the worker
    then warms up on its first requests, as it would have without this.
    """
    started = time.perf_counter()
    try:
        warm_process()
        tpool = getattr(worker, "tpool", None)  # threaded workers (gthread) only
        if tpool is not None:
            warm_threads(tpool, worker.cfg.threads)
        log.info("Worker warmed up in %.0f ms.", (time.perf_counter() - started) * 1000)
    except Exception:
        log.exception("Warming the worker failed; it warms up on its first requests instead.")
    keep_out_of_garbage_collection()


def keep_out_of_garbage_collection():
    """What the worker holds once warm (modules, templates, translations: some
    100,000 objects) lives as long as the worker: the garbage collector need not
    look through it again. Its full collections then scan only what requests make
    (bench/request_profile.py: the collector's CPU a save about halved)."""
    gc.collect()
    gc.freeze()
