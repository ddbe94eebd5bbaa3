"""Sparse spatial weights between H3 cells: k rings or a distance band, binary or kernel.

Every weights matrix here is a ``scipy.sparse.csr_array`` of shape ``(n, n)`` over the cells in
ascending id order, with the cell itself on the diagonal (weight 1): the "star" neighbourhood
of Getis-Ord Gi*.  Distances are great-circle distances between cell centres on the sphere of
:data:`pipeline.sphere.EARTH_RADIUS_KM`; distance bands are found with a KD-tree on 3-D unit
vectors (a chord query is exact on the sphere), k rings with H3's own grid disks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from .. import grid
from ..errors import InputError
from ..sphere import EARTH_RADIUS_KM, arc_to_chord_km, lonlat_to_xyz
from ._options import HotspotOptions

__all__ = ["CellWeights", "cells_to_weights", "weights_from_options", "weights_from_sparse"]

#: Refuse a neighbourhood whose estimated pair count exceeds this (about 2.4 GB of CSR).
MAX_PAIRS = 200_000_000

#: A centre this much (relative) past the band is still within it: the band's own round-off.
BAND_RTOL = 1e-9


@dataclass(frozen=True)
class CellWeights:
    """Spatial weights between cells.

    Attributes
    ----------
    cells : numpy.ndarray of uint64
        The cells, sorted ascending and unique; row and column ``i`` of ``matrix`` is
        ``cells[i]``.
    matrix : scipy.sparse.csr_array
        ``(n, n)`` float64 weights, sorted indices, the diagonal (self-weight) included.
    description : str
        How the weights were made, for summaries and legends.
    """

    cells: np.ndarray
    matrix: sparse.csr_array
    description: str

    @property
    def n(self) -> int:
        """Number of cells."""
        return int(self.cells.size)

    @property
    def neighbours(self) -> np.ndarray:
        """Number of cells in each neighbourhood, the cell itself included."""
        return np.diff(self.matrix.indptr).astype("int64")


def _unique_sorted_cells(cells) -> np.ndarray:
    cells = grid.to_cells(np.asarray(cells))
    if cells.size == 0:
        raise InputError("no cells to build spatial weights on")
    order = np.sort(cells)
    if order.size > 1 and (order[1:] == order[:-1]).any():
        dup = order[1:][order[1:] == order[:-1]][0]
        raise InputError(f"cells must be unique; {grid.cells_to_strings([dup])[0]!r} repeats")
    return order


def _single_resolution(cells: np.ndarray) -> int:
    res = np.unique(grid.cells_resolutions(cells))
    if res.size != 1:
        raise InputError(f"cells must share one H3 resolution, got resolutions {res.tolist()!r}")
    return int(res[0])


def _xyz(cells: np.ndarray) -> np.ndarray:
    lat, lon = grid.cells_to_latlng(cells)
    return lonlat_to_xyz(lon, lat)


def _quartic(d: np.ndarray, h: float) -> np.ndarray:
    u = d / h
    return np.where(u < 1.0, (1.0 - u * u) ** 2, 0.0)


def _csr(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, n: int) -> sparse.csr_array:
    keep = data > 0
    m = sparse.csr_array((data[keep], (rows[keep], cols[keep])), shape=(n, n))
    m.sum_duplicates()
    m.sort_indices()
    return m


def cells_to_weights(
    cells,
    *,
    k_rings: int | None = None,
    distance_band_km: float | None = None,
    weights: str = "binary",
) -> CellWeights:
    """Return the star spatial weights of cells (the cell itself included, weight 1).

    Parameters
    ----------
    cells : array_like of uint64 or str
        Unique H3 cells of one resolution, in any order (the result is sorted).
    k_rings : int, optional
        Neighbourhood: the cells within ``k_rings`` H3 grid steps.
    distance_band_km : float, optional
        Neighbourhood: the cells whose centres lie within this great-circle distance (km) of
        the cell's centre.  Give this or ``k_rings``; neither means ``k_rings=1``.
    weights : {"binary", "kernel"}
        ``binary``: 1 for every neighbour.  ``kernel``: quartic ``(1 - (d/h)²)²`` of the centre
        distance ``d``; ``h`` is ``distance_band_km``, or for ``k_rings`` ``(k+1)/k`` times
        the longest centre distance among the pairs, so that every cell of the k rings keeps a
        positive weight.  Neighbours of the study area only: cells outside ``cells`` are not
        counted (edge cells have fewer neighbours, as in ArcGIS).

    Returns
    -------
    CellWeights

    Raises
    ------
    InputError
        Empty, duplicate, invalid or mixed-resolution cells; both neighbourhoods given; a
        band or k rings so wide that the pairs would not fit in memory (:data:`MAX_PAIRS`); a
        band shorter than the distance between neighbouring cell centres (no cell has a
        neighbour; cells merely far apart are not refused: each is its own neighbourhood,
        counted by :func:`gi_summary`).

    Examples
    --------
    >>> c = grid.grid_disk_cells(grid.points_to_cells([0.0], [0.0], 6), 2)
    >>> w = cells_to_weights(c, k_rings=1)
    >>> int(w.neighbours.max()), w.matrix.shape
    (7, (19, 19))
    """
    if weights not in ("binary", "kernel"):
        raise InputError(f"weights must be 'binary' or 'kernel', got {weights!r}")
    if k_rings is not None and distance_band_km is not None:
        raise InputError(
            f"give k_rings ({k_rings!r}) or distance_band_km ({distance_band_km!r}), not both"
        )
    cells = _unique_sorted_cells(cells)
    res = _single_resolution(cells)
    n = cells.size
    if distance_band_km is None:
        k = 1 if k_rings is None else k_rings
        if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
            raise InputError(f"k_rings must be an integer >= 1, got {k!r}")
        _check_ring_pairs(n, res, int(k))
        owner, nb = grid.grid_disks(cells, int(k))
        j = np.searchsorted(cells, nb)
        inside = j < n
        inside[inside] = cells[j[inside]] == nb[inside]
        del nb
        # grid_disks lists the disks in the cells' order: the CSR is built directly
        indptr = np.concatenate([[0], np.cumsum(np.bincount(owner[inside], minlength=n))])
        del owner
        cols = j[inside].astype(np.int32 if n < 2**31 else np.int64)
        del j, inside
        if weights == "kernel":
            xyz = _xyz(cells)
            rows = np.repeat(np.arange(n), np.diff(indptr))
            d = _pair_arc_km(xyz, rows, cols)
            h = float(d.max()) * (k + 1) / k if d.size and d.max() > 0 else 1.0
            data = _quartic(d, h)
            desc = f"{k} ring(s), quartic kernel h={h:.4g} km"
        else:
            data = np.ones(cols.size)
            desc = f"{k} ring(s), binary"
        m = sparse.csr_array((data, cols, indptr), shape=(n, n))
        m.sort_indices()
        return CellWeights(cells, m, desc)
    band = float(distance_band_km)
    if not np.isfinite(band) or band <= 0:
        raise InputError(f"distance_band_km must be a positive number, got {distance_band_km!r}")
    _check_pairs(cells, res, band)
    xyz = _xyz(cells)
    tree = cKDTree(xyz * EARTH_RADIUS_KM)
    # a centre exactly at the band is within it (<=): the arc -> chord round trip may lose
    # the last bit, and a band copied from the centre distance must join those centres
    radius = float(arc_to_chord_km(band)) * (1.0 + BAND_RTOL)
    pairs = tree.query_pairs(radius, output_type="ndarray")
    if n > 1 and pairs.size == 0:
        # Gi* of cells that are each their own neighbourhood tests nothing: every exact or
        # permutation p is 1 (no hot spot, silently) and the normal p calls lone counts hot.
        # Refused only where the band is below the grid's own spacing: cells that are merely
        # far apart (a few observed cells of the risk) are the data, not a wrong band, and
        # are counted as cells without neighbours (gi_summary), as with k_rings.
        spacing = _grid_spacing_km(cells)
        if band < spacing:
            shown = _round_up(spacing)
            raise InputError(
                f"distance_band_km {band!r} leaves every one of the {n:,} cells without a"
                f" neighbour: it is shorter than the distance between neighbouring cell"
                f" centres at resolution {res} ({shown} km or more here); use a band of at"
                f" least {shown} km, or k_rings"
            )
    diag = np.arange(n)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], diag])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], diag])
    del pairs
    if weights == "kernel":
        data = _quartic(_pair_arc_km(xyz, rows, cols), band)
        desc = f"{band:g} km band, quartic kernel"
    else:
        data = np.ones(rows.size)
        desc = f"{band:g} km band, binary"
    return CellWeights(cells, _csr(rows, cols, data, n), desc)


def _pair_arc_km(xyz: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Return the great-circle distance (km) of each (row, col) pair, in bounded chunks."""
    out = np.empty(rows.size)
    step = 1 << 20
    for s in range(0, rows.size, step):
        a, b = xyz[rows[s : s + step]], xyz[cols[s : s + step]]
        chord = np.sqrt(((a - b) ** 2).sum(axis=1))  # exact from the chord, any distance
        out[s : s + step] = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2.0, 1.0))
    return out


def _grid_spacing_km(cells: np.ndarray) -> float:
    """Return the shortest great-circle distance (km) between neighbouring cells.

    Neighbours are H3 cells one step apart.  Among ``cells`` (sorted, unique) where two of them
    are neighbours -- a band of that reaches at least one pair -- else from any of them to a
    grid neighbour outside: the grid's own spacing there.
    """
    inside, outside = np.inf, np.inf
    step = 1 << 17
    for s in range(0, cells.size, step):
        part = cells[s : s + step]
        owner, near = grid.grid_disks(part, 1)
        off = near != part[owner]
        owner, near = owner[off], near[off]
        a, b = _xyz(part)[owner], _xyz(near)
        d = (
            2.0
            * EARTH_RADIUS_KM
            * np.arcsin(np.minimum(np.sqrt(((a - b) ** 2).sum(axis=1)) / 2, 1))
        )
        j = np.minimum(np.searchsorted(cells, near), cells.size - 1)
        member = cells[j] == near
        outside = min(outside, float(d.min()))
        if member.any():
            inside = min(inside, float(d[member].min()))
    return inside if np.isfinite(inside) else outside


def _round_up(km: float) -> str:
    """Return ``km`` rounded up to three significant digits, as text (a band that reaches)."""
    unit = 10.0 ** (np.floor(np.log10(km)) - 2)
    return f"{np.ceil(km / unit * (1.0 + 1e-12)) * unit:.4g}"


def _check_pairs(cells: np.ndarray, res: int, band: float) -> None:
    sample = cells[:: max(1, cells.size // 1000)]
    area = float(np.median(grid.cell_area_km2(sample)))
    per_cell = np.pi * band * band / area
    if per_cell * cells.size > MAX_PAIRS:
        raise InputError(
            f"distance_band_km {band!r} gives about {per_cell:,.0f} neighbours per cell at"
            f" resolution {res}, {per_cell * cells.size:,.0f} pairs for {cells.size:,} cells"
            f" (limit {MAX_PAIRS:,}); use a smaller band or a coarser resolution"
        )


def _check_ring_pairs(n: int, res: int, k: int) -> None:
    # every disk is listed whole before the cells outside the study area are dropped
    per_cell = 3 * k * (k + 1) + 1
    if per_cell * n > MAX_PAIRS:
        raise InputError(
            f"k_rings {k} lists {per_cell:,} cells per disk at resolution {res},"
            f" {per_cell * n:,} pairs for {n:,} cells (limit {MAX_PAIRS:,}); use fewer rings"
            " or a coarser resolution"
        )


def weights_from_options(cells, options: HotspotOptions) -> CellWeights:
    """Return the weights that ``options`` describe (see :func:`cells_to_weights`)."""
    kind, value = options.neighbourhood
    if kind == "distance_band_km":
        return cells_to_weights(cells, distance_band_km=value, weights=options.weights)
    return cells_to_weights(cells, k_rings=int(value), weights=options.weights)


def weights_from_sparse(
    cells, matrix, *, self_weight: float = 1.0, description: str = "custom"
) -> CellWeights:
    """Wrap a user's sparse weights (rows and columns in the order of ``cells``).

    Parameters
    ----------
    cells : array_like of uint64
        Unique cells, in the order of the matrix's rows.
    matrix : scipy sparse matrix or array, shape (n, n)
        Non-negative weights; a zero diagonal is replaced by ``self_weight``.
    self_weight : float, default 1
        Weight (finite, > 0) of a cell on itself where the matrix has none (Gi* needs one).
    description : str
        Shown in summaries.

    Returns
    -------
    CellWeights
        Rows and columns reordered to ascending cell ids.
    """
    real = int | float | np.integer | np.floating  # np.complex128 compared and lost its i part
    number = isinstance(self_weight, real) and not isinstance(self_weight, bool)
    if not (number and np.isfinite(self_weight) and self_weight > 0):
        # a negative or missing self-weight passed the matrix's own check into Gi*
        raise InputError(f"self_weight must be a finite number > 0 (Gi*), got {self_weight!r}")
    cells = grid.to_cells(np.asarray(cells))
    m = sparse.csr_array(matrix, dtype="float64")
    if m.shape != (cells.size, cells.size):
        raise InputError(f"weights matrix shape {m.shape!r} does not match {cells.size} cells")
    if m.nnz and (not np.isfinite(m.data).all() or (m.data < 0).any()):
        raise InputError("weights must be finite and non-negative")
    order = np.argsort(cells, kind="stable")
    sorted_cells = cells[order]
    if sorted_cells.size > 1 and (sorted_cells[1:] == sorted_cells[:-1]).any():
        raise InputError("cells must be unique")
    m = sparse.csr_array(m[order][:, order])
    diag = m.diagonal()
    if (diag == 0).any():
        fill = np.where(diag == 0, float(self_weight), 0.0)
        m = sparse.csr_array(m + sparse.diags_array(fill, format="csr"))
    m.sum_duplicates()
    m.sort_indices()
    return CellWeights(sorted_cells, m, description)
