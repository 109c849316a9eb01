"""Each method against small hand-worked series, and the scales working together."""

import math
import statistics

import numpy as np
import pytest

from haven.overdose import ears, multiscale, scanstat

BASELINE = [1, 2, 3, 1, 2, 3, 2]


def test_ears_c1_is_today_against_the_last_seven_days():
    # Mean 2, sample sd sqrt(4 / 6): C1 = (6 - 2) / 0.8165 = 4.899.
    stats = ears.statistics([BASELINE + [6]])
    c1, expected = (values[0, -1] for values in stats[ears.C1])
    assert expected == 2
    assert c1 == pytest.approx(4 / math.sqrt(4 / 6))
    assert np.isnan(stats[ears.C1][0][0, 6])  # 6 days of history: no statistic yet


def test_ears_c2_skips_the_two_days_before_today():
    # The two guard days (9, 9) stay out of the baseline.
    c2 = ears.statistics([BASELINE + [9, 9, 6]])[ears.C2][0][0, -1]
    assert c2 == pytest.approx(4 / math.sqrt(4 / 6))


def test_ears_c3_adds_the_excess_of_c2_over_three_days():
    series = [0, 1, 0, 2, 1, 0, 1, 1, 0, 3, 4, 5]
    c3 = ears.statistics([series], min_sigma=0.5)[ears.C3][0][0, -1]

    def c2(day):
        baseline = series[day - 9 : day - 2]
        sd = max(statistics.stdev(baseline), 0.5)
        return (series[day] - statistics.mean(baseline)) / sd

    assert c3 == pytest.approx(sum(max(0, c2(day) - 1) for day in (9, 10, 11)))


def test_ears_floors_the_standard_deviation_of_an_all_zero_baseline():
    c1 = ears.statistics([[0] * 7 + [1]], min_sigma=0.5)[ears.C1][0][0, -1]
    assert c1 == 2.0


def line_of_areas(count, spacing=0.02):
    """Areas in a row from west to east, about 1.9 km apart."""
    return [33.4] * count, [-111.9 + spacing * n for n in range(count)]


def test_scan_on_a_tiny_grid_matches_the_hand_worked_result():
    # Three areas, 40 days of one report a day each; area 0 has 4 more on each of the last 2 days.
    counts = np.ones((3, 40), dtype=int)
    counts[0, -2:] += 4
    latitudes, longitudes = line_of_areas(3)
    settings = scanstat.ScanSettings(max_window_days=5, max_areas=3, replications=99)
    best = scanstat.scan(counts, latitudes, longitudes, settings)[0]
    # C = 128; area 0 has 48, the last 2 days 14: mu = 48 * 14 / 128 = 5.25, n = 10.
    llr = 10 * math.log(10 / 5.25) + 118 * math.log(118 / (128 - 5.25))
    assert (best.areas, best.window_days, best.observed) == ((0,), 2, 10)
    assert best.expected == pytest.approx(5.25)
    assert best.llr == pytest.approx(llr)
    assert 0 < best.p_value <= 1


def test_a_strong_cluster_has_the_smallest_monte_carlo_p_value():
    counts = np.ones((3, 60), dtype=int)
    counts[1, -3:] += 10
    latitudes, longitudes = line_of_areas(3)
    best = scanstat.scan(counts, latitudes, longitudes)[0]
    assert best.areas == (1,)
    assert best.p_value == 1 / 1000
    assert best.recurrence_days == 1000


def test_no_cases_no_clusters():
    latitudes, longitudes = line_of_areas(3)
    assert scanstat.scan(np.zeros((3, 40), dtype=int), latitudes, longitudes) == []


def grid_program(rows=5, columns=5):
    areas = [
        (f"cell-{r}-{c}", f"Cell {r}-{c}", 33.4 + 0.02 * r, -111.9 + 0.02 * c)
        for r in range(rows)
        for c in range(columns)
    ]
    return areas, [("program", "Whole program", list(range(rows * columns)))]


def test_a_cluster_over_three_neighbouring_areas_is_found_as_one_cluster_and_one_spike():
    areas, regions = grid_program()
    rng = np.random.default_rng(13)
    counts = rng.poisson(0.2, (len(areas), 365))
    injected = [6, 7, 11]  # cell-1-1, cell-1-2 and cell-2-1: neighbours
    counts[injected, -3:] += 2
    result = multiscale.detect(counts, areas, regions)
    clusters = [signal for signal in result.signals if signal.scale == multiscale.CLUSTER]
    assert len(clusters) == 1
    [cluster] = clusters
    assert {areas[row][0] for row in injected} <= set(cluster.area_codes)
    assert len(cluster.area_codes) <= 4
    assert cluster.recurrence_days >= 100
    assert cluster.observed > cluster.expected
    assert len(multiscale.group_into_spikes(result.signals)) == 1


def test_quiet_grid_raises_no_cluster():
    areas, regions = grid_program()
    counts = np.random.default_rng(5).poisson(0.2, (len(areas), 365))
    result = multiscale.detect(counts, areas, regions)
    assert [s for s in result.signals if s.scale == multiscale.CLUSTER] == []


def test_flags_say_why():
    areas, regions = grid_program(1, 3)
    counts = np.zeros((3, 60), dtype=int)
    counts[0, -1] = 6
    [signal, *_others] = multiscale.detect(counts, areas, regions).signals
    assert (signal.scale, signal.key, signal.method) == ("area", "area:cell-0-0", "threshold")
    assert (signal.window_days, signal.observed, signal.expected) == (1, 6, 0)
    assert signal.recurrence_days > 1000


def test_overlapping_flags_are_one_spike_and_separate_ones_are_not():
    def signal(scale, codes):
        return multiscale.Signal(scale, f"{scale}:{codes}", "x", codes, "m", 1, 5, 1.0, 4.0, 10.0)

    north, south = signal("area", ("a",)), signal("area", ("z",))
    cluster = signal("cluster", ("a", "b"))
    assert len(multiscale.group_into_spikes([north, south, cluster])) == 2
    region = signal("region", ("a", "b", "z"))
    [spike] = multiscale.group_into_spikes([north, south, cluster, region])
    assert set(spike) == {north, south, cluster, region}


def test_short_history_says_so_and_runs_what_can_run():
    areas, regions = grid_program(1, 3)
    counts = np.zeros((3, 10), dtype=int)
    counts[0, -1] = 6
    result = multiscale.detect(counts, areas, regions + [("empty", "Nowhere", [])])
    assert [s.method for s in result.signals if s.scale == "area"] == ["threshold"]
    assert any("EWMA needs" in note for note in result.notes)
    assert any("Nowhere has no areas" in note for note in result.notes)
    assert any("scan" in note and "did not run" in note for note in result.notes)


def test_an_area_with_no_history_is_zeros_not_a_gap():
    areas, regions = grid_program(1, 3)
    counts = np.zeros((3, 60), dtype=int)
    counts[1, -1] = 1
    assert multiscale.detect(counts, areas, regions).signals == []
