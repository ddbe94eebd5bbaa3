"""Rasters placed or read wrongly without a word: found by a hostile-input sweep.

Each raster here is tiny, written in ``tmp_path``, and holds a value that says where it is (its
own longitude or latitude), so a misplaced pixel shows as a wrong value.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from rasterio.transform import from_origin

from pipeline.errors import InputError
from pipeline.grid import points_to_cells, region_to_cells
from pipeline.ingest import clip_raster, describe_raster, open_raster, raster_coverage
from pipeline.zonal import zonal_stats_to_cells


def write_nc(path, lat, lon, values, name="v", attrs=None):
    coords = {
        "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
        "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
    }
    da = xr.DataArray(values, dims=("lat", "lon"), attrs=attrs or {})
    xr.Dataset({name: da}, coords=coords).to_netcdf(path, engine="scipy")
    return path


def write_tif(path, values, transform, nodata=None, dtype="float32", scale=None):
    values = np.asarray(values)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=dtype,
        crs="EPSG:4326",
        transform=transform,
        nodata=nodata,
    ) as ds:
        ds.write(values.astype(dtype), 1)
        if scale is not None:
            ds.scales = (scale,)
            ds.offsets = (0.0,)
    return path


def run_like_pipeline(src, bbox, points, res=3):
    """open -> coverage -> clip -> zonal, as the run's raster stage; means at the points."""
    da = open_raster(src)
    cov = raster_coverage(da, bbox)
    clipped = clip_raster(da, bbox, margin_km=200)
    cells = region_to_cells(bbox, res)
    table = zonal_stats_to_cells(clipped, cells, name="r").set_index("cell")
    at = points_to_cells([p[0] for p in points], [p[1] for p in points], res)
    return da, cov, table.loc[at, "r_mean"].to_numpy(), table


# ----------------------------------------------------------------------------- 0..360 longitudes


def pacific_lon_values(step=0.5):
    lon = np.arange(150 + step / 2, 250, step)
    lat = np.arange(-30 + step / 2, 10, step)
    return lat, lon, np.broadcast_to(lon[None, :], (lat.size, lon.size)).astype("float32")


def test_regional_netcdf_in_0_360_across_the_antimeridian_keeps_its_place(tmp_path):
    lat, lon, v = pacific_lon_values()
    path = write_nc(tmp_path / "pacific.nc", lat, lon, v)
    da = open_raster(path)
    assert "kept as" in da.attrs["assumptions"]["longitudes"]
    assert describe_raster(da)["bounds"] == [150.0, -30.0, -110.0, 10.0]
    points = [(-120.0, -10.0), (175.0, -10.0), (-175.0, -5.0)]
    for bbox in [(-140.0, -20.0, -115.0, 0.0), (170.0, -20.0, -170.0, 0.0)]:
        inside = [p for p in points if (p[0] - bbox[0]) % 360 <= (bbox[2] - bbox[0]) % 360]
        _, cov, means, table = run_like_pipeline(path, bbox, inside)
        assert cov["overlap_fraction"] == 1.0 and cov["valid_fraction_in_area"] == 1.0
        assert table["r_mean"].notna().all()
        np.testing.assert_allclose(means, [p[0] % 360 for p in inside], atol=1.0)
    # a global grid in 0..360 is still wrapped to -180..180 (one contiguous grid)
    lon = np.arange(0.5, 360, 1.0)
    lat = np.arange(-9.5, 10, 1.0)
    v = np.broadcast_to(lon[None, :], (lat.size, lon.size)).astype("float32")
    da = open_raster(write_nc(tmp_path / "g.nc", lat, lon, v))
    assert da.attrs["assumptions"]["longitudes"] == "0..360 wrapped to -180..180"
    x = da["x"].to_numpy()
    assert x[0] == -179.5 and np.allclose(np.diff(x), 1.0)


@pytest.mark.parametrize("name", ["global", "pacific"])
def test_geotiff_in_0_360_informs_cells_west_of_0_and_east_of_180(tmp_path, name):
    if name == "global":
        x0, w, bbox, points = 0.0, 720, (-85.0, -10.0, 10.0, 40.0), [(-60.0, 10.0), (5.0, 10.0)]
    else:
        x0, w, bbox, points = 150.0, 200, (170.0, -10.0, -170.0, 5.0), [(175.0, -5.0)]
        points.append((-175.0, -5.0))
    lon = x0 + 0.5 * (np.arange(w) + 0.5)
    v = np.broadcast_to(lon[None, :], (120, w))
    path = write_tif(tmp_path / f"{name}.tif", v, from_origin(x0, 45, 0.5, 0.5), nodata=-9999)
    _, cov, means, table = run_like_pipeline(path, bbox, points)
    assert cov["valid_fraction_in_area"] == 1.0 and cov["note"] is None
    assert table["r_mean"].notna().all()
    np.testing.assert_allclose(means, [p[0] % 360 for p in points], atol=1.0)


def test_coverage_of_a_0_360_geotiff_counts_only_the_area(tmp_path):
    # 0..360 holding values only east of 180: the area (-85..10) is all nodata there
    lon = 0.5 * (np.arange(720) + 0.5)
    v = np.where(lon[None, :] > 180, lon[None, :], -9999.0) * np.ones((40, 1))
    v[:, lon < 20] = 1.0
    path = write_tif(tmp_path / "half.tif", v, from_origin(0, 10, 0.5, 0.5), nodata=-9999)
    cov = raster_coverage(open_raster(path), (-85.0, -10.0, 10.0, 10.0))
    assert cov["valid_fraction_in_area"] > 0.99
    path = write_tif(
        tmp_path / "west.tif",
        np.where(lon[None, :] < 180, 1.0, -9999.0) * np.ones((40, 1)),
        from_origin(0, 10, 0.5, 0.5),
        nodata=-9999,
    )
    with pytest.raises(InputError, match="every value inside the area is nodata"):
        raster_coverage(open_raster(path), (-85.0, -10.0, -10.0, 10.0))


# ----------------------------------------------------------------------------- uneven axes


def test_netcdf_with_uneven_latitudes_is_refused(tmp_path):
    lats = [-60.0]
    while lats[-1] < 60:
        lats.append(lats[-1] + 2.0 * np.cos(np.radians(lats[-1])))
    lat = np.array(lats)
    lon = np.arange(-89.0, 20, 2.0)
    v = np.broadcast_to(lat[:, None], (lat.size, lon.size)).astype("float32")
    with pytest.raises(InputError, match=r"merc.nc: 'lat' coordinates are not evenly spaced"):
        open_raster(write_nc(tmp_path / "merc.nc", lat, lon, v))
    # float32 coordinates of a fine regular grid are within rounding of even: read
    lon = (179.0 + 0.001 * np.arange(400)).astype("float32")
    lat = (10.0 + 0.001 * np.arange(50)).astype("float32")
    da = open_raster(write_nc(tmp_path / "fine.nc", lat, lon, np.ones((50, 400), "float32")))
    assert da.sizes["x"] == 400
