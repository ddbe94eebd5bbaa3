"""Open rasters lazily: GeoTIFF/COG in any CRS, NetCDF (CF) through xarray.

The returned :class:`xarray.DataArray` always has dims ``(band, y, x)``, float values with
nodata/fill values as NaN, and a CRS and transform through rioxarray.  Nothing is read until a
consumer indexes it: GeoTIFFs are backed by rioxarray's lazily indexed arrays (``cache=False``),
so a window ``da.isel(y=slice(a, b))`` reads only those rows; :func:`raster_windows` yields row
slices sized to a memory budget and :func:`describe_raster` computes its statistics window by
window.  When dask is installed the array is dask-chunked to the same budget instead.

NetCDF specifics: longitudes in 0..360 are wrapped to -180..180 and sorted, latitude is made
descending (north-up), packed ``scale_factor``/``add_offset`` and ``_FillValue`` are decoded by
xarray, and a time dimension is reduced per :class:`~pipeline.ingest.options.RasterSource`:
the latest step, the step on a date, or a mean/max/sum over a window (computed window by
window).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
from collections.abc import Hashable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InputError, SourceUnreadable
from ._common import as_source
from .options import RasterSource, TimeWindow

__all__ = ["describe_raster", "open_raster", "raster_windows"]

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


def _budget_rows(width: int, bands: int, itemsize: int, memory_budget_mb: float) -> int:
    per_row = max(width * bands * itemsize, 1)
    return max(1, int(memory_budget_mb * 2**20 // 4 // per_row))


def open_raster(
    source: RasterSource | str | Path, *, memory_budget_mb: float = 512
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

    Returns
    -------
    xarray.DataArray
        Lazy, float (nodata and NaN masked), ``rio.crs`` and ``rio.transform()`` set.
        ``attrs`` carry ``source_file``, ``name``, ``declared_mb``, ``windowed`` and
        ``window_rows``.

    Raises
    ------
    SourceUnreadable
        Missing, empty, truncated, corrupt or mislabelled file.
    InputError
        No CRS (and none configured), unknown band/variable/time, no lat/lon dimensions.
    """
    src = as_source(source, RasterSource)
    if not memory_budget_mb > 0:
        raise InputError(f"memory_budget_mb must be > 0, got {memory_budget_mb!r}")
    kind = _kind(src.path)
    if kind == "tiff":
        da = _open_tiff(src)
    else:
        da = _open_netcdf(src, "h5netcdf" if kind == "netcdf4" else "scipy", memory_budget_mb)
    if da.rio.crs is None:
        if src.crs is None:
            raise InputError(
                f"{src.path.name}: raster has no CRS; set crs in the raster's config "
                "(e.g. crs: 'EPSG:4326')"
            )
        da = da.rio.write_crs(src.crs)
    itemsize = np.dtype(da.dtype).itemsize
    declared_mb = da.size * itemsize / 2**20
    rows = _budget_rows(da.sizes["x"], da.sizes["band"], itemsize, memory_budget_mb)
    windowed = declared_mb > memory_budget_mb
    if windowed and importlib.util.find_spec("dask") is not None:
        da = da.chunk({"band": -1, "y": rows, "x": -1})
    da.attrs.update(
        source_file=src.path.name,
        name=src.name,
        declared_mb=round(declared_mb, 3),
        windowed=bool(windowed),
        window_rows=int(rows),
    )
    if windowed:
        log.info(
            "%s: %.0f MB > budget %.0f MB: read in windows of %d rows",
            src.path.name,
            declared_mb,
            memory_budget_mb,
            rows,
        )
    return da


def _open_tiff(src: RasterSource) -> xr.DataArray:
    import rasterio
    import rioxarray

    name = src.path.name
    try:
        with rasterio.open(src.path) as ds:
            count, height, width = ds.count, ds.height, ds.width
            # Read the last row of every band: a truncated file fails here, not later.
            ds.read(window=((height - 1, height), (0, width)))
            ds.read(window=((0, 1), (0, width)))
        da = rioxarray.open_rasterio(src.path, masked=True, cache=False, lock=False)
    except rasterio.errors.RasterioError as exc:
        raise SourceUnreadable(
            f"{name}: unreadable, truncated or corrupt GeoTIFF (reading its first and last "
            f"rows failed: {exc})"
        ) from exc
    if isinstance(da, list | xr.Dataset):  # pragma: no cover (subdatasets)
        raise SourceUnreadable(f"{name}: has subdatasets; convert it to a single GeoTIFF")
    if src.band is not None:
        if src.band > count:
            raise InputError(f"{name}: band {src.band!r} requested, file has bands 1..{count}")
        da = da.isel(band=[src.band - 1])
    if da.dtype.kind != "f":
        da = da.astype("float32")
    return da


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


def _open_netcdf(src: RasterSource, engine: str, memory_budget_mb: float) -> xr.DataArray:
    name = src.path.name
    try:
        ds = xr.open_dataset(
            src.path, engine=engine, mask_and_scale=True, decode_times=True, cache=False
        )
    except Exception as exc:
        raise SourceUnreadable(
            f"{name}: unreadable NetCDF: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from exc
    # NetCDF variable names are strings; xarray types them as Hashable.
    names = [str(v) for v in ds.data_vars]
    data_vars = [v for v in names if ds[v].ndim >= 2]
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
    lat = _pick_dim(da, _LAT_NAMES, "latitude")
    lon = _pick_dim(da, _LON_NAMES, "longitude")
    if lat is None or lon is None:
        raise InputError(
            f"{name}: variable {var!r} has dims {list(da.dims)!r}; expected latitude and "
            "longitude dimensions (lat/lon or CF standard_name)"
        )
    other = [d for d in da.dims if d not in (lat, lon)]
    time_dim = (
        next(
            (d for d in other if np.issubdtype(da[d].dtype, np.datetime64) if d in da.coords), None
        )
        if other
        else None
    )
    if time_dim is None and other:
        time_dim = next((d for d in other if str(d).lower() in ("time", "t")), None)
    if time_dim is not None:
        da = _select_time(da, time_dim, src, memory_budget_mb)
    extra = [d for d in da.dims if d not in (lat, lon)]
    if len(extra) > 1 or (extra and da.sizes[extra[0]] > 1 and src.band is None and False):
        raise InputError(f"{name}: variable {var!r} has extra dims {extra!r}; select them first")
    da = da.rename({lat: "y", lon: "x"})
    if extra:
        da = da.rename({extra[0]: "band"})
        if src.band is not None:
            da = da.isel(band=[src.band - 1])
    else:
        da = da.expand_dims(band=[1])
    da = da.transpose("band", "y", "x")
    xs = da["x"].to_numpy().astype("float64")
    if xs.size and np.nanmax(xs) > 180:
        wrapped = ((xs + 180) % 360) - 180
        order = np.argsort(wrapped, kind="stable")
        da = da.isel(x=order).assign_coords(x=wrapped[order])
    ys = da["y"].to_numpy()
    if ys.size > 1 and ys[0] < ys[-1]:
        da = da.isel(y=slice(None, None, -1))
    if not np.issubdtype(da.dtype, np.floating):
        da = da.astype("float32")
    crs = None
    gm = da.attrs.get("grid_mapping") or da.encoding.get("grid_mapping")
    if gm and gm in ds:
        try:
            from pyproj import CRS

            crs = CRS.from_cf(ds[gm].attrs)
        except Exception:  # an incomplete grid_mapping: fall back to lat/lon
            crs = None
    da = da.rio.set_spatial_dims(x_dim="x", y_dim="y")
    da = da.rio.write_crs(crs if crs is not None else (src.crs or "EPSG:4326"))
    da = da.rio.write_transform(da.rio.transform(recalc=True))
    return da


def _select_time(da: xr.DataArray, dim: Hashable, src: RasterSource, memory_budget_mb: float):
    name = src.path.name
    times = pd.to_datetime(da[dim].to_numpy())
    if times.size == 0:
        raise InputError(f"{name}: time dimension {dim!r} is empty")
    choice = src.time
    if choice == "latest":
        return da.isel({dim: int(np.argmax(times))})
    if isinstance(choice, dt.date) and not isinstance(choice, TimeWindow):
        hit = np.flatnonzero(times.normalize() == pd.Timestamp(choice))
        if hit.size == 0:
            raise InputError(
                f"{name}: no time step on {choice.isoformat()!r}; steps run from "
                f"{times.min().date().isoformat()} to {times.max().date().isoformat()}"
            )
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
    sub = da.isel({dim: sel})
    ydim = [d for d in sub.dims if d != dim][0]
    row_bytes = max(sub.size // max(sub.sizes[ydim], 1) * 8, 1)
    step = max(1, int(memory_budget_mb * 2**20 // 4 // row_bytes))
    out = []
    for a in range(0, sub.sizes[ydim], step):  # window by window: never the whole cube
        block = sub.isel({ydim: slice(a, a + step)}).load()
        agg = getattr(block, win.aggregate)(dim=dim, skipna=True)
        if win.aggregate == "sum":
            agg = agg.where(block.notnull().any([dim]))
        out.append(agg)
    res = xr.concat(out, dim=ydim)
    res.attrs = da.attrs
    res.attrs["time_window"] = (
        f"{win.start.isoformat()}/{win.end.isoformat()} {win.aggregate} of {sel.size} steps"
    )
    return res


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


def describe_raster(da: xr.DataArray) -> dict:
    """Return a summary: CRS, shape, bands, lon/lat bounds and the valid fraction.

    The valid fraction (non-NaN cells over all cells) is computed window by window.
    """
    crs = da.rio.crs
    auth = crs.to_authority() if crs is not None else None
    crs_text = ":".join(auth) if auth else (crs.to_wkt()[:80] if crs is not None else None)
    if crs is not None and auth is None:
        from pyproj import CRS

        pc = CRS.from_wkt(crs.to_wkt())
        a2 = pc.to_authority(min_confidence=25)
        crs_text = ":".join(a2) if a2 else (pc.name or crs_text)
    valid = 0
    try:
        for _, w in raster_windows(da):
            valid += int(np.count_nonzero(~np.isnan(w.to_numpy())))
    except Exception as exc:  # a read error mid-file: truncated/corrupt
        raise SourceUnreadable(
            f"{da.attrs.get('source_file', 'raster')}: read failed: {type(exc).__name__}: {exc}"
        ) from exc
    try:
        b = da.rio.transform_bounds("EPSG:4326", densify_pts=21)
        bounds = [
            round(float(np.clip(v, -lim, lim)), 6)
            for v, lim in zip(b, (180, 90, 180, 90), strict=True)
        ]
    except Exception:  # pragma: no cover (CRS without inverse)
        bounds = None
    return {
        "crs": crs_text,
        "shape": [int(da.sizes["band"]), int(da.sizes["y"]), int(da.sizes["x"])],
        "bands": int(da.sizes["band"]),
        "bounds": bounds,
        "valid_fraction": round(valid / da.size, 6) if da.size else 0.0,
        "dtype": str(da.dtype),
        "windowed": bool(da.attrs.get("windowed", False)),
    }
