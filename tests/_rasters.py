"""Small GeoTIFFs written for the raster and zonal tests, the CF attributes of NetCDF ones, and
curvilinear grids with their per-cell reference (h3 on each pixel centre + a pandas groupby)."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import rasterio

#: CF attributes of a NetCDF latitude and longitude variable.
LAT_ATTRS = {"standard_name": "latitude", "units": "degrees_north"}
LON_ATTRS = {"standard_name": "longitude", "units": "degrees_east"}
#: A sea-ice product's grid mapping (NSIDC's polar stereographic north, 70 degrees true).
POLAR = {
    "grid_mapping_name": "polar_stereographic",
    "straight_vertical_longitude_from_pole": -45.0,
    "latitude_of_projection_origin": 90.0,
    "standard_parallel": 70.0,
    "false_easting": 0.0,
    "false_northing": 0.0,
}


def write_tif(
    path,
    data,
    transform,
    crs="EPSG:4326",
    nodata=None,
    dtype=None,
    scale=None,
    *,
    scales=None,
    offsets=None,
    descriptions=None,
    **creation,
):
    """Write ``data`` (rows x cols, or bands x rows x cols) as a GeoTIFF; return ``path``.

    ``dtype`` casts the values (default: theirs); ``scale`` packs every band with that scale
    and offset 0 (a MODIS-like packed raster); ``scales``/``offsets``/``descriptions`` give
    each band its own; ``creation`` passes GDAL creation options (``compress``, ``tiled``,
    ``blockxsize``...).
    """
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    dtype = dtype or data.dtype
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype=dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
        **creation,
    ) as dst:
        dst.write(data.astype(dtype))
        if scale is not None:
            dst.scales = (scale,) * data.shape[0]
            dst.offsets = (0.0,) * data.shape[0]
        if scales is not None:
            dst.scales = tuple(scales)
            dst.offsets = tuple(offsets) if offsets is not None else (0.0,) * len(scales)
        if descriptions is not None:
            dst.descriptions = tuple(descriptions)
    return path


def rotated_grid(ny=30, nx=40, *, lat0=10.0, lon0=100.0, step=0.01, degrees=30.0):
    """Pixel centres of a grid turned ``degrees`` from north (a rotated-pole model's)."""
    t = np.radians(degrees)
    i, j = np.meshgrid(np.arange(ny) + 0.37, np.arange(nx) + 0.21, indexing="ij")
    lat = lat0 + step * (i * np.cos(t) - j * np.sin(t))
    lon = lon0 + step * (i * np.sin(t) + j * np.cos(t))
    return lat, lon


def grid_values(shape, seed=3):
    return np.random.default_rng(seed).uniform(1.0, 100.0, shape).round(4)


def centre_reference(lat, lon, values, cells, res):
    """Per-cell statistics of the valid pixels by their centres' cells (h3 + pandas)."""
    lat, lon, values = (np.asarray(a, dtype="float64").ravel() for a in (lat, lon, values))
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & np.isfinite(values)
    lon = (lon + 180.0) % 360.0 - 180.0
    cell = [
        h3.str_to_int(h3.latlng_to_cell(a, b, res)) for a, b in zip(lat[ok], lon[ok], strict=True)
    ]
    frame = pd.DataFrame({"cell": np.asarray(cell, dtype="uint64"), "v": values[ok]})
    g = frame.groupby("cell")["v"].agg(["mean", "max", "min", "sum", "count"])
    return g.reindex(pd.Index(np.asarray(cells, dtype="uint64"), name="cell"))


def check_against_centre_reference(got, ref):
    """A zonal result of variable ``v`` equals :func:`centre_reference` (missing stays NaN)."""
    for stat in ("mean", "max", "min"):
        np.testing.assert_allclose(got[f"v_{stat}"], ref[stat], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(got["v_sum"], ref["sum"].fillna(0.0), rtol=1e-12)
    np.testing.assert_array_equal(got["v_count"], ref["count"].fillna(0.0))
