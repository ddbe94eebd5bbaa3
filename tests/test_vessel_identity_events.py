"""One ship under two MMSIs: its events and its hours count once.

A ship with two transponders (class A and class B) sends under two MMSIs at once.  The
encounters between its own two ids were already dropped; what it did alone was still
counted once per id: a real other ship meeting it gave two encounters, its loitering two
loiter events, the class B falling silent while the class A kept reporting an AIS gap
("went dark"), and every cell it crossed twice its hours.  Silent inflation of risk factors.

Each case is read whole, spilled and streamed, and partitioned with the ship's two ids in two
partitions (LocalEngine): the three give the same tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _ships import marinecadastre_csv, read_quietly, transit_three_ways

from pipeline.schema import (
    CELL,
    DISTINCT_VESSELS,
    EVENT_TYPE,
    GAP_EVENTS,
    LOITER_EVENTS,
    OTHER_VESSEL_ID,
    VESSEL_HOURS,
    VESSEL_ID,
)
from pipeline.transit import transit_features

#: One ship's two MMSIs (class A and class B) and a real other ship.
SHIP_A, SHIP_B, OTHER = 538001234, 538009876, 235000001
IDENT = {
    SHIP_A: ("IMO9074729", "NORDIC STAR", "V7AB2", "A"),
    SHIP_B: ("", "Nordic Star", "v7ab2", "B"),  # a class B sends no IMO
    OTHER: ("IMO9176187", "OTHER", "GABC", "A"),
}


def _track(mmsi, minutes, lane_m=0.0, kn=0.5):
    """Pings of ``mmsi`` at ``minutes`` after T0, heading east at ``kn`` from one point.

    Every id follows the same line (``lane_m`` metres north of it): where two ids report at
    one time they are at one place (one hull), whatever their reporting rates.
    """
    minutes = np.asarray(minutes, dtype="float64")
    lon = -60.0 + minutes / 60.0 * kn * 1852.0 / (111_195.0 * np.cos(np.radians(10.0)))
    lat = np.full(minutes.size, 10.0 + lane_m / 111_195.0)
    return [(mmsi, m, la, lo, kn) for m, la, lo in zip(minutes, lat, lon, strict=True)]


def _csv(path: Path, *tracks) -> Path:
    """A MarineCadastre-shaped CSV of the tracks (rows: mmsi, minute, lat, lon, sog)."""
    rows = [(*row, IDENT[row[0]]) for track in tracks for row in track]
    return marinecadastre_csv(path, rows)


def _read(path: Path):
    return read_quietly(path)


def _three_ways(tmp_path: Path, path: Path, **kw):
    return transit_three_ways(tmp_path, path, (SHIP_A, SHIP_B), **kw)


def _one_ship_note(tr) -> str:
    (note,) = [n for n in tr.notes if "one ship" in n]
    return note


def _kind(events: pd.DataFrame, kind: str) -> pd.DataFrame:
    return events[events[EVENT_TYPE] == kind]


# --------------------------------------------------------------------------- encounters, loiter


def test_a_real_ship_meeting_the_two_mmsi_ship_is_one_encounter(tmp_path):
    """Before: (OTHER, A) and (OTHER, B), the same 8 h at the same place: two encounters."""
    every10 = np.arange(0, 8 * 60, 10)
    path = _csv(
        tmp_path / "AIS_2024_03_01.csv",
        _track(SHIP_A, every10, 0.0),
        _track(SHIP_B, every10[every10 <= 5 * 60], 20.0),  # the class B reports 5 h of 8
        _track(OTHER, every10, 120.0),
    )
    tr = _three_ways(tmp_path, path)
    enc = _kind(tr.events, "encounter")
    assert len(enc) == 1
    # the longer of the two is kept: the class A's, 8 h
    assert (enc[VESSEL_ID].iloc[0], enc[OTHER_VESSEL_ID].iloc[0]) == (str(OTHER), str(SHIP_A))
    assert tr.features["encounter_events"].sum() == 1.0
    assert "1 encounter(s), 1 loiter event(s) and 0 gap(s) fewer" in _one_ship_note(tr)


def test_the_two_mmsi_ship_loitering_is_one_loiter_event(tmp_path):
    """Before: a loiter event of A and one of B over the same hours: two loiter events."""
    path = _csv(
        tmp_path / "AIS.csv",
        _track(SHIP_A, np.arange(0, 8 * 60, 10), 0.0),
        _track(SHIP_B, np.arange(60, 7 * 60, 10), 20.0),
    )
    tr = _three_ways(tmp_path, path)
    loiter = _kind(tr.events, "loiter")
    assert loiter[VESSEL_ID].tolist() == [str(SHIP_A)]  # the longer one
    assert tr.features[LOITER_EVENTS].sum() == 1.0
    assert "0 encounter(s), 1 loiter event(s) and 0 gap(s) fewer" in _one_ship_note(tr)


def test_loitering_of_one_ship_at_two_times_stays_two_events(tmp_path):
    """Its two ids loitering at different times (not overlapping) are two loiter events."""
    path = _csv(
        tmp_path / "AIS.csv",
        _track(SHIP_A, np.arange(0, 5 * 60, 10), 0.0),
        _track(SHIP_B, np.arange(12 * 60, 17 * 60, 10), 20.0),
    )
    tr = _three_ways(tmp_path, path)
    assert sorted(_kind(tr.events, "loiter")[VESSEL_ID]) == [str(SHIP_A), str(SHIP_B)]


def test_two_real_ships_each_keep_their_loitering(tmp_path):
    """Only ids of one ship are merged: another ship loitering beside it keeps its event."""
    path = _csv(
        tmp_path / "AIS.csv",
        _track(SHIP_A, np.arange(0, 8 * 60, 10), 0.0),
        _track(OTHER, np.arange(0, 8 * 60, 10), 20.0),
    )
    tr = _three_ways(tmp_path, path)
    assert sorted(_kind(tr.events, "loiter")[VESSEL_ID]) == [str(OTHER), str(SHIP_A)]


# --------------------------------------------------------------------------- vessel hours


def _hours_of(tmp_path: Path, name: str, *tracks) -> pd.Series:
    res = _read(_csv(tmp_path / name, *tracks))
    f = transit_features(res.frame, 7, vessel_identity=res.identity).features
    return f.set_index(CELL)[VESSEL_HOURS]


def test_the_two_mmsi_ship_hours_in_a_cell_count_once(tmp_path):
    """Before: each cell it crossed had its hours twice (once per MMSI).

    The class B reports every 30 minutes for the first 6 hours; the class A every 10 minutes
    for 10 hours: a cell counts the hours of the id with the most hours there.
    """
    a = _track(SHIP_A, np.arange(0, 10 * 60, 10), 0.0, kn=6.0)
    b = _track(SHIP_B, np.arange(0, 6 * 60 + 1, 30), 0.0, kn=6.0)
    tr = _three_ways(tmp_path, _csv(tmp_path / "AIS.csv", a, b))
    alone_a = _hours_of(tmp_path, "a.csv", a)
    alone_b = _hours_of(tmp_path, "b.csv", b)
    assert len(alone_a) > 3  # the ship crosses several cells
    want = pd.concat([alone_a, alone_b], axis=1).fillna(0.0).max(axis=1).sort_index()
    got = tr.features.set_index(CELL)[VESSEL_HOURS].sort_index()
    pd.testing.assert_series_equal(got, want, check_names=False, rtol=1e-9)
    assert tr.features[DISTINCT_VESSELS].max() == 1.0
    assert "in vessel_hours (the hours of its id with the most hours" in _one_ship_note(tr)


def test_a_real_second_ship_keeps_its_hours(tmp_path):
    """Two ships on one line: a cell's hours are both ships' (only one ship's ids count once)."""
    a = _track(SHIP_A, np.arange(0, 6 * 60, 10), 0.0, kn=6.0)
    other = _track(OTHER, np.arange(0, 6 * 60, 10), 0.0, kn=6.0)
    res = _read(_csv(tmp_path / "two.csv", a, other))
    got = transit_features(res.frame, 7, vessel_identity=res.identity).features
    alone = _hours_of(tmp_path, "a.csv", a)
    assert np.allclose(got.set_index(CELL)[VESSEL_HOURS].sort_index(), 2 * alone.sort_index())


# --------------------------------------------------------------------------- gaps


def _moving(mmsi, minutes):
    return _track(mmsi, minutes, 0.0, kn=8.0)


def test_a_class_b_silent_while_the_class_a_reports_is_no_gap(tmp_path):
    """Before: the class B's 8 h silence was an AIS gap, though the ship kept reporting."""
    every10 = np.arange(0, 14 * 60, 10)
    b_times = every10[(every10 <= 2 * 60) | (every10 >= 10 * 60)]  # silent 2 h -> 10 h
    path = _csv(tmp_path / "AIS.csv", _moving(SHIP_A, every10), _moving(SHIP_B, b_times))
    tr = _three_ways(tmp_path, path)
    assert len(_kind(tr.events, "gap")) == 0
    assert tr.features[GAP_EVENTS].sum() == 0.0
    assert "1 gap(s) of one id dropped" in _one_ship_note(tr)


def test_a_ship_whose_two_ids_went_dark_together_has_one_gap(tmp_path):
    """Both ids silent 3 h -> 11 h: the ship went dark once (the longer silence is kept)."""
    every10 = np.arange(0, 14 * 60, 10)
    a_times = every10[(every10 <= 3 * 60) | (every10 >= 11 * 60)]
    b_times = every10[(every10 <= 2 * 60) | (every10 >= 11 * 60)]
    path = _csv(tmp_path / "AIS.csv", _moving(SHIP_A, a_times), _moving(SHIP_B, b_times))
    tr = _three_ways(tmp_path, path)
    gaps = _kind(tr.events, "gap")
    assert gaps[VESSEL_ID].tolist() == [str(SHIP_B)]  # 9 h, longer than the class A's 8 h
    assert "0 loiter event(s) and 1 gap(s) fewer" in _one_ship_note(tr)
    assert tr.features[GAP_EVENTS].sum() == 2.0  # its start cell and its end cell


def test_a_gap_the_other_id_covers_only_in_part_is_kept(tmp_path):
    """The class A reports 4 h -> 5 h of B's 2 h -> 12 h silence: the ship still went dark
    for 6 h or more (5 h -> 12 h), so the gap stays."""
    every10 = np.arange(0, 14 * 60, 10)
    b_times = every10[(every10 <= 2 * 60) | (every10 >= 12 * 60)]
    a_times = every10[(every10 >= 4 * 60) & (every10 <= 5 * 60)]
    path = _csv(tmp_path / "AIS.csv", _moving(SHIP_A, a_times), _moving(SHIP_B, b_times))
    tr = _three_ways(tmp_path, path)
    assert _kind(tr.events, "gap")[VESSEL_ID].tolist() == [str(SHIP_B)]


def test_a_silence_split_by_the_other_id_into_short_ones_is_no_gap(tmp_path):
    """The class A reports at 5 h and 9 h in B's 2 h -> 12 h silence: no 6 h without a ping."""
    every10 = np.arange(0, 14 * 60, 10)
    b_times = every10[(every10 <= 2 * 60) | (every10 >= 12 * 60)]
    path = _csv(
        tmp_path / "AIS.csv", _moving(SHIP_A, np.array([300, 540])), _moving(SHIP_B, b_times)
    )
    tr = _three_ways(tmp_path, path)
    assert len(_kind(tr.events, "gap")) == 0


def test_a_nightly_run_from_the_memo_counts_the_ship_once_as_a_fresh_run(tmp_path):
    """The hours of blocks taken from the memo count the ship once, as computed ones do."""
    from pipeline.runner.cache import StageCache

    def memo(name):
        return StageCache(tmp_path / ".cache").memo(name, [1], sharded=name == "m")

    minutes = np.arange(0, 2 * 24 * 60, 30)
    res = _read(
        _csv(
            tmp_path / "AIS.csv",
            _track(SHIP_A, minutes, 0.0, kn=1.0),
            _track(SHIP_B, minutes[minutes % 60 == 0], 20.0, kn=1.0),
        )
    )
    pings, ident = res.frame, res.identity
    day = pings["time"].dt.floor("D")
    before = pings[day < day.max()].reset_index(drop=True)
    transit_features(before, 7, vessel_identity=ident, memo=memo("m"), pairs_memo=memo("p"))
    nightly = transit_features(
        pings, 7, vessel_identity=ident, memo=memo("m"), pairs_memo=memo("p")
    )
    fresh = transit_features(pings, 7, vessel_identity=ident)
    pd.testing.assert_frame_equal(nightly.features, fresh.features, check_exact=True)
    pd.testing.assert_frame_equal(nightly.events, fresh.events)
    per_id = transit_features(pings, 7).features  # no identity: the ship once per id
    assert fresh.features[VESSEL_HOURS].sum() < 0.6 * per_id[VESSEL_HOURS].sum()
