"""Multi-scale spike detection: measured false alarms, detection, Tempe and speed.

Run through bench/spike_detection.py (see its docstring).
"""

import csv
import datetime
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pygal

from haven.core import charts
from haven.overdose import ears, multiscale, spikes
from haven.overdose.actions import do_detect_spikes, history_days
from haven.overdose.importing import grid_cell, grid_centre
from haven.overdose.models import Area, DrugAlert, SpikeFlag

ROOT = Path(__file__).resolve().parent.parent
TEMPE = ROOT.parent / "shared" / "data" / "tempe_opioid_calls.csv"
FIGURE = ROOT / "docs" / "figures" / "tempe_spikes.svg"
SETTINGS = multiscale.MultiscaleSettings()
PER_SERIES = (spikes.THRESHOLD, spikes.EWMA, ears.C1, ears.C2, ears.C3, multiscale.HISTORICAL)
# Weekly shape of the Tempe calls (Monday first), scaled to a mean of 1, and a
# seasonal swing of +-25 % peaking in July, as in the real series.
WEEKLY = np.array([0.95, 0.95, 0.95, 0.95, 1.0, 1.1, 1.1])


def simulated_program(rng, days, rows=10, columns=5):
    """counts[area, day] with no spike, and the areas: 50 cells on a 2 km grid."""
    areas = [
        (f"cell-{r}-{c}", f"Cell {r}-{c}", 33.4 + 0.02 * r, -111.95 + 0.02 * c)
        for r in range(rows)
        for c in range(columns)
    ]
    base = rng.uniform(0.02, 0.3, len(areas))  # Tempe's cells: 0.001 to 0.11 a day
    day = np.arange(days)
    shape = WEEKLY[day % 7] / WEEKLY.mean() * (1 + 0.25 * np.cos(2 * np.pi * (day - 190) / 365))
    counts = rng.poisson(base[:, None] * shape[None, :])
    regions = [
        ("program", "Whole program", list(range(len(areas)))),
        ("north", "North half", list(range(len(areas) // 2))),
    ]
    return counts, areas, regions


def per_series_flags(series, methods, history):
    """{method: set of flagged day indices} for one series from day `history` on."""
    settings = replace(SETTINGS, area_methods=methods, region_methods=methods)
    flags = {method: set() for method in methods}
    for today in range(history, len(series)):
        for found in multiscale.series_signals(series[: today + 1], methods, settings, today):
            flags[found[0]].add(today)
    return flags


def false_alarms(seed=1, years=1, scan_days=15):
    rng = np.random.default_rng(seed)
    history = 365
    counts, areas, regions = simulated_program(rng, history + 365 * years)
    per_year = {}
    for scale, rows_list in (
        ("area", [[row] for row in range(len(areas))]),
        ("region", [rows for _c, _n, rows in regions]),
    ):
        totals = dict.fromkeys(PER_SERIES, 0)
        for rows in rows_list:
            series = counts[rows].sum(axis=0)
            for method, days in per_series_flags(series, PER_SERIES, history).items():
                totals[method] += len(days)
        for method, total in totals.items():
            per_year[(scale, method)] = total / len(rows_list) / years
    settings = replace(SETTINGS, area_methods=(), region_methods=())
    flagged = 0
    for today in range(len(counts[0]) - scan_days, len(counts[0])):
        result = multiscale.detect(counts[:, : today + 1], areas, [], settings, today)
        flagged += any(signal.scale == "cluster" for signal in result.signals)
    per_year[("cluster", "scan")] = flagged / scan_days * 365
    return per_year


def detection(injections=40, seed=2, extra=2):
    """Share found and mean days to detection of +extra a day for 3 days in 3 neighbours."""
    rng = np.random.default_rng(seed)
    found = {}
    for _ in range(injections):
        counts, areas, regions = simulated_program(rng, 400)
        centre = int(rng.integers(0, 9)) * 5 + int(rng.integers(0, 4))
        rows = [centre, centre + 1, centre + 5]  # an L of three neighbouring cells
        start = 395
        counts[rows, start : start + 3] += extra
        for scale, series_rows in (("area", None), ("region", regions[0][2])):
            for method in PER_SERIES:
                day = None
                candidates = [series_rows] if series_rows else [[row] for row in rows]
                for offset in range(3):
                    today = start + offset
                    for member in candidates:
                        series = counts[member].sum(axis=0)[: today + 1]
                        settings = replace(
                            SETTINGS, area_methods=(method,), region_methods=(method,)
                        )
                        if multiscale.series_signals(series, (method,), settings, today):
                            day = offset + 1 if day is None else day
                    if day:
                        break
                found.setdefault((scale, method), []).append(day)
        settings = replace(SETTINGS, area_methods=(), region_methods=())
        day = None
        for offset in range(3):
            today = start + offset
            result = multiscale.detect(counts[:, : today + 1], areas, [], settings, today)
            if any(
                signal.scale == "cluster" and {areas[r][0] for r in rows} & set(signal.area_codes)
                for signal in result.signals
            ):
                day = offset + 1
                break
        found.setdefault(("cluster", "scan"), []).append(day)
    return {
        key: (
            sum(day is not None for day in days) / len(days),
            statistics.mean([day for day in days if day]) if any(days) else None,
        )
        for key, days in found.items()
    }


def tempe_matrix():
    with TEMPE.open(newline="") as file:
        rows = list(csv.DictReader(file))
    first = min(datetime.date.fromisoformat(row["incident_date"]) for row in rows)
    last = max(datetime.date.fromisoformat(row["incident_date"]) for row in rows)
    cells = [grid_cell(float(row["latitude"]), float(row["longitude"]))[0] for row in rows]
    codes = sorted(set(cells))
    row_of = {code: index for index, code in enumerate(codes)}
    counts = np.zeros((len(codes), (last - first).days + 1), dtype=np.int64)
    for row, cell in zip(rows, cells, strict=True):
        counts[row_of[cell], (datetime.date.fromisoformat(row["incident_date"]) - first).days] += 1
    areas = [(code, code, *grid_centre(code)) for code in codes]
    return counts, areas, first


def tempe(scan_days):
    """Days flagged by each default method and scale in the Tempe file, and the chart."""
    counts, areas, first = tempe_matrix()
    city = counts.sum(axis=0)
    flagged = {}
    for method in SETTINGS.region_methods:
        days = per_series_flags(city, (method,), 30)[method]
        flagged[("region", method)] = sorted(days)
    for method in SETTINGS.area_methods:
        days = set()
        for row in range(len(areas)):
            days |= per_series_flags(counts[row], (method,), 30)[method]
        flagged[("area", method)] = sorted(days)
    # The scan on the busiest days of the city (each run takes seconds).
    scan_days_checked = sorted(np.argsort(-city, kind="stable")[:scan_days])
    settings = replace(SETTINGS, area_methods=(), region_methods=())
    flagged[("cluster", "scan")] = [
        int(day)
        for day in scan_days_checked
        if multiscale.detect(counts[:, : day + 1], areas, [], settings, int(day)).signals
    ]
    chart(city, flagged, first)
    busiest = [int(day) for day in np.flatnonzero(city == city.max())]
    union = set().union(*flagged.values())
    return flagged, busiest, union, first


def chart(city, flagged, first):
    weekly = [int(city[start : start + 7].sum()) for start in range(0, len(city), 7)]
    plot = pygal.XY(
        title="Tempe EMS opioid calls: weekly total and days the defaults flag",
        x_title="weeks since 2017-01-03",
        y_title="calls",
        show_dots=True,
        dots_size=2,
        width=1000,
        height=400,
        show_legend=True,
        style=charts.style(),  # Haven's one chart theme
        js=[],  # no third-party script in a committed figure
    )
    plot.add(
        "calls a week", [(index, value) for index, value in enumerate(weekly)], show_dots=False
    )
    for (scale, method), days in flagged.items():
        if days:
            plot.add(
                f"{scale} {method}",
                [(day / 7, int(city[day // 7 * 7 : day // 7 * 7 + 7].sum())) for day in days],
                stroke=False,
            )
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    FIGURE.write_bytes(plot.render())


def timed_run(load_reports, repeat):
    count, _start, end = load_reports()
    print(f"Loaded {count:,} reports for 50 areas over 5 years; history {history_days(end)} days")
    # Give the bench areas centres on a grid, so that the scan runs on all of them.
    for index, area in enumerate(Area.objects.filter(code__startswith="bench-").order_by("code")):
        area.latitude, area.longitude = 33.4 + 0.02 * (index // 5), -111.95 + 0.02 * (index % 5)
        area.save(update_fields=["latitude", "longitude"])
    times = []
    for _ in range(repeat):
        SpikeFlag.objects.all().delete()
        DrugAlert.objects.filter(from_spike_detector=True).delete()
        began = time.perf_counter()
        flags = do_detect_spikes(end, notify=False)
        times.append(time.perf_counter() - began)
    print(
        f"One scheduled run (every area, every region, the scan with {SETTINGS.scan.replications} "
        f"replications): median {statistics.median(times):.2f} s, worst {max(times):.2f} s, "
        f"{len(flags)} flags"
    )


def run(args):
    from bench.spike_detection import load_reports

    print(f"Defaults: {SETTINGS}")
    began = time.perf_counter()
    rates = false_alarms(scan_days=args.scan_days)
    print("False alarms a year per series, simulated programs with no spike:")
    for (scale, method), rate in sorted(rates.items()):
        print(f"  {scale:8} {method:10} {rate:7.2f}")
    found = detection(args.injections)
    print(f"Injected clusters (+2 a day for 3 days in 3 neighbouring cells), {args.injections}:")
    for (scale, method), (share, days) in sorted(found.items()):
        shown = f"{days:.1f}" if days else "-"
        print(f"  {scale:8} {method:10} found {share:6.1%}  mean day of detection {shown}")
    flagged, busiest, union, first = tempe(args.scan_days)
    print("Tempe file, days each default method flags:")
    for (scale, method), days in flagged.items():
        dates = ", ".join(str(first + datetime.timedelta(days=day)) for day in days)
        print(f"  {scale} {method} ({len(days)}): {dates}")
    missed = [str(first + datetime.timedelta(days=day)) for day in busiest if day not in union]
    print(f"Busiest days flagged: {len(busiest) - len(missed)} of {len(busiest)}; missed {missed}")
    print(f"(simulation and Tempe took {time.perf_counter() - began:.0f} s)")
    timed_run(load_reports, args.repeat)
