"""A back-test method that gives probabilities but no expected counts gets its reliability.

Found on 2026-12-07 (left alone by hIA the session before): the back-test kept a method's
calibration only when it gave expected counts, so a method giving ``p_any`` alone (a
classifier's probability of at least one event) had no reliability curve and no Brier
score in evaluation.json, with nothing said.  Its probabilities are now scored; the counts'
part holds every cell as without a prediction, and the notes say so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _stats import back_test_kwargs, disk_cells

from pipeline import grid
from pipeline.evaluate import Forecast, events_to_counts, rolling_back_test

END = pd.Timestamp("2024-06-30", tz="UTC")


def _daily(cells: np.ndarray, days: int) -> pd.DataFrame:
    pick = np.random.default_rng(3).choice(cells, days)
    lat, lon = grid.cells_to_latlng(pick)
    times = END - pd.to_timedelta(np.arange(days, 0, -1), unit="D")
    return pd.DataFrame({"time": times, "lon": lon, "lat": lat})


def test_probabilities_alone_are_scored_by_the_brier_score_and_the_curve():
    cells = disk_cells(2)
    events = _daily(cells, 120)
    p = np.linspace(0.05, 0.9, cells.size)

    def classifier(train, c, t):
        return Forecast(score=p, p_any=p)

    opts = {**back_test_kwargs(END), "origins": 1, "horizon_days": 30, "train_days": 60}
    r = rolling_back_test(events, cells, methods={"clf": classifier}, **opts)
    origin = pd.Timestamp(r["origins"][0]["origin"])
    test = events[(events["time"] >= origin) & (events["time"] < origin + pd.Timedelta(days=30))]
    hit = events_to_counts(grid.points_to_cells(test["lon"], test["lat"], 6), cells) > 0
    got = r["calibration"]["clf"]
    assert got["p_at_least_one"]["brier"] == pytest.approx(np.mean((p - hit) ** 2), rel=1e-6)
    assert got["p_at_least_one"]["cells_without_prediction"] == 0
    # no expected counts: every cell without one, no totals, and a note
    assert got["counts"]["cells_without_prediction"] == cells.size
    assert got["totals"]["expected"] is None
    assert "expected_total" not in r["origins"][0]["methods"]["clf"]
    said = [n for n in r["notes"] if n.startswith("method 'clf'")]
    assert said == [
        "method 'clf' gave probabilities of an event but no expected counts: its reliability "
        "of counts is empty, its probabilities and Brier score are scored"
    ]


def test_counts_at_some_origins_only_are_said():
    cells = disk_cells(2)
    events = _daily(cells, 200)
    p = np.linspace(0.05, 0.9, cells.size)
    seen: list[pd.Timestamp] = []

    def sometimes(train, c, t):
        seen.append(t)
        return Forecast(score=p, expected=None if len(seen) == 1 else p, p_any=p)

    opts = {**back_test_kwargs(END), "origins": 2, "horizon_days": 30, "train_days": 100}
    r = rolling_back_test(events, cells, methods={"m": sometimes}, **opts)
    said = [n for n in r["notes"] if n.startswith("method 'm'")]
    assert said == [
        f"method 'm' gave no expected counts at 1 origin(s) (probabilities only): their cells "
        f"and any NaN count, {cells.size} cell(s) in all, left out of its reliability"
    ]
    assert r["calibration"]["m"]["counts"]["cells_without_prediction"] == cells.size
