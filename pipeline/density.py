"""Kernel density of weighted points on H3 cells, on the sphere.

The density at a cell is ``f(c) = Σ_i w_i K_h(d(c, x_i))`` per km², where ``d`` is the
great-circle distance on the sphere of radius 6371.0072 km (the radius H3 uses for cell areas,
:data:`pipeline.sphere.EARTH_RADIUS_KM`) and every kernel is normalised in the plane, so
``Σ_c f(c) · area(c)`` over cells covering the support returns the total weight (to within the
cells' sampling of the kernel and ``O(h²/R²) < 1e-4``).

Kernels (``u = d / h``)
    ``gaussian``      ``exp(-u²/2) / (2π h²)``; standard deviation ``h`` per axis, unbounded
                      support (truncated at ``7 h`` by the fast evaluators: tail < 1e-10).
    ``quartic``       ``3/(π h²) (1 - u²)²`` for ``u < 1`` (biweight; ArcGIS/QGIS default).
    ``epanechnikov``  ``2/(π h²) (1 - u²)`` for ``u < 1``.
    ``triangular``    ``3/(π h²) (1 - u)`` for ``u < 1``.
    ``uniform``       ``1/(π h²)`` for ``u < 1``.

Methods
-------
    ``exact``   brute force over all pairs with the haversine distance: the reference.
    ``direct``  the same sums restricted to pairs within the kernel's support, found with KD-trees
                on 3-D unit vectors; exact for the compact kernels, within 1e-10 for the gaussian.
    ``fft``     gaussian only: per tile of at most 800 km radius, stereographic projection about
                the tile centre (conformal; the chord is exactly ``λ₁λ₂|X₁-X₂|`` and the scale
                ``λ`` is handled to first order by a second convolution), cubic B-spline spreading
                onto a grid of spacing ``h/5``, FFT convolution with a gaussian de-blurred by the
                spline's variance, cubic B-spline gathering at the cell centres.  Measured max
                relative error against ``exact`` where the density is ≥ 1 % of its maximum:
                ≤ 3e-4 for bandwidths 2-100 km, regions up to 3,000 km, across the antimeridian
                and near the pole (``tests/test_density.py``); 2.2e-5 on the 1,000,000-point,
                179,000-cell benchmark (``bench/bench_density.py``: 0.37-0.41 s on 2 cores, vs
                scikit-learn ~2,600-6,700 s extrapolated and KDEpy 1-2.6 s at 8e-3 error).
                Cost ``O(16 N + G log G)`` for ``N`` points and ``G`` grid nodes.
    ``auto``    ``fft`` for the gaussian when the pair count makes ``direct`` the slower one,
                otherwise ``direct``.

Bandwidth rules (distances in a stereographic plane about the weighted mean centre,
``n = (Σw)² / Σw²``, Kish's effective sample size, which is the point count for equal weights)
    ``scott``      ``σ n^(-1/6)``, ``σ² = (σx² + σy²)/2`` (2-D normal reference; equal to
                   scipy's Silverman factor in 2-D).
    ``silverman``  ``0.9 min(σ, IQR/1.349) n^(-1/5)``, IQR the mean of the two axes' IQRs
                   (Silverman 1986, eq. 3.31, the robust rule of thumb).
    ``spatial``    ``0.9 min(SD, sqrt(1/ln 2) Dm) n^(-1/5)`` with the standard distance ``SD`` and
                   the median distance ``Dm`` to the mean centre (ArcGIS Pro Kernel Density; ArcGIS
                   uses the sum of the population field for ``n``).
    ``cv``         likelihood cross-validation: maximises the leave-one-out log-likelihood over
                   ``bandwidth_range_km`` (log-spaced search, then refinement), on a seeded
                   subsample of at most 20,000 points.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import schema
from ._density_direct import density_brute, density_tree
from ._density_fft import NODES_PER_BANDWIDTH, density_fft
from ._density_kernels import GAUSSIAN_CUTOFF, KERNELS, kernel_at_zero
from .errors import ConfigError, InputError
from .grid import (
    cell_area_km2,
    cells_resolutions,
    cells_to_latlng,
    change_resolution,
    mean_cell_edge_km,
    points_to_cells,
    region_to_cells,
    to_cells,
)
from .sphere import (
    lonlat_to_xyz,
    spherical_cap,
    stereographic_project,
    tangent_basis,
)

__all__ = [
    "BANDWIDTH_RULES",
    "KERNELS",
    "METHODS",
    "DensityResult",
    "kernel_density",
    "kernel_density_exact",
    "seizure_weights",
    "select_bandwidth",
]

log = logging.getLogger(__name__)

BANDWIDTH_RULES = ("cv", "scott", "silverman", "spatial")
METHODS = ("auto", "direct", "exact", "fft")
_CV_MAX_SOURCES = 20_000
_CV_MAX_TARGETS = 2_000
_MIN_BANDWIDTH_KM = 1e-3
_MAX_WINDOW_CELLS = 4_000_000


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


# ----------------------------------------------------------------------------- inputs


def _check_choice(name: str, value, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{name} must be one of {sorted(choices)!r}, got {value!r}")
    return value


def _points_lonlat(points) -> tuple[np.ndarray, np.ndarray]:
    """Return lon, lat arrays (EPSG:4326) from the accepted point inputs."""
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        if geo.crs is not None and not geo.crs.equals("EPSG:4326"):
            geo = geo.to_crs("EPSG:4326")
        arr = np.asarray(geo.values, dtype=object)
        if arr.size:
            types = shapely.get_type_id(arr)
            bad = np.flatnonzero((types != 0) | shapely.is_empty(arr))
            if bad.size:
                raise InputError(
                    f"points must be non-empty Point geometries; row {int(bad[0])} is "
                    f"{arr[bad[0]]!r} ({bad.size} such rows)"
                )
        lon, lat = shapely.get_x(arr), shapely.get_y(arr)
    elif isinstance(points, pd.DataFrame):
        schema.require_columns(points, [schema.LON, schema.LAT], "points")
        lon, lat = points[schema.LON].to_numpy(), points[schema.LAT].to_numpy()
    elif isinstance(points, tuple | list) and len(points) == 2:
        lon, lat = points
    elif isinstance(points, np.ndarray) and points.ndim == 2 and points.shape[1] == 2:
        lon, lat = points[:, 0], points[:, 1]
    else:
        raise InputError(
            "points must be a GeoDataFrame/GeoSeries of points, a DataFrame with "
            f"{schema.LON!r}/{schema.LAT!r} columns, a (lon, lat) pair of arrays or an (n, 2) "
            f"array, got {type(points).__name__}"
        )
    lon = np.asarray(lon, dtype="float64").ravel()
    lat = np.asarray(lat, dtype="float64").ravel()
    if lon.shape != lat.shape:
        raise InputError(f"lon and lat differ in length: {lon.size} != {lat.size}")
    bad = np.flatnonzero(~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lat) > 90))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"point {i} has invalid coordinates (lon={float(lon[i])!r}, "
            f"lat={float(lat[i])!r}); expected finite lon and lat in [-90, 90] "
            f"({bad.size} such points)"
        )
    return lon, lat


def _weights(weights, n: int, points) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    if isinstance(weights, str):
        if not isinstance(points, pd.DataFrame) or weights not in points.columns:
            raise InputError(f"weights column {weights!r} is not a column of points")
        weights = points[weights].to_numpy()
    w = np.asarray(weights, dtype="float64").ravel()
    if w.size != n:
        raise InputError(f"weights must have one value per point ({n}), got {w.size}")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise InputError(
            f"weights must be finite and >= 0; weight {int(bad[0])} is {float(w[bad[0]])!r} "
            f"({bad.size} such weights)"
        )
    return w


def _check_bandwidth(h) -> float:
    try:
        val = float(h)
    except (TypeError, ValueError):
        val = float("nan")
    if not np.isfinite(val) or val < _MIN_BANDWIDTH_KM:
        raise ConfigError(
            f"bandwidth_km must be a number >= {_MIN_BANDWIDTH_KM} km or one of "
            f"{sorted(BANDWIDTH_RULES)!r}, got {h!r}"
        )
    return val


# ----------------------------------------------------------------------------- evaluation


def _evaluate(t_lon, t_lat, p_lon, p_lat, w, h, kernel, method) -> tuple[np.ndarray, str]:
    if method == "auto":
        method = _auto_method(t_lon, t_lat, p_lon, p_lat, h, kernel)
    if method == "exact":
        return density_brute(t_lon, t_lat, p_lon, p_lat, w, h, kernel), method
    if method == "direct":
        return density_tree(t_lon, t_lat, p_lon, p_lat, w, h, kernel), method
    if kernel != "gaussian":
        raise ConfigError(
            f"method 'fft' supports kernel 'gaussian' only, got {kernel!r}; use method 'direct' "
            "or 'auto' for compact kernels"
        )
    return density_fft(t_lon, t_lat, p_lon, p_lat, w, h), method


def _auto_method(t_lon, t_lat, p_lon, p_lat, h, kernel) -> str:
    """Pick ``fft`` for the gaussian when its cost is below the expected pair count."""
    if kernel != "gaussian" or len(p_lon) == 0 or len(t_lon) == 0:
        return "direct"
    step = max(1, len(t_lon) // 4096)
    _, radius = spherical_cap(lonlat_to_xyz(t_lon[::step], t_lat[::step]))
    cutoff = GAUSSIAN_CUTOFF * h
    frac = min(1.0, (cutoff / (radius + cutoff)) ** 2)
    pairs = len(t_lon) * len(p_lon) * frac
    nodes = (2.0 * (radius + cutoff) / (h / NODES_PER_BANDWIDTH)) ** 2
    return "fft" if pairs > 2.0 * (16 * len(p_lon) + 4 * nodes) else "direct"


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
        a rule from :data:`BANDWIDTH_RULES` (see the module docstring).
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
        One of :data:`METHODS` (see the module docstring).
    return_result : bool, default False
        Return a :class:`DensityResult` instead of the bare array.

    Returns
    -------
    numpy.ndarray or DensityResult
        Density per km² aligned with ``cells``.

    Raises
    ------
    ConfigError
        Unknown kernel, method or rule, or a bad bandwidth.
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
    _check_choice("kernel", kernel, KERNELS)
    _check_choice("method", method, METHODS)
    if edge_correction and window is None:
        raise ConfigError("edge_correction=True needs a window (polygon or cells), got None")
    p_lon, p_lat = _points_lonlat(points)
    w = _weights(weights, p_lon.size, points)
    cells = to_cells(cells)
    t_lat, t_lon = cells_to_latlng(cells)

    if isinstance(bandwidth_km, str):
        rule = _check_choice("bandwidth_km", bandwidth_km, BANDWIDTH_RULES)
        h = select_bandwidth(
            (p_lon, p_lat), rule, weights=w, kernel=kernel, bandwidth_range_km=bandwidth_range_km
        )
    else:
        rule, h = "fixed", _check_bandwidth(bandwidth_km)

    density, used = _evaluate(t_lon, t_lat, p_lon, p_lat, w, h, kernel, method)
    if edge_correction:
        density = density * _edge_factor(cells, t_lon, t_lat, window, h, kernel, method)
    total = float(w.sum())
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


# ----------------------------------------------------------------------------- edge correction


def _edge_factor(cells, t_lon, t_lat, window, h, kernel, method) -> np.ndarray:
    """Return 1 / (kernel mass inside the window) at each cell, 0 outside the window."""
    res_w = next((r for r in range(0, 11) if mean_cell_edge_km(r) <= h / 4), 10)
    polygon = isinstance(window, shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries)
    if polygon:
        coarse_res = max(res_w - 3, 0)
        coarse = region_to_cells(window, coarse_res)
    else:
        coarse = to_cells(window)
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
    inside = np.isin(points_to_cells(t_lon, t_lat, res_w), wcells)
    w_lat, w_lon = cells_to_latlng(wcells)
    mass, _ = _evaluate(
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


# ----------------------------------------------------------------------------- bandwidth


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][min(np.searchsorted(cw, q * cw[-1]), x.size - 1)])


def select_bandwidth(
    points,
    rule: str,
    *,
    weights=None,
    kernel: str = "gaussian",
    bandwidth_range_km: tuple[float, float] | None = None,
) -> float:
    """Choose a bandwidth (km) for ``points`` by a rule of thumb or likelihood cross-validation.

    Parameters
    ----------
    points : GeoDataFrame, DataFrame, (lon, lat) pair or (n, 2) array
        Point locations.
    rule : str
        One of :data:`BANDWIDTH_RULES`; formulas in the module docstring.
    weights : array_like, optional
        Non-negative weight per point.
    kernel : str, default "gaussian"
        Kernel scored by ``cv``.
    bandwidth_range_km : (float, float), optional
        Search range of ``cv``; default ``(0.05, 2) ×`` the ``spatial`` rule.

    Returns
    -------
    float
        Bandwidth in km.
    """
    _check_choice("bandwidth rule", rule, BANDWIDTH_RULES)
    _check_choice("kernel", kernel, KERNELS)
    lon, lat = _points_lonlat(points)
    w = _weights(weights, lon.size, points)
    pos = w > 0
    lon, lat, w = lon[pos], lat[pos], w[pos]
    if lon.size < 2:
        raise InputError(
            f"a bandwidth rule needs at least 2 points with weight > 0, got {lon.size}"
        )
    xyz = lonlat_to_xyz(lon, lat)
    centre = (xyz * w[:, None]).sum(axis=0)
    centre /= np.linalg.norm(centre)
    x, y, _ = stereographic_project(xyz, centre, *tangent_basis(centre))
    wsum = w.sum()
    x = x - (w * x).sum() / wsum
    y = y - (w * y).sum() / wsum
    n_eff = wsum**2 / (w * w).sum()
    r = np.hypot(x, y)
    sd = float(np.sqrt((w * r * r).sum() / wsum))
    if sd <= 0:
        raise InputError(
            "cannot choose a bandwidth from points that all coincide; give bandwidth_km"
        )
    if rule == "scott":
        h = sd / np.sqrt(2) * n_eff ** (-1 / 6)
    elif rule == "silverman":
        iqr = np.mean(
            [_weighted_quantile(v, w, 0.75) - _weighted_quantile(v, w, 0.25) for v in (x, y)]
        )
        spread = min(sd / np.sqrt(2), iqr / 1.349) if iqr > 0 else sd / np.sqrt(2)
        h = 0.9 * spread * n_eff ** (-0.2)
    else:
        dm = _weighted_quantile(r, w, 0.5)
        spread = min(sd, np.sqrt(1 / np.log(2)) * dm) if dm > 0 else sd
        h = 0.9 * spread * n_eff ** (-0.2)
        if rule == "cv":
            h = _cv_bandwidth(lon, lat, w, kernel, bandwidth_range_km or (0.05 * h, 2.0 * h))
    return float(max(h, _MIN_BANDWIDTH_KM))


def _cv_bandwidth(lon, lat, w, kernel, bounds) -> float:
    """Maximise the leave-one-out log-likelihood over a log-spaced range, then refine."""
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ConfigError(f"bandwidth_range_km must be (min, max) in km, got {bounds!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and _MIN_BANDWIDTH_KM <= lo < hi):
        raise ConfigError(f"bandwidth_range_km must satisfy 0 < min < max, got {bounds!r}")
    rng = np.random.default_rng(0)
    if lon.size > _CV_MAX_SOURCES:
        keep = np.sort(rng.choice(lon.size, _CV_MAX_SOURCES, replace=False))
        lon, lat, w = lon[keep], lat[keep], w[keep]
    targets = np.sort(rng.choice(lon.size, min(lon.size, _CV_MAX_TARGETS), replace=False))
    wsum = w.sum()

    def score(h: float) -> float:
        f, _ = _evaluate(lon[targets], lat[targets], lon, lat, w, h, kernel, "direct")
        loo = (f - w[targets] * kernel_at_zero(kernel, h)) / (wsum - w[targets])
        loo = np.maximum(loo, 0.0)
        with np.errstate(divide="ignore"):
            return float((w[targets] * np.log(loo)).sum())

    grid = np.geomspace(lo, hi, 13)
    scores = np.array([score(h) for h in grid])
    if not np.isfinite(scores).any():
        raise ConfigError(
            f"likelihood cross-validation found no bandwidth in {bounds!r} km where every point "
            f"has a neighbour under the {kernel!r} kernel; widen bandwidth_range_km or use "
            "kernel 'gaussian'"
        )
    best = int(np.nanargmax(np.where(np.isfinite(scores), scores, -np.inf)))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    fine = np.geomspace(a, b, 9)
    fine_scores = np.array([score(h) for h in fine])
    h = float(fine[int(np.argmax(np.where(np.isfinite(fine_scores), fine_scores, -np.inf)))])
    if best in (0, grid.size - 1):
        log.warning("cv bandwidth %.4g km is at the edge of the range %r", h, bounds)
    return h


# ----------------------------------------------------------------------------- weights


def seizure_weights(
    seizures: pd.DataFrame,
    *,
    as_of: datetime | pd.Timestamp | None = None,
    half_life_days: float | None = None,
    use_quantity: bool = False,
    commodity_weights: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Weight of each seizure: commodity weight × quantity × exponential time decay.

    Parameters
    ----------
    seizures : pandas.DataFrame
        Seizures table (:mod:`pipeline.schema`): needs ``time`` for decay, ``quantity`` for
        ``use_quantity`` and ``commodity`` for ``commodity_weights``.
    as_of : datetime, Timestamp or date string, optional
        Analysis date (naive times are taken as UTC).  Events after ``as_of`` get weight 0
        (they are in its future; they are kept, so the weights stay aligned with the rows).
        Required with ``half_life_days``.
    half_life_days : float, optional
        Half-life of the decay ``0.5 ** (age_days / half_life_days)``; None: no decay.
    use_quantity : bool, default False
        Multiply by ``quantity``; a missing (NaN) quantity counts as 1, a negative one is an
        error.
    commodity_weights : mapping of str to float, optional
        Weight per commodity (case-insensitive, surrounding blanks ignored); commodities not
        listed weigh ``commodity_weights["default"]`` if given, else 1.

    Returns
    -------
    numpy.ndarray of float64
        One non-negative weight per row.
    """
    n = len(seizures)
    w = np.ones(n)
    hl = None
    if half_life_days is not None:
        try:
            hl = float(half_life_days)
        except (TypeError, ValueError):
            hl = float("nan")
        if not np.isfinite(hl) or hl <= 0:
            raise ConfigError(f"half_life_days must be > 0, got {half_life_days!r}")
        if as_of is None:
            raise ConfigError("half_life_days needs as_of (no hidden 'now'), got as_of=None")
    if as_of is not None:
        schema.require_columns(seizures, [schema.TIME], "seizures")
        try:
            ref = pd.Timestamp(as_of)
        except (TypeError, ValueError):
            raise ConfigError(f"as_of must be a date or timestamp, got {as_of!r}") from None
        ref = ref.tz_localize("UTC") if ref.tzinfo is None else ref.tz_convert("UTC")
        times = pd.to_datetime(seizures[schema.TIME], utc=True)
        if times.isna().any():
            i = int(np.flatnonzero(times.isna().to_numpy())[0])
            raise InputError(f"seizures row {i}: time is missing; as_of needs every time")
        age = (ref - times).dt.total_seconds().to_numpy() / 86400.0
        decay = 1.0 if hl is None else 0.5 ** (np.maximum(age, 0.0) / hl)
        w = np.where(age >= 0, decay, 0.0)
    if use_quantity:
        schema.require_columns(seizures, [schema.QUANTITY], "seizures")
        q = pd.to_numeric(seizures[schema.QUANTITY], errors="coerce").to_numpy(dtype="float64")
        bad = np.flatnonzero(q < 0)
        if bad.size:
            raise InputError(
                f"seizures row {int(bad[0])}: quantity {float(q[bad[0]])!r} is negative; "
                "expected >= 0"
            )
        w = w * np.where(np.isnan(q), 1.0, q)
    if commodity_weights:
        schema.require_columns(seizures, [schema.COMMODITY], "seizures")
        table = {str(k).strip().lower(): float(v) for k, v in commodity_weights.items()}
        bad_keys = [k for k, v in table.items() if not np.isfinite(v) or v < 0]
        if bad_keys:
            raise ConfigError(
                f"commodity_weights must be finite and >= 0, got {bad_keys[0]!r}: "
                f"{table[bad_keys[0]]!r}"
            )
        default = table.pop("default", 1.0)
        names = seizures[schema.COMMODITY].astype("string").str.strip().str.lower()
        cw = names.map(table).astype("float64").fillna(default).to_numpy()
        w = w * cw
    return w
