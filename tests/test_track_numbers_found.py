"""Track numbers that restart for each ship are no vessel id.

20 ships of 3 voyages numbered ``track_id`` 1, 2, 3 beside ``vessel_name`` and ``callsign``:
``track_id`` was read as the vessel id, 3 "vessels" for 20 (found only by 1,197 impossible
speeds; ships sailing close together would have merged quietly).  Read whole and in chunks,
the file is now read by a column naming the ships.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.ingest import read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks


def _file(path) -> str:
    rows = [
        {
            "track_id": voyage,
            "vessel_name": f"SHIP {ship:02d}",
            "callsign": f"CS{ship:02d}",
            "timestamp": f"2024-01-{voyage * 5 + ship % 5 + 1:02d}T{k:02d}:00:00Z",
            "lat": 50 + ship * 0.5 + k * 0.01,
            "lon": -1 + voyage * 0.3 + k * 0.01,
        }
        for ship in range(20)
        for voyage in (1, 2, 3)
        for k in range(20)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("chunk_rows", [None, 250])
def test_numbers_per_ship_are_not_the_vessel(tmp_path, chunk_rows):
    path = _file(tmp_path / "voyages.csv")
    if chunk_rows is None:
        frame = read_tracks(path).frame
    else:
        folder = tmp_path / "spill"
        folder.mkdir()
        frame = PingStore(
            [spill_tracks(path, folder, chunk_rows=chunk_rows, n_buckets=2)], root=folder
        ).to_frame()
    assert len(frame) == 1200
    assert frame["vessel_id"].nunique() == 20
