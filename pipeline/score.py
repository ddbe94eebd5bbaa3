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
a cell with no observation of the activity itself: no seizure, and no value in any *support*
factor (the density within its support, vessel-hours: :func:`pipeline.features.support_mask`).
A context factor alone (a raster covering the whole area, a distance to a port) is no
observation.  Such a cell is shown as "no data", never as low risk, on the map and in every
month of the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from . import schema as S
from .errors import ConfigError, InputError

__all__ = [
    "MAX_COMMODITY_COLUMNS",
    "OTHER_COMMODITIES",
    "RATE_RTOL",
    "FactorWeight",
    "area_percentile",
    "classify",
    "confidence_labels",
    "display_name",
    "normalise",
    "score_cells",
    "seizure_cell_stats",
    "seizures_within",
]


class FactorWeight(BaseModel):
    """How one factor enters the weighted score (``score.factors.<name>`` in the config).

    Parameters
    ----------
    weight : float
        Relative weight (weights are rescaled to sum to 1 over the factors covering a cell).
    transform : {'linear', 'log'}
        ``log`` applies ``log1p`` before normalising.
    label : str, optional
        Human label for the map; defaults to the factor's name with spaces.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(..., ge=0, allow_inf_nan=False)
    transform: Literal["linear", "log"] = "linear"
    label: str | None = None


def display_name(name: str, weight: FactorWeight | None = None) -> str:
    """Label shown to people: the configured label or the name with spaces."""
    return (weight.label if weight is not None else None) or name.replace("_", " ")


def normalise(
    values: np.ndarray,
    *,
    method: str = "cap",
    cap_quantile: float = 0.99,
    transform: str = "linear",
    name: str | None = None,
) -> np.ndarray:
    """Map non-negative factor values to [0, 1].

    Parameters
    ----------
    values : numpy.ndarray
        Raw values; NaN means "not observed" and stays NaN (missing is not zero).
    method : {'cap', 'rank'}
        See the module docstring.
    cap_quantile : float
        Quantile of the non-zero values that maps to 1 (``cap`` only).
    transform : {'linear', 'log'}
        ``log`` applies ``log1p`` first.
    name : str, optional
        The factor's name, for the refusal of negative values (its ways out name it).

    Returns
    -------
    numpy.ndarray of float64 in [0, 1]

    Raises
    ------
    ConfigError
        A value below 0 (beyond round-off): one line with the most negative value, the
        number of cells below 0 and the ways out (no transform takes negative values).
    """
    raw = np.asarray(values, dtype="float64")
    missing = np.isnan(raw)
    x = np.where(missing, 0.0, raw)
    # Upstream sums by differences (prefix sums, FFT) leave round-off of ~1e-7 of the factor's
    # largest value where the truth is 0: that is noise, not a negative observation.
    tol = 1e-6 * float(np.abs(x).max(initial=0.0))
    if (x < -tol).any():
        raise ConfigError(_negative_message(x, name))
    x = np.maximum(x, 0.0)
    if transform == "log":
        x = np.log1p(x)
    elif transform != "linear":
        raise ConfigError(f"transform must be one of ['linear', 'log'], got {transform!r}")
    out = np.zeros_like(x)
    out[missing] = np.nan
    nz = (x > 0) & ~missing
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


def _negative_message(x: np.ndarray, name: str | None) -> str:
    """Say that a factor holds negative values, its most negative one, and the ways out.

    Neither transform fits (``linear`` and ``log`` both take values >= 0 only): a signed
    quantity (GEBCO elevations, negative at sea) is scored through its negation.
    """
    neg = int(np.count_nonzero(x < 0))
    what = repr(name) if name else "the factor"
    negated = f"-{name}" if name else "its negation"
    return (
        f"factor values must be >= 0 to be scored; the most negative is {float(x.min())!r} "
        f"({neg} of {x.size} cells below 0: a signed quantity, such as GEBCO elevations, "
        "negative at sea?); neither score transform (linear, log) takes negative values: "
        f"score {negated} with a plug-in factor (factors.plugins; see README 'Add a risk "
        f"factor') that returns -1 x {what}, or negate the raster itself first "
        "(gdal_calc.py -A in.tif --calc=-A --outfile=depth.tif), or drop it from "
        "score.factors"
    )


#: Rates within this relative distance of the next lower one are one rate (rounding noise).
RATE_RTOL = 1e-9


def _stable_argsort(x: np.ndarray) -> np.ndarray:
    """Return ``np.argsort(x, kind="stable")`` of a float array without NaN, several times faster.

    NumPy's default sort of 64-bit floats is its SIMD quicksort (6x its stable timsort on
    4·10⁴ values, which :func:`area_percentile` sorts 200 times per uncertainty draw set);
    it is not stable, so equal values (``-0.0`` and ``0.0`` among them) are put back in
    index order afterwards.  The permutation is then the stable sort's, element for element.
    """
    if x.size >= 1 << 31:  # the keys below would overflow
        return np.argsort(x, kind="stable")
    order = np.argsort(x)
    v = x[order]
    tie = v[1:] == v[:-1]
    if not tie.any():
        return order
    in_run = np.flatnonzero(np.r_[tie, False] | np.r_[False, tie])
    run = np.cumsum(np.r_[True, ~tie])[in_run]  # runs of equal values, in sorted order
    tied = order[in_run]
    # runs keep their places; within a run the indices ascend (keys are distinct: n² < 2⁶³)
    order[in_run] = tied[np.argsort(run.astype("int64") * x.size + tied)]
    return order


def area_percentile(
    rate: np.ndarray, rtol: float = RATE_RTOL, area: np.ndarray | None = None
) -> np.ndarray:
    """Return the percentile (0-100] of each cell's rate: the share of the area at or below it.

    A cell's percentile is 100 × (area of the cells with a lower rate + its own area) / the
    area of all cells: the lowest rate is about 0, the highest 100.  H3 cells of one
    resolution differ in area (by up to 2.4 times over a wide theatre), so a share of the
    cells is not a share of the area; without ``area`` every cell counts as one.  Rates
    equal up to ``rtol`` (relative, chained along the sorted rates) are tied: a fitted model
    gives every quiet cell one rate, but ``exp(log area + ...) / area`` differs between them
    in the last bits, and ranked as distinct those bits spread identical cells over the
    whole scale.  Tied cells share the lowest rank of their block (the area below it plus
    the block's mean cell area): a block of quiet cells (most of a large area) is the least
    risky, not ranked as high as the block's top.  NaN stays NaN.

    Parameters
    ----------
    rate : numpy.ndarray
        Expected events per km² (any non-negative rate).
    rtol : float, default :data:`RATE_RTOL`
    area : numpy.ndarray, optional
        Each cell's area (km²); default one per cell (a share of the cells).

    Returns
    -------
    numpy.ndarray of float64
    """
    x = np.asarray(rate, dtype="float64")
    out = np.full(x.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(x))
    if ok.size == 0:
        return out
    w = np.ones(x.shape) if area is None else np.asarray(area, dtype="float64")
    if w.shape != x.shape or not (np.isfinite(w[ok]) & (w[ok] > 0)).all():
        raise ValueError("area must be one positive, finite area per rate")
    order = ok[_stable_argsort(x[ok])]
    v = x[order]
    new_block = np.r_[True, np.diff(v) > rtol * np.maximum(np.abs(v[1:]), np.abs(v[:-1]))]
    block = np.cumsum(new_block) - 1
    block_area = np.bincount(block, weights=w[order])
    block_size = np.bincount(block)
    below = np.r_[0.0, np.cumsum(block_area)[:-1]]  # area of the blocks with a lower rate
    out[order] = (below[block] + (block_area / block_size)[block]) / block_area.sum() * 100.0
    return out


def classify(risk: np.ndarray, breaks: Sequence[float], labels: Sequence[str]) -> np.ndarray:
    """Return the class label of each risk value.

    A class holds scores from its lower break (included) to its upper break (excluded); the
    top class also holds its upper break (100).  The map's legend states the same rule.  The
    risk is classed as the map shows it, rounded to 0.1 (19.96 shows as 20.0 and is in the
    class from 20), as the quantile and natural classes of the run are.
    """
    if len(labels) != len(breaks) - 1:
        raise ConfigError(
            f"need {len(breaks) - 1} labels for {len(breaks)} breaks, got {len(labels)}"
        )
    shown = np.round(np.asarray(risk, dtype="float64"), 1)
    idx = np.searchsorted(np.asarray(breaks[1:-1], dtype="float64"), shown, side="right")
    return np.asarray(labels, dtype=object)[idx]


def _coverage_flags(flags: pd.Series, column: str) -> np.ndarray:
    """Return a ``<factor>__covered`` column as booleans; a missing flag is not covered.

    Text ("False") or numbers other than 0/1 are refused: ``astype(bool)`` makes every
    non-empty string and every non-zero number True, so a cell marked "False" was scored.
    """
    if pd.api.types.is_bool_dtype(flags.dtype):
        return flags.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(flags.dtype):
        v = flags.to_numpy(dtype="float64", na_value=np.nan)
        if np.isin(v[~np.isnan(v)], (0.0, 1.0)).all():
            return v == 1.0
    raise InputError(
        f"covered column {column!r} must hold booleans (True/False), got {flags.dtype} values "
        f"such as {flags.dropna().iloc[0]!r}"
        if flags.notna().any()
        else f"covered column {column!r} must hold booleans, got {flags.dtype}"
    )


def score_cells(
    features: pd.DataFrame,
    factors: Mapping[str, FactorWeight | float],
    *,
    normalisation: str = "cap",
    cap_quantile: float = 0.99,
    class_breaks: Sequence[float] = (0, 20, 40, 60, 80, 100),
    class_labels: Sequence[str] = ("very low", "low", "medium", "high", "very high"),
    observed: np.ndarray | None = None,
    covered: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score each cell and keep every factor's contribution.

    A factor that does not cover a cell (``covered`` False, or a NaN value) is missing there,
    not low: the cell's risk is the weighted mean over the factors that do cover it (their
    weights rescaled to sum to 1 for that cell), and the missing factor contributes 0 points
    with a NaN normalised value.  Where every factor covers the cell this is the plain
    weighted sum.

    Parameters
    ----------
    features : pandas.DataFrame
        ``cell`` plus one column per factor.
    factors : mapping of str to FactorWeight or float
        Factor name to its weight (a bare number is a weight); a factor missing from
        ``features`` raises :class:`ConfigError`; weight 0 leaves it out.
    normalisation, cap_quantile
        See :func:`normalise`.
    class_breaks, class_labels
        Class bins on the 0-100 score.
    observed : numpy.ndarray of bool, optional
        Cells with at least one observation; default: any factor value is non-zero.
    covered : pandas.DataFrame, optional
        ``<factor>__covered`` bool columns aligned with ``features``; default: not NaN.

    Returns
    -------
    pandas.DataFrame
        ``cell``, ``hex_id``, ``risk``, ``risk_class``, ``observed``, ``top_factor`` and per
        factor ``f``, ``f__norm``, ``f__contrib``, ``f__covered``; sorted by cell.
    """
    weights = {
        n: (w if isinstance(w, FactorWeight) else FactorWeight(weight=float(w)))
        for n, w in factors.items()
    }
    weights = {n: w for n, w in weights.items() if w.weight > 0}
    missing = [n for n in weights if n not in features.columns]
    if missing:
        raise ConfigError(
            f"score factor(s) {missing!r} are not computed by this run; available: "
            f"{sorted(c for c in features.columns if c != S.CELL and '__' not in c)!r}"
        )
    if not weights:
        raise ConfigError("the score needs at least one factor with weight > 0")
    from .grid import cells_to_strings

    order = np.argsort(features[S.CELL].to_numpy(dtype="uint64"), kind="stable")
    feats = features.iloc[order].reset_index(drop=True)
    cov = covered.iloc[order].reset_index(drop=True) if covered is not None else None
    out = pd.DataFrame({S.CELL: feats[S.CELL].to_numpy(dtype="uint64")})
    out[S.HEX_ID] = cells_to_strings(out[S.CELL].to_numpy())
    norms, masks = {}, {}
    for name, w in weights.items():
        raw = feats[name].to_numpy(dtype="float64")
        mask = ~np.isnan(raw)
        col = name + S.COVERED_SUFFIX
        if cov is not None and col in cov:
            mask &= _coverage_flags(cov[col], col)
        try:
            norm = normalise(
                np.where(mask, raw, np.nan),
                method=normalisation,
                cap_quantile=cap_quantile,
                transform=w.transform,
                name=name,
            )
        except ConfigError as exc:
            raise ConfigError(f"score factor {name!r}: {exc}") from None
        norms[name], masks[name] = norm, mask
        out[name] = raw
    # total weight of the factors covering each cell, summed in config order
    w_cell = np.zeros(len(feats))
    for name, w in weights.items():
        w_cell = w_cell + np.where(masks[name], w.weight, 0.0)
    safe_total = np.where(w_cell > 0, w_cell, 1.0)
    risk = np.zeros(len(feats))
    contribs = {}
    for name, w in weights.items():
        share = w.weight / safe_total
        contrib = np.where(masks[name], 100.0 * share * np.nan_to_num(norms[name]), 0.0)
        out[name + S.NORM_SUFFIX] = norms[name]
        out[name + S.CONTRIB_SUFFIX] = contrib
        out[name + S.COVERED_SUFFIX] = masks[name]
        contribs[name] = contrib
        risk += contrib
    risk = np.where(w_cell > 0, np.clip(risk, 0.0, 100.0), np.nan)
    out.insert(2, S.RISK, risk)
    labels = classify(np.nan_to_num(risk), class_breaks, class_labels)
    labels[np.isnan(risk)] = "no data"
    out.insert(3, S.RISK_CLASS, labels)
    if observed is None:
        vals = feats[list(weights)].to_numpy(dtype="float64")
        observed = np.nan_to_num(vals, nan=0.0).any(axis=1)
    else:
        observed = np.asarray(observed, dtype=bool)[order]
    out.insert(4, S.OBSERVED, observed)
    stacked = np.column_stack(list(contribs.values()))
    top = np.asarray(list(contribs), dtype=object)[stacked.argmax(axis=1)]
    top[~(risk > 0)] = None
    out.insert(5, "top_factor", pd.Series(top, dtype=object))
    return out


CONFIDENCE_THRESHOLDS = (5, 20)


def confidence_labels(seizures_within_bandwidth: np.ndarray) -> np.ndarray:
    """Say how sure the density factor of each cell is.

    'low': fewer than 5 seizures within one bandwidth of the cell centre; 'medium': 5-19;
    'high': 20 or more.  A kernel estimate from a handful of events is mostly the kernel's
    shape; with twenty or more it reflects the data.  The count is unweighted, so old events
    count too.
    """
    n = np.asarray(seizures_within_bandwidth)
    labels = np.array(["low", "medium", "high"], dtype=object)
    return labels[np.searchsorted(np.asarray(CONFIDENCE_THRESHOLDS), n, side="right")]


def seizures_within(seizures: pd.DataFrame, cells: np.ndarray, bandwidth_km) -> np.ndarray:
    """Count seizures within one bandwidth of each cell centre (uniform kernel / its height)."""
    if seizures.empty or not bandwidth_km:
        return np.zeros(len(cells), dtype="int64")
    from .density import kernel_density, kernel_profile

    d = kernel_density(
        (seizures[S.LON].to_numpy(), seizures[S.LAT].to_numpy()),
        cells,
        bandwidth_km=float(bandwidth_km),
        kernel="uniform",
    )
    # one seizure's height, normalised on the sphere (not 1/(π h²): 2 % more at 3,000 km)
    height = float(kernel_profile("uniform", np.zeros(1), float(bandwidth_km))[0])
    return np.rint(d / height).astype("int64")


#: Per-commodity count columns at most.  A commodity column of free text (a description per
#: record) gave one column per record: beyond GeoPackage's 2000 fields (the export failed with
#: a traceback), gigabytes of zeros in memory and a map payload of as many series.
MAX_COMMODITY_COLUMNS = 50
#: The commodity label counting the seizures of every commodity beyond the most frequent.
OTHER_COMMODITIES = "(other commodities)"


def seizure_cell_stats(
    seizures: pd.DataFrame,
    cells: np.ndarray,
    resolution: int,
    max_commodities: int = MAX_COMMODITY_COLUMNS,
) -> pd.DataFrame:
    """Per cell: ``n_seizures``, ``seizures_<commodity>`` counts and ``latest_event``.

    With more than ``max_commodities`` distinct commodities, the ``max_commodities - 1`` most
    frequent (ties by label) keep their columns and the others are counted together under
    :data:`OTHER_COMMODITIES`, so the table has at most ``max_commodities`` count columns
    and every seizure is still counted once.
    """
    from .grid import points_to_cells

    out = pd.DataFrame({S.CELL: cells})
    out["n_seizures"] = 0
    if seizures.empty:
        out[S.LATEST_EVENT] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
        return out
    sc = points_to_cells(seizures[S.LON].to_numpy(), seizures[S.LAT].to_numpy(), resolution)
    frame = pd.DataFrame(
        {
            S.CELL: sc,
            S.COMMODITY: seizures[S.COMMODITY].astype(str).to_numpy(),
            S.TIME: seizures[S.TIME].to_numpy(),
        }
    )
    labels = frame[S.COMMODITY]
    if labels.nunique() > max_commodities:
        freq = labels.value_counts()
        freq = freq.drop(OTHER_COMMODITIES, errors="ignore")  # never a column of its own
        order = pd.DataFrame({"n": freq.to_numpy(), "label": freq.index}).sort_values(
            ["n", "label"], ascending=[False, True]
        )
        kept = set(order["label"].iloc[: max_commodities - 1])
        frame[S.COMMODITY] = labels.where(labels.isin(kept), OTHER_COMMODITIES)
    counts = frame.groupby([S.CELL, S.COMMODITY]).size().unstack(fill_value=0)
    if OTHER_COMMODITIES in counts.columns:  # after the commodities it gathers
        counts = counts[[c for c in counts.columns if c != OTHER_COMMODITIES] + [OTHER_COMMODITIES]]
    counts.columns = [f"{S.SEIZURES_PREFIX}{c}" for c in counts.columns]
    latest = frame.groupby(S.CELL)[S.TIME].max().rename(S.LATEST_EVENT)
    n = frame.groupby(S.CELL).size().rename("n_seizures")
    out = (
        out.drop(columns="n_seizures")
        .join(n, on=S.CELL)
        .join(counts, on=S.CELL)
        .join(latest, on=S.CELL)
    )
    count_cols = ["n_seizures", *counts.columns]
    out[count_cols] = out[count_cols].fillna(0).astype("int64")
    return out
