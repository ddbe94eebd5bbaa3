import h3
import numpy as np
import pytest
import shapely

from pipeline.errors import InputError
from pipeline.grid import (
    are_valid_cells,
    average_hexagon_edge_length,
    cell_area_km2,
    cells_to_boundaries,
    cells_to_geodataframe,
    cells_to_latlng,
    cells_to_strings,
    change_resolution,
    grid_disks,
    mean_cell_edge_km,
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


# ------------------------------------------------------------------ the h3 wrappers other modules use


def test_are_valid_cells():
    c = points_to_cells([10.0, -70.0], [50.0, 20.0], 9)
    assert are_valid_cells(np.r_[c, 0, 123]).tolist() == [True, True, False, False]
    assert are_valid_cells([]).shape == (0,)


def test_grid_disks_match_h3():
    cells = points_to_cells([0.0, 0.0, 100.0], [0.0, 0.0, 60.0], 6)  # a duplicate on purpose
    owner, flat = grid_disks(cells, 2)
    assert (np.diff(owner) >= 0).all() and flat.dtype == "uint64"
    for i, c in enumerate(cells):
        want = {h3.str_to_int(x) for x in h3.grid_disk(h3.int_to_str(int(c)), 2)}
        assert set(flat[owner == i].tolist()) == want
    empty = grid_disks(np.empty(0, "uint64"), 1)
    assert empty[0].size == 0 and empty[1].size == 0


def test_change_resolution_to_children_and_parents():
    c = points_to_cells([5.0, 120.0], [45.0, -30.0], 4)
    children = change_resolution(c, 6)
    assert children.size == 2 * 49
    want = {h3.str_to_int(x) for s in cells_to_strings(c) for x in h3.cell_to_children(s, 6)}
    assert set(children.tolist()) == want
    np.testing.assert_array_equal(np.unique(change_resolution(children, 4)), np.sort(c))
    with pytest.raises(InputError, match="resolution"):
        change_resolution(c, 16)


def test_edge_lengths():
    for r in (0, 7, 15):
        assert average_hexagon_edge_length(r) == h3.average_hexagon_edge_length(r, unit="km")
        assert average_hexagon_edge_length(r, "m") == pytest.approx(
            1000 * average_hexagon_edge_length(r)
        )
        assert mean_cell_edge_km(r) == pytest.approx(average_hexagon_edge_length(r), rel=0.1)
    with pytest.raises(InputError, match="unit"):
        average_hexagon_edge_length(5, "mi")


def test_cells_to_boundaries_match_h3():
    cells = np.r_[
        points_to_cells([10.0, 179.95, -30.0], [50.0, 0.0, 89.9], 5),
        points_to_cells([0.0], [0.0], 0),
    ]
    lon, lat, idx = cells_to_boundaries(cells)
    for i, c in enumerate(cells_to_strings(cells)):
        ring = np.column_stack([lat[idx == i], lon[idx == i]])
        want = np.asarray(h3.cell_to_boundary(c))
        np.testing.assert_allclose(ring[:-1], want, atol=1e-9)
        np.testing.assert_array_equal(ring[0], ring[-1])  # closed
    assert [a.size for a in cells_to_boundaries(np.empty(0, "uint64"))] == [0, 0, 0]


def test_cells_to_boundaries_read_the_wkb_exactly():
    import pyarrow as pa
    from h3ronpy.vector import cells_to_wkb_polygons

    # Include pentagons and cells near the antimeridian.
    cells = np.concatenate(
        [region_to_cells((170.0, -20.0, -170.0, -10.0), 4), region_to_cells((0, 60, 20, 70), 5)]
    )
    lon, lat, idx = cells_to_boundaries(cells)
    wkb = pa.array(cells_to_wkb_polygons(pa.array(cells))).to_numpy(zero_copy_only=False)
    xy, ref_idx = shapely.get_coordinates(shapely.from_wkb(wkb), return_index=True)
    np.testing.assert_array_equal(lon, xy[:, 0])
    np.testing.assert_array_equal(lat, xy[:, 1])
    np.testing.assert_array_equal(idx, ref_idx)


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


@pytest.mark.parametrize("seed", range(3))
def test_cells_in_is_isin_for_cell_sets(seed):
    from pipeline.grid import cells_in

    rng = np.random.default_rng(seed)
    among = points_to_cells(rng.uniform(-30, 30, 3000), rng.uniform(-20, 20, 3000), 5)
    others = points_to_cells(rng.uniform(-60, 60, 2000), rng.uniform(-40, 40, 2000), 5)
    cells = rng.permutation(np.concatenate([among[:500], others]))
    for ref in (np.unique(among), among, among[::-1], among[:1], among[:0]):
        np.testing.assert_array_equal(cells_in(cells, ref), np.isin(cells, ref))
    # above the largest and below the smallest member, and any shape
    edge = np.array([0, 1, np.iinfo("uint64").max], dtype="uint64")
    np.testing.assert_array_equal(cells_in(edge, among), np.isin(edge, among))
    grid = cells[:600].reshape(20, 30)
    np.testing.assert_array_equal(cells_in(grid, among), np.isin(grid, among))
    assert cells_in(cells[:0], among).shape == (0,)
