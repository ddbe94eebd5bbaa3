"""A track file read in chunks (``ingest.chunk_rows``, a Dask run's tasks) reads as it does whole.

Found on 2026-12-07 by comparing the newest ingest paths whole, in chunks and as a Dask run's
tasks, on files whose telling values come only after the first chunk (64 KiB, about 1,200
records here), written with CRLF line ends, a BOM and no newline after the last line:

- a hemisphere column blank in the first chunk (``E/O`` beside signed degrees first, then
  unsigned ``75.1`` and ``O``) was passed over for the whole file read in chunks: the later
  pings were put 150 degrees east, exit 0, where the whole read put them west;
- hemisphere letters under a header naming none (``Lat, H``), all blank in the first chunk,
  and two hemisphere columns disagreeing only further on were refused read whole and passed
  over in chunks (every southern ping put north; one column's letters taken, a guess);
- an ``Arrival date`` blank in the first chunk beside a ``Departure date`` was refused read
  whole (which end of the voyage dates the pings is not known) and in chunks the pings were
  dated by the departure, exit 0;
- a ZD column's note (times placed, those without a usable zone rejected) was one per chunk,
  the chunks without a reject apart from those with one: the summary and manifest said
  "1500 placed", "200 placed; 100 rejected" where the whole read says "1700; 100";
- a bare ``Zone`` column blank in the first chunk and ``+02:00`` further on was passed over
  on the first chunk and then refused by a later one (exit 2) where the whole read places
  the times by it; a 'Zone' of signed hours only there was refused as 'Time (ZD)' naming no
  zone column, and one of map zones was said without its example.

The first chunk now asks the whole file (:class:`~pipeline.ingest._columns.WholeFile`): the
hemisphere columns are judged and compared on every record and the records the unnamed-header
rule looks at are the whole file's, the voyage's other end is looked for further on; a
chunk's counted note is added to the earlier chunks' whatever its rejected clause; a bare
``Zone`` column is judged on the whole file's distinct values.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _ingest_stage import track_outcome

T0 = pd.Timestamp("2024-03-05T00:00:00")
N = 1800  # about 90 kB: two chunks of 64 KiB or more
LATE = 1500  # a record of the second chunk (the first holds 1,200 to 1,400)


def _write(path, header: str, rows: list[str]):
    """CRLF line ends, a BOM, no newline after the last line."""
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([header, *rows]).encode("utf-8"))
    return path


def _when(i: int, fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> str:
    return (T0 + pd.Timedelta(minutes=i // 3)).strftime(fmt)


def _deg(i: int) -> tuple[str, str]:
    return f"{10 + i * 1e-4 + (i % 3) * 0.01:.5f}", f"{75 + i * 1e-4 + (i % 3) * 0.01:.5f}"


def _hemisphere_blank_first() -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        if i < LATE:  # signed, no letter: west by its sign
            rows.append(f"{_when(i)},{235000000 + i % 3},{lat},N,-{lon},")
        else:  # unsigned, 'O' (oeste) under 'E/O': west by its letter
            rows.append(f"{_when(i)},{235000000 + i % 3},{lat},N,{lon},O")
    return "t,mmsi,Latitud,N/S,Longitud,E/O", rows


def _unnamed_hemisphere_late() -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        h = ("S" if i % 2 else "N") if i >= LATE else ""
        rows.append(f"{_when(i)},{235000000 + i % 3},{lat},{h},{lon},E")
    return "t,mmsi,Lat,H,Lon,Lon E/W", rows


def _hemispheres_disagree_late() -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        other = "S" if i >= LATE and i % 3 == 0 else ("N" if i % 2 else "")
        rows.append(f"{_when(i)},{235000000 + i % 3},{lat},N,{lon},E,{other}")
    return "t,mmsi,Lat,Lat Hem,Lon,Lon Hem,Hem", rows


def _arrival_late() -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        arrival = _when(i + 900, "%Y-%m-%d %H:%M:%S") if i >= LATE else ""
        rows.append(f"{235000000 + i % 3},{_when(i, '%Y-%m-%d %H:%M:%S')},{arrival},{lat},{lon}")
    return "mmsi,Departure date,Arrival date,lat,lon", rows


def _zone_letters_late() -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        zd = "+5" if i < LATE else ("R", "J", "Romeo")[(i - LATE) % 3]  # J: no zone, rejected
        rows.append(f"{235000000 + i % 3},{_when(i, '%Y-%m-%dT%H:%M:%S')},{lat},{lon},{zd}")
    return "mmsi,timestamp,lat,lon,ZD", rows


def _zone_blank_first() -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        zone = "+02:00" if i >= LATE else ""  # blank: a local time placed nowhere, rejected
        rows.append(f"{235000000 + i % 3},{_when(i, '%Y-%m-%d %H:%M:%S')},{lat},{lon},{zone}")
    return "mmsi,timestamp,lat,lon,Zone", rows


PATHS = {
    "hemisphere_blank_first": _hemisphere_blank_first,
    "unnamed_hemisphere_late": _unnamed_hemisphere_late,
    "hemispheres_disagree_late": _hemispheres_disagree_late,
    "arrival_late": _arrival_late,
    "zone_letters_late": _zone_letters_late,
    "zone_blank_first": _zone_blank_first,
}

#: What the whole read gives (by hand): the most western ping's lon (the last one's), the
#: refusal's words, or a note's.
WHOLE = {
    "hemisphere_blank_first": ("lon", -(75 + (N - 1) * 1e-4 + ((N - 1) % 3) * 0.01)),
    # the odd records of the last 300: 150 'S'
    "unnamed_hemisphere_late": (
        "refused",
        "column 'H' holds hemisphere letters (N/S; 150 like 'S')",
    ),
    # the multiples of 3 from 1500 to 1797: 100 'S' beside 'N', the first record 1501
    "hemispheres_disagree_late": (
        "refused",
        "disagree on 100 record(s) (record 1501: 'N' vs 'S')",
    ),
    "arrival_late": ("refused", "['Departure date', 'Arrival date'] hold the dates of a voyage's"),
    # 1,500 '+5' and 200 'R' or 'Romeo' placed, 100 'J' (1501, 1504, ... 1798) rejected
    "zone_letters_late": (
        "note",
        "zone_letters_late.csv: 1700 local time(s) placed in UTC by their offset or zone in "
        "column 'ZD' (nautical zone descriptions: UTC = local + ZD, ZD +5 is UTC-5); 100 "
        "without a usable one rejected",
    ),
    # 300 '+02:00' placed; the 1,500 blank zones place no local time: rejected
    "zone_blank_first": (
        "note",
        "zone_blank_first.csv: 300 local time(s) placed in UTC by their offset or zone in "
        "column 'Zone'; 1500 without a usable one rejected",
    ),
}


def read_wholes(tmp, paths: dict, assumption: str | None = None) -> dict:
    """Write each path's file in ``tmp``; return it and what reading it whole gives, by key."""
    got = {}
    for key, make in paths.items():
        path = _write(tmp / f"{key}.csv", *make())
        got[key] = (path, track_outcome(path, "whole", 0, tmp / key, assumption))
    return got


@pytest.fixture(scope="module")
def wholes(tmp_path_factory):
    """Each path's file and what reading it whole gives (read once for the module)."""
    return read_wholes(tmp_path_factory.mktemp("whole"), PATHS, "columns")


@pytest.mark.parametrize("key", list(PATHS))
def test_the_whole_read_is_as_written_by_hand(wholes, key):
    _, whole = wholes[key]
    kind, want = WHOLE[key]
    if kind == "refused":
        assert whole[0] == "refused" and want in whole[1], whole
    elif kind == "note":
        rejected = int(want.rsplit("; ", 1)[1].split()[0])
        assert want in whole[3] and whole[0] == {"time_zone_unknown": rejected}, whole[0]
    else:
        import io

        pings = pd.read_parquet(io.BytesIO(whole[1]))
        assert round(pings["lon"].min(), 5) == round(want, 5)
        assert (pings["lon"] < 0).all() and whole[0] == {} and len(pings) == N


@pytest.mark.parametrize(("how", "rows"), [("chunks", 1), ("parts", 64)], ids=["chunks", "parts"])
@pytest.mark.parametrize("key", list(PATHS))
def test_read_in_chunks_as_whole(wholes, tmp_path, key, how, rows):
    path, whole = wholes[key]
    got = track_outcome(path, how, rows, tmp_path, "columns")
    assert got[0] == whole[0]
    if whole[0] == "refused":
        assert got[1] == whole[1]
        return
    assert got[1] == whole[1]  # the pings, bytes
    assert got[2] == whole[2]  # the rejects, bytes
    assert got[3] == whole[3]  # the notes
    assert got[4]["lon"].get("parts") == whole[4]["lon"].get("parts")


# ------------------------------------------------ the records a read of the whole file samples


def _pieces_of(frame: pd.DataFrame, rows: int):
    """:class:`WholeFile` scans of ``frame`` read ``rows`` records at a time (no file)."""
    from pipeline.ingest._columns import WholeFile

    def pieces(columns):
        for a in range(0, len(frame), rows):
            yield frame.iloc[a : a + rows][columns].reset_index(drop=True)

    return WholeFile(
        pairs_of=lambda t, vs: {},
        filled_of=lambda cols: cols,
        more=lambda: len(frame) > rows,
        head=lambda cols, n: frame[cols].head(n),
        rows=rows,
        pieces=pieces,
    )


@pytest.mark.parametrize("south_on", [0, 1], ids=["sampled_rows", "rows_between"])
def test_the_unnamed_hemisphere_rule_samples_the_whole_files_records(south_on):
    """15,000 records: a read of the whole file looks at every third one (5,000 at most).

    'S' on the records it looks at is refused, and 'S' only between them too (its letters
    are counted on every record: 4,000 southern records between the spaced ones were read
    north with exit 0); read in pieces of 1,000 records (each later one starts at another
    remainder of 3) the whole file's records are the ones looked at, wherever the pieces
    begin.
    """
    from pipeline.errors import InputError
    from pipeline.ingest._columns import coordinate_parts

    n = 15_000
    i = pd.RangeIndex(n)
    south = (i % 3 == south_on) & (i > 3000)
    frame = pd.DataFrame(
        {
            "Lat": [f"{10 + k * 1e-5:.5f}" for k in range(n)],
            "H": pd.Series("N", index=i).where(~south, "S"),
            "Lon": "75.0",
        }
    )

    def parts(raw, whole=None):
        try:
            return coordinate_parts(raw, "Lat", "lat", {"Lat", "Lon"}, "f.csv", whole)
        except InputError as exc:
            return str(exc)

    whole = parts(frame)
    # by hand: 3003, 3006, ... 14997: (14997 - 3003) / 3 + 1; 3001 ... 14998: 4000
    assert f"(N/S; {4000 if south_on else 3999} like 'S')" in whole, whole
    assert parts(frame.iloc[:1000], _pieces_of(frame, 1000)) == whole
