"""The explainable risk score.

Each factor is normalised to [0, 1], multiplied by its share of the total weight and by 100;
the risk of a cell is the sum of those contributions, so it lies in [0, 100] and every point
of it is attributed to exactly one factor (``<factor>__contrib``).  Normalisation is chosen
for explainability:

``cap`` (default)
    value divided by the ``cap_quantile`` (0.99) of the factor's non-zero values, clipped to 1:
    "this cell has 60 % of the vessel-hours of the busiest 1 % of cells".  A ``log`` transform
    (``log1p``) may be applied first for heavy-tailed counts.
``rank``
    the percentile rank among cells with a non-zero value (0 for zero).

Classes use fixed breaks on the 0-100 score, stated in the legend.  ``observed`` is false for
a cell with no observation in any factor: such a cell is shown as "no data", never as low
risk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema as S
from .errors import ConfigError

__all__ = ["FactorSpec", "classify", "normalise", "score_cells"]


@dataclass(frozen=True)
class FactorSpec:
    """How one factor enters the score.

    Parameters
    ----------
    name : str
        Column of the features table.
    weight : float
        Relative weight (weights are rescaled to sum to 1).
    transform : {'linear', 'log'}
        ``log`` applies ``log1p`` before normalising.
    label : str, optional
        Human label for the map; defaults to the name.
    """

    name: str
    weight: float
    transform: str = "linear"
    label: str | None = None

    @property
    def display(self) -> str:
        """Label shown to people."""
        return self.label or self.name.replace("_", " ")


def normalise(
    values: np.ndarray,
    *,
    method: str = "cap",
    cap_quantile: float = 0.99,
    transform: str = "linear",
) -> np.ndarray:
    """Map non-negative factor values to [0, 1].

    Parameters
    ----------
    values : numpy.ndarray
        Raw values; NaN means "not observed" and maps to 0.
    method : {'cap', 'rank'}
        See the module docstring.
    cap_quantile : float
        Quantile of the non-zero values that maps to 1 (``cap`` only).
    transform : {'linear', 'log'}
        ``log`` applies ``log1p`` first.

    Returns
    -------
    numpy.ndarray of float64 in [0, 1]
    """
    x = np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0)
    # Upstream sums by differences (prefix sums, FFT) leave round-off of ~1e-7 of the factor's
    # largest value where the truth is 0: that is noise, not a negative observation.
    tol = 1e-6 * float(np.abs(x).max(initial=0.0))
    if (x < -tol).any():
        raise ConfigError(f"factor values must be >= 0 to be scored; got {float(x.min())!r}")
    x = np.maximum(x, 0.0)
    if transform == "log":
        x = np.log1p(x)
    elif transform != "linear":
        raise ConfigError(f"transform must be one of ['linear', 'log'], got {transform!r}")
    out = np.zeros_like(x)
    nz = x > 0
    if not nz.any():
        return out
    if method == "cap":
        cap = float(np.quantile(x[nz], cap_quantile))
        if cap <= 0:
            cap = float(x.max())
        out[nz] = np.minimum(x[nz] / cap, 1.0)
    elif method == "rank":
        ranks = pd.Series(x[nz]).rank(method="max", pct=True).to_numpy()
        out[nz] = ranks
    else:
        raise ConfigError(f"normalisation must be one of ['cap', 'rank'], got {method!r}")
    return out


def classify(risk: np.ndarray, breaks: Sequence[float], labels: Sequence[str]) -> np.ndarray:
    """Return the class label of each risk value.

    A class holds scores from its lower break (included) to its upper break (excluded); the
    top class also holds its upper break (100).  The map's legend states the same rule.
    """
    if len(labels) != len(breaks) - 1:
        raise ConfigError(
            f"need {len(breaks) - 1} labels for {len(breaks)} breaks, got {len(labels)}"
        )
    idx = np.searchsorted(np.asarray(breaks[1:-1], dtype="float64"), risk, side="right")
    return np.asarray(labels, dtype=object)[idx]


def score_cells(
    features: pd.DataFrame,
    factors: Sequence[FactorSpec],
    *,
    normalisation: str = "cap",
    cap_quantile: float = 0.99,
    class_breaks: Sequence[float] = (0, 20, 40, 60, 80, 100),
    class_labels: Sequence[str] = ("very low", "low", "medium", "high", "very high"),
    observed: np.ndarray | None = None,
) -> pd.DataFrame:
    """Score each cell and keep every factor's contribution.

    Parameters
    ----------
    features : pandas.DataFrame
        ``cell`` plus one column per factor.
    factors : sequence of FactorSpec
        Factors to use; a factor missing from ``features`` raises :class:`ConfigError`.
    normalisation, cap_quantile
        See :func:`normalise`.
    class_breaks, class_labels
        Class bins on the 0-100 score.
    observed : numpy.ndarray of bool, optional
        Cells with at least one observation; default: any factor value is non-zero.

    Returns
    -------
    pandas.DataFrame
        ``cell``, ``hex_id``, ``risk``, ``risk_class``, ``observed``, ``top_factor`` and per
        factor ``f``, ``f__norm``, ``f__contrib``; sorted by cell.
    """
    missing = [f.name for f in factors if f.name not in features.columns]
    if missing:
        raise ConfigError(
            f"score factor(s) {missing!r} are not computed by this run; available: "
            f"{sorted(c for c in features.columns if c != S.CELL)!r}"
        )
    total = sum(f.weight for f in factors)
    if total <= 0:
        raise ConfigError("the score needs at least one factor with weight > 0")
    from .grid import cells_to_strings

    feats = features.sort_values(S.CELL, kind="stable").reset_index(drop=True)
    out = pd.DataFrame({S.CELL: feats[S.CELL].to_numpy(dtype="uint64")})
    out[S.HEX_ID] = cells_to_strings(out[S.CELL].to_numpy())
    risk = np.zeros(len(feats))
    contribs = {}
    for f in factors:
        raw = feats[f.name].to_numpy(dtype="float64")
        try:
            norm = normalise(
                raw, method=normalisation, cap_quantile=cap_quantile, transform=f.transform
            )
        except ConfigError as exc:
            raise ConfigError(f"score factor {f.name!r}: {exc}") from None
        contrib = 100.0 * (f.weight / total) * norm
        out[f.name] = raw
        out[f.name + S.NORM_SUFFIX] = norm
        out[f.name + S.CONTRIB_SUFFIX] = contrib
        contribs[f.name] = contrib
        risk += contrib
    risk = np.clip(risk, 0.0, 100.0)
    out.insert(2, S.RISK, risk)
    out.insert(3, S.RISK_CLASS, classify(risk, class_breaks, class_labels))
    if observed is None:
        vals = feats[[f.name for f in factors]].to_numpy(dtype="float64")
        observed = np.nan_to_num(vals, nan=0.0).any(axis=1)
    out.insert(4, "observed", np.asarray(observed, dtype=bool))
    stacked = np.column_stack(list(contribs.values()))
    top = np.asarray(list(contribs), dtype=object)[stacked.argmax(axis=1)]
    top[risk <= 0] = None
    out.insert(5, "top_factor", pd.Series(top, dtype=object))
    return out


def factor_specs(factors: Mapping[str, object]) -> list[FactorSpec]:
    """Build :class:`FactorSpec` objects from the ``score.factors`` config mapping."""
    return [
        FactorSpec(name, float(f.weight), f.transform, f.label)  # type: ignore[attr-defined]
        for name, f in factors.items()
        if float(f.weight) > 0  # type: ignore[attr-defined]
    ]
