"""Tests that a hand mutation analysis of the lagged features, the features stage and its
runner stages found missing (task hHE).

Each test fails on one or more small, plausible mutants of ``pipeline/model/features.py``,
``pipeline/features.py`` or ``pipeline/runner/stages/_features.py`` that left the modules'
other tests passing, or on a product bug the analysis met (the fix named in the test).  The
values are checked against independent ones: counts by a pandas group-by of the events' cells,
kernel sums by a brute-force haversine sum over every cell-event pair, neighbourhoods by h3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import schema as S
from pipeline.errors import InputError
from pipeline.grid import cells_to_latlng, points_to_cells, region_to_cells
from pipeline.model import FittedOptions, build_lagged_features

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")
DAY = pd.Timedelta(days=1)

OPTIONS = dict(
    horizon_days=91.0,
    train_days=400.0,
    stride_days=30.0,
    count_windows_days=("all", "horizon"),
    bandwidths_km=(10.0, 20.0),
    kde_windows_days=("all", 91.0),
    recency=True,
    recency_cap_days=100.0,
)


@pytest.fixture(scope="module")
def world():
    """16 res-5 cells and 80 events at cell centres, at random days of the history."""
    rng = np.random.default_rng(3)
    cells = region_to_cells((0.0, 0.0, 0.5, 0.5), 5)
    lat, lon = cells_to_latlng(cells)
    k = rng.integers(0, cells.size, 80)
    tau = -rng.uniform(1.0, 390.0, k.size)
    ev = pd.DataFrame(
        {S.TIME: ORIGIN + pd.to_timedelta(tau, unit="D"), S.LON: lon[k], S.LAT: lat[k]}
    )
    return {"cells": cells, "ev": ev}


# ------------------------------------------------------------------ lagged features


def test_lagged_features_follow_the_cells_in_the_order_given(world):
    """The rows follow ``cells`` as given, whatever their order; a cell twice is refused.

    build_lagged_features looked the events' cells up by a binary search of ``cells`` as
    given: with the cells in any order but ascending most events were not found, and their
    cells counted none - 16 cells in reverse order had every count and every training label
    0 (160 label events lost) with exit 0.  FittedModel sorts its cells first; the public
    function did not.
    """
    cells, ev = world["cells"], world["ev"]
    opts = FittedOptions(**OPTIONS)
    ref = build_lagged_features(ev, cells, ORIGIN, opts)
    perm = np.random.default_rng(0).permutation(cells.size)
    got = build_lagged_features(ev, cells[perm], ORIGIN, opts)
    assert got.names == ref.names
    np.testing.assert_allclose(got.x_pred, ref.x_pred[perm], rtol=1e-12)
    n, k = cells.size, len(ref.training_origins_days)
    rows = (np.arange(k)[:, None] * n + perm[None, :]).ravel()
    np.testing.assert_allclose(got.x_train, ref.x_train[rows], rtol=1e-12)
    np.testing.assert_array_equal(got.y_train, ref.y_train[rows])
    # the counts themselves, by a group-by of the events' cells
    ev_cell = points_to_cells(ev[S.LON].to_numpy(), ev[S.LAT].to_numpy(), 5)
    by_cell = pd.Series(1.0, index=ev_cell).groupby(level=0).sum()
    want = by_cell.reindex(cells[perm], fill_value=0.0).to_numpy()
    np.testing.assert_allclose(got.raw_pred["count_all"], want)
    assert got.y_train.sum() > 0
    with pytest.raises(InputError, match="more than once"):
        build_lagged_features(ev, np.concatenate([cells, cells[:1]]), ORIGIN, opts)


def test_an_event_at_the_forecast_origin_is_not_history(world):
    """An event exactly at the origin belongs to the forecast's window, not to its history.

    Mutant: the history ``[-W, 0]`` closed at the origin - the event counted in
    ``n_events`` and raised the smoothed counts' floor of every cell.
    """
    cells, ev = world["cells"], world["ev"]
    opts = FittedOptions(**OPTIONS)
    ref = build_lagged_features(ev, cells, ORIGIN, opts)
    at = pd.DataFrame({S.TIME: [ORIGIN] * 5, S.LON: ev[S.LON][:5], S.LAT: ev[S.LAT][:5]})
    got = build_lagged_features(pd.concat([ev, at], ignore_index=True), cells, ORIGIN, opts)
    assert got.n_events == ref.n_events == len(ev)
    np.testing.assert_array_equal(got.x_pred, ref.x_pred)
    np.testing.assert_array_equal(got.x_train, ref.x_train)
    np.testing.assert_array_equal(got.y_train, ref.y_train)
    assert got.descriptions == ref.descriptions
