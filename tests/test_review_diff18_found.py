"""Review of diff 18 (dates with offsets, compact dates, ais_coverage, one-line GeoJSON).

A JSON Lines file (an API's answer, one record a line) whose records carry a ``type`` field
holding a GeoJSON word (``{"type": "Point", "mmsi": ..., "lat": ..., "lon": ...}``) was sent
to GDAL once any one-line object with a GeoJSON ``type`` counted as GeoJSON: GDAL refused it
(``invalid Point object. Missing 'coordinates' member``), where it had been read as records.
A record is GeoJSON only when it has a member holding shapes (``coordinates``, ``geometry``,
``features``...).  A record whose ``type`` was a list raised TypeError (an unhashable set key).

A date column of zoned midnights (``2024-03-01T00:00:00+05:00``, as exports write a date
cell with its zone) beside a clock column (``10:00``) kept the midnight, 2024-02-29 19:00
UTC, and dropped every clock with only a note of '0 date(s) given their time of day': the
rule that takes a date column at midnight throughout for bare dates skipped zoned values,
as it measured midnight in UTC.  Midnight in the value's own zone is now a date of that
zone, as ``2024-03-01+05:00`` already was: 10:00 there is 05:00 UTC.
"""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from pipeline.ingest import read_seizures, read_tracks
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


@pytest.mark.parametrize(
    ("date", "clock", "expected"),
    [
        ("2024-03-01T00:00:00+05:00", "10:00", "2024-03-01T05:00:00+00:00"),
        ("2024-03-01T00:00:00 +05:00", "23:30", "2024-03-01T18:30:00+00:00"),
        ("2024-03-01T00:00:00+05:00", "10:00+05:00", "2024-03-01T05:00:00+00:00"),
        ("2024-03-01T00:00:00-05:00", "23:30", "2024-03-02T04:30:00+00:00"),
        ("2024-03-01T00:00:00Z", "10:00", "2024-03-01T10:00:00+00:00"),
        ("2024-03-01 00:00:00 UTC", "10:00Z", "2024-03-01T10:00:00+00:00"),
    ],
    ids=["plus5", "plus5-space", "plus5-twice", "minus5", "zulu", "utc-word"],
)
def test_zoned_midnights_take_their_clock_in_their_own_zone(tmp_path, date, clock, expected):
    path = tmp_path / "seizures.csv"
    path.write_text(
        "date,time,lat,lon,drug\n"
        + f"{date},{clock},10.0,60.0,cocaine\n"
        + f"{date.replace('03-01', '03-02')},{clock},10.1,60.1,heroin\n"
    )
    res = read_seizures(path)
    times = sorted(t.isoformat() for t in res.frame["time"])
    assert times[0] == expected
    assert not res.by_rule


def test_a_zoned_midnight_beside_a_clock_of_another_zone_is_refused(tmp_path):
    path = tmp_path / "seizures.csv"
    path.write_text(
        "date,time,lat,lon,drug\n"
        "2024-03-01T00:00:00+05:00,10:00+01:00,10.0,60.0,cocaine\n"
        "2024-03-02T00:00:00+05:00,10:00,10.1,60.1,heroin\n"
    )
    res = read_seizures(path)
    assert [t.isoformat() for t in res.frame["time"]] == ["2024-03-02T05:00:00+00:00"]
    assert dict(res.by_rule) == {"date_unparseable": 1}


def test_a_date_column_with_real_clocks_keeps_them(tmp_path):
    # not all at midnight in their zone: the values' own clocks stand, the column's unused
    path = tmp_path / "seizures.csv"
    path.write_text(
        "date,time,lat,lon,drug\n"
        "2024-03-01T00:00:00+05:00,10:00,10.0,60.0,cocaine\n"
        "2024-03-02T08:00:00+05:00,10:00,10.1,60.1,heroin\n"
    )
    times = sorted(t.isoformat() for t in read_seizures(path).frame["time"])
    assert times == ["2024-02-29T19:00:00+00:00", "2024-03-02T03:00:00+00:00"]


def test_pretty_printed_records_with_a_geometry_word_in_type_are_records(tmp_path):
    # an API answer of records, indented: its "type": "Point" fields had sent it to GDAL,
    # which refused it ('its content is not a file of this type')
    path = tmp_path / "pings.json"
    path.write_text(json.dumps({"vessels": _records("Point")}, indent=2))
    assert len(read_tracks(path).frame) == 10


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        {"type": "FeatureCollection", "features": []},
        {"type": "Topology", "objects": {}, "arcs": []},
    ],
    ids=["polygon", "collection", "topology"],
)
def test_pretty_printed_geojson_still_goes_to_gdal(obj):
    assert not looks_like_json_records(json.dumps(obj, indent=2).encode())


def test_real_solent_pings_with_a_zoned_midnight_date_and_a_clock_column(tmp_path, shared_data):
    """The Solent AIS file written as an export with ``Date`` (its day's midnight at
    +01:00) and ``Clock`` (local time): every ping had read 2016-01-11 23:00 UTC, and
    18,528 of the 18,623 were rejected as duplicates.  Now the same pings as the file's own
    UTC times."""
    src = shared_data / "tracks" / "SolentAIS_20160112_130211.csv"
    with open(src, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    local = pd.to_datetime([r[0] for r in body]) + pd.Timedelta(hours=1)
    path = tmp_path / "solent.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Date", "Clock", *header[1:]])
        dates = local.strftime("%Y-%m-%dT00:00:00+01:00")
        clocks = local.strftime("%H:%M:%S.%f").str[:-3]
        w.writerows([d, c, *r[1:]] for d, c, r in zip(dates, clocks, body, strict=True))
    got = read_tracks(path)
    want = read_tracks(src)
    assert len(got.frame) == len(want.frame) == 18619
    assert got.frame["time"].tolist() == want.frame["time"].tolist()
