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

    The targets are grouped by cubes of a 3-D grid whose circumscribed ball has
    ``DENSE_BALL`` times the kernel's reach as its radius.  A cube's targets with at least
    ``MIN_DENSE_TERMS`` terms to add (targets x points within reach of their ball) are
    summed densely over those points (:func:`_dense_sums`: a good share of them are within
    reach of each target, and a dense term costs a few percent of a tree pair's); the other
    targets, all together, over the pairs a KD-tree finds (:func:`_tree_sums`).  Each
    target's terms are added in the order of the points' rows, one after another, and both
    ways measure a pair by :func:`_chords`: a target's sum has the same bits whichever way
    and whichever other targets it is evaluated with, so tiles computed together (a full
    run) or a few at a time (a nightly run) agree.
    """
    out = np.zeros(len(t_lon))
    if len(p_lon) == 0 or len(t_lon) == 0:
        return out
    w = np.asarray(w, dtype="float64")
    r_chord = reach_chord_km(kernel, h)
    pxyz = lonlat_to_xyz(p_lon, p_lat) * EARTH_RADIUS_KM
    ptree = cKDTree(pxyz)
    txyz = lonlat_to_xyz(t_lon, t_lat) * EARTH_RADIUS_KM
    # the targets by cube (a cube's half-diagonal is DENSE_BALL reaches), cubes in a row
    key = np.floor(txyz / (DENSE_BALL * r_chord * 2.0 / np.sqrt(3.0)))
    order = np.lexsort((key[:, 2], key[:, 1], key[:, 0]))
    key = key[order]
    starts = np.flatnonzero(np.r_[True, (key[1:] != key[:-1]).any(axis=1)])
    counts = np.diff(np.r_[starts, len(order)])
    lo = np.minimum.reduceat(txyz[order], starts, axis=0)
    hi = np.maximum.reduceat(txyz[order], starts, axis=0)
    centre = 0.5 * (lo + hi)
    # chords are straight lines: a point within reach of a target is within the reach plus
    # the half-diagonal of the targets' box from the box's centre
    reach = 0.5 * np.linalg.norm(hi - lo, axis=1) * (1.0 + 1e-9) + r_chord * 1.000001
    ok = np.isfinite(reach)
    # a cube of a few targets goes to the tree: asking every cube its points costs a tree
    # query each (400,000 of them for the demo's targets, most alone in their cube)
    asked = ok & (counts >= MIN_DENSE_TARGETS)
    n_near = np.zeros(len(starts), dtype="int64")
    n_near[asked] = ptree.query_ball_point(centre[asked], reach[asked], return_length=True)
    dense = asked & (counts * n_near >= max(MIN_DENSE_TERMS, 1))
    for b in np.flatnonzero(dense):
        idx = order[starts[b] : starts[b] + counts[b]]
        cand = np.sort(np.asarray(ptree.query_ball_point(centre[b], reach[b]), dtype="int64"))
        out[idx] = _dense_sums(txyz[idx], pxyz[cand], w[cand], r_chord, h, kernel)
    rest = ~dense & ((n_near > 0) | ~asked)
    if rest.any():
        idx = order[np.repeat(rest, counts)]
        out[idx] = _tree_sums(txyz[idx], pxyz, ptree, w, r_chord, h, kernel)
    return out


#: Targets are grouped by cubes whose circumscribed ball is this share of the kernel's reach.
DENSE_BALL = 0.7
#: A cube's targets are summed densely from this many terms (targets x candidate points) on:
#: below it a cube's own overhead (~50 us) weighs more than its terms; it goes to the tree.
MIN_DENSE_TERMS = 1_000
#: Cubes of fewer targets go to the tree without asking how many points are near them.
MIN_DENSE_TARGETS = 4


def reach_chord_km(kernel: str, h: float) -> float:
    """Return the chord (km) within which a point counts: the kernel's support as a chord.

    A support of half the globe or more (a gaussian of 2,860 km and wider) reaches every
    point: its chord, the diameter, is widened by 1e-9 so that a point at a target's
    antipode, whose chord may round past the diameter, counts too (it was dropped: 0 where
    a lone point sat at the antipode).
    """
    support = kernel_support_km(kernel, h)
    r_chord = float(arc_to_chord_km(support))
    return r_chord * (1.0 + 1e-9) if support >= np.pi * EARTH_RADIUS_KM else r_chord


def _tree_sums(txyz, pxyz, ptree, w, r_chord, h, kernel) -> np.ndarray:
    """Each target's terms over the pairs within reach a KD-tree finds, in point-row order."""
    out = np.zeros(len(txyz))
    # the trees' own distances may differ from _chords' in the last bit: ask them for a
    # little more and keep what _chords puts within reach
    r_query = r_chord * 1.000001
    # Sort targets along a space-filling-ish key so that blocks are compact.
    order = np.lexsort((txyz[:, 1], np.round(txyz[:, 0] / max(r_chord, 1e-9))))
    stack = [order]
    while stack:
        idx = stack.pop()
        ttree = cKDTree(txyz[idx])
        if idx.size > 1 and ttree.count_neighbors(ptree, r_query) > _PAIR_BLOCK:
            half = idx.size // 2
            stack.extend([idx[:half], idx[half:]])
            continue
        pairs = ttree.sparse_distance_matrix(ptree, r_query, output_type="ndarray")
        if pairs.size == 0:
            continue
        # each target's pairs by point row: np.bincount then adds them in that order
        pairs = pairs[np.lexsort((pairs["j"], pairs["i"]))]
        i, j = pairs["i"], pairs["j"]
        d = _chords(txyz[idx][i], pxyz[j])
        inside = d <= r_chord
        i, j, d = i[inside], j[inside], d[inside]
        k = kernel_profile(kernel, chord_to_arc_km(d), h)
        out[idx] += np.bincount(i, weights=k * w[j], minlength=idx.size)
    return out


def _chords(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Chord lengths between rows of ``a`` and ``b`` (broadcast), in one fixed order of operations.

    ``(dx² + dy²) + dz²`` then the square root, each step rounded once: the same bits for a
    pair whether it is measured in a dense block or from a tree's pair list.
    """
    dx = a[..., 0] - b[..., 0]
    dy = a[..., 1] - b[..., 1]
    dz = a[..., 2] - b[..., 2]
    dx *= dx
    dy *= dy
    dz *= dz
    dx += dy
    dx += dz
    return np.sqrt(dx, out=dx)


def _dense_sums(txyz, pxyz, w, r_chord, h, kernel) -> np.ndarray:
    """Each target's terms over every given point, zero beyond reach, added in row order.

    ``np.cumsum`` adds one term after another (a zero changes nothing), as ``np.bincount``
    does over a tree's pairs, so both give a target the same bits.  ``np.bincount`` starts
    from +0.0 and ``np.cumsum`` from the first term: adding +0.0 to the last turns a sum of
    -0.0 terms (weights of -0.0) into +0.0 as the tree's, and changes no other value.
    """
    out = np.empty(len(txyz))
    step = max(1, _BRUTE_BLOCK // max(1, len(w)))
    for a in range(0, len(txyz), step):
        d = _chords(txyz[a : a + step, None, :], pxyz[None, :, :])
        inside = d <= r_chord
        k = kernel_profile(kernel, chord_to_arc_km(d), h)
        k *= w
        k[~inside] = 0.0
        out[a : a + step] = np.cumsum(k, axis=1)[:, -1] + 0.0
    return out
