"""Serving under load: writers queue for the database, a busy database answers 503."""

import contextlib
import importlib
import json
import os
import re
import runpy
import shlex
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands
from django.db import OperationalError, connection, transaction
from django.urls import reverse

from haven.accounts.models import Site
from haven.api.tests.client import api_client
from haven.core import audit
from haven.core.overload import ServerBusy, is_busy
from haven.outreach.models import Encounter, EncounterSupply
from haven.supplies.models import StockMovement

LOG = reverse("outreach:quick_log")
ROOT = Path(__file__).resolve().parents[3]


def run_in_thread(function):
    """Runs function in a thread with its own database connection; returns a joiner."""
    errors = []

    def target():
        try:
            function()
        except Exception as error:  # noqa: BLE001 - handed to the test
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()

    def join():
        thread.join(timeout=60)
        assert not thread.is_alive()
        return errors

    return join


def no_sqlite_busy_timeout():
    """Without SQLite's own retries, only Haven's write queue keeps writers apart."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.execute("PRAGMA busy_timeout = 0")


def test_settings_keep_connections_and_queue_sqlite_writers():
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True
    if connection.vendor == "sqlite":
        assert database["ENGINE"] == "haven.core.db.sqlite"
        assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    else:
        assert "lock_timeout=" in database["OPTIONS"]["options"]


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_instead_of_failing():
    first_is_writing = threading.Event()

    def first_writer():
        no_sqlite_busy_timeout()
        with transaction.atomic():
            Site.objects.create(name="First", kind=Site.Kind.FIXED)
            first_is_writing.set()
            # Hold the write long enough for the second writer to arrive.
            time.sleep(0.3)
            Site.objects.filter(name="First").update(area="85281")

    def second_writer():
        no_sqlite_busy_timeout()
        first_is_writing.wait(timeout=30)
        with transaction.atomic():
            Site.objects.create(name="Second", kind=Site.Kind.FIXED)
        # A write outside a transaction queues too.
        Site.objects.filter(name="Second").update(area="85282")

    joins = [run_in_thread(first_writer), run_in_thread(second_writer)]
    errors = [error for join in joins for error in join()]

    assert errors == []
    assert dict(Site.objects.values_list("name", "area")) == {"First": "85281", "Second": "85282"}


@pytest.mark.django_db(transaction=True)
def test_many_threads_writing_at_once_all_finish():
    def writer(number):
        no_sqlite_busy_timeout()
        for index in range(15):
            with transaction.atomic():
                site = Site.objects.create(name=f"{number}-{index}", kind=Site.Kind.FIXED)
                Site.objects.filter(pk=site.pk).update(area=str(number))

    joins = [run_in_thread(lambda number=number: writer(number)) for number in range(4)]
    errors = [error for join in joins for error in join()]

    assert errors == []
    assert Site.objects.count() == 60


@contextlib.contextmanager
def busy_database(user):
    """Another request holds the database's write turn for the duration.

    On SQLite it holds Haven's write queue; on PostgreSQL the lock that queues
    writers of the audit log, which every save takes. This thread's requests
    wait at most a fraction of a second for it.
    """
    holding, done = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            audit.record(user, "hold the write turn")
            holding.set()
            done.wait(timeout=60)

    join = run_in_thread(hold)
    assert holding.wait(timeout=30)
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        connection.writer_queue.wait_seconds = 0.2
    else:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
    try:
        yield
    finally:
        done.set()
        assert join() == []
        if connection.vendor == "sqlite":
            connection.writer_queue.wait_seconds = settings.WRITE_WAIT_SECONDS
        else:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")


def nothing_stored():
    return (
        Encounter.objects.count() == 0
        and EncounterSupply.objects.count() == 0
        and StockMovement.objects.count() == 0
    )


@pytest.mark.django_db(transaction=True)
def test_a_contact_saved_while_the_database_is_busy_is_answered_503_and_not_stored(
    login, sam, downtown, participant, catalog
):
    client = login(sam)
    client.get(LOG)  # the session is written before the database gets busy
    data = {
        "client_uuid": str(uuid.uuid4()),
        "card_code": participant.card_code,
        "site": downtown.pk,
        "contact_type": "fixed",
        f"supply_{catalog['syringes'].pk}": "20",
        "services": [catalog["support"].pk],
        "secondary_people": "0",
    }

    with busy_database(sam):
        response = client.post(LOG, data)

    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.HAVEN_RETRY_AFTER_SECONDS)
    assert "Nothing was saved" in response.content.decode()
    assert nothing_stored()

    assert client.post(LOG, data).status_code == 302
    assert Encounter.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sync_while_the_database_is_busy_is_answered_503_for_the_outbox_to_retry(
    sam, downtown, participant, catalog
):
    phone = api_client(sam)
    record = {
        "kind": "contact",
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "participant": participant.pk,
        "supplies": [{"item": catalog["naloxone"].pk, "quantity": 1}],
    }
    phone.post_json("/api/v1/sync", {"records": []})  # the token's first use is recorded

    with busy_database(sam):
        response = phone.post_json("/api/v1/sync", {"records": [record]})

    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.HAVEN_RETRY_AFTER_SECONDS)
    assert "Nothing was saved" in response.json()["detail"]
    assert nothing_stored()

    retried = phone.post_json("/api/v1/sync", {"records": [record]})
    assert [result["status"] for result in retried.json()["results"]] == [201]
    assert Encounter.objects.count() == 1


def test_only_a_busy_database_counts_as_overload():
    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    lock_timeout = OperationalError("canceling statement due to lock timeout")
    lock_timeout.__cause__ = LockNotAvailable()

    assert is_busy(ServerBusy())
    assert is_busy(OperationalError("database is locked"))
    assert is_busy(lock_timeout)
    assert not is_busy(OperationalError("no such table: outreach_encounter"))
    assert not is_busy(ValueError("database is locked"))


def procfile_commands(name="Procfile"):
    commands = {}
    for line in (ROOT / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = shlex.split(command)
    return commands


def test_the_procfile_runs_the_app_server_the_task_worker_and_the_scheduler():
    commands = procfile_commands()
    assert sorted(commands) == ["schedule", "web", "worker"]
    management_commands = get_commands()
    for argv in commands.values():
        # `make serve` puts the virtual environment's bin/ first on PATH.
        assert (Path(sys.prefix) / "bin" / argv[0]).exists(), argv
        if argv[1:2] == ["manage.py"]:
            assert argv[2] in management_commands, argv
    assert commands["worker"][2] == "db_worker"
    assert commands["schedule"][2] == "run_schedule"
    assert commands["web"][0] == "gunicorn"


def test_gunicorn_serves_haven_with_threaded_workers(monkeypatch):
    [config_path] = [
        argv[index + 1]
        for argv in procfile_commands().values()
        for index, part in enumerate(argv)
        if part == "--config"
    ]
    config = runpy.run_path(str(ROOT / config_path))
    assert config["worker_class"] == "gthread"
    # Single-threaded processes by default, two per core (docs/deploy.md), each
    # warmed before it takes requests (haven/core/warmup.py) and, on SQLite,
    # checkpointing the log off the writers' lock (haven/core/db/sqlite/checkpoint.py).
    monkeypatch.delenv("HAVEN_WORKERS", raising=False)
    monkeypatch.delenv("HAVEN_THREADS", raising=False)
    defaults = runpy.run_path(str(ROOT / config_path))
    assert defaults["workers"] == 2 * os.cpu_count() and defaults["threads"] == 1
    # The workers' heartbeat files in memory where the system has it.
    assert defaults["worker_tmp_dir"] == ("/dev/shm" if os.path.isdir("/dev/shm") else None)
    warmed, checkpointing = [], []
    monkeypatch.setattr("haven.core.warmup.warm_worker", warmed.append)
    monkeypatch.setattr(
        "haven.core.db.sqlite.checkpoint.start_for_worker", lambda: checkpointing.append(True)
    )
    config["post_worker_init"]("a worker")
    assert warmed == ["a worker"] and checkpointing == [True]
    module, name = config["wsgi_app"].split(":")
    assert callable(getattr(importlib.import_module(module), name))


def test_make_run_starts_the_demo_with_its_worker_and_scheduler():
    commands = procfile_commands("Procfile.dev")
    assert sorted(commands) == ["schedule", "web", "worker"]
    management_commands = get_commands()
    for argv in commands.values():
        assert argv[1] == "manage.py" and argv[2] in management_commands, argv
    assert [argv[2] for argv in commands.values()] == ["runserver", "db_worker", "run_schedule"]
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "honcho -f Procfile.dev start" in run
    assert "load_demo_data" in run


def test_make_serve_starts_the_procfile_with_honcho():
    makefile = (ROOT / "Makefile").read_text()
    serve = makefile.split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert "honcho start" in serve
    assert "migrate" in serve


def database_settings(**environ):
    show = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], d.get('DISABLE_SERVER_SIDE_CURSORS'), d['OPTIONS']]))"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("HAVEN_")}
    env.pop("DATABASE_URL", None)
    env.update(DJANGO_SETTINGS_MODULE="haven.settings", **environ)
    result = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_postgresql_waits_a_bounded_time_for_locks():
    engine, no_server_cursors, options = database_settings(
        DATABASE_URL="postgres://haven:secret@db.example.org/haven", HAVEN_WRITE_WAIT_SECONDS="7"
    )
    assert engine == "haven.core.db.postgresql"
    assert options == {"options": "-c lock_timeout=7000"}
    assert not no_server_cursors


def test_through_pgbouncer_nothing_outlives_a_transaction():
    _engine, no_server_cursors, options = database_settings(
        DATABASE_URL="postgres://haven:secret@127.0.0.1:6432/haven", HAVEN_PGBOUNCER="1"
    )
    assert no_server_cursors is True
    assert options == {"prepare_threshold": None, "prepare_hot_statements": False}


def test_sqlite_queues_writers_for_a_bounded_time():
    engine, _cursors, options = database_settings(HAVEN_WRITE_WAIT_SECONDS="3")
    assert engine == "haven.core.db.sqlite"
    assert options["write_wait"] == 3.0
    assert options["transaction_mode"] == "IMMEDIATE"


def test_the_log_level_is_read_in_either_case():
    """gunicorn's config lowercases HAVEN_LOG_LEVEL; Python's logging takes only capitals."""
    code = (
        "import django, logging; django.setup(); "
        "print(logging.getLevelName(logging.getLogger().level))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "haven.settings", "HAVEN_LOG_LEVEL": "debug"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "DEBUG"


def test_nginx_logs_paths_without_query_strings_certificate_check_codes_or_referrers():
    """deploy/nginx-haven.conf (checked by hand with `nginx -t` and a request: the
    line logged reads "GET /training/check/(withheld) HTTP/1.1")."""
    from django.urls import reverse

    conf = (ROOT / "deploy" / "nginx-haven.conf").read_text()
    access_logs = re.findall(r"^\s*access_log\s+(\S+)\s+(\w+);", conf, re.MULTILINE)
    assert access_logs and all(log_format == "haven" for _path, log_format in access_logs)
    log_format = re.search(r"log_format haven (.*?);", conf, re.DOTALL).group(1)
    assert "$haven_logged_uri" in log_format
    assert "$request_uri" not in log_format and "$request " not in log_format
    assert "$http_referer" not in log_format
    # Paths only: what a page was asked (a participant's needs, a place) is not logged.
    assert not re.search(r"\$(request_uri|args|query_string|arg_)", log_format)
    logged = re.search(r"map (\S+) \$haven_logged_uri \{(.*?)\}", conf, re.DOTALL)
    assert logged.group(1) == "$uri"
    assert re.search(r"default\s+\$uri;", logged.group(2))
    check_prefix = reverse("training:verify", args=["CODE"]).split("CODE")[0]
    assert f"~^{check_prefix}" in conf
