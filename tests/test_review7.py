"""Review of the seventh sweep's changes: inputs they read wrongly, or too slowly, before these fixes.

Inputs are shaped like real exports (AIS CSVs of the Danish Maritime Authority and
MarineCadastre, UCDP GED event tables, ports tables, QGIS GeoPackages) and built in tmp_path.
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from _corpus import IGNORE_PENDING_DEPRECATION

from pipeline.errors import RouteRiskError
from pipeline.ingest import read_context, read_seizures
from pipeline.ingest._positions import read_positions
from pipeline.ingest.options import SeizureSource

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


# ------------------------------------------ a GeoPackage's table of records is not passed over


def _area_and_records(path) -> None:
    """A study area polygon layer and an incidents table without geometry (lat/lon columns)."""
    area = gpd.GeoDataFrame(
        {"name": ["study area"]}, geometry=[shapely.box(100, 0, 110, 5)], crs=4326
    )
    area.to_file(path, layer="study_area", driver="GPKG")
    records = pd.DataFrame(
        {
            "name": ["A", "B"],
            "date": ["2024-01-05", "2024-02-01"],
            "lat": [1.2, 1.5],
            "lon": [104.0, 104.5],
        }
    )
    pyogrio.write_dataframe(records, path, layer="incidents", driver="GPKG")


@pytest.mark.parametrize("kind", ["seizures", "ports"])
def test_a_geopackage_table_of_records_beside_an_area_layer_is_not_passed_over(tmp_path, kind):
    """The records' table (no geometry) was skipped as if a QGIS style, the area layer read.

    Seizures were refused for a missing date column of the area; ports were taken from the
    study area's polygon, silently.  Both are refused naming the layers, as before the change.
    """
    path = tmp_path / f"{kind}.gpkg"
    _area_and_records(path)
    with pytest.raises(RouteRiskError, match=r"2 layers.*study_area.*incidents.*set layer"):
        read_seizures(path) if kind == "seizures" else read_context(path, "ports")
    # told which layer, the records are read
    if kind == "seizures":
        res = read_seizures(SeizureSource(path=path, layer="incidents"))
        assert res.frame["lat"].tolist() == [1.2, 1.5]
