"""Ingest: read seizures, tracks, rasters and context layers from the files people have.

Every reader returns an :class:`IngestResult` (accepted frame in the table contract of
:mod:`pipeline.schema`, one reject row per rejected record with its first failing rule,
counts by rule, notes, and ``assumptions``: every inferred column, date order, time zone and
CRS with its evidence); rasters open lazily as ``(band, y, x)`` DataArrays whose
``attrs["assumptions"]`` say how they were placed, and :func:`raster_coverage` refuses a
raster that cannot inform the area.
"""

from __future__ import annotations

from ._archive import FILE_NAME_RULE, safe_file_stem, source_stem
from ._common import IngestResult
from .categories import normalise_categories, normalise_category
from .context import CONTEXT_KINDS, CONTEXT_RULES, read_context
from .options import (
    ContextSource,
    DimSelect,
    IngestOptions,
    RasterMask,
    RasterSource,
    SeizureSource,
    TimeWindow,
    TrackSource,
)
from .rasters import (
    check_raster_pixels,
    clip_raster,
    describe_raster,
    open_raster,
    raster_coverage,
    raster_windows,
)
from .seizures import (
    COMMODITY_ORIGINAL,
    SEIZURE_RULES,
    read_seizures,
    reject_repeated_records,
    sort_seizures,
)
from .summary import (
    assumptions_to_line,
    check_balance,
    check_reject_rate,
    format_summary,
    json_safe,
    summarise_ingest,
    top_rules,
    write_rejects,
)
from .tracks import TRACK_RULES, classify_mmsi, read_tracks

__all__ = [
    "FILE_NAME_RULE",
    "COMMODITY_ORIGINAL",
    "CONTEXT_KINDS",
    "CONTEXT_RULES",
    "SEIZURE_RULES",
    "TRACK_RULES",
    "ContextSource",
    "DimSelect",
    "IngestOptions",
    "IngestResult",
    "RasterMask",
    "RasterSource",
    "SeizureSource",
    "TimeWindow",
    "TrackSource",
    "check_raster_pixels",
    "assumptions_to_line",
    "check_balance",
    "check_reject_rate",
    "clip_raster",
    "classify_mmsi",
    "describe_raster",
    "format_summary",
    "json_safe",
    "normalise_categories",
    "normalise_category",
    "open_raster",
    "raster_coverage",
    "raster_windows",
    "read_context",
    "read_seizures",
    "reject_repeated_records",
    "read_tracks",
    "safe_file_stem",
    "sort_seizures",
    "source_stem",
    "summarise_ingest",
    "top_rules",
    "write_rejects",
]
