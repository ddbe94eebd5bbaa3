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
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema as S
from .config import Config, config_to_dict
from .errors import ConfigError, DataQualityError
from .io import sha256_file
from .runner import manifest as M
from .runner import publish as P
from .runner.cache import StageCache, digest
from .runner.plan import planned_stages
from .runner.stages import STAGE_FUNCTIONS, RunState, resolve_as_of

__all__ = [
    "RunResult",
    "input_files",
    "input_freshness",
    "run_history",
    "run_pipeline",
    "run_status",
]

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


def input_files(config: Config) -> list[dict[str, Any]]:
    """Path, sha256, size and modification time of every input, taken now (a run's start).

    The manifest records these, not hashes taken at the end: an input rewritten while the
    run reads it must not be recorded with bytes the run never saw.
    """
    out: list[dict[str, Any]] = []
    for p in input_paths(config):
        try:
            st = p.stat()
            if not p.is_file():  # a folder: ingest says what is wrong with it
                raise IsADirectoryError(str(p))
        except OSError:
            out.append({"path": str(p), "sha256": None, "bytes": None, "modified": None})
            continue
        out.append(
            {
                "path": str(p),
                "sha256": sha256_file(p),
                "bytes": st.st_size,
                "modified": dt.datetime.fromtimestamp(st.st_mtime, dt.UTC).isoformat(
                    timespec="seconds"
                ),
            }
        )
    return out


# run options that change how runs are kept or judged, never what they compute
_OPERATIONS_ONLY = ("keep_runs", "max_input_age_days", "freshness")


def _run_key(config: Config, as_of: dt.date | str | None, files: list[dict[str, Any]]) -> str:
    """Hash of everything a run's outputs depend on: inputs, config, as_of, code version."""
    cfg = config_to_dict(config)
    cfg["run"] = {k: v for k, v in cfg["run"].items() if k not in _OPERATIONS_ONLY}
    digests = [(f["path"], f["sha256"]) for f in files]
    return digest([digests, cfg, None if as_of is None else str(as_of), M.code_version()])


def input_freshness(
    files: list[dict[str, Any]], max_age_days: float | None, now: dt.datetime
) -> list[dict[str, Any]]:
    """Age in days of each input file (since its last modification) and whether it is stale.

    Parameters
    ----------
    files : list of dict
        Entries of :func:`input_files` (``path`` and ``modified``).
    max_age_days : float or None
        The policy (``run.max_input_age_days``); None: nothing is stale.
    now : datetime
        The moment to measure from (timezone-aware).

    Returns
    -------
    list of dict
        ``path``, ``age_days`` (None for a missing file) and ``stale`` per file.
    """
    out = []
    for f in files:
        age = None
        if f.get("modified"):
            age = (now - dt.datetime.fromisoformat(f["modified"])).total_seconds() / 86400
        stale = max_age_days is not None and age is not None and age > max_age_days
        out.append(
            {
                "path": f["path"],
                "age_days": None if age is None else round(age, 2),
                "stale": bool(stale),
            }
        )
    return out


def _check_freshness(config: Config, files: list[dict[str, Any]], now: dt.datetime) -> dict:
    """Apply ``run.max_input_age_days``: warn (logged, in the manifest) or fail the run."""
    limit = config.run.max_input_age_days
    ages = input_freshness(files, limit, now)
    stale = [a for a in ages if a["stale"]]
    if stale:
        text = ", ".join(f"{Path(a['path']).name!r} ({a['age_days']} days)" for a in stale)
        message = (
            f"input(s) not modified for more than run.max_input_age_days = {limit!r} days: "
            f"{text}; is the feed that updates them still running?"
        )
        if config.run.freshness == "fail":
            raise DataQualityError(message + " (run.freshness: fail; the last set stays)")
        log.warning("%s", message)
    return {
        "max_input_age_days": limit,
        "policy": config.run.freshness,
        "stale": [a["path"] for a in stale],
        "age_days": {a["path"]: a["age_days"] for a in ages},
    }


def _up_to_date(out: Path, key: str) -> RunResult | None:
    """Return the published run if it was made from the same key and is intact."""
    run_id = P.current_run(out)
    if run_id is None:
        return None
    folder = out / P.RUNS / run_id
    path = folder / "manifest.json"
    try:
        if path.is_symlink():
            return None
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("run_key") != key or manifest.get("status") != "ok":
        return None
    outputs = {}
    for name, info in manifest.get("outputs", {}).items():
        file = Path(str(info.get("path", ""))).name
        target = folder / file
        if target.is_symlink() or not target.is_file() or sha256_file(target) != info.get("sha256"):
            return None
        if not (out / file).is_file():  # a top-level link someone removed
            return None
        outputs[name] = out / file
    if "map" not in outputs or "scores_geoparquet" not in outputs:
        return None
    import geopandas as gpd

    from .grid import to_cells

    scores = pd.DataFrame(gpd.read_parquet(outputs["scores_geoparquet"]).drop(columns="geometry"))
    scores.insert(0, S.CELL, to_cells(scores[S.HEX_ID].to_numpy()))
    outputs["manifest"] = out / "manifest.json"
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
        P.failpoint(f"stage {name}")
        before = dict(state.cache.hits)
        with timer.stage(name):
            fn(state, run_id) if name == "render" else fn(state)
        new = {k: v for k, v in state.cache.hits.items() if before.get(k) != v or k not in before}
        report[name] = {"cached": bool(new) and all(new.values()), "seconds": timer.timings[name]}
        if new:
            report[name]["parts"] = dict(sorted(new.items()))
    return report


def _inputs_entry(state: RunState, files: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the inputs as the manifest records them: files, hashes, counts, assumptions."""
    cfg = state.config
    sha = {f["path"]: f["sha256"] for f in files}
    return {
        **state.ingest_report,
        "rasters": [
            {
                "path": r["path"],
                "sha256": sha.get(str(r["path"])) or sha256_file(r["path"]),
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
    state: RunState, run: _RunInfo, stages: dict, staged: dict[str, Path]
) -> dict[str, Any]:
    cfg, scores, ft = state.config, state.scores, state.features
    assert scores is not None and ft is not None and state.as_of is not None
    events = state.events
    from .factors import default_registry

    avail = default_registry.available(cfg.inputs_view())
    manifest: dict[str, Any] = {
        "run_id": run.run_id,
        "run_key": run.key,
        "status": "ok",
        "as_of": state.as_of.date().isoformat(),
        "started": run.started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "previous_run": run.previous,
        "code_version": M.code_version(),
        "command_line": run.command_line,
        "host": socket.gethostname(),
        "config_file": str(cfg.source) if cfg.source else None,
        "config": config_to_dict(cfg),
        "versions": M.versions(),
        "input_files": run.files,
        "freshness": run.freshness,
        "inputs": _inputs_entry(state, run.files),
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
        },
        "factors": M.factor_entries(ft.table, avail),
        "features": {
            "density": ft.info.get(S.SEIZURE_DENSITY, {}),
            "transit_notes": list(getattr(ft.shared.get("transit"), "notes", [])),
        },
        "evaluation": state.evaluation,
        "hotspots": state.hotspots,
        "stages": stages,
        "timings_s": {k: v["seconds"] for k, v in stages.items()},
        "outputs": M.output_entries(staged),
    }
    if run.killed:
        manifest["cleaned_up"] = {"killed_runs": run.killed}
    if "ports" not in state.context and len(state.pings):
        manifest["notes"] = [
            "no ports layer: loitering and encounters are not filtered by port distance"
        ]
    return manifest


@dataclass
class _RunInfo:
    """What the runner knows about a run before its stages start."""

    run_id: str
    key: str
    started: dt.datetime
    files: list[dict[str, Any]]
    freshness: dict[str, Any]
    previous: str | None
    command_line: list[str] | None
    killed: list[str]


def _run(
    config: Config, as_of, out: Path, staging: Path, run: _RunInfo, progress: ProgressFn | None
) -> RunResult:
    timer = _Timer()
    state = RunState(
        config,
        resolve_as_of(as_of if as_of is not None else config.run.as_of),
        out,
        staging,
        StageCache(out / ".cache"),
        progress,
        failed_dir=out / P.RUNS / run.run_id,
    )
    stages = _stages(state, run.run_id, timer, progress)
    manifest = _manifest(state, run, stages, state.outputs)
    M.write_json(staging / "manifest.json", manifest)  # last: a run folder with one is whole
    P.failpoint("publish: manifest written")
    names = [p.name for p in state.outputs.values()]
    with P.signals_held():
        P.publish(staging, out, run.run_id, names)
        pruned = P.prune_runs(out, config.run.keep_runs)
    if pruned:
        log.info("pruned run folders beyond run.keep_runs = %d: %s", config.run.keep_runs, pruned)
    state.cache.prune()
    assert state.scores is not None
    published = {k: out / p.name for k, p in state.outputs.items()}
    published["manifest"] = out / "manifest.json"
    return RunResult(run.run_id, out, published, manifest, state.scores)


def _failure_status(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if not isinstance(exc, Exception):  # SIGTERM (the CLI's Terminated), SystemExit
        return "stopped"
    return "failed"


def run_pipeline(
    config: Config,
    *,
    as_of: dt.date | str | None = None,
    out_dir: str | os.PathLike | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
    command_line: list[str] | None = None,
) -> RunResult:
    """Run every planned stage and publish the outputs as one set.

    The outputs go to ``OUT/runs/<run_id>/`` and ``OUT/current`` is switched to it in one
    rename; ``OUT/risk_map.html``, ``OUT/scores.csv``, ``OUT/manifest.json``, ... are fixed
    links through ``current`` (:mod:`pipeline.runner.publish`).  A run that fails leaves the
    published set as it was and records ``runs/<run_id>/status.json``.

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
    command_line : list of str, optional
        The command that started the run, recorded in the manifest.

    Returns
    -------
    RunResult
        Its ``outputs`` are the top-level paths (links through ``current``).
    """
    out = Path(out_dir) if out_dir is not None else Path(config.run.out_dir)
    out = Path(os.path.abspath(out))
    started = dt.datetime.now(dt.UTC)
    run_id = P.new_run_id(started)
    P.check_out_dir(out, input_paths(config))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot use output folder {str(out)!r}: {exc.strerror or exc}") from None
    with P.lock(out):
        killed = P.remove_stale_staging(out)
        if killed:
            log.warning("removed the staging folders of killed runs: %s", killed)
        files = input_files(config)
        key = _run_key(config, as_of, files)
        if not force and (done := _up_to_date(out, key)) is not None:
            log.info("outputs in %s are up to date (run %s)", out, done.run_id)
            return done
        previous = P.current_run(out)
        try:
            info = _RunInfo(
                run_id,
                key,
                started,
                files,
                _check_freshness(config, files, started),
                previous,
                list(command_line) if command_line is not None else None,
                killed,
            )
            with P.staging_dir(out, run_id) as staging:
                return _run(config, as_of, out, staging, info, progress)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                P.write_status(
                    out,
                    run_id,
                    {
                        "run_id": run_id,
                        "status": _failure_status(exc),
                        "error": f"{type(exc).__name__}: {exc}",
                        "started": started.isoformat(timespec="seconds"),
                        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        "previous_run": previous,
                        "command_line": command_line,
                        "published": P.current_run(out),
                    },
                )
                P.prune_runs(out, config.run.keep_runs)
            raise


def _read_json(path: Path) -> dict[str, Any] | None:
    """Return the JSON object in a regular file (never read through a link), or None."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _run_record(folder: Path, published: str | None) -> dict[str, Any]:
    """One line of the history: a run folder's manifest, or its status.json."""
    manifest = _read_json(folder / "manifest.json")
    status = _read_json(folder / "status.json")
    rec: dict[str, Any] = {"run_id": folder.name, "published": folder.name == published}
    if manifest is not None:
        stages = manifest.get("stages", {})
        rec |= {
            "status": manifest.get("status", "ok"),
            "started": manifest.get("started"),
            "finished": manifest.get("finished"),
            "as_of": manifest.get("as_of"),
            "seconds": round(sum(manifest.get("timings_s", {}).values()), 1),
            "cells": manifest.get("counts", {}).get("cells"),
            "stages_cached": sorted(k for k, v in stages.items() if v.get("cached")),
            "previous_run": manifest.get("previous_run"),
            "code_version": manifest.get("code_version"),
        }
    elif status is not None:
        rec |= {k: status.get(k) for k in ("status", "started", "finished", "error")}
    else:
        rec["status"] = "unknown"
    return rec


def run_history(out_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """One record per kept run of an output folder, oldest first.

    Parameters
    ----------
    out_dir : path-like
        An output folder of :func:`run_pipeline`.

    Returns
    -------
    list of dict
        ``run_id``, ``status`` (``ok``, ``failed``, ``stopped``, ``interrupted``, ``killed``
        or ``unknown``), ``published``, ``started``, ``finished`` and, for a finished run,
        ``as_of``, ``seconds``, ``cells`` and ``stages_cached``; ``error`` for a failed one.
    """
    out = Path(out_dir)
    published = P.current_run(out)
    return [_run_record(d, published) for d in P.run_dirs(out)]


def run_status(out_dir: str | os.PathLike, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Report whether the last run succeeded, how old the map is and how fresh the inputs are.

    Parameters
    ----------
    out_dir : path-like
        An output folder of :func:`run_pipeline`.
    now : datetime, optional
        The moment ages are measured from (default: now, UTC).

    Returns
    -------
    dict
        ``last_run`` (the newest run's record, see :func:`run_history`), ``published`` (the
        published run's record plus ``map_age_hours``), ``inputs`` (per input file of the
        published run: ``age_days``, ``stale`` under its ``run.max_input_age_days`` and
        ``changed_since_run``), ``stages`` (name to ``cached``) and ``running`` (a staging
        folder exists: a run is in progress, or was killed and the next one cleans up).

    Raises
    ------
    ConfigError
        ``out_dir`` holds no run, or its ``current`` is not route-risk's link.
    """
    out = Path(out_dir)
    now = now or dt.datetime.now(dt.UTC)
    history = run_history(out)
    if not history:
        raise ConfigError(f"{str(out)!r} holds no route-risk run (no {P.RUNS}/<run_id> folder)")
    published_id = P.current_run(out)
    running = any(p.name.startswith(".staging-") for p in (out / P.RUNS).iterdir())
    status: dict[str, Any] = {
        "out_dir": str(out),
        "now": now.isoformat(timespec="seconds"),
        "last_run": history[-1],
        "published": None,
        "inputs": [],
        "stages": {},
        "running": running,
    }
    manifest = (
        None if published_id is None else _read_json(out / P.RUNS / published_id / "manifest.json")
    )
    if manifest is None:
        return status
    rec = next(r for r in history if r["run_id"] == published_id)
    finished = dt.datetime.fromisoformat(manifest["finished"])
    status["published"] = rec | {
        "map_age_hours": round((now - finished).total_seconds() / 3600, 2),
        "map": str(out / manifest.get("outputs", {}).get("map", {}).get("path", "risk_map.html")),
    }
    limit = manifest.get("config", {}).get("run", {}).get("max_input_age_days")
    recorded = manifest.get("input_files", [])
    now_files = []
    for f in recorded:
        p = Path(f["path"])
        try:
            st = p.stat()
            modified = dt.datetime.fromtimestamp(st.st_mtime, dt.UTC).isoformat(timespec="seconds")
            now_files.append({"path": f["path"], "modified": modified, "bytes": st.st_size})
        except OSError:
            now_files.append({"path": f["path"], "modified": None, "bytes": None})
    for f, cur, age in zip(
        recorded, now_files, input_freshness(now_files, limit, now), strict=True
    ):
        changed = (cur["modified"], cur["bytes"]) != (f.get("modified"), f.get("bytes"))
        status["inputs"].append(
            age | {"exists": cur["modified"] is not None, "changed_since_run": changed}
        )
    status["max_input_age_days"] = limit
    status["stages"] = {k: bool(v.get("cached")) for k, v in manifest.get("stages", {}).items()}
    return status
