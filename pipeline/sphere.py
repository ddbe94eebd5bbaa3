"""Spherical geometry: the one Earth radius and every great-circle formula of the pipeline.

All distances in route-risk are great-circle distances on a sphere of radius
:data:`EARTH_RADIUS_KM`, the *authalic* radius H3 uses for its cell areas (the sphere with the
WGS84 ellipsoid's surface area).  Using the same radius everywhere keeps
``Σ density × cell_area_km2`` equal to the total weight and makes a distance in one stage mean
the same in the next.

Conventions: positions are ``(lon, lat)`` in degrees (EPSG:4326), in that order, as arrays
that broadcast; unit vectors are arrays of shape ``(..., 3)`` (earth-centred, x towards
(0°, 0°), z towards the north pole).  Working on unit vectors makes every formula here
antimeridian-safe: nothing wraps at ±180°.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EARTH_RADIUS_KM",
    "KM_PER_DEGREE",
    "arc_to_chord_km",
    "central_angle",
    "chord_to_arc_km",
    "haversine_km",
    "initial_bearing_deg",
    "lonlat_to_xyz",
    "longitude_extents",
    "longitude_range",
    "slerp",
    "spherical_cap",
    "stereographic_project",
    "tangent_basis",
    "xyz_to_lonlat",
]

#: Radius of the sphere (km): H3's authalic Earth radius (``h3.cell_area`` uses it).
EARTH_RADIUS_KM = 6371.007180918475

#: Length of one degree of a great circle on that sphere (km).
KM_PER_DEGREE = np.pi * EARTH_RADIUS_KM / 180.0


def lonlat_to_xyz(lon, lat) -> np.ndarray:
    """Return the unit vectors of lon/lat positions.

    Parameters
    ----------
    lon, lat : array_like of float
        Degrees; broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., 3)``.

    Examples
    --------
    >>> lonlat_to_xyz(90.0, 0.0).round(12).tolist()
    [0.0, 1.0, 0.0]
    """
    lo = np.radians(np.asarray(lon, dtype="float64"))
    la = np.radians(np.asarray(lat, dtype="float64"))
    cl = np.cos(la)
    return np.stack([cl * np.cos(lo), cl * np.sin(lo), np.sin(la)], axis=-1)


def xyz_to_lonlat(xyz) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``(lon, lat)`` degrees of vectors of any non-zero length.

    A sum of unit vectors gives the spherical mean position of the points.

    Parameters
    ----------
    xyz : array_like, shape (..., 3)

    Returns
    -------
    tuple of numpy.ndarray
        Longitude in [-180, 180] and latitude in [-90, 90].
    """
    v = np.asarray(xyz, dtype="float64")
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    return np.degrees(np.arctan2(y, x)), np.degrees(np.arctan2(z, np.hypot(x, y)))


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Return the great-circle distance (km) between positions, by the haversine formula.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like of float
        Degrees; broadcast against each other (e.g. ``lon1[:, None]`` against ``lon2`` gives
        a distance matrix).  Longitudes may be in any range: the formula only uses their
        difference through ``sin²``, so 179.9° and -179.9° are 0.2° apart.

    Returns
    -------
    numpy.ndarray
        Distances in km.

    Examples
    --------
    >>> round(float(haversine_km(179.9, 0.0, -179.9, 0.0)), 3)
    22.239
    """
    lo1, la1, lo2, la2 = (
        np.radians(np.asarray(v, dtype="float64")) for v in (lon1, lat1, lon2, lat2)
    )
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def central_angle(a, b) -> np.ndarray:
    """Return the angle (radians) between unit vectors, accurate at every angle.

    ``atan2(|a × b|, a · b)``: unlike ``arccos(a · b)`` it keeps full precision for nearly
    equal and nearly opposite vectors.  Multiply by :data:`EARTH_RADIUS_KM` for km.

    Parameters
    ----------
    a, b : array_like, shape (..., 3)
        Unit vectors (see :func:`lonlat_to_xyz`); broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Angles in [0, π].
    """
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    cx = ay * bz - az * by
    cy = az * bx - ax * bz
    cz = ax * by - ay * bx
    return np.arctan2(np.sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz)


def slerp(a, b, fraction, angle=None) -> np.ndarray:
    """Return the points at ``fraction`` of the way along the great circles from ``a`` to ``b``.

    Parameters
    ----------
    a, b : array_like, shape (..., 3)
        Unit vectors of the start and end points.
    fraction : array_like of float
        0 gives ``a``, 1 gives ``b``; broadcast against ``a[..., 0]``.
    angle : array_like of float, optional
        The angle between ``a`` and ``b`` (radians) when the caller already has it; computed
        with :func:`central_angle` otherwise.

    Returns
    -------
    numpy.ndarray, shape (..., 3)
        Unit vectors (for ``a == b`` the linear blend, which is ``a``).
    """
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    omega = central_angle(a, b) if angle is None else np.asarray(angle, dtype="float64")
    t = np.asarray(fraction, dtype="float64")
    s = np.sin(omega)
    small = s < 1e-12
    s = np.where(small, 1.0, s)
    ca = np.where(small, 1.0 - t, np.sin((1.0 - t) * omega) / s)
    cb = np.where(small, t, np.sin(t * omega) / s)
    return ca[..., None] * a + cb[..., None] * b


def chord_to_arc_km(chord_km) -> np.ndarray:
    """Return the great-circle distance (km) of a straight chord through the sphere (km).

    Chords longer than the diameter are taken as the diameter.
    """
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord_km / (2.0 * EARTH_RADIUS_KM), 1.0))


def arc_to_chord_km(arc_km) -> np.ndarray:
    """Return the chord (km) of a great-circle distance (km); arcs past half the globe give 2R.

    The chord is what a KD-tree on ``lonlat_to_xyz(...) * EARTH_RADIUS_KM`` measures, so a
    radius query of ``arc_to_chord_km(d)`` finds the points within ``d`` km along the sphere.
    """
    a = np.minimum(np.asarray(arc_km, dtype="float64") / EARTH_RADIUS_KM, np.pi)
    return 2.0 * EARTH_RADIUS_KM * np.sin(a / 2.0)


def initial_bearing_deg(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Return the initial bearing (degrees clockwise from north, [0, 360)) from 1 towards 2."""
    lo1, la1, lo2, la2 = (
        np.radians(np.asarray(v, dtype="float64")) for v in (lon1, lat1, lon2, lat2)
    )
    y = np.sin(lo2 - lo1) * np.cos(la2)
    x = np.cos(la1) * np.sin(la2) - np.sin(la1) * np.cos(la2) * np.cos(lo2 - lo1)
    return np.degrees(np.arctan2(y, x)) % 360.0


def longitude_extents(lon) -> np.ndarray:
    """Return ``[min, max, min360, max360]`` of longitudes, plain and taken in [0, 360).

    The four numbers of several sets of longitudes merge by min and max (in any order: a
    file read in chunks gives the numbers of the whole), and :func:`longitude_range` picks
    the shorter of the two ranges they describe.  No longitude: ``[inf, -inf, inf, -inf]``.
    """
    x = np.asarray(lon, dtype="float64").ravel()
    x = x[np.isfinite(x)]
    if not x.size:
        return np.array([np.inf, -np.inf, np.inf, -np.inf])
    x360 = np.mod(x, 360.0)
    return np.array([x.min(), x.max(), x360.min(), x360.max()])


def longitude_range(*extents) -> tuple[float, float]:
    """Return ``(west, east)``: the shorter of the plain range and the one across 180°.

    Data either side of 180° (Fiji, the Bering Strait) give ``west > east`` (174, -176: a
    range across the antimeridian, 10° wide), never the 350° between their plain minimum
    and maximum; data wider than 180° across it (a Pacific theatre from 120° E to 70° W) the
    190° across it.  A tie keeps the plain range.  The range is that of the two whose gap
    is at 0° or 180°; data with the widest gap elsewhere and data on both meridians get a
    wider range than the shortest possible (still holding every longitude).

    Parameters
    ----------
    *extents : array_like of 4 floats
        :func:`longitude_extents` of sets of longitudes, merged here.

    Examples
    --------
    >>> longitude_range(longitude_extents([179.5, -179.0, 178.0]))
    (178.0, -179.0)
    >>> longitude_range(longitude_extents([-30.0, 10.0]), longitude_extents([-5.0]))
    (-30.0, 10.0)
    """
    e = np.array([np.asarray(v, dtype="float64") for v in extents]).reshape(-1, 4)
    lo, hi = float(e[:, 0].min()), float(e[:, 1].max())
    lo360, hi360 = float(e[:, 2].min()), float(e[:, 3].max())
    if not lo <= hi:
        raise ValueError("longitude_range needs at least one longitude")
    if hi360 - lo360 < hi - lo:
        return lo360 - 360.0 * (lo360 > 180.0), hi360 - 360.0 * (hi360 > 180.0)
    return lo, hi


def spherical_cap(xyz: np.ndarray) -> tuple[np.ndarray, float]:
    """Return the centre (unit vector) and radius (km) of a cap that contains the points.

    The centre is the normalised mean vector (an arbitrary axis when the points cancel out);
    the radius is the great-circle distance to the farthest point.

    Parameters
    ----------
    xyz : numpy.ndarray, shape (n, 3)
        Unit vectors, ``n >= 1``.
    """
    centre = xyz.mean(axis=0)
    norm = np.linalg.norm(centre)
    centre = centre / norm if norm > 1e-12 else np.array([1.0, 0.0, 0.0])
    cos_r = float(np.clip((xyz @ centre).min(), -1.0, 1.0))
    return centre, float(np.arccos(cos_r) * EARTH_RADIUS_KM)


def tangent_basis(centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the unit vectors pointing east and north at ``centre`` (a unit vector).

    At a pole, where east is undefined, east is taken along +y.
    """
    east = np.cross([0.0, 0.0, 1.0], centre)
    if np.linalg.norm(east) < 1e-9:
        east = np.array([0.0, 1.0, 0.0])
    east /= np.linalg.norm(east)
    return east, np.cross(centre, east)


def stereographic_project(
    xyz: np.ndarray, centre: np.ndarray, east: np.ndarray, north: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project unit vectors stereographically about ``centre``; return plane km and chord scale.

    The projection is conformal and exact for chords: two points ``P1``, ``P2`` at plane
    positions ``X1``, ``X2`` are ``λ1 λ2 |X1 - X2|`` km apart in a straight line, with
    ``λ = sqrt((1 + P·centre) / 2)`` the returned scale.

    Parameters
    ----------
    xyz : numpy.ndarray, shape (n, 3)
        Unit vectors.
    centre, east, north : numpy.ndarray, shape (3,)
        The projection centre and its :func:`tangent_basis`.

    Returns
    -------
    x_km, y_km, scale : numpy.ndarray
        Plane coordinates (km, east and north) and ``λ`` per point.
    """
    cosc = xyz @ centre
    f = 2.0 * EARTH_RADIUS_KM / (1.0 + cosc)
    x = (xyz @ east) * f
    y = (xyz @ north) * f
    return x, y, np.sqrt((1.0 + cosc) / 2.0)
