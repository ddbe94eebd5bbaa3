"""Options of the fitted count model (one pydantic model, ready for the config)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["FittedOptions"]

Window = float | Literal["all", "horizon"]


class FittedOptions(BaseModel):
    """How the fitted model builds its lagged features, fits and selects.

    See :mod:`pipeline.model.fitted` for the method.  Every window and bandwidth is a feature
    candidate; BIC keeps those that earn their parameter.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizon_days: float = Field(91.0, gt=0, description="Forecast horizon (the label window).")
    train_days: float = Field(
        730.0, gt=0, description="History the fit uses: events in [origin - train_days, origin)."
    )
    stride_days: float | None = Field(
        None,
        gt=0,
        description="Days between training origins; default: the horizon or 30 days, whichever"
        " is shorter (more origins, more rows; their overlap is handled by cell-clustered"
        " standard errors).",
    )
    count_windows_days: tuple[Window, ...] = Field(
        ("all", 365.0, "horizon"),
        description="Count features: events in the cell over the last N days, 'horizon' (the"
        " last horizon_days) or 'all' (the whole training window of train_days before the origin,"
        " as a rate per train_days: not the record before it).",
    )
    bandwidths_km: tuple[float, ...] = Field(
        (25.0, 50.0, 100.0),
        description="Smoothed-count features: kernel density of the history at these bandwidths.",
    )
    kde_windows_days: tuple[float | Literal["all"], ...] = Field(
        ("all", 365.0),
        description="History windows of the smoothed-count features: 'all' (the training"
        " window, rate per train_days) or the last N days; one feature per window and bandwidth.",
    )
    smoothing_floor: float = Field(
        0.01,
        gt=0,
        description="Smoothed counts enter as log(x + c), c = this share of the mean events per"
        " cell over the history.",
    )
    kernel: Literal["epanechnikov", "gaussian", "quartic", "triangular", "uniform"] = "quartic"
    recency: bool = Field(True, description="Feature: days since the last event near the cell.")
    recency_radius_km: float | None = Field(
        None, gt=0, description="'Near' for recency; default: the smallest bandwidth."
    )
    recency_cap_days: float = Field(365.0, gt=0, description="Recency is capped at this value.")
    min_history_days: float | None = Field(
        None,
        gt=0,
        description="History a training origin needs before it; default: the longest numeric"
        " count window and recency_cap_days.",
    )
    factor_transforms: dict[str, Literal["linear", "log"]] = Field(
        default_factory=dict,
        description="Transform of extra per-cell factors; default 'log' (log1p) for a factor"
        " whose observed values are all >= 0, 'linear' otherwise.",
    )
    fit_region: Literal["active", "all"] = Field(
        "all",
        description="'active': fit the regression on the cells with an event within the largest"
        " bandwidth (before each training origin); other cells get the observed rate of such"
        " quiet cells. 'all': fit on every cell.",
    )
    family: Literal["auto", "poisson", "negative_binomial"] = Field(
        "auto", description="'auto': the family with the lower BIC."
    )
    selection: Literal["bic", "none"] = Field(
        "bic",
        description="'bic': backward elimination on the cluster-robust Wald statistic, dropping"
        " the feature of smallest robust |z| while z^2 < ln(cells) (BIC's threshold with the cells,"
        " not the stacked rows, as the sample size); 'none': keep all.",
    )
    max_log_rr_range: float = Field(
        15.0,
        gt=0,
        description="A feature whose fitted relative risk between its lowest and highest training"
        " value exceeds e^this (15: 3.3 million-fold) is dropped as (quasi-)separated: the"
        " training rows do not identify its coefficient.",
    )
    min_events: int = Field(30, ge=1, description="Fewer events in the history: fallback.")
    min_label_events: int = Field(
        10, ge=1, description="Fewer events in the training labels: fallback."
    )
    min_training_origins: int = Field(2, ge=1, description="Fewer training origins: fallback.")
    fallback_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Fallback: expected count = rate x (w x own-cell count + (1 - w) x smoothed"
        " count at the smallest bandwidth).",
    )
    max_rows: int = Field(
        100_000,
        ge=1000,
        description="Above this many training rows, rows with no event and no count history are"
        " subsampled (weights keep the likelihood unbiased).",
    )
    seed: int = Field(0, description="Seed of the row subsampling.")

    @field_validator("count_windows_days")
    @classmethod
    def _windows(cls, v: tuple[Window, ...]) -> tuple[Window, ...]:
        for w in v:
            if not isinstance(w, str) and w <= 0:
                raise ValueError(f"count windows must be > 0 days, 'all' or 'horizon', got {w!r}")
        return tuple(dict.fromkeys(v))

    @field_validator("kde_windows_days")
    @classmethod
    def _kde_windows(cls, v: tuple[float | str, ...]) -> tuple[float | str, ...]:
        for w in v:
            if not isinstance(w, str) and w <= 0:
                raise ValueError(f"kde windows must be > 0 days or 'all', got {w!r}")
        return tuple(dict.fromkeys(v))

    @field_validator("bandwidths_km")
    @classmethod
    def _bandwidths(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(b <= 0 for b in v):
            raise ValueError(f"bandwidths_km must be > 0, got {v!r}")
        return tuple(sorted(set(v)))

    @model_validator(mode="after")
    def _history(self) -> FittedOptions:
        if self.history_days + self.horizon_days > self.train_days:
            raise ValueError(
                f"train_days ({self.train_days!r}) must cover min_history_days "
                f"({self.history_days!r}) plus horizon_days ({self.horizon_days!r}), so that at "
                "least one training origin exists"
            )
        longest = max(self._numeric_windows(), default=0.0)
        if self.min_history_days is not None and longest > self.min_history_days:
            raise ValueError(
                f"min_history_days ({self.min_history_days!r}) must be >= the longest count "
                f"or kde window ({longest!r})"
            )
        return self

    def _numeric_windows(self) -> list[float]:
        """Lengths of the count and kde windows in days ('horizon' is ``horizon_days``)."""
        kde = self.kde_windows_days if self.bandwidths_km else ()
        # the 'horizon' count window is a window of horizon_days: a training origin with
        # less history than that counted a truncated window (30 days of a 91-day count)
        # without a word, where the same window written as 91.0 was refused
        return [
            self.horizon_days if w == "horizon" else float(w)
            for w in (*self.count_windows_days, *kde)
            if w != "all"
        ]

    @staticmethod
    def count_feature(window: Window) -> str:
        """Name of the count feature over ``window`` (``count_365d``, ``count_all``, ...)."""
        if window == "all":
            return "count_all"
        return "count_horizon" if window == "horizon" else f"count_{window:g}d"

    @staticmethod
    def kde_feature(bandwidth_km: float, window: float | str) -> str:
        """Name of the smoothed-count feature (``kde_25km``, ``kde_25km_365d``, ...)."""
        if window == "all":
            return f"kde_{bandwidth_km:g}km"
        return f"kde_{bandwidth_km:g}km_{float(window):g}d"

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The lagged features the model builds itself, in the design matrix's order.

        With ``area`` (its offset), no factor of the score may take one of these names.
        """
        names = [self.count_feature(w) for w in self.count_windows_days]
        names += [self.kde_feature(b, w) for b in self.bandwidths_km for w in self.kde_windows_days]
        return (*names, *(["recency"] if self.recency else []))

    @property
    def stride(self) -> float:
        """Days between training origins."""
        return float(self.stride_days or min(self.horizon_days, 30.0))

    @property
    def history_days(self) -> float:
        """History each training origin needs (``min_history_days`` or its default)."""
        if self.min_history_days is not None:
            return float(self.min_history_days)
        numeric = self._numeric_windows()
        if "horizon" in self.count_windows_days:
            numeric.append(self.horizon_days)
        if self.recency:
            numeric.append(self.recency_cap_days)
        return max(numeric, default=self.horizon_days)
