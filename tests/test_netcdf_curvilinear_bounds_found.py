"""Curvilinear NetCDF grids: the pixel budget over the area, ingest without a config, hostile files.

A curvilinear grid (2-D ``lat(y, x)``, ``lon(y, x)``) is clipped to the rows and columns
holding a pixel centre in the area (found by reading its latitude/longitude in row blocks),
so ``ingest.max_raster_pixels`` counts those, not the whole grid (a global ocean model over
a small area was refused); the cells get the bits of the unclipped read.  ``route-risk
ingest raster FILE`` without ``--config`` describes such a grid instead of refusing it.
Hostile files are read right (checked against ``h3.latlng_to_cell`` on each pixel centre and
a pandas groupby) or refused in one line.  Files are a few KB, written here.
"""

from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
import pytest
import xarray as xr
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

from pipeline.errors import InputError
from pipeline.grid import region_to_cells
from pipeline.ingest import clip_raster, open_raster, raster_coverage
from pipeline.zonal import zonal_stats_to_cells

STATS = ["mean", "max", "min", "sum", "count", "valid_fraction"]

pytestmark = IGNORE_PENDING_DEPRECATION

DIMS = ("eta_rho", "xi_rho")


def _write(path, values, lat, lon, *, dims=DIMS, lat_dims=None, lat_attrs=None, lon_attrs=None):
    lat_dims = lat_dims or dims
    ds = xr.Dataset(
        {"v": (dims, values)},
        coords={
            "lat": (lat_dims, lat, LAT_ATTRS if lat_attrs is None else lat_attrs),
            "lon": (lat_dims, lon, LON_ATTRS if lon_attrs is None else lon_attrs),
        },
    )
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def _zonal(da, cells, **kw):
    return zonal_stats_to_cells(da, cells, stats=STATS, method="centre", name="v", **kw)


def _expected_window(lat, lon, box):
    """Rows/columns holding a centre in ``box`` (numpy on the whole arrays), one more each side."""
    x0, y0, x1, y1 = box
    east = (lon - x0) % 360.0 <= (x1 - x0) % 360.0 if x1 - x0 < 360 else np.ones(lon.shape, bool)
    inside = (lat >= y0) & (lat <= y1) & east
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    ny, nx = lat.shape
    return (
        (max(0, rows[0] - 1), min(ny, rows[-1] + 2)),
        (max(0, cols[0] - 1), min(nx, cols[-1] + 2)),
        int(inside.sum()),
    )


# --------------------------------------------------------------- the pixel budget over the area


def test_the_pixel_budget_counts_the_window_over_the_area_not_the_whole_grid(tmp_path):
    """A 150 x 200 grid (30,000 pixels) over an area holding ~900 of its centres, with
    ``max_raster_pixels`` 5,000: checked, not refused; the whole area is still refused
    above the budget.  Its latitude/longitude are read in blocks of a few rows."""
    lat, lon = rotated_grid(150, 200, degrees=25.0)
    values = grid_values(lat.shape)
    values[::7, ::5] = np.nan
    da = open_raster(
        _write(tmp_path / "ocean.nc", values, lat, lon), memory_budget_mb=2, by_centres=True
    )
    assert 10 < da.attrs["window_rows"] < 60  # blocks of rows
    box = (100.8, 10.7, 101.1, 11.0)
    (r0, r1), (c0, c1), n_in = _expected_window(lat, lon, box)
    assert (r1 - r0) * (c1 - c0) < 5_000 < lat.size and n_in > 500
    cov = raster_coverage(da, box, max_pixels=5_000)
    with np.errstate(invalid="ignore"):
        inside = (lat >= 10.7) & (lat <= 11.0) & (lon >= 100.8) & (lon <= 101.1)
    assert cov["valid_fraction_in_area"] == pytest.approx(
        np.isfinite(values[inside]).sum() / inside.sum()
    )
    with pytest.raises(InputError) as info:  # the whole grid's bbox: 30,000 pixels to read
        raster_coverage(da, (99.0, 9.0, 104.0, 13.0), max_pixels=5_000)
    msg = str(info.value)
    assert "\n" not in msg and "window over the area holds 30,000 pixels" in msg


@pytest.mark.parametrize(
    "case",
    ["rotated", "antimeridian-0-360", "antimeridian-minus-180", "pole"],
)
def test_a_clipped_grid_gives_the_cells_the_bits_of_the_whole_grid(tmp_path, case):
    """``clip_raster`` keeps the rows/columns holding a centre within the margin of the bbox
    and one more each side (numpy on the whole arrays is the reference): zonal statistics
    of the window are those of the whole grid, ``valid_fraction`` included (each kept
    pixel's area takes its neighbours' centres); the window is stated."""
    res = 7
    if case == "pole":
        from pyproj import CRS, Transformer

        ys, xs = np.meshgrid(
            5000.0 * (np.arange(80) - 39.5), 5000.0 * (np.arange(90) - 44.5), indexing="ij"
        )
        tr = Transformer.from_crs(CRS.from_cf(POLAR), "EPSG:4326", always_xy=True)
        lon, lat = tr.transform(xs, ys)
        box, res = (-180.0, 89.5, 180.0, 90.0), 4
        pole = h3.latlng_to_cell(90.0, 0.0, res)
        cells = np.array([h3.str_to_int(c) for c in h3.grid_disk(pole, 1)], dtype="uint64")
    elif case == "rotated":
        lat, lon = rotated_grid(120, 150, degrees=35.0)
        box = (100.4, 10.3, 100.8, 10.7)
        cells = region_to_cells(box, res)
    else:
        lat, lon = rotated_grid(120, 150, lat0=-17.6, lon0=179.2, degrees=15.0)
        lon = lon % 360.0 if case == "antimeridian-0-360" else (lon + 180.0) % 360.0 - 180.0
        box = (179.8, -17.2, -179.8, -16.9)
        cells = np.concatenate(
            [
                region_to_cells((179.8, -17.2, 180.0, -16.9), res),
                region_to_cells((-180.0, -17.2, -179.8, -16.9), res),
            ]
        )
    values = grid_values(lat.shape, seed=7)
    values[5:9, 40:60] = np.nan
    da = open_raster(
        _write(tmp_path / f"{case}.nc", values, lat, lon), memory_budget_mb=1, by_centres=True
    )
    margin_km = 2 * h3.average_hexagon_edge_length(res, unit="km")  # as a run grows it
    part = clip_raster(da, box, margin_km=margin_km)
    assert 0 < part.size < da.size / 3
    whole = _zonal(da, cells, memory_budget_mb=64)
    got = _zonal(part, cells, memory_budget_mb=64)
    assert got["v_count"].sum() > 30
    pd.testing.assert_frame_equal(got, whole, check_exact=True)
    check_against_centre_reference(got, centre_reference(lat, lon, values, cells, res))
    # the window: grown by the margin as a regular grid's is (km over 111.32 km a degree)
    dlat = margin_km / 111.32
    y0, y1 = max(-90.0, box[1] - dlat), min(90.0, box[3] + dlat)
    dlon = dlat / max(np.cos(np.radians(max(abs(y0), abs(y1)))), 1e-6)
    grown = (box[0] - dlon, y0, box[2] + dlon, y1) if y1 < 90 else (-180.0, y0, 180.0, y1)
    (r0, r1), (c0, c1), _ = _expected_window(lat, lon, grown)
    assert part.sizes["y"] == r1 - r0 and part.sizes["x"] == c1 - c0
    np.testing.assert_array_equal(part["lat"].to_numpy(), lat[r0:r1, c0:c1])
    said = part.attrs["assumptions"]["window"]
    assert said["value"] == f"rows {r0}..{r1 - 1}, columns {c0}..{c1 - 1}"
    assert f"{(r1 - r0) * (c1 - c0):,} of the curvilinear grid's {lat.size:,}" in said["evidence"]
    assert "window" not in da.attrs["assumptions"]  # the whole grid's are not changed


def test_an_area_between_centres_has_an_empty_window_and_missing_cells(tmp_path):
    """No centre within the grown bbox: an empty window; its cells have no value, never 0."""
    lat, lon = rotated_grid(20, 20, step=0.1, degrees=10.0)
    da = open_raster(
        _write(tmp_path / "coarse.nc", grid_values(lat.shape), lat, lon), by_centres=True
    )
    box = (100.05, 10.05, 100.0501, 10.0501)
    part = clip_raster(da, box, margin_km=0.001)
    assert part.size == 0 and part.attrs["assumptions"]["window"]["value"] == "none"
    cells = region_to_cells((100.04, 10.04, 100.06, 10.06), 9)
    got = _zonal(part, cells)
    assert got["v_count"].eq(0).all() and got["v_mean"].isna().all()
    assert got["v_valid_fraction"].eq(0).all()


def test_a_run_reads_only_the_window_and_its_manifest_states_it(tmp_path):
    """A run whose ``max_raster_pixels`` is below the grid's pixels but above the window's:
    not refused; the manifest's raster entry states the window."""
    import yaml

    from pipeline.cli import main

    lat, lon = rotated_grid(100, 100, degrees=20.0)
    raster = _write(tmp_path / "roms.nc", grid_values(lat.shape), lat, lon)
    seizures = tmp_path / "seizures.csv"
    seizures.write_text(
        "date,lat,lon\n"
        + "".join(
            f"2024-01-{d:02d},{10.3 + d * 0.005:.3f},{100.7 + d * 0.005:.3f}\n"
            for d in range(1, 21)
        )
    )
    raw = {
        "run": {"out_dir": str(tmp_path / "out")},
        "area": {"bbox": [100.7, 10.3, 100.9, 10.5], "resolution": 6},
        "inputs": {
            "seizures": [{"path": str(seizures)}],
            "rasters": [{"path": str(raster), "name": "sst"}],
        },
        "ingest": {"max_raster_pixels": 5_000},
        "zonal": {"method": "centre"},
        "hotspots": {"enabled": False},
        "evaluate": {"enabled": False},
        "timeline": {"months": 0},
        "render": {"geojson": False, "preview_png": False},
        "score": {"factors": {"seizure_density": {"weight": 1}, "sst_mean": {"weight": 1}}},
    }
    config = tmp_path / "centre.yaml"
    config.write_text(yaml.safe_dump(raw))
    assert main(["run", str(config), "-q"]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    said = manifest["inputs"]["rasters"][0]["assumptions"]["window"]
    assert (
        said["value"].startswith("rows ") and "of the curvilinear grid's 10,000" in said["evidence"]
    )
    features = pd.read_parquet(tmp_path / "out" / "features.parquet")
    assert features["sst_mean"].notna().sum() > 5


def test_ingest_without_a_config_describes_a_curvilinear_grid(tmp_path, capsys):
    """``route-risk ingest raster FILE`` with no ``--config``: its shape, coordinate names,
    the extent of its centres and its pixel count, and a note that a run needs ``zonal:
    {method: centre}``; with a config asking ``exact`` it stays refused."""
    from pipeline.cli import main

    lat, lon = rotated_grid(12, 15)
    lat[0, 0] = np.nan
    raster = _write(tmp_path / "roms.nc", grid_values(lat.shape), lat, lon)
    assert main(["ingest", "raster", str(raster), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["shape"] == [1, 12, 15] and summary["crs"] == "EPSG:4326"
    assert summary["curvilinear"] == {
        "lat": "lat",
        "lon": "lon",
        "dims": list(DIMS),
        "pixels": 180,
    }
    ok = np.isfinite(lat)
    expected = [lon[ok].min(), lat[ok].min(), lon[ok].max(), lat[ok].max()]
    np.testing.assert_allclose(summary["bounds"], expected, atol=1e-6)
    assert summary["valid_fraction"] == 1.0
    assert any("zonal: {method: centre}" in n for n in summary["notes"])
    assert any("1 pixel(s) of the curvilinear grid" in n for n in summary["notes"])
    assert main(["ingest", "raster", str(raster)]) == 0
    text = capsys.readouterr().out
    assert "curvilinear    2-D 'lat'/'lon' (eta_rho, xi_rho), 180 pixels" in text
    assert "zonal: {method: centre}" in text
    # two depths read as bands: the pixels are the grid's, not pixels times bands
    layered = tmp_path / "layered.nc"
    xr.Dataset(
        {
            "v": (
                ("depth", *DIMS),
                np.stack([grid_values(lat.shape), grid_values(lat.shape, seed=4)]),
            )
        },
        coords={"lat": (DIMS, lat, LAT_ATTRS), "lon": (DIMS, lon, LON_ATTRS), "depth": [0.5, 5.0]},
    ).to_netcdf(layered, engine="h5netcdf")
    assert main(["ingest", "raster", str(layered), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["shape"] == [2, 12, 15] and summary["curvilinear"]["pixels"] == 180
    exact = tmp_path / "exact.yaml"
    exact.write_text(
        "area: {bbox: [99.9, 9.9, 100.5, 10.5], resolution: 6}\n"
        f"inputs: {{seizures: [{{path: {tmp_path / 's.csv'}}}]}}\n"
    )
    (tmp_path / "s.csv").write_text("date,lat,lon\n2024-01-01,10.0,100.0\n")
    assert main(["ingest", "raster", str(raster), "--config", str(exact)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "zonal method: centre" in err


# --------------------------------------------------------------------------- hostile files


def _hostile(tmp_path, case):
    """A small hostile file and what reads it right: ``(path, lat, lon, values)`` with the
    values as the pixels' own (``lat[i, j]`` places ``values[i, j]``)."""
    lat, lon = rotated_grid(12, 15)
    values = grid_values(lat.shape, seed=13)
    path = tmp_path / f"{case}.nc"
    if case == "mixed-0-360-rows":  # across 180°: even rows in 0..360, odd in -180..180
        lat, lon = rotated_grid(12, 15, lat0=-17.0, lon0=179.95, degrees=10.0)
        lon = lon % 360.0
        lon[1::2] = (lon[1::2] + 180.0) % 360.0 - 180.0
        assert (lon > 180).any() and (lon < 0).any()
        _write(path, values, lat, lon)
    elif case == "decreasing-both-axes":  # rotated, flipped along rows and columns
        lat, lon, values = lat[::-1, ::-1], lon[::-1, ::-1], values[::-1, ::-1]
        _write(path, values, lat, lon)
    elif case == "regular-decreasing-both-axes":  # constant along rows/columns: a transform
        lats = 10.3 - 0.01 * np.arange(12)
        lons = 100.2 - 0.01 * np.arange(15)
        lat = np.repeat(lats[:, None], 15, 1)
        lon = np.repeat(lons[None, :], 12, 0)
        _write(path, values, lat, lon)
    elif case in ("data-x-y-against-lat-y-x", "regular-data-x-y-against-lat-y-x"):
        if case.startswith("regular"):
            lat = np.repeat((10.0 + 0.01 * np.arange(12))[:, None], 15, 1)
            lon = np.repeat((100.0 + 0.01 * np.arange(15))[None, :], 12, 0)
        ds = xr.Dataset(
            {"v": (DIMS[::-1], values.T)},
            coords={"lat": (DIMS, lat, LAT_ATTRS), "lon": (DIMS, lon, LON_ATTRS)},
        )
        ds.to_netcdf(path, engine="h5netcdf")
    else:
        raise AssertionError(case)
    return path, lat, lon, values


@pytest.mark.parametrize(
    "case",
    [
        "mixed-0-360-rows",
        "decreasing-both-axes",
        "regular-decreasing-both-axes",
        "data-x-y-against-lat-y-x",
        "regular-data-x-y-against-lat-y-x",
    ],
)
def test_hostile_grids_that_can_be_placed_are_read_right(tmp_path, case):
    """Each pixel's value goes to the cell of its own centre (h3 + pandas groupby)."""
    path, lat, lon, values = _hostile(tmp_path, case)
    da = open_raster(path, by_centres=True)
    wrapped = (lon + 180.0) % 360.0 - 180.0
    x0, x1 = float(wrapped.min()) - 0.02, float(wrapped.max()) + 0.02
    if case.startswith("mixed"):
        x0, x1 = 179.8, -179.8
    box = (x0, float(lat.min()) - 0.02, x1, float(lat.max()) + 0.02)
    cells = (
        np.concatenate(
            [
                region_to_cells((box[0], box[1], 180.0, box[3]), 8),
                region_to_cells((-180.0, box[1], box[2], box[3]), 8),
            ]
        )
        if x0 > x1
        else region_to_cells(box, 8)
    )
    got = _zonal(clip_raster(da, box, margin_km=1.0), cells)
    ref = centre_reference(lat, lon, values, cells, 8)
    check_against_centre_reference(got, ref)
    assert got["v_count"].sum() == values.size
    cov = raster_coverage(da, box)
    assert cov["valid_fraction_in_area"] == 1.0 and "unplaced_pixels" not in cov


def _written(tmp_path, case):
    lat, lon = rotated_grid(12, 15)
    values = grid_values(lat.shape)
    path = tmp_path / f"{case}.nc"
    if case == "lat-lon-other-shape":  # a swath's tie points: every 2nd row, 3rd column
        _write(path, values, lat[::2, ::3], lon[::2, ::3], lat_dims=("tie_row", "tie_col"))
    elif case == "lat-lon-all-nan":
        nan = np.full(lat.shape, np.nan)
        _write(path, values, nan, nan)
    elif case == "lat-lon-in-radians":
        rad = {"standard_name": "latitude", "units": "radians"}
        _write(path, values, np.radians(lat), np.radians(lon), lat_attrs=rad, lon_attrs={})
    elif case == "regular-lat-lon-in-radians":  # 1-D axes lat(lat), lon(lon)
        ds = xr.Dataset(
            {"v": (("lat", "lon"), values)},
            coords={
                "lat": ("lat", np.radians(10.0 + 0.01 * np.arange(12)), {"units": "radians"}),
                "lon": ("lon", np.radians(100.0 + 0.01 * np.arange(15)), {"units": "radians"}),
            },
        )
        ds.to_netcdf(path, engine="h5netcdf")
    elif case in ("one-row", "one-column"):
        one = (slice(0, 1), slice(None)) if case == "one-row" else (slice(None), slice(0, 1))
        _write(path, values[one], lat[one], lon[one])
    elif case == "coordinates-naming-missing-variables":
        v = xr.Variable(DIMS, values)
        v.encoding["coordinates"] = "nav_lat nav_lon"
        xr.Dataset({"v": v}).to_netcdf(path, engine="h5netcdf")
    else:
        raise AssertionError(case)
    return path


REFUSED = [
    ("lat-lon-other-shape", "on other dimensions than its 12 x 15 pixels"),
    ("lat-lon-all-nan", "no pixel of the curvilinear grid is placed"),
    ("lat-lon-in-radians", "its units are 'radians', not degrees"),
    ("regular-lat-lon-in-radians", "is in 'radians', not degrees"),
    ("one-row", "has a single step"),
    ("one-column", "has a single step"),
    ("coordinates-naming-missing-variables", "names ['nav_lat', 'nav_lon'], which the file"),
]


@pytest.mark.parametrize(("case", "said"), REFUSED, ids=[case for case, _ in REFUSED])
def test_hostile_grids_that_cannot_be_placed_are_refused_in_one_line(tmp_path, capsys, case, said):
    """Refused by ``route-risk ingest raster`` (exit 2, one line), with or without a config
    reading by centres; never a summary placing the grid somewhere (radians read as
    degrees put it beside 0°N 0°E, all-NaN coordinates gave bounds of 0, 0, 0, 0)."""
    from pipeline.cli import main

    path = _written(tmp_path, case)
    assert main(["ingest", "raster", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["exit_code"] == 2  # no summary
    err = captured.err.strip()
    assert "\n" not in err and said in err, err
    with pytest.raises(
        InputError, match="cannot inform|single step|not degrees|file does not|other dim"
    ):
        raster_coverage(open_raster(path, by_centres=True), (-1.0, -1.0, 1.0, 1.0))
