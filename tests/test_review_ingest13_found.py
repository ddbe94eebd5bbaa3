"""Differential review of the ingest changes 1c9dff6..1cf9a75: problems found and fixed.

Every input file of the tests and of the shared data was read with 1c9dff6 and with the
changes (whole, in chunks, as partitions); the differences were today's intended changes.
What the comparison of the modes turned up:

1. f46b116 (an identity found by its values quotes the whole file's distinct ids) left out
   the vessel id named by its header: a file read in chunks (or as partitions) still quoted
   its first chunk's count in the manifest's assumptions ('77 distinct value(s) over 2006
   rows' for the Solent AIS file, whose whole read says '91 ... over 18623 rows').
"""

from __future__ import annotations

import pytest

from pipeline.engine import LocalEngine
from pipeline.ingest import read_tracks
from pipeline.ingest.stream import spill_tracks, spill_tracks_partitioned


def _ais(path, n_rows: int) -> None:
    """An AIS CSV of ``n_rows`` pings, 4 per vessel, headed 'MMSI' (each chunk its own ships)."""
    rows = ["MMSI,BaseDateTime,LAT,LON"] + [
        f"{366000000 + i // 4},2023-01-01T1{i % 4}:{i % 60:02d}:00,30.{i:04d},-80.{i:04d}"
        for i in range(n_rows)
    ]
    path.write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("how", ["chunks", "partitions"])
def test_a_named_vessel_id_quotes_the_whole_files_distinct_ids(tmp_path, how):
    path = tmp_path / "ais.csv"
    _ais(path, 3000)  # the first chunk is 64 KiB at least: about half the file
    whole = read_tracks(path).assumptions["columns"]["vessel_id"]
    assert whole["by"] == "name"
    assert whole["evidence"].endswith("750 distinct value(s) over 3000 rows")
    if how == "chunks":
        spill = spill_tracks(path, tmp_path / "s", chunk_rows=500)
    else:
        (spill,) = spill_tracks_partitioned([path], [tmp_path / "p"], LocalEngine(), chunk_rows=500)
    assert spill.n_accepted == 3000
    assert spill.assumptions["columns"]["vessel_id"] == whole
