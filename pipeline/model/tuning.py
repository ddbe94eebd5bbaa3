"""Parameters chosen by evidence: ``bandwidth_km: auto`` and ``half_life_days: auto``.

Every (bandwidth, half-life) pair of a grid is a kernel-density method (the configured kernel,
exponential decay with that half-life relative to each origin, ``None`` = no decay), and all of
them run through one rolling-origin back-test (:func:`pipeline.evaluate.rolling_back_test`,
same origins, windows and cell universe).  The criterion is the mean hit rate over the origins
and the criterion's area shares (default: those of the back-test options).  The pair with the
highest criterion wins; a pair within ``tolerance`` of the best counts as tied, and among ties
the smoothest wins (largest bandwidth, then longest half-life), because the evidence does not
prefer the rougher one.  The whole table is reported, so the choice can be checked.

The run's back-test must not score the parameters on the origins that chose them (an
in-sample choice makes the density's hit rates optimistic): :func:`density_parameters_at`
gives, for each of its origins, the pair this selection makes from the origins whose test
windows had ended by then only (nested rolling origins), from the per-origin criteria the
selection keeps (``by_origin``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import schema as S
from ..errors import ConfigError, InputError
from ..evaluate.backtest import CellsArg, rolling_back_test
from ..evaluate.options import BacktestOptions

__all__ = ["density_parameters_at", "select_density_parameters"]


def _kde_method(bandwidth_km: float, half_life_days: float | None, kernel: str):
    from ..density import kernel_density

    def method(train: pd.DataFrame, cells: np.ndarray, origin: pd.Timestamp) -> np.ndarray:
        if len(train) == 0:
            return np.zeros(len(cells))
        w = None
        if half_life_days is not None:
            age = (origin - train[S.TIME]).dt.total_seconds().to_numpy() / 86400.0
            w = 0.5 ** (np.maximum(age, 0.0) / half_life_days)
        return kernel_density(
            (train[S.LON].to_numpy(), train[S.LAT].to_numpy()),
            cells,
            bandwidth_km=bandwidth_km,
            kernel=kernel,
            weights=w,
        )

    return method


def select_density_parameters(
    events: pd.DataFrame,
    cells: CellsArg = None,
    *,
    resolution: int | None = None,
    bandwidths_km: Sequence[float] = (10.0, 25.0, 50.0, 100.0),
    half_lives_days: Sequence[float | None] = (None, 90.0, 180.0, 365.0, 730.0),
    kernel: str = "quartic",
    options: BacktestOptions | None = None,
    area_fractions: Sequence[float] | None = None,
    tolerance: float = 0.0,
    within: np.ndarray | None = None,
) -> dict:
    """Pick the density's bandwidth and half-life by the rolling back-test (module docstring).

    Parameters
    ----------
    events : pandas.DataFrame
        ``time``, ``lon``, ``lat``.
    cells, resolution, within
        The universe, as for :func:`~pipeline.evaluate.rolling_back_test`.
    bandwidths_km : float or sequence of float
        Candidate bandwidths (a single value fixes it).
    half_lives_days : float, None or sequence of float or None
        Candidate half-lives; ``None`` = no decay (a single value fixes it).
    kernel : str, default "quartic"
        Kernel of the density.
    options : BacktestOptions, optional
        Origins and windows; its baselines are not run.
    area_fractions : sequence of float, optional
        Shares of area of the criterion; default ``options.area_fractions``.
    tolerance : float, default 0
        Criterion differences up to this count as ties (then the smoother pair wins).

    Returns
    -------
    dict
        ``bandwidth_km``, ``half_life_days``, ``criterion`` (in words), ``best`` (its value),
        ``origins`` (number scored), ``table`` (every pair with its criterion and per-share mean
        hit rates, best first), ``why``.

    Raises
    ------
    ConfigError
        An empty or invalid grid.
    InputError
        No origin could be scored (too little data): give the parameters instead.
    """
    bws = [b for b in _grid_values("bandwidths_km", bandwidths_km, none_ok=False) if b is not None]
    hls = _grid_values("half_lives_days", half_lives_days, none_ok=True)
    if not bws or any(not np.isfinite(b) or b <= 0 for b in bws):
        raise ConfigError(f"bandwidths_km must be a non-empty list of values > 0, got {bws!r}")
    if not hls or any(h is not None and (not np.isfinite(h) or h <= 0) for h in hls):
        raise ConfigError(
            f"half_lives_days must be a non-empty list of values > 0 or None, got {hls!r}"
        )
    base = options or BacktestOptions()
    opts = base.model_copy(update={"baselines": ()})
    fr = tuple(sorted(area_fractions)) if area_fractions is not None else opts.area_fractions
    opts = opts.model_copy(
        update={"area_fractions": tuple(sorted(set(fr) | set(opts.area_fractions)))}
    )
    methods = {}
    pairs = {}
    for b in bws:
        for h in hls:
            key = f"bw{b:g}_hl{'none' if h is None else f'{h:g}'}"
            methods[key] = _kde_method(b, h, kernel)
            pairs[key] = (b, h)
    result = rolling_back_test(
        events, cells, methods=methods, options=opts, resolution=resolution, within=within
    )
    if "summary" not in result:
        raise InputError(
            f"cannot choose density parameters by back-test: {result.get('skipped')}; give "
            "bandwidth_km and half_life_days as numbers"
        )
    rows: list[dict] = []
    for key, (b, h) in pairs.items():
        at = result["summary"][key]["at"]
        per = {
            f"{a['area_fraction']:g}": a["hit_rate"]["mean"] for a in at if a["area_fraction"] in fr
        }
        vals = [v for v in per.values() if v is not None]
        rows.append(
            {
                "bandwidth_km": b,
                "half_life_days": h,
                "criterion": float(np.mean(vals)) if vals else float("-inf"),
                "hit_rate": per,
            }
        )
    crit = np.array([r["criterion"] for r in rows], dtype="float64")
    pair_list = [[r["bandwidth_km"], r["half_life_days"]] for r in rows]
    best, tied = _best(crit, pair_list, tolerance)
    chosen = rows[best]
    rows = [rows[i] for i in np.argsort(-crit, kind="stable")]
    n_origins = len(result["origins"])
    by_origin = []
    for o in result["origins"]:
        per_pair = []
        for key in pairs:
            hits = [
                m["hit_rate"]
                for m in o["methods"][key]["metrics"]
                if m["area_fraction"] in fr and m["hit_rate"] is not None
            ]
            per_pair.append(float(np.mean(hits)) if hits else None)
        by_origin.append({"origin": o["origin"], "test_end": o["test_end"], "criterion": per_pair})
    return {
        "pairs": [list(v) for v in pairs.values()],
        "tolerance": tolerance,
        "by_origin": by_origin,
        "bandwidth_km": chosen["bandwidth_km"],
        "half_life_days": chosen["half_life_days"],
        "criterion": "mean hit rate over origins and area shares "
        + ", ".join(f"{a * 100:g} %" for a in fr),
        "best": chosen["criterion"],
        "origins": n_origins,
        "table": rows,
        "why": f"highest mean hit rate over {n_origins} rolling origins "
        f"({chosen['criterion']:.4f}); {len(tied)} pair(s) within {tolerance:g} of the best, "
        "the smoothest of them kept",
    }


def _grid_values(name: str, values, *, none_ok: bool) -> list[float | None]:
    """Return a candidate grid as floats (None kept where allowed); one value is a grid of one."""
    if values is None or isinstance(values, int | float | str | np.number):
        values = [values]
    out: list[float | None] = []
    for v in values:  # a handful of candidates
        if v is None and none_ok:
            out.append(None)
            continue
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            raise ConfigError(
                f"{name} must be numbers{' or None' if none_ok else ''} (in "
                f"{'days' if none_ok else 'km'}), got {v!r}"
            ) from None
    return out


def _utc(value) -> pd.Timestamp:
    """Return a timestamp in UTC; a naive one is taken as UTC (the back-test's origins are)."""
    t = pd.Timestamp(value)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _best(crit: np.ndarray, pairs: list, tolerance: float) -> tuple[int, np.ndarray]:
    """Return the index of the chosen pair (the smoothest of the tied best) and the tied."""
    smooth = [(b, np.inf if h is None else h) for b, h in pairs]
    tied = np.flatnonzero(crit >= crit.max() - tolerance)
    return int(max(tied, key=lambda i: smooth[i])), tied


def density_parameters_at(choice: dict, origin) -> dict:
    """Return the pair :func:`select_density_parameters` would have chosen at ``origin``.

    Only the origins whose test window had ended by ``origin`` count (nested rolling
    origins): a back-test origin is scored with parameters chosen without its own test
    events or any later ones.  With no such origin, nothing prefers one pair and the
    smoothest is taken, as for ties.

    Parameters
    ----------
    choice : dict
        The result of :func:`select_density_parameters`.
    origin : datetime-like
        The back-test origin (naive: UTC, as the back-test's origins are).

    Returns
    -------
    dict
        ``bandwidth_km``, ``half_life_days`` and ``origins`` (how many chose them).
    """
    t = _utc(origin)
    known = [o for o in choice["by_origin"] if _utc(o["test_end"]) <= t]
    pairs = choice["pairs"]
    crit = np.full(len(pairs), -np.inf)
    for i in range(len(pairs)):
        vals = [o["criterion"][i] for o in known if o["criterion"][i] is not None]
        if vals:
            crit[i] = float(np.mean(vals))
    best, _ = _best(crit, pairs, float(choice.get("tolerance", 0.0)))
    return {
        "bandwidth_km": pairs[best][0],
        "half_life_days": pairs[best][1],
        "origins": len(known),
    }
