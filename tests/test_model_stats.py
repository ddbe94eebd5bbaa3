"""The hand-written statistics of the fitted model, checked against statsmodels and scipy."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from pipeline.density import kernel_density
from pipeline.grid import region_to_cells
from pipeline.model import (
    cluster_robust_cov,
    fit_log_link,
    loglike_obs,
    nb2_alpha,
    smoothed_counts,
)
from pipeline.model.fitted import (
    _fisher_scoring,
    _Fit,
    _start_without,
    cluster_codes,
    independent_columns,
)


@pytest.fixture(scope="module")
def glm_data():
    rng = np.random.default_rng(0)
    n = 4000
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(-1, 1, n)])
    offset = rng.normal(0, 0.2, n)
    mu = np.exp(offset + x @ np.array([-0.5, 0.6, -0.4]))
    y_pois = rng.poisson(mu).astype(float)
    y_nb = rng.poisson(mu * rng.gamma(2.0, 0.5, n)).astype(float)  # NB2, alpha = 0.5
    groups = np.repeat(np.arange(n // 4), 4)
    return x, offset, y_pois, y_nb, groups


def test_loglike_matches_statsmodels_families():
    rng = np.random.default_rng(1)
    y = rng.poisson(1.5, 200).astype(float)
    mu = rng.uniform(0.1, 4, 200)
    np.testing.assert_allclose(loglike_obs(y, mu), sm.families.Poisson().loglike_obs(y, mu))
    np.testing.assert_allclose(
        loglike_obs(y, mu, 0.7),
        sm.families.NegativeBinomial(alpha=0.7).loglike_obs(y, mu),
    )


@pytest.mark.parametrize("family", ["poisson", "nb"])
def test_fit_log_link_matches_statsmodels_glm(glm_data, family):
    x, offset, y_pois, y_nb, _ = glm_data
    y, alpha = (y_pois, None) if family == "poisson" else (y_nb, 0.5)
    fam = sm.families.Poisson() if alpha is None else sm.families.NegativeBinomial(alpha=alpha)
    ref = sm.GLM(y, x, family=fam, offset=offset).fit()
    params, mu, llf, converged, cov = fit_log_link(y, x, offset, np.ones(len(y)), alpha)
    assert converged
    np.testing.assert_allclose(params, ref.params, rtol=1e-6, atol=1e-8)
    assert llf == pytest.approx(ref.llf, rel=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), ref.bse, rtol=1e-5)
    np.testing.assert_allclose(mu, ref.fittedvalues, rtol=1e-6)


def test_frequency_weights_match_statsmodels(glm_data):
    x, offset, y, _, _ = glm_data
    w = np.random.default_rng(2).integers(1, 4, len(y)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset, freq_weights=w).fit()
    params, _, llf, _, _ = fit_log_link(y, x, offset, w)
    np.testing.assert_allclose(params, ref.params, rtol=1e-6)
    assert llf == pytest.approx(ref.llf, rel=1e-9)


@pytest.mark.parametrize("alpha", [None, 0.5])
def test_cluster_robust_cov_matches_statsmodels(glm_data, alpha):
    x, offset, y_pois, y_nb, groups = glm_data
    y = y_pois if alpha is None else y_nb
    fam = sm.families.Poisson() if alpha is None else sm.families.NegativeBinomial(alpha=alpha)
    ref = sm.GLM(y, x, family=fam, offset=offset).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    cov = cluster_robust_cov(x, y, np.asarray(ref.fittedvalues), groups, alpha=alpha)
    np.testing.assert_allclose(cov, ref.cov_params(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_cluster_robust_cov_with_codes_given_matches_statsmodels(glm_data, weighted):
    """The selection passes the clusters' codes once; cluster labels need not be 0..G-1."""
    x, offset, y, _, groups = glm_data
    labels = np.asarray(groups) * 7 + 1_000_003  # sparse, unsorted-looking labels
    w = np.random.default_rng(5).integers(1, 4, len(y)).astype(float) if weighted else None
    # frequency weights: the rows repeated (the small-sample factor counts observations)
    rep = np.ones(len(y), dtype=int) if w is None else w.astype(int)
    ref = sm.GLM(
        np.repeat(y, rep), np.repeat(x, rep, axis=0), sm.families.Poisson(), np.repeat(offset, rep)
    ).fit(cov_type="cluster", cov_kwds={"groups": np.repeat(labels, rep)})
    mu = np.exp(offset + x @ np.asarray(ref.params))
    codes = cluster_codes(labels)
    assert codes.n_groups == len(np.unique(labels))
    cov = cluster_robust_cov(x, y, mu, labels, weights=w, codes=codes)
    np.testing.assert_allclose(cov, ref.cov_params(), rtol=1e-6, atol=1e-12)
    # the indicator sums each cluster's rows in row order, as np.bincount does: to the bit
    u = x * (y - mu)[:, None]
    by_bincount = np.column_stack(
        [np.bincount(codes.codes, weights=u[:, j], minlength=codes.n_groups) for j in range(3)]
    )
    assert np.array_equal(codes.indicator @ u, by_bincount)


def test_nb2_alpha_agrees_with_the_statsmodels_maximum_likelihood(glm_data):
    x, offset, _, y, _ = glm_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.NegativeBinomial(y, x, offset=offset).fit(disp=0, maxiter=200)
    mu = np.exp(offset + x @ ref.params[:-1])
    # Given the MLE means, the profile maximum is the MLE alpha itself.
    assert nb2_alpha(y, mu) == pytest.approx(ref.params[-1], rel=1e-3)
    assert 0.4 < ref.params[-1] < 0.6


def test_smoothed_counts_equal_the_density_core():
    rng = np.random.default_rng(3)
    lon, lat = rng.normal(10, 0.3, 300), rng.normal(50, 0.2, 300)
    cells = region_to_cells((9, 49.3, 11, 50.7), 6)
    for kernel, h in (("quartic", 25.0), ("epanechnikov", 40.0)):
        ours = smoothed_counts(lon, lat, cells, h, kernel)
        ref = kernel_density((lon, lat), cells, bandwidth_km=h, kernel=kernel, method="exact")
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-15)


def _lstsq_independent(z, candidates, tol=1e-8):
    """The reference: one least-squares solve per candidate on the kept columns."""
    kept, collinear = [], {}
    ones = np.ones((z.shape[0], 1))
    for i in candidates:
        col = z[:, i]
        ss = float(((col - col.mean()) ** 2).sum())
        if kept:
            basis = np.column_stack([ones, z[:, kept]])
            coef, *_ = np.linalg.lstsq(basis, col, rcond=None)
            resid = col - basis @ coef
            if float(resid @ resid) <= tol * ss:
                collinear[i] = [k for k, c in zip(kept, coef[1:], strict=True) if abs(c) > 1e-6]
                continue
        kept.append(i)
    return kept, collinear


def test_independent_columns_agree_with_least_squares():
    rng = np.random.default_rng(5)
    n = 3000
    base = rng.normal(size=(n, 4))
    z = np.column_stack(
        [
            base[:, 0],
            base[:, 1],
            2.0 * base[:, 0] - base[:, 1] + 3.0,  # a combination of 0 and 1 (and the intercept)
            base[:, 2],
            base[:, 2] + 1e-3 * base[:, 3],  # nearly but not exactly collinear with 3: kept
            base[:, 1] * 0.5,  # a multiple of 1
            base[:, 3],  # (4 - 3) / 1e-3: collinear after all
            base[:, 2].copy(),  # a copy of 3
        ]
    )
    cands = list(range(z.shape[1]))
    got = independent_columns(z, cands)
    assert got == _lstsq_independent(z, cands)
    assert got == ([0, 1, 3, 4], {2: [0, 1], 5: [1], 6: [3, 4], 7: [3]})


def test_fisher_scoring_from_a_neighbouring_information_reaches_the_same_optimum(glm_data):
    x, offset, _, y, _ = glm_data
    w = np.ones(len(y))
    ref = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=0.5), offset=offset).fit()
    # the information of a neighbouring fit (another alpha, perturbed start): a chord start
    _, _, _, _, info = _fisher_scoring(y, x, offset, w, 0.4, None)
    start = np.asarray(ref.params) + np.array([0.05, -0.03, 0.02])
    params, mu, llf, converged, got_info = _fisher_scoring(y, x, offset, w, 0.5, start, info=info)
    assert converged
    np.testing.assert_allclose(params, ref.params, rtol=1e-7, atol=1e-9)
    assert llf == pytest.approx(ref.llf, rel=1e-10)
    np.testing.assert_allclose(np.sqrt(np.diag(np.linalg.inv(got_info))), ref.bse, rtol=1e-6)


def test_a_diverging_coefficient_stops_the_fit_at_max_abs():
    """Quasi-separation: the feature is non-zero only where there are no events."""
    rng = np.random.default_rng(8)
    n = 2000
    rare = np.zeros(n)
    rare[:40] = 1.0
    y = rng.poisson(0.5, n).astype(float)
    y[:40] = 0.0
    x = np.column_stack([np.ones(n), rng.normal(size=n), rare])
    full = fit_log_link(y, x, np.zeros(n), np.ones(n), maxiter=200)
    stopped = fit_log_link(y, x, np.zeros(n), np.ones(n), maxiter=200, max_abs=np.full(3, 10.0))
    assert full[0][2] < -20  # diverging towards -inf, until the likelihood stops changing
    assert not stopped[3] and 10.0 < abs(stopped[0][2]) < abs(full[0][2])
    assert np.argmax(np.abs(stopped[0][1:])) == 1  # the separated one is the largest


def test_start_without_a_weak_coefficient_is_nearer_the_constrained_optimum(glm_data):
    """Backward elimination drops the feature of smallest |z|: there the quadratic
    approximation holds and the moved start is far closer than the deleted one."""
    x, offset, y, _, _ = glm_data
    rng = np.random.default_rng(9)
    weak = 0.7 * x[:, 1] + rng.normal(size=len(y))  # no effect of its own, correlated with x1
    x = np.column_stack([x, weak])
    w = np.ones(len(y))
    params, mu, llf, _, info = _fisher_scoring(y, x, offset, w, None, None)
    best = _Fit("poisson", None, [0, 1, 2], params, mu, llf, 0.0, True, np.zeros(4))
    best.cov = np.linalg.inv(info)
    start = _start_without(best, 3)
    target, _, best_llf, _, _ = fit_log_link(y, x[:, :3], offset, w)
    naive = np.delete(params, 3)

    def loss(b):  # log-likelihood short of the constrained optimum
        return best_llf - loglike_obs(y, np.exp(offset + x[:, :3] @ b)).sum()

    assert 0 <= loss(start) < 0.1 * loss(naive)
