"""Curvilinear NetCDF grids read by pixel centres (zonal ``method: centre``).

A grid placed by 2-D ``lat(y, x)``, ``lon(y, x)`` not constant along rows and columns (a
rotated grid, ROMS's ``lat_rho``/``lon_rho``, a polar stereographic sea-ice grid, a grid
across the antimeridian) is read by giving each pixel to the H3 cell holding its own centre.
The reference is independent of the product: ``h3.latlng_to_cell`` on each pixel centre and
a pandas groupby.  A regular grid written the curvilinear way with a perturbation just below
and just above the 1e-9° regularity threshold gives the same answer both ways.  ``exact``
(which needs pixel polygons) stays refused in one line.  Files are a few KB, written here.
"""

from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from _corpus import IGNORE_PENDING_DEPRECATION
from _rasters import (
    LAT_ATTRS,
    LON_ATTRS,
    POLAR,
    centre_reference,
    check_against_centre_reference,
    grid_values,
    rotated_grid,
)

from pipeline.errors import InputError, SourceUnreadable
from pipeline.grid import region_to_cells
from pipeline.ingest import describe_raster, open_raster, raster_coverage
from pipeline.ingest.options import RasterSource
from pipeline.zonal import zonal_stats_to_cells

STATS = ["mean", "max", "min", "sum", "count", "valid_fraction"]

pytestmark = IGNORE_PENDING_DEPRECATION


def _write(path, values, lat, lon, *, dims=("eta_rho", "xi_rho"), names=("lat", "lon"), **kw):
    var_attrs = kw.pop("var_attrs", {})
    encoding = kw.pop("encoding", None)
    data_dims = dims
    if values.ndim == 3:
        data_dims = ("time", *dims)
    ds = xr.Dataset(
        {"v": (data_dims, values, var_attrs)},
        coords={
            names[0]: (dims, lat, LAT_ATTRS),
            names[1]: (dims, lon, LON_ATTRS),
            **kw.pop("coords", {}),
        },
    )
    ds.to_netcdf(path, engine="h5netcdf", encoding={"v": encoding} if encoding else None)
    return path


def _zonal(da, cells, **kw):
    kw.setdefault("stats", STATS)
    return zonal_stats_to_cells(da, cells, method="centre", name="v", **kw)


def test_a_rotated_grid_is_read_by_pixel_centres_as_h3_places_them(tmp_path):
    lat, lon = rotated_grid()
    values = grid_values(lat.shape)
    values[4, 7] = np.nan  # a missing pixel is no value
    path = _write(tmp_path / "rot.nc", values, lat, lon)
    da = open_raster(path, by_centres=True)
    assert da.attrs["curvilinear"]["shape"] == [30, 40]
    said = da.attrs["assumptions"]["coordinates"]
    assert said["value"] == "lat(eta_rho, xi_rho), lon(eta_rho, xi_rho)"
    assert "30 x 40 pixels" in said["evidence"] and "pixel centres" in said["evidence"]
    assert da.attrs["assumptions"]["crs"]["value"] == "EPSG:4326"
    cells = region_to_cells((99.7, 9.9, 100.6, 10.5), 7)
    got = _zonal(da, cells)
    ref = centre_reference(lat, lon, values, cells, 7)
    check_against_centre_reference(got, ref)
    assert got["v_mean"].notna().sum() > 20 and got["v_mean"].isna().sum() > 20
    _check_valid_fraction(got, cells, 1e-4)


def _check_valid_fraction(got, cells, pixel_deg2):
    """Valid fraction: the valid pixels' area over the cell's (a rotation keeps a pixel's
    square degrees; the cell's area from h3 in km²), clipped at 1."""
    some = got["v_count"].to_numpy() > 0
    lat_c = np.array([h3.cell_to_latlng(h3.int_to_str(int(c)))[0] for c in cells[some]])
    km_per_deg2 = (np.pi * 6371.0072 / 180.0) ** 2 * np.cos(np.radians(lat_c))
    cell_deg2 = np.array([h3.cell_area(h3.int_to_str(int(c)), "km^2") for c in cells[some]])
    expected = got["v_count"].to_numpy()[some] * pixel_deg2 / (cell_deg2 / km_per_deg2)
    fraction = got["v_valid_fraction"].to_numpy()[some]
    below = expected < 0.98
    assert below.sum() >= 5 and (expected > 1.02).sum() >= 3
    np.testing.assert_allclose(fraction[below], expected[below], rtol=0.01)
    assert (fraction[expected > 1.02] == 1.0).all()
    assert (got["v_valid_fraction"].to_numpy()[~some] == 0.0).all()


def _regular_pair(tmp_path, eps_regular, eps_curvilinear, *, time=False):
    """A regular 0.01° grid written with 2-D lat/lon, its last pixel moved by ``eps``."""
    ny, nx = 24, 36
    lats = 10.0 + 0.01 * np.arange(ny) + 0.0031
    lons = 100.0 + 0.01 * np.arange(nx) + 0.0047
    lat = np.repeat(lats[:, None], nx, 1)
    lon = np.repeat(lons[None, :], ny, 0)
    shape = (3, ny, nx) if time else (ny, nx)
    values = grid_values(shape, seed=11)
    values[..., 2, 5] = np.nan
    coords = {"time": ("time", pd.date_range("2024-01-01", periods=3).to_numpy())} if time else {}
    paths = []
    for tag, eps in (("regular", eps_regular), ("curvilinear", eps_curvilinear)):
        moved = lon.copy()
        moved[-1, -1] += eps
        paths.append(_write(tmp_path / f"{tag}.nc", values, lat, moved, coords=coords))
    return paths, values, lat, lon


@pytest.mark.parametrize("time", [False, True], ids=["2d", "time-latest"])
def test_a_regular_grid_gives_the_same_cells_and_values_both_ways(tmp_path, time):
    """Below 1e-9° the grid is regular (read by its transform); above, curvilinear (read by
    centres): the same cells present, the same values.  With a time dimension both read the
    latest step."""
    (regular, curvilinear), values, lat, lon = _regular_pair(tmp_path, 5e-10, 2e-9, time=time)
    a = open_raster(regular, by_centres=True)
    b = open_raster(curvilinear, by_centres=True)
    assert "curvilinear" not in a.attrs and b.attrs["curvilinear"]["shape"] == [24, 36]
    if time:
        assert a.attrs["assumptions"]["selection"] == b.attrs["assumptions"]["selection"]
    cells = region_to_cells((99.95, 9.95, 100.45, 10.3), 7)  # beyond the grid on all sides
    ra, rb = _zonal(a, cells), _zonal(b, cells)
    for stat in ("mean", "max", "min", "sum", "count"):
        np.testing.assert_allclose(rb[f"v_{stat}"], ra[f"v_{stat}"], rtol=1e-12, equal_nan=True)
    # the areas: of pixels on the sphere (curvilinear), of the cell in degrees (regular)
    np.testing.assert_allclose(rb["v_valid_fraction"], ra["v_valid_fraction"], rtol=1e-4)
    assert ra["v_mean"].notna().sum() > 15 and ra["v_mean"].isna().sum() > 15
    assert (ra["v_valid_fraction"] > 0.999).any() and (ra["v_valid_fraction"] < 0.5).any()
    check_against_centre_reference(
        rb, centre_reference(lat, lon, values[-1] if time else values, cells, 7)
    )


def test_row_blocks_of_any_height_give_the_same_result(tmp_path):
    """A budget of one row per read (each read's edge pixels take their neighbours from the
    next read) gives the bits of one read of the whole grid."""
    lat, lon = rotated_grid(20, 25)
    da = open_raster(_write(tmp_path / "rot.nc", grid_values(lat.shape), lat, lon), by_centres=True)
    cells = region_to_cells((99.7, 9.9, 100.6, 10.5), 7)
    whole = _zonal(da, cells, memory_budget_mb=64)
    rows = _zonal(da, cells, memory_budget_mb=1e-6)
    pd.testing.assert_frame_equal(rows, whole)


def _roms(path, *, fill=-999.0, declared=True):
    """ROMS-like: ``lat_rho``/``lon_rho`` (names only), a ``_FillValue`` on land (or an
    undeclared -999 a config's ``nodata`` names), and some coordinates a swath's fill left
    out (NaN, a latitude of 95)."""
    lat, lon = rotated_grid(16, 20, degrees=-20.0)
    values = grid_values(lat.shape, seed=5)
    values[0:3, 0:4] = fill  # land
    lat[5, 5] = np.nan
    lat[10, 12] = 95.0
    lon[7, 7] = np.nan
    lat[11, 15] = lat[13, 15] = np.nan  # (12, 15) between them: its pixel taken square
    ds = xr.Dataset(
        {"temp": (("eta_rho", "xi_rho"), values)},
        coords={
            "lat_rho": (("eta_rho", "xi_rho"), lat),
            "lon_rho": (("eta_rho", "xi_rho"), lon),
        },
    )
    encoding = {"temp": {"_FillValue": fill if declared else None}}
    ds.to_netcdf(path, engine="h5netcdf", encoding=encoding)
    return path, lat, lon, values


@pytest.mark.parametrize("declared", [True, False], ids=["fill-value", "config-nodata"])
def test_a_roms_grid_leaves_out_fill_values_and_pixels_placed_nowhere(tmp_path, declared):
    path, lat, lon, values = _roms(tmp_path / "roms.nc", declared=declared)
    nodata = None if declared else -999.0
    src = RasterSource(path=path, variable="temp", nodata=nodata)
    da = open_raster(src, by_centres=True)
    assert da.attrs["curvilinear"]["lat"] == "lat_rho"
    cells = region_to_cells((99.7, 9.7, 100.4, 10.3), 7)
    got = zonal_stats_to_cells(da, cells, stats=STATS, method="centre", name="v")
    ref = centre_reference(lat, lon, np.where(values == -999.0, np.nan, values), cells, 7)
    check_against_centre_reference(got, ref)
    assert (got["v_min"].dropna() > 0).all()  # no -999 averaged in
    assert got.attrs["unplaced_pixels"] == 5
    # the pixels beside those placed nowhere keep their own area (not one spanning 85°)
    _check_valid_fraction(got, cells, 1e-4)
    by_rows = zonal_stats_to_cells(
        da, cells, stats=STATS, method="centre", name="v", memory_budget_mb=1e-6
    )
    assert by_rows.attrs["unplaced_pixels"] == 5
    pd.testing.assert_frame_equal(by_rows, got)
    with pytest.raises(InputError, match="do not overlap the area"):
        raster_coverage(da, (10.0, 50.0, 11.0, 51.0))
    with pytest.raises(InputError) as info:  # within its bounds, between its centres
        raster_coverage(da, (100.05, 10.1, 100.0501, 10.1001))
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("roms.nc: no pixel centre of the curvilinear grid")
    cov = raster_coverage(da, (99.7, 9.7, 100.4, 10.3))
    assert cov["unplaced_pixels"] == 5
    assert "5 pixel(s) of the curvilinear grid" in cov["coordinates_note"]
    assert "skipped, not 0" in cov["coordinates_note"]
    # the 12 land pixels are no values: 16 x 20 - 5 placed nowhere - 12 land
    assert cov["valid_fraction_in_area"] == pytest.approx((320 - 5 - 12) / (320 - 5))
    # an area holding part of the grid: the pixels whose centre is in it, land included
    box = (100.0, 10.0, 100.1, 10.08)
    with np.errstate(invalid="ignore"):
        inside = (lat >= box[1]) & (lat <= box[3]) & (lon >= box[0]) & (lon <= box[2])
    land = inside & (values == -999.0)
    assert 0 < land.sum() < inside.sum() < 200
    part = raster_coverage(da, box)
    assert part["valid_fraction_in_area"] == pytest.approx(1 - land.sum() / inside.sum())


@pytest.mark.parametrize("east", [True, False], ids=["0-360", "minus-180-180"])
def test_a_grid_across_the_antimeridian_keeps_both_sides(tmp_path, east):
    lat, lon = rotated_grid(20, 30, lat0=-17.0, lon0=179.85, degrees=15.0)
    lon = lon % 360.0 if east else (lon + 180.0) % 360.0 - 180.0
    values = grid_values(lat.shape, seed=9)
    da = open_raster(_write(tmp_path / "fiji.nc", values, lat, lon), by_centres=True)
    cells = np.concatenate(
        [
            region_to_cells((179.7, -17.1, 180.0, -16.7), 7),
            region_to_cells((-180, -17.1, -179.8, -16.7), 7),
        ]
    )
    got = _zonal(da, cells)
    check_against_centre_reference(got, centre_reference(lat, lon, values, cells, 7))
    lng = np.array([h3.cell_to_latlng(h3.int_to_str(int(c)))[1] for c in cells])
    have = got["v_mean"].notna().to_numpy()
    assert (have & (lng > 0)).sum() > 5 and (have & (lng < 0)).sum() > 5
    _check_valid_fraction(got, cells, 1e-4)
    cov = raster_coverage(da, (179.9, -17.0, -179.9, -16.8))
    assert cov["valid_fraction_in_area"] == 1.0 and cov["overlap_fraction"] > 0.5
    # its bounds cross 180 as a regular grid's do: lon_min > lon_max
    wrapped = (lon + 180.0) % 360.0 - 180.0
    bounds = describe_raster(da)["bounds"]
    expected = [wrapped[wrapped > 0].min(), lat.min(), wrapped[wrapped < 0].max(), lat.max()]
    np.testing.assert_allclose(bounds, expected, atol=1e-6)


def test_an_undeclared_fill_is_refused_and_a_huge_coordinate_chunk_unread(tmp_path):
    """-9999 on land that nothing declares: refused naming ``nodata:``, as on a regular
    grid.  A 2-D latitude stored as one chunk beyond the budget: refused before a read."""
    path, *_ = _roms(tmp_path / "roms.nc", fill=-9999.0, declared=False)
    da = open_raster(RasterSource(path=path, variable="temp"), by_centres=True)
    with pytest.raises(InputError, match=r"set nodata: -9999\.0"):
        raster_coverage(da, (99.7, 9.7, 100.4, 10.3))
    import h5netcdf

    big = tmp_path / "big.nc"
    with h5netcdf.File(big, "w") as f:  # declared, never written: a few KB
        f.dimensions = {"nj": 3000, "ni": 1500}
        v = f.create_variable("v", ("nj", "ni"), "f4", chunks=(100, 1500))
        v.attrs["coordinates"] = "lat lon"
        for name, attrs in (("lat", LAT_ATTRS), ("lon", LON_ATTRS)):
            f.create_variable(name, ("nj", "ni"), "f8", chunks=(3000, 1500)).attrs.update(attrs)
    with pytest.raises(SourceUnreadable, match="one chunk of 'lat' of 3,000 x 1,500 values"):
        open_raster(big, memory_budget_mb=16, by_centres=True)


def test_a_nodata_the_array_declares_is_no_value(tmp_path):
    """A DataArray built by hand (no file): its ``rio.nodata`` pixels are not values, as on
    a regular grid."""
    lat, lon = rotated_grid(12, 12)
    values = grid_values(lat.shape)
    values[3:6, 3:6] = -5.0
    da = open_raster(_write(tmp_path / "rot.nc", values, lat, lon), by_centres=True)
    da = da.copy(data=values[None]).rio.write_nodata(-5.0)
    cells = region_to_cells((99.9, 9.9, 100.3, 10.3), 7)
    got = _zonal(da, cells)
    check_against_centre_reference(
        got, centre_reference(lat, lon, np.where(values == -5.0, np.nan, values), cells, 7)
    )


def test_pixels_much_larger_than_cells_leave_missing_cells_never_zero(tmp_path):
    """0.1° pixels over 1.2 km cells: most cells hold no centre and have no value (NaN),
    as on a regular grid; none is 0."""
    lat, lon = rotated_grid(6, 6, step=0.1, degrees=10.0)
    da = open_raster(
        _write(tmp_path / "coarse.nc", grid_values(lat.shape), lat, lon), by_centres=True
    )
    cells = region_to_cells((99.9, 9.9, 100.6, 10.6), 7)
    got = _zonal(da, cells)
    check_against_centre_reference(got, centre_reference(lat, lon, da.values[0], cells, 7))
    have = got["v_mean"].notna()
    assert have.sum() >= 30 and (~have).sum() > 500
    assert got.loc[~have, "v_count"].eq(0).all() and got.loc[~have, "v_max"].isna().all()
    assert (got.loc[have, "v_mean"] >= 1.0).all()


def test_a_polar_grid_placed_only_by_lat_lon_is_read_by_centres(tmp_path):
    """A sea-ice grid: polar stereographic pixels, only 2-D lat/lon and a grid_mapping with
    no x/y.  Read by centres, its ``grid_mapping`` unused."""
    from pyproj import CRS, Transformer

    polar = POLAR
    ys, xs = np.meshgrid(
        -1_000_000.0 - 5_000.0 * np.arange(8), 5_000.0 * np.arange(9), indexing="ij"
    )
    tr = Transformer.from_crs(CRS.from_cf(polar), "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(xs, ys)
    values = grid_values(lat.shape)
    ds = xr.Dataset(
        {"ice": (("y", "x"), values, {"grid_mapping": "crs"})},
        coords={"lat": (("y", "x"), lat, LAT_ATTRS), "lon": (("y", "x"), lon, LON_ATTRS)},
    ).assign(crs=xr.Variable((), 0, polar))
    ds.to_netcdf(tmp_path / "ice.nc", engine="h5netcdf")
    da = open_raster(tmp_path / "ice.nc", by_centres=True)
    cells = np.unique(
        [
            h3.str_to_int(h3.latlng_to_cell(a, b, 6))
            for a, b in zip(lat.ravel(), lon.ravel(), strict=True)
        ]
    ).astype("uint64")
    got = zonal_stats_to_cells(da, cells, stats=STATS, method="centre", name="v")
    check_against_centre_reference(got, centre_reference(lat, lon, values, cells, 6))


def test_a_grid_across_the_pole_has_its_cells_valid_fractions(tmp_path):
    """A polar stereographic grid of 5 km pixels across the North Pole: each cell's valid
    fraction is its pixels' true area (pyproj's areal scale) over the cell's (h3), the pole's
    cell included (its pixels' steps in longitude are no measure of their area there)."""
    from pyproj import CRS, Proj, Transformer

    polar = CRS.from_cf(POLAR)
    ys, xs = np.meshgrid(
        5000.0 * (np.arange(60) - 29.5), 5000.0 * (np.arange(60) - 29.5), indexing="ij"
    )
    lon, lat = Transformer.from_crs(polar, "EPSG:4326", always_xy=True).transform(xs, ys)
    values = np.ones(lat.shape)
    values[:, :20] = np.nan  # a third not observed: fractions well below 1
    da = open_raster(_write(tmp_path / "pole.nc", values, lat, lon), by_centres=True)
    pole = h3.latlng_to_cell(90.0, 0.0, 4)
    cells = np.array([h3.str_to_int(c) for c in h3.grid_disk(pole, 2)], dtype="uint64")
    got = _zonal(da, cells).set_index("cell")
    true_km2 = 25.0 / Proj(polar).get_factors(lon, lat).areal_scale
    ok = np.isfinite(values)
    cell = np.array(
        [h3.str_to_int(h3.latlng_to_cell(a, b, 4)) for a, b in zip(lat[ok], lon[ok], strict=True)]
    )
    share = pd.Series(true_km2[ok]).groupby(cell).sum()
    share /= [h3.cell_area(h3.int_to_str(int(c)), "km^2") for c in share.index]
    inner = share.index[share.index.isin(cells)]
    assert h3.str_to_int(pole) in inner and (share[inner] < 0.9).sum() >= 3
    # the sphere is not WGS 84's ellipsoid: within 1 %
    np.testing.assert_allclose(
        got.loc[inner, "v_valid_fraction"], share[inner].clip(upper=1), rtol=0.01
    )


def test_exact_and_unread_curvilinear_grids_are_refused_naming_method_centre(tmp_path):
    lat, lon = rotated_grid()
    path = _write(tmp_path / "rot.nc", grid_values(lat.shape), lat, lon)
    with pytest.raises(InputError) as info:
        open_raster(path)  # not asked to read by centres: refused as before
    msg = str(info.value)
    assert "\n" not in msg and "curvilinear grid" in msg
    assert "cdo remapbil" in msg and "zonal method: centre" in msg
    da = open_raster(path, by_centres=True)
    with pytest.raises(InputError) as info:
        zonal_stats_to_cells(da, region_to_cells((99.9, 9.9, 100.3, 10.3), 7), method="exact")
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("rot.nc: a curvilinear grid")
    assert "method 'exact'" in msg and "set zonal method: centre" in msg
    assert "cdo remapbil" in msg and "xESMF" in msg


def _run_config(tmp_path, raster, method):
    seizures = tmp_path / "seizures.csv"
    seizures.write_text(
        "date,lat,lon\n"
        + "".join(
            f"2024-01-{d:02d},{10.05 + d * 0.01:.3f},{100.1 + d * 0.01:.3f}\n" for d in range(1, 21)
        )
    )
    raw = {
        "run": {"out_dir": str(tmp_path / f"out-{method}")},
        "area": {"bbox": [99.9, 9.9, 100.5, 10.5], "resolution": 6},
        "inputs": {
            "seizures": [{"path": str(seizures)}],
            "rasters": [{"path": str(raster), "name": "sst"}],
        },
        "zonal": {"method": method},
        "hotspots": {"enabled": False},
        "evaluate": {"enabled": False},
        "timeline": {"months": 0},
        "render": {"geojson": False, "preview_png": False},
        "score": {"factors": {"seizure_density": {"weight": 1}, "sst_mean": {"weight": 1}}},
    }
    path = tmp_path / f"{method}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_a_run_reads_a_curvilinear_grid_by_centres_and_says_so(tmp_path, capsys):
    from pipeline.cli import main

    lat, lon = rotated_grid(40, 40, step=0.01)
    lat[0, 0] = np.nan
    raster = _write(
        tmp_path / "roms.nc", grid_values(lat.shape), lat, lon, names=("lat_rho", "lon_rho")
    )
    assert main(["run", str(_run_config(tmp_path, raster, "centre")), "-q"]) == 0
    manifest = json.loads((tmp_path / "out-centre" / "manifest.json").read_text())
    entry = manifest["inputs"]["rasters"][0]
    assert entry["crs"] == "EPSG:4326" and entry["shape"] == [1, 40, 40]
    said = entry["assumptions"]["coordinates"]
    assert said["value"] == "lat_rho(eta_rho, xi_rho), lon_rho(eta_rho, xi_rho)"
    assert "40 x 40 pixels" in said["evidence"] and "read by pixel centres" in said["evidence"]
    assert any("1 pixel(s) of the curvilinear grid" in n for n in manifest["notes"])
    assert any("the map draws no overlay of it" in n for n in manifest["notes"])
    # the area's cells no centre falls in are missing ("not covered"), never 0
    features = pd.read_parquet(tmp_path / "out-centre" / "features.parquet")
    missing = features["sst_mean"].isna()
    assert missing.sum() > 5 and features["sst_mean"].notna().sum() > 20
    assert (features["sst_mean"] != 0).all() and not features.loc[
        missing, "sst_mean__covered"
    ].any()
    capsys.readouterr()
    exact = _run_config(tmp_path, raster, "exact")
    assert main(["run", str(exact), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "curvilinear grid" in err and "zonal method: centre" in err
    # route-risk ingest reads it as the config's run would
    centre = tmp_path / "centre.yaml"
    assert main(["ingest", "raster", str(raster), "--config", str(centre), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["shape"] == [1, 40, 40] and summary["crs"] == "EPSG:4326"
    assert summary["assumptions"]["coordinates"] == said
    assert any("1 pixel(s) of the curvilinear grid" in n for n in summary["notes"])
    assert main(["ingest", "raster", str(raster), "--config", str(exact)]) == 2
    assert "zonal method: centre" in capsys.readouterr().err
    assert main(["validate", str(centre)]) == 0
    assert main(["validate", str(exact)]) == 2
    assert "zonal method: centre" in capsys.readouterr().err


@pytest.mark.slow
def test_reads_as_dask_tasks_give_the_local_engines_bits(dask_cluster, tmp_path):
    """Each row block is a task of the run's engine, folded in read order: the same bits."""
    from pipeline.engine import use_engine

    lat, lon = rotated_grid(30, 40)
    da = open_raster(_write(tmp_path / "rot.nc", grid_values(lat.shape), lat, lon), by_centres=True)
    cells = region_to_cells((99.7, 9.9, 100.6, 10.5), 7)
    local = _zonal(da, cells, memory_budget_mb=0.01)
    with use_engine(dask_cluster.engine()):
        dist = _zonal(da, cells, memory_budget_mb=0.01)
    pd.testing.assert_frame_equal(local, dist, check_exact=True)
