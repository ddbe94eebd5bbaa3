"""Ranking metrics of a risk map: hit rate, PAI, PEI and RRI at shares of the area.

A method ranks the cells of a universe; an analyst flags the top-ranked cells until they cover
a share ``a`` of the universe's area.  With ``N2`` test events in total (including those that
fell outside the universe, which no ranking can capture), ``n2(a)`` of them in the flagged cells,
``N1`` training events and ``n1(a)`` of them in the same flagged cells:

hit rate
    ``n2(a) / N2``: share of the later events captured (Chainey et al. 2008, "hit rate").
PAI, predictive accuracy index (Chainey et al. 2008)
    ``hit rate / a``: how many times better than flagging cells at random (PAI = 1).
PEI, predictive efficiency index (Hunt 2016)
    ``n2(a) / n2*(a)`` where ``n2*`` is the capture of the best possible ranking (cells ordered by
    test events per km²) over the same area: 1 means no ranking could have done better.
RRI, recapture rate index (Levine 2004, CrimeStat)
    ``(n2(a) / N2) / (n1(a) / N1)``: the share of the test events recaptured by the flagged cells
    relative to the share of the training events they held.  1: the hot spots keep their share;
    below 1: they fade; ``None`` when the flagged cells held no training event.

Cells are divisible and ties are split in proportion to area: the capture curve is the
piecewise-linear curve through (cumulative area share, cumulative events) at the boundaries of
the groups of equal score, so a group of tied cells partly inside the flagged area contributes
its events in proportion to the share of its area flagged.  That is the expected capture under a
random order of the tied cells, and it makes the result independent of the cells' storage
order: a constant score (the ``uniform`` baseline) has hit rate exactly ``a`` and PAI exactly 1,
and counts with many ties at zero are scored fairly.  NaN scores rank last, tied.  Scores
equal up to a relative :data:`TIE_RTOL` (chained along the sorted scores, as the published
risk percentile ties rates: :func:`pipeline.score.area_percentile`) are one group: a count
model gives every quiet cell one rate per km², but ``exp(log area + ...) / area`` differs
between them in the last bits, and ranked by those bits a constant rate had a PAI of 0.66 at
1 % of the area instead of 1 (on pirate attacks, the fitted model's 6,417 quiet cells had 8
such values, which moved its hit rate at 20 % and 50 % of the area).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError
from ..score import RATE_RTOL

__all__ = ["TIE_RTOL", "capture_curve", "hit_rates", "ranking_metrics"]

#: Scores within this relative distance of the next one are tied (rounding noise).
TIE_RTOL = RATE_RTOL


def _as_float(name: str, values, n: int | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype="float64").ravel()
    if n is not None and arr.size != n:
        raise InputError(f"{name} must have one value per cell ({n}), got {arr.size}")
    return arr


def capture_curve(
    score: np.ndarray, area_km2: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the knots of a ranking's capture curve.

    Parameters
    ----------
    score : numpy.ndarray
        Higher = riskier; NaN ranks last.
    area_km2 : numpy.ndarray
        Area of each cell (> 0).
    counts : numpy.ndarray
        Events per cell.

    Returns
    -------
    area_share, captured : numpy.ndarray
        Cumulative area share (from 0 to 1) and cumulative events at the boundaries of the groups
        of tied scores, starting at (0, 0); interpolate linearly between knots.

    Examples
    --------
    >>> a, c = capture_curve(np.array([2.0, 1.0, 1.0]), np.ones(3), np.array([1.0, 0.0, 2.0]))
    >>> a.round(3).tolist(), c.tolist()
    ([0.0, 0.333, 1.0], [0.0, 1.0, 3.0])
    """
    score = _as_float("score", score)
    n = score.size
    area = _as_float("area_km2", area_km2, n)
    counts = _as_float("counts", counts, n)
    if n == 0:
        return np.zeros(1), np.zeros(1)
    if not (np.isfinite(area).all() and (area > 0).all()):
        raise InputError("area_km2 must be finite and > 0 for every cell")
    key = np.where(np.isnan(score), -np.inf, score)
    order = np.argsort(-key, kind="stable")
    v = key[order]
    near = np.isfinite(v[1:]) & np.isfinite(v[:-1])
    with np.errstate(invalid="ignore"):  # -inf - -inf: the NaN scores, tied by equality below
        near &= np.abs(np.diff(v)) <= TIE_RTOL * np.maximum(np.abs(v[1:]), np.abs(v[:-1]))
    new = np.r_[True, ~((v[1:] == v[:-1]) | near)]
    group = np.empty(n, dtype=np.intp)
    group[order] = np.cumsum(new) - 1
    area_g = np.bincount(group, weights=area)
    count_g = np.bincount(group, weights=counts)
    cum_area = np.concatenate([[0.0], np.cumsum(area_g)])
    cum_area /= cum_area[-1]
    return cum_area, np.concatenate([[0.0], np.cumsum(count_g)])


def _capture_at(score, area, counts, fractions) -> np.ndarray:
    knots_a, knots_c = capture_curve(score, area, counts)
    return np.interp(fractions, knots_a, knots_c)


def ranking_metrics(
    score: np.ndarray,
    area_km2: np.ndarray,
    test_counts: np.ndarray,
    area_fractions: Sequence[float],
    *,
    n_test_total: float | None = None,
    train_counts: np.ndarray | None = None,
    n_train_total: float | None = None,
) -> list[dict[str, float | None]]:
    """Hit rate, PAI, PEI and RRI of a ranking at each share of the area.

    Parameters
    ----------
    score : numpy.ndarray
        Higher = riskier; ties are split in proportion to area (module docstring).
    area_km2 : numpy.ndarray
        Area of each cell.
    test_counts : numpy.ndarray
        Test events per cell.
    area_fractions : sequence of float
        Shares of the total area at which to measure, in (0, 1].
    n_test_total : float, optional
        All test events, including those outside the cells (misses); default the sum of
        ``test_counts``.
    train_counts : numpy.ndarray, optional
        Training events per cell; needed for RRI (``None`` without it).
    n_train_total : float, optional
        All training events; default the sum of ``train_counts``.  A total below the events
        in the cells is refused, as ``n_test_total`` is.

    Returns
    -------
    list of dict
        One ``{"area_fraction", "hit_rate", "pai", "pei", "rri"}`` per fraction; a value that
        is undefined (no test events, no training events in the flagged cells) is ``None``.

    Examples
    --------
    >>> rows = ranking_metrics(np.arange(4.0), np.ones(4), np.array([0, 0, 1, 3]), [0.25])
    >>> rows[0]["hit_rate"], rows[0]["pai"], rows[0]["pei"]
    (0.75, 3.0, 1.0)
    """
    score = _as_float("score", score)
    area = _as_float("area_km2", area_km2, score.size)
    test = _as_float("test_counts", test_counts, score.size)
    fr = np.asarray(area_fractions, dtype="float64").ravel()
    if fr.size == 0 or not (np.isfinite(fr).all() and (fr > 0).all() and (fr <= 1).all()):
        raise InputError(f"area_fractions must be in (0, 1], got {list(area_fractions)!r}")
    n2 = float(test.sum()) if n_test_total is None else float(n_test_total)
    if n2 < test.sum() - 1e-9:
        raise InputError(
            f"n_test_total ({n2!r}) is below the test events in the cells ({float(test.sum())!r})"
        )
    hits = _capture_at(score, area, test, fr)
    best = _capture_at(test / area, area, test, fr)
    rri: np.ndarray | None = None
    if train_counts is not None:
        train = _as_float("train_counts", train_counts, score.size)
        n1 = float(train.sum()) if n_train_total is None else float(n_train_total)
        if n1 < train.sum() - 1e-9:
            raise InputError(
                f"n_train_total ({n1!r}) is below the training events in the cells "
                f"({float(train.sum())!r})"
            )
        held = _capture_at(score, area, train, fr)
        with np.errstate(divide="ignore", invalid="ignore"):
            rri = np.where((held > 0) & (n2 > 0), (hits / n2) / (held / max(n1, 1e-300)), np.nan)
    rows: list[dict[str, float | None]] = []
    for i, a in enumerate(fr):
        hit = hits[i] / n2 if n2 > 0 else np.nan
        rows.append(
            {
                "area_fraction": float(a),
                "hit_rate": _clean(hit),
                "pai": _clean(hit / a),
                "pei": _clean(hits[i] / best[i]) if best[i] > 0 else None,
                "rri": None if rri is None else _clean(rri[i]),
            }
        )
    return rows


def hit_rates(
    score: np.ndarray,
    area_km2: np.ndarray,
    test_counts: np.ndarray,
    area_fractions: np.ndarray,
    n_test_total: float,
) -> np.ndarray:
    """Hit rate at many area shares at once (the full curve); NaN when there are no events.

    ``n_test_total`` counts every test event, those outside the cells included; a total
    below the events in the cells is refused (:class:`~pipeline.errors.InputError`), as
    :func:`ranking_metrics` refuses it.
    """
    in_cells = float(np.sum(test_counts))
    if n_test_total < in_cells - 1e-9:
        raise InputError(
            f"n_test_total ({n_test_total!r}) is below the test events in the cells ({in_cells!r})"
        )
    if n_test_total <= 0:
        return np.full(np.shape(area_fractions), np.nan)
    return _capture_at(score, area_km2, test_counts, area_fractions) / float(n_test_total)


def _clean(v: float) -> float | None:
    v = float(v)
    return round(v, 6) if np.isfinite(v) else None
