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

from ..grid import cells_resolutions, change_resolution, mean_cell_edge_km, points_to_cells
from ..sphere import EARTH_RADIUS_KM, arc_to_chord_km, lonlat_to_xyz
from ._direct import density_tree
from ._kernels import kernel_support_km

log = logging.getLogger(__name__)

_MEMO: ContextVar[Any] = ContextVar("route_risk_density_memo", default=None)
#: A tile is an H3 cell whose mean edge is at least this many kernel supports.
TILE_EDGE_SUPPORTS = 2.0
#: More points than this are summed in one pass (a tile's neighbour lists would be large).
MAX_TILED_POINTS = 1_000_000


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


def _tile_keys(t_lon, t_lat, cells, res: int) -> np.ndarray:
    """Return the tile (H3 cell at ``res``) of each target: its parent, else its centre's cell."""
    if cells is not None and len(cells) == len(t_lon):
        cells = np.asarray(cells, dtype="uint64")
        if cells.size and int(cells_resolutions(cells).min()) >= res:
            return change_resolution(cells, res)
    return points_to_cells(t_lon, t_lat, res)


def _caps(txyz: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre (unit vector) and radius (km) of a cap around each run of targets (a tile)."""
    centre = np.add.reduceat(txyz, starts, axis=0)
    norm = np.linalg.norm(centre, axis=1)
    centre = np.where(norm[:, None] > 0, centre / np.where(norm > 0, norm, 1.0)[:, None], 0.0)
    centre[norm == 0] = txyz[starts[norm == 0]]
    owner = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, len(txyz)]))
    cos = np.clip(np.einsum("ij,ij->i", txyz, centre[owner]), -1.0, 1.0)
    radius = np.maximum.reduceat(np.arccos(cos), starts) * EARTH_RADIUS_KM
    return centre, radius


def density_by_tiles(t_lon, t_lat, p_lon, p_lat, w, h, kernel, memo, cells=None) -> np.ndarray:
    """Direct kernel sums at the targets, tile by tile, each tile served by ``memo`` if known.

    ``cells`` (the targets' H3 cells, optional) give the tiles as their parents.
    """
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
    tile = _tile_keys(t_lon, t_lat, cells, tile_resolution(support))
    by_tile = np.argsort(tile, kind="stable")
    starts = np.flatnonzero(np.r_[True, tile[by_tile][1:] != tile[by_tile][:-1]])
    centres, radii = _caps(lonlat_to_xyz(t_lon, t_lat)[by_tile], starts)
    # a tile's inputs: the points within its cap widened by the support, and a margin that
    # keeps a point on the support's edge (to rounding) among them
    arc = np.minimum(radii + support * (1 + 1e-9) + 1e-6, np.pi * EARTH_RADIUS_KM)
    # a cap reaching round the globe holds every point: its chord, the diameter, widened past
    # the rounding of an antipode's chord (as density_tree's reach, reach_chord_km)
    reach = np.where(
        arc >= np.pi * EARTH_RADIUS_KM, arc_to_chord_km(arc) * (1 + 1e-9), arc_to_chord_km(arc)
    )
    near = ptree.query_ball_point(centres * EARTH_RADIUS_KM, reach)
    # v2: a target's terms added in the order of the points (density_tree), tiles together;
    # v3: kernels normalised on the sphere (sphere_factor)
    head = f"v3|{kernel}|{float(h)!r}".encode()
    known = memo.known()
    todo: list[tuple[str, np.ndarray, np.ndarray]] = []
    done: list[tuple[str, np.ndarray]] = []
    for idx, found in zip(np.split(by_tile, starts[1:]), near, strict=True):
        sel = np.sort(np.asarray(found, dtype="int64"))
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
        cols, _ = memo.reuse(keys)
        out[np.concatenate([i for _, i in done])] = cols["density"]
    if todo:
        # the tiles to compute, in one pass over every point: a target's sum takes the same
        # terms in the same order as over its tile's points alone (see density_tree)
        idx = np.concatenate([i for _, i, _ in todo])
        dens = density_tree(t_lon[idx], t_lat[idx], p_lon, p_lat, w, h, kernel)
        out[idx] = dens
        sizes = [i.size for _, i, _ in todo]
        memo.add(
            np.repeat(np.array([k for k, _, _ in todo], dtype=object), sizes), {"density": dens}
        )
    return out
