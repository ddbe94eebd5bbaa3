"""The features and timeline stages: every factor on every cell, and the map's monthly history."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ... import schema as S
from ...config import Config
from ...errors import InputError
from ...features import compute_features
from ..cache import frame_digest
from ..plan import factor_options, factors_to_compute
from ._read import pings_time_max, run_engine
from ._state import RunState, input_digests

log = logging.getLogger(__package__)  # one logger for the stages: "pipeline.runner.stages"


def factor_context(state: RunState, cells, as_of, seizures, plugins) -> Any:
    """Return the factors' context on ``cells`` as of ``as_of`` with these ``seizures``.

    A plug-in among ``plugins`` that needs the tracks reads the pings table: spilled pings
    (a store) are then read whole for it, once a run: when such a plug-in is recomputed at
    each origin (:func:`seizure_plugins`) the table is kept for them, not read whole again
    at every training and back-test origin.
    """
    from ...factors import FactorContext

    pings = state.pings
    if not isinstance(pings, pd.DataFrame) and any("tracks" in f.needs for f in plugins):
        if state.pings_table is not None:
            pings = state.pings_table
        else:
            pings = pings.to_frame()
            if any("tracks" in f.needs for f in seizure_plugins(state)):
                state.pings_table = pings
    return FactorContext(
        cells=cells,
        resolution=state.config.area.resolution,
        as_of=as_of,
        seizures=seizures,
        pings=pings,
        vessel_identity=state.vessel_identity,
        rasters={r["name"]: r["data"] for r in state.rasters},
        ports=state.ports,
        context=state.context,
        window_cells=state.cells,
    )


def features(state: RunState) -> None:
    """Every factor on the cells, each cached by its inputs, options and code."""
    cfg = state.config
    digests = input_digests(state)
    todo = factors_to_compute(cfg)

    key_for = feature_key(state, digests)
    assert state.as_of is not None
    base = factor_context(
        state,
        state.cells,
        state.as_of,
        state.seizures,
        [f for f in todo if not f.builtin],  # a plug-in reading the pings gets the table whole
    )
    from ...engine import use_engine

    try:
        with use_engine(run_engine(state)):  # the factors' partitioned passes run on it
            state.features = compute_features(
                todo,
                base,
                area_given=state.area.given,
                cells_mode=cfg.area.cells,
                options_for=lambda f: factor_options(cfg, f),
                key_for=key_for,
                cached=state.cached,
                progress=state.progress,
                memo_for=lambda name, key, **kw: state.cache.memo(
                    f"memo {name}", [key, state.code], **kw
                ),
            )
    finally:  # no later stage uses the engine: a local cluster stops here
        state.engine.close()
    if state.features.table.empty:
        raise InputError("no H3 cell has any observation inside the area of interest")
    _say_track_time_not_scored(state)
    _say_kernels_narrow_for_cells(state)


def _say_kernels_narrow_for_cells(state: RunState) -> None:
    """Warn (log and manifest) of each kernel too narrow for a density taken at cell centres.

    And state each default bandwidth the cells' resolution widened (log and manifest).
    """
    assert state.features is not None
    h = state.features.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km")
    given = state.config
    if state.density_given is not None:
        # auto's candidates (density.auto_bandwidths_km) and the KDE that sets its universe
        # are stated of the config as given: the chosen numbers have no 'auto' left in them
        given = given.model_copy(update={"density": state.density_given})
    for said in given.resolution_default_notes(density=h is not None):
        log.info(said)
        state.notes.append(said)
    rule = state.config.density.bandwidth_km
    how = f"{rule} rule" if isinstance(rule, str) else None
    choice = state.density_choice  # the config now holds the numbers auto chose
    if choice is not None and len({r["bandwidth_km"] for r in choice.get("table", [])}) > 1:
        how = "auto's choice"  # not with half_life_days: auto alone
    for note in narrow_kernel_notes(state.config, h, how):
        log.warning(note)
        state.notes.append(note)


def narrow_kernel_notes(
    cfg: Config, density_bandwidth_km: float | None, density_how: str | None = None
) -> list[str]:
    """Return a note for each kernel of a run too narrow for a density taken at cell centres.

    The config refuses a bandwidth below a quarter of the cell edge; up to about two edges
    (one for the gaussian) the density at a cell's centre is still typically 10 % to 100 %
    off the density over the cell (:func:`pipeline.density.centre_sampling_note`).

    Parameters
    ----------
    cfg : Config
        The run's config: the fitted model's, the back-test's and the transit smoothing's
        bandwidths and kernels are read from it where the run uses them.
    density_bandwidth_km : float or None
        The seizure density's bandwidth as used (a rule's or ``auto``'s choice in km); None
        without a seizure density.
    density_how : str, optional
        How it was chosen (``"silverman rule"``, ``"auto's choice"``), said in the note.
    """
    from ...density import centre_sampling_note

    used: list[tuple[str, float, str]] = []
    if density_bandwidth_km is not None:
        what = "density.bandwidth_km" + (f" ({density_how})" if density_how else "")
        used.append((what, float(density_bandwidth_km), cfg.density.kernel))
    if cfg.score.model == "fitted":
        used += [
            ("score.fitted.bandwidths_km", float(h), cfg.score.fitted.kernel)
            for h in cfg.score.fitted.bandwidths_km
        ]
    if cfg.evaluate.enabled:
        kde = ("evaluate.kde_bandwidth_km", cfg.evaluate.kde_bandwidth_km, cfg.evaluate.kde_kernel)
        used.append(kde)
    if cfg.inputs.tracks and cfg.transit.smooth_events_km > 0:
        used.append(("transit.smooth_events_km", cfg.transit.smooth_events_km, cfg.density.kernel))
    notes = [centre_sampling_note(what, h, k, cfg.area.resolution) for what, h, k in used]
    return [n for n in notes if n is not None]


def _say_track_time_not_scored(state: RunState) -> None:
    """Note the vessel-hours that lie in cells the run does not score.

    With ``area.exclude_land`` a harbour that a coarse coastline covers holds its tracks'
    time in cells that are not scored: the Solent's AIS put 100 of its 107 vessel-hours in
    one cell centred on Natural Earth 1:110m's land, and the map and tables showed the 3.1 h
    of the one Solent cell they scored without a word.
    """
    from ...builtin_factors import TRANSIT_SHARED
    from ...grid import cells_in

    ft = state.features
    tr = ft.shared.get(TRANSIT_SHARED) if ft is not None else None
    if ft is None or tr is None or not len(tr.features):
        return
    cells_ = tr.features[S.CELL].to_numpy(dtype="uint64")
    hours = tr.features[S.VESSEL_HOURS].to_numpy(dtype="float64")
    left = ~cells_in(cells_, ft.table[S.CELL].to_numpy(dtype="uint64")) & (hours > 0)
    if left.any():
        note = (
            f"{hours[left].sum():,.1f} of the tracks' {hours.sum():,.1f} vessel-hours lie in "
            f"{int(left.sum())} cell(s) the run does not score (centred on the land layer "
            "with area.exclude_land, or outside the area): the map and the tables leave "
            "that time out"
        )
        log.info(note)
        state.notes.append(note)


def feature_key(state: RunState, digests: dict[str, str]) -> Callable[[Any], list[Any]]:
    """Return ``key_for(factor)``: what a factor's values depend on besides the cells."""
    cfg = state.config
    # positions after as_of are left out of the transit pass: only then does its result
    # depend on as_of (a nightly run whose tracks end before it keeps its cache)
    last = pings_time_max(state.pings) if len(state.pings) else None
    tracks_after = last is not None and state.as_of is not None and last > state.as_of

    def key_for(f) -> list[Any]:
        opts = factor_options(cfg, f).model_dump(mode="json")
        cut = f.time_dependent or (tracks_after and "tracks" in f.needs)
        when = str(state.as_of) if cut else None
        needs = list(f.needs)
        if "tracks" in needs and "ports" not in needs:
            # the pass over the tracks reads the ports (loitering and encounters count only
            # away from them): a changed ports file changes its events (as the timeline's
            # key says), though no tracks factor names the ports among its needs
            needs.append("ports")
        # the parts kept without the cells (the pass over the tracks, ``no_cells``) bin the
        # positions into cells of this resolution: another one is another result
        res = cfg.area.resolution
        return [f.name, f.code_digest(), opts, [digests.get(n) for n in needs], when, res]

    return key_for


def timeline(state: RunState) -> None:
    """Compute each month's factors from the data up to that month (the costly half of the slider).

    The seizure density of every month, and the transit factors the score uses from the
    positions timed up to the month's end, missing in a month before every timed position
    (see :mod:`pipeline.timeline` and :func:`_track_history`).
    """
    from ...density import density_memo
    from ...timeline import TimelineFactors, timeline_factors

    cfg = state.config
    assert state.features is not None and state.as_of is not None
    cells_ = state.features.table[S.CELL].to_numpy(dtype="uint64")
    transit = _timeline_transit_factors(state)
    key = [
        state.digests["seizures"],
        cfg.timeline.months,
        cfg.density.model_dump(mode="json"),
        frame_digest(cells_),
        frame_digest(state.cells),
        str(state.as_of),
        [f.name for f in transit],
        [factor_options(cfg, f).model_dump(mode="json") for f in transit],
        state.digests.get("tracks") if transit else None,
        state.digests.get("ports") if transit else None,
        "transit as of each month's end" if transit else None,
    ]

    # the months' kernel sums by tiles, each kept under the hash of its inputs
    memo = state.cache.memo("memo density timeline", [state.code])

    def build() -> TimelineFactors:
        with density_memo(memo):
            got = timeline_factors(
                state.seizures,
                cells_,
                state.as_of,
                cfg.timeline.months,
                cfg.density,
                state.cells,
                tracks=_track_history(state, cells_, transit) if transit else None,
            )
        return got if got is not None else TimelineFactors(pd.DataFrame(), pd.DataFrame())

    got, _ = state.cached("timeline", key, build)
    state.timeline_density = got if len(got.table) else None
    covered = S.SEIZURE_DENSITY + S.COVERED_SUFFIX
    if len(got.table) and covered in got.table.columns:
        by_month = got.table.groupby(S.PERIOD, sort=True)[covered].any()
        empty = [str(p) for p, any_ in by_month.items() if not any_]
        if empty:
            state.notes.append(
                f"timeline: no seizure is on record by the end of {', '.join(empty)}: "
                "their seizure density is not covered (no data, not a density of zero) and "
                "their risk on the slider comes from the other factors alone"
            )
    _say_months_without_transit(state, got, [f.name for f in transit])


def _say_months_without_transit(state: RunState, got: Any, names: list[str]) -> None:
    """Note the months whose transit factors cover no cell (before every timed position).

    Their values are missing in every cell (no AIS coverage, not 0): the slider's risk of
    such a month weighs the other factors, as a back-test origin before the tracks does.
    """
    table = got.table
    if not len(table) or not names:
        return
    cols = [n + S.COVERED_SUFFIX for n in names if n + S.COVERED_SUFFIX in table.columns]
    if not cols:
        return
    by_month = table.groupby(S.PERIOD, sort=True)[cols].any()
    pings = state.pings
    first = (
        pings[S.TIME].min() if isinstance(pings, pd.DataFrame) and len(pings) else pd.NaT
    )  # a store keeps no earliest time: not said
    since = (
        f"; the first timed position is of {first:%Y-%m-%d %H:%M} UTC" if pd.notna(first) else ""
    )
    for what, months in _months_by_text(by_month, names).items():
        state.notes.append(
            f"timeline: {what} cover no cell in {', '.join(months)}, from the positions "
            f"timed up to each month's end{since}: missing in every cell those months (not "
            "0), named in missing_factors; their risk on the slider weighs the other factors"
        )


def _months_by_text(by_month: pd.DataFrame, names: list[str]) -> dict[str, list[str]]:
    """Group the months by the factors (quoted, comma-separated) that cover no cell in them."""
    out: dict[str, list[str]] = {}
    for period, row in by_month.iterrows():  # a dozen months
        none = [
            n for n in names if n + S.COVERED_SUFFIX in row.index and not row[n + S.COVERED_SUFFIX]
        ]
        if none:
            out.setdefault(", ".join(map(repr, none)), []).append(str(period))
    return out


def _timeline_transit_factors(state: RunState) -> list:
    """Return the transit factors the score weighs (recomputed per month where tracks allow)."""
    weights = state.config.score.factors
    return [
        f
        for f in factors_to_compute(state.config)
        if f.section == "transit" and f.name in weights and weights[f.name].weight > 0
    ]


def _track_history(state: RunState, cells_: np.ndarray, transit: list):
    """Return ``tracks(cutoff, start)`` for :func:`pipeline.timeline.timeline_factors`.

    A month's transit is that of the positions timed up to its end (``cutoff``, the last
    instant it sees, as its seizures are): the back-test's pass at an origin
    (:class:`~pipeline.runner.stages._backtest.TransitAtOrigin`) one nanosecond after the
    cutoff, so a position at the cutoff is the month's.  A month before every timed
    position has them missing (NaN, not covered: no AIS coverage, not 0), as an origin
    does; untimed routes give no transit, as in a run.  A month whose end is past the last
    position sees all of them: today's values are its own (the same pass, not run again).
    """
    from ._backtest import TransitAtOrigin

    ft = state.features
    assert ft is not None
    last = pings_time_max(state.pings) if len(state.pings) else pd.NaT
    today = ft.table.set_index(S.CELL).reindex(pd.Index(cells_, name=S.CELL))
    names = [f.name for f in transit]
    cols = [c for n in names for c in (n, n + S.COVERED_SUFFIX) if c in today.columns]
    at = TransitAtOrigin(state, transit, why="a slider month's cells, as of its end")
    cells_frame = pd.DataFrame({S.CELL: cells_})

    def tracks(cutoff: pd.Timestamp, start: pd.Timestamp) -> pd.DataFrame | None:
        if pd.notna(last) and last <= cutoff:
            return today[cols].reset_index()
        return at.replace(cells_frame, cutoff + pd.Timedelta(1, "ns"))

    return tracks


def seizure_plugins(state: RunState) -> list:
    """Return the score's plug-in factors that read the seizures as of ``as_of``.

    Their values at ``as_of`` count seizures that fall in the back-test's test windows; the
    back-test recomputes them at each origin from the seizures before it
    (:func:`_factors_known_at`).  A factor made ``time_dependent=False`` is taken as it is.
    The weighted score uses those of weight > 0; the fitted model takes every factor
    ``score.factors`` names as a candidate (:func:`extra_factors`), whatever its weight.
    """
    sc = state.config.score
    weights = sc.factors
    return [
        f
        for f in factors_to_compute(state.config)
        if not f.builtin
        and f.time_dependent
        and "seizures" in f.needs
        and f.name in weights
        and (weights[f.name].weight > 0 or sc.model == "fitted")
    ]
