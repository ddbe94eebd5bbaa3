"""Mutation pass on the context layers (``ingest/context.py``): second round, gaps found.

Each test kills a mutant the suite let live; the expected rows and rules are read off the
tiny files written here (a CSV's first data line is line 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_context


def _csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rejects(res) -> list[tuple[int, str]]:
    return sorted(zip(res.rejects["row"].astype(int), res.rejects["rule"], strict=True))


def test_ports_half_of_them_beyond_90_degrees_are_read_as_degrees_not_refused(tmp_path):
    # 'mostly outside degree ranges' is more than half: one port of two at latitude 95 is
    # a bad row in a degrees file (rejected), not a projected file to refuse
    path = _csv(tmp_path / "ports.csv", "name,lat,lon", "A,51.9,4.1", "B,95.0,4.1")
    res = read_context(path, "ports")
    assert res.frame["name"].tolist() == ["A"]
    assert _rejects(res) == [(3, "lat_out_of_range")]
    assert res.assumptions["crs"]["by"] == "default"
    # two of three beyond: projected, refused with one line
    path = _csv(tmp_path / "proj.csv", "name,lat,lon", "A,51.9,4.1", "B,95,4", "C,5000,4")
    with pytest.raises(InputError, match="mostly outside degree ranges"):
        read_context(path, "ports")


def _geojson(path: Path, *geoms: dict) -> Path:
    feats = [{"type": "Feature", "properties": {}, "geometry": g} for g in geoms]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


_SQUARE = {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]]}
_LINE = {"type": "LineString", "coordinates": [[3, 3], [4, 4]]}


def test_a_land_layer_of_polygons_and_a_coastline_line_still_knows_its_land(tmp_path):
    # one polygon is enough for cells on land to be known: no 'coastline only' note
    res = read_context(_geojson(tmp_path / "land.geojson", _SQUARE, _LINE), "land")
    assert len(res.frame) == 2 and "land" not in res.assumptions
    assert not any("holds lines (a coastline)" in n for n in res.notes)
    lines = read_context(_geojson(tmp_path / "coast.geojson", _LINE), "land")
    assert lines.assumptions["land"] == "coastline lines only: land cells are not known"


def test_a_projected_land_polygon_is_not_unwrapped_as_degrees(tmp_path):
    # metres of EPSG:3857: vertex steps of 2,000 km are no crossings of 180 degrees
    from pyproj import Transformer

    ring = [[-1e6, -1e6], [1e6, -1e6], [1e6, 1e6], [-1e6, 1e6], [-1e6, -1e6]]
    path = tmp_path / "land.geojson"
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    path.write_text(json.dumps(doc))
    res = read_context(path, "land")
    to_deg = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    lon, lat = to_deg.transform(1e6, 1e6)
    assert res.frame.geometry.iloc[0].bounds == pytest.approx((-lon, -lat, lon, lat), abs=1e-6)


def test_a_lane_with_one_vertex_beyond_its_projection_is_rejected_whole(tmp_path):
    # UTM 31N: (1e9, 1e9) m cannot be placed (pyproj gives inf, inf); the lane's bounds are
    # then finite on one side only, and the lane was kept with an infinite vertex
    path = _csv(
        tmp_path / "lanes.csv",
        "name,wkt",
        '"ok","LINESTRING (500000 5000000, 510000 5010000)"',
        '"far","LINESTRING (500000 5000000, 1000000000 1000000000)"',
    )
    res = read_context(path, "lanes", crs="EPSG:32631")
    assert res.frame["name"].tolist() == ["ok"]
    assert _rejects(res) == [(3, "coord_out_of_crs")]


def test_an_overpass_closed_way_of_three_nodes_is_a_line_not_a_failed_polygon(tmp_path):
    # a ring needs four positions with its closing one: A-B-A is a line there and back
    way = {
        "type": "way",
        "id": 7,
        "tags": {"natural": "coastline"},
        "geometry": [{"lat": 0.0, "lon": 1.0}, {"lat": 1.0, "lon": 1.0}, {"lat": 0.0, "lon": 1.0}],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"version": 0.6, "elements": [way]}))
    res = read_context(path, "land")
    assert res.n_read == 1 and res.frame.geom_type.tolist() == ["LineString"]


def test_a_rejected_collection_is_not_counted_as_a_repaired_geometry(tmp_path):
    # an invalid polygon (a bow tie) inside a collection: the collection is the wrong type
    # for land and rejected, so nothing was repaired
    bow = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    collection = {"type": "GeometryCollection", "geometries": [bow]}
    res = read_context(_geojson(tmp_path / "land.geojson", _SQUARE, collection), "land")
    assert _rejects(res) == [(2, "geometry_wrong_type")]
    assert "repaired_geometries" not in res.assumptions
    assert not any("repaired" in n for n in res.notes)
