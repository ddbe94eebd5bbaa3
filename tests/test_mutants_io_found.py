"""Second mutation pass over pipeline.io (writing published tables).

Each test kills a hand mutant of ``pipeline/io.py`` that ``tests/test_io.py`` let live; the
expected values come from independent references (Python's ``csv`` module reading the bytes
back, ``json.loads``, ``os.lstat``, a formula rule written out here), never from io itself.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import stat

import numpy as np
import pandas as pd
import pytest

from pipeline.io import (
    atomic_path,
    atomic_write_bytes,
    round_array,
    write_csv,
    write_geojson,
    write_geopackage,
    write_parquet,
)

SIGNS = "=+-@\uff1d\uff0b\uff0d\uff20"
BLANKS = " \u00a0\u3000\u200b\u200d\u200f\u202e\u2060\ufeff"


def _expected(text: str) -> str:
    """The product rule, written out: a quote before a formula start (OWASP and its blanks)."""
    rest = text.lstrip(BLANKS)
    if text[:1] in SIGNS + "\t\r" or (rest != text and rest[:1] in SIGNS):
        return "'" + text
    return text


#: Each formula start alone (no sign after a tab or CR, which are also blanks), each full-width
#: sign, and blanks of every kind before a sign: one, two, a BOM, a joiner, a direction mark.
STARTS = [
    "\tx",
    "\rx",
    "\uff1d1+2",
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
    "  =1+2",
    "\ufeff=1",
    "\u200d=1",
    "\u200f+1",
    "\u202e-1",
    "\u2060@x",
    "\u3000=1",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-3.5",  # a text, not a number: quoted
    "x\t=1",  # a tab inside a cell is no formula start
    " 1+2",
]


def _column(path, i=0):
    with open(path, newline="", encoding="utf-8") as f:
        return [r[i] for r in csv.reader(f)][1:]


@pytest.mark.parametrize("dtype", ["object", "string[pyarrow]"], ids=["object", "arrow"])
@pytest.mark.parametrize("many", [False, True], ids=["few", "many"])
def test_each_formula_start_is_quoted_in_the_csv(tmp_path, dtype, many):
    """Mutants: tab or CR dropped from the first characters (" \\t=" still hit, as a blank);
    a full-width sign, a zero-width or bidi blank, or two blanks not seen; the blanks left out
    of the first-character filter that Arrow columns and 256+ distinct texts go through."""
    texts = STARTS * 20 if not many else [t + str(i) for i in range(20) for t in STARTS]
    frame = pd.DataFrame({"t": pd.Series(texts, dtype=dtype), "n": -np.arange(len(texts))})
    path = write_csv(frame, tmp_path / "t.csv")
    assert _column(path) == [_expected(t) for t in texts]
    assert _column(path, 1)[:3] == ["0", "-1", "-2"]  # numbers are never quoted


def test_a_symlink_at_the_destination_is_replaced_not_written_through(tmp_path):
    """Mutant: the temporary file copied onto the destination (following a planted link)
    instead of renamed over it: the link's target, a file outside the output, was rewritten."""
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    out = tmp_path / "out"
    out.mkdir()
    frame = pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y"]})
    writes = {
        "t.csv": lambda p: write_csv(frame, p),
        "t.parquet": lambda p: write_parquet(frame, p),
        "t.bin": lambda p: atomic_write_bytes(p, b"new"),
    }
    for name, write in writes.items():
        (out / name).symlink_to(victim)
        write(out / name)
        assert victim.read_bytes() == b"keep me", name
        assert stat.S_ISREG(os.lstat(out / name).st_mode), name
    assert (out / "t.bin").read_bytes() == b"new"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    """Mutant: the temporary file not removed when the block raises."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk gone")
    assert os.listdir(tmp_path) == ["t.csv"] and path.read_bytes() == b"old"


def test_published_files_are_readable_by_everyone(tmp_path):
    """Mutant: no chmod: mkstemp's 0600 left on the published table (a web server or another
    user could not read the map's data)."""
    path = write_csv(pd.DataFrame({"a": [1.0], "b": [2]}), tmp_path / "t.csv")
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o644


def test_round_array_rounds_the_tiniest_values_and_keeps_the_huge_ones():
    """Mutants: 22 decimals (values near 1e-16) left unrounded; values from 1e15 rounded to
    6 decimals, where ``x * 1e6 / 1e6`` moves a value that has no such decimal by an ulp."""
    tiny = np.array([1.23456789012345e-16, -9.87654321098765e-16])
    want = np.array([float(f"{v:.6e}") for v in tiny])  # 7 significant digits
    np.testing.assert_array_equal(round_array(tiny), want)
    rng = np.random.default_rng(7)
    huge = rng.uniform(1e15, 1e16, 2000)
    huge = np.r_[huge, -huge]
    np.testing.assert_array_equal(round_array(huge), huge)


def test_a_nullable_int_column_with_a_missing_value_is_written_as_integers(tmp_path):
    """Mutant: a nullable Int64 column with <NA> formatted as floats ("1.0"); missing is "",
    never 0."""
    frame = pd.DataFrame({"n": pd.array([1, None, -3], dtype="Int64"), "x": [0.5, 0.0, -0.0]})
    path = write_csv(frame, tmp_path / "t.csv")
    assert path.read_text("utf-8") == "n,x\n1,0.5\n,0.0\n-3,-0.0\n"


QUOTED = ['a"b', '"', "a,b", "line\nbreak", "crlf\r\nend", 'all ",\n', "plain", ""]


@pytest.mark.parametrize("dtype", ["object", "string[pyarrow]"], ids=["object", "arrow"])
@pytest.mark.parametrize("many", [False, True], ids=["few", "many"])
def test_quotes_commas_and_line_ends_read_back_as_written(tmp_path, dtype, many):
    """Mutants: a double quote not a reason to quote, or not doubled, in the Arrow quoting;
    a comma not a reason to quote in the Python one.  Read back by Python's csv module and by
    pandas, the texts are the frame's."""
    texts = QUOTED * 40 if not many else [t + str(i) for i in range(40) for t in QUOTED]
    frame = pd.DataFrame({"t": pd.Series(texts, dtype=dtype), "x": np.arange(len(texts)) / 8})
    path = write_csv(frame, tmp_path / "q.csv")
    assert _column(path) == texts
    back = pd.read_csv(path, dtype={"t": str}, keep_default_na=False)
    assert back["t"].tolist() == texts and back["x"].tolist() == frame["x"].tolist()


def _polygons(shift: float):
    import geopandas as gpd
    import shapely

    square = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    return gpd.GeoDataFrame(
        {"x": [np.inf, -np.inf, 0.25], "cell": [1, 2, 3]},
        geometry=[shapely.affinity.translate(square, -shift, 10.0) for _ in range(3)],
        crs="EPSG:4326",
    )


def test_geojson_writes_infinities_as_null_and_coordinates_to_six_decimals(tmp_path):
    """Mutants: an infinite property written as ``inf`` (not JSON: json.loads refuses it);
    coordinates to 7 decimals; a coordinate rounding to zero from below written ``-0.0``."""

    def no_constants(text):
        raise ValueError(text)

    gdf = _polygons(1.23456789e-7)  # x = -1.23456789e-07 and 0.99999987654321
    text = write_geojson(gdf, tmp_path / "p.geojson").read_text("utf-8")
    data = json.loads(text, parse_constant=no_constants)
    assert [f["properties"]["x"] for f in data["features"]] == [None, None, 0.25]
    ring = data["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == [0.0, 10.0] and ring[1] == [1.0, 10.0]
    assert "-0.0" not in text and "e-07" not in text


def _zoned():
    """Two features: a time in New York's summer (UTC-4) and texts JSON must escape."""
    import geopandas as gpd
    import shapely

    square = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    times = pd.to_datetime(["2026-06-01 20:00", None]).tz_localize("America/New_York")
    texts = pd.array(['say "hi"', "back\\slash\nline"], dtype="string[pyarrow]")
    return gpd.GeoDataFrame(
        {"t": times, "s": texts, "n": [1.0, 2.0]}, geometry=[square, square], crs="EPSG:4326"
    )


def test_zoned_times_are_written_in_utc_in_csv_and_geopackage(tmp_path):
    """Mutants: the CSV's times formatted in their own zone with a ``Z`` (four hours off);
    the GeoPackage's not converted to UTC.  Read back by csv.reader and sqlite3."""
    import sqlite3

    frame = _zoned()
    path = write_csv(pd.DataFrame(frame.drop(columns="geometry")), tmp_path / "t.csv")
    assert _column(path) == ["2026-06-02T00:00:00Z", ""]
    gpkg = write_geopackage(frame, tmp_path / "t.gpkg")
    with contextlib.closing(sqlite3.connect(gpkg)) as db:
        stored = [t for (t,) in db.execute("SELECT t FROM t ORDER BY fid")]
    assert stored[0].endswith("Z")  # GeoPackage 1.3: DATETIME is UTC text ending in Z
    assert [pd.Timestamp(t) if t else None for t in stored] == [
        pd.Timestamp("2026-06-02T00:00:00Z"),
        None,
    ]


def test_geojson_escapes_quotes_backslashes_and_line_ends_of_arrow_text(tmp_path):
    """Mutant: an Arrow text column written between quotes as it is, without looking for
    characters JSON must escape: the file was no JSON at all."""
    data = json.loads(write_geojson(_zoned(), tmp_path / "t.geojson").read_text("utf-8"))
    assert [f["properties"]["s"] for f in data["features"]] == ['say "hi"', "back\\slash\nline"]
    assert [f["properties"]["t"] for f in data["features"]] == ["2026-06-02T00:00:00Z", None]


@pytest.mark.parametrize("dtype", ["category", "object"], ids=["category", "object"])
def test_a_carriage_return_in_a_categorical_cell_does_not_split_the_row(tmp_path, dtype):
    """Bug: the line-end choice looked for a CR in object and string columns only, not in a
    categorical one: LF line ends, the cell left unquoted, and csv.reader split the row in
    two (``['a']``, ``['b', '1']``)."""
    frame = pd.DataFrame({"c": pd.Series(["a\rb", "x", "a\rb"], dtype=dtype), "n": [1, 2, 3]})
    with open(write_csv(frame, tmp_path / "t.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [["c", "n"], ["a\rb", "1"], ["x", "2"], ["a\rb", "3"]]
