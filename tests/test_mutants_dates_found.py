"""Gaps found by a second hand mutation analysis of date and time parsing (hGF).

Each test here kills a mutant of ``pipeline/ingest/_dates.py`` that the suite let live
(clock bounds, ISO week edges, two-digit year-first proof, year-day-month votes, zone
words of a time-of-day column), or pins a fix: a date naming its offset and a clock naming
one too had the offset applied twice.  Every expected value is computed independently of
the code under test (``datetime`` by hand, ``date.fromisocalendar``, ``pandas.to_datetime``
with an explicit format).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from _corpus import assert_times_read

from pipeline.errors import InputError
from pipeline.ingest import read_seizures
from pipeline.ingest._dates import parse_clock, parse_times


def _at(*args, offset_min: int = 0) -> pd.Timestamp:
    """The UTC instant of a wall-clock time at ``offset_min`` minutes east of UTC."""
    zone = dt.timezone(dt.timedelta(minutes=offset_min))
    return pd.Timestamp(dt.datetime(*args, tzinfo=zone).astimezone(dt.UTC))


def _epoch(seconds: int, nanos: int = 0) -> pd.Timestamp:
    when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    return pd.Timestamp(when) + pd.Timedelta(nanoseconds=nanos)


def _week(year: int, week: int, day: int) -> pd.Timestamp:
    return pd.Timestamp(dt.date.fromisocalendar(year, week, day), tz="UTC")


def _yymmdd(text: str) -> pd.Timestamp:
    return pd.to_datetime(text, format="%y-%m-%d").tz_localize("UTC")


_READS = {
    # an hour above 12 marked PM is no 12-hour clock (13:05 PM is not 13:05, nor 01:05)
    "pm-hour-13": (["12/31/2020 13:05 PM", "12/31/2020 1:05 PM"], [None, _at(2020, 12, 31, 13, 5)]),
    # second 60 is a leap second (read as 59); second 61 is no second
    "leap-second-61": (
        ["2016-12-31T23:59:61Z", "2016-12-31T23:59:60Z"],
        [None, _at(2016, 12, 31, 23, 59, 59)],
    ),
    # minute 60 is no minute (not 11:00)
    "minute-60": (["2024-03-01 10:60", "2024-03-01 10:59"], [None, _at(2024, 3, 1, 10, 59)]),
    # 2021 has 52 ISO weeks: its week 53 is refused, not read as 2022's week 1; 2020 has 53;
    # there is no week 0; week 1 of 2024 starts on 1 January, a Monday
    "iso-week-edges": (
        ["2021-W53-1", "2020-W53-1", "2024-W00", "2024-W01", "2024-W11-7"],
        [None, _week(2020, 53, 1), None, _week(2024, 1, 1), _week(2024, 11, 7)],
    ),
    # weekday 0 is no ISO weekday (not the Sunday before)
    "iso-weekday-0": (["2024-W11-0"], [None]),
    # a column proved yy-mm-dd takes the POSIX pivot for its leading year too
    "year-first-pivot": (["98-03-25", "70-01-31"], [_yymmdd("98-03-25"), _yymmdd("70-01-31")]),
    # a first field of 32 is no day nor month: the column is yy-mm-dd
    "year-first-from-32": (["32-03-25", "05-03-10"], [_yymmdd("32-03-25"), _yymmdd("05-03-10")]),
    # a second field of 32 is no day either: it proves nothing about yyyy-dd-mm, and the
    # ISO date beside it is read as ISO (not refused as possibly year-day-month)
    "iso-second-field-32": (["2024-32-03", "2024-05-03"], [None, _at(2024, 5, 3)]),
    # free text: an offset of 14 h is in use (Kiribati), one past it is not
    "free-text-offset-14": (
        ["5 Mar 2024 10:00 +14:00", "5 Mar 2024 10:00 +14:01"],
        [_at(2024, 3, 5, 10, offset_min=840), None],
    ),
    # 'UTC+14' is 14 h east; 'UTC+14:01' and minute 60 are no offsets
    "named-offset-edges": (
        [
            "5 Mar 2024 10:00 UTC+14",
            "5 Mar 2024 10:00 UTC+14:01",
            "5 Mar 2024 10:00 UTC+5:60",
            "5 Mar 2024 10:00 UTC+5:59",
        ],
        [_at(2024, 3, 5, 10, offset_min=840), None, None, _at(2024, 3, 5, 10, offset_min=359)],
    ),
    # 18 digits are epoch nanoseconds (18-20), not unread
    "epoch-ns-18-digits": (["170928720012345678"], [_epoch(170_928_720, 12_345_678)]),
    # twelve digits spelling a date of 1900 or 2100 (the ends of the span) are that date ...
    "compact-1900-and-2100": (
        ["190001011200", "210012311200"],
        [_at(1900, 1, 1, 12), _at(2100, 12, 31, 12)],
    ),
    # ... but half the values of the length spelling none make the length epoch time, and
    # one that spells a date is then a date or a millisecond of 1976: neither (rejected)
    "compact-only-if-all-are": (
        ["202403011430", "150001011200"],
        [None, _epoch(150_001_011, 200_000_000)],
    ),
    # the first and last whole seconds the tables hold, as epoch seconds
    "range-edges": (["9223372035", "-9223372036"], [_epoch(9_223_372_035), _epoch(-9_223_372_036)]),
    # a bare date then -13 is a range of days, not an offset of -13 h; an offset after a
    # bare date is written in full
    "bare-date-then-two-digits": (
        ["2021/03/12-13", "2021-03-12+01:00"],
        [None, _at(2021, 3, 12, offset_min=60)],
    ),
    # two-digit years in words take the numeric dates' pivot: 69 is 1969, 68 is 2068
    "words-two-digit-pivot": (
        ["05-MAR-69", "05-MAR-68"],
        [_at(1969, 3, 5), _at(2068, 3, 5)],
    ),
}


@pytest.mark.parametrize("case", sorted(_READS))
def test_dates_read_as_computed_by_hand(case):
    assert_times_read(*_READS[case], case)


@pytest.mark.parametrize(
    "values",
    [["98-03-25", "05-03-32", "05-03-10"], ["98-03-25", "05-03-00", "05-03-10"]],
    ids=["last-field-32", "last-field-00"],
)
def test_a_last_field_that_is_no_day_proves_day_month_first(values):
    # '98-03-25' is year-first; '05-03-32' and '05-03-00' cannot be (32 and 00 are no day):
    # the column mixes both, and '05-03-10' could be either - refused, not read year-first
    with pytest.raises(InputError, match=r"mixes year-first \(yy-mm-dd\)"):
        parse_times(pd.Series(values))


def test_dayfirst_false_reads_year_first_dates_year_month_day():
    # '2024-15-03' proves yyyy-dd-mm, but dayfirst: false keeps the ISO reading (3 May)
    got = parse_times(pd.Series(["2024-15-03", "2024-05-03"]), dayfirst=False)
    assert [str(t) for t in got.times] == ["NaT", str(_at(2024, 5, 3))]
    assert any("if the column is yyyy-dd-mm they are wrong" in n for n in got.notes), got.notes


def test_hours_0_and_13_without_am_pm_are_no_twelve_hour_doubt():
    # beside a PM clock, 00:30 and 13:30 can only be 24-hour clocks: no note doubts them
    values = ["12/31/2020 2:30 PM", "12/31/2020 00:30", "12/31/2020 13:30"]
    got = parse_times(pd.Series(values))
    assert got.times.tolist() == [
        _at(2020, 12, 31, 14, 30),
        _at(2020, 12, 31, 0, 30),
        _at(2020, 12, 31, 13, 30),
    ]
    assert not any("have no AM/PM" in n for n in got.notes), got.notes


def test_dayfirst_true_reads_every_year_first_date_year_day_month():
    got = parse_times(pd.Series(["2024-15-03", "2024-05-03"]), dayfirst=True, name="s.csv")
    assert got.times.tolist() == [_at(2024, 3, 15), _at(2024, 3, 5)]
    assert any("s.csv: 2 year-first date(s) read year-day-month" in n for n in got.notes)


def test_datetime_cells_at_midnight_carry_no_clock_and_past_2262_are_out_of_range():
    # a Parquet/Excel datetime column: midnight is a date alone (a clock column may add
    # the time); year 2300 fits microseconds but not the tables' nanoseconds: not wrapped
    cells = pd.Series(np.array(["2024-03-01", "2024-03-01T10:00", "2300-01-01"], "datetime64[us]"))
    got = parse_times(cells)
    assert got.has_clock.tolist() == [False, True, False]
    assert got.out_of_range.tolist() == [False, False, True]
    assert got.times.tolist()[:2] == [_at(2024, 3, 1), _at(2024, 3, 1, 10)]
    assert pd.isna(got.times.iloc[2])


def test_the_week_note_counts_the_weeks_without_a_weekday():
    got = parse_times(pd.Series(["2024-W11", "2024-W12-3"]), name="s.csv")
    assert got.times.tolist() == [_week(2024, 11, 1), _week(2024, 12, 3)]
    assert any("s.csv: 1 ISO week(s) without a weekday" in n for n in got.notes), got.notes


def test_a_negative_five_digit_number_is_no_excel_serial():
    got = parse_times(pd.Series(["-43831", "43831"]), name="s.csv")
    assert got.unparseable.all()
    assert any("1 value(s) such as '43831' are five-digit numbers" in n for n in got.notes)


def test_a_day_first_clock_with_seconds_keeps_its_offset():
    # '09:00:00-05:00' is a clock and its offset (a watch has no seconds): 14:00 UTC
    got = parse_times(pd.Series(["13/03/2024 09:00:00-05:00", "14/03/2024 10:00"]))
    assert got.times.tolist() == [_at(2024, 3, 13, 9, offset_min=-300), _at(2024, 3, 14, 10)]


def test_the_year_month_note_counts_its_values():
    got = parse_times(pd.Series(["2024-03", "2024-04", "2024-04-05"]), name="s.csv")
    assert got.times.tolist() == [_at(2024, 3, 1), _at(2024, 4, 1), _at(2024, 4, 5)]
    assert any("s.csv: 2 value(s) give only a year and month" in n for n in got.notes)


def test_the_mixed_orders_note_counts_each_order_as_proved():
    # one date proves day-first, two month-first; none is ambiguous: each read as written
    got = parse_times(pd.Series(["25/01/2020", "01/25/2020", "02/25/2020"]), name="s.csv")
    assert got.times.tolist() == [_at(2020, 1, 25), _at(2020, 1, 25), _at(2020, 2, 25)]
    assert "s.csv: mixes day-first (1) and month-first (2) dates" in " ".join(got.notes)


def test_the_end_of_day_note_names_a_24_00_value():
    got = parse_times(pd.Series(["2024-03-01 10:00", "2024-03-01 24:00"]), name="s.csv")
    assert got.times.tolist() == [_at(2024, 3, 1, 10), _at(2024, 3, 2)]
    note = [n for n in got.notes if "24:00, the end of their day" in n]
    assert note and "1 value(s) such as '2024-03-01 24:00' are 24:00" in note[0], got.notes


def test_a_free_text_zero_offset_is_a_zone_named():
    # '+00:00' names UTC: the value is zoned, so no header zone or offset column moves it
    got = parse_times(pd.Series(["5 Mar 2024 10:00 +00:00", "5 Mar 2024 10:00"]))
    assert got.times.tolist() == [_at(2024, 3, 5, 10)] * 2
    assert got.zoned.tolist() == [True, False]


def test_a_time_cell_of_excels_day_zero_is_its_clock():
    # a time-only cell exported with its date system's day zero: 1900-01-00 or 1899-12-30
    secs, _, _, bad = parse_clock(pd.Series(["1900-01-00 14:30:00", "1899-12-30 14:30:00"]))
    assert secs.tolist() == [14 * 3600 + 30 * 60] * 2
    assert not bad.any()


def test_a_clock_in_local_time_words_is_not_placed_in_utc():
    # '14:30 local time' is local like '14:30 LT', not 14:30 UTC; '1430 hrs' names no zone
    secs, zoned, local, bad = parse_clock(pd.Series(["14:30 local time", "1430 hrs", "14:30Z"]))
    assert local.tolist() == [True, False, False]
    assert zoned.tolist() == [False, False, True]
    assert bad.tolist() == [False, False, False]
    assert secs[1:].tolist() == [14 * 3600 + 30 * 60] * 2


# ---------------------------------------------------------------------- a zone given twice


def _seizures(tmp_path, rows: list[str]):
    lines = ["date,time,lat,lon,drug"]
    lines += [f"{d},{t},10.{k},-60.{k},cocaine" for k, (d, t) in enumerate(rows)]
    path = tmp_path / "s.csv"
    path.write_text("\n".join(lines) + "\n")
    return read_seizures(path, as_of="2026-11-30")


@pytest.mark.parametrize("offset", ["+05:00", "-08:00", "+05:30"])
def test_a_dates_offset_repeated_by_its_clock_is_applied_once(tmp_path, offset):
    # '2024-03-01+05:00' with '10:00+05:00' is 10:00 at +05:00 (05:00 UTC); the offset
    # was applied with the date and again with the clock (00:00 UTC, five hours off)
    sign = 1 if offset[0] == "+" else -1
    minutes = sign * (int(offset[1:3]) * 60 + int(offset[4:6]))
    rows = [(f"2024-03-01{offset}", f"10:00{offset}"), (f"2024-03-02{offset}", f"23:00{offset}")]
    res = _seizures(tmp_path, rows)
    assert res.n_accepted == 2, res.by_rule
    got = sorted(res.frame["time"].tolist())
    assert got == [
        _at(2024, 3, 1, 10, offset_min=minutes),
        _at(2024, 3, 2, 23, offset_min=minutes),
    ]
    assert res.assumptions["time_of_day"]["zoned"] == 2


def test_a_clock_without_zone_after_a_dates_offset_is_a_time_of_that_zone(tmp_path):
    res = _seizures(tmp_path, [("2024-03-01+05:00", "10:00"), ("2024-03-02+05:00", "11:30")])
    assert sorted(res.frame["time"].tolist()) == [
        _at(2024, 3, 1, 10, offset_min=300),
        _at(2024, 3, 2, 11, 30, offset_min=300),
    ]
    tod = res.assumptions["time_of_day"]
    assert (tod["zoned"], tod["naive_as_utc"]) == (2, 0), tod


def test_a_clock_naming_another_zone_than_its_date_is_refused(tmp_path):
    # '2024-03-01+05:00' and '10:00Z': two zones, five hours apart - neither is known right
    rows = [("2024-03-01+05:00", "10:00Z"), ("2024-03-02+05:00", "10:00+05:00")]
    res = _seizures(tmp_path, rows)
    assert res.by_rule.get("date_unparseable") == 1, res.by_rule
    assert res.frame["time"].tolist() == [_at(2024, 3, 2, 10, offset_min=300)]
    assert any("name a zone other than their date's" in n for n in res.notes), res.notes


def test_a_spreadsheets_fraction_of_a_day_is_rounded_to_the_second(tmp_path):
    # 0.5208333333 is 12:30 less 29 microseconds (ten decimals): 12:30:00, not 12:29:59
    res = _seizures(tmp_path, [("2024-03-01", "0.5208333333"), ("2024-03-02", "0.25")])
    assert sorted(res.frame["time"].tolist()) == [_at(2024, 3, 1, 12, 30), _at(2024, 3, 2, 6)]


# ---------------------------------------------------------------------- compact dates


def test_a_slip_among_compact_dates_is_rejected_not_read_as_epoch_time(tmp_path):
    # three yyyymmddHHMM values and one with month 13: the slip made the whole column
    # epoch milliseconds (every record on 1976-05-31, no note); now the slip alone is refused
    lines = ["date,lat,lon,drug"]
    stamps = ["202403011430", "202403021530", "202403311200", "202413011430"]
    lines += [f"{v},10.{k},-60.{k},cocaine" for k, v in enumerate(stamps)]
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n")
    res = read_seizures(path, as_of="2026-11-30")
    assert res.frame["time"].tolist() == [
        _at(2024, 3, 1, 14, 30),
        _at(2024, 3, 2, 15, 30),
        _at(2024, 3, 31, 12),
    ]
    assert res.by_rule == {"date_unparseable": 1}
    assert any("'202413011430' are no valid date written yyyymmddHHMM" in n for n in res.notes)


def test_a_clock_column_nine_tenths_fractions_of_a_day_is_read_so(tmp_path):
    # 'at least 90%' of the values fractions: 9 of 10 are, beside one typed '14:30'
    rows = [(f"2024-03-{k + 1:02d}", f"0.{25 + k:02d}") for k in range(9)]
    rows.append(("2024-03-10", "14:30"))
    res = _seizures(tmp_path, rows)
    want = [
        _at(2024, 3, k + 1) + pd.Timedelta(seconds=round(86400 * (25 + k) / 100)) for k in range(9)
    ]
    assert sorted(res.frame["time"].tolist()) == want + [_at(2024, 3, 10, 14, 30)]


def test_a_clock_past_the_tables_last_instant_is_out_of_range_not_wrapped(tmp_path):
    # 2262-04-11 23:59 is past 23:47:16, the last nanosecond instant: the sum wrapped to
    # 1677-09-21 00:24 and the record was accepted with that date
    res = _seizures(tmp_path, [("2262-04-11", "23:59"), ("2024-03-02", "11:00")])
    assert res.by_rule == {"date_out_of_range": 1}
    assert res.frame["time"].tolist() == [_at(2024, 3, 2, 11)]
