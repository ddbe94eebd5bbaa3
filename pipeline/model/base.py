"""The interface every risk model implements, and the adapters to the back-test.

A risk model is fitted at an origin (``as_of``) on the events before it and a set of cells, then
forecasts and explains::

    model.fit(events, cells, origin, factors=None) -> model
    model.predict() -> DataFrame  # cell, hex_id, score (+ expected, p_any for count models)
    model.explain(cell) -> dict   # why this cell has its score
    model.report() -> dict        # JSON-safe description of the fit

``weighted`` (:class:`~pipeline.model.weighted.WeightedModel`) and ``fitted``
(:class:`~pipeline.model.fitted.FittedModel`) implement it; :func:`as_method` turns either into
a method of :func:`pipeline.evaluate.rolling_back_test`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..evaluate.backtest import Forecast
from ..evaluate.baselines import Method

__all__ = ["RiskModel", "as_method"]


@runtime_checkable
class RiskModel(Protocol):
    """What the runner, the back-test and the map need from a model."""

    kind: str

    def fit(
        self, events: pd.DataFrame, cells, origin, factors: pd.DataFrame | None = None
    ) -> RiskModel:
        """Fit at ``origin`` on the events before it, for ``cells``."""
        ...

    def predict(self) -> pd.DataFrame:
        """One row per cell: ``cell``, ``hex_id``, ``score`` (higher = riskier), ..."""
        ...

    def explain(self, cell) -> dict:
        """Why ``cell`` has its score."""
        ...

    def report(self) -> dict:
        """JSON-safe description of the fit."""
        ...


def as_method(
    make_model: Callable[[], RiskModel],
    factors: pd.DataFrame | Callable[[pd.DataFrame, np.ndarray, pd.Timestamp], Any] | None = None,
) -> Method:
    """Return a back-test method that fits a fresh model at each origin.

    Parameters
    ----------
    make_model : callable
        ``() -> RiskModel``, e.g. ``lambda: FittedModel(options)``.
    factors : DataFrame or callable, optional
        Extra per-cell factors: a fixed table, or ``(train_events, cells, origin) -> table``
        computed from what is known at the origin (the weighted model's features); for the
        fitted model that may return ``factors_at(timestamp) -> table`` instead, which it
        calls at each of its training origins (all before ``origin``).

    Returns
    -------
    callable
        ``(train_events, cells, origin) -> Forecast``; count models also pass their expected
        counts and probabilities, so the back-test reports their reliability.
    """

    def method(train: pd.DataFrame, cells: np.ndarray, origin: pd.Timestamp) -> Forecast:
        table = factors(train, cells, origin) if callable(factors) else factors
        model = make_model().fit(train, cells, origin, table)
        pred = model.predict()
        rep = model.report()
        info = {
            "model": rep.get("model", model.kind),
            "selected": [f["name"] for f in rep.get("factors", []) if f.get("selected")],
            "fallback": rep.get("fallback"),
        }
        return Forecast(
            score=pred["score"].to_numpy(dtype="float64"),
            expected=pred["expected"].to_numpy(dtype="float64") if "expected" in pred else None,
            p_any=pred["p_any"].to_numpy(dtype="float64") if "p_any" in pred else None,
            info=info,
        )

    return method
