"""Public test helpers: seeded sample data for tests, benchmarks and notebooks.

Like :mod:`geopandas.testing`, this module is part of the package so that the project's own
tests, its benchmarks and anyone extending route-risk (a plug-in factor, a custom map) build
their fixtures the same way.  Nothing here is used by the pipeline itself.

The data are synthetic, not a model of real data: plausible shapes, every layer filled, and an
optional ``text`` placed in every text sink of the map (the XSS corpus of the browser tests).

Examples
--------
>>> from pipeline.testing import sample_map_data
>>> data = sample_map_data(50)
>>> len(data.scores), [f.name for f in data.factors]
(50, ['seizure_density', 'vessel_hours', 'gap_events'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as S
from .grid import cells_to_latlng, cells_to_strings, grid_disk_cells, points_to_cells
from .render import FactorInfo, MapData, RasterOverlay

__all__ = [
    "CLASS_BREAKS",
    "CLASS_LABELS",
    "sample_cells",
    "sample_evaluation",
    "sample_hotspot_columns",
    "sample_map_data",
    "sample_model_report",
]

#: Risk class boundaries of the sample data.
CLASS_BREAKS = [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
#: One label per class, lowest first.
CLASS_LABELS = ["very low", "low", "medium", "high", "very high"]


def sample_cells(
    n_cells: int, *, lon: float = -25.0, lat: float = 12.0, resolution: int = 7, seed: int = 0
) -> np.ndarray:
    """Return ``n_cells`` sorted distinct cells of a compact patch around (lon, lat).

    Examples
    --------
    >>> cells = sample_cells(100, resolution=6)
    >>> cells.size, bool((cells[1:] > cells[:-1]).all())
    (100, True)
    """
    centre = points_to_cells([lon], [lat], resolution)
    k = int(np.ceil(np.sqrt(max(n_cells, 1) / 3.0))) + 1
    while 3 * k * (k + 1) + 1 < n_cells:
        k += 1
    disk = grid_disk_cells(centre, k)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(disk, size=n_cells, replace=False))


def sample_map_data(
    n_cells: int = 200,
    *,
    seed: int = 0,
    text: str | None = None,
    cells: np.ndarray | None = None,
    n_seizures: int = 300,
    n_events: int = 120,
    n_periods: int = 6,
    uncovered_fraction: float = 0.1,
    fitted: bool = False,
    hotspots: bool = False,
    evaluation: bool = False,
) -> MapData:
    """Build a :class:`~pipeline.render.MapData` with every layer filled.

    Parameters
    ----------
    n_cells : int
        Number of H3 cells (resolution 7) when ``cells`` is not given.
    seed : int
        Random seed.
    text : str, optional
        If given, used in every text sink: factor label and unit, commodity, class label,
        seizure note/agency, vessel ids, event type, period, raster name and units.
    cells : array of uint64, optional
        Use these cells instead.
    n_seizures, n_events, n_periods : int
        Sizes of the optional layers.
    uncovered_fraction : float
        Share of cells without AIS coverage: there ``vessel_hours`` and ``gap_events`` are 0
        and their ``__covered`` columns False (their factors say "no AIS coverage").
    fitted : bool
        Add the fitted model's columns (``expected_events``, ``p_any_event``,
        ``relative_risk``, ``<feature>__share``; NaN shares on ~10 % of the cells, as for
        quiet cells) and its report (:func:`sample_model_report`).
    hotspots : bool
        Add the Gi* and emerging-trend columns and their summaries
        (:func:`sample_hotspot_columns`).
    evaluation : bool
        Add a back-test result (:func:`sample_evaluation`).

    Returns
    -------
    MapData
        Scores of three factors (seizure density, vessel-hours, AIS gaps) with their
        ``__norm``/``__contrib`` columns (and ``__covered`` for the two AIS factors), classes,
        commodity counts, confidence, ``observed`` (the first cell and ~5 % of the others
        False), seizures, events, a transit layer on every other cell, a monthly timeline and
        one raster.
    """
    rng = np.random.default_rng(seed)
    if cells is None:
        cells = sample_cells(n_cells, seed=seed)
    cells = np.asarray(cells, dtype="uint64")
    n = cells.size
    lat, lon = cells_to_latlng(cells)
    no_ais = "no AIS coverage"
    factors = [
        FactorInfo(S.SEIZURE_DENSITY, "Seizure density", 0.5, "events/km²", "KDE of seizures"),
        FactorInfo(S.VESSEL_HOURS, "Vessel-hours", 0.3, "h", "time spent by vessels", no_ais),
        FactorInfo(S.GAP_EVENTS, "AIS gaps", 0.2, "events", "AIS gaps longer than 6 h", no_ais),
    ]
    if text is not None:
        factors[2] = FactorInfo(S.GAP_EVENTS, text, 0.2, text, text, text)
    raw = {
        S.SEIZURE_DENSITY: rng.gamma(1.5, 0.02, n),
        S.VESSEL_HOURS: rng.gamma(2.0, 40.0, n),
        S.GAP_EVENTS: rng.poisson(1.0, n).astype(float),
    }
    # AIS reception: ~10 % of cells unobserved, where the transit factors read 0 (a separate
    # stream, so the other sample values do not depend on it).
    ais_covered = np.random.default_rng([seed, 1]).random(n) >= uncovered_fraction
    for name in (S.VESSEL_HOURS, S.GAP_EVENTS):
        raw[name] = np.where(ais_covered, raw[name], 0.0)
    total_w = sum(f.weight for f in factors)
    # Columns of the scores frame: arrays, or one scalar broadcast to every row.
    frame: dict[str, np.ndarray | str] = {S.CELL: cells, S.HEX_ID: cells_to_strings(cells)}
    risk = np.zeros(n)
    for f in factors:
        v = raw[f.name]
        norm = (pd.Series(v).rank(pct=True)).to_numpy()
        contrib = 100.0 * f.weight / total_w * norm
        frame[f.name] = v
        frame[f.name + S.NORM_SUFFIX] = norm
        frame[f.name + S.CONTRIB_SUFFIX] = contrib
        if f.name != S.SEIZURE_DENSITY:
            frame[f.name + S.COVERED_SUFFIX] = ais_covered
        risk += contrib
    labels = list(CLASS_LABELS)
    if text is not None:
        labels[-1] = text
    codes = np.clip(np.searchsorted(CLASS_BREAKS, risk, side="right") - 1, 0, len(labels) - 1)
    observed = rng.random(n) > 0.05
    observed[0] = False
    frame[S.RISK] = risk
    frame[S.RISK_CLASS] = np.asarray(labels, dtype=object)[codes]
    commodities = ["cocaine", "heroin", "cannabis"] if text is None else ["cocaine", text]
    for c in commodities:
        frame["seizures_" + c] = rng.poisson(0.5, n)
    latest = pd.Timestamp("2024-06-30", tz="UTC") - pd.to_timedelta(rng.integers(0, 400, n), "D")
    frame["latest_event"] = pd.Series(latest).where(rng.random(n) > 0.3)
    frame["observed"] = observed
    near = rng.poisson(8.0, n)
    frame[S.SEIZURES_WITHIN_BANDWIDTH] = near
    frame[S.CONFIDENCE] = (
        np.array(["low", "medium", "high"], dtype=object)[np.searchsorted([5, 20], near, "right")]
        if text is None
        else text
    )
    scores = pd.DataFrame(frame)
    model_report = None
    if fitted:
        scores, model_report = _add_fitted(scores, np.random.default_rng([seed, 2]), text)
    summary = None
    if hotspots:
        gi, summary = sample_hotspot_columns(cells, risk, seed=seed, text=text)
        scores = scores.merge(gi, on=S.CELL, how="left")

    pick = rng.integers(0, n, n_seizures)
    seizures = pd.DataFrame(
        {
            S.TIME: pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 180, n_seizures), "D"),
            S.LON: lon[pick] + rng.normal(0, 0.01, n_seizures),
            S.LAT: lat[pick] + rng.normal(0, 0.01, n_seizures),
            S.COMMODITY: rng.choice(commodities, n_seizures),
            S.QUANTITY: rng.gamma(2.0, 100.0, n_seizures),
            S.AGENCY: text if text is not None else "Coast guard",
            S.NOTE: text if text is not None else "container search",
        }
    )
    pick = rng.integers(0, n, n_events)
    start = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 2000, n_events), "h"
    )
    hours = rng.gamma(2.0, 5.0, n_events)
    events = pd.DataFrame(
        {
            "event_type": rng.choice(
                ["gap", "loitering", "encounter"] if text is None else [text], n_events
            ),
            S.VESSEL_ID: text
            if text is not None
            else [f"IMO{9000000 + i}" for i in range(n_events)],
            "other_vessel_id": text if text is not None else None,
            "start_time": start,
            "end_time": start + pd.to_timedelta(hours, "h"),
            "duration_hours": hours,
            S.LON: lon[pick],
            S.LAT: lat[pick],
        }
    )
    transit = pd.DataFrame({S.CELL: cells[::2], S.VESSEL_HOURS: raw[S.VESSEL_HOURS][::2]})
    periods = [f"2024-{m:02d}" for m in range(1, n_periods + 1)]
    if text is not None:
        periods[-1] = text
    timeline = pd.DataFrame(
        {
            S.CELL: np.repeat(cells, n_periods),
            "period": np.tile(periods, n),
            S.RISK: np.clip(np.repeat(risk, n_periods) + rng.normal(0, 10, n * n_periods), 0, 100),
        }
    ).sample(frac=0.9, random_state=seed)
    yy, xx = np.mgrid[0:40, 0:60]
    array = np.sin(xx / 9.0) + np.cos(yy / 7.0)
    array[:5, :5] = np.nan
    raster = RasterOverlay(
        text if text is not None else "Chlorophyll-a",
        array,
        (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())),
        units=text if text is not None else "mg/m³",
    )
    return MapData(
        scores=scores,
        factors=factors,
        class_breaks=list(CLASS_BREAKS),
        class_labels=labels,
        seizures=seizures,
        events=events,
        transit=transit,
        rasters=[raster],
        timeline=timeline,
        bandwidth_km=25.0,
        evaluation=sample_evaluation(seed=seed, text=text) if evaluation else None,
        model_report=model_report,
        hotspots=summary,
    )


#: Features of the sample fitted model (their ``__share`` columns), and their descriptions.
SAMPLE_MODEL_FEATURES = {
    "count_365d": "events in the cell in the last 365 days (log1p)",
    "kde_100km": "events around the cell, quartic kernel of 100 km (log)",
    "vessel_hours__missing": "1 where factor 'vessel_hours' does not cover the cell",
    "nightlights_mean": "factor 'nightlights_mean' (log1p)",
    "recency": "days since the last event within 25 km (log1p)",
    "distinct_vessels": "factor 'distinct_vessels' (log1p)",
}


def _add_fitted(
    scores: pd.DataFrame, rng: np.random.Generator, text: str | None
) -> tuple[pd.DataFrame, dict]:
    n = len(scores)
    names = list(SAMPLE_MODEL_FEATURES)
    if text is not None:
        names[-1] = text
    shares = np.exp(rng.normal(0.0, 0.6, (n, len(names))))
    quiet = rng.random(n) < 0.1
    shares[quiet] = np.nan
    area = np.exp(rng.normal(0.0, 0.1, n))
    rr = np.where(quiet, np.exp(rng.normal(-1.0, 0.3, n)), shares.prod(axis=1) * area)
    expected = 0.03 * rr
    out = scores.copy()
    out["expected_events"] = expected
    out["p_any_event"] = -np.expm1(-expected)
    out["relative_risk"] = rr
    out["area__share"] = area
    for j, name in enumerate(names):
        out[name + "__share"] = shares[:, j]
    return out, sample_model_report(names, text=text)


def sample_model_report(
    features: list[str] | None = None, *, text: str | None = None, fallback: str | None = None
) -> dict:
    """Return a report shaped like :meth:`pipeline.model.FittedModel.report` (made up).

    Parameters
    ----------
    features : list of str, optional
        The selected features (default: those of ``sample_map_data(fitted=True)``); two more
        candidates are reported as not selected.
    text : str, optional
        Put in every text of the report: the family's reason, a factor name and description,
        a reason for dropping a factor.
    fallback : str, optional
        Report a fallback (no fit) for this reason: no factor then.

    Examples
    --------
    >>> r = sample_model_report(["count_365d"])
    >>> [f["name"] for f in r["factors"] if f["selected"]], r["model"]
    (['count_365d'], 'poisson')
    """
    features = list(SAMPLE_MODEL_FEATURES) if features is None else list(features)
    base: dict = {
        "model": "fallback" if fallback else "poisson",
        "origin": "2024-06-30T23:59:59.999999+00:00",
        "horizon_days": 91.0,
        "train_days": 730.0,
        "n_cells": 981,
        "n_events": 575,
        "expected_total": 65.46,
        "fallback": fallback,
    }
    if fallback:
        base["why"] = f"fallback: {fallback}. Expected events = 91/730 x own-cell count"
        base["factors"] = []
        return base
    rng = np.random.default_rng(len(features))
    rows = []
    for k, name in enumerate(features):
        coef = float(rng.normal(0.0, 0.5))
        se = 0.05 + 0.05 * k
        rows.append(
            {
                "name": name,
                "description": text if text is not None else SAMPLE_MODEL_FEATURES.get(name, name),
                "selected": True,
                "coef": coef,
                "se": se,
                "p_value": float(np.exp(-abs(coef) / se)),
                "rr_per_sd": float(np.exp(coef)),
                "rr_ci95": [float(np.exp(coef - 1.96 * se)), float(np.exp(coef + 1.96 * se))],
            }
        )
    dropped = ["count_all", "kde_25km"]
    rows += [{"name": d, "description": d, "selected": False} for d in dropped]
    base.update(
        {
            "why": text if text is not None else "Poisson: BIC 4138.2 <= negative binomial 4147.3",
            "family_bic": {"poisson": 4138.2, "negative_binomial": 4147.3},
            "selection": {"method": "bic", "steps": []},
            "dropped": [
                {"name": d, "reason": text if text is not None else "BIC 4129.5 -> 4120.5"}
                for d in dropped
            ],
            "factors": rows,
            "rr_unit": "relative risk per 1 SD of the transformed feature over the training rows",
        }
    )
    return base


def sample_hotspot_columns(
    cells: np.ndarray, risk: np.ndarray, *, seed: int = 0, text: str | None = None
) -> tuple[pd.DataFrame, dict]:
    """Gi* and emerging-trend columns shaped like :mod:`pipeline.hotspots` output, and summaries.

    Made up, not computed: z follows the risk plus noise, p is its two-sided normal p-value
    corrected by Benjamini-Hochberg, the bins and classes follow ArcGIS (±1/2/3 at
    90/95/99 %), hot cells get hot-family emerging categories and cold cells cold ones.
    With ``text``, the 99 % hot class and one emerging category are ``text``.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        ``cell``, ``gi_z``, ``gi_p``, ``gi_p_adjusted``, ``gi_bin``, ``gi_class``,
        ``emerging_category``, ``trend``, ``trend_p``; and ``{"gi_star": ..., "emerging": ...}``.
    """
    from scipy import stats

    rng = np.random.default_rng([seed, 3])
    n = len(cells)
    z = (np.asarray(risk, dtype="float64") - 50.0) / 12.0 + rng.normal(0, 1.0, n)
    p = 2 * stats.norm.sf(np.abs(z))
    p_adj = stats.false_discovery_control(p) if n else p
    level = np.select([p_adj < 0.01, p_adj < 0.05, p_adj < 0.1], [3, 2, 1], 0)
    bins = (np.sign(z) * level).astype("int64")
    labels = {
        3: "hot spot 99%",
        2: "hot spot 95%",
        1: "hot spot 90%",
        0: "not significant",
        -1: "cold spot 90%",
        -2: "cold spot 95%",
        -3: "cold spot 99%",
    }
    if text is not None:
        labels[3] = text
    hot = ["new hot spot", "consecutive hot spot", "persistent hot spot", "sporadic hot spot"]
    cold = ["sporadic cold spot", "persistent cold spot"]
    if text is not None:
        hot[-1] = text
    category = np.full(n, "no pattern detected", dtype=object)
    category[bins > 0] = np.asarray(hot, dtype=object)[rng.integers(0, len(hot), n)][bins > 0]
    category[bins < 0] = np.asarray(cold, dtype=object)[rng.integers(0, len(cold), n)][bins < 0]
    trend = np.asarray(["up", "down", "none"], dtype=object)[rng.integers(0, 3, n)]
    frame = pd.DataFrame(
        {
            S.CELL: np.asarray(cells, dtype="uint64"),
            "gi_z": z,
            "gi_p": p,
            "gi_p_adjusted": p_adj,
            "gi_bin": bins,
            "gi_class": pd.Series(bins).map(labels).to_numpy(dtype=object),
            "emerging_category": category,
            "trend": trend,
            "trend_p": rng.uniform(0, 1, n),
        }
    )
    counts = pd.Series(category).value_counts()
    summary = {
        "gi_star": {
            "cells": n,
            "classes": {labels[k]: int((bins == k).sum()) for k in range(3, -4, -1)},
            "hot_cells": int((bins > 0).sum()),
            "cold_cells": int((bins < 0).sum()),
            "neighbourhood": {"k_rings": 1},
            "weights": "binary",
            "fdr": True,
        },
        "emerging": {
            "cells": n,
            "periods": 36,
            "first_period": "2021-07",
            "last_period": "2024-06",
            "categories": {str(k): int(v) for k, v in counts.items()},
            "period": "month",
        },
    }
    return frame, summary


def sample_evaluation(
    *,
    n_origins: int = 12,
    seed: int = 0,
    text: str | None = None,
    skipped: str | None = None,
) -> dict:
    """Return a back-test result shaped like :func:`pipeline.evaluate.rolling_back_test`.

    Made up: methods ``published`` and the five baselines, hit rate and PAI at 1, 2, 5, 10
    and 20 % of the area, wins per origin of every method against every baseline and the
    published model's calibration.  With ``text`` a note and the skipped origins' reason carry
    it; with ``skipped`` the result is the "no origin could be scored" form.

    Examples
    --------
    >>> ev = sample_evaluation(n_origins=4)
    >>> len(ev["origins"]), [a["area_fraction"] for a in ev["summary"]["published"]["at"]]
    (4, [0.01, 0.02, 0.05, 0.1, 0.2])
    """
    fractions = [0.01, 0.02, 0.05, 0.1, 0.2]
    baselines = ["uniform", "all_prior_counts", "recent_counts", "kde", "density"]
    methods = ["published", *baselines]
    options = {
        "origins": n_origins,
        "horizon_days": 91.0,
        "train_days": 730.0,
        "area_fractions": fractions,
        "kde_bandwidth_km": 25.0,
    }
    notes = [text] if text is not None else []
    if skipped is not None:
        return {
            "options": options,
            "methods": methods,
            "baselines": baselines,
            "origins": [],
            "skipped_origins": [{"origin": "2024-01-01", "reason": skipped}],
            "notes": notes,
            "skipped": f"no origin could be scored ({skipped})",
        }
    rng = np.random.default_rng([seed, 4])
    skill = {
        "published": 1.3,
        "uniform": 0.0,
        "all_prior_counts": 1.2,
        "recent_counts": 0.9,
        "kde": 1.1,
        "density": 1.1,
    }
    a = np.asarray(fractions)
    hits = {}
    for m in methods:
        base = a if skill[m] == 0 else np.minimum(a ** (1.0 / (1.0 + skill[m])), 1.0)
        hits[m] = np.clip(
            base[None, :] + rng.normal(0, 0.05 * (skill[m] > 0), (n_origins, a.size)), 0, 1
        )

    def stats_of(v: np.ndarray) -> dict:
        return {
            "mean": float(v.mean()),
            "sd": float(v.std(ddof=1)) if v.size > 1 else None,
            "min": float(v.min()),
            "max": float(v.max()),
            "n": int(v.size),
            "values": v.tolist(),
        }

    summary = {
        m: {
            "at": [
                {
                    "area_fraction": f,
                    "hit_rate": stats_of(hits[m][:, j]),
                    "pai": stats_of(hits[m][:, j] / f),
                }
                for j, f in enumerate(fractions)
            ]
        }
        for m in methods
    }
    wins = {
        m: {
            b: [
                {
                    "area_fraction": f,
                    "wins": int((d := hits[m][:, j] - hits[b][:, j])[d > 1e-9].size),
                    "ties": int(d[np.abs(d) <= 1e-9].size),
                    "losses": int(d[d < -1e-9].size),
                }
                for j, f in enumerate(fractions)
            ]
            for b in baselines
            if b != m
        }
        for m in methods
    }
    origins = [
        {
            "origin": str(pd.Timestamp("2021-01-01") + pd.Timedelta(days=91 * k))[:10],
            "n_train": 200,
            "n_test": 30,
        }
        for k in range(n_origins)
    ]
    return {
        "options": options,
        "methods": methods,
        "baselines": baselines,
        "origins": origins,
        "skipped_origins": [{"origin": "2020-01-01", "reason": text or "too little history"}],
        "summary": summary,
        "wins": wins,
        "calibration": {
            "published": {
                "totals": {"expected": 139.5, "observed": 104.0, "observed_over_expected": 0.7455},
                "p_at_least_one": {"brier": 0.0462},
            }
        },
        "notes": notes,
    }
