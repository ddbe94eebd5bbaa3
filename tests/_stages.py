"""A run's state as a stage is handed it (the export, the back-test's plug-ins), built from
small tables by a test."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from pipeline import schema as S
from pipeline.features import FeatureTable
from pipeline.runner.stages import RunState


def export_state(cfg, root: Path, features: pd.DataFrame, **tables) -> RunState:
    """A :class:`RunState` of ``as_of`` 2026-06-30 staging under ``root`` (made here).

    The export reads no cache (None); ``features`` is the features table as given, and
    ``tables`` the state's other fields (``scores``, ``seizures``, ``timeline`` ...).
    """
    staging = root / "staging"
    staging.mkdir()
    return RunState(
        config=cfg,
        as_of=pd.Timestamp("2026-06-30", tz="UTC"),
        out=root / "out",
        staging=staging,
        cache=None,  # type: ignore[arg-type]  # the export reads no cache
        features=FeatureTable(table=features),
        **tables,
    )


def plugin_state(
    cfg,
    seizures: pd.DataFrame,
    pings: pd.DataFrame,
    cells: np.ndarray,
    *,
    area_cells: np.ndarray | None = None,
    table: pd.DataFrame | None = None,
    **more,
) -> SimpleNamespace:
    """The fields of a run's state the back-test reads to recompute plug-ins at an origin.

    ``cells`` are the run's cells (the area's too unless ``area_cells`` is given); ``table``
    the features table (the area's cells alone without it); ``more`` adds fields (``as_of``).
    """
    area = cells if area_cells is None else area_cells
    return SimpleNamespace(
        config=cfg,
        seizures=seizures,
        pings=pings,
        pings_table=None,
        vessel_identity=None,
        rasters=[],
        ports=None,
        context={},
        cells=cells,
        area_cells=area,
        features=SimpleNamespace(table=pd.DataFrame({S.CELL: area}) if table is None else table),
        backtest_features=None,
        **more,
    )
