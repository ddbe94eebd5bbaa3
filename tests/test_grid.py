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
