"""The ingest stage: seizures, track files (spilled when large), context layers and rasters."""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import weakref
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from ... import schema as S
from ...area import (
    read_area,
    reject_outside_polygon,
)
from ...errors import DataQualityError, InputError, SourceUnreadable
from ...ingest.stream import PingStore
from ..cache import digest
from ..inputs import companion_hashes
from ..publish import check_no_links
from ._state import RunState, polygon_sha

log = logging.getLogger(__package__)  # one logger for the stages: "pipeline.runner.stages"


def _ingest_one(
    state: RunState,
    kind: str,
    src,
    reader,
    names: set[str],
    earlier: list | None = None,
    earlier_names: list[str] | None = None,
    read_vessels: list | None = None,
) -> pd.DataFrame:
    """Read one input file (cached), write its rejects, check the ceiling, report it.

    ``earlier`` holds what the files before this one accepted (seizures: their records;
    tracks: their results or spills): a record or ping one of them gave is rejected here
    (``duplicate_across_files``), not counted twice, and this file's are added to it.  The
    file's own reading stays cached by its own key; what this removes depends on the
    earlier files, and a spill's ``content_key`` says so.  ``earlier_names`` names each
    input file of the kind in those rejects' values, one name no other input of the run has.
    ``read_vessels`` gets the vessel ids of the file's pings before the earlier files'
    repeats are rejected (:func:`refuse_one_vessel_of_two_files`).
    """
    from ...ingest import check_balance, reject_repeated_records, source_stem, write_rejects
    from ...ingest.stream import reject_repeated_spill
    from ...ingest.tracks import reject_repeated_pings

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
    if read_vessels is not None:  # a file whose pings all repeat another's still names one
        read_vessels.append(result.vessels if streamed else result.frame[S.VESSEL_ID].unique())
    if streamed:
        if earlier is not None:
            before = earlier_names[: len(earlier)] if earlier_names else None
            kept = reject_repeated_spill(result, earlier, reader.new_folder(), before)
            if kept is not result:  # its pings are a function of the earlier files' too
                kept.content_key = digest([result.content_key, *(e.content_key for e in earlier)])
            result = kept
            earlier.append(result)
        rejects_path = result.write_rejects(state.staging, name)
    else:
        result = reject_outside_polygon(result, state.area.polygon)
        if earlier is not None and kind == "seizures":
            before = earlier_names[: len(earlier)] if earlier_names else None
            result = reject_repeated_records(result, earlier, before)
            earlier.append(result.frame)
        elif earlier is not None:
            before = earlier_names[: len(earlier)] if earlier_names else None
            result = reject_repeated_pings(result, earlier, before)
            earlier.append(result)
        rejects_path = write_rejects(result, state.staging, name)
    check_balance(result, path)
    _within_ceiling(state, result, rejects_path)
    if kind == "tracks":
        from ...ingest.identity import combine_identity

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
    from ...ingest.stream import (
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


def _within_ceiling(state: RunState, result, rejects_path: Path) -> None:
    """Stop the run when an input rejects more than ``ingest.max_reject_rate`` of its records.

    The user must see why: the rejects file is published beside the error (in the failed
    run's folder) and named in the message.

    Raises
    ------
    DataQualityError
    """
    from ...ingest import check_reject_rate
    from ...ingest._common import in_bbox

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

    from ...ingest import read_context, source_stem, write_rejects
    from ...ingest.context import check_ports_placement

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
    from ...grid import average_hexagon_edge_length
    from ...ingest import clip_raster, open_raster, raster_coverage

    cfg = state.config
    da = open_raster(
        r,
        memory_budget_mb=cfg.ingest.memory_budget_mb,
        as_of=state.as_of,
        # a curvilinear grid is read by its pixel centres' own lat/lon, or refused
        by_centres=cfg.zonal.method == "centre",
    )
    coverage = raster_coverage(da, state.area.bbox, max_pixels=cfg.ingest.max_raster_pixels)
    if coverage.get("mask_note"):  # the pixels a companion mask made missing: stated
        state.notes.append(coverage["mask_note"])
    if coverage.get("coordinates_note"):  # pixels of a curvilinear grid placed nowhere
        state.notes.append(coverage["coordinates_note"])
    if da.attrs.get("curvilinear"):
        state.notes.append(
            f"{r.name} ({r.path.name}): a curvilinear grid, read by pixel centres from its "
            "2-D latitude/longitude; the map draws no overlay of it"
        )
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


def run_engine(state: RunState):
    """Return the run's engine (``run.engine``), opened on first use, closed with the state."""
    if state.engine is None:
        from ...engine import LocalEngine

        cfg = state.config
        if cfg.run.engine == "dask":
            from ...engine.dask import DaskEngine

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
    from ...ingest import read_tracks
    from ...ingest.stream import estimate_records, n_buckets_for, spill_folder

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
        from ...ingest.stream import spill_tracks, spill_tracks_partitioned

        folder = self.new_folder()
        if self.dask:
            return spill_tracks_partitioned(
                [src],
                [folder],
                run_engine(self.state),
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
    from ...ingest import FILE_NAME_RULE, source_stem

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
    from ...ingest import read_seizures, sort_seizures, top_rules
    from ...ingest._common import span_memo
    from ...ingest.stream import PingStore
    from ...ingest.tracks import distinct_names

    cfg = state.config
    state.area = read_area(cfg.area.bbox, cfg.area.polygon)
    state.notes.extend(n for n in state.area.notes if n not in state.notes)
    state.ingest_report = {"seizures": [], "tracks": []}
    names: set[str] = set()
    seen: list[pd.DataFrame] = []  # the seizures accepted so far, for records given twice
    tracks: list = []  # the track files read so far, for pings given twice
    vessels: list = []  # each track file's vessel ids as read, before repeats are rejected
    # two receivers' logs of one day share a name (a/2024-03-01.log, b/2024-03-01.log), and
    # two years' exports (2024/seizures.csv): a repeat's value names the earlier file by a
    # name no other input has
    track_names = distinct_names([s.path for s in cfg.inputs.tracks])
    seizure_names = distinct_names([s.path for s in cfg.inputs.seizures])
    with span_memo():  # each accepted frame's span once: they are not changed here
        frames = {
            kind: [
                _ingest_one(state, kind, src, reader, names, tracks, track_names, vessels)
                if kind == "tracks"
                else _ingest_one(state, kind, src, reader, names, seen, seizure_names)
                for src in sources
            ]
            for kind, sources, reader in (
                ("seizures", cfg.inputs.seizures, read_seizures),
                (
                    "tracks",
                    cfg.inputs.tracks,
                    _track_reader(state) if cfg.inputs.tracks else None,
                ),
            )
        }
    by_file = [
        (((e.get("assumptions") or {}).get("columns") or {}).get("vessel_id") or {}).get("by")
        == "file"
        for e in state.ingest_report["tracks"]
    ]
    members = [
        ((e.get("assumptions") or {}).get("archive_member") or {}).get("member")
        for e in state.ingest_report["tracks"]
    ]
    refuse_one_vessel_of_two_files(cfg.inputs.tracks, vessels, track_names, by_file, members)
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
        last = state.seizures[S.TIME].max() if len(state.seizures) else pings_time_max(state.pings)
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
        state.background.submit("pings", write_pings, state.pings, state.staging / "pings.parquet")


def refuse_one_vessel_of_two_files(
    sources,
    results: list,
    names: list[str],
    by_file: list[bool] | None = None,
    members: list[str | None] | None = None,
) -> None:
    """Refuse two track files whose vessels are named alike after their file names.

    A phone's location history (``Timeline.json``: Google's name, whatever the phone), a
    GPX track without a name (``trip:track_0``) and a KML track without a Placemark name
    name their vessel after their file: two phones' ``a/Timeline.json`` and
    ``b/Timeline.json`` in one run became one vessel, their pings one track jumping between
    them, without a word.  ``results`` are the files' pings as read (frames, spills with
    their ``vessels``, or arrays of the vessel ids), before another file's repeats are
    rejected: the second phone's pings at the first's times were all rejected as repeats,
    and the refusal saw no vessel of it.  ``names`` tell the files apart
    (:func:`distinct_names`).  ``by_file`` says which files' readers named the vessel by the
    file (the evidence ``by: file``): an OziExplorer ``.plt`` of a device's default track
    name is the vessel of its name without suffixes (``a/track.plt`` and ``b/track.plt``:
    both ``track``).  ``members`` names the zip member each file read, if any: a member's
    vessel is named after the member (two ``logs.zip`` each of a ``track.plt``, or ``a.zip``
    and ``b.zip``: both ``track``).

    Raises
    ------
    InputError
        Naming both files and the vessel, and ``vessel_id`` as the way out.
    """
    seen: dict[str, int] = {}
    for i, src in enumerate(sources):
        result = results[i]
        if isinstance(result, pd.DataFrame):
            ids = result[S.VESSEL_ID].unique()
        else:
            ids = result.vessels if hasattr(result, "vessels") else result
        plain = by_file is not None and by_file[i]
        member = members[i] if members is not None else None
        own = [Path(src.path).name, *([PurePosixPath(member).name] if member else [])]
        stems = tuple(f"{Path(n).stem}:" for n in own)
        # the names without a compression suffix and the format's (track.plt.gz: track)
        bases = {Path(re.sub(r"(?i)\.(?:gz|bz2|xz|zst)$", "", n)).stem for n in own}
        for v in map(str, ids):
            if v not in own and not v.startswith(stems) and not (plain and v in bases):
                continue  # named by the file's own data or the config, not by its name
            j = seen.setdefault(v, i)
            if names[j] != names[i]:  # one file listed twice is one file
                raise InputError(
                    f"track files {names[j]!r} and {names[i]!r} both name a vessel "
                    f"{v!r} after their file name: their pings would be one vessel's; "
                    "set vessel_id for each of them (inputs.tracks[].vessel_id)"
                )


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
    units = +units  # a unit of no record used (a file all repeats) mixes with nothing
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


def write_pings(pings: pd.DataFrame | PingStore, path: Path, stop=None) -> Path:
    """Write the pings table to ``path`` (a store a row group at a time, stopping on ``stop``)."""
    from ...io import write_parquet

    if isinstance(pings, pd.DataFrame):
        return write_parquet(pings, path)
    return pings.write_parquet(path, stop=stop)


def pings_time_max(pings) -> pd.Timestamp:
    """Latest ping time of a pings frame or a :class:`~pipeline.ingest.stream.PingStore`."""
    if isinstance(pings, pd.DataFrame):
        return pings[S.TIME].max()
    return pings.time_max if pings.time_max is not None else pd.NaT


def ping_extent(pings) -> pd.DataFrame | tuple[Any, float, float] | None:
    """Return the pings' positions, or a store's longitude extents and latitude bounds."""
    if isinstance(pings, pd.DataFrame):
        return pings
    if pings.extent is None:
        return None
    _, lat0, _, lat1 = pings.extent
    return pings.longitude_extents(), lat0, lat1
