"""The weighted model: today's explainable additive points, behind the model interface.

A thin adapter over :func:`pipeline.score.score_cells` (which stays the implementation): the
factors are the features table the runner computed at the origin, passed as ``factors``; the
score is the 0-100 risk, explained as each factor's points.  It publishes no expected counts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import schema as S
from ..errors import InputError
from ..grid import cells_to_strings, to_cells
from ..score import FactorWeight, display_name
from .features import factors_by_cell

__all__ = ["WeightedModel"]


class WeightedModel:
    """Hand-weighted sum of capped factors (:mod:`pipeline.score`), as a :class:`RiskModel`.

    Parameters
    ----------
    factors : mapping of str to pipeline.score.FactorWeight or float
        Factor name to its weight (``score.factors`` of the config).
    **score_options
        Passed to :func:`pipeline.score.score_cells` (``normalisation``, ``cap_quantile``,
        ``class_breaks``, ``class_labels``).
    """

    kind = "weighted"

    def __init__(self, factors: Mapping[str, FactorWeight | float], **score_options) -> None:
        self.weights = {
            n: w if isinstance(w, FactorWeight) else FactorWeight(weight=float(w))
            for n, w in factors.items()
        }
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
        table = factors_by_cell(factors, cells).reset_index()
        self._scores = score_cells(table, self.weights, covered=table, **self.score_options)
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
        ids = to_cells(np.atleast_1d(np.asarray(cell)))
        if ids.size != 1:
            raise InputError(f"explain takes one cell, got {ids.size}; call it once per cell")
        c = ids[0]
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
                    "name": name,
                    "label": display_name(name, w),
                    "value": None if pd.isna(r[name]) else float(r[name]),
                    "normalised": None
                    if pd.isna(r[name + S.NORM_SUFFIX])
                    else float(r[name + S.NORM_SUFFIX]),
                    "points": float(r[name + S.CONTRIB_SUFFIX]),
                    "covered": bool(r[name + S.COVERED_SUFFIX]),
                }
                # weight 0 leaves a factor out of the score (no columns): the card listed it
                # and its missing column ended explain in a KeyError
                for name, w in self.weights.items()
                if w.weight > 0
            ],
        }

    def report(self) -> dict:
        """Return the weights (rescaled to sum to 1) and the scoring options.

        A factor of weight 0 is listed, not selected (the score leaves it out).
        """
        total = sum(w.weight for w in self.weights.values()) or 1.0
        return {
            "model": self.kind,
            "factors": [
                {
                    "name": name,
                    "weight": w.weight / total,
                    "transform": w.transform,
                    # weight 0 leaves it out: the back-test listed it among the selected
                    "selected": w.weight > 0,
                }
                for name, w in self.weights.items()
            ],
            "options": {k: v for k, v in self.score_options.items()},
            "fallback": None,
        }
