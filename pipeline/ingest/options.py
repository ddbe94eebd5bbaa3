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

__all__ = [
    "IngestOptions",
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
    "agency",
    "note",
)
#: Contract names a ``columns`` mapping may use for tracks.
TRACK_COLUMN_KEYS = ("vessel_id", "time", "lon", "lat", "sog_kn", "cog_deg")


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


class SeizureSource(BaseModel):
    """Where a seizures (dated point events) file is and how to read it."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(
        description="The file to read (CSV, GeoJSON, GeoPackage, GeoParquet, "
        "zipped Shapefile or Excel .xlsx)."
    )
    format: Literal["auto", "csv", "geojson", "gpkg", "parquet", "shapefile", "xlsx"] = Field(
        "auto", description="File format; 'auto' decides from the file name and its first bytes."
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Contract name -> source column, overriding automatic recognition. Keys: "
        + ", ".join(SEIZURE_COLUMN_KEYS)
        + " ('coords' is one text column holding both coordinates, e.g. DMS).",
    )
    crs: str | None = Field(
        None,
        description="CRS of the coordinates when the file does not say (CSV, Excel) or says "
        "wrongly; projected coordinates are reprojected to EPSG:4326.",
    )
    dayfirst: bool | None = Field(
        None,
        description="Whether ambiguous dates like 03/04/2020 are day-first; None infers it "
        "from the unambiguous dates in the file (day-first when tied).",
    )
    layer: str | None = Field(None, description="Layer of a GeoPackage (default: the first).")
    polygons_to_points: bool = Field(
        False,
        description="Reduce polygon/line features to a representative point instead of "
        "rejecting them with rule 'geometry_not_point'.",
    )
    sheet: str | int | None = Field(None, description="Excel sheet name or 0-based index.")
    encoding: str | None = Field(
        None,
        description="Text encoding of a CSV; None tries UTF-8 (with or without BOM), UTF-16 by "
        "BOM, then falls back to cp1252 and latin-1 (noted in the result).",
    )
    delimiter: str | None = Field(
        None, description="CSV delimiter; None sniffs among , ; tab and |."
    )

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_columns(value, SEIZURE_COLUMN_KEYS)

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str | None) -> str | None:
        return _check_crs(value)

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError(f"delimiter must be one character, got {value!r}")
        return value


class TrackSource(BaseModel):
    """Where a vessel-track file is and how to read it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    path: Path = Field(
        description="The file to read (AIS CSV, GPX, GeoPackage, GeoParquet "
        "or GeoJSON points or LineString routes)."
    )
    format: Literal["auto", "ais_csv", "gpx", "gpkg", "parquet", "geojson"] = Field(
        "auto", description="File format; 'auto' decides from the file name."
    )
    schema_: Literal["auto", "generic", "dma", "marinecadastre"] = Field(
        "auto",
        alias="schema",
        description="AIS CSV schema: 'generic' (mmsi,timestamp,lat,lon,sog,cog and common "
        "variants), 'dma' (Danish Maritime Authority, '# Timestamp' day-first), "
        "'marinecadastre' (US, MMSI,BaseDateTime,LAT,LON,...); 'auto' detects it from the header.",
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
    layer: str | None = Field(None, description="Layer of a GeoPackage (default: the first).")
    dayfirst: bool | None = Field(
        None, description="Whether ambiguous dates are day-first (None: schema default/inferred)."
    )
    encoding: str | None = Field(None, description="Text encoding of a CSV (None: detect).")
    delimiter: str | None = Field(None, description="CSV delimiter (None: sniff).")

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_columns(value, TRACK_COLUMN_KEYS)

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
        "mean", description="How the time steps inside the window are combined (NaN-aware)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end < self.start:
            raise ValueError(f"time window end {self.end!r} is before start {self.start!r}")
        return self


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


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
    time: Literal["latest"] | dt.date | TimeWindow = Field(
        "latest",
        description="NetCDF time step: 'latest', a date (the step on that day), or a "
        "TimeWindow aggregate.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"raster name must match ^[a-z][a-z0-9_]*$ (e.g. 'sea_depth'), got {value!r}"
            )
        return value

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str | None) -> str | None:
        return _check_crs(value)


class IngestOptions(BaseModel):
    """Options shared by every ingest run."""

    model_config = ConfigDict(extra="forbid")

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
