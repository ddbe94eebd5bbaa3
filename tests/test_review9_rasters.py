"""Rasters in the shapes real products take, read wrongly without a word: review 9.

Each raster is tiny, written in ``tmp_path`` the way the product is (ESA WorldCover's colour
table, ESA CCI land cover's CF ``flag_values``, WorldPop's -99999, a float raster tagged
``nodata=nan`` that holds -9999) and goes through what the run does with a raster: open,
coverage over the area, clip, zonal statistics per cell.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import xarray as xr
from _rasters import write_tif
from rasterio.transform import from_origin

from pipeline.errors import InputError
from pipeline.grid import region_to_cells
from pipeline.ingest import clip_raster, open_raster, raster_coverage
from pipeline.ingest.options import RasterSource
from pipeline.zonal import zonal_stats_to_cells

BBOX = (-2.0, 8.0, 2.0, 12.0)


def zonal_like_the_run(path, stats=("mean", "max", "sum", "valid_fraction")):
    """Open -> coverage -> clip -> zonal statistics, as the run's raster stage does."""
    da = open_raster(path)
    raster_coverage(da, BBOX)
    clipped = clip_raster(da, BBOX, margin_km=100)
    return zonal_stats_to_cells(clipped, region_to_cells(BBOX, 4), stats=stats, name="r")


def lat_values(res=0.05, x0=-3.0, y1=13.0, n=120):
    """Rows x cols of ``lat + 100`` on a north-up grid from (x0, y1)."""
    lat = y1 - res * (np.arange(n) + 0.5)
    return np.repeat((lat + 100)[:, None], n, axis=1).astype("float32")


# ----------------------------------------------------------------------------- class codes


WORLDCOVER = np.array([10, 20, 30, 40, 50, 60, 80, 90, 95, 100], dtype="uint8")


def worldcover_tif(path):
    """An ESA WorldCover-like map: uint8 class codes, nodata 0, a colour table."""
    n = 120
    codes = WORLDCOVER[(np.arange(n)[:, None] + np.arange(n)[None, :]) % WORLDCOVER.size]
    write_tif(path, codes, from_origin(-3.0, 13.0, 0.05, 0.05), nodata=0, dtype="uint8")
    with rasterio.open(path, "r+") as ds:
        ds.write_colormap(1, {10: (0, 100, 0, 255), 50: (250, 0, 0, 255), 80: (0, 100, 200, 255)})
    return path


def test_a_land_cover_geotiff_with_a_colour_table_is_not_averaged_into_a_class_mean(tmp_path):
    path = worldcover_tif(tmp_path / "ESA_WorldCover_10m_2021_v200_N06W003_Map.tif")
    # before: each cell's mean of the codes (about 49, neither built-up 50 nor anything else)
    with pytest.raises(InputError) as err:
        zonal_like_the_run(path)
    text = str(err.value)
    assert "\n" not in text
    assert "ESA_WorldCover_10m_2021_v200_N06W003_Map.tif" in text
    assert "class codes" in text and "colour table" in text and "gdal_calc.py" in text
    # where it has values is no mix of codes: count and valid_fraction are still given
    table = zonal_like_the_run(path, stats=("count", "valid_fraction"))
    assert (table["r_valid_fraction"] > 0.99).all()
    # the way out the message gives: one class's share, a float raster without colour table
    with rasterio.open(path) as ds:
        share = (ds.read(1) == 80).astype("float32")
        profile = ds.profile
    write_tif(tmp_path / "water.tif", share, profile["transform"], dtype="float32")
    table = zonal_like_the_run(tmp_path / "water.tif")
    assert table["r_mean"].between(0.05, 0.15).all()  # one class in ten


def test_a_multi_band_raster_is_categorical_only_in_its_palette_band(tmp_path):
    path = tmp_path / "two.tif"
    codes = WORLDCOVER[np.arange(120)[:, None] % 10 + np.zeros((1, 120), int)]
    write_tif(path, np.stack([codes, codes]), from_origin(-3.0, 13.0, 0.05, 0.05), dtype="uint8")
    with rasterio.open(path, "r+") as ds:
        ds.write_colormap(2, {10: (0, 100, 0, 255)})
    assert "categorical" not in open_raster(RasterSource(path=path, band=1)).attrs
    assert "band 2" in open_raster(RasterSource(path=path, band=2)).attrs["categorical"]
    assert "band 2" in open_raster(path).attrs["categorical"]


def test_a_cf_land_cover_netcdf_with_flag_values_is_not_averaged(tmp_path):
    # ESA CCI / C3S land cover: lccs_class, uint8, CF flag_values and flag_meanings
    res = 0.05
    lat = np.arange(7.0 + res / 2, 13.0, res)
    lon = np.arange(-3.0 + res / 2, 3.0, res)
    classes = np.array([10, 30, 50, 130, 190, 210], dtype="uint8")
    codes = classes[(np.arange(lat.size)[:, None] + np.arange(lon.size)[None, :]) % 6]
    attrs = {
        "standard_name": "land_cover_lccs",
        "flag_values": classes,
        "flag_meanings": "cropland tree shrub grassland urban water",
    }
    ds = xr.Dataset(
        {"lccs_class": (("lat", "lon"), codes, attrs)},
        coords={
            "lat": ("lat", lat, {"units": "degrees_north"}),
            "lon": ("lon", lon, {"units": "degrees_east"}),
        },
    )
    path = tmp_path / "C3S-LC-L4-LCCS-Map-300m-P1Y-2020-v2.1.1.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    with pytest.raises(InputError, match=r"class codes \(variable 'lccs_class' has CF flag_values"):
        zonal_like_the_run(path)


# ----------------------------------------------------------------------------- fills


def test_worldpop_minus_99999_without_its_nodata_tag_is_refused_not_averaged(tmp_path):
    # WorldPop's float32 rasters mark the sea -99999; a crop or a conversion that drops the
    # nodata tag leaves it a value: before, a coastal cell's mean population was -25,000
    v = lat_values()
    v[:, :60] = -99999.0
    path = write_tif(tmp_path / "gha_ppp_2020.tif", v, from_origin(-3.0, 13.0, 0.05, 0.05))
    with pytest.raises(InputError, match=r"hold -99999, a common nodata value.*nodata: -99999"):
        zonal_like_the_run(path)
    # declared (as WorldPop does), those cells are missing, and the others exact
    write_tif(tmp_path / "ok.tif", v, from_origin(-3.0, 13.0, 0.05, 0.05), nodata=-99999)
    table = zonal_like_the_run(tmp_path / "ok.tif")
    assert table["r_mean"].dropna().between(107.9, 112.1).all()
    assert table["r_mean"].isna().any()


def test_a_float_raster_tagged_nodata_nan_that_holds_minus_9999_is_refused(tmp_path):
    # gdal_translate -a_nodata nan, or rasterio's default for float data: the tag says NaN
    # while the cells where nothing was measured hold -9999
    v = lat_values()
    v[:, :60] = -9999.0
    path = write_tif(tmp_path / "a.tif", v, from_origin(-3.0, 13.0, 0.05, 0.05), nodata=np.nan)
    with pytest.raises(InputError, match=r"hold -9999, a common nodata value"):
        zonal_like_the_run(path)
    # the reverse (tagged -9999, holding NaN) is read right: NaN is missing either way
    v[:, :60] = np.nan
    write_tif(tmp_path / "b.tif", v, from_origin(-3.0, 13.0, 0.05, 0.05), nodata=-9999)
    table = zonal_like_the_run(tmp_path / "b.tif")
    assert table["r_mean"].dropna().between(107.9, 112.1).all()


def test_a_netcdf_with_xarrays_default_nan_fill_that_holds_minus_9999_is_refused(tmp_path):
    # xarray writes a float variable with _FillValue NaN unless told otherwise
    res = 0.05
    lat = np.arange(7.0 + res / 2, 13.0, res)
    lon = np.arange(-3.0 + res / 2, 3.0, res)
    v = np.repeat((lat + 100)[:, None], lon.size, axis=1)
    v[:, :60] = -9999.0
    ds = xr.Dataset(
        {"chl": (("lat", "lon"), v)},
        coords={
            "lat": ("lat", lat, {"units": "degrees_north"}),
            "lon": ("lon", lon, {"units": "degrees_east"}),
        },
    )
    path = tmp_path / "chl.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    assert np.isnan(xr.open_dataset(path, engine="h5netcdf")["chl"].encoding["_FillValue"])
    with pytest.raises(InputError, match=r"hold -9999, a common nodata value"):
        zonal_like_the_run(path)


# ----------------------------------------------------------------------------- context layers


def test_a_ports_layer_of_multipoints_gives_the_distance_to_its_points(tmp_path):
    # a harbour as its berths (a MultiPoint), in EPSG:3857 as a GeoJSON with a crs member:
    # the distance to the nearest port was 20,015 km (half the Earth) from every cell
    import geopandas as gpd
    import shapely
    import yaml

    import pipeline
    from pipeline.builtin_factors import distance_to_features_km
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import RunState, ingest

    berths = shapely.MultiPoint([(-10.0, 10.0), (-10.05, 10.05)])
    ports = gpd.GeoDataFrame({"name": ["Conakry"]}, geometry=[berths], crs="EPSG:4326")
    ports.to_crs("EPSG:3857").to_file(tmp_path / "ports.geojson", driver="GeoJSON")
    (tmp_path / "s.csv").write_text("lat,lon,date\n10.5,-10.2,2026-03-01\n")
    out = tmp_path / "out"
    raw = {
        "run": {"out_dir": str(out), "as_of": "2026-06-30"},
        "area": {"bbox": [-12, 8, -8, 12], "resolution": 4},
        "inputs": {
            "seizures": [{"path": str(tmp_path / "s.csv")}],
            "context": [{"path": str(tmp_path / "ports.geojson"), "kind": "ports"}],
        },
        "score": {
            "factors": {"seizure_density": {"weight": 1}, "distance_to_port_km": {"weight": 1}}
        },
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(tmp_path / "c.yaml")
    staging = out / "staging"
    staging.mkdir(parents=True)
    state = RunState(cfg, None, out, staging, StageCache(out / ".cache"))
    ingest(state)
    layer = state.context["ports"]
    assert len(state.ports) == 2
    km = distance_to_features_km([-10.2, -10.0], [10.5, 10.0], layer.geometry.to_numpy())
    # as far as from the berths given as points; one berth is at 0 km
    points = shapely.get_parts(berths)
    np.testing.assert_allclose(km, distance_to_features_km([-10.2, -10.0], [10.5, 10.0], points))
    assert km[1] < 1e-6 and 40 < km[0] < 70


def test_the_distance_to_a_multipoint_is_to_its_nearest_point():
    """A library caller's MultiPoint (a harbour as its berths) was 20,015 km from everything."""
    import shapely

    from pipeline.builtin_factors import distance_to_features_km

    berths = shapely.MultiPoint([(-10.0, 10.0), (-10.0, 10.2)])
    got = distance_to_features_km([-10.0, 0.0], [10.2, 0.0], [berths])
    points = [shapely.Point(-10.0, 10.0), shapely.Point(-10.0, 10.2)]
    alone = distance_to_features_km([-10.0, 0.0], [10.2, 0.0], points)
    assert got[0] < 1e-6
    assert got == pytest.approx(alone)
