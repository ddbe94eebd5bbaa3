"""Spreadsheets, vector layers and KML in shapes real tools write, read wrongly before: round 11.

Each file is written to ``tmp_path`` as its tool writes it (openpyxl for Excel's cells,
geopandas/GDAL for layers, KML text as Google Earth saves it) and checked against what it
holds: every record accepted or rejected with its value, or the file refused in one line.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted
from _kinds import fill_records_sheet, records_workbook

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import SeizureSource, read_seizures, read_tracks

pytestmark = IGNORE_PENDING_DEPRECATION

# ---------------------------------------------------------------- KML and KMZ


def _placemark(i: int) -> str:
    """A seizure placemark as Google Earth saves one: a name, a TimeStamp, a point."""
    return (
        f"<Placemark><name>s{i}</name><TimeStamp><when>2023-03-{1 + i:02d}T10:00:00Z</when>"
        "</TimeStamp><ExtendedData><Data name='drug'><value>cocaine</value></Data>"
        f"</ExtendedData><Point><coordinates>{-61.2 - i * 0.01:.2f},{10.5 + i * 0.01:.2f},0"
        "</coordinates></Point></Placemark>"
    )


def _kml(body: str) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?><kml xmlns='http://www.opengis.net/kml/2.2'>"
        f"<Document>{body}</Document></kml>"
    )


def test_a_kmz_of_two_kml_documents_is_refused_not_read_in_part(tmp_path):
    # GDAL's LIBKML reads the first KML of a KMZ only: the 5 placemarks of b.kml were lost
    path = tmp_path / "seizures.kmz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.kml", _kml(_placemark(0)))
        z.writestr("b.kml", _kml("".join(_placemark(i) for i in range(1, 6))))
    with pytest.raises(SourceUnreadable, match=r"6 placemark\(s\) in 2 KML documents.* reads 1"):
        read_seizures(path, as_of="2025-01-01")


def test_a_placemark_beside_a_network_link_is_not_dropped_unsaid(tmp_path):
    # doc.kml's own placemark beside a NetworkLink to files/more.kml: GDAL follows the link
    # and drops the placemark (5 of 6 read)
    path = tmp_path / "seizures.kmz"
    link = "<NetworkLink><name>more</name><Link><href>files/more.kml</href></Link></NetworkLink>"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("doc.kml", _kml(_placemark(0) + link))
        z.writestr("files/more.kml", _kml("".join(_placemark(i) for i in range(1, 6))))
    with pytest.raises(SourceUnreadable, match=r"holds 6 placemark.* reads 5"):
        read_seizures(path, as_of="2025-01-01")


def test_a_kml_of_folders_and_loose_placemarks_is_read_whole(tmp_path):
    # the check counts what GDAL reads: placemarks at the document's root and in folders
    body = _placemark(0) + f"<Folder><name>F</name>{_placemark(1)}{_placemark(2)}</Folder>"
    body += f"<!-- an old record: {_placemark(9)} -->"
    path = tmp_path / "seizures.kml"
    path.write_text(_kml(body + _placemark(3)))
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    assert sorted(res.frame["time"].dt.day) == [1, 2, 3, 4]


# ---------------------------------------------------------------- Excel workbooks


def _rewrite_member(path, member: str, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` in one member of a zip (a workbook's sheet XML)."""
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == member:
                assert old in data
                data = data.replace(old, new)
            zout.writestr(info, data)


def test_excel_error_cells_are_read_as_their_error_not_as_blanks(tmp_path):
    # Excel saves a failed formula as an error cell (t="e") with its cached text;
    # pd.read_excel read it as empty: the quantity's #DIV/0! was accepted as a missing
    # quantity (a CSV of the same sheet rejects it) and the rejects showed no value
    # B3: a lookup that found nothing
    wb = records_workbook({"B3": "#N/A", "A4": "#VALUE!", "E5": "#DIV/0!"})
    path = tmp_path / "seizures.xlsx"
    wb.save(path)
    # as Excel writes it: the formula, and its cached error
    _rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        b'<c r="E5" t="e"><v>',
        b'<c r="E5" t="e"><f>E4/0</f><v>',
    )
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    got = res.rejects.set_index("row")[["value", "rule"]].to_dict("index")
    assert got == {
        3: {"value": "#N/A", "rule": "coord_missing"},
        4: {"value": "#VALUE!", "rule": "date_unparseable"},
        5: {"value": "#DIV/0!", "rule": "quantity_unparseable"},
    }
    assert sorted(res.frame["source_row"]) == [2, 6, 7]


# ---------------------------------------------------------------- vector layers


@pytest.mark.parametrize("kind", ["shapefile", "gpkg"])
def test_a_layer_of_metres_without_a_crs_is_refused_naming_crs(tmp_path, kind):
    # a UTM Shapefile sent without its .prj: every record was rejected as lat_out_of_range
    # and the run stopped by the reject ceiling, naming that rule and not the missing CRS
    gpd = pytest.importorskip("geopandas")
    shapely = pytest.importorskip("shapely")
    n = 8
    layer = gpd.GeoDataFrame(
        {
            "date": [f"2023-03-{1 + i:02d}" for i in range(n)],
            "drug": ["cocaine"] * n,
        },
        geometry=shapely.points(-61.2 - 0.01 * np.arange(n), 10.5 + 0.01 * np.arange(n)),
        crs="EPSG:4326",
    ).to_crs("EPSG:32620")
    if kind == "shapefile":
        path = tmp_path / "seizures.shp"
        layer.to_file(path)
        path.with_suffix(".prj").unlink()
    else:
        path = tmp_path / "seizures.gpkg"
        layer.set_crs(None, allow_override=True).to_file(path)
    with pytest.raises(InputError, match=r"declares no CRS.* 8 of 8 points.*set crs:"):
        read_seizures(path, as_of="2025-01-01")
    # told its CRS, it is read where it lies
    res = read_seizures(SeizureSource(path=path, crs="EPSG:32620"), as_of="2025-01-01")
    assert_accounted(res)
    assert len(res.frame) == n
    assert np.allclose(res.frame["lon"].sort_values(), -61.2 - 0.01 * np.arange(n)[::-1])


def test_a_workbook_of_two_sheets_of_records_names_itself_once(tmp_path):
    # the refusal went through the ValueError wrapper: "book.xlsx: book.xlsx: 2 sheets ..."
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "2023"
    wb.create_sheet("2024")
    for ws in wb.worksheets:
        fill_records_sheet(ws)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as err:
        read_seizures(path, as_of="2025-01-01")
    assert str(err.value).startswith("book.xlsx: 2 sheets hold records ['2023', '2024']")


@pytest.mark.parametrize(
    ("head", "said"),
    [
        (b"Date,Latitude,Longitude\n2023-03-01,10.5,-61.2\n", "a CSV under an .xlsx name"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "legacy Excel 97-2003 .xls"),
        (b"<html><body><table><tr><td>Date</td></tr></table>", "HTML or XML page"),
    ],
    ids=["csv", "xls", "html"],
)
def test_a_file_named_xlsx_that_is_no_workbook_is_refused_saying_what_it_is(tmp_path, head, said):
    # web portals save a CSV, an HTML table or an old .xls under an .xlsx name: the refusal
    # named only the first four bytes
    path = tmp_path / "seizures.xlsx"
    path.write_bytes(head)
    with pytest.raises(SourceUnreadable, match=said):
        read_seizures(path, as_of="2025-01-01")


@pytest.mark.parametrize("suffix", [".ods", ".xlsb", ".numbers"])
def test_other_spreadsheet_files_are_refused_naming_xlsx_or_csv(tmp_path, suffix):
    path = tmp_path / f"seizures{suffix}"
    path.write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(SourceUnreadable, match=r"not read; (save|export) it as \.xlsx or CSV"):
        read_seizures(path, as_of="2025-01-01")


def test_a_track_file_saved_as_a_workbook_is_not_told_to_be_an_xlsx(tmp_path):
    # tracks read no workbook: the advice is CSV alone
    path = tmp_path / "ais.ods"
    path.write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(SourceUnreadable) as err:
        read_tracks(path)
    assert str(err.value).endswith("save it as CSV")


# ---------------------------------------------------------------- rasters


def test_a_signed_byte_raster_filled_with_its_smallest_value_is_refused(tmp_path):
    # an int8 index of -5..5 with -128 where nothing was measured and no nodata declared:
    # -128 was averaged in as a value (uint8's 255 was refused, int8's -128 not)
    from _rasters import write_tif
    from rasterio.transform import from_origin

    from pipeline.ingest import RasterSource, open_raster, raster_coverage

    values = np.random.default_rng(11).integers(-5, 6, (50, 50)).astype("int8")
    values[:5] = -128
    path = write_tif(tmp_path / "index.tif", values, from_origin(-62, 11, 0.01, 0.01))
    with pytest.raises(InputError, match=r"250 of 2500 cells hold -128, the smallest int8"):
        raster_coverage(open_raster(path))
    declared = RasterSource(path=path, name="index", nodata=-128)
    assert raster_coverage(open_raster(declared))["valid_fraction_in_area"] == 0.9
    # values reaching down to -128's neighbourhood keep it as a value
    values[5, :10] = -126
    write_tif(path, values, from_origin(-62, 11, 0.01, 0.01))
    assert raster_coverage(open_raster(path))["valid_fraction_in_area"] == 1.0
