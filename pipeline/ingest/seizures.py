"""Read seizure records (dated point events) from any supported file into the contract table.

Formats: CSV (delimiter sniffed, decimal comma detected per column, UTF-8 with or without BOM,
UTF-16 by BOM, cp1252 for the lines that are not UTF-8), JSON Lines or a JSON array of objects (read as a
text table, :mod:`pipeline.ingest._json`), GeoJSON, GeoPackage, GeoParquet (or plain Parquet
with coordinate columns), Shapefile, Excel ``.xlsx``, and a ``.zip`` holding a CSV or any of
the vector formats (size-bounded, see :mod:`pipeline.ingest._archive`).

Columns are recognised by name and by content (:mod:`pipeline.ingest._columns`); every pick,
the day/month order of the dates, the time zone, the CRS and the category merges are returned
in ``IngestResult.assumptions``.  Categories (``commodity``) are normalised (trim, NFC,
case-fold, ``synonyms``); the spelling as read stays in ``commodity_original``.

Rule ids (each rejected record gets its *first* failing rule, in this order):

=====================  ==============================================================
``ragged_row``         CSV line with more or fewer fields than the header
``unbalanced_quote``   CSV line opening a quote that is not closed before lines that read
                       as records (or before the end): reading restarts on the next line
``repeated_header``    the header line again (two exports joined end to end)
``geometry_unparseable``  a GeoJSON geometry GDAL cannot read: coordinates written as
                       text (``["12.5", "-61.2"]``, not numbers as RFC 7946 asks) or
                       malformed; the value is the coordinates as written
``geometry_missing``   feature without geometry (vector formats)
``geometry_invalid``   invalid polygon, or a point with non-finite coordinates
``geometry_not_point`` line/polygon feature (unless ``polygons_to_points``)
``coord_missing``      latitude or longitude missing
``coord_unparseable``  not a number nor degree-minute-second text
``mgrs_polar``         a polar (UPS: bands A, B, Y, Z) MGRS grid reference: not read
``mgrs_invalid``       a value of a grid reference column that is no MGRS reference (band
                       I/O, a square letter not used in its zone, an odd digit count, a
                       northing outside its band); the message says which
``coord_out_of_crs``   coordinates the configured CRS cannot transform to EPSG:4326
``latlon_swapped``     latitude outside ±90 while the pair fits when swapped, or a
                       hemisphere letter of the other axis; the message says how to fix it
``lat_out_of_range``   latitude outside [-90, 90]
``lon_out_of_range``   longitude outside [-180, 180]
``null_island``        exactly (0, 0), a placeholder
``coord_placeholder``  a latitude (longitude) of exactly 0 beside a non-zero longitude
                       (latitude) when no other record of the file (5 or more) lies within
                       1 degree of the equator (Greenwich): a missing coordinate written as 0
``date_missing``       no date
``date_unparseable``   a date no supported spelling matches
``date_out_of_range``  a real date outside 1677-09-22..2262-04-11, the range the table holds
                       (e.g. 1583): rejected, never wrapped
``date_placeholder``   midnight of a spreadsheet's, database's or clock's day zero
                       (1899-12-30, 1899-12-31, 1900-01-01, 1904-01-01, 1753-01-01,
                       1970-01-01) more than a year before every other record of the file:
                       an empty date as the export wrote it, not a day (midnight as
                       written, before a zone places it; the epoch also at midnight UTC)
``time_zone_unknown``  a local time whose UTC offset column value is missing or no offset,
                       or that the zone its header names skips or repeats (see
                       :mod:`pipeline.ingest.zones`)
``date_future``        after ``as_of`` and after today (UTC, a day of slack): it cannot
                       have happened
``after_as_of``        after ``as_of`` but not after today: a real record outside a map of
                       an earlier day (out of scope: the reject ceiling does not count it)
``quantity_unparseable``  quantity present but not a number
``quantity_negative``  quantity < 0
``quantity_not_finite``   infinite or beyond 1e15
``outside_aoi``        outside the area of interest
``duplicate``          exact duplicate (every source field equal) of an earlier record
=====================  ==============================================================
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd
import shapely

from .._ctype import use_ascii_case
from ..errors import InputError, SourceUnreadable
from ..schema import (
    AGENCY,
    COMMODITY,
    LAT,
    LON,
    NOTE,
    QUANTITY,
    SEIZURE_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    TIME,
    empty_seizures,
)
from ._archive import check_zip_expansion
from ._columns import (
    QUALIFIERS,
    check_attribute_positions,
    compose_coordinate,
    coordinate_parts,
    gridded_hours,
    hemisphere_missing,
    infer_columns,
    name_score,
    name_tokens,
    number_fit,
    part_missing,
    port_list,
    seized_what_columns,
    unfit_column_notes,
    vessel_positions,
)
from ._common import (
    NO_HEADER,
    IngestResult,
    Rule,
    as_source,
    as_text,
    decide_misplaced,
    finish_rejects,
    first_failing,
    hxl_tags_of_fields,
    is_group_row,
    misplaced_counts,
    missing_mask,
    missing_memo,
    normalise_name,
    outside_aoi_rules,
    parse_coordinate,
    range_rules,
    read_text_table,
    refuse_role_units,
    repair_mojibake,
    reproject_xy,
    spans_meet,
    split_pair,
    stated_unit,
    time_span,
    units_of_fields,
    units_row_report,
)
from ._dates import (
    NS_RANGE,
    decided_both_ways,
    header_date_order,
    month_numbers,
    parse_times,
    times_by_group,
    times_with_clock,
)
from ._json import JsonTable, read_json_records
from ._mgrs import (
    MGRS_RULES,
    find_mgrs_column,
    is_mgrs_header,
    mgrs_disagreements,
    mgrs_share,
    read_mgrs_column,
)
from ._positions import PAIR_UNREADABLE, read_positions, split_pair_column
from ._quantity import decimal_mark_of, parse_quantities, typed_number_cells
from ._vector import (
    geometry_as_written,
    kml_remote_links_note,
    open_source,
    read_vector,
    spatial_layer,
)
from .categories import normalise_categories
from .options import SeizureSource
from .zones import apply_time_zone, header_zone, zone_layout

__all__ = [
    "COMMODITY_ORIGINAL",
    "read_seizures",
    "reject_repeated_records",
    "SEIZURE_RULES",
    "sort_seizures",
]

log = logging.getLogger(__name__)

SEIZURE_RULES = (
    "ragged_row",
    "unbalanced_quote",
    "repeated_header",
    "malformed_json",
    "not_a_json_object",
    "geometry_unparseable",
    "geometry_missing",
    "geometry_invalid",
    "geometry_not_point",
    "coord_missing",
    "coord_unparseable",
    *MGRS_RULES,
    "coord_out_of_crs",
    "latlon_swapped",
    "lat_out_of_range",
    "lon_out_of_range",
    "null_island",
    "coord_placeholder",
    "date_missing",
    "date_unparseable",
    "date_out_of_range",
    "date_placeholder",
    "time_zone_unknown",
    "date_future",
    "after_as_of",
    "quantity_unparseable",
    "quantity_negative",
    "quantity_not_finite",
    "outside_aoi",
    "duplicate",
    "duplicate_across_files",  # by the runner, across its input files (reject_repeated_records)
)

#: Columns two files' records must agree on to be one record given twice.
REPEAT_KEY = (TIME, LON, LAT, COMMODITY, QUANTITY, AGENCY, NOTE)

#: Roles a seizures file's columns are recognised for, in the order they claim columns.
ROLES = (
    "lat",
    "lon",
    "coords",
    "time",
    "time_of_day",
    "quantity",
    "quantity_unit",
    "commodity",
    "agency",
    "note",
)
QUANTITY_UNIT = "quantity_unit"
#: Units that count things (or persons, or a volume) rather than weigh them: written with the
#: number (``300 tablets``) one of them is the quantity's unit even under a header naming a
#: mass (``Qty (g)``), where another word after a number (``(approx)``) takes the header's.
COUNT_UNITS = frozenset(
    "tablet tablets pill pills capsule capsules dose doses blotter blotters ampoule ampoules "
    "vial vials piece pieces pc pcs unit units item items packet packets pack packs package "
    "packages parcel parcels bale bales brick bricks block blocks bag bags box boxes carton "
    "cartons case cases bottle bottles can cans container containers plant plants stick "
    "sticks cigarette cigarettes cigar cigars round rounds cartridge cartridges weapon weapons "
    "firearm firearms gun guns rifle rifles pistol pistols head animal animals specimen "
    "specimens person persons people migrant migrants passenger passengers victim victims "
    "l lt ltr ltrs litre litres liter liters ml gallon gallons gal barrel barrels "
    "bbl m3 pair pairs sheet sheets".split()
)
#: Units of mass a quantity is converted from, in kg.  'ton(s)' is not among them: short,
#: long or metric, it says none; a 'short ton' (2000 lb) and a 'long ton' (2240 lb) say which.
MASS_UNITS_KG = {
    "kg": 1.0, "kgs": 1.0, "kilo": 1.0, "kilos": 1.0, "kilogram": 1.0, "kilograms": 1.0,
    "kilogramme": 1.0, "kilogrammes": 1.0,
    "g": 1e-3, "gr": 1e-3, "grs": 1e-3, "gm": 1e-3, "gms": 1e-3, "gram": 1e-3, "grams": 1e-3,
    "gramme": 1e-3, "grammes": 1e-3, "mg": 1e-6, "milligram": 1e-6, "milligrams": 1e-6,
    "t": 1000.0, "tonne": 1000.0, "tonnes": 1000.0, "mt": 1000.0, "metric ton": 1000.0,
    "metric tons": 1000.0, "metric tonne": 1000.0, "metric tonnes": 1000.0,
    "lb": 0.45359237, "lbs": 0.45359237, "pound": 0.45359237, "pounds": 0.45359237,
    "oz": 0.028349523125, "ounce": 0.028349523125, "ounces": 0.028349523125,
    "short ton": 907.18474, "short tons": 907.18474,
    "long ton": 1016.0469088, "long tons": 1016.0469088,
    # es, pt, fr, de, it, the languages whose headers are read: 'KILOGRAMO', 'Gramas',
    # 'Toneladas' (a tonelada, tonne, Tonne or tonnellata is metric; a 'libra' is not
    # always 0.4536 kg, and an English 'ton' is none: neither is converted)
    "kilogramo": 1.0, "kilogramos": 1.0, "quilo": 1.0, "quilos": 1.0, "quilograma": 1.0,
    "quilogramas": 1.0, "kilogramm": 1.0, "chilogrammo": 1.0,
    "chilogrammi": 1.0, "chilo": 1.0,
    "gramo": 1e-3, "gramos": 1e-3, "grama": 1e-3, "gramas": 1e-3, "gramm": 1e-3,
    "grammo": 1e-3, "grammi": 1e-3,
    "miligramo": 1e-6, "miligramos": 1e-6, "miligrama": 1e-6, "miligramas": 1e-6,
    "milligramm": 1e-6, "milligramme": 1e-6, "milligrammes": 1e-6, "milligrammo": 1e-6,
    "milligrammi": 1e-6,
    "tonelada": 1000.0, "toneladas": 1000.0, "tonelada métrica": 1000.0,
    "toneladas métricas": 1000.0, "tonelada metrica": 1000.0, "toneladas metricas": 1000.0,
    "tm": 1000.0, "tonne métrique": 1000.0, "tonnes métriques": 1000.0, "tonnen": 1000.0,
    "tonnellata": 1000.0, "tonnellate": 1000.0,
}  # fmt: skip
#: Column of the seizures table keeping the category as spelled in the source.
COMMODITY_ORIGINAL = "commodity_original"

_MAX_QUANTITY = 1e15
_CTRL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


#: The formats a seizures file may have: its options' ``format`` values (a zip is opened to
#: the file it holds).
SEIZURE_FORMATS = tuple(
    f for f in get_args(SeizureSource.model_fields["format"].annotation) if f not in ("auto", "zip")
)


def _straddling_as_of(period_end: np.ndarray, later: np.ndarray, limit: pd.Timestamp) -> np.ndarray:
    """Mark the records kept at or before ``limit`` whose month, week or year runs past it."""
    out = np.zeros(len(later), dtype=bool)
    if not period_end.size:
        return out
    has = np.isfinite(period_end) & ~later
    # the period's end is exclusive: one that ends where as_of's day ends holds no later
    # instant (whole seconds to nanoseconds in int64, exact)
    end_ns = np.round(period_end[has]).astype("int64") * 1_000_000_000
    out[has] = end_ns > limit.value + 1
    return out


def read_seizures(
    source: SeizureSource | str | Path,
    *,
    as_of: dt.date | dt.datetime | str | None = None,
    aoi_bbox: tuple[float, float, float, float] | None = None,
    max_uncompressed_mb: float = 2048.0,
    bbox_as_written: bool = True,
) -> IngestResult:
    """Read a seizures file into the contract table, rejecting bad records with reasons.

    Parameters
    ----------
    source : SeizureSource, str or Path
        The file, or its options.
    as_of : date, datetime or str, optional
        Records dated after the end of this day are rejected: ``after_as_of``, or
        ``date_future`` when also after today; None skips the check.
    aoi_bbox : tuple of 4 floats, optional
        ``(lon_min, lat_min, lon_max, lat_max)``; records outside are rejected
        (``outside_aoi``).  ``lon_min > lon_max`` crosses the antimeridian.
    max_uncompressed_mb : float, default 2048
        A zipped source whose data file declares more is refused (``IngestOptions``), and
        so is a plain file this large: the table is read whole.
    bbox_as_written : bool, default True
        ``aoi_bbox`` is the config's own ``area.bbox`` (False: a polygon's bounds): a file
        whose positions mostly lie in the box its longitudes would give swapped is refused
        (:func:`~pipeline.ingest._common.decide_misplaced`).

    Returns
    -------
    IngestResult
        ``frame`` has the columns ``SEIZURE_COLUMNS`` then ``commodity_original``, in source
        order; ``assumptions`` holds every inferred column, the date order, time zone, CRS
        and category merges with their evidence.

    Raises
    ------
    SourceUnreadable
        Missing, empty, corrupt or unsupported file.
    InputError
        The file was read but has no usable coordinate or date column, a configured column
        is absent, or its dates are day/month ambiguous and ``dayfirst`` is not set.

    Examples
    --------
    >>> res = read_seizures("seizures.csv", as_of="2024-12-31")  # doctest: +SKIP
    >>> res.by_rule  # doctest: +SKIP
    {'duplicate': 2, 'null_island': 1}
    """
    use_ascii_case()  # the process's LC_CTYPE may have changed since the import
    src = as_source(source, SeizureSource)
    opened = open_source(
        src.path,
        src.format,
        allowed=SEIZURE_FORMATS,
        max_uncompressed_mb=max_uncompressed_mb,
        member=src.member,
        read_whole="a seizure table",
    )
    fmt = opened.fmt
    name = src.path.name
    notes: list[str] = []
    assumptions: dict[str, Any] = dict(opened.assumptions)
    pre_rejects = pd.DataFrame()
    geometry = None
    crs: Any = src.crs
    crs_by = "config" if src.crs is not None else "default"
    n_pre = 0
    #: Column -> cells that were typed numbers in the source (read as numbers, not as text).
    typed: dict[str, np.ndarray] = {}
    #: A GeoJSON feature's geometry as written, and whether it holds text, where GDAL read none.
    written: tuple[pd.Series, np.ndarray] | None = None
    header_units: dict[str, str] = {}  # a units row below a CSV's header (ERDDAP)
    if fmt in ("csv", "json"):
        table = (
            read_text_table(
                src.path,
                encoding=src.encoding,
                delimiter=src.delimiter,
                data=opened.data,
                find_header=True,
            )
            if fmt == "csv"
            else read_json_records(src.path, data=opened.data, encoding=src.encoding)
        )
        raw, rows, pre_rejects = table.frame, table.lines, table.bad_rows
        if isinstance(table, JsonTable):
            typed = table.typed_numbers
        if table.header_line != 1:
            assumptions["header_line"] = table.header_line or NO_HEADER
        header_units = getattr(table, "units", {})
        if header_units:
            assumptions["units_row"] = units_row_report(header_units, table.header_line)
        notes += table.notes
        n_pre = table.n_bad
        assumptions["encoding"] = table.encoding
        if fmt == "csv":
            assumptions["delimiter"] = table.delimiter
    elif fmt == "xlsx":
        raw, serials, titles, sheet_report, typed = _read_excel(src, max_uncompressed_mb)
        assumptions["sheet"] = sheet_report
        if sheet_report.get("skipped"):
            notes.append(
                f"{name}: sheet {sheet_report['value']!r} read, the only one whose header gives "
                "positions and dates; sheet(s) "
                + "; ".join(f"{t!r} ({why})" for t, why in sheet_report["skipped"].items())
                + " skipped (set sheet: to read another)"
            )
        if sheet_report.get("hidden_with_records"):
            notes.append(
                f"{name}: hidden sheet(s) {sheet_report['hidden_with_records']!r} hold rows "
                f"and were not read; sheet {sheet_report['value']!r} was read (set sheet: to "
                "read another)"
            )
        unsaved = sheet_report.get("formulas_without_value") or {}
        if unsaved:
            notes.append(
                f"{name}: {unsaved['count']} formula cell(s) hold no saved value (e.g. "
                f"{unsaved['example']}): the workbook was written by a program and never "
                "calculated in a spreadsheet, so they read as empty; open and save it in Excel "
                "or LibreOffice to store their values"
            )
        merged = sheet_report.get("merged_cells") or {}
        if merged.get("cells"):
            notes.append(
                f"{name}: {sum(merged['cells'].values())} blank cell(s) under merged cells "
                f"(e.g. {merged['example']}) take the merged cell's value: "
                + ", ".join(f"{c!r} {k}" for c, k in merged["cells"].items())
            )
        if merged.get("left_blank"):
            notes.append(
                f"{name}: {sum(merged['left_blank'].values())} cell(s) under merged numbers "
                "left blank (a number merged over several records may be their total): "
                + ", ".join(f"{c!r} {k}" for c, k in merged["left_blank"].items())
                + "; give each record its own value"
            )
        rows = np.arange(2 + titles, len(raw) + 2 + titles, dtype="int64")
        # an empty row is no record, as a blank line of a CSV is none (it had been rejected
        # as coord_missing); the others keep their row numbers
        empty = (raw == "").all(axis=1).to_numpy(dtype=bool)
        if empty.any():
            raw, rows = raw[~empty], rows[~empty]
            typed = {c: m[~empty] for c, m in typed.items()}
        if (
            len(raw)
            and rows[0] == 2 + titles
            and (found := units_of_fields(raw.iloc[0].tolist(), list(raw.columns)))
        ):
            # a units row below the header (an ERDDAP .csv opened and saved as a
            # workbook): no record, its units the header's, as in a CSV (rejected before,
            # its units lost: a quantity in g was kept as reported)
            header_units = found
            raw, rows = raw.iloc[1:], rows[1:]
            typed = {c: m[1:] for c, m in typed.items()}
            assumptions["units_row"] = units_row_report(found, titles + 1)
            notes.append(
                f"{name}: row {titles + 2} is the header's units row: not a record; units "
                + ", ".join(f"{c!r}: {u!r}" for c, u in found.items())
            )
        elif (
            len(raw)
            and rows[0] == 2 + titles
            and hxl_tags_of_fields(raw.iloc[0].tolist(), list(raw.columns))
        ):
            # HXL hashtags below the header (a Humanitarian Data Exchange workbook): no
            # record, as in its CSV (rejected as coord_unparseable before)
            raw, rows = raw.iloc[1:], rows[1:]
            typed = {c: m[1:] for c, m in typed.items()}
            notes.append(
                f"{name}: row {titles + 2} is the header's row of HXL hashtags (Humanitarian "
                "Data Exchange): not a record"
            )
        if titles:
            assumptions["header_line"] = titles + 1
            groups = sheet_report.get("group_row")
            notes.append(
                f"{name}: {titles} row(s) above the header skipped as a title"
                + (f" or a row of column groups ({groups!r})" if groups else "")
                + f"; the header is row {titles + 1}"
            )
        if serials:
            assumptions["excel_serial_dates"] = serials
            notes += [
                f"{name} column {c!r}: {v['count']} number(s) such as {v['example']!r} read as "
                f"Excel serial dates ({v['date_system']} date system of the workbook)"
                for c, v in serials.items()
            ]
    else:
        layer, layer_note = spatial_layer(opened.target, fmt, name, src.layer, records=True)
        if layer_note:
            notes.append(layer_note)
            assumptions["layer"] = {"value": layer, "by": "file", "evidence": layer_note}
        raw, geometry, file_crs = read_vector(
            opened.target, name, fmt, layer, max_uncompressed_mb=max_uncompressed_mb
        )
        rows = np.arange(1, len(raw) + 1, dtype="int64")
        if fmt == "kml" and (links_note := kml_remote_links_note(opened.target, name)):
            notes.append(links_note)
        if fmt == "geojson" and geometry is not None and shapely.is_missing(geometry).any():
            written = geometry_as_written(opened.target, len(raw))
        typed = {
            str(c): mask
            for c in raw.columns
            if raw[c].dtype.kind == "O" and (mask := typed_number_cells(raw[c])).any()
        }
        if file_crs is not None:
            if src.crs is not None:
                notes.append(f"{name}: file declares a CRS; config crs {src.crs!r} ignored")
            crs, crs_by = file_crs, "file"
        elif geometry is not None and src.crs is None:
            crs_by = "none"
    frame, rejects, more_notes, more = _normalise(
        raw,
        rows,
        geometry,
        src=src,
        crs=crs,
        crs_by=crs_by,
        as_of=as_of,
        aoi_bbox=aoi_bbox,
        bbox_as_written=bbox_as_written,
        typed=typed,
        written=written,
        header_units=header_units,
    )
    notes += more_notes
    assumptions.update(more)
    rejects, by_rule = finish_rejects(pre_rejects, rejects)
    n_read = len(raw) + n_pre
    log.info("%s: %d read, %d accepted, %d rejected", name, n_read, len(frame), len(rejects))
    return IngestResult(frame, rejects, by_rule, name, n_read, notes, assumptions)


#: Excel serial day numbers taken as dates: five digits (1927-05-18 .. 2173-10-13 in the
#: 1900 system), which no year, yyyymmdd or epoch time can be.
_SERIAL_RANGE = (10_000, 100_000)
#: Day zero of a workbook's date system (1900: Lotus' leap-year bug folded in).
_EXCEL_EPOCHS = {"1900": dt.datetime(1899, 12, 30), "1904": dt.datetime(1904, 1, 1)}


def _excel_date_system(path: Path) -> str:
    """'1904' for a workbook in the Mac 1904 date system, else '1900'."""
    from openpyxl import load_workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = load_workbook(path, read_only=True)
    try:
        return "1904" if wb.epoch == CALENDAR_MAC_1904 else "1900"
    finally:
        wb.close()


def _excel_serials(
    col: pd.Series, header: str, path: Path, system: list[str]
) -> tuple[pd.Series, dict[str, Any] | None]:
    """Return a date-named column with its serial day numbers as ISO text, and a report.

    A date cell formatted 'General' holds its serial day number.  Every number of the column
    must be one (:data:`_SERIAL_RANGE`), else the column is left alone.
    """
    if name_score(header, "time")[0] <= 0:
        return col, None
    isnum = col.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).to_numpy(
        dtype=bool
    )
    if not isnum.any():
        return col, None
    x = pd.to_numeric(col[isnum], errors="coerce").to_numpy(dtype="float64")
    lo, hi = _SERIAL_RANGE
    if not np.all((x >= lo) & (x < hi)):
        return col, None
    if not system:
        system.append(_excel_date_system(path))
    day0 = pd.Timestamp(_EXCEL_EPOCHS[system[0]])
    when = day0 + pd.to_timedelta(np.round(x * 86400.0), unit="s")
    out = col.copy()
    out[isnum] = when.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object)
    example = col[isnum].iloc[0]
    return out, {"count": int(isnum.sum()), "example": example, "date_system": system[0]}


def _read_excel(
    src: SeizureSource, max_uncompressed_mb: float
) -> tuple[pd.DataFrame, dict[str, Any], int, dict[str, Any], dict[str, np.ndarray]]:
    try:
        with open(src.path, "rb") as f:
            head = f.read(512)
        magic = head[:4]
        if magic != b"PK\x03\x04":
            raise SourceUnreadable(
                f"{src.path.name}: not an .xlsx workbook (it does not start with a ZIP header; "
                f"first bytes {magic!r}){_what_the_workbook_is(head)}"
            )
        # A workbook is a zip: its sheets are bounded like any zipped input before reading.
        check_zip_expansion(src.path, f"{src.path.name}: the workbook", max_uncompressed_mb)
        sheet: str | int
        if src.sheet is None:
            sheet, report = _data_sheet(src.path, dict(src.columns))
        else:
            sheet, report = src.sheet, {"value": src.sheet, "by": "config"}
        top = pd.read_excel(src.path, sheet_name=sheet, header=None, nrows=25, dtype=object)
        titles = _excel_title_rows(top)
        groups = _excel_group_row(top, titles)
        if groups:
            report["group_row"] = groups
            titles += 1
        frame = pd.read_excel(src.path, sheet_name=sheet, dtype=object, header=titles)
        unsaved: dict[str, Any] = {}
        errors: dict[tuple[int, int], str] = {}
        ranges = _merged_ranges(src.path, sheet, unsaved, errors)
        _put_error_cells(frame, errors, titles + 1)
        merged = _fill_merged_cells(frame, ranges, titles + 1)
    except (SourceUnreadable, InputError):  # already name the file
        raise
    except ValueError as exc:
        raise InputError(f"{src.path.name}: {exc}") from exc
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise SourceUnreadable(
            f"{src.path.name}: cannot read workbook: {type(exc).__name__}: {exc}"
        ) from exc
    frame.columns = [str(c) for c in frame.columns]
    if merged:
        report["merged_cells"] = merged
    if unsaved:
        report["formulas_without_value"] = unsaved
    out = {}
    serials: dict[str, Any] = {}
    typed: dict[str, np.ndarray] = {}
    system: list[str] = []
    for c in frame.columns:
        col, found = _excel_serials(frame[c], c, src.path, system)
        if found:
            serials[c] = found
        numeric = typed_number_cells(col)
        if numeric.any():
            typed[c] = numeric
        isdate = col.map(lambda v: isinstance(v, dt.datetime | pd.Timestamp))  # per cell: openpyxl
        text = col.astype("str")
        if isdate.any():
            text = text.where(~isdate, pd.to_datetime(col[isdate]).dt.strftime("%Y-%m-%dT%H:%M:%S"))
        out[c] = text.where(col.notna(), "")
    return pd.DataFrame(out, index=frame.index), serials, titles, report, typed


def _what_the_workbook_is(head: bytes) -> str:
    """Say what a file named ``.xlsx`` that is no zip is, from its first bytes, and what to do.

    Web portals and older tools save other things under the name: an Excel 97-2003 workbook
    (an OLE2 compound file), an HTML table, or a CSV.
    """
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (
            ": it is a legacy Excel 97-2003 .xls workbook under an .xlsx name; open it in "
            "Excel or LibreOffice and save it as .xlsx or CSV"
        )
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        return (
            ": it is an HTML or XML page (a web table saved as a workbook); open it in a "
            "spreadsheet and save it as .xlsx or CSV"
        )
    try:
        first = head.decode("utf-8").split("\n", 1)[0]
    except UnicodeDecodeError:
        return ""
    if any(d in first for d in (",", ";", "\t", "|")):
        return ": it is text, a CSV under an .xlsx name; set format: csv for it, or rename it .csv"
    return ""


#: A cell reference range of a sheet's ``<mergeCell ref="D2:D4"/>``.
_CELL_RANGE = re.compile(r"([A-Z]{1,3})([0-9]+):([A-Z]{1,3})([0-9]+)")
#: A cell reference of a sheet's ``<c r="B7">``.
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


def _column_number(letters: str) -> int:
    """Return the 1-based number of a column's letters (``A`` -> 1, ``AA`` -> 27)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _merged_ranges(
    path: Path,
    sheet: str | int,
    unsaved: dict[str, Any] | None = None,
    errors: dict[tuple[int, int], str] | None = None,
) -> list[tuple[int, int, int, int]]:
    """Return the merged cell ranges of a sheet as 1-based (col1, row1, col2, row2).

    ``pd.read_excel`` gives a merged cell's value to its top-left cell only; the ranges are
    read from the sheet's XML (the workbook, its relationships, then the sheet streamed).
    ``unsaved`` (a dict, optional) gets ``count`` and ``example`` of the formula cells
    holding no saved value: a workbook written by a program and never opened in a
    spreadsheet has none, and such a cell reads as empty.  ``errors`` (a dict, optional)
    gets the error cells (``t="e"``: ``#N/A``, ``#DIV/0!``) by 1-based (row, column), with
    their text: ``pd.read_excel`` reads them as empty.
    """
    import posixpath
    import zipfile
    from xml.etree import ElementTree as ET

    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    with zipfile.ZipFile(path) as zf:
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        sheets = [e for e in book.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"]
        if isinstance(sheet, int):
            if not 0 <= sheet < len(sheets):
                return []
            entry = sheets[sheet]
        else:
            named = [e for e in sheets if e.get("name") == sheet]
            if not named:
                return []
            entry = named[0]
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = next(
            (e.get("Target", "") for e in rels if e.get("Id") == entry.get(f"{rel_ns}id")), ""
        )
        member = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        member = posixpath.normpath(member)
        if member not in zf.namelist():
            return []
        out = []
        blank = 0
        first = ""
        with zf.open(member) as f:
            for _, el in ET.iterparse(f):
                tag = el.tag.rsplit("}", 1)[-1]
                if tag == "c":  # a formula whose value was never saved: no v, or an empty one
                    kids = {child.tag.rsplit("}", 1)[-1]: child for child in el}
                    v = kids.get("v")
                    if errors is not None and el.get("t") == "e" and v is not None and v.text:
                        ref = _CELL_REF.fullmatch(el.get("r", "").replace("$", ""))
                        if ref:
                            errors[int(ref[2]), _column_number(ref[1])] = v.text
                    if (
                        "f" in kids
                        and "is" not in kids
                        and not (v is not None and v.text)
                        # a saved empty string (=IF(...,"",...)): Excel writes t="str", <v/>
                        and not (v is not None and el.get("t") == "str")
                    ):
                        blank += 1
                        first = first or el.get("r", "")
                    el.clear()
                elif tag == "mergeCell":
                    m = _CELL_RANGE.fullmatch(el.get("ref", "").replace("$", ""))
                    if m:
                        c1, r1, c2, r2 = m.groups()
                        out.append((_column_number(c1), int(r1), _column_number(c2), int(r2)))
                elif tag == "row":
                    el.clear()  # the cells are pandas' to read: keep memory flat
        if unsaved is not None and blank:
            unsaved.update(count=blank, example=first)
        return out


def _put_error_cells(
    frame: pd.DataFrame, errors: dict[tuple[int, int], str], header_row: int
) -> None:
    """Give the record cells holding a spreadsheet error their error text, in place.

    ``pd.read_excel`` reads ``#N/A``, ``#VALUE!`` or ``#DIV/0!`` as an empty cell: a
    quantity whose formula failed was accepted as missing (a CSV saved from the same sheet
    rejects it as ``quantity_unparseable``), and a latitude's reject showed no value.  The
    error text is what a CSV export writes, so both are read alike.
    """
    first = header_row + 1  # the sheet row of the frame's first record
    for (row, col), text in errors.items():
        i = row - first
        if 0 <= i < len(frame) and col <= frame.shape[1] and pd.isna(frame.iat[i, col - 1]):
            frame.iat[i, col - 1] = text


def _fill_merged_cells(
    frame: pd.DataFrame, ranges: list[tuple[int, int, int, int]], header_row: int
) -> dict[str, Any] | None:
    """Give the rows under a merged cell its value, in place; return what was filled.

    A date, a commodity or an agency merged over the records it applies to (one cell over
    three rows of the same day) reads as blank below its first row: those records lost
    their date (rejected) or their commodity and agency (read as unknown) without a word.
    The value goes to the rows the range spans in its first column; ranges in or above the
    header row, and those of one row, are left alone.  A quantity, or a number under a
    header that names no date or position, is left blank and reported: merged over several
    records it may be their total, which copied to each would count it again.
    """
    filled: dict[str, int] = {}
    left: dict[str, int] = {}
    example = ""
    first = header_row + 1  # the sheet row of the frame's first record
    for c1, r1, _c2, r2 in ranges:
        if r1 <= header_row or r2 <= r1 or c1 > frame.shape[1] or r1 - first >= len(frame):
            continue
        top, bottom = r1 - first, min(r2 - first, len(frame) - 1)
        col = str(frame.columns[c1 - 1])
        below = frame.iloc[top + 1 : bottom + 1, c1 - 1]
        blank = below.isna()
        value = frame.iat[top, c1 - 1]
        if not blank.any() or pd.isna(value):
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if name_score(col, "quantity")[0] > 0 or (
            number and max(name_score(col, r)[0] for r in ("time", "lat", "lon")) <= 0
        ):
            left[col] = left.get(col, 0) + int(blank.sum())
            continue
        frame.iloc[top + 1 : bottom + 1, c1 - 1] = below.where(~blank, value)
        filled[col] = filled.get(col, 0) + int(blank.sum())
        example = example or f"{_column_letters(c1)}{r1}:{_column_letters(c1)}{r2}"
    if not filled and not left:
        return None
    return {"cells": filled, "example": example, "left_blank": left}


def _column_letters(n: int) -> str:
    """Return the letters of a 1-based column number (27 -> ``AA``)."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _data_sheet(path: Path, overrides: dict[str, str]) -> tuple[str | int, dict[str, Any]]:
    """Return the title of the one visible sheet holding records, and why it was chosen.

    Hidden sheets are never read without ``sheet``: they hold old copies, dropdown lists and
    lookups, not the records a person sees on opening the file.  Of several visible sheets
    holding rows, the one whose header gives positions and dates (the column inference, with
    the configured ``columns``) is read when it is the only such sheet: a portal's workbook
    ships its records beside ``Notes``, ``Sources`` or ``Legend`` sheets; those skipped are
    reported with why.  Two such sheets are refused: yearly sheets (``2023``, ``2024``)
    would otherwise lose all but one without a word.  Empty sheets (Excel's ``Sheet2``) and
    those holding a header alone do not count; with none holding records, the first
    visible sheet is read.
    """
    from itertools import islice

    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        visible, used, hidden = [], [], []
        for ws in wb.worksheets:
            rows = sum(1 for row in islice(ws.iter_rows(values_only=True), 30) if any(row))
            if ws.sheet_state == "visible":
                visible.append(ws.title)
                if rows > 1:
                    used.append(ws.title)
            elif rows > 0:
                hidden.append(ws.title)
    finally:
        wb.close()
    skipped: dict[str, str] = {}
    if len(used) > 1:
        headers = {t: _sheet_columns(path, t, overrides) for t in used}
        # a sheet whose header names a position is never skipped, even where its columns
        # were not decided ('lat' beside 'lat_corrected'): its refusal is the user's to see,
        # not another sheet read in its place
        kept = [t for t, (cols, ok) in headers.items() if ok or _names_a_position(cols)]
        if any(ok for _, ok in headers.values()):  # the others (notes, sources) are named
            skipped = {
                t: f"no position and date columns in its header {cols[:6]!r}"
                for t, (cols, ok) in headers.items()
                if t not in kept
            }
            used = kept
    if len(used) > 1:
        raise InputError(
            f"{path.name}: {len(used)} sheets hold records {used[:10]!r}; set sheet: to the one "
            "to read (one input per sheet)"
        )
    if not visible:
        raise InputError(f"{path.name}: every sheet is hidden; set sheet: to the one to read")
    title = used[0] if used else visible[0]
    report: dict[str, Any] = {
        "value": title,
        "by": "the only visible sheet holding records"
        if used
        else "the first visible sheet (none holds records)",
    }
    if skipped:
        report["by"] = "the only visible sheet whose header gives positions and dates"
        report["skipped"] = skipped
    if hidden:
        report["hidden_with_records"] = hidden
    return title, report


def _sheet_columns(path: Path, title: str, overrides: dict[str, str]) -> tuple[list[str], bool]:
    """Return a sheet's header and whether its columns give positions and dates.

    The header is found as for the sheet read (title rows and a row of column groups
    skipped), and its first rows go through the column inference of the records.
    """
    top = pd.read_excel(path, sheet_name=title, header=None, nrows=30, dtype=object)
    titles = _excel_title_rows(top)
    titles += 1 if _excel_group_row(top, titles) else 0
    if len(top) <= titles:
        return [], False
    header = [str(v).strip() if pd.notna(v) else "" for v in top.iloc[titles]]
    body = top.iloc[titles + 1 :]
    isdate = body.map(lambda v: isinstance(v, dt.datetime | pd.Timestamp))  # few cells
    text = body.astype("str").where(body.notna(), "")
    text = text.where(~isdate, body.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v))
    cols = [h or f"column {i + 1}" for i, h in enumerate(header)]
    frame = pd.DataFrame(text.to_numpy(), columns=cols).loc[:, ~pd.Index(cols).duplicated()]
    over = {r: c for r, c in overrides.items() if r in _SHEET_ROLES and c in frame.columns}
    try:
        choice = infer_columns(frame, _SHEET_ROLES, over, path.name, id_roles=())
    except InputError:
        return header, False
    placed = choice.get("coords") is not None or (
        choice.get(LAT) is not None and choice.get(LON) is not None
    )
    return [h for h in header if h], placed and choice.get("time") is not None


#: The roles a sheet's header must fill to hold records: a position and a date.
_SHEET_ROLES = (LAT, LON, "coords", "time")


def _names_a_position(header: Sequence[str]) -> bool:
    """Return whether a header names a latitude, a longitude or a coordinates column."""
    return any(name_score(h, r)[0] > 0 for h in header if h for r in (LAT, LON, "coords"))


def _excel_group_row(top: pd.DataFrame, titles: int) -> list[str]:
    """Return the names of a row of merged column groups over the header, or ``[]``.

    ``Incident`` merged over Date and Time, ``Position`` over Lat and Lon: the row below the
    titles names groups of columns and the next one is the header (see
    :func:`~pipeline.ingest._common.is_group_row`, which a CSV saved from such a sheet goes
    through too).
    """
    cells = top.iloc[titles:]
    if len(cells) < 3:
        return []
    filled = (cells.notna() & (cells.astype("str").apply(lambda c: c.str.strip()) != "")).any()
    cells = cells.loc[:, filled.to_numpy()]  # columns no row of the top fills: no column
    text = cells.astype("str").where(cells.notna(), "").to_numpy(dtype=object).tolist()
    if not is_group_row(text[0], text[1:]):
        return []
    return [str(v).strip() for v in text[0] if str(v).strip()]


def _excel_title_rows(top: pd.DataFrame) -> int:
    """Rows above the header of a sheet: leading rows with at most one value (a title)."""
    filled = (top.notna() & (top.astype("str").apply(lambda c: c.str.strip()) != "")).sum(axis=1)
    header = np.flatnonzero(filled.to_numpy() >= 2)
    return int(header[0]) if header.size else 0


def _normalise(
    raw: pd.DataFrame,
    rows: np.ndarray,
    geometry: np.ndarray | None,
    *,
    src: SeizureSource,
    crs,
    crs_by: str,
    as_of,
    aoi_bbox,
    bbox_as_written: bool = True,
    typed: dict[str, np.ndarray] | None = None,
    written: tuple[pd.Series, np.ndarray] | None = None,
    header_units: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], dict[str, Any]]:
    name = src.path.name
    notes: list[str] = []
    n = len(raw)
    if n == 0:
        notes.append(f"{name}: no records")
        empty = empty_seizures()
        empty[COMMODITY_ORIGINAL] = pd.Series([], dtype="object")
        return empty, pd.DataFrame(), notes, {}
    as_read = raw
    raw, repaired = _repair_text(raw, name)
    if repaired:
        notes.append(repaired["note"])
    cols = list(raw.columns)
    over = dict(src.columns)
    use_geometry = geometry is not None and over.get(LAT) is None and over.get("coords") is None
    roles = [r for r in ROLES if not (use_geometry and r in (LAT, LON, "coords"))]
    with missing_memo():  # the same columns' missing values, asked for by each test
        header_again = _repeated_header(raw)
        _refuse_header_reordered(raw, rows, header_again, name)
        units_again = _units_rows_again(raw, rows, header_again, header_units, name)
        header_again = header_again | units_again
        choice = infer_columns(
            raw[~header_again] if header_again.any() else raw, roles, over, name, id_roles=()
        )
        pick = {r: choice.get(r) for r in ROLES}
        evidence: dict[str, Any] = dict(choice.evidence)
        refuse_role_units(pick, header_units, name, src.crs)
        records = raw[~header_again] if header_again.any() else raw
        _refuse_event_counts(records, over, name)
        _refuse_vessel_positions(records, over, name)
        _refuse_gridded_hours(records, pick, evidence, name)
    counted = _event_count_column(records, over, bare=True)
    if counted is not None and counted[0] not in set(pick.values()):
        notes.append(
            f"{name}: column {counted[0]!r} holds counts such as {', '.join(counted[1])} and "
            "was not used: each row is read as one record; if it counts events per row (a "
            "table of totals), give one row per event"
        )
    rules: list[Rule] = []
    if header_again.any():  # two exports joined end to end: the second one's header line
        rules.append(
            Rule(
                "repeated_header",
                header_again,
                "*",
                "the header line (or its units row) again (files joined end to end): not a record",
                _header_again_values(raw, cols, units_again),
            )
        )

    # --- coordinates
    dotted: dict[str, str] | None = None  # one-dot values with a letter: how read
    if use_geometry:
        assert geometry is not None
        lon, lat, geo_rules = _points_from_geometry(
            geometry,
            src.polygons_to_points,
            name,
            lonlat=_in_degrees(crs),
            notes=notes,
            written=written,
        )
        rules += geo_rules
        if crs is not None:
            lon, lat = reproject_xy(lon, lat, crs, name)
        else:
            _refuse_projected_layer(lon, lat, name)
        # a point feature's only: a polygon's point is one picked inside it
        # (point_on_surface), no position its attributes (a centroid) could write
        point = np.asarray(shapely.get_type_id(geometry)) == 0
        check_attribute_positions(
            raw, np.where(point, lon, np.nan), np.where(point, lat, np.nan), name, notes
        )
        try:
            beside = find_mgrs_column(raw, _grid_taken(pick), name)
        except InputError:  # two columns of references: none compared
            beside = None
        if beside is not None:  # an attribute's grid reference: compared, as lat/lon are
            notes += _grid_beside_note(
                raw,
                np.where(point, lon, np.nan),
                np.where(point, lat, np.nan),
                beside["column"],
                rows,
                name,
                read="the layer's points",
                at="record",
            )
        lat_col = lon_col = "geometry"
        lat_raw = lon_raw = pd.Series(
            shapely.to_wkt(geometry, rounding_precision=8), index=raw.index
        ).fillna("")
        wrong_axis = np.zeros(n, bool)
        for role in (LAT, LON):
            evidence[role] = {"column": "geometry", "by": "geometry", "evidence": "point geometry"}
    else:
        lat_pick, lon_pick, coords_pick = pick[LAT], pick[LON], pick["coords"]
        if (
            lat_pick
            and lon_pick
            and coords_pick
            and not (over.get(LAT) or over.get(LON) or over.get("coords"))
            and _qualified(lat_pick) | _qualified(lon_pick)
            and not _qualified(coords_pick)
            and _pairs_share(raw[coords_pick]) >= 0.5
        ):  # 'Latitude of port' beside 'position': the record's place is the pair's
            evidence["coords"] = {
                **evidence["coords"],
                "evidence": f"{evidence['coords']['evidence']}; preferred over "
                f"{lat_pick!r}/{lon_pick!r}, whose headers name another place",
            }
            notes.append(
                f"{name}: positions read from {coords_pick!r}; {lat_pick!r}/{lon_pick!r} "
                "name another place (a port, a destination ...) and were not used"
            )
            lat_pick = lon_pick = None
        if (
            lat_pick
            and lon_pick
            and coords_pick
            and not (over.get(LAT) or over.get(LON) or over.get("coords"))
            and missing_mask(raw[lat_pick]).all()
            and missing_mask(raw[lon_pick]).all()
            and not missing_mask(raw[coords_pick]).all()
        ):  # an export's empty 'Latitude'/'Longitude' beside its filled 'Position'
            evidence["coords"] = {
                **evidence["coords"],
                "evidence": f"{evidence['coords']['evidence']}; preferred over "
                f"{lat_pick!r}/{lon_pick!r}, which hold no value",
            }
            notes.append(
                f"{name}: positions read from {coords_pick!r}; {lat_pick!r}/{lon_pick!r} "
                "hold no value and were not used"
            )
            lat_pick = lon_pick = None
        no_hemisphere: dict[str, tuple[np.ndarray, str, pd.Series]] = {}
        no_part: list[tuple[str, np.ndarray, str, pd.Series]] = []
        grid, grid_beside = _grid_reference_column(
            raw, pick, evidence, over, lat_pick, lon_pick, name
        )
        if grid is not None and lat_pick and lon_pick:  # a template's blank Latitude/Longitude
            notes.append(
                f"{name}: positions read from the grid references in {grid['column']!r}; "
                f"{lat_pick!r}/{lon_pick!r} hold no value and were not used"
            )
            lat_pick = lon_pick = None
        if lat_pick and lon_pick and not over.get("coords"):
            lat_col, lon_col = lat_pick, lon_pick
            lat_raw, lon_raw = raw[lat_col], raw[lon_col]
            evidence.pop("coords", None)
            taken = {c for c in pick.values() if c is not None}
            for role, axis in ((LAT, "lat"), (LON, "lon")):
                col = lat_col if axis == "lat" else lon_col
                parts = coordinate_parts(raw, col, axis, taken, name)
                if parts:
                    taken |= set(parts.values())
                    composed = compose_coordinate(raw, col, parts)
                    for part_col, blank in part_missing(raw, col, parts).items():
                        no_part.append((axis, blank, part_col, composed))
                    if "hemisphere" in parts:
                        blank = hemisphere_missing(raw, col, parts)
                        no_hemisphere[axis] = (blank, parts["hemisphere"], composed)
                    if axis == "lat":
                        lat_raw = composed
                    else:
                        lon_raw = composed
                    evidence[role] = {**evidence[role], "parts": parts}
                    notes.append(
                        f"{name}: {axis} composed from {col!r} and "
                        + ", ".join(f"{k} {v!r}" for k, v in parts.items())
                    )
        elif grid is not None:
            lat_col = lon_col = grid["column"]
            evidence.pop(LAT, None)
            evidence.pop(LON, None)
        elif coords_pick:
            lat_col = lon_col = coords_pick
            lat_raw, lon_raw, evidence["coords"], pair_notes, unread = split_pair_column(
                raw, lat_col, name, evidence["coords"], crs=crs
            )
            rules.append(
                Rule(PAIR_UNREADABLE[0], unread, lat_col, PAIR_UNREADABLE[1], raw[lat_col])
            )
            notes += pair_notes
            evidence.pop(LAT, None)
            evidence.pop(LON, None)
        else:
            why = evidence.get(LAT, {}).get("evidence") or evidence.get(LON, {}).get("evidence")
            raise InputError(
                f"{name}: no coordinate columns found among {cols!r}"
                + (f" ({why})" if why else "")
                + _no_position_advice(raw, cols)
            )
        if grid is not None:
            lon, lat, _, grid_rules, grid_notes, grid_said = read_mgrs_column(
                raw[lat_col], lat_col, name
            )
            rules += grid_rules
            notes += grid_notes
            evidence["coords"] = {**grid, **grid_said}
            if crs is not None:
                notes.append(
                    f"{name}: crs {crs!r} not applied to {lat_col!r}: MGRS references are "
                    "WGS84 by definition"
                )
            lat_raw = lon_raw = as_text(raw[lat_col])
            wrong_axis = np.zeros(n, bool)
            pair_col = lat_col
        else:
            read = read_positions(
                lat_raw, lon_raw, crs=crs, lat_col=lat_col, lon_col=lon_col, name=name
            )
            notes += read.notes
            dotted = read.dotted
            lat_miss, lon_miss = read.lat_missing, read.lon_missing
            lat = read.lat.to_numpy(dtype="float64")
            lon = read.lon.to_numpy(dtype="float64")
            miss = lat_miss | lon_miss
            lat_bad = ~miss & np.isnan(lat)
            lon_bad = ~miss & ~lat_bad & np.isnan(lon)
            wrong_axis = read.wrong_axis
            pair_col = lat_col if lat_col == lon_col else f"{lat_col}/{lon_col}"
            # a line whose latitude or longitude is blank is placed by the grid reference
            # beside it (complete pairs win): a blank one too is coord_missing, one that
            # is no reference is rejected with why
            fill = None
            if grid_beside is not None and miss.any():
                fill = read_mgrs_column(raw[grid_beside].where(miss), grid_beside, name)
            rules.append(
                Rule(
                    "coord_missing",
                    miss if fill is None else miss & fill[3][0].mask,
                    pair_col,
                    "latitude or longitude is missing",
                    pd.Series(
                        np.where(lat_miss, lat_raw.astype("str"), lon_raw.astype("str")),
                        index=raw.index,
                    ),
                )
            )
            rules.append(
                Rule(
                    "coord_unparseable",
                    lat_bad,
                    lat_col,
                    "latitude {value} is neither a number nor degree-minute-second "
                    "text like 13°43'00\"N",
                    lat_raw,
                )
            )
            rules.append(
                Rule(
                    "coord_unparseable",
                    lon_bad,
                    lon_col,
                    "longitude {value} is neither a number nor degree-minute-second text "
                    "like 121°02'00\"E",
                    lon_raw,
                )
            )
            for axis, blank, part_col, composed in no_part:
                word = "latitude" if axis == "lat" else "longitude"
                rules.append(
                    Rule(
                        "coord_missing",
                        blank & ~miss,
                        part_col,
                        f"{word} {{value}} is missing a part: {part_col!r} is blank (a zero is "
                        "written 0)",
                        composed,
                    )
                )
            for axis, (blank, hem_col, composed) in no_hemisphere.items():
                word = "latitude" if axis == "lat" else "longitude"
                which = "north or south" if axis == "lat" else "east or west"
                rules.append(
                    Rule(
                        "coord_missing",
                        blank & ~miss,
                        hem_col,
                        f"{word} {{value}} has no hemisphere: {hem_col!r} is blank ({which}?)",
                        composed,
                    )
                )
            if crs is not None:
                plon, plat = reproject_xy(lon, lat, crs, name)
                failed = ~np.isnan(lat) & ~np.isnan(lon) & (np.isnan(plat) | np.isnan(plon))
                rules.append(
                    Rule(
                        "coord_out_of_crs",
                        failed,
                        pair_col,
                        f"coordinates {{value}} cannot be transformed from {crs!r}",
                        lat_raw.astype("str") + " " + lon_raw.astype("str"),
                    )
                )
                lon, lat = plon, plat
            if fill is not None:
                rules += fill[3][1:]
            if grid_beside is not None:
                notes += _grid_beside_note(raw, lon, lat, grid_beside, rows, name)
            if fill is not None and grid_beside is not None and not np.isnan(fill[1]).all():
                lon, lat, lat_raw, lon_raw = _fill_from_grid(
                    fill, lon, lat, lat_raw, lon_raw, raw[grid_beside], pair_col, name, notes
                )
                evidence["grid_fill"] = {
                    "column": grid_beside,
                    "by": "name" if is_mgrs_header(grid_beside) else "content",
                    "evidence": f"read where {pair_col!r} is incomplete",
                    **fill[5],
                }
    ok = ~np.isnan(lat) & ~np.isnan(lon)
    swapped = ok & (((np.abs(lat) > 90) & (np.abs(lat) <= 180) & (np.abs(lon) <= 90)) | wrong_axis)
    pair_text = (
        pd.Series(
            np.char.add(
                np.char.add(lat_raw.astype("str").to_numpy().astype("U"), " "),
                lon_raw.astype("str").to_numpy().astype("U"),
            ),
            index=raw.index,
        )
        if lat_col != lon_col
        else lat_raw.astype("str")
    )
    if swapped.any():
        fix = (
            f"set columns: {{lat: {lon_col!r}, lon: {lat_col!r}}} in the config"
            if lat_col != lon_col
            else "write the latitude first or use hemisphere letters N/S then E/W"
        )
        rules.append(
            Rule(
                "latlon_swapped",
                swapped,
                f"{lat_col}/{lon_col}" if lat_col != lon_col else lat_col,
                f"latitude/longitude {{value}} look swapped (latitude outside [-90, 90] or a "
                f"hemisphere letter of the other axis); to fix, {fix}",
                pair_text,
            )
        )
        share = swapped.sum() / max(ok.sum(), 1)
        if share > 0.5:
            notes.append(
                f"{name}: {swapped.sum()} of {ok.sum()} records have latitude and longitude "
                f"evidently swapped (columns {lat_col!r}/{lon_col!r}); {fix}"
            )
    projected = ok & ((np.abs(lat) > 1000) | (np.abs(lon) > 1000))
    looks_projected = crs is None and projected.sum() > 0.5 * max(ok.sum(), 1)
    if looks_projected:
        notes.append(
            f"{name}: {int(projected.sum())} of {int(ok.sum())} positions have coordinates "
            "beyond ±1000: they look projected (metres); set crs (e.g. 'EPSG:32633') in the "
            "config to reproject them"
        )
    crs_report = _crs_report(crs, crs_by, ok, lat, lon, looks_projected)
    rules += range_rules(
        lat, lon, ok, lat_col=lat_col, lon_col=lon_col, lat_raw=lat_raw, lon_raw=lon_raw
    )
    rules.append(
        Rule(
            "null_island",
            ok & (lat == 0) & (lon == 0),
            f"{lat_col}/{lon_col}" if lat_col != lon_col else lat_col,
            "position (0, 0) is a placeholder, not a place",
            pair_text,
        )
    )
    lat_zero, lon_zero = lone_zero_coordinates(lat, lon, ok)
    for zero, axis, col, line in (
        (lat_zero, "latitude", lat_col, "the equator"),
        (lon_zero, "longitude", lon_col, "the Greenwich meridian"),
    ):
        rules.append(
            Rule(
                "coord_placeholder",
                zero,
                col,
                f"position {{value}}: a {axis} of exactly 0 where no other record lies within "
                f"1 degree of {line}: a missing {axis} written as 0, not a place",
                pair_text,
            )
        )
    usable = ok & (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & ((lat != 0) | (lon != 0))
    notes += decide_misplaced(
        misplaced_counts(lon, lat, usable, aoi_bbox),
        aoi_bbox,
        name,
        bbox_as_written=bbox_as_written,
        grid=None if use_geometry or grid is None else str(lat_col),
        fix=(
            f"if the columns are swapped set columns: {{lat: {lon_col!r}, lon: {lat_col!r}}} "
            "in the config; "
            if geometry is None and lat_col != lon_col
            else "if the coordinates are written latitude first, write them longitude first; "
        )
        + "if a hemisphere was lost, fix the export (west and south are negative); if the "
        "file is for another area, leave it out of this config",
    )

    # --- time
    tcol = pick[TIME]
    split = _split_date(raw, tcol, over)
    if split is not None:  # GTD's iyear/imonth/iday: one date of three columns
        date_values, tcol, split_note, split_bad, split_written = split
        notes.append(f"{name}: {split_note}")
        evidence[TIME] = {"column": tcol, "evidence": split_note}
        raw = raw.assign(**{tcol: date_values})
    if tcol is None:
        why = evidence.get(TIME, {}).get("evidence")
        raise InputError(
            f"{name}: no date column found among {cols!r}"
            + (f" ({why})" if why else "")
            + "; expected a column of dates (e.g. 'date', 'event_time_utc', 'timestamp') "
            "or set columns: {time: ...} in the config"
        )
    clock_col = pick["time_of_day"]
    date_values = raw[tcol]
    clock_values = raw[clock_col] if clock_col else None

    def with_clock(by_group=None):
        return times_with_clock(
            date_values,
            clock_values,
            dayfirst=src.dayfirst,
            order_by="config",
            name=name,
            date_column=tcol,
            clock_column=clock_col,
            parsed=by_group,
        )

    try:
        parsed, clock_report = with_clock()
    except InputError as exc:
        # two agencies' exports joined, each in its own day/month order: read apart
        agency = pick.get(AGENCY)
        by_agency = (
            times_by_group(date_values, raw[agency], name=name, column=tcol, group_column=agency)
            if agency and decided_both_ways(exc) and header_date_order(tcol) is None
            else None
        )
        if by_agency is None:
            raise
        parsed, clock_report = with_clock(by_agency)
    if clock_col and clock_report and not clock_report["combined"]:
        evidence.pop("time_of_day", None)
    notes += parsed.notes
    # a zone the time header names, or a UTC offset column, places naive times as for pings
    zones = zone_layout(raw, cols, {**pick, TIME: tcol}, name, evidence)
    written = parsed.times.copy()  # as written: a null day is a wall-clock value
    _, zone_notes, zone_report, zone_rule = apply_time_zone(parsed, zones, raw[tcol], name, tcol)
    notes += zone_notes
    if zones["offset_note"]:
        notes.append(zones["offset_note"])
    times = parsed.times
    if split is not None and split_bad.any():
        rules.append(
            Rule(
                "date_unparseable",
                split_bad,
                tcol,
                "date {value} (year/month/day) has no valid year, month or day: a year is "
                "four digits, a month 1-12, a day 1-31 (0 or empty: unknown)",
                split_written,
            )
        )
    rules.append(Rule("date_missing", parsed.missing, tcol, "date is missing", raw[tcol]))
    rules.append(
        Rule(
            "date_unparseable",
            parsed.unparseable,
            tcol,
            "date {value} matches no supported format (ISO 8601, dd/mm/yyyy, "
            "mm/dd/yyyy, epoch seconds/ms, year, '12 Jan 2020')",
            raw[tcol],
        )
    )
    rules.append(
        Rule(
            "date_out_of_range",
            parsed.out_of_range,
            tcol,
            f"date {{value}} is outside {NS_RANGE}, the range of dates the tables hold",
            raw[tcol],
        )
    )
    rules.append(
        Rule(
            "date_placeholder",
            placeholder_dates(times, written),
            tcol,
            "date {value} is the day zero of a spreadsheet, database or clock, more than a "
            "year before every other record: an empty date as the export wrote it, not a day",
            raw[tcol],
        )
    )
    if zone_rule is not None:
        rules.append(zone_rule)
    same_day = _one_day(times, tcol, name)
    if same_day is not None:
        parsed.assumptions["same_day"] = same_day["day"]
        notes.append(same_day["note"])
    order = parsed.assumptions.get("order")
    by_group = None
    if isinstance(parsed.assumptions.get("orders"), dict):  # read per agency
        agency = pick[AGENCY]
        by_group = (raw[agency], str(agency), parsed.assumptions["orders"])
    span = _date_ranges(raw, tcol, times, order, src.dayfirst, name, zones, by_group)
    if span is not None:
        parsed.assumptions["date_range"] = span["report"]
        notes.append(span["note"])
    if as_of is not None:
        limit = pd.Timestamp(as_of)
        limit = limit.tz_localize("UTC") if limit.tzinfo is None else limit.tz_convert("UTC")
        if limit == limit.normalize():
            limit = limit + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        # A record after today (in any zone: a day of slack) cannot have happened: bad data.
        # One between as_of and today is a real record outside a map of an earlier day: out
        # of the run's time, as outside_aoi is out of its area (the reject ceiling skips it).
        today = pd.Timestamp.now(tz="UTC").normalize() + pd.Timedelta(days=2)
        later = (times > limit).to_numpy()
        future = later & (times >= max(today, limit)).to_numpy()
        rules.append(
            Rule(
                "date_future",
                future,
                tcol,
                f"date {{value}} is after as_of {limit.date().isoformat()} and after today",
                raw[tcol],
            )
        )
        rules.append(
            Rule(
                "after_as_of",
                later & ~future,
                tcol,
                f"date {{value}} is after as_of {limit.date().isoformat()}: outside the map's time",
                raw[tcol],
            )
        )
        straddle = _straddling_as_of(parsed.period_end, later, limit)
        if straddle.any():
            # '2024-12' placed on the 1st is before an as_of of 2024-12-05: kept, but the
            # seizure may have been on the 20th, outside the map's time
            example = raw[tcol].iloc[int(np.flatnonzero(straddle)[0])]
            notes.append(
                f"{name} column {tcol!r}: {int(straddle.sum())} record(s) dated only to a "
                f"month, week or year that holds as_of {limit.date().isoformat()} (such as "
                f"{str(example)!r}) are kept, placed at the period's start: they may have "
                "happened after as_of"
            )
            parsed.assumptions["periods_holding_as_of"] = int(straddle.sum())

    # --- quantity
    qcol = pick[QUANTITY]
    if qcol is not None:
        qraw = raw[qcol]
        qmiss = missing_mask(qraw)
        typed = typed or {}
        # A typed coordinate says nothing of how the file writes its text (see _quantity).
        coord_typed = [typed.get(lat_col), typed.get(lon_col)]
        q, in_value, q_report = parse_quantities(
            qraw if qraw.dtype.kind in "fiub" else qraw.where(~qmiss, ""),
            file_decimal=decimal_mark_of(lat_raw, lon_raw, typed=coord_typed),
            where=f"{name} column {qcol!r}",
            typed=typed.get(qcol),
        )
        rules.append(
            Rule(
                "quantity_unparseable",
                ~qmiss & np.isnan(q),
                qcol,
                "quantity {value} is not a number",
                qraw,
            )
        )
        rules.append(Rule("quantity_negative", q < 0, qcol, "quantity {value} is negative", qraw))
        rules.append(
            Rule(
                "quantity_not_finite",
                np.abs(q) > _MAX_QUANTITY,
                qcol,
                f"quantity {{value}} is infinite or beyond {_MAX_QUANTITY:g}",
                qraw,
            )
        )
        ucol = pick[QUANTITY_UNIT]
        units = raw[ucol] if ucol else None
        unit_conflicts = None
        counted = None
        if (in_value != "").any():  # '300 kg': the unit written with the number wins
            own = pd.Series(in_value.to_numpy(), index=qraw.index)
            has_own = own.str.strip().ne("").to_numpy()
            counted = has_own & _unit_key(own).isin(COUNT_UNITS).to_numpy()
            if units is not None:
                unit_conflicts = _unit_conflicts(own, as_text(units), has_own)
                units = as_text(units).where(~has_own, own)
                ucol = f"{ucol}, unless a unit follows the number in {qcol}"
            else:
                units = own
                ucol = f"{qcol} (after the number)"
        row_unit = (header_units or {}).get(qcol)
        _refuse_mass_per(qcol, header_units, name)
        if row_unit:
            _refuse_unit_clash(qcol, row_unit, name)
        per_kg, unit_report = _quantity_units(units, qcol, ucol, counted, row_unit=row_unit)
        q = q * per_kg  # the rules above judged the value as written
        unit_notes = unit_report.pop("notes")
        if unit_conflicts:
            unit_report["unit_conflicts"] = unit_conflicts
            unit_notes.append(
                f"{unit_conflicts['count']} quantit(ies) of {qcol!r} carry a unit that "
                f"differs from column {pick[QUANTITY_UNIT]!r} (such as "
                f"{unit_conflicts['examples'][0]!r}): the unit written with the number was used"
            )
        notes += [f"{name}: {t}" for t in unit_notes]
        if q_report.get("grouped") or q_report.get("decided_by"):
            notes.append(
                f"{name}: quantities of {qcol!r} read with the decimal {q_report['decimal_mark']!r}"
                + (f" ({q_report['decided_by']})" if "decided_by" in q_report else "")
                + (
                    f"; {q_report['grouped']} with thousands separators"
                    if q_report.get("grouped")
                    else ""
                )
            )
        if q_report.get("approximate"):
            notes.append(
                f"{name}: {q_report['approximate']} quantit(ies) marked approximate (~, ca., approx., est.) "
                "taken at their value"
            )
        evidence_units = {**unit_report, "number_format": q_report}
    else:
        q = np.full(n, np.nan)
        evidence_units = None

    # --- area of interest, duplicates
    rules += outside_aoi_rules(
        lon,
        lat,
        ok,
        aoi_bbox,
        column=f"{lat_col}/{lon_col}" if lat_col != lon_col else lat_col,
        values=pair_text,
    )
    dup_frame = raw if geometry is None else raw.assign(__geometry=lat_raw)
    dup, first = _exact_duplicates(dup_frame)
    rules.append(
        Rule(
            "duplicate",
            dup,
            "*",
            "exact duplicate (every field) of an earlier record, whose line is the value",
            pd.Series(np.asarray(rows)[first], index=raw.index).astype("str"),
        )
    )

    accepted, rejects = first_failing(rules, n=n, source_file=name, rows=rows)
    if repaired and len(rejects):  # a rejected value is shown as the file holds it
        for col in repaired["columns"]:
            at = (rejects["column"] == col).to_numpy()
            if at.any():
                held = pd.Series(as_text(as_read[col]).to_numpy(), index=np.asarray(rows))
                rejects.loc[at, "value"] = rejects.loc[at, "row"].map(held).to_numpy()
    take = np.flatnonzero(accepted)

    def text(key: str, default: str) -> pd.Series:
        c = pick[key]
        if c is None:
            return pd.Series([default] * take.size, dtype="object")
        t = as_text(raw[c].iloc[take]).str.replace(_CTRL, "", regex=True)
        return t.where(t != "", default).reset_index(drop=True).astype("object")

    original = text(COMMODITY, "")
    labels, cat_report = normalise_categories(original, src.synonyms)
    labels = labels.where(labels != "", "unknown")
    frame = pd.DataFrame(
        {
            TIME: times.iloc[take].reset_index(drop=True),
            LON: lon[take],
            LAT: lat[take],
            COMMODITY: labels,
            QUANTITY: q[take],
            AGENCY: text(AGENCY, ""),
            NOTE: text(NOTE, ""),
            SOURCE_FILE: name,
            SOURCE_ROW: rows[take].astype("int64"),
            COMMODITY_ORIGINAL: original,
        },
        columns=[*SEIZURE_COLUMNS, COMMODITY_ORIGINAL],
    )
    frame[TIME] = frame[TIME].astype("datetime64[ns, UTC]")
    if cat_report["merged"]:
        merged = cat_report["merged"]
        examples = "; ".join(f"{k!r} <- {v!r}" for k, v in list(merged.items())[:3])
        notes.append(
            f"{name}: {len(merged)} categor(ies) of {pick[COMMODITY]!r} gathered several "
            f"spellings (trim, case-fold, NFC, synonyms): {examples}"
        )
    # in the order of ROLES whatever the source: a layer's geometry (lat, lon) is decided
    # after its other columns, and was listed last (the summary's lines follow this order)
    rank = {r: i for i, r in enumerate(ROLES)}
    in_order = sorted(evidence, key=lambda k: rank.get(k, len(ROLES)))
    assumptions: dict[str, Any] = {
        "columns": {k: evidence[k] for k in in_order if evidence[k].get("column") is not None},
        "dates": {k: v for k, v in parsed.assumptions.items() if k != "time_zone"},
        "time_zone": parsed.assumptions.get("time_zone"),
        "crs": crs_report,
    }
    unresolved = {k: v for k, v in evidence.items() if v.get("column") is None}
    if unresolved:
        assumptions["columns_not_found"] = unresolved
    if clock_report is not None:
        assumptions["time_of_day"] = clock_report
    if zone_report is not None:
        assumptions["utc_offset"] = zone_report
    if dotted is not None:
        assumptions["dotted_degrees"] = dotted
    if evidence_units is not None:
        assumptions["quantity_unit"] = evidence_units
    if pick[COMMODITY] is not None:
        assumptions["categories"] = {"column": pick[COMMODITY], **cat_report}
    if repaired:
        assumptions["mojibake_repaired"] = repaired["columns"]
    graded = _precision_columns(raw, name, accepted=accepted)
    if graded:
        assumptions["precision_columns"] = graded["columns"]
        notes += graded["notes"]
    for note in _column_notes(name, assumptions["columns"]):
        notes.append(note)
    notes += unfit_column_notes(unresolved, name)
    return frame, rejects, notes, assumptions


#: Header words of a column grading how exact a record's place or date is (ACLED
#: geo_precision/time_precision, UCDP where_prec/date_prec, GTD specificity).
_PRECISION_TOKENS = frozenset({"precision", "prec", "specificity", "accuracy"})


def _precision_columns(raw: pd.DataFrame, name: str, accepted: np.ndarray) -> dict[str, Any] | None:
    """Report columns that grade the precision of positions or dates; None if there are none.

    Such a code (ACLED geo_precision 3: the province's centroid; UCDP date_prec 3: some day
    of the month) says a position or date is approximate; the records are used at the
    position and date they give, and the summary says so with the counts of each code.
    """
    columns: dict[str, dict[str, int]] = {}
    notes: list[str] = []
    for col in raw.columns:
        if not set(name_tokens(str(col))) & _PRECISION_TOKENS:
            continue
        values = as_text(raw[col])[accepted]
        counts = values[values != ""].value_counts()
        if counts.empty:
            continue
        shown = {str(k): int(v) for k, v in counts.head(8).items()}
        columns[str(col)] = shown
        notes.append(
            f"{name}: column {col!r} grades the precision of the records (accepted, by code: "
            f"{shown}); every record is used at the position and date it gives, whatever "
            "its grade"
        )
    return {"columns": columns, "notes": notes} if columns else None


def _repair_text(raw: pd.DataFrame, name: str) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """Repair mojibake in every text column; return the table and a report (None if none).

    The same record exported once as UTF-8 and once through a cp1252 round trip
    ('CocaÃ­na', 'PolicÃ­a') was two records and two categories.
    """
    counts: dict[str, int] = {}
    example = None
    out = raw
    for col in raw.columns:
        fixed, k, ex = repair_mojibake(raw[col])
        if k:
            if out is raw:
                out = raw.copy()
            out[col] = fixed
            counts[str(col)] = k
            example = example or ex
    if not counts:
        return raw, None
    return out, {
        "columns": counts,
        "note": f"{name}: {sum(counts.values())} value(s) in column(s) {sorted(counts)!r} were "
        f"UTF-8 text decoded as cp1252 and saved again (mojibake), repaired (e.g. {example})",
    }


#: Dated records from which one shared day is worth a word: fewer may well be one operation.
_SAME_DAY_MIN = 5


#: Headers of a date's month and day columns beside a year column (GTD: imonth, iday).
_YEAR_NAMES = frozenset({"year", "iyear", "ano", "jahr", "annee", "yr", "event_year"})
_MONTH_NAMES = frozenset({"month", "imonth", "mes", "monat", "mois", "mm", "event_month"})
_DAY_NAMES = frozenset({"day", "iday", "dia", "tag", "jour", "dd", "event_day", "day_of_month"})


def _header_again_values(raw: pd.DataFrame, cols: list, units_again: np.ndarray) -> pd.Series:
    """Return the value a ``repeated_header`` reject names: the header, or its units row."""
    value = pd.Series(np.full(len(raw), ",".join(map(str, cols)), dtype=object), index=raw.index)
    if units_again.any():  # a few rows: one per file joined
        value[units_again] = raw[units_again].astype(str).agg(",".join, axis=1)
    return value


def _units_rows_again(
    raw: pd.DataFrame,
    rows: np.ndarray,
    header_again: np.ndarray,
    header_units: dict[str, str] | None,
    name: str,
) -> np.ndarray:
    """Mask of the units rows below a repeated header (ERDDAP downloads joined end to end).

    One naming the first units row's units is the header again; one naming others is
    refused: the first row's units were applied to every record (the second download's
    1500 kg, below its own 'kg', read as 1.5 kg under the first one's 'g'); so is a repeated
    header with no units row below it, below a first one with one.

    Raises
    ------
    InputError
        Naming the line whose units differ from the first units row's (or where there is
        none).
    """
    again = np.zeros(len(raw), dtype=bool)
    cols = [str(c) for c in raw.columns]
    for i in np.flatnonzero(header_again[:-1]) + 1:  # few: one per file joined
        found = units_of_fields(as_text(raw.iloc[i]).tolist(), cols)
        if not found and header_units and not header_again[i]:
            # an export of the same columns without a units row below the first one's: its
            # 1500 (kg) was read as 1.5 kg under the first one's 'g', exit 0
            raise InputError(
                f"{name}: line {int(rows[i - 1])} is the header repeated (exports joined end "
                f"to end) with no units row below it; the first one names "
                f"{dict(header_units)!r}: the records below it would be read in those units; "
                "join files of the same units, or read them as separate inputs"
            )
        if not found:
            continue
        if found != (header_units or {}):
            first = dict(header_units or {}) or "none"
            raise InputError(
                f"{name}: line {int(rows[i])} is a units row below the header repeated "
                f"(exports joined end to end) naming {found!r}; the first one names "
                f"{first!r}: join files of the same units, or read them as separate inputs"
            )
        again[i] = True
    return again


def _repeated_header(raw: pd.DataFrame) -> np.ndarray:
    """Mask of the records that are the header line again (two exports joined end to end).

    A record is one when at least two of its fields, and every field it fills, are the
    names of their columns (case and surrounding blanks aside).
    """
    n = len(raw)
    same = np.zeros(n, dtype="int64")
    filled = np.zeros(n, dtype="int64")
    for c in raw.columns:
        text = as_text(raw[c]).str.strip()
        has = (text != "").to_numpy()
        filled += has
        same += (has & (text.str.casefold() == str(c).strip().casefold()).to_numpy()).astype(
            "int64"
        )
    return (same >= 2) & (same == filled)


def _refuse_header_reordered(
    raw: pd.DataFrame, rows: np.ndarray, header_again: np.ndarray, name: str
) -> None:
    """Refuse a record naming every named column, in another order (another export's header).

    ``cat a.csv b.csv`` of exports whose columns differ in order: the second header line
    was a rejected record and the records below it were read under the first header's
    columns (``date,longitude,latitude`` below ``date,latitude,longitude``: 13.4°N 52.5°E
    placed at 52.5°N 13.4°E), exit 0.  As the tracks reader, the seizures reader refuses
    such a file naming the line.  Columns without a name (``column_5`` of a CSV's blank
    name, ``Unnamed: 4`` of a workbook's, Excel's empty columns) are left out of the set
    compared.

    Raises
    ------
    InputError
        Naming the first such line.
    """
    # a blank name is read as 'column_<n>' (read_text_table) or 'Unnamed: <n-1>' (pandas)
    named = [
        c
        for i, c in enumerate(raw.columns)
        if str(c).strip() and not str(c).startswith("Unnamed:") and str(c) != f"column_{i + 1}"
    ]
    if len(named) < 2:
        return
    names = {str(c).strip().casefold() for c in named}
    if len(names) < len(named):  # the same name twice: no order to compare
        return
    hits = np.ones(len(raw), dtype=bool)
    for c in named:  # every named column holds one of the names, the row as a whole all
        hits &= as_text(raw[c]).str.strip().str.casefold().isin(names).to_numpy()
    hits &= ~header_again
    for i in np.flatnonzero(hits):  # few: one per file joined, most files none
        cells = as_text(raw.iloc[i][named]).str.strip().str.casefold()
        if set(cells) == names:
            text = ",".join(as_text(raw.iloc[i]).tolist())
            raise InputError(
                f"{name}: line {int(rows[i])} {text[:120]!r} names the header's columns in "
                "another order (exports of other columns joined end to end): its records "
                "would be read under the first header's columns; read them as separate inputs"
            )


#: Share of a year, month or day column's values that must be years (four digits), months
#: (1-12) or days (1-31), or 0 for unknown, for it to be read as one; each record whose
#: part is none of them (a typed ``17``, ``13`` or ``32``) is then rejected, never the
#: whole column left out (or the file refused) for it.
_SPLIT_PART_MIN_SHARE = 0.9


def _split_date(
    raw: pd.DataFrame, tcol: str | None, over: dict
) -> tuple[pd.Series, str, str, np.ndarray, pd.Series] | None:
    """Join a year column with the month and day columns beside it into one date column.

    An export that keeps a date in three columns (the Global Terrorism Database's ``iyear``,
    ``imonth``, ``iday``; ``year, month, day``) would otherwise put every record on 1
    January of its year.  Only when the date column holds bare years, was not named in the
    config, and columns named as a month (1-12) and a day (1-31) hold whole numbers; a month
    or day of 0 or missing (GTD's "unknown") leaves the date at year or month precision,
    which the date reader notes.  A month or day that is none of these (``13``, ``32``, a
    typo among a column of months or days), or a year that is no four digits (``17``) in a
    column named as a year, leaves its record with no date to read: it is flagged for
    rejection, while the rest of the column is read (a column of such values beyond a
    tenth of it is no year, month or day column).  Without a date column, a column
    named as a year is the year.  Returns the joined text, its column label, a note, the
    records whose year, month or day is none and their parts as written
    (``2017/13/1``).
    """
    if over.get(TIME) is not None:
        return None
    named = [c for c in raw.columns if normalise_name(c) in _YEAR_NAMES]
    if tcol is not None and tcol not in named and len(named) == 1:
        # a date column that is blank where the year column is not (GTD's 'approxdate',
        # filled only for approximate dates, taken for the date by its values) is no date
        # of every record: read so, every exact-dated record was rejected as date_missing
        given = raw[tcol].astype("string").str.strip().fillna("") != ""
        has_year = raw[named[0]].astype("string").str.strip().fillna("") != ""
        if (has_year & ~given).any():
            tcol = None
    if tcol is None:
        if len(named) != 1:
            return None
        tcol = named[0]
    years = raw[tcol].astype("string").str.strip()
    filled = years.notna() & (years != "")
    bare = years.str.fullmatch(r"\d{4}(?:\.0+)?").fillna(False).astype(bool)
    if not filled.any():
        return None
    share = float(bare[filled].mean())
    if share < 1 and (tcol not in named or share < _SPLIT_PART_MIN_SHARE):
        # a column named as a year with a typo ('17', '2O17') among its years was no year
        # column: the whole file was refused as having no date column
        return None
    by_name = {normalise_name(c): c for c in raw.columns if c != tcol}

    def part(names: frozenset[str], top: int) -> tuple[pd.Series, pd.Series] | None:
        found = [by_name[n] for n in sorted(names) if n in by_name]
        if len(found) != 1:
            return None
        text = raw[found[0]].astype("string").str.strip()
        number = pd.to_numeric(text.str.replace(r"\.0+$", "", regex=True), errors="coerce")
        if top == 12:  # a month may be named: 'ENERO', 'Feb', 'março'
            number = number.fillna(month_numbers(text).astype("Float64"))
        given = text.notna() & (text != "")
        whole = number.notna() & (number == number.round()) & (number >= 0) & (number <= top)
        if not given.any() or whole[given].mean() < _SPLIT_PART_MIN_SHARE:
            return None
        # a part out of range ('13', '32') was read as the whole column's none: GTD's days
        # all left out for one typed 32, or its file refused for one month 13
        return number.where(whole).astype("Int64").rename(found[0]), given & ~whole

    month_part, day_part = part(_MONTH_NAMES, 12), part(_DAY_NAMES, 31)
    if month_part is None:
        return None
    month, bad = month_part
    day = day_part[0] if day_part is not None else None
    year = years.str.replace(r"\.0+$", "", regex=True)
    weekday = _weekday_column(raw, by_name, year, month, day)
    if weekday is not None:
        day = None
    elif day_part is not None:
        bad = bad | day_part[1]
    bad = (bad | ~bare) & filled
    m_ok = month.fillna(0) > 0
    d_ok = m_ok & (day.fillna(0) > 0) if day is not None else pd.Series(False, index=raw.index)
    text = year.where(~m_ok, year + "-" + month.astype("string").str.zfill(2))
    if day is not None:
        text = text.where(~d_ok, text + "-" + day.astype("string").str.zfill(2))
    text = text.where(filled, years).where(~bad)
    parts = [tcol, str(month.name), *([str(day.name)] if day is not None else [])]
    label = "/".join(parts)
    written = pd.Series("", index=raw.index, dtype="string")
    for i, col in enumerate(parts if bad.any() else []):  # a few columns, whole at once
        written = written + ("/" if i else "") + raw[col].astype("string").fillna("").str.strip()
    unknown = int((filled & ~d_ok & ~bad).sum())
    note = (
        f"dates joined from the columns {label!r} (year, month"
        + (", day" if day is not None else "")
        + ")"
        + (f"; {weekday}" if weekday else "")
        + (
            f"; {unknown} with no month or day (0 or empty) kept at year or month precision"
            if unknown and not weekday
            else f"; {unknown} kept at year or month precision"
            if unknown
            else ""
        )
        + (f"; {int(bad.sum())} whose year, month or day is none rejected" if bad.any() else "")
    )
    return (
        text.astype(object).where(text.notna(), None),
        label,
        note,
        bad.to_numpy(dtype=bool),
        written,
    )


#: Weekday names and abbreviations (English, Spanish, Portuguese, French, German).
_WEEKDAYS = (
    r"(?i)^\s*(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?"
    r"|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo"
    r"|(?:segunda|ter[cç]a|quarta|quinta|sexta)(?:-feira)?"
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag)\.?\s*$"
)
#: A day column whose values never pass 7 over this many records and two months or more
#: is taken for weekday numbers: real days of the month would all fall in the first week
#: with odds of (7/31)^8, about 1 in 150,000.
_WEEKDAY_MIN_RECORDS = 8


def _weekday_column(
    raw: pd.DataFrame,
    by_name: dict[str, str],
    year: pd.Series,
    month: pd.Series,
    day: pd.Series | None,
) -> str | None:
    """Say why a day column beside year and month columns is not the day of the month.

    A split date's ``Day`` may hold the weekday (``Monday``, or 1-7): read as the day of
    the month it put every record in the first week of its month, silently.  Returns the
    statement (the column is then not used), or None when it holds days of the month (or
    is not there).
    """
    found = [by_name[n] for n in sorted(_DAY_NAMES) if n in by_name]
    if len(found) != 1:
        return None
    col = found[0]
    text = as_text(raw[col])
    given = text != ""
    if not given.any():
        return None
    if day is None:
        names = text[given].str.contains(_WEEKDAYS, regex=True)
        if names.mean() > 0.5:
            example = str(text[given][names].iloc[0])
            return (
                f"column {col!r} holds weekday names (e.g. {example!r}), not days of the "
                "month: not used"
            )
        example = str(text[given].iloc[0])
        return f"column {col!r} holds no days of the month (e.g. {example!r}): not used"
    days = day[day.fillna(0) > 0]
    months = (year + "-" + month.astype("string"))[day.fillna(0) > 0].nunique()
    if len(days) >= _WEEKDAY_MIN_RECORDS and months >= 2 and int(days.max()) <= 7:
        return (
            f"column {col!r} never passes 7 over {len(days)} records in {months} months: "
            "weekday numbers, not days of the month: not used"
        )
    return None


def _one_day(times: pd.Series, tcol: str, name: str) -> dict[str, str] | None:
    """Return the day and a note when every dated record falls on one day, else None.

    An export's or report's own date column ('Date' = the day the list was generated) taken
    for the events' dates gives every record that day: not an error (one operation can
    make many seizures), but the run's ages and windows then rest on a single day, so the
    summary says so.
    """
    valid = times.dropna()
    if len(valid) < _SAME_DAY_MIN:
        return None
    days = valid.dt.floor("D")
    if (days != days.iloc[0]).any():
        return None
    day = days.iloc[0].date().isoformat()
    return {
        "day": day,
        "note": f"{name} column {tcol!r}: all {len(valid)} dated records fall on one day "
        f"({day}); if that is the date of the export or report rather than of each event, "
        "set columns: {time: ...} in the config to the events' date column",
    }


#: Header words marking a date column as the start, and its partner as the end, of a range.
_RANGE_START = {"start": "end", "begin": "end", "from": "to", "first": "last", "min": "max"}


def _date_ranges(
    raw: pd.DataFrame,
    tcol: str,
    times: pd.Series,
    order: str | None,
    dayfirst: bool | None,
    name: str,
    zones: dict[str, Any] | None = None,
    by_group: tuple[pd.Series, str, dict[str, str | None]] | None = None,
) -> dict[str, Any] | None:
    """Say how many records span several days when the date column starts a range.

    UCDP GED's ``date_start``/``date_end`` (and any ``*_start``/``*_end``, ``from``/``to``
    pair) give a period, not a day: an event known only to a month spans 30 days.  The
    record is placed on the start day; the summary says how many records span days and how
    many, so a reader knows the dates are ranges.  None when there is no end column or no
    record spans more than its day.  The end's local times are placed in UTC as the start's
    are (``zones``, :func:`~pipeline.ingest.zones.zone_layout`: the row's offset column, else
    the zone the end's own header names, else the start's header's): a range in UTC+5 of
    10:00 to 23:00 spans 13 hours, not a day.  ``by_group`` (the agency column, its name and
    each agency's order) reads each agency's ends in the order of its starts: a file of two
    agencies' day/month orders (:func:`~pipeline.ingest._dates.times_by_group`).
    """

    def bare(column: Any) -> list[str]:  # without a bracketed zone or unit: (UTC+5), [CET]
        return list(name_tokens(re.sub(r"[(\[{][^)\]}]*[)\]}]", " ", str(column))))

    tokens = bare(tcol)
    starts = [i for i, t in enumerate(tokens) if t in _RANGE_START]
    if len(starts) > 1:
        return None
    if starts:
        want = [list(tokens)]
        want[0][starts[0]] = _RANGE_START[tokens[starts[0]]]
    else:  # 'date' beside 'end_date' / 'date_end'
        want = [["end", *tokens], [*tokens, "end"]]
    end = next((c for c in raw.columns if c != tcol and bare(c) in want), None)
    if end is None:
        return None
    first = order == "day-first" if order in ("day-first", "month-first") else dayfirst
    try:
        if by_group is None:
            parsed_end = parse_times(raw[end], dayfirst=first, name=name, column=str(end))
        else:
            keys, group_column, orders = by_group
            grouped = times_by_group(
                raw[end], keys, name=name, column=str(end), group_column=group_column, orders=orders
            )
            if grouped is None:
                return None
            parsed_end = grouped
        if zones is not None:
            own, several = header_zone(str(end), name)
            layout = zones
            if (own or several) and zones.get("offset") is None:  # its own header's zone
                said = {"header_zone": (str(end), own) if own else None}
                layout = {**zones, **said, "header_zone_several": (str(end), several)}
                if own:
                    layout["header_zone_several"] = None
            apply_time_zone(parsed_end, layout, raw[end], name, str(end))
        ends = parsed_end.times
    except InputError:  # an end column that does not parse as one decides nothing
        return None
    both = times.notna().to_numpy() & ends.notna().to_numpy()
    days = ((ends - times).dt.total_seconds() / 86400.0).to_numpy()[both]
    wide, back = int((days >= 1).sum()), int((days < 0).sum())
    if not wide and not back:
        return None
    # the longest span is over the records that end after they start: one that ends
    # before its start spans no days (a note of 'up to -3 days' said nothing true)
    longest = round(float(days.max()), 1) if wide else 0.0
    report = {
        "end_column": str(end),
        "placed_on": "start",
        "records_spanning_days": wide,
        "longest_days": longest,
        "end_before_start": back,
    }
    note = (
        f"{name}: {tcol!r} starts a date range that {end!r} ends; {wide} of "
        f"{int(both.sum())} records with both dates span a day or more"
        + (f" (up to {longest:g} days)" if wide else "")
        + ", and each record is placed on its start day"
    )
    if back:
        note += f"; {back} record(s) end before they start"
    # an end that is written but not read as a date leaves its record out of "of N": say so
    text = as_text(raw[end])
    unread = times.notna().to_numpy() & (text != "").to_numpy() & ends.isna().to_numpy()
    if unread.any():
        report["end_unreadable"] = int(unread.sum())
        note += (
            f"; {int(unread.sum())} end date(s) could not be read as dates (e.g. "
            f"{text[unread].iloc[0]!r}), their records placed on their start day alone"
        )
    return {"report": report, "note": note}


def _pairs_share(values: pd.Series) -> float:
    """Share of the non-blank values of a pair column that split into two coordinates."""
    text = as_text(values)
    text = text[text != ""]
    if not len(text):
        return 0.0
    lat, lon, _ = split_pair(text)
    both = parse_coordinate(lat, "lat")[0].notna() & parse_coordinate(lon, "lon")[0].notna()
    return float(both.mean())


#: Header tokens naming an administrative area or its code: a record placed by area only.
_AREA_TOKENS = frozenset(
    "country countries pais paises departamento departamentos depto municipio municipios "
    "municipality municipalities mpio provincia province provinces estado state states uf "
    "county counties district districts distrito region regions lsoa msoa dane "
    "ubigeo comuna canton parroquia entidad cve commune communes land kreis gemeinde "
    "nuts iso3 iso ward".split()
)
#: Header tokens counting something (``Number of seizures``, ``numero de casos``,
#: ``incident_count``, ``Anzahl Fälle``) ...
_COUNT_WORDS = frozenset(
    "count counts number numero num nb n no nr cantidad total totals totales qtd quantidade "
    "anzahl nombre frequency frecuencia frequencia conteo".split()
)
#: ... counting events, one row then standing for several (an aggregate table).  Arrests,
#: persons or victims counted beside one seizure are not events.
_EVENT_NOUNS = frozenset(
    "seizures incautaciones decomisos aprehensiones casos cases incidents incidentes events "
    "eventos hechos delitos crimes offences offenses ocorrencias apreensoes saisies faits "
    "delits falle straftaten sicherstellungen denuncias reports".split()
)
#: One event, counted only by a plain count word (``incident_count``, ``Anzahl Fall``).
_EVENT_NOUN = frozenset(
    "seizure incautacion decomiso caso case incident incidente event evento hecho delito "
    "crime offence offense ocorrencia apreensao saisie fait delit fall straftat".split()
)
#: Count words that are also an id's suffix (``Case Number``, ``incident_no``): they count
#: only before their noun (``number of cases``), never after it.
_COUNT_BEFORE_ONLY = frozenset("number numero num nb n no nr nombre".split())
#: Words of a unit of mass: a header naming one holds a quantity, whatever else it says.
_MASS_WORDS = frozenset(w for unit in MASS_UNITS_KG for w in name_tokens(unit))
#: Headers that are a count word alone: of events or of items, the header does not say.
_BARE_COUNTS = frozenset("count counts conteo frecuencia frequency anzahl".split())


def _event_count_column(
    raw: pd.DataFrame, over: dict[str, str], *, bare: bool = False
) -> tuple[str, list[str]] | None:
    """Return a column counting events per row (an aggregate table) and example values.

    A header naming a count of events (``NUMERO DE CASOS``, ``cantidad de incautaciones``,
    ``incident_count``, ``Casos``) over whole numbers, some above 1, says each row stands for
    several events; a column named in ``columns:`` is the user's and never counts.  With
    ``bare``, a header that is a count word alone (``count``, ``Frequency``) counts too: it
    may count events, or items of one seizure, so it is only said, not refused.
    """
    mine = set(over.values())
    for col in raw.columns:
        col = str(col)
        if col in mine:
            continue
        toks = name_tokens(col)
        if set(toks) & _MASS_WORDS:  # 'Total seizures (kg)': a mass, not a count
            continue
        nouns = [i for i, t in enumerate(toks) if t in _EVENT_NOUNS] or [
            i  # 'incident_count', never 'incident_no' nor 'total seizure' (a mass)
            for i, t in enumerate(toks)
            if t in _EVENT_NOUN and set(toks) & _BARE_COUNTS
        ]
        if not nouns and (len(toks) != 1 or toks[0] not in _BARE_COUNTS or not bare):
            continue
        counts = [i for i, t in enumerate(toks) if t in _COUNT_WORDS]
        alone = len(toks) == 1  # 'Casos', 'Incidents': a column of counts by its name
        before = any(toks[i] not in _COUNT_BEFORE_ONLY or i < j for i in counts for j in nouns)
        if not (alone or before):
            continue
        text = as_text(raw[col]).str.strip()
        text = text[text != ""]
        if not len(text):
            continue
        whole = text.str.fullmatch(r"\d{1,9}")
        if whole.mean() < 0.95:
            continue
        values = text[whole].astype("int64")
        if (values > 1).any():
            return col, text[values > 1].head(3).tolist()
    return None


def _refuse_event_counts(raw: pd.DataFrame, over: dict[str, str], name: str) -> None:
    """Refuse a table of event counts per row (per place and period), never under-counted."""
    found = _event_count_column(raw, over)
    if found is None:
        return
    col, examples = found
    raise InputError(
        f"{name}: column {col!r} counts events per row (values such as "
        f"{', '.join(examples)}): this is a table of totals (by place and period), not one "
        "record per event, and reading it would count each row as one event; give one row "
        f"per event, or name {col!r} in columns: (e.g. note: {col!r}) if it counts something "
        "else"
    )


def _refuse_gridded_hours(raw: pd.DataFrame, pick: dict, evidence: dict, name: str) -> None:
    """Refuse a grid of hours spent per cell (a fishing effort table) given as seizure records.

    Global Fishing Watch's fishing effort and presence tables (the map's ``Lat``, ``Lon``,
    ``Time Range``, ``Apparent Fishing Hours``; ``cell_ll_lat``, ``fishing_hours``) were
    read as one event per cell, at its corner, on the first of the month: a map of where
    boats fish, each cell weighing one seizure, whatever its hours.  A bare ``hours`` column
    counts only when it holds numbers, and not the clock (an incident list's ``Hours`` of
    ``14:30``, ``0300`` or ``3``: the record's day is read, its clock left).
    """
    found = gridded_hours(raw, pick, evidence)
    if found is None:
        return
    cell, hours = found
    hours = [
        c
        for c in hours
        if set(name_tokens(c)) != {"hours"}
        or (
            number_fit(raw[c]) >= 0.9
            and not as_text(raw[c]).str.contains(":").any()
            and not _clock_digits(raw[c])
        )
    ]
    if not cell and not hours:
        return
    what = [f"{'/'.join(repr(c) for c in cell)} name grid cells (their corners)"] if cell else []
    what += [f"{hours[0]!r} sums the hours spent in a cell"] if hours else []
    raise InputError(
        f"{name}: a gridded product, not seizure records: {' and '.join(what)} (as Global "
        "Fishing Watch's fishing effort and vessel presence tables); read as seizures each "
        "cell would be one event at its corner, whatever its hours. Rasterise the hours "
        "(gdal_rasterize) and add them as a raster input (inputs.rasters); set columns: "
        "{lat: ..., lon: ...} only if each row is an event after all"
    )


def _clock_digits(values: pd.Series) -> bool:
    """Whether every value written is an hour of the day (``3``, ``23``) or ``HHMM`` (``0300``).

    An incident list's bare ``Hours`` holds the clock as a ship's log writes it ("0300 hrs");
    hours summed in a grid cell have decimals (``1.5``, ``0.2``).
    """
    text = as_text(values)
    text = text[text.ne("")]
    return bool(len(text)) and bool(text.str.fullmatch(r"(?:[01]?\d|2[0-3])(?:[0-5]\d)?").all())


def _refuse_vessel_positions(raw: pd.DataFrame, over: dict[str, str], name: str) -> None:
    """Refuse a track of vessel positions (AIS pings) or a ports list given as seizure records.

    Each ping would be a seizure: an AIS sample of a harbour made thousands of events on one
    day, and a map of where ships sail.  Each port of a list that dates its entries (an
    OpenStreetMap ``check_date``, a UN/LOCODE revision date) would be a seizure on that
    date.  A file whose columns are named in ``columns:`` is taken as told, and so is one
    with a column that names what was seized (an interdiction's vessel, its speed and its
    ``drug``); an event, a quantity or a mass alone is no such column
    (:func:`._columns.seized_what_columns`): a tracker's ``event``, a ship's ``Weight``.
    """
    if over or seized_what_columns(raw):
        return
    why = vessel_positions(raw, name)
    if why is not None:
        raise InputError(
            f"{name}: vessel positions, not seizure records: {why}; each position would be "
            "read as a seizure. Give this file under inputs.tracks, or name its columns in "
            "columns: (e.g. time: ...) if these are seizures after all"
        )
    why = port_list(raw, name)
    if why is not None:
        raise InputError(
            f"{name}: a list of ports, not seizure records: {why}, and no column names an "
            "event or what was seized; each port would be read as a seizure on the date of "
            "its entry. Give this file under inputs.ports, or name its columns in columns: "
            "(e.g. time: ...) if these are seizures after all"
        )


def _no_position_advice(raw: pd.DataFrame, cols: list[str]) -> str:
    """Say how to give a file without coordinate columns its positions (the refusal's end).

    A column of coordinate pairs under a header no role names (Socrata's ``Location``,
    ``(41.88, -87.62)``) is named with its ``columns: {coords: ...}``; a file placing its
    records by area alone (``MUNICIPIO``, ``CODIGO DANE``, ``Country``) is said to have no
    position, instead of asking for latitude/longitude columns it does not have.
    """
    for col in cols:
        text = as_text(raw[col]).str.strip()
        text = text[text != ""].head(200)
        # '12,5' and '1.250,75' are one number with a decimal comma, not a pair
        if len(text) and not text.str.fullmatch(r"[+-]?[\d.,]+").any():
            if _pairs_share(text) >= 0.9:
                return (
                    f"; column {col!r} holds coordinate pairs such as {text.iloc[0]!r}: set "
                    f"columns: {{coords: {col!r}}} in the config to read them (latitude first "
                    "unless each pair says otherwise)"
                )
    areas = [c for c in cols if set(name_tokens(c)) & _AREA_TOKENS]
    if areas:
        return (
            f"; its records are placed only by area ({', '.join(map(repr, areas))}), with no "
            "position of their own: route-risk does not put an area's records on a guessed "
            "point. Give each record its latitude/longitude (or join each area's point "
            "yourself, knowingly) and set columns: {lat: ..., lon: ...} in the config"
        )
    return (
        "; expected latitude and longitude columns (e.g. 'lat'/'lon', 'Latitude "
        "(WGS84)', 'y_coord'/'x_coord') or one 'coordinates' column, or set "
        "columns: {lat: ..., lon: ...} in the config"
    )


def _qualified(column: str) -> bool:
    """Whether a header names a secondary place or time (``port``, ``destination``, ...)."""
    return bool(set(name_tokens(column)) & QUALIFIERS)


def _unit_key(values: pd.Series) -> pd.Series:
    """Fold unit spellings: trimmed, lower-case, dots and brackets dropped, one space.

    Each run of whitespace (a no-break space from a spreadsheet or a web page too) becomes
    one space: 'metric\u00a0tons' is 'metric tons'.
    """
    folded = as_text(values).str.lower().str.replace(r"[.()\[\]]", "", regex=True)
    return folded.str.replace(r"\s+", " ", regex=True).str.strip()


def _unit_conflicts(own: pd.Series, given: pd.Series, has_own: np.ndarray) -> dict[str, Any]:
    """Count the quantities whose own unit ('300 g') says another thing than the unit column.

    Spellings of one unit of mass (``g``, ``grams``) agree; anything else that differs is a
    conflict.
    """
    a, b = _unit_key(own), _unit_key(given)
    fa, fb = a.map(MASS_UNITS_KG), b.map(MASS_UNITS_KG)
    same = (a == b) | (fa.notna() & (fa == fb))
    clash = has_own & (b != "").to_numpy() & ~same.to_numpy()
    if not clash.any():
        return {}
    pairs = (own[clash].str.strip() + " vs " + given[clash]).head(3).tolist()
    return {"count": int(clash.sum()), "examples": pairs}


#: How near the equator (Greenwich) another record must lie for a latitude (longitude) of
#: exactly 0 to be a place, degrees.
_ZERO_NEIGHBOUR_DEG = 1.0
#: Records off the line needed to judge (two records prove nothing about where a file lies).
_ZERO_MIN_OTHERS = 5


def lone_zero_coordinates(lat: np.ndarray, lon: np.ndarray, ok: np.ndarray) -> tuple:
    """Return where a latitude, and where a longitude, of exactly 0 is a missing value.

    A table of seizures at 10-40 N with one latitude written ``0`` (an empty cell filled
    with zero) put that record on the equator, far from any other, and inside an area drawn
    from latitude 0.  Where another record of the file lies within
    :data:`_ZERO_NEIGHBOUR_DEG` of the line (Gulf of Guinea attacks, both sides of the
    equator and of Greenwich), or where fewer than :data:`_ZERO_MIN_OTHERS` records lie
    off the line, a 0 is a place.  (0, 0) is ``null_island``'s.
    """
    valid = ok & (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & ((lat != 0) | (lon != 0))
    out = []
    for own, other in ((lat, lon), (lon, lat)):
        zero = valid & (own == 0) & (other != 0)
        rest = valid & (own != 0)
        if not zero.any() or rest.sum() < _ZERO_MIN_OTHERS:
            out.append(np.zeros(len(own), dtype=bool))
            continue
        near = bool((np.abs(own[rest]) <= _ZERO_NEIGHBOUR_DEG).any())
        out.append(zero & ~near)
    return out[0], out[1]


#: Days an export writes for an empty date: Excel's day 0 (1899-12-30) and 1 (1900-01-01),
#: Lotus's 0 (1899-12-31), Excel for Mac's (1904-01-01), SQL Server's ``datetime`` minimum
#: (1753-01-01) and the Unix epoch (1970-01-01), each at midnight.
_NULL_DAYS = np.array(
    ["1899-12-30", "1899-12-31", "1900-01-01", "1904-01-01", "1753-01-01", "1970-01-01"],
    dtype="datetime64[ns]",
)
#: The Unix epoch, an instant: a clock's zero written in a local zone (1970-01-01 03:00 at
#: UTC+3) is it too.
_EPOCH = np.datetime64("1970-01-01", "ns")
#: How far a null day must precede a file's other records to be taken for an empty date
#: (the Global Terrorism Database's 1970-01-01 sits among its 1970 records: a day).
_NULL_DAY_LEAD = np.timedelta64(365, "D")


def placeholder_dates(times: pd.Series, written: pd.Series | None = None) -> np.ndarray:
    """Return where a time is midnight of a null day far before the file's other records.

    A seizure dated 1899-12-30 or 1970-01-01 among records of 2015-2024 is an empty date
    written by a spreadsheet or a database, as (0, 0) is an empty position: kept, it is a
    record a century old that the decay weighs near zero, but that the emerging hot-spot
    cube and the timeline count from its month on.  A null day within a year of the file's
    other records, or with a clock, is a day like another.  ``written``: the times as
    written, before an offset column or a header's zone placed them in UTC; a null day is
    midnight there (Excel's day 0 beside ``utc_offset +03:00`` was 1899-12-29 21:00 UTC,
    kept as a record; a local 02:00 of 1900-01-01 at UTC+2 was taken for one), the epoch
    also at midnight UTC.
    """
    ns = times.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    wall = ns if written is None else written.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    null = np.isin(wall, _NULL_DAYS) | (ns == _EPOCH)
    if not null.any():
        return null
    others = ns[~null & ~np.isnat(ns)]
    if not others.size:
        return null
    return null & (ns < others.min() - _NULL_DAY_LEAD)


def _mass_words(text: str) -> list[str]:
    """Return the units of mass a header (or a unit) names: ``kg``, ``metric tons``."""
    words = name_tokens(text)
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words) if f"{a} {b}" in MASS_UNITS_KG]
    inside = {w for pair in pairs for w in pair.split()}
    return pairs + [t for t in words if t in MASS_UNITS_KG and t not in inside]


def _refuse_unit_clash(qcol: str, row_unit: str, name: str) -> None:
    """Refuse a quantity whose header and units row name different masses (``weight_kg``, ``g``).

    Read together they named two units, so none: the quantities were kept as reported
    (the header's kg, or the row's g?) and the report said no unit was stated.
    """
    head, row = _mass_words(qcol), _mass_words(row_unit)
    if head and row and {MASS_UNITS_KG[u] for u in head} != {MASS_UNITS_KG[u] for u in row}:
        raise InputError(
            f"{name}: quantity column {qcol!r} names the unit {head[0]!r} and the units row "
            f"below the header {row_unit!r}: which holds is not known; correct the one that is "
            "wrong in the file"
        )


def _refuse_mass_per(qcol: str, header_units: dict[str, str] | None, name: str) -> None:
    """Refuse a quantity whose stated unit is a mass per something (``mg/l``, ``kg m-2``).

    A concentration, density or rate is no amount; a units row (or a ``.csvp`` header)
    naming one over the quantity was converted as its mass (``mg/l`` read as milligrams).
    Two masses (``lb/kg``) name no unit and convert nothing (:func:`_quantity_units`).
    """
    said = stated_unit(qcol, header_units)
    if said is None:
        return
    unit, where = said
    masses = {w for m in _mass_words(unit) for w in m.split()}
    others = [t for t in name_tokens(unit) if t not in masses and not t.isdigit()]
    if masses and others:
        raise InputError(
            f"{name}: quantity column {qcol!r} is in {unit!r} ({where}): a mass per "
            "something (a concentration, density or rate), not an amount seized; give the "
            "amounts in a unit of mass"
        )


def _quantity_units(
    units: pd.Series | None,
    qcol: str,
    ucol: str | None,
    counted: np.ndarray | None = None,
    row_unit: str | None = None,
) -> tuple[np.ndarray | float, dict[str, Any]]:
    """Return the factor to kg of each quantity and the report of what was decided.

    A unit column converts every quantity in a unit of mass to kg (a file mixing 300 g and
    5 kg no longer adds them up as 305); a quantity in another unit (persons, tablets,
    litres) or without a unit is kept as reported and counted in the report, except that a
    blank unit in a file of one unit of mass takes that unit.  Without a unit column (or an
    empty one), a unit in the quantity's header (``Qty (kg)``, ``weight_t``) converts the
    whole column; with neither, quantities stay as reported.  ``counted`` marks quantities
    whose own unit, written with the number, counts things (:data:`COUNT_UNITS`: ``300
    tablets``): no unit of mass in the header makes them grams.  ``row_unit``, the
    quantity's unit in a units row below the header (ERDDAP's ``kg``), is read as though the
    header said it in brackets.
    """
    key = _unit_key(units) if units is not None else None
    # a unit of one word ('Qty (kg)') or of two ('Quantity (metric tons)', 'Weight_short_tons':
    # 'tons' alone names none); a two-word unit's words are not counted again alone
    toks = _mass_words(qcol)
    if row_unit and not toks:  # where both name one, it is the same (_refuse_unit_clash)
        toks = _mass_words(f"{qcol} ({row_unit})")
    header_unit = toks[0] if len(toks) == 1 else None
    if key is None or not (key != "").any():
        if header_unit is not None:
            unit = header_unit
            return MASS_UNITS_KG[unit], {
                "column": qcol,
                "unit": "kg",
                "by": f"header {qcol!r} names the unit {unit!r}",
                "notes": []
                if MASS_UNITS_KG[unit] == 1.0
                else [f"quantities of {qcol!r} converted from {unit!r} (its header) to kg"],
            }
        if row_unit:  # stated, and no mass: said so, not 'no unit stated'
            return 1.0, {
                "column": qcol,
                "unit": "as reported",
                "by": f"the units row names {row_unit!r}, no unit of mass",
                "notes": [f"quantities of {qcol!r} kept as reported in {row_unit!r} (units row)"],
            }
        return 1.0, {"column": qcol, "unit": "as reported", "by": "no unit stated", "notes": []}
    given = (key != "").to_numpy()
    factor = key.map(MASS_UNITS_KG).to_numpy(dtype="float64", copy=True)
    counts = key[given].value_counts()
    if header_unit is None and (
        len(counts) == 1 or (np.isfinite(factor[given]).all() and np.ptp(factor[given]) == 0)
    ):
        # blanks take the file's one unit, however spelled ('lb' and 'lbs'); where the
        # header names a unit, they take the header's (below), not another record's
        factor[~given] = factor[given][0]
    notes = []
    if header_unit is not None:
        # the header names a unit: it holds where the column names none (blank, or not a
        # unit at all: a 'Unit' column of agency names); where both name a mass and differ,
        # the record's own unit is used and the disagreement said
        head = MASS_UNITS_KG[header_unit]
        clash = given & ~np.isnan(factor) & (factor != head)
        if clash.any():
            notes.append(
                f"{int(clash.sum())} quantit(ies) of {qcol!r}: the unit in column {ucol!r} "
                f"differs from the header's {header_unit!r}; the column's unit is used"
            )
        own_count = np.zeros(len(factor), dtype=bool) if counted is None else counted
        taken = np.isnan(factor) & ~own_count
        if taken.any():
            factor[taken] = head
            notes.append(
                f"{int(taken.sum())} quantit(ies) whose unit in column {ucol!r} is blank or "
                f"not a mass take the header's unit {header_unit!r}"
            )
        if (own_count & np.isnan(factor)).any():
            notes.append(
                f"{int((own_count & np.isnan(factor)).sum())} quantit(ies) of {qcol!r} count "
                f"things by the unit written with the number (such as "
                f"{key[own_count].iloc[0]!r}), not the header's {header_unit!r}: kept as reported"
            )
    kept = np.isnan(factor)
    other = {str(k): int(v) for k, v in counts.items() if k not in MASS_UNITS_KG}
    if header_unit is not None:  # what is kept: counted things only, by their own unit
        other = {str(k): int(v) for k, v in key[kept & given].value_counts().items()}
    blank = int((~given & kept).sum())
    moved = {str(k): int(v) for k, v in counts.items() if MASS_UNITS_KG.get(k, 1.0) != 1.0}
    if moved:
        notes.append(
            f"quantities converted to kg by their unit in column {ucol!r}: "
            + ", ".join(f"{k} ({v})" for k, v in moved.items())
        )
    kept_as = {**other, **({"(blank)": blank} if blank else {})}
    if kept_as:
        notes.append(
            f"quantities whose unit in column {ucol!r} is not a mass, or is blank, are kept as "
            "reported: " + ", ".join(f"{k} ({v})" for k, v in list(kept_as.items())[:6])
        )
    report = {
        "column": qcol,
        "unit_column": ucol,
        "unit": "kg where the unit is a mass, else as reported",
        "by": f"unit column {ucol!r}"
        + ("" if header_unit is None else f", else the header's unit {header_unit!r}"),
        "converted_to_kg": {str(k): int(v) for k, v in counts.items() if k in MASS_UNITS_KG},
        "kept_as_reported": kept_as,
        "notes": notes,
    }
    return np.where(kept, 1.0, factor), report


def _grid_taken(pick: dict[str, str | None]) -> set[str]:
    """Return the columns a grid reference column is not looked for in: those picked.

    A free-text column (``remarks``, ``notes``, ``comment``: the ``note`` role, picked by its
    header alone) is looked in: one whose values are mostly grid references
    (:func:`~pipeline.ingest._mgrs.find_mgrs_column` asks 80 % valid ones) holds the
    records' positions, not prose, and is found by its values.
    """
    return {c for r, c in pick.items() if c is not None and r != "note"}


def _grid_reference_column(
    raw: pd.DataFrame,
    pick: dict[str, str | None],
    evidence: dict[str, Any],
    over: dict[str, str],
    lat_col: str | None,
    lon_col: str | None,
    name: str,
) -> tuple[dict[str, Any] | None, str | None]:
    """Return (evidence of a grid reference column to read, one to compare with lat/lon).

    A ``coords`` column (named so, or in the config) whose values are mostly MGRS
    references is read as such; without latitude/longitude or ``coords`` columns, a column
    found by :func:`~pipeline.ingest._mgrs.find_mgrs_column` is, and so it is beside
    latitude/longitude columns that hold no value.  Beside latitude and longitude, which
    win, such a column is returned second, to be compared.
    """
    have_pair = bool(lat_col and lon_col)
    coords = pick.get("coords")
    if coords is not None and (over.get("coords") or not have_pair):
        share = mgrs_share(raw[coords])
        if share >= 0.8:
            by = "config" if over.get("coords") else evidence["coords"].get("by", "name")
            return {
                "column": coords,
                "by": by,
                "format": "MGRS",
                "evidence": f"{share:.0%} of sampled values are MGRS/USNG grid references",
            }, None
        return None, None
    if over.get(LAT) or over.get(LON) or over.get("coords"):
        return None, None
    blank = (
        have_pair
        and missing_mask(raw[str(lat_col)]).all()
        and missing_mask(raw[str(lon_col)]).all()
    )
    try:
        found = find_mgrs_column(raw, _grid_taken(pick), name)
    except InputError:  # two columns of references: which one is a guess, unless unread
        if have_pair and not blank:
            return None, None
        raise
    if found is None:
        return None, None
    if not have_pair:
        return found, None
    if blank:
        found["evidence"] += f"; {lat_col!r}/{lon_col!r} hold no value"
        return found, None
    return None, found["column"]


def _fill_from_grid(
    fill: tuple[Any, ...],
    lon: np.ndarray,
    lat: np.ndarray,
    lat_raw: pd.Series,
    lon_raw: pd.Series,
    refs: pd.Series,
    pair_col: str,
    name: str,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, pd.Series, pd.Series]:
    """Place the lines of an incomplete latitude/longitude pair at their grid reference.

    ``fill`` is :func:`~pipeline.ingest._mgrs.read_mgrs_column` of the references of those
    lines alone (the others blanked); their raw values become the reference as written, so
    that a later reject shows what was read.  Says how many were placed.
    """
    glon, glat, _, _, grid_notes, _ = fill
    got = ~np.isnan(glat)
    text = as_text(refs)
    notes.append(
        f"{name}: {int(got.sum())} position(s) read from the grid references in "
        f"{str(refs.name)!r} where {pair_col!r} has a blank latitude or longitude (complete "
        "pairs were read as written)"
    )
    notes += grid_notes
    return (
        np.where(got, glon, lon),
        np.where(got, glat, lat),
        lat_raw.astype(object).where(~got, text),
        lon_raw.astype(object).where(~got, text),
    )


def _grid_beside_note(
    raw: pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    column: str,
    rows: np.ndarray,
    name: str,
    read: str = "latitude/longitude",
    at: str = "line",
) -> list[str]:
    """Say how many positions lie outside the square of the grid reference beside them."""
    far, km = mgrs_disagreements(lon, lat, raw[column])
    if np.isnan(km).all():  # no line has both a position and a reference: none compared
        return []
    if not far.any():
        return [
            f"{name}: grid references in {column!r} not read: {read} were, and each lies "
            "within its reference's square"
        ]
    first = int(np.flatnonzero(far)[0])
    return [
        f"{name}: {int(far.sum())} position(s) lie outside the square of the grid reference "
        f"in {column!r} beside them ({read} were read; the first at {at} "
        f"{int(rows[first])}: {str(raw[column].iloc[first])!r}, {km[first]:,.1f} km away)"
    ]


def _column_notes(name: str, columns: dict[str, dict[str, Any]]) -> list[str]:
    """One note per column recognised by content, or whose pick says more (its ``note``)."""
    return [
        f"{name}: {role} taken from column {e['column']!r} by its values ({e['evidence']})"
        for role, e in columns.items()
        if e.get("by") == "content"
    ] + [f"{name}: {e['note']}" for e in columns.values() if e.get("note")]


def _refuse_projected_layer(lon: np.ndarray, lat: np.ndarray, name: str) -> None:
    """Refuse a layer without a CRS whose points are mostly metres, not degrees.

    A Shapefile sent without its ``.prj`` (or a GeoPackage of an undefined SRS) in UTM
    had every record rejected as ``lat_out_of_range``, the run stopped by the reject
    ceiling naming that rule, not the missing CRS; a CSV of the same metres is refused
    naming ``crs:``.
    """
    given = np.isfinite(lon) & np.isfinite(lat)
    with np.errstate(invalid="ignore"):
        beyond = given & ((np.abs(lon) > 1000) | (np.abs(lat) > 1000))
    if not given.any() or beyond.sum() <= 0.5 * given.sum():
        return
    i = int(np.flatnonzero(beyond)[0])
    raise InputError(
        f"{name}: the layer declares no CRS (a Shapefile without its .prj?) and "
        f"{int(beyond.sum())} of {int(given.sum())} points lie beyond any degree value "
        f"(x {lon[i]:.6g}, y {lat[i]:.6g}): projected coordinates (metres or feet), not "
        "degrees; set crs: to their CRS in the config (e.g. 'EPSG:32620' for UTM zone 20N), "
        "or save the layer with its CRS (the .prj beside the .shp)"
    )


def _crs_report(crs, crs_by: str, ok, lat, lon, looks_projected: bool) -> dict[str, Any]:
    """Return the CRS the coordinates were read in, and why."""
    if crs is not None:
        from pyproj import CRS

        c = CRS.from_user_input(crs)
        auth = c.to_authority()
        value = ":".join(auth) if auth else (c.name or str(crs))
        why = {
            "file": "declared by the file",
            "config": "crs set in the config",
        }.get(crs_by, crs_by)
        return {"value": value, "by": crs_by, "evidence": why}
    n_ok = int(ok.sum())
    inside = int((ok & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)).sum())
    return {
        "value": "EPSG:4326",
        "by": "default",
        "evidence": f"no CRS declared or configured; {inside} of {n_ok} positions lie within "
        "degree ranges" + ("; most look projected: set crs" if looks_projected else ""),
    }


def _exact_duplicates(raw: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return (True for each record equal in every field to an earlier one, index of the first).

    Hash first, then confirm on the candidates only.
    """
    h = pd.Series(pd.util.hash_pandas_object(raw, index=False).to_numpy())
    cand = h.duplicated(keep=False).to_numpy()
    out = np.zeros(len(raw), dtype=bool)
    first = np.arange(len(raw))
    if cand.any():
        idx = np.flatnonzero(cand)
        sub = raw.iloc[idx].reset_index(drop=True)
        out[idx] = sub.duplicated(keep="first").to_numpy()
        keys = pd.Series(np.arange(len(sub))).groupby(
            [sub[c].astype("str") for c in sub.columns], sort=False, dropna=False
        )
        first[idx] = idx[keys.transform("min").to_numpy()]
    return out, first


def _in_degrees(crs) -> bool:
    """Whether geometries in ``crs`` (None: EPSG:4326) are lon/lat degrees."""
    if crs is None:
        return True
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return bool(CRS.from_user_input(crs).is_geographic)
    except CRSError:
        return False  # refused by reproject_xy, naming the CRS


def _points_from_geometry(
    geoms: np.ndarray,
    to_points: bool,
    name: str,
    *,
    lonlat: bool = True,
    notes: list[str] | None = None,
    written: tuple[pd.Series, np.ndarray] | None = None,
):
    """Return (x, y, rules) of a layer's points; ``written``: GeoJSON geometries as written.

    A feature whose geometry GDAL could not read (``written`` holds text for it) is
    ``geometry_unparseable`` with that text, never ``geometry_missing`` without a value.
    """
    n = len(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    # A MultiPoint of one point is that point: layers a GIS keeps as MultiPoint (shapefiles,
    # ArcGIS exports) hold one position per record; rejected as not a point, each was lost.
    one = (types == 4) & ~missing & (shapely.get_num_geometries(geoms) == 1)
    if one.any():
        geoms = geoms.copy()
        geoms[one] = shapely.get_geometry(geoms[one], 0)
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        types = shapely.get_type_id(geoms)
    is_point = types == 0
    valid = np.ones(n, dtype=bool)
    present = ~missing
    valid[present] = shapely.is_valid(geoms[present])
    pts = geoms.copy()
    not_point = present & ~is_point
    if to_points and not_point.any():
        ok = not_point & valid
        shapes = geoms.copy()
        if lonlat:
            # a zone across 180° drawn without the cut RFC 7946 asks for (179.5°E to 179.5°W)
            # spans the globe as written: its point fell near Greenwich, 180° away from it
            b = shapely.bounds(geoms[ok])
            wide = np.flatnonzero(ok)[(b[:, 2] - b[:, 0]) > 180]
            if wide.size:
                from ..grid import unwrap_antimeridian_steps

                short = unwrap_antimeridian_steps(geoms[wide])
                moved = np.flatnonzero(short != geoms[wide])
                shapes[wide] = short
                if moved.size and notes is not None:
                    notes.append(
                        f"{name}: {moved.size} polygon(s)/line(s) step across 180° without "
                        "being cut there (RFC 7946 3.1.9): read the short way across it, as "
                        "their edges of under 180° say, not round the globe"
                    )
        pts[ok] = shapely.point_on_surface(shapes[ok])
        if lonlat:
            with np.errstate(invalid="ignore"):
                px = shapely.get_x(pts[ok])
            pts[ok] = shapely.points(np.mod(px + 180.0, 360.0) - 180.0, shapely.get_y(pts[ok]))
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    use = present & (is_point | (to_points & valid))
    x[use] = shapely.get_x(pts[use])
    y[use] = shapely.get_y(pts[use])
    finite = np.isfinite(x) & np.isfinite(y)
    wkt = pd.Series(shapely.to_wkt(geoms, rounding_precision=8)).fillna("")
    type_names = (
        pd.Series(shapely.get_type_id(geoms))
        .map(
            {
                1: "LineString",
                2: "LinearRing",
                3: "Polygon",
                4: "MultiPoint",
                5: "MultiLineString",
                6: "MultiPolygon",
                7: "GeometryCollection",
            }
        )
        .fillna("geometry")
    )
    rules = []
    if written is not None:
        text, quoted = written
        unread = shapely.is_missing(geoms) & (text != "").to_numpy()
        text = text.set_axis(wkt.index)
        rules += [
            Rule(
                "geometry_unparseable",
                unread & quoted,
                "geometry",
                "coordinates {value} are text, not numbers: RFC 7946 positions are numbers, "
                "and GDAL, QGIS and geopandas read no geometry from text, nor does ingest; "
                "write them without quotes",
                text.str.slice(0, 120),
            ),
            Rule(
                "geometry_unparseable",
                unread & ~quoted,
                "geometry",
                "geometry {value} is not a GeoJSON geometry GDAL can read (RFC 7946)",
                text.str.slice(0, 120),
            ),
        ]
    rules += [
        Rule("geometry_missing", missing, "geometry", "feature has no geometry", wkt),
        Rule(
            "geometry_invalid",
            present & (~valid | (is_point & ~finite)),
            "geometry",
            "geometry {value} is invalid (self-intersecting ring or non-finite coordinates)",
            wkt.str.slice(0, 120),
        ),
        Rule(
            "geometry_not_point",
            not_point & ~to_points,
            "geometry",
            "geometry is a {value}, expected a Point; set polygons_to_points: true to use a "
            "representative point",
            type_names,
        ),
    ]
    return x, y, rules


def sort_seizures(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the seizures in one order of their values, whatever order they were read in.

    The run's seizures table is sorted by time, position, commodity, quantity, agency, note
    and the commodity as written, then by the file and line each record was read from (which
    differ only between records that agree on all the rest).  What draws records by their
    position (the bootstrap of the risk interval, the cross-validated bandwidth's subsample)
    and what lists them (``seizures.parquet``, the map's points) then gives the same result
    for the same records in shuffled rows, split files or files listed in another order.

    Parameters
    ----------
    frame : pandas.DataFrame
        Seizures in the table contract (:mod:`pipeline.schema`), in any order.

    Returns
    -------
    pandas.DataFrame
        The same rows sorted, with a fresh ``RangeIndex``.
    """
    order = [*REPEAT_KEY, COMMODITY_ORIGINAL, SOURCE_FILE, SOURCE_ROW]
    by = [c for c in order if c in frame.columns]
    if len(frame) < 2 or not by:
        return frame.reset_index(drop=True)
    return frame.sort_values(by, kind="stable", na_position="last", ignore_index=True)


def reject_repeated_records(
    result: IngestResult, earlier: Sequence[pd.DataFrame], names: Sequence[str] | None = None
) -> IngestResult:
    """Move the records an earlier input file already gave to the rejects.

    Two exports that overlap (January-June and April-December of one database) give some
    records twice; counted twice, they would double the risk where they lie.  A record equal
    in every contract column (time, position, commodity, quantity, agency, note) to an
    accepted record of an earlier file is rejected as ``duplicate_across_files``, its value
    the file and line of that record.  Records repeated within one file are the reader's
    (``duplicate``: every raw field equal); within a file, equal normalised values from
    different text are kept.

    Parameters
    ----------
    result : IngestResult
        One seizures file as read (``frame`` with ``source_file`` and ``source_row``).
    earlier : sequence of pandas.DataFrame
        The accepted records of the files before it, in config order.
    names : sequence of str, optional
        The name each of ``earlier``'s files has in the rejects' values, one no other input
        of the run shares (:func:`~pipeline.ingest.tracks.distinct_names`: two exports'
        ``2024/seizures.csv`` and ``2025/seizures.csv``).  Default: their ``source_file``.

    Returns
    -------
    IngestResult
        ``result`` with the repeated records moved to ``rejects`` (``n_read`` unchanged).
    """
    frame = result.frame
    span = time_span(frame, TIME)
    # a repeat has the record's time: a file whose times do not meet this one's is not read
    # (a feed of monthly exports is checked month by month, not against its whole history)
    labels: Sequence[str | None] = [None] * len(earlier) if names is None else names
    before = [
        (f, name)
        for f, name in zip(earlier, labels, strict=True)
        if len(f) and spans_meet(span, time_span(f, TIME))
    ]
    if frame.empty or not before:
        return result
    cols = [*REPEAT_KEY, SOURCE_FILE, SOURCE_ROW]
    seen = pd.concat(
        [f[cols] if name is None else f[cols].assign(**{SOURCE_FILE: name}) for f, name in before],
        ignore_index=True,
    )
    both = pd.concat([seen[list(REPEAT_KEY)], frame[list(REPEAT_KEY)]], ignore_index=True)
    group = both.groupby(list(REPEAT_KEY), dropna=False, sort=False).ngroup().to_numpy()
    old, new = group[: len(seen)], group[len(seen) :]
    repeated = np.isin(new, old)
    if not repeated.any():
        return result
    # the first earlier record of each group: its file and line are the reject's value
    first = pd.Series(np.arange(len(seen)), index=old).groupby(level=0).min()
    where = first.reindex(new[repeated]).to_numpy()
    value = (
        seen[SOURCE_FILE].to_numpy(dtype=object)[where].astype(str)
        + " line "
        + seen[SOURCE_ROW].to_numpy()[where].astype(str)
    )
    extra = pd.DataFrame(
        {
            "source_file": Path(result.source).name,
            "row": frame[SOURCE_ROW].to_numpy()[repeated],
            "column": "*",
            "value": value,
            "rule": "duplicate_across_files",
            "message": "the same time, position, commodity, quantity, agency and note as a "
            "record of an earlier input file, whose file and line are the value",
        }
    )
    by_rule = dict(result.by_rule)
    by_rule["duplicate_across_files"] = by_rule.get("duplicate_across_files", 0) + int(
        repeated.sum()
    )
    notes = [
        *result.notes,
        f"{Path(result.source).name}: {int(repeated.sum())} record(s) repeat records of an "
        "earlier input file and were not counted twice (rule duplicate_across_files)",
    ]
    return dataclasses.replace(
        result,
        frame=frame[~repeated].reset_index(drop=True),
        rejects=pd.concat([result.rejects, extra], ignore_index=True),
        by_rule=dict(sorted(by_rule.items())),
        notes=notes,
    )
