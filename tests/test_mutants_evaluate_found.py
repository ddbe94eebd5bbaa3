"""Tests a mutation pass over the back-test's evaluation helpers found missing (task hHT).

The pass went over ``pipeline/evaluate/calibration.py`` (deciles and the reliability curve),
``baselines.py`` (what an analyst could do without a model), ``plot.py`` (the evaluation
figure), ``_json.py`` (strict JSON) and the capture curve of ``metrics.py``, and over hostile
inputs a user's forecast can hold: cells it does not cover (NaN), ties, all zeros, a single
event.  Each test fails on a small, plausible mutant that left the other tests passing, or on
the product before its fix, and checks values against an independent reference: a pandas
groupby reliability table, a naive count, hand arithmetic, numpy's own statistics.
"""

from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from _stats import back_test_kwargs, disk_cells

from pipeline import grid
from pipeline.density import kernel_density_exact
from pipeline.errors import InputError
from pipeline.evaluate import (
    BacktestOptions,
    Forecast,
    baseline_methods,
    capture_curve,
    events_to_counts,
    hit_rates,
    json_safe,
    plot_evaluation,
    ranking_metrics,
    reliability,
    rolling_back_test,
)
from pipeline.evaluate.baselines import cell_areas
from pipeline.evaluate.plot import universe_note

END = pd.Timestamp("2024-01-01", tz="UTC")
KW = back_test_kwargs(END)


def _daily(cells: np.ndarray, days: int, seed: int = 0) -> pd.DataFrame:
    """An event a day for ``days`` days before ``END``, at the centre of a cell of ``cells``."""
    pick = np.random.default_rng(seed).choice(cells, days)
    lat, lon = grid.cells_to_latlng(pick)
    times = END - pd.to_timedelta(np.arange(days, 0, -1), unit="D")
    return pd.DataFrame({"time": times, "lon": lon, "lat": lat})


def _reliability_table(pred: np.ndarray, obs: np.ndarray, n_bins: int) -> pd.DataFrame:
    """Mean prediction and observation per bin of equal cell count, by pandas (no ties)."""
    frame = pd.DataFrame({"pred": pred, "obs": obs})
    rank = frame["pred"].rank(method="first").astype(int) - 1
    return frame.groupby(rank * n_bins // len(frame)).agg(
        cells=("pred", "size"), pred=("pred", "mean"), obs=("obs", "mean")
    )


# --------------------------------------------------------------------------- calibration


def test_cells_without_a_prediction_are_left_out_of_the_reliability_and_counted():
    """A forecast that does not cover a cell (NaN) says nothing of it: its events are not in
    a decile and not in the totals, and the Brier score is over the covered cells.  Before,
    the NaN cells sorted above every prediction: the top deciles held the uncovered cells'
    events, the totals and the Brier score were NaN (null)."""
    rng = np.random.default_rng(4)
    e = rng.gamma(1.0, 0.5, 30)
    o = rng.poisson(e).astype(float)
    covered = np.arange(30) % 3 != 0
    e_in = np.where(covered, e, np.nan)
    o_in = np.where(covered, o, 50.0)  # uncovered cells full of events
    p_in = 1 - np.exp(-e_in)
    out = reliability([e_in], [o_in], [p_in], n_bins=5)
    ref = _reliability_table(e[covered], o[covered], 5)
    assert out["counts"]["cells"] == ref["cells"].tolist() == [4] * 5
    np.testing.assert_allclose(out["counts"]["mean_expected"], ref["pred"], rtol=1e-12)
    np.testing.assert_allclose(out["counts"]["mean_observed"], ref["obs"], rtol=1e-12)
    assert out["counts"]["cells_without_prediction"] == 10
    assert out["totals"]["expected"] == pytest.approx(e[covered].sum(), rel=1e-12)
    assert out["totals"]["observed"] == o[covered].sum()
    p = 1 - np.exp(-e[covered])
    brier = np.mean((p - (o[covered] > 0)) ** 2)
    assert out["p_at_least_one"]["brier"] == pytest.approx(brier, rel=1e-12)
    assert out["p_at_least_one"]["cells_without_prediction"] == 10
    hit = _reliability_table(p, (o[covered] > 0).astype(float), 5)
    np.testing.assert_allclose(out["p_at_least_one"]["observed_share"], hit["obs"], rtol=1e-12)


def test_a_back_test_says_which_method_left_cells_unscored_and_uncovered():
    """A method's forecast given as a Series over part of the universe: the missing cells get
    NaN (missing, not zero), rank last, and the result says so for that method alone."""
    cells = disk_cells(2)
    events = _daily(cells, 200)

    def half(train, c, t):
        s = pd.Series(np.linspace(1.0, 2.0, c.size), index=c).iloc[: c.size // 2]
        return Forecast(score=s, expected=s * 0.01, p_any=1 - np.exp(-s * 0.01))

    opts = {**KW, "origins": 2, "horizon_days": 30, "train_days": 100}
    r = rolling_back_test(events, cells, methods={"half": half}, **opts)
    json.dumps(r, allow_nan=False)
    n_missing = cells.size - cells.size // 2
    assert [o["methods"]["half"]["n_cells_unscored"] for o in r["origins"]] == [n_missing] * 2
    assert "n_cells_unscored" not in r["origins"][0]["methods"]["uniform"]
    said = [n for n in r["notes"] if "'half'" in n]
    assert any(f"no score (NaN) to {2 * n_missing} cell(s) over 2 origin(s)" in n for n in said)
    assert any(f"no count (NaN) in {2 * n_missing} cell(s)" in n for n in said)
    assert not any("'uniform'" in n for n in r["notes"])
    cal = r["calibration"]["half"]
    assert cal["counts"]["cells_without_prediction"] == 2 * n_missing
    assert sum(cal["counts"]["cells"]) == 2 * (cells.size // 2)
    assert cal["totals"]["expected"] is not None and cal["p_at_least_one"]["brier"] is not None


def test_one_cell_at_one_origin_is_a_decile_of_its_own():
    """A single cell (one event, one origin) is the lowest bin's only cell, not dropped."""
    out = reliability([np.array([0.5])], [np.array([2.0])], [np.array([0.4])])
    assert out["counts"]["cells"] == [1] + [0] * 9
    assert out["counts"]["mean_expected"][0] == 0.5 and out["counts"]["mean_observed"][0] == 2.0
    assert out["totals"] == {"expected": 0.5, "observed": 2.0, "observed_over_expected": 4.0}
    assert out["p_at_least_one"]["brier"] == pytest.approx((0.4 - 1.0) ** 2)


def test_no_probability_to_score_has_no_brier_score_not_zero():
    """Without a cell that has a probability (every p NaN, or no cell) the Brier score is
    missing (None), not a perfect 0."""
    e = np.array([0.2, 0.4])
    out = reliability([e], [np.array([1.0, 0.0])], [np.full(2, np.nan)])
    assert out["p_at_least_one"]["brier"] is None
    assert out["p_at_least_one"]["cells_without_prediction"] == 2
    empty = reliability([np.array([])], [np.array([])], [np.array([])])
    assert empty["p_at_least_one"]["brier"] is None


def test_probabilities_given_at_some_origins_only_stay_with_their_origin():
    """A method that gives ``p_any`` at its second origin only: the probabilities are scored
    against that origin's events (before, the lists of probabilities and of observations
    were zipped strictly and the back-test ended in a ValueError traceback)."""
    cells = disk_cells(2)
    events = _daily(cells, 200)
    seen: list[pd.Timestamp] = []
    mu = np.linspace(0.1, 1.0, cells.size)

    def sometimes(train, c, t):
        seen.append(t)
        return Forecast(score=mu, expected=mu, p_any=None if len(seen) == 1 else 1 - np.exp(-mu))

    opts = {**KW, "origins": 2, "horizon_days": 30, "train_days": 100}
    r = rolling_back_test(events, cells, methods={"m": sometimes}, **opts)
    second = pd.Timestamp(r["origins"][1]["origin"])
    test = events[(events["time"] >= second) & (events["time"] < second + pd.Timedelta(days=30))]
    obs = events_to_counts(grid.points_to_cells(test["lon"], test["lat"], 6), cells)
    p = 1 - np.exp(-mu)
    got = r["calibration"]["m"]["p_at_least_one"]
    assert got["brier"] == pytest.approx(np.mean((p - (obs > 0)) ** 2), rel=1e-6)
    ref = _reliability_table(p, (obs > 0).astype(float), 10)  # the second origin's cells
    assert got["cells"] == ref["cells"].tolist()
    np.testing.assert_allclose(got["observed_share"], ref["obs"], rtol=1e-6)
    np.testing.assert_allclose(got["mean_predicted"], ref["pred"], rtol=1e-6)
    assert got["cells_without_prediction"] == cells.size
    assert any("no probability of an event (NaN or none) in 19 cell(s)" in n for n in r["notes"])


@pytest.mark.parametrize(
    ("expected", "p_any", "match"),
    [
        (-0.5, 0.2, r"1 expected value\(s\) that are not a finite count >= 0 .* -0\.5 in cell '8"),
        (np.inf, 0.2, r"1 expected value\(s\) that are not a finite count >= 0 .* inf in cell"),
        (0.5, 1.5, r"1 p_any value\(s\) that are not a probability in \[0, 1\] .* 1\.5 in cell"),
        (0.5, -1e-3, r"1 p_any value\(s\) that are not a probability"),
        (0.0, 1.0, None),
    ],
    ids=[
        "negative-count",
        "infinite-count",
        "probability-above-1",
        "negative-probability",
        "zero-and-one-accepted",
    ],
)
def test_a_forecast_that_is_no_count_or_probability_is_refused(expected, p_any, match):
    """A negative or infinite expected count, a probability outside [0, 1] (a rate passed
    as ``p_any``): no prediction, one clear error naming the method, the value and the cell;
    before, they entered the reliability and the Brier score quietly (a Brier above 1)."""
    cells = disk_cells(1)
    events = _daily(cells, 120)

    def odd(train, c, t):
        mu, p = np.full(c.size, 0.5), np.full(c.size, 0.2)
        mu[3], p[3] = expected, p_any
        return Forecast(score=mu, expected=mu, p_any=p)

    opts = {**KW, "origins": 1, "horizon_days": 30, "train_days": 60}
    if match is None:  # the edges are predictions
        assert rolling_back_test(events, cells, methods={"odd": odd}, **opts)["calibration"]
        return
    with pytest.raises(InputError, match=f"method 'odd' returned {match}"):
        rolling_back_test(events, cells, methods={"odd": odd}, **opts)


# --------------------------------------------------------------------------- strict JSON


@pytest.mark.parametrize(
    "missing",
    [pd.NaT, np.datetime64("NaT"), np.timedelta64("NaT")],
    ids=["pandas-nat", "numpy-datetime-nat", "numpy-timedelta-nat"],
)
def test_a_missing_time_is_null_not_the_text_nat(missing):
    """``pd.NaT`` is a ``datetime``: the date branch wrote it as ``"NaT"`` before the check
    for it was reached; a missing time is ``null`` like a missing number."""
    assert json_safe({"t": missing, "u": [missing]}) == {"t": None, "u": [None]}
    assert json_safe(pd.Timestamp("2024-01-02", tz="UTC")) == "2024-01-02T00:00:00+00:00"


def test_a_numpy_duration_keeps_its_unit():
    """``numpy.timedelta64`` is a numpy integer: ``int()`` wrote 36 hours as ``36``."""
    assert json_safe(np.timedelta64(36, "h")) == str(pd.Timedelta(hours=36)) == "1 days 12:00:00"


def test_an_array_of_numpy_times_is_times_not_nanosecond_integers():
    """``tolist()`` of a nanosecond time array gives integers (1704067200000000000)."""
    times = np.array(["2024-01-01", "NaT"], dtype="datetime64[ns]")
    assert json_safe(times) == ["2024-01-01T00:00:00.000000000", None]
    assert json_safe(np.array([36, 1], dtype="timedelta64[h]")) == [
        "1 days 12:00:00",
        "0 days 01:00:00",
    ]


def test_json_keys_are_text_and_nested_values_keep_the_digits_asked_for():
    """Keys of any type become text (``json.dumps`` refuses a numpy key); ``digits`` reaches
    every level (dicts, lists, tuples, arrays); a tuple is a list; bools stay bools."""
    value = {np.int64(3): (np.float64(1.23456789), [np.array([2.3456789])]), "b": {"c": 1 / 3}}
    out = json_safe(value, digits=3)
    assert out == {"3": [1.23, [[2.35]]], "b": {"c": 0.333}}
    json.dumps(out, allow_nan=False)
    assert json_safe((True, np.bool_(False), np.int64(2))) == [True, False, 2]
    assert [type(v) for v in json_safe((True, np.int64(2)))] == [bool, int]


def test_json_floats_keep_seven_significant_digits_small_or_large():
    """Seven significant digits by default, so ``0.1 + 0.2`` is ``0.3`` and a p-value of
    1e-12 stays 1e-12 (not 0.0000000)."""
    assert json_safe(0.1 + 0.2) == 0.3
    assert json_safe(1.23456789) == 1.234568
    assert json_safe(np.float32(1e-12)) == 1e-12
    assert json_safe(123456789.0) == 123456800.0
    assert json_safe([np.inf, -np.inf, np.nan]) == [None, None, None]


# --------------------------------------------------------------------------- baselines


def test_events_beyond_the_last_cell_and_in_it_are_counted_right():
    """An event in the last cell counts there; one with an id above every cell is outside
    (not an IndexError, not the last cell's); the counts are float64 as documented."""
    cells = disk_cells(1)
    above = np.sort(np.setdiff1d(disk_cells(3), cells))
    above = above[above > cells[-1]][:2]
    assert above.size == 2
    ev = np.concatenate([cells[[-1, -1, 0]], above])
    got = events_to_counts(ev, cells)
    naive = np.array([float((ev == c).sum()) for c in cells])
    np.testing.assert_array_equal(got, naive)
    assert got[-1] == 2.0 and got.sum() == 3.0 and got.dtype == np.float64


def test_remembered_areas_follow_cells_changed_in_place():
    """The areas are remembered for a copy of the cells: a caller that reuses its array for
    another universe gets that universe's areas, not the first's."""
    a = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [20.0], 6), 1))
    far = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [70.0], 6), 1))
    cell_areas(far[:2])  # another universe remembered before: these cells are not
    buf = a.copy()
    np.testing.assert_array_equal(cell_areas(buf), grid.cell_area_km2(a))
    buf[:] = far
    np.testing.assert_array_equal(cell_areas(buf), grid.cell_area_km2(far))


def test_baselines_come_in_the_order_the_options_name_them():
    opts = BacktestOptions(baselines=("kde", "uniform", "recent_counts"))
    assert list(baseline_methods(opts)) == ["kde", "uniform", "recent_counts"]
    assert list(baseline_methods(opts, density_fn=lambda t, c, o: np.zeros(len(c)))) == [
        "kde",
        "uniform",
        "recent_counts",
    ]


def test_baselines_of_an_origin_without_training_events_are_zero_and_constant():
    """No training event: the counts and the plain KDE are 0 everywhere (not an error), the
    uniform baseline a constant."""
    cells = disk_cells(1)
    train = pd.DataFrame(
        {"time": pd.to_datetime([], utc=True), "lon": np.array([]), "lat": np.array([])}
    )
    methods = baseline_methods(BacktestOptions())
    for name in ("all_prior_counts", "recent_counts", "kde"):
        got = methods[name](train, cells, END)
        np.testing.assert_array_equal(got, np.zeros(cells.size))
    uni = methods["uniform"](train, cells, END)
    assert uni.shape == (cells.size,) and np.ptp(uni) == 0


def test_the_plain_kde_takes_its_own_bandwidth_not_the_universe_radius():
    """``kde_bandwidth_km`` sets the plain KDE even when ``support_km`` (the universe's
    radius, which defaults to it) says otherwise."""
    cells = disk_cells(3)
    lat, lon = grid.cells_to_latlng(cells[[0, 5, 5, 20]])
    train = pd.DataFrame(
        {"time": END - pd.to_timedelta([3, 2, 1, 1], unit="D"), "lon": lon, "lat": lat}
    )
    opts = BacktestOptions(kde_bandwidth_km=30.0, support_km=5.0, kde_kernel="quartic")
    got = baseline_methods(opts)["kde"](train, cells, END)
    ref = kernel_density_exact((lon, lat), cells, bandwidth_km=30.0, kernel="quartic")
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-12)


# --------------------------------------------------------------------------- capture curve


def test_a_nan_score_ranks_after_zero_and_negative_scores_not_with_them():
    """Missing is not zero: a NaN score is flagged after every scored cell, a 0 and a
    negative score included; two NaN cells are one tied group (their events split by area)."""
    score = np.array([np.nan, 0.0, -1.0, np.nan])
    a, c = capture_curve(score, np.ones(4), np.array([5.0, 1.0, 2.0, 3.0]))
    np.testing.assert_allclose(a, [0.0, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(c, [0.0, 1.0, 3.0, 11.0])
    rows = ranking_metrics(score, np.ones(4), np.array([5.0, 1.0, 2.0, 3.0]), [0.75])
    assert rows[0]["hit_rate"] == pytest.approx((3 + 8 / 2) / 11, abs=1e-6)


def test_an_infinite_score_is_its_own_group_above_the_largest_finite_one():
    a, c = capture_curve(np.array([5.0, np.inf, 1.0]), np.ones(3), np.array([1.0, 2.0, 4.0]))
    np.testing.assert_allclose(a, [0.0, 1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(c, [0.0, 2.0, 3.0, 7.0])


def test_scores_a_millionth_apart_are_not_tied():
    """Only rounding noise (a relative 1e-9) ties scores; a relative 1e-6 is a ranking."""
    score = np.array([1.0, 1.0 + 1e-6, 1.0 + 1e-12])
    a, c = capture_curve(score, np.ones(3), np.array([1.0, 2.0, 4.0]))
    np.testing.assert_allclose(a, [0.0, 1 / 3, 1.0])
    np.testing.assert_allclose(c, [0.0, 2.0, 7.0])


def test_capture_curve_refuses_an_infinite_area_and_areas_not_one_per_cell():
    with pytest.raises(InputError, match="area_km2 must be finite"):
        capture_curve(np.ones(2), np.array([1.0, np.inf]), np.ones(2))
    with pytest.raises(InputError, match="one value per cell"):
        capture_curve(np.ones(2), np.ones(3), np.ones(2))
    a, c = capture_curve(np.array([]), np.array([]), np.array([]))
    assert a.tolist() == [0.0] and c.tolist() == [0.0]


def test_hit_rates_are_over_every_test_event_and_missing_without_any():
    """The full curve divides by all test events (misses outside the cells included); a
    total below the events in the cells, even by half an event, is refused; no event is NaN."""
    score, area, test = np.array([2.0, 1.0]), np.ones(2), np.array([3.0, 1.0])
    np.testing.assert_allclose(hit_rates(score, area, test, np.array([0.5, 1.0]), 8), [3 / 8, 0.5])
    with pytest.raises(InputError, match="n_test_total"):
        hit_rates(score, area, test, np.array([0.5]), 3.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 on the way
        assert np.isnan(hit_rates(score, area, np.zeros(2), np.array([0.5]), 0)).all()


# --------------------------------------------------------------------------- the figure


def _figure(monkeypatch, tmp_path, result, **kw):
    """Draw ``result`` and return the figure as it was saved."""
    import matplotlib.figure

    seen = []
    save = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        seen.append(fig)
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    plot_evaluation(result, tmp_path / "evaluation.png", **kw)
    assert (tmp_path / "evaluation.png").read_bytes()[:4] == b"\x89PNG"
    (fig,) = seen
    return fig


def _result() -> dict:
    """Methods ``a``, ``b`` (with a reliability) and ``c`` (no value at any origin)."""
    fr = [0.01, 0.05, 0.2]

    def method(mean, sd, values):
        at = [{"area_fraction": f, "hit_rate": {"values": list(values)}} for f in fr]
        return {"curve": {"mean": mean, "sd": sd}, "at": at}

    none = [None, None, None]
    return {
        "curve_area_fractions": [0.01, 0.1, 1.0],
        "summary": {
            "a": method([0.2, 0.5, 1.0], [0.05, 0.05, 0.0], [0.3, 0.3, 0.3]),
            "b": method([0.1, 0.3, 1.0], none, [0.1, 0.2, 0.9]),
            "c": method(none, none, none),
        },
        "origins": [{}, {}, {}],
        "calibration": {
            "b": {"counts": {"mean_expected": [0.1, 0.5, None], "mean_observed": [0.2, 2.0, None]}}
        },
    }


def test_the_figure_draws_hit_rates_spread_nearest_share_and_reliability(monkeypatch, tmp_path):
    """Panel 1: mean hit rate in % against the share in %, log axis, band of ±1 SD; panel 2:
    each origin at the reported share nearest to ``area_fraction``, bar at the mean (none
    for a method without a value); panel 3: x = mean expected, y = mean observed per decile,
    in the method's colour, the diagonal up to the largest of either."""
    fig = _figure(monkeypatch, tmp_path, _result(), area_fraction=0.04)
    ax_curve, ax_orig, ax_cal = fig.axes
    assert ax_curve.get_xscale() == "log"
    line_a, line_b = ax_curve.lines[:2]
    np.testing.assert_allclose(line_a.get_xdata(), [1.0, 10.0, 100.0])
    np.testing.assert_allclose(line_a.get_ydata(), [20.0, 50.0, 100.0])
    np.testing.assert_allclose(line_b.get_ydata(), [10.0, 30.0, 100.0])
    band = ax_curve.collections[0].get_paths()[0].vertices[:, 1]
    assert set(np.round(band, 9)) <= {15.0, 25.0, 45.0, 55.0, 100.0}
    assert band.min() == pytest.approx(15.0)
    assert ax_orig.get_ylabel() == "hit rate at 5 % of area (%)"
    bars = [c for c in ax_orig.collections if type(c).__name__ == "LineCollection"]
    means = [seg[0][1] for bar in bars for seg in bar.get_segments()]
    np.testing.assert_allclose(means, [30.0, 40.0])  # b: mean of 10, 20, 90 (median 20); c none
    cal, diagonal = ax_cal.lines
    np.testing.assert_allclose(cal.get_xdata(), [0.1, 0.5, np.nan])
    np.testing.assert_allclose(cal.get_ydata(), [0.2, 2.0, np.nan])
    assert cal.get_color() == ax_curve.lines[1].get_color() != ax_curve.lines[0].get_color()
    np.testing.assert_allclose(diagonal.get_xdata(), [0.0, 2.0])


@pytest.mark.parametrize(
    ("origins", "said"),
    [
        (
            [{"n_cells": 12, "area_km2": 3.0e3}, {"n_cells": 12, "area_km2": 3.0e3}],
            "Area: U (12 cells, 3,000 km² at the origins), not the cells the map shows.",
        ),
        (
            [{"n_cells": 12, "area_km2": 4.0e3}, {"n_cells": 9, "area_km2": 3.0e3}],
            "Area: U (9-12 cells, 3,000-4,000 km² at the origins), not the cells the map shows.",
        ),
        ([{"n_cells": 12}, {"n_cells": 9}], ""),
        ([{"area_km2": 3.0e3}], ""),
    ],
    ids=["same", "span", "no-area", "no-cells"],
)
def test_the_universe_note_spans_the_origins_and_says_nothing_without_both(origins, said):
    assert universe_note({"universe": "U", "origins": origins}) == said


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
