"""Small GeoTIFFs written for the raster and zonal tests."""

from __future__ import annotations

import numpy as np
import rasterio


def write_tif(path, data, transform, crs="EPSG:4326", nodata=None, dtype=None, scale=None):
    """Write ``data`` (rows x cols, or bands x rows x cols) as a GeoTIFF; return ``path``.

    ``dtype`` casts the values (default: theirs); ``scale`` packs band 1 with that scale and
    offset 0 (a MODIS-like packed raster).
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
    ) as dst:
        dst.write(data.astype(dtype))
        if scale is not None:
            dst.scales = (scale,) * data.shape[0]
            dst.offsets = (0.0,) * data.shape[0]
    return path
