"""Kernel profiles on great-circle distance, normalised on the sphere.

Part of :mod:`pipeline.density`.  Every kernel is a function of the great-circle distance
``d`` (km) and the bandwidth ``h`` (km): its planar profile (the formulas in the package
docstring, ``∫∫ K dA = 1`` in the plane) times :func:`sphere_factor`, the constant that makes
its integral over the sphere 1.  The planar profile alone integrates on the sphere to
``1 - O(h²/R²)``: 1 - 5e-6 (gaussian) and 1 - 6e-7 (quartic) at 25 km, 1 - 8e-3 and 1 - 1e-3
at 1,000 km, 0.72 and 0.96 at 6,400 km (``bench/bench_density_sphere_mass.py``).
"""

from __future__ import annotations

import functools

import numpy as np

from ..sphere import EARTH_RADIUS_KM

#: The gaussian is truncated at this many bandwidths by the fast evaluators: exp(-7²/2) = 2e-11.
GAUSSIAN_CUTOFF = 7.0

KERNELS = ("epanechnikov", "gaussian", "quartic", "triangular", "uniform")

#: Widest bandwidth accepted (km): a quarter of the Earth's circumference (πR/2, 10,007.5 km).
#: A compact kernel this wide covers a hemisphere and the gaussian's density at the antipode
#: is still e^-2 = 14 % of its peak: wider, the kernel is more the sphere's shape than the
#: points' (the uniform one is the same constant everywhere from πR on).
MAX_BANDWIDTH_KM = 0.5 * np.pi * EARTH_RADIUS_KM

#: Gauss-Legendre nodes per piece of the sphere integral in :func:`sphere_factor`.
_GL_NODES = 64


def kernel_support_km(kernel: str, h: float) -> float:
    """Distance beyond which the kernel is zero (gaussian: the truncation radius)."""
    return GAUSSIAN_CUTOFF * h if kernel == "gaussian" else h


def kernel_at_zero(kernel: str, h: float) -> float:
    """Return ``K(0)`` per km²."""
    return float(kernel_profile(kernel, np.zeros(1), h)[0])


def _profile(kernel: str, d: np.ndarray, h: float, scale: float) -> np.ndarray:
    """Return ``scale`` times the planar profile for ``h = 1`` at ``u = d / h``.

    The scalar is folded into each formula's constant, and ``d / h`` taken in the expression
    (numpy reuses its temporaries there): no array pass or allocation more than the formula.
    """
    if kernel == "gaussian":
        return np.exp(-0.5 * (d / h) ** 2) * (scale / (2.0 * np.pi))
    u = d / h
    inside = u < 1.0
    if kernel == "quartic":
        v = (3.0 * scale / np.pi) * (1.0 - u * u) ** 2
    elif kernel == "epanechnikov":
        v = (2.0 * scale / np.pi) * (1.0 - u * u)
    elif kernel == "triangular":
        v = (3.0 * scale / np.pi) * (1.0 - u)
    elif kernel == "uniform":
        v = np.full_like(u, scale / np.pi)
    else:  # pragma: no cover - validated by the caller
        raise ValueError(kernel)
    return np.where(inside, v, 0.0)


@functools.lru_cache(maxsize=512)
def sphere_factor(kernel: str, h: float) -> float:
    """Return ``1 / ∫_sphere K_plane dA``: the factor normalising the planar profile on the sphere.

    ``∫_sphere K dA = ∫_0^{πR} K(d) 2πR sin(d/R) dd``; in ``u = d/h`` it is
    ``∫ k(u) 2π (R/h) sin(u h/R) du`` over ``[0, min(1, πR/h)]`` for the compact kernels
    (polynomials times a sine: Gauss-Legendre with 64 nodes is exact to rounding) and over
    ``[0, 7]``, ``[7, 14]`` (each cut at ``πR/h``) for the gaussian, whose tail beyond 14
    bandwidths is below e^-98.  The integral is over the sphere: a gaussian wider than the
    Earth keeps, normalised, the mass its planar tail would put beyond the antipode.  Fixed
    nodes, so the factor (a scalar per kernel and bandwidth) has the same bits on every run.

    Parameters
    ----------
    kernel : str
        One of :data:`KERNELS`.
    h : float
        Bandwidth (km).

    Returns
    -------
    float
        ``1 + O(h²/R²)``: 1 + 5.1e-6 for the gaussian at 25 km, 1.38 at 6,400 km.

    Examples
    --------
    >>> round(sphere_factor("quartic", 25.0) - 1.0, 8)
    6.4e-07
    """
    x, wts = np.polynomial.legendre.leggauss(_GL_NODES)
    top = np.pi * EARTH_RADIUS_KM / h
    bounds = (0.0, 7.0, 14.0) if kernel == "gaussian" else (0.0, 1.0)
    scale = h / EARTH_RADIUS_KM
    mass = 0.0
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        a, b = min(a, top), min(b, top)
        if b <= a:
            break
        u = 0.5 * (b - a) * x + 0.5 * (b + a)
        # (R/h) sin(u h/R), accurate for tiny h/R (no cancellation: sin(s)/s -> 1)
        ring = np.sin(u * scale) / scale
        mass += 0.5 * (b - a) * float(np.dot(wts, _profile(kernel, u, 1.0, 2.0 * np.pi) * ring))
    return 1.0 / mass


def kernel_profile(kernel: str, d_km: np.ndarray, h: float) -> np.ndarray:
    """Evaluate kernel ``kernel`` with bandwidth ``h`` km at distances ``d_km`` (per km²).

    The planar profile times :func:`sphere_factor`: one point's density integrates to 1
    over the sphere.
    """
    d = np.asarray(d_km, dtype="float64")
    return _profile(kernel, d, h, sphere_factor(kernel, float(h)) / (h * h))
