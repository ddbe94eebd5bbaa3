"""The stage functions the runner wires: each reads its options object and the state.

Every stage takes the :class:`RunState`, adds what it produced and returns nothing; domain
logic lives in the modules it calls (``ingest``, ``area``, ``features``, ``timeline``,
``score``, ``evaluate``, ``render``, ``io``).  What a stage depends on is hashed into its
cache key (:mod:`pipeline.runner.cache`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import logging
import os
import shutil
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import schema as S
from ..area import (
    Area,
    coarse_cells_note,
    read_area,
    region_cells,
    reject_outside_polygon,
    sea_cells,
)
from ..config import Config, DensityConfig, as_of_day
from ..errors import ConfigError, DataQualityError, InputError, SourceUnreadable
from ..features import FeatureTable, compute_features
from ..ingest.stream import PingStore
from ..io import sha256_file
from .background import Background
from .cache import StageCache, digest, frame_digest
from .inputs import companion_hashes, input_identities, input_paths
from .manifest import key_version
from .plan import factor_options, factors_to_compute
from .publish import check_no_links

__all__ = ["STAGE_FUNCTIONS", "RunState", "map_input_names", "resolve_as_of"]

log = logging.getLogger(__name__)


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
    #: :func:`_factor_context`); None otherwise.
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


def _ingest_one(
    state: RunState, kind: str, src, reader, names: set[str], earlier: list | None = None
) -> pd.DataFrame:
    """Read one input file (cached), write its rejects, check the ceiling, report it.

    ``earlier`` holds what the files before this one accepted (seizures: their records;
    tracks: their results or spills): a record or ping one of them gave is rejected here
    (``duplicate_across_files``), not counted twice, and this file's are added to it.  The
    file's own reading stays cached by its own key; what this removes depends on the
    earlier files, and a spill's ``content_key`` says so.
    """
    from ..ingest import reject_repeated_records, source_stem, write_rejects
    from ..ingest.stream import reject_repeated_spill
    from ..ingest.tracks import reject_repeated_pings

    cfg = state.config
    path = Path(src.path)
    if not path.is_file():
        raise SourceUnreadable(
            f"{kind} input {str(path)!r} {'is not a file' if path.exists() else 'does not exist'}"
        )
    sha = state.file_sha(path)
    # the files read with it (a Shapefile's .dbf holds its records): edited alone, a change
    companions = companion_hashes(path)
    polygon = polygon_sha(state)  # hashed once a file (it was twice: key and digest)
    kwargs: dict[str, Any] = {
        "aoi_bbox": state.area.bbox,
        "max_uncompressed_mb": cfg.ingest.max_uncompressed_mb,
    }
    streamed = kind == "tracks" and state.spill_root is not None
    if kind == "seizures":
        kwargs["as_of"] = state.as_of
        kwargs["bbox_as_written"] = state.area.polygon is None
    else:
        kwargs["max_speed_kn"] = cfg.ingest.max_speed_kn
        kwargs["aoi_polygon"] = state.area.polygon  # pings carry no line: reject them here
    key = [
        sha,
        path.name,
        # which files a pattern reads now (settle_minutes) is not how a file is read
        src.model_dump(mode="json", exclude={"path", "settle_minutes"}),
        cfg.ingest.model_dump(mode="json"),
        str(state.as_of) if kind == "seizures" else None,
        state.area.bbox,
        # seizures: whether the bbox is the config's own (its swapped reading is checked)
        polygon if kind == "tracks" else state.area.polygon is None,
        *([companions] if companions else []),
    ]
    if streamed:  # read in chunks into the run's spill folder, cached per file as tables
        result, hit = _spilled(state, reader, src, key, kwargs)
    else:
        # A seizure after a fixed as_of is after_as_of, or date_future once after today: the
        # day of the reading decides its rule (not the table: both are rejects).
        today = (
            str(pd.Timestamp.now(tz="UTC").date()) if kind == "seizures" and state.as_of else None
        )
        result, hit = state.cached(f"ingest {kind}", [*key, today], lambda: reader(src, **kwargs))
    # what the table depends on, stable whether it was parsed or read from the cache
    state.digests[kind] = digest([state.digests.get(kind), key, str(state.as_of), polygon])
    name = _rejects_name(f"{kind}-{source_stem(path)}", names)
    _say_safe_name(state, path, name)
    if streamed:
        if earlier is not None:
            kept = reject_repeated_spill(result, earlier, reader.new_folder())
            if kept is not result:  # its pings are a function of the earlier files' too
                kept.content_key = digest([result.content_key, *(e.content_key for e in earlier)])
            result = kept
            earlier.append(result)
        rejects_path = result.write_rejects(state.staging, name)
    else:
        result = reject_outside_polygon(result, state.area.polygon)
        if earlier is not None and kind == "seizures":
            result = reject_repeated_records(result, earlier)
            earlier.append(result.frame)
        elif earlier is not None:
            result = reject_repeated_pings(result, earlier)
            earlier.append(result)
        rejects_path = write_rejects(result, state.staging, name)
    _within_ceiling(state, result, rejects_path)
    if kind == "tracks":
        from ..ingest.identity import combine_identity

        state.vessel_identity = combine_identity([state.vessel_identity, result.identity])
    state.ingest_report.setdefault(kind, []).append(
        {
            "path": str(path),
            "sha256": sha,
            **({"companions": companions} if companions else {}),
            "bytes": path.stat().st_size,
            "read": int(result.n_read),
            "accepted": int(result.n_accepted),
            "rejected": int(result.n_read - result.n_accepted),
            "by_rule": {r: int(v) for r, v in sorted(result.by_rule.items())},
            "rejects_file": str(rejects_path.relative_to(state.staging)),
            "notes": list(result.notes),
            "assumptions": getattr(result, "assumptions", None),
            "cached": hit,
        }
    )
    return result if streamed else result.frame


def _spilled(state: RunState, reader, src, key: list, kwargs: dict[str, Any]):
    """Spill one track file, or take its spill from the cache.

    The cache keeps each file's spill as it is, its bucket and rejects files (and its
    rejects CSV) in a folder (:class:`~pipeline.ingest.stream.KeptSpill`, under the file's
    sha256 and reading options): a night that adds a day reads the history's bucket files
    where they lie, after checking their hashes, and copies their rejects CSV, instead of
    parsing the file again.  When the number of vessel
    buckets changed (the track inputs doubled), the kept spill is bucketed anew from its own
    files (:func:`~pipeline.ingest.stream.rebucket_spill`), still without parsing.
    """
    from ..ingest.stream import (
        KeptSpill,
        as_cached,
        kept_to_spill,
        rebucket_spill,
        spill_files,
        spill_to_kept,
        with_rejects_csv,
    )

    how = ["spill", _chunk_rows(state), state.config.run.engine]
    name = Path(src.path).name
    got = state.cache.kept("ingest tracks", [[*key, how], state.code])
    if got is not None and not (isinstance(got[0], KeptSpill) and got[0].complete()):
        got = None  # not an entry this code wrote: parsed again
        state.cache.hits["ingest tracks"] = False
    if got is not None and got[0].n_buckets == reader.n_buckets:
        spill, hit = kept_to_spill(*got), True
        log.info("tracks %s: its spill's files kept in the cache are used", name)
    else:
        if got is not None:
            spill = rebucket_spill(kept_to_spill(*got), reader.new_folder(), reader.n_buckets)
            log.info("tracks %s: kept spill bucketed anew (%d buckets)", name, reader.n_buckets)
        else:
            spill = reader(src, **kwargs)
        spill, hit = as_cached(spill), got is not None
        # its rejects CSV, written once and kept with it: a night copies it
        spill = with_rejects_csv(spill, reader.new_folder() / "rejects.csv")
        try:
            files = spill_files(spill)
        except ValueError as exc:  # the run goes on; the next one parses the file again
            log.warning("tracks %s: spill not kept: %s", name, exc)
        else:
            state.cache.keep(
                "ingest tracks",
                [[*key, how], state.code],
                files,
                lambda folder, shas: spill_to_kept(spill, folder, shas),
            )
    spill.content_key = digest([*key, how])  # parsed or from the cache: the same pings
    return spill, hit


def polygon_sha(state: RunState) -> str | None:
    """sha256 of the area polygon file (with its companions, if it has any), if any."""
    p = state.config.area.polygon
    if p is None:
        return None
    sha, companions = state.file_sha(p), companion_hashes(p)
    return digest([sha, companions]) if companions else sha


def _within_ceiling(state: RunState, result, rejects_path: Path) -> None:
    """Stop the run when an input rejects more than ``ingest.max_reject_rate`` of its records.

    The user must see why: the rejects file is published beside the error (in the failed
    run's folder) and named in the message.

    Raises
    ------
    DataQualityError
    """
    from ..ingest import check_reject_rate
    from ..ingest._common import in_bbox

    # A record at exactly (0, 0) holds a placeholder, not a place: where the area does not
    # reach (0, 0) it is out of the run's scope, as a record outside the area is (a run on the
    # Solent was refused for one such record of a world-wide incident file)
    area, zero = state.area, np.zeros(1)
    inside = area.bbox is None or bool(in_bbox(zero, zero, area.bbox)[0])
    if inside and area.polygon is not None:
        import shapely

        inside = bool(shapely.intersects(area.polygon, shapely.Point(0.0, 0.0)))
    scope = None if inside else {"null_island": "at (0, 0), a placeholder outside the area"}
    try:
        check_reject_rate(result, state.config.ingest.max_reject_rate, scope)
    except DataQualityError as exc:
        target = (state.failed_dir or state.out) / "rejects" / rejects_path.name
        check_no_links(state.out, target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(rejects_path, target)
        raise DataQualityError(f"{exc}; the rejected records are in {str(target)!r}") from None


def _context(state: RunState, names: set[str]) -> None:
    """Read the context layers (ports, lanes, land) with their rejects, one frame per kind."""
    import geopandas as gpd

    from ..ingest import read_context, source_stem, write_rejects
    from ..ingest.context import check_ports_placement

    by_kind: dict[str, list] = {}
    for src in state.config.inputs.context_sources():
        path = Path(src.path)
        if not path.is_file():
            raise SourceUnreadable(f"{src.kind} layer {str(path)!r} does not exist")
        sha, companions = state.file_sha(path), companion_hashes(path)
        result, hit = state.cached(
            f"ingest {src.kind}",
            [
                sha,
                path.name,
                src.model_dump(mode="json", exclude={"path"}),
                *([companions] if companions else []),
            ],
            functools.partial(
                read_context, src, max_uncompressed_mb=state.config.ingest.max_uncompressed_mb
            ),
        )
        name = _rejects_name(f"{src.kind}-{source_stem(path)}", names)
        _say_safe_name(state, path, name)
        placement = check_ports_placement(result, state.area.bbox) if src.kind == "ports" else []
        rejects = write_rejects(result, state.staging, name)
        _within_ceiling(state, result, rejects)  # a layer of mostly bad features is no layer
        state.ingest_report.setdefault("context", []).append(
            {
                "kind": src.kind,
                "path": str(path),
                "sha256": sha,
                **({"companions": companions} if companions else {}),
                "read": int(result.n_read),
                "accepted": int(len(result.frame)),
                "rejected": int(result.n_read - len(result.frame)),
                "by_rule": dict(sorted(result.by_rule.items())),
                "rejects_file": str(rejects.relative_to(state.staging)),
                "notes": [*result.notes, *placement],
                "assumptions": result.assumptions,
                "cached": hit,
            }
        )
        state.digests[f"context:{src.kind}"] = digest(
            [state.digests.get(f"context:{src.kind}"), sha, *([companions] if companions else [])]
        )
        by_kind.setdefault(src.kind, []).append(gpd.GeoDataFrame(result.frame, crs="EPSG:4326"))
    state.context = {k: pd.concat(v, ignore_index=True) for k, v in by_kind.items()}
    if "ports" in state.context:
        pts = state.context["ports"]
        # a MultiPoint port (a harbour given as its berths) is its points, not left out
        pts = pts[pts.geometry.geom_type.isin(["Point", "MultiPoint"])].explode(index_parts=False)
        pts = pts[(pts.geometry.geom_type == "Point") & ~pts.geometry.is_empty]
        # ... for the distance to the nearest port too, which measures to Points only (a
        # layer of MultiPoints put every cell 20,015 km, half the Earth, from any port)
        state.context["ports"] = pts.reset_index(drop=True)
        state.ports = pd.DataFrame(
            {
                "name": pts["name"].astype(str).to_numpy(),
                S.LON: pts.geometry.x.to_numpy(),
                S.LAT: pts.geometry.y.to_numpy(),
            }
        )
        state.digests["ports"] = state.digests["context:ports"]


def _raster(state: RunState, r) -> dict[str, Any]:
    """Open a raster lazily and check it can inform the area (refused in one line if not)."""
    from ..grid import average_hexagon_edge_length
    from ..ingest import clip_raster, open_raster, raster_coverage

    cfg = state.config
    da = open_raster(r, memory_budget_mb=cfg.ingest.memory_budget_mb, as_of=state.as_of)
    coverage = raster_coverage(da, state.area.bbox, max_pixels=cfg.ingest.max_raster_pixels)
    if coverage.get("mask_note"):  # the pixels a companion mask made missing: stated
        state.notes.append(coverage["mask_note"])
    # only the area's window is ever read (zonal statistics, the map's overlay); the cells on
    # the bbox's edge reach about one edge beyond it
    edge_km = average_hexagon_edge_length(cfg.area.resolution, unit="km")
    da = clip_raster(da, state.area.bbox, margin_km=2 * edge_km)
    return {
        "name": r.name,
        "path": str(r.path),
        "source": r,
        "data": da,
        "coverage": coverage,
        "assumptions": da.attrs.get("assumptions"),
    }


def _engine(state: RunState):
    """Return the run's engine (``run.engine``), opened on first use, closed with the state."""
    if state.engine is None:
        from ..engine import LocalEngine

        cfg = state.config
        if cfg.run.engine == "dask":
            from ..engine.dask import DaskEngine

            state.engine = DaskEngine.start(cfg.dask)
            weakref.finalize(state, state.engine.close)
        else:
            state.engine = LocalEngine()
    return state.engine


def _chunk_rows(state: RunState) -> int | None:
    """Return the records per chunk of tracks: ``dask.partition_rows`` on Dask, else ingest's."""
    cfg = state.config
    return cfg.dask.partition_rows if cfg.run.engine == "dask" else cfg.ingest.chunk_rows


def _track_reader(state: RunState):
    """``read_tracks`` (cached), or a reader that spills to disk in chunks.

    Tracks are read in chunks when ``ingest.chunk_rows`` is set and the track files hold more
    records than that (smaller ones are read whole and cached per file, as before); on the
    Dask engine always, ``dask.partition_rows`` at a time, the chunks and buckets as tasks.
    A spilled file is cached per file too (:func:`_spilled`).
    """
    from ..ingest import read_tracks
    from ..ingest.stream import estimate_records, n_buckets_for, spill_folder

    cfg = state.config
    chunk_rows = _chunk_rows(state)
    paths = [Path(s.path) for s in cfg.inputs.tracks if Path(s.path).is_file()]
    dask = cfg.run.engine == "dask"
    parent = state.out / ".spill"
    check_no_links(state.out, parent)
    # left by a run that was killed (the run lock keeps others out); removed whether or not
    # this run spills, or a night that reads its tracks whole would keep them for good
    if parent.is_dir():
        for old in parent.iterdir():
            if old.name.startswith(".spill-") and old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
    if not dask and (chunk_rows is None or sum(estimate_records(p) for p in paths) <= chunk_rows):
        return read_tracks
    assert chunk_rows is not None
    root = spill_folder(parent)
    state.spill_root = root
    # removed with the run's state, whether it ends well or not
    weakref.finalize(state, shutil.rmtree, str(root), True)
    total = sum(p.stat().st_size for p in paths)
    return _Spiller(state, root, chunk_rows, n_buckets_for(total, chunk_rows), dask)


@dataclass
class _Spiller:
    """Reads one track file at a time into its own folder of the run's spill (see ingest)."""

    state: RunState
    root: Path
    chunk_rows: int
    n_buckets: int
    dask: bool
    count: int = 0

    def new_folder(self) -> Path:
        """Return the next file's spill folder."""
        self.count += 1
        return self.root / f"{self.count - 1:03d}"

    def __call__(self, src, **kwargs):
        from ..ingest.stream import spill_tracks, spill_tracks_partitioned

        folder = self.new_folder()
        if self.dask:
            return spill_tracks_partitioned(
                [src],
                [folder],
                _engine(self.state),
                chunk_rows=self.chunk_rows,
                n_buckets=self.n_buckets,
                **kwargs,
            )[0]
        return spill_tracks(
            src, folder, chunk_rows=self.chunk_rows, n_buckets=self.n_buckets, **kwargs
        )


def _say_safe_name(state: RunState, path: Path, name: str) -> None:
    """State in the manifest's notes a rejects file named otherwise than its input.

    An input's name holding a newline, an escape or a bidi override is not copied into the
    output folder (:func:`~pipeline.ingest.safe_file_stem`): the note gives both names.
    """
    from ..ingest import FILE_NAME_RULE, source_stem

    if source_stem(path) != source_stem(path, safe=False):
        state.notes.append(
            f"the input file {path.name!r} is not a name route-risk writes as it is: its "
            f"rejects file is rejects/{name}.csv ({FILE_NAME_RULE})"
        )


def _rejects_name(base: str, names: set[str]) -> str:
    """Return ``base``, or ``base-2``, ``base-3``... if taken, and add its key to ``names``.

    Two inputs of one stem (``a/ais.csv``, ``b/ais.csv.gz``) keep two rejects files.  Names
    that differ only in case or Unicode normalisation (``AIS.csv`` and ``ais.csv``, an ``é``
    composed or not) are one file on a case-insensitive file system (macOS, Windows, a
    share): they are taken as the same name, so one rejects file never overwrites another.
    """
    name, k = base, 2
    while _name_key(name) in names:  # the names taken, as keys (a set: one look-up each)
        name, k = f"{base}-{k}", k + 1
    names.add(_name_key(name))
    return name


def _name_key(name: str) -> str:
    """Return ``name`` as a case- and normalisation-insensitive file system compares it."""
    import unicodedata

    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def ingest(state: RunState) -> None:
    """Read every input (cached per file), reject outside the area, open the rasters."""
    from ..ingest import read_seizures, sort_seizures, top_rules
    from ..ingest.stream import PingStore

    cfg = state.config
    state.area = read_area(cfg.area.bbox, cfg.area.polygon)
    state.notes.extend(n for n in state.area.notes if n not in state.notes)
    state.ingest_report = {"seizures": [], "tracks": []}
    names: set[str] = set()
    seen: list[pd.DataFrame] = []  # the seizures accepted so far, for records given twice
    tracks: list = []  # the track files read so far, for pings given twice
    frames = {
        kind: [
            _ingest_one(state, kind, src, reader, names, seen if kind == "seizures" else tracks)
            for src in sources
        ]
        for kind, sources, reader in (
            ("seizures", cfg.inputs.seizures, read_seizures),
            ("tracks", cfg.inputs.tracks, _track_reader(state) if cfg.inputs.tracks else None),
        )
    }
    if frames["seizures"]:
        state.seizures = pd.concat(frames["seizures"], ignore_index=True)
    if cfg.density.use_quantity:
        _say_mixed_units(state)
    if frames["tracks"] and state.spill_root is not None:
        rows = _chunk_rows(state)
        assert rows is not None
        state.pings = PingStore(frames["tracks"], state.spill_root, rows)
    elif frames["tracks"]:
        pings = pd.concat(frames["tracks"], ignore_index=True)
        state.pings = pings.sort_values([S.VESSEL_ID, S.TIME], kind="stable").reset_index(drop=True)
    _context(state, names)
    state.rasters = [_raster(state, r) for r in cfg.inputs.rasters]
    if cfg.inputs.seizures and state.seizures.empty:
        total: Counter[str] = Counter()
        for e in state.ingest_report["seizures"]:
            total.update(e["by_rule"])
        why = f" ({top_rules(total)})" if total else ""
        raise InputError(f"no seizure record survived ingest{why}; {_kept_rejects(state)}")
    if cfg.inputs.tracks and not cfg.inputs.seizures and state.pings.empty:
        raise InputError(f"no AIS/GPS position survived ingest; {_kept_rejects(state)}")
    if state.as_of is None:  # the day of the last event (or position, in a tracks-only run)
        last = state.seizures[S.TIME].max() if len(state.seizures) else _time_max(state.pings)
        _refuse_a_future_as_of(state, last)
        state.as_of = last.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        state.notes.append(
            f"run.as_of not set: the run is as of {state.as_of.date()}, the day of the latest "
            f"{'seizure' if len(state.seizures) else 'position'} (records to the end of that "
            "day are used, ages count from it); set run.as_of or --as-of for another day"
        )
    # one order of the records' values, not of the files' rows: the bootstrap and the cv
    # bandwidth draw records by position (tests/test_invariance_found.py)
    state.seizures = sort_seizures(state.seizures[state.seizures[S.TIME] <= state.as_of])
    if len(state.pings):  # final now: written on the second core while the stages compute
        state.background.submit("pings", _write_pings, state.pings, state.staging / "pings.parquet")


def _say_mixed_units(state: RunState) -> None:
    """Warn (log and manifest) when ``use_quantity`` weighs quantities of different units.

    Ingest converts masses to kg and keeps any other unit as reported (persons, packets,
    litres); the seizures table keeps no unit per record, so the density adds them as plain
    numbers: 12 packets weigh as 12 kg.  Across commodities that is what
    ``density.commodity_weights`` scales; it must not go unsaid.
    """
    units: Counter[str] = Counter()
    for e in state.ingest_report.get("seizures", []):
        q = (e.get("assumptions") or {}).get("quantity_unit")
        if not q:
            continue
        if q.get("unit") == "kg":
            units["kg"] += int(e["accepted"])
        elif q.get("unit") == "as reported":
            units["no unit stated"] += int(e["accepted"])
        else:
            units["kg"] += sum(q.get("converted_to_kg", {}).values())
            units.update(q.get("kept_as_reported", {}))
    if len(units) > 1:
        said = ", ".join(f"{k} ({v})" for k, v in units.most_common())
        note = (
            f"density.use_quantity weighs each seizure by its quantity, but the quantities are "
            f"in different units: {said}; they are added as numbers (12 packets weigh as 12 "
            "kg): scale each commodity with density.commodity_weights, or set use_quantity: false"
        )
        log.warning(note)
        state.notes.append(note)


def _refuse_a_future_as_of(state: RunState, last: pd.Timestamp) -> None:
    """Refuse to take ``as_of`` from a record dated after today (UTC, a day of slack).

    Without ``run.as_of`` the map is of the day of the latest record; a record after today
    cannot have happened (a two-digit year read in the wrong century, a wrong date column),
    and taking its day would age every real record by the difference, silently.

    Raises
    ------
    InputError
        Naming the latest date, how many records are after today and what to do.
    """
    if pd.isna(last):
        return
    today = pd.Timestamp.now(tz="UTC").normalize() + pd.Timedelta(days=2)
    if last < today:
        return
    if len(state.seizures):
        n = int((state.seizures[S.TIME] >= today).sum())
        what = f"{n} seizure record(s) are dated after today, the latest {last.date()}"
    else:
        what = f"positions are dated after today, the latest {last.date()}"
    raise InputError(
        f"run.as_of is not set and would be taken from the latest record, but {what}: a date "
        "read in the wrong century or from the wrong column? Check the dates (the ingest "
        "summary names the date column and formats) or set run.as_of (--as-of)"
    )


def _kept_rejects(state: RunState) -> str:
    """Move the run's rejects files where a failed run leaves them; say where they are.

    The staging folder of a failed run is removed: the rejects that explain the failure
    must outlive it (as for a run stopped by ``ingest.max_reject_rate``).
    """
    source = state.staging / "rejects"
    target = (state.failed_dir or state.out) / "rejects"
    files = sorted(source.glob("*.csv")) if source.is_dir() else []
    if not files:
        return "no record was read"
    for f in files:  # before anything is made: a link on the way is refused, not written through
        check_no_links(state.out, target / f.name)
    target.mkdir(parents=True, exist_ok=True)
    for f in files:
        os.replace(f, target / f.name)
    return f"the rejected records are in {str(target)!r}"


def _write_pings(pings: pd.DataFrame | PingStore, path: Path, stop=None) -> Path:
    """Write the pings table to ``path`` (a store a row group at a time, stopping on ``stop``)."""
    from ..io import write_parquet

    if isinstance(pings, pd.DataFrame):
        return write_parquet(pings, path)
    return pings.write_parquet(path, stop=stop)


def _time_max(pings) -> pd.Timestamp:
    """Latest ping time of a pings frame or a :class:`~pipeline.ingest.stream.PingStore`."""
    if isinstance(pings, pd.DataFrame):
        return pings[S.TIME].max()
    return pings.time_max if pings.time_max is not None else pd.NaT


def _extent(pings) -> pd.DataFrame | tuple[Any, float, float] | None:
    """Return the pings' positions, or a store's longitude extents and latitude bounds."""
    if isinstance(pings, pd.DataFrame):
        return pings
    if pings.extent is None:
        return None
    _, lat0, _, lat1 = pings.extent
    return pings.longitude_extents(), lat0, lat1


def cells(state: RunState) -> None:
    """Find the H3 cells of the area, or of the data's extent."""
    a = state.config.area
    # the polygon's bytes, not only its path: one edited in place (the same extent) gives
    # other cells
    key: list[Any] = [a.model_dump(mode="json"), state.area.bbox, polygon_sha(state)]
    if not state.area.given:
        key.append([state.digests.get("seizures"), state.digests.get("tracks")])
    frame, _ = state.cached(
        "cells",
        key,
        lambda: pd.DataFrame(
            {
                S.CELL: region_cells(
                    state.area, state.seizures, _extent(state.pings), a.resolution, a.margin_km
                )
            }
        ),
    )
    state.cells = frame[S.CELL].to_numpy(dtype="uint64")
    for note in coarse_cells_note(state.area, state.cells, a.resolution):
        if note not in state.notes:
            state.notes.append(note)
    land = state.context.get("land") if a.exclude_land is not False else None
    if land is not None and a.exclude_land is None:
        _refuse_land_theatre(state, state.cells, land)
    state.cells = _with_seizure_cells(state, state.cells, land)


def _refuse_land_theatre(state: RunState, region: np.ndarray, land) -> None:
    """Refuse a land layer left to leave out the land cells of a theatre on land.

    ``area.exclude_land`` keeps the cells at sea: right for a maritime theatre, where a
    coarse coastline covers a few harbours' seizures (customs seizures at the quay).  Where
    the tracks mostly lie on the land layer (road smuggling: vehicles), or, without tracks,
    most of the area's seizures do, the map would show only the seizures' own cells, and
    every vehicle-hour, gap and loitering on the roads between them would vanish without a
    word.  Which theatre it is cannot be guessed safely then, so the config must say.  The
    tracks decide when there are any: AIS at sea beside seizures at ports on land is a
    maritime theatre.
    """
    from ..grid import cells_in, points_to_cells

    res = state.config.area.resolution
    if not len(region):
        return
    what, points = "seizures", state.seizures
    sample = _ping_sample(state.pings)
    if sample is not None and len(sample):
        what, points = "track positions (a sample)", sample
    if points is None or not len(points):
        return
    held = points_to_cells(
        points[S.LON].to_numpy(dtype="float64"), points[S.LAT].to_numpy(dtype="float64"), res
    )
    held = held[cells_in(held, region)]
    if not held.size:
        return
    on_land = ~cells_in(held, sea_cells(np.unique(held), land))
    if 2 * int(on_land.sum()) <= held.size:
        return
    n_region = len(region)
    n_sea = len(sea_cells(region, land))
    raise ConfigError(
        f"{int(on_land.sum())} of the area's {held.size} {what} lie on the land layer, and "
        f"{n_region - n_sea} of its {n_region} cells: a theatre on land? area.exclude_land "
        "(not set) would score only the cells at sea and those holding seizures; set "
        "area.exclude_land: false to score the land (road or border smuggling), or true to "
        "keep the sea only"
    )


#: Track positions looked at to tell a theatre on land from one at sea (about as many).
_PING_SAMPLE = 100_000


def _ping_sample(pings) -> pd.DataFrame | None:
    """Return about :data:`_PING_SAMPLE` accepted pings' positions, chosen by their values.

    A ping is taken when a hash of its position and time falls in one k-th of the hash's
    range (k: the pings over :data:`_PING_SAMPLE`), so the sample is the same pings whether
    the table is held whole or spilled (``ingest.chunk_rows``) in buckets of vessels: every
    k-th row of the one and the first bucket group of the other were different pings, and a
    fleet of trucks beside ships was refused read whole and cut to the sea spilled.  The
    time is hashed too: a position reported again and again (a truck parked at its depot, a
    ship at its berth) is as many pings, and by its position alone all of them or none were
    taken, a third of a feed at one depot weighing none or two thirds of the sample.
    """
    if pings is None or not len(pings):
        return None
    step = np.uint64(max(1, len(pings) // _PING_SAMPLE))
    if isinstance(pings, pd.DataFrame):
        tables: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]] = [
            (
                pings[S.LON].to_numpy(),
                pings[S.LAT].to_numpy(),
                pings[S.TIME].to_numpy(dtype="datetime64[ns]").view("int64"),
            )
        ]
    else:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        untimed = np.iinfo("int64").min  # NaT's int64, as the table held whole has it

        def columns(t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            ns = t.column(S.TIME).cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
            return (
                t.column(S.LON).to_numpy(),
                t.column(S.LAT).to_numpy(),
                pc.fill_null(ns, untimed).to_numpy(),
            )

        tables = (
            columns(pq.read_table(p, columns=[S.LON, S.LAT, S.TIME]))
            for ps in pings.files.values()
            for p in ps
        )
    parts = []  # each file's sample as it is read: memory is the sample's, not the tracks'
    for lon, lat, t in tables:
        lon, lat = lon.astype("float64"), lat.astype("float64")
        keep = _ping_hash(lon, lat, t.astype("int64")) % step == 0
        parts.append((lon[keep], lat[keep]))
    lon, lat = (np.concatenate(a) for a in zip(*parts, strict=True))
    return pd.DataFrame({S.LON: lon, S.LAT: lat})


def _ping_hash(lon: np.ndarray, lat: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Return a 64-bit hash of each ping's position and time bits (splitmix64's finaliser)."""
    h = lon.view("uint64") ^ (lat.view("uint64") * np.uint64(0x9E3779B97F4A7C15))
    h ^= t.view("uint64") * np.uint64(0xD6E8FEB86659FD93)
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _with_seizure_cells(state: RunState, region: np.ndarray, land) -> np.ndarray:
    """Return the area's cells (those at sea, given ``land``) and every cell holding a seizure.

    A cell belongs to the area when its centre does, and a land layer leaves out the cells
    whose centre is on land; a seizure of the area whose cell failed either test (a record
    near the area's edge, in a cell centred beyond it; an anchorage or harbour that a coarse
    coastline such as Natural Earth 1:110m covers) was counted, yet its cell was neither scored
    nor drawn: the seizure vanished from the map without a word (a third of the IMB piracy
    records of South-East Asia).  A seizure places its cell on the map, as it does against the
    density's support cut; the cells so added are stated.
    """
    from ..grid import cells_in, points_to_cells

    cells_ = region if land is None else sea_cells(region, land)
    state.area_cells = cells_
    seizures = state.seizures
    if seizures is None or not len(seizures):
        return cells_
    held = points_to_cells(
        seizures[S.LON].to_numpy(dtype="float64"),
        seizures[S.LAT].to_numpy(dtype="float64"),
        state.config.area.resolution,
    )
    missing = ~cells_in(held, cells_)
    if not missing.any():
        return cells_
    on_land = missing & cells_in(held, region)
    said = (
        (on_land, "on the land layer", "; the other cells on land are left out"),
        (missing & ~on_land, "outside the area", " (records near its edge)"),
    )
    for which, where, more in said:
        if which.any():
            note = (
                f"{len(np.unique(held[which]))} cell(s) whose centre lies {where} are scored: "
                f"they hold {int(which.sum())} seizure(s) of the area{more}"
            )
            log.info(note)
            state.notes.append(note)
    return np.union1d(cells_, held[missing]).astype("uint64")


def density_parameters(state: RunState) -> None:
    """Choose ``density: auto`` parameters by the rolling back-test; the run uses the numbers."""
    from ..evaluate import BacktestOptions
    from ..model import select_density_parameters

    cfg = state.config
    d = cfg.density
    if not d.auto:
        return
    assert state.as_of is not None
    if isinstance(d.bandwidth_km, str) and d.bandwidth_km != "auto":
        raise ConfigError(
            f"half_life_days: auto needs a numeric bandwidth_km or 'auto', got {d.bandwidth_km!r}"
        )
    bws = d.auto_bandwidths_km if isinstance(d.bandwidth_km, str) else (d.bandwidth_km,)
    hls = d.auto_half_lives_days if d.half_life_days == "auto" else (d.half_life_days,)
    opts = BacktestOptions(**cfg.evaluate.model_dump(exclude={"enabled"}))
    past = state.seizures[state.seizures[S.TIME] <= state.as_of]
    key = [
        state.digests.get("seizures"),
        str(state.as_of),
        d.model_dump(mode="json"),
        opts.model_dump(mode="json"),
        cfg.area.resolution,
        frame_digest(state.area_cells),
    ]

    def build() -> dict[str, Any]:
        try:
            return select_density_parameters(
                past,
                None,  # the universe comes from each origin's history, as in the back-test
                resolution=cfg.area.resolution,
                bandwidths_km=bws,
                half_lives_days=hls,
                kernel=d.kernel,
                options=opts,
                within=state.area_cells,  # the cells a map can show, as in the back-test
            )
        except InputError as exc:
            raise InputError(f"density: auto: {exc}") from None

    choice, _ = state.cached("density-parameters", key, build)
    state.density_choice = choice
    chosen = d.model_copy(
        update={"bandwidth_km": choice["bandwidth_km"], "half_life_days": choice["half_life_days"]}
    )
    state.density_given = d
    state.config = cfg.model_copy(update={"density": chosen})
    log.info(
        "density: auto chose bandwidth %s km, half-life %s days (%s)",
        choice["bandwidth_km"],
        choice["half_life_days"],
        choice["why"],
    )


def _input_digests(state: RunState) -> dict[str, str]:
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


def _factor_context(state: RunState, cells, as_of, seizures, plugins) -> Any:
    """Return the factors' context on ``cells`` as of ``as_of`` with these ``seizures``.

    A plug-in among ``plugins`` that needs the tracks reads the pings table: spilled pings
    (a store) are then read whole for it, once a run: when such a plug-in is recomputed at
    each origin (:func:`_seizure_plugins`) the table is kept for them, not read whole again
    at every training and back-test origin.
    """
    from ..factors import FactorContext

    pings = state.pings
    if not isinstance(pings, pd.DataFrame) and any("tracks" in f.needs for f in plugins):
        if state.pings_table is not None:
            pings = state.pings_table
        else:
            pings = pings.to_frame()
            if any("tracks" in f.needs for f in _seizure_plugins(state)):
                state.pings_table = pings
    return FactorContext(
        cells=cells,
        resolution=state.config.area.resolution,
        as_of=as_of,
        seizures=seizures,
        pings=pings,
        vessel_identity=state.vessel_identity,
        rasters={r["name"]: r["data"] for r in state.rasters},
        ports=state.ports,
        context=state.context,
        window_cells=state.cells,
    )


def features(state: RunState) -> None:
    """Every factor on the cells, each cached by its inputs, options and code."""
    cfg = state.config
    digests = _input_digests(state)
    todo = factors_to_compute(cfg)

    key_for = _feature_key(state, digests)
    assert state.as_of is not None
    base = _factor_context(
        state,
        state.cells,
        state.as_of,
        state.seizures,
        [f for f in todo if not f.builtin],  # a plug-in reading the pings gets the table whole
    )
    from ..engine import use_engine

    try:
        with use_engine(_engine(state)):  # the factors' partitioned passes run on it
            state.features = compute_features(
                todo,
                base,
                area_given=state.area.given,
                cells_mode=cfg.area.cells,
                options_for=lambda f: factor_options(cfg, f),
                key_for=key_for,
                cached=state.cached,
                progress=state.progress,
                memo_for=lambda name, key, **kw: state.cache.memo(
                    f"memo {name}", [key, state.code], **kw
                ),
            )
    finally:  # no later stage uses the engine: a local cluster stops here
        state.engine.close()
    if state.features.table.empty:
        raise InputError("no H3 cell has any observation inside the area of interest")
    _say_track_time_not_scored(state)
    _say_kernels_narrow_for_cells(state)


def _say_kernels_narrow_for_cells(state: RunState) -> None:
    """Warn (log and manifest) of each kernel too narrow for a density taken at cell centres.

    And state each default bandwidth the cells' resolution widened (log and manifest).
    """
    assert state.features is not None
    h = state.features.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km")
    given = state.config
    if state.density_given is not None:
        # auto's candidates (density.auto_bandwidths_km) and the KDE that sets its universe
        # are stated of the config as given: the chosen numbers have no 'auto' left in them
        given = given.model_copy(update={"density": state.density_given})
    for said in given.resolution_default_notes(density=h is not None):
        log.info(said)
        state.notes.append(said)
    rule = state.config.density.bandwidth_km
    how = f"{rule} rule" if isinstance(rule, str) else None
    choice = state.density_choice  # the config now holds the numbers auto chose
    if choice is not None and len({r["bandwidth_km"] for r in choice.get("table", [])}) > 1:
        how = "auto's choice"  # not with half_life_days: auto alone
    for note in narrow_kernel_notes(state.config, h, how):
        log.warning(note)
        state.notes.append(note)


def narrow_kernel_notes(
    cfg: Config, density_bandwidth_km: float | None, density_how: str | None = None
) -> list[str]:
    """Return a note for each kernel of a run too narrow for a density taken at cell centres.

    The config refuses a bandwidth below a quarter of the cell edge; up to about two edges
    (one for the gaussian) the density at a cell's centre is still typically 10 % to 100 %
    off the density over the cell (:func:`pipeline.density.centre_sampling_note`).

    Parameters
    ----------
    cfg : Config
        The run's config: the fitted model's, the back-test's and the transit smoothing's
        bandwidths and kernels are read from it where the run uses them.
    density_bandwidth_km : float or None
        The seizure density's bandwidth as used (a rule's or ``auto``'s choice in km); None
        without a seizure density.
    density_how : str, optional
        How it was chosen (``"silverman rule"``, ``"auto's choice"``), said in the note.
    """
    from ..density import centre_sampling_note

    used: list[tuple[str, float, str]] = []
    if density_bandwidth_km is not None:
        what = "density.bandwidth_km" + (f" ({density_how})" if density_how else "")
        used.append((what, float(density_bandwidth_km), cfg.density.kernel))
    if cfg.score.model == "fitted":
        used += [
            ("score.fitted.bandwidths_km", float(h), cfg.score.fitted.kernel)
            for h in cfg.score.fitted.bandwidths_km
        ]
    if cfg.evaluate.enabled:
        kde = ("evaluate.kde_bandwidth_km", cfg.evaluate.kde_bandwidth_km, cfg.evaluate.kde_kernel)
        used.append(kde)
    if cfg.inputs.tracks and cfg.transit.smooth_events_km > 0:
        used.append(("transit.smooth_events_km", cfg.transit.smooth_events_km, cfg.density.kernel))
    notes = [centre_sampling_note(what, h, k, cfg.area.resolution) for what, h, k in used]
    return [n for n in notes if n is not None]


def _say_track_time_not_scored(state: RunState) -> None:
    """Note the vessel-hours that lie in cells the run does not score.

    With ``area.exclude_land`` a harbour that a coarse coastline covers holds its tracks'
    time in cells that are not scored: the Solent's AIS put 100 of its 107 vessel-hours in
    one cell centred on Natural Earth 1:110m's land, and the map and tables showed the 3.1 h
    of the one Solent cell they scored without a word.
    """
    from ..builtin_factors import TRANSIT_SHARED
    from ..grid import cells_in

    ft = state.features
    tr = ft.shared.get(TRANSIT_SHARED) if ft is not None else None
    if ft is None or tr is None or not len(tr.features):
        return
    cells_ = tr.features[S.CELL].to_numpy(dtype="uint64")
    hours = tr.features[S.VESSEL_HOURS].to_numpy(dtype="float64")
    left = ~cells_in(cells_, ft.table[S.CELL].to_numpy(dtype="uint64")) & (hours > 0)
    if left.any():
        note = (
            f"{hours[left].sum():,.1f} of the tracks' {hours.sum():,.1f} vessel-hours lie in "
            f"{int(left.sum())} cell(s) the run does not score (centred on the land layer "
            "with area.exclude_land, or outside the area): the map and the tables leave "
            "that time out"
        )
        log.info(note)
        state.notes.append(note)


def _feature_key(state: RunState, digests: dict[str, str]) -> Callable[[Any], list[Any]]:
    """Return ``key_for(factor)``: what a factor's values depend on besides the cells."""
    cfg = state.config
    # positions after as_of are left out of the transit pass: only then does its result
    # depend on as_of (a nightly run whose tracks end before it keeps its cache)
    last = _time_max(state.pings) if len(state.pings) else None
    tracks_after = last is not None and state.as_of is not None and last > state.as_of

    def key_for(f) -> list[Any]:
        opts = factor_options(cfg, f).model_dump(mode="json")
        cut = f.time_dependent or (tracks_after and "tracks" in f.needs)
        when = str(state.as_of) if cut else None
        needs = list(f.needs)
        if "tracks" in needs and "ports" not in needs:
            # the pass over the tracks reads the ports (loitering and encounters count only
            # away from them): a changed ports file changes its events (as the timeline's
            # key says), though no tracks factor names the ports among its needs
            needs.append("ports")
        # the parts kept without the cells (the pass over the tracks, ``no_cells``) bin the
        # positions into cells of this resolution: another one is another result
        res = cfg.area.resolution
        return [f.name, f.code_digest(), opts, [digests.get(n) for n in needs], when, res]

    return key_for


def timeline(state: RunState) -> None:
    """Compute each month's factors from the data up to that month (the costly half of the slider).

    The seizure density of every month, and the transit factors the score uses where the
    positions reach back to the month's start (see :mod:`pipeline.timeline`).
    """
    from ..density import density_memo
    from ..timeline import TimelineFactors, timeline_factors

    cfg = state.config
    assert state.features is not None and state.as_of is not None
    cells_ = state.features.table[S.CELL].to_numpy(dtype="uint64")
    transit = _timeline_transit_factors(state)
    key = [
        state.digests["seizures"],
        cfg.timeline.months,
        cfg.density.model_dump(mode="json"),
        frame_digest(cells_),
        frame_digest(state.cells),
        str(state.as_of),
        [f.name for f in transit],
        [factor_options(cfg, f).model_dump(mode="json") for f in transit],
        state.digests.get("tracks") if transit else None,
        state.digests.get("ports") if transit else None,
    ]

    # the months' kernel sums by tiles, each kept under the hash of its inputs
    memo = state.cache.memo("memo density timeline", [state.code])

    def build() -> TimelineFactors:
        with density_memo(memo):
            got = timeline_factors(
                state.seizures,
                cells_,
                state.as_of,
                cfg.timeline.months,
                cfg.density,
                state.cells,
                tracks=_track_history(state, cells_, transit) if transit else None,
            )
        return got if got is not None else TimelineFactors(pd.DataFrame(), pd.DataFrame())

    got, _ = state.cached("timeline", key, build)
    state.timeline_density = got if len(got.table) else None
    covered = S.SEIZURE_DENSITY + S.COVERED_SUFFIX
    if len(got.table) and covered in got.table.columns:
        by_month = got.table.groupby(S.PERIOD, sort=True)[covered].any()
        empty = [str(p) for p, any_ in by_month.items() if not any_]
        if empty:
            state.notes.append(
                f"timeline: no seizure is on record by the end of {', '.join(empty)}: "
                "their seizure density is not covered (no data, not a density of zero) and "
                "their risk on the slider comes from the other factors alone"
            )


def _timeline_transit_factors(state: RunState) -> list:
    """Return the transit factors the score weighs (recomputed per month where tracks allow)."""
    weights = state.config.score.factors
    return [
        f
        for f in factors_to_compute(state.config)
        if f.section == "transit" and f.name in weights and weights[f.name].weight > 0
    ]


def _track_history(state: RunState, cells_: np.ndarray, transit: list):
    """Return ``tracks(cutoff, start)`` for :func:`pipeline.timeline.timeline_factors`.

    A month whose end is past the last position sees all of them: today's values are its own.
    A month the positions reach back to (the first within the month's first day) is
    recomputed from the positions up to its end.  Otherwise (the record starts later, or the
    tracks were read in chunks and live on disk) None: the month uses today's values.
    """
    from ..factors import FactorContext

    cfg, ft, pings = state.config, state.features, state.pings
    assert ft is not None
    if not len(pings):
        return None
    if isinstance(pings, pd.DataFrame):
        first, last = pings[S.TIME].min(), pings[S.TIME].max()
    else:
        first, last = None, pings.time_max
    today = ft.table.set_index(S.CELL).reindex(pd.Index(cells_, name=S.CELL))
    names = [f.name for f in transit]
    cols = [c for n in names for c in (n, n + S.COVERED_SUFFIX) if c in today.columns]

    def tracks(cutoff: pd.Timestamp, start: pd.Timestamp) -> pd.DataFrame | None:
        if last is not None and last <= cutoff:
            return today[cols].reset_index()
        if first is None or first >= start + pd.Timedelta(days=1):
            return None
        assert isinstance(pings, pd.DataFrame)
        past = pings[pings[S.TIME] <= cutoff]
        base = FactorContext(
            cells=cells_,
            resolution=cfg.area.resolution,
            as_of=cutoff,
            seizures=state.seizures[state.seizures[S.TIME] <= cutoff],
            pings=past,
            vessel_identity=state.vessel_identity,
            ports=state.ports,
            context=state.context,
            window_cells=state.cells,
        )
        shared: dict[str, Any] = {}  # one transit pass per month for all its factors
        out = {S.CELL: cells_}
        for f in transit:
            got = f(dataclasses.replace(base, options=factor_options(cfg, f), _shared=shared))
            out[f.name] = got.values
            out[f.name + S.COVERED_SUFFIX] = got.covered
        return pd.DataFrame(out)

    return tracks


def _fitted_scores(
    state: RunState, table: pd.DataFrame, weighted: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Publish the fitted model: expected events, P(at least one), relative risk and shares.

    ``risk`` becomes the percentile (0-100) of the expected events per km² among the cells
    (:func:`pipeline.score.area_percentile`: near-equal rates tie, at their lowest rank),
    so the classes are shares of the area; each selected feature's multiplicative share of the
    cell's relative risk is ``<feature>__share``.  The weighted view's columns (values,
    ``__norm``, ``__contrib``, ``__covered``) stay beside them.
    """
    from ..grid import cell_area_km2
    from ..hotspots import FittedCoefficients
    from ..model import FittedModel
    from ..score import area_percentile, classify

    cfg = state.config
    cells_ = table[S.CELL].to_numpy(dtype="uint64")
    model = FittedModel(cfg.score.fitted).fit(
        state.seizures,
        cells_,
        state.as_of,
        factors=_fitted_factors(state, _extra_factors(table, cfg.score.factors), cells_),
    )
    pred = model.predict().drop(columns=[S.HEX_ID])
    shares = model.shares().drop(columns=["relative_risk"])
    shares.columns = [c if c == S.CELL else f"{c}__share" for c in shares.columns]
    # the weighted view's points stay beside the fitted columns (the card shows both)
    keep = [c for c in weighted.columns if c != "top_factor"]
    out = (
        weighted[keep]
        .merge(
            pred.rename(
                columns={
                    "expected": "expected_events",
                    "p_any": "p_any_event",
                    "score": "expected_per_km2",
                }
            ),
            on=S.CELL,
            how="left",
        )
        .merge(shares, on=S.CELL, how="left")
    )
    # what the uncertainty draws from (small arrays: the model's training rows are let go)
    state.fitted_coefficients = FittedCoefficients.from_model(model)
    pct = area_percentile(
        out["expected_per_km2"].to_numpy(dtype="float64"), area=cell_area_km2(out[S.CELL])
    )
    out[S.RISK] = np.round(pct, 6)
    out[S.RISK_CLASS] = classify(pct, cfg.score.class_breaks, cfg.score.class_labels)
    share_cols = [c for c in shares.columns if c != S.CELL and c != "area__share"]
    if share_cols:
        arr = out[share_cols].to_numpy(dtype="float64")
        best = np.argmax(np.nan_to_num(arr, nan=-np.inf), axis=1)
        names = np.array([c.removesuffix("__share") for c in share_cols], dtype=object)
        top = names[best]
        top[np.isnan(arr).all(axis=1)] = None
        out["top_factor"] = top
    return out, model.report()


def _no_risk_where_unobserved(scores: pd.DataFrame) -> pd.DataFrame:
    """Blank ``risk``, ``risk_class`` and ``top_factor`` of the cells with no observation.

    The map shows such a cell as "no data" and the timeline has no risk for it in any month;
    the tables said the same only through ``observed``, beside a number: a context raster
    alone gave it weighted points (a low risk), and the fitted model's extrapolation (its
    "raster missing" term, say) a percentile up to 99.  The factor values, and the fitted
    model's ``expected_events`` and shares, stay: they are what the model says, not an
    observation.  The fitted percentile still ranks every cell of the area.
    """
    unseen = ~scores[S.OBSERVED].to_numpy(dtype=bool)
    if not unseen.any():
        return scores
    out = scores.copy()
    out[S.RISK] = np.where(unseen, np.nan, out[S.RISK].to_numpy(dtype="float64"))
    for col in (S.RISK_CLASS, "top_factor"):
        if col in out.columns:
            out[col] = out[col].astype(object).where(~unseen, None)
    return out


def _say_factors_covering_no_cell(state: RunState, table: pd.DataFrame) -> None:
    """Note each weighted factor that covers none of the cells scored.

    Its weight is rescaled away in every cell, so the map is the other factors' alone: a
    raster of the wrong place (a UTM scene of the Bahamas over the Caribbean's seizure cells)
    or AIS of other days showed only as "not covered" on each card, never for the run.
    """
    none = [
        f"{name!r} (weight {w.weight:g})"
        for name, w in state.config.score.factors.items()
        if w.weight > 0
        and len(table)
        and name + S.COVERED_SUFFIX in table.columns
        and not table[name + S.COVERED_SUFFIX].to_numpy(dtype=bool).any()
    ]
    if none:
        note = (
            f"score factor(s) {', '.join(none)} cover none of the {len(table)} cells scored: "
            "their weight goes to the other factors in every cell, and the map is theirs alone"
        )
        log.warning(note)
        state.notes.append(note)


def _say_factors_of_one_value(state: RunState, table: pd.DataFrame) -> None:
    """Note each weighted factor that has one value in every cell it covers.

    Normalised, it is 1 (or 0) in each of them: every cell gets the same points from it and
    it ranks none, so its weight only lifts (or lowers) every risk against the map's fixed
    class breaks.  A plug-in that returns a constant (a scale option read as the value, a
    forgotten per-cell term) was scored so without a word; the fitted model drops it.
    """
    weights = {n: w.weight for n, w in state.config.score.factors.items() if w.weight > 0}
    total = sum(weights.values())
    for name, weight in weights.items():
        if name not in table.columns:
            continue
        raw = table[name].to_numpy(dtype="float64")
        seen = raw[~np.isnan(raw)]
        if seen.size < 2 or seen.min() != seen.max():
            continue
        points = 100.0 * weight / total if seen[0] > 0 else 0.0
        note = (
            f"score factor {name!r} (weight {weight:g}) has one value, {float(seen[0])!r}, in "
            f"all {seen.size} cells it covers: it gives each of them the same {points:.1f} "
            "points (of 100, where every factor covers the cell) and ranks none; check its "
            "values, or drop it from score.factors"
        )
        log.warning(note)
        state.notes.append(note)


def _say_commodities_merged(state: RunState, stats: pd.DataFrame) -> None:
    """Warn (and note) when the rarer commodities share one count column."""
    from ..score import MAX_COMMODITY_COLUMNS, OTHER_COMMODITIES

    if S.SEIZURES_PREFIX + OTHER_COMMODITIES not in stats.columns:
        return
    distinct = state.seizures[S.COMMODITY].astype(str).nunique()
    note = (
        f"seizures name {distinct} distinct commodities: the {MAX_COMMODITY_COLUMNS - 1} most "
        f"frequent are counted per cell, the others together as {OTHER_COMMODITIES!r} (a "
        "commodity column of free text? map the right column with columns: {commodity: ...}, "
        "or merge spellings with the input's synonyms: setting)"
    )
    log.warning(note)
    state.notes.append(note)


def score(state: RunState) -> None:
    """Score the cells (contributions, coverage, confidence) and the months of the slider."""
    from ..render._slider import FIXED_GEOGRAPHY
    from ..score import confidence_labels, score_cells, seizure_cell_stats, seizures_within
    from ..timeline import score_timeline

    cfg, ft = state.config, state.features
    assert ft is not None
    sc = cfg.score
    opts: dict[str, Any] = {
        "normalisation": sc.normalisation,
        "cap_quantile": sc.cap_quantile,
        "class_breaks": sc.class_breaks,
        "class_labels": sc.class_labels,
    }
    table = ft.table
    cells_ = table[S.CELL].to_numpy(dtype="uint64")
    stats = seizure_cell_stats(state.seizures, cells_, cfg.area.resolution)
    _say_commodities_merged(state, stats)
    clash = sorted((set(stats.columns) - {S.CELL}) & set(table.columns))
    if clash:
        # a factor named seizures_cocaine met the cocaine count in the merge: pandas made
        # seizures_cocaine_x and _y, and the run ended in "missing column(s)"
        raise ConfigError(
            f"factor {clash[0]!r} has the name of the seizures' count column of commodity "
            f"{clash[0].removeprefix(S.SEIZURES_PREFIX)!r}; give the factor another name"
        )
    from ..features import support_mask

    observed = (stats["n_seizures"].to_numpy() > 0) | support_mask(table, factors_to_compute(cfg))
    _say_factors_covering_no_cell(state, table)
    _say_factors_of_one_value(state, table)
    scores = score_cells(table, sc.factors, observed=observed, covered=table, **opts)
    if sc.model == "fitted":
        scores, state.model_report = _fitted_scores(state, table, scores)
    scores = _no_risk_where_unobserved(scores)
    scores = scores.merge(stats, on=S.CELL, how="left")
    bandwidth = ft.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km")
    near = seizures_within(state.seizures, scores[S.CELL].to_numpy(dtype="uint64"), bandwidth)
    scores[S.SEIZURES_WITHIN_BANDWIDTH] = near
    scores[S.CONFIDENCE] = confidence_labels(near)
    state.scores = scores
    fixed = fixed_geography_factors(state)
    state.timeline = score_timeline(
        table,
        _with_fixed_geography(state.timeline_density, fixed),
        sc.factors,
        scale=cfg.render.classes if cfg.timeline.scale == "map" else cfg.timeline.scale,
        observed=observed,
        **opts,
    )
    if state.timeline is not None:
        state.timeline.attrs[FIXED_GEOGRAPHY] = fixed


def _with_fixed_geography(got: Any, fixed: list[str]) -> Any:
    """Return the months' factors with the fixed geography among each month's own history.

    A distance to the coast has no history to recompute, yet today's value is that of every
    month: marked ``present_data`` ("as of today (no history that month)") it read as a
    look-ahead on every month of the slider.  Listed among the factors a month knows, it
    keeps today's values (:func:`pipeline.timeline.score_timeline` takes those of a factor
    the month's table lacks) and is no present data.
    """
    if got is None or not fixed or not len(got.periods):
        return got
    from ..timeline import TimelineFactors

    periods = got.periods.copy()
    history = periods["history"].fillna("").astype(str)
    periods["history"] = [",".join([h, *fixed]) if h else ",".join(fixed) for h in history]
    return TimelineFactors(got.table, periods)


def gi_values_text(seizures: pd.DataFrame, values: str) -> str:
    """Say what the Gi* hot spots are of, for the legend, the panel and the manifest.

    With ``hotspots.values: counts`` they are of every seizure's count per cell, undecayed,
    over the whole record: on the piracy incidents 7,490 attacks of 1993-2020 under a map of
    the risk as of 2020-12-31 (a 365-day half-life), so an outline marked where attacks
    clustered in the 2000s; the legend said only "Getis-Ord Gi*".
    """
    if values == "risk":
        return "the risk of the cells that have one"
    times = pd.to_datetime(seizures[S.TIME], utc=True) if len(seizures) else None
    if times is None or not times.notna().any():
        return "the seizure count per cell (no seizures)"
    return (
        f"the seizure count per cell (all {len(seizures):,} seizures, {times.min():%Y-%m-%d} "
        f"to {times.max():%Y-%m-%d} UTC, not decayed)"
    )


def hotspots(state: RunState) -> None:
    """Gi* (FDR by default) on seizure counts or the risk, and emerging hot-spot trends."""
    from ..grid import points_to_cells
    from ..hotspots import (
        cell_counts,
        emerging_hotspots,
        emerging_skipped,
        emerging_summary,
        gi_star,
        gi_summary,
        space_time_cube,
    )

    cfg, scores = state.config, state.scores
    assert scores is not None and state.as_of is not None
    opts = cfg.hotspots
    cells_ = scores[S.CELL].to_numpy(dtype="uint64")
    ev = points_to_cells(
        state.seizures[S.LON].to_numpy(), state.seizures[S.LAT].to_numpy(), cfg.area.resolution
    )
    key = [
        state.digests["seizures"],
        frame_digest(cells_),
        opts.model_dump(mode="json", exclude={"uncertainty"}),  # its own stage
        str(state.as_of),
        frame_digest(scores[S.RISK].to_numpy()) if opts.values == "risk" else None,
    ]

    def build() -> HotspotResult:
        if opts.values == "risk":
            # over the cells with a risk: one with no observation is no data, not a risk of 0
            # pulling its neighbours towards a cold spot (its Gi* columns stay empty)
            values = scores[S.RISK].to_numpy(dtype="float64")
            has = np.isfinite(values)
            if not has.any():  # no cell has a risk: none is a hot spot
                has, values = np.ones(len(values), dtype=bool), np.zeros(len(values))
            gi = gi_star(cells_[has], values[has], opts)
        else:
            gi = gi_star(cells_, cell_counts(ev, cells_), opts)
        cube = space_time_cube(
            ev, state.seizures[S.TIME], cells_, period=opts.emerging.period, end=state.as_of
        )
        gi_sum = {**gi_summary(gi, opts), "values": gi_values_text(state.seizures, opts.values)}
        short = emerging_skipped(cube, opts)
        if short is not None:  # too little history for a trend: the Gi* hot spots alone
            return HotspotResult(gi, {"gi_star": gi_sum, "emerging": short})
        emerging = emerging_hotspots(cube, opts)
        return HotspotResult(
            gi.merge(emerging.cells, on=S.CELL, how="outer").sort_values(S.CELL, ignore_index=True),
            {"gi_star": gi_sum, "emerging": emerging_summary(emerging, opts)},
        )

    got, _ = state.cached("hotspots", key, build)
    state.scores = scores.merge(got.table, on=S.CELL, how="left")
    state.hotspots = got.summary


def uncertainty(state: RunState) -> None:
    """Compute an interval on the published risk and its class stability per cell (cached)."""
    assert state.scores is not None
    unc = _risk_uncertainty(state, state.scores)
    state.scores = state.scores.merge(unc.table, on=S.CELL, how="left")
    state.hotspots = {**(state.hotspots or {}), "uncertainty": unc.summary}
    reason = unc.summary.get("reason")
    if reason and len(unc.table) and unc.table["risk_lower"].isna().all():
        state.notes.append(f"risk interval and class stability not computed: {reason}")


#: The uncertainty columns of the scores tables (see :func:`_risk_uncertainty`).
UNCERTAINTY_COLUMNS = ("risk_lower", "risk_upper", "risk_class_stability")


def _risk_uncertainty(state: RunState, scores: pd.DataFrame) -> HotspotResult:
    """Interval on the published risk and the stability of its class, per cell (cached).

    The weighted score: a bootstrap of the seizures through the density (the other factors
    are fixed); the fitted model: draws of its coefficients (see
    :mod:`pipeline.hotspots._risk_uncertainty`).  ``risk_lower``/``risk_upper`` are the
    ``hotspots.uncertainty.interval`` quantiles of the resampled risk (0-100),
    ``risk_class_stability`` the share of resamples in the cell's published class.
    """
    cfg, ft = state.config, state.features
    assert ft is not None and state.as_of is not None
    sc, opts = cfg.score, cfg.hotspots
    cols = [S.CELL, S.RISK, *[c for c in scores.columns if str(c).endswith(S.COVERED_SUFFIX)]]
    cols += [S.OBSERVED] if S.OBSERVED in scores.columns else []
    if S.SEIZURE_DENSITY in scores.columns:
        cols += [S.SEIZURE_DENSITY, S.SEIZURE_DENSITY + S.CONTRIB_SUFFIX]
    fitted = sc.model == "fitted"
    fc = state.fitted_coefficients
    key = [
        state.digests["seizures"],
        frame_digest(scores[cols]),
        cfg.density.model_dump(mode="json"),
        sc.model_dump(mode="json"),
        opts.uncertainty.model_dump(mode="json"),
        cfg.render.classes,
        opts.seed,
        str(state.as_of),
        ft.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km"),
        digest([frame_digest(v) for v in dataclasses.astuple(fc)]) if fitted and fc else None,
    ]
    return state.cached("uncertainty", key, lambda: _build_uncertainty(state, scores, fitted))[0]


def published_classes(cfg: Config, scores: pd.DataFrame) -> tuple[list[float], list[str]]:
    """Return the breaks and labels of the map's risk classes, as the render stage makes them.

    ``render.classes: fixed`` keeps ``score.class_breaks``; ``quantile`` and ``natural``
    break the observed cells' risk (:func:`pipeline.render` ``map_classes``).
    """
    from ..classes import class_labels_for, risk_class_breaks

    labels = list(cfg.score.class_labels)
    if cfg.render.classes == "fixed":
        return [float(b) for b in cfg.score.class_breaks], labels
    risk = scores[S.RISK].to_numpy(dtype="float64")
    observed = (
        scores[S.OBSERVED].to_numpy(dtype=bool) if S.OBSERVED in scores else np.isfinite(risk)
    )
    breaks = risk_class_breaks(risk[observed], cfg.render.classes, len(labels))
    return [float(b) for b in breaks], class_labels_for(labels, breaks.size - 1)


def _build_uncertainty(state: RunState, scores: pd.DataFrame, fitted: bool) -> HotspotResult:
    from ..density import seizure_weights
    from ..hotspots import (
        bootstrap_cells,
        bootstrap_summary,
        breaks_classifier,
        density_operator,
        density_risk_statistic,
        fitted_risk_statistic,
        parametric_cells,
    )

    cfg, ft = state.config, state.features
    assert ft is not None
    sc, opts = cfg.score, cfg.hotspots
    cells_ = scores[S.CELL].to_numpy(dtype="uint64")
    risk = scores[S.RISK].to_numpy(dtype="float64")
    breaks, _ = published_classes(cfg, scores)
    inner = breaks_classifier(breaks)

    def classify(values: np.ndarray) -> np.ndarray:  # as render classes the risk: at 0.1
        return inner(np.round(values, 1))

    empty = pd.DataFrame({S.CELL: cells_, **{c: np.nan for c in UNCERTAINTY_COLUMNS}})
    if fitted:
        fc = state.fitted_coefficients
        if fc is None:
            why = "the fitted model fell back to the blend: no coefficients to draw"
            return HotspotResult(empty, {"method": "none", "reason": why})
        got = parametric_cells(
            fc.params,
            fc.cov,
            fitted_risk_statistic(fc),
            fc.cells,
            classify=classify,
            options=opts.uncertainty,
            seed=opts.seed,
            name=S.RISK,
        )
        method = "draws of the fitted model's coefficients (cluster-robust covariance)"
        basis = "coefficient draws"
    else:
        w = sc.factors.get(S.SEIZURE_DENSITY)
        if w is None or w.weight <= 0 or S.SEIZURE_DENSITY not in scores.columns:
            # the score does not use the seizures: resampling them changes nothing
            fixed = pd.DataFrame({S.CELL: cells_, "risk_lower": risk, "risk_upper": risk}).assign(
                risk_class_stability=np.where(np.isfinite(risk), 1.0, np.nan)
            )
            return HotspotResult(
                fixed, {"method": "none", "reason": "the score does not use the seizure density"}
            )
        d = cfg.density
        seizures = state.seizures
        bandwidth = ft.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km")
        if bandwidth is None:  # no seizures: nothing to resample
            return HotspotResult(empty, {"method": "none", "reason": "no seizures"})
        if isinstance(d.half_life_days, str):  # 'auto' is resolved by density_parameters
            raise ConfigError(f"density.half_life_days was not resolved: {d.half_life_days!r}")
        b = seizure_weights(
            seizures,
            as_of=state.as_of,
            half_life_days=d.half_life_days,
            use_quantity=d.use_quantity,
            commodity_weights=d.commodity_weights or None,
        )
        positions = _distinct_positions(seizures, b)
        if positions < 2:
            # every resample holds the same map: a zero-width interval and a class stability
            # of 1 would read as certainty where the data cannot show any spread
            why = (
                "the seizures that weigh in the density lie at one position, so resampling"
                " them cannot vary the map"
                if positions
                else "no seizure weighs in the density (every weight is 0): nothing to resample"
            )
            return HotspotResult(empty, {"method": "none", "reason": why})
        operator = density_operator(
            seizures[S.LON].to_numpy(),
            seizures[S.LAT].to_numpy(),
            cells_,
            bandwidth_km=float(bandwidth),
            kernel=d.kernel,
            max_bytes=opts.uncertainty.max_bytes,
        )
        total = np.zeros(len(scores))
        for name, fw in sc.factors.items():
            col = name + S.COVERED_SUFFIX
            if fw.weight > 0 and col in scores.columns:
                total += np.where(scores[col].to_numpy(dtype=bool), fw.weight, 0.0)
        covered = scores[S.SEIZURE_DENSITY + S.COVERED_SUFFIX].to_numpy(dtype=bool)
        share = np.divide(w.weight, total, out=np.zeros(len(total)), where=covered & (total > 0))
        stat = density_risk_statistic(
            operator,
            b,
            scores[S.SEIZURE_DENSITY].to_numpy(dtype="float64"),
            risk,
            scores[S.SEIZURE_DENSITY + S.CONTRIB_SUFFIX].to_numpy(dtype="float64"),
            share,
            normalisation=sc.normalisation,
            cap_quantile=sc.cap_quantile,
            transform=w.transform,
        )
        got = bootstrap_cells(
            len(seizures),
            stat,
            cells_,
            classify=classify,
            options=opts.uncertainty,
            seed=opts.seed,
            name=S.RISK,
        )
        method = "bootstrap of the seizures (density recomputed, other factors fixed)"
        basis = "seizure resamples"
    table = (
        got.drop(columns=[S.RISK])
        .set_index(S.CELL)
        .reindex(pd.Index(cells_, name=S.CELL))
        .reset_index()
    )
    missing = ~np.isfinite(risk)
    table.loc[missing, list(UNCERTAINTY_COLUMNS)] = np.nan
    # rounded as the published risk is (a fitted model's to 6 decimals, a weighted score's
    # not before the tables' own 7 digits): at 4 decimals a zero-width interval stepped over
    # its own risk (risk 9.103965, risk_lower 9.1040: 372 of the piracy map's 2,122 cells
    # had their risk outside [risk_lower, risk_upper] by rounding alone)
    if fitted:
        for c in ("risk_lower", "risk_upper"):
            table[c] = table[c].round(6)
    table["risk_class_stability"] = table["risk_class_stability"].round(4)
    summary = {
        "method": method,
        # what the interval is of: the card names it (a reader takes "90 % interval" as one
        # for the cell's true risk, which the coefficient draws are not: README)
        "basis": basis,
        "n_resamples": opts.uncertainty.n_resamples,
        "interval": list(opts.uncertainty.interval),
        **bootstrap_summary(table[~missing], name=S.RISK),
    }
    return HotspotResult(table, summary)


def _distinct_positions(seizures: pd.DataFrame, weights: np.ndarray) -> int:
    """Return 0, 1 or 2 (two or more): the distinct positions of the seizures that weigh."""
    keep = np.asarray(weights, dtype="float64") > 0
    lon = seizures[S.LON].to_numpy(dtype="float64")[keep]
    lat = seizures[S.LAT].to_numpy(dtype="float64")[keep]
    if lon.size == 0:
        return 0
    return 2 if bool(((lon != lon[0]) | (lat != lat[0])).any()) else 1


@dataclass
class HotspotResult:
    """Gi* and emerging columns per cell with their summaries (a cacheable pair)."""

    table: pd.DataFrame
    summary: dict[str, Any]


def _extra_factors(table: pd.DataFrame, wanted) -> pd.DataFrame:
    """Return the score's factors other than the seizure density (NaN = not covered).

    The fitted model builds its own lagged seizure features; these join them as candidates
    as they are: the model transforms them itself (``score.fitted.factor_transforms``; by
    default ``log(1 + x)`` for a factor without negative values, as RTM does).
    """
    names = [c for c in wanted if c in table.columns and c != S.SEIZURE_DENSITY]
    return table[[S.CELL, *names]].copy()


def _fitted_factors(state: RunState, at_origin: pd.DataFrame, cells, origin=None) -> Any:
    """Return the fitted model's extra factors: ``at_origin``, or a function of the date.

    Without a plug-in that counts the seizures every factor is time-invariant and the table
    is returned as it is (every training origin takes it: a documented look-ahead).  With
    one, the fitted model gets ``factors_at(timestamp)``: ``at_origin`` at its forecast
    origin (``origin``, the run's ``as_of`` by default) and, at each training origin before
    it, the table with the plug-ins recomputed there (:func:`_factors_known_at`), so the
    training rows' values never count their own labels' seizures.
    """
    plugins = _seizure_plugins(state)
    if not plugins:
        return at_origin
    origin = pd.Timestamp(state.as_of if origin is None else origin)
    wanted = state.config.score.factors

    def factors_at(when: pd.Timestamp) -> pd.DataFrame:
        if when >= origin:
            return at_origin
        return _extra_factors(_factors_known_at(state, cells, when, plugins), wanted)

    return factors_at


def _seizure_plugins(state: RunState) -> list:
    """Return the score's plug-in factors that read the seizures as of ``as_of``.

    Their values at ``as_of`` count seizures that fall in the back-test's test windows; the
    back-test recomputes them at each origin from the seizures before it
    (:func:`_factors_known_at`).  A factor made ``time_dependent=False`` is taken as it is.
    The weighted score uses those of weight > 0; the fitted model takes every factor
    ``score.factors`` names as a candidate (:func:`_extra_factors`), whatever its weight.
    """
    sc = state.config.score
    weights = sc.factors
    return [
        f
        for f in factors_to_compute(state.config)
        if not f.builtin
        and f.time_dependent
        and "seizures" in f.needs
        and f.name in weights
        and (weights[f.name].weight > 0 or sc.model == "fitted")
    ]


def _factors_known_at(state: RunState, cells, origin, plugins: list) -> pd.DataFrame:
    """Return the features table on ``cells`` with ``plugins`` recomputed as of ``origin``.

    The plug-ins see only the seizures before ``origin`` and ``as_of = origin``; every other
    factor is taken as it is now (transit, rasters: a documented look-ahead).
    """
    ft = state.features
    assert ft is not None
    known = ft.table if state.backtest_features is None else state.backtest_features
    cells = np.asarray(cells, dtype="uint64")
    table = known.set_index(S.CELL).reindex(pd.Index(cells, name=S.CELL)).reset_index()
    for c in table.columns:
        if c.endswith(S.COVERED_SUFFIX):
            table[c] = table[c].fillna(False).astype(bool)
    if not plugins:
        return table
    cfg = state.config
    earlier = state.seizures[state.seizures[S.TIME] < origin].reset_index(drop=True)
    base = _factor_context(state, cells, pd.Timestamp(origin), earlier, plugins)
    for f in plugins:
        got = f(dataclasses.replace(base, options=factor_options(cfg, f)))
        table[f.name] = got.values
        table[f.name + S.COVERED_SUFFIX] = got.covered
    return table


def _features_at(state: RunState, train: pd.DataFrame, cells, origin) -> pd.DataFrame:
    """Return the weighted score's features known at ``origin`` (density from the training events).

    The density and the plug-ins that read the seizures are recomputed from the events before
    ``origin``; the other factors (transit, rasters) describe the present and are taken as they
    are now: a documented look-ahead on those factors only.
    """
    from ..builtin_factors import density_on_cells

    table = _factors_known_at(state, cells, origin, _seizure_plugins(state))
    cells = table[S.CELL].to_numpy(dtype="uint64")
    table[S.SEIZURE_DENSITY] = density_on_cells(
        train, cells, origin, _density_at(state, origin), cells
    )[0]
    table[S.SEIZURE_DENSITY + S.COVERED_SUFFIX] = True
    return table


def _density_at(state: RunState, origin):
    """Return the density options a back-test origin uses.

    With ``density: auto`` the run's parameters were chosen on the back-test's own origins;
    scored on them, the density's hit rates would be optimistic.  Each origin takes the
    parameters chosen on the origins whose test windows had ended by then only (nested,
    :func:`pipeline.model.density_parameters_at`).
    """
    from ..model import density_parameters_at

    d = state.config.density
    if state.density_choice is None:
        return d
    at = density_parameters_at(state.density_choice, origin)
    return d.model_copy(
        update={"bandwidth_km": at["bandwidth_km"], "half_life_days": at["half_life_days"]}
    )


def published_method(state: RunState):
    """Return the model the map publishes as a back-test method, refitted at each origin."""
    from ..model import WeightedModel, as_method, fitted_method

    cfg = state.config
    sc = cfg.score
    assert state.features is not None
    if sc.model == "fitted":
        plugins = _seizure_plugins(state)
        known = state.features.table if state.backtest_features is None else state.backtest_features
        factors: Any = _extra_factors(known, sc.factors)
        if plugins:  # their values at as_of hold the test windows' seizures

            def factors(train, cells, origin):
                table = _factors_known_at(state, cells, origin, plugins)
                # and each origin's training rows take theirs at their own training origins
                return _fitted_factors(state, _extra_factors(table, sc.factors), cells, origin)

        # refitted at each origin for its forecast only: no statsmodels refit, no sandwich
        return fitted_method(sc.fitted, factors=factors, inference=False)
    opts = {"normalisation": sc.normalisation, "cap_quantile": sc.cap_quantile}
    return as_method(
        lambda: WeightedModel(sc.factors, **opts),
        lambda train, cells, origin: _features_at(state, train, cells, origin),
    )


def _backtest_table(state: RunState, options: Any, digests: dict[str, str]) -> pd.DataFrame:
    """Return the features table on every cell a back-test origin can score.

    With ``area.cells: support`` the run's table holds the cells the data up to ``as_of``
    observe (a seizure's density, a track); an origin's universe holds the cells near the
    seizures before it, some of which the later seizures' support no longer reaches.  Read
    from the run's table, those cells lacked every other factor (a raster, a context layer:
    not covered), so whether a cell of an origin had them said where the seizures after the
    origin fell (the fitted model's ``__missing`` indicator, the weighted score's rescaled
    weights and normalisation caps).  The factors are computed on those cells here, as
    ``area.cells: all`` would have them, so an origin's forecast depends on no later
    seizure.
    """
    from ..builtin_factors import TRANSIT_SHARED
    from ..density import unreached_expected
    from ..engine import LocalEngine, use_engine
    from ..evaluate import cell_universe
    from ..grid import cells_in, points_to_cells

    ft = state.features
    assert ft is not None and state.as_of is not None
    cfg = state.config
    res = cfg.area.resolution
    seizures = state.seizures
    if not len(seizures):
        return ft.table
    # every origin's universe lies within that of all the seizures (cell_universe grows with
    # its events), kept to the area's cells and those holding a seizure as the back-test keeps it
    reach = cell_universe(seizures, res, options.universe_km)
    held = points_to_cells(
        seizures[S.LON].to_numpy(dtype="float64"), seizures[S.LAT].to_numpy(dtype="float64"), res
    )
    reach = reach[cells_in(reach, state.area_cells) | cells_in(reach, held)]
    missing = np.setdiff1d(reach, ft.table[S.CELL].to_numpy(dtype="uint64")).astype("uint64")
    todo = [f for f in factors_to_compute(cfg) if f.name != S.SEIZURE_DENSITY]
    if not missing.size or not todo:
        return ft.table
    base = _factor_context(
        state, missing, state.as_of, state.seizures, [f for f in todo if not f.builtin]
    )
    # a few cells: in this process (the run's engine, a Dask cluster, is closed after the
    # features stage), the pass over the tracks taken as the features stage made it; a
    # smoothed factor that reaches none of them is 0 there, which the run's own table (the
    # area's cells) already checked for points lying elsewhere
    why = "back-test universe cells outside the run's table"
    with use_engine(LocalEngine()), unreached_expected(why):
        extra = compute_features(
            todo,
            base,
            area_given=True,  # no cell joins these
            cells_mode="all",
            options_for=lambda f: factor_options(cfg, f),
            key_for=_feature_key(state, digests),
            cached=state.cached,
            memo_for=lambda name, key, **kw: state.cache.memo(
                f"memo {name}", [key, state.code], **kw
            ),
            reuse={k: ft.shared[k] for k in (TRANSIT_SHARED,) if k in ft.shared},
        ).table
    cov = S.SEIZURE_DENSITY + S.COVERED_SUFFIX
    if cov in ft.table.columns:  # recomputed at each origin from the seizures before it
        extra[cov] = False
    table = pd.concat([ft.table, extra], ignore_index=True)
    order = np.argsort(table[S.CELL].to_numpy(dtype="uint64"), kind="stable")
    return table.iloc[order].reset_index(drop=True)


def back_test(state: RunState) -> None:
    """Back-test the published score over rolling origins against counts, KDE and density."""
    from ..evaluate import BacktestOptions

    cfg, ft = state.config, state.features
    assert ft is not None and state.as_of is not None
    digests = _input_digests(state)
    key = [
        state.digests["seizures"],
        "nested density choice" if state.density_choice is not None else None,
        cfg.density.model_dump(mode="json"),
        cfg.score.model_dump(mode="json"),
        cfg.evaluate.model_dump(mode="json"),
        frame_digest(ft.table),
        frame_digest(state.area_cells),
        str(state.as_of),
        # the factors of the cells the table's support cut left out are computed from them
        sorted(digests.items()),
        "universe cells' factors computed",
        # recomputed at each origin: their values there are not in the features table, so
        # their code, options and inputs are keys of their own
        [
            [
                f.code_digest(),
                factor_options(cfg, f).model_dump(mode="json"),
                [digests.get(n) for n in f.needs],
            ]
            for f in _seizure_plugins(state)
        ],
    ]
    options = BacktestOptions(**cfg.evaluate.model_dump(exclude={"enabled"}))

    def build() -> dict[str, Any]:
        state.backtest_features = _backtest_table(state, options, digests)
        try:
            return _back_test_result(state, options)
        finally:
            state.backtest_features = None

    state.evaluation, _ = state.cached("back-test", key, build)


def _back_test_result(state: RunState, options: Any) -> dict[str, Any]:
    """Run the rolling back-test of the published method (:func:`back_test`)."""
    from ..builtin_factors import density_on_cells
    from ..evaluate import rolling_back_test
    from ..model import density_parameters_at

    cfg = state.config
    present = present_data_factors(state)
    fixed = fixed_geography_factors(state)
    result = rolling_back_test(
        state.seizures,
        None,
        methods={"published": published_method(state)},
        options=options,
        resolution=cfg.area.resolution,
        density_fn=lambda train, c, origin: density_on_cells(
            train, c, origin, _density_at(state, origin), c
        )[0],
        within=state.area_cells,
    )
    if state.density_choice is not None:
        result["density_parameters_by_origin"] = [
            {"origin": o["origin"], **density_parameters_at(state.density_choice, o["origin"])}
            for o in result.get("origins", [])
        ]
        result.setdefault("notes", []).append(
            "density: auto: each origin's density (the baseline and the density factor) "
            "uses the bandwidth and half-life chosen on the origins whose test windows had "
            "ended by then (nested), not the run's choice, which saw every origin"
        )
    result["present_data_factors"] = present
    if not state.area.given:
        result.setdefault("notes", []).append(
            "no area is given: the cells an origin can score are cut to the extent of the "
            "data up to the run's day (area.margin_km around it), which the later seizures may "
            "widen; every method is scored on the same cells"
        )
    if present:
        as_of = state.as_of.date().isoformat() if state.as_of is not None else "as_of"
        result["present_data"] = (
            f"present data: {', '.join(map(repr, present))} "
            + ("takes its" if len(present) == 1 else "take their")
            + f" values of {as_of} (the run's day) at every origin, not those known then: "
            "what the map's hit rates owe to "
            + ("it" if len(present) == 1 else "them")
            + " may be a look-ahead; the seizure density, the plug-ins that count seizures "
            "and the baselines see only the seizures before each origin"
        )
        result.setdefault("notes", []).insert(0, result["present_data"])
    result["fixed_geography_factors"] = fixed
    if fixed:
        result.setdefault("notes", []).append(
            f"fixed geography: {', '.join(map(repr, fixed))} "
            + ("is" if len(fixed) == 1 else "are")
            + " the same at every origin (a layer no date changes, taken as given): no "
            "look-ahead"
        )
    return result


def _scored_factors(state: RunState) -> list[str]:
    """Return the published method's factors: weight > 0, or every one the fitted model names."""
    sc = state.config.score
    return [name for name, w in sc.factors.items() if w.weight > 0 or sc.model == "fitted"]


def fixed_geography_factors(state: RunState) -> list[str]:
    """Return the published method's factors that are a fixed geography (a distance to the coast).

    Their values are the same at every date (``Factor.fixed_geography``): a back-test
    origin or a month of the slider that takes today's values takes its own.  They are
    named as such, not as present data (a possible look-ahead).
    """
    from ..factors import default_registry

    available = default_registry.available(state.config.inputs_view())
    return [
        name
        for name in _scored_factors(state)
        if name in available and available[name].fixed_geography
    ]


def present_data_factors(state: RunState) -> list[str]:
    """Return the published method's factors taken as of ``as_of`` at every back-test origin.

    The seizure density and the plug-ins that count seizures are recomputed at each origin;
    every other factor the score uses (transit, rasters, plug-ins made
    ``time_dependent=False`` or reading no seizures) is not: the weighted score's factors of
    weight > 0, the fitted model's candidates (every factor ``score.factors`` names).  A
    fixed geography (:func:`fixed_geography_factors`: the distances to the coast, the ports
    and the lanes) is the same at every origin and is no present data.
    """
    again = {
        S.SEIZURE_DENSITY,
        *(f.name for f in _seizure_plugins(state)),
        *fixed_geography_factors(state),
    }
    return [name for name in _scored_factors(state) if name not in again]


def raster_factor_units(state: RunState) -> dict[str, str]:
    """Return the unit of each raster factor whose raster declares one (``<raster>_mean``/``_max``).

    A raster's ``units`` attribute (CF, GDAL's band unit type) is what the map's legend
    states for its overlay ("0 - 210.5 nW cm-2 sr-1"), while the card and the manifest gave
    the factor's placeholder ("0.4832 nightlights units").  The mean and the maximum of the
    valid pixels keep the raster's unit; an area-weighted sum and a valid fraction do not.
    """
    from ..render import raster_units

    out: dict[str, str] = {}
    for r in state.rasters:
        units = raster_units(r.get("data"))  # text only: a number array is no unit
        if units:
            for stat in ("mean", "max"):
                out[f"{r['name']}_{stat}"] = units
    return out


def _factor_infos(state: RunState) -> list:
    from ..factors import default_registry
    from ..render import FactorInfo
    from ..score import display_name

    cfg = state.config
    available = default_registry.available(cfg.inputs_view())
    units = raster_factor_units(state)
    out = []
    for name, w in cfg.score.factors.items():
        if w.weight <= 0:
            continue
        f = available[name]
        # a run may know better why a factor is missing (no track long enough for an event)
        said = state.features.info.get(name) if state.features is not None else None
        missing = (said or {}).get("missing_text") or f.missing_text
        out.append(
            FactorInfo(
                name,
                display_name(name, w),
                w.weight,
                units.get(name, f.unit) if f.builtin else f.unit,
                f.description,
                missing,
            )
        )
    return out


@contextlib.contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """Keep Python's garbage collector to the objects made inside the block.

    The map and the exports make container objects by the hundred thousand (payload lists,
    folium and matplotlib objects, dicts), so the collector's full passes come round three
    or four times a stage, and each walked every object of the process as well: the
    libraries' modules and the run's tables and reports, 250,000 objects.  On the demo that
    was 0.6 s of the 4 s of map and exports.  :func:`gc.freeze` sets the older objects
    aside for the block (reference counting still frees them as ever) and they are collected
    as before once it ends; the block's own cycles (a folium tree, a figure) are collected
    in it.  Left alone when the collector is off or objects are frozen already (a host
    process managing its own).
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def render(state: RunState, run_id: str) -> None:
    """Write the HTML map (and the preview PNG)."""
    with _older_objects_frozen():
        _render(state, run_id)


def _render(state: RunState, run_id: str) -> None:
    from ..render import MapData, RenderOptions, raster_to_overlay, write_map, write_preview_png
    from ..render._payload import map_classes, mercator_note

    cfg, ft = state.config, state.features
    assert ft is not None and state.scores is not None and state.as_of is not None
    overlays = [ov for r in state.rasters if (ov := raster_to_overlay(r["name"], r["data"]))]
    transit = None
    if S.VESSEL_HOURS in ft.table:
        vh = ft.table[[S.CELL, S.VESSEL_HOURS]]
        transit = vh[vh[S.VESSEL_HOURS].fillna(0) > 0]
    data = MapData(
        scores=state.scores,
        factors=_factor_infos(state),
        class_breaks=list(cfg.score.class_breaks),
        class_labels=list(cfg.score.class_labels),
        seizures=state.seizures,
        events=state.events,
        transit=transit,
        rasters=overlays,
        timeline=state.timeline,
        bandwidth_km=ft.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km"),
        evaluation=state.evaluation,
        model_report=state.model_report,
        hotspots=state.hotspots,
        ports=state.ports,
        lanes=state.context.get("lanes") if state.context else None,
    )
    title = cfg.render.title or cfg.run.name
    opts = RenderOptions(
        title=title,
        tiles=cfg.render.tiles,
        tiles_attribution=cfg.render.tiles_attribution,
        max_seizure_points=cfg.render.max_seizure_points,
        classes="fixed",  # the run's classes are set once, below, for the map and the tables
        basemap=cfg.render.basemap,
        ports_label=cfg.render.ports_label,
        lanes_label=cfg.render.lanes_label,
    )
    # One classification for the map, the preview and the exported risk_class column.
    data = map_classes(data, cfg.render.classes)
    state.scores = data.scores
    state.class_breaks = {
        "method": cfg.render.classes,
        "breaks": [float(b) for b in data.class_breaks],
        "labels": list(data.class_labels),
    }
    beyond = mercator_note(state.scores[S.CELL].to_numpy(dtype="uint64"))
    if beyond:
        log.info("note: %s", beyond)
        state.notes.append(beyond)
    state.outputs["map"] = write_map(
        data,
        state.staging / "risk_map.html",
        as_of=state.as_of.date().isoformat(),
        run_id=run_id,
        inputs=map_input_names(cfg),
        options=opts,
    )
    if cfg.render.preview_png:
        state.outputs["preview"] = write_preview_png(
            data, state.staging / "preview.png", title=title, options=opts
        )


def map_input_names(config: Config) -> list[str]:
    """Return the names of every file a run of ``config`` reads, as the map's footer lists them.

    Seizures, tracks, rasters and their companion masks, the ports and other context layers
    (land, lanes) and the area polygon (:func:`~pipeline.runner.inputs.input_paths`, of a
    config whose patterns are expanded): the footer once named the tables and rasters only,
    so a map scored at sea by a land layer did not say which.
    """
    return [p.name for p in input_paths(config)]


def _with_cell_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the table with both cell keys first: ``cell`` (uint64) and ``hex_id`` (text)."""
    from ..grid import cells_to_strings, to_cells

    out = frame.copy()
    if S.CELL not in out.columns:
        out.insert(0, S.CELL, to_cells(out[S.HEX_ID].astype(str).to_numpy()))
    if S.HEX_ID not in out.columns:
        out.insert(1, S.HEX_ID, cells_to_strings(out[S.CELL].to_numpy(dtype="uint64")))
    rest = [c for c in out.columns if c not in (S.CELL, S.HEX_ID)]
    return out[[S.CELL, S.HEX_ID, *rest]]


def _with_point_cells(frame: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """Return a point table with the cell holding each point first (``cell``, ``hex_id``).

    The cell is at the run's resolution, so a seizure or an event joins the scores on
    ``cell`` or ``hex_id``; a point without coordinates has neither (missing).
    """
    from ..grid import cells_to_strings, points_to_cells

    out = frame.drop(columns=[c for c in (S.CELL, S.HEX_ID) if c in frame.columns])
    lon = pd.to_numeric(out[S.LON], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(out[S.LAT], errors="coerce").to_numpy(dtype="float64")
    ok = np.isfinite(lon) & np.isfinite(lat)
    cells = np.zeros(len(out), dtype="uint64")
    cells[ok] = points_to_cells(lon[ok], lat[ok], resolution)
    hex_ids = np.full(len(out), None, dtype=object)
    hex_ids[ok] = cells_to_strings(cells[ok])
    out.insert(0, S.CELL, pd.array(np.where(ok, cells, 0), dtype="UInt64"))
    out.loc[~ok, S.CELL] = pd.NA
    out.insert(1, S.HEX_ID, hex_ids)
    return out


def export(state: RunState) -> None:
    """Write the scores (GeoParquet, GeoPackage, FlatGeobuf, CSV, GeoJSON) and the tables.

    Also features, seizures, pings, events and the evaluation.
    Every table keyed by cell carries ``cell`` (uint64) and ``hex_id``, and so do the
    seizures and events (the cell of each point at the run's resolution); timestamps stay
    timestamps except in the CSV (ISO 8601 UTC text); the CSV adds the cell centre's ``lat``
    and ``lon``, so it maps without an H3 plug-in.

    The files are independent: those written by Arrow and GDAL, which release the GIL, are
    written by worker threads while this thread formats the CSV, the GeoJSON and the PNG;
    the pings, final once ingest is done, have been written since then
    (:mod:`pipeline.runner.background`).
    Each file's bytes do not depend on the order; ``state.outputs`` is filled in a fixed
    order.
    """
    with _older_objects_frozen():
        _export(state)


def _export(state: RunState) -> None:
    from concurrent.futures import Future, ThreadPoolExecutor

    import geopandas as gpd

    from ..grid import cells_to_geodataframe, cells_to_latlng
    from ..io import (
        formatted_once,
        gdal_messages_as_warnings,
        write_csv,
        write_flatgeobuf,
        write_geojson,
        write_geopackage,
        write_geoparquet,
        write_parquet,
    )
    from .manifest import write_json

    cfg, ft, scores, staging = state.config, state.features, state.scores, state.staging
    assert ft is not None and scores is not None
    res = cfg.area.resolution
    table = _with_cell_keys(scores)
    cells = table[S.CELL].to_numpy(dtype="uint64")
    polygons = cells_to_geodataframe(cells).geometry.to_numpy()
    gdf = gpd.GeoDataFrame(table.reset_index(drop=True), geometry=polygons, crs="EPSG:4326")
    pings = state.pings
    written: dict[str, Future | Path] = {}
    workers = max(1, min(3, (os.cpu_count() or 1) - 1))
    # no writer may outlive a stop: the staging folder it writes into is removed next
    pool = ThreadPoolExecutor(
        workers, thread_name_prefix="export", initializer=gdal_messages_as_warnings
    )
    try:
        written["scores_parquet"] = pool.submit(write_geoparquet, gdf, staging / "scores.parquet")
        written["scores_gpkg"] = pool.submit(
            write_geopackage, gdf, staging / "scores.gpkg", layer="scores"
        )
        if cfg.render.flatgeobuf:
            written["scores_fgb"] = pool.submit(write_flatgeobuf, gdf, staging / "scores.fgb")
        written["features"] = pool.submit(
            write_parquet, _with_cell_keys(ft.table), staging / "features.parquet"
        )
        written["seizures"] = pool.submit(
            write_parquet, _with_point_cells(state.seizures, res), staging / "seizures.parquet"
        )
        early = state.background.take("pings")  # started when ingest ended
        if early is not None:
            written["pings"] = early
        elif len(pings):
            written["pings"] = pool.submit(_write_pings, pings, staging / "pings.parquet")
        if state.events is not None:
            written["events"] = pool.submit(
                write_parquet, _with_point_cells(state.events, res), staging / "events.parquet"
            )
        if state.timeline is not None:  # the cell x month table behind the slider
            written["timeline"] = pool.submit(
                write_parquet, state.timeline, staging / "timeline.parquet"
            )
        # the Python-bound writers, meanwhile, here
        lat, lon = cells_to_latlng(cells)
        flat = table.copy()
        flat.insert(2, S.LAT, lat)
        flat.insert(3, S.LON, lon)
        with formatted_once():  # the CSV's float texts are the GeoJSON's
            written["scores_csv"] = write_csv(flat, staging / "scores.csv")
            del flat
            if cfg.render.geojson:
                written["scores_geojson"] = write_geojson(gdf, staging / "scores.geojson")
        if state.evaluation is not None:
            written["evaluation"] = write_json(staging / "evaluation.json", state.evaluation)
            if "summary" in state.evaluation and cfg.render.preview_png:
                from ..evaluate import plot_evaluation

                plot_evaluation(state.evaluation, staging / "evaluation.png")
                written["evaluation_png"] = staging / "evaluation.png"
        if state.model_report is not None:
            written["model_report"] = write_json(staging / "model_report.json", state.model_report)
        for name in _EXPORT_ORDER:
            if name in written:
                got = written[name]
                state.outputs[name] = got.result() if isinstance(got, Future) else got
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_EXPORT_ORDER = (
    "scores_csv",
    "scores_parquet",
    "scores_gpkg",
    "scores_fgb",
    "scores_geojson",
    "features",
    "seizures",
    "pings",
    "events",
    "evaluation",
    "evaluation_png",
    "model_report",
    "timeline",
)


STAGE_FUNCTIONS: dict[str, Callable[..., None]] = {
    "ingest": ingest,
    "cells": cells,
    "density-parameters": density_parameters,
    "features": features,
    "timeline": timeline,
    "score": score,
    "hotspots": hotspots,
    "uncertainty": uncertainty,
    "back-test": back_test,
    "render": render,
    "export": export,
}
