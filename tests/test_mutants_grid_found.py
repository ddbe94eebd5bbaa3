"""Mutation pass on ``pipeline/grid.py`` and ``pipeline/sphere.py``: the gaps it found.

Each test kills mutants (small plausible bugs) that the module's own tests let through, and
checks the values against a reference outside the pipeline: the ``h3`` package called cell by
cell, ``pyproj.Geod`` on the sphere of the authalic radius, shapely areas and hand arithmetic.
"""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from scipy.spatial import cKDTree

from pipeline import sphere
from pipeline.errors import InputError
from pipeline.grid import (
    CellPolygons,
    align_to_cells,
    cells_to_geodataframe,
    cells_to_latlng,
    change_resolution,
    grid_disk_cells,
    mean_cell_edge_km,
    points_to_cells,
    polygons_within_180,
    region_to_cells,
    split_antimeridian,
    to_cells,
    unwrap_antimeridian_steps,
)

R = 6371.007180918475  # H3's authalic radius, written out: the reference does not import it


def _h3_cells(lon, lat, res) -> np.ndarray:
    """The cells of points by the h3 package, one call per point (the reference)."""
    return np.array(
        [h3.str_to_int(h3.latlng_to_cell(b, a, res)) for a, b in zip(lon, lat, strict=True)],
        dtype="uint64",
    )


def _xyz_km(lon, lat) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return R * np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


# ------------------------------------------------------------------------------- sphere.py


def test_haversine_of_antipodes_is_half_the_circumference_not_nan():
    """sin² + cos·cos·sin² rounds to 1 + 1 ulp for 71 of these 2001 pairs; its square root
    rounds back to 1, so the clip is a guard (the mutant without it is equivalent)."""
    lat = np.linspace(-89.0, 89.0, 2001)
    d = sphere.haversine_km(10.0, lat, -170.0, -lat)
    np.testing.assert_allclose(d, np.pi * R, atol=1e-3)


def test_initial_bearing_matches_pyproj_away_from_the_equator():
    """Mutants dropping a ``cos(lat1)``/``sin(lat1)`` survived: the old tests start at lat 0."""
    rng = np.random.default_rng(7)
    lon1, lat1 = rng.uniform(-180, 180, 300), rng.uniform(-80, 80, 300)
    lon2, lat2 = rng.uniform(-180, 180, 300), rng.uniform(-80, 80, 300)
    az, _, _ = pyproj.Geod(a=R, b=R).inv(lon1, lat1, lon2, lat2)
    got = sphere.initial_bearing_deg(lon1, lat1, lon2, lat2)
    diff = (got - az + 180.0) % 360.0 - 180.0
    assert np.abs(diff).max() < 1e-9
    assert ((got >= 0) & (got < 360)).all()


@pytest.mark.parametrize(
    ("lonlat", "east", "north"),
    [
        ((0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
        ((90.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
        ((180.0, 45.0), (0.0, -1.0, 0.0), (np.sqrt(0.5), 0.0, np.sqrt(0.5))),
    ],
    ids=["0-0", "90E-equator", "180-45N"],
)
def test_tangent_basis_points_east_and_north(lonlat, east, north):
    """A mirrored basis (west, or south) kept every chord, so the old test let it through."""
    e, n = sphere.tangent_basis(sphere.lonlat_to_xyz(*lonlat))
    np.testing.assert_allclose(e, east, atol=1e-12)
    np.testing.assert_allclose(n, north, atol=1e-12)


def test_the_cap_of_points_that_cancel_out_still_holds_them():
    # antipodes: the mean vector is zero and the centre an arbitrary axis, not 0/0
    centre, radius = sphere.spherical_cap(sphere.lonlat_to_xyz([30.0, -150.0], [20.0, -20.0]))
    assert np.linalg.norm(centre) == pytest.approx(1.0)
    c_lon, c_lat = np.degrees(np.arctan2(centre[1], centre[0])), np.degrees(np.arcsin(centre[2]))
    _, _, d = pyproj.Geod(a=R, b=R).inv([c_lon] * 2, [c_lat] * 2, [30.0, -150.0], [20.0, -20.0])
    assert np.isfinite(radius) and radius == pytest.approx(max(d), rel=1e-9)


def test_longitude_extents_skip_nan_and_range_needs_a_longitude():
    np.testing.assert_array_equal(
        sphere.longitude_extents([np.nan, 10.0, -20.0]), [-20.0, 10.0, 10.0, 340.0]
    )
    with pytest.raises(ValueError, match="at least one longitude"):
        sphere.longitude_range(sphere.longitude_extents([np.nan]))


def test_longitude_range_tie_of_half_the_globe_keeps_the_plain_range():
    # -90..90 is 180° either way round: the plain range, as documented
    assert sphere.longitude_range(sphere.longitude_extents([-90.0, 90.0])) == (-90.0, 90.0)


# --------------------------------------------------------------------------------- grid.py


@pytest.mark.parametrize("res", [0, 15])
def test_points_at_the_poles_180_and_0_360_longitudes_are_h3s_cells(res):
    lon = np.array([180.0, -180.0, 0.0, 33.0, 359.5, -359.5, -10.0])
    lat = np.array([0.0, 0.0, 90.0, -90.0, 12.0, -12.0, 89.999])
    np.testing.assert_array_equal(points_to_cells(lon, lat, res), _h3_cells(lon, lat, res))


@pytest.mark.parametrize(
    ("lon", "lat"),
    [([np.nan], [0.0]), ([0.0], [np.nan]), ([np.inf], [0.0]), ([360.5], [0.0]), ([0.0], [90.5])],
    ids=["nan-lon", "nan-lat", "inf-lon", "lon-360.5", "lat-90.5"],
)
def test_points_that_are_no_degrees_are_refused(lon, lat):
    with pytest.raises(InputError, match="invalid coordinates"):
        points_to_cells(lon, lat, 5)


def test_points_of_unequal_length_and_boolean_resolutions_are_refused():
    with pytest.raises(InputError, match="differ in length"):
        points_to_cells([0.0, 1.0], [0.0], 5)
    for res in (True, np.bool_(True), 5.0, -1, 16):
        with pytest.raises(InputError, match="resolution"):
            points_to_cells([0.0], [0.0], res)


def test_to_cells_refuses_floats_and_negatives_and_reads_bytes():
    c = points_to_cells([10.0], [50.0], 9)
    with pytest.raises(InputError, match="floats cannot hold"):
        to_cells(c.astype("float64"))
    with pytest.raises(InputError, match="never negative"):
        to_cells(np.array([int(c[0]), -5], dtype="int64"))
    hexes = np.array([h3.int_to_str(int(c[0])).encode()], dtype="S15")
    np.testing.assert_array_equal(to_cells(hexes), c)
    with pytest.raises(InputError, match="not an H3 cell id: 'x8"):
        to_cells(np.array([h3.int_to_str(int(c[0])), "x" + h3.int_to_str(int(c[0]))]))


def _cells3() -> np.ndarray:
    return np.sort(points_to_cells([0.0, 1.0, 2.0], [0.0, 1.0, 2.0], 5))


def test_align_by_cell_fills_a_missing_cell_with_nan_not_another_cells_value():
    cells = _cells3()
    values = pd.Series([7.5, 2.5], index=[cells[2], cells[0]])
    got = align_to_cells(values, cells, "factor 'x'")
    assert got.dtype == "float64"
    np.testing.assert_array_equal(got, [2.5, np.nan, 7.5])


@pytest.mark.parametrize(
    "index",
    [[0, 0, 2], [1, 2, 3], [0, 1, 2, 3]],
    ids=["repeated-position", "positions-1-to-3", "four-positions"],
)
def test_align_refuses_labels_that_are_no_positions_of_the_cells(index):
    cells = _cells3()
    values = pd.Series(np.arange(len(index), dtype="float64"), index=index)
    with pytest.raises(InputError, match="neither H3 cells nor the positions"):
        align_to_cells(values, cells, "factor 'x'")


def test_align_refuses_a_range_index_of_another_length():
    with pytest.raises(InputError, match="neither H3 cells nor the positions"):
        align_to_cells(pd.Series([1.0, 2.0]), _cells3(), "factor 'x'")


def test_align_refuses_parents_and_repeated_cells():
    cells = _cells3()
    parents = change_resolution(cells, 4)
    with pytest.raises(InputError, match="resolution"):
        align_to_cells(pd.Series([1.0, 2.0, 3.0], index=parents), cells, "factor 'x'")
    with pytest.raises(InputError, match="appears 2 times"):
        align_to_cells(pd.Series([1.0, 2.0, 3.0], index=[cells[0], cells[0], cells[1]]), cells, "f")


def test_mean_cell_edge_by_hand():
    # res 0: 122 cells share the sphere; a regular hexagon of area A has edge sqrt(2A/(3√3))
    area = 4 * np.pi * R**2 / 122
    assert mean_cell_edge_km(0) == pytest.approx(np.sqrt(2 * area / (3 * np.sqrt(3))), rel=1e-12)
    area = 4 * np.pi * R**2 / (2 + 120 * 7**3)
    assert mean_cell_edge_km(3) == pytest.approx(np.sqrt(2 * area / (3 * np.sqrt(3))), rel=1e-12)


@pytest.mark.parametrize(
    ("bbox", "res", "margin_km"),
    [
        ((0.0, 0.0, 2.0, 2.0), 4, 35.0),
        ((0.0, 0.0, 2.0, 2.0), 4, 60.0),
        ((10.0, 60.0, 14.0, 62.0), 5, 24.0),
        ((-30.0, 78.0, 0.0, 80.0), 4, 90.0),
        ((10.0, 60.0, 14.0, 62.0), 5, 98.54),
        ((-60.0, -60.0, 60.0, 60.0), 2, 700.0),
    ],
    ids=["equator-35km", "equator-60km", "60N-24km", "79N-90km", "60N-98km", "wide-res2-700km"],
)
def test_the_margin_reaches_every_cell_within_its_distance(bbox, res, margin_km):
    """Every cell centred within ``margin_km`` of a cell of the region is in the grown region.

    Cells are smaller away from the region's first ones (the edge is their median) and one
    more ring reaches only ``1.5`` edges between two corners of the k-ring: mutants taking
    ``√3`` edges per ring, the floor of the ring count, the largest cell's edge or no
    irregularity allowance (0.85) reached less than the margin.
    """
    base = region_to_cells(bbox, res)
    grown = region_to_cells(bbox, res, margin_km=margin_km)
    lat, lon = cells_to_latlng(base)
    edge = h3.average_hexagon_edge_length(res, unit="km")
    near = grid_disk_cells(base, int(np.ceil(margin_km / (1.2 * edge))) + 2)
    nlat, nlon = cells_to_latlng(near)
    chord, _ = cKDTree(_xyz_km(lon, lat)).query(_xyz_km(nlon, nlat))
    arc = 2 * R * np.arcsin(np.minimum(chord / (2 * R), 1.0))
    want = near[arc <= margin_km]
    assert np.setdiff1d(want, grown).size == 0


@pytest.mark.parametrize("margin_km", [-0.5, -1e-9, float("nan"), True])
def test_a_margin_that_is_no_distance_is_refused(margin_km):
    with pytest.raises(InputError, match="margin_km must be a distance >= 0"):
        region_to_cells((0.0, 0.0, 1.0, 1.0), 3, margin_km=margin_km)


def test_a_region_smaller_than_a_cell_gets_the_cell_of_its_point():
    got = region_to_cells((10.0, 50.0, 10.01, 50.01), 3)
    np.testing.assert_array_equal(got, _h3_cells([10.005], [50.005], 3))


def test_the_cell_budget_refuses_a_region_three_times_too_big():
    n = region_to_cells((0.0, 0.0, 10.0, 10.0), 4).size
    with pytest.raises(InputError, match="above the limit"):
        region_to_cells((0.0, 0.0, 10.0, 10.0), 4, max_cells=n // 3)


def test_the_margin_budget_counts_each_cell_once():
    bbox = (0.0, 0.0, 2.0, 2.0)
    n = region_to_cells(bbox, 4, margin_km=60.0, max_cells=None).size
    assert region_to_cells(bbox, 4, margin_km=60.0, max_cells=n).size == n
    with pytest.raises(InputError, match="grown by its margin"):
        region_to_cells(bbox, 4, margin_km=60.0, max_cells=n - 1)


@pytest.mark.parametrize(
    ("res", "margin_km", "max_cells"),
    [(5, 300.0, 1200), (3, 20000.0, 15000)],
    ids=["res5-300km", "res3-half-the-globe"],
)
def test_a_margin_far_too_big_is_refused_before_any_ring_is_grown(
    res, margin_km, max_cells, monkeypatch
):
    """Half the cap of the margin's reach (``k`` steps of ``√3`` edges, at most half the globe)
    is the least growth: above ``max_cells`` the region is refused before growing a ring.

    By hand: res 5, 300 km: 28 rings reach 28 x 8.54 x √3 = 414 km, a cap of 5.4e5 km², half
    of it 1418 cells of 190 km² (2437 are grown); res 3, 20000 km: the whole sphere, 20578.
    Mutants taking a tenth of the cap, 1.5 edges a step or the unclamped reach (whose cosine
    wraps past the antipode) grew rings for minutes before refusing at fine resolutions.
    """
    import pipeline.grid

    def grown(*args, **kwargs):
        raise AssertionError("a ring was grown")

    monkeypatch.setattr(pipeline.grid, "grid_disk_cells", grown)
    with pytest.raises(InputError, match="grown by its margin"):
        region_to_cells((0.0, 0.0, 0.01, 0.01), res, margin_km=margin_km, max_cells=max_cells)


def test_slerp_of_near_points_is_a_unit_vector():
    a, b = sphere.lonlat_to_xyz(10.0, 50.0), sphere.lonlat_to_xyz(10.05, 50.02)  # 4 km apart
    p = sphere.slerp(a, b, np.array([0.25, 0.5, 0.75]))
    np.testing.assert_allclose(np.linalg.norm(p, axis=-1), 1.0, rtol=0, atol=1e-14)


def _brute(res: int, inside) -> np.ndarray:
    every = np.array(
        [h3.str_to_int(c) for r0 in h3.get_res0_cells() for c in h3.cell_to_children(r0, res)],
        dtype="uint64",
    )
    lat, lon = cells_to_latlng(every)
    return np.sort(every[inside(lon, lat)])


def test_a_polygon_written_past_180_fills_its_20_degrees():
    want = _brute(2, lambda x, y: ((x >= 170) | (x <= -170)) & (np.abs(y) <= 8))
    assert want.size > 10
    np.testing.assert_array_equal(region_to_cells(shapely.box(170, -8, 190, 8), 2), want)
    np.testing.assert_array_equal(region_to_cells(shapely.box(-190, -8, -170, 8), 2), want)


def test_points_with_0_360_longitudes_give_the_bbox_across_0():
    pts = gpd.GeoSeries(shapely.points([350.0, 10.0], [10.0, 12.0]), crs="EPSG:4326")
    np.testing.assert_array_equal(region_to_cells(pts, 3), region_to_cells((-10, 10, 10, 12), 3))


def test_a_region_in_metres_is_reprojected_not_refused():
    box = gpd.GeoSeries([shapely.box(-5, 40, 5, 45)], crs="EPSG:4326")
    np.testing.assert_array_equal(
        region_to_cells(box.to_crs("EPSG:3857"), 3), region_to_cells(box, 3)
    )


def test_unwrap_reads_a_200_degree_step_the_short_way_and_moves_parts_beside():
    # a ring from 100° E stepping to 100° W is 160° across 180, not 200° across 0
    (got,) = unwrap_antimeridian_steps(
        [shapely.Polygon([(100, 0), (-100, 0), (-100, 10), (100, 10)])]
    )
    assert got.bounds == (100.0, 0.0, 260.0, 10.0)
    assert got.area == pytest.approx(1600.0)
    # a second part at -175°, next to the first once read the short way, comes beside it
    across = shapely.Polygon([(170, 0), (-170, 0), (-170, 10), (170, 10)])
    islet = shapely.box(-175, 20, -172, 25)
    (multi,) = unwrap_antimeridian_steps([shapely.MultiPolygon([across, islet])])
    assert multi.bounds == (170.0, 0.0, 190.0, 25.0)
    assert multi.area == pytest.approx(200.0 + 15.0)


@pytest.mark.parametrize(
    ("box", "parts"),
    [
        ((-184.0, 0.0, -176.0, 10.0), [(176.0, 180.0), (-180.0, -176.0)]),
        ((170.0, 0.0, 184.0, 10.0), [(170.0, 180.0), (-180.0, -176.0)]),
    ],
    ids=["west-of-minus-180", "east-of-180"],
)
def test_polygons_within_180_cut_at_180_and_keep_their_area(box, parts):
    (got,) = polygons_within_180([shapely.box(*box)])
    b = shapely.bounds(shapely.get_parts(got))
    assert sorted(map(tuple, b[:, [0, 2]].tolist())) == sorted(parts)
    assert got.area == pytest.approx(shapely.box(*box).area)
    assert shapely.contains_xy(got, -178.0, 5.0) and shapely.contains_xy(got, 178.0, 5.0) == (
        box[0] < -182.0 or box[2] > 178.0
    )


@pytest.mark.parametrize("res", [0, 1])
def test_the_cell_polygons_tile_the_lon_lat_plane(res):
    """Split at 180° and closed at the poles, every cell's polygon holds its centre, no two
    overlap and together they fill [-180, 180] x [-90, 90]: a polar cap closed towards the
    wrong pole, or along the wrong latitude at ±180°, or a cell 180°-300° wide left whole
    (the res-0 cells by the poles) broke the sum."""
    every = np.array(
        [h3.str_to_int(c) for r0 in h3.get_res0_cells() for c in h3.cell_to_children(r0, res)],
        dtype="uint64",
    )
    geoms = cells_to_geodataframe(every).geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    lat, lon = cells_to_latlng(every)
    assert shapely.contains_xy(geoms, lon, lat).all()
    assert shapely.area(geoms).sum() == pytest.approx(360.0 * 180.0, rel=1e-12)
    assert shapely.area(shapely.union_all(geoms)) == pytest.approx(360.0 * 180.0, rel=1e-12)


def test_a_cell_60_degrees_wide_across_180_is_split():
    # 150° E to 150° W: 300° wide as written, 60° across 180 (a big cell near a pole)
    (got,) = split_antimeridian(
        np.array([shapely.Polygon([(150, 0), (-150, 0), (-150, 10), (150, 10)])], dtype=object)
    )
    b = shapely.bounds(shapely.get_parts(got))
    assert sorted(map(tuple, b[:, [0, 2]].tolist())) == [(-180.0, -150.0), (150.0, 180.0)]
    assert got.area == pytest.approx(600.0)


def test_a_band_drawn_from_minus_180_to_180_is_left_as_drawn():
    band = shapely.Polygon([(-180, -10), (180, -10), (180, 10), (-180, 10)])
    (got,) = unwrap_antimeridian_steps([band])
    assert got is band


@pytest.mark.parametrize(
    "bad",
    [
        (0.0, 5.0, 1.0, 5.0),
        (180.0, 0.0, -180.0, 10.0),
        shapely.box(0, -100, 1, -95),
        shapely.box(0, 95, 1, 100),
    ],
    ids=["zero-height-bbox", "180-to-minus-180", "below-south-pole", "above-north-pole"],
)
def test_a_region_of_no_height_or_past_a_pole_is_refused(bad):
    """Each used to be refused; a mutant that let one through gave one cell, quietly."""
    with pytest.raises(InputError, match="bbox latitudes|zero width|not lon/lat degrees"):
        region_to_cells(bad, 3)


def test_cell_polygons_of_a_new_cell_are_its_own():
    cells = _cells3()
    other = points_to_cells([40.0], [-20.0], 5)
    memo = CellPolygons()
    memo(cells)
    got = memo(np.r_[cells[1], other])
    want = cells_to_geodataframe(np.r_[cells[1], other]).geometry.to_numpy()
    assert all(shapely.equals(got, want))
    fresh = CellPolygons()
    twice = fresh(np.r_[other, other])  # repeated cells: no lookup kept from them
    assert all(shapely.equals(twice, np.r_[want[1], want[1]]))
    assert shapely.equals(fresh(other)[0], want[1])
