"""Rasters in the shapes more products publish: found by a probe of the raster reader.

Each file is tiny and written in ``tmp_path`` the way the product lays it out (a VIIRS Black
Marble VNP46A2 HDF5 with its grids in HDF-EOS5 groups, a Copernicus Marine NetCDF with time
and depth, a GeoTIFF whose bands have descriptions, a polar stereographic grid, a GeoTIFF
tagged pixel-is-point) and goes through what the run does with a raster: open, coverage over
the area, clip and zonal statistics per cell.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from pyproj import Transformer
from rasterio.transform import from_origin

from pipeline.errors import InputError
from pipeline.grid import region_to_cells
from pipeline.ingest import clip_raster, open_raster, raster_coverage
from pipeline.ingest.options import RasterSource
from pipeline.zonal import zonal_stats_to_cells

BBOX = (-2.0, 8.0, 2.0, 12.0)


def zonal_like_the_run(source, bbox=BBOX, res=4):
    """Open -> coverage -> clip -> zonal statistics, as the run's raster stage does."""
    da = open_raster(source)
    raster_coverage(da, bbox)
    clipped = clip_raster(da, bbox, margin_km=100)
    table = zonal_stats_to_cells(
        clipped, region_to_cells(bbox, res), stats=("mean", "valid_fraction"), name="r"
    )
    return da, table


def cell_latitudes(cells) -> np.ndarray:
    """Return the latitude of each cell's centre."""
    return np.array([h3.cell_to_latlng(h3.int_to_str(int(c)))[0] for c in cells])


# ----------------------------------------------------------------------------- HDF5 groups


def write_vnp46a2(path) -> None:
    """Write a VNP46A2 (v2) tile piece: grids and lat/lon inside HDF-EOS5 groups."""
    import h5py

    n, res = 40, 0.1
    with h5py.File(path, "w") as f:
        g = f.create_group("HDFEOS/GRIDS/VNP_Grid_DNB/Data Fields")
        ntl = g.create_dataset("Gap_Filled_DNB_BRDF-Corrected_NTL", data=np.full((n, n), 5.0, "f4"))
        ntl.attrs["_FillValue"] = np.float32(-999.9)
        qf = g.create_dataset("Mandatory_Quality_Flag", data=np.zeros((n, n), "u1"))
        qf.attrs["_FillValue"] = np.uint8(255)
        g.create_dataset("lat", data=13 - res / 2 - res * np.arange(n))
        g.create_dataset("lon", data=-3 + res / 2 + res * np.arange(n))
        f.create_group("HDFEOS INFORMATION").create_dataset(
            "StructMetadata.0", data=np.bytes_("GROUP=GridStructure")
        )


@pytest.mark.parametrize(
    "variable", [None, "Gap_Filled_DNB_BRDF-Corrected_NTL", "Mandatory_Quality_Flag"]
)
def test_an_hdf5_product_with_its_grids_in_groups_is_refused_naming_them(tmp_path, variable):
    # Before: "0 gridded variables []; set variable", and with variable set "not found; it
    # has []": advice that cannot work, since no variable name reaches into a group.
    path = tmp_path / "VNP46A2.A2024001.h17v07.002.2024010101010.h5"
    write_vnp46a2(path)
    with pytest.raises(InputError) as err:
        open_raster(RasterSource(path=path, variable=variable))
    text = str(err.value)
    assert "\n" not in text
    assert "HDFEOS/GRIDS/VNP_Grid_DNB/Data Fields/Gap_Filled_DNB_BRDF-Corrected_NTL" in text
    assert "groups" in text and "gdal_translate" in text
    # GDAL names the subdataset with underscores for the spaces of the group names
    assert "://HDFEOS/GRIDS/VNP_Grid_DNB/Data_Fields/" in text
    if variable is not None:
        assert f"variable {variable!r} is not at its root" in text


def test_a_quality_flag_whose_0_is_best_masks_the_pixels_above_its_max(tmp_path):
    # VNP46A2 exported to GeoTIFFs: Mandatory_Quality_Flag 0 high, 1 poor, 2 gap-filled (a
    # radiance carried over from an earlier night), 255 fill.  Before: a mask kept the pixels
    # at min or above only, so "drop 2" could not be said (max was refused as unknown).
    from pydantic import ValidationError

    n = 120
    profile = dict(driver="GTiff", width=n, height=n, count=1)
    profile.update(crs="EPSG:4326", transform=from_origin(-3.0, 13.0, 0.05, 0.05))
    qf = np.zeros((n, n), "uint8")
    qf[30:70, 40:90] = 2  # gap-filled over a block wider than several cells
    qf[:, :10] = 1  # poor quality: kept
    ntl = np.where(qf == 2, 500.0, 5.0).astype("float32")
    with rasterio.open(tmp_path / "qf.tif", "w", dtype="uint8", nodata=255, **profile) as dst:
        dst.write(qf, 1)
    with rasterio.open(tmp_path / "ntl.tif", "w", dtype="float32", nodata=-999.9, **profile) as d:
        d.write(ntl, 1)
    mask = {"path": tmp_path / "qf.tif", "min": 0, "max": 1}
    source = RasterSource(path=tmp_path / "ntl.tif", mask=mask)
    da, table = zonal_like_the_run(source)
    has = table["r_valid_fraction"] > 0
    assert (~has).sum() >= 3  # the cells inside the gap-filled block: missing, not 500
    np.testing.assert_allclose(table.loc[has, "r_mean"], 5.0)
    assert da.attrs["assumptions"]["mask"]["value"] == "qf.tif >= 0 and <= 1"
    coverage = raster_coverage(open_raster(source), BBOX)
    assert coverage["masked_in_area"] > 0 and "qf.tif outside 0..1" in coverage["mask_note"]
    with pytest.raises(ValidationError, match="below its min"):
        RasterSource(path=tmp_path / "ntl.tif", mask={**mask, "min": 2})


# ----------------------------------------------------------------------------- which step


def write_cmems(path) -> None:
    """Write a Copernicus Marine subset: thetao(time, depth, latitude, longitude), packed."""
    times = pd.date_range("2024-01-01", periods=3, freq="D")
    depth = np.array([0.494025, 1.541375, 2.645669], dtype="float32")
    lat = np.arange(6.0, 14.01, 0.25, dtype="float32")
    lon = np.arange(-4.0, 4.01, 0.25, dtype="float32")
    # value = 10 x (day + 1) + depth index: the step read is known from the value
    vals = (10.0 * (np.arange(3)[:, None] + 1) + np.arange(3)[None, :]).astype("float32")
    cube = np.broadcast_to(vals[:, :, None, None], (3, 3, lat.size, lon.size))
    ds = xr.Dataset(
        {"thetao": (("time", "depth", "latitude", "longitude"), cube, {"units": "degrees_C"})},
        coords={
            "time": ("time", times),
            "depth": ("depth", depth, {"units": "m", "positive": "down"}),
            "latitude": ("latitude", lat, {"units": "degrees_north"}),
            "longitude": ("longitude", lon, {"units": "degrees_east"}),
        },
    )
    enc = {"dtype": "int16", "scale_factor": 0.001, "add_offset": 20.0, "_FillValue": -32767}
    ds.to_netcdf(path, engine="h5netcdf", encoding={"thetao": enc})


def test_a_netcdf_band_that_is_a_depth_states_which_depth_it_is(tmp_path):
    # Before: "dimension 'depth' read as bands" and nothing on which depth band 2 is.
    path = tmp_path / "cmems_mod_glo_phy-thetao_anfc_0.083deg_P1D-m.nc"
    write_cmems(path)
    da, table = zonal_like_the_run(RasterSource(path=path, band=2))
    np.testing.assert_allclose(table["r_mean"], 31.0, atol=1e-3)  # latest day, 2nd depth
    chosen = da.attrs["assumptions"]["selection"]
    assert chosen["depth"] == "band 2 -> index 1 (1.541375 m)"
    assert "2024-01-03" in chosen["time"]


def test_a_float32_depth_is_stated_and_listed_as_the_file_holds_it(tmp_path):
    # Before: "value 1.541375 -> index 1 (1.5413750410079956)", and a refusal listing
    # [0.4940249919891357, ...]: float32 depths widened to float64 digits no file holds.
    path = tmp_path / "cmems_mod_glo_phy-thetao_anfc_0.083deg_P1D-m.nc"
    write_cmems(path)
    da, table = zonal_like_the_run(RasterSource(path=path, select={"depth": 1.541375}))
    np.testing.assert_allclose(table["r_mean"], 31.0, atol=1e-3)
    assert da.attrs["assumptions"]["selection"]["depth"] == "value 1.541375 -> index 1 (1.541375)"
    with pytest.raises(InputError, match=r"from \[0\.494025, 1\.541375, 2\.645669\]"):
        open_raster(RasterSource(path=path, select={"depth": 5.0}))


def test_a_geotiff_band_is_stated_with_its_description(tmp_path):
    # Before: band 3 was read (rightly) but nothing said which band, or what it holds.
    path = tmp_path / "s2_indices.tif"
    profile = dict(driver="GTiff", width=100, height=100, count=3, dtype="float32")
    profile.update(crs="EPSG:4326", transform=from_origin(-3.0, 13.0, 0.06, 0.06))
    with rasterio.open(path, "w", **profile) as dst:
        for b in (1, 2, 3):
            dst.write(np.full((100, 100), 10.0 * b, "float32"), b)
        dst.descriptions = ("red", "nir", "ndvi")
    da, table = zonal_like_the_run(RasterSource(path=path, band=3))
    np.testing.assert_allclose(table["r_mean"], 30.0)
    assert da.attrs["assumptions"]["bands"] == "band 3 ('ndvi') of 3"
    every = open_raster(RasterSource(path=path))
    assert every.attrs["assumptions"]["bands"] == "bands 1 ('red'), 2 ('nir'), 3 ('ndvi')"


def write_climate_model(path, units: str | None, calendar: str | None) -> None:
    """Write tos(time, lat, lon) as a CMIP6 model does: a noleap or 360_day calendar.

    Step k holds the value k everywhere, so the step read is known from the value.
    """
    import h5netcdf

    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"time": 3, "lat": 33, "lon": 33}
        t = f.create_variable("time", ("time",), "f8")
        t[:] = [15.5, 45.0, 74.5]  # mid-month days of a noleap year
        if units:
            t.attrs["units"] = units
        if calendar:
            t.attrs["calendar"] = calendar
        lat = f.create_variable("lat", ("lat",), "f4")
        lat[:] = np.arange(6.0, 14.01, 0.25)
        lat.attrs["units"] = "degrees_north"
        lon = f.create_variable("lon", ("lon",), "f4")
        lon[:] = np.arange(-4.0, 4.01, 0.25)
        lon.attrs["units"] = "degrees_east"
        tos = f.create_variable("tos", ("time", "lat", "lon"), "f4")
        tos[:] = np.arange(3.0)[:, None, None] * np.ones((1, 33, 33))


@pytest.mark.parametrize(
    ("units", "calendar"),
    [("days since 1850-01-01", "noleap"), ("days since 1850-01-01", "360_day"), (None, None)],
)
def test_a_time_axis_that_is_not_dates_gives_its_latest_step_and_says_so(tmp_path, units, calendar):
    # Before: a noleap/360_day calendar was "unreadable NetCDF: ... Try opening your dataset
    # with decode_times=False or installing cftime" (advice for a programmer, no setting can
    # follow it); a time without units was read as nanoseconds after 1970 and stated so.
    path = tmp_path / "tos_Omon_MODEL_ssp585_r1i1p1f1_gn_201501-201503.nc"
    write_climate_model(path, units, calendar)
    da, table = zonal_like_the_run(RasterSource(path=path))
    np.testing.assert_allclose(table["r_mean"], 2.0)  # the last step
    said = da.attrs["assumptions"]["selection"]["time"]
    assert said.startswith("latest step of 3: ")
    assert "1970" not in said and "not read as dates" in said
    if units:
        assert f"74.5 {units}" in said and repr(calendar) in said
    # a date cannot be matched: refused with the way to pick a step
    with pytest.raises(InputError, match=r"select: \{time: \{index: N\}\}") as err:
        open_raster(RasterSource(path=path, time="2015-02-14"))
    assert "\n" not in str(err.value)
    first = open_raster(RasterSource(path=path, select={"time": {"index": 0}}))
    assert float(first.isel(band=0, y=0, x=0)) == 0.0


def write_daily_with_gaps(path) -> None:
    """Write a daily L4-like sst(time, lat, lon): 10 days of 1.0, a block seen on day 10 only."""
    lat = np.arange(6.0, 14.01, 0.1, dtype="float32")
    lon = np.arange(-4.0, 4.01, 0.1, dtype="float32")
    sst = np.ones((10, lat.size, lon.size), "float32")
    block = (slice(None, 9), slice(25, 55), slice(25, 55))  # lat 8.5..11.4, lon -1.5..1.4
    sst[block] = np.nan  # cloud or ice: no retrieval on days 1..9
    ds = xr.Dataset(
        {"sst": (("time", "lat", "lon"), sst)},
        coords={
            "time": pd.date_range("2024-01-01", periods=10, freq="D"),
            "lat": ("lat", lat, {"units": "degrees_north"}),
            "lon": ("lon", lon, {"units": "degrees_east"}),
        },
    )
    ds.to_netcdf(path, engine="h5netcdf", encoding={"sst": {"_FillValue": -999.0}})


def test_a_window_sum_over_missing_steps_is_missing_and_a_mean_says_so(tmp_path):
    # Before: the sum of a pixel seen on 1 day of 10 was that day's value (1.0 beside 10.0
    # around it: a missing day read as 0), and "sum of 10 steps" was all the run said; a
    # mean over 1 step was stated as a "mean of 10 steps".
    path = tmp_path / "sst_daily.nc"
    write_daily_with_gaps(path)
    window = {"start": "2024-01-01", "end": "2024-01-10"}
    da, table = zonal_like_the_run(RasterSource(path=path, time={**window, "aggregate": "sum"}))
    has = table["r_valid_fraction"] > 0
    assert (~has).sum() >= 3  # the cells inside the block: missing, not a sum of 1 day
    np.testing.assert_allclose(table.loc[has, "r_mean"], 10.0, rtol=1e-6)
    said = da.attrs["assumptions"]["selection"]["time"]
    assert "sum of 10 steps; 900 pixels hold a value in fewer of them (as few as 1)" in said
    assert "sum is missing" in said
    da, table = zonal_like_the_run(RasterSource(path=path, time={**window, "aggregate": "mean"}))
    np.testing.assert_allclose(table["r_mean"], 1.0, rtol=1e-6)
    said = da.attrs["assumptions"]["selection"]["time"]
    assert "mean of 10 steps; 900 pixels hold a value in fewer of them (as few as 1)" in said


def write_sea_ice(path, valid_max: int = 100) -> None:
    """Write a sea ice concentration as NSIDC's CDR (G02202) codes it: 0..100 % x 0.01, flags.

    Its flag_values 251..255 (pole hole, lakes, coastal, land, missing) lie outside its
    valid_range 0..100.  On a lat/lon grid (the reader's polar grids are tested apart): 80 %
    everywhere but a block of land (254) inside the area.
    """
    lat = np.arange(6.0, 14.01, 0.1)
    lon = np.arange(-4.0, 4.01, 0.1)
    conc = np.full((1, lat.size, lon.size), 80, "u1")
    conc[0, 25:55, 25:55] = 254  # land_mask: lat 8.5..11.4, lon -1.5..1.4
    attrs = {
        "flag_values": np.array([251, 252, 253, 254, 255], "u1"),
        "flag_meanings": "pole_hole lakes coastal land_mask missing_data",
        "valid_range": np.array([0, valid_max], "u1"),
        "scale_factor": 0.01,
        "_FillValue": np.uint8(255),
        "standard_name": "sea_ice_area_fraction",
    }
    ds = xr.Dataset(
        {"cdr_seaice_conc": (("time", "lat", "lon"), conc, attrs)},
        coords={
            "time": pd.date_range("2023-09-01", periods=1),
            "lat": ("lat", lat, {"units": "degrees_north"}),
            "lon": ("lon", lon, {"units": "degrees_east"}),
        },
    )
    ds.to_netcdf(path, engine="h5netcdf")


def test_flag_values_outside_the_valid_range_beside_a_quantity_are_missing_not_classes(tmp_path):
    # Before: CF flag_values made any variable "class codes": a sea ice concentration was
    # refused (no mean per cell) with advice to turn "class 80" into a share.
    path = tmp_path / "seaice_conc_monthly_nh_202309_f17_v04r00.nc"
    write_sea_ice(path)
    da, table = zonal_like_the_run(RasterSource(path=path))
    assert "categorical" not in da.attrs
    said = da.attrs["assumptions"]["flag_values"]
    assert said["value"] == [251.0, 252.0, 253.0, 254.0, 255.0]
    assert "land_mask" in said["evidence"] and "[0, 100]" in said["evidence"]
    has = table["r_valid_fraction"] > 0
    assert (~has).sum() >= 3  # the cells over land: missing, not 2.54
    np.testing.assert_allclose(table.loc[has, "r_mean"], 0.8, rtol=1e-6)
    # flags inside the valid range are class codes still (ESA CCI land cover's lccs_class)
    write_sea_ice(tmp_path / "classes.nc", valid_max=254)
    assert "categorical" in open_raster(tmp_path / "classes.nc").attrs


def write_tagged_classes(path, band_tags: dict[str, str]) -> None:
    """Write a uint8 land cover as gdal_translate NETCDF:...:lccs_class out.tif writes it.

    No colour table; the variable's CF attributes are band tags (GDAL's ``{a,b}`` arrays),
    and the file carries another variable's as ``processed_flag#...``.  Classes 10 (crop)
    and 210 (water) in halves: a mean would be a class 110 (shrubland) that is not there.
    """
    data = np.full((120, 120), 10, "uint8")
    data[:, 60:] = 210
    profile = dict(driver="GTiff", width=120, height=120, count=1, dtype="uint8", nodata=0)
    profile.update(crs="EPSG:4326", transform=from_origin(-3.0, 13.0, 0.05, 0.05))
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(**{"processed_flag#flag_values": "{0,1}", "NC_GLOBAL#title": "ESA CCI"})
        dst.update_tags(1, **band_tags)


def test_a_land_cover_geotiff_whose_cf_flags_are_tags_is_not_averaged(tmp_path):
    # Before: with no colour table, the flag_values GDAL copied into the band's tags were
    # not read: classes 10 and 210 were averaged into 110, a class that is not there.
    path = tmp_path / "ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7_lccs_class.tif"
    tags = {
        "flag_values": "{0,10,11,12,20,30,40,50,60,190,200,210,220}",
        "flag_meanings": "no_data cropland_rainfed ... bare_areas water snow_and_ice",
        "valid_min": "1",
        "valid_max": "220",
        "long_name": "Land cover class defined in LCCS",
    }
    write_tagged_classes(path, tags)
    with pytest.raises(InputError, match="band 1 tag flag_values") as err:
        zonal_like_the_run(RasterSource(path=path))
    assert "class codes" in str(err.value) and "\n" not in str(err.value)
    # flags all outside a tagged valid range are special values beside a quantity; another
    # variable's flags in the file's tags (processed_flag#flag_values) say nothing of it
    write_tagged_classes(tmp_path / "q.tif", {"flag_values": "{10,254}", "valid_range": "{20,250}"})
    quantity = open_raster(tmp_path / "q.tif")
    assert "categorical" not in quantity.attrs
    # GDAL applies no valid range: the flag (10 here) is missing, never a value
    assert np.isnan(quantity.to_numpy()[0, :, :60]).all()
    assert (quantity.to_numpy()[0, :, 60:] == 210).all()
    assert [f["value"] for f in quantity.attrs["assumptions"]["fill_tags"]] == [10.0, 254.0]


@pytest.mark.parametrize(
    "tags",
    [{"valid_range": "{0,100}"}, {"valid_min": "0", "valid_max": "100"}],
)
def test_a_geotiff_valid_range_tag_makes_the_codes_outside_it_missing(tmp_path, tags):
    # MOD10A1 NDSI_Snow_Cover exported to a GeoTIFF: 0..100 is snow cover, 200..254 are
    # codes (250 cloud, 239 ocean), 255 fill; its valid range is a tag GDAL does not apply.
    # Before: the cloud code 250 was averaged as a snow cover of 250 %.
    data = np.full((120, 120), 40, "uint8")
    data[30:70, 40:90] = 250  # cloud
    profile = dict(driver="GTiff", width=120, height=120, count=1, dtype="uint8")
    profile.update(crs="EPSG:4326", transform=from_origin(-3.0, 13.0, 0.05, 0.05))
    path = tmp_path / "MOD10A1.A2024032.h17v07.061_NDSI_Snow_Cover.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(1, _FillValue="255", long_name="NDSI snow cover", **tags)
    da, table = zonal_like_the_run(RasterSource(path=path))
    has = table["r_valid_fraction"] > 0
    assert (~has).sum() >= 3  # the cells under the cloud: missing, not 250
    np.testing.assert_allclose(table.loc[has, "r_mean"], 40.0)
    said = da.attrs["assumptions"]["valid_range"]
    assert said["value"] == [0.0, 100.0] and "outside [0, 100] are missing" in said["evidence"]
    # ... and the ingest summary's text says so, as it says the nodata (before: JSON only)
    from pipeline.ingest import format_summary, summarise_ingest

    text = format_summary(summarise_ingest("raster", path, out_dir=tmp_path / "s"))
    assert "valid range" in text and "outside [0, 100] are missing" in text, text
    assert "fill tag" in text and "_FillValue" in text, text


# ----------------------------------------------------------------------------- placed right


def test_a_polar_stereographic_raster_gives_each_cell_its_own_latitude(tmp_path):
    # NSIDC's EPSG:3413 grid: the cells of an Arctic area read the pixels under them
    bbox = (-20.0, 70.0, 20.0, 80.0)
    fwd = Transformer.from_crs("EPSG:4326", "EPSG:3413", always_xy=True)
    xs, ys = fwd.transform([-20, 20, -20, 20, 0], [70, 70, 80, 80, 70])
    res = 10_000.0
    x0, y1 = min(xs) - 2e5, max(ys) + 2e5
    nx, ny = int((max(xs) + 2e5 - x0) / res), int((y1 - min(ys) + 2e5) / res)
    gx, gy = np.meshgrid(x0 + res * (np.arange(nx) + 0.5), y1 - res * (np.arange(ny) + 0.5))
    _, lat = Transformer.from_crs("EPSG:3413", "EPSG:4326", always_xy=True).transform(gx, gy)
    path = tmp_path / "polar.tif"
    profile = dict(driver="GTiff", width=nx, height=ny, count=1, dtype="float32")
    with rasterio.open(
        path, "w", crs="EPSG:3413", transform=from_origin(x0, y1, res, res), **profile
    ) as dst:
        dst.write(lat.astype("float32"), 1)
    _, table = zonal_like_the_run(RasterSource(path=path), bbox=bbox)
    assert table["r_mean"].notna().all()
    np.testing.assert_allclose(table["r_mean"], cell_latitudes(table["cell"]), atol=0.05)


def test_a_pixel_is_point_geotiff_is_not_shifted_by_half_a_pixel(tmp_path):
    # SRTM/ETOPO-style AREA_OR_POINT=Point: the tie point is the first pixel's centre
    res = 0.5
    lon = -3.0 + res * np.arange(13)
    data = np.tile(lon, (13, 1)).astype("float32")  # value = the pixel centre's longitude
    path = tmp_path / "point.tif"
    profile = dict(driver="GTiff", width=13, height=13, count=1, dtype="float32")
    with rasterio.open(
        path, "w", crs="EPSG:4326", transform=from_origin(-3.25, 13.25, res, res), **profile
    ) as dst:
        dst.write(data, 1)
        dst.update_tags(AREA_OR_POINT="Point")
    da = open_raster(RasterSource(path=path))
    np.testing.assert_allclose(da["x"].to_numpy(), lon)
    assert float(da.sel(x=0.0, y=10.0, method="nearest").squeeze()) == 0.0


# ----------------------------------------------------------------------------- read lazily


def write_global_grid(path, dtype: str, steps: int) -> None:
    """Write a global 2 arc-minute grid (ETOPO2/GEBCO-like), chunked, almost all unwritten.

    ``steps`` 0 writes elevation(lat, lon) (int16 without a fill, as GEBCO's); else a
    variable(time, lat, lon) with that many steps.  Only the area's block holds values.
    """
    import h5netcdf

    n_lat, n_lon, res = 5400, 10800, 1 / 30
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"lat": n_lat, "lon": n_lon, **({"time": steps} if steps else {})}
        lat = f.create_variable("lat", ("lat",), "f8")
        lat[:] = -90 + res / 2 + res * np.arange(n_lat)
        lat.attrs["units"] = "degrees_north"
        lon = f.create_variable("lon", ("lon",), "f8")
        lon[:] = -180 + res / 2 + res * np.arange(n_lon)
        lon.attrs["units"] = "degrees_east"
        dims: tuple[str, ...] = ("lat", "lon")
        if steps:
            t = f.create_variable("time", ("time",), "f8")
            t[:] = np.arange(steps)
            t.attrs["units"] = "days since 2024-01-01"
            dims = ("time", *dims)
        var = f.create_variable(
            "elevation", dims, dtype, chunks=(1,) * (len(dims) - 2) + (540, 540)
        )
        block = (slice(int(98 * 30), int(102 * 30)), slice(int(178 * 30), int(182 * 30)))
        var[(Ellipsis, *block)] = -3000


@pytest.mark.parametrize(("dtype", "steps"), [("i2", 0), ("f4", 2)])
def test_a_global_netcdf_grid_is_not_loaded_whole_to_read_the_area(tmp_path, dtype, steps):
    # Before: a 2-D variable (or one time step of a 3-D one) got its band axis by xarray's
    # expand_dims, and an integer one its float type by astype: both load the whole grid, so
    # a global 15 arc-second GEBCO (3.7e9 pixels) was killed for memory at open.
    import tracemalloc

    path = tmp_path / "gebco_like.nc"
    write_global_grid(path, dtype, steps)
    whole_mb = 5400 * 10800 * 4 / 2**20  # 222 MB as float32
    tracemalloc.start()
    try:
        da = open_raster(RasterSource(path=path))
        raster_coverage(da, BBOX)
        window = clip_raster(da, BBOX, margin_km=20).load()
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert peak_mb < whole_mb / 5, f"{peak_mb:.0f} MB traced for a {whole_mb:.0f} MB grid"
    assert window.dims == ("band", "y", "x") and window.dtype.kind == "f"
    assert float(window.sel(x=0.0, y=10.0, method="nearest").squeeze()) == -3000.0
    assert float(window.sel(x=1.9, y=12.3, method="nearest").squeeze()) == 0.0


def test_latest_is_the_latest_step_not_after_the_runs_day(tmp_path):
    """A forecast file (CMEMS) holds days after the run's as_of: its 'latest' was the last
    forecast day, on the map of an earlier day; now the latest step on or before as_of,
    stated; a file of later days only is refused."""
    path = tmp_path / "sst_daily.nc"
    write_daily_with_gaps(path)  # 2024-01-01 .. 2024-01-10
    src = RasterSource(path=path, time="latest")
    end_of = pd.Timestamp("2024-01-04", tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(1, "us")
    da = open_raster(src, as_of=end_of)
    said = da.attrs["assumptions"]["selection"]["time"]
    assert "2024-01-04T00:00:00" in said and "6 later step(s)" in said, said
    assert "2024-01-10" in open_raster(src).attrs["assumptions"]["selection"]["time"]
    with pytest.raises(InputError, match="every time step .* is after the run's as_of"):
        open_raster(src, as_of=pd.Timestamp("2023-12-31T23:59:59", tz="UTC"))


def test_a_run_reads_the_step_of_its_as_of_not_a_cached_later_one(small_demo, tmp_path):
    """Two runs of one config as of two days read the step of each day (the step read is
    also part of the raster's key, so no cache serves the other day's).

    Only the scores' ``sst_mean`` is read: no timeline, back-test, hot spots or optional
    exports (``QUICK_TABLES``)."""
    from conftest import QUICK_TABLES, small_config

    import pipeline

    path = tmp_path / "sst.nc"
    lat = np.arange(-10.0, 45.01, 0.5, dtype="float32")
    lon = np.arange(-85.0, 10.01, 0.5, dtype="float32")
    days = pd.date_range("2026-06-27", periods=4, freq="D")
    values = np.stack([np.full((lat.size, lon.size), float(k + 1), "float32") for k in range(4)])
    xr.Dataset(
        {"sst": (("time", "lat", "lon"), values)},
        coords={"time": days, "lat": lat, "lon": lon},
    ).to_netcdf(path, engine="h5netcdf")
    raster = {"path": str(path), "name": "sst", "variable": "sst", "time": "latest"}
    cfg = small_config(
        small_demo,
        tmp_path,
        inputs={"rasters": [raster]},
        score={"factors": {"seizure_density": {"weight": 1}, "sst_mean": {"weight": 1}}},
        **QUICK_TABLES,
    )
    late = pipeline.run_pipeline(cfg, as_of="2026-06-30").scores["sst_mean"]
    early = pipeline.run_pipeline(cfg, as_of="2026-06-28").scores["sst_mean"]
    assert late.notna().sum() > 100 and early.notna().sum() > 100
    np.testing.assert_allclose(late.dropna(), 4.0, rtol=1e-6)
    np.testing.assert_allclose(early.dropna(), 2.0, rtol=1e-6)


# ------------------------------------------------------------------ a meridian held twice


@pytest.mark.parametrize("kind", ["tiff", "netcdf"])
def test_a_grid_holding_both_ends_of_the_globe_reads_that_meridian_once(tmp_path, kind):
    # 361 columns of 1 degree (-180..180, or 0..360 in a NetCDF): the meridian at the two
    # ends is one place on the globe. Before: a cell on it summed its pixels twice (and
    # the NetCDF, whose wrapped columns collided at 0, was kept as 0..360 with both).
    xs = np.arange(-180.0, 180.5, 1.0) if kind == "tiff" else np.arange(0.0, 360.5, 1.0)
    ys = np.arange(10.0, -10.5, -1.0)
    data = np.ones((ys.size, xs.size), "float32")
    if kind == "tiff":
        path = tmp_path / "glob.tif"
        with rasterio.open(
            path, "w", driver="GTiff", width=xs.size, height=ys.size, count=1, dtype="float32",
            crs="EPSG:4326", transform=from_origin(-180.5, 10.5, 1.0, 1.0),
        ) as dst:  # fmt: skip
            dst.write(data, 1)
        meridian = 180.0
    else:
        path = tmp_path / "glob.nc"
        xr.Dataset({"v": (("lat", "lon"), data)}, coords={"lat": ys, "lon": xs}).to_netcdf(
            path, engine="scipy"
        )
        meridian = 0.0
    da = open_raster(RasterSource(path=path))
    assert da.sizes["x"] == 360
    assert "repeated_meridian" in da.attrs["assumptions"]
    bbox = (
        (meridian - 3.0, -3.0, meridian + 3.0, 3.0)
        if kind == "netcdf"
        else (177.0, -3.0, -177.0, 3.0)
    )
    table = zonal_stats_to_cells(da, region_to_cells(bbox, 2), stats=("sum", "count"), name="r")
    # every pixel is 1, so a cell's sum is its (area-weighted) pixel count: a cell on the
    # meridian has no more pixels per area than its neighbours off it
    np.testing.assert_allclose(table["r_sum"], table["r_count"])
    lons = np.array([h3.cell_to_latlng(h3.int_to_str(int(c)))[1] for c in table["cell"]])
    on = np.abs(((lons - meridian + 180) % 360) - 180) < 0.7
    off = ~on & (np.abs(((lons - meridian + 180) % 360) - 180) < 2.5)
    assert on.any() and off.any()
    density = table["r_count"] / np.array(
        [h3.cell_area(h3.int_to_str(int(c))) for c in table["cell"]]
    )
    assert density[on].mean() == pytest.approx(density[off].mean(), rel=0.25)
    from pipeline.ingest import format_summary, summarise_ingest

    text = format_summary(summarise_ingest("raster", path, out_dir=tmp_path / "s"))
    assert "repeated meridian" in text and "read once" in text
