"""Raster values per H3 cell: coverage-weighted (exact) or pixel-centre statistics.

The cells are polygons in EPSG:4326; their vertices are reprojected to the raster's CRS and
then to pixel coordinates (the raster is never resampled), and the edges between vertices are
straight lines in the raster's CRS, as in exactextract.

Exact method
    Every pixel is weighted by the fraction of it that the cell covers.  The coverage-weighted sum
    is computed from the cell *boundary* only: by Green's theorem the area of polygon ∩ pixel is a
    signed sum, over the polygon's edges, of the integral of the edge's height clamped to the
    pixel row.  An edge piece within pixel column ``j`` therefore contributes ``dx`` times the
    mean, over the rows it spans, of ``G(r)`` = the integral of the values from the window's top
    down to row coordinate ``r``; with the column prefix sums ``C`` and their integral ``E`` that
    mean is ``(H(r_b) - H(r_a)) / (r_b - r_a)`` in O(1) per column piece, whatever the number of
    rows spanned.  The cost is proportional to the cells' perimeters in pixel columns, not their
    areas; each edge shared by two cells is computed once and given to both with opposite signs.
    The result is exact to float64 rounding at any pixel size (tests: within 1e-6 of exactextract,
    itself rounding coverage fractions to ~1e-8).
Centre method (``method="centre"``)
    Each pixel counts fully for the cell containing its centre.  Computed from the crossings of
    the cell boundary with the pixel-centre lines and the same prefix sums (~3x faster than
    exact).  Its error against the exact mean comes from the pixels cut by the boundary, weighted
    0 or 1 instead of by their coverage, so it falls as the cell spans more pixels.  Measured
    (``bench/bench_zonal.py`` and the rasters in ``tests``): ~600 pixels per cell, median
    1.6e-4 and max 1.2 % relative error of the mean; ~8 pixels per cell, median 1.5 % and max
    ~90 %.  ``valid_fraction`` is then the share of the cell's area (in pixels) of valid centres.
Dynamic range (both methods)
    Prefix sums cannot hold a small value below a huge one in the same column (under a pixel
    of 1e20 the prefix of a column of 5.0 is 1e20 + 5k, and the 5k is lost).  A window whose
    largest magnitude is over 2**20 times its median (of a sample, zeros left out) is split
    into planes of values (:func:`_planes`), each summed on its own and the sums added; a cell
    gets only round-off from a plane holding none of its pixels, and that is dropped.  A
    typical window is one plane: the check costs its max and min and a 4,096-value median; a
    window with such outliers costs one more pass per plane.
Curvilinear grids (centre only)
    A NetCDF grid placed by 2-D latitude/longitude not constant along rows and columns (opened
    ``by_centres``, ``attrs["curvilinear"]``) has no transform: each pixel is given to the H3
    cell holding its own centre (h3 over arrays, row blocks within the budget), with the same
    statistics; ``exact`` needs pixel polygons and is refused.
``max`` (and ``min``) use the pixels with positive coverage (exact) or whose centre is inside
(centre).  For a convex ring they form one run of rows per pixel column (the rows its boundary
spans there, or between its two centre crossings); non-convex rings (H3 cells bent where they
cross an icosahedron face) add the pixels each edge passes through and the sorted runs of inside
centres.  Each run's maximum comes from a sparse table of running maxima (range-maximum query).

The raster is read in windows of whole rows sized by ``memory_budget_mb``; a cell that straddles
two windows gets its contributions from both, so memory stays bounded on rasters larger than
memory, and a lazy (dask or file-backed) ``DataArray`` is only read window by window.  Each
read (whole storage tiles of rows, one or more windows) is a task of the run's engine
(:func:`pipeline.engine.current_engine`): its partial sums start from zero and are folded in
read order, so the in-process and the Dask engine give the same bits.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from pyproj import CRS, Transformer

from .errors import ConfigError, InputError
from .grid import (
    are_valid_cells,
    cell_area_km2,
    cells_around_poles,
    cells_resolutions,
    cells_to_boundaries,
    cells_to_geodataframe,
    points_to_cells,
    to_cells,
)
from .schema import CELL
from .sphere import EARTH_RADIUS_KM, lonlat_to_xyz

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


def x_period(crs: Any) -> tuple[float, float, float] | None:
    """Return (central meridian, its x, x per 360°) of a CRS whose x is linear in longitude.

    Cylindrical projections (Web Mercator, equirectangular, cylindrical equal-area) have
    an x proportional to the longitude from their central meridian at every latitude, so
    the world repeats every such period along x.  None for any other CRS (UTM, conic,
    pseudo-cylindrical), whose x depends on the latitude too or is not defined far away.
    """
    crs = CRS.from_user_input(crs)  # a rasterio CRS too
    op = crs.coordinate_operation
    lon_0 = 0.0
    for param in op.params if op is not None else []:
        name = param.name.lower()
        if "longitude" in name and ("origin" in name or "central" in name):
            lon_0 = float(param.value)
            break
    lons = lon_0 + np.array([0.0, 90.0, -90.0, 90.0, 179.0])
    lats = np.array([0.0, 0.0, 0.0, 60.0, 0.0])
    with np.errstate(all="ignore"):
        x, _ = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lons, lats)
    x = np.asarray(x, dtype="float64")
    if not np.isfinite(x).all():
        return None
    q = x[1] - x[0]
    tol = 1e-6 * abs(q)
    linear = (
        abs(x[0] - x[2] - q) <= tol
        and abs(x[3] - x[1]) <= tol
        and abs(x[4] - x[0] - q * 179.0 / 90.0) <= tol
    )
    return (lon_0, float(x[0]), 4.0 * q) if q > 0 and linear else None


class _Polygons:
    """Cell polygons as closed rings in pixel coordinates, edge by edge."""

    def __init__(self, cells: np.ndarray, crs, transform, shape=None) -> None:
        lon, lat, idx = cells_to_boundaries(cells)
        # Unwrap longitudes around each ring's first vertex (cells crossing the antimeridian).
        first = np.r_[0, np.flatnonzero(np.diff(idx)) + 1]
        lon0 = np.repeat(lon[first], np.diff(np.r_[first, idx.size]))
        lon = lon - 360.0 * np.round((lon - lon0) / 360.0)
        if crs.is_geographic:
            lon, lat, idx = _pole_caps(cells, lon, lat, idx)
        poly = idx.astype("int64")
        cell_of = np.arange(cells.size)
        # A cylindrical projection (Web Mercator) repeats every 360° of longitude, and a
        # raster warped into it across the antimeridian runs past its x edge (x > 20037508
        # m): a cell's copy 360° away is placed there, as on a geographic raster.
        period = None if crs.is_geographic else x_period(crs)
        if (crs.is_geographic or period is not None) and shape is not None:
            # Longitudes wrap: a cell also appears 360° away if the raster extends there (a
            # cell across the antimeridian on a global raster, a 0-360° raster).
            h, w = shape
            xs = [
                transform.a * c + transform.b * r + transform.c
                for c, r in ((0, 0), (w, 0), (0, h), (w, h))
            ]
            if period is not None:  # the raster's x edges as longitudes
                xs = [period[0] + (x - period[1]) / period[2] * 360.0 for x in xs]
            x_lo, x_hi = min(xs), max(xs)
            pmin = np.minimum.reduceat(lon, first)
            pmax = np.maximum.reduceat(lon, first)
            parts_lon, parts_lat, parts_poly, parts_cell = [lon], [lat], [poly], [cell_of]
            base = cells.size
            for shift in (-360.0, 360.0):
                ids = np.flatnonzero((pmax + shift > x_lo) & (pmin + shift < x_hi))
                if ids.size:
                    m = np.isin(poly, ids)
                    _, inv = np.unique(poly[m], return_inverse=True)
                    parts_lon.append(lon[m] + shift)
                    parts_lat.append(lat[m])
                    parts_poly.append(base + inv)
                    parts_cell.append(ids)
                    base += ids.size
            lon, lat = np.concatenate(parts_lon), np.concatenate(parts_lat)
            poly, cell_of = np.concatenate(parts_poly), np.concatenate(parts_cell)
        # Shared vertices of neighbouring cells are bit-identical in H3: project each once.
        vid, uniq = pd.factorize(lon + 1j * lat)
        uniq = np.asarray(uniq)
        # Number the vertices by position (lon, then lat), not by first appearance: the
        # direction an edge is computed in (lower to higher number) sets its rounding, which
        # must not depend on which other cells are asked for.
        by_position = np.lexsort((uniq.imag, uniq.real))
        rank = np.empty(by_position.size, dtype="int64")
        rank[by_position] = np.arange(by_position.size)
        vid, uniq = rank[vid], uniq[by_position]
        transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x, y = transformer.transform(uniq.real, uniq.imag)
        if period is not None:  # PROJ wraps a longitude past lon_0 ± 180; turn it back
            x = x + np.round((uniq.real - period[0]) / 360.0) * period[2]
        inv = ~transform
        with np.errstate(invalid="ignore"):  # inf * 0 for vertices the CRS cannot hold
            vcol = inv.a * x + inv.b * y + inv.c
            vrow = inv.d * x + inv.e * y + inv.f
        bad = ~(np.isfinite(vcol) & np.isfinite(vrow))
        self.unprojected = 0
        if bad.any():
            # Cells the raster's CRS cannot hold (a UTM raster under an ocean-wide area:
            # 85° from its meridian) are far outside the raster: they get no value, as every
            # cell outside it does, instead of failing the run.
            drop = np.unique(poly[bad[vid]])
            if drop.size == np.unique(poly).size:
                raise InputError(
                    f"no cell can be projected to the raster CRS {crs.to_string()!r} "
                    "(all are outside its area of use)"
                )
            keep = ~np.isin(poly, drop)
            self.unprojected = int(np.unique(cell_of[drop]).size)
            kept_polys, poly = np.unique(poly[keep], return_inverse=True)
            cell_of, vid = cell_of[kept_polys], vid[keep]
        col, row = vcol[vid], vrow[vid]
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
        # Each edge shared by two cells is computed once and given to both with opposite signs.
        va, vb = vid[e], vid[e + 1]
        lo, hi = np.minimum(va, vb), np.maximum(va, vb)
        uid, _ = pd.factorize(lo.astype("int64") * (uniq.size + 1) + hi)
        n_u = int(uid.max()) + 1 if uid.size else 0
        sign = np.where(va < vb, 1.0, -1.0)
        first = np.full(n_u, -1, dtype="int64")
        first[uid[::-1]] = np.arange(uid.size - 1, -1, -1)
        second = np.full(n_u, -1, dtype="int64")
        rest = np.setdiff1d(np.arange(uid.size), first, assume_unique=True)
        second[uid[rest]] = rest
        self.ux0, self.ur0 = vcol[lo[first]], vrow[lo[first]]
        self.ux1, self.ur1 = vcol[hi[first]], vrow[hi[first]]
        self.own1 = self.poly[first]
        has2 = second >= 0
        self.own2 = np.where(has2, self.poly[np.maximum(second, 0)], 0)
        self.has2 = has2
        # Per ring edge: its unique edge and the sign it is given to the ring with; a cell's
        # sums add its ring's edges in ring order, whatever other cells share them.
        self.uid = uid
        self.n_unique = n_u
        self.ring_w = sign * self.orient[self.poly]


def _pole_caps(cells, lon, lat, idx):
    """Replace the rings of cells around a pole by their lon/lat polygons (ring to pole).

    On a lon/lat raster the ring of such a cell, whose longitudes go once round the globe, is
    no polygon: unwrapped it zig-zags across the raster and its mean left the range of its
    values.  Its polygon in lon/lat is the cap from the ring to the pole, closed along -180°,
    the pole's latitude and +180°: the exports' polygon of the cell.
    """
    polar = np.flatnonzero(cells_around_poles(cells))
    if not polar.size:
        return lon, lat, idx
    import shapely

    caps = cells_to_geodataframe(cells[polar]).geometry.to_numpy()
    xy, which = shapely.get_coordinates(shapely.get_exterior_ring(caps), return_index=True)
    keep = ~np.isin(idx, polar)
    idx = np.concatenate([idx[keep], polar[which]])
    order = np.argsort(idx, kind="stable")  # rings stay contiguous, in the order of the cells
    lon = np.concatenate([lon[keep], xy[:, 0]])[order]
    lat = np.concatenate([lat[keep], xy[:, 1]])[order]
    return lon, lat, idx[order]


def _convex(x0, r0, x1, r1, poly, n_poly) -> np.ndarray:
    """Whether each ring turns one way only (turns below 1e-6 rad count as straight)."""
    dx, dr = x1 - x0, r1 - r0
    first = np.r_[0, np.flatnonzero(np.diff(poly)) + 1]
    nxt = np.arange(poly.size) + 1
    last = np.r_[first[1:], poly.size] - 1
    nxt[last] = first
    turn = dx * dr[nxt] - dr * dx[nxt]
    tol = 1e-6 * np.hypot(dx, dr) * np.hypot(dx[nxt], dr[nxt])
    pos = np.bincount(poly, weights=turn > tol, minlength=n_poly)
    neg = np.bincount(poly, weights=turn < -tol, minlength=n_poly)
    return (pos == 0) | (neg == 0)


# ----------------------------------------------------------------------------- one window


def _column_pieces(x0, r0, x1, r1, width):
    """Split edges at pixel-column lines: (edge, column j, r at left end, r at right end, dx).

    ``dx`` is the signed width of the piece in the edge's direction; pieces outside the raster's
    columns and vertical edges (which add no area) are dropped.
    """
    sgn = np.sign(x1 - x0)
    xs = np.clip(np.minimum(x0, x1), 0, width)
    xe = np.clip(np.maximum(x0, x1), 0, width)
    fxs = np.floor(xs)
    ncol = np.where(xe > xs, np.maximum(np.ceil(xe) - fxs - 1, 0) + 1, 0).astype("int64")
    edge, k = _ragged_local(ncol)
    base = fxs[edge] + k
    pa_x = np.maximum(base, xs[edge])
    pb_x = np.minimum(base + 1, xe[edge])
    slope = ((r1 - r0) / np.where(x1 != x0, x1 - x0, 1.0))[edge]
    x0e, r0e = x0[edge], r0[edge]
    ra = r0e + (pa_x - x0e) * slope
    rb = r0e + (pb_x - x0e) * slope
    j = np.minimum(base, width - 1).astype("int64")
    dx = (pb_x - pa_x) * sgn[edge]
    return edge, j, ra, rb, dx


class _Prefix:
    """Column prefix sums of one window: ``C[k] = Σ_{i<k} v_i`` and ``E[k] = ∫_0^k G``.

    ``G(r)``, the integral of the values from the window's top down to row coordinate ``r``, is
    piecewise linear; ``H(r) = ∫_0^r G`` is piecewise quadratic with knots ``E``.  The coverage-
    weighted sum an edge piece gives is ``dx`` times the mean of ``G`` over its row span, i.e.
    ``dx (H(r_b) - H(r_a)) / (r_b - r_a)``: no per-pixel split of the piece is needed.  Below
    the window ``G`` is the column total (the piece covers whole columns), above it 0.
    """

    def __init__(self, v: np.ndarray, integral: bool = True) -> None:
        h, w = v.shape
        self.h, self.w = h, w
        self.v = v
        self.c = np.empty((h + 1, w))
        self.c[0] = 0.0
        # Row by row: numpy's cumsum along axis 0 is strided and ~50x slower here.
        if not integral:
            for i in range(h):
                np.add(self.c[i], v[i], out=self.c[i + 1])
            return
        self.e = np.empty((h + 1, w))
        self.e[0] = 0.0
        half = np.empty(w)
        for i in range(h):
            np.add(self.c[i], v[i], out=self.c[i + 1])
            np.add(self.c[i], self.c[i + 1], out=half)
            half *= 0.5
            np.add(self.e[i], half, out=self.e[i + 1])

    def _at(self, r, j):
        rc = np.clip(r, 0.0, self.h)
        k = np.minimum(rc.astype("int64"), self.h - 1)
        return k * self.w + j, rc - k

    def mean_g(self, ra, rb, j):
        """Mean of G between row coordinates ra and rb in columns j.

        Written as a positively weighted sum of the partial first row, the whole rows between
        (a difference of ``E`` only over at least one whole row, so the span is >= 1) and the
        partial last row: no cancellation when the span is tiny, e.g. an almost horizontal edge
        that just crosses a row line.
        """
        h = self.h
        c, e, v = self.c.ravel(), self.e.ravel(), self.v.ravel()
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        flo, plo = self._at(lo, j)
        fhi, phi = self._at(hi, j)
        same = flo == fhi
        # Same row: the exact integral (phi - plo) * G(mid), G being linear in the row.
        first = np.where(
            same,
            (phi - plo) * (c[flo] + 0.5 * v[flo] * (plo + phi)),
            (1.0 - plo) * (c[flo] + 0.5 * v[flo] * (1.0 + plo)),
        )
        inner = np.where(same, 0.0, e[np.maximum(fhi, flo + self.w)] - e[flo + self.w])
        last = np.where(same, 0.0, phi * (c[fhi] + 0.5 * v[fhi] * phi))
        num = first + inner + last
        below = np.flatnonzero(hi > h)
        if below.size:
            tot = c[h * self.w + j[below]]
            num[below] += (hi[below] - np.maximum(lo[below], h)) * tot
        d = hi - lo
        flat_ = d <= 0
        out = num / np.where(flat_, 1.0, d)
        idx = np.flatnonzero(flat_)
        if idx.size:
            fm, pm = self._at(lo[idx], j[idx])
            out[idx] = c[fm] + v[fm] * pm
        return out


def _mean_g_constant(ra, rb, h):
    """``_Prefix.mean_g`` for a window whose pixels are all valid and equal to 1."""
    lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
    a, b = np.clip(lo, 0.0, h), np.clip(hi, 0.0, h)
    num = 0.5 * (b - a) * (a + b) + h * np.maximum(hi - np.maximum(lo, h), 0.0)
    d = hi - lo
    flat_ = d <= 0
    return np.where(flat_, a, num / np.where(flat_, 1.0, d))


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


def _sparse_table(vals: np.ndarray, levels: int) -> np.ndarray:
    """Stacked ``table[k, i] = max(vals[i : i + 2**k])`` (shorter at the bottom edge)."""
    h = vals.shape[0]
    table = np.empty((levels + 1, *vals.shape), dtype=vals.dtype)
    table[0] = vals
    for k in range(1, levels + 1):
        half = 1 << (k - 1)
        prev, cur = table[k - 1], table[k]
        if h > half:
            np.maximum(prev[: h - half], prev[half:], out=cur[: h - half])
            cur[h - half :] = prev[h - half :]
        else:
            cur[:] = prev
    return table


def _range_max(vals, j, top, bottom):
    """Max of ``vals`` rows [top, bottom) in columns j (non-empty ranges), by a sparse table."""
    h, width = vals.shape
    length = bottom - top
    levels = min(_MAX_LEVEL, int(np.log2(int(length.max()))))
    table = _sparse_table(vals, levels).ravel()
    span = 1 << levels
    chunked = bool((length > span).any())
    if chunked:
        nchunk = -(-length // span)
        q, k = _ragged_local(nchunk)
        a = top[q] + k * span
        b = np.minimum(a + span, bottom[q])
        j = j[q]
    else:
        a, b = top, bottom
    log2 = np.zeros(span + 1, dtype="int64")
    log2[1:] = np.floor(np.log2(np.arange(1, span + 1)))
    lev = log2[b - a]
    base = lev * (h * width) + j
    out = np.maximum(table[base + a * width], table[base + (b - (1 << lev)) * width])
    if not chunked:
        return out
    # Per range: the max over its chunks.
    res = np.full(top.size, -np.inf, dtype=vals.dtype)
    np.maximum.at(res, q, out)
    return res


#: Dynamic range of one plane of values (see :func:`_planes`): prefix sums over values up to
#: this many times the window's typical value keep a cell's sum to ~1e-10 of it.
_PLANE_RANGE = 2.0**20
_PLANE_SAMPLE = 4096


def _planes(v: np.ndarray) -> list[np.ndarray]:
    """Split a window's values into planes of limited dynamic range that add up to ``v``.

    The sums come from column prefix sums: below a pixel of 1e20 in a column of 5.0 the prefix
    is 1e20 + 5k, whose 5k float64 cannot hold, and every cell below reads round-off (then 0).
    Values above ``_PLANE_RANGE`` times the median magnitude (of a sample, the zeros left out)
    go to a plane of their own, computed separately, split again the same way; a typical window
    is one plane, and the only cost is its max and min.
    """
    hi = float(v.max(initial=0)) if v.size else 0.0
    lo = float(v.min(initial=0)) if v.size else 0.0
    m = max(hi, -lo)
    out: list[np.ndarray] = []
    rest = v
    while m > 0:
        sample = np.abs(rest.reshape(-1)[:: max(1, rest.size // _PLANE_SAMPLE)])
        nz = sample[sample > 0]
        if nz.size == 0:  # sparse values the sample missed
            nz = np.abs(rest[rest != 0])
        limit = float(np.median(nz)) * _PLANE_RANGE
        if m <= limit:
            break
        a = np.abs(rest)
        big = a > limit
        out.append(np.where(big, 0, rest))
        rest = np.where(big, rest, 0)
        m = float(a[big].max())
    out.append(rest)
    return out


def _offset(plane: np.ndarray, valid: np.ndarray, any_invalid: bool) -> tuple[float, np.ndarray]:
    """Return a typical value of a window and its first plane of values less it.

    The sums come from column prefix sums from the window's top, so a cell's sum is a
    difference of prefixes that grow with the rows above it; values of 1e6 +- 1 lost 1e-12
    of a cell's sum (more down a tall window) to that cancellation.  Summed less a value of
    the window (the median of a sample of its valid values; a value of the raster, so integer
    values stay integers) only the spread cancels, and ``offset`` times the cell's coverage
    count, exact to a few ulps, is added back (:meth:`_Accumulator.add_counts`).  ``plane``
    is :func:`_planes`'s first (0 where invalid or where a huge value was taken out to a plane
    of its own): every valid pixel gets ``-offset`` in it, so the planes still add up to the
    values less ``offset`` per valid pixel.
    """
    step = max(1, plane.size // _PLANE_SAMPLE)
    sample = plane.reshape(-1)[::step]
    if any_invalid:
        sample = sample[valid.reshape(-1)[::step]]
    if sample.size == 0:
        return 0.0, plane
    offset = float(np.partition(sample, sample.size // 2)[sample.size // 2])
    if offset == 0.0:
        return 0.0, plane
    shifted = np.subtract(plane, offset, dtype="float64")
    if any_invalid:
        shifted[~valid] = 0.0
    return offset, shifted


class _Accumulator:
    def __init__(self, n_cells: int, want_max: bool, want_min: bool) -> None:
        self.sum = np.zeros(n_cells)
        self.count = np.zeros(n_cells)
        # Σ|terms| of each signed sum: its round-off is a few ulps of this.
        self.sum_abs = np.zeros(n_cells)
        self.count_abs = np.zeros(n_cells)
        self.max = np.full(n_cells, -np.inf) if want_max else None
        self.min = np.full(n_cells, np.inf) if want_min else None

    def fold_plane(self, part: np.ndarray, part_abs: np.ndarray) -> None:
        """Add one window's sums of a plane of large values (see :func:`_planes`).

        A cell outside the plane's pixels gets only round-off of their prefix sums: within
        1e-13 of its Σ|terms| it is zero, and that round-off is kept out of ``sum_abs`` (which
        would otherwise zero the cell's own, much smaller, sum in ``_frame``).
        """
        keep = np.abs(part) > 1e-13 * part_abs
        self.sum += np.where(keep, part, 0.0)
        self.sum_abs += np.where(keep, part_abs, 0.0)

    def add_counts(self, count: np.ndarray, count_abs: np.ndarray, offset: float) -> None:
        """Add one window's coverage counts, and ``offset`` per pixel of them to the sums.

        The window's sums were of its values less ``offset`` (see :func:`_offset`).
        """
        self.count += count
        self.count_abs += count_abs
        if offset:
            self.sum += offset * count
            self.sum_abs += abs(offset) * count_abs

    def add(self, other: _Accumulator) -> None:
        """Fold the partial sums and extremes of another read into these."""
        self.sum += other.sum
        self.count += other.count
        self.sum_abs += other.sum_abs
        self.count_abs += other.count_abs
        if self.max is not None and other.max is not None:
            np.maximum(self.max, other.max, out=self.max)
        if self.min is not None and other.min is not None:
            np.minimum(self.min, other.min, out=self.min)


def _poly_columns(polys, pw, width):
    """Per polygon in the window: first column and slot offset of its columns."""
    jmin = np.clip(np.floor(polys.cmin), 0, width - 1).astype("int64")
    jmax = np.clip(np.ceil(polys.cmax) - 1, 0, width - 1).astype("int64")
    nw = np.where(pw, jmax - jmin + 1, 0)
    off = np.cumsum(nw) - nw
    return jmin, nw, off


def _window_exact(polys, pw, row0, block, invalid, accs, n_cells):
    """Add one window's contributions (all bands of ``block``) to the accumulators."""
    _, h, w = block.shape
    in1 = pw[polys.own1]
    in2 = polys.has2 & pw[polys.own2]
    # All edges of the polygons in the window: those above it add nothing to the sums but
    # bound the rows of the max.
    sel = np.flatnonzero(in1 | in2)
    if sel.size == 0:
        return
    edge, j, ra, rb, dx = _column_pieces(
        polys.ux0[sel], polys.ur0[sel] - row0, polys.ux1[sel], polys.ur1[sel] - row0, w
    )
    m2 = in2[sel]

    # The ring edges of the polygons in the window, ring by ring in ring order: each cell's
    # window sum adds the same terms in the same order whichever other cells are asked for
    # (adding per unique edge, first owners then second owners, made the order depend on them).
    ring = np.flatnonzero(pw[polys.poly])
    ring_uid = polys.uid[ring]
    ring_cell = polys.cell_of[polys.poly[ring]]
    ring_w = polys.ring_w[ring]
    per_uid = np.zeros(polys.n_unique)

    def scatter(piece_values, target, target_abs):
        per_uid[sel] = np.bincount(edge, weights=piece_values, minlength=sel.size)
        target += np.bincount(ring_cell, weights=per_uid[ring_uid] * ring_w, minlength=n_cells)
        per_uid[sel] = np.bincount(edge, weights=np.abs(piece_values), minlength=sel.size)
        target_abs += np.bincount(ring_cell, weights=per_uid[ring_uid], minlength=n_cells)

    any_invalid = invalid.any(axis=(1, 2))
    const = None
    for b in range(block.shape[0]):
        valid = ~invalid[b]
        vb = np.where(valid, block[b], 0) if any_invalid[b] else block[b]
        planes = _planes(vb)
        offset, planes[0] = _offset(planes[0], valid, bool(any_invalid[b]))
        acc = accs[b]
        for k, plane in enumerate(planes):
            if k == 0:
                scatter(dx * _Prefix(plane).mean_g(ra, rb, j), acc.sum, acc.sum_abs)
            else:
                part, part_abs = np.zeros(n_cells), np.zeros(n_cells)
                scatter(dx * _Prefix(plane).mean_g(ra, rb, j), part, part_abs)
                acc.fold_plane(part, part_abs)
        count, count_abs = np.zeros(n_cells), np.zeros(n_cells)
        if any_invalid[b]:
            scatter(dx * _Prefix(valid).mean_g(ra, rb, j), count, count_abs)
        else:
            if const is None:
                const = dx * _mean_g_constant(ra, rb, h)
            scatter(const, count, count_abs)
        acc.add_counts(count, count_abs, offset)
    if accs[0].max is None and accs[0].min is None:
        return
    # Max/min: per polygon and column, the rows its boundary spans there; for a convex ring
    # every pixel between has positive coverage.
    jmin, nw, off = _poly_columns(polys, pw, w)
    rlo, rhi = np.minimum(ra, rb), np.maximum(ra, rb)
    owners = [(polys.own1[sel][edge], in1[sel][edge])]
    e2 = m2[edge]
    owners.append((polys.own2[sel][edge[e2]], np.ones(int(e2.sum()), bool)))
    nslot = int(nw.sum())
    top = np.full(nslot, np.inf)
    bot = np.full(nslot, -np.inf)
    for k, (own, ok) in enumerate(owners):
        sub = ok if k == 0 else e2
        own = own[ok] if k == 0 else own
        slot = off[own] + j[sub] - jmin[own]
        np.minimum.at(top, slot, rlo[sub])
        np.maximum.at(bot, slot, rhi[sub])
    a = np.clip(np.floor(top), 0, h).astype("int64", copy=False) if nslot else top.astype("int64")
    bb = np.clip(np.ceil(bot), 0, h).astype("int64", copy=False) if nslot else bot.astype("int64")
    _slot_extremes(polys, pw, row0, block, invalid, accs, (jmin, nw, off), a, bb, exact=True)


def _slot_extremes(polys, pw, row0, block, invalid, accs, columns, top, bottom, exact):
    """Fold one window's max/min into ``accs``: convex rings by their per-column row ranges.

    ``columns`` is ``_poly_columns``'s ``(jmin, nw, off)``; ``top``/``bottom`` hold one row
    range per (polygon, column) slot.  Non-convex rings are queried by ``_nonconvex_queries``.
    """
    _, h, w = block.shape
    jmin, nw, off = columns
    slot_poly = np.repeat(np.arange(pw.size), nw)
    slot_j = np.arange(top.size) - np.repeat(off, nw) + np.repeat(jmin, nw)
    good = (bottom > top) & polys.convex[slot_poly]
    nj, nt, nb, nc = _nonconvex_queries(polys, pw, row0, h, w, exact=exact)
    j_q = np.concatenate([slot_j[good], nj])
    t_q = np.concatenate([top[good], nt])
    b_q = np.concatenate([bottom[good], nb])
    c_q = np.concatenate([polys.cell_of[slot_poly[good]], nc])
    for b in range(block.shape[0]):
        _extremes(block[b], invalid[b], accs[b], j_q, t_q, b_q, c_q)


def _nonconvex_queries(polys, pw, row0, h, w, exact):
    """Row ranges (j, top, bottom, cell) covering the pixels of the non-convex rings in a window.

    Exact: the pixels an edge passes through plus the runs of pixels whose centre is inside;
    centre: only the latter.  Runs come from sorting the ring's centre crossings per column.
    """
    occ = np.flatnonzero((pw & ~polys.convex)[polys.poly])
    empty = np.empty(0, "int64")
    if occ.size == 0:
        return empty, empty, empty, empty
    x0, x1 = polys.x0[occ], polys.x1[occ]
    r0, r1 = polys.r0[occ] - row0, polys.r1[occ] - row0
    poly = polys.poly[occ]
    js, tops, bots, cells = [], [], [], []
    if exact:
        edge, j, ra, rb, _ = _column_pieces(x0, r0, x1, r1, w)
        t = np.clip(np.floor(np.minimum(ra, rb)), 0, h).astype("int64")
        bt = np.clip(np.ceil(np.maximum(ra, rb)), 0, h).astype("int64")
        js.append(j), tops.append(t), bots.append(bt), cells.append(polys.cell_of[poly[edge]])
    e, j, above, _ = _centre_crossings(x0, r0, x1, r1, w, h)
    key = poly[e] * (w + 1) + j
    order = np.lexsort((above, key))
    key, j, above = key[order], j[order], above[order]
    starts = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
    pos = np.arange(key.size) - np.repeat(starts, np.diff(np.r_[starts, key.size]))
    enter = np.flatnonzero((pos % 2 == 0) & (np.arange(key.size) + 1 < key.size))
    enter = enter[key[np.minimum(enter + 1, key.size - 1)] == key[enter]]
    js.append(j[enter]), tops.append(above[enter]), bots.append(above[enter + 1])
    cells.append(polys.cell_of[key[enter] // (w + 1)])
    j, t, bt, c = (np.concatenate(v) for v in (js, tops, bots, cells))
    ok = bt > t
    return j[ok], t[ok], bt[ok], c[ok]


def _extremes_dtype(dtype) -> np.dtype:
    """Return the float type to take the max/min of ``dtype`` values in: one holding them all.

    float32 holds every integer of up to 24 bits only: an int32 or uint32 raster's 16777217
    read as float32 is 16777216, a max below the cell's mean.
    """
    dtype = np.dtype(dtype)
    exact32 = dtype.itemsize < 4 if dtype.kind in "iu" else dtype.itemsize <= 4
    return np.dtype("float32" if exact32 else "float64")


def _extremes(band, invalid, acc, j, top, bottom, cells):
    """Fold the max (and min) of ``band`` over row ranges into the accumulator, per cell."""
    if j.size == 0:
        return
    ftype = _extremes_dtype(band.dtype)
    fb = band.astype(ftype, copy=False)
    for negate, target in ((False, acc.max), (True, acc.min)):
        if target is None:
            continue
        signed = -fb if negate else fb
        vals = (
            np.where(invalid, -np.inf, signed).astype(ftype, copy=False)
            if invalid.any()
            else signed
        )
        mx = _range_max(vals, j, top, bottom)
        # Queries come grouped by cell: reduce each run, then fold the runs in.
        runs = np.r_[0, np.flatnonzero(cells[1:] != cells[:-1]) + 1]
        run_max = np.maximum.reduceat(mx, runs)
        if negate:
            np.minimum.at(target, cells[runs], -run_max)
        else:
            np.maximum.at(target, cells[runs], run_max)


def _window_centre(polys, pw, row0, block, invalid, accs, n_cells):
    """Pixel-centre statistics of one window: crossings of edges with centre columns."""
    _, h, w = block.shape
    sel = np.flatnonzero(pw[polys.poly])
    if sel.size == 0:
        return
    x0, x1 = polys.x0[sel], polys.x1[sel]
    r0, r1 = polys.r0[sel] - row0, polys.r1[sel] - row0
    epoly = polys.poly[sel]
    e, j, above, sgn = _centre_crossings(x0, r0, x1, r1, w, h)
    p = epoly[e]
    wsg = sgn * polys.orient[p]
    cid = polys.cell_of[p]
    flat = above * w + j
    for b in range(block.shape[0]):
        valid = ~invalid[b]
        any_invalid = bool(invalid[b].any())
        vb = np.where(valid, block[b], 0) if any_invalid else block[b]
        planes = _planes(vb)
        offset, planes[0] = _offset(planes[0], valid, any_invalid)
        for k, plane in enumerate(planes):
            terms = wsg * _Prefix(plane, integral=False).c.ravel()[flat]
            part = np.bincount(cid, weights=terms, minlength=n_cells)
            part_abs = np.bincount(cid, weights=np.abs(terms), minlength=n_cells)
            if k == 0:
                accs[b].sum += part
                accs[b].sum_abs += part_abs
            else:
                accs[b].fold_plane(part, part_abs)
        cn = _Prefix(valid, integral=False).c.ravel() if any_invalid else None
        cnt = cn[flat] if cn is not None else above.astype("float64")
        accs[b].add_counts(
            np.bincount(cid, weights=wsg * cnt, minlength=n_cells),
            np.bincount(cid, weights=np.abs(cnt), minlength=n_cells),
            offset,
        )
    if accs[0].max is None and accs[0].min is None:
        return
    # Per polygon and centre column: the run of centres between its two crossings.
    jmin, nw, off = _poly_columns(polys, pw, w)
    slot = off[p] + j - jmin[p]
    nslot = int(nw.sum())
    top = np.zeros(nslot, dtype="int64")
    bottom = np.zeros(nslot, dtype="int64")
    lower = wsg > 0  # the interior lies above these crossings
    bottom[slot[lower]] = above[lower]
    top[slot[~lower]] = above[~lower]
    _slot_extremes(polys, pw, row0, block, invalid, accs, (jmin, nw, off), top, bottom, exact=False)


# ----------------------------------------------------------------------------- public API


def _check_cells(cells: np.ndarray) -> None:
    bad = np.flatnonzero(~are_valid_cells(cells))
    if bad.size:
        raise InputError(
            f"not an H3 cell id: {int(cells[bad[0]])!r} (and {bad.size - 1} more); "
            "expected uint64 H3 cell indexes"
        )


def _row_block(raster: xr.DataArray, y_dim: Hashable) -> int | None:
    """Rows per storage tile or dask chunk along y, if known."""
    if raster.chunks is not None:
        sizes = raster.chunksizes.get(y_dim)
        return int(sizes[0]) if sizes else None
    chunk = raster.encoding.get("preferred_chunks", {}).get(y_dim)
    return int(chunk) if chunk else None


def _representable(value, dtype) -> bool:
    """Whether ``value`` is a value of ``dtype`` (a uint8 raster cannot hold nodata -9999)."""
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return float(value).is_integer() and info.min <= value <= info.max
    return True


#: Dimension names taken for the raster's y and x when rioxarray does not know them.
_Y_NAMES = ("lat", "latitude", "y", "northing", "rlat")
_X_NAMES = ("lon", "long", "longitude", "x", "easting", "rlon")


def _with_spatial_dims(raster):
    """Return ``raster`` with rioxarray told its spatial dims (``lat``/``lon`` included).

    rioxarray finds ``y``/``x`` and ``latitude``/``longitude`` alone; for other names its
    ``transform()`` is the identity (1-unit pixels at the origin), which would put every pixel
    in the wrong place without a word.
    """
    if not isinstance(raster, xr.DataArray) or raster.ndim not in (2, 3):
        return raster  # refused by _raster_parts
    try:
        raster.rio.x_dim, raster.rio.y_dim  # noqa: B018  (raises when rioxarray cannot tell)
        return raster
    except Exception:  # rioxarray raises its own errors when it cannot tell
        pass
    lower = {str(d).lower(): d for d in raster.dims}
    y = next((lower[n] for n in _Y_NAMES if n in lower), None)
    x = next((lower[n] for n in _X_NAMES if n in lower), None)
    if x is None or y is None:
        raise InputError(
            f"raster dims {tuple(map(str, raster.dims))!r} do not say which are y and x; "
            "name them: raster.rio.set_spatial_dims(x_dim=..., y_dim=...)"
        )
    return raster.rio.set_spatial_dims(x_dim=x, y_dim=y)


def _check_degrees(raster: xr.DataArray, crs, transform) -> None:
    """Refuse a raster labelled geographic whose extent is not degrees (metres, say)."""
    height, width = raster.shape[-2], raster.shape[-1]
    xs = [transform.c, transform.c + transform.a * width]
    ys = [transform.f, transform.f + transform.e * height]
    slack = max(1.0, abs(transform.e), abs(transform.a))  # pixels centred on a pole or ±180
    if max(map(abs, ys)) > 90 + slack or max(map(abs, xs)) > 540 + slack:
        raise InputError(
            f"raster is labelled {crs.to_string()} (degrees) but spans x {min(xs):.6g} to "
            f"{max(xs):.6g}, y {min(ys):.6g} to {max(ys):.6g}: not degrees; write its real "
            "CRS (raster.rio.write_crs('EPSG:...'))"
        )


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
    if crs.is_geographic:
        _check_degrees(raster, crs, transform)
    try:
        nodata = raster.rio.nodata
        if nodata is None:
            nodata = raster.rio.encoded_nodata
    except (OverflowError, ValueError) as exc:  # rioxarray casts it to the raster's dtype
        raise InputError(
            f"raster nodata cannot be held by its {raster.dtype} values ({exc}); give a "
            "nodata of that type, or the raster as floats with NaN where it has no data"
        ) from exc
    return crs, transform, nodata


def _refuse_class_codes(raster: xr.DataArray, stats: Sequence[str]) -> None:
    """Refuse a mean, sum, max or min of class codes (a land cover), in one line.

    :func:`pipeline.ingest.open_raster` marks a raster whose values are classes
    (``attrs["categorical"]``: a colour table, CF ``flag_values``); a mean of codes 10 (trees)
    and 80 (water) is 45, a class that does not exist.  ``count`` and ``valid_fraction`` say
    only where it has values, and stay allowed.
    """
    why = raster.attrs.get("categorical")
    numeric = [s for s in stats if s not in ("count", "valid_fraction")]
    if not why or not numeric:
        return
    name = raster.attrs.get("source_file") or raster.name or "raster"
    raise InputError(
        f"{name}: holds class codes ({why}), not quantities: its {'/'.join(numeric)} per "
        "cell would be a meaningless mix of codes, so none is computed; turn one class into "
        f"a quantity first, e.g. its share: gdal_calc.py -A {name} --calc='A==80' "
        "--type=Float32 --outfile=class80.tif (the mean per cell is then that class's share)"
    )


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
        window by window.  Pixels equal to ``.rio.nodata`` (or ``encoded_nodata``), NaN or
        infinite are not valid.
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
        measured in ``bench/bench_zonal.py``).  A curvilinear grid (opened ``by_centres``)
        is read by ``centre`` only: each pixel's own latitude/longitude places it.
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
        If the raster lacks a CRS or has the wrong dims, or a cell id is invalid, or it holds
        class codes (``attrs["categorical"]``, set by :func:`pipeline.ingest.open_raster`)
        and a stat other than ``count``/``valid_fraction`` is asked, or a curvilinear grid
        is asked for ``exact``.
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
    if isinstance(raster, xr.DataArray) and raster.attrs.get("curvilinear"):
        return _curvilinear_to_cells(raster, cells, stats, method, name, memory_budget_mb)
    raster = _with_spatial_dims(raster)
    crs, transform, nodata = _raster_parts(raster)
    _refuse_class_codes(raster, stats)
    cells_in = to_cells(cells)
    _check_cells(cells_in)
    ucells, back = np.unique(cells_in, return_inverse=True)
    prefix = name or (str(raster.name) if raster.name is not None else "raster")
    # Spatial dims last, whatever their names (y/x, lat/lon) and the order they came in.
    try:
        y_name, x_name = raster.rio.y_dim, raster.rio.x_dim
    except Exception:  # rioxarray raises its own errors when it cannot tell
        y_name, x_name = raster.dims[-2], raster.dims[-1]
    raster = raster.transpose(..., y_name, x_name)
    if raster.ndim == 2:
        raster = raster.expand_dims("band")
        band_labels: list[int | None] = [None]
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
    # Bytes per raster row: the bands read, two float64 prefix planes plus the values (twice
    # when counting nodata), and the running-max table.
    per_row = width * (
        n_bands * (itemsize + 1)
        + 6 * 8
        + 8
        + (_extremes_dtype(raster.dtype).itemsize * (_MAX_LEVEL + 2) if want_max or want_min else 0)
    )
    rows = int(max(8, min(height, memory_budget_mb * 2**20 // per_row)))
    # Reads cover whole tile rows (each tile decoded once, none left half-read in GDAL's block
    # cache); the computation then walks them in windows of ``rows``.
    tile = _row_block(raster, y_dim) or rows
    raw_row = width * n_bands * np.dtype(raster.dtype).itemsize
    read_rows = -(-rows // tile) * tile
    if read_rows * raw_row > memory_budget_mb * 2**20 / 2 and read_rows > rows:
        read_rows = rows
    columns: dict[str, np.ndarray] = {CELL: cells_in}
    if ucells.size == 0:
        return _frame(columns, stats, prefix, band_labels, None, back)
    polys = _Polygons(ucells, crs, transform, (height, width))
    accs = [_Accumulator(ucells.size, want_max, want_min) for _ in range(n_bands)]
    poly_ok = (polys.cmax > 0) & (polys.cmin < width) & (polys.rmax > 0) & (polys.rmin < height)
    nodata_ok = nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata))
    log.debug(
        "zonal: %d cells, %d x %d px, reads of %d rows, windows of %d rows",
        ucells.size,
        height,
        width,
        read_rows,
        rows,
    )
    # Each read (whole storage tiles of rows) is a task of the run's engine: in-process or on
    # Dask workers, each read's partial sums are folded in read order, so every engine gives
    # the same bits.  Reads no cell touches are skipped.
    reads = [
        (
            q0,
            min(height, q0 + read_rows),
            raster.isel({y_dim: slice(q0, min(height, q0 + read_rows))}),
        )
        for q0 in range(0, height, read_rows)
        if (poly_ok & (polys.rmax > q0) & (polys.rmin < min(height, q0 + read_rows))).any()
    ]
    spec = _ReadSpec(ucells.size, rows, method, want_max, want_min, nodata if nodata_ok else None)
    from .engine import current_engine

    for part in current_engine().map(_read_partial, reads, polys, poly_ok, spec):
        for acc, p in zip(accs, part, strict=True):
            acc.add(p)
    return _frame(columns, stats, prefix, band_labels, (accs, polys), back)


@dataclass(frozen=True)
class _ReadSpec:
    """How a read of raster rows is cut into windows and which pixels are valid."""

    n_cells: int
    rows: int
    method: str
    want_max: bool
    want_min: bool
    nodata: float | int | None


def _read_partial(read, polys: _Polygons, poly_ok: np.ndarray, spec: _ReadSpec):
    """Return the accumulators (one per band) of one read of rows, from zero.

    A task of :func:`zonal_stats_to_cells`: ``read`` is ``(first row, end row, the lazy
    DataArray of those rows)``; a worker reads the rows itself (dask arrays synchronously).
    """
    import dask

    q0, q1, lazy = read
    with dask.config.set(scheduler="synchronous"):
        raw = np.asarray(lazy.values)
    window = _window_exact if spec.method == "exact" else _window_centre
    n_cells = spec.n_cells
    accs = [_Accumulator(n_cells, spec.want_max, spec.want_min) for _ in range(raw.shape[0])]
    for r0 in range(q0, q1, spec.rows):
        r1 = min(q1, r0 + spec.rows)
        pw = poly_ok & (polys.rmax > r0) & (polys.rmin < r1)
        if not pw.any():
            continue
        block = raw[:, r0 - q0 : r1 - q0]
        invalid = ~np.isfinite(block) if block.dtype.kind == "f" else np.zeros(block.shape, bool)
        if spec.nodata is not None and _representable(spec.nodata, block.dtype):
            invalid |= block == np.asarray(spec.nodata).astype(block.dtype)
        window(polys, pw, r0, block, invalid, accs, n_cells)
        del block, invalid
    return accs


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
        # a cell's area in pixels: any of its polygons (copies 360° away are the same shape);
        # a cell whose polygon could not be projected keeps 0
        area = np.zeros(acc.sum.size)
        np.maximum.at(area, polys.cell_of, polys.area_px)
        # Coverage sums cancel to ~1e-9 of a pixel (more on wide windows, whose prefix sums
        # are large) where a cell misses every valid pixel; below 1e-6 px the "valid area" is
        # round-off, and its mean would be round-off divided by round-off.
        # Likewise a sum within round-off of zero (1e-13 of Σ|terms|, ~500 ulps) is zero: a
        # cell of zeros gets 0, not ±1e-15.
        count = np.where(
            (np.abs(acc.count) < 1e-6) | (np.abs(acc.count) <= 1e-13 * acc.count_abs),
            0.0,
            acc.count,
        )
        total = np.where((count > 0) & (np.abs(acc.sum) > 1e-13 * acc.sum_abs), acc.sum, 0.0)
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


# ----------------------------------------------------------------------------- curvilinear


def _centre_steps(f: np.ndarray, axis: int) -> np.ndarray:
    """Return the steps of ``f`` along ``axis``: central differences.

    One-sided at its ends and beside a neighbour without coordinates (NaN); NaN where both
    neighbours are.
    """
    d = np.diff(f, axis=axis)
    pad = np.full_like(np.take(d, [0], axis=axis), np.nan)
    before = np.concatenate([pad, d], axis=axis)
    after = np.concatenate([d, pad], axis=axis)
    return np.where(
        np.isnan(before), after, np.where(np.isnan(after), before, 0.5 * (before + after))
    )


def _pixel_areas_km2(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Return each pixel's area in km² from its neighbours' centres.

    The cross product of the steps between unit vectors along rows and columns: no
    longitude wraps, and a pixel at a pole has its area (in degrees, the steps of a polar
    grid's longitudes near the pole gave valid fractions 25 % off).  A pixel whose two
    neighbours along one axis have no coordinates is taken square; along both, 0.  Each
    area needs only the pixel's neighbours: the same whichever rows a read holds.
    """
    p = lonlat_to_xyz(lon, lat)
    along_rows, along_cols = _centre_steps(p, 0), _centre_steps(p, 1)
    area = np.linalg.norm(np.cross(along_rows, along_cols), axis=-1)
    rows, cols = np.linalg.norm(along_rows, axis=-1), np.linalg.norm(along_cols, axis=-1)
    area = np.where(np.isnan(area), np.where(np.isnan(rows), cols**2, rows**2), area)
    return np.nan_to_num(area, nan=0.0) * EARTH_RADIUS_KM**2


@dataclass(frozen=True)
class _CentresSpec:
    """What a read of a curvilinear grid's rows needs: the cells, their resolution, nodata."""

    cells: np.ndarray
    resolution: int
    lat: str
    lon: str
    want_max: bool
    want_min: bool
    nodata: float | None


def _centres_partial(read, spec: _CentresSpec) -> dict[str, np.ndarray]:
    """Per-cell sums, counts, valid areas and extremes of one read of a curvilinear grid.

    ``read`` is ``(first row, end row, rows read with one more each side)``: the halo gives
    the read's edge pixels their central differences, so a pixel's area does not depend on
    where reads are cut.
    """
    import dask

    q0, q1, a, lazy = read
    with dask.config.set(scheduler="synchronous"):
        raw = np.asarray(lazy.isel(y=slice(q0 - a, q1 - a)).values, dtype="float64")
        lat = np.asarray(lazy[spec.lat].values, dtype="float64")
        lon = np.asarray(lazy[spec.lon].values, dtype="float64")
    n_bands, n = raw.shape[0], spec.cells.size
    with np.errstate(invalid="ignore"):
        placed = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 360)
        # a neighbour placed nowhere (a latitude of 95) gives no step: not an area 85° tall
        lat, lon = np.where(placed, lat, np.nan), np.where(placed, lon, np.nan)
        area = _pixel_areas_km2(lat, lon)[q0 - a : q1 - a]  # grids are 2 x 2 or more
        lat, lon = lat[q0 - a : q1 - a], lon[q0 - a : q1 - a]
        placed = placed[q0 - a : q1 - a]
    out = {
        "unplaced": np.array([int(placed.size - np.count_nonzero(placed))]),
        "sum": np.zeros((n_bands, n)),
        "count": np.zeros((n_bands, n)),
        "area": np.zeros((n_bands, n)),
        "max": np.full((n_bands, n), -np.inf),
        "min": np.full((n_bands, n), np.inf),
    }
    valid = np.isfinite(raw)
    if spec.nodata is not None:
        valid &= raw != spec.nodata
    # a pixel no band has a value at (land, a fill) is given to no cell: it adds nothing
    where = np.flatnonzero((placed & valid.any(axis=0)).ravel())
    if where.size == 0 or n == 0:
        return out
    cell = points_to_cells(lon.ravel()[where], lat.ravel()[where], spec.resolution)
    k = np.minimum(np.searchsorted(spec.cells, cell), n - 1)
    hit = spec.cells[k] == cell
    where, k = where[hit], k[hit]
    px_area = area.ravel()[where]
    for b in range(n_bands):
        v = raw[b].ravel()[where]
        ok = valid[b].ravel()[where]
        kb, vb = k[ok], v[ok]
        out["sum"][b] = np.bincount(kb, weights=vb, minlength=n)
        out["count"][b] = np.bincount(kb, minlength=n)
        out["area"][b] = np.bincount(kb, weights=px_area[ok], minlength=n)
        if spec.want_max:
            np.maximum.at(out["max"][b], kb, vb)
        if spec.want_min:
            np.minimum.at(out["min"][b], kb, vb)
    return out


def _curvilinear_to_cells(raster, cells, stats, method, name, memory_budget_mb) -> pd.DataFrame:
    """Zonal statistics of a curvilinear grid by pixel centres (see :func:`zonal_stats_to_cells`).

    Each pixel counts fully for the H3 cell holding its own centre's latitude/longitude
    (``h3`` over arrays, row block by row block within the budget): the centre method's
    definition, with the cell's own boundary instead of straight lon/lat edges between its
    vertices (they differ by under a millimetre at the resolutions scored).  ``sum``,
    ``count``, ``mean``, ``max`` and ``min`` are over the valid pixels whose centre is in the
    cell, as on a regular grid; ``valid_fraction`` is their area (each pixel's from its
    neighbours' centres, on the sphere) over the cell's, the count over the cell's area in
    pixels as on a regular grid (there in degrees: the two agree within ~1e-4 away from the
    poles; at a pole only the sphere's is right).  Pixels whose latitude/
    longitude is not finite, or beyond ±90/±360, place nothing: counted in
    ``attrs["unplaced_pixels"]`` of the result.
    """
    info = raster.attrs["curvilinear"]
    label = raster.attrs.get("source_file") or raster.name or "raster"
    if method != "centre":
        raise InputError(
            f"{label}: a curvilinear grid (2-D {info['lat']!r}/{info['lon']!r}) cannot be read "
            f"with zonal method {method!r}: it needs each pixel's polygon, which its centres "
            "do not give; set zonal method: centre (each pixel counts for the cell holding "
            "its centre), or regrid it to a regular lat/lon grid first (cdo remapbil, or xESMF)"
        )
    _refuse_class_codes(raster, stats)
    cells_in = to_cells(cells)
    _check_cells(cells_in)
    ucells, back = np.unique(cells_in, return_inverse=True)
    prefix = name or (str(raster.name) if raster.name is not None else "raster")
    if raster.ndim == 2:
        raster = raster.expand_dims("band")
    band_labels: list[int | None] = [None]
    if raster.sizes["band"] > 1:
        coord = raster["band"].values if "band" in raster.coords else range(raster.sizes["band"])
        band_labels = [
            int(c) if np.issubdtype(np.asarray(c).dtype, np.integer) else k + 1
            for k, c in enumerate(coord)
        ]
    columns: dict[str, np.ndarray] = {CELL: cells_in}
    if ucells.size == 0:
        return _frame(columns, stats, prefix, band_labels, None, back)
    resolutions = np.unique(cells_resolutions(ucells))
    if resolutions.size != 1:
        raise InputError(
            f"{label}: cells of several H3 resolutions {resolutions.tolist()!r}; a curvilinear "
            "grid is read by pixel centres at one resolution"
        )
    try:
        nodata = raster.rio.nodata
    except Exception:  # rioxarray raises its own errors for a nodata it cannot cast
        nodata = None
    nodata = None if nodata is None or np.isnan(float(nodata)) else float(nodata)
    n_bands, height, width = (int(raster.sizes[d]) for d in ("band", "y", "x"))
    # the bands' float64 values, the coordinates, their differences, areas, cells and indices
    per_row = max(1, width) * (n_bands * 16 + 12 * 8)
    rows = int(max(1, min(height, memory_budget_mb * 2**20 // per_row)))
    reads = []
    for q0 in range(0, height, rows):
        q1 = min(height, q0 + rows)
        a, b = max(0, q0 - 1), min(height, q1 + 1)
        reads.append((q0, q1, a, raster.isel(y=slice(a, b))))
    spec = _CentresSpec(
        ucells,
        int(resolutions[0]),
        info["lat"],
        info["lon"],
        "max" in stats,
        "min" in stats,
        nodata,
    )
    from .engine import current_engine

    total: dict[str, np.ndarray] | None = None
    for part in current_engine().map(_centres_partial, reads, spec):
        if total is None:
            total = part
            continue
        for key in ("unplaced", "sum", "count", "area"):
            total[key] = total[key] + part[key]
        total["max"] = np.maximum(total["max"], part["max"])
        total["min"] = np.minimum(total["min"], part["min"])
    if total is None:  # no rows (a window of a grid no centre of the area lies in)
        total = {
            key: np.zeros((n_bands, ucells.size)) for key in ("sum", "count", "area", "max", "min")
        }
        total["unplaced"] = np.zeros(1, dtype="int64")
    cell_km2 = np.zeros(ucells.size)
    touched = np.flatnonzero((total["area"] > 0).any(axis=0))  # the others' fraction is 0
    cell_km2[touched] = cell_area_km2(ucells[touched])
    for k, band in enumerate(band_labels):
        stem = prefix if band is None else f"{prefix}_b{band}"
        count = total["count"][k]
        have = count > 0
        values = {
            "sum": np.where(have, total["sum"][k], 0.0),
            "count": count,
            "mean": np.where(have, total["sum"][k] / np.where(have, count, 1.0), np.nan),
            "valid_fraction": np.clip(
                total["area"][k] / np.where(cell_km2 > 0, cell_km2, 1.0), 0.0, 1.0
            ),
            "max": np.where(have, total["max"][k], np.nan),
            "min": np.where(have, total["min"][k], np.nan),
        }
        for s in stats:
            columns[f"{stem}_{s}"] = values[s][back].astype("float64")
    out = pd.DataFrame(columns)
    out.attrs["unplaced_pixels"] = int(total["unplaced"][0])
    return out
