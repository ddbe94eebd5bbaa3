"""Tests a mutation pass over the back-test's evaluation helpers found missing (task hHT).

The pass went over ``pipeline/evaluate/calibration.py`` (deciles and the reliability curve),
``baselines.py`` (what an analyst could do without a model), ``plot.py`` (the evaluation
figure), ``_json.py`` (strict JSON) and the capture curve of ``metrics.py``, and over hostile
inputs a user's forecast can hold: cells it does not cover (NaN), ties, all zeros, a single
event.  Each test fails on a small, plausible mutant that left the other tests passing, or on
the product before its fix, and checks values against an independent reference: a pandas
groupby reliability table, a naive count, hand arithmetic, numpy's own statistics.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from _stats import disk_cells

from pipeline import grid
from pipeline.evaluate import Forecast, json_safe, reliability, rolling_back_test

END = pd.Timestamp("2024-01-01", tz="UTC")
KW = {
    "end": END.date(),
    "min_train_events": 1,
    "min_test_events": 1,
    "require_full_history": False,
    "baselines": ("uniform",),
}


def _daily(cells: np.ndarray, days: int, seed: int = 0) -> pd.DataFrame:
    """An event a day for ``days`` days before ``END``, at the centre of a cell of ``cells``."""
    pick = np.random.default_rng(seed).choice(cells, days)
    lat, lon = grid.cells_to_latlng(pick)
    times = END - pd.to_timedelta(np.arange(days, 0, -1), unit="D")
    return pd.DataFrame({"time": times, "lon": lon, "lat": lat})


def _reliability_table(pred: np.ndarray, obs: np.ndarray, n_bins: int) -> pd.DataFrame:
    """Mean prediction and observation per bin of equal cell count, by pandas (no ties)."""
    frame = pd.DataFrame({"pred": pred, "obs": obs})
    rank = frame["pred"].rank(method="first").astype(int) - 1
    return frame.groupby(rank * n_bins // len(frame)).agg(
        cells=("pred", "size"), pred=("pred", "mean"), obs=("obs", "mean")
    )


# --------------------------------------------------------------------------- calibration


def test_cells_without_a_prediction_are_left_out_of_the_reliability_and_counted():
    """A forecast that does not cover a cell (NaN) says nothing of it: its events are not in
    a decile and not in the totals, and the Brier score is over the covered cells.  Before,
    the NaN cells sorted above every prediction: the top deciles held the uncovered cells'
    events, the totals and the Brier score were NaN (null)."""
    rng = np.random.default_rng(4)
    e = rng.gamma(1.0, 0.5, 30)
    o = rng.poisson(e).astype(float)
    covered = np.arange(30) % 3 != 0
    e_in = np.where(covered, e, np.nan)
    o_in = np.where(covered, o, 50.0)  # uncovered cells full of events
    p_in = 1 - np.exp(-e_in)
    out = reliability([e_in], [o_in], [p_in], n_bins=5)
    ref = _reliability_table(e[covered], o[covered], 5)
    assert out["counts"]["cells"] == ref["cells"].tolist() == [4] * 5
    np.testing.assert_allclose(out["counts"]["mean_expected"], ref["pred"], rtol=1e-12)
    np.testing.assert_allclose(out["counts"]["mean_observed"], ref["obs"], rtol=1e-12)
    assert out["counts"]["cells_without_prediction"] == 10
    assert out["totals"]["expected"] == pytest.approx(e[covered].sum(), rel=1e-12)
    assert out["totals"]["observed"] == o[covered].sum()
    p = 1 - np.exp(-e[covered])
    brier = np.mean((p - (o[covered] > 0)) ** 2)
    assert out["p_at_least_one"]["brier"] == pytest.approx(brier, rel=1e-12)
    assert out["p_at_least_one"]["cells_without_prediction"] == 10
    hit = _reliability_table(p, (o[covered] > 0).astype(float), 5)
    np.testing.assert_allclose(out["p_at_least_one"]["observed_share"], hit["obs"], rtol=1e-12)


def test_a_back_test_says_which_method_left_cells_unscored_and_uncovered():
    """A method's forecast given as a Series over part of the universe: the missing cells get
    NaN (missing, not zero), rank last, and the result says so for that method alone."""
    cells = disk_cells(2)
    events = _daily(cells, 200)

    def half(train, c, t):
        s = pd.Series(np.linspace(1.0, 2.0, c.size), index=c).iloc[: c.size // 2]
        return Forecast(score=s, expected=s * 0.01, p_any=1 - np.exp(-s * 0.01))

    opts = {**KW, "origins": 2, "horizon_days": 30, "train_days": 100}
    r = rolling_back_test(events, cells, methods={"half": half}, **opts)
    json.dumps(r, allow_nan=False)
    n_missing = cells.size - cells.size // 2
    assert [o["methods"]["half"]["n_cells_unscored"] for o in r["origins"]] == [n_missing] * 2
    assert "n_cells_unscored" not in r["origins"][0]["methods"]["uniform"]
    said = [n for n in r["notes"] if "'half'" in n]
    assert any(f"no score (NaN) to {2 * n_missing} cell(s) over 2 origin(s)" in n for n in said)
    assert any(f"no count (NaN) in {2 * n_missing} cell(s)" in n for n in said)
    assert not any("'uniform'" in n for n in r["notes"])
    cal = r["calibration"]["half"]
    assert cal["counts"]["cells_without_prediction"] == 2 * n_missing
    assert sum(cal["counts"]["cells"]) == 2 * (cells.size // 2)
    assert cal["totals"]["expected"] is not None and cal["p_at_least_one"]["brier"] is not None


# --------------------------------------------------------------------------- strict JSON


@pytest.mark.parametrize(
    "missing",
    [pd.NaT, np.datetime64("NaT"), np.timedelta64("NaT")],
    ids=["pandas-nat", "numpy-datetime-nat", "numpy-timedelta-nat"],
)
def test_a_missing_time_is_null_not_the_text_nat(missing):
    """``pd.NaT`` is a ``datetime``: the date branch wrote it as ``"NaT"`` before the check
    for it was reached; a missing time is ``null`` like a missing number."""
    assert json_safe({"t": missing, "u": [missing]}) == {"t": None, "u": [None]}
    assert json_safe(pd.Timestamp("2024-01-02", tz="UTC")) == "2024-01-02T00:00:00+00:00"


def test_a_numpy_duration_keeps_its_unit():
    """``numpy.timedelta64`` is a numpy integer: ``int()`` wrote 36 hours as ``36``."""
    assert json_safe(np.timedelta64(36, "h")) == str(pd.Timedelta(hours=36)) == "1 days 12:00:00"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
