"""Differential check of today's date changes (2307ff0..64d9a88): what it found.

Every date-like literal of ``tests/``, the shared data's date columns and ~250 spellings of
real exports were parsed by 2307ff0 and by 64d9a88; all differences but one were the
changes meant.  The one: a watch (``13/03/2024 09:00-11:00``) was taken out of the
day/month/year values before the column's order was decided, so its date no longer counted
as evidence - a column that the watch's 13th decided day-first raised "no value decides".
The first test failed on 64d9a88; the second keeps the fix from counting a refused watch
among the dates "read as written" against ``dayfirst`` (it failed on a first cut of it).
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.ingest._dates import parse_times

WATCH = "13/03/2024 09:00-11:00"


@pytest.mark.parametrize(
    "values",
    [[WATCH, "05/03/2024 10:00"], ["05/03/2024 10:00", WATCH, WATCH]],
    ids=["watch-first", "watch-after"],
)
def test_a_watchs_date_still_decides_the_columns_order(values):
    p = parse_times(pd.Series(values), name="e.csv", column="date")
    assert p.assumptions["order"] == "day-first"
    assert p.times[0 if values[0] != WATCH else 1] == pd.Timestamp("2024-03-05 10:00", tz="UTC")
    assert p.unparseable.tolist() == [v == WATCH for v in values]
    assert any("range of days or times" in n for n in p.notes)


def test_a_refused_watch_is_not_counted_as_read_against_dayfirst():
    p = parse_times(pd.Series([WATCH, "03/05/2024 10:00"]), dayfirst=False)
    assert p.unparseable.tolist() == [True, False]
    assert p.times[1] == pd.Timestamp("2024-03-05 10:00", tz="UTC")
    assert not any("contradict dayfirst" in n for n in p.notes)
    # a date read against dayfirst is still said to be
    q = parse_times(pd.Series(["13/03/2024 09:00", "03/05/2024 10:00"]), dayfirst=False)
    assert any("1 date(s) contradict dayfirst=False" in n for n in q.notes)


@pytest.mark.parametrize(
    "text",
    [
        "5 Mar 2024 9:00AM-11:00AM",
        "5 Mar 2024 9:00 AM - 11:00 AM",
        "3/5/2024 9:00 AM-11:00 AM",
        "2024-03-05 9:00AM-11:00AM",
        "5 Mar 2024 9AM-11AM",
    ],
)
def test_clocks_marked_am_or_pm_on_both_ends_of_a_dash_are_a_watch(text):
    # read as 09:00 at -11:00 (20:00 UTC) before, or refused without a word ('9:00 AM -
    # 11:00 AM'): an offset is never followed by AM, the note says it is a range
    p = parse_times(pd.Series([text, "5 Mar 2024 9:00 AM"]), dayfirst=True)
    assert p.unparseable.tolist() == [True, False]
    assert any("range of days or times" in n for n in p.notes)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("5 Mar 2024 9:00 AM -0500", "2024-03-05 14:00"),
        ("Mar 5, 2024 2:30 PM -0500", "2024-03-05 19:30"),
    ],
)
def test_a_twelve_hour_clock_then_an_offset_is_still_read(text, utc):
    p = parse_times(pd.Series([text]), dayfirst=True)
    assert p.times[0] == pd.Timestamp(utc, tz="UTC")
