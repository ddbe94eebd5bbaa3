"""Mutation check of zipped inputs, GPX, OziExplorer/Geolife .plt and coordinate-pair columns.

Each test here kills a mutant of :mod:`pipeline.ingest._archive`, :mod:`pipeline.ingest._gpx`,
:mod:`pipeline.ingest._plt`, :mod:`pipeline.ingest._positions` or the pair splitting of
:mod:`pipeline.ingest._common` that the earlier tests let live; expected values are worked out
independently (zipfile and xml.etree reading the same bytes, datetime arithmetic by hand, the
file's own line numbers).
"""

from __future__ import annotations

import gzip
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from _corpus import GPX_NS, gpx_points_by_etree

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import SeizureSource, read_seizures, read_tracks
from pipeline.ingest._archive import check_zip_expansion, read_compressed

CSV = "date,lat,lon\n2019-01-01,1.5,2.5\n"


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _points(res) -> list[list[float]]:
    return res.frame[["lat", "lon"]].to_numpy().tolist()


# --- zip archives -------------------------------------------------------------------------


def test_macos_and_hidden_members_are_not_data(tmp_path):
    """Finder's and macOS's own members (``__MACOSX/``, ``._name`` AppleDouble forks, hidden
    dot files, a folder entry) are not a second data file: the one table is read."""
    path = _zip(
        tmp_path / "export.zip",
        {
            "export/seizures.csv": CSV,
            "__MACOSX/export/seizures.csv": "date,lat,lon\n2020-01-01,9,9\n",
            "._seizures.csv": b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X",
            ".seizures.csv": "date,lat,lon\n2021-01-01,8,8\n",
            "old.csv/": "",
        },
    )
    with zipfile.ZipFile(path) as zf:  # the folder entry is a folder to zipfile too
        assert zf.getinfo("old.csv/").is_dir()
    res = read_seizures(path)
    assert res.assumptions["archive_member"]["member"] == "export/seizures.csv"
    assert _points(res) == [[1.5, 2.5]]


def test_a_member_named_by_its_file_name_twice_is_refused_not_picked(tmp_path):
    """``member: data.csv`` over ``2019/data.csv`` and ``2020/data.csv`` read the first,
    silently: a year's records read for another's.  Its path picks one; the name alone
    is refused naming both."""
    path = _zip(
        tmp_path / "years.zip",
        {
            "2019/data.csv": "date,lat,lon\n2019-01-01,1,2\n",
            "2020/data.csv": "date,lat,lon\n2020-01-01,3,4\n",
        },
    )
    with pytest.raises(SourceUnreadable, match=r"'2019/data.csv', '2020/data.csv'") as err:
        read_seizures(SeizureSource(path=path, member="data.csv"))
    assert len(str(err.value).splitlines()) == 1
    res = read_seizures(SeizureSource(path=path, member="2020/data.csv"))
    assert _points(res) == [[3.0, 4.0]]


def _shapefile(folder: Path) -> dict[str, bytes]:
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(
        {"date": ["2019-01-01"]}, geometry=[shapely.Point(2.5, 1.5)], crs="EPSG:4326"
    )
    frame.to_file(folder / "points.shp")
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("lacking", [".dbf", ".shx"])
def test_a_shapefile_lacking_a_needed_sidecar_is_refused(tmp_path, lacking):
    """A ``.shp`` needs its ``.shx`` and ``.dbf`` of the same name; another layer's ``.dbf``
    in the archive is not its own."""
    (tmp_path / "shp").mkdir()
    parts = _shapefile(tmp_path / "shp")
    assert {".shp", ".shx", ".dbf"} <= {Path(n).suffix for n in parts}
    members = {n: b for n, b in parts.items() if not n.endswith(lacking)}
    members["roads" + lacking] = parts["points" + lacking]  # another layer's
    path = _zip(tmp_path / "points.zip", members)
    with pytest.raises(SourceUnreadable, match=rf"'points.shp' lacks \['\{lacking}'\]"):
        read_seizures(path)


def test_a_shapefiles_sidecars_count_in_the_size_bound(tmp_path):
    """The bound is on what is read: a small ``.shp`` beside a ``.dbf`` that expands past it."""
    (tmp_path / "shp").mkdir()
    parts = _shapefile(tmp_path / "shp")
    parts["points.dbf"] += b" " * (2 << 20)  # 2 MiB more, a few KiB zipped
    path = _zip(tmp_path / "points.zip", parts)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("points.shp").file_size < 1 << 20
        assert zf.getinfo("points.dbf").file_size > 2 << 20
    with pytest.raises(SourceUnreadable, match=r"expands to 2 MiB, above ingest"):
        read_seizures(path, max_uncompressed_mb=1)


def test_an_encrypted_member_is_refused_in_one_line(tmp_path):
    """A password-protected member (its 'encrypted' flag set, as ``zip -e`` writes it) is
    said as such; zipfile would raise RuntimeError (a traceback) asking for the password."""
    path = _zip(tmp_path / "locked.zip", {"seizures.csv": CSV})
    data = bytearray(path.read_bytes())
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local, central headers
        start = data.index(signature)
        data[start + at] |= 0x1
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("seizures.csv").flag_bits & 0x1
    with pytest.raises(SourceUnreadable, match=r"'seizures.csv' is encrypted"):
        read_seizures(path)


def test_a_zip_inside_a_zip_is_named_as_such(tmp_path):
    inner = _zip(tmp_path / "inner.zip", {"seizures.csv": CSV}).read_bytes()
    path = _zip(tmp_path / "outer.zip", {"inner.zip": inner})
    with pytest.raises(SourceUnreadable, match=r"a zip inside a zip; unzip the outer one"):
        read_seizures(path)


MIB = 1 << 20


def _csv_of_size(size: int) -> bytes:
    head = CSV.encode()
    return head + b"\n" * (size - len(head))  # blank lines: no records, exact size


def test_a_zip_member_at_the_bound_is_read_and_one_byte_over_is_refused(tmp_path):
    at = _zip(tmp_path / "at.zip", {"seizures.csv": _csv_of_size(MIB)})
    over = _zip(tmp_path / "over.zip", {"seizures.csv": _csv_of_size(MIB + 1)})
    assert zipfile.ZipFile(at).getinfo("seizures.csv").file_size == MIB
    assert _points(read_seizures(at, max_uncompressed_mb=1)) == [[1.5, 2.5]]
    with pytest.raises(SourceUnreadable, match=r"above ingest\.max_uncompressed_mb=1;"):
        read_seizures(over, max_uncompressed_mb=1)


def test_a_compressed_stream_at_the_bound_is_read_and_one_byte_over_is_refused(tmp_path):
    at, over = tmp_path / "at.csv.gz", tmp_path / "over.csv.gz"
    at.write_bytes(gzip.compress(_csv_of_size(MIB)))
    over.write_bytes(gzip.compress(_csv_of_size(MIB + 1)))
    assert len(read_compressed(at, "gzip", 1.0)) == MIB
    with pytest.raises(SourceUnreadable, match=r"expands to more than 1 MiB"):
        read_compressed(over, "gzip", 1.0)


def test_a_workbooks_expansion_at_the_bound_passes_and_one_byte_over_is_refused(tmp_path):
    half = MIB // 2
    at = _zip(tmp_path / "at.xlsx", {"a.xml": b"a" * half, "b.xml": b"b" * half})
    over = _zip(tmp_path / "over.xlsx", {"a.xml": b"a" * half, "b.xml": b"b" * (half + 1)})
    check_zip_expansion(at, "at.xlsx: the workbook", 1.0)
    with pytest.raises(SourceUnreadable, match=r"over.xlsx: the workbook expands to 1 MiB"):
        check_zip_expansion(over, "over.xlsx: the workbook", 1.0)


def test_a_compressed_files_stem_loses_both_suffixes():
    """The rejects file of ``ais.csv.gz`` is ``...-ais.csv``, not ``...-ais.csv.csv``."""
    from pipeline.ingest import source_stem

    assert source_stem("feed/ais.csv.gz") == "ais"
    assert source_stem("LOG.PLT.BZ2") == "LOG"
    assert source_stem("2024.01.02.csv") == "2024.01.02"


# --- GPX ------------------------------------------------------------------------------------


def _gpx_doc(version: str, prefix: str) -> str:
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{p}gpx version="{version}" creator="t" {xmlns}="{GPX_NS[version]}">\n'
        f'<{p}wpt lat="9" lon="9"><{p}time>2020-01-01T00:00:00Z</{p}time></{p}wpt>\n'
        f"<{p}trk><{p}name>MV Alpha</{p}name><{p}trkseg>\n"
        f'<{p}trkpt lat="1.5"\n'
        f'    lon="2.5"><{p}ele>12.5</{p}ele>\n'
        f"  <{p}time>\n   2020-01-01T10:00:00+02:00\n  </{p}time>\n"
        f"  <{p}extensions><{p}time>1999-01-01T00:00:00Z</{p}time></{p}extensions>\n"
        f"</{p}trkpt>\n"
        f'<{p}trkpt lon="2.6"><{p}time>2020-01-01T08:10:00Z</{p}time></{p}trkpt>\n'
        f'<{p}trkpt lat="1.7" lon="2.7"/>\n'
        f"</{p}trkseg></{p}trk>\n"
        f"<{p}rte><{p}name>Route R</{p}name>\n"
        f'<{p}rtept lat="3.5" lon="4.5"><{p}name>turn 1</{p}name>'
        f"<{p}time>2020-01-02T00:00:00Z</{p}time></{p}rtept>\n"
        f"</{p}rte>\n"
        f'<{p}wpt lat="8" lon="8"/>\n'
        f"</{p}gpx>\n"
    )


@pytest.mark.parametrize(
    ("version", "prefix"),
    [("1.1", ""), ("1.0", ""), ("1.1", "gpx")],
    ids=["1.1", "1.0", "prefixed"],
)
def test_gpx_points_are_read_as_xml_etree_reads_them_at_their_own_lines(version, prefix):
    """Every ``<trkpt>``/``<rtept>``, its ``lat``/``lon``/``<time>`` (not an extension's
    time, not ``<ele>``) and the line its start tag opens on, against ElementTree reading
    the same bytes and the document's own lines; ``<wpt>`` counted apart; a route named by
    its own ``<name>``, not its points'."""
    import xml.etree.ElementTree as ET

    from pipeline.ingest._gpx import read_gpx_points

    text = _gpx_doc(version, prefix)
    ns = {"g": GPX_NS[version]}
    root = ET.fromstring(text.encode())
    want = gpx_points_by_etree(text, version)
    opened = [
        i + 1
        for i, ln in enumerate(text.splitlines())
        if f"<{prefix + ':' if prefix else ''}trkpt" in ln or "rtept " in ln
    ]
    got = read_gpx_points(text.encode(), "t.gpx")
    frame = got.frame
    assert (
        list(frame[["kind", "owner", "lat", "lon", "time"]].itertuples(index=False, name=None))
        == want
    )
    assert frame["line"].tolist() == opened == [5, 12, 13, 16]
    assert got.n_waypoints == len(root.findall("g:wpt", ns)) == 2
    names = {
        ("track", 0): root.find("g:trk/g:name", ns).text,
        ("route", 0): root.find("g:rte/g:name", ns).text,
    }
    assert got.names == names == {("track", 0): "MV Alpha", ("route", 0): "Route R"}


def test_a_document_that_is_not_gpx_is_refused():
    from pipeline.ingest._gpx import read_gpx_points

    kml = b'<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>\n'
    with pytest.raises(SourceUnreadable, match=r"not a GPX file \(root element 'kml'"):
        read_gpx_points(kml, "t.gpx")


def test_an_absent_point_time_is_none_not_empty_text():
    """``time`` is None where a point has no ``<time>`` (as ElementTree finds none), and the
    text as written otherwise."""
    from pipeline.ingest._gpx import read_gpx_points

    doc = _gpx_doc("1.1", "").encode()
    got = read_gpx_points(doc, "t.gpx").frame
    assert got["time"].iloc[2] is None
    assert got["time"].iloc[1] == "2020-01-01T08:10:00Z"


# --- OziExplorer / Geolife .plt ---------------------------------------------------------------

_GEOLIFE_HEAD = (
    "Geolife trajectory\r\nWGS 84\r\nAltitude is in Feet\r\nReserved 3\r\n"
    "0,2,255,My Track,0,0,2,8421376\r\n{count}\r\n"
)
#: Three Geolife points (lines 7-9); their day counts are 2008-10-23 02:53:04, :10 and :15.
_GEOLIFE_POINTS = (
    "39.984702,116.318417,0,492,39744.1201851852,2008-10-23,02:53:04\r\n"
    "39.984683,116.31845,0,492,39744.1202546296,2008-10-23,02:53:10\r\n"
    "39.984686,116.318417,0,-777,39744.1203125,2008-10-23,02:53:15\r\n"
)


def _geolife_file(tmp_path: Path, points: str, count: str = "0") -> Path:
    folder = tmp_path / "Data" / "007" / "Trajectory"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "20081023025304.plt"
    path.write_bytes((_GEOLIFE_HEAD.format(count=count) + points).encode())
    return path


def _by_hand(days: float) -> datetime:
    """A Delphi day count as a moment: days since 1899-12-30, the fraction in seconds."""
    whole = int(days)
    return datetime(1899, 12, 30) + timedelta(days=whole, seconds=round((days - whole) * 86400))


def test_a_first_point_line_cut_short_loses_itself_not_the_file(tmp_path):
    """The first point line decided five or seven fields for the file: a first line without
    its clock text (6 fields) made every good line after it 'ragged' - the whole
    trajectory lost for one damaged line."""
    lines = _GEOLIFE_POINTS.split("\r\n")
    lines[0] = lines[0].rsplit(",", 1)[0]  # '...,2008-10-23': its clock lost
    res = read_tracks(_geolife_file(tmp_path, "\r\n".join(lines)))
    assert res.n_read == 3
    assert res.rejects[["row", "rule"]].to_numpy().tolist() == [[7, "ragged_row"]]
    want = [_by_hand(39744.1202546296), _by_hand(39744.1203125)]
    assert [t.to_pydatetime().replace(tzinfo=None) for t in res.frame["time"]] == want
    assert [w.strftime("%H:%M:%S") for w in want] == ["02:53:10", "02:53:15"]


def test_date_texts_a_few_seconds_off_their_day_counts_are_noted(tmp_path):
    """The day count is read; texts 5 s from it (more than a second) are said, not dropped."""
    points = _GEOLIFE_POINTS.replace("02:53:10", "02:53:15")
    res = read_tracks(_geolife_file(tmp_path, points))
    assert _by_hand(39744.1202546296).strftime("%H:%M:%S") == "02:53:10"
    assert res.frame["time"].dt.strftime("%H:%M:%S").tolist()[1] == "02:53:10"
    (note,) = [n for n in res.notes if "differ from their day counts" in n]
    assert "1 point(s)" in note and "up to 5 s" in note and "line 8" in note


def test_a_plt_one_point_short_of_its_count_says_so(tmp_path):
    res = read_tracks(_geolife_file(tmp_path, _GEOLIFE_POINTS, count="4"))
    assert len(res.frame) == 3
    assert any("line 6 says 4 points, the file holds 3" in n for n in res.notes)
    res = read_tracks(_geolife_file(tmp_path / "b", _GEOLIFE_POINTS, count="3"))
    assert not any("cut short" in n for n in res.notes)


_OZI_POINTS = (
    " -33.859430, 151.211160,1, -777.0, 40179.5000000\n"
    " -33.859530, 151.211260,0, -777.0, 40179.5006944\n"
    " -33.859630, 151.211360,0, -777.0, 40179.5013889\n"
)


def test_a_plt_whose_writer_left_out_all_but_two_header_lines_keeps_every_point(tmp_path):
    """Points from line 3 on: none read as a header line (the altitude, reserved, track
    and count lines all left out)."""
    path = tmp_path / "short.plt"
    path.write_text("OziExplorer Track Point File Version 2.1\nWGS 84\n" + _OZI_POINTS)
    res = read_tracks(path)
    assert res.n_read == 3 and len(res.frame) == 3 and res.rejects.empty
    want = [_by_hand(d) for d in (40179.5, 40179.5006944, 40179.5013889)]
    assert [w.strftime("%H:%M:%S") for w in want] == ["12:00:00", "12:01:00", "12:02:00"]
    assert [t.to_pydatetime().replace(tzinfo=None) for t in res.frame["time"]] == want
    assert any("line 3 is a point: 2 header lines" in n for n in res.notes)


def test_a_ragged_first_point_in_place_of_the_count_line_is_rejected_not_skipped(tmp_path):
    """No count line (line 6): a ragged first point there is a rejected point at line 6,
    not taken for the count and lost unsaid."""
    path = tmp_path / "log.plt"
    path.write_text(
        "OziExplorer Track Point File Version 2.1\nWGS 84\nAltitude is in Feet\nReserved 3\n"
        "0,2,255,MV Alpha,0,0,2,8421376\n"
        " -33.859420, 151.211150,0, -777.0\n" + _OZI_POINTS  # line 6: a point without its day count
    )
    res = read_tracks(path)
    assert res.n_read == 4 and len(res.frame) == 3
    assert res.rejects[["row", "rule"]].to_numpy().tolist() == [[6, "ragged_row"]]


# --- coordinate columns -------------------------------------------------------------------------


def test_eastings_and_northings_in_kilometres_are_refused_by_their_header(tmp_path):
    """Values under 1,000 (kilometres) are not 'big' metres; beyond 90/180 they are no plain
    degree values either: the header naming eastings/northings refuses them (without it,
    every record was rejected as out of range, the file never named as projected)."""
    path = tmp_path / "km.csv"
    path.write_text(
        "date,Easting,Northing,type\n"
        "2024-01-15,388.736,110.547,Robbery\n"
        "2024-02-15,402.030,112.030,Robbery\n"
    )
    with pytest.raises(InputError, match=r"the header says easting/northing and '388.736'"):
        read_seizures(path)


@pytest.mark.parametrize(
    ("rows", "nmea"),
    [
        ([(5234.5, 8123.25), (5301.0, 8190.75), (5388.5, 8204.0)], False),
        ([(5234.5, 1023.25), (5301.0, 1050.75), (5312.5, 1044.0)], True),
    ],
    ids=["minutes-over-59", "ddmm.mm-like"],
)
def test_metres_of_a_local_grid_under_100_km_are_refused_as_projected(tmp_path, rows, nmea):
    """Thousands of metres (a site grid, a State Plane near its origin) are no degrees: the
    file is refused naming projected coordinates, not every record rejected as out of
    range.  NMEA's ddmm.mmmm is named as the other reading only where every value could be
    one (last two whole digits under 60; 8190.75 and 5388.5 cannot)."""
    path = tmp_path / "site.csv"
    path.write_text(
        "date,x,y\n" + "".join(f"2024-01-{i + 10},{x},{y}\n" for i, (x, y) in enumerate(rows))
    )
    with pytest.raises(
        InputError, match=r"hold projected coordinates .*'5234.5' is no degree"
    ) as e:
        read_seizures(path)
    assert ("as NMEA writes them" in str(e.value)) is nmea
    assert all(int(v) % 100 < 60 for row in rows for v in row) is nmea


def test_whole_numbers_beyond_90_degrees_x_10_7_are_named_fit_semicircles(tmp_path):
    """1,000,000,000 is 83.8 degrees in semicircles (x 2^31/180) but 100 degrees x 10^7:
    only semicircles; the refusal names them, not the list of scalings."""
    path = tmp_path / "fit.csv"
    rows = [(1_000_000_000, 1_241_513_984), (1_000_100_000, 1_241_613_984)]
    path.write_text(
        "date,lat,lon\n" + "".join(f"2024-01-{i + 10},{a},{b}\n" for i, (a, b) in enumerate(rows))
    )
    assert 1_000_000_000 * 180 / 2**31 == pytest.approx(83.82, abs=0.01)
    with pytest.raises(InputError, match=r"hold FIT semicircles \(degrees x 2\^31/180\)"):
        read_seizures(path)


def test_wkt_points_of_every_dimension_read_x_as_the_longitude(tmp_path):
    """``POINT ZM``/``POINT M``/lower case ``point`` give x as the longitude and y as the
    latitude, as shapely reads the same text; ``POINT EMPTY`` is rejected with its value;
    a pair whose first part ends in W is longitude first, one ending in S latitude first."""
    import shapely

    values = ["POINT ZM (-61 11 5 7)", "POINT M (-63 13 7)", "POINT EMPTY", "point(-64.5 14.25)"]
    pairs = ["060°30'W, 10°15'N", "10°15'S 060°30'E"]
    path = tmp_path / "wkt.csv"
    path.write_text(
        "date,geom\n" + "".join(f'2023-01-0{i + 1},"{v}"\n' for i, v in enumerate(values + pairs))
    )
    res = read_seizures(path)
    geoms = shapely.from_wkt([v for v in values if "EMPTY" not in v])
    want = [[y, x] for x, y in zip(shapely.get_x(geoms), shapely.get_y(geoms), strict=True)]
    want += [[10.25, -60.5], [-10.25, 60.5]]
    assert _points(res) == want
    assert res.rejects[["row", "value", "rule"]].to_numpy().tolist() == [
        [4, "POINT EMPTY", "coord_unparseable"]
    ]


def test_gpx_points_outside_any_track_or_route_are_said_not_dropped(tmp_path):
    """A ``<trkpt>`` in a ``<trkseg>`` no ``<trk>`` holds, or after ``</trk>``, and an
    ``<rtept>`` outside ``<rte>`` (not GPX, but written) vanished without a word: every
    point element ElementTree finds is now read or said."""
    import xml.etree.ElementTree as ET

    doc = (
        '<?xml version="1.0"?>\n'
        '<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1" creator="t">\n'
        '<trkseg><trkpt lat="1" lon="2"><time>2020-01-01T00:00:00Z</time></trkpt></trkseg>\n'
        "<trk><name>MV Alpha</name><trkseg>\n"
        '<trkpt lat="3" lon="4"><time>2020-01-01T00:00:00Z</time></trkpt>\n'
        "</trkseg></trk>\n"
        '<trkpt lat="5" lon="6"><time>2020-01-01T01:00:00Z</time></trkpt>\n'
        '<rtept lat="7" lon="8"/>\n'
        "</gpx>\n"
    )
    root = ET.fromstring(doc.encode())
    elements = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] in ("trkpt", "rtept")]
    path = tmp_path / "stray.gpx"
    path.write_text(doc)
    res = read_tracks(path)
    assert res.n_read == 1 and _points(res) == [[3.0, 4.0]]
    (note,) = [n for n in res.notes if "outside any <trk>/<rte>" in n]
    assert f"{len(elements) - res.n_read} <trkpt>/<rtept> point(s)" in note
    assert len(elements) - res.n_read == 3


@pytest.mark.parametrize("kind", ["seizures", "ports"])
def test_a_pair_of_projected_coordinates_in_no_stated_order_is_refused(tmp_path, kind):
    """Under a projected crs, '388736, 110547' (easting first, as GIS tools write x, y)
    was read 'lat, lon' - northing 388736, easting 110547 - a point 330 km away, unsaid.
    A header saying the order, WKT or E/N letters read it as pyproj places it."""
    from pyproj import Transformer

    from pipeline.ingest import ContextSource, read_context

    lon, lat = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(
        388736, 110547
    )
    first = "name" if kind == "ports" else "date"

    def read(header: str, value: str):
        path = tmp_path / f"{kind}.csv"
        path.write_text(
            f'{first},{header}\nP1,"{value}"\n'.replace("P1", "2024-01-15", kind != "ports")
        )
        if kind == "ports":
            return read_context(ContextSource(path=path, kind="ports", crs="EPSG:32648"))
        return read_seizures(SeizureSource(path=path, crs="EPSG:32648"))

    with pytest.raises(InputError, match=r"'position' holds pairs of projected coordinates"):
        read("position", "388736, 110547")
    for header, value in [
        ("position (x/y)", "388736, 110547"),
        ("position (y/x)", "110547, 388736"),
        ("position", "POINT (388736 110547)"),
        ("position", "388736E 110547N"),
    ]:
        frame = read(header, value).frame
        if kind == "ports":  # a GeoDataFrame of points
            got = [frame.geometry.y.iloc[0], frame.geometry.x.iloc[0]]
        else:
            got = frame[["lat", "lon"]].to_numpy()[0].tolist()
        assert len(frame) == 1 and got == pytest.approx([lat, lon]), value
