"""Review of a7ced74..af15c4a (vessel-id rules, trailing delimiters, shares, summaries): found.

- Records that end with the delimiter below a plain header (2fa3d2a) were decided per chunk:
  each chunk of a file read in chunks looked at its own first 64 KiB.  A file whose shape
  changes further on (two exports appended, the second with the empty last column) was
  read differently whole and in chunks: whole, the appended records were ``ragged_row``
  rejects; in chunks (and as a Dask run's tasks) they were accepted.  The first chunk now
  decides, as the whole read does on the file's start, and every chunk reads so.
- The whole-file pair scan of a track column (41187f1: no longer stopping at the first
  track of two vessels) read the whole file once for each vessel column beside it (name,
  callsign, IMO): three passes over a large file where one gives every pair.
- The same records in the shape Excel saves with a European locale (``;`` between fields,
  decimal commas, ``54,1;10,5;`` under ``lat;lon``) were never read: the delimiter sniffer
  counted the records' commas as constant as their ``;`` and took ``,``, the header became
  one name and the file was refused for having no latitude.
- A Parquet file of 64-bit vessel ids (beyond 2**53) with one id missing: pandas holds
  the column as float64, and 9007199254740992 and ...993 became one vessel, read whole
  (and in the chunks holding the null), while the whole-file scans (ce7c056, by Arrow)
  kept them apart.  Such a column is now read as Arrow writes its integers.  The same
  rounding made epoch-nanosecond times with one missing unreadable whole (every record
  ``time_unparseable``) but read in the chunks without the null.
"""

from __future__ import annotations

import builtins
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks
from tests._ingest_stage import track_outcome


def _appended_exports(path: Path, first_trailing: bool) -> Path:
    """Two exports of one ship each, 1500 pings (more than 64 KiB) then 1500 more.

    One of them ends every record with the delimiter; in the other the last named value
    (``sog``) is empty on every other row (a record ending with the delimiter too, whole).
    """
    lines = ["mmsi,timestamp,lat,lon,sog"]
    for part, ship in enumerate((235000001, 235000002)):
        trailing = (part == 0) == first_trailing
        for k in range(1500):
            sog = "" if k % 2 and not trailing else "5.1"  # the positions' 5.1 kn
            lines.append(
                f"{ship},2024-01-01T{k // 360:02d}:{(k // 6) % 60:02d}:{(k % 6) * 10:02d}Z,"
                f"{50 + k / 5000:.4f},{-1 + k / 5000:.4f},{sog}" + ("," if trailing else "")
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("first_trailing", [False, True])
def test_records_ending_with_the_delimiter_are_decided_once_for_the_file(tmp_path, first_trailing):
    path = _appended_exports(tmp_path / "t.csv", first_trailing)
    whole = track_outcome(path, "whole", 0, tmp_path)
    by_rule = whole[0]
    # whole: the second export's records are ragged rows (1500, or those with no sog)
    assert by_rule.get("ragged_row") == (750 if first_trailing else 1500)
    for how in ("chunks", "parts"):
        assert track_outcome(path, how, 700, tmp_path) == whole, how


def _numbered_tracks(path: Path, mates: list[str]) -> Path:
    """20 ships each sailing tracks numbered 1, 2, 3 (the numbers shared), ``mates`` beside."""
    lines = [",".join(["track_id", *mates, "timestamp", "lat", "lon"])]
    for ship in range(20):
        for k in range(60):
            lines.append(
                ",".join(
                    [str(k // 20 + 1), *[f"{m[:2]}{ship}" for m in mates]]
                    + [f"2024-01-01T00:{k:02d}:{ship:02d}Z", f"{50 + ship / 10 + k / 1e4:.4f}"]
                    + [f"{-1 + k / 1e4:.4f}"]
                )
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_pairs_of_a_track_column_are_read_in_one_pass(tmp_path, monkeypatch):
    real, opened = builtins.open, []

    def counting(file, *args, **kwargs):
        opened.append(str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting)
    passes = []
    for mates in (["vessel_name"], ["vessel_name", "callsign", "imo_no"]):
        path = _numbered_tracks(tmp_path / f"{len(mates)}.csv", mates)
        spill_tracks(path, tmp_path / f"s{len(mates)}", chunk_rows=300, n_buckets=2)
        passes.append(opened.count(str(path)))
    assert passes[0] == passes[1], passes


def test_semicolon_records_with_decimal_commas_ending_with_the_delimiter(tmp_path):
    # 60 records: the sniffer reads 50 lines (fewer gave it no answer, and the header's ';')
    rows = [f"{k % 28 + 1:02d}.01.2024;10,{k % 9 + 1};-61,{k % 7 + 1};Kokain;" for k in range(60)]
    path = tmp_path / "s.csv"
    path.write_text("\n".join(["Datum;lat;lon;Ware", *rows]) + "\n", encoding="utf-8")
    res = read_seizures(path)
    assert res.n_read == 60 and len(res.frame) == 60
    assert sorted(set(res.frame["lat"].round(1))) == [10 + (k + 1) / 10 for k in range(9)]
    assert any("lines below the header end with ';'" in n for n in res.notes)


def test_64_bit_vessel_ids_with_a_missing_one_stay_two_vessels(tmp_path):
    # two ships reporting in turn close together (no impossible speed to give them away)
    n = 400
    ids = [None if i == 5 else 2**53 + i % 2 for i in range(n)]
    table = pa.table(
        {
            "vessel_id": pa.array(ids, pa.int64()),
            "timestamp": pa.array(pd.date_range("2024-01-01", periods=n, freq="1min", tz="UTC")),
            "lat": [50 + i / 1e5 for i in range(n)],
            "lon": [-1 + i / 1e5 for i in range(n)],
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=100)
    whole = read_tracks(path).frame
    spill = spill_tracks(path, tmp_path / "s", chunk_rows=100, n_buckets=2)
    chunks = PingStore([spill], root=tmp_path / "s").to_frame()
    two = sorted(str(2**53 + k) for k in range(2))
    assert sorted(whole["vessel_id"].unique()) == two
    assert sorted(chunks["vessel_id"].unique()) == two
    assert len(whole) == len(chunks) == n - 1


def test_epoch_nanoseconds_with_a_missing_time_read_alike_whole_and_in_chunks(tmp_path):
    n = 300
    times = [None if i == 7 else 1_704_067_200_000_000_000 + i * 60_000_000_000 for i in range(n)]
    table = pa.table(
        {
            "mmsi": [235000000 + i % 2 for i in range(n)],
            "timestamp": pa.array(times, pa.int64()),
            "lat": [50 + i / 1e5 for i in range(n)],
            "lon": [-1 + i / 1e5 for i in range(n)],
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=100)
    whole = read_tracks(path)
    spill = spill_tracks(path, tmp_path / "s", chunk_rows=100, n_buckets=2)
    assert whole.by_rule == spill.by_rule == {"time_missing": 1}
    assert len(whole.frame) == n - 1
