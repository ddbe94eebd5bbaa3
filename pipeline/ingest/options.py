"""Options of the ingest readers: one pydantic model per kind of source.

Every model rejects unknown keys (``extra="forbid"``) and every validator names the bad value
and lists the valid choices, so a typo in a config fails at the edge with a readable message.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..validation import StrictModel

__all__ = [
    "ContextSource",
    "DimSelect",
    "IngestOptions",
    "RasterMask",
    "RasterSource",
    "SeizureSource",
    "TimeWindow",
    "TrackSource",
]

#: Contract names a ``columns`` mapping may use for seizures (plus ``coords`` for one
#: combined "lat lon" text column, and ``geometry`` for a WKT column).
SEIZURE_COLUMN_KEYS = (
    "time",
    "lon",
    "lat",
    "coords",
    "commodity",
    "quantity",
    "quantity_unit",
    "agency",
    "note",
    "time_of_day",
)
#: Contract names a ``columns`` mapping may use for tracks.
TRACK_COLUMN_KEYS = ("vessel_id", "time", "time_of_day", "lon", "lat", "sog_kn", "cog_deg")
#: Names a ``columns`` mapping may use for context layers (ports, lanes, land; ``coords``
#: for one "lat, lon" column of a ports table).
CONTEXT_COLUMN_KEYS = ("lat", "lon", "coords", "name", "geometry")


def _check_columns(value: dict[str, str], valid: tuple[str, ...]) -> dict[str, str]:
    bad = sorted(set(value) - set(valid))
    if bad:
        raise ValueError(f"unknown column key(s) {bad!r}; valid keys are {list(valid)!r}")
    return value


def _check_crs(value: str | None) -> str | None:
    if value is None:
        return value
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(value)
    except CRSError as exc:
        raise ValueError(
            f"crs {value!r} is not a CRS pyproj understands "
            "(expected e.g. 'EPSG:32633', 'IGNF:ETRS89LAEA', a PROJ string or WKT)"
        ) from exc
    return value


def _check_delimiter(value: str | None) -> str | None:
    r"""Refuse a delimiter the CSV readers cannot split by (each reader would fail otherwise).

    Python's csv module takes one character, and no quote, line end or NUL; an empty string
    is no delimiter either (``null`` is: the delimiter is sniffed).  The table reader
    (pyarrow) takes an ASCII character only: ``'¦'`` or ``'§'`` ended the run as an
    internal error ("Expecting an ASCII character", exit 70) after the options took it.
    A tab may be written as the word ``tab`` or as backslash-t: YAML reads ``'\t'``
    (single quotes) and a bare ``\t`` as those two characters, and only ``"\t"`` (double
    quotes) as a tab.
    """
    if value is None:
        return value
    if value.strip().casefold() in ("tab", "\\t"):
        return "\t"
    if len(value) != 1 or value in '"\r\n\x00' or not value.isascii():
        raise ValueError(
            f"delimiter must be one character other than a quote or a line end, and ASCII, got "
            f"{value!r} (e.g. ',', ';', '|', or tab for a tab; null sniffs among them)"
        )
    return value


def _settle_minutes() -> float | None:
    """Return the ``settle_minutes`` field of the inputs a pattern may name (seizures, tracks)."""
    return Field(  # type: ignore[no-any-return]
        None,
        ge=0,
        description="For a path that is a pattern (a feed folder): a matched file modified "
        "within this many minutes of the run's start is still being written (a logger "
        "appending to the day's file) and is left for a later run, said in the log, the "
        "manifest and status; null: every matched file is read, and one written while the "
        "run reads it ends the run (exit 2, nothing published).",
    )


class SeizureSource(BaseModel):
    """Where a seizures (dated point events) file is and how to read it."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(
        description="The file to read (CSV, JSON Lines or a JSON array of objects, GeoJSON, "
        "GeoPackage, FlatGeobuf, GeoParquet, Shapefile, Excel .xlsx, or a .zip holding one of "
        "them)."
    )
    format: Literal[
        "auto",
        "csv",
        "json",
        "geojson",
        "gpkg",
        "flatgeobuf",
        "parquet",
        "shapefile",
        "xlsx",
        "kml",
        "zip",
    ] = Field("auto", description="File format; 'auto' decides from the file name.")
    member: str | None = Field(
        None, description="The file to read inside a .zip holding several (path or name)."
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Contract name -> source column, overriding automatic recognition. Keys: "
        + ", ".join(SEIZURE_COLUMN_KEYS)
        + " ('coords' is one text column holding both coordinates, e.g. DMS; 'time_of_day' "
        "a column of times such as 14:30 UTC or 1430Z beside a date column).",
    )
    crs: str | None = Field(
        None,
        description="CRS of the coordinates when the file does not say (CSV, Excel) or says "
        "wrongly; projected coordinates are reprojected to EPSG:4326.",
    )
    dayfirst: bool | None = Field(
        None,
        description="Whether dates like 03/04/2020 are day-first.  None decides from the "
        "column's own values (a first field > 12 proves day-first, a second > 12 "
        "month-first); a column they do not decide is refused with a message asking for it.",
    )
    synonyms: dict[str, str] = Field(
        default_factory=dict,
        description="Category spelling -> category, applied after normalisation (trim, "
        "Unicode NFC, case-fold; both sides normalised alike), e.g. {robbers: armed robbery}; "
        "a chain {a: b, b: c} puts a and b under c, a cycle is refused.",
    )
    layer: str | None = Field(
        None,
        description="Layer of a file holding several (a GeoPackage): required then; a file "
        "of several layers without it is refused (KML folders are all read).",
    )
    polygons_to_points: bool = Field(
        False,
        description="Reduce polygon/line features to a representative point instead of "
        "rejecting them with rule 'geometry_not_point'.",
    )
    sheet: str | int | None = Field(None, description="Excel sheet name or 0-based index.")
    encoding: str | None = Field(
        None,
        description="Text encoding of a CSV; None tries UTF-8 (with or without BOM), UTF-16 by "
        "BOM; a file that is not UTF-8 is read line by line: each line that is not valid UTF-8 "
        "as cp1252 (latin-1 for bytes cp1252 leaves unset), the others as UTF-8, so a file "
        "appending exports of two encodings keeps both right (noted in the result).",
    )
    delimiter: str | None = Field(
        None, description="CSV delimiter; None sniffs among , ; tab and |."
    )
    settle_minutes: float | None = _settle_minutes()

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_columns(value, SEIZURE_COLUMN_KEYS)

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str | None) -> str | None:
        return _check_crs(value)

    @field_validator("synonyms")
    @classmethod
    def _synonyms(cls, value: dict[str, str]) -> dict[str, str]:
        from .categories import normalise_category

        out: dict[str, str] = {}
        for k, v in value.items():
            key, target = normalise_category(k), normalise_category(v)
            if not key or not target:
                raise ValueError(f"synonyms entry {k!r}: {v!r} has an empty side")
            if key in out and out[key] != target:
                raise ValueError(
                    f"synonyms map {k!r} to both {out[key]!r} and {target!r} after normalisation"
                )
            out[key] = target
        # a chain {a: b, b: c} means a, b and c are one category: followed to its end (one
        # step put a under b and b under c, two categories); a cycle names no category
        resolved: dict[str, str] = {}
        for key in out:
            path, label = [key], out[key]
            while label in out and out[label] != label:
                if label in path:
                    cycle = " -> ".join([*path[path.index(label) :], label])
                    raise ValueError(f"synonyms form a cycle ({cycle}): name one category")
                path.append(label)
                label = out[label]
            resolved[key] = label
        return resolved

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str | None) -> str | None:
        return _check_delimiter(value)


class TrackSource(BaseModel):
    """Where a vessel-track file is and how to read it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    path: Path = Field(
        description="The file to read (AIS CSV, JSON Lines or a JSON array of position "
        "objects, raw AIS NMEA sentences, GPX, KML/KMZ tracks (gx:Track), OziExplorer/Geolife "
        ".plt, GeoPackage, GeoParquet, Shapefile or GeoJSON "
        "points or LineString "
        "routes, or a .zip holding one of them)."
    )
    format: Literal[
        "auto",
        "ais_csv",
        "json",
        "gpx",
        "kml",
        "plt",
        "nmea",
        "gpkg",
        "flatgeobuf",
        "parquet",
        "geojson",
        "shapefile",
        "zip",
    ] = Field("auto", description="File format; 'auto' decides from the file name.")
    member: str | None = Field(
        None, description="The file to read inside a .zip holding several (path or name)."
    )
    schema_: Literal["auto", "generic", "dma", "marinecadastre", "gtfs_rt"] = Field(
        "auto",
        alias="schema",
        description="Position CSV schema: 'generic' (mmsi,timestamp,lat,lon,sog,cog and "
        "common variants), 'dma' (Danish Maritime Authority, '# Timestamp' day-first), "
        "'marinecadastre' (US, MMSI,BaseDateTime,LAT,LON,...), 'gtfs_rt' (flattened "
        "GTFS-realtime vehicle positions: vehicle_id, latitude, longitude, bearing, speed in "
        "m/s, timestamp in epoch seconds); 'auto' detects it from the header.",
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Contract name -> source column, overriding recognition. Keys: "
        + ", ".join(TRACK_COLUMN_KEYS)
        + ".",
    )
    crs: str | None = Field(
        None, description="CRS of the coordinates when the file does not say; reprojected."
    )
    vessel_id: str | None = Field(
        None, description="Constant vessel id for a single-vessel file without an id column."
    )
    layer: str | None = Field(
        None,
        description="Layer of a file holding several (a GeoPackage): required then; a file "
        "of several layers without it is refused (KML folders are all read).",
    )
    dayfirst: bool | None = Field(
        None, description="Whether ambiguous dates are day-first (None: schema default/inferred)."
    )
    encoding: str | None = Field(None, description="Text encoding of a CSV (None: detect).")
    delimiter: str | None = Field(None, description="CSV delimiter (None: sniff).")
    settle_minutes: float | None = _settle_minutes()
    speed_unit: Literal["auto", "kn", "m/s", "km/h", "mph", "0.1 kn"] = Field(
        "auto",
        description="Unit of the speed column; 'auto' reads it from the header (sog_kn, "
        "speed_mps, speed_kmh, speed_mph, km/t, 'SOG [0.1 kn]', x10, tenths) or the schema "
        "(gtfs_rt: m/s), else knots (AIS), and refuses a column reading about ten times the "
        "speed its positions give (tenths of a knot under a plain 'sog'); a value here is "
        "used as told and skips that check. Converted to knots.",
    )

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_columns(value, TRACK_COLUMN_KEYS)

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str | None) -> str | None:
        return _check_delimiter(value)

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str | None) -> str | None:
        return _check_crs(value)


class TimeWindow(BaseModel):
    """An aggregate of a raster's time steps over ``[start, end]`` (inclusive)."""

    model_config = ConfigDict(extra="forbid")

    start: dt.date = Field(description="First day of the window (inclusive).")
    end: dt.date = Field(description="Last day of the window (inclusive).")
    aggregate: Literal["mean", "max", "sum"] = Field(
        "mean",
        description="How the time steps inside the window are combined: mean and max of the "
        "steps holding a value (the pixels holding fewer are counted in the statement); sum "
        "only where every step holds one (a missing step is not 0).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end < self.start:
            raise ValueError(f"time window end {self.end!r} is before start {self.start!r}")
        return self


_NAME = re.compile(r"[a-z][a-z0-9_]*")


class DimSelect(BaseModel):
    """Pick one step of a raster dimension explicitly by position or by coordinate value."""

    model_config = ConfigDict(extra="forbid")

    index: int | None = Field(None, description="0-based position; negative counts from the end.")
    value: float | str | dt.datetime | dt.date | None = Field(
        None,
        description="Coordinate value (a number, or a date or time for a time dimension).",
    )

    @model_validator(mode="after")
    def _one(self) -> DimSelect:
        if (self.index is None) == (self.value is None):
            raise ValueError("give exactly one of index or value")
        return self


class RasterMask(BaseModel):
    """A companion raster saying where the main raster observed nothing (VIIRS ``cf_cvg``).

    Pixels where the companion is below ``min`` (or above ``max``), or nodata, are missing in
    the main raster ("no observation"), never its value there: a VIIRS DNB monthly composite
    holds 0 radiance where no cloud-free observation was made, which is not "dark".
    """

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(
        description="The companion GeoTIFF/COG or NetCDF, on the main raster's grid (same "
        "shape, transform and CRS; another grid is refused)."
    )
    min: float = Field(
        1.0,
        allow_inf_nan=False,
        description="Pixels where the companion holds less than this (or nodata) are missing "
        "in the main raster (for cf_cvg, the number of cloud-free observations: 1).",
    )
    max: float | None = Field(
        None,
        allow_inf_nan=False,
        description="Pixels where the companion holds more than this are missing too: a "
        "quality flag whose 0 is best (VNP46A2's Mandatory_Quality_Flag: min: 0, max: 1 "
        "keeps high and poor quality, drops gap-filled 2).  None: no upper bound.",
    )
    variable: str | None = Field(
        None,
        description="NetCDF variable of the companion (None: its only gridded variable); "
        "path may then be the main raster's own file (e.g. variable: cf_cvg).",
    )
    band: int | None = Field(
        None, ge=1, description="1-based band of the companion (needed when it has several)."
    )

    @model_validator(mode="after")
    def _range(self) -> RasterMask:
        if self.max is not None and self.max < self.min:
            raise ValueError(
                f"mask max {self.max:g} is below its min {self.min:g}: no pixel would be kept"
            )
        return self


class RasterSource(BaseModel):
    """Where a raster (GeoTIFF/COG or NetCDF) is and which part of it to use."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(description="The GeoTIFF/COG or NetCDF file.")
    name: str = Field(
        "raster",
        description="Factor name of this raster (lower-case letters, digits, underscores).",
    )
    band: int | None = Field(None, description="1-based band to keep (None: all bands).", ge=1)
    variable: str | None = Field(
        None, description="NetCDF variable (None: the only data variable with lat/lon dims)."
    )
    crs: str | None = Field(
        None,
        description="CRS to assume when the file has none (a raster without CRS is otherwise "
        "an error); it never overrides a CRS the file declares.",
    )
    nodata: float | None = Field(
        None,
        description="A value that means 'no data' when the file does not say so (e.g. "
        "-9999): cells holding it are missing, not values.  Added to what the file declares.",
    )
    time: Literal["latest"] | dt.date | TimeWindow = Field(
        "latest",
        description="NetCDF time step: 'latest', a date (the step on that day), or a "
        "TimeWindow aggregate.",
    )
    select: dict[str, int | float | dt.datetime | dt.date | str | DimSelect] = Field(
        default_factory=dict,
        description="One step of any other dimension, e.g. {level: 850, time: -1}: a number "
        "is a coordinate value when the dimension has it, else a 0-based index (negative "
        "from the end); {index: i} or {value: v} says which explicitly.  A time dimension "
        "given here overrides 'time'.",
    )
    mask: RasterMask | None = Field(
        None,
        description="A companion raster on the same grid whose pixels below mask.min (or "
        "nodata) make this raster's pixels missing, e.g. {path: cf_cvg.tif, min: 1} for a "
        "VIIRS DNB composite whose 0 radiance under clouds means no observation; a bare "
        "path (mask: cf_cvg.tif) means {path: cf_cvg.tif} with the defaults.",
    )

    @field_validator("mask", mode="before")
    @classmethod
    def _mask_short_form(cls, value: object) -> object:
        # ``mask: cf_cvg.tif`` is ``mask: {path: cf_cvg.tif}`` (min 1, its only band/variable)
        if isinstance(value, (str, Path)):
            return {"path": value}
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):  # whole: a "$" pattern took "depth\n" (a trailing newline)
            raise ValueError(
                f"raster name must match ^[a-z][a-z0-9_]*$ (e.g. 'sea_depth'), got {value!r}"
            )
        return value

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str | None) -> str | None:
        return _check_crs(value)


class IngestOptions(StrictModel):
    """Options shared by every ingest run (strict: no bool as a number, no infinities)."""

    max_reject_rate: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Fail closed (DataQualityError) when more than this fraction of a "
        "source's records is rejected.",
    )
    max_speed_kn: float = Field(
        60.0, gt=0.0, description="A ping implying a faster speed (knots) is rejected."
    )
    memory_budget_mb: float = Field(
        512.0, gt=0.0, description="Rasters declared larger than this are read in windows."
    )
    max_uncompressed_mb: float = Field(
        2048.0,
        gt=0.0,
        description="A zipped input whose data file declares more than this many MiB "
        "uncompressed is refused before anything is expanded (zip bombs); so is a seizure "
        "table or context layer (CSV, GeoJSON, GeoPackage, Shapefile) larger than this on "
        "disk, since it is read whole (tracks are read a block at a time: a Parquet row "
        "group, Arrow IPC batch or block of chunk_rows Parquet records of tracks larger than this "
        "uncompressed is refused too, its text counted as it fills every row).",
    )
    chunk_rows: int | None = Field(
        250_000,
        ge=1,
        description="Track files are read this many records at a time into a spill dataset on "
        "disk (partitioned by vessel) and transit is computed a group of whole vessels at a "
        "time, so a run's memory is set by this number, not by the size of the tracks; the "
        "published tables are the same bytes as with null (whole tables in memory).",
    )
    max_raster_pixels: int = Field(
        1_000_000_000,
        gt=0,
        description="A raster holding more pixels (bands x rows x columns) than this in the "
        "part that would be read (the window over area.bbox when there is one, else the whole "
        "raster) is refused before any pixel is read; below it rasters are read in windows "
        "within memory_budget_mb.",
    )


class ContextSource(BaseModel):
    """A context layer: ports (points), shipping lanes (lines) or land/coastline (polygons)."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(
        description="Any vector file (GeoJSON, GeoPackage, Shapefile, GeoParquet, a .zip "
        "holding one) or, for ports, a CSV with latitude/longitude columns."
    )
    kind: Literal["ports", "lanes", "land"] = Field(
        description="ports: points; lanes: lines; land: polygons (coastlines as lines are "
        "accepted for distance to coast)."
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Name -> source column, overriding recognition. Keys: "
        + ", ".join(CONTEXT_COLUMN_KEYS)
        + " ('geometry' a WKT column).",
    )
    crs: str | None = Field(
        None,
        description="CRS of the coordinates when the file does not say (a CSV); a layer "
        "without CRS is otherwise refused unless its coordinates are within degree ranges "
        "and come from a CSV of latitude/longitude.",
    )
    layer: str | None = Field(
        None,
        description="Layer of a file holding several (a GeoPackage): required then; a file "
        "of several layers without it is refused (KML folders are all read).",
    )
    member: str | None = Field(None, description="The file to read inside a .zip.")

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_columns(value, CONTEXT_COLUMN_KEYS)

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str | None) -> str | None:
        return _check_crs(value)
