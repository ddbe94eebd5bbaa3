"""Review of the day's back-test, record and map changes (hIA): regressions found.

The back-test refuses an expected count below 0 and a probability outside [0, 1]; a method
whose forecast is computed in floating point (a kernel sum by FFT, probabilities renormalised
to sum to a total) gives ``-1e-17`` for a count of 0 and ``1 + 1e-16`` for a certainty.  Those
are its predictions, not a rate passed as a probability: they are taken as the edge they round
to (and said so), while a real overshoot is still refused.  A reliability without a predicted
cell has no totals (not 0 and 0); a numpy duration in months is written, not a ValueError; the
transit pass's new counts come back from the stage cache (a nightly run's ``pings_used`` is a
cold run's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _stats import back_test_kwargs, disk_cells

from pipeline import grid
from pipeline.errors import InputError
from pipeline.evaluate import Forecast, rolling_back_test

END = pd.Timestamp("2026-06-30", tz="UTC")
KW = back_test_kwargs(END, origins=1, horizon_days=30, train_days=60)


def _daily(cells: np.ndarray, days: int) -> pd.DataFrame:
    """An event a day for ``days`` days before ``END``, at the centre of a cell of ``cells``."""
    pick = np.random.default_rng(0).choice(cells, days)
    lat, lon = grid.cells_to_latlng(pick)
    times = END - pd.to_timedelta(np.arange(days, 0, -1), unit="D")
    return pd.DataFrame({"time": times, "lon": lon, "lat": lat})


def _method(expected: float, p_any: float):
    def method(train, c, t):
        mu, p = np.full(c.size, 0.5), np.full(c.size, 0.2)
        mu[3], p[3] = expected, p_any
        return Forecast(score=mu, expected=mu, p_any=p)

    return method


@pytest.mark.parametrize(
    ("expected", "p_any", "want_mu", "want_p"),
    [(-1e-17, 0.2, 0.0, 0.2), (0.5, 1 + 1e-16 * 2, 0.5, 1.0), (0.5, -1e-17, 0.5, 0.0)],
    ids=["count-minus-1e-17", "probability-1-plus-2e-16", "probability-minus-1e-17"],
)
def test_rounding_noise_at_an_edge_is_the_edge_not_a_refusal(expected, p_any, want_mu, want_p):
    """Floating-point noise across 0 or 1 was one InputError, ending a run's back-test; it is
    now the edge (the totals and Brier score as with the edge given) and a note says so."""
    cells = disk_cells(1)
    events = _daily(cells, 120)
    got = rolling_back_test(events, cells, methods={"m": _method(expected, p_any)}, **KW)
    ref = rolling_back_test(events, cells, methods={"m": _method(want_mu, want_p)}, **KW)
    assert got["calibration"]["m"] == ref["calibration"]["m"]
    assert got["origins"][0]["methods"]["m"]["expected_total"] == pytest.approx(
        ref["origins"][0]["methods"]["m"]["expected_total"], abs=1e-12
    )
    assert any("rounding" in n and "'m'" in n for n in got["notes"])
    assert not any("rounding" in n for n in ref["notes"])


@pytest.mark.parametrize(
    ("expected", "p_any"),
    [(-1e-6, 0.2), (0.5, 1 + 1e-6)],
    ids=["count-minus-1e-6", "probability-1-plus-1e-6"],
)
def test_an_overshoot_past_rounding_is_still_refused(expected, p_any):
    cells = disk_cells(1)
    events = _daily(cells, 120)
    with pytest.raises(InputError, match="method 'm' returned 1 "):
        rolling_back_test(events, cells, methods={"m": _method(expected, p_any)}, **KW)


def test_totals_without_a_predicted_cell_are_missing_not_zero():
    """Every cell without a prediction (a forecast that covers none of the universe): the
    totals were 0 expected and 0 observed - the panel's "0 observed, 0 expected" while an
    event happened in an uncovered cell.  Before the NaN cells were left out they were null;
    now they are null again, and the cells are counted as without a prediction."""
    from pipeline.evaluate.calibration import reliability

    got = reliability([np.array([np.nan, np.nan])], [np.array([1.0, 0.0])])
    assert got["totals"] == {"expected": None, "observed": None, "observed_over_expected": None}
    assert got["counts"]["cells_without_prediction"] == 2
    # one covered cell: its totals as they are
    got = reliability([np.array([np.nan, 0.25])], [np.array([1.0, 2.0])])
    assert got["totals"] == {"expected": 0.25, "observed": 2.0, "observed_over_expected": 8.0}


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (np.timedelta64(3, "M"), "3 months"),
        (np.timedelta64(2, "Y"), "2 years"),
        (np.timedelta64(36, "h"), "1 days 12:00:00"),
    ],
    ids=["months", "years", "hours"],
)
def test_a_numpy_duration_of_months_is_written_with_its_unit(value, want):
    """11d077b writes a numpy timedelta64 as pandas' text; pandas refuses months and years
    (no fixed length), so a method's ``info`` holding one ended the back-test in a ValueError
    traceback.  They are written as numpy's text, with their unit."""
    from pipeline.evaluate import json_safe

    assert json_safe({"window": value}) == {"window": want}


def test_the_transit_counts_come_back_from_the_stage_cache(tmp_path):
    """A night whose tracks did not change takes the transit result from the stage cache:
    the positions dropped as jumps and counted once must come back with it, or that night's
    ``pings_used`` would count them as used while a cold run does not."""
    from pipeline.runner.cache import StageCache
    from pipeline.transit import TransitResult, transit_features

    t0 = pd.Timestamp("2026-06-01", tz="UTC")
    pings = pd.DataFrame(
        {
            "vessel_id": ["a"] * 5,
            "time": t0 + pd.to_timedelta([0, 1, 2, 2, 3], unit="h"),
            "lon": [0.0, 0.1, 30.0, 0.2, 0.3],  # the 3rd a jump, the 4th at its time
            "lat": [0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    built = transit_features(pings, 6)
    # the 4th counted once (the first at its time kept), then the 3rd dropped as a jump
    assert (built.dropped_jumps, built.repeated) == (1, 1)
    want = TransitResult(
        features=built.features, events=built.events, dropped_jumps=3, repeated=2, untimed=1
    )
    cache = StageCache(tmp_path / ".cache")
    first, hit = cache.get_or_build("features: transit", [1], lambda: want)
    again, hit_again = StageCache(tmp_path / ".cache").get_or_build(
        "features: transit", [1], lambda: pytest.fail("not served from the cache")
    )
    assert (hit, hit_again) == (False, True)
    assert (again.dropped_jumps, again.repeated, again.untimed) == (3, 2, 1)
