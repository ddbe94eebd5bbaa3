"""Column-array payloads of the map layers: what route_risk.js receives (strings escaped)."""

from __future__ import annotations

import functools
import gzip
import json
import logging
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import schema as S
from ..classes import CLASS_METHODS, class_labels_for, risk_class_breaks
from ..errors import InputError
from ..grid import cell_area_km2, cells_resolutions, cells_to_latlng, to_cells
from ._assets import ASSETS
from ._escaping import escape_many, escape_text, to_js
from ._legend import (
    BLUES,
    CATEGORICAL,
    DIVERGING,
    NO_DATA_COLOUR,
    RAMP,
    SIGNIFICANCE_CLASSES,
    class_colours,
    emerging_colour,
    gi_corrected,
)
from ._model import MapData
from ._slider import timeline_payload

log = logging.getLogger(__name__)

OBSERVED = S.OBSERVED
LATEST_EVENT = S.LATEST_EVENT
SEIZURES_PREFIX = S.SEIZURES_PREFIX
EVENT_TYPE = S.EVENT_TYPE

# Columns of the fitted model (pipeline.runner.stages._score._fitted_scores) and of the hot-spot
# analysis (pipeline.hotspots; tests/test_render.py checks the names agree).
EXPECTED_EVENTS = "expected_events"
P_ANY_EVENT = "p_any_event"
RELATIVE_RISK = "relative_risk"
SHARE_SUFFIX = "__share"
AREA_SHARE = "area" + SHARE_SUFFIX
GI_Z = "gi_z"
GI_P = "gi_p"
GI_P_ADJUSTED = "gi_p_adjusted"
GI_BIN = "gi_bin"
GI_CLASS = "gi_class"
EMERGING_CATEGORY = "emerging_category"
TREND = "trend"
TREND_P = "trend_p"
#: The Gi* classes by ``gi_bin`` -3..3, as the hot-spot analysis names them in ``gi_class``.
GI_BIN_LABELS = (
    "cold spot 99%",
    "cold spot 95%",
    "cold spot 90%",
    "not significant",
    "hot spot 90%",
    "hot spot 95%",
    "hot spot 99%",
)
#: Emerging categories that mean "nothing to draw".
NO_PATTERN = ("no pattern detected", "no pattern")
#: Significant digits of the factor values a card shows (route_risk.js ``fmt``).
CARD_DIGITS = 4
#: Shares travel as round(SHARE_SCALE * ln(share)): integers, 1 % resolution.
SHARE_SCALE = 100


def bool_column(frame: pd.DataFrame, column: str, n: int) -> np.ndarray:
    """Return a boolean column as a numpy bool array: missing values are False, no column True.

    Raises
    ------
    InputError
        If the column holds values that are not booleans (e.g. text).
    """
    if column not in frame.columns:
        return np.ones(n, dtype=bool)
    try:
        return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)
    except (TypeError, ValueError):
        bad = frame[column].dropna()
        bad = bad[~bad.map(lambda v: isinstance(v, bool | np.bool_))].head(1).tolist()
        raise InputError(
            f"scores column {column!r} must hold booleans (True/False, missing = False), got "
            f"{bad[0] if bad else frame[column].dtype!r}"
        ) from None


def card_values(values) -> list:
    """Round a factor's values as a card shows them: :data:`CARD_DIGITS` significant, whole.

    route_risk.js ``fmt`` writes a value from 1,000 on as a whole number, all its digits
    (``12,345``): such a value is sent to the unit, not to 4 significant digits, which
    made 12,345 vessels read ``12,350``.  Below it, 4 significant digits per value.
    """
    return significant(values, CARD_DIGITS, whole=True)


def significant(values, digits: int = 3, *, down: bool = False, whole: bool = False) -> list:
    """Round each value to ``digits`` significant digits; NaN and infinities become None.

    The precision is per value, not the column's, so 0.000875 and 3.84 keep theirs; the
    result is the shortest decimal (byte-stable JSON).  ``down`` rounds towards minus
    infinity instead of to nearest: a p-value of 0.0996 is sent as 0.099, not 0.1, because
    the card states it beside a class or trend decided by p below 0.1 (route_risk.js's
    ``fmtP`` rounds down too, which a value already rounded up here cannot undo).  ``whole``
    never rounds to tens or more: a value of more than ``digits`` whole digits keeps them.
    """
    a = np.asarray(values, dtype="float64")
    out = a.copy()
    finite = np.isfinite(a)
    nonzero = finite & (a != 0)
    decimals = np.zeros(a.shape, dtype="int64")
    decimals[nonzero] = digits - 1 - np.floor(np.log10(np.abs(a[nonzero]))).astype("int64")
    if whole:
        decimals = np.maximum(decimals, 0)
    # 10**d is exact up to d = 22: beyond it, keep the value as it is
    for d in np.unique(decimals[nonzero & (np.abs(decimals) <= 22)]):
        m = nonzero & (decimals == d)
        if down:
            # the epsilon keeps a value already on the grid (0.828 is 827.9999... * 1e-3)
            scale = 10.0 ** int(d)
            out[m] = np.floor(a[m] * scale + 1e-9) / scale
        else:
            out[m] = np.round(a[m], int(d))
    obj = out.astype(object)
    obj[~finite] = None
    return obj.tolist()


def _codes(values: pd.Series) -> tuple[list[int], list[str]]:
    """Codes into sorted escaped labels; a missing value is -1 (shown as missing)."""
    text = values.astype(object).where(values.notna(), None)
    codes, uniques = pd.factorize(text, sort=True)
    return np.asarray(codes, dtype="int64").tolist(), escape_many([str(u) for u in uniques])


def base36(values: np.ndarray) -> str:
    """Comma-join non-negative integers (< 2**53) in base 36, vectorised."""
    if values.size == 0:
        return ""
    alphabet = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype="S1")
    width = 11  # 36**11 > 2**53
    v = values.astype("uint64").copy()
    digits = np.empty((v.size, width), dtype="uint8")
    for j in range(width - 1, -1, -1):
        digits[:, j] = v % np.uint64(36)
        v //= np.uint64(36)
    nonzero = digits != 0
    first = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), width - 1)
    chars = np.empty((values.size, width + 1), dtype="S1")
    chars[:, :width] = alphabet[digits]
    chars[:, width] = b","
    keep = np.ones(chars.shape, dtype=bool)
    keep[:, :width] = np.arange(width)[None, :] >= first[:, None]
    return chars[keep].tobytes().decode("ascii")[:-1]


def encode_cells(cells: np.ndarray) -> list[dict]:
    """Encode cells sorted by (resolution, id) as per-resolution groups of base-36 deltas."""
    res = cells_resolutions(cells).astype("int64")
    groups = []
    for r in np.unique(res):
        c = cells[res == r]
        shifted = c >> np.uint64(3 * (15 - int(r)))
        groups.append(
            {"res": int(r), "first": f"{int(c[0]):x}", "deltas": base36(np.diff(shifted))}
        )
    return groups


def sorted_cells(frame: pd.DataFrame, table: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Return ``frame`` sorted by (resolution, cell) and its uint64 cells; reject duplicates."""
    if S.CELL in frame.columns:
        cells = to_cells(frame[S.CELL].to_numpy())
    elif S.HEX_ID in frame.columns:
        cells = to_cells(frame[S.HEX_ID].astype(str).to_numpy())
    else:
        raise InputError(f"{table} table needs a {S.CELL!r} or {S.HEX_ID!r} column")
    order = np.lexsort((cells, cells_resolutions(cells))) if cells.size else np.arange(0)
    cells = cells[order]
    dup = np.flatnonzero(cells[1:] == cells[:-1]) if cells.size else np.empty(0, int)
    if dup.size:
        raise InputError(
            f"{table} table has duplicate cells, e.g. {format(int(cells[dup[0]]), 'x')!r}; "
            "expected one row per cell"
        )
    return frame.iloc[order].reset_index(drop=True), cells


def validate_classes(data: MapData) -> None:
    breaks = np.asarray(data.class_breaks, dtype="float64")
    if breaks.ndim != 1 or breaks.size < 2 or not np.all(np.diff(breaks) > 0):
        raise InputError(
            f"class_breaks must be at least two increasing numbers, got {data.class_breaks!r}"
        )
    if len(data.class_labels) != breaks.size - 1:
        raise InputError(
            f"class_labels must have len(class_breaks) - 1 = {breaks.size - 1} labels, got "
            f"{data.class_labels!r}"
        )


def map_classes(data: MapData, method: str) -> MapData:
    """Return ``data`` with the risk classes the map shows: ``method`` breaks of the run.

    ``"fixed"`` keeps ``data`` as it is (its ``class_breaks`` and ``risk_class``);
    ``"quantile"`` and ``"natural"`` break the observed cells' risk
    (:func:`~pipeline.classes.risk_class_breaks`) into as many classes as there are
    labels (fewer when scores tie, with labels spread from lowest to highest) and classify
    every observed cell again, recording the method in ``class_method`` (the legend states
    it, also when the map is then drawn with ``classes="fixed"``, the classes as given).
    No-data cells keep no class.

    Raises
    ------
    InputError
        If ``method`` is not one of :data:`CLASS_METHODS`.
    """
    if method not in CLASS_METHODS:
        raise InputError(f"classes must be one of {list(CLASS_METHODS)!r}, got {method!r}")
    if method == "fixed":
        return data
    validate_classes(data)
    S.require_columns(data.scores, [S.RISK], "scores")
    scores = data.scores.copy()
    observed = bool_column(scores, OBSERVED, len(scores))
    risk = pd.to_numeric(scores[S.RISK], errors="coerce").to_numpy(dtype="float64")
    breaks = risk_class_breaks(risk[observed], method, len(data.class_labels))
    labels = class_labels_for(list(data.class_labels), breaks.size - 1)
    codes = np.clip(
        np.searchsorted(breaks, np.round(risk, 1), side="right") - 1, 0, len(labels) - 1
    )
    cls = np.asarray(labels, dtype=object)[codes]
    scores[S.RISK_CLASS] = np.where(observed & np.isfinite(risk), cls, None)
    return replace(
        data,
        scores=scores,
        class_breaks=breaks.tolist(),
        class_labels=labels,
        class_method=method,
    )


def class_codes(scores: pd.DataFrame, labels) -> np.ndarray:
    """Return each cell's class as an index into ``labels``, -1 for a no-data cell.

    Raises
    ------
    InputError
        If an observed cell's ``risk_class`` is not one of ``labels``.
    """
    labels = list(labels)
    observed = bool_column(scores, OBSERVED, len(scores))
    codes = pd.Index(labels).get_indexer(scores[S.RISK_CLASS].astype(object)).astype("int64")
    unknown = (codes < 0) & scores[S.RISK_CLASS].notna().to_numpy() & observed
    if unknown.any():
        bad = scores[S.RISK_CLASS].to_numpy()[np.flatnonzero(unknown)[0]]
        raise InputError(f"scores column {S.RISK_CLASS!r} has {bad!r}; expected one of {labels!r}")
    return np.where(observed, codes, -1)


def risk_payload(data: MapData, scores: pd.DataFrame, cells: np.ndarray, options) -> dict:
    """Column arrays for the risk layer and its explain card (strings escaped)."""
    n = len(scores)
    labels = list(data.class_labels)
    observed = bool_column(scores, OBSERVED, n)
    codes = class_codes(scores, labels)
    points = _card_points(data, scores, n)
    factors = []
    for k, f in enumerate(data.factors):
        covered = bool_column(scores, f.name + S.COVERED_SUFFIX, n)
        # No value of an uncovered cell reaches the page: it would read as a measured 0.
        values = np.where(covered, scores[f.name].to_numpy(dtype="float64"), np.nan)
        factors.append(
            {
                "label": escape_text(f.label),
                "unit": escape_text(f.unit),
                "description": escape_text(f.description),
                "missing": escape_text(f.missing_text),
                "weight": float(f.weight),
                # per value, as the card shows it (4 digits): rounded to the column's
                # largest value, 0.04 h beside a lane of 2,109.8 h was sent as 0
                "values": card_values(values),
                "contrib": points[:, k].tolist(),
                "covered": None if covered.all() else covered.astype("int8").tolist(),
            }
        )
    commodity_cols = [c for c in scores.columns if str(c).startswith(SEIZURES_PREFIX)]
    commodities = [
        {
            "label": escape_text(str(c)[len(SEIZURES_PREFIX) :]),
            "counts": scores[c].fillna(0).astype("int64").tolist(),
        }
        for c in commodity_cols
    ]
    latest = None
    if LATEST_EVENT in scores.columns:
        t = pd.to_datetime(scores[LATEST_EVENT], utc=True)
        days = (t - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(days=1)
        day = days.to_numpy(dtype="float64", na_value=np.nan)
        unknown = np.isnan(day)
        latest = np.where(unknown, 0, day).astype("int64").tolist()  # not one isna a cell
        for i in np.flatnonzero(unknown).tolist():
            latest[i] = None
    confidence = None
    if {S.CONFIDENCE, S.SEIZURES_WITHIN_BANDWIDTH} <= set(scores.columns):
        codes_c, uniques = pd.factorize(scores[S.CONFIDENCE].astype(str), sort=True)
        confidence = {
            "labels": escape_many(list(uniques)),
            "code": codes_c.tolist(),
            "near": scores[S.SEIZURES_WITHIN_BANDWIDTH].fillna(0).astype("int64").tolist(),
            "bandwidthKm": None if data.bandwidth_km is None else float(data.bandwidth_km),
        }
    return {
        "key": "risk",
        "kind": "risk",
        "z": 1,
        "title": escape_text("Cell"),
        "cells": encode_cells(cells),
        "cls": codes.tolist(),
        "observed": observed.astype("int8").tolist(),
        "risk": np.round(scores[S.RISK].to_numpy(dtype="float64"), 1).tolist(),
        "labels": escape_many(labels),
        "breaks": [float(b) for b in data.class_breaks],
        # the unit of the current risk, as the legend says it: a fitted model's risk is a
        # percentile of expected events per km², a weighted score's points of 100
        "riskUnit": "" if data.model_report is not None else " points",
        "colors": class_colours(len(labels), options),
        "noDataColor": NO_DATA_COLOUR,
        "opacity": float(options.hex_opacity),
        "palettes": {"ramp": RAMP, "diverging": DIVERGING, "categorical": CATEGORICAL},
        "factors": factors,
        "commodities": commodities,
        "latest": latest,
        "confidence": confidence,
        "fitted": fitted_payload(scores, data.model_report),
        "hotspot": hotspot_payload(scores, data.hotspots),
        "uncertainty": uncertainty_payload(scores, data.hotspots),
        "timeline": timeline_payload(data.timeline, cells),
    }


def _card_points(data: MapData, scores: pd.DataFrame, n: int) -> np.ndarray:
    """Each factor's points as the card lists them: to 0.01, rounded together per cell.

    The card's total row adds the listed points of the factors covering the cell, and says
    it is the risk (a weighted score) or the weighted view's total.  Each rounded alone, up
    to eight factors were 0.04 off together: a weighted piracy map read 'Risk 43.2' over a
    total of 43.14 in 4 % of its cells (5 % of the demo's).  Rounded together (largest
    remainder) the covered points add up to the total rounded to 0.01; a factor not covering
    the cell keeps its own (0, shown as "not counted").
    """
    if not data.factors:
        return np.empty((n, 0))
    own, covered = [], []
    for f in data.factors:
        contrib = f.name + S.CONTRIB_SUFFIX
        S.require_columns(scores, [f.name, contrib], "scores")
        own.append(scores[contrib].to_numpy(dtype="float64"))
        covered.append(bool_column(scores, f.name + S.COVERED_SUFFIX, n))
    raw, cov = np.column_stack(own), np.column_stack(covered)
    together = _rounded_together(np.where(cov & np.isfinite(raw), 100.0 * raw, np.nan)) / 100.0
    return np.where(np.isfinite(together), together, np.round(raw, 2))


def fitted_payload(scores: pd.DataFrame, report: dict | None) -> dict | None:
    """Return the fitted model's card rows: expected events, P(any), relative risk, shares.

    None when ``scores`` has no ``expected_events`` column (the weighted model).  Missing
    values are None (the card says "not available"), never 0.

    The card shows each cell's :data:`TOP_SHARES` largest multiplicative shares (by
    ``|ln share|``) and the product of the rest, so only those travel: per rank ``k`` the
    share's index into ``labels`` and its code ``round(SHARE_SCALE * ln(share))`` (an integer),
    and "others", the code of the product of all shares less the codes shown (so the card's
    column multiplies to the relative risk within 0.5 %, not one rounding per share).  A cell without any factor share (a quiet cell, the
    fallback) has None everywhere: its relative risk is not area times factors, so the
    cell-area share alone is not shown either.

    Where ``relative_risk`` is ``expected_events`` over one constant (the fitted model's
    reference cell) and ``p_any_event`` is the Poisson ``1 - exp(-expected)``, within 0.1 %,
    only the constant and the rule are sent and route_risk.js derives them (about 1.2 MB
    less per 100,000 cells).
    """
    if EXPECTED_EVENTS not in scores.columns:
        return None
    report = report if isinstance(report, dict) else {}

    def values(name: str) -> np.ndarray | None:
        if name not in scores.columns:
            return None
        return pd.to_numeric(scores[name], errors="coerce").to_numpy(dtype="float64")

    expected = values(EXPECTED_EVENTS)
    assert expected is not None
    rr, p_any = values(RELATIVE_RISK), values(P_ANY_EVENT)
    rr_scale = _constant_ratio(expected, rr)
    poisson = p_any is not None and _close(p_any, -np.expm1(-expected))
    horizon = report.get("horizon_days")
    model = report.get("model")
    return {
        "expected": significant(expected, 3),
        "pAny": None if p_any is None or poisson else significant(p_any, 3),
        "pAnyPoisson": bool(poisson),
        "rr": None if rr is None or rr_scale is not None else significant(rr, 3),
        "rrScale": None if rr_scale is None else significant([rr_scale], 6)[0],
        "horizonDays": float(horizon) if isinstance(horizon, int | float) else None,
        "model": escape_text(MODEL_NAMES.get(str(model), model)) if model else "",
        "shares": _top_shares(scores),
        "shareScale": SHARE_SCALE,
    }


#: The shares a card lists; the others are multiplied into one row.
TOP_SHARES = 5


def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-3) -> bool:
    """Whether ``a`` and ``b`` are missing at the same cells and agree within ``rtol``."""
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb):
        return False
    return bool(np.all(np.abs(a[fa] - b[fa]) <= rtol * np.abs(b[fa]) + 1e-12))


def _constant_ratio(expected: np.ndarray, rr: np.ndarray | None) -> float | None:
    """Return the constant ``c`` with ``rr = expected / c`` (within 0.1 %), or None."""
    if rr is None:
        return None
    ok = np.isfinite(expected) & np.isfinite(rr) & (rr > 0) & (expected > 0)
    if not ok.any():
        return None
    c = float(np.median(expected[ok] / rr[ok]))
    return c if c > 0 and _close(rr, expected / c) else None


def _top_shares(scores: pd.DataFrame) -> dict:
    """Per rank, each cell's share index and code; the rest summed (see fitted_payload)."""
    cols = [c for c in scores.columns if str(c).endswith(SHARE_SUFFIX) and c != AREA_SHARE]
    if AREA_SHARE in scores.columns:
        cols.append(AREA_SHARE)
    labels, codes, is_factor, exact = [], [], [], []
    for c in cols:
        v = pd.to_numeric(scores[c], errors="coerce").to_numpy(dtype="float64")
        ok = np.isfinite(v) & (v > 0)
        if not ok.any():
            continue
        labels.append("cell area" if c == AREA_SHARE else str(c)[: -len(SHARE_SUFFIX)])
        exact.append(np.where(ok, np.log(np.where(ok, v, 1.0)), np.nan))
        codes.append(np.round(SHARE_SCALE * exact[-1]))
        is_factor.append(c != AREA_SHARE)
    if not codes:
        return {"labels": [], "rank": [], "codes": [], "others": None}
    m = np.column_stack(codes)
    logs = np.column_stack(exact)
    has_factor = np.isfinite(m[:, np.asarray(is_factor)]).any(axis=1)
    # largest |code| first, missing last; ties keep the column order (a stable sort)
    order = np.argsort(np.where(np.isfinite(m), -np.abs(m), np.inf), axis=1, kind="stable")
    k = min(TOP_SHARES, m.shape[1])
    top = order[:, :k]
    top_codes = np.take_along_axis(m, top, axis=1)
    shown = np.isfinite(top_codes) & has_factor[:, None]

    def column(a: np.ndarray, keep: np.ndarray) -> list:
        out = a.astype("int64").astype(object)
        out[~keep] = None
        return out.tolist()

    others = None
    if m.shape[1] <= k:
        # every share is shown: their codes are rounded together (largest remainder), so the
        # column multiplies to the relative risk within 0.5 %, as with an "others" row; each
        # rounded alone would be up to 0.5 % off per share
        top_codes = np.where(
            shown, _rounded_together(SHARE_SCALE * np.take_along_axis(logs, top, axis=1)), np.nan
        )
    if m.shape[1] > k:
        rest = np.take_along_axis(m, order[:, k:], axis=1)
        any_rest = np.isfinite(rest).any(axis=1) & has_factor
        # "others" is what the shown shares leave of the product of all shares (the
        # relative risk), so the card's column multiplies to it within 0.5 %: a sum of
        # the rounded codes of the rest would add up to one rounding error per share
        total = np.round(SHARE_SCALE * np.nansum(np.where(np.isfinite(logs), logs, 0.0), axis=1))
        shown_sum = np.nansum(np.where(shown, top_codes, 0.0), axis=1)
        others = column(total - shown_sum, any_rest)
    return {
        "labels": escape_many(labels),
        "rank": [column(top[:, j], shown[:, j]) for j in range(k)],
        "codes": [column(np.nan_to_num(top_codes[:, j]), shown[:, j]) for j in range(k)],
        "others": others,
    }


def _rounded_together(x: np.ndarray) -> np.ndarray:
    """Round each row's finite values so that they sum to the row's rounded sum.

    Largest remainder: each value is floored, and the units the floors lack go to the
    values with the largest fractions (the first of equal ones).  Each value stays within
    1 of itself; NaN stays NaN.
    """
    ok = np.isfinite(x)
    v = np.where(ok, x, 0.0)
    low = np.floor(v)
    need = (np.round(v.sum(axis=1)) - low.sum(axis=1)).astype("int64")
    frac = np.where(ok, v - low, -1.0)
    order = np.argsort(-frac, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(x.shape[1])[None, :].repeat(len(x), 0), axis=1)
    return np.where(ok, low + (rank < need[:, None]), np.nan)


#: How the card and the panel name the model families of FittedModel.report().
MODEL_NAMES = {
    "poisson": "Poisson",
    "negative_binomial": "negative binomial",
    "fallback": "fallback (no fit)",
}


def hotspot_payload(scores: pd.DataFrame, hotspots: dict | None = None) -> dict | None:
    """Gi* and emerging-trend card rows (None when ``scores`` has neither).

    ``gi_p_adjusted`` is the p the class was decided on: Benjamini-Hochberg adjusted unless
    the run's Gi* said ``fdr: false`` (``hotspots["gi_star"]["fdr"]``), when it is the
    uncorrected p and the card says so, as the legend and the panel do.
    """
    has = set(scores.columns)
    if not has & {GI_Z, GI_BIN, EMERGING_CATEGORY, TREND}:
        return None
    out: dict = {}
    if GI_Z in has:
        out["z"] = significant(pd.to_numeric(scores[GI_Z], errors="coerce"), 3)
    p_col = GI_P_ADJUSTED if GI_P_ADJUSTED in has else GI_P if GI_P in has else None
    if p_col is not None:
        out["p"] = significant(pd.to_numeric(scores[p_col], errors="coerce"), 3, down=True)
        corrected = p_col == GI_P_ADJUSTED and gi_corrected(hotspots)
        out["pLabel"] = escape_text("corrected p" if corrected else "p (not corrected)")
    if GI_CLASS in has:
        out["cls"], out["clsLabels"] = _codes(scores[GI_CLASS])
    if GI_BIN in has:
        # the published class by confidence (-3..3, None where not computed): "Colour by"
        # Gi* colours by it, never by z thresholds of its own (the class comes from the
        # exact, corrected p, so a z of 3 is often "not significant")
        bins = pd.to_numeric(scores[GI_BIN], errors="coerce").to_numpy(dtype="float64")
        known = np.isin(bins, np.arange(-3, 4))
        code = np.where(known, bins, 0).astype("int64").astype(object)
        code[~known] = None
        out["bin"] = code.tolist()
        out["binLabels"] = escape_many(list(GI_BIN_LABELS))
    if EMERGING_CATEGORY in has:
        out["category"], out["categories"] = _codes(scores[EMERGING_CATEGORY])
    if TREND in has:
        out["trend"], out["trends"] = _codes(scores[TREND])
    if TREND_P in has:
        out["trendP"] = significant(pd.to_numeric(scores[TREND_P], errors="coerce"), 2, down=True)
    return out


RISK_LOWER = "risk_lower"
RISK_UPPER = "risk_upper"
RISK_CLASS_STABILITY = "risk_class_stability"


def uncertainty_payload(scores: pd.DataFrame, hotspots: dict | None = None) -> dict | None:
    """Return the card's interval and class-stability rows (None without the interval).

    ``lower``/``upper`` are rounded to 0.1 like the risk, ``stability`` to 0.001 (a share);
    missing values are None (the card says "not computed", with ``reason`` where the run
    computed no interval at all and its summary says why).  ``level`` is the interval's
    coverage in percent, ``method`` how it was made and ``basis`` what varies across the
    resamples (``"coefficient draws"``, ``"seizure resamples"``: the card says "90 % interval
    over coefficient draws"), from ``hotspots["uncertainty"]``
    (:func:`pipeline.hotspots.bootstrap_summary` plus ``interval``, ``method`` and ``basis``)
    when given.
    """
    if not {RISK_LOWER, RISK_UPPER} <= set(scores.columns):
        return None

    def column(name: str, decimals: int) -> list:
        v = np.round(
            pd.to_numeric(scores[name], errors="coerce").to_numpy(dtype="float64"), decimals
        )
        out = v.astype(object)
        out[~np.isfinite(v)] = None
        return out.tolist()

    info = (hotspots or {}).get("uncertainty") if isinstance(hotspots, dict) else None
    info = info if isinstance(info, dict) else {}
    interval = info.get("interval")
    level = None
    if isinstance(interval, list | tuple) and len(interval) == 2:
        level = round(100.0 * (float(interval[1]) - float(interval[0])), 1)
    method = info.get("method")
    basis = info.get("basis")
    lower = column(RISK_LOWER, 1)
    # why the run computed no interval at all (one seizure position, a model with nothing to
    # draw): the card says it beside "not computed", not only the manifest
    reason = info.get("reason") if all(v is None for v in lower) else None
    return {
        "lower": lower,
        "upper": column(RISK_UPPER, 1),
        "stability": (
            column(RISK_CLASS_STABILITY, 3) if RISK_CLASS_STABILITY in scores.columns else None
        ),
        "level": level,
        "method": escape_text(str(method)) if method else "",
        "basis": escape_text(str(basis)) if basis else "",
        "reason": escape_text(str(reason)) if reason else "",
    }


def significance_payload(scores: pd.DataFrame, cells: np.ndarray) -> dict | None:
    """Outlines of the hot and cold spots by confidence (``gi_bin`` ±1..3), or None."""
    if GI_BIN not in scores.columns:
        return None
    bins = pd.to_numeric(scores[GI_BIN], errors="coerce").to_numpy(dtype="float64")
    order = [b for b, *_ in SIGNIFICANCE_CLASSES]
    code = np.full(bins.shape, -1, dtype="int64")
    for k, b in enumerate(order):
        code[bins == b] = k
    keep = code >= 0
    return {
        "key": "significance",
        "kind": "outline",
        "hover": False,
        "z": 4,
        "title": escape_text("Hot and cold spots"),
        "cells": encode_cells(cells[keep]),
        "cls": code[keep].tolist(),
        "observed": [1] * int(keep.sum()),
        "styles": [
            {"color": colour, "width": width, "dash": dash}
            for _, _, colour, width, dash in SIGNIFICANCE_CLASSES
        ],
        "colors": [colour for _, _, colour, _, _ in SIGNIFICANCE_CLASSES],
        "noDataColor": NO_DATA_COLOUR,
        "opacity": 1.0,
        "present": sorted({int(c) for c in code[keep]}),
    }


def emerging_payload(
    scores: pd.DataFrame, cells: np.ndarray
) -> tuple[dict, list[str]] | tuple[None, None]:
    """Cells with an emerging hot- or cold-spot category, filled by category.

    Returns the payload and the categories present (raw text, for the legend), or
    ``(None, None)`` without an ``emerging_category`` column.
    """
    if EMERGING_CATEGORY not in scores.columns:
        return None, None
    cat = scores[EMERGING_CATEGORY].astype(object)
    keep = (cat.notna() & ~cat.isin(NO_PATTERN)).to_numpy()
    names = category_order(cat[keep].astype(str).unique().tolist())
    code = pd.Index(names).get_indexer(cat[keep].astype(str)).astype("int64")
    payload = {
        "key": "emerging",
        "kind": "value",
        "hover": False,
        "z": 3,
        "title": escape_text("Emerging trend"),
        "cells": encode_cells(cells[keep]),
        "cls": code.tolist(),
        "observed": [1] * int(keep.sum()),
        "labels": escape_many(names),
        "colors": [emerging_colour(name, k) for k, name in enumerate(names)],
        "noDataColor": NO_DATA_COLOUR,
        "opacity": 0.75,
    }
    return payload, names


def category_order(names: list[str]) -> list[str]:
    """Emerging categories in ArcGIS order (hot family, cold family), unknown ones after."""
    from ._legend import EMERGING_COLOURS

    known = [c for c in EMERGING_COLOURS if c in names]
    return known + sorted(set(names) - set(known))


def transit_payload(transit: pd.DataFrame, options) -> tuple[dict, list[float]]:
    S.require_columns(transit, [S.VESSEL_HOURS], "transit")
    frame, cells = sorted_cells(transit, "transit")
    hours = frame[S.VESSEL_HOURS].to_numpy(dtype="float64")
    positive = hours[np.isfinite(hours) & (hours > 0)]
    edges = (
        np.unique(np.quantile(positive, np.linspace(0, 1, len(BLUES) + 1)))
        if positive.size
        else np.array([0.0, 1.0])
    )
    if edges.size < 2:
        edges = np.array([edges[0], edges[0] + 1.0])
    # the quantiles are of the cells with traffic, but a cell of 0 h is drawn in the lowest
    # class too: its row starts at 0, not at the least positive value ("0.52–3.1 h" held
    # cells of no traffic at all)
    finite = hours[np.isfinite(hours)]
    if finite.size and finite.min() < edges[0]:
        edges = np.r_[finite.min(), edges[1:]]
    # classes of the values as the cards and the legend write them (as the risk layer
    # classes the risk as shown): unrounded, a cell whose card read "2,110" lay in the class
    # below or above a legend edge of "2,110" by digits no one saw
    edges = np.unique(np.asarray(card_values(edges), dtype="float64"))
    if edges.size < 2:
        edges = np.array([edges[0], edges[0] + 1.0])
    shown = np.asarray(card_values(hours), dtype="float64")
    codes = np.clip(np.searchsorted(edges, shown, side="right") - 1, 0, edges.size - 2)
    codes = np.where(np.isfinite(hours), codes, -1)
    n_classes = edges.size - 1
    payload = {
        "key": "transit",
        "kind": "value",
        "title": escape_text("Transit"),
        "valueLabel": escape_text("Vessel-hours"),
        "unit": escape_text("h"),
        "cells": encode_cells(cells),
        "values": card_values(hours),
        "cls": codes.astype(int).tolist(),
        "colors": BLUES[-n_classes:],
        "noDataColor": NO_DATA_COLOUR,
        "opacity": 0.6,
        "observed": [1] * len(frame),
    }
    return payload, edges.tolist()


def _iso(series: pd.Series, fmt: str = "%Y-%m-%d %H:%M UTC") -> list[str]:
    t = pd.to_datetime(series, utc=True)
    return escape_many(t.dt.strftime(fmt).where(t.notna(), None))


def _kinds(values: pd.Series) -> tuple[list[int], list[str], list[str]]:
    cat = pd.Categorical(values.fillna("unknown").astype(str))
    names = list(cat.categories)
    colours = [CATEGORICAL[i % len(CATEGORICAL)] for i in range(len(names))]
    return np.asarray(cat.codes).tolist(), escape_many(names), colours


#: Latitude where Web Mercator, the web map's projection, ends (Leaflet's limit).
MERCATOR_MAX_LAT = 85.0511287798


def mercator_note(cells: np.ndarray) -> str | None:
    """Return a sentence on the cells a Web Mercator map cannot draw, or None when none.

    A cell whose centre lies beyond 85.05° N or S (the Arctic Ocean round the pole, the
    Antarctic interior) is off the web map's edge, or a sliver on it: scored and exported,
    it would be missing from the map without a word.
    """
    if not len(cells):
        return None
    lat, _ = cells_to_latlng(cells)
    beyond = np.abs(lat) > MERCATOR_MAX_LAT
    if not beyond.any():
        return None
    n = int(beyond.sum())
    sides = " and ".join(side for side, m in (("N", lat > 0), ("S", lat < 0)) if (beyond & m).any())
    return (
        f"{n:,} of {len(cells):,} scored cells lie beyond 85.05° {sides}, where the web "
        "map (Web Mercator) cannot draw them: their scores are in scores.csv and the GIS "
        "exports, and the preview PNG shows them"
    )


def view_bounds(cells: np.ndarray) -> list[list[float]]:
    """Return the view of the cells: their extent padded by one cell, antimeridian-aware.

    ``[[lat_min, lon_min], [lat_max, lon_max]]``; the longitudes are one continuous range,
    past 180° for an area across the antimeridian (178°E..178°W is 178..182).  The range is
    the circle of longitudes less its widest stretch holding no cell: the view is cut where
    nothing is (cells at 10, 100, 170, -170 and -10 are seen as -10..190, 200°, not as
    -170..170 or 10..350); where the widest empty stretch is the one across 180° (ties
    too), the view is the plain ``min..max``.
    """
    lat, lon = cells_to_latlng(cells)
    if lat.size == 0:
        return [[-60.0, -170.0], [75.0, 170.0]]
    pad_lat = float(np.sqrt(np.max(cell_area_km2(cells[:: max(1, cells.size // 1000)])))) / 111.0
    lon0, lon1 = float(lon.min()), float(lon.max())
    if lon1 - lon0 > 180:
        u = np.unique(lon)
        gaps = np.diff(u)
        i = int(np.argmax(gaps))
        if gaps[i] > 360.0 - (lon1 - lon0):  # an empty stretch wider than the one across 180°
            lon0, lon1 = float(u[i + 1]), float(u[i]) + 360.0
    lat0, lat1 = float(lat.min()) - pad_lat, float(lat.max()) + pad_lat
    pad_lon = pad_lat / max(np.cos(np.radians(min(max(abs(lat0), abs(lat1)), 85.0))), 0.05)
    # cells beyond the map's edge (a theatre round the pole) frame the edge, south below north
    lat0, lat1 = min(max(lat0, -85.0), 84.0), max(min(lat1, 85.0), -84.0)
    return [[lat0, lon0 - pad_lon], [lat1, lon1 + pad_lon]]


def wrap_lon(lon, centre: float) -> np.ndarray:
    """Return longitudes shifted by whole turns into ``[centre - 180, centre + 180)``.

    The map's view is one continuous longitude range around ``centre`` (which may lie past
    180° for an area across the antimeridian, e.g. Fiji at 178°E..178°W is 178..182): a
    point at -179° is drawn at 181°, beside its neighbours, not 360° away.
    """
    a = np.asarray(lon, dtype="float64")
    return np.mod(a - centre + 180.0, 360.0) - 180.0 + centre


def seizure_payload(seizures: pd.DataFrame, options, centre: float = 0.0) -> dict:
    S.require_columns(seizures, [S.TIME, S.LON, S.LAT], "seizures")
    pts = seizures.dropna(subset=[S.LON, S.LAT])
    if len(pts) > options.max_seizure_points:
        log.info("showing the %d most recent of %d seizures", options.max_seizure_points, len(pts))
        pts = pts.sort_values(S.TIME, ascending=False).head(options.max_seizure_points)
    n = len(pts)
    col = lambda name: pts[name] if name in pts.columns else pd.Series([None] * n, index=pts.index)  # noqa: E731
    kind, kinds, colours = _kinds(col(S.COMMODITY))
    return {
        "key": "seizures",
        "cluster": True,
        "lat": np.round(pts[S.LAT].to_numpy(dtype="float64"), 5).tolist(),
        "lon": np.round(wrap_lon(pts[S.LON], centre), 5).tolist(),
        "kind": kind,
        "kinds": kinds,
        "colors": colours,
        "date": _iso(pts[S.TIME], "%Y-%m-%d"),
        "quantity": np.round(
            pd.to_numeric(col(S.QUANTITY), errors="coerce").to_numpy(dtype="float64"), 3
        ).tolist(),
        "agency": escape_many(col(S.AGENCY)),
        "note": escape_many(col(S.NOTE)),
    }


def event_payload(events: pd.DataFrame, options, centre: float = 0.0) -> dict:
    S.require_columns(events, [EVENT_TYPE, S.LON, S.LAT], "events")
    ev = events.dropna(subset=[S.LON, S.LAT])
    if len(ev) > options.max_event_points and "start_time" in ev.columns:
        ev = ev.sort_values("start_time", ascending=False).head(options.max_event_points)
    n = len(ev)
    col = lambda name: ev[name] if name in ev.columns else pd.Series([None] * n, index=ev.index)  # noqa: E731
    kind, kinds, colours = _kinds(ev[EVENT_TYPE])
    return {
        "key": "events",
        "cluster": False,
        "lat": np.round(ev[S.LAT].to_numpy(dtype="float64"), 5).tolist(),
        "lon": np.round(wrap_lon(ev[S.LON], centre), 5).tolist(),
        "kind": kind,
        "kinds": kinds,
        "colors": colours,
        "vessel": escape_many(col(S.VESSEL_ID)),
        "other": escape_many(col("other_vessel_id")),
        "start": _iso(col("start_time")),
        "end": _iso(col("end_time")),
        "hours": np.round(
            pd.to_numeric(col("duration_hours"), errors="coerce").to_numpy(dtype="float64"), 2
        ).tolist(),
    }


def ports_payload(ports: pd.DataFrame, centre: float) -> dict:
    """Ports for route_risk.js: escaped names and positions in the view's longitude range."""
    S.require_columns(ports, [S.LON, S.LAT], "ports")
    pts = ports.dropna(subset=[S.LON, S.LAT])
    names = pts["name"] if "name" in pts.columns else pd.Series([None] * len(pts), index=pts.index)
    return {
        "key": "ports",
        "kind": "ports",
        "names": escape_many(names),
        "lat": np.round(pts[S.LAT].to_numpy(dtype="float64"), 5).tolist(),
        "lon": np.round(wrap_lon(pts[S.LON], centre), 5).tolist(),
    }


def lanes_payload(lanes: gpd.GeoDataFrame) -> dict:
    """Shipping lanes for route_risk.js as GeoJSON lines (1e-3 degree precision).

    route_risk.js unwraps them across the antimeridian and draws three world copies (the
    basemap draws the copies east and west of the middle one only once the view reaches them).
    """
    gs = lanes.geometry
    if gs.crs is not None and not gs.crs.equals("EPSG:4326"):
        gs = gs.to_crs("EPSG:4326")
    gs = gs[gs.notna() & ~gs.is_empty]
    # a lane given as an area (a fairway, a separation zone) is drawn as its outline
    areas = gs.geom_type.isin(["Polygon", "MultiPolygon"])
    gs = gs.where(~areas, gs.boundary)
    gs = gs[gs.geom_type.isin(["LineString", "MultiLineString"])].set_precision(0.001)
    geojson = json.loads(gpd.GeoDataFrame(geometry=gs.reset_index(drop=True)).to_json(drop_id=True))
    for feat in geojson["features"]:
        feat["properties"] = {}
    return {"key": "lanes", "kind": "lanes", "geojson": geojson}


#: Natural Earth scales of the bundled basemap (world-atlas TopoJSON files).
BASEMAP_SCALES = ("50m", "10m", "110m")


def basemap_topology(scale: str = "50m") -> dict:
    """Return the bundled world-atlas topology (``land`` and ``countries``) at ``scale``.

    Raises
    ------
    InputError
        If ``scale`` is not one of :data:`BASEMAP_SCALES`.
    """
    return json.loads(_topology_text(scale))


def basemap_js(basemap: gpd.GeoDataFrame | None, scale: str = "50m") -> str:
    """Return :func:`basemap_payload` as a JavaScript literal (:func:`to_js`).

    The bundled topology files are compact JSON already, so their text is used as it is
    (the bytes ``to_js`` gives after parsing them, which a test checks) instead of being
    parsed and serialised again on every run.
    """
    if basemap is not None:
        return to_js(basemap_payload(basemap, scale))
    text = '{"topology":' + _topology_text(scale).strip() + "}"
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@functools.cache
def _topology_text(scale: str) -> str:
    """Return the text of the bundled topology file at ``scale`` (read once per process)."""
    if scale not in BASEMAP_SCALES:
        raise InputError(f"basemap must be one of {list(BASEMAP_SCALES)!r}, got {scale!r}")
    path = ASSETS / "world-atlas" / f"countries-{scale}.json"
    if not path.exists():  # the 1:10m file is stored gzipped (3.6 MB -> 0.9 MB in the package)
        with gzip.open(path.with_name(path.name + ".gz"), "rt", encoding="utf-8") as f:
            return f.read()
    return path.read_text("utf-8")


def basemap_payload(basemap: gpd.GeoDataFrame | None, scale: str = "50m") -> dict:
    """Return the basemap for route_risk.js: the bundled topology, or ``basemap`` as GeoJSON.

    Either way route_risk.js unwraps every ring and line across the antimeridian (world-atlas
    stitches Natural Earth's polygons, so Fiji and Chukotka cross it and Antarctica circles
    the pole) and draws it in the world copies the view reaches (the middle one, and the one
    east or west of it once the view crosses 180°).
    """
    if basemap is None:
        return {"topology": basemap_topology(scale)}
    gs = basemap.geometry
    if gs.crs is not None and not gs.crs.equals("EPSG:4326"):
        gs = gs.to_crs("EPSG:4326")
    gs = gs[gs.notna() & ~gs.is_empty].set_precision(0.001)
    geojson = json.loads(gpd.GeoDataFrame(geometry=gs.reset_index(drop=True)).to_json(drop_id=True))
    for feat in geojson["features"]:
        feat["properties"] = {}
    return {"geojson": geojson}
