"""Raster values per H3 cell: coverage-weighted (exact) or pixel-centre statistics.

The cells are polygons in EPSG:4326; their vertices are reprojected to the raster's CRS and
then to pixel coordinates (the raster is never resampled), and the edges between vertices are
straight lines in the raster's CRS, as in exactextract.

Exact method
    Every pixel is weighted by the fraction of it that the cell covers.  The coverage-weighted sum
    is computed from the cell *boundary* only: by Green's theorem the area of polygon ∩ pixel is a
    signed sum, over the polygon's edges, of the integral of the edge's height clamped to the
    pixel row.  An edge piece inside pixel ``(i, j)`` covers part of that pixel and the whole of
    every pixel above it in column ``j``, so with column prefix sums ``C[i, j] = Σ_{i'<i} v[i', j]``
    its contribution is ``dx · (v[i, j] · (r_mid − i) + C[i, j])``.  The cost is proportional to
    the cells' perimeters in pixels, not their areas, which is what makes it fast on rasters much
    finer than the cells; it is exact (to float64 rounding) at any pixel size.
Centre method (``method="centre"``)
    Each pixel counts fully for the cell containing its centre.  Computed from the crossings of
    the cell boundary with the pixel-centre lines and the same prefix sums.  Its error against the
    exact mean falls as the cell spans more pixels (the pixels cut by the boundary are weighted
    0 or 1 instead of by their coverage); ``bench/bench_zonal.py`` measures it.

``max`` (and ``min``) use the pixels with positive coverage (exact) or whose centre is inside
(centre): the boundary pixels touched by an edge plus, per pixel column, the run of interior
pixels, whose maximum comes from a sparse table of running maxima (range-maximum queries).

The raster is read in windows of whole rows sized by ``memory_budget_mb``; a cell that straddles
two windows gets its contributions from both, so memory stays bounded on rasters larger than
memory, and a lazy (dask or file-backed) ``DataArray`` is only read window by window.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
import xarray as xr
from h3ronpy.vector import cells_to_wkb_polygons
from pyproj import CRS, Transformer

from .errors import ConfigError, InputError
from .grid import to_cells
from .schema import CELL

__all__ = ["METHODS", "STATS", "zonal_stats_to_cells"]

log = logging.getLogger(__name__)

STATS = ("mean", "max", "min", "sum", "count", "valid_fraction")
METHODS = ("exact", "centre")
_MAX_LEVEL = 6  # sparse-table levels: runs of up to 64 rows per lookup pair


# ----------------------------------------------------------------------------- ragged helpers


def _ragged_local(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (owner, position within owner) for ``counts[k]`` items of each owner ``k``."""
    counts = np.asarray(counts, dtype="int64")
    total = int(counts.sum())
    owner = np.repeat(np.arange(counts.size), counts)
    local = np.arange(total, dtype="int64") - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, local


# ----------------------------------------------------------------------------- cell polygons


class _Polygons:
    """Cell polygons as closed rings in pixel coordinates, edge by edge."""

    def __init__(self, cells: np.ndarray, crs, transform) -> None:
        geoms = shapely.from_wkb(
            pa.array(cells_to_wkb_polygons(pa.array(cells))).to_numpy(zero_copy_only=False)
        )
        xy, idx = shapely.get_coordinates(geoms, return_index=True)
        lon, lat = xy[:, 0].copy(), xy[:, 1]
        # Unwrap longitudes around each ring's first vertex (cells crossing the antimeridian).
        first = np.r_[0, np.flatnonzero(np.diff(idx)) + 1]
        lon0 = np.repeat(lon[first], np.diff(np.r_[first, idx.size]))
        lon = lon - 360.0 * np.round((lon - lon0) / 360.0)
        poly = idx.astype("int64")
        is_geographic = crs.is_geographic
        if is_geographic:
            # A cell beyond ±180 also appears on the other side of a global raster.
            pmin = np.minimum.reduceat(lon, first)
            pmax = np.maximum.reduceat(lon, first)
            extra = []
            for shift, sel in ((-360.0, pmax > 180.0), (360.0, pmin < -180.0)):
                ids = np.flatnonzero(sel)
                if ids.size:
                    m = np.isin(poly, ids)
                    extra.append((lon[m] + shift, lat[m], poly[m]))
            self.n_original = cells.size
            if extra:
                lon = np.concatenate([lon] + [e[0] for e in extra])
                lat = np.concatenate([lat] + [e[1] for e in extra])
                copies = [e[2] for e in extra]
                cell_of = np.concatenate([np.arange(cells.size)] + [np.unique(c) for c in copies])
                new_ids = []
                base = cells.size
                for c in copies:
                    u, inv = np.unique(c, return_inverse=True)
                    new_ids.append(base + inv)
                    base += u.size
                poly = np.concatenate([poly, *new_ids])
            else:
                cell_of = np.arange(cells.size)
        else:
            cell_of = np.arange(cells.size)
        transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x, y = transformer.transform(lon, lat)
        inv = ~transform
        col = inv.a * x + inv.b * y + inv.c
        row = inv.d * x + inv.e * y + inv.f
        if not (np.isfinite(col).all() and np.isfinite(row).all()):
            raise InputError(
                f"some cells cannot be projected to the raster CRS {crs.to_string()!r} "
                "(outside its area of use)"
            )
        self.cell_of = cell_of.astype("int64")
        same = poly[1:] == poly[:-1]
        e = np.flatnonzero(same)
        self.x0, self.r0 = col[e], row[e]
        self.x1, self.r1 = col[e + 1], row[e + 1]
        self.poly = poly[e]
        n_poly = self.cell_of.size
        cross = self.x0 * self.r1 - self.x1 * self.r0
        area2 = np.bincount(self.poly, weights=cross, minlength=n_poly)
        # Sign making Σ dx · r_mid over the ring positive, i.e. the area below "lower" edges.
        integ = np.bincount(
            self.poly, weights=(self.x1 - self.x0) * 0.5 * (self.r0 + self.r1), minlength=n_poly
        )
        self.orient = np.where(integ >= 0, 1.0, -1.0)
        self.area_px = np.abs(area2) * 0.5
        self.rmin = np.full(n_poly, np.inf)
        self.rmax = np.full(n_poly, -np.inf)
        np.minimum.at(self.rmin, self.poly, np.minimum(self.r0, self.r1))
        np.maximum.at(self.rmax, self.poly, np.maximum(self.r0, self.r1))
        self.cmin = np.full(n_poly, np.inf)
        self.cmax = np.full(n_poly, -np.inf)
        np.minimum.at(self.cmin, self.poly, np.minimum(self.x0, self.x1))
        np.maximum.at(self.cmax, self.poly, np.maximum(self.x0, self.x1))
        # Convex rings have one upper and one lower chain: one crossing of each per column.
        self.convex = _convex(self.x0, self.r0, self.x1, self.r1, self.poly, n_poly)


def _convex(x0, r0, x1, r1, poly, n_poly) -> np.ndarray:
    dx, dr = x1 - x0, r1 - r0
    first = np.r_[0, np.flatnonzero(np.diff(poly)) + 1]
    nxt = np.arange(poly.size) + 1
    last = np.r_[first[1:], poly.size] - 1
    nxt[last] = first
    turn = dx * dr[nxt] - dr * dx[nxt]
    pos = np.bincount(
        poly, weights=(turn > 1e-12 * (np.abs(dx) + np.abs(dr)) ** 2), minlength=n_poly
    )
    neg = np.bincount(
        poly, weights=(turn < -1e-12 * (np.abs(dx) + np.abs(dr)) ** 2), minlength=n_poly
    )
    return (pos == 0) | (neg == 0)


# ----------------------------------------------------------------------------- one window


def _edge_pieces(x0, r0, x1, r1, width, height):
    """Split edges at pixel columns and rows; return per piece (edge, i, j, dx, r_mid - i).

    ``i == height`` marks the part of an edge below the window (it covers whole columns).
    """
    sgn = np.sign(x1 - x0)
    xs = np.clip(np.minimum(x0, x1), 0, width)
    xe = np.clip(np.maximum(x0, x1), 0, width)
    ok = xe > xs
    ncol = np.where(ok, np.maximum(np.ceil(xe) - np.floor(xs) - 1, 0) + 1, 0).astype("int64")
    edge, k = _ragged_local(ncol)
    base = np.floor(xs)[edge]
    pa_x = np.maximum(base + k, xs[edge])
    pb_x = np.minimum(base + k + 1, xe[edge])
    del base
    slope = (r1 - r0) / np.where(x1 != x0, x1 - x0, 1.0)
    ra = r0[edge] + (pa_x - x0[edge]) * slope[edge]
    rb = r0[edge] + (pb_x - x0[edge]) * slope[edge]
    j = np.floor(0.5 * (pa_x + pb_x)).astype("int64")
    wx = (pb_x - pa_x) * sgn[edge]
    del pa_x, pb_x
    # Column piece -> pixel pieces: split at integer rows within [0, height].
    lo_r = np.minimum(ra, rb)
    hi_r = np.maximum(ra, rb)
    k_lo = np.maximum(np.floor(lo_r) + 1, 0)
    k_hi = np.minimum(np.ceil(hi_r) - 1, height)
    nb = np.maximum(k_hi - k_lo + 1, 0).astype("int64")
    piece, kk = _ragged_local(nb + 1)
    nbp = nb[piece]
    down = (rb >= ra)[piece]
    # Breakpoint t values at both ends of each pixel piece, ordered along the piece.
    dr = (rb - ra)[piece]
    safe = np.where(dr != 0, dr, 1.0)
    ra_p = ra[piece]
    klo_p = k_lo[piece]
    khi_p = k_hi[piece]

    def t_at(m):  # m-th breakpoint (0 = start, nbp + 1 = end)
        row_k = np.where(down, klo_p + (m - 1), khi_p - (m - 1))
        t = (row_k - ra_p) / safe
        return np.where(m <= 0, 0.0, np.where(m >= nbp + 1, 1.0, t))

    ta = t_at(kk)
    tb = t_at(kk + 1)
    rm = ra_p + 0.5 * (ta + tb) * dr
    dxp = (tb - ta) * wx[piece]
    i = np.floor(rm)
    keep = (rm >= 0) & (dxp != 0)
    below = i >= height
    i = np.where(below, height, i).astype("int64")
    frac = np.where(below, 0.0, rm - i)
    return edge[piece][keep], i[keep], j[piece][keep], dxp[keep], frac[keep]


def _centre_crossings(x0, r0, x1, r1, width, height):
    """Crossings of edges with pixel-centre columns: (edge, j, rows of centres above, sign)."""
    xs = np.minimum(x0, x1)
    xe = np.maximum(x0, x1)
    j0 = np.maximum(np.ceil(xs - 0.5), 0)
    j1 = np.minimum(np.ceil(xe - 0.5), width)  # exclusive
    n = np.maximum(j1 - j0, 0).astype("int64")
    edge, k = _ragged_local(n)
    j = (j0[edge] + k).astype("int64")
    xc = j + 0.5
    t = (xc - x0[edge]) / (x1 - x0)[edge]
    rc = r0[edge] + t * (r1 - r0)[edge]
    above = np.clip(np.ceil(rc - 0.5), 0, height).astype("int64")
    sgn = np.sign(x1 - x0)[edge]
    return edge, j, above, sgn


def _sparse_table(vmax: np.ndarray, levels: int) -> list[np.ndarray]:
    table = [vmax]
    h = vmax.shape[0]
    for k in range(1, levels + 1):
        half = 1 << (k - 1)
        prev = table[-1]
        cur = np.full_like(prev, -np.inf)
        if h - half > 0:
            np.maximum(prev[: h - half], prev[half:], out=cur[: h - half])
            cur[h - half :] = prev[h - half :]
        else:
            cur[:] = prev
        table.append(cur)
    return table


def _range_max(table, j, top, bottom, width):
    """Max of rows [top, bottom) in columns j (non-empty ranges) using the sparse table."""
    span = 1 << (len(table) - 1)
    length = bottom - top
    nchunk = -(-length // span)
    q, k = _ragged_local(nchunk)
    a = top[q] + k * span
    b = np.minimum(a + span, bottom[q])
    ln = b - a
    lev = np.floor(np.log2(ln)).astype("int64")
    jj = j[q]
    out = np.full(a.size, -np.inf, dtype=table[0].dtype)
    for level in np.unique(lev):
        m = lev == level
        t = table[level].ravel()
        s = 1 << int(level)
        out[m] = np.maximum(t[a[m] * width + jj[m]], t[(b[m] - s) * width + jj[m]])
    return q, out


class _Accumulator:
    def __init__(self, n_cells: int, want_max: bool, want_min: bool) -> None:
        self.sum = np.zeros(n_cells)
        self.count = np.zeros(n_cells)
        self.max = np.full(n_cells, -np.inf) if want_max else None
        self.min = np.full(n_cells, np.inf) if want_min else None


def _window(
    polys: _Polygons,
    sel_edges: np.ndarray,
    block: np.ndarray,
    invalid: np.ndarray,
    row0: int,
    acc: _Accumulator,
    method: str,
) -> None:
    h, w = block.shape
    x0, x1 = polys.x0[sel_edges], polys.x1[sel_edges]
    r0, r1 = polys.r0[sel_edges] - row0, polys.r1[sel_edges] - row0
    epoly = polys.poly[sel_edges]
    orient = polys.orient[epoly]
    cell = polys.cell_of[epoly]
    valid = ~invalid
    v = np.zeros((h + 1, w))
    np.copyto(v[:h], block, where=valid)
    ones = np.zeros((h + 1, w))
    ones[:h][valid] = 1.0
    cv = np.zeros((h + 1, w))
    np.cumsum(v[:h], axis=0, out=cv[1:])
    cn = np.zeros((h + 1, w))
    np.cumsum(ones[:h], axis=0, out=cn[1:])
    n_cells = acc.sum.size
    if method == "exact":
        e, i, j, dx, frac = _edge_pieces(x0, r0, x1, r1, w, h)
        flat = i * w + j
        wdx = dx * orient[e]
        cid = cell[e]
        acc.sum += np.bincount(
            cid, weights=wdx * (v.ravel()[flat] * frac + cv.ravel()[flat]), minlength=n_cells
        )
        acc.count += np.bincount(
            cid, weights=wdx * (ones.ravel()[flat] * frac + cn.ravel()[flat]), minlength=n_cells
        )
        touched = (i < h, flat, cid)
    else:
        e, j, above, sgn = _centre_crossings(x0, r0, x1, r1, w, h)
        flat = above * w + j
        wsg = sgn * orient[e]
        cid = cell[e]
        acc.sum += np.bincount(cid, weights=wsg * cv.ravel()[flat], minlength=n_cells)
        acc.count += np.bincount(cid, weights=wsg * cn.ravel()[flat], minlength=n_cells)
        touched = None
    del v, cv, cn, ones
    if acc.max is None and acc.min is None:
        return
    for negate, target in ((False, acc.max), (True, acc.min)):
        if target is None:
            continue
        ftype = "float64" if block.dtype.itemsize > 4 else "float32"
        fb = block.astype(ftype, copy=False)
        vals = np.where(valid, -fb if negate else fb, -np.inf).astype(ftype, copy=False)
        res = _extreme(polys, sel_edges, x0, r0, x1, r1, epoly, orient, vals, touched)
        cells_hit, ext = res
        if negate:
            np.minimum.at(target, cells_hit, -ext)
        else:
            np.maximum.at(target, cells_hit, ext)


def _extreme(polys, sel_edges, x0, r0, x1, r1, epoly, orient, vals, touched):
    """Per polygon in the window, the max of ``vals`` over its pixels; returns (cells, max)."""
    h, w = vals.shape
    flatv = vals.ravel()
    out_cells = []
    out_vals = []
    if touched is not None:
        inside, flat, cid = touched
        out_cells.append(cid[inside])
        out_vals.append(flatv[flat[inside]])
    e, j, above, sgn = _centre_crossings(x0, r0, x1, r1, w, h)
    p = epoly[e]
    s = sgn * orient[e]
    up, inv = np.unique(p, return_inverse=True)
    convex = polys.convex[up]
    # Columns of centre crossings, per polygon: slot = offset + j - jmin.
    jmin = np.full(up.size, np.iinfo("int64").max)
    jmax = np.full(up.size, -1)
    np.minimum.at(jmin, inv, j)
    np.maximum.at(jmax, inv, j)
    width_p = np.where(jmax >= jmin, jmax - jmin + 1, 0)
    off = np.cumsum(width_p) - width_p
    slot = off[inv] + j - jmin[inv]
    nslot = int(width_p.sum())
    top = np.zeros(nslot, dtype="int64")
    bottom = np.zeros(nslot, dtype="int64")
    lower = s > 0  # the interior lies above these crossings
    bottom[slot[lower]] = above[lower]
    top[slot[~lower]] = above[~lower]
    slot_poly = np.repeat(np.arange(up.size), width_p)
    slot_j = np.arange(nslot) - np.repeat(off, width_p) + np.repeat(jmin, width_p)
    ok = (bottom > top) & convex[slot_poly]
    if ok.any():
        span_len = int((bottom - top)[ok].max())
        levels = min(_MAX_LEVEL, max(0, int(np.ceil(np.log2(span_len)))))
        table = _sparse_table(vals, levels)
        q, mx = _range_max(table, slot_j[ok], top[ok], bottom[ok], w)
        out_cells.append(polys.cell_of[up[slot_poly[ok]][q]])
        out_vals.append(mx)
        del table
    for pid in up[~convex]:
        # Rare (a projection that bends a cell into a non-convex ring): test pixel centres.
        m = polys.poly[sel_edges] == pid
        ring = np.column_stack([np.r_[x0[m], x1[m][-1:]], np.r_[r0[m], r1[m][-1:]]])
        poly = shapely.Polygon(ring)
        c0, c1 = max(int(np.floor(ring[:, 0].min())), 0), min(int(np.ceil(ring[:, 0].max())), w)
        q0, q1 = max(int(np.floor(ring[:, 1].min())), 0), min(int(np.ceil(ring[:, 1].max())), h)
        if c1 <= c0 or q1 <= q0:
            continue
        jj, ii = np.meshgrid(np.arange(c0, c1), np.arange(q0, q1))
        inside = shapely.contains_xy(poly, jj.ravel() + 0.5, ii.ravel() + 0.5)
        if inside.any():
            out_cells.append(np.array([polys.cell_of[pid]]))
            out_vals.append(np.array([flatv[ii.ravel()[inside] * w + jj.ravel()[inside]].max()]))
    if not out_cells:
        return np.empty(0, "int64"), np.empty(0)
    return np.concatenate(out_cells), np.concatenate(out_vals).astype("float64")


# ----------------------------------------------------------------------------- public API


def _raster_parts(raster: xr.DataArray):
    if not isinstance(raster, xr.DataArray):
        raise InputError(f"raster must be an xarray.DataArray, got {type(raster).__name__}")
    if raster.ndim not in (2, 3):
        raise InputError(
            f"raster must have dims (y, x) or (band, y, x), got {tuple(raster.dims)!r}"
        )
    crs = raster.rio.crs
    if crs is None:
        raise InputError(
            "raster has no CRS (rioxarray .rio.crs is None); set it with .rio.write_crs"
        )
    crs = CRS.from_user_input(crs)
    transform = raster.rio.transform()
    nodata = raster.rio.nodata
    if nodata is None:
        nodata = raster.rio.encoded_nodata
    return crs, transform, nodata


def zonal_stats_to_cells(
    raster: xr.DataArray,
    cells,
    *,
    stats: Sequence[str] = ("mean", "max", "sum", "valid_fraction"),
    method: str = "exact",
    name: str | None = None,
    memory_budget_mb: float = 256,
) -> pd.DataFrame:
    """Summarise a raster per H3 cell.

    Parameters
    ----------
    raster : xarray.DataArray
        Dims ``(y, x)`` or ``(band, y, x)``, with a CRS and transform through rioxarray
        (``.rio.crs``, ``.rio.transform()``); may be lazy (dask or file-backed): it is read
        window by window.  Pixels equal to ``.rio.nodata`` (or ``encoded_nodata``) or NaN are
        not valid.
    cells : array_like
        H3 cells (uint64 or hex strings).
    stats : sequence of str, default ("mean", "max", "sum", "valid_fraction")
        Any of :data:`STATS`.  ``sum`` and ``count`` are coverage-weighted (``count`` is in
        pixels); ``mean = sum / count`` (NaN where the cell has no valid pixel); ``max``/``min``
        are over the valid pixels the cell touches; ``valid_fraction`` is the share of the cell's
        area covered by valid pixels (pixels outside the raster are not valid).
    method : {"exact", "centre"}, default "exact"
        ``exact`` weights each pixel by its covered fraction (exactextract's definition);
        ``centre`` counts the pixels whose centre lies in the cell, unweighted (faster; error
        measured in ``bench/bench_zonal.py``).
    name : str, optional
        Column prefix; defaults to the DataArray's name, else ``"raster"``.
    memory_budget_mb : float, default 256
        Approximate working memory; sets the height of the row windows.

    Returns
    -------
    pandas.DataFrame
        ``cell`` (uint64, in the order given) then ``<name>_<stat>`` columns, or
        ``<name>_b<band>_<stat>`` when the raster has several bands.

    Raises
    ------
    InputError
        If the raster lacks a CRS or has the wrong dims, or a cell id is invalid.
    ConfigError
        If a stat or the method is unknown, or the memory budget is not positive.
    """
    stats = list(stats)
    bad = [s for s in stats if s not in STATS]
    if bad or not stats:
        raise ConfigError(f"unknown zonal stat(s) {bad!r}; expected some of {STATS!r}")
    if method not in METHODS:
        raise ConfigError(f"zonal method must be one of {METHODS!r}, got {method!r}")
    if not (isinstance(memory_budget_mb, int | float) and memory_budget_mb > 0):
        raise ConfigError(f"memory_budget_mb must be > 0, got {memory_budget_mb!r}")
    crs, transform, nodata = _raster_parts(raster)
    cells_in = to_cells(cells)
    ucells, back = np.unique(cells_in, return_inverse=True)
    prefix = name or (str(raster.name) if raster.name is not None else "raster")
    if raster.ndim == 2:
        raster = raster.expand_dims("band")
        band_labels = [None]
    else:
        coord = raster[raster.dims[0]].values
        band_labels = [
            int(c) if np.issubdtype(np.asarray(c).dtype, np.integer) else k + 1
            for k, c in enumerate(coord)
        ]
        if len(band_labels) == 1:
            band_labels = [None]
    band_dim, y_dim, _ = raster.dims
    n_bands, height, width = raster.shape
    want_max, want_min = "max" in stats, "min" in stats
    itemsize = max(np.dtype(raster.dtype).itemsize, 4)
    per_row = width * (
        8 * 5 + itemsize + 1 + (itemsize * (_MAX_LEVEL + 2) if want_max or want_min else 0)
    )
    rows = int(max(16, min(height, memory_budget_mb * 2**20 * 0.6 // per_row)))
    columns: dict[str, np.ndarray] = {CELL: cells_in}
    if ucells.size == 0:
        return _frame(columns, stats, prefix, band_labels, None, back)
    polys = _Polygons(ucells, crs, transform)
    accs = [_Accumulator(ucells.size, want_max, want_min) for _ in range(n_bands)]
    # Edges whose polygon overlaps the raster's columns; sorted by polygon for per-window cuts.
    poly_ok = (polys.cmax > 0) & (polys.cmin < width) & (polys.rmax > 0) & (polys.rmin < height)
    edge_ok = poly_ok[polys.poly]
    for r0 in range(0, height, rows):
        r1 = min(height, r0 + rows)
        in_win = poly_ok & (polys.rmax > r0) & (polys.rmin < r1)
        sel = np.flatnonzero(edge_ok & in_win[polys.poly])
        if sel.size == 0:
            continue
        for b in range(n_bands):
            block = np.asarray(raster.isel({band_dim: b, y_dim: slice(r0, r1)}).values)
            invalid = np.isnan(block) if block.dtype.kind == "f" else np.zeros(block.shape, bool)
            if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
                invalid |= block == np.asarray(nodata).astype(block.dtype)
            _window(polys, sel, block, invalid, r0, accs[b], method)
            del block, invalid
    return _frame(columns, stats, prefix, band_labels, (accs, polys), back)


def _frame(columns, stats, prefix, band_labels, state, back) -> pd.DataFrame:
    n = back.size
    for k, band in enumerate(band_labels):
        stem = prefix if band is None else f"{prefix}_b{band}"
        if state is None:
            for s in stats:
                columns[f"{stem}_{s}"] = np.full(
                    n, 0.0 if s in ("sum", "count", "valid_fraction") else np.nan
                )
            continue
        accs, polys = state
        acc = accs[k]
        area = np.zeros(acc.sum.size)
        area[:] = polys.area_px[: acc.sum.size]
        # Coverage sums cancel to ~1e-12 of a pixel where a cell misses every valid pixel.
        count = np.where(np.abs(acc.count) < 1e-6, 0.0, acc.count)
        total = np.where(count > 0, acc.sum, 0.0)
        values = {
            "sum": total,
            "count": count,
            "mean": np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan),
            "valid_fraction": np.clip(count / np.where(area > 0, area, 1.0), 0.0, 1.0),
        }
        if acc.max is not None:
            values["max"] = np.where(np.isfinite(acc.max) & (count > 0), acc.max, np.nan)
        if acc.min is not None:
            values["min"] = np.where(np.isfinite(acc.min) & (count > 0), acc.min, np.nan)
        for s in stats:
            columns[f"{stem}_{s}"] = values[s][back].astype("float64")
    return pd.DataFrame(columns)
