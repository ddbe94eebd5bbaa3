"""Mutation pass over the slider's months (``pipeline.timeline``): the gaps it found.

Each test names the mutants it kills.  References are computed independently: the density
of the seizures up to a cutoff by :func:`pipeline.builtin_factors.density_on_cells`, the
score of a month by :func:`pipeline.score.score_cells`, the map's classes by
:mod:`pipeline.classes`, months by pandas Period arithmetic.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
from _stats import CLASS_LABELS, FIXED_CLASSES

from pipeline import schema as S
from pipeline.builtin_factors import density_on_cells
from pipeline.classes import class_labels_for, risk_class_breaks
from pipeline.config import DensityConfig
from pipeline.errors import ConfigError
from pipeline.grid import grid_disk_cells, points_to_cells
from pipeline.score import FactorWeight, score_cells
from pipeline.timeline import (
    TimelineFactors,
    month_periods,
    score_timeline,
    timeline_breaks,
    timeline_factors,
)

LABELS, OPTS = CLASS_LABELS, FIXED_CLASSES
DENSITY = DensityConfig(bandwidth_km=60.0, kernel="quartic", half_life_days=None)
CELLS = np.sort(grid_disk_cells(points_to_cells([-60.0], [15.0], 4), 3))  # 37 cells


def _months(densities: dict[str, np.ndarray], history: dict[str, str], **extra) -> TimelineFactors:
    table = pd.concat(
        [
            pd.DataFrame({S.CELL: CELLS, S.PERIOD: p, S.SEIZURE_DENSITY: d})
            for p, d in densities.items()
        ],
        ignore_index=True,
    )
    for name, values in extra.items():
        table[name] = values
    periods = pd.DataFrame(
        {S.PERIOD: list(densities), "cutoff": "", "history": [history[p] for p in densities]}
    )
    return TimelineFactors(table, periods)


def test_a_fixed_geography_factor_keeps_todays_values_unmarked_in_every_month():
    """Mutant: ``if n in own`` without ``n in m.columns`` (KeyError on a factor the month
    knows but its table lacks: the fixed geography the score stage adds to each month's
    history).  Its value is today's in every month and no month is 'present data'."""
    rng = np.random.default_rng(1)
    features = pd.DataFrame(
        {
            S.CELL: CELLS,
            S.SEIZURE_DENSITY: rng.random(CELLS.size),
            "coast_km": rng.random(CELLS.size) * 50,
        }
    )
    dens = {p: rng.gamma(1.0, 1.0, CELLS.size) for p in ("2026-01", "2026-02")}
    own = f"{S.SEIZURE_DENSITY},coast_km"
    tf = _months(dens, dict.fromkeys(dens, own))
    weights = {
        S.SEIZURE_DENSITY: FactorWeight(weight=1.0),
        "coast_km": FactorWeight(weight=1.0),
    }
    tl = score_timeline(features, tf, weights, **OPTS)
    assert tl is not None
    assert not tl["present_data"].any()
    assert set(tl["present_data_factors"].astype(str)) == {""}
    stacked = pd.concat([features.assign(seizure_density=d) for d in dens.values()])
    want = score_cells(stacked.reset_index(drop=True), weights, **OPTS)  # sorted by cell
    order = np.argsort(np.tile(CELLS, len(dens)), kind="stable")
    assert (want[S.CELL].to_numpy() == np.tile(CELLS, len(dens))[order]).all()
    want = want.assign(period=np.repeat(list(dens), CELLS.size)[order])
    got = tl.set_index([S.PERIOD, S.CELL])[S.RISK]
    ref = want.set_index([S.PERIOD, S.CELL])[S.RISK].round(2)
    np.testing.assert_allclose(got.loc[ref.index].to_numpy(), ref.to_numpy())


def test_present_data_is_each_rows_own_months():
    """Mutant: ``present_data`` laid out cell-major instead of month-major (each month's
    first row was right, the others alternated)."""
    rng = np.random.default_rng(2)
    features = pd.DataFrame(
        {
            S.CELL: CELLS,
            S.SEIZURE_DENSITY: rng.random(CELLS.size),
            S.VESSEL_HOURS: rng.random(CELLS.size),
        }
    )
    base = rng.random(CELLS.size)
    months = ["2025-12", "2026-01", "2026-02"]
    hours = np.where(np.repeat(months, CELLS.size) == "2025-12", np.nan, 1.0)
    tf = _months(
        dict.fromkeys(months, base),
        {
            "2025-12": S.SEIZURE_DENSITY,  # no tracks that far back: today's vessel hours
            "2026-01": f"{S.SEIZURE_DENSITY},{S.VESSEL_HOURS}",
            "2026-02": f"{S.SEIZURE_DENSITY},{S.VESSEL_HOURS}",
        },
        **{S.VESSEL_HOURS: hours},
    )
    weights = {
        S.SEIZURE_DENSITY: FactorWeight(weight=1.0),
        S.VESSEL_HOURS: FactorWeight(weight=1.0),
    }
    tl = score_timeline(features, tf, weights, **OPTS)
    assert tl is not None
    december = tl[S.PERIOD].astype(str) == "2025-12"
    assert december.sum() == CELLS.size
    np.testing.assert_array_equal(tl["present_data"].to_numpy(), december.to_numpy())
    want = np.where(december, S.VESSEL_HOURS, "")
    assert tl["present_data_factors"].astype(str).tolist() == want.tolist()
    # and each row's hex id is its own cell's (mutant: the ids laid out cell-major)
    assert tl[S.HEX_ID].tolist() == [h3.int_to_str(int(c)) for c in tl[S.CELL]]


def test_a_month_cut_at_as_of_in_its_first_minutes_is_that_month():
    """Mutant: the month's label taken a day before its cutoff (right for a month's last
    instant, wrong for a month cut at ``as_of`` on its first day).  The month sees the
    seizures up to ``as_of`` and asks for the tracks back to its own first instant."""
    as_of = pd.Timestamp("2026-07-01T00:30Z")
    times = pd.to_datetime(
        ["2026-06-10T00:00Z", "2026-07-01T00:10Z", "2026-07-01T00:31Z"], format="ISO8601"
    )
    ev = pd.DataFrame({S.TIME: times, S.LON: [-60.0, -59.8, -60.2], S.LAT: [15.0, 15.1, 14.9]})
    calls = []

    def tracks(cutoff, start):
        calls.append((cutoff, start))
        hours = np.full(CELLS.size, float(cutoff.month))
        return pd.DataFrame(
            {S.CELL: CELLS, S.VESSEL_HOURS: hours, S.VESSEL_HOURS + S.COVERED_SUFFIX: True}
        )

    tf = timeline_factors(ev, CELLS, as_of, 2, DENSITY, None, tracks=tracks)
    assert tf is not None
    june, july = pd.Period("2026-06", "M"), pd.Period("2026-07", "M")
    assert tf.periods[S.PERIOD].tolist() == [str(june), str(july)]
    assert [s for _, s in calls] == [
        june.start_time.tz_localize("UTC"),
        july.start_time.tz_localize("UTC"),
    ]
    # June's last nanosecond (Period.end_time stops at the microsecond), July's as_of
    june_end = july.start_time.tz_localize("UTC") - pd.Timedelta(1, "ns")
    assert [c for c, _ in calls] == [june_end, as_of]
    assert tf.periods["history"].tolist() == [f"{S.SEIZURE_DENSITY},{S.VESSEL_HOURS}"] * 2
    got = tf.table[tf.table[S.PERIOD] == "2026-07"].set_index(S.CELL)
    want, _ = density_on_cells(ev[ev[S.TIME] <= as_of], CELLS, as_of, DENSITY, None)
    np.testing.assert_allclose(got[S.SEIZURE_DENSITY].reindex(CELLS).to_numpy(), want)
    assert (got[S.VESSEL_HOURS] == 7.0).all()


def test_quantile_blocks_tied_at_both_ends_are_classes_of_their_own_as_on_the_map():
    """Mutants: ``inner > hi`` for ``>=`` and the top break not moved past the highest risk
    (the top block shared the class below), the labels of fewer classes spread by
    truncation (4 of 5 labels: 'medium' for 'high')."""
    block = np.repeat([0.1, 0.2, 0.3, 0.4], 9)
    cells = CELLS[: block.size]
    values = pd.DataFrame({S.CELL: cells, S.SEIZURE_DENSITY: block})
    table = pd.concat([values.assign(period=p) for p in ("2026-01", "2026-02")])
    periods = pd.DataFrame(
        {S.PERIOD: ["2026-01", "2026-02"], "cutoff": "", "history": S.SEIZURE_DENSITY}
    )
    weights = {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)}
    tl = score_timeline(values, TimelineFactors(table, periods), weights, scale="quantile", **OPTS)
    assert tl is not None
    risk = tl[S.RISK].to_numpy()
    np.testing.assert_array_equal(np.unique(risk), [25.0, 50.0, 75.0, 100.0])
    # the map's quantile classes of the same risk
    map_breaks = np.asarray(risk_class_breaks(risk, "quantile", len(LABELS)), dtype=float)
    map_cls = np.searchsorted(map_breaks[1:-1], risk, side="right")
    np.testing.assert_array_equal(tl["class"].to_numpy(), map_cls)
    assert tl.attrs["labels"] == class_labels_for(LABELS, len(map_breaks) - 1)
    by_risk = tl.groupby(S.RISK)[S.RISK_CLASS].agg(lambda s: set(s.astype(str)))
    assert by_risk.tolist() == [{"very low"}, {"low"}, {"high"}, {"very high"}]
    b = timeline_breaks(risk, "quantile", OPTS["class_breaks"], len(LABELS))
    assert (np.diff(b) > 0).all() and b[0] == 25.0 and b[-1] > 100.0


def test_a_fixed_scale_takes_its_labels_as_given_not_spread():
    """Mutant: the fixed scale's labels spread like a pooled scale's (three breaks and five
    labels quietly became 'very low'/'very high' instead of the error naming them)."""
    tf = _months({"2026-01": np.linspace(0, 1, CELLS.size)}, {"2026-01": S.SEIZURE_DENSITY})
    features = pd.DataFrame({S.CELL: CELLS, S.SEIZURE_DENSITY: np.linspace(0, 1, CELLS.size)})
    opts = {**OPTS, "class_breaks": [0, 50, 100]}
    with pytest.raises(ConfigError, match="need 2 class labels"):
        score_timeline(features, tf, {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)}, **opts)


def test_a_single_label_names_the_single_class():
    """Mutant: one class always 'all cells equal', even with one label the user gave."""
    dens = np.linspace(0, 1, CELLS.size)
    tf = _months({"2026-01": dens}, {"2026-01": S.SEIZURE_DENSITY})
    features = pd.DataFrame({S.CELL: CELLS, S.SEIZURE_DENSITY: dens})
    opts = {**OPTS, "class_labels": ["watched"]}
    tl = score_timeline(
        features, tf, {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)}, scale="quantile", **opts
    )
    assert tl is not None
    assert tl.attrs["labels"] == class_labels_for(["watched"], 1) == ["watched"]
    assert set(tl[S.RISK_CLASS].astype(str)) == {"watched"}


def test_a_naive_as_of_is_utc_as_for_the_timeline_table():
    """Found: ``month_periods`` (and so ``timeline_factors``) ended in a TypeError traceback
    on a naive ``as_of``, which :func:`pipeline.hotspots.timeline_table` reads as UTC."""
    naive = pd.Timestamp("2026-03-01T00:30")
    aware = naive.tz_localize("UTC")
    assert month_periods(naive, 3).equals(month_periods(aware, 3))
    assert [str(p) for p in month_periods(naive, 3)] == ["2026-01", "2026-02", "2026-03"]
    ev = pd.DataFrame(
        {S.TIME: pd.to_datetime(["2026-02-27T10:00Z"]), S.LON: [-60.0], S.LAT: [15.0]}
    )
    a = timeline_factors(ev, CELLS, naive, 2, DENSITY, None)
    b = timeline_factors(ev, CELLS, aware, 2, DENSITY, None)
    assert a is not None and b is not None
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.periods, b.periods)


@pytest.mark.parametrize("with_covered", [True, False], ids=["covered-column", "no-covered-column"])
def test_a_factor_missing_at_a_cell_drops_out_as_on_todays_map(with_covered):
    """Found: a factor whose value is NaN at a cell (no ``__covered`` column, or one that
    says True) kept its weight in the months' risk and counted as 0 points there, while
    :func:`pipeline.score.score_cells` (today's map) drops it and rescales the others: the
    slider's latest month read lower than the map at those cells.  Missing is not zero."""
    rng = np.random.default_rng(4)
    hours = rng.random(CELLS.size) * 10
    hours[::4] = np.nan  # no value there
    features = pd.DataFrame(
        {S.CELL: CELLS, S.SEIZURE_DENSITY: rng.random(CELLS.size), S.VESSEL_HOURS: hours}
    )
    if with_covered:
        features[S.VESSEL_HOURS + S.COVERED_SUFFIX] = True
    dens = {p: rng.gamma(1.0, 1.0, CELLS.size) for p in ("2026-05", "2026-06")}
    tf = _months(dens, dict.fromkeys(dens, S.SEIZURE_DENSITY))
    weights = {
        S.SEIZURE_DENSITY: FactorWeight(weight=1.0),
        S.VESSEL_HOURS: FactorWeight(weight=3.0),
    }
    tl = score_timeline(features, tf, weights, **OPTS)
    assert tl is not None
    stacked = pd.concat([features.assign(seizure_density=d) for d in dens.values()])
    stacked = stacked.reset_index(drop=True)
    want = score_cells(stacked, weights, covered=stacked if with_covered else None, **OPTS)
    order = np.argsort(np.tile(CELLS, len(dens)), kind="stable")
    want = want.assign(period=np.repeat(list(dens), CELLS.size)[order])
    got = tl.set_index([S.PERIOD, S.CELL])[S.RISK]
    ref = want.set_index([S.PERIOD, S.CELL])[S.RISK].round(2)
    np.testing.assert_allclose(got.loc[ref.index].to_numpy(), ref.to_numpy())


def test_a_month_before_the_tracks_has_no_transit_and_one_after_them_today_s():
    """Mutant: ``last < cutoff`` (a month ending on the last position recomputed instead of
    taking today's values, which are its own).  A month before every position has its
    transit missing, not today's values (it had them while the rule was that the record
    must reach into the month's first day: test_timeline_transit_as_of27_found.py)."""
    from types import SimpleNamespace

    from pipeline.runner.stages._features import _track_history

    today = pd.DataFrame(
        {
            S.CELL: CELLS,
            S.VESSEL_HOURS: np.arange(CELLS.size, dtype=float),
            S.VESSEL_HOURS + S.COVERED_SUFFIX: True,
        }
    )
    june = pd.Period("2026-06", "M")
    start, cutoff = june.start_time.tz_localize("UTC"), june.end_time.tz_localize("UTC")

    def history(first, last):
        pings = pd.DataFrame({S.TIME: [first, last]})
        # no config: a month that would be recomputed from the positions fails loudly here
        state = SimpleNamespace(config=None, features=SimpleNamespace(table=today), pings=pings)
        return _track_history(state, CELLS, [SimpleNamespace(name=S.VESSEL_HOURS)])

    late = history(cutoff + pd.Timedelta(1, "ns"), cutoff + pd.Timedelta(days=30))
    got = late(cutoff, start)  # every position after the month's last instant
    assert got is not None and got[S.VESSEL_HOURS].isna().all()
    assert not got[S.VESSEL_HOURS + S.COVERED_SUFFIX].any()
    ends = history(start - pd.Timedelta(days=40), cutoff)  # the last position: June's end
    got = ends(cutoff, start)
    assert got is not None
    pd.testing.assert_frame_equal(got.reset_index(drop=True), today)


def test_a_months_own_factor_missing_at_a_cell_drops_out_not_zero():
    """Mutant: a month's own NaN value read as 0 (the tracks' factor of a month, NaN at a
    cell it says it covers, counted 0 points instead of dropping out as on the map)."""
    rng = np.random.default_rng(6)
    features = pd.DataFrame(
        {
            S.CELL: CELLS,
            S.SEIZURE_DENSITY: rng.random(CELLS.size),
            S.VESSEL_HOURS: rng.random(CELLS.size),
        }
    )
    dens = rng.gamma(1.0, 1.0, CELLS.size)
    own = rng.random(CELLS.size) * 5
    own[1::3] = np.nan
    tf = _months(
        {"2026-06": dens},
        {"2026-06": f"{S.SEIZURE_DENSITY},{S.VESSEL_HOURS}"},
        **{S.VESSEL_HOURS: own, S.VESSEL_HOURS + S.COVERED_SUFFIX: True},
    )
    weights = {
        S.SEIZURE_DENSITY: FactorWeight(weight=1.0),
        S.VESSEL_HOURS: FactorWeight(weight=2.0),
    }
    tl = score_timeline(features, tf, weights, **OPTS)
    assert tl is not None
    month = features.assign(**{S.SEIZURE_DENSITY: dens, S.VESSEL_HOURS: own})
    want = score_cells(month, weights, **OPTS)  # sorted by cell, as CELLS
    np.testing.assert_allclose(tl[S.RISK].to_numpy(), np.round(want[S.RISK].to_numpy(), 2))
