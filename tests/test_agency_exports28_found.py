"""Incident and seizure tables as other agencies export them, read for quiet wrong values.

Each file is hand-written in the shape of a public export (the Global Terrorism Database's
``iyear``/``imonth``/``iday``, NGA ASAM, ACLED, GDELT, IMB, spreadsheets saved as CSV) and
checked record by record against dates and positions worked out by hand.  A test named
``..._found`` failed before its fix.
"""

from __future__ import annotations

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text
from _ingest_stage import track_outcome

from pipeline.ingest import read_seizures, read_tracks

pytestmark = IGNORE_PENDING_DEPRECATION

GTD_HEADER = "eventid,iyear,imonth,iday,latitude,longitude,attacktype1_txt\n"


def _gtd(first: tuple[str, str]) -> str:
    """A GTD extract of 12 hijackings: the first dated 2017/``first``, the others 1-11 January."""
    month, day = first
    rows = [f"201799990001,2017,{month},{day},4.3167,6.2333,Hijacking\n"]
    rows += [f"2017010{i:02d}0002,2017,1,{i},5.35,5.35,Hijacking\n" for i in range(1, 12)]
    return GTD_HEADER + "".join(rows)


@pytest.mark.parametrize(
    ("month", "day"),
    [("1", "32"), ("13", "1"), ("13", "0"), ("x", "4"), ("1.5", "3")],
    ids=["day-32", "month-13", "month-13-no-day", "month-text", "month-fraction"],
)
def test_one_gtd_month_or_day_out_of_range_is_rejected_alone_found(tmp_path, month, day):
    # One typed day 32 among GTD's days left the 'iday' column out: every record of the
    # file was placed on the 1st of its month (noted, but 11 right days lost); one month 13
    # refused the whole file as having 'no date column'.  The record is rejected now.
    res = read_seizures(write_text(tmp_path, "gtd.csv", _gtd((month, day))))
    assert_accounted(res)
    assert res.by_rule == {"date_unparseable": 1}
    rej = res.rejects.iloc[0]
    assert (int(rej["row"]), rej["column"]) == (2, "iyear/imonth/iday")
    assert rej["value"] == f"2017/{month}/{day}"
    got = res.frame.sort_values("time")["time"].dt.strftime("%Y-%m-%d").tolist()
    assert got == [f"2017-01-{i:02d}" for i in range(1, 12)]
    assert "1 whose year, month or day is none" in res.assumptions["columns"]["time"]["evidence"]


@pytest.mark.parametrize("year", ["17", "2O17", "20177", "unknown"])
def test_one_gtd_year_that_is_no_year_is_rejected_alone_found(tmp_path, year):
    # One year typed '17' among GTD's 'iyear' refused the whole file ('no date column
    # found'); the record is rejected now and the others read to the day.
    text = _gtd(("2", "3")).replace("201799990001,2017,", f"201799990001,{year},")
    res = read_seizures(write_text(tmp_path, "gtd.csv", text))
    assert_accounted(res)
    assert res.by_rule == {"date_unparseable": 1}
    assert res.rejects.iloc[0]["value"] == f"{year}/2/3"
    got = res.frame.sort_values("time")["time"].dt.strftime("%Y-%m-%d").tolist()
    assert got == [f"2017-01-{i:02d}" for i in range(1, 12)]


def test_a_date_column_of_bare_years_and_dates_is_not_split(tmp_path):
    # The tolerance is a year column's: a 'date' column of years with a full date among
    # them is read as dates (the full date to its day), never joined with month columns.
    rows = "".join(f"{2010 + i},1,{i},5.35,5.35,Hijacking\n" for i in range(1, 11))
    text = "date,month,day,latitude,longitude,attack\n2017-02-03,2,3,4.3,6.2,Hijacking\n" + rows
    res = read_seizures(write_text(tmp_path, "d.csv", text))
    assert_accounted(res)
    assert res.assumptions["columns"]["time"]["column"] == "date"


def test_gtd_unknown_month_and_day_stay_at_their_precision(tmp_path):
    # GTD writes 0 for an unknown month or day: never read as January or the 1st silently.
    text = GTD_HEADER + (
        "201701050001,2017,1,5,4.3167,6.2333,Hijacking\n"
        "201703000001,2017,3,0,4.45,7.1667,Armed Assault\n"
        "201700000002,2017,0,0,5.35,5.35,Hijacking\n"
    )
    res = read_seizures(write_text(tmp_path, "gtd.csv", text))
    assert_accounted(res)
    assert res.by_rule == {}
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == [
        "2017-01-05",
        "2017-03-01",
        "2017-01-01",
    ]
    assert any("give only a year and month" in n for n in res.notes)
    assert any("give only a year;" in n for n in res.notes)


def test_a_gtd_column_of_mostly_non_days_is_still_left_out(tmp_path):
    # Beyond a tenth of values that are no day, the column is no day column (as before):
    # left out and said so, the records kept at month precision.
    rows = "".join(f"2017010{i}0002,2017,1,{31 + i},5.35,5.35,Hijacking\n" for i in range(1, 4))
    rows += "".join(f"2017010{i}0002,2017,1,{i},5.35,5.35,Hijacking\n" for i in range(1, 8))
    res = read_seizures(write_text(tmp_path, "gtd.csv", GTD_HEADER + rows))
    assert_accounted(res)
    assert res.by_rule == {}
    assert "holds no days of the month" in res.assumptions["columns"]["time"]["evidence"]


def test_a_units_column_of_numbers_is_a_count_not_the_unit_found(tmp_path):
    # Seizure tables beside a mass write how many items were seized ('Units': 3 packages,
    # 3000 tablets).  Taken for the unit column, the summary said the quantities were kept
    # as reported in units '3' and '10'; the column is named as not used now.
    text = (
        "Date,Latitude,Longitude,Drug,Quantity (g),Units\n"
        "2019-05-03,4.3167,6.2333,Cocaine,1200,3\n"
        "2019-06-10,4.45,7.1667,Cannabis,3500,10\n"
    )
    res = read_seizures(write_text(tmp_path, "ids.csv", text))
    assert_accounted(res)
    assert "quantity_unit" not in res.assumptions["columns"]
    assert res.frame["quantity"].tolist() == [1.2, 3.5]  # grams by the header, in kg
    assert any("['Units']" in n and "numbers, not units" in n for n in res.notes)


def test_a_units_column_of_words_is_still_the_unit(tmp_path):
    text = (
        "Date,Latitude,Longitude,Drug,Amount,Units\n"
        "2019-05-03,4.3167,6.2333,Cocaine,250,Kilograms\n"
        "2019-06-10,4.45,7.1667,Cannabis,1200,Grams\n"
        "2019-07-11,5.35,5.35,Ecstasy,3000,Tablets\n"
    )
    res = read_seizures(write_text(tmp_path, "ids.csv", text))
    assert_accounted(res)
    assert res.assumptions["columns"]["quantity_unit"]["column"] == "Units"
    assert res.frame["quantity"].tolist() == [250.0, 1.2, 3000.0]


# ------------------------------------------------------------ HXL hashtags below the header

HXL_ACLED = (
    "event_id_cnty,event_date,event_type,latitude,longitude,fatalities\n"
    "#event+code,#date+occurred,#event+type,#geo+lat,#geo+lon,#affected+killed\n"
    "NGA12345,2021-01-01,Battles,4.3167,6.2333,2\n"
    "NGA12346,2021-03-15,Battles,,7.1667,0\n"
    "NGA12347,2021-03-16,Battles,4.5,7.2,0\n"
)


def test_an_hxl_hashtag_row_is_no_record_found(tmp_path):
    # The Humanitarian Data Exchange's ACLED files carry HXL hashtags below the header:
    # read as a record, the row was rejected as coord_unparseable ('#geo+lat').
    res = read_seizures(write_text(tmp_path, "acled_hdx.csv", HXL_ACLED))
    assert_accounted(res)
    assert res.n_read == 3
    assert res.by_rule == {"coord_missing": 1}
    assert res.rejects["row"].tolist() == [4]  # physical lines: the tags row is line 2
    assert res.frame["source_row"].tolist() == [3, 5]
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == ["2021-01-01", "2021-03-16"]
    assert any("line 2 '#event+code" in n and "HXL" in n for n in res.notes)


@pytest.mark.parametrize(
    "row",
    ["#date,,,", "#date,#geo+lat,,oops", "#date,#geo+lat,4.5,", "#1,#2,#3,#4"],
    ids=["one-tag", "tag-and-text", "tag-and-number", "numbered"],
)
def test_a_row_that_is_not_all_hashtags_stays_a_record(tmp_path, row):
    text = f"date,lat,lon,drug\n{row}\n2021-01-01,4.3,6.2,coke\n"
    res = read_seizures(write_text(tmp_path, "s.csv", text))
    assert_accounted(res)
    assert res.n_read == 2 and len(res.rejects) == 1
    assert res.rejects["row"].tolist() == [2]


@pytest.mark.parametrize("how", ["chunks", "parts"])
def test_an_hxl_row_in_a_track_file_reads_alike_whole_or_in_chunks(tmp_path, how):
    lines = [
        "time,latitude,longitude,sog,mmsi",
        "#date,#geo+lat,#geo+lon,,#vessel+id",
        "2023-01-01T00:00:00Z,50.10,-1.20,5.0,235000001",
        "2023-01-01T00:10:00Z,50.11,-1.19,5.0,235000001",
        "2023-01-01T00:20:00Z,50.12,-1.18,5.0,235000001",
        "x,y",
        "2023-01-01T00:00:00Z,50.30,-1.40,2.0,235000002",
        "2023-01-01T00:10:00Z,50.31,-1.39,2.0,235000002",
    ]
    path = write_text(tmp_path, "t.csv", "\n".join(lines) + "\n")
    whole = track_outcome(path, "whole", 0, tmp_path)
    other = track_outcome(path, how, 2, tmp_path)
    assert whole[0] == other[0] == {"ragged_row": 1}
    assert whole[1] == other[1]  # the pings, bytes
    assert whole[2] == other[2]  # the rejects (line 6), bytes
    assert read_tracks(path).rejects["row"].tolist() == [6]


def test_an_hxl_hashtag_row_of_a_workbook_is_no_record_found(tmp_path):
    import pandas as pd

    rows = [
        {
            "event_id_cnty": "#event+code",
            "event_date": "#date+occurred",
            "latitude": "#geo+lat",
            "longitude": "#geo+lon",
        }
    ]
    rows += [
        {
            "event_id_cnty": f"NGA{i}",
            "event_date": f"2021-01-0{i}",
            "latitude": 4.3 + i / 10,
            "longitude": 6.2,
        }
        for i in (1, 2, 3)
    ]
    path = tmp_path / "acled_hdx.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False)
    res = read_seizures(path)
    assert_accounted(res)
    assert (res.n_read, res.by_rule) == (3, {})
    assert res.frame["source_row"].tolist() == [3, 4, 5]
    assert res.frame["lat"].round(6).tolist() == [4.4, 4.5, 4.6]
    assert any("row 2 is the header's row of HXL hashtags" in n for n in res.notes)


def test_a_weekday_column_with_a_typo_is_still_no_day_of_the_month(tmp_path):
    # 'Day' of weekday numbers (1-7) over two months: not the day of the month, whatever
    # one typed 32 among them says; no record is rejected for a column not used.
    rows = "".join(f"2017,{1 + i % 2},{1 + i % 7},5.35,5.35,Hijacking\n" for i in range(11))
    text = "year,month,day,latitude,longitude,attack\n2017,1,32,4.3,6.2,Hijacking\n" + rows
    res = read_seizures(write_text(tmp_path, "w.csv", text))
    assert_accounted(res)
    assert res.by_rule == {}
    assert "weekday numbers" in res.assumptions["columns"]["time"]["evidence"]
    assert set(res.frame["time"].dt.day) == {1}
