"""Funder reports on a generated program: a quarter and a year of each standard report.

Usage (from the repository root, on a database made by bench/generate.py)::

    HAVEN_SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/reports_speed.py
    DATABASE_URL=postgres://... .venv/bin/python bench/reports_speed.py --json

For each report (syringe services activity, naloxone quarterly, grant
progress) and period (the last full quarter and the last full year of the
data), it builds the report through haven.reports.standard (every figure of
it, from the same code the pages call), also with small-cell suppression and
as an XLSX file, and reports the median and worst of several runs. Targets
(DESIGN.md): a quarter within 50 ms, a year within 100 ms (and within 4x DuckDB:
bench/reports_vs_duckdb.py). Read-only.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
TARGETS_S = {"quarter": 0.05, "year": 0.1}


def setup_django():
    os.environ.setdefault("HAVEN_DEBUG", "0")
    os.environ.setdefault("HAVEN_SECRET_KEY", "haven-benchmark-only-secret-key")
    os.environ.setdefault("HAVEN_ENCRYPTION_KEYS", "aGF2ZW4tZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ=")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def periods():
    """The last full quarter and year before the newest contact."""
    from django.db.models import Max
    from django.utils import timezone

    from haven.outreach.models import Encounter

    newest = timezone.localdate(Encounter.objects.aggregate(n=Max("occurred_at"))["n"])
    quarter_start = datetime.date(newest.year, 3 * ((newest.month - 1) // 3) + 1, 1)
    quarter_end = quarter_start - datetime.timedelta(days=1)
    quarter_start = datetime.date(quarter_end.year, 3 * ((quarter_end.month - 1) // 3) + 1, 1)
    year = newest.year - 1
    return {
        "quarter": (quarter_start, quarter_end),
        "year": (datetime.date(year, 1, 1), datetime.date(year, 12, 31)),
    }


def timed(function, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from haven.outreach.models import Encounter
    from haven.reports import exports, standard
    from haven.reports.metrics import Scope

    results = []
    for period, (start, end) in periods().items():
        scope = Scope(start, end)
        for slug, build in standard.BUILDERS.items():
            build(scope)  # warm-up
            plain = timed(lambda build=build, scope=scope: build(scope), args.runs)
            shared = timed(
                lambda slug=slug, scope=scope: exports.as_xlsx(
                    standard.build(slug, scope, suppressed=True)
                ),
                args.runs,
            )
            results.append(
                {
                    "report": slug,
                    "period": f"{period} {start}..{end}",
                    "median_s": round(plain[0], 3),
                    "max_s": round(plain[1], 3),
                    "suppressed_xlsx_median_s": round(shared[0], 3),
                    "target_s": TARGETS_S[period],
                    "meets_target": plain[0] <= TARGETS_S[period],
                }
            )
    summary = {
        "database": connection.vendor,
        "contacts": Encounter.objects.count(),
        "results": results,
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(f"{summary['database']}, {summary['contacts']:,} contacts")
    for row in results:
        print(
            f"{row['report']:>9} {row['period']:<32} median {row['median_s']:6.3f} s"
            f"  max {row['max_s']:6.3f} s  suppressed+xlsx {row['suppressed_xlsx_median_s']:6.3f} s"
            f"  target {row['target_s']} s  {'ok' if row['meets_target'] else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
