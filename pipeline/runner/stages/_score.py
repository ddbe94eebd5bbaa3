"""The score, hot-spot and uncertainty stages."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ... import schema as S
from ...config import Config
from ...errors import ConfigError
from ..cache import digest, frame_digest
from ..plan import factors_to_compute
from ._backtest import extra_factors, fitted_factors, fixed_geography_factors
from ._state import RunState

log = logging.getLogger(__package__)  # one logger for the stages: "pipeline.runner.stages"


def _fitted_scores(
    state: RunState, table: pd.DataFrame, weighted: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Publish the fitted model: expected events, P(at least one), relative risk and shares.

    ``risk`` becomes the percentile (0-100) of the expected events per km² among the cells
    (:func:`pipeline.score.area_percentile`: near-equal rates tie, at their lowest rank),
    so the classes are shares of the area; each selected feature's multiplicative share of the
    cell's relative risk is ``<feature>__share``.  The weighted view's columns (values,
    ``__norm``, ``__contrib``, ``__covered``) stay beside them.
    """
    from ...grid import cell_area_km2
    from ...hotspots import FittedCoefficients
    from ...model import FittedModel
    from ...score import area_percentile, classify

    cfg = state.config
    cells_ = table[S.CELL].to_numpy(dtype="uint64")
    model = FittedModel(cfg.score.fitted).fit(
        state.seizures,
        cells_,
        state.as_of,
        factors=fitted_factors(state, extra_factors(table, cfg.score.factors), cells_),
    )
    pred = model.predict().drop(columns=[S.HEX_ID])
    shares = model.shares().drop(columns=["relative_risk"])
    shares.columns = [c if c == S.CELL else f"{c}__share" for c in shares.columns]
    # the weighted view's points stay beside the fitted columns (the card shows both)
    keep = [c for c in weighted.columns if c != "top_factor"]
    out = (
        weighted[keep]
        .merge(
            pred.rename(
                columns={
                    "expected": "expected_events",
                    "p_any": "p_any_event",
                    "score": "expected_per_km2",
                }
            ),
            on=S.CELL,
            how="left",
        )
        .merge(shares, on=S.CELL, how="left")
    )
    # what the uncertainty draws from (small arrays: the model's training rows are let go)
    state.fitted_coefficients = FittedCoefficients.from_model(model)
    pct = area_percentile(
        out["expected_per_km2"].to_numpy(dtype="float64"), area=cell_area_km2(out[S.CELL])
    )
    out[S.RISK] = np.round(pct, 6)
    out[S.RISK_CLASS] = classify(pct, cfg.score.class_breaks, cfg.score.class_labels)
    share_cols = [c for c in shares.columns if c != S.CELL and c != "area__share"]
    if share_cols:
        arr = out[share_cols].to_numpy(dtype="float64")
        best = np.argmax(np.nan_to_num(arr, nan=-np.inf), axis=1)
        names = np.array([c.removesuffix("__share") for c in share_cols], dtype=object)
        top = names[best]
        top[np.isnan(arr).all(axis=1)] = None
        out["top_factor"] = top
    return out, model.report()


def _no_risk_where_unobserved(scores: pd.DataFrame) -> pd.DataFrame:
    """Blank ``risk``, ``risk_class`` and ``top_factor`` of the cells with no observation.

    The map shows such a cell as "no data" and the timeline has no risk for it in any month;
    the tables said the same only through ``observed``, beside a number: a context raster
    alone gave it weighted points (a low risk), and the fitted model's extrapolation (its
    "raster missing" term, say) a percentile up to 99.  The factor values, and the fitted
    model's ``expected_events`` and shares, stay: they are what the model says, not an
    observation.  The fitted percentile still ranks every cell of the area.
    """
    unseen = ~scores[S.OBSERVED].to_numpy(dtype=bool)
    if not unseen.any():
        return scores
    out = scores.copy()
    out[S.RISK] = np.where(unseen, np.nan, out[S.RISK].to_numpy(dtype="float64"))
    for col in (S.RISK_CLASS, "top_factor"):
        if col in out.columns:
            out[col] = out[col].astype(object).where(~unseen, None)
    return out


def _say_factors_covering_no_cell(state: RunState, table: pd.DataFrame) -> None:
    """Note each weighted factor that covers none of the cells scored.

    Its weight is rescaled away in every cell, so the map is the other factors' alone: a
    raster of the wrong place (a UTM scene of the Bahamas over the Caribbean's seizure cells)
    or AIS of other days showed only as "not covered" on each card, never for the run.
    """
    none = [
        f"{name!r} (weight {w.weight:g})"
        for name, w in state.config.score.factors.items()
        if w.weight > 0
        and len(table)
        and name + S.COVERED_SUFFIX in table.columns
        and not table[name + S.COVERED_SUFFIX].to_numpy(dtype=bool).any()
    ]
    if none:
        note = (
            f"score factor(s) {', '.join(none)} cover none of the {len(table)} cells scored: "
            "their weight goes to the other factors in every cell, and the map is theirs alone"
        )
        log.warning(note)
        state.notes.append(note)


def _say_factors_of_one_value(state: RunState, table: pd.DataFrame) -> None:
    """Note each weighted factor that has one value in every cell it covers.

    Normalised, it is 1 (or 0) in each of them: every cell gets the same points from it and
    it ranks none, so its weight only lifts (or lowers) every risk against the map's fixed
    class breaks.  A plug-in that returns a constant (a scale option read as the value, a
    forgotten per-cell term) was scored so without a word; the fitted model drops it.
    """
    weights = {n: w.weight for n, w in state.config.score.factors.items() if w.weight > 0}
    total = sum(weights.values())
    for name, weight in weights.items():
        if name not in table.columns:
            continue
        raw = table[name].to_numpy(dtype="float64")
        seen = raw[~np.isnan(raw)]
        if seen.size < 2 or seen.min() != seen.max():
            continue
        points = 100.0 * weight / total if seen[0] > 0 else 0.0
        note = (
            f"score factor {name!r} (weight {weight:g}) has one value, {float(seen[0])!r}, in "
            f"all {seen.size} cells it covers: it gives each of them the same {points:.1f} "
            "points (of 100, where every factor covers the cell) and ranks none; check its "
            "values, or drop it from score.factors"
        )
        log.warning(note)
        state.notes.append(note)


def _say_commodities_merged(state: RunState, stats: pd.DataFrame) -> None:
    """Warn (and note) when the rarer commodities share one count column."""
    from ...score import MAX_COMMODITY_COLUMNS, OTHER_COMMODITIES

    if S.SEIZURES_PREFIX + OTHER_COMMODITIES not in stats.columns:
        return
    distinct = state.seizures[S.COMMODITY].astype(str).nunique()
    note = (
        f"seizures name {distinct} distinct commodities: the {MAX_COMMODITY_COLUMNS - 1} most "
        f"frequent are counted per cell, the others together as {OTHER_COMMODITIES!r} (a "
        "commodity column of free text? map the right column with columns: {commodity: ...}, "
        "or merge spellings with the input's synonyms: setting)"
    )
    log.warning(note)
    state.notes.append(note)


def score(state: RunState) -> None:
    """Score the cells (contributions, coverage, confidence) and the months of the slider."""
    from ...render._slider import FIXED_GEOGRAPHY
    from ...score import confidence_labels, score_cells, seizure_cell_stats, seizures_within
    from ...timeline import score_timeline

    cfg, ft = state.config, state.features
    assert ft is not None
    sc = cfg.score
    opts: dict[str, Any] = {
        "normalisation": sc.normalisation,
        "cap_quantile": sc.cap_quantile,
        "class_breaks": sc.class_breaks,
        "class_labels": sc.class_labels,
    }
    table = ft.table
    cells_ = table[S.CELL].to_numpy(dtype="uint64")
    stats = seizure_cell_stats(state.seizures, cells_, cfg.area.resolution)
    _say_commodities_merged(state, stats)
    clash = sorted((set(stats.columns) - {S.CELL}) & set(table.columns))
    if clash:
        # a factor named seizures_cocaine met the cocaine count in the merge: pandas made
        # seizures_cocaine_x and _y, and the run ended in "missing column(s)"
        raise ConfigError(
            f"factor {clash[0]!r} has the name of the seizures' count column of commodity "
            f"{clash[0].removeprefix(S.SEIZURES_PREFIX)!r}; give the factor another name"
        )
    from ...features import support_mask

    observed = (stats["n_seizures"].to_numpy() > 0) | support_mask(table, factors_to_compute(cfg))
    _say_factors_covering_no_cell(state, table)
    _say_factors_of_one_value(state, table)
    scores = score_cells(table, sc.factors, observed=observed, covered=table, **opts)
    if sc.model == "fitted":
        scores, state.model_report = _fitted_scores(state, table, scores)
    scores = _no_risk_where_unobserved(scores)
    scores = scores.merge(stats, on=S.CELL, how="left")
    bandwidth = ft.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km")
    near = seizures_within(state.seizures, scores[S.CELL].to_numpy(dtype="uint64"), bandwidth)
    scores[S.SEIZURES_WITHIN_BANDWIDTH] = near
    scores[S.CONFIDENCE] = confidence_labels(near)
    state.scores = scores
    fixed = fixed_geography_factors(state)
    state.timeline = score_timeline(
        table,
        _with_fixed_geography(state.timeline_density, fixed),
        sc.factors,
        scale=cfg.render.classes if cfg.timeline.scale == "map" else cfg.timeline.scale,
        observed=observed,
        **opts,
    )
    if state.timeline is not None:
        state.timeline.attrs[FIXED_GEOGRAPHY] = fixed


def _with_fixed_geography(got: Any, fixed: list[str]) -> Any:
    """Return the months' factors with the fixed geography among each month's own history.

    A distance to the coast has no history to recompute, yet today's value is that of every
    month: marked ``present_data`` ("as of today (no history that month)") it read as a
    look-ahead on every month of the slider.  Listed among the factors a month knows, it
    keeps today's values (:func:`pipeline.timeline.score_timeline` takes those of a factor
    the month's table lacks) and is no present data.
    """
    if got is None or not fixed or not len(got.periods):
        return got
    from ...timeline import TimelineFactors

    periods = got.periods.copy()
    history = periods["history"].fillna("").astype(str)
    periods["history"] = [",".join([h, *fixed]) if h else ",".join(fixed) for h in history]
    return TimelineFactors(got.table, periods)


def gi_values_text(seizures: pd.DataFrame, values: str) -> str:
    """Say what the Gi* hot spots are of, for the legend, the panel and the manifest.

    With ``hotspots.values: counts`` they are of every seizure's count per cell, undecayed,
    over the whole record: on the piracy incidents 7,490 attacks of 1993-2020 under a map of
    the risk as of 2020-12-31 (a 365-day half-life), so an outline marked where attacks
    clustered in the 2000s; the legend said only "Getis-Ord Gi*".
    """
    if values == "risk":
        return "the risk of the cells that have one"
    times = pd.to_datetime(seizures[S.TIME], utc=True) if len(seizures) else None
    if times is None or not times.notna().any():
        return "the seizure count per cell (no seizures)"
    return (
        f"the seizure count per cell (all {len(seizures):,} seizures, {times.min():%Y-%m-%d} "
        f"to {times.max():%Y-%m-%d} UTC, not decayed)"
    )


def hotspots(state: RunState) -> None:
    """Gi* (FDR by default) on seizure counts or the risk, and emerging hot-spot trends."""
    from ...grid import points_to_cells
    from ...hotspots import (
        cell_counts,
        emerging_hotspots,
        emerging_skipped,
        emerging_summary,
        gi_star,
        gi_summary,
        space_time_cube,
    )

    cfg, scores = state.config, state.scores
    assert scores is not None and state.as_of is not None
    opts = cfg.hotspots
    cells_ = scores[S.CELL].to_numpy(dtype="uint64")
    ev = points_to_cells(
        state.seizures[S.LON].to_numpy(), state.seizures[S.LAT].to_numpy(), cfg.area.resolution
    )
    key = [
        state.digests["seizures"],
        frame_digest(cells_),
        opts.model_dump(mode="json", exclude={"uncertainty"}),  # its own stage
        str(state.as_of),
        frame_digest(scores[S.RISK].to_numpy()) if opts.values == "risk" else None,
    ]

    def build() -> HotspotResult:
        if opts.values == "risk":
            # over the cells with a risk: one with no observation is no data, not a risk of 0
            # pulling its neighbours towards a cold spot (its Gi* columns stay empty)
            values = scores[S.RISK].to_numpy(dtype="float64")
            has = np.isfinite(values)
            if not has.any():  # no cell has a risk: none is a hot spot
                has, values = np.ones(len(values), dtype=bool), np.zeros(len(values))
            gi = gi_star(cells_[has], values[has], opts)
        else:
            gi = gi_star(cells_, cell_counts(ev, cells_), opts)
        cube = space_time_cube(
            ev, state.seizures[S.TIME], cells_, period=opts.emerging.period, end=state.as_of
        )
        gi_sum = {**gi_summary(gi, opts), "values": gi_values_text(state.seizures, opts.values)}
        short = emerging_skipped(cube, opts)
        if short is not None:  # too little history for a trend: the Gi* hot spots alone
            return HotspotResult(gi, {"gi_star": gi_sum, "emerging": short})
        emerging = emerging_hotspots(cube, opts)
        return HotspotResult(
            gi.merge(emerging.cells, on=S.CELL, how="outer").sort_values(S.CELL, ignore_index=True),
            {"gi_star": gi_sum, "emerging": emerging_summary(emerging, opts)},
        )

    got, _ = state.cached("hotspots", key, build)
    state.scores = scores.merge(got.table, on=S.CELL, how="left")
    state.hotspots = got.summary


def uncertainty(state: RunState) -> None:
    """Compute an interval on the published risk and its class stability per cell (cached)."""
    assert state.scores is not None
    unc = _risk_uncertainty(state, state.scores)
    state.scores = state.scores.merge(unc.table, on=S.CELL, how="left")
    state.hotspots = {**(state.hotspots or {}), "uncertainty": unc.summary}
    reason = unc.summary.get("reason")
    if reason and len(unc.table) and unc.table["risk_lower"].isna().all():
        state.notes.append(f"risk interval and class stability not computed: {reason}")


#: The uncertainty columns of the scores tables (see :func:`_risk_uncertainty`).
UNCERTAINTY_COLUMNS = ("risk_lower", "risk_upper", "risk_class_stability")


def _risk_uncertainty(state: RunState, scores: pd.DataFrame) -> HotspotResult:
    """Interval on the published risk and the stability of its class, per cell (cached).

    The weighted score: a bootstrap of the seizures through the density (the other factors
    are fixed); the fitted model: draws of its coefficients (see
    :mod:`pipeline.hotspots._risk_uncertainty`).  ``risk_lower``/``risk_upper`` are the
    ``hotspots.uncertainty.interval`` quantiles of the resampled risk (0-100),
    ``risk_class_stability`` the share of resamples in the cell's published class.
    """
    cfg, ft = state.config, state.features
    assert ft is not None and state.as_of is not None
    sc, opts = cfg.score, cfg.hotspots
    cols = [S.CELL, S.RISK, *[c for c in scores.columns if str(c).endswith(S.COVERED_SUFFIX)]]
    cols += [S.OBSERVED] if S.OBSERVED in scores.columns else []
    if S.SEIZURE_DENSITY in scores.columns:
        cols += [S.SEIZURE_DENSITY, S.SEIZURE_DENSITY + S.CONTRIB_SUFFIX]
    fitted = sc.model == "fitted"
    fc = state.fitted_coefficients
    key = [
        state.digests["seizures"],
        frame_digest(scores[cols]),
        cfg.density.model_dump(mode="json"),
        sc.model_dump(mode="json"),
        opts.uncertainty.model_dump(mode="json"),
        cfg.render.classes,
        opts.seed,
        str(state.as_of),
        ft.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km"),
        digest([frame_digest(v) for v in dataclasses.astuple(fc)]) if fitted and fc else None,
    ]
    return state.cached("uncertainty", key, lambda: _build_uncertainty(state, scores, fitted))[0]


def published_classes(cfg: Config, scores: pd.DataFrame) -> tuple[list[float], list[str]]:
    """Return the breaks and labels of the map's risk classes, as the render stage makes them.

    ``render.classes: fixed`` keeps ``score.class_breaks``; ``quantile`` and ``natural``
    break the observed cells' risk (:func:`pipeline.render` ``map_classes``).
    """
    from ...classes import class_labels_for, risk_class_breaks

    labels = list(cfg.score.class_labels)
    if cfg.render.classes == "fixed":
        return [float(b) for b in cfg.score.class_breaks], labels
    risk = scores[S.RISK].to_numpy(dtype="float64")
    observed = (
        scores[S.OBSERVED].to_numpy(dtype=bool) if S.OBSERVED in scores else np.isfinite(risk)
    )
    breaks = risk_class_breaks(risk[observed], cfg.render.classes, len(labels))
    return [float(b) for b in breaks], class_labels_for(labels, breaks.size - 1)


def _build_uncertainty(state: RunState, scores: pd.DataFrame, fitted: bool) -> HotspotResult:
    from ...density import seizure_weights
    from ...hotspots import (
        bootstrap_cells,
        bootstrap_summary,
        breaks_classifier,
        density_operator,
        density_risk_statistic,
        fitted_risk_statistic,
        parametric_cells,
    )

    cfg, ft = state.config, state.features
    assert ft is not None
    sc, opts = cfg.score, cfg.hotspots
    cells_ = scores[S.CELL].to_numpy(dtype="uint64")
    risk = scores[S.RISK].to_numpy(dtype="float64")
    breaks, _ = published_classes(cfg, scores)
    inner = breaks_classifier(breaks)

    def classify(values: np.ndarray) -> np.ndarray:  # as render classes the risk: at 0.1
        return inner(np.round(values, 1))

    empty = pd.DataFrame({S.CELL: cells_, **{c: np.nan for c in UNCERTAINTY_COLUMNS}})
    if fitted:
        fc = state.fitted_coefficients
        if fc is None:
            why = "the fitted model fell back to the blend: no coefficients to draw"
            return HotspotResult(empty, {"method": "none", "reason": why})
        got = parametric_cells(
            fc.params,
            fc.cov,
            fitted_risk_statistic(fc),
            fc.cells,
            classify=classify,
            options=opts.uncertainty,
            seed=opts.seed,
            name=S.RISK,
        )
        method = "draws of the fitted model's coefficients (cluster-robust covariance)"
        basis = "coefficient draws"
        events = {}
    else:
        w = sc.factors.get(S.SEIZURE_DENSITY)
        if w is None or w.weight <= 0 or S.SEIZURE_DENSITY not in scores.columns:
            # the score does not use the seizures: resampling them changes nothing
            fixed = pd.DataFrame({S.CELL: cells_, "risk_lower": risk, "risk_upper": risk}).assign(
                risk_class_stability=np.where(np.isfinite(risk), 1.0, np.nan)
            )
            return HotspotResult(
                fixed, {"method": "none", "reason": "the score does not use the seizure density"}
            )
        d = cfg.density
        seizures = state.seizures
        bandwidth = ft.info.get(S.SEIZURE_DENSITY, {}).get("bandwidth_km")
        if bandwidth is None:  # no seizures: nothing to resample
            return HotspotResult(empty, {"method": "none", "reason": "no seizures"})
        if isinstance(d.half_life_days, str):  # 'auto' is resolved by density_parameters
            raise ConfigError(f"density.half_life_days was not resolved: {d.half_life_days!r}")
        b = seizure_weights(
            seizures,
            as_of=state.as_of,
            half_life_days=d.half_life_days,
            use_quantity=d.use_quantity,
            commodity_weights=d.commodity_weights or None,
        )
        positions = _distinct_positions(seizures, b)
        if positions < 2:
            # every resample holds the same map: a zero-width interval and a class stability
            # of 1 would read as certainty where the data cannot show any spread
            why = (
                "the seizures that weigh in the density lie at one position, so resampling"
                " them cannot vary the map"
                if positions
                else "no seizure weighs in the density (every weight is 0): nothing to resample"
            )
            return HotspotResult(empty, {"method": "none", "reason": why})
        # a seizure weighted 0 (its commodity's weight 0) is no event of this density: drawn
        # among the N resampled, it only thinned the others (intervals 2-3 % wider, and a
        # run's interval changed by adding records that change no risk)
        weigh = b > 0
        events = {"n_events": int(weigh.sum()), "n_events_weight_0": int((~weigh).sum())}
        if not weigh.all():
            seizures, b = seizures[weigh], b[weigh]
        operator = density_operator(
            seizures[S.LON].to_numpy(),
            seizures[S.LAT].to_numpy(),
            cells_,
            bandwidth_km=float(bandwidth),
            kernel=d.kernel,
            max_bytes=opts.uncertainty.max_bytes,
        )
        total = np.zeros(len(scores))
        for name, fw in sc.factors.items():
            col = name + S.COVERED_SUFFIX
            if fw.weight > 0 and col in scores.columns:
                total += np.where(scores[col].to_numpy(dtype=bool), fw.weight, 0.0)
        covered = scores[S.SEIZURE_DENSITY + S.COVERED_SUFFIX].to_numpy(dtype=bool)
        share = np.divide(w.weight, total, out=np.zeros(len(total)), where=covered & (total > 0))
        stat = density_risk_statistic(
            operator,
            b,
            scores[S.SEIZURE_DENSITY].to_numpy(dtype="float64"),
            risk,
            scores[S.SEIZURE_DENSITY + S.CONTRIB_SUFFIX].to_numpy(dtype="float64"),
            share,
            normalisation=sc.normalisation,
            cap_quantile=sc.cap_quantile,
            transform=w.transform,
        )
        got = bootstrap_cells(
            len(seizures),
            stat,
            cells_,
            classify=classify,
            options=opts.uncertainty,
            seed=opts.seed,
            name=S.RISK,
        )
        method = "bootstrap of the seizures (density recomputed, other factors fixed)"
        basis = "seizure resamples"
    table = (
        got.drop(columns=[S.RISK])
        .set_index(S.CELL)
        .reindex(pd.Index(cells_, name=S.CELL))
        .reset_index()
    )
    missing = ~np.isfinite(risk)
    table.loc[missing, list(UNCERTAINTY_COLUMNS)] = np.nan
    # rounded as the published risk is (a fitted model's to 6 decimals, a weighted score's
    # not before the tables' own 7 digits): at 4 decimals a zero-width interval stepped over
    # its own risk (risk 9.103965, risk_lower 9.1040: 372 of the piracy map's 2,122 cells
    # had their risk outside [risk_lower, risk_upper] by rounding alone)
    if fitted:
        for c in ("risk_lower", "risk_upper"):
            table[c] = table[c].round(6)
    table["risk_class_stability"] = table["risk_class_stability"].round(4)
    summary = {
        "method": method,
        # what the interval is of: the card names it (a reader takes "90 % interval" as one
        # for the cell's true risk, which the coefficient draws are not: README)
        "basis": basis,
        "n_resamples": opts.uncertainty.n_resamples,
        # the seizures each resample draws (as many as weigh in the density; those of weight
        # 0 change no risk and are left out, counted)
        **events,
        "interval": list(opts.uncertainty.interval),
        **bootstrap_summary(table[~missing], name=S.RISK),
    }
    return HotspotResult(table, summary)


def _distinct_positions(seizures: pd.DataFrame, weights: np.ndarray) -> int:
    """Return 0, 1 or 2 (two or more): the distinct positions of the seizures that weigh."""
    keep = np.asarray(weights, dtype="float64") > 0
    lon = seizures[S.LON].to_numpy(dtype="float64")[keep]
    lat = seizures[S.LAT].to_numpy(dtype="float64")[keep]
    if lon.size == 0:
        return 0
    return 2 if bool(((lon != lon[0]) | (lat != lat[0])).any()) else 1


@dataclass
class HotspotResult:
    """Gi* and emerging columns per cell with their summaries (a cacheable pair)."""

    table: pd.DataFrame
    summary: dict[str, Any]
