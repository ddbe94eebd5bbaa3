"""Time-of-day columns and AIS's own coordinate unit, as real exports write them.

Found by a probe of incident sheets with a separate time column (ISO 8601's ``24:00``, a
'time' column of words) and of AISHub's format-0 export (positions in 1/10,000 minute).
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import IngestOptions, summarise_ingest
from pipeline.ingest.seizures import read_seizures
from pipeline.ingest.tracks import read_tracks

AS_OF = "2026-11-30"


def _times(result) -> list[str]:
    return [t.isoformat() for t in result.frame["time"]]


def test_24_00_in_a_time_column_is_the_next_days_midnight(tmp_path):
    """ISO 8601's end of day: not a bad clock that leaves its record (or, in a short file, the
    whole column) at day precision."""
    path = tmp_path / "s.csv"
    path.write_text(
        "date,time,lat,lon,drug\n"
        "2024-03-01,24:00,10.5,-60.2,cocaine\n"
        "2024-03-02,12:00,10.6,-60.1,cocaine\n"
        "2024-03-03,13:15,10.7,-60.0,cocaine\n"
    )
    got = read_seizures(path, as_of=AS_OF)
    assert _times(got) == [
        "2024-03-02T00:00:00+00:00",
        "2024-03-02T12:00:00+00:00",
        "2024-03-03T13:15:00+00:00",
    ]
    assert got.assumptions["time_of_day"]["combined"] == 3


@pytest.mark.parametrize("clock", ["24:30", "24:00:01", "12:00 PM", "24:00 PM"])
def test_past_24_00_and_12_hour_clocks_keep_their_meaning(tmp_path, clock):
    path = tmp_path / "s.csv"
    rows = "".join(f"2024-03-0{d},10:00,10.{d},-60.2,cocaine\n" for d in range(2, 6))
    path.write_text(f"date,time,lat,lon,drug\n2024-03-01,{clock},10.5,-60.2,cocaine\n{rows}")
    got = read_seizures(path, as_of=AS_OF)
    first = got.frame["time"].iloc[0].isoformat()
    if clock == "12:00 PM":
        assert first == "2024-03-01T12:00:00+00:00"
    else:  # no time of day: the record keeps its date, and a note says so
        assert first == "2024-03-01T00:00:00+00:00"
        assert any("1 value(s) are not a time of day" in n for n in got.notes), got.notes


def test_a_time_column_with_some_words_still_gives_the_clocks_it_has(tmp_path):
    """A known 'time' header, two clocks of three: the clocks are used, the other record
    keeps its date with a note (before, the whole column was dropped without a word)."""
    path = tmp_path / "s.csv"
    path.write_text(
        "date,time,lat,lon,drug\n"
        "2024-03-01,unknown,10.5,-60.2,cocaine\n"
        "2024-03-02,08:30,10.6,-60.1,cocaine\n"
        "2024-03-03,21:45,10.7,-60.0,cocaine\n"
    )
    got = read_seizures(path, as_of=AS_OF)
    assert _times(got)[1:] == ["2024-03-02T08:30:00+00:00", "2024-03-03T21:45:00+00:00"]
    assert any("are not a time of day" in n for n in got.notes), got.notes


def test_a_column_named_like_a_role_but_not_used_is_named_in_the_notes(tmp_path):
    """A 'time' column of words is not the time of day; the summary says it was left out."""
    seizures = tmp_path / "s.csv"
    seizures.write_text(
        "date,time,lat,lon,drug\n"
        "2024-03-01,morning,10.5,-60.2,cocaine\n"
        "2024-03-02,12:00,10.6,-60.1,cocaine\n"
        "2024-03-03,evening,10.7,-60.0,cocaine\n"
        "2024-03-04,night,10.7,-60.0,cocaine\n"
    )
    got = read_seizures(seizures, as_of=AS_OF)
    assert _times(got)[1] == "2024-03-02T00:00:00+00:00"  # not used
    note = [n for n in got.notes if "['time'] named like the time of day were not used" in n]
    assert note and "set columns: {time_of_day: ...}" in note[0], got.notes

    tracks = tmp_path / "t.csv"
    tracks.write_text(
        "mmsi,timestamp,lat,lon,time\n"
        "244000001,2024-03-01T10:00:00Z,10.5,-60.2,morning\n"
        "244000001,2024-03-01T11:00:00Z,10.6,-60.1,noon\n"
        "244000001,2024-03-01T12:00:00Z,10.7,-60.0,evening\n"
    )
    got = read_tracks(tracks)
    assert len(got.frame) == 3
    assert any("['time'] named like the time of day were not used" in n for n in got.notes)
    for chunk_rows in (None, 2):  # read whole and streamed: the same note
        out = tmp_path / f"out{chunk_rows}"
        out.mkdir()
        summary = summarise_ingest(
            "tracks", tracks, options=IngestOptions(chunk_rows=chunk_rows), out_dir=out
        )
        assert [n for n in summary["notes"] if "were not used" in n] == [
            n for n in got.notes if "were not used" in n
        ], chunk_rows


def _aishub(path, *, not_available: bool) -> None:
    """AISHub's format 0: positions in 1/10,000 minute, speed in 1/10 knot."""
    rows = ["MMSI,TIME,LONGITUDE,LATITUDE,COG,SOG,HEADING,NAVSTAT,IMO,NAME,CALLSIGN,TYPE"]
    for v in range(3):
        for k in range(10):
            lat, lon = 30.5 + v + k * 0.01, -60.2 + v + k * 0.01
            rows.append(
                f"{244000000 + v},{1700000000 + k * 600},{round(lon * 600000)},"
                f"{round(lat * 600000)},1200,102,511,0,0,SHIP{v},CS{v},70"
            )
    if not_available:
        rows.append("244000009,1700000000,108600000,54600000,3600,1023,511,15,0,X,Y,0")
    path.write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize(
    ("not_available", "says", "never"),
    [
        # AIS's 'not available' proves the unit: its conversion, no advice to set a crs
        (True, ("1/10,000 minute", "value / 600000", "54600000"), ("projected", "EPSG")),
        # beyond any projection, unproven: every scaling is named, none of them 'set crs'
        (False, ("value / 600000", "value / 10000000", "2147483648"), ("set crs",)),
    ],
    ids=["not-available-proves-it", "beyond-metres"],
)
def test_ais_units_are_refused_with_their_conversion(tmp_path, not_available, says, never):
    path = tmp_path / "aishub.csv"
    _aishub(path, not_available=not_available)
    with pytest.raises(InputError) as err:
        read_tracks(path)
    msg = str(err.value)
    assert all(s in msg for s in says) and not any(n in msg for n in never), msg


def test_metres_are_still_metres(tmp_path):
    """UTM eastings and northings (within any projection's metres) keep the crs advice."""
    path = tmp_path / "utm.csv"
    frame = pd.DataFrame(
        {
            "mmsi": [244000001] * 3,
            "timestamp": ["2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", "2024-03-01T12:00:00Z"],
            "lat": [5_541_200.5, 5_541_900.0, 5_542_600.25],
            "lon": [388_736.0, 389_100.5, 389_500.0],
        }
    )
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match="projected coordinates .*set crs"):
        read_tracks(path)
