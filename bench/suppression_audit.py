"""Suppression of a year's reports over all their breakdowns: figures, then the audit.

Usage (from the repository root, on a database made by bench/generate.py)::

    HAVEN_SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/suppression_audit.py
    DATABASE_URL=postgres://... .venv/bin/python bench/suppression_audit.py --runs 5

For the last full year of the data it builds every table of the standard
reports (the grant progress report's and the supplies table) for the whole
program and for every site, staff member and contact type (the linked set an
analyst can download), then times apart, median and worst of `--runs`:

- the figures: every slice's report from the metric definitions (SQL), and every
  combination's of site, staff member and contact type (crossed_reports);
- the audit: the linked set's relations, the threshold rule, the HiGHS audit
  and the widening until every small count is protected (target: 1 s), in
  elapsed time and in the CPU time of this process, which other work on a shared
  machine changes less (compare two versions by alternating runs).

It also prints the size of the linked set and how its cells were published.
Read-only.
"""

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reports_speed import periods, setup_django  # noqa: E402

TARGET_S = 1.0


def timed(function, runs, clock=time.perf_counter):
    times, result = [], None
    for _ in range(runs):
        started = clock()
        result = function()
        times.append(clock() - started)
    return statistics.median(times), max(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from haven.reports import standard
    from haven.reports.metrics import Scope
    from haven.reports.suppression import rule_from_settings, suppress

    load_before = os.getloadavg()[0]
    start, end = periods()["year"]
    scope = Scope(start, end)
    members = standard.breakdown_members()
    rule = rule_from_settings()
    figures_median, figures_worst, reports = timed(
        lambda: standard.linked_reports(scope, members), args.runs
    )

    crossed_median, crossed_worst, crossed = timed(
        lambda: standard.crossed_reports(scope), args.runs
    )

    def audit():
        linked = standard.linked_set(reports, crossed)
        return linked, suppress(linked, rule)

    audit()  # warm-up: imports, the solver library
    audit_median, audit_worst, (linked, status) = timed(audit, args.runs)
    cpu_median, cpu_worst, _result = timed(audit, args.runs, time.process_time)
    marks = Counter(status.values())
    print(
        f"{connection.vendor}, every report's tables, {start}..{end} "
        f"(load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end)"
    )
    sizes = ", ".join(f"{len(v)} {k}" for k, v in members.items())
    print(
        f"linked set: {len(reports)} slices ({sizes}), "
        f"{len(linked.values):,} cells ({len(linked.latent):,} published nowhere), "
        f"{len(linked.constraints):,} relations"
    )
    print("published: " + ", ".join(f"{n:,} {mark}" for mark, n in sorted(marks.items())))
    print(f"figures for every slice: median {figures_median:.3f} s, worst {figures_worst:.3f} s")
    print(
        f"figures of every combination: median {crossed_median:.3f} s, "
        f"worst {crossed_worst:.3f} s ({len(crossed):,} combinations)"
    )
    print(
        f"suppression and audit:   median {audit_median:.3f} s, worst {audit_worst:.3f} s"
        f"  (target {TARGET_S} s: {'ok' if audit_worst <= TARGET_S else 'MISSED'})"
    )
    print(f"  in CPU time:           median {cpu_median:.3f} s, worst {cpu_worst:.3f} s")


if __name__ == "__main__":
    main()
