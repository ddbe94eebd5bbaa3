"""Kernel profiles on great-circle distance, and the sphere geometry shared by the evaluators.

Private helpers of :mod:`pipeline.density`.  Every kernel is a function of the great-circle
distance ``d`` (km) and the bandwidth ``h`` (km), normalised in the plane so that
``∫∫ K dA = 1`` (on the sphere the integral is ``1 - O(h²/R²)``, below 1e-4 for h ≤ 100 km).
"""

from __future__ import annotations

import numpy as np

#: Radius of the sphere (km) that H3 uses for its cell areas; using the same radius keeps
#: ``sum(density * cell_area_km2)`` equal to the total weight.
EARTH_RADIUS_KM = 6371.007180918475

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


def lonlat_to_xyz(lon, lat) -> np.ndarray:
    """Return unit vectors (n, 3) of lon/lat degrees."""
    lo = np.radians(np.asarray(lon, dtype="float64"))
    la = np.radians(np.asarray(lat, dtype="float64"))
    cl = np.cos(la)
    return np.stack([cl * np.cos(lo), cl * np.sin(lo), np.sin(la)], axis=-1)


def chord_to_arc_km(chord_km: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) from the straight-line chord (km) through the sphere."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord_km / (2.0 * EARTH_RADIUS_KM), 1.0))


def arc_to_chord_km(arc_km: float) -> float:
    """Chord (km) of a great-circle distance (km); arcs beyond half the globe map to 2R."""
    a = min(float(arc_km) / EARTH_RADIUS_KM, np.pi)
    return 2.0 * EARTH_RADIUS_KM * np.sin(a / 2.0)


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance (km) by the haversine formula, broadcasting."""
    lo1, la1, lo2, la2 = (
        np.radians(np.asarray(v, dtype="float64")) for v in (lon1, lat1, lon2, lat2)
    )
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
