"""Tests a mutation review of :mod:`pipeline.transit` found missing.

Each test kills a small, plausible bug (a ``<`` for ``<=``, an index off by one, a check
dropped) that left every other test passing, and checks the result against an independent
computation on a tiny track: a hand count, :func:`pipeline.sphere.haversine_km`, h3 itself.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from pipeline.schema import (
    CELL,
    DISTINCT_VESSELS,
    ENCOUNTER_EVENTS,
    GAP_EVENTS,
    LAT,
    LON,
    SOG,
    TIME,
    VESSEL_HOURS,
    VESSEL_ID,
)
from pipeline.sphere import EARTH_RADIUS_KM, haversine_km
from pipeline.transit import transit_features

T0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")
KM_PER_DEG = np.radians(1.0) * EARTH_RADIUS_KM


def pings(vessel, minutes, lon, lat, sog):
    """A vessel's pings at ``minutes`` after :data:`T0` (scalars broadcast)."""
    n = len(minutes)

    def full(x):
        return np.broadcast_to(np.asarray(x, dtype="float64"), (n,)).copy()

    return pd.DataFrame(
        {
            VESSEL_ID: [vessel] * n,
            TIME: T0 + pd.to_timedelta(np.asarray(minutes, dtype="float64"), unit="min"),
            LON: full(lon),
            LAT: full(lat),
            SOG: full(sog),
        }
    )


def cell_of(lon, lat, res):
    return np.uint64(h3.str_to_int(h3.latlng_to_cell(lat, lon, res)))


def kinds(res) -> list[str]:
    return sorted(res.events["event_type"])


# ----------------------------------------------------------------------------- preparation


def test_a_ping_at_the_same_time_as_another_vessels_ping_is_kept():
    """Only a vessel's own repeated times are duplicates: vessel b's first ping at the time of
    vessel a's last one is b's, and b's hour from it counts."""
    a = pings("a", [0, 60], [3.0, 3.1], 42.0, 5.0)
    b = pings("b", [60, 120], [4.0, 4.1], 42.0, 5.0)
    res = transit_features(pd.concat([a, b], ignore_index=True), 7)
    assert res.features[VESSEL_HOURS].sum() == pytest.approx(2.0, abs=1e-9)
    f = res.features.set_index(CELL)
    assert f.loc[cell_of(4.0, 42.0, 7), DISTINCT_VESSELS] == 1
    assert not any("same time" in n for n in res.notes)


def test_a_ping_at_the_pole_is_a_position():
    """|lat| <= 90 is a position (``check_lonlat`` accepts it): a ping at the North Pole
    marks its vessel there, it is not silently dropped."""
    res = transit_features(pings("p", [0], [0.0], [90.0], 0.0), 7)
    assert res.features[CELL].tolist() == [cell_of(0.0, 90.0, 7)]
    assert res.features[DISTINCT_VESSELS].tolist() == [1.0]


def test_a_ping_reached_fast_but_left_slowly_is_kept():
    """A spike is a ping reached *and* left faster than ``max_speed_kn``: one reached at ~97 kn
    (500 m in 10 s) and left at ~3 kn stays; the fast segment gives no time, the slow one
    does."""
    dlat = 0.5 / KM_PER_DEG
    lat = np.array([40.0, 40.0 + dlat, 40.0 + 2 * dlat])
    minutes = np.array([0.0, 10 / 60, 10.0])
    res = transit_features(pings("a", minutes, 10.0, lat, np.nan), 9)
    assert not any("position jump" in n for n in res.notes)
    kn = 1000 * haversine_km(10.0, lat[0], 10.0, lat[1]) / 1852 / (10 / 3600)
    assert kn > 60
    assert res.features[VESSEL_HOURS].sum() == pytest.approx((10 - 10 / 60) / 60, abs=1e-9)


def test_a_ping_between_two_fast_segments_whose_neighbours_are_apart_too_is_kept():
    """A ping is a spike only when skipping it connects its neighbours plausibly: three pings
    50 km apart a minute from each other (every connection ~1,600 kn) drop none, and the
    middle ping still marks its vessel in its cell."""
    lon = np.array([10.0, 10.0 + 50 / KM_PER_DEG, 10.0 + 100 / KM_PER_DEG])
    res = transit_features(pings("a", [0.0, 1.0, 2.0], lon, 0.0, np.nan), 7)
    assert not any("position jump" in n for n in res.notes)
    f = res.features.set_index(CELL)
    assert sorted(f.index) == sorted(cell_of(x, 0.0, 7) for x in lon)
    assert (f[DISTINCT_VESSELS] == 1).all() and (f[VESSEL_HOURS] == 0).all()


# ----------------------------------------------------------------------------- gaps


def moving(vessel, start_min, lon0, lat0, minutes, kn=10.0, step=10.0):
    """Pings every ``step`` minutes of a vessel going east at ``kn`` along ``lat0``."""
    mins = np.arange(0.0, minutes + 1e-9, step)
    dlon = kn * 1.852 * mins / 60 / (KM_PER_DEG * np.cos(np.radians(lat0)))
    return pings(vessel, start_min + mins, lon0 + dlon, lat0, kn)


def test_a_gap_that_starts_and_ends_in_one_cell_counts_once_there():
    """A gap is one event: when it starts and ends in the same cell, that cell has 1."""
    before = moving("a", 0, 5.0, 43.0, 20, kn=5.0)
    after = moving("a", 440, 5.02, 43.0, 20, kn=5.0)
    res = transit_features(pd.concat([before, after], ignore_index=True), 5)
    gaps = res.events[res.events["event_type"] == "gap"]
    assert len(gaps) == 1
    g = gaps.iloc[0]
    c0 = cell_of(g["start_lon"], g["start_lat"], 5)
    assert c0 == cell_of(g["end_lon"], g["end_lat"], 5)
    f = res.features.set_index(CELL)
    assert f.loc[c0, GAP_EVENTS] == 1 and f[GAP_EVENTS].sum() == 1


def test_gaps_found_in_a_later_chunk_are_those_of_its_own_pings(monkeypatch):
    """Pings are worked on in chunks of whole vessels: a gap in the second chunk is placed and
    timed by that vessel's pings (the ping before and after its silence)."""
    import pipeline.transit as transit

    a = moving("a", 0, 5.0, 43.0, 120)  # 13 pings, no gap
    b = pd.concat([moving("b", 0, 7.0, 44.0, 60), moving("b", 480, 7.5, 44.0, 60)])
    all_pings = pd.concat([a, b], ignore_index=True)
    whole = transit_features(all_pings, 6)
    monkeypatch.setattr(transit, "_CHUNK_PINGS", 13)
    chunked = transit_features(all_pings, 6)
    for res in (whole, chunked):
        gaps = res.events[res.events["event_type"] == "gap"]
        assert gaps[VESSEL_ID].tolist() == ["b"]
        g = gaps.iloc[0]
        last = b.iloc[6]  # the ping at 60 min, then 7 h of silence
        assert g["start_time"] == last[TIME] and g["end_time"] == b.iloc[7][TIME]
        assert (g["start_lon"], g["start_lat"]) == (last[LON], last[LAT])
        assert (g["end_lon"], g["end_lat"]) == (7.5, 44.0)
    pd.testing.assert_frame_equal(chunked.features, whole.features)


# ----------------------------------------------------------------------------- loitering


def drift(vessel, lon0, lat0, hours=5.0, kn=1.0, step=10.0):
    """Pings every ``step`` minutes of a vessel drifting north at ``kn`` (a slow, straight stay)."""
    mins = np.arange(0.0, hours * 60 + 1e-9, step)
    dlat = kn * 1.852 * mins / 60 / KM_PER_DEG
    return pings(vessel, mins, lon0, lat0 + dlat, kn)


def nearest_to_mean(lon, lat):
    """Index of the position nearest the spherical mean (independent: unit vectors, haversine)."""
    la, lo = np.radians(lat), np.radians(lon)
    v = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]).sum(0)
    mlon, mlat = np.degrees(np.arctan2(v[1], v[0])), np.degrees(np.arctan2(v[2], np.hypot(*v[:2])))
    return int(np.argmin(haversine_km(lon, lat, mlon, mlat)))


def test_a_loiter_is_placed_at_its_own_central_ping():
    """Two vessels drift 9 km each, 100 km apart: each loiter lies at the ping of its own run
    nearest that run's mean (the middle ping of a straight drift), in that ping's cell."""
    runs = {"a": drift("a", 3.0, 42.0), "b": drift("b", 4.2, 42.0)}
    res = transit_features(pd.concat(runs.values(), ignore_index=True), 8)
    loit = res.events[res.events["event_type"] == "loiter"].set_index(VESSEL_ID)
    assert sorted(loit.index) == ["a", "b"]
    for v, run in runs.items():
        k = nearest_to_mean(run[LON].to_numpy(), run[LAT].to_numpy())
        assert k == len(run) // 2
        assert (loit.loc[v, LON], loit.loc[v, LAT]) == (run[LON].iloc[k], run[LAT].iloc[k])
        assert loit.loc[v, CELL] == cell_of(run[LON].iloc[k], run[LAT].iloc[k], 8)


# ----------------------------------------------------------------------------- encounters


def encounters(res) -> pd.DataFrame:
    return res.events[res.events["event_type"] == "encounter"].reset_index(drop=True)


def test_a_vessel_between_two_pings_is_where_the_great_circle_puts_it():
    """Grid positions are interpolated along each segment: b passes a at 2.4 kn, pinging
    2.2 km west of a and an hour later 2.2 km east; at 00:30 it is on a (independent: the
    midpoint), at 00:20 and 00:40 ~730 m away.  One 10-minute encounter, at 00:30."""
    lon, lat = 20.0, 0.0
    d = 2.2 / KM_PER_DEG
    a = pings("a", [0, 10, 20, 30, 40, 50, 60], lon, lat, 0.1)
    b = pings("b", [0, 60], [lon - d, lon + d], lat, 2.4)
    for m in (20, 40):  # where b is at 00:20 and 00:40, along the (equatorial) great circle
        assert 1000 * haversine_km(lon - d + 2 * d * m / 60, lat, lon, lat) > 700
    res = transit_features(pd.concat([a, b], ignore_index=True), 7, encounter_hours=1 / 6)
    enc = encounters(res)
    assert len(enc) == 1
    assert enc["start_time"].tolist() == [T0 + pd.Timedelta(minutes=30)]
    assert enc["duration_hours"].tolist() == [pytest.approx(1 / 6)]
    assert enc[LAT].iloc[0] == pytest.approx(lat, abs=1e-9)
    assert enc[LON].iloc[0] == pytest.approx(lon, abs=1e-9)


def test_two_vessels_exactly_the_encounter_distance_apart_meet():
    """Within ``encounter_distance_m`` includes the distance itself: two vessels at anchor
    whose distance (haversine) is the threshold meet.  Positions that are exact in floats
    through unit vectors, and pings on the 10-minute grid, keep the distance exact."""
    from pipeline.sphere import lonlat_to_xyz, xyz_to_lonlat

    lon = np.array([0.0, 0.0])
    lat = np.array([0.0, 0.0044])
    back = xyz_to_lonlat(lonlat_to_xyz(lon, lat))
    assert np.array_equal(back[0], lon) and np.array_equal(back[1], lat)
    dist_m = 1000.0 * float(haversine_km(lon[0], lat[0], lon[1], lat[1]))
    assert 480 < dist_m < 500
    mins = np.arange(0, 180 + 1e-9, 10.0)
    both = pd.concat(
        [pings("a", mins, lon[0], lat[0], 0.0), pings("b", mins, lon[1], lat[1], 0.0)],
        ignore_index=True,
    )
    assert len(encounters(transit_features(both, 7, encounter_distance_m=dist_m))) == 1
    assert encounters(transit_features(both, 7, encounter_distance_m=dist_m * 0.999)).empty


def test_two_meetings_of_one_pair_apart_in_time_are_two_encounters():
    """a waits; b lies 300 m off it for 2 h, leaves for 1 h 40 min (3 km off), comes back for
    2 h: two encounters of 2 h, not one of 5 h 40 min."""
    lon, lat = 20.0, 10.0
    off = 0.3 / KM_PER_DEG
    far = 3.0 / KM_PER_DEG
    mins = np.arange(0, 330 + 1e-9, 10.0)
    a = pings("a", mins, lon, lat, 0.0)
    away = (mins >= 120 + 10) & (mins <= 200)
    b = pings("b", mins, lon, lat + np.where(away, far, off), 0.0)
    enc = encounters(transit_features(pd.concat([a, b], ignore_index=True), 7))
    assert enc["start_time"].tolist() == [T0, T0 + pd.Timedelta(minutes=210)]
    assert enc["duration_hours"].tolist() == [2.0, 2.0]


def test_meetings_with_two_vessels_one_after_the_other_are_two_encounters():
    """a waits; b lies beside it for 2 h and leaves as c arrives for 2 h: a-b and a-c, each
    2 h, not one 4 h a-b encounter."""
    lon, lat = 20.0, 10.0
    off = 0.3 / KM_PER_DEG
    a = pings("a", np.arange(0, 240 + 1e-9, 10.0), lon, lat, 0.0)
    b = pings("b", np.arange(0, 120 + 1e-9, 10.0), lon, lat + off, 0.0)
    c = pings("c", np.arange(120, 240 + 1e-9, 10.0), lon, lat - off, 0.0)
    enc = encounters(transit_features(pd.concat([a, b, c], ignore_index=True), 7))
    got = list(zip(enc[VESSEL_ID], enc["other_vessel_id"], enc["duration_hours"], strict=True))
    assert sorted(got) == [("a", "b", 2.0), ("a", "c", 2.0)]


def test_an_encounter_within_the_port_radius_is_no_event():
    """Encounters, like loitering, are not events within ``port_radius_km`` of a port."""
    lon, lat = 20.0, 10.0
    mins = np.arange(0, 180 + 1e-9, 10.0)
    both = pd.concat(
        [pings("a", mins, lon, lat, 0.0), pings("b", mins, lon, lat + 0.3 / KM_PER_DEG, 0.0)],
        ignore_index=True,
    )
    port = pd.DataFrame({LON: [lon], LAT: [lat - 3.0 / KM_PER_DEG]})  # 3 km south
    assert haversine_km(lon, lat, lon, port[LAT].iloc[0]) == pytest.approx(3.0)
    near = transit_features(both, 7, ports=port)
    assert encounters(near).empty and near.features[ENCOUNTER_EVENTS].sum() == 0
    assert len(encounters(transit_features(both, 7, ports=port, port_radius_km=2.0))) == 1
