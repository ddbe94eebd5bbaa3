"""Military date-time groups (``051430ZMAR21``) are read by their zone letter.

Coast guards' and navies' incident reports date events by the NATO date-time group: day,
hour, minute, the zone letter, the month and the year.  Such a column was rejected value by
value (dateutil reads none of it); ``J`` (the observer's local time) names no zone and stays
rejected, said in a note, never taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_seizures_time_zones import _read, _times

from pipeline.ingest._dates import parse_times

#: The military zone letters and their hours east of UTC, written out by hand.
LETTERS = {
    "Z": 0, "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8, "I": 9, "K": 10,
    "L": 11, "M": 12, "N": -1, "O": -2, "P": -3, "Q": -4, "R": -5, "S": -6, "T": -7, "U": -8,
    "V": -9, "W": -10, "X": -11, "Y": -12,
}  # fmt: skip
MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()


def _utc(values: list[str]) -> list[datetime | None]:
    got = parse_times(pd.Series(values, dtype=object), name="t.csv", column="dtg")
    return [None if pd.isna(t) else t.to_pydatetime() for t in got.times]


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("051430ZMAR21", "2021-03-05 14:30"),
        ("051430Z MAR 21", "2021-03-05 14:30"),
        ("051430ZMAR2021", "2021-03-05 14:30"),
        ("05 1430Z MAR 21", "2021-03-05 14:30"),
        ("051430R MAR 21", "2021-03-05 19:30"),  # Romeo: UTC-5
        ("010030B JAN 24", "2023-12-31 22:30"),  # Bravo: UTC+2, across the year
        ("311430zdec99", "1999-12-31 14:30"),  # lower case; 99 -> 1999
        ("150600M SEPT 22", "2022-09-14 18:00"),
    ],
)
def test_a_date_time_group_is_read_by_its_zone_letter(tmp_path, text, utc):
    res = _read(tmp_path, "date", text)
    assert _times(res) == [utc]
    assert res.n_rejected == 0
    assert any("date-time group" in n for n in res.notes)


def test_zone_j_and_impossible_groups_are_rejected_not_read(tmp_path):
    res = _read(tmp_path, "DTG", "051430ZMAR21", "051430JMAR21", "321430ZMAR21", "290000ZFEB23")
    assert _times(res) == ["2021-03-05 14:30"]
    assert res.n_rejected == 3
    assert set(res.rejects["rule"]) == {"date_unparseable"}
    assert any("zone J (local time)" in n for n in res.notes)
    assert res.assumptions["columns"]["time"]["column"] == "DTG"


@settings(max_examples=60, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2068, 12, 30)),
    letter=st.sampled_from(sorted(LETTERS)),
    spaced=st.booleans(),
    four=st.booleans(),
)
def test_any_group_is_its_local_time_less_its_letter_s_offset(when, letter, spaced, four):
    when = when.replace(second=0, microsecond=0)
    year = f"{when.year:04d}" if four else f"{when.year % 100:02d}"
    sep = " " if spaced else ""
    text = f"{when:%d%H%M}{letter}{sep}{MONTHS[when.month - 1]}{sep}{year}"
    want = (when - timedelta(hours=LETTERS[letter])).replace(tzinfo=UTC)
    assert _utc([text]) == [want]
