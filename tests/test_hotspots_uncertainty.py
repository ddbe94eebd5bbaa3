"""Per-cell bootstrap intervals and class stability, and the truthful timeline."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _stats import one_factor_events
from conftest import disk_cells
from scipy import stats

from pipeline import grid
from pipeline.errors import ConfigError, InputError
from pipeline.hotspots import (
    FittedCoefficients,
    UncertaintyOptions,
    bootstrap_cells,
    bootstrap_summary,
    breaks_classifier,
    cells_to_weights,
    counts_statistic,
    density_operator,
    density_risk_statistic,
    fitted_risk_statistic,
    gi_bin_classifier,
    gi_z_statistic,
    global_breaks,
    parametric_cells,
    timeline_summary,
    timeline_table,
)


def events_on(cells: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.repeat(cells, counts.astype(int))


# --- bootstrap -----------------------------------------------------------------------------


def test_count_intervals_are_the_binomial_quantiles():
    cells = disk_cells(2)
    counts = np.zeros(cells.size)
    counts[:4] = [40, 10, 3, 1]
    counts[4:] = 2
    ev = events_on(cells, counts)
    n = ev.size
    out = bootstrap_cells(n, counts_statistic(ev, cells), cells, options={"n_resamples": 2000})
    np.testing.assert_array_equal(out["value"], counts)
    # a cell's resampled count is Binomial(N, c/N): the percentile interval is its quantiles
    lo = stats.binom.ppf(0.05, n, counts / n)
    hi = stats.binom.ppf(0.95, n, counts / n)
    assert (np.abs(out["value_lower"] - lo) <= 1).all()
    assert (np.abs(out["value_upper"] - hi) <= 1).all()
    assert (out["value_lower"] <= out["value_upper"]).all()


def test_class_stability_is_high_far_from_a_break_and_low_on_it():
    cells = disk_cells(1)
    counts = np.array([60, 20, 0, 1, 1, 1, 1], dtype=float)
    ev = events_on(cells, counts)
    out = bootstrap_cells(
        ev.size,
        counts_statistic(ev, cells),
        cells,
        classify=breaks_classifier([0, 20, 1000]),
        options={"n_resamples": 400},
        seed=1,
    )
    s = out["value_class_stability"].to_numpy()
    assert s[0] == 1.0 and s[2] == 1.0  # 60 stays above 20; an empty cell stays empty
    assert 0.3 < s[1] < 0.8  # exactly on the break: in the class about half the time
    assert out.loc[2, ["value_lower", "value_upper"]].tolist() == [0.0, 0.0]


def test_the_statistic_receives_multinomial_event_weights():
    seen = []

    def statistic(weights):
        seen.append(weights.copy())
        return np.array([weights.sum()])

    bootstrap_cells(25, statistic, disk_cells(0), options={"n_resamples": 30}, seed=2)
    assert len(seen) == 31 and (seen[0] == 1).all()
    for w in seen[1:]:
        assert w.size == 25 and w.sum() == 25 and np.array_equal(w, np.round(w))
    assert any((w != 1).any() for w in seen[1:])


def test_gi_star_bootstrap_keeps_a_strong_hot_spot_stable():
    cells = disk_cells(8)
    rng = np.random.default_rng(0)
    counts = rng.poisson(0.5, cells.size).astype(float)
    centre = np.searchsorted(cells, grid.points_to_cells([10.0], [40.0], 6)[0])
    core = np.isin(cells, grid.grid_disk_cells([cells[centre]], 1))
    counts[core] += 12
    ev = events_on(cells, counts)
    w = cells_to_weights(cells, k_rings=1)
    out = bootstrap_cells(
        ev.size,
        gi_z_statistic(ev, w),
        w.cells,
        classify=gi_bin_classifier(),
        options={"n_resamples": 100},
        name="gi_z",
    )
    assert out.loc[centre, "gi_z_class_stability"] > 0.9
    assert out.loc[centre, "gi_z_lower"] > 3
    summary = bootstrap_summary(out, "gi_z")
    assert json.loads(json.dumps(summary, allow_nan=False))["cells"] == cells.size


def test_bootstrap_is_seeded_and_bounded():
    cells = disk_cells(6)
    counts = np.random.default_rng(3).poisson(1.0, cells.size).astype(float)
    ev = events_on(cells, counts)
    stat = counts_statistic(ev, cells)
    a = bootstrap_cells(ev.size, stat, cells, options={"n_resamples": 50}, seed=7)
    b = bootstrap_cells(ev.size, stat, cells, options={"n_resamples": 50}, seed=7)
    c = bootstrap_cells(ev.size, stat, cells, options={"n_resamples": 50}, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    many = np.arange(4000, dtype="uint64")
    flat = lambda w: np.zeros(4000)  # noqa: E731
    small = {"n_resamples": 50, "max_bytes": 2**20}
    bootstrap_cells(3, flat, many, options=small)  # 50 x 4000 in float32 fits 1 MiB
    with pytest.raises(InputError, match="max_bytes"):
        bootstrap_cells(3, flat, np.arange(8000, dtype="uint64"), options=small)


def test_bootstrap_refuses_bad_statistics_and_options():
    cells = disk_cells(1)
    with pytest.raises(InputError, match="shape"):
        bootstrap_cells(5, lambda w: np.zeros(3), cells)
    with pytest.raises(InputError, match="non-finite"):
        bootstrap_cells(5, lambda w: np.full(7, np.nan), cells)
    with pytest.raises(ConfigError, match="interval"):
        bootstrap_cells(5, lambda w: np.zeros(7), cells, options={"interval": (0.9, 0.1)})
    with pytest.raises(InputError, match="increasing"):
        breaks_classifier([1, 1, 2])


# --- timeline ------------------------------------------------------------------------------


def seizures(cells: np.ndarray, seed: int = 0, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 181, n)
    return pd.DataFrame(
        {
            "cell": rng.choice(cells[:10], n),
            "time": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(days, unit="D"),
        }
    )


def cumulative_counts(past: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    return past.groupby("cell").size().astype(float)


def test_each_period_sees_only_its_past():
    cells = disk_cells(3)
    ev = seizures(cells)
    seen = []

    def score(past, cutoff):
        seen.append((past["time"].max(), cutoff))
        return cumulative_counts(past, cutoff)

    tl = timeline_table(ev, pd.period_range("2026-01", "2026-06", freq="M"), score)
    assert all(latest <= cutoff for latest, cutoff in seen)
    assert tl.periods == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert tl.cutoffs[0].startswith("2026-01-31T23:59:59.999999")
    # values are the counts up to each month's end
    for period, group in tl.table.groupby("period"):
        end = pd.Period(period, "M").end_time.tz_localize("UTC")
        expected = ev[ev.time <= end].groupby("cell").size()
        got = group.set_index("cell")["risk"]
        np.testing.assert_array_equal(got.reindex(expected.index).to_numpy(), expected.to_numpy())
    # events after March change nothing up to March
    later = pd.concat([ev, ev.assign(time=pd.Timestamp("2026-04-15", tz="UTC"))], ignore_index=True)
    tl2 = timeline_table(later, tl.periods, cumulative_counts, breaks=tl.breaks)
    early = tl.table.period <= "2026-03"
    pd.testing.assert_frame_equal(
        tl.table[early].reset_index(drop=True),
        tl2.table[tl2.table.period <= "2026-03"].reset_index(drop=True),
    )


def test_one_scale_for_all_periods():
    cells = disk_cells(3)
    tl = timeline_table(seizures(cells, 1), ["2026-02", "2026-04", "2026-06"], cumulative_counts)
    pooled = tl.table["risk"].to_numpy()
    assert tl.breaks == global_breaks(pooled, 5)
    assert tl.breaks[0] == pooled.min() and tl.breaks[-1] == pooled.max()
    # the same value has the same class whatever its period
    by_value = tl.table.groupby("risk")["class"].nunique()
    assert (by_value == 1).all()
    # and levels are comparable: counts only grow, so a cell's class never falls
    wide = tl.table.pivot(index="cell", columns="period", values="class").dropna()
    assert (np.diff(wide.to_numpy(), axis=1) >= 0).all()
    assert (wide.iloc[:, -1] > wide.iloc[:, 0]).any()
    summary = timeline_summary(tl)
    assert json.loads(json.dumps(summary, allow_nan=False))["breaks"] == tl.breaks


def test_as_of_cuts_the_running_period_and_extra_columns_pass_through():
    cells = disk_cells(2)
    ev = seizures(cells, 2)

    def score(past, cutoff):
        s = cumulative_counts(past, cutoff)
        return pd.DataFrame({"cell": s.index, "risk": s.to_numpy(), "present_data": True})

    tl = timeline_table(ev, ["2026-05", "2026-06"], score, as_of="2026-06-10", breaks=[0, 10, 100])
    assert tl.cutoffs[-1] == "2026-06-10T00:00:00+00:00"
    june = tl.table[tl.table.period == "2026-06"].set_index("cell")["risk"]
    expected = ev[ev.time <= pd.Timestamp("2026-06-10", tz="UTC")].groupby("cell").size()
    np.testing.assert_array_equal(june.reindex(expected.index).to_numpy(), expected.to_numpy())
    assert tl.table["present_data"].all() and tl.breaks == [0.0, 10.0, 100.0]
    assert set(tl.table["class"]) <= {0, 1}


def test_missing_values_get_no_class():
    cells = disk_cells(1)
    ev = seizures(cells, 3, n=20)

    def score(past, cutoff):
        return pd.Series([np.nan, 1.0, 2.0], index=cells[:3])

    tl = timeline_table(ev, ["2026-03"], score)
    assert tl.table["class"].tolist() == [-1, 0, 4]  # 5 quantile classes of [1, 2]
    assert timeline_summary(tl)["missing_values"] == 1


def test_timeline_refuses_bad_input():
    cells = disk_cells(1)
    ev = seizures(cells, 4, n=10)
    with pytest.raises(InputError, match="timezone-aware"):
        timeline_table(ev.assign(time=ev.time.dt.tz_localize(None)), ["2026-01"], cumulative_counts)
    with pytest.raises(InputError, match="'when'"):
        timeline_table(ev, ["2026-01"], cumulative_counts, time_column="when")
    with pytest.raises(InputError, match="missing"):
        timeline_table(ev, ["2026-01"], lambda p, c: pd.DataFrame({"cell": cells}))
    with pytest.raises(InputError, match="increasing"):
        timeline_table(ev, ["2026-01"], cumulative_counts, breaks=[3, 1])
    with pytest.raises(InputError, match="no periods"):
        timeline_table(ev, [], cumulative_counts)
    with pytest.raises(InputError, match="scheme"):
        global_breaks([1.0, 2.0, 3.0], 2, "jenks")


# --- uncertainty of the published risk -----------------------------------------------------


def _sea(n: int = 150, seed: int = 0):
    rng = np.random.default_rng(seed)
    cells = np.sort(grid.grid_disk_cells(grid.points_to_cells([-60.0], [15.0], 5), 12))
    ev = pd.DataFrame(
        {
            "time": pd.Timestamp("2026-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 180, n), unit="D"),
            "lon": -60.0 + rng.normal(0, 0.4, n),
            "lat": 15.0 + rng.normal(0, 0.4, n),
            "commodity": "cocaine",
        }
    )
    return cells, ev


@pytest.mark.parametrize(("kernel", "h"), [("quartic", 30.0), ("gaussian", 12.0)])
def test_density_operator_is_the_exact_kernel_density(kernel, h):
    from pipeline.density import kernel_density

    cells, ev = _sea()
    w = np.random.default_rng(1).random(len(ev))
    k = density_operator(ev.lon, ev.lat, cells, bandwidth_km=h, kernel=kernel)
    assert k.shape == (cells.size, len(ev))
    exact = kernel_density(
        (ev.lon.to_numpy(), ev.lat.to_numpy()),
        cells,
        bandwidth_km=h,
        kernel=kernel,
        weights=w,
        method="exact",
    )
    # the gaussian is truncated at 7 bandwidths, as the fast evaluators do (exp(-24.5))
    np.testing.assert_allclose(k @ w, exact, rtol=1e-9, atol=1e-10 * exact.max())
    with pytest.raises(InputError, match="max_bytes"):
        density_operator(ev.lon, ev.lat, cells, bandwidth_km=h, kernel=kernel, max_bytes=100)


def _published(cells, ev, edge: bool):
    """A weighted score of the edge-corrected density and one fixed factor, as the run makes it."""
    from pipeline.builtin_factors import density_on_cells
    from pipeline.config import DensityConfig
    from pipeline.score import score_cells

    d = DensityConfig(
        bandwidth_km=30.0, kernel="quartic", half_life_days=90.0, edge_correction=edge
    )
    as_of = pd.Timestamp("2026-06-30", tz="UTC")
    dens, _ = density_on_cells(ev, cells, as_of, d, cells[: cells.size * 2 // 3])
    other = np.random.default_rng(2).random(cells.size)
    feats = pd.DataFrame({"cell": cells, "seizure_density": dens, "other": other})
    feats["other__covered"] = np.arange(cells.size) % 5 != 0  # some cells lack the factor
    feats["seizure_density__covered"] = True
    weights = {"seizure_density": 2.0, "other": 1.0}
    scores = score_cells(feats, weights, covered=feats)
    total = 2.0 + np.where(scores["other__covered"], 1.0, 0.0)
    return d, as_of, scores, 2.0 / total


@pytest.mark.parametrize("edge", [False, True])
def test_density_risk_statistic_gives_back_the_published_risk(edge):
    from pipeline.density import seizure_weights

    cells, ev = _sea()
    d, as_of, scores, share = _published(cells, ev, edge)
    b = seizure_weights(ev, as_of=as_of, half_life_days=d.half_life_days)
    k = density_operator(ev.lon, ev.lat, cells, bandwidth_km=30.0, kernel="quartic")
    stat = density_risk_statistic(
        k, b, scores["seizure_density"], scores["risk"], scores["seizure_density__contrib"], share
    )
    np.testing.assert_allclose(stat(np.ones(len(ev))), scores["risk"], rtol=1e-9, atol=1e-9)
    # dropping every event leaves only the other factor's points
    np.testing.assert_allclose(
        stat(np.zeros(len(ev))),
        scores["risk"] - scores["seizure_density__contrib"],
        atol=1e-9,
    )
    # a resample's risk is the score of the resample's own density (linear in the weights)
    from pipeline.score import score_cells

    m = np.random.default_rng(3).multinomial(len(ev), np.full(len(ev), 1 / len(ev)))
    feats = scores[["cell", "other", "other__covered"]].copy()
    ratio = np.divide(scores["seizure_density"], k @ b, out=np.zeros(cells.size), where=k @ b > 0)
    feats["seizure_density"] = ratio * (k @ (b * m))
    feats["seizure_density__covered"] = True
    again = score_cells(feats, {"seizure_density": 2.0, "other": 1.0}, covered=feats)
    np.testing.assert_allclose(stat(m.astype(float)), again["risk"], atol=1e-9)


def test_bootstrap_of_the_risk_brackets_it_and_is_stable_far_from_the_events():
    from pipeline.density import seizure_weights

    cells, ev = _sea(300, seed=4)
    d, as_of, scores, share = _published(cells, ev, False)
    b = seizure_weights(ev, as_of=as_of, half_life_days=d.half_life_days)
    k = density_operator(ev.lon, ev.lat, cells, bandwidth_km=30.0, kernel="quartic")
    stat = density_risk_statistic(
        k, b, scores["seizure_density"], scores["risk"], scores["seizure_density__contrib"], share
    )
    out = bootstrap_cells(
        len(ev),
        stat,
        cells,
        classify=breaks_classifier([0, 20, 40, 60, 80, 100]),
        options={"n_resamples": 200},
        name="risk",
    )
    np.testing.assert_allclose(out["risk"], scores["risk"], atol=1e-9)
    assert (out["risk_lower"] <= out["risk_upper"]).all()
    far = (k @ b) == 0  # no seizure within the bandwidth: the seizures cannot move it
    assert far.any() and (~far).any()
    assert (out.loc[far, "risk_upper"] == out.loc[far, "risk_lower"]).all()
    assert (out.loc[far, "risk_class_stability"] == 1.0).all()
    assert (out.loc[~far, "risk_upper"] - out.loc[~far, "risk_lower"]).max() > 1.0
    assert out["risk_class_stability"].between(0, 1).all()
    assert (out["risk_class_stability"] < 1).any()


def test_parametric_draws_of_a_linear_statistic_give_normal_quantiles():
    cells = disk_cells(1)
    a = np.random.default_rng(0).normal(size=(cells.size, 2))
    params, cov = np.array([1.0, -0.5]), np.array([[0.04, 0.01], [0.01, 0.09]])
    out = parametric_cells(
        params, cov, lambda p: a @ p, cells, options=UncertaintyOptions(n_resamples=20000)
    )
    sd = np.sqrt(np.einsum("ij,jk,ik->i", a, cov, a))
    np.testing.assert_allclose(out["value"], a @ params)
    np.testing.assert_allclose(out["value_lower"], a @ params - 1.6449 * sd, atol=0.03)
    np.testing.assert_allclose(out["value_upper"], a @ params + 1.6449 * sd, atol=0.03)
    still = parametric_cells(
        params, np.zeros((2, 2)), lambda p: a @ p, cells, classify=lambda v: v > 0
    )
    np.testing.assert_allclose(still["value_lower"], still["value_upper"])
    assert (still["value_class_stability"] == 1.0).all()
    with pytest.raises(InputError, match="2x2"):
        parametric_cells(params, np.eye(3), lambda p: a @ p, cells)


def test_fitted_risk_statistic_gives_back_the_published_percentile():
    from pipeline.model import FittedModel, FittedOptions

    origin = pd.Timestamp("2024-01-01", tz="UTC")
    cells, ev, table = one_factor_events((0.0, 0.0, 3.0, 3.0), rate=0.4)
    opts = FittedOptions(
        count_windows_days=(),
        bandwidths_km=(),
        recency=False,
        stride_days=91.0,
        family="poisson",
        min_history_days=91.0,
    )
    m = FittedModel(opts).fit(ev, cells, origin, table)
    fc = FittedCoefficients.from_model(m)
    assert fc is not None
    stat = fitted_risk_statistic(fc)
    pred = m.predict()
    # the share of the area at or below each cell's rate (H3 cells differ in area)
    score = pred["score"].to_numpy()
    area = grid.cell_area_km2(pred["cell"].to_numpy())
    published = np.array([area[score <= v].sum() for v in score]) / area.sum() * 100
    assert not np.allclose(published, pred["score"].rank(method="max", pct=True) * 100)
    np.testing.assert_allclose(stat(m.fit_.params), published)
    out = parametric_cells(
        m.fit_.params,
        m.cov_,
        stat,
        m.cells_,
        classify=breaks_classifier([0, 50, 100]),
        options=UncertaintyOptions(n_resamples=100),
    )
    assert (out["value_lower"] <= out["value"] + 1e-9).mean() > 0.9
    assert out["value_class_stability"].between(0, 1).all()
    # a model that fell back has no coefficients to draw
    m.fit_ = None
    assert FittedCoefficients.from_model(m) is None


@pytest.mark.parametrize("kind", ["parametric", "bootstrap"])
def test_intervals_do_not_copy_the_draws(kind):
    # the cells x draws table is the largest array of the uncertainty stage (65 MB on the
    # demo); its quantiles are taken in place, so the stage never holds two of it
    import tracemalloc

    n, b = 20_000, 50
    cells = np.arange(1, n + 1, dtype="uint64")
    a = np.random.default_rng(0).normal(size=(n, 2))
    opts = UncertaintyOptions(n_resamples=b)

    def run():
        if kind == "parametric":
            return parametric_cells(
                np.ones(2), np.eye(2) * 0.01, lambda p: a @ p, cells, options=opts
            )
        return bootstrap_cells(3, lambda w: a @ w[:2], cells, options=opts)

    run()  # warm: imports and caches allocated once
    tracemalloc.start()
    try:
        out = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    table = n * b * 8
    assert peak < 1.6 * table, (peak, table)
    assert (out["value_lower"] <= out["value_upper"]).all()
