"""Ingest: read seizures, tracks and rasters from the files people have, reject with reasons.

Every reader returns an :class:`IngestResult` (accepted frame in the table contract of
:mod:`pipeline.schema`, one reject row per rejected record with its first failing rule,
counts by rule, notes); rasters open lazily as ``(band, y, x)`` DataArrays.
"""

from __future__ import annotations

from ._common import IngestResult
from .options import IngestOptions, RasterSource, SeizureSource, TimeWindow, TrackSource
from .rasters import describe_raster, open_raster, raster_windows
from .seizures import SEIZURE_RULES, read_seizures
from .summary import check_reject_rate, format_summary, summarise_ingest, write_rejects
from .tracks import TRACK_RULES, classify_mmsi, read_tracks

__all__ = [
    "SEIZURE_RULES",
    "TRACK_RULES",
    "IngestOptions",
    "IngestResult",
    "RasterSource",
    "SeizureSource",
    "TimeWindow",
    "TrackSource",
    "check_reject_rate",
    "classify_mmsi",
    "describe_raster",
    "format_summary",
    "open_raster",
    "raster_windows",
    "read_seizures",
    "read_tracks",
    "summarise_ingest",
    "write_rejects",
]
