"""Pairwise kernel sums: brute force (the reference) and KD-tree neighbour pairs.

Part of :mod:`pipeline.density`.  Both evaluate the kernel on the exact great-circle
distance; the tree version only visits the pairs closer than the kernel's support (for the
gaussian, its truncation radius ``GAUSSIAN_CUTOFF * h``).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from ..sphere import EARTH_RADIUS_KM, arc_to_chord_km, chord_to_arc_km, haversine_km, lonlat_to_xyz
from ._kernels import kernel_profile, kernel_support_km

_BRUTE_BLOCK = 4_000_000  # distance matrix elements per block
_PAIR_BLOCK = 8_000_000  # neighbour pairs per block


def density_brute(t_lon, t_lat, p_lon, p_lat, w, h, kernel) -> np.ndarray:
    """Exact sum over all point-target pairs with the haversine distance, no truncation."""
    out = np.zeros(len(t_lon))
    n = len(p_lon)
    if n == 0 or len(t_lon) == 0:
        return out
    step = max(1, _BRUTE_BLOCK // n)
    for a in range(0, len(t_lon), step):
        d = haversine_km(t_lon[a : a + step, None], t_lat[a : a + step, None], p_lon, p_lat)
        out[a : a + step] = kernel_profile(kernel, d, h) @ w
    return out


def density_tree(t_lon, t_lat, p_lon, p_lat, w, h, kernel) -> np.ndarray:
    """Sum over the point-target pairs within the kernel support, found with KD-trees in 3-D.

    Each target's terms are added in the order of the points' rows, one after another, so
    a target's sum has the same bits whichever other targets are evaluated with it: tiles
    computed together (a full run) or a few at a time (a nightly run) agree.
    """
    out = np.zeros(len(t_lon))
    if len(p_lon) == 0 or len(t_lon) == 0:
        return out
    r_chord = float(arc_to_chord_km(kernel_support_km(kernel, h)))
    ptree = cKDTree(lonlat_to_xyz(p_lon, p_lat) * EARTH_RADIUS_KM)
    txyz = lonlat_to_xyz(t_lon, t_lat) * EARTH_RADIUS_KM
    # Sort targets along a space-filling-ish key so that blocks are compact.
    order = np.lexsort((txyz[:, 1], np.round(txyz[:, 0] / max(r_chord, 1e-9))))
    stack = [order]
    while stack:
        idx = stack.pop()
        ttree = cKDTree(txyz[idx])
        if idx.size > 1 and ttree.count_neighbors(ptree, r_chord) > _PAIR_BLOCK:
            half = idx.size // 2
            stack.extend([idx[:half], idx[half:]])
            continue
        pairs = ttree.sparse_distance_matrix(ptree, r_chord, output_type="ndarray")
        if pairs.size == 0:
            continue
        # each target's pairs by point row: np.bincount then adds them in that order
        pairs = pairs[np.lexsort((pairs["j"], pairs["i"]))]
        k = kernel_profile(kernel, chord_to_arc_km(pairs["v"]), h)
        out[idx] += np.bincount(pairs["i"], weights=k * w[pairs["j"]], minlength=idx.size)
    return out
