"""The runner: wires the planned stages, times them, publishes, writes the manifest.

It holds no domain logic: the stage list is :mod:`pipeline.runner.plan`, the stage functions
are :mod:`pipeline.runner.stages`, the cache :mod:`pipeline.runner.cache`, the lock, link
checks and the atomic publish :mod:`pipeline.runner.publish`, and the manifest's pieces
:mod:`pipeline.runner.manifest`.  A run whose inputs, config, ``as_of`` and code version equal
those of the published run - and whose outputs still match their hashes - is up to date and
returns at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema as S
from .config import Config, config_to_dict
from .errors import ConfigError
from .io import sha256_file
from .runner import manifest as M
from .runner import publish as P
from .runner.cache import StageCache, digest
from .runner.plan import planned_stages
from .runner.stages import STAGE_FUNCTIONS, RunState, resolve_as_of

__all__ = ["RunResult", "run_pipeline"]

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]


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
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("stage %s", name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)


def input_paths(config: Config) -> list[Path]:
    """Every input file a config names (tables, rasters, ports, area polygon)."""
    groups = (config.inputs.seizures, config.inputs.tracks, config.inputs.rasters)
    files = [Path(s.path) for g in groups for s in g]
    files += [Path(c.path) for c in config.inputs.context_sources()]
    return files + [Path(config.area.polygon)] if config.area.polygon is not None else files


def _run_key(config: Config, as_of: dt.date | str | None) -> str:
    """Hash of everything a run's outputs depend on: inputs, config, as_of, code version."""
    digests = [(str(p), sha256_file(p) if p.is_file() else None) for p in input_paths(config)]
    return digest(
        [digests, config_to_dict(config), None if as_of is None else str(as_of), M.code_version()]
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
        target = out / Path(str(info.get("path", ""))).name
        if target.is_symlink() or not target.is_file() or sha256_file(target) != info.get("sha256"):
            return None
        outputs[name] = target
    table = outputs.get("scores_parquet") or outputs.get("scores_geoparquet")  # before 0.2
    if "map" not in outputs or table is None:
        return None
    import geopandas as gpd

    from .grid import to_cells

    scores = pd.DataFrame(gpd.read_parquet(table).drop(columns="geometry"))
    cells = to_cells(scores[S.HEX_ID].to_numpy())
    if S.CELL in scores.columns:
        scores[S.CELL] = cells
    else:
        scores.insert(0, S.CELL, cells)
    outputs["manifest"] = path
    return RunResult(manifest["run_id"], out, outputs, manifest, scores, up_to_date=True)


def _stages(state: RunState, run_id: str, timer: _Timer, progress: ProgressFn | None) -> dict:
    """Run the planned stages in order; return which came from the cache."""
    planned = planned_stages(state.config)
    report: dict[str, dict[str, Any]] = {}
    for name, fn in STAGE_FUNCTIONS.items():
        if name not in planned and name != "features":
            continue
        if progress is not None and name != "features":
            progress(name)
        before = dict(state.cache.hits)
        with timer.stage(name):
            fn(state, run_id) if name == "render" else fn(state)
        new = {k: v for k, v in state.cache.hits.items() if before.get(k) != v or k not in before}
        report[name] = {"cached": bool(new) and all(new.values()), "seconds": timer.timings[name]}
        if new:
            report[name]["parts"] = dict(sorted(new.items()))
    return report


def _inputs_entry(state: RunState) -> dict[str, Any]:
    """Return the inputs as the manifest records them: files, hashes, counts, assumptions."""
    cfg = state.config
    return {
        **state.ingest_report,
        "rasters": [
            {
                "path": r["path"],
                "sha256": sha256_file(r["path"]),
                "name": r["name"],
                "crs": str(r["data"].rio.crs) if r["data"].rio.crs else None,
                "shape": list(r["data"].shape),
                "coverage": r["coverage"],
                "assumptions": r["assumptions"],
            }
            for r in state.rasters
        ],
        "ports": str(cfg.inputs.ports) if cfg.inputs.ports else None,
    }


def _manifest(
    state: RunState, run_id: str, key: str, started: dt.datetime, stages: dict, published: dict
) -> dict[str, Any]:
    cfg, scores, ft = state.config, state.scores, state.features
    assert scores is not None and ft is not None and state.as_of is not None
    events = state.events
    from .factors import default_registry

    avail = default_registry.available(cfg.inputs_view())
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "run_key": key,
        "status": "ok",
        "as_of": state.as_of.date().isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config_file": str(cfg.source) if cfg.source else None,
        "config": config_to_dict(cfg),
        "versions": M.versions(),
        "inputs": _inputs_entry(state),
        "counts": {
            "seizures_used": len(state.seizures),
            "pings_used": len(state.pings),
            "cells": len(scores),
            "cells_observed": int(scores[S.OBSERVED].sum()),
            "events": {}
            if events is None
            else events[S.EVENT_TYPE].value_counts().sort_index().to_dict(),
            "rejected": {
                k: sum(e["rejected"] for e in state.ingest_report[k])
                for k in ("seizures", "tracks")
            },
            "risk_classes": scores[S.RISK_CLASS].value_counts().sort_index().to_dict(),
            "risk_class_breaks": state.class_breaks,
        },
        "factors": M.factor_entries(ft.table, avail),
        "features": {
            "density": ft.info.get(S.SEIZURE_DENSITY, {}),
            "density_parameters": state.density_choice,
            "transit_notes": list(getattr(ft.shared.get("transit"), "notes", [])),
        },
        "evaluation": state.evaluation,
        "hotspots": state.hotspots,
        "stages": stages,
        "timings_s": {k: v["seconds"] for k, v in stages.items()},
        "outputs": M.output_entries(published),
    }
    if "ports" not in state.context and len(state.pings):
        manifest["notes"] = [
            "no ports layer: loitering and encounters are not filtered by port distance"
        ]
    return manifest


def _run(
    config: Config,
    as_of,
    out: Path,
    staging: Path,
    run_id: str,
    key: str,
    progress: ProgressFn | None,
) -> RunResult:
    started = dt.datetime.now(dt.UTC)
    timer = _Timer()
    state = RunState(
        config,
        resolve_as_of(as_of if as_of is not None else config.run.as_of),
        out,
        staging,
        StageCache(out / ".cache"),
        progress,
    )
    stages = _stages(state, run_id, timer, progress)
    with P.signals_held():
        published = P.publish(staging, out, state.outputs)
        manifest = _manifest(state, run_id, key, started, stages, published)
        published["manifest"] = M.write_json(out / "manifest.json", manifest)
        stale = P.remove_stale(out, published)
    manifest = json.loads(published["manifest"].read_text(encoding="utf-8"))
    if stale:
        log.info("removed outputs of the previous run that this run does not produce: %s", stale)
    state.cache.prune()
    assert state.scores is not None
    return RunResult(run_id, out, published, manifest, state.scores)


def run_pipeline(
    config: Config,
    *,
    as_of: dt.date | str | None = None,
    out_dir: str | os.PathLike | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> RunResult:
    """Run every planned stage and publish the outputs atomically.

    Parameters
    ----------
    config : Config
        A validated config (:func:`pipeline.load_config`).
    as_of : date or str, optional
        Overrides ``run.as_of``.
    out_dir : path-like, optional
        Overrides ``run.out_dir``.
    progress : callable, optional
        Called with the name of each planned stage as it starts
        (:func:`pipeline.runner.plan.planned_stages` lists them; the CLI draws a bar).
    force : bool, default False
        Recompute even when the published outputs are up to date (the stage cache is
        still used: it is keyed by content).

    Returns
    -------
    RunResult
    """
    out = Path(out_dir) if out_dir is not None else Path(config.run.out_dir)
    out = Path(os.path.abspath(out))
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    P.check_out_dir(out, input_paths(config))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot use output folder {str(out)!r}: {exc.strerror or exc}") from None
    with P.lock(out):
        key = _run_key(config, as_of)
        if not force and (done := _up_to_date(out, key)) is not None:
            log.info("outputs in %s are up to date (run %s)", out, done.run_id)
            return done
        with P.staging_dir(out, run_id) as staging:
            return _run(config, as_of, out, staging, run_id, key, progress)
