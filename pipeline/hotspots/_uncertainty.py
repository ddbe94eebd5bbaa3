"""Per-cell uncertainty from a bootstrap of the events: an interval and the class's stability.

Each resample draws ``N`` events with replacement from the ``N`` events (Efron's bootstrap),
which is the same as giving event ``e`` the weight ``m_e`` -- how many times it was drawn, a
multinomial count with mean 1.  The statistic is recomputed from those weights: the count per
cell, Gi* on the counts, or any scoring function that accepts event weights (a weighted kernel
density and the score built on it).  The interval is the percentile interval of the resampled
values per cell (5-95 % by default); the class stability is the share of resamples in which
the cell's class (risk class, Gi* bin, ...) is the class of the full data.

Memory is bounded: the ``resamples × cells`` matrix is kept in float64 where it fits
``max_bytes``, in float32 where only that fits (each resample's difference from the observed
value; an end within float32's rounding of the smallest, the largest or the observed value is
that value), and refused otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .. import grid
from ..errors import InputError
from ._gistar import gi_star_z, require_cells_resolution, significance_bins
from ._options import HotspotOptions, UncertaintyOptions, validate_options
from ._weights import CellWeights

__all__ = [
    "bootstrap_cells",
    "bootstrap_summary",
    "breaks_classifier",
    "counts_statistic",
    "gi_bin_classifier",
    "gi_z_statistic",
    "parametric_cells",
]

Statistic = Callable[[np.ndarray], np.ndarray]
Classifier = Callable[[np.ndarray], np.ndarray]


def counts_statistic(event_cells, cells) -> Statistic:
    """Return ``weights -> events per cell`` (weighted), aligned with ``cells``.

    Parameters
    ----------
    event_cells : array_like of uint64 or hex strings
        The cell of each event, at the cells' resolution (another one is an error); events
        outside ``cells`` are not counted.
    cells : array_like of uint64 or hex strings
        The cells of the result, in their order.
    """
    cells = grid.to_cells(cells)
    ev = grid.to_cells(event_cells)
    # events at another resolution than the cells' would all be counted nowhere: every
    # resample's counts (and their Gi*) quietly 0
    require_cells_resolution(ev, cells)
    order = np.argsort(cells, kind="stable")
    j = np.searchsorted(cells[order], ev)
    ok = j < cells.size
    ok[ok] = cells[order][j[ok]] == ev[ok]
    pos = order[j[ok]]
    n = cells.size

    def statistic(weights: np.ndarray) -> np.ndarray:
        return np.bincount(pos, weights=np.asarray(weights)[ok], minlength=n).astype("float64")

    return statistic


def gi_z_statistic(event_cells, weights: CellWeights) -> Statistic:
    """Return ``weights -> Gi* z-score of the weighted counts``, aligned with ``weights.cells``."""
    count = counts_statistic(event_cells, weights.cells)
    return lambda w: gi_star_z(weights.matrix, count(w))


def gi_bin_classifier(options: HotspotOptions | dict | None = None) -> Classifier:
    """Return ``z -> Gi_Bin`` with the normal p-values, the options' ``alphas`` and ``fdr``."""
    opts = validate_options(options)

    def classify(z: np.ndarray) -> np.ndarray:
        return significance_bins(z, 2.0 * ndtr(-np.abs(z)), opts.alphas, opts.fdr)[0]

    return classify


def breaks_classifier(breaks) -> Classifier:
    """Return ``values -> class index`` for fixed ``breaks`` (lower break included, as the score)."""
    b = np.asarray(breaks, dtype="float64")
    if b.ndim != 1 or b.size < 2 or not (np.diff(b) > 0).all():
        raise InputError(f"breaks must be at least 2 increasing numbers, got {breaks!r}")
    inner = b[1:-1]
    return lambda v: np.searchsorted(inner, v, side="right")


def bootstrap_cells(
    n_events: int,
    statistic: Statistic,
    cells,
    *,
    classify: Classifier | None = None,
    options: UncertaintyOptions | dict | None = None,
    seed: int | None = 0,
    name: str = "value",
) -> pd.DataFrame:
    """Return a bootstrap interval and class stability of a per-cell statistic of the events.

    Parameters
    ----------
    n_events : int
        Number of events ``N``.
    statistic : callable
        ``statistic(weights)`` with ``weights`` the float64 multiplicity of each of the ``N``
        events (all ones for the data as observed) returns one value per cell, aligned with
        ``cells``.  See :func:`counts_statistic` and :func:`gi_z_statistic`.
    cells : array_like of uint64
        The cells the statistic returns values for.
    classify : callable, optional
        ``classify(values) -> labels`` per cell (:func:`breaks_classifier`,
        :func:`gi_bin_classifier`); gives the class stability.
    options : UncertaintyOptions or dict, optional
        ``n_resamples`` (199), ``interval`` ((0.05, 0.95)), ``max_bytes``.
    seed : int or None
        Seed of the resampling.
    name : str
        Prefix of the output columns.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``cell``: ``<name>`` (the statistic of the observed events),
        ``<name>_lower``, ``<name>_upper`` (the percentile interval, which need not contain the
        observed value where the statistic is skewed) and, with ``classify``,
        ``<name>_class_stability`` (share of resamples in the observed class, 0-1).

    Raises
    ------
    InputError
        A statistic of the wrong length or with non-finite values, or a resample matrix above
        ``max_bytes``.
    """
    opts = _uncertainty_options(options)
    cells = np.asarray(cells, dtype="uint64")
    n_cells = cells.size
    n_events = int(n_events)
    if n_events < 0:
        raise InputError(f"n_events must be >= 0, got {n_events!r}")
    b = opts.n_resamples
    if b * n_cells * 8 <= opts.max_bytes:
        dtype = "float64"
    elif b * n_cells * 4 <= opts.max_bytes:
        dtype = "float32"
    else:
        raise InputError(
            f"{b} resamples of {n_cells:,} cells need {b * n_cells * 4 / 2**20:,.0f} MiB, above"
            f" max_bytes {opts.max_bytes!r}; use fewer resamples"
            " (hotspots.uncertainty.n_resamples), a larger hotspots.uncertainty.max_bytes,"
            " fewer cells or hotspots.uncertainty.enabled: false"
        )
    observed = _checked(statistic(np.ones(n_events)), n_cells)
    labels = classify(observed) if classify is not None else None
    # float32 keeps each resample's change from the observed value, and the float64 range
    # of the values: float32 values moved a risk near 90 by up to 4e-6, past the tables' 6
    # decimals (a cell the seizures cannot move published a risk outside its zero-width
    # interval), and the changes alone put a lower end of 0 at 5e-7
    low32 = dtype == "float32"
    vmin = np.full(n_cells if low32 else 0, np.inf)
    vmax = -vmin
    same = np.zeros(n_cells, dtype="int64")
    # cells x resamples: the quantiles partition contiguous rows (a third faster than columns)
    draws = np.empty((n_cells, b), dtype=dtype)
    rng = np.random.default_rng(seed)
    for r in range(b):  # one vectorised statistic per resample
        weights = np.bincount(rng.integers(0, max(n_events, 1), n_events), minlength=n_events)
        values = _checked(statistic(weights.astype("float64")), n_cells)
        if low32:
            draws[:, r] = values - observed
            np.minimum(vmin, values, out=vmin)
            np.maximum(vmax, values, out=vmax)
        else:
            draws[:, r] = values
        if classify is not None:
            same += np.asarray(classify(values)) == labels
    # the draws are not read again: partitioned in place, not copied first (65 MB a run)
    lo, hi = np.quantile(draws, opts.interval, axis=1, overwrite_input=True)
    lo, hi = lo.astype("float64"), hi.astype("float64")
    if low32:
        lo, hi = _exact_ends(lo, observed, vmin, vmax), _exact_ends(hi, observed, vmin, vmax)
    out = {"cell": cells, name: observed, f"{name}_lower": lo, f"{name}_upper": hi}
    if classify is not None:
        out[f"{name}_class_stability"] = same / b
    return pd.DataFrame(out).sort_values("cell", kind="stable", ignore_index=True)


def parametric_cells(
    params,
    cov,
    statistic: Callable[[np.ndarray], np.ndarray],
    cells,
    *,
    classify: Classifier | None = None,
    options: UncertaintyOptions | dict | None = None,
    seed: int | None = 0,
    name: str = "value",
) -> pd.DataFrame:
    """Return the interval and class stability of a statistic of normally drawn parameters.

    The parameters are drawn ``n_resamples`` times from ``N(params, cov)``; the columns are
    those of :func:`bootstrap_cells` (``<name>`` is the statistic at ``params``).

    Parameters
    ----------
    params : array_like of float
        Estimates.
    cov : array_like of float
        Their covariance: symmetric (to round-off) and positive semi-definite, else refused.
    statistic : callable
        ``statistic(params) -> one value per cell``.
    cells : array_like of uint64
        The cells of the statistic's values.
    classify : callable, optional
        ``classify(values) -> labels`` (class stability).
    options : UncertaintyOptions or dict, optional
        ``n_resamples``, ``interval``, ``max_bytes``.
    seed : int or None
        Seed of the draws.
    name : str
        Prefix of the output columns.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``cell``.

    Raises
    ------
    InputError
        A covariance that is not a finite, symmetric, positive semi-definite matrix of the
        parameters' size, a statistic of the wrong length or with non-finite values, or
        draws above ``max_bytes``.
    """
    opts = _uncertainty_options(options)
    p = np.asarray(params, dtype="float64")
    c = np.asarray(cov, dtype="float64")
    if c.shape != (p.size, p.size) or not np.isfinite(c).all():
        raise InputError(f"cov must be a finite {p.size}x{p.size} matrix, got shape {c.shape!r}")
    c = _covariance(c)
    cells = np.asarray(cells, dtype="uint64")
    n = cells.size
    b = opts.n_resamples
    if b * n * 8 > opts.max_bytes:
        raise InputError(
            f"{b} draws of {n:,} cells need {b * n * 8 / 2**20:,.0f} MiB, above max_bytes"
            f" {opts.max_bytes!r}; use fewer resamples (hotspots.uncertainty.n_resamples), a"
            " larger hotspots.uncertainty.max_bytes or hotspots.uncertainty.enabled: false"
        )
    observed = _checked(statistic(p), n)
    labels = classify(observed) if classify is not None else None
    rng = np.random.default_rng(seed)
    draws_p = rng.multivariate_normal(p, c, size=b, method="eigh")
    draws = np.empty((n, b))  # cells x draws, as in bootstrap_cells
    same = np.zeros(n, dtype="int64")
    for r in range(b):  # one vectorised statistic per draw
        values = _checked(statistic(draws_p[r]), n)
        draws[:, r] = values
        if classify is not None:
            same += np.asarray(classify(values)) == labels
    lo, hi = np.quantile(draws, opts.interval, axis=1, overwrite_input=True)  # not read again
    out = {"cell": cells, name: observed, f"{name}_lower": lo, f"{name}_upper": hi}
    if classify is not None:
        out[f"{name}_class_stability"] = same / b
    return pd.DataFrame(out).sort_values("cell", kind="stable", ignore_index=True)


def _uncertainty_options(options: UncertaintyOptions | dict | None) -> UncertaintyOptions:
    if isinstance(options, UncertaintyOptions) or options is None:
        return options or UncertaintyOptions()
    return validate_options({"uncertainty": options}).uncertainty


def _covariance(c: np.ndarray) -> np.ndarray:
    """Return ``c`` symmetrised, refusing more than round-off asymmetry or negative variance.

    numpy draws from an indefinite matrix with a warning only, taking the absolute values of
    its eigenvalues: an interval of some other distribution, published as this one's.
    """
    scale = float(np.abs(c).max(initial=0.0))
    gap = np.abs(c - c.T)
    if (gap > 1e-8 * scale).any():
        i, j = np.unravel_index(int(np.argmax(gap)), c.shape)
        raise InputError(
            f"cov must be symmetric, got cov[{i}, {j}] = {float(c[i, j])!r} and"
            f" cov[{j}, {i}] = {float(c[j, i])!r}"
        )
    c = (c + c.T) / 2.0
    eig = np.linalg.eigvalsh(c) if c.size else np.zeros(1)
    if eig.min() < -1e-8 * max(float(eig.max()), 0.0):
        raise InputError(
            f"cov must be positive semi-definite, got an eigenvalue of {float(eig.min())!r}"
            f" (the largest is {float(eig.max())!r})"
        )
    return c


def _exact_ends(change, observed, vmin, vmax) -> np.ndarray:
    """Return ``observed + change`` (float32 quantiles of the changes) on float64 values.

    An end within float32's rounding of the changes (a few 1e-7 of the cell's largest change)
    of the resamples' smallest or largest value or of the observed value is that value: a
    lower end of 0 stays 0, not 5e-7.  Every end stays within the resampled values.
    """
    end = np.clip(observed + change, vmin, vmax)
    tol = 4.0 * float(np.finfo(np.float32).eps) * np.maximum(vmax - observed, observed - vmin)
    for exact in (observed, vmin, vmax):
        near = np.abs(end - exact) <= tol
        end[near] = exact[near]
    return end


def _checked(values, n_cells: int) -> np.ndarray:
    v = np.asarray(values, dtype="float64")
    if v.shape != (n_cells,):
        raise InputError(f"the statistic returned shape {v.shape!r}, expected ({n_cells},)")
    if not np.isfinite(v).all():
        raise InputError("the statistic returned non-finite values")
    return v


def bootstrap_summary(frame: pd.DataFrame, name: str = "value") -> dict:
    """Return a JSON-ready summary of a :func:`bootstrap_cells` table (no NaN)."""
    width = (frame[f"{name}_upper"] - frame[f"{name}_lower"]).to_numpy(dtype="float64")
    out: dict = {
        "cells": int(len(frame)),
        "median_interval_width": float(np.median(width)) if width.size else 0.0,
        "max_interval_width": float(width.max()) if width.size else 0.0,
    }
    col = f"{name}_class_stability"
    if col in frame:
        s = frame[col].to_numpy(dtype="float64")
        out["median_class_stability"] = float(np.median(s)) if s.size else 1.0
        out["cells_stable_90"] = int((s >= 0.9).sum())
    return out
