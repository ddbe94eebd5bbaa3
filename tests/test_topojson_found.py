"""TopoJSON is read with its positions decoded, never its quantized integers as degrees.

Before: a TopoJSON written on one line (as ``topojson``/``mapshaper`` write it) saved as
``.json`` was taken for JSON records (its first line is a whole object that is no
Feature/FeatureCollection), its ``objects.<name>.geometries`` walked as an API answer and
each point's quantized ``coordinates`` ([50, 20] with ``transform.scale`` 1e-4 and
``translate`` [10, 1]) read as longitude 50, latitude 20: exit 0, every position wrong.  A
``.topojson`` file was refused as an unknown type.  Both now go to GDAL's TopoJSON driver,
which applies the transform; expected positions are computed here from the spec
(``q * scale + translate``).
"""

from __future__ import annotations

import json
import warnings

import pytest

from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._json import looks_like_json_records

SCALE, TRANSLATE = (0.0001, 0.0001), (10.0, 1.0)
QUANTIZED = [(50, 20), (70, 30), (120, 5)]


def _decoded() -> list[list[float]]:
    return [[q[0] * SCALE[0] + TRANSLATE[0], q[1] * SCALE[1] + TRANSLATE[1]] for q in QUANTIZED]


def _topology(properties: list[dict], quantized: bool = True) -> str:
    points = QUANTIZED if quantized else _decoded()
    geometries = [
        {"type": "Point", "coordinates": list(q), "properties": p}
        for q, p in zip(points, properties, strict=True)
    ]
    topo = {
        "type": "Topology",
        "objects": {"events": {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": [],
    }
    if quantized:
        topo["transform"] = {"scale": list(SCALE), "translate": list(TRANSLATE)}
    return json.dumps(topo, separators=(",", ":"))  # one line, as the tools write it


def _seizure_props() -> list[dict]:
    return [{"date": f"2024-03-0{i + 1}", "drug": "cocaine"} for i in range(len(QUANTIZED))]


def _positions(frame) -> list[list[float]]:
    return [[round(x, 9), round(y, 9)] for x, y in frame[["lon", "lat"]].to_numpy().tolist()]


def _expected() -> list[list[float]]:
    return [[round(x, 9), round(y, 9)] for x, y in _decoded()]


@pytest.mark.parametrize("suffix", [".json", ".topojson"])
def test_seizures_in_a_one_line_topojson_are_at_their_decoded_positions(tmp_path, suffix):
    path = tmp_path / f"events{suffix}"
    path.write_text(_topology(_seizure_props()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL's note on an open option is not the user's
        res = read_seizures(path)
    assert res.n_read == len(QUANTIZED) and not res.by_rule
    assert _positions(res.frame) == _expected()


def test_a_topojson_without_a_transform_keeps_its_positions(tmp_path):
    path = tmp_path / "events.json"
    path.write_text(_topology(_seizure_props(), quantized=False))
    assert _positions(read_seizures(path).frame) == _expected()


def test_pings_in_a_one_line_topojson_are_at_their_decoded_positions(tmp_path):
    props = [
        {"mmsi": "235000001", "time": f"2024-03-01T00:{10 * i:02d}:00Z", "sog": 5.0}
        for i in range(len(QUANTIZED))
    ]
    path = tmp_path / "pings.json"
    path.write_text(_topology(props))
    res = read_tracks(path)
    assert res.n_read == len(QUANTIZED)
    assert _positions(res.frame.sort_values("time")) == _expected()


@pytest.mark.parametrize(
    "kind",
    ["Topology", "GeometryCollection", "Point", "MultiPoint", "LineString", "Polygon"],
)
def test_a_one_line_geojson_or_topojson_object_is_not_records(kind):
    head = json.dumps({"type": kind, "coordinates": [1, 2], "geometries": []}).encode()
    assert not looks_like_json_records(head)


@pytest.mark.parametrize(
    "first",
    [
        {"type": "results", "data": [{"lat": 1, "lon": 2}]},
        {"type": "Point", "mmsi": "235000001", "lat": 1.5, "lon": 10.5},  # a record's type
    ],
    ids=["api-answer", "record-typed-point"],
)
def test_a_one_line_record_is_still_records(first):
    line = json.dumps(first)
    assert looks_like_json_records(f"{line}\n{line}\n".encode())


def test_json_lines_whose_records_have_a_geojson_word_as_type_are_read_as_records(tmp_path):
    lines = [
        {"type": "Point", "date": f"2024-03-0{i + 1}", "lat": 1.0 + i, "lon": 10.0 + i}
        for i in range(3)
    ]
    path = tmp_path / "events.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    res = read_seizures(path)
    assert _positions(res.frame) == [[10.0, 1.0], [11.0, 2.0], [12.0, 3.0]]
