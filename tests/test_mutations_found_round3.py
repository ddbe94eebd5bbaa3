"""Found by a mutation round on this session's new ingest and config code.

Each test kills a hand-made mutant that no other test noticed (it fails with the mutant in
place and passes on the code as it is): a placemark's year lost beside a tour, a workbook's
first record's error cell, a header-only sheet, a typo beside a table that allows extras, a
pair blank where the other gives a value, a layer of metres west and south of 0, or partly
in metres, a semicolon CSV or an HTML page named .xlsx, GeoJSON numbers taken for text, a
glued script change, a grid of hours beyond a day's clock, and a zonal sum of zeros.
"""

from __future__ import annotations

import json

import numpy as np
import pydantic
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text
from _kinds import SHEET_HEADER, fill_records_sheet, read_kind, record_table, records_workbook
from conftest import km_plugin, plugin_config

from pipeline.errors import ConfigError, InputError, SourceUnreadable
from pipeline.grid import region_to_cells
from pipeline.ingest import read_seizures
from pipeline.zonal import zonal_stats_to_cells

pytestmark = IGNORE_PENDING_DEPRECATION

# ---------------------------------------------------------------- KML


_KML_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?><kml xmlns='http://www.opengis.net/kml/2.2' "
    "xmlns:gx='http://www.google.com/kml/ext/2.2'><Document>"
)


def _placemark(i: int, when: str) -> str:
    return (
        f"<Placemark id='p{i}'><name>s{i}</name><TimeStamp><when>{when}</when></TimeStamp>"
        f"<Point><coordinates>{-61.2 - i * 0.01:.2f},{10.5 + i * 0.01:.2f},0"
        "</coordinates></Point></Placemark>"
    )


def test_a_year_is_read_as_written_beside_a_tour_that_animates_a_placemark(tmp_path):
    # mutant: the tour's <Update><Change><Placemark targetId> counted among the placemarks
    # whose times are re-read: the counts no longer matched GDAL's features and the year
    # GDAL reads as no time was lost (rejected as date_missing) instead of read as 1 January
    tour = (
        "<gx:Tour><name>tour</name><gx:Playlist><gx:AnimatedUpdate><gx:duration>2"
        "</gx:duration><Update><targetHref/><Change><Placemark targetId='p1'>"
        "<visibility>0</visibility></Placemark></Change></Update></gx:AnimatedUpdate>"
        "</gx:Playlist></gx:Tour>"
    )
    body = "".join(_placemark(i, f"2023-03-1{i}T12:00:00Z") for i in (0, 2, 3))
    body += _placemark(1, "2023") + tour
    path = tmp_path / "seizures.kml"
    path.write_text(_KML_HEAD + body + "</Document></kml>", encoding="utf-8")
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    assert res.rejects.empty
    got = sorted(res.frame["time"].dt.strftime("%Y-%m-%d"))
    assert got == ["2023-01-01", "2023-03-10", "2023-03-12", "2023-03-13"]
    assert any("give only a year; placed on 1 January (precision: year)" in n for n in res.notes)


def test_a_network_link_commented_out_is_not_stated(tmp_path):
    # mutant: NetworkLinks looked for in the text with its comments: a link the author
    # commented out was said to be "not fetched", as if the file pointed to it
    link = "<NetworkLink><Link><href>https://example.org/feed.kml</href></Link></NetworkLink>"
    body = _placemark(0, "2023-03-10T12:00:00Z") + f"<!-- {link} -->"
    path = tmp_path / "seizures.kml"
    path.write_text(_KML_HEAD + body + "</Document></kml>", encoding="utf-8")
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    assert len(res.frame) == 1
    assert not [n for n in res.notes if "NetworkLink" in n]


# ---------------------------------------------------------------- workbooks


def test_an_error_cell_in_the_first_record_is_read_as_its_error(tmp_path):
    # mutant: the sheet row right under the header skipped (0 < i): the first record's
    # #DIV/0! quantity was accepted as a missing quantity
    wb = records_workbook({"E2": "#DIV/0!"})
    path = tmp_path / "seizures.xlsx"
    wb.save(path)
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    got = res.rejects.set_index("row")[["value", "rule"]].to_dict("index")
    assert got == {2: {"value": "#DIV/0!", "rule": "quantity_unparseable"}}


def test_a_sheet_holding_a_header_alone_is_no_second_sheet_of_records(tmp_path):
    # mutant: a sheet of one row counted as holding records: an empty template beside
    # the records ('Template', the same header) made the workbook refused as two sheets
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "Data"
    fill_records_sheet(data)
    wb.create_sheet("Template").append(SHEET_HEADER)
    path = tmp_path / "seizures.xlsx"
    wb.save(path)
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    assert len(res.frame) == 6


def test_a_semicolon_csv_named_xlsx_is_said_to_be_a_csv(tmp_path):
    # mutant: only ',', tab and '|' taken for a CSV's delimiter: a European export
    # (';') named .xlsx was refused without saying what it is
    path = tmp_path / "seizures.xlsx"
    path.write_bytes(b"Date;Latitude;Longitude\n2023-03-01;10,5;-61,2\n")
    with pytest.raises(SourceUnreadable, match="a CSV under an .xlsx name"):
        read_seizures(path, as_of="2025-01-01")


def test_an_html_page_named_xlsx_after_blank_lines_is_said_to_be_html(tmp_path):
    # mutant: the first bytes compared before the BOM and blank lines were left: a web
    # table saved with a leading newline was refused without saying what it is
    path = tmp_path / "seizures.xlsx"
    path.write_bytes(b"\xef\xbb\xbf\r\n\n  <!DOCTYPE html><html><body><table></table>")
    with pytest.raises(SourceUnreadable, match="HTML or XML page"):
        read_seizures(path, as_of="2025-01-01")


# ---------------------------------------------------------------- GeoJSON geometries


def _feature(day: int, coords: list, kind: str = "Point") -> dict:
    return {
        "type": "Feature",
        "properties": {"date": f"2023-03-{day:02d}", "drug": "cocaine"},
        "geometry": {"type": kind, "coordinates": coords},
    }


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_geometry_gdal_cannot_read_is_said_to_be_text_only_when_it_holds_text(tmp_path):
    # mutants: a number taken for text (every unreadable geometry said to be "text, not
    # numbers"), or a position text only when all its numbers are (one quoted number of
    # two said to be "not a GeoJSON geometry")
    features = [
        _feature(1, [-61.2, 10.5]),
        _feature(2, ["-61.25", 10.5]),
        _feature(3, [-61.3]),
        _feature(4, [-61.3, 10.6]),
        _feature(5, [[-61.3, 10.6]], "Pointy"),
    ]
    path = tmp_path / "seizures.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    res = read_seizures(path, as_of="2025-01-01")  # GDAL warns of the geometries it drops
    assert_accounted(res)
    got = res.rejects.set_index("row")[["value", "rule"]].to_dict("index")
    assert got == {
        2: {"value": '["-61.25", 10.5]', "rule": "geometry_unparseable"},
        3: {"value": "[-61.3]", "rule": "geometry_unparseable"},
        5: {"value": "[[-61.3, 10.6]]", "rule": "geometry_unparseable"},
    }
    said = dict(zip(res.rejects["row"], res.rejects["message"], strict=True))
    assert "are text, not numbers" in said[2]
    assert "is not a GeoJSON geometry GDAL can read" in said[3]
    assert "is not a GeoJSON geometry GDAL can read" in said[5]


# ---------------------------------------------------------------- layers without a CRS


def _layer_without_crs(tmp_path, lon, lat):
    gpd = pytest.importorskip("geopandas")
    shapely = pytest.importorskip("shapely")
    n = len(lon)
    layer = gpd.GeoDataFrame(
        {"date": [f"2023-03-{1 + i:02d}" for i in range(n)], "drug": ["cocaine"] * n},
        geometry=shapely.points(lon, lat),
        crs=None,
    )
    path = tmp_path / "seizures.gpkg"
    layer.to_file(path)
    return path


def test_a_layer_of_web_mercator_metres_west_and_south_is_refused(tmp_path):
    # mutant: metres taken as positive numbers beyond 1000 (no abs): Web Mercator's
    # x and y west of Greenwich and south of the equator are negative, and the layer
    # was rejected record by record as lat_out_of_range instead of refused naming crs:
    x = -6_800_000.0 - 1000.0 * np.arange(8)
    y = -1_100_000.0 - 1000.0 * np.arange(8)
    path = _layer_without_crs(tmp_path, x, y)
    with pytest.raises(InputError, match=r"declares no CRS.* 8 of 8 points"):
        read_seizures(path, as_of="2025-01-01")


def test_a_layer_mostly_in_metres_is_refused(tmp_path):
    # mutant: refused only when nine in ten points are beyond any degree: a layer of
    # 5 in metres and 3 in degrees (merged from two sources) was read in part
    lon = np.r_[np.full(5, 650_000.0), np.full(3, -61.2)]
    lat = np.r_[np.full(5, 1_160_000.0), np.full(3, 10.5)]
    path = _layer_without_crs(tmp_path, lon, lat)
    with pytest.raises(InputError, match=r"declares no CRS.* 5 of 8 points"):
        read_seizures(path, as_of="2025-01-01")


# ---------------------------------------------------------------- columns


def test_a_copy_of_the_position_blank_where_the_other_gives_one_is_another_pair(tmp_path):
    # mutant: two columns were one coordinate where either one was blank: a 'POINT_Y'
    # blank on a row 'lat' gives (or the reverse) is no copy, and which to read is asked
    frame = record_table("seizures", 1.05, 104.2)
    frame["POINT_Y"] = [repr(v + 3e-10) for v in frame["lat"]]
    frame["POINT_X"] = [repr(v - 4e-10) for v in frame["lon"]]
    frame.loc[frame.index[2], ["POINT_Y", "POINT_X"]] = ""
    path = tmp_path / "seizures.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"2 latitude/longitude pairs could each be"):
        read_kind("seizures", path)


def test_a_header_glued_across_scripts_splits_where_the_script_changes():
    # mutant: no token boundary between CJK letters and ASCII ones
    from pipeline.ingest._columns import name_tokens

    assert name_tokens("纬度WGS84") == ["纬度", "wgs84"]
    assert name_tokens("Широта(WGS84)") == ["широта", "wgs84"]


def test_a_grid_of_hours_beyond_a_days_clock_is_refused(tmp_path):
    # mutant: 24 to 29 taken for an hour of the clock: a table of hours spent whose bare
    # 'Hours' are whole numbers from 24 was read as seizures, one per row
    text = "Date,Hours,Lat,Lon\n" + "".join(
        f"2023-03-01,{24 + i % 6},{1.2 + i * 0.013:.3f},{103.8 + i * 0.029:.3f}\n" for i in range(8)
    )
    with pytest.raises(InputError, match=r"gridded product.*'Hours' sums the hours"):
        read_seizures(write_text(tmp_path, "effort.csv", text))


# ---------------------------------------------------------------- plug-in options


class _Open(pydantic.BaseModel):
    """A nested table that takes any extra key on purpose."""

    model_config = pydantic.ConfigDict(extra="allow")

    label: str = ""


class _Strict(pydantic.BaseModel):
    """A nested table of pydantic's default ``extra``."""

    scale_km: float = 50.0


class OpenFirstOptions(pydantic.BaseModel):
    """Options whose open table comes before a strict one (pydantic reports in that order)."""

    free: _Open = _Open()
    inner: _Strict = _Strict()


def _inner_scale(ctx):
    return np.full(len(ctx.cells), float(ctx.options.inner.scale_km))


OPEN_FIRST = ("test_mutations_found_round3:open_first", "round3_open_first")
open_first = km_plugin(
    "round3_open_first",
    "A plug-in whose open options table comes first.",
    OpenFirstOptions,
    _inner_scale,
)


def test_a_typo_after_a_table_that_allows_extras_is_refused(small_demo, tmp_path):
    # mutant: the first table of extras that allows them ended the check: the typo
    # 'scale_kn' in the next table ran the plug-in on its default 50 km without a word
    options = {"free": {"colour": "red"}, "inner": {"scale_kn": 200}}
    with pytest.raises(ConfigError, match=r"\['inner.scale_kn'\]"):
        plugin_config(small_demo, tmp_path, *OPEN_FIRST, options)


# ---------------------------------------------------------------- zonal sums


def test_a_cell_of_zeros_sums_to_zero_where_the_window_is_mostly_negative():
    # mutant: the window's typical value added back to Σ|terms| without its sign: where it
    # is negative (a raster mostly -7.3) Σ|terms| of a cell of zeros cancelled to ~0, so
    # the round-off of its sum (~1e-12) was no longer taken for zero: 346 of 353 cells of
    # zeros got a sum and mean of +-1e-13 instead of 0
    xr = pytest.importorskip("xarray")
    pytest.importorskip("rioxarray")
    from affine import Affine

    rng = np.random.default_rng(3)
    values = np.full((600, 120), -7.3)
    values[:100, :] = 0.0  # the north sixth is zeros: 45.0 to 44.8
    values[-100:, :] += rng.normal(0.0, 1.0, (100, 120))
    da = xr.DataArray(values, dims=("y", "x"), name="v")
    da = da.rio.write_crs("EPSG:4326").rio.write_transform(Affine(0.002, 0, 10.0, 0, -0.002, 45.0))
    cells = region_to_cells((10.02, 44.83, 10.22, 44.98), 8)
    out = zonal_stats_to_cells(da, cells, stats=("sum", "mean", "count"), method="exact")
    assert len(out) > 300
    assert (out["v_count"] > 0).all()
    assert (out["v_sum"] == 0.0).all()
    assert (out["v_mean"] == 0.0).all()


# ---------------------------------------------------------------- raster fills


@pytest.mark.parametrize(
    ("dtype", "low", "high", "fill", "said"),
    [("uint8", 0, 250, 255, "the largest uint8"), ("int8", -123, 5, -128, "the smallest int8")],
)
def test_a_fill_five_beyond_the_values_is_refused(tmp_path, dtype, low, high, fill, said):
    # mutant: _TOP_GAP raised (5 -> 50): values stopping 5 short of the type's end (a
    # 0..250 index, or -123..5) left its 255 (-128) fill averaged in as a value
    pytest.importorskip("rasterio")
    from _rasters import write_tif
    from rasterio.transform import from_origin

    from pipeline.ingest import open_raster, raster_coverage

    values = np.random.default_rng(5).integers(low, high + 1, (50, 50)).astype(dtype)
    values[0, 0], values[0, 1] = low, high
    values[:5, 2:] = fill
    path = write_tif(tmp_path / "index.tif", values, from_origin(-62, 11, 0.01, 0.01))
    with pytest.raises(InputError, match=rf"240 of 2500 cells hold {fill}, {said}"):
        raster_coverage(open_raster(path))
