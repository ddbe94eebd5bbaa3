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
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.engine import LocalEngine
from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import read_tracks
from pipeline.ingest.stream import spill_tracks, spill_tracks_partitioned


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
