"""Tables without a header line: the first line is a record, not the columns' names.

Headerless exports are common among track and incident files: the T-Drive taxi files
(``1,2008-02-02 15:36:08,116.51172,39.92123``), loggers' and scripts' dumps.  Read as the
header, the first record was lost with no reject (50 records: "read 49, accepted 49",
exit 0) and its values became column names.  It is now read as a record, the columns are
named ``field_1``, ``field_2``, ... (a note and a ``header_line`` assumption say so), and
every physical line number stays what it is in the file, read whole, in chunks or as
partitions.  Real headers (names over the columns, a blank name over an index, numbers
only where the column below holds text) keep their reading.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from pipeline.engine import LocalEngine
from pipeline.ingest import SeizureSource, TrackSource, read_seizures, read_tracks, write_rejects
from pipeline.ingest._common import header_for_records
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned


def _seizure_lines(n: int = 12) -> list[str]:
    return [
        f"2020-01-{1 + k:02d} 10:{k:02d}:00,{100 + k / 7:.5f},{10 + k / 9:.5f},cocaine,MV Alpha {k}"
        for k in range(n)
    ]


def test_a_headerless_seizure_file_keeps_its_first_record(tmp_path):
    lines = _seizure_lines()
    lines[4] = "2020-01-05 10:04:00,100.5,10.4"  # a ragged record on physical line 5
    path = tmp_path / "nohdr.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = read_seizures(path)
    assert res.n_read == 12 and len(res.frame) == 11
    assert res.frame["lat"].iloc[0] == pytest.approx(10.0)  # the first line is a record
    assert res.frame["lon"].iloc[0] == pytest.approx(100.0)
    assert list(res.rejects["row"]) == [5] and list(res.rejects["rule"]) == ["ragged_row"]
    assert str(res.assumptions["header_line"]).startswith("none")
    assert any("no header line" in n and "field_1" in n for n in res.notes)


def test_a_mapping_names_the_columns_of_a_headerless_file(tmp_path):
    path = tmp_path / "nohdr.csv"
    path.write_text("\n".join(_seizure_lines()) + "\n", encoding="utf-8")
    res = read_seizures(SeizureSource(path=path, columns={"time": "field_1", "lat": "field_3"}))
    assert len(res.frame) == 12
    assert res.frame["lat"].iloc[-1] == pytest.approx(10 + 11 / 9, abs=1e-5)


def _taxis(tmp_path, name="taxis.txt", trailing=""):
    """A T-Drive-like file: taxi id, time, lon, lat; no header; a duplicate on line 3."""
    rows = []
    for taxi in (1, 2, 3):
        for k in range(20):
            rows.append(
                f"{taxi},2008-02-02 {10 + k // 6:02d}:{(k % 6) * 10:02d}:08,"
                f"{116.3 + taxi / 10 + k / 1000:.5f},{39.9 + k / 1000:.5f}{trailing}"
            )
    rows.insert(2, rows[1])
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return TrackSource(path=path, columns={"vessel_id": "field_1"})


def _read(src, how: str, tmp_path, rows: int = 7):
    """Read ``src`` whole, in chunks or as partitions: (n_read, frame, rejects bytes, notes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "whole":
            res = read_tracks(src)
            return res.n_read, res.frame, write_rejects(res, tmp_path / how).read_bytes(), res.notes
        folder = tmp_path / how
        folder.mkdir()
        if how == "chunks":
            spill = spill_tracks(src, folder, chunk_rows=rows, n_buckets=2)
        else:
            (spill,) = spill_tracks_partitioned(
                [src], [folder], LocalEngine(), chunk_rows=rows, n_buckets=2
            )
        store = PingStore([spill], root=folder)  # removes the folder when it goes
        rejects = spill.write_rejects(tmp_path / f"r-{how}").read_bytes()
        return spill.n_read, store.to_frame(), rejects, spill.notes


@pytest.mark.parametrize("trailing", ["", ","])
def test_headerless_tracks_read_alike_whole_in_chunks_and_partitions(tmp_path, trailing):
    src = _taxis(tmp_path, trailing=trailing)
    n, frame, rejects, notes = _read(src, "whole", tmp_path)
    assert n == 61 and len(frame) == 60  # the first line is a ping; the duplicate rejected
    assert sorted(frame["vessel_id"].unique()) == ["1", "2", "3"]
    assert b",3," in rejects.split(b"\n")[1]  # the duplicate at its physical line, 3
    for how in ("chunks", "parts"):
        n2, frame2, rejects2, notes2 = _read(src, how, tmp_path)
        assert n2 == n and rejects2 == rejects and notes2 == notes
        pd.testing.assert_frame_equal(frame2, frame)


@pytest.mark.parametrize(
    "head",
    [
        "Time,MMSI,Latitude_degrees,Longitude_degrees,COG_degrees,SOG_knots\n"
        "2016-01-12 13:02:11.218,235070762,50.77,-1.09,157.8,5.9\n",
        ",lat,lon,time\n0,10.5,20.5,2020-01-01\n1,10.6,20.6,2020-01-02\n",  # pandas' index
        "date,time,longitude,latitude\n1993-01-02,NA,116.9,19.7\n",
        "12,13,14\nalpha,beta,gamma\ndelta,eps,zeta\n",  # numbers over text: names
        "1,lat,lon\n1,10.5,20.5\n2,10.6,20.6\n",  # one number: a name
        "MMSI;BaseDateTime;LAT;LON\n367;2020-01-01T00:00:00;29,1;-94,2\n",
    ],
)
def test_real_headers_keep_their_names(head):
    delim = ";" if ";" in head.split("\n")[0] else ","
    assert header_for_records(head, delim) is None


@pytest.mark.parametrize(
    ("head", "named"),
    [
        ("1,2008-02-02 15:36:08,116.51172,39.92123\n1,2008-02-02 15:46:08,116.51,39.93\n", 4),
        (
            "39.98,116.31,0,492,39744.12,2008-10-23,02:53:04\n39.98,116.31,0,492,39744.13,"
            "2008-10-23,02:53:10\n",
            7,
        ),
        ("5-Jan-2024;12,5;45,1;;\n6-Jan-2024;12,6;45,2;x;\n", 4),  # records end with ';'
    ],
)
def test_headerless_heads_are_named(head, named):
    delim = ";" if ";" in head else ","
    got = header_for_records(head, delim)
    assert got is not None and got.split(delim) == [f"field_{i}" for i in range(1, named + 1)]


def test_the_names_leave_a_taxi_number_to_be_found_as_the_vessel(tmp_path):
    # named 'column_1', the taxi number was vetoed as an id ('column' names a row number)
    src = _taxis(tmp_path)
    res = read_tracks(TrackSource(path=src.path))
    assert res.assumptions["columns"]["vessel_id"]["column"] == "field_1"
    assert sorted(res.frame["vessel_id"].unique()) == ["1", "2", "3"]


def test_a_file_of_one_record_is_not_read_as_a_header(tmp_path):
    # read as the header, the only record was lost: 'read 0, accepted 0'
    path = tmp_path / "one.csv"
    path.write_text("2020-01-05 10:00:00,100.51234,10.25,\n", encoding="utf-8")
    res = read_seizures(SeizureSource(path=path, columns={"lon": "field_2", "lat": "field_3"}))
    assert res.n_read == 1 and len(res.frame) == 1
    assert header_for_records("lat,lon,2020\n", ",") is None  # a lone header stays one
