"""What the stages of one run share: :class:`RunState`, the as-of date and the inputs' digests."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ... import schema as S
from ...area import (
    Area,
)
from ...config import Config, DensityConfig, as_of_day
from ...errors import InputError
from ...features import FeatureTable
from ...grid import CellPolygons
from ...ingest.stream import PingStore
from ...io import sha256_file
from ..background import Background
from ..cache import StageCache, digest
from ..inputs import companion_hashes, input_identities
from ..manifest import key_version


@dataclass
class RunState:
    """What the stages of one run share."""

    config: Config
    as_of: pd.Timestamp | None
    out: Path
    staging: Path
    cache: StageCache
    progress: Callable[[str], None] | None = None
    failed_dir: Path | None = None  # where a failed run leaves what the user must see
    area: Area = field(default_factory=lambda: Area(None))
    seizures: pd.DataFrame = field(default_factory=S.empty_seizures)
    pings: pd.DataFrame | PingStore = field(default_factory=S.empty_pings)
    #: Each vessel id's ship identity keys (IMO, name and call sign), all track files added up
    vessel_identity: pd.DataFrame | None = None
    spill_root: Path | None = None
    engine: Any = None  # the run's executor (pipeline.engine), opened by ingest
    ports: pd.DataFrame | None = None
    context: dict[str, Any] = field(default_factory=dict)
    rasters: list[dict[str, Any]] = field(default_factory=list)
    ingest_report: dict[str, Any] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    cells: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="uint64"))
    #: The area's cells (at sea, with a land layer) before the cells holding a seizure join
    #: them: those a map can show, whatever the seizures (the back-test's universe).
    area_cells: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="uint64"))
    #: Spilled pings read whole once for the plug-ins recomputed at each origin (see
    #: :func:`factor_context`); None otherwise.
    pings_table: pd.DataFrame | None = None
    features: FeatureTable | None = None
    #: The features table on every cell a back-test origin can score (:func:`_backtest_table`):
    #: the run's table plus the cells its support cut left out; None outside the back-test.
    backtest_features: pd.DataFrame | None = None
    timeline_density: Any = None
    scores: pd.DataFrame | None = None
    timeline: pd.DataFrame | None = None
    evaluation: dict[str, Any] | None = None
    hotspots: dict[str, Any] | None = None
    model_report: dict[str, Any] | None = None
    fitted_coefficients: Any = None
    density_choice: dict[str, Any] | None = None
    #: The density section as the config gave it, before ``density: auto``'s choice replaced
    #: ``auto`` by numbers in :attr:`config` (None without auto): what the notes state.
    density_given: DensityConfig | None = None
    class_breaks: dict[str, Any] | None = None
    #: The scores' cell polygons, built once for the preview and the export's files.
    cell_polygons: CellPolygons = field(default_factory=CellPolygons)
    notes: list[str] = field(default_factory=list)  # what the run says of itself (manifest)
    outputs: dict[str, Path] = field(default_factory=dict)
    #: Outputs written while the later stages run (the pings, once ingest is done).
    background: Background = field(default_factory=Background)
    #: sha256 of each input file taken when the run started (:func:`.inputs.input_files`),
    #: by path: the stages key their caches by these, not by hashing every file again (a
    #: year of daily AIS files was read twice a night).  A file changed since is caught when
    #: the stages end (:func:`.inputs.inputs_changed`) and the run publishes nothing.
    input_hashes: dict[str, str] = field(default_factory=dict)
    #: Each input's device, inode, size and modification time (ns) taken before those
    #: hashes (:func:`.inputs.input_identities`).
    input_identities: dict[str, Any] = field(default_factory=dict)
    #: The code the run computes with (:func:`.manifest.key_version`: route-risk's source and
    #: its libraries' versions), taken once: every cache key and memo holds it.
    code: str = field(default_factory=key_version)

    def file_sha(self, path: str | os.PathLike) -> str:
        """Return the sha256 of an input file: the one taken at the run's start, if any.

        Only while the file is as it was then (device, inode, size, modification time): one
        changed since is hashed again, so a cache entry is never keyed by bytes it was not
        built from (the run then ends without publishing, :func:`.inputs.inputs_changed`).
        """
        key = os.fspath(path)
        known = self.input_hashes.get(key)
        if known is not None and input_identities([key])[key] == self.input_identities.get(key):
            return known
        return sha256_file(path)

    def cached(self, stage: str, key_parts: Any, build: Callable[[], Any]) -> tuple[Any, bool]:
        """Serve ``stage`` from the cache (key: parts + the run's code) or build it."""
        return self.cache.get_or_build(stage, [key_parts, self.code], build)

    @property
    def events(self) -> pd.DataFrame | None:
        """Transit events, when tracks were given."""
        tr = self.features.shared.get("transit") if self.features else None
        return None if tr is None else tr.events


def resolve_as_of(value: Any) -> pd.Timestamp | None:
    """Return the end of the ``as_of`` day in UTC (the whole day counts).

    ``as_of`` is a day: records up to the end of that UTC day are used, and the time decay
    measures ages from that moment (a record of 00:00 that day is one day old).  A value
    with a time of day or a zone other than UTC would be rounded to a whole UTC day, so a
    record after the instant given could count: it is refused.
    """
    value = as_of_day(value)  # "yesterday", "today": the UTC day they name now
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise InputError(
            f"as_of must be a date like 2026-06-30, or yesterday or today, got the number {value!r}"
        )
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(
            f"as_of must be a date like 2026-06-30, or yesterday or today, got {value!r}"
        ) from None
    if ts is pd.NaT:
        raise InputError(
            f"as_of must be a date like 2026-06-30, or yesterday or today, got {value!r}"
        )
    offset = ts.utcoffset()
    if ts != ts.normalize() or (offset is not None and offset != pd.Timedelta(0)):
        raise InputError(
            f"as_of is a day (records up to its end, UTC, are used), got {value!r} with a time "
            "or a time zone; give the UTC date, e.g. 2026-06-30"
        )
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def polygon_sha(state: RunState) -> str | None:
    """sha256 of the area polygon file (with its companions, if it has any), if any."""
    p = state.config.area.polygon
    if p is None:
        return None
    sha, companions = state.file_sha(p), companion_hashes(p)
    return digest([sha, companions]) if companions else sha


def input_digests(state: RunState) -> dict[str, str]:
    out = dict(state.digests)
    for r in state.rasters:
        mask = r["source"].mask  # a companion mask's bytes change the raster's values too
        # the step read ('time: latest' is the latest not after as_of) is part of the values
        selection = (r["assumptions"] or {}).get("selection")
        # GDAL reads an .aux.xml (nodata, scale, georeferencing) or world file beside them
        companions = [companion_hashes(p) for p in [r["path"], *([mask.path] if mask else [])]]
        out[f"raster:{r['name']}"] = digest(
            [
                state.file_sha(r["path"]),
                r["source"].model_dump(mode="json"),
                *([state.file_sha(mask.path)] if mask is not None else []),
                *([selection] if selection else []),
                *([companions] if any(companions) else []),
            ]
        )
    return out
