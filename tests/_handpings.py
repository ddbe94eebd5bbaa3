"""Hand-built pings for the transit mutation tests (test_mutants_transit_found and _transit2)."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd

from pipeline.schema import LAT, LON, SOG, TIME, VESSEL_ID
from pipeline.sphere import EARTH_RADIUS_KM

T0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")
KM_PER_DEG = np.radians(1.0) * EARTH_RADIUS_KM


def pings(vessel, minutes, lon, lat, sog):
    """A vessel's pings at ``minutes`` after :data:`T0` (scalars broadcast)."""
    n = len(minutes)

    def full(x):
        return np.broadcast_to(np.asarray(x, dtype="float64"), (n,)).copy()

    return pd.DataFrame(
        {
            VESSEL_ID: [vessel] * n,
            TIME: T0 + pd.to_timedelta(np.asarray(minutes, dtype="float64"), unit="min"),
            LON: full(lon),
            LAT: full(lat),
            SOG: full(sog),
        }
    )


def cell_of(lon, lat, res):
    """The H3 cell (uint64) of a position, by h3 itself."""
    return np.uint64(h3.str_to_int(h3.latlng_to_cell(lat, lon, res)))
