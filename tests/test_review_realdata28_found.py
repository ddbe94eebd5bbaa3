"""Review of real track and raster products as an analyst meets them, round 28.

Copernicus Marine's depths are the levels of its model (0.494, 1.541, 2.646, ... 9.573,
11.405 m): ``select: {depth: 10}`` names no step, and was read as a 0-based index, the 11th
level, 15.81 m, stated only as ``index 10 -> index 10 (15.81)``: the 10 m meant became
another depth's temperatures without a word in the run's output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from _corpus import IGNORE_PENDING_DEPRECATION

from pipeline.errors import InputError
from pipeline.ingest import open_raster
from pipeline.ingest.options import RasterSource

pytestmark = IGNORE_PENDING_DEPRECATION

#: The first twelve depths of Copernicus Marine's global physics (metres, float32).
CMEMS_DEPTHS = np.array(
    [0.494025, 1.541375, 2.645669, 3.819495, 5.078224, 6.440614, 7.92956, 9.572997,
     11.405, 13.46714, 15.81007, 18.49556],
    dtype="float32",
)  # fmt: skip


def write_cmems(path, depths=CMEMS_DEPTHS) -> None:
    """Write thetao(time, depth, latitude, longitude), packed; a pixel's value is 100 + level."""
    lat = np.arange(6.0, 7.01, 0.25, dtype="float32")
    lon = np.arange(-4.0, -2.99, 0.25, dtype="float32")
    cube = np.broadcast_to(
        (100.0 + np.arange(depths.size, dtype="float32"))[None, :, None, None],
        (1, depths.size, lat.size, lon.size),
    )
    ds = xr.Dataset(
        {"thetao": (("time", "depth", "latitude", "longitude"), cube, {"units": "degrees_C"})},
        coords={
            "time": ("time", pd.date_range("2024-01-01", periods=1)),
            "depth": ("depth", depths, {"units": "m", "positive": "down"}),
            "latitude": ("latitude", lat, {"units": "degrees_north"}),
            "longitude": ("longitude", lon, {"units": "degrees_east"}),
        },
    )
    enc = {"dtype": "int16", "scale_factor": 0.01, "add_offset": 100.0, "_FillValue": -32767}
    ds.to_netcdf(path, engine="h5netcdf", encoding={"thetao": enc})


def _level(path, select) -> float:
    da = open_raster(RasterSource(path=path, select=select))
    return round(float(da.max()) - 100.0, 3)


@pytest.mark.parametrize("depth", [10, 1, 3], ids=["10m", "1m", "3m"])
def test_a_whole_depth_among_the_levels_is_refused_not_read_as_an_index(tmp_path, depth):
    path = tmp_path / "cmems_mod_glo_phy-thetao_anfc_0.083deg_P1D-m.nc"
    write_cmems(path)
    with pytest.raises(InputError, match=rf"select depth: {depth} is no value of 'depth'") as err:
        open_raster(RasterSource(path=path, select={"depth": depth}))
    text = str(err.value)
    assert "span 0.494025..18.49556" in text
    assert f"depth: {{index: {depth}}}" in text and "depth: {value: V}" in text
    near = CMEMS_DEPTHS[np.argsort(np.abs(CMEMS_DEPTHS - depth), kind="stable")[:2]]
    assert f"nearest: {sorted(float(str(v)) for v in near)!r}" in text
    assert f"step {depth} ({float(str(CMEMS_DEPTHS[depth]))})" in text


def test_a_whole_depth_beyond_its_steps_is_refused_as_matching_none(tmp_path):
    path = tmp_path / "deep.nc"
    write_cmems(path, np.array([0.5, 5.5, 25.5], dtype="float32"))
    with pytest.raises(InputError, match=r"select depth: 10 matches no step"):
        open_raster(RasterSource(path=path, select={"depth": 10}))


def test_a_depth_step_by_its_value_its_index_or_outside_the_values_is_read(tmp_path):
    path = tmp_path / "cmems.nc"
    write_cmems(path)
    assert _level(path, {"depth": {"index": 10}}) == 10
    assert _level(path, {"depth": {"value": 9.572997}}) == 7
    assert _level(path, {"depth": 9.572997}) == 7
    # below the shallowest value, a whole number is the documented index: the surface step
    assert _level(path, {"depth": 0}) == 0
    assert _level(path, {"depth": -1}) == 11
    # an axis of whole values holding the number reads it as the value
    levels = tmp_path / "levels.nc"
    write_cmems(levels, np.array([0, 5, 10, 20], dtype="float32"))
    assert _level(levels, {"depth": 10}) == 2
