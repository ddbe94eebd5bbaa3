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
