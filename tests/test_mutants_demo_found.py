"""Tests that a mutation review of the demo generator (``pipeline/demo.py``) found missing.

Each test pins a promise of the demo (its module docstring, :func:`generate_demo`'s
docstring, ``route-risk demo --help``) that a small hand-made bug broke with every other test
still passing, or that held for the test fixtures' seed only.  Expected values come from the
promise and from independent references (shapely on the generator's own coastline
polygons, hand-counted calendar days, pandas reading the written files), never from the
code under test.  The generator's stages are called at small sizes where a whole demo is
not needed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import demo
from pipeline.errors import ConfigError

LAND = shapely.union_all([shapely.Polygon(p) for p in demo._LAND.values()])
EARTH_KM = 6371.0088


def _km(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))


def _port_km(lon, lat) -> np.ndarray:
    plon = np.array([p[1] for p in demo._PORTS])
    plat = np.array([p[2] for p in demo._PORTS])
    return _km(np.asarray(lon)[:, None], np.asarray(lat)[:, None], plon, plat).min(axis=1)


@pytest.fixture(scope="module")
def theatre():
    return demo._Theatre()


# ------------------------------------------------------------------------------ AIS at sea


@pytest.mark.parametrize("seed", [1, 4])
def test_pings_away_from_ports_are_at_sea_whatever_the_seed(theatre, seed):
    """Sea lanes are legs "that do not cross land"; a vessel sailed them from its berth
    (up to 1.5 km off the port's approach point) straight to the route's second node, so
    the leg it sailed was not the leg checked: at the default seed 45 pings of 9 vessels
    lay on land 20-80 km from any port (Colón, Cap Blanc, Trinidad), seeds 1 and 4 here
    6 and 14.  Now every voyage leaves and reaches its berth through the approach point."""
    pings, _ = demo._make_tracks(theatre, np.random.default_rng(seed), 60, 10)
    lon, lat = pings["lon"].to_numpy(), pings["lat"].to_numpy()
    far = _port_km(lon, lat) > 20.0
    assert far.mean() > 0.3
    on_land = shapely.contains_xy(LAND, lon[far], lat[far])
    assert not on_land.any(), pings[far][on_land].head().to_dict("records")


def _fishing_legs(theatre, rng, homes, days: float) -> np.ndarray:
    """Every leg a fishing vessel of each home port sails in ``days``: (n, 2 ends, lon/lat)."""
    legs = []
    for home in homes:
        vessel = demo._Vessel(538000000 + home, "fishing", 9.0, home, (1.0, -1.0))
        voy = demo._Voyage(-86400.0, *demo._berth(theatre, vessel, home))
        demo._fish(theatre, rng, voy, vessel, days * 86400.0)
        _, lon, lat = voy.arrays()
        ends = np.column_stack([lon, lat])
        legs.append(np.stack([ends[:-1], ends[1:]], axis=1))
    return np.concatenate(legs)


@pytest.mark.parametrize(
    ("seed", "port", "days"), [(3, None, 20), (5, "San Juan", 400)], ids=["every-port", "san-juan"]
)
def test_fishing_trips_sail_no_leg_across_land(theatre, seed, port, days):
    """A trip's zig-zag legs (up to 14 km) were checked at their ends only, and the trip
    home went straight from the last haul to the berth unchecked: a fishing vessel of the
    default demo crossed Puerto Rico's eastern cape 52 km from San Juan.  Every leg of every
    trip, keyframe to keyframe, now stays off the coastline but for the legs between the
    berth and the port's approach point (both ends within 2 km of the port)."""
    homes = range(theatre.n_ports) if port is None else [theatre.port_index(port)]
    legs = _fishing_legs(theatre, np.random.default_rng(seed), homes, days)
    assert len(legs) > 3000
    at_berth = (_port_km(legs[:, 0, 0], legs[:, 0, 1]) < 2.0) & (
        _port_km(legs[:, 1, 0], legs[:, 1, 1]) < 2.0
    )
    crossing = shapely.intersects(shapely.linestrings(legs[~at_berth]), LAND)
    assert not crossing.any(), legs[~at_berth][crossing][:3].tolist()


# ------------------------------------------------------------------------------ seizure dates


@pytest.mark.parametrize(
    ("as_of", "first"),
    [
        (dt.date(2026, 6, 30), dt.date(2023, 7, 1)),
        (dt.date(2024, 2, 29), dt.date(2021, 3, 1)),  # no 29 February in 2021
        (dt.date(2025, 1, 1), dt.date(2022, 1, 2)),
    ],
    ids=["demo", "leap-day", "new-year"],
)
def test_seizure_dates_are_every_day_of_the_three_years_ending_as_of(theatre, as_of, first):
    """ "Spread over the three years ending as_of": 20,000 draws (18 a day on average) hit
    the first day and as_of itself, and nothing outside.  A window starting a day early,
    one that never draws as_of, or dates shifted a day passed the 800-seizure fixture."""
    s = demo._make_seizures(theatre, np.random.default_rng(5), 20_000, as_of)
    dates = pd.to_datetime(s["date"], format="%Y-%m-%d").dt.date
    assert dates.min() == first and dates.max() == as_of
    assert dates.nunique() == (as_of - first).days + 1  # every day drawn, as hand-counted


def test_seizures_lie_inside_the_demo_area_and_at_sea(theatre):
    """The area is ``DEMO_BBOX``; draws past its edges (hot spots near 10 E) are redrawn
    like those on land, so every seizure is inside it, off the coastline polygons."""
    s = demo._make_seizures(theatre, np.random.default_rng(5), 20_000, demo.DEMO_AS_OF)
    lon_min, lat_min, lon_max, lat_max = demo.DEMO_BBOX
    assert s.lon.between(lon_min, lon_max, inclusive="neither").all()
    assert s.lat.between(lat_min, lat_max, inclusive="neither").all()
    assert not shapely.contains_xy(LAND, s.lon.to_numpy(), s.lat.to_numpy()).any()


def test_an_as_of_without_three_years_before_it_is_a_config_error(tmp_path):
    """``as_of`` in the years 1-3 has no three years of seizures before it: it was a bare
    ValueError from ``date.replace`` ("year -1 is out of range"), now a ConfigError naming
    the value, before anything is written."""
    as_of = dt.date(2, 1, 1)
    with pytest.raises(ConfigError, match=r"datetime\.date\(2, 1, 1\)"):
        demo.generate_demo(tmp_path, as_of=as_of)
    assert not any(tmp_path.iterdir())


def test_seizure_agencies_patrol_where_the_seizure_is(theatre):
    """Within 300 km of a port a seizure names one of that port's agencies; farther out, the
    western high-seas agencies west of 40 W and the eastern ones east of it (swapping the
    two sides, or the 300 km test, passed every other test)."""
    s = demo._make_seizures(theatre, np.random.default_rng(6), 20_000, demo.DEMO_AS_OF)
    lon, lat = s.lon.to_numpy(), s.lat.to_numpy()
    plon = np.array([p[1] for p in demo._PORTS])
    plat = np.array([p[2] for p in demo._PORTS])
    km = _km(lon[:, None], lat[:, None], plon, plat)
    near, nearest = km.min(axis=1) <= 300.0, km.argmin(axis=1)
    edge = np.abs(km.min(axis=1) - 300.0) < 0.01  # our km and the generator's may differ there
    west, east = ~near & ~edge & (lon < -40.0), ~near & ~edge & (lon >= -40.0)
    assert near.sum() > 1000 and west.sum() > 1000 and east.sum() > 1000
    assert s.agency[west].isin(demo._HIGH_SEAS_AGENCIES_WEST).all()
    assert s.agency[east].isin(demo._HIGH_SEAS_AGENCIES_EAST).all()
    allowed = {(k, name) for k, port in enumerate(demo._PORTS) for name in port[3]}
    m = near & ~edge
    assert set(zip(nearest[m].tolist(), s.agency[m], strict=True)) <= allowed
