import h3
import numpy as np
import pytest
import shapely

from pipeline.errors import InputError
from pipeline.grid import (
    cell_area_km2,
    cells_to_geodataframe,
    cells_to_latlng,
    cells_to_strings,
    points_to_cells,
    region_to_cells,
    to_cells,
)


def test_points_to_cells_matches_h3():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(-180, 180, 500), rng.uniform(-89, 89, 500)
    got = cells_to_strings(points_to_cells(lon, lat, 7))
    want = [h3.latlng_to_cell(a, b, 7) for a, b in zip(lat, lon, strict=True)]
    assert list(got) == want


def test_round_trip_strings_and_ints():
    c = points_to_cells([10.0, -70.0], [50.0, 20.0], 9)
    assert (to_cells(cells_to_strings(c)) == c).all()
    assert (to_cells(c.astype("int64")) == c).all()
    with pytest.raises(InputError, match="not an H3 cell id: 123 "):
        to_cells([int(c[0]), 123])
    with pytest.raises(InputError, match="not an H3 cell id: 'zzz'"):
        to_cells(np.array(["zzz"]))
    with pytest.raises(InputError, match="resolution"):
        points_to_cells([0], [0], 16)


def test_centres_and_area():
    c = points_to_cells([5.0], [45.0], 5)
    lat, lon = cells_to_latlng(c)
    assert abs(lat[0] - 45) < 0.2 and abs(lon[0] - 5) < 0.2
    assert 200 < cell_area_km2(c)[0] < 300


def test_antimeridian_cell_is_split_not_wrapped():
    c = points_to_cells([179.99, -179.99, 0.0], [0.0, 0.0, 85.0], 3)
    g = cells_to_geodataframe(c)
    for geom in g.geometry:
        assert shapely.is_valid(geom)
        # total area of the cell in degrees² stays small: no polygon across the globe
        assert geom.area < 20
    lat, lon = cells_to_latlng(c[:1])
    assert g.geometry.iloc[0].geom_type == "MultiPolygon"


def test_region_bbox_crossing_antimeridian_and_margin():
    across = region_to_cells((170, -5, -170, 5), 3)
    lat, lon = cells_to_latlng(across)
    assert (np.abs(lon) > 165).all()
    base = region_to_cells((0, 40, 5, 45), 5)
    grown = region_to_cells((0, 40, 5, 45), 5, margin_km=50)
    assert set(base) < set(grown)
    with pytest.raises(InputError, match="bbox latitudes"):
        region_to_cells((0, 50, 1, 40), 5)


def _all_cells(res):
    return np.array(
        [h3.str_to_int(c) for r0 in h3.get_res0_cells() for c in h3.cell_to_children(r0, res)],
        dtype="uint64",
    )


@pytest.mark.parametrize("res", [0, 2, 4])
def test_region_wider_than_180_is_the_band_of_latitudes(res):
    """Issue 11: (-180, -60, 180, 70) used to give 1 cell; it is every cell centred in the band."""
    every = _all_cells(res)
    lat, _ = cells_to_latlng(every)
    want = np.sort(every[(lat >= -60) & (lat <= 70)])
    got = region_to_cells((-180, -60, 180, 70), res)
    assert np.array_equal(got, want)
    assert np.array_equal(region_to_cells((-180, -90, 180, 90), res), np.sort(every))


@pytest.mark.parametrize(
    "bbox",
    [(100.0, -10.0, -80.0, 10.0), (-100.0, -10.0, 100.0, 10.0), (-170.0, -5.0, 170.0, 5.0)],
    ids=["pacific-across-180", "200-wide", "340-wide"],
)
def test_wide_bboxes_match_brute_force(bbox):
    every = _all_cells(3)
    lat, lon = cells_to_latlng(every)
    lon0, lat0, lon1, lat1 = bbox
    in_lon = (lon >= lon0) | (lon <= lon1) if lon0 > lon1 else (lon >= lon0) & (lon <= lon1)
    want = np.sort(every[in_lon & (lat >= lat0) & (lat <= lat1)])
    assert np.array_equal(region_to_cells(bbox, 3), want)


def test_polygon_wider_than_180_is_not_taken_the_short_way():
    poly = shapely.box(-170, -10, 170, 10)
    cells = region_to_cells(poly, 2)
    lat, lon = cells_to_latlng(cells)
    assert cells.size > 500 and (np.abs(lon) <= 171).all()
    assert (lon < -100).any() and (lon > 100).any() and (np.abs(lon) < 10).any()


def test_huge_region_at_fine_resolution_is_refused_fast():
    import time

    t0 = time.perf_counter()
    with pytest.raises(
        InputError, match=r"about [\d,]+ H3 cells at resolution 9.*use resolution 5"
    ):
        region_to_cells((-180, -60, 180, 70), 9)
    with pytest.raises(InputError, match="resolution 15"):
        region_to_cells((-180, -90, 180, 90), 15)
    assert time.perf_counter() - t0 < 2
    assert region_to_cells((0, 0, 0.001, 0.001), 15, max_cells=None).size >= 1


@pytest.mark.parametrize(
    "bbox",
    [(0, 0, float("nan"), 1), (0, 0, 200, 1), ("a", 0, 1, 1), (5, 0, 5, 1)],
)
def test_malformed_bbox_is_one_clear_error(bbox):
    with pytest.raises(InputError, match="bbox"):
        region_to_cells(bbox, 3)
