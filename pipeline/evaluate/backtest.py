"""Rolling-origin back-test: does a ranking made at a date capture the events that follow.

For each origin ``t`` (placed by :class:`~pipeline.evaluate.options.BacktestOptions`):

1. **train** = events in ``[t - train_days, t)``, **test** = events in ``[t, t + horizon_days)``;
2. the **cell universe** is fixed from what is known before ``t``: the cells given by the caller
   (the area's cells), or, without them, every cell whose centre lies within ``support_km`` of an
   event before ``t`` (``universe_from: history``, the cells a run at ``t`` would show; or of a
   training event, ``train``) plus the cells holding such events, kept to the cells a map can
   show when the caller says which (``within``: the area's cells at sea).  A cell never enters the universe
   because a test event fell in it; a test event outside the universe is a miss for every
   method and is reported (``n_test_outside``);
3. every method (the caller's and the baselines) scores the universe from the training events
   alone, ``method(train, cells, t)``;
4. hit rate, PAI, PEI and RRI are measured at each area share (:mod:`.metrics`), plus the full
   capture curve on a fixed grid of area shares, and for methods that return a
   :class:`Forecast` with expected counts, the reliability of those counts (:mod:`.calibration`).

Across origins each method gets its mean, standard deviation (``ddof=1``), min, max and the
per-origin values of each metric, and, against each baseline and at each area share, the number
of origins where its hit rate is higher (win), equal within 1e-9 (tie) or lower (loss).
The result is plain JSON (:func:`~pipeline.evaluate._json.json_safe`): undefined values are
``null``, never NaN.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from .. import schema as S
from ..errors import ConfigError, InputError
from ..grid import (
    align_to_cells,
    cell_area_km2,
    cells_in,
    cells_resolutions,
    cells_to_strings,
    points_to_cells,
    to_cells,
)
from ._json import json_safe
from .baselines import Method, baseline_methods, cell_areas, events_to_counts
from .calibration import reliability
from .metrics import hit_rates, ranking_metrics
from .options import BacktestOptions

__all__ = [
    "CURVE_GRID",
    "Forecast",
    "backtest_origins",
    "cell_universe",
    "prepare_events",
    "rolling_back_test",
]

log = logging.getLogger(__name__)

#: Area shares at which full capture curves are reported (log-spaced 0.1 % to 100 %).
CURVE_GRID = tuple(float(v) for v in np.round(np.geomspace(0.001, 1.0, 31), 6))

METRICS = ("hit_rate", "pai", "pei", "rri")
_TIE_TOL = 1e-9


@dataclass(frozen=True)
class Forecast:
    """What a method may return instead of a bare score: the score plus expected counts.

    Attributes
    ----------
    score : numpy.ndarray
        Ranking score per cell (higher = riskier).  For a count model: expected events per km².
    expected : numpy.ndarray, optional
        Expected events per cell in the test window (enables the reliability curve).
    p_any : numpy.ndarray, optional
        Probability of at least one event per cell in the test window.
    info : dict, optional
        Anything JSON-able the method wants reported per origin (model chosen, fallback note).
    """

    score: np.ndarray
    expected: np.ndarray | None = None
    p_any: np.ndarray | None = None
    info: dict | None = None


def prepare_events(events: pd.DataFrame) -> pd.DataFrame:
    """Return ``time``/``lon``/``lat`` (plus other columns) with UTC times, sorted by time.

    Raises
    ------
    InputError
        A column is missing, or a time or coordinate is missing or invalid.
    """
    S.require_columns(events, [S.TIME, S.LON, S.LAT], "events")
    ev = events.copy()
    raw = ev[S.TIME]
    numeric = pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype)
    if numeric and raw.notna().any():  # an empty column is float64 too
        # pandas reads a number as nanoseconds since 1970: ms or s epochs become 1970 dates
        raise InputError(
            f"events column {S.TIME!r} holds numbers ({raw.dtype}), not dates; convert them "
            "with pd.to_datetime(events['time'], unit='s' or 'ms', utc=True)"
        )
    try:
        ev[S.TIME] = pd.to_datetime(ev[S.TIME], utc=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"events column {S.TIME!r} is not a date/time: {exc}") from None
    lon = pd.to_numeric(ev[S.LON], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(ev[S.LAT], errors="coerce").to_numpy(dtype="float64")
    bad = np.flatnonzero(
        ev[S.TIME].isna().to_numpy()
        | ~np.isfinite(lon)
        | ~np.isfinite(lat)
        | (np.abs(lat) > 90)
        | (np.abs(lon) > 180)
    )
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"events row {i}: time {ev[S.TIME].iloc[i]!r}, lon {float(lon[i])!r}, lat "
            f"{float(lat[i])!r}; expected a time and lon in [-180, 180], lat in [-90, 90] "
            f"({bad.size} such rows)"
        )
    ev[S.LON], ev[S.LAT] = lon, lat
    return ev.sort_values(S.TIME, kind="stable").reset_index(drop=True)


def backtest_origins(
    times: pd.Series, options: BacktestOptions
) -> tuple[list[pd.Timestamp], list[dict]]:
    """Place the origins and say which were skipped because the history is too short.

    Parameters
    ----------
    times : pandas.Series of datetime64[ns, UTC]
        Event times.
    options : BacktestOptions
        ``origins``, ``spacing_days``, ``horizon_days``, ``train_days``, ``end``.

    Returns
    -------
    origins : list of pandas.Timestamp
        Usable origins, ascending.
    skipped : list of dict
        ``{"origin", "reason"}`` for each origin left out.
    """
    if len(times) == 0:
        return [], []
    if options.end is not None:
        end = pd.Timestamp(options.end, tz="UTC")
    else:
        end = times.max().floor("D") + pd.Timedelta(days=1)
    horizon = pd.Timedelta(days=options.horizon_days)
    spacing = pd.Timedelta(days=options.spacing)
    first = times.min()
    candidates = [end - horizon - k * spacing for k in range(options.origins)][::-1]
    origins, skipped = [], []
    for t in candidates:
        start = t - pd.Timedelta(days=options.train_days)
        if options.require_full_history and start < first.floor("D"):
            skipped.append(
                {
                    "origin": t.isoformat(),
                    "reason": f"training window starts {start.date()} before the first event "
                    f"({first.date()})",
                }
            )
        else:
            origins.append(t)
    return origins, skipped


def cell_universe(train: pd.DataFrame, resolution: int, radius_km: float) -> np.ndarray:
    """Cells whose centre is within ``radius_km`` of a training event, plus the events' cells.

    Parameters
    ----------
    train : pandas.DataFrame
        Training events (``lon``, ``lat``).
    resolution : int
        H3 resolution.
    radius_km : float
        Great-circle radius (the support of a compact kernel of that bandwidth).

    Returns
    -------
    numpy.ndarray of uint64, sorted
    """
    from scipy.spatial import cKDTree

    from ..grid import cells_to_latlng, grid_disk_cells
    from ..sphere import EARTH_RADIUS_KM, arc_to_chord_km, lonlat_to_xyz

    if len(train) == 0:
        return np.empty(0, dtype="uint64")
    lon, lat = train[S.LON].to_numpy(), train[S.LAT].to_numpy()
    own = np.unique(points_to_cells(lon, lat, resolution))
    # Smallest centre spacing at this resolution (pentagons and high latitudes included).
    spacing = float(np.sqrt(cell_area_km2(own).min() * 2 / np.sqrt(3)))
    k = int(np.ceil(radius_km / (0.8 * spacing))) + 1
    cand = grid_disk_cells(own, k)
    c_lat, c_lon = cells_to_latlng(cand)
    tree = cKDTree(lonlat_to_xyz(lon, lat) * EARTH_RADIUS_KM)
    d, _ = tree.query(
        lonlat_to_xyz(c_lon, c_lat) * EARTH_RADIUS_KM,
        k=1,
        distance_upper_bound=arc_to_chord_km(radius_km),
    )
    near = np.isfinite(d) & (d < arc_to_chord_km(radius_km))
    return np.union1d(cand[near], own).astype("uint64")


CellsArg = np.ndarray | Callable[[pd.DataFrame, pd.Timestamp], np.ndarray] | None


def rolling_back_test(
    events: pd.DataFrame,
    cells: CellsArg = None,
    *,
    methods: Mapping[str, Method] | None = None,
    options: BacktestOptions | None = None,
    resolution: int | None = None,
    density_fn: Method | None = None,
    within: np.ndarray | None = None,
    **overrides,
) -> dict:
    """Score methods and baselines over rolling origins (module docstring).

    Parameters
    ----------
    events : pandas.DataFrame
        Dated events: ``time``, ``lon``, ``lat`` (:mod:`pipeline.schema`).
    cells : array_like, callable or None
        The universe: fixed cells (the area's cells, known before any test window: an array,
        list, set, Series or a table with a ``cell``/``hex_id`` column), a callable
        ``(train_events, origin) -> cells`` (cells known at the origin), or None for the cells
        within ``options.universe_km`` of an earlier event at ``resolution`` (see
        ``options.universe_from``).
    methods : mapping of str to callable, optional
        ``name -> method(train_events, cells, origin)`` returning a score per cell (higher =
        riskier) or a :class:`Forecast`; a pandas Series indexed by cell is matched to the
        cells by id (a cell it lacks is NaN: ranked last).  Names must not clash with the baselines'.
    options : BacktestOptions, optional
        Origins, windows, area shares, baselines; defaults as documented there.
    resolution : int, optional
        H3 resolution; required when ``cells`` is None or a callable returning no cells, taken
        from ``cells`` otherwise.  A callable's cells at every origin must be at one resolution,
        this one when given (the test events are counted in cells at it).
    density_fn : callable, optional
        The pipeline's density factor as a method; enables the ``density`` baseline.
    within : array_like of uint64, optional
        With ``cells`` None (given with ``cells``: refused): the cells a map can show (the
        area's cells, at sea where a land layer leaves out the others).  Each origin's universe keeps only those and the cells
        holding an event known then, as a run at the origin would: a land cell near past
        events is no cell of the map, and counting its area would move every share.
    **overrides
        Any :class:`BacktestOptions` field (``origins=16``, ``horizon_days=91``, ...), applied on
        top of ``options``.

    Returns
    -------
    dict
        JSON-safe: ``options``, ``origins`` (per origin: windows, event counts, universe size,
        per-method metric rows and curves, ``n_cells_unscored`` where a method gave NaN
        scores), ``skipped_origins``, ``summary`` (per method and area
        share: mean, sd, min, max and values of each metric; mean and sd curves),
        ``wins`` (per method and baseline: wins/ties/losses per area share), ``calibration``
        (methods with expected counts) and ``notes``; ``skipped`` (a reason) when no origin
        could be scored.

    Raises
    ------
    ConfigError
        An unknown or invalid option override.
    InputError
        Events or cells are invalid, or a method returns the wrong number of scores, an
        expected count below 0 or infinite, or a probability outside [0, 1].
    """
    opts = options or BacktestOptions()
    if overrides:
        from pydantic import ValidationError

        try:
            opts = BacktestOptions(**{**opts.model_dump(), **overrides})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(
                f"back-test option {'.'.join(map(str, first['loc'])) or '?'!r}: {first['msg']}"
                f" (got {first.get('input')!r}); valid options: {sorted(BacktestOptions.model_fields)!r}"
            ) from None
    if within is not None and cells is not None:  # it would be dropped without a word
        raise InputError(
            "within applies where the universe comes from each origin's history (cells "
            "None); with cells given, give only the cells a map can show as cells"
        )
    ev = prepare_events(events)
    user = dict(methods or {})
    base = baseline_methods(opts, density_fn)
    clash = sorted(set(user) & set(base))
    if clash:
        raise InputError(f"method names {clash!r} clash with baselines; rename them")
    all_methods: dict[str, Method] = {**user, **base}
    notes = []
    if "density" in opts.baselines and density_fn is None:
        notes.append("baseline 'density' left out: no density_fn was given")

    fixed: np.ndarray | None = None
    if cells is not None and not callable(cells):
        fixed = np.unique(_fixed_cells(cells))
        if fixed.size == 0:
            raise InputError("cells is empty; give the area's cells or None")
        res_found = np.unique(cells_resolutions(fixed))
        if res_found.size != 1:
            raise InputError(f"cells mix H3 resolutions {res_found.tolist()!r}; use one")
        resolution = int(res_found[0])
    elif cells is None and resolution is None:
        raise InputError("resolution is required when cells is None")

    origins, skipped = backtest_origins(ev[S.TIME], opts)
    times = ev[S.TIME]
    horizon = pd.Timedelta(days=opts.horizon_days)
    per_origin: list[dict] = []
    curves: dict[str, list[np.ndarray]] = {m: [] for m in all_methods}
    calib: dict[str, dict[str, list]] = {}
    no_counts: dict[str, int] = {}  # origins a method gave probabilities but no counts
    at_edge: dict[str, int] = {}  # per method: values past 0 or 1 by rounding, taken as the edge
    grid = np.asarray(CURVE_GRID)

    for t in origins:
        start = t - pd.Timedelta(days=opts.train_days)
        train = ev[(times >= start) & (times < t)].reset_index(drop=True)
        test = ev[(times >= t) & (times < t + horizon)].reset_index(drop=True)
        if len(train) < opts.min_train_events or len(test) < opts.min_test_events:
            skipped.append(
                {
                    "origin": t.isoformat(),
                    "reason": f"{len(train)} training and {len(test)} test events (need >= "
                    f"{opts.min_train_events} and >= {opts.min_test_events})",
                }
            )
            continue
        if fixed is not None:
            universe = fixed
        elif callable(cells):
            universe = np.unique(to_cells(np.asarray(cells(train, t))))
            # the test events are put in cells at one resolution: cells at another hold none
            # of them, and every hit rate would be a quiet 0
            got = np.unique(cells_resolutions(universe)) if universe.size else np.empty(0)
            if got.size > 1 or (got.size and resolution is not None and got[0] != resolution):
                raise InputError(
                    f"cells(train, {t.date()}) returned cells at H3 resolution(s) "
                    f"{got.tolist()!r}: "
                    + (
                        f"the events are counted at resolution {resolution!r}, return its cells"
                        if resolution is not None and got.size == 1
                        else "return the cells at one resolution"
                    )
                )
        else:
            assert resolution is not None
            known = train if opts.universe_from == "train" else ev[times < t]
            universe = cell_universe(known, resolution, opts.universe_km)
            if within is not None:
                held = points_to_cells(known[S.LON].to_numpy(), known[S.LAT].to_numpy(), resolution)
                universe = universe[cells_in(universe, within) | cells_in(universe, held)]
        if universe.size == 0:
            skipped.append({"origin": t.isoformat(), "reason": "the cell universe is empty"})
            continue
        if resolution is None:  # cells given at each origin: every origin at their resolution
            resolution = int(cells_resolutions(universe[:1])[0])
        res = resolution
        area = cell_areas(universe)
        test_cells = points_to_cells(test[S.LON].to_numpy(), test[S.LAT].to_numpy(), res)
        test_counts = events_to_counts(test_cells, universe)
        train_cells = points_to_cells(train[S.LON].to_numpy(), train[S.LAT].to_numpy(), res)
        train_counts = events_to_counts(train_cells, universe)
        n_test = len(test)
        row: dict = {
            "origin": t.isoformat(),
            "train_start": start.isoformat(),
            "test_end": (t + horizon).isoformat(),
            "n_train": len(train),
            "n_test": n_test,
            "n_test_in_universe": int(test_counts.sum()),
            "n_test_outside": int(n_test - test_counts.sum()),
            "n_cells": int(universe.size),
            "area_km2": float(area.sum()),
            "methods": {},
        }
        for name, fn in all_methods.items():
            out = fn(train, universe, t)
            fc = out if isinstance(out, Forecast) else Forecast(score=cast(np.ndarray, out))
            what = f"method {name!r}"
            fc = Forecast(
                score=align_to_cells(fc.score, universe, what),
                expected=align_to_cells(fc.expected, universe, what),
                p_any=align_to_cells(fc.p_any, universe, what),
                info=fc.info,
            )
            try:
                score = np.asarray(fc.score, dtype="float64").ravel()
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"method {name!r} returned scores that are not numbers: {exc}"
                ) from None
            if score.size != universe.size:
                raise InputError(
                    f"method {name!r} returned {score.size} scores for {universe.size} cells"
                )
            metrics = ranking_metrics(
                score,
                area,
                test_counts,
                opts.area_fractions,
                n_test_total=n_test,
                train_counts=train_counts,
                n_train_total=len(train),
            )
            curve = hit_rates(score, area, test_counts, grid, n_test)
            curves[name].append(curve)
            entry: dict = {"metrics": metrics, "curve": curve}
            unscored = int(np.isnan(score).sum())
            if unscored:
                entry["n_cells_unscored"] = unscored
            if fc.info:
                entry["info"] = fc.info
            checked: dict[str, np.ndarray | None] = {}
            for what, arr, top, rule in (
                ("expected", fc.expected, np.inf, "a finite count >= 0"),
                ("p_any", fc.p_any, 1.0, "a probability in [0, 1]"),
            ):
                if arr is not None and np.asarray(arr).size != universe.size:
                    raise InputError(
                        f"method {name!r} returned {np.asarray(arr).size} {what} values for "
                        f"{universe.size} cells"
                    )
                checked[what] = None
                if arr is None:
                    continue
                # NaN is a cell without a prediction; a count below 0 or a probability above
                # 1 is no prediction at all, and entered the reliability and Brier quietly.
                # Floating-point noise across an edge (a kernel sum's -1e-17, a renormalised
                # probability's 1 + 1e-16) is the edge: refused, it ended the run's back-test
                values = np.asarray(arr, dtype="float64").ravel()
                values, n_edge = _snap_to_edges(values, top)
                if n_edge:
                    at_edge[name] = at_edge.get(name, 0) + n_edge
                checked[what] = values
                with np.errstate(invalid="ignore"):
                    bad = np.flatnonzero((values < 0) | (values > top) | np.isposinf(values))
                if bad.size:
                    i = int(bad[0])
                    raise InputError(
                        f"method {name!r} returned {bad.size} {what} value(s) that are not "
                        f"{rule} (NaN: no prediction) at origin {t.date()}, e.g. "
                        f"{float(values[i])!r} in cell "
                        f"{str(cells_to_strings(universe[i : i + 1])[0])!r}"
                    )
            fc = Forecast(fc.score, checked["expected"], checked["p_any"], fc.info)
            if fc.expected is not None or fc.p_any is not None:
                # probabilities without expected counts have a reliability too (its counts'
                # part then holds every cell as without a prediction)
                c = calib.setdefault(name, {"expected": [], "observed": [], "p_any": []})
                no_counts[name] = no_counts.get(name, 0) + int(fc.expected is None)
                c["expected"].append(
                    np.full(len(test_counts), np.nan)
                    if fc.expected is None
                    else np.asarray(fc.expected, dtype="float64")
                )
                c["observed"].append(test_counts)
                # one entry an origin, None without: the probabilities stay with their origin's
                # observations when a method gives them at some origins only
                c["p_any"].append(
                    None if fc.p_any is None else np.asarray(fc.p_any, dtype="float64")
                )
                if fc.expected is not None:
                    entry["expected_total"] = float(np.sum(fc.expected))
            row["methods"][name] = entry
        per_origin.append(row)

    result: dict = {
        "options": opts.model_dump(mode="json"),
        "resolution": resolution,
        "universe": "fixed cells"
        if fixed is not None
        else "cells given at each origin"
        if callable(cells)
        else f"cells within {opts.universe_km:g} km of an event "
        + ("before the origin" if opts.universe_from == "history" else "of the training window"),
        "methods": list(all_methods),
        "baselines": list(base),
        "curve_area_fractions": list(CURVE_GRID),
        "origins": per_origin,
        "skipped_origins": skipped,
        "notes": notes,
    }
    if not per_origin:
        result["skipped"] = (
            f"no origin could be scored ({len(skipped)} skipped; first reason: "
            f"{skipped[0]['reason'] if skipped else 'no events'})"
        )
        return json_safe(result)
    if len(per_origin) < 3:
        result["notes"].append(
            f"only {len(per_origin)} origin(s) scored: means and wins are not reliable"
        )
    result["summary"] = _summary(per_origin, curves, opts)
    result["wins"] = _wins(per_origin, list(all_methods), list(base), opts)
    result["calibration"] = {
        name: reliability(
            c["expected"],
            c["observed"],
            c["p_any"] if any(p is not None for p in c["p_any"]) else None,
        )
        for name, c in calib.items()
    }
    for name in all_methods:
        if at_edge.get(name):
            result["notes"].append(
                f"method {name!r} gave {at_edge[name]} expected count(s) or probabilities past 0 "
                f"or 1 by floating-point rounding (within {_EDGE_ROUNDING:g} of the value's scale):"
                " taken as the edge"
            )
        # missing is not a low score: say which methods left cells unscored, and where
        n_un = [o["methods"][name].get("n_cells_unscored", 0) for o in per_origin]
        if any(n_un):
            result["notes"].append(
                f"method {name!r} gave no score (NaN) to {sum(n_un)} cell(s) over "
                f"{sum(map(bool, n_un))} origin(s): they rank last, flagged after every "
                "scored cell"
            )
        cal = result["calibration"].get(name, {})
        k = cal.get("counts", {}).get("cells_without_prediction")
        without = no_counts.get(name, 0)
        if without and without == len(calib[name]["expected"]):
            result["notes"].append(
                f"method {name!r} gave probabilities of an event but no expected counts: its "
                "reliability of counts is empty, its probabilities and Brier score are scored"
            )
        elif without:
            result["notes"].append(
                f"method {name!r} gave no expected counts at {without} origin(s) (probabilities"
                f" only): their cells and any NaN count, {k} cell(s) in all, left out of its"
                " reliability"
            )
        elif k:
            result["notes"].append(
                f"method {name!r} expected no count (NaN) in {k} cell(s) over the origins: "
                "left out of its reliability"
            )
        k = cal.get("p_at_least_one", {}).get("cells_without_prediction")
        if k:
            result["notes"].append(
                f"method {name!r} gave no probability of an event (NaN or none) in {k} cell(s) "
                "over the origins: left out of its p_at_least_one and Brier score"
            )
    return json_safe(result)


#: How far past 0 (or 1) a forecast's value is floating-point rounding, relative to its scale
#: (1 for a probability, the largest finite count for expected counts): a double's relative
#: precision is 2.2e-16, a kernel sum of thousands of terms loses a few digits more.
_EDGE_ROUNDING = 1e-9


def _snap_to_edges(values: np.ndarray, top: float) -> tuple[np.ndarray, int]:
    """Return ``values`` with rounding noise past 0 or ``top`` set to the edge, and how many.

    The noise is within :data:`_EDGE_ROUNDING` of the values' scale (``top`` when finite, else
    the largest finite absolute value, at least 1); a value farther out is left for the caller
    to refuse, and NaN stays NaN.
    """
    finite = np.isfinite(values)
    if np.isfinite(top):
        scale = top
    else:
        scale = max(1.0, float(np.abs(values[finite]).max())) if finite.any() else 1.0
    tol = _EDGE_ROUNDING * scale
    with np.errstate(invalid="ignore"):
        low = (values < 0) & (values >= -tol)
        high = (values > top) & (values <= top + tol)
    n = int(low.sum() + high.sum())
    if not n:
        return values, 0
    out = values.copy()
    out[low], out[high] = 0.0, top
    return out, n


def _fixed_cells(cells) -> np.ndarray:
    """Return the caller's fixed universe as uint64 ids, from any container of cell ids.

    A table gives its ``cell`` (else ``hex_id``) column; a set, Series or Index its items.
    """
    if isinstance(cells, pd.DataFrame):
        column = next((c for c in (S.CELL, S.HEX_ID) if c in cells.columns), None)
        if column is None:
            raise InputError(
                f"cells is a table without a {S.CELL!r} or {S.HEX_ID!r} column (it has "
                f"{list(map(str, cells.columns))!r}); pass the column of cell ids"
            )
        cells = cells[column]
    if isinstance(cells, set | frozenset):
        cells = sorted(cells)
    try:
        return to_cells(np.asarray(cells))
    except InputError as exc:
        raise InputError(
            f"cells must be H3 ids, a callable (train_events, origin) -> cells, or None: {exc}"
        ) from None


def _values(per_origin: list[dict], method: str, metric: str, i: int) -> np.ndarray:
    return np.array(
        [
            np.nan if (v := o["methods"][method]["metrics"][i][metric]) is None else v
            for o in per_origin
        ],
        dtype="float64",
    )


def _stats(v: np.ndarray) -> dict:
    ok = v[np.isfinite(v)]
    return {
        "mean": float(ok.mean()) if ok.size else None,
        "sd": float(ok.std(ddof=1)) if ok.size > 1 else None,
        "min": float(ok.min()) if ok.size else None,
        "max": float(ok.max()) if ok.size else None,
        "n": int(ok.size),
        "values": v.tolist(),
    }


def _summary(per_origin, curves, opts) -> dict:
    out = {}
    for name, cs in curves.items():
        at = []
        for i, a in enumerate(opts.area_fractions):
            at.append(
                {
                    "area_fraction": a,
                    **{m: _stats(_values(per_origin, name, m, i)) for m in METRICS},
                }
            )
        stack = np.vstack(cs)
        with np.errstate(invalid="ignore"):
            sd = stack.std(axis=0, ddof=1) if len(cs) > 1 else np.full(stack.shape[1], np.nan)
            out[name] = {
                "at": at,
                "curve": {"mean": np.nanmean(stack, axis=0), "sd": sd},
            }
    return out


def _wins(per_origin, names, baselines, opts) -> dict:
    out: dict = {}
    for name in names:
        out[name] = {}
        for b in baselines:
            if b == name:
                continue
            rows = []
            for i, a in enumerate(opts.area_fractions):
                d = _values(per_origin, name, "hit_rate", i) - _values(per_origin, b, "hit_rate", i)
                d = d[np.isfinite(d)]
                rows.append(
                    {
                        "area_fraction": a,
                        "wins": int((d > _TIE_TOL).sum()),
                        "ties": int((np.abs(d) <= _TIE_TOL).sum()),
                        "losses": int((d < -_TIE_TOL).sum()),
                    }
                )
            out[name][b] = rows
    return out
