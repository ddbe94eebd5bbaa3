"""The plan: the one list of stages, read by the runner, the CLI's progress bar and ``validate``.

Each stage receives one options object; where a stage needs a value that lives in another
section (transit's speed ceiling is ``ingest.max_speed_kn``, event smoothing uses the density's
kernel), this module is the only place that hands it over, so the options object - and with
it the stage's cache key - holds everything the stage depends on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..config import Config
from ..factors import Factor, default_registry, load_plugins

__all__ = ["STAGES", "Stage", "factor_options", "factors_to_compute", "planned_stages"]


@dataclass(frozen=True)
class Stage:
    """One step of a run: its name, what it does, the config sections its options come from."""

    name: str
    description: str
    sections: tuple[str, ...]


STAGES: tuple[Stage, ...] = (
    Stage(
        "ingest",
        "read and check every input; rejects with file, line, column, rule",
        ("inputs", "ingest", "area"),
    ),
    Stage("cells", "the H3 cells of the area (or of the data's extent)", ("area",)),
    Stage(
        "density-parameters",
        "bandwidth and half-life chosen by the rolling back-test (density: auto)",
        ("density", "evaluate"),
    ),
    Stage(
        "features",
        "every factor on the cells, with where it was observable",
        ("density", "transit", "zonal", "factors"),
    ),
    Stage(
        "timeline",
        "each of the last months from the data up to it: seizure density, transit of the"
        " positions up to its end",
        ("timeline", "density", "transit"),
    ),
    Stage(
        "score",
        "the weighted score, its contributions, confidence and the monthly risk",
        ("score",),
    ),
    Stage("hotspots", "Gi* hot and cold spots with FDR, emerging trends per cell", ("hotspots",)),
    Stage(
        "uncertainty",
        "an interval on each cell's risk and how stable its class is (resampled seizures, or"
        " the fitted model's coefficients)",
        ("hotspots", "score", "density"),
    ),
    Stage("back-test", "how well the density ranked the next seizures", ("evaluate", "density")),
    Stage("render", "the HTML map and the preview", ("render", "score")),
    Stage("export", "scores, features and events as GIS tables", ("render",)),
)


def factors_to_compute(config: Config) -> list[Factor]:
    """Every built-in factor the inputs allow, plus the plug-ins the config asks for."""
    load_plugins(config.factors.plugins)
    available = default_registry.available(config.inputs_view())
    wanted = set(config.score.factors)
    return [
        f
        for f in available.values()
        if f.builtin or f.name in wanted or f.name in config.factors.options
    ]


def factor_options(config: Config, f: Factor) -> BaseModel:
    """Return the one options object of factor ``f``."""
    raw: dict[str, Any]
    if f.section is None:
        raw = dict(config.factors.options.get(f.name, {}))
    else:
        raw = getattr(config, f.section).model_dump()
        if f.section == "transit":
            raw |= {
                "max_speed_kn": config.ingest.max_speed_kn,
                "smooth_kernel": config.density.kernel,
            }
        elif f.section == "zonal":
            raw |= {"memory_budget_mb": config.ingest.memory_budget_mb}
    return f.options.model_validate(raw)


def planned_stages(config: Config) -> list[str]:
    """Names of the stages this config runs, in order (features one per factor)."""
    names = ["ingest", "cells"]
    if config.density.auto and config.inputs.seizures:
        names.append("density-parameters")
    names += [f"features: {f.name}" for f in factors_to_compute(config)]
    seizures = bool(config.inputs.seizures)  # the timeline and back-test are about seizures
    if config.timeline.months > 0 and seizures:
        names.append("timeline")
    names.append("score")
    if config.hotspots.enabled and seizures:
        names.append("hotspots")
        if config.hotspots.uncertainty.enabled:
            names.append("uncertainty")
    if config.evaluate.enabled and seizures:
        names.append("back-test")
    names += ["render", "export"]
    return names
