"""Hostile sweep of the published outputs: spreadsheet formulas in disguise, text that is not
text (NUL, lone surrogates) on the map, and the cells around the poles in the GIS exports."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import schema as S
from pipeline.builtin_factors import DensityOptions  # registers the density factor
from pipeline.factors import FactorContext, InputsView, default_registry
from pipeline.features import compute_features
from pipeline.grid import cell_area_km2, cells_to_geodataframe, points_to_cells, region_to_cells
from pipeline.io import write_csv, write_geojson
from pipeline.render import RenderOptions, write_map
from pipeline.render._escaping import escape_many, escape_text
from pipeline.testing import sample_map_data

#: Formulas a spreadsheet still runs: full-width signs (East Asian locales) and signs behind
#: blanks that importers trim (a space, a no-break space, an ideographic space, a zero-width
#: space, a BOM, a line feed, a right-to-left override).
DISGUISED = [
    '\uff1dHYPERLINK("http://evil.example","x")',
    "\uff0bcmd|' /C calc'!A0",
    "\uff0d2+3",
    "\uff20SUM(A1)",
    " =1+2",
    "   @SUM(A1)",
    "\u00a0=1+2",
    "\u3000+cmd",
    "\u200b=1+2",
    "\ufeff=1+2",
    "\n=1+2",
    "\u202e=1+2",
]
#: Texts that only look like them: no sign after the blanks, or a sign later on.
HARMLESS = [" 1+2", "\u00a0x", "a=1", "x\uff1d1", "", "  "]


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_disguised_formulas_are_quoted_in_cells_and_column_names(tmp_path):
    n = len(DISGUISED) + len(HARMLESS)
    frame = pd.DataFrame(
        {
            "text": pd.Series(DISGUISED + HARMLESS, dtype="str"),
            "obj": pd.Series(DISGUISED + HARMLESS, dtype=object),
            "x": np.linspace(-1.0, 1.0, n),
            " =name": 1,
            "\uff1dname": 2,
        }
    )
    header, *rows = _rows(write_csv(frame, tmp_path / "t.csv"))
    assert header == ["text", "obj", "x", "' =name", "'\uff1dname"]
    want = ["'" + t for t in DISGUISED] + HARMLESS
    assert [r[0] for r in rows] == want
    assert [r[1] for r in rows] == want
    assert not [r[2] for r in rows if r[2].startswith("'")]  # numbers stay numbers


def test_rejected_disguised_formula_reaches_the_rejects_file_quoted(tmp_path):
    from pipeline.ingest import read_seizures
    from pipeline.ingest.summary import write_rejects

    src = tmp_path / "s.csv"
    src.write_text(
        "date,lat,lon,commodity,quantity\n"
        "2024-01-02,10.5,-20.25,cocaine,5\n"
        "2024-01-03,\uff1d1+2,-20.25,cocaine,5\n"
        '2024-01-04,10.5,\u00a0=HYPERLINK("http://e"),cocaine,5\n',
        encoding="utf-8",
    )
    result = read_seizures(src)
    assert result.n_rejected == 2
    cells = [c for r in _rows(write_rejects(result, tmp_path / "out"))[1:] for c in r]
    assert "'\uff1d1+2" in cells and '\'\u00a0=HYPERLINK("http://e")' in cells
    assert "\uff1d1+2" not in cells


@pytest.mark.parametrize("bad", ["lone \ud800 surrogate", "file\udcff\udcfe.csv", "nul\x00byte"])
def test_text_that_is_not_text_still_writes_the_map(tmp_path, bad):
    """A title, run id or input name with a NUL or a lone surrogate (a YAML "\\uD800" escape,
    a file name that is not UTF-8) gave a UnicodeEncodeError traceback instead of a map."""
    data = sample_map_data(20, n_seizures=4, n_events=2, n_periods=2)
    path = write_map(
        data,
        tmp_path / "m.html",
        as_of="2024-06-30",
        run_id=bad,
        inputs=[bad, "ais.csv"],
        options=RenderOptions(title=bad),
    )
    raw = path.read_bytes()
    html = raw.decode("utf-8")  # strict: the page is valid UTF-8
    assert b"\x00" not in raw
    # shown as U+FFFD, as the browser shows &#0; or &#xD800;; the rest verbatim
    shown = "".join("&#65533;" if c == "\x00" or 0xD800 <= ord(c) < 0xE000 else c for c in bad)
    assert escape_text(bad) == shown
    assert f"<title>{shown} - risk as of 2024-06-30</title>" in html


def test_escape_many_of_surrogates_numbers_and_missing():
    values = ["a\ud800", None, 1.5, float("nan"), "<b>", True, 1, "a\ud800"]
    assert escape_many(values) == [
        "a&#65533;",
        "",
        "1.5",
        "",
        "&lt;b&gt;",
        "True",
        "1",
        "a&#65533;",
    ]


@pytest.mark.parametrize("resolution", [0, 1, 2, 3])
@pytest.mark.parametrize("lat", [90.0, -90.0])
def test_the_cell_around_a_pole_covers_it(tmp_path, resolution, lat):
    """The cell around a pole was split like a cell across 180°: at resolution 0 its two
    'halves' left out the polar cap (half the cell), at 1 GEOS raised a TopologyException."""
    from pyproj import Geod

    cell = points_to_cells(np.array([0.0]), np.array([lat]), resolution)
    near = points_to_cells(np.array([170.0]), np.array([lat * 0.5]), resolution)
    gdf = cells_to_geodataframe(np.r_[cell, near])
    polar = gdf.geometry.iloc[0]
    assert shapely.is_valid(polar) and polar.geom_type == "Polygon"
    for lon in (-179.9, -90.0, 0.0, 90.0, 179.9):
        assert polar.covers(shapely.Point(lon, lat * 0.9999))
    area = abs(Geod(ellps="WGS84").geometry_area_perimeter(polar)[0]) / 1e6
    assert area == pytest.approx(float(cell_area_km2(cell)[0]), rel=0.06)
    back = pd.read_json(write_geojson(gdf, tmp_path / "p.geojson"))["features"][0]
    ring = np.asarray(back["geometry"]["coordinates"][0])
    assert (ring[:, 1].max() if lat > 0 else ring[:, 1].min()) == lat
    assert shapely.Polygon(ring).covers(shapely.Point(0.0, lat * 0.9999))


def test_a_cell_holding_a_seizure_is_never_cut_from_the_scores():
    """With ``cells: support`` a cell whose seizure gave it no density at its centre (a cell
    wider than the bandwidth, or an old seizure decayed below 1e-3 of the busiest cell) was
    cut: its seizures were in seizures_used but in no cell of the scores or the map."""
    as_of = pd.Timestamp("2026-06-30", tz="UTC")
    rng = np.random.default_rng(3)
    lon = np.r_[rng.normal(-30.0, 0.05, 30), -20.0, -10.0]
    lat = np.r_[rng.normal(20.0, 0.05, 30), 21.0, 22.0]
    times = [as_of - pd.Timedelta(days=1)] * 30 + [as_of - pd.Timedelta(days=3000)] * 2
    seizures = pd.DataFrame({S.TIME: times, S.LON: lon, S.LAT: lat})
    seizures[S.COMMODITY] = "cocaine"
    resolution = 3
    region = region_to_cells((-31.0, 19.0, -9.0, 23.0), resolution)
    base = FactorContext(
        cells=region, resolution=resolution, as_of=as_of, seizures=seizures, pings=pd.DataFrame()
    )
    (factor,) = default_registry.resolve(
        [S.SEIZURE_DENSITY], InputsView(needs=frozenset({"seizures"}))
    )
    options = DensityOptions(bandwidth_km=25.0, half_life_days=90.0)
    table = compute_features(
        [factor],
        dataclasses.replace(base, window_cells=region),
        area_given=True,
        cells_mode="support",
        options_for=lambda f: options,
        key_for=lambda f: None,
    ).table
    held = np.unique(points_to_cells(lon, lat, resolution))
    assert np.isin(held, table[S.CELL].to_numpy()).all()
    assert len(table) < len(region)  # still cut to the observed cells


@pytest.mark.browser
def test_seizure_popup_says_a_mass_is_in_kg(page, tmp_path):
    """Ingest converts quantities in a unit of mass to kg (500 g is 0.5); the popup said
    '0.5 (unit as reported)', which reads as 0.5 g."""
    from pipeline.ingest import read_seizures

    src = tmp_path / "q.csv"
    src.write_text(
        "date,lat,lon,commodity,quantity,unit\n"
        "2024-01-02,10.5,-20.25,cocaine,500,g\n"
        "2024-01-04,10.7,-20.0,people,3,persons\n",
        encoding="utf-8",
    )
    seizures = read_seizures(src).frame
    assert seizures[S.QUANTITY].tolist() == [0.5, 3.0]
    data = sample_map_data(20, n_seizures=2, n_events=0, n_periods=0)
    data.seizures = seizures
    path = write_map(data, tmp_path / "m.html", as_of="2024-06-30", run_id="r", inputs=["q.csv"])
    page.goto(path.as_uri())
    page.wait_for_function("() => window.routeRisk && window.routeRisk.ready === true")
    popups = page.evaluate(
        """() => routeRisk.layers.seizures.getLayers().map(m => {
              const p = L.popup().setLatLng(m.getLatLng())
                .setContent(m.getPopup()._content(m)).openOn(routeRisk.map);
              return p.getElement().querySelector('.leaflet-popup-content').textContent; })"""
    )
    mass = [p for p in popups if "cocaine" in p]
    assert len(mass) == 1 and "Quantity0.5 (kg if reported as a mass" in mass[0], popups
    assert page.errors == []


@pytest.mark.parametrize("method", ["quantile", "natural"])
def test_legend_states_the_runs_class_method_not_fixed(tmp_path, method):
    """A run classes the risk once (map_classes with render.classes) and draws the map with
    classes='fixed' (the classes as given): the legend said 'Breaks: fixed breaks' under
    quantile breaks of the run, which the manifest called 'quantile'."""
    from pipeline.render._payload import map_classes

    def page(data, name: str) -> str:  # the map drawn with the classes as given
        opts = RenderOptions(classes="fixed")
        out = write_map(
            data, tmp_path / name, as_of="2024-06-30", run_id="r", inputs=["s.csv"], options=opts
        )
        return out.read_text(encoding="utf-8")

    sample = sample_map_data(60, n_seizures=5, n_events=0, n_periods=0)
    html = page(map_classes(sample, method), "m.html")
    note = html[html.index('id="rr-legend-risk-note">') :][:200]
    assert "fixed breaks" not in note
    assert ("quantile classes of this run" if method == "quantile" else "natural breaks") in note
    fixed = page(sample, "f.html")
    assert 'id="rr-legend-risk-note">Breaks: fixed breaks.' in fixed


@pytest.mark.parametrize("method", ["exact", "centre"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_pixels_are_not_valid_like_nan(method, bad):
    """An infinite pixel (a float raster's overflow or 1/0) was counted in ``count`` and
    ``valid_fraction`` but summed as 0: the cell's mean fell from 2.0 to 1.52, its max became
    NaN ('not covered'), without a word."""
    import rioxarray  # noqa: F401 - the .rio accessor
    import xarray as xr

    from pipeline.zonal import zonal_stats_to_cells

    x = -30 + 0.01 * (np.arange(100) + 0.5)
    y = 21 - 0.01 * (np.arange(100) + 0.5)
    cell = points_to_cells(np.array([-29.5]), np.array([20.5]), 6)
    stats = ("mean", "max", "min", "sum", "count", "valid_fraction")

    def zonal(value):
        a = np.full((100, 100), 2.0)
        a[48:52, 48:52] = value
        da = xr.DataArray(a, dims=("y", "x"), coords={"y": y, "x": x}).rio.write_crs(4326)
        return zonal_stats_to_cells(da, cell, stats=stats, method=method)

    got, want = zonal(bad), zonal(np.nan)
    assert want["raster_valid_fraction"].iloc[0] < 0.9  # the block is inside the cell
    pd.testing.assert_frame_equal(got, want)
