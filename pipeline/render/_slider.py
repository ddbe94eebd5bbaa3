"""The month slider: risk per cell and month on one colour scale, and the control that shows it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from ..errors import InputError
from ..grid import to_cells
from ..timeline import RISK_DECIMALS
from ._escaping import escape_many, escape_text, to_js

#: Optional columns of the timeline table (see :func:`pipeline.timeline.score_timeline`).
TIMELINE_CLASS = "class"
PRESENT_DATA_FACTORS = "present_data_factors"
MISSING_FACTORS = "missing_factors"
#: ``attrs`` key of the timeline table: the factors that are a fixed geography (the same in
#: every month: a distance to the coast), which no month counts as present data.
FIXED_GEOGRAPHY = "fixed_geography"


def _text_codes(column: pd.Series, missing: str = "nan") -> tuple[np.ndarray, list[str]]:
    """Return codes into the distinct texts of a column (``str`` of each value; ``missing``).

    Only the distinct values are turned into text (through a categorical's codes, or
    :func:`pandas.factorize`): converting half a million rows to text takes a second.
    Only the texts that occur are returned.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        raw = column.cat.codes.to_numpy().astype("int64")
        values = list(column.cat.categories)
    else:
        raw, uniques = pd.factorize(column)
        values = list(uniques)
    names = [str(v) for v in values] + [missing]
    raw = np.where(raw < 0, len(names) - 1, raw)
    merged, texts = pd.factorize(np.array(names, dtype=object))  # 1 and "1" are one text
    used, codes = np.unique(merged[raw], return_inverse=True)
    return codes.ravel(), [str(texts[k]) for k in used.tolist()]


def timeline_payload(timeline: pd.DataFrame | None, cells: np.ndarray) -> dict | None:
    """Return the slider's months and, per month, the risk and class of each of ``cells``.

    Parameters
    ----------
    timeline : pandas.DataFrame or None
        ``cell``, ``period`` ('YYYY-MM'), ``risk``; optionally ``class`` (the class index on
        the timeline's one scale, -1 for no data) and ``present_data_factors`` (the factors
        that month takes from today, comma-separated) and ``missing_factors`` (those with no
        data in any cell that month), and ``attrs["breaks"]`` (the scale's
        breaks), ``attrs["scale"]`` and ``attrs["fixed_geography"]`` (the factors that are
        the same in every month).  Several rows of a cell and month are averaged (the
        class of the first is kept).  None or empty: no slider.
    cells : numpy.ndarray of uint64
        The risk layer's cells, in its order.

    Returns
    -------
    dict or None
        ``periods`` (escaped, sorted), ``risk`` (one list per period, aligned with ``cells``,
        rounded to 0.01 as the table is, or to 0.1 without a ``class`` column, None where
        the cell has no value that month), ``cls`` (the same for
        the class; None without a ``class`` column: the page classes the risk with the map's
        breaks), ``breaks`` (the scale's breaks, or None for the map's), ``present`` (per
        period, the escaped factors taken from today, "" for none), ``missing`` (per period,
        the escaped factors with no data in any cell that month, "" for none), ``fixed`` (the escaped
        factors that are a fixed geography, the same in every month; "" for none).

    Raises
    ------
    InputError
        If a row has no period (the slider would show a month called "nan").
    """
    if timeline is None or not len(timeline):
        return None
    S.require_columns(timeline, [S.CELL, S.PERIOD, S.RISK], "timeline")
    no_period = timeline[S.PERIOD].isna().to_numpy()
    if no_period.any():
        # a month the slider would call "nan": refused, as a missing value is never a value
        raise InputError(
            f"timeline: {int(no_period.sum())} row(s) without a period (the first is row "
            f"{timeline.index[no_period.argmax()]!r}); expected 'YYYY-MM'"
        )
    # One flat (period, cell) index per row, then sums and counts by np.bincount: a pivot
    # table of half a million rows takes a second, this a few hundredths.
    period_codes, period_names = _text_codes(timeline[S.PERIOD])
    periods = sorted(period_names)
    rank = np.empty(len(periods), dtype="int64")
    rank[np.argsort(np.asarray(period_names, dtype=object))] = np.arange(len(periods))
    p = rank[period_codes]
    c = pd.Index(np.asarray(cells, dtype="uint64")).get_indexer(
        to_cells(timeline[S.CELL].to_numpy())
    )
    n_cells = len(cells)
    keep = c >= 0
    flat = p[keep] * n_cells + c[keep]
    risk = pd.to_numeric(timeline[S.RISK], errors="coerce").to_numpy(dtype="float64")[keep]
    valid = ~np.isnan(risk)
    size = len(periods) * n_cells
    sums = np.bincount(flat[valid], weights=risk[valid], minlength=size)
    counts = np.bincount(flat[valid], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    # With the table's classes the risk keeps the table's precision (its breaks lie on that
    # grid: 1.35 under a break of 1.36 must not read "1.4"); without them the page classes
    # the risk with the map's breaks, which class the risk rounded to 0.1.
    decimals = RISK_DECIMALS if TIMELINE_CLASS in timeline.columns else 1
    matrix = np.round(mean.reshape(len(periods), n_cells), decimals)
    risk_rows = matrix.astype(object)
    risk_rows[np.isnan(matrix)] = None
    out: dict = {
        "periods": escape_many(periods),
        "risk": risk_rows.tolist(),
        "cls": None,
        "breaks": None,
        "present": [""] * len(periods),
        "missing": [""] * len(periods),
        "fixed": escape_text(
            ", ".join(str(x).replace("_", " ") for x in timeline.attrs.get(FIXED_GEOGRAPHY) or ())
        ),
    }
    if TIMELINE_CLASS in timeline.columns:
        # the class of the first row of a cell and month; -1 where there is none
        cls_values = pd.to_numeric(timeline[TIMELINE_CLASS], errors="coerce").to_numpy()[keep]
        seen, first = np.unique(flat, return_index=True)
        cls = np.full(size, -1.0)
        cls[seen] = cls_values[first]
        cls = np.where(np.isnan(cls), -1, cls).astype("int64")
        out["cls"] = cls.reshape(len(periods), n_cells).tolist()
    breaks = timeline.attrs.get("breaks")
    if breaks is not None and out["cls"] is not None:
        out["breaks"] = [float(b) for b in breaks]
    seen_p, first_p = np.unique(p, return_index=True)
    for column, key in ((PRESENT_DATA_FACTORS, "present"), (MISSING_FACTORS, "missing")):
        if column not in timeline.columns:
            continue
        codes, names = _text_codes(timeline[column], missing="")
        per = [""] * len(periods)
        for k, i in zip(seen_p.tolist(), first_p.tolist(), strict=True):
            per[k] = names[codes[i]]
        out[key] = [
            escape_text(", ".join(x.replace("_", " ") for x in s.split(",") if x)) for s in per
        ]
    return out


def slider_script(map_element, layer_element, periods: list[str]) -> tuple:
    """Return the parts of the map-script line that adds the slider (``periods`` escaped)."""
    return ("routeRisk.timeSlider(", map_element, ", ", layer_element, f", {to_js(periods)});")
