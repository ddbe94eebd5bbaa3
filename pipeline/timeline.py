"""The monthly risk behind the map's time slider.

For each of the last ``months`` month ends the seizure density is recomputed from the
seizures up to that day (decayed to that day) and the cells are scored again with the other
factors as they are now.  :func:`timeline_densities` is the costly part (one density per
month) and depends only on the seizures and the density options; :func:`score_timeline` is
cheap and belongs to the score stage, so a change of the score weights does not recompute the
densities.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from . import schema as S
from .builtin_factors import density_on_cells
from .config import DensityConfig
from .score import FactorWeight, score_cells

__all__ = ["month_ends", "score_timeline", "timeline_densities"]


def month_ends(as_of: pd.Timestamp, months: int) -> pd.DatetimeIndex:
    """Return the last ``months`` month ends up to ``as_of`` (UTC)."""
    return pd.date_range(end=as_of.normalize(), periods=months, freq="ME", tz="UTC")


def timeline_densities(
    seizures: pd.DataFrame,
    cells: np.ndarray,
    as_of: pd.Timestamp,
    months: int,
    density: DensityConfig,
    window_cells: np.ndarray | None,
) -> pd.DataFrame | None:
    """Seizure density per cell at each month end: ``cell``, ``period``, ``seizure_density``."""
    if months <= 0 or seizures.empty:
        return None
    rows = []
    for end in month_ends(as_of, months):
        cutoff = end + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        past = seizures[seizures[S.TIME] <= cutoff]
        dens, _ = density_on_cells(past, cells, cutoff, density, window_cells)
        rows.append(
            pd.DataFrame({S.CELL: cells, S.PERIOD: end.strftime("%Y-%m"), S.SEIZURE_DENSITY: dens})
        )
    return pd.concat(rows, ignore_index=True)


def score_timeline(
    features: pd.DataFrame,
    densities: pd.DataFrame | None,
    weights: Mapping[str, FactorWeight],
    **score_options,
) -> pd.DataFrame | None:
    """Score each month: that month's density, the other factors as they are now."""
    if densities is None:
        return None
    rows = []
    for period, month in densities.groupby(S.PERIOD, sort=True):
        f = features.copy()
        f[S.SEIZURE_DENSITY] = (
            month.set_index(S.CELL)[S.SEIZURE_DENSITY].reindex(f[S.CELL]).to_numpy()
        )
        s = score_cells(f, weights, covered=f, **score_options)
        rows.append(pd.DataFrame({S.CELL: s[S.CELL], S.PERIOD: period, S.RISK: s[S.RISK].round(2)}))
    return pd.concat(rows, ignore_index=True)
