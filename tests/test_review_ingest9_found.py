"""Review of ad267d2..cdc40d2 (ingest: ids whole or in chunks, areas, dates): what was found.

- A row number of two exports joined end to end (``No.`` 0..29, 0..29) is refused as a
  vessel id (it names the n-th row of each export, no vessel).  The rule added for vessels
  numbered 1, 2, 3 reporting in turn took the number for a vessel's wherever another
  column held "one value per number" on 90% of rows, and a GPS logger's ``sats`` of 8 on
  nearly every row does so by chance: the row number became the vessel id, 30 "vessels"
  for 3, no word.  The agreement must now go well beyond that of the column's most common
  value.
- An empty track file (0 bytes: a download cut short) is refused read in chunks as it is
  read whole ("file is empty").  Streamed (``ingest.chunk_rows`` set, or the Dask engine's
  chunk tasks) it gave no chunk and an empty spill: the run went on as if the file held
  no records, no word.
- A Parquet file of voyages (``track_id``) of ships named by an integer ``imo`` with one
  null in a later row group, read in chunks, was read by ``track_id`` (6 "vessels" for 3
  ships, no word) where read whole it is read by the IMO: the whole-file scan of the
  track/vessel pairs wrote each batch's values through pandas, whose integer batch with a
  null turns float, so ``9100001`` in one batch was ``9100001.0`` in the next and a voyage
  looked like two ships'.  The values are now written as text by Arrow, alike in every
  batch.
- A file of voyages (``track_id``) of 4 ships by ``vessel_name``, 6 voyages each, where one
  ship's last ping carries a new name, was read by ``track_id`` (24 "vessels" for 4, no
  word), whole and in chunks: one track of two names anywhere said "no nesting".  Read in
  chunks since ad267d2..cdc40d2 the pairs are the whole file's, so a single rename in a
  large file did it.  A few tracks of two vessels (up to 5%) now leave the nesting.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.engine import LocalEngine
from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned


def _joined_exports(path):
    """Two exports of 3 ships, each numbering its rows 0..29, beside a 'sats' mostly 8."""
    rows = []
    for e in range(2):
        for k in range(30):
            sats = {(0, 4): 7, (1, 11): 9}.get((e, k), 8)
            rows.append(
                {
                    "No.": k,
                    "time": f"2024-03-0{e + 1}T00:{k:02d}:00Z",
                    "lat": 50 + 0.5 * (k % 3) + 1e-4 * k,
                    "lon": -1 + 1e-4 * k,
                    "sats": sats,
                }
            )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_row_number_beside_a_mostly_constant_column_is_no_vessel_id(tmp_path):
    with pytest.raises(InputError, match=r"'No\.' \(numbers the rows"):
        read_tracks(_joined_exports(tmp_path / "t.csv"))


def test_an_empty_track_file_is_refused_in_chunks_as_whole(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_bytes(b"")
    with pytest.raises(SourceUnreadable, match="file is empty"):
        read_tracks(path)
    with pytest.raises(SourceUnreadable, match="file is empty"):
        spill_tracks(path, tmp_path / "s", chunk_rows=3, n_buckets=2)
    with pytest.raises(SourceUnreadable, match="file is empty"):
        spill_tracks_partitioned([path], [tmp_path / "p"], LocalEngine(), chunk_rows=3)


def test_parquet_voyages_of_ships_by_an_imo_with_a_later_null_read_alike_in_chunks(tmp_path):
    t0 = pd.Timestamp("2024-03-01T00:00Z")
    rows = [
        {
            "track_id": str(100 * v + voy),
            "imo": 9100000 + v,
            "time": (t0 + pd.Timedelta(minutes=1000 * voy + k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lat": round(50 + 0.5 * v + 1e-5 * k, 5),
            "lon": round(-1 + 1e-5 * (k + 1000 * voy), 5),
        }
        for voy in range(2)
        for k in range(10)
        for v in (1, 2, 3)
    ]
    imo = pa.array([r.pop("imo") for r in rows][:-1] + [None], pa.int64())  # the last: none
    table = pa.Table.from_pylist(rows).append_column("imo", imo)
    path = tmp_path / "v.parquet"
    pq.write_table(table, path, row_group_size=15)  # as a writer without pandas' metadata
    whole = sorted(read_tracks(path).frame["vessel_id"].unique())
    assert whole == ["9100001", "9100002", "9100003"]
    spill = spill_tracks(path, tmp_path / "s", chunk_rows=15, n_buckets=2)
    assert sorted(PingStore([spill], root=tmp_path / "s").to_frame()["vessel_id"].unique()) == whole


def _renamed_voyages(path, ships: int, voyages: int, per_voyage: int):
    """Voyages sorted by time (a track each) of ships by name; the last ping renames one."""
    t0 = pd.Timestamp("2024-03-01T00:00Z")
    rows = [
        {
            "vessel_name": f"SHIP {v}",
            "track_id": str(100 * v + voy),
            "time": (t0 + pd.Timedelta(minutes=1000 * voy + k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lat": round(50 + 0.5 * v + 1e-5 * k, 5),
            "lon": round(-1 + 1e-5 * (k + 1000 * voy), 5),
        }
        for voy in range(voyages)
        for k in range(per_voyage)
        for v in range(ships)
    ]
    rows[-1]["vessel_name"] = "SHIP 3 EX BLUE"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_one_ship_renamed_within_a_voyage_does_not_read_the_file_by_its_voyages(tmp_path):
    path = _renamed_voyages(tmp_path / "v.csv", 4, 6, 5)
    ships = ["SHIP 0", "SHIP 1", "SHIP 2", "SHIP 3", "SHIP 3 EX BLUE"]
    assert sorted(read_tracks(path).frame["vessel_id"].unique()) == ships
    spill = spill_tracks(path, tmp_path / "s", chunk_rows=20, n_buckets=2)
    assert sorted(PingStore([spill], root=tmp_path / "s").to_frame()["vessel_id"].unique()) == ships
