"""Tests a second mutation review of :mod:`pipeline.transit` found missing.

Each test kills a small, plausible bug that left every other test passing (which end of an
event decides whether it is near a port, the unit of the port radius, where an encounter is
placed, how a segment over the antimeridian is followed), checked against independent values
on tiny hand-built tracks: :func:`pipeline.sphere.haversine_km` and h3 itself.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from pipeline.schema import CELL, GAP_EVENTS, LAT, LON, SOG, TIME, VESSEL_HOURS, VESSEL_ID
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
        (enc,) = of_kind(res, "encounter").itertuples(index=False)
        assert haversine_km(enc.lon, enc.lat, lon, port_lat) > 10


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


# ----------------------------------------------------------------------------- antimeridian


def test_time_of_a_segment_over_the_antimeridian_stays_near_it():
    """A vessel going east at ~12 kn from 179.9 E to 179.9 W in an hour (22 km across the
    antimeridian) spends that hour in the cells along its 22 km: every cell given time is
    within a cell's reach of the segment (its end points' haversine distance), none half a
    world away on a path through longitude 0."""
    p = pings("a", [0, 60], [179.9, -179.9], 0.0, 12.0)
    res = transit_features(p, 7)
    hours = res.features.set_index(CELL)[VESSEL_HOURS]
    assert hours.sum() == pytest.approx(1.0, abs=1e-9)
    km = haversine_km(179.9, 0.0, -179.9, 0.0)
    assert 22 < km < 23
    reach = km / 2 + 2 * h3.average_hexagon_edge_length(7, unit="km")
    for c in hours.index[hours > 0]:
        clat, clon = h3.cell_to_latlng(h3.int_to_str(int(c)))
        assert haversine_km(clon, clat, 180.0, 0.0) < reach


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
