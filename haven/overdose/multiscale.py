"""Spike detection on several scales at once, and the grouping of its flags into spikes.

Scales (docs/overdose.md says which methods run on which by default, and why):

- every area: its own daily series;
- every region (a group of areas a program defines; the whole program is one):
  the sum of its areas' series;
- clusters of neighbouring areas of any size: the prospective space-time
  permutation scan (scanstat.py) over the areas with a known centre.

Each flag says why: scale, areas, window, observed against expected, method
and a recurrence interval. Flags whose areas overlap are one spike, so that a
city-wide rise and the cluster inside it become one alert with both facts.

Plain numpy on a matrix counts[area, day] (the last day is the 24 hours under
test); no database here, so that it can be tested and benchmarked alone.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from . import ears, scanstat, spikes

AREA, REGION, CLUSTER = "area", "region", "cluster"
SCAN = "scan"
# Today against a Poisson with the daily mean of the last year (before the
# guard band): finds a surge that the 28-day and 7-day baselines rise with.
HISTORICAL = "historical"


@dataclass(frozen=True)
class MultiscaleSettings:
    per_series: spikes.DetectorSettings = spikes.DetectorSettings()
    scan: scanstat.ScanSettings = scanstat.ScanSettings()
    # Methods that run on each scale's series (chosen from bench/spike_detection.py).
    area_methods: tuple = (spikes.THRESHOLD, spikes.EWMA)
    region_methods: tuple = (HISTORICAL, spikes.EWMA)
    historical_days: int = 365
    # The historical rule flags a day that would happen by chance less than
    # once in this many days.
    historical_recurrence_days: float = 365.0
    run_scan: bool = True
    # A cluster flags when it would happen by chance less than once in this many days.
    scan_recurrence_days: float = 365.0
    # Days of history the scan compares today against (its study period).
    scan_study_days: int = 365
    ears_min_sigma: float = 0.5
    # EARS never flags a day with fewer reports than this (one report in a quiet
    # series is 2 standard deviations of nothing).
    ears_min_count: int = 3

    @property
    def days_needed(self):
        return max(self.per_series.history_days + 1, self.scan_study_days)


@dataclass(frozen=True)
class Signal:
    scale: str
    key: str  # "area:<code>", "region:<code>", "cluster:<codes>"
    name: str
    area_codes: tuple
    method: str
    window_days: int
    observed: int
    expected: float
    statistic: float
    recurrence_days: float | None
    region_code: str | None = None


@dataclass
class Result:
    signals: list = field(default_factory=list)
    # What could not run, and why: a region with no areas, too short a history.
    notes: list = field(default_factory=list)


def normal_recurrence(z):
    """1 / P(Z >= z) for a standard normal Z: nominal days between chance flags this strong."""
    tail = 0.5 * math.erfc(z / math.sqrt(2))
    return math.inf if tail == 0 else 1 / tail


def poisson_recurrence(count, mean):
    """1 / P(X >= count) for X Poisson with this mean."""
    mean = max(mean, 1e-9)
    below = sum(math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1)) for k in range(count))
    tail = max(1.0 - below, 0.0)
    return math.inf if tail == 0 else 1 / tail


def series_signals(series, methods, settings, history_days):
    """(method, window days, observed, expected, statistic, recurrence) for the last day."""
    detector = settings.per_series
    today = len(series) - 1
    count = int(series[today])
    found = []
    # The per-area rules look back history_days at most: hand them only that.
    recent = [int(value) for value in series[-(detector.history_days + 1) :]]
    flag = spikes.evaluate_day(recent, len(recent) - 1, detector)
    if flag is not None and flag.method in methods:
        if flag.method == spikes.THRESHOLD:
            recurrence = poisson_recurrence(count, flag.baseline_mean)
        else:
            recurrence = normal_recurrence(flag.statistic)
        found.append((flag.method, 1, count, flag.baseline_mean, flag.statistic, recurrence))
    if HISTORICAL in methods and count >= settings.ears_min_count:
        guard = detector.guard_days
        # Before the program's first report there is no history, not zeros.
        reach = min(settings.historical_days, history_days - guard)
        baseline = series[max(0, today - guard - reach) : today - guard]
        if history_days >= detector.history_days and len(baseline):
            mean = float(np.mean(baseline))
            recurrence = poisson_recurrence(count, mean)
            if recurrence >= settings.historical_recurrence_days:
                found.append((HISTORICAL, 1, count, mean, recurrence, recurrence))
    wanted = [method for method in methods if method in ears.LIMITS]
    if wanted and count >= settings.ears_min_count:
        recent = np.asarray(series[-(ears.HISTORY_DAYS[ears.C3] + 1) :], dtype=float)
        stats = ears.statistics(recent[None, :], settings.ears_min_sigma)
        for method in wanted:
            if history_days < ears.HISTORY_DAYS[method]:
                continue
            statistic, expected = (float(values[0, -1]) for values in stats[method])
            if statistic > ears.LIMITS[method]:
                window = 3 if method == ears.C3 else 1
                found.append(
                    (method, window, count, expected, statistic, normal_recurrence(statistic))
                )
    return found


def detect(counts, areas, regions, settings=MultiscaleSettings(), history_days=None, rng=None):
    """Every signal for the last day of `counts`.

    `areas`: one (code, name, latitude, longitude) per row of counts, the
    centre None when not known. `regions`: (code, name, row indices).
    `history_days`: how many days of reports the program has before the day
    under test (methods that need more do not run, and a note says so).
    """
    counts = np.asarray(counts, dtype=np.int64)
    days = counts.shape[1] if counts.ndim == 2 else 0
    history_days = days - 1 if history_days is None else min(history_days, days - 1)
    result = Result()
    codes = [area[0] for area in areas]
    if history_days < settings.per_series.history_days:
        result.notes.append(
            f"Only {history_days} days of history: the EWMA needs "
            f"{settings.per_series.history_days}; the threshold and EARS (7 to 11 days) run."
        )

    for row, (code, name, _lat, _lon) in enumerate(areas):
        for method, window, observed, expected, statistic, recurrence in series_signals(
            counts[row], settings.area_methods, settings, history_days
        ):
            result.signals.append(
                Signal(AREA, f"area:{code}", name, (code,), method, window, observed,
                       expected * window, statistic, recurrence)
            )  # fmt: skip

    for region_code, region_name, rows in regions:
        if not rows:
            result.notes.append(f"Region {region_name} has no areas: nothing to watch there.")
            continue
        for method, window, observed, expected, statistic, recurrence in series_signals(
            counts[list(rows)].sum(axis=0), settings.region_methods, settings, history_days
        ):
            result.signals.append(
                Signal(REGION, f"region:{region_code}", region_name,
                       tuple(sorted(codes[row] for row in rows)), method, window, observed,
                       expected * window, statistic, recurrence, region_code)
            )  # fmt: skip

    if settings.run_scan:
        result.signals.extend(_scan_signals(counts, areas, settings, history_days, result, rng))
    result.signals = strongest_per_key(result.signals)
    return result


def strongest_per_key(signals):
    """One signal per thing flagged (an area, a region, a cluster): the rarest by chance."""
    strongest = {}
    for signal in signals:
        kept = strongest.get(signal.key)
        if kept is None or (signal.recurrence_days or 0) > (kept.recurrence_days or 0):
            strongest[signal.key] = signal
    return list(strongest.values())


def _scan_signals(counts, areas, settings, history_days, result, rng):
    located = [row for row, area in enumerate(areas) if area[2] is not None and area[3] is not None]
    if len(located) < len(areas):
        result.notes.append(
            f"{len(areas) - len(located)} area(s) have no centre and are left out of the scan."
        )
    study = min(settings.scan_study_days, history_days + 1)
    if study <= settings.scan.max_window_days or len(located) < 2:
        result.notes.append(
            "The space-time scan needs more history than its longest window, "
            "and two areas with a centre; it did not run."
        )
        return []
    clusters = scanstat.scan(
        counts[located][:, -study:],
        [areas[row][2] for row in located],
        [areas[row][3] for row in located],
        settings.scan,
        rng,
    )
    signals = []
    for cluster in clusters:
        if cluster.recurrence_days < settings.scan_recurrence_days:
            break  # strongest first: the rest are weaker still
        members = tuple(areas[located[index]][0] for index in cluster.areas)
        names = ", ".join(areas[located[index]][1] for index in cluster.areas)
        signals.append(
            Signal(CLUSTER, "cluster:" + ",".join(sorted(members)), names, members, SCAN,
                   cluster.window_days, cluster.observed, cluster.expected, cluster.llr,
                   cluster.recurrence_days)
        )  # fmt: skip
    return signals


def group_into_spikes(signals):
    """Signals whose areas overlap, as lists: one list per spike, one alert per list."""
    groups = []  # (set of area codes, [signals])
    for signal in signals:
        codes = set(signal.area_codes)
        touching = [group for group in groups if group[0] & codes]
        merged_codes, merged = codes, [signal]
        for group in touching:
            merged_codes |= group[0]
            merged = group[1] + merged
            groups.remove(group)
        groups.append((merged_codes, merged))
    return [members for _codes, members in groups]
