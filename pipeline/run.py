"""Stage orchestration: ingest → features → score → render → publish → manifest.

The runner is the only place that knows the order of the stages and where files go.  Each
stage is a pure function from the other modules; this module wires them, times them, and
publishes the results atomically:

1. a lock (``.route-risk.lock`` in the output folder, ``fcntl.flock``) stops overlapping
   nightly runs;
2. every output is first written into a private staging folder inside the output folder;
3. the previous ``manifest.json`` is moved aside, each output is moved onto its published
   name with :func:`os.replace` (atomic), and the new ``manifest.json`` is written last: a
   reader that finds a manifest finds exactly the set it describes (no manifest = a publish
   in progress or interrupted), and a run that fails before publishing leaves the last good
   map and manifest in place;
4. outputs of the previous run that this run does not produce (``scores.geojson`` switched
   off, no tracks any more, a renamed input's rejects) are deleted after the manifest.

Ingested tables are cached under ``.cache/`` keyed by the input's sha256 and file name, its
reading options, the ingest options, the area, ``as_of`` (seizures only) and the package
version, so a nightly rerun on unchanged inputs skips the parse; entries the run did not use
are pruned, so the cache holds one run's worth.  Rejects go to
``rejects/<kind>-<file stem>.csv`` (suffixed when two inputs share a stem).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import json
import logging
import os
import platform
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from . import schema as S
from .config import Config, config_to_dict
from .errors import ConfigError, InputError, RunLockedError, SourceUnreadable
from .grid import cell_area_km2, points_to_cells, region_to_cells
from .io import (
    atomic_write_text,
    sha256_file,
    write_csv,
    write_geojson,
    write_geoparquet,
    write_parquet,
)
from .score import FactorSpec, factor_specs, score_cells

__all__ = ["RunResult", "run_pipeline"]

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]
DENSITY_SUPPORT_FRACTION = 1e-3


@dataclass
class RunResult:
    """What a run produced and where."""

    run_id: str
    out_dir: Path
    outputs: dict[str, Path]
    manifest: dict[str, Any]
    scores: pd.DataFrame = field(repr=False)
    up_to_date: bool = False

    @property
    def map_path(self) -> Path:
        """The published HTML map."""
        return self.outputs["map"]


class _Timer:
    def __init__(self, progress: ProgressFn | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        log.info("stage %s", name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)


@contextlib.contextmanager
def _lock(out_dir: Path) -> Iterator[None]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ".route-risk.lock"
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(
                f"another route-risk run holds {str(path)!r}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _cached(cache_dir: Path, key: str, build: Callable[[], Any]) -> tuple[Any, bool]:
    """Return ``build()``'s IngestResult, reusing a pickled copy stored under ``key``."""
    path = cache_dir / f"{key}.pkl"
    if path.exists():
        try:
            return pd.read_pickle(path), True
        except Exception:  # a corrupt cache entry is rebuilt, never trusted
            log.warning("ignoring unreadable cache entry %s", path)
    value = build()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
    pd.to_pickle(value, tmp)
    os.replace(tmp, path)
    return value, False


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    names = [
        "numpy",
        "pandas",
        "geopandas",
        "shapely",
        "pyproj",
        "h3",
        "h3ronpy",
        "folium",
        "branca",
        "rasterio",
        "xarray",
        "rioxarray",
        "scipy",
        "pyarrow",
        "pydantic",
    ]
    out = {"route-risk": __version__, "python": platform.python_version()}
    for n in names:
        with contextlib.suppress(md.PackageNotFoundError):
            out[n] = md.version(n)
    return out


def _read_polygon(path: Path):
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        raise SourceUnreadable(f"cannot read area polygon {str(path)!r}: {exc}") from None
    if frame.crs is None:
        raise InputError(f"area polygon {str(path)!r} has no CRS")
    return frame.to_crs("EPSG:4326")


def _read_ports(path: Path | None) -> pd.DataFrame | None:
    if path is None:
        return None
    try:
        ports = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:  # ParserError, EmptyDataError
        raise SourceUnreadable(f"cannot read ports file {str(path)!r}: {exc}") from None
    cols = {c.lower(): c for c in ports.columns}
    if not {"lat", "lon"} <= set(cols):
        raise InputError(
            f"ports file {str(path)!r} needs lat and lon columns, has {list(ports.columns)!r}"
        )
    return pd.DataFrame(
        {
            "name": ports[cols["name"]].astype(str) if "name" in cols else "",
            S.LON: pd.to_numeric(ports[cols["lon"]], errors="coerce"),
            S.LAT: pd.to_numeric(ports[cols["lat"]], errors="coerce"),
        }
    ).dropna(subset=[S.LON, S.LAT])


def _reject_outside_polygon(result, polygon):
    """Move records inside the area's bbox but outside its polygon to the rejects."""
    import dataclasses

    import shapely

    frame = result.frame
    if frame.empty:
        return result
    lon, lat = frame[S.LON].to_numpy(), frame[S.LAT].to_numpy()
    inside = shapely.contains_xy(polygon, lon, lat) | shapely.intersects_xy(polygon, lon, lat)
    if inside.all():
        return result
    out = frame[~inside]
    rows = out[S.SOURCE_ROW] if S.SOURCE_ROW in out else pd.Series(pd.NA, index=out.index)
    values = out[S.LAT].map("{:.6f}".format) + " " + out[S.LON].map("{:.6f}".format)
    if S.VESSEL_ID in out:
        values = out[S.VESSEL_ID].astype(str) + " " + out[S.TIME].astype(str) + " " + values
    extra = pd.DataFrame(
        {
            "source_file": Path(result.source).name,
            "row": rows.to_numpy(),
            "column": "lat/lon",
            "value": values.to_numpy(),
            "rule": "outside_aoi",
            "message": "position is inside the area's bounding box but outside its polygon",
        }
    )
    by_rule = dict(result.by_rule)
    by_rule["outside_aoi"] = by_rule.get("outside_aoi", 0) + int((~inside).sum())
    return dataclasses.replace(
        result,
        frame=frame[inside].reset_index(drop=True),
        rejects=pd.concat([result.rejects, extra], ignore_index=True),
        by_rule=dict(sorted(by_rule.items())),
    )


def _ingest_all(
    config: Config,
    as_of,
    aoi,
    cache_dir: Path,
    staging: Path,
    timer: _Timer,
    polygon=None,
    used_cache: set[str] | None = None,
):
    from .ingest import (
        IngestResult,
        SeizureSource,
        TrackSource,
        check_reject_rate,
        read_seizures,
        read_tracks,
        write_rejects,
    )

    opts = config_to_dict(config)["ingest"]
    report: dict[str, Any] = {"seizures": [], "tracks": []}
    frames: dict[str, list[pd.DataFrame]] = {"seizures": [], "tracks": []}
    # Each reader is paired with its own kind of source; mypy cannot see the pairing.
    readers: list[tuple[str, list[SeizureSource] | list[TrackSource], Callable[..., IngestResult]]]
    readers = [
        ("seizures", config.inputs.seizures, read_seizures),
        ("tracks", config.inputs.tracks, read_tracks),
    ]
    reject_names: set[str] = set()
    used_cache = used_cache if used_cache is not None else set()
    for kind, sources, reader in readers:
        for src in sources:
            if not Path(src.path).is_file():
                what = "is not a file" if Path(src.path).exists() else "does not exist"
                raise SourceUnreadable(f"{kind} input {str(src.path)!r} {what}")
            digest = sha256_file(src.path)
            key = _hash(
                [
                    kind,
                    digest,
                    # the name travels into source_file and the rejects of the cached result
                    Path(src.path).name,
                    src.model_dump(mode="json", exclude={"path"}),
                    opts,
                    str(as_of) if kind == "seizures" else None,
                    aoi,
                    __version__,
                ]
            )
            kwargs: dict[str, Any] = {"aoi_bbox": aoi}
            if kind == "seizures":
                kwargs["as_of"] = as_of
            else:
                kwargs["max_speed_kn"] = config.ingest.max_speed_kn
            result, hit = _cached(
                cache_dir, f"{kind}-{key}", functools.partial(reader, src, **kwargs)
            )
            used_cache.add(f"{kind}-{key}.pkl")
            if polygon is not None:
                result = _reject_outside_polygon(result, polygon)
            name = f"{kind}-{Path(src.path).stem}"
            base, k = name, 2
            while name in reject_names:  # two inputs with one stem keep two rejects files
                name, k = f"{base}-{k}", k + 1
            reject_names.add(name)
            rejects_path = write_rejects(result, staging, name)
            check_reject_rate(result, config.ingest.max_reject_rate)
            frames[kind].append(result.frame)
            report[kind].append(
                {
                    "path": str(src.path),
                    "sha256": digest,
                    "bytes": Path(src.path).stat().st_size,
                    "read": int(result.n_read),
                    "accepted": int(len(result.frame)),
                    "rejected": int(result.n_read - len(result.frame)),
                    "by_rule": {k: int(v) for k, v in sorted(result.by_rule.items())},
                    "rejects_file": str(rejects_path.relative_to(staging))
                    if rejects_path
                    else None,
                    "notes": list(result.notes),
                    "cached": hit,
                }
            )
    seizures = (
        pd.concat(frames["seizures"], ignore_index=True)
        if frames["seizures"]
        else S.empty_seizures()
    )
    pings = pd.concat(frames["tracks"], ignore_index=True) if frames["tracks"] else S.empty_pings()
    if len(pings):
        pings = pings.sort_values([S.VESSEL_ID, S.TIME], kind="stable").reset_index(drop=True)
    return seizures, pings, report


def _resolve_as_of(config: Config, as_of: dt.date | str | None) -> pd.Timestamp | None:
    value = as_of if as_of is not None else config.run.as_of
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(f"as_of must be a date like 2026-06-30, got {value!r}") from None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    # as_of is a date: the whole day counts.
    return ts.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def _seizure_cell_stats(seizures: pd.DataFrame, cells: np.ndarray, resolution: int) -> pd.DataFrame:
    out = pd.DataFrame({S.CELL: cells})
    out["n_seizures"] = 0
    if seizures.empty:
        out["latest_event"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
        return out
    sc = points_to_cells(seizures[S.LON].to_numpy(), seizures[S.LAT].to_numpy(), resolution)
    frame = pd.DataFrame(
        {
            S.CELL: sc,
            S.COMMODITY: seizures[S.COMMODITY].astype(str).to_numpy(),
            S.TIME: seizures[S.TIME].to_numpy(),
        }
    )
    counts = frame.groupby([S.CELL, S.COMMODITY]).size().unstack(fill_value=0)
    counts.columns = [f"seizures_{c}" for c in counts.columns]
    latest = frame.groupby(S.CELL)[S.TIME].max().rename("latest_event")
    n = frame.groupby(S.CELL).size().rename("n_seizures")
    out = (
        out.drop(columns="n_seizures")
        .join(n, on=S.CELL)
        .join(counts, on=S.CELL)
        .join(latest, on=S.CELL)
    )
    count_cols = ["n_seizures", *counts.columns]
    out[count_cols] = out[count_cols].fillna(0).astype("int64")
    return out


def _density(config: Config, seizures: pd.DataFrame, cells: np.ndarray, as_of, window_cells):
    """Return the seizure-density factor on ``cells`` (``window_cells`` bound edge correction)."""
    from .density import kernel_density, seizure_weights

    d = config.density
    if seizures.empty:
        return np.zeros(len(cells)), {"bandwidth_km": None, "note": "no seizures"}
    weights = seizure_weights(
        seizures,
        as_of=as_of,
        half_life_days=d.half_life_days,
        use_quantity=d.use_quantity,
        commodity_weights=d.commodity_weights or None,
    )
    res = kernel_density(
        (seizures[S.LON].to_numpy(), seizures[S.LAT].to_numpy()),
        cells,
        bandwidth_km=d.bandwidth_km,
        kernel=d.kernel,
        weights=weights,
        window=window_cells if d.edge_correction else None,
        edge_correction=d.edge_correction,
        bandwidth_range_km=d.bandwidth_range_km,
        return_result=True,
    )
    info = {
        "bandwidth_km": round(float(res.bandwidth_km), 4),
        "bandwidth_rule": res.bandwidth_rule,
        "kernel": res.kernel,
        "method": res.method,
        "total_weight": round(float(res.total_weight), 6),
    }
    return np.asarray(res.density, dtype="float64"), info


def _features(config: Config, seizures, pings, rasters, ports, region_cells, as_of, timer: _Timer):
    """Compute every factor; return (features, events, info).

    Transit runs first so that its cells join the region's before the density is evaluated;
    with ``area.cells: support`` the table is cut to observed cells before the (costlier)
    raster statistics.
    """
    res = config.area.resolution
    info: dict[str, Any] = {}
    events = None
    transit = None
    if len(pings):
        from .transit import transit_features

        t = config.transit
        with timer.stage("features: transit"):
            tr = transit_features(
                pings,
                res,
                max_segment_hours=t.max_segment_hours,
                gap_hours=t.gap_hours,
                gap_min_speed_kn=t.gap_min_speed_kn,
                loiter_speed_kn=t.loiter_speed_kn,
                loiter_hours=t.loiter_hours,
                encounter_distance_m=t.encounter_distance_m,
                encounter_hours=t.encounter_hours,
                encounter_speed_kn=t.encounter_speed_kn,
                ports=ports,
                port_radius_km=t.port_radius_km,
                max_speed_kn=config.ingest.max_speed_kn,
            )
        info["transit_notes"] = list(tr.notes)
        events = tr.events
        transit = tr.features
    cells = region_cells
    if transit is not None and len(transit):
        if config.area.bbox is not None or config.area.polygon is not None:
            # The area decides the cells: a segment's time in a cell outside it is not scored.
            transit = transit[transit[S.CELL].isin(region_cells)].reset_index(drop=True)
        else:
            cells = np.union1d(cells, transit[S.CELL].to_numpy(dtype="uint64"))
    with timer.stage("features: seizure density"):
        dens, info["density"] = _density(config, seizures, cells, as_of, region_cells)
    feats = pd.DataFrame({S.CELL: cells, S.SEIZURE_DENSITY: dens})
    if transit is not None:
        feats = feats.merge(transit, on=S.CELL, how="left")
        counts = [c for c in transit.columns if c != S.CELL]
        feats[counts] = feats[counts].fillna(0.0)
        t = config.transit
        if t.smooth_events_km > 0 and events is not None and len(events):
            from .density import kernel_density

            for etype, col in (
                ("gap", S.GAP_EVENTS),
                ("loiter", S.LOITER_EVENTS),
                ("encounter", S.ENCOUNTER_EVENTS),
            ):
                ev = events[events["event_type"] == etype]
                if len(ev):
                    smooth = kernel_density(
                        (ev["lon"].to_numpy(), ev["lat"].to_numpy()),
                        cells,
                        bandwidth_km=t.smooth_events_km,
                        kernel=config.density.kernel,
                    )
                    feats[col] = smooth * cell_area_km2(cells)
    if config.area.cells == "support":
        feats = feats[_support(feats)].reset_index(drop=True)
    for src in rasters:
        from .zonal import zonal_stats_to_cells

        with timer.stage(f"features: raster {src['name']}"):
            z = zonal_stats_to_cells(
                src["data"],
                feats[S.CELL].to_numpy(dtype="uint64"),
                stats=config.zonal.stats,
                method=config.zonal.method,
                name=src["name"],
                memory_budget_mb=config.ingest.memory_budget_mb,
            )
        feats = feats.merge(z, on=S.CELL, how="left")
    feats = feats.sort_values(S.CELL, kind="stable").reset_index(drop=True)
    return feats, events, info


CONFIDENCE_THRESHOLDS = (5, 20)


def confidence_labels(seizures_within_bandwidth: np.ndarray) -> np.ndarray:
    """Say how sure the density factor of each cell is.

    'low': fewer than 5 seizures within one bandwidth of the cell centre; 'medium': 5-19;
    'high': 20 or more.  A kernel estimate from a handful of events is mostly the kernel's shape; with twenty or
    more it reflects the data.  The count is unweighted, so old events count too.
    """
    n = np.asarray(seizures_within_bandwidth)
    labels = np.array(["low", "medium", "high"], dtype=object)
    return labels[np.searchsorted(np.asarray(CONFIDENCE_THRESHOLDS), n, side="right")]


def _seizures_within(seizures: pd.DataFrame, cells: np.ndarray, bandwidth_km) -> np.ndarray:
    """Count seizures within one bandwidth of each cell centre (uniform kernel x its area)."""
    if seizures.empty or not bandwidth_km:
        return np.zeros(len(cells), dtype="int64")
    from .density import kernel_density

    d = kernel_density(
        (seizures[S.LON].to_numpy(), seizures[S.LAT].to_numpy()),
        cells,
        bandwidth_km=float(bandwidth_km),
        kernel="uniform",
    )
    return np.rint(d * np.pi * float(bandwidth_km) ** 2).astype("int64")


def _support(feats: pd.DataFrame) -> np.ndarray:
    """Cells with any observation: density support, transit, events or valid raster."""
    keep = np.zeros(len(feats), dtype=bool)
    if S.SEIZURE_DENSITY in feats:
        d = feats[S.SEIZURE_DENSITY].to_numpy()
        if d.max(initial=0) > 0:
            keep |= d >= DENSITY_SUPPORT_FRACTION * d.max()
    for col in (S.VESSEL_HOURS, S.GAP_EVENTS, S.LOITER_EVENTS, S.ENCOUNTER_EVENTS):
        if col in feats:
            keep |= feats[col].to_numpy() > 0
    return keep


def _timeline(config, seizures, feats, as_of, specs, window_cells) -> pd.DataFrame | None:
    """Monthly risk for the time slider: the score recomputed at each month end."""
    months = config.render.timeline_months
    if months <= 0 or seizures.empty or as_of is None:
        return None
    ends = pd.date_range(end=as_of.normalize(), periods=months, freq="ME", tz="UTC")
    rows = []
    for end in ends:
        cutoff = end + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        past = seizures[seizures[S.TIME] <= cutoff]
        f = feats.copy()
        f[S.SEIZURE_DENSITY], _ = _density(
            config, past, f[S.CELL].to_numpy(dtype="uint64"), cutoff, window_cells
        )
        s = score_cells(
            f,
            specs,
            normalisation=config.score.normalisation,
            cap_quantile=config.score.cap_quantile,
            class_breaks=config.score.class_breaks,
            class_labels=config.score.class_labels,
        )
        rows.append(
            pd.DataFrame(
                {S.CELL: s[S.CELL], "period": end.strftime("%Y-%m"), S.RISK: s[S.RISK].round(2)}
            )
        )
    return pd.concat(rows, ignore_index=True)


def run_pipeline(
    config: Config,
    *,
    as_of: dt.date | str | None = None,
    out_dir: str | os.PathLike | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> RunResult:
    """Run every stage and publish the outputs atomically.

    A run whose inputs (sha256), config, ``as_of`` and package version equal those of the
    published run, and whose published outputs still match their manifest hashes, is already
    done: it returns that run (``up_to_date=True``) without recomputing, unless ``force``.

    Parameters
    ----------
    config : Config
        A validated config (:func:`pipeline.load_config`).
    as_of : date or str, optional
        Overrides ``run.as_of``.
    out_dir : path-like, optional
        Overrides ``run.out_dir``.
    progress : callable, optional
        Called with the name of each stage as it starts (the CLI draws a progress bar).
    force : bool, default False
        Recompute even when the published outputs are up to date.

    Returns
    -------
    RunResult
    """
    started = dt.datetime.now(dt.UTC)
    out = Path(out_dir) if out_dir is not None else Path(config.run.out_dir)
    out = out.resolve()
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    timer = _Timer(progress)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot use output folder {str(out)!r}: {exc.strerror or exc}") from None
    with _lock(out):
        key = _run_key(config, as_of)
        if not force:
            done = _up_to_date(out, key)
            if done is not None:
                log.info("outputs in %s are up to date (run %s)", out, done.run_id)
                return done
        staging = out / f".staging-{run_id}"
        staging.mkdir(parents=True)
        try:
            result = _run(config, as_of, out, staging, run_id, started, timer, key)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return result


def _run_key(config: Config, as_of: dt.date | str | None) -> str:
    """Hash of everything a run's outputs depend on: inputs, config, as_of, code version."""
    files = [
        s.path
        for group in (config.inputs.seizures, config.inputs.tracks, config.inputs.rasters)
        for s in group
    ]
    files += [p for p in (config.inputs.ports, config.area.polygon) if p is not None]
    digests = [(str(p), sha256_file(p) if Path(p).is_file() else None) for p in files]
    return _hash(
        [digests, config_to_dict(config), None if as_of is None else str(as_of), __version__]
    )


def _up_to_date(out: Path, key: str) -> RunResult | None:
    """Return the published run if it was made from the same key and is intact."""
    path = out / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("run_key") != key or manifest.get("status") != "ok":
        return None
    outputs = {}
    for name, info in manifest.get("outputs", {}).items():
        target = out / str(info.get("path", ""))
        if not target.is_file() or sha256_file(target) != info.get("sha256"):
            return None
        outputs[name] = target
    if "map" not in outputs or "scores_geoparquet" not in outputs:
        return None
    import geopandas as gpd

    from .grid import to_cells

    scores = pd.DataFrame(gpd.read_parquet(outputs["scores_geoparquet"]).drop(columns="geometry"))
    scores.insert(0, S.CELL, to_cells(scores[S.HEX_ID].to_numpy()))
    outputs["manifest"] = path
    return RunResult(manifest["run_id"], out, outputs, manifest, scores, up_to_date=True)


def _run(config, as_of_arg, out, staging, run_id, started, timer, run_key) -> RunResult:
    import shapely

    from .ingest import open_raster

    as_of = _resolve_as_of(config, as_of_arg)
    area = _read_polygon(config.area.polygon) if config.area.polygon is not None else None
    polygon = shapely.union_all(area.geometry.to_numpy()) if area is not None else None
    aoi = config.area.bbox
    if area is not None:
        aoi = tuple(float(v) for v in area.total_bounds)  # type: ignore[assignment]
    res = config.area.resolution
    used_cache: set[str] = set()
    with timer.stage("ingest"):
        seizures, pings, ingest_report = _ingest_all(
            config, as_of, aoi, out / ".cache", staging, timer, polygon, used_cache
        )
        ports = _read_ports(config.inputs.ports)
        rasters = [
            {
                "name": r.name,
                "path": str(r.path),
                "data": open_raster(r, memory_budget_mb=config.ingest.memory_budget_mb),
            }
            for r in config.inputs.rasters
        ]
    if seizures.empty:
        raise InputError("no seizure record survived ingest; see the rejects files")
    if as_of is None:
        as_of = (
            seizures[S.TIME].max().normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        )
    seizures = seizures[seizures[S.TIME] <= as_of].reset_index(drop=True)

    with timer.stage("cells"):
        if area is not None:
            region = area
        elif aoi is not None:
            region = aoi
        else:
            import geopandas as gpd

            region = gpd.GeoSeries(
                gpd.points_from_xy(
                    np.concatenate([seizures[S.LON], pings[S.LON]]),
                    np.concatenate([seizures[S.LAT], pings[S.LAT]]),
                ),
                crs="EPSG:4326",
            )
        cells = region_to_cells(region, res, margin_km=config.area.margin_km)
    feats, events, feat_info = _features(
        config, seizures, pings, rasters, ports, cells, as_of, timer
    )
    if feats.empty:
        raise InputError("no H3 cell has any observation inside the area of interest")

    with timer.stage("score"):
        specs = factor_specs(config.score.factors)
        stats = _seizure_cell_stats(seizures, feats[S.CELL].to_numpy(dtype="uint64"), res)
        observed = (stats["n_seizures"].to_numpy() > 0) | _support(feats)
        scores = score_cells(
            feats,
            specs,
            normalisation=config.score.normalisation,
            cap_quantile=config.score.cap_quantile,
            class_breaks=config.score.class_breaks,
            class_labels=config.score.class_labels,
            observed=observed,
        )
        scores = scores.merge(stats, on=S.CELL, how="left")
        bandwidth = feat_info["density"].get("bandwidth_km")
        near = _seizures_within(seizures, scores[S.CELL].to_numpy(dtype="uint64"), bandwidth)
        scores[S.SEIZURES_WITHIN_BANDWIDTH] = near
        scores[S.CONFIDENCE] = confidence_labels(near)
    evaluation = None
    if config.evaluate.enabled:
        from .evaluate import back_test

        with timer.stage("back-test"):
            evaluation = back_test(
                seizures,
                feats[S.CELL].to_numpy(dtype="uint64"),
                as_of=as_of,
                density_fn=lambda train, c, split: _density(config, train, c, split, cells)[0],
                test_days=config.evaluate.test_days,
                area_fractions=config.evaluate.area_fractions,
            )
    with timer.stage("timeline"):
        timeline = _timeline(config, seizures, feats, as_of, specs, cells)

    outputs: dict[str, Path] = {}
    inputs_list = [e["path"] for k in ("seizures", "tracks") for e in ingest_report[k]]
    inputs_list += [r["path"] for r in rasters]
    products = _Products(
        seizures=seizures,
        pings=pings,
        events=events,
        feats=feats,
        scores=scores,
        timeline=timeline,
        rasters=rasters,
        specs=specs,
        bandwidth_km=feat_info["density"].get("bandwidth_km"),
    )
    with timer.stage("render"):
        outputs.update(_render(config, staging, products, as_of, run_id, inputs_list))
    with timer.stage("export"):
        outputs.update(_export(config, staging, products))
        if evaluation is not None:
            outputs["evaluation"] = atomic_write_text(
                staging / "evaluation.json", json.dumps(evaluation, indent=2) + "\n"
            )
            if "methods" in evaluation and config.render.preview_png:
                from .evaluate import plot_back_test

                plot_back_test(evaluation, staging / "evaluation.png")
                outputs["evaluation_png"] = staging / "evaluation.png"

    published = _publish(staging, out, outputs)
    finished = dt.datetime.now(dt.UTC)
    manifest = {
        "run_id": run_id,
        "run_key": run_key,
        "status": "ok",
        "as_of": as_of.date().isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "config_file": str(config.source) if config.source else None,
        "config": config_to_dict(config),
        "versions": _versions(),
        "inputs": {
            **ingest_report,
            "rasters": [
                {"path": r["path"], "sha256": sha256_file(r["path"]), "name": r["name"]}
                for r in rasters
            ],
            "ports": str(config.inputs.ports) if config.inputs.ports else None,
        },
        "counts": {
            "seizures_used": int(len(seizures)),
            "pings_used": int(len(pings)),
            "cells": int(len(scores)),
            "cells_observed": int(scores["observed"].sum()),
            "events": {}
            if events is None
            else {k: int(v) for k, v in events["event_type"].value_counts().sort_index().items()},
            "rejected": {
                k: sum(e["rejected"] for e in ingest_report[k]) for k in ("seizures", "tracks")
            },
            "risk_classes": {
                str(k): int(v) for k, v in scores[S.RISK_CLASS].value_counts().sort_index().items()
            },
        },
        "features": feat_info,
        "evaluation": evaluation,
        "timings_s": timer.timings,
        "outputs": {
            name: {"path": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size}
            for name, p in sorted(published.items())
        },
    }
    if not config.inputs.ports and len(pings):
        manifest["notes"] = [
            "no ports layer: loitering and encounters are not filtered by port distance"
        ]
    manifest_path = atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    published["manifest"] = manifest_path
    stale = _remove_stale(out, published)
    if stale:
        log.info("removed outputs of the previous run that this run does not produce: %s", stale)
    _prune_cache(out / ".cache", used_cache)
    return RunResult(run_id, out, published, manifest, scores)


@dataclass
class _Products:
    """What the stages computed, handed to render and export."""

    seizures: pd.DataFrame
    pings: pd.DataFrame
    events: pd.DataFrame | None
    feats: pd.DataFrame
    scores: pd.DataFrame
    timeline: pd.DataFrame | None
    rasters: list[dict[str, Any]]
    specs: list[FactorSpec]
    bandwidth_km: float | None


def _render(
    config: Config,
    staging: Path,
    p: _Products,
    as_of: pd.Timestamp,
    run_id: str,
    inputs_list: list[str],
) -> dict[str, Path]:
    from .render import (
        FactorInfo,
        MapData,
        RasterOverlay,
        RenderOptions,
        write_map,
        write_preview_png,
    )

    overlays = []
    for r in p.rasters:
        ov = _raster_overlay(r)
        if ov is not None:
            overlays.append(RasterOverlay(**ov))
    transit = None
    if S.VESSEL_HOURS in p.feats:
        transit = p.feats.loc[p.feats[S.VESSEL_HOURS] > 0, [S.CELL, S.VESSEL_HOURS]]
    data = MapData(
        scores=p.scores,
        factors=[FactorInfo(s.name, s.display, s.weight, "", "") for s in p.specs],
        class_breaks=list(config.score.class_breaks),
        class_labels=list(config.score.class_labels),
        seizures=p.seizures,
        events=p.events,
        transit=transit,
        rasters=overlays,
        timeline=p.timeline,
        bandwidth_km=p.bandwidth_km,
    )
    title = config.render.title or config.run.name
    opts = RenderOptions(
        title=title, tiles=config.render.tiles, max_seizure_points=config.render.max_seizure_points
    )
    out = {
        "map": write_map(
            data,
            staging / "risk_map.html",
            as_of=as_of.date().isoformat(),
            run_id=run_id,
            inputs=[Path(p).name for p in inputs_list],
            options=opts,
        )
    }
    if config.render.preview_png:
        out["preview"] = write_preview_png(data, staging / "preview.png", title=title)
    return out


def _raster_overlay(r: dict) -> dict | None:
    """Downsample a raster to at most ~1000 px for the map overlay (display only)."""
    da = r["data"]
    try:
        if da.rio.crs is None or not da.rio.crs.is_geographic:
            da = da.rio.reproject("EPSG:4326")
        band = da.isel(band=0) if "band" in da.dims else da
        step = max(1, int(np.ceil(max(band.shape) / 1000)))
        small = band.isel(y=slice(None, None, step), x=slice(None, None, step))
        arr = np.asarray(small.values, dtype="float64")
        x0, y0, x1, y1 = band.rio.bounds()
    except Exception as exc:  # display only: a failed overlay must not fail the run
        log.warning("raster overlay for %s skipped: %s", r["name"], exc)
        return None
    return {"name": r["name"], "array": arr, "bounds": (x0, y0, x1, y1), "units": ""}


def _export(config: Config, staging: Path, p: _Products) -> dict[str, Path]:
    from .grid import cells_to_geodataframe

    scores, feats, seizures, pings, events = p.scores, p.feats, p.seizures, p.pings, p.events
    out: dict[str, Path] = {}
    flat = scores.copy()
    for c in flat.columns:
        if isinstance(flat[c].dtype, pd.DatetimeTZDtype):
            flat[c] = flat[c].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out["scores_csv"] = write_csv(flat.drop(columns=[S.CELL]), staging / "scores.csv")
    gdf = cells_to_geodataframe(
        scores[S.CELL].to_numpy(dtype="uint64"),
        **{c: flat[c].to_numpy() for c in flat.columns if c not in (S.CELL, S.HEX_ID)},
    )
    out["scores_geoparquet"] = write_geoparquet(gdf, staging / "scores.geoparquet")
    if config.render.geojson:
        out["scores_geojson"] = write_geojson(gdf, staging / "scores.geojson")
    out["features"] = write_parquet(feats, staging / "features.parquet")
    out["seizures"] = write_parquet(seizures, staging / "seizures.parquet")
    if len(pings):
        out["pings"] = write_parquet(pings, staging / "pings.parquet")
    if events is not None:
        out["events"] = write_parquet(events, staging / "events.parquet")
    return out


PREVIOUS_MANIFEST = ".manifest.previous.json"


def _publish(staging: Path, out: Path, outputs: dict[str, Path]) -> dict[str, Path]:
    """Move every staged file onto its published name (atomic per file); rejects too.

    The previous ``manifest.json`` is moved aside first, so while files are being replaced
    there is no manifest: a reader that finds ``manifest.json`` finds the set it describes.
    """
    if (out / "manifest.json").exists():
        os.replace(out / "manifest.json", out / PREVIOUS_MANIFEST)
    published = {}
    rejects = staging / "rejects"
    fresh_rejects = set()
    if rejects.is_dir():
        (out / "rejects").mkdir(exist_ok=True)
        for f in sorted(rejects.iterdir()):
            os.replace(f, out / "rejects" / f.name)
            fresh_rejects.add(f.name)
    for name, path in outputs.items():
        target = out / path.name
        os.replace(path, target)
        published[name] = target
    if (out / "rejects").is_dir():
        for f in (out / "rejects").iterdir():
            if f.suffix == ".csv" and f.name not in fresh_rejects:
                f.unlink()
    return published


def _remove_stale(out: Path, published: dict[str, Path]) -> list[str]:
    """Delete outputs of the previous run that this run did not produce; return their names."""
    previous = out / PREVIOUS_MANIFEST
    if not previous.exists():
        return []
    try:
        old = json.loads(previous.read_text(encoding="utf-8")).get("outputs", {})
    except (OSError, ValueError):
        old = {}
    current = {p.name for p in published.values()}
    removed = []
    for info in old.values():
        name = Path(str(info.get("path", ""))).name
        if name and name not in current and (out / name).is_file():
            (out / name).unlink()
            removed.append(name)
    previous.unlink()
    return sorted(removed)


def _prune_cache(cache_dir: Path, used: set[str]) -> None:
    """Keep only the cache entries this run used: the cache holds one night, not all nights."""
    if cache_dir.is_dir():
        for f in cache_dir.glob("*.pkl"):
            if f.name not in used:
                f.unlink()
