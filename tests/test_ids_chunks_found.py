"""One vessel-id decision whether a track file is read whole, in chunks or as Dask parts.

A file read in chunks (``spill_tracks``, every large CSV or Parquet file of a run, and the
chunk tasks of the Dask engine) recognises its columns on its first chunk.  Rules that need
evidence from across the file decided there on part of it:

- A ``track_id`` per voyage beside ``vessel_name`` (31a9323: tracks nested in ships, a
  median of two or more a ship, are passed over for the ship's column): in a file sorted by
  time the first chunk holds one voyage of each ship, so ``track_id`` was the vessel id of
  the whole file -- 6 "vessels" for 3 ships, no word, where read whole they are 3.  The
  converse too: two ships of two voyages first and three ships of one voyage later (a median
  of one a ship) are read by ``track_id`` whole and were read by ``vessel_name`` in chunks.
  The pairs of the two columns are now gathered over the whole file (two columns read, a
  chunk at a time, only when the rule asks).
- An ``mmsi`` blank in the first chunk and filled further on, beside a ``vessel_name``: the
  first chunk took the name (every ping accepted), the whole read the MMSI (the blank ones
  rejected).  The first chunk cannot say what the MMSI's values would: the file is refused,
  naming both and the ``columns:`` fix.
- A point number (``id`` 1, 2, 3, ... again for each ``name``, 31a9323) is judged on the
  file's first 50,000 rows read whole, on the first chunk's rows in chunks: a numbering
  that breaks after a small first chunk was the vessel id whole and passed over in chunks.
  The rules of the file's order (point numbers, row numbers that start again and what they
  number) now read the file's first 50,000 rows in chunks too.
- A first chunk of one poll each of more vessels than it holds rows (each MMSI once), or
  of one code each beside a status, is refused where the whole file repeats them (loud):
  the refusal said "no column has values that repeat across rows" of a file whose values
  do; it now says the columns were recognised on the first chunk and names
  ``ingest.chunk_rows``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.engine import LocalEngine
from pipeline.errors import InputError
from pipeline.ingest import read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned

_T0 = pd.Timestamp("2024-03-01T00:00Z")


def _ping(ship: int, k: int, **ids) -> dict:
    t = _T0 + pd.Timedelta(minutes=k)
    return {
        **ids,
        "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lat": round(50 + 0.5 * ship + 1e-5 * k, 5),
        "lon": round(-1 + 1e-5 * k, 5),
    }


def _voyages(ships: tuple[int, ...], voyages: int, per_voyage: int, start: int = 0) -> list:
    """Pings sorted by time: voyage 0 of every ship, then voyage 1, ... (a track per voyage)."""
    return [
        _ping(v, start + 1000 * voy + k, vessel_name=f"SHIP {v}", track_id=str(100 * v + voy))
        for voy in range(voyages)
        for k in range(per_voyage)
        for v in ships
    ]


def _outcome(path, how: str, rows: int, tmp, engine=None):
    """Vessel ids and accepted pings of ``path`` read ``how``, or ``("refused", message)``."""
    folder = tmp / f"{how}-{rows}"
    try:
        if how == "whole":
            frame = read_tracks(path).frame
        else:
            if how == "chunks":
                spill = spill_tracks(path, folder, chunk_rows=rows, n_buckets=2)
            else:
                (spill,) = spill_tracks_partitioned(
                    [path], [folder], engine or LocalEngine(), chunk_rows=rows, n_buckets=2
                )
            frame = PingStore([spill], root=folder).to_frame()
    except InputError as exc:
        return "refused", str(exc)
    return sorted(frame["vessel_id"].unique()), len(frame)


_SHAPES = {
    # 3 ships of 2 voyages: read whole by the ship's name
    "one voyage of each ship first": (
        _voyages((0, 1, 2), 2, 4),
        12,
        ["SHIP 0", "SHIP 1", "SHIP 2"],
    ),
    # 2 ships of 2 voyages first, 3 of one voyage later: a median of one track a ship
    "one-voyage ships later": (
        _voyages((0, 1), 2, 3) + _voyages((2, 3, 4), 1, 3, start=5000),
        12,
        ["0", "1", "100", "101", "200", "300", "400"],
    ),
}


@pytest.mark.parametrize("shape", list(_SHAPES))
def test_tracks_within_ships_read_alike_whole_and_in_chunks(tmp_path, shape):
    rows, chunk, ids = _SHAPES[shape]
    path = tmp_path / "t.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    want = (ids, len(rows))
    assert _outcome(path, "whole", chunk, tmp_path) == want
    assert _outcome(path, "chunks", chunk, tmp_path) == want
    assert _outcome(path, "parts", chunk, tmp_path) == want


def _voyages_csv(path):
    # the first chunk of a CSV is at least 64 KiB: 3 x 500 pings of voyage 0 fill it
    pd.DataFrame(_voyages((0, 1, 2), 2, 500)).to_csv(path, index=False)
    return path


def test_a_csv_of_voyages_sorted_by_time_is_read_by_the_ship_in_chunks(tmp_path):
    path = _voyages_csv(tmp_path / "t.csv")
    want = (["SHIP 0", "SHIP 1", "SHIP 2"], 3000)
    assert _outcome(path, "whole", 1500, tmp_path) == want
    assert _outcome(path, "chunks", 1500, tmp_path) == want
    assert _outcome(path, "parts", 1500, tmp_path) == want


def test_a_csv_of_voyages_sorted_by_time_is_read_by_the_ship_on_dask(tmp_path, dask_cluster):
    path = _voyages_csv(tmp_path / "t.csv")
    got = _outcome(path, "parts", 1500, tmp_path, engine=dask_cluster.engine())
    assert got == (["SHIP 0", "SHIP 1", "SHIP 2"], 3000)


def test_an_mmsi_blank_in_the_first_chunk_is_refused_not_passed_over(tmp_path):
    rows = [
        _ping(v, k, mmsi="" if k < 5 else str(211000000 + v), vessel_name=f"SHIP {v}")
        for k in range(10)
        for v in range(2)
    ]
    path = tmp_path / "t.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    # read whole, the MMSI is the id (its blank pings rejected); the first chunk has none
    assert _outcome(path, "whole", 10, tmp_path) == (["211000000", "211000001"], 10)
    for how in ("chunks", "parts"):
        got = _outcome(path, how, 10, tmp_path)
        assert got[0] == "refused", (how, got)
        assert "['mmsi'] hold(s) no value in the first 10 record(s)" in got[1]
        assert "'vessel_name'" in got[1] and "set columns: {vessel_id: ...}" in got[1]
    # an MMSI blank on every row decides nothing: the name, whole and in chunks
    blank = tmp_path / "blank.parquet"
    pd.DataFrame(rows).assign(mmsi="").to_parquet(blank, index=False)
    want = (["SHIP 0", "SHIP 1"], 20)
    assert _outcome(blank, "whole", 10, tmp_path / "b") == want
    assert _outcome(blank, "chunks", 10, tmp_path / "b") == want


def test_a_first_chunk_of_one_poll_names_the_chunk_in_its_refusal(tmp_path):
    rows = [_ping(v, k, mmsi=str(211000000 + v)) for k in range(4) for v in range(4)]
    path = tmp_path / "t.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    assert _outcome(path, "whole", 4, tmp_path)[0] == [
        "211000000",
        "211000001",
        "211000002",
        "211000003",
    ]
    for how in ("chunks", "parts"):
        got = _outcome(path, how, 4, tmp_path / how)
        assert got[0] == "refused", (how, got)
        assert "recognised on the first 4 record(s) of a file read in chunks" in got[1]
        assert "ingest.chunk_rows above the file's record count" in got[1]
    # a vessel number and name, each once in the first chunk: "no column has values that
    # repeat across rows" was said of a file whose values do
    numbered = tmp_path / "numbered.parquet"
    polls = [_ping(v, k, id=str(10 + v), name=f"S{v}") for k in range(4) for v in range(4)]
    pd.DataFrame(polls).to_parquet(numbered, index=False)
    assert _outcome(numbered, "whole", 4, tmp_path / "n")[0] == ["10", "11", "12", "13"]
    got = _outcome(numbered, "chunks", 4, tmp_path / "n")
    assert got[0] == "refused" and "recognised on the first 4 record(s)" in got[1]
    # a file of one poll in one chunk is refused as read whole, no word of chunks
    one = tmp_path / "one.parquet"
    pd.DataFrame(rows[:4]).to_parquet(one, index=False)
    whole = _outcome(one, "whole", 10, tmp_path / "o")
    assert whole[0] == "refused" and _outcome(one, "chunks", 10, tmp_path / "o") == whole


def test_a_point_number_that_breaks_after_the_first_chunk_reads_alike(tmp_path):
    # 'id' numbers each ship's points 1..6, one number of the third ship written 99: read
    # whole (its first 50,000 rows) no point number, so the id; the first chunk of two
    # ships' rows numbered them cleanly, so the name was the id of the file
    rows = [_ping(v, k, id=k + 1, name=f"SHIP{v}") for v in range(3) for k in range(6)]
    rows[14]["id"] = 99
    path = tmp_path / "t.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    whole = _outcome(path, "whole", 12, tmp_path)
    assert whole[0] == ["1", "2", "3", "4", "5", "6", "99"]
    assert _outcome(path, "chunks", 12, tmp_path) == whole
    assert _outcome(path, "parts", 12, tmp_path) == whole
