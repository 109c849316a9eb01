"""Overdose spike detection over daily counts of reports per area.

Two rules, either of which flags an area for a day (docs/overdose.md explains
the choice of parameters and what they find on synthetic and real data):

- threshold, as ODMAP's spike alerts work: at least `threshold` reports in
  the 24 hours under test;
- EWMA, the kind of detector CDC's ESSENCE runs on sparse daily counts: the
  mean and standard deviation of a 28-day baseline that ends two days before
  the day under test (the "guard band", so that the start of a spike does not
  hide in its own baseline), an exponentially weighted moving average of the
  guard days and the day under test started at the baseline mean, and a flag
  when that average is more than `z_limit` of its own standard deviations
  above the baseline mean, on a day with at least `min_count` reports.

Everything here is plain arithmetic on lists of counts, oldest first, so that
it can be tested on synthetic series without a database.
"""

import math
from dataclasses import dataclass

THRESHOLD = "threshold"
EWMA = "ewma"


@dataclass(frozen=True)
class DetectorSettings:
    # Reports in one area in 24 hours that flag it whatever its history.
    threshold: int = 6
    baseline_days: int = 28
    guard_days: int = 2
    # The EWMA weight of the newest day (ESSENCE uses 0.4).
    smoothing: float = 0.4
    # How far above the baseline, in standard deviations of the EWMA, flags.
    z_limit: float = 4.5
    # A floor under the baseline's standard deviation: in a quiet area the
    # baseline is all zeros and any report would otherwise be "infinitely" unusual.
    min_sigma: float = 0.8
    # The EWMA rule never flags a day with fewer reports than this.
    min_count: int = 3

    @property
    def history_days(self):
        """Days of counts needed before the day under test."""
        return self.baseline_days + self.guard_days


@dataclass(frozen=True)
class Flag:
    index: int  # position of the flagged day in the series
    count: int
    method: str
    statistic: float
    baseline_mean: float


def evaluate_day(counts, index, settings=DetectorSettings()):
    """The flag for counts[index], or None. Needs `history_days` of counts before it."""
    count = counts[index]
    start = index - settings.history_days
    if start < 0:
        baseline = None
    else:
        baseline = counts[start : start + settings.baseline_days]
    mean = sum(baseline) / len(baseline) if baseline else 0.0
    if count >= settings.threshold:
        return Flag(index, count, THRESHOLD, float(count), mean)
    if baseline is None or count < settings.min_count:
        return None
    variance = sum((value - mean) ** 2 for value in baseline) / (len(baseline) - 1)
    sigma = max(math.sqrt(variance), settings.min_sigma)
    smoothed = mean
    for value in counts[index - settings.guard_days : index + 1]:
        smoothed = settings.smoothing * value + (1 - settings.smoothing) * smoothed
    ewma_sigma = sigma * math.sqrt(settings.smoothing / (2 - settings.smoothing))
    statistic = (smoothed - mean) / ewma_sigma
    if statistic > settings.z_limit:
        return Flag(index, count, EWMA, statistic, mean)
    return None


def scan(counts, settings=DetectorSettings(), start=0):
    """Every flagged day of a series from `start` on, as a list of Flags."""
    flags = []
    for index in range(start, len(counts)):
        flag = evaluate_day(counts, index, settings)
        if flag is not None:
            flags.append(flag)
    return flags
