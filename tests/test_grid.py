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
