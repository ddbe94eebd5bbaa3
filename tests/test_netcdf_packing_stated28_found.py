"""A packed NetCDF variable's scale_factor/add_offset is stated, as a GeoTIFF band's is.

xarray decodes CF packing (``int16`` values x ``scale_factor`` + ``add_offset``) right,
but the raster's assumptions and the manifest said nothing of it, while a GeoTIFF band's
scale/offset was stated (``scale_offset``): a user comparing values with the file's raw
numbers had no word that they were decoded.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from pipeline.ingest.rasters import describe_raster, open_raster


def _nc(path, encoding):
    lat = np.linspace(10.0, 11.0, 12)
    lon = np.linspace(20.0, 21.0, 12)
    values = np.arange(144, dtype="float64").reshape(12, 12) / 10.0
    ds = xr.Dataset({"sst": (("lat", "lon"), values)}, coords={"lat": lat, "lon": lon})
    ds["lat"].attrs["units"] = "degrees_north"
    ds["lon"].attrs["units"] = "degrees_east"
    ds["sst"].encoding = encoding
    ds.to_netcdf(path)
    return path, values


@pytest.mark.parametrize(
    ("encoding", "stated"),
    [
        (
            {"dtype": "int16", "scale_factor": 0.1, "add_offset": 5.0, "_FillValue": -32767},
            "stored int16 values decoded as value x scale + offset "
            "(scale_factor [0.1], add_offset [5.0])",
        ),
        ({"dtype": "int16", "scale_factor": 0.1}, "(scale_factor [0.1], add_offset [0.0])"),
        ({"dtype": "float64"}, None),
    ],
    ids=["scale-and-offset", "scale-only", "unpacked"],
)
def test_a_packed_netcdf_variable_says_how_it_was_decoded(tmp_path, encoding, stated):
    path, values = _nc(tmp_path / "sst.nc", encoding)
    da = open_raster(path)
    got = da.attrs["assumptions"].get("scale_offset")
    if stated is None:
        assert got is None
    else:
        assert got is not None and stated in got
        assert "scale_offset" in describe_raster(da)["assumptions"]
    # decoded right either way (the file's values, latitudes ascending as written or not)
    read = np.sort(da.values.ravel())
    np.testing.assert_allclose(read, np.sort(values.ravel()), atol=1e-9)
