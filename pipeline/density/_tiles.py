"""Kernel sums by map tiles, each kept under the hash of its inputs (incremental nightly runs).

Part of :mod:`pipeline.density`.  While a memo is active (:func:`density_memo`, which the
runner opens around the features and timeline stages), the direct evaluator runs tile by
tile: the targets are grouped by the H3 cell (a few kernel supports wide) that holds them,
and each tile sums over the points within its reach - the cap around its targets widened by
the kernel's support - taken in a canonical order (by lon, lat, weight, so the order of the
input rows does not matter).  A tile's result depends on exactly those inputs, so it is kept
in the memo under their hash: a night that adds a few events recomputes only the tiles
within the kernel's reach of them, and every tile, recomputed or not, holds the bits the
same function gives for the same inputs, as in a full run.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ..grid import mean_cell_edge_km, points_to_cells
from ..sphere import EARTH_RADIUS_KM, arc_to_chord_km, lonlat_to_xyz, spherical_cap
from ._direct import density_tree
from ._kernels import kernel_support_km

log = logging.getLogger(__name__)

_MEMO: ContextVar[Any] = ContextVar("route_risk_density_memo", default=None)
#: A tile is an H3 cell whose mean edge is at least this many kernel supports.
TILE_EDGE_SUPPORTS = 2.0


@contextlib.contextmanager
def density_memo(memo: Any) -> Iterator[Any]:
    """Evaluate direct kernel sums by tiles kept in ``memo`` within the block.

    ``memo`` is a :class:`pipeline.runner.cache.PartMemo` (or None: no tiles); it is
    written once, when the block ends without an error.
    """
    token = _MEMO.set(memo)
    try:
        yield memo
    finally:
        _MEMO.reset(token)
    if memo is not None:
        memo.flush()


def current_memo() -> Any:
    """Return the active memo of :func:`density_memo` (None outside one)."""
    return _MEMO.get()


def tile_resolution(support_km: float) -> int:
    """Return the finest H3 resolution whose mean edge is ``TILE_EDGE_SUPPORTS`` supports."""
    for r in range(15, -1, -1):
        if mean_cell_edge_km(r) >= TILE_EDGE_SUPPORTS * support_km:
            return r
    return 0


def density_by_tiles(t_lon, t_lat, p_lon, p_lat, w, h, kernel, memo) -> np.ndarray:
    """Direct kernel sums at the targets, tile by tile, each tile served by ``memo`` if known."""
    out = np.zeros(len(t_lon))
    keep = np.asarray(w) != 0
    p_lon, p_lat, w = (np.asarray(a, dtype="float64")[keep] for a in (p_lon, p_lat, w))
    if len(p_lon) == 0 or len(t_lon) == 0:
        return out
    support = kernel_support_km(kernel, h)
    # the points in a canonical order: a tile's inputs do not depend on the rows' order
    order = np.lexsort((w, p_lat, p_lon))
    p_lon, p_lat, w = p_lon[order], p_lat[order], w[order]
    ptree = cKDTree(lonlat_to_xyz(p_lon, p_lat) * EARTH_RADIUS_KM)
    tile = points_to_cells(t_lon, t_lat, tile_resolution(support))
    _, group = np.unique(tile, return_inverse=True)
    by_tile = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[by_tile])) + 1
    txyz = lonlat_to_xyz(t_lon, t_lat)
    head = f"{kernel}|{float(h)!r}".encode()
    known = memo.known()
    todo: list[tuple[str, np.ndarray, np.ndarray]] = []
    done: list[tuple[str, np.ndarray]] = []
    for idx in np.split(by_tile, bounds):
        centre, radius = spherical_cap(txyz[idx])
        reach = float(arc_to_chord_km(min(radius + support, np.pi * EARTH_RADIUS_KM)))
        sel = np.sort(
            np.asarray(ptree.query_ball_point(centre * EARTH_RADIUS_KM, reach), dtype="int64")
        )
        if sel.size == 0:
            continue
        hsh = hashlib.sha256(head)
        for a in (t_lon[idx], t_lat[idx], p_lon[sel], p_lat[sel], w[sel]):
            hsh.update(np.ascontiguousarray(a, dtype="float64").tobytes())
        key = hsh.hexdigest()[:24]
        if key in known:
            done.append((key, idx))
        else:
            todo.append((key, idx, sel))
    log.debug("kernel sums: %d tile(s) from the memo, %d computed", len(done), len(todo))
    if done:
        keys = [k for k, _ in done]
        cols, counts = memo.take(keys)
        out[np.concatenate([i for _, i in done])] = cols["density"]
        memo.add(np.repeat(np.asarray(keys, dtype=object), counts), cols)
    for key, idx, sel in todo:
        dens = density_tree(t_lon[idx], t_lat[idx], p_lon[sel], p_lat[sel], w[sel], h, kernel)
        out[idx] = dens
        memo.add(np.full(idx.size, key, dtype=object), {"density": dens})
    return out
