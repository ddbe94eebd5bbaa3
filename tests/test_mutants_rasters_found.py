"""Promises of raster reading and zonal statistics that a mutation review found untested.

Each test pins one rule ("missing is not zero", nodata, scale/offset, where a pixel lies)
that a small hand-made change to :mod:`pipeline.zonal` or :mod:`pipeline.ingest.rasters`
broke with every other test passing.  Expected values come from an independent computation
on a tiny raster (numpy or shapely by hand, or the same raster written another way), never
from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine

from pipeline.grid import region_to_cells
from pipeline.zonal import zonal_stats_to_cells

STATS = ("mean", "max", "min", "sum", "count", "valid_fraction")


def _geographic(values, lon0: float, lat0: float, step: float, nodata=None) -> xr.DataArray:
    """A north-up lon/lat raster of ``values`` whose top-left corner is (lon0, lat0)."""
    da = xr.DataArray(np.asarray(values), dims=("y", "x"), name="v")
    da = da.rio.write_crs("EPSG:4326").rio.write_transform(Affine(step, 0, lon0, 0, -step, lat0))
    return da.rio.write_nodata(nodata) if nodata is not None else da


def test_an_infinite_pixel_is_missing_not_a_value():
    """An infinite pixel (a division by zero in a derived product) is no measurement: the
    cells over it get the statistics of their other pixels, exactly as when it is NaN,
    and no cell's mean or sum is infinite or NaN from it (a prefix sum through +inf gives
    inf - inf = NaN to every cell below it in the column)."""
    rng = np.random.default_rng(3)
    values = rng.uniform(1.0, 5.0, (60, 60))
    cells = region_to_cells((0.02, 0.02, 0.58, 0.58), 7)
    as_nan = values.copy()
    as_nan[20, 30] = np.nan
    as_nan[45, 12] = np.nan
    for bad in (np.inf, -np.inf):
        with_inf = values.copy()
        with_inf[20, 30] = bad
        with_inf[45, 12] = -bad
        got = zonal_stats_to_cells(_geographic(with_inf, 0, 0.6, 0.01), cells, stats=STATS)
        want = zonal_stats_to_cells(_geographic(as_nan, 0, 0.6, 0.01), cells, stats=STATS)
        assert np.isfinite(got.drop(columns="cell").to_numpy()).all()
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def _tip_raster(cell, depth_px: float, step: float = 0.01) -> tuple[xr.DataArray, float]:
    """A raster of 5.0 whose west edge lies ``depth_px`` pixels west of ``cell``'s easternmost
    vertex, so that the cell reaches into its first column by a sliver only; and the area of
    that sliver in pixels, by shapely (the cell's lon/lat ring cut by the raster's box)."""
    import shapely

    from pipeline.grid import cells_to_boundaries

    lon, lat, _ = cells_to_boundaries(cell)
    k = int(np.argmax(lon))
    x0, y0 = lon[k] - depth_px * step, lat[k] + 5.37 * step
    da = _geographic(np.full((12, 10), 5.0), x0, y0, step)
    ring = shapely.Polygon(np.c_[lon, lat])
    box = shapely.box(x0, y0 - 12 * step, x0 + 10 * step, y0)
    return da, shapely.area(shapely.intersection(ring, box)) / step**2


def test_a_cell_touching_valid_pixels_by_a_sliver_below_a_millionth_pixel_is_missing():
    """Below 1e-6 of a pixel a valid area is round-off of the coverage sums: the cell is
    missing in every statistic (mean, max and min alike, valid fraction 0), never a mean
    of round-off or a max of a pixel its mean does not count.  Above it, the sliver is an
    area: the count is shapely's and the mean the pixel's value."""
    cell = region_to_cells((10.0, 45.0, 10.01, 45.01), 7)[:1]
    da, area = _tip_raster(cell, 1e-3)
    assert 1e-6 < area < 1e-4
    got = zonal_stats_to_cells(da, cell, stats=STATS).iloc[0]
    np.testing.assert_allclose(got["v_count"], area, rtol=1e-6)
    assert got["v_mean"] == got["v_max"] == got["v_min"] == 5.0
    da, area = _tip_raster(cell, 1e-4)
    assert 0 < area < 1e-6
    got = zonal_stats_to_cells(da, cell, stats=STATS).iloc[0]
    assert np.isnan(got[["v_mean", "v_max", "v_min"]].to_numpy(dtype=float)).all(), got
    assert got["v_count"] == got["v_valid_fraction"] == got["v_sum"] == 0.0


def test_a_cell_the_raster_does_not_cover_has_no_sum_and_no_valid_fraction(small_demo, tmp_path):
    """Missing is not zero, for every statistic a run scores: a cell beyond the raster's
    edge has a sum of 0 pixels and a valid fraction of 0 in the zonal table, but as factors
    both are "raster does not cover this cell" (not covered), as its mean is; a score
    that read them as covered would rank it as a cell of no lights."""
    import h3
    from _rasters import write_tif
    from conftest import LIGHT, small_config

    import pipeline

    step = 0.5
    path = write_tif(
        tmp_path / "west.tif",
        np.full((110, 90), 3.0, "float32"),
        Affine(step, 0, -85, 0, -step, 45),
    )  # lon -85..-40 of the area -85..10
    weights = {"seizure_density": 1, "west_sum": 1, "west_valid_fraction": 1, "west_mean": 1}
    cfg = small_config(
        small_demo,
        tmp_path,
        **{
            **LIGHT,
            "inputs": {"rasters": [{"path": str(path), "name": "west"}]},
            "area": {"bbox": [-85, -10, 10, 45], "resolution": 2},
            "density": {"bandwidth_km": 300.0},
            "zonal": {"stats": ["mean", "sum", "valid_fraction"]},
            "score": {"factors": {k: {"weight": w} for k, w in weights.items()}},
        },
    )
    scores = pipeline.run_pipeline(cfg).scores
    lat, lon = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in scores["cell"]]).T
    # cells wholly beyond the raster's east edge (-40), and wholly on it (3 degrees inside)
    east = lon > -37.0
    west = (lon > -82.0) & (lon < -43.0) & (lat > -7.0) & (lat < 42.0)
    assert east.sum() > 10 and west.sum() > 10
    for stat in ("mean", "sum", "valid_fraction"):
        covered = scores[f"west_{stat}__covered"].to_numpy(dtype=bool)
        assert not covered[east].any(), stat
        assert covered[west].all(), stat
    np.testing.assert_allclose(scores.loc[west, "west_mean"], 3.0, rtol=1e-6)
    np.testing.assert_allclose(scores.loc[west, "west_valid_fraction"], 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    ("dtype", "scale", "offset", "fill"),
    [
        ("uint16", 2.75e-5, -0.2, 0),  # Landsat surface reflectance, 0 where not measured
        ("int16", 0.02, 273.15, -32767),  # a temperature in kelvin
        ("int16", 1e-4, 0.0, -3000),  # MODIS NDVI
        ("uint8", 0.1, -5.0, 255),
    ],
    ids=["landsat", "kelvin", "ndvi", "byte"],
)
def test_a_configured_nodata_of_a_packed_raster_is_its_stored_value(
    tmp_path, dtype, scale, offset, fill
):
    """``nodata`` in the config is the stored integer (as GDAL's is), before the band's
    scale and offset: exactly the pixels storing it are missing, whatever the rounding of
    their decoded float32 (-32767 x 0.02 + 273.15 is no float32 number) and whatever the
    offset (decoded, 0 x 2.75e-5 - 0.2 is -0.2, not 0).  Checked pixel by pixel against
    numpy decoding the stored integers by hand."""
    import rasterio

    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    info = np.iinfo(dtype)
    rng = np.random.default_rng(1)
    stored = rng.integers(max(info.min, -3000) + 1, min(info.max, 40000) - 1, (30, 40))
    stored = stored.astype(dtype)
    stored[rng.random(stored.shape) < 0.2] = fill
    path = tmp_path / "packed.tif"
    profile = {"driver": "GTiff", "width": 40, "height": 30, "count": 1, "dtype": dtype}
    with rasterio.open(
        path, "w", **profile, crs="EPSG:4326", transform=Affine(0.1, 0, 0, 0, -0.1, 3)
    ) as dst:
        dst.write(stored[None])
        dst.scales, dst.offsets = (scale,), (offset,)
    got = open_raster(RasterSource(path=path, name="r", nodata=float(fill))).values[0]
    want = np.where(stored == fill, np.nan, stored.astype("float64") * scale + offset)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * np.nanmax(np.abs(want)))


def test_a_valid_range_decoded_by_a_negative_scale_keeps_the_values_inside_it(tmp_path):
    """CF ``valid_range`` is in stored units: with a negative ``scale_factor`` (a depth
    stored as positive integers, read as negative metres) the decoded bounds swap, and the
    pixels stored inside [0, 1000] are kept, those stored outside it (-5, 1001, 1500) are
    missing.  Expected by numpy on the stored integers."""
    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    stored = np.array([[-5, 0, 300, 1000], [1500, 200, 999, 1001], [10, 20, 30, 40]], "int16")
    attrs = {"scale_factor": -0.01, "add_offset": 0.0, "valid_range": np.array([0, 1000], "int16")}
    ds = xr.Dataset(
        {"depth": (("lat", "lon"), stored, attrs)},
        coords={"lat": [2.5, 1.5, 0.5], "lon": [0.5, 1.5, 2.5, 3.5]},
    )
    ds["lat"].attrs["units"], ds["lon"].attrs["units"] = "degrees_north", "degrees_east"
    path = tmp_path / "depth.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    got = open_raster(RasterSource(path=path, name="depth")).values[0]
    inside = (stored >= 0) & (stored <= 1000)
    np.testing.assert_array_equal(~np.isnan(got), inside)
    np.testing.assert_allclose(got[inside], stored[inside] * -0.01, rtol=1e-6)


def test_a_float32_fill_copied_into_a_float64_raster_is_still_that_fill(tmp_path):
    """A climate model's float32 fill 1e20 converted to a Float64 GeoTIFF (gdal_translate
    -ot Float64) is 1.0000000200408773e20, not the float64 1e20: undeclared it is refused
    as a common fill, and ``nodata: 1e20`` in the config makes exactly those pixels missing
    (the huge fills are compared to 1e-6, as float32 holds them)."""
    from _rasters import write_tif

    from pipeline.errors import InputError
    from pipeline.ingest import open_raster, raster_coverage
    from pipeline.ingest.options import RasterSource

    values = np.linspace(1.0, 2.0, 30 * 40).reshape(30, 40)
    fill = float(np.float32(1e20))
    assert fill != 1e20
    values[5:9, 10:20] = fill
    path = write_tif(tmp_path / "tas.tif", values, Affine(0.1, 0, 0, 0, -0.1, 3), dtype="float64")
    with pytest.raises(InputError, match="1e\\+20, a common nodata value"):
        raster_coverage(open_raster(RasterSource(path=path, name="tas")))
    da = open_raster(RasterSource(path=path, name="tas", nodata=1e20))
    np.testing.assert_array_equal(np.isnan(da.values[0]), values == fill)
    assert raster_coverage(da)["valid_fraction_in_area"] == pytest.approx(1 - 40 / 1200)


def test_a_clip_keeps_the_pixels_centred_on_the_bboxs_edges_on_every_side():
    """``clip_raster`` keeps the pixels whose centre lies in the closed bbox: one centred on
    its east or north edge as one centred on its west or south edge (half of each is
    inside).  On a 1-degree grid centred on whole degrees, the bbox (2, 0, 4, 5) holds the
    columns centred on 2, 3, 4 and the rows centred on 0 to 5; across the antimeridian
    (358..362 as -2..2 on a grid reaching 0..359) the columns 358, 359, 0, 1, 2."""
    from pipeline.ingest import clip_raster

    da = _geographic(np.zeros((180, 360)), -0.5, 89.5, 1.0)
    da = da.assign_coords(x=np.arange(360.0), y=89.0 - np.arange(180.0))  # pixel centres
    out = clip_raster(da, (2.0, 0.0, 4.0, 5.0))
    assert out["x"].values.tolist() == [2.0, 3.0, 4.0]
    assert sorted(out["y"].values.tolist()) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    west = clip_raster(da, (-2.0, -1.0, 2.0, 1.0))
    kept = set(west["x"].values.tolist())
    assert {358.0, 359.0, 0.0, 1.0, 2.0} <= kept
    assert sorted(west["y"].values.tolist()) == [-1.0, 0.0, 1.0]


def test_a_grid_east_of_the_antimeridian_in_0_360_is_placed_at_its_longitudes(tmp_path):
    """A regional GeoTIFF written in 0..360 longitudes at 200..250 E is -160..-110: its
    bounds say so, an area at 185..195 E (-175..-165) is refused as not overlapping it,
    and one inside it is wholly covered."""
    from _rasters import write_tif

    from pipeline.errors import InputError
    from pipeline.ingest import describe_raster, open_raster, raster_coverage
    from pipeline.ingest.options import RasterSource

    path = write_tif(tmp_path / "east.tif", np.ones((10, 50)), Affine(1.0, 0, 200.0, 0, -1.0, 10))
    da = open_raster(RasterSource(path=path, name="east"))
    assert describe_raster(da)["bounds"] == [-160.0, 0.0, -110.0, 10.0]
    with pytest.raises(InputError, match="do not overlap"):
        raster_coverage(da, (-175.0, 0.0, -165.0, 10.0))
    inside = raster_coverage(da, (-150.0, 2.0, -140.0, 8.0))
    assert inside["overlap_fraction"] == 1.0 and inside["valid_fraction_in_area"] == 1.0


def test_a_projected_netcdf_takes_the_crs_of_its_grid_mapping(tmp_path):
    """A NetCDF in UTM metres whose variable names a CF ``grid_mapping`` is placed by that
    mapping (EPSG:32631), its pixels' corners half a pixel from the centres its x/y give;
    never refused as "not degrees" nor read as latitude/longitude."""
    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    ys, xs = [5_001_500.0, 5_000_500.0, 4_999_500.0], [500_500.0, 501_500.0, 502_500.0]
    da = xr.DataArray(np.arange(9.0).reshape(3, 3), dims=("y", "x"), coords={"y": ys, "x": xs})
    path = tmp_path / "utm.nc"
    da.rename("t").rio.write_crs("EPSG:32631").to_dataset().to_netcdf(path, engine="h5netcdf")
    got = open_raster(RasterSource(path=path, name="t"))
    assert got.rio.crs.to_epsg() == 32631
    assert tuple(got.rio.transform())[:6] == (1000.0, 0.0, 500_000.0, 0.0, -1000.0, 5_002_000.0)
    np.testing.assert_array_equal(got.values[0], np.arange(9.0).reshape(3, 3))
    assert got.attrs["assumptions"]["crs"]["by"] == "file"


def test_a_crs_in_the_config_never_overrides_the_files_own(tmp_path):
    """``crs`` in a raster's config is for a file that has none: a GeoTIFF in Web Mercator
    stays in Web Mercator (its metre coordinates read as degrees would be refused, or
    misplaced), and the assumption says the file declared it."""
    from _rasters import write_tif

    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    transform = Affine(1000.0, 0, 0.0, 0, -1000.0, 10_000.0)
    path = write_tif(tmp_path / "merc.tif", np.ones((10, 10)), transform, crs="EPSG:3857")
    got = open_raster(RasterSource(path=path, name="m", crs="EPSG:4326"))
    assert got.rio.crs.to_epsg() == 3857
    assert got.attrs["assumptions"]["crs"]["by"] == "file"


def test_a_valid_range_keeps_its_bounds_whatever_the_float32_decoding(tmp_path):
    """``valid_range`` [53, 1000] of an int16 stored at a float32 scale of 0.01 and offset
    of -5.3: the pixel storing 53 is valid, though xarray's float32 decoding (two roundings:
    times the scale, plus the offset) puts it one float32 step below the bound decoded in
    float64; the pixels storing 52 and 1001 are missing.  Expected by numpy on the stored
    integers."""
    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    stored = np.array([[53, 52, 1000], [1001, 500, 54]], "int16")
    scale, offset = np.float32(0.01), np.float32(-5.3)
    decoded = np.float32(53) * scale + offset  # as xarray decodes it, in float32
    assert decoded < np.float32(53 * float(scale) + float(offset))  # the premise
    attrs = {
        "scale_factor": scale,
        "add_offset": offset,
        "valid_range": np.array([53, 1000], "int16"),
    }
    ds = xr.Dataset(
        {"v": (("lat", "lon"), stored, attrs)},
        coords={"lat": [1.5, 0.5], "lon": [0.5, 1.5, 2.5]},
    )
    ds["lat"].attrs["units"], ds["lon"].attrs["units"] = "degrees_north", "degrees_east"
    ds.to_netcdf(tmp_path / "v.nc", engine="h5netcdf")
    got = open_raster(RasterSource(path=tmp_path / "v.nc", name="v")).values[0]
    np.testing.assert_array_equal(~np.isnan(got), (stored >= 53) & (stored <= 1000))


def test_a_global_grid_with_pixels_centred_on_the_poles_is_read(tmp_path):
    """ERA5's grid: latitudes 90 to -90 at pixel centres (181 rows of 1 degree), so its
    edges lie half a pixel beyond the poles; that is a global grid, not an impossible
    extent, and it is read (north-up, one pixel per degree)."""
    from pipeline.ingest import describe_raster, open_raster
    from pipeline.ingest.options import RasterSource

    lat, lon = np.arange(90.0, -91.0, -1.0), np.arange(0.0, 360.0, 1.0)
    ds = xr.Dataset(
        {"t2m": (("latitude", "longitude"), np.ones((lat.size, lon.size), "float32"))},
        coords={"latitude": lat, "longitude": lon},
    )
    ds["latitude"].attrs["units"], ds["longitude"].attrs["units"] = "degrees_north", "degrees_east"
    ds.to_netcdf(tmp_path / "era5.nc", engine="h5netcdf")
    da = open_raster(RasterSource(path=tmp_path / "era5.nc", name="t2m"))
    assert da.sizes["y"] == 181 and da.sizes["x"] == 360
    assert describe_raster(da)["bounds"] == [-180.0, -90.0, 180.0, 90.0]


def test_coordinates_rounded_in_the_file_are_still_an_even_grid(tmp_path):
    """A 1/12-degree grid whose coordinates the file holds rounded to 4 decimals (up to
    5e-5 off, 0.06 % of a step) is an even grid, read at its step; only steps that differ
    by more than 1 % are refused as a stretched grid."""
    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    step = 1 / 12
    lat = np.round(10.0 - (np.arange(24) + 0.5) * step, 4)
    lon = np.round(-20.0 + (np.arange(36) + 0.5) * step, 4)
    assert np.abs(np.diff(lon) - step).max() > 1e-5
    ds = xr.Dataset({"v": (("lat", "lon"), np.ones((24, 36)))}, coords={"lat": lat, "lon": lon})
    ds["lat"].attrs["units"], ds["lon"].attrs["units"] = "degrees_north", "degrees_east"
    ds.to_netcdf(tmp_path / "rounded.nc", engine="h5netcdf")
    da = open_raster(RasterSource(path=tmp_path / "rounded.nc", name="v"))
    t = da.rio.transform()
    assert abs(t.a - step) < 1e-5 and abs(-t.e - step) < 1e-5


def test_a_fill_value_tag_of_a_packed_geotiff_is_a_stored_value(tmp_path):
    """A ``_FillValue`` tag GDAL does not apply (a NetCDF exported with gdal_translate) is
    in stored units, as the variable's was: on an int16 band at scale 0.01, offset 5, the
    pixels storing -1000 are missing (decoded they would read -5.0, a value)."""

    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    rng = np.random.default_rng(2)
    stored = rng.integers(-500, 3000, (20, 30)).astype("int16")
    stored[rng.random(stored.shape) < 0.2] = -1000
    path = _packed_tif(tmp_path / "tagged.tif", stored, 0.01, 5.0, top=2, _FillValue="-1000")
    got = open_raster(RasterSource(path=path, name="t")).values[0]
    np.testing.assert_array_equal(np.isnan(got), stored == -1000)


@pytest.mark.parametrize(
    ("scale", "offset", "fill"),
    [(2.75e-5, -0.2, 7.0), (0.003, 1.7, -32768.0), (0.1, 273.15, -1.0)],
    ids=["reflectance", "small-scale", "kelvin"],
)
def test_a_configured_nodata_of_a_packed_float_raster_is_its_stored_value(
    tmp_path, scale, offset, fill
):
    """Packed floats (a float32 band with a scale and offset) are decoded in float32, one
    rounding after another: the configured nodata, a stored value, still marks exactly the
    pixels storing it (compared to a millionth of it, not bit for bit)."""

    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    rng = np.random.default_rng(1)
    stored = rng.uniform(-3000, 3000, (30, 40)).astype("float32")
    stored[rng.random(stored.shape) < 0.2] = fill
    path = _packed_tif(tmp_path / "packed_float.tif", stored, scale, offset, top=3)
    got = open_raster(RasterSource(path=path, name="r", nodata=fill)).values[0]
    np.testing.assert_array_equal(np.isnan(got), stored == fill)


def test_a_valid_min_tag_of_0_keeps_the_pixels_of_0(tmp_path):
    """A ``valid_min=0`` tag alone (no maximum) bounds the values from below, inclusively:
    the pixels of exactly 0 (no rain) are values, those below 0 missing."""
    import rasterio
    from _rasters import write_tif

    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    values = np.array([[0.0, 1.5, -1.0], [0.0, 2.0, -0.5]], "float32")
    path = write_tif(tmp_path / "rain.tif", values, Affine(0.1, 0, 0, 0, -0.1, 1))
    with rasterio.open(path, "r+") as dst:
        dst.update_tags(1, valid_min="0")
    got = open_raster(RasterSource(path=path, name="rain")).values[0]
    np.testing.assert_array_equal(~np.isnan(got), values >= 0)


def test_a_lat_lon_grid_with_a_pixel_centred_beyond_the_pole_is_not_taken_for_degrees(tmp_path):
    """Axes named lat/lon place a NetCDF grid only when their values are degrees: a row
    centred at 90.4 cannot be, even though its edges lie within the half-pixel slack that
    a grid centred on the pole itself needs.  Refused in one line asking for the crs."""
    from pipeline.errors import InputError
    from pipeline.ingest import open_raster
    from pipeline.ingest.options import RasterSource

    lat = 90.4 - np.arange(10.0)
    ds = xr.Dataset(
        {"v": (("lat", "lon"), np.ones((10, 4)))}, coords={"lat": lat, "lon": np.arange(4.0)}
    )
    ds.to_netcdf(tmp_path / "shifted.nc", engine="h5netcdf")
    with pytest.raises(InputError, match="set crs"):
        open_raster(RasterSource(path=tmp_path / "shifted.nc", name="v"))


def test_the_max_leaves_out_a_pixel_the_cell_only_touches_at_a_vertex():
    """``max`` is over the pixels a cell covers (positive coverage): a cell whose lowest
    vertex lies exactly on a row line touches the pixels below that line at one point
    only (shapely: coverage 0), and their 100 is not its max."""
    import shapely

    from pipeline.grid import cells_to_boundaries

    step = 2.0**-7  # pixel lines at exact binary fractions: the vertex row is exact
    for cell in region_to_cells((10.0, 45.0, 10.2, 45.2), 7):
        lon, lat, _ = cells_to_boundaries(np.array([cell]))
        k = int(np.argmin(lat))
        x0, y0 = np.floor(lon.min() / step) * step - 2 * step, lat[k] + 6 * step
        inv = ~Affine(step, 0, x0, 0, -step, y0)
        if inv.d * lon[k] + inv.e * lat[k] + inv.f == 6.0:
            break
    else:
        raise AssertionError("no cell with its lowest vertex on a row line")
    j = int(np.floor(inv.a * lon[k] + inv.c))
    values = np.ones((10, 40))
    values[6, j - 1 : j + 2] = 100.0  # the row just below the vertex, around it
    ring = shapely.Polygon(np.c_[lon, lat])
    below = [
        shapely.box(x0 + i * step, y0 - 7 * step, x0 + (i + 1) * step, y0 - 6 * step)
        for i in (j - 1, j, j + 1)
    ]
    assert shapely.area(shapely.intersection(ring, below)).max() == 0.0  # the premise
    got = zonal_stats_to_cells(_geographic(values, x0, y0, step), np.array([cell]), stats=STATS)
    assert got["v_max"].iloc[0] == 1.0 and got["v_mean"].iloc[0] == pytest.approx(1.0)


def test_the_centre_method_means_only_the_valid_pixels_centred_in_a_cell():
    """``method="centre"``: a cell's mean is the plain mean of the valid pixels whose centre
    it holds; NaN pixels are no values and do not count as zeros in it.  Checked against
    shapely and numpy on a raster with a quarter of its pixels missing."""
    import shapely

    from pipeline.grid import cells_to_boundaries

    rng = np.random.default_rng(9)
    values = rng.uniform(1.0, 9.0, (40, 40))
    values[rng.random(values.shape) < 0.25] = np.nan
    cells = region_to_cells((0.05, 0.05, 0.35, 0.35), 7)[:60]
    got = zonal_stats_to_cells(
        _geographic(values, 0, 0.4, 0.01), cells, stats=("mean", "count"), method="centre"
    )
    lon, lat, idx = cells_to_boundaries(cells)
    xc, yc = np.meshgrid(0.005 + 0.01 * np.arange(40), 0.395 - 0.01 * np.arange(40))
    for n in range(cells.size):
        ring = shapely.Polygon(np.c_[lon[idx == n], lat[idx == n]])
        inside = shapely.contains_xy(ring, xc, yc) & ~np.isnan(values)
        assert got["v_count"].iloc[n] == pytest.approx(inside.sum())
        if inside.any():
            assert got["v_mean"].iloc[n] == pytest.approx(values[inside].mean(), rel=1e-9)
        else:  # no valid centre: missing, not 0
            assert np.isnan(got["v_mean"].iloc[n])


def test_the_columns_of_a_band_subset_name_the_files_band_numbers(tmp_path):
    """Bands 2 and 3 of a three-band GeoTIFF give ``<name>_b2_*`` and ``<name>_b3_*``
    columns, each the statistics of that band read alone (never renumbered 1 and 2, which
    would name band 1's column after band 2's values)."""
    from _rasters import write_tif

    bands = np.stack([np.full((20, 20), v) for v in (1.0, 2.0, 3.0)])
    path = write_tif(tmp_path / "three.tif", bands, Affine(0.01, 0, 0, 0, -0.01, 0.2))
    da = rioxarray.open_rasterio(path)
    cells = region_to_cells((0.03, 0.03, 0.17, 0.17), 8)
    got = zonal_stats_to_cells(da.isel(band=[1, 2]), cells, stats=("mean",), name="v")
    assert list(got.columns) == ["cell", "v_b2_mean", "v_b3_mean"]
    np.testing.assert_allclose(got["v_b2_mean"], 2.0)
    np.testing.assert_allclose(got["v_b3_mean"], 3.0)


@pytest.mark.parametrize("nodata", [-9999, 2.5], ids=["below-uint8", "fraction"])
def test_a_nodata_an_integer_raster_cannot_hold_is_refused_in_one_line(nodata):
    """A uint8 raster whose attributes declare nodata -9999 (or 2.5) cannot hold it: one
    InputError naming the nodata, not rioxarray's OverflowError from deep in the call."""
    from pipeline.errors import InputError

    da = _geographic(np.ones((10, 10), "uint8"), 0, 0.1, 0.01)
    da.attrs["_FillValue"] = nodata
    with pytest.raises(InputError, match="nodata cannot be held by its uint8 values"):
        zonal_stats_to_cells(da, region_to_cells((0.02, 0.02, 0.08, 0.08), 8))


def _packed_tif(path, stored, scale, offset, *, top, **tags):
    """A one-band WGS 84 GeoTIFF of ``stored`` (0.1-degree pixels, west edge 0, north edge
    ``top``) with a scale and offset, and ``tags`` on its band; return its path."""
    import rasterio

    h, w = stored.shape
    profile = {"driver": "GTiff", "width": w, "height": h, "count": 1, "dtype": str(stored.dtype)}
    with rasterio.open(
        path, "w", **profile, crs="EPSG:4326", transform=Affine(0.1, 0, 0, 0, -0.1, top)
    ) as dst:
        dst.write(stored[None])
        dst.scales, dst.offsets = (scale,), (offset,)
        if tags:
            dst.update_tags(1, **tags)
    return path
