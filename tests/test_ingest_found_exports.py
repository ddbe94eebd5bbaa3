"""Shapes of public exports probed for silent wrong answers: each case here was one.

* Coordinates split over degree, minute and hemisphere columns (IMB/ASAM-style incident
  lists, the World Port Index): one odd value in a part column (a minute of 75, a
  hemisphere 'X', degrees written 10.5) dropped that part for the whole file, so every
  other record lost its minutes or its sign without a word; a blank hemisphere read as
  north (east).
* Excel incident sheets with a date, a commodity or an agency merged over the records it
  applies to: the rows under the first lost the value (date_missing, commodity 'unknown',
  no agency).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.ingest import ContextSource, read_context, read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION

HEADER = "date,lat_deg,lat_min,lat_hem,lon_deg,lon_min,lon_hem\n"
GOOD = "2023-01-11,11,15,N,61,10,E\n2023-01-12,12,30,S,62,10,W\n"


def _good_rows_intact(res) -> None:
    good = res.frame.set_index("source_row")
    assert good.loc[2, "lat"] == pytest.approx(11.25)
    assert good.loc[2, "lon"] == pytest.approx(61 + 10 / 60)
    assert good.loc[3, "lat"] == pytest.approx(-12.5)
    assert good.loc[3, "lon"] == pytest.approx(-(62 + 10 / 60))


@pytest.mark.parametrize(
    ("odd", "rule"),
    [
        ("2023-01-05,10,75,S,60,15,W\n", "coord_unparseable"),  # minutes beyond 60
        ("2023-01-08,10,30,X,60,15,W\n", "coord_unparseable"),  # no hemisphere letter
        ("2023-01-10,10.5,30,N,60,15,E\n", "coord_unparseable"),  # fractional degrees
        ("2023-01-09,10,30,,60,15,W\n", "coord_missing"),  # blank hemisphere
    ],
)
def test_one_odd_part_value_rejects_its_record_not_the_part_for_the_file(tmp_path, odd, rule):
    # Before: lat read from 'lat_deg' alone for every record: 11°15'N -> 11.0, 12°30'S ->
    # +12.5 (hemisphere dropped) or -12.0 (minutes dropped); the odd record accepted as 10.
    res = read_seizures(write_text(tmp_path, "split.csv", HEADER + GOOD + odd))
    assert_accounted(res)
    _good_rows_intact(res)
    assert res.by_rule == {rule: 1}
    assert res.rejects["row"].tolist() == [4]
    assert set(res.assumptions["columns"]["lat"]["parts"]) == {"minutes", "hemisphere"}


def test_a_blank_hemisphere_is_rejected_unless_signed_or_zero(tmp_path):
    text = HEADER + (
        "2023-01-05,10,30,,60,15,W\n"  # north or south?
        "2023-01-06,-10,30,,60,15,W\n"  # the sign says south
        "2023-01-07,0,0,,60,15,W\n"  # the equator needs no letter
        "2023-01-08,10,30,S,60,15,\n"  # east or west?
        "2023-01-09,10,30,N,60,15,W\n"
    )
    res = read_seizures(write_text(tmp_path, "blank.csv", text))
    assert_accounted(res)
    assert res.by_rule == {"coord_missing": 2}
    assert res.rejects["row"].tolist() == [2, 5]
    assert res.rejects["column"].tolist() == ["lat_hem", "lon_hem"]
    assert "hemisphere" in res.rejects["message"].iloc[0]
    assert res.frame["lat"].tolist() == pytest.approx([-10.5, 0.0, 10.5])


def test_hemisphere_words_are_read_like_letters(tmp_path):
    text = HEADER + "2023-01-05,10,30,South,60,15,West\n2023-01-06,11,15,North,61,10,East\n"
    res = read_seizures(write_text(tmp_path, "words.csv", text))
    assert res.frame["lat"].tolist() == pytest.approx([-10.5, 11.25])
    assert res.frame["lon"].tolist() == pytest.approx([-60.25, 61 + 10 / 60])


def test_a_minimum_beside_a_maximum_is_a_bound_not_minutes(tmp_path):
    # a grid's 'lat_min'/'lat_max' bounds: read as minutes they moved every point
    text = "date,lat,lat_min,lat_max,lon\n2023-01-05,10,9,11,60\n2023-01-06,20,19,21,61\n"
    res = read_seizures(write_text(tmp_path, "bounds.csv", text))
    assert res.frame["lat"].tolist() == [10.0, 20.0]
    assert "parts" not in res.assumptions["columns"]["lat"]


def test_a_yes_no_indicator_is_no_hemisphere(tmp_path):
    text = "date,lat,lon,armed_ind\n2023-01-05,-10.5,60,N\n2023-01-06,-11.5,61,Y\n"
    text += "2023-01-07,-12,62,N\n"
    res = read_seizures(write_text(tmp_path, "flag.csv", text))
    assert res.frame["lat"].tolist() == [-10.5, -11.5, -12.0]


def test_a_compass_direction_column_is_no_hemisphere(tmp_path):
    text = (
        "date,lat,lon,direction\n2023-01-05,10.5,60,S\n2023-01-06,11.5,61,SE\n2023-01-07,12,62,S\n"
    )
    res = read_seizures(write_text(tmp_path, "dir.csv", text))
    assert res.frame["lat"].tolist() == [10.5, 11.5, 12.0]


def test_a_ports_table_split_over_columns_rejects_the_odd_port_only(tmp_path):
    text = (
        "port_name,lat_deg,lat_min,lat_hem,lon_deg,lon_min,lon_hem\n"
        "Alpha,11,15,N,61,10,E\n"
        "Beta,12,30,S,62,10,W\n"
        "Gamma,10,75,S,60,15,W\n"
        "Delta,10,30,,60,15,W\n"
    )
    res = read_context(ContextSource(path=write_text(tmp_path, "ports.csv", text), kind="ports"))
    assert_accounted(res)
    xs = res.frame.geometry.x.round(6).tolist()
    ys = res.frame.geometry.y.round(6).tolist()
    assert ys == [11.25, -12.5]
    assert xs == pytest.approx([61 + 10 / 60, -(62 + 10 / 60)], abs=1e-6)
    assert res.by_rule == {"coord_missing": 1, "coord_unparseable": 1}


def test_blank_minutes_or_seconds_beside_degrees_reject_the_record(tmp_path):
    # Before: a blank minutes cell was composed away, '10  S' read as 10°00'S, up to a
    # degree (111 km) from the position whose minutes were lost; a zero is written 0.
    text = (
        "date,lat_deg,lat_min,lat_sec,lat_hem,lon_deg,lon_min,lon_sec,lon_hem\n"
        "2023-01-05,10,30,0,S,60,15,0,W\n"
        "2023-01-06,10,,0,S,60,15,0,W\n"  # lat minutes lost
        "2023-01-07,10,0,0,S,60,0,0,W\n"  # whole degrees, written so
        "2023-01-08,10,30,0,S,60,15,,W\n"  # lon seconds lost
        "2023-01-09,11,15,30,N,61,10,0,E\n"
    )
    res = read_seizures(write_text(tmp_path, "dms.csv", text))
    assert_accounted(res)
    assert res.by_rule == {"coord_missing": 2}
    assert res.rejects["row"].tolist() == [3, 5]
    assert res.rejects["column"].tolist() == ["lat_min", "lon_sec"]
    assert "blank" in res.rejects["message"].iloc[0]
    assert res.frame["lat"].tolist() == pytest.approx([-10.5, -10.0, 11 + 15 / 60 + 30 / 3600])
    ports = (
        "port_name,lat_deg,lat_min,lat_hem,lon_deg,lon_min,lon_hem\n"
        "Alpha,11,15,N,61,10,E\n"
        "Beta,12,,S,62,10,W\n"
    )
    res = read_context(ContextSource(path=write_text(tmp_path, "p.csv", ports), kind="ports"))
    assert_accounted(res)
    assert res.by_rule == {"coord_missing": 1}
    assert res.frame.geometry.y.round(6).tolist() == [11.25]


# ------------------------------------------------------------------ Excel merged cells


def _merged_workbook(path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Seizures reported, January 2023"])  # a title row above the header
    ws.append(["Date", "Latitude", "Longitude", "Drug", "Quantity (kg)", "Agency", "Vessels"])
    ws.append([dt.datetime(2023, 1, 5), 12.5, 45.1, "Cocaine", 120, "Navy", 3])
    ws.append([None, 12.6, 45.2, None, None, None, None])
    ws.append([None, 12.7, 45.3, "Heroin", None, None, None])
    ws.append([dt.datetime(2023, 1, 9), 12.8, 45.4, "Heroin", 5, "Coast Guard", 1])
    ws.append(["Total", None, None, None, 125, None, 4])
    for col in "AEFG":
        ws.merge_cells(f"{col}3:{col}5")
    ws.merge_cells("D3:D4")
    ws.merge_cells("D6:E6")  # one row wide: nothing to fill
    wb.save(path)
    return path


def test_cells_merged_over_records_give_each_record_their_value(tmp_path):
    # Before: rows 4 and 5 rejected as date_missing; with the date given, their commodity
    # was 'unknown' and their agency blank.
    res = read_seizures(_merged_workbook(tmp_path / "merged.xlsx"))
    assert_accounted(res)
    f = res.frame.set_index("source_row")
    assert f.loc[[3, 4, 5], "time"].tolist() == [pd.Timestamp("2023-01-05", tz="UTC")] * 3
    assert f.loc[[3, 4, 5], "commodity"].tolist() == ["cocaine", "cocaine", "heroin"]
    assert f.loc[[3, 4, 5], "agency"].tolist() == ["Navy"] * 3
    assert f.loc[6, "commodity"] == "heroin"
    assert res.by_rule == {"coord_missing": 1}  # the totals row
    assert res.rejects["row"].tolist() == [7]
    assert any("merged cells" in n and "'Drug' 1" in n for n in res.notes)


def test_a_merged_quantity_is_not_copied_to_each_record(tmp_path):
    # 120 kg over three records may be their total: copied, it would count 360 kg
    res = read_seizures(_merged_workbook(tmp_path / "merged.xlsx"))
    f = res.frame.set_index("source_row")
    assert f.loc[3, "quantity"] == 120
    assert f.loc[[4, 5], "quantity"].isna().all()
    assert any("left blank" in n and "'Quantity (kg)' 2" in n for n in res.notes)
    assert res.assumptions["sheet"]["merged_cells"]["left_blank"]["Quantity (kg)"] == 2
