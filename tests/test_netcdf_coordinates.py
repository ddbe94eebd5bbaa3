"""NetCDF grids whose coordinates are not their dimensions.

Real files place a regular grid without dimension coordinates: dimensions ``(y, x)``,
``(rows, cols)`` or ``(nj, ni)`` with 1-D ``lat(y)``, ``lon(x)`` (named by ``coordinates`` or
not), or 2-D ``lat(y, x)``, ``lon(y, x)`` constant along rows and columns.  Each is read as
the same grid written with ``lat(lat)``, ``lon(lon)`` (the reference: xarray's own reading of
the file, its dimensions swapped to the coordinates by ``swap_dims``).  A curvilinear grid
(ROMS, NEMO, a swath) is refused in one line naming the way out; a ``grid_mapping`` naming a
projection over latitude/longitude is not used, said.  Files are a few KB, written here.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from _rasters import LAT_ATTRS, LON_ATTRS, POLAR

from pipeline.errors import InputError
from pipeline.ingest import open_raster
from pipeline.ingest.options import RasterSource

LATS = np.array([10.0, 10.5, 11.0, 11.5, 12.0])
LONS = np.array([100.0, 100.5, 101.0, 101.5, 102.0, 102.5, 103.0])
TIMES = np.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="datetime64[ns]")


def _values(shape) -> np.ndarray:
    """Distinct values, so a row or column out of place changes the comparison."""
    return np.random.default_rng(7).uniform(0.0, 100.0, shape).round(3)


def _write(path, ds: xr.Dataset):
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def _aux_file(
    path,
    dims=("y", "x"),
    *,
    two_d=False,
    named=True,
    descending=False,
    east=False,
    time=False,
    attrs=True,
    data_attrs=None,
    extra=None,
):
    """``v(dims)`` placed by latitude/longitude variables, not dimension coordinates."""
    lats = LATS[::-1] if descending else LATS
    lons = (LONS + 200.0) % 360 if east else LONS  # 300..303: 0..360 longitudes
    ydim, xdim = dims
    la, lo = (LAT_ATTRS, LON_ATTRS) if attrs else ({}, {})
    if two_d:
        lat = xr.Variable((ydim, xdim), np.repeat(lats[:, None], lons.size, 1), la)
        lon = xr.Variable((ydim, xdim), np.repeat(lons[None, :], lats.size, 0), lo)
    else:
        lat, lon = xr.Variable((ydim,), lats, la), xr.Variable((xdim,), lons, lo)
    vdims = (("time",) if time else ()) + (ydim, xdim)
    shape = ((TIMES.size,) if time else ()) + (lats.size, lons.size)
    ds = xr.Dataset({"v": (vdims, _values(shape), data_attrs or {})})
    ds = ds.assign_coords(lat=lat, lon=lon) if named else ds.assign(lat=lat, lon=lon)
    if time:
        ds = ds.assign_coords(time=TIMES)
    return _write(path, ds.assign(**(extra or {})))


def _xarray_reference(path, tmp_path) -> xr.DataArray:
    """xarray's own reading of ``path`` written again with ``lat(lat)``, ``lon(lon)``, opened."""
    ds = xr.open_dataset(path, engine="h5netcdf")
    v = ds["v"]
    lat, lon = ds["lat"], ds["lon"]
    if lat.ndim == 2:  # regular: one column of latitudes, one row of longitudes
        ydim = next(d for d in lat.dims if bool((lat.diff(d) != 0).any()))
        xdim = next(d for d in lat.dims if d != ydim)
        v = v.drop_vars(["lat", "lon"], errors="ignore").assign_coords(
            lat=(ydim, lat.isel({xdim: 0}).values), lon=(xdim, lon.isel({ydim: 0}).values)
        )
    else:
        ydim, xdim = lat.dims[0], lon.dims[0]
        v = v.assign_coords(lat=lat, lon=lon)
    v = v.swap_dims({ydim: "lat", xdim: "lon"})
    v["lat"].attrs, v["lon"].attrs = dict(LAT_ATTRS), dict(LON_ATTRS)
    ref_path = tmp_path / "reference.nc"
    v.to_dataset(name="v").to_netcdf(ref_path, engine="h5netcdf")
    return open_raster(ref_path)


SHAPES = [
    pytest.param({"dims": ("y", "x")}, id="y-x-lat1d-coordinates-attr"),
    pytest.param({"dims": ("rows", "cols"), "named": False}, id="rows-cols-lat1d-no-attr"),
    pytest.param({"dims": ("nj", "ni"), "attrs": False}, id="nj-ni-lat1d-by-name"),
    pytest.param({"dims": ("y", "x"), "descending": True}, id="descending-latitude"),
    pytest.param({"dims": ("y", "x"), "east": True}, id="longitudes-0-360"),
    pytest.param({"dims": ("y", "x"), "time": True}, id="time-first"),
    pytest.param({"dims": ("x", "y")}, id="stored-x-before-y"),
    pytest.param({"dims": ("nj", "ni"), "two_d": True}, id="regular-2d-coordinates-attr"),
    pytest.param({"dims": ("nj", "ni"), "two_d": True, "named": False}, id="regular-2d-no-attr"),
    pytest.param({"dims": ("x", "y"), "two_d": True}, id="regular-2d-stored-x-before-y"),
    pytest.param(
        {"dims": ("y", "x"), "two_d": True, "descending": True, "east": True, "time": True},
        id="regular-2d-descending-0-360-time",
    ),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_grid_placed_by_coordinate_variables_reads_as_the_same_grid_by_dimensions(tmp_path, shape):
    dims = shape["dims"]
    if dims == ("x", "y"):
        shape = {**shape, "dims": ("y", "x")}
    path = _aux_file(tmp_path / "aux.nc", **shape)
    if dims == ("x", "y"):  # the same file with its axes stored the other way round
        ds = xr.open_dataset(path, engine="h5netcdf").load()
        path = _write(tmp_path / "xy.nc", ds.transpose(..., "x", "y"))
    got = open_raster(path)
    ref = _xarray_reference(path, tmp_path)
    assert got.dims == ("band", "y", "x") and got.shape == ref.shape
    np.testing.assert_array_equal(got.values, ref.values)
    np.testing.assert_array_equal(got["y"].values, ref["y"].values)
    np.testing.assert_array_equal(got["x"].values, ref["x"].values)
    assert got.rio.transform() == ref.rio.transform()
    assert got.rio.crs.to_epsg() == 4326
    # north-up and -180..180 by hand: the top row is 12°N, the first column 100°E (or -60°)
    assert float(got["y"][0]) == 12.0
    assert float(got["x"][0]) == (-60.0 if shape.get("east") else 100.0)
    said = got.attrs["assumptions"]["coordinates"]
    ydim = dims[0] if dims != ("x", "y") else "y"
    assert said["by"] == "file" and f"lat({ydim})" in said["value"]
    assert ("2-D" in said["evidence"]) == bool(shape.get("two_d"))
    if shape.get("time"):  # the latest step, as for a grid with lat(lat), lon(lon)
        assert "2024-01-03" in got.attrs["assumptions"]["selection"]["time"]
        xr_latest = xr.open_dataset(path, engine="h5netcdf")["v"].isel(time=-1)
        assert float(np.nansum(got.values)) == pytest.approx(float(xr_latest.sum()), rel=1e-12)


def test_pixel_values_match_xarray_reading_by_hand(tmp_path):
    """Against xarray's plain reading, no reference file: flipped north-up, wrapped east."""
    path = _aux_file(tmp_path / "east.nc", ("rows", "cols"), named=False, east=True)
    raw = xr.open_dataset(path, engine="h5netcdf")
    got = open_raster(path)
    lons = ((raw["lon"].values + 180) % 360) - 180
    order = np.argsort(lons)
    expected = raw["v"].values[::-1][:, order]  # rows north first, columns west first
    np.testing.assert_array_equal(got.values[0], expected)
    np.testing.assert_array_equal(got["x"].values, lons[order])
    np.testing.assert_array_equal(got["y"].values, raw["lat"].values[::-1])


def test_coordinates_stored_as_variables_are_not_taken_for_gridded_data(tmp_path):
    """lat(y, x), lon(y, x) without a ``coordinates`` attribute are no quantity, nor are the
    cell bounds a coordinate's ``bounds`` names: ``v`` is the one gridded variable."""
    got = open_raster(_aux_file(tmp_path / "plain.nc", two_d=True, named=False))
    assert got.shape == (1, LATS.size, LONS.size)
    bounds = xr.Variable(("y", "nv"), np.stack([LATS - 0.25, LATS + 0.25], 1))
    ds = xr.Dataset(
        {"v": (("y", "x"), _values((LATS.size, LONS.size))), "lat_bnds": bounds},
        coords={
            "lat": ("y", LATS, {**LAT_ATTRS, "bounds": "lat_bnds"}),
            "lon": ("x", LONS, LON_ATTRS),
        },
    )
    got = open_raster(_write(tmp_path / "bounds.nc", ds))
    np.testing.assert_array_equal(got["y"].values, LATS[::-1])


def _curvilinear(path, bend=0.01, *, nan_at=None, nan_lon_at=None, attrs=True):
    lat2, lon2 = (np.repeat(LATS[:, None], LONS.size, 1), np.repeat(LONS[None, :], LATS.size, 0))
    lon2 = lon2 + bend * (lat2 - LATS[0])  # columns lean east going north (a rotated grid)
    if nan_at is not None:
        lat2 = lat2.copy()
        lat2[nan_at] = np.nan
    if nan_lon_at is not None:
        lon2[nan_lon_at] = np.nan
    la, lo = (LAT_ATTRS, LON_ATTRS) if attrs else ({}, {})
    ds = xr.Dataset(
        {"sst": (("eta_rho", "xi_rho"), _values(lat2.shape))},
        coords={
            "lat_rho": (("eta_rho", "xi_rho"), lat2, la),
            "lon_rho": (("eta_rho", "xi_rho"), lon2, lo),
        },
    )
    return _write(path, ds)


@pytest.mark.parametrize(
    ("kwargs", "detail"),
    [
        pytest.param({"bend": 0.01}, "by up to 0.02°", id="bent-columns"),
        pytest.param({"bend": 0.0, "nan_at": (2, 3)}, "some not finite", id="swath-fill"),
        pytest.param({"bend": 0.0, "nan_lon_at": (2, 3)}, "some not finite", id="lon-fill"),
        pytest.param({"bend": 0.01, "attrs": False}, "by up to 0.02°", id="by-name-only"),
    ],
)
def test_curvilinear_grid_is_refused_in_one_line_naming_the_way_out(tmp_path, kwargs, detail):
    path = _curvilinear(tmp_path / "roms.nc", **kwargs)
    with pytest.raises(InputError) as info:
        open_raster(path)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("roms.nc: variable 'sst' is on a curvilinear grid")
    assert "'lat_rho'/'lon_rho'" in msg and detail in msg
    assert "cdo remapbil" in msg and "xESMF" in msg
    # opened for zonal method: centre, it is read by pixel centres (test_netcdf_curvilinear)
    assert "read it by pixel centres with zonal method: centre" in msg
    da = open_raster(path, by_centres=True)
    assert da.attrs["curvilinear"] == {
        "lat": "lat_rho",
        "lon": "lon_rho",
        "dims": ["eta_rho", "xi_rho"],
        "shape": [LATS.size, LONS.size],
    }


def test_a_bend_far_down_the_grid_is_found_with_a_small_budget(tmp_path):
    """The 2-D coordinates are checked block by block: a last row off by 1e-6° is found
    whatever the block size (1e-6° is above the 1e-9° a regular grid may differ by)."""
    lat2 = np.repeat(LATS[:, None], LONS.size, 1)
    lon2 = np.repeat(LONS[None, :], LATS.size, 0)
    lon2[-1, -1] += 1e-6
    ds = xr.Dataset(
        {"v": (("nj", "ni"), _values(lat2.shape))},
        coords={"lat": (("nj", "ni"), lat2, LAT_ATTRS), "lon": (("nj", "ni"), lon2, LON_ATTRS)},
    )
    path = _write(tmp_path / "almost.nc", ds)
    for budget in (1e-4, 512.0):
        with pytest.raises(InputError, match=r"curvilinear grid.*by up to 1e-06°"):
            open_raster(RasterSource(path=path), memory_budget_mb=budget)
    lon2[-1, -1] -= 1e-6 - 5e-10  # within 1e-9°: regular
    path = _write(tmp_path / "regular.nc", ds.assign_coords(lon=(("nj", "ni"), lon2, LON_ATTRS)))
    got = open_raster(RasterSource(path=path), memory_budget_mb=1e-4)
    np.testing.assert_array_equal(got["x"].values, LONS)


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param("lat-lon-dimensions", id="lat-lon-dimensions"),
        pytest.param("lat1d-on-y-x", id="lat1d-on-y-x"),
        pytest.param("regular-2d", id="regular-2d"),
    ],
)
def test_projected_grid_mapping_over_latitude_longitude_is_not_used_and_said(tmp_path, layout):
    """A ``crs`` variable naming a polar stereographic projection over a grid placed by
    latitude/longitude: its degrees read as metres put the grid within 400 m of the pole
    (EPSG:4326 bounds ~90°N); read by its latitude/longitude instead, and said."""
    gm = {"grid_mapping": "crs"}
    crs = xr.Variable((), 0, POLAR)
    if layout == "lat-lon-dimensions":
        ds = xr.Dataset(
            {"v": (("lat", "lon"), _values((LATS.size, LONS.size)), gm), "crs": crs},
            coords={"lat": ("lat", LATS, LAT_ATTRS), "lon": ("lon", LONS, LON_ATTRS)},
        )
        path = _write(tmp_path / "polar.nc", ds)
    else:
        path = _aux_file(
            tmp_path / "polar.nc",
            two_d=layout == "regular-2d",
            data_attrs=gm,
            extra={"crs": crs},
        )
    got = open_raster(path)
    assert got.rio.crs.to_epsg() == 4326
    assert got.rio.bounds() == pytest.approx((99.75, 9.75, 103.25, 12.25))
    said = got.attrs["assumptions"]["crs"]
    assert "'crs' (polar_stereographic) names a projection" in said["evidence"]
    assert "not used" in said["evidence"]


def test_projected_grid_mapping_with_projected_axes_is_still_used(tmp_path):
    """Axes in metres (x/y, or even named lat/lon beyond degree ranges) keep the mapping."""
    gm = {"grid_mapping": "crs"}
    ys = np.array([-1_000_000.0, -990_000.0, -980_000.0])
    xs = np.array([0.0, 10_000.0, 20_000.0])
    ds = xr.Dataset(
        {"v": (("lat", "lon"), _values((3, 3)), gm), "crs": xr.Variable((), 0, POLAR)},
        coords={"lat": ("lat", ys), "lon": ("lon", xs)},
    )
    got = open_raster(_write(tmp_path / "metres.nc", ds))
    assert got.rio.crs.is_projected
    assert got.attrs["assumptions"]["crs"]["evidence"] == "CF grid_mapping variable 'crs'"


def _polar_swath(path):
    """A sea-ice-like grid: 25 km polar stereographic pixels placed only by 2-D lat/lon
    (computed with pyproj), its ``crs`` variable naming the projection, no x/y."""
    from pyproj import CRS, Transformer

    crs = CRS.from_cf(POLAR)
    ys, xs = np.meshgrid(
        -1_000_000.0 - 25_000.0 * np.arange(4), 25_000.0 * np.arange(5), indexing="ij"
    )
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    ds = xr.Dataset(
        {"ice": (("y", "x"), _values(lat.shape), {"grid_mapping": "crs"})},
        coords={"lat": (("y", "x"), lat, LAT_ATTRS), "lon": (("y", "x"), lon, LON_ATTRS)},
    ).assign(crs=xr.Variable((), 0, POLAR))
    return _write(path, ds)


def test_projected_grid_placed_only_by_curvilinear_lat_lon_is_refused_naming_both(tmp_path):
    with pytest.raises(InputError) as info:
        open_raster(_polar_swath(tmp_path / "ice.nc"))
    msg = str(info.value)
    assert "\n" not in msg and "variable 'ice' is on a curvilinear grid" in msg
    assert "grid_mapping 'crs' names polar_stereographic" in msg and "no x/y" in msg
    assert "cdo remapbil" in msg


@pytest.mark.parametrize(
    "aux",
    [True, "by-name", False],
    ids=["lat1d-on-y-x", "lat1d-on-y-x-by-name", "lat-lon-dimensions"],
)
def test_a_configured_projection_over_latitude_longitude_is_refused(tmp_path, aux):
    """``crs: EPSG:32633`` over axes the file marks as degrees put the 3° grid in 4 m by
    UTM's false origin, said as "the file has no CRS"; refused.  A geographic crs (NAD83)
    is their datum, taken."""
    if aux:
        path = _aux_file(tmp_path / "deg.nc", attrs=aux is True)
    else:
        ds = xr.Dataset(
            {"v": (("lat", "lon"), _values((LATS.size, LONS.size)))},
            coords={"lat": ("lat", LATS, LAT_ATTRS), "lon": ("lon", LONS, LON_ATTRS)},
        )
        path = _write(tmp_path / "deg.nc", ds)
    with pytest.raises(InputError) as info:
        open_raster(RasterSource(path=path, crs="EPSG:32633"))
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("deg.nc: crs 'EPSG:32633' is configured")
    assert "latitude/longitude 'lat'/'lon' in degrees; remove crs" in msg
    got = open_raster(RasterSource(path=path, crs="EPSG:4269"))
    assert got.rio.crs.to_epsg() == 4269
    assert got.rio.bounds() == pytest.approx((99.75, 9.75, 103.25, 12.25))


def test_cli_reads_coordinate_variables_and_refuses_each_in_one_line(tmp_path, capsys):
    from pipeline.cli import main

    path = _aux_file(tmp_path / "aux.nc", ("rows", "cols"), named=False)
    code = main(["ingest", "raster", str(path), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    summary = json.loads(out)
    assert summary["assumptions"]["coordinates"]["value"] == "lat(rows), lon(cols)"
    assert main(["ingest", "raster", str(path)]) == 0
    assert "coordinates    'lat(rows), lon(cols)'" in capsys.readouterr().out
    # a curvilinear grid is refused as a run with zonal method exact (the default) would;
    # without a config it is described (tests/test_netcdf_curvilinear_bounds_found.py)
    (tmp_path / "s.csv").write_text("date,lat,lon\n2024-01-01,10.0,100.0\n")
    exact = tmp_path / "exact.yaml"
    exact.write_text(
        "area: {bbox: [99.0, 9.0, 104.0, 13.0], resolution: 6}\n"
        f"inputs: {{seizures: [{{path: {tmp_path / 's.csv'}}}]}}\n"
    )
    run_exact = ["--config", str(exact)]
    refusals = [
        ([str(_curvilinear(tmp_path / "roms.nc")), *run_exact], "curvilinear grid", "cdo remapbil"),
        (
            [str(_curvilinear(tmp_path / "swath.nc", bend=0.0, nan_at=(1, 1))), *run_exact],
            "some not finite",
            "xESMF",
        ),
        (
            [str(_polar_swath(tmp_path / "ice.nc")), *run_exact],
            "names polar_stereographic",
            "no x/y",
        ),
        ([str(path), "--crs", "EPSG:32633"], "is configured, a projection", "remove crs"),
    ]
    for args, said, way_out in refusals:
        code = main(["ingest", "raster", *args])
        err = capsys.readouterr().err.strip()
        assert code == 2, args
        assert "\n" not in err and said in err and way_out in err, err


def test_regular_grid_placed_by_coordinates_known_by_name_only(tmp_path):
    """ROMS's ``lat_rho``/``lon_rho`` without CF attributes, regular: read (by their names,
    said), not refused as unplaced."""
    got = open_raster(_curvilinear(tmp_path / "roms.nc", bend=0.0, attrs=False))
    np.testing.assert_array_equal(got["x"].values, LONS)
    np.testing.assert_array_equal(got["y"].values, LATS[::-1])
    said = got.attrs["assumptions"]["crs"]
    assert said["value"] == "EPSG:4326" and "'lat_rho'/'lon_rho'" in said["evidence"]


def test_a_station_series_is_not_taken_for_a_grid(tmp_path):
    """lat(station), lon(station) list points, not the rows and columns of a grid."""
    ds = xr.Dataset(
        {"v": (("time", "station"), _values((TIMES.size, 4)))},
        coords={
            "time": TIMES,
            "lat": ("station", LATS[:4], LAT_ATTRS),
            "lon": ("station", LONS[:4], LON_ATTRS),
        },
    )
    with pytest.raises(InputError, match=r"stations\.nc: variable 'v' has dims \['time', "):
        open_raster(_write(tmp_path / "stations.nc", ds))


def test_coordinates_of_another_grid_in_the_file_are_not_used(tmp_path):
    """ROMS holds the u grid's ``lat_u``/``lon_u`` (one column fewer, half a pixel east)
    beside the rho grid's: a variable on the rho grid is placed by ``lat_rho``/``lon_rho``."""
    lat2 = np.repeat(LATS[:, None], LONS.size, 1)
    lon2 = np.repeat(LONS[None, :], LATS.size, 0)
    u_lon = (lon2[:, :-1] + lon2[:, 1:]) / 2
    ds = xr.Dataset(
        {
            "lat_u": (("eta_u", "xi_u"), lat2[:, :-1], LAT_ATTRS),
            "lon_u": (("eta_u", "xi_u"), u_lon, LON_ATTRS),
            "lat_rho": (("eta_rho", "xi_rho"), lat2, LAT_ATTRS),
            "lon_rho": (("eta_rho", "xi_rho"), lon2, LON_ATTRS),
            "temp": (("eta_rho", "xi_rho"), _values(lat2.shape)),
        }
    )
    got = open_raster(_write(tmp_path / "roms_grids.nc", ds))
    np.testing.assert_array_equal(got["x"].values, LONS)
    assert got.attrs["assumptions"]["coordinates"]["value"] == "lat_rho(eta_rho), lon_rho(xi_rho)"


def test_a_coordinate_variable_declaring_a_huge_axis_is_refused_before_it_is_read(tmp_path):
    """An 8 KB file whose unwritten ``lat(y)`` declares 10^8 rows: loading it as the axis
    took 800 MB of fill values before a pixel was read; refused as a dimension coordinate
    of that length is."""
    import h5netcdf

    from pipeline.errors import SourceUnreadable

    path = tmp_path / "long.nc"
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"y": 100_000_000, "x": 2}
        f.create_variable("v", ("y", "x"), "f4", chunks=(4096, 2))
        lat = f.create_variable("lat", ("y",), "f8", chunks=(65536,))
        lat.attrs["units"] = "degrees_north"
        lon = f.create_variable("lon", ("x",), "f8")
        lon.attrs["units"] = "degrees_east"
        lon[:] = [0.0, 1.0]
    with pytest.raises(SourceUnreadable, match=r"dimension 'y' declares 100,000,000 steps"):
        open_raster(path)


@pytest.mark.parametrize(
    ("crs", "placed_by_lat_lon"),
    [(None, True), ("EPSG:4326", True), ("EPSG:32633", False)],
    ids=["no-crs", "geographic-crs", "projected-crs"],
)
def test_axes_numbered_beside_lat_lon_variables_are_placed_by_lat_lon(
    tmp_path, crs, placed_by_lat_lon
):
    """``y``/``x`` written as 0, 1, 2 ... (no grid_mapping) beside ``lat(y)``, ``lon(x)``:
    with ``crs: EPSG:4326`` the numbering was read as degrees (a grid at 0..7°E, 0..5°N,
    exit 0); lat/lon place it.  A projected crs says x/y are its metres: kept."""
    ds = xr.Dataset(
        {"v": (("y", "x"), _values((LATS.size, LONS.size)))},
        coords={
            "y": np.arange(LATS.size),
            "x": np.arange(LONS.size),
            "lat": ("y", LATS, LAT_ATTRS),
            "lon": ("x", LONS, LON_ATTRS),
        },
    )
    got = open_raster(RasterSource(path=_write(tmp_path / "numbered.nc", ds), crs=crs))
    if placed_by_lat_lon:
        assert got.rio.bounds() == pytest.approx((99.75, 9.75, 103.25, 12.25))
        said = got.attrs["assumptions"]["coordinates"]["evidence"]
        assert "'y'/'x' hold values no grid_mapping places" in said
    else:
        assert got.rio.bounds() == pytest.approx((-0.5, -0.5, 6.5, 4.5))
        assert "coordinates" not in got.attrs["assumptions"]


def _refusal(path) -> str:
    with pytest.raises(InputError) as info:
        open_raster(path)
    return str(info.value)


def test_curvilinear_beside_numbered_axes_names_setting_a_crs_as_the_other_way(tmp_path):
    """x/y holding values (a projection's metres without its grid_mapping, or a numbering)
    beside curvilinear lat/lon: refused, saying a crs reads them as projected coordinates."""
    path = _curvilinear(tmp_path / "roms.nc")
    assert "set crs" not in _refusal(path)  # eta_rho/xi_rho hold no values: no crs reads them
    ds = xr.open_dataset(path, engine="h5netcdf").load().rename(eta_rho="y", xi_rho="x")
    ds = ds.assign_coords(y=np.arange(LATS.size) * 1000.0, x=np.arange(LONS.size) * 1000.0)
    path = _write(tmp_path / "metres.nc", ds)
    msg = _refusal(path)
    assert "curvilinear grid" in msg and "\n" not in msg
    assert "if ['y', 'x'] hold projected coordinates, set crs" in msg
    got = open_raster(RasterSource(path=path, crs="EPSG:32633"))  # as the user says
    assert got.rio.bounds() == pytest.approx((-500.0, -500.0, 6500.0, 4500.0))
