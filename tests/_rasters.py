"""Small GeoTIFFs written for the raster and zonal tests, and the CF attributes of NetCDF ones."""

from __future__ import annotations

import numpy as np
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
