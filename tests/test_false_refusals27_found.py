"""False refusals and false notes of today's new ingest checks, on real-shaped data (round 27).

A NetCDF's times are UTC (CF: a time unit without a zone is UTC), and a config names a step
as ISO 8601 writes a UTC time: ``select: {time: "2024-01-01T06:00Z"}``, or unquoted in YAML
(``time: 2024-01-01T06:00:00Z``, which YAML reads as a datetime).  The quoted one matched no
step of a 3-hourly Copernicus Marine file that holds 06:00 (a zoned time never equals a
zone-less step), and the unquoted one failed the config's validation (a datetime is none of
int, float, date, str): both refused a valid selection.
"""

from __future__ import annotations

import datetime as dt

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from test_review_realdata28_found import write_three_hourly

from pipeline.ingest import open_raster
from pipeline.ingest.options import RasterSource

pytestmark = IGNORE_PENDING_DEPRECATION

UTC = dt.UTC


@pytest.mark.parametrize(
    ("value", "step"),
    [
        ("2024-01-01T06:00Z", 2),
        ("2024-01-01T06:00:00.000Z", 2),
        ("2024-01-01T07:00:00+01:00", 2),
        (dt.datetime(2024, 1, 1, 6, tzinfo=UTC), 2),
        (dt.datetime(2024, 1, 2, 12), 12),
        ({"value": "2024-01-02T12:00:00Z"}, 12),
        ({"value": dt.datetime(2024, 1, 2, 12, tzinfo=UTC)}, 12),
    ],
    ids=["z", "z-ms", "plus-one", "yaml-utc", "yaml-naive", "value-z", "value-yaml"],
)
def test_a_time_written_in_utc_selects_that_step(tmp_path, value, step):
    path = tmp_path / "cmems_mod_glo_phy_anfc_0.083deg_PT3H-i.nc"
    write_three_hourly(path)
    da = open_raster(RasterSource(path=path, variable="uo", select={"time": value}))
    assert float(da.max()) == step
