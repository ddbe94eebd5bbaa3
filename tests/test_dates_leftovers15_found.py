"""Date spellings left alone by the fourteenth session and closed in the fifteenth.

A watch from a clock marked AM/PM (``9:00AM-11:00``, ``9AM-11``, ``9:00 a.m.-11:00``) was read
by dateutil as 09:00 at offset -11:00, i.e. 20:00 UTC with exit 0.  ISO 8601, whose shape
makes ``2024-03-05 09:00-11:00`` an offset, has no AM/PM, so after a year-first date too it is
refused as a range.  A clock with seconds (.NET's ``3/5/2024 9:00:00 AM -05:00``) or a
four-digit offset keeps its offset.  Expected times are worked out here by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.ingest._dates import parse_times

WATCHES = [
    "5 Mar 2024 9:00AM-11:00",
    "5 Mar 2024 9:00PM-11:30",
    "5 Mar 2024 9:00 a.m.-11:00",
    "5 Mar 2024 9AM-11",
    "5 Mar 2024 9 a.m. - 11:30",
    "05/03/2024 9:00AM-11:00",
    "2024-03-05 9:00AM-11:00",
    "2024-03-05 9:00 PM-11",
]


@pytest.mark.parametrize("text", WATCHES, ids=[f"w{i}" for i in range(len(WATCHES))])
def test_a_watch_from_an_am_pm_clock_is_refused_with_the_range_note(text):
    p = parse_times(pd.Series([text, "05/03/2024 10:00"]), dayfirst=True)
    assert p.unparseable.tolist() == [True, False]
    assert p.times[1] == pd.Timestamp("2024-03-05 10:00", tz="UTC")
    assert any("range of days or times" in n for n in p.notes)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("3/5/2024 9:00:00 AM -05:00", "2024-03-05 14:00"),  # .NET DateTimeOffset, month-first
        ("5 Mar 2024 9:00AM -0500", "2024-03-05 14:00"),
        ("5 Mar 2024 9:00 PM -0500", "2024-03-06 02:00"),
        ("2024-03-05 9:00:00 PM-05:00", "2024-03-06 02:00"),
        ("2024-03-05 09:00-05:00", "2024-03-05 14:00"),  # ISO 8601, no AM/PM: an offset
    ],
    ids=["net", "am-0500", "pm-0500", "ymd-seconds", "iso"],
)
def test_an_am_pm_clock_with_seconds_or_a_four_digit_offset_keeps_it(text, utc):
    p = parse_times(pd.Series([text]), dayfirst=False)
    assert not p.unparseable[0]
    assert p.times[0] == pd.Timestamp(utc, tz="UTC")
