"""Where a request's CPU time goes: the quick-log save (or /healthz) profiled in-process.

Usage (on a database made by bench/generate.py; writes contacts)::

    HAVEN_SQLITE_PATH=var/bench-load.sqlite3 .venv/bin/python bench/request_profile.py
    DATABASE_URL=postgres://... .venv/bin/python bench/request_profile.py --runs 300

Runs the request through Django's full stack (django.test.Client, as
bench/field_speed.py does, with a real session) under cProfile counting CPU time
(not wall time, so other processes on the machine matter less), and sums each
function's own time by where its code lives: SQL execution in the database
driver, Django's ORM building queries and model instances, forms, templates,
middleware and the rest of Django, Haven's own code, and everything else.
Also counts the SQL statements per request and, on SQLite, how long each
request holds the database's write lock (wall time: the ceiling of saves a
second, since writers take the lock one at a time).
"""

import argparse
import cProfile
import pstats
import random
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_test import setup_django, stock_the_bag  # noqa: E402

AREAS = [
    # (label, a substring of the code's file path); first match wins.
    ("SQL in the database driver", ("sqlite3", "psycopg")),
    ("Django ORM (query building, model instances)", ("django/db/",)),
    ("Django forms", ("django/forms/",)),
    ("Django templates", ("django/template/",)),
    ("Django sessions, auth, middleware, request, response", ("django/",)),
    ("other libraries (csp, axes, otp, ninja, whitenoise, ...)", ("site-packages/",)),
    ("Haven's code", ("/haven/",)),
]


def area_of(filename, function):
    if filename == "~":  # a builtin: the sqlite3 and psycopg calls are C functions
        return AREAS[0][0] if any(n in function for n in AREAS[0][1]) else "Python builtins"
    for label, needles in AREAS:
        if any(needle in filename for needle in needles):
            return label
    return "Python's standard library"


def time_the_write_lock():
    """Count how long SQLite's write queue (haven/core/db/sqlite/base.py) is held."""
    from haven.core.db.sqlite.base import WriterQueue

    held = {"on": True, "seconds": 0.0, "cpu": 0.0, "count": 0, "since": None}
    acquire, release = WriterQueue.acquire, WriterQueue.release

    def timed_acquire(queue):
        acquire(queue)
        held["since"] = (time.perf_counter(), time.thread_time())

    def timed_release(queue):
        if queue.held and held["on"] and held["since"] is not None:
            held["seconds"] += time.perf_counter() - held["since"][0]
            held["cpu"] += time.thread_time() - held["since"][1]
            held["count"] += 1
        release(queue)

    WriterQueue.acquire, WriterQueue.release = timed_acquire, timed_release
    return held


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--what", choices=["save", "healthz"], default="save")
    parser.add_argument(
        "--top", type=int, default=0, help="also list the N functions of most cumulative time"
    )
    parser.add_argument("--dump", help="write the profile to this file (for pstats, snakeviz)")
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection
    from django.test import Client

    from haven.accounts.models import User
    from haven.outreach.models import Service
    from haven.participants.models import Participant
    from haven.supplies.models import Item

    rng = random.Random(7)
    user = User.objects.filter(role="specialist", draw_from__isnull=False).order_by("pk").first()
    stock_the_bag(user)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    codes = list(Participant.objects.values_list("card_code", flat=True)[:500])
    items = list(Item.objects.filter(usual=True, active=True).values_list("pk", flat=True))
    services = list(Service.objects.filter(active=True).values_list("pk", flat=True))
    site = user.default_site().pk

    def request():
        if args.what == "healthz":
            return client.get("/healthz")
        data = {
            "client_uuid": str(uuid.uuid4()),
            "card_code": rng.choice(codes),
            "site": site,
            "contact_type": "street",
            "secondary_people": 0,
            "services": [rng.choice(services)],
        }
        for item in rng.sample(items, rng.randint(2, 4)):
            data[f"supply_{item}"] = rng.randint(1, 3)
        # Posted as a browser (and locust) posts a form without files: urlencoded;
        # the test client's default multipart cost a tenth of the request to parse.
        response = client.post(
            "/outreach/log/",
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded",
        )
        if response.status_code != 302:
            raise SystemExit(f"the save answered {response.status_code}")
        # The saved page would show and spend the message; unread, the client's
        # cookie would pile them up, and each save would re-encode them all.
        client.cookies.pop("messages", None)
        return response

    for _ in range(20):  # warm up: imports, caches, translations
        request()
    sql = {"statements": 0, "seconds": 0.0}

    def count_sql(execute, query, params, many, context):
        started = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql["statements"] += 1
            sql["seconds"] += time.perf_counter() - started

    held = time_the_write_lock()
    started, wall_started = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(count_sql):
        for _ in range(args.runs):
            request()
    held["on"] = False
    cpu_ms = (time.process_time() - started) * 1000 / args.runs
    wall_ms = (time.perf_counter() - wall_started) * 1000 / args.runs
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(args.runs):
        request()
    profile.disable()

    totals = {}
    for (filename, _line, name), (_cc, _nc, own, _cum, _callers) in pstats.Stats(
        profile
    ).stats.items():
        label = area_of(filename, name)
        totals[label] = totals.get(label, 0.0) + own
    whole = sum(totals.values())
    print(f"{args.what} on {connection.vendor}, {args.runs} requests")
    print(f"per request, in one process: CPU {cpu_ms:.1f} ms, wall {wall_ms:.1f} ms")
    print(
        f"SQL per request: {sql['statements'] / args.runs:.1f} statements, "
        f"{sql['seconds'] * 1000 / args.runs:.1f} ms wall from the driver call to its answer"
    )
    if held["count"]:
        print(
            f"SQLite write lock: held {held['seconds'] * 1000 / args.runs:.1f} ms per request "
            f"(wall; {held['cpu'] * 1000 / args.runs:.1f} ms of it CPU), "
            f"{held['count'] / args.runs:.1f} times"
        )
    calls = pstats.Stats(profile).total_calls / args.runs
    # Unlike the times, the calls do not depend on what else the machine runs.
    print(f"Python function calls per request (under the profiler): {calls:,.0f}")
    print("Shares of the CPU time under the profiler (which inflates Python-heavy parts):")
    for label, seconds in sorted(totals.items(), key=lambda pair: -pair[1]):
        print(f"  {100 * seconds / whole:5.1f} %  {label}")
    if args.dump:
        profile.dump_stats(args.dump)
    if args.top:
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
