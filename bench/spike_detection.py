"""Benchmark and calibration of the overdose spike detector (docs/overdose.md).

Usage (from the repository root)::

    HAVEN_SQLITE_PATH=var/bench-spikes.sqlite3 .venv/bin/python bench/spike_detection.py
    DATABASE_URL=postgres://... .venv/bin/python bench/spike_detection.py

It prints the figures recorded in docs/performance.md and docs/overdose.md:

0. Multi-scale (``--multiscale``, the default run): false alarms a year of
   every method on every scale over simulated programs with no spike (50
   areas on a grid, Poisson with a weekly and a seasonal pattern like the
   Tempe series), the share of injected three-area clusters found and the
   days to detection; which days each method flags in the real Tempe file,
   drawn as docs/figures/tempe_spikes.svg; and the time of one scheduled run
   through the database for 50 areas and 5 years.

1. False alarms: the detector over 1,000 quiet synthetic series (a year of
   daily Poisson counts each, no spike; rates drawn from 0.05 to 1 report a day,
   the range of a ZIP code or a 2 km cell), counting flags.
2. Detection: 1,000 series with a spike injected (extra reports on three days
   in a row), counting the spikes found within those days.
3. Speed: 5 years of overdose reports for 50 areas (Poisson, rates 0.05 to 1.5
   a day, about 50,000 reports) written to the database, then the detector
   run over the whole history (every area and day, as
   `detect_overdose_spikes --since`) and once for "now" (the hourly task).

The database's overdose reports and areas are replaced; use a scratch database.
"""

import argparse
import datetime
import math
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
from django.utils import timezone  # noqa: E402

from haven.overdose import spikes  # noqa: E402
from haven.overdose.actions import do_detect_spikes, scan_history  # noqa: E402
from haven.overdose.models import Area, DrugAlert, OverdoseReport, SpikeFlag  # noqa: E402

QUIET_RATES = (0.05, 0.1, 0.2, 0.5, 1.0)


def poisson(rng, rate):
    limit, count, product = math.exp(-rate), 0, 1.0
    while True:
        product *= rng.random()
        if product < limit:
            return count
        count += 1


def false_alarms(detector, series=1000, days=365, seed=1):
    rng = random.Random(seed)
    warm_up = detector.history_days
    flagged_series, flags_by_method = 0, {spikes.THRESHOLD: 0, spikes.EWMA: 0}
    for _ in range(series):
        rate = rng.choice(QUIET_RATES)
        counts = [poisson(rng, rate) for _ in range(days + warm_up)]
        flags = spikes.scan(counts, detector, start=warm_up)
        flagged_series += bool(flags)
        for flag in flags:
            flags_by_method[flag.method] += 1
    area_days = series * days
    return {
        "series_with_a_flag": flagged_series / series,
        "flags_per_1000_area_days": 1000 * sum(flags_by_method.values()) / area_days,
        "by_method": flags_by_method,
    }


def detection(detector, extra_per_day, series=1000, seed=2):
    rng = random.Random(seed)
    found = 0
    for _ in range(series):
        rate = rng.choice(QUIET_RATES)
        counts = [poisson(rng, rate) for _ in range(120)]
        for day in (100, 101, 102):
            counts[day] += extra_per_day
        flags = spikes.scan(counts, detector, start=detector.history_days)
        found += any(100 <= flag.index <= 102 for flag in flags)
    return found / series


def load_reports(areas=50, years=5, seed=3):
    rng = random.Random(seed)
    OverdoseReport.objects.all().delete()
    SpikeFlag.objects.all().delete()
    DrugAlert.objects.filter(from_spike_detector=True).delete()
    Area.objects.filter(code__startswith="bench-").delete()
    area_rows = Area.objects.bulk_create(
        Area(code=f"bench-{n:02d}", name=f"Bench area {n:02d}", kind=Area.Kind.NEIGHBOURHOOD)
        for n in range(areas)
    )
    end = timezone.now().replace(minute=0, second=0, microsecond=0)
    days = 365 * years + 1
    start = end - datetime.timedelta(days=days)
    reports = []
    for area in area_rows:
        rate = rng.uniform(0.05, 1.5)
        for day in range(days):
            for _ in range(poisson(rng, rate)):
                reports.append(
                    OverdoseReport(
                        occurred_at=start
                        + datetime.timedelta(days=day, seconds=rng.uniform(0, 86_399)),
                        area=area,
                        reported_by=OverdoseReport.Reporter.IMPORTED,
                        source="bench",
                        source_ref=f"{area.code}-{len(reports)}",
                    )
                )
    OverdoseReport.objects.bulk_create(reports, batch_size=5000)
    return len(reports), start, end


def timed(function, repeat):
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return result, statistics.median(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--single-area", action="store_true", help="the older per-area figures")
    parser.add_argument("--scan-days", type=int, default=15)
    parser.add_argument("--injections", type=int, default=40)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not args.single_area:
        from bench import spike_scales

        spike_scales.run(args)
        return
    detector = spikes.DetectorSettings()
    print(f"Detector: {detector}")

    alarms = false_alarms(detector)
    print(
        "1,000 quiet series of 365 days: "
        f"{alarms['series_with_a_flag']:.1%} with at least one flag, "
        f"{alarms['flags_per_1000_area_days']:.2f} flags per 1,000 area-days "
        f"(threshold {alarms['by_method']['threshold']}, EWMA {alarms['by_method']['ewma']})"
    )
    for extra in (2, 3, 4):
        print(f"Spike of +{extra} a day for 3 days found in {detection(detector, extra):.1%}")

    count, start, end = load_reports()
    print(f"Loaded {count:,} reports for 50 areas, {start:%Y-%m-%d} to {end:%Y-%m-%d}")
    since, until = timezone.localdate(start), timezone.localdate(end)
    flags, median, worst = timed(lambda: scan_history(since, until, detector), args.repeat)
    print(
        f"Whole history (50 areas x {(until - since).days + 1} days): "
        f"median {median:.2f} s, worst {worst:.2f} s, {len(flags)} area-days flagged"
    )

    def one_run():
        SpikeFlag.objects.all().delete()
        DrugAlert.objects.filter(from_spike_detector=True).delete()
        return do_detect_spikes(end, detector=detector, notify=False)

    new_flags, median, worst = timed(one_run, args.repeat)
    print(
        f"One scheduled run (last 31 days, 50 areas): median {median * 1000:.0f} ms, "
        f"worst {worst * 1000:.0f} ms, {len(new_flags)} flagged now"
    )


if __name__ == "__main__":
    main()
