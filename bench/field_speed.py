"""Field speed on a generated program: the DESIGN.md targets, measured.

Usage (from the repository root, on a database made by bench/generate.py)::

    HAVEN_SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/field_speed.py
    DATABASE_URL=postgres://... .venv/bin/python bench/field_speed.py --json

What it measures, each after a warm-up, reporting p50, p95 and max:

- ``find by card code``: haven.participants.lookup.find() with a random
  participant's code, typed as people type it (target 20 ms);
- ``record encounter``: do_record_encounter() for specialist-001, who hands
  out from a bag, with 2-4 usual supplies and a service (target p95 50 ms);
- ``on_hand`` and ``item_summary``: stock at each of the 20 locations;
- ``quick-log POST``: the quick-log form posted through django.test.Client,
  logged in as specialist-001, following Haven's own view, form, action and
  ledger (target p95 50 ms);
- ``API contact POST``: POST /api/v1/contacts through django.test.Client with
  a device token of specialist-001, 2-4 usual supplies and a service;

For each save (``record encounter``, ``quick-log POST``, ``API contact
POST``) the median CPU time of this process per save is given too (``cpu
p50``: Python's own work, which a busy machine hardly changes), and the SQL
statements of one more save are counted after the timed runs (``stmts``).
- ``staff pages, N users at once``: Haven served by ``manage.py runserver
  --noreload`` (threaded; no extra dependency) on 127.0.0.1, hit by N
  concurrent clients (threads with http.client, each its own session):
  supervisors open home, quick-log, a participant page and the stock
  overview; specialists the first three (target p95 150 ms). One round
  with think time between clicks (default a mean of 2 s: 20 people each
  clicking every 2 s is busier than any real program's staff), one without
  (the server saturated: throughput, and latency under overload).

Writes happen: the run logs contacts and, before it, receives a fresh lot of
each usual item into specialist-001's bag so that the hand-outs never run
short. Run it on a benchmark database, never on a live one.
"""

import argparse
import http.client
import json
import math
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# The development key: bench/generate.py encrypts its few notes with it.
DEVELOPMENT_ENCRYPTION_KEY = "aGF2ZW4tZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="
TARGETS_MS = {
    "find by card code": ("p95", 20),
    "record encounter": ("p95", 50),
    "quick-log POST": ("p95", 50),
    "API contact POST": ("p95", 50),
    "staff pages": ("p95", 150),
}
BAG_USER = "specialist-001"


def setup_django():
    # Production-like settings: DEBUG off (no query log), a fixed key so that
    # sessions made here are valid in the server started below.
    os.environ.setdefault("HAVEN_DEBUG", "0")
    os.environ.setdefault("HAVEN_SECRET_KEY", "haven-benchmark-only-secret-key")
    os.environ.setdefault("HAVEN_ENCRYPTION_KEYS", DEVELOPMENT_ENCRYPTION_KEY)
    # Staff sign in with a second factor in production; the benchmark users
    # have none, and a session held at enrolment is redirected, not served.
    os.environ.setdefault("HAVEN_REQUIRE_TWO_FACTOR", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(name, seconds, **extra):
    values = sorted(value * 1000 for value in seconds)
    result = {
        "name": name,
        "runs": len(values),
        "p50_ms": round(percentile(values, 0.50), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "max_ms": round(values[-1], 2) if values else None,
    }
    target = next((t for key, t in TARGETS_MS.items() if name.startswith(key)), None)
    if target:
        stat, limit = target
        result["target"] = f"{stat} <= {limit} ms"
        result["met"] = result[f"{stat}_ms"] <= limit
    result.update(extra)
    return result


def statements_of(function, index):
    """How many SQL statements one more call of `function` makes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function(index)
    return len(captured.captured_queries)


def timed(function, runs, warmup, cpu=None):
    """Wall-clock seconds of each run; with a list `cpu`, this process's CPU seconds too.

    CPU time is what the process itself spent (Python building statements and
    reading answers), which a machine busy with other work hardly changes.
    """
    for index in range(warmup):
        function(index)
    seconds = []
    for index in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        function(warmup + index)
        seconds.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - started_cpu)
    return seconds


def summarise_save(name, function, runs, warmup):
    """A save's wall-clock and CPU times, and the statements of one more save."""
    cpu = []
    seconds = timed(function, runs, warmup, cpu)
    cpu_ms = sorted(value * 1000 for value in cpu)
    return summarise(
        name,
        seconds,
        cpu_p50_ms=round(percentile(cpu_ms, 0.50), 2),
        statements=statements_of(function, runs + warmup),
    )


class Program:
    """What the benchmarks need from the generated database."""

    def __init__(self, rng):
        from haven.accounts.models import User
        from haven.outreach.models import Service
        from haven.participants.models import Participant
        from haven.supplies.models import Item, StockLocation

        self.rng = rng
        self.specialist = User.objects.get(username=BAG_USER)
        if self.specialist.draw_from_id is None:
            raise SystemExit(f"{BAG_USER} has no bag: is this a bench/generate.py database?")
        self.bag = self.specialist.draw_from
        self.site = self.specialist.default_site()
        self.supervisors = list(User.objects.filter(role="supervisor").order_by("username"))
        self.specialists = list(User.objects.filter(role="specialist").order_by("username"))
        self.usual_items = list(Item.objects.filter(usual=True, active=True).order_by("pk"))
        self.services = list(Service.objects.filter(active=True))
        self.locations = list(StockLocation.objects.order_by("pk"))
        top = Participant.objects.order_by("-pk").values_list("pk", flat=True).first()
        ids = rng.sample(range(1, top + 1), min(1000, top))
        rows = Participant.objects.filter(pk__in=ids).values_list("pk", "card_code")
        self.participants = list(rows)
        rng.shuffle(self.participants)

    def participant_code(self, index):
        """A card code as typed: sometimes lower case, sometimes with the dash."""
        code = self.participants[index % len(self.participants)][1]
        if index % 3 == 0:
            code = f"{code[:4]}-{code[4:]}"
        return code.lower() if index % 2 else code

    def stock_the_bag(self):
        """A fresh lot of every usual item in the bag, enough for every hand-out below."""
        import datetime

        from django.utils import timezone

        from haven.supplies.actions import do_receive_stock

        expires = timezone.localdate() + datetime.timedelta(days=700)
        stamp = uuid.uuid4().hex[:8]
        for item in self.usual_items:
            do_receive_stock(
                location=self.bag,
                item=item,
                quantity=200_000,
                lot_number=f"BENCH-{stamp}",
                expires_on=expires,
                supplier="benchmark",
                by=self.specialist,
            )

    def supplies(self):
        chosen = self.rng.sample(self.usual_items, self.rng.randint(2, 4))
        return {item: self.rng.randint(1, min(5, item.max_per_contact)) for item in chosen}


def bench_find(program, runs, warmup):
    from haven.participants import lookup

    def run(index):
        participant, _others, error = lookup.find(program.participant_code(index))
        if participant is None:
            raise RuntimeError(f"not found: {program.participant_code(index)} ({error})")

    return summarise("find by card code", timed(run, runs, warmup))


def bench_record_encounter(program, runs, warmup):
    from haven.outreach.actions import EncounterData, do_record_encounter
    from haven.participants.models import Participant

    participants = Participant.objects.in_bulk([pk for pk, _code in program.participants])

    def run(index):
        pk = program.participants[index % len(program.participants)][0]
        data = EncounterData(
            client_uuid=uuid.uuid4(),
            site=program.site,
            contact_type="street",
            participant=participants[pk],
            services=program.rng.sample(program.services, 1),
            supplies=program.supplies(),
        )
        _encounter, created = do_record_encounter(data, staff=program.specialist)
        assert created

    return summarise_save("record encounter (bag)", run, runs, warmup)


def bench_stock(program, runs, warmup):
    from haven.supplies import stock

    locations = program.locations
    results = []
    for name, function in (("on_hand", stock.on_hand), ("item_summary", stock.item_summary)):
        seconds = timed(lambda i, f=function: f(locations[i % len(locations)]), runs, warmup)
        results.append(summarise(f"{name} (one location)", seconds))
    return results


def bench_quick_log_post(program, runs, warmup):
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(program.specialist)
    url = reverse("outreach:quick_log")

    def run(index):
        data = {
            "client_uuid": str(uuid.uuid4()),
            "card_code": program.participant_code(index),
            "site": program.site.pk,
            "contact_type": "street",
            "secondary_people": 0,
            "services": [program.rng.choice(program.services).pk],
        }
        for item, quantity in program.supplies().items():
            data[f"supply_{item.pk}"] = quantity
        response = client.post(url, data)
        # Saved: redirected to the contact's page (not to a sign-in step).
        if response.status_code != 302 or "/outreach/contacts/" not in response["Location"]:
            raise RuntimeError(f"quick-log POST answered {response.status_code}")

    return summarise_save("quick-log POST (Client)", run, runs, warmup)


def bench_api_contact(program, runs, warmup):
    from django.test import Client

    from haven.api.models import DeviceToken

    _device, token = DeviceToken.issue(program.specialist, "benchmark phone")
    client = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {token}"})

    def run(index):
        body = {
            "client_uuid": str(uuid.uuid4()),
            "site": program.site.pk,
            "contact_type": "street",
            "participant": program.participants[index % len(program.participants)][0],
            "services": [program.rng.choice(program.services).pk],
            "supplies": [
                {"item": item.pk, "quantity": quantity}
                for item, quantity in program.supplies().items()
            ],
        }
        response = client.post("/api/v1/contacts", json.dumps(body), "application/json")
        if response.status_code != 201:
            raise RuntimeError(f"API contact POST answered {response.status_code}")

    return summarise_save("API contact POST (Client)", run, runs, warmup)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port):
    env = dict(os.environ)
    command = [
        sys.executable,
        str(BASE_DIR / "manage.py"),
        "runserver",
        "--noreload",
        "--skip-checks",
        f"127.0.0.1:{port}",
    ]
    log = open(BASE_DIR / "var" / "bench-server.log", "w")  # noqa: SIM115 - closed on stop
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=BASE_DIR)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process, log
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the server did not start; see var/bench-server.log")


def session_cookie(user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def bench_staff_pages(program, clients, requests_per_client, time_limit, think_times):
    """N concurrent clients, each its own user and session, on a real server.

    Each think time is a round: a client waits a random 0.5x to 1.5x of it
    between pages, as people read a page before the next click. Think time 0
    is the saturated case: every client asks again the moment it has an answer.
    """
    port = free_port()
    process, log = start_server(port)
    try:
        summary = []
        for think_time in think_times:
            summary.extend(
                _staff_pages_round(
                    program, port, clients, requests_per_client, time_limit, think_time
                )
            )
        return summary
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _staff_pages_round(program, port, clients, requests_per_client, time_limit, think_time):
    sample = [pk for pk, _code in program.participants[:200]]
    users = [program.supervisors[i % len(program.supervisors)] for i in range(clients // 2)]
    users += [
        program.specialists[i % len(program.specialists)] for i in range(clients - len(users))
    ]
    cookies = [session_cookie(user) for user in users]
    results = {}  # page -> [seconds]
    errors = []
    lock = threading.Lock()
    start_line = threading.Barrier(clients)
    deadline_box = {}

    def pages_for(user, rng):
        pages = [("home", "/"), ("quick-log GET", "/outreach/log/")]
        pages.append(("participant page", f"/participants/{rng.choice(sample)}/"))
        if user.role == "supervisor":
            pages.append(("stock overview", "/supplies/"))
        return pages

    def worker(index):
        rng = random.Random(index)
        user = users[index]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": cookies[index], "Host": "127.0.0.1"}

        def fetch(path):
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status} to {user.username}")
            return elapsed

        try:
            for _name, path in pages_for(user, rng):  # warm-up, not counted
                fetch(path)
            start_line.wait()
            deadline_box.setdefault("at", time.monotonic() + time_limit)
            for _ in range(requests_per_client):
                if time.monotonic() > deadline_box["at"]:
                    break
                if think_time:
                    time.sleep(think_time * rng.uniform(0.5, 1.5))
                name, path = rng.choice(pages_for(user, rng))
                elapsed = fetch(path)
                with lock:
                    results.setdefault(name, []).append(elapsed)
        except Exception as error:  # noqa: BLE001 - reported, not swallowed
            with lock:
                errors.append(f"{user.username}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall
    if errors:
        raise RuntimeError("staff pages failed: " + "; ".join(errors[:5]))
    everything = [value for values in results.values() for value in values]
    label = f"think {think_time:g} s" if think_time else "no think time"
    summary = [
        summarise(
            f"staff pages, {clients} users, {label}",
            everything,
            requests_per_second=round(len(everything) / wall, 1),
        )
    ]
    for name in ("home", "quick-log GET", "participant page", "stock overview"):
        if name in results:
            summary.append(summarise(f"  {name}", results[name]))
    return summary


def sizes():
    from haven.outreach.models import Encounter
    from haven.participants.models import Participant
    from haven.supplies.models import Item, StockLocation, StockMovement

    return {
        "participants": Participant.objects.count(),
        "encounters": Encounter.objects.count(),
        "stock_movements": StockMovement.objects.count(),
        "items": Item.objects.count(),
        "stock_locations": StockLocation.objects.count(),
    }


def database_name(connection):
    if connection.vendor == "postgresql":
        version = connection.pg_version
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def print_table(report):
    print(f"Haven field speed on {report['database']}, {report['cpus']} CPUs, {report['date']}")
    print(", ".join(f"{key.replace('_', ' ')} {value:,}" for key, value in report["sizes"].items()))
    print()
    header = (
        f"{'measure':<34} {'runs':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'cpu p50':>8} {'stmts':>5}  target"
    )
    print(header)
    print("-" * len(header) + "-" * 12)
    for row in report["results"]:
        verdict = ""
        if "target" in row:
            verdict = f"{row['target']}  {'met' if row['met'] else 'MISSED'}"
        if "requests_per_second" in row:
            verdict += f"  ({row['requests_per_second']} req/s)"
        statements = row.get("statements", "")
        cpu = f"{row['cpu_p50_ms']:.1f}" if "cpu_p50_ms" in row else ""
        print(
            f"{row['name']:<34} {row['runs']:>5} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['max_ms']:>8.1f} {cpu:>8} {statements:>5}  {verdict}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs per measure")
    parser.add_argument("--warmup", type=int, default=20, help="untimed runs first")
    parser.add_argument("--clients", type=int, default=20, help="staff at once")
    parser.add_argument("--requests-per-client", type=int, default=30)
    parser.add_argument("--time-limit", type=float, default=120, help="seconds per round")
    parser.add_argument(
        "--think-times",
        default="2,0",
        help="comma-separated mean seconds between a user's clicks, one round each",
    )
    parser.add_argument("--skip-server", action="store_true", help="no concurrent staff pages")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    setup_django()
    import datetime

    from django.db import connection

    rng = random.Random(args.seed)
    program = Program(rng)
    report = {
        "database": database_name(connection),
        "cpus": os.cpu_count(),
        "date": datetime.date.today().isoformat(),
        "sizes": sizes(),
        "results": [],
    }
    program.stock_the_bag()
    report["results"].append(bench_find(program, args.runs, args.warmup))
    report["results"].append(bench_record_encounter(program, args.runs, args.warmup))
    report["results"].extend(bench_stock(program, args.runs, args.warmup))
    report["results"].append(bench_quick_log_post(program, args.runs, args.warmup))
    report["results"].append(bench_api_contact(program, args.runs, args.warmup))
    if not args.skip_server:
        connection.close()
        report["results"].extend(
            bench_staff_pages(
                program,
                args.clients,
                args.requests_per_client,
                args.time_limit,
                [float(value) for value in args.think_times.split(",")],
            )
        )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
