"""A raster ``select:`` time that names no day (a month, a year) is refused, not read as the 1st.

Found on 2026-12-07 (hJI's left-alone item): ``select: {time: "2024-01"}`` on a daily axis read
1 January's grid, exit 0 and said as "value '2024-01' -> index 0 (2024-01-01)": a month is every
step of it (xarray's ``.sel(time="2024-01")`` gives all 31), and ``select:`` picks one step, so
which one was meant is not known.  It is now refused naming a day to give, or ``{index: N}``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from pipeline.errors import InputError
from pipeline.ingest.options import RasterSource
from pipeline.ingest.rasters import _select_dim

DAYS = pd.date_range("2024-01-01", periods=40, freq="D").to_numpy()


def _sel(spec, values=DAYS):
    src = RasterSource(path="mem.nc", select={"time": spec})
    steps = xr.DataArray(np.arange(len(values)), coords={"time": values}, dims="time")
    got, said = _select_dim(steps, "time", src.select["time"], "mem.nc")
    return int(got), said


@pytest.mark.parametrize("spec", ["2024-01", "2024", "Jan 2024", "January 2024", "2024/01"])
def test_a_time_naming_no_day_is_refused(spec):
    # the reference: xarray reads such a text as every step of the period, not one
    steps = xr.DataArray(np.arange(len(DAYS)), coords={"time": DAYS}, dims="time")
    if spec in ("2024-01", "2024"):
        assert steps.sel(time=spec).size > 1
    with pytest.raises(InputError, match="names no day.*index: N"):
        _sel(spec)


@pytest.mark.parametrize(
    ("spec", "index"),
    [("2024-01-05", 4), ("5 Jan 2024", 4), ("2024-02-01", 31), ("2024-01-05T00:00", 4)],
    ids=["iso-day", "written-day", "first-of-month", "midnight"],
)
def test_a_day_or_a_time_is_still_its_step(spec, index):
    assert _sel(spec)[0] == index
