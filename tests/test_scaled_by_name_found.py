"""Coordinate columns whose names state their scale (``latitudeE7``) are read in degrees.

Google's Location History export (``Records.json``: ``latitudeE7``/``longitudeE7``), trackers'
and web APIs' ``lat_e6`` columns were refused as holding "scaled whole numbers, not degrees",
though the header says which scale: both names saying degrees x 10^k are now read as
value / 10^k, stated in a note.  Only plain numbers are read there (degree text in such a
column is rejected as unparseable), a value beyond the globe after scaling is rejected as any
other is, and one name alone saying a scale is not taken as the pair's scale.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _corpus import assert_accounted, write_lines

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks

LAT = [51.5074, 51.5084, 51.5094, -33.8688]
LON = [-0.1278, -0.1268, -0.1258, 151.2093]


def _records_json(path):
    times = ["2024-03-01T10:00:00.000Z", "2024-03-01T10:05:00Z", "2024-03-01T10:10:00Z"]
    rows = [
        {
            "latitudeE7": round(la * 1e7),
            "longitudeE7": round(lo * 1e7),
            "accuracy": 12,
            "timestamp": t,
            "deviceTag": -1849284,
        }
        for la, lo, t in zip(LAT[:3], LON[:3], times, strict=True)
    ]
    path.write_text(json.dumps({"locations": rows}))
    return path


def test_a_location_history_export_is_read_in_degrees(tmp_path):
    res = read_tracks(_records_json(tmp_path / "Records.json"))
    assert_accounted(res)
    assert len(res.frame) == 3
    # in the file's order: the pings of one device, five minutes apart
    np.testing.assert_allclose(res.frame["lat"], LAT[:3], rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.frame["lon"], LON[:3], rtol=0, atol=1e-12)
    assert any("degrees x 10^7, as their names say" in n for n in res.notes)


@pytest.mark.parametrize(
    ("lat_col", "lon_col", "k"),
    [
        ("lat_e6", "lon_e6", 6),
        ("LatitudeE7", "LongitudeE7", 7),
        ("lat_microdeg", "lon_microdeg", 6),
    ],
    ids=["e6", "E7", "microdeg"],
)
def test_seizures_with_scaled_columns_are_read_in_degrees(tmp_path, lat_col, lon_col, k):
    lines = [f"date,{lat_col},{lon_col},drug"]
    for i, (la, lo) in enumerate(zip(LAT, LON, strict=True)):
        lines.append(f"2024-03-0{i + 1},{round(la * 10**k)},{round(lo * 10**k)},cocaine")
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert_accounted(res)
    np.testing.assert_allclose(res.frame["lat"], LAT, rtol=0, atol=10.0**-k)
    np.testing.assert_allclose(res.frame["lon"], LON, rtol=0, atol=10.0**-k)


def test_text_and_values_off_the_globe_in_a_scaled_column_are_rejected(tmp_path):
    lines = [
        "date,lat_e7,lon_e7,drug",
        "2024-03-01,515074000,-1278000,cocaine",
        "2024-03-02,51°30'N,-1278000,cocaine",  # degree text: no value of the column's unit
        "2024-03-03,915074000,-1278000,cocaine",  # 91.5°: off the globe
        "2024-03-04,,-1278000,cocaine",
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert_accounted(res)
    assert res.frame["lat"].tolist() == [51.5074]
    rules = dict(zip(res.rejects["row"], res.rejects["rule"], strict=True))
    assert rules[3] == "coord_unparseable"
    assert rules[5] == "coord_missing"
    assert 4 in rules and rules[4] not in {"coord_unparseable", "coord_missing"}


def test_one_name_alone_saying_a_scale_is_not_the_pairs_scale(tmp_path):
    lines = ["date,latitudeE7,lon,drug"]
    for i, (la, lo) in enumerate(zip(LAT, LON, strict=True)):
        lines.append(f"2024-03-0{i + 1},{round(la * 1e7)},{lo},cocaine")
    # read as before: never one axis divided and the other not
    with pytest.raises(InputError, match="not degrees|no degree value|scaled"):
        read_seizures(write_lines(tmp_path / "s.csv", lines))


def test_a_scaled_track_file_read_in_blocks_reads_as_whole(tmp_path):
    from pipeline.ingest.stream import spill_tracks

    lines = ["mmsi,timestamp,latitudeE7,longitudeE7"]
    for i in range(60):
        lines.append(f"24700000{i % 2},2024-03-01T10:{i:02d}:00Z,{515074000 + i * 1000},-1278000")
    path = write_lines(tmp_path / "t.csv", lines)
    whole = read_tracks(path)
    blocks = spill_tracks(path, tmp_path / "s", chunk_rows=16, n_buckets=2)
    assert blocks.n_accepted == len(whole.frame) == 60
    note = [n for n in blocks.notes if "as their names say" in n]
    assert len(note) == 1 and note == [n for n in whole.notes if "as their names say" in n]
    assert whole.frame["lat"].max() == pytest.approx(51.5074 + 59 * 1e-4, abs=1e-12)
