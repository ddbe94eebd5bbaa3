"""Problems found by a fresh-eyes review of a day's pipeline diff (review 7).

Each test failed on the code before its fix.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from _ingest_stage import track_outcome
from _kinds import read_beside_dates

from pipeline.ingest._dates import parse_times


def test_a_clock_after_a_date_in_words_keeps_its_year():
    # d3d548f ('1730 5 Mar 2024' is no year 1730) took the year a date writes only from
    # four digits right after the month name: 'March 5, 2024 1730' (US order),
    # '5-Mar-2024 1730' and '2024 March 5 1730', all read right before, were rejected as
    # date_unparseable; the clock written first stays refused
    values = [
        "March 5, 2024 1730",
        "Mar 5 2024 1730",
        "Tuesday, March 5, 2024 1730",
        "5-Mar-2024 1730",
        "2024 March 5 1730",
        "5 de marzo de 2024 1730",
        "1730 5 Mar 2024",
    ]
    got = parse_times(pd.Series(values), dayfirst=True).times
    assert [t.isoformat() for t in got.iloc[:-1]] == ["2024-03-05T17:30:00+00:00"] * 6
    assert pd.isna(got.iloc[-1])


def _year_day_month_track(tmp_path):
    """A track whose times are written yyyy-dd-mm, 3 to 14 March 2024, 300 pings a day."""
    rows = ["mmsi,time,lat,lon"]
    for i, day in enumerate(range(3, 15)):
        rows += [
            f"235000001,2024-{day:02d}-03 {k // 60:02d}:{k % 60:02d},50.{i:02d},-1.{i:02d}"
            for k in range(300)
        ]
    path = tmp_path / "ydm.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("how", ["chunks", "parts"])
def test_year_day_month_dates_read_in_chunks_are_read_one_way_or_refused(tmp_path, how):
    # 5fb8b71 reads year-first dates year-day-month with dayfirst: true only where the values
    # show it (a day above 12): read in chunks (64 KiB at the least), a first chunk of 3-8
    # March ('2024-04-03' is 4 March) read them year-month-day, 3 April .. 8 August, while
    # later chunks read 13 March on: accepted, no word.  Read whole, every date is March.
    from pipeline.ingest import TrackSource

    src = TrackSource(path=_year_day_month_track(tmp_path), dayfirst=True)
    whole = track_outcome(src, "whole", 0, tmp_path)
    assert whole != "refused"
    got = track_outcome(src, how, 100, tmp_path)
    if got[0] != "refused":  # read in chunks: the same pings as read whole
        assert got[1] == whole[1]
    else:
        assert "year-day-month" in got[1] and "chunk_rows" in got[1]


@pytest.mark.parametrize("header", ["Time (h)", "time_min", "Time [d]"])
def test_amounts_of_a_unit_of_time_are_no_fractions_of_a_day(tmp_path, header):
    # eeb19fe reads a column of fractions of a day under a clock's header as clocks: a
    # 'Time (h)' of 0.25, 0.5, 0.75 hours gave the records 06:00, 12:00 and 18:00 (no
    # word of doubt); a header with a unit of time holds amounts of it, not clocks
    res = read_beside_dates("seizures", tmp_path, header, ["0.25", "0.50", "0.75"], n=3)
    assert list(res.frame["time"].dt.strftime("%H:%M")) == ["00:00"] * 3


def test_iso_basic_date_and_clock_with_a_space_is_year_month_day():
    # 44c34b6 reads '20240305T143000Z'; written with a space for the T ('20240305 143000',
    # as loggers do) the value went to dateutil, which read it 3 May with dayfirst: true
    # (accepted, no word) and refused it without
    for dayfirst in (True, None):
        got = parse_times(pd.Series(["20240305 143000", "20240305 1430"]), dayfirst=dayfirst)
        assert [t.isoformat() for t in got.times] == ["2024-03-05T14:30:00+00:00"] * 2


def test_years_of_the_dates_under_a_stamp_header_are_not_called_clocks(tmp_path):
    # the two clock rounds merged by hand: 2db282b's pick of a date column beside four-digit
    # values under a stamp header said they 'are its times of day (HHMM), not years' while
    # c1bf3f3's time of day read the same values as years (each its row's year) and said
    # so: two evidence lines of one file contradicting each other
    res = read_beside_dates(
        "seizures", tmp_path, "Timestamp", ["2023"], n=3, date_header="Reported"
    )
    assert res.assumptions["columns"]["time"]["column"] == "Reported"
    said = " ".join(res.notes) + str(res.assumptions["columns"]["time"]["evidence"])
    assert "the years of the dates" in said
    assert "times of day (HHMM), not years" not in said


def test_a_clock_among_day_fractions_reads_alike_whole_and_in_chunks(tmp_path):
    # eeb19fe read a clock column as fractions of a day only where every value of the
    # parse was one: a track's 'time' of spreadsheet fractions with one hand-typed '14:30'
    # was not used read whole (10 of 2,400 pings kept, the rest one instant: too fast),
    # while read in chunks the chunks without the '14:30' read it (2,399 kept): the tables
    # hung on chunk_rows.  Now 90% of fractions make the reading, other values are clocks
    rows = ["mmsi,date,time,lat,lon"]
    for k in range(2400):
        value = f"{(k % 400) / 400 * 0.99:.6f}" if k != 2399 else "14:30"
        rows.append(f"235000001,2024-03-{3 + k // 400:02d},{value},50.{k % 90:02d},-1.{k % 90:02d}")
    path = tmp_path / "fractions.csv"
    path.write_text("\n".join(rows) + "\n")
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, "chunks", 100, tmp_path)
    assert whole[0] == chunks[0] == {"impossible_speed": 1}  # the '14:30' of the last day
    a, b = (pd.read_parquet(io.BytesIO(got[1])) for got in (whole, chunks))
    pd.testing.assert_frame_equal(a, b)
    assert a["time"].dt.strftime("%H:%M").nunique() > 300


def test_years_of_the_dates_with_a_slip_under_a_stamp_header_stay_years(tmp_path):
    # c1bf3f3 read four-digit values under a stamp header as HHMM clocks unless every one
    # was its own row's year: '2023' beside 2023 dates with one '1730' among them gave
    # those records the clock 20:23 (accepted, noted as clocks); a clock equal to its
    # row's year is a 1-in-1,440 chance, so most of them being so says years
    res = read_beside_dates(
        "seizures", tmp_path, "Timestamp", ["2023", "2023", "1730"], n=6, date_header="Date"
    )
    assert (res.frame["time"].dt.year == 2023).all()
    assert list(res.frame["time"].dt.strftime("%H:%M")) == ["00:00"] * 6
    assert any("4 of 6 are the years" in n for n in res.notes), res.notes
