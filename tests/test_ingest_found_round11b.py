"""Workbooks, KML/KMZ and GeoJSON refused or rejected unhelpfully in round 11: round 11b.

Each file is built in ``tmp_path`` as its tool or portal writes it (openpyxl for a workbook
with a notes sheet, a KMZ zipped again for download, GeoJSON with quoted coordinates, KML
text as Google Earth saves it) and checked against what it holds: every record accepted or
rejected with its value as written, each choice stated, or the file refused in one line.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION


def _placemark(i: int, when: str | None = None) -> str:
    """A seizure placemark as Google Earth saves one: a name, a TimeStamp, a point."""
    when = when or f"2023-03-{1 + i:02d}T10:00:00Z"
    return (
        f"<Placemark><name>s{i}</name><TimeStamp><when>{when}</when></TimeStamp>"
        f"<Point><coordinates>{-61.2 - i * 0.01:.2f},{10.5 + i * 0.01:.2f},0"
        "</coordinates></Point></Placemark>"
    )


def _kml(body: str) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?><kml xmlns='http://www.opengis.net/kml/2.2'>"
        f"<Document>{body}</Document></kml>"
    )


# ---------------------------------------------------------------- KMZ in a zip


def test_a_kmz_inside_a_zip_is_read(tmp_path):
    # a portal's download zips the KMZ again: refused as "FileNotFoundError: /vsizip/..."
    kmz = tmp_path / "inner.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", _kml("".join(_placemark(i) for i in range(4))))
    path = tmp_path / "download.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.write(kmz, "seizures.kmz")
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    assert sorted(res.frame["time"].dt.day) == [1, 2, 3, 4]
    assert res.assumptions["archive_member"]["member"] == "seizures.kmz"


def test_a_kmz_inside_a_zip_is_bounded_by_what_it_expands_to(tmp_path):
    kmz = tmp_path / "inner.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", _kml(_placemark(0) + "<!--" + " " * (3 << 20) + "-->"))
    path = tmp_path / "download.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.write(kmz, "seizures.kmz")
    assert path.stat().st_size < 1 << 20  # the outer member itself is under the bound
    with pytest.raises(SourceUnreadable, match=r"download\.zip: expands to 3 MiB.*=2"):
        read_seizures(path, as_of="2025-01-01", max_uncompressed_mb=2)


# ---------------------------------------------------------------- GeoJSON coordinates as text


def _feature(day: int, coords: list) -> dict:
    return {
        "type": "Feature",
        "properties": {"date": f"2023-03-{day:02d}", "drug": "cocaine"},
        "geometry": {"type": "Point", "coordinates": coords},
    }


def test_geojson_coordinates_written_as_text_are_rejected_with_their_text(tmp_path):
    # GDAL reads no geometry from ["-61.2", "10.5"]: the reject was geometry_missing, no value
    features = [
        _feature(1, [-61.2, 10.5]),
        _feature(2, ["-61.25", "10.50"]),
        _feature(3, [-61.3, 10.6]),
        {"type": "Feature", "properties": {"date": "2023-03-04"}, "geometry": None},
    ]
    path = tmp_path / "seizures.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    got = res.rejects.set_index("row")[["value", "rule"]].to_dict("index")
    assert got == {
        2: {"value": '["-61.25", "10.50"]', "rule": "geometry_unparseable"},
        4: {"value": "", "rule": "geometry_missing"},
    }
    assert "are text, not numbers" in res.rejects["message"].iloc[0]
    assert sorted(res.frame["source_row"]) == [1, 3]


def test_a_geojson_whose_coordinates_are_all_text_is_refused_saying_so(tmp_path):
    # with no geometry read at all the file was taken for a table and refused for want of
    # lat/lon columns, its coordinates unsaid
    features = [_feature(d, ["-61.2", "10.5"]) for d in (1, 2, 3)]
    path = tmp_path / "seizures.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(SourceUnreadable, match=r"""feature 1's is '\["-61.2", "10.5"\]'.* text"""):
        read_seizures(path, as_of="2025-01-01")


# ---------------------------------------------------------------- KML times and links


def test_a_kml_date_of_a_year_or_a_month_is_read_as_a_csv_reads_it(tmp_path):
    # GDAL read <when>2023</when> as no time (date_missing, no value) and 2023-05 as
    # 2023-05-01 00:00 unsaid; a CSV places both on their first day and states the precision
    body = _placemark(0, "2023") + _placemark(1) + _placemark(2, "2023-05")
    body += f"<Folder><name>F</name>{_placemark(3, 'spring 2023')}</Folder>"
    path = tmp_path / "seizures.kml"
    path.write_text(_kml(body))
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    got = res.frame.set_index("source_row")["time"].dt.strftime("%Y-%m-%d").to_dict()
    assert got == {1: "2023-01-01", 2: "2023-03-02", 3: "2023-05-01"}
    assert any("give only a year; placed on 1 January (precision: year)" in n for n in res.notes)
    assert any("only a year and month; placed on the 1st" in n for n in res.notes)
    rejected = res.rejects.set_index("row")[["value", "rule"]].to_dict("index")
    assert rejected == {4: {"value": "spring 2023", "rule": "date_unparseable"}}


_REMOTE_LINK = (
    "<NetworkLink><name>live</name><Link><href>https://example.org/feed.kml?a=1&amp;b=2</href>"
    "</Link></NetworkLink>"
)


def test_a_network_link_to_a_web_address_is_stated_not_followed(tmp_path):
    path = tmp_path / "seizures.kml"
    path.write_text(_kml(_placemark(0) + _placemark(1) + _REMOTE_LINK))
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    assert len(res.frame) == 2
    said = [n for n in res.notes if "NetworkLink" in n]
    assert said and "'https://example.org/feed.kml?a=1&b=2'] not fetched" in said[0]


def test_a_kml_of_network_links_alone_is_refused(tmp_path):
    # it was read as "no records"
    path = tmp_path / "seizures.kml"
    path.write_text(_kml(_REMOTE_LINK))
    with pytest.raises(SourceUnreadable, match=r"no placemark of its own.*never fetched"):
        read_seizures(path, as_of="2025-01-01")


# ---------------------------------------------------------------- workbooks with notes sheets

HEADER = ["Date", "Latitude", "Longitude", "Drug", "Quantity (kg)"]


def _workbook(path, sheets: dict[str, list[list]]) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)


def _sheet_records(n: int = 6) -> list[list]:
    rows: list[list] = [HEADER]
    for i in range(n):
        rows.append([dt.datetime(2023, 3, 1 + i, 10), 10.5 + i / 100, -61.2 - i / 100, "coke", i])
    return rows


_NOTES = [
    ["Source", "Coast guard annual return"],
    ["Updated", "2024-01-05"],
    ["Contact", "a@b.org"],
]
_README = [["About this dataset"], ["Positions are WGS 84 decimal degrees."], ["Licence: CC-BY"]]


@pytest.mark.parametrize("first", [True, False], ids=["records-first", "notes-first"])
def test_a_workbook_of_records_and_notes_sheets_reads_the_records_saying_so(tmp_path, first):
    # refused asking for sheet:, as a workbook of two sheets of records is
    sheets = {"Seizures": _sheet_records(), "Notes": _NOTES, "README": _README}
    if not first:
        sheets = dict(reversed(list(sheets.items())))
    path = tmp_path / "portal.xlsx"
    _workbook(path, sheets)
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    assert len(res.frame) == 6
    report = res.assumptions["sheet"]
    assert report["value"] == "Seizures"
    assert set(report["skipped"]) == {"Notes", "README"}
    said = [n for n in res.notes if "sheet 'Seizures' read" in n]
    assert said and "'Notes' (no position and date columns" in said[0]


def test_two_sheets_of_records_beside_notes_are_still_refused(tmp_path):
    path = tmp_path / "portal.xlsx"
    _workbook(path, {"2023": _sheet_records(), "2024": _sheet_records(3), "Notes": _NOTES})
    with pytest.raises(
        InputError, match=r"^portal.xlsx: 2 sheets hold records \['2023', '2024'\];"
    ):
        read_seizures(path, as_of="2025-01-01")
