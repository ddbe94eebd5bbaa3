"""A raster's companion quality mask (VIIRS cf_cvg), and two clearer refusals (task hJ2).

A VIIRS DNB monthly composite (Earth Observation Group) ships ``avg_rade9h`` beside
``cf_cvg``, the number of cloud-free observations per pixel; where that is 0 the radiance is
0 too, which means "not observed", not "dark".  Read alone, those zeros were averaged as dark
(a silent low value).  ``mask: {path: cf_cvg.tif, min: 1}`` makes them missing.  The rasters
are tiny, written in ``tmp_path`` the way the product is (a float32 radiance, a uint8 count
without nodata), and go through what the run does with a raster: open, coverage over the
area, clip, zonal statistics per cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
import yaml
from _corpus import IGNORE_PENDING_DEPRECATION
from _rasters import write_tif
from rasterio.transform import from_origin

import pipeline
from pipeline.errors import ConfigError, InputError
from pipeline.grid import cells_to_boundaries, region_to_cells
from pipeline.ingest import (
    clip_raster,
    format_summary,
    open_raster,
    raster_coverage,
    summarise_ingest,
)
from pipeline.ingest.options import RasterSource
from pipeline.runner.cache import StageCache
from pipeline.runner.inputs import input_files, run_key
from pipeline.runner.stages import RunState, cells, features, ingest
from pipeline.zonal import zonal_stats_to_cells

pytestmark = IGNORE_PENDING_DEPRECATION

BBOX = (-2.0, 8.0, 2.0, 12.0)
RES = 0.05
N = 120
GRID = from_origin(-3.0, 13.0, RES, RES)


def zonal_like_the_run(source):
    """Open -> coverage -> clip -> zonal statistics, as the run's raster stage does."""
    da = open_raster(source)
    coverage = raster_coverage(da, BBOX)
    clipped = clip_raster(da, BBOX, margin_km=100)
    table = zonal_stats_to_cells(
        clipped, region_to_cells(BBOX, 4), stats=("mean", "valid_fraction"), name="r"
    )
    return table, coverage


def viirs_pair(folder, cloudy_rows=slice(40, 50), cloudy_cols=slice(0, 30)):
    """``avg_rade9h`` of ``lat + 100`` with 0 where ``cf_cvg`` (uint8, no nodata) is 0."""
    lat = 13.0 - RES * (np.arange(N) + 0.5)
    rad = np.repeat((lat + 100)[:, None], N, axis=1).astype("float32")
    cf = np.full((N, N), 4, dtype="uint8")
    cf[cloudy_rows, :] = 0  # a band of cloud over the whole width
    cf[:, cloudy_cols] = 0  # and a rainy season over the west
    rad[cf == 0] = 0.0
    avg = write_tif(folder / "avg_rade9h.tif", rad, GRID)
    cvg = write_tif(folder / "cf_cvg.tif", cf, GRID, dtype="uint8")
    return avg, cvg, rad, cf


def test_pixels_without_a_cloud_free_observation_are_missing_not_dark(tmp_path):
    avg, cvg, rad, cf = viirs_pair(tmp_path)
    before, _ = zonal_like_the_run(avg)
    table, coverage = zonal_like_the_run(
        RasterSource(path=avg, name="r", mask={"path": cvg, "min": 1})
    )
    # the truth: the same radiance with those pixels missing (NaN)
    truth = np.where(cf == 0, np.nan, rad).astype("float32")
    ref, _ = zonal_like_the_run(write_tif(tmp_path / "truth.tif", truth, GRID, nodata=np.nan))
    pd.testing.assert_frame_equal(table, ref)
    # each covered cell's mean is lat + 100 over the cell: within its latitudes, not lower
    lon, lat, idx = cells_to_boundaries(table["cell"].to_numpy(dtype="uint64"))
    lo = pd.Series(lat).groupby(idx).min().to_numpy() + 100
    hi = pd.Series(lat).groupby(idx).max().to_numpy() + 100
    got = table["r_mean"].to_numpy()
    seen = ~np.isnan(got)
    assert seen.sum() > 50
    half = RES / 2  # a pixel cut by the cell holds the latitude of its centre
    assert ((got[seen] >= lo[seen] - half) & (got[seen] <= hi[seen] + half)).all()
    # before, the zeros under the clouds were averaged as dark: cells far below lat + 100
    assert (before["r_mean"].to_numpy()[seen] < lo[seen] - 1).any()
    # cells wholly under the cloud are not covered (NaN, valid fraction 0), never 0
    # (the cells whose every vertex is west of the cloud's edge, -1.5 degrees)
    inside = pd.Series(lon).groupby(idx).max().to_numpy() < -3.0 + 30 * RES - 0.01
    assert inside.any()
    assert np.isnan(got[inside]).all()
    assert (table["r_valid_fraction"].to_numpy()[inside] == 0).all()
    # stated: how many pixels of the area's window the mask made missing
    window = (slice(20, 100), slice(20, 100))  # the area's 80 x 80 pixels
    assert coverage["masked_in_area"] == int((cf[window] == 0).sum())
    assert coverage["pixels_in_area"] == 80 * 80
    assert "cf_cvg.tif below 1" in coverage["mask_note"]


def test_the_mask_is_stated_in_the_ingest_summary(tmp_path):
    avg, cvg, _, cf = viirs_pair(tmp_path)
    src = RasterSource(path=avg, name="r", mask={"path": cvg, "min": 1})
    summary = summarise_ingest("raster", src, aoi_bbox=BBOX)
    assert summary["assumptions"]["mask"]["value"] == "cf_cvg.tif >= 1"
    masked = int((cf[20:100, 20:100] == 0).sum())
    assert summary["coverage"]["masked_in_area"] == masked
    text = format_summary(summary)
    assert f"masked         {masked:,} of 6,400 pixels" in text
    assert any("missing by the mask: cf_cvg.tif below 1" in n for n in summary["notes"])


def test_a_companion_nodata_is_no_observation_and_min_is_the_threshold(tmp_path):
    avg, _, rad, _ = viirs_pair(tmp_path, cloudy_rows=slice(0, 0), cloudy_cols=slice(0, 0))
    cf = np.full((N, N), 5, dtype="int16")
    cf[:, :40] = 1  # one observation: kept with min 1, masked with min 2
    cf[:, 100:] = -1  # the companion's own nodata
    cvg = write_tif(tmp_path / "cvg.tif", cf, GRID, nodata=-1)
    da = open_raster(RasterSource(path=avg, mask={"path": cvg, "min": 2}))
    got = da.to_numpy()[0]
    assert np.isnan(got[:, :40]).all() and np.isnan(got[:, 100:]).all()
    np.testing.assert_array_equal(got[:, 40:100], rad[:, 40:100])
    da = open_raster(RasterSource(path=avg, mask={"path": cvg}))  # min 1 by default
    assert not np.isnan(da.to_numpy()[0][:, :100]).any()


@pytest.mark.parametrize(
    "grid, crs, said",
    [
        (from_origin(-3.0, 13.0, RES, RES), "EPSG:4326", "60 x 60 pixels, the raster 120 x 120"),
        (from_origin(-3.0 + RES, 13.0, RES, RES), "EPSG:4326", "origin (-2.95, 13)"),
        (from_origin(-3.0, 13.0, RES, RES), "EPSG:4269", "CRS EPSG:4269, the raster EPSG:4326"),
    ],
    ids=["shape", "origin", "crs"],
)
def test_a_companion_on_another_grid_is_refused_in_one_line(tmp_path, grid, crs, said):
    avg, _, _, _ = viirs_pair(tmp_path)
    n = 60 if "60 x 60" in said else N
    cvg = write_tif(tmp_path / "cf_cvg_other.tif", np.ones((n, n), "uint8"), grid, crs=crs)
    with pytest.raises(InputError) as err:
        open_raster(RasterSource(path=avg, mask={"path": cvg}))
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("avg_rade9h.tif: mask cf_cvg_other.tif is on another grid")
    assert said in text and "gdalwarp" in text


def test_a_netcdf_raster_takes_its_mask_from_a_variable_of_the_same_file(tmp_path):
    lat = np.arange(7.0 + RES / 2, 13.0, RES)
    lon = np.arange(-3.0 + RES / 2, 3.0, RES)
    times = pd.to_datetime(["2024-01-01", "2024-02-01"])
    rad = np.broadcast_to((lat + 100)[None, :, None], (2, lat.size, lon.size)).copy()
    cf = np.full(rad.shape, 3, dtype="int16")
    cf[1, :, :30] = 0  # February's west was cloudy; January's was not
    cf[0, :, 60:] = 0  # January's east was
    rad[cf == 0] = 0.0
    ds = xr.Dataset(
        {
            "avg_rade9h": (("time", "lat", "lon"), rad.astype("float32")),
            "cf_cvg": (("time", "lat", "lon"), cf),
        },
        coords={
            "time": times,
            "lat": ("lat", lat, {"units": "degrees_north"}),
            "lon": ("lon", lon, {"units": "degrees_east"}),
        },
    )
    path = tmp_path / "vnl_monthly.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    src = RasterSource(path=path, variable="avg_rade9h", mask={"path": path, "variable": "cf_cvg"})
    got = open_raster(src).to_numpy()[0]  # the latest step, north-up
    assert np.isnan(got[:, :30]).all() and not np.isnan(got[:, 30:]).any()
    jan = open_raster(src.model_copy(update={"time": pd.Timestamp("2024-01-01").date()}))
    assert np.isnan(jan.to_numpy()[0][:, 60:]).all()
    assert not np.isnan(jan.to_numpy()[0][:, :60]).any()
    # a time-window aggregate would have to be masked step by step: refused, not averaged
    window = {"start": "2024-01-01", "end": "2024-02-28"}
    with pytest.raises(InputError, match=r"mask vnl_monthly\.nc:cf_cvg with a time window"):
        open_raster(RasterSource.model_validate({**src.model_dump(), "time": window}))


def _sparse(path, dtype, tile, nodata):
    """A 20,000 x 20,000 tiled GeoTIFF whose one written 512 x 512 tile is ``tile``."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20_000,
        height=20_000,
        count=1,
        dtype=dtype,
        nodata=nodata,
        crs="EPSG:4326",
        transform=from_origin(-180.0, 90.0, 0.018, 0.009),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        SPARSE_OK="TRUE",
    ) as ds:
        ds.write(tile.astype(dtype)[None], window=((8_800, 9_312), (10_500, 11_012)))
    return path


def _count_reads(monkeypatch) -> list[int]:
    """Record the pixels of every read rioxarray makes of a file."""
    import rioxarray._io as rio_io

    reads: list[int] = []
    real = rio_io.RasterioArrayWrapper._getitem

    def spy(self, key):
        out = real(self, key)
        reads.append(int(np.asarray(out).size))
        return out

    monkeypatch.setattr(rio_io.RasterioArrayWrapper, "_getitem", spy)
    return reads


def test_the_mask_of_a_huge_raster_is_read_only_over_the_area(tmp_path, monkeypatch):
    """The companion of a 400-million-pixel raster is read window by window, never whole."""
    avg = _sparse(tmp_path / "avg.tif", "float32", np.full((512, 512), 5.0), -9999)
    seen = np.full((512, 512), 2)
    seen[:, 256:] = 0  # the tile's east half: no cloud-free observation (0 is its nodata)
    cvg = _sparse(tmp_path / "cvg.tif", "uint8", seen, 0)
    reads = _count_reads(monkeypatch)
    da = open_raster(RasterSource(path=avg, mask={"path": cvg}), memory_budget_mb=64)
    assert da.attrs["windowed"]
    area = (13.0, 9.0, 14.0, 10.0)  # across the middle of the tile (13.6 degrees east)
    cov = raster_coverage(da, area, max_pixels=1_000_000)
    clip = clip_raster(da, area, margin_km=20)
    values = clip.to_numpy()[0]
    east = clip["x"].to_numpy() > -180.0 + 0.018 * (10_500 + 256)
    assert (values[:, ~east] == 5.0).all() and np.isnan(values[:, east]).all()
    # the whole area lies in the tile: what is not valid there is what the mask removed
    pixels = cov["pixels_in_area"]
    assert 0 < cov["masked_in_area"] < pixels
    valid = round(cov["valid_fraction_in_area"] * pixels)
    assert cov["masked_in_area"] == pixels - valid
    assert max(reads) < 1_000_000, f"a read of {max(reads):,} pixels"
    assert sum(reads) < 5_000_000, f"{sum(reads):,} pixels read"


def test_changing_only_the_mask_file_recomputes_the_run(tmp_path):
    """The run's key and the raster factor's cache key both hold the mask file's hash."""
    avg, cvg, _, cf = viirs_pair(tmp_path, cloudy_rows=slice(0, 0), cloudy_cols=slice(0, 0))
    seizures = tmp_path / "seizures.csv"
    seizures.write_text(
        "date,lat,lon\n"
        + "".join(f"2024-01-{d:02d},{9 + d * 0.1:.2f},{-1 + d * 0.1:.2f}\n" for d in range(1, 21))
    )
    raw = {
        "run": {"out_dir": str(tmp_path / "out")},
        "area": {"bbox": list(BBOX), "resolution": 4},
        "inputs": {
            "seizures": [{"path": str(seizures)}],
            "rasters": [{"path": str(avg), "name": "lights", "mask": {"path": str(cvg)}}],
        },
        "score": {"factors": {"lights_mean": {"weight": 1}}},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(tmp_path / "c.yaml")
    out = tmp_path / "out"
    cache = StageCache(out / ".cache")

    def night(k: int):
        staging = out / f"staging{k}"
        staging.mkdir(parents=True)
        state = RunState(cfg, None, out, staging, cache)
        ingest(state)
        cells(state)
        features(state)
        assert state.features is not None
        table = state.features.table.set_index("cell")
        return state, table["lights_mean"], run_key(cfg, None, input_files(cfg))

    first, lights, key = night(1)
    assert lights.notna().all()
    assert str(cvg) in [f["path"] for f in input_files(cfg)]
    cf[:, :60] = 0  # only the companion changes: the west had no cloud-free observation
    write_tif(cvg, cf, GRID, dtype="uint8")
    second, again, key2 = night(2)
    assert key2 != key  # the run is not "up to date"
    assert again.isna().any() and again.notna().any()  # nor the factor served from the cache
    masked = int((cf[20:100, 20:100] == 0).sum())
    assert second.rasters[0]["coverage"]["masked_in_area"] == masked  # the manifest's entry
    assert any(f"{masked:,} of 6,400 pixels" in n for n in second.notes)  # the run's notes


# ----------------------------------------------------------------------------- refusals


def test_a_negative_factor_is_refused_with_its_name_value_and_ways_out():
    # GEBCO: int16 elevations, negative at sea (depths): read right, but not scorable as is
    from pipeline.score import score_cells

    cells = region_to_cells(BBOX, 3)
    depth = -np.linspace(10.0, 4321.5, cells.size)
    features = pd.DataFrame({"cell": cells, "gebco_mean": depth})
    with pytest.raises(ConfigError) as err:
        score_cells(features, {"gebco_mean": 1.0})
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("score factor 'gebco_mean': factor values must be >= 0")
    assert "most negative is -4321.5" in text
    assert "linear" in text and "log" in text  # the transforms, and that neither fits
    assert "plug-in factor" in text and "factors.plugins" in text
    assert "-gebco_mean" in text


def test_nodata_declared_nan_holding_minus_9999_says_no_value_other_than_nan(tmp_path):
    lat = 13.0 - RES * (np.arange(N) + 0.5)
    v = np.repeat((lat + 100)[:, None], N, axis=1).astype("float32")
    v[:, :60] = -9999.0
    tagged = write_tif(tmp_path / "tagged_nan.tif", v, GRID, nodata=np.nan)
    with pytest.raises(InputError, match="declares no nodata value other than NaN; set nodata"):
        raster_coverage(open_raster(tagged), BBOX)
    # a file declaring nothing at all is still told so
    bare = write_tif(tmp_path / "bare.tif", v, GRID)
    with pytest.raises(InputError, match=r"declares no nodata; set nodata: -9999"):
        raster_coverage(open_raster(bare), BBOX)


def test_a_configured_nodata_of_a_huge_raster_reads_only_the_area(tmp_path, monkeypatch):
    """``nodata:`` from the config masked a chunked raster after chunking: a window read
    whole rows of chunks (2 million pixels here) instead of the window."""
    tile = np.full((512, 512), 5.0)
    tile[:, 256:] = -9999.0  # the file declares no nodata: the config names it
    avg = _sparse(tmp_path / "avg.tif", "float32", tile, None)
    reads = _count_reads(monkeypatch)
    da = open_raster(RasterSource(path=avg, nodata=-9999), memory_budget_mb=64)
    assert da.attrs["windowed"]
    clip = clip_raster(da, (13.0, 9.0, 14.0, 10.0), margin_km=20)
    values = clip.to_numpy()[0]
    east = clip["x"].to_numpy() > -180.0 + 0.018 * (10_500 + 256)
    assert (values[:, ~east] == 5.0).all() and np.isnan(values[:, east]).all()
    assert max(reads) < 1_000_000, f"a read of {max(reads):,} pixels"
