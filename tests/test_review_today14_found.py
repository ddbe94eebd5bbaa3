"""Review of today's date, raw-AIS, model and export changes: what it found.

An offset followed by a word of capitals was taken for the zone's name (``14:00 +0100 CET``)
and bracketed for dateutil, month names and joining words too: ``14:00 +0100 MAR 5 2024``
was read as 1 May 2024 (the month taken for a zone, 5 for the month), and
``14:00 -0500 DEC 31 2024`` or ``14:00 +0100 ON 5 MAR 2024``, read before, were refused.
Each test failed on the code before its fix.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.ingest._dates import parse_times


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("14:00 +0100 MAR 5 2024", "2024-03-05 13:00"),
        ("2:00 PM +0100 MAR 05, 2024", "2024-03-05 13:00"),
        ("14:00 +0000 MAR 05 2024", "2024-03-05 14:00"),
        ("14:00 -0500 DEC 31 2024", "2024-12-31 19:00"),
        ("14:00 +0100 ON 5 MAR 2024", "2024-03-05 13:00"),
        ("5 Mar 2024 14:00 +0100 ON", "2024-03-05 13:00"),
        ("14:00:00 +0100 TUE 05 MAR 2024", "2024-03-05 13:00"),
    ],
)
def test_a_month_or_joining_word_after_an_offset_is_no_zone_name(text, utc):
    parsed = parse_times(pd.Series([text]), dayfirst=True)
    assert parsed.times.iloc[0] == pd.Timestamp(utc, tz="UTC"), text


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Tue, 05 Mar 2024 14:00:00 +0100 CET", "2024-03-05 13:00"),
        ("5 Mar 2024 2:00 PM -0800 PST", "2024-03-05 22:00"),
    ],
)
def test_a_zone_name_after_an_offset_is_still_read(text, utc):
    # the fix keeps today's reading of a real zone name after its offset
    parsed = parse_times(pd.Series([text]), dayfirst=True)
    assert parsed.times.iloc[0] == pd.Timestamp(utc, tz="UTC"), text


def test_a_month_after_an_offset_in_a_column_is_read_as_the_month():
    # a column of such values: every one on its own date, none moved to May
    texts = [f"{h:02d}:30 +0100 MAR {d} 2024" for h, d in [(9, 1), (10, 12), (23, 28)]]
    parsed = parse_times(pd.Series(texts), dayfirst=True)
    want = pd.to_datetime(["2024-03-01 08:30", "2024-03-12 09:30", "2024-03-28 22:30"]).tz_localize(
        "UTC"
    )
    assert list(parsed.times) == list(want)
    assert not parsed.unparseable.any()


@pytest.mark.parametrize("text", ["5 Mar 2024 14:00-16:00", "5 Mar 2024 2:00-15:30"])
def test_a_watch_of_two_clocks_is_no_offset_beyond_14_hours(text):
    # dateutil took the second clock for an offset (-16:00): 14:00 was read as 06:00 UTC
    # the next day, though no place is more than 14 h from UTC
    parsed = parse_times(pd.Series([text]), dayfirst=True)
    assert pd.isna(parsed.times.iloc[0])
    assert parsed.unparseable[0]
    assert any("range" in n for n in parsed.notes), parsed.notes


@pytest.mark.parametrize(
    "text",
    [
        "5 Mar 2024 09:00-11:00",
        "5 Mar 2024 9:00-9:30",
        "03/05/2024 09:00-11:00",
        "5 Mar 2024 09:00 - 11:00",
    ],
)
def test_a_clock_without_seconds_dash_a_clock_is_refused_as_a_watch(text):
    # a watch of two clocks, or 09:00 at -11:00 (an offset in use)? read as the offset, 09:00
    # became 20:00 UTC without a word; now refused as a range, with its note
    got = parse_times(pd.Series([text]), dayfirst=True)
    assert got.unparseable.tolist() == [True]
    assert len(got.notes) == 1 and "range of days or times" in got.notes[0]


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-03-05 09:00-05:00", "2024-03-05 14:00"),  # year-first: ISO 8601's offset
        ("2024-03-05T09:00-11:00", "2024-03-05 20:00"),
        ("5 Mar 2024 09:00:00-05:00", "2024-03-05 14:00"),  # with its seconds
        ("03/05/2024 09:00:00-05:00", "2024-05-03 14:00"),
        ("03/05/2024 09:00 -0500", "2024-05-03 14:00"),
        ("03/05/2024 09:00+05:30", "2024-05-03 03:30"),
    ],
)
def test_an_offset_after_seconds_or_a_year_first_date_is_still_read(text, utc):
    got = parse_times(pd.Series([text]), dayfirst=True)
    assert got.times.iloc[0] == pd.Timestamp(utc, tz="UTC")


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Tue Mar 05 2024 14:00:00 GMT+0100 (Central European Standard Time)", "2024-03-05 13:00"),
        ("Tue Mar 05 2024 14:00:00 GMT-0500 (Eastern Standard Time)", "2024-03-05 19:00"),
        ("Tue Jul 02 2024 09:30:00 GMT+0530 (India Standard Time)", "2024-07-02 04:00"),
    ],
)
def test_javascripts_date_to_string_is_read_by_its_offset(text, utc):
    # Date.toString() of a web page's scraped records: rejected with no note before
    got = parse_times(pd.Series([text]))
    assert got.times.iloc[0] == pd.Timestamp(utc, tz="UTC")


@pytest.mark.parametrize(
    "text",
    [
        # incident reports write a watch '0900-1100': read as 09:00 at -11:00, 20:00 UTC
        "5 Mar 2024 0900-1100",
        "5 Mar 2024 0900 - 1100",
        "05/03/2024 0900-1100",
        # a watch to a whole hour, '09:00-11', read as 09:00 at -11 (20:00 UTC), exit 0
        "5 Mar 2024 09:00-11",
        "03/05/2024 09:00-11",
    ],
)
def test_a_watch_of_four_digit_clocks_or_to_a_whole_hour_is_refused_not_read_as_an_offset(text):
    got = parse_times(pd.Series([text]), dayfirst=True)
    assert got.unparseable.tolist() == [True]
    assert len(got.notes) == 1 and "range of days or times" in got.notes[0]


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("5 Mar 2024 0900", "2024-03-05 09:00"),
        ("Tue, 5 Mar 2024 09:00:00 -0500", "2024-03-05 14:00"),
        ("20240305T0900-0500", "2024-03-05 14:00"),
        ("5 Mar 2024 0900Z", "2024-03-05 09:00"),
    ],
)
def test_four_digit_clocks_and_rfc_offsets_are_still_read(text, utc):
    got = parse_times(pd.Series([text]), dayfirst=True)
    assert got.times.iloc[0] == pd.Timestamp(utc, tz="UTC")


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("5 Mar 2024 09:00:00-05", "2024-03-05 14:00"),
        ("2024-03-05 09:00-05", "2024-03-05 14:00"),
        ("03/05/2024 09:00+05", "2024-05-03 04:00"),
    ],
)
def test_an_hour_offset_after_seconds_a_year_first_date_or_a_plus_is_still_read(text, utc):
    got = parse_times(pd.Series([text]), dayfirst=True)
    assert got.times.iloc[0] == pd.Timestamp(utc, tz="UTC")
