"""An ops engineer's review of the nightly command: signals, logs, streams, status of a kill.

Each test names what went wrong before its fix.
"""

from __future__ import annotations

import errno
import os

import pytest
from conftest import QUICK

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

#: A light run: the publish, the export's writers and the record are all there.
LIGHT = {
    **QUICK,
    "inputs": {"rasters": []},
    "score": {"factors": {"seizure_density": {"weight": 2}, "vessel_hours": {"weight": 1}}},
}


def test_a_gdal_write_on_a_full_disk_is_enospc(tmp_path, monkeypatch):
    # Before: a GeoPackage or FlatGeobuf written on a full disk failed in GDAL's words
    # ("no such table: gpkg_contents"), a traceback and exit 1, not the disk-full exit 74
    import geopandas as gpd
    import pyogrio
    import shapely
    from pyogrio.errors import DataLayerError

    from pipeline.io import write_geopackage

    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")

    def fails(*args, **kwargs):
        raise DataLayerError("sqlite3_exec(...) failed: no such table: gpkg_contents")

    monkeypatch.setattr(pyogrio, "write_dataframe", fails)
    with pytest.raises(DataLayerError):  # room on the disk: GDAL's error as it is
        write_geopackage(frame, tmp_path / "a.gpkg")
    full = os.statvfs_result((4096, 4096, 100, 0, 0, 10, 0, 0, 0, 255))
    monkeypatch.setattr(os, "statvfs", lambda path: full)
    with pytest.raises(OSError, match="gpkg_contents") as info:
        write_geopackage(frame, tmp_path / "a.gpkg")
    assert info.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # its temporary file went with it
