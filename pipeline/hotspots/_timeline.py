"""A timeline that tells the truth: period *m* sees only data up to *m*, on one colour scale.

The map's slider used to rescale each month on its own, so a cell's colour could not be
compared across months.  :func:`timeline_table` computes each period's value from the events up
to the end of that period only (the scoring function never receives a later event), and
classes every period with the same breaks, taken over all periods together.  The scoring
function decides what else it uses; when it can only use present-day data for a factor (no
history of tracks or rasters), it should say so in an extra column (e.g. ``present_data``),
which is passed through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import grid
from ..errors import InputError

__all__ = ["Timeline", "global_breaks", "timeline_summary", "timeline_table"]

PERIOD_CLASS = "class"

ScorePeriod = Callable[[pd.DataFrame, pd.Timestamp], "pd.DataFrame | pd.Series"]


@dataclass(frozen=True)
class Timeline:
    """Result of :func:`timeline_table`.

    Attributes
    ----------
    table : pandas.DataFrame
        Sorted by ``period`` then ``cell``: ``cell`` (uint64), ``period`` (label),
        ``<value>``, ``class`` (int8 index into the breaks' classes; -1 where the value is
        missing) and any extra column of the scoring function.
    breaks : list of float
        The class breaks shared by every period (``len(breaks) - 1`` classes; a class holds
        its lower break, the top class also its upper one).
    periods : list of str
        The period labels, oldest first.
    cutoffs : list of str
        The last instant (ISO 8601, UTC) whose events each period saw.
    """

    table: pd.DataFrame
    breaks: list[float]
    periods: list[str]
    cutoffs: list[str]


def global_breaks(values, classes: int = 5, scheme: str = "quantile") -> list[float]:
    """Return class breaks over all values pooled (one scale for every period).

    Parameters
    ----------
    values : array_like of float
        All periods' values (NaN ignored).
    classes : int
        Number of classes wanted; quantile breaks that coincide (many equal values) are merged,
        so fewer classes may result.
    scheme : {"quantile", "equal"}
        Quantiles of the pooled values, or equal intervals between their minimum and maximum.

    Returns
    -------
    list of float
        Increasing breaks, the minimum first and the maximum last.
    """
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
        raise InputError(f"classes must be an integer >= 1, got {classes!r}")
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if v.size == 0:
        return [0.0, 1.0]
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        return [lo, lo + 1.0]
    if scheme == "quantile":
        b = np.unique(np.quantile(v, np.linspace(0.0, 1.0, classes + 1)))
    elif scheme == "equal":
        b = np.linspace(lo, hi, classes + 1)
    else:
        raise InputError(f"scheme must be 'quantile' or 'equal', got {scheme!r}")
    return [float(x) for x in b]


def timeline_table(
    events: pd.DataFrame,
    periods,
    score_period: ScorePeriod,
    *,
    as_of=None,
    time_column: str = "time",
    value: str = "risk",
    breaks: int | Sequence[float] = 5,
    scheme: str = "quantile",
) -> Timeline:
    """Build the cell x period table where each period uses only data up to its end.

    Parameters
    ----------
    events : pandas.DataFrame
        The events, with a timezone-aware ``time_column``.
    periods : pandas.PeriodIndex or sequence of str
        The periods, e.g. ``pd.period_range(end="2026-06", periods=12, freq="M")`` or
        ``["2026-01", "2026-02"]`` (read as monthly periods); each is scored once, oldest
        first, whatever the order given.
    score_period : callable
        ``score_period(past_events, cutoff)`` returns the values of the period: a Series indexed
        by cell, or a DataFrame with ``cell`` and ``value`` (extra columns are kept).
        ``past_events`` holds only the events with time ``<= cutoff``.
    as_of : datetime-like, optional
        The run's reference time: a period still running at ``as_of`` is cut there (its events
        after ``as_of`` are not seen).
    time_column : str
        Column of the event times.
    value : str
        Name of the value column.
    breaks : int or sequence of float
        Number of classes of :func:`global_breaks` over all periods, or the breaks themselves
        (e.g. an earlier timeline's, to keep its scale): then the end classes are open, a
        value below the first break is in the bottom class and one above the last in the top.
    scheme : {"quantile", "equal"}
        Scheme of :func:`global_breaks`.

    Returns
    -------
    Timeline

    Raises
    ------
    InputError
        A missing time column, naive or missing times, no periods, a scoring result without
        ``cell`` or ``value``, with a cell twice or an infinite value, or bad breaks.
    """
    if time_column not in events.columns:
        raise InputError(
            f"events have no {time_column!r} column; they have {list(events.columns)!r}"
        )
    times = events[time_column]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise InputError(f"events.{time_column} must be timezone-aware (UTC), got {times.dtype}")
    untimed = int(times.isna().sum())
    if untimed:
        # no cutoff admits a missing time: such an event would vanish from every period
        raise InputError(
            f"events.{time_column} has {untimed:,} missing time(s) (NaT) that no period can"
            " see; reject them before the timeline"
        )
    # each period once, oldest first: the periods as given made a period's rows twice, and
    # labels out of order against the table's (sorted) rows
    index = _periods(periods).unique().sort_values()
    if index.size == 0:
        raise InputError("no periods for the timeline")
    limit = _utc(as_of) if as_of is not None else None
    frames, cutoffs = [], []
    for period in index:  # one scoring per period (a handful), each vectorised
        # the period's last nanosecond, as the times are (``Period.end_time`` stops at the
        # microsecond: a time in a month's last microsecond was the next month's, and the
        # back-test's origin at the next month's start saw it before it)
        cutoff = (period + 1).start_time.as_unit("ns").tz_localize("UTC") - pd.Timedelta(1, "ns")
        if limit is not None and limit < cutoff:
            cutoff = limit
        past = events[times <= cutoff]
        frame = _as_frame(score_period(past, cutoff), value)
        twice = frame["cell"].duplicated().to_numpy()
        if twice.any():
            raise InputError(
                f"score_period gave {int(twice.sum()):,} cell(s) more than one value in period"
                f" {str(period)!r}, e.g. {grid.cells_to_strings(frame['cell'][twice][:1])[0]!r}"
            )
        frame.insert(1, "period", str(period))
        frames.append(frame)
        cutoffs.append(cutoff.isoformat())
    table = pd.concat(frames, ignore_index=True)
    values = table[value].to_numpy(dtype="float64")
    infinite = np.isinf(values)
    if infinite.any():
        # an infinite score is a broken scoring function, not a missing value (class -1)
        raise InputError(
            f"score_period gave {int(infinite.sum()):,} infinite {value!r} value(s), e.g. in"
            f" period {table['period'][infinite].iloc[0]!r}; a missing value is NaN"
        )
    if isinstance(breaks, bool):
        raise InputError(f"breaks must be a number of classes or the breaks, got {breaks!r}")
    if isinstance(breaks, int):
        b = global_breaks(values, breaks, scheme)
    else:
        try:
            b = [float(x) for x in breaks]
        except (TypeError, ValueError):
            raise InputError(f"breaks must be numbers, got {breaks!r}") from None
        if len(b) < 2 or not all(np.isfinite(b)) or not (np.diff(b) > 0).all():
            raise InputError(f"breaks must be at least 2 increasing numbers, got {breaks!r}")
    cls = np.searchsorted(np.asarray(b[1:-1]), values, side="right").astype("int8")
    cls[~np.isfinite(values)] = -1
    table[PERIOD_CLASS] = cls
    table = table.sort_values(["period", "cell"], kind="stable", ignore_index=True)
    return Timeline(table, b, [str(p) for p in index], cutoffs)


def _periods(periods) -> pd.PeriodIndex:
    if isinstance(periods, pd.PeriodIndex):
        return periods
    periods = list(periods)
    if not periods:
        return pd.PeriodIndex([], freq="M")
    try:
        return pd.PeriodIndex(
            [pd.Period(p, freq="M") if isinstance(p, str) else p for p in periods]
        )
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"periods must be periods or 'YYYY-MM' labels, got {periods!r}: {exc}"
        ) from None


def _utc(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _period_cells(ids) -> np.ndarray:
    """Return score_period's cell ids as uint64 (hex strings too); positions are refused."""
    try:
        return grid.to_cells(ids)
    except InputError as exc:
        raise InputError(
            f"score_period must give its values by H3 cell (a Series indexed by cell, or a "
            f"'cell' column), not by position: {exc}"
        ) from None


def _as_frame(result, value: str) -> pd.DataFrame:
    if isinstance(result, pd.Series):
        frame = pd.DataFrame(
            {"cell": _period_cells(result.index.to_numpy()), value: result.to_numpy()}
        )
    elif isinstance(result, pd.DataFrame):
        missing = [c for c in ("cell", value) if c not in result.columns]
        if missing:
            raise InputError(
                f"score_period returned columns {list(result.columns)!r}, missing {missing!r}"
            )
        frame = result.reset_index(drop=True).copy()
        frame["cell"] = _period_cells(frame["cell"].to_numpy())
        frame = frame[["cell", *[c for c in frame.columns if c != "cell"]]]
    else:
        raise InputError(
            f"score_period must return a Series or DataFrame, got {type(result).__name__}"
        )
    frame[value] = frame[value].astype("float64")
    return frame


def timeline_summary(timeline: Timeline) -> dict:
    """Return a JSON-ready summary: periods, cutoffs, the shared breaks, cells per class."""
    t = timeline.table
    per = {
        str(p): [int((g[PERIOD_CLASS] == k).sum()) for k in range(len(timeline.breaks) - 1)]
        for p, g in t.groupby("period", sort=True)
    }
    return {
        "periods": timeline.periods,
        "cutoffs": timeline.cutoffs,
        "breaks": timeline.breaks,
        "scale": "one scale for all periods",
        "cells_per_class": per,
        "missing_values": int((t[PERIOD_CLASS] < 0).sum()),
    }
