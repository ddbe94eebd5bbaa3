"""Context layers, area polygons and rasters read wrongly without a word: a hostile sweep.

Each input is written in ``tmp_path`` in the shape a real export takes (a GCP-georeferenced
scene, a multi-layer GeoPackage, a coastline given as the land layer...).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rasterio
from rasterio.control import GroundControlPoint

from pipeline.errors import InputError
from pipeline.ingest import open_raster
from pipeline.ingest.options import RasterSource

# ----------------------------------------------------------------------------- rasters


def _plain_tif(path, gcps=None):
    """A 100 x 80 TIFF without a geotransform (a scene georeferenced by GCPs, or not at all)."""
    kwargs = {"gcps": gcps, "crs": "EPSG:4326"} if gcps else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(
            path, "w", driver="GTiff", width=100, height=80, count=1, dtype="float32", **kwargs
        ) as dst:
            dst.write(np.full((1, 80, 100), 5.0, "float32"))
    return path


@pytest.mark.parametrize("kind", ["gcps", "plain"])
def test_a_tiff_without_a_geotransform_is_refused_not_placed_at_0_0(tmp_path, kind):
    """A Sentinel-1-like GCP scene (or a TIFF that lost its .tfw) was read at pixel coordinates.

    GDAL's identity geotransform put it at 0..100°E, 0..80°N, one pixel a degree: an area in
    the Gulf of Guinea got its values, silently.
    """
    gcps = None
    if kind == "gcps":
        gcps = [
            GroundControlPoint(0, 0, -75, 15),
            GroundControlPoint(0, 100, -65, 15),
            GroundControlPoint(80, 0, -75, 7),
            GroundControlPoint(80, 100, -65, 7),
        ]
    path = _plain_tif(tmp_path / f"{kind}.tif", gcps)
    src = RasterSource(path=path, name="r", crs="EPSG:4326")
    with pytest.raises(InputError, match=r"has no geotransform") as err:
        open_raster(src)
    assert ("ground control points" in str(err.value)) == (kind == "gcps")
    # its world file places it: read
    path.with_suffix(".tfw").write_text("0.1\n0\n0\n-0.1\n-74.95\n14.95\n")
    da = open_raster(src)
    assert da.rio.bounds() == pytest.approx((-75.0, 7.0, -65.0, 15.0))
