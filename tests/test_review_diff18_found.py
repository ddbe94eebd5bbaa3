"""Review of diff 18 (dates with offsets, compact dates, ais_coverage, one-line GeoJSON).

A JSON Lines file (an API's answer, one record a line) whose records carry a ``type`` field
holding a GeoJSON word (``{"type": "Point", "mmsi": ..., "lat": ..., "lon": ...}``) was sent
to GDAL once any one-line object with a GeoJSON ``type`` counted as GeoJSON: GDAL refused it
(``invalid Point object. Missing 'coordinates' member``), where it had been read as records.
A record is GeoJSON only when it has a member holding shapes (``coordinates``, ``geometry``,
``features``...).  A record whose ``type`` was a list raised TypeError (an unhashable set key).
"""

from __future__ import annotations

import json

import pytest

from pipeline.ingest import read_tracks
from pipeline.ingest._json import looks_like_json_records


def _records(kind: str) -> list[dict]:
    return [
        {
            "type": kind,
            "mmsi": 235000001 + i % 2,
            "lat": 50.80 + i * 0.001,
            "lon": -1.30 + i * 0.001,
            "time": f"2016-01-12T13:{i:02d}:00Z",
        }
        for i in range(10)
    ]


@pytest.mark.parametrize("kind", ["Point", "Polygon", "Feature", "Topology"])
def test_json_lines_records_with_a_geojson_word_in_type_are_records(tmp_path, kind):
    path = tmp_path / "pings.json"
    path.write_text("\n".join(json.dumps(r) for r in _records(kind)) + "\n")
    res = read_tracks(path)
    assert len(res.frame) == 10
    assert sorted(res.frame["lat"].round(6).tolist()) == [
        round(50.80 + i * 0.001, 6) for i in range(10)
    ]


@pytest.mark.parametrize(
    "line",
    [
        '{"type": "Point", "coordinates": [1.0, 2.0]}',
        '{"type": "Feature", "geometry": null, "properties": {"a": 1}}',
        '{"type": "FeatureCollection", "features": []}',
        '{"type": "GeometryCollection", "geometries": []}',
        '{"type": "Topology", "objects": {}, "arcs": []}',
    ],
)
def test_a_one_line_geojson_or_topojson_object_still_goes_to_gdal(line):
    assert not looks_like_json_records(line.encode() + b"\n")


@pytest.mark.parametrize("kind", [["Point"], {"code": 1}], ids=["list", "object"])
def test_a_record_whose_type_is_a_list_or_object_is_records(kind):
    # a set lookup of an unhashable value raised TypeError: a traceback, not a read
    head = json.dumps({"type": kind, "mmsi": 1, "lat": 1.0, "lon": 2.0}).encode() + b"\n"
    assert looks_like_json_records(head)
