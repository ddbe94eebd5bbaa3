"""Emerging hot spots: Gi* per slice of a space-time cube, Mann-Kendall trends, ArcGIS categories.

The cube
    One row per cell, one column per period (week, month, quarter or year), the number of
    events (or any value) of the cell in the period; cells and periods without events hold 0.

Space-time Gi* (ArcGIS's *Emerging Hot Spot Analysis*)
    A bin ``(i, t)`` is compared with its space-time neighbourhood: the spatial neighbours of
    ``i`` (itself included) in slice ``t`` and in the ``time_step_window`` slices before it
    (fewer at the start of the cube).  The Gi* z-score is the formula of
    :func:`~pipeline.hotspots.gi_star_z` over all ``n = cells × periods`` bins, with the mean and
    variance of the whole cube and weights ``w_ij`` repeated in each slice of the window; it is
    computed as one sparse product with the window sums of the cube, never with an
    ``n × n`` matrix.  The p-values are two-sided normal p-values, corrected together over all
    bins of the cube by Benjamini-Hochberg unless ``fdr`` is false.  A bin is a *hot spot* when
    its (corrected) p is at most ``emerging.alpha`` and ``z > 0``, a *cold spot* when ``z < 0``.

Trend
    Mann-Kendall on each cell's series of Gi* z-scores (rounded to 1e-9 so that equal
    neighbourhoods tie exactly): ``S = Σ_{a<b} sign(z_b − z_a)``, variance
    ``(T(T−1)(2T+5) − Σ_g t_g(t_g−1)(2t_g+5)) / 18`` over groups of ``t_g`` tied values,
    ``Z = (S − sign S) / √var`` (continuity-corrected), two-sided p.  The trend is *up* or *down*
    when ``p ≤ emerging.trend_alpha``.  With ``time_step_window = w > 0`` consecutive z-scores
    share slices (bin ``t`` sums slices ``t − w .. t``), so even a cube of independent slices
    gives serially correlated z-scores, and the plain variance is too small: a trendless cube
    was called *up* or *down* in 23 % of its cells at ``w = 1`` and 34 % at ``w = 2`` for a
    nominal 10 % (``tests/test_stats_calibration.py``).  The variance is therefore multiplied
    by the ratio of ``Var S`` under that overlap to ``Var S`` under independence
    (:func:`window_variance_ratio`: exact for Gaussian scores at every length, summed over
    the gaps between the periods of two pairs), which restores the nominal rate; ``w = 0`` is
    unchanged.
    The trend is read from bins ``w .. T−1`` only: the cube's first ``w`` bins sum fewer
    slices (ArcGIS's "available time steps"), so even with no trend their z-scores are not
    distributed as the later ones -- an empty neighbourhood scores ``|z|`` about ``√(w+1)``
    times smaller in the first bin than later -- and Mann-Kendall, which assumes exchangeable
    scores, read that as a decline: on sparse trendless cubes (0.02-0.05 events per bin) 7 %
    of the tested cells were *down* and 1 % *up* at ``w = 1`` (``w = 0``: 4 % each).  Hot and
    cold bins, and the 90 % rule, still count every bin; a cube needs ``w + 2`` periods.

Categories (ArcGIS Pro, "How Emerging Hot Spot Analysis works"); ``T`` periods, ``H``/``C`` the
numbers of hot/cold bins of the cell, "90 %" means ``H ≥ 0.9 T``.  The family is that of the
final bin (hot family if it is hot, cold family if it is cold); a cell whose final bin is
neither can only be *historical* or *no pattern*.

    ``new hot spot``          the final bin is hot and is the cell's only significant bin (never
                              a hot -- nor a cold -- spot before).
    ``consecutive hot spot``  a single uninterrupted run of at least two hot bins ending with the
                              final bin, no significant bin before the run, ``H < 0.9 T``.
    ``intensifying hot spot`` ``H ≥ 0.9 T``, the final bin hot, and a significant upward trend
                              of z (clustering of high values growing stronger).
    ``persistent hot spot``   ``H ≥ 0.9 T``, the final bin hot, no significant trend.
    ``diminishing hot spot``  ``H ≥ 0.9 T``, the final bin hot, a significant downward trend.
    ``sporadic hot spot``     the final bin hot, ``H < 0.9 T``, hot bins before the final run
                              (an on-and-off hot spot), never a cold spot.
    ``oscillating hot spot``  the final bin hot, ``H < 0.9 T``, at least one cold bin before.
    ``historical hot spot``   the final bin not significant, ``H ≥ 0.9 T``.

The cold family mirrors each rule with cold bins, ``C``, and the trend reversed (an
*intensifying cold spot* has a significant downward trend of z).  ``no pattern detected``:
none of the above.  Where ArcGIS's text leaves room, the choices made are: *new* and
*consecutive* also require no earlier cold bin (such a cell is *oscillating*), as the R
package sfdep does; *persistent* requires the final bin to be hot (otherwise the cell is
*historical*).  Exactly one category per cell.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .. import grid
from ..errors import InputError
from ._gistar import (
    GI_BIN,
    GI_P_ADJUSTED,
    GI_Z,
    exact_tails_of_sums,
    fdr_bh,
    neighbour_side,
    require_cells_resolution,
    significance_bins,
    tail_side,
    z_from_sums,
)
from ._options import HotspotOptions, validate_options
from ._weights import CellWeights, weights_from_options

__all__ = [
    "CATEGORIES",
    "EMERGING_CATEGORY",
    "EmergingResult",
    "MannKendall",
    "SpaceTimeCube",
    "classify_emerging",
    "emerging_hotspots",
    "emerging_skipped",
    "emerging_summary",
    "mann_kendall",
    "space_time_cube",
    "space_time_z",
    "window_correlation",
    "window_variance_ratio",
]

EMERGING_CATEGORY = "emerging_category"
TREND = "trend"
TREND_Z = "trend_z"
TREND_P = "trend_p"
TREND_TAU = "trend_tau"
HOT_PERIODS = "hot_periods"
COLD_PERIODS = "cold_periods"
FINAL_Z = "final_gi_z"
FINAL_BIN = "final_gi_bin"

_KINDS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
#: Every category, hot family, cold family, then "no pattern detected" (codes 0..16).
CATEGORIES: tuple[str, ...] = (
    *(f"{k} hot spot" for k in _KINDS),
    *(f"{k} cold spot" for k in _KINDS),
    "no pattern detected",
)
_NO_PATTERN = len(CATEGORIES) - 1
_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q-DEC", "year": "Y-DEC"}


@dataclass(frozen=True)
class SpaceTimeCube:
    """Values per cell and period.

    Attributes
    ----------
    cells : numpy.ndarray of uint64
        Sorted unique cells (rows).
    periods : list of str
        Period labels, oldest first (columns), e.g. ``"2024-03"`` for months.
    values : numpy.ndarray of float64, shape (cells, periods)
        Event counts (or any values) per bin.
    final_days : tuple of int or None
        ``(days covered, days in the period)`` when the final period was still running at the
        cube's ``end`` (its counts are of those days only) and covers fewer days than every
        complete period before it; None when it is complete, no shorter than a complete one
        (30 days of a 31-day month among months of 28 to 31 days) or the end is not known.
    first_days : tuple of int or None
        ``(days covered, days in the period)`` when the data likely start within the first
        period, which then covers fewer days than every later complete period: from ``start``
        when it is given, else from the first event, when it comes later after the period's
        first day than any two event days are apart anywhere else in the cube (with events
        on at least :data:`MIN_EVENT_DAYS_FOR_START` days).  None otherwise.
    """

    cells: np.ndarray
    periods: list[str]
    values: np.ndarray
    final_days: tuple[int, int] | None = None
    first_days: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        cells = np.asarray(self.cells, dtype="uint64")
        values = np.asarray(self.values, dtype="float64")
        if values.shape != (cells.size, len(self.periods)):
            raise InputError(
                f"cube values have shape {values.shape!r}, expected"
                f" ({cells.size}, {len(self.periods)}) for its cells and periods"
            )
        if not np.isfinite(values).all():
            raise InputError("cube values must be finite")
        if cells.size > 1 and not (cells[1:] > cells[:-1]).all():
            raise InputError("cube cells must be sorted and unique")
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "values", values)


def space_time_cube(
    event_cells,
    event_times,
    cells=None,
    *,
    period: str = "month",
    start=None,
    end=None,
) -> SpaceTimeCube:
    """Count events per cell and period.

    Parameters
    ----------
    event_cells : array_like of uint64
        The cell of each event.
    event_times : array_like of datetime
        The time of each event (timezone-aware times are taken in UTC; naive ones as UTC).
    cells : array_like of uint64, optional
        The cells of the cube (the study area; events elsewhere are not counted).  Default:
        the cells with at least one event, as ArcGIS analyses "locations with data".
    period : {"week", "month", "quarter", "year"}
        Slice length (weeks end on Sunday).
    start, end : datetime-like, optional
        First and last period to include (the periods containing them); default: those of the
        first and last event.  Events outside are not counted.  A final period that is still
        running at ``end`` (``end`` before its last day) is counted as it stands and marked
        in ``final_days``; :func:`emerging_hotspots` leaves it out.  Likewise a first
        period the data start within (``start`` after its first day; without ``start``, a
        first event later than the data's gaps explain) is marked in ``first_days``.

    Returns
    -------
    SpaceTimeCube

    Raises
    ------
    InputError
        Unknown period, misaligned or missing times, no events, or event cells at another H3
        resolution than ``cells``.
    """
    if period not in _FREQ:
        raise InputError(f"period must be one of {sorted(_FREQ)!r}, got {period!r}")
    ev = grid.to_cells(event_cells)
    raw_times = np.asarray(event_times)
    if raw_times.dtype.kind in "iuf" and raw_times.size:
        # pandas reads numbers as nanoseconds since 1970: s or ms epochs become 1970 dates
        raise InputError(
            f"event_times are numbers ({raw_times.dtype}), not dates; convert them with "
            "pd.to_datetime(times, unit='s' or 'ms', utc=True)"
        )
    times = pd.DatetimeIndex(pd.to_datetime(event_times, utc=True))
    if times.size != ev.size:
        raise InputError(f"{times.size} event times for {ev.size} event cells")
    if times.isna().any():
        raise InputError(f"{int(times.isna().sum())} event time(s) are missing")
    if ev.size == 0:
        raise InputError("no events to build a space-time cube from")
    freq = _FREQ[period]
    p = times.tz_convert(None).to_period(freq)
    first = _period(start, freq) if start is not None else p.min()
    last = _period(end, freq) if end is not None else p.max()
    if last < first:
        raise InputError(f"end {end!r} lies before start {start!r}")
    index = pd.period_range(first, last, freq=freq)
    col = p.asi8 - first.ordinal
    cube_cells = np.unique(ev) if cells is None else np.unique(grid.to_cells(cells))
    # events at another resolution than the cells' fall in none of them: a cube of zeros
    require_cells_resolution(ev, cube_cells)
    row = np.searchsorted(cube_cells, ev)
    ok = (row < cube_cells.size) & (col >= 0) & (col < index.size)
    ok[ok] = cube_cells[row[ok]] == ev[ok]
    counts = np.zeros((cube_cells.size, index.size))
    np.add.at(counts, (row[ok], col[ok]), 1.0)
    final_days = None
    if end is not None and index.size:
        last_day = index[-1].end_time.normalize()
        end_day = _period(end, "D").start_time
        first_day = index[-1].start_time
        covered = (end_day - first_day).days + 1
        days = (last_day - first_day).days + 1
        # no more partial than a February among months (30 of 31 days): kept
        whole = index[:-1]
        shortest = int(((whole.end_time - whole.start_time).days + 1).min()) if whole.size else days
        if covered < min(days, shortest):
            final_days = (int(covered), int(days))
    # the data's start is the export's, not the cube cells': an event outside them (on land,
    # beyond a polygon area) opened the first period, so it counts for the start and gaps
    in_time = (col >= 0) & (col < index.size)
    first_days = _first_days(index, times[in_time], start, final_days is not None)
    return SpaceTimeCube(cube_cells, [str(x) for x in index], counts, final_days, first_days)


#: Days with events needed before a late first event is read as the data's start.
MIN_EVENT_DAYS_FOR_START = 10


def _first_days(index: pd.PeriodIndex, times: pd.DatetimeIndex, start, final_partial: bool):
    """``(days covered, days)`` of a first period the data start within, else None.

    The data's start is ``start`` when given; otherwise the first event's day when the
    wait from the period's first day to it is longer than every gap between consecutive
    event days after it: with complete coverage, the first period would have had its
    events as often as the rest of the data does.
    """
    complete = index[1:-1] if final_partial else index[1:]
    if complete.size == 0:
        return None
    first_day = index[0].start_time
    days = (index[0].end_time.normalize() - first_day).days + 1
    if start is not None:
        begin = _period(start, "D").start_time
    else:
        event_days = np.unique(times.tz_convert(None).to_numpy().astype("datetime64[D]"))
        if event_days.size < MIN_EVENT_DAYS_FOR_START:
            return None
        gaps = np.diff(event_days).astype("int64")
        begin = pd.Timestamp(event_days[0])
        if (begin - first_day).days <= int(gaps.max()):
            return None
    covered = days - (begin - first_day).days
    shortest = int(((complete.end_time - complete.start_time).days + 1).min())
    if covered < min(days, shortest):
        return (int(covered), int(days))
    return None


def _period(value, freq: str) -> pd.Period:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_period(freq)


class MannKendall(NamedTuple):
    """Mann-Kendall trend test results, one entry per series."""

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    tau: np.ndarray


def mann_kendall(series, continuity: bool = True, variance_ratio: float = 1.0) -> MannKendall:
    """Return the Mann-Kendall trend test of each row of ``series`` (vectorised over rows).

    Parameters
    ----------
    series : array_like of float, shape (rows, T)
        Time series, oldest first; ``T >= 2``.  NaN is a missing period: it is left out (the
        pairs it belongs to are not counted and ``n``, the periods with a value, replaces ``T``
        in the variance and in tau), never read as 0, as in Hirsch & Slack (1984) and
        pymannkendall.
    continuity : bool, default True
        Subtract ``sign(S)`` from ``S`` in ``Z`` (Kendall 1975; pymannkendall's default).
        False gives the p-value of ``scipy.stats.kendalltau(range(T), row)``.
    variance_ratio : float, default 1.0
        Multiply ``Var S`` by this: the ratio of its value for serially correlated series
        under no trend to that for independent values (:func:`window_variance_ratio` for the
        overlapping windows of the space-time Gi*).  1 for independent values.

    Returns
    -------
    MannKendall
        ``s`` (concordant minus discordant pairs), ``var_s`` (tie-corrected), ``z``, ``p``
        (two-sided normal) and ``tau`` (``S / (n(n−1)/2)``, Kendall's tau-a); ``z``, ``p`` and
        ``tau`` are NaN for a row with fewer than 2 values.
    """
    x = np.atleast_2d(np.asarray(series, dtype="float64"))
    rows, t = x.shape
    if t < 2:
        raise InputError(f"a trend needs at least 2 periods, got {t}")
    # concordant minus discordant pairs, counted as integers (a pair with a NaN is neither):
    # exactly the sum of the pairs' signs, without a sign array per lag
    s_pairs = np.zeros(rows, dtype="int64")
    for lag in range(1, t):
        step = x[:, lag:] - x[:, :-lag]
        s_pairs += (step > 0).sum(axis=1)
        s_pairs -= (step < 0).sum(axis=1)
    s = s_pairs.astype("float64")
    n = (~np.isnan(x)).sum(axis=1).astype("float64")
    ties = _tie_term(x)  # a NaN never equals anything: no tie group
    if not (np.isfinite(variance_ratio) and variance_ratio > 0):
        raise InputError(f"variance_ratio must be a positive number, got {variance_ratio!r}")
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0 * variance_ratio
    num = s - np.sign(s) if continuity else s
    ok = var_s > 0
    z = np.where(ok, num / np.sqrt(np.where(ok, var_s, 1.0)), 0.0)
    tested = n >= 2
    z = np.where(tested, z, np.nan)
    p = 2.0 * ndtr(-np.abs(z))
    pairs = np.where(tested, n * (n - 1) / 2.0, np.nan)
    return MannKendall(s, var_s, z, p, s / pairs)


#: Up to this many periods :func:`window_variance_ratio` is exact for partial windows (a sum
#: over all pairs of pairs, O(T⁴): 0.05 s at 64); full windows are exact for every length.
_EXACT_RATIO_PERIODS = 64


def window_correlation(periods: int, window: int, *, full_windows: bool = False) -> np.ndarray:
    """Return the correlation of the space-time Gi* scores of one cell under independent slices.

    Bin ``t`` sums the slices ``max(0, t − window) .. t``; two bins whose windows of ``m_a``
    and ``m_b`` slices share ``o`` slices have correlation ``o / √(m_a m_b)``.

    Parameters
    ----------
    periods : int
        Number of periods ``T``.
    window : int
        ``emerging.time_step_window``.
    full_windows : bool, default False
        Every bin sums ``window + 1`` slices (the bins after the cube's first ``window``, which
        the trend is tested on): the correlation of bins ``k`` apart is ``1 − k/(window+1)``.

    Returns
    -------
    numpy.ndarray, shape (T, T)
    """
    t = np.arange(int(periods))
    start = t - int(window) if full_windows else np.maximum(t - int(window), 0)
    lo = np.maximum(start[:, None], start[None, :])
    hi = np.minimum(t[:, None], t[None, :])
    shared = np.maximum(hi - lo + 1, 0)
    size = (t - start + 1).astype("float64")
    return shared / np.sqrt(size[:, None] * size[None, :])


def window_variance_ratio(periods: int, window: int, *, full_windows: bool = False) -> float:
    """Return ``Var S`` of Mann-Kendall over overlapping windows, relative to independent values.

    Under no trend the scores of one cell are correlated as :func:`window_correlation` says.
    For Gaussian scores ``E[sign(D_p) sign(D_q)] = (2/π) arcsin(corr(D_p, D_q))`` for the
    differences ``D_p = x_b − x_a`` of two pairs, so ``Var S`` is the sum of that over all
    pairs of pairs.

    With full windows (the scores the trend is tested on) the correlation of two scores
    depends only on how far apart they are, and is 0 beyond ``window``: a term depends only on
    the gaps between the (two to four) distinct periods of its two pairs, a gap longer than
    ``window`` acting as any other such gap.  The sum runs over those gaps (each up to
    ``window``, or "longer") with the number of placements of each as its weight -- exact for
    every ``T``, in ``O(window³)`` whatever ``T`` (0.2-0.3 s at the largest window, 120;
    about 1 ms up to 24; cached).  Hamed & Rao's (1998) approximation, used beyond 64
    periods before, was 4 % low at 100 periods and a window of 12, 10 % at 24 (16 % at 65
    periods): too many trends were called on long windows over long cubes.

    With partial windows (the cube's first bins, which sum fewer slices; no caller tests a
    trend on them) the sum runs over all pairs of pairs up to 64 periods (O(T⁴)); beyond,
    Hamed & Rao's ratio of full windows,
    ``1 + 2 / (T(T−1)(T−2)) Σ_k (T−k)(T−k−1)(T−k−2) ρ_s(k)`` with
    ``ρ_s(k) = (6/π) arcsin(ρ(k)/2)`` and ``ρ(k) = 1 − k/(w+1)``, stands in (at 66 periods
    0.7 % and 1.6 % below the exact partial-window ratio at windows 1 and 2).

    Parameters
    ----------
    periods : int
        Number of periods ``T``.
    window : int
        ``emerging.time_step_window`` (0: independent scores, ratio 1).
    full_windows : bool, default False
        Every score sums ``window + 1`` slices (:func:`window_correlation`), as the scores the
        trend is tested on do.

    Returns
    -------
    float
        At least 1.
    """
    t, w = int(periods), int(window)
    if w <= 0 or t < 3:
        return 1.0
    if full_windows:
        var_s = _full_window_var_s(t, w)
    elif t > _EXACT_RATIO_PERIODS:
        k = np.arange(1, min(w, t - 1) + 1, dtype="float64")
        rho_s = 6.0 / np.pi * np.arcsin((1.0 - k / (w + 1.0)) / 2.0)
        terms = (t - k) * (t - k - 1) * (t - k - 2) * rho_s
        return float(1.0 + 2.0 / (t * (t - 1) * (t - 2)) * terms.sum())
    else:
        var_s = _pairs_var_s(window_correlation(t, w, full_windows=False))
    return max(1.0, var_s / (t * (t - 1) * (2 * t + 5) / 18.0))


def _pairs_var_s(c: np.ndarray) -> float:
    """Return ``Var S`` of Gaussian scores of correlation ``c``: a sum over all pairs of pairs."""
    t = c.shape[0]
    a, b = np.triu_indices(t, 1)  # the pairs (a < b) of D_p = x_b − x_a
    ca, cb = c[:, a], c[:, b]
    sd = np.sqrt(2.0 - 2.0 * c[a, b])
    total = 0.0
    for p0 in range(0, a.size, 256):  # 256 pairs x all pairs at a time: a few MB
        p = slice(p0, p0 + 256)
        cov = cb[b[p]] - cb[a[p]] - ca[b[p]] + ca[a[p]]  # Cov(D_p, D_q)
        r = np.clip(cov / (sd[p, None] * sd[None, :]), -1.0, 1.0)
        # a pair with itself has correlation 1 exactly, which rounding would make 1 − 2e-16:
        # arcsin's infinite slope there turns that into 2e-8 per pair
        own = np.arange(r.shape[0])
        r[own, p0 + own] = 1.0
        total += float(np.arcsin(r).sum())
    return 2.0 / np.pi * total


@functools.lru_cache(maxsize=32)
def _full_window_var_s(t: int, w: int) -> float:
    """Return ``Var S`` of ``t`` Gaussian scores correlated ``max(0, 1 − k/(w+1))`` at lag k.

    Two pairs ``(a, b)`` and ``(c, d)`` cover ``n`` = 2, 3 or 4 distinct periods; the term of
    the pairs depends on which of them each of ``a, b, c, d`` is (a *pattern*) and on the
    ``n − 1`` gaps between consecutive ones, where every gap longer than ``w`` gives the same
    term (a correlation 0 across it).  With ``k`` such "far" gaps (taken at ``w + 1``) and
    ``m = t − Σ gaps`` the placements are ``C(m + k, k + 1)`` (``m`` start periods for exact
    gaps, summed over each far gap's excess).  ``n = 2`` is a pair with itself (term 1);
    ``(a, b)`` and ``(c, d)`` swapped give the same term (weight 2), and so do the four
    periods reversed in time for ``n = 4`` (gaps ``g1 ≤ g3``, weight 2 more where
    ``g1 < g3``).  Cached: a run asks for the same ratio more than once.
    """
    rho = np.clip(1.0 - np.arange(3 * w + 4) / (w + 1.0), 0.0, None)  # rho[lag]
    vals = np.arange(1, min(w, t - 1) + 1, dtype="int32")
    if w + 1 <= t - 1:
        vals = np.append(vals, np.int32(w + 1))  # the far gaps
    total = np.pi / 2.0 * (t * (t - 1) / 2.0)  # each pair with itself: arcsin(1)
    for n in (3, 4):
        grid = np.meshgrid(*[vals] * (n - 1), indexing="ij", sparse=True)
        span = grid[0]
        for g in grid[1:]:
            span = span + g
        placed = span < t  # m = t − Σ gaps > 0 placements
        if n == 4:  # a term over its four periods reversed is that of g1 and g3 swapped
            placed &= grid[0] <= grid[2]
        gaps = [vals[i] for i in np.nonzero(placed)]
        m = t - np.add.reduce(gaps).astype("float64")
        weight = 2.0 * m  # (a, b), (c, d) swapped
        if n == 4:
            weight[gaps[0] < gaps[2]] *= 2.0
        far = sum((g > w).astype("int8") for g in gaps)
        for j in (1, 2, 3):  # C(m + k, k + 1) = m (m + 1) .. (m + k) / (k + 1)!
            weight = np.where(far >= j, weight * (m + j) / (j + 1), weight)
        for k in range(0, weight.size, 1 << 15):  # blocks of 32768 gap sets: cache-sized
            block = slice(k, k + (1 << 15))
            r: dict[tuple[int, int], np.ndarray | float] = {(i, i): 1.0 for i in range(n)}
            for i in range(n):
                for j in range(i + 1, n):
                    r[i, j] = r[j, i] = rho[sum(g[block] for g in gaps[i:j])]
            for (a, b), (c, d) in _patterns(n):
                cov = r[b, d] - r[b, c] - r[a, d] + r[a, c]
                var = (2.0 - 2.0 * r[a, b]) * (2.0 - 2.0 * r[c, d])
                corr = np.clip(cov / np.sqrt(var), -1.0, 1.0)
                total += float(weight[block] @ np.arcsin(corr))
    return 2.0 / np.pi * total


def _patterns(n: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Return the unordered pairs of distinct pairs ``(a, b), (c, d)`` covering ``0 .. n−1``."""
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    return [(p, q) for k, p in enumerate(pairs) for q in pairs[k + 1 :] if len({*p, *q}) == n]


def _tie_term(x: np.ndarray) -> np.ndarray:
    """Return ``Σ_g t_g (t_g − 1)(2 t_g + 5)`` over the groups of equal values of each row."""
    rows, t = x.shape
    srt = np.sort(x, axis=1)
    new = np.ones((rows, t), dtype=bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    starts = np.flatnonzero(new.ravel())
    lengths = np.diff(np.append(starts, rows * t))
    owner = starts // t
    return np.bincount(owner, weights=lengths * (lengths - 1) * (2 * lengths + 5), minlength=rows)


def classify_emerging(
    hot: np.ndarray, cold: np.ndarray, trend_s: np.ndarray, trend_significant: np.ndarray
) -> np.ndarray:
    """Return the emerging hot-spot category code of each cell (an index into ``CATEGORIES``).

    Parameters
    ----------
    hot, cold : numpy.ndarray of bool, shape (cells, T)
        Significant hot / cold bins, oldest first.
    trend_s : numpy.ndarray of float
        Mann-Kendall ``S`` of each cell's z-scores (its sign is the trend's direction).
    trend_significant : numpy.ndarray of bool
        Whether that trend is significant.

    Returns
    -------
    numpy.ndarray of int8
        See the module docstring for the rules.
    """
    hot = np.asarray(hot, dtype=bool)
    cold = np.asarray(cold, dtype=bool)
    if (hot & cold).any():
        raise InputError("a bin cannot be both a hot and a cold spot")
    t = hot.shape[1]
    up = trend_significant & (trend_s > 0)
    down = trend_significant & (trend_s < 0)
    code = np.full(hot.shape[0], _NO_PATTERN, dtype="int8")
    for family, same, other, stronger, weaker in (
        (0, hot, cold, up, down),
        (len(_KINDS), cold, hot, down, up),
    ):
        n_same = same.sum(axis=1)
        n_other = other.sum(axis=1)
        last = same[:, -1]
        mostly = n_same >= 0.9 * t
        run = np.where(same.all(axis=1), t, np.argmax(~same[:, ::-1], axis=1))
        rules = [
            ("new", last & (n_same == 1) & (n_other == 0)),
            ("consecutive", last & ~mostly & (run >= 2) & (n_same == run) & (n_other == 0)),
            ("intensifying", last & mostly & stronger),
            ("persistent", last & mostly & ~stronger & ~weaker),
            ("diminishing", last & mostly & weaker),
            ("sporadic", last & ~mostly & (n_same > run) & (n_other == 0)),
            ("oscillating", last & ~mostly & (n_other > 0)),
            ("historical", ~last & ~other[:, -1] & mostly),
        ]
        for kind, rule in rules:
            code[rule] = family + _KINDS.index(kind)
    return code


@dataclass(frozen=True)
class EmergingResult:
    """Result of :func:`emerging_hotspots`.

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per cell, sorted by ``cell``: ``emerging_category`` (str), ``trend``
        (``"up"``, ``"down"`` or ``"none"``; missing, with ``trend_z``, ``trend_p`` and
        ``trend_tau``, where the neighbourhood has events in fewer than two periods),
        ``hot_periods``, ``cold_periods``, ``final_gi_z``, ``final_gi_bin``.
    bins : pandas.DataFrame or None
        With ``keep_bins``: one row per (cell, period): ``cell``, ``period``, ``value``,
        ``gi_z``, ``gi_p_adjusted``, ``gi_bin``.
    periods : list of str
        The cube's periods.
    p_value : str
        ``"exact"`` or ``"normal"``: the p-value the bins were classed on.
    left_out : str or None
        Why the cube's first or final period was left out (the data start within it, or it
        was still running), or None.
    empty_periods : tuple of str
        Periods with no event in any cell of the cube: read as zero events, not as missing
        data, and named in :func:`emerging_summary` (``empty_periods``) so a gap in the
        source is not taken for a quiet period unsaid.
    fdr_bins : int
        Bins in the Benjamini-Hochberg correction: a bin alone in its space-time
        neighbourhood (exact p = 1 by construction) is left out; 0 without the correction.
    """

    cells: pd.DataFrame
    bins: pd.DataFrame | None
    periods: list[str]
    #: The p-value the bins were classed on: "exact" or "normal" (see :func:`emerging_hotspots`).
    p_value: str = "normal"
    left_out: str | None = None
    empty_periods: tuple[str, ...] = ()
    fdr_bins: int = 0


def emerging_hotspots(
    cube: SpaceTimeCube,
    options: HotspotOptions | dict | None = None,
    *,
    weights: CellWeights | None = None,
    keep_bins: bool = False,
) -> EmergingResult:
    """Return the emerging hot-spot category of each cell of a space-time cube.

    Parameters
    ----------
    cube : SpaceTimeCube
        Counts (or values) per cell and period (:func:`space_time_cube`).
    options : HotspotOptions or dict, optional
        Spatial neighbourhood and weights, ``fdr``, ``alphas`` (for ``gi_bin``) and
        ``emerging`` (``time_step_window``, ``alpha``, ``trend_alpha``, ``min_periods``) and
        ``p_value``: with ``"exact"`` (the default) a bin is significant by the exact
        conditional-randomization p of its space-time Gi* (:func:`exact_p_of_sums` over the
        space-time neighbourhood, counts and binary weights; the normal p otherwise), as the
        Gi* hot spots are; the normal p of the z-scores (ArcGIS's analysis) counted 64,695 hot
        bins on the demo where the exact p counts 502 (0.8 s for its 1.5 M bins).  ``"normal"`` or ``"permutation"``: the
        normal p (no permutations in the cube).
    weights : CellWeights, optional
        Precomputed spatial weights over ``cube.cells``.
    keep_bins : bool, default False
        Also return the per-bin table (cells × periods rows).

    Returns
    -------
    EmergingResult
        A final period still running at the cube's end (``cube.final_days``) is left out and
        ``left_out`` says so: its bins hold the counts of a few days against whole periods,
        so every cell's final bin would read as a drop and no cell could be a new, consecutive,
        persistent or intensifying hot spot.  A first period the data start within
        (``cube.first_days``) is left out alike: it would read as a rise.

    Raises
    ------
    InputError
        Fewer periods than ``emerging.min_periods``, or weights over other cells.
    """
    opts = validate_options(options)
    em = opts.emerging
    cube, left_out = _complete_periods(cube, opts)
    n_cells, t = cube.values.shape
    short = emerging_skipped(cube, opts)
    if short is not None:
        raise InputError(short["skipped"])
    w = weights if weights is not None else weights_from_options(cube.cells, opts)
    if not np.array_equal(w.cells, cube.cells):
        raise InputError("weights were built on other cells than the cube's")
    z = space_time_z(w, cube.values, em.time_step_window)
    p = 2.0 * ndtr(-np.abs(z))
    used, side = "normal", z
    alone = np.zeros(z.shape, dtype=bool)
    if opts.p_value == "exact":
        exact = _space_time_exact_p(w, cube.values, em.time_step_window)
        if exact is not None:
            p, used = np.minimum(1.0, 2.0 * exact[0]).reshape(z.shape), "exact"
            side = exact[1].reshape(z.shape)  # the tail tested: the neighbours' side
            alone = exact[2].reshape(z.shape) == 0
    if opts.fdr and alone.any() and not alone.all():
        # A bin with no other bin in its space-time neighbourhood (a cell alone in its
        # neighbourhood: its first slice, or every slice at time_step_window 0) keeps its
        # own value under the exact p: p = 1 by construction, no test.  Left out of the
        # correction by the weights alone, as the Gi* hot spots leave out their lone cells.
        q = fdr_bh(np.where(alone, np.nan, p).ravel()).reshape(p.shape)
        p_used = np.where(alone, 1.0, q)
        fdr_bins = int(p.size - alone.sum())
    else:
        p_used = fdr_bh(p.ravel()).reshape(p.shape) if opts.fdr else p
        fdr_bins = int(p.size) if opts.fdr else 0
    sig = p_used <= em.alpha
    hot = sig & (side > 0)
    cold = sig & (side < 0)
    # The trend is read from the bins whose neighbourhood spans the whole window: the first
    # `window` bins sum fewer slices, so their z-scores are not distributed as the later ones
    # (an empty neighbourhood has a smaller |z| there), which Mann-Kendall reads as a trend:
    # sparse trendless cubes were 'down' in 7 % of cells and 'up' in 1 % at window 1.
    lead = em.time_step_window
    mk = mann_kendall(
        np.round(z[:, lead:], 9),
        variance_ratio=window_variance_ratio(t - lead, lead, full_windows=True),
    )
    # A cell whose neighbourhood has events in one period only has no trend to test: its
    # z-series is one step, and where that period is the cube's first (which the data's first
    # event opens) the step is there by construction: one seizure read as 'down' at p 0.09.
    testable = _event_periods(w, cube.values) >= MIN_TREND_PERIODS
    trend_sig = (mk.p <= em.trend_alpha) & testable
    code = classify_emerging(hot, cold, mk.s, trend_sig)
    final_bin, _ = significance_bins(side[:, -1], p_used[:, -1], opts.alphas, fdr=False)
    trend = np.where(trend_sig & (mk.s > 0), "up", np.where(trend_sig, "down", "none"))
    trend = trend.astype(object)
    trend[~testable] = None
    table = pd.DataFrame(
        {
            "cell": cube.cells,
            EMERGING_CATEGORY: np.asarray(CATEGORIES, dtype=object)[code],
            TREND: trend,
            TREND_Z: np.where(testable, mk.z, np.nan),
            TREND_P: np.where(testable, mk.p, np.nan),
            TREND_TAU: np.where(testable, mk.tau, np.nan),
            HOT_PERIODS: hot.sum(axis=1).astype("int32"),
            COLD_PERIODS: cold.sum(axis=1).astype("int32"),
            FINAL_Z: z[:, -1],
            FINAL_BIN: final_bin,
        }
    )
    bins = None
    if keep_bins:
        b, _ = significance_bins(side.ravel(), p_used.ravel(), opts.alphas, fdr=False)
        bins = pd.DataFrame(
            {
                "cell": np.repeat(cube.cells, t),
                "period": np.tile(np.asarray(cube.periods, dtype=object), n_cells),
                "value": cube.values.ravel(),
                GI_Z: z.ravel(),
                GI_P_ADJUSTED: p_used.ravel(),
                GI_BIN: b,
            }
        )
    empty = tuple(
        p for p, total in zip(cube.periods, cube.values.sum(axis=0), strict=True) if total == 0
    )
    return EmergingResult(table, bins, list(cube.periods), used, left_out, empty, fdr_bins)


#: Periods with an event in a cell's neighbourhood before its trend is tested.
MIN_TREND_PERIODS = 2

#: Bins with a whole time window needed for a trend (:func:`emerging_hotspots`).
MIN_TREND_BINS = 2


def _event_periods(weights: CellWeights, values: np.ndarray) -> np.ndarray:
    """Return, per cell, the periods with a non-zero value among its spatial neighbours."""
    near = _binary(weights.matrix) @ (np.asarray(values) != 0).astype("float64")
    return (near > 0).sum(axis=1)


def _complete_periods(
    cube: SpaceTimeCube, opts: HotspotOptions
) -> tuple[SpaceTimeCube, str | None]:
    """Return the cube without partial first and final periods, and the note saying so."""
    notes = []
    keep = slice(0, len(cube.periods))
    period = opts.emerging.period
    if cube.first_days is not None and len(cube.periods) > 1:
        covered, days = cube.first_days
        notes.append(
            f"the first {period} {cube.periods[0]} holds data for only its last {covered} of"
            f" {days} days (the data start within it): left out of the trend and categories (a"
            f" partial slice reads as a rise); its {cube.values[:, 0].sum():g} event(s) are in"
            " the Gi* hot spots"
        )
        keep = slice(1, keep.stop)
    if cube.final_days is not None and keep.stop > keep.start:
        covered, days = cube.final_days
        notes.append(
            f"the final {period} {cube.periods[-1]} was still running at the end of the data"
            f" ({covered} of {days} days): left out of the trend and categories (a partial slice"
            f" reads as a drop); its {cube.values[:, -1].sum():g} event(s) are in the Gi* hot"
            " spots"
        )
        keep = slice(keep.start, keep.stop - 1)
    if not notes:
        return cube, None
    return (
        SpaceTimeCube(cube.cells, cube.periods[keep], cube.values[:, keep]),
        "; ".join(notes),
    )


def space_time_z(weights: CellWeights, values: np.ndarray, window: int) -> np.ndarray:
    """Return the space-time Gi* z-score of each bin (see the module docstring).

    Parameters
    ----------
    weights : CellWeights
        Spatial weights (self included) over the cube's cells.
    values : numpy.ndarray, shape (cells, T)
        The cube.
    window : int
        Previous slices in the neighbourhood.

    Returns
    -------
    numpy.ndarray, shape (cells, T)
    """
    x = np.asarray(values, dtype="float64")
    n_cells, t = x.shape
    csum = np.cumsum(x, axis=1)
    windowed = csum.copy()
    if window + 1 < t:
        windowed[:, window + 1 :] -= csum[:, : t - window - 1]
    del csum
    slices = np.minimum(np.arange(t), window) + 1.0  # slices in each bin's window
    m = weights.matrix
    w_sum = np.asarray(m.sum(axis=1)).ravel()
    s1 = np.asarray(m.multiply(m).sum(axis=1)).ravel()
    lag = m @ windowed
    w_st = w_sum[:, None] * slices[None, :]
    s1_st = s1[:, None] * slices[None, :]
    n = n_cells * t
    flat = x.reshape(-1)
    return z_from_sums(lag.reshape(-1), flat, w_st.reshape(-1), s1_st.reshape(-1), n).reshape(
        n_cells, t
    )


def emerging_summary(result: EmergingResult, options: HotspotOptions | dict | None = None) -> dict:
    """Return a JSON-ready summary: cells per category, periods and the options (no NaN)."""
    opts = validate_options(options)
    counts = result.cells[EMERGING_CATEGORY].value_counts()
    return {
        "cells": int(len(result.cells)),
        "periods": len(result.periods),
        "first_period": result.periods[0] if result.periods else None,
        "last_period": result.periods[-1] if result.periods else None,
        "categories": {c: int(counts.get(c, 0)) for c in CATEGORIES},
        "period": opts.emerging.period,
        "time_step_window": int(opts.emerging.time_step_window),
        "alpha": float(opts.emerging.alpha),
        "trend_alpha": float(opts.emerging.trend_alpha),
        "fdr": bool(opts.fdr),
        # the bins in the correction: one alone in its space-time neighbourhood is no test
        # under the exact p (p = 1 by construction) and is left out (emerging_hotspots)
        "fdr_bins": int(result.fdr_bins),
        "p_value_used": result.p_value,
        "neighbourhood": dict([opts.neighbourhood]),
        "weights": opts.weights,
        "left_out": result.left_out,
        "empty_periods": _empty_note(result),
        "trend_not_tested": _untested(result),
        "trend_unreachable": _unreachable(result, opts),
    }


def smallest_trend_p(bins: int, window: int) -> float:
    """Return the smallest Mann-Kendall p any series of ``bins`` full-window bins can have.

    A series rising (or falling) in every bin, no ties, with the variance ratio of
    ``window`` (:func:`window_variance_ratio`): the trend is read from the bins after the
    cube's first ``window``, so ``T`` periods give ``T − window`` of them.
    """
    ratio = window_variance_ratio(bins, window, full_windows=True)
    return float(mann_kendall(np.arange(bins, dtype="float64")[None, :], variance_ratio=ratio).p[0])


def _unreachable(result: EmergingResult, opts: HotspotOptions) -> dict | None:
    """Say when no trend of the cube could be significant at ``trend_alpha``, else None.

    With few bins after the first ``time_step_window`` even a steady rise has a p above
    ``trend_alpha``: every trend is 'none' and no cell can be intensifying or diminishing
    (the 90 % cells are persistent or historical) -- by the cube's length, not the data.
    """
    em = opts.emerging
    bins = len(result.periods) - int(em.time_step_window)
    if TREND not in result.cells.columns or bins < MIN_TREND_BINS:
        return None
    smallest = smallest_trend_p(bins, int(em.time_step_window))
    if smallest <= em.trend_alpha:
        return None
    window = int(em.time_step_window)
    return {
        "bins": bins,
        "smallest_p": float(f"{smallest:.3g}"),
        "reason": f"{_trend_bins_words(bins, window)}, and even a series rising or falling in"
        f" every one of them has p {smallest:.2g} > trend_alpha {em.trend_alpha:g}: no trend"
        " can be significant, so every trend is 'none' and no cell can be intensifying or"
        " diminishing; "
        + (
            "a longer history or a shorter time_step_window gives the test power"
            if window
            else "only a longer history gives the test power"
        ),
    }


def _trend_bins_words(bins: int, window: int) -> str:
    """Say which of the cube's ``bins`` the trend is read from, for a ``time_step_window``.

    The first ``window`` bins sum fewer slices and are left out; with a window of 0 none is
    ("the bins after the first 0" said nothing a reader could use).
    """
    if window == 0:
        return (
            f"the trend is read from all {bins} bins (time_step_window 0: each bin's"
            " neighbourhood is its own slice)"
        )
    return (
        f"the trend is read from the {bins} bins after the first {_bins(window)} (time_step_window)"
    )


def _bins(n: int) -> str:
    """``"bin"`` or ``"<n> bins"``: the first ``n`` bins of the cube, in words."""
    return "bin" if n == 1 else f"{n} bins"


def _empty_note(result: EmergingResult) -> dict | None:
    """Return the periods without any event and the assumption made about them, or None."""
    if not result.empty_periods:
        return None
    return {
        "periods": list(result.empty_periods),
        "assumption": "no event in any cell: read as zero events everywhere, not as missing"
        " data; if the source had a gap then, its bins read as a drop (cold bins, a 'down'"
        " trend) -- leave such a period out of the data's range or fill the gap",
    }


def _untested(result: EmergingResult) -> dict | None:
    """Return how many cells have no trend tested and why, or None when every cell has one."""
    if TREND not in result.cells.columns:
        return None
    n = int(result.cells[TREND].isna().sum())
    if n == 0:
        return None
    return {
        "cells": n,
        "reason": f"events near the cell in fewer than {MIN_TREND_PERIODS} periods: its Gi*"
        " series is a single step (at the cube's start by construction when the data begin"
        " there), which no Mann-Kendall trend can be read from; trend and trend_p left empty",
    }


def emerging_skipped(
    cube: SpaceTimeCube, options: HotspotOptions | dict | None = None
) -> dict | None:
    """Return the summary of an emerging analysis the cube is too short for, else None.

    A run with less history than ``emerging.min_periods`` publishes the Gi* hot spots and this
    in place of :func:`emerging_summary`: ``skipped`` says why (the periods there are and
    those needed), the other keys are those of :func:`emerging_summary` with no category.

    Parameters
    ----------
    cube : SpaceTimeCube
        The space-time cube (:func:`space_time_cube`).
    options : HotspotOptions or dict, optional
        ``emerging.min_periods`` and ``emerging.period``.

    Returns
    -------
    dict or None
    """
    opts = validate_options(options)
    em = opts.emerging
    cube, left_out = _complete_periods(cube, opts)
    t = len(cube.periods)
    if t >= em.min_periods and t >= em.time_step_window + MIN_TREND_BINS:
        return None
    result = EmergingResult(
        pd.DataFrame({"cell": [], EMERGING_CATEGORY: []}),
        None,
        list(cube.periods),
        left_out=left_out,
    )
    return {
        **emerging_summary(result, opts),
        "cells": int(cube.cells.size),
        "skipped": f"the cube has {t} {em.period}(s) of history; the trend needs at least"
        f" {em.min_periods} (hotspots.emerging.min_periods)"
        + (
            ""
            if t >= em.time_step_window + MIN_TREND_BINS
            else f" and {em.time_step_window + MIN_TREND_BINS} for a time_step_window of"
            f" {em.time_step_window} ("
            + (
                f"a trend needs {MIN_TREND_BINS} bins"
                if em.time_step_window == 0
                else f"its trend is read from the bins after the first {_bins(em.time_step_window)},"
                " whose neighbourhoods span the whole window"
            )
            + ")"
        )
        + ": no emerging categories",
    }


def _space_time_exact_p(weights: CellWeights, values: np.ndarray, window: int):
    """Return the exact conditional-randomization p of each bin's space-time Gi* and its side.

    Returns (p, side, card) or None where the p is not exact; ``card`` is the number of the
    bin's other bins (0: alone, p = 1); ``side`` is +1/-1 as the p is the
    upper or the lower tail of the bin's neighbour sum (:func:`tail_side`; where the tails are
    equal, the side of the sum against its conditional mean).

    The space-time neighbourhood of a bin is its spatial neighbours (itself included) in its
    slice and the ``window`` slices before (:func:`space_time_z`); with binary weights its
    other bins number ``degree × slices − 1`` and sum to the windowed neighbour sum less the
    bin's own value (no cells × periods matrix is built).
    """
    m = weights.matrix
    if m.nnz and not np.all(m.data == m.data[0]):
        return None  # kernel weights: the sum is not a count of draws
    x = np.asarray(values, dtype="float64")
    t = x.shape[1]
    csum = np.cumsum(x, axis=1)
    windowed = csum.copy()
    if window + 1 < t:
        windowed[:, window + 1 :] -= csum[:, : t - window - 1]
    unit = _binary(m)
    lag = unit @ windowed  # sums over the space-time neighbourhood, the bin included
    slices = np.minimum(np.arange(t), window) + 1
    degree = np.asarray(unit.sum(axis=1)).ravel()
    card = degree[:, None].astype("int64") * slices[None, :] - 1
    sums = (lag - x).ravel()
    tails = exact_tails_of_sums(x.ravel(), card.ravel(), sums)
    if tails is None:
        return None
    side = tail_side(*tails, neighbour_side(x.ravel(), card.ravel(), sums))
    return np.minimum(*tails), side, card.ravel()


def _binary(matrix):
    """Return the weights' pattern with every weight 1 (binary weights may be stored scaled)."""
    from scipy import sparse

    out = sparse.csr_array(matrix, copy=True)
    out.data[:] = 1.0
    return out
