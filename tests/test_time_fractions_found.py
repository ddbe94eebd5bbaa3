"""Zoned times keep their fraction of a second in CSV and GeoJSON (hGT's left-alone item).

Both wrote ``%H:%M:%SZ``: a logger's fixes at 00:00:00.4 and 00:00:00.9 came out as one
text, two moments published as the same one (Parquet kept them).  A time with a fraction now
keeps it, in milliseconds as GDAL writes them, finer where it has more; whole seconds are
written as before (the published bytes
of every run whose times are whole do not change).
"""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import pandas as pd
import shapely

from pipeline.io import iso_utc_texts, write_csv, write_geojson

WRITTEN = [
    "2026-01-01T00:00:00.400Z",
    "2026-01-01T00:00:00.900Z",
    "2026-01-01T00:00:00Z",
    "1969-12-31T23:59:59.500Z",
    "2026-01-01T00:00:00.000123Z",
    "2026-01-01T00:00:00.000000001Z",
]


def _times() -> pd.Series:
    # the last but one given at +02:00: written in UTC
    given = [*WRITTEN[:4], "2026-01-01T02:00:00.000123+02:00", WRITTEN[5], None]
    return pd.Series(pd.to_datetime(given, utc=True, format="ISO8601"))


def test_iso_utc_texts_keep_the_fraction_each_value_has():
    assert list(iso_utc_texts(_times())) == [*WRITTEN, None]


def test_csv_writes_each_moment_as_its_own_text(tmp_path):
    frame = pd.DataFrame({"id": range(7), "time": _times()})
    path = write_csv(frame, tmp_path / "t.csv")
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert [r[1] for r in rows[1:]] == [*WRITTEN, ""]


def test_geojson_writes_each_moment_as_its_own_text(tmp_path):
    # polygons (the cells' layers) are written by the module itself, in milliseconds as GDAL
    # writes points' times ('00:00:00.400Z'), finer where a time has more
    frame = gpd.GeoDataFrame(
        {"id": range(7), "time": _times()},
        geometry=[shapely.box(10.0, 50.0, 10.1, 50.1)] * 7,
        crs="EPSG:4326",
    )
    path = write_geojson(frame, tmp_path / "t.geojson")
    got = [f["properties"]["time"] for f in json.loads(path.read_text())["features"]]
    assert got == [*WRITTEN, None]
