"""Tests that a deep hand mutation pass over the rolling-origin back-test found missing (hFS).

Each test fails on one small, plausible mutant of ``pipeline/evaluate/backtest.py``,
``metrics.py``, ``options.py`` or ``_json.py`` that left every other back-test test passing:
the universe built from the wrong events (the training window for the history, a later
event's cell kept), an event's own cell dropped, repeated cells counted twice, the summary's
reporting (a baseline against itself, the per-origin area and expected total, the few-origins
note), origin options that should be refused, and JSON that is not strict.  Values are
checked against independent references: :func:`cell_universe` on the events known at the
origin, h3's cell areas, and hand counts on cells whose events are placed at their centres.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _stats import area_share_hits, back_test_kwargs
from pydantic import ValidationError

from pipeline import grid
from pipeline.errors import InputError
from pipeline.evaluate import (
    BacktestOptions,
    Forecast,
    backtest_origins,
    cell_universe,
    ranking_metrics,
    rolling_back_test,
)
from pipeline.grid import cell_area_km2, points_to_cells

END = pd.Timestamp("2024-01-01", tz="UTC")
KW = back_test_kwargs(END, ("uniform", "all_prior_counts"))


def _disk(rings: int, lon: float = 10.0, lat: float = 40.0, res: int = 6) -> np.ndarray:
    return np.sort(grid.grid_disk_cells(points_to_cells([lon], [lat], res), rings))


def _at(cells: np.ndarray, when) -> pd.DataFrame:
    """One event at the centre of each of ``cells`` at each of ``when``."""
    lat, lon = grid.cells_to_latlng(np.asarray(cells, dtype="uint64"))
    return pd.DataFrame({"time": pd.to_datetime(list(when), utc=True), "lon": lon, "lat": lat})


def _daily(cells: np.ndarray, days: int, seed: int = 0) -> pd.DataFrame:
    """An event a day for ``days`` days before ``END`` in a cell drawn from ``cells``."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(cells, days)
    return _at(pick, END - pd.to_timedelta(np.arange(days, 0, -1), unit="D"))


# --------------------------------------------------------------------------- the cell universe


def test_callable_cells_at_another_resolution_are_refused_not_all_misses():
    """A callable universe at another resolution than the events' cells held none of the test
    events: every hit rate was a quiet 0 (all test events reported outside).  Refused."""
    cells6 = _disk(2)
    events = _daily(cells6, 200)
    opts = {**KW, "origins": 2, "horizon_days": 30, "train_days": 100}
    ok = rolling_back_test(events, lambda train, t: cells6, resolution=6, **opts)
    assert ok["resolution"] == 6
    assert all(o["n_test_outside"] == 0 for o in ok["origins"])
    # without a resolution the cells give it, and the result says which
    assert rolling_back_test(events, lambda train, t: cells6, **opts)["resolution"] == 6
    # nor may a later origin's cells be at another resolution than the first's
    origins, _ = backtest_origins(events["time"], BacktestOptions(**opts))
    cells5 = _disk(1, res=5)
    with pytest.raises(InputError, match=r"resolution\(s\) \[5\].*resolution 6"):
        rolling_back_test(events, lambda train, t: cells6 if t == origins[0] else cells5, **opts)
    with pytest.raises(InputError, match=r"resolution\(s\) \[6\].*resolution 5"):
        rolling_back_test(events, lambda train, t: cells6, resolution=5, **opts)
    mixed = np.concatenate([cells6, _disk(1, lon=12.0, res=5)])
    with pytest.raises(InputError, match=r"\[5, 6\]: return the cells at one resolution"):
        rolling_back_test(events, lambda train, t: mixed, **opts)


def test_the_universe_from_history_and_from_train_hold_their_own_events():
    """``universe_from: history`` is built around every event before the origin, ``train``
    around the training window's only: old events far away make them differ."""
    near = _disk(1)
    far = _disk(1, lon=11.0)  # ~85 km east, more than the 25 km support
    old = _at(far, [END - pd.Timedelta(days=300)] * far.size)
    events = pd.concat([old, _daily(near, 120)], ignore_index=True)
    opts = {**KW, "origins": 1, "horizon_days": 20, "train_days": 60}
    (t,), _ = backtest_origins(events["time"], BacktestOptions(**opts))
    times = events["time"]
    train = events[(times >= t - pd.Timedelta(days=60)) & (times < t)]
    history = rolling_back_test(events, None, resolution=6, **opts)
    trained = rolling_back_test(events, None, resolution=6, universe_from="train", **opts)
    want_history = cell_universe(events[times < t], 6, 25.0).size
    want_train = cell_universe(train, 6, 25.0).size
    assert want_history > want_train
    assert history["origins"][0]["n_cells"] == want_history
    assert trained["origins"][0]["n_cells"] == want_train


def test_the_universe_holds_an_event_s_own_cell_whatever_the_radius():
    """A cell holding an event is in the universe even when its centre is farther than the
    radius from the event (a small support at a coarse resolution)."""
    (c,) = points_to_cells([10.0], [40.0], 5)
    lat, lon = grid.cells_to_latlng(np.array([c], dtype="uint64"))
    ev = pd.DataFrame({"lon": [lon[0] + 0.05], "lat": [lat[0]]})  # ~4 km off the centre
    assert points_to_cells(ev["lon"], ev["lat"], 5)[0] == c
    got = cell_universe(ev, 5, 1.0)
    assert c in got


def test_support_km_sets_the_universe_radius():
    """``support_km`` (not the KDE bandwidth) is the radius of the universe when given."""
    events = _daily(_disk(1), 120)
    opts = {**KW, "origins": 1, "horizon_days": 20, "train_days": 60}
    (t,), _ = backtest_origins(events["time"], BacktestOptions(**opts))
    known = events[events["time"] < t]
    r = rolling_back_test(events, None, resolution=6, support_km=8.0, **opts)
    assert r["origins"][0]["n_cells"] == cell_universe(known, 6, 8.0).size
    assert cell_universe(known, 6, 8.0).size < cell_universe(known, 6, 25.0).size


def test_within_keeps_the_cells_known_events_hold_and_not_those_later_events_hold():
    """With ``within`` (the map's cells) the universe keeps a cell outside it that holds an
    event known at the origin, and not one that only a test event holds: that event is a
    reported miss, not a cell the future chose."""
    disk = _disk(3)
    c0, held, later = disk[0], disk[5], disk[9]
    within = np.setdiff1d(disk, [held, later])
    t = END - pd.Timedelta(days=20)
    train = _at(np.r_[np.repeat(c0, 30), held], t - pd.to_timedelta(np.arange(31) + 1, unit="D"))
    test = _at([c0, c0, later], t + pd.to_timedelta([1, 2, 3], unit="D"))
    events = pd.concat([train, test], ignore_index=True)
    opts = {**KW, "origins": 1, "horizon_days": 20, "train_days": 60}
    r = rolling_back_test(events, None, resolution=6, within=within, **opts)
    (o,) = r["origins"]
    u = cell_universe(train, 6, 25.0)
    assert held in u and later in u  # both near a known event
    want = u[np.isin(u, within) | np.isin(u, [c0, held])]
    assert o["n_cells"] == want.size
    assert o["n_test"] == 3 and o["n_test_outside"] == 1
    assert o["area_km2"] == pytest.approx(cell_area_km2(want).sum(), rel=1e-6)


@pytest.mark.parametrize("how", ["fixed", "callable"])
def test_repeated_cells_count_once(how):
    """The universe is a set: a cell given twice is not two cells (twice its area, its
    events counted once)."""
    cells = _disk(2)
    events = _daily(cells, 200)
    twice = np.concatenate([cells, cells[:7]])
    opts = {**KW, "origins": 2, "horizon_days": 30, "train_days": 100}
    if how == "fixed":
        once, again = (rolling_back_test(events, c, **opts) for c in (cells, twice))
    else:
        once, again = (
            rolling_back_test(events, lambda train, t, c=c: c, resolution=6, **opts)
            for c in (cells, twice)
        )
    for a, b in zip(once["origins"], again["origins"], strict=True):
        assert b["n_cells"] == a["n_cells"] == cells.size
        assert b["methods"] == a["methods"]


def test_an_origin_given_no_cells_is_skipped_not_scored():
    """A callable that returns no cells at an origin: that origin is skipped with its reason,
    not scored on an empty universe."""
    cells = _disk(2)
    events = _daily(cells, 200)
    opts = {**KW, "origins": 3, "horizon_days": 30, "train_days": 100}
    origins, _ = backtest_origins(events["time"], BacktestOptions(**opts))

    def universe(train, t):
        return np.empty(0, dtype="uint64") if t == origins[0] else cells

    r = rolling_back_test(events, universe, resolution=6, **opts)
    assert [o["origin"] for o in r["origins"]] == [t.isoformat() for t in origins[1:]]
    assert r["skipped_origins"] == [
        {"origin": origins[0].isoformat(), "reason": "the cell universe is empty"}
    ]


# --------------------------------------------------------------------------- what is reported


def test_per_origin_area_expected_total_wins_and_notes():
    """Per origin: ``area_km2`` is the universe's total area (h3's), ``expected_total`` the
    method's expected events summed over the cells; ``wins`` compare each method with every
    baseline but itself; fewer than 3 origins scored is noted, 3 are not."""
    cells = _disk(2)
    events = _daily(cells, 200)
    areas = cell_area_km2(cells)
    rate = np.linspace(0.01, 0.2, cells.size)

    def model(train, c, t):
        return Forecast(score=rate, expected=rate * 2.0, p_any=1 - np.exp(-rate * 2.0))

    opts = {**KW, "origins": 2, "horizon_days": 30, "train_days": 100}
    r = rolling_back_test(events, cells, methods={"model": model}, **opts)
    for o in r["origins"]:
        assert o["area_km2"] == pytest.approx(areas.sum(), rel=1e-6)
        assert o["methods"]["model"]["expected_total"] == pytest.approx(2.0 * rate.sum(), 1e-6)
    assert set(r["wins"]["model"]) == {"uniform", "all_prior_counts"}
    assert set(r["wins"]["uniform"]) == {"all_prior_counts"}
    assert set(r["wins"]["all_prior_counts"]) == {"uniform"}
    assert any(n.startswith("only 2 origin(s) scored") for n in r["notes"])
    three = rolling_back_test(events, cells, **{**opts, "origins": 3})
    assert len(three["origins"]) == 3
    assert not any("origin(s) scored" in n for n in three["notes"])


def test_one_origin_gives_strict_json_with_missing_spreads():
    """One origin: every sd (of a metric and of the curve) is undefined: null, never NaN in
    the JSON; a flag stays a JSON boolean, not a number."""
    cells = _disk(2)
    events = _daily(cells, 200)
    r = rolling_back_test(events, cells, **{**KW, "origins": 1, "horizon_days": 30})
    assert len(r["origins"]) == 1
    text = json.dumps(r, allow_nan=False)
    for name in r["methods"]:
        s = r["summary"][name]
        assert s["curve"]["sd"] == [None] * len(r["curve_area_fractions"])
        assert all(a["hit_rate"]["sd"] is None for a in s["at"])
    assert r["options"]["require_full_history"] is False
    assert '"require_full_history": false' in text


# --------------------------------------------------------------------------- options


def test_options_accept_their_documented_edges():
    """``train_days`` may equal ``horizon_days``; an area share of 1 is the whole area; the
    shares are sorted and counted once."""
    o = BacktestOptions(train_days=91, horizon_days=91, area_fractions=(0.2, 1.0, 0.05, 0.2))
    assert o.train_days == o.horizon_days == 91
    assert o.area_fractions == (0.05, 0.2, 1.0)


@pytest.mark.parametrize(
    "bad",
    [
        {"origins": 0},
        {"spacing_days": 0},
        {"horizon_days": 0},
        {"min_test_events": 0},
        {"area_fractions": (1.5,)},
    ],
    ids=["origins", "spacing_days", "horizon_days", "min_test_events", "area_fractions"],
)
def test_options_refuse_windows_that_score_nothing_or_hide_a_default(bad):
    """No origin, a spacing of 0 (read as the horizon), an empty test window, an origin
    without test events (a hit rate of nothing): refused, not run."""
    with pytest.raises(ValidationError, match=next(iter(bad))):
        BacktestOptions(**bad)


def test_ranking_metrics_refuse_a_cell_without_area():
    """A cell of area 0 (or negative) has no share of the area to flag: refused."""
    with pytest.raises(InputError, match="area_km2"):
        ranking_metrics(np.ones(3), np.array([1.0, 0.0, 1.0]), np.ones(3), [0.5])
    with pytest.raises(InputError, match="area_km2"):
        ranking_metrics(np.ones(3), np.array([1.0, -1.0, 2.0]), np.ones(3), [0.5])


# --------------------------------------------------------------------------- inputs and labels


def test_events_are_sorted_and_a_latitude_beyond_a_pole_is_refused():
    """The events a method gets are in time order; a latitude of 90.5 is no place."""
    from pipeline.evaluate import prepare_events

    raw = pd.DataFrame(
        {"time": ["2024-01-03", "2024-01-01", "2024-01-02"], "lon": [1.0, 2.0, 3.0], "lat": 0.0}
    )
    got = prepare_events(raw)
    assert got["lon"].tolist() == [2.0, 3.0, 1.0]
    assert got["time"].is_monotonic_increasing
    with pytest.raises(InputError, match="row 0"):
        prepare_events(raw.assign(lat=[90.5, 0.0, 0.0]))


def test_fixed_cells_empty_or_at_two_resolutions_are_refused():
    """Fixed cells at two resolutions: the events are counted at one, the other's cells hold
    none (quiet misses, and their area moves every share).  Refused, as no cells are."""
    events = _daily(_disk(2), 200)
    opts = {**KW, "origins": 1, "horizon_days": 30, "train_days": 100}
    mixed = np.concatenate([_disk(2), _disk(1, lon=12.0, res=5)])
    with pytest.raises(InputError, match="mix H3 resolutions"):
        rolling_back_test(events, mixed, **opts)
    with pytest.raises(InputError, match="cells is empty"):
        rolling_back_test(events, np.empty(0, dtype="uint64"), **opts)


def test_forecast_counts_are_checked_and_p_any_reaches_the_calibration():
    """A Forecast whose expected counts are not one per cell is refused; its ``p_any``
    gives the calibration's probability of at least one event."""
    cells = _disk(2)
    events = _daily(cells, 200)
    opts = {**KW, "origins": 2, "horizon_days": 30, "train_days": 100}
    mu = np.full(cells.size, 0.5)

    def good(train, c, t):
        return Forecast(score=mu, expected=mu, p_any=1 - np.exp(-mu))

    r = rolling_back_test(events, cells, methods={"m": good}, **opts)
    assert "p_at_least_one" in r["calibration"]["m"]

    def short(train, c, t):
        return Forecast(score=mu, expected=mu[:-1])

    with pytest.raises(InputError, match=r"returned \d+ expected values"):
        rolling_back_test(events, cells, methods={"m": short}, **opts)


def test_the_result_names_its_universe_and_why_an_origin_was_skipped():
    """``universe`` says which events it was built around; an origin skipped for a short
    history names its training window's first day."""
    events = _daily(_disk(1), 120)
    opts = {**KW, "origins": 1, "horizon_days": 20, "train_days": 60}
    h = rolling_back_test(events, None, resolution=6, **opts)
    t = rolling_back_test(events, None, resolution=6, universe_from="train", **opts)
    assert h["universe"] == "cells within 25 km of an event before the origin"
    assert t["universe"] == "cells within 25 km of an event of the training window"
    (origin,), _ = backtest_origins(events["time"], BacktestOptions(**opts))
    skipped = rolling_back_test(
        events, None, resolution=6, **{**opts, "train_days": 200, "require_full_history": True}
    )
    start = (origin - pd.Timedelta(days=200)).date()
    assert f"training window starts {start} before" in skipped["skipped_origins"][0]["reason"]


def test_hit_rates_take_shares_of_h3_s_cell_areas_not_of_the_cell_count():
    """Cells far apart in latitude differ in area: the flagged share is a share of the km²
    (h3's own areas, a greedy hand count splitting a tied group by area), not of the cells."""
    import h3

    south, north = _disk(1, lat=5.0, res=4), _disk(1, lat=75.0, res=4)
    cells = np.concatenate([south, north])
    hexes = [h3.int_to_str(int(c)) for c in cells]
    area = np.array([h3.cell_area(h, unit="km^2") for h in hexes])
    assert area.max() / area.min() > 1.05
    rng = np.random.default_rng(5)
    weights = np.r_[np.full(south.size, 1.0), np.full(north.size, 3.0)]
    pick = rng.choice(cells, 300, p=weights / weights.sum())
    events = _at(pick, END - pd.to_timedelta(np.sort(rng.uniform(0.0, 200.0, 300)), unit="D"))
    fractions = (0.2, 0.5)
    r = rolling_back_test(
        events,
        cells,
        **{**KW, "origins": 2, "horizon_days": 30, "train_days": 150, "area_fractions": fractions},
    )
    index = {c: i for i, c in enumerate(cells.tolist())}
    times = events["time"]
    for o in r["origins"]:
        t, s, e = (pd.Timestamp(o[k]) for k in ("origin", "train_start", "test_end"))
        train = np.bincount(
            [index[c] for c in pick[((times >= s) & (times < t)).to_numpy()]],
            minlength=cells.size,
        )
        test = np.bincount(
            [index[c] for c in pick[((times >= t) & (times < e)).to_numpy()]],
            minlength=cells.size,
        )
        score = train / area
        for i, a in enumerate(fractions):
            hit = area_share_hits(score, area, test, a)
            got = o["methods"]["all_prior_counts"]["metrics"][i]["hit_rate"]
            assert got == pytest.approx(hit / test.sum(), abs=2e-6)
