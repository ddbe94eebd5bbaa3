"""Review of the seventh sweep's changes: inputs they read wrongly, or too slowly, before these fixes.

Inputs are shaped like real exports (AIS CSVs of the Danish Maritime Authority and
MarineCadastre, UCDP GED event tables, ports tables, QGIS GeoPackages) and built in tmp_path.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION

from pipeline.ingest._positions import read_positions

pytestmark = IGNORE_PENDING_DEPRECATION

# ------------------------------------------------------------------ positions: a hot path


@pytest.mark.parametrize("crs", [None, "EPSG:32632"])
def test_positions_of_a_track_of_plain_numbers_are_read_in_one_vectorised_pass(crs):
    """A track's 300,000 plain latitudes/longitudes went through per-value regexes (~10 s).

    Degrees without a crs, or UTM eastings/northings under their projected crs.
    """
    n = 300_000
    rng = np.random.default_rng(7)
    scale = 1.0 if crs is None else 100_000.0
    lat = pd.Series(rng.uniform(54.0, 58.0, n) * scale)
    lon = pd.Series(rng.uniform(7.0, 13.0, n) * scale)
    start = time.perf_counter()
    pos = read_positions(lat, lon, crs=crs, lat_col="Latitude", lon_col="Longitude", name="x")
    took = time.perf_counter() - start
    assert np.array_equal(pos.lat.to_numpy(), lat.to_numpy())
    assert np.array_equal(pos.lon.to_numpy(), lon.to_numpy())
    assert took < 1.5, f"{took:.1f} s for {n} plain positions"
