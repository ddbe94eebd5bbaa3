"""Risk classes of a run: quantiles or natural breaks of its scores (or fixed breaks).

One classification serves the map, the preview, the exported ``risk_class``, the timeline's
one colour scale and the class stability of the uncertainty stage, so it lives here rather
than in the renderer.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

__all__ = ["ALL_EQUAL", "CLASS_METHODS", "class_labels_for", "risk_class_breaks"]

#: The one class of a run whose every cell has the same score.
ALL_EQUAL = "all cells equal"

#: How the map's risk classes are made (RenderOptions.classes, render.classes).
CLASS_METHODS = ("quantile", "natural", "fixed")


def risk_class_breaks(risk, method: str, n_classes: int) -> np.ndarray:
    """Return the class breaks of a run's risk scores: quantiles or natural breaks.

    Scores are taken at the 0.1 resolution the map shows them with.  ``"quantile"`` puts
    about as many cells in each class; ``"natural"`` minimises the within-class sum of
    squared deviations (Fisher's exact optimisation, which Jenks approximates), computed on
    the weighted distinct values, so it is exact and fast (at most 1,001 values).  Breaks
    that coincide (many equal scores) are merged, so fewer classes may come back; the
    first break is the lowest score, the last the highest.

    Parameters
    ----------
    risk : array_like of float
        Risk scores (0-100) of the observed cells; NaN is ignored.
    method : {"quantile", "natural"}
        How to break.
    n_classes : int
        Classes wanted (at least 1).

    Returns
    -------
    numpy.ndarray
        Increasing breaks, ``len <= n_classes + 1`` (at least 2).

    Raises
    ------
    InputError
        If ``method`` is not one of them or ``n_classes`` is below 1.

    Examples
    --------
    >>> risk_class_breaks([1, 2, 3, 10, 11, 12, 50, 51], "natural", 3).tolist()
    [1.0, 10.0, 50.0, 51.0]
    >>> risk_class_breaks([0, 0, 0, 0, 0, 0, 10, 40, 75, 90], "quantile", 5).tolist()
    [0.0, 10.0, 40.0, 90.0]
    """
    if method not in ("quantile", "natural"):
        raise InputError(f"class method must be 'quantile' or 'natural', got {method!r}")
    if int(n_classes) < 1:
        raise InputError(f"n_classes must be at least 1, got {n_classes!r}")
    v = np.round(np.asarray(risk, dtype="float64"), 1)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.array([0.0, 100.0])
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return np.array([lo, lo + 0.1])
    if method == "quantile":
        inner = np.quantile(v, np.linspace(0, 1, n_classes + 1)[1:-1], method="lower")
        starts = np.unique(np.round(inner, 1))
        if n_classes > 1 and starts[0] <= lo:
            # a quantile in the block of the lowest score (a class's share of cells or more
            # tied there, as the fitted model's quiet cells): the cells above the block start
            # a class of their own, never the lowest class with it (a fallback run published
            # cells of risk 75.9 'very low' beside the block at 0.0)
            starts = np.union1d(starts, v[v > lo].min(keepdims=True))
    else:
        starts = _fisher_starts(v, n_classes)
    starts = starts[starts > lo]
    # the top class includes its upper break; a class of the top score alone ends just past it
    end = round(hi + 0.1, 1) if starts.size and starts[-1] >= hi else hi
    return np.concatenate([[lo], starts, [end]])


def _fisher_starts(v: np.ndarray, k: int) -> np.ndarray:
    """Return the first value of each class but the first: Fisher's optimal partition."""
    values, weights = np.unique(v, return_counts=True)
    m = values.size
    k = min(k, m)
    w = np.concatenate([[0.0], np.cumsum(weights)])
    s1 = np.concatenate([[0.0], np.cumsum(weights * values)])
    s2 = np.concatenate([[0.0], np.cumsum(weights * values**2)])
    a, b = np.triu_indices(m + 1, 1)  # a class of the values a..b-1
    ssd = np.full((m + 1, m + 1), np.inf)
    ssd[a, b] = s2[b] - s2[a] - (s1[b] - s1[a]) ** 2 / (w[b] - w[a])
    cost = ssd[0].copy()  # one class holding values 0..e-1
    back = np.zeros((k, m + 1), dtype="int64")
    for j in range(1, k):
        total = cost[:, None] + ssd  # last class starts at s, ends at e
        back[j] = np.argmin(total, axis=0)
        cost = total[back[j], np.arange(m + 1)]
    starts, e = [], m
    for j in range(k - 1, 0, -1):
        e = int(back[j][e])
        starts.append(values[e])
    return np.unique(np.asarray(starts, dtype="float64"))


def class_labels_for(labels: list[str], n_classes: int) -> list[str]:
    """Return ``n_classes`` of ``labels`` spread evenly, lowest and highest kept.

    One class of several labels means every cell has the same score: nothing ranks one cell
    above another, so the class is :data:`ALL_EQUAL`, not the lowest label (a run whose
    every cell scored 42 would read "very low").

    Examples
    --------
    >>> class_labels_for(["very low", "low", "medium", "high", "very high"], 3)
    ['very low', 'medium', 'very high']
    >>> class_labels_for(["very low", "low", "medium", "high", "very high"], 1)
    ['all cells equal']
    """
    if n_classes == 1 and len(labels) > 1:
        return [ALL_EQUAL]
    if n_classes >= len(labels):
        return list(labels)
    idx = np.round(np.linspace(0, len(labels) - 1, n_classes)).astype(int)
    return [labels[i] for i in idx]
