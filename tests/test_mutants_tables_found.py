"""Mutation review of the published tables, the config and the timeline (task hFH).

Each test here kills mutants of ``pipeline/io.py``, ``pipeline/runner/stages/_outputs.py``,
``pipeline/config.py`` and ``pipeline/timeline.py`` (and the period loop of
``pipeline/hotspots/_timeline.py``) that the earlier tests let live: a format that drops,
renames or reorders a column, rounds otherwise, writes a missing value as 0, labels or
projects another CRS, draws another row's cell, or a config that reads a bound, a default or
a relative path otherwise, or a timeline whose months or boundaries move.

The tables are written once, by the export stage itself on a hand-made run state of four
cells (no pipeline run), and read back with pandas, pyarrow, pyogrio and ``json``; every
value is checked against the other formats and against a value computed here by hand (H3's
own library for the cells, their centres and their hexagons).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import warnings
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from _stages import export_state

from pipeline import schema as S
from pipeline.config import Config, as_of_day, load_config
from pipeline.errors import ConfigError, FutureDateWarning
from pipeline.hotspots import timeline_table
from pipeline.io import GPKG_LAST_CHANGE, write_geojson, write_geopackage
from pipeline.runner.stages import export
from pipeline.timeline import month_periods

RES = 4
#: Four cells, not in cell order (a writer that sorts one format's rows or geometries shows).
POINTS = [(10.0, -10.0), (20.0, 5.0), (-5.0, 20.0), (40.0, 30.0)]  # (lat, lon)
CELLS = np.array([h3.str_to_int(h3.latlng_to_cell(la, lo, RES)) for la, lo in POINTS], "uint64")
RISK = [12.3456789, 0.0, np.nan, 99.99999949]
RISK_ROUNDED = [12.345679, 0.0, np.nan, 99.999999]  # 6 decimals from 1 up
DENSITY = [8.123456789e-06, 1.5, np.nan, 123456.7891234]
DENSITY_ROUNDED = [8.123457e-06, 1.5, np.nan, 123456.789123]  # 7 significant digits below 1
CLASSES = ["low", "very low", 'no, "data"', "very high"]  # a comma and quotes: CSV quoting
COVERED = [True, True, False, True]
LATEST = pd.to_datetime(
    ["2026-06-01 20:00:00", None, "2026-01-31 23:30:00", "2026-06-30 08:15:30"]
).tz_localize("America/New_York")  # not UTC: every format must state the instant in UTC
LATEST_TEXT = ["2026-06-02T00:00:00Z", None, "2026-02-01T04:30:00Z", "2026-06-30T12:15:30Z"]
N_SEIZURES = [3, 0, 0, 7]


def _hex(cell: int) -> str:
    return h3.int_to_str(int(cell))


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The export stage's files of a hand-made four-cell run state, read back by format."""
    d = tmp_path_factory.mktemp("tables")
    (d / "s.csv").write_text("time,lon,lat\n")
    cfg = Config.model_validate(
        {
            "inputs": {"seizures": [{"path": str(d / "s.csv")}]},
            "area": {"resolution": RES},
            "evaluate": {"enabled": False},
        }
    )
    scores = pd.DataFrame(
        {
            S.CELL: CELLS,
            S.RISK: RISK,
            S.RISK_CLASS: CLASSES,
            "n_seizures": np.array(N_SEIZURES, dtype="int64"),
            S.LATEST_EVENT: LATEST,
            S.SEIZURE_DENSITY: DENSITY,
            S.SEIZURE_DENSITY + S.COVERED_SUFFIX: COVERED,
        },
        index=[7, 3, 9, 1],  # a score table's index need not be 0..n-1
    )
    features = scores[[S.CELL, S.SEIZURE_DENSITY, S.SEIZURE_DENSITY + S.COVERED_SUFFIX]]
    seizures = pd.DataFrame(
        {
            S.TIME: pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-04"], utc=True),
            S.LON: [-10.0, 5.0, 7.0],
            S.LAT: [10.0, 20.0, np.nan],  # a seizure without a latitude has no cell
            S.COMMODITY: ["cocaine", "heroin", "cannabis"],
        }
    )
    timeline = pd.DataFrame(
        {
            S.CELL: CELLS,
            S.PERIOD: ["2026-05", "2026-05", "2026-06", "2026-06"],
            S.RISK: [1.23456789, np.nan, 3.0, 4.5],
        }
    )
    state = export_state(
        cfg,
        d,
        features.reset_index(drop=True),
        scores=scores,
        seizures=seizures,
        timeline=timeline,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on the tiny layers
        export(state)
    geojson = json.loads((state.staging / "scores.geojson").read_text(encoding="utf-8"))
    return {
        "dir": state.staging,
        "outputs": dict(state.outputs),
        "csv": pd.read_csv(state.staging / "scores.csv", keep_default_na=False, na_values=[""]),
        "csv_text": (state.staging / "scores.csv").read_text(encoding="utf-8"),
        "parquet": pd.read_parquet(state.staging / "scores.parquet"),
        "gpkg": pyogrio.read_dataframe(state.staging / "scores.gpkg", layer="scores"),
        "fgb": pyogrio.read_dataframe(state.staging / "scores.fgb"),
        "geojson": geojson,
        "features": pd.read_parquet(state.staging / "features.parquet"),
        "seizures": pd.read_parquet(state.staging / "seizures.parquet"),
        "timeline": pd.read_parquet(state.staging / "timeline.parquet"),
    }


def _rows_by_cell(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` in the order of :data:`CELLS` (FlatGeobuf's spatial index reorders rows)."""
    at = pd.Index(table[S.CELL].astype("uint64")).get_indexer(CELLS)
    assert (at >= 0).all()
    return table.iloc[at].reset_index(drop=True)


PROPERTIES = [
    S.CELL,
    S.HEX_ID,
    S.RISK,
    S.RISK_CLASS,
    "n_seizures",
    S.LATEST_EVENT,
    S.SEIZURE_DENSITY,
    S.SEIZURE_DENSITY + S.COVERED_SUFFIX,
]


def test_every_format_has_the_columns_in_one_order(published):
    """Mutants: a column dropped, renamed or moved in one format only."""
    assert list(published["csv"].columns) == [
        S.CELL,
        S.HEX_ID,
        S.LAT,
        S.LON,
        *PROPERTIES[2:],
    ]
    assert list(published["parquet"].columns) == [*PROPERTIES, "geometry", "bbox"]
    for name in ("gpkg", "fgb"):
        assert list(published[name].columns) == [*PROPERTIES, "geometry"], name
    for feature in published["geojson"]["features"]:
        assert list(feature["properties"]) == PROPERTIES
    assert list(published["features"].columns) == [
        S.CELL,
        S.HEX_ID,
        S.SEIZURE_DENSITY,
        S.SEIZURE_DENSITY + S.COVERED_SUFFIX,
    ]
    assert list(published["seizures"].columns[:2]) == [S.CELL, S.HEX_ID]
    assert sorted(published["outputs"]) == sorted(
        [
            "scores_csv",
            "scores_parquet",
            "scores_gpkg",
            "scores_fgb",
            "scores_geojson",
            "features",
            "seizures",
            "timeline",
        ]
    )


def test_every_format_holds_the_rows_in_the_score_tables_order(published):
    """Each row of each format is the score table's row of that position (not resorted)."""
    for name in ("csv", "parquet", "gpkg"):
        assert published[name][S.CELL].astype("uint64").tolist() == CELLS.tolist(), name
        assert published[name][S.HEX_ID].tolist() == [_hex(c) for c in CELLS], name
    cells = [f["properties"][S.CELL] for f in published["geojson"]["features"]]
    assert cells == CELLS.tolist()
    assert [f["properties"][S.HEX_ID] for f in published["geojson"]["features"]] == [
        _hex(c) for c in CELLS
    ]


def test_floats_are_rounded_alike_in_every_format_and_missing_is_missing(published):
    """Mutants: another number of digits in one format; NaN written as 0, "nan" or ""."""
    want = {S.RISK: RISK_ROUNDED, S.SEIZURE_DENSITY: DENSITY_ROUNDED}
    for name in ("csv", "parquet", "gpkg", "fgb"):
        table = _rows_by_cell(published[name])
        for column, values in want.items():
            got = table[column].to_numpy(dtype="float64")
            np.testing.assert_array_equal(got, np.array(values), err_msg=f"{name} {column}")
    features = published["geojson"]["features"]
    for column, values in want.items():
        got = [f["properties"][column] for f in features]
        assert got == [None if np.isnan(v) else v for v in values], column
    # the CSV's and the GeoJSON's texts of a missing value: empty and null, not 0 or nan
    lines = published["csv_text"].splitlines()
    assert len(lines) == 5
    fields = lines[3].split(",")  # the cell without a risk or a density
    assert fields[4] == "" and fields[-2] == "", lines[3]
    assert '"risk": null' in json.dumps(features[2]["properties"], separators=(",", ": "))
    # the density of a tiny value keeps its significant digits, as repr writes them
    assert lines[1].split(",")[-2] == "8.123457e-06"
    # the features table is rounded as the scores are
    np.testing.assert_array_equal(
        published["features"][S.SEIZURE_DENSITY].to_numpy(dtype="float64"),
        np.array(DENSITY_ROUNDED),
    )


def test_integers_booleans_texts_and_times_read_back_alike(published):
    """Mutants: a boolean's text, an integer made float, a time's zone or layout, NaT as text."""
    csv, gj = published["csv"], [f["properties"] for f in published["geojson"]["features"]]
    covered = S.SEIZURE_DENSITY + S.COVERED_SUFFIX
    assert csv[covered].tolist() == COVERED
    assert [p[covered] for p in gj] == COVERED
    assert ",True\n" in published["csv_text"] and ",False\n" in published["csv_text"]
    assert csv["n_seizures"].tolist() == N_SEIZURES
    assert [p["n_seizures"] for p in gj] == N_SEIZURES
    assert csv[S.RISK_CLASS].tolist() == CLASSES
    assert [p[S.RISK_CLASS] for p in gj] == CLASSES
    assert [None if pd.isna(t) else t for t in csv[S.LATEST_EVENT]] == LATEST_TEXT
    assert [p[S.LATEST_EVENT] for p in gj] == LATEST_TEXT
    for name in ("parquet", "gpkg"):
        table = _rows_by_cell(published[name])
        assert table["n_seizures"].tolist() == N_SEIZURES, name
        assert table[covered].tolist() == COVERED, name
        got = pd.to_datetime(table[S.LATEST_EVENT], utc=True)
        want = pd.Series(LATEST).dt.tz_convert("UTC")
        assert got.isna().tolist() == want.isna().tolist(), name
        assert (got[want.notna()] == want[want.notna()]).all(), name
    for name in ("parquet", "gpkg", "fgb"):
        cells = published[name][S.CELL]
        assert pd.api.types.is_integer_dtype(cells.dtype), (name, cells.dtype)


def test_the_csvs_centres_are_each_rows_cell_centre(published):
    """Mutants: lat and lon swapped, another row's centre, the centres left unrounded."""
    csv = published["csv"]
    for row in csv.itertuples(index=False):
        lat, lon = h3.cell_to_latlng(_hex(row.cell))
        assert (getattr(row, S.LAT), getattr(row, S.LON)) == (round(lat, 6), round(lon, 6))


@pytest.mark.parametrize("name", ["parquet", "gpkg", "fgb", "geojson"])
def test_each_rows_geometry_is_its_own_cell_in_wgs84(published, name):
    """Mutants: another EPSG written or projected, another row's hexagon, rings reversed."""
    import geopandas as gpd

    path = published["dir"] / f"scores.{name}"
    if name == "geojson":
        features = published["geojson"]["features"]
        cells = [f["properties"][S.CELL] for f in features]
        geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
        assert all(g.exterior.is_ccw for g in geoms)  # RFC 7946 § 3.1.6
        crs = 4326  # RFC 7946: WGS 84, no other
    else:
        frame = gpd.read_parquet(path) if name == "parquet" else pyogrio.read_dataframe(path)
        cells, geoms = frame[S.CELL].tolist(), list(frame.geometry)
        crs = frame.crs.to_epsg()
    assert crs == 4326
    for cell, geom in zip(cells, geoms, strict=True):
        ring = h3.cell_to_boundary(_hex(cell))  # (lat, lon) pairs
        want = shapely.Polygon([(lon, lat) for lat, lon in ring])
        assert geom.symmetric_difference(want).area < 1e-5 * want.area, (name, cell)
        # vertices to 1e-6 degrees (0.1 m), no fewer
        xy = shapely.get_coordinates(geom)
        err = np.abs(xy[:, None, :] - np.asarray(want.exterior.coords)[None, :, :]).max(axis=2)
        assert err.min(axis=1).max() < 1e-6 + 1e-12, (name, cell)


def test_geopackage_is_dated_as_fixed_and_flatgeobuf_has_its_index(published):
    """Mutants: the GeoPackage's last_change left to the clock, no FlatGeobuf index."""
    with sqlite3.connect(published["dir"] / "scores.gpkg") as con:
        rows = con.execute("SELECT table_name, last_change, srs_id FROM gpkg_contents").fetchall()
    assert rows == [("scores", GPKG_LAST_CHANGE, 4326)]
    # FlatGeobuf's header: magic, header size, then the header, whose index node size is 16
    # by default; 0 means no spatial index (flatbuffers: 16 is the default, left out)
    data = (published["dir"] / "scores.fgb").read_bytes()
    assert data[:4] == b"fgb\x03"
    info = pyogrio.read_info(published["dir"] / "scores.fgb")
    assert info["capabilities"]["fast_spatial_filter"]


def test_geopackage_layer_is_the_name_given(tmp_path):
    """Mutant: the layer named after the file whatever ``layer`` says (the export's file
    and layer are both ``scores``: only a direct call tells them apart)."""
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(
        {S.CELL: CELLS[:1], "v": [1.0]},
        geometry=[shapely.Polygon([(0, 0), (1, 0), (1, 1)])],
        crs="EPSG:4326",
    )
    write_geopackage(gdf, tmp_path / "file.gpkg", layer="cells")
    assert [name for name, _ in pyogrio.list_layers(tmp_path / "file.gpkg")] == ["cells"]


def test_geojson_of_points_is_lon_lat_to_six_decimals(tmp_path):
    """Mutants: GDAL's path (points) with another coordinate precision, or not reprojected."""
    import geopandas as gpd

    pts = gpd.GeoDataFrame(
        {"v": [1.5]}, geometry=shapely.points([[1.23456789, 2.34567891]]), crs="EPSG:4326"
    ).to_crs("EPSG:3857")
    data = json.loads(write_geojson(pts, tmp_path / "p.geojson").read_text(encoding="utf-8"))
    x, y = data["features"][0]["geometry"]["coordinates"]
    assert (x, y) == (1.234568, 2.345679)


def test_point_tables_carry_their_cell_and_missing_stays_missing(published):
    """Mutants: a seizure without coordinates given cell 0; another resolution's cell."""
    t = published["seizures"]
    assert t[S.CELL].isna().tolist() == [False, False, True]
    assert t[S.HEX_ID].isna().tolist() == [False, False, True]
    want = [h3.latlng_to_cell(10.0, -10.0, RES), h3.latlng_to_cell(20.0, 5.0, RES)]
    assert t[S.HEX_ID].tolist()[:2] == want
    assert t[S.CELL].tolist()[:2] == [h3.str_to_int(w) for w in want]


def test_the_timeline_table_is_published_rounded(published):
    t = published["timeline"]
    assert t[S.PERIOD].tolist() == ["2026-05", "2026-05", "2026-06", "2026-06"]
    np.testing.assert_array_equal(t[S.RISK].to_numpy(), [1.234568, np.nan, 3.0, 4.5])


def test_geoparquet_metadata_says_1_1_and_its_bbox_covering(published):
    geo = json.loads(pq.read_schema(published["dir"] / "scores.parquet").metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["columns"]["geometry"]["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    assert geo["columns"]["geometry"]["crs"]["id"] == {"authority": "EPSG", "code": 4326}


# ---- config -------------------------------------------------------------------------------

BASE = "inputs:\n  seizures: [{path: s.csv}]\n"


def _load(tmp_path, text, **kw):
    p = tmp_path / "c.yaml"
    p.write_text(BASE + text)
    return load_config(p, **kw)


@pytest.mark.parametrize(
    "text",
    [
        "run: {keep_runs: 0}",
        "run: {max_input_age_days: 0}",
        "dask: {workers: 0}",
        "area: {bbox: [0, 10, 5, 10]}",  # lat_min == lat_max: no area
        "area: {bbox: [0, 10, 200, 20]}",  # the second longitude out of range
        "area: {margin_km: -1}",
        "density: {bandwidth_km: 0}",
        "density: {half_life_days: 0}",
        "density: {bandwidth_km: auto, auto_bandwidths_km: [0, 25]}",
        "score: {cap_quantile: 0}",
        "score: {cap_quantile: 1.01}",
        "score: {class_breaks: [0, 20, 20, 60, 100], class_labels: [a, b, c, d]}",
        "score: {class_breaks: [0, 20, 40, 90], class_labels: [a, b, c]}",
        "score: {factors: {seizure_density: {weight: 0}}}",
        "timeline: {months: 601}",
        "render: {max_seizure_points: -1}",
        "render: {geojson: maybe}",
    ],
)
def test_config_bounds_refuse_the_value_past_them(tmp_path, text):
    """Mutants: ``<`` for ``<=`` at a range's edge, a check dropped (the value just past)."""
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text + "\n")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "got"),
    [
        ("run: {keep_runs: 1}", lambda c: c.run.keep_runs == 1),
        ("score: {cap_quantile: 1}", lambda c: c.score.cap_quantile == 1.0),
        ("density: {commodity_weights: {cocaine: 0}}", lambda c: c.density.commodity_weights),
        (
            "transit: {gap_min_speed_kn: 0, port_radius_km: 0}",
            lambda c: c.transit.port_radius_km == 0,
        ),
        ("render: {max_seizure_points: 0}", lambda c: c.render.max_seizure_points == 0),
        ("timeline: {months: 600}", lambda c: c.timeline.months == 600),
        ("timeline: {months: 0}", lambda c: c.timeline.months == 0),
        ("area: {resolution: 15}", lambda c: c.area.resolution == 15),
        (
            "render: {geojson: 'no', flatgeobuf: no, preview_png: 'off'}",
            lambda c: not (c.render.geojson or c.render.flatgeobuf or c.render.preview_png),
        ),
        ("render: {geojson: 'yes'}", lambda c: c.render.geojson is True),
    ],
)
def test_config_bounds_take_the_value_at_them(tmp_path, text, got):
    """Mutants: ``<=`` for ``<`` at a range's edge; a boolean spelt 'no' read as true."""
    assert got(_load(tmp_path, text + "\n"))


def test_config_defaults_are_the_documented_ones(tmp_path):
    """Mutants: a default changed (each is stated in the field's description or the docs)."""
    c = _load(tmp_path, "")
    assert c.run.keep_runs == 7
    assert c.run.max_input_age_days is None and c.run.freshness == "warn"
    assert c.density.kernel == "quartic"
    assert c.density.bandwidth_km == 25.0 and c.density.half_life_days == 365.0
    assert c.score.cap_quantile == 0.99 and c.score.normalisation == "cap"
    assert c.timeline.months == 12 and c.timeline.scale == "map"
    assert c.render.geojson and c.render.flatgeobuf and c.render.preview_png
    assert c.render.max_seizure_points == 20000 and c.render.classes == "quantile"
    assert c.transit.gap_min_speed_kn == 1.0 and c.transit.port_radius_km == 10.0
    assert c.area.resolution == 5 and c.area.margin_km == 0.0


def test_relative_paths_are_the_config_folders_not_the_working_directorys(tmp_path, monkeypatch):
    """Mutants: a path key left out of the resolution, or resolved from the working folder."""
    real = tmp_path / "project"
    real.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (real / "c.yaml").write_text(
        "run: {out_dir: out}\n"
        "area: {polygon: aoi.gpkg}\n"
        "inputs:\n"
        "  seizures: [{path: data/s.csv}]\n"
        "  ports: ports.csv\n"
        "  rasters: [{path: r.tif, name: r, mask: r_mask.tif}]\n"
        "  context: [{path: land.gpkg, kind: land}]\n"
    )
    link = elsewhere / "linked.yaml"
    link.symlink_to(real / "c.yaml")
    monkeypatch.chdir(elsewhere)
    for path in (real / "c.yaml", link):  # a symlinked config reads beside the file it names
        c = load_config(path)
        assert c.run.out_dir == real / "out"
        assert c.area.polygon == real / "aoi.gpkg"
        assert c.inputs.seizures[0].path == real / "data" / "s.csv"
        assert c.inputs.ports == real / "ports.csv"
        assert c.inputs.rasters[0].path == real / "r.tif"
        mask = c.inputs.rasters[0].mask  # a path, or a source holding one
        assert Path(getattr(mask, "path", mask)) == real / "r_mask.tif"
        assert c.inputs.context[0].path == real / "land.gpkg"


def test_environment_default_and_home_expand_in_paths(tmp_path, monkeypatch):
    monkeypatch.delenv("RR_HFH_UNSET", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    p = tmp_path / "c.yaml"
    p.write_text(
        "run: {out_dir: '~/maps'}\ninputs:\n  seizures: [{path: '${RR_HFH_UNSET:-given}/s.csv'}]\n"
    )
    c = load_config(p)
    assert c.inputs.seizures[0].path == tmp_path / "given" / "s.csv"
    assert c.run.out_dir == tmp_path / "home" / "maps"


def test_nested_unknown_keys_and_numbers_spelt_otherwise_are_refused(tmp_path):
    """Mutants: unknown keys ignored, ``true`` taken for 1, ``.inf`` taken for a number."""
    for text in (
        "transit: {gap_hour: 3}",
        "dask: {workers: true}",
        "transit: {gap_hours: .inf}",
    ):
        with pytest.raises(ConfigError):
            _load(tmp_path, text + "\n")


def test_the_moved_timeline_months_key_yields_to_the_new_one(tmp_path):
    c = _load(tmp_path, "render: {timeline_months: 3}\ntimeline: {months: 5}\n")
    assert c.timeline.months == 5
    assert _load(tmp_path, "render: {timeline_months: 3}\n").timeline.months == 3


def test_as_of_words_name_the_utc_day_and_any_case(tmp_path):
    """Mutants: the run's clock read in its own zone; 'Yesterday' refused; 2 days back."""
    # 01:30 on 2 December in UTC+3 is 22:30 on 1 December in UTC
    now = dt.datetime(2026, 12, 2, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert as_of_day("yesterday", now) == dt.date(2026, 11, 30)
    assert as_of_day("today", now) == dt.date(2026, 12, 1)
    assert _load(tmp_path, "run: {as_of: Yesterday}\n").run.as_of == "yesterday"


def test_today_is_not_a_future_as_of(tmp_path):
    today = dt.datetime.now(dt.UTC).date()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureDateWarning)
        # the warning is of a later day only (midnight between the two lines: still today's)
        c = _load(tmp_path, f"run: {{as_of: {today.isoformat()}}}\n")
    assert c.run.as_of == today
    with pytest.warns(FutureDateWarning):
        _load(tmp_path, f"run: {{as_of: {(today + dt.timedelta(days=2)).isoformat()}}}\n")


# ---- timeline -----------------------------------------------------------------------------


def test_month_periods_are_the_utc_months_up_to_as_of():
    """Mutants: the months shifted by one, or the month of as_of's own zone."""
    got = month_periods(pd.Timestamp("2026-07-01T01:00", tz="Europe/Berlin"), 3)
    assert [str(p) for p in got] == ["2026-04", "2026-05", "2026-06"]  # 23:00 on 30 June UTC
    got = month_periods(pd.Timestamp("2026-03-15T12:00", tz="UTC"), 2)
    assert [str(p) for p in got] == ["2026-02", "2026-03"]


def test_each_period_counts_the_events_up_to_its_last_instant_and_as_of():
    """Mutants: ``<`` for ``<=`` at a month's last instant or at as_of, the last partial
    month dropped or cut elsewhere, a period's edge in another zone."""
    cell = CELLS[0]
    times = pd.to_datetime(
        [
            # the last instant of January (the run's instants are microseconds: as_of is
            # 23:59:59.999999 of its day): January's
            "2026-01-31T23:59:59.999999Z",
            "2026-02-01T00:00:00Z",  # the first of February
            "2026-03-15T12:00:00Z",  # as_of itself: seen by March
            "2026-03-15T12:00:00.000001Z",  # after as_of: never seen
        ],
        format="ISO8601",
    )
    events = pd.DataFrame({"time": times, "cell": cell})

    def count(past, cutoff):
        return pd.DataFrame({"cell": [cell], "value": [float(len(past))]})

    tl = timeline_table(
        events,
        ["2026-01", "2026-02", "2026-03"],
        count,
        as_of=pd.Timestamp("2026-03-15T12:00Z"),
        value="value",
        breaks=[0, 1, 2, 10],
    )
    assert tl.periods == ["2026-01", "2026-02", "2026-03"]
    assert tl.table["value"].tolist() == [1.0, 2.0, 3.0]
    assert tl.cutoffs == [
        "2026-01-31T23:59:59.999999999+00:00",  # a month's last nanosecond
        "2026-02-28T23:59:59.999999999+00:00",
        "2026-03-15T12:00:00+00:00",
    ]
    # a value on a break is in the class above it
    assert tl.table["class"].tolist() == [1, 2, 2]


def test_a_months_risk_on_a_fixed_break_is_in_the_class_above_and_missing_is_no_data():
    """Mutants: ``side="left"`` (a risk of 20 classed 'very low'), the missing risk given a
    class, the risk kept to another number of decimals."""
    from pipeline.score import FactorWeight
    from pipeline.timeline import TimelineFactors, score_timeline

    cells = np.sort(CELLS)
    values = np.array([0.123456, 0.2, 0.4, np.nan])  # the cap (quantile 1) is 0.4
    table = pd.DataFrame(
        {
            S.CELL: cells,
            S.PERIOD: "2026-06",
            S.SEIZURE_DENSITY: values,
            S.SEIZURE_DENSITY + S.COVERED_SUFFIX: ~np.isnan(values),
        }
    )
    periods = pd.DataFrame({S.PERIOD: ["2026-06"], "cutoff": [""], "history": [S.SEIZURE_DENSITY]})
    features = table.drop(columns=S.PERIOD)
    tl = score_timeline(
        features,
        TimelineFactors(table, periods),
        {S.SEIZURE_DENSITY: FactorWeight(weight=1.0)},
        scale="fixed",
        normalisation="cap",
        cap_quantile=1.0,
        class_breaks=[0, 20, 40, 50, 80, 100],
        class_labels=["very low", "low", "medium", "high", "very high"],
    )
    assert tl is not None
    # 100 * v / 0.4, to 2 decimals: 30.8640 -> 30.86, 50, 100 (on breaks), missing
    np.testing.assert_array_equal(tl[S.RISK].to_numpy(), [30.86, 50.0, 100.0, np.nan])
    assert tl["class"].tolist() == [1, 3, 4, -1]
    assert tl[S.RISK_CLASS].astype(str).tolist() == ["low", "high", "very high", "no data"]


@pytest.mark.parametrize(
    "options", [{"bandwidth_km": 0}, {"half_life_days": 0}, {"auto_bandwidths_km": (0.0, 25.0)}]
)
def test_density_options_made_in_code_refuse_a_zero_width(options):
    """Mutant: ``< 0`` for ``<= 0``.  A config file's bandwidth of 0 is refused again by the
    cell-centre check; options made in code (the timeline's, a notebook's) have only this one."""
    from pydantic import ValidationError

    from pipeline.config import DensityConfig

    with pytest.raises(ValidationError, match="> 0"):
        DensityConfig(**options)


def test_a_month_before_the_first_seizure_has_no_density_not_zero():
    """Mutants: the density of a month without a seizure on record 0 (the scores mask it by
    its coverage, but the table :func:`timeline_factors` returns is public: missing is not 0)."""
    from pipeline.config import DensityConfig
    from pipeline.timeline import timeline_factors

    seizures = pd.DataFrame(
        {
            S.TIME: pd.to_datetime(["2026-03-02T10:00:00Z"]),
            S.LON: [POINTS[0][1]],
            S.LAT: [POINTS[0][0]],
        }
    )
    density = DensityConfig(bandwidth_km=60.0, kernel="quartic", half_life_days=None)
    tf = timeline_factors(seizures, CELLS, pd.Timestamp("2026-03-15T12:00Z"), 3, density, None)
    assert tf is not None
    t = tf.table.sort_values([S.PERIOD, S.CELL], ignore_index=True)
    covered = S.SEIZURE_DENSITY + S.COVERED_SUFFIX
    before = t[S.PERIOD].astype(str) < "2026-03"
    assert before.sum() == 2 * CELLS.size
    assert t.loc[before, S.SEIZURE_DENSITY].isna().all()
    assert not t.loc[before, covered].any()
    assert t.loc[~before, covered].all()
    assert (t.loc[~before, S.SEIZURE_DENSITY] > 0).sum() == 1  # the seizure's own cell


@pytest.mark.parametrize("name", [S.CELL, S.HEX_ID, S.RISK, S.RISK_CLASS, S.LAT, S.LON])
def test_a_factor_may_not_take_a_published_columns_name(name):
    """Mutant: a name left out of ``schema.RESERVED_COLUMNS`` (a factor named ``hex_id``
    replaced the published ids); the run-level check of the list needs a whole run."""
    from pipeline.factors import Factor

    with pytest.raises(ConfigError, match="scores tables hold already"):
        Factor(name=name, unit="", description="x", compute=lambda ctx: None, needs="seizures")


def test_require_columns_names_every_missing_column():
    """Mutant: the first required column never checked."""
    from pipeline.errors import InputError

    with pytest.raises(InputError, match=r"missing column\(s\) \['time'\]"):
        S.require_columns(pd.DataFrame({S.LON: [1.0]}), [S.TIME, S.LON], "seizures")


def test_the_geopackage_states_its_times_in_utc_as_the_specification_asks(published):
    """Found: a time column in another zone was stored with its offset
    (``2026-06-01T20:00:00-04:00``); a GeoPackage DATETIME is UTC text ending in ``Z``
    (GeoPackage 1.3, table 1), which GDAL warned of as non-conformant content on reading.
    The CSV and GeoJSON hold the same UTC text."""
    with sqlite3.connect(published["dir"] / "scores.gpkg") as con:
        got = [r[0] for r in con.execute(f"SELECT {S.LATEST_EVENT} FROM scores ORDER BY fid")]
    assert got == LATEST_TEXT
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "non-conformant content" on reading either
        back = pyogrio.read_dataframe(published["dir"] / "scores.gpkg", columns=[S.LATEST_EVENT])
    assert str(back[S.LATEST_EVENT].dt.tz) == "UTC"


def test_no_months_is_no_timeline():
    """Mutant: ``months < 0`` for ``months <= 0`` (0 months: no periods, an error)."""
    from pipeline.config import DensityConfig
    from pipeline.timeline import timeline_factors

    seizures = pd.DataFrame(
        {S.TIME: pd.to_datetime(["2026-03-02T10:00:00Z"]), S.LON: [-10.0], S.LAT: [10.0]}
    )
    density = DensityConfig(bandwidth_km=60.0, half_life_days=None)
    assert (
        timeline_factors(seizures, CELLS, pd.Timestamp("2026-03-15T00:00Z"), 0, density, None)
        is None
    )


def test_a_month_without_a_cells_transit_history_drops_the_factor_there():
    """Mutant: a cell missing from a month's transit table taken as covered (its weight kept,
    with no value: the cell's risk halved instead of scored on the density alone)."""
    from pipeline.score import FactorWeight
    from pipeline.timeline import TimelineFactors, score_timeline

    cells = np.sort(CELLS)
    density = np.array([0.1, 0.2, 0.4, 0.4])  # the cap (quantile 1) is 0.4
    hours = np.array([1.0, 2.0, 4.0, np.nan])  # the cap is 4; the last cell has no history
    table = pd.DataFrame(
        {
            S.CELL: cells,
            S.PERIOD: "2026-06",
            S.SEIZURE_DENSITY: density,
            S.SEIZURE_DENSITY + S.COVERED_SUFFIX: True,
            S.VESSEL_HOURS: hours,
            # as timeline_factors reindexes a month's tracks: a cell absent has NaN here
            S.VESSEL_HOURS + S.COVERED_SUFFIX: pd.array([True, True, True, None], dtype=object),
        }
    )
    features = pd.DataFrame(
        {
            S.CELL: cells,
            S.SEIZURE_DENSITY: density,
            S.VESSEL_HOURS: [1.0, 2.0, 4.0, 4.0],
            S.VESSEL_HOURS + S.COVERED_SUFFIX: True,
        }
    )
    periods = pd.DataFrame(
        {
            S.PERIOD: ["2026-06"],
            "cutoff": [""],
            "history": [f"{S.SEIZURE_DENSITY},{S.VESSEL_HOURS}"],
        }
    )
    tl = score_timeline(
        features,
        TimelineFactors(table, periods),
        {S.SEIZURE_DENSITY: FactorWeight(weight=1.0), S.VESSEL_HOURS: FactorWeight(weight=1.0)},
        scale="fixed",
        normalisation="cap",
        cap_quantile=1.0,
    )
    assert tl is not None
    # 100 * mean of the covered norms: (0.25 + 0.25) / 2, (0.5 + 0.5) / 2, 1, density alone 1
    np.testing.assert_array_equal(tl[S.RISK].to_numpy(), [25.0, 50.0, 100.0, 100.0])


def test_geojson_of_polygons_is_reprojected_and_writes_missing_text_and_numbers_as_null(
    tmp_path,
):
    """Mutants: the polygon path not reprojected to lon/lat; a missing value of an Arrow text
    column or of a nullable float column written as "" or 0 instead of null."""
    import geopandas as gpd

    lonlat = shapely.Polygon([(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)])
    gdf = gpd.GeoDataFrame(
        {
            "name": pd.Series(["a", None], dtype="str"),
            "share": pd.array([0.5, None], dtype="Float64"),
        },
        geometry=[lonlat, lonlat],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    data = json.loads(write_geojson(gdf, tmp_path / "p.geojson").read_text(encoding="utf-8"))
    props = [f["properties"] for f in data["features"]]
    assert props == [{"name": "a", "share": 0.5}, {"name": None, "share": None}]
    ring = data["features"][0]["geometry"]["coordinates"][0]
    np.testing.assert_allclose(ring, [[1, 1], [2, 1], [2, 2], [1, 1]], atol=1e-6)
