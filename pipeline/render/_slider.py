"""The month slider: risk per cell and month, and the control that recolours the hexagons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from ..grid import to_cells
from ._escaping import escape_many, to_js


def timeline_payload(timeline: pd.DataFrame | None, cells: np.ndarray) -> dict | None:
    """Return the slider's months and, per month, the risk of each of ``cells`` (or None).

    Parameters
    ----------
    timeline : pandas.DataFrame or None
        ``cell``, ``period`` ('YYYY-MM'), ``risk``; several rows of a cell and month are
        averaged.  None or empty: no slider.
    cells : numpy.ndarray of uint64
        The risk layer's cells, in its order.

    Returns
    -------
    dict or None
        ``periods`` (escaped, sorted) and ``risk`` (one list per period, aligned with
        ``cells``, rounded to 0.1, None where the cell has no value that month).
    """
    if timeline is None or not len(timeline):
        return None
    S.require_columns(timeline, [S.CELL, S.PERIOD, S.RISK], "timeline")
    tl_cells = to_cells(timeline[S.CELL].to_numpy())
    wide = (
        pd.DataFrame(
            {"cell": tl_cells, "period": timeline[S.PERIOD].astype(str), "risk": timeline[S.RISK]}
        )
        .pivot_table(index="cell", columns="period", values="risk", aggfunc="mean")
        .reindex(pd.Index(cells, name="cell"))
    )
    periods = sorted(wide.columns)
    matrix = np.round(wide[periods].to_numpy(dtype="float64").T, 1)
    risk_rows = matrix.astype(object)
    risk_rows[np.isnan(matrix)] = None
    return {"periods": escape_many(periods), "risk": risk_rows.tolist()}


def slider_script(map_element, layer_element, periods: list[str]) -> tuple:
    """Return the parts of the map-script line that adds the slider (``periods`` escaped)."""
    return ("routeRisk.timeSlider(", map_element, ", ", layer_element, f", {to_js(periods)});")
