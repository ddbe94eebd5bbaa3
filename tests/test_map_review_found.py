"""Findings of the map review on the demo and the real piracy incidents (task hBY).

Each test fails on the code before its fix; they read the page's payload (no browser) where
they can.
"""

from __future__ import annotations

import numpy as np

from pipeline import schema as S
from pipeline.render import RenderOptions
from pipeline.render._payload import risk_payload, sorted_cells, transit_payload
from pipeline.testing import sample_map_data


def test_small_factor_values_keep_their_digits_on_the_card():
    # Before: a factor's values were rounded to 5 significant digits of the column's
    # largest value, so beside a busy lane of 2,109.8 vessel-hours a cell crossed for
    # 0.04 h read "0 hours" (with points of its own), and on the real piracy incidents 290
    # of the 417 cells with a seizure density read "0 weighted seizures per km²".
    data = sample_map_data(200, uncovered_fraction=0.0)
    scores = data.scores
    hours = np.linspace(0.0, 1.0, len(scores))
    hours[:4] = [2109.782176, 0.04, 0.000123456, 5.349726e-05]
    scores[S.VESSEL_HOURS] = hours
    scores, cells = sorted_cells(scores, "scores")
    payload = risk_payload(data, scores, cells, RenderOptions())
    sent = next(f for f in payload["factors"] if f["label"] == "Vessel-hours")["values"]
    want = scores[S.VESSEL_HOURS].to_numpy(dtype="float64")
    sent = np.array([np.nan if v is None else v for v in sent], dtype="float64")
    nonzero = want != 0
    assert (sent[nonzero] != 0).all()  # a measured value never reads as 0
    np.testing.assert_allclose(sent, want, rtol=5.001e-4)  # the card's 4 digits hold

    transit = data.transit.copy()
    transit[S.VESSEL_HOURS] = np.r_[[2109.782176, 0.04], np.ones(len(transit) - 2)]
    layer, _ = transit_payload(transit, RenderOptions())
    frame, _ = sorted_cells(transit, "transit")
    np.testing.assert_allclose(
        np.asarray(layer["values"], dtype="float64"),
        frame[S.VESSEL_HOURS].to_numpy(dtype="float64"),
        rtol=5.001e-4,
    )
