"""The transit layer classes each cell by its value as the card and the legend write it.

Its class edges were quantiles of the raw vessel-hours and each cell was classed by its raw
value, while the card writes a value from 1,000 h on as a whole number and the legend writes
the edges the same way: a cell whose card read "2,110 h" lay in the class "1,500–2,110 h" or in
"2,110–3,000 h" by digits no one saw (hHF's left-alone item).  Now the edges are the numbers
the legend writes and the cells are classed by the numbers their cards write, as the risk layer
classes the risk as shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _maps import decode_like_js

from pipeline import schema as S
from pipeline.render import RenderOptions
from pipeline.render._legend import format_number
from pipeline.render._payload import BLUES, transit_payload
from pipeline.testing import sample_cells


def _layer(hours):
    hours = np.asarray(hours, dtype="float64")
    cells = sample_cells(hours.size, seed=11)
    payload, edges = transit_payload(
        pd.DataFrame({S.CELL: cells, S.VESSEL_HOURS: hours}), RenderOptions()
    )
    order = decode_like_js(payload["cells"])
    value = pd.Series(hours, index=cells)[order].to_numpy()
    return payload, np.asarray(edges), value


def _class_texts(edges) -> list[tuple[str, str]]:
    return [
        (format_number(a), format_number(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]


def test_cells_shown_alike_beside_an_edge_are_in_the_class_that_edge_opens():
    # 13 cells in five classes: the 40 % quantile lies at 0.8 of the way from the fifth
    # value (2,110.2) to the sixth (2,110.4)
    hours = np.r_[np.linspace(100.0, 2_000.0, 4), 2_110.2, 2_110.4, np.linspace(2_200, 9_000, 7)]
    payload, edges, value = _layer(hours)
    raw_edges = np.unique(np.quantile(hours, np.linspace(0, 1, len(BLUES) + 1)))
    assert ((raw_edges > 2_110.2) & (raw_edges < 2_110.4)).any()  # the case this test is about
    cls = np.asarray(payload["cls"])
    near = np.isin(value, [2_110.2, 2_110.4])
    shown = [format_number(v) for v in value[near]]
    assert shown == ["2,110", "2,110"]
    # both read "2,110": one class, the one whose legend row starts at "2,110"
    assert cls[near][0] == cls[near][1]
    assert _class_texts(edges)[cls[near][0]][0] == "2,110"


def test_every_card_lies_within_its_legend_row_as_written():
    rng = np.random.default_rng(5)
    hours = np.r_[rng.lognormal(6, 2, 400), rng.uniform(0, 3, 50), [0.0, np.nan]]
    payload, edges, value = _layer(hours)
    cls = np.asarray(payload["cls"])
    cards = np.array([np.nan if v is None else v for v in payload["values"]])
    known = np.isfinite(value)
    assert (cls[~known] == -1).all()
    lo, hi = edges[cls[known]], edges[cls[known] + 1]
    assert ((lo <= cards[known]) & (cards[known] <= hi)).all()
    # a card equal to a row's lower edge is in that row, not the row below (the top row
    # holds its upper edge too)
    at_edge = np.isin(cards, edges[1:-1])
    assert (cards[at_edge] == edges[cls[at_edge]]).all()
    # the edges are the legend's numbers: writing them again changes nothing
    assert [format_number(e) for e in edges] == [
        format_number(float(format_number(e).replace(",", ""))) for e in edges
    ]
    assert np.all(np.diff(edges) > 0)
