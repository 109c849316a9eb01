"""Benchmark of directory search over 10,000 resources (docs/performance.md).

Usage (from the repository root)::

    HAVEN_SQLITE_PATH=var/bench-resources.sqlite3 .venv/bin/python bench/resource_search.py
    DATABASE_URL=postgres://... .venv/bin/python bench/resource_search.py
    ... bench/resource_search.py --real ../shared/data/SubstanceUseTreatment_Geocoded.csv

With --real, the directory is instead SAMHSA's treatment locator (the real
file, about 14,000 entries across the country) imported as a program imports
it (haven.resources.importing, the "SAMHSA treatment locator (geocoded)"
mapping), and each search starts a few miles from a real entry.

The database's directory (resources, their needs, languages and hours) is
replaced; use a scratch database. 10,000 resources are spread over a metro
area of about 100 km by 100 km around Phoenix, denser in the middle, with
realistic mixes of needs, languages, payment and hours (a sixth with unknown
hours). Then 500 searches with several filters each, from random points, are
timed through haven.resources.search, the same function the pages call, and
the median, p95 and worst latencies printed per kind of search.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from haven.accounts.models import User  # noqa: E402
from haven.resources import importing  # noqa: E402
from haven.resources.actions import do_import_resources, do_stage_import  # noqa: E402
from haven.resources.models import (  # noqa: E402
    PAYMENT_FIELDS,
    ImportMapping,
    Language,
    Need,
    OpeningHours,
    Resource,
    ResourceLanguage,
    ResourceNeed,
)
from haven.resources.search import Query, search  # noqa: E402

CENTRE = (33.45, -112.07)
HOURS = [
    [(d, "08:00", "17:00") for d in range(5)],
    [(d, "06:00", "14:00") for d in range(6)],
    [(d, "00:00", "00:00") for d in range(7)],
    [(d, "19:00", "07:00") for d in range(7)],
    [(d, "09:00", "12:00") for d in (0, 2, 4)],
    [],
]


def generate(rng, count):
    with transaction.atomic():
        Resource.objects.filter(referrals__isnull=True).delete()
        resources, children = [], []
        for index in range(count):
            resources.append(
                Resource(
                    name=f"Bench resource {index:05d}",
                    latitude=CENTRE[0] + rng.gauss(0, 0.25),
                    longitude=CENTRE[1] + rng.gauss(0, 0.3),
                    zip_code=f"85{rng.randint(0, 399):03d}",
                    walk_in=rng.choice([True, False, None]),
                    match_key=f"bench-{index}",
                    **{field: True for field in rng.sample(list(PAYMENT_FIELDS.values()), 2)},
                )
            )
            children.append(
                (
                    rng.sample(Need.values, rng.randint(1, 4)),
                    ["en"] + rng.sample(Language.values[1:], rng.randint(0, 2)),
                    rng.choice(HOURS),
                )
            )
        Resource.objects.bulk_create(resources, batch_size=1000)
        ResourceNeed.objects.bulk_create(
            (
                ResourceNeed(resource=r, need=n)
                for r, c in zip(resources, children, strict=True)
                for n in c[0]
            ),
            batch_size=5000,
        )
        ResourceLanguage.objects.bulk_create(
            (
                ResourceLanguage(resource=r, language=code)
                for r, c in zip(resources, children, strict=True)
                for code in set(c[1])
            ),
            batch_size=5000,
        )
        OpeningHours.objects.bulk_create(
            (
                OpeningHours(
                    resource=r,
                    weekday=day,
                    opens=datetime.time.fromisoformat(opens),
                    closes=datetime.time.fromisoformat(closes),
                )
                for r, c in zip(resources, children, strict=True)
                for day, opens, closes in c[2]
            ),
            batch_size=5000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


REAL_MAPPING = "SAMHSA treatment locator (geocoded)"


def import_real(path):
    """Replace the directory with a real file, imported as a manager would."""
    Resource.objects.filter(referrals__isnull=True).delete()
    manager, _ = User.objects.get_or_create(
        username="bench-directory", defaults={"role": "manager", "is_active": False}
    )
    content = Path(path).read_bytes()
    mapping = ImportMapping.objects.get(name=REAL_MAPPING)
    plan = importing.prepare(content, "utf-8-sig", mapping.columns, mapping.fixed_needs)
    batch = do_stage_import(
        by=manager,
        filename=Path(path).name,
        content=content,
        encoding="utf-8-sig",
        source=REAL_MAPPING,
    )
    do_import_resources(batch, plan, by=manager)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def near_real_entries(rng):
    """Search origins a few miles from the imported entries, where people look."""
    places = list(Resource.objects.exclude(latitude=None).values_list("latitude", "longitude"))

    def origin():
        latitude, longitude = rng.choice(places)
        return (latitude + rng.gauss(0, 0.05), longitude + rng.gauss(0, 0.06))

    return origin


def near_centre(rng):
    return lambda: (CENTRE[0] + rng.gauss(0, 0.2), CENTRE[1] + rng.gauss(0, 0.25))


KINDS = {
    "need + open now + 10 mi": lambda rng: dict(
        needs=[rng.choice(Need.values)], open_now=True, radius_km=16
    ),
    "2 needs + open now + language + payment + 25 mi": lambda rng: dict(
        needs=rng.sample(Need.values, 2),
        open_now=True,
        languages=["es"],
        payments=["medicaid"],
        radius_km=40,
    ),
    "need + walk-in + 50 mi (public)": lambda rng: dict(
        needs=[rng.choice(Need.values)], walk_in=True, radius_km=80, public_only=True
    ),
    "anything open now + 5 mi": lambda rng: dict(open_now=True, radius_km=8),
}


# The locator's file names each facility and where it is, not its services,
# payment or hours: searches by distance, and "open now" (none is known to be
# open, so every candidate's hours are read: the slowest path).
REAL_KINDS = {
    "anything + 5 mi": lambda rng: dict(radius_km=8),
    "anything + 25 mi": lambda rng: dict(radius_km=40),
    "anything + 50 mi (public)": lambda rng: dict(radius_km=80, public_only=True),
    "open now + 10 mi": lambda rng: dict(open_now=True, radius_km=16),
}


def measure(rng, searches, origin, kinds):
    moment = timezone.now()
    timings = {kind: [] for kind in kinds}
    found = {kind: [] for kind in kinds}
    for index in range(searches):
        kind = list(kinds)[index % len(kinds)]
        query = Query(origin=origin(), at=moment, **kinds[kind](rng))
        started = time.perf_counter()
        results = search(query)
        timings[kind].append((time.perf_counter() - started) * 1000)
        found[kind].append(len(results))
    return timings, found


def p95(values):
    return statistics.quantiles(values, n=20)[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--real", help="a SAMHSA treatment locator file to search instead")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    if args.real:
        import_real(args.real)
        origin, kinds = near_real_entries(rng), REAL_KINDS
    else:
        generate(rng, args.resources)
        origin, kinds = near_centre(rng), KINDS
    print(
        f"{connection.vendor}: {Resource.objects.count():,} resources "
        f"{'imported' if args.real else 'generated'} in {time.perf_counter() - started:.1f} s"
    )
    measure(rng, 40, origin, kinds)  # warm up caches
    timings, found = measure(rng, args.searches, origin, kinds)
    everything = [t for values in timings.values() for t in values]
    results = [n for values in found.values() for n in values]
    print(f"{'search':52} {'median':>8} {'p95':>8} {'worst':>8}   results (mean)")
    for kind, values, counts in [
        *((kind, timings[kind], found[kind]) for kind in kinds),
        ("all searches", everything, results),
    ]:
        print(
            f"{kind:52} {statistics.median(values):7.1f}  {p95(values):7.1f}  "
            f"{max(values):7.1f} ms   {statistics.mean(counts):5.1f}"
        )


if __name__ == "__main__":
    main()
