"""The manifest of one run, assembled from the run's state (written last by the runner)."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import schema as S
from ..config import config_to_dict
from ..io import sha256_file
from . import manifest as M
from .stages import RunState, raster_factor_units

__all__ = ["RunInfo", "build_manifest"]


@dataclass
class RunInfo:
    """What the runner knows about a run before its stages start."""

    run_id: str
    key: str
    started: dt.datetime
    files: list[dict[str, Any]]
    freshness: dict[str, Any]
    previous: str | None
    command_line: list[str] | None
    killed: list[str]
    cold: bool = False  # nothing read from the stage cache
    notes: list[str] = field(default_factory=list)  # what the run noticed before its stages
    #: the input patterns and the files each matched (:func:`.inputs.expand_patterns`)
    patterns: list[dict[str, Any]] = field(default_factory=list)
    #: the word that named ``as_of`` ("yesterday", "today"), None for a date or none given
    as_of_rule: str | None = None
    #: the libraries' versions read at the run's start (:func:`.manifest.versions`), which
    #: its key, its stages' cache keys and its manifest hold; None: read them when needed
    versions: dict[str, str] | None = None


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
                "crs": str(r["data"].rio.crs)
                if r["data"].rio.crs
                else ((r["assumptions"] or {}).get("crs") or {}).get("value"),
                "shape": list(r["data"].shape),
                "coverage": r["coverage"],
                "assumptions": r["assumptions"],
            }
            for r in state.rasters
        ],
        "ports": str(cfg.inputs.ports) if cfg.inputs.ports else None,
    }


def build_manifest(
    state: RunState, run: RunInfo, stages: dict, staged: dict[str, Path]
) -> dict[str, Any]:
    """Return the manifest of a finished run (``staged``: its outputs in the staging folder)."""
    cfg, scores, ft = state.config, state.scores, state.features
    assert scores is not None and ft is not None and state.as_of is not None
    events = state.events
    left_out = _pings_left_out(state)
    from ..factors import default_registry

    avail = default_registry.available(cfg.inputs_view())
    manifest: dict[str, Any] = {
        "run_id": run.run_id,
        "run_key": run.key,
        "status": "ok",
        "as_of": state.as_of.date().isoformat(),
        **({"as_of_rule": f"{run.as_of_rule} (UTC, at the run's start)"} if run.as_of_rule else {}),
        "started": run.started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "previous_run": run.previous,
        "cache": "not read (a cold run)" if run.cold else "read",
        "code_version": M.code_version(),
        "command_line": run.command_line,
        "host": socket.gethostname(),
        "config_file": str(cfg.source) if cfg.source else None,
        "config": config_to_dict(cfg),
        "versions": M.versions() if run.versions is None else run.versions,
        # by name: the cache and run keys hold their values
        **({"reader_settings": list(names)} if (names := M.reader_settings()) else {}),
        "input_files": run.files,
        **({"input_patterns": run.patterns} if run.patterns else {}),
        "freshness": run.freshness,
        "inputs": _inputs_entry(state, run.files),
        "counts": {
            "seizures_used": len(state.seizures),
            # the positions the transit pass left out or dropped are not used (its notes
            # say how many): a jump two track files make together is dropped there
            "pings_used": len(state.pings) - sum(left_out.values()),
            **{f"pings_{k}": v for k, v in left_out.items()},
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
        "factors": M.factor_entries(ft.table, avail, ft.info, raster_factor_units(state)),
        "features": {
            "density": ft.info.get(S.SEIZURE_DENSITY, {}),
            "density_parameters": state.density_choice,
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
    notes = [*run.notes, *state.notes]
    from ..transit import NO_PORTS_NOTE  # said once: by transit where it ran

    transit_notes = manifest["features"]["transit_notes"]
    if "ports" not in state.context and len(state.pings) and NO_PORTS_NOTE not in transit_notes:
        notes.append(NO_PORTS_NOTE)
    if notes:
        manifest["notes"] = notes
    return manifest


def _pings_left_out(state) -> dict[str, int]:
    """Return the positions the transit pass did not use, by why (all 0 without tracks).

    ``after_as_of``: after the run's ``as_of``; ``untimed``: without a time (untimed routes);
    ``dropped_as_jumps``: reached and left faster than ``max_speed_kn``; ``repeated``: at the
    time of an earlier position of their vessel (counted once).
    """
    shared = state.features.shared if state.features is not None else {}
    tr = shared.get("transit")
    fields = {
        "after_as_of": "after_until",
        "untimed": "untimed",
        "dropped_as_jumps": "dropped_jumps",
        "repeated": "repeated",
    }
    return {k: int(getattr(tr, a, 0)) if tr is not None else 0 for k, a in fields.items()}
