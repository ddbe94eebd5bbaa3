"""Rasters placed or read wrongly without a word: found by a hostile-input sweep.

Each raster here is tiny, written in ``tmp_path``, and holds a value that says where it is (its
own longitude or latitude), so a misplaced pixel shows as a wrong value.
"""

from __future__ import annotations

import numpy as np
import pytest
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from _rasters import write_tif
from rasterio.transform import from_origin

from pipeline.errors import InputError
from pipeline.grid import points_to_cells, region_to_cells
from pipeline.ingest import clip_raster, describe_raster, open_raster, raster_coverage
from pipeline.ingest.options import RasterSource
from pipeline.zonal import zonal_stats_to_cells


def write_nc(path, lat, lon, values, name="v", attrs=None):
    coords = {
        "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
        "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
    }
    da = xr.DataArray(values, dims=("lat", "lon"), attrs=attrs or {})
    xr.Dataset({name: da}, coords=coords).to_netcdf(path, engine="scipy")
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


# ----------------------------------------------------------------------------- packed and CF ranges


def packed_tif(tmp_path):
    stored = np.full((40, 60), 2500, "int16")  # 25.00 once decoded
    stored[:, :12] = -9999  # a swath of fill, undeclared
    return write_tif(
        tmp_path / "packed.tif", stored, from_origin(-30, 20, 0.5, 0.5), dtype="int16", scale=0.01
    )


def test_config_nodata_of_a_packed_geotiff_is_the_stored_value(tmp_path):
    path = packed_tif(tmp_path)
    da = open_raster(RasterSource(path=path, nodata=-9999))
    vals = da.to_numpy()
    assert np.isnan(vals[0, :, :12]).all() and (vals[0, :, 12:] == np.float32(25.0)).all()
    assert "decoded it is -99.99" in da.attrs["assumptions"]["nodata"]["evidence"]
    # an integer the stored int16 cannot hold matches no cell
    assert not np.isnan(open_raster(RasterSource(path=path, nodata=-99.99)).to_numpy()).any()


def test_undeclared_stored_sentinel_of_a_packed_geotiff_is_refused(tmp_path):
    da = open_raster(packed_tif(tmp_path))
    with pytest.raises(InputError, match=r"hold -9999 stored \(packed; decoded -99.99\)"):
        raster_coverage(da, (-30.0, 0.0, 0.0, 20.0))


def valid_range_nc(tmp_path, attrs, values=None, packed=False):
    lat = np.arange(0.25, 10, 0.5)
    lon = np.arange(-29.75, 0, 0.5)
    v = np.full((lat.size, lon.size), 0.5, "float32") if values is None else values
    v[:, :18] = -5.0 if packed else -999.0
    ds = xr.Dataset(
        {"chl": (("lat", "lon"), v, attrs)},
        coords={
            "lat": ("lat", lat, {"units": "degrees_north"}),
            "lon": ("lon", lon, {"units": "degrees_east"}),
        },
    )
    enc = {"chl": {"dtype": "int16", "scale_factor": 0.01, "_FillValue": -32767}} if packed else {}
    return ds.to_netcdf(tmp_path / "vr.nc", engine="scipy", encoding=enc) or tmp_path / "vr.nc"


@pytest.mark.parametrize(
    "attrs",
    [
        {"valid_range": np.array([0.0, 100.0], "float32")},
        {"valid_min": np.float32(0.0)},
        {"valid_min": 0.0, "valid_max": 100.0},
    ],
)
def test_netcdf_values_outside_the_valid_range_are_missing(tmp_path, attrs):
    path = valid_range_nc(tmp_path, attrs)
    da, cov, means, _ = run_like_pipeline(path, (-30.0, 0.0, 0.0, 10.0), [(-27.0, 5.0)])
    assert np.isnan(means).all()
    assert cov["valid_fraction_in_area"] == pytest.approx(0.7, abs=0.01)
    assert da.attrs["assumptions"]["valid_range"]["by"] == "file"
    assert np.nanmin(da.to_numpy()) == np.float32(0.5)


def test_valid_range_of_a_packed_netcdf_is_in_stored_units(tmp_path):
    v = np.full((20, 60), 0.5, "float32")
    v[:, 40:] = 2.0  # stored 200, outside a stored valid_range [0, 100]
    path = valid_range_nc(tmp_path, {"valid_range": np.array([0, 100], "int16")}, v, packed=True)
    vals = open_raster(path).to_numpy()[0]
    assert np.isnan(vals[:, :18]).all() and np.isnan(vals[:, 40:]).all()
    assert np.allclose(vals[:, 18:40], 0.5)


# ----------------------------------------------------------------------------- zonal dynamic range


@pytest.mark.parametrize("big", [1e14, 1e20, -1e17])
@pytest.mark.parametrize("method", ["exact", "centre"])
def test_one_huge_pixel_leaves_the_cells_below_it_exact(tmp_path, big, method):
    res, h, w = 0.25, 120, 80
    v = np.full((h, w), 5.0, "float32")
    v[4, 40] = big  # lon -10 + 40.5 * 0.25 = 0.125, lat 28.875
    path = write_tif(tmp_path / "big.tif", v, from_origin(-10, 30, res, res))
    da = open_raster(path)
    below = region_to_cells((-1.0, 2.0, 1.5, 26.0), 4)
    t = zonal_stats_to_cells(da, below, method=method, stats=("mean", "sum", "count"), name="r")
    np.testing.assert_allclose(t["r_mean"], 5.0, rtol=1e-9)
    np.testing.assert_allclose(t["r_sum"], 5.0 * t["r_count"], rtol=1e-9)
    if method == "exact":  # the cell holding it: as exactextract, in float64
        exactextract = pytest.importorskip("exactextract")
        from pipeline.grid import cells_to_geodataframe

        cell = points_to_cells([0.125], [28.875], 4)
        ours = zonal_stats_to_cells(da, cell, stats=("mean", "sum"), name="r")
        ref = exactextract.exact_extract(
            str(path), cells_to_geodataframe(cell), ["mean", "sum"], output="pandas"
        )
        # exactextract rounds coverage fractions to ~1e-8
        np.testing.assert_allclose(ours["r_sum"], ref["sum"], rtol=1e-6)
        np.testing.assert_allclose(ours["r_mean"], ref["mean"], rtol=1e-6)


# ----------------------------------------------------------------------------- rotated grids


def test_rotated_geotiff_is_refused_in_one_line(tmp_path):
    from affine import Affine

    t = Affine.translation(-10, 20) * Affine.rotation(15) * Affine.scale(0.25, -0.25)
    path = write_tif(tmp_path / "rot.tif", np.ones((40, 60)), t, nodata=-9999)
    with pytest.raises(InputError, match=r"rot.tif: raster grid is rotated or sheared") as err:
        open_raster(path)
    assert "\n" not in str(err.value) and "gdalwarp" in str(err.value)


@pytest.mark.parametrize("fill", [1e20, -3.4028234663852886e38, 9.969209968386869e36])
def test_one_cell_of_a_huge_fill_is_refused_while_a_few_minus_9999_are_not(tmp_path, fill):
    """A 1e20 fill over 0.077 % of a raster was averaged in (cells read 3.7e19)."""
    values = np.full((100, 100), 5.0, "float32")
    values[3, 7] = fill
    path = write_tif(tmp_path / "f.tif", values, from_origin(-30, 20, 0.2, 0.2))
    with pytest.raises(InputError, match="a common nodata value, but the file declares no nodata"):
        raster_coverage(open_raster(RasterSource(path=path)), (-30.0, 0.0, -10.0, 20.0))
    values[3, 7] = -9999.0  # one cell of 10,000: could be a value, below the 0.1 % share
    write_tif(path, values, from_origin(-30, 20, 0.2, 0.2))
    assert raster_coverage(open_raster(RasterSource(path=path)), (-30.0, 0.0, -10.0, 20.0))


def test_cells_a_utm_raster_cannot_hold_get_no_value_not_a_failed_run(tmp_path):
    """A UTM raster under an ocean-wide area failed the run ('outside its area of use')."""
    values = np.arange(100 * 100, dtype="float32").reshape(100, 100)
    # 10 km of UTM 18N (meridian 75°W) around 20°N
    transform = from_origin(450_000, 2_220_000, 100, 100)
    path = write_tif(tmp_path / "utm.tif", values, transform, crs="EPSG:32618")
    da = open_raster(RasterSource(path=path))
    near = region_to_cells((-75.5, 19.9, -74.5, 20.1), 6)
    # 83° and 90° from the meridian on the equator: no UTM 18N coordinates (inf)
    far = np.unique(points_to_cells(np.array([8.0, 15.0]), np.array([0.0, 0.0]), 6))
    alone = zonal_stats_to_cells(da, near, name="r")
    both = zonal_stats_to_cells(da, np.r_[near, far], name="r").set_index("cell")
    assert both.loc[far, "r_mean"].isna().all()
    assert np.array_equal(
        both.loc[near, "r_mean"].to_numpy(), alone["r_mean"].to_numpy(), equal_nan=True
    )
    assert alone["r_mean"].notna().sum() > 0
