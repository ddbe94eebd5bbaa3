"""Mutation pass over the slider's transit as of each month's end (the gaps it found).

Each month takes the back-test's pass at an origin one nanosecond after its end
(``_track_history``, ``TransitAtOrigin``); these tests pin what the pass's own tests left
open, each against the library's pass over hand-cut pings (``transit_features``) or hand
arithmetic: a ping at a month's very last instant (the nanosecond before the next month), a
first ping at the next month's first instant on disk, pings not sorted by time, untimed
routes, a month still running at ``as_of``, a run without pings, and the score of a month
whose history gives a factor without values or without its coverage column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_timeline_transit_as_of27_found import (
    AS_OF,
    DENSITY,
    MAY_END,
    OPTS,
    PINGS,
    RES,
    TRANSIT,
    WEIGHTS,
    _factors,
    _lane,
    _month,
    _state,
)

import pipeline
from pipeline import schema as S
from pipeline.score import FactorWeight
from pipeline.timeline import TimelineFactors, score_timeline, timeline_factors
from pipeline.transit import transit_features

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

JUNE_1 = pd.Timestamp("2026-06-01", tz="UTC")


def _months(state, as_of=None, months=3):
    from pipeline.runner.stages._features import _track_history

    cells = state.features.table[S.CELL].to_numpy(dtype="uint64")
    tracks = _track_history(state, cells, _factors(state))
    as_of = AS_OF if as_of is None else as_of
    return timeline_factors(state.seizures, cells, as_of, months, DENSITY, None, tracks=tracks)


def _assert_month_is(month: pd.DataFrame, pings: pd.DataFrame) -> None:
    """The month's transit is the library's pass over ``pings`` where it covers a cell."""
    ref = transit_features(pings, RES).features.set_index(S.CELL)
    covered = month[S.VESSEL_HOURS + S.COVERED_SUFFIX].to_numpy(dtype=bool)
    assert covered.any()
    for name in TRANSIT:
        want = ref[name].reindex(month.index).fillna(0.0).to_numpy()
        np.testing.assert_allclose(month[name].to_numpy()[covered], want[covered], rtol=1e-12)


def test_a_ping_at_the_months_last_instant_is_the_months(tmp_path):
    # a lane whose last ping is May's last nanosecond: its last half hour is May's (as a
    # seizure at that instant is); a pass cut one nanosecond earlier lost it quietly
    edge = _lane("last instant", end=MAY_END, lat=40.6)
    pings = pd.concat([PINGS, edge], ignore_index=True)
    may = _month(_months(_state(tmp_path, pings)), "2026-05")
    _assert_month_is(may, pings[pings[S.TIME] <= MAY_END])
    # the reference is sensitive to that one ping: without it the lane's last cell has less
    short = transit_features(pings[pings[S.TIME] < MAY_END], RES).features.set_index(S.CELL)
    full = transit_features(pings[pings[S.TIME] <= MAY_END], RES).features.set_index(S.CELL)
    last_cell = int(pipeline.points_to_cells(np.array([12.5]), np.array([40.6]), RES)[0])
    assert full.loc[last_cell, S.VESSEL_HOURS] > short[S.VESSEL_HOURS].get(last_cell, 0.0)
    assert may.loc[last_cell, S.VESSEL_HOURS] == pytest.approx(full.loc[last_cell, S.VESSEL_HOURS])


def test_a_store_whose_first_ping_is_the_next_months_first_instant(tmp_path):
    # on disk the earliest ping is looked up per origin (received cells up to the nanosecond
    # before it): a first ping at 1 June 00:00 is not May's, and the origin is noted so
    from pipeline.ingest.stream import PingStore, spill_tracks
    from pipeline.runner.stages._backtest import TransitAtOrigin

    june = PINGS[PINGS[S.TIME] >= JUNE_1].reset_index(drop=True)
    csv = tmp_path / "ais.csv"
    june.assign(**{S.TIME: june[S.TIME].dt.strftime("%Y-%m-%dT%H:%M:%SZ")}).to_csv(csv, index=False)
    store = PingStore([spill_tracks(csv, tmp_path / "spill", chunk_rows=40, n_buckets=3)])
    state = _state(tmp_path / "disk", store)
    may = _month(_months(state), "2026-05")
    for name in TRANSIT:
        assert may[name].isna().all() and not may[name + S.COVERED_SUFFIX].any(), name
    at = TransitAtOrigin(state, _factors(state))
    at.replace(state.features.table[[S.CELL]], JUNE_1)
    assert at.without_pings == [JUNE_1.isoformat()]


def test_pings_not_sorted_by_time_have_their_earliest(tmp_path):
    # the earliest timed ping is the minimum, not the first row: June's lanes first in the
    # table, May's lane last, May still has its transit
    shuffled = PINGS.iloc[::-1].reset_index(drop=True)
    tf = _months(_state(tmp_path, shuffled))
    _assert_month_is(_month(tf, "2026-05"), PINGS[PINGS[S.TIME] <= MAY_END])
    assert _month(tf, "2026-04")[S.VESSEL_HOURS].isna().all()


def test_an_untimed_route_gives_no_transit_in_any_month(tmp_path):
    # a route without times (a planned lane) beside the timed pings: no vessel-hours, no
    # coverage in May, as in a run; May is the pass over its timed pings alone
    route = _lane("route", start=JUNE_1, lat=42.6)
    route[S.TIME] = pd.Series(pd.NaT, index=route.index, dtype=PINGS[S.TIME].dtype)
    pings = pd.concat([PINGS, route], ignore_index=True)
    tf = _months(_state(tmp_path, pings))
    may = _month(tf, "2026-05")
    _assert_month_is(may, PINGS[PINGS[S.TIME] <= MAY_END])
    on_route = np.unique(
        pipeline.points_to_cells(route[S.LON].to_numpy(), route[S.LAT].to_numpy(), RES)
    )
    assert np.nan_to_num(may.loc[on_route, S.VESSEL_HOURS]).max() == 0


def test_the_month_still_running_is_cut_at_as_of(tmp_path):
    # as_of on 15 June: June's transit is that of the pings up to then; the lane of 1 June
    # is June's, the one sailed on the 20th is not (it is after the run's day)
    late = _lane("after as_of", start=pd.Timestamp("2026-06-20", tz="UTC"), lat=42.6)
    pings = pd.concat([PINGS, late], ignore_index=True)
    as_of = pd.Timestamp("2026-06-15 23:59:59.999999", tz="UTC")
    tf = _months(_state(tmp_path, pings), as_of=as_of, months=2)
    assert tf.periods["cutoff"].tolist()[-1] == as_of.isoformat()
    june = _month(tf, "2026-06")
    _assert_month_is(june, pings[pings[S.TIME] <= as_of])
    on_late = np.unique(
        pipeline.points_to_cells(late[S.LON].to_numpy(), late[S.LAT].to_numpy(), RES)
    )
    assert np.nan_to_num(june.loc[on_late, S.VESSEL_HOURS]).max() == 0


def test_a_run_without_pings_has_every_months_transit_missing(tmp_path):
    # no ping at all: no month has AIS coverage (missing, not today's table's values)
    tf = _months(_state(tmp_path, PINGS.iloc[:0]))
    for name in TRANSIT:
        assert tf.table[name].isna().all() and not tf.table[name + S.COVERED_SUFFIX].any()
    tl = score_timeline(_state(tmp_path / "b", PINGS).features.table, tf, WEIGHTS, **OPTS)
    assert set(tl["missing_factors"].astype(str)) == {"vessel_hours,distinct_vessels"}


#: Four cells of the area (sorted, as the timeline sorts them).
CELLS = np.sort(pipeline.region_to_cells((9.0, 39.0, 13.0, 43.0), RES)).astype("uint64")[:4]


def _one_month(hours: np.ndarray, covered) -> TimelineFactors:
    cells = CELLS
    table = pd.DataFrame(
        {
            S.CELL: cells,
            S.PERIOD: "2026-05",
            S.SEIZURE_DENSITY: [1.0, 2.0, 3.0, 4.0],
            S.SEIZURE_DENSITY + S.COVERED_SUFFIX: True,
            S.VESSEL_HOURS: hours,
        }
    )
    if covered is not None:
        table[S.VESSEL_HOURS + S.COVERED_SUFFIX] = covered
    own = f"{S.SEIZURE_DENSITY},{S.VESSEL_HOURS}"
    return TimelineFactors(
        table, pd.DataFrame({S.PERIOD: ["2026-05"], "cutoff": "", "history": [own]})
    )


FEATS = pd.DataFrame(
    {
        S.CELL: CELLS,
        S.SEIZURE_DENSITY: [1.0, 2.0, 3.0, 4.0],
        S.VESSEL_HOURS: [9.0, 9.0, 9.0, 9.0],
        S.SEIZURE_DENSITY + S.COVERED_SUFFIX: True,
        S.VESSEL_HOURS + S.COVERED_SUFFIX: True,
    }
)
W2 = {S.SEIZURE_DENSITY: FactorWeight(weight=1.0), S.VESSEL_HOURS: FactorWeight(weight=1.0)}
RANK = {**OPTS, "normalisation": "rank"}


def test_a_month_whose_factor_has_no_value_anywhere_names_it_missing():
    # covered but NaN in every cell is no data that month (the score drops it): named
    tl = score_timeline(FEATS, _one_month(np.full(4, np.nan), True), W2, **RANK)
    assert tl["missing_factors"].astype(str).tolist() == [S.VESSEL_HOURS] * 4
    alone = score_timeline(
        FEATS,
        _one_month(np.full(4, np.nan), True),
        {S.SEIZURE_DENSITY: W2[S.SEIZURE_DENSITY]},
        **RANK,
    )
    np.testing.assert_array_equal(tl[S.RISK], alone[S.RISK])


def test_a_months_factor_without_a_coverage_column_is_covered():
    # a ``tracks`` giving values without ``<factor>__covered``: its values count (the
    # month's own, ranked with the density's), not dropped as no data
    tl = score_timeline(FEATS, _one_month(np.array([4.0, 3.0, 2.0, 1.0]), None), W2, **RANK)
    assert tl["missing_factors"].astype(str).tolist() == [""] * 4
    # rank normalisation: both factors rank 1..4 in opposite orders: every cell the same
    np.testing.assert_allclose(tl[S.RISK], np.full(4, tl[S.RISK].iloc[0]))


def test_an_event_in_a_months_last_microsecond_is_the_months():
    # Period.end_time stops at the microsecond (23:59:59.999999): an event timed in the
    # nanoseconds after it (ns text, the times' contract) was counted in the next month
    from pipeline.hotspots import timeline_table

    cell = CELLS[0]
    times = pd.to_datetime(
        ["2026-01-31T23:59:59.9999995Z", "2026-02-01T00:00:00Z"], format="ISO8601"
    )

    def count(past, cutoff):
        return pd.DataFrame({"cell": [cell], "value": [float(len(past))]})

    tl = timeline_table(
        pd.DataFrame({"time": times, "cell": cell}),
        ["2026-01", "2026-02"],
        count,
        value="value",
        breaks=[0, 1, 2, 10],
    )
    assert tl.table["value"].tolist() == [1.0, 2.0]
    assert tl.cutoffs[0] == "2026-01-31T23:59:59.999999999+00:00"


def test_a_lane_over_the_months_end_from_the_memo_is_cut_there(tmp_path):
    # a lane sailing over May's last midnight: its 31 May block ends with a segment to the 1
    # June ping in a later pass (kept in the back-test's memo), none in May's; May's month,
    # computed after that later pass and again the next night, is May's pings' pass
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages._backtest import TransitAtOrigin

    over = _lane("over", end=JUNE_1 + pd.Timedelta(hours=12), lat=40.6)
    pings = pd.concat([PINGS, over], ignore_index=True)
    for night in ("first", "next"):
        state = _state(tmp_path / night, pings)
        state.cache, state.code = StageCache(tmp_path / "cache"), "code"
        later = TransitAtOrigin(state, _factors(state))
        later.replace(state.features.table[[S.CELL]], pd.Timestamp("2026-06-20", tz="UTC"))
        _assert_month_is(_month(_months(state), "2026-05"), pings[pings[S.TIME] <= MAY_END])
