"""Prospective space-time permutation scan statistic (Kulldorff et al. 2005), as SaTScan runs it.

Input: counts[area, day] over a study period (oldest day first, the last day
is "today") and each area's centroid. The scan looks at every cylinder whose
base is an area and its nearest neighbours by centroid distance (up to
`max_areas` areas within `max_radius_km`) and whose height is a window of the
last 1 .. `max_window_days` days, ending today (prospective: only clusters
still going on).

Expected counts come from the space-time marginals, with no population
needed: mu(zone, window) = C(zone) * C(window) / C, where C(zone) is every case
of the study period in the zone, C(window) every case in the window anywhere,
and C all cases. The statistic of a cylinder with n cases is the Poisson
generalised likelihood ratio

    GLR = (n / mu)^n * ((C - n) / (C - mu))^(C - n)      when n > mu,

kept as its logarithm (LLR). The most likely cluster has the largest LLR. Its
p-value is Monte Carlo: the case dates are shuffled among the cases
(`replications` times; 999 as SaTScan's default), which keeps both marginals,
and the rank of the real LLR among the largest LLR of each shuffle is the
p-value. Secondary clusters (not overlapping a stronger one) are ranked
against the same distribution, as SaTScan does. A daily analysis turns a
p-value into a recurrence interval of 1 / p days: "a cluster this strong would
happen by chance once in N days".

Only the shuffled dates that land in the last `max_window_days` change any
cylinder's count, so each shuffle bins those cases only, all shuffles at once
with numpy.
"""

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class ScanSettings:
    max_window_days: int = 30
    max_areas: int = 10
    max_radius_km: float = 5.0
    replications: int = 999
    # A cluster needs at least this many cases to be reported at all.
    min_cases: int = 3


@dataclass(frozen=True)
class Cluster:
    areas: tuple  # area indices, the centre first
    window_days: int
    observed: int
    expected: float
    llr: float
    p_value: float

    @property
    def recurrence_days(self):
        """With one analysis a day, how often a cluster this strong happens by chance."""
        return 1 / self.p_value


def distances_km(latitudes, longitudes):
    """Great-circle distances between every pair of centroids (haversine)."""
    lat = np.radians(np.asarray(latitudes, dtype=float))
    lon = np.radians(np.asarray(longitudes, dtype=float))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def zones(latitudes, longitudes, settings):
    """neighbours[centre, k]: the k-th nearest area to each centre (-1 past the radius)."""
    distance = distances_km(latitudes, longitudes)
    size = min(settings.max_areas, len(distance))
    # Ties broken by index, so that a result does not depend on sort stability.
    order = np.lexsort((np.broadcast_to(np.arange(len(distance)), distance.shape), distance))
    neighbours = order[:, :size]
    reach = np.take_along_axis(distance, neighbours, axis=1)
    return np.where(reach <= settings.max_radius_km, neighbours, -1)


class _LogLikelihood:
    """Log of the Poisson GLR of cylinders with fixed expected counts, for many observed counts.

    LLR = n ln n - n ln mu + (C - n) ln(C - n) - (C - n) ln(C - mu) when n > mu, else 0;
    n ln n is looked up in a table, since n is a whole number no larger than C.
    """

    def __init__(self, expected, total):
        self.expected = expected
        self.total = total
        whole = np.arange(total + 1, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.x_log_x = np.where(whole > 0, whole * np.log(whole), 0.0)
            # Where mu is 0 (or C - mu is), n is 0 (or C - n is): the term is 0.
            self.log_mu = np.where(expected > 0, np.log(expected), 0.0)
            self.log_rest = np.where(total > expected, np.log(total - expected), 0.0)

    def __call__(self, observed):
        rest = self.total - observed
        value = (
            self.x_log_x[observed]
            + self.x_log_x[rest]
            - observed * self.log_mu
            - rest * self.log_rest
        )
        return np.where(observed > self.expected, value, 0.0)


def _cylinder_counts(recent, neighbours):
    """counts[..., centre, k, window] for zones of the k+1 nearest and windows of w+1 days.

    `recent[..., area, d]` is the last days' counts with d = 0 today.
    """
    by_window = np.cumsum(recent, axis=-1)
    padded = np.concatenate([by_window, np.zeros_like(by_window[..., :1, :])], axis=-2)
    # -1 (past the radius) picks the zero row, so the zone stops growing.
    return np.cumsum(padded[..., neighbours, :], axis=-2)


def scan(counts, latitudes, longitudes, settings=ScanSettings(), rng=None):
    """Clusters not overlapping a stronger one, strongest first, with Monte Carlo p-values."""
    counts = np.asarray(counts, dtype=np.int64)
    areas, days = counts.shape
    total = int(counts.sum())
    window = min(settings.max_window_days, days)
    if total == 0 or areas == 0:
        return []
    neighbours = zones(latitudes, longitudes, settings)
    valid = neighbours >= 0
    by_area = counts.sum(axis=1)
    by_day_recent = counts[:, ::-1][:, :window].sum(axis=0)  # d = 0 today
    zone_total = np.cumsum(np.where(valid, by_area[np.maximum(neighbours, 0)], 0), axis=1)
    window_total = np.cumsum(by_day_recent)
    expected = zone_total[:, :, None] * window_total[None, None, :] / total

    recent = counts[:, ::-1][:, :window]
    observed = _cylinder_counts(recent, neighbours)
    log_likelihood = _LogLikelihood(expected, total)
    llr = log_likelihood(observed)
    llr[~valid[:, :, None] | (observed < settings.min_cases)] = 0

    null_max = _null_maxima(counts, neighbours, valid, log_likelihood, window, settings, rng)
    found = []
    taken = set()
    for flat in np.argsort(llr, axis=None)[::-1]:
        centre, k, w = np.unravel_index(flat, llr.shape)
        if llr[centre, k, w] <= 0:
            break
        members = tuple(int(area) for area in neighbours[centre, : k + 1])
        if taken & set(members):
            continue
        taken |= set(members)
        rank = 1 + int((null_max >= llr[centre, k, w]).sum())
        found.append(
            Cluster(
                areas=members,
                window_days=int(w) + 1,
                observed=int(observed[centre, k, w]),
                expected=float(expected[centre, k, w]),
                llr=float(llr[centre, k, w]),
                p_value=rank / (settings.replications + 1),
            )
        )
    return found


def _null_maxima(counts, neighbours, valid, log_likelihood, window, settings, rng):
    """The largest LLR of each of `replications` shuffles of the case dates."""
    rng = rng if rng is not None else np.random.default_rng(20050101)
    areas, days = counts.shape
    total = log_likelihood.total
    # One entry per case: its area and its day (0 = today).
    case_area = np.repeat(np.arange(areas), counts.sum(axis=1))
    case_day = np.concatenate([np.repeat(np.arange(days)[::-1], row) for row in counts])
    maxima = np.empty(settings.replications)
    # Shuffles in batches, to keep memory small with many cases.
    batch = max(1, min(settings.replications, 4_000_000 // max(total, 1)))
    done = 0
    while done < settings.replications:
        size = min(batch, settings.replications - done)
        shuffled = rng.permuted(np.broadcast_to(case_day, (size, total)), axis=1)
        replicate, case = np.nonzero(shuffled < window)
        bins = (replicate * areas + case_area[case]) * window + shuffled[replicate, case]
        recent = np.bincount(bins, minlength=size * areas * window).reshape(size, areas, window)
        observed = _cylinder_counts(recent, neighbours)
        llr = log_likelihood(observed)
        llr[:, ~valid] = 0
        llr[observed < settings.min_cases] = 0
        maxima[done : done + size] = llr.reshape(size, -1).max(axis=1)
        done += size
    return maxima
