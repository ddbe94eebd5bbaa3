"""Evaluation of risk rankings: ranking metrics and the rolling-origin back-test.

``rolling_back_test`` scores any number of methods (``(train_events, cells, origin) -> score``
or a :class:`Forecast` with expected counts) against the baselines over rolling origins, with a
cell universe fixed before each test window; ``plot_evaluation`` draws the result.
"""

from ._json import json_safe
from .backtest import (
    CURVE_GRID,
    Forecast,
    backtest_origins,
    cell_universe,
    prepare_events,
    rolling_back_test,
)
from .baselines import Method, baseline_methods, events_to_counts
from .calibration import reliability
from .metrics import capture_curve, hit_rates, ranking_metrics
from .options import BASELINES, BacktestOptions
from .plot import plot_evaluation

__all__ = [
    "BASELINES",
    "CURVE_GRID",
    "BacktestOptions",
    "Forecast",
    "Method",
    "backtest_origins",
    "baseline_methods",
    "capture_curve",
    "cell_universe",
    "events_to_counts",
    "hit_rates",
    "json_safe",
    "plot_evaluation",
    "prepare_events",
    "ranking_metrics",
    "reliability",
    "rolling_back_test",
]
