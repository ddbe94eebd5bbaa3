"""Clock columns beside a date-only column: the clock is read, or its loss is said.

Found today: a ``Time stamp`` of ``HHMM`` clocks beside a ``Date`` of days lost its clock
with no note.  Each test of a fix failed on the code before it; the siblings that already
read (or loudly refused) their clock are checked beside.
"""

from __future__ import annotations

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from _kinds import read_beside_dates

pytestmark = IGNORE_PENDING_DEPRECATION

_HHMM = ["0730", "1415", "2305", "0005"]
_READ = ["00:05", "07:30", "14:15", "23:05"]


def _read(tmp_path, header, values, kind="seizures", n=8):
    """Read a table of ``Date`` (days only) beside ``header`` holding ``values``."""
    res = read_beside_dates(kind, tmp_path, header, values, n=n, date_header="Date")
    return res, sorted(set(res.frame["time"].dt.strftime("%H:%M")))


@pytest.mark.parametrize("kind", ["seizures", "tracks"])
@pytest.mark.parametrize("header", ["Time stamp", "Timestamp", "Time-stamp", "Zeitstempel"])
def test_hhmm_clocks_under_a_stamp_header_are_read(tmp_path, kind, header):
    # the time of day's header words veto 'stamp', and by content a column of digits alone
    # was no clock: the records kept their date (00:00) and no note said a clock was lost
    res, clocks = _read(tmp_path, header, _HHMM, kind)
    assert clocks == _READ
    assert res.assumptions["time_of_day"]["column"] == header
    assert any(header in n and "without zone taken as UTC" in n for n in res.notes)


def test_years_under_a_timestamp_header_are_no_clock(tmp_path):
    # four digits that are the years of their own rows' dates (2023 beside 2023-03-10) are
    # years, never 20:23, and the note says so (other four digits: test_dates_round14_found)
    res, clocks = _read(tmp_path, "Timestamp", ["2023"])
    assert clocks == ["00:00"]
    assert res.assumptions.get("time_of_day", {}).get("column") is None
    assert any("'Timestamp'" in n and "read as years, not as HHMM" in n for n in res.notes)


@pytest.mark.parametrize(
    ("values", "read", "zone"),
    [
        (["7:30 AM", "2:15 PM", "11:05 PM", "12:05 AM"], _READ, "without zone taken as UTC"),
        (["07h30", "14h15", "23h05", "00h05"], _READ, "without zone taken as UTC"),
        (["0730Z", "1415Z", "2305Z", "0005Z"], _READ, "with a zone"),
        (["07:30 UTC+3", "14:15 UTC+3", "23:05 UTC+3", "00:05 UTC+3"], None, "with a zone"),
        (["", "", "", "0730", "1415", "2305", "0005", "1200"], None, "without zone"),
    ],
)
def test_clock_siblings_beside_a_date_are_read_with_their_zone_said(tmp_path, values, read, zone):
    res, clocks = _read(tmp_path, "Time", values)
    if read is not None:
        assert clocks == read
    assert any("'Time'" in n and zone in n for n in res.notes)
    if values[0] == "":  # blank first rows keep their date; the others their clock
        assert clocks == ["00:00", "00:05", "07:30", "12:00", "14:15", "23:05"]
    if "UTC+3" in values[0]:  # 07:30 at UTC+3 is 04:30 UTC; 00:05 is 21:05 the day before
        assert clocks == ["04:30", "11:15", "20:05", "21:05"]


@pytest.mark.parametrize("values", [["0730 LT", "1415 LT"], ["7.30", "14.15"]])
def test_a_clock_not_read_is_said(tmp_path, values):
    # a local time with no zone, or a dotted clock (7.30 could be hours as a decimal):
    # not read, and a note says so
    res, clocks = _read(tmp_path, "Time", values)
    assert clocks == ["00:00"]
    assert any("'Time'" in n for n in res.notes)


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Zeitstempel", ["07:30", "14:15", "25:99", "00:05"]),
        ("Timestamp", ["0730", "1415", "2575", "0005"]),
        ("Horodatage", ["07:30", "14:15", "inconnu", "00:05"]),
    ],
)
def test_too_few_clocks_under_a_moment_header_are_said_not_read(tmp_path, header, values):
    # three clocks in four under a header the time of day takes only by its values: under
    # the 90% it needs, the clocks of every record were lost with no note
    res, clocks = _read(tmp_path, header, values)
    assert clocks == ["00:00"]
    assert any(
        header in n and "75%" in n and "precision: day" in n and "time_of_day" in n
        for n in res.notes
    )


def test_unpadded_hhmm_under_a_stamp_header_is_said_not_read(tmp_path):
    # Excel drops the zeros of 0730 and 0005: '730', '5' are no clock the reader takes,
    # and a column of numbers was skipped unsaid; now it is named in the note
    res, clocks = _read(tmp_path, "Time stamp", ["730", "1415", "2305", "5"])
    assert clocks == ["00:00"]
    assert any("'Time stamp' (50% of its values)" in n and "time_of_day" in n for n in res.notes)


def test_ais_seconds_under_a_timestamp_are_no_clock_and_no_note(tmp_path):
    # the AIS 'timestamp' (the UTC second, 0-60) beside a date: neither a clock nor a loss
    res, clocks = _read(tmp_path, "timestamp", ["12", "45", "7", "59"])
    assert clocks == ["00:00"]
    assert not any("timestamp" in n and "time_of_day" in n for n in res.notes)


def test_evening_hhmm_clocks_are_no_years(tmp_path):
    # a clock of 1715 or 2230 is a year the tables hold: a day's clocks, a quarter of them
    # 17:00-22:59, fit 75% as clocks and were said not read; a year only where all are
    day = [f"{h:02d}{h * 7 % 60:02d}" for h in range(4, 24)]  # (20 rows: days 10-29)
    res, clocks = _read(tmp_path, "Time stamp", day, n=20)
    assert clocks == sorted(f"{v[:2]}:{v[2:]}" for v in day)
    assert res.assumptions["time_of_day"]["column"] == "Time stamp"
