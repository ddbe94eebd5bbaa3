"""Context layers and areas in the shapes real sources publish them, found wrong.

Found by probing: an Overpass API answer of harbours or lanes (OpenStreetMap) was refused as
a format GDAL does not know, with advice to name a driver; a Marine Regions EEZ split at the
antimeridian had the bbox of a band around the globe (a raster covering the whole EEZ was
said to cover 6 % of it); an area or a layer of an unknown type was told to "set format in
the config", which has no such setting for them; an unclosed ring was refused with a GEOS
message.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, box, mapping

from pipeline.area import read_area
from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import read_context

sys.path.insert(0, str(Path(__file__).parent))
from _rasters import write_tif  # noqa: E402


def _overpass(path: Path, elements: list[dict], **extra) -> Path:
    """Write an Overpass API ``[out:json]`` answer as the API returns it."""
    doc = {
        "version": 0.6,
        "generator": "Overpass API 0.7.62.1 084b4234",
        "osm3s": {
            "timestamp_osm_base": "2026-11-30T12:00:00Z",
            "copyright": "The data included in this document is from www.openstreetmap.org.",
        },
        "elements": elements,
        **extra,
    }
    path.write_text(json.dumps(doc, indent=1))
    return path


def test_an_overpass_answer_of_harbours_gives_nodes_and_way_centres(tmp_path):
    path = _overpass(
        tmp_path / "export.json",
        [
            {"type": "node", "id": 1, "lat": 51.95, "lon": 4.14, "tags": {"name": "Rotterdam"}},
            {
                "type": "way",
                "id": 2,
                "center": {"lat": 53.54, "lon": 9.98},
                "nodes": [5, 6, 7, 5],
                "tags": {"landuse": "port", "name": "Hamburg"},
            },
            {"type": "way", "id": 3, "nodes": [8, 9], "tags": {"name": "Antwerp"}},
        ],
    )
    res = read_context(path, "ports")
    assert res.n_read == 3
    assert list(res.frame["name"]) == ["Rotterdam", "Hamburg"]
    xy = shapely.get_coordinates(res.frame.geometry.to_numpy())
    np.testing.assert_allclose(xy, [[4.14, 51.95], [9.98, 53.54]])
    # the way without a centre is a reject naming the query clause that places it
    assert res.by_rule == {"geometry_missing": 1}
    assert "way/3" in res.rejects["value"].iloc[0]
    assert "out center" in res.rejects["value"].iloc[0]
    assert res.assumptions["crs"]["by"] == "format"


def test_overpass_lanes_are_split_where_a_bbox_query_left_nodes_out(tmp_path):
    path = _overpass(
        tmp_path / "tss.json",
        [
            {
                "type": "way",
                "id": 10,
                "geometry": [
                    {"lat": 51.0, "lon": 1.5},
                    {"lat": 51.1, "lon": 1.6},
                    None,  # `out geom(bbox)`: a node outside the box
                    {"lat": 51.3, "lon": 1.8},
                    {"lat": 51.4, "lon": 1.9},
                ],
                "tags": {"seamark:type": "separation_lane", "name": "Dover Strait"},
            },
            {"type": "way", "id": 11, "nodes": [1, 2], "tags": {"seamark:type": "separation_lane"}},
        ],
    )
    res = read_context(path, "lanes")
    assert res.n_read == 2 and len(res.frame) == 1
    lane = res.frame.geometry.iloc[0]
    # never drawn straight across the nodes left out
    assert lane.geom_type == "MultiLineString" and len(lane.geoms) == 2
    assert not lane.intersects(shapely.Point(1.7, 51.2).buffer(0.01))
    assert res.by_rule == {"geometry_missing": 1}
    assert "out geom" in res.rejects["value"].iloc[0]


def test_an_overpass_answer_cut_short_by_a_timeout_is_refused(tmp_path):
    path = _overpass(
        tmp_path / "ports.json",
        [{"type": "node", "id": 1, "lat": 51.95, "lon": 4.14, "tags": {"name": "Rotterdam"}}],
        remark='runtime error: Query timed out in "query" at line 3 after 26 seconds.',
    )
    with pytest.raises(InputError, match="cut short"):
        read_context(path, "ports")


def _fiji_eez(path: Path) -> Path:
    fiji = MultiPolygon([box(176, -20, 180, -15), box(-180, -20, -178, -15)])
    gpd.GeoDataFrame({"GEONAME": ["Fijian EEZ"]}, geometry=[fiji], crs="EPSG:4326").to_file(path)
    return path


def test_an_eez_split_at_the_antimeridian_has_a_box_across_it(tmp_path):
    from rasterio.transform import from_origin

    from pipeline.ingest.rasters import open_raster, raster_coverage

    area = read_area(None, _fiji_eez(tmp_path / "eez.gpkg"))
    assert area.bbox == (176.0, -20.0, -178.0, -15.0)
    # a raster (0..360 grid) covering the whole EEZ covers the area's box
    tif = tmp_path / "fiji.tif"
    write_tif(tif, np.ones((20, 20), dtype="float32"), from_origin(170, -8, 1, 1), nodata=-9999)
    cover = raster_coverage(open_raster(tif), area.bbox, max_pixels=10_000)
    assert cover["overlap_fraction"] == 1.0 and cover["note"] is None


def test_an_area_on_one_side_keeps_its_plain_box(tmp_path):
    path = tmp_path / "a.gpkg"
    parts = MultiPolygon([box(-170, 0, -160, 5), box(150, 0, 170, 5)])
    gpd.GeoDataFrame({"n": [1]}, geometry=[parts], crs="EPSG:4326").to_file(path)
    assert read_area(None, path).bbox == (150.0, 0.0, -160.0, 5.0)
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(-10, 0, 10, 5)], crs="EPSG:4326").to_file(path)
    assert read_area(None, path).bbox == (-10.0, 0.0, 10.0, 5.0)


def test_an_area_or_layer_of_an_unknown_type_is_not_told_to_set_a_format(tmp_path):
    wkt = tmp_path / "aoi.wkt"
    wkt.write_text("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))\n")
    with pytest.raises(SourceUnreadable, match="carries no CRS") as err:
        read_area(None, wkt)
    assert "set format" not in str(err.value)
    seq = tmp_path / "lanes.osm"
    seq.write_text("<osm/>")
    for call in (lambda: read_area(None, seq), lambda: read_context(seq, "lanes")):
        with pytest.raises(SourceUnreadable, match="unknown file type") as err:
            call()
        assert "set format" not in str(err.value)
    gz = tmp_path / "lanes.geojson.gz"
    gz.write_bytes(
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    )
    with pytest.raises(SourceUnreadable, match="decompress it") as err:
        read_context(gz, "lanes")
    assert "set format" not in str(err.value)


def test_an_area_ring_left_unclosed_is_refused_naming_the_ring(tmp_path):
    path = tmp_path / "aoi.geojson"
    ring = [[0, 0], [10, 0], [10, 10], [0, 10]]  # the first position not repeated
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    # GDAL's "Non closed ring detected" comes as a RuntimeWarning through pyogrio's handler,
    # or on stderr once another test of this process changed GDAL's handler: not the claim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(SourceUnreadable, match="ring is not closed"):
            read_area(None, path)


def test_a_web_mercator_geojson_with_a_legacy_crs_member_is_reprojected(tmp_path):
    # GeoServer and old GDAL write the 2008 "crs" member; RFC 7946 readers ignore it
    poly = gpd.GeoSeries([box(0, 40, 5, 45)], crs=4326).to_crs(3857).iloc[0]
    port = gpd.GeoSeries([shapely.Point(4.14, 51.95)], crs=4326).to_crs(3857).iloc[0]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    for name, geom in (("aoi.geojson", poly), ("ports.geojson", port)):
        feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": mapping(geom)}
        doc = {"type": "FeatureCollection", "crs": crs, "features": [feature]}
        (tmp_path / name).write_text(json.dumps(doc))
    area = read_area(None, tmp_path / "aoi.geojson")
    np.testing.assert_allclose(area.bbox, (0, 40, 5, 45), atol=1e-6)
    ports = read_context(tmp_path / "ports.geojson", "ports")
    np.testing.assert_allclose(shapely.get_coordinates(ports.frame.geometry), [[4.14, 51.95]])


def test_a_clockwise_area_and_a_kml_area_with_a_hole_enclose_what_they_draw(tmp_path):
    cw = {"type": "Polygon", "coordinates": [[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]]}
    feature = {"type": "Feature", "properties": {}, "geometry": cw}
    (tmp_path / "cw.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]})
    )
    assert read_area(None, tmp_path / "cw.geojson").polygon.area == pytest.approx(100.0)
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Placemark><name>AOI</name><Polygon><outerBoundaryIs><LinearRing>"
        "<coordinates>0,0,0 10,0,0 10,10,0 0,10,0 0,0,0</coordinates></LinearRing>"
        "</outerBoundaryIs><innerBoundaryIs><LinearRing><coordinates>2,2,0 2,8,0 8,8,0 8,2,0 "
        "2,2,0</coordinates></LinearRing></innerBoundaryIs></Polygon></Placemark></Document></kml>"
    )
    (tmp_path / "aoi.kml").write_text(kml)
    area = read_area(None, tmp_path / "aoi.kml")
    assert area.polygon.area == pytest.approx(64.0)
    assert not area.polygon.contains(shapely.Point(5, 5))


def test_world_port_index_dms_text_columns_are_read(tmp_path):
    path = tmp_path / "UpdatedPub150.csv"
    path.write_text(
        "World Port Index Number,Region Name,Main Port Name,UN/LOCODE,Country Code,"
        "Latitude,Longitude\n"
        '61090,Japan -- 61240,Kushiro,JP KUH,Japan,"42°59\'00""N","144°22\'00""E"\n'
        '15290,Brazil -- 15280,Santos,BR SSZ,Brazil,"23°57\'00""S","46°18\'00""W"\n'
        '99999,Unknown,Placeholder,,,"0°00\'00""N","0°00\'00""E"\n'
    )
    res = read_context(path, "ports")
    np.testing.assert_allclose(
        shapely.get_coordinates(res.frame.geometry),
        [[144 + 22 / 60, 42 + 59 / 60], [-(46 + 18 / 60), -(23 + 57 / 60)]],
    )
    assert list(res.frame["name"]) == ["Kushiro", "Santos"]
    assert res.by_rule == {"null_island": 1}


def _noaa_lanes(path: Path) -> Path:
    """NOAA's 'Shipping Fairways, Lanes, and Zones': polygons in NAD83, a THEMELAYER each."""
    zones = [box(-71.0, 40.0, -70.8, 41.0), box(-70.7, 40.0, -70.5, 41.0)]
    layer = gpd.GeoDataFrame(
        {"THEMELAYER": ["Traffic Lanes", "Traffic Separation Zones"], "OBJL": [148, 150]},
        geometry=zones,
        crs="EPSG:4269",
    )
    layer.to_file(path)
    return path


def test_lanes_given_as_areas_are_read_and_a_cell_inside_is_0_km_from_a_lane(tmp_path):
    import pandas as pd

    import pipeline.builtin_factors  # noqa: F401  (registers distance_to_lane_km)
    from pipeline.factors import FactorContext, InputsView, default_registry
    from pipeline.grid import points_to_cells
    from pipeline.render._payload import lanes_payload

    res = read_context(_noaa_lanes(tmp_path / "shippinglanes.shp"), "lanes")
    assert len(res.frame) == 2 and res.by_rule == {}
    assert any("0 km from the lane" in n for n in res.notes)
    cells = np.unique(points_to_cells(np.array([-70.9, -69.0]), np.array([40.5, 40.5]), 7))
    ctx = FactorContext(
        cells=cells,
        resolution=7,
        as_of=pd.Timestamp("2026-06-30", tz="UTC"),
        seizures=pd.DataFrame(),
        pings=pd.DataFrame(),
        context={"lanes": res.frame},
    )
    (factor,) = default_registry.resolve(
        ["distance_to_lane_km"], InputsView(needs=frozenset({"context:lanes"}))
    )
    lon, _ = ctx.cell_centres()
    km = dict(zip(np.round(lon).astype(int), factor.compute(ctx), strict=True))
    assert km[-71] == 0.0  # inside the traffic lane, not 8 km from its edge
    assert 100 < km[-69] < 200
    # the map draws them as outlines
    drawn = lanes_payload(res.frame)["geojson"]["features"]
    assert len(drawn) == 2 and {f["geometry"]["type"] for f in drawn} == {"LineString"}


def _lane_features(n: int) -> list[dict]:
    return [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[1.5, 51.0], [1.8, 51.2 + i / 10]]},
            "properties": {"@id": f"way/{i}", "seamark:type": "separation_lane"},
        }
        for i in range(n)
    ]


def test_an_osmium_geojson_sequence_is_read_and_one_cut_short_is_refused(tmp_path):
    # `osmium export -f geojsonseq`: a record separator before each Feature (RFC 8142)
    records = ["\x1e" + json.dumps(f) + "\n" for f in _lane_features(4)]
    good = tmp_path / "lanes.geojsonseq"
    good.write_text("".join(records))
    res = read_context(good, "lanes")
    assert res.n_read == 4 and len(res.frame) == 4
    records[3] = records[3][:40] + "\n"  # the export stopped mid-record
    cut = tmp_path / "cut.geojsonseq"
    cut.write_text("".join(records))
    # GDAL passes over the broken record without a word: 3 lanes of 4, unsaid
    with pytest.raises(SourceUnreadable, match="holds 4 records and 3"):
        read_context(cut, "lanes")


def test_an_error_page_saved_as_geojson_is_refused_without_gdal_driver_advice(tmp_path):
    # a WFS or Overpass error answer saved under the name the query asked for
    page = tmp_path / "lanes.geojson"
    page.write_text("<!DOCTYPE html><html><body><h1>504 Gateway Time-out</h1></body></html>")
    for call in (lambda: read_context(page, "lanes"), lambda: read_area(None, page)):
        with pytest.raises(SourceUnreadable, match="HTML page") as err:
            call()
        assert "prefixing" not in str(err.value)


_PORTS = [(-60.0, 10.5), (-70.2, 18.4), (-75.1, 20.0), (-61.5, 15.9), (-77.0, 25.1)]


def test_a_ports_layer_with_latitude_and_longitude_swapped_is_refused(tmp_path):
    """Written 'lat,lon' the other way round, every port lies at 60-77 S: each distance to
    a port was measured to the wrong side of the world, without a word."""
    from pipeline.ingest.context import check_ports_placement

    area = (-85.0, -10.0, 10.0, 45.0)
    right = tmp_path / "ports.csv"
    right.write_text(
        "name,lat,lon\n" + "".join(f"P{i},{y},{x}\n" for i, (x, y) in enumerate(_PORTS))
    )
    swapped = tmp_path / "swapped.csv"
    swapped.write_text(
        "name,lat,lon\n" + "".join(f"P{i},{x},{y}\n" for i, (x, y) in enumerate(_PORTS))
    )
    assert check_ports_placement(read_context(right, "ports"), area) == []
    with pytest.raises(InputError, match="swapped.csv: 5 of 5 positions lie outside"):
        check_ports_placement(read_context(swapped, "ports"), area)
    far = check_ports_placement(read_context(right, "ports"), (100.0, -10.0, 120.0, 10.0))
    assert far and "none of its 5 ports lies inside" in far[0]


def test_a_run_with_swapped_ports_stops_in_one_line(small_demo, tmp_path, capsys):
    from conftest import small_config

    from pipeline.cli import main

    ports = tmp_path / "ports.csv"
    ports.write_text(
        "name,lat,lon\n" + "".join(f"P{i},{x},{y}\n" for i, (x, y) in enumerate(_PORTS))
    )
    small_config(small_demo, tmp_path, inputs={"ports": str(ports)})
    assert main(["run", str(tmp_path / "c.yaml"), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "would lie inside with" in err[0], err
