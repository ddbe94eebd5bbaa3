"""Validation of the density core's inputs: points, weights, bandwidths and option names."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import schema
from ..errors import ConfigError, InputError
from ..grid import check_lonlat
from ._kernels import MAX_BANDWIDTH_KM

#: Smallest bandwidth accepted (km).
MIN_BANDWIDTH_KM = 1e-3
#: Bandwidth rules accepted by ``bandwidth_km`` (formulas in the package docstring).
BANDWIDTH_RULES = ("cv", "scott", "silverman", "spatial")


def check_choice(name: str, value, choices) -> str:
    """Return ``value`` if it is one of ``choices``, else raise :class:`ConfigError` listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{name} must be one of {sorted(choices)!r}, got {value!r}")
    return value


def points_to_lonlat(points) -> tuple[np.ndarray, np.ndarray]:
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
    try:
        lon = np.asarray(lon, dtype="float64").ravel()
        lat = np.asarray(lat, dtype="float64").ravel()
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"point coordinates must be numbers in degrees: {exc} (a decimal comma? convert "
            "with pd.to_numeric(s.str.replace(',', '.')))"
        ) from None
    if lon.shape != lat.shape:
        raise InputError(f"lon and lat differ in length: {lon.size} != {lat.size}")
    check_lonlat(lon, lat, "point")
    return lon, lat


def point_weights(weights, n: int, points) -> np.ndarray:
    """Return one finite weight >= 0 per point (1 when ``weights`` is None)."""
    if weights is None:
        return np.ones(n)
    if isinstance(weights, str):
        if not isinstance(points, pd.DataFrame) or weights not in points.columns:
            raise InputError(f"weights column {weights!r} is not a column of points")
        weights = points[weights].to_numpy()
    if isinstance(weights, pd.Series) and isinstance(points, pd.DataFrame | gpd.GeoSeries):
        # a Series of weights goes with the points by label, as pandas would align it
        if not weights.index.equals(points.index):
            if not (weights.index.is_unique and points.index.is_unique) or not (
                weights.index.sort_values().equals(points.index.sort_values())
            ):
                raise InputError(
                    "weights is a Series whose index is not the points' index; pass "
                    "weights=points['column'], or .to_numpy() if it is in the points' order"
                )
            weights = weights.reindex(points.index)
    try:
        w = np.asarray(weights, dtype="float64").ravel()
    except (TypeError, ValueError) as exc:
        raise InputError(f"weights must be numbers: {exc}") from None
    if w.size != n:
        raise InputError(f"weights must have one value per point ({n}), got {w.size}")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise InputError(
            f"weights must be finite and >= 0; weight {int(bad[0])} is {float(w[bad[0]])!r} "
            f"({bad.size} such weights)"
        )
    return w


def check_bandwidth(h, what: str = "bandwidth_km") -> float:
    """Return a bandwidth in km as a float >= :data:`MIN_BANDWIDTH_KM`, else raise.

    A bandwidth wider than :data:`MAX_BANDWIDTH_KM` (a quarter of the Earth's circumference)
    is refused too: see :func:`bandwidth_too_wide`.
    """
    try:
        val = float("nan") if isinstance(h, bool | np.bool_) else float(h)
    except (TypeError, ValueError):
        val = float("nan")
    if not np.isfinite(val) or val < MIN_BANDWIDTH_KM:
        raise ConfigError(
            f"{what} must be a number >= {MIN_BANDWIDTH_KM} km or one of "
            f"{sorted(BANDWIDTH_RULES)!r}, got {h!r}"
        )
    if (msg := bandwidth_too_wide(what, val)) is not None:
        raise ConfigError(msg)
    return val


def bandwidth_too_wide(what: str, h: float) -> str | None:
    """Say why bandwidth ``h`` (km) is refused as wider than the planet allows, or None.

    Parameters
    ----------
    what : str
        Where the bandwidth comes from (a config key, or the rule that chose it).
    h : float
        Bandwidth (km).

    Returns
    -------
    str or None
        One line naming ``what``, ``h``, the limit and the fix, or None when ``h`` is at most
        :data:`MAX_BANDWIDTH_KM`.

    Examples
    --------
    >>> bandwidth_too_wide("density.bandwidth_km", 25.0) is None
    True
    >>> bandwidth_too_wide("density.bandwidth_km", 20000.0)[:45]
    'density.bandwidth_km 20000 km is wider than a'
    """
    if h <= MAX_BANDWIDTH_KM:
        return None
    # the limit rounded down, and h with the digits that tell them apart: rounded to the km,
    # 10,008 km was refused as wider than 10,008 km with "use at most 10,008 km"
    limit = f"{np.floor(MAX_BANDWIDTH_KM * 10) / 10:,.1f}"
    return (
        f"{what} {h:.10g} km is wider than a quarter of the Earth's circumference "
        f"({limit} km): a kernel that wide covers more than a hemisphere and spreads each "
        f"point over most of the globe, no density of where they are; use a bandwidth of at "
        f"most {limit} km"
    )
