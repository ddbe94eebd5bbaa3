"""Tests that a hand mutation analysis of the defended statistics found missing (task hEW).

Each test fails on one small, plausible mutant of ``pipeline/hotspots``, ``pipeline/model`` or
``pipeline/evaluate`` that left every other test passing (an off-by-one in a rank or a window,
``<`` for ``<=``, a one-sided p, the pseudo p without its ``+ 1``, a missing value read as
0...).  Each checks a value against an independent reference: a hand computation on a tiny
case, scipy's ``kendalltau``, the exact conditional p, or the rule the docstring states.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _stats import QUARTERLY_COUNTS, one_factor_events
from scipy import sparse, stats

from pipeline import grid
from pipeline.errors import InputError
from pipeline.evaluate import (
    BacktestOptions,
    backtest_origins,
    capture_curve,
    ranking_metrics,
    reliability,
    rolling_back_test,
)
from pipeline.evaluate.baselines import baseline_methods, events_to_counts
from pipeline.grid import cell_area_km2, points_to_cells
from pipeline.hotspots import (
    CATEGORIES,
    GI_BIN,
    GI_P_ADJUSTED,
    GI_P_SIM,
    FittedCoefficients,
    SpaceTimeCube,
    bootstrap_summary,
    breaks_classifier,
    cell_counts,
    cells_to_weights,
    classify_emerging,
    counts_statistic,
    density_risk_statistic,
    emerging_hotspots,
    exact_p,
    fitted_risk_statistic,
    gi_star,
    gi_summary,
    mann_kendall,
    permutation_p,
    space_time_cube,
    window_variance_ratio,
)
from pipeline.hotspots._emerging import HOT_PERIODS, TREND, TREND_P
from pipeline.hotspots._gistar import tail_side
from pipeline.model import FittedModel, FittedOptions, build_lagged_features
from pipeline.score import classify, normalise


def _disk(rings: int, res: int = 6) -> np.ndarray:
    return np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], res), rings))


# --------------------------------------------------------------------------- Gi*, pseudo p


def test_pseudo_p_of_a_sum_no_draw_reaches_is_one_over_permutations_plus_one():
    """``p_sim = (#extreme + 1) / (P + 1)``: its floor is ``1/(P+1)``, never 0 or ``1/P``.

    The six neighbours of the centre hold the only non-zero values of 37 cells: a draw of six
    other cells reaches their sum only by drawing exactly them (1 in C(36, 6) = 1.9 M), so
    none of the 99 draws does and the folded count is 0.  The observation counts as one of
    the permutations (Davison & Hinkley 1997; esda's ``p_sim``): p = 1/100.
    """
    cells = _disk(3)
    w = cells_to_weights(cells, k_rings=1)
    centre = grid.points_to_cells([10.0], [40.0], 6)[0]
    i = int(np.searchsorted(w.cells, centre))
    ring = w.matrix.indices[w.matrix.indptr[i] : w.matrix.indptr[i + 1]]
    values = np.zeros(w.cells.size)
    values[ring[ring != i]] = 10.0
    p = permutation_p(w.matrix, values, 99, seed=3)
    assert p[i] == pytest.approx(1.0 / 100.0, abs=1e-15)
    assert p.min() >= 1.0 / 100.0 - 1e-15  # no cell below the floor
    frame = gi_star(w.cells, values, {"permutations": 99, "p_value": "permutation", "seed": 3})
    assert frame[GI_P_SIM].to_numpy()[i] == pytest.approx(1.0 / 100.0, abs=1e-15)
    assert frame[GI_P_SIM].min() >= 1.0 / 100.0 - 1e-15


def test_tail_side_keeps_the_fallback_where_the_two_tails_are_equal():
    """Equal tails (a sum at the median of its distribution) take no side from the tails."""
    side = tail_side([0.5, 0.01, 0.9, 0.6], [0.5, 0.9, 0.01, 0.6], [-1.0, 1.0, -1.0, 0.0])
    np.testing.assert_array_equal(side, [-1.0, -1.0, 1.0, 0.0])


def test_cell_counts_leave_out_events_in_cells_outside_the_study_area():
    """An event in a cell that is not among ``cells`` is not counted in any of them."""
    cells = _disk(2)
    inside, outside = cells[[3, 10]], np.setdiff1d(_disk(3), cells)
    # ids sorted: an outside id between two inside ids lands on the next one if not matched
    between = outside[(outside > cells[0]) & (outside < cells[-1])]
    assert between.size
    events = np.concatenate([inside, inside[:1], between[:2], outside[-1:]])
    counts = cell_counts(events, cells)
    expected = np.zeros(cells.size)
    expected[3], expected[10] = 2.0, 1.0
    np.testing.assert_array_equal(counts, expected)


def test_permutation_p_of_sparse_counts_converges_to_the_exact_p():
    """The draws of sparse counts (the two-step hypergeometric path) follow the exact null.

    Counts on 9 of 19 cells (the zeros are a run of at least a quarter of the cells, so the
    number of drawn non-zero cells is sampled from a hypergeometric law over the ``n − 1``
    other cells).  With 20,000 permutations the pseudo p is the exact conditional p up to
    its Monte Carlo error: a population of ``n`` (the cell itself counted) moved it by
    10-18 standard errors.
    """
    cells = _disk(2)
    w = cells_to_weights(cells, k_rings=1)
    rng = np.random.default_rng(1)
    perms = 20_000
    for _ in range(2):
        v = np.zeros(cells.size)
        v[rng.choice(cells.size, 9, replace=False)] = rng.integers(1, 4, 9)
        exact = exact_p(w.matrix, v)
        pseudo = permutation_p(w.matrix, v, perms, seed=1)
        se = np.sqrt(exact * (1.0 - exact) / perms) + 1.0 / perms
        assert (np.abs(pseudo - exact) <= 5.0 * se).all()


# --------------------------------------------------------------------------- emerging hot spots


def test_mann_kendall_tau_is_kendalls_tau_not_the_continuity_corrected_s():
    """``tau = S / (n(n−1)/2)`` (Kendall's tau-a: tau-b without ties), whatever ``continuity``."""
    rows = np.random.default_rng(7).permuted(np.tile(np.arange(9.0), (6, 1)), axis=1)
    mk = mann_kendall(rows)
    for row, tau in zip(rows, mk.tau, strict=True):
        assert tau == pytest.approx(stats.kendalltau(np.arange(9), row).statistic, abs=1e-12)


def _rising_cube() -> SpaceTimeCube:
    """A ring of cells whose counts rise over 10 months amid flat noise (37 cells)."""
    cells = _disk(3)
    centre = grid.points_to_cells([10.0], [40.0], 6)
    near = np.isin(cells, grid.grid_disk_cells(centre, 1))
    t = 10
    lam = np.where(near[:, None], 0.2 + 0.5 * np.arange(t)[None, :], 0.3)
    values = np.random.default_rng(4).poisson(lam).astype(float)
    return SpaceTimeCube(cells, [f"2024-{m:02d}" for m in range(1, t + 1)], values)


def test_a_trend_whose_p_equals_trend_alpha_is_significant():
    """The trend is up or down when ``p <= trend_alpha`` (the option's documented rule)."""
    cube = _rising_cube()
    first = emerging_hotspots(cube).cells
    up = first[first[TREND] == "up"]
    assert len(up)
    p0 = float(up[TREND_P].max())
    at = emerging_hotspots(cube, {"emerging": {"trend_alpha": p0}}).cells
    below = emerging_hotspots(cube, {"emerging": {"trend_alpha": np.nextafter(p0, 0.0)}}).cells
    exactly = (at[TREND_P] == p0).to_numpy()
    assert exactly.any()
    assert (at.loc[exactly, TREND] != "none").all()
    assert (below.loc[exactly, TREND] == "none").all()


def test_a_bin_whose_adjusted_p_equals_alpha_is_a_hot_spot():
    """A bin is hot when its BH-adjusted p is at most ``emerging.alpha`` (not below it)."""
    cube = _rising_cube()
    bins = emerging_hotspots(cube, keep_bins=True).bins
    assert bins is not None
    hot = bins[GI_BIN] > 0  # significant at 0.10 or better, on the upper side
    q = float(np.sort(bins.loc[hot, GI_P_ADJUSTED].to_numpy())[hot.sum() // 2])
    result = emerging_hotspots(cube, {"emerging": {"alpha": q}}, keep_bins=True)
    assert result.bins is not None
    p_adj = result.bins[GI_P_ADJUSTED].to_numpy().reshape(cube.values.shape)
    side = result.bins[GI_BIN].to_numpy().reshape(cube.values.shape)
    expected = ((p_adj <= q) & (side > 0)).sum(axis=1)
    np.testing.assert_array_equal(result.cells[HOT_PERIODS].to_numpy(), expected)
    assert ((p_adj == q) & (side > 0)).any()


def test_a_final_spot_after_ninety_percent_of_the_other_kind_is_oscillating():
    """Nine cold bins, then a hot one: an *oscillating hot spot* (ArcGIS), never historical.

    *Historical* needs the final bin to be neither hot nor cold; the rule holds for both
    families, and the cold family is decided after the hot one.
    """
    t = 10
    past = np.r_[np.ones(t - 1, dtype=bool), False]
    final = np.r_[np.zeros(t - 1, dtype=bool), True]
    hot = np.array([final, past, past & False])
    cold = np.array([past, final, past])
    code = classify_emerging(hot, cold, np.zeros(3), np.zeros(3, dtype=bool))
    assert [CATEGORIES[c] for c in code] == [
        "oscillating hot spot",
        "oscillating cold spot",
        "historical cold spot",
    ]


def test_a_neighbourhood_with_events_in_two_periods_has_its_trend_tested():
    """``MIN_TREND_PERIODS = 2``: events near a cell in two periods give it a trend test.

    One cell has events in months 3 and 8, another (far from it) in month 5 only: the first
    neighbourhood's series is testable (``trend_p`` a number), the second is not (missing).
    """
    cells = _disk(4)
    w = cells_to_weights(cells, k_rings=1)
    values = np.zeros((cells.size, 10))
    two, one = 0, cells.size - 1
    assert w.matrix[two, one] == 0
    values[two, [2, 7]] = 1.0
    values[one, 4] = 1.0
    cube = SpaceTimeCube(cells, [f"2024-{m:02d}" for m in range(1, 11)], values)
    table = emerging_hotspots(cube, weights=w).cells
    assert np.isfinite(table[TREND_P].to_numpy()[two])
    assert table[TREND].to_numpy()[two] in ("up", "down", "none")
    assert np.isnan(table[TREND_P].to_numpy()[one]) and pd.isna(table[TREND].to_numpy()[one])


def test_a_first_event_as_late_as_the_longest_gap_does_not_mark_a_partial_first_month():
    """The first month is partial only when the wait for its first event is *longer* than
    every gap between event days after it; a wait equal to the longest gap is the data's
    usual rhythm (``SpaceTimeCube.first_days``)."""
    cells = _disk(1)
    days = pd.date_range("2024-01-06", "2024-04-30", freq="5D", tz="UTC")  # wait 5, gaps 5
    ev = np.resize(cells, days.size)
    cube = space_time_cube(ev, days, cells, period="month")
    assert cube.first_days is None
    later = space_time_cube(ev[1:], days[1:], cells, period="month")  # wait 10 > gaps 5
    assert later.first_days == (31 - 10, 31)


@pytest.mark.parametrize("window", [1, 2, 3])
def test_the_long_series_variance_ratio_continues_the_exact_one(window):
    """The ratio of full windows at 65 periods is within 2 % of that at 64, as a ratio that
    barely moves with one more period must be (64 was where Hamed & Rao's approximation took
    over from the exact sum; full windows are now exact at every length)."""
    exact = window_variance_ratio(64, window, full_windows=True)
    approx = window_variance_ratio(65, window, full_windows=True)
    assert approx == pytest.approx(exact, rel=0.02)


# --------------------------------------------------------------------------- bootstrap


def test_breaks_classifier_puts_a_value_on_a_break_in_the_class_above_as_the_score_does():
    """A class holds its lower break (the score's :func:`pipeline.score.classify`)."""
    breaks = [0.0, 20.0, 40.0, 70.0, 100.0]
    values = np.array([0.0, 19.9, 20.0, 39.9, 40.0, 70.0, 99.9, 100.0])
    got = breaks_classifier(breaks)(values)
    labels = ["a", "b", "c", "d"]
    np.testing.assert_array_equal(
        np.asarray(labels, dtype=object)[got], classify(values, breaks, labels)
    )
    np.testing.assert_array_equal(got, [0, 0, 1, 1, 2, 3, 3, 3])


def test_bootstrap_summary_takes_the_median_width_and_counts_stability_of_exactly_090():
    """``median_interval_width`` is the median (not the mean); ``cells_stable_90`` counts a
    class stability of 0.9 (at least 90 % of the resamples in the observed class)."""
    frame = pd.DataFrame(
        {
            "cell": np.arange(5, dtype="uint64"),
            "risk_lower": [0.0, 0.0, 0.0, 0.0, 0.0],
            "risk_upper": [1.0, 2.0, 3.0, 4.0, 100.0],
            "risk_class_stability": [0.9, 0.89, 1.0, 0.5, 0.9],
        }
    )
    summary = bootstrap_summary(frame, "risk")
    assert summary["median_interval_width"] == 3.0
    assert summary["max_interval_width"] == 100.0
    assert summary["median_class_stability"] == 0.9
    assert summary["cells_stable_90"] == 3


def test_density_risk_of_the_observed_events_is_the_published_risk_where_the_kernel_misses():
    """The observed events give back the published risk, also in a cell whose density the
    kernel matrix does not explain (no event within its support: the density is kept
    fixed), and a cell without a risk (no factor covers it: NaN) reads 0, not a score."""
    k = sparse.csr_matrix(
        np.array(
            [
                [1.0, 0.5, 0.0],
                [0.2, 1.0, 0.0],
                [0.0, 0.3, 1.0],
                [0.0, 0.0, 0.4],
                [0.0, 0.0, 0.0],  # no event within the support
            ]
        )
    )
    b = np.array([1.0, 2.0, 0.5])
    density = 3.0 * (k @ b)
    density[4] = 0.9  # e.g. an unbounded gaussian's tail, or an edge correction there
    share = np.array([0.5, 1.0, 0.5, 0.5, 1.0])
    other = np.array([10.0, 0.0, 20.0, 5.0, 0.0])
    points = 100.0 * share * normalise(density)
    risk = other + points
    risk[2] = np.nan  # a cell no factor covers
    stat = density_risk_statistic(k, b, density, risk, points, share)
    expected = np.where(np.isfinite(risk), risk, 0.0)
    np.testing.assert_allclose(stat(np.ones(3)), expected, rtol=1e-12, atol=1e-12)
    assert stat(np.ones(3))[4] > 0.0


def test_fitted_risk_keeps_the_quiet_rate_outside_the_fitted_region():
    """Cells outside the regression's region keep their observed quiet rate in every draw;
    the risk is the share of the area at or below each cell's rate (× 100)."""
    area = np.array([1.0, 2.0, 1.5, 1.0, 3.0])
    offset = np.log(area / area.mean())
    z = np.array([[1.0], [-0.5], [0.2], [2.0], [0.0]])
    params = np.array([-1.0, 0.8])
    region = np.array([True, True, True, False, False])
    quiet = np.array([0.0, 0.0, 0.0, 0.002, 0.9])
    fc = FittedCoefficients(
        params=params,
        cov=np.eye(2) * 0.01,
        z=z,
        offset=offset,
        area=area,
        region=region,
        quiet_mu=quiet,
        cells=_disk(1)[:5],
    )
    mu = np.where(region, np.exp(params[0] + offset + z @ params[1:]), quiet)
    rate = mu / area
    assert np.unique(rate).size == rate.size
    expected = np.array([area[rate <= r].sum() for r in rate]) / area.sum() * 100.0
    np.testing.assert_allclose(fitted_risk_statistic(fc)(params), expected, rtol=1e-12)


# --------------------------------------------------------------------------- back-test metrics


def test_a_missing_score_ranks_after_a_zero_and_after_a_negative_score():
    """NaN (no score) ranks last, after every number; it is not a score of 0."""
    area = np.ones(4)
    test = np.array([0.0, 0.0, 0.0, 4.0])  # every test event in the unscored cell
    score = np.array([1.0, 0.0, -2.0, np.nan])
    rows = ranking_metrics(score, area, test, [0.5, 0.75, 1.0])
    assert [r["hit_rate"] for r in rows] == [0.0, 0.0, 1.0]
    share, captured = capture_curve(score, area, test)
    np.testing.assert_allclose(share, [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(captured, [0.0, 0.0, 0.0, 0.0, 4.0])


def test_rri_counts_the_training_events_outside_the_cells_in_its_share():
    """RRI = (n2(a)/N2) / (n1(a)/N1) with ``N1`` all training events, those outside included."""
    score = np.array([3.0, 2.0, 1.0, 0.0])
    area = np.ones(4)
    test = np.array([2.0, 1.0, 0.0, 1.0])
    train = np.array([4.0, 0.0, 3.0, 3.0])  # 10 in the cells, 20 in all
    rows = ranking_metrics(
        score, area, test, [0.25, 0.5], n_test_total=8, train_counts=train, n_train_total=20
    )
    # a = 25 %: cell 0 holds 2/8 of the test and 4/20 of the training events
    assert rows[0]["rri"] == pytest.approx((2 / 8) / (4 / 20))
    assert rows[1]["rri"] == pytest.approx((3 / 8) / (4 / 20))


def test_without_test_events_hit_rate_and_pai_are_missing_not_zero():
    """No test event: the hit rate, PAI and PEI are undefined (None), never 0."""
    rows = ranking_metrics(np.arange(4.0), np.ones(4), np.zeros(4), [0.25, 1.0])
    for row in rows:
        assert row["hit_rate"] is None and row["pai"] is None and row["pei"] is None


def _options_to(end, **options) -> BacktestOptions:
    """Back-test options ending at ``end``'s day that keep an origin with a single event."""
    return BacktestOptions(end=end.date(), min_train_events=1, min_test_events=1, **options)


def _backtest_events() -> tuple[pd.DataFrame, np.ndarray, pd.Timestamp]:
    """Events on a 2-ring disk, daily-ish for two years, and some placed on window edges."""
    cells = _disk(2)
    lat, lon = grid.cells_to_latlng(cells)
    rng = np.random.default_rng(12)
    n = 400
    idx = rng.choice(
        cells.size, n, p=np.linspace(1.0, 3.0, cells.size) / np.linspace(1.0, 3.0, cells.size).sum()
    )
    start = pd.Timestamp("2022-01-01", tz="UTC")
    times = start + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    events = pd.DataFrame({"time": times, "lon": lon[idx], "lat": lat[idx]})
    return events, cells, start + pd.Timedelta(days=730)


def test_back_test_windows_summary_and_wins_follow_their_definitions():
    """Per origin: train ``[t − W, t)``, test ``[t, t + h)`` (an event at ``t`` is a test event,
    one at ``t + h`` is not); the summary's sd is the sample sd (ddof 1) of the per-origin
    values, the curve's mean the mean of the curves, and a win is a hit rate above the
    baseline's by more than 1e-9 (equal ones are ties)."""
    events, cells, end = _backtest_events()
    h, w = 30.0, 200.0
    opts = _options_to(
        end,
        origins=4,
        horizon_days=h,
        train_days=w,
        area_fractions=(0.2, 0.5),
        baselines=("uniform", "all_prior_counts", "recent_counts"),
    )
    origins, _ = backtest_origins(events["time"], opts)
    assert len(origins) == 4
    t0 = origins[1]
    lat, lon = grid.cells_to_latlng(cells[:1])
    edges = pd.DataFrame(
        {
            "time": [t0, t0 + pd.Timedelta(days=h), t0 - pd.Timedelta(days=w)],
            "lon": [lon[0]] * 3,
            "lat": [lat[0]] * 3,
        }
    )
    events = pd.concat([events, edges], ignore_index=True)
    # a method tied with all_prior_counts: the same ranking, another scale
    methods = {
        "same": lambda train, c, t: (
            2.0
            * events_to_counts(
                points_to_cells(train["lon"].to_numpy(), train["lat"].to_numpy(), 6), c
            )
            / cell_area_km2(c)
        )
    }
    r = rolling_back_test(events, cells, methods=methods, options=opts)
    times = events["time"]
    for o in r["origins"]:
        t = pd.Timestamp(o["origin"])
        assert o["n_train"] == int(((times >= t - pd.Timedelta(days=w)) & (times < t)).sum())
        assert o["n_test"] == int(((times >= t) & (times < t + pd.Timedelta(days=h))).sum())
    for name in r["methods"]:
        for i in range(2):
            values = np.array([o["methods"][name]["metrics"][i]["hit_rate"] for o in r["origins"]])
            got = r["summary"][name]["at"][i]["hit_rate"]
            assert got["mean"] == pytest.approx(values.mean(), rel=1e-5)
            assert got["sd"] == pytest.approx(values.std(ddof=1), rel=1e-5)
        curves = np.array([o["methods"][name]["curve"] for o in r["origins"]])
        np.testing.assert_allclose(
            r["summary"][name]["curve"]["mean"], curves.mean(axis=0), rtol=1e-5, atol=1e-7
        )
        np.testing.assert_allclose(
            r["summary"][name]["curve"]["sd"], curves.std(axis=0, ddof=1), rtol=1e-5, atol=1e-7
        )
    for i in range(2):
        same = r["wins"]["same"]["all_prior_counts"][i]
        assert (same["wins"], same["ties"], same["losses"]) == (0, 4, 0)
        a = np.array(
            [o["methods"]["all_prior_counts"]["metrics"][i]["hit_rate"] for o in r["origins"]]
        )
        u = np.array([o["methods"]["uniform"]["metrics"][i]["hit_rate"] for o in r["origins"]])
        row = r["wins"]["all_prior_counts"]["uniform"][i]
        assert row["wins"] == int((a - u > 1e-9).sum()) and row["losses"] == int(
            (a - u < -1e-9).sum()
        )


def test_reliability_pools_the_bins_of_every_origin():
    """Across origins the bins are summed, then averaged: one curve from all origins."""
    e1, o1 = np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.0, 1.0, 0.0, 1.0])
    e2, o2 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 1.0, 3.0, 6.0])
    out = reliability([e1, e2], [o1, o2], [1 - np.exp(-e1), 1 - np.exp(-e2)], n_bins=2)
    assert out["counts"]["cells"] == [4, 4]
    np.testing.assert_allclose(out["counts"]["mean_expected"], [(0.3 + 3.0) / 4, (0.7 + 7.0) / 4])
    np.testing.assert_allclose(out["counts"]["mean_observed"], [(1.0 + 3.0) / 4, (1.0 + 9.0) / 4])
    assert out["totals"]["expected"] == pytest.approx(11.0)
    assert out["totals"]["observed"] == pytest.approx(14.0)
    p = np.concatenate([1 - np.exp(-e1), 1 - np.exp(-e2)])
    hit = np.concatenate([o1, o2]) > 0
    assert out["p_at_least_one"]["brier"] == pytest.approx(np.mean((p - hit) ** 2))


def test_recent_counts_take_the_horizon_before_the_origin_its_first_instant_included():
    """``recent_counts``: events per km² in ``[t − h, t)``, as the test window is ``[t, t + h)``."""
    cells = _disk(1)
    lat, lon = grid.cells_to_latlng(cells)
    origin = pd.Timestamp("2024-01-01", tz="UTC")
    h = 30.0
    times = origin - pd.to_timedelta([h, h + 1e-3, 1.0, h / 2], unit="D")
    train = pd.DataFrame({"time": times, "lon": lon[[0, 1, 2, 0]], "lat": lat[[0, 1, 2, 0]]})
    opts = BacktestOptions(horizon_days=h, baselines=("recent_counts",))
    got = baseline_methods(opts)["recent_counts"](train, cells, origin)
    counts = np.zeros(cells.size)
    counts[[0, 2]] = [2.0, 1.0]  # the event 86 s before t - h is older than the horizon
    np.testing.assert_allclose(got, counts / cell_area_km2(cells))


def test_back_test_rri_counts_training_events_outside_the_fixed_cells():
    """RRI's training share is over all training events, those outside the cells included:
    for the ``uniform`` baseline it is ``(test in / N2) / (train in / N1)`` at every share;
    the capture curve's hit rates are over all test events as well."""
    events, cells, end = _backtest_events()
    far = events.iloc[::5].assign(lon=lambda d: d["lon"] + 1.0)  # outside the 2-ring disk
    events = pd.concat([events, far], ignore_index=True)
    opts = _options_to(
        end,
        origins=2,
        horizon_days=60.0,
        train_days=300.0,
        area_fractions=(0.3,),
        baselines=("uniform",),
    )
    r = rolling_back_test(events, cells, options=opts)
    times = events["time"]
    inside = np.isin(points_to_cells(events["lon"].to_numpy(), events["lat"].to_numpy(), 6), cells)
    for o in r["origins"]:
        t = pd.Timestamp(o["origin"])
        train = (times >= t - pd.Timedelta(days=300)) & (times < t)
        n_train_in = int((train & inside).sum())
        assert 0 < n_train_in < o["n_train"]
        expected = (o["n_test_in_universe"] / o["n_test"]) / (n_train_in / o["n_train"])
        assert o["methods"]["uniform"]["metrics"][0]["rri"] == pytest.approx(expected, rel=1e-5)
        # the capture curve's hit rates are shares of all test events too: at 100 % of the
        # area it holds the events in the cells, not 1
        captured = o["n_test_in_universe"] / o["n_test"]
        assert captured < 1.0
        assert o["methods"]["uniform"]["curve"][-1] == pytest.approx(captured, rel=1e-5)


def test_an_event_at_the_origin_does_not_enter_the_origin_s_cell_universe():
    """The universe from history holds what was known before ``t``: an event exactly at the
    origin is a test event, and a cell only it holds is a reported miss."""
    events, _, end = _backtest_events()
    opts = _options_to(
        end,
        origins=1,
        horizon_days=60.0,
        train_days=300.0,
        baselines=("uniform",),
    )
    (t,), _ = backtest_origins(events["time"], opts)
    new = pd.DataFrame({"time": [t], "lon": [14.0], "lat": [43.0]})  # far from every event
    r = rolling_back_test(
        pd.concat([events, new], ignore_index=True), None, resolution=6, options=opts
    )
    base = rolling_back_test(events, None, resolution=6, options=opts)
    (o,), (b,) = r["origins"], base["origins"]
    assert o["n_cells"] == b["n_cells"]
    assert o["n_test"] == b["n_test"] + 1 and o["n_test_outside"] == b["n_test_outside"] + 1


def test_an_origin_whose_training_window_starts_on_the_first_event_day_is_kept():
    """``require_full_history`` skips an origin only when its window starts *before* the
    first event's day; one starting on that day has its whole history."""
    times = pd.Series(pd.to_datetime(["2020-01-01 06:00", "2021-12-31 12:00"], utc=True))
    end = pd.Timestamp("2022-01-01", tz="UTC")
    train = float((end - pd.Timedelta(days=100) - pd.Timestamp("2020-01-01", tz="UTC")).days)
    opts = BacktestOptions(origins=2, horizon_days=100, spacing_days=1, train_days=train)
    origins, skipped = backtest_origins(times, opts)
    assert origins == [end - pd.Timedelta(days=100)]
    assert [s["origin"] for s in skipped] == [(end - pd.Timedelta(days=101)).isoformat()]


# --------------------------------------------------------------------------- fitted count model

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")


def _model_events(cells: np.ndarray, n: int, seed: int) -> pd.DataFrame:
    lat, lon = grid.cells_to_latlng(cells)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, cells.size, n)
    return pd.DataFrame(
        {
            "time": ORIGIN - pd.to_timedelta(rng.uniform(1.0, 700.0, n), unit="D"),
            "lon": lon[idx],
            "lat": lat[idx],
        }
    )


def test_lagged_features_start_with_the_training_origin_one_horizon_back():
    """A training origin's label window ``[s, s + h)`` lies in the history when ``s ≤ −h``:
    with a stride of one horizon the first training origin is ``−h`` itself."""
    cells = np.unique(points_to_cells([1.0, 1.5, 2.0], [1.0, 1.5, 2.0], 5))
    opts = FittedOptions(
        **QUARTERLY_COUNTS,
        horizon_days=91.0,
        train_days=730.0,
    )
    f = build_lagged_features(_model_events(cells, 30, 1), cells, ORIGIN, opts)
    assert f.training_origins_days[0] == -91.0
    assert f.training_origins_days == [
        -91.0 * j for j in range(1, len(f.training_origins_days) + 1)
    ]


def test_an_event_at_the_origin_is_in_no_feature_and_no_count_of_the_fit():
    """The features see ``[t − W, t)``: an event at ``t`` is the forecast's, not the history's
    (it changed ``n_events`` and the smoothing floor)."""
    cells = np.unique(points_to_cells([1.0, 1.5, 2.0, 1.2], [1.0, 1.5, 2.0, 1.8], 5))
    ev = _model_events(cells, 40, 2)
    at = ev.iloc[:3].assign(time=ORIGIN)
    opts = FittedOptions(stride_days=91.0)
    f = build_lagged_features(ev, cells, ORIGIN, opts)
    g = build_lagged_features(pd.concat([ev, at], ignore_index=True), cells, ORIGIN, opts)
    assert g.n_events == f.n_events == 40
    assert g.descriptions == f.descriptions
    np.testing.assert_array_equal(g.x_pred, f.x_pred)
    np.testing.assert_array_equal(g.x_train, f.x_train)


def test_the_fallback_counts_the_history_before_the_origin_only():
    """The fallback's expected events are the rate of the training window ``[t − W, t)``."""
    cells = grid.region_to_cells((0.0, 0.0, 2.0, 2.0), 5)
    ev = pd.DataFrame(
        {
            "time": pd.to_datetime(["2023-05-01", "2023-08-01", "2023-11-01"], utc=True),
            "lon": [1.0, 1.02, 1.5],
            "lat": [1.0, 1.01, 1.5],
        }
    )
    m = FittedModel().fit(ev, cells, ORIGIN)
    at = pd.DataFrame({"time": [ORIGIN] * 2, "lon": [1.0, 1.5], "lat": [1.0, 1.5]})
    m2 = FittedModel().fit(pd.concat([ev, at], ignore_index=True), cells, ORIGIN)
    assert m.report()["model"] == m2.report()["model"] == "fallback"
    np.testing.assert_array_equal(m2.predict()["expected"], m.predict()["expected"])


def test_lagged_count_all_recency_and_windowed_kde_follow_their_training_origin():
    """At training origin ``s``: ``count_all`` is the count in ``[−W, s)`` as a rate per ``W``
    days (``× W / (s + W)``), recency is ``s − (last event)`` in days, and a windowed smoothed
    count holds an event exactly ``w`` days before the origin (its window is ``[s − w, s)``)."""
    cells = np.unique(points_to_cells([1.0, 1.5, 2.0], [1.0, 1.5, 2.0], 5))
    lat, lon = grid.cells_to_latlng(cells)
    w_days, h = 730.0, 91.0
    tau = np.array([-100.0, -300.0, -500.0, -91.0])
    where = np.array([0, 0, 1, 2])
    ev = pd.DataFrame(
        {"time": ORIGIN + pd.to_timedelta(tau, unit="D"), "lon": lon[where], "lat": lat[where]}
    )
    opts = FittedOptions(
        count_windows_days=("all",),
        bandwidths_km=(10.0,),
        kde_windows_days=(91.0,),
        recency=True,
        recency_radius_km=5.0,
        recency_cap_days=365.0,
        stride_days=91.0,
        horizon_days=h,
        train_days=w_days,
        min_history_days=91.0,
    )
    f = build_lagged_features(ev, cells, ORIGIN, opts)
    n = cells.size
    j_all, j_rec = f.names.index("count_all"), f.names.index("recency")
    for k, s in enumerate(f.training_origins_days):
        rows = slice(k * n, (k + 1) * n)
        past = tau < s
        counts = np.array([(past & (where == c)).sum() for c in range(n)], dtype=float)
        np.testing.assert_allclose(f.x_train[rows, j_all], np.log1p(counts * w_days / (s + w_days)))
        last = np.array([tau[past & (where == c)].max(initial=-np.inf) for c in range(n)])
        np.testing.assert_allclose(f.x_train[rows, j_rec], np.log1p(np.minimum(s - last, 365.0)))
    # the forecast: the event 91 days back is in the 91-day smoothed count, the others not
    kde = f.raw_pred["kde_10km_91d"]
    assert kde[2] > 0 and kde[0] == 0 and kde[1] == 0


def test_the_oldest_training_origin_with_exactly_min_history_days_is_kept():
    """Training origins need at least ``min_history_days`` of history: with ``(W − hist) /
    stride`` a whole number the oldest origin has exactly that much and is kept."""
    cells = np.unique(points_to_cells([1.0, 1.5, 2.0], [1.0, 1.5, 2.0], 5))
    opts = FittedOptions(
        **QUARTERLY_COUNTS,
        horizon_days=91.0,
        train_days=728.0,  # (728 - 91) / 91 = 7 origins back
    )
    f = build_lagged_features(_model_events(cells, 30, 3), cells, ORIGIN, opts)
    assert f.training_origins_days == [-91.0 * j for j in range(1, 8)]


def _factor_model(**options):
    """A count model with one real factor on ~140 cells (fast: no kernel features)."""
    cells, ev, table = one_factor_events()
    opts = FittedOptions(**QUARTERLY_COUNTS, **options)
    model = FittedModel(opts).fit(ev, cells, ORIGIN, table)
    return model, build_lagged_features(ev, cells, ORIGIN, opts, table), cells


def test_model_report_standardises_by_the_mean_and_population_sd_and_selects_at_ln_cells():
    """Each factor's reported ``mean`` and ``sd`` are those of its training rows (the sd with
    ddof 0, as the standardisation uses; published to 6 digits), and the selection's threshold is ``ln(cells)``:
    BIC's penalty with the cells (the clusters), not the stacked rows, as the sample size."""
    model, f, cells = _factor_model(family="poisson")
    report = model.report()
    by_name = {r["name"]: r for r in report["factors"]}
    for j, name in enumerate(f.names):
        col = f.x_train[:, j]
        assert by_name[name]["mean"] == pytest.approx(col.mean(), rel=1e-5, abs=1e-9)
        assert by_name[name]["sd"] == pytest.approx(col.std(ddof=0), rel=1e-5)
    sel = report["selection"]
    assert sel["clusters"] == cells.size
    assert sel["z_threshold"] == pytest.approx(np.sqrt(np.log(cells.size)), rel=1e-5)


def test_bic_of_subsampled_rows_counts_the_rows_their_weights_stand_for():
    """Above ``max_rows`` quiet rows are subsampled with frequency weights: the BIC's sample
    size is the weights' sum (about the rows they stand for), not the rows kept, and the
    family's BIC is the published model's BIC when nothing is selected away."""
    cells, ev, table = one_factor_events((0.0, 0.0, 3.0, 3.0), rate=0.05)
    opts = FittedOptions(**QUARTERLY_COUNTS, family="poisson", selection="none", max_rows=1000)
    m = FittedModel(opts).fit(ev, cells, ORIGIN, table)
    assert m.rows_used_ < m.rows_region_ / 2  # subsampled
    fit = m.fit_
    k = len(fit.params)
    implied = np.exp((fit.bic + 2.0 * fit.llf) / k)
    assert implied == pytest.approx(m.rows_region_, rel=0.2)
    assert m.family_bic_["poisson"] == pytest.approx(fit.bic, rel=1e-9)


def test_back_test_summary_leaves_an_undefined_metric_out_not_counted_as_zero():
    """An origin whose flagged cells held no training event has no RRI (None): the summary's
    mean and ``n`` are over the origins that have one, and its value stays missing."""
    events, _, end = _backtest_events()
    opts = _options_to(
        end,
        origins=4,
        horizon_days=30.0,
        train_days=200.0,
        area_fractions=(0.2,),
        baselines=("uniform",),
    )
    origins, _ = backtest_origins(events["time"], opts)

    def flip(train, c, t):
        counts = events_to_counts(
            points_to_cells(train["lon"].to_numpy(), train["lat"].to_numpy(), 6), c
        )
        counts = counts + 1e-3 * np.arange(c.size)  # no ties
        # first origin: the cells with the fewest training events first (none in the top 20 %)
        return -counts if t == origins[0] else counts

    wider = _disk(3)  # 18 of its 37 cells never hold an event
    r = rolling_back_test(events, wider, methods={"flip": flip}, options=opts)
    values = [o["methods"]["flip"]["metrics"][0]["rri"] for o in r["origins"]]
    assert values[0] is None and all(v is not None for v in values[1:])
    got = r["summary"]["flip"]["at"][0]["rri"]
    assert got["n"] == 3
    assert got["mean"] == pytest.approx(np.mean(values[1:]), rel=1e-6)
    assert got["min"] == pytest.approx(min(values[1:]), rel=1e-6)
    assert got["values"][0] is None


def test_gi_summary_counts_in_the_correction_only_the_cells_with_neighbours():
    """Under a conditional p a cell alone in its neighbourhood is left out of the correction:
    ``fdr_cells`` counts the others (7 of a 1-ring disk and 2 islands)."""
    disk = _disk(1)
    islands = grid.points_to_cells([12.0, 14.0], [42.0, 38.0], 6)
    cells = np.concatenate([disk, islands])
    values = np.array([3.0, 0.0, 1.0, 0.0, 2.0, 0.0, 5.0, 1.0, 4.0])
    frame = gi_star(cells, values)
    summary = gi_summary(frame)
    assert summary["p_value_used"] == "exact"
    assert summary["cells_without_neighbours"] == 2
    assert summary["fdr_cells"] == 7


def test_a_partial_final_february_does_not_hide_a_partial_first_month():
    """The first month is partial when it covers fewer days than every *complete* month;
    a still-running final month (here a February) is not one of them."""
    cells = _disk(1)
    days = pd.date_range("2023-12-03", "2024-02-10", freq="D", tz="UTC")
    cube = space_time_cube(
        np.resize(cells, days.size),
        days,
        cells,
        period="month",
        start="2023-12-03",
        end="2024-02-10",
    )
    assert cube.final_days == (10, 29)
    assert cube.first_days == (29, 31)


def test_counts_statistic_leaves_out_events_outside_the_cells():
    """The bootstrap's counts count an event only in its own cell, never in a neighbour id."""
    cells = _disk(2)
    outside = np.setdiff1d(_disk(3), cells)
    between = outside[(outside > cells[0]) & (outside < cells[-1])][:2]
    assert between.size == 2
    events = np.concatenate([cells[[3, 10, 3]], between])
    got = counts_statistic(events, cells)(np.array([1.0, 2.0, 1.0, 5.0, 7.0]))
    expected = np.zeros(cells.size)
    expected[3], expected[10] = 2.0, 2.0
    np.testing.assert_array_equal(got, expected)


def test_counts_statistic_refuses_events_at_another_resolution():
    """Events at another H3 resolution than the cells would be counted nowhere: every
    resample's counts (and the Gi* bootstrap on them) quietly 0.  One clear error, as
    :func:`cell_counts` gives."""
    cells = _disk(2)
    coarse = grid.points_to_cells([10.0, 10.01], [40.0, 40.01], 5)
    with pytest.raises(InputError, match="resolution"):
        counts_statistic(coarse, cells)
    with pytest.raises(InputError, match="resolution"):
        cell_counts(coarse, cells)
    # hex strings are ids too, as for cell_counts
    as_hex = grid.cells_to_strings(cells[[0, 4]])
    np.testing.assert_array_equal(
        counts_statistic(as_hex, cells)(np.ones(2)), cell_counts(cells[[0, 4]], cells)
    )


def test_space_time_cube_refuses_events_at_another_resolution_than_its_cells():
    """A cube over given cells counts nothing from events at another resolution: a cube of
    zeros (no pattern anywhere) was returned quietly."""
    cells = _disk(2)
    coarse = grid.points_to_cells([10.0, 10.01], [40.0, 40.01], 5)
    times = pd.to_datetime(["2024-01-05", "2024-03-01"], utc=True)
    with pytest.raises(InputError, match="resolution"):
        space_time_cube(coarse, times, cells)
    fine = grid.points_to_cells([10.0, 10.01], [40.0, 40.01], 6)
    assert space_time_cube(fine, times, cells).values.sum() == 2.0
