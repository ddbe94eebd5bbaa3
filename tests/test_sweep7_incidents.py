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
from _corpus import IGNORE_PENDING_DEPRECATION
from pyproj import Transformer

from pipeline.errors import InputError
from pipeline.ingest import read_context, read_seizures
from pipeline.ingest.options import SeizureSource

pytestmark = IGNORE_PENDING_DEPRECATION


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _accounted(res) -> None:
    assert res.n_read == len(res.frame) + len(res.rejects)


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
    res = read_seizures(_write(tmp_path, "split.csv", _split_dates(days)))
    _accounted(res)
    assert res.by_rule == {}
    assert res.frame["time"].dt.day.tolist() == [1] * 12  # month precision, not the weekday
    assert any("weekday numbers" in n for n in res.notes)


def test_a_day_column_of_weekday_names_is_said_to_be_one(tmp_path):
    # 'Monday' in Day was dropped with the note blaming '0 or empty' days
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    res = read_seizures(_write(tmp_path, "split.csv", _split_dates(names + names[:3])))
    _accounted(res)
    assert any("weekday names (e.g. 'Monday')" in n for n in res.notes)
    assert not any("0 or empty" in n for n in res.notes)


def test_days_of_the_month_that_pass_7_are_read(tmp_path):
    days = [3, 5, 1, 7, 2, 6, 4, 3, 1, 5, 2, 28]
    res = read_seizures(_write(tmp_path, "split.csv", _split_dates(days)))
    assert res.frame["time"].dt.day.tolist() == days


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
    _accounted(res)
    assert res.frame["lon"].round(4).tolist() == [104.0, 104.1, 104.2]
    assert any("['layer_styles'] hold no geometry" in n for n in res.notes)


def test_a_ports_geopackage_with_a_qgis_style_table_is_read(tmp_path):
    path = tmp_path / "ports.gpkg"
    points = [shapely.Point(104, 1.2), shapely.Point(104.5, 1.5)]
    _styled(path, gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=points, crs=4326))
    res = read_context(path, "ports")
    assert res.frame["name"].tolist() == ["A", "B"]
    assert res.assumptions["layer"]["value"] == "ports"
