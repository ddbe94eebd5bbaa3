"""The monthly risk behind the map's time slider, told truthfully.

Month *m* sees only the data up to the end of *m* (or ``as_of``, for a month still running):

* the **seizure density** is recomputed from the seizures up to then, decayed to then
  (:func:`pipeline.hotspots.timeline_table` hands the scoring only those seizures);
* the **transit factors** are recomputed from the positions timed up to then (the caller's
  ``tracks`` function; the run's is the back-test's pass at an origin, the month's end
  included); a month before every timed position has them missing in every cell (no AIS
  coverage, not 0), named in ``missing_factors``, and its weighted score rescales the weights
  of the factors it has, as the back-test's origins do; a month ``tracks`` gives nothing
  takes today's values and says so (``present_data``);
* **rasters, context layers and plug-ins** have no history: every month takes today's values,
  marked ``present_data`` as well - except the factors of a fixed geography (distances to
  the coast, ports, lanes: ``Factor.fixed_geography``), the same in every month, not marked.

All months are scored together (:func:`score_timeline`): each factor is normalised once over
every month's values, and the classes use one set of breaks (the score's fixed class breaks,
or breaks of all months' risk pooled: :func:`pipeline.hotspots.global_breaks` quantiles or
equal intervals, or natural breaks, as the map's own classes are made), so a colour means the
same level in every month.  :func:`timeline_factors` is the costly half (a density, maybe a transit pass,
per month) and depends on the seizures, the tracks and the density options only;
:func:`score_timeline` is cheap and belongs to the score stage, so a change of the score
weights does not recompute the densities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema as S
from .builtin_factors import density_on_cells
from .config import DensityConfig
from .errors import ConfigError
from .grid import cells_to_strings
from .score import FactorWeight, normalise

__all__ = [
    "MISSING_FACTORS",
    "PRESENT_DATA",
    "PRESENT_DATA_FACTORS",
    "RISK_DECIMALS",
    "TIMELINE_CLASS",
    "TimelineFactors",
    "month_periods",
    "on_risk_grid",
    "score_timeline",
    "timeline_breaks",
    "timeline_factors",
]

#: Columns of the cell x month table (``timeline.parquet``) besides cell, hex_id, period, risk.
TIMELINE_CLASS = "class"
PRESENT_DATA = "present_data"
PRESENT_DATA_FACTORS = "present_data_factors"
#: The factors of a month's own history that cover no cell that month (comma-separated):
#: the seizure density before the first seizure, the transit before the first timed position.
MISSING_FACTORS = "missing_factors"

DEFAULT_LABELS = ("very low", "low", "medium", "high", "very high")

#: ``tracks(cutoff, period_start)`` -> per-cell transit factors from the positions up to
#: ``cutoff`` (``cell``, ``<factor>``, ``<factor>__covered``), or None without that history.
TrackHistory = Callable[[pd.Timestamp, pd.Timestamp], "pd.DataFrame | None"]


@dataclass
class TimelineFactors:
    """The per-month factor values of :func:`timeline_factors` (a cacheable pair).

    Attributes
    ----------
    table : pandas.DataFrame
        ``cell``, ``period`` ('YYYY-MM'), ``seizure_density`` and the transit factors with
        history (``<factor>``, ``<factor>__covered``; NaN in a month without history).
    periods : pandas.DataFrame
        One row per month: ``period``, ``cutoff`` (ISO 8601, the last instant it saw) and
        ``history`` (comma-separated factors recomputed from their own past that month).
    """

    table: pd.DataFrame
    periods: pd.DataFrame


def month_periods(as_of: pd.Timestamp, months: int) -> pd.PeriodIndex:
    """Return the last ``months`` calendar months up to the month of ``as_of``, oldest first.

    The months are UTC months; a naive ``as_of`` is UTC (as for
    :func:`pipeline.hotspots.timeline_table`, which cuts the last month there).
    """
    ts = pd.Timestamp(as_of)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    end = ts.tz_localize(None).to_period("M")
    return pd.period_range(end=end, periods=months, freq="M")


def timeline_factors(
    seizures: pd.DataFrame,
    cells: np.ndarray,
    as_of: pd.Timestamp,
    months: int,
    density: DensityConfig,
    window_cells: np.ndarray | None,
    *,
    tracks: TrackHistory | None = None,
) -> TimelineFactors | None:
    """Compute the factors of each of the last ``months`` months from the data up to that month.

    Parameters
    ----------
    seizures : pandas.DataFrame
        The seizures (``time`` UTC, ``lon``, ``lat`` and the density's weight columns).
    cells : numpy.ndarray of uint64
        The scored cells.
    as_of : pandas.Timestamp
        The run's reference time; the last month is cut there.
    months : int
        Number of months (0: no timeline).
    density : DensityConfig
        The density's options.
    window_cells : numpy.ndarray, optional
        The density's edge-correction window.
    tracks : callable, optional
        ``tracks(cutoff, period_start)``: the transit factors from the positions up to
        ``cutoff`` (see :data:`TrackHistory`; missing, not covered, in a month before every
        timed position), or None without that history (the month takes today's values).

    Returns
    -------
    TimelineFactors or None
        None without months or seizures.
    """
    from .hotspots import timeline_table

    if months <= 0 or seizures.empty:
        return None
    cells = np.asarray(cells, dtype="uint64")
    history: dict[str, list[str]] = {}

    def score_period(past: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
        if past.empty:  # a month before the first record: no data, not a density of zero
            dens = np.full(cells.size, np.nan)
        else:
            dens, _ = density_on_cells(past, cells, cutoff, density, window_cells)
        frame = pd.DataFrame(
            {
                S.CELL: cells,
                S.SEIZURE_DENSITY: dens,
                S.SEIZURE_DENSITY + S.COVERED_SUFFIX: np.full(cells.size, not past.empty),
            }
        )
        label = cutoff.tz_localize(None).to_period("M").strftime("%Y-%m")
        start = pd.Period(label, freq="M").start_time.tz_localize("UTC")
        got = tracks(cutoff, start) if tracks is not None else None
        history[label] = [S.SEIZURE_DENSITY]
        if got is not None and len(got.columns) > 1:
            got = got.set_index(S.CELL).reindex(pd.Index(cells, name=S.CELL))
            for c in got.columns:
                frame[c] = got[c].to_numpy()
            history[label] += [c for c in got.columns if not c.endswith(S.COVERED_SUFFIX)]
        return frame

    tl = timeline_table(
        seizures,
        month_periods(as_of, months),
        score_period,
        as_of=as_of,
        time_column=S.TIME,
        value=S.SEIZURE_DENSITY,
    )
    table = tl.table.drop(columns=["class"])
    periods = pd.DataFrame(
        {
            S.PERIOD: tl.periods,
            "cutoff": tl.cutoffs,
            "history": [",".join(history[p]) for p in tl.periods],
        }
    )
    return TimelineFactors(table, periods)


#: The colour scales of the timeline (``timeline.scale``; ``map`` is resolved by the runner).
SCALES = ("fixed", "quantile", "natural", "equal")


#: Decimals of the timeline's risk (the table's and the slider's precision).
RISK_DECIMALS = 2


def on_risk_grid(breaks: Sequence[float]) -> list[float]:
    """Return ``breaks`` moved up to the risk's 0.01 grid, the classes they make unchanged.

    The timeline's risk is rounded to :data:`RISK_DECIMALS`; a pooled quantile break between
    two such values (``5.382``) classes them as the next grid value (``5.39``) does, but the
    slider would state it as ``5.382`` beside a cell reading ``5.38``, and a break of
    ``13.202`` reads ``13.2``, the value of a cell it leaves in the class below.  Breaks that
    would meet (no risk value between them) are merged.

    Examples
    --------
    >>> on_risk_grid([0.05, 1.36, 5.382000000000002, 13.201999999999998, 97.58])
    [0.05, 1.36, 5.39, 13.21, 97.58]
    """
    scale = 10.0**RISK_DECIMALS
    b = np.ceil(np.round(np.asarray(breaks, dtype="float64") * scale, 6)) / scale
    return [float(x) for x in np.unique(b)]


def timeline_breaks(risk, scale: str, class_breaks: Sequence[float], classes: int) -> list[float]:
    """Return the one set of class breaks of every month.

    Parameters
    ----------
    risk : array_like of float
        Every month's risk together.
    scale : {"fixed", "quantile", "natural", "equal"}
        ``fixed``: ``class_breaks`` (the score's); ``quantile`` or ``equal``:
        :func:`pipeline.hotspots.global_breaks` over all months' risk pooled; ``natural``: the
        map's natural breaks (Fisher-Jenks) of all months' risk pooled.
    class_breaks : sequence of float
        The score's class breaks.
    classes : int
        Number of classes wanted for the pooled scales (fewer come back where values tie).
    """
    from .hotspots import global_breaks

    if scale == "fixed":
        return [float(b) for b in class_breaks]
    if scale == "quantile":
        return _tied_ends_apart(risk, global_breaks(risk, classes, scale), classes)
    if scale == "equal":
        return global_breaks(risk, classes, scale)
    if scale == "natural":
        from .classes import risk_class_breaks

        return [float(b) for b in risk_class_breaks(risk, "natural", classes)]
    raise ConfigError(f"timeline.scale must be one of {sorted(SCALES)!r}, got {scale!r}")


def _tied_ends_apart(risk, breaks: list[float], classes: int) -> list[float]:
    """Return pooled quantile ``breaks`` whose tied lowest and highest blocks are classes apart.

    As the map's quantile classes (:func:`pipeline.classes.risk_class_breaks`): quantiles that
    fall in the block of the lowest risk merge there, and the first risk above the block
    starts a class of its own (it would otherwise share the lowest class: a fitted model's
    quiet cells, two thirds of the months' cells, put a risk of 75.9 in 'very low'); a
    quantile at the highest risk makes the top risk a class of its own, ending just past it.
    """
    v = np.asarray(risk, dtype="float64")
    v = v[np.isfinite(v)]
    if classes < 2 or v.size == 0 or v.min() == v.max():
        return breaks
    lo, hi = float(v.min()), float(v.max())
    inner = np.quantile(v, np.linspace(0.0, 1.0, classes + 1)[1:-1])
    starts = {float(b) for b in breaks[1:-1] if lo < b < hi}
    if (inner <= lo).any():
        starts.add(float(v[v > lo].min()))
    if (inner >= hi).any():
        starts.add(hi)
    end = hi + 10.0**-RISK_DECIMALS if starts and max(starts) >= hi else hi
    return [lo, *sorted(starts), end]


def _spread_labels(labels: Sequence[str], n: int) -> list[str]:
    """Return ``n`` of ``labels`` spread evenly, lowest and highest kept (as the map does).

    One class of several labels is every risk equal: :data:`pipeline.classes.ALL_EQUAL`, as
    on the map, not the lowest label.
    """
    if n == 1 and len(labels) > 1:
        from .classes import ALL_EQUAL

        return [ALL_EQUAL]
    if n >= len(labels):
        return list(labels)[:n]
    return [labels[i] for i in np.round(np.linspace(0, len(labels) - 1, n)).astype(int)]


def score_timeline(
    features: pd.DataFrame,
    factors: TimelineFactors | None,
    weights: Mapping[str, FactorWeight],
    *,
    scale: str = "fixed",
    observed: np.ndarray | None = None,
    **score_options,
) -> pd.DataFrame | None:
    """Score every month on one scale: the cell x month table of the slider and the export.

    Each month's factors are today's ``features`` with the month's own values put in (the
    density always, the transit factors where the month has their history); all months are
    scored at once with the score's formula, so each factor is normalised over all months
    together.

    Parameters
    ----------
    features : pandas.DataFrame
        Today's feature table (``cell``, factors, ``<factor>__covered``).
    factors : TimelineFactors or None
        :func:`timeline_factors`; None gives None.
    weights : mapping of str to FactorWeight
        The score's factors.
    scale : {"fixed", "quantile", "natural", "equal"}
        See :func:`timeline_breaks`; the labels of a pooled scale are ``class_labels`` spread
        over its classes.
    observed : numpy.ndarray of bool, optional
        Aligned with ``features``: the cells observed today (the score's ``observed``).  A
        cell unobserved today was unobserved in every month (the months hold less data):
        its risk is missing ("no data") in every month, as on today's map.
    **score_options
        ``normalisation``, ``cap_quantile``, ``class_breaks``, ``class_labels`` of the score.

    Returns
    -------
    pandas.DataFrame or None
        Sorted by ``period`` then ``cell``: ``cell`` (uint64), ``hex_id``, ``period``,
        ``risk`` (0-100, NaN where no factor covers the cell), ``class`` (int8 index into the
        breaks' classes, -1 where missing), ``risk_class`` (its label), ``present_data`` (the
        month uses today's values for some factor of the score), ``present_data_factors``
        (which, comma-separated) and ``missing_factors`` (the factors of the month's own
        history that cover no cell that month, comma-separated: no data then, not 0; the
        month's risk weighs the other factors).  ``attrs["breaks"]``/``attrs["labels"]`` hold the scale.
    """
    if factors is None or not len(factors.table):
        return None
    ws = {
        n: w if isinstance(w, FactorWeight) else FactorWeight(weight=float(w))
        for n, w in weights.items()
    }
    used = [n for n, w in ws.items() if w.weight > 0]
    missing = [n for n in used if n not in features.columns]
    if missing or not used:
        raise ConfigError(
            f"score factor(s) {missing!r} are not computed by this run"
            if missing
            else "the score needs at least one factor with weight > 0"
        )
    feats = features.sort_values(S.CELL, kind="stable").reset_index(drop=True)
    cells = feats[S.CELL].to_numpy(dtype="uint64")
    periods = factors.periods.set_index(S.PERIOD)
    months = sorted(factors.table[S.PERIOD].astype(str).unique())
    n_m, n_c = len(months), cells.size
    # (months x cells) values and coverage of every weighted factor: today's, or the month's own
    values = {n: np.tile(feats[n].to_numpy(dtype="float64"), (n_m, 1)) for n in used}
    covered = {
        n: np.tile(
            feats[n + S.COVERED_SUFFIX].to_numpy(dtype=bool)
            if n + S.COVERED_SUFFIX in feats.columns
            else np.ones(n_c, dtype=bool),
            (n_m, 1),
        )
        for n in used
    }
    present: dict[str, list[str]] = {}
    absent: dict[str, list[str]] = {}
    by_month = factors.table.groupby(S.PERIOD, sort=True)
    for k, period in enumerate(months):  # a few months, each a vectorised frame operation
        own = set(str(periods.loc[period, "history"]).split(","))
        m = by_month.get_group(period).set_index(S.CELL).reindex(pd.Index(cells, name=S.CELL))
        for n in used:
            if n in own and n in m.columns:
                values[n][k] = m[n].to_numpy(dtype="float64")
                col = n + S.COVERED_SUFFIX
                covered[n][k] = (
                    m[col].fillna(False).to_numpy(dtype=bool) if col in m.columns else True
                )
        present[period] = [n for n in used if n not in own]
        # no data that month in any cell (not 0): its weight went to the other factors
        absent[period] = [
            n for n in used if n in own and not (covered[n][k] & ~np.isnan(values[n][k])).any()
        ]
    risk = np.round(_pooled_risk(values, covered, ws, score_options), RISK_DECIMALS)
    if observed is not None:
        order = np.argsort(features[S.CELL].to_numpy(dtype="uint64"), kind="stable")
        seen = np.asarray(observed, dtype=bool)[order]  # as ``feats``, sorted by cell
        risk[:, ~seen] = np.nan
    risk = risk.ravel()
    class_breaks = score_options.get("class_breaks", (0, 20, 40, 60, 80, 100))
    class_labels = list(score_options.get("class_labels", DEFAULT_LABELS))
    raw_breaks = timeline_breaks(risk, scale, class_breaks, max(len(class_labels), 1))
    breaks = on_risk_grid(raw_breaks)
    if scale == "fixed" and len(breaks) < len(raw_breaks):
        raise ConfigError(
            f"class breaks {[float(b) for b in raw_breaks]!r} include breaks less than "
            f"{10.0**-RISK_DECIMALS:g} apart: the timeline keeps the risk to {RISK_DECIMALS} "
            "decimals, so they would class the same values; space the breaks further apart"
        )
    # classed as exported (the rounded risk), so a value has one class in the table
    cls = np.searchsorted(np.asarray(breaks[1:-1]), risk, side="right").astype("int8")
    cls[~np.isfinite(risk)] = -1
    names = class_labels if scale == "fixed" else _spread_labels(class_labels, len(breaks) - 1)
    if len(names) != len(breaks) - 1:
        raise ConfigError(
            f"need {len(breaks) - 1} class labels for the breaks {breaks!r}, got {names!r}"
        )
    per = np.repeat(np.arange(n_m), n_c)
    # few distinct texts per column: categoricals (dictionary-encoded in Parquet)
    out = pd.DataFrame(
        {
            S.CELL: np.tile(cells, n_m),
            S.HEX_ID: np.tile(cells_to_strings(cells), n_m),
            S.PERIOD: _categorical(months, per),
            S.RISK: risk,
            TIMELINE_CLASS: cls,
            S.RISK_CLASS: _categorical([*names, "no data"], np.where(cls < 0, len(names), cls)),
            PRESENT_DATA: np.asarray([bool(present[p]) for p in months])[per],
            PRESENT_DATA_FACTORS: _categorical([",".join(present[p]) for p in months], per),
            MISSING_FACTORS: _categorical([",".join(absent[p]) for p in months], per),
        }
    )
    out.attrs["breaks"] = [float(b) for b in breaks]
    out.attrs["labels"] = list(names)
    out.attrs["scale"] = scale
    return out


def _pooled_risk(
    values: dict[str, np.ndarray],
    covered: dict[str, np.ndarray],
    weights: Mapping[str, FactorWeight],
    score_options: Mapping,
) -> np.ndarray:
    """Return the weighted score of (months x cells) factors, each normalised over all months.

    The formula of :func:`pipeline.score.score_cells` (a factor missing at a cell drops out
    and the others' weights are rescaled), on arrays: no per-month table is built.
    """
    shape = next(iter(values.values())).shape
    # a factor is missing where it is not covered or has no value (as score_cells): its
    # weight drops out there, it does not count 0 points
    masks = {n: covered[n] & ~np.isnan(v) for n, v in values.items()}
    w_cell = np.zeros(shape)
    for n in values:
        w_cell = w_cell + np.where(masks[n], weights[n].weight, 0.0)
    safe = np.where(w_cell > 0, w_cell, 1.0)
    risk = np.zeros(shape)
    for n, v in values.items():
        mask = masks[n]
        try:
            norm = normalise(
                np.where(mask, v, np.nan).ravel(),
                method=score_options.get("normalisation", "cap"),
                cap_quantile=score_options.get("cap_quantile", 0.99),
                transform=weights[n].transform,
                name=n,
            ).reshape(shape)
        except ConfigError as exc:
            raise ConfigError(f"score factor {n!r}: {exc}") from None
        risk += np.where(mask, 100.0 * weights[n].weight / safe * np.nan_to_num(norm), 0.0)
    return np.where(w_cell > 0, np.clip(risk, 0.0, 100.0), np.nan)


def _categorical(texts: Sequence[str], codes: np.ndarray) -> pd.Categorical:
    """Return ``texts[codes]`` as a categorical (equal texts share one category)."""
    uniques, inverse = np.unique(np.asarray(texts, dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], [str(u) for u in uniques])
