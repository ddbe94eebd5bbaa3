"""The month slider: risk per cell and month on one colour scale, and the control that shows it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from ..grid import to_cells
from ._escaping import escape_many, escape_text, to_js

#: Optional columns of the timeline table (see :func:`pipeline.timeline.score_timeline`).
TIMELINE_CLASS = "class"
PRESENT_DATA_FACTORS = "present_data_factors"


def timeline_payload(timeline: pd.DataFrame | None, cells: np.ndarray) -> dict | None:
    """Return the slider's months and, per month, the risk and class of each of ``cells``.

    Parameters
    ----------
    timeline : pandas.DataFrame or None
        ``cell``, ``period`` ('YYYY-MM'), ``risk``; optionally ``class`` (the class index on
        the timeline's one scale, -1 for no data) and ``present_data_factors`` (the factors
        that month takes from today, comma-separated), and ``attrs["breaks"]`` (the scale's
        breaks) and ``attrs["scale"]``.  Several rows of a cell and month are averaged (the
        class of the first is kept).  None or empty: no slider.
    cells : numpy.ndarray of uint64
        The risk layer's cells, in its order.

    Returns
    -------
    dict or None
        ``periods`` (escaped, sorted), ``risk`` (one list per period, aligned with ``cells``,
        rounded to 0.1, None where the cell has no value that month), ``cls`` (the same for
        the class; None without a ``class`` column: the page classes the risk with the map's
        breaks), ``breaks`` (the scale's breaks, or None for the map's), ``present`` (per
        period, the escaped factors taken from today, "" for none).
    """
    if timeline is None or not len(timeline):
        return None
    S.require_columns(timeline, [S.CELL, S.PERIOD, S.RISK], "timeline")
    frame = pd.DataFrame(
        {
            "cell": to_cells(timeline[S.CELL].to_numpy()),
            "period": timeline[S.PERIOD].astype(str).to_numpy(),
            "risk": pd.to_numeric(timeline[S.RISK], errors="coerce").to_numpy(),
        }
    )
    index = pd.Index(cells, name="cell")
    wide = frame.pivot_table(
        index="cell", columns="period", values="risk", aggfunc="mean", dropna=False
    ).reindex(index)
    periods = sorted(frame["period"].unique())
    wide = wide.reindex(columns=periods)
    matrix = np.round(wide.to_numpy(dtype="float64").T, 1)
    risk_rows = matrix.astype(object)
    risk_rows[np.isnan(matrix)] = None
    out: dict = {
        "periods": escape_many(periods),
        "risk": risk_rows.tolist(),
        "cls": None,
        "breaks": None,
        "present": [""] * len(periods),
    }
    if TIMELINE_CLASS in timeline.columns:
        frame["cls"] = pd.to_numeric(timeline[TIMELINE_CLASS], errors="coerce").to_numpy()
        cls = (
            frame.drop_duplicates(["cell", "period"])
            .pivot(index="cell", columns="period", values="cls")
            .reindex(index)
            .reindex(columns=periods)
            .fillna(-1)
            .to_numpy(dtype="int64")
            .T
        )
        out["cls"] = cls.tolist()
    breaks = timeline.attrs.get("breaks")
    if breaks is not None and out["cls"] is not None:
        out["breaks"] = [float(b) for b in breaks]
    if PRESENT_DATA_FACTORS in timeline.columns:
        present = (
            pd.Series(timeline[PRESENT_DATA_FACTORS].fillna("").astype(str).to_numpy())
            .groupby(frame["period"].to_numpy())
            .first()
            .reindex(periods)
            .fillna("")
        )
        out["present"] = [
            escape_text(", ".join(p.replace("_", " ") for p in s.split(",") if p))
            for s in present.tolist()
        ]
    return out


def slider_script(map_element, layer_element, periods: list[str]) -> tuple:
    """Return the parts of the map-script line that adds the slider (``periods`` escaped)."""
    return ("routeRisk.timeSlider(", map_element, ", ", layer_element, f", {to_js(periods)});")
