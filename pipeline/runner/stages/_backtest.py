"""The back-test stage: the published method and the baselines over rolling origins."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ... import schema as S
from ...features import compute_features
from ...grid import points_to_cells
from ..cache import frame_digest
from ..plan import factor_options, factors_to_compute
from ._features import factor_context, feature_key, seizure_plugins
from ._state import RunState, input_digests


def extra_factors(table: pd.DataFrame, wanted) -> pd.DataFrame:
    """Return the score's factors other than the seizure density (NaN = not covered).

    The fitted model builds its own lagged seizure features; these join them as candidates
    as they are: the model transforms them itself (``score.fitted.factor_transforms``; by
    default ``log(1 + x)`` for a factor without negative values, as RTM does).
    """
    names = [c for c in wanted if c in table.columns and c != S.SEIZURE_DENSITY]
    return table[[S.CELL, *names]].copy()


def fitted_factors(state: RunState, at_origin: pd.DataFrame, cells, origin=None) -> Any:
    """Return the fitted model's extra factors: ``at_origin``, or a function of the date.

    Without a plug-in that counts the seizures every factor is time-invariant and the table
    is returned as it is (every training origin takes it: a documented look-ahead).  With
    one, the fitted model gets ``factors_at(timestamp)``: ``at_origin`` at its forecast
    origin (``origin``, the run's ``as_of`` by default) and, at each training origin before
    it, the table with the plug-ins recomputed there (:func:`_factors_known_at`), so the
    training rows' values never count their own labels' seizures.
    """
    plugins = seizure_plugins(state)
    if not plugins:
        return at_origin
    origin = pd.Timestamp(state.as_of if origin is None else origin)
    wanted = state.config.score.factors

    def factors_at(when: pd.Timestamp) -> pd.DataFrame:
        if when >= origin:
            return at_origin
        return extra_factors(_factors_known_at(state, cells, when, plugins), wanted)

    return factors_at


def _factors_known_at(state: RunState, cells, origin, plugins: list) -> pd.DataFrame:
    """Return the features table on ``cells`` with ``plugins`` recomputed as of ``origin``.

    The plug-ins see only the seizures and the pings before ``origin`` (and the untimed
    routes) and ``as_of = origin``; every other factor is taken as it is now (rasters: a
    documented look-ahead; the transit factors are replaced by :class:`TransitAtOrigin`).
    """
    ft = state.features
    assert ft is not None
    known = ft.table if state.backtest_features is None else state.backtest_features
    cells = np.asarray(cells, dtype="uint64")
    table = known.set_index(S.CELL).reindex(pd.Index(cells, name=S.CELL)).reset_index()
    for c in table.columns:
        if c.endswith(S.COVERED_SUFFIX):
            table[c] = table[c].fillna(False).astype(bool)
    if not plugins:
        return table
    cfg = state.config
    earlier = state.seizures[state.seizures[S.TIME] < origin].reset_index(drop=True)
    base = factor_context(state, cells, pd.Timestamp(origin), earlier, plugins)
    if state.area_cells.size:
        # the window a run at the origin has: the area's cells and those holding a seizure
        # before it (the run's own also held the later seizures' cells outside the area,
        # which moved an edge-corrected plug-in at every origin)
        held = points_to_cells(
            earlier[S.LON].to_numpy(dtype="float64"),
            earlier[S.LAT].to_numpy(dtype="float64"),
            cfg.area.resolution,
        )
        base = dataclasses.replace(
            base, window_cells=np.union1d(state.area_cells, held).astype("uint64")
        )
    if isinstance(base.pings, pd.DataFrame) and len(base.pings):
        # the pings as the seizures: those before the origin (a plug-in reading both got
        # every ping of the run, and a vessel first seen after the origin moved its forecast);
        # an untimed route's (NaT) is kept, as the run keeps it: no date places it after
        later = (base.pings[S.TIME] >= origin).to_numpy()
        base = dataclasses.replace(base, pings=base.pings[~later].reset_index(drop=True))
    for f in plugins:
        got = f(dataclasses.replace(base, options=factor_options(cfg, f)))
        table[f.name] = got.values
        table[f.name + S.COVERED_SUFFIX] = got.covered
    return table


def transit_at_origin_factors(state: RunState) -> list:
    """Return the published method's built-in transit factors, recomputed at each origin.

    A run at a back-test origin would have had the positions received before it only: the
    back-test computes these factors at each origin from the pings timed before it
    (:class:`TransitAtOrigin`), not as of the run's day (present data, a look-ahead where
    the tracks reach back past the origins).
    """
    from ...builtin_factors import TRANSIT_SHARED

    scored = set(_scored_factors(state))
    return [
        f
        for f in factors_to_compute(state.config)
        if f.builtin and f.shared_key == TRANSIT_SHARED and f.name in scored
    ]


class TransitAtOrigin:
    """The transit factors of a back-test origin, from the pings timed before it.

    One pass over the tracks per origin (the last origin's is kept: the weighted score
    and the fitted model each ask once an origin), with ``as_of`` one nanosecond before the
    origin: a ping at the origin is the test window's, as a seizure there is.  An untimed
    route gives no transit in a run either (no time, no vessel-hours, no AIS coverage).  An
    origin before every timed ping has no AIS coverage at all: its transit factors are
    missing (NaN, not covered) in every cell, as where a run's AIS does not reach, and the
    models treat them so (the weighted score rescales the weights of the covered factors,
    the fitted model leaves a factor that covers no cell out); ``without_pings`` lists such
    origins (ISO text) for the back-test's notes.  The slider's months take their transit
    from it too (:func:`~pipeline.runner.stages._features.timeline`: a month is the origin
    one nanosecond after its end); ``why`` says, on the debug line, why events smoothed
    onto the cells may reach none of them.
    """

    def __init__(
        self,
        state: RunState,
        factors: list,
        why: str = "a back-test origin's cells, near the seizures before it",
    ) -> None:
        self.state = state
        self.factors = factors
        self.why = why
        self.without_pings: list[str] = []
        self._pass: tuple[pd.Timestamp, Any] | None = None
        self._first: pd.Timestamp | None = None  # the earliest timed ping of a table

    def _received_before(self, origin: pd.Timestamp) -> bool:
        pings = self.state.pings
        if isinstance(pings, pd.DataFrame):
            if self._first is None:  # once: a dozen months ask, not a scan each
                self._first = pings[S.TIME].min() if len(pings) else pd.NaT
            return bool(pd.notna(self._first) and self._first < origin)
        until = origin - pd.Timedelta(1, "ns")
        return bool(pings.received_cells(self.state.config.area.resolution, until=until).size)

    def replace(self, table: pd.DataFrame, origin) -> pd.DataFrame:
        """Return ``table`` (one row per cell) with the transit factors as of ``origin``."""
        from ...builtin_factors import TRANSIT_SHARED
        from ...density import unreached_expected
        from ...engine import LocalEngine, use_engine

        if not self.factors:
            return table
        state = self.state
        origin = pd.Timestamp(origin)
        cells = table[S.CELL].to_numpy(dtype="uint64")
        table = table.copy()
        if not self._received_before(origin):
            if origin.isoformat() not in self.without_pings:
                self.without_pings.append(origin.isoformat())
            for f in self.factors:
                table[f.name] = np.nan
                table[f.name + S.COVERED_SUFFIX] = False
            return table
        before = origin - pd.Timedelta(1, "ns")
        base = factor_context(state, cells, before, state.seizures[:0], [])
        if isinstance(base.pings, pd.DataFrame):
            # the pass would leave the later positions out itself: cut here, it reads fewer
            later = (base.pings[S.TIME] >= origin).to_numpy()
            base = dataclasses.replace(base, pings=base.pings[~later].reset_index(drop=True))
        cache = getattr(state, "cache", None)
        if cache is not None:
            # the origins' passes keep the time per cell of each vessel-day block (and the
            # days' encounters, the received cells) as a night does: a later origin, and the
            # next night's origins, compute only the blocks whose pings differ
            base = dataclasses.replace(
                base,
                memo_hook=lambda name, key, **kw: cache.memo(
                    f"memo back-test {name}", [key, state.code], **kw
                ),
            )
        shared: dict[str, Any] = {}
        if self._pass is not None and self._pass[0] == origin:
            shared[TRANSIT_SHARED] = self._pass[1]
        cfg = state.config
        # the run's engine (a Dask cluster) is closed after the features stage: the pass
        # runs here, in this process, as for the back-test's other cells; events smoothed
        # onto the origin's cells (near its seizures) may well reach none of them (``why``)
        with use_engine(LocalEngine()), unreached_expected(self.why):
            for f in self.factors:
                ctx = dataclasses.replace(base, options=factor_options(cfg, f), _shared=shared)
                got = f(ctx)
                table[f.name] = got.values
                table[f.name + S.COVERED_SUFFIX] = got.covered
        self._pass = (origin, shared[TRANSIT_SHARED])
        return table


def dated_rasters(state: RunState) -> dict[str, list]:
    """Return each raster taken at its latest dated step, with the published method's factors.

    A raster opened with ``time: latest`` whose time steps are dates (a NetCDF's monthly
    SAR detections) has its step of ``as_of`` in the run; a run at a back-test origin
    would have opened the latest step before the origin, which
    :class:`RasterStepsAtOrigin` takes.  A fixed date, a window of steps and steps that are
    no dates stay as the run opened them (present data).
    """
    scored = set(_scored_factors(state))
    out: dict[str, list] = {}
    for r in state.rasters:
        src, da = r.get("source"), r.get("data")
        if getattr(src, "time", None) != "latest" or da is None:
            continue
        if not _dated_steps(da):  # the step the run chose stays a dated scalar coordinate
            continue
        factors = [
            f
            for f in factors_to_compute(state.config)
            if f.builtin and f.shared_key == f"raster:{r['name']}" and f.name in scored
        ]
        if factors:
            out[r["name"]] = factors
    return out


def _dated_steps(da) -> list:
    """Return the dated scalar coordinates of a raster (the time step it was opened at)."""
    return [
        c.values
        for c in da.coords.values()
        if c.ndim == 0 and np.issubdtype(c.dtype, np.datetime64)
    ]


class RasterStepsAtOrigin:
    """The factors of a dated raster at a back-test origin: its latest step before it.

    The raster is opened again as the run opens it, with ``as_of`` one nanosecond before the
    origin (a step at the origin is the test window's, as a ping or a seizure there is), and
    its factors computed on the origin's cells (the step the run took keeps the run's values).
    An origin before every step has the raster's factors missing (NaN, not covered):
    ``without_step`` maps each such origin (ISO text) to the rasters.  A step before the
    origin that the raster's checks refuse (a date held by two steps) leaves them missing
    too; ``refused`` keeps the refusal's line, which the origin's note gives
    (:meth:`why_missing`), not "no time step".
    """

    def __init__(self, state: RunState, rasters: dict[str, list]) -> None:
        self.state = state
        self.rasters = rasters
        self.factors = [f for fs in rasters.values() for f in fs]
        self.without_step: dict[str, list[str]] = {}
        self.refused: dict[tuple[str, str], str] = {}

    def why_missing(self, origin: str, name: str) -> str:
        """Say why raster ``name`` has no values at ``origin`` (ISO text), for its note."""
        reason = self.refused.get((origin, name))
        if reason is None:
            return f"raster {name!r} has no time step before this origin"
        return f"raster {name!r} could not be read at its latest time step before this origin ({reason})"

    def _step_at(self, r: dict, origin: pd.Timestamp):
        from ...errors import InputError, NoTimeStepBefore
        from ...grid import average_hexagon_edge_length
        from ...ingest import clip_raster, open_raster

        cfg = self.state.config
        try:
            da = open_raster(
                r["source"],
                memory_budget_mb=cfg.ingest.memory_budget_mb,
                # a step at the origin is the test window's, as a ping there is: a run of
                # the day before (as_of the end of that day) has no step after it
                as_of=origin - pd.Timedelta(1, "ns"),
                by_centres=cfg.zonal.method == "centre",
            )
        except NoTimeStepBefore:  # every step after the origin
            return None
        except InputError as exc:  # a check of the step before it (the run's step passed)
            self.refused[(origin.isoformat(), r["name"])] = str(exc).splitlines()[0]
            return None
        bbox = self.state.area.bbox
        if bbox is not None:
            edge_km = average_hexagon_edge_length(cfg.area.resolution, unit="km")
            da = clip_raster(da, bbox, margin_km=2 * edge_km)
        return da

    def replace(self, table: pd.DataFrame, origin) -> pd.DataFrame:
        """Return ``table`` with the dated rasters' factors as of ``origin``."""
        from ...engine import LocalEngine, use_engine

        if not self.rasters:
            return table
        state = self.state
        origin = pd.Timestamp(origin)
        cells = table[S.CELL].to_numpy(dtype="uint64")
        table = table.copy()
        for r in state.rasters:
            factors = self.rasters.get(r["name"])
            if not factors:
                continue
            da = self._step_at(r, origin)
            if da is None:
                said = self.without_step.setdefault(origin.isoformat(), [])
                if r["name"] not in said:
                    said.append(r["name"])
                for f in factors:
                    table[f.name] = np.nan
                    table[f.name + S.COVERED_SUFFIX] = False
                continue
            now, then = _dated_steps(r["data"]), _dated_steps(da)
            if len(now) == len(then) and all(map(np.array_equal, now, then)):
                continue  # the step the run took: its values
            base = factor_context(state, cells, origin, state.seizures[:0], [])
            base = dataclasses.replace(base, rasters={**base.rasters, r["name"]: da})
            shared: dict[str, Any] = {}  # one zonal pass for the raster's statistics
            with use_engine(LocalEngine()):  # as the transit's: the run's engine is closed
                for f in factors:
                    ctx = dataclasses.replace(
                        base, options=factor_options(state.config, f), _shared=shared
                    )
                    got = f(ctx)
                    table[f.name] = got.values
                    table[f.name + S.COVERED_SUFFIX] = got.covered
        return table


class AtOrigin:
    """The factors a back-test origin recomputes from the data timed before it.

    The transit factors (:class:`TransitAtOrigin`) and the dated rasters' factors
    (:class:`RasterStepsAtOrigin`).
    """

    def __init__(self, state: RunState) -> None:
        self.transit = TransitAtOrigin(state, transit_at_origin_factors(state))
        self.rasters = RasterStepsAtOrigin(state, dated_rasters(state))
        self.factors = [*self.transit.factors, *self.rasters.factors]

    def replace(self, table: pd.DataFrame, origin) -> pd.DataFrame:
        """Return ``table`` with every such factor as of ``origin``."""
        return self.rasters.replace(self.transit.replace(table, origin), origin)


def _features_at(
    state: RunState,
    train: pd.DataFrame,
    cells,
    origin,
    transit: TransitAtOrigin | AtOrigin | None = None,
) -> pd.DataFrame:
    """Return the weighted score's features known at ``origin`` (density from the training events).

    The density and the plug-ins that read the seizures are recomputed from the events before
    ``origin``, the transit factors from the pings before it and a dated raster's factors
    from its step before it (``transit``); the other factors (other rasters) describe
    the present and are taken as they are now: a documented look-ahead on those only.
    """
    from ...builtin_factors import density_on_cells

    table = _factors_known_at(state, cells, origin, seizure_plugins(state))
    if transit is not None:
        table = transit.replace(table, origin)
    cells = table[S.CELL].to_numpy(dtype="uint64")
    table[S.SEIZURE_DENSITY] = density_on_cells(
        train, cells, origin, _density_at(state, origin), cells
    )[0]
    table[S.SEIZURE_DENSITY + S.COVERED_SUFFIX] = True
    return table


def _density_at(state: RunState, origin):
    """Return the density options a back-test origin uses.

    With ``density: auto`` the run's parameters were chosen on the back-test's own origins;
    scored on them, the density's hit rates would be optimistic.  Each origin takes the
    parameters chosen on the origins whose test windows had ended by then only (nested,
    :func:`pipeline.model.density_parameters_at`).
    """
    from ...model import density_parameters_at

    d = state.config.density
    if state.density_choice is None:
        return d
    at = density_parameters_at(state.density_choice, origin)
    return d.model_copy(
        update={"bandwidth_km": at["bandwidth_km"], "half_life_days": at["half_life_days"]}
    )


def published_method(state: RunState, at_origin: TransitAtOrigin | AtOrigin | None = None):
    """Return the model the map publishes as a back-test method, refitted at each origin.

    ``at_origin`` computes the transit and dated raster factors at each origin (an
    :class:`AtOrigin` is made when None); the method keeps it as ``at_origin``, which then
    names the origins before every timed ping or raster step.
    """
    at = at_origin if at_origin is not None else AtOrigin(state)
    method = _published_method(state, at)
    method.at_origin = at  # type: ignore[attr-defined]
    return method


def _published_method(state: RunState, at: TransitAtOrigin | AtOrigin):
    from ...model import WeightedModel, as_method, fitted_method

    cfg = state.config
    sc = cfg.score
    assert state.features is not None
    if sc.model == "fitted":
        plugins = seizure_plugins(state)
        known = state.features.table if state.backtest_features is None else state.backtest_features
        factors: Any = extra_factors(known, sc.factors)
        dated = [f.name for f in at.factors if f.name in sc.factors]
        if plugins or dated:  # their values at as_of hold the test windows' seizures, pings

            def factors(train, cells, origin):
                table = at.replace(_factors_known_at(state, cells, origin, plugins), origin)
                now = extra_factors(table, sc.factors)
                if not plugins:
                    return now
                # each origin's training rows take the plug-ins at their own training origins
                # and the transit the origin knows, as a run there takes its own (the
                # training rows of a run take its transit of as_of)
                earlier = fitted_factors(state, now, cells, origin)

                def factors_at(when: pd.Timestamp) -> pd.DataFrame:
                    got = earlier(when)
                    if got is now or not dated:
                        return got
                    got = got.copy()
                    got[dated] = now[dated].to_numpy()
                    return got

                return factors_at

        # refitted at each origin for its forecast only: no statsmodels refit, no sandwich
        return fitted_method(sc.fitted, factors=factors, inference=False)
    opts = {"normalisation": sc.normalisation, "cap_quantile": sc.cap_quantile}
    return as_method(
        lambda: WeightedModel(sc.factors, **opts),
        lambda train, cells, origin: _features_at(state, train, cells, origin, at),
    )


def _backtest_table(state: RunState, options: Any, digests: dict[str, str]) -> pd.DataFrame:
    """Return the features table on every cell a back-test origin can score.

    With ``area.cells: support`` the run's table holds the cells the data up to ``as_of``
    observe (a seizure's density, a track); an origin's universe holds the cells near the
    seizures before it, some of which the later seizures' support no longer reaches.  Read
    from the run's table, those cells lacked every other factor (a raster, a context layer:
    not covered), so whether a cell of an origin had them said where the seizures after the
    origin fell (the fitted model's ``__missing`` indicator, the weighted score's rescaled
    weights and normalisation caps).  The factors are computed on those cells here, as
    ``area.cells: all`` would have them, so an origin's forecast depends on no later
    seizure.
    """
    from ...builtin_factors import TRANSIT_SHARED
    from ...density import unreached_expected
    from ...engine import LocalEngine, use_engine
    from ...evaluate import cell_universe
    from ...grid import cells_in

    ft = state.features
    assert ft is not None and state.as_of is not None
    cfg = state.config
    res = cfg.area.resolution
    seizures = state.seizures
    if not len(seizures):
        return ft.table
    # every origin's universe lies within that of all the seizures (cell_universe grows with
    # its events), kept to the area's cells and those holding a seizure as the back-test keeps it
    reach = cell_universe(seizures, res, options.universe_km)
    held = points_to_cells(
        seizures[S.LON].to_numpy(dtype="float64"), seizures[S.LAT].to_numpy(dtype="float64"), res
    )
    reach = reach[cells_in(reach, state.area_cells) | cells_in(reach, held)]
    missing = np.setdiff1d(reach, ft.table[S.CELL].to_numpy(dtype="uint64")).astype("uint64")
    todo = [f for f in factors_to_compute(cfg) if f.name != S.SEIZURE_DENSITY]
    if not missing.size or not todo:
        return ft.table
    base = factor_context(
        state, missing, state.as_of, state.seizures, [f for f in todo if not f.builtin]
    )
    # a few cells: in this process (the run's engine, a Dask cluster, is closed after the
    # features stage), the pass over the tracks taken as the features stage made it; a
    # smoothed factor that reaches none of them is 0 there, which the run's own table (the
    # area's cells) already checked for points lying elsewhere
    why = "back-test universe cells outside the run's table"
    with use_engine(LocalEngine()), unreached_expected(why):
        extra = compute_features(
            todo,
            base,
            area_given=True,  # no cell joins these
            cells_mode="all",
            options_for=lambda f: factor_options(cfg, f),
            key_for=feature_key(state, digests),
            cached=state.cached,
            memo_for=lambda name, key, **kw: state.cache.memo(
                f"memo {name}", [key, state.code], **kw
            ),
            reuse={k: ft.shared[k] for k in (TRANSIT_SHARED,) if k in ft.shared},
        ).table
    cov = S.SEIZURE_DENSITY + S.COVERED_SUFFIX
    if cov in ft.table.columns:  # recomputed at each origin from the seizures before it
        extra[cov] = False
    table = pd.concat([ft.table, extra], ignore_index=True)
    order = np.argsort(table[S.CELL].to_numpy(dtype="uint64"), kind="stable")
    return table.iloc[order].reset_index(drop=True)


def back_test(state: RunState) -> None:
    """Back-test the published score over rolling origins against counts, KDE and density."""
    from ...evaluate import BacktestOptions

    cfg, ft = state.config, state.features
    assert ft is not None and state.as_of is not None
    digests = input_digests(state)
    key = [
        state.digests["seizures"],
        "nested density choice" if state.density_choice is not None else None,
        cfg.density.model_dump(mode="json"),
        cfg.score.model_dump(mode="json"),
        cfg.evaluate.model_dump(mode="json"),
        frame_digest(ft.table),
        frame_digest(state.area_cells),
        str(state.as_of),
        # the factors of the cells the table's support cut left out are computed from them
        sorted(digests.items()),
        "universe cells' factors computed",
        # recomputed at each origin: their values there are not in the features table, so
        # their code, options and inputs are keys of their own
        [
            [
                f.code_digest(),
                factor_options(cfg, f).model_dump(mode="json"),
                [digests.get(n) for n in f.needs],
            ]
            for f in seizure_plugins(state)
        ],
        # computed at each origin from the pings before it (the tracks' digest is above)
        "transit as of each origin",
        [factor_options(cfg, f).model_dump(mode="json") for f in transit_at_origin_factors(state)],
    ]
    options = BacktestOptions(**cfg.evaluate.model_dump(exclude={"enabled"}))

    def build() -> dict[str, Any]:
        state.backtest_features = _backtest_table(state, options, digests)
        try:
            return _back_test_result(state, options)
        finally:
            state.backtest_features = None

    state.evaluation, _ = state.cached("back-test", key, build)


def _back_test_result(state: RunState, options: Any) -> dict[str, Any]:
    """Run the rolling back-test of the published method (:func:`back_test`)."""
    from ...builtin_factors import density_on_cells
    from ...evaluate import rolling_back_test
    from ...model import density_parameters_at

    cfg = state.config
    present = present_data_factors(state)
    fixed = fixed_geography_factors(state)
    method = published_method(state)
    result = rolling_back_test(
        state.seizures,
        None,
        methods={"published": method},
        options=options,
        resolution=cfg.area.resolution,
        density_fn=lambda train, c, origin: density_on_cells(
            train, c, origin, _density_at(state, origin), c
        )[0],
        within=state.area_cells,
    )
    if state.density_choice is not None:
        result["density_parameters_by_origin"] = [
            {"origin": o["origin"], **density_parameters_at(state.density_choice, o["origin"])}
            for o in result.get("origins", [])
        ]
        result.setdefault("notes", []).append(
            "density: auto: each origin's density (the baseline and the density factor) "
            "uses the bandwidth and half-life chosen on the origins whose test windows had "
            "ended by then (nested), not the run's choice, which saw every origin"
        )
    result["present_data_factors"] = present
    at = getattr(method, "at_origin", None)
    dated = [f.name for f in transit_at_origin_factors(state)]
    stepped = dated_rasters(state)
    result["as_of_origin_factors"] = dated + [f.name for fs in stepped.values() for f in fs]
    if stepped:
        steps = at.rasters if isinstance(at, AtOrigin) else None
        if steps is not None:
            for o in result.get("origins", []):
                for name in steps.without_step.get(o["origin"], []):
                    o.setdefault("notes", []).append(
                        f"{steps.why_missing(o['origin'], name)}: "
                        f"{', '.join(repr(f.name) for f in stepped[name])} missing in every "
                        "cell here (not 0), and the published method used the other factors"
                    )
        result.setdefault("notes", []).append(
            f"dated raster(s) {', '.join(map(repr, stepped))} taken at each origin at the "
            "latest time step before it (time: latest; a step at the origin is the test "
            "window's), not the step of the run's day"
        )
    if dated:
        transit = at.transit if isinstance(at, AtOrigin) else at
        without = set(transit.without_pings if transit is not None else [])
        for o in result.get("origins", []):
            if o["origin"] in without:
                o.setdefault("notes", []).append(
                    f"no position was received before this origin: {', '.join(map(repr, dated))} "
                    + ("is" if len(dated) == 1 else "are")
                    + " missing in every cell here (no AIS coverage, not 0), and the "
                    "published method used the other factors"
                )
        n_without = sum(o["origin"] in without for o in result.get("origins", []))
        result.setdefault("notes", []).append(
            f"transit as of each origin: {', '.join(map(repr, dated))} "
            + ("is" if len(dated) == 1 else "are")
            + " computed at each origin from the positions received before it (untimed "
            "routes give no transit, as in a run), not those of the run's day"
            + (
                f"; {n_without} origin(s) came before every timed position: missing there "
                "(no AIS coverage, not 0), said in their notes"
                if n_without
                else ""
            )
        )
    if not state.area.given:
        result.setdefault("notes", []).append(
            "no area is given: the cells an origin can score are cut to the extent of the "
            "data up to the run's day (area.margin_km around it), which the later seizures may "
            "widen; every method is scored on the same cells"
        )
    if present:
        as_of = state.as_of.date().isoformat() if state.as_of is not None else "as_of"
        result["present_data"] = (
            f"present data: {', '.join(map(repr, present))} "
            + ("takes its" if len(present) == 1 else "take their")
            + f" values of {as_of} (the run's day) at every origin, not those known then: "
            "what the map's hit rates owe to "
            + ("it" if len(present) == 1 else "them")
            + " may be a look-ahead; the seizure density, the plug-ins that count seizures "
            "and the baselines see only the seizures before each origin"
            + (", the transit factors only the positions before it" if dated else "")
            + (
                ", the dated rasters' factors only their latest time step before it"
                if stepped
                else ""
            )
        )
        result.setdefault("notes", []).insert(0, result["present_data"])
    for name, rasters in raster_read_plugins(state).items():
        result.setdefault("notes", []).append(
            f"plug-in {name!r} is recomputed at each origin from the seizures before it, but "
            f"reads raster(s) {', '.join(map(repr, rasters))} as the run opened them (a dated "
            "raster's step of the run's day) at every origin: what its hit rates owe to them "
            "may be a look-ahead"
        )
    result["fixed_geography_factors"] = fixed
    if fixed:
        result.setdefault("notes", []).append(
            f"fixed geography: {', '.join(map(repr, fixed))} "
            + ("is" if len(fixed) == 1 else "are")
            + " the same at every origin (a layer no date changes, taken as given): no "
            "look-ahead"
        )
    return result


def _scored_factors(state: RunState) -> list[str]:
    """Return the published method's factors: weight > 0, or every one the fitted model names."""
    sc = state.config.score
    return [name for name, w in sc.factors.items() if w.weight > 0 or sc.model == "fitted"]


def fixed_geography_factors(state: RunState) -> list[str]:
    """Return the published method's factors that are a fixed geography (a distance to the coast).

    Their values are the same at every date (``Factor.fixed_geography``): a back-test
    origin or a month of the slider that takes today's values takes its own.  They are
    named as such, not as present data (a possible look-ahead).
    """
    from ...factors import default_registry

    available = default_registry.available(state.config.inputs_view())
    return [
        name
        for name in _scored_factors(state)
        if name in available and available[name].fixed_geography
    ]


def raster_read_plugins(state: RunState) -> dict[str, list[str]]:
    """Return the plug-ins recomputed at each origin that read a raster, with its names.

    Such a plug-in (:func:`seizure_plugins`) sees the seizures and the positions before each
    origin, but the raster as the run opened it (a dated raster's step of ``as_of``): that
    part of its values is today's at every origin, a possible look-ahead the back-test names.
    """
    out: dict[str, list[str]] = {}
    for f in seizure_plugins(state):
        rasters = [n.partition(":")[2] for n in f.needs if str(n).startswith("raster:")]
        if rasters:
            out[f.name] = rasters
    return out


def present_data_factors(state: RunState) -> list[str]:
    """Return the published method's factors taken as of ``as_of`` at every back-test origin.

    The seizure density and the plug-ins that count seizures are recomputed at each origin,
    the transit factors from the positions before it (:func:`transit_at_origin_factors`), a
    dated raster's from its step before it (:func:`dated_rasters`); every other
    factor the score uses (rasters of one step, a fixed date or a window of steps,
    plug-ins made ``time_dependent=False`` or reading no seizures) is not: the weighted
    score's factors of weight > 0, the fitted model's candidates (every factor
    ``score.factors`` names).  A fixed geography (:func:`fixed_geography_factors`: the
    distances to the coast, the ports and the lanes) is the same at every origin and is no
    present data.
    """
    again = {
        S.SEIZURE_DENSITY,
        *(f.name for f in seizure_plugins(state)),
        *(f.name for f in transit_at_origin_factors(state)),
        *(f.name for fs in dated_rasters(state).values() for f in fs),
        *fixed_geography_factors(state),
    }
    return [name for name in _scored_factors(state) if name not in again]


def raster_factor_units(state: RunState) -> dict[str, str]:
    """Return the unit of each raster factor whose raster declares one (``<raster>_mean``/``_max``).

    A raster's ``units`` attribute (CF, GDAL's band unit type) is what the map's legend
    states for its overlay ("0 - 210.5 nW cm-2 sr-1"), while the card and the manifest gave
    the factor's placeholder ("0.4832 nightlights units").  The mean and the maximum of the
    valid pixels keep the raster's unit; an area-weighted sum and a valid fraction do not.
    """
    from ...render import raster_units

    out: dict[str, str] = {}
    for r in state.rasters:
        units = raster_units(r.get("data"))  # text only: a number array is no unit
        if units:
            for stat in ("mean", "max"):
                out[f"{r['name']}_{stat}"] = units
    return out


def factor_infos(state: RunState) -> list:
    from ...factors import default_registry
    from ...render import FactorInfo
    from ...score import display_name

    cfg = state.config
    available = default_registry.available(cfg.inputs_view())
    units = raster_factor_units(state)
    out = []
    for name, w in cfg.score.factors.items():
        if w.weight <= 0:
            continue
        f = available[name]
        # a run may know better why a factor is missing (no track long enough for an event)
        said = state.features.info.get(name) if state.features is not None else None
        missing = (said or {}).get("missing_text") or f.missing_text
        out.append(
            FactorInfo(
                name,
                display_name(name, w),
                w.weight,
                units.get(name, f.unit) if f.builtin else f.unit,
                f.description,
                missing,
            )
        )
    return out
