"""Open rasters lazily: GeoTIFF/COG in any CRS, NetCDF (CF) through xarray.

The returned :class:`xarray.DataArray` always has dims ``(band, y, x)``, float values with
nodata/fill values as NaN, and a CRS and transform through rioxarray.  Nothing is read until a
consumer indexes it: GeoTIFFs are backed by rioxarray's lazily indexed arrays (``cache=False``),
so a window ``da.isel(y=slice(a, b))`` reads only those rows; :func:`raster_windows` yields row
slices sized to a memory budget and :func:`describe_raster` computes its statistics window by
window.  When dask is installed the array is dask-chunked to the same budget instead.

NetCDF specifics: longitudes in 0..360 are wrapped to -180..180 and sorted when that leaves
one contiguous grid (a regional grid across the antimeridian, 150..250°E, keeps its 0..360
longitudes: clipping, coverage and zonal statistics take longitudes modulo 360), latitude is
made descending (north-up), dimensions without coordinate values (``y, x``) are placed by
1-D ``lat(y)``, ``lon(x)`` or by 2-D ones constant along rows and columns (a grid_mapping
naming a projection over latitude/longitude is then not used, said); 2-D ones not so (a
curvilinear grid) are kept on the grid's own dimensions when ``by_centres`` (zonal ``method:
centre``) asks, each pixel placed by its centre, else refused (over an area, only the rows
and columns holding a centre in it are read and counted against the pixel budget: their
latitude/longitude are scanned in row blocks to find them); an axis not evenly
spaced (a Mercator grid's latitudes) is refused,
packed ``scale_factor``/``add_offset`` and ``_FillValue`` are decoded by xarray, values outside
CF ``valid_range``/``valid_min``/``valid_max`` (stored units) are missing, and a time
dimension is reduced per :class:`~pipeline.ingest.options.RasterSource`:
the latest step, the step on a date, or a mean/max/sum over a window (computed window by
window).  Steps that are not dates (a climate model's noleap or 360_day calendar, "months
since", no units) are never turned into dates by a guess: the latest is the largest number,
and a date or window is refused with the way to pick a step by index.  Any other dimension (a pressure level, an ensemble member) is picked with
``select`` by coordinate value or index; one left over is read as bands, and the step a
``band`` picks (a depth of 0.494 m) is stated, as a GeoTIFF band's description is.  A 2-D
or integer variable gets its band axis and float type lazily (a window reads that window of
a global grid).  An HDF5 product whose grids are in groups (VIIRS Black Marble VNP46A2) is
refused naming them, with the way to export one.

A raster is never placed on the Earth by a guess: a file without a CRS is refused unless its
axes are latitude/longitude by CF metadata or by name *and* their values lie in degree ranges,
or the source gives ``crs``; bounds impossible in the CRS (a latitude beyond ±90) are refused
in one line.  A configured ``nodata`` is compared with the stored values, before a
scale/offset, as GDAL's nodata is.  GeoTIFF metadata tags GDAL does not apply are not
ignored either: a ``_FillValue``/``missing_value`` tag is a nodata, a ``valid_range`` /
``valid_min``/``valid_max`` tag masks what lies outside it, CF ``flag_values`` tags mark
class codes (or, all outside the valid range, special values: missing), and integers whose
``scale_factor``/``add_offset`` only a tag states are refused (which way it applies is the
product's convention).  :func:`raster_coverage` checks a raster against the area: no
overlap, or no valid cell inside it, is refused at ingest; partial coverage is reported; a
common fill (-9999, -3.4e38) the declared nodata does not name is refused.  Every such decision is in
``da.attrs["assumptions"]``.

Refused before a pixel is read, as hostile or unplaceable: a storage tile, strip or NetCDF
chunk that decodes beyond the memory budget, a scale of 0 or not finite, a fill or scale
written as text, a NetCDF axis without coordinate values nothing else places, a
curvilinear grid (2-D latitude/longitude not constant along rows and columns) unless read
``by_centres``, a grid one pixel thick, latitude/longitude in radians (or, for 2-D ones,
any units but degrees), latitude/longitude on other dimensions than the variable's (a
swath's tie points), a time step held twice that the selection uses, and a nodata over
bands packed differently (a band picked gives its own scale/offset).  A curvilinear grid
none of whose pixels its latitude/longitude place is refused when described or checked.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import logging
import re
import warnings
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from dateutil import parser as dateparser
from xarray.backends import BackendArray
from xarray.core.indexing import (
    IndexingSupport,
    LazilyIndexedArray,
    explicit_indexing_adapter,
)

from .._ctype import use_ascii_case
from .._terminal import share_to_percent
from ..errors import InputError, NoTimeStepBefore, SourceUnreadable
from ._common import as_source
from .options import DimSelect, RasterSource, TimeWindow

__all__ = [
    "check_raster_pixels",
    "clip_raster",
    "describe_raster",
    "open_raster",
    "raster_coverage",
    "raster_windows",
]

log = logging.getLogger(__name__)

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_CDF_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
_LAT_NAMES = ("lat", "latitude", "y", "nav_lat", "rlat")
_LON_NAMES = ("lon", "longitude", "x", "nav_lon", "rlon", "long")


def _kind(path: Path) -> str:
    if not path.exists():
        raise SourceUnreadable(f"{path}: file not found")
    if path.is_dir():
        raise SourceUnreadable(f"{path}: is a folder, expected a raster file")
    if not path.is_file():
        raise SourceUnreadable(f"{path}: not a regular file (a device, pipe or socket)")
    with open(path, "rb") as f:
        head = f.read(8)
    if not head:
        raise SourceUnreadable(f"{path.name}: file is empty")
    suffix = path.suffix.lower()
    if head[:4] in _TIFF_MAGIC:
        if suffix in (".nc", ".nc4", ".cdf", ".netcdf"):
            log.warning("%s: named like NetCDF but is a TIFF; reading it as GeoTIFF", path.name)
        return "tiff"
    if head == _HDF5_MAGIC:
        return "netcdf4"
    if head[:4] in _CDF_MAGIC:
        return "netcdf3"
    expected = "GeoTIFF" if suffix in (".tif", ".tiff", ".cog", "") else "NetCDF"
    raise SourceUnreadable(
        f"{path.name}: not a {expected} file (first bytes {head[:8]!r}); expected a "
        "GeoTIFF/COG (.tif) or NetCDF (.nc) raster"
    )


#: Peak working memory of a window over its decoded size: the masked read, its float copy,
#: the loaded array and the validity mask (measured: about 5.5 on a tiled float32 GeoTIFF).
_WINDOW_COPIES = 8


def _budget_rows(width: int, bands: int, itemsize: int, memory_budget_mb: float) -> int:
    per_row = max(width * bands * itemsize, 1)
    return max(1, int(memory_budget_mb * 2**20 // _WINDOW_COPIES // per_row))


def open_raster(
    source: RasterSource | str | Path,
    *,
    memory_budget_mb: float = 512,
    as_of: pd.Timestamp | None = None,
    by_centres: bool = False,
) -> xr.DataArray:
    """Open a raster lazily as a float DataArray with dims ``(band, y, x)`` and a CRS.

    Parameters
    ----------
    source : RasterSource, str or Path
        The raster, or its options (band, NetCDF variable, fallback CRS, time selection).
    memory_budget_mb : float, default 512
        A raster whose decoded size exceeds this is marked ``attrs["windowed"] = True`` and
        must be consumed window by window (see :func:`raster_windows`); it is never loaded
        whole here.
    as_of : pandas.Timestamp, optional
        The run's moment (the end of its ``as_of`` day, UTC): ``time: latest`` is then the
        latest step not after it (a forecast file's later days are left out, stated), and a
        file whose every step is after it is refused.
    by_centres : bool, default False
        Read a curvilinear NetCDF grid (2-D latitude/longitude not constant along rows and
        columns: ROMS, NEMO, a sea-ice product, a swath) by its pixel centres, as zonal
        ``method: centre`` does; False refuses it naming that way and regridding.

    Returns
    -------
    xarray.DataArray
        Lazy, float (nodata and NaN masked), ``rio.crs`` and ``rio.transform()`` set.
        ``attrs`` carry ``source_file``, ``name``, ``declared_mb``, ``windowed`` and
        ``window_rows``.  A curvilinear grid read ``by_centres`` has neither CRS nor
        transform: 2-D coordinates (``attrs["curvilinear"]`` names them) place its pixels.

    Raises
    ------
    SourceUnreadable
        Missing, empty, truncated, corrupt or mislabelled file.
    InputError
        No CRS (and none configured), unknown band/variable/time, no lat/lon dimensions.
    """
    import rioxarray  # noqa: F401  (registers the .rio accessor used below)

    use_ascii_case()  # the process's LC_CTYPE may have changed since the import
    src = as_source(source, RasterSource)
    if not memory_budget_mb > 0:
        raise InputError(f"memory_budget_mb must be > 0, got {memory_budget_mb!r}")
    if src.mask is not None and isinstance(src.time, TimeWindow):
        raise InputError(
            f"{src.path.name}: mask {_mask_label(src)} with a time window "
            f"({src.time.aggregate} of {src.time.start}..{src.time.end}) is not supported: the "
            "mask would have to apply to each time step before the aggregate; pick one step "
            "(time: latest or a date)"
        )
    _bound_gdal_cache(memory_budget_mb)
    kind = _kind(src.path)
    assumptions: dict[str, Any] = {}
    if kind == "tiff":
        if src.select:
            raise InputError(
                f"{src.path.name}: select {src.select!r} applies to NetCDF dimensions; a "
                "GeoTIFF has bands only (use band: N)"
            )
        da = _open_tiff(src, memory_budget_mb)
        _check_packing_numbers(da.encoding, src.path.name, "a band")
        if stored := _stored_packing(da.encoding):
            da.attrs["packing"] = stored
        if band_used := da.attrs.pop("band_used", None):
            assumptions["bands"] = band_used
        packed = _packing(da)
        if packed:
            assumptions["scale_offset"] = packed
        if da.rio.crs is not None:
            assumptions["crs"] = {
                "value": _crs_text(da.rio.crs),
                "by": "file",
                "evidence": "declared by the file",
            }
    else:
        da = _open_netcdf(
            src,
            "h5netcdf" if kind == "netcdf4" else "scipy",
            memory_budget_mb,
            assumptions,
            as_of,
            by_centres,
        )
        if da.attrs.get("curvilinear"):
            return _finish_curvilinear(src, da, memory_budget_mb, assumptions)
    categorical = da.attrs.get("categorical")
    if da.rio.crs is None:
        if src.crs is None:
            raise InputError(
                f"{src.path.name}: raster has no CRS; set crs in the raster's config "
                "(e.g. crs: 'EPSG:4326' for degrees, or the projected CRS of metre "
                "coordinates); a CRS is never assumed"
            )
        da = da.rio.write_crs(src.crs)
        assumptions["crs"] = {
            "value": _crs_text(da.rio.crs),
            "by": "config",
            "evidence": "the file has no CRS; crs set in the config",
        }
    _check_bounds(da, src.path.name)
    da = _without_repeated_meridian(da, da.rio.crs, assumptions)
    packing = da.attrs.get("packing")
    itemsize = np.dtype(da.dtype).itemsize
    declared_mb = da.size * itemsize / 2**20
    rows = _budget_rows(da.sizes["x"], da.sizes["band"], itemsize, memory_budget_mb)
    windowed = declared_mb > memory_budget_mb
    if src.mask is not None:
        # before any chunking: a window of the result reads that window of both files
        da = _apply_mask(src, da, memory_budget_mb)
        mname = _mask_label(src)
        lo, hi = src.mask.min, src.mask.max
        assumptions["mask"] = {
            "value": f"{mname} >= {lo:g}" + (f" and <= {hi:g}" if hi is not None else ""),
            "by": "config",
            "evidence": f"pixels where {mname} is {_outside_text(lo, hi)} or nodata are "
            "missing (no observation), never a value; its grid is the raster's (shape, "
            "transform and CRS checked)",
        }
    for fill in da.attrs.pop("tag_fills", []):
        # a fill stated by a tag GDAL ignores: missing, as the stored value GDAL's nodata is
        keep = functools.partial(_not_stored, nodata=float(fill["value"]), packing=packing)
        da = _lazily_where(da, keep)
        assumptions.setdefault("fill_tags", []).append(
            {
                "value": fill["value"],
                "by": "file",
                "evidence": f"{fill['tag']}: cells whose stored value equals it are missing",
            }
        )
    if valid := da.attrs.pop("tag_valid_range", None):
        # a CF valid range in the tags (GDAL applies none): outside it is missing, as in
        # NetCDF; in stored units, so decoded by the band's scale/offset first
        lo, hi, tol = _decoded_range(
            -np.inf if valid["lo"] is None else float(valid["lo"]),
            np.inf if valid["hi"] is None else float(valid["hi"]),
            packing,
        )
        da = _lazily_where(da, functools.partial(_in_range, lo=lo - tol, hi=hi + tol))
        assumptions["valid_range"] = {
            "value": [valid["lo"], valid["hi"]],
            "by": "file",
            "evidence": f"{valid['tag']} (GDAL applies none): values outside "
            f"[{lo:g}, {hi:g}] are missing",
        }
    if src.nodata is not None:
        # As GDAL's nodata: the stored value, before a scale/offset (int16 -9999 x 0.01 is
        # decoded to -99.99, and it is -9999 that marks the missing cells).  Lazily and
        # before any chunking, as the mask: a window of the result reads that window only
        keep = functools.partial(_not_stored, nodata=float(src.nodata), packing=packing)
        da = _lazily_where(da, keep)
        evidence = "cells whose stored value equals it are missing"
        if packing:
            decoded = float(src.nodata) * packing["scale"] + packing["offset"]
            evidence += f" (compared before the scale/offset; decoded it is {decoded:g})"
        assumptions["nodata"] = {"value": src.nodata, "by": "config", "evidence": evidence}
    if windowed and importlib.util.find_spec("dask") is not None:
        da = da.chunk({"band": -1, "y": rows, "x": -1})
    da.attrs.update(
        source_file=src.path.name,
        name=src.name,
        declared_mb=round(declared_mb, 3),
        windowed=bool(windowed),
        window_rows=int(rows),
        assumptions=assumptions,
    )
    if src.mask is not None:
        # what raster_coverage needs to count the pixels the mask made missing
        da.attrs["mask_source"] = src.model_dump(mode="json")
        da.attrs["mask_budget_mb"] = float(memory_budget_mb)
    if categorical:
        # zonal statistics refuse to average it (pipeline.zonal)
        da.attrs["categorical"] = categorical
    if windowed:
        log.info(
            "%s: %.0f MB > budget %.0f MB: read in windows of %d rows",
            src.path.name,
            declared_mb,
            memory_budget_mb,
            rows,
        )
    return da


def _finish_curvilinear(
    src: RasterSource, da: xr.DataArray, memory_budget_mb: float, assumptions: dict[str, Any]
) -> xr.DataArray:
    """Finish a curvilinear grid read by pixel centres: CRS, nodata and attrs; no transform."""
    name = src.path.name
    lat, lon = da.attrs["curvilinear"]["lat"], da.attrs["curvilinear"]["lon"]
    if src.mask is not None:
        raise InputError(
            f"{name}: mask {_mask_label(src)} over a curvilinear grid is not supported (its "
            "grid cannot be checked against the raster's by a transform); regrid both to a "
            "regular lat/lon grid first (cdo remapbil, or xESMF)"
        )
    if src.crs is not None and not _geographic_text(src.crs):
        raise InputError(
            f"{name}: crs {src.crs!r} is configured, a projection, but the grid is placed by "
            f"its 2-D latitude/longitude {lat!r}/{lon!r} in degrees; remove crs"
        )
    assumptions["crs"] = {
        "value": _crs_text(src.crs) if src.crs is not None else "EPSG:4326",
        "by": "config" if src.crs is not None else "file",
        "evidence": f"pixel centres placed by 2-D latitude/longitude {lat!r}/{lon!r} in "
        "degrees" + ("" if src.crs is not None else " (read as WGS 84)"),
    }
    for dim, axis in (
        ("y", da.attrs["curvilinear"]["dims"][0]),
        ("x", da.attrs["curvilinear"]["dims"][1]),
    ):
        if da.sizes[dim] < 2:
            raise InputError(
                f"{name}: dimension {axis!r} has a single step, so the pixel size along it is "
                "unknown; only grids of at least 2 x 2 pixels are read"
            )
    packing = da.attrs.get("packing")
    if src.nodata is not None:
        keep = functools.partial(_not_stored, nodata=float(src.nodata), packing=packing)
        da = _lazily_where(da, keep)
        assumptions["nodata"] = {
            "value": src.nodata,
            "by": "config",
            "evidence": "cells whose stored value equals it are missing"
            + (" (compared before the scale/offset)" if packing else ""),
        }
    itemsize = np.dtype(da.dtype).itemsize
    declared_mb = da.size * itemsize / 2**20
    # a pixel's values and its two float64 coordinates
    per_pixel = int(da.sizes["band"]) * itemsize + 2 * 8
    rows = _budget_rows(da.sizes["x"], 1, per_pixel, memory_budget_mb)
    da.attrs.update(
        source_file=name,
        name=src.name,
        declared_mb=round(declared_mb, 3),
        windowed=bool(declared_mb > memory_budget_mb),
        window_rows=int(rows),
        assumptions=assumptions,
    )
    return da


def _mask_label(src: RasterSource) -> str:
    """Return how messages name the companion mask: its file, and its variable when given."""
    assert src.mask is not None
    name = src.mask.path.name
    return f"{name}:{src.mask.variable}" if src.mask.variable else name


def _open_mask(src: RasterSource, memory_budget_mb: float) -> xr.DataArray:
    """Open the companion ``src.mask`` lazily as dims (band, y, x), as the raster is opened.

    A NetCDF companion takes the raster's time step and selection; one band only (kept as a
    dimension: an integer index on it would make a dask window read whole rows of chunks).
    """
    mask = src.mask
    assert mask is not None
    msrc = RasterSource(
        path=mask.path,
        name=src.name,
        variable=mask.variable,
        band=mask.band,
        crs=src.crs,
        time=src.time,
        select=src.select if _kind(mask.path) != "tiff" else {},
    )
    m = open_raster(msrc, memory_budget_mb=memory_budget_mb)
    if m.sizes["band"] != 1:
        raise InputError(
            f"{src.path.name}: mask {_mask_label(src)} has {m.sizes['band']} bands; set "
            "mask.band to the one to use"
        )
    return m


def _check_same_grid(src: RasterSource, da: xr.DataArray, m: xr.DataArray) -> None:
    """Refuse, in one line naming both files, a companion mask not on the raster's grid."""
    from pyproj import CRS

    where = f"{src.path.name}: mask {_mask_label(src)}"
    ny, nx = int(da.sizes["y"]), int(da.sizes["x"])
    my, mx = int(m.sizes["y"]), int(m.sizes["x"])
    fix = (
        "the mask must be on the raster's grid (same shape, transform and CRS): warp it "
        f"onto it first (gdalwarp -te <raster bounds> -ts {nx} {ny} -t_srs <raster CRS>)"
    )
    if (my, mx) != (ny, nx):
        raise InputError(
            f"{where} is on another grid: {my} x {mx} pixels, the raster {ny} x {nx}; {fix}"
        )
    if CRS.from_user_input(m.rio.crs) != CRS.from_user_input(da.rio.crs):
        raise InputError(
            f"{where} is on another grid: CRS {_crs_text(m.rio.crs)}, the raster "
            f"{_crs_text(da.rio.crs)}; {fix}"
        )
    t, u = da.rio.transform(), m.rio.transform()
    res = min(abs(t.a), abs(t.e))
    if (
        abs(t.a - u.a) > 1e-6 * abs(t.a)
        or abs(t.e - u.e) > 1e-6 * abs(t.e)
        or abs(t.c - u.c) > 1e-3 * res
        or abs(t.f - u.f) > 1e-3 * res
    ):
        raise InputError(
            f"{where} is on another grid: origin ({u.c:g}, {u.f:g}) and pixel "
            f"{u.a:g} x {u.e:g}, the raster ({t.c:g}, {t.f:g}) and {t.a:g} x {t.e:g}; {fix}"
        )
    for c in set(da.coords) & set(m.coords):
        a, b = da[c], m[c]
        if a.ndim == 0 and np.issubdtype(a.dtype, np.datetime64) and a.values != b.values:
            raise InputError(
                f"{where} is of another {c!r} step ({pd.Timestamp(b.values).isoformat()}), "
                f"the raster {pd.Timestamp(a.values).isoformat()}; select the same step"
            )


class _WhereArray(BackendArray):
    """The raster's values, missing where ``keep(values, key)`` is False: lazily.

    Indexing reads the pixels asked for (a window of the result reads that window, and a
    companion mask that window of its file, never more), so the result can be chunked or
    windowed as the raster is.  ``keep`` is a module-level function or a partial of one, so
    the array pickles (Dask ships it to workers).
    """

    def __init__(self, values: xr.Variable, keep) -> None:
        self.values = values  # dims (band, y, x)
        self.keep = keep
        self.shape = tuple(values.shape)
        self.dtype = values.dtype

    def __getitem__(self, key):
        return explicit_indexing_adapter(key, self.shape, IndexingSupport.BASIC, self._read)

    def _read(self, key: tuple) -> np.ndarray:
        vals = np.asarray(self.values[key].values)
        return np.where(self.keep(vals, key), vals, np.nan).astype(self.dtype, copy=False)


class _FloatBandArray(BackendArray):
    """A variable's values as floats, with a leading band axis of one when ``add_band``: lazily.

    xarray's ``expand_dims`` and ``astype`` load a lazily indexed (not dask) variable whole:
    on a global 15 arc-second grid (GEBCO, 43,200 x 86,400) that is gigabytes before a pixel
    of the area is asked for.  This reads the pixels asked for only.
    """

    def __init__(self, values: xr.Variable, add_band: bool) -> None:
        self.values = values
        self.add_band = add_band
        self.shape = ((1,) if add_band else ()) + tuple(values.shape)
        self.dtype = _float_type(values.dtype)

    def __getitem__(self, key):
        return explicit_indexing_adapter(key, self.shape, IndexingSupport.BASIC, self._read)

    def _read(self, key: tuple) -> np.ndarray:
        band, rest = (key[0], key[1:]) if self.add_band else (None, key)
        vals = np.asarray(self.values[rest].values).astype(self.dtype, copy=False)
        return vals[np.newaxis][band, ...] if self.add_band else vals


def _float_type(dtype) -> np.dtype:
    """Return the float type holding every value of ``dtype``: float32 up to 16-bit ints.

    A 32- or 64-bit integer goes to float64: float32 holds integers exactly only up to 2**24
    (a count of 16,777,217 read as 16,777,216), as rioxarray promotes them too.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return dtype
    return (
        np.dtype("float32") if dtype.kind in "iub" and dtype.itemsize <= 2 else np.dtype("float64")
    )


def _lazily_float(da: xr.DataArray, *, add_band: bool) -> xr.DataArray:
    """Return ``da`` as floats, with a first dimension ``band`` = [1] when ``add_band``.

    Lazy: a window of the result reads that window of the file (a dask-backed array is
    already lazy and goes through xarray).
    """
    if da.chunks is not None:
        out = da.expand_dims(band=[1]) if add_band else da
        return out if out.dtype.kind == "f" else out.astype(_float_type(out.dtype))
    lazy = LazilyIndexedArray(_FloatBandArray(da.variable, add_band))
    dims = ("band", *da.dims) if add_band else da.dims
    out = xr.DataArray(
        xr.Variable(dims, lazy, attrs=da.attrs, encoding=da.encoding),
        coords=da.coords,
        name=da.name,
    )
    return out.assign_coords(band=[1]) if add_band else out


def _lazily_where(da: xr.DataArray, keep) -> xr.DataArray:
    """Return ``da`` missing where ``keep(values, key)`` is False, read window by window.

    ``DataArray.where`` on a chunked raster reads whole chunks (full-width rows) for any
    window of it; this reads the window asked for and nothing more.
    """
    lazy = LazilyIndexedArray(_WhereArray(da.variable, keep))
    return xr.DataArray(
        xr.Variable(da.dims, lazy, attrs=da.attrs, encoding=da.encoding),
        coords=da.coords,
        name=da.name,
    )


def _not_stored(values: np.ndarray, key: tuple, nodata: float, packing) -> np.ndarray:
    """``keep`` of a configured nodata: the cells whose stored value is not ``nodata``."""
    return ~_is_stored(values, nodata, packing)


def _outside_text(minimum: float, maximum: float | None) -> str:
    """Say which companion values make a pixel missing: "below 1", "outside 0..1"."""
    return f"below {minimum:g}" if maximum is None else f"outside {minimum:g}..{maximum:g}"


def _seen(values: np.ndarray, minimum: float, maximum: float | None) -> np.ndarray:
    """Companion values that keep a pixel: ``minimum`` or above (and ``maximum`` or below).

    NaN (the companion's nodata) compares False: missing too.
    """
    kept = values >= minimum
    return kept if maximum is None else kept & (values <= maximum)


def _observed(
    values: np.ndarray,
    key: tuple,
    companion: xr.Variable,
    minimum: float,
    maximum: float | None = None,
):
    """``keep`` of a companion mask: its pixels under ``key`` within ``minimum..maximum``."""
    return _seen(np.asarray(companion[(slice(None), *key[1:])].values)[0], minimum, maximum)


def _apply_mask(src: RasterSource, da: xr.DataArray, memory_budget_mb: float) -> xr.DataArray:
    """Return ``da`` with the pixels its companion ``src.mask`` did not observe missing."""
    assert src.mask is not None
    m = _open_mask(src, memory_budget_mb)
    _check_same_grid(src, da, m)
    return _lazily_where(
        da,
        functools.partial(
            _observed,
            companion=m.variable,
            minimum=float(src.mask.min),
            maximum=None if src.mask.max is None else float(src.mask.max),
        ),
    )


def _mask_window(
    window: xr.DataArray,
) -> tuple[xr.DataArray, float, str, float | None] | None:
    """Return the companion's values under ``window`` (lazy, dims (1, y, x)), min, label, max.

    ``window`` is a raster from :func:`open_raster` with a mask, or rows and columns of one;
    None without a mask.  The companion is on the raster's grid (checked at open), so the
    window's pixels are found by their offset from its origin.
    """
    dumped = window.attrs.get("mask_source")
    if not dumped:
        return None
    src = RasterSource.model_validate(dumped)
    assert src.mask is not None
    m = _open_mask(src, float(window.attrs.get("mask_budget_mb", 512)))
    t, u = window.rio.transform(), m.rio.transform()
    row0 = int(round((t.f - u.f) / u.e))
    col0 = int(round((t.c - u.c) / u.a))
    part = m.isel(y=slice(row0, row0 + window.sizes["y"]), x=slice(col0, col0 + window.sizes["x"]))
    return part, float(src.mask.min), _mask_label(src), src.mask.max


def _bound_gdal_cache(memory_budget_mb: float) -> None:
    """Keep GDAL's block cache within a quarter of the budget (it is 5 % of RAM by default).

    A window of a tiled raster decodes every tile it touches, and an open dataset keeps them
    cached up to ``GDAL_CACHEMAX``: on a raster 200,000 pixels wide that alone is gigabytes.
    Only ever lowered, never raised (the process may have set it smaller).
    """
    from rasterio.env import get_gdal_config, set_gdal_config

    want = max(16, int(memory_budget_mb // 4))  # MiB
    now = get_gdal_config("GDAL_CACHEMAX")
    try:
        current = int(now) if now is not None else None
    except (TypeError, ValueError):
        current = None
    if current is not None and current >= 100_000:  # GDAL reads large values as bytes
        current //= 2**20
    if current is None or current > want:
        set_gdal_config("GDAL_CACHEMAX", want)


def _crs_text(crs) -> str:
    """EPSG-style code of a CRS when it has one, else its name."""
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    auth = c.to_authority() or c.to_authority(min_confidence=25)
    return ":".join(auth) if auth else (c.name or c.to_wkt()[:80])


def _check_bounds(da: xr.DataArray, name: str) -> None:
    """Refuse, in one line, a grid whose extent cannot exist in its CRS."""
    from pyproj import CRS

    try:
        x0, y0, x1, y1 = (float(v) for v in da.rio.bounds())
        res_x, res_y = (abs(float(v)) for v in da.rio.resolution())
    except Exception as exc:  # rioxarray raises its own errors for degenerate grids
        raise InputError(f"{name}: cannot compute the raster's extent: {_first_line(exc)}") from exc
    box = f"({x0:g}, {y0:g}, {x1:g}, {y1:g})"
    if not all(np.isfinite([x0, y0, x1, y1, res_x, res_y])) or res_x == 0 or res_y == 0:
        raise InputError(f"{name}: raster extent {box} or resolution is not finite and non-zero")
    crs = CRS.from_user_input(da.rio.crs)
    if crs.is_geographic:
        if y0 < -90 - res_y or y1 > 90 + res_y:
            raise InputError(
                f"{name}: raster extent {box} has latitudes beyond ±90, impossible in "
                f"{_crs_text(crs)}; its coordinates are probably not degrees: set the right "
                "crs for this raster"
            )
        if x0 < -360 - res_x or x1 > 360 + res_x or (x1 - x0) > 360 + 2 * res_x:
            raise InputError(
                f"{name}: raster extent {box} spans longitudes beyond ±360, impossible in "
                f"{_crs_text(crs)}; set the right crs for this raster"
            )
        return
    try:
        b = da.rio.transform_bounds("EPSG:4326", densify_pts=21)
    except Exception as exc:  # pyproj/rasterio raise several types for impossible extents
        raise InputError(
            f"{name}: raster extent {box} cannot be placed on the Earth in {_crs_text(crs)}: "
            f"{_first_line(exc)}"
        ) from exc
    if not all(np.isfinite(b)):
        raise InputError(
            f"{name}: raster extent {box} lies outside the valid area of {_crs_text(crs)}; "
            "check its CRS"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:160] if text else type(exc).__name__


#: A storage tile, strip or NetCDF chunk is decoded whole to read any pixel of it, so one
#: larger than the memory budget (at least this many MiB) is refused before a pixel is read:
#: a GeoTIFF of 600 KB holding one deflated tile of 12,288 x 12,288 float32 grew the process
#: by 1.2 GB to read a window of 40 x 40 pixels under a budget of 64 MB (a real tile is at
#: most a few MiB: a COG's 512 x 512).
_BLOCK_FLOOR_MB = 16.0


def _check_chunk(name: str, var, label: str, memory_budget_mb: float, fix: str) -> None:
    """:func:`_check_block` for a NetCDF variable's storage chunk, when it is chunked."""
    if chunks := var.encoding.get("chunksizes"):
        itemsize = np.dtype(var.encoding.get("dtype", var.dtype)).itemsize
        _check_block(name, chunks, itemsize, memory_budget_mb, f"chunk of {label!r}", fix)


def _check_block(
    name: str, shape, itemsize: int, memory_budget_mb: float, what: str, fix: str
) -> None:
    """Refuse, in one line, a file whose storage block decodes to more than the budget."""
    need = float(np.prod([int(n) for n in shape], dtype="float64")) * itemsize / 2**20
    limit = max(memory_budget_mb, _BLOCK_FLOOR_MB)
    if need > limit:
        dims = " x ".join(f"{int(n):,}" for n in shape)
        raise SourceUnreadable(
            f"{name}: one {what} of {dims} values decodes to {need:,.0f} MiB, above "
            f"{limit:g} MiB (ingest.memory_budget_mb={memory_budget_mb:g}, at least "
            f"{_BLOCK_FLOOR_MB:g}), and reading any pixel decodes all of it (a damaged or "
            f"hostile file, or one written as a single block); nothing was read: {fix} or "
            "raise the budget"
        )


def _open_tiff(src: RasterSource, memory_budget_mb: float) -> xr.DataArray:
    import rasterio
    import rioxarray

    name = src.path.name
    try:
        with warnings.catch_warnings():  # a file without a geotransform: refused below
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            ds = rasterio.open(src.path)
        with ds:
            count, height, width = ds.count, ds.height, ds.width
            _refuse_ungeoreferenced(ds, name)
            # a pixel-interleaved block holds every band's values
            block = max(ds.block_shapes, key=lambda b: b[0] * b[1])
            pixel = count > 1 and ds.interleaving == rasterio.enums.Interleaving.pixel
            _check_block(
                name,
                (count, *block) if pixel else block,
                max(np.dtype(t).itemsize for t in ds.dtypes),
                memory_budget_mb,
                "storage block (tile or strip)",
                "rewrite it in small tiles (gdal_translate -co TILED=YES in.tif out.tif)",
            )
            palette = [
                k + 1
                for k, c in enumerate(ds.colorinterp)
                if c == rasterio.enums.ColorInterp.palette
            ]
            # Read the last and the first pixel of every band: a truncated file fails here,
            # not later.  One pixel decodes one block; a whole row of a tiled raster 200,000
            # pixels wide would decode (and cache) hundreds of megabytes of tiles.
            ds.read(window=((height - 1, height), (width - 1, width)))
            ds.read(window=((0, 1), (0, 1)))
            # metadata tags GDAL does not apply (a band out of range is refused below)
            bands = list(range(1, count + 1)) if src.band is None else [src.band]
            bands = [b for b in bands if b <= count]
            _refuse_tagged_packing(ds, name, bands)
            fills = _tagged_fills(ds, bands)
            descriptions = list(ds.descriptions)
            flagged, special = _tagged_flags(ds, bands)
            valid = _tagged_valid_range(ds, bands)
            fills += [f for f in special if f["value"] not in {g["value"] for g in fills}]
        with warnings.catch_warnings():  # "scales differ across bands": each band is decoded
            warnings.filterwarnings("ignore", "(Scales|Offsets) differ across bands")
            # packed values (a band scale/offset: MODIS NDVI x 0.0001, a reflectance x
            # 2.75e-5 - 0.2) are decoded, never read as their stored integers
            da = rioxarray.open_rasterio(src.path, mask_and_scale=True, cache=False, lock=False)
    except rasterio.errors.RasterioError as exc:
        raise SourceUnreadable(
            f"{name}: unreadable, truncated or corrupt GeoTIFF (reading its first and last "
            f"rows failed: {exc})"
        ) from exc
    if isinstance(da, list | xr.Dataset):  # pragma: no cover (subdatasets)
        raise SourceUnreadable(f"{name}: has subdatasets; convert it to a single GeoTIFF")
    t = da.rio.transform()
    if t.b != 0 or t.d != 0:
        # Its x/y coordinates (by which the area's window and coverage are found) would not
        # be where its pixels are.
        raise InputError(
            f"{name}: raster grid is rotated or sheared (geotransform {tuple(t)[:6]!r}); only "
            "north-up grids are read: warp it to one first (gdalwarp in.tif north_up.tif)"
        )
    if src.band is not None:
        if src.band > count:
            raise InputError(f"{name}: band {src.band!r} requested, file has bands 1..{count}")
        da = da.isel(band=[src.band - 1])
    if src.band is not None or count > 1:
        # which band is read, by the name the file gives it (a band's description); under
        # "bands", as a NetCDF dimension read as bands is
        said = [f"{b} ({descriptions[b - 1]!r})" if descriptions[b - 1] else str(b) for b in bands]
        da.attrs["band_used"] = (
            f"band {said[0]} of {count}" if src.band is not None else f"bands {', '.join(said)}"
        )
    kept = [src.band] if src.band is not None else list(range(1, count + 1))
    _band_packing(da, kept, name, src, bool(fills or valid is not None))
    if used := [b for b in kept if b in palette]:
        # a land cover (ESA WorldCover, a classified scene) carries its classes' colours
        da.attrs["categorical"] = f"band {used[0]} has a colour table (palette)"
    elif flagged:
        # a CF variable exported to a GeoTIFF (gdal_translate NETCDF:...:lccs_class) keeps
        # its flag_values as metadata tags: class codes, as in the NetCDF
        da.attrs["categorical"] = flagged
    if da.dtype.kind != "f":
        da = da.astype(_float_type(da.dtype))
    if fills:
        da.attrs["tag_fills"] = fills
    if valid is not None:
        da.attrs["tag_valid_range"] = valid
    return da


def _check_packing_numbers(encoding: dict, name: str, whose: str) -> None:
    """Refuse, in one line, a scale/offset or fill that decodes no value right.

    A ``scale_factor`` of 0 decodes every pixel to the offset (a raster of 3.0 everywhere),
    a NaN or infinite one to nothing; a ``_FillValue`` or ``scale_factor`` written as text
    ("-999", "0.01") was ignored (the fill read as a value) or failed at the first read.
    """
    found: list[tuple[str, Any]] = [
        (k, encoding[k])
        for k in ("scale_factor", "add_offset", "_FillValue", "missing_value")
        if k in encoding and encoding[k] is not None
    ]
    found += [(k[:-1], v) for k in ("scales", "offsets") for v in encoding.get(k) or ()]
    for key, value in found:
        arr = np.asarray(value)
        if arr.dtype.kind not in "iufb":
            raise InputError(
                f"{name}: the {key} of {whose} is {value!r}, not a number, so it cannot be applied; "
                f"write it as a number (ncatted -a {key},<variable>,o,f,<value> in.nc)"
            )
        if key in ("scale_factor", "add_offset", "scale", "offset"):
            numbers = arr.astype("float64").ravel()
            zero = key in ("scale_factor", "scale") and bool((numbers == 0).any())
            if not np.isfinite(numbers).all() or zero:
                raise InputError(
                    f"{name}: the {key} of {whose} is {arr.tolist()!r}: values decoded with it would be "
                    f"{'all the offset' if zero else 'NaN or infinite'}, not the quantity; fix "
                    "the file's scale/offset (gdal_edit.py -scale/-offset, or ncatted)"
                )


def _band_packing(
    da: xr.DataArray, kept: list[int], name: str, src: RasterSource, tagged: bool
) -> None:
    """Give ``da`` the scale/offset of its bands when they share one (the packing read).

    Bands packed differently (a sea surface temperature x 0.01 beside a chlorophyll x 0.5 +
    1) leave rioxarray's ``scales``/``offsets`` per band and no ``scale_factor``: a nodata or
    a tagged fill, a stored value, would then be compared with the decoded values and match
    nothing.  The band a source picks gives its own; several bands packed differently are
    refused when a stored value must be compared (a configured nodata, a fill or valid range
    tag), saying to pick one band.
    """
    enc = da.encoding
    if "scales" not in enc and "offsets" not in enc:
        return
    scales = [float(v) for v in enc.get("scales") or ()]
    offsets = [float(v) for v in enc.get("offsets") or ()]
    pairs = {
        (scales[b - 1] if b <= len(scales) else 1.0, offsets[b - 1] if b <= len(offsets) else 0.0)
        for b in kept
    }
    if len(pairs) == 1:
        scale, offset = pairs.pop()
        if (scale, offset) != (1.0, 0.0):
            enc["scale_factor"], enc["add_offset"] = scale, offset
        return
    if src.nodata is not None or tagged:
        what = "the configured nodata" if src.nodata is not None else "its fill/valid-range tags"
        raise InputError(
            f"{name}: bands {kept!r} are packed with different scales {scales!r} and offsets "
            f"{offsets!r}, and {what} (a stored value) cannot be compared with all of them "
            "at once; read one band per raster entry (band: N)"
        )


def _tagged_valid_range(ds, bands: list[int]) -> dict[str, Any] | None:
    """Return the CF valid range the bands' tags (or the file's plain tags) state, or None.

    A NetCDF variable exported to a GeoTIFF keeps ``valid_range`` (or ``valid_min`` /
    ``valid_max``) as tags, in stored units; GDAL applies none of them.  None when no tag
    states one, or the bands state different ones.
    """

    def first(text: str | None) -> float | None:
        values = _tag_array(text) if text is not None else None
        return values[0] if values else None

    found: list[dict[str, Any]] = []
    for scope, tags in [(f"band {b}", ds.tags(b)) for b in bands] + [("file", ds.tags())]:
        attrs = {k: v for k, v in tags.items() if k in ("valid_range", "valid_min", "valid_max")}
        if not attrs:
            continue
        rng = _tag_array(attrs["valid_range"]) if "valid_range" in attrs else None
        lo: float | None
        hi: float | None
        if rng is not None and len(rng) == 2:
            lo, hi = rng[0], rng[1]
        else:
            lo, hi = first(attrs.get("valid_min")), first(attrs.get("valid_max"))
        if lo is None and hi is None:
            continue
        said = ", ".join(f"{k}={v}" for k, v in attrs.items())
        found.append({"lo": lo, "hi": hi, "tag": f"{scope} tags {said}", "band": scope != "file"})
    use = [f for f in found if f["band"]] or found
    if not use or len({(f["lo"], f["hi"]) for f in use}) != 1:
        return None
    return use[0]


def _in_range(values: np.ndarray, key: tuple, lo: float, hi: float) -> np.ndarray:
    """``keep`` of a valid range: the cells within ``lo..hi`` (decoded units, tolerance in)."""
    return (values >= lo) & (values <= hi)


#: Metadata keys (a NetCDF or HDF attribute copied into GeoTIFF tags, ``VAR#scale_factor`` as
#: GDAL names an HDF4 variable's) that say how stored values decode; GDAL applies none of them.
_PACK_TAGS = {"scale_factor": 1.0, "add_offset": 0.0}
_FILL_TAGS = ("_FillValue", "missing_value")


def _tag_numbers(tags: dict[str, str], names, prefixed: bool) -> dict[str, float]:
    """Return the numeric tags named one of ``names`` (``VAR#name`` too when ``prefixed``)."""
    wanted = {n.lower() for n in names}
    out = {}
    for key, text in tags.items():
        base = key.rsplit("#", 1)[-1] if prefixed else key
        if base.lower() not in wanted:
            continue
        try:
            value = float(str(text).strip().strip("[]()").split(",")[0])
        except ValueError:
            continue
        if np.isfinite(value):
            out[key] = value
    return out


def _refuse_tagged_packing(ds, name: str, bands: list[int]) -> None:
    """Refuse integers whose scale/offset only metadata tags state, GDAL's band none.

    GDAL decodes a band by its own scale and offset only; a ``scale_factor`` in the tags (a
    MODIS LST of kelvin x 50 written with its HDF attributes as tags) would be read as its
    stored integers (14,500 for 290 K).  Which way a tag applies is a product's convention
    (CF multiplies, MODIS NDVI's 10000 divides): never guessed.
    """
    for b in bands:
        if np.dtype(ds.dtypes[b - 1]).kind not in "iu":
            continue  # a float band is not packed
        if ds.scales[b - 1] != 1.0 or ds.offsets[b - 1] != 0.0:
            continue  # GDAL decodes it by its own scale/offset
        said = {
            **_tag_numbers(ds.tags(), _PACK_TAGS, prefixed=True),
            **_tag_numbers(ds.tags(b), _PACK_TAGS, prefixed=True),
        }
        odd = {k: v for k, v in said.items() if v != _PACK_TAGS[k.rsplit("#", 1)[-1].lower()]}
        if odd:
            tags = ", ".join(f"{k}={v:g}" for k, v in odd.items())
            raise InputError(
                f"{name}: band {b} holds stored {ds.dtypes[b - 1]} values whose metadata says "
                f"{tags}, but the band declares no scale/offset, so they would be read as the "
                "stored integers; declare them on the band as the product's documentation "
                f"defines them (e.g. gdal_edit.py -scale <s> -offset <o> {name}: value = "
                "stored x s + o), or remove the tags if the values are already in units"
            )


def _tagged_fills(ds, bands: list[int]) -> list[dict[str, Any]]:
    """Return the fill values metadata tags state where GDAL declares no nodata.

    A ``_FillValue`` or ``missing_value`` tag (a NetCDF attribute copied as a tag) says which
    stored value means no data as plainly as GDAL's nodata does; GDAL ignores it.
    """
    if ds.nodata is not None:
        return []
    found: dict[float, str] = {}
    for scope, tags in [("file", ds.tags())] + [(f"band {b}", ds.tags(b)) for b in bands]:
        for key, value in _tag_numbers(tags, _FILL_TAGS, prefixed=False).items():
            found.setdefault(value, f"{scope} tag {key}={value:g} (GDAL declares no nodata)")
    return [{"value": v, "tag": t} for v, t in found.items()]


def _tag_array(text: str) -> list[float] | None:
    """Parse a numeric array tag as GDAL writes one (``{0,10,11}``, ``0 10 11``), else None."""
    parts = str(text).strip().strip("{}[]()").replace(",", " ").split()
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    return values or None


def _tagged_flags(ds, bands: list[int]) -> tuple[str | None, list[dict[str, Any]]]:
    """Say which CF flag tags mark the bands as class codes (or None), and the special values.

    GDAL copies a NetCDF variable's attributes into a GeoTIFF band's tags (``flag_values``).
    The file's ``var#flag_values`` tags are not read: GDAL copies every variable's there (a
    land cover's ``processed_flag`` beside the exported ``lccs_class``).  Flag values that
    all lie outside a tagged valid range are special values beside a quantity (see
    :func:`_special_flag_values`): GDAL applies no valid range, so they are returned as
    fills (``{"value", "tag"}``), missing as a ``_FillValue`` tag's value is.
    """
    special: list[dict[str, Any]] = []
    for scope, tags in [("file", ds.tags())] + [(f"band {b}", ds.tags(b)) for b in bands]:
        attrs: dict[str, Any] = {}
        for base, text in tags.items():
            if base in ("flag_values", "flag_masks", "valid_range", "valid_min", "valid_max"):
                values = _tag_array(text)
                if values is not None:
                    attrs[base] = values
            elif base == "flag_meanings":
                attrs[base] = text
        flags = [k for k in ("flag_values", "flag_masks", "flag_meanings") if k in attrs]
        outside = _special_flag_values(attrs)
        if flags and outside is None:
            return f"{scope} tag {flags[0]} (CF flags: class codes)", []
        if outside is not None:
            special += [
                {"value": v, "tag": f"{scope} tag flag_values {v:g} (outside {outside[2]})"}
                for v in outside[0]
            ]
    return None, special


def _refuse_ungeoreferenced(ds, name: str) -> None:
    """Refuse a GeoTIFF whose pixels have no geotransform (GDAL's identity matrix).

    Without one, GDAL gives pixel (col, row) the coordinates (col, row): a CRS from the file
    (GCPs carry one) or from the config would place a scene taken anywhere at 0°, 0°, one
    pixel a degree, south up.  Its pixels are placed by ground control points (a Sentinel-1
    or scanned map), by rational polynomials, or nowhere (a plain TIFF whose world file is
    missing).
    """
    if not ds.transform.is_identity:
        return
    gcps, _ = ds.gcps
    if gcps:
        how = (
            f"its pixels are placed by {len(gcps)} ground control points; warp it to a "
            "north-up grid first (gdalwarp -tps in.tif north_up.tif)"
        )
    elif ds.rpcs is not None:
        how = (
            "its pixels are placed by rational polynomial coefficients; orthorectify it "
            "first (gdalwarp -rpc in.tif north_up.tif)"
        )
    else:
        how = (
            "it is a plain image: put its world file (.tfw) beside it or georeference it "
            "(gdal_translate -a_ullr ... -a_srs ...)"
        )
    raise InputError(f"{name}: raster has no geotransform (its pixels have no position); {how}")


def _packing(da: xr.DataArray, words: tuple[str, str] = ("band scales", "offsets")) -> str | None:
    """Say how packed values were decoded (a band scale or offset other than 1 and 0).

    ``words`` name the scale and the offset as the file calls them (a GeoTIFF's band
    scales and offsets, a NetCDF variable's ``scale_factor`` and ``add_offset``).
    """
    enc = da.encoding
    scales = enc.get("scales") or ([enc["scale_factor"]] if "scale_factor" in enc else [])
    offsets = enc.get("offsets") or ([enc["add_offset"]] if "add_offset" in enc else [])
    scales = [float(v) for v in scales]
    offsets = [float(v) for v in offsets]
    if all(v == 1.0 for v in scales) and all(v == 0.0 for v in offsets):
        return None
    scales = scales or [1.0] * len(offsets)  # one of the two stated: the other is its
    offsets = offsets or [0.0] * len(scales)  # default
    return (
        f"stored {enc.get('rasterio_dtype', enc.get('dtype', '?'))} values decoded as "
        f"value x scale + offset ({words[0]} {scales}, {words[1]} {offsets})"
    )


def _pick_dim(da: xr.DataArray, names: tuple[str, ...], std: str) -> str | None:
    for d in da.dims:
        c = da[d] if d in da.coords else None
        attrs = c.attrs if c is not None else {}
        if (
            str(d).lower() in names
            or attrs.get("standard_name") == std
            or attrs.get("units", "")
            in (
                {"degrees_north", "degree_north", "degrees_N"}
                if std == "latitude"
                else {"degrees_east", "degree_east", "degrees_E"}
            )
        ):
            return str(d)
    return None


def _cf_axis(da: xr.DataArray, dim: str, std: str) -> bool:
    """Whether CF metadata (standard_name or degree units) says ``dim`` is ``std``."""
    if dim not in da.coords:
        return False
    attrs = da[dim].attrs
    units = str(attrs.get("units", "")).lower().replace(" ", "_")
    want = (
        ("degrees_north", "degree_north", "degrees_n", "degree_n")
        if std == "latitude"
        else (
            "degrees_east",
            "degree_east",
            "degrees_e",
            "degree_e",
        )
    )
    return attrs.get("standard_name") == std or units in want


def _netcdf_crs(
    ds, da, src, lat: str, lon: str, assumptions: dict[str, Any], *, by_aux: bool = False
):
    """Return the CRS of a NetCDF variable: grid_mapping, else CF lat/lon in degree ranges.

    A grid_mapping naming a projection places a grid whose axes are projected x/y; when the
    axes are latitude/longitude in degrees (CF metadata, or coordinate variables the grid is
    placed by, ``by_aux``) it is not used: degrees read as metres of a polar stereographic
    grid put the pixels within a few hundred metres of its pole.  Returns None when nothing
    places the grid (the caller refuses unless ``crs`` is set).
    """
    from pyproj import CRS

    gm = da.attrs.get("grid_mapping") or da.encoding.get("grid_mapping")
    projection = None
    if gm and gm in ds:
        try:
            crs = CRS.from_cf(ds[gm].attrs)
        except Exception:  # noqa: BLE001 (pyproj raises several types for incomplete mappings)
            crs = None
        if crs is not None and crs.is_projected and _degree_axes(da, lat, lon, by_aux):
            projection = f"{gm!r} ({ds[gm].attrs.get('grid_mapping_name', crs.name)})"
            crs = None
        if crs is not None:
            assumptions["crs"] = {
                "value": _crs_text(crs),
                "by": "file",
                "evidence": f"CF grid_mapping variable {gm!r}",
            }
            return crs
    if src.crs is not None:
        _refuse_projected_over_degrees(src, da, lat, lon, by_aux)
        return None  # open_raster writes the configured CRS and records it
    ys = np.asarray(da[lat].to_numpy(), dtype="float64") if lat in da.coords else np.empty(0)
    xs = np.asarray(da[lon].to_numpy(), dtype="float64") if lon in da.coords else np.empty(0)
    in_range = (
        ys.size > 0
        and xs.size > 0
        and bool(np.all(np.abs(ys[np.isfinite(ys)]) <= 90))
        and bool(np.all((xs[np.isfinite(xs)] >= -180) & (xs[np.isfinite(xs)] <= 360)))
    )
    cf = _cf_axis(da, lat, "latitude") and _cf_axis(da, lon, "longitude")
    named = _lat_lon_named(lat, lon) or by_aux
    if in_range and (cf or named):
        why = (
            "CF latitude/longitude coordinates"
            if cf
            else f"coordinate variables named {lat!r}/{lon!r}"
            if by_aux
            else f"axes named {lat!r}/{lon!r}"
        )
        first = (
            f"grid_mapping {projection} names a projection, but the grid is placed by its "
            "latitude/longitude (the projection is not used; they are read as WGS 84)"
            if projection
            else "no grid_mapping"
        )
        assumptions["crs"] = {
            "value": "EPSG:4326",
            "by": "cf-coordinates" if cf else "axis-names",
            "evidence": f"{first}; {why} with values within degree ranges "
            f"(lat {np.nanmin(ys):g}..{np.nanmax(ys):g}, lon {np.nanmin(xs):g}..{np.nanmax(xs):g})",
        }
        return CRS.from_epsg(4326)
    return None


def _refuse_projected_over_degrees(src, da: xr.DataArray, lat: str, lon: str, by_aux: bool) -> None:
    """Refuse a configured projected ``crs`` over axes the file marks as latitude/longitude.

    Their degrees read as metres of the configured projection put a 3° grid in a few metres
    by its false origin; a geographic ``crs`` (another datum) is taken.
    """
    from pyproj import CRS

    if not (by_aux or (_cf_axis(da, lat, "latitude") and _cf_axis(da, lon, "longitude"))):
        return
    try:
        configured = CRS.from_user_input(src.crs)
    except Exception:  # noqa: BLE001 (an unreadable crs is refused where it is written)
        return
    if configured.is_projected:
        raise InputError(
            f"{src.path.name}: crs {src.crs!r} is configured, a projection in "
            f"{configured.axis_info[0].unit_name}s, but the file places the grid by latitude/"
            f"longitude {lat!r}/{lon!r} in degrees; remove crs from the raster's config (or "
            "give the geographic CRS of their datum, e.g. 'EPSG:4326')"
        )


def _geographic_text(crs: str) -> bool:
    """Whether a configured ``crs`` is geographic (False when pyproj cannot read it)."""
    from pyproj import CRS

    try:
        return bool(CRS.from_user_input(crs).is_geographic)
    except Exception:  # noqa: BLE001 (an unreadable crs is refused where it is written)
        return False


def _lat_lon_named(lat: str, lon: str) -> bool:
    return lat.lower() in ("lat", "latitude", "nav_lat") and lon.lower() in (
        "lon",
        "long",
        "longitude",
        "nav_lon",
    )


def _degree_axes(da: xr.DataArray, lat: str, lon: str, by_aux: bool) -> bool:
    """Whether the axes ``lat``/``lon`` are latitude/longitude in degrees, not projected x/y.

    By CF metadata, or by their names with values within degree ranges (axes named lat/lon
    holding metres stay projected).
    """
    if by_aux or (_cf_axis(da, lat, "latitude") and _cf_axis(da, lon, "longitude")):
        return True
    if not _lat_lon_named(lat, lon) or lat not in da.coords or lon not in da.coords:
        return False
    ys = np.asarray(da[lat].to_numpy(), dtype="float64")
    xs = np.asarray(da[lon].to_numpy(), dtype="float64")
    return bool(np.nanmax(np.abs(ys), initial=0) <= 90 and np.nanmax(np.abs(xs), initial=0) <= 360)


#: Names of latitude/longitude coordinate variables that carry no CF attributes (NEMO's
#: ``nav_lat``, ROMS's ``lat_rho``, WRF's ``XLAT``, POP's ``TLAT``).
_AUX_LAT_NAMES = ("lat", "latitude", "nav_lat", "lat_rho", "xlat", "tlat", "gphit")
_AUX_LON_NAMES = ("lon", "long", "longitude", "nav_lon", "lon_rho", "xlong", "tlong", "glamt")
#: How far a 2-D latitude (longitude) may vary along a row (column) of a regular grid (°).
_REGULAR_TOL_DEG = 1e-9


def _lat_lon_role(name: str, attrs: dict) -> str | None:
    """Return "latitude" or "longitude" when a variable is one by CF metadata or name."""
    units = str(attrs.get("units", "")).lower().replace(" ", "_")
    std = attrs.get("standard_name")
    if std == "latitude" or units in ("degrees_north", "degree_north", "degrees_n", "degree_n"):
        return "latitude"
    if std == "longitude" or units in ("degrees_east", "degree_east", "degrees_e", "degree_e"):
        return "longitude"
    if name.lower() in _AUX_LAT_NAMES:
        return "latitude"
    if name.lower() in _AUX_LON_NAMES:
        return "longitude"
    return None


def _placing_variables(ds) -> set[str]:
    """Return the data variables that place a grid rather than measure on it.

    Latitude/longitude arrays (2-D ones a file stores as plain variables, no ``coordinates``
    attribute naming them) and the cell bounds a coordinate's ``bounds`` names (``lat_bnds``),
    or its CF ``climatology`` attribute (a climatology's ``climatology_bnds(time, nv)``).
    """
    out = {str(v) for v in ds.data_vars if _lat_lon_role(str(v), ds[v].attrs) is not None}
    for v in ds.variables.values():
        for key in ("bounds", "climatology"):
            if isinstance(v.attrs.get(key), str):
                out.add(v.attrs[key])
    return out


def _by_auxiliary_lat_lon(
    ds,
    da: xr.DataArray,
    var: str,
    name: str,
    memory_budget_mb: float,
    assumptions: dict[str, Any],
    by_centres: bool = False,
) -> tuple[xr.DataArray, str, str] | None:
    """Give a grid placed by latitude/longitude variables its axes; return it and their names.

    Dimensions ``(y, x)`` (``rows, cols``, ``nj, ni``) without coordinate values are placed by
    1-D ``lat(y)``, ``lon(x)`` (named by ``coordinates`` or not), or by 2-D ``lat(y, x)``,
    ``lon(y, x)`` constant along rows and columns (within 1e-9°: a regular grid stored the
    curvilinear way).  Either is read as the same grid written with ``lat(lat)``,
    ``lon(lon)``.  A 2-D grid that is not regular (ROMS, NEMO, a swath) is refused: each
    pixel is a quadrilateral of its own, which zonal statistics on a regular transform would
    misplace.  With ``by_centres`` (zonal ``method: centre``) it is kept instead, on its own
    dimensions, and marked ``attrs["curvilinear"]``: each pixel is then placed by its own
    centre's latitude/longitude (:func:`pipeline.zonal.zonal_stats_to_cells`).  None when no
    latitude/longitude variable spans the variable's dimensions.
    """
    dims = set(da.dims)
    found: dict[str, list[str]] = {"latitude": [], "longitude": []}
    listed = [str(c) for c in da.coords] + [str(v) for v in ds.variables if v not in da.coords]
    for c in listed:
        if c == var or c in da.dims or c not in ds.variables and c not in da.coords:
            continue
        v = da.coords[c] if c in da.coords else ds[c]
        if not 1 <= v.ndim <= 2 or not set(v.dims) <= dims:
            continue
        role = _lat_lon_role(c, v.attrs)
        if role is not None:
            found[role].append(c)
    if not found["latitude"] or not found["longitude"]:
        return None
    lat, lon = found["latitude"][0], found["longitude"][0]
    vlat = da.coords[lat] if lat in da.coords else ds[lat]
    vlon = da.coords[lon] if lon in da.coords else ds[lon]
    for c, v, cf in ((lat, vlat, "degrees_north"), (lon, vlon, "degrees_east")):
        units = str(v.attrs.get("units", "")).strip()
        if units and not units.lower().startswith(("deg", "\N{DEGREE SIGN}")):
            # radians (1.57 for 90°N) read as degrees would put the grid beside 0°N 0°E
            raise InputError(
                f"{name}: {c!r} places variable {var!r} but its units are {units!r}, not "
                f"degrees; convert it to degrees ({cf}) first (for radians: ncap2 -s "
                f"'{c}={c}*57.29577951308232' and set its units to {cf})"
            )
    for dim in dict.fromkeys((*vlat.dims, *vlon.dims)):  # loaded whole as 1-D axes below
        _check_axis_length(name, str(dim), int(da.sizes[dim]), 8, memory_budget_mb)
    if vlat.ndim == 1 and vlon.ndim == 1:
        if vlat.dims == vlon.dims:
            return None  # a list of points (a station series), not a grid
        ydim, xdim = str(vlat.dims[0]), str(vlon.dims[0])
        ys = vlat.to_numpy()
        xs = vlon.to_numpy()
        how = f"1-D coordinate variables {lat!r}({ydim}) and {lon!r}({xdim})"
    elif vlat.ndim == 2 and set(vlat.dims) == set(vlon.dims):
        for c, v in ((lat, vlat), (lon, vlon)):
            # read in row blocks below, as the pixels are: a single chunk decodes whole
            _check_chunk(
                name, v, c, memory_budget_mb, "rechunk it (nccopy -c with its dimension names/512)"
            )
        ydim, xdim, ys, xs, worst = _regular_axes(vlat, vlon, memory_budget_mb)
        if ydim is None and by_centres:
            return _curvilinear_centres(da, vlat, vlon, lat, lon, worst, assumptions), lat, lon
        if ydim is None:
            gm = da.attrs.get("grid_mapping") or da.encoding.get("grid_mapping")
            held = [str(d) for d in vlat.dims if d in da.coords]
            # a crs is what reads x/y the grid's axes hold (dims such as eta_rho are none)
            axes = {_pick_dim(da, _LAT_NAMES, "latitude"), _pick_dim(da, _LON_NAMES, "longitude")}
            other_way = (
                f" its grid_mapping {gm!r} names "
                f"{ds[gm].attrs.get('grid_mapping_name', 'a projection')} but the file holds "
                "no x/y coordinates in it: add them, or"
                if gm and gm in ds.variables
                else f" if {held!r} hold projected coordinates, set crs for this raster, or"
                if len(held) == 2 and set(held) == axes
                else ""
            )
            raise InputError(
                f"{name}: variable {var!r} is on a curvilinear grid: its 2-D latitude/longitude "
                f"{lat!r}/{lon!r} ({', '.join(map(str, vlat.dims))}) are not constant along "
                f"rows and columns ({worst}), so no regular transform places its pixels;"
                f"{other_way} regrid it to a regular lat/lon grid first (cdo remapbil, or xESMF), "
                "or read it by pixel centres with zonal method: centre"
            )
        how = (
            f"2-D {lat!r}/{lon!r} constant along each row/column (within {_REGULAR_TOL_DEG:g}°): "
            "a regular grid, read by one column of latitudes and one row of longitudes"
        )
    else:
        return None
    held = [d for d in (ydim, xdim) if d in da.coords]
    da = (
        da.drop_vars(held)
        .assign_coords({lat: (ydim, ys, vlat.attrs), lon: (xdim, xs, vlon.attrs)})
        .swap_dims({ydim: lat, xdim: lon})
    )
    state = (
        "hold values no grid_mapping places, not degrees (not used)"
        if held
        else "hold no coordinate values"
    )
    assumptions["coordinates"] = {
        "value": f"{lat}({ydim}), {lon}({xdim})",
        "by": "file",
        "evidence": f"dimensions {ydim!r}/{xdim!r} {state}; placed by {how}",
    }
    return da, lat, lon


def _unplaced_why(ds, da: xr.DataArray) -> str:
    """Say why no latitude/longitude places ``da``; empty when no reason is seen.

    A ``coordinates`` attribute naming variables the file lacks, or latitude/longitude on
    other dimensions (a swath's tie points).
    """
    named = str(da.encoding.get("coordinates") or da.attrs.get("coordinates") or "").split()
    missing = [c for c in named if c not in ds.variables]
    if missing:
        return (
            f"; its coordinates attribute names {missing!r}, which the file does not hold "
            "(a file cut from a larger one without its coordinates?)"
        )
    sizes = {str(d): int(n) for d, n in ds.sizes.items()}
    other = [
        (str(v), ds[v].dims)
        for v in ds.variables
        if v not in da.dims
        and 1 <= ds[v].ndim <= 2
        and not set(ds[v].dims) <= set(da.dims)
        and _lat_lon_role(str(v), ds[v].attrs) is not None
    ]
    if other:
        shown = ", ".join(
            f"{v!r}({' x '.join(str(sizes[str(d)]) for d in dims)})" for v, dims in other[:4]
        )
        shape = " x ".join(str(int(n)) for n in da.shape)
        return (
            f"; latitude/longitude {shown} are on other dimensions than its {shape} pixels "
            "(a swath's tie points?), so they place none of them: interpolate them to every "
            "pixel first"
        )
    return ""


def _curvilinear_centres(
    da: xr.DataArray, vlat, vlon, lat: str, lon: str, worst: str, assumptions: dict[str, Any]
) -> xr.DataArray:
    """Keep a curvilinear grid on its own dimensions, placed by each pixel centre's lat/lon.

    Values and coordinates stay lazy; latitude/longitude stored as plain variables become
    its coordinates, and x/y holding values nothing places (a numbering, metres without
    their grid_mapping) are dropped: the 2-D latitude/longitude place every pixel.
    """
    ydim, xdim = (str(d) for d in vlat.dims)
    held = [d for d in (ydim, xdim) if d in da.coords]
    da = da.drop_vars(held).assign_coords(
        {lat: vlat.variable, lon: vlon.transpose(ydim, xdim).variable}
    )
    da.attrs["curvilinear"] = {"lat": lat, "lon": lon, "dims": [ydim, xdim]}
    shape = f"{int(da.sizes[ydim])} x {int(da.sizes[xdim])}"
    assumptions["coordinates"] = {
        "value": f"{lat}({ydim}, {xdim}), {lon}({ydim}, {xdim})",
        "by": "file",
        "evidence": f"a curvilinear grid of {shape} pixels: its 2-D {lat!r}/{lon!r} are not "
        f"constant along rows and columns ({worst}); read by pixel centres (zonal method: "
        "centre): each pixel counts for the H3 cell holding its own centre's latitude/"
        "longitude (WGS 84 degrees, longitudes modulo 360); a cell no centre falls in has no "
        "value, as on a regular grid",
    }
    return da


def _regular_axes(vlat, vlon, memory_budget_mb: float):
    """Return the 1-D axes of regular 2-D latitude/longitude, or Nones and how far off.

    Checked in row blocks within the budget (a 2-D coordinate is as large as a band).
    Returns ``(ydim, xdim, lats, lons, None)`` or ``(None, None, None, None, worst)``.
    """
    a, b = (str(d) for d in vlat.dims)
    vlon = vlon.transpose(a, b)
    n_a, n_b = int(vlat.sizes[a]), int(vlat.sizes[b])
    rows = max(1, int(memory_budget_mb * 2**20 // 8 // 8 // max(n_b, 1)))
    lat_first_col = np.asarray(vlat.isel({b: 0}).to_numpy(), dtype="float64")
    lat_first_row = np.asarray(vlat.isel({a: 0}).to_numpy(), dtype="float64")
    lon_first_col = np.asarray(vlon.isel({b: 0}).to_numpy(), dtype="float64")
    lon_first_row = np.asarray(vlon.isel({a: 0}).to_numpy(), dtype="float64")
    # lat varies along a (constant along b) and lon along b, or the other way round; a
    # coordinate not finite (a swath's fill) makes neither hold (NaN compares as inf)
    dev = np.zeros(2)
    for start in range(0, n_a, rows):  # block by block, never the whole coordinate
        block = slice(start, start + rows)
        la = np.asarray(vlat.isel({a: block}).to_numpy(), dtype="float64")
        lo = np.asarray(vlon.isel({a: block}).to_numpy(), dtype="float64")
        along = [
            np.abs(la - lat_first_col[block, None]),
            np.abs(lo - lon_first_row[None, :]),
            np.abs(la - lat_first_row[None, :]),
            np.abs(lo - lon_first_col[block, None]),
        ]
        worst = np.array([float(np.max(d, initial=0.0)) for d in along])
        worst[~np.isfinite(worst)] = np.inf
        dev = np.maximum(dev, [max(worst[0], worst[1]), max(worst[2], worst[3])])
    if dev[0] <= _REGULAR_TOL_DEG:
        return a, b, lat_first_col, lon_first_row, None
    if dev[1] <= _REGULAR_TOL_DEG:
        return b, a, lat_first_row, lon_first_col, None
    off = float(np.min(dev))
    text = "some not finite" if not np.isfinite(off) else f"by up to {off:.3g}°"
    return None, None, None, None, text


#: Copies of a dimension's coordinate held while it is opened (its values, the decoded
#: times, the index built on them).
_AXIS_COPIES = 4
#: The memory an axis may take whatever the budget (MiB): the budget is the pixels' (a
#: raster above it is read in windows, not refused); 64 MiB is two million steps, far more
#: than a real axis (hourly over two centuries).
_AXIS_FLOOR_MB = 64.0


def _store_dimensions(path: Path, engine: str) -> dict[str, tuple[int, int]]:
    """Return each dimension's size (and 8 bytes a step) from the backend's store, unread."""
    from xarray import backends

    store = (
        backends.H5NetCDFStore.open(str(path))
        if engine == "h5netcdf"
        else backends.ScipyDataStore(str(path))
        if engine == "scipy"
        else backends.NetCDF4DataStore.open(str(path))
    )
    try:
        dims = store.get_dimensions().items()  # an unlimited one may say None: unknown
        return {str(d): (int(n), 8) for d, n in dims if n is not None}
    finally:
        store.close()


def _check_netcdf_axes(path: Path, engine: str, memory_budget_mb: float) -> None:
    """Refuse a NetCDF file whose dimension coordinates alone exceed the memory budget.

    Opening a dataset loads (and decodes) every dimension coordinate into an index: a
    file of 8 MB declaring a time axis of 10^9 unwritten steps asked for 7.5 GiB before a
    pixel was read.  The sizes are read first without building any index.
    """
    try:
        try:
            with xr.open_dataset(
                path, engine=engine, decode_cf=False, create_default_indexes=False, cache=False
            ) as ds:
                axes = {
                    str(d): (int(n), ds[d].dtype.itemsize)
                    for d, n in ds.sizes.items()
                    if d in ds.variables and ds[d].ndim == 1
                }
        except TypeError:  # an xarray before create_default_indexes: the backend's sizes
            axes = _store_dimensions(path, engine)
    except Exception:  # noqa: BLE001 (an unreadable file: the open that follows says why)
        return
    for dim, (n, itemsize) in axes.items():
        _check_axis_length(path.name, dim, n, itemsize, memory_budget_mb)


def _check_axis_length(name: str, dim: str, n: int, itemsize: int, memory_budget_mb: float) -> None:
    """Refuse a dimension whose coordinate alone would take more than the budget to open."""
    limit = max(memory_budget_mb, _AXIS_FLOOR_MB)
    need = n * max(itemsize, 8) * _AXIS_COPIES / 2**20
    if need > limit:
        raise SourceUnreadable(
            f"{name}: dimension {dim!r} declares {n:,} steps; opening its coordinate "
            f"takes about {need:,.0f} MiB, above {limit:g} MiB (ingest.memory_budget_mb="
            f"{memory_budget_mb:g}, at least {_AXIS_FLOOR_MB:g}) (a damaged or hostile "
            "file, or one far longer than a raster's axis); cut the file to the steps "
            "needed (cdo seltimestep, ncks -d) or raise the budget"
        )


def _open_netcdf(
    src: RasterSource,
    engine: str,
    memory_budget_mb: float,
    assumptions: dict[str, Any],
    as_of: pd.Timestamp | None = None,
    by_centres: bool = False,
) -> xr.DataArray:
    name = src.path.name
    _check_netcdf_axes(src.path, engine, memory_budget_mb)
    try:
        try:
            ds = xr.open_dataset(
                src.path, engine=engine, mask_and_scale=True, decode_times=True, cache=False
            )
        except ValueError as exc:
            if "decode time" not in str(exc):
                raise
            # A calendar pandas has no dates for (a climate model's noleap or 360_day), or
            # units it cannot convert ("months since"): the steps are kept as the numbers
            # the file holds, never turned into dates by a guess (see _select_undated_time)
            ds = xr.open_dataset(
                src.path, engine=engine, mask_and_scale=True, decode_times=False, cache=False
            )
    except Exception as exc:  # netCDF backends raise many types for bad files
        raise SourceUnreadable(
            f"{name}: unreadable NetCDF: {type(exc).__name__}: {_first_line(exc)}"
        ) from exc
    # NetCDF variable names are strings; xarray types them as Hashable.
    names = [str(v) for v in ds.data_vars]
    # 2-D latitude/longitude stored as variables (no ``coordinates`` attribute names them)
    # and cell bounds place the grid; they are not a quantity to choose among
    placing = _placing_variables(ds)
    data_vars = [v for v in names if ds[v].ndim >= 2 and v not in placing]
    if (src.variable is None and not data_vars) or (
        src.variable is not None and src.variable not in names
    ):
        grouped = _grouped_grids(src.path) if engine == "h5netcdf" else []
        if grouped:
            # An HDF5/HDF-EOS5 product (VIIRS Black Marble VNP46A2, a MODIS/VIIRS .h5) keeps
            # its grids in groups: naming one in ``variable`` cannot reach it
            shown = ", ".join(repr(g) for g in grouped[:6])
            more = f" and {len(grouped) - 6} more" if len(grouped) > 6 else ""
            asked = f"variable {src.variable!r} is not at its root: " if src.variable else ""
            raise InputError(
                f"{name}: {asked}the file has {len(names)} variable(s) at its root and its "
                f"gridded datasets are in HDF5 groups ({shown}{more}), which are not read; "
                "export the one to use with its georeferencing to a GeoTIFF first (gdal_translate "
                f"'HDF5:\"{name}\"://{grouped[0].replace(' ', '_')}' out.tif) and give that file"
            )
    if src.variable is not None:
        if src.variable not in names:
            raise InputError(
                f"{name}: variable {src.variable!r} not found; it has {sorted(names)!r}"
            )
        var = src.variable
    elif len(data_vars) == 1:
        var = data_vars[0]
    else:
        raise InputError(
            f"{name}: {len(data_vars)} gridded variables {sorted(data_vars)!r}; set variable "
            "in the raster's config"
        )
    da = ds[var]
    _check_chunk(
        name,
        da,
        var,
        memory_budget_mb,
        "rechunk it (nccopy -c lat/512,lon/512 in.nc out.nc, with its dimension names)",
    )
    _check_packing_numbers(da.encoding, name, f"variable {var!r}")
    if packed := _packing(da, ("scale_factor", "add_offset")):  # CF packing, decoded by
        assumptions["scale_offset"] = packed  # xarray: said as a GeoTIFF band's is
    flags = [k for k in ("flag_values", "flag_masks", "flag_meanings") if k in da.attrs]
    special = _special_flag_values(da.attrs)
    if special is not None:
        # flags beside a quantity (NSIDC sea ice concentration: 0..100 %, with 251 pole
        # hole .. 254 land): outside its valid range, so missing, and the rest is a quantity
        assumptions["flag_values"] = {
            "value": special[0],
            "by": "file",
            "evidence": f"CF flag_values ({special[1]}) lie outside the valid range "
            f"{special[2]} (stored units): special values, missing; the other values are "
            "a quantity, not classes",
        }
    elif flags:
        # CF flags: the values are classes (ESA CCI land cover's lccs_class) or bit masks
        da.attrs["categorical"] = f"variable {var!r} has CF {flags[0]}"
    packing = _stored_packing(da.encoding)
    da = _mask_valid_range(da, name, packing, memory_budget_mb, assumptions)
    lat = _pick_dim(da, _LAT_NAMES, "latitude")
    lon = _pick_dim(da, _LON_NAMES, "longitude")
    by_aux = None
    unplaced_axes = (
        # x/y values nothing says are positions (no grid_mapping, not degrees: a numbering
        # 0, 1, 2 ...), beside lat/lon variables that place them; a configured projected crs
        # says x/y are its metres, a geographic one says the grid is in degrees: lat/lon's
        lat is not None
        and lon is not None
        and (src.crs is None or _geographic_text(src.crs))
        and not (da.attrs.get("grid_mapping") or da.encoding.get("grid_mapping"))
        and not _degree_axes(da, lat, lon, False)
    )
    if unplaced_axes or lat is None or lon is None or lat not in da.coords or lon not in da.coords:
        by_aux = _by_auxiliary_lat_lon(ds, da, var, name, memory_budget_mb, assumptions, by_centres)
        if by_aux is not None:
            da, lat, lon = by_aux
    if lat is None or lon is None:
        raise InputError(
            f"{name}: variable {var!r} has dims {list(da.dims)!r}; expected latitude and "
            f"longitude dimensions (lat/lon or CF standard_name){_unplaced_why(ds, da)}"
        )
    curvilinear = da.attrs.get("curvilinear")
    if curvilinear:
        # the grid's own dimensions are its axes; its 2-D lat/lon place each pixel centre
        lat, lon = curvilinear["dims"]
        crs = None
    else:
        _refuse_axes_without_values(da, lat, lon, name)
        for axis in (lat, lon):
            units = str(da[axis].attrs.get("units", "")).strip()
            if units.lower() in ("radian", "radians", "rad"):
                # within ±1.6 / ±3.2, read as degrees beside 0°N 0°E
                raise InputError(
                    f"{name}: axis {axis!r} of variable {var!r} is in {units!r}, not degrees; "
                    f"convert it to degrees first (ncap2 -s '{axis}={axis}*57.29577951308232' "
                    "and set its units to degrees_north/degrees_east)"
                )
        crs = _netcdf_crs(ds, da, src, lat, lon, assumptions, by_aux=by_aux is not None)
    other = [str(d) for d in da.dims if d not in (lat, lon)]
    unknown = sorted(set(src.select) - set(other))
    if unknown:
        raise InputError(
            f"{name}: select names {unknown!r}, not a dimension of {var!r} besides its "
            f"axes; its other dimensions are {other!r}"
        )
    chosen: dict[str, str] = {}
    for dim, spec in src.select.items():
        da, chosen[dim] = _select_dim(da, dim, spec, name)
    other = [d for d in other if d not in src.select]
    time_dim = next(
        (d for d in other if d in da.coords and np.issubdtype(da[d].dtype, np.datetime64)), None
    )
    if time_dim is None:
        time_dim = next((d for d in other if d.lower() in ("time", "t")), None)
    if time_dim is not None and not (
        time_dim in da.coords and np.issubdtype(da[time_dim].dtype, np.datetime64)
    ):
        da, chosen[time_dim] = _select_undated_time(da, time_dim, src)
    elif time_dim is not None:
        steps = pd.to_datetime(da[time_dim].to_numpy()) if time_dim in da.coords else None
        da = _select_time(da, time_dim, src, memory_budget_mb, as_of)
        later = da.attrs.pop("steps_after_as_of", 0)
        if da.attrs.get("time_window"):
            chosen[time_dim] = str(da.attrs["time_window"])
        elif time_dim in da.coords and steps is not None:
            when = pd.Timestamp(np.asarray(da[time_dim].to_numpy()).reshape(-1)[0]).isoformat()
            chosen[time_dim] = f"{src.time!s} step of {len(steps)}: {when}"
            if later:
                chosen[time_dim] += (
                    f" (the latest on or before as_of; {later} later step(s), after the "
                    "run's day, left out)"
                )
    if chosen:
        assumptions["selection"] = chosen
    extra = [str(d) for d in da.dims if d not in (lat, lon)]
    if len(extra) > 1:
        sizes = {d: int(da.sizes[d]) for d in extra}
        raise InputError(
            f"{name}: variable {var!r} has {len(extra)} dimensions besides its axes {sizes!r}; "
            "pick one step of all but one with select, e.g. select: "
            + "{"
            + ", ".join(f"{d}: 0" for d in extra[:-1])
            + "}"
        )
    da = da.rename({lat: "y", lon: "x"})
    if extra:
        da = da.rename({extra[0]: "band"})
        if src.band is not None:
            if src.band > da.sizes["band"]:
                raise InputError(
                    f"{name}: band {src.band!r} requested, dimension {extra[0]!r} has "
                    f"1..{da.sizes['band']}"
                )
            da = da.isel(band=[src.band - 1])
        assumptions["bands"] = f"dimension {extra[0]!r} read as bands"
        if src.band is not None:
            # which step of it band N is (a depth of 0.494 m, a level of 850 hPa): stated
            step = da["band"].to_numpy()[0] if "band" in da.coords else src.band - 1
            text = str(step.item() if hasattr(step, "item") else step)
            if np.issubdtype(np.asarray(step).dtype, np.floating):
                text = str(float(str(step)))  # as the file holds it (float32: 1.541375)
            elif np.issubdtype(np.asarray(step).dtype, np.datetime64):
                text = pd.Timestamp(step).isoformat()
            units = da["band"].attrs.get("units", "") if "band" in da.coords else ""
            chosen[extra[0]] = (
                f"band {src.band} -> index {src.band - 1} ({text}{' ' + units if units else ''})"
            )
            assumptions["selection"] = chosen
    else:
        da = _lazily_float(da, add_band=True)
    da = da.transpose("band", "y", "x")
    if curvilinear:
        if not np.issubdtype(da.dtype, np.floating):
            da = _lazily_float(da, add_band=False)
        # set again: a time window's aggregate keeps no attrs
        da.attrs["curvilinear"] = {
            **curvilinear,
            "shape": [int(da.sizes["y"]), int(da.sizes["x"])],
        }
        if packing:
            da.attrs["packing"] = packing
        return da
    geographic = crs is not None and crs.is_geographic
    if geographic:
        da = _without_repeated_meridian(da, crs, assumptions)
    xs = da["x"].to_numpy().astype("float64")
    if geographic and xs.size and np.nanmax(xs) > 180:
        wrapped = ((xs + 180) % 360) - 180
        order = np.argsort(wrapped, kind="stable")
        if _uneven(wrapped[order], da["x"].dtype) is None:
            da = da.isel(x=order).assign_coords(x=wrapped[order])
            assumptions["longitudes"] = "0..360 wrapped to -180..180"
        else:
            # A regional grid across the antimeridian (150..250°E) wrapped and sorted would
            # be two pieces with a gap between; its transform would stretch it over the globe.
            assumptions["longitudes"] = (
                f"kept as {np.nanmin(xs):g}..{np.nanmax(xs):g} (east of 180 across the "
                "antimeridian; wrapped they would not be one contiguous grid)"
            )
    for dim, axis in (("x", lon), ("y", lat)):
        worst = _uneven(da[dim].to_numpy(), da[dim].dtype)
        if worst is not None:
            raise InputError(
                f"{name}: {axis!r} coordinates are not evenly spaced ({worst}); only regular "
                "grids are read (a Mercator or other stretched grid would be misplaced): "
                "regrid it to a regular lat/lon grid first (e.g. cdo remapbil or gdalwarp)"
            )
    for dim, axis in (("y", lat), ("x", lon)):
        if da.sizes[dim] < 2:
            # rioxarray cannot tell a pixel's size from one coordinate and takes 1 unit (a
            # 0.1° row read as 1° tall, its columns spread over the wrong longitudes)
            raise InputError(
                f"{name}: {axis!r} holds a single coordinate ({float(da[dim].to_numpy()[0]):g}), so "
                "the pixel size along it is unknown; only grids of at least 2 x 2 pixels are "
                "read (export it with its georeferencing to a GeoTIFF, which states the size)"
            )
    ys = da["y"].to_numpy()
    if ys.size > 1 and ys[0] < ys[-1]:
        da = da.isel(y=slice(None, None, -1))
    if not np.issubdtype(da.dtype, np.floating):
        da = _lazily_float(da, add_band=False)
    da = da.rio.set_spatial_dims(x_dim="x", y_dim="y")
    if crs is not None:
        da = da.rio.write_crs(crs)
    else:
        _refuse_unplaced(da, src, name)
    da = da.rio.write_transform(da.rio.transform(recalc=True))
    if packing:
        da.attrs["packing"] = packing
    return da


def _special_flag_values(attrs: dict) -> tuple[list[float], str, str] | None:
    """Return CF ``flag_values`` that are special values beside a quantity, else None.

    They are when every one lies outside the variable's ``valid_range`` (or
    ``valid_min``/``valid_max``): those cells are missing by that range, and the values in it
    are a quantity (a concentration), not class codes.  ``flag_masks`` (bits) never are.
    Returns the values, their meanings and the range as text.
    """
    if "flag_values" not in attrs or "flag_masks" in attrs:
        return None
    try:
        values = np.asarray(attrs["flag_values"], dtype="float64").ravel()
        if "valid_range" in attrs:
            lo, hi = (float(v) for v in np.asarray(attrs["valid_range"], "float64").ravel()[:2])
        else:
            lo = float(np.asarray(attrs.get("valid_min", -np.inf), "float64").ravel()[0])
            hi = float(np.asarray(attrs.get("valid_max", np.inf), "float64").ravel()[0])
    except (TypeError, ValueError):
        return None
    if not values.size or (lo == -np.inf and hi == np.inf) or not np.isfinite(values).all():
        return None
    if np.any((values >= lo) & (values <= hi)):
        return None
    meanings = str(attrs.get("flag_meanings", "")).strip() or "no meanings given"
    return [float(v) for v in values], meanings, f"[{lo:g}, {hi:g}]"


def _grouped_grids(path: Path) -> list[str]:
    """Return the paths of the 2-D or larger datasets inside HDF5 groups (not at the root).

    Empty when the file cannot be walked (the caller's refusal then stands as it is).
    """
    import h5py

    found: list[str] = []

    def visit(obj_name: str, obj) -> None:
        if "/" in obj_name and isinstance(obj, h5py.Dataset) and obj.ndim >= 2:
            found.append(obj_name)

    try:
        with h5py.File(path, "r") as f:
            f.visititems(visit)
    except (OSError, ValueError, RuntimeError):  # h5py's errors for a file it cannot walk
        return []
    return found


def _mask_valid_range(
    da: xr.DataArray,
    name: str,
    packing: dict[str, Any] | None,
    memory_budget_mb: float,
    assumptions: dict[str, Any],
) -> xr.DataArray:
    """Make values outside CF ``valid_range`` / ``valid_min`` / ``valid_max`` missing.

    CF (and GDAL's HONOUR_VALID_RANGE) read them as missing; the bounds are in stored units,
    so a packed variable's bounds are decoded first.  Masked lazily (dask, row blocks) before
    any time step is picked or averaged.
    """
    attrs = da.attrs
    lo, hi = -np.inf, np.inf
    if "valid_range" in attrs:
        rng = np.asarray(attrs["valid_range"], dtype="float64").ravel()
        if rng.size != 2 or not np.all(np.isfinite(rng)) or rng[0] > rng[1]:
            raise InputError(
                f"{name}: valid_range {attrs['valid_range']!r} is not two increasing numbers; "
                "fix the file's valid_range attribute"
            )
        lo, hi = float(rng[0]), float(rng[1])
    else:
        if "valid_min" in attrs:
            lo = float(np.asarray(attrs["valid_min"]).ravel()[0])
        if "valid_max" in attrs:
            hi = float(np.asarray(attrs["valid_max"]).ravel()[0])
    if lo == -np.inf and hi == np.inf:
        return da
    given = [lo, hi]
    lo, hi, tol = _decoded_range(lo, hi, packing)
    if importlib.util.find_spec("dask") is not None and da.ndim:
        row_bytes = max(da.size // max(da.sizes[da.dims[0]], 1) * 8, 1)
        rows = max(1, int(memory_budget_mb * 2**20 // 4 // row_bytes))
        da = da.chunk({da.dims[0]: rows})
    attrs = dict(da.attrs)
    da = da.where((da >= lo - tol) & (da <= hi + tol))
    da.attrs = attrs
    what = "valid_range" if "valid_range" in attrs else "valid_min/valid_max"
    assumptions["valid_range"] = {
        "value": [float(v) for v in given],
        "by": "file",
        "evidence": f"CF {what}: values outside [{lo:g}, {hi:g}] are missing",
    }
    return da


def _decoded_range(lo: float, hi: float, packing) -> tuple[float, float, float]:
    """Return a valid range in stored units as decoded values (lo, hi) and its tolerance.

    The band's scale/offset decodes the bounds (a negative scale swaps them); integers
    stored are half a step apart, and float32 values at a bound written in float64 differ
    by rounding: the tolerance covers both.
    """
    tol = 0.0
    if packing:
        scale, offset = float(packing["scale"]), float(packing["offset"])
        lo, hi = sorted((lo * scale + offset, hi * scale + offset))
        if np.dtype(packing["dtype"]).kind in "iu":
            tol = 0.5 * abs(scale)
    finite = [abs(v) for v in (lo, hi) if np.isfinite(v)]
    return lo, hi, max(tol, 1e-6 * max(finite, default=0.0))


def _without_repeated_meridian(da: xr.DataArray, crs, assumptions: dict[str, Any]) -> xr.DataArray:
    """Drop a last column that repeats the first 360° east, and say so.

    Grids written with both ends of the globe (-180 and 180, or 0 and 360: 361 columns of
    1°) hold that meridian twice; wrapped, the two columns are one place, and a cell there
    would count its pixels twice in a ``sum`` or ``count``.
    """
    xs = da["x"].to_numpy().astype("float64")
    if crs is None or xs.size < 3 or not np.isfinite(xs[[0, -1]]).all():
        return da
    step = abs(xs[-1] - xs[0]) / (xs.size - 1)
    if abs(abs(xs[-1] - xs[0]) - 360.0) > 0.01 * step or not _periodic_degrees(crs):
        return da
    assumptions["repeated_meridian"] = {
        "value": f"{xs[-1]:g}",
        "by": "file",
        "evidence": f"the last column (x = {xs[-1]:g}) repeats the first (x = {xs[0]:g}) "
        "360° away: read once",
    }
    return da.isel(x=slice(0, -1))


def _uneven(coord: np.ndarray, dtype) -> str | None:
    """Say how far a 1-D coordinate is from evenly spaced, or None when it is even.

    The tolerance is 1 % of the step plus the rounding of the stored coordinates (float32
    longitudes near 360 carry ~3e-5°).
    """
    c = np.asarray(coord, dtype="float64")
    n = c.size
    if n < 3:
        return None
    step = (c[-1] - c[0]) / (n - 1)
    if not np.isfinite(step) or step == 0 or not np.isfinite(c).all():
        return f"first {c[0]:g}, last {c[-1]:g} over {n} values"
    resid = np.abs(c - (c[0] + step * np.arange(n)))
    ulp = np.finfo(dtype).eps if np.issubdtype(dtype, np.floating) else 0.0
    tol = 0.01 * abs(step) + 4 * ulp * float(np.max(np.abs(c)))
    k = int(np.argmax(resid))
    if resid[k] <= tol:
        return None
    gaps = np.diff(c)
    return (
        f"steps from {gaps.min():g} to {gaps.max():g}; value {k} is {c[k]:g}, "
        f"{resid[k]:g} from an even grid of step {step:g}"
    )


def _refuse_axes_without_values(da: xr.DataArray, lat: str, lon: str, name: str) -> None:
    """Refuse a grid whose axes hold no coordinate values, whatever CRS is configured.

    xarray numbers such an axis 0, 1, 2 ...: with a configured CRS those pixel indices would
    be read as degrees or metres.  The grid is curvilinear when 2-D latitude/longitude place
    its pixels (NEMO's ``nav_lat``, ROMS's ``lat_rho``, WRF's ``XLAT``, a satellite swath).
    """
    missing = [d for d in (lat, lon) if d not in da.coords]
    if not missing:
        return
    placed = sorted(
        str(c)
        for c, v in da.coords.items()
        if v.ndim >= 2
        and (
            str(c).lower() in _LAT_NAMES + _LON_NAMES
            or v.attrs.get("standard_name") in ("latitude", "longitude")
            or any(k in str(c).lower() for k in ("lat", "lon"))
        )
    )
    how = (
        f"its pixels are placed by 2-D coordinates {placed!r} (a curvilinear grid), which "
        "are not read; regrid it to a regular lat/lon grid first (cdo remapbil, xesmf)"
        if placed
        else "nothing in the file says where its pixels lie; give it coordinate variables "
        "for both axes (or export it with its georeferencing to a GeoTIFF)"
    )
    raise InputError(
        f"{name}: dimension(s) {missing!r} have no coordinate values (xarray would number "
        f"the pixels 0, 1, 2 ..., and a configured crs would read those as positions); {how}"
    )


def _refuse_unplaced(da: xr.DataArray, src: RasterSource, name: str) -> None:
    """Refuse a NetCDF grid nothing places on the Earth (unless the source gives a CRS)."""
    if src.crs is not None:
        return
    xs = da["x"].to_numpy().astype("float64")
    ys = da["y"].to_numpy().astype("float64")
    span = f"x {np.nanmin(xs):g}..{np.nanmax(xs):g}, y {np.nanmin(ys):g}..{np.nanmax(ys):g}"
    metres = np.nanmax(np.abs(xs)) > 360 or np.nanmax(np.abs(ys)) > 90
    why = "are not degrees (metres?)" if metres else "are not marked as latitude/longitude"
    raise InputError(
        f"{name}: raster has no CRS (no grid_mapping) and its coordinates ({span}) {why}; "
        "set crs for this raster (e.g. 'EPSG:32633'); a CRS is never assumed"
    )


def _refuse_value_or_index(coord: np.ndarray, dim: str, spec: int, name: str, listing) -> None:
    """Refuse a whole number that no step holds but that lies among the steps' values.

    Copernicus Marine's depths (0.494, 1.541, ... 9.573, 11.405, ... m): ``depth: 10`` names
    no step, and read as an index it is the 11th, 15.81 m, not the 10 m meant.  A number
    beyond every value (``depth: 0``, the surface step) is still an index, as documented, and
    one beyond the steps too is refused as matching none.
    """
    if not np.issubdtype(coord.dtype, np.number) or not -coord.size <= spec < coord.size:
        return  # beyond the steps too: refused as matching none
    values = coord.astype("float64")
    ok = np.flatnonzero(np.isfinite(values))
    if ok.size == 0 or not values[ok].min() <= spec <= values[ok].max():
        return
    near = ok[np.argsort(np.abs(values[ok] - spec), kind="stable")[:2]]
    # as the file holds them: a float32 depth of 9.573 is 9.573, not 9.572999954223633
    nearest = sorted({float(str(coord[k])) for k in near})
    lo, hi = float(str(coord[ok].min())), float(str(coord[ok].max()))
    raise InputError(
        f"{name}: select {dim}: {spec!r} is no value of {dim!r} (its {coord.size} step(s) "
        f"from {listing!r} span {lo!r}..{hi!r}), read as a 0-based index it is step "
        f"{spec % coord.size} ({float(str(coord[spec]))}); write "
        f"{dim}: {{value: V}} with one of its values (nearest: {nearest!r}), or "
        f"{dim}: {{index: {spec}}} for the step by its place"
    )


#: How near a number in ``select:`` must be to a float coordinate's value to name it: the noise
#: of a float32 axis read as float64 (a depth of 9.573 held as 9.572999954) or written by a
#: model (10.000001 m), relative; never more than a hundredth of the axis's smallest step.
_SELECT_RTOL = 1e-6
_SELECT_ATOL = 1e-8
_SELECT_STEP_SHARE = 0.01


def _steps_holding(coord: np.ndarray, value: float) -> np.ndarray:
    """Return the indices of the steps of a numeric axis that hold ``value``.

    Whole-number axes (a member, an ``int64`` of seconds) hold it exactly.  A float axis holds
    it at the step nearest to it within its noise, as xarray's ``.sel(method="nearest",
    tolerance=...)`` picks one: ``numpy.isclose``'s tolerance, relative to the value, took
    every step within 1e-5 of it and the last of them, 10 hours past ``time: 1091003`` on
    an hourly axis of hours since 1900, 1.00002 for ``1.00001``.
    """
    values = coord.astype("float64")
    if not np.issubdtype(coord.dtype, np.floating):
        return np.flatnonzero(values == value)
    diff = np.abs(values - value)
    if not np.isfinite(diff).any():
        return np.zeros(0, dtype="int64")
    best = np.nanmin(diff)
    tol = _SELECT_ATOL + _SELECT_RTOL * abs(value)
    steps = np.diff(np.unique(values[np.isfinite(values)]))
    if steps.size:
        tol = min(tol, _SELECT_STEP_SHARE * float(steps.min()))
    return np.flatnonzero(diff == best) if best <= tol else np.zeros(0, dtype="int64")


def _names_a_day(value: Any, want: pd.Timestamp) -> bool:
    """Whether a time ``select`` value names a whole day (``2024-01-01``), not a moment.

    A text with a clock is a moment, midnight too however it is written: ISO 8601's
    ``2024-01-02T00`` (the hour alone), ``2024-01-02 12am`` and ``2024-01-02 0000`` were read
    as that day's last step, 21:00 on a 3-hourly axis.  A text writes a clock when its hour
    is its own: parsed over two default hours, it keeps one.
    """
    if want != want.normalize() or isinstance(value, dt.datetime | pd.Timestamp | np.datetime64):
        return False
    if not isinstance(value, str):
        return True
    try:
        hours = {dateparser.parse(value, default=dt.datetime(2000, 1, 1, h)).hour for h in (3, 4)}
    except (ValueError, OverflowError):  # a spelling pandas reads and dateutil does not
        return not (":" in value or re.search(r"\d[Tt]\d", value))
    return len(hours) == 2


def _names_no_day(value: Any) -> bool:
    """Whether a time ``select`` text writes no day (``2024-01``, ``2024``, ``Jan 2024``).

    Parsed over two default days, its day is not its own.
    """
    if not isinstance(value, str):
        return False
    try:
        days = {dateparser.parse(value, default=dt.datetime(2000, 1, d)).day for d in (3, 4)}
    except (ValueError, OverflowError):  # a spelling pandas reads and dateutil does not
        return False
    return len(days) == 2


def _select_dim(da: xr.DataArray, dim: str, spec, name: str) -> tuple[xr.DataArray, str]:
    """Pick one step of ``dim`` by value or index; return it and what was picked."""
    n = int(da.sizes[dim])
    coord = da[dim].to_numpy() if dim in da.coords else np.arange(n)
    is_time = np.issubdtype(coord.dtype, np.datetime64)
    listing: list[Any]
    daily = False
    if is_time:
        stamps = pd.DatetimeIndex(coord)
        daily = bool((stamps == stamps.normalize()).all())
        # the steps of a sub-daily axis with their clock: a day alone hides which was read
        listing = [str(t.date()) if daily else t.isoformat() for t in stamps[:8]]
    elif np.issubdtype(coord.dtype, np.floating):
        # as the file holds them: a float32 depth of 1.541 is 1.541, not 1.5410000085830688
        listing = [float(str(v)) for v in coord[:8]]
    else:
        listing = [v.item() if hasattr(v, "item") else v for v in coord[:8]]
    that_day = 0

    def by_value(value) -> int | None:
        nonlocal that_day
        if is_time:
            try:
                want = pd.Timestamp(value)
            except (ValueError, TypeError):
                return None
            if _names_no_day(value):
                # '2024-01' is a month (xarray's .sel takes all its steps): read as one step
                # it was the 1st's, unsaid; one step is asked for, so which one is not known
                raise InputError(
                    f"{name}: select {dim}: {value!r} names no day (a month or a year, "
                    f"every step of it), and select: picks one step; give a day or a time "
                    f"(e.g. '{want.date().isoformat()}'), or {{index: N}}"
                )
            if want.tz is not None:
                # a file's zone-less times are UTC (CF): 06:00Z is its 06:00 step, matched none
                want = want.tz_convert("UTC").tz_localize(None)
            stamps = pd.DatetimeIndex(coord)
            if _names_a_day(value, want):
                # a day on a sub-daily axis: its last step, as time: a date reads it (said)
                hit = np.flatnonzero(stamps.normalize() == want)
                # the latest by its clock, not the last written: a time axis running back
                # (newest first) read the day's 00:00, said as its last step
                hit = hit[np.argsort(stamps[hit], kind="stable")]
                that_day = hit.size
            else:
                # a time of day is that step only: 06:00 was read as the day's last, 21:00
                hit = np.flatnonzero(stamps == want)
        elif np.issubdtype(coord.dtype, np.number) and not isinstance(value, str):
            hit = _steps_holding(coord, float(value))
        else:
            hit = np.flatnonzero(coord.astype("str") == str(value))
        return int(hit[-1]) if hit.size else None

    how = ""
    idx: int | None = None
    if isinstance(spec, DimSelect):
        if spec.index is not None:
            idx, how = spec.index, "index"
        else:
            idx, how = by_value(spec.value), "value"
    elif isinstance(spec, bool):
        idx = None
    elif isinstance(spec, int):
        idx, how = by_value(spec), "value"
        if idx is None:
            _refuse_value_or_index(coord, dim, spec, name, listing)
            idx, how = spec, "index"
    else:
        idx, how = by_value(spec), "value"
    if idx is None or not -n <= idx < n:
        raise InputError(
            f"{name}: select {dim}: {spec!r} matches no step; {dim!r} has {n} step(s)"
            f"{' from ' + repr(listing) if listing else ''} (a number is a value when the "
            "dimension has it, else a 0-based index; negative counts from the end)"
        )
    idx = idx % n
    if is_time and how == "value":
        # a step held twice (files joined with an overlap): which grid the value meant is
        # unknown, as for time: a date (the last was read unsaid); an index picks one
        _refuse_repeated_steps(pd.DatetimeIndex(coord), [idx], dim, name)
    label = listing[idx] if idx < len(listing) else coord[idx]
    if is_time and idx >= len(listing):
        label = (
            str(pd.Timestamp(coord[idx]).date()) if daily else pd.Timestamp(coord[idx]).isoformat()
        )
    if that_day > 1 and how == "value":
        label = f"{label}, the last of the {that_day} steps that day"
    given = spec.index if isinstance(spec, DimSelect) and how == "index" else spec
    if isinstance(spec, DimSelect) and how == "value":
        given = spec.value
    return da.isel({dim: idx}), f"{how} {given!r} -> index {idx} ({label})"


def _select_undated_time(da: xr.DataArray, dim: str, src: RasterSource) -> tuple[xr.DataArray, str]:
    """Pick the latest step of a time dimension whose steps are not dates; say which.

    Its steps are numbers (a noleap calendar's "days since", "months since", no units at
    all): read as dates they would be nanoseconds after 1970.  The latest is the largest
    number (the last step without a coordinate); a date or a window cannot be matched and
    is refused with the way to pick a step by index.
    """
    n = int(da.sizes[dim])
    coord = da[dim] if dim in da.coords else None
    units = str(coord.attrs.get("units", "")) if coord is not None else ""
    calendar = coord.attrs.get("calendar") if coord is not None else None
    why = (f"units {units!r}" if units else "no units") + (
        f", calendar {calendar!r}" if calendar else ""
    )
    if src.time != "latest":
        asked = "a time window" if isinstance(src.time, TimeWindow) else f"time {src.time!s}"
        raise InputError(
            f"{src.path.name}: time dimension {dim!r} ({why}) is not read as dates, so "
            f"{asked} cannot be matched; pick its step by index with select: "
            f"{{{dim}: {{index: N}}}} (0-based, {n} steps; -1 is the last)"
        )
    values = coord.to_numpy() if coord is not None else None
    if values is not None and np.issubdtype(values.dtype, np.number) and np.isfinite(values).any():
        idx = int(np.nanargmax(values))
        label = f"{float(str(values[idx])):g}{' ' + units if units else ''}"
        how = "the largest value"
    else:
        idx, label, how = n - 1, f"index {n - 1}", "the last step"
    return da.isel({dim: idx}), (
        f"latest step of {n}: {label} ({how}; its {why} are not read as dates)"
    )


def _select_time(
    da: xr.DataArray,
    dim: Hashable,
    src: RasterSource,
    memory_budget_mb: float,
    as_of: pd.Timestamp | None = None,
):
    name = src.path.name
    times = pd.to_datetime(da[dim].to_numpy())
    if times.size == 0:
        raise InputError(f"{name}: time dimension {dim!r} is empty")
    choice = src.time
    if choice == "latest":
        if as_of is None:
            _refuse_repeated_steps(times, [int(np.argmax(times))], dim, name)
            return da.isel({dim: int(np.argmax(times))})
        # a forecast or a file updated since: its days after the run's day are no 'latest'
        # of a map of that day (the run's records after as_of are left out alike)
        limit = as_of.tz_convert("UTC").tz_localize(None) if as_of.tzinfo else as_of
        before = np.flatnonzero(np.asarray(times <= limit))
        if before.size == 0:
            raise NoTimeStepBefore(
                f"{name}: every time step ({times.min().isoformat()} to "
                f"{times.max().isoformat()}) is after the run's as_of "
                f"({limit.date().isoformat()}); give the file of that day, or a date: "
                "time: YYYY-MM-DD"
            )
        pick = before[int(np.argmax(times[before]))]
        _refuse_repeated_steps(times, [pick], dim, name)
        latest = da.isel({dim: int(pick)})
        latest.attrs = {**da.attrs, "steps_after_as_of": int((times > limit).sum())}
        return latest
    if isinstance(choice, dt.date) and not isinstance(choice, TimeWindow):
        hit = np.flatnonzero(times.normalize() == pd.Timestamp(choice))
        hit = hit[np.argsort(times[hit], kind="stable")]  # the day's latest, newest first too
        if hit.size == 0:
            raise InputError(
                f"{name}: no time step on {choice.isoformat()!r}; steps run from "
                f"{times.min().date().isoformat()} to {times.max().date().isoformat()}"
            )
        _refuse_repeated_steps(times, [int(hit[-1])], dim, name)
        return da.isel({dim: int(hit[-1])})
    win = choice
    assert isinstance(win, TimeWindow)
    sel = np.flatnonzero(
        (times.normalize() >= pd.Timestamp(win.start))
        & (times.normalize() <= pd.Timestamp(win.end))
    )
    if sel.size == 0:
        raise InputError(
            f"{name}: no time step between {win.start.isoformat()} and {win.end.isoformat()}; "
            f"steps run from {times.min().date().isoformat()} to {times.max().date().isoformat()}"
        )
    _refuse_repeated_steps(times, sel, dim, name)
    sub = da.isel({dim: sel})
    ydim = [d for d in sub.dims if d != dim][0]
    row_bytes = max(sub.size // max(sub.sizes[ydim], 1) * 8, 1)
    step = max(1, int(memory_budget_mb * 2**20 // 4 // row_bytes))
    out = []
    partial, fewest = 0, sel.size  # pixels with a value in some steps, not all; their fewest
    for a in range(0, sub.sizes[ydim], step):  # window by window: never the whole cube
        block = sub.isel({ydim: slice(a, a + step)}).load()
        held = block.notnull().sum([dim]).to_numpy()
        agg = getattr(block, win.aggregate)(dim=dim, skipna=True)
        if win.aggregate == "sum":
            # a step without a value (cloud, ice, a gap) is unknown, not 0: the sum of the
            # others would read as a smaller total; that pixel's sum is missing
            agg = agg.where(held == sel.size)
        some = (held > 0) & (held < sel.size)
        if some.any():
            partial += int(np.count_nonzero(some))
            fewest = min(fewest, int(held[some].min()))
        out.append(agg)
    res = xr.concat(out, dim=ydim)
    res.attrs = da.attrs
    text = f"{win.start.isoformat()}/{win.end.isoformat()} {win.aggregate} of {sel.size} steps"
    if partial:
        what = (
            "their sum is missing (a step without a value is not 0)"
            if win.aggregate == "sum"
            else f"their {win.aggregate} is of the steps that hold one"
        )
        text += f"; {partial:,} pixels hold a value in fewer of them (as few as {fewest}): {what}"
    res.attrs["time_window"] = text
    return res


def _refuse_repeated_steps(times: pd.DatetimeIndex, used, dim: Hashable, name: str) -> None:
    """Refuse, in one line, a step the selection uses that the time axis holds twice.

    Files concatenated with an overlap (two downloads, ERA5 and ERA5T) repeat a step with
    two grids: "latest" or a date would pick one of them unsaid, and a window's sum would
    count that day twice.
    """
    counts = pd.Series(times).value_counts()
    repeated = [t for t in times[np.asarray(used, dtype="int64")] if counts.get(t, 0) > 1]
    if not repeated:
        return
    t = repeated[0]
    steps = [int(k) for k in np.flatnonzero(np.asarray(times == t))]
    raise InputError(
        f"{name}: time step {t.isoformat()} appears {len(steps)} times in {str(dim)!r} "
        f"(indexes {steps[:5]!r}: files concatenated with an overlap?); which grid is meant "
        "is unknown and a window would count it twice: drop the repeats (cdo "
        "delete,timestep=N) or pick one step by index (select: {"
        f"{str(dim)}: {{index: {steps[-1]}}}}})"
    )


def raster_windows(da: xr.DataArray, *, memory_budget_mb: float | None = None):
    """Yield ``(row_slice, window)`` pairs covering ``da`` in row blocks within the budget.

    Each ``window`` is loaded (numpy-backed); together they cover every row once.
    """
    rows = da.attrs.get("window_rows")
    if memory_budget_mb is not None or rows is None:
        rows = _budget_rows(
            da.sizes["x"], da.sizes["band"], np.dtype(da.dtype).itemsize, memory_budget_mb or 512
        )
    for a in range(0, da.sizes["y"], int(rows)):
        sl = slice(a, min(a + int(rows), da.sizes["y"]))
        yield sl, da.isel(y=sl).load()


def _lonlat_bounds(da: xr.DataArray) -> tuple[float, float, float, float]:
    """Lon/lat bounds on the globe; a grid 360° wide spans all longitudes.

    Longitudes beyond ±180 (a grid in 0..360) are wrapped, so a grid across the antimeridian
    (150..250°E) has ``lon_min > lon_max`` (150, -110), as an area across it does.
    """
    b = [float(v) for v in da.rio.transform_bounds("EPSG:4326", densify_pts=21)]
    if b[2] - b[0] >= 360.0 - 1e-9:
        b[0], b[2] = -180.0, 180.0
    else:
        b[0] = (b[0] + 180.0) % 360.0 - 180.0
        b[2] = 180.0 - (180.0 - b[2]) % 360.0
    return tuple(  # type: ignore[return-value]
        float(np.clip(v, -lim, lim)) for v, lim in zip(b, (180, 90, 180, 90), strict=True)
    )


def _periodic_degrees(crs) -> bool:
    """Whether ``crs`` is geographic in degrees from Greenwich: x wraps every 360."""
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    if not c.is_geographic:
        return False
    pm = c.prime_meridian
    unit = c.axis_info[0].unit_name if c.axis_info else "degree"
    return (pm is None or float(pm.longitude) == 0.0) and unit.startswith("degree")


def check_raster_pixels(da: xr.DataArray, max_pixels: int | None, what: str = "raster") -> None:
    """Refuse, before reading a pixel, a raster (or window) holding more than ``max_pixels``.

    Raises
    ------
    InputError
        One line naming the file, its pixel count and shape, the limit and the ways out.
    """
    if max_pixels is None or da.size <= max_pixels:
        return
    name = da.attrs.get("source_file", "raster")
    bands, rows, cols = (int(da.sizes.get(d, 1)) for d in ("band", "y", "x"))
    # gdal_translate -projwin crops by map coordinates a curvilinear grid does not have:
    # such a grid is cut by its index dimensions
    crop = "the raster (e.g. gdal_translate -projwin)"
    if da.attrs.get("curvilinear"):
        ydim, xdim = da.attrs["curvilinear"]["dims"]
        crop = (
            f"its rows and columns (e.g. ncks -d {ydim},first,last -d {xdim},first,last, or "
            "xarray's isel)"
        )
    raise InputError(
        f"{name}: the {what} holds {int(da.size):,} pixels ({bands} band(s) x {rows:,} rows x "
        f"{cols:,} columns), above ingest.max_raster_pixels={int(max_pixels):,}; nothing was "
        f"read. Give the area a bbox (only its window is read), crop {crop}, or raise "
        "ingest.max_raster_pixels"
    )


def clip_raster(
    da: xr.DataArray, bbox: tuple[float, float, float, float] | None, *, margin_km: float = 0.0
) -> xr.DataArray:
    """Return the rows and columns of ``da`` over a lon/lat ``bbox`` grown by ``margin_km``.

    Lazy (nothing is read); ``bbox`` None returns ``da``.  The margin lets the cells on the
    bbox's edge, which reach beyond it, see every pixel they touch.  A curvilinear grid read
    by pixel centres keeps the rows and columns holding a pixel centre in the grown bbox and
    one more each side (each kept pixel's area takes its neighbours' centres, so the cells
    get the values of the whole grid): its 2-D latitude/longitude are read in row blocks to
    find them, and ``attrs["assumptions"]["window"]`` states the window.
    """
    if bbox is None:
        return da
    x0, y0, x1, y1 = (float(v) for v in bbox)
    dlat = margin_km / 111.32
    y0, y1 = max(-90.0, y0 - dlat), min(90.0, y1 + dlat)
    dlon = dlat / max(np.cos(np.radians(max(abs(y0), abs(y1)))), 1e-6)
    # an area across the antimeridian (x0 > x1) is as wide as its eastward run; grown past
    # 360° (a degree of longitude is a few km near a pole) its ends pass each other: the
    # whole width, not the few degrees between them on the far side
    if (x1 - x0 if x0 <= x1 else x1 + 360.0 - x0) + 2 * dlon < 360.0:
        x0, x1 = x0 - dlon, x1 + dlon
        x0 = x0 + 360.0 if x0 < -180.0 else x0
        x1 = x1 - 360.0 if x1 > 180.0 else x1
    else:
        x0, x1 = -180.0, 180.0
    if da.attrs.get("curvilinear"):
        out, (rows, cols), _ = _centres_window(da, (x0, y0, x1, y1))
        out.attrs = dict(da.attrs)
        height, width = (int(da.sizes[d]) for d in ("y", "x"))
        out.attrs["assumptions"] = {
            **dict(da.attrs.get("assumptions", {})),
            "window": {
                "value": f"rows {rows[0]}..{rows[1] - 1}, columns {cols[0]}..{cols[1] - 1}"
                if out.size
                else "none",
                "by": "area",
                "evidence": f"{int(out.sizes['y']) * int(out.sizes['x']):,} of the curvilinear "
                f"grid's {height * width:,} pixels ({height:,} x {width:,}) are read: the rows "
                "and columns holding a pixel centre within "
                f"{margin_km:g} km of the area's bbox, and one more each side (their "
                "neighbours' centres give the kept pixels' areas)",
            },
        }
        return out
    out = _clip_to_bbox(da, (x0, y0, x1, y1))
    out.attrs = dict(da.attrs)
    return out


def _centres_window(
    da: xr.DataArray, bbox: tuple[float, float, float, float]
) -> tuple[xr.DataArray, tuple[tuple[int, int], tuple[int, int]], int]:
    """Return the part of a curvilinear grid holding its pixel centres in a lon/lat bbox.

    The rows and columns holding a placed centre inside ``bbox`` (``lon_min > lon_max``
    crosses the antimeridian; longitudes in any period), one more each side: a rectangle of
    the grid's own indices, lazy, with its ``(start, end)`` rows and columns.  Its 2-D
    latitude/longitude are read in row blocks (``window_rows``), never whole.  Also returns
    how many pixels of the whole grid no latitude/longitude places.  No centre inside: an
    empty window (0 rows).
    """
    centres = da.attrs["curvilinear"]
    ax0, ay0, ax1, ay1 = bbox
    height, width = int(da.sizes["y"]), int(da.sizes["x"])
    row_hit = np.zeros(height, dtype=bool)
    col_hit = np.zeros(width, dtype=bool)
    unplaced = 0
    step = max(1, int(da.attrs.get("window_rows") or 1))
    for a in range(0, height, step):
        block = da.isel(y=slice(a, a + step))
        la = np.asarray(block[centres["lat"]].to_numpy(), dtype="float64")
        lo = np.asarray(block[centres["lon"]].to_numpy(), dtype="float64")
        placed = _placed(la, lo)
        unplaced += int(placed.size - np.count_nonzero(placed))
        with np.errstate(invalid="ignore"):
            inside = placed & (la >= ay0) & (la <= ay1) & _in_lon_range(lo, ax0, ax1)
        row_hit[a : a + la.shape[0]] = inside.any(axis=1)
        col_hit |= inside.any(axis=0)
    rows, cols = np.flatnonzero(row_hit), np.flatnonzero(col_hit)
    if rows.size == 0:
        r, c = (0, 0), (0, 0)
    else:
        r = (max(0, int(rows[0]) - 1), min(height, int(rows[-1]) + 2))
        c = (max(0, int(cols[0]) - 1), min(width, int(cols[-1]) + 2))
    return da.isel(y=slice(*r), x=slice(*c)), (r, c), unplaced


def describe_raster(da: xr.DataArray, *, max_pixels: int | None = None) -> dict:
    """Return a summary: CRS, shape, bands, lon/lat bounds, the valid fraction, assumptions.

    The valid fraction (non-NaN cells over all cells) is computed window by window; above
    ``max_pixels`` it is not computed (None, and ``note`` says why): the raster is not read.
    A curvilinear grid read by pixel centres also has ``curvilinear``: its latitude and
    longitude's names, its own dimensions and its pixel count (bounds: of its centres).
    """
    centres = da.attrs.get("curvilinear")
    crs = None if centres else da.rio.crs
    crs_text = _crs_text(crs) if crs is not None else None
    if centres:  # placed by its 2-D latitude/longitude
        crs_text = (da.attrs.get("assumptions", {}).get("crs") or {}).get("value")
    valid = 0
    note = None
    if max_pixels is not None and da.size > max_pixels:
        note = (
            f"{da.attrs.get('source_file', 'raster')}: valid fraction not computed: "
            f"{int(da.size):,} pixels is above ingest.max_raster_pixels={int(max_pixels):,}"
        )
    try:
        for _, w in raster_windows(da) if note is None else ():
            valid += int(np.count_nonzero(~np.isnan(w.to_numpy())))
    except Exception as exc:  # a read error mid-file: truncated/corrupt
        raise SourceUnreadable(
            f"{da.attrs.get('source_file', 'raster')}: read failed: {type(exc).__name__}: "
            f"{_first_line(exc)}"
        ) from exc
    try:
        box = _centre_bounds(da) if centres else _lonlat_bounds(da)
        bounds: list[float] | None = [round(v, 6) for v in box]
    except Exception:  # pragma: no cover (CRS without inverse; refused at open)
        bounds = None
    return {
        "crs": crs_text,
        "shape": [int(da.sizes["band"]), int(da.sizes["y"]), int(da.sizes["x"])],
        "bands": int(da.sizes["band"]),
        "bounds": bounds,
        "valid_fraction": (round(valid / da.size, 6) if da.size else 0.0) if note is None else None,
        "dtype": str(da.dtype),
        "windowed": bool(da.attrs.get("windowed", False)),
        "assumptions": dict(da.attrs.get("assumptions", {})),
        **({"note": note} if note else {}),
        **(
            {
                "curvilinear": {
                    "lat": str(centres["lat"]),
                    "lon": str(centres["lon"]),
                    "dims": [str(d) for d in centres["dims"]],
                    "pixels": int(da.sizes["y"]) * int(da.sizes["x"]),
                }
            }
            if centres
            else {}
        ),
    }


def _placed(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Which pixel centres are places: finite, latitude in [-90, 90], longitude in ±360."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 360)


def _centre_bounds(da: xr.DataArray) -> tuple[float, float, float, float]:
    """Lon/lat bounds of a curvilinear grid's pixel centres, read in row blocks.

    Longitudes are taken in -180..180 or 0..360, whichever spans less: a grid across the
    antimeridian then has ``lon_min > lon_max``, as :func:`_lonlat_bounds` gives.
    """
    centres = da.attrs["curvilinear"]
    lo_hi = np.array([np.inf, -np.inf, np.inf, -np.inf, np.inf, -np.inf])
    rows = int(da.attrs.get("window_rows") or 1)
    for a in range(0, da.sizes["y"], rows):
        block = da.isel(y=slice(a, a + rows))
        la = np.asarray(block[centres["lat"]].to_numpy(), dtype="float64")
        lo = np.asarray(block[centres["lon"]].to_numpy(), dtype="float64")
        ok = _placed(la, lo)
        if not ok.any():
            continue
        la, lo = la[ok], lo[ok]
        east = (lo + 180.0) % 360.0 - 180.0
        zero = lo % 360.0
        for k, v in enumerate((la, east, zero)):
            lo_hi[2 * k] = min(lo_hi[2 * k], float(v.min()))
            lo_hi[2 * k + 1] = max(lo_hi[2 * k + 1], float(v.max()))
    if not np.isfinite(lo_hi[0]):
        raise InputError(
            f"{da.attrs.get('source_file', 'raster')}: no pixel of the curvilinear grid is "
            f"placed: its 2-D latitude/longitude {centres['lat']!r}/{centres['lon']!r} are "
            "all NaN or outside [-90, 90] / [-360, 360]; it cannot inform any cell"
        )
    y0, y1 = lo_hi[0], lo_hi[1]
    if lo_hi[5] - lo_hi[4] < lo_hi[3] - lo_hi[2]:
        x0, x1 = lo_hi[4], lo_hi[5]
        x0, x1 = (x0 + 180.0) % 360.0 - 180.0, (x1 + 180.0) % 360.0 - 180.0
    else:
        x0, x1 = lo_hi[2], lo_hi[3]
    return float(x0), float(y0), float(x1), float(y1)


def _lon_overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    """Degrees of longitude shared by two ranges; ``x0 > x1`` crosses the antimeridian."""

    def pieces(x0: float, x1: float) -> list[tuple[float, float]]:
        if x1 - x0 >= 360 or (x0 == -180 and x1 == 180):
            return [(-180.0, 180.0)]
        return [(x0, x1)] if x0 <= x1 else [(x0, 180.0), (-180.0, x1)]

    return sum(
        max(0.0, min(p1, q1) - max(p0, q0))
        for p0, p1 in pieces(a0, a1)
        for q0, q1 in pieces(b0, b1)
    )


def raster_coverage(
    da: xr.DataArray,
    aoi_bbox: tuple[float, float, float, float] | None = None,
    *,
    max_pixels: int | None = None,
) -> dict[str, Any]:
    """Check that a raster can inform the area; refuse when it cannot.

    Parameters
    ----------
    da : xarray.DataArray
        A raster from :func:`open_raster`.
    aoi_bbox : tuple of 4 floats, optional
        ``(lon_min, lat_min, lon_max, lat_max)`` of the area (``lon_min > lon_max`` crosses
        the antimeridian); None checks the whole raster.
    max_pixels : int, optional
        Refuse (before reading) when the part to check holds more pixels than this
        (``ingest.max_raster_pixels``).

    Returns
    -------
    dict
        ``overlap_fraction`` (share of the area's bbox inside the raster's bounds),
        ``valid_fraction_in_area`` (share of the raster cells inside the area that hold a
        value) and ``note`` (a sentence when coverage is partial, else None); for a raster
        with a companion ``mask``, ``masked_in_area`` (pixels of the area's window the mask
        made missing), ``pixels_in_area`` and ``mask_note`` (a sentence saying so).

    Raises
    ------
    InputError
        The raster does not overlap the area, or holds no valid value inside it (all
        nodata), or the part to read is above ``max_pixels``: one line naming the file.
    """
    name = da.attrs.get("source_file", "raster")
    centres = da.attrs.get("curvilinear")
    unplaced = 0
    rx0, ry0, rx1, ry1 = _centre_bounds(da) if centres else _lonlat_bounds(da)
    window = da
    overlap = 1.0
    if aoi_bbox is not None:
        ax0, ay0, ax1, ay1 = (float(v) for v in aoi_bbox)
        lat_share = max(0.0, min(ry1, ay1) - max(ry0, ay0))
        lon_share = _lon_overlap(rx0, rx1, ax0, ax1)
        a_width = ax1 - ax0 if ax0 <= ax1 else ax1 + 360 - ax0
        area = max(a_width * (ay1 - ay0), 1e-12)
        overlap = min(1.0, lat_share * lon_share / area)
        if lat_share <= 0 or lon_share <= 0:
            raise InputError(
                f"{name}: raster bounds lon/lat ({rx0:g}, {ry0:g}, {rx1:g}, {ry1:g}) do not "
                f"overlap the area {tuple(aoi_bbox)!r}; it cannot inform any cell"
            )
        # a curvilinear grid's rows and columns are no lon/lat range: the rows and columns
        # its centres in the area lie on, found by reading its latitude/longitude in blocks
        if centres:
            window, _, unplaced = _centres_window(da, (ax0, ay0, ax1, ay1))
        else:
            window = _clip_to_bbox(da, (ax0, ay0, ax1, ay1))
    what = "window over the area" if aoi_bbox else "raster"
    check_raster_pixels(window, max_pixels, what)
    # The window is one range of columns; on a 0..360 grid it may hold columns between the
    # area's two ends (an area -85..10 on 0..360 reads 0..10 and 275..360): not counted.
    cols: np.ndarray | slice = slice(None)
    if aoi_bbox is not None and not centres and _periodic_degrees(da.rio.crs):
        cols = np.flatnonzero(_in_lon_range(window["x"].to_numpy().astype("float64"), ax0, ax1))
        if cols.size == 0 or cols.size == window.sizes["x"]:
            cols = slice(None)
    valid = 0
    total = 0
    declared = _declares_nodata(da)
    packing = da.attrs.get("packing")
    sentinels = np.zeros(len(_SENTINELS), dtype="int64")
    top = None if declared or packing else _type_end(da)
    at_top, below = 0, [np.inf, -np.inf]  # cells at the type's end; the range of the others
    companion = _mask_window(window)
    masked = 0  # pixels of the window the companion mask made missing
    if window.size:
        for sl, w in raster_windows(window):
            arr = w.to_numpy()[..., cols]
            if centres:
                # the pixels whose own centre is in the area (and is a place at all)
                la = np.asarray(w[centres["lat"]].to_numpy(), dtype="float64")
                lo = np.asarray(w[centres["lon"]].to_numpy(), dtype="float64")
                placed = _placed(la, lo)
                if aoi_bbox is None:  # else counted over the whole grid by _centres_window
                    unplaced += int(placed.size - np.count_nonzero(placed))
                else:
                    with np.errstate(invalid="ignore"):
                        placed &= (la >= ay0) & (la <= ay1) & _in_lon_range(lo, ax0, ax1)
                arr = w.to_numpy()[:, placed]
            valid += int(np.count_nonzero(~np.isnan(arr)))
            total += arr.size
            if companion is not None:
                values = companion[0].isel(y=sl).to_numpy()[0][..., cols]
                seen = _seen(values, companion[1], companion[3])
                masked += int(np.count_nonzero(~seen))
            # after the declared nodata is masked: a fill it does not name stays a value
            sentinels += [int(np.count_nonzero(_is_stored(arr, v, packing))) for v in _SENTINELS]
            if top is not None:
                is_top = arr == top
                at_top += int(np.count_nonzero(is_top))
                rest = arr[~is_top & ~np.isnan(arr)]
                if rest.size:
                    below = [min(below[0], float(rest.min())), max(below[1], float(rest.max()))]
    where = "inside the area" if aoi_bbox is not None else ""
    if total:
        # -9999 or -32768 may be a value in a few cells; 1e20 or -3.4e38 never is: one is fill.
        # Checked when a nodata is declared too: a float64 copy declaring -3.4e38 whose fill
        # is float32's lowest (-3.4028e38), or a nodata of -9999 over cells of -3.4e38
        need = [1 if abs(v) >= 1e20 else _SENTINEL_SHARE * total for v in _SENTINELS]
        found = [k for k, (n, m) in enumerate(zip(sentinels, need, strict=True)) if n and n >= m]
        if found:
            k = max(found, key=lambda i: sentinels[i])
            v = _SENTINELS[k]
            stored = ""
            if packing:
                dec = v * packing["scale"] + packing["offset"]
                stored = f" stored (packed; decoded {dec:g})"
            raise InputError(
                f"{name}: {sentinels[k]} of {total} cells {where + ' ' if where else ''}hold "
                f"{v:.9g}{stored}, a common nodata value, but "
                f"{_declared_text(da) or 'the file declares no nodata'}"
                f"{' value other than NaN' if _declares_nan(da) and not declared else ''}; "
                "set nodata: "
                f"{v!r} for this raster in the config, or --nodata {v!r} with route-risk "
                "ingest (its cells are then missing, not values)"
            )
    if (
        top is not None
        and at_top >= _SENTINEL_SHARE * total
        and below[0] < below[1]
        and (below[1] <= top - _TOP_GAP if top > 0 else below[0] >= top + _TOP_GAP)
    ):
        # an 8-bit land cover or index (0..100) with 255 where nothing was measured: the
        # values stop well below the type's top, which alone holds many cells (a signed
        # byte's -128 below values of -5..5 alike)
        end, stop = ("largest", below[1]) if top > 0 else ("smallest", below[0])
        raise InputError(
            f"{name}: {at_top} of {total} cells {where + ' ' if where else ''}hold {top:g}, "
            f"the {end} {_stored_dtype(da)} value, while the others stop at {stop:g}: a "
            f"fill, but the file declares no nodata"
            f"{' value other than NaN' if _declares_nan(da) else ''}; set nodata: {top:g} for "
            "this raster in "
            f"the config (or --nodata {top:g} with route-risk ingest); if {top:g} is a value, "
            "set nodata to a value the raster never holds"
        )
    if centres and total == 0:
        raise InputError(
            f"{name}: no pixel centre of the curvilinear grid lies "
            f"{'in the area ' + repr(tuple(aoi_bbox)) if aoi_bbox is not None else 'on the globe'}"
            " (its 2-D latitude/longitude place none there); it cannot inform any cell"
        )
    if valid == 0:
        raise InputError(
            f"{name}: every value {where + ' ' if where else ''}is nodata; the raster "
            "cannot inform any cell"
        )
    frac = valid / total if total else 0.0
    note = None
    if overlap < 0.999 or frac < 0.999:
        note = (
            f"{name}: raster covers {share_to_percent(overlap)} of the area's bbox and "
            f"{share_to_percent(frac)} of its "
            "cells there hold a value; cells outside get no value for this factor"
        )
    out: dict[str, Any] = {
        "overlap_fraction": round(overlap, 6),
        "valid_fraction_in_area": round(frac, 6),
        "note": note,
    }
    if unplaced:
        out["unplaced_pixels"] = unplaced
        out["coordinates_note"] = (
            f"{name}: {unplaced:,} pixel(s) of the curvilinear grid have a latitude/longitude "
            "that is not finite or outside [-90, 90] / [-360, 360]: they place no value "
            "(skipped, not 0)"
        )
    if companion is not None:
        out["masked_in_area"] = masked
        out["pixels_in_area"] = total
        out["mask_note"] = (
            f"{name}: {masked:,} of {total:,} pixels {where or 'of the raster'} are missing by "
            f"the mask: {companion[2]} {_outside_text(companion[1], companion[3])} or nodata "
            "(no observation, not 0)"
        )
    return out


#: Values exports use for "no data" (GDAL/ArcGIS -9999 and -3.4e38, int16 -32768, WorldPop's
#: -99999, netCDF's default fill 9.97e36, 1e20 and -1e20 of climate models): a raster that
#: holds -9999, -32768 or -99999 in at least ``_SENTINEL_SHARE`` of its cells, or any cell of
#: one of the huge fills (no measured quantity is 1e20), without declaring a nodata is refused.
_SENTINELS = (
    -9999.0,
    -32768.0,
    -99999.0,
    -3.4028234663852886e38,
    9.969209968386869e36,
    1e20,
    -1e20,
)
_SENTINEL_SHARE = 0.001


#: An unsigned raster whose values stop at least this far below its type's top (255, 65535)
#: while the top holds ``_SENTINEL_SHARE`` of its cells uses the top as an undeclared fill; a
#: signed byte's bottom (-128) likewise, its values stopping this far above it.
_TOP_GAP = 5


def _stored_dtype(da: xr.DataArray) -> str:
    """Return the raster's stored (undecoded) dtype name."""
    enc = da.encoding
    return str(enc.get("rasterio_dtype", enc.get("dtype", da.dtype)))


def _type_end(da: xr.DataArray) -> float | None:
    """Return the end of a small integer type a fill takes, else None.

    The top of an 8- or 16-bit unsigned raster's stored type (255, 65535), the bottom of a
    signed byte's (-128: GDAL's Int8, a ``PIXELTYPE=SIGNEDBYTE`` band); int16's -32768 is
    among the common sentinels already.
    """
    try:
        dtype = np.dtype(_stored_dtype(da))
    except TypeError:
        return None
    if dtype.kind == "u" and dtype.itemsize <= 2:
        return float(np.iinfo(dtype).max)
    if dtype.kind == "i" and dtype.itemsize == 1:
        return float(np.iinfo(dtype).min)
    return None


def _is_sentinel(arr, value: float):
    """Cells of ``arr`` (numpy or xarray) equal to ``value``; a huge fill value to 1e-6.

    A fill value written in float32 is not the float64 number a config or this list holds
    (-3.4e38 is float32's lowest): beyond 1e20 the ratio is compared, which cannot overflow.
    """
    if abs(value) >= 1e20:
        ratio = arr / value
        return (ratio > 1 - 1e-6) & (ratio < 1 + 1e-6)
    return arr == value


def _stored_packing(encoding: dict) -> dict[str, Any] | None:
    """Return the stored dtype, scale and offset of packed values, or None when unpacked."""
    scale = float(encoding.get("scale_factor", 1.0))
    offset = float(encoding.get("add_offset", 0.0))
    if scale == 1.0 and offset == 0.0:
        return None
    dtype = str(np.dtype(encoding.get("rasterio_dtype", encoding.get("dtype", "float64"))))
    return {"dtype": dtype, "scale": scale, "offset": offset}


def _is_stored(arr, value: float, packing: dict[str, Any] | None):
    """Cells of decoded ``arr`` whose *stored* value (before scale/offset) is ``value``.

    Stored integers decode ``|scale|`` apart, so half of it tells them apart whatever the
    float rounding of the decoding; a value the stored integer type cannot hold matches none.

    The decoded value is compared in ``arr``'s float type, as the decoding made it: a stored
    value whose decoded value that type cannot hold (float32's -3.4e38 fill with a scale of
    3 in an ``.aux.xml``; rioxarray decodes float32 in float32) was decoded to an infinity
    of its sign, so the cells holding that infinity match.  They are all the stored values
    beyond the type's range once decoded (a stored infinity among them), none a measurement.
    """
    if not packing:
        return _is_sentinel(arr, value)
    dtype = np.dtype(packing["dtype"])
    scale, offset = float(packing["scale"]), float(packing["offset"])
    decoded = value * scale + offset
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not (float(value).is_integer() and info.min <= value <= info.max):
            return arr < -np.inf  # all False (NaN included), numpy or xarray alike
    kind = np.dtype(arr.dtype)
    with np.errstate(over="ignore"):  # the overflow to infinity is what is looked for
        held = float(kind.type(decoded)) if kind.kind == "f" else decoded
    if np.isinf(held):
        return arr == held
    if dtype.kind in "iu":
        return abs(arr - held) <= 0.5 * abs(scale)
    return abs(arr - held) <= 1e-6 * abs(held) if held else arr == 0


def _declares_nodata(da: xr.DataArray) -> bool:
    """Whether the file (or the config) says which value means no data.

    A declared NaN says nothing about the fill the cells hold: NaN is missing anyway, and a
    float GeoTIFF tagged ``nodata=nan`` (or a NetCDF written by xarray, whose float
    ``_FillValue`` is NaN by default) may still hold -9999 where nothing was measured.
    """
    assumed = da.attrs.get("assumptions", {})
    enc = da.encoding
    declared = (
        da.rio.nodata,
        da.rio.encoded_nodata,
        enc.get("_FillValue"),
        enc.get("missing_value"),
    )
    return bool({"nodata", "fill_tags"} & set(assumed)) or any(_names_a_value(v) for v in declared)


def _declared_text(da: xr.DataArray) -> str:
    """Say which nodata the file, its tags and the config declare; empty when none."""
    assumed = da.attrs.get("assumptions", {})
    enc = da.encoding
    file_values = (da.rio.nodata, da.rio.encoded_nodata, enc.get("_FillValue"))
    said = [
        float(np.asarray(v, dtype="float64").ravel()[0])
        for v in (*file_values, enc.get("missing_value"))
        if _names_a_value(v)
    ]
    said += [float(f["value"]) for f in assumed.get("fill_tags", [])]
    parts = [f"the file declares nodata {v!r}" for v in dict.fromkeys(said)]
    if "nodata" in assumed:
        parts.append(f"the config nodata is {float(assumed['nodata']['value'])!r}")
    if not parts:
        return ""
    return " and ".join(parts) + ", which it is not"


def _declares_nan(da: xr.DataArray) -> bool:
    """Whether the file declares NaN as its nodata/fill (a float GeoTIFF's ``nodata=nan``)."""
    enc = da.encoding
    for value in (da.rio.nodata, da.rio.encoded_nodata, enc.get("_FillValue")):
        if value is not None:
            arr = np.asarray(value, dtype="float64").ravel()
            if arr.size and bool(np.isnan(arr).any()):
                return True
    return False


def _names_a_value(value) -> bool:
    """Whether a declared nodata/fill names a value a cell can hold (not None, not NaN)."""
    if value is None:
        return False
    arr = np.asarray(value, dtype="float64").ravel()
    return bool(arr.size) and not bool(np.isnan(arr).all())


def _in_lon_range(xs: np.ndarray, lon_min: float, lon_max: float) -> np.ndarray:
    """Which longitudes (any period: 0..360, -180..180) lie in ``lon_min..lon_max``.

    ``lon_min > lon_max`` crosses the antimeridian; a range 360° wide holds every longitude.
    """
    if lon_max - lon_min >= 360.0:
        return np.ones(xs.shape, bool)
    return (xs - lon_min) % 360.0 <= (lon_max - lon_min) % 360.0


def _clip_to_bbox(da: xr.DataArray, bbox: tuple[float, float, float, float]) -> xr.DataArray:
    """Return the raster rows/columns inside a lon/lat bbox (in the raster CRS), lazily."""
    from pyproj import Transformer

    from ..zonal import x_period

    ax0, ay0, ax1, ay1 = bbox
    crs = da.rio.crs
    period = None if crs.is_geographic else x_period(crs)
    if _periodic_degrees(crs) or period is not None:
        # Columns by longitude modulo 360: a grid in 0..360 holds the area's west (-60°) at
        # 300°; an area across the antimeridian is one range too.  So does a cylindrical
        # projection's x past its edge (EPSG:3857 warped across 180°: x > 20037508 m).
        xs = da["x"].to_numpy().astype("float64")
        ys = da["y"].to_numpy().astype("float64")
        if period is not None:
            lon_0, x_0, per = period
            xs = lon_0 + (xs - x_0) / per * 360.0
            with np.errstate(all="ignore"):
                _, yy = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
                    [lon_0, lon_0], [ay0, ay1]
                )
            yy = np.asarray(yy, dtype="float64")
            ay0 = float(yy.min()) if np.isfinite(yy[0]) else -np.inf
            ay1 = float(yy.max()) if np.isfinite(yy[1]) else np.inf
        cols = np.flatnonzero(_in_lon_range(xs, ax0, ax1))
        rows = np.flatnonzero((ys >= ay0) & (ys <= ay1))
        if not cols.size or not rows.size:
            mid = ax0 + ((ax1 - ax0) % 360.0) / 2
            cols = np.array([int(np.argmin(np.abs((xs - mid + 180.0) % 360.0 - 180.0)))])
            rows = np.array([int(np.argmin(np.abs(ys - (ay0 + ay1) / 2)))])
        return da.isel(x=slice(cols.min(), cols.max() + 1), y=slice(rows.min(), rows.max() + 1))
    if ax0 > ax1:  # across the antimeridian: the whole width, latitudes only
        ax0, ax1 = -180.0, 180.0
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    try:
        x0, y0, x1, y1 = tr.transform_bounds(ax0, ay0, ax1, ay1, densify_pts=21)
    except Exception:  # an area outside the projection's domain: check the whole raster
        return da
    if not all(np.isfinite([x0, y0, x1, y1])):
        return da
    xs = da["x"].to_numpy()
    ys = da["y"].to_numpy()
    cols = np.flatnonzero((xs >= x0) & (xs <= x1))
    rows = np.flatnonzero((ys >= y0) & (ys <= y1))
    if not cols.size or not rows.size:
        # the area is smaller than a pixel: the nearest pixel
        cols = np.array([int(np.argmin(np.abs(xs - (x0 + x1) / 2)))])
        rows = np.array([int(np.argmin(np.abs(ys - (y0 + y1) / 2)))])
    return da.isel(x=slice(cols.min(), cols.max() + 1), y=slice(rows.min(), rows.max() + 1))
