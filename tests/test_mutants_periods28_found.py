"""Mutation pass over the refusal of track tables of periods and Takeout's unsigned E7 values.

Found on 2026-12-07 by mutating ``_refuse_periods`` (tracks), the whole-file scans it asks
(stream) and ``_signed_e7`` (Takeout's ``Records.json``), then running their tests:

- a ``start``/``end`` table whose end is its start on every record (moments exported as
  spans of none, an AIS export's ``start``/``end`` of each position) was refused as a table
  of periods, exit 2, though no hour is lost at its starts; a named one (``Start Time``
  beside ``End Time``) said each record's hours were lost.  Such records are now read as
  the moments they are, said in a note; an end that differs on one record anywhere in the
  file (read in chunks too) keeps the refusal;
- ``Date, Start, End`` of times of day (a day's stops) were read at each ``Start``, with
  no word of the ``End`` beside it: now judged as ``start``/``end`` dates are, refused
  where no header names the clock, said in a note where one does (``Start Time``), its
  end's clock of bare digits (``0840``) counted as its start's is;
- survivors: the end words (``stop``, ``finish``, ``begin``/``end``, ``from``/``to``/
  ``until``, ``first``/``last``), a start word after the header's first (``time_start``),
  the share of dates an end needs (0.8), the column named in the fix, and the E7 bounds:
  exactly -90 and -180 degrees, a longitude beyond -90, a latitude written unsigned,
  2^32 and above never a 32-bit number, a position with both values wrapped counted once,
  and no note without a wrapped value.

Every expected value is worked by hand below.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from _ingest_stage import track_outcome
from test_parity_ingest27_found import LATE, N, _deg, _when, _write

from pipeline.errors import InputError
from pipeline.ingest import read_tracks
from pipeline.ingest.options import TrackSource

pytestmark = IGNORE_PENDING_DEPRECATION

ROWS = [
    ("v1", "2023-01-01T02:00:00Z", "2023-01-01T07:30:00Z", "-5.10", "-81.40"),
    ("v1", "2023-01-01T09:00:00Z", "2023-01-01T13:00:00Z", "-5.20", "-81.30"),
    ("v2", "2023-01-01T03:00:00Z", "2023-01-01T10:00:00Z", "-4.90", "-81.20"),
    ("v2", "2023-01-02T03:00:00Z", "2023-01-02T10:00:00Z", "-4.95", "-81.25"),
    ("v2", "2023-01-03T03:00:00Z", "2023-01-03T09:00:00Z", "-4.99", "-81.29"),
]


def _table(path, start: str, end: str, ends=None):
    """Write ``vessel,<start>,<end>,lat,lon``; ``ends`` replaces the end column's values."""
    lines = [f"vessel,{start},{end},lat,lon"]
    for k, (v, t0, t1, lat, lon) in enumerate(ROWS):
        lines.append(f"{v},{t0},{t1 if ends is None else ends[k]},{lat},{lon}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _refusal(name: str, start: str, end: str, role: str = "time") -> str:
    kind = (
        "a day's stops: a date, and the times of day of each stop's start and end"
        if role == "time_of_day"
        else "an events table: Global Fishing Watch's loitering, encounters or port visits"
    )
    return (
        f"{name}: {start!r} and {end!r} give each record a period at one place, not a moment, "
        f"and no header names a time ({kind}); read as pings each would sit at its start, and "
        "the hours it lasted would be lost or drawn along a line to the next: give the "
        "positions themselves (AIS, GPS fixes), or set columns: "
        f"{{{role}: {start!r}}} to read each record as one position at its start"
    )


def _period_note(name: str, start: str, end: str, role: str = "time") -> str:
    return (
        f"{name}: {start!r} and {end!r} give each record a period: each is read as one ping "
        "at its start, the hours it lasted not attributed to its place (a stops or events "
        "table is no track: give the positions themselves, or set columns: "
        f"{{{role}: {start!r}}} to read it so without this note)"
    )


# ----------------------------------------------------------------------------- moments


def test_ends_that_are_their_starts_are_moments_read_at_them(tmp_path):
    path = _table(tmp_path / "moments.csv", "start", "end", ends=[r[1] for r in ROWS])
    got = read_tracks(path)
    f = got.frame.sort_values(["vessel_id", "time"])
    want = pd.to_datetime([r[1] for r in ROWS], utc=True).sort_values()
    assert sorted(f["time"]) == list(want)
    assert len(got.rejects) == 0
    assert (
        "moments.csv: 'end' is 'start' on every record: each is read as the moment at "
        "'start', not a period"
    ) in got.notes
    assert not any("give each record a period" in n for n in got.notes)


def test_named_ends_that_are_their_starts_say_no_period(tmp_path):
    path = _table(tmp_path / "named.csv", "Start Time", "End Time", ends=[r[1] for r in ROWS])
    got = read_tracks(path)
    assert len(got.frame) == 5
    assert (
        "named.csv: 'End Time' is 'Start Time' on every record: each is read as the moment at "
        "'Start Time', not a period"
    ) in got.notes
    assert not any("give each record a period" in n for n in got.notes)


@pytest.mark.parametrize(
    ("k", "end"),
    [(4, "2023-01-03T03:00:01Z"), (2, ""), (0, "ongoing")],
    ids=["a_second_later", "blank", "text"],
)
def test_one_end_other_than_its_start_keeps_the_refusal(tmp_path, k, end):
    ends = [r[1] for r in ROWS]
    ends[k] = end
    if end == "ongoing":  # 4 of 5 dates: the share an end needs, 0.8, is met
        ends[1] = ROWS[1][2]
    path = _table(tmp_path / "spans.csv", "start", "end", ends=ends)
    with pytest.raises(InputError) as err:
        read_tracks(path)
    assert str(err.value) == _refusal("spans.csv", "start", "end")


def _moments_then_one_span(header: str) -> tuple[str, list[str]]:
    """Ends equal to starts in the first chunk; one record of the second lasts 10 minutes."""
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        end = _when(i + 30) if i == LATE + 7 else _when(i)
        rows.append(f"v{i % 3},{_when(i)},{end},{lat},{lon}")
    return header, rows


def _moments(header: str) -> tuple[str, list[str]]:
    rows = []
    for i in range(N):
        lat, lon = _deg(i)
        rows.append(f"v{i % 3},{_when(i)},{_when(i)},{lat},{lon}")
    return header, rows


FILES = {"late": _moments_then_one_span, "moments": _moments}


@pytest.fixture(scope="module")
def wholes(tmp_path_factory):
    """Each file and what reading it whole gives (read once for the module)."""
    tmp = tmp_path_factory.mktemp("whole")
    got = {}
    for key, make in FILES.items():
        path = _write(tmp / f"{key}.csv", *make("vessel,start,end,lat,lon"))
        assert path.stat().st_size > 80_000  # more than a chunk of 64 KiB
        got[key] = (path, track_outcome(path, "whole", 0, tmp / key))
    return got


def test_a_span_after_the_first_chunk_is_refused_as_a_whole_read_refuses_it(wholes):
    assert wholes["late"][1] == ("refused", _refusal("late.csv", "start", "end"))


def test_moments_over_a_whole_file_are_read(wholes):
    whole = wholes["moments"][1]
    assert whole[0] != "refused", whole
    assert len(pd.read_parquet(io.BytesIO(whole[1]))) == N
    assert any(n.startswith("moments.csv: 'end' is 'start' on every record") for n in whole[3])


@pytest.mark.parametrize(("how", "rows"), [("chunks", 1), ("parts", 64)], ids=["chunks", "parts"])
@pytest.mark.parametrize("key", list(FILES))
def test_read_in_chunks_as_whole(wholes, tmp_path, key, how, rows):
    path, whole = wholes[key]
    assert track_outcome(path, how, rows, tmp_path) == whole


# ----------------------------------------------------------------------------- a day's stops

DAY_STOPS = """Device,Date,{start},{end},Latitude,Longitude
van-1,2024-03-05,08:00,08:40,45.3301,14.4402
van-1,2024-03-05,09:10,09:25,45.3421,14.4102
van-2,2024-03-05,08:05,10:00,45.3201,14.4702
van-2,2024-03-05,10:30,11:00,45.3101,14.4802
"""
STARTS = ["2024-03-05 08:00", "2024-03-05 09:10", "2024-03-05 08:05", "2024-03-05 10:30"]


def test_times_of_day_of_a_start_and_end_beside_a_date_are_refused(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(DAY_STOPS.format(start="Start", end="End"))
    with pytest.raises(InputError) as err:
        read_tracks(path)
    assert str(err.value) == _refusal("day.csv", "Start", "End", role="time_of_day")
    told = read_tracks(TrackSource(path=path, columns={"time_of_day": "Start"}))
    assert list(told.frame["time"]) == list(pd.to_datetime(STARTS, utc=True))
    assert not any("period" in n for n in told.notes)


def test_named_times_of_day_of_a_start_and_end_are_read_at_the_start_and_said(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(DAY_STOPS.format(start="Start Time", end="End Time"))
    got = read_tracks(path)
    assert list(got.frame["time"]) == list(pd.to_datetime(STARTS, utc=True))
    assert _period_note("day.csv", "Start Time", "End Time", role="time_of_day") in got.notes


def test_named_times_of_day_of_bare_digits_are_read_at_the_start_and_said(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(DAY_STOPS.format(start="Start Time", end="End Time").replace(":", ""))
    got = read_tracks(path)
    assert list(got.frame["time"]) == list(pd.to_datetime(STARTS, utc=True))
    assert _period_note("day.csv", "Start Time", "End Time", role="time_of_day") in got.notes


def test_times_of_day_whose_ends_are_their_starts_are_moments(tmp_path):
    path = tmp_path / "day.csv"
    lines = DAY_STOPS.format(start="Start", end="End").splitlines()
    rows = [r.split(",") for r in lines[1:]]
    path.write_text("\n".join([lines[0]] + [",".join([*r[:3], r[2], *r[4:]]) for r in rows]))
    got = read_tracks(path)
    assert list(got.frame["time"]) == list(pd.to_datetime(STARTS, utc=True))
    assert (
        "day.csv: 'End' is 'Start' on every record: each is read as the moment at 'Start', "
        "not a period"
    ) in got.notes


# ----------------------------------------------------------------------------- end words


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("start", "stop"),
        ("start", "finish"),
        ("begin", "end"),
        ("from", "to"),
        ("from", "until"),
        ("first", "last"),
        ("event_start", "event_end"),
    ],
    ids=["start-stop", "start-finish", "begin-end", "from-to", "from-until", "first-last",
         "event_start-event_end"],
)  # fmt: skip
def test_each_pair_of_end_words_is_a_period(tmp_path, start, end):
    path = _table(tmp_path / "p.csv", start, end)
    with pytest.raises(InputError) as err:
        read_tracks(path)
    assert str(err.value) == _refusal("p.csv", start, end)


def test_a_start_word_after_the_headers_first_is_a_period(tmp_path):
    path = _table(tmp_path / "p.csv", "time_start", "time_end")
    got = read_tracks(path)
    assert len(got.frame) == 5
    assert _period_note("p.csv", "time_start", "time_end") in got.notes


def test_an_end_of_few_dates_is_no_period_end(tmp_path):
    # 3 of 5 values dates, 0.6 < 0.8: not a period's end, each row a ping at its start
    ends = [ROWS[0][2], "n.a.", ROWS[2][2], "later", ROWS[4][2]]
    got = read_tracks(_table(tmp_path / "p.csv", "start", "end", ends=ends))
    assert sorted(got.frame["time"]) == sorted(pd.to_datetime([r[1] for r in ROWS], utc=True))


# ----------------------------------------------------------------------------- Takeout E7


def _records(tmp_path, pairs):
    locations = [
        {"latitudeE7": lat, "longitudeE7": lon, "timestamp": f"20{10 + k}-03-01T10:00:00Z"}
        for k, (lat, lon) in enumerate(pairs)  # a year apart: no jump between any two
    ]
    path = tmp_path / "Records.json"
    path.write_text(json.dumps({"locations": locations}, indent=2))
    return read_tracks(TrackSource(path=path, vessel_id="phone"))


def _wrapped_note(n: int) -> str:
    return (
        f"Records.json: {n} position(s) with a latitudeE7/longitudeE7 from 2^31 up, Takeout's "
        "negative numbers written unsigned, read signed (value - 2^32: 4294967295 is -1e-7 "
        "degrees), as its readers do"
    )


def test_unsigned_e7_at_the_bounds_and_beyond_minus_90_longitude(tmp_path):
    u = 2**32
    pairs = [
        (u - 900_000_000, 0),  # -90 exactly
        (0, u - 1_800_000_000),  # -180 exactly
        (0, u - 1_000_000_000),  # -100: a longitude, not a latitude's bound
        (u - 338_688_000, 1_512_093_000),  # Sydney, -33.8688 151.2093
        (u - 229_068_000, u - 431_729_000),  # Rio, both written unsigned: one position
    ]
    got = _records(tmp_path, pairs)
    f = got.frame.sort_values("time")
    np.testing.assert_allclose(f["lat"], [-90.0, 0.0, 0.0, -33.8688, -22.9068], atol=1e-12)
    np.testing.assert_allclose(f["lon"], [0.0, -180.0, -100.0, 151.2093, -43.1729], atol=1e-12)
    assert len(got.rejects) == 0
    assert _wrapped_note(5) in got.notes


def test_e7_from_2_to_the_32_is_no_unsigned_number(tmp_path):
    u = 2**32
    # 2^32 would be 0 once 'signed'; 2^32 + 5000, 0.0005 degrees; one past -90 and -180
    pairs = [(u, 0), (0, u + 5000), (u - 900_000_001, 0), (0, u - 1_800_000_001), (10, 20)]
    got = _records(tmp_path, pairs)
    assert got.rejects["rule"].tolist() == [
        "lat_out_of_range",
        "lon_out_of_range",
        "lat_out_of_range",
        "lon_out_of_range",
    ]
    np.testing.assert_allclose(got.frame[["lat", "lon"]].to_numpy(), [[1e-6, 2e-6]])
    assert not any("2^31 up" in n for n in got.notes)
