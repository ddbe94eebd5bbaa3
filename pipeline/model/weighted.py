"""The weighted model: today's explainable additive points, behind the model interface.

A thin adapter over :func:`pipeline.score.score_cells` (which stays the implementation): the
factors are the features table the runner computed at the origin, passed as ``factors``; the
score is the 0-100 risk, explained as each factor's points.  It publishes no expected counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import schema as S
from ..errors import InputError
from ..grid import cells_to_strings, to_cells

__all__ = ["WeightedModel"]


class WeightedModel:
    """Hand-weighted sum of capped factors (:mod:`pipeline.score`), as a :class:`RiskModel`.

    Parameters
    ----------
    factors : sequence of pipeline.score.FactorSpec
        Factors and their weights.
    **score_options
        Passed to :func:`pipeline.score.score_cells` (``normalisation``, ``cap_quantile``,
        ``class_breaks``, ``class_labels``).
    """

    kind = "weighted"

    def __init__(self, factors: Sequence, **score_options) -> None:
        self.specs = list(factors)
        self.score_options = score_options
        self._scores: pd.DataFrame | None = None

    def fit(
        self, events: pd.DataFrame, cells, origin, factors: pd.DataFrame | None = None
    ) -> WeightedModel:
        """Score ``cells`` from the features table ``factors`` (``cell`` + factor columns).

        ``events`` and ``origin`` are not used: the features were computed from them already.
        """
        from ..score import score_cells

        if factors is None:
            raise InputError("the weighted model needs the features table as factors")
        cells = np.unique(to_cells(np.asarray(cells)))
        table = factors if S.CELL in factors.columns else factors.reset_index()
        table = table.set_index(S.CELL).reindex(pd.Index(cells, name=S.CELL)).reset_index()
        self._scores = score_cells(table, self.specs, **self.score_options)
        self.origin_ = origin
        return self

    def _check(self) -> pd.DataFrame:
        if self._scores is None:
            raise InputError("the model is not fitted yet; call fit(events, cells, origin)")
        return self._scores

    def predict(self) -> pd.DataFrame:
        """``cell``, ``hex_id``, ``score`` (the 0-100 risk) and ``risk_class``."""
        s = self._check()
        return pd.DataFrame(
            {
                S.CELL: s[S.CELL].to_numpy(),
                S.HEX_ID: s[S.HEX_ID].to_numpy(),
                "score": s[S.RISK].to_numpy(),
                S.RISK_CLASS: s[S.RISK_CLASS].to_numpy(),
            }
        )

    def explain(self, cell) -> dict:
        """Each factor's raw value, normalised value and points of the cell's risk."""
        s = self._check()
        c = to_cells(np.atleast_1d(np.asarray(cell)))[0]
        row = s[s[S.CELL] == c]
        if row.empty:
            raise InputError(f"cell {cell!r} is not one of the model's cells")
        r = row.iloc[0]
        return {
            "cell": str(cells_to_strings(np.array([c]))[0]),
            "model": self.kind,
            "risk": float(r[S.RISK]),
            "risk_class": r[S.RISK_CLASS],
            "factors": [
                {
                    "name": f.name,
                    "label": f.display,
                    "value": None if pd.isna(r[f.name]) else float(r[f.name]),
                    "normalised": float(r[f.name + S.NORM_SUFFIX]),
                    "points": float(r[f.name + S.CONTRIB_SUFFIX]),
                }
                for f in self.specs
            ],
        }

    def report(self) -> dict:
        """Return the weights (rescaled to sum to 1) and the scoring options."""
        total = sum(f.weight for f in self.specs) or 1.0
        return {
            "model": self.kind,
            "factors": [
                {
                    "name": f.name,
                    "weight": f.weight / total,
                    "transform": f.transform,
                    "selected": True,
                }
                for f in self.specs
            ],
            "options": {k: v for k, v in self.score_options.items()},
            "fallback": None,
        }
