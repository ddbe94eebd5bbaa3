"""Tests a mutation review of :mod:`pipeline.transit` found missing.

Each test kills a small, plausible bug (a ``<`` for ``<=``, an index off by one, a check
dropped) that left every other test passing, and checks the result against an independent
computation on a tiny track: a hand count, :func:`pipeline.sphere.haversine_km`, h3 itself.
"""

from __future__ import annotations

import logging

import h3
import numpy as np
import pandas as pd
import pytest
from _handpings import KM_PER_DEG, T0, cell_of, pings

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
from pipeline.sphere import haversine_km
from pipeline.transit import transit_features


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
        assert (g[LON], g[LAT]) == (last[LON], last[LAT])  # placed where it went dark
        assert g[CELL] == cell_of(last[LON], last[LAT], 6)
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


# ----------------------------------------------------------------------------- cell totals


def test_a_cell_counts_each_vessel_once_across_days():
    """``distinct_vessels`` counts vessels, not vessel-days or rows: c lies in one cell from
    23:00 to 01:00 (two UTC days), a pings there at 23:00 and, 7 h later (no time between),
    again for an hour beside b."""
    x_lon, x_lat = 3.0, 42.0
    c_lon = 5.0
    a = pd.concat(
        [
            pings("a", [-60.0], x_lon, x_lat, 0.0),
            pings("a", np.arange(360, 420 + 1e-9, 10.0), x_lon, x_lat, 0.0),
        ]
    )
    b = pings("b", np.arange(360, 420 + 1e-9, 10.0), x_lon + 1e-4, x_lat, 0.0)
    c = pings("c", np.arange(-60, 60 + 1e-9, 10.0), c_lon, x_lat, 0.0)
    f = transit_features(pd.concat([a, b, c], ignore_index=True), 7).features.set_index(CELL)
    x, y = cell_of(x_lon, x_lat, 7), cell_of(c_lon, x_lat, 7)
    assert x == cell_of(x_lon + 1e-4, x_lat, 7)
    assert sorted(f.index) == sorted([x, y])
    assert f.loc[x, DISTINCT_VESSELS] == 2 and f.loc[x, VESSEL_HOURS] == pytest.approx(2.0)
    assert f.loc[y, DISTINCT_VESSELS] == 1 and f.loc[y, VESSEL_HOURS] == pytest.approx(2.0)


# ----------------------------------------------------------------------------- thresholds


def test_slow_pings_exactly_max_segment_hours_apart_are_one_stay_and_one_meeting():
    """A segment no longer than ``max_segment_hours`` links a stay and gives grid points: two
    vessels at anchor 300 m apart, pinging at 00:00 and 06:00 only, loiter 6 h each and meet
    for 6 h (36 ten-minute steps)."""
    lon, lat = 20.0, 10.0
    a = pings("a", [0, 360], lon, lat, 0.0)
    b = pings("b", [0, 360], lon, lat + 0.3 / KM_PER_DEG, 0.0)
    res = transit_features(pd.concat([a, b], ignore_index=True), 7)
    ev = res.events.sort_values(["event_type", VESSEL_ID])
    assert ev["event_type"].tolist() == ["encounter", "loiter", "loiter"]
    assert ev["duration_hours"].tolist() == [6.0, 6.0, 6.0]
    assert res.features[VESSEL_HOURS].sum() == pytest.approx(12.0)


def test_a_track_exactly_as_long_as_a_threshold_can_show_its_events():
    """An event needs a track at least its threshold long: a 4 h track can show (and here
    shows) a 4 h loiter, so loitering is observed there, not missing."""
    from pipeline.transit import unobservable_events

    assert unobservable_events(4.0, {"gap": 6.0, "loiter": 4.0, "encounter": 2.0}) == ["gap"]
    assert unobservable_events(6.0, {"encounter": 2.0}, longest_overlap_hours=2.0) == []
    # two 3 h tracks that never overlap cannot show a 2 h encounter
    assert unobservable_events(3.0, {"encounter": 2.0}, longest_overlap_hours=0.0) == ["encounter"]
    res = transit_features(pings("a", np.arange(0, 240 + 1e-9, 10.0), 20.0, 10.0, 0.0), 7)
    assert kinds(res) == ["loiter"] and res.longest_track_hours == 4.0
    (note,) = [n for n in res.notes if n.startswith("no vessel's track lasts long enough")]
    assert "to show gap events" in note and "loiter_hours" not in note


def brute_overlap_hours(spans) -> float:
    """The longest overlap of two (first, last) spans, pair by pair."""
    best = 0.0
    for i, (a0, a1) in enumerate(spans):
        for b0, b1 in spans[i + 1 :]:
            best = max(best, min(a1, b1) - max(a0, b0))
    return best / 60


@pytest.mark.parametrize(
    "spans",
    [[(0, 600), (60, 120), (300, 540)], [(0, 60), (300, 600)], [(100, 700), (0, 400), (50, 90)]],
    ids=["long-short-middle", "apart", "unsorted"],
)
def test_longest_overlap_is_that_of_the_best_pair(spans):
    """``longest_overlap_hours`` is the longest time any two tracks overlap (0 when none do)."""
    frames = [pings(f"v{k}", list(s), 10.0 + k, 10.0 + k, 5.0) for k, s in enumerate(spans)]
    res = transit_features(pd.concat(frames, ignore_index=True), 5)
    assert res.longest_overlap_hours == pytest.approx(brute_overlap_hours(spans))
    assert res.longest_track_hours == pytest.approx(max(b - a for a, b in spans) / 60)


def test_a_position_at_as_of_itself_is_used():
    """``until`` leaves out positions *after* it: a ping at as_of is used."""
    p = moving("a", 0, 5.0, 43.0, 60)
    res = transit_features(p, 7, until=p[TIME].iloc[-1])
    assert res.after_until == 0 and not any("after as_of" in n for n in res.notes)
    assert res.features[VESSEL_HOURS].sum() == pytest.approx(1.0)


# ----------------------------------------------------------------------------- time attribution


def great_circle(lon0, lat0, lon1, lat1, fractions):
    """Points at ``fractions`` of the great circle between two positions (plain slerp)."""

    def unit(lon, lat):
        lo, la = np.radians(lon), np.radians(lat)
        return np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

    a, b = unit(lon0, lat0), unit(lon1, lat1)
    om = np.arccos(np.clip(a @ b, -1, 1))
    t = np.asarray(fractions)[:, None]
    p = (np.sin((1 - t) * om) * a + np.sin(t * om) * b) / np.sin(om)
    return np.degrees(np.arctan2(p[:, 1], p[:, 0])), np.degrees(np.arcsin(p[:, 2]))


def test_a_boundary_crossing_is_placed_within_the_documented_error():
    """The module promises an attribution error below 0.4 % of one (mean) edge length per
    boundary crossing.  Eight one-hour segments 1.3-2 edges long at res 7, each against
    dense sampling of its great circle (40,000 points, cells by h3)."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    edge_km = h3.average_hexagon_edge_length(7, unit="km")
    frac = (np.arange(40_000) + 0.5) / 40_000
    worst = 0.0
    for k in range(8):
        lon0, lat0 = 3.0 + 0.37 * k, 42.0 + 0.11 * k
        lon1, lat1, _ = geod.fwd(lon0, lat0, 17 + 41 * k, 1000 * edge_km * (1.3 + 0.1 * k))
        got = transit_features(pings("a", [0, 60], [lon0, lon1], [lat0, lat1], 5.0), 7)
        hours = got.features.set_index(CELL)[VESSEL_HOURS]
        lon, lat = great_circle(lon0, lat0, lon1, lat1, frac)
        cells = [h3.str_to_int(h3.latlng_to_cell(y, x, 7)) for x, y in zip(lon, lat, strict=True)]
        ref = pd.Series(cells).value_counts() / frac.size
        ref.index = ref.index.astype("uint64")
        assert sorted(ref.index) == sorted(hours.index)
        km = haversine_km(lon0, lat0, lon1, lat1)
        worst = max(worst, float((hours - ref).abs().max()) * km / edge_km)
    assert worst < 0.004


# ----------------------------------------------------------------------------- unknown SOG


def test_pings_a_minute_apart_keep_the_speed_of_their_own_segments():
    """Without SOG, a ping's speed is its arriving segment's; only pings whose both steps are
    *shorter* than a minute read it over a longer span.  Pings exactly 60 s apart at anchor
    for 250 min, then off at 10 kn pinging every 30 s: the last anchored ping (its arriving
    step a minute at 0 kn) ends the stay, 250 min after the first."""
    stay = pings("a", np.arange(0, 250 + 1e-9, 1.0), 20.0, 10.0, np.nan)
    go = moving("a", 250, 20.0, 10.0, 20, kn=10.0, step=0.5).iloc[1:]  # 250.5 min on
    go[SOG] = np.nan
    res = transit_features(pd.concat([stay, go], ignore_index=True), 7)
    (d,) = res.events.loc[res.events["event_type"] == "loiter", "duration_hours"]
    assert d == pytest.approx(250 / 60, abs=1e-12)


def test_the_speed_at_a_tracks_end_is_read_from_its_own_pings():
    """A phone logging every 20 s at anchor for exactly 4 h, no SOG: its last pings' speed is
    read back over its own last minute (0 kn), never towards another vessel's first ping
    (b, 100 km away, starts later): one loiter of 4 h."""
    mins = np.arange(0, 240 + 1e-9, 1 / 3)
    a = pings("a", mins, 20.0, 10.0, np.nan)
    b = pings("b", 300 + mins[:30], 21.0, 10.0, np.nan)
    res = transit_features(pd.concat([a, b], ignore_index=True), 7)
    loit = res.events[res.events["event_type"] == "loiter"]
    assert loit[VESSEL_ID].tolist() == ["a"]
    assert loit["duration_hours"].tolist() == [pytest.approx(4.0, abs=1e-9)]


# ----------------------------------------------------------------------------- speed thresholds


def test_speed_thresholds_are_strict_below_and_inclusive_above():
    """Loitering and meeting need SOG *slower than* their speeds (2 and 3 kn); a gap needs
    SOG *at least* ``gap_min_speed_kn`` (1 kn).  Two vessels at anchor 300 m apart reporting
    exactly 2.0 kn meet but do not loiter; at exactly 3.0 kn they do neither; a vessel
    reporting exactly 1.0 kn before 7 h of silence went dark."""
    mins = np.arange(0, 300 + 1e-9, 10.0)
    off = 0.3 / KM_PER_DEG

    def pair(sog):
        return pd.concat(
            [pings("a", mins, 20.0, 10.0, sog), pings("b", mins, 20.0, 10.0 + off, sog)],
            ignore_index=True,
        )

    assert kinds(transit_features(pair(2.0), 7)) == ["encounter"]
    assert kinds(transit_features(pair(1.99), 7)) == ["encounter", "loiter", "loiter"]
    assert kinds(transit_features(pair(3.0), 7)).count("encounter") == 0
    dark = pings("c", [0, 10, 430], [5.0, 5.0 + 0.3 / KM_PER_DEG, 5.2], 40.0, 1.0)
    assert kinds(transit_features(dark, 7)) == ["gap"]
    assert kinds(transit_features(dark.assign(**{SOG: 0.99}), 7)) == []


def test_a_gap_with_unknown_sog_is_judged_by_the_segment_before_it_only():
    """Without SOG, whether a vessel was moving when it fell silent is read from the segment
    before the gap, never the gap itself nor another vessel's pings: a vessel at anchor that
    reappears 30 km off 7 h later did not go dark moving; a vessel whose silence follows its
    very first ping has no speed before it (no gap), whatever vessel pinged just before."""
    still = pings("a", [0, 10, 20, 440], [5.0, 5.0, 5.0, 5.4], 40.0, np.nan)
    first = pings("b", [450, 870, 880], [9.0, 9.1, 9.1 + 0.3 / KM_PER_DEG], 41.0, np.nan)
    res = transit_features(pd.concat([still, first], ignore_index=True), 7)
    assert res.events.empty
    # the same silences after a segment at 12 kn are gaps
    go = moving("c", -10, 4.9, 40.0, 10, kn=12.0).assign(**{SOG: np.nan})
    assert kinds(transit_features(pd.concat([go, still.iloc[1:]], ignore_index=True), 7)) == []
    moved = pd.concat([go, pings("c", [440], [5.4], 40.0, np.nan)], ignore_index=True)
    assert kinds(transit_features(moved, 7)) == ["gap"]


def test_a_drift_within_twice_the_loiter_speed_is_a_stay():
    """A stay's segments may span up to twice the loiter speed (a drift's positions wander):
    pings reporting 1 kn that move at 3 kn for 5 h are one loiter, at 5 kn none."""
    for kn, expect in ((3.0, ["loiter"]), (5.0, [])):
        p = moving("a", 0, 20.0, 10.0, 300, kn=kn).assign(**{SOG: 1.0})
        assert kinds(transit_features(p, 7)) == expect


def test_a_stay_does_not_run_on_into_the_next_vessels_pings():
    """Two vessels anchored at one spot one after the other, 2 h 30 min each: no loiter (each
    is shorter than 4 h), not one 5 h loiter of the first."""
    a = pings("a", np.arange(0, 150 + 1e-9, 10.0), 20.0, 10.0, 0.0)
    b = pings("b", np.arange(160, 310 + 1e-9, 10.0), 20.0, 10.0, 0.0)
    assert kinds(transit_features(pd.concat([a, b], ignore_index=True), 7)) == []


def test_an_encounter_counts_only_grid_times_both_vessels_were_followed():
    """Pings at 00:05, 00:15, ..., 02:05: the 10-minute grid times inside the tracks are
    00:10 to 02:00 (12 steps, 2 h), none before the first ping."""
    mins = np.arange(5, 125 + 1e-9, 10.0)
    both = pd.concat(
        [pings("a", mins, 20.0, 10.0, 0.0), pings("b", mins, 20.0, 10.0 + 0.3 / KM_PER_DEG, 0.0)],
        ignore_index=True,
    )
    enc = encounters(transit_features(both, 7))
    assert enc["start_time"].tolist() == [T0 + pd.Timedelta(minutes=10)]
    assert enc["duration_hours"].tolist() == [2.0]


def test_vessels_just_inside_a_long_encounter_distance_meet_across_two_cells():
    """With ``encounter_distance_m`` 1000, two vessels ~995 m apart on either side of a res-8
    cell (their own res-8 cells two apart) meet: partners are searched in cells at least
    twice the distance wide."""
    res = 8
    c = h3.latlng_to_cell(10.0, 20.0, res)
    n = sorted(h3.grid_ring(c, 1))[0]
    (la0, lo0), (la1, lo1) = h3.cell_to_latlng(c), h3.cell_to_latlng(n)
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    az, back, _ = geod.inv(lo0, la0, lo1, la1)
    (x0, x1), (y0, y1), _ = geod.fwd([lo0, lo0], [la0, la0], [az, back], [495.0, 495.0])
    assert h3.grid_distance(h3.latlng_to_cell(y0, x0, res), h3.latlng_to_cell(y1, x1, res)) == 2
    assert 985 < 1000 * haversine_km(x0, y0, x1, y1) < 998
    mins = np.arange(0, 180 + 1e-9, 10.0)
    both = pd.concat([pings("a", mins, x0, y0, 0.0), pings("b", mins, x1, y1, 0.0)])
    enc = encounters(transit_features(both.reset_index(drop=True), 7, encounter_distance_m=1000))
    assert enc["duration_hours"].tolist() == [3.0]


def test_an_encounter_over_midnight_is_one_with_or_without_the_day_memo(tmp_path, caplog):
    """Nightly runs pair each UTC day apart and join the runs at the days' edges: two vessels
    at anchor 300 m apart from 23:00 to 01:00 meet once, for 2 h from 23:00, whether the
    days are paired fresh, kept in the memo, or taken back from it."""
    from pipeline.runner.cache import StageCache

    mins = np.arange(-60, 60 + 1e-9, 10.0)
    both = pd.concat(
        [pings("a", mins, 20.0, 10.0, 0.0), pings("b", mins, 20.0, 10.0 + 0.3 / KM_PER_DEG, 0.0)],
        ignore_index=True,
    )
    for memo in (None, "fresh", "reused"):
        pm = StageCache(tmp_path / "cache").memo("pairs", [1]) if memo else None
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="pipeline.transit"):
            enc = encounters(transit_features(both, 7, pairs_memo=pm))
        assert enc["start_time"].tolist() == [T0 - pd.Timedelta(hours=1)]
        assert enc["duration_hours"].tolist() == [2.0]
        if memo == "reused":
            assert "encounter pairs of 2 day(s) from the memo, 0 computed" in caplog.text


# ----------------------------------------------------------------------------- one ship, two ids


def one_ship(*ids: str) -> pd.DataFrame:
    """Identity rows giving ``ids`` one valid IMO number (9074729: its check digit holds)."""
    return pd.DataFrame(
        {"vessel_id": list(ids), "kind": "imo", "key": "9074729", "n": np.full(len(ids), 10)}
    )


def test_a_ship_silent_exactly_gap_hours_went_dark_though_its_other_id_pinged():
    """A gap of one id is dropped only when another id of its ship kept the ship from ``gap_hours``
    of silence.  x goes dark moving for 7 h; its twin id y pings 10 min into the silence and
    exactly 6 h later: the ship was silent 6 h, so the gap stays; with y pinging every hour
    instead, it is dropped."""
    x = pd.concat([moving("x", 0, 5.0, 43.0, 60), moving("x", 480, 5.3, 43.0, 60)])
    last = x.iloc[6]
    y = pings("y", [70, 430], float(last[LON]), 43.0, 0.0)
    both = pd.concat([x, y], ignore_index=True)
    res = transit_features(both, 7, vessel_identity=one_ship("x", "y"))
    gaps = res.events[res.events["event_type"] == "gap"]
    assert gaps[VESSEL_ID].tolist() == ["x"] and gaps["duration_hours"].tolist() == [7.0]
    hourly = pd.concat([x, pings("y", np.arange(70, 430 + 1e-9, 60.0), 5.1, 43.0, 0.0)])
    res = transit_features(hourly.reset_index(drop=True), 7, vessel_identity=one_ship("x", "y"))
    assert (res.events["event_type"] != "gap").all()


def test_loiters_of_one_ships_two_ids_that_only_touch_in_time_are_two():
    """Events of one ship's ids are one only when they overlap in time: x anchored from 00:00
    to 04:00 and its twin id y there from 04:00 to 08:00 are two loiters (they touch); with y
    from 03:50 to 07:50 they overlap and are one (equally long: the earlier, x's, is kept)."""
    x = pings("x", np.arange(0, 240 + 1e-9, 10.0), 20.0, 10.0, 0.0)
    for start, expect in ((240, ["x", "y"]), (230, ["x"])):
        y = pings("y", np.arange(start, start + 240 + 1e-9, 10.0), 20.0, 10.0, 0.0)
        both = pd.concat([x, y], ignore_index=True)
        res = transit_features(both, 7, vessel_identity=one_ship("x", "y"))
        loit = res.events[res.events["event_type"] == "loiter"]
        assert loit[VESSEL_ID].tolist() == expect and (loit["duration_hours"] == 4.0).all()


# ----------------------------------------------------------------------------- partitions


def test_pings_on_disk_in_partitions_give_the_whole_tables_result(tmp_path, monkeypatch):
    """A store read a few vessels at a time (grid points spilled and paired a few at a time)
    gives the result of the whole table: features, events, and what the notes and fields say
    (positions after as_of, position jumps, the longest track and overlap)."""
    import pipeline.transit as transit
    from pipeline.ingest.stream import PingStore, spill_tracks

    off = 0.3 / KM_PER_DEG
    slow = np.arange(0, 300 + 1e-9, 10.0)
    a = moving("a", 0, 5.0, 43.0, 120)
    b = moving("b", 0, 6.0, 43.0, 600, step=30.0)  # the longest track, 10 h (till as_of)
    # position jumps at ~40 kn both ways: kept by ingest (60 kn), dropped here (30 kn)
    a.loc[5, LAT] += 12.3 / KM_PER_DEG
    b.loc[9, LAT] += 37.0 / KM_PER_DEG
    frames = [
        a,
        b,
        *(pings(v, slow, 7.0, 43.0 + k * off, 0.5) for k, v in enumerate("cde")),
        moving("f", 200, 8.0, 43.0, 700, step=60.0),  # goes on after as_of
    ]
    all_pings = pd.concat(frames, ignore_index=True)
    until = T0 + pd.Timedelta(hours=10)
    whole = transit_features(all_pings, 7, until=until, max_speed_kn=30.0)
    csv = tmp_path / "ais.csv"
    all_pings.assign(time=all_pings[TIME].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")).to_csv(
        csv, index=False
    )
    spill = spill_tracks(csv, tmp_path / "spill", chunk_rows=50, n_buckets=6)
    monkeypatch.setattr(transit, "_PAIR_BLOCK_POINTS", 7)
    store = PingStore([spill], chunk_rows=20)
    assert len(store.bucket_groups(20)) >= 3
    got = transit_features(store, 7, until=until, max_speed_kn=30.0)
    pd.testing.assert_frame_equal(got.features, whole.features)
    pd.testing.assert_frame_equal(got.events, whole.events)
    assert got.notes == whole.notes
    for name in ("after_until", "untimed", "longest_track_hours", "longest_overlap_hours"):
        assert getattr(got, name) == getattr(whole, name), name
    assert whole.after_until == int((all_pings[TIME] > until).sum()) > 0
    assert "2 ping(s) dropped as position jumps (> 30.0 kn both ways)" in whole.notes
    kept = all_pings[all_pings[TIME] <= until]
    mins = (kept[TIME] - T0).dt.total_seconds() / 60
    spans = list(mins.groupby(kept[VESSEL_ID]).agg(["min", "max"]).itertuples(index=False))
    assert whole.longest_track_hours == 10.0
    assert whole.longest_overlap_hours == pytest.approx(brute_overlap_hours(spans)) == 6.0
    assert kinds(whole).count("encounter") == 2  # c-d and d-e (c-e are 600 m apart)


@pytest.mark.parametrize(
    ("lon", "lat", "dlon", "dlat", "meet"),
    [(0.0, 60.0, 0.008, 0.0, True), (80.0, 0.0, 0.0, 0.6 / KM_PER_DEG, False)],
    ids=["east-west-at-60N", "north-south-600m"],
)
def test_the_encounter_distance_is_the_great_circle_distance(lon, lat, dlon, dlat, meet):
    """Whether two vessels are within 500 m is their haversine distance: 0.008 deg of
    longitude at 60 N is ~445 m (they meet), 600 m north-south is not within 500 m."""
    d_m = 1000 * haversine_km(lon, lat, lon + dlon, lat + dlat)
    assert (d_m <= 500) == meet and abs(d_m - 500) > 40
    mins = np.arange(0, 180 + 1e-9, 10.0)
    both = pd.concat(
        [pings("a", mins, lon, lat, 0.0), pings("b", mins, lon + dlon, lat + dlat, 0.0)],
        ignore_index=True,
    )
    assert len(encounters(transit_features(both, 7))) == int(meet)


def test_a_stay_and_a_meeting_end_at_the_last_ping_reported_slow():
    """Two vessels anchored 300 m apart report 0.5 kn from 00:00 to 05:00, then 8 kn at 05:10
    (still in place: the engines just started) and are off by 05:20.  Only segments between
    two slow pings count: two loiters and one encounter, each 5 h from 00:00."""
    mins = np.arange(0, 310 + 1e-9, 10.0)
    sog = np.where(mins <= 300, 0.5, 8.0)
    off = 0.3 / KM_PER_DEG
    frames = []
    for v, lat in (("a", 10.0), ("b", 10.0 + off)):
        frames += [pings(v, mins, 20.0, lat, sog), moving(v, 320, 20.05, lat, 30, kn=8.0)]
    res = transit_features(pd.concat(frames, ignore_index=True), 7)
    ev = res.events.sort_values(["event_type", VESSEL_ID])
    assert ev["event_type"].tolist() == ["encounter", "loiter", "loiter"]
    assert (ev["start_time"] == T0).all() and (ev["duration_hours"] == 5.0).all()
