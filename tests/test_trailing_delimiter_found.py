"""Records that end with the delimiter below a header that does not.

A spreadsheet sheet with one empty column past the named ones exports ``lat,lon,date`` over
``10.5,20.5,2024-01-03,``: every record has one field more than the header.  Read as ragged,
the whole file was rejected (the seizures refused over the reject ceiling, every ping lost);
the empty last column is now ignored with a note, read whole or in chunks.  A record whose
last named value is empty (one field fewer than that shape) and a record with a value in
the unnamed column are unchanged.
"""

from __future__ import annotations

import pytest

from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks


def _write(path, header: str, rows: list[str]) -> str:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_seizure_records_ending_with_the_delimiter_are_read(tmp_path):
    rows = [f"{10 + k / 10:.1f},{20 + k / 10:.1f},2024-01-{k + 1:02d}," for k in range(9)]
    res = read_seizures(_write(tmp_path / "s.csv", "lat,lon,date", rows))
    assert len(res.frame) == 9 and res.n_read == 9
    assert any("lines below the header end with ','" in n for n in res.notes)


def test_plain_files_keep_their_reading(tmp_path):
    # the last named value empty on some rows: those lines end with ',' but are whole
    rows = [
        f"{10 + k / 10:.1f},{20 + k / 10:.1f},2024-01-{k + 1:02d},{'X' if k % 2 else ''}"
        for k in range(6)
    ]
    res = read_seizures(_write(tmp_path / "p.csv", "lat,lon,date,commodity", rows))
    assert len(res.frame) == 6
    assert not any("empty last column" in n for n in res.notes)
    # a value in the unnamed column is a ragged record, as before
    rows = [
        f"{10 + k / 10:.1f},20.5,2024-01-{k + 1:02d},{'oops' if k == 5 else ''}" for k in range(12)
    ]
    res = read_seizures(_write(tmp_path / "r.csv", "lat,lon,date", rows))
    assert len(res.frame) == 11 and res.n_read == 12
    assert list(res.rejects["rule"]) == ["ragged_row"]


@pytest.mark.parametrize("chunk_rows", [None, 7])
def test_track_records_ending_with_the_delimiter_whole_and_in_chunks(tmp_path, chunk_rows):
    rows = [
        f"{ship},2024-01-01T{k // 6:02d}:{(k % 6) * 10:02d}:00Z,{50 + k / 500:.4f},{-1 + k / 500:.4f},"
        for ship in (235000001, 235000002)
        for k in range(30)
    ]
    path = _write(tmp_path / "t.csv", "mmsi,timestamp,lat,lon", rows)
    if chunk_rows is None:
        frame = read_tracks(path).frame
    else:
        folder = tmp_path / "spill"
        folder.mkdir()
        spill = spill_tracks(path, folder, chunk_rows=chunk_rows, n_buckets=2)
        assert spill.n_read == 60
        frame = PingStore([spill], root=folder).to_frame()
    assert len(frame) == 60
    assert sorted(frame["vessel_id"].unique()) == ["235000001", "235000002"]
