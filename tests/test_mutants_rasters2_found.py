"""Raster files in hostile and real-exported shapes, and mutants of the reader: second pass.

Found by writing small files as exports lay them out (a single huge storage tile, south-up
and east-to-west grids, sentinels and packed integers, NetCDF axes under other names and
orders) and by small hand-made changes to :mod:`pipeline.ingest.rasters` that every other
test let pass.  Expected values come from an independent computation: numpy over the pixel
centres that ``h3.latlng_to_cell`` puts in each cell, or the same raster written another way.
"""

from __future__ import annotations

import h3
import numpy as np
import pytest
import xarray as xr
from _rasters import write_tif
from affine import Affine

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import open_raster
from pipeline.ingest.options import RasterSource
from pipeline.zonal import zonal_stats_to_cells

# ---------------------------------------------------------------- a block that decodes huge


def test_a_geotiff_of_one_huge_deflated_tile_is_refused_before_a_pixel_is_read(tmp_path):
    """One deflated tile of 2,064 x 2,048 float32 (a file of ~100 KB) decodes to 16.1 MiB to
    read any pixel of it: above a budget of 16 MiB it is refused in one line naming the
    tile, before GDAL decodes it (12,288 x 12,288 grew the process by 1.2 GB for a window of
    40 x 40 pixels); under a budget that holds it, it is read."""
    h, w = 2064, 2048
    path = tmp_path / "one_tile.tif"
    transform = Affine(0.001, 0, 10, 0, -0.001, 46)
    one_block = {"compress": "deflate", "tiled": True, "blockxsize": w, "blockysize": h}
    write_tif(path, np.full((h, w), 7.0, "float32"), transform, **one_block)
    assert path.stat().st_size < 200_000
    with pytest.raises(SourceUnreadable, match=r"one_tile\.tif: one storage block .*2,064 x 2,048"):
        open_raster(RasterSource(path=path, name="v"), memory_budget_mb=16)
    da = open_raster(RasterSource(path=path, name="v"), memory_budget_mb=32)
    assert float(da.isel(band=0, y=5, x=5)) == 7.0


def test_a_netcdf_of_one_huge_compressed_chunk_is_refused_before_a_pixel_is_read(tmp_path):
    """The same for a NetCDF-4 variable stored as one zlib chunk: HDF5 decodes the whole
    chunk for any pixel (and its chunk cache of 1 MiB keeps none of it, so every window
    decoded it again)."""
    h, w = 2064, 2048
    ds = xr.Dataset(
        {"v": (("lat", "lon"), np.full((h, w), 7.0, "float32"))},
        coords={"lat": 46 - 0.001 * (np.arange(h) + 0.5), "lon": 10 + 0.001 * (np.arange(w) + 0.5)},
    )
    path = tmp_path / "one_chunk.nc"
    ds.to_netcdf(path, engine="h5netcdf", encoding={"v": {"chunksizes": (h, w), "zlib": True}})
    with pytest.raises(SourceUnreadable, match=r"one_chunk\.nc: one chunk of 'v' .*nccopy"):
        open_raster(RasterSource(path=path, name="v", variable="v"), memory_budget_mb=16)


# ---------------------------------------------------------------- wide integers in NetCDF


def _cell_of(lon: float, lat: float, res: int = 6) -> int:
    return h3.str_to_int(h3.latlng_to_cell(lat, lon, res))


@pytest.mark.parametrize("dtype", ["int32", "uint32", "int64"])
def test_a_netcdf_count_above_2_to_the_24_keeps_its_last_digit(tmp_path, dtype):
    """A 32- or 64-bit integer variable without a fill (AIS ping counts, a population total)
    was read as float32, which holds integers exactly only up to 2**24: 16,777,217 was read
    16,777,216, and a cell's mean and max said so.  It is read as float64, as rioxarray
    reads a GeoTIFF of the same integers."""
    values = np.array([[16_777_217, 16_777_219], [33_554_435, 16_777_221]], dtype=dtype)
    ds = xr.Dataset(
        {"pings": (("lat", "lon"), values)},
        coords={"lat": [45.9975, 45.9925], "lon": [10.0025, 10.0075]},
    )
    path = tmp_path / f"pings_{dtype}.nc"
    ds.to_netcdf(path, engine="h5netcdf", encoding={"pings": {"_FillValue": None}})
    da = open_raster(RasterSource(path=path, name="pings", variable="pings"))
    np.testing.assert_array_equal(da.values[0], values.astype("float64"))
    cell = _cell_of(10.005, 45.995)
    assert all(_cell_of(x, y) == cell for y in (45.9975, 45.9925) for x in (10.0025, 10.0075))
    got = zonal_stats_to_cells(da, [cell], stats=("max", "sum", "count"), method="centre")
    assert got["pings_max"].iloc[0] == 33_554_435
    assert got["pings_sum"].iloc[0] == int(values.astype("int64").sum())
    assert got["pings_count"].iloc[0] == 4


# ---------------------------------------------------------------- axes without positions


def _nemo_like(path, with_2d: bool = True, bend: float = 0.05):
    """A NEMO-shaped ocean file: dims ``(y, x)`` with no coordinate variables of their own,
    its pixels placed by 2-D ``nav_lat``/``nav_lon`` (44-46°N, 10-13°E; columns leaning
    ``bend`` ° east per degree north: curvilinear, or regular with ``bend=0``)."""
    lat = 44 + 0.1 * (np.arange(20) + 0.5)
    lon = 10 + 0.1 * (np.arange(30) + 0.5)
    yy, xx = np.meshgrid(lat, lon, indexing="ij")
    xx = xx + bend * (yy - 44)
    coords = {"nav_lat": (("y", "x"), yy), "nav_lon": (("y", "x"), xx)} if with_2d else {}
    ds = xr.Dataset({"sst": (("y", "x"), np.full((20, 30), 18.5))}, coords=coords)
    ds.to_netcdf(path, engine="h5netcdf")
    return path


@pytest.mark.parametrize("with_2d", [True, False], ids=["nav_lat_2d", "no_coordinates"])
def test_a_grid_whose_axes_hold_no_positions_is_refused_even_with_a_crs(tmp_path, with_2d):
    """Dims without coordinate variables are numbered 0, 1, 2 ... by xarray; the refusal
    without a CRS told the user to set one, and with ``crs: EPSG:4326`` set the sea surface
    of 44-46°N, 10-13°E was read at 0-20°N, 0-30°E (pixel indices taken for degrees), exit
    0.  It is refused with or without a crs, naming the 2-D coordinates that place it."""
    path = _nemo_like(tmp_path / "nemo.nc", with_2d)
    said = (
        r"variable 'sst' is on a curvilinear grid: its 2-D latitude/longitude 'nav_lat'/'nav_lon'"
        if with_2d
        else r"dimension\(s\) \['y', 'x'\].*nothing in the file says where"
    )
    for crs in (None, "EPSG:4326"):
        with pytest.raises(InputError, match=r"nemo\.nc: " + said):
            open_raster(RasterSource(path=path, name="sst", variable="sst", crs=crs))
    if with_2d:  # the same grid regular is placed by its 2-D coordinates, never its indices
        path = _nemo_like(tmp_path / "regular.nc", bend=0.0)
        for crs in (None, "EPSG:4326"):
            da = open_raster(RasterSource(path=path, name="sst", variable="sst", crs=crs))
            assert da.rio.bounds() == pytest.approx((10.0, 44.0, 13.0, 46.0))


# ---------------------------------------------------------------- bands packed differently


def _two_packings(path):
    """Band 1 'sst' stored int16 x 0.01; band 2 'chl' stored int16 x 0.5 + 1, whose stored
    2000 is the product's fill in the top-left 2 x 2 pixels."""
    sst = np.full((4, 4), 1500, "int16")
    chl = np.full((4, 4), 40, "int16")
    chl[:2, :2] = 2000
    return write_tif(
        path,
        np.stack([sst, chl]),
        Affine(0.001, 0, 10.0, 0, -0.001, 46.0),
        scales=(0.01, 0.5),
        offsets=(0.0, 1.0),
        descriptions=("sst", "chl"),
    )


def test_a_nodata_of_a_band_packed_unlike_band_1_is_its_stored_value(tmp_path):
    """Bands with different scales leave rioxarray no single ``scale_factor``, and the
    configured nodata (a stored value, as GDAL's) of band 2 was compared with the decoded
    values: stored 2000 (decoded 2000 x 0.5 + 1 = 1001) stayed a value beside pixels of 21
    (a cell over all 16 pixels had a mean of 266, not 21), while the summary said "compared
    before the scale/offset".  The band's own scale and offset are its packing now."""
    path = _two_packings(tmp_path / "ocean.tif")
    da = open_raster(RasterSource(path=path, name="chl", band=2, nodata=2000))
    want = np.full((4, 4), 40 * 0.5 + 1.0)
    want[:2, :2] = np.nan
    np.testing.assert_array_equal(da.values[0], want)
    assert "decoded it is 1001" in da.attrs["assumptions"]["nodata"]["evidence"]
    sst = open_raster(RasterSource(path=path, name="sst", band=1, nodata=1500))
    assert np.isnan(sst.values).all()  # stored 1500 (decoded 15.0) is band 1's nodata


def test_a_nodata_over_bands_packed_differently_is_refused_in_one_line(tmp_path):
    """Over both bands one stored nodata cannot be compared with two decodings: refused,
    saying to read one band per entry (never compared with decoded values)."""
    path = _two_packings(tmp_path / "ocean.tif")
    with pytest.raises(
        InputError, match=r"ocean\.tif: bands \[1, 2\] are packed with diff.*band: N"
    ):
        open_raster(RasterSource(path=path, name="ocean", nodata=2000))
    da = open_raster(RasterSource(path=path, name="ocean"))  # without a nodata: read
    np.testing.assert_allclose(da.values[:, 3, 3], [15.0, 21.0], rtol=1e-6)


# ---------------------------------------------------------------- packing that decodes nothing


def _tif_scaled(path, scale: float, offset: float):
    transform = Affine(0.05, 0, 10.0, 0, -0.05, 46.0)
    stored = np.full((4, 5), 1000, "int16")
    return write_tif(path, stored, transform, scales=(scale,), offsets=(offset,))


@pytest.mark.parametrize(
    ("scale", "offset", "said"),
    [(0.0, 3.0, "all the offset"), (float("nan"), 0.0, "NaN or infinite"), (1.0, np.inf, "NaN")],
    ids=["scale_0", "scale_nan", "offset_inf"],
)
def test_a_band_scale_that_decodes_no_value_is_refused(tmp_path, scale, offset, said):
    """A band scale of 0 read every pixel as its offset (3.0 everywhere, exit 0); NaN and
    infinite ones made every pixel missing or infinite.  Refused in one line."""
    path = _tif_scaled(tmp_path / "scaled.tif", scale, offset)
    with pytest.raises(InputError, match=rf"scaled\.tif: the (scale_factor|add_offset) .*{said}"):
        open_raster(RasterSource(path=path, name="v"))


def _h5_netcdf(path, attrs: dict):
    """A NetCDF-4 written by h5py, as other tools write one: int16 'v' with ``attrs``."""
    import h5py

    with h5py.File(path, "w") as f:
        f.create_dataset("lat", data=45.95 - 0.1 * np.arange(4))
        f.create_dataset("lon", data=10.05 + 0.1 * np.arange(5))
        f["lat"].make_scale("lat")
        f["lon"].make_scale("lon")
        values = np.full((4, 5), 1000, "int16")
        values[0, :3] = -999
        v = f.create_dataset("v", data=values)
        v.dims[0].attach_scale(f["lat"])
        v.dims[1].attach_scale(f["lon"])
        for k, a in attrs.items():
            v.attrs[k] = a
    return path


@pytest.mark.parametrize(
    "attrs",
    [{"_FillValue": "-999"}, {"scale_factor": "0.01"}, {"scale_factor": np.float32(0.0)}],
    ids=["fill_as_text", "scale_as_text", "scale_0"],
)
def test_a_netcdf_fill_or_scale_that_cannot_be_applied_is_refused(tmp_path, attrs):
    """A ``_FillValue`` written as text was ignored by xarray: its -999 pixels were values
    (a cell's mean pulled down by them, nothing said); a ``scale_factor`` as text failed at
    the first read with numpy's UFuncTypeError (a traceback); a ``scale_factor`` of 0 read
    every pixel as 0.  Each is refused at open, naming the attribute."""
    path = _h5_netcdf(tmp_path / "packed.nc", attrs)
    key = next(iter(attrs))
    with pytest.raises(InputError, match=rf"packed\.nc: the {key} of variable 'v' is"):
        open_raster(RasterSource(path=path, name="v", variable="v"))


# ---------------------------------------------------------------- mutants of extent and coverage


def test_a_degree_grid_wider_than_the_globe_inside_plus_minus_360_is_refused(tmp_path):
    """600 columns of 1° from -300 to 300: each end lies within ±360, but no longitude
    range is 600° wide (coordinates in another unit labelled degrees); refused, not wrapped
    onto itself.  Killed the mutant that dropped the width test."""
    path = tmp_path / "wide.tif"
    write_tif(path, np.ones((4, 600), "float32"), Affine(1.0, 0, -300.0, 0, -1.0, 10.0))
    with pytest.raises(InputError, match=r"wide\.tif: raster extent .* spans longitudes beyond"):
        open_raster(RasterSource(path=path, name="v"))


def test_coverage_says_so_when_the_raster_overlaps_the_whole_area_but_half_is_nodata(tmp_path):
    """Full overlap, half the pixels in the area nodata: the summary's note states the
    share that holds a value (the cells over the rest get none).  Killed the mutant that
    wrote the note on partial overlap only."""
    from pipeline.ingest import raster_coverage

    values = np.full((10, 10), 4.0, "float32")
    values[:, :5] = -9999.0
    path = tmp_path / "half.tif"
    write_tif(path, values, Affine(0.1, 0, 10.0, 0, -0.1, 46.0), nodata=-9999.0)
    got = raster_coverage(open_raster(RasterSource(path=path, name="v")), (10.0, 45.0, 11.0, 46.0))
    assert got["overlap_fraction"] == 1.0
    assert got["valid_fraction_in_area"] == 0.5
    assert got["note"] is not None and "50" in got["note"] and "hold a value" in got["note"]


@pytest.mark.parametrize(("ny", "nx"), [(1, 5), (5, 1)], ids=["one_row", "one_column"])
def test_a_netcdf_one_pixel_thick_is_refused_not_stretched_to_1_degree(tmp_path, ny, nx):
    """One row of 0.1° pixels (a transect, a grid cut to the area): rioxarray cannot tell
    the pixel size from one coordinate and took 1° for both axes, so the row at 45.95°N
    was read 45.45-46.45°N and its 0.1° columns spread over 9.55-10.95°E, exit 0.
    Refused in one line."""
    lat = 45.95 - 0.1 * np.arange(ny)
    lon = 10.05 + 0.1 * np.arange(nx)
    ds = xr.Dataset(
        {"v": (("lat", "lon"), np.full((ny, nx), 3.0))}, coords={"lat": lat, "lon": lon}
    )
    path = tmp_path / "thin.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    axis = "lat" if ny == 1 else "lon"
    with pytest.raises(InputError, match=rf"thin\.nc: '{axis}' holds a single coordinate"):
        open_raster(RasterSource(path=path, name="v", variable="v"))


def test_a_packed_nodata_masks_its_stored_value_only_not_the_next_integers(tmp_path):
    """Stored int16 x 0.5 with nodata -9999 (decoded -4999.5): the stored neighbours -9998
    and -10000 (decoded -4999 and -5000, one step away) are values and stay values.
    Killed the mutant that widened the match from half a step to a whole one."""
    stored = np.array([[-9999, -9998, -10000, 500]], "int16").repeat(2, axis=0)
    path = tmp_path / "packed.tif"
    write_tif(path, stored, Affine(0.01, 0, 10.0, 0, -0.01, 46.0), scale=0.5)
    da = open_raster(RasterSource(path=path, name="v", nodata=-9999))
    got = da.values[0, 0]
    assert np.isnan(got[0])
    np.testing.assert_array_equal(got[1:], [-4999.0, -5000.0, 250.0])


# ---------------------------------------------------------------- a time step held twice


def _repeated_day(path):
    """Daily rain of 1, 2, 3 mm on Jan 1, 2, 2 (two downloads concatenated, overlapping)."""
    ds = xr.Dataset(
        {"rain": (("time", "lat", "lon"), np.stack([np.full((2, 3), k) for k in (1.0, 2.0, 3.0)]))},
        coords={
            "time": np.array(["2020-01-01", "2020-01-02", "2020-01-02"], "datetime64[ns]"),
            "lat": [45.95, 45.85],
            "lon": [10.05, 10.15, 10.25],
        },
    )
    ds.to_netcdf(path, engine="h5netcdf")
    return path


@pytest.mark.parametrize(
    "time",
    ["latest", "2020-01-02", {"start": "2020-01-01", "end": "2020-01-02", "aggregate": "sum"}],
    ids=["latest", "date", "window_sum"],
)
def test_a_time_step_held_twice_is_refused_not_picked_or_counted_twice(tmp_path, time):
    """A window's sum over Jan 1-2 was 1 + 2 + 3 = 6 mm (Jan 2 counted twice, exit 0), and
    latest or the date picked one of the two grids of Jan 2 unsaid.  Refused, naming the
    step and how to pick one; a step picked by index is read."""
    path = _repeated_day(tmp_path / "rain.nc")
    with pytest.raises(InputError, match=r"rain\.nc: time step 2020-01-02T00:00:00 appears 2 "):
        open_raster(RasterSource(path=path, name="rain", variable="rain", time=time))
    one = open_raster(
        RasterSource(path=path, name="rain", variable="rain", select={"time": {"index": 2}})
    )
    assert float(one.isel(band=0, y=0, x=0)) == 3.0


def _global_degrees(step: float = 0.5) -> xr.DataArray:
    """A global lon/lat grid of ``step``° pixels in memory (values are their column)."""
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    nx, ny = int(360 / step), int(180 / step)
    da = xr.DataArray(
        np.tile(np.arange(nx, dtype="float32"), (ny, 1)),
        dims=("y", "x"),
        coords={"y": 90 - step * (np.arange(ny) + 0.5), "x": -180 + step * (np.arange(nx) + 0.5)},
    )
    return da.rio.write_crs("EPSG:4326").rio.write_transform(Affine(step, 0, -180, 0, -step, 90))


def test_a_clip_margin_at_60_degrees_reaches_twice_as_many_degrees_of_longitude():
    """100 km of margin is 0.9° of latitude but 1.8° of longitude at 60°N (a degree of
    longitude is half as long there): a cell on the bbox's east edge reaches that far and
    must see the pixels it covers.  Killed the mutant that widened longitudes by the
    latitude's degrees."""
    from pipeline.ingest import clip_raster

    clipped = clip_raster(_global_degrees(), (10.0, 59.0, 12.0, 60.0), margin_km=100)
    xs = clipped["x"].to_numpy()
    need = 100 / 111.32 / np.cos(np.radians(60.0 + 100 / 111.32))
    assert xs.min() <= 10.0 - need + 0.5 and xs.max() >= 12.0 + need - 0.5


def test_a_clip_margin_past_minus_180_wraps_to_the_east_end_of_the_grid():
    """A bbox at 179.9°W grown by 50 km reaches past the antimeridian: the margin wraps to
    the grid's east end (179.x°E), never clamped at -180 (the cells over 180° would miss the
    pixels east of it).  Killed the mutant that clamped the margin."""
    from pipeline.ingest import clip_raster

    clipped = clip_raster(_global_degrees(), (-179.9, 0.0, -179.5, 0.5), margin_km=50)
    xs = clipped["x"].to_numpy()
    assert (xs > 179.0).any() and (xs < -179.0).any()


def test_a_raster_between_one_and_two_budgets_is_windowed_in_windows_within_it(tmp_path):
    """0.46 MiB of float32 under a budget of 0.3 MiB is windowed, and a window's decoded
    size times the working copies it takes (the masked read, its float copy, the loaded
    array and the validity mask: ``_WINDOW_COPIES``) stays within the budget.  Killed the
    mutants that windowed only above twice the budget and that left the copies out."""
    from pipeline.ingest import raster_windows
    from pipeline.ingest.rasters import _WINDOW_COPIES

    path = tmp_path / "mid.tif"
    write_tif(path, np.ones((400, 300), "float32"), Affine(0.01, 0, 10.0, 0, -0.01, 46.0))
    budget = 0.3
    da = open_raster(RasterSource(path=path, name="v"), memory_budget_mb=budget)
    assert da.attrs["declared_mb"] == pytest.approx(400 * 300 * 4 / 2**20, abs=1e-3)
    assert da.attrs["windowed"] is True
    sizes = [w.nbytes for _, w in raster_windows(da)]
    assert len(sizes) > 1 and max(sizes) * _WINDOW_COPIES <= budget * 2**20


def test_the_mask_counted_over_a_window_is_the_mask_under_that_window(tmp_path):
    """A window of a 0.1° grid starts at row 3, whose origin computes to 2.99999999999997
    pixels from the grid's: the companion's pixels under it are found by rounding, never by
    truncating (one row north: 28 pixels counted masked that were not).  Every pixel of the raster holds a value, so what is not valid in the area is
    exactly what the mask removed."""
    from pipeline.ingest import raster_coverage

    def tif(path, values, dtype, nodata):
        transform = Affine(0.1, 0, 10.0, 0, -0.1, 46.0)
        return write_tif(path, np.asarray(values), transform, nodata=nodata, dtype=dtype)

    seen = np.full((40, 40), 2)
    seen[:20] = 0  # the north half: no observation
    avg = tif(tmp_path / "avg.tif", np.full((40, 40), 5.0), "float32", -9999.0)
    cvg = tif(tmp_path / "cvg.tif", seen, "uint8", 0)
    da = open_raster(RasterSource(path=avg, name="v", mask={"path": cvg}))
    cov = raster_coverage(da, (10.71, 42.51, 13.49, 45.69))
    pixels, valid = (
        cov["pixels_in_area"],
        round(cov["valid_fraction_in_area"] * cov["pixels_in_area"]),
    )
    assert pixels == 32 * 28  # rows 3..34, columns 7..34 (centres inside the area)
    assert cov["masked_in_area"] == pixels - valid == 17 * 28  # rows 3..19


def test_a_gdal_cache_set_in_bytes_below_the_budget_is_never_raised(tmp_path):
    """GDAL reads a GDAL_CACHEMAX above 100,000 as bytes: 50,000,000 is 47 MiB, below a
    quarter of a 512 MB budget (128 MiB), so it is kept, never raised to 128 MiB (the
    process chose it smaller).  Killed the mutant that read it as MiB."""
    from rasterio.env import get_gdal_config, set_gdal_config

    path = _tif_scaled(tmp_path / "plain.tif", 1.0, 0.0)
    before = get_gdal_config("GDAL_CACHEMAX")
    set_gdal_config("GDAL_CACHEMAX", 50_000_000)
    try:
        open_raster(RasterSource(path=path, name="v"), memory_budget_mb=512)
        assert int(get_gdal_config("GDAL_CACHEMAX")) == 50_000_000
    finally:
        set_gdal_config("GDAL_CACHEMAX", before)


def test_a_geotiff_named_like_netcdf_is_read_as_the_geotiff_it_is_and_said(tmp_path, caplog):
    """A GeoTIFF saved as ``.nc`` is read by its first bytes, and the log says so (a file
    named for one format holding another is worth a word).  Killed the mutant that
    dropped the warning."""
    import logging

    path = _tif_scaled(tmp_path / "sst.nc", 1.0, 0.0)
    with caplog.at_level(logging.WARNING, logger="pipeline.ingest.rasters"):
        da = open_raster(RasterSource(path=path, name="v"))
    assert float(da.isel(band=0, y=0, x=0)) == 1000.0
    assert "named like NetCDF but is a TIFF" in caplog.text
