"""The stage functions the runner wires: each reads its options object and the state.

Every stage takes the :class:`RunState`, adds what it produced and returns nothing; domain
logic lives in the modules it calls (``ingest``, ``area``, ``features``, ``timeline``,
``score``, ``evaluate``, ``render``, ``io``).  What a stage depends on is hashed into its
cache key (:mod:`pipeline.runner.cache`).

One module per family of stages, listed so that each imports only those above it:

- ``_state``: :class:`RunState`, what the stages of one run share; the as-of date.
- ``_read``: ingest (seizures, tracks spilled when large, context layers, rasters).
- ``_cells``: the area's cells and the density parameters ``density: auto`` chooses.
- ``_features``: every factor on every cell, and the timeline's monthly history.
- ``_backtest``: the published method and the baselines over rolling origins.
- ``_score``: the risk (hand weights or the fitted model), hot spots and uncertainty.
- ``_outputs``: the map and the GIS tables.
"""

from __future__ import annotations

from collections.abc import Callable

from ._backtest import back_test, raster_factor_units
from ._cells import cells, density_parameters
from ._features import features, narrow_kernel_notes, timeline
from ._outputs import export, map_input_names, render
from ._read import ingest
from ._score import hotspots, published_classes, score, uncertainty
from ._state import RunState, resolve_as_of

__all__ = [
    "STAGE_FUNCTIONS",
    "RunState",
    "map_input_names",
    "narrow_kernel_notes",
    "published_classes",
    "raster_factor_units",
    "resolve_as_of",
]

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
