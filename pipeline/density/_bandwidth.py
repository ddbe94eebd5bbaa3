"""Bandwidth rules of thumb and likelihood cross-validation (formulas in the package docstring)."""

from __future__ import annotations

import logging

import numpy as np

from ..errors import ConfigError, InputError
from ..sphere import lonlat_to_xyz, stereographic_project, tangent_basis
from ._evaluate import evaluate
from ._inputs import (
    BANDWIDTH_RULES,
    MIN_BANDWIDTH_KM,
    bandwidth_too_wide,
    check_choice,
    point_weights,
    points_to_lonlat,
)
from ._kernels import KERNELS, MAX_BANDWIDTH_KM, kernel_at_zero

log = logging.getLogger(__name__)

_CV_MAX_SOURCES = 20_000
_CV_MAX_TARGETS = 2_000


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Return the smallest ``x`` whose cumulative weight reaches ``q`` of the total.

    numpy's ``inverted_cdf`` on points repeated by integer weights.  A running sum within
    its own round-off of ``q`` of the total reaches it: of six weights of 0.3 (total 1.8)
    the third sum, 0.8999999999999999, missed the half, 0.9, and the median was the fourth
    point.  Twenty weights of 0.1 instead of 1 made Silverman's rule 11 % low and the
    spatial rule 5 % high (``tests/test_mutants_bandwidth_found.py``).
    """
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    slack = 4.0 * x.size * np.finfo("float64").eps * cw[-1]
    return float(x[order][min(np.searchsorted(cw, q * cw[-1] - slack), x.size - 1)])


#: Farthest a point may lie from the points' mean centre (degrees of arc) for a rule of thumb:
#: the stereographic plane the rules measure in stretches distances by ``2 / (1 + cos c)`` at
#: ``c`` from its centre (x2 at 90°).
MAX_RULE_REACH_DEG = 90.0


def select_bandwidth(
    points,
    rule: str,
    *,
    weights=None,
    kernel: str = "gaussian",
    bandwidth_range_km: tuple[float, float] | None = None,
) -> float:
    """Choose a bandwidth (km) for ``points`` by a rule of thumb or likelihood cross-validation.

    Parameters
    ----------
    points : GeoDataFrame, DataFrame, (lon, lat) pair or (n, 2) array
        Point locations.
    rule : str
        One of :data:`BANDWIDTH_RULES`; formulas in the package docstring.
    weights : array_like, optional
        Non-negative weight per point.
    kernel : str, default "gaussian"
        Kernel scored by ``cv``.
    bandwidth_range_km : (float, float), optional
        Search range of ``cv``; default ``(0.05, 2) ×`` the ``spatial`` rule, its top at most
        :data:`~pipeline.density.MAX_BANDWIDTH_KM`.

    Returns
    -------
    float
        Bandwidth in km, at least :data:`MIN_BANDWIDTH_KM` (a rule's smaller one is raised to it).

    Raises
    ------
    InputError
        Fewer than 2 weighted points, points that all coincide, or (a rule of thumb, or ``cv``
        without ``bandwidth_range_km``) points reaching more than
        :data:`MAX_RULE_REACH_DEG` from their mean centre, whose spread no plane holds.
    """
    check_choice("bandwidth rule", rule, BANDWIDTH_RULES)
    check_choice("kernel", kernel, KERNELS)
    lon, lat = points_to_lonlat(points)
    w = point_weights(weights, lon.size, points)
    pos = w > 0
    lon, lat, w = lon[pos], lat[pos], w[pos]
    if lon.size < 2:
        raise InputError(
            f"a bandwidth rule needs at least 2 points with weight > 0, got {lon.size}"
        )
    xyz = lonlat_to_xyz(lon, lat)
    centre = (xyz * w[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(centre))
    reach = (
        180.0
        if norm <= 1e-9 * w.sum()
        else float(np.degrees(np.arccos(np.clip((xyz @ (centre / norm)).min(), -1.0, 1.0))))
    )
    if reach > MAX_RULE_REACH_DEG and (rule != "cv" or bandwidth_range_km is None):
        # the plane about the centre doubles distances 90° away and sends the antipode to
        # infinity: points round the globe gave Scott's rule 28,500 km
        raise InputError(
            f"bandwidth rule {rule!r} measures the points' spread in a plane about their mean "
            f"centre, but they reach {reach:.0f}° from it (more than "
            f"{MAX_RULE_REACH_DEG:g}°: a theatre across half the globe or round it); give "
            "bandwidth_km in km" + (", or bandwidth_range_km for 'cv'" if rule == "cv" else "")
        )
    centre /= norm
    x, y, _ = stereographic_project(xyz, centre, *tangent_basis(centre))
    wsum = w.sum()
    x = x - (w * x).sum() / wsum
    y = y - (w * y).sum() / wsum
    n_eff = wsum**2 / (w * w).sum()
    r = np.hypot(x, y)
    sd = float(np.sqrt((w * r * r).sum() / wsum))
    if sd < MIN_BANDWIDTH_KM:
        # rounding leaves a spread of ~1e-30 km between equal points: no spread to scale by
        raise InputError(
            f"cannot choose a bandwidth from points that all coincide ({lon.size} points "
            f"within {MIN_BANDWIDTH_KM * 1000:g} m of one place); give bandwidth_km in km"
        )
    if rule == "scott":
        h = sd / np.sqrt(2) * n_eff ** (-1 / 6)
    elif rule == "silverman":
        iqr = np.mean(
            [_weighted_quantile(v, w, 0.75) - _weighted_quantile(v, w, 0.25) for v in (x, y)]
        )
        spread = min(sd / np.sqrt(2), iqr / 1.349) if iqr > 0 else sd / np.sqrt(2)
        h = 0.9 * spread * n_eff ** (-0.2)
    else:
        dm = _weighted_quantile(r, w, 0.5)
        spread = min(sd, np.sqrt(1 / np.log(2)) * dm) if dm > 0 else sd
        h = 0.9 * spread * n_eff ** (-0.2)
        if rule == "cv":
            # the default range stops at the widest bandwidth accepted: twice a wide theatre's
            # 'spatial' bandwidth was refused as if bandwidth_range_km, which was not given,
            # reached past it
            default = (0.05 * h, min(2.0 * h, MAX_BANDWIDTH_KM))
            h = _cv_bandwidth(lon, lat, w, kernel, bandwidth_range_km or default)
    return float(max(h, MIN_BANDWIDTH_KM))


def _cv_bandwidth(lon, lat, w, kernel, bounds) -> float:
    """Maximise the leave-one-out log-likelihood over a log-spaced range, then refine."""
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ConfigError(f"bandwidth_range_km must be (min, max) in km, got {bounds!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and MIN_BANDWIDTH_KM <= lo < hi):
        raise ConfigError(f"bandwidth_range_km must satisfy 0 < min < max, got {bounds!r}")
    if (wide := bandwidth_too_wide("bandwidth_range_km's max", hi)) is not None:
        raise ConfigError(wide)
    rng = np.random.default_rng(0)
    if lon.size > _CV_MAX_SOURCES:
        keep = np.sort(rng.choice(lon.size, _CV_MAX_SOURCES, replace=False))
        lon, lat, w = lon[keep], lat[keep], w[keep]
    targets = np.sort(rng.choice(lon.size, min(lon.size, _CV_MAX_TARGETS), replace=False))
    wsum = w.sum()

    def score(h: float) -> float:
        f, _ = evaluate(lon[targets], lat[targets], lon, lat, w, h, kernel, "direct")
        loo = (f - w[targets] * kernel_at_zero(kernel, h)) / (wsum - w[targets])
        loo = np.maximum(loo, 0.0)
        with np.errstate(divide="ignore"):
            return float((w[targets] * np.log(loo)).sum())

    grid = np.geomspace(lo, hi, 13)
    scores = np.array([score(h) for h in grid])
    if not np.isfinite(scores).any():
        # A point alone within the largest candidate has a leave-one-out density of 0 under
        # a compact kernel: every candidate's likelihood is -inf.  Leaving such points out
        # would only move the choice to the smallest bandwidth that reaches the next most
        # isolated one (thousands of km on a world-wide history): refuse instead.
        f, _ = evaluate(lon[targets], lat[targets], lon, lat, w, hi, kernel, "direct")
        alone = int((f - w[targets] * kernel_at_zero(kernel, hi) <= 1e-9 * f).sum())
        raise ConfigError(
            f"likelihood cross-validation cannot choose a bandwidth: {alone} of the {targets.size} "
            f"points tested have no neighbour within {hi:.4g} km, the largest bandwidth of its range "
            f"({lo:.4g}, {hi:.4g}) km, under the {kernel!r} kernel; give bandwidth_km or the "
            "rule 'spatial', which resists isolated points"
        )
    best = int(np.nanargmax(np.where(np.isfinite(scores), scores, -np.inf)))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    fine = np.geomspace(a, b, 9)
    fine_scores = np.array([score(h) for h in fine])
    h = float(fine[int(np.argmax(np.where(np.isfinite(fine_scores), fine_scores, -np.inf)))])
    if best in (0, grid.size - 1):
        log.warning("cv bandwidth %.4g km is at the edge of the range (%.4g, %.4g) km", h, lo, hi)
    return h
