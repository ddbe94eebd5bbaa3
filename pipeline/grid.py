"""H3 helpers, vectorised, with h3-style ``<input>_to_<output>`` names.

This is the only module of the pipeline that imports ``h3`` or ``h3ronpy``
(``tests/test_grid.py`` checks it): every other module goes through the functions here, so
h3's ``(lat, lng)`` axis order, its Arrow arrays and its null-for-invalid conventions stay
inside this file.

Cells are ``uint64`` arrays inside the pipeline and 15-character hex strings at the edges
people see (CSV, GeoJSON, HTML).  Every function here takes and returns numpy arrays; the
heavy lifting is done by h3ronpy (Rust, whole arrays per call), falling back to nothing:
there is no per-row Python loop in this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
import shapely.affinity
from h3ronpy import (
    cells_area_km2,
    cells_parse,
    cells_resolution,
    cells_to_string,
    cells_valid,
    grid_disk,
)
from h3ronpy import change_resolution as _change_resolution
from h3ronpy.vector import (
    cells_to_coordinates,
    cells_to_wkb_polygons,
    coordinates_to_cells,
    geometry_to_cells,
)

from .errors import InputError
from .sphere import EARTH_RADIUS_KM, longitude_extents, longitude_range

__all__ = [
    "align_to_cells",
    "are_valid_cells",
    "CellPolygons",
    "average_hexagon_edge_length",
    "cell_area_km2",
    "cells_around_poles",
    "cells_in",
    "cells_resolutions",
    "cells_to_boundaries",
    "cells_to_geodataframe",
    "cells_to_latlng",
    "cells_to_strings",
    "change_resolution",
    "grid_disk_cells",
    "grid_disks",
    "mean_cell_edge_km",
    "points_to_cells",
    "polygons_within_180",
    "region_to_cells",
    "split_antimeridian",
    "to_cells",
    "unwrap_antimeridian_steps",
]

MIN_RESOLUTION = 0
MAX_RESOLUTION = 15


def _np(arrow_like) -> np.ndarray:
    return pa.array(arrow_like).to_numpy(zero_copy_only=False)


def _check_resolution(resolution: int) -> int:
    if (
        isinstance(resolution, bool | np.bool_)
        or not isinstance(resolution, int | np.integer)
        or not (MIN_RESOLUTION <= int(resolution) <= MAX_RESOLUTION)
    ):
        raise InputError(f"H3 resolution must be an integer in [0, 15], got {resolution!r}")
    return int(resolution)


def points_to_cells(lon, lat, resolution: int) -> np.ndarray:
    """Return the H3 cell (uint64) containing each lon/lat point.

    Parameters
    ----------
    lon, lat : array_like of float
        Coordinates in degrees (EPSG:4326).
    resolution : int
        H3 resolution, 0-15.

    Returns
    -------
    numpy.ndarray of uint64

    Examples
    --------
    >>> points_to_cells([-30.0], [10.0], 7).dtype
    dtype('uint64')
    """
    resolution = _check_resolution(resolution)
    lon = np.ascontiguousarray(lon, dtype="float64").ravel()
    lat = np.ascontiguousarray(lat, dtype="float64").ravel()
    if lon.shape != lat.shape:
        raise InputError(f"lon and lat differ in length: {lon.size} != {lat.size}")
    if lon.size == 0:
        return np.empty(0, dtype="uint64")
    check_lonlat(lon, lat, "point")
    return _np(coordinates_to_cells(lat, lon, resolution)).astype("uint64", copy=False)


#: Longitudes beyond this are not degrees (H3 would wrap them round the globe, silently).
MAX_ABS_LON = 360.0


def check_lonlat(lon: np.ndarray, lat: np.ndarray, what: str) -> None:
    """Raise :class:`InputError` unless every lon/lat is finite degrees.

    Latitudes must lie in [-90, 90] and longitudes in [-360, 360] (0-360 longitudes are
    degrees too); anything else is swapped axes (``lat, lon``) or projected metres, which
    H3 would otherwise wrap into some cell without a word.
    """
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lat) > 90) | (np.abs(lon) > MAX_ABS_LON)
    if bad.any():
        idx = np.flatnonzero(bad)
        i = int(idx[0])
        raise InputError(
            f"{what} {i} has invalid coordinates (lon={float(lon[i])!r}, lat={float(lat[i])!r})"
            f"; expected finite degrees, lat in [-90, 90] and lon in [-360, 360] ({idx.size} "
            "such); swapped (lat, lon) axes or projected metres? pass lon first, in EPSG:4326"
        )


def to_cells(cells) -> np.ndarray:
    """Normalise H3 ids given as integers or hex strings to a uint64 array.

    Raises
    ------
    InputError
        If any id is not a valid H3 cell.
    """
    arr = np.asarray(cells)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    elif arr.ndim > 1:
        raise InputError(f"cells must be a 1-D list of H3 ids, got an array of shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, dtype="uint64")
    if arr.dtype.kind in "fcb":
        why = "floats cannot hold a 64-bit id exactly: " if arr.dtype.kind != "b" else ""
        raise InputError(
            f"cells must be H3 ids as integers (uint64) or 15-character hex strings, got "
            f"{arr.dtype} values ({why}read the ids as strings or int64, e.g. "
            "dtype={'hex_id': str})"
        )
    if arr.dtype.kind == "i" and (arr < 0).any():
        raise InputError(
            f"not an H3 cell id: {int(arr[arr < 0][0])!r}; H3 ids are never negative "
            f"({int((arr < 0).sum())} such)"
        )
    if arr.dtype.kind in "US" or arr.dtype == object:
        parsed = cells_parse(pa.array(arr.astype(str)), set_failing_to_invalid=True)
        out = _np(parsed)
        bad = np.flatnonzero(pa.array(parsed).is_null().to_numpy(zero_copy_only=False))
        if bad.size:
            raise InputError(f"not an H3 cell id: {str(arr[bad[0]])!r} (and {bad.size - 1} more)")
        return out.astype("uint64")
    out = arr.astype("uint64")
    valid = are_valid_cells(out)
    if not valid.all():
        bad = np.flatnonzero(~valid)
        raise InputError(f"not an H3 cell id: {int(out[bad[0]])!r} (and {bad.size - 1} more)")
    return out


def align_to_cells(values, cells: np.ndarray, what: str, *, fill=np.nan):
    """Return ``values`` in the order of ``cells``, matching a pandas index to the cells.

    A pandas Series (or its index) carries labels that numpy would drop: taking it by position
    gives each cell another cell's value when its order differs from ``cells``.  So:

    * a Series indexed by H3 cells (uint64, int64 or hex strings) is matched by cell id; a cell
      it lacks gets ``fill`` (missing, not zero), ids of other cells at the same resolution are
      dropped; ids at another resolution, or repeated ids, are an error;
    * a Series indexed by positions ``0 .. n-1`` (any order) is taken by position label;
    * anything else that is not pandas (arrays, lists) is returned unchanged: positional.

    Parameters
    ----------
    values : array_like or pandas.Series
        Values for the cells.
    cells : numpy.ndarray of uint64
        The cells the values are for, in their order.
    what : str
        What the values are, for the error messages (``"factor 'x'"``).
    fill : scalar, default NaN
        Value of a cell the Series does not hold.

    Returns
    -------
    numpy.ndarray or the input
        A numpy array aligned with ``cells`` when ``values`` is a Series, else ``values``.

    Raises
    ------
    InputError
        A Series whose index is neither cells nor positions, repeats a cell, or holds cells at
        another resolution.
    """
    if not isinstance(values, pd.Series):
        return values
    cells = np.asarray(cells, dtype="uint64")
    n = cells.size
    index = values.index
    if isinstance(index, pd.RangeIndex) and index.equals(pd.RangeIndex(n)):
        return values.to_numpy()
    labels = index.to_numpy()
    if labels.dtype.kind in "iu" and labels.size == n and n:
        as_int = labels.astype("int64", copy=False)
        if as_int.min() >= 0 and as_int.max() < n and np.unique(as_int).size == n:
            raw = values.to_numpy()  # a nullable pandas dtype is no numpy dtype: its array's
            out = np.empty(n, dtype=raw.dtype)
            out[as_int] = raw
            return out
    try:
        ids = to_cells(labels)
    except InputError:
        # ids read through a float column (a CSV's cell column with a gap) look like cells
        floats = (
            "; floats cannot hold a 64-bit H3 id exactly: read the ids as int64 or hex strings"
            if labels.dtype.kind == "f"
            else ""
        )
        raise InputError(
            f"{what} is a pandas Series whose index is neither H3 cells nor the positions "
            f"0..{n - 1} of the cells (first labels {labels[:3].tolist()!r}); index it by "
            f"cell, or pass .to_numpy() if it is already in the order of the cells{floats}"
        ) from None
    uniq, counts = np.unique(ids, return_counts=True)
    # the resolution first: a coarser cell repeated for each of its children is at the wrong
    # resolution, not a repeated id ("appears 7 times" said nothing of the resolution)
    if ids.size and n:
        got, want = np.unique(cells_resolutions(uniq)), np.unique(cells_resolutions(cells))
        other = np.setdiff1d(got, want)
        if other.size:
            raise InputError(
                f"{what} is indexed by cells at H3 resolution {other.tolist()!r}, the cells "
                f"asked for are at {want.tolist()!r}; use change_resolution or compute on "
                "the cells given"
            )
    if (counts > 1).any():
        dup = cells_to_strings(uniq[counts > 1][:1])[0]
        raise InputError(f"{what}: cell {dup!r} appears {int(counts.max())} times in the index")
    pos = pd.Index(ids).get_indexer(pd.Index(cells))
    raw = values.to_numpy()
    if (pos < 0).any():
        ok = pos >= 0
        numeric = raw.dtype.kind in "iuf" and isinstance(fill, float)
        out = np.full(n, fill, dtype="float64" if numeric else object)
        out[ok] = raw[pos[ok]]
        return out
    return raw[pos]


def _ids(cells) -> np.ndarray:
    """Return cells as uint64: hex strings are parsed (and checked), integers taken as they are."""
    arr = np.asarray(cells)
    if arr.dtype.kind in "USO":
        return to_cells(arr)
    return arr.astype("uint64", copy=False)


def are_valid_cells(cells) -> np.ndarray:
    """Return whether each uint64 id is a valid H3 cell.

    Examples
    --------
    >>> are_valid_cells(points_to_cells([0.0], [0.0], 5).tolist() + [0, 12345]).tolist()
    [True, False, False]
    """
    cells = np.asarray(cells, dtype="uint64")
    if cells.size == 0:
        return np.empty(0, dtype=bool)
    # h3ronpy's cells_valid returns the cells with nulls where an id is invalid, not booleans.
    nulls = pa.array(cells_valid(pa.array(cells))).is_null().to_numpy(zero_copy_only=False)
    return ~np.asarray(nulls, dtype=bool)


def cells_to_strings(cells) -> np.ndarray:
    """Return the 15-character hex string of each cell (object array)."""
    cells = np.asarray(cells, dtype="uint64")
    if cells.size == 0:
        return np.empty(0, dtype=object)
    return _np(cells_to_string(pa.array(cells))).astype(object)


def cells_to_latlng(cells) -> tuple[np.ndarray, np.ndarray]:
    """Return the centre of each cell as ``(lat, lon)`` arrays in degrees."""
    cells = _ids(cells)
    if cells.size == 0:
        return np.empty(0), np.empty(0)
    batch = pa.record_batch(cells_to_coordinates(pa.array(cells)))
    return (
        batch.column("lat").to_numpy(zero_copy_only=False),
        batch.column("lng").to_numpy(zero_copy_only=False),
    )


def cell_area_km2(cells) -> np.ndarray:
    """Return the exact spherical area of each cell in km²."""
    cells = _ids(cells)
    if cells.size == 0:
        return np.empty(0)
    return _np(cells_area_km2(pa.array(cells)))


def cells_resolutions(cells) -> np.ndarray:
    """Return the H3 resolution of each cell."""
    return _np(cells_resolution(pa.array(np.asarray(cells, dtype="uint64"))))


def cells_in(cells, among) -> np.ndarray:
    """Return whether each of ``cells`` is one of ``among``: ``np.isin`` for cell ids, faster.

    ``np.isin`` sorts both arrays together on every call (85 ms for 15 thousand cells
    among the 240 thousand of a theatre); a binary search in ``among`` sorted (once, and
    not at all when it is sorted already, as cell tables are) takes about 1 ms.

    Parameters
    ----------
    cells : array_like of uint64
        Cell ids, any shape.
    among : array_like of uint64
        The set, in any order, repeats allowed.

    Returns
    -------
    numpy.ndarray of bool
        The shape of ``cells``.

    Examples
    --------
    >>> cells_in(np.array([3, 5, 7], dtype="uint64"), np.array([7, 3], dtype="uint64"))
    array([ True, False,  True])
    """
    x = np.asarray(cells, dtype="uint64")
    ref = np.asarray(among, dtype="uint64").ravel()
    if ref.size == 0:
        return np.zeros(x.shape, dtype=bool)
    if not bool((ref[1:] >= ref[:-1]).all()):
        ref = np.sort(ref)
    at = np.searchsorted(ref, x)
    at[at == ref.size] = ref.size - 1
    return ref[at] == x


def grid_disk_cells(cells, k: int) -> np.ndarray:
    """Return the sorted unique cells within ``k`` grid steps of any of ``cells``."""
    cells = np.unique(np.asarray(cells, dtype="uint64"))
    if cells.size == 0 or k == 0:
        return cells
    return np.unique(_np(grid_disk(pa.array(cells), int(k), flatten=True)))


def grid_disks(cells, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the disk of ``k`` grid steps around each cell, as a flat (owner, cell) list.

    Parameters
    ----------
    cells : array_like of uint64
        H3 cells (duplicates allowed: each gets its own disk).
    k : int
        Disk radius in grid steps (0: the cell itself).

    Returns
    -------
    owner : numpy.ndarray of int64
        Index into ``cells`` of the disk each entry belongs to (non-decreasing).
    neighbours : numpy.ndarray of uint64
        The cells of that disk (the centre included), ``owner.size`` entries.
    """
    cells = np.asarray(cells, dtype="uint64")
    if cells.size == 0:
        return np.empty(0, dtype="int64"), np.empty(0, dtype="uint64")
    disk = pa.array(grid_disk(pa.array(cells), int(k), flatten=False))
    lens = np.asarray(pa.compute.list_value_length(disk), dtype="int64")
    flat = np.asarray(pa.compute.list_flatten(disk), dtype="uint64")
    return np.repeat(np.arange(cells.size), lens), flat


def change_resolution(cells, resolution: int) -> np.ndarray:
    """Return the parents (coarser ``resolution``) or all children (finer) of cells.

    Parameters
    ----------
    cells : array_like of uint64
        H3 cells.
    resolution : int
        Target resolution, 0-15.

    Returns
    -------
    numpy.ndarray of uint64
        One parent per cell, or every child of every cell in order (``7 ** (resolution -
        cell resolution)`` per hexagon, fewer per pentagon); not deduplicated.
    """
    resolution = _check_resolution(resolution)
    cells = np.asarray(cells, dtype="uint64")
    if cells.size == 0:
        return np.empty(0, dtype="uint64")
    return _np(_change_resolution(pa.array(cells), resolution)).astype("uint64", copy=False)


def average_hexagon_edge_length(resolution: int, unit: str = "km") -> float:
    """Return H3's average hexagon edge length at ``resolution`` (unit ``"km"`` or ``"m"``)."""
    resolution = _check_resolution(resolution)
    if unit not in ("km", "m"):
        raise InputError(f"unit must be 'km' or 'm', got {unit!r}")
    return float(h3.average_hexagon_edge_length(resolution, unit=unit))


def mean_cell_edge_km(resolution: int) -> float:
    """Return the edge (km) of a regular hexagon whose area is the mean cell area.

    There are ``2 + 120 · 7**resolution`` cells on the sphere of
    :data:`~pipeline.sphere.EARTH_RADIUS_KM`; a regular hexagon of area ``A`` has edge
    ``sqrt(2 A / (3 sqrt 3))``.  Close to, but not the same as,
    :func:`average_hexagon_edge_length` (H3's tabulated mean of the true edges).
    """
    n_cells = 2 + 120 * 7**resolution
    area = 4 * np.pi * EARTH_RADIUS_KM**2 / n_cells
    return float(np.sqrt(2 * area / (3 * np.sqrt(3))))


#: Default ceiling of :func:`region_to_cells`: beyond it the caller gets one clear error
#: instead of minutes of work and gigabytes of ids (10 million cells is 80 MB of uint64 before
#: any feature column).
MAX_REGION_CELLS = 10_000_000
#: Width of the longitude strips a region is cut into before H3's polygon filling, which
#: takes the short way round for any edge or polygon 180° or more wide.
_STRIP_DEG = 90.0
#: Least share of ``1.5 × edge`` by which one more ring of H3 cells reaches farther, in every
#: direction (measured 0.89 at the equator at resolution 5; a regular hexagonal grid's is 1).
_RING_REACH = 0.85
#: Strip edges are densified so that an edge along a parallel stays a parallel.
_DENSIFY_DEG = 1.0


def region_to_cells(
    region,
    resolution: int,
    *,
    margin_km: float = 0.0,
    max_cells: int | None = MAX_REGION_CELLS,
) -> np.ndarray:
    """Return the sorted cells covering a region.

    A cell belongs to the region when its centre does.  Regions of any width work: a global
    bbox, an ocean 200° wide, a bbox or polygon crossing the antimeridian; they are cut into
    longitude strips narrower than 180° before H3's polygon filling, which would otherwise
    take the short way round.

    Parameters
    ----------
    region : shapely geometry, sequence of 4 floats, or GeoDataFrame/GeoSeries
        A polygon in EPSG:4326, a bbox ``(lon_min, lat_min, lon_max, lat_max)`` (a bbox with
        ``lon_min > lon_max`` crosses the antimeridian; ``(-180, lat0, 180, lat1)`` is the
        whole band of latitudes), or the geometries whose extent is wanted (the data's own
        extent; points are taken by their bbox, which crosses the antimeridian when that is
        the shorter way round: :func:`~pipeline.sphere.longitude_range`).
    resolution : int
        H3 resolution.
    margin_km : float, default 0
        Grow the covering by at least this distance (in whole rings of cells).
    max_cells : int or None, default ``MAX_REGION_CELLS``
        Refuse, before filling, a region whose estimated cell count exceeds this (None: no
        limit).

    Returns
    -------
    numpy.ndarray of uint64, sorted

    Raises
    ------
    InputError
        A malformed region, or one too large for ``max_cells`` at this resolution.

    Examples
    --------
    >>> region_to_cells((-180, -90, 180, 90), 0).size  # the whole globe
    122
    """
    resolution = _check_resolution(resolution)
    number = isinstance(margin_km, int | float | np.integer | np.floating)
    if isinstance(margin_km, bool | np.bool_) or not number or not float(margin_km) >= 0:
        raise InputError(f"margin_km must be a distance >= 0 in km, got {margin_km!r}")
    # Each polygon of a multi-part area stands alone: an island too small to hold a cell
    # centre gets its own point's cell, as it does drawn as a feature of its own.
    geoms = [p for g in _region_geometries(region) for p in _area_parts(g)]
    pieces = [_strips(g) for g in geoms]
    if max_cells is not None:
        _check_cell_budget([p for ps in pieces for p in ps], resolution, max_cells, region)
    parts = []
    for geom, strips in zip(geoms, pieces, strict=True):
        found = [_np(geometry_to_cells(s, resolution)) for s in strips]
        cells = np.concatenate(found) if found else np.empty(0, dtype="uint64")
        if cells.size == 0:
            # Smaller than one cell: take the cell of its representative point.
            p = shapely.point_on_surface(geom)
            cells = points_to_cells([p.x], [p.y], resolution)
        parts.append(cells)
    cells = np.unique(np.concatenate(parts)).astype("uint64")
    if margin_km > 0 and cells.size:
        edge_km = float(np.sqrt(np.median(cell_area_km2(cells[:1000])) * 2 / (3 * np.sqrt(3))))
        # k rings reach k steps of sqrt(3) edges towards a neighbour but only k * 1.5 edges
        # between two (the k-ring is a hexagon, its sides sqrt(3)/2 of its corners away), and
        # H3's hexagons are not regular: at least 0.89 of that measured (equator, res 5; 0.90
        # by a pentagon).  Counted in whole steps, a 100 km margin reached 86 km.  At most as
        # many rings as half the globe's circumference: farther is everywhere.
        rings = min(margin_km, np.pi * EARTH_RADIUS_KM) / (edge_km * 1.5 * _RING_REACH)
        cells = _grow_rings(cells, int(np.ceil(rings)), max_cells, region, resolution)
    return cells


def _area_parts(geom) -> list:
    """Return the polygons of ``geom`` (``geom`` itself when it has none)."""
    parts = shapely.get_parts(geom)
    polygons = parts[shapely.get_dimensions(parts) == 2]
    return list(polygons) if len(polygons) > 1 else [geom]


def _grow_rings(
    cells: np.ndarray, k: int, max_cells: int | None, region, resolution: int
) -> np.ndarray:
    """Return ``cells`` and every cell within ``k`` grid steps, one ring at a time.

    A disk of ``k`` steps around every cell holds ``3k(k+1)+1`` cells each, which for a wide
    margin is terabytes before the duplicates go; ring by ring only the outer ring is grown
    (a neighbour of a cell ``d`` steps from the set is ``d - 1``, ``d`` or ``d + 1`` steps
    away), the growth stops when the globe is covered, and ``max_cells`` is checked as it grows.
    """
    if max_cells is not None and k > 0:
        # a spherical cap of the margin around one cell is the least the growth adds
        reach = min(k * edge_step_km(resolution), np.pi * EARTH_RADIUS_KM)
        cap = 2 * np.pi * EARTH_RADIUS_KM**2 * (1 - np.cos(reach / EARTH_RADIUS_KM))
        if 0.5 * cap / h3.average_hexagon_area(resolution, unit="km^2") > max_cells:
            _too_many(region, max_cells, resolution)
    total = cells.size
    outer, inner = cells, np.empty(0, dtype="uint64")
    parts = [cells]
    for _ in range(k):
        ring = grid_disk_cells(outer, 1)
        ring = ring[~np.isin(ring, outer) & ~np.isin(ring, inner)]
        if ring.size == 0:  # the whole globe
            break
        total += ring.size
        if max_cells is not None and total > max_cells:
            _too_many(region, max_cells, resolution)
        parts.append(ring)
        inner, outer = outer, ring
    return np.unique(np.concatenate(parts)).astype("uint64")


def edge_step_km(resolution: int) -> float:
    """Return the mean distance between neighbouring cell centres at ``resolution`` (km)."""
    return float(h3.average_hexagon_edge_length(resolution, unit="km") * np.sqrt(3))


def _too_many(region, max_cells: int, resolution: int) -> None:
    raise InputError(
        f"region {_describe_region(region)} grown by its margin holds more than "
        f"{max_cells:,} H3 cells at resolution {resolution}; use a smaller area.margin_km, "
        "a coarser resolution or a smaller area"
    )


def _strips(geom) -> list:
    """Cut a lon/lat geometry into densified pieces narrower than 180°, wrapped to ±180."""
    x0, _, x1, _ = geom.bounds
    if not np.isfinite(x0) or not np.isfinite(x1):
        raise InputError(f"region has non-finite coordinates: bounds {geom.bounds!r}")
    starts = np.arange(np.floor(x0 / _STRIP_DEG) * _STRIP_DEG, x1, _STRIP_DEG)
    boxes = shapely.box(starts, -90.0, starts + _STRIP_DEG, 90.0)
    cut = shapely.intersection(geom, boxes)
    keep = ~shapely.is_empty(cut) & (shapely.area(cut) > 0)
    out = []
    for piece, start in zip(cut[keep], starts[keep], strict=True):  # at most a handful of strips
        shift = -360.0 * np.floor((start + 180.0) / 360.0)
        if shift:
            piece = shapely.affinity.translate(piece, xoff=shift)
        out.append(shapely.segmentize(piece, _DENSIFY_DEG))
    return out


def _check_cell_budget(pieces: list, resolution: int, max_cells: int, region) -> None:
    """Raise when the pieces' area holds more cells than ``max_cells`` (estimated, fast)."""
    from h3 import average_hexagon_area
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    area_km2 = sum(abs(geod.geometry_area_perimeter(p)[0]) for p in pieces) / 1e6
    estimate = area_km2 / average_hexagon_area(resolution, unit="km^2")
    if estimate > max_cells:
        coarser = next(
            (
                r
                for r in range(resolution - 1, -1, -1)
                if area_km2 / average_hexagon_area(r, unit="km^2") <= max_cells
            ),
            0,
        )
        raise InputError(
            f"region {_describe_region(region)} covers {area_km2:,.0f} km², about "
            f"{estimate:,.0f} H3 cells at resolution {resolution}, above the limit of "
            f"{max_cells:,}; use resolution {coarser} or coarser, or a smaller area"
        )


def _describe_region(region) -> str:
    if isinstance(region, Sequence | np.ndarray) and len(region) == 4:
        return repr(tuple(float(v) for v in region))
    return type(region).__name__


def _check_degrees(geoms: np.ndarray, crs) -> None:
    """Raise unless the geometries' extent is lon/lat degrees (not metres, not lat/lon)."""
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    if not np.isfinite([x0, y0, x1, y1]).all():
        return  # empty or non-finite: reported by the strips
    if y0 < -90 or y1 > 90 or x0 < -MAX_ABS_LON or x1 > MAX_ABS_LON:
        raise InputError(
            f"region extent ({x0:.6g}, {y0:.6g}, {x1:.6g}, {y1:.6g}) is not lon/lat degrees "
            f"(crs {crs!s}); a projected geometry needs its CRS (gdf.set_crs(...)) or "
            "gdf.to_crs('EPSG:4326'), and x must be the longitude"
        )


def _region_geometries(region) -> list:
    if isinstance(region, gpd.GeoDataFrame | gpd.GeoSeries):
        if region.crs is not None and not region.crs.equals("EPSG:4326"):
            region = region.to_crs("EPSG:4326")
        geoms = [g for g in region.geometry if g is not None and not g.is_empty]
        if not geoms:
            raise InputError("region has no geometry")
        _check_degrees(np.asarray(geoms, dtype=object), region.crs)
        if all(g.geom_type == "Point" for g in geoms):
            # points either side of 180° (Fiji) span the few degrees across it, not the globe
            x, y = shapely.get_coordinates(np.asarray(geoms)).T
            x0, x1 = longitude_range(longitude_extents((x + 180.0) % 360.0 - 180.0))
            return _region_geometries((x0, y.min(), x1, y.max()))
        return [shapely.make_valid(g) for g in geoms]
    if isinstance(region, shapely.Geometry):
        _check_degrees(np.asarray([region], dtype=object), None)
        return [shapely.make_valid(region)]
    if isinstance(region, Sequence | np.ndarray) and len(region) == 4:
        try:
            lon0, lat0, lon1, lat1 = (float(v) for v in region)
        except (TypeError, ValueError):
            raise InputError(f"bbox must be 4 numbers, got {region!r}") from None
        if not all(np.isfinite([lon0, lat0, lon1, lat1])):
            raise InputError(f"bbox must be 4 finite numbers, got {region!r}")
        if not (-90 <= lat0 < lat1 <= 90):
            raise InputError(f"bbox latitudes must satisfy -90 <= min < max <= 90, got {region!r}")
        if not (-180 <= lon0 <= 180 and -180 <= lon1 <= 180):
            raise InputError(f"bbox longitudes must lie in [-180, 180], got {region!r}")
        if lon0 == lon1:
            raise InputError(f"bbox has zero width: {region!r}")
        if lon0 == 180.0 and lon1 == -180.0:  # across 180° from 180° to -180°: one meridian
            raise InputError(
                f"bbox has zero width: {region!r} runs from 180° east to -180°, the same "
                "meridian; the band around the globe is [-180, lat_min, 180, lat_max]"
            )
        if lon0 > lon1:  # crosses the antimeridian: one box from lon0 to lon1 + 360
            lon1 += 360.0
        return [shapely.box(lon0, lat0, lon1, lat1)]
    raise InputError(f"cannot make a region out of {type(region).__name__}: {region!r}")


class CellPolygons:
    """The polygons of a run's cells, built once, taken by each writer in its own row order.

    Calling it with cells returns :func:`cells_to_geodataframe`'s geometry of them (the same
    Shapely objects, so the same bytes in every file).  The polygons of the last cells asked
    for are kept: cells among them (any order, any subset) are taken from them, others are
    built afresh (and kept instead).  The render's preview and the export's GeoParquet,
    GeoPackage, FlatGeobuf and GeoJSON draw the same cells: one build instead of two.
    """

    def __init__(self) -> None:
        self._index: pd.Index | None = None
        self._polygons = np.empty(0, dtype=object)

    def __call__(self, cells) -> np.ndarray:
        """Return the polygon of each of ``cells`` (uint64 or hex ids), in their order."""
        cells = _ids(cells)
        if self._index is not None and cells.size:
            at = self._index.get_indexer(cells)
            if (at >= 0).all():
                return self._polygons.take(at)
        polygons = cells_to_geodataframe(cells).geometry.to_numpy()
        index = pd.Index(cells)
        if index.is_unique:  # a lookup needs one polygon per cell
            self._index, self._polygons = index, np.asarray(polygons, dtype=object)
        return polygons


def cells_to_geodataframe(cells, **columns) -> gpd.GeoDataFrame:
    """Return a GeoDataFrame of cell polygons, split at the antimeridian.

    Parameters
    ----------
    cells : array_like of uint64
        H3 cells.
    **columns
        Extra columns, aligned with ``cells``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``hex_id`` then ``columns``; geometry in EPSG:4326.  A cell that crosses
        the antimeridian becomes a MultiPolygon of its two halves, never a polygon wrapping
        around the globe; the cell around a pole is the polygon from its ring to the pole
        (edges along -180°, +180° and the pole's latitude), which covers the pole.
    """
    cells = _ids(cells)
    wkb = _np(cells_to_wkb_polygons(pa.array(cells))) if cells.size else np.empty(0, object)
    geoms = shapely.from_wkb(wkb)
    polar = _polar_cells(cells)
    if polar.any():
        # a cell around a pole spans every longitude: it is no polygon to split, but the
        # band between its ring and the pole (the halves found by splitting it missed the
        # cap, or were no valid polygon at all)
        geoms = np.where(polar, None, geoms)
    geoms = split_antimeridian(geoms)
    if polar.any():
        geoms[polar] = _polar_polygons(np.asarray(wkb, dtype=object)[polar])
    data = {"hex_id": cells_to_strings(cells), **columns}
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")


def cells_to_boundaries(cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the closed boundary rings of cells, vertex by vertex.

    Parameters
    ----------
    cells : array_like of uint64
        H3 cells.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        Vertex coordinates in degrees, ring after ring, each ring closed (its first vertex
        repeated at the end).  Longitudes are as H3 gives them: a cell crossing the
        antimeridian jumps between +180 and -180 within its ring.
    index : numpy.ndarray of int64
        Index into ``cells`` of each vertex's cell.
    """
    cells = np.asarray(cells, dtype="uint64")
    if cells.size == 0:
        return np.empty(0), np.empty(0), np.empty(0, dtype="int64")
    # Reads h3ronpy's WKB directly (little-endian single-ring polygons: a 13-byte header, then
    # the points), which is ~20x faster than building shapely geometries first.
    wkb = pa.array(cells_to_wkb_polygons(pa.array(cells)))
    otype = "int64" if pa.types.is_large_binary(wkb.type) else "int32"
    offsets = np.frombuffer(wkb.buffers()[1], dtype=otype)[wkb.offset : wkb.offset + len(wkb) + 1]
    data = np.frombuffer(wkb.buffers()[2], dtype="uint8")
    start = offsets[:-1].astype("int64")
    head = data[start[:, None] + np.arange(13)]
    npts = head[:, 9:13].copy().view("<u4").ravel().astype("int64")
    simple = (
        (head[:, 0] == 1)
        & (head[:, 1:5].copy().view("<u4").ravel() == 3)
        & (head[:, 5:9].copy().view("<u4").ravel() == 1)
        & (offsets[1:] - start == 13 + 16 * npts)
    )
    if not simple.all():  # not the layout expected: let shapely parse it
        geoms = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
        xy, idx = shapely.get_coordinates(geoms, return_index=True)
        return xy[:, 0].copy(), xy[:, 1].copy(), idx
    # The doubles are unaligned: read them through 8 zero-copy views, one per byte offset mod 8.
    owner, local = _ragged_local(2 * npts)
    pos = start[owner] + 13 + 8 * local
    del owner, local
    buf = wkb.buffers()[2]
    xy = np.empty(pos.size)
    shift = pos % 8
    for s in range(8):
        m = np.flatnonzero(shift == s)
        if m.size:
            view = np.frombuffer(buf, dtype="<f8", count=(buf.size - s) // 8, offset=s)
            xy[m] = view[(pos[m] - s) // 8]
    idx = np.repeat(np.arange(cells.size), npts)
    return xy[0::2].copy(), xy[1::2].copy(), idx


def _ragged_local(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (owner, position within owner) for ``counts[k]`` items of each owner ``k``."""
    counts = np.asarray(counts, dtype="int64")
    total = int(counts.sum())
    owner = np.repeat(np.arange(counts.size), counts)
    local = np.arange(total, dtype="int64") - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, local


def cells_around_poles(cells) -> np.ndarray:
    """Return whether each cell contains the north or the south pole.

    Such a cell's H3 ring goes once round the pole: in lon/lat it is no polygon, but the cap
    from the ring to the pole (:func:`cells_to_geodataframe` gives it).
    """
    return _polar_cells(_ids(cells))


def _polar_cells(cells: np.ndarray) -> np.ndarray:
    """Mask of the cells that contain the north or the south pole."""
    if cells.size == 0:
        return np.zeros(0, dtype=bool)
    res = cells_resolutions(cells)
    poles = [
        h3.str_to_int(h3.latlng_to_cell(lat, 0.0, int(r)))
        for r in np.unique(res)
        for lat in (90, -90)
    ]
    return np.isin(cells, np.asarray(poles, dtype="uint64"))


def _polar_polygons(wkb: np.ndarray) -> np.ndarray:
    """Return the lon/lat polygons of cells around a pole: their ring, closed at the pole.

    The ring's vertices are taken in order of longitude, from the meridian -180° to +180°
    (crossed at the latitude where the ring's last edge meets it), then along +180° to the
    pole, along the pole's latitude to -180° and back down.
    """
    out = np.empty(len(wkb), dtype=object)
    for i, ring in enumerate(shapely.from_wkb(wkb)):  # at most two cells: the two poles
        xy = shapely.get_coordinates(shapely.get_exterior_ring(ring))[:-1]
        xy = xy[np.argsort(xy[:, 0], kind="stable")]
        pole = 90.0 if xy[:, 1].mean() > 0 else -90.0
        (x0, y0), (x1, y1) = xy[-1], xy[0] + (360.0, 0.0)
        y = y0 + (y1 - y0) * (180.0 - x0) / (x1 - x0) if x1 != x0 else y0
        out[i] = shapely.Polygon(
            [(-180.0, y), *map(tuple, xy), (180.0, y), (180.0, pole), (-180.0, pole)]
        )
    return out


def _steps_across_180(c: np.ndarray) -> bool:
    """Whether a ring or line steps more than 180° of longitude between two vertices.

    An edge from -180° to 180° (a parallel round the globe, as a polar cap is written) is
    no such step.
    """
    x = c[:, 0]
    step = np.abs(np.diff(x))
    on_180 = (np.abs(x[:-1]) == 180.0) & (np.abs(x[1:]) == 180.0)
    return bool(((step > 180.0) & ~on_180).any())


def _winds_round_a_pole(c: np.ndarray) -> bool:
    """Whether a closed ring, each step read the short way, goes once round a pole."""
    x = np.unwrap(c[:, 0], period=360.0)
    return bool(abs(x[-1] - x[0]) > 180.0)


def unwrap_antimeridian_steps(geoms) -> np.ndarray:
    """Return lon/lat lines and polygons read the short way across 180°.

    Many tools write a shape across the antimeridian without the cut RFC 7946 asks for: a
    ring from 179.5° E to 179.5° W steps 359° as drawn, and read so the shape spans the
    globe.  A ring or line with such a step is unwrapped vertex to vertex (each step the
    short way, so it may pass ±180°); holes and parts are moved by whole turns next to the
    first ring.  Other geometries are returned as they are (the same objects).
    """
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    kinds = shapely.get_type_id(geoms)
    b = shapely.bounds(geoms)
    for i in np.flatnonzero(np.isin(kinds, (1, 3, 5, 6)) & ((b[:, 2] - b[:, 0]) > 180)):
        polygonal = kinds[i] in (3, 6)
        parts = shapely.get_parts(geoms[i])
        rings = [
            [np.asarray(r.coords) for r in ([p.exterior, *p.interiors] if polygonal else [p])]
            for p in parts
        ]
        if not any(_steps_across_180(c) for ps in rings for c in ps):
            continue
        if polygonal and any(_winds_round_a_pole(c) for ps in rings for c in ps):
            continue  # a cap round a pole (Antarctica): no short way, it is drawn as meant
        ref = None
        made = []
        for ps in rings:
            done = []
            for c in ps:
                c = np.column_stack([np.unwrap(c[:, 0], period=360.0), c[:, 1:]])
                ref = float(c[:, 0].mean()) if ref is None else ref
                turn = 360.0 * np.round((c[:, 0].mean() - ref) / 360.0)
                done.append(np.column_stack([c[:, 0] - turn, c[:, 1:]]))
            made.append(
                shapely.Polygon(done[0], done[1:]) if polygonal else shapely.LineString(done[0])
            )
        if len(made) == 1:
            out[i] = made[0]
        else:
            out[i] = shapely.MultiPolygon(made) if polygonal else shapely.MultiLineString(made)
    return out


def polygons_within_180(geoms) -> np.ndarray:
    """Return lon/lat polygons read the short way across 180° and cut there into [-180, 180].

    :func:`unwrap_antimeridian_steps`, then the parts past ±180° (also of a polygon written
    with longitudes to 184°) are moved back by whole turns, as RFC 7946 § 3.1.9 cuts them:
    a point-in-polygon test on lon/lat then holds on both sides.  Other geometries are
    returned as they are.
    """
    geoms = unwrap_antimeridian_steps(geoms)
    out = geoms.copy()
    b = shapely.bounds(geoms)
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    for i in np.flatnonzero(poly & ((b[:, 0] < -180.0) | (b[:, 2] > 180.0))):
        x0, x1 = b[i, 0], b[i, 2]
        pieces = []
        for k in range(int(np.floor((x0 + 180) / 360)), int(np.floor((x1 + 180) / 360)) + 1):
            piece = shapely.intersection(
                geoms[i], shapely.box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0)
            )
            pieces += [
                shapely.transform(p, lambda xy, k=k: xy - [360.0 * k, 0.0])
                for p in shapely.get_parts(piece)
                if shapely.get_dimensions(p) == 2
            ]
        out[i] = pieces[0] if len(pieces) == 1 else shapely.MultiPolygon(pieces)
    return out


def split_antimeridian(geoms: np.ndarray) -> np.ndarray:
    """Split polygons whose longitudes span more than 180° at the antimeridian."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return geoms
    bounds = shapely.bounds(geoms)
    crossing = np.flatnonzero((bounds[:, 2] - bounds[:, 0]) > 180)
    if crossing.size == 0:
        return geoms
    out = geoms.copy()
    sub = geoms[crossing]
    # Shift negative longitudes by +360 so each crossing polygon is contiguous in [0, 360).
    shifted = shapely.transform(
        sub,
        lambda xy: np.column_stack([np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]), xy[:, 1]]),
    )
    east = shapely.clip_by_rect(shifted, 0, -90, 180, 90)
    west = shapely.transform(
        shapely.clip_by_rect(shifted, 180, -90, 360, 90),
        lambda xy: np.column_stack([xy[:, 0] - 360, xy[:, 1]]),
    )
    out[crossing] = shapely.union(east, west)
    return out
