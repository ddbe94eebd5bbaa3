"""A run's state as the export stage is handed it, built from small tables by a test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
