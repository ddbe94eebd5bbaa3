"""Per-cell bootstrap intervals and class stability, and the truthful timeline."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline import grid
from pipeline.errors import ConfigError, InputError
from pipeline.hotspots import (
    bootstrap_cells,
    bootstrap_summary,
    breaks_classifier,
    cells_to_weights,
    counts_statistic,
    gi_bin_classifier,
    gi_z_statistic,
    global_breaks,
    timeline_summary,
    timeline_table,
)


def lattice(radius: int, res: int = 6) -> np.ndarray:
    return np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], res), radius))


def events_on(cells: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.repeat(cells, counts.astype(int))


# --- bootstrap -----------------------------------------------------------------------------


def test_count_intervals_are_the_binomial_quantiles():
    cells = lattice(2)
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
    cells = lattice(1)
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

    bootstrap_cells(25, statistic, lattice(0), options={"n_resamples": 30}, seed=2)
    assert len(seen) == 31 and (seen[0] == 1).all()
    for w in seen[1:]:
        assert w.size == 25 and w.sum() == 25 and np.array_equal(w, np.round(w))
    assert any((w != 1).any() for w in seen[1:])


def test_gi_star_bootstrap_keeps_a_strong_hot_spot_stable():
    cells = lattice(8)
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
    cells = lattice(6)
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
    cells = lattice(1)
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
    cells = lattice(3)
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
    cells = lattice(3)
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
    cells = lattice(2)
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
    cells = lattice(1)
    ev = seizures(cells, 3, n=20)

    def score(past, cutoff):
        return pd.Series([np.nan, 1.0, 2.0], index=cells[:3])

    tl = timeline_table(ev, ["2026-03"], score)
    assert tl.table["class"].tolist() == [-1, 0, 4]  # 5 quantile classes of [1, 2]
    assert timeline_summary(tl)["missing_values"] == 1


def test_timeline_refuses_bad_input():
    cells = lattice(1)
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
