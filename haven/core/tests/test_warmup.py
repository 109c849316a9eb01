"""A gunicorn worker is warmed before it takes requests (haven/core/warmup.py)."""

import gc
import threading
from concurrent import futures
from types import SimpleNamespace

import pytest
from django.db import connections
from django.template import engines

from haven.core import warmup

pytestmark = pytest.mark.django_db(transaction=True)


def test_warming_a_process_compiles_havens_templates_and_leaves_no_connection_open():
    names = warmup.haven_templates()
    assert "outreach/quick_log.html" in names and "core/base.html" in names
    [loader] = engines["django"].engine.template_loaders  # the cached loader
    loader.reset()
    warmup.warm_process()
    assert "outreach/quick_log.html" in loader.get_template_cache
    assert connections["default"].connection is None


def test_warming_the_threads_opens_a_database_connection_in_each():
    opened = {}
    executor = futures.ThreadPoolExecutor(max_workers=3)

    def seen():
        opened[threading.get_ident()] = connections["default"].connection is not None
        connections.close_all()

    try:
        warmup.warm_threads(executor, 3)
        # Three tasks that wait for each other run in three threads: each reports its own.
        barrier = threading.Barrier(3)
        list(executor.map(lambda _n: (barrier.wait(timeout=10), seen()), range(3)))
    finally:
        executor.shutdown()
    assert len(opened) == 3 and all(opened.values())


def test_a_failing_warm_up_is_logged_and_the_worker_goes_on(monkeypatch, caplog):
    def broken():
        raise RuntimeError("database down")

    monkeypatch.setattr(warmup, "warm_process", broken)
    warmup.warm_worker(SimpleNamespace(tpool=None, cfg=SimpleNamespace(threads=2)))
    assert "Warming the worker failed" in caplog.text


def test_a_warmed_worker_keeps_what_it_holds_out_of_garbage_collection(monkeypatch):
    monkeypatch.setattr(warmup, "warm_process", lambda: None)
    try:
        warmup.warm_worker(SimpleNamespace(tpool=None, cfg=SimpleNamespace(threads=1)))
        assert gc.get_freeze_count() > 10_000  # the modules and all they hold
        assert gc.isenabled()  # what requests make is still collected
    finally:
        gc.unfreeze()  # this test process is not a worker
