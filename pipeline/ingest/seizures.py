"""Read seizure records (dated point events) from any supported file into the contract table.

Formats: CSV (delimiter sniffed, decimal comma detected per column, UTF-8 with or without BOM,
UTF-16 by BOM, cp1252/latin-1 fallback), GeoJSON, GeoPackage, GeoParquet (or plain Parquet
with coordinate columns), zipped Shapefile and Excel ``.xlsx``.

Rule ids (each rejected record gets its *first* failing rule, in this order):

=====================  ==============================================================
``ragged_row``         CSV line with more or fewer fields than the header
``geometry_missing``   feature without geometry (vector formats)
``geometry_invalid``   invalid polygon, or a point with non-finite coordinates
``geometry_not_point`` line/polygon feature (unless ``polygons_to_points``)
``coord_missing``      latitude or longitude missing
``coord_unparseable``  not a number nor degree-minute-second text
``coord_out_of_crs``   coordinates the configured CRS cannot transform to EPSG:4326
``latlon_swapped``     latitude outside ±90 while the pair fits when swapped, or a
                       hemisphere letter of the other axis; the message says how to fix it
``lat_out_of_range``   latitude outside [-90, 90]
``lon_out_of_range``   longitude outside [-180, 180]
``null_island``        exactly (0, 0), a placeholder
``date_missing``       no date
``date_unparseable``   a date no supported spelling matches
``date_future``        after ``as_of``
``quantity_unparseable``  quantity present but not a number
``quantity_negative``  quantity < 0
``quantity_not_finite``   infinite or beyond 1e15
``outside_aoi``        outside the area of interest
``duplicate``          exact duplicate (every source field equal) of an earlier record
=====================  ==============================================================
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

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
from ._common import (
    IngestResult,
    Rule,
    as_source,
    as_text,
    find_column,
    finish_rejects,
    first_failing,
    missing_mask,
    normalise_name,
    outside_aoi_rules,
    parse_coordinate,
    parse_times,
    range_rules,
    read_text_table,
    reproject_xy,
    split_pair,
    to_numbers,
)
from .options import SeizureSource

__all__ = ["read_seizures", "SEIZURE_RULES"]

log = logging.getLogger(__name__)

SEIZURE_RULES = (
    "ragged_row",
    "geometry_missing",
    "geometry_invalid",
    "geometry_not_point",
    "coord_missing",
    "coord_unparseable",
    "coord_out_of_crs",
    "latlon_swapped",
    "lat_out_of_range",
    "lon_out_of_range",
    "null_island",
    "date_missing",
    "date_unparseable",
    "date_future",
    "quantity_unparseable",
    "quantity_negative",
    "quantity_not_finite",
    "outside_aoi",
    "duplicate",
)

CANDIDATES: dict[str, tuple[str, ...]] = {
    LAT: (
        "lat",
        "latitude",
        "y",
        "lat_dd",
        "latitude_dd",
        "decimal_latitude",
        "lat_deg",
        "latitude_degrees",
        "lat_wgs84",
        "ycoord",
        "y_coord",
        "point_y",
        "northing",
    ),
    LON: (
        "lon",
        "lng",
        "long",
        "longitude",
        "x",
        "lon_dd",
        "longitude_dd",
        "decimal_longitude",
        "lon_deg",
        "longitude_degrees",
        "lon_wgs84",
        "xcoord",
        "x_coord",
        "point_x",
        "easting",
    ),
    "coords": (
        "coords",
        "coordinates",
        "coordinate",
        "position",
        "latlon",
        "lat_lon",
        "latlng",
        "lat_lng",
        "location_coordinates",
        "geo_position",
    ),
    TIME: (
        "datetime",
        "date_time",
        "timestamp",
        "time_stamp",
        "event_datetime",
        "event_date",
        "seizure_date",
        "incident_date",
        "date",
        "occurred",
        "occurred_at",
        "time",
        "year",
    ),
    COMMODITY: (
        "commodity",
        "drug",
        "drug_type",
        "substance",
        "product",
        "item",
        "goods",
        "cargo",
        "category",
    ),
    QUANTITY: ("quantity", "qty", "amount", "weight", "weight_kg", "quantity_kg", "kg", "mass"),
    AGENCY: (
        "agency",
        "authority",
        "organisation",
        "organization",
        "agency_name",
        "reporting_agency",
        "source",
        "data_source",
    ),
    NOTE: (
        "note",
        "notes",
        "description",
        "comment",
        "comments",
        "remarks",
        "details",
        "summary",
        "narrative",
    ),
}

_MAX_QUANTITY = 1e15
_CTRL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _detect_format(src: SeizureSource) -> str:
    if src.format != "auto":
        return src.format
    path = src.path
    suffixes = "".join(path.suffixes).lower()
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv", ".tab"):
        return "csv"
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix == ".gpkg":
        return "gpkg"
    if suffix in (".parquet", ".geoparquet", ".pq"):
        return "parquet"
    if suffix == ".shp" or suffixes.endswith(".shp.zip") or suffix == ".zip":
        return "shapefile"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".xls":
        raise SourceUnreadable(
            f"{path.name}: legacy .xls is not supported; save it as .xlsx or CSV"
        )
    raise SourceUnreadable(
        f"{path.name}: unknown file type {suffix!r}; expected one of .csv .txt .tsv .geojson "
        ".json .gpkg .parquet .zip (shapefile) .shp .xlsx, or set format in the config"
    )


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise SourceUnreadable(f"{path}: file not found")
    if path.is_dir():
        raise SourceUnreadable(f"{path}: is a folder, expected a file")


def read_seizures(
    source: SeizureSource | str | Path,
    *,
    as_of: dt.date | dt.datetime | str | None = None,
    aoi_bbox: tuple[float, float, float, float] | None = None,
) -> IngestResult:
    """Read a seizures file into the contract table, rejecting bad records with reasons.

    Parameters
    ----------
    source : SeizureSource, str or Path
        The file, or its options.
    as_of : date, datetime or str, optional
        Records dated after the end of this day are rejected (``date_future``); None skips
        the check.
    aoi_bbox : tuple of 4 floats, optional
        ``(lon_min, lat_min, lon_max, lat_max)``; records outside are rejected
        (``outside_aoi``).  ``lon_min > lon_max`` crosses the antimeridian.

    Returns
    -------
    IngestResult
        ``frame`` has the columns ``SEIZURE_COLUMNS`` in source order.

    Raises
    ------
    SourceUnreadable
        Missing, empty, corrupt or unsupported file.
    InputError
        The file was read but has no usable coordinate columns, or a configured column is
        absent.

    Examples
    --------
    >>> res = read_seizures("seizures.csv", as_of="2024-12-31")  # doctest: +SKIP
    >>> res.by_rule  # doctest: +SKIP
    {'duplicate': 2, 'null_island': 1}
    """
    src = as_source(source, SeizureSource)
    _check_exists(src.path)
    fmt = _detect_format(src)
    name = src.path.name
    notes: list[str] = []
    pre_rejects = pd.DataFrame()
    geometry = None
    crs = src.crs
    if fmt == "csv":
        table = read_text_table(src.path, encoding=src.encoding, delimiter=src.delimiter)
        raw, rows, pre_rejects = table.frame, table.lines, table.bad_rows
        notes += table.notes
        n_pre = table.n_bad
    elif fmt == "xlsx":
        raw = _read_excel(src)
        rows = np.arange(2, len(raw) + 2, dtype="int64")
        n_pre = 0
    else:
        raw, geometry, file_crs = _read_vector(src, fmt)
        rows = np.arange(1, len(raw) + 1, dtype="int64")
        n_pre = 0
        if file_crs is not None:
            if src.crs is not None:
                notes.append(f"{name}: file declares a CRS; config crs {src.crs!r} ignored")
            crs = file_crs
    frame, rejects, more_notes = _normalise(
        raw, rows, geometry, src=src, crs=crs, as_of=as_of, aoi_bbox=aoi_bbox
    )
    notes += more_notes
    rejects, by_rule = finish_rejects(pre_rejects, rejects)
    n_read = len(raw) + n_pre
    log.info("%s: %d read, %d accepted, %d rejected", name, n_read, len(frame), len(rejects))
    return IngestResult(frame, rejects, by_rule, name, n_read, notes)


def _read_excel(src: SeizureSource) -> pd.DataFrame:
    try:
        with open(src.path, "rb") as f:
            magic = f.read(4)
        if magic != b"PK\x03\x04":
            raise SourceUnreadable(
                f"{src.path.name}: not an .xlsx workbook (it does not start with a ZIP header; "
                f"first bytes {magic!r})"
            )
        frame = pd.read_excel(
            src.path, sheet_name=src.sheet if src.sheet is not None else 0, dtype=object
        )
    except SourceUnreadable:
        raise
    except ValueError as exc:
        raise InputError(f"{src.path.name}: {exc}") from exc
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise SourceUnreadable(
            f"{src.path.name}: cannot read workbook: {type(exc).__name__}: {exc}"
        ) from exc
    frame.columns = [str(c) for c in frame.columns]
    out = {}
    for c in frame.columns:
        col = frame[c]
        isdate = col.map(lambda v: isinstance(v, dt.datetime | pd.Timestamp))  # per cell: openpyxl
        text = col.astype("str")
        if isdate.any():
            text = text.where(~isdate, pd.to_datetime(col[isdate]).dt.strftime("%Y-%m-%dT%H:%M:%S"))
        out[c] = text.where(col.notna(), "")
    return pd.DataFrame(out, index=frame.index)


def _read_vector(src: SeizureSource, fmt: str):
    import geopandas as gpd

    name = src.path.name
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            meta = pq.read_schema(src.path).metadata or {}
            if b"geo" in meta:
                gdf = gpd.read_parquet(src.path)
            else:
                return pd.read_parquet(src.path), None, None
        else:
            path = src.path
            kwargs = {}
            if src.layer is not None:
                kwargs["layer"] = src.layer
            if fmt == "shapefile" and path.suffix.lower() == ".zip":
                target = f"/vsizip/{path}"
            else:
                target = str(path)
            gdf = gpd.read_file(target, engine="pyogrio", **kwargs)
    except Exception as exc:
        raise SourceUnreadable(
            f"{name}: cannot read as {fmt}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        return pd.DataFrame(gdf), None, None
    geom = gdf.geometry
    if geom.isna().all() and len(gdf):
        return pd.DataFrame(gdf.drop(columns=geom.name)), None, None
    file_crs = gdf.crs
    raw = pd.DataFrame(gdf.drop(columns=geom.name))
    return raw, np.asarray(geom.values, dtype=object), file_crs


def _normalise(
    raw: pd.DataFrame,
    rows: np.ndarray,
    geometry: np.ndarray | None,
    *,
    src: SeizureSource,
    crs,
    as_of,
    aoi_bbox,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    name = src.path.name
    notes: list[str] = []
    n = len(raw)
    if n == 0:
        notes.append(f"{name}: no records")
        return empty_seizures(), pd.DataFrame(), notes
    cols = list(raw.columns)
    over = src.columns
    pick = {k: find_column(cols, CANDIDATES[k], over.get(k), name, k) for k in CANDIDATES}
    rules: list[Rule] = []

    # --- coordinates
    if geometry is not None and over.get(LAT) is None and over.get("coords") is None:
        lon, lat, geo_rules = _points_from_geometry(geometry, src.polygons_to_points, name)
        rules += geo_rules
        if crs is not None:
            lon, lat = reproject_xy(lon, lat, crs, name)
        lat_col = lon_col = "geometry"
        lat_raw = lon_raw = pd.Series(
            shapely.to_wkt(geometry, rounding_precision=8), index=raw.index
        ).fillna("")
        miss = np.zeros(n, bool)
        wrong_axis = np.zeros(n, bool)
    else:
        lat_pick, lon_pick, coords_pick = pick[LAT], pick[LON], pick["coords"]
        if lat_pick and lon_pick and not over.get("coords"):
            lat_col, lon_col = lat_pick, lon_pick
            lat_raw, lon_raw = raw[lat_col], raw[lon_col]
        elif coords_pick:
            lat_col = lon_col = coords_pick
            pair = raw[lat_col]
            lat_raw, lon_raw, _ = split_pair(as_text(pair))
            lat_raw = lat_raw.where(~missing_mask(pair), "")
            lon_raw = lon_raw.where(~missing_mask(pair), "")
        else:
            raise InputError(
                f"{name}: no coordinate columns found among {cols!r}; expected latitude and "
                f"longitude columns (e.g. {list(CANDIDATES[LAT][:3])!r} and "
                f"{list(CANDIDATES[LON][:4])!r}) or one 'coordinates' column, or set "
                "columns: {lat: ..., lon: ...} in the config"
            )
        lat_v, lat_miss, lat_wrong = parse_coordinate(lat_raw, "lat")
        lon_v, lon_miss, lon_wrong = parse_coordinate(lon_raw, "lon")
        lat = lat_v.to_numpy(dtype="float64")
        lon = lon_v.to_numpy(dtype="float64")
        miss = lat_miss | lon_miss
        lat_bad = ~miss & np.isnan(lat)
        lon_bad = ~miss & ~lat_bad & np.isnan(lon)
        wrong_axis = lat_wrong | lon_wrong
        pair_col = lat_col if lat_col == lon_col else f"{lat_col}/{lon_col}"
        rules.append(
            Rule(
                "coord_missing",
                miss,
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
    if crs is None and projected.sum() > 0.5 * max(ok.sum(), 1):
        notes.append(
            f"{name}: {int(projected.sum())} of {int(ok.sum())} positions have coordinates "
            "beyond ±1000: they look projected (metres); set crs (e.g. 'EPSG:32633') in the "
            "config to reproject them"
        )
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

    # --- time
    tcol = pick[TIME]
    if tcol is None:
        raise InputError(
            f"{name}: no date column found among {cols!r}; expected one of "
            f"{list(CANDIDATES[TIME][:9])!r} or set columns: {{time: ...}} in the config"
        )
    traw = raw[tcol]
    if (
        over.get(TIME) is None
        and normalise_name(tcol) == "date"
        and (clock := find_column(cols, ("time", "time_utc", "hour"), None, name, "time"))
        is not None
    ):
        ctext = as_text(raw[clock])
        has_clock = ctext.str.match(r"^\d{1,2}:\d{2}(:\d{2})?$")
        if has_clock.any():
            traw = as_text(traw).where(~has_clock, as_text(traw) + " " + ctext)
            notes.append(f"{name}: time of day taken from column {clock!r} where present")
    parsed = parse_times(traw, dayfirst=src.dayfirst, name=name, column=tcol)
    notes += parsed.notes
    times = parsed.times
    rules.append(Rule("date_missing", parsed.missing, tcol, "date is missing", raw[tcol]))
    rules.append(
        Rule(
            "date_unparseable",
            parsed.unparseable,
            tcol,
            "date {value} matches no supported format (ISO 8601, dd/mm/yyyy, "
            "mm/dd/yyyy, epoch seconds/ms, year)",
            raw[tcol],
        )
    )
    if as_of is not None:
        limit = pd.Timestamp(as_of)
        limit = limit.tz_localize("UTC") if limit.tzinfo is None else limit.tz_convert("UTC")
        if limit == limit.normalize():
            limit = limit + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        rules.append(
            Rule(
                "date_future",
                (times > limit).to_numpy(),
                tcol,
                f"date {{value}} is after as_of {limit.date().isoformat()}",
                raw[tcol],
            )
        )

    # --- quantity
    qcol = pick[QUANTITY]
    if qcol is not None:
        qraw = raw[qcol]
        q = to_numbers(qraw).to_numpy(dtype="float64")
        qmiss = missing_mask(qraw)
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
    else:
        q = np.full(n, np.nan)

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
    rules.append(
        Rule(
            "duplicate",
            _exact_duplicates(dup_frame),
            "",
            "exact duplicate of an earlier record",
            None,
        )
    )

    accepted, rejects = first_failing(rules, n=n, source_file=name, rows=rows)
    take = np.flatnonzero(accepted)

    def text(key: str, default: str) -> pd.Series:
        c = pick[key]
        if c is None:
            return pd.Series([default] * take.size, dtype="str")
        t = as_text(raw[c].iloc[take]).str.replace(_CTRL, "", regex=True)
        return t.where(t != "", default).reset_index(drop=True)

    frame = pd.DataFrame(
        {
            TIME: times.iloc[take].reset_index(drop=True),
            LON: lon[take],
            LAT: lat[take],
            COMMODITY: text(COMMODITY, "unknown"),
            QUANTITY: q[take],
            AGENCY: text(AGENCY, ""),
            NOTE: text(NOTE, ""),
            SOURCE_FILE: name,
            SOURCE_ROW: rows[take].astype("int64"),
        },
        columns=list(SEIZURE_COLUMNS),
    )
    frame[TIME] = frame[TIME].astype("datetime64[ns, UTC]")
    return frame, rejects, notes


def _exact_duplicates(raw: pd.DataFrame) -> np.ndarray:
    """Return True for each record equal in every field to an earlier one (hash, then confirm)."""
    h = pd.util.hash_pandas_object(raw, index=False).to_numpy()
    cand = pd.Series(h).duplicated(keep=False).to_numpy()
    out = np.zeros(len(raw), dtype=bool)
    if cand.any():
        idx = np.flatnonzero(cand)
        out[idx] = raw.iloc[idx].duplicated(keep="first").to_numpy()
    return out


def _points_from_geometry(geoms: np.ndarray, to_points: bool, name: str):
    n = len(geoms)
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
        pts[ok] = shapely.point_on_surface(geoms[ok])
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
    rules = [
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
