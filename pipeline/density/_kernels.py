"""Kernel profiles on great-circle distance.

Part of :mod:`pipeline.density`.  Every kernel is a function of the great-circle
distance ``d`` (km) and the bandwidth ``h`` (km), normalised in the plane so that
``∫∫ K dA = 1`` (on the sphere the integral is ``1 - O(h²/R²)``, below 1e-4 for h ≤ 100 km).
"""

from __future__ import annotations

import numpy as np

#: The gaussian is truncated at this many bandwidths by the fast evaluators: exp(-7²/2) = 2e-11.
GAUSSIAN_CUTOFF = 7.0

KERNELS = ("epanechnikov", "gaussian", "quartic", "triangular", "uniform")


def kernel_support_km(kernel: str, h: float) -> float:
    """Distance beyond which the kernel is zero (gaussian: the truncation radius)."""
    return GAUSSIAN_CUTOFF * h if kernel == "gaussian" else h


def kernel_at_zero(kernel: str, h: float) -> float:
    """Return ``K(0)`` per km²."""
    return float(kernel_profile(kernel, np.zeros(1), h)[0])


def kernel_profile(kernel: str, d_km: np.ndarray, h: float) -> np.ndarray:
    """Evaluate kernel ``kernel`` with bandwidth ``h`` km at distances ``d_km`` (per km²)."""
    d = np.asarray(d_km, dtype="float64")
    if kernel == "gaussian":
        return np.exp(-0.5 * (d / h) ** 2) / (2.0 * np.pi * h * h)
    u = d / h
    inside = u < 1.0
    if kernel == "quartic":
        v = 3.0 / (np.pi * h * h) * (1.0 - u * u) ** 2
    elif kernel == "epanechnikov":
        v = 2.0 / (np.pi * h * h) * (1.0 - u * u)
    elif kernel == "triangular":
        v = 3.0 / (np.pi * h * h) * (1.0 - u)
    elif kernel == "uniform":
        v = np.full_like(u, 1.0 / (np.pi * h * h))
    else:  # pragma: no cover - validated by the caller
        raise ValueError(kernel)
    return np.where(inside, v, 0.0)
