"""Incident, seizure and context inputs read wrongly (or refused for no reason): sweep 7.

Each file is written to ``tmp_path`` in the shape a real export takes: a DMS position list
whose seconds end in ``s``, a GTD-like split date whose ``Day`` is the weekday, UTM
eastings/northings with their ``E``/``N``, a QGIS-styled GeoPackage, a ports list with one
``Coordinates`` column.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text
from pyproj import Transformer

from pipeline.errors import InputError
from pipeline.ingest import read_context, read_seizures
from pipeline.ingest.options import SeizureSource

pytestmark = IGNORE_PENDING_DEPRECATION


# --------------------------------------------------------- DMS: a lowercase 's' per file


def test_seconds_ending_in_s_on_both_axes_are_the_unit_not_south(tmp_path):
    # A position list off Singapore writes every second with its unit: '103 45 12s' (a
    # longitude has no south) and '01 15 30s'.  Each latitude's 's' was read as south,
    # putting the whole file 280 km across the equator, silently.
    rows = [
        ("2024-03-15", "01 15 30s", "103 45 12s"),
        ("2024-04-15", "01 16 30s", "103 46 12s"),
        ("2024-05-15", "01 17 30s", "103 47 12s"),
    ]
    text = "date,latitude,longitude,type\n" + "".join(f"{d},{a},{o},Robbery\n" for d, a, o in rows)
    res = read_seizures(write_text(tmp_path, "dms.csv", text))
    assert_accounted(res)
    assert res.by_rule == {}
    assert res.frame["lat"].round(4).tolist() == [1.2583, 1.275, 1.2917]
    assert any("seconds' unit" in n for n in res.notes)


def test_an_s_after_the_seconds_of_a_file_with_hemisphere_letters_stays_south(tmp_path):
    # the other side of the per-file decision: 'n' on other latitudes says letters are used
    text = (
        "date,latitude,longitude,type\n"
        "2024-03-15,01 15 30 s,104 05 30,Robbery\n"
        "2024-03-16,01 15 30 n,104 05 30,Robbery\n"
    )
    res = read_seizures(write_text(tmp_path, "dms.csv", text))
    assert res.frame["lat"].round(4).tolist() == [-1.2583, 1.2583]


def test_an_s_after_the_seconds_that_nothing_in_the_file_explains_is_refused(tmp_path):
    # decimal longitudes, no letter anywhere: '01 15 30 s' may be south or the unit
    text = "date,latitude,longitude,type\n2024-03-15,01 15 30 s,104.09,Robbery\n"
    with pytest.raises(InputError, match=r"lowercase 's'.*write the hemisphere") as err:
        read_seizures(write_text(tmp_path, "dms.csv", text))
    assert "\n" not in str(err.value)


# ----------------------------------------------------- split dates: a weekday is no day


def _split_dates(days) -> str:
    lines = ["Year,Month,Day,Latitude,Longitude,Type"]
    for i, day in enumerate(days):
        lines.append(f"2024,{1 + i % 12},{day},{1 + i / 10:.1f},{104 + i / 10:.1f},Robbery")
    return "\n".join(lines) + "\n"


def test_a_day_column_of_weekday_numbers_is_not_the_day_of_the_month(tmp_path):
    # Year/Month/Day where Day is the weekday (1-7) over a year of records: each record
    # was put on the 1st-7th of its month as if the weekday were the date.
    days = [3, 5, 1, 7, 2, 6, 4, 3, 1, 5, 2, 6]
    res = read_seizures(write_text(tmp_path, "split.csv", _split_dates(days)))
    assert_accounted(res)
    assert res.by_rule == {}
    assert res.frame["time"].dt.day.tolist() == [1] * 12  # month precision, not the weekday
    assert any("weekday numbers" in n for n in res.notes)


def test_a_day_column_of_weekday_names_is_said_to_be_one(tmp_path):
    # 'Monday' in Day was dropped with the note blaming '0 or empty' days
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    res = read_seizures(write_text(tmp_path, "split.csv", _split_dates(names + names[:3])))
    assert_accounted(res)
    assert any("weekday names (e.g. 'Monday')" in n for n in res.notes)
    assert not any("0 or empty" in n for n in res.notes)


def test_days_of_the_month_that_pass_7_are_read(tmp_path):
    days = [3, 5, 1, 7, 2, 6, 4, 3, 1, 5, 2, 28]
    res = read_seizures(write_text(tmp_path, "split.csv", _split_dates(days)))
    assert res.frame["time"].dt.day.tolist() == days


# ------------------------------------------------------------------ projected coordinates


def _utm_rows(n: int = 4) -> list[tuple[float, float]]:
    to_utm = Transformer.from_crs(4326, 32648, always_xy=True)
    return [to_utm.transform(104 + i / 10, 1 + i / 10) for i in range(n)]


def test_utm_eastings_and_northings_with_letters_are_refused_not_half_read(tmp_path):
    # 'UTM Northing' 110547N was read as 11°05'47"N (compact DDMMSS) beside eastings that
    # went to lon_out_of_range: half read as degrees, never named as projected.
    lines = ["date,UTM Easting,UTM Northing,type"]
    lines += [f"2024-0{i + 1}-15,{x:.0f}E,{y:.0f}N,Robbery" for i, (x, y) in enumerate(_utm_rows())]
    path = write_text(tmp_path, "utm.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"projected coordinates.*set crs") as err:
        read_seizures(path)
    assert "\n" not in str(err.value)
    # with its crs declared the letters are units: read as metres, not as degrees
    res = read_seizures(SeizureSource(path=path, crs="EPSG:32648"))
    assert res.by_rule == {}
    assert res.frame["lat"].round(4).tolist() == [1.0, 1.1, 1.2, 1.3]
    assert res.frame["lon"].round(4).tolist() == [104.0, 104.1, 104.2, 104.3]


def test_a_ports_table_of_eastings_and_northings_with_letters_is_refused(tmp_path):
    lines = ["name,Easting,Northing"]
    lines += [f"P{i},{x:.0f}E,{y:.0f}N" for i, (x, y) in enumerate(_utm_rows())]
    path = write_text(tmp_path, "ports.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"projected coordinates"):
        read_context(path, "ports")


# ------------------------------------------------------ QGIS's layer_styles is no layer


def _styled(path, frame) -> None:
    frame.to_file(path, layer=path.stem, driver="GPKG")
    styles = pd.DataFrame({"f_table_name": [path.stem], "styleQML": ["<qgis/>"]})
    pyogrio.write_dataframe(styles, path, layer="layer_styles", driver="GPKG")


def test_a_seizure_geopackage_with_a_qgis_style_table_is_read(tmp_path):
    # saved from QGIS with its style: refused as '2 layers'
    path = tmp_path / "incidents.gpkg"
    points = [shapely.Point(104 + i / 10, 1 + i / 10) for i in range(3)]
    dates = ["2024-01-15", "2024-02-15", "2024-03-15"]
    _styled(path, gpd.GeoDataFrame({"date": dates}, geometry=points, crs=4326))
    res = read_seizures(path)
    assert_accounted(res)
    assert res.frame["lon"].round(4).tolist() == [104.0, 104.1, 104.2]
    assert any("['layer_styles'] hold no geometry" in n for n in res.notes)


def test_a_ports_geopackage_with_a_qgis_style_table_is_read(tmp_path):
    path = tmp_path / "ports.gpkg"
    points = [shapely.Point(104, 1.2), shapely.Point(104.5, 1.5)]
    _styled(path, gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=points, crs=4326))
    res = read_context(path, "ports")
    assert res.frame["name"].tolist() == ["A", "B"]
    assert res.assumptions["layer"]["value"] == "ports"


# ---------------------------------------------- a ports table with one coordinate column


def test_a_ports_table_with_one_coordinates_column_is_split(tmp_path):
    # a seizure file's 'Coordinates' is split; a ports list's was refused
    text = 'name,Coordinates\nPort A,"1.20, 104.00"\nPort B,"1.50, 104.50"\nPort C,\n'
    res = read_context(write_text(tmp_path, "ports.csv", text), "ports")
    assert_accounted(res)
    assert res.frame["name"].tolist() == ["Port A", "Port B"]
    assert [(p.y, p.x) for p in res.frame.geometry] == [(1.2, 104.0), (1.5, 104.5)]
    assert res.by_rule == {"coord_missing": 1}
    assert res.assumptions["columns"]["coords"]["column"] == "Coordinates"


# --------------------------------------------------------- date ranges (UCDP GED)


def test_a_date_that_starts_a_range_says_how_many_records_span_days(tmp_path):
    # UCDP GED's date_start/date_end: an event known to a month spans 30 days; it was placed
    # on its first day with no word that the dates are ranges
    path = write_text(
        tmp_path,
        "ged.csv",
        "id,year,date_start,date_end,latitude,longitude,type_of_violence,best\n"
        "1,2024,2024-03-01,2024-03-31,1.1,104.1,1,3\n"
        "2,2024,2024-03-05,2024-03-05,1.2,104.2,1,2\n"
        "3,2024,2024-04-02,2024-04-03,1.3,104.0,2,1\n"
        "4,2024,2024-05-02,2024-05-01,1.0,104.3,2,1\n",
    )
    res = read_seizures(path)
    assert_accounted(res)
    assert res.frame["time"].dt.day.tolist() == [1, 5, 2, 2]  # the start days
    got = res.assumptions["dates"]["date_range"]
    assert got["end_column"] == "date_end" and got["placed_on"] == "start"
    assert got["records_spanning_days"] == 2 and got["longest_days"] == 30.0
    assert got["end_before_start"] == 1
    said = [n for n in res.notes if "date range" in n]
    assert len(said) == 1 and "2 of 4" in said[0] and "end before they start" in said[0]


def test_an_end_column_equal_to_the_start_says_nothing(tmp_path):
    path = write_text(
        tmp_path,
        "ged.csv",
        "id,date_start,date_end,latitude,longitude\n"
        "1,2024-03-01,2024-03-01,1.1,104.1\n"
        "2,2024-03-05,2024-03-05,1.2,104.2\n",
    )
    res = read_seizures(path)
    assert "date_range" not in res.assumptions["dates"]
    assert not [n for n in res.notes if "date range" in n]


# --------------------------------------------------------- a row of column groups


def test_a_row_of_column_groups_over_the_header_is_skipped(tmp_path):
    # A spreadsheet's merged group cells saved as CSV: 'Incident,,Location,' over the real
    # header. Every record was rejected as ragged_row, the note blaming a trailing ','.
    path = write_text(
        tmp_path,
        "merged.csv",
        "Incident,,Location,\nDate,Type,Lat,Lon\n"
        "2024-03-15,Robbery,1.1,104.1\n2024-03-16,Boarding,1.2,104.2\n",
    )
    res = read_seizures(path)
    assert_accounted(res)
    assert res.frame["lat"].tolist() == [1.1, 1.2]
    assert res.frame["source_row"].tolist() == [3, 4]  # physical lines
    assert any("row of column groups" in n and "header is line 2" in n for n in res.notes)
    assert not any("ends with" in n for n in res.notes)


def test_a_blank_header_cell_over_records_is_still_the_header(tmp_path):
    # pandas' to_csv with its index: the header's first cell is blank and the next line is
    # a record, not a header (it holds numbers)
    path = write_text(
        tmp_path,
        "indexed.csv",
        ",date,type,lat,lon\n0,2024-03-15,Robbery,1.1,104.1\n1,2024-03-16,Boarding,1.2,104.2\n",
    )
    res = read_seizures(path)
    assert_accounted(res)
    assert res.frame["lat"].tolist() == [1.1, 1.2]
    assert res.frame["source_row"].tolist() == [2, 3]
    assert not any("column groups" in n for n in res.notes)


def test_a_plain_date_beside_an_end_date_is_a_range_too(tmp_path):
    path = write_text(
        tmp_path,
        "events.csv",
        "id,date,end_date,latitude,longitude\n"
        "1,2024-03-01,2024-03-31,1.1,104.1\n2,2024-03-05,2024-03-05,1.2,104.2\n",
    )
    got = read_seizures(path).assumptions["dates"]["date_range"]
    assert got["end_column"] == "end_date" and got["records_spanning_days"] == 1
