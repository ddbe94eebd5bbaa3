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
from pathlib import Path

import pytest

from pipeline.errors import SourceUnreadable
from pipeline.ingest import SeizureSource, read_seizures
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
