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

from pipeline.ingest import read_seizures
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


# ------------------------------------------------- a header with a blank name is the header


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_header_with_a_blank_name_over_a_record_of_text_is_still_the_header(tmp_path):
    """A piracy log: one unnamed column, and its first record all text (DMS positions).

    The row-of-column-groups rule took the real header for a group row and the first record
    for the header: the file was refused (no coordinate columns among '5-Jan-2024', ...).
    """
    path = _write(
        tmp_path,
        "log.csv",
        "Date,Vessel,,Latitude,Longitude\n"
        "5-Jan-2024,MV Alpha,boarded,12°30'N,45°10'E\n"
        "6-Jan-2024,MV Beta,boarded,12.5,45.1\n"
        "7-Jan-2024,MV Gamma,robbed,12.6,45.2\n",
    )
    res = read_seizures(path)
    assert res.n_read == 3 == len(res.frame)
    assert res.frame["source_row"].tolist() == [2, 3, 4]
    assert res.frame["lat"].round(4).tolist() == [12.5, 12.5, 12.6]
    assert res.frame["lon"].round(4).tolist() == [45.1667, 45.1, 45.2]
    assert not any("column groups" in n for n in res.notes)
