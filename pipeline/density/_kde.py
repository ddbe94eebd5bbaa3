"""Kernel density at H3 cell centres: the public entry points and the edge correction."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, overload

import geopandas as gpd
import numpy as np
import shapely

from ..errors import ConfigError, InputError
from ..grid import (
    cell_area_km2,
    cells_in,
    cells_resolutions,
    cells_to_latlng,
    change_resolution,
    mean_cell_edge_km,
    points_to_cells,
    region_to_cells,
    to_cells,
)
from ._bandwidth import select_bandwidth
from ._evaluate import METHODS, evaluate
from ._inputs import (
    BANDWIDTH_RULES,
    bandwidth_too_wide,
    check_bandwidth,
    check_choice,
    point_weights,
    points_to_lonlat,
)
from ._kernels import KERNELS, kernel_support_km
from ._tiles import density_memo

log = logging.getLogger(__name__)

_MAX_WINDOW_CELLS = 4_000_000

_UNREACHED_EXPECTED: ContextVar[str | None] = ContextVar(
    "route_risk_unreached_expected", default=None
)


@contextlib.contextmanager
def unreached_expected(reason: str) -> Iterator[None]:
    """Log a density that no point reaches at DEBUG, not as a warning, inside the block.

    :func:`kernel_density` warns when weighted points reach none of the cells: on the
    area's cells that says the points lie elsewhere (swapped coordinates, as a rule).  On a
    few cells picked for another reason (the back-test's universe cells the run's table left
    out) a density of 0 is the expected value, and the warning would be noise.

    Parameters
    ----------
    reason : str
        Why the cells need not be reached; logged with the debug line.

    Examples
    --------
    >>> from pipeline.grid import region_to_cells
    >>> cells = region_to_cells((9.9, 49.9, 10.1, 50.1), 6)
    >>> with unreached_expected("cells far from the events, by design"):
    ...     float(kernel_density(([-60.0], [10.0]), cells, bandwidth_km=10).max())
    0.0
    """
    token = _UNREACHED_EXPECTED.set(reason)
    try:
        yield
    finally:
        _UNREACHED_EXPECTED.reset(token)


@dataclass(frozen=True)
class DensityResult:
    """A kernel density on cells and how it was computed.

    Attributes
    ----------
    density : numpy.ndarray
        Density per km², aligned with the cells passed in.
    bandwidth_km : float
        Bandwidth used (chosen by the rule when one was asked for).
    bandwidth_rule : str
        ``"fixed"`` for a bandwidth given in km, otherwise the rule's name.
    kernel : str
        Kernel name.
    total_weight : float
        Sum of the point weights.
    method : str
        Evaluator actually used: ``exact``, ``direct`` or ``fft``.
    """

    density: np.ndarray
    bandwidth_km: float
    bandwidth_rule: str
    kernel: str
    total_weight: float
    method: str


def kernel_density_exact(
    points, cells, *, bandwidth_km: float, kernel: str = "gaussian", weights=None
) -> np.ndarray:
    """Compute the reference kernel density: a brute-force haversine sum over all pairs.

    O(points × cells); for tests and notebooks.  Same conventions as :func:`kernel_density`
    (the gaussian is not truncated).

    Parameters
    ----------
    points : GeoDataFrame, DataFrame, (lon, lat) pair or (n, 2) array
        Point locations in EPSG:4326.
    cells : array_like
        H3 cells (uint64 or hex strings).
    bandwidth_km : float
        Bandwidth in km.
    kernel : str, default "gaussian"
        One of :data:`KERNELS`.
    weights : array_like, optional
        Non-negative weight per point.

    Returns
    -------
    numpy.ndarray
        Density per km² at each cell centre.
    """
    return kernel_density(
        points, cells, bandwidth_km=bandwidth_km, kernel=kernel, weights=weights, method="exact"
    )


@overload
def kernel_density(
    points,
    cells,
    *,
    bandwidth_km: float | str = ...,
    kernel: str = ...,
    weights=...,
    window=...,
    edge_correction: bool = ...,
    bandwidth_range_km: tuple[float, float] | None = ...,
    method: str = ...,
    return_result: Literal[False] = ...,
) -> np.ndarray: ...


@overload
def kernel_density(
    points,
    cells,
    *,
    bandwidth_km: float | str = ...,
    kernel: str = ...,
    weights=...,
    window=...,
    edge_correction: bool = ...,
    bandwidth_range_km: tuple[float, float] | None = ...,
    method: str = ...,
    return_result: Literal[True],
) -> DensityResult: ...


@overload
def kernel_density(
    points,
    cells,
    *,
    bandwidth_km: float | str = ...,
    kernel: str = ...,
    weights=...,
    window=...,
    edge_correction: bool = ...,
    bandwidth_range_km: tuple[float, float] | None = ...,
    method: str = ...,
    return_result: bool = ...,
) -> np.ndarray | DensityResult: ...


def kernel_density(
    points,
    cells,
    *,
    bandwidth_km: float | str = 10.0,
    kernel: str = "gaussian",
    weights=None,
    window=None,
    edge_correction: bool = False,
    bandwidth_range_km: tuple[float, float] | None = None,
    method: str = "auto",
    return_result: bool = False,
) -> np.ndarray | DensityResult:
    """Kernel density of weighted points at H3 cell centres, per km², on the sphere.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries, DataFrame, (lon, lat) pair or (n, 2) array
        Point locations.  Geo inputs are reprojected to EPSG:4326 (a missing CRS is taken as
        EPSG:4326); a DataFrame must have the ``lon``/``lat`` columns of :mod:`pipeline.schema`.
    cells : array_like
        H3 cells (uint64 or 15-character hex strings, any resolution, may mix resolutions).
    bandwidth_km : float or str, default 10.0
        Bandwidth in km (the gaussian's standard deviation, or the compact kernels' radius), or
        a rule from :data:`BANDWIDTH_RULES` (see the package docstring).
    kernel : str, default "gaussian"
        One of :data:`KERNELS`.
    weights : array_like or str, optional
        Non-negative weight per point, or the name of a column of ``points``; default 1.
    window : shapely geometry, GeoDataFrame/GeoSeries or array_like of H3 cells, optional
        Study window (area of interest, sea mask).  Required by ``edge_correction``.
    edge_correction : bool, default False
        Divide by the kernel mass inside ``window`` at each cell (spatstat
        ``density.ppp(edge=TRUE)``, uniform correction).  Cells whose centre lies outside the
        window get 0.  The mass is the kernel-weighted area of the window's cells at the
        coarsest resolution whose edge is at most ``h/4`` (at most resolution 10, never coarser
        than the window's own cells).  Points are not clipped.
    bandwidth_range_km : (float, float), optional
        Search range of ``bandwidth_km="cv"``; default ``(0.05, 2) × `` the ``spatial`` rule.
    method : str, default "auto"
        One of :data:`METHODS` (see the package docstring).
    return_result : bool, default False
        Return a :class:`DensityResult` instead of the bare array.

    Returns
    -------
    numpy.ndarray or DensityResult
        Density per km² aligned with ``cells``.

    Raises
    ------
    ConfigError
        Unknown kernel, method or rule, or a bad bandwidth (a bandwidth, given or chosen by a
        rule, wider than :data:`MAX_BANDWIDTH_KM`, a quarter of the Earth's circumference).
    InputError
        Invalid points, weights, cells or window.

    Examples
    --------
    >>> import numpy as np
    >>> from pipeline.grid import region_to_cells
    >>> cells = region_to_cells((9.5, 49.7, 10.5, 50.3), 6)
    >>> f = kernel_density(([10.0], [50.0]), cells, bandwidth_km=10)
    >>> bool(f.max() > 0)
    True
    """
    check_choice("kernel", kernel, KERNELS)
    check_choice("method", method, METHODS)
    if edge_correction and window is None:
        raise ConfigError("edge_correction=True needs a window (polygon or cells), got None")
    p_lon, p_lat = points_to_lonlat(points)
    w = point_weights(weights, p_lon.size, points)
    cells = to_cells(cells)
    t_lat, t_lon = _centres(cells)

    if isinstance(bandwidth_km, str):
        rule = check_choice("bandwidth_km", bandwidth_km, BANDWIDTH_RULES)
        h = select_bandwidth(
            (p_lon, p_lat), rule, weights=w, kernel=kernel, bandwidth_range_km=bandwidth_range_km
        )
        if (wide := bandwidth_too_wide(f"the {rule!r} rule's bandwidth", h)) is not None:
            raise ConfigError(wide)
    else:
        rule, h = "fixed", check_bandwidth(bandwidth_km)

    density, used = evaluate(t_lon, t_lat, p_lon, p_lat, w, h, kernel, method, cells)
    if edge_correction:
        density = density * _edge_factor(cells, t_lon, t_lat, window, h, kernel, method)
    total = float(w.sum())
    if total > 0 and cells.size and not density.any():
        _warn_out_of_reach(p_lon, p_lat, w, t_lon, t_lat, h, kernel)
    log.debug(
        "kernel_density: %d points, %d cells, h=%.4g km (%s), %s, %s",
        p_lon.size,
        cells.size,
        h,
        rule,
        kernel,
        used,
    )
    if return_result:
        return DensityResult(
            density=density,
            bandwidth_km=h,
            bandwidth_rule=rule,
            kernel=kernel,
            total_weight=total,
            method=used,
        )
    return density


def _warn_out_of_reach(p_lon, p_lat, w, t_lon, t_lat, h, kernel) -> None:
    """Warn that no weighted point reaches a cell (the density is 0 everywhere).

    Swapped coordinates are the usual cause: points given as (lat, lon) both within 90
    degrees land elsewhere on the globe, and nothing in the zeros says so.
    """
    from scipy.spatial import cKDTree

    from ..sphere import EARTH_RADIUS_KM, arc_to_chord_km, lonlat_to_xyz

    support = float(kernel_support_km(kernel, h))
    used = np.asarray(w) > 0
    expected = _UNREACHED_EXPECTED.get()
    if expected is not None:
        log.debug(
            "kernel density is 0 in every cell: none of the %d weighted point(s) lies within"
            " %.4g km of the %d cell(s), as expected: %s",
            int(used.sum()),
            support,
            t_lon.size,
            expected,
        )
        return
    hint = ""
    if np.all(np.abs(p_lon[used]) <= 90):
        tree = cKDTree(lonlat_to_xyz(t_lon, t_lat))
        dist, _ = tree.query(
            lonlat_to_xyz(p_lat[used], p_lon[used]),
            distance_upper_bound=float(arc_to_chord_km(support)) / EARTH_RADIUS_KM,
        )
        near = int(np.isfinite(dist).sum())
        if near:
            hint = (
                f"; read as (lat, lon) instead, {near} of them would: are longitude and"
                " latitude swapped?"
            )
    log.warning(
        "kernel density is 0 in every cell: none of the %d weighted point(s) lies within the"
        " kernel's reach (%.4g km) of the %d cell(s)%s",
        int(used.sum()),
        support,
        t_lon.size,
        hint,
    )


_LAST_CENTRES: list[tuple[bytes, np.ndarray, np.ndarray]] = []


def _centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return lat, lon of the cells' centres.

    The last cells' centres are kept: a run's factors and months ask for the same cells
    again and again.
    """
    key = hashlib.blake2b(np.ascontiguousarray(cells).tobytes(), digest_size=16).digest()
    # one read of the entry: another thread (a Dask worker's) may replace it between two,
    # and the latitudes of one universe went with the longitudes of another
    entry = _LAST_CENTRES[0] if _LAST_CENTRES else None
    if entry is not None and entry[0] == key:
        return entry[1].copy(), entry[2].copy()
    lat, lon = cells_to_latlng(cells)
    _LAST_CENTRES[:] = [(key, lat.copy(), lon.copy())]
    return lat, lon


def _edge_factor(cells, t_lon, t_lat, window, h, kernel, method) -> np.ndarray:
    """Return 1 / (kernel mass inside the window) at each cell, 0 outside the window."""
    res_w = next((r for r in range(0, 11) if mean_cell_edge_km(r) <= h / 4), 10)
    polygon = isinstance(window, shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries)
    if polygon:
        coarse_res = max(res_w - 3, 0)
        coarse = region_to_cells(window, coarse_res)
    else:
        try:
            coarse = to_cells(window)
        except InputError as exc:
            raise InputError(
                "window must be a shapely geometry, a GeoDataFrame/GeoSeries or H3 cells "
                f"(a bbox: shapely.box(lon_min, lat_min, lon_max, lat_max)); {exc}"
            ) from None
        if coarse.size == 0:
            raise InputError("window has no cells")
        coarse_res = int(cells_resolutions(coarse).max())
        res_w = max(res_w, coarse_res)
    # Bound the quadrature cells; a coarser quadrature only blurs the window's edge.
    while res_w > coarse_res and coarse.size * 7.0 ** (res_w - coarse_res) > _MAX_WINDOW_CELLS:
        res_w -= 1
        log.warning("edge correction: window quadrature coarsened to resolution %d", res_w)
    if polygon:
        wcells = region_to_cells(window, res_w)
    else:
        wcells = np.unique(change_resolution(coarse, res_w))
    inside = cells_in(points_to_cells(t_lon, t_lat, res_w), wcells)
    w_lat, w_lon = cells_to_latlng(wcells)
    # the window's mass does not change with the events: never by a run's tiles (up to
    # millions of window cells as points)
    with density_memo(None):
        mass, _ = evaluate(
            t_lon[inside],
            t_lat[inside],
            w_lon,
            w_lat,
            cell_area_km2(wcells),
            h,
            kernel,
            "direct" if kernel != "gaussian" else method,
        )
    factor = np.zeros(cells.size)
    with np.errstate(divide="ignore"):
        factor[inside] = np.where(mass > 0, 1.0 / np.maximum(mass, 1e-300), 0.0)
    return factor
