"""The only module that writes tables and published files to disk.

Every write goes to a temporary file in the destination folder and is moved into place with
:func:`os.replace`, which is atomic on POSIX and Windows: a reader (or a browser opening the
map) sees either the old file or the new one, never half of one.  Tables are sorted and floats
rounded before writing so identical inputs give byte-identical files.

CSV files are spreadsheet-safe: a text cell that a spreadsheet would run as a formula is
written with a leading ``'`` (see :func:`write_csv`); Parquet keeps every value as it is.

Floats are rounded to :data:`SIGNIFICANT_DIGITS` significant digits, and never to fewer than
:data:`FLOAT_DECIMALS` decimals (:func:`round_array`): a density per km² of ``8.123456e-06``
keeps its digits (a fixed number of decimals would leave one), and a longitude keeps its
1e-6 degrees (a fixed number of significant digits would leave 1e-4).  Values of 1 or more
are rounded exactly as before (to 6 decimals), so only the small ones gain digits.

Geographic tables are written as GeoParquet 1.1 (``.parquet``, with a ``bbox`` covering
column, as the specification recommends and DuckDB and GDAL read), GeoPackage and
FlatGeobuf (through pyogrio), and GeoJSON.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import io as _io
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "CSV_FLOAT_FORMAT",
    "FLOAT_DECIMALS",
    "FORMULA_PREFIXES",
    "FULLWIDTH_FORMULA_PREFIXES",
    "SIGNIFICANT_DIGITS",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "floats_to_reprs",
    "formatted_once",
    "gdal_messages_as_warnings",
    "iso_utc_texts",
    "neutralise_formulas",
    "round_array",
    "round_floats",
    "sha256_file",
    "write_csv",
    "write_flatgeobuf",
    "write_geojson",
    "write_geopackage",
    "write_geoparquet",
    "write_parquet",
]

#: Floats keep at least this many decimals (a longitude: 0.1 m)...
FLOAT_DECIMALS = 6
#: ...and at least this many significant digits (a density of 8e-6 per km²: 7 digits).
SIGNIFICANT_DIGITS = 7
#: The CSV writer's float format: None writes the shortest text that reads back the rounded
#: value (``8.123457e-06``, ``45.123457``), so the file holds exactly what the Parquet holds.
CSV_FLOAT_FORMAT = None
#: GeoPackage's gpkg_contents.last_change, fixed so that identical inputs give identical files.
GPKG_LAST_CHANGE = "2000-01-01T00:00:00.000Z"
#: ``OGR_CURRENT_DATE`` is a setting of the whole process: held by one GeoPackage write at a
#: time, or a second thread's write could run after the first restored it (a real date).
_GPKG_DATE = threading.Lock()
#: First characters that make a spreadsheet read a text cell as a formula (OWASP, "CSV
#: Injection"): equals, plus, minus, at, tab and carriage return.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: The full-width forms of equals, plus, minus and at (U+FF1D, U+FF0B, U+FF0D, U+FF20), which
#: spreadsheets in East Asian locales take for the ASCII ones.
FULLWIDTH_FORMULA_PREFIXES = ("\uff1d", "\uff0b", "\uff0d", "\uff20")
# A cell is quoted when it starts with a prefix, or with blanks (any Unicode white space, and
# the invisible format characters: zero-width spaces and joiners, direction marks and
# overrides, word joiners, BOM) before an equals, plus, minus or at: importers that trim the
# blanks (LibreOffice, Google Sheets) then see the formula.
_SIGNS = "=+\\-@\uff1d\uff0b\uff0d\uff20"
_BLANKS = "\\s\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
_FORMULA_START = f"^(?:[{_SIGNS}\t\r]|[{_BLANKS}]+[{_SIGNS}])"
#: The character every text matching :data:`_FORMULA_START` starts with.
_FORMULA_FIRST = f"[{_SIGNS}\t\r{_BLANKS}]"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` if the block succeeds.

    The temporary file is removed if the block raises, so a failed write leaves the previous
    version of ``path`` untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically and return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


_POW10 = 10.0 ** np.arange(23)  # exact in float64


def round_array(
    values, significant: int = SIGNIFICANT_DIGITS, decimals: int = FLOAT_DECIMALS
) -> np.ndarray:
    """Round floats to ``significant`` digits, never to fewer than ``decimals`` decimals.

    Each value is rounded to ``max(decimals, significant - 1 - floor(log10(|x|)))`` decimals,
    the more precise of the two rules; NaN, infinities, zero and values of 1e15 or more
    are kept.  Vectorised, bit for bit what :func:`numpy.round` gives for each value's
    number of decimals.

    Parameters
    ----------
    values : array_like of float
        Any shape.
    significant : int
        Significant digits kept, at least 1.
    decimals : int
        Decimals kept at least.

    Returns
    -------
    numpy.ndarray of float64

    Examples
    --------
    >>> round_array([8.1234567891e-06, 45.123456789, 179.98765432, 0.0]).tolist()
    [8.123457e-06, 45.123457, 179.987654, 0.0]
    """
    a = np.asarray(values, dtype="float64")
    # from 1e15 on a float has no digit at 1e-6 to round away (and ``x * 10**d`` could
    # overflow to infinity): those values are kept as they are, as are NaN, infinities and 0
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.abs(a)
        ok = (mag > 0) & (mag < 1e15)
        exponent = np.floor(np.log10(mag, where=ok, out=np.zeros_like(a))).astype("int64")
    digits = np.maximum(decimals, significant - 1 - exponent)
    # 10**d is exact up to d = 22; a value below 1e-16 keeps its full precision.  numpy's
    # round(x, d) is rint(x * 10**d) / 10**d for d >= 0: the same three operations, here with
    # each value's own power of ten (one pass, not one per number of decimals)
    fast = ok & (digits >= 0) & (digits <= 22)
    scale = _POW10.take(np.where(fast, digits, 0))
    y = a * scale
    np.rint(y, out=y)
    y /= scale
    out = np.where(fast, y, a)
    slow = ok & (digits < 0)  # only when ``decimals`` < 0: to tens, hundreds...
    for d in np.unique(digits[slow]):
        m = slow & (digits == d)
        out[m] = np.round(a[m], int(d))
    return out


def round_floats(frame: pd.DataFrame, significant: int = SIGNIFICANT_DIGITS) -> pd.DataFrame:
    """Return a copy with every float column rounded by :func:`round_array` (fixed precision).

    The other columns are shared with ``frame``, not copied (a score table's copy took
    0.1 s, five times an export): each float column is replaced by a new array, never
    written in place, and so are the columns the writers change afterwards.
    """
    out = frame.copy(deep=False)
    for i, name in enumerate(out.columns):
        column = out.iloc[:, i]
        if name != getattr(out, "_geometry_column_name", None) and pd.api.types.is_float_dtype(
            column.dtype
        ):
            out.isetitem(i, round_array(column.to_numpy(dtype="float64"), significant))
    return out


def _rounded(frame: pd.DataFrame, rounded: bool) -> pd.DataFrame:
    """Return :func:`round_floats` of ``frame``, or, ``rounded`` already, a shallow copy of it.

    A copy all the same: the writers of one table run in threads of their own, each on its own
    frame (pandas may consolidate a frame's blocks while it is read).
    """
    return frame.copy(deep=False) if rounded else round_floats(frame)


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table to Parquet atomically (rounded floats, no index)."""
    with atomic_path(path, ".parquet") as tmp:
        round_floats(frame).to_parquet(tmp, index=False)
    return Path(path)


def write_geoparquet(
    frame: gpd.GeoDataFrame, path: str | os.PathLike, *, rounded: bool = False
) -> Path:
    """Write a GeoDataFrame to GeoParquet 1.1 atomically, with a ``bbox`` covering column.

    The ``bbox`` struct column (xmin, ymin, xmax, ymax per row, named in the ``geo``
    metadata's ``covering``) lets DuckDB, GDAL and Sedona skip row groups outside a query
    window.  Name the file ``.parquet``: the GeoParquet specification advises against
    ``.geoparquet``, which DuckDB does not recognise.  ``rounded``: ``frame`` is
    :func:`round_floats`' table already (shared by the writers of one table), not rounded again.
    """
    with atomic_path(path, ".parquet") as tmp:
        _rounded(frame, rounded).to_parquet(
            tmp, index=False, schema_version="1.1.0", write_covering_bbox=True
        )
    return Path(path)


def _ogr_ready(frame: gpd.GeoDataFrame, rounded: bool = False) -> gpd.GeoDataFrame:
    """Return rounded floats, uint64 as int64 (OGR has none) and aware times in UTC.

    A GeoPackage's DATETIME is UTC text ending in ``Z`` (GeoPackage 1.3, table 1): a column
    in another zone was stored with its offset (``2026-06-01T20:00:00-04:00``), which GDAL
    reads back with a warning of non-conformant content, and other GeoPackage readers may
    not read at all; the CSV and GeoJSON state their times in UTC as well.
    """
    out = _rounded(frame, rounded).to_crs("EPSG:4326")
    for name in out.columns:
        dtype = out[name].dtype
        if pd.api.types.is_unsigned_integer_dtype(dtype) and dtype.itemsize == 8:
            # H3 ids are below 2**63 (their high bit is reserved, always 0): exact as int64
            out[name] = out[name].astype("int64")
        elif isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) != "UTC":
            out[name] = out[name].dt.tz_convert("UTC")
    return out


def write_geopackage(
    frame: gpd.GeoDataFrame,
    path: str | os.PathLike,
    layer: str | None = None,
    *,
    rounded: bool = False,
) -> Path:
    """Write a GeoDataFrame to a GeoPackage (one layer, EPSG:4326) atomically, via pyogrio.

    Polygons and multipolygons are written as one MultiPolygon layer; the ``last_change``
    of ``gpkg_contents`` is fixed (:data:`GPKG_LAST_CHANGE`), so identical inputs give an
    identical file.  ``uint64`` columns (the H3 ``cell``) are stored as int64, exactly.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The table.
    path : str or path-like
        Destination ``.gpkg``.
    layer : str, optional
        Layer name; default the file's stem.
    rounded : bool, default False
        ``frame`` is :func:`round_floats`' table already: its floats are not rounded again.

    Returns
    -------
    pathlib.Path
    """
    import pyogrio

    path = Path(path)
    ready = _ogr_ready(frame, rounded)
    with _GPKG_DATE:
        previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_LAST_CHANGE})
        try:
            with atomic_path(path, ".gpkg") as tmp:
                tmp.unlink()  # GDAL creates the file; an empty one is not a GeoPackage
                _write_ogr(ready, tmp, layer=layer or path.stem, driver="GPKG")
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return path


def write_flatgeobuf(
    frame: gpd.GeoDataFrame, path: str | os.PathLike, *, rounded: bool = False
) -> Path:
    """Write a GeoDataFrame to FlatGeobuf (EPSG:4326, with its spatial index) atomically.

    ``rounded``: ``frame`` is :func:`round_floats`' table already, not rounded again.
    """
    path = Path(path)
    with atomic_path(path, ".fgb") as tmp:
        tmp.unlink()
        _write_ogr(
            _ogr_ready(frame, rounded),
            tmp,
            layer=path.stem,
            driver="FlatGeobuf",
            SPATIAL_INDEX="YES",
        )
    return path


def _write_ogr(frame: gpd.GeoDataFrame, path: Path, **options) -> None:
    """Write through GDAL's Arrow interface (GDAL >= 3.8): the same bytes in half the time.

    GDAL reports a full disk in its driver's words ("no such table: gpkg_contents" from
    SQLite, "Unexpected I/O failure" from FlatGeobuf), as a pyogrio error: when the disk
    is then (nearly) full, that is what it is, an :class:`OSError` ``ENOSPC``.
    """
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        pyogrio.write_dataframe(frame, path, promote_to_multi=True, use_arrow=True, **options)
    except (DataLayerError, DataSourceError) as exc:
        free = _free_bytes(path.parent)
        if free is not None and free < _NEARLY_FULL_BYTES:
            raise OSError(
                errno.ENOSPC,
                f"No space left on device ({free} bytes free) while GDAL wrote it: {exc}",
                str(path),
            ) from exc
        raise


#: Free space under which a GDAL write error is taken for a full disk.
_NEARLY_FULL_BYTES = 1 << 20


def _free_bytes(folder: Path) -> int | None:
    """Return the bytes this user may still write on ``folder``'s file system (None: unknown)."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells and column names cannot run as spreadsheet formulas.

    Every *text* value (in object, string or categorical columns, and the column names) that
    starts with one of :data:`FORMULA_PREFIXES` or :data:`FULLWIDTH_FORMULA_PREFIXES`, or
    with blanks before an equals, plus, minus or at sign (``" =1+2"``, a no-break space, a
    zero-width space: importers that trim them see the formula) gets a leading single quote,
    as OWASP advises: ``=1+2`` becomes ``'=1+2``, ``@SUM(A1)`` becomes ``'@SUM(A1)``,
    ``-2+3`` becomes ``'-2+3``, ``＝1+2`` becomes ``'＝1+2``.  A spreadsheet then shows the
    text instead of evaluating it.  Numbers
    are not text: a negative float or integer column is left alone (``-1.5`` stays a
    number), and so are non-string values inside an object column.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table.

    Returns
    -------
    pandas.DataFrame
        A copy; ``frame`` is not modified.

    Examples
    --------
    >>> df = pd.DataFrame({"note": ["=1+2", "ok", "-2+3"], "x": [-1.5, 2.0, 3.0]})
    >>> safe = neutralise_formulas(df)
    >>> safe["note"].tolist(), safe["x"].tolist()
    (["'=1+2", 'ok', "'-2+3"], [-1.5, 2.0, 3.0])
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        dtype = col.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            dtype = dtype.categories.dtype
        if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
            continue
        arrow = _arrow_column(col)
        if arrow is not None and not _may_start_a_formula(arrow):
            continue  # no text of it starts as a formula can (Arrow's look at first characters)
        values = col.astype(object).to_numpy(copy=True)
        hit = _text_matches(values, _FORMULA_START, first=_FORMULA_FIRST)
        if hit.any():
            values[hit] = "'" + values[hit]
            out.isetitem(i, pd.Series(values, index=out.index, dtype=object))
    hit = _text_matches(np.fromiter(out.columns, dtype=object, count=out.shape[1]), _FORMULA_START)
    out.columns = ["'" + c if h else c for c, h in zip(out.columns, hit, strict=True)]
    return out


def _may_start_a_formula(texts: pa.Array) -> bool:
    """Whether any of the Arrow texts starts with a character a formula may start with.

    The character class :data:`_FORMULA_FIRST` tested by Python on each distinct first
    character: False rules out every match of :data:`_FORMULA_START`.
    """
    heads = pc.unique(pc.utf8_slice_codeunits(texts, 0, 1)).drop_null().to_pylist()
    return any(re.match(_FORMULA_FIRST, h) is not None for h in heads)


def _text_matches(values: np.ndarray, pattern: str, first: str | None = None) -> np.ndarray:
    """Mask of the string values (of an object array) matching ``pattern`` at their start.

    ``first``: a character class (a regular expression of one character) that the first
    character of every match is in.  Where the distinct values are many texts, those
    starting otherwise are ruled out by Arrow at once (a column of 40,000 cell ids took
    30 ms value by value) and ``pattern`` is tried on the others only: the same mask.
    """
    try:
        codes, uniques = pd.factorize(values)  # each distinct value tested once
    except TypeError:  # unhashable values (lists): test them all
        codes, uniques = np.arange(len(values)), values
    texts = _arrow_texts(uniques) if first is not None else None
    if texts is not None:
        assert first is not None
        heads = pc.dictionary_encode(pc.utf8_slice_codeunits(texts, 0, 1))
        could = np.array(
            [re.match(first, h) is not None for h in heads.dictionary.to_pylist()] + [False]
        )
        maybe = np.flatnonzero(could[heads.indices.to_numpy(zero_copy_only=False)])
        hit = np.zeros(len(uniques) + 1, dtype=bool)  # the last: a missing value (code -1)
        if maybe.size:
            tried = pd.Series(uniques[maybe], dtype=object).str.match(pattern, na=False)
            hit[maybe] = tried.to_numpy(dtype=bool)
        return hit[codes]
    try:
        # .str gives NaN for the non-string values of a mixed column: they never match.
        found = pd.Series(uniques, dtype=object).str.match(pattern, na=False)
    except (AttributeError, TypeError):  # no string at all (numbers, bytes): nothing to do
        return np.zeros(len(values), dtype=bool)
    return np.r_[found.to_numpy(dtype=bool), False][codes]


#: Fewest distinct texts worth handing to Arrow (:func:`_arrow_texts`) rather than testing
#: them one by one in Python.
_ARROW_TEXTS_MIN = 256


def _arrow_texts(values: np.ndarray) -> pa.Array | None:
    """Return distinct values (an object array) as Arrow text, when they are many texts.

    None when they are few, when any is not a ``str`` (numbers, bytes, a missing value), or
    when Arrow cannot hold one (a lone surrogate): the caller tests them in Python then.
    """
    if len(values) < _ARROW_TEXTS_MIN or pd.api.types.infer_dtype(values, skipna=False) != "string":
        return None
    try:
        return pa.array(values, pa.large_string())
    except (pa.ArrowException, UnicodeError, TypeError, ValueError):
        return None


def _arrow_column(column: pd.Series) -> pa.Array | None:
    """Return a pandas text column held by Arrow as its Arrow text (missing: null), no copy.

    None for any other column (Python objects, categories, NumPy values): its values are
    tested in Python.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        arrow = pa.array(column.array)
    elif isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype):
        arrow = pa.array(column.array)
    elif isinstance(dtype, pd.ArrowDtype) and pa.types.is_large_string(dtype.pyarrow_dtype):
        arrow = pa.array(column.array)
    else:
        return None
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    return arrow


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    """Whether a text cell holds a carriage return (text, Python object or categorical column)."""
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if isinstance(col.dtype, pd.CategoricalDtype):  # the categories its rows hold
            col = pd.Series(col.cat.remove_unused_categories().cat.categories)
        if pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype):
            arrow = _arrow_column(col)
            if arrow is not None:  # searched by Arrow, no Python text made
                if pc.any(pc.match_substring(arrow, "\r")).as_py():
                    return True
            elif _text_matches(col.astype(object).to_numpy(), "(?s).*\r").any():
                return True
    return False


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, *, rounded: bool = False) -> Path:
    """Write a table to UTF-8 CSV atomically: fixed float precision, spreadsheet-safe text.

    Floats are rounded by :func:`round_array` (at least :data:`SIGNIFICANT_DIGITS`
    significant digits and :data:`FLOAT_DECIMALS` decimals) and written as the shortest
    text that reads back the rounded value.  Text cells (and column names)
    starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return, their full-width forms,
    or blanks before a sign, are prefixed with a single quote (:func:`neutralise_formulas`), so opening the file in a spreadsheet never
    runs a formula that came from the data (a note, an input file name, a rejected value).
    Numbers are never prefixed.  Timezone-aware timestamps are written as ISO 8601 UTC
    (``2024-06-30T00:00:00Z``).  The CSV is for people; the Parquet outputs keep the
    original values.  Lines end with LF, or with CRLF (RFC 4180) when a text cell holds a
    carriage return: Python's CSV writer quotes a field only for the characters of the line
    terminator, and an unquoted CR would split the row in a reader.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (written without its index).
    path : str or path-like
        Destination ``.csv``.
    rounded : bool, default False
        ``frame`` is :func:`round_floats`' table already (the export rounds the scores once
        for all their files): its floats are not rounded again.

    Returns
    -------
    pathlib.Path
    """
    safe = neutralise_formulas(_iso_times(_rounded(frame, rounded)))
    eol = "\r\n" if _has_carriage_return(safe) else "\n"
    with atomic_path(path, ".csv") as tmp:
        if _csv_fast_path(safe):
            with open(tmp, "wb") as f:
                f.write(_csv_line([str(c) for c in safe.columns], eol).encode("utf-8"))
                for start in range(0, len(safe), _CSV_CHUNK_ROWS):
                    _write_texts(f, _csv_rows(safe.iloc[start : start + _CSV_CHUNK_ROWS], eol))
        else:
            safe.to_csv(tmp, index=False, float_format=CSV_FLOAT_FORMAT, lineterminator=eol)
    return Path(path)


#: Rows formatted at a time by the CSV fast path (bounds its memory).
_CSV_CHUNK_ROWS = 10_000


def _csv_fast_path(frame: pd.DataFrame) -> bool:
    """Whether :func:`_csv_rows` writes exactly what ``DataFrame.to_csv`` writes.

    True for a flat table of at least two columns of numbers, booleans and text (the
    tables the pipeline writes); anything else goes to pandas.
    """
    if frame.shape[1] < 2 or isinstance(frame.columns, pd.MultiIndex):
        return False
    for i in range(frame.shape[1]):
        dtype = frame.iloc[:, i].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            dtype = dtype.categories.dtype
        ok = (
            pd.api.types.is_bool_dtype(dtype)
            or pd.api.types.is_integer_dtype(dtype)
            or (pd.api.types.is_float_dtype(dtype) and not isinstance(dtype, pd.ArrowDtype))
            or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
        )
        if not ok:
            return False
    return True


def _csv_quoted(texts: list[str], eol: str) -> list[str]:
    """Quote fields as Python's CSV writer does (QUOTE_MINIMAL, doubled quotes).

    Many texts (a column of cell ids) are searched for the special characters by Arrow, and
    only those holding one are quoted in Python.
    """
    special = [",", '"', *eol]
    arrow = _arrow_texts(np.asarray(texts, dtype=object)) if len(texts) else None
    if arrow is None:
        return [
            '"' + t.replace('"', '""') + '"' if any(c in t for c in special) else t for t in texts
        ]
    quote = np.zeros(len(texts), dtype=bool)
    for c in special:
        quote |= pc.match_substring(arrow, c).to_numpy(zero_copy_only=False)
    out = list(texts)
    for i in np.flatnonzero(quote).tolist():
        out[i] = '"' + out[i].replace('"', '""') + '"'
    return out


def _csv_line(fields: list[str], eol: str) -> str:
    return ",".join(_csv_quoted(fields, eol)) + eol


def _as_texts(column: pd.Series) -> np.ndarray:
    """Return a column's values as ``str`` objects, missing values as None.

    A text column is taken as it is; a column of other or mixed Python objects is turned
    into text value by value first, so that ``1`` and ``True`` (equal, and hashed alike)
    stay two texts when the distinct values are looked up.
    """
    values = column.astype(object).to_numpy(copy=True)
    missing = pd.isna(values)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = np.array([str(v) for v in values], dtype=object)
    values[missing] = None
    return values


def _factorize_floats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``pd.factorize`` of floats, but with -0.0 apart from 0.0 (NaN: code -1).

    Equal values share a code, and -0.0 == 0.0: factorized by value, a column holding both
    would write the text of whichever came first for all of them.
    """
    v = np.ascontiguousarray(values, dtype="float64")
    nan = np.isnan(v)
    codes, bits = pd.factorize(np.where(nan, 0, v.view("int64")))
    return np.where(nan, -1, codes), np.asarray(bits, dtype="int64").view("float64")


def _text(value: str) -> pa.Scalar:
    """Return ``value`` as the Arrow text scalar the formatters join (64-bit offsets)."""
    return pa.scalar(value, pa.large_string())


#: The texts of the float columns formatted in a :func:`formatted_once` block, by their bytes.
_FORMATTED: contextvars.ContextVar[dict[bytes, pa.Array] | None] = contextvars.ContextVar(
    "route_risk_formatted", default=None
)


@contextlib.contextmanager
def formatted_once() -> Iterator[None]:
    """Format each float column once for all the CSV and GeoJSON files written in the block.

    The scores' CSV and GeoJSON hold the same rounded floats; within the block the texts of
    a column (:func:`floats_to_reprs`) are kept, by the column's bytes, and reused by the
    next file that writes the same values (the same rows in the same order).  The texts are
    a function of the bytes alone, so the files are what they are without the block.  The
    texts are kept for the thread (the context) that opened the block, until it ends.
    """
    kept = _FORMATTED.get()
    token = _FORMATTED.set({} if kept is None else kept)
    try:
        yield
    finally:
        _FORMATTED.reset(token)


def _column_reprs(values: np.ndarray) -> pa.Array:
    """Return :func:`floats_to_reprs` of a column, kept in a :func:`formatted_once` block."""
    kept = _FORMATTED.get()
    if kept is None:
        return floats_to_reprs(values)
    key = np.ascontiguousarray(values, dtype="float64").tobytes()
    texts = kept.get(key)
    if texts is None:
        texts = kept[key] = floats_to_reprs(values)
    return texts


def floats_to_reprs(values) -> pa.Array:
    """Return ``repr`` of each float, as Arrow text, formatted in C++ by Arrow.

    Bit for bit what ``repr(float(x))`` gives (``'0.1'``, ``'3.0'``, ``'-0.0'``,
    ``'1e-05'``, ``'1e+16'``, ``'nan'``, ``'inf'``), five times faster, and without holding
    the GIL: the export's other writers run meanwhile.  Arrow finds the same shortest digits
    that read back the value as Python (both the closest of the shortest), but lays them out
    otherwise: a whole number without ``.0`` (``3``), decimals from 1e-6 (``0.00001``,
    Python ``1e-05``), an exponent from 1e10 (``1e+10``, Python ``10000000000.0``) and a
    one-digit exponent (``1e-7``, Python ``1e-07``).  Whole numbers get their ``.0``, and
    the values below 1e-4 or from 1e10 on (2 % of the demo's score table), where the layouts
    differ, are formatted by ``repr`` itself.

    Parameters
    ----------
    values : array_like of float
        One dimension; converted to float64.

    Returns
    -------
    pyarrow.Array
        ``large_string``, no nulls, one text per value.

    Examples
    --------
    >>> floats_to_reprs([0.1, 3.0, -0.0, 1e-05, 1e16, float("nan")]).to_pylist()
    ['0.1', '3.0', '-0.0', '1e-05', '1e+16', 'nan']
    """
    v = np.ascontiguousarray(values, dtype="float64")
    # a column of repeated values (a factor that is mostly 0, shares to 2 decimals) is
    # formatted value by distinct value; a column of distinct values, value by value
    codes, uniques = _factorize_floats(v)
    if len(uniques) > 0.75 * len(v):
        return _float_reprs(v)
    return _looked_up(codes, _float_reprs(uniques), "nan")


def _float_reprs(v: np.ndarray) -> pa.Array:
    """Return :func:`floats_to_reprs` of a float64 array, each value formatted."""
    texts = pc.cast(pa.array(v), pa.large_string())
    mag = np.abs(v)
    # NaN compares false everywhere; an infinity is written alike ("inf", "-inf")
    with np.errstate(invalid="ignore"):  # a signalling NaN's trunc
        whole = (v == np.trunc(v)) & (mag < 1e10)
    python = ((mag < 1e-4) & (mag > 0)) | ((mag >= 1e10) & (mag < np.inf))
    if whole.any():
        mask = pa.array(whole)
        dotted = pc.binary_join_element_wise(texts.filter(mask), _text(".0"), _text(""))
        texts = pc.replace_with_mask(texts, mask, dotted)
    if python.any():
        reprs = pa.array(list(map(repr, v[python].tolist())), pa.large_string())
        texts = pc.replace_with_mask(texts, pa.array(python), reprs)
    return texts


def _looked_up(codes: np.ndarray, texts: list[str] | pa.Array, missing: str) -> pa.Array:
    """Return ``texts[code]`` for each code as Arrow text, ``missing`` for a code of -1."""
    if isinstance(texts, pa.Array):
        table = pa.concat_arrays([texts, pa.array([missing], pa.large_string())])
    else:
        table = pa.array([*texts, missing], pa.large_string())
    return table.take(pa.array(np.where(codes < 0, len(texts), codes)))


def _csv_texts(column: pd.Series, eol: str) -> pa.Array:
    """Return the CSV text of each value of a column as ``to_csv`` writes it ("" if missing).

    NumPy numbers are formatted by Arrow (floats: :func:`floats_to_reprs`), and so is text
    held by Arrow (pandas' ``str``: quoted by :func:`_csv_quoted_arrow`); any other column
    (nullable, Python objects) value by distinct value, in Python.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        column = column.astype(object)
        dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = column.to_numpy()
        return pc.if_else(pa.array(np.isnan(values)), _text(""), _column_reprs(values))
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(column.to_numpy()), pa.large_string())
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return pc.if_else(pa.array(column.to_numpy()), _text("True"), _text("False"))
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        values = column.to_numpy(dtype=object) if column.hasnans else column.to_numpy()
        codes, uniques = pd.factorize(values)
        texts = [str(v) for v in uniques]
    elif pd.api.types.is_float_dtype(dtype):
        codes, uniques = _factorize_floats(column.to_numpy(dtype="float64", na_value=np.nan))
        texts = list(map(repr, uniques.tolist()))
    else:  # text, or any Python object: its str(), quoted where the CSV writer quotes it
        arrow = _arrow_column(column)
        if arrow is not None:
            return _csv_quoted_arrow(arrow, eol)
        codes, uniques = pd.factorize(_as_texts(column))
        texts = _csv_quoted(list(uniques), eol)
    return _looked_up(codes, texts, "")


def _csv_quoted_arrow(texts: pa.Array, eol: str) -> pa.Array:
    """:func:`_csv_quoted` of Arrow texts, by Arrow (missing values: ""), as large text."""
    texts = pc.cast(texts, pa.large_string())
    special = [",", '"', *eol]
    quote = pc.match_substring(texts, special[0])
    for c in special[1:]:
        quote = pc.or_(quote, pc.match_substring(texts, c))
    quoted = pc.binary_join_element_wise(
        _text('"'), pc.replace_substring(texts, '"', '""'), _text('"'), _text("")
    )
    return pc.fill_null(pc.if_else(quote, quoted, texts), _text(""))


def _csv_rows(frame: pd.DataFrame, eol: str) -> pa.Array:
    """Return the rows of a table as CSV text, one Arrow text per row with its line end."""
    texts = [_csv_texts(frame.iloc[:, i], eol) for i in range(frame.shape[1])]
    rows = pc.binary_join_element_wise(*texts, _text(","))
    return pc.binary_join_element_wise(rows, _text(eol), _text(""))


def _write_texts(f, texts: pa.Array) -> None:
    """Write the texts of an Arrow text array one after the other, as UTF-8 bytes."""
    if len(texts) == 0:
        return
    if texts.null_count:  # never: every formatter writes its missing values as text
        raise ValueError(f"{texts.null_count} of the texts to write are missing")
    offsets = np.frombuffer(texts.buffers()[1], dtype="int64")
    start, stop = offsets[texts.offset], offsets[texts.offset + len(texts)]
    f.write(memoryview(texts.buffers()[2])[start:stop])


def iso_utc_texts(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Return zoned times as ISO 8601 UTC text, NaT as None.

    Whole seconds as ``2024-06-30T00:00:00Z``; a time with a fraction of a second keeps it,
    in milliseconds as GDAL writes them (``00:00:00.400Z``), else in micro- or nanoseconds
    (``00:00:00.000123Z``): two times a tenth of a second apart (a logger's fixes) were
    written alike.
    """
    t = pd.Series(times).dt.tz_convert("UTC")
    whole = t.dt.strftime("%Y-%m-%dT%H:%M:%S")
    frac = (t.dt.microsecond * 1000 + t.dt.nanosecond).fillna(0).astype("int64")
    # milliseconds as GDAL writes them ('.400'), else micro- or nanoseconds
    width = np.where(frac % 1_000_000 == 0, 3, np.where(frac % 1000 == 0, 6, 9))
    nine = frac.astype("str").str.zfill(9)
    digits = pd.Series(
        np.where(width == 3, nine.str[:3], np.where(width == 6, nine.str[:6], nine)),
        index=nine.index,
    )
    text = (whole + np.where(frac.to_numpy() > 0, "." + digits, "") + "Z").to_numpy(dtype=object)
    text[t.isna().to_numpy()] = None
    return text


def _iso_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Timezone-aware datetime columns as ISO 8601 UTC text (:func:`iso_utc_texts`)."""
    tz = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    if not tz:
        return frame
    out = frame.copy()
    for c in tz:
        out[c] = iso_utc_texts(out[c])
    return out


def write_geojson(
    frame: gpd.GeoDataFrame, path: str | os.PathLike, *, rounded: bool = False
) -> Path:
    """Write a GeoDataFrame to GeoJSON (RFC 7946, EPSG:4326) atomically.

    Polygon and multipolygon tables (the scores) are formatted by Arrow, column by column
    (:func:`_polygons_geojson`, floats by :func:`floats_to_reprs`), several times faster
    than GDAL's writer, whose layout they keep: one feature per line, coordinates rounded to :data:`FLOAT_DECIMALS`
    decimals (0.1 m), exterior rings counter-clockwise and holes clockwise (RFC 7946
    § 3.1.6).  Property floats are rounded as in every table (:func:`round_array`) and
    written as the shortest text that reads back the value, the same text as in the CSV;
    timestamps as ISO 8601 UTC text, as in the CSV.  Other geometry types go through GDAL.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The table; reprojected to EPSG:4326 if it has another CRS.
    path : str or path-like
        Destination ``.geojson``.
    rounded : bool, default False
        ``frame`` is :func:`round_floats`' table already: its floats are not rounded again.

    Returns
    -------
    pathlib.Path
    """
    import shapely

    out = _rounded(frame, rounded).to_crs("EPSG:4326")
    geoms = out.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    # 3 Polygon, 6 MultiPolygon, -1 missing
    if not np.isin(kinds, [-1, 3, 6]).all():
        with atomic_path(path, ".geojson") as tmp:
            out.to_file(
                tmp,
                driver="GeoJSON",
                engine="pyogrio",
                RFC7946="YES",
                COORDINATE_PRECISION=FLOAT_DECIMALS,
                WRITE_NAME="NO",
            )
        return Path(path)
    with atomic_path(path, ".geojson") as tmp, open(tmp, "wb") as f:
        f.write(
            b'{\n"type": "FeatureCollection",\n'
            + f'"xy_coordinate_resolution": {10.0**-FLOAT_DECIMALS!r},\n"features": [\n'.encode()
        )
        n = len(out)
        for start in range(0, n, _GEOJSON_CHUNK_ROWS):
            stop = min(start + _GEOJSON_CHUNK_ROWS, n)
            features = _polygons_geojson(out.iloc[start:stop])
            if stop < n:
                _write_texts(f, features)
            else:  # no comma after the last feature
                _write_texts(f, features[:-1])
                f.write(_text_bytes(features[-1:])[:-2] + b"\n")
        f.write(b"]\n}\n")
    return Path(path)


#: Features formatted at a time by :func:`write_geojson` (bounds its memory to ~50 MB); as many
#: as the CSV's rows, so that both format the same slices of a column (:func:`formatted_once`).
_GEOJSON_CHUNK_ROWS = _CSV_CHUNK_ROWS


def _json_texts(column: pd.Series) -> pa.Array:
    """Return the JSON text of each value of a column (``null`` if missing), as Arrow text.

    NumPy numbers are formatted by Arrow (floats: :func:`floats_to_reprs`), and so is text
    held by Arrow with nothing to escape (cell ids); any other column value by distinct
    value, in Python (tables repeat values: classes, dates).
    """
    from json.encoder import encode_basestring  # type: ignore[attr-defined]

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        column = column.astype(object)
        dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = column.to_numpy()  # JSON has no infinity: null, as NaN
        return pc.if_else(pa.array(~np.isfinite(values)), _text("null"), _column_reprs(values))
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(column.to_numpy()), pa.large_string())
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return pc.if_else(pa.array(column.to_numpy()), _text("true"), _text("false"))
    if pd.api.types.is_bool_dtype(dtype):
        codes, uniques = pd.factorize(column)
        texts = ["true" if v else "false" for v in uniques]
    elif pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        if pd.api.types.is_float_dtype(dtype):
            values = column.to_numpy(dtype="float64", na_value=np.nan)
            values = np.where(np.isfinite(values), values, np.nan)  # JSON has no infinity
        elif column.hasnans:
            values = column.to_numpy(dtype=object)
        else:
            values = column.to_numpy()
        if values.dtype == np.float64:
            codes, uniques = _factorize_floats(values)
        else:
            codes, uniques = pd.factorize(values)
        texts = list(map(repr, uniques.tolist()))
    elif isinstance(dtype, pd.DatetimeTZDtype):
        codes, uniques = pd.factorize(column.dt.tz_convert("UTC"))
        texts = list(map(encode_basestring, iso_utc_texts(uniques)))
    else:  # text, or any other object: its text, as GDAL writes a string field
        arrow = _arrow_column(column)
        if arrow is not None and not pc.any(pc.match_substring_regex(arrow, _JSON_ESCAPED)).as_py():
            # nothing to escape: each text between quotes, by Arrow
            texts = pc.binary_join_element_wise(
                _text('"'), pc.cast(arrow, pa.large_string()), _text('"'), _text("")
            )
            return pc.fill_null(texts, _text("null"))
        codes, uniques = pd.factorize(_as_texts(column))
        texts = list(map(encode_basestring, uniques))
    return _looked_up(codes, texts, "null")


#: The characters JSON escapes in a string (``json.encoder.encode_basestring``'s).
_JSON_ESCAPED = r'["\\\x00-\x1f]'

#: What each feature's text has after its properties, by geometry kind.
_POLYGON_HEAD = ' }, "geometry": { "type": "Polygon", "coordinates": [ [ '
_MULTIPOLYGON_HEAD = ' }, "geometry": { "type": "MultiPolygon", "coordinates": [ [ [ '
_NO_GEOMETRY = ' }, "geometry": null }'
#: What follows a vertex: the next vertex, or the end of its ring, polygon or feature.
_AFTER_VERTEX = [", ", " ], [ ", " ] ], [ [ ", " ] ] } }", " ] ] ] } }"]


def _geometry_texts(geometries: np.ndarray) -> pa.Array:
    """Return the text :func:`write_geojson` writes for each polygon, after its properties.

    ``' }, "geometry": { "type": "Polygon", "coordinates": [ [ [ x, y ], ... ] ] } }'``:
    the end of the properties object, the geometry and the end of the feature, without the
    line end; vertices rounded to :data:`FLOAT_DECIMALS` decimals, exterior rings
    counter-clockwise and holes clockwise (RFC 7946 § 3.1.6).  A missing or empty
    geometry gives ``' }, "geometry": null }'``.  ``geometries`` are polygons and
    multipolygons (or missing), lon/lat.

    Each vertex's text is joined with what follows it (a separator or brackets), and each
    feature's head with its vertices', by Arrow.
    """
    import shapely

    geoms = np.asarray(geometries, dtype=object)
    n = len(geoms)
    multi = shapely.get_type_id(geoms) == 6
    has_geom = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    heads = pa.array([_POLYGON_HEAD, _MULTIPOLYGON_HEAD, _NO_GEOMETRY], pa.large_string())
    head = heads.take(pa.array(np.where(has_geom, multi.astype("int64"), 2)))
    # vertices, rounded, exterior rings counter-clockwise (RFC 7946)
    polys, owner = shapely.get_parts(geoms[has_geom], return_index=True)
    owner = np.flatnonzero(has_geom)[owner]
    polys = shapely.orient_polygons(polys, exterior_cw=False)
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    xy, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    xy = np.round(xy, FLOAT_DECIMALS) + 0.0  # + 0.0: no "-0.0"
    vertex_feature = owner[ring_poly[vertex_ring]]
    after = np.zeros(len(xy), dtype="int64")
    if len(xy):
        end_ring = np.r_[vertex_ring[1:] != vertex_ring[:-1], True]
        vertex_poly = ring_poly[vertex_ring]
        end_poly = np.r_[vertex_poly[1:] != vertex_poly[:-1], True]
        end_feature = np.r_[vertex_feature[1:] != vertex_feature[:-1], True]
        after[end_ring] = 1
        after[end_poly] = 2
        after[end_feature] = np.where(multi[vertex_feature[end_feature]], 4, 3)
    x, y = (pc.if_else(pa.array(np.isnan(v)), _text("null"), floats_to_reprs(v)) for v in xy.T)
    vertices = pc.binary_join_element_wise(
        _text("[ "),
        x,
        _text(", "),
        y,
        _text(" ]"),
        pa.array(_AFTER_VERTEX, pa.large_string()).take(pa.array(after)),
        _text(""),
    )
    # the vertices are in feature order: each feature's are one slice of them
    offsets = np.searchsorted(vertex_feature, np.arange(n + 1))
    per_feature = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), vertices)
    return pc.binary_join_element_wise(head, pc.binary_join(per_feature, _text("")), _text(""))


def _polygons_geojson(frame: gpd.GeoDataFrame) -> pa.Array:
    """Return the features of a polygon table as GeoJSON text, one Arrow text per feature.

    Each feature's text is its properties (one ``"name": value`` per column,
    :func:`_json_texts`), its geometry's text (:func:`_geometry_texts`) and ``,`` and a line
    end.
    """
    from json.encoder import encode_basestring  # type: ignore[attr-defined]

    names = [c for c in frame.columns if c != frame.geometry.name]
    # the texts to join: constant pieces (the keys, with what comes before them) and columns
    pieces: list[pa.Array | pa.Scalar] = []
    before = '{ "type": "Feature", "properties": { '
    for name in names:
        pieces += [_text(before + encode_basestring(str(name)) + ": "), _json_texts(frame[name])]
        before = ", "
    if not names:
        pieces.append(_text(before))
    pieces += [_geometry_texts(frame.geometry.to_numpy()), _text(",\n"), _text("")]
    if len(frame) == 0:
        return pa.array([], pa.large_string())
    return pc.binary_join_element_wise(*pieces)


def _text_bytes(texts: pa.Array) -> bytes:
    """Return the texts of an Arrow text array one after the other, as UTF-8 bytes."""
    buf = _io.BytesIO()
    _write_texts(buf, texts)
    return buf.getvalue()


def gdal_messages_as_warnings() -> None:
    """Turn the GDAL messages of pyogrio calls made in this thread into Python warnings.

    pyogrio installs its GDAL error handler when it is imported, with GDAL's per-thread
    ``CPLPushErrorHandler``: in the importing thread only.  In a worker thread (the export's
    writers) GDAL's default handler printed its warnings straight to stderr (``Warning 1:
    ...``), past the run's log; with the handler they are ``RuntimeWarning`` s, which the
    command logs.  Run it first in each such thread (a pool's ``initializer``).  pyogrio
    names the function privately; without it (another version) nothing changes.
    """
    try:
        from pyogrio._err import _register_error_handler
    except ImportError:  # pragma: no cover - a pyogrio without it: GDAL's default handler
        return
    _register_error_handler()


def sha256_file(path: str | os.PathLike, chunk_bytes: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_bytes), b""):
            h.update(block)
    return h.hexdigest()


def _not_json_number(text: str) -> float:
    """Refuse ``NaN``, ``Infinity`` and ``-Infinity``: not JSON (RFC 8259), never written here."""
    raise ValueError(f"{text!r} is not a JSON number")


def _finite_float(text: str) -> float:
    """Return a JSON number as a float; refuse one beyond the double range (``1e400``)."""
    value = float(text)
    if not np.isfinite(value):
        raise ValueError(f"{text!r} is beyond the range of a double")
    return value


#: The largest JSON file :func:`read_json_object` reads: a manifest of a national run is a few
#: MB; a file far beyond that was not written by route-risk (or is damaged) and is not parsed.
MAX_JSON_BYTES = 64 << 20


def read_json_object(
    path: str | os.PathLike, *, follow_links: bool = False, max_bytes: int = MAX_JSON_BYTES
) -> dict | None:
    """Return the JSON object stored in a file, or None when it cannot be one route-risk wrote.

    None for a missing, unreadable, non-regular, oversized, truncated, non-UTF-8 or too
    deeply nested file (Python's parser recurses: ``[[[[...`` raises RecursionError), for
    JSON whose top level is not an object, and for numbers JSON has not: ``NaN``,
    ``Infinity`` and a float beyond the double range (``1e400``), which Python's parser
    accepts but route-risk never writes (its JSON is written with ``allow_nan=False``) -
    passed on, they ended ``status --json`` in a traceback.  A manifest damaged or edited
    by hand must never end a command in a traceback; what it says is then unknown.

    Parameters
    ----------
    path : path-like
        The file.
    follow_links : bool, default False
        Read through a symbolic link (only for links route-risk made itself).
    max_bytes : int
        Larger files are not read.

    Returns
    -------
    dict or None
        The object, or None.
    """
    import json
    import stat as st_mod

    p = Path(path)
    try:
        st = p.stat() if follow_links else os.lstat(p)
        if not st_mod.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        data = json.loads(
            p.read_bytes()[: max_bytes + 1].decode("utf-8"),
            parse_constant=_not_json_number,
            parse_float=_finite_float,
        )
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return data if isinstance(data, dict) else None
