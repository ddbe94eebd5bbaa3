"""Positions from a table's text columns, shared by the seizure and context readers.

One column holding both coordinates (``"1.25, 104.1"``, a WKT point, a GeoJSON position) is
split the same way for every reader; columns of projected coordinates (UTM eastings and
northings) are refused without a ``crs`` and read as plain numbers with one, never half read
as degrees (``110547N`` is a northing beside ``388736E``, not 11°05'47"N); a latitude's
lowercase ``s`` after its seconds, and a one-dot value with a hemisphere letter (``04.10S``:
decimal, or degrees.minutes beside dotted ``01.15.30N``), are decided once for the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ._columns import name_tokens
from ._common import (
    DottedDegrees,
    LowercaseS,
    as_text,
    dotted_meaning,
    header_says_minutes,
    lowercase_s_meaning,
    missing_mask,
    parse_coordinate,
    regex_mask,
    split_pair,
    to_numbers,
)

__all__ = [
    "PAIR_UNREADABLE",
    "Positions",
    "ProjectedEvidence",
    "projected_evidence",
    "read_positions",
    "split_pair_column",
]

_LAT_WORDS = frozenset({"lat", "latitude", "y"})
_LON_WORDS = frozenset({"lon", "lng", "long", "longitude", "x"})
#: Header words that name projected coordinates (metres, not degrees).
_PROJECTED_WORDS = frozenset({"easting", "eastings", "northing", "northings", "utm"})

#: A JSON array of two or three numbers (as the JSON reader keeps it: numbers may be quoted).
_JSON_POSITION = (
    r'^\[\s*"?(?P<x>[^",\[\]\s]+)"?\s*,\s*"?(?P<y>[^",\[\]\s]+)"?'
    r'(?:\s*,\s*"?[^",\[\]\s]+"?)?\s*\]$'
)


#: A part of a pair that carries a latitude's (longitude's) hemisphere letter before or after it.
_LAT_LETTER = r"(?i)^\s*[NS]\s*[+-]?\d|\d\s*[°º'\"′″]?\s*[NS]\s*$"
_LON_LETTER = r"(?i)^\s*[EW]\s*[+-]?\d|\d\s*[°º'\"′″]?\s*[EW]\s*$"


def _geojson_positions(raw: pd.DataFrame, col: str) -> tuple[pd.Series, pd.Series, int] | None:
    """Return (lat text, lon text, count) of GeoJSON Point positions in a JSON-records column.

    A GeoJSON feature read as a JSON record (GeoJSON Lines, ``ogr2ogr -f GeoJSONSeq``) keeps
    its ``geometry.coordinates`` as the array text ``[lon, lat]``, longitude first by the
    specification; read as a 'lat lon' pair it lost every record.  Only a column named
    ``...coordinates`` beside its ``...type`` of ``Point`` is taken so; a value that is no
    such array is left as written (and rejected as it would be).
    """
    if not col.endswith("coordinates"):
        return None
    type_col = col[: -len("coordinates")] + "type"
    if type_col not in raw.columns:
        return None
    text = as_text(raw[col])
    parts = text.str.extract(_JSON_POSITION)
    point = as_text(raw[type_col]).eq("Point").to_numpy()
    hit = parts["x"].notna().to_numpy() & point
    if not hit.any():
        return None
    lon = parts["x"].where(hit, text)
    lat = parts["y"].where(hit, text)
    return lat, lon, int(hit.sum())


#: Header words of a pair column naming its axes: a northing is a y (the latitude's place)
#: and an easting an x ('position (easting, northing)' says its order as 'x/y' does).
_PAIR_LAT_WORDS = _LAT_WORDS | {"northing", "northings"}
_PAIR_LON_WORDS = _LON_WORDS | {"easting", "eastings"}


def _pair_order(column: str) -> str | None:
    """'lon' or 'lat': the axis a pair column's header names first (``lon/lat``, ``x y``).

    ``easting, northing`` is x first as ``x/y`` is: under a projected crs such a header was
    refused as saying no order (and before that read northing first).
    """
    toks = name_tokens(column)
    lat = [i for i, t in enumerate(toks) if t in _PAIR_LAT_WORDS]
    lon = [i for i, t in enumerate(toks) if t in _PAIR_LON_WORDS]
    if not lat or not lon:
        return None
    return "lon" if lon[0] < lat[0] else "lat"


#: The reject of a written value that is no pair: its rule is not coord_missing (the value
#: had been lost from the rejects file, shown as '' under "latitude or longitude is missing").
PAIR_UNREADABLE = (
    "coord_unparseable",
    "{value} is not a coordinate pair ('lat, lon', degrees with N/S and E/W), a WKT point "
    "or a hexadecimal WKB point in EPSG:4326",
)


def split_pair_column(
    raw: pd.DataFrame, col: str, name: str, evidence: dict[str, Any], *, crs=None
) -> tuple[pd.Series, pd.Series, dict[str, Any], list[str], np.ndarray]:
    """Split one column of coordinate pairs into (lat text, lon text, evidence, notes, unread).

    ``"1.25, 104.1"`` and ``1°15'N 104°06'E`` are latitude first; a pair whose first part
    ends in E/W, a WKT point and a GeoJSON position (``geometry.coordinates`` beside a
    ``geometry.type`` of ``Point``) are longitude first, as is every pair of a column whose
    header names the longitude first (``coordinates (lon/lat)``).  ``evidence`` is the
    column's evidence, returned with the order added when it was decided.  ``unread`` is
    True where a value is written but splits into no pair (``near the port``, a single
    number): reject it as :data:`PAIR_UNREADABLE` with its value, before any missing rule.

    Under a projected ``crs`` a pair of plain numbers says no order (GIS tools write
    ``easting, northing``, x first; a 'lat, lon' habit writes the northing first): unless
    its header, WKT, or E/N letters say it, the column is refused.  PostGIS's EWKT whose
    SRID is the ``crs``'s EPSG code (``SRID=32648;POINT(388736 110547)``) is read as WKT in
    it; another SRID is no pair.

    Raises
    ------
    InputError
        Pairs of projected coordinates whose order nothing states.
    """
    pair = raw[col]
    text = as_text(pair)
    srid = _epsg_code(crs)
    if srid is not None and srid != 4326:
        # PostGIS's EWKT ('SRID=32648;POINT(388736 110547)', ST_AsEWKT) in the crs the config
        # states: x y in it (every record had been rejected as no pair); another SRID stays
        # unread, never taken for the crs's
        text = text.str.replace(rf"^\s*SRID={srid}\s*;", "", regex=True, case=False)
    lat_raw, lon_raw, stated = split_pair(text)
    # '1°27'N 103°54'E' says its order by its letters as '103°54'E 1°27'N' does: a header
    # naming the longitude first swapped it (and lost the record to lat_out_of_range)
    stated = stated | (
        lat_raw.str.contains(_LAT_LETTER, regex=True, na=False).to_numpy(dtype=bool)
        & lon_raw.str.contains(_LON_LETTER, regex=True, na=False).to_numpy(dtype=bool)
    )
    geojson = _geojson_positions(raw, col)
    if geojson is not None:  # newline-delimited GeoJSON features: [lon, lat]
        lat_raw, lon_raw, n_gj = geojson
        stated = np.ones(len(raw), dtype=bool)
        evidence = {
            **evidence,
            "order": "lon, lat",
            "evidence": f"{evidence.get('evidence', '')}; {n_gj} GeoJSON point "
            "position(s), longitude first (RFC 7946)",
        }
        notes = [
            f"{name}: {n_gj} position(s) of {col!r} read as GeoJSON points [longitude, latitude]"
        ]
    else:
        notes = []
    if _pair_order(col) == "lon":  # 'coordinates (lon/lat)': the header says
        swap = ~stated  # WKT and E/W letters say for themselves
        lat_raw, lon_raw = lat_raw.where(~swap, lon_raw), lon_raw.where(~swap, lat_raw)
        evidence = {
            **evidence,
            "order": "lon, lat",
            "evidence": f"{evidence.get('evidence', '')}; its header names the longitude first",
        }
        notes.append(f"{name}: pairs of {col!r} read longitude first, as its header says")
    gone = missing_mask(pair)
    lat_raw, lon_raw = lat_raw.where(~gone, ""), lon_raw.where(~gone, "")
    unread = ~gone & (lat_raw.eq("") & lon_raw.eq("")).to_numpy(dtype=bool)
    unsaid = ~stated & ~gone & ~unread
    if (
        _pair_order(col) is None
        and unsaid.any()
        and _is_projected(crs)
        and _beyond_degrees(lat_raw[unsaid], lon_raw[unsaid])
    ):
        # '388736, 110547' under EPSG:32648 was read as northing 388736, easting 110547:
        # 330 km from the point, unsaid (degrees under a projected crs are refused later)
        example = str(pair[unsaid].iloc[0]).strip()
        raise InputError(
            f"{name}: {col!r} holds pairs of projected coordinates ({example!r}) whose order "
            f"nothing says (easting first as GIS tools write x, y, or northing first as a "
            f"'lat, lon' pair); name the order in its header ('{col} (x/y)' or "
            f"'{col} (y/x)', or easting/northing), write them as WKT POINT (x y) or with E and N letters, or give "
            "two columns"
        )
    return lat_raw, lon_raw, evidence, notes, unread


def _beyond_degrees(lat: pd.Series, lon: pd.Series) -> bool:
    """Whether a pair's numbers are no degree values (one beyond 90 or 180): metres."""
    a, b = (np.abs(to_numbers(v).to_numpy(dtype="float64")) for v in (lat, lon))
    return bool(np.any(a > 90.0) or np.any(b > 180.0))


#: A number with thousands separators that no decimal comma writes: two groups or more
#: (``9,861,808``), or a group and a decimal point (``388,736.5``).
_THOUSANDS = r"(?:^|[^\d,.])\d{1,3}(?:(?:,\d{3}){2,}(?:\.\d*)?|,\d{3}\.\d*)(?:$|[^\d,.])"
#: One comma before three digits and at most three before it: thousands or decimal.
_ONE_GROUP = r"(?:^|[^\d,.])\d{1,3},\d{3}(?:$|[^\d,.])"
#: One comma between digits: a decimal comma unless it is :data:`_ONE_GROUP`.
_ONE_COMMA = r"(?:^|[^\d,.])\d+,\d+(?:$|[^\d,.])"


def _metre_commas(values: pd.Series, name: str, cols: str) -> str | None:
    """Return what the commas of projected coordinates are: 'thousands', 'decimal' or None.

    Spreadsheets write eastings with thousands separators (``388,736``, ``9,861,808``) and
    European exports with a decimal comma (``388736,5``); ``388,736`` alone is either,
    388,736 m or 388.736 m.  Read as a decimal it put every position within a kilometre of
    the projection's origin (400 km from UTM's), valid, with exit 0.  ``values`` (a file's
    eastings and northings together) decide; when nothing in them does, the file is
    refused.  (Values that are no degrees without a ``crs`` are counted as metres as
    :func:`to_numbers` reads them: this decides only how metres are read.)

    Raises
    ------
    InputError
        Only ``388,736``-like values, or both readings in ``values``.
    """
    if not regex_mask(values, r"\d,\d").any():
        return None
    thousands = regex_mask(values, _THOUSANDS)
    either = regex_mask(values, _ONE_GROUP)
    decimal = regex_mask(values, _ONE_COMMA) & ~either
    if thousands.any() != decimal.any():
        return "thousands" if thousands.any() else "decimal"
    if not thousands.any() and not either.any():  # '388.736,5': no number these read
        return None
    text = as_text(values)
    if thousands.any():
        why = (
            f"they write both thousands separators ({text[thousands].iloc[0]!r}) "
            f"and decimal commas ({text[decimal].iloc[0]!r})"
        )
    else:
        example = str(text[either].iloc[0])
        why = (
            f"{example!r} is {example.replace(',', '')} with a thousands separator or "
            f"{example.replace(',', '.')} with a decimal comma, and no value says which"
        )
    raise InputError(
        f"{name}: the projected coordinates of {cols} are ambiguous: {why}; write them "
        "without thousands separators in the export"
    )


def _metres(values: pd.Series, letter: str, commas: str | None) -> pd.Series:
    """Numbers of projected coordinates, an ``m`` and the axis's letter dropped (``388736E``).

    Plain numbers are read as they are; only the other texts go through the letters' pattern
    (a track of millions of plain eastings is one vectorised pass).  Commas are thousands
    separators or decimal commas as ``commas`` says (:func:`_metre_commas`); None detects a
    decimal comma as :func:`to_numbers` does.
    """
    if values.dtype.kind in "fiub":
        return values.astype("float64")
    if commas == "thousands":
        values = as_text(values).str.replace(",", "", regex=False).where(~missing_mask(values))
    decimal = True if commas == "decimal" else None
    nums = to_numbers(values, decimal_comma=decimal)
    todo = nums.isna().to_numpy() & ~missing_mask(values)
    if todo.any():
        text = as_text(values[todo]).str.replace(
            rf"^\s*(?:{letter}\s*)?(?P<v>[^A-Za-z]*?)\s*(?:m\s*)?(?:{letter})?\s*$",
            r"\g<v>",
            regex=True,
            case=False,
        )
        nums[todo] = to_numbers(text, decimal_comma=decimal).to_numpy(dtype="float64")
    return nums


def _epsg_code(crs) -> int | None:
    """Return the EPSG code of ``crs`` (None when none, or not one pyproj can tell)."""
    if crs is None:
        return None
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return CRS.from_user_input(crs).to_epsg()
    except CRSError:  # reproject_xy names the bad CRS
        return None


def _is_projected(crs) -> bool:
    if crs is None:
        return False
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return bool(CRS.from_user_input(crs).is_projected)
    except CRSError:  # reproject_xy names the bad CRS
        return False


@dataclass
class ProjectedEvidence:
    """What a file's positions say about projected coordinates (metres, not degrees).

    Counted a block at a time (:func:`projected_evidence`) and added up in file order
    (:meth:`add`), then decided once (:meth:`decide`): a burst of eastings in one block is
    judged on the file, not refused in blocks and read whole.  Per axis (lat, lon): the
    values given, those beyond 1,000 that are no degree value (``big``), the first of those
    and the first that is no plain degree value (for a header naming eastings/northings).
    What tells the kinds of scaled whole numbers apart (semicircles, degrees x 10^7, AIS's
    1/10,000 minute) is counted on the blocks holding such values (``scaled``).
    """

    given: tuple[int, int] = (0, 0)
    big: tuple[int, int] = (0, 0)
    first_big: tuple[str | None, str | None] = (None, None)
    first_odd: tuple[str | None, str | None] = (None, None)  # no plain degree value
    scaled: ScaledNumbers | None = None
    cols: str = ""  # the position columns, as a refusal names them

    def add(self, other: ProjectedEvidence) -> None:
        """Add the evidence of the next block (in file order)."""
        self.cols = self.cols or other.cols
        self.given = (self.given[0] + other.given[0], self.given[1] + other.given[1])
        self.big = (self.big[0] + other.big[0], self.big[1] + other.big[1])
        self.first_big = _first_of(self.first_big, other.first_big)
        self.first_odd = _first_of(self.first_odd, other.first_odd)
        if other.scaled is not None:
            if self.scaled is None:
                self.scaled = ScaledNumbers()
            self.scaled.add(other.scaled)

    def decide(self, name: str) -> None:
        """Refuse projected coordinates (or scaled whole numbers) read as degrees.

        Raises
        ------
        InputError
            Most values of an axis are no degree value, or the header names eastings,
            northings or UTM over values that are not plain degrees.
        """
        cols = self.cols
        header = sorted(set(name_tokens(cols)) & _PROJECTED_WORDS)
        why = ""
        for i in (1, 0):  # the longitudes (eastings) first
            if self.given[i] and self.big[i] > 0.5 * self.given[i]:
                why = f"{(self.first_big[i] or '').strip()!r} is no degree value"
            elif header and (odd := self.first_odd[i]) is not None:
                bad = odd.strip()
                why = f"the header says {'/'.join(header)} and {bad!r} is not a plain degree value"
            if why:
                break
        if why:
            example = self.first_big[0] or self.first_big[1]
            _refuse_projected(self.scaled or ScaledNumbers(), header, why, cols, name, example)


def _first_of(a: tuple, b: tuple) -> tuple:
    return tuple(x if x is not None else y for x, y in zip(a, b, strict=True))


@dataclass
class ScaledNumbers:
    """What tells metres from scaled whole-number degrees, added up over blocks.

    Counted on the (lat, lon) numbers of the blocks that hold values no degree value: the
    finite latitudes and how many pass every projection's northings, the largest sizes,
    whether every number is whole, and AIS's 'not available' values seen.
    """

    lat_n: int = 0
    lon_n: int = 0
    lat_beyond: int = 0  # latitudes beyond Web Mercator's northings (_NO_METRES)
    lat_max: float = 0.0
    lon_max: float = 0.0
    whole: bool = True
    ais_lat_na: bool = False
    ais_lon_na: bool = False
    #: every number fits degrees and minutes run together (NMEA's ddmm.mmmm, dddmm.mmmm)
    minutes: bool = True

    def add(self, other: ScaledNumbers) -> None:
        self.lat_n += other.lat_n
        self.lon_n += other.lon_n
        self.lat_beyond += other.lat_beyond
        self.lat_max = max(self.lat_max, other.lat_max)
        self.lon_max = max(self.lon_max, other.lon_max)
        self.whole = self.whole and other.whole
        self.ais_lat_na = self.ais_lat_na or other.ais_lat_na
        self.ais_lon_na = self.ais_lon_na or other.ais_lon_na
        self.minutes = self.minutes and other.minutes


def _scaled_numbers(raws: tuple[pd.Series, pd.Series]) -> ScaledNumbers:
    lat, lon = (to_numbers(r).to_numpy(dtype="float64") for r in raws)
    lat, lon = lat[np.isfinite(lat)], lon[np.isfinite(lon)]
    return ScaledNumbers(
        lat_n=int(lat.size),
        lon_n=int(lon.size),
        lat_beyond=int((np.abs(lat) > _NO_METRES).sum()),
        lat_max=float(np.abs(lat).max(initial=0.0)),
        lon_max=float(np.abs(lon).max(initial=0.0)),
        whole=bool((lat == np.trunc(lat)).all() and (lon == np.trunc(lon)).all()),
        ais_lat_na=bool((lat == _AIS_LAT_NA).any()),
        ais_lon_na=bool((lon == _AIS_LON_NA).any()),
        minutes=_degree_minutes(lat, 90.0) and _degree_minutes(lon, 180.0),
    )


def _degree_minutes(values: np.ndarray, top: float) -> bool:
    """Whether every number reads as degrees and minutes run together (``5130.1234``)."""
    a = np.abs(values)
    return bool(a.size) and bool(((a < top * 100) & (np.mod(a, 100) < 60)).all())


def _as_degree_minutes(text: str) -> str:
    """Write ``5130.1234`` as NMEA means it, ``51°30.1234'``."""
    whole, dot, frac = text.strip().lstrip("+-").partition(".")
    return f"{int(whole[:-2] or 0)}°{whole[-2:]}{dot}{frac}'"


def projected_evidence(
    raws: tuple[pd.Series, pd.Series],
    degrees: tuple[pd.Series, pd.Series],
    missing: tuple[np.ndarray, np.ndarray],
    cols: str,
) -> ProjectedEvidence:
    """Count what :meth:`ProjectedEvidence.decide` decides on in one block of positions.

    ``raws``, ``degrees`` and ``missing`` are (lat, lon) each.  Only the values that are no
    degree value are looked at again, so a block of plain degrees costs one comparison.
    """
    header = bool(set(name_tokens(cols)) & _PROJECTED_WORDS)
    given_n, big_n = [0, 0], [0, 0]
    first_big: list[str | None] = [None, None]
    first_odd: list[str | None] = [None, None]
    axes = zip(raws, degrees, missing, ("N", "E"), (90.0, 180.0), strict=True)
    for i, (raw, deg, miss, letter, top) in enumerate(axes):
        given = ~np.asarray(miss, dtype=bool)
        given_n[i] = int(given.sum())
        as_deg = np.abs(deg.to_numpy(dtype="float64")) <= top
        other = given & ~as_deg  # no degree value: metres, or junk
        big = np.zeros(len(raw), dtype=bool)
        if other.any():
            big[other] = _metres(raw[other], letter, None).abs().to_numpy(dtype="float64") > 1000
        big_n[i] = int(big.sum())
        if big_n[i]:
            first_big[i] = str(raw[big].iloc[0])
        if header and given.any():
            plain = np.abs(to_numbers(raw).to_numpy(dtype="float64")) <= top
            if not plain[given].all():
                first_odd[i] = str(raw[given & ~plain].iloc[0])
    odd = any(big_n) or first_odd != [None, None]
    return ProjectedEvidence(
        given=(given_n[0], given_n[1]),
        big=(big_n[0], big_n[1]),
        first_big=(first_big[0], first_big[1]),
        first_odd=(first_odd[0], first_odd[1]),
        scaled=_scaled_numbers(raws) if odd else None,
        cols=cols,
    )


def _refuse_projected(
    scaled: ScaledNumbers,
    header: list[str],
    why: str,
    cols: str,
    name: str,
    example: str | None = None,
) -> None:
    """Refuse coordinates that are projected (metres) when no CRS says which projection."""
    sentinel = _ais_not_available(scaled)
    if sentinel:
        raise InputError(
            f"{name}: {cols} hold AIS's own units, 1/10,000 minute (AISHub's format 0, "
            f"decoded AIS messages: {sentinel}), not degrees; export them in degrees "
            "(AISHub: format=1), or convert them (degrees = value / 600000; the speed is then "
            "in 1/10 knot and the course in 1/10 degree)"
        )
    named = bool({"semicircle", "semicircles"} & set(name_tokens(cols)))
    if named or _semicircles(scaled) or _beyond_metres(scaled):
        # a FIT file's position_lat/position_long, a tracker's degrees x 10^7 or AIS's
        # 1/10,000 minute: setting a projected crs, as for metres, would misread them
        if named or _beyond_1e7_degrees(scaled):
            raise InputError(
                f"{name}: {cols} hold FIT semicircles (degrees x 2^31/180), not degrees; "
                "export them in degrees, or convert them (degrees = value x 180 / 2147483648)"
            )
        ais = (
            "; AIS's own units, 1/10,000 minute (AISHub's format 0: degrees = value / 600000)"
            if _within_ais_units(scaled)
            else ""
        )
        raise InputError(
            f"{name}: {cols} hold scaled whole numbers, not degrees: degrees x 10^7 (Teltonika "
            "and other trackers, OSM, MAVLink: degrees = value / 10000000); degrees x 10^6 "
            "(micro-degrees, the E6 of some trackers and web APIs: degrees = value / 1000000); "
            "FIT semicircles "
            f"(degrees = value x 180 / 2147483648){ais}; convert them as the source's "
            "documentation says, or export them in degrees"
        )
    if not header and _within_ais_units(scaled):
        # whole numbers under plain latitude/longitude headers: AISHub's format 0 south of
        # 35 degrees (25.1 N is 15,060,000) fits every projection's metres too
        raise InputError(
            f"{name}: {cols} hold projected coordinates (metres or feet: {why}) or AIS's own "
            "units, 1/10,000 minute (AISHub's format 0, decoded AIS messages: whole numbers "
            "as these are), not degrees, and the values do not say which: if projected, set "
            f"crs: to their CRS in the config ({_CRS_EXAMPLES}); if AIS units, "
            "export them in degrees (AISHub: format=1) or convert them (degrees = value / "
            "600000; the speed is then in 1/10 knot and the course in 1/10 degree)"
        )
    if not header and scaled.minutes and not scaled.whole and example:
        # a GPS logger's NMEA fields without their hemisphere letters: a crs, as for
        # metres, would read every one of them as metres from the projection's origin
        raise InputError(
            f"{name}: {cols} hold projected coordinates (metres or feet: {why}) or degrees "
            "and minutes run together as NMEA writes them "
            f"({example.strip()!r} = {_as_degree_minutes(example)}), not degrees, and the "
            f"values do not say which: if projected, set crs: to their CRS in the config "
            f"({_CRS_EXAMPLES}); if degrees and minutes, convert them (degrees = the digits "
            "before the last two of the whole part + the rest / 60)"
        )
    raise InputError(
        f"{name}: {cols} hold projected coordinates (metres or feet: {why}), not degrees; "
        f"set crs: to their CRS in the config ({_CRS_EXAMPLES}) to read them"
    )


#: Projected CRSs a refusal names as examples: metres and the US survey feet of a State Plane.
_CRS_EXAMPLES = (
    "e.g. 'EPSG:32648' for UTM zone 48N in metres, 'EPSG:3435' for Illinois East State "
    "Plane in US feet"
)


#: Beyond every projection's metres: Web Mercator's northings end at 20,037,508 m.
_NO_METRES = 2.1e7


def _semicircles(s: ScaledNumbers) -> bool:
    """Whether (lat, lon) numbers are FIT semicircles (degrees x 2^31 / 180), not metres.

    Most latitudes beyond every projection's northings (Web Mercator ends at 20,037,508 m)
    yet within 2^30 (90 degrees), beside longitudes within 2^31: a FIT export without the
    unit in its header (``record.position_lat``), where setting a projected crs, as the
    metres' advice says, would misread every position.
    """
    if not s.lat_n or not s.lon_n:
        return False
    return bool(2 * s.lat_beyond > s.lat_n and s.lat_max <= 2.0**30 and s.lon_max <= 2.0**31)


def _whole_sizes(s: ScaledNumbers) -> tuple[float, float] | None:
    """Return the largest size of the (lat, lon) numbers; None unless every one is whole."""
    return (s.lat_max, s.lon_max) if s.whole else None


def _beyond_metres(s: ScaledNumbers) -> bool:
    """Whether the numbers are whole and one is beyond every projection's metres."""
    sizes = _whole_sizes(s)
    return sizes is not None and max(sizes) > _NO_METRES


#: AIS's 'not available' position, 91 and 181 degrees, in its own 1/10,000 minute.
_AIS_LAT_NA, _AIS_LON_NA = 91 * 600_000, 181 * 600_000


def _ais_not_available(s: ScaledNumbers) -> str:
    """Return the AIS "not available" value (1/10,000 minute) the numbers hold, or "".

    54,600,000 and 108,600,000 are 91 and 181 degrees in AIS's own unit: no projection's
    metres and no device's scaled degrees write them.
    """
    if s.ais_lat_na:
        return f"{_AIS_LAT_NA} is its 'latitude not available', 91 degrees"
    if s.ais_lon_na:
        return f"{_AIS_LON_NA} is its 'longitude not available', 181 degrees"
    return ""


def _within_ais_units(s: ScaledNumbers) -> bool:
    """Whether every number is a whole number within AIS's range in 1/10,000 minute."""
    sizes = _whole_sizes(s)
    return sizes is not None and sizes[0] <= _AIS_LAT_NA and sizes[1] <= _AIS_LON_NA


def _beyond_1e7_degrees(s: ScaledNumbers) -> bool:
    """Whether scaled (lat, lon) numbers pass 90 or 180 degrees x 10^7: semicircles then."""
    return bool(s.lat_max > 9e8 or s.lon_max > 1.8e9)


#: Name tokens that state a coordinate column's scale: Google's Location History
#: (``latitudeE7``), trackers' and web APIs' ``lat_e6``/micro-degrees.
_NAMED_SCALES = {"e7": 7, "e6": 6, "e5": 5, "microdeg": 6, "microdegree": 6, "microdegrees": 6}


def _named_scale(lat_col: str, lon_col: str) -> int | None:
    """Return k where both columns' names say degrees x 10^k (``latitudeE7``), else None."""
    if lat_col == lon_col:
        return None
    found = [
        {_NAMED_SCALES[t] for t in name_tokens(c) if t in _NAMED_SCALES} for c in (lat_col, lon_col)
    ]
    both = found[0] & found[1]
    return next(iter(both)) if len(both) == 1 and found[0] == found[1] else None


def _scaled_positions(lat: pd.Series, lon: pd.Series, k: int, cols: str, name: str) -> Positions:
    """Degrees of columns whose names say degrees x 10^k: their numbers over 10^k.

    Such a column was refused as holding "scaled whole numbers" though its header said which.
    Only whole numbers are read: degree text and a number with a fraction there are no value
    of the column's unit (NaN, rejected as unparseable), and a value beyond ±90/±180 after
    scaling is rejected as any other is.

    Raises
    ------
    InputError
        Every number within ±90/±180 as written: degrees under such names (``lat_e7`` of
        51.5074) were divided too, every point put within metres of Null Island.
    """
    values = [to_numbers(v) for v in (lat, lon)]
    given = [np.abs(x[np.isfinite(x)].to_numpy()) for x in values]
    if given[0].size and given[1].size and given[0].max() <= 90 and given[1].max() <= 180:
        raise InputError(
            f"{name}: {cols} are named degrees x 10^{k} but every number is within ±90/±180 "
            f"as degrees are (read as degrees x 10^{k}, every point within "
            f"{2.24e7 / 10**k:.3g} m of 0°, 0°); if they hold degrees, rename the columns"
        )
    notes = [
        f"{name}: {cols} read as degrees x 10^{k}, as their names say (degrees = value / {10**k:,})"
    ]
    part = [x.ne(np.round(x)) & np.isfinite(x) for x in values]
    if any(bool(p.any()) for p in part):
        # a stray degree value (51.5) read as 51.5 x 10^-k degrees lay beside Null Island
        notes.append(
            f"{name}: numbers with a fraction in {cols} are no whole number of degrees x "
            f"10^{k}: rejected as unparseable"
        )
    lat_v, lon_v = (x.where(~p) / 10.0**k for x, p in zip(values, part, strict=True))
    lat_miss, lon_miss = missing_mask(lat), missing_mask(lon)
    return Positions(lat_v, lon_v, lat_miss, lon_miss, np.zeros(len(lat), dtype=bool), notes)


@dataclass
class Positions:
    """Coordinates read from text: degrees (or metres under a projected ``crs``)."""

    lat: pd.Series
    lon: pd.Series
    lat_missing: np.ndarray
    lon_missing: np.ndarray
    wrong_axis: np.ndarray
    notes: list[str] = field(default_factory=list)
    #: what the file says about one-dot values with a letter (``04.10S``), when any
    dotted: dict[str, str] | None = None


def read_positions(
    lat: pd.Series,
    lon: pd.Series,
    *,
    crs,
    lat_col: str,
    lon_col: str,
    name: str,
    lowercase_s: LowercaseS | None = None,
    dotted: DottedDegrees | None = None,
    projected: ProjectedEvidence | None = None,
) -> Positions:
    """Read a table's latitude and longitude text as the file writes them.

    Under a projected ``crs`` the values are numbers (an ``m`` or an ``E``/``N`` after them
    dropped); never degree text.  Without a ``crs``, projected values (most beyond ±1000 and
    no degree text, or a header naming eastings/northings/UTM over values that are not plain
    degrees) are refused.  Otherwise degrees, decimal or degree-minute-second text, with a
    lowercase ``s`` after a latitude's seconds decided for the file.

    ``lat`` and ``lon`` are the whole file, or one block of a file read in blocks: then
    ``lowercase_s`` holds the whole file's counts of the lowercase ``s`` (when any block has
    one), and ``projected`` collects this block's evidence of projected coordinates,
    decided once for the file by the caller (:meth:`ProjectedEvidence.decide`); neither is
    decided on the block's values alone.

    Raises
    ------
    InputError
        Projected coordinates without a ``crs`` (unless ``projected`` collects them), a
        lowercase ``s`` nothing decides, or one-dot values the file says both ways.
    """
    cols = repr(lat_col) if lat_col == lon_col else f"{lat_col!r}/{lon_col!r}"
    if _is_projected(crs):
        commas = None
        if not (lat.dtype.kind in "fiub" and lon.dtype.kind in "fiub"):
            commas = _metre_commas(pd.concat((lat, lon), ignore_index=True), name, cols)
        return Positions(
            _metres(lat, "N", commas),
            _metres(lon, "E", commas),
            missing_mask(lat),
            missing_mask(lon),
            np.zeros(len(lat), dtype=bool),
        )
    scale = _named_scale(lat_col, lon_col)  # no crs, or a geographic one: degrees
    if scale is not None:
        return _scaled_positions(lat, lon, scale, cols, name)
    s_south, note = lowercase_s_meaning(lat, lon, lat_col=lat_col, name=name, file=lowercase_s)
    minutes, dotted_note, decided = dotted_meaning(lat, lon, cols=cols, name=name, file=dotted)
    lat_v, lat_miss, lat_wrong = parse_coordinate(lat, "lat", s_south=s_south, minutes=minutes)
    lon_v, lon_miss, lon_wrong = parse_coordinate(lon, "lon", minutes=minutes)
    packed_note = None
    if lat_col != lon_col:
        lat_v, lat_packed = _header_packed_minutes(lat, lat_v, lat_col, "lat")
        lon_v, lon_packed = _header_packed_minutes(lon, lon_v, lon_col, "lon")
        if lat_packed or lon_packed:
            packed_note = (
                f"{name}: {cols} say degrees and minutes in their header; numbers written "
                "with the degrees and minutes run together (NMEA's ddmm.mmmm, dddmm.mmmm: "
                "'0030.40' is 0°30.40') are read so; a number of fewer whole digits is read "
                "as decimal degrees"
            )
    if crs is None:
        found = projected_evidence((lat, lon), (lat_v, lon_v), (lat_miss, lon_miss), cols)
        if projected is None:
            found.decide(name)
        else:
            projected.add(found)
    return Positions(
        lat_v,
        lon_v,
        lat_miss,
        lon_miss,
        lat_wrong | lon_wrong,
        [n for n in (note, dotted_note, packed_note) if n],
        decided,
    )


#: A number as NMEA writes a position's degrees and minutes run together (``0030.40``).
_PACKED = r"^\s*([+-]?)(\d{%d,})(\.\d*)?\s*$"


def _header_packed_minutes(
    raw: pd.Series, values: pd.Series, column: str, axis: str
) -> tuple[pd.Series, bool]:
    """Read numbers of a column its header says is in degrees and minutes as NMEA writes them.

    Under ``Latitude (deg min)`` a lone number of four whole digits (five for a longitude:
    ``0030.40``, ``00112.10``, ``4530.40``), or more, is degrees and minutes run together;
    read as decimal degrees, ``0030.40`` was 30.4°N and ``4530.40`` a rejected latitude.
    Minutes of 60 or more leave the value unreadable (NaN: rejected as such).  Fewer
    whole digits stay decimal degrees (``12.5``; the header's layout is ``12 30.5``).
    Returns the values and whether any number was read so.
    """
    if not header_says_minutes(column):
        return values, False
    # a number column (a workbook's) has lost its leading zeros: 4530.4 still reads so
    parts = raw.astype("str").str.extract(_PACKED % (4 if axis == "lat" else 5))
    hit = parts[1].notna().to_numpy()
    if not hit.any():
        return values, False
    digits = parts[1][hit]
    deg = digits.str[:-2].astype("float64").to_numpy()
    mins = (digits.str[-2:] + parts[2][hit].fillna("")).astype("float64").to_numpy()
    read = np.where(mins < 60, deg + mins / 60.0, np.nan)
    read = np.where(parts[0][hit].to_numpy() == "-", -read, read)
    out = values.copy()
    out.iloc[np.flatnonzero(hit)] = read
    return out, True
