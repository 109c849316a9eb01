"""The CDC's Early Aberration Reporting System (EARS) C1, C2 and C3 on daily counts.

As Hutwagner et al. (2003) define them and ESSENCE runs them, for the count
x(t) of day t:

- C1: mean and standard deviation of the 7 days t-7 .. t-1;
  C1(t) = (x(t) - mean) / sd, flagged above 3;
- C2: the same over the 7 days t-9 .. t-3 (a 2-day guard band);
  C2(t) = (x(t) - mean) / sd, flagged above 3;
- C3: C3(t) = sum over i = 0, 1, 2 of max(0, C2(t - i) - 1), flagged above 2.

The standard deviation is the sample one (n - 1), floored at `min_sigma`: a
quiet area's baseline is all zeros and one report would otherwise be an
infinite deviation. Everything works on a 2-D array (one series a row) at once.
"""

import numpy as np

BASELINE_DAYS = 7
C1, C2, C3 = "ears_c1", "ears_c2", "ears_c3"
LIMITS = {C1: 3.0, C2: 3.0, C3: 2.0}
# Days of counts each method needs before the day under test.
HISTORY_DAYS = {C1: BASELINE_DAYS, C2: BASELINE_DAYS + 2, C3: BASELINE_DAYS + 4}


def _baseline_stats(counts, lag, min_sigma):
    """Mean and floored sd of the 7 days ending `lag` days before each day; NaN before."""
    counts = np.asarray(counts, dtype=float)
    rows, days = counts.shape
    mean = np.full((rows, days), np.nan)
    sigma = np.full((rows, days), np.nan)
    first = BASELINE_DAYS + lag - 1
    if days > first:
        windows = np.lib.stride_tricks.sliding_window_view(counts, BASELINE_DAYS, axis=1)
        # windows[:, j] covers days j .. j+6; day t uses j = t - 7 - (lag - 1).
        usable = windows[:, : days - first]
        mean[:, first:] = usable.mean(axis=2)
        sigma[:, first:] = np.maximum(usable.std(axis=2, ddof=1), min_sigma)
    return mean, sigma


def statistics(counts, min_sigma=0.5):
    """{method: (statistic, expected)} arrays shaped like `counts` (NaN where history is short).

    `expected` is the baseline mean: what the day "should" have had.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    mean1, sigma1 = _baseline_stats(counts, 1, min_sigma)
    mean2, sigma2 = _baseline_stats(counts, 3, min_sigma)
    c1 = (counts - mean1) / sigma1
    c2 = (counts - mean2) / sigma2
    excess = np.maximum(c2 - 1, 0)
    c3 = np.full_like(c2, np.nan)
    c3[:, 2:] = excess[:, 2:] + excess[:, 1:-1] + excess[:, :-2]
    return {C1: (c1, mean1), C2: (c2, mean2), C3: (c3, mean2)}
