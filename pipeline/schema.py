"""Column names and the contract of each table that crosses a stage boundary.

Every stage reads and writes these names, never string literals of its own, so a rename is a
one-line change.  ``validate_*`` functions check a frame at a stage boundary and raise
:class:`~pipeline.errors.InputError` naming what is missing.

Tables
------
seizures (ingest output, one row per event)
    ``time`` (datetime64[ns, UTC]), ``lon``, ``lat`` (float64, EPSG:4326), ``commodity`` (str),
    ``quantity`` (float64, may be NaN), ``agency`` (str), ``note`` (str),
    ``source_file`` (str), ``source_row`` (int64, 1-based line or feature number).
pings (ingest output, one row per position, sorted by vessel then time)
    ``vessel_id`` (str), ``time`` (datetime64[ns, UTC]), ``lon``, ``lat`` (float64),
    ``sog_kn`` (float64, NaN when unknown), ``cog_deg`` (float64, NaN when unknown).
rejects (one row per rejected record)
    ``source_file``, ``row``, ``column``, ``value``, ``rule``, ``message``.
features (one row per H3 cell)
    ``cell`` (uint64 H3 index) then one float64 column per factor.
scores (one row per H3 cell)
    ``cell``, ``hex_id`` (15-char H3 string), ``risk`` (0-100), ``risk_class`` (str),
    then per factor ``<factor>`` (raw value), ``<factor>__norm`` (0-1),
    ``<factor>__contrib`` (points of the 0-100 score; the contributions sum to ``risk``) and
    optionally ``<factor>__covered`` (bool: False where the factor could not be observed at
    all, e.g. no AIS reception or a raster that does not cover the cell; the raw value is
    then meaningless and the map shows the factor's "missing" text instead; an absent column
    means covered everywhere).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .errors import InputError

# seizures
TIME = "time"
LON = "lon"
LAT = "lat"
COMMODITY = "commodity"
COMMODITY_ORIGINAL = "commodity_original"
QUANTITY = "quantity"
AGENCY = "agency"
NOTE = "note"
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"
SEIZURE_COLUMNS = (TIME, LON, LAT, COMMODITY, QUANTITY, AGENCY, NOTE, SOURCE_FILE, SOURCE_ROW)

# pings
VESSEL_ID = "vessel_id"
SOG = "sog_kn"
COG = "cog_deg"
PING_COLUMNS = (VESSEL_ID, TIME, LON, LAT, SOG, COG)

# rejects
REJECT_COLUMNS = ("source_file", "row", "column", "value", "rule", "message")

# cells, features and scores
CELL = "cell"
HEX_ID = "hex_id"
RISK = "risk"
RISK_CLASS = "risk_class"
NORM_SUFFIX = "__norm"
CONTRIB_SUFFIX = "__contrib"
COVERED_SUFFIX = "__covered"

OBSERVED = "observed"
LATEST_EVENT = "latest_event"
SEIZURES_PREFIX = "seizures_"
CONFIDENCE = "confidence"
# not "seizures_...": that prefix marks the per-commodity counts
SEIZURES_WITHIN_BANDWIDTH = "n_seizures_within_bandwidth"
PERIOD = "period"

#: Columns the published cell tables (features, scores: Parquet, CSV, GeoJSON) hold beside the
#: factors' own: a factor may not take one of these names.  A factor named ``hex_id`` replaced
#: the published hex ids with its values, one named ``risk`` or ``cell`` ended the run in a
#: pandas error.  (The commodity counts ``seizures_<commodity>`` and the fitted model's own
#: features depend on the data and options: checked where they are made.)
RESERVED_COLUMNS = frozenset(
    {
        CELL,
        HEX_ID,
        RISK,
        RISK_CLASS,
        OBSERVED,
        "top_factor",
        LON,
        LAT,
        "geometry",
        "bbox",
        LATEST_EVENT,
        CONFIDENCE,
        "n_seizures",
        SEIZURES_WITHIN_BANDWIDTH,
        PERIOD,
        "expected_events",
        "p_any_event",
        "expected_per_km2",
        "relative_risk",
        "gi_z",
        "gi_p",
        "gi_p_sim",
        "gi_p_exact",
        "gi_p_adjusted",
        "gi_bin",
        "gi_class",
        "gi_neighbours",
        "emerging_category",
        "trend",
        "trend_z",
        "trend_p",
        "trend_tau",
        "hot_periods",
        "cold_periods",
        "final_gi_z",
        "final_gi_bin",
        "risk_lower",
        "risk_upper",
        "risk_class_stability",
    }
)

# transit events (one row per event)
EVENT_TYPE = "event_type"
OTHER_VESSEL_ID = "other_vessel_id"
START_TIME = "start_time"
END_TIME = "end_time"
DURATION_HOURS = "duration_hours"
START_LON, START_LAT, END_LON, END_LAT = "start_lon", "start_lat", "end_lon", "end_lat"
EVENT_COLUMNS = (
    EVENT_TYPE,
    VESSEL_ID,
    OTHER_VESSEL_ID,
    START_TIME,
    END_TIME,
    DURATION_HOURS,
    START_LON,
    START_LAT,
    END_LON,
    END_LAT,
    LON,
    LAT,
    CELL,
)

# factor names used by the pipeline's own feature stages
SEIZURE_DENSITY = "seizure_density"
VESSEL_HOURS = "vessel_hours"
DISTINCT_VESSELS = "distinct_vessels"
GAP_EVENTS = "gap_events"
LOITER_EVENTS = "loiter_events"
ENCOUNTER_EVENTS = "encounter_events"


def require_columns(frame: pd.DataFrame, columns: Iterable[str], table: str) -> None:
    """Raise :class:`InputError` if ``frame`` lacks any of ``columns``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to check.
    columns : iterable of str
        Required column names.
    table : str
        Name of the table, used in the message.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{table} table is missing column(s) {missing!r}; it has {list(frame.columns)!r}"
        )


def empty_seizures() -> pd.DataFrame:
    """Return an empty seizures table with the contract's dtypes."""
    return pd.DataFrame(
        {
            TIME: pd.Series([], dtype="datetime64[ns, UTC]"),
            LON: pd.Series([], dtype="float64"),
            LAT: pd.Series([], dtype="float64"),
            COMMODITY: pd.Series([], dtype="object"),
            QUANTITY: pd.Series([], dtype="float64"),
            AGENCY: pd.Series([], dtype="object"),
            NOTE: pd.Series([], dtype="object"),
            SOURCE_FILE: pd.Series([], dtype="object"),
            SOURCE_ROW: pd.Series([], dtype="int64"),
        }
    )


def empty_pings() -> pd.DataFrame:
    """Return an empty pings table with the contract's dtypes."""
    return pd.DataFrame(
        {
            VESSEL_ID: pd.Series([], dtype="object"),
            TIME: pd.Series([], dtype="datetime64[ns, UTC]"),
            LON: pd.Series([], dtype="float64"),
            LAT: pd.Series([], dtype="float64"),
            SOG: pd.Series([], dtype="float64"),
            COG: pd.Series([], dtype="float64"),
        }
    )


def empty_rejects() -> pd.DataFrame:
    """Return an empty rejects table."""
    return pd.DataFrame({c: pd.Series([], dtype="object") for c in REJECT_COLUMNS})
