"""Options of the rolling-origin back-test (one pydantic model, ready for the config)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["BASELINES", "BacktestOptions"]

#: Baselines every evaluation can include (see :mod:`pipeline.evaluate.baselines`).
Baseline = Literal["uniform", "all_prior_counts", "recent_counts", "kde", "density"]
BASELINES: tuple[Baseline, ...] = ("uniform", "all_prior_counts", "recent_counts", "kde", "density")

KERNELS = ("epanechnikov", "gaussian", "quartic", "triangular", "uniform")


class BacktestOptions(BaseModel):
    """How the rolling-origin back-test places its origins and what it reports.

    The last origin is ``end - horizon_days`` (``end`` defaults to the last event), so its test
    window is complete; earlier origins follow every ``spacing_days`` (default: the horizon, so
    test windows do not overlap).  Each origin trains on ``[origin - train_days, origin)`` and
    tests on ``[origin, origin + horizon_days)``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    origins: int = Field(12, ge=1, le=1000, description="Number of rolling origins.")
    spacing_days: float | None = Field(
        None, gt=0, description="Days between origins; default: horizon_days."
    )
    horizon_days: float = Field(91.0, gt=0, description="Length of each test window.")
    train_days: float = Field(730.0, gt=0, description="Length of each training window.")
    end: dt.date | None = Field(
        None, description="End of the last test window; default: the day after the last event."
    )
    area_fractions: tuple[float, ...] = Field(
        (0.01, 0.02, 0.05, 0.1, 0.2),
        description="Shares of the area at which metrics are reported.",
    )
    baselines: tuple[Baseline, ...] = Field(
        BASELINES, description="Baselines scored beside the methods."
    )
    kde_bandwidth_km: float = Field(25.0, gt=0, description="Bandwidth of the plain-KDE baseline.")
    kde_kernel: Literal["epanechnikov", "gaussian", "quartic", "triangular", "uniform"] = Field(
        "quartic", description="Kernel of the plain-KDE baseline."
    )
    universe_from: Literal["history", "train"] = Field(
        "history",
        description="Without fixed cells, the universe is built around the events of the whole"
        " history before the origin ('history') or of the"
        " training window only ('train').",
    )
    support_km: float | None = Field(
        None,
        gt=0,
        description="Without fixed cells, the universe is every cell whose centre is within this"
        " distance of an event before the origin; default: kde_bandwidth_km (the KDE's"
        " support).",
    )
    min_train_events: int = Field(
        10, ge=1, description="An origin with fewer training events is skipped."
    )
    min_test_events: int = Field(
        1, ge=1, description="An origin with fewer test events is skipped."
    )
    require_full_history: bool = Field(
        True,
        description="Skip origins whose training window starts before the first event (the"
        " window would be shorter than train_days).",
    )

    @field_validator("area_fractions")
    @classmethod
    def _fractions(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v or any(not 0 < f <= 1 for f in v):
            raise ValueError(f"area_fractions must be in (0, 1], got {v!r}")
        return tuple(sorted(set(v)))

    @field_validator("baselines")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v))

    @model_validator(mode="after")
    def _windows(self) -> BacktestOptions:
        if self.train_days < self.horizon_days:
            raise ValueError(
                f"train_days ({self.train_days!r}) must be >= horizon_days ({self.horizon_days!r})"
            )
        return self

    @property
    def spacing(self) -> float:
        """Days between origins (``spacing_days`` or the horizon)."""
        return float(self.spacing_days or self.horizon_days)

    @property
    def universe_km(self) -> float:
        """Radius around training events that defines the universe without fixed cells."""
        return float(self.support_km or self.kde_bandwidth_km)
