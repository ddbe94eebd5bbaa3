"""Tests a second, deeper hand mutation analysis found missing (task hFR).

The analysis went over the code an analyst defends a hexagon with: the emerging hot spots
(space-time cube, Mann-Kendall with ties, the ArcGIS categories), the bootstrap and
parametric intervals, the back-test's baselines and the calibration deciles.  Each test
fails on at least one small, plausible mutant that left every other test passing, and checks
a value against an independent reference: a hand computation on a tiny case, the rule Esri's
"How Emerging Hot Spot Analysis works" states, or numpy's own quantiles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _stats import disk_cells, one_factor_events
from scipy import sparse, stats

from pipeline import grid
from pipeline.density import kernel_density_exact
from pipeline.errors import InputError
from pipeline.evaluate import BacktestOptions, reliability
from pipeline.evaluate.baselines import baseline_methods, cell_areas, events_to_counts
from pipeline.evaluate.calibration import decile_bins
from pipeline.hotspots import (
    CATEGORIES,
    GI_BIN,
    GI_P_ADJUSTED,
    GI_Z,
    FittedCoefficients,
    SpaceTimeCube,
    UncertaintyOptions,
    bootstrap_cells,
    breaks_classifier,
    cells_to_weights,
    classify_emerging,
    counts_statistic,
    density_operator,
    density_risk_statistic,
    emerging_hotspots,
    emerging_summary,
    exact_p,
    fitted_risk_statistic,
    gi_bin_classifier,
    gi_star,
    mann_kendall,
    parametric_cells,
    significance_bins,
    space_time_cube,
    window_variance_ratio,
)
from pipeline.hotspots._emerging import (
    EMERGING_CATEGORY,
    TREND,
    TREND_P,
    TREND_TAU,
    TREND_Z,
    smallest_trend_p,
)
from pipeline.model import FittedModel, FittedOptions
from pipeline.score import area_percentile, normalise

# --------------------------------------------------------------------------- the cube


def test_weeks_run_monday_to_sunday():
    """``period="week"`` slices end on Sunday: the last second of a Sunday and the first of
    the Monday after it fall in two weeks, the Monday with the next Sunday."""
    cells = disk_cells(1)
    times = pd.to_datetime(
        ["2024-01-07 23:59:59", "2024-01-08 00:00:00", "2024-01-14 23:59:59"], utc=True
    )
    cube = space_time_cube(cells[[0, 0, 1]], times, cells, period="week")
    assert cube.periods == ["2024-01-01/2024-01-07", "2024-01-08/2024-01-14"]
    np.testing.assert_array_equal(cube.values.sum(axis=0), [1.0, 2.0])


def test_a_first_month_as_long_as_the_shortest_complete_month_is_not_partial():
    """A first month the data start within is partial only when it covers *fewer* days than
    every complete month: from 4 January 2023 it covers 28 days, as February 2023 does."""
    cells = disk_cells(1)
    days = pd.date_range("2023-01-04", "2023-04-30", freq="D", tz="UTC")
    ev = np.resize(cells, days.size)
    cube = space_time_cube(ev, days, cells, period="month", start="2023-01-04")
    assert cube.first_days is None
    later = space_time_cube(ev[1:], days[1:], cells, period="month", start="2023-01-05")
    assert later.first_days == (27, 31)


def test_ten_event_days_are_enough_to_read_a_late_first_event_as_the_data_start():
    """Without ``start``, a first event later than every gap after it marks a partial first
    month once there are events on ``MIN_EVENT_DAYS_FOR_START`` (10) days, not 11."""
    cells = disk_cells(1)
    days = pd.date_range("2024-01-20", periods=10, freq="3D", tz="UTC")  # to 16 February
    cube = space_time_cube(np.resize(cells, days.size), days, cells, period="month")
    assert cube.first_days == (12, 31)  # the data start on the 20th: 12 of January's 31 days
    fewer = space_time_cube(np.resize(cells, 9), days[:9], cells, period="month")
    assert fewer.first_days is None


# --------------------------------------------------------------------------- Mann-Kendall


def test_mann_kendall_of_a_series_with_two_values_is_tested():
    """Two values (the rest missing) are one pair: ``S = 1``, ``Var S = 2·1·9/18 = 1``, the
    continuity-corrected ``Z = 0`` and ``p = 1``; tau is 1.  NaN is for fewer than two."""
    mk = mann_kendall(np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, np.nan]]))
    assert mk.s.tolist() == [1.0, 0.0]
    assert mk.var_s[0] == pytest.approx(1.0)
    assert mk.z[0] == 0.0 and mk.p[0] == 1.0 and mk.tau[0] == 1.0
    assert np.isnan(mk.z[1]) and np.isnan(mk.p[1]) and np.isnan(mk.tau[1])


@pytest.mark.parametrize("window", [1, 2])
def test_hamed_rao_ratio_beyond_64_periods_is_close_to_the_exact_one(window):
    """Beyond 64 periods ``window_variance_ratio`` of partial windows is Hamed & Rao's (1998)
    ratio from the lag correlations of *ranks* ``(6/π) asin(ρ/2)`` with the weights
    ``(T−k)(T−k−1)(T−k−2)``, that of full windows (full windows are exact at every length).
    At 66 periods it is within 0.25 % of the exact full-window sum; the lag correlations of
    the scores themselves, or a weight ``(T−k)`` for ``(T−k−2)``, are 1.7-1.9 % off, which a
    2 % tolerance let through."""
    approx = window_variance_ratio(66, window)
    exact = window_variance_ratio(66, window, full_windows=True)
    assert approx != exact  # the two paths were taken
    assert approx == pytest.approx(exact, rel=0.005)


def _gaussian_var_s_ratio(periods: int, window: int) -> float:
    """``Var S`` of Mann-Kendall over moving sums of ``window + 1`` i.i.d. Gaussian slices,
    relative to independent scores, written out the long way: the pair differences
    ``D = A x`` have covariance ``A C Aᵀ``, and ``E[sign D_p sign D_q] = (2/π) asin ρ_pq``."""
    t = np.arange(periods)
    corr = np.clip(1.0 - np.abs(t[:, None] - t[None, :]) / (window + 1.0), 0.0, None)
    a, b = np.triu_indices(periods, 1)
    diff = np.zeros((a.size, periods))
    diff[np.arange(a.size), b] = 1.0
    diff[np.arange(a.size), a] = -1.0
    cov = diff @ corr @ diff.T
    sd = np.sqrt(np.diag(cov))
    rho = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)
    np.fill_diagonal(rho, 1.0)  # a pair with itself: 1, not 1 − 2e-16 (2e-8 after asin)
    var_s = 2.0 / np.pi * np.arcsin(rho).sum()
    return var_s / (periods * (periods - 1) * (2 * periods + 5) / 18.0)


@pytest.mark.parametrize(("periods", "window"), [(12, 1), (40, 3)])
def test_variance_ratio_up_to_64_periods_is_the_exact_gaussian_one(periods, window):
    """Up to 64 periods the ratio is exact (the docstring's promise): at 40 periods Hamed &
    Rao's approximation is 0.7 % off for window 3, which the reference below tells apart."""
    got = window_variance_ratio(periods, window, full_windows=True)
    assert got == pytest.approx(_gaussian_var_s_ratio(periods, window), rel=1e-9)


def _rising_cube(periods: int = 10, seed: int = 4) -> SpaceTimeCube:
    """37 cells; the centre's 1-ring rises over the months amid flat Poisson noise."""
    cells = disk_cells(3)
    near = np.isin(cells, disk_cells(1))
    lam = np.where(near[:, None], 0.2 + 0.5 * np.arange(periods)[None, :], 0.3)
    values = np.random.default_rng(seed).poisson(lam).astype(float)
    months = [str(p) for p in pd.period_range("2024-01", periods=periods, freq="M")]
    return SpaceTimeCube(cells, months, values)


@pytest.mark.parametrize("window", [1, 2])
def test_trend_z_is_mann_kendall_of_the_full_window_bins_with_their_variance_ratio(window):
    """The trend of a cell is Mann-Kendall on its Gi* z-scores of bins ``w .. T−1`` (rounded
    to 1e-9), ties corrected, ``Var S`` times the ratio of ``T − w`` full-window scores (the
    ratio of ``T`` bins, or of partial windows, is another number)."""
    cube = _rising_cube()
    result = emerging_hotspots(cube, {"emerging": {"time_step_window": window}}, keep_bins=True)
    assert result.bins is not None
    z = result.bins[GI_Z].to_numpy().reshape(cube.values.shape)[:, window:]
    n = z.shape[1]
    ratio = _gaussian_var_s_ratio(n, window)
    got = result.cells[TREND_Z].to_numpy()
    tested = np.isfinite(got)
    assert tested.sum() > 20
    for row, trend_z in zip(np.round(z[tested], 9), got[tested], strict=True):
        s = np.sign(row[None, :] - row[:, None])[np.triu_indices(n, 1)].sum()
        _, ties = np.unique(row, return_counts=True)
        var = (n * (n - 1) * (2 * n + 5) - (ties * (ties - 1) * (2 * ties + 5)).sum()) / 18.0
        assert trend_z == pytest.approx((s - np.sign(s)) / np.sqrt(var * ratio), rel=1e-9)


def test_a_trend_is_tested_from_the_neighbourhood_s_events_not_the_cell_s_own():
    """Whether a cell's trend is tested depends on the periods with events among its spatial
    neighbours (itself included): cells with no event of their own but busy neighbours are
    tested; a cell whose neighbourhood had events in one period only is not, and its one step
    is no trend -- a cold spot in every month stays *persistent*, however steep the step."""
    cells = disk_cells(4)
    w = cells_to_weights(cells, k_rings=1)
    t = 14
    values = np.random.default_rng(0).poisson(4.0, (cells.size, t)).astype(float)
    i = int(np.searchsorted(cells, disk_cells(0)[0]))
    ring = w.matrix.indices[w.matrix.indptr[i] : w.matrix.indptr[i + 1]]
    values[ring] = 0.0  # the centre and its six neighbours: no event ...
    values[i, 1] = 3.0  # ... but three in the second month
    months = [str(p) for p in pd.period_range("2024-01", periods=t, freq="M")]
    options = {"emerging": {"trend_alpha": 0.2}}
    cube = SpaceTimeCube(cells, months, values)
    result = emerging_hotspots(cube, options, weights=w, keep_bins=True)
    table = result.cells
    others = ring[ring != i]
    assert np.isfinite(table[TREND_P].to_numpy()[others]).all()
    assert set(table[TREND].to_numpy()[others]) <= {"up", "down", "none"}
    row = table.iloc[i]
    assert pd.isna(row[TREND]) and np.isnan(row[TREND_P])
    assert row["cold_periods"] == t
    assert row[EMERGING_CATEGORY] == "persistent cold spot"
    # the step alone would read as a significant fall (an 'intensifying cold spot')
    assert result.bins is not None
    z = result.bins[GI_Z].to_numpy().reshape(values.shape)[i, 1:]
    ratio = window_variance_ratio(t - 1, 1, full_windows=True)
    assert mann_kendall(np.round(z, 9)[None, :], variance_ratio=ratio).p[0] < 0.2


def test_equal_neighbourhood_sums_tie_exactly_in_the_trend():
    """Values repeating every two months: every full window (``time_step_window`` 1) of each
    neighbourhood sums the same, so the z-scores of bins 1.. are equal and Mann-Kendall has
    ``S = 0``, no trend.  Computed through cumulative sums they differ in the last bits
    (1e-15), which without the rounding to 1e-9 read as a random order: ``S ≠ 0``."""
    cells = disk_cells(2)
    t = 12
    base = np.random.default_rng(1).choice([0.1, 0.2, 0.3, 0.7, 1.1], size=(cells.size, 2))
    months = [str(p) for p in pd.period_range("2024-01", periods=t, freq="M")]
    cube = SpaceTimeCube(cells, months, np.tile(base, (1, t // 2)))
    table = emerging_hotspots(cube, {"p_value": "normal"}).cells
    assert len(table) == cells.size
    np.testing.assert_array_equal(table[TREND_TAU].to_numpy(), 0.0)
    np.testing.assert_array_equal(table[TREND_P].to_numpy(), 1.0)
    assert (table[TREND] == "none").all()


@pytest.mark.parametrize("window", [0, 1, 2])
def test_space_time_exact_p_is_the_exact_p_on_the_space_time_weights(window):
    """A bin's exact p is the two-sided (twice the smaller tail, at most 1) exact
    conditional p of Gi* over the cube's bins with the space-time weights written out:
    ``w((i, t), (j, s)) = w_ij`` for ``t − window ≤ s ≤ t``, the bin itself included.  The
    final bin's z and class are those of the cube's last period, after the correction; every
    hot bin counts in ``hot_periods``; the normal p is two-sided as well."""
    cells = disk_cells(2)
    w = cells_to_weights(cells, k_rings=1)
    t = 6
    values = np.random.default_rng(2).poisson(0.8, (cells.size, t)).astype(float)
    values[:4, 3:] += 6.0
    values[-3:, 0] += 4.0  # a hot spot in the first month (a partial window)
    months = [str(p) for p in pd.period_range("2024-01", periods=t, freq="M")]
    options = {"fdr": False, "emerging": {"time_step_window": window, "min_periods": 2}}
    cube = SpaceTimeCube(cells, months, values)
    result = emerging_hotspots(cube, options, weights=w, keep_bins=True)
    assert result.p_value == "exact" and result.bins is not None
    lag = sparse.csr_array(np.tril(np.triu(np.ones((t, t)), -window)))  # s in t-window..t
    st = sparse.kron(sparse.csr_array(w.matrix), lag, format="csr")  # bin (i, t) = i*t + t
    ref = np.minimum(1.0, 2.0 * exact_p(st, values.ravel()))
    got = result.bins[GI_P_ADJUSTED].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-15)
    assert (ref < 0.05).any() and (ref < 1.0).sum() > 20
    # every bin counts for hot_periods, the first `window` ones included
    hot = ((got <= 0.1) & (result.bins[GI_BIN].to_numpy() > 0)).reshape(values.shape)
    assert hot[:, :window].any() or window == 0
    np.testing.assert_array_equal(result.cells["hot_periods"], hot.sum(axis=1))
    # the normal p is two-sided too
    normal = emerging_hotspots(cube, {**options, "p_value": "normal"}, weights=w, keep_bins=True)
    assert normal.bins is not None
    z = normal.bins[GI_Z].to_numpy()
    np.testing.assert_allclose(
        normal.bins[GI_P_ADJUSTED], 2.0 * stats.norm.sf(np.abs(z)), rtol=1e-12, atol=1e-300
    )
    # with the correction too, the final bin is the last period's, on the corrected p
    corrected = emerging_hotspots(cube, {**options, "fdr": True}, weights=w, keep_bins=True)
    assert corrected.bins is not None
    last = corrected.bins[corrected.bins["period"] == months[-1]]
    assert (last[GI_BIN] != 0).any()
    np.testing.assert_array_equal(corrected.cells["final_gi_z"], last[GI_Z])
    np.testing.assert_array_equal(corrected.cells["final_gi_bin"], last[GI_BIN])


def test_a_trend_alpha_equal_to_the_smallest_reachable_p_is_reachable():
    """A trend is significant at ``p <= trend_alpha``: with ``trend_alpha`` exactly the
    smallest p the cube's length allows, a trend can be significant and the summary says
    nothing is unreachable; just below it, it says so."""
    cube = _rising_cube(periods=6)
    smallest = smallest_trend_p(5, 1)  # 6 periods, the first window left out
    for alpha, unreachable in ((smallest, False), (np.nextafter(smallest, 0.0), True)):
        options = {"emerging": {"trend_alpha": float(alpha)}}
        summary = emerging_summary(emerging_hotspots(cube, options), options)
        assert (summary["trend_unreachable"] is not None) == unreachable


def test_kernel_weights_take_the_normal_p_in_the_cube():
    """The exact p needs binary weights (a count of draws); with kernel weights the cube's
    bins are classed on the two-sided normal p of their z-scores and the result says so."""
    cube = _rising_cube()
    options = {"weights": "kernel", "k_rings": 2, "fdr": False}
    result = emerging_hotspots(cube, options, keep_bins=True)
    assert result.p_value == "normal" and result.bins is not None
    z = result.bins[GI_Z].to_numpy()
    np.testing.assert_allclose(
        result.bins[GI_P_ADJUSTED], 2.0 * stats.norm.sf(np.abs(z)), rtol=1e-12, atol=1e-300
    )


def test_a_single_event_bootstrap_reports_the_observed_statistic_of_that_event():
    """The observed value is the statistic with every event counted once, also for N = 1."""
    cells = disk_cells(1)
    out = bootstrap_cells(
        1, counts_statistic(cells[[3]], cells), cells, options={"n_resamples": 10}
    )
    expected = np.zeros(cells.size)
    expected[3] = 1.0
    np.testing.assert_array_equal(out["value"], expected)
    np.testing.assert_array_equal(out["value_upper"], expected)


# Esri's definitions ("How Emerging Hot Spot Analysis works") on the boundaries of each rule:
# ``H`` hot, ``C`` cold, ``.`` neither, oldest first; the trend of the z-scores: a
# significant "up" or "down", "none", or a sign of S that is not significant ("weak ...").
TRENDS = {
    "up": (3.0, True),
    "down": (-3.0, True),
    "none": (0.0, False),
    "weak up": (3.0, False),
    "weak down": (-3.0, False),
}
BOUNDARIES = [
    # new: hot in the final slice only, never significant before (ours: no cold before)
    (".........H", "none", "new hot spot"),
    ("C........H", "none", "oscillating hot spot"),
    ("H........H", "none", "sporadic hot spot"),  # a run of one after an earlier hot bin
    # consecutive: one uninterrupted final run of at least two, nothing significant before,
    # under 90 % of the slices hot (8 of 10; 9 of 11: 9 < 9.9), whatever the trend
    ("........HH", "none", "consecutive hot spot"),
    ("..HHHHHHHH", "up", "consecutive hot spot"),
    ("..HHHHHHHHH", "down", "consecutive hot spot"),
    (".H......HH", "none", "sporadic hot spot"),
    ("C.......HH", "none", "oscillating hot spot"),
    # 90 % of the slices hot, the final one included: persistent / intensifying / diminishing
    (".HHHHHHHHH", "none", "persistent hot spot"),
    (".HHHHHHHHH", "weak down", "persistent hot spot"),
    (".HHHHHHHHH", "weak up", "persistent hot spot"),
    ("HH.HHHHHHH", "up", "intensifying hot spot"),
    ("CHHHHHHHHH", "down", "diminishing hot spot"),
    ("H.HHHHHHHHH", "none", "persistent hot spot"),  # 10 of 11
    # sporadic: on and off, under 90 %, never cold; oscillating: a cold bin before
    ("H.H.H.H.HH", "none", "sporadic hot spot"),
    ("HHHHHHHC.H", "none", "oscillating hot spot"),
    ("HHHHHHHCHH", "none", "persistent hot spot"),  # 9 of 10 hot with a cold one: 90 % wins
    # historical: the final slice not significant, at least 90 % hot before
    ("HHHHHHHHH.", "up", "historical hot spot"),
    ("HHHHHHHH..", "none", "no pattern detected"),
    ("HHHHHHHHHC", "none", "oscillating cold spot"),  # hot before: not new, not historical
    ("........H.", "none", "no pattern detected"),
    # the cold family mirrors every rule, its trend reversed
    (".........C", "none", "new cold spot"),
    ("........CC", "up", "consecutive cold spot"),
    ("..CCCCCCCC", "down", "consecutive cold spot"),
    (".C......CC", "none", "sporadic cold spot"),
    ("H.......CC", "none", "oscillating cold spot"),
    (".CCCCCCCCC", "none", "persistent cold spot"),
    (".CCCCCCCCC", "weak down", "persistent cold spot"),
    (".CCCCCCCCC", "weak up", "persistent cold spot"),
    ("CC.CCCCCCC", "down", "intensifying cold spot"),
    ("CCCCCCCCC.", "none", "historical cold spot"),
    ("HCCCCCCCCC", "up", "diminishing cold spot"),
]


@pytest.mark.parametrize(
    ("pattern", "trend", "category"), BOUNDARIES, ids=[f"{p} {t}" for p, t, _ in BOUNDARIES]
)
def test_each_category_on_the_boundaries_of_its_rule(pattern, trend, category):
    hot = np.array([[c == "H" for c in pattern]])
    cold = np.array([[c == "C" for c in pattern]])
    s, significant = TRENDS[trend]
    code = classify_emerging(hot, cold, np.array([s]), np.array([significant]))
    assert CATEGORIES[code[0]] == category


# --------------------------------------------------------------------------- bootstrap


class _Recorder:
    """A statistic that remembers what it returned (and the weights it was given)."""

    def __init__(self, statistic):
        self.statistic, self.weights, self.values = statistic, [], []

    def __call__(self, weights):
        self.weights.append(np.array(weights, copy=True))
        self.values.append(np.asarray(self.statistic(weights), dtype="float64"))
        return self.values[-1]


def _counts_case():
    cells = disk_cells(2)
    counts = np.zeros(cells.size)
    counts[:6] = [30, 12, 7, 3, 1, 0]
    counts[6:] = 2
    return cells, np.repeat(cells, counts.astype(int)), counts


def test_bootstrap_interval_and_stability_are_those_of_the_resampled_values():
    """``<name>_lower/_upper`` are numpy's (linear) quantiles of the resampled values at the
    options' ``interval`` levels, and the stability is the share of the resamples (of all
    ``n_resamples``) whose class is the class of the *observed* values."""
    cells, events, counts = _counts_case()
    rec = _Recorder(counts_statistic(events, cells))
    classify = breaks_classifier([0.0, 3.0, 10.0, 1000.0])
    options = {"n_resamples": 40, "interval": (0.2, 0.7)}
    out = bootstrap_cells(events.size, rec, cells, classify=classify, options=options, seed=5)
    observed, draws = rec.values[0], np.array(rec.values[1:])
    assert len(draws) == 40
    np.testing.assert_array_equal(observed, counts)
    lo, hi = np.quantile(draws, [0.2, 0.7], axis=0)
    np.testing.assert_allclose(out["value_lower"], lo, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["value_upper"], hi, rtol=0, atol=1e-12)
    assert (lo != np.floor(lo)).any()  # interpolated: another quantile method differs
    stable = (classify(draws) == classify(observed)).mean(axis=0)
    np.testing.assert_allclose(out["value_class_stability"], stable, rtol=0, atol=1e-12)
    assert ((stable > 0) & (stable < 1)).any()


def test_every_event_can_be_drawn_and_the_weights_sum_to_n():
    """Resampling draws from all ``N`` events: over 60 resamples of 3 events each event is
    drawn at least once (a draw from the first ``N − 1`` only never draws the last)."""
    rec = _Recorder(lambda w: np.array([w[0], w[1], w[2]]))
    bootstrap_cells(3, rec, np.arange(3, dtype="uint64"), options={"n_resamples": 60}, seed=0)
    weights = np.array(rec.weights[1:])
    assert (weights.sum(axis=1) == 3).all()
    assert (weights.max(axis=0) >= 1).all()


def test_parametric_interval_and_stability_are_those_of_the_draws():
    """The same rules over normal draws of the parameters: numpy's quantiles of the drawn
    statistic at the ``interval`` levels, the share of draws in the class at ``params``, and
    a seed that gives the same draws again."""
    a = np.array([[1.0, 0.0], [0.5, 2.0], [-1.0, 1.0]])
    rec = _Recorder(lambda p: a @ p)
    params, cov = np.array([0.3, -0.1]), np.array([[0.04, 0.01], [0.01, 0.09]])
    cells = np.arange(3, dtype="uint64")
    opts = UncertaintyOptions(n_resamples=50, interval=(0.1, 0.8))
    classify = breaks_classifier([-10.0, 0.0, 10.0])
    out = parametric_cells(params, cov, rec, cells, classify=classify, options=opts, seed=3)
    drawn = np.array(rec.weights[1:])
    assert len({tuple(p) for p in drawn}) == 50  # fifty distinct draws
    draws = np.array(rec.values[1:])
    lo, hi = np.quantile(draws, [0.1, 0.8], axis=0)
    np.testing.assert_allclose(out["value_lower"], lo, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["value_upper"], hi, rtol=0, atol=1e-12)
    stable = (classify(draws) == classify(a @ params)).mean(axis=0)
    np.testing.assert_allclose(out["value_class_stability"], stable, rtol=0, atol=1e-12)
    again = parametric_cells(params, cov, lambda p: a @ p, cells, options=opts, seed=3)
    pd.testing.assert_frame_equal(again, out.drop(columns="value_class_stability"))


def test_bootstrap_memory_budget_boundaries_keep_float64_then_float32():
    """``max_bytes`` is an upper bound: draws of exactly ``8 b n`` bytes (1 MiB) stay float64
    (the interval equals that of an unbounded run), of exactly ``4 b n`` bytes are float32,
    not refused."""
    b = 32

    def run(n_cells: int, max_bytes: int) -> pd.DataFrame:
        cells = np.arange(n_cells, dtype="uint64")
        stat = lambda w: np.resize(np.cumsum(w), n_cells) / 3.0  # noqa: E731
        options = {"n_resamples": b, "interval": (0.1, 0.9), "max_bytes": max_bytes}
        return bootstrap_cells(9, stat, cells, options=options, seed=1)

    n64, n32 = 2**20 // (8 * b), 2**20 // (4 * b)
    pd.testing.assert_frame_equal(run(n64, 2**20), run(n64, 2**30), check_exact=True)
    half, free = run(n32, 2**20), run(n32, 2**30)
    assert not half.equals(free)  # float32 draws
    np.testing.assert_allclose(half["value_lower"], free["value_lower"], rtol=1e-6)


def test_gi_bin_classifier_gives_the_published_gi_bins_of_the_normal_p():
    """The bootstrap's Gi* classes are those :func:`gi_star` publishes with the normal p:
    two-sided, corrected (FDR) as the options say."""
    cells = disk_cells(4)
    values = np.random.default_rng(6).poisson(1.0, cells.size).astype(float)
    values[:5] += 3.0
    for options in ({"p_value": "normal"}, {"p_value": "normal", "fdr": False}):
        frame = gi_star(cells, values, options)
        got = gi_bin_classifier(options)(frame[GI_Z].to_numpy())
        np.testing.assert_array_equal(got, frame[GI_BIN].to_numpy())
    one_sided = significance_bins(
        frame[GI_Z].to_numpy(), stats.norm.sf(np.abs(frame[GI_Z].to_numpy())), (0.01, 0.05, 0.1)
    )[0]
    assert (one_sided != frame[GI_BIN].to_numpy()).any()


def test_interval_tables_are_sorted_by_cell_with_their_own_values():
    """Cells given out of order come back sorted, each row with its own statistic."""
    cells = np.array([30, 10, 20], dtype="uint64")
    stat = lambda w: np.array([3.0, 1.0, 2.0]) * w.sum()  # noqa: E731
    out = bootstrap_cells(4, stat, cells, options={"n_resamples": 10})
    assert out["cell"].tolist() == [10, 20, 30]
    assert out["value"].tolist() == [4.0, 8.0, 12.0]


def test_parametric_budget_is_an_upper_bound():
    """Draws of exactly ``max_bytes`` (``8 b n``) are allowed; one resample more is refused."""
    b, n = 32, 2**20 // (8 * 32)
    cells = np.arange(n, dtype="uint64")
    stat = lambda p: np.full(n, p[0])  # noqa: E731
    opts = UncertaintyOptions(n_resamples=b, max_bytes=2**20)
    out = parametric_cells(np.array([1.0]), np.eye(1), stat, cells, options=opts)
    assert len(out) == n
    with pytest.raises(InputError, match="max_bytes"):
        less = UncertaintyOptions(n_resamples=b + 1, max_bytes=2**20)
        parametric_cells(np.array([1.0]), np.eye(1), stat, cells, options=less)


def test_density_operator_budget_is_an_upper_bound():
    """A kernel matrix of exactly ``max_bytes`` is built; one pair more is refused."""
    cells = disk_cells(2)
    lat, lon = grid.cells_to_latlng(cells)
    k = density_operator(lon[:5] + 0.01, lat[:5], cells, bandwidth_km=12.0, kernel="quartic")
    pairs = k.nnz
    assert 0 < pairs < cells.size * 5
    again = density_operator(
        lon[:5] + 0.01, lat[:5], cells, bandwidth_km=12.0, kernel="quartic", max_bytes=16 * pairs
    )
    assert again.nnz == pairs
    with pytest.raises(InputError, match="max_bytes"):
        density_operator(
            lon[:5] + 0.01,
            lat[:5],
            cells,
            bandwidth_km=12.0,
            kernel="quartic",
            max_bytes=16 * pairs - 1,
        )


@pytest.mark.parametrize(
    ("method", "transform"), [("rank", "linear"), ("cap", "log")], ids=["rank", "cap-log"]
)
def test_density_risk_of_the_observed_events_follows_the_score_s_normalisation(method, transform):
    """The resampled risk normalises the density as the published score did: the observed
    events give back the published risk under a rank or a log normalisation too."""
    cells = disk_cells(2)
    lat, lon = grid.cells_to_latlng(cells)
    rng = np.random.default_rng(4)
    ev_lon, ev_lat = lon[:6] + rng.normal(0, 0.02, 6), lat[:6] + rng.normal(0, 0.02, 6)
    k = density_operator(ev_lon, ev_lat, cells, bandwidth_km=15.0, kernel="quartic")
    b = rng.uniform(0.5, 2.0, 6)
    density = k @ b
    share = np.full(cells.size, 0.6)
    norm = normalise(density, method=method, cap_quantile=0.9, transform=transform)
    points = 100.0 * share * norm
    risk = 40.0 * rng.uniform(0, 1, cells.size) + points
    stat = density_risk_statistic(
        k,
        b,
        density,
        risk,
        points,
        share,
        normalisation=method,
        cap_quantile=0.9,
        transform=transform,
    )
    np.testing.assert_allclose(stat(np.ones(6)), risk, rtol=1e-12, atol=1e-9)
    assert not np.allclose(normalise(density), norm)


def test_resampled_density_risk_stays_within_0_and_100_of_a_rounded_published_risk():
    """The run publishes the risk rounded to 1e-6, so ``risk − density points`` (the other
    factors' points) can be −5e-7 where the density is the only factor: a resample that
    takes the density of such a cell away must give 0, not a negative risk."""
    cells = disk_cells(2)
    lat, lon = grid.cells_to_latlng(cells)
    rng = np.random.default_rng(8)
    ev_lon, ev_lat = lon[:6] + rng.normal(0, 0.02, 6), lat[:6] + rng.normal(0, 0.02, 6)
    k = density_operator(ev_lon, ev_lat, cells, bandwidth_km=8.0, kernel="quartic")
    b = np.ones(6)
    density = k @ b
    share = np.ones(cells.size)
    points = 100.0 * normalise(density)
    risk = np.round(points, 6)
    assert (risk < points).any()
    stat = density_risk_statistic(k, b, density, risk, points, share)
    m = np.zeros(6)
    m[0] = 6.0  # every draw is the first event: most cells lose their density
    out = stat(m)
    assert (out >= 0.0).all() and (out <= 100.0).all()
    emptied = (k @ m == 0) & (risk < points)  # no density left, published rounded down
    assert emptied.any()
    np.testing.assert_array_equal(out[emptied], 0.0)


def test_fitted_risk_of_the_published_coefficients_is_the_published_risk_with_quiet_cells():
    """Quiet cells (outside the fitted region) keep the observed quiet rate times their
    exposure ``exp(offset)``: one rate per km² for all of them, tied at the lowest rank as
    the run publishes it (``area_percentile`` of the model's expected events per km²)."""
    origin = pd.Timestamp("2024-01-01", tz="UTC")
    cells, ev, table = one_factor_events((0.0, 0.0, 3.0, 3.0), rate=0.05)
    opts = FittedOptions(
        count_windows_days=(),
        bandwidths_km=(15.0,),
        recency=False,
        stride_days=91.0,
        family="poisson",
        min_history_days=365.0,
        fit_region="active",
    )
    model = FittedModel(opts).fit(ev, cells, origin, table)
    assert model.fit_ is not None and (~model.in_region_).sum() > 20
    fc = FittedCoefficients.from_model(model)
    assert fc is not None
    pred = model.predict()
    area = grid.cell_area_km2(pred["cell"].to_numpy())
    published = area_percentile(pred["expected"].to_numpy() / area, area=area)
    np.testing.assert_allclose(fitted_risk_statistic(fc)(model.fit_.params), published)


# --------------------------------------------------------------------------- baselines


def _train_events(cells: np.ndarray, counts, origin: pd.Timestamp) -> pd.DataFrame:
    lat, lon = grid.cells_to_latlng(cells)
    idx = np.repeat(np.arange(cells.size), counts)
    days = np.arange(idx.size) % 200 + 1.0
    return pd.DataFrame(
        {"time": origin - pd.to_timedelta(days, unit="D"), "lon": lon[idx], "lat": lat[idx]}
    )


def test_count_baselines_are_events_per_km2_of_each_cell_and_the_kde_takes_its_options():
    """``all_prior_counts`` divides each cell's count by its own area (not the mean area);
    ``kde`` is the plain density of the options' kernel and bandwidth; ``density`` is there
    when a density function is given."""
    cells = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [62.0], 5), 3))
    area = grid.cell_area_km2(cells)
    assert np.ptp(area) / area.mean() > 1e-3  # unequal areas
    counts = np.arange(cells.size) % 4
    origin = pd.Timestamp("2024-06-01", tz="UTC")
    train = _train_events(cells, counts, origin)
    opts = BacktestOptions(kde_bandwidth_km=11.0, kde_kernel="triangular")
    methods = baseline_methods(opts, density_fn=lambda tr, c, o: np.zeros(len(c)))
    assert list(methods) == ["uniform", "all_prior_counts", "recent_counts", "kde", "density"]
    got = methods["all_prior_counts"](train, cells, origin)
    np.testing.assert_allclose(got, counts / area, rtol=1e-12)
    kde = methods["kde"](train, cells, origin)
    ref = kernel_density_exact(
        (train["lon"].to_numpy(), train["lat"].to_numpy()),
        cells,
        bandwidth_km=11.0,
        kernel="triangular",
    )
    np.testing.assert_allclose(kde, ref, rtol=1e-6, atol=1e-12)
    assert (kde > 0).any() and (kde == 0).any()  # a finite support of 11 km


def test_cell_areas_of_another_universe_of_the_same_size_are_its_own():
    """The remembered areas are those of the same cells, not of any universe as long."""
    a = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], 6), 1))
    b = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [70.0], 6), 1))
    assert a.size == b.size
    np.testing.assert_array_equal(cell_areas(a), grid.cell_area_km2(a))
    np.testing.assert_array_equal(cell_areas(b), grid.cell_area_km2(b))


def test_events_outside_the_cells_are_not_counted_in_a_neighbouring_id():
    cells = disk_cells(2)
    outside = np.setdiff1d(disk_cells(3), cells)
    between = outside[(outside > cells[0]) & (outside < cells[-1])][:3]
    assert between.size == 3
    got = events_to_counts(np.concatenate([cells[[2, 2, 5]], between]), cells)
    expected = np.zeros(cells.size)
    expected[2], expected[5] = 2.0, 1.0
    np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------------------------- calibration


def test_decile_bins_hold_equal_numbers_of_cells_however_skewed_the_predictions():
    pred = np.exp(np.arange(10.0))[::-1]  # one large value, most near 0: equal width fails
    np.testing.assert_array_equal(decile_bins(pred, n_bins=5), [4, 4, 3, 3, 2, 2, 1, 1, 0, 0])
    # the reliability's bins are the same bins: 23 cells in 10 bins, edges ceil(23 j / 10)
    pred = np.random.default_rng(0).gamma(0.3, size=23)
    sizes = np.bincount(decile_bins(pred), minlength=10)
    got = reliability([pred], [np.ones(23)])["counts"]["cells"]
    assert got == sizes.tolist() and sum(got) == 23
    assert got == [3, 2, 2, 3, 2, 2, 3, 2, 2, 2]


def test_tied_predictions_share_their_events_over_the_bins_they_straddle():
    """Twenty equal predictions over ten bins: each bin holds two of them and, as under a
    random order of the ties, a tenth of their events -- not the events of the first ids."""
    obs = np.zeros(20)
    obs[:2] = [3.0, 2.0]
    out = reliability([np.zeros(20)], [obs])
    np.testing.assert_allclose(out["counts"]["mean_observed"], 0.25, rtol=1e-12)


def test_p_at_least_one_counts_cells_with_an_event_and_empty_bins_stay_missing():
    """``observed_share`` is the share of cells with at least one event (a count of 3 is
    one cell); a bin with no cell has no mean (NaN, not 0); ``observed_over_expected`` is
    None when nothing was expected."""
    pred = np.array([0.0, 0.0, 0.0, 0.0])
    obs = np.array([3.0, 0.0, 1.0, 0.0])
    out = reliability([pred], [obs], [np.full(4, 0.2)], n_bins=8)
    cells = np.array(out["counts"]["cells"])
    assert cells.sum() == 4 and (cells == 0).any()
    mean_obs = np.array(out["counts"]["mean_observed"])
    assert np.isnan(mean_obs[cells == 0]).all()
    np.testing.assert_allclose(mean_obs[cells > 0], 1.0)
    share = np.array(out["p_at_least_one"]["observed_share"])
    np.testing.assert_allclose(share[cells > 0], 0.5)
    assert out["p_at_least_one"]["brier"] == pytest.approx((0.8**2 * 2 + 0.2**2 * 2) / 4)
    assert out["totals"]["observed_over_expected"] is None
