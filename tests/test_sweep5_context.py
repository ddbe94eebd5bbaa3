"""Context layers, area polygons and rasters read wrongly without a word: a hostile sweep.

Each input is written in ``tmp_path`` in the shape a real export takes (a GCP-georeferenced
scene, a multi-layer GeoPackage, a coastline given as the land layer...).
"""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.control import GroundControlPoint

from pipeline.area import read_area
from pipeline.errors import InputError
from pipeline.ingest import open_raster
from pipeline.ingest.options import RasterSource

# ----------------------------------------------------------------------------- rasters


def _plain_tif(path, gcps=None):
    """A 100 x 80 TIFF without a geotransform (a scene georeferenced by GCPs, or not at all)."""
    kwargs = {"gcps": gcps, "crs": "EPSG:4326"} if gcps else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(
            path, "w", driver="GTiff", width=100, height=80, count=1, dtype="float32", **kwargs
        ) as dst:
            dst.write(np.full((1, 80, 100), 5.0, "float32"))
    return path


@pytest.mark.parametrize("kind", ["gcps", "plain"])
def test_a_tiff_without_a_geotransform_is_refused_not_placed_at_0_0(tmp_path, kind):
    """A Sentinel-1-like GCP scene (or a TIFF that lost its .tfw) was read at pixel coordinates.

    GDAL's identity geotransform put it at 0..100°E, 0..80°N, one pixel a degree: an area in
    the Gulf of Guinea got its values, silently.
    """
    gcps = None
    if kind == "gcps":
        gcps = [
            GroundControlPoint(0, 0, -75, 15),
            GroundControlPoint(0, 100, -65, 15),
            GroundControlPoint(80, 0, -75, 7),
            GroundControlPoint(80, 100, -65, 7),
        ]
    path = _plain_tif(tmp_path / f"{kind}.tif", gcps)
    src = RasterSource(path=path, name="r", crs="EPSG:4326")
    with pytest.raises(InputError, match=r"has no geotransform") as err:
        open_raster(src)
    assert ("ground control points" in str(err.value)) == (kind == "gcps")
    # its world file places it: read
    path.with_suffix(".tfw").write_text("0.1\n0\n0\n-0.1\n-74.95\n14.95\n")
    da = open_raster(src)
    assert da.rio.bounds() == pytest.approx((-75.0, 7.0, -65.0, 15.0))


# ----------------------------------------------------------------------------- area polygon


def _feature_collection(path, geometries):
    features = [{"type": "Feature", "properties": {}, "geometry": g} for g in geometries]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


BOX = [[-72.0, 10.5], [-68.5, 10.5], [-68.5, 13.5], [-72.0, 13.5], [-72.0, 10.5]]


def test_an_area_geopackage_of_several_layers_is_refused_not_its_first_layer_read(tmp_path):
    """An EEZ-like GeoPackage (a small layer first) gave the area of its first layer, unsaid."""
    path = tmp_path / "eez.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.box(-60, 10.5, -58.5, 13.5)], crs=4326).to_file(
        path, layer="eez_24nm"
    )
    gpd.GeoDataFrame(geometry=[shapely.box(-72, 10.5, -68.5, 13.5)], crs=4326).to_file(
        path, layer="eez"
    )
    with pytest.raises(InputError, match=r"holds 2 layers \['eez_24nm', 'eez'\]"):
        read_area(None, path)


def test_an_area_polygon_invalid_beyond_repair_is_refused_and_a_self_touching_ring_is_read(
    tmp_path,
):
    """A hole drawn outside its shell gave 88 cells for the box's 84 (the 'hole' filled)."""
    hole_out = [BOX, [[-60.0, 10.0], [-59.0, 10.0], [-59.0, 11.0], [-60.0, 10.0]]]
    bowtie = [[[-72.0, 10.5], [-68.5, 13.5], [-68.5, 10.5], [-71.0, 13.5], [-72.0, 10.5]]]
    for name, rings, reason in [
        ("hole_out", hole_out, "Hole lies outside shell"),
        ("bowtie", bowtie, "Self-intersection"),
    ]:
        path = _feature_collection(tmp_path / f"{name}.geojson", [_polygon(rings)])
        with pytest.raises(InputError, match=rf"not a valid polygon \({reason}"):
            read_area(None, path)
    # an ESRI-style ring touching itself (an inverted hole) encloses the same as its repair
    ring = [[0, 0], [10, 0], [10, 10], [5, 10], [7, 5], [5, 3], [3, 5], [5, 10], [0, 10], [0, 0]]
    path = _feature_collection(tmp_path / "touch.geojson", [_polygon([ring])])
    area = read_area(None, path)
    assert area.polygon.is_valid and area.polygon.area == pytest.approx(shapely.Polygon(ring).area)
    assert not shapely.contains_xy(area.polygon, 5.0, 5.0)  # the inverted hole stays a hole


def _polygon(rings):
    return {"type": "Polygon", "coordinates": rings}


def test_an_area_in_degrees_beyond_90_or_of_lines_is_refused(tmp_path):
    """A lon/lat area reaching latitude 95 was read (bbox to 95°N, cells past the pole)."""
    beyond = [[[-72.0, 10.5], [-68.5, 10.5], [-68.5, 95.0], [-72.0, 95.0], [-72.0, 10.5]]]
    path = _feature_collection(tmp_path / "lat95.geojson", [_polygon(beyond)])
    with pytest.raises(InputError, match=r"latitudes reach 95, beyond ±90"):
        read_area(None, path)
    # a boundary drawn as a closed line: refused naming what it is, not "no area"
    line = {"type": "LineString", "coordinates": BOX}
    path = _feature_collection(tmp_path / "ring.geojson", [line])
    with pytest.raises(InputError, match=r"are LineString, not polygons \(a closed line"):
        read_area(None, path)


# ----------------------------------------------------------------------------- context layers


def test_a_layer_in_epsg_4326_with_impossible_degrees_rejects_those_features(tmp_path):
    """With crs: EPSG:4326 set (or declared by the file) nothing was range-checked.

    A port at latitude 95 or longitude 200 was accepted (a point mirrored over the pole), while
    the same CSV without crs rejected them.
    """
    from pipeline.ingest import read_context

    path = tmp_path / "ports.csv"
    path.write_text("name,lat,lon\nWillemstad,12.1,-68.93\nB,12.2,200\nC,95,10\n")
    res = read_context(path, "ports", crs="EPSG:4326")
    assert res.frame["name"].tolist() == ["Willemstad"]
    assert res.rejects[["row", "rule"]].values.tolist() == [
        [3, "lon_out_of_range"],
        [4, "lat_out_of_range"],
    ]
    lanes = gpd.GeoDataFrame(
        {"name": ["pacific", "beyond"]},
        geometry=[
            shapely.LineString([(170, 40), (190, 42)]),  # past 180 across the antimeridian: fine
            shapely.LineString([(10, 80), (12, 91)]),
        ],
        crs="EPSG:4326",
    )
    lanes.to_file(tmp_path / "lanes.gpkg")
    res = read_context(tmp_path / "lanes.gpkg", "lanes")
    assert res.frame["name"].tolist() == ["pacific"]
    assert res.by_rule == {"lat_out_of_range": 1}


def test_a_coastline_given_as_the_land_layer_measures_the_distance_to_the_coast(tmp_path):
    """Natural Earth's coastline (lines) as `land` was rejected whole, unsaid in the run.

    Every feature went to the rejects as geometry_wrong_type, the run went on, and the
    weighted distance_to_coast_km factor was missing in every cell; the config's own text
    says a coastline is accepted for the distance to the coast.
    """
    from pipeline.builtin_factors import distance_to_features_km
    from pipeline.ingest import read_context

    island = shapely.Polygon([(-70.2, 12.4), (-69.8, 12.4), (-69.8, 12.7), (-70.2, 12.7)])
    coast = {"type": "LineString", "coordinates": [list(c) for c in island.exterior.coords]}
    res = read_context(_feature_collection(tmp_path / "coastline.geojson", [coast]), "land")
    assert len(res.frame) == 1 and not len(res.rejects)
    assert any("holds lines (a coastline)" in n for n in res.notes)
    lon, lat = np.array([-71.0, -69.0, -70.0]), np.array([12.5, 12.0, 13.5])
    got = distance_to_features_km(lon, lat, res.frame.geometry.to_numpy())
    want = distance_to_features_km(lon, lat, [island])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert (got > 40).all()


def test_an_8_bit_raster_with_an_undeclared_255_fill_is_refused_not_averaged(tmp_path):
    """Tree cover 0..100 % with 255 over the sea, no nodata declared: cells read 255 %.

    A 0/255 mask and an image whose values reach 254 keep 255 as a value.
    """
    from _rasters import write_tif
    from rasterio.transform import from_origin

    from pipeline.ingest import raster_coverage

    cover = (np.arange(100)[None, :] % 101 * np.ones((80, 1))).astype("uint8")
    cover[:, 60:] = 255
    bbox = (-75.0, 7.0, -65.0, 15.0)
    path = write_tif(tmp_path / "cover.tif", cover, from_origin(-75, 15, 0.1, 0.1), dtype="uint8")
    with pytest.raises(InputError, match=r"hold 255, the largest uint8 value.*stop at 59"):
        raster_coverage(open_raster(path), bbox)
    declared = RasterSource(path=path, name="r", nodata=255)
    assert raster_coverage(open_raster(declared), bbox)["valid_fraction_in_area"] == 0.6
    for name, values in [
        ("mask", np.where(cover == 255, 255, 0)),
        ("image", np.where(cover == 255, 255, np.minimum(cover * 5, 254))),  # to 254
    ]:
        path = write_tif(
            tmp_path / f"{name}.tif", values, from_origin(-75, 15, 0.1, 0.1), dtype="uint8"
        )
        assert raster_coverage(open_raster(path), bbox)["valid_fraction_in_area"] == 1.0


def test_a_world_port_index_port_is_named_by_its_main_port_name(tmp_path):
    # 'Region Name' came first and won by its 'name' token: every port was named after its
    # region ('Curacao -- 9270'); the region, country or sea a port lies in is not its name
    from pipeline.ingest import read_context

    path = tmp_path / "UpdatedPub150.csv"
    path.write_text(
        "World Port Index Number,Region Name,Country Name,Main Port Name,Alternate Port Name,"
        "Latitude,Longitude\n"
        "1,Curacao -- 9270,Curacao,Willemstad,,12.1,-68.93\n"
        "2,Netherlands -- 29750,Netherlands,Rotterdam,,51.9,4.1\n"
    )
    res = read_context(path, "ports")
    assert res.frame["name"].tolist() == ["Willemstad", "Rotterdam"]
    assert res.assumptions["columns"]["name"]["column"] == "Main Port Name"


def test_un_locode_coordinates_are_read(tmp_path):
    # UN/LOCODE writes 12°06'N 68°56'W as '1206N', '06856W': read as 1206 degrees, refused as
    # 'projected?'; ship logs write 0115.5N (degrees, minutes.m) and 011530N (d, m, s)
    from pipeline.ingest import read_context

    path = tmp_path / "locode.csv"
    path.write_text("Name,Lat,Lon\nWillemstad,1206N,06856W\nSingapore,0117N,10350E\n")
    res = read_context(path, "ports")
    assert res.by_rule == {}
    assert res.frame.geometry.y.round(6).tolist() == [12.1, 1.283333]
    assert res.frame.geometry.x.round(6).tolist() == [-68.933333, 103.833333]
