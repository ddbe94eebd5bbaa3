"""No traceback for any input: hostile small files either read with every record accounted for,
or fail with one :class:`~pipeline.errors.RouteRiskError` line.

Hypothesis builds CSVs from the pieces real exports are made of (decorated headers, dates in
every spelling, DMS, sentinels, quotes, stray delimiters, CR/LF/CRLF, BOM, a missing final
newline, a trailing delimiter) and from raw bytes, and rasters with arbitrary extents and CRSs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import RouteRiskError
from pipeline.ingest import (
    CONTEXT_RULES,
    SEIZURE_RULES,
    TRACK_RULES,
    open_raster,
    raster_coverage,
    read_context,
    read_seizures,
    read_tracks,
)
from pipeline.schema import REJECT_COLUMNS

pytestmark = IGNORE_PENDING_DEPRECATION
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

HEADERS = [
    "date",
    "time",
    "lat",
    "lon",
    "Latitude (WGS84)",
    "Longitude (WGS84)",
    "y_coord",
    "x_coord",
    "event_time_utc",
    "ts",
    "mmsi",
    "MMSI",
    "vehicle_id",
    "track_no",
    "id",
    "commodity",
    "Hostility",
    "quantity",
    "sog",
    "speed_kmh",
    "# Timestamp",
    "BaseDateTime",
    "position",
    "name",
    "wkt",
    "",
    "a",
    "date",
]
VALUES = [
    "",
    "NA",
    "null",
    "-",
    "0",
    "91",
    "181",
    "-90",
    "180",
    "1e308",
    "nan",
    "inf",
    "-0.0",
    "12,5",
    "13°43'00\"N",
    "5°60'00\"S",
    "121 02 30 E",
    "N 5°30'",
    "2008-12-11 04:42:14+00",
    "2008-12-11T04:42:14.123456789Z",
    "2/1/2018 5:30:00 PM",
    "13/02/2024 00:10:00",
    "1583",
    "1677-09-21",
    "9999-12-31",
    "31/02/2020",
    "12 Jan 2020",
    "next tuesday",
    "1608854400",
    "1608854400000",
    "20201225",
    "14:30 UTC",
    "1430Z",
    "0230 LT",
    "25:61",
    "235000001",
    "002190047",
    "bus-101",
    "PIRATES",
    "Cocai\u0301na",
    '"quoted, with comma"',
    '"multi\nline"',
    '"unbalanced',
    "<script>alert(1)</script>",
    "LINESTRING (0 0, 1 1)",
    "POINT (1 2",
    "\u00a0",
    "x" * 300,
]


@st.composite
def hostile_csv(draw) -> bytes:
    delim = draw(st.sampled_from([",", ";", "\t", "|"]))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if draw(st.booleans()):  # a plausible header, so that the readers get past recognition
        header = draw(st.permutations(["date", "lat", "lon", "mmsi", "time", "commodity"]))
        header = header[: draw(st.integers(3, 6))]
    else:
        header = [draw(st.sampled_from(HEADERS) | st.text(max_size=8)) for _ in range(6)]
        header = header[: draw(st.integers(1, 6))]
    ncol = len(header)
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        width = draw(st.sampled_from([ncol, ncol, ncol, ncol - 1, ncol + 1]))
        rows.append(
            [draw(st.sampled_from(VALUES) | st.text(max_size=12)) for _ in range(max(width, 0))]
        )
    trailing = delim if draw(st.booleans()) else ""
    lines = [delim.join(header) + trailing] + [delim.join(r) + trailing for r in rows]
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    prefix = "\ufeff" if draw(st.booleans()) else ""
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1252"]))
    return (prefix + text).encode(encoding, errors="replace")


def _accounted(res, rules) -> None:
    assert res.n_read == len(res.frame) + len(res.rejects)
    assert list(res.rejects.columns) == list(REJECT_COLUMNS)
    if len(res.rejects):
        assert set(res.rejects["rule"]) <= set(rules)
        assert res.rejects["source_file"].notna().all()
        assert res.rejects["row"].notna().all()
        assert (res.rejects["message"].astype(str) != "").all()


def _read(reader, path, rules, **kwargs) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = reader(path, **kwargs)
        except RouteRiskError as exc:
            assert "\n" not in str(exc).strip() or "Traceback" not in str(exc)
            return
    _accounted(res, rules)


@SETTINGS
@given(data=hostile_csv())
def test_seizures_never_traceback(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fz") / "s.csv"
    path.write_bytes(data)
    _read(read_seizures, path, SEIZURE_RULES, as_of="2024-06-30", aoi_bbox=(170, -80, -170, 80))


@SETTINGS
@given(data=hostile_csv())
def test_tracks_never_traceback(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fz") / "t.csv"
    path.write_bytes(data)
    _read(read_tracks, path, TRACK_RULES)


@SETTINGS
@given(data=hostile_csv(), kind=st.sampled_from(["ports", "lanes", "land"]))
def test_context_never_traceback(tmp_path_factory, data, kind):
    path = tmp_path_factory.mktemp("fz") / "c.csv"
    path.write_bytes(data)
    _read(read_context, path, CONTEXT_RULES, kind=kind)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".zip", ".gpx", ".geojson"]))
def test_raw_bytes_never_traceback(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fz") / f"b{suffix}"
    path.write_bytes(data)
    _read(read_seizures, path, SEIZURE_RULES)
    _read(read_tracks, path, TRACK_RULES)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    x0=st.floats(-1e7, 1e7),
    y0=st.floats(-1e7, 1e7),
    res=st.floats(1e-6, 1e5),
    crs=st.sampled_from([None, "EPSG:4326", "EPSG:3857", "EPSG:32633", "EPSG:3031"]),
    given_crs=st.sampled_from([None, "EPSG:4326", "EPSG:32633"]),
    fill=st.sampled_from(["values", "nodata", "nan"]),
)
def test_rasters_never_traceback(tmp_path_factory, x0, y0, res, crs, given_crs, fill):
    import rasterio
    from rasterio.transform import from_origin

    from pipeline.ingest import RasterSource

    path = tmp_path_factory.mktemp("fz") / "r.tif"
    arr = np.arange(12, dtype="float32").reshape(1, 3, 4)
    if fill == "nodata":
        arr[:] = -9999
    elif fill == "nan":
        arr[:] = np.nan
    kw = {"crs": crs} if crs else {}
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=3,
        count=1,
        dtype="float32",
        nodata=-9999,
        transform=from_origin(x0, y0, res, res),
        **kw,
    ) as ds:
        ds.write(arr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            da = open_raster(RasterSource(path=path, crs=given_crs))
            raster_coverage(da, (100.0, 0.0, 110.0, 10.0))
        except RouteRiskError:
            pass


@pytest.mark.parametrize("text", ["", "\n", "a\n", ",,,\n", '"\n', "\ufeff\n"])
def test_degenerate_csvs(tmp_path, text):
    path = tmp_path / "d.csv"
    path.write_text(text)
    _read(read_seizures, path, SEIZURE_RULES)
    _read(read_tracks, path, TRACK_RULES)
    _read(read_context, path, CONTEXT_RULES, kind="ports")
