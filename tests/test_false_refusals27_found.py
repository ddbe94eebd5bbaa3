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

import numpy as np
import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from test_review_realdata28_found import write_three_hourly

from pipeline.ingest import open_raster, read_tracks
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


# ----------------------------------------------------------------------------- sparse ferries

#: A ferry's route: 11.25 nm due east at 15 kn (45 min), 15 min at the quay, back, 15 min.
ROUTE_NM, FERRY_KN, CYCLE_MIN = 11.25, 15.0, 120.0


def ferry_pings(phases_min: list[float], hours: int = 24) -> pd.DataFrame:
    """Return hourly AIS pings (a downsampled export) of ferries whose first ping is at a phase.

    Hourly on a two-hour cycle, a ferry is seen outbound then inbound: each stretch's
    positions give less than its speed (1.71 and 1.93 times less at phases 5 and 38 min),
    though its SOG is knots.
    """
    frames = []
    for k, p in enumerate(phases_min):
        minutes = p + 60.0 * np.arange(hours)
        ph = minutes % CYCLE_MIN
        out = np.clip(ph / 45.0, 0, 1)
        back = np.clip((ph - 60.0) / 45.0, 0, 1)
        x_nm = ROUTE_NM * np.where(ph < 60, out, 1 - back)
        sea = (ph < 45) | ((ph >= 60) & (ph < 105))
        frames.append(
            pd.DataFrame(
                {
                    "MMSI": 235000100 + k,
                    "Time": (pd.Timestamp("2024-06-01") + pd.to_timedelta(minutes, "min")).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                    "Latitude": 50.75,
                    "Longitude": -1.10 + x_nm / (60 * np.cos(np.radians(50.75))),
                    "SOG": np.where(sea, FERRY_KN, 0.0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_hourly_pings_of_a_ferry_out_and_back_are_no_speed_in_kmh(tmp_path):
    path = tmp_path / "ferries_hourly.csv"
    ferry_pings([5.0, 38.0]).to_csv(path, index=False)
    got = read_tracks(path)
    assert len(got.frame) == 48
    assert (got.frame["sog_kn"] == FERRY_KN).all()  # knots, as AIS writes them
