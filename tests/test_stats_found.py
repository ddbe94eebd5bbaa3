"""Published statistics checked against reference implementations on realistic hostile shapes."""

from __future__ import annotations

import numpy as np

from pipeline.evaluate import reliability
from pipeline.evaluate.calibration import decile_bins


def _binned_by_order(pred: np.ndarray, obs: np.ndarray, n_bins: int) -> np.ndarray:
    """Mean observation per bin when each cell goes wholly into the bin of its rank."""
    b = decile_bins(pred, n_bins)
    return np.bincount(b, weights=obs, minlength=n_bins) / np.bincount(b, minlength=n_bins)


def test_reliability_of_tied_predictions_does_not_depend_on_the_cell_order():
    # a fallback forecast: 70 % of the cells predicted exactly 0, the misses among them sitting
    # in the low cell ids (events cluster in space, H3 ids follow space)
    rng = np.random.default_rng(0)
    n, n_bins = 1000, 10
    pred = np.zeros(n)
    pred[700:] = np.linspace(0.1, 2.0, 300)
    obs = np.zeros(n)
    obs[:100] = 1.0
    obs[700:] = rng.poisson(pred[700:])
    curves = []
    for order in (np.arange(n), np.arange(n)[::-1], rng.permutation(n)):
        got = reliability([pred[order]], [obs[order]], [pred[order] / 3], n_bins=n_bins)
        curves.append(got["counts"]["mean_observed"])
        assert got["counts"]["cells"] == [100] * 10
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-12)
    np.testing.assert_allclose(curves[2], curves[0], rtol=1e-12)
    # the reference: the average over random orders of the tied cells of the plain binning
    ref = np.mean(
        [
            _binned_by_order(pred[p], obs[p], n_bins)
            for p in (rng.permutation(n) for _ in range(400))
        ],
        axis=0,
    )
    np.testing.assert_allclose(curves[0], ref, atol=0.02)
    assert curves[0][0] == 100 / 700  # the tied zeros' events spread evenly over their bins
    # without ties the split is the plain binning, exactly
    distinct = np.sort(rng.random(n))
    got = reliability([distinct], [obs], n_bins=n_bins)["counts"]["mean_observed"]
    np.testing.assert_allclose(got, _binned_by_order(distinct, obs, n_bins), rtol=1e-12)
