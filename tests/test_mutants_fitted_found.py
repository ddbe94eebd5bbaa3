"""Tests that a hand mutation analysis of the fitted count model and its lagged features found
missing (task hFW).

Each test fails on one or more small, plausible mutants of ``pipeline/model/features.py`` or
``pipeline/model/fitted.py`` that left every other test passing (the review's table is in the
commit messages and the task's report).  The values are checked against independent ones:
features counted by hand from events placed at known times and places (the brute-force
:func:`pipeline.density.kernel_density_exact` for the kernel sums, the haversine distance for
recency), and statsmodels' GLM for the estimates and their standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.density import kernel_density_exact
from pipeline.grid import cell_area_km2, cells_to_latlng, points_to_cells, region_to_cells
from pipeline.model import FittedModel, FittedOptions, build_lagged_features
from pipeline.sphere import haversine_km

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")
DAY = pd.Timedelta(days=1)


# ------------------------------------------------------------------ lagged features by hand


@pytest.fixture(scope="module")
def hand_world():
    """16 res-5 cells, 60 events at random times in the west plus events at the edges.

    One event lies exactly at the start of the training window (``-W``), one exactly at a
    training origin (``-150``: the label of that origin, the features of the next ones), alone
    in the north-east corner: the cells there are active from the next origin on.
    """
    rng = np.random.default_rng(7)
    cells = region_to_cells((0.0, 0.0, 0.5, 0.5), 5)
    w_days = 400.0
    m = 60
    tau = np.concatenate([-rng.uniform(0.0, w_days, m), [-w_days, -150.0]])
    lon = np.concatenate([rng.uniform(0.0, 0.25, m), [0.2, 0.45]])
    lat = np.concatenate([rng.uniform(0.0, 0.5, m), [0.2, 0.45]])
    times = ORIGIN + pd.to_timedelta(tau, unit="D")
    ev = pd.DataFrame({"time": times, "lon": lon, "lat": lat})
    # what the features compute from: the times as stored (nanoseconds)
    tau = ((pd.Series(times) - ORIGIN) / DAY).to_numpy()
    return {"cells": cells, "ev": ev, "tau": tau, "W": w_days}


HAND_OPTIONS = dict(
    horizon_days=91.0,
    train_days=400.0,
    stride_days=30.0,  # shorter than the horizon: the horizon window is not the stride
    count_windows_days=("all", "horizon"),
    bandwidths_km=(10.0, 20.0),  # one group of kernel sums (no coarsening at res 5)
    kde_windows_days=("all", 91.0),
    recency=True,
    recency_cap_days=100.0,
)


def _features_by_hand(world, s: float) -> dict[str, np.ndarray]:
    """Every lagged feature at origin ``s``, from the definitions in the module docstring."""
    cells, ev, tau, w_days = world["cells"], world["ev"], world["tau"], world["W"]
    n = cells.size
    h = HAND_OPTIONS["horizon_days"]
    lon, lat = ev["lon"].to_numpy(), ev["lat"].to_numpy()
    ev_cell = points_to_cells(lon, lat, 5)
    pos = np.searchsorted(cells, ev_cell)
    inside = (pos < n) & (cells[np.minimum(pos, n - 1)] == ev_cell)
    hist = (tau >= -w_days) & (tau < 0)
    m = int(hist.sum())
    area = cell_area_km2(cells)
    floor = 0.01 * m / n

    def count(lo, hi):
        sel = inside & (tau >= lo) & (tau < hi)
        return np.bincount(pos[sel], minlength=n).astype(float)

    def dens(sel, b):
        if not sel.any():
            return np.zeros(n)
        return kernel_density_exact((lon[sel], lat[sel]), cells, bandwidth_km=b, kernel="quartic")

    past = (tau >= -w_days) & (tau < s)
    scale = w_days / (s + w_days)
    out = {
        "count_all": np.log1p(count(-w_days, s) * scale),
        "count_horizon": np.log1p(count(s - h, s)),
        "label": count(s, s + h),
    }
    for b in (10.0, 20.0):
        v = dens(past, b) * area.mean() * scale
        out[f"kde_{b:g}km"] = np.log(v + floor)
        v = dens(past & (tau >= s - 91.0), b) * area.mean() * w_days / 91.0
        out[f"kde_{b:g}km_91d"] = np.log(v + floor)
    c_lat, c_lon = cells_to_latlng(cells)
    d = haversine_km(c_lon[:, None], c_lat[:, None], lon[None, :], lat[None, :])
    near = (d < 10.0) & past[None, :]  # recency's radius: the smallest bandwidth
    last = np.where(near, tau[None, :], -np.inf).max(axis=1)
    out["recency"] = np.log1p(np.minimum(s - last, HAND_OPTIONS["recency_cap_days"]))
    out["active"] = ((d < 20.0) & past[None, :]).any(axis=1)  # the largest kernel's reach
    return out


def test_every_lagged_feature_label_and_origin_matches_a_count_by_hand(hand_world):
    """Counts, smoothed counts, recency, labels and the active rows at every training origin.

    Mutants this kills: an event exactly at ``-W`` left out of the history, the horizon's
    count window one stride long, a windowed smoothed count anchored at the forecast origin
    instead of the training origin, the recency radius at the largest bandwidth (or doubled),
    a bandwidth's kernel cut at another bandwidth's support of the same group.
    """
    world = hand_world
    f = build_lagged_features(world["ev"], world["cells"], ORIGIN, FittedOptions(**HAND_OPTIONS))
    n = world["cells"].size
    # stride 30, horizon 91: the first label window inside the history starts 120 days back;
    # history needed: max(91, 91, recency cap 100) = 100 days, so (400 - 100) / 30 = 10 back
    assert f.training_origins_days == [-30.0 * j for j in range(4, 11)]
    assert f.n_events == 62  # the event at -W is history
    names = [
        "count_all",
        "count_horizon",
        "kde_10km",
        "kde_10km_91d",
        "kde_20km",
        "kde_20km_91d",
        "recency",
    ]
    assert f.names == names
    assert 0 < f.active_train.mean() < 1 and not f.active_pred.all()
    for k, s in enumerate(f.training_origins_days):
        want = _features_by_hand(world, s)
        rows = slice(k * n, (k + 1) * n)
        for j, name in enumerate(names):
            np.testing.assert_allclose(
                f.x_train[rows, j], want[name], rtol=1e-9, atol=1e-12, err_msg=f"{name} at {s}"
            )
        np.testing.assert_array_equal(f.y_train[rows], want["label"], err_msg=f"label at {s}")
        np.testing.assert_array_equal(f.active_train[rows], want["active"])
    want = _features_by_hand(world, 0.0)
    for j, name in enumerate(names):
        np.testing.assert_allclose(f.x_pred[:, j], want[name], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(f.active_pred, want["active"])


def test_the_oldest_training_origin_is_kept_when_days_are_fractional():
    """``(W − history) / stride`` is a whole number of strides that floating point puts just
    below it ((116.1 − 30.3) / 14.3 = 5.999…): the oldest origin, with exactly
    ``min_history_days`` before it, is kept.

    Mutant this kills: the floor without its tolerance (one training origin too few).
    """
    cells = region_to_cells((0.0, 0.0, 0.2, 0.2), 5)
    lat, lon = cells_to_latlng(cells)
    ev = pd.DataFrame({"time": [ORIGIN - 20 * DAY] * 2, "lon": lon[:2], "lat": lat[:2]})
    opts = FittedOptions(
        horizon_days=14.3,
        train_days=116.1,
        stride_days=14.3,
        min_history_days=30.3,
        count_windows_days=(),
        bandwidths_km=(),
        recency=False,
    )
    f = build_lagged_features(ev, cells, ORIGIN, opts)
    assert f.training_origins_days == pytest.approx([-14.3 * j for j in range(1, 7)])


def test_a_bandwidth_under_ten_coarser_edges_is_summed_at_the_cells_themselves():
    """The kernel sums are evaluated on a coarser resolution only for a bandwidth of at least
    ten of its mean cell edges: at resolution 5 a 60 km kernel (resolution 4's edges are about
    26 km) is the exact density at the cell centres.

    Mutant this kills: coarsening from five edges (a 60 km kernel read at centres up to a
    resolution-4 cell away).
    """
    rng = np.random.default_rng(3)
    cells = region_to_cells((0.0, 0.0, 1.0, 1.0), 5)
    lon, lat = rng.uniform(-0.3, 1.3, 200), rng.uniform(-0.3, 1.3, 200)
    assert_smoothed_is_exact_at(lon, lat, cells, 60.0)


def assert_smoothed_is_exact_at(lon, lat, cells, bandwidth_km: float, targets=None) -> None:
    """Assert the model's quartic kernel sums on ``cells`` (coarsening allowed) are the exact
    density at ``targets``: the cells' own centres by default, else the cells given."""
    from pipeline.model import smoothed_counts

    got = smoothed_counts(lon, lat, cells, bandwidth_km, "quartic", coarsen=True)
    at = cells if targets is None else targets
    want = kernel_density_exact((lon, lat), at, bandwidth_km=bandwidth_km, kernel="quartic")
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_a_horizon_count_window_needs_a_horizon_of_history_as_a_numeric_one_does():
    """``min_history_days`` must cover the longest count window, the ``'horizon'`` window
    (``horizon_days`` long) included: with 30 days of history the oldest training origin's
    91-day count held 30 days of events (a truncated window, quietly on the scale of the
    others), while the same window written as ``91.0`` was refused."""
    base = dict(horizon_days=91.0, stride_days=30.0, bandwidths_km=(), recency=False)
    with pytest.raises(ValueError, match="min_history_days"):
        FittedOptions(**base, count_windows_days=(91.0,), min_history_days=30.0)
    with pytest.raises(ValueError, match="min_history_days"):
        FittedOptions(**base, count_windows_days=("horizon",), min_history_days=30.0)
    ok = FittedOptions(**base, count_windows_days=("horizon",), min_history_days=91.0)
    assert ok.history_days == 91.0


# ------------------------------------------------------------------ the fit against statsmodels

H = 91.0
#: The extra factors alone at quarterly training origins: no count, kernel or recency feature.
FACTORS_QUARTERLY = {
    "count_windows_days": (),
    "bandwidths_km": (),
    "recency": False,
    "stride_days": H,
    "min_history_days": H,
}
W = 730.0


@pytest.fixture(scope="module")
def nb_world():
    """~200 res-5 cells, 8 quarters of NB2 counts (gamma frailty per cell and quarter) driven
    by a strong factor ``u`` and a weak one ``v``; ``noise`` has no effect."""
    rng = np.random.default_rng(20261207)
    cells = region_to_cells((0.0, 0.0, 2.0, 2.0), 5)
    n = cells.size
    area = cell_area_km2(cells)
    u, v, noise = rng.normal(0.0, 1.0, (3, n))
    base = 0.5 * area / area.mean() * np.exp(0.6 * u + 0.16 * v)
    lat, lon = cells_to_latlng(cells)
    parts = []
    for k in range(8):
        c = rng.poisson(base * rng.gamma(1.5, 1.0 / 1.5, n))
        idx = np.repeat(np.arange(n), c)
        t = ORIGIN - pd.Timedelta(days=H * k) - pd.to_timedelta(rng.uniform(0, H, idx.size), "D")
        parts.append(pd.DataFrame({"time": t, "lon": lon[idx], "lat": lat[idx]}))
    ev = pd.concat(parts, ignore_index=True)
    table = pd.DataFrame({"cell": cells, "u": u, "v": v, "noise": noise})
    return {
        "cells": cells,
        "area": area,
        "ev": ev,
        "table": table,
        "x": np.column_stack([u, v, noise]),
    }


def _nb_design(world):
    """Labels, offsets, z-scores and clusters of the stacked rows, built by hand."""
    cells, ev, n = world["cells"], world["ev"], world["cells"].size
    origins = [-H * j for j in range(1, int((W - H) // H) + 1)]
    tau = ((ev["time"] - ORIGIN) / DAY).to_numpy()
    pos = np.searchsorted(cells, points_to_cells(ev["lon"].to_numpy(), ev["lat"].to_numpy(), 5))
    y = np.concatenate(
        [np.bincount(pos[(tau >= s) & (tau < s + H)], minlength=n) for s in origins]
    ).astype(float)
    x = np.tile(world["x"], (len(origins), 1))
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    off = np.tile(np.log(world["area"] / world["area"].mean()), len(origins))
    groups = np.tile(np.arange(n), len(origins))
    return y, z, off, groups


def _ml_alpha(y, mu):
    """NB2's maximum-likelihood alpha given the means, on statsmodels' log-likelihood."""
    import statsmodels.api as sm
    from scipy import optimize

    def neg(log_a):
        return -sm.families.NegativeBinomial(alpha=np.exp(log_a)).loglike_obs(y, mu).sum()

    res = optimize.minimize_scalar(
        neg, bounds=(np.log(1e-6), np.log(1e3)), method="bounded", options={"xatol": 1e-10}
    )
    return float(np.exp(res.x))


def test_negative_binomial_selection_and_alpha_follow_the_two_step_estimator(nb_world):
    """NB2 with BIC selection, replayed with statsmodels: alpha is the maximum-likelihood
    value given the Poisson means; the noise factor's cluster-robust (by cell) Wald z² is
    below ln(cells) and it is dropped; alpha is estimated again on the NB means of the model
    after the selection, and the published coefficient and its cluster-robust standard error
    are statsmodels' NB2 GLM at that alpha.

    Mutants this kills: alpha from the mean of the counts instead of the Poisson means, alpha
    not estimated again after the selection, the threshold on ``|z|`` instead of ``z²``, the
    published BIC without alpha's parameter, the published robust covariance taken as
    Poisson's, a one-sided p-value, a 90 % interval, the relative risk per SD scaled again.
    """
    import statsmodels.api as sm

    opts = FittedOptions(**FACTORS_QUARTERLY, family="negative_binomial", selection="bic")
    m = FittedModel(opts).fit(nb_world["ev"], nb_world["cells"], ORIGIN, nb_world["table"])
    rep = m.report()
    y, z, off, groups = _nb_design(nb_world)
    n_cells = nb_world["cells"].size

    def glm(cols, alpha):
        fam = sm.families.Poisson() if alpha is None else sm.families.NegativeBinomial(alpha=alpha)
        return sm.GLM(y, sm.add_constant(z[:, cols]), family=fam, offset=off).fit(
            tol=1e-12, cov_type="cluster", cov_kwds={"groups": groups}
        )

    a0 = _ml_alpha(y, glm([0, 1, 2], None).fittedvalues)
    full = glm([0, 1, 2], a0)
    zr = np.abs(full.params[1:] / full.bse[1:])
    assert np.argmin(zr) == 2 and zr[2] ** 2 < np.log(n_cells)  # noise goes first
    kept = glm([0, 1], a0)
    zk = np.abs(kept.params[1:] / kept.bse[1:])
    # v stays: its z^2 passes ln(cells), though z itself is below ln(cells)
    assert np.log(n_cells) < zk.min() ** 2 and zk.min() < np.log(n_cells)
    a1 = _ml_alpha(y, kept.fittedvalues)
    assert abs(a1 / a0 - 1) > 5e-4  # the second estimate differs (beyond the tolerance below)
    final = glm([0, 1], a1)
    assert rep["model"] == "negative_binomial"
    assert rep["alpha"] == pytest.approx(a1, rel=1e-4)
    by = {f["name"]: f for f in rep["factors"]}
    assert by["u"]["selected"] and by["v"]["selected"] and not by["noise"]["selected"]
    assert rep["intercept"] == pytest.approx(final.params[0], rel=1e-5)
    ci = np.asarray(final.conf_int())
    sd = np.tile(nb_world["x"], (len(y) // n_cells, 1)).std(axis=0)  # per unit: / the SD
    for j, name in enumerate(["u", "v"]):
        b = final.params[j + 1]
        assert by[name]["coef"] == pytest.approx(b, rel=1e-5)
        assert by[name]["se"] == pytest.approx(final.bse[j + 1], rel=1e-4)
        assert by[name]["p_value"] == pytest.approx(final.pvalues[j + 1], rel=1e-3)
        assert by[name]["rr_per_sd"] == pytest.approx(np.exp(b), rel=1e-5)
        assert by[name]["rr_ci95"] == pytest.approx(np.exp(ci[j + 1]), rel=1e-4)
        assert by[name]["rr_per_unit"] == pytest.approx(np.exp(b / sd[j]), rel=1e-5)
    # BIC counts alpha among the parameters, the rows as the sample
    assert rep["llf"] == pytest.approx(final.llf, rel=1e-5)  # published to 6 digits
    assert rep["bic"] == pytest.approx(-2 * final.llf + 4 * np.log(len(y)), rel=1e-5)
    # the noise factor's drop names the robust |z| of the full NB model
    drop = next(d for d in rep["dropped"] if d["name"] == "noise")
    assert f"{zr[2]:.2f}" in drop["reason"]


@pytest.mark.parametrize("alpha", [None, 0.5], ids=["poisson", "nb2"])
@pytest.mark.parametrize(
    "start", [(-10.0, 0.0, 0.0), (-5.0, 3.0, 3.0)], ids=["far-below", "steep-slopes"]
)
def test_fisher_scoring_from_a_far_start_reaches_the_statsmodels_estimate(alpha, start):
    """From a start far below the optimum a full Fisher step overshoots (the information is
    ``e^10`` times too small there): the step halving keeps the likelihood from falling and
    the fit reaches statsmodels' estimates.

    Mutant this kills: the step always taken whole (no halving).
    """
    import statsmodels.api as sm

    from pipeline.model import fit_log_link

    rng = np.random.default_rng(0)
    n = 500
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(-1, 1, n)])
    off = rng.normal(0, 0.2, n)
    y = rng.poisson(np.exp(off + x @ np.array([0.5, 0.6, -0.4]))).astype(float)
    fam = sm.families.Poisson() if alpha is None else sm.families.NegativeBinomial(alpha=alpha)
    ref = sm.GLM(y, x, family=fam, offset=off).fit(tol=1e-12)
    params, _, llf, converged, _ = fit_log_link(y, x, off, np.ones(n), alpha, np.array(start))
    assert converged
    np.testing.assert_allclose(params, ref.params, rtol=1e-7, atol=1e-8)
    assert llf == pytest.approx(ref.llf, rel=1e-10)


def test_nb2_alpha_takes_frequency_weights_as_repeated_rows_and_floors_at_its_bound():
    """``nb2_alpha`` with integer frequency weights is the estimate on the rows repeated (the
    subsampled quiet rows stand for several); counts with no overdispersion at all give the
    documented lower bound ``1e-6``.

    Mutants this kills: the weights left out of alpha's likelihood, a higher lower bound
    (``1e-2``: overdispersion reported where there is none).
    """
    from pipeline.model import nb2_alpha

    rng = np.random.default_rng(4)
    mu = rng.uniform(0.2, 3.0, 300)
    y = rng.poisson(mu * rng.gamma(2.0, 0.5, 300)).astype(float)
    w = np.where(y >= 4, 5, 1)  # the large counts stand for five rows each
    got = nb2_alpha(y, mu, w.astype(float))
    want = _ml_alpha(np.repeat(y, w), np.repeat(mu, w))
    assert got == pytest.approx(want, rel=1e-5)
    assert abs(got / nb2_alpha(y, mu) - 1) > 1e-2  # the weights matter here
    # every count equal to its mean: no overdispersion
    flat = np.full(200, 3.0)
    assert nb2_alpha(flat, flat) == pytest.approx(1e-6, rel=1e-2)


def test_without_inference_the_estimates_and_errors_are_the_model_based_glm(nb_world):
    """``inference=False`` (the back-test's): Fisher scoring's estimates are statsmodels'
    Poisson GLM's, and the standard errors are its model-based ones (inverse information).

    Mutants this kills: the model-based covariance mis-scaled, a fit reported converged that
    is not (the estimate then differs).
    """
    import statsmodels.api as sm

    opts = FittedOptions(**FACTORS_QUARTERLY, family="poisson", selection="none")
    m = FittedModel(opts, inference=False).fit(
        nb_world["ev"], nb_world["cells"], ORIGIN, nb_world["table"]
    )
    rep = m.report()
    assert rep["converged"] and rep["se_method"].startswith("model-based")
    y, z, off, _ = _nb_design(nb_world)
    ref = sm.GLM(y, sm.add_constant(z), family=sm.families.Poisson(), offset=off).fit(tol=1e-12)
    by = {f["name"]: f for f in rep["factors"]}
    assert rep["intercept"] == pytest.approx(ref.params[0], rel=1e-5)
    for j, name in enumerate(["u", "v", "noise"]):
        assert by[name]["coef"] == pytest.approx(ref.params[j + 1], rel=1e-5, abs=1e-7)
        assert by[name]["se"] == pytest.approx(ref.bse[j + 1], rel=1e-5)


def test_a_column_collinear_up_to_a_relative_tolerance_is_dropped_whatever_its_scale():
    """``independent_columns``: collinear means a residual sum of squares below ``tol`` times
    the column's own centred sum of squares, so the decision does not depend on the column's
    scale or on the number of rows.

    Mutant this kills: the tolerance taken as an absolute sum of squares.
    """
    from pipeline.model.fitted import independent_columns

    rng = np.random.default_rng(9)
    a = rng.normal(size=1000)
    b = a + 1e-5 * rng.normal(size=1000)  # residual SS ~1e-7: 1e-10 of its own SS
    c = rng.normal(size=1000)
    for scale in (1.0, 1e3):
        z = np.column_stack([a, b * scale, c])
        kept, collinear = independent_columns(z, [0, 1, 2])
        assert kept == [0, 2] and collinear == {1: [0]}


def test_subsampled_rows_keep_their_weights_in_the_fit_and_in_the_robust_errors():
    """Above ``max_rows`` the quiet rows are subsampled with frequency weights ``1 / rate``:
    the coefficients are statsmodels' GLM with those frequency weights, and the cluster-robust
    errors the weighted sandwich by hand (``H = Σ w μ x xᵀ``, cluster scores
    ``Σ w (y − μ) x``, factor ``G/(G−1) · (N−1)/(N−K)`` with ``N = Σ w``).

    Mutant this kills: the published robust covariance computed without the weights.
    """
    import statsmodels.api as sm
    from _stats import QUARTERLY_COUNTS, one_factor_events

    cells, ev, table = one_factor_events((0.0, 0.0, 3.0, 3.0), rate=0.05)
    opts = FittedOptions(**QUARTERLY_COUNTS, family="poisson", selection="none", max_rows=1000)
    m = FittedModel(opts).fit(ev, cells, ORIGIN, table)
    f = m.features_
    rows, w = m._subsample(f, np.arange(len(f.y_train)))  # the model's own (seeded) sample
    assert rows.size < len(f.y_train) / 2 and (w > 1).any()
    x = f.x_train
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    exog = sm.add_constant(z[rows])
    y, off, g = f.y_train[rows], f.offset_train[rows], f.cell_train[rows]
    ref = sm.GLM(y, exog, family=sm.families.Poisson(), offset=off, freq_weights=w).fit(tol=1e-12)
    rep = m.report()
    by = {r["name"]: r for r in rep["factors"]}
    names = f.names
    for j, name in enumerate(names):
        assert by[name]["coef"] == pytest.approx(ref.params[j + 1], rel=1e-5)
    mu = np.exp(off + exog @ ref.params)
    h = (exog * (w * mu)[:, None]).T @ exog
    u = exog * (w * (y - mu))[:, None]
    sg = np.vstack([u[g == c].sum(axis=0) for c in np.unique(g)])
    n_g, n_w, k = np.unique(g).size, w.sum(), exog.shape[1]
    hinv = np.linalg.inv(h)
    cov = hinv @ sg.T @ sg @ hinv * n_g / (n_g - 1) * (n_w - 1) / (n_w - k)
    for j, name in enumerate(names):
        assert by[name]["se"] == pytest.approx(np.sqrt(cov[j + 1, j + 1]), rel=1e-4)


def test_a_factor_constant_up_to_rounding_is_dropped_not_standardised_into_noise():
    """A factor whose values differ only in their last bits (a per-date value recomputed) has
    an SD of ~1e-15: it is constant, and dividing by that SD would blow the rounding up into
    a unit-variance noise column with a coefficient of its own.

    Mutant this kills: only an SD of exactly 0 counted as constant.
    """
    from _stats import FACTORS_ONLY, one_factor_events

    cells, ev, table = one_factor_events()
    rng = np.random.default_rng(1)
    flat = 5.0 * (1.0 + 1e-15 * rng.choice([-1.0, 0.0, 1.0], cells.size))
    assert np.unique(flat).size > 1
    opts = FittedOptions(**{**FACTORS_ONLY, "horizon_days": 91.0, "min_history_days": 91.0})
    rep = FittedModel(opts).fit(ev, cells, ORIGIN, table.assign(flat=flat)).report()
    by = {r["name"]: r for r in rep["factors"]}
    assert by["x"]["selected"] and not by["flat"]["selected"]
    reason = next(d["reason"] for d in rep["dropped"] if d["name"] == "flat")
    assert reason.startswith("constant over the training rows")


def test_the_forecast_is_clamped_to_the_range_of_the_fitted_rows_only():
    """``fit_region: active``: the clamping range is the fitted (active) rows' range.  A cell
    quiet at every training origin but active at the forecast, whose factor lies below every
    fitted row's, is clamped to the fitted rows' minimum, not to its own value (which only the
    quiet rows hold).

    Mutant this kills: the clamping range taken over every training row.
    """
    rng = np.random.default_rng(5)
    cells = region_to_cells((0.0, 0.0, 1.0, 1.0), 5)
    n = cells.size
    lat, lon = cells_to_latlng(cells)
    u = rng.normal(0.0, 1.0, n)
    east = int(np.argmax(lon))  # > 50 km from every western event
    u[east] = u.min() - 1.0
    west = np.flatnonzero(lon < 0.45)
    k = rng.poisson(4.0 * np.exp(0.5 * u[west]))
    idx = np.repeat(west, k)
    ev = pd.DataFrame(
        {
            "time": ORIGIN - pd.to_timedelta(rng.uniform(0.0, 730.0, idx.size), unit="D"),
            "lon": lon[idx],
            "lat": lat[idx],
        }
    )
    late = pd.DataFrame(  # after the last training origin's history: the forecast's only
        {"time": [ORIGIN - 10 * DAY], "lon": [lon[east]], "lat": [lat[east]]}
    )
    opts = FittedOptions(
        count_windows_days=(),
        bandwidths_km=(25.0,),
        kde_windows_days=(),
        recency=False,
        stride_days=91.0,
        min_history_days=91.0,
        family="poisson",
        selection="none",
        fit_region="active",
    )
    m = FittedModel(opts).fit(
        pd.concat([ev, late]), cells, ORIGIN, pd.DataFrame({"cell": cells, "u": u})
    )
    f = m.features_
    j = f.names.index("u")
    assert not f.active_train[f.cell_train == east].any() and f.active_pred[east]
    fitted_u = f.x_train[f.active_train, j]
    by = {r["name"]: r for r in m.report()["factors"]}
    assert by["u"]["training_range"] == pytest.approx([fitted_u.min(), fitted_u.max()])
    zp = (fitted_u.min() - by["u"]["mean"]) / by["u"]["sd"]
    assert f.names == ["u"]
    eta = m.report()["intercept"] + f.offset_pred[east] + by["u"]["coef"] * zp
    assert m.predict()["expected"].iloc[east] == pytest.approx(np.exp(eta), rel=1e-4)
