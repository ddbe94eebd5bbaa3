"""Read vessel tracks (AIS CSV, JSON records, GPX, point or LineString layers) into the pings table.

JSON Lines and JSON arrays of position objects are read as text tables
(:mod:`pipeline.ingest._json`) and then exactly as a CSV.

AIS CSV schemas recognised from the header (or forced with ``schema``):

``generic``
    ``mmsi,timestamp,lat,lon,sog,cog`` and the usual variants (``Latitude_degrees``,
    ``SOG_knots``, ``Time``, ...).
``dma``
    Danish Maritime Authority: ``# Timestamp,Type of mobile,MMSI,Latitude,Longitude,...``
    with day-first ``dd/mm/yyyy HH:MM:SS`` times.
``marinecadastre``
    US MarineCadastre: ``MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,...``
    (also the lower-case ``mmsi,base_date_time,...`` of later years).
``gtfs_rt``
    Flattened GTFS-realtime vehicle positions: ``vehicle_id`` (or ``vehicle.id``), ``trip_id``,
    ``route_id``, ``latitude``, ``longitude``, ``bearing``, ``speed`` in **m/s**, ``timestamp``
    in epoch seconds.  Speed is converted to knots.
``fit``
    A Garmin FIT activity's records as CSV: ``timestamp``, ``position_lat``,
    ``position_long``, ``speed``/``enhanced_speed`` in **m/s**.  Whole-second timestamps
    (FIT counts from 1989-12-31, Unix from 1970: a guess) are refused.

LineString (or MultiLineString) layers give one ping per vertex.  Their times are the vertex
times GPX/KML-to-GeoJSON converters write (``coordTimes``, or ``coordinateProperties.times``;
a MultiLineString's as a list per part) or a ``timestamps`` list of epoch seconds or
milliseconds (told apart by magnitude), else interpolated by distance between the feature's
start and end times, else the route is untimed (noted).  A list whose length is not the
feature's number of vertices rejects the feature (``vertex_times_count``).

Columns are recognised by name and content (:mod:`pipeline.ingest._columns`).  A vessel id must
be an identity: a column with a different value on every row (a record id, or a one-poll
snapshot of a bus feed) is refused with a message naming the columns whose values do repeat.

AIS "not available" sentinels are missing values, never positions, and each is counted:
latitude 91 or longitude 181 rejects the ping (``position_unavailable``); SOG 102.3 (any SOG
> 102.2) and COG 360 (any COG >= 360) keep the ping without a speed or course, and a note
says how many of the accepted pings lack each, in which column; heading (511) is not read at all.  SOG in
tenths of a knot (0..1023) and COG in tenths of a degree (0..3600) under headers that name
no scale are refused by their values (:func:`_refuse_raw_tenths`).

Rule ids (first failing rule per ping, in this order): ``ragged_row``, ``unbalanced_quote``
(a quote opened and not closed before lines that read as records: the line is rejected and
reading restarts after it), ``repeated_header`` (the header line again, or the units row below
it, in files joined end to end; a units row naming other units than the first is refused), ``geometry_missing`` and ``geometry_wrong_type`` (a feature of a
LineString route layer without any vertex: empty, or not a line; a polygon in a layer of
points), ``multipoint`` (a MultiPoint feature of several points in a layer of pings: one time
for all its points; one of a single point is that point), ``vertex_times_count`` (a
route feature whose list of vertex times is not as long as its vertices: one row per feature,
none of its vertices kept), ``vessel_missing``,
``mmsi_invalid`` (not 9 digits), ``mmsi_not_vessel`` (base station 00MIDxxxx, group call
0MIDxxxxx, aid to navigation 99MIDxxxx, SAR aircraft 111MIDxxx, SART/MOB/EPIRB 97xxxxxxx,
handheld 8xxxxxxxx, placeholders such as 123456789 or a repeated digit), ``position_unavailable``
(sentinel 91/181), ``coord_missing``, ``mgrs_polar`` and ``mgrs_invalid`` (an MGRS grid
reference that is polar, or none: the message says why), ``coord_unparseable``,
``coord_out_of_crs`` (the
configured CRS cannot place the position), ``lat_out_of_range`` (an infinite value too),
``lon_out_of_range``, ``null_island``, ``fix_invalid`` (the device's own validity flag,
a ``valid`` column, says the fix is not valid: Traccar keeps the last position on such a
record), ``time_unparseable``, ``time_out_of_range`` (a real
date outside the nanosecond range, never wrapped), ``time_before_gps`` (before 1980-01-06, the
start of GPS time: a device or receiver clock reset to the Unix epoch, 1970-01-01, never a
fix), ``time_zone_unknown`` (a local time whose
UTC offset column is empty or not an offset), ``time_missing`` (an untimed point
in a timed track; a track without any time is kept as an untimed route), ``outside_aoi``,
``gps_week_rollover`` (a ping dated a whole number of 1024-week GPS cycles, 7168 days,
before its vessel's other pings: a receiver's week-number rollover), ``duplicate`` (same vessel, time and position as an earlier ping), ``duplicate_time`` (same
vessel and time, another position: the first ping is kept), ``impossible_speed`` (a ping
reached and left, or only reached at a track's end, faster than ``max_speed_kn``; great-circle
distances, so a track crossing the antimeridian is a short hop, never a trip around the globe).
Across files (the runner, :func:`reject_repeated_pings`): ``duplicate_across_files`` (same
vessel and time as a ping of an earlier input file, whose file and line are the value; a raw
AIS ping also when it is the same report, bits and vessel, as an earlier file's ping at most
30 s away: another receiver's log of the transmission, :func:`repeated_reports`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, get_args

import numpy as np
import pandas as pd
import shapely

from .._ctype import use_ascii_case
from ..errors import InputError, SourceUnreadable
from ..schema import (
    COG,
    LAT,
    LON,
    PING_COLUMNS,
    REJECT_COLUMNS,
    SOG,
    SOURCE_ROW,
    TIME,
    VESSEL_ID,
    empty_pings,
)
from ..sphere import initial_bearing_deg
from ._archive import COMPRESSION_SUFFIXES, read_compressed_head
from ._columns import (
    WholeFile,
    check_attribute_positions,
    check_spellings_agree,
    clock_fit,
    compose_coordinate,
    coordinate_parts,
    date_fit,
    fallback_column,
    gridded_hours,
    hemisphere_missing,
    infer_columns,
    name_tokens,
    unfit_column_notes,
)
from ._common import (
    NO_HEADER,
    IngestResult,
    Rule,
    TimeSpan,
    as_source,
    as_text,
    decide_misplaced,
    find_column,
    finish_rejects,
    first_failing,
    haversine_km,
    misplaced_counts,
    missing_mask,
    missing_memo_off,
    no_rejects,
    normalise_name,
    outside_aoi_rules,
    range_rules,
    read_text_table,
    refuse_role_units,
    reproject_xy,
    spans_meet,
    time_span,
    to_numbers,
    units_row_report,
)
from ._dates import NS_RANGE, parse_times, times_with_clock
from ._json import read_json_records
from ._mgrs import (
    MGRS_RULES,
    GridPositions,
    find_mgrs_column,
    mgrs_datum_notes,
    mgrs_rules,
    mgrs_to_lonlat,
)
from ._positions import ProjectedEvidence, read_positions, split_pair_column
from ._vector import check_whole_size, open_source, read_vector
from .identity import empty_identity, find_identity_columns, identity_table
from .options import TrackSource
from .zones import apply_time_zone, zone_kind, zone_layout

__all__ = [
    "read_tracks",
    "check_max_speed",
    "distinct_names",
    "reject_repeated_pings",
    "repeated_pings",
    "repeated_reports",
    "find_repeats",
    "Repeats",
    "REPORT",
    "TRACK_RULES",
    "TrackResult",
    "classify_mmsi",
]

log = logging.getLogger(__name__)

TRACK_RULES = (
    "ragged_row",
    "unbalanced_quote",
    "repeated_header",
    "malformed_json",
    "not_a_json_object",
    "geometry_missing",
    "geometry_wrong_type",
    "multipoint",
    "vertex_times_count",
    "vessel_missing",
    "mmsi_invalid",
    "mmsi_not_vessel",
    "position_unavailable",
    "coord_missing",
    *MGRS_RULES,
    "coord_unparseable",
    "coord_out_of_crs",
    "lat_out_of_range",
    "lon_out_of_range",
    "null_island",
    "fix_invalid",
    "time_unparseable",
    "time_out_of_range",
    "time_before_gps",
    "time_zone_unknown",
    "time_missing",
    "outside_aoi",
    "gps_week_rollover",
    "duplicate",
    "duplicate_time",
    "impossible_speed",
    "duplicate_across_files",
)

#: Roles of a position table's columns, in the order they claim columns.
ROLES = ("lat", "lon", "time", "time_of_day", "vessel_id", "sog", "cog")
#: Contract column -> role name of :mod:`pipeline.ingest._columns`.
_ROLE_OF = {VESSEL_ID: "vessel_id", TIME: "time", LAT: "lat", LON: "lon", SOG: "sog", COG: "cog"}
_SPEED_TO_KN = {
    "kn": 1.0,
    "m/s": 3600 / 1852,
    "km/h": 1 / 1.852,
    "mph": 1609.344 / 1852,
    "0.1 kn": 0.1,
}

#: The start of GPS time: no satellite fix, so no ping, is older.
GPS_EPOCH = np.datetime64("1980-01-06T00:00:00", "ns")

_PLACEHOLDERS = {"000000000", "123456789", "012345678", "987654321", "123456780"}
_KNOT_KM = 1.852


def detect_ais_schema(columns: list[str]) -> str:
    """Return ``dma``, ``marinecadastre``, ``gtfs_rt``, ``fit``, ``marinetraffic`` or ``generic``.

    ``fit``: a Garmin FIT activity's records as CSV (FitCSVTool, fitparse/fitdecode dumps):
    ``timestamp``, ``position_lat``, ``position_long``, ``speed``/``enhanced_speed``, maybe
    as ``record.position_lat[semicircles]``.  ``marinetraffic``: a MarineTraffic API answer
    (``MMSI``, ``SHIP_ID``, ``SPEED``, ...), whose ``SPEED`` is in knots x10.
    """
    first = columns[0].strip().lower() if columns else ""
    norm = {normalise_name(c) for c in columns}
    toks = {t for c in columns for t in name_tokens(c)}
    if first.startswith("#") and "timestamp" in first and "mmsi" in norm:
        return "dma"
    if norm & {"basedatetime", "base_date_time"} and "mmsi" in norm:
        return "marinecadastre"
    if "trip" in toks and toks & {"vehicle", "route"} and "mmsi" not in norm:
        return "gtfs_rt"
    fields = {re.sub(r"\[.*\]$", "", c.strip()).rsplit(".", 1)[-1].lower() for c in columns}
    if {"position_lat", "position_long"} <= fields:
        return "fit"
    if {"mmsi", "ship_id", "speed"} <= norm:
        return "marinetraffic"
    return "generic"


def _table_schema(src: TrackSource, columns: list[str]) -> str:
    """Return the schema set in the config, else the one the header names."""
    return src.schema_ if src.schema_ != "auto" else detect_ais_schema(columns)


def classify_mmsi(ids: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Classify MMSI strings as (invalid, not_vessel, reason).

    Parameters
    ----------
    ids : pandas.Series of str
        MMSIs as text (a trailing ``.0`` from a float export is tolerated).  Nine ASCII
        digits: a fullwidth or another script's digit (a regex digit class matches them) is
        no MMSI a receiver sends.

    Returns
    -------
    invalid : numpy.ndarray of bool
        Not nine digits.
    not_vessel : numpy.ndarray of bool
        Nine digits but not a ship station (base station, aid to navigation, SAR aircraft,
        SART/MOB/EPIRB, handheld, group call, placeholder).
    reason : pandas.Series of str
        What the MMSI is, for the reject message.
    """
    # each distinct text once (a file's pings repeat a few hundred ids), then per record
    codes, texts = pd.factorize(ids.astype("str").to_numpy(dtype=object), use_na_sentinel=False)
    invalid, not_vessel, why = _classify_texts(pd.Series(texts, dtype="str"))
    reason = pd.Series(why.to_numpy(dtype=object)[codes], index=ids.index, dtype="str")
    return invalid[codes], not_vessel[codes], reason


def _classify_texts(texts: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """:func:`classify_mmsi` of distinct texts."""
    s = texts.str.strip().str.replace(r"\.0+$", "", regex=True)
    nine = s.str.fullmatch(r"[0-9]{9}").to_numpy()
    reason = pd.Series("", index=texts.index, dtype="str")
    # one digit nine times (111111111): its first character repeated, no backreference (which
    # RE2 lacks, so pandas matched it in Python, value by value)
    repeated = s.str.slice(0, 1).str.repeat(9) == s
    checks = [
        (
            (s.isin(_PLACEHOLDERS) | repeated) & s.str.startswith("0"),
            "a placeholder (0-prefixed: coast stations 00MIDxxxx and group calls 0MIDxxxxx)",
        ),
        (s.isin(_PLACEHOLDERS) | repeated, "a placeholder"),
        (s.str.startswith("00"), "a coast/base station (00MIDxxxx)"),
        (s.str.startswith("0"), "a group call (0MIDxxxxx)"),
        (s.str.startswith("99"), "an aid to navigation (99MIDxxxx)"),
        (s.str.startswith("111"), "a SAR aircraft (111MIDxxx)"),
        (s.str.startswith("97"), "a SART/MOB/EPIRB beacon (97xxxxxxx)"),
        (s.str.startswith("8"), "a handheld/diver radio (8MIDxxxxx)"),
        (s.str.startswith("1") | s.str.startswith("9"), "outside the ship-station range"),
    ]
    not_vessel = np.zeros(len(s), dtype=bool)
    for mask, why in checks:
        m = mask.to_numpy(dtype=bool) & nine & ~not_vessel
        reason = reason.where(~m, why)
        not_vessel |= m
    # 98MIDxxxx: craft associated with a parent ship (tenders, boats): vessels.
    child = s.str.startswith("98").to_numpy() & nine
    not_vessel &= ~child
    return ~nine, not_vessel, reason


#: The formats a track file may have: its options' ``format`` values (``ais_csv`` read as
#: CSV) but for ``auto`` and ``zip`` (an archive of one of these), so that a format the
#: options accept is never refused here as unknown.
TRACK_FORMATS = tuple(
    {"ais_csv": "csv"}.get(f, f)
    for f in get_args(TrackSource.model_fields["format"].annotation)
    if f not in ("auto", "zip")
)


def open_track_source(src: TrackSource, max_uncompressed_mb: float):
    """Open a track file (or its archive member) as :func:`~pipeline.ingest._vector.open_source`.

    The one place that maps a track source's ``format`` to what is opened: the whole-file
    reader and the chunked and partitioned spills all start here.
    """
    fmt = {"ais_csv": "csv"}.get(src.format, src.format)
    if fmt == "auto" and _is_log(src.path) and src.path.is_file():
        from ._nmea import looks_like_nmea

        # a receiver's log (rotated ones gzipped: ais.log.gz): raw AIS sentences, or refused;
        # an empty one (an outage) is refused as an empty feed, not as an unknown type
        head = _head(src.path, 4096)
        empty = len(head) < 4096 and not head.lstrip(b"\xef\xbb\xbf").strip()
        fmt = "nmea" if empty or looks_like_nmea(head) else fmt
    opened = open_source(
        src.path,
        fmt,
        allowed=TRACK_FORMATS,
        max_uncompressed_mb=max_uncompressed_mb,
        member=src.member,
        # CSV and Parquet are read a block at a time; the others whole
        read_whole="a track file in this format",
        whole_formats=(
            "json",
            "gpx",
            "kml",
            "plt",
            "nmea",
            "geojson",
            "gpkg",
            "flatgeobuf",
            "shapefile",
        ),
    )
    if opened.fmt == "csv" and src.format == "auto":
        from ._nmea import looks_like_nmea

        if opened.data is not None:
            head = opened.data[:4096]
        else:
            with open(opened.target, "rb") as fh:
                head = fh.read(4096)
        if looks_like_nmea(head):  # a receiver's log named .txt/.log/.csv: raw sentences
            if opened.data is None:
                check_whole_size(
                    src.path, "nmea", "a track file in this format", max_uncompressed_mb
                )
            opened.fmt = "nmea"
    return opened


def _is_log(path: Path) -> bool:
    """Whether ``path`` is named as a receiver's log: ``.log``, or one compressed (``.log.gz``)."""
    name = Path(path.name.lower())
    if name.suffix in COMPRESSION_SUFFIXES:
        name = Path(name.stem)
    return name.suffix == ".log"


def _head(path: Path, n_bytes: int) -> bytes:
    """Return the first ``n_bytes`` of a file, decompressed where it is (a bounded read).

    Raises
    ------
    SourceUnreadable
        A compressed file that cannot be decompressed.
    """
    codec = COMPRESSION_SUFFIXES.get(path.suffix.lower())
    if codec is None:
        with open(path, "rb") as fh:
            return fh.read(n_bytes)
    return read_compressed_head(path, codec, n_bytes)


@dataclass
class TrackResult(IngestResult):
    """An :class:`~pipeline.ingest.IngestResult` of a track file, with its pings' lines.

    Attributes
    ----------
    lines : numpy.ndarray of int64
        The physical line (or feature/record number) of each row of ``frame``, in its
        order: where a ping of a later file that repeats one of this file's is said to be
        from (:func:`reject_repeated_pings`).
    reports : numpy.ndarray of uint64, optional
        Raw AIS only: the identity of each row's report (a hash of its bits,
        :func:`~._nmea.report_ids`), never published: the same transmission in another
        receiver's log is a repeat however its clock differs (:func:`repeated_pings`).
        None for every other format.
    """

    lines: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="int64"))
    identity: pd.DataFrame = field(default_factory=empty_identity)
    reports: np.ndarray | None = None


def check_max_speed(max_speed_kn: float) -> None:
    """Refuse a speed limit that is no positive number (NaN included).

    Raises
    ------
    InputError
        ``max_speed_kn`` is not > 0: every moving ping would be rejected, or none.
    """
    if not max_speed_kn > 0:
        raise InputError(f"max_speed_kn must be > 0, got {max_speed_kn!r}")


def read_tracks(
    source: TrackSource | str | Path,
    *,
    aoi_bbox: tuple[float, float, float, float] | None = None,
    aoi_polygon: Any = None,
    max_speed_kn: float = 60.0,
    max_uncompressed_mb: float = 2048.0,
) -> TrackResult:
    """Read a track file into pings sorted by vessel then time, rejecting bad pings by rule.

    Parameters
    ----------
    source : TrackSource, str or Path
        The file, or its options.
    aoi_bbox : tuple of 4 floats, optional
        ``(lon_min, lat_min, lon_max, lat_max)``; pings outside are rejected.
    aoi_polygon : shapely geometry, optional
        The area's polygon (EPSG:4326): pings inside the bbox but outside it are rejected
        (``outside_aoi``) at their own line.
    max_speed_kn : float, default 60
        A ping implying a faster speed than this is rejected (``impossible_speed``).
    max_uncompressed_mb : float, default 2048
        A zipped source whose data file declares more is refused (``IngestOptions``).

    Returns
    -------
    TrackResult
        ``frame`` has the columns ``PING_COLUMNS`` (``lines``: the line of each); ``vessel_id`` is the MMSI as a string
        (or the GPX track name, the route id, or ``source.vessel_id``); time is UTC (naive
        times are taken as UTC); ``assumptions`` holds every inferred column with its
        evidence, the schema, the date order, the time zone, the speed unit and the CRS.

    Raises
    ------
    SourceUnreadable
        Missing, empty, corrupt or unsupported file.
    InputError
        No usable position/time/vessel columns (a column unique on every row is not a vessel
        id: the message names the columns that could be), or day/month-ambiguous dates
        without ``dayfirst``.
    """
    check_max_speed(max_speed_kn)
    use_ascii_case()  # the process's LC_CTYPE may have changed since the import
    src = as_source(source, TrackSource)
    opened = open_track_source(src, max_uncompressed_mb)
    fmt = opened.fmt
    name = src.path.name
    notes: list[str] = []
    assumptions: dict[str, Any] = dict(opened.assumptions)
    pre = pd.DataFrame()
    n_pre = 0
    heard: tuple[np.ndarray, np.ndarray] | None = None  # raw AIS: (line, report) of each row
    if fmt in ("csv", "json"):
        table = (
            read_text_table(
                src.path,
                encoding=src.encoding,
                delimiter=src.delimiter,
                data=opened.data,
                find_header=True,
                header_again=True,
            )
            if fmt == "csv"
            else read_json_records(
                src.path, data=opened.data, encoding=src.encoding, positions=True
            )
        )
        notes += table.notes
        if fmt == "csv" and table.header_line != 1:
            assumptions["header_line"] = table.header_line or NO_HEADER
        pre, n_pre = table.bad_rows, table.n_bad
        raw, rows = table.frame, table.lines
        schema = src.schema_ if src.schema_ != "auto" else detect_ais_schema(list(raw.columns))
        units = getattr(table, "units", {})
        parts = _columns_from_table(raw, src, name, schema, units=units)
        notes.append(f"{name}: position table schema {schema!r}")
        assumptions.update(encoding=table.encoding, schema=schema)
        if units:
            assumptions["units_row"] = units_row_report(units, table.header_line)
        if fmt == "csv":
            assumptions["delimiter"] = table.delimiter
        crs = src.crs
    elif fmt in ("gpx", "kml"):
        read = (
            _read_gpx
            if fmt == "gpx"
            else functools.partial(_read_kml_track, max_uncompressed_mb=max_uncompressed_mb)
        )
        raw, rows, parts, more = read(src, opened)
        notes += more
        crs = None
        assumptions["schema"] = fmt
    elif fmt == "nmea":
        got = _read_nmea(src, opened)
        raw, rows, pre, n_pre = got.frame, got.lines, got.rejects, len(got.rejects)
        heard = (np.asarray(got.lines, dtype="int64"), got.reports)
        notes += got.notes
        # the decoder's own columns: the MMSI is the vessel, even where each is heard once
        # (a snapshot of a busy sea), which the recognition of an unknown table refuses
        own = {"vessel_id": "mmsi", "time": "time", "lat": "lat", "lon": "lon"}
        own.update(sog_kn="sog", cog_deg="cog")
        if src.vessel_id is not None:
            del own["vessel_id"]
        # settings of a table's layout describe no decoded sentence (ITU-R M.1371: WGS 84
        # positions, knots): applied, a crs moved every position and a speed_unit scaled
        # every speed, unsaid
        unused = {"columns": dict(src.columns), "crs": src.crs}
        unused["speed_unit"] = src.speed_unit if src.speed_unit != "auto" else None
        said = ", ".join(f"{k}: {v!r}" for k, v in unused.items() if v)
        if said:
            notes.append(
                f"{name}: {said} not used: raw AIS sentences are decoded into their own fields "
                "(MMSI, moment, WGS 84 position, speed in knots, course)"
            )
        # knots as decoded: no guess at tenths (the sentences' own unit), no setting to ask for
        table_src = src.model_copy(update={"columns": own, "crs": None, "speed_unit": "kn"})
        parts = _columns_from_table(raw, table_src, name, "generic")
        for said in parts.get("evidence", {}).values():
            if said.get("by") == "config":
                said.update(by="nmea", evidence=f"{said['column']!r} decoded from the sentences")
        if parts.get("speed_unit"):
            parts["speed_unit"].update(by="nmea", evidence="knots, as the sentences hold it")
        assumptions["schema"] = "nmea"
        crs = None
    elif fmt == "plt":
        raw, rows, parts, more, pre = _read_plt(src, opened)
        notes += more
        n_pre = len(pre)
        crs = None
        assumptions["schema"] = "plt"
    else:
        raw, rows, parts, more, crs = _read_vector_tracks(
            src, fmt, opened.target, max_uncompressed_mb
        )
        notes += more
        if "pre" in parts:
            pre = parts.pop("pre")
            n_pre = len(pre)
    stated, more = layout_report(parts, name, crs)
    assumptions.update(stated)
    if fmt == "nmea":
        assumptions["crs"] = {
            "value": "EPSG:4326",
            "by": "nmea",
            "evidence": "raw AIS positions are WGS 84 (ITU-R M.1371)",
        }
    notes += more
    frame, rejects, more, time_info, events = _normalise_pings(
        raw,
        rows,
        parts,
        name=name,
        crs=crs,
        is_mmsi=parts["is_mmsi"],
        aoi_bbox=aoi_bbox,
        aoi_polygon=aoi_polygon,
        max_speed_kn=max_speed_kn,
    )
    notes += more
    assumptions.update(time_info)
    events.decide(src, name, parts.get("vessel_col"))
    rejects, by_rule = finish_rejects(pre, rejects)
    n_read = len(raw) + n_pre
    log.info("%s: %d pings read, %d accepted, %d rejected", name, n_read, len(frame), len(rejects))
    lines = frame.pop(SOURCE_ROW).to_numpy(dtype="int64")
    identity = identity_of(parts) if len(raw) else empty_identity()
    return TrackResult(
        frame,
        rejects,
        by_rule,
        name,
        n_read,
        notes,
        assumptions,
        lines=lines,
        identity=identity,
        reports=None if heard is None else _reports_at(heard, lines, name),
    )


def _reports_at(heard: tuple[np.ndarray, np.ndarray], lines: np.ndarray, name: str) -> np.ndarray:
    """Return the report of each accepted ping, found by its line (one sentence a line)."""
    at, reports = heard
    idx = np.minimum(np.searchsorted(at, lines), max(len(at) - 1, 0))
    if len(lines) and (not len(at) or not np.array_equal(at[idx], lines)):
        raise RuntimeError(f"{name}: an accepted ping's line is no decoded sentence's line")
    return np.asarray(reports, dtype="uint64")[idx] if len(lines) else np.empty(0, "uint64")


#: What the rejects of ``duplicate_across_files`` say (the value: the earlier file and line).
REPEATED_MESSAGE = (
    "same vessel and time (untimed: position) as a ping of an earlier input file, whose "
    "file and line are the value; counted once"
)


def repeated_pings(new: pd.DataFrame, old: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Find the pings of ``new`` that an earlier file's pings ``old`` already gave.

    A ping repeats another when both have the same vessel and time (what transit counts
    once: the first is kept, whatever the position); untimed pings (a route) when they have
    the same vessel and position.

    Parameters
    ----------
    new : pandas.DataFrame
        Pings of one file: ``vessel_id``, ``time``, ``lon``, ``lat``.
    old : pandas.DataFrame
        Accepted pings of the files before it, in config order: the same columns and
        ``file`` and ``line`` (where each is from).

    Returns
    -------
    repeated : numpy.ndarray of bool
        One per row of ``new``.
    value : numpy.ndarray of str
        For each repeated ping, ``'<file> line <n>'`` of the first earlier ping it repeats.
    """
    none = np.zeros(len(new), dtype=bool)
    if not len(new) or not len(old):
        return none, np.empty(0, dtype=object)

    def key(f: pd.DataFrame) -> pd.DataFrame:
        t = _times_ns(f[TIME])  # not Timestamp objects: a year of files made 10^7 of them
        untimed = t == np.iinfo("int64").min
        x = f[LON].to_numpy(dtype="float64").copy()
        y = f[LAT].to_numpy(dtype="float64").copy()
        x[~untimed] = np.nan  # timed: vessel and time alone
        y[~untimed] = np.nan
        return pd.DataFrame({"v": f[VESSEL_ID].astype(str).to_numpy(), "t": t, "x": x, "y": y})

    both = pd.concat([key(old), key(new)], ignore_index=True)
    group = both.groupby(["v", "t", "x", "y"], dropna=False, sort=False).ngroup().to_numpy()
    was, now = group[: len(old)], group[len(old) :]
    repeated = np.isin(now, was)
    if not repeated.any():
        return none, np.empty(0, dtype=object)
    first = pd.Series(np.arange(len(old)), index=was).groupby(level=0).min()
    where = first.reindex(now[repeated]).to_numpy()
    value = (
        old["file"].to_numpy(dtype=object)[where].astype(str)
        + " line "
        + old["line"].to_numpy()[where].astype("int64").astype(str)
    )
    return repeated, value.astype(object)


#: The column of a report's identity in the frames :func:`find_repeats` compares (nullable
#: uint64: none where a ping is not from raw AIS).
REPORT = "report"
#: What the rejects of ``duplicate_across_files`` found by a raw AIS report's bits say.
HEARD_MESSAGE = (
    "the same AIS report (the same bits) as a ping of an earlier input file, whose file and "
    "line are the value, heard {} s apart (another receiver, with its own clock): counted once"
)


def repeated_reports(new: pd.DataFrame, old: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Find the raw AIS pings of ``new`` whose transmission an earlier file's ``old`` holds.

    Two receivers' logs hold each transmission both heard, each timed by its own clock (ms
    to seconds apart): a ping whose vessel and report bits (:data:`REPORT`) are those of an
    earlier ping at most :data:`~._nmea.HEARD_AGAIN_S` away is that ping, as a report heard
    again within one file is (``nmea_duplicate``).  The earlier ping named is the first in
    time of those (then in ``old``'s order).

    Returns
    -------
    repeated : numpy.ndarray of bool
        One per row of ``new``.
    first : numpy.ndarray of int64
        For each repeated ping, the row of ``old`` it repeats.
    """
    from ._nmea import HEARD_AGAIN_S

    none = (np.zeros(len(new), dtype=bool), np.empty(0, dtype="int64"))
    if REPORT not in new or REPORT not in old or not len(new) or not len(old):
        return none

    def usable(f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        t = _times_ns(f[TIME])
        ok = f[REPORT].notna().to_numpy() & (t != np.iinfo("int64").min)
        return np.flatnonzero(ok), t

    n_at, n_t = usable(new)
    o_at, o_t = usable(old)
    if not len(n_at) or not len(o_at):
        return none
    keys = pd.DataFrame(
        {
            "v": np.concatenate(
                [
                    old[VESSEL_ID].astype(str).to_numpy()[o_at],
                    new[VESSEL_ID].astype(str).to_numpy()[n_at],
                ]
            ),
            "r": np.concatenate(
                [
                    old[REPORT].to_numpy(dtype="uint64", na_value=0)[o_at],
                    new[REPORT].to_numpy(dtype="uint64", na_value=0)[n_at],
                ]
            ),
        }
    )
    code = keys.groupby(["v", "r"], sort=False).ngroup().to_numpy().astype("int64")
    o_code, n_code = code[: len(o_at)], code[len(o_at) :]
    window = np.int64(round(HEARD_AGAIN_S * 1e9))
    ot, lo = o_t[o_at], n_t[n_at] - window
    # (report, time) as one sortable number: the report's code, then the rank of the time
    # among all the times compared (exact: no time is rounded)
    stamps, rank = np.unique(np.concatenate([ot, lo]), return_inverse=True)
    width = np.int64(len(stamps))
    o_key = o_code * width + rank[: len(ot)]
    order = np.lexsort((np.arange(len(ot)), o_key))  # time, then old's order
    at = np.searchsorted(o_key[order], n_code * width + rank[len(ot) :], "left")
    hit = at < len(order)
    cand = order[np.minimum(at, len(order) - 1)]
    hit &= (o_code[cand] == n_code) & (ot[cand] <= n_t[n_at] + window)
    repeated = np.zeros(len(new), dtype=bool)
    repeated[n_at[hit]] = True
    return repeated, o_at[cand[hit]]


@dataclass
class Repeats:
    """The pings of a file that an earlier file gave (:func:`find_repeats`).

    Attributes
    ----------
    repeated : numpy.ndarray of bool
        One per ping of the file.
    value : numpy.ndarray of str
        ``'<file> line <n>'`` of the earlier ping, one per repeated ping.
    message : numpy.ndarray of str
        Why, one per repeated ping.
    n_heard : int
        Repeats found by their raw AIS report's bits only (another receiver's clock).
    """

    repeated: np.ndarray
    value: np.ndarray
    message: np.ndarray
    n_heard: int


def find_repeats(new: pd.DataFrame, old: pd.DataFrame) -> Repeats:
    """Find the pings of ``new`` an earlier file's ``old`` gave, by every rule, and say why.

    The same vessel and time (:func:`repeated_pings`), or, both from raw AIS, the same
    report heard within :data:`~._nmea.HEARD_AGAIN_S` (:func:`repeated_reports`); a ping
    found by both is said as the first.
    """
    repeated, value = repeated_pings(new, old)
    heard, first = repeated_reports(new, old)
    only = heard & ~repeated
    if not only.any():
        message = np.full(int(repeated.sum()), REPEATED_MESSAGE, dtype=object)
        return Repeats(repeated, value, message, 0)
    t_new = _times_ns(new[TIME])[only]
    t_old = _times_ns(old[TIME])[first[only[heard]]]
    gap = np.char.mod("%.3f", np.abs(t_new - t_old) / 1e9)
    said = pd.Series(
        old["file"].to_numpy(dtype=object)[first[only[heard]]].astype(str)
        + " line "
        + old["line"].to_numpy()[first[only[heard]]].astype("int64").astype(str)
    ).to_numpy(dtype=object)
    both = repeated | heard
    out_value = np.empty(len(new), dtype=object)
    out_message = np.empty(len(new), dtype=object)
    out_value[repeated] = value
    out_message[repeated] = REPEATED_MESSAGE
    out_value[only] = said
    out_message[only] = pd.Series(gap).map(HEARD_MESSAGE.format).to_numpy(dtype=object)
    return Repeats(both, out_value[both], out_message[both], int(only.sum()))


def reject_repeated_pings(
    result: TrackResult, earlier: list[TrackResult], names: Sequence[str] | None = None
) -> TrackResult:
    """Move the pings an earlier track file already gave to the rejects.

    A history file and a day file that overlap, or one file listed twice under two names,
    give some pings twice; counted twice, they were published twice in ``pings.parquet``
    and in ``pings_used`` while transit used them once.  A ping of ``result`` with the
    vessel and time of an accepted ping of an earlier file (:func:`repeated_pings`) is
    rejected as ``duplicate_across_files``, its value the file and line of that ping.

    Parameters
    ----------
    result : TrackResult
        One track file as read.
    earlier : list of TrackResult
        The files before it, in config order, each already without its repeats.
    names : sequence of str, optional
        The name each of ``earlier``'s files has in the rejects' values: one no other input
        of the run shares (:func:`distinct_names`; two receivers' ``a/2024-03-01.log`` and
        ``b/2024-03-01.log``).  Default: their file names.

    Returns
    -------
    TrackResult
        ``result`` with the repeats moved to ``rejects`` (``n_read`` unchanged).
    """
    frame = result.frame
    mine = _reports_of(result)
    # a ping repeats one of the same time (or, untimed, of none; raw AIS: within the window
    # of a report heard again): a file whose times do not meet this one's is not read - a
    # feed of a file a day is checked day by day, not each file against the whole history
    span = widened_span(time_span(frame, TIME), mine is not None)
    if names is None:
        names = [Path(r.source).name for r in earlier]
    before = [
        (r, name)
        for r, name in zip(earlier, names, strict=True)
        if len(r.frame) and spans_meet(span, time_span(r.frame, TIME))
    ]
    if frame.empty or not before:
        return result
    old = pd.concat(
        [
            r.frame[[VESSEL_ID, TIME, LON, LAT]].assign(
                file=name, line=_lines_of(r), **{REPORT: _report_column(r)}
            )
            for r, name in before
        ],
        ignore_index=True,
    )
    new = frame if mine is None else frame.assign(**{REPORT: _report_column(result)})
    found = find_repeats(new, old)
    repeated = found.repeated
    if not repeated.any():
        return result
    n = int(repeated.sum())
    lines = _lines_of(result)
    extra = pd.DataFrame(
        {
            "source_file": Path(result.source).name,
            "row": lines[repeated],
            "column": "*",
            "value": found.value,
            "rule": "duplicate_across_files",
            "message": found.message,
        }
    )
    by_rule = dict(result.by_rule)
    by_rule["duplicate_across_files"] = by_rule.get("duplicate_across_files", 0) + n
    # in line order with the file's other rejects, as the partitioned ingest (the Dask
    # engine's) writes them: appended, the two engines published different rejects files
    rejects, _ = finish_rejects(result.rejects, extra)
    return dataclasses.replace(
        result,
        frame=frame[~repeated].reset_index(drop=True),
        rejects=rejects,
        by_rule=dict(sorted(by_rule.items())),
        notes=[
            *result.notes,
            repeated_note(Path(result.source).name, n, found.n_heard, found.value.tolist()),
        ],
        lines=lines[~repeated],
        reports=None if mine is None else mine[~repeated],
    )


def distinct_names(paths: Sequence[str | os.PathLike]) -> list[str]:
    """Return a name for each of ``paths`` that no other of them has, to name it in a reject.

    A file's name, or where another file of the same name is among ``paths`` (two
    receivers' daily logs, ``rx-a/2024-03-01.log`` and ``rx-b/2024-03-01.log``), its name
    with as many of its folders as tell the two apart, ``/`` between them: the value of a
    ``duplicate_across_files`` reject names the earlier file, never one that reads as the
    file itself.

    >>> distinct_names(["/feed/a/d1.log", "/feed/b/d1.log", "/feed/b/d2.log"])
    ['a/d1.log', 'b/d1.log', 'd2.log']
    """
    parts = [Path(os.path.abspath(p)).parts[::-1] for p in paths]
    files = set(parts)  # one file named twice is one file
    names: list[str] = [""] * len(parts)
    pending = list(range(len(parts)))
    depth = 1
    while pending:
        count: dict[tuple[str, ...], int] = {}
        for p in files:
            count[p[:depth]] = count.get(p[:depth], 0) + 1
        left = []
        for i in pending:
            if count[parts[i][:depth]] == 1 or depth >= len(parts[i]):
                names[i] = Path(*parts[i][:depth][::-1]).as_posix()
            else:
                left.append(i)
        pending, depth = left, depth + 1
    return names


def widened_span(span: TimeSpan, raw_ais: bool) -> TimeSpan:
    """Return a file's time span, widened by the window of a report heard again if raw AIS.

    A raw AIS ping repeats an earlier file's up to :data:`~._nmea.HEARD_AGAIN_S` away
    (:func:`repeated_reports`): a file of times just before or after its own is compared.
    """
    from ._nmea import HEARD_AGAIN_S

    if not raw_ais or span[1] < span[0]:  # no timed ping: nothing within a window
        return span
    pad = int(round(HEARD_AGAIN_S * 1e9))
    return (span[0] - pad, span[1] + pad, span[2])


def _reports_of(result: IngestResult) -> np.ndarray | None:
    """Return the raw AIS report of each accepted ping (None: not raw AIS)."""
    reports = getattr(result, "reports", None)
    if reports is None:
        return None
    if len(reports) != len(result.frame):
        raise RuntimeError(
            f"{result.source}: {len(reports)} report identities for {len(result.frame)} pings"
        )
    return np.asarray(reports, dtype="uint64")


def _report_column(result: IngestResult) -> pd.Series:
    """Return :data:`REPORT` of each accepted ping as a nullable column (none: not raw AIS)."""
    reports = _reports_of(result)
    if reports is None:
        return pd.Series(pd.array([None] * len(result.frame), dtype="UInt64"))
    return pd.Series(pd.array(reports, dtype="UInt64"))


def _times_ns(times: pd.Series) -> np.ndarray:
    """Return UTC times as int64 nanoseconds (NaT: the int64 minimum), whatever the unit.

    Not ``Series.to_numpy()`` of a zone-aware column: a Timestamp object per value.  A
    column of no times (all missing, as read) is all NaT.
    """
    if times.dtype.kind != "M" and not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(times, utc=True)
    values = times.to_numpy(dtype="datetime64[ns]") if len(times) else np.empty(0, "M8[ns]")
    return values.view("int64")


def repeated_note(name: str, n: int, n_heard: int = 0, values: Sequence[str] = ()) -> str:
    """Return the note of a track file with ``n`` pings an earlier file gave.

    ``n_heard`` of them were found by their raw AIS report's bits (:func:`repeated_reports`).
    ``values`` are the rejects' values (``'<file> line <n>'``): the note names those files
    (sorted), and says which file is earlier - the order of the run's inputs, a pattern's
    files in the order of their paths; never the order a folder lists them in, nor their
    times.
    """
    from ._nmea import HEARD_AGAIN_S

    heard = (
        f"; {n_heard} of them: the same raw AIS report heard within {HEARD_AGAIN_S:g} s, by "
        "another receiver with its own clock"
        if n_heard
        else ""
    )
    files = sorted(set(pd.Series(list(values), dtype=object).str.rpartition(" line ")[0]))
    named = ", ".join(files[:3]) + (", ..." if len(files) > 3 else "")
    return (
        f"{name}: {n} ping(s) repeat pings of an earlier input file (same vessel and time"
        f"{heard}) and were not counted twice (rule duplicate_across_files; a file is earlier "
        "when it comes before this one in the inputs, a pattern's files in the order of their "
        f"paths{': here ' + named if named else ''})"
    )


def _lines_of(result: IngestResult) -> np.ndarray:
    """Return the line of each accepted ping (missing, -1, when the result has none)."""
    lines = getattr(result, "lines", None)
    if lines is None or len(lines) != len(result.frame):
        return np.full(len(result.frame), -1, dtype="int64")
    return np.asarray(lines, dtype="int64")


def crs_report(crs, by: str) -> dict[str, Any]:
    """Return the ``crs`` assumption: its code, who decided it (``by``) and the evidence."""
    if crs is None:
        return {
            "value": "EPSG:4326",
            "by": "default",
            "evidence": "no CRS declared or configured: positions read as degrees",
        }
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    auth = c.to_authority()
    return {
        "value": ":".join(auth) if auth else (c.name or str(crs)),
        "by": by,
        "evidence": {"file": "declared by the file", "config": "crs set in the config"}.get(by, by),
    }


def _vessel_error(name: str, cols: list[str], evidence: dict[str, Any]) -> InputError:
    info = evidence.get("vessel_id", {})
    refused = info.get("refused") or []
    cands = info.get("candidates") or []
    parts = [f"{name}: no vessel id column among {cols!r}"]
    if refused:
        parts.append("refused: " + "; ".join(refused))
    if not info.get("snapshot"):
        parts.append(
            f"columns whose values repeat across rows: {cands!r}"
            if cands
            else "no column has values that repeat across rows"
        )
    if info.get("first_chunk"):
        # a file read in chunks is recognised on its first chunk: the whole file's values
        # (a vessel's second ping, a second ship) may lie further on
        parts.append(
            f"the columns were recognised on the first {info['first_chunk']} record(s) of a "
            "file read in chunks (ingest.chunk_rows above the file's record count reads it "
            "whole)"
        )
    parts.append(
        "set columns: {vessel_id: ...} (one of those, if it names a vessel) or vessel_id: "
        "<one constant id> for a single-vessel file"
    )
    return InputError("; ".join(parts))


#: Header words (tokens) that name a speed unit.
_UNIT_WORDS = {
    **dict.fromkeys(("kn", "kt", "kts", "knot", "knots", "knop", "knob"), "kn"),
    **dict.fromkeys(("mps", "ms"), "m/s"),
    **dict.fromkeys(("kmh", "kph", "kmph", "kmt", "kmhr"), "km/h"),
    **dict.fromkeys(("mph", "mih"), "mph"),
}
#: Pairs of header tokens that name a speed unit (``km/t`` is Norwegian km per hour).
_UNIT_PAIRS = {
    ("m", "s"): "m/s",
    ("m", "sec"): "m/s",
    ("km", "h"): "km/h",
    ("km", "hr"): "km/h",
    ("km", "t"): "km/h",
    ("mi", "h"): "mph",
    ("mi", "hr"): "mph",
    ("nm", "h"): "kn",
}
#: Words of a speed header that name the quantity, not a unit.
_SPEED_WORDS = frozenset(
    "sog speed spd over ground velocity vel fart geschwindigkeit vitesse velocidad snelheid "
    "hastighet nopeus reported avg average mean gps ais vessel ship boat true value raw "
    "current inst instant".split()
)
#: A value scale written in a header: ``0.1 kn``, ``1/10``, ``kn/10``, ``x10``, ``*10``,
#: ``tenths``.
_TENTHS = re.compile(
    r"0[.,]1(?![0-9])|(?<![0-9])1\s*/\s*10(?![0-9])|(?:\*|(?<![a-z0-9])x)\s*10(?![0-9])|tenth"
    r"|(?:kn|kt|kts|knots?|deg|degrees?)\s*/\s*10(?![0-9])",
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"[(\[{]([^)\]}]*)[)\]}]")


def _whole_numbers(values: pd.Series | None) -> bool:
    """Whether every speed written is a whole number (``131``, ``0``), as tenths are written."""
    if values is None:
        return True
    text = as_text(values)
    text = text[text.ne("")]
    return bool(text.str.fullmatch(r"[+-]?\d+(?:\.0*)?").all())


def _speed_unit(
    src: TrackSource,
    sog_col: str | None,
    schema: str,
    name: str = "",
    values: pd.Series | None = None,
    row_unit: str | None = None,
) -> dict:
    """Return the unit of the speed column: ``unit``, ``factor`` (to knots), ``by``, ``evidence``.

    A scale written in the header (``SOG [0.1 kn]``, ``speed_knots_x10``, ``sog_tenths``)
    multiplies the factor by 0.1.  A header whose brackets name a unit not known here is
    refused; other unknown words leave knots assumed, with a ``note``.  ``values`` (the
    speed column, or the records that decide the layout) tell a MarineTraffic answer's
    whole tenths from knots written with decimals under its header.  ``row_unit``: the
    column's unit in a units row below the header (ERDDAP's ``m s-1``), read as though
    the header said it in brackets.
    """
    if src.speed_unit != "auto":
        return {
            "unit": src.speed_unit,
            "factor": _SPEED_TO_KN[src.speed_unit],
            "by": "config",
            "evidence": "speed_unit set in the config",
        }
    if sog_col is None:
        return {"unit": "kn", "factor": 1.0, "by": "default", "evidence": "no speed column"}
    said = sog_col if not row_unit else f"{sog_col} ({row_unit})"
    toks = name_tokens(said)
    tenths = bool(_TENTHS.search(str(said)))
    units = [_UNIT_WORDS[t] for t in toks if t in _UNIT_WORDS]
    units += [_UNIT_PAIRS[p] for p in zip(toks, toks[1:], strict=False) if p in _UNIT_PAIRS]
    found = list(dict.fromkeys(units))
    if len(found) > 1:
        raise InputError(
            f"{name}: speed column {said!r} names several units ({', '.join(found)}); "
            f"set speed_unit to one of 'kn', 'm/s', 'km/h'"
        )
    unit: str | None = found[0] if found else None
    by = "header" if found or tenths else "default"
    scale = " (values in tenths, as written in the header)" if tenths else ""
    if unit is None:
        scale_words = {"0", "1", "10", "x10", "tenth", "tenths"}
        inside = [t for part in _BRACKETED.findall(str(said)) for t in name_tokens(part)]
        unknown = [t for t in inside if t not in scale_words and t not in _SPEED_WORDS]
        if unknown:
            raise InputError(
                f"{name}: speed column {said!r} names a unit not known here "
                f"({' '.join(unknown)!r}); known: knots (kn, kt, knots), m/s, km/h (kmh, kph, "
                "km/t), mph; set speed_unit in the config to read it anyway"
            )
        if schema == "gtfs_rt":
            unit, why = "m/s", "GTFS-realtime Position.speed is metres per second"
        elif schema == "fit":
            unit, why = "m/s", "a FIT record's speed and enhanced_speed are metres per second"
            by = "schema"
        elif (
            schema == "marinetraffic"
            and normalise_name(sog_col) == "speed"
            and _whole_numbers(values)
        ):
            # MarineTraffic's API writes SPEED in knots x10 (its documentation: 'The speed
            # (in knots x10) that the subject vessel is reporting'); read as knots, a ship
            # at 1.5 kn sailed at 15, and one drifting at 0.4 kn (loitering) at 4.  Moving
            # ships showed the tenfold by their positions and were refused; slow ones did not.
            # Its tenths are whole numbers: a SPEED of 0.4 (an export in knots under the API's
            # header) is knots, read as 0.04 before.
            unit, why, tenths = "kn", "a MarineTraffic API answer (MMSI, SHIP_ID, SPEED)", True
            by, scale = "schema", " (SPEED in knots x10)"
        else:
            other = [t for t in toks if t not in _SPEED_WORDS and t not in scale_words]
            unit = "kn"
            why = (
                f"header {sog_col!r} names no unit"
                + (f" known here (its words {' '.join(other)!r} are none)" if other else "")
                + "; knots assumed (the AIS unit)"
            )
            if schema == "marinetraffic" and normalise_name(sog_col) == "speed":
                why += "; its values have decimals, not a MarineTraffic answer's whole tenths"
    else:
        why = f"header {sog_col!r} says {unit}"
        if row_unit:
            why = f"header {sog_col!r} and its unit {row_unit!r} in the units row say {unit}"
    factor = _SPEED_TO_KN[unit] * (0.1 if tenths else 1.0)
    out = {
        "unit": f"0.1 {unit}" if tenths else unit,
        "factor": factor,
        "by": by,
        "evidence": why + scale,
    }
    if by == "default" and "known here" in why:
        out["note"] = f"{name}: speed column {sog_col!r}: {why}; set speed_unit if it is not"
    return out


def _course_factor(cog_col: str | None) -> float:
    """Return 0.1 when the course header says its values are tenths of a degree, else 1."""
    return 0.1 if cog_col is not None and _TENTHS.search(str(cog_col)) else 1.0


def _speed_report(speed: dict, sog_col: str | None) -> dict | None:
    """Return the ``speed_unit`` assumption (None without a speed column)."""
    if sog_col is None:
        return None
    return {k: speed[k] for k in ("unit", "by", "evidence")}


def layout_report(parts: dict, name: str, crs) -> tuple[dict[str, Any], list[str]]:
    """Return the assumptions and notes a table's column layout gives, read whole or streamed.

    ``parts`` is what the layout of the table's columns found (its evidence per role, the
    speed unit, the CRS's origin ...); ``crs`` is the one the records are read in.
    """
    stated: dict[str, Any] = {"columns": parts.get("evidence", {})}
    notes = [
        f"{name}: {role} taken from column {e['column']!r} by its values ({e['evidence']})"
        for role, e in stated["columns"].items()
        if e.get("by") == "content"
    ]
    stated["crs"] = crs_report(crs, parts.get("crs_by", "config" if crs else "default"))
    if parts.get("speed_unit"):
        stated["speed_unit"] = parts["speed_unit"]
    notes += [
        parts[k]
        for k in ("speed_note", "fill_note", "parts_note", "offset_note", "period_note")
        if parts.get(k)
    ]
    grid = (parts.get("picks") or {}).get("grid")
    if grid is not None:
        notes.append(
            f"{name}: positions read from MGRS/USNG grid references in {grid!r}, each placed "
            "at the centre of the square it names (WGS84); a 10 km or 100 km reference's "
            "centre may be kilometres from the ping, and speeds between such pings are rough"
        )
    notes += parts.get("unfit_notes", [])
    if parts.get("identity_cols"):
        stated["identity_columns"] = dict(parts["identity_cols"])
    return stated, notes


def _columns_from_table(
    raw: pd.DataFrame,
    src: TrackSource,
    name: str,
    schema: str,
    whole: WholeFile | None = None,
    units: dict[str, str] | None = None,
) -> dict:
    cols = list(raw.columns)
    over = {_ROLE_OF.get(k, k): v for k, v in src.columns.items()}
    id_roles = ("vessel_id",) if src.vessel_id is None else ()
    roles = ROLES if src.vessel_id is None else tuple(r for r in ROLES if r != "vessel_id")
    choice = infer_columns(raw, roles, over, name, id_roles=id_roles, whole=whole)
    pick = {r: choice.get(r) for r in ROLES}
    evidence = dict(choice.evidence)
    _refuse_gridded(raw, pick, evidence, name)
    period_note = None
    for role in ("time", "time_of_day"):
        if role not in over and period_note is None:
            period_note = _refuse_periods(
                raw, pick[role], evidence.get(role) or {}, name, whole, role=role
            )
    pick["pair"] = None
    if (pick["lat"] is None or pick["lon"] is None) and not {"lat", "lon"} & set(over):
        pair = _geojson_point_column(raw)
        if pair is not None:  # GeoJSON features read as JSON records: [lon, lat]
            pick["lat"] = pick["lon"] = pick["pair"] = pair
            for role in ("lat", "lon"):
                evidence[role] = {
                    "column": pair,
                    "by": "geometry",
                    "evidence": f"GeoJSON point positions in {pair!r} (beside its 'type' "
                    "of Point), longitude first (RFC 7946)",
                }
    pick["grid"] = None
    if (
        (pick["lat"] is None or pick["lon"] is None)
        and not {"lat", "lon"} & set(over)
        and (grid := find_mgrs_column(raw, {c for c in pick.values() if c}, name)) is not None
    ):  # a patrol's or tracker's MGRS grid references: each at its square's centre
        pick["lat"] = pick["lon"] = pick["grid"] = grid["column"]
        for role in ("lat", "lon"):
            evidence[role] = {**grid, "placed_at": "square centre", "datum": "WGS84"}
    pick["grid_fill"] = None
    if (
        pick["grid"] is None
        and pick["pair"] is None
        and pick["lat"] is not None
        and pick["lon"] is not None
        and pick["lat"] != pick["lon"]
        and not {"lat", "lon"} & set(over)
    ):  # beside latitude/longitude: read on the lines whose pair is incomplete
        try:
            fill = find_mgrs_column(raw, {c for c in pick.values() if c}, name)
        except InputError:  # two columns of references: which one is a guess, none read
            fill = None
        if fill is not None:
            pick["grid_fill"] = fill["column"]
            evidence["grid_fill"] = {
                **fill,
                "evidence": f"{fill['evidence']}; read where {pick['lat']!r} or "
                f"{pick['lon']!r} is blank",
                "placed_at": "square centre",
                "datum": "WGS84",
            }
    if pick["lat"] is None or pick["lon"] is None:
        why = evidence.get("lat", {}).get("evidence") or evidence.get("lon", {}).get("evidence")
        raise InputError(
            f"{name}: no latitude/longitude columns among {cols!r}"
            + (f" ({why})" if why else "")
            + "; expected e.g. 'lat'/'lon', 'Latitude'/'Longitude', 'LAT'/'LON', "
            "'Latitude (WGS84)', or set columns: {lat: ..., lon: ...} in the config"
        )
    if pick["time"] is None:
        why = evidence.get("time", {}).get("evidence")
        raise InputError(
            f"{name}: no time column among {cols!r}"
            + (f" ({why})" if why else "")
            + "; expected e.g. 'timestamp', '# Timestamp', 'BaseDateTime', 'Time', "
            "'event_time_utc', 'ts', or set columns: {time: ...} in the config"
        )
    if pick["vessel_id"] is None and src.vessel_id is None:
        raise _vessel_error(name, cols, evidence)
    if src.vessel_id is not None and pick["vessel_id"] is None:
        evidence["vessel_id"] = {
            "column": None,
            "by": "constant",
            "evidence": f"vessel_id {src.vessel_id!r} set in the config",
        }
    if src.dayfirst is not None:
        dayfirst, order_by = src.dayfirst, "config"
    elif schema == "dma":
        dayfirst, order_by = True, "schema"
    else:
        dayfirst, order_by = None, "values"
    refuse_role_units(pick, units, name, src.crs)
    if schema == "fit":
        _refuse_fit_epoch(raw[pick["time"]], pick["time"], name)
    vid_col = pick["vessel_id"]
    vid = raw[vid_col] if vid_col else pd.Series(src.vessel_id, index=raw.index)
    speed = _speed_unit(
        src,
        pick["sog"],
        schema,
        name,
        raw[pick["sog"]] if pick["sog"] else None,
        row_unit=(units or {}).get(pick["sog"] or ""),
    )
    fill_note = _fallback_coordinates(cols, pick, evidence, name)
    split, parts_note = _coordinate_parts(raw, pick, evidence, name, whole)
    zone = zone_layout(raw, cols, pick, name, evidence, whole)
    pick["valid"] = _validity_column(raw, cols, {c for c in pick.values() if c})
    if pick["valid"] is not None:
        evidence["valid"] = {
            "column": pick["valid"],
            "by": "name",
            "evidence": f"header {pick['valid']!r} names the fix's validity and every value "
            "is a flag; records it marks false are rejected (fix_invalid)",
        }
    ident = _identity_layout(raw, cols, pick)
    return {
        **ident,
        "valid": raw[pick["valid"]] if pick["valid"] else None,
        "valid_col": pick["valid"],
        "vessel": vid,
        "vessel_col": vid_col or "",
        "time": raw[pick["time"]],
        "time_col": pick["time"],
        "clock": raw[pick["time_of_day"]] if pick["time_of_day"] else None,
        "clock_col": pick["time_of_day"],
        "lat": _coordinate(raw, pick, "lat", split),
        "lat_col": pick["lat"],
        "lon": _coordinate(raw, pick, "lon", split),
        "lon_col": pick["lon"],
        "sog": raw[pick["sog"]] if pick["sog"] else None,
        "cog": raw[pick["cog"]] if pick["cog"] else None,
        "fill_note": fill_note,
        "parts_note": parts_note,
        "period_note": period_note,
        "coordinate_parts": split,
        "is_mmsi": vid_col is not None and "mmsi" in name_tokens(vid_col),
        "dayfirst": dayfirst,
        "order_by": order_by,
        "evidence": {k: v for k, v in evidence.items() if v.get("column") is not None}
        | ({"vessel_id": evidence["vessel_id"]} if src.vessel_id is not None else {}),
        "speed_unit": _speed_report(speed, pick["sog"]),
        "speed_factor": speed["factor"],
        "speed_checked": speed["by"] != "config",
        "speed_note": speed.get("note") if pick["sog"] else None,
        "unfit_notes": unfit_column_notes(evidence, name),
        "sog_col": pick["sog"],
        "cog_col": pick["cog"],
        "cog_factor": _course_factor(pick["cog"]),
        **zone,
        "picks": pick,
    }


#: A period's first word -> the words of its last (``start``/``end``, ``from``/``to``).
_PERIOD_ENDS = {
    "start": ("end", "stop", "finish"),
    "begin": ("end",),
    "from": ("to", "until"),
    "first": ("last",),
}


def _refuse_periods(
    raw: pd.DataFrame,
    time_col: str | None,
    time_evidence: dict,
    name: str,
    whole: WholeFile | None = None,
    *,
    role: str = "time",
) -> str | None:
    """Refuse a table of periods (a start and an end a row) that only looks like pings.

    Global Fishing Watch's events (loitering, encounters, port visits: ``start``, ``end``,
    ``lat``, ``lon``, ``vessel``) give each row a span at one place, and no header names a
    time: read as pings at their starts (the column found by its values), a vessel's hours
    there were lost or drawn along a line to its next event.  Where the start's header names
    a time (a tracker's stops report's ``Start Time`` beside ``End Time``) each row is read
    at its start as before, and the returned note says so.  A ``columns: {time: ...}`` reads
    them as told, without a word.  ``whole`` (``raw`` the first chunk of a file) looks for the
    end's dates over the whole file: an ``end`` blank in the first chunk and filled further
    on is a period's end too (read in chunks, such a file was read as pings, exit 0).

    With ``role`` ``"time_of_day"`` the start and end are times of day beside a date
    (``Date``, ``Start``, ``End``), judged alike.  An end that is its start on every record
    of the whole file (a blank end only beside a blank start) makes no period: such records
    are moments, read at them, and the returned note says so.
    """
    if time_col is None:
        return None

    def fits(values: pd.Series) -> bool:
        if role == "time_of_day":
            return clock_fit(values, years=True) >= 0.8  # 0840 too, as its start's
        return date_fit(values) >= 0.8

    def lasts(frame: pd.DataFrame, end: str) -> bool:
        """Whether some record's end is not its start (the text of each, stripped)."""
        a, b = frame[time_col], frame[end]
        blank_a, blank_b = missing_mask(a), missing_mask(b)
        text_a = a.astype("str").str.strip().to_numpy()
        text_b = b.astype("str").str.strip().to_numpy()
        return bool(((blank_a != blank_b) | (~blank_a & ~blank_b & (text_a != text_b))).any())

    spread = whole if whole is not None and whole.any_of is not None and whole.more() else None
    toks = name_tokens(time_col)
    for k, tok in enumerate(toks):
        for end_word in _PERIOD_ENDS.get(tok, ()):
            want = [*toks[:k], end_word, *toks[k + 1 :]]
            ends = [c for c in raw.columns if c != time_col and name_tokens(c) == want]
            if not ends or not (
                fits(raw[ends[0]])
                or (
                    spread is not None
                    and spread.any_of is not None
                    and spread.any_of(ends[0], fits)
                )
            ):
                continue
            if spread is not None and spread.pieces is not None:
                with missing_memo_off():
                    periods = any(lasts(f, ends[0]) for f in spread.pieces([time_col, ends[0]]))
            else:
                periods = lasts(raw, ends[0])
            if not periods:
                return (
                    f"{name}: {ends[0]!r} is {time_col!r} on every record: each is read as "
                    f"the moment at {time_col!r}, not a period"
                )
            if time_evidence.get("by") == "content":
                kind = (
                    "a day's stops: a date, and the times of day of each stop's start and end"
                    if role == "time_of_day"
                    else "an events table: Global Fishing Watch's loitering, encounters or "
                    "port visits"
                )
                raise InputError(
                    f"{name}: {time_col!r} and {ends[0]!r} give each record a period at one "
                    f"place, not a moment, and no header names a time ({kind}); read as pings each "
                    "would sit at its start, and the hours it lasted would be lost or drawn "
                    "along a line to the next: give the positions themselves (AIS, GPS fixes), "
                    f"or set columns: {{{role}: {time_col!r}}} to read each record as one "
                    "position at its start"
                )
            return (
                f"{name}: {time_col!r} and {ends[0]!r} give each record a period: each is read "
                "as one ping at its start, the hours it lasted not attributed to its place "
                "(a stops or events table is no track: give the positions themselves, or set "
                f"columns: {{{role}: {time_col!r}}} to read it so without this note)"
            )
    return None


def _refuse_gridded(raw: pd.DataFrame, pick: dict, evidence: dict, name: str) -> None:
    """Refuse a gridded product (hours per cell and day) that only looks like pings.

    Global Fishing Watch's fishing effort and vessel presence tables (``date``,
    ``cell_ll_lat``, ``cell_ll_lon``, ``mmsi``, ``hours``/``fishing_hours``; v1's
    ``lat_bin``/``lon_bin``; the map's ``Lat``, ``Lon``, ``Time Range``, ``Apparent Fishing
    Hours``) hold a cell's lower-left corner and the hours vessels spent in it per day: read
    as pings, each vessel would sit at cell corners at midnight, one position a day, and its
    hours would be lost (:func:`gridded_hours` says when).  Columns named in the config are
    taken as told.
    """
    found = gridded_hours(raw, pick, evidence)
    if found is None:
        return
    cell, hours = found
    what = []
    if cell:
        what.append(f"{'/'.join(repr(c) for c in cell)} name grid cells (their corners)")
    if hours:
        what.append(f"{hours[0]!r} sums the hours spent in a cell")
    raise InputError(
        f"{name}: a gridded product, not positions: {' and '.join(what)} (as Global Fishing "
        "Watch's fishing effort and vessel presence tables); read as pings every vessel "
        "would sit at a cell corner once a day and its hours would be lost. A grid of hours "
        "is not a track: give the AIS positions it was made from, or rasterise the hours "
        "(gdal_rasterize) and add them as a raster input; set columns: {lat: ..., lon: ...} "
        "only if these are positions after all"
    )


#: Seconds from the Unix epoch (1970-01-01) to the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_S = 631_065_600


def _refuse_fit_epoch(values: pd.Series, col: str, name: str) -> None:
    """Refuse the whole-second numbers of a FIT record export's time column.

    A FIT ``timestamp`` counts seconds from 1989-12-31 (FitCSVTool writes it as it is); read
    as Unix seconds, every time would be 20 years early (2024 read as 2004), and a number
    alone does not say which count a converter wrote.
    """
    text = as_text(values).dropna().astype("str").str.strip()
    whole = text.str.fullmatch(r"\d{8,10}(?:\.0+)?").fillna(False).to_numpy(dtype=bool)
    if not whole.any():
        return
    v = float(text[whole].iloc[0])
    raise InputError(
        f"{name}: time column {col!r} of a FIT record export holds seconds "
        f"({text[whole].iloc[0]!r}): a FIT timestamp counts from 1989-12-31 "
        f"({pd.Timestamp(v + FIT_EPOCH_S, unit='s')} UTC), Unix time from 1970 "
        f"({pd.Timestamp(v, unit='s')} UTC); which one is a guess: write the times as dates "
        f"(or add {FIT_EPOCH_S} to FIT seconds) in the export"
    )


def _fallback_coordinates(cols: list[str], pick: dict, evidence: dict, name: str) -> str | None:
    """Pick the columns read where the latitude/longitude picked by name is blank.

    ``pick`` gains ``lat_fill``/``lon_fill`` (None when there is none; a column picked by
    the config or by its content has none) and ``evidence`` says so; returns the note.
    """
    said = []
    for role in ("lat", "lon"):
        pick[f"{role}_fill"] = None
        col = pick.get(role)
        if col is None or evidence.get(role, {}).get("by") != "name":
            continue
        alt = fallback_column(cols, role, col, {c for c in pick.values() if c})
        if alt is None:
            continue
        pick[f"{role}_fill"] = alt
        evidence[role] = {**evidence[role], "blank_filled_from": alt}
        said.append(f"{col!r} from {alt!r}")
    if not said:
        return None
    return (
        f"{name}: where a coordinate is blank it is read from the other column of the same "
        f"name ({'; '.join(said)}): both spell the position, whatever records decided which "
        "is read first"
    )


def _geojson_point_column(raw: pd.DataFrame) -> str | None:
    """Return the ``...coordinates`` column of GeoJSON points in JSON records, or None.

    A feature saved as a JSON record (BarentsWatch's positions with a ``geometry``,
    ``ogr2ogr -f GeoJSONSeq``) keeps ``geometry.coordinates`` as the text ``[lon, lat]``
    beside ``geometry.type``; without it no latitude/longitude column is found.  Taken when
    most of the type column's written values are ``Point``.
    """
    for col in raw.columns:
        if not str(col).endswith("coordinates"):
            continue
        kind = str(col)[: -len("coordinates")] + "type"
        if kind not in raw.columns:
            continue
        types = as_text(raw[kind])
        written = types[~missing_mask(raw[kind])]
        if len(written) and written.eq("Point").mean() > 0.5:
            return str(col)
    return None


def _coordinate_parts(
    raw: pd.DataFrame, pick: dict, evidence: dict, name: str, whole: WholeFile | None = None
) -> tuple[dict[str, dict[str, str]], str | None]:
    """Find the hemisphere (and minutes, seconds) columns completing each coordinate column.

    A GPS logger's CSV (Qstarz's ``LATITUDE,N/S,LONGITUDE,E/W``) or NMEA sentences dumped by
    pynmea2 (``lat,lat_dir,lon,lon_dir``) write unsigned degrees beside the hemisphere:
    read alone, a ping south of the equator or west of Greenwich lands in the other
    hemisphere.  The columns are found as a seizure file's are
    (:func:`~pipeline.ingest._columns.coordinate_parts`) and returned by role, for every
    chunk, with the note saying what was composed; ``whole`` scans the whole file where
    ``raw`` is its first chunk (the hemisphere columns are judged on every record).
    """
    said = []
    split: dict[str, dict[str, str]] = {}
    if pick.get("pair") is not None or pick.get("grid") is not None or pick["lat"] == pick["lon"]:
        return split, None
    taken = {c for c in pick.values() if isinstance(c, str)}
    for role in ("lat", "lon"):
        parts = coordinate_parts(raw, pick[role], role, taken, name, whole)
        if not parts:
            continue
        taken |= set(parts.values())
        split[role] = parts
        if role in evidence:
            evidence[role] = {**evidence[role], "parts": parts}
        said.append(
            f"{role} composed from {pick[role]!r} and "
            + ", ".join(f"{k} {v!r}" for k, v in parts.items())
        )
    return split, (f"{name}: " + "; ".join(said) if said else None)


def _coordinate(
    raw: pd.DataFrame, pick: dict, role: str, split: dict[str, dict[str, str]] | None = None
) -> pd.Series:
    """Return the raw values of a coordinate, blanks filled from its fallback column.

    A coordinate split over columns (``lat`` beside ``lat_dir``) is composed into one text
    (``0.0190 S``) that :func:`~pipeline.ingest._positions.read_positions` reads.
    """
    if pick.get("pair") is not None:  # one column of GeoJSON [lon, lat] positions
        lat, lon, _, _, _ = split_pair_column(raw, pick["pair"], "", {})
        return lat if role == "lat" else lon
    if pick.get("grid") is not None:  # MGRS references: the degrees of each square's centre
        pos = mgrs_to_lonlat(raw[pick["grid"]])
        deg = pd.Series(pos.lat if role == "lat" else pos.lon, index=raw.index)
        # a reference that is none stays as written: rejected (coord_unparseable) with it
        return deg.astype("str").where(deg.notna(), as_text(raw[pick["grid"]]))
    values = raw[pick[role]]
    alt = pick.get(f"{role}_fill")
    if alt is not None and alt in raw.columns:
        blank = missing_mask(values)
        if blank.any():
            values = values.astype(object).where(~blank, raw[alt].astype(object))
    parts = (split or {}).get(role)
    if parts:
        values = compose_coordinate(raw.assign(**{pick[role]: values}), pick[role], parts)
    fill = _grid_fill_rows(raw, pick)
    if fill is not None:  # an incomplete pair: its line's reference, in degrees or as written
        rows, pos = fill
        deg = pd.Series(pos.lat if role == "lat" else pos.lon, index=raw.index)
        ref = deg.astype("str").where(deg.notna(), as_text(raw[pick["grid_fill"]]))
        values = values.astype(object).where(~(rows & ~pos.missing), ref)
    return values


def _grid_fill_rows(raw: pd.DataFrame, pick: dict) -> tuple[np.ndarray, GridPositions] | None:
    """Return (lines whose latitude or longitude is blank, their references decoded), or None.

    Only where ``pick`` has a grid reference column beside latitude/longitude
    (``grid_fill``): the other lines' references are blanked, never read.
    """
    col = pick.get("grid_fill")
    if col is None or col not in raw.columns:
        return None
    rows = np.zeros(len(raw), bool)
    for role in ("lat", "lon"):
        blank = missing_mask(raw[pick[role]])
        alt = pick.get(f"{role}_fill")
        if alt is not None and alt in raw.columns:  # filled from its fallback column
            blank = blank & missing_mask(raw[alt])
        rows |= blank
    return rows, mgrs_to_lonlat(raw[col].where(rows))


#: Whole header names (normalised) of a fix's validity flag (Traccar's ``valid``).
_VALIDITY_NAMES = frozenset(
    {"valid", "is_valid", "fix_valid", "gps_valid", "valid_fix", "gps_fix_valid", "validity"}
)
_FLAG_TRUE = frozenset({"TRUE", "T", "1", "YES", "Y", "A"})
_FLAG_FALSE = frozenset({"FALSE", "F", "0", "NO", "N", "V"})


def _validity_column(raw: pd.DataFrame, cols: list[str], taken: set) -> str | None:
    """Return the column flagging each record's fix as valid or not, if every value is a flag.

    A tracker that has no fix still reports, with its last position (Traccar: ``valid``
    false): that position is not where the vehicle was at the record's time.
    """
    for c in cols:
        if c in taken or normalise_name(c) not in _VALIDITY_NAMES:
            continue
        text = as_text(raw[c]).str.strip().str.upper()
        given = text[text != ""]
        if len(given) and given.isin(_FLAG_TRUE | _FLAG_FALSE).all():
            return c
    return None


def _invalid_fix(values: pd.Series | None, n: int) -> np.ndarray:
    """Return the mask of records whose validity flag is false."""
    if values is None:
        return np.zeros(n, dtype=bool)
    text = as_text(values).str.strip().str.upper()
    return text.isin(_FLAG_FALSE).to_numpy()


#: The parts holding the identity columns, and their role in ``picks``.
IDENTITY_PARTS = {"id_imo": "imo", "id_name": "ship_name", "id_call": "callsign"}


def _identity_layout(raw: pd.DataFrame, cols: list[str], pick: dict) -> dict[str, Any]:
    """Find the ship identity columns (IMO, name, call sign); ``pick`` gains their roles.

    They are secondary columns: the vessel id stays the one picked; they only say which
    vessel ids are one ship (:mod:`pipeline.ingest.identity`).
    """
    found = find_identity_columns(cols, [c for c in pick.values() if isinstance(c, str)])
    out: dict[str, Any] = {}
    for part, role in IDENTITY_PARTS.items():
        pick[role] = found.get(role)
        out[part] = raw[found[role]] if role in found else None
    out["identity_cols"] = found
    return out


def identity_of(parts: dict) -> pd.DataFrame:
    """Return the identity table of a table's records (:func:`~.identity.identity_table`).

    A vessel id column that is the IMO number (``imo``, ``IMO number``) is also the ship's
    IMO key: another file keying the same ship by its MMSI, with an IMO column, is then the
    same ship, not a second one sailing beside it.
    """
    vraw = parts["vessel"]
    imo = parts.get("id_imo")
    if imo is None and "imo" in name_tokens(parts.get("vessel_col") or ""):
        imo = vraw
    if imo is None and not any(parts.get(p) is not None for p in IDENTITY_PARTS):
        return empty_identity()
    return identity_table(
        _id_text(vraw).to_numpy(dtype=object),
        ~missing_mask(vraw),
        imo,
        parts.get("id_name"),
        parts.get("id_call"),
    )


def parts_like(layout: dict, raw: pd.DataFrame, src: TrackSource) -> dict:
    """Return the parts of ``raw`` read with the columns ``layout`` picked (a later chunk).

    ``layout`` is what the column recognition returned for the file's first chunk: the same
    columns serve the same roles, with the same units, in every chunk.
    """
    pick = layout["picks"]
    out = dict(layout)
    vid_col = pick["vessel_id"]
    out["vessel"] = raw[vid_col] if vid_col else pd.Series(src.vessel_id, index=raw.index)
    out["time"] = raw[pick["time"]]
    out["clock"] = raw[pick["time_of_day"]] if pick["time_of_day"] else None
    for role in ("lat", "lon"):
        alt = pick.get(f"{role}_fill")
        if alt is not None and alt in raw.columns:  # as the first chunk was checked
            check_spellings_agree(raw, pick[role], alt, role, src.path.name)
    out["lat"] = _coordinate(raw, pick, "lat", layout.get("coordinate_parts"))
    out["lon"] = _coordinate(raw, pick, "lon", layout.get("coordinate_parts"))
    out["sog"] = raw[pick["sog"]] if pick["sog"] else None
    out["cog"] = raw[pick["cog"]] if pick["cog"] else None
    out["offset"] = raw[pick["utc_offset"]] if pick.get("utc_offset") else None
    out["valid"] = raw[pick["valid"]] if pick.get("valid") else None
    for part, role in IDENTITY_PARTS.items():
        out[part] = raw[pick[role]] if pick.get(role) else None
    zone = pick.get("zone_checked")
    if zone and zone in raw.columns:
        # what the first chunk decided must hold for the whole file, as when it is read whole
        blank, offsets, strong = zone_kind(raw[zone], zone, src.path.name)
        applied = zone == pick.get("utc_offset")
        first_blank = layout.get("zone_blank", False)
        if not blank and (
            (applied and not offsets) or (not applied and strong) or (first_blank and offsets)
        ):
            raise InputError(
                f"{src.path.name}: column {zone!r} holds UTC offsets or zone names in some "
                "records and other values (a UTM or map zone?), or none, in others; whether "
                "it places the times is a guess: rename it utc_offset if it holds offsets "
                "(and fix the other values), or leave it out of the export"
            )
    return out


def position_texts(layout: dict, raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Return the (lat, lon) values of ``raw`` as the columns ``layout`` picked read them."""
    pick = layout["picks"]
    return _coordinate(raw, pick, "lat"), _coordinate(raw, pick, "lon")


def used_columns(layout: dict) -> list[str]:
    """Return the source columns the parts of ``layout`` read."""
    split = layout.get("coordinate_parts") or {}
    parts = [c for role in ("lat", "lon") for c in (split.get(role) or {}).values()]
    return [c for c in dict.fromkeys([*layout["picks"].values(), *parts]) if c]


def table_layout(
    raw: pd.DataFrame,
    src: TrackSource,
    name: str,
    schema: str,
    *,
    whole: WholeFile | None = None,
    units: dict[str, str] | None = None,
) -> dict:
    """Recognise the columns of a position table (see :func:`read_tracks`); parts of ``raw``.

    ``raw`` may be the first chunk of a file: ``whole`` then scans what the identity
    rules need of the whole file (see :func:`~pipeline.ingest._columns.infer_columns`).
    ``units``: the columns' units from the line below the header (ERDDAP's ``.csv``,
    :attr:`~pipeline.ingest._common.TextTable.units`), read as the header's own.
    """
    return _columns_from_table(raw, src, name, schema, whole, units)


def _vertex_parts(
    raw: pd.DataFrame, src: TrackSource, *, vessel_col: str, lat_col: str, lon_col: str
) -> dict:
    """Ping parts of vertices (``vessel``, ``time``, ``x``, ``y``): no speed, course or MMSI."""
    vessel = (
        raw["vessel"].astype("str")
        if src.vessel_id is None
        else pd.Series(src.vessel_id, index=raw.index)
    )
    return {
        "vessel": vessel,
        "vessel_col": vessel_col,
        "time": raw["time"],
        "time_col": "time",
        "lat": raw["y"],
        "lat_col": lat_col,
        "lon": raw["x"],
        "lon_col": lon_col,
        "clock": None,
        "clock_col": None,
        "sog": None,
        "cog": None,
        "is_mmsi": False,
        "dayfirst": None,
        "order_by": "values",
        "evidence": {
            "vessel_id": {"column": vessel_col, "by": "geometry", "evidence": "one id per feature"}
            if src.vessel_id is None
            else {"column": None, "by": "constant", "evidence": f"vessel_id {src.vessel_id!r}"},
            "lat": {"column": lat_col, "by": "geometry", "evidence": "vertex coordinates"},
            "lon": {"column": lon_col, "by": "geometry", "evidence": "vertex coordinates"},
        },
    }


def refuse_narrow_ids(attrs: pd.DataFrame, column: str | None, name: str) -> None:
    """Refuse a vessel id column stored as float16/float32, which cannot hold nine digits.

    A float32 has 24 bits of mantissa: MMSIs 257123457 and 257123459 both read 257123456,
    two ships made one.

    Raises
    ------
    InputError
        If ``column`` of ``attrs`` is a float narrower than 64 bits.
    """
    if not column or column not in attrs.columns:
        return
    dtype = attrs[column].dtype
    if dtype.kind == "f" and dtype.itemsize < 8:
        raise InputError(
            f"{name}: vessel id column {column!r} is stored as {dtype.name!r}, which cannot "
            "hold a nine-digit id (MMSIs a few units apart become one); write it as an "
            "integer or text column"
        )


def _id_text(values: pd.Series) -> pd.Series:
    """Return vessel ids as text, an integral float written as its integer (``257000000``).

    One ship's id is an integer in one export and a float in another (a column with a
    missing value becomes float): ``257000000.0`` must not be a second vessel.
    """
    if values.dtype.kind == "f":
        v = values.to_numpy(dtype="float64")
        whole = np.isfinite(v) & (v == np.round(v)) & (np.abs(v) < 2**53)
        text = as_text(values)
        if whole.any():
            text = text.where(
                ~whole, pd.Series(v[whole].astype("int64"), index=values.index[whole]).astype(str)
            )
        return text
    return as_text(values).str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:160] if text else ""


_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
#: GPX track and route names a device gives by default: a log or track word, or a bare
#: date/number ('ACTIVE LOG #2', 'Current Track: 05 JAN 2024 08:12', 'Track 002', '03-OCT-10').
_GPX_DEFAULT_NAME = re.compile(
    r"\s*(?:(?:active\s*log|current\s*track|track\s*log|tracklog|track|trk|route|rte|"
    r"unnamed|untitled|(?:gps|recorded|my)\s*track)\b)?[\s:/\-_.,#]*"
    rf"(?:\d[\d\s:/\-_.,#tz]*(?:(?:{_MONTHS})[a-z]*[\d\s:/\-_.,#tz]*)?)?\s*",
    re.IGNORECASE,
)

#: An activity app's default name for a recording: Strava's part of the day and sport
#: ('Morning Ride', 'Lunch Run', 'Evening Sail'), Garmin Connect's place and sport
#: ('London Cycling', 'Open Water Swimming').  Every rider's morning ride has it: two
#: people's files would make one vessel.  A boat's own name ('Morning Star') is no sport.
_SPORTS = (
    r"(?:e-?bike\s+|mountain\s+bike\s+|gravel\s+|virtual\s+|trail\s+)?"
    r"(?:ride|run|walk|hike|swim|row|sail|kayaking|canoe|canoeing|paddle|stand\s+up\s+"
    r"paddling|surf|windsurf|kitesurf|ski|activity|workout)"
)
#: Garmin's sport after a place: a gerund (a boat may be 'Lady Run', not 'Lady Running').
_SPORT_GERUNDS = (
    r"(?:road\s+|mountain\s+|indoor\s+|trail\s+|open\s+water\s+|lap\s+)?"
    r"(?:cycling|biking|running|walking|hiking|swimming|rowing|sailing|kayaking|canoeing|"
    r"paddling|paddleboarding|boating|surfing|windsurfing|kitesurfing|skiing)"
)
_ACTIVITY_DEFAULT_NAME = re.compile(
    rf"\s*(?:(?:morning|lunch|afternoon|evening|night)\s+{_SPORTS}"
    rf"|(?:[^\W\d_][\w'.-]*[\s,-]+)*{_SPORT_GERUNDS})\s*",
    re.IGNORECASE,
)


def _read_gpx(src: TrackSource, opened):
    """Every ``<trkpt>`` and ``<rtept>`` as a ping record, rows being the line of its tag."""
    from ._gpx import read_gpx_points

    name = src.path.name
    if opened.data is not None:
        got = read_gpx_points(opened.data, name)
    else:
        try:
            with open(opened.target, "rb") as fh:
                got = read_gpx_points(fh, name)
        except OSError as exc:
            raise SourceUnreadable(f"{name}: cannot read: {exc.strerror or exc}") from exc
    notes = []
    if got.n_waypoints:
        notes.append(
            f"{name}: {got.n_waypoints} waypoint(s) are not track points and were not read"
        )
    if got.n_outside:
        notes.append(
            f"{name}: {got.n_outside} <trkpt>/<rtept> point(s) outside any <trk>/<rte> (not "
            "GPX: no track or route owns them) were not read"
        )
    return _points_as_pings(src, got, notes, "trk/name")


def _read_kml_track(src: TrackSource, opened, max_uncompressed_mb: float):
    """Every position of a KML ``gx:Track`` as a ping record (:mod:`._kml_track`)."""
    from ._archive import read_member
    from ._kml_track import kml_document, read_kml_track_points

    name = src.path.name
    member = opened.assumptions.get("archive_member", {}).get("member")
    if opened.data is None and member is not None:  # a .kml or .kmz inside a zip
        data = read_member(src.path, member)
    else:
        data = _source_bytes(src, opened)
    doc, entry = kml_document(data, name, max_uncompressed_mb)
    got, n_places = read_kml_track_points(doc, name)
    notes = []
    if entry is not None:
        notes.append(
            f"{name}: the KMZ's KML document {entry!r} was read: none is at its top, and "
            "Google Earth reads the archive's first .kml"
        )
    if n_places:
        notes.append(
            f"{name}: {n_places} placemark(s) without a track (places, not positions over "
            "time) were not read"
        )
    if got.n_outside:
        notes.append(
            f"{name}: {got.n_outside} track(s) outside any Placemark (not KML: none names "
            "them) were not read"
        )
    return _points_as_pings(src, got, notes, "Placemark/name")


def _points_as_pings(src: TrackSource, got, notes: list[str], vessel_col: str):
    """Return GPX or KML track points as ping records, their lines, layout parts and notes."""
    name = src.path.name
    pts = got.frame
    keys = pd.MultiIndex.from_arrays([pts["kind"], pts["owner"]])
    labels = pd.Series(got.names, dtype=object) if got.names else pd.Series(dtype=object)
    vid = (
        labels.reindex(keys).fillna("").to_numpy(dtype=object) if len(pts) else np.empty(0, object)
    )
    # An unnamed track's placeholder id is scoped by its file: 'track_0' of two files (two
    # phones, two boats) must not become one vessel when a run reads both.
    stem = f"{src.path.stem}:"
    fallback = (
        stem + pts["kind"].map({"track": "track_", "route": "route_"}) + pts["owner"].astype("str")
    )
    vid = np.where(vid == "", fallback.to_numpy(dtype=object), vid)
    # A device's or an app's default name ('ACTIVE LOG', 'Track 002', a date like
    # '03-OCT-10', 'Morning Ride') names no vessel: two phones' 'ACTIVE LOG' must not become one.  Such names are scoped by the file.
    names = pd.Series(vid, dtype=object)
    generic = (
        names.str.fullmatch(_GPX_DEFAULT_NAME) | names.str.fullmatch(_ACTIVITY_DEFAULT_NAME)
    ).to_numpy(dtype=bool)
    if generic.any():
        seen = sorted(set(vid[generic]))
        vid = np.where(generic, stem + vid.astype(str), vid).astype(object)
        notes.append(
            f"{name}: {len(seen)} track/route name(s) are device defaults, not vessel names "
            f"({', '.join(repr(v) for v in seen[:3])}{', ...' if len(seen) > 3 else ''}): "
            f"their ids start with the file's name ({stem!r}); set vessel_id to name the vessel"
        )
    text = pts[["time", "lon", "lat"]].fillna("")  # an absent attribute or element: missing
    raw = pd.DataFrame({"vessel": vid, "time": text["time"], "x": text["lon"], "y": text["lat"]})
    # A track none of whose points has a time is an untimed route: accepted, but a run leaves
    # it out of vessel-hours, vessels, events and coverage; the file's summary says so here,
    # where 'accepted' alone read as every point being used.
    timed = raw["time"].str.strip().ne("").groupby(raw["vessel"]).transform("any")
    if len(raw) and not timed.all():
        untimed = sorted(set(raw["vessel"][~timed]))
        notes.append(
            f"{name}: {int((~timed).sum())} point(s) of {len(untimed)} track(s)/route(s) "
            f"without any time ({', '.join(repr(v) for v in untimed[:3])}"
            f"{', ...' if len(untimed) > 3 else ''}) kept as untimed routes: a run uses them "
            "for no vessel-hours, vessel, event or AIS coverage"
        )
    rows = pts["line"].to_numpy(dtype="int64")
    parts = _vertex_parts(raw, src, vessel_col=vessel_col, lat_col="lat", lon_col="lon")
    parts["lat_col"], parts["lon_col"] = "lat", "lon"
    return raw, rows, parts, notes


def _source_bytes(src: TrackSource, opened) -> bytes:
    """Return the bytes of a track file read whole (a member's or a decompressed file's)."""
    if opened.data is not None:
        return opened.data
    try:
        return Path(opened.target).read_bytes()
    except OSError as exc:
        raise SourceUnreadable(f"{src.path.name}: cannot read: {exc.strerror or exc}") from exc


def _read_nmea(src: TrackSource, opened):
    """Decode the AIS position reports of a file of raw NMEA sentences (:mod:`._nmea`)."""
    from ._nmea import read_nmea_positions

    data = _source_bytes(src, opened)  # an empty one is refused there
    return read_nmea_positions(data, src.path.name, dayfirst=src.dayfirst)


def _read_plt(src: TrackSource, opened):
    """Every point of an OziExplorer/Geolife ``.plt`` file as a ping, rows being its line.

    A ``.plt`` names no vessel: the Geolife layout's user folder does
    (``Data/<user>/Trajectory/<start>.plt``: one person, several trajectories), else the
    track's own name, else the file's name (a device's default track name, 'My Track',
    names no vessel: two loggers' must not become one).
    """
    from ._plt import read_plt_points

    name = src.path.name
    got = read_plt_points(_source_bytes(src, opened), name)
    # a zip's member is the file read: its folders and name (Geolife's user folder), not
    # the archive's (two users' trajectories from one zip were one vessel, the zip's name)
    member = opened.assumptions.get("archive_member", {}).get("member")
    path = PurePosixPath(member) if member else PurePosixPath(src.path.as_posix())
    track = got.track_name
    if path.parent.name.lower() == "trajectory" and path.parent.parent.name:
        vid = path.parent.parent.name
        why = f"the Geolife user folder {vid!r} ({vid}/Trajectory/{path.name})"
    elif track and not (
        _GPX_DEFAULT_NAME.fullmatch(track) or _ACTIVITY_DEFAULT_NAME.fullmatch(track)
    ):
        vid, why = track, f"the track's name on line 5 ({track!r})"
    else:
        # the name without .plt and a compression suffix: log.plt.gz names 'log' as log.plt
        vid = re.sub(r"(?i)\.plt(?:\.(?:gz|bz2|xz|zst))?$", "", path.name) or path.stem
        why = (
            f"the file's name (the track's name {track!r} is a device default)"
            if track
            else ("the file's name (the track has no name)")
        )
    pts = got.frame
    raw = pd.DataFrame(
        {"vessel": vid, "time": pts["time"], "x": pts["lon"], "y": pts["lat"]}, index=pts.index
    )
    parts = _vertex_parts(raw, src, vessel_col="file", lat_col="lat", lon_col="lon")
    notes = list(got.notes)
    if src.vessel_id is None:
        parts["evidence"]["vessel_id"] = {"column": None, "by": "file", "evidence": why}
        notes.append(f"{name}: vessel id {vid!r}: {why}; set vessel_id to name it otherwise")
    return raw, pts["line"].to_numpy(dtype="int64"), parts, notes, got.rejects


def _read_vector_tracks(
    src: TrackSource, fmt: str, target: str, max_uncompressed_mb: float | None = None
):
    name = src.path.name
    attrs, geoms_or_none, file_crs = read_vector(
        target, name, fmt, src.layer, max_uncompressed_mb=max_uncompressed_mb
    )
    notes: list[str] = []
    if geoms_or_none is None:
        raw = attrs.astype(object).where(attrs.notna(), "").astype("str")
        parts = _columns_from_table(raw, src, name, _table_schema(src, list(raw.columns)))
        refuse_narrow_ids(attrs, parts["vessel_col"], name)
        parts["crs_by"] = "config"
        return raw, np.arange(1, len(raw) + 1, dtype="int64"), parts, notes, src.crs
    geoms = geoms_or_none
    crs = file_crs if file_crs is not None else src.crs
    crs_by = "file" if file_crs is not None else "config"
    if file_crs is not None and src.crs is not None:
        notes.append(f"{name}: file declares a CRS; config crs {src.crs!r} ignored")
    cols = [str(c) for c in attrs.columns]
    types = shapely.get_type_id(geoms)
    lines = np.isin(types, [1, 5])
    points = np.isin(types, [0, 4, 7])  # points, multipoints, collections (of points)
    if lines.any() and lines.sum() <= points.sum():
        # a layer of pings with a stray line (a drawn annotation, a merged track) is still
        # a layer of pings: the line is a feature of the wrong type, not a reason to read
        # every point as one
        notes.append(
            f"{name}: {int(lines.sum())} line feature(s) in a layer of {int(points.sum())} "
            "point(s): read as a layer of pings, the lines rejected as geometry_wrong_type"
        )
        lines = np.zeros_like(lines)
    over = {_ROLE_OF.get(k, k): v for k, v in src.columns.items()}
    vroles = ("time", "time_of_day", "vessel_id", "sog", "cog")
    if lines.any() and "vessel_id" in over:
        over["route_id"] = over.pop("vessel_id")
    roles = tuple(
        ("route_id" if lines.any() else r)
        for r in vroles
        if not (r == "vessel_id" and src.vessel_id is not None)
    )
    choice = infer_columns(
        attrs,
        roles,
        over,
        name,
        id_roles=() if lines.any() or src.vessel_id is not None else ("vessel_id",),
    )
    pick = {r: choice.get(r) for r in vroles}
    if lines.any():
        pick["vessel_id"] = choice.get("route_id")
    if lines.any():
        # LineString routes: one ping per vertex.  Times: the vertex times a converter wrote
        # (togeojson's coordTimes / coordinateProperties.times), else interpolated by
        # distance between the feature's start and end times, else an untimed route.
        vertex = _vertex_time_lists(attrs, cols, lines)
        if vertex is not None or not (types == 5).any():
            lines_g = geoms[lines]  # vertex times follow the vertices as written: no merge
        else:
            lines_g = shapely.line_merge(geoms[lines])
        coords, owner = shapely.get_coordinates(lines_g, return_index=True)
        feat = np.flatnonzero(lines)[owner]
        start = find_column(
            cols, ("start_time", "start", "departure", "t0", "time_start"), None, name, "start"
        )
        end = find_column(cols, ("end_time", "end", "arrival", "t1", "time_end"), None, name, "end")
        times = pd.Series(pd.NaT, index=range(len(coords)), dtype="datetime64[ns, UTC]")
        n_lines = int(lines.sum())
        spanned = np.zeros(n_lines, dtype=bool)  # line features with a start and an end time
        if start and end:
            t0 = parse_times(attrs[start], name=name, column=start).times
            t1 = parse_times(attrs[end], name=name, column=end).times
            t0 = t0.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
            t1 = t1.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
            seg = np.r_[
                0.0, haversine_km(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
            ]
            new = np.r_[True, feat[1:] != feat[:-1]]
            seg[new] = 0.0
            cum = pd.Series(seg).groupby(feat).cumsum().to_numpy()
            total = pd.Series(cum).groupby(feat).transform("max").to_numpy()
            frac = np.divide(cum, total, out=np.zeros_like(cum), where=total > 0)
            a = t0[feat].view("int64").astype("float64")
            b = t1[feat].view("int64").astype("float64")
            ok = ~np.isnat(t0[feat]) & ~np.isnat(t1[feat])
            tt = np.where(ok, a + frac * (b - a), np.nan)
            times = pd.Series(pd.to_datetime(tt, unit="ns", utc=True))
            spanned = ~np.isnat(t0[lines]) & ~np.isnat(t1[lines])
        listed = np.zeros(n_lines, dtype=bool)  # line features timed by their vertex list
        wrong = np.zeros(n_lines, dtype=bool)  # line features whose list has another length
        if vertex is not None:
            times, vnotes, listed, wrong = _with_vertex_times(vertex, times, owner, name)
            notes += vnotes
        has_vertex = np.bincount(owner, minlength=n_lines) > 0
        n_spanned = int((spanned & ~listed & ~wrong & has_vertex).sum())
        n_untimed = int((~spanned & ~listed & ~wrong & has_vertex).sum())
        if n_spanned:
            notes.append(
                f"{name}: route times of {n_spanned} feature(s) interpolated by distance "
                f"between {start!r} and {end!r}"
            )
        if n_untimed:
            notes.append(
                f"{name}: {n_untimed} LineString route feature(s) without start/end times "
                "or vertex times kept as untimed routes"
            )
        vertex_rejects = None
        featureless = _featureless_rejects(geoms, types, lines, feat, name)
        if wrong.any():  # rejected whole, one row per feature: its vertices are not kept
            keep = ~wrong[owner]
            vertex_rejects = _vertex_count_rejects(
                vertex, attrs, lines, wrong, np.bincount(owner, minlength=n_lines), name
            )
            coords, owner, feat = coords[keep], owner[keep], feat[keep]
            times = times[keep].reset_index(drop=True)
        if pick["vessel_id"]:
            vid = attrs[pick["vessel_id"]].astype("str").to_numpy()[feat]
        else:
            vid = (f"{src.path.stem}:route_" + pd.Series(feat + 1).astype("str")).to_numpy(
                dtype=object
            )
        raw = pd.DataFrame(
            {"vessel": vid, "time": times.to_numpy(), "x": coords[:, 0], "y": coords[:, 1]}
        )
        rows = feat.astype("int64") + 1
        parts = _vertex_parts(
            raw,
            src,
            vessel_col=pick["vessel_id"] or "feature",
            lat_col="geometry",
            lon_col="geometry",
        )
        parts["crs_by"] = crs_by
        if vertex is not None:  # rejects name the column(s) the times came from
            parts["time_col"] = vertex[0]
        parts["pre"] = featureless
        if len(parts["pre"]):
            notes.append(
                f"{name}: {len(parts['pre'])} feature(s) of a route layer give no vertex (not a "
                "line, or empty): rejected"
            )
        if vertex_rejects is not None:
            parts["pre"] = pd.concat([parts["pre"], vertex_rejects], ignore_index=True)
        return raw, rows, parts, notes, crs
    geoms, types = _one_point_collections(geoms, types)
    # an empty point (GeoPackage, GeoParquet and WKB write a missing position as POINT
    # EMPTY) has no position: GEOS refuses its x (a traceback), it is coord_missing
    pts = (types == 0) & ~shapely.is_empty(geoms)
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[pts] = shapely.get_x(geoms[pts])
    y[pts] = shapely.get_y(geoms[pts])
    if crs is not None:  # the points against a position the attributes write, in degrees
        check_attribute_positions(attrs, *reproject_xy(x, y, crs, name), name, notes)
    elif np.nanmax(np.abs(x), initial=0) <= 180 and np.nanmax(np.abs(y), initial=0) <= 90:
        check_attribute_positions(attrs, x, y, name, notes)
    raw = attrs.copy()
    raw["__x"] = x
    raw["__y"] = y
    if pick["time"] is None:
        why = choice.evidence.get("time", {}).get("evidence")
        raise InputError(
            f"{name}: no time column among {cols!r}"
            + (f" ({why})" if why else "")
            + "; set columns: {time: ...}"
        )
    if pick["vessel_id"] is None and src.vessel_id is None:
        raise _vessel_error(name, cols, choice.evidence)
    vid_col = pick["vessel_id"]
    refuse_narrow_ids(attrs, vid_col, name)
    evidence = {k: v for k, v in choice.evidence.items() if v.get("column") is not None}
    evidence["lat"] = evidence["lon"] = {
        "column": "geometry",
        "by": "geometry",
        "evidence": "point geometry",
    }
    parts = {
        "vessel": raw[vid_col] if vid_col else pd.Series(src.vessel_id, index=raw.index),
        "vessel_col": vid_col or "",
        "time": raw[pick["time"]],
        "time_col": pick["time"],
        "clock": raw[pick["time_of_day"]] if pick["time_of_day"] else None,
        "clock_col": pick["time_of_day"],
        "lat": raw["__y"],
        "lat_col": "geometry",
        "lon": raw["__x"],
        "lon_col": "geometry",
        "sog": raw[pick["sog"]] if pick["sog"] else None,
        "cog": raw[pick["cog"]] if pick["cog"] else None,
        "is_mmsi": vid_col is not None and "mmsi" in name_tokens(vid_col),
        "dayfirst": src.dayfirst,
        "order_by": "config" if src.dayfirst is not None else "values",
        "evidence": evidence,
        "crs_by": crs_by,
    }
    speed = _speed_unit(
        src,
        pick["sog"],
        _table_schema(src, cols),
        name,
        attrs[pick["sog"]] if pick["sog"] else None,
    )
    parts["speed_unit"] = _speed_report(speed, pick["sog"])
    parts["speed_factor"] = speed["factor"]
    parts["speed_checked"] = speed["by"] != "config"
    parts["speed_note"] = speed.get("note") if pick["sog"] else None
    parts["sog_col"], parts["cog_col"] = pick["sog"], pick["cog"]
    parts["cog_factor"] = _course_factor(pick["cog"])
    # local times beside an offset column: placed as in a table of pings
    parts.update(zone_layout(attrs, cols, pick, name, evidence))
    parts.update(_identity_layout(raw, cols, pick))
    parts["geometry_rules"] = _point_layer_rules(geoms, types)
    if (types == 4).any():
        notes.append(
            f"{name}: {int((types == 4).sum())} MultiPoint feature(s) of several points (no "
            "time per point): rejected as multipoint"
        )
    return raw, np.arange(1, len(raw) + 1, dtype="int64"), parts, notes, crs


def _one_point_collections(geoms: np.ndarray, types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (geometries, type ids) with collections of points read as their position.

    A MultiPoint, or a GeometryCollection of points only, whose points (empty ones left
    out) lie at one position is that point, as for seizures; one of no point is no
    position (None: ``coord_missing``); one of several positions is left for the
    ``multipoint`` rule (its type id is MultiPoint's, the geometry kept as written).  A
    collection holding anything but points stays ``geometry_wrong_type``.
    """
    coll = (types == 4) | (types == 7)
    if not coll.any():
        return geoms, types
    idx = np.flatnonzero(coll)
    parts, owner = shapely.get_parts(geoms[idx], return_index=True)
    n = len(idx)
    point_part = shapely.get_type_id(parts) == 0
    only_points = np.bincount(owner[~point_part], minlength=n) == 0
    real = point_part & ~shapely.is_empty(parts)
    parts, owner = parts[real], owner[real]
    count = np.bincount(owner, minlength=n)
    xy = shapely.get_coordinates(parts)  # one row per point, in part order
    first = np.searchsorted(owner, np.arange(n))  # owner is sorted: each one's first point
    same = np.ones(n, dtype=bool)
    if len(parts):
        differs = (xy != xy[np.minimum(first, len(parts) - 1)[owner]]).any(axis=1)
        same = np.bincount(owner[differs], minlength=n) == 0
    geoms = geoms.copy()
    one = only_points & (count > 0) & same
    geoms[idx[one]] = parts[first[one]]
    geoms[idx[only_points & (count == 0)]] = None
    types = shapely.get_type_id(geoms)
    types[idx[only_points & (count > 0) & ~same]] = 4  # several positions: as a MultiPoint
    return geoms, types


def _point_layer_rules(geoms: np.ndarray, types: np.ndarray) -> list[Rule]:
    """Return the rules of the features of a layer of pings that are not points.

    A MultiPoint of several points (a GIS export of a track's positions as one feature)
    has one time and one set of attributes for all its points: which point was where when
    is unknown, so it is ``multipoint``, not a missing position.  A polygon is
    ``geometry_wrong_type``.  A feature without geometry stays ``coord_missing``.
    """
    multi = types == 4
    other = (types > 0) & ~multi
    wkt = pd.Series("", index=range(len(geoms)), dtype="str")
    if (multi | other).any():
        idx = np.flatnonzero(multi | other)
        wkt.iloc[idx] = shapely.to_wkt(geoms[idx], rounding_precision=8)
        wkt = wkt.str.slice(0, 120)
    return [
        Rule(
            "multipoint",
            multi,
            "geometry",
            "a MultiPoint feature of several points: one time for all, none per point, so "
            "which position was when is unknown; export one point per row, each with its own "
            "time (the points of the track, not a merged feature)",
            wkt,
        ),
        Rule(
            "geometry_wrong_type",
            other,
            "geometry",
            "a line, polygon or collection in a layer of point pings: it is no one position",
            wkt,
        ),
    ]


#: Per-feature lists of vertex times written by GPX/KML-to-GeoJSON converters.
#: ``timestamps``: a list of epoch seconds or milliseconds per vertex.
_VERTEX_TIME_NAMES = ("coordtimes", "coordinateproperties", "times", "timestamps")


def _vertex_time_lists(
    attrs: pd.DataFrame, cols: list[str], lines: np.ndarray
) -> tuple[str, list[list[Any] | None]] | None:
    """Return (columns, vertex time list per line feature) if the layer carries vertex times.

    ``coordTimes`` holds a list of times per feature (a list of lists for a MultiLineString);
    ``coordinateProperties`` an object whose ``times`` is such a list (as a dict, or as JSON
    text where GDAL gives nested objects as text).  None when no line feature has any.
    """
    import json

    found = [c for c in cols if c.lower().replace("_", "") in _VERTEX_TIME_NAMES]
    if not found:
        return None

    def flat(value: Any) -> list[Any] | None:
        if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
            try:
                value = json.loads(value)
            except ValueError:
                return None
        if isinstance(value, dict):
            value = value.get("times")
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if not isinstance(value, list):
            return None
        out: list[Any] = []
        for v in value:  # a MultiLineString's parts one after the other
            out += flat(v) or [] if isinstance(v, list | np.ndarray) else [v]
        return out

    per: list[list[Any] | None] = [None] * int(lines.sum())
    used = []
    for col in found:  # a feature's first column that has its times
        values = attrs[col].to_numpy(dtype=object)[lines]
        got = [p or flat(v) for p, v in zip(per, values, strict=True)]
        if sum(map(bool, got)) > sum(map(bool, per)):
            used.append(col)
        per = got
    return (" / ".join(used), per) if used else None


def _with_vertex_times(
    vertex: tuple[str, list[list[Any] | None]],
    interpolated: pd.Series,
    owner: np.ndarray,
    name: str,
) -> tuple[pd.Series, list[str], np.ndarray, np.ndarray]:
    """Return the vertices' times as text, notes, and which features listed them or not.

    A feature's own vertex times where it lists as many as it has vertices, else its
    interpolated time (ISO text), else missing.  Epoch numbers are written as their digits,
    which the time parser reads as seconds or milliseconds by their magnitude (9-11 digits,
    12-14).  The second array marks the features whose list has another length (rejected
    by the caller).
    """
    col, per = vertex
    n_vertices = np.bincount(owner, minlength=len(per))
    text = pd.Series(
        [t.isoformat() if not pd.isna(t) else None for t in interpolated], dtype=object
    )
    starts = np.r_[0, np.cumsum(n_vertices)[:-1]]
    listed = np.zeros(len(per), dtype=bool)
    wrong = np.zeros(len(per), dtype=bool)
    for f, values in enumerate(per):
        if not values or not n_vertices[f]:
            continue
        if len(values) != n_vertices[f]:
            wrong[f] = True
            continue
        listed[f] = True
        text.iloc[starts[f] : starts[f] + n_vertices[f]] = [_vertex_time_text(v) for v in values]
    notes = []
    if listed.any():
        notes.append(
            f"{name}: times of the vertices of {int(listed.sum())} route feature(s) read "
            f"from {col!r}"
        )
    if wrong.any():
        notes.append(
            f"{name}: {int(wrong.sum())} route feature(s) list a number of times in {col!r} "
            "other than their number of vertices: rejected (vertex_times_count)"
        )
    return text, notes, listed, wrong


def _vertex_time_text(value: Any) -> str | None:
    """Return one listed vertex time as text: an epoch number as its digits."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value)
    if isinstance(value, int | float | np.integer | np.floating):
        if not np.isfinite(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    return str(value)


def _vertex_count_rejects(
    vertex: tuple[str, list[list[Any] | None]] | None,
    attrs: pd.DataFrame,
    lines: np.ndarray,
    wrong: np.ndarray,
    n_vertices: np.ndarray,
    name: str,
) -> pd.DataFrame:
    """Reject the route features whose vertex time list has another length (one row each)."""
    col, per = vertex if vertex is not None else ("", [])
    idx = np.flatnonzero(wrong)
    counts = np.array([len(per[i] or []) for i in idx], dtype="int64")
    verts = n_vertices[idx]
    return pd.DataFrame(
        {
            "source_file": name,
            "row": np.flatnonzero(lines)[idx] + 1,
            "column": col,
            "value": [f"{c} time(s) for {v} vertices" for c, v in zip(counts, verts, strict=True)],
            "rule": "vertex_times_count",
            "message": "a route feature's list of vertex times is not as long as its vertices: "
            "which time is which vertex's is unknown",
        },
        columns=list(REJECT_COLUMNS),
    )


def _featureless_rejects(
    geoms: np.ndarray, types: np.ndarray, lines: np.ndarray, feat: np.ndarray, name: str
) -> pd.DataFrame:
    """Reject rows of the features of a route layer that gave no vertex (one row each)."""
    none = np.ones(len(geoms), dtype=bool)
    none[feat] = False
    idx = np.flatnonzero(none)
    wrong = ~lines[idx] & (types[idx] >= 0)
    kinds = shapely.get_type_id(geoms[idx])
    names = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ],
        dtype=object,
    )
    what = np.where(kinds >= 0, names[np.clip(kinds, 0, 7)], "no geometry")
    return pd.DataFrame(
        {
            "source_file": name,
            "row": idx + 1,
            "column": "geometry",
            "value": what,
            "rule": np.where(wrong, "geometry_wrong_type", "geometry_missing"),
            "message": np.where(
                wrong,
                "a " + what.astype(str) + " feature in a layer of LineString routes",
                "a route feature without any vertex",
            ),
        },
        columns=list(REJECT_COLUMNS),
    )


@dataclass
class PingChecks:
    """The row-local checks of position records, and what the per-vessel checks need.

    Row-local rules (``vessel_missing`` .. ``time_out_of_range``) depend on one record
    alone, so a file can be checked a chunk at a time; ``time_missing``, ``outside_aoi``,
    ``duplicate``, ``duplicate_time`` and ``impossible_speed`` come after them in rule order
    and are decided by :func:`check_ping_vessels` on whole vessels.
    """

    rules: list[Rule]
    vid: np.ndarray  # object: vessel id text
    time: np.ndarray  # datetime64[ns], NaT where missing or unparseable
    time_missing: np.ndarray  # bool
    lon: np.ndarray
    lat: np.ndarray
    sog: np.ndarray
    cog: np.ndarray
    out_bbox: np.ndarray  # bool: outside the area's bbox
    out_polygon: np.ndarray  # bool: inside the bbox but outside the area's polygon
    pair: pd.Series  # "lat lon" text of each record, for messages
    time_raw: pd.Series
    pair_col: str
    time_col: str
    notes: list[str]
    info: dict[str, Any]
    scale: ScaleEvidence = field(default_factory=lambda: ScaleEvidence())
    # what the positions say about projected coordinates (decided for the file, not here)
    projected: ProjectedEvidence = field(default_factory=lambda: ProjectedEvidence())
    #: int8 per record: why its speed and course were read as not available (:data:`UNREAD`)
    unread: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="int8"))

    def timed_vessels(self) -> np.ndarray:
        """Vessel ids with at least one record whose time is not missing (sorted, unique)."""
        return np.unique(self.vid[~self.time_missing].astype(str))

    def candidates(self, keep: np.ndarray, rows: np.ndarray, order: np.ndarray) -> pd.DataFrame:
        """Return the records in ``keep`` as candidates for :func:`check_ping_vessels`.

        ``order`` numbers the records in file order (global across chunks).
        """
        idx = np.flatnonzero(keep)
        return pd.DataFrame(
            {
                "v": self.vid[idx].astype(str),
                "t": self.time[idx],
                "lon": self.lon[idx],
                "lat": self.lat[idx],
                "sog": self.sog[idx],
                "cog": self.cog[idx],
                "row": np.asarray(rows, dtype="int64")[idx],
                "i": np.asarray(order, dtype="int64")[idx],
                "tmiss": self.time_missing[idx],
                "out_bbox": self.out_bbox[idx],
                "out_polygon": self.out_polygon[idx],
                "pair": self.pair.iloc[idx].astype(str).to_numpy(),
                "time_raw": self.time_raw.iloc[idx]
                .astype(str)
                .where(~self.time_raw.iloc[idx].isna(), "")
                .to_numpy(),
                UNREAD: (
                    self.unread[idx] if len(self.unread) else np.zeros(len(idx), dtype="int8")
                ),
            }
        )


def check_ping_rows(
    raw: pd.DataFrame,
    parts: dict,
    *,
    name: str,
    crs,
    is_mmsi: bool,
    aoi_bbox=None,
    aoi_polygon: Any = None,
    sample_rows: int | None = None,
) -> PingChecks:
    """Parse and check the records of a position table one by one (no vessel-level rule).

    What the values say about the scale of the speed and course columns is returned
    (``scale``), not decided here: the file's :class:`ScaleEvidence`, added up over its
    chunks, is decided once (:meth:`ScaleEvidence.decide`), so a burst of odd values in one
    chunk never decides for the file, whatever the chunk size.  So is what the positions say
    about projected coordinates (``projected``: :meth:`ProjectedEvidence.decide`), and a
    latitude's lowercase ``s`` is read as ``parts["lowercase_s"]`` (the whole file's counts,
    when read in chunks) says, and a one-dot value with a letter (``04.10S``) as
    ``parts["dotted"]`` says.

    Parameters
    ----------
    raw : pandas.DataFrame
        The records (``parts`` holds its columns by role).
    parts : dict
        Columns by role and how to read them (from the column recognition).
    name : str
        File name for messages.
    crs : optional
        CRS of the coordinates (reprojected to EPSG:4326).
    is_mmsi : bool
        The vessel id is an MMSI (checked as such).
    aoi_bbox, aoi_polygon : optional
        The area; outside it a record fails ``outside_aoi`` (decided later, in rule order).
    sample_rows : int, optional
        Ship records to keep for the speed scale's sample (the room the chunks before left
        of :data:`SCALE_SAMPLE`); all up to that by default.
    """
    notes: list[str] = []
    n = len(raw)
    lat_col, lon_col, vcol, tcol = (
        parts["lat_col"],
        parts["lon_col"],
        parts["vessel_col"],
        parts["time_col"],
    )
    # a vector layer's features that are no point (a MultiPoint of several) come first
    rules: list[Rule] = list(parts.get("geometry_rules") or ())
    vraw = parts["vessel"]
    vmiss = missing_mask(vraw)
    vid = _id_text(vraw)
    rules.append(Rule("vessel_missing", vmiss, vcol, "vessel id is missing", vraw))
    # Records of a ship: only theirs say what scale the speed and course columns are in
    # (a SAR aircraft's 140 kn, in a Danish Maritime Authority file, is no tenths of a knot).
    ship = ~np.asarray(vmiss, dtype=bool)
    if is_mmsi:
        invalid, not_vessel, reason = classify_mmsi(vid)
        ship &= ~invalid & ~not_vessel
        # an MMSI column stored as numbers drops the leading zeros of the 0-prefixed MMSIs
        # (not vessels): 8 digits was a group call, 7 a coast station; said as such
        plain = vid.astype("str").str.strip()
        all_digits = plain.str.fullmatch(r"[0-9]+").fillna(False).to_numpy(dtype=bool)
        digits = np.where(all_digits, plain.str.len().to_numpy(dtype="int64"), 0)
        for n_digits, what in ((8, "a group call (0MIDxxxxx)"), (7, "a coast station (00MIDxxxx)")):
            rules.append(
                Rule(
                    "mmsi_invalid",
                    invalid & ~vmiss & (digits == n_digits),
                    vcol,
                    f"MMSI {{value}} is not 9 digits but {n_digits}: an MMSI stored as a number "
                    f"loses its leading zeros, and a {'0' * (9 - n_digits)}-prefixed one is "
                    f"{what}, not a vessel (a ship's MMSI is 9 digits, the first 2-7); store "
                    "MMSIs as text",
                    vraw,
                )
            )
        rules.append(
            Rule("mmsi_invalid", invalid & ~vmiss, vcol, "MMSI {value} is not 9 digits", vraw)
        )
        # one rule per kind of station (a handful): the value is the MMSI as written
        for why in pd.unique(reason[not_vessel]) if not_vessel.any() else ():
            rules.append(
                Rule(
                    "mmsi_not_vessel",
                    not_vessel & (reason == why).to_numpy(),
                    vcol,
                    f"MMSI {{value}} is {why}, not a vessel",
                    vraw,
                )
            )
    lat_raw, lon_raw = parts["lat"], parts["lon"]
    # as a seizure file's: a latitude's lowercase 's' decided for the file, eastings and
    # northings refused without a crs (never half read as degrees)
    # (the file's lowercase 's' counted before the blocks when read in blocks; the evidence
    # of projected coordinates decided for the file by the caller: ProjectedEvidence.decide)
    projected = ProjectedEvidence()
    pos = read_positions(
        lat_raw,
        lon_raw,
        crs=crs,
        lat_col=lat_col,
        lon_col=lon_col,
        name=name,
        lowercase_s=parts.get("lowercase_s"),
        dotted=parts.get("dotted"),
        projected=projected,
    )
    lat_s, lat_miss, lon_s, lon_miss = pos.lat, pos.lat_missing, pos.lon, pos.lon_missing
    notes += pos.notes
    lat = lat_s.to_numpy(dtype="float64")
    lon = lon_s.to_numpy(dtype="float64")
    if lat_col != lon_col:
        pair = lat_raw.astype("str") + " " + lon_raw.astype("str")
    elif lat_col in raw.columns:  # one column of pairs: its value as written
        pair = as_text(raw[lat_col])
    else:
        pair = pd.Series(
            np.char.add(np.char.add(lat.astype("U"), " "), lon.astype("U")), index=raw.index
        )
    pair_col = lat_col if lat_col == lon_col else f"{lat_col}/{lon_col}"
    sentinel = (lat == 91) | (lon == 181)
    rules.append(
        Rule(
            "position_unavailable",
            sentinel,
            pair_col,
            "position {value} is the AIS 'not available' sentinel (lat 91 / lon 181)",
            pair,
        )
    )
    miss = lat_miss | lon_miss
    rules.append(Rule("coord_missing", miss, pair_col, "latitude or longitude is missing", pair))
    picks = parts.get("picks") or {}
    for role, word, which in (
        ("lat", "latitude", "north or south"),
        ("lon", "longitude", "east or west"),
    ):
        split = (parts.get("coordinate_parts") or {}).get(role) or {}
        if "hemisphere" in split and picks[role] in raw.columns:
            # composed without its letter, '0.5' reads as north (east): a guess
            values = lat_raw if role == "lat" else lon_raw
            rules.append(
                Rule(
                    "coord_missing",
                    hemisphere_missing(raw.assign(**{picks[role]: values}), picks[role], split)
                    & ~miss,
                    split["hemisphere"],
                    f"{word} {{value}} has no hemisphere: {split['hemisphere']!r} is blank "
                    f"({which}?)",
                    values,
                )
            )
    grid = (parts.get("picks") or {}).get("grid")
    if grid is not None and grid in raw.columns:  # why a value is no reference, said
        grid_pos = mgrs_to_lonlat(raw[grid])
        rules += mgrs_rules(raw[grid], grid_pos, grid)[1:]
        notes += mgrs_datum_notes(grid_pos, grid, name)
    fill = _grid_fill_rows(raw, parts.get("picks") or {})
    if fill is not None:  # the references read on lines whose pair is incomplete
        grid = picks["grid_fill"]
        rules += mgrs_rules(raw[grid].where(fill[0]), fill[1], grid)[1:]
        notes += mgrs_datum_notes(fill[1], grid, name)
        if (~np.isnan(fill[1].lat)).any():
            notes.append(
                f"{name}: positions of lines with a blank latitude or longitude read from "
                f"the grid references in {grid!r}, each at the centre of the square it names "
                "(WGS84); complete pairs were read as written"
            )
    rules.append(
        Rule(
            "coord_unparseable",
            ~miss & np.isnan(lat),
            lat_col,
            "latitude {value} is not a number",
            lat_raw,
        )
    )
    rules.append(
        Rule(
            "coord_unparseable",
            ~miss & np.isnan(lon),
            lon_col,
            "longitude {value} is not a number",
            lon_raw,
        )
    )
    if crs is not None:
        plon, plat = reproject_xy(lon, lat, crs, name)
        # a position the CRS cannot place (an easting of 1e30) comes back NaN: rejected here,
        # never kept as a ping without a position
        rules.append(
            Rule(
                "coord_out_of_crs",
                ~np.isnan(lat) & ~np.isnan(lon) & (np.isnan(plat) | np.isnan(plon)),
                pair_col,
                f"coordinates {{value}} cannot be transformed from {crs!r}",
                pair,
            )
        )
        lon, lat = plon, plat
    # an infinite number (inf, 1e999, a float column's inf) parsed: out of range, not kept
    ok = ~np.isnan(lat) & ~np.isnan(lon)
    rules += range_rules(
        lat, lon, ok, lat_col=lat_col, lon_col=lon_col, lat_raw=lat_raw, lon_raw=lon_raw
    )
    rules.append(
        Rule(
            "null_island",
            ok & (lat == 0) & (lon == 0),
            pair_col,
            "position (0, 0) is a placeholder",
            pair,
        )
    )
    if parts.get("valid") is not None:
        rules.append(
            Rule(
                "fix_invalid",
                _invalid_fix(parts["valid"], n),
                parts.get("valid_col") or "valid",
                "the device flags this fix invalid ({value}): its position (the last known "
                "one) is not where it was at the record's time",
                parts["valid"],
            )
        )
    parsed, clock_report = times_with_clock(
        parts["time"],
        parts.get("clock"),
        dayfirst=parts.get("dayfirst"),
        order_by=parts.get("order_by", "config"),
        name=name,
        date_column=tcol,
        clock_column=parts.get("clock_col"),
    )
    notes += parsed.notes
    zone_bad, zone_notes, zone_report, zone_rule = apply_time_zone(
        parsed, parts, parts["time"], name, tcol
    )
    notes += zone_notes
    naive = parsed.times.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    rules.append(
        Rule(
            "time_unparseable",
            parsed.unparseable,
            tcol,
            "time {value} matches no supported format",
            parts["time"],
        )
    )
    rules.append(
        Rule(
            "time_out_of_range",
            parsed.out_of_range,
            tcol,
            f"time {{value}} is outside {NS_RANGE}, the range of dates the tables hold",
            parts["time"],
        )
    )
    rules.append(
        Rule(
            "time_before_gps",
            ~np.isnat(naive) & (naive < GPS_EPOCH),
            tcol,
            "time {value} is before 1980-01-06, the start of GPS time: a clock that was not "
            "set (reset to 1970-01-01), not the time of a fix",
            parts["time"],
        )
    )
    if zone_rule is not None:
        rules.append(zone_rule)
    aoi = outside_aoi_rules(
        lon, lat, ok, aoi_bbox, column=pair_col, values=pair, aoi_polygon=aoi_polygon
    )
    out_bbox = aoi[0].mask if aoi_bbox is not None else np.zeros(n, dtype=bool)
    out_polygon = aoi[-1].mask if aoi_polygon is not None else np.zeros(n, dtype=bool)
    # AIS 'not available' (SOG 102.3 kn, COG 360 degrees) is judged after the scale; the
    # scale itself is decided for the whole file (ScaleEvidence), never by one chunk's values
    factor = parts.get("speed_factor", 1.0)
    sog = np.full(n, np.nan)
    scale = ScaleEvidence()
    # what each record's speed and course were read as not available for (UNREAD), counted
    # on the pings accepted in the end (ScaleEvidence.count_kept), not on every record
    unread = np.zeros(n, dtype="int8")
    if parts["sog"] is not None:
        reported = _ais_measure(parts["sog"], n, upper=np.inf)
        kinds, top = _unread_kinds(parts["sog"], reported * factor, 102.2, 102.3)
        unread += kinds
        scale.speed_unread = np.array([0, 0, 0, top])
        scale.speed_above = _above_of(kinds, reported * factor)
        if parts.get("speed_checked", True):
            scale.speed = _tenths_counts(reported[ship], "speed")
            scale.sample = _scale_sample(
                vid.to_numpy(dtype=object)[ship],
                naive[ship],
                lon[ship],
                lat[ship],
                reported[ship],
                sample_rows,
            )
        sog = np.where(reported > 102.2 / factor, np.nan, reported) * factor
    cfactor = parts.get("cog_factor", 1.0)
    cog = np.full(n, np.nan)
    if parts["cog"] is not None:
        course = _ais_measure(parts["cog"], n, upper=np.inf)  # parsed once
        kinds, top = _unread_kinds(parts["cog"], course * cfactor, 359.999999, 360.0)
        unread += kinds * 4
        scale.course_unread = np.array([0, 0, 0, top])
        scale.course_above = _above_of(kinds, course * cfactor)
        if cfactor == 1.0:
            scale.course = _tenths_counts(course[ship], "course")
        cog = np.where(course > 359.999999 / cfactor, np.nan, course) * cfactor
    info: dict[str, Any] = {
        "dates": {k: v for k, v in parsed.assumptions.items() if k != "time_zone"},
        "time_zone": parsed.assumptions.get("time_zone"),
    }
    if clock_report is not None:
        info["time_of_day"] = clock_report
    if zone_report is not None:
        info["utc_offset"] = zone_report
    if pos.dotted is not None:
        info["dotted_degrees"] = pos.dotted
    return PingChecks(
        rules=rules,
        vid=vid.to_numpy(dtype=object),
        time=naive,
        time_missing=np.asarray(parsed.missing, dtype=bool),
        lon=np.asarray(lon, dtype="float64"),
        lat=np.asarray(lat, dtype="float64"),
        sog=sog,
        cog=cog,
        out_bbox=np.asarray(out_bbox, dtype=bool),
        out_polygon=np.asarray(out_polygon, dtype=bool),
        pair=pair,
        time_raw=parts["time"],
        pair_col=pair_col,
        time_col=tcol or "",
        notes=notes,
        info=info,
        scale=scale,
        projected=projected,
        unread=unread,
    )


def check_ping_vessels(
    cand: pd.DataFrame,
    timed_vessels: np.ndarray,
    *,
    name: str,
    pair_col: str,
    time_col: str,
    max_speed_kn: float,
    aoi_bbox=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the per-vessel rules to records that passed the row-local ones.

    Parameters
    ----------
    cand : pandas.DataFrame
        :meth:`PingChecks.candidates` of whole vessels (every record of each vessel it holds;
        any order: ``i`` is the file order).
    timed_vessels : numpy.ndarray of str
        Vessels with a timed record anywhere in the file (even a rejected one): an untimed
        record of such a vessel is ``time_missing``; a vessel without any keeps its untimed
        records as a route.
    name, pair_col, time_col : str
        File and column names for the reject rows.
    max_speed_kn : float
        Speed above which a ping is ``impossible_speed``.
    aoi_bbox : tuple, optional
        The bbox, for the message of ``outside_aoi``.

    Returns
    -------
    frame : pandas.DataFrame
        Accepted pings, columns :data:`PING_COLUMNS` and ``source_row`` (each ping's line),
        sorted by vessel, time, file order; and :data:`UNREAD` when ``cand`` has it (to be
        counted by :meth:`ScaleEvidence.count_kept` and dropped).
    rejects : pandas.DataFrame
        One row per rejected record (``REJECT_COLUMNS``), in no particular order.
    """
    n = len(cand)
    if n == 0:
        return _with_rows(empty_pings()), pd.DataFrame(columns=list(REJECT_COLUMNS))
    rows = cand["row"].to_numpy(dtype="int64")
    pair = cand["pair"].reset_index(drop=True)
    time_raw = cand["time_raw"].reset_index(drop=True)
    v = cand["v"].to_numpy()
    timed = pd.Index(timed_vessels).get_indexer(v) >= 0
    rules = [
        Rule(
            "time_missing",
            cand["tmiss"].to_numpy(dtype=bool) & timed,
            time_col,
            "time is missing in a timed track",
            time_raw,
        )
    ]
    if aoi_bbox is not None:
        rules.append(
            Rule(
                "outside_aoi",
                cand["out_bbox"].to_numpy(dtype=bool),
                pair_col,
                f"position {{value}} is outside the area of interest {tuple(aoi_bbox)!r}",
                pair,
            )
        )
    rules.append(
        Rule(
            "outside_aoi",
            cand["out_polygon"].to_numpy(dtype=bool),
            pair_col,
            "position {value} is inside the area's bounding box but outside its polygon",
            pair,
        )
    )
    t_ns = cand["t"].to_numpy(dtype="datetime64[ns]")
    xy = (cand["lon"].to_numpy(dtype="float64"), cand["lat"].to_numpy(dtype="float64"))
    rollover = _week_rollover(v, t_ns, ~_any_failing(rules, n), xy, max_speed_kn)
    for k, rolled in enumerate(rollover, start=1):
        if rolled.any():
            rules.append(
                Rule(
                    "gps_week_rollover",
                    rolled,
                    time_col,
                    f"time {{value}} is {k * 1024} weeks ({k * _ROLLOVER_DAYS} days) before "
                    "this vessel's other pings: a GPS receiver's week-number rollover "
                    "(1024-week cycle), not the time of the fix",
                    time_raw,
                )
            )
    taken_ok, rejects = first_failing(rules, n=n, source_file=name, rows=rows)
    # Duplicates among the records still in: the first of them (in file order) is kept.
    order = np.argsort(cand["i"].to_numpy(), kind="stable")
    live = order[taken_ok[order]]
    key = pd.DataFrame(
        {
            "v": v[live],
            "t": cand["t"].to_numpy()[live],
            "x": cand["lon"].to_numpy()[live],
            "y": cand["lat"].to_numpy()[live],
        }
    )
    dup = np.zeros(n, dtype=bool)
    dup[live] = key.duplicated(keep="first").to_numpy()
    dup_time = np.zeros(n, dtype=bool)
    timed_row = ~pd.isna(key["t"]).to_numpy()
    dup_time[live] = key[["v", "t"]].duplicated(keep="first").to_numpy() & timed_row & ~dup[live]
    ok2, rej2 = first_failing(
        [
            Rule(
                "duplicate",
                dup,
                pair_col,
                "same vessel, time and position {value} as an earlier ping",
                pair,
            ),
            Rule(
                "duplicate_time",
                dup_time,
                time_col,
                "same vessel and time as an earlier ping at another position (the first is kept)",
                time_raw,
            ),
        ],
        n=n,
        source_file=name,
        rows=rows,
    )
    accepted = taken_ok & ok2
    frame = pd.DataFrame(
        {
            VESSEL_ID: v,
            TIME: cand["t"].to_numpy(dtype="datetime64[ns]"),
            LON: cand["lon"].to_numpy(dtype="float64"),
            LAT: cand["lat"].to_numpy(dtype="float64"),
            SOG: cand["sog"].to_numpy(dtype="float64"),
            COG: cand["cog"].to_numpy(dtype="float64"),
            "__row": rows,
            "__i": cand["i"].to_numpy(),
            "__k": np.arange(n),
            UNREAD: (
                cand[UNREAD].to_numpy(dtype="int8") if UNREAD in cand else np.zeros(n, dtype="int8")
            ),
        }
    )[accepted]
    frame = frame.sort_values([VESSEL_ID, TIME, "__i"], kind="stable", na_position="last")
    bad_speed, speed = _speed_outliers(frame, max_speed_kn)
    parts = [rejects, rej2]
    if bad_speed.any():
        sub = frame[bad_speed]
        speed_txt = pd.Series([f"{s:.0f} kn" for s in speed[bad_speed]])  # rejected pings only
        parts.append(
            pd.DataFrame(
                {
                    "source_file": name,
                    "row": sub["__row"].to_numpy(),
                    "column": pair_col,
                    "value": pair.iloc[sub["__k"].to_numpy()].to_numpy(),
                    "rule": "impossible_speed",
                    "message": (
                        "ping implies "
                        + speed_txt
                        + f" from its neighbours, above max_speed_kn={max_speed_kn:g}"
                    ).to_numpy(),
                }
            )
        )
        frame = frame[~bad_speed]
    frame = frame.rename(columns={"__row": SOURCE_ROW}).drop(columns=["__i", "__k"])
    frame = frame.reset_index(drop=True)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    frame[TIME] = frame[TIME].astype("datetime64[ns]").dt.tz_localize("UTC")
    frame[VESSEL_ID] = frame[VESSEL_ID].astype("object")
    parts = [p for p in parts if len(p)]
    rej = pd.concat(parts, ignore_index=True) if parts else no_rejects()
    return frame[[*PING_COLUMNS, SOURCE_ROW, *([UNREAD] if UNREAD in cand else [])]], rej


def _with_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Return pings with an (empty or given) ``source_row`` column."""
    if SOURCE_ROW not in frame:
        frame = frame.assign(**{SOURCE_ROW: pd.Series(np.zeros(len(frame), "int64"))})
    return frame


#: Days of one GPS week-number cycle (1024 weeks): a receiver with the rollover bug dates its
#: fixes a whole number of cycles early.
_ROLLOVER_DAYS = 7168
_ROLLOVER_NS = _ROLLOVER_DAYS * 86_400 * 10**9
#: Cycles looked for (the bug of 1999 and of 2019 on an old receiver is 2 cycles).
_ROLLOVER_CYCLES = 3
#: Slack around the vessel's other pings within which a shifted ping must land.
_ROLLOVER_SLACK_NS = 86_400 * 10**9
#: Hours from the nearest of them within which a shifted ping must land (a satellite AIS
#: track may have hours between its pings).
_ROLLOVER_GAP_H = 6.0


def _any_failing(rules: list[Rule], n: int) -> np.ndarray:
    """Return the records that fail any of ``rules``."""
    bad = np.zeros(n, dtype=bool)
    for r in rules:
        bad |= np.asarray(r.mask, dtype=bool)
    return bad


def _week_rollover(
    v: np.ndarray,
    t: np.ndarray,
    live: np.ndarray,
    xy: tuple[np.ndarray, np.ndarray],
    max_speed_kn: float,
) -> list[np.ndarray]:
    """Mark pings dated 1, 2 or 3 GPS week cycles (1024 weeks each) before their vessel's.

    A receiver with the week-number rollover bug stamps a fix ``k`` x 7168 days early.  Per
    vessel, the *recent* pings are those within half a cycle of its latest one; a ping more
    than half a cycle before them is rolled over by ``k`` cycles when, ``k`` cycles later,
    it falls among them as a fix of that track: within six hours of the nearest recent ping
    in time, and reachable from that ping's position (``xy``: lon, lat) at ``max_speed_kn``
    (plus a nautical mile).  A ping of an older voyage of the same vessel (an archive of
    twenty years) lands somewhere else and is kept.  A vessel whose recent pings span more
    than a quarter of a cycle (five years) is not judged.  Vectorised over all vessels.

    Returns one mask per ``k`` (1..3) over the records; only ``live`` ones are marked.
    """
    n = len(v)
    out = [np.zeros(n, dtype=bool) for _ in range(_ROLLOVER_CYCLES)]
    ti = t.view("int64")
    ok = live & ~np.isnat(t) & np.isfinite(xy[0]) & np.isfinite(xy[1])
    if ok.sum() < 2:
        return out
    idx = np.flatnonzero(ok)
    code = pd.factorize(pd.Series(v[idx]).astype(str))[0]
    tt = ti[idx]
    latest = pd.Series(tt).groupby(code).transform("max").to_numpy()
    recent = tt > latest - _ROLLOVER_NS // 2
    first_recent = (
        pd.Series(np.where(recent, tt, np.iinfo("int64").max)).groupby(code).transform("min")
    ).to_numpy()
    judged = (latest - first_recent) <= _ROLLOVER_NS // 4
    early = ~recent & judged
    if not early.any():
        return out
    x, y = xy[0][idx], xy[1][idx]
    ref = pd.DataFrame(
        {"t": tt[recent], "c": code[recent], "t_ref": tt[recent], "x_ref": x[recent]}
    ).assign(y_ref=y[recent])
    ref = ref.sort_values("t", kind="stable")
    for k in range(1, _ROLLOVER_CYCLES + 1):
        shifted = tt + k * _ROLLOVER_NS
        hit = (
            early
            & (shifted >= first_recent - _ROLLOVER_SLACK_NS)
            & (shifted <= latest + _ROLLOVER_SLACK_NS)
        )
        if not hit.any():
            continue
        at = np.flatnonzero(hit)
        q = pd.DataFrame({"t": shifted[at], "c": code[at], "at": at}).sort_values("t")
        near = pd.merge_asof(q, ref, on="t", by="c", direction="nearest")
        gap_h = np.abs(near["t"].to_numpy() - near["t_ref"].to_numpy()) / 3.6e12
        at = near["at"].to_numpy()
        km = haversine_km(x[at], y[at], near["x_ref"].to_numpy(), near["y_ref"].to_numpy())
        fits = (gap_h <= _ROLLOVER_GAP_H) & (km <= (max_speed_kn * gap_h + 1.0) * _KNOT_KM)
        out[k - 1][idx[at[fits]]] = True
    return out


#: What to do about a track file whose positions fit the area only when misread.
MISPLACED_FIX = (
    "if the columns are swapped set columns: {lat: ..., lon: ...} in the config; if the "
    "coordinates are written latitude first, write them longitude first; if a hemisphere was "
    "lost, fix the export (west and south are negative); if the file is for another area, "
    "leave it out of this config"
)


def misplaced_of(checks, aoi_bbox) -> np.ndarray:
    """Return :func:`~pipeline.ingest._common.misplaced_counts` of checked rows.

    Usable positions parsed, lie within ±90/±180 and are not (0, 0); a file read in chunks
    sums its chunks' counts and decides once (:func:`~pipeline.ingest._common.decide_misplaced`).
    """
    lon, lat = checks.lon, checks.lat
    usable = (
        np.isfinite(lon)
        & np.isfinite(lat)
        & (np.abs(lat) <= 90)
        & (np.abs(lon) <= 180)
        & ((lat != 0) | (lon != 0))
    )
    return misplaced_counts(lon, lat, usable, aoi_bbox)


def _normalise_pings(
    raw: pd.DataFrame,
    rows: np.ndarray,
    parts: dict,
    *,
    name: str,
    crs,
    is_mmsi: bool,
    aoi_bbox,
    max_speed_kn: float,
    aoi_polygon: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], dict[str, Any], DatedEvents]:
    """Check the whole file at once: the row-local checks, then the per-vessel ones."""
    n = len(raw)
    if n == 0:
        return _with_rows(empty_pings()), pd.DataFrame(), [f"{name}: no pings"], {}, DatedEvents()
    checks = check_ping_rows(
        raw, parts, name=name, crs=crs, is_mmsi=is_mmsi, aoi_bbox=aoi_bbox, aoi_polygon=aoi_polygon
    )
    checks.scale.locate(rows)
    checks.projected.decide(name)
    checks.scale.decide(parts, name)
    misplaced = decide_misplaced(
        misplaced_of(checks, aoi_bbox),
        aoi_bbox,
        name,
        fix=MISPLACED_FIX,
        bbox_as_written=aoi_polygon is None,  # with a polygon, the bbox is its bounds
        grid=(parts.get("picks") or {}).get("grid"),
    )
    keep, rejects = first_failing(checks.rules, n=n, source_file=name, rows=rows)
    candidates = checks.candidates(keep, rows, np.arange(n))
    events = dated_events_of(candidates["v"].to_numpy(dtype=object), candidates["t"].to_numpy())
    frame, rej2 = check_ping_vessels(
        candidates,
        checks.timed_vessels(),
        name=name,
        pair_col=checks.pair_col,
        time_col=checks.time_col,
        max_speed_kn=max_speed_kn,
        aoi_bbox=aoi_bbox,
    )
    checks.scale.count_kept(
        frame.pop(UNREAD).to_numpy() if UNREAD in frame else None, frame[SOURCE_ROW].to_numpy()
    )
    notes = checks.notes + misplaced + checks.scale.unread_notes(parts, name)
    notes.append(f"{name}: {frame[VESSEL_ID].nunique()} vessel(s)/track(s)")
    return frame, pd.concat([rejects, rej2], ignore_index=True), notes, checks.info, events


#: Records whose reported speed is compared with their positions' (the file's first ones).
SCALE_SAMPLE = 200_000

#: Columns of the speed scale's sample (the file's first ship records, file order).
_SAMPLE_COLUMNS = ("v", "t", "lon", "lat", "sog")


def _tenths_counts(values: np.ndarray, what: str) -> np.ndarray:
    """Count what :func:`_refuse_raw_tenths` decides on: finite, between, above; and the max.

    A float64 array ``[finite, top < v <= raw_na, v > raw_na, max]`` that chunks add up
    (:meth:`ScaleEvidence.add`: the counts summed, the max taken).
    """
    top, raw_na, _, _ = _RAW_TENTHS[what]
    v = values[np.isfinite(values)]
    between = int(((v > top) & (v <= raw_na)).sum())
    return np.array([v.size, between, int((v > raw_na).sum()), v.max(initial=-np.inf)])


#: The candidates' column of why a record's speed and course were read as not available:
#: the speed's kind plus 4 times the course's, each 0 (read), 1 (negative), 2 (above the
#: largest value) or 3 (AIS's own 'not available').
UNREAD = "unread"


def _unread_kinds(
    values: pd.Series, measure: np.ndarray, top: float, na: float
) -> tuple[np.ndarray, float]:
    """Return why each value is read as not available (int8, see :data:`UNREAD`), and a max.

    ``measure`` is the column in knots (degrees) with negatives already missing.  The kinds
    are 1 (negative), 2 (above ``top``, other than the 'not available' value ``na``) and 3
    (``na``: AIS's 'not available', ITU-R M.1371: SOG 102.3, COG 360): a missing value is
    never made silently.  The max is that of the values above ``top`` in ``values``.
    """
    raw = (
        to_numbers(values).to_numpy(dtype="float64")
        if values.dtype.kind not in "fi"
        else values.to_numpy(dtype="float64")
    )
    is_na = np.isclose(measure, na, rtol=0, atol=1e-9)
    above = (measure > top) & ~is_na
    kinds = np.zeros(len(measure), dtype="int8")
    kinds[raw < 0] = 1
    kinds[above] = 2
    kinds[is_na] = 3
    return kinds, float(measure[above].max(initial=-np.inf))


def _above_of(kinds: np.ndarray, measure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the records (indices) of the values above the largest (kind 2) and the values."""
    idx = np.flatnonzero(kinds == 2)
    return idx, np.asarray(measure, dtype="float64")[idx]


def _add_above(
    a: tuple[np.ndarray, np.ndarray] | None, b: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray] | None:
    if a is None or b is None:
        return b if a is None else a
    return np.r_[a[0], b[0]], np.r_[a[1], b[1]]


def _scale_sample(vid, t, lon, lat, sog, rows: int | None) -> pd.DataFrame:
    """Return the first ``rows`` (default :data:`SCALE_SAMPLE`) ship records' speed columns."""
    m = min(len(vid), SCALE_SAMPLE if rows is None else max(rows, 0))
    return pd.DataFrame(
        {
            "v": pd.Series(vid[:m], dtype=object).astype(str),
            "t": np.asarray(t[:m], dtype="datetime64[ns]"),
            "lon": np.asarray(lon[:m], dtype="float64"),
            "lat": np.asarray(lat[:m], dtype="float64"),
            "sog": np.asarray(sog[:m], dtype="float64"),
        }
    )


#: A file is refused as dated events only on clear evidence: this many vessels at least,
#: most with one timed record, and most times a bare date (midnight).
_EVENTS_MIN_VESSELS = 10


@dataclass
class DatedEvents:
    """What a file's accepted pings say about being dated events rather than tracks.

    A track is many timed positions per vessel; an incident or seizure table is one record
    per vessel, dated to the day.  Counted on the records of whole vessels that pass the
    row checks (a group of buckets of the spill, or the file read whole) and added up (:meth:`add`), so a file read in chunks, or on Dask,
    decides as the file read whole does; :meth:`decide` refuses the file.
    """

    vessels: int = 0  # vessels with a timed ping
    single: int = 0  # of them, those with exactly one
    timed: int = 0  # timed pings
    midnight: int = 0  # of them, those at 00:00:00 exactly (a date without a time of day)

    def add(self, other: DatedEvents) -> None:
        """Add the counts of other vessels."""
        self.vessels += other.vessels
        self.single += other.single
        self.timed += other.timed
        self.midnight += other.midnight

    def decide(self, src: TrackSource, name: str, vessel_col: str | None) -> None:
        """Refuse the file when most vessels have one record and most times are bare dates.

        Ship noon reports (one position a day, many days per ship) and a fleet file where
        many vessels have one ping at its time of day are tracks; a file whose columns are
        named in ``columns:`` is taken as told.

        Raises
        ------
        InputError
            The file is dated events (pirate attacks read as 6,041 pings of 5,172 vessels,
            nearly all stamped at midnight).
        """
        if src.columns or self.vessels < _EVENTS_MIN_VESSELS:
            return
        if 2 * self.single <= self.vessels or 2 * self.midnight <= self.timed:
            return
        by = f" of {vessel_col!r}" if vessel_col else ""
        raise InputError(
            f"{name}: dated events, not vessel tracks: {self.single} of {self.vessels} "
            f"'vessels'{by} have one timed record, and {self.midnight} of {self.timed} times "
            "are a bare date (midnight); a track is many timed positions per vessel. Give "
            "this file under inputs.seizures, or name its columns in columns: (e.g. "
            "vessel_id: ...) if these are tracks after all"
        )


def dated_events_of(vid: np.ndarray, time: np.ndarray) -> DatedEvents:
    """Count :class:`DatedEvents` of the records of whole vessels that passed the row checks.

    Records, not accepted pings: a vessel's 1,200 records of one day are a (bad) track,
    though its duplicates leave it one ping.  ``time`` is datetime64[ns], NaT where untimed.
    """
    timed = ~np.isnat(time)
    if not timed.any():
        return DatedEvents()
    per_vessel = pd.Series(vid[timed]).value_counts(sort=False).to_numpy()
    ns = time[timed].astype("int64")
    return DatedEvents(
        vessels=len(per_vessel),
        single=int((per_vessel == 1).sum()),
        timed=int(timed.sum()),
        midnight=int((ns % 86_400_000_000_000 == 0).sum()),
    )


@dataclass
class ScaleEvidence:
    """What a file's values say about the scale of its speed and course columns.

    Counted a chunk at a time (:func:`check_ping_rows`) and added up in file order
    (:meth:`add`), then decided once for the file (:meth:`decide`), as the misplaced
    positions are: a file read whole, in chunks of any size or as partitions on Dask is
    refused or read alike.  ``speed`` and ``course`` are :func:`_tenths_counts` (None when
    not checked); ``sample`` holds the reported speeds (before any scale) of the file's
    first :data:`SCALE_SAMPLE` ship records, which the ratio to the positions' speed is
    measured on (bounded memory whatever the file's size).
    """

    speed: np.ndarray | None = None
    course: np.ndarray | None = None
    sample: pd.DataFrame | None = None
    #: ``[negative, above the largest value, AIS's 'not available', max of those above]``
    #: of the speed and course columns (None without the column): the counts are the
    #: accepted pings' (:meth:`count_kept`), the max that of the values read
    speed_unread: np.ndarray | None = None
    course_unread: np.ndarray | None = None
    #: the values above the largest (:func:`_above_of`: records, values), the records by
    #: their line once :meth:`locate` is called, and the lines of those accepted
    #: (:meth:`count_kept`): the '(up to ...)' of the note is the accepted pings' largest
    speed_above: tuple[np.ndarray, np.ndarray] | None = None
    course_above: tuple[np.ndarray, np.ndarray] | None = None
    speed_kept_above: np.ndarray | None = None
    course_kept_above: np.ndarray | None = None
    #: what :meth:`decide` says of a speed the positions cannot judge (None: nothing)
    ratio_note: str | None = None

    @property
    def sampled(self) -> int:
        """Ship records in the sample."""
        return 0 if self.sample is None else len(self.sample)

    def add(self, other: ScaleEvidence | None) -> None:
        """Add the evidence of the next chunk (in file order)."""
        if other is None:
            return
        self.speed = _add_counts(self.speed, other.speed)
        self.course = _add_counts(self.course, other.course)
        self.speed_unread = _add_counts(self.speed_unread, other.speed_unread)
        self.course_unread = _add_counts(self.course_unread, other.course_unread)
        for above in ("speed_above", "course_above"):
            setattr(self, above, _add_above(getattr(self, above), getattr(other, above)))
        self.add_kept(other)
        room = SCALE_SAMPLE - self.sampled
        if other.sample is not None and len(other.sample) and room > 0:
            more = other.sample.iloc[:room]
            self.sample = (
                more
                if self.sample is None or not len(self.sample)
                else pd.concat([self.sample, more], ignore_index=True)
            )
        elif self.sample is None and other.sample is not None:
            self.sample = other.sample.iloc[:0]

    def locate(self, rows: np.ndarray) -> None:
        """Name the records of the values above the largest by their lines ``rows``."""
        for above in ("speed_above", "course_above"):
            got = getattr(self, above)
            if got is not None:
                setattr(self, above, (np.asarray(rows, dtype="int64")[got[0]], got[1]))

    def count_kept(self, unread: np.ndarray | None, lines: np.ndarray | None = None) -> None:
        """Count the accepted pings' :data:`UNREAD` kinds (a rejected ping keeps nothing).

        ``lines``: the accepted pings' lines, those of values above the largest kept for
        the note's largest value (:meth:`unread_notes`).
        """
        if unread is None or not len(unread):
            return
        codes = np.asarray(unread, dtype="int64")
        for what, kinds in (("speed", codes & 3), ("course", codes >> 2)):
            counts = getattr(self, f"{what}_unread")
            if counts is not None:
                got = np.bincount(kinds, minlength=4)[1:4]
                setattr(self, f"{what}_unread", np.r_[counts[:3] + got, counts[3]])
                if lines is not None:
                    kept = np.asarray(lines, dtype="int64")[kinds == 2]
                    had = getattr(self, f"{what}_kept_above")
                    setattr(self, f"{what}_kept_above", kept if had is None else np.r_[had, kept])

    def add_kept(self, other: ScaleEvidence) -> None:
        """Add the lines of accepted values above the largest that ``other`` counted."""
        for kept in ("speed_kept_above", "course_kept_above"):
            mine, more = getattr(self, kept), getattr(other, kept)
            if more is not None:
                setattr(self, kept, more if mine is None else np.r_[mine, more])

    def _kept_counts(self, what: str) -> np.ndarray | None:
        """Return the counts of ``what``, its largest value above the limit the accepted."""
        counts = getattr(self, f"{what}_unread")
        above, kept = getattr(self, f"{what}_above"), getattr(self, f"{what}_kept_above")
        if counts is None or above is None or kept is None:
            return counts
        values = above[1][np.isin(above[0], kept)]
        return np.r_[counts[:3], values.max(initial=-np.inf)]

    def unread_notes(self, parts: dict, name: str) -> list[str]:
        """Return the notes on the accepted pings' values read as not available.

        Negative, above 102.2 kn / 360 degrees, and AIS's own 'not available' 102.3 and 360,
        each counted (:meth:`count_kept`): the pings are kept, their speed or course is
        missing, and the summary says how many; then :attr:`ratio_note`, if any.
        """
        return [
            note
            for what, col, counts in (
                ("speed", parts.get("sog_col") or "speed", self._kept_counts("speed")),
                ("course", parts.get("cog_col") or "course", self._kept_counts("course")),
            )
            for note in _unread_notes(counts, what, col, name)
        ] + ([self.ratio_note] if self.ratio_note else [])

    def decide(self, parts: dict, name: str) -> None:
        """Refuse the file when its speeds or courses are in AIS raw tenths (see tracks).

        Raises
        ------
        InputError
            SOG in tenths of a knot (or km/h) or COG in tenths of a degree under a header
            that names no scale, or speeds ten times the positions'.
        """
        factor = parts.get("speed_factor", 1.0)
        col = parts.get("sog_col") or "speed"
        s = self.sample if self.sample is not None else pd.DataFrame(columns=_SAMPLE_COLUMNS)
        cols = (
            s["v"].to_numpy(dtype=object),
            s["t"].to_numpy(dtype="datetime64[ns]"),
            s["lon"].to_numpy(dtype="float64"),
            s["lat"].to_numpy(dtype="float64"),
        )
        reported = s["sog"].to_numpy(dtype="float64")
        if self.speed is not None and factor == 1.0:
            _refuse_raw_tenths(
                self.speed,
                col,
                "speed",
                name,
                # a car on a motorway goes 70 kn: its stretches decide km/h too
                ratios=lambda: _speed_ratios(*cols, reported, max_kn=_ROAD_MAX_KN),
            )
        if self.speed is not None:
            sog = np.where(reported > 102.2 / factor, np.nan, reported) * factor
            self.ratio_note = _check_speed_scale(*cols, sog, parts, name)
        if self.course is not None:
            _refuse_raw_tenths(self.course, parts.get("cog_col") or "course", "course", name)


def _unread_notes(counts: np.ndarray | None, what: str, col: str, name: str) -> list[str]:
    """Return the notes for :attr:`ScaleEvidence.speed_unread` (none when nothing to say)."""
    if counts is None:
        return []
    neg, above, na, top = int(counts[0]), int(counts[1]), int(counts[2]), float(counts[3])
    limit = "102.2 kn, AIS's largest speed" if what == "speed" else "359.9 degrees"
    said = []
    if neg:
        said.append(f"{neg} negative")
    if above:
        said.append(f"{above} above {limit} (up to {top:g})")
    kept = f"(the pings are kept without a {what})"
    notes = [
        f"{name}: {what} column {col!r} holds {' and '.join(said)} value(s) that are no "
        f"{what}: read as not available {kept}"
    ]
    notes = notes if said else []
    if na:
        notes.append(
            f"{name}: {what} column {col!r} holds {na} value(s) of {_AIS_NOT_AVAILABLE[what]}, "
            f"AIS's 'not available' (ITU-R M.1371): read as missing {kept}"
        )
    return notes


#: AIS's 'not available' value of each measure, in the units the note names (knots, degrees).
_AIS_NOT_AVAILABLE = {"speed": "102.3 kn", "course": "360 degrees"}


def _add_counts(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return b if a is None else a
    return np.r_[a[:-1] + b[:-1], max(a[-1], b[-1])]  # counts summed, the last (a max) kept


#: The fastest stretch (kn) that decides whether speeds above 102.3 are km/h: 185 km/h.
_ROAD_MAX_KN = 100.0


def _speed_ratios(
    vid: np.ndarray,
    t: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    sog_kn: np.ndarray,
    *,
    max_kn: float = 60.0,
    straight: bool = False,
    max_reported_nm: float = np.inf,
    min_chord_nm: float = np.inf,
) -> np.ndarray:
    """Return reported / positional speed over the moving stretches between pings.

    A stretch is a ping and its vessel's first ping 1 min or more later (at most 3 h) whose
    positions give 1 to ``max_kn`` kn and whose reported speeds are both above zero.
    ``straight``: only the stretches the next one goes on from within 30 degrees.
    ``max_reported_nm``, ``min_chord_nm``: only the stretches whose reported speed (the
    mean of its ends') carries the vessel that far at most over the stretch's time, or whose
    positions are that far apart at least.
    """
    m = min(len(vid), SCALE_SAMPLE)
    tn = np.asarray(t[:m], dtype="datetime64[ns]")
    x, y, s = lon[:m], lat[:m], sog_kn[:m]
    idx = np.flatnonzero(~np.isnat(tn) & np.isfinite(x) & np.isfinite(y) & (s > 0))
    if idx.size < 2:
        return np.empty(0)
    code = pd.factorize(pd.Series(vid[:m][idx]).astype(str))[0]
    ti = tn[idx].view("int64")
    i = idx[np.lexsort((ti, code))]
    c = np.sort(code)
    ts = tn[i].view("int64")
    # Each ping with its vessel's first ping a minute or more later: a phone or a receiver
    # logging every second has such stretches too (successive pings alone gave it none).
    ms = (ts - ts.min()) // 1_000_000
    key = c.astype("int64") * (int(ms.max()) + 4 * 3_600_000) + ms
    j = np.minimum(np.searchsorted(key, key + 60_000, side="left"), key.size - 1)
    a, b = i, i[j]
    dt_h = (ts[j] - ts) / 3.6e12
    pos_kn = haversine_km(x[a], y[a], x[b], y[b]) / _KNOT_KM / np.where(dt_h > 0, dt_h, np.nan)
    use = (c[j] == c) & (dt_h >= 1 / 60) & (dt_h <= 3) & (pos_kn >= 1) & (pos_kn <= max_kn)
    if straight:
        # A stretch the vessel turned on gives less than its speed: a ferry seen hourly out
        # and back read 1.8 times its SOG, as km/h would.  Taken only where the next stretch
        # goes on within 30 degrees.
        k = j[j]
        dt2_h = (ts[k] - ts[j]) / 3.6e12
        turn = (
            initial_bearing_deg(x[b], y[b], x[i[k]], y[i[k]])
            - initial_bearing_deg(x[a], y[a], x[b], y[b])
            + 180.0
        ) % 360.0 - 180.0
        use &= (c[k] == c) & (dt2_h >= 1 / 60) & (dt2_h <= 3) & (np.abs(turn) <= 30.0)
    rep = (s[a] + s[b]) / 2
    use &= (rep * dt_h <= max_reported_nm) | (pos_kn * dt_h >= min_chord_nm)
    return rep[use] / pos_kn[use]


def _tenfold(ratio: np.ndarray) -> bool:
    """Whether 3 or more ratios have a median of 7 to 14 and 60 % of them lie there."""
    if ratio.size < 3:
        return False
    med = float(np.median(ratio))
    return bool(7.0 <= med <= 14.0 and np.mean((ratio >= 7.0) & (ratio <= 14.0)) >= 0.6)


#: The tenfold check judges a stretch whose reported speed carries a vessel this far at most
#: (AIS's largest speed, 102.2 kn, over the shortest stretch, 1 min: 1.7 nm), or whose
#: chord is this long at least (3 nm).  A ferry shuttling a 1.5 nm crossing at 12 kn, seen
#: hourly, sails 12 nm between pings for 1.2 nm of chord (ratio 10 in knots): a path ten
#: times its chord needs a turn inside half the path, and a shuttle's chord is no longer
#: than its crossing.
_TENFOLD_MAX_NM = 102.2 / 60
_TENFOLD_MIN_CHORD_NM = 3.0


def _check_speed_scale(
    vid: np.ndarray,
    t: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    sog_kn: np.ndarray,
    parts: dict,
    name: str,
) -> str | None:
    """Refuse a speed column that reads ten times, or in another unit, what the positions give.

    A speed in tenths of a knot (AIS raw units) under a plain ``sog`` header would be taken
    as knots: every ship ten times as fast.  Decided by the median over the moving stretches
    of the records checked together (a chunk of a streamed file, or the whole file), when
    most of them agree, on the stretches a vessel kept its course over and whose reported
    speed carries it :data:`_TENFOLD_MAX_NM` at most, or whose chord is
    :data:`_TENFOLD_MIN_CHORD_NM` at least: over the others a vessel that turned
    (a ferry seen hourly) reads ten times its chord in knots too, and the file is read with
    the note returned.  So is a fleet tracker's plain ``speed`` in km/h (a truck at 4 km/h
    read as 4 kn is no longer loitering) or a phone logger's in m/s, when no header, schema
    or config states the unit, judged on the stretches the vessel kept its course over.
    """
    ratio = _speed_ratios(
        vid,
        t,
        lon,
        lat,
        sog_kn,
        straight=True,
        max_reported_nm=_TENFOLD_MAX_NM,
        min_chord_nm=_TENFOLD_MIN_CHORD_NM,
    )
    col = parts.get("sog_col") or "speed"
    unit = (parts.get("speed_unit") or {}).get("unit", "kn")
    if _tenfold(ratio):
        med = float(np.median(ratio))
        raise InputError(
            f"{name}: speed column {col!r} read as {unit!r} gives ten times the speed the "
            f"positions give (median ratio {med:.1f} over {ratio.size} moving stretches); "
            "tenths of a knot (AIS raw units)? write the scale in the header "
            f"({col + ' [0.1 kn]'!r}) or convert the column to knots; set speed_unit in the "
            "config to read the column as it is anyway"
        )
    far = _speed_ratios(vid, t, lon, lat, sog_kn)
    note = (
        f"{name}: speed column {col!r} read as {unit!r} gives ten times the speed the "
        f"positions give (median ratio {float(np.median(far)):.1f} over {far.size} moving "
        "stretches), not on straight ones that tell (its speed carrying a vessel "
        f"{_TENFOLD_MAX_NM:.1f} nm at most, or {_TENFOLD_MIN_CHORD_NM:g} nm apart at least): a "
        "vessel that turned between pings (a ferry seen hourly) reads so too, and the "
        f"positions cannot tell it from tenths of a knot; read as {unit!r} (set speed_unit: "
        "'0.1 kn' if it is tenths)"
        if _tenfold(far)
        else None
    )
    speed_unit = parts.get("speed_unit") or {}
    if speed_unit.get("by", "default") != "default":
        return note  # a unit the header, the schema or the config states is read as stated
    # 1.85 times is what a turn gives too (a ferry seen hourly out and back): straight only
    ratio = _speed_ratios(vid, t, lon, lat, sog_kn, straight=True)
    if ratio.size < 3:
        return note
    med = float(np.median(ratio))
    for unit, (lo, hi) in _UNSTATED_UNITS.items():
        if lo <= med <= hi and np.mean((ratio >= lo) & (ratio <= hi)) >= 0.6:
            raise InputError(
                f"{name}: speed column {col!r}, whose header names no unit, read as knots "
                f"gives {med:.2f} times the speed the positions give (median over "
                f"{ratio.size} moving stretches): {unit}? set speed_unit: {unit!r} in the "
                f"config, or write the unit in the header ({col + ' [' + unit + ']'!r}); "
                "speed_unit: 'kn' reads it as knots anyway"
            )
    return note


#: Units a plain speed header of a vehicle tracker or phone logger holds (reported over
#: positional speed when read as knots): km/h reads 1.852 times, m/s 0.514 times.  mph
#: (1.151) is too near knots for the positions to tell apart.
_UNSTATED_UNITS = {"km/h": (1.6, 2.15), "m/s": (0.44, 0.6)}


#: AIS raw units: (largest value in degrees or knots, raw 'not available', unit, header).
_RAW_TENTHS = {
    "speed": (102.3, 1023.0, "tenths of a knot", "SOG [0.1 kn]"),
    "course": (360.0, 3600.0, "tenths of a degree", "COG [0.1 deg]"),
}


def _refuse_raw_tenths(
    counts: np.ndarray,
    col: str,
    what: str,
    name: str,
    *,
    ratios: Callable[[], np.ndarray] | None = None,
) -> None:
    """Refuse a SOG or COG column in AIS raw tenths under a header that names no scale.

    Raw NMEA decoders export SOG as 0..1023 (1023: not available) and COG as 0..3600
    (3600: not available).  Read as knots and degrees, every value up to 102.2 (360) would
    be taken ten times too large and the rest dropped as 'not available', silently.  The
    values decide: at least 3 and 5 % of them above the largest knots (degrees) value and
    none above the raw 'not available'.  ``counts`` are the whole file's
    :func:`_tenths_counts` (its chunks' added up).  Speeds above 102.3 may also be km/h (a fast boat's GPS
    log): ``ratios`` (reported / positional speed, :func:`_speed_ratios`) then decide which,
    and when the positions do not decide, the message names both.
    """
    top, raw_na, unit, header = _RAW_TENTHS[what]
    n_finite, n_above, n_beyond, v_max = (float(x) for x in counts)
    if not n_finite or n_above < 3 or n_above / n_finite < 0.05 or n_beyond:
        return
    fix = f"write the scale in the header ({header!r}) or convert the column"
    if what == "speed":
        r = ratios() if ratios is not None else np.empty(0)
        med = float(np.median(r)) if r.size >= 3 else None
        if med is not None and 1.5 <= med <= 2.3:  # km/h read as knots: 1.852 times
            raise InputError(
                f"{name}: speed column {col!r} holds {int(n_above)} value(s) above "
                f"{top:g} (up to {v_max:g}) and reads {med:.2f} times the speed the positions "
                f"give (over {r.size} moving stretches): km/h? set speed_unit: 'km/h' in the "
                "config, or write the unit in the header ('speed [km/h]')"
            )
        if med is None or not 7.0 <= med <= 14.0:
            why = (
                "the positions do not say which"
                if med is None
                else f"the positions give {med:.2f} times less, neither"
            )
            raise InputError(
                f"{name}: speed column {col!r} holds {int(n_above)} value(s) between "
                f"{top:g} and {raw_na:g} (up to {v_max:g}), more than any ship's knots: "
                f"tenths of a knot (AIS raw units) or km/h? {why}; set speed_unit in the "
                "config ('0.1 kn' or 'km/h') or write the unit in the header"
            )
        fix = "set speed_unit: '0.1 kn' in the config, " + fix
    raise InputError(
        f"{name}: {what} column {col!r} holds {int(n_above)} value(s) between {top:g} and "
        f"{raw_na:g} (up to {v_max:g}), none above: {unit} (AIS raw units, {raw_na:g} = not "
        f"available), which read as {'knots' if what == 'speed' else 'degrees'} would be ten "
        f"times too large; {fix}"
    )


def _ais_measure(values: pd.Series, n: int, *, upper: float) -> np.ndarray:
    """Return SOG/COG as floats with AIS 'not available' values (and negatives) as NaN."""
    v = (
        to_numbers(values).to_numpy(dtype="float64")
        if values.dtype.kind not in "fi"
        else values.to_numpy(dtype="float64")
    )
    v = v.copy()
    v[(v < 0) | (v > upper)] = np.nan
    return v


def _speed_outliers(frame: pd.DataFrame, max_speed_kn: float) -> tuple[np.ndarray, np.ndarray]:
    """Mark pings that are reached *and* left too fast (spikes), or reached too fast at a track end.

    Repeated until stable, so a burst of bad pings is peeled off one layer at a time; each
    pass is vectorised over all vessels.
    """
    n = len(frame)
    bad = np.zeros(n, dtype=bool)
    speed_at = np.zeros(n)
    if n < 2:
        return bad, speed_at
    v = frame[VESSEL_ID].to_numpy()
    tn = frame[TIME].to_numpy(dtype="datetime64[ns]")
    t = tn.view("int64").astype("float64")
    t[np.isnat(tn)] = np.nan
    x = frame[LON].to_numpy()
    y = frame[LAT].to_numpy()
    for _ in range(20):
        keep = np.flatnonzero(~bad & ~np.isnan(t))
        if keep.size < 2:
            break
        vv, tt, xx, yy = v[keep], t[keep], x[keep], y[keep]
        same = vv[1:] == vv[:-1]
        dt_h = np.maximum((tt[1:] - tt[:-1]) / 3.6e12, 1.0 / 3600)  # at least 1 s apart
        kn = haversine_km(xx[:-1], yy[:-1], xx[1:], yy[1:]) / _KNOT_KM / dt_h
        kn = np.where(same, kn, np.nan)
        v_in = np.r_[np.nan, kn]
        v_out = np.r_[kn, np.nan]
        has_prev = ~np.isnan(v_in)
        has_next = ~np.isnan(v_out)
        fast_in = v_in > max_speed_kn
        fast_out = v_out > max_speed_kn
        # a first ping whose only neighbour then continues at a sane speed is the outlier
        next_ok = np.r_[~(v_out[1:] > max_speed_kn), True] & np.r_[has_next[1:], False]
        spike = fast_in & fast_out
        # Only in a track without spikes are its ends judged, so a spike's neighbour is never
        # blamed; decided per vessel, so the outcome of one track never depends on another's.
        code = pd.factorize(vv)[0]
        spiky = np.bincount(code, weights=spike, minlength=code.max() + 1)[code] > 0
        spike |= ~spiky & ((fast_in & ~has_next) | (~has_prev & fast_out & next_ok))
        if not spike.any():
            break
        idx = keep[spike]
        bad[idx] = True
        speed_at[idx] = np.fmax(v_in[spike], v_out[spike])
    return bad, speed_at
