"""Published statistics checked against reference implementations on realistic hostile shapes."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
from _stats import pirate_events
from scipy import stats

from pipeline import grid
from pipeline.evaluate import reliability
from pipeline.evaluate.calibration import decile_bins
from pipeline.hotspots import (
    EMERGING_CATEGORY,
    emerging_hotspots,
    emerging_summary,
    mann_kendall,
    space_time_cube,
)


def _binned_by_order(pred: np.ndarray, obs: np.ndarray, n_bins: int) -> np.ndarray:
    """Mean observation per bin when each cell goes wholly into the bin of its rank."""
    b = decile_bins(pred, n_bins)
    return np.bincount(b, weights=obs, minlength=n_bins) / np.bincount(b, minlength=n_bins)


def test_reliability_of_tied_predictions_does_not_depend_on_the_cell_order():
    # a fallback forecast: 70 % of the cells predicted exactly 0, the misses among them sitting
    # in the low cell ids (events cluster in space, H3 ids follow space)
    rng = np.random.default_rng(0)
    n, n_bins = 1000, 10
    pred = np.zeros(n)
    pred[700:] = np.linspace(0.1, 2.0, 300)
    obs = np.zeros(n)
    obs[:100] = 1.0
    obs[700:] = rng.poisson(pred[700:])
    curves = []
    for order in (np.arange(n), np.arange(n)[::-1], rng.permutation(n)):
        got = reliability([pred[order]], [obs[order]], [pred[order] / 3], n_bins=n_bins)
        curves.append(got["counts"]["mean_observed"])
        assert got["counts"]["cells"] == [100] * 10
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-12)
    np.testing.assert_allclose(curves[2], curves[0], rtol=1e-12)
    # the reference: the average over random orders of the tied cells of the plain binning
    ref = np.mean(
        [
            _binned_by_order(pred[p], obs[p], n_bins)
            for p in (rng.permutation(n) for _ in range(400))
        ],
        axis=0,
    )
    np.testing.assert_allclose(curves[0], ref, atol=0.02)
    assert curves[0][0] == 100 / 700  # the tied zeros' events spread evenly over their bins
    # without ties the split is the plain binning, exactly
    distinct = np.sort(rng.random(n))
    got = reliability([distinct], [obs], n_bins=n_bins)["counts"]["mean_observed"]
    np.testing.assert_allclose(got, _binned_by_order(distinct, obs, n_bins), rtol=1e-12)


# --- emerging hot spots: a running final period ---------------------------------------------


def _as_of(day: str) -> pd.Timestamp:
    """The runner's ``as_of``: the end of that UTC day."""
    return pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


@pytest.mark.shared
def test_a_run_days_into_a_quarter_keeps_the_emerging_hot_spots(shared_data):
    # pirate attacks 2010-2015 by quarter: run at the end of 2015, then a few days later; the
    # running quarter held 1 event and every hot spot vanished ("no pattern detected")
    raw = pirate_events(shared_data)
    ev = grid.points_to_cells(raw.longitude.to_numpy(), raw.latitude.to_numpy(), 3)
    cells = np.unique(grid.grid_disk_cells(np.unique(ev), 1))
    since = raw.time >= pd.Timestamp("2010-01-01", tz="UTC")
    results = {}
    for day in ("2015-12-31", "2016-01-03", "2016-01-31"):
        end = _as_of(day)
        keep = (since & (raw.time <= end)).to_numpy()
        cube = space_time_cube(ev[keep], raw.time[keep], cells, period="quarter", end=end)
        results[day] = emerging_hotspots(cube)
    complete = results["2015-12-31"]
    assert complete.left_out is None
    assert (complete.cells[EMERGING_CATEGORY] != "no pattern detected").sum() >= 5
    for day in ("2016-01-03", "2016-01-31"):
        got = results[day]
        assert got.periods == complete.periods  # the running 2016Q1 is not a slice
        pd.testing.assert_frame_equal(got.cells, complete.cells)
        summary = emerging_summary(got, {})
        assert summary["last_period"] == "2015Q4"
        assert (
            "2016Q1" in summary["left_out"] and f"{int(day[-2:])} of 91 days" in summary["left_out"]
        )


def test_a_running_final_month_is_not_read_as_a_drop():
    cells = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], 6), 6))
    rng = np.random.default_rng(4)
    centre = cells[cells.size // 2]
    ring = grid.grid_disk_cells(np.array([centre], dtype="uint64"), 1)
    months = pd.date_range("2025-01-01", periods=9, freq="MS", tz="UTC")
    # a cluster of 12 events a month in one neighbourhood, 20 lone events a month elsewhere
    ev, times = [], []
    for m in months:
        days = 30 if m != months[-1] else 4  # the run is on the 4th of the ninth month
        ev += [rng.choice(ring, 12), rng.choice(cells, 20)]
        times.append(m + pd.to_timedelta(rng.integers(0, days, 32), unit="D"))
    ev_cells = np.concatenate(ev)
    t = pd.Series(np.concatenate([x.to_numpy() for x in times]))
    end = _as_of("2025-09-04")
    running = emerging_hotspots(space_time_cube(ev_cells, t, cells, period="month", end=end))
    before = t < pd.Timestamp("2025-09-01", tz="UTC")
    done = emerging_hotspots(
        space_time_cube(
            ev_cells[before], t[before], cells, period="month", end=_as_of("2025-08-31")
        )
    )
    assert running.periods == done.periods == [f"2025-{m:02d}" for m in range(1, 9)]
    pd.testing.assert_frame_equal(running.cells, done.cells)
    assert done.cells.set_index("cell").loc[centre, EMERGING_CATEGORY] in {
        "persistent hot spot",
        "intensifying hot spot",
    }
    assert "4 of 30 days" in running.left_out
    # the cube itself still holds the running month, marked
    cube = space_time_cube(ev_cells, t, cells, period="month", end=end)
    assert cube.periods[-1] == "2025-09" and cube.final_days == (4, 30)
    assert space_time_cube(ev_cells, t, cells, period="month").final_days is None


# --- Mann-Kendall: ties and missing periods ----------------------------------------------------


def test_mann_kendall_leaves_missing_periods_out_and_matches_kendalltau():
    # sparse counts (many tied zeros) with periods not reported (NaN), as a monthly export with
    # gaps; the reference is Kendall's tau against time over the periods that have a value
    rng = np.random.default_rng(7)
    x = rng.poisson(0.6, size=(60, 14)).astype("float64")
    x[:, 7:] += rng.poisson(0.8, size=(60, 7))  # an upward step in half the rows
    x[rng.random(x.shape) < 0.2] = np.nan
    x[0, :] = np.nan
    x[0, 3] = 2.0  # a single value: no test
    x[1, :5] = np.nan  # missing at the start
    got = mann_kendall(x, continuity=False)
    cont = mann_kendall(x)
    time = np.arange(x.shape[1])
    for i, row in enumerate(x):
        ok = ~np.isnan(row)
        if ok.sum() < 2:
            assert np.isnan(got.p[i]) and np.isnan(got.tau[i])
            continue
        xs, ts = row[ok], time[ok]
        s = sum(np.sign(xs[b] - xs[a]) for a in range(xs.size) for b in range(a + 1, xs.size))
        assert got.s[i] == s
        if np.ptp(xs) == 0:
            assert got.p[i] == 1.0
            continue
        ref = stats.kendalltau(ts, xs, method="asymptotic")
        np.testing.assert_allclose(got.p[i], ref.pvalue, rtol=1e-9)
        n = ok.sum()
        np.testing.assert_allclose(got.tau[i], s / (n * (n - 1) / 2), rtol=1e-12)
        # with the continuity correction: |S| - 1 over the same tie-corrected variance
        np.testing.assert_allclose(cont.z[i], (s - np.sign(s)) / np.sqrt(got.var_s[i]), rtol=1e-12)
    # a missing period is not a zero
    filled = np.nan_to_num(x[1])
    assert mann_kendall(filled[None]).s[0] != got.s[1]


def test_a_final_month_as_long_as_a_complete_one_is_kept():
    # 30 of 31 days of a month is no more partial than a whole April or February among the
    # months: dropping it would leave the latest month of events out of every trend.
    rng = np.random.default_rng(5)
    cells = np.array([h3.str_to_int(c) for c in h3.grid_disk(h3.latlng_to_cell(10.0, 60.0, 5), 2)])
    t = pd.to_datetime("2024-10-01", utc=True) + pd.to_timedelta(
        np.sort(rng.uniform(0, 395, 600)), unit="D"
    )
    ev = rng.choice(cells, t.size)
    late = space_time_cube(ev, t, cells, period="month", end=_as_of("2025-10-30"))
    assert late.final_days is None and late.periods[-1] == "2025-10"
    assert emerging_hotspots(late).left_out is None
    assert emerging_hotspots(late).periods[-1] == "2025-10"
    early = space_time_cube(ev, t, cells, period="month", end=_as_of("2025-10-27"))
    assert "27 of 31 days" in emerging_hotspots(early).left_out


def test_risk_percentile_is_a_share_of_the_area_not_of_the_cells():
    # H3 cells of one resolution differ in area (equator vs 70 N): the share of the cells
    # below a cell is not the share of the area, and a class break (top 1 % of the area)
    # would hold more or less area than it says. Ties (quiet cells) share the lowest rank.
    from pipeline.score import area_percentile

    cells = np.concatenate(
        [
            grid.region_to_cells((0.0, 0.0, 6.0, 3.0), 4),
            grid.region_to_cells((0.0, 68.0, 6.0, 71.0), 4),
        ]
    )
    area = grid.cell_area_km2(cells)
    assert area.max() / area.min() > 1.2
    rng = np.random.default_rng(3)
    rate = np.where(rng.random(cells.size) < 0.4, 0.0, rng.gamma(1.0, 1.0, cells.size))
    got = area_percentile(rate, area=area)
    lowest = np.array([rate[rate < v].size for v in rate])  # tie blocks share their start
    block_mean = np.array([area[rate == v].mean() for v in rate])
    want = (np.array([area[rate < v].sum() for v in rate]) + block_mean) / area.sum() * 100
    np.testing.assert_allclose(got, want)
    assert np.ptp(got[rate == 0]) == 0 and got.max() == pytest.approx(100.0)
    # the cells above the 99th percentile hold 1 % of the area (to one cell), not 1 % of cells
    top = got > 99.0
    assert area[top].sum() / area.sum() <= 0.01 + area.max() / area.sum()
    # without areas: the old share of the cells
    np.testing.assert_allclose(area_percentile(rate), (lowest + 1) / cells.size * 100.0)


def _daily_events(first: str, last: str, per_day: int, cells: np.ndarray, seed: int):
    rng = np.random.default_rng(seed)
    days = pd.date_range(first, last, freq="D", tz="UTC")
    t = days.repeat(per_day) + pd.to_timedelta(rng.uniform(0, 86_399, days.size * per_day), "s")
    return rng.choice(cells, t.size), pd.Series(t)


def test_a_first_month_the_data_start_within_is_left_out_like_a_running_final_one():
    # an export that starts on 20 January: January holds 12 days of events against whole
    # months after it, so every cell's series starts low and reads as a rise
    cells = np.array([h3.str_to_int(c) for c in h3.grid_disk(h3.latlng_to_cell(10.0, 60.0, 5), 2)])
    ev, t = _daily_events("2024-01-20", "2025-06-30", 4, cells, 1)
    cube = space_time_cube(ev, t, cells, period="month", end=_as_of("2025-06-30"))
    assert cube.periods[0] == "2024-01" and cube.first_days == (12, 31)
    got = emerging_hotspots(cube)
    assert got.periods[0] == "2024-02" and got.periods[-1] == "2025-06"
    assert "first month 2024-01" in got.left_out and "12 of 31 days" in got.left_out
    # the same data from 1 January: nothing is left out
    ev2, t2 = _daily_events("2024-01-01", "2025-06-30", 4, cells, 1)
    whole = space_time_cube(ev2, t2, cells, period="month", end=_as_of("2025-06-30"))
    assert whole.first_days is None and emerging_hotspots(whole).left_out is None
    # a start given explicitly is taken as it is, events or not
    given = space_time_cube(ev2, t2, cells, period="month", start="2024-01-25")
    assert given.first_days == (7, 31)


def test_a_late_first_event_of_sparse_data_is_not_taken_for_the_start():
    # events a fortnight or more apart: a first one on the 15th is what complete coverage
    # gives too, so the first month stays
    cells = np.array([h3.str_to_int(c) for c in h3.grid_disk(h3.latlng_to_cell(10.0, 60.0, 5), 1)])
    t = pd.Series(pd.date_range("2024-01-15", "2025-06-30", freq="16D", tz="UTC"))
    ev = np.resize(cells, t.size)
    cube = space_time_cube(ev, t, cells, period="month", end=_as_of("2025-06-30"))
    assert cube.first_days is None and cube.periods[0] == "2024-01"
    # and with a week's gaps, a first event on the 25th is a late start
    t = pd.Series(pd.date_range("2024-01-25", "2025-06-30", freq="7D", tz="UTC"))
    cube = space_time_cube(np.resize(cells, t.size), t, cells, period="month")
    assert cube.first_days == (7, 31)
