"""Found reviewing the polar-polygon change: outlines round or to a pole it did not rebuild.

A polygon of a polar CRS was closed along the pole only when the pole lay inside it.  The
Southern Ocean round Antarctica (the pole in its hole) was moved vertex by vertex to a ring
of no area; an outline touching the pole at a vertex (a sector claim from the pole, Natural
Earth's Antarctica reprojected, its edge along -90° now vertices at the pole) lost the
area between its pole vertex, placed at the CRS's central meridian, and the pole's edge
(Antarctica 15.5 million km² read as 10.3).  Areas are checked against pyproj's Geod.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

geopandas = pytest.importorskip("geopandas")
pyproj = pytest.importorskip("pyproj")

from pipeline.ingest.context import read_context  # noqa: E402

_GEOD = pyproj.Geod(ellps="WGS84")


def _box_area_km2(lon0, lon1, lat0, lat1):
    """Geodesic area of a box of meridians and parallels (its parallels densified)."""
    lo, la = np.linspace(lon0, lon1, 2000), np.linspace(lat0, lat1, 2000)
    lons = np.r_[lo, np.full(2000, lon1), lo[::-1], np.full(2000, lon0)]
    lats = np.r_[np.full(2000, lat0), la, np.full(2000, lat1), la[::-1]]
    return abs(_GEOD.polygon_area_perimeter(lons, lats)[0]) / 1e6


def _read(tmp_path, rings_ll, epsg, kind="land"):
    """Write rings of (lon, lat) as one polygon of ``epsg``, read it back in EPSG:4326."""
    to = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    xy = [np.column_stack(to.transform(*np.asarray(r, float).T)) for r in rings_ll]
    poly = shapely.Polygon(xy[0], xy[1:])
    assert poly.is_valid
    path = tmp_path / "layer.gpkg"
    geopandas.GeoDataFrame({"name": ["a"]}, geometry=[poly], crs=f"EPSG:{epsg}").to_file(path)
    res = read_context(path, kind)
    assert res.n_read == 1 and len(res.frame) == 1 and len(res.rejects) == 0
    geom = res.frame.geometry.iloc[0]
    area = abs(_GEOD.geometry_area_perimeter(shapely.segmentize(geom, 0.05))[0]) / 1e6
    return geom, area


def _parallel(lat, lon0=-180.0, lon1=180.0, n=145):
    lons = np.linspace(lon0, lon1, n)
    return list(zip(lons, np.full(n, lat), strict=True))


def test_the_southern_ocean_round_antarctica_keeps_its_area(tmp_path):
    # a lane area from 65 S to 55 S all round, the pole in its hole: was a ring of no area
    geom, area = _read(tmp_path, [_parallel(-55.0)[:-1], _parallel(-65.0)[:-1]], 3031, "lanes")
    assert area == pytest.approx(_box_area_km2(-180, 180, -65, -55), rel=1e-4)
    inside = shapely.contains_xy(geom, [0.0, 179.0, -90.0, 0.0, 0.0], [-60, -60, -60, -70, -50])
    assert inside.tolist() == [True, True, True, False, False]


def test_natural_earths_antarctica_reprojected_is_land_to_the_pole(tmp_path):
    # its edge along -90 from 180 to -180 became two vertices at the pole in EPSG:3031
    ring = [*_parallel(-70.0), (180.0, -90.0), (-180.0, -90.0)]
    geom, area = _read(tmp_path, [ring], 3031)
    assert area == pytest.approx(_box_area_km2(-180, 180, -90, -70), rel=1e-4)
    inside = shapely.contains_xy(geom, [0.0, 179.0, -179.0, 90.0, 0.0], [-80, -89, -85, -75, -65])
    assert inside.tolist() == [True, True, True, True, False]


@pytest.mark.parametrize(
    ("epsg", "pole", "lon0", "lon1", "edge"),
    [(3031, -90.0, 45.0, 160.0, -60.0), (3413, 90.0, -30.0, 60.0, 70.0)],
    ids=["south-3031", "north-3413"],
)
def test_a_sector_from_the_pole_keeps_its_apex(tmp_path, epsg, pole, lon0, lon1, edge):
    # the Australian Antarctic Territory's shape: its apex at the pole was a vertex at the
    # CRS's central meridian, the sector's corner by the pole cut off (a third of its area)
    ring = [(lon0, pole), *_parallel(edge, lon0, lon1, 60)]
    geom, area = _read(tmp_path, [ring], epsg, "lanes")
    lat0, lat1 = sorted((pole, edge))
    assert area == pytest.approx(_box_area_km2(lon0, lon1, lat0, lat1), rel=1e-4)
    mid = (lon0 + lon1) / 2
    near = pole - np.sign(pole) * 1.0
    got = shapely.contains_xy(geom, [mid, lon0 + 2, lon1 - 2, lon0 - 5], [near, near, near, near])
    assert got.tolist() == [True, True, True, False]


def test_a_large_polygon_beside_the_pole_is_moved_as_it_was(tmp_path):
    # not round or to the pole: moved vertex by vertex, no note
    ring = [*_parallel(-85.0, 0.0, 150.0, 60), *_parallel(-65.0, 150.0, 0.0, 60)]
    geom, area = _read(tmp_path, [ring], 3031)
    assert area == pytest.approx(_box_area_km2(0, 150, -85, -65), rel=1e-3)
    assert geom.bounds == pytest.approx((0.0, -85.0, 150.0, -65.0), abs=1e-6)


def test_a_pole_drawn_as_a_line_is_no_pole_vertex(tmp_path):
    # Equal Earth draws the South Pole as the map's bottom edge: Antarctica's edge along it
    # keeps its vertices' own longitudes, not opened as a pole point, and nothing is noted
    lons = np.linspace(-180.0, 180.0, 145)
    ring = [*_parallel(-70.0), *zip(lons[::-1][1:-1], np.full(143, -90.0), strict=True)]
    to = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:8857", always_xy=True)
    poly = shapely.Polygon(np.column_stack(to.transform(*np.asarray(ring, float).T)))
    path = tmp_path / "ee.gpkg"
    geopandas.GeoDataFrame({"name": ["a"]}, geometry=[poly], crs="EPSG:8857").to_file(path)
    res = read_context(path, "land")
    assert not any("around a pole" in n for n in res.notes)
    geom = res.frame.geometry.iloc[0]
    assert shapely.contains_xy(geom, [0.0, 90.0, -90.0], [-89.5, -89.5, -80.0]).all()


def test_a_half_of_the_polar_cap_cut_along_a_meridian_keeps_its_area(tmp_path):
    # its straight edge runs through the pole (no vertex there, 2e-10 m off it as computed):
    # that edge was 180° of longitude at once, the half read as a line of no area
    geom, area = _read(tmp_path, [_parallel(-60.0, 0.0, 180.0, 90)], 3031, "lanes")
    assert area == pytest.approx(_box_area_km2(0, 180, -90, -60), rel=1e-4)
    got = shapely.contains_xy(geom, [90.0, 10.0, 170.0, -90.0], [-89.0, -89.0, -89.0, -89.0])
    assert got.tolist() == [True, True, True, False]
