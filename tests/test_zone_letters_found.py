"""A ship's log's zone letters, ``Time (ZD)`` headers, ZD columns read in chunks, MSK by date.

A ``ZD`` column of nautical zone letters (``R`` is ZD +5, UTC-5; ``Romeo`` its word) was
rejected row by row as ``time_zone_unknown``; ``J`` (the observer's local time) names no
zone and stays rejected, its message saying so.  A time header ``Time (ZD)`` (zone time, no
hours) with no column of zone descriptions beside it was read as UTC, hours off, exit 0: it
is refused.  A ZD column whose first chunk held only blanks or words was passed over for
the whole file read in chunks: later zone descriptions unread, times hours off; the decision
is now the whole file's.  ``MSK`` was always UTC+3, but Moscow's standard time was UTC+4
from 2011-03-27 to 2014-10-26: read by the date, in all four places that read abbreviations.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from _corpus import write_ais_with
from test_seizures_time_zones import _read, _times

from pipeline.errors import InputError
from pipeline.ingest import read_tracks, write_rejects
from pipeline.ingest.stream import PingStore, spill_tracks

LOCAL = "2021-03-05 10:00"

#: The zone letters and their hours east of UTC, written out by hand (the zone description
#: is the opposite: R is ZD +5).
EAST = {
    "Z": 0, "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8, "I": 9, "K": 10,
    "L": 11, "M": 12, "N": -1, "O": -2, "P": -3, "Q": -4, "R": -5, "S": -6, "T": -7, "U": -8,
    "V": -9, "W": -10, "X": -11, "Y": -12,
}  # fmt: skip


def _utc(local: str, east_hours: float) -> str:
    """UTC of a local time ``east_hours`` east of UTC (hand reference)."""
    t = datetime.strptime(local, "%Y-%m-%d %H:%M") - timedelta(hours=east_hours)
    return t.strftime("%Y-%m-%d %H:%M")


def test_every_zone_letter_places_its_time(tmp_path):
    res = _read(tmp_path, "date,ZD", *[f"{LOCAL},{c}" for c in EAST])
    assert res.n_rejected == 0
    assert _times(res) == [_utc(LOCAL, h) for h in EAST.values()]


@pytest.mark.parametrize(
    ("value", "east"),
    [
        ("r", -5),
        ("Romeo", -5),
        ("ROMEO", -5),
        ("zulu", 0),
        ("Alfa", 1),
        ("Alpha", 1),
        ("Mike", 12),
        ("November", -1),
        ("Whiskey", -10),
        ("X-ray", -11),
        ("Yankee", -12),
        ("+5 (R)", -5),
        ("-3 (C)", 3),
        ("+0 (Z)", 0),
    ],
)
def test_a_letter_in_any_case_or_its_word_reads_as_the_hours(tmp_path, value, east):
    res = _read(tmp_path, '"date","Zone description"', f'{LOCAL},"{value}"')
    assert res.n_rejected == 0
    assert _times(res) == [_utc(LOCAL, east)]


def test_numbers_and_letters_in_one_column_each_read_by_its_kind(tmp_path):
    # ZD +5 and R are both UTC-5; ZD -3 and C both UTC+3; 0 and Z UTC
    values = ["+5", "R", "-3", "c", "0", "Z", "-5.5"]
    res = _read(tmp_path, "date,ZD", *[f"{LOCAL},{v}" for v in values])
    assert res.n_rejected == 0
    assert _times(res) == [_utc(LOCAL, h) for h in (-5, -5, 3, 3, 0, 0, 5.5)]


@pytest.mark.parametrize("value", ["J", "j", "Juliet", "Juliett"])
def test_juliet_is_rejected_saying_it_is_local_time(tmp_path, value):
    res = _read(tmp_path, "date,ZD", f"{LOCAL},{value}", f"{LOCAL},R")
    assert _times(res) == [_utc(LOCAL, -5)]
    assert list(res.rejects["rule"]) == ["time_zone_unknown"]
    assert "J is the observer's local time" in res.rejects["message"].iloc[0]
    assert any("are J (Juliet" in n for n in res.notes)


def test_hours_and_a_letter_that_disagree_are_rejected(tmp_path):
    # +5 is R, not C: which of the two is right is not known
    res = _read(tmp_path, "date,ZD", f"{LOCAL},+5 (C)", f"{LOCAL},+5 (R)")
    assert _times(res) == [_utc(LOCAL, -5)]
    assert list(res.rejects["rule"]) == ["time_zone_unknown"]


def test_zone_letters_place_pings(tmp_path):
    letters = ["R", "Kilo", "z", "-3 (C)"]
    got = read_tracks(write_ais_with(tmp_path, "ZD", letters))
    assert got.n_rejected == 0
    want = sorted(_utc(f"2023-01-0{1 + i} 10:00", h) for i, h in enumerate((-5, 10, 0, 3)))
    assert sorted(got.frame["time"].dt.strftime("%Y-%m-%d %H:%M")) == want


@pytest.mark.parametrize(
    "columns", ['"Time (ZD)"', "time_zd", 'date,"Time (ZD)"'], ids=["header", "snake", "clock"]
)
def test_a_zone_time_header_without_hours_and_no_zd_column_is_refused(tmp_path, columns):
    # read as UTC before: 10:00 zone time, hours off, exit 0
    row = "2021-03-05,10:00" if columns.startswith("date") else LOCAL
    with pytest.raises(InputError, match=r"says zone time.*ZD"):
        _read(tmp_path, columns, row)


def test_a_zone_time_header_beside_a_zd_column_of_words_is_refused(tmp_path):
    with pytest.raises(InputError, match="says zone time"):
        _read(tmp_path, '"Time (ZD)","Zone description"', f"{LOCAL},Territorial sea")


def test_a_zone_time_header_beside_a_zd_column_reads_the_column(tmp_path):
    res = _read(tmp_path, '"Time (ZD)",ZD', f"{LOCAL},+5", f"{LOCAL},Romeo", f"{LOCAL},-2")
    assert _times(res) == [_utc(LOCAL, -5), _utc(LOCAL, -5), _utc(LOCAL, 2)]
    assert res.assumptions["columns"]["utc_offset"]["column"] == "ZD"


def _pings(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return sorted(
        zip(
            frame["vessel_id"].astype(str),
            frame["time"].dt.strftime("%Y-%m-%d %H:%M"),
            strict=True,
        )
    )


def _log(tmp_path, first: list[str], later: list[str]):
    """A log of 3,000 pings of five ships a minute apart in zone time (a piece is 64 KiB:
    about 2,000 records), its first 2,000 ZD values cycling ``first``, the rest ``later``."""
    rows = ["mmsi,timestamp,lat,lon,sog,ZD"]
    for i in range(3000):
        k = i // 5
        t = f"2024-01-{1 + k // 1440:02d}T{(k // 60) % 24:02d}:{k % 60:02d}:00"
        zd = first[i % len(first)] if i < 2000 else later[i % len(later)]
        rows.append(f"{235000000 + i % 5},{t},{43 + k * 1e-4:.5f},{5 + k * 1e-4:.5f},10.0,{zd}")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    "first", [[""], ["Territorial sea"], ["EEZ", ""]], ids=["blank", "words", "mixed"]
)
def test_a_zd_column_read_in_chunks_is_read_as_whole(tmp_path, first):
    # the first piece gives no zone description, the later ones do (R, +5, Romeo: UTC-5):
    # passed over for the whole file, the 3,000 times were read as UTC, 5 h off, exit 0
    path = _log(tmp_path, first, ["R", "+5", "Romeo"])
    whole = read_tracks(path)
    spill = spill_tracks(path, tmp_path / "s", chunk_rows=1, n_buckets=2)
    store = PingStore([spill], root=tmp_path / "s")  # removes the folder when it goes
    assert len(spill.reject_parts) >= 2  # read in two pieces or more
    # record 2000 is at 06:40 zone time on 1 January (k = 400 minutes): 11:40 UTC
    assert (whole.n_read, len(whole.frame), whole.n_rejected) == (3000, 1000, 2000)
    assert str(whole.frame["time"].min()) == "2024-01-01 11:40:00+00:00"
    frame = store.to_frame()
    assert _pings(frame) == _pings(whole.frame)
    assert (spill.n_read, spill.n_accepted, spill.n_rejected) == (3000, 1000, 2000)
    chunked = spill.write_rejects(tmp_path / "chunked").read_bytes()
    assert chunked == write_rejects(whole, tmp_path / "whole").read_bytes()
