"""A join of vessel ids as one ship is checked by where they were; an MMSI two ships share.

A tug and its barge, or two boats of one fleet, can send the same name and call sign under
two MMSIs while 20 km apart.  Joined as one ship by their identity columns, the loitering of
the two was one event, a gap of one while the other reported was no gap, and a cell both
crossed (one following the other) counted one vessel and the hours of one: silent wrong
values.  Two ids of one hull report at one place (metres apart); ids of one group farther
apart than ``ONE_SHIP_MAX_KM`` while both report are not joined now, and the notes say so.

The other way round, one MMSI two ships share (reassigned, or a default) carries two valid
IMO numbers in the identity table: the notes name it now.

Each case is read whole, spilled and streamed, and partitioned with the two ids in two
partitions (LocalEngine): the three give the same tables and notes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _ships import marinecadastre_csv, read_quietly, transit_three_ways

from pipeline.ingest.identity import ids_of_two_ships
from pipeline.schema import CELL, DISTINCT_VESSELS, EVENT_TYPE, VESSEL_HOURS, VESSEL_ID
from pipeline.transit import ONE_SHIP_MAX_KM, transit_features

#: Two MMSIs giving one name and call sign (a tug and its barge), and a real other ship.
SHIP_A, SHIP_B, OTHER = 538001234, 538009876, 235000001
TUG = ("", "ATLANTIC PRIDE", "WDC4512", "A")
IDENT = {SHIP_A: TUG, SHIP_B: TUG, OTHER: ("IMO9176187", "OTHER", "GABC", "A")}
M_PER_DEG = 111_195.0


def _track(mmsi, minutes, north_m=0.0, kn=0.5, ident=None, behind_m=0.0):
    """Pings of ``mmsi`` at ``minutes`` after T0, heading east at ``kn``.

    ``north_m`` puts the line that far north; ``behind_m`` starts the vessel that far west
    (it follows the same line later).  ``ident`` (IMO, name, call sign, class) overrides
    the id's identity.
    """
    minutes = np.asarray(minutes, dtype="float64")
    scale = M_PER_DEG * np.cos(np.radians(10.0))
    lon = -60.0 + (minutes / 60.0 * kn * 1852.0 - behind_m) / scale
    lat = np.full(minutes.size, 10.0 + north_m / M_PER_DEG)
    ident = ident or IDENT[mmsi]
    return [(mmsi, m, la, lo, kn, ident) for m, la, lo in zip(minutes, lat, lon, strict=True)]


def _csv(path: Path, *tracks) -> Path:
    """A MarineCadastre-shaped CSV of the tracks."""
    return marinecadastre_csv(path, [row for track in tracks for row in track])


def _read(path: Path):
    return read_quietly(path)


def _three_ways(tmp_path: Path, path: Path, **kw):
    return transit_three_ways(tmp_path, path, (SHIP_A, SHIP_B), **kw)


def _kind(events: pd.DataFrame, kind: str) -> pd.DataFrame:
    return events[events[EVENT_TYPE] == kind]


def _note(tr, words: str) -> list[str]:
    return [n for n in tr.notes if words in n]


def _apart(tr) -> str:
    (note,) = _note(tr, "far apart while both reported")
    return note


# --------------------------------------------------------------------------- two ships


def test_two_boats_of_one_name_and_call_sign_20_km_apart_each_keep_their_loitering(tmp_path):
    """Before: one loiter event for the two (one ship's overlapping events were merged)."""
    every10 = np.arange(0, 8 * 60, 10)
    path = _csv(tmp_path / "AIS.csv", _track(SHIP_A, every10), _track(SHIP_B, every10, 20_000))
    tr = _three_ways(tmp_path, path)
    assert sorted(_kind(tr.events, "loiter")[VESSEL_ID]) == [str(SHIP_A), str(SHIP_B)]
    assert _note(tr, "one ship (") == []  # no merge applied
    note = _apart(tr)
    assert (
        f"vessel ids {SHIP_A} and {SHIP_B} (name 'atlantic pride' and call sign 'wdc4512') "
        "were 20.0 km apart while both reported (median of 47 time(s))"
    ) in note
    assert f"beyond {ONE_SHIP_MAX_KM:g} km" in note


def test_a_gap_of_one_boat_while_the_other_reports_20_km_away_is_a_gap(tmp_path):
    """Before: B's 8 h silence was no gap, because A (another boat) kept reporting."""
    every10 = np.arange(0, 14 * 60, 10)
    b_times = every10[(every10 <= 2 * 60) | (every10 >= 10 * 60)]
    path = _csv(
        tmp_path / "AIS.csv",
        _track(SHIP_A, every10, 0.0, kn=8.0),
        _track(SHIP_B, b_times, 20_000, kn=8.0),
    )
    tr = _three_ways(tmp_path, path)
    assert _kind(tr.events, "gap")[VESSEL_ID].tolist() == [str(SHIP_B)]
    assert "were 20.0 km apart" in _apart(tr)


def test_two_boats_on_one_lane_20_km_apart_count_twice_in_the_cells_both_cross(tmp_path):
    """Before: B following A 20 km behind counted once (one vessel, the larger hours)."""
    every5 = np.arange(0, 8 * 60, 5)
    a = _track(SHIP_A, every5, kn=10.0)
    b = _track(SHIP_B, every5, kn=10.0, behind_m=20_000)
    tr = _three_ways(tmp_path, _csv(tmp_path / "AIS.csv", a, b))
    alone = [
        transit_features(_read(_csv(tmp_path / f"{k}.csv", x)).frame, 7)
        .features.set_index(CELL)[VESSEL_HOURS]
        .sort_index()
        for k, x in (("a", a), ("b", b))
    ]
    assert alone[0].index.intersection(alone[1].index).size > 3  # cells both cross
    want = alone[0].add(alone[1], fill_value=0.0)
    got = tr.features.set_index(CELL)[VESSEL_HOURS].sort_index()
    pd.testing.assert_series_equal(got, want, check_names=False, rtol=1e-9)
    assert tr.features[DISTINCT_VESSELS].max() == 2.0
    assert "were 20.0 km apart" in _apart(tr)


# --------------------------------------------------------------------------- one ship


def test_two_ids_of_one_hull_reporting_at_other_instants_stay_one_ship(tmp_path):
    """At 12 kn, B reports 5 minutes after A (1.9 km on): compared at one time, it is 150 m."""
    a = _track(SHIP_A, np.arange(0, 6 * 60, 10), 0.0, kn=12.0)
    b = _track(SHIP_B, np.arange(5, 6 * 60, 10), 150.0, kn=12.0)
    tr = _three_ways(tmp_path, _csv(tmp_path / "AIS.csv", a, b))
    assert _note(tr, "far apart") == []
    assert len(_note(tr, f"{SHIP_A} and {SHIP_B} are one ship")) == 1
    assert tr.features[DISTINCT_VESSELS].max() == 1.0


def test_a_transponder_swapped_far_away_keeps_its_join(tmp_path):
    """A reports 0-5 h, then B (a new transponder) 6-12 h 80 km east: never at one time."""
    a = _track(SHIP_A, np.arange(0, 5 * 60, 10))
    b = _track(SHIP_B, np.arange(6 * 60, 12 * 60, 10), behind_m=-80_000)
    tr = _three_ways(tmp_path, _csv(tmp_path / "AIS.csv", a, b))
    assert _note(tr, "far apart") == []
    assert len(_note(tr, f"{SHIP_A} and {SHIP_B} are one ship")) == 1


def test_a_long_track_is_compared_on_a_bounded_summary_and_still_found_apart(tmp_path):
    """Twelve days every 10 minutes: each id's summary is at most 1,024 grid times."""
    from pipeline.transit import _TOGETHER_TIMES, _positions_on_grid

    minutes = np.arange(0, 12 * 24 * 60, 10)
    res = _read(
        _csv(
            tmp_path / "AIS.csv",
            _track(SHIP_A, minutes, 0.0, kn=0.2),
            _track(SHIP_B, minutes[::2], 30_000, kn=0.2),  # B every 20 minutes
        )
    )
    f = res.frame
    code, names = pd.factorize(f[VESSEL_ID], sort=True)
    t = f["time"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
    got = _positions_on_grid(
        code.astype("int64"),
        t.view("int64"),
        f["lon"].to_numpy(),
        f["lat"].to_numpy(),
        np.ones(len(names), dtype=bool),
        60.0,
        6.0,
    )
    assert got is not None
    per_id = np.bincount(got[0])
    assert per_id.max() <= _TOGETHER_TIMES and per_id.min() > _TOGETHER_TIMES // 4
    shared = np.intersect1d(got[1][got[0] == 0], got[1][got[0] == 1])
    assert shared.size > _TOGETHER_TIMES // 4  # one id's times are the other's, thinned
    tr = transit_features(f, 7, vessel_identity=res.identity)
    assert "were 30.0 km apart" in _apart(tr)


# --------------------------------------------------------------------------- one MMSI, two ships


def _two_ships_note(tr) -> str:
    (note,) = _note(tr, "two or more valid IMO numbers")
    return note


def test_an_mmsi_carrying_two_ships_imo_numbers_is_named(tmp_path):
    """Before: two ships under one MMSI, 300 km apart, were one track, and nothing said so."""
    first = ("IMO9074729", "NORDIC STAR", "V7AB2", "A")
    second = ("IMO9176187", "SOUTHERN CROSS", "C6XY9", "A")
    path = _csv(
        tmp_path / "AIS.csv",
        _track(SHIP_A, np.arange(0, 5 * 60, 10), ident=first, kn=8.0),
        _track(SHIP_A, np.arange(11 * 60, 14 * 60, 10), 300_000, ident=second, kn=8.0),
        _track(OTHER, np.arange(0, 3 * 60, 10), 50_000, kn=8.0),
    )
    tr = _three_ways(tmp_path, path)
    note = _two_ships_note(tr)
    assert (
        f"1 vessel id(s) carry two or more valid IMO numbers, each on a real share of their "
        f"records: {SHIP_A} (IMO 9074729: 30 record(s), IMO 9176187: 18 record(s))"
    ) in note
    assert str(OTHER) not in note


def test_one_garbled_imo_in_a_few_static_messages_is_no_second_ship(tmp_path):
    """Two records of another (valid) IMO among 60: under the 3-record floor, no note."""
    first = ("IMO9074729", "NORDIC STAR", "V7AB2", "A")
    garbled = ("IMO9176187", "NORDIC STAR", "V7AB2", "A")
    minutes = np.arange(0, 10 * 60, 10)
    path = _csv(
        tmp_path / "AIS.csv",
        _track(SHIP_A, minutes[:20], ident=first),
        _track(SHIP_A, minutes[20:22], ident=garbled),
        _track(SHIP_A, minutes[22:], ident=first),
    )
    res = _read(path)
    assert len(ids_of_two_ships(res.identity, res.frame[VESSEL_ID].unique())) == 0
    tr = transit_features(res.frame, 7, vessel_identity=res.identity)
    assert _note(tr, "two or more valid IMO numbers") == []
    # ten records of 60 are a real share: a second ship
    path = _csv(
        tmp_path / "AIS2.csv",
        _track(SHIP_A, minutes[:20], ident=first),
        _track(SHIP_A, minutes[20:30], ident=garbled),
        _track(SHIP_A, minutes[30:], ident=first),
    )
    res = _read(path)
    two = ids_of_two_ships(res.identity, res.frame[VESSEL_ID].unique())
    assert two["key"].tolist() == ["9074729", "9176187"]
    assert two["n"].tolist() == [50, 10]
