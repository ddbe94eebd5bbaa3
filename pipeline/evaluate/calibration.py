"""Reliability of predicted counts and probabilities: predicted against observed, by decile.

A model that publishes expected events per cell (and the probability of at least one) is
calibrated when, among the cells it gives about ``m`` expected events, about ``m`` happen.  Cells
are put in ten bins of equal cell count by their prediction (deciles of the cells ordered by
prediction); per bin we report the mean prediction and the mean observation.  A group of tied
predictions that straddles a bin edge is split across the bins in proportion to the share of
its cells each bin takes, with the same share of its observed events: the expected result under
a random order of the tied cells, so the curve does not depend on the cells' storage order (a
model that predicts the same value for most cells, as the fallback's zeros, would otherwise put
the events of the low cell ids in the lowest decile).  Across origins the bins are pooled (sums
over origins, then means), so the curve has one point per decile.  A cell without a prediction
(NaN: a forecast that does not cover it) is left out of the bins, the totals and the Brier score
and counted in ``cells_without_prediction``: missing is not a prediction, and sorted with the
largest it put the uncovered cells' events in the top decile and made the totals and the Brier
score null.
"""

from __future__ import annotations

import numpy as np

__all__ = ["decile_bins", "reliability"]

N_BINS = 10


def decile_bins(pred: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Return the bin (0 = lowest predictions) of each cell, bins of equal cell count.

    A cell without a prediction (NaN: the forecast does not cover it; an infinite value is
    none either) is in no bin, -1, and the bins share out the other cells, as
    :func:`reliability` leaves such cells out (argsort alone put them in the top bin).

    Examples
    --------
    >>> decile_bins(np.array([5.0, 1.0, 3.0, 2.0]), n_bins=2).tolist()
    [1, 0, 1, 0]
    >>> decile_bins(np.array([5.0, np.nan, 1.0]), n_bins=2).tolist()
    [1, -1, 0]
    """
    pred = np.asarray(pred, dtype="float64")
    known = np.isfinite(pred)
    out = np.full(pred.size, -1, dtype="int64")
    order = np.argsort(pred[known], kind="stable")
    rank = np.empty(order.size, dtype="int64")
    rank[order] = np.arange(order.size)
    out[known] = (rank * n_bins) // max(order.size, 1)
    return out


def _accumulate(pred: np.ndarray, obs: np.ndarray, n_bins: int) -> np.ndarray:
    """Per bin: cells, sum of predictions, sum of observations (tied groups split evenly).

    The cumulative sums over the cells ordered by prediction are taken at the boundaries of
    the groups of equal predictions and interpolated linearly at the bin edges, the edges of
    :func:`decile_bins` (``ceil(j n / n_bins)`` cells): without ties this is exactly the sum
    over the cells of each bin, with ties each bin gets its share of a straddling group.
    """
    n = pred.size
    if n == 0:
        return np.zeros((3, n_bins))
    _, group = np.unique(pred, return_inverse=True)
    size_g = np.bincount(group).astype("float64")
    knots = np.concatenate([[0.0], np.cumsum(size_g)])
    edges = -((-np.arange(n_bins + 1) * n) // n_bins)  # ceil(j n / n_bins)
    out = np.empty((3, n_bins))
    out[0] = np.diff(edges)
    for row, values in ((1, pred), (2, obs)):
        cum = np.concatenate([[0.0], np.cumsum(np.bincount(group, weights=values))])
        out[row] = np.diff(np.interp(edges, knots, cum))
    return out


def reliability(
    expected: list[np.ndarray],
    observed: list[np.ndarray],
    p_any: list[np.ndarray | None] | None = None,
    *,
    n_bins: int = N_BINS,
) -> dict:
    """Pool the reliability curves of several origins.

    Parameters
    ----------
    expected : list of numpy.ndarray
        Expected events per cell, one array per origin.
    observed : list of numpy.ndarray
        Observed events per cell (same shapes).
    p_any : list of numpy.ndarray or None, optional
        Predicted probability of at least one event per cell, one per origin; None for an
        origin without probabilities (its cells count as without a prediction).
    n_bins : int, default 10
        Number of bins.

    Returns
    -------
    dict
        ``counts``: per bin ``cells``, ``mean_expected``, ``mean_observed``, and the
        ``cells_without_prediction`` left out (summed over origins); ``totals``: predicted and
        observed events summed over the cells with a prediction and the origins (None without
        one), and their ratio; ``p_at_least_one`` (when given): per bin ``mean_predicted`` and
        ``observed_share``, the Brier score and its ``cells_without_prediction``.
    """
    acc = np.zeros((3, n_bins))
    unpredicted = 0
    for e, o in zip(expected, observed, strict=True):
        e, o = np.asarray(e, "float64"), np.asarray(o, "float64")
        ok = np.isfinite(e)
        unpredicted += int(ok.size - ok.sum())
        acc += _accumulate(e[ok], o[ok], n_bins)
    cells, s_pred, s_obs = acc
    with np.errstate(invalid="ignore", divide="ignore"):
        out: dict = {
            "binning": f"{n_bins} bins of equal cell count by prediction, pooled over origins",
            "counts": {
                "cells": cells.astype(int).tolist(),
                "mean_expected": (s_pred / cells).tolist(),
                "mean_observed": (s_obs / cells).tolist(),
                "cells_without_prediction": unpredicted,
            },
            # no cell with a prediction: no totals (missing, not 0 events expected and seen)
            "totals": {
                "expected": float(s_pred.sum()) if cells.sum() else None,
                "observed": float(s_obs.sum()) if cells.sum() else None,
                "observed_over_expected": float(s_obs.sum() / s_pred.sum())
                if s_pred.sum() > 0
                else None,
            },
        }
    if p_any is not None:
        accp = np.zeros((3, n_bins))
        sq, n, unpredicted_p = 0.0, 0, 0
        for p, o in zip(p_any, observed, strict=True):
            o = np.asarray(o)
            p = np.full(o.shape, np.nan) if p is None else np.asarray(p, "float64")
            ok = np.isfinite(p)
            hit = (o[ok] > 0).astype("float64")
            p = p[ok]
            accp += _accumulate(p, hit, n_bins)
            sq += float(((p - hit) ** 2).sum())
            n += p.size
            unpredicted_p += int(ok.size - p.size)
        cells_p, s_p, s_hit = accp
        with np.errstate(invalid="ignore", divide="ignore"):
            out["p_at_least_one"] = {
                "cells": cells_p.astype(int).tolist(),
                "mean_predicted": (s_p / cells_p).tolist(),
                "observed_share": (s_hit / cells_p).tolist(),
                "brier": sq / n if n else None,
                "cells_without_prediction": unpredicted_p,
            }
    return out
