"""Options of the hot-spot analyses, validated once at the edge (pydantic, unknown keys refused)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, model_validator

from ..errors import ConfigError
from ..validation import StrictModel

__all__ = ["EmergingOptions", "HotspotOptions", "UncertaintyOptions", "validate_options"]


class _Model(StrictModel):
    """Strict options (see :mod:`pipeline.validation`)."""


class EmergingOptions(_Model):
    """Options of the emerging hot-spot analysis (space-time cube, Mann-Kendall, categories)."""

    period: Literal["week", "month", "quarter", "year"] = Field(
        "month", description="Length of one time slice of the space-time cube."
    )
    time_step_window: int = Field(
        1,
        ge=0,
        le=120,
        description="Previous slices in a bin's space-time neighbourhood (ArcGIS 'neighborhood"
        " time step'): 0 = its own slice only, 1 = its slice and the one before, ...",
    )
    alpha: float = Field(
        0.10,
        gt=0,
        lt=1,
        description="A bin is a hot (cold) spot when its Gi* p-value (FDR-corrected unless"
        " fdr is false) is at most alpha; 0.10 is the lowest confidence ArcGIS maps as a spot.",
    )
    trend_alpha: float = Field(
        0.10,
        gt=0,
        lt=1,
        description="A Mann-Kendall trend of a cell's Gi* z-scores is significant at p <= this.",
    )
    min_periods: int = Field(
        4,
        ge=2,
        le=10_000,
        description="Refuse a cube with fewer slices (a trend needs a series).",
    )


class UncertaintyOptions(_Model):
    """Options of the per-cell uncertainty (bootstrap of the events, or coefficient draws)."""

    enabled: bool = Field(
        True,
        description="Compute risk_lower, risk_upper and risk_class_stability in a run.",
    )
    n_resamples: int = Field(199, ge=10, le=100_000, description="Bootstrap resamples.")
    interval: tuple[float, float] = Field(
        (0.05, 0.95), description="Lower and upper quantiles of the per-cell interval."
    )
    max_bytes: int = Field(
        1 << 30,
        ge=1 << 20,
        description="Ceiling on the resample matrix (cells x resamples x 4 bytes).",
    )

    @model_validator(mode="after")
    def _check_interval(self) -> UncertaintyOptions:
        lo, hi = self.interval
        if not (0.0 <= lo < hi <= 1.0):
            raise ValueError(
                f"interval must satisfy 0 <= lower < upper <= 1, got {self.interval!r}"
            )
        return self


class HotspotOptions(_Model):
    """Options of the Gi* hot-spot analysis and of the analyses built on it.

    Exactly one neighbourhood: ``distance_band_km`` (cells whose centres lie within that
    great-circle distance) or ``k_rings`` (cells within that many H3 grid steps); neither gives
    ``k_rings = 1``.  Weights are ``binary`` (1 inside the neighbourhood) or ``kernel``
    (quartic ``(1 - (d/h)²)²`` of the centre distance ``d``; ``h`` is the band, or for
    ``k_rings`` ``(k+1)/k`` times the longest centre distance in the rings).  The cell itself
    is always in its neighbourhood with weight 1 (Gi*, "star").  ``values`` only tells the
    runner what to analyse; the library functions take the values they are given.
    """

    distance_band_km: float | None = Field(
        None, gt=0, le=20_000, description="Neighbourhood radius between cell centres (km)."
    )
    k_rings: int | None = Field(None, ge=1, le=100, description="Neighbourhood in H3 grid steps.")
    weights: Literal["binary", "kernel"] = Field("binary", description="Spatial weights.")
    permutations: int = Field(
        999, ge=0, le=99_999, description="Conditional permutations for pseudo p-values (0: none)."
    )
    p_value: Literal["exact", "normal", "permutation"] = Field(
        "exact",
        description="Which p-value makes the classes: 'exact', twice the exact conditional"
        " randomization p (binary weights on counts; otherwise the permutation p, or the"
        " normal one without permutations); 'normal', the two-sided p of the analytic z-score"
        " (ArcGIS; wrong for sparse counts: one event alone makes a 99 % hot spot); or"
        " 'permutation', twice the folded pseudo p (capped at 1).",
    )
    fdr: bool = Field(
        True, description="Benjamini-Hochberg false-discovery-rate correction of that p-value."
    )
    alphas: tuple[float, float, float] = Field(
        (0.10, 0.05, 0.01), description="Significance levels of the 90/95/99 % classes."
    )
    seed: int | None = Field(0, ge=0, description="Seed of the permutations and resamples.")
    values: Literal["counts", "risk"] = Field(
        "counts", description="What the runner analyses: seizure counts per cell, or the risk."
    )
    emerging: EmergingOptions = Field(default_factory=EmergingOptions)
    uncertainty: UncertaintyOptions = Field(default_factory=UncertaintyOptions)

    @model_validator(mode="after")
    def _check(self) -> HotspotOptions:
        if self.distance_band_km is not None and self.k_rings is not None:
            raise ValueError(
                f"give distance_band_km ({self.distance_band_km!r}) or k_rings"
                f" ({self.k_rings!r}), not both"
            )
        a = self.alphas
        if not (1 > a[0] > a[1] > a[2] > 0):
            raise ValueError(f"alphas must be decreasing levels in (0, 1), got {a!r}")
        if self.p_value == "permutation" and self.permutations == 0:
            raise ValueError("p_value 'permutation' needs permutations > 0, got 0")
        return self

    @property
    def neighbourhood(self) -> tuple[str, float | int]:
        """Return ``("distance_band_km", km)`` or ``("k_rings", k)`` (default 1 ring)."""
        if self.distance_band_km is not None:
            return "distance_band_km", float(self.distance_band_km)
        return "k_rings", int(self.k_rings if self.k_rings is not None else 1)


def validate_options(options: HotspotOptions | dict | None) -> HotspotOptions:
    """Return ``options`` as :class:`HotspotOptions`, turning a bad dict into :class:`ConfigError`.

    Parameters
    ----------
    options : HotspotOptions, dict or None
        None gives the defaults.

    Returns
    -------
    HotspotOptions
    """
    if options is None:
        return HotspotOptions()
    if isinstance(options, HotspotOptions):
        return options
    try:
        return HotspotOptions.model_validate(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "hotspots"
        raise ConfigError(f"hotspots option {where}: {first['msg']} (got {options!r})") from None
