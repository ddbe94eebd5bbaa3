"""The fitted model: a count model of next-horizon events per cell, RTM-style.

Risk Terrain Modeling (Caplan & Kennedy) fits a Poisson or negative-binomial regression of event
counts per cell on the cells' risk factors, selects the factors by BIC and publishes each
factor's *relative risk value*.  Here the factors are built from the history itself (counts over
several windows, kernel-smoothed counts at several bandwidths, recency; see
:mod:`pipeline.model.features`) plus any per-cell factor the caller adds (transit, rasters,
plug-ins), and the model is fitted fresh at each forecast origin:

1. **rows**: every cell at every training origin inside the history, label = events in the
   following horizon, offset = ``log(area / mean area)``.  With ``fit_region: active``
   the regression is fitted on the rows with an event within the largest bandwidth before their
   origin; the other, quiet cells get the observed rate of quiet rows (plus half an event, so
   never zero): the regression then ranks where there is history instead of spending itself on
   the edge of the history's support;
2. **standardise** each feature over the training rows (relative risks are per 1 SD); drop a
   feature that is constant there or a linear combination of earlier ones (its coefficient is
   not identified; the report names the features it duplicates), and a feature whose Poisson
   fit gives a relative risk above ``e^max_log_rr_range`` between its lowest and highest
   training value ((quasi-)separation: its cells almost never or almost always have events,
   and the likelihood pushes the coefficient towards infinity);
3. **family**: Poisson and negative binomial (NB2, ``Var = μ + α μ²``) are fitted with all
   features; ``family: auto`` keeps the lower BIC.  ``α`` is the maximum-likelihood value given
   the Poisson means (a two-step estimator), re-estimated after selection from the NB means;
4. **selection** (``bic``): backward elimination on the cluster-robust (by cell) Wald
   statistic — drop the feature of smallest robust ``|z|`` while ``z² < ln G``, ``G`` the
   cells of the fitted rows, and refit.  This is BIC's one-parameter threshold (the
   likelihood-ratio statistic against ``ln n``) with the robust ``z²`` in place of the
   likelihood ratio and the cells as the sample size: the stacked rows of one cell, and one
   event counted in overlapping label windows, are not independent evidence, and BIC on the
   stacked likelihood and row count kept a pure-noise factor about twice as often as its
   p-values admit (``bench/calibration/s3_model.py``).  ``ln G`` is conservative for a
   feature that varies over the origins within a cell.  This is the regularisation: a factor
   has to earn its parameter; the report names the robust ``|z|`` behind each drop;
5. **inference**: the selected model is refitted with statsmodels' GLM (IRLS, started at the
   selection's estimates: the search itself uses :func:`fit_log_link`, the same estimator ten
   times faster), standard errors cluster-robust by cell (the stacked rows of one cell are not
   independent), 95 % Wald intervals and p-values.  ``FittedModel(inference=False)`` (the
   back-test's) stops at the selection's estimates with model-based errors;
6. **forecast**: expected events per cell in the next horizon ``μ``, the probability of at least
   one (Poisson ``1 - e^{-μ}``, NB ``1 - (1 + α μ)^{-1/α}``) and the ranking score ``μ / area``.
   A forecast cell's feature outside the training rows' range is clamped to that range (the
   log-linear model is not extrapolated; the report counts the clamped cells per feature).

Explaining a cell: ``log μ`` is the sum of the intercept, the offset and ``β_k z_k``; against the
*reference cell* (every standardised feature at its mean over the universe at the origin, mean
offset — the geometric-mean cell), the cell's relative risk is
``Π_k exp(β_k (z_k - z̄_k)) × area share``: each factor's multiplicative share.

Sparse data (fewer than ``min_events`` events in the history, fewer than ``min_label_events``
events in the training labels, fewer than ``min_training_origins`` training origins, or a fit
that fails): a message says why and the documented **fallback** is used: expected events =
``horizon / train_days × (w · own-cell count + (1 - w) · kernel-smoothed count)`` at the
smallest bandwidth, Poisson probabilities, ``w = fallback_weight``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, sparse, special, stats

from .. import schema as S
from ..errors import InputError
from ..grid import cells_resolutions, cells_to_strings, points_to_cells, to_cells
from .features import FactorsAt, LaggedFeatures, build_lagged_features, smoothed_counts
from .options import FittedOptions

__all__ = [
    "FittedModel",
    "ClusterCodes",
    "cluster_codes",
    "cluster_robust_cov",
    "fit_log_link",
    "independent_columns",
    "loglike_obs",
    "nb2_alpha",
    "symmetric_pinv",
]

log = logging.getLogger(__name__)

_NOT_COVERED = (
    "covers no cell at any origin (missing everywhere): left out of the model, nothing to estimate"
)
_Z95 = float(stats.norm.ppf(0.975))
#: exp() of a log relative risk above this is beyond float64 (e^709.78 = 1.8e308).
_MAX_LOG_RR = float(np.log(np.finfo("float64").max))


def _rr(log_rr: float) -> float | None:
    """Return ``e^log_rr``, or None where it is beyond float64 or not a number (never inf)."""
    if not np.isfinite(log_rr) or abs(log_rr) > _MAX_LOG_RR:
        return None
    return float(np.exp(log_rr))


_ALPHA_BOUNDS = (1e-6, 1e3)
#: A coefficient whose log relative risk over the training range passes this many times
#: ``max_log_rr_range`` is diverging ((quasi-)separation): its fit stops there.
_DIVERGED = 100.0


def independent_columns(
    z: np.ndarray, candidates: list[int], tol: float = 1e-8
) -> tuple[list[int], dict[int, list[int]]]:
    """Keep the ``candidates`` columns of ``z`` that are not linear combinations of earlier ones.

    Columns are taken in order; a column whose residual after least squares on the kept columns
    (and the intercept) has a sum of squares below ``tol`` times its own centred sum of squares
    is collinear (its coefficient is not identified: two factors that share one coverage mask,
    a count window equal to another).  Returns the kept columns and, per dropped column, the kept
    columns it is a combination of.

    The least squares are one incremental QR of the kept columns (classical Gram-Schmidt,
    orthogonalised a second time where the first pass cancelled more than half the norm,
    "twice is enough": Giraud et al. 2005): each candidate costs two or four products with
    the basis instead of a least-squares solve.
    """
    kept: list[int] = []
    collinear: dict[int, list[int]] = {}
    n = z.shape[0]
    if n == 0:
        return list(candidates), collinear
    q = np.zeros((n, len(candidates) + 1), order="F")  # orthonormal basis: intercept, kept
    r = np.zeros((len(candidates) + 1, len(candidates) + 1))  # basis columns = q @ r
    q[:, 0] = 1.0 / np.sqrt(n)
    r[0, 0] = np.sqrt(n)
    j = 1
    for i in candidates:
        # one contiguous copy: a column of a row-major design read in place reads the whole
        # design on each of the six or so passes below
        col = np.ascontiguousarray(z[:, i], dtype="float64")
        ss = float(((col - col.mean()) ** 2).sum())
        h = q[:, :j].T @ col
        resid = col - q[:, :j] @ h
        rss = float(resid @ resid)
        if rss < 0.5 * float(col @ col):  # cancellation: orthogonalise again (Kahan-Parlett)
            proj = q[:, :j].T @ resid
            resid = resid - q[:, :j] @ proj
            h = h + proj
            rss = float(resid @ resid)
        if j > 1 and rss <= tol * max(ss, 1e-300):
            coef = np.linalg.lstsq(r[:j, :j], h, rcond=None)[0]
            collinear[i] = [k for k, c in zip(kept, coef[1:], strict=True) if abs(c) > 1e-6]
            continue
        norm = np.sqrt(rss)
        r[:j, j] = h
        r[j, j] = norm
        q[:, j] = resid / norm if norm > 0 else 0.0
        kept.append(i)
        j += 1
    return kept, collinear


@dataclass
class _Fit:
    family: str
    alpha: float | None
    active: list[int]
    params: np.ndarray
    mu: np.ndarray
    llf: float
    bic: float
    converged: bool
    bse_naive: np.ndarray
    engine: str = "Fisher scoring"
    cov: np.ndarray | None = None  # model-based (inverse Fisher information)
    info: np.ndarray | None = None  # Fisher information at the estimate


def nb2_alpha(y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Maximum-likelihood NB2 dispersion ``α`` given the means ``mu`` (``Var = μ + α μ²``).

    Parameters
    ----------
    y : numpy.ndarray
        Counts.
    mu : numpy.ndarray
        Fitted means (> 0).
    weights : numpy.ndarray, optional
        Frequency weights.

    Returns
    -------
    float
        ``α`` in ``[1e-6, 1e3]``; the lower bound means no overdispersion.
    """
    y = np.asarray(y, "float64")
    mu = np.maximum(np.asarray(mu, "float64"), 1e-300)
    w = np.ones_like(y) if weights is None else np.asarray(weights, "float64")

    def neg(log_a: float) -> float:
        return -float((w * loglike_obs(y, mu, float(np.exp(log_a)))).sum())

    lo, hi = np.log(_ALPHA_BOUNDS[0]), np.log(_ALPHA_BOUNDS[1])
    # xatol 1e-8: alpha to eight digits, so that it (and every estimate after it) does not
    # hang on the path that gave the means; a log-likelihood costs one pass over the rows
    res = optimize.minimize_scalar(neg, bounds=(lo, hi), method="bounded", options={"xatol": 1e-8})
    return float(np.exp(res.x))


class ClusterCodes(NamedTuple):
    """Each row's cluster as a code, the number of clusters, and the cluster-by-row indicator."""

    codes: np.ndarray
    n_groups: int
    #: sparse (G, N) matrix with a 1 at (cluster, row): ``indicator @ u`` sums u by cluster
    indicator: sparse.csr_array


def cluster_codes(groups: np.ndarray) -> ClusterCodes:
    """Return each row's cluster as a code 0..G-1 (in sorted order of ``groups``), G, and its indicator.

    The indicator's rows list their columns in row order, so its product sums each cluster's
    rows in row order (as ``np.bincount`` does, to the bit) in one pass over the rows
    instead of one per column.
    """
    _, g = np.unique(groups, return_inverse=True)
    g = g.reshape(-1)
    n_g = int(g.max()) + 1 if g.size else 0
    indicator = sparse.csr_array((np.ones(g.size), (g, np.arange(g.size))), shape=(n_g, g.size))
    return ClusterCodes(g, n_g, indicator)


def cluster_robust_cov(
    x: np.ndarray,
    y: np.ndarray,
    mu: np.ndarray,
    groups: np.ndarray,
    *,
    alpha: float | None = None,
    weights: np.ndarray | None = None,
    codes: ClusterCodes | None = None,
) -> np.ndarray:
    """Cluster-robust (sandwich) covariance of a log-link Poisson or NB2 GLM.

    ``H⁻¹ B H⁻¹ · c`` with the observed information ``H = Σ w x xᵀ μ(1+αy)/(1+αμ)²``,
    ``B = Σ_g s_g s_gᵀ``,
    ``s_g = Σ_{i∈g} w x (y - μ)/(1+αμ)`` and statsmodels' small-sample factor
    ``c = G/(G-1) · (N-1)/(N-K)`` (so it matches ``GLM.fit(cov_type="cluster")``).

    Parameters
    ----------
    x : numpy.ndarray
        Design with the constant column, shape (N, K).
    y, mu : numpy.ndarray
        Counts and fitted means.
    groups : numpy.ndarray of int
        Cluster of each row.
    alpha : float, optional
        NB2 dispersion; None for Poisson.
    weights : numpy.ndarray, optional
        Frequency weights of the rows.
    codes : ClusterCodes, optional
        :func:`cluster_codes` of ``groups``, computed once by a caller that asks for many
        covariances on the same rows (the selection's steps).

    Returns
    -------
    numpy.ndarray, shape (K, K)
    """
    a = 0.0 if alpha is None else float(alpha)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, "float64")
    denom = 1.0 + a * mu
    # Observed information of the log link (NB2 is not canonical: it differs from the
    # expected); its weights are >= 0, so it is one symmetric product of the scaled rows
    # (BLAS syrk, half a general product).
    xs = x * np.sqrt(w * mu * (1.0 + a * y) / denom**2)[:, None]
    h = xs.T @ xs
    u = x * (w * (y - mu) / denom)[:, None]
    c_g = cluster_codes(groups) if codes is None else codes
    sg = c_g.indicator @ u  # each cluster's score: its rows summed in row order
    hinv = symmetric_pinv(h)
    n, k = float(w.sum()), x.shape[1]
    c = (c_g.n_groups / max(c_g.n_groups - 1, 1)) * ((n - 1) / max(n - k, 1))
    # H⁻¹ B H⁻¹ as mᵀm (m = S H⁻¹, S the clusters' scores): symmetric and positive
    # semi-definite to round-off.  The product taken in order was not: with two features
    # correlated at 1 - 1e-8 (kept by independent_columns) its two triangles differed by
    # 5e-8 of the largest entry, and the risk's coefficient draws refused it as no covariance
    m = sg @ hinv
    cov = m.T @ m * c
    return (cov + cov.T) / 2.0


def symmetric_pinv(a: np.ndarray) -> np.ndarray:
    """Return the pseudo-inverse of the symmetric matrix ``a``, exactly symmetric.

    ``numpy.linalg.pinv`` of an ill-conditioned symmetric matrix is symmetric only to its
    round-off (``eps`` times the condition number of its largest entry).
    """
    inv = np.linalg.pinv(a)
    return (inv + inv.T) / 2.0


def loglike_obs(y: np.ndarray, mu: np.ndarray, alpha: float | None = None) -> np.ndarray:
    """Log-likelihood of each count under Poisson (``alpha`` None) or NB2 with dispersion ``alpha``.

    The same expressions as statsmodels' ``families.Poisson`` / ``families.NegativeBinomial``
    ``loglike_obs`` (checked in the tests); the terms that vanish at ``y = 0`` are evaluated on
    the non-zero counts only (most cells have none).
    """
    y = np.asarray(y, "float64")
    mu = np.maximum(np.asarray(mu, "float64"), 1e-300)
    pos = np.flatnonzero(y > 0)
    yp, mp = y[pos], mu[pos]
    if alpha is None:
        out = -mu
        out[pos] += yp * np.log(mp) - special.gammaln(yp + 1.0)
        return out
    r = 1.0 / alpha
    out = -r * np.log1p(alpha * mu)
    out[pos] += (
        special.gammaln(yp + r)
        - special.gammaln(r)
        - special.gammaln(yp + 1.0)
        + yp * np.log(alpha * mp / (1.0 + alpha * mp))
    )
    return out


def fit_log_link(
    y: np.ndarray,
    x: np.ndarray,
    offset: np.ndarray,
    weights: np.ndarray,
    alpha: float | None = None,
    start: np.ndarray | None = None,
    *,
    maxiter: int = 100,
    tol: float = 1e-8,
    max_abs: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float, bool, np.ndarray]:
    """Maximum likelihood of a log-link Poisson or NB2 (fixed ``alpha``) GLM by Fisher scoring.

    Fisher scoring is Newton's method for the Poisson and IRLS for NB2; each step solves the
    ``K × K`` normal equations, with step halving while the likelihood would drop.  The
    information ``Xᵀ V X`` is one symmetric rank-K update of ``V^½ X`` (BLAS ``syrk``, half a
    general product).  It reaches the estimates of statsmodels' ``GLM(...).fit()`` (checked
    in the tests) about ten times faster on 10⁵-10⁶ rows, which the per-origin selection needs.

    Parameters
    ----------
    y : numpy.ndarray
        Counts, shape (N,).
    x : numpy.ndarray
        Design with the constant column first, shape (N, K).
    offset : numpy.ndarray
        Offset of the linear predictor.
    weights : numpy.ndarray
        Frequency weights.
    alpha : float, optional
        NB2 dispersion; None for Poisson.
    start : numpy.ndarray, optional
        Starting coefficients; default the intercept-only solution.
    maxiter : int
        Most Fisher-scoring steps.
    tol : float
        Convergence: every step below ``tol``, or a relative likelihood change below
        ``tol × 1e-3``.
    max_abs : numpy.ndarray, optional
        Per coefficient, a size past which the fit stops unconverged: a coefficient that
        diverges under (quasi-)separation would otherwise take ``maxiter`` steps to be seen.

    Returns
    -------
    params, mu, llf, converged, cov
        Coefficients, fitted means, weighted log-likelihood, convergence flag and the
        model-based covariance (inverse Fisher information).
    """
    params, mu, llf, converged, info = _fisher_scoring(
        y, x, offset, weights, alpha, start, maxiter=maxiter, tol=tol, max_abs=max_abs
    )
    return params, mu, llf, converged, symmetric_pinv(info)


def _fisher_scoring(
    y: np.ndarray,
    x: np.ndarray,
    offset: np.ndarray,
    weights: np.ndarray,
    alpha: float | None,
    start: np.ndarray | None,
    *,
    maxiter: int = 100,
    tol: float = 1e-8,
    max_abs: np.ndarray | None = None,
    info: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float, bool, np.ndarray]:
    """:func:`fit_log_link`, returning the information at the estimate instead of its inverse.

    ``info`` is an approximation of the information near ``start`` (a neighbouring fit's).
    The information is reused across steps while the steps it gives shrink fourfold or more
    and need no halving (each information is a pass over the rows, the costly part of a
    step), and recomputed otherwise, which is then a plain Fisher step; a reused one is
    corrected after each step by the BFGS secant update, which also brings in the curvature
    that NB2's expected information lacks (Fisher scoring alone is linear there).  The
    estimate is the same optimum to the tolerance.  The information returned is computed at
    the estimate.
    """
    a = 0.0 if alpha is None else float(alpha)
    x = np.ascontiguousarray(x, dtype="float64")
    k = x.shape[1]
    if start is None:
        b = np.zeros(k)
        b[0] = np.log(max((weights * y).sum(), 1e-12) / (weights * np.exp(offset)).sum())
    else:
        b = np.asarray(start, "float64").copy()

    def state(beta):
        # offset + x @ beta, clipped and exponentiated in one buffer (the same operations)
        eta = x @ beta
        np.add(offset, eta, out=eta)
        mu = np.exp(np.clip(eta, -700, 700, out=eta), out=eta)
        return mu, float((weights * loglike_obs(y, mu, alpha)).sum())

    def information(mu):
        xs = x * np.sqrt(weights * mu / (1.0 + a * mu))[:, None]
        return xs.T @ xs  # the same buffer transposed: numpy calls syrk

    mu, llf = state(b)
    converged = False
    ridge = 1e-10 * np.eye(k)
    m = None if info is None or np.shape(info) != (k, k) else np.asarray(info, "float64")
    fresh = False  # m was computed at the current estimate
    last = np.inf  # size of the last step taken
    taken: tuple[np.ndarray, np.ndarray] | None = None  # the last step and the score before it
    steps = 0
    while steps < maxiter:
        # weights * (y - mu) / (1 + a mu) @ x, with two row buffers instead of four
        num = np.subtract(y, mu)
        np.multiply(weights, num, out=num)
        den = np.multiply(a, mu)
        np.add(1.0, den, out=den)
        score = np.divide(num, den, out=num) @ x
        del num, den
        if m is not None and taken is not None:
            m = _secant_update(m, taken[0], taken[1] - score)
        taken = None
        if m is None:
            m, fresh = information(mu), True
        try:
            step = np.linalg.solve(m + ridge, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(m, score, rcond=None)[0]
        if not fresh and np.abs(step).max() > 0.25 * last:
            m = None  # the reused information converges too slowly here
            continue
        t = 1.0
        while True:
            mu_new, llf_new = state(b + t * step)
            if llf_new >= llf - 1e-10 * abs(llf) or t < 1e-4:
                break
            t /= 2
        if t < 1.0 and not fresh:
            m = None  # a reused information that overshoots: redo the step with a fresh one
            continue
        steps += 1
        b = b + t * step
        change = abs(llf_new - llf)
        mu, llf = mu_new, llf_new
        last = float(np.abs(t * step).max())
        # A small change of the likelihood means convergence after a Fisher step (quadratic:
        # what is left is far smaller); after a chord step (linear) only a small step does.
        if last < tol or (fresh and change < tol * (abs(llf) + 1.0) * 1e-3):
            converged = True
            break
        fresh = False
        taken = (t * step, score)
        if max_abs is not None and (np.abs(b) > max_abs).any():
            break
    return b, mu, llf, converged, information(mu)


def _secant_update(m: np.ndarray, s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """BFGS update of the curvature ``m`` (minus the Hessian) from step ``s`` and the score's fall ``g``.

    Skipped (``m`` returned) where the pair shows no positive curvature, which keeps ``m``
    positive definite.
    """
    ms = m @ s
    sms = float(s @ ms)
    gs = float(g @ s)
    if not (sms > 0 and gs > 1e-12 * sms):
        return m
    return m - np.outer(ms, ms) / sms + np.outer(g, g) / gs


def _start_without(fit: _Fit, j: int) -> np.ndarray:
    """Start of the refit without coefficient ``j``: the fit's optimum moved along ``cov``.

    Under the quadratic approximation of the log-likelihood at the optimum ``β̂`` (covariance
    ``C``), the optimum with ``β_j = 0`` is ``β̂_{-j} - C_{-j,j} β̂_j / C_jj``: a start one
    Newton step closer than ``β̂`` with ``β_j`` deleted.  Either converges to the same estimate.
    """
    params = np.delete(fit.params, j)
    cov = fit.cov
    if cov is None or not (np.isfinite(cov).all() and cov[j, j] > 0):
        return params
    moved = params - np.delete(cov[:, j], j) * (fit.params[j] / cov[j, j])
    return moved if np.isfinite(moved).all() else params


def _info_without(fit: _Fit, j: int) -> np.ndarray | None:
    """Return the fit's information without row and column ``j`` (the refit's first guess)."""
    if fit.info is None:
        return None
    return np.delete(np.delete(fit.info, j, axis=0), j, axis=1)


def _statsmodels_refit(
    best: _Fit, y: np.ndarray, exog: np.ndarray, offset: np.ndarray, w: np.ndarray, n_eff: float
) -> _Fit:
    """Refit the selected model with statsmodels' GLM, started at our estimates.

    The published coefficients, likelihood and BIC are statsmodels' (one or two IRLS steps from
    Fisher scoring's optimum); if statsmodels fails or does not converge, ours stand.
    """
    import warnings

    # the GLM module alone: statsmodels.api also imports formulas, graphics and time series
    # (0.4 s of CPU against 0.15 s)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    fam = (
        families.Poisson()
        if best.family == "poisson"
        else families.NegativeBinomial(alpha=float(best.alpha or _ALPHA_BOUNDS[0]))
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = GLM(y, exog, family=fam, offset=offset, freq_weights=w).fit(
                start_params=best.params, maxiter=50, tol=1e-8
            )
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return best
    params = np.asarray(res.params, dtype="float64")
    if not (res.converged and np.isfinite(params).all()):
        return best
    k = exog.shape[1] + (best.family != "poisson")
    llf = float(res.llf)
    return _Fit(
        family=best.family,
        alpha=best.alpha,
        active=best.active,
        params=params,
        mu=np.asarray(res.fittedvalues, dtype="float64"),
        llf=llf,
        bic=-2.0 * llf + k * np.log(n_eff),
        converged=True,
        bse_naive=np.asarray(res.bse, dtype="float64"),
        engine="statsmodels GLM (IRLS)",
    )


class FittedModel:
    """A Poisson / negative-binomial model of next-horizon events per cell (module docstring).

    Parameters
    ----------
    options : FittedOptions, optional
        Features, family, selection and fallback thresholds.
    inference : bool, default True
        Refit the selected model with statsmodels and take cluster-robust standard errors
        (module docstring, step 5).  A back-test, which only ranks the forecast, turns it off:
        the estimates are then Fisher scoring's (the same optimum, to the convergence
        tolerance) and the report's standard errors model-based.

    Examples
    --------
    >>> model = FittedModel().fit(events, cells, origin="2020-01-01")  # doctest: +SKIP
    >>> model.predict().nlargest(5, "expected")  # doctest: +SKIP
    >>> model.explain(model.predict()["cell"].iloc[0])  # doctest: +SKIP
    """

    kind = "fitted"

    def __init__(self, options: FittedOptions | None = None, *, inference: bool = True) -> None:
        self.options = options or FittedOptions()
        self.inference = inference
        self._fitted = False
        self.fit_: _Fit | None = None

    # ------------------------------------------------------------------ fit

    def fit(
        self,
        events: pd.DataFrame,
        cells,
        origin,
        factors: pd.DataFrame | FactorsAt | None = None,
    ) -> FittedModel:
        """Fit on the events before ``origin`` and forecast the next horizon for ``cells``.

        Parameters
        ----------
        events : pandas.DataFrame
            ``time``, ``lon``, ``lat``; only ``[origin - train_days, origin)`` is used.
        cells : array_like
            H3 cells to model (one resolution).
        origin : date-like
            The forecast origin (``as_of``).
        factors : pandas.DataFrame or callable, optional
            Extra per-cell factors (``cell`` column or index, numeric columns, NaN = not
            covered): one table for every training origin, or ``factors_at(timestamp) ->
            table``, called at each training origin and at ``origin`` (a factor that counts
            the seizures as of a date; see :func:`~pipeline.model.features.build_lagged_features`).

        Returns
        -------
        FittedModel
            ``self``.
        """
        from ..evaluate.backtest import prepare_events

        events = prepare_events(events)
        opts = self.options
        cells = np.unique(to_cells(np.asarray(cells)))
        if cells.size == 0:
            raise InputError("cells is empty; the model needs at least one cell")
        given = origin
        try:
            origin = pd.Timestamp(origin)
        except (TypeError, ValueError):
            raise InputError(f"origin must be a date or timestamp, got {origin!r}") from None
        if pd.isna(origin):
            raise InputError(f"origin must be a date or timestamp, got {given!r}")
        origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")
        feats = build_lagged_features(events, cells, origin, opts, factors)
        self.cells_ = cells
        self.origin_ = origin
        self.area_ = feats.area_km2
        self.features_ = feats
        self._events = events
        reason = self._too_sparse(feats)
        self.fallback_ = reason
        if reason is None:
            try:
                self._fit_glm(feats)
            except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
                self.fallback_ = f"the count model could not be fitted ({exc})"
        if self.fallback_ is not None:
            log.warning("fitted model: %s; using the fallback blend", self.fallback_)
            self._fit_fallback(feats)
        self._fitted = True
        return self

    def _too_sparse(self, f: LaggedFeatures) -> str | None:
        o = self.options
        if f.n_events < o.min_events:
            return (
                f"too few events to fit a model: {f.n_events} in the {o.train_days:g} days "
                f"before the origin (need >= {o.min_events})"
            )
        n_orig = len(f.training_origins_days)
        if n_orig < o.min_training_origins:
            return (
                f"too few training origins: {n_orig} fit in train_days {o.train_days:g} with "
                f"{o.history_days:g} days of history and a {o.horizon_days:g}-day horizon (need "
                f">= {o.min_training_origins}); lengthen train_days or shorten the windows"
            )
        n_lab = float(f.y_train.sum())
        if n_lab < o.min_label_events:
            return (
                f"too few events in the training labels: {n_lab:g} (need >= {o.min_label_events})"
            )
        return None

    def _subsample(self, f: LaggedFeatures, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``region`` kept for fitting and their frequency weights."""
        n = region.size
        if n <= self.options.max_rows:
            return region, np.ones(n)
        count_cols = [i for i, nm in enumerate(f.names) if nm.startswith("count_")]
        quiet = f.y_train[region] == 0
        if count_cols:
            quiet &= (f.x_train[np.ix_(region, np.asarray(count_cols))] == 0).all(axis=1)
        n_loud = int((~quiet).sum())
        rate = min(1.0, max(self.options.max_rows - n_loud, 1000) / max(int(quiet.sum()), 1))
        rng = np.random.default_rng(self.options.seed)
        keep = ~quiet | (rng.random(n) < rate)
        w = np.where(quiet[keep], 1.0 / rate, 1.0)
        return region[keep], w

    @staticmethod
    def _observed_without_events(f: LaggedFeatures, region: np.ndarray) -> dict[str, str]:
        """Return the extra factors (and indicators) no training event can estimate, with why.

        Where every training-label event lies in rows the factor does not cover, its values
        where it is observed never meet an event: its coefficient would be fitted on the
        fill of the missing rows alone (a 300-seizure run published such a factor at p 6e-8),
        and its indicator is separated.  Both are dropped.
        """
        out: dict[str, str] = {}
        y = f.y_train[region]
        total = float(y.sum())
        for indicator, group in f.missing_of.items():
            if indicator not in f.names:
                continue
            missing = f.x_train[region, f.names.index(indicator)] > 0.5
            if total <= 0 or not missing.any() or float(y[~missing].sum()) > 0:
                continue
            which = ", ".join(repr(n) for n in group)
            why = (
                f"every training event ({total:g}) lies where {which} is missing: no event "
                "where it is observed, so its effect cannot be estimated"
            )
            out.update({name: why for name in group if name in f.names})
            out[indicator] = why
        return out

    @staticmethod
    def _constant_reason(f: LaggedFeatures, i: int) -> str:
        """Say why feature ``i`` is dropped as constant, and what the forecast does instead.

        A missing indicator is constant over the training rows when the factor covered every
        cell at every training origin; cells it misses at the forecast (a per-date table with
        a gap today) then take the factor's fill with no effect of the gap: said here, as
        the forecast of those cells rests on that fill.  The fill is the mean of the covered
        values of every origin the design holds, the training origins and the forecast
        origin (:func:`~pipeline.model.features.build_lagged_features`), not of the training
        rows alone; none of them is after the forecast origin, so a back-test origin's fill
        knows nothing of its test window.
        """
        reason = "constant over the training rows"
        name = f.names[i]
        group = f.missing_of.get(name)
        if group:
            gaps = int((f.x_pred[:, i] > 0.5).sum())
            if gaps:
                which = ", ".join(repr(n) for n in group)
                reason += (
                    f"; {which} covered every training row but misses {gaps} cell(s) at the"
                    " forecast: their forecast takes its fill there (the mean of its covered"
                    " values at the training origins and at the forecast origin, none later),"
                    " the effect of the gap unestimated"
                )
        return reason

    def _fit_glm(self, f: LaggedFeatures) -> None:
        o = self.options
        if o.fit_region == "active":
            in_region = f.active_train
        else:
            in_region = np.ones(len(f.y_train), dtype=bool)
        outside = ~in_region
        # Quiet cells (no event within the largest bandwidth) get their observed rate, with
        # half an event added so that it is never exactly zero.
        self.quiet_rate_ = (
            (float(f.y_train[outside].sum()) + 0.5) / float(np.exp(f.offset_train[outside]).sum())
            if outside.any()
            else None
        )
        n_lab = float(f.y_train[in_region].sum())
        if n_lab < o.min_label_events:
            raise ValueError(
                f"{n_lab:g} training-label events in the cells with history (need >= "
                f"{o.min_label_events})"
            )
        region = np.flatnonzero(in_region)
        rows, w = self._subsample(f, region)
        self.rows_region_ = int(region.size)
        self.rows_used_ = int(rows.size)
        xr = f.x_train[region]
        mean = xr.mean(axis=0) if xr.size else np.zeros(len(f.names))
        # the mean numpy's std would compute again (the same sum and division, so the same bits)
        sd = xr.std(axis=0, mean=mean[None, :]) if xr.size else np.zeros(len(f.names))
        self.mean_, self.sd_ = mean, sd
        self.lo_ = xr.min(axis=0) if xr.size else np.zeros(len(f.names))
        self.hi_ = xr.max(axis=0) if xr.size else np.zeros(len(f.names))
        del xr
        dropped: list[dict] = []
        unobserved = self._observed_without_events(f, region)
        active = []
        for i, nm in enumerate(f.names):
            if nm in unobserved:
                dropped.append({"name": nm, "reason": unobserved[nm]})
            elif sd[i] <= 1e-12:
                dropped.append({"name": nm, "reason": self._constant_reason(f, i)})
            else:
                active.append(i)
        # the constant and every standardised feature, once: each fit takes its columns from
        # it (z is written in place, not built and then copied in)
        design = np.empty((rows.size, len(f.names) + 1))
        design[:, 0] = 1.0
        z = design[:, 1:]
        np.subtract(f.x_train[rows], mean, out=z)
        np.divide(z, np.where(sd > 0, sd, 1.0), out=z)
        active, collinear = independent_columns(z, active)
        # each column's range, once (max - min: exact, whichever columns a fit takes)
        spans = np.ptp(z, axis=0) if z.shape[0] else np.zeros(z.shape[1])
        for i, with_ in collinear.items():
            others = ", ".join(repr(f.names[k]) for k in with_)
            dropped.append(
                {
                    "name": f.names[i],
                    "reason": f"a linear combination of {others} on the training rows",
                }
            )
        y = f.y_train[rows]
        off = f.offset_train[rows]
        n_eff = float(w.sum())
        groups = f.cell_train[rows]

        # The last design taken (one copy of the rows): the selection's robust covariance reads
        # the columns of the fit just made.
        last: list[tuple[tuple[int, ...], np.ndarray]] = []

        def columns(cols: list[int]) -> np.ndarray:
            key = tuple(cols)
            if last and last[0][0] == key:
                return last[0][1]
            last.clear()  # before the copy: one design at a time
            exog = design.take([0, *(c + 1 for c in cols)], axis=1)
            exog.flags.writeable = False  # shared by the calls that ask for these columns
            last.append((key, exog))
            return exog

        def fit(
            family: str,
            alpha: float | None,
            cols: list[int],
            start=None,
            separation=False,
            info=None,
        ) -> _Fit:
            exog = columns(cols)
            max_abs = None
            if separation:
                # A coefficient past _DIVERGED times the separation limit is diverging: stop
                # there instead of after maxiter steps (the check below drops it either way).
                span = spans[cols] if cols else np.zeros(0)
                limit = np.divide(
                    _DIVERGED * o.max_log_rr_range,
                    span,
                    out=np.full(len(cols), np.inf),
                    where=span > 0,
                )
                max_abs = np.concatenate([[np.inf], limit])
            params, mu, llf, conv, information = _fisher_scoring(
                y,
                exog,
                off,
                w,
                alpha if family != "poisson" else None,
                start,
                max_abs=max_abs,
                info=info,
            )
            cov = symmetric_pinv(information)
            if not np.isfinite(params).all():
                raise ValueError(f"non-finite coefficients with {family}")
            k = len(cols) + 1 + (family != "poisson")
            return _Fit(
                family=family,
                alpha=alpha,
                active=list(cols),
                params=params,
                mu=mu,
                llf=llf,
                bic=-2.0 * llf + k * np.log(n_eff),
                converged=conv,
                bse_naive=np.sqrt(np.maximum(np.diag(cov), 0.0)),
                cov=cov,
                info=information,
            )

        pois = fit("poisson", None, active, separation=True)
        while pois.active:
            # Quasi-complete separation: a feature whose cells (almost) never or always have
            # events drives its coefficient to +-infinity; it is not identified, so it goes.
            span = spans[pois.active]
            log_rr = np.abs(pois.params[1:]) * span
            k = int(np.argmax(log_rr))
            if log_rr[k] <= o.max_log_rr_range:
                break
            name = f.names[pois.active[k]]
            dropped.append(
                {
                    "name": name,
                    # a diverging fit stops at an arbitrary size past the cap: name the cap
                    "reason": (
                        f"relative risk e^{log_rr[k]:.3g}"
                        if pois.converged or log_rr[k] <= _DIVERGED * o.max_log_rr_range
                        else f"relative risk above e^{_DIVERGED * o.max_log_rr_range:g} and "
                        "growing (the fit diverges)"
                    )
                    + f" between its lowest and highest training value (limit "
                    f"e^{o.max_log_rr_range:g}): (quasi-)separation, the coefficient is not "
                    "identified",
                }
            )
            pois = fit(
                "poisson", None, [c for j, c in enumerate(pois.active) if j != k], separation=True
            )
        active = pois.active
        fam_bic: dict[str, float] = {"poisson": pois.bic}
        nb: _Fit | None = None
        if o.family in ("auto", "negative_binomial"):
            a = nb2_alpha(y, pois.mu, w)
            nb = fit("negative_binomial", a, active, pois.params)
            fam_bic["negative_binomial"] = nb.bic
        if o.family == "poisson" or nb is None:
            best, why = pois, "family fixed to poisson by the options"
        elif o.family == "negative_binomial":
            best, why = nb, "family fixed to negative_binomial by the options"
        elif nb.bic < pois.bic:
            best = nb
            why = (
                f"negative binomial: BIC {nb.bic:.1f} < Poisson {pois.bic:.1f} (overdispersion "
                f"alpha = {nb.alpha:.3g})"
            )
        else:
            best = pois
            why = f"Poisson: BIC {pois.bic:.1f} <= negative binomial {nb.bic:.1f}"
        # the family is chosen on the candidate factors; the selection below refits (NB2's
        # alpha again): piracy incidents read "alpha = 1.48" beside a published 1.80
        n_candidates = len(active)

        steps: list[dict] = [{"features": [f.names[i] for i in best.active], "bic": best.bic}]
        selection: dict = {"method": o.selection}
        if o.selection == "bic":
            # The stacked rows of one cell (and one event in overlapping label windows) are
            # not independent evidence: BIC on the stacked likelihood and row count kept a
            # pure-noise factor about twice as often as its p-values admit.  A feature is
            # dropped while its cluster-robust Wald z^2 (the likelihood-ratio statistic
            # corrected for the dependence within cells) is below ln(cells): BIC's threshold
            # for one parameter with the cells as the sample size.
            codes = cluster_codes(groups)  # once: every step's covariance is on these rows
            n_clusters = codes.n_groups
            threshold = float(np.log(max(n_clusters, 2)))
            z_min = float(np.sqrt(threshold))
            selection.update(
                {
                    "criterion": "cluster-robust Wald: drop the feature of smallest robust |z| "
                    "while z^2 < ln(cells), BIC's penalty with the cells as the sample size",
                    "clusters": n_clusters,
                    "z_threshold": z_min,
                }
            )
            while best.active:
                rcov = cluster_robust_cov(
                    columns(best.active),
                    y,
                    best.mu,
                    groups,
                    alpha=best.alpha,
                    weights=w,
                    codes=codes,
                )
                se_r = np.sqrt(np.maximum(np.diag(rcov)[1:], 0.0))
                zstat = np.abs(best.params[1:]) / np.maximum(se_r, 1e-300)
                k = int(np.argmin(zstat))
                name = f.names[best.active[k]]
                if zstat[k] ** 2 >= threshold:
                    steps.append(
                        {
                            "stopped": f"smallest cluster-robust |z| {zstat[k]:.2f} ({name}) "
                            f">= {z_min:.2f} = sqrt(ln {n_clusters} cells)"
                        }
                    )
                    break
                cols = [c for j, c in enumerate(best.active) if j != k]
                trial = fit(
                    best.family,
                    best.alpha,
                    cols,
                    _start_without(best, k + 1),
                    info=_info_without(best, k + 1),
                )
                reason = (
                    f"cluster-robust |z| = {zstat[k]:.2f} < {z_min:.2f} = sqrt(ln {n_clusters} "
                    f"cells), BIC's threshold with the cells as the sample size (model-based "
                    f"|z| {abs(best.params[k + 1]) / max(best.bse_naive[k + 1], 1e-300):.2f})"
                )
                dropped.append({"name": name, "reason": reason})
                steps.append(
                    {
                        "dropped": name,
                        "robust_z": float(zstat[k]),
                        "why": reason,
                        "features": [f.names[i] for i in cols],
                        "bic": trial.bic,
                    }
                )
                best = trial
            if best.family == "negative_binomial":
                a = nb2_alpha(y, best.mu, w)
                best = fit("negative_binomial", a, best.active, best.params, info=best.info)

        if self.inference:
            exog = columns(best.active)
            best = _statsmodels_refit(best, y, exog, off, w, n_eff)
            cov = cluster_robust_cov(exog, y, best.mu, groups, alpha=best.alpha, weights=w)
        else:
            assert best.cov is not None
            cov = best.cov
        self.fit_ = best
        self.cov_ = cov
        self.family_bic_ = fam_bic
        if nb is not None and o.family == "auto" and len(best.active) < n_candidates:
            k = len(best.active)
            # the factors the family was chosen on: the candidates less any dropped for
            # (quasi-)separation, so not always the panel's "of N candidate factors"
            on = f"on the {n_candidates} factors before the selection"
            why = (
                f"negative binomial: BIC {nb.bic:.1f} < Poisson {pois.bic:.1f} {on} "
                f"(overdispersion alpha = {nb.alpha:.3g} there)"
                if best.family == "negative_binomial"
                else f"Poisson: BIC {pois.bic:.1f} <= negative binomial {nb.bic:.1f} {on}"
            )
            if best.family == "negative_binomial" and best.alpha is not None:
                why += (
                    f"; the model published ({k} factor{'' if k == 1 else 's'}) has "
                    f"alpha = {best.alpha:.3g}"
                )
        elif (
            nb is not None
            and o.family == "auto"
            and best.family == "negative_binomial"
            and best.alpha is not None
            and f"{best.alpha:.3g}" != f"{nb.alpha:.3g}"
        ):
            # no factor dropped, but the selection's last step estimated alpha again on the
            # fit's own means: the why said "alpha = 2.25" beside a published 2.238842
            why += f"; the model published has alpha = {best.alpha:.3g} (estimated on its fit)"
        self.why_ = why
        self.steps_ = steps
        self.selection_ = selection
        self.dropped_ = dropped
        self._predict_glm(f)

    def _predict_glm(self, f: LaggedFeatures) -> None:
        best = self.fit_
        assert best is not None
        # Clamping: a forecast cell whose feature lies outside the training rows' range is
        # treated as the nearest training value instead of extrapolating the log-linear model.
        x_pred = np.clip(f.x_pred, self.lo_, self.hi_)
        self.clamped_ = (x_pred != f.x_pred).sum(axis=0)
        zp = (x_pred - self.mean_) / np.where(self.sd_ > 0, self.sd_, 1.0)
        za = zp[:, best.active]
        beta = best.params[1:]
        eta = best.params[0] + f.offset_pred + za @ beta
        mu = np.exp(eta)
        fitted = (
            f.active_pred if self.options.fit_region == "active" else np.ones(mu.size, dtype=bool)
        )
        self.in_region_ = fitted
        self.z_pred_ = za
        ref = za[fitted] if fitted.any() else za
        self.zbar_ = ref.mean(axis=0) if ref.size else np.zeros(len(best.active))
        if best.family == "negative_binomial" and best.alpha:
            a = best.alpha
            p_any = 1.0 - np.exp(-np.log1p(a * mu) / a)
        else:
            p_any = -np.expm1(-mu)
        if not fitted.all():
            rate = self.quiet_rate_ if self.quiet_rate_ is not None else 0.0
            mu = np.where(fitted, mu, rate * np.exp(f.offset_pred))
            p_any = np.where(fitted, p_any, -np.expm1(-mu))
        self.expected_ = mu
        self.p_any_ = p_any

    def _fit_fallback(self, f: LaggedFeatures) -> None:
        o = self.options
        events = self._events
        times = pd.to_datetime(events[S.TIME], utc=True)
        t0 = self.origin_ - pd.Timedelta(days=o.train_days)
        hist = events[(times >= t0) & (times < self.origin_)]
        res = int(cells_resolutions(self.cells_[:1])[0])
        from ..evaluate.baselines import events_to_counts

        counts = events_to_counts(
            points_to_cells(hist[S.LON].to_numpy(), hist[S.LAT].to_numpy(), res), self.cells_
        )
        b = (o.bandwidths_km or (25.0,))[0]
        smooth = (
            smoothed_counts(
                hist[S.LON].to_numpy(), hist[S.LAT].to_numpy(), self.cells_, b, o.kernel
            )
            * self.area_
            if len(hist)
            else np.zeros(self.cells_.size)
        )
        rate = o.horizon_days / o.train_days
        mu = rate * (o.fallback_weight * counts + (1 - o.fallback_weight) * smooth)
        self.fit_ = None
        self.expected_ = mu
        self.p_any_ = -np.expm1(-mu)

    # ------------------------------------------------------------------ outputs

    def _check(self) -> None:
        if not self._fitted:
            raise InputError("the model is not fitted yet; call fit(events, cells, origin)")

    def predict(self) -> pd.DataFrame:
        """Forecast of every cell for the horizon after the origin.

        Returns
        -------
        pandas.DataFrame
            ``cell``, ``hex_id``, ``expected`` (events in the next horizon), ``p_any``
            (probability of at least one), ``score`` (expected events per km², the ranking),
            ``relative_risk`` (against the reference cell, see :meth:`explain`); sorted by cell.
        """
        self._check()
        return pd.DataFrame(
            {
                S.CELL: self.cells_,
                S.HEX_ID: cells_to_strings(self.cells_),
                "expected": self.expected_,
                "p_any": self.p_any_,
                "score": self.expected_ / self.area_,
                "relative_risk": self._relative_risk(),
            }
        )

    def _reference(self) -> np.ndarray:
        """Cells that define the reference cell: those the regression covers."""
        region = getattr(self, "in_region_", None)
        if self.fit_ is None or region is None or not region.any():
            return self.expected_ > 0
        return region

    def _relative_risk(self) -> np.ndarray:
        mu = self.expected_
        ref_cells = self._reference() & (mu > 0)
        if not ref_cells.any():
            return np.ones_like(mu)
        ref = float(np.exp(np.log(mu[ref_cells]).mean()))
        return mu / ref

    def shares(self) -> pd.DataFrame:
        """Each selected factor's multiplicative share of every cell's relative risk.

        Returns
        -------
        pandas.DataFrame
            ``cell``, ``relative_risk``, ``area`` (the area's share) and one column per selected
            factor, ``exp(β (z - z̄))``; for the cells the regression covers, the product of the
            share columns and ``area`` is ``relative_risk``.  Quiet cells (no event within the
            largest bandwidth, ``fit_region: active``) and the fallback have NaN shares.
        """
        self._check()
        out = pd.DataFrame({S.CELL: self.cells_, "relative_risk": self._relative_risk()})
        off = self.features_.offset_pred
        ref = self._reference()
        # no reference cell (a fallback that expects no event anywhere): every relative risk
        # is 1 (:meth:`_relative_risk`), and so is the area's share - not NaN with a warning
        out["area"] = np.exp(off - off[ref].mean()) if ref.any() else np.ones_like(off)
        if self.fit_ is None:
            return out
        beta = self.fit_.params[1:]
        contrib = np.exp((self.z_pred_ - self.zbar_) * beta)
        contrib[~self.in_region_] = np.nan
        for j, i in enumerate(self.fit_.active):
            out[self.features_.names[i]] = contrib[:, j]
        return out

    def explain(self, cell) -> dict:
        """Why a cell has its forecast: expected count, relative risk and each factor's share.

        Parameters
        ----------
        cell : int or str
            An H3 cell of the fit (uint64 or hex string).

        Returns
        -------
        dict
            ``cell`` (hex), ``expected``, ``p_any``, ``relative_risk`` (vs the reference cell:
            every factor at the universe's mean; ``times_mean``: vs the mean expected count),
            and ``factors``: per selected factor its raw value (None where it does not cover
            the cell), standardised value, relative risk per SD and multiplicative ``share``;
            the shares times ``area_share`` multiply to ``relative_risk``.
        """
        self._check()
        ids = to_cells(np.atleast_1d(np.asarray(cell)))
        if ids.size != 1:
            raise InputError(f"explain takes one cell, got {ids.size}; call it once per cell")
        c = ids[0]
        i = int(np.searchsorted(self.cells_, c))
        if i >= self.cells_.size or self.cells_[i] != c:
            raise InputError(f"cell {cell!r} is not one of the model's cells")
        sh = self.shares()
        mu = self.expected_
        out: dict = {
            "cell": str(cells_to_strings(np.array([c]))[0]),
            "model": self.report_name,
            "expected": float(mu[i]),
            "p_any": float(self.p_any_[i]),
            "relative_risk": float(sh["relative_risk"].iloc[i]),
            "times_mean": float(mu[i] / mu.mean()) if mu.mean() > 0 else None,
            "area_share": float(sh["area"].iloc[i]),
            "reference": "the geometric-mean cell: every factor at the universe's mean",
            "factors": [],
        }
        if self.fit_ is None:
            out["fallback"] = self.fallback_
            return out
        if not self.in_region_[i]:
            b = max(self.options.bandwidths_km)
            out["note"] = (
                f"no event within {b:g} km in the history: the observed rate of such quiet cells"
            )
            return out
        f = self.features_
        for j, k in enumerate(self.fit_.active):
            name = f.names[k]
            raw = f.raw_pred.get(name)
            out["factors"].append(
                {
                    "name": name,
                    "description": f.descriptions.get(name, name),
                    # missing where the factor does not cover the cell (None, as the
                    # weighted card says): NaN there broke json.dumps(allow_nan=False)
                    "value": None if raw is None or np.isnan(raw[i]) else float(raw[i]),
                    "z": float(self.z_pred_[i, j]),
                    "rr_per_sd": float(np.exp(self.fit_.params[j + 1])),
                    "share": float(sh[name].iloc[i]),
                }
            )
        return out

    @property
    def report_name(self) -> str:
        """``poisson``, ``negative_binomial`` or ``fallback``."""
        return "fallback" if self.fit_ is None else self.fit_.family

    def report(self) -> dict:
        """Describe the fit: family and why, each factor's relative risk value, interval, p.

        Returns
        -------
        dict
            JSON-safe (no NaN).  ``factors`` lists every candidate with ``selected``; a selected
            one has ``coef`` (per 1 SD of the transformed feature), ``se`` (cluster-robust by
            cell), ``rr_per_sd`` and its 95 % interval ``rr_ci95``, ``p_value``, and the same per
            unit of the transformed feature (``rr_per_unit``).  ``factors_not_covered``
            names the extra factors missing in every cell, left out (listed as not selected
            and in ``dropped`` with that reason).
        """
        self._check()
        from ..evaluate._json import json_safe

        f = self.features_
        o = self.options
        base = {
            "model": self.report_name,
            "origin": self.origin_.isoformat(),
            "horizon_days": o.horizon_days,
            "train_days": o.train_days,
            "n_cells": int(self.cells_.size),
            "n_events": f.n_events,
            "training_origins_days": f.training_origins_days,
            "n_rows": int(len(f.y_train)),
            "n_label_events": float(f.y_train.sum()),
            "expected_total": float(self.expected_.sum()),
            "fallback": self.fallback_,
            "factors_not_covered": list(f.not_covered),
        }
        # a factor missing in every cell (a raster of another place, a plug-in's NaN) was
        # left out of the design without a word: the report did not list it at all
        uncovered = [{"name": name, "reason": _NOT_COVERED} for name in f.not_covered]
        if self.fit_ is None:
            base["why"] = (
                f"fallback: {self.fallback_}. Expected events = {o.horizon_days:g}/"
                f"{o.train_days:g} x ({o.fallback_weight:g} x own-cell count + "
                f"{1 - o.fallback_weight:g} x smoothed count)"
            )
            base["factors"] = []
            return json_safe(base)
        best = self.fit_
        se = np.sqrt(np.maximum(np.diag(self.cov_), 0.0))
        rows = []
        pos = {k: j for j, k in enumerate(best.active)}
        for i, name in enumerate(f.names):
            row: dict = {
                "name": name,
                "description": f.descriptions.get(name, name),
                "selected": i in pos,
                "mean": float(self.mean_[i]),
                "sd": float(self.sd_[i]),
                "training_range": [float(self.lo_[i]), float(self.hi_[i])],
                "clamped_cells": int(self.clamped_[i]),
            }
            if i in pos:
                j = pos[i] + 1
                b, s = float(best.params[j]), float(se[j])
                zv = b / s if s > 0 else np.nan
                unit = self.sd_[i] if self.sd_[i] > 0 else np.nan
                row.update(
                    {
                        "coef": b,
                        "se": s,
                        "z": zv,
                        "p_value": float(2 * stats.norm.sf(abs(zv))) if np.isfinite(zv) else None,
                        "rr_per_sd": float(np.exp(b)),
                        "rr_ci95": [_rr(b - _Z95 * s), _rr(b + _Z95 * s)],
                        # per unit of a factor of tiny units (sd 1e-6): e^(b / sd) is beyond
                        # any float, so missing; the per-SD figures say the same thing
                        "rr_per_unit": _rr(b / unit),
                        "rr_per_unit_ci95": [
                            _rr((b - _Z95 * s) / unit),
                            _rr((b + _Z95 * s) / unit),
                        ],
                    }
                )
            rows.append(row)
        rows += [
            {"name": d["name"], "description": f"factor {d['name']!r}", "selected": False}
            for d in uncovered
        ]
        base.update(
            {
                "why": self.why_,
                "family_bic": self.family_bic_,
                "alpha": best.alpha,
                "intercept": float(best.params[0]),
                "llf": best.llf,
                "bic": best.bic,
                "converged": best.converged,
                "estimator": best.engine,
                "n_rows_used": self.rows_used_,
                "fit_region": {
                    "mode": o.fit_region,
                    "rows": self.rows_region_,
                    "cells": int(self.in_region_.sum()),
                    "quiet_rate_per_mean_cell": self.quiet_rate_,
                },
                "selection": {**self.selection_, "steps": self.steps_},
                "dropped": [*self.dropped_, *uncovered],
                "factors": rows,
                "rr_unit": "relative risk per 1 SD of the transformed feature over the training "
                "rows (rr_per_unit: per one unit of the transformed feature)",
                "se_method": "cluster-robust by cell (sandwich, statsmodels' small-sample factor)"
                if self.inference
                else "model-based (inverse Fisher information; inference off)",
            }
        )
        return json_safe(base)
