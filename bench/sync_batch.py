"""Syncing offline contacts: 500 contacts with supplies in one POST /api/v1/sync.

Usage (from the repository root)::

    .venv/bin/python bench/sync_batch.py                     # SQLite, var/bench-sync.sqlite3
    DATABASE_URL=postgres://... .venv/bin/python bench/sync_batch.py

It makes a small program in the database (a site, a specialist with a bag of
stock, 500 participants, the catalog), then, for each run, builds a batch of
500 contacts as the offline app sends them (each with a new client UUID, a
participant by card code or id or an anonymous count, 1-3 supplies drawn
from the bag, a service) and posts it through Django's full request path
(WSGI handler, device-token authentication, validation, the actions and the
ledger). It reports the time of the first sync of each batch and of the same
batch sent again (a retry after a lost answer: nothing is stored twice).
Target (DESIGN.md): 500 offline encounters synced within 2 s.

Writes happen: run it on a benchmark database, never on a live one.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 2.0
BATCH = 500


def setup_django():
    os.environ.setdefault("HAVEN_DEBUG", "0")
    os.environ.setdefault("HAVEN_SECRET_KEY", "haven-benchmark-only-secret-key")
    os.environ.setdefault("HAVEN_ENCRYPTION_KEYS", "aGF2ZW4tZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ=")
    os.environ.setdefault("HAVEN_SQLITE_PATH", str(BASE_DIR / "var" / "bench-sync.sqlite3"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def make_program():
    from django.core.management import call_command

    from haven.accounts.models import Site, User
    from haven.outreach.models import Service
    from haven.participants.models import Participant
    from haven.supplies.actions import do_receive_stock
    from haven.supplies.models import Item, StockLocation

    Path(os.environ["HAVEN_SQLITE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    site, _ = Site.objects.get_or_create(name="Bench site", defaults={"kind": "street"})
    user = User.objects.filter(username="bench-sync").first()
    if user is None:
        user = User.objects.create_user("bench-sync", password=None, role="specialist")
        user.sites.set([site])
    bag, _ = StockLocation.objects.get_or_create(
        name="Bench bag", defaults={"kind": "bag", "site": site, "holder": user}
    )
    user.draw_from = bag
    user.current_site = site
    user.save()
    items = []
    for index, name in enumerate(["Naloxone", "Syringes", "Test strips", "Condoms", "Pipes"]):
        item, _ = Item.objects.get_or_create(
            name=f"Bench {name}", defaults={"category": "other", "sort_order": index}
        )
        items.append(item)
        # Plenty for every run: hand-outs never run short.
        do_receive_stock(location=bag, item=item, quantity=100_000, by=user)
    service, _ = Service.objects.get_or_create(
        code="bench-support", defaults={"name": "Bench support", "kind": "support"}
    )
    have = Participant.objects.count()
    for _ in range(max(0, BATCH - have)):
        Participant.objects.create(created_by=user, enrolled_site=site)
    participants = list(Participant.objects.order_by("pk")[:BATCH])
    return user, site, items, service, participants


def batch(site, items, service, participants, rng):
    records = []
    for index in range(BATCH):
        record = {
            "kind": "contact",
            "client_uuid": str(uuid.uuid4()),
            "site": site.pk,
            "contact_type": "street",
            "occurred_at": f"2025-06-01T{8 + index % 10:02d}:{index % 60:02d}:00Z",
            "services": [service.pk],
            "supplies": [
                {"item": item.pk, "quantity": rng.randint(1, 5)}
                for item in rng.sample(items, rng.randint(1, 3))
            ],
        }
        who = index % 4
        if who == 0:
            record["anonymous_people"] = rng.randint(1, 4)
        elif who == 1:
            record["card_code"] = participants[index].display_code
        else:
            record["participant"] = participants[index].pk
        records.append(record)
    return {"records": records}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--without-summaries",
        action="store_true",
        help="diagnosis only: skip the reports' per-write summary update, to see its share",
    )
    args = parser.parse_args()
    setup_django()
    if args.without_summaries:
        from haven.reports import summaries

        summaries.contacts_added = lambda *args, **kwargs: None
    from django.db import connection
    from django.test import Client

    from haven.api.models import DeviceToken
    from haven.outreach.models import Encounter

    user, site, items, service, participants = make_program()
    token = DeviceToken.issue(user, "Benchmark")[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    rng = random.Random(7)
    first, again = [], []
    for _run in range(args.runs):
        body = json.dumps(batch(site, items, service, participants, rng))
        before = Encounter.objects.count()
        for timings in (first, again):
            started = time.perf_counter()
            response = client.post("/api/v1/sync", body, content_type="application/json")
            timings.append(time.perf_counter() - started)
            statuses = {result["status"] for result in response.json()["results"]}
            assert response.status_code == 200 and statuses == {201}, statuses
        assert Encounter.objects.count() == before + BATCH, "a retried batch stored twice"
    result = {
        "database": connection.vendor,
        "contacts": BATCH,
        "runs": args.runs,
        "first_sync_median_s": round(statistics.median(first), 3),
        "first_sync_max_s": round(max(first), 3),
        "retry_median_s": round(statistics.median(again), 3),
        "target_s": TARGET_SECONDS,
        "meets_target": max(first) <= TARGET_SECONDS,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
