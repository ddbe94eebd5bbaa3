"""The pixel-budget refusal of a curvilinear grid gives a way to crop that grid.

``gdal_translate -projwin`` crops by map coordinates, which a grid placed by 2-D
latitude/longitude does not have: the refusal named it for such a grid too.  It now names
the grid's own index dimensions to cut; a regular raster keeps ``-projwin``.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from _corpus import IGNORE_PENDING_DEPRECATION
from _rasters import LAT_ATTRS, LON_ATTRS

from pipeline.errors import InputError
from pipeline.ingest import open_raster, raster_coverage

pytestmark = IGNORE_PENDING_DEPRECATION


def _grid(path, *, curvilinear):
    i, j = np.meshgrid(np.arange(40.0), np.arange(50.0), indexing="ij")
    lat, lon = 10.0 + 0.01 * i + 0.002 * j * curvilinear, 100.0 + 0.01 * j
    values = np.ones(lat.shape)
    if curvilinear:
        dims = ("eta_rho", "xi_rho")
        coords = {"lat": (dims, lat, LAT_ATTRS), "lon": (dims, lon, LON_ATTRS)}
    else:
        dims = ("lat", "lon")
        coords = {"lat": ("lat", lat[:, 0], LAT_ATTRS), "lon": ("lon", lon[0], LON_ATTRS)}
    xr.Dataset({"v": (dims, values)}, coords=coords).to_netcdf(path, engine="h5netcdf")
    return open_raster(path, by_centres=curvilinear)


@pytest.mark.parametrize("curvilinear", [True, False], ids=["curvilinear", "regular"])
def test_the_refusal_says_how_to_crop_this_grid(tmp_path, curvilinear):
    da = _grid(tmp_path / "grid.nc", curvilinear=curvilinear)
    with pytest.raises(InputError) as info:
        raster_coverage(da, (99.0, 9.0, 102.0, 12.0), max_pixels=100)
    msg = str(info.value)
    assert "\n" not in msg and "2,000 pixels" in msg
    if curvilinear:
        assert "ncks -d eta_rho,first,last -d xi_rho,first,last" in msg
        assert "projwin" not in msg
    else:
        assert "gdal_translate -projwin" in msg and "ncks" not in msg
