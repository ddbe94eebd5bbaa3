"""A fresh-eyes review of the changes between 19476c3 and eb69521 (review hCB).

Each test here failed on the code before its fix.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from conftest import LIGHT, small_config


def _vessel_hours(small_demo: Path, folder: Path, resolution: int) -> pd.Series:
    """Publish a :data:`LIGHT` run at ``resolution`` into ``folder``; its vessel-hours."""
    import pipeline

    area = {"bbox": [-85, -10, 10, 45], "resolution": resolution}
    cfg = small_config(small_demo, folder, **LIGHT, area=area)
    res = pipeline.run_pipeline(cfg)
    table = pd.read_parquet(res.out_dir / "features.parquet", columns=["cell", "vessel_hours"])
    return table.set_index("cell")["vessel_hours"]


def test_transit_pass_is_not_reused_across_resolutions(small_demo, tmp_path):
    """A night at another ``area.resolution`` bins the tracks to its own cells again.

    The pass over the tracks was cached by the data and options alone (``no_cells``: the
    back-test's reuse), not by the resolution it binned to: a rerun at resolution 4 of a
    folder last run at 3 took the resolution-3 pass, whose cells are none of the run's, and
    published every cell with 0 vessel-hours (a cold run: 1,119 hours over 426 cells).
    """
    _vessel_hours(small_demo, tmp_path / "night", 3)
    again = _vessel_hours(small_demo, tmp_path / "night", 4)  # the same folder: its cache
    cold = _vessel_hours(small_demo, tmp_path / "cold", 4)
    assert cold.sum() > 0
    pd.testing.assert_series_equal(again, cold)
