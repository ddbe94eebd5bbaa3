"""Fast gaussian kernel density on the sphere: B-spline gridding + FFT on stereographic tiles.

Part of :mod:`pipeline.density`; the method and its error budget are described in the
package docstring.  In short, per tile:

1. Project points and targets with the stereographic projection centred on the tile.  It is
   conformal and the chord between two points is *exactly* ``s = λ₁ λ₂ |X₁ - X₂|`` with
   ``λ = sqrt((1 + P·O) / 2)``; writing ``λ = λ₀ (1 + ε)`` the gaussian in ``s`` is expanded to
   first order in ``ε`` (|ε| < 1e-3 on a tile), which costs one extra convolution.
2. Spread each point's weight onto a grid of spacing ``δ ≈ h / 4`` with cubic B-spline weights
   and gather the convolved grid at the targets with the same weights.  Both act as a blur of
   variance ``δ²/3`` per axis (exact up to third moments, Strang-Fix), so convolving on the grid
   with a gaussian of variance ``h² - 2δ²/3`` gives the gaussian of variance ``h²``.
3. The kernel sampled on the grid also carries the chord→arc factor, so the result is the
   gaussian of the great-circle distance; it is normalised on the sphere, as every kernel
   (:func:`._kernels.sphere_factor`), by one scalar factor at the end.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import scipy.fft as sfft

from ..engine import current_engine
from ..grid import points_to_cells
from ..sphere import (
    EARTH_RADIUS_KM,
    chord_to_arc_km,
    lonlat_to_xyz,
    spherical_cap,
    stereographic_project,
    tangent_basis,
)
from ._kernels import GAUSSIAN_CUTOFF, sphere_factor

log = logging.getLogger(__name__)

#: Largest tile radius, targets plus the kernel's reach (km).  The neglected O(ε²) terms of the
#: scale expansion grow like (ρ/R)⁴; at 800 km they stay below 1.5e-4 of the density.
RHO_MAX_KM = 800.0
#: Widest bandwidth of the method (km): the kernel's reach (7 h) within one tile's RHO_MAX_KM.
#: Wider, the tiles cannot hold it and the scale expansion fails: measured max relative error
#: against ``exact`` where the density is >= 1 % of its maximum, 2.9e-4 at 150 km, 6.4e-4 at
#: 200, 4.3e-3 at 300, 6.7e-2 at 600 (and slower than ``direct``).
MAX_FFT_BANDWIDTH_KM = RHO_MAX_KM / GAUSSIAN_CUTOFF
#: Grid nodes per bandwidth.
NODES_PER_BANDWIDTH = 5.0
#: Largest grid side (nodes) of one tile; bigger tiles are split.
MAX_GRID_SIDE = 3072
_WORKERS = max(1, os.cpu_count() or 1)


def density_fft(t_lon, t_lat, p_lon, p_lat, w, h) -> np.ndarray:
    """Gaussian kernel density (per km²) at targets, by tiles of B-spline gridding + FFT."""
    out = np.zeros(len(t_lon))
    if len(p_lon) == 0 or len(t_lon) == 0:
        return out
    txyz = lonlat_to_xyz(t_lon, t_lat)
    pxyz = lonlat_to_xyz(p_lon, p_lat)
    cutoff = GAUSSIAN_CUTOFF * h
    tiles = list(_tiles(t_lon, t_lat, txyz, h, cutoff))
    # Each tile is a task of the run's engine (in-process, or a Dask worker): the targets of
    # the tile travel with it, the points once for all; the results are placed in tile order.
    items = [(txyz[idx], centre, radius + cutoff) for idx, centre, radius in tiles]
    for (idx, _, _), dens in zip(
        tiles, current_engine().map(_tile_task, items, pxyz, w, h), strict=True
    ):
        out[idx] = dens
    # the planar gaussian's constant made the sphere's (as kernel_profile's)
    return out * sphere_factor("gaussian", float(h))


def _tile_task(item, pxyz, w, h) -> np.ndarray:
    """One tile of :func:`density_fft` (a partition function: pure, picklable arguments)."""
    txyz, centre, reach_km = item
    return _tile_density(txyz, pxyz, w, h, centre, reach_km)


def _tiles(t_lon, t_lat, txyz, h, cutoff):
    """Split targets into tiles whose radius plus the cutoff stays under RHO_MAX_KM."""
    delta = h / NODES_PER_BANDWIDTH
    todo = [(np.arange(len(txyz)), -1)]
    while todo:
        idx, res = todo.pop()
        centre, radius = spherical_cap(txyz[idx])
        side = 2.0 * (radius + 1.01 * cutoff) / delta + 8
        if (radius + cutoff <= RHO_MAX_KM and side <= MAX_GRID_SIDE) or idx.size == 1 or res >= 15:
            yield idx, centre, radius
            continue
        parents = points_to_cells(t_lon[idx], t_lat[idx], res + 1)
        _, group = np.unique(parents, return_inverse=True)
        order = np.argsort(group, kind="stable")
        bounds = np.flatnonzero(np.diff(group[order])) + 1
        todo.extend((part, res + 1) for part in np.split(idx[order], bounds))


def _bspline(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First node index and the 4 cubic B-spline weights of positions ``t`` (grid units)."""
    i0 = np.floor(t)
    f = t - i0
    g = 1.0 - f
    f2, f3 = f * f, f * f * f
    wts = np.stack(
        [g * g * g / 6.0, 2.0 / 3.0 - f2 + f3 / 2.0, 2.0 / 3.0 - g * g + g * g * g / 2.0, f3 / 6.0],
        axis=1,
    )
    return i0.astype(np.int64) - 1, wts


def _tile_density(txyz, pxyz, w, h, centre, reach_km) -> np.ndarray:
    east, north = tangent_basis(centre)
    keep = pxyz @ centre >= np.cos(min(reach_km / EARTH_RADIUS_KM * 1.001 + 1e-9, np.pi))
    keep &= w != 0
    tx, ty, tlam = stereographic_project(txyz, centre, east, north)
    if not keep.any():
        return np.zeros(len(txyz))
    px, py, plam = stereographic_project(pxyz[keep], centre, east, north)
    pw = w[keep]

    lam_min = min(tlam.min(), plam.min())
    lam_max = max(tlam.max(), plam.max())
    lam0 = 0.5 * (lam_min + lam_max)
    h_p = h / lam0**2
    delta = h_p / NODES_PER_BANDWIDTH
    cutoff = GAUSSIAN_CUTOFF * h
    margin = cutoff / lam_min**2
    x0 = tx.min() - margin - 2 * delta
    y0 = ty.min() - margin - 2 * delta
    nx = int(np.ceil((tx.max() + margin + 2 * delta - x0) / delta)) + 2
    ny = int(np.ceil((ty.max() + margin + 2 * delta - y0) / delta)) + 2

    # Points whose 4x4 stencil leaves the grid are farther than ``cutoff`` from every target.
    ux, uy = (px - x0) / delta, (py - y0) / delta
    inside = (ux >= 1) & (ux < nx - 3) & (uy >= 1) & (uy < ny - 3)
    ux, uy, pw = ux[inside], uy[inside], pw[inside]

    # 16 small bincounts are ~5x faster than one over a (n, 16) stencil array (cache locality).
    ix, wx = _bspline(ux)
    iy, wy = _bspline(uy)
    base = ix * ny + iy
    flat_w = np.zeros(nx * ny)
    for i in range(4):
        wxi = wx[:, i] * pw
        for j in range(4):
            flat_w += np.bincount(base + (i * ny + j), weights=wxi * wy[:, j], minlength=nx * ny)
    grid_w = flat_w.reshape(nx, ny)
    # Σ w ε spread with the spline equals W(node) ε(node) up to O(δ² ∇²ε) because the spline's
    # first moment vanishes; ε is smooth (ε ∝ -|X|²/8R²), so no second spreading is needed.
    gx = x0 + np.arange(nx) * delta
    gy = y0 + np.arange(ny) * delta
    node_lam = 1.0 / np.sqrt(1.0 + (gx[:, None] ** 2 + gy[None, :] ** 2) / (4 * EARTH_RADIUS_KM**2))
    grid_we = grid_w * (node_lam / lam0 - 1.0)

    k0, k1, m = _grid_kernels(h, lam0, lam_min, delta, cutoff)
    shape = (sfft.next_fast_len(nx + 2 * m, real=True), sfft.next_fast_len(ny + 2 * m, real=True))
    fw = sfft.rfft2(grid_w, shape, workers=_WORKERS)
    fwe = sfft.rfft2(grid_we, shape, workers=_WORKERS)
    fk0 = sfft.rfft2(k0, shape, workers=_WORKERS)
    fk1 = sfft.rfft2(k1, shape, workers=_WORKERS)
    a0 = sfft.irfft2(fk0 * fw - 2.0 * fk1 * fwe, shape, workers=_WORKERS)[m : m + nx, m : m + ny]
    a1 = sfft.irfft2(fk1 * fw, shape, workers=_WORKERS)[m : m + nx, m : m + ny]

    ix, wx = _bspline((tx - x0) / delta)
    iy, wy = _bspline((ty - y0) / delta)
    v0 = np.zeros(len(txyz))
    v1 = np.zeros(len(txyz))
    for i in range(4):
        for j in range(4):
            wij = wx[:, i] * wy[:, j]
            v0 += wij * a0[ix + i, iy + j]
            v1 += wij * a1[ix + i, iy + j]
    eps_t = tlam / lam0 - 1.0
    return np.maximum(v0 - 2.0 * eps_t * v1, 0.0)


def _grid_kernels(h, lam0, lam_min, delta, cutoff):
    """Grid kernels of the zeroth- and first-order terms, de-blurred by the B-spline variance.

    With ``q = D² / (2 h_p²)`` the targets are ``g_{h_p}(D)`` and ``q g_{h_p}(D)``; since the
    two B-spline passes blur by variance ``b² = 2δ²/3``, the grid uses ``g_τ`` and
    ``((h_p/τ)² (q_τ - 1) + 1) g_τ`` with ``τ² = h_p² - b²`` (from ``∂g/∂σ = (2/σ)(q - 1) g``).
    """
    h_p = h / lam0**2
    tau2 = h_p * h_p - 2.0 * delta * delta / 3.0
    m = int(np.ceil(cutoff / lam_min**2 / delta)) + 1
    u = np.arange(-m, m + 1) * delta
    d2 = u[:, None] ** 2 + u[None, :] ** 2
    s = lam0 * lam0 * np.sqrt(d2)
    arc = chord_to_arc_km(s)
    arc_factor = np.exp(-(arc * arc - s * s) / (2.0 * h * h))
    g = np.exp(-d2 / (2.0 * tau2)) / (2.0 * np.pi * tau2) * arc_factor / lam0**4
    g = np.where(arc <= cutoff, g, 0.0)
    q_tau = d2 / (2.0 * tau2)
    k1 = ((h_p * h_p / tau2) * (q_tau - 1.0) + 1.0) * g
    return g, k1, m
