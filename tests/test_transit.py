"""Tests of pipeline.transit on hand-made tracks with known answers and on real AIS."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
from _property import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from pipeline.errors import ConfigError, InputError
from pipeline.grid import points_to_cells
from pipeline.schema import (
    CELL,
    COG,
    DISTINCT_VESSELS,
    ENCOUNTER_EVENTS,
    GAP_EVENTS,
    LAT,
    LOITER_EVENTS,
    LON,
    SOG,
    TIME,
    VESSEL_HOURS,
    VESSEL_ID,
)
from pipeline.transit import EVENT_COLUMNS, FEATURE_COLUMNS, NO_PORTS_NOTE, transit_features

T0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")
GEOD = Geod(ellps="WGS84")


def make_pings(vessel, minutes, lon, lat, sog):
    n = len(minutes)
    return pd.DataFrame(
        {
            VESSEL_ID: [vessel] * n,
            TIME: T0 + pd.to_timedelta(np.asarray(minutes, dtype=float), unit="min"),
            LON: np.asarray(lon, dtype=float),
            LAT: np.asarray(lat, dtype=float),
            SOG: np.broadcast_to(np.asarray(sog, dtype=float), (n,)).copy(),
            COG: np.full(n, np.nan),
        }
    )


def track(vessel, start_min, lon0, lat0, az_deg, speed_kn, sog, minutes, step_min=10.0):
    """A straight track at constant speed from (lon0, lat0) with a ping every ``step_min``."""
    mins = np.arange(0.0, minutes + 1e-9, step_min)
    dist_m = speed_kn * 1852.0 * mins / 60.0
    lon, lat, _ = GEOD.fwd(
        np.full(mins.size, lon0), np.full(mins.size, lat0), np.full(mins.size, az_deg), dist_m
    )
    return make_pings(vessel, start_min + mins, lon, lat, sog)


def row_of(features, cell):
    return features.set_index(CELL).loc[np.uint64(cell)]


# ----------------------------------------------------------------------------- contract


def test_output_contract():
    pings = track("a", 0, 5.0, 43.0, 90, 10, 10, 60)
    res = transit_features(pings, 7)
    assert tuple(res.features.columns) == FEATURE_COLUMNS
    assert res.features[CELL].dtype == np.uint64
    assert res.features[CELL].is_monotonic_increasing and res.features[CELL].is_unique
    for c in FEATURE_COLUMNS[1:]:
        assert res.features[c].dtype == np.float64
    assert tuple(res.events.columns) == EVENT_COLUMNS
    assert str(res.events["start_time"].dtype) == "datetime64[ns, UTC]"
    # an hour of pings: too short for a gap (6 h), loitering (4 h) or an encounter (2 h)
    assert res.notes[0] == NO_PORTS_NOTE and len(res.notes) == 2
    assert "show gap or loiter or encounter events (the longest lasts 1.00 h" in res.notes[1]
    assert res.longest_track_hours == 1.0


# ----------------------------------------------------------------------------- time attribution


def three_cells_in_a_row(res=7):
    a = h3.latlng_to_cell(43.0, 5.0, res)
    i, j = h3.cell_to_local_ij(a, a)
    cells = [h3.local_ij_to_cell(a, i + k, j) for k in range(3)]
    assert h3.grid_distance(cells[0], cells[2]) == 2
    return cells


@pytest.mark.parametrize("n_pings", [2, 7])
def test_vessel_crossing_three_cells_gets_known_minutes(n_pings):
    # From the centre of A to the centre of C through B: A and C get a quarter of the
    # hour each (centre to edge midpoint), B half (edge midpoint to edge midpoint).
    cells = three_cells_in_a_row()
    (la0, lo0), (la1, lo1) = h3.cell_to_latlng(cells[0]), h3.cell_to_latlng(cells[2])
    frac = np.linspace(0, 1, n_pings)
    pts = np.array(GEOD.npts(lo0, la0, lo1, la1, n_pings - 2)) if n_pings > 2 else np.empty((0, 2))
    lon = np.r_[lo0, pts[:, 0], lo1]
    lat = np.r_[la0, pts[:, 1], la1]
    pings = make_pings("a", 60 * frac, lon, lat, 5.0)
    f = transit_features(pings, 7).features
    assert set(f[CELL].astype(np.uint64)) == {np.uint64(h3.str_to_int(c)) for c in cells}
    minutes = [60 * row_of(f, h3.str_to_int(c))[VESSEL_HOURS] for c in cells]
    # Independent reference: dense geodesic sampling of the same path.
    ref_pts = np.array(GEOD.npts(lo0, la0, lo1, la1, 20000))
    ref_cells = [h3.latlng_to_cell(la, lo, 7) for lo, la in ref_pts]
    ref = [60 * ref_cells.count(c) / len(ref_cells) for c in cells]
    np.testing.assert_allclose(minutes, ref, atol=0.15)
    np.testing.assert_allclose(minutes, [15, 30, 15], atol=1.0)
    assert f[VESSEL_HOURS].sum() == pytest.approx(1.0, abs=1e-12)
    assert (f[DISTINCT_VESSELS] == 1).all()


def test_time_is_conserved_and_long_segments_give_none():
    a = track("a", 0, -70.0, 20.0, 45, 12, 12, 180, step_min=6)
    b = track("b", 0, -70.2, 20.1, 200, 8, 8, 120, step_min=4)
    # Two pings 7 h apart: longer than max_segment_hours, gives no time.
    c = make_pings("c", [0, 420], [-70.5, -70.4], [20.0, 20.0], 0.0)
    pings = pd.concat([a, b, c], ignore_index=True)
    f = transit_features(pings, 8).features
    assert f[VESSEL_HOURS].sum() == pytest.approx(3.0 + 2.0, rel=1e-12)
    assert (f[VESSEL_HOURS] >= 0).all()
    # Vessel c still marks its presence at its pings.
    assert f[DISTINCT_VESSELS].max() <= 3


def test_antimeridian_segment_stays_near_the_antimeridian():
    pings = make_pings("a", [0, 60], [179.95, -179.95], [-16.0, -16.0], 6.0)
    f = transit_features(pings, 8).features
    lat, lon = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in f[CELL]]).T
    assert (np.abs(lon) > 179.8).all()
    assert f[VESSEL_HOURS].sum() == pytest.approx(1.0)
    assert len(f) >= 6  # ~10.7 km at ~0.5 km edges: several cells, not two


def test_position_jump_is_dropped_and_noted():
    a = track("a", 0, -1.1, 50.7, 0, 5, 5, 60, step_min=5)
    a.loc[6, LAT] = 20.0  # one ping 3,400 km away and back
    res = transit_features(a, 8)
    assert res.features[VESSEL_HOURS].sum() == pytest.approx(1.0)
    assert any("position jump" in n for n in res.notes)
    lat, _ = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in res.features[CELL]]).T
    assert (lat > 50).all()


# ----------------------------------------------------------------------------- events


def test_six_hour_gap_while_moving_is_one_gap_event():
    before = track("a", 0, 10.0, 40.0, 90, 10, 10, 120)
    last = before.iloc[-1]
    after = track("a", 120 + 390, float(last[LON]) + 1.0, 40.0, 90, 10, 10, 60)
    moored = pd.concat(  # a silent moored vessel is not going dark
        [
            make_pings("m", [0, 10], [11.0, 11.0], [41.0, 41.0], 0.0),
            make_pings("m", [450, 460], [11.0, 11.0], [41.0, 41.0], 0.0),
        ]
    )
    short = pd.concat(  # 5 h of silence is below the 6 h threshold
        [track("s", 0, 12.0, 40.0, 0, 10, 10, 30), track("s", 330, 12.0, 40.5, 0, 10, 10, 30)]
    )
    pings = pd.concat([before, after, moored, short], ignore_index=True)
    res = transit_features(pings, 6)
    gaps = res.events[res.events["event_type"] == "gap"]
    assert len(gaps) == 1
    g = gaps.iloc[0]
    assert g[VESSEL_ID] == "a" and g["other_vessel_id"] is None
    assert g["duration_hours"] == pytest.approx(6.5)
    assert g["start_time"] == T0 + pd.Timedelta(minutes=120)
    assert (g["start_lon"], g["start_lat"]) == pytest.approx((last[LON], last[LAT]))
    assert g["end_lon"] == pytest.approx(float(last[LON]) + 1.0)
    f = res.features.set_index(CELL)
    c0 = h3.str_to_int(h3.latlng_to_cell(g["start_lat"], g["start_lon"], 6))
    c1 = h3.str_to_int(h3.latlng_to_cell(g["end_lat"], g["end_lon"], 6))
    assert f.loc[np.uint64(c0), GAP_EVENTS] == 1 and f.loc[np.uint64(c1), GAP_EVENTS] == 1
    assert f[GAP_EVENTS].sum() == 2
    # The gap itself gives no vessel-hours (6.5 h > max_segment_hours); the 5 h one does.
    assert f[VESSEL_HOURS].sum() == pytest.approx(2 + 1 + 10 / 60 * 2 + 0.5 + 5 + 0.5)
    assert transit_features(pings, 6, gap_hours=4.0).events.shape[0] == 2


def test_five_hour_loiter_far_from_ports():
    go = track("a", 0, -5.0, 36.0, 90, 12, 12, 60)
    end = go.iloc[-1]
    rng = np.random.default_rng(1)
    mins = np.arange(70, 70 + 300 + 1e-9, 10.0)
    drift = make_pings(
        "a",
        mins,
        end[LON] + 0.001 + rng.normal(0, 2e-4, mins.size),
        end[LAT] + rng.normal(0, 2e-4, mins.size),
        0.6,
    )
    leave = track("a", 380, float(end[LON]) + 0.002, float(end[LAT]), 90, 12, 12, 60)
    short = track("b", 0, -4.0, 36.5, 0, 1.0, 1.0, 180)  # 3 h slow: not loitering
    pings = pd.concat([go, drift, leave, short], ignore_index=True)
    res = transit_features(pings, 7)
    loit = res.events[res.events["event_type"] == "loiter"]
    assert len(loit) == 1
    ev = loit.iloc[0]
    assert ev[VESSEL_ID] == "a"
    assert ev["duration_hours"] == pytest.approx(5.0)
    assert ev["start_time"] == T0 + pd.Timedelta(minutes=70)
    assert ev[LON] == pytest.approx(end[LON] + 0.001, abs=1e-3)
    assert res.features.set_index(CELL).loc[np.uint64(ev[CELL]), LOITER_EVENTS] == 1
    assert res.features[LOITER_EVENTS].sum() == 1
    # A port 3 km away suppresses it, and the no-ports note goes away.
    ports = pd.DataFrame({LON: [float(end[LON]) + 0.03], LAT: [float(end[LAT])]})
    res2 = transit_features(pings, 7, ports=ports)
    assert (res2.events["event_type"] != "loiter").all()
    assert NO_PORTS_NOTE not in res2.notes
    assert res2.features[LOITER_EVENTS].sum() == 0
    # ... but not with a 1 km port radius.
    res3 = transit_features(pings, 7, ports=ports, port_radius_km=1.0)
    assert (res3.events["event_type"] == "loiter").sum() == 1


def test_two_vessels_meeting_for_three_hours_is_one_encounter():
    lon, lat = 30.0, 33.0
    meet = np.arange(60, 60 + 180 + 1e-9, 5.0)
    a = pd.concat(
        [
            track("alpha", 0, lon - 0.15, lat, 90, 14, 14, 50),
            make_pings(
                "alpha", meet, lon + np.linspace(0, 0.002, meet.size), np.full(meet.size, lat), 1.0
            ),
            track("alpha", 250, lon + 0.003, lat, 0, 14, 14, 60),
        ]
    )
    b = pd.concat(
        [
            track("bravo", 0, lon + 0.15, lat + 0.002, 270, 14, 14, 50),
            make_pings(
                "bravo",
                meet + 2.5,
                lon + np.linspace(0, 0.002, meet.size),
                np.full(meet.size, lat + 0.0025),
                1.5,
            ),
            track("bravo", 255, lon - 0.003, lat, 180, 14, 14, 60),
        ]
    )
    # A third vessel loiters 5 km away at the same time: no encounter with it.
    c = make_pings("charlie", meet, np.full(meet.size, lon + 0.06), np.full(meet.size, lat), 0.5)
    pings = pd.concat([b, a, c], ignore_index=True)  # unsorted vessels on purpose
    res = transit_features(pings, 7)
    enc = res.events[res.events["event_type"] == "encounter"]
    assert len(enc) == 1
    e = enc.iloc[0]
    assert (e[VESSEL_ID], e["other_vessel_id"]) == ("alpha", "bravo")
    assert e["duration_hours"] == pytest.approx(3.0, abs=10 / 60 + 1e-9)
    assert abs((e["start_time"] - (T0 + pd.Timedelta(minutes=60))).total_seconds()) <= 600
    # placed at one vessel's position (the one nearest the pair's mean), not between them
    assert min(abs(e[LAT] - lat), abs(e[LAT] - (lat + 0.0025))) < 1e-6
    assert 30.0 <= e[LON] <= 30.002
    assert res.features[ENCOUNTER_EVENTS].sum() == 1
    # The same meeting with a 200 m threshold (they are ~280 m apart) is not an encounter.
    res2 = transit_features(pings, 7, encounter_distance_m=200.0)
    assert (res2.events["event_type"] != "encounter").all()
    # Nor when required to last 4 h.
    res3 = transit_features(pings, 7, encounter_hours=4.0)
    assert (res3.events["event_type"] != "encounter").all()


def test_events_lie_in_cells_the_vessels_reached():
    """A curved loiter's mean, and the point between two meeting vessels, can fall in a cell
    no track crosses (res 11 cells are ~30 m across): each event goes to a position a vessel
    was at, so its cell has time and a vessel in the feature table."""
    lon, lat = 30.0, 33.0
    mins = np.arange(0, 300 + 1e-9, 5.0)
    ang = np.linspace(0, np.pi, mins.size)  # a half circle of 300 m radius, drifting slowly
    arc = make_pings("arc", mins, lon + 0.0032 * np.cos(ang), lat + 0.0027 * np.sin(ang), 0.5)
    a = make_pings("alpha", mins, np.full(mins.size, lon + 0.1), np.full(mins.size, lat), 0.5)
    b = make_pings(
        "bravo", mins, np.full(mins.size, lon + 0.1), np.full(mins.size, lat + 0.0025), 0.5
    )
    pings = pd.concat([arc, a, b], ignore_index=True)
    res = transit_features(pings, 11, encounter_hours=2.0)
    ev = res.events.set_index("event_type")
    loit, enc = ev.loc[["loiter"]], ev.loc[["encounter"]]
    assert sorted(loit[VESSEL_ID]) == ["alpha", "arc", "bravo"]
    arc_ev = loit[loit[VESSEL_ID] == "arc"].iloc[0]
    assert len(enc) == 1
    # the mean of the arc and the middle of the pair are cells nobody visited
    mid_arc = points_to_cells(np.array([lon]), np.array([lat + 0.0027 * 2 / np.pi]), 11)
    mid_pair = points_to_cells(np.array([lon + 0.1]), np.array([lat + 0.00125]), 11)
    f = res.features.set_index(CELL)
    assert np.uint64(mid_arc[0]) not in f.index and np.uint64(mid_pair[0]) not in f.index
    for e in (arc_ev, enc.iloc[0]):
        row = f.loc[np.uint64(e[CELL])]
        assert row[DISTINCT_VESSELS] >= 1 and row[VESSEL_HOURS] > 0
    assert (pings[LON] == arc_ev[LON]).any() and (pings[LAT] == arc_ev[LAT]).any()
    assert min(abs(enc.iloc[0][LAT] - lat), abs(enc.iloc[0][LAT] - lat - 0.0025)) < 1e-9


def test_events_sorted_and_cells_consistent():
    pings = pd.concat(
        [
            track("z", 0, 1.0, 1.0, 90, 10, 10, 60),
            track("z", 500, 1.5, 1.0, 90, 10, 10, 60),
            track("y", 0, 2.0, 1.0, 90, 10, 10, 60),
            track("y", 430, 2.5, 1.0, 90, 10, 10, 60),
        ],
        ignore_index=True,
    )
    ev = transit_features(pings, 5).events
    assert list(ev[VESSEL_ID]) == ["y", "z"]
    assert ev["start_time"].is_monotonic_increasing
    expect = [
        h3.str_to_int(h3.latlng_to_cell(la, lo, 5)) for lo, la in zip(ev[LON], ev[LAT], strict=True)
    ]
    assert list(ev[CELL]) == expect


# ----------------------------------------------------------------------------- errors


def test_naive_times_are_rejected():
    pings = track("a", 0, 0, 0, 0, 5, 5, 30)
    pings[TIME] = pings[TIME].dt.tz_localize(None)
    with pytest.raises(InputError, match="timezone-aware"):
        transit_features(pings, 7)


def test_missing_column_is_rejected():
    with pytest.raises(InputError, match="lat"):
        transit_features(track("a", 0, 0, 0, 0, 5, 5, 30).drop(columns=[LAT]), 7)


@pytest.mark.parametrize("param", ["gap_hours", "loiter_hours", "encounter_distance_m"])
def test_bad_parameters_are_rejected(param):
    with pytest.raises(ConfigError, match=param):
        transit_features(track("a", 0, 0, 0, 0, 5, 5, 30), 7, **{param: -1.0})


def test_bad_resolution_is_rejected():
    with pytest.raises(ConfigError, match="16"):
        transit_features(track("a", 0, 0, 0, 0, 5, 5, 30), 16)


# ----------------------------------------------------------------------------- real AIS


def test_solent_real_ais(shared_data):
    raw = pd.read_csv(shared_data / "tracks" / "SolentAIS_20160112_130211.csv")
    pings = pd.DataFrame(
        {
            VESSEL_ID: raw["MMSI"].astype(str),
            TIME: pd.to_datetime(raw["Time"], utc=True),
            LON: raw["Longitude_degrees"],
            LAT: raw["Latitude_degrees"],
            SOG: raw["SOG_knots"].astype(float),
            COG: raw["COG_degrees"].astype(float),
        }
    ).sort_values([VESSEL_ID, TIME], kind="stable", ignore_index=True)
    res = transit_features(pings, 9, loiter_hours=1.0, encounter_hours=1.0)
    f = res.features
    # The ~3,900 km jump is dropped by the max-speed guard, so every cell is in the Solent.
    assert any("position jump" in n for n in res.notes)
    lat, lon = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in f[CELL]]).T
    assert lat.min() > 50.3 and lat.max() < 51.2 and lon.min() > -2.0 and lon.max() < -0.5
    # Time is conserved: the sum over cells equals the sum of the kept segment durations.
    clean = pings[pings[LAT] > 45].drop_duplicates([VESSEL_ID, TIME])
    dt = clean.groupby(VESSEL_ID)[TIME].diff().dt.total_seconds() / 3600
    assert f[VESSEL_HOURS].sum() == pytest.approx(dt.sum(), rel=1e-3)
    assert f[DISTINCT_VESSELS].max() <= pings[VESSEL_ID].nunique()
    assert f[GAP_EVENTS].sum() == 0  # an 84-minute file holds no 6 h gap
    # Moored vessels in the 84 minutes: loitering for >= 1 h, and moored pairs meeting.
    kinds = res.events["event_type"].value_counts().to_dict()
    assert kinds.get("loiter", 0) >= 5
    assert f[LOITER_EVENTS].sum() == kinds.get("loiter", 0)
    assert f[ENCOUNTER_EVENTS].sum() == kinds.get("encounter", 0)


# ----------------------------------------------------------------------------- invariants


@settings(max_examples=examples(25), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-179.0, 179.0),
            st.floats(-70.0, 70.0),
            st.lists(
                st.tuples(st.floats(0.5, 500.0), st.floats(0.0, 25.0), st.floats(0.0, 360.0)),
                min_size=1,
                max_size=12,
            ),
        ),
        min_size=1,
        max_size=3,
    ),
    st.integers(4, 9),
)
# one segment over many res-8 cells: their rounding adds up past 1e-9 h
@example(vessels=[(0.0, 0.0, [(57.0, 12.0, 0.0)])], resolution=8)
# a loiter bending at its end: its mean lies off the track
@example(
    vessels=[(0.0, 0.0, [(1.0, 0.0, 0.0), (1.0, 0.0, 0.0), (25.0, 1.0, 0.0), (213.0, 1.0, 13.0)])],
    resolution=9,
)
def test_time_is_conserved_for_random_tracks(vessels, resolution):
    frames, expected, blocks = [], 0.0, 0
    for k, (lon0, lat0, steps) in enumerate(vessels):
        minutes = np.r_[0.0, np.cumsum([s[0] for s in steps])]
        speed = np.r_[0.0, [s[1] for s in steps]]
        az = np.r_[0.0, [s[2] for s in steps]]
        lon, lat = [lon0], [lat0]
        for i in range(1, minutes.size):
            dist = speed[i] * 1852 * (minutes[i] - minutes[i - 1]) / 60
            x, y, _ = GEOD.fwd(lon[-1], lat[-1], az[i], dist)
            lon.append(x), lat.append(y)
        frames.append(make_pings(f"v{k}", minutes, lon, lat, speed))
        # the durations of the pings' own (nanosecond) times: a step of 360 minutes drawn as
        # floats may sum to 359.99999 minutes, yet the pings are exactly 6 h apart
        ns = frames[-1]["time"].to_numpy(dtype="datetime64[ns]").view("int64")
        dt_h = np.diff(ns) / 3.6e12
        expected += dt_h[dt_h <= 6.0].sum()
        blocks += np.unique(ns // (86_400 * 10**9)).size
    f = transit_features(pd.concat(frames, ignore_index=True), resolution).features
    # each (vessel-day, cell) time is rounded once to 2**-32 h: at most half a unit a row
    rounding = len(f) * blocks * 2.0**-33
    assert f[VESSEL_HOURS].sum() == pytest.approx(expected, rel=1e-9, abs=1e-9 + rounding)
    assert (f[VESSEL_HOURS] >= 0).all()
    assert (f[DISTINCT_VESSELS] <= len(vessels)).all() and (f[DISTINCT_VESSELS] >= 1).all()
    assert f[CELL].is_monotonic_increasing


def test_empty_and_single_ping_inputs():
    from pipeline.schema import empty_pings

    res = transit_features(empty_pings(), 7)
    assert res.features.empty and tuple(res.features.columns) == FEATURE_COLUMNS
    assert res.events.empty and tuple(res.events.columns) == EVENT_COLUMNS
    one = make_pings("a", [0], [1.0], [2.0], np.nan)
    f = transit_features(one, 7).features
    assert len(f) == 1 and f[DISTINCT_VESSELS].iloc[0] == 1 and f[VESSEL_HOURS].iloc[0] == 0


def test_chunking_does_not_change_results(monkeypatch):
    import pipeline.transit as transit

    pings = pd.concat(
        [
            track("a", 0, 3.0, 42.0, 80, 11, 11, 240, step_min=3),
            track("b", 0, 3.1, 42.1, 10, 0.5, 0.5, 300, step_min=5),
            track("c", 0, 3.1, 42.1 + 0.002, 10, 0.5, 0.5, 300, step_min=5),
            track("d", 400, 3.2, 42.2, 200, 9, 9, 60, step_min=2),
        ],
        ignore_index=True,
    )
    whole = transit_features(pings, 8)
    monkeypatch.setattr(transit, "_CHUNK_PINGS", 40)
    chunked = transit_features(pings, 8)
    pd.testing.assert_frame_equal(chunked.features, whole.features, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(chunked.events, whole.events)
    assert set(whole.events["event_type"]) == {"loiter", "encounter"}


def test_gap_with_unknown_sog_uses_the_speed_before_it():
    moving = pd.concat(
        [
            track("a", 0, 20.0, 35.0, 90, 12, np.nan, 60),
            track("a", 500, 20.5, 35.0, 90, 12, np.nan, 30),
        ]
    )
    moored = pd.concat(
        [
            make_pings("m", [0, 10, 20], [21.0] * 3, [35.0] * 3, np.nan),
            make_pings("m", [500, 510], [21.0] * 2, [35.0] * 2, np.nan),
        ]
    )
    ev = transit_features(pd.concat([moving, moored], ignore_index=True), 6).events
    assert list(ev["event_type"]) == ["gap"] and list(ev[VESSEL_ID]) == ["a"]


def _store_of(pings: pd.DataFrame, folder, n_buckets: int, chunk_rows: int):
    """The pings as a run's spill on disk (:class:`PingStore`) read ``chunk_rows`` at a time."""
    from pipeline.ingest.stream import PingStore, spill_tracks

    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "ais.csv"
    out = pings.assign(time=pings[TIME].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    out.drop(columns=[COG]).to_csv(csv, index=False)
    spill = spill_tracks(csv, folder / "spill", chunk_rows=97, n_buckets=n_buckets)
    return PingStore([spill], chunk_rows=chunk_rows)


def test_partitions_and_memo_give_the_same_bits(tmp_path, monkeypatch, caplog):
    """Per-cell totals are exact integer sums: any partitioning, with or without a memo of the
    day blocks, publishes the same bits, and the hours are whole units of 2**-32 h.  Grid
    points of slow vessels spilled and paired a few at a time give the same encounters."""
    import pipeline.transit as transit
    from pipeline.runner.cache import StageCache

    pings = pd.concat(
        [
            *(
                track(f"v{k}", 37 * k, 3.0 + 0.05 * k, 42.0, 30 * k, 4 + k, 4 + k, 1900, step_min=7)
                for k in range(9)
            ),
            track("s1", 1300, 3.2, 42.2, 90, 0.5, 0.5, 400, step_min=5),
            track("s2", 1300, 3.2, 42.2 + 0.002, 90, 0.5, 0.5, 400, step_min=5),
        ],
        ignore_index=True,
    )
    ref = transit_features(pings, 7)
    assert ref.features[ENCOUNTER_EVENTS].sum() == 1
    monkeypatch.setattr(transit, "_PAIR_BLOCK_POINTS", 5)
    import logging
    import re

    cache = StageCache(tmp_path / "cache")
    caplog.set_level(logging.INFO, logger="pipeline.transit")
    for n_buckets, chunk_rows in [(1, 10**6), (5, 60), (11, 1)]:
        store = _store_of(pings, tmp_path / f"{n_buckets}-{chunk_rows}", n_buckets, chunk_rows)
        assert len(store.bucket_groups(chunk_rows)) == min(n_buckets, len(store.files))
        # a memo left by the earlier partitioning (its shards hold other vessel groups)
        for memo in (None, cache.memo("hours", [1], sharded=True)):
            got = transit_features(store, 7, memo=memo)
            pd.testing.assert_frame_equal(got.features, ref.features, check_exact=True)
            pd.testing.assert_frame_equal(got.events, ref.events, check_exact=True)
    assert len(list((tmp_path / "cache").glob("*.shards"))) == 1  # earlier shards removed
    took = re.findall(r"time of (\d+) vessel-day block\(s\) from the memo, (\d+)", caplog.text)
    assert [int(b) for _, b in took] == [int(took[0][1]), 0, 0] and int(took[0][1]) > 20
    assert all(int(a) == int(took[0][1]) for a, _ in took[1:])  # all from other partitions' shards
    hours = ref.features[VESSEL_HOURS].to_numpy()
    assert hours.sum() > 100 and (hours * 2**32 == np.round(hours * 2**32)).all()
    assert ref.features[DISTINCT_VESSELS].max() >= 2


def test_a_cell_beyond_the_fixed_point_range_is_refused(monkeypatch):
    import pipeline.transit as transit

    monkeypatch.setattr(transit, "_MAX_CELL_HOURS", 0.5)
    pings = make_pings("a", [0, 60], [3.0, 3.0001], [42.0, 42.0], 0.1)
    with pytest.raises(InputError, match=r"a cell totals 1\.0 vessel-hours, more than the 0\.5"):
        transit_features(pings, 5)


def test_slow_pings_far_apart_are_no_stay_and_a_stuck_sog_no_meeting():
    """Found by a sweep: two 2 h drifts 50 nm apart (the vessel dark in between) were one
    9 h loiter; a convoy at 12 kn whose SOG was stuck at 0 loitered and met for 6 h."""
    mins = np.arange(0, 121, 30.0)
    lon_b = -5.0 + 50 / 60 / np.cos(np.radians(36.0))
    dark = pd.concat(
        [
            make_pings("a", mins, np.full(mins.size, -5.0), np.full(mins.size, 36.0), 0.5),
            make_pings("a", mins + 420, np.full(mins.size, lon_b), np.full(mins.size, 36.0), 0.5),
        ]
    )
    hours = np.arange(0, 7) * 60.0
    step = 12 / 60 / np.cos(np.radians(36.0))  # 12 kn east, one ping an hour
    convoy = pd.concat(
        [
            make_pings(v, hours, -4.0 + step * np.arange(7), np.full(7, lat), 0.0)
            for v, lat in (("b", 36.5), ("c", 36.5027))
        ]
    )
    for pings in (dark, convoy):
        res = transit_features(pings.reset_index(drop=True), 6)
        assert not len(res.events[res.events["event_type"].isin(["loiter", "encounter"])])
    # the same pings standing still are a stay and a meeting
    still = convoy.assign(**{LON: np.where(convoy[VESSEL_ID] == "b", -4.0, -4.0005)})
    kinds = transit_features(still.reset_index(drop=True), 6).events["event_type"].tolist()
    assert sorted(kinds) == ["encounter", "loiter", "loiter"]


def test_a_phone_logging_every_second_at_anchor_loiters_and_a_moving_one_does_not():
    """Found by a sweep: 3 m of GPS noise at 1 Hz is ~10 kn between consecutive fixes, so a
    GPX track without SOG never loitered or met; the speed is now read over a minute."""
    rng = np.random.default_rng(1)
    secs = np.arange(5 * 3600) / 60.0  # minutes, one fix a second
    noise = rng.normal(0, 3 / 111_320, (4, secs.size))
    anchored = pd.concat(
        [
            make_pings(v, secs, lon + noise[k], 36.0 + noise[k + 2], np.nan)
            for k, (v, lon) in enumerate((("a", -5.0), ("b", -5.0006)))
        ]
    )
    kinds = transit_features(anchored.reset_index(drop=True), 6).events["event_type"]
    assert sorted(kinds) == ["encounter", "loiter", "loiter"]
    # the same noise on a boat under way at 8 kn: no loiter
    under_way = anchored[anchored[VESSEL_ID] == "a"].copy()
    under_way[LON] += 8 * 1.852 / 111.32 / np.cos(np.radians(36.0)) * secs / 60.0
    assert not len(transit_features(under_way.reset_index(drop=True), 6).events)


def test_positions_after_until_are_left_out_and_counted(tmp_path):
    """Found by a sweep: a run as of a past day used the later positions (and their events)."""
    a = track("a", 0, -5.0, 36.0, 90, 10, 10, 600)  # 10 h
    b = track("b", 120, -4.0, 36.5, 0, 0.5, 0.5, 600)
    pings = pd.concat([a, b], ignore_index=True).sort_values([VESSEL_ID, TIME], kind="stable")
    pings = pings.reset_index(drop=True)
    until = T0 + pd.Timedelta(hours=5)
    cut = transit_features(pings, 7, until=until)
    ref = transit_features(pings[pings[TIME] <= until].reset_index(drop=True), 7)
    pd.testing.assert_frame_equal(cut.features, ref.features)
    pd.testing.assert_frame_equal(cut.events, ref.events)
    later = int((pings[TIME] > until).sum())
    assert any(f"{later} position(s) after as_of" in n for n in cut.notes)
    assert not any("after as_of" in n for n in ref.notes)
    naive = transit_features(pings, 7, until=until.tz_convert(None))  # naive: taken as UTC
    pd.testing.assert_frame_equal(naive.features, ref.features)
    # pings on disk (a run's spill), read a partition at a time: the same
    store = transit_features(_store_of(pings, tmp_path, 3, 50), 7, until=until)
    pd.testing.assert_frame_equal(store.features, ref.features)
    pd.testing.assert_frame_equal(store.events, ref.events)


def test_vessel_codes_of_a_partition_follow_ids_in_any_order():
    """Codes by the run's sorted ids (a store's partition) are those of the ids, whether
    a vessel's pings come in one run (a sorted bucket file) or in several (files one after
    another)."""
    import numpy as np

    from pipeline.transit import _prepare

    rng = np.random.default_rng(3)
    names = np.array(["a", "b", "c", "d"], dtype=object)
    vid = rng.choice(names[1:], 60)
    pings = pd.DataFrame(
        {
            "vessel_id": vid,
            "time": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(60), "h"),
            "lon": 0.0,
            "lat": 0.0,
        }
    )
    tr = _prepare(pings, 60.0, names)
    assert sorted(names[tr.code].tolist()) == sorted(vid.tolist())
    assert (np.diff(tr.code) >= 0).all() and tr.code.min() >= 1
