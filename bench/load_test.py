"""Load test: Haven served as in production, driven by locust (bench/locustfile.py).

Usage (from the repository root, on a database made by bench/generate.py, after
`pip install -e '.[dev,bench]'`)::

    HAVEN_SQLITE_PATH=var/bench-load.sqlite3 .venv/bin/python bench/load_test.py
    DATABASE_URL=postgres://... .venv/bin/python bench/load_test.py
    DATABASE_URL=postgres://... .venv/bin/python bench/load_test.py --cluster

One server: gunicorn with deploy/gunicorn.conf.py (its defaults: two
single-threaded worker processes per core). --cluster: two gunicorn instances,
each with half as many workers, behind nginx (Debian's nginx; the
proxy settings of deploy/nginx-haven.conf) on the one database, as
docs/deploy.md describes. Scenarios (--scenarios, each --duration seconds):

- field-pace: 20 users each saving a contact once a second (p50/p95 targets);
- saves: 20 users saving contacts without pause (contacts saved per second);
- mix-20, mix-100: the real mix (bench/locustfile.py), an action a second each,
  one user in ten a manager opening reports;
- healthz: 20 users on /healthz without pause, the server's ceiling.

Afterwards it counts the contacts in the database: every save the clients saw
succeed must be stored once, and nothing more (`nothing lost`). Writes happen
(contacts, and stock received into the bags first), so they go to a copy of the
benchmark database, dropped at the end (--in-place writes to it instead): on the
database itself each run would pile its contacts into the current month, and the
next run's figures of the month so far would be counted over them.
"""

import argparse
import csv
import datetime
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"
BIN = Path(sys.executable).parent
DEVELOPMENT_ENCRYPTION_KEY = "aGF2ZW4tZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="
# The funder reports the managers open (as in bench/locustfile.py).
REPORTS = ("ssp", "naloxone")
SCENARIOS = {
    # name: (locust user classes, users, seconds between actions per user; 0 = no pause)
    "field-pace": (["QuickSaver"], 20, 1),
    "saves": (["QuickSaver"], 20, 0),
    "mix-20": (["FieldSpecialist", "ProgramManager"], 20, 1),
    "mix-100": (["FieldSpecialist", "ProgramManager"], 100, 1),
    "healthz": (["HealthCheck"], 20, 0),
}


def autogrouped():
    """Whether Linux shares the CPU between sessions before priorities count."""
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return False


def work_on_a_copy():
    """Point this run (and the servers it starts) at a copy of the benchmark database;
    returns what drops the copy."""
    url = os.environ.get("DATABASE_URL")
    if url:
        import psycopg

        parts = urllib.parse.urlsplit(url)
        source = parts.path.lstrip("/")
        copy = f"{source}_load_test"
        server = parts._replace(path="/postgres").geturl()

        def run(*statements):
            with psycopg.connect(server, autocommit=True) as connection:
                for statement in statements:
                    connection.execute(statement)

        with psycopg.connect(server) as connection:
            version = connection.info.server_version
        # PostgreSQL 15 copies a database through the write-ahead log by default:
        # gigabytes of it, whose checkpoint then ran during the measured scenarios.
        # Copying the files checkpoints before the runs instead.
        strategy = " STRATEGY FILE_COPY" if version >= 150000 else ""
        run(
            f'DROP DATABASE IF EXISTS "{copy}"',
            f'CREATE DATABASE "{copy}" TEMPLATE "{source}"{strategy}',
        )
        os.environ["DATABASE_URL"] = parts._replace(path=f"/{copy}").geturl()
        return lambda: run(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    source = Path(os.environ.get("HAVEN_SQLITE_PATH", VAR / "haven.sqlite3"))
    copy = source.with_name(f"{source.stem}-load-test.sqlite3")
    with sqlite3.connect(source) as original, sqlite3.connect(copy) as duplicate:
        original.backup(duplicate)
    os.environ["HAVEN_SQLITE_PATH"] = str(copy)

    def drop():
        for suffix in ("", "-wal", "-shm", "-writer.lock"):  # and the lock writers queue on
            Path(f"{copy}{suffix}").unlink(missing_ok=True)

    return drop


def setup_django():
    # As in production: DEBUG off, real keys; the server processes get the same.
    os.environ.setdefault("HAVEN_DEBUG", "0")
    os.environ.setdefault("HAVEN_SECRET_KEY", "haven-benchmark-only-secret-key")
    os.environ.setdefault("HAVEN_ENCRYPTION_KEYS", DEVELOPMENT_ENCRYPTION_KEY)
    os.environ.setdefault("HAVEN_REQUIRE_TWO_FACTOR", "0")
    os.environ.setdefault("HAVEN_LOGIN_FAILURE_LIMIT", "1000000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def last_full_quarter(today):
    quarter = (today.month - 1) // 3  # the current one, counted from 0
    return (today.year, quarter) if quarter else (today.year - 1, 4)


def prepare_plan(path):
    """Sessions, tokens and stocked bags for the simulated staff; what they will type."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from haven.accounts.models import User
    from haven.api.models import DeviceToken
    from haven.outreach.models import Service
    from haven.participants.models import Participant
    from haven.resources.models import Need, Resource
    from haven.supplies.models import Item

    rng = random.Random(2026)
    if Resource.objects.count() < 1000:
        sys.argv = sys.argv[:1]  # bench/resource_search.py reads no arguments at import
        from bench import resource_search

        resource_search.generate(rng, 2000)
    usual_items = list(Item.objects.filter(usual=True, active=True).order_by("pk"))

    def session(user):
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    specialists = []
    bag_holders = User.objects.filter(role="specialist", draw_from__isnull=False, is_active=True)
    for user in bag_holders.order_by("username"):
        stock_the_bag(user, usual_items)
        _device, token = DeviceToken.issue(user, "load test")
        specialists.append(
            {"session": session(user), "token": token, "site": user.default_site().pk}
        )
    managers = [{"session": session(user)} for user in User.objects.filter(role="manager")]
    participants = list(
        Participant.objects.filter(merged_into__isnull=True)
        .order_by("?")
        .values("id", "card_code")[:1000]
    )
    plan = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "specialists": specialists,
        "managers": managers,
        "participants": participants,
        "usual_items": [item.pk for item in usual_items],
        "services": list(Service.objects.filter(active=True).values_list("pk", flat=True)),
        "needs": [value for value, _label in Need.choices],
        "centre": [33.45, -112.07],
        "last_quarter": last_full_quarter(timezone.localdate()),
    }
    path.write_text(json.dumps(plan))
    return plan


def stock_the_bag(user, items=None):
    """One load-test lot of each item in the user's bag, topped up run after run.

    As a bag really holds: a new lot a run left dozens of lots in every bag, and
    every save read them all. What is left of the lots that earlier versions of
    this script (and bench/request_profile.py) received is disposed of."""
    from haven.supplies.actions import do_receive_stock, do_remove_stock
    from haven.supplies.models import Item, StockBalance, StockMovement

    if items is None:
        items = Item.objects.filter(usual=True, active=True)
    lot_year = datetime.date.today().year + 3
    lot_number = f"LOAD-{lot_year}"
    bag = StockBalance.objects.filter(location=user.draw_from, quantity__gt=0)
    earlier = bag.filter(lot__number__regex=r"^(LOAD|PROFILE)-").exclude(lot__number=lot_number)
    for balance in earlier.select_related("lot"):
        do_remove_stock(
            location=user.draw_from,
            lot=balance.lot,
            quantity=balance.quantity,
            kind=StockMovement.Kind.DISPOSE,
            reason="an earlier load test's lot",
            by=user,
        )
    held = dict(bag.filter(lot__number=lot_number).values_list("item_id", "quantity"))
    for item in items:
        if held.get(item.pk, 0) < 500_000:
            do_receive_stock(
                location=user.draw_from,
                item=item,
                quantity=1_000_000,
                lot_number=lot_number,
                expires_on=datetime.date(lot_year, 12, 31),
                supplier="load test",
                by=user,
            )


def warm_up(host, plan_path):
    """Open the manager's pages once: a database in use keeps the figures of finished
    periods and months (reports.CachedFigures, ServedMonth), counted at the first view
    after a change, which a fresh copy has not had."""
    plan = json.loads(plan_path.read_text())
    year, quarter = plan["last_quarter"]
    cookie = f"{plan['session_cookie']}={plan['managers'][0]['session']}"
    for path in (
        "/reports/dashboard/",
        *(f"/reports/{slug}/?period=quarter&year={year}&number={quarter}" for slug in REPORTS),
    ):
        request = urllib.request.Request(host + path, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=120) as response:
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, process, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} stopped; see the logs in var/")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def start_gunicorn(port, workers, name):
    """One gunicorn with deploy/gunicorn.conf.py: its own number of workers unless given."""
    env = dict(os.environ, HAVEN_BIND=f"127.0.0.1:{port}")
    if workers:
        env["HAVEN_WORKERS"] = str(workers)
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    log = open(VAR / f"bench-{name}.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=log,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz", process)
    return process


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    upstream haven {{
        {servers}
        keepalive 64;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 5m;
        location / {{
            proxy_pass http://haven;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def start_nginx(port, upstream_ports):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("--cluster needs nginx: apt-get install nginx-light")
    prefix = VAR / "bench-nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    servers = "\n        ".join(f"server 127.0.0.1:{p};" for p in upstream_ports)
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, servers=servers, port=port))
    log = open(prefix / "stdout.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(prefix)], stdout=log, stderr=log)
    wait_for(f"http://127.0.0.1:{port}/healthz", process)
    return process


def run_locust(host, plan_path, scenario, duration):
    classes, users, pace = SCENARIOS[scenario]
    prefix = VAR / f"bench-locust-{scenario}"
    receipts = VAR / f"bench-locust-{scenario}-receipts.json"
    env = dict(
        os.environ,
        HAVEN_LOAD_PLAN=str(plan_path),
        HAVEN_LOAD_PACE=str(pace),
        HAVEN_LOAD_RECEIPTS=str(receipts),
    )
    command = [
        str(BIN / "locust"),
        "-f",
        str(BASE_DIR / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{duration}s",
        "--reset-stats",
        "--only-summary",
        "--csv",
        str(prefix),
        "--loglevel",
        "WARNING",
        *classes,
    ]
    subprocess.run(command, env=env, cwd=BASE_DIR, check=False, capture_output=True)
    rows = {}
    with open(f"{prefix}_stats.csv") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "per_second": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "max_ms": float(row["Max Response Time"]),
            }
    with open(f"{prefix}_failures.csv") as failures:
        rows["failures"] = [
            f"{r['Occurrences']}x {r['Name']}: {r['Error']}" for r in csv.DictReader(failures)
        ]
    rows["contacts"] = check_receipts(json.loads(receipts.read_text()))
    return rows


def server_cpu_seconds(processes):
    """CPU time used so far by the servers: each master, its live workers, its reaped ones."""
    import psutil

    total = 0.0
    for process in processes:
        master = psutil.Process(process.pid)
        times = master.cpu_times()
        total += times.user + times.system + times.children_user + times.children_system
        for child in master.children(recursive=True):
            try:
                times = child.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
    return total


def database_cpu_seconds():
    """CPU time used so far by each PostgreSQL process on this machine (pid: seconds);
    empty on SQLite or a server elsewhere."""
    import psutil

    used = {}
    for process in psutil.process_iter(["name", "cpu_times"]):
        if process.info["name"] == "postgres" and process.info["cpu_times"]:
            used[process.pid] = process.info["cpu_times"].user + process.info["cpu_times"].system
    return used


def check_receipts(receipts):
    """Every contact answered as stored is stored; none answered 503 is."""
    from haven.outreach.models import Encounter

    def stored(uuids):
        found = 0
        for start in range(0, len(uuids), 500):
            chunk = uuids[start : start + 500]
            found += Encounter.objects.filter(client_uuid__in=chunk).count()
        return found

    return {
        "answered_stored": len(receipts["saved"]),
        "of_those_in_database": stored(receipts["saved"]),
        "answered_busy_503": len(receipts["busy"]),
        "of_those_in_database_503": stored(receipts["busy"]),
        # Other failures (a timeout, a 502): the server may or may not have
        # stored these; the outbox's retry would be a replay either way.
        "other_failures": len(receipts["other"]),
        "of_those_in_database_other": stored(receipts["other"]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cluster", action="store_true", help="two gunicorn behind nginx")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--workers", type=int, help="gunicorn workers per instance")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--in-place", action="store_true", help="write to the database itself, not a copy"
    )
    args = parser.parse_args(argv)
    VAR.mkdir(exist_ok=True)
    drop_copy = None if args.in_place else work_on_a_copy()
    try:
        return run_scenarios(args)
    finally:
        if drop_copy:
            drop_copy()


def run_scenarios(args):
    """The scenarios of `args` against one server or two behind nginx."""
    setup_django()
    from django.db import connection

    plan_path = VAR / "bench-load-plan.json"
    prepare_plan(plan_path)
    connection.close()

    processes = []
    try:
        if args.cluster:
            upstreams = [free_port(), free_port()]
            for number, port in enumerate(upstreams, 1):
                # Half the one server's workers each: the same machine, shared.
                workers = args.workers or os.cpu_count()
                processes.append(start_gunicorn(port, workers, f"gunicorn-{number}"))
            port = free_port()
            processes.append(start_nginx(port, upstreams))
        else:
            port = free_port()
            processes.append(start_gunicorn(port, args.workers, "gunicorn"))
        host = f"http://127.0.0.1:{port}"
        warm_up(host, plan_path)
        results = {
            "setup": "two gunicorn instances behind nginx" if args.cluster else "one gunicorn",
            "database": connection.vendor,
            "load_average_before": os.getloadavg()[0],
        }
        if autogrouped():
            print(
                "The kernel groups processes by session (sched_autogroup_enabled = 1): a process"
                " at the lowest priority in another session still takes a core from this run"
                " (docs/performance.md, eleventh pass)."
            )
        if connection.vendor == "postgresql":
            # The planner's costs decide how a save reads the bag (docs/deploy.md).
            with connection.cursor() as cursor:
                cursor.execute("SHOW random_page_cost")
                results["random_page_cost"] = cursor.fetchone()[0]
            connection.close()
            print(f"PostgreSQL random_page_cost = {results['random_page_cost']}")
        for scenario in args.scenarios.split(","):
            cpu_before = server_cpu_seconds(processes)
            on_postgresql = connection.vendor == "postgresql"
            database_before = database_cpu_seconds() if on_postgresql else {}
            stats = run_locust(host, plan_path, scenario, args.duration)
            cpu = server_cpu_seconds(processes) - cpu_before
            database = database_cpu_seconds() if on_postgresql else {}
            connection.close()
            requests = stats.get("Aggregated", {}).get("requests") or 1
            # Includes the ramp-up and the last requests, which the stats leave out.
            stats["server_cpu_ms_per_request"] = round(cpu * 1000 / requests, 1)
            if database:
                # A process started during the run counts from nothing.
                used = sum(now - database_before.get(pid, 0.0) for pid, now in database.items())
                stats["database_cpu_ms_per_request"] = round(used * 1000 / requests, 1)
            stats["load_average_after"] = os.getloadavg()[0]
            results[scenario] = stats
            print_scenario(scenario, stats)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)
        connection.close()
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


def print_scenario(scenario, stats):
    print(f"\n{scenario}  (load average {stats['load_average_after']:.1f})")
    print(f"  {'endpoint':34} {'req':>6} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'max':>7}")
    for name, row in stats.items():
        if not isinstance(row, dict) or "requests" not in row:
            continue
        print(
            f"  {name:34} {row['requests']:>6} {row['failures']:>5} {row['per_second']:>7} "
            f"{row['p50_ms']:>6.0f} {row['p95_ms']:>6.0f} {row['max_ms']:>7.0f}"
        )
    print(f"  server CPU per request: {stats['server_cpu_ms_per_request']} ms")
    if "database_cpu_ms_per_request" in stats:
        print(f"  PostgreSQL CPU per request: {stats['database_cpu_ms_per_request']} ms")
    contacts = stats["contacts"]
    print(
        "  contacts answered stored: {answered_stored}, in the database: {of_those_in_database};"
        " answered 503: {answered_busy_503}, in the database: {of_those_in_database_503};"
        " other failures: {other_failures}, in the database: {of_those_in_database_other}".format(
            **contacts
        )
    )
    for failure in stats["failures"][:5]:
        print(f"  ! {failure}")


if __name__ == "__main__":
    sys.exit(main())
