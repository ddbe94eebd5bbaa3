"""FlatGeobuf (``.fgb``) inputs are read as the other GDAL layers are.

The product writes ``scores.fgb`` and QGIS saves FlatGeobuf, yet a ``.fgb`` given as
seizures, tracks, a context layer or the area was refused as an unknown file type.  Each is
read now, and what it reads equals the same layer saved as a GeoPackage: the records, the
rejects at their rows, the CRS (reprojected from the file's own).
"""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _corpus import IGNORE_PENDING_DEPRECATION

from pipeline.area import read_area
from pipeline.ingest import read_context, read_seizures, read_tracks

pytestmark = IGNORE_PENDING_DEPRECATION


def _save(frame: gpd.GeoDataFrame, folder, stem, **options):
    """The layer as FlatGeobuf and as GeoPackage; ``SPATIAL_INDEX="NO"`` keeps the rows'
    order (GDAL's default index sorts the features along a Hilbert curve)."""
    paths = {".fgb": folder / f"{stem}.fgb", ".gpkg": folder / f"{stem}.gpkg"}
    frame.to_file(paths[".fgb"], driver="FlatGeobuf", **options)
    frame.to_file(paths[".gpkg"], driver="GPKG")
    return paths


def _seizures():
    """Four seizures in Web Mercator; the last has no date: a reject."""
    lon = np.array([100.25, 100.5, 101.0, 100.75])
    lat = np.array([10.0, 10.5, 11.0, 10.25])
    frame = gpd.GeoDataFrame(
        {
            "date": ["2023-01-02", "2023-03-04", "2023-05-06", None],
            "commodity": ["cocaine", "heroin", "cocaine", "cannabis"],
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )
    return frame.to_crs("EPSG:3857")


def _same(a, b):
    pd.testing.assert_frame_equal(
        a.frame.drop(columns="source_file", errors="ignore"),
        b.frame.drop(columns="source_file", errors="ignore"),
    )
    assert (a.n_read, a.by_rule) == (b.n_read, b.by_rule)
    assert a.rejects["row"].tolist() == b.rejects["row"].tolist()


def test_seizures_from_a_flatgeobuf_equal_those_from_a_geopackage(tmp_path):
    paths = _save(_seizures(), tmp_path, "seizures", SPATIAL_INDEX="NO")
    fgb, gpkg = (read_seizures(p) for p in paths.values())
    assert fgb.n_read == 4 and len(fgb.frame) + len(fgb.rejects) == 4
    np.testing.assert_allclose(fgb.frame["lon"], [100.25, 100.5, 101.0], atol=1e-9)
    _same(fgb, gpkg)


def test_a_zipped_flatgeobuf_is_read_as_the_plain_file(tmp_path):
    paths = _save(_seizures(), tmp_path, "seizures", SPATIAL_INDEX="NO")
    packed = tmp_path / "export.zip"
    with zipfile.ZipFile(packed, "w") as zf:
        zf.write(paths[".fgb"], "seizures.fgb")
    _same(read_seizures(packed), read_seizures(paths[".fgb"]))


def test_tracks_ports_and_the_area_from_flatgeobuf(tmp_path):
    t = pd.date_range("2023-01-01", periods=6, freq="10min", tz="UTC")
    pings = gpd.GeoDataFrame(
        {"mmsi": [235000001] * 3 + [235000002] * 3, "timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ")},
        geometry=shapely.points(np.linspace(-1.5, -1.0, 6), np.linspace(50.5, 50.8, 6)),
        crs="EPSG:4326",
    )
    fgb, gpkg = (
        read_tracks(p) for p in _save(pings, tmp_path, "pings", SPATIAL_INDEX="NO").values()
    )
    assert len(fgb.frame) == 6 and fgb.frame["vessel_id"].nunique() == 2
    _same(fgb, gpkg)

    ports = gpd.GeoDataFrame(
        {"name": ["Southampton", "Portsmouth"]},
        geometry=shapely.points([-1.40, -1.10], [50.90, 50.80]),
        crs="EPSG:4326",
    )
    fgb, gpkg = (
        read_context(p, "ports")
        for p in _save(ports, tmp_path, "ports", SPATIAL_INDEX="NO").values()
    )
    assert fgb.frame["name"].tolist() == ["Southampton", "Portsmouth"]
    _same(fgb, gpkg)

    box = gpd.GeoDataFrame(geometry=[shapely.box(-2.0, 50.0, -0.5, 51.0)], crs="EPSG:4326")
    fgb, gpkg = (read_area(None, p) for p in _save(box, tmp_path, "area").values())
    assert fgb.bbox == pytest.approx(gpkg.bbox) and fgb.bbox == pytest.approx((-2, 50, -0.5, 51))


def test_an_indexed_flatgeobuf_gives_the_same_records_in_its_own_order(tmp_path):
    """GDAL's default FlatGeobuf sorts the features by its spatial index: the records are
    those of the layer, each reject at its row in the file as stored."""
    paths = _save(_seizures(), tmp_path, "seizures")
    fgb, gpkg = (read_seizures(p) for p in paths.values())
    key = ["time", "lon", "lat"]
    pd.testing.assert_frame_equal(
        fgb.frame.sort_values(key)[key].reset_index(drop=True),
        gpkg.frame.sort_values(key)[key].reset_index(drop=True),
        check_exact=False,
        atol=1e-9,
    )
    assert (fgb.n_read, fgb.by_rule) == (gpkg.n_read, gpkg.by_rule) == (4, {"date_missing": 1})
    stored = gpd.read_file(paths[".fgb"])
    (row,) = fgb.rejects["row"].tolist()
    assert pd.isna(stored["date"].iloc[row - 1])  # rows count from 1, in the stored order
