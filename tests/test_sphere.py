"""Tests of pipeline.sphere: the one Earth radius and the great-circle formulas."""

from __future__ import annotations

import h3
import numpy as np
import pytest
from _property import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline import sphere
from pipeline.grid import cell_area_km2

LON = st.floats(-180, 180, allow_nan=False)
LAT = st.floats(-89.9, 89.9, allow_nan=False)


def test_radius_is_the_one_h3_uses_for_cell_areas():
    cells = np.array([h3.str_to_int(c) for c in h3.get_res0_cells()], dtype="uint64")
    total = cell_area_km2(cells).sum()
    assert total == pytest.approx(4 * np.pi * sphere.EARTH_RADIUS_KM**2, rel=1e-12)
    assert sphere.KM_PER_DEGREE == pytest.approx(111.1951, abs=1e-4)


def test_haversine_known_values_and_antimeridian():
    assert sphere.haversine_km(0, 0, 0, 0) == 0
    assert sphere.haversine_km(0, 0, 180, 0) == pytest.approx(np.pi * sphere.EARTH_RADIUS_KM)
    assert sphere.haversine_km(0, -90, 0, 90) == pytest.approx(np.pi * sphere.EARTH_RADIUS_KM)
    across = sphere.haversine_km(179.9, 10.0, -179.9, 10.0)
    assert across == pytest.approx(sphere.haversine_km(-0.1, 10.0, 0.1, 10.0), rel=1e-9)
    assert across < 25
    # broadcasting: a distance matrix
    d = sphere.haversine_km(np.array([0.0, 1.0])[:, None], 0.0, np.array([0.0, 2.0, 3.0]), 0.0)
    assert d.shape == (2, 3)
    assert d[1, 2] == pytest.approx(2 * sphere.KM_PER_DEGREE)


@settings(max_examples=examples(200), deadline=None)
@given(LON, LAT, LON, LAT)
@example(0.0, 0.0, 180.0, 2.895000979162344e-07)  # make fuzz: haversine's arcsin at antipodes
def test_formulas_agree(lon1, lat1, lon2, lat2):
    a, b = sphere.lonlat_to_xyz(lon1, lat1), sphere.lonlat_to_xyz(lon2, lat2)
    d = sphere.haversine_km(lon1, lat1, lon2, lat2)
    # arcsin near 1 keeps only half the digits: haversine and chord_to_arc are good to ~0.1 m
    # at antipodes (routes never are), the atan2 of central_angle to full precision
    near_antipodes = d > 0.999 * np.pi * sphere.EARTH_RADIUS_KM
    tol = 1e-3 if near_antipodes else 1e-6
    assert sphere.central_angle(a, b) * sphere.EARTH_RADIUS_KM == pytest.approx(d, abs=tol)
    chord = np.linalg.norm(a - b) * sphere.EARTH_RADIUS_KM
    assert sphere.chord_to_arc_km(chord) == pytest.approx(d, abs=max(tol, 1e-5))
    assert sphere.arc_to_chord_km(d) == pytest.approx(chord, abs=1e-6)
    lon, lat = sphere.xyz_to_lonlat(a)
    assert sphere.haversine_km(lon, lat, lon1, lat1) < 1e-6
    if d < 0.99 * np.pi * sphere.EARTH_RADIUS_KM:  # the midpoint of antipodes is undefined
        mid = sphere.slerp(a, b, 0.5)
        assert np.linalg.norm(mid) == pytest.approx(1.0)
        half = sphere.central_angle(a, mid) * sphere.EARTH_RADIUS_KM
        assert half == pytest.approx(d / 2, abs=1e-5)


def test_slerp_end_points_and_given_angle():
    a = sphere.lonlat_to_xyz([170.0, 0.0], [5.0, 0.0])
    b = sphere.lonlat_to_xyz([-170.0, 0.0], [5.0, 0.0])  # second pair: a == b
    for t, want in ((0.0, a), (1.0, b)):
        np.testing.assert_allclose(sphere.slerp(a, b, t), want, atol=1e-12)
    mid = sphere.slerp(a, b, [0.5, 0.5], sphere.central_angle(a, b))
    lon, lat = sphere.xyz_to_lonlat(mid)
    assert abs(lon[0]) == pytest.approx(180.0) and lat[0] > 5.0  # great circle bulges poleward
    np.testing.assert_allclose(mid[1], a[1], atol=1e-12)


def test_chord_clamps_beyond_the_diameter():
    r = sphere.EARTH_RADIUS_KM
    assert sphere.chord_to_arc_km(3 * r) == pytest.approx(np.pi * r)
    assert sphere.arc_to_chord_km(10 * r) == pytest.approx(2 * r)


@pytest.mark.parametrize(
    ("to", "bearing"), [((0.0, 1.0), 0.0), ((1.0, 0.0), 90.0), ((0.0, -1.0), 180.0)]
)
def test_initial_bearing(to, bearing):
    assert sphere.initial_bearing_deg(0.0, 0.0, *to) == pytest.approx(bearing)
    assert sphere.initial_bearing_deg(179.5, 0.0, -179.5, 0.0) == pytest.approx(90.0)


def test_spherical_cap_contains_the_points_across_the_antimeridian():
    rng = np.random.default_rng(0)
    lon = (179 + rng.normal(0, 1, 500) + 180) % 360 - 180
    lat = rng.normal(0, 1, 500)
    xyz = sphere.lonlat_to_xyz(lon, lat)
    centre, radius = sphere.spherical_cap(xyz)
    c_lon, c_lat = sphere.xyz_to_lonlat(centre)
    d = sphere.haversine_km(c_lon, c_lat, lon, lat)
    assert d.max() == pytest.approx(radius, rel=1e-9)
    assert abs(float(c_lon) - 179) < 0.5 and radius < 800


@pytest.mark.parametrize("centre_lonlat", [(10.0, 50.0), (180.0, -20.0), (0.0, 90.0)])
def test_stereographic_chord_identity(centre_lonlat):
    """The chord between two points is exactly λ1 λ2 |X1 - X2| (the density core relies on it)."""
    rng = np.random.default_rng(1)
    centre = sphere.lonlat_to_xyz(*centre_lonlat)
    east, north = sphere.tangent_basis(centre)
    assert abs(east @ centre) < 1e-12 and abs(north @ centre) < 1e-12
    lon = centre_lonlat[0] + rng.normal(0, 3, 50)
    lat = np.clip(centre_lonlat[1] + rng.normal(0, 3, 50), -89, 89)
    xyz = sphere.lonlat_to_xyz(lon, lat)
    x, y, lam = sphere.stereographic_project(xyz, centre, east, north)
    chord = np.linalg.norm(xyz[:, None] - xyz[None], axis=-1) * sphere.EARTH_RADIUS_KM
    plane = np.hypot(x[:, None] - x[None], y[:, None] - y[None])
    np.testing.assert_allclose(lam[:, None] * lam[None] * plane, chord, atol=1e-6)
