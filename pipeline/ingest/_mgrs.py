"""Military Grid Reference System (MGRS, and USNG: the same text) references as positions.

``18SUJ2337106519`` (or ``18S UJ 23371 06519``) is a UTM zone (18), a latitude band (S), a
100 km square (column letter U, row letter J) and an easting and a northing within it, of
0 to 5 digits each: a square of 100 km down to 1 m.  The point is placed at the square's
centre, as GIS tools do when they turn a reference into a point (a reference names a
square, not its south-west corner), and the size is returned so the reader can say it.

Blanks (a no-break space too) are ignored, but an easting and a northing written apart
must have as many digits (``23371 651`` lost a leading zero: joined, it names a 10 m square
15 km away).  Decoded per distinct value, a chunk of them at a time, and vectorised (numpy over the letters and digits, one pyproj
UTM -> WGS84 transform per zone and hemisphere), WGS84 only (the ``AA`` lettering of
NGA's DMA TM 8358.1; the ``AL`` scheme of older datums is not read).  The 100 km column
letters cycle through three sets (zone mod 3: ``A-H``, ``J-R``, ``S-Z``), the row letters
``A-V`` start at ``F`` in even zones; the row letter fixes the northing only modulo
2,000 km, which the latitude band resolves (the candidate nearest the band's middle, then
checked to lie in the band: a wrong band letter is rejected, never moved 2,000 km).
Polar references (UPS: bands A, B, Y, Z) are not read.

A datum written after a reference (``18SUJ2337106519 (NAD 83)``) or in its column's header
(``MGRS NAD27``) is heeded: NAD 83 is within a metre or two of WGS84 (USNG is defined on
it) and is read as WGS84, with a note; NAD 27 is up to ~200 m away and is never read as
WGS84 (a value is rejected, a column refused).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj

from ..errors import InputError
from ..sphere import haversine_km
from ._common import MISSING_TOKENS, Rule

__all__ = [
    "MGRS_HEADER_NAMES",
    "MGRS_RULES",
    "MGRS_SHAPE",
    "GridPositions",
    "find_mgrs_column",
    "is_mgrs_header",
    "mgrs_datum_notes",
    "mgrs_header_datum",
    "mgrs_disagreements",
    "mgrs_share",
    "mgrs_to_lonlat",
    "read_mgrs_column",
    "refuse_other_datum",
]

#: A reference as written, spaces aside: zone (1-2 digits), band, two square letters, digits.
#: Any letter matches here so that a wrong one is named (``band 'I'``), not called noise.
MGRS_SHAPE = r"^\d{1,2}[A-Za-z]{3}\d{0,10}$"
_POLAR_SHAPE = r"^[ABYZabyz][A-Za-z]{2}\d{0,10}$"

#: Headers naming a grid reference column (normalised: lower case, runs of non-letters as
#: ``_``); a bare ``grid`` is one too when its values are references.
MGRS_HEADER_NAMES = frozenset(
    {
        "mgrs",
        "usng",
        "grid_ref",
        "gridref",
        "grid_reference",
        "mgrs_grid",
        "mgrs_ref",
        "mgrs_reference",
        "mgrs_coordinates",
        "mgrs_coordinate",
        "mgrs_coords",
        "mgrs_position",
        "mgrs_location",
        "usng_coordinates",
        "usng_grid",
        "grid",
        "mil_grid",
        "military_grid_reference",
    }
)

_BANDS = "CDEFGHJKLMNPQRSTUVWX"
_ROWS = "ABCDEFGHJKLMNPQRSTUV"
_COLUMN_SETS = ("STUVWXYZ", "ABCDEFGH", "JKLMNPQR")  # by zone mod 3
#: ASCII code -> index in each alphabet (-1: not in it).
_BAND_INDEX = np.full(128, -1, np.int64)
_ROW_INDEX = np.full(128, -1, np.int64)
_COL_INDEX = np.full((3, 128), -1, np.int64)
for _i, _c in enumerate(_BANDS):
    _BAND_INDEX[ord(_c)] = _i
for _i, _c in enumerate(_ROWS):
    _ROW_INDEX[ord(_c)] = _i
for _s, _letters in enumerate(_COLUMN_SETS):
    for _i, _c in enumerate(_letters):
        _COL_INDEX[_s, ord(_c)] = _i
_DEG_M = 110_574.0  # metres in a degree of latitude (the shortest, at the equator)


@dataclass(frozen=True)
class GridPositions:
    """Positions of MGRS references, one per value given.

    Attributes
    ----------
    lon, lat
        Degrees (WGS84) of each square's centre; NaN where the value is missing or refused.
    size_m
        The square's side in metres (1 ... 100,000); NaN where no position.
    missing
        True where the value is blank.
    polar
        True where the value is a polar (UPS) reference, not read.
    problem
        Why a written, non-polar value is no reference (``""`` where it is one or is
        missing/polar): text to put in a reject's message.
    nad83
        True where the value says it is on NAD 83 (``... (NAD 83)``), read as WGS84.
    """

    lon: np.ndarray
    lat: np.ndarray
    size_m: np.ndarray
    missing: np.ndarray
    polar: np.ndarray
    problem: np.ndarray
    nad83: np.ndarray


#: A datum's name as written in a header or after a reference: WGS 84, NAD 83, NAD 27.
_DATUM = r"(WGS|NAD)[\s_-]*(?:19)?(84|83|27)"
#: A datum written after a reference, spaces removed and upper-cased (``...(NAD83)``).
_DATUM_SUFFIX = r"^(?P<ref>.*?)(?:[(\[,;/_-]?(?P<datum>(?:WGS|NAD)-?(?:19)?(?:84|83|27))[)\]]?)?$"
#: The same, to strip it (case ignored).
_DATUM_AFTER = r"[(\[,;/_-]?(?:WGS|NAD)-?(?:19)?(?:84|83|27)[)\]]?$"
_DATUM_NAMES = {"WGS84": "WGS84", "NAD83": "NAD83", "NAD27": "NAD27"}
#: Why a reference on NAD 27 is not read (a value's reject, a column's refusal).
_NAD27_WHY = (
    "NAD 27, up to ~200 m from WGS84, which is not read (convert the references to WGS84 or NAD 83)"
)


def mgrs_header_datum(column: str) -> str | None:
    """Return the datum a header names (``"WGS84"``, ``"NAD83"``, ``"NAD27"``), or None.

    Examples
    --------
    >>> mgrs_header_datum("MGRS (NAD 27)"), mgrs_header_datum("USNG_NAD83"), mgrs_header_datum("MGRS")
    ('NAD27', 'NAD83', None)
    """
    m = re.search(_DATUM, column, flags=re.IGNORECASE)
    return None if m is None else _DATUM_NAMES[m[1].upper() + m[2]]


def is_mgrs_header(column: str) -> bool:
    """Return True when a header names a grid reference (``MGRS``, ``Grid Ref``, ``USNG``).

    A datum in it (``MGRS (NAD 83)``) is no part of the name.

    Examples
    --------
    >>> is_mgrs_header("Grid Ref"), is_mgrs_header("MGRS coordinates"), is_mgrs_header("lat")
    (True, True, False)
    """
    column = re.sub(_DATUM, " ", column, flags=re.IGNORECASE)
    norm = "_".join(t for t in "".join(c if c.isalnum() else " " for c in column).split())
    return norm.lower() in MGRS_HEADER_NAMES


def mgrs_share(values: pd.Series, *, valid: bool = False) -> float:
    """Return the share of written values (the first 200) shaped like references.

    ``valid``: the share that are references (a position, or a polar reference), not only
    shaped like one (a call sign ``9VAB`` is shaped like a 100 km square's reference).
    """
    text = values[values.notna().to_numpy(dtype=bool)].head(1000).astype("str")
    text = text.str.replace(r"\s+", "", regex=True)
    text = text[(text != "").to_numpy(dtype=bool)].head(200)
    text = text.str.replace(_DATUM_AFTER, "", regex=True, flags=re.IGNORECASE)
    if not len(text):
        return 0.0
    if valid:
        pos = mgrs_to_lonlat(text)
        return float((~np.isnan(pos.lat) | pos.polar).mean())
    return float(text.str.fullmatch(MGRS_SHAPE[1:-1]).mean())


@functools.lru_cache(maxsize=128)
def _utm(zone: int, south: bool) -> pyproj.Transformer:
    crs = pyproj.CRS.from_epsg((32700 if south else 32600) + zone)
    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


@functools.lru_cache(maxsize=1)
def _band_middle_northings() -> np.ndarray:
    """UTM northing of each band's middle latitude (C ... X), south of the equator +10,000 km."""
    middle = -76.0 + 8.0 * np.arange(len(_BANDS)) + (np.arange(len(_BANDS)) == 19) * 2.0
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    _, north = to_utm.transform(np.full(middle.size, 3.0), middle)
    return np.where(middle < 0, np.asarray(north) + 10_000_000.0, north)


def _zone_bounds(zone: np.ndarray, band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude range of each zone in its band, the Norway and Svalbard exceptions applied."""
    west = (zone - 1) * 6.0 - 180.0
    east = west + 6.0
    v = band == _BANDS.index("V")
    x = band == _BANDS.index("X")
    west = np.where(v & (zone == 32), 3.0, west)
    east = np.where(v & (zone == 31), 3.0, east)
    for z, lo, hi in ((31, 0.0, 9.0), (33, 9.0, 21.0), (35, 21.0, 33.0), (37, 33.0, 42.0)):
        west = np.where(x & (zone == z), lo, west)
        east = np.where(x & (zone == z), hi, east)
    return west, east


#: The longest normalised value looked at (a longer one is no reference): zone, band,
#: square and 12 digits, so that 11 or 12 digits are named as too many.
_WIDTH = 20


def _byte_matrix(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """ASCII values as an (n, _WIDTH) matrix of byte codes (0 after the end), and lengths."""
    fits = pc.and_(pc.string_is_ascii(text), pc.less_equal(pc.binary_length(text), _WIDTH))
    kept = pc.if_else(fits, text, "").to_numpy(zero_copy_only=False)
    codes = np.asarray(kept, dtype=object).astype(f"S{_WIDTH}")
    mat = codes.view(np.uint8).reshape(len(text), _WIDTH)
    return mat, (mat > 0).sum(axis=1)


def _decode_distinct(text: pa.Array) -> tuple[np.ndarray, ...]:
    """Decode normalised distinct references: (lon, lat, size_m, polar, problem)."""
    n = len(text)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    size = np.full(n, np.nan)
    problem = np.full(n, "", dtype=object)
    mat, length = _byte_matrix(text)
    at = np.arange(_WIDTH)
    digit = (mat >= 48) & (mat <= 57)
    upper = (mat >= 65) & (mat <= 90)
    polar = (  # UPS: a band letter A, B, Y or Z, the square's letters, digits
        np.isin(mat[:, 0], [65, 66, 89, 90])
        & upper[:, 1:3].all(axis=1)
        & (length >= 3)
        & (digit | (at < 3) | (at >= length[:, None])).all(axis=1)
    )
    # a one-digit zone ('4QFJ...') is written as two ('04QFJ...') to share the columns
    two = digit[:, 1]
    mat = np.where(
        two[:, None], mat, np.concatenate([np.full((n, 1), 48, np.uint8), mat[:, :-1]], 1)
    )
    length = length + ~two
    digit = (mat >= 48) & (mat <= 57)
    upper = (mat >= 65) & (mat <= 90)
    shaped = (
        (length >= 5)
        & (length <= _WIDTH)
        & digit[:, 0]
        & digit[:, 1]
        & upper[:, 2:5].all(axis=1)
        & (digit | (at < 5) | (at >= length[:, None])).all(axis=1)
        & ~polar
    )
    problem[~shaped & ~polar] = (
        "is not an MGRS reference (zone, band, two square letters, an even number of "
        "up to 10 digits: '18SUJ2337106519')"
    )
    n_digits = np.where(shaped, length - 5, 0)
    zone = (mat[:, 0].astype(np.int64) - 48) * 10 + mat[:, 1] - 48
    zone = np.where(shaped, zone, 0)
    letters = np.where(shaped[:, None], np.minimum(mat[:, 2:5], 127), 64)
    band = _BAND_INDEX[letters[:, 0]]
    col = _COL_INDEX[zone % 3, letters[:, 1]]
    row = _ROW_INDEX[letters[:, 2]]

    bad = ~shaped

    def fail(mask: np.ndarray, why: str) -> None:
        hit = mask & ~bad
        problem[hit] = why
        bad[hit] = True

    fail(n_digits > 10, "has more than 10 digits (1 m is 5 + 5)")
    fail(n_digits % 2 == 1, "has an odd number of digits (easting and northing have as many)")
    fail((zone < 1) | (zone > 60), "has no zone 1-60")
    fail(band < 0, "has a latitude band letter other than C-X (I and O are not used)")
    fail(
        ((zone == 32) | (zone == 34) | (zone == 36)) & (band == _BANDS.index("X")),
        "names zone 32X, 34X or 36X, which do not exist (Svalbard)",
    )
    fail(col < 0, "has a 100 km column letter not used in its zone")
    fail(row < 0, "has a 100 km row letter other than A-V (I and O are not used)")
    ok = ~bad
    half = n_digits // 2
    size_m = 10.0 ** (5 - np.minimum(half, 5))
    east = np.zeros(n)
    north = np.zeros(n)
    for h in np.unique(half[ok]).tolist():
        rows = np.flatnonzero(ok & (half == h))
        if h:
            scale = 10 ** np.arange(h - 1, -1, -1)
            east[rows] = (mat[rows, 5 : 5 + h] - 48.0) @ scale * size_m[rows]
            north[rows] = (mat[rows, 5 + h : 5 + 2 * h] - 48.0) @ scale * size_m[rows]
    east += (col + 1) * 100_000.0 + size_m / 2
    # the row letters start at 'F' in even zones (the AA scheme)
    north += ((row - np.where(zone % 2 == 0, 5, 0)) % 20) * 100_000.0 + size_m / 2
    band_south = -80.0 + 8.0 * band
    band_north = np.where(band == _BANDS.index("X"), 84.0, band_south + 8.0)
    south = band < _BANDS.index("N")
    # the candidate northing nearest the band's middle (on the central meridian, where
    # every zone's northing of a latitude is the same)
    cycles = np.round((_band_middle_northings()[np.maximum(band, 0)] - north) / 2_000_000.0)
    north += cycles * 2_000_000.0
    todo = np.flatnonzero(ok)
    key = zone[todo] * 2 + south[todo]
    todo = todo[np.argsort(key, kind="stable")]
    cuts = np.flatnonzero(np.diff(zone[todo] * 2 + south[todo])) + 1
    for rows in np.split(todo, cuts) if todo.size else []:
        inverse = _utm(int(zone[rows[0]]), bool(south[rows[0]]))
        lon[rows], lat[rows] = inverse.transform(east[rows], north[rows])
    # the centre of a square that holds a point of the band (zone) may lie beyond it by
    # half the square's side, a little more where UTM's parallels curve (a Svalbard zone's
    # edge: 0.53); a square wholly beyond (18SWL, 1.1 degrees north of band S) is no
    # reference, and a wrong band letter lands degrees away
    slack = 0.75 * size_m / _DEG_M + 1e-5
    in_band = (lat >= band_south - slack) & (lat <= band_north + slack)
    fail(ok & ~in_band, "has a northing outside its latitude band (a wrong band or row letter)")
    west_lon, east_lon = _zone_bounds(zone, band)
    cos = np.maximum(np.cos(np.radians(np.nan_to_num(lat))), 0.05)
    rel = (lon - west_lon) % 360.0
    in_zone = (rel <= east_lon - west_lon + slack / cos) | (rel >= 360.0 - slack / cos)
    fail(ok & in_band & ~in_zone, "names a 100 km square outside its zone's longitudes")
    good = ~bad
    lon[~good] = np.nan
    lat[~good] = np.nan
    size[good] = size_m[good]
    return lon, lat, size, polar, problem


def mgrs_to_lonlat(values: pd.Series) -> GridPositions:
    """Return the positions (square centres) of MGRS/USNG references.

    Spaces and case are ignored (``18S UJ 23371 06519`` is ``18SUJ2337106519``); each
    distinct value is decoded once.  A datum after the reference (``(NAD 83)``, ``WGS84``)
    is heeded: NAD 83 is read as WGS84 (``nad83``), a NAD 27 reference is refused.

    Parameters
    ----------
    values
        References as written; blanks (NaN, ``""``) are missing.

    Returns
    -------
    GridPositions
        Longitude, latitude and square size per value, with why a value is refused.

    Examples
    --------
    >>> pos = mgrs_to_lonlat(pd.Series(["18SUJ2337106519", "18SUJ21", "", "18IUJ21"]))
    >>> pos.lat[:2].round(5).tolist(), pos.size_m.tolist()[:2]
    ([38.88981, 38.96651], [1.0, 10000.0])
    >>> pos.missing.tolist(), bool(pos.problem[3])
    ([False, False, True, False], True)
    """
    miss = values.isna().to_numpy(dtype=bool)
    codes, uniques = pd.factorize(values.astype("str").where(~miss, ""))
    arr = uniques.array
    spaced = (  # pandas' str values are Arrow's already: no Python string per value
        pa.array(arr, pa.string())
        if hasattr(arr, "__arrow_array__")
        else pa.array(np.asarray(uniques, dtype=object), pa.string())
    )
    # a chunk of distinct values at a time: the letter and digit matrices of 200,000
    # distinct references at once were most of the peak memory
    parts = [_decode_spaced(spaced.slice(i, _CHUNK)) for i in range(0, len(spaced), _CHUNK)]
    empty, lon, lat, size, polar, problem, nad83 = (
        np.concatenate([p[k] for p in parts]) if parts else np.zeros(0) for k in range(7)
    )
    missing = miss | empty.astype(bool)[codes]
    return GridPositions(
        lon=lon[codes],
        lat=lat[codes],
        size_m=size[codes],
        missing=missing,
        polar=polar.astype(bool)[codes] & ~missing,
        problem=np.where(missing, "", problem[codes]).astype(object),
        nad83=nad83.astype(bool)[codes] & ~missing,
    )


#: Blanks between a reference's parts: Unicode's too (a no-break space from a web page or
#: a spreadsheet); RE2's ``\s`` is ASCII only.
_BLANKS = r"[\s\v\pZ\x{85}\x{FEFF}]+"
#: An easting and a northing written apart (``18S UJ 23371 06519``): as many digits each,
#: or one lost its leading zeros and the digits joined would place the square elsewhere.
_DIGIT_GROUPS = (
    r"^[\s\pZ]*\d{1,2}[\s\pZ]*[A-Za-z][\s\pZ]*[A-Za-z][\s\pZ]*[A-Za-z][\s\pZ]*"
    r"(?P<east>\d+)[\s\pZ]+(?P<north>\d+)(?:\D.*)?$"
)
_UNICODE_BLANKS = " \t\n\r\v\f\u00a0\u2007\u202f\ufeff"
_MISSING_WORDS = pa.array(sorted(MISSING_TOKENS), pa.string())
#: Distinct values decoded at once (see :func:`mgrs_to_lonlat`).
_CHUNK = 1 << 15


def _decode_spaced(spaced: pa.Array) -> tuple[np.ndarray, ...]:
    """Decode distinct values as written: (blank, lon, lat, size_m, polar, problem, nad83)."""
    # letters and digits only (the common case): no blank to remove, no digit groups
    plain = pc.all(pc.or_(pc.utf8_is_alnum(spaced), pc.equal(spaced, ""))).as_py()
    if plain:
        text = pc.ascii_upper(spaced)
        uneven = np.zeros(len(spaced), bool)
    else:
        text = pc.ascii_upper(pc.replace_substring_regex(spaced, _BLANKS, ""))
        groups = pc.extract_regex(spaced, _DIGIT_GROUPS)
        east, north = (pc.utf8_length(groups.field(k)) for k in ("east", "north"))
        uneven = pc.fill_null(pc.not_equal(east, north), False).to_numpy(zero_copy_only=False)
    empty = pc.equal(text, "").to_numpy(zero_copy_only=False)
    lon, lat, size, polar, problem = _decode_distinct(text)
    nad83 = np.zeros(len(text), bool)
    odd = np.flatnonzero(problem != "")  # no reference as written: a word, a datum after
    if odd.size:
        # 'N/A', '-', '#N/A' are missing, as in a latitude column, not references written wrong
        lowered = pc.utf8_lower(pc.utf8_trim(spaced.take(odd), _UNICODE_BLANKS))
        empty[odd] |= pc.is_in(lowered, _MISSING_WORDS).to_numpy(zero_copy_only=False)
        said = text.take(odd)
        if any(pc.any(pc.match_substring(said, d)).as_py() for d in ("NAD", "WGS")):
            parts = pc.extract_regex(said, _DATUM_SUFFIX)
            datum = pc.replace_substring(parts.field("datum"), "-", "")
            datum = pc.replace_substring(pc.replace_substring(datum, "1983", "83"), "1927", "27")
            datum = pc.replace_substring(datum, "1984", "84").to_numpy(zero_copy_only=False)
            again = _decode_distinct(parts.field("ref"))
            for whole, part in zip((lon, lat, size, polar, problem), again, strict=True):
                whole[odd] = part
            nad27 = odd[(datum == "NAD27") & (problem[odd] == "") & ~polar[odd]]
            problem[nad27] = f"is on {_NAD27_WHY}"
            lon[nad27] = lat[nad27] = size[nad27] = np.nan
            nad83[odd] = (datum == "NAD83") & (problem[odd] == "")
    uneven &= problem == ""
    problem[uneven] = (
        "writes its easting and northing with different numbers of digits (digits lost or "
        "misplaced)"
    )
    lon[uneven] = lat[uneven] = size[uneven] = np.nan
    return empty, lon, lat, size, polar, problem, nad83


#: Rules of a grid reference column's rejects (after ``coord_missing``).
MGRS_RULES = ("mgrs_polar", "mgrs_invalid")

#: The share of sampled written values shaped like references that makes an unnamed column
#: (or one named only ``position``) a column of references.
_CONTENT_SHARE = 0.8


def find_mgrs_column(raw: pd.DataFrame, taken: set[str], name: str) -> dict[str, Any] | None:
    """Return the evidence of the column of grid references, or None.

    A column is one by its header (``MGRS``, ``USNG``, ``Grid Ref``, ``grid_reference``:
    :data:`MGRS_HEADER_NAMES`) when any of its sampled values is shaped like a reference
    (the others are rejected with why), or by its values alone when most of them (80 %)
    are valid references; columns in ``taken`` (picked for another role) are passed over.
    Two candidates of one kind are refused.

    Raises
    ------
    InputError
        Two columns of references, or the one found has a header naming NAD 27.
    """
    named, by_content = [], []
    for col in raw.columns:
        col = str(col)
        if col in taken or raw[col].dtype.kind in "fiubM":
            continue
        if is_mgrs_header(col):
            share = mgrs_share(raw[col])
            if share > 0:
                named.append((col, share))
        elif (
            mgrs_share(raw[col]) >= _CONTENT_SHARE
            and (share := mgrs_share(raw[col], valid=True)) >= _CONTENT_SHARE
        ):
            by_content.append((col, share))
    found = named or by_content
    if not found:
        return None
    if len(found) > 1:
        raise InputError(
            f"{name}: columns {[c for c, _ in found]!r} all hold MGRS grid references; set "
            "columns: {coords: ...} in the config to name the records' position"
        )
    col, share = found[0]
    refuse_other_datum(col, name)
    return {
        "column": col,
        "by": "name" if named else "content",
        "format": "MGRS",
        "evidence": f"{share:.0%} of sampled values are MGRS/USNG grid references"
        + (" under a header naming them" if named else ""),
    }


def refuse_other_datum(column: str, name: str) -> None:
    """Refuse a column of grid references whose header names NAD 27 (``MGRS (NAD27)``).

    Raises
    ------
    InputError
        The header names NAD 27: its references are up to ~200 m from WGS84.
    """
    if mgrs_header_datum(column) == "NAD27":
        raise InputError(
            f"{name}: column {column!r} holds grid references on {_NAD27_WHY}; or, if "
            "they are on WGS84, rename the column"
        )


def mgrs_rules(values: pd.Series, pos: GridPositions, column: str) -> list[Rule]:
    """Return the rules rejecting a grid reference column's values that give no position.

    ``coord_missing`` (a blank), ``mgrs_polar`` and ``mgrs_invalid`` (the message saying
    why), of ``values`` decoded as ``pos`` (:func:`mgrs_to_lonlat`).
    """
    text = values.astype("str").where(~pos.missing, "")
    rules = [
        Rule("coord_missing", pos.missing, column, "MGRS reference is missing", text),
        Rule(
            "mgrs_polar",
            pos.polar,
            column,
            "{value} is a polar (UPS, band A, B, Y or Z) grid reference, which is not read",
            text,
        ),
    ]
    for why in sorted(set(pos.problem.tolist()) - {""}):
        rules.append(Rule("mgrs_invalid", pos.problem == why, column, f"{{value}} {why}", text))
    return rules


def read_mgrs_column(
    values: pd.Series, column: str, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Rule], list[str], dict[str, Any]]:
    """Read a column of grid references: (lon, lat, size_m, rules, notes, assumption).

    The rules reject a blank (``coord_missing``), a polar reference (``mgrs_polar``) and a
    value that is no reference (``mgrs_invalid``, the message saying why); the notes give
    the counts by precision and say when squares are coarser than 1 km, and when references
    on NAD 83 (by the header or the value) are read as WGS84.

    Raises
    ------
    InputError
        The header names NAD 27 (:func:`refuse_other_datum`).
    """
    refuse_other_datum(column, name)
    pos = mgrs_to_lonlat(values)
    rules = mgrs_rules(values, pos, column)
    sizes = pos.size_m[~np.isnan(pos.size_m)]
    sides, many = np.unique(sizes, return_counts=True)  # finest first
    counts = {_SIZE_WORDS[float(s)]: int(c) for s, c in zip(sides, many, strict=True)}
    by_size = ", ".join(f"{c} at {w}" for w, c in counts.items())
    notes = [
        f"{name}: positions read from MGRS/USNG grid references in {column!r}, each placed "
        f"at the centre of the square it names (WGS84): {by_size or 'none read'}"
    ]
    coarse = int((sizes > 1000).sum())
    if coarse:
        notes.append(
            f"{name}: {coarse} position(s) of {column!r} are coarse: grid references of a "
            f"10 km or 100 km square, each placed at its centre (up to {sizes.max() / 2:,.0f} "
            "m from the event on each axis)"
        )
    datum_notes = mgrs_datum_notes(pos, column, name)
    assumption = {
        "format": "MGRS",
        "placed_at": "square centre",
        "datum": "NAD83 read as WGS84" if datum_notes else "WGS84",
        "precision": counts,
    }
    return pos.lon, pos.lat, pos.size_m, rules, notes + datum_notes, assumption


_SIZE_WORDS = {1.0: "1 m", 10.0: "10 m", 100.0: "100 m", 1e3: "1 km", 1e4: "10 km", 1e5: "100 km"}


def mgrs_datum_notes(pos: GridPositions, column: str, name: str) -> list[str]:
    """Say that references on NAD 83 (by ``column``'s header or their own suffix) were read.

    NAD 83 and WGS84 differ by a metre or two in most places (up to ~2 m in the conterminous
    United States): within a 1 m reference's square or two, so read as WGS84, and said.
    """
    if mgrs_header_datum(column) == "NAD83":
        n = int((~np.isnan(pos.lat)).sum())
    else:
        n = int((pos.nad83 & ~np.isnan(pos.lat)).sum())
    if not n:
        return []
    return [
        f"{name}: {n} grid reference(s) of {column!r} on NAD 83 read as WGS84 (the two "
        "differ by about 1-2 m in most places)"
    ]


def mgrs_disagreements(
    lon: np.ndarray, lat: np.ndarray, values: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Return (mask, distance km) of positions farther from their grid reference than it allows.

    A point within its square is at most half the square's diagonal from the centre; 100 m
    more is allowed for rounding of the latitude/longitude written beside it.
    """
    pos = mgrs_to_lonlat(values)
    km = haversine_km(lon, lat, pos.lon, pos.lat)
    allowed = (pos.size_m * np.sqrt(0.5) + 100.0) / 1000.0
    far = ~np.isnan(km) & ~np.isnan(allowed) & (km > allowed)
    return far, km
