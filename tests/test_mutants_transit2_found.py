"""Tests a second mutation review of :mod:`pipeline.transit` found missing.

Each test kills a small, plausible bug that left every other test passing (which point of an
event decides whether it is near a port, the unit of the port radius, where an encounter is
placed, which ids of one ship meet another, a speed exactly at the limit), checked against
independent values on tiny hand-built tracks: :func:`pipeline.sphere.haversine_km`, h3.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
from _handpings import KM_PER_DEG, T0, cell_of, pings

from pipeline.schema import CELL, GAP_EVENTS, LAT, LON, VESSEL_HOURS, VESSEL_ID
from pipeline.sphere import haversine_km
from pipeline.transit import transit_features


def of_kind(res, kind) -> pd.DataFrame:
    return res.events[res.events["event_type"] == kind].reset_index(drop=True)


def drift_north(vessel, lon, lat0, minutes, kn=1.0):
    """Pings every 10 minutes over ``minutes`` of a vessel drifting north at ``kn``."""
    mins = np.arange(0.0, minutes + 1e-9, 10.0)
    return pings(vessel, mins, lon, lat0 + kn * 1.852 * mins / 60 / KM_PER_DEG, kn)


# ----------------------------------------------------------------------------- ports


@pytest.mark.parametrize(
    ("start_km", "kept"),
    [(9.0, True), (5.0, False)],
    ids=["starts-inside-centre-outside", "ends-outside-centre-inside"],
)
def test_loiters_and_encounters_are_near_a_port_by_where_they_are_placed(start_km, kept):
    """An event is away from ports by where it is placed (its central position), not where it
    starts or ends: two vessels 300 m apart drifting north at 1 kn for 5 h (9.26 km) from 9 km
    north of a port are centred ~13.5 km off (two loiters and an encounter); from 5 km,
    centred ~9.5 km off though they end ~14.3 km off (no event)."""
    lon, port_lat = 20.0, 10.0
    lat0 = port_lat + start_km / KM_PER_DEG
    off = 0.3 / (KM_PER_DEG * np.cos(np.radians(lat0)))
    a = drift_north("a", lon, lat0, 300)
    b = drift_north("b", lon + off, lat0, 300)
    port = pd.DataFrame({LON: [lon], LAT: [port_lat]})
    mid = a.iloc[len(a) // 2]
    d_start = haversine_km(lon, port_lat, lon, a[LAT].iloc[0])
    d_mid = haversine_km(lon, port_lat, lon, mid[LAT])
    d_end = haversine_km(lon, port_lat, lon, a[LAT].iloc[-1])
    assert d_start < 10 and (d_mid > 10.3) == kept and (d_mid < 9.7) != kept and d_end > 10
    res = transit_features(pd.concat([a, b], ignore_index=True), 7, ports=port)
    expect = ["encounter", "loiter", "loiter"] if kept else []
    assert sorted(res.events["event_type"]) == expect
    if kept:
        loit = of_kind(res, "loiter").set_index(VESSEL_ID)
        assert (loit.loc["a", LON], loit.loc["a", LAT]) == (mid[LON], mid[LAT])
        first, last = a.iloc[0], a.iloc[-1]
        assert (loit.loc["a", "start_lon"], loit.loc["a", "start_lat"]) == (lon, first[LAT])
        assert (loit.loc["a", "end_lon"], loit.loc["a", "end_lat"]) == (lon, last[LAT])
        (enc,) = of_kind(res, "encounter").itertuples(index=False)
        assert haversine_km(enc.lon, enc.lat, lon, port_lat) > 10
        # its ends are the first vessel's (a's) positions at its first and last grid times
        ends = [enc.start_lon, enc.start_lat, enc.end_lon, enc.end_lat]
        assert ends == pytest.approx([lon, a[LAT].iloc[0], lon, a[LAT].iloc[-2]], abs=1e-9)


@pytest.mark.parametrize(("off_km", "kept"), [(2005.0, True), (1995.0, False)], ids=["out", "in"])
def test_the_port_radius_is_a_distance_along_the_earth(off_km, kept):
    """``port_radius_km`` is a great-circle distance, like every distance here: with a
    2,000 km radius, events 2,005 km from the port (along its meridian: haversine) are away
    from it, events 1,995 km off are not (a straight-line chord of 2,000 km reaches ~2,009
    km along the surface)."""
    lon, lat = 20.0, 40.0
    port = pd.DataFrame({LON: [lon], LAT: [lat - off_km / KM_PER_DEG]})
    assert haversine_km(lon, lat, lon, port[LAT].iloc[0]) == pytest.approx(off_km)
    mins = np.arange(0, 300 + 1e-9, 10.0)
    both = pd.concat(
        [pings("a", mins, lon, lat, 0.0), pings("b", mins, lon, lat + 0.3 / KM_PER_DEG, 0.0)],
        ignore_index=True,
    )
    res = transit_features(both, 5, ports=port, port_radius_km=2000.0)
    expect = ["encounter", "loiter", "loiter"] if kept else []
    assert sorted(res.events["event_type"]) == expect


def test_a_port_radius_of_zero_that_the_config_accepts_is_accepted_here():
    """``transit.port_radius_km: 0`` is a valid config (>= 0); the transit pass run with it
    must not then refuse it (a ConfigError after ingest): with radius 0 the loiter 3 km from
    the port is away from it, as without ports; a negative radius is still refused."""
    from pipeline.config import TransitConfig
    from pipeline.errors import ConfigError

    assert TransitConfig(port_radius_km=0).port_radius_km == 0
    lon, lat = 20.0, 10.0
    run = pings("a", np.arange(0, 300 + 1e-9, 10.0), lon, lat, 0.0)
    port = pd.DataFrame({LON: [lon], LAT: [lat - 3.0 / KM_PER_DEG]})
    assert of_kind(transit_features(run, 7, ports=port), "loiter").empty
    res = transit_features(run, 7, ports=port, port_radius_km=0)
    assert of_kind(res, "loiter")["duration_hours"].tolist() == [5.0]
    with pytest.raises(ConfigError, match="port_radius_km"):
        transit_features(run, 7, ports=port, port_radius_km=-1.0)


# ----------------------------------------------------------------------------- encounters


def test_an_encounter_of_two_drifting_vessels_is_placed_at_its_middle():
    """Two vessels 300 m apart drift north together at 1 kn for 4 h 10 min (7.7 km, several
    res-7 cells): the encounter lies at a position of either vessel nearest the pair's mean,
    the middle grid time (02:00) of its 25, in that position's cell, not at its start."""
    off = 0.3 / (KM_PER_DEG * np.cos(np.radians(10.0)))
    a = drift_north("a", 20.0, 10.0, 250)
    b = drift_north("b", 20.0 + off, 10.0, 250)
    res = transit_features(pd.concat([a, b], ignore_index=True), 7)
    (enc,) = of_kind(res, "encounter").itertuples(index=False)
    assert enc.start_time == T0 and enc.duration_hours == pytest.approx(250 / 60)
    mid_lat = float(a[LAT].iloc[12])  # 02:00, both vessels' latitude then
    assert enc.lat == pytest.approx(mid_lat, abs=1e-9)
    assert enc.lon in (pytest.approx(20.0, abs=1e-9), pytest.approx(20.0 + off, abs=1e-9))
    assert enc.cell == cell_of(enc.lon, mid_lat, 7)
    assert cell_of(20.0, 10.0, 7) != enc.cell  # where it started is another cell


def test_one_grid_time_apart_splits_an_encounter():
    """An encounter is a run of *consecutive* grid times within the distance: a waits; b lies
    300 m off it but is 1 km off at 02:00 alone (the 700 m there and back in 10 min are
    ~2.3 kn, a plausible stay); two encounters, 00:00-02:00 and 02:10-04:20, not one."""
    lon, lat = 20.0, 10.0
    mins = np.arange(0, 260 + 1e-9, 10.0)
    a = pings("a", mins, lon, lat, 0.0)
    b = pings("b", mins, lon, lat + np.where(mins == 120, 1.0, 0.3) / KM_PER_DEG, 0.0)
    assert 1000 * haversine_km(lon, lat, lon, lat + 1.0 / KM_PER_DEG) > 500
    enc = of_kind(transit_features(pd.concat([a, b], ignore_index=True), 7), "encounter")
    assert enc["start_time"].tolist() == [T0, T0 + pd.Timedelta(minutes=130)]
    assert enc["duration_hours"].tolist() == [2.0, pytest.approx(13 / 6)]


def test_an_encounter_is_placed_at_whichever_vessel_is_nearest_the_pairs_mean():
    """a circles b at 300 m (a full turn in 3 h, 0.3 kn) while b lies at anchor: the pair's
    mean is b's position, so the encounter lies there (b's position, b's cell), not on a's
    circle."""
    lon, lat = 20.0, 10.0
    mins = np.arange(0, 180 + 1e-9, 10.0)
    ang = 2 * np.pi * mins / 180
    r_deg = 0.3 / KM_PER_DEG
    a = pings("a", mins, lon + r_deg * np.cos(ang) / np.cos(np.radians(lat)), lat, 0.3)
    a[LAT] = lat + r_deg * np.sin(ang)
    b = pings("b", mins, lon, lat, 0.0)
    assert np.allclose(haversine_km(a[LON], a[LAT], lon, lat), 0.3, rtol=1e-3)
    (enc,) = of_kind(transit_features(pd.concat([a, b], ignore_index=True), 8), "encounter")[
        [VESSEL_ID, "other_vessel_id", LON, LAT, CELL, "duration_hours"]
    ].itertuples(index=False)
    assert (enc[0], enc[1], enc[5]) == ("a", "b", 3.0)
    assert (enc[2], enc[3]) == (lon, lat)
    assert enc[4] == cell_of(lon, lat, 8)


def one_ship(*ids: str) -> pd.DataFrame:
    """Identity rows giving ``ids`` one valid IMO number (9074729: its check digit holds)."""
    return pd.DataFrame(
        {"vessel_id": list(ids), "kind": "imo", "key": "9074729", "n": np.full(len(ids), 10)}
    )


def test_a_ship_meeting_both_ids_of_another_is_one_encounter_whatever_the_ids_order():
    """Ids "a" and "z" are one ship at anchor; "m" lies 300 m off it for 3 h.  The pairs are
    (a, m) and (m, z), the ship's id first in one and second in the other: still one
    ship meeting one ship, one encounter of 3 h."""
    lon, lat = 20.0, 10.0
    mins = np.arange(0, 180 + 1e-9, 10.0)
    frames = [
        pings("a", mins, lon, lat, 0.0),
        pings("z", mins, lon + 1e-5, lat, 0.0),
        pings("m", mins, lon, lat + 0.3 / KM_PER_DEG, 0.0),
    ]
    both = pd.concat(frames, ignore_index=True)
    assert len(of_kind(transit_features(both, 7), "encounter")) == 3  # without identities
    res = transit_features(both, 7, vessel_identity=one_ship("a", "z"))
    enc = of_kind(res, "encounter")
    assert len(enc) == 1 and enc["duration_hours"].tolist() == [3.0]
    assert {enc[VESSEL_ID].iloc[0], enc["other_vessel_id"].iloc[0]} in ({"a", "m"}, {"m", "z"})


# ----------------------------------------------------------------------------- time


def test_a_segment_exactly_at_max_speed_gives_its_time():
    """Only segments *faster* than ``max_speed_kn`` give no time: half a degree along the
    equator in an hour (haversine: ~30.02 kn) gives its hour with that very speed as the
    limit, and none with a limit a hair below it."""
    p = pings("a", [0, 60], [0.0, 0.5], 0.0, 5.0)
    kn = float(haversine_km(0.0, 0.0, 0.5, 0.0)) / 1.852
    assert 30 < kn < 30.1
    at = transit_features(p, 5, max_speed_kn=kn).features[VESSEL_HOURS].sum()
    assert at == pytest.approx(1.0, abs=1e-9)
    below = transit_features(p, 5, max_speed_kn=float(np.nextafter(kn, 0)))
    assert below.features[VESSEL_HOURS].sum() == 0


# ----------------------------------------------------------------------------- gaps


def test_a_silence_running_past_as_of_is_no_gap_yet():
    """A map as of a day sees no gap whose end is after it: a vessel at 10 kn goes dark at
    00:20 and reappears 60 km east at 07:20; as of 07:00 there is no gap (nor its end cell), as of
    07:20 there is one."""
    before = pings("a", [0, 10, 20], [4.96, 4.98, 5.0], 43.0, 10.0)
    after = pings("a", [440, 450], [5.74, 5.76], 43.0, 10.0)
    both = pd.concat([before, after], ignore_index=True)
    early = transit_features(both, 7, until=T0 + pd.Timedelta(hours=7))
    assert of_kind(early, "gap").empty and early.features[GAP_EVENTS].sum() == 0
    late = transit_features(both, 7, until=T0 + pd.Timedelta(minutes=440))
    assert len(of_kind(late, "gap")) == 1


# ----------------------------------------------------------------------------- smoothing


def test_smoothed_loiter_counts_are_centred_where_the_loiter_is_placed():
    """With ``smooth_events_km`` a loiter's count is spread around where it is placed (its
    central ping), not where it began: a 9 km drift north smoothed over 8 km peaks (per km2)
    in the central ping's cell (h3), ~4.6 km from the start, and adds up to about one event; every
    cell the kernel reaches is observed, though ``coverage_km`` (0.5) alone covers less."""
    import pipeline.builtin_factors  # noqa: F401  (registers the transit factors)
    from pipeline.builtin_factors import TransitOptions
    from pipeline.factors import FactorContext, default_registry

    run = drift_north("a", 20.0, 10.0, 300)
    mid = run.iloc[len(run) // 2]
    centre, start = cell_of(mid[LON], mid[LAT], 7), cell_of(20.0, 10.0, 7)
    assert haversine_km(20.0, 10.0, mid[LON], mid[LAT]) > 4.5
    cells = np.array(sorted(h3.str_to_int(c) for c in h3.grid_disk(h3.int_to_str(int(centre)), 12)))
    ctx = FactorContext(
        cells=cells.astype("uint64"),
        resolution=7,
        as_of=T0 + pd.Timedelta(days=1),
        seizures=pd.DataFrame(),
        pings=run,
        options=TransitOptions(smooth_events_km=8.0, coverage_km=0.5),
    )
    got = default_registry._factors["loiter_events"](ctx)
    values = np.asarray(got.values, dtype="float64")
    covered = np.asarray(got.covered, dtype=bool)
    lat_c, lon_c = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in cells]).T
    reach = haversine_km(lon_c, lat_c, mid[LON], mid[LAT]) < 7.5  # inside the kernel's 8 km
    assert reach.sum() > 30 and haversine_km(lon_c, lat_c, 20.0, 10.0)[reach].max() > 5
    # every cell the kernel reaches is observed (coverage_km 0.5 alone reaches ~2 rings)
    assert covered[reach].all() and (values[reach] > 0).all() and not covered.all()
    area = np.array([h3.cell_area(h3.int_to_str(int(c)), unit="km^2") for c in cells])
    assert cells[int(np.nanargmax(values / area))] == centre != start  # the kernel's peak
    assert np.nansum(values) == pytest.approx(1.0, abs=0.02)
