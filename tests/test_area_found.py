"""Area polygons and context layers that crossed the antimeridian or a pole, found wrong.

Found by a hostile sweep: a Pacific area written with longitudes to 184° dropped every
record east of 180° as outside_aoi; the same area saved in UTM zone 60S became a band
around the globe; a polar polygon became one cell; a trans-Pacific lane put the whole globe
within 13 km of a lane; a port at 0°, 0° was accepted.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import schema as S
from pipeline.area import read_area, region_cells
from pipeline.errors import InputError
from pipeline.ingest._common import in_bbox

NONE = pd.DataFrame({S.LON: [], S.LAT: []})
FIJI = [(174.0, -22.0), (184.0, -22.0), (184.0, -12.0), (174.0, -12.0)]


def _geojson(path, rings):
    geometry = (
        {"type": "Polygon", "coordinates": [[*map(list, rings[0]), list(rings[0][0])]]}
        if len(rings) == 1
        else {
            "type": "MultiPolygon",
            "coordinates": [[[*map(list, r), list(r[0])]] for r in rings],
        }
    )
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": geometry}],
    }
    path.write_text(json.dumps(doc))
    return path


def _cells(path, resolution=3):
    return region_cells(read_area(None, path), NONE, NONE, resolution, 0.0)


@pytest.fixture(scope="module")
def split_cells(tmp_path_factory):
    """The Fiji box split at 180° as RFC 7946 asks: the reference."""
    west = [(174.0, -22.0), (180.0, -22.0), (180.0, -12.0), (174.0, -12.0)]
    east = [(-180.0, -22.0), (-176.0, -22.0), (-176.0, -12.0), (-180.0, -12.0)]
    path = _geojson(tmp_path_factory.mktemp("a") / "split.geojson", [west, east])
    cells = _cells(path)
    assert len(cells) > 50
    return cells


def test_longitudes_past_180_are_the_same_area_as_the_split_polygon(tmp_path, split_cells):
    path = _geojson(tmp_path / "lon184.geojson", [FIJI])
    area = read_area(None, path)
    assert np.array_equal(_cells(path), split_cells)
    # a record at 177°W is inside the area, not outside_aoi
    assert shapely.contains_xy(area.polygon, -177.0, -17.0)
    # the box crosses 180° (lon_min > lon_max) and holds 177°W as the readers test it
    assert in_bbox(np.array([-177.0]), np.array([-17.0]), area.bbox).all()


def test_a_projected_area_across_the_antimeridian_is_not_a_band_around_the_globe(
    tmp_path, split_cells
):
    ring = shapely.segmentize(shapely.Polygon(FIJI), 0.5)
    lonlat = gpd.GeoSeries(
        [
            shapely.transform(
                ring, lambda xy: np.column_stack([(xy[:, 0] + 180) % 360 - 180, xy[:, 1]])
            )
        ],
        crs="EPSG:4326",
    )
    # the GIS user's file: the box in UTM 60S, built from wrapped lon/lat vertices
    utm = gpd.GeoSeries(
        [shapely.Polygon(np.asarray(lonlat.to_crs("EPSG:32760").iloc[0].exterior.coords))],
        crs="EPSG:32760",
    )
    path = tmp_path / "utm60s.gpkg"
    gpd.GeoDataFrame(geometry=utm).to_file(path)
    got = _cells(path)
    # the same cells as the lon/lat box, give or take the cells its reprojected edges touch
    assert len(np.setxor1d(got, split_cells)) <= 0.05 * len(split_cells)
    assert read_area(None, path).polygon.bounds[1] > -23  # not a global band


def test_a_polygon_around_a_pole_is_refused_not_one_cell(tmp_path):
    lon = np.linspace(0, 360, 73)[:-1]
    cap = gpd.GeoSeries(
        [shapely.Polygon(np.column_stack([lon, np.full(lon.size, 70.0)]))], crs="EPSG:4326"
    )
    polar = tmp_path / "arctic_3413.gpkg"
    gpd.GeoDataFrame(geometry=cap.to_crs("EPSG:3413")).to_file(polar)
    with pytest.raises(InputError, match="around a pole"):
        read_area(None, polar)
    # in lon/lat the same ring lies on one latitude: no area at all
    flat = _geojson(tmp_path / "ring.geojson", [[(x - 180.0, 70.0) for x in lon]])
    with pytest.raises(InputError, match="encloses no area"):
        read_area(None, flat)
    # a polar cap drawn as the lon/lat box it is stays the cap
    box = _geojson(
        tmp_path / "box.geojson", [[(-180.0, 60.0), (180.0, 60.0), (180.0, 90.0), (-180.0, 90.0)]]
    )
    assert len(_cells(box, 2)) > 100


def test_a_lane_across_the_antimeridian_is_near_only_to_itself():
    from pipeline.builtin_factors import distance_to_features_km

    lane = shapely.LineString([(139.6, 35.4), (170, 40), (179.5, 42), (-179.5, 42), (-118.3, 33.7)])
    km = distance_to_features_km([-30.0, 50.0, 180.0, -179.9], [47.0, 42.0, 42.0, 42.0], [lane])
    assert km[0] > 5000 and km[1] > 5000  # mid-Atlantic, Caspian: before, 13 km and 8 km
    assert km[2] < 1.2 and km[3] < 1.2  # on the lane: before, 32 km


def test_a_port_at_null_island_is_rejected(tmp_path):
    from pipeline.ingest import read_context

    path = tmp_path / "ports.csv"
    path.write_text("name,lat,lon\nLome,6.13,1.28\nunknown,0,0\nTema,5.63,0.01\n")
    res = read_context(path, kind="ports")
    assert res.frame["name"].tolist() == ["Lome", "Tema"]
    assert res.rejects[["row", "rule"]].values.tolist() == [[3, "null_island"]]


def test_a_hole_east_of_180_stays_a_hole(tmp_path):
    """Found by a review: a projected area across 180° lost a hole lying east of 180°."""
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32660", always_xy=True)  # meridian 177°E

    def ring(points):
        x, y = to_utm.transform(*np.asarray(points, dtype=float).T)
        return list(zip(x, y, strict=True))

    shell = ring([(175, 10), (183, 10), (183, 20), (175, 20)])
    hole = ring([(180.5, 14), (182, 14), (182, 16), (180.5, 16)])
    path = tmp_path / "aoi.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Polygon(shell, [hole])], crs="EPSG:32660").to_file(path)
    area = read_area(None, path).polygon
    assert not shapely.contains_xy(area, -179.0, 15.0)  # in the hole
    assert shapely.contains_xy(area, 176.0, 12.0) and shapely.contains_xy(area, -178.0, 18.0)
