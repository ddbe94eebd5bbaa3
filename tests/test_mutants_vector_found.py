"""Gaps found by a second hand mutation analysis of vector-layer reading (hGU).

Each test kills a mutant of ``pipeline/ingest/_vector.py`` (layer choice, KML fields and
times) or of the geometry step that reads its layers (``seizures._points_from_geometry``,
the file's CRS against the config's) that the suite let live.  Files are written here with
geopandas/pyogrio from hand-made geometries or as KML text; expected positions come from
shapely and pyproj in the test, never from the code under test.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pyproj import Transformer
from shapely.geometry import MultiPoint, Point

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_seizures
from pipeline.ingest._vector import read_vector, spatial_layer
from pipeline.ingest.seizures import SeizureSource

_BASE = {
    "date": ["2023-05-01", "2023-05-02"],
    "commodity": ["cocaine", "heroin"],
    "quantity_kg": [10.0, 5.0],
}


def _gpkg(path: Path, geoms: list, crs: str | None = "EPSG:4326", layer: str = "s") -> Path:
    frame = gpd.GeoDataFrame(_BASE, geometry=geoms, crs=crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty point: GDAL's note on writing it
        frame.to_file(path, layer=layer, driver="GPKG")
    return path


def _read(path: Path, **kw):
    return read_seizures(SeizureSource(path=path, **kw), as_of="2024-01-01")


# ---------------------------------------------------------------------- layer choice


def test_two_layers_of_points_beside_a_style_table_are_refused_not_one_picked(tmp_path):
    # QGIS' layer_styles is passed over only beside ONE layer of geometries: beside two,
    # reading the first (with a note) dropped the second layer's records
    path = tmp_path / "two_styled.gpkg"
    _gpkg(path, [Point(-75.5, 10.2), Point(-76.0, 11.0)], layer="seizures_2023")
    _gpkg(path, [Point(-70.0, 12.0), Point(-71.0, 13.0)], layer="seizures_2024")
    pyogrio.write_dataframe(pd.DataFrame({"styleName": ["s"]}), path, layer="layer_styles")
    for records in (True, False):
        assert spatial_layer(str(path), "gpkg", path.name, None, records=records) == (None, None)
    with pytest.raises(SourceUnreadable, match=r"holds 3 layers .*seizures_2023.*seizures_2024"):
        read_vector(str(path), path.name, "gpkg")


# ---------------------------------------------------------------------- geometries


def test_a_multipoint_of_two_places_is_rejected_not_read_as_its_first(tmp_path):
    # a MultiPoint of one part is that point; one of two parts 300 km apart is no position
    path = _gpkg(
        tmp_path / "mp.gpkg",
        [MultiPoint([(-75.5, 10.2)]), MultiPoint([(-75.0, 10.0), (-72.5, 11.0)])],
    )
    res = _read(path)
    assert res.n_read == 2 and len(res.frame) == 1 and len(res.rejects) == 1
    assert res.frame["lon"].tolist() == [-75.5] and res.frame["lat"].tolist() == [10.2]
    rej = res.rejects.iloc[0]
    assert (rej["rule"], int(rej["row"]), rej["value"]) == ("geometry_not_point", 2, "MultiPoint")


def test_an_empty_point_is_a_missing_geometry_at_its_row(tmp_path):
    path = _gpkg(tmp_path / "empty.gpkg", [Point(-75.5, 10.2), Point()])
    res = _read(path)
    assert res.n_read == 2 and len(res.frame) == 1
    assert res.rejects[["rule", "row"]].to_dict("records") == [
        {"rule": "geometry_missing", "row": 2}
    ]


def test_a_crs_the_file_declares_wins_over_the_configs(tmp_path):
    utm = [Point(500_000.0, 1_000_000.0), Point(510_000.0, 1_010_000.0)]
    path = _gpkg(tmp_path / "utm.gpkg", utm, crs="EPSG:32618")
    res = _read(path, crs="EPSG:4326")
    to_wgs84 = Transformer.from_crs("EPSG:32618", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform([p.x for p in utm], [p.y for p in utm])
    assert res.frame["lon"].to_numpy() == pytest.approx(lon, abs=1e-9)
    assert res.frame["lat"].to_numpy() == pytest.approx(lat, abs=1e-9)
    assert any("file declares a CRS; config crs 'EPSG:4326' ignored" in n for n in res.notes)


# ---------------------------------------------------------------------- KML


def _kml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.kml"
    path.write_text(
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        + body
        + "</Document></kml>",
        encoding="utf-8",
    )
    return path


_AT = "<coordinates>{}</coordinates>"


def _mark(name: str, extra: str, point: str) -> str:
    return f"<Placemark><name>{name}</name>{extra}<Point>{point}</Point></Placemark>"


def test_kml_styling_fields_are_no_columns(tmp_path):
    point = "<extrude>1</extrude><altitudeMode>absolute</altitudeMode><coordinates>-75.5,10.2,0"
    path = _kml(tmp_path, _mark("A", "", point + "</coordinates>"))
    raw, geoms, _ = read_vector(str(path), path.name, "kml")
    assert geoms is not None and len(raw) == 1
    assert not {"altitudeMode", "extrude", "tessellate", "visibility"} & set(raw.columns)


def test_a_kml_end_date_is_not_taken_for_a_placemarks_missing_time(tmp_path):
    # 'date' fills a placemark without TimeStamp; 'end date' is qualified and is no candidate
    data = '<ExtendedData><Data name="date"><value>{}</value></Data>'
    data += '<Data name="end date"><value>{}</value></Data></ExtendedData>'
    when = "<TimeStamp><when>2023-05-01T10:00:00Z</when></TimeStamp>"
    path = _kml(
        tmp_path,
        _mark("A", when + data.format("2023-06-01", "2023-07-01"), _AT.format("-75.5,10.2"))
        + _mark("B", data.format("2023-06-02", "2023-07-02"), _AT.format("-76,11")),
    )
    raw, _, _ = read_vector(str(path), path.name, "kml")
    assert raw["timestamp"].tolist() == ["2023-05-01T10:00:00Z", "2023-06-02"]


def test_a_kml_with_an_empty_folder_beside_a_network_link_reads_its_placemark(tmp_path):
    # refused only when it holds no placemark of its own: an empty folder is no such file
    path = _kml(
        tmp_path,
        "<Folder><name>empty</name></Folder><Folder><name>mine</name>"
        + _mark("A", "", _AT.format("-75.5,10.2"))
        + "</Folder><NetworkLink><name>feed</name>"
        "<Link><href>https://example.org/feed.kml</href></Link></NetworkLink>",
    )
    raw, geoms, _ = read_vector(str(path), path.name, "kml")
    assert raw["Name"].tolist() == ["A"] and raw["folder"].tolist() == ["mine"]
    assert geoms is not None and (geoms[0].x, geoms[0].y) == (-75.5, 10.2)


def test_a_kml_time_span_with_its_end_only_is_that_moment(tmp_path):
    span = "<TimeSpan><end>2021-03-02T10:00:00Z</end></TimeSpan>"
    begun = "<TimeSpan><begin>2021-03-01T08:00:00Z</begin></TimeSpan>"
    path = _kml(
        tmp_path,
        _mark("A", span, _AT.format("-75.5,10.2")) + _mark("B", begun, _AT.format("-76,11")),
    )
    raw, _, _ = read_vector(str(path), path.name, "kml")
    assert raw["timestamp"].tolist() == ["2021-03-02T10:00:00Z", "2021-03-01T08:00:00Z"]
