"""Today's new ingest paths read in chunks (``ingest.chunk_rows``, a Dask run's tasks) as whole.

Found on 2026-12-07 by reading files that exercise each of the day's ingest changes whole,
in chunks and as a Dask run's tasks, the telling values only after the first chunk (64 KiB,
about 1,200 records here), written with CRLF line ends, a BOM and no newline after the last
line:

- a table of periods whose ``end`` is blank in the first chunk and filled further on
  (``start``/``end``, found by its values) was refused read whole and read in chunks as
  pings at each row's start, exit 0, the hours each period lasted lost; a named one (``Start
  Time`` beside ``End Time``) lost its note in chunks;
- a count of times whose own offset disagrees with their header's zone (or their row's
  ``Zone``), said only by a later chunk, came after the count of times placed where the
  whole read says it before: the summary's and manifest's notes differed in order.

Read alike (and kept here): a header repeated in a later chunk below title lines or a row of
column groups (its units row compared, its reordered names refused naming the physical
line, a later record rejected on its physical line), a unit-less speed in km/h whose only
moving stretches come late.  Checked alike on a Dask LocalCluster (one worker) by hand.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from _ingest_stage import track_outcome
from test_parity_ingest27_found import LATE, N, _deg, _when, read_wholes


def _periods(header: str) -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        end = _when(i + 30) if i >= LATE else ""  # the first chunk's ends all blank
        rows.append(f"v{i % 3},{_when(i)},{end},{lat},{lon}")
    return header, rows


def _own_offset_late(header: str, zone: str) -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        z = "Z" if i >= LATE and i % 2 else ""  # 150 of the last 300 say UTC themselves
        rows.append(f"{235000000 + i % 3},{_when(i, '%Y-%m-%dT%H:%M:%S')}{z},{lat},{lon}{zone}")
    return header, rows


def _joined_late(title: str, header: str, again: list[str], late) -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        if i == LATE:
            rows += again
        rows.append(late(i, lat, lon))
    return title + header, rows


def _moving_late(speed: float) -> tuple[str, list[str]]:
    """Three vessels a ping a minute: still in the first chunk, then 10 kn east."""
    rows = []
    for i in range(N):
        v, k = i % 3, i // 3
        moving = i >= LATE
        lon = 75 + (k * 10 * 1.852 / 60 / (111.32 * 0.98) if moving else (k % 2) * 1e-6)
        rows.append(
            f"{235000000 + v},{_when(i)},{10 + v * 0.5:.6f},{lon:.6f},{speed if moving else 0:.2f}"
        )
    return "mmsi,timestamp,lat,lon,speed", rows


def _plain(i: int, lat: str, lon: str) -> str:
    return f"{235000000 + i % 3},{_when(i)},{lat},{lon}"


def _swapped(i: int, lat: str, lon: str) -> str:
    return f"{235000000 + i % 3},{_when(i)},{lon},{lat}" if i >= LATE else _plain(i, lat, lon)


def _sog(i: int, lat: str, lon: str) -> str:
    return f"{_plain(i, '91.0' if i == 1700 else lat, lon)},2.5"  # lat 91: not available


UNITS = ",UTC,degrees_north,degrees_east,{}"
PATHS = {
    "periods_by_values": lambda: _periods("vessel,start,end,lat,lon"),
    "periods_named": lambda: _periods("vessel,Start Time,End Time,lat,lon"),
    "own_offset_under_header_zone": lambda: _own_offset_late("mmsi,Time (UTC+5),lat,lon", ""),
    "own_offset_beside_zone_column": lambda: _own_offset_late(
        "mmsi,Time (LT),lat,lon,Zone", ",+02:00"
    ),
    "title_then_reordered_header": lambda: _joined_late(
        "Vessel track export 2026-06-01\r\n",
        "mmsi,timestamp,lat,lon",
        ["mmsi,timestamp,lon,lat"],
        _swapped,
    ),
    "groups_then_other_units": lambda: _joined_late(
        "Vessel,When,Position,,\r\n",
        "mmsi,time,latitude,longitude,sog\r\n" + UNITS.format("m s-1"),
        ["mmsi,time,latitude,longitude,sog", UNITS.format("knots")],
        _sog,
    ),
    "title_then_same_units": lambda: _joined_late(
        "Export\r\n",
        "mmsi,time,latitude,longitude,sog\r\n" + UNITS.format("m s-1"),
        ["mmsi,time,latitude,longitude,sog", UNITS.format("m s-1")],
        _sog,
    ),
    "speed_in_kmh_late": lambda: _moving_late(10 * 1.852),
}

#: What the whole read gives (by hand): the refusal's words, or a note's, or the rejects.
WHOLE = {
    "periods_by_values": ("refused", "'start' and 'end' give each record a period at one place"),
    "periods_named": (
        "note",
        "periods_named.csv: 'Start Time' and 'End Time' give each record a period: each is "
        "read as one ping at its start",
    ),
    # the odd records from 1501 to 1799: 150 'Z'; the other 1,650 placed at UTC+5
    "own_offset_under_header_zone": (
        "notes",
        [
            "own_offset_under_header_zone.csv: 150 time(s) carry an offset of their own other "
            "than the zone 'UTC+5' header 'Time (UTC+5)' names",
            "own_offset_under_header_zone.csv: 1650 local time(s) placed in UTC by the zone "
            "or offset 'UTC+5'",
        ],
    ),
    "own_offset_beside_zone_column": (
        "notes",
        [
            "own_offset_beside_zone_column.csv: 150 time(s) carry an offset of their own "
            "other than the one column 'Zone' gives their row",
            "own_offset_beside_zone_column.csv: 1650 local time(s) placed in UTC by their "
            "offset or zone in column 'Zone'",
        ],
    ),
    # line 1 the title, 2 the header, 3 ... 1502 records 0 ... 1499, 1503 the header again
    "title_then_reordered_header": ("refused", "line 1503 'mmsi,timestamp,lon,lat' names"),
    # line 1 the groups, 2 the header, 3 its units, 4 ... 1503 records, 1504 the header, 1505
    "groups_then_other_units": ("refused", "line 1505 is a units row below the header repeated"),
    "title_then_same_units": ("rejects", {"position_unavailable": 1, "repeated_header": 2}),
    "speed_in_kmh_late": ("refused", "gives 1.85 times the speed the positions give"),
}


@pytest.fixture(scope="module")
def wholes(tmp_path_factory):
    """Each path's file and what reading it whole gives (read once for the module)."""
    got = read_wholes(tmp_path_factory.mktemp("whole"), PATHS)
    for path, _ in got.values():
        assert path.stat().st_size > 80_000  # more than a chunk of 64 KiB
    return got


@pytest.mark.parametrize("key", list(PATHS))
def test_the_whole_read_is_as_written_by_hand(wholes, key):
    _, whole = wholes[key]
    kind, want = WHOLE[key]
    if kind == "refused":
        assert whole[0] == "refused" and want in whole[1], whole
        return
    assert whole[0] != "refused", whole
    pings = pd.read_parquet(io.BytesIO(whole[1]))
    # read = accepted + rejected (a header again and its units row are no record)
    assert len(pings) + sum(whole[0].values()) - whole[0].get("repeated_header", 0) == N
    if kind == "note":
        assert any(t.startswith(want) for t in whole[3]), whole[3]
    elif kind == "notes":
        at = [next(i for i, t in enumerate(whole[3]) if t.startswith(w)) for w in want]
        assert at == sorted(at), whole[3]  # the disagreement said before the placed count
    else:
        assert whole[0] == want
        rejects = pd.read_csv(io.BytesIO(whole[2]))
        # the header again (1504) and its units row (1505), below a title line; record 1700
        # on line 1706 (line 1 the title, 2 the header, 3 its units: records from line 4)
        assert rejects["row"].tolist() == [1504, 1505, 1706], rejects


@pytest.mark.parametrize(("how", "rows"), [("chunks", 1), ("parts", 64)], ids=["chunks", "parts"])
@pytest.mark.parametrize("key", list(PATHS))
def test_read_in_chunks_as_whole(wholes, tmp_path, key, how, rows):
    path, whole = wholes[key]
    got = track_outcome(path, how, rows, tmp_path)
    assert got[0] == whole[0]
    if whole[0] == "refused":
        assert got[1] == whole[1]
        return
    assert got[1] == whole[1]  # the pings, bytes
    assert got[2] == whole[2]  # the rejects, bytes
    assert got[3] == whole[3]  # the notes, in order
