"""Writers that set a process-wide GDAL setting, called from two threads at once.

``write_geopackage`` fixes the GeoPackage's ``last_change`` through ``OGR_CURRENT_DATE``, a
setting of the whole process.  Two threads writing GeoPackages (a notebook's thread pool, a
Dask worker's threads): the first one to finish restored the setting while the second was
still writing, and the second file held the real date - its bytes changed with the clock.
"""

from __future__ import annotations

import hashlib
import threading

import geopandas as gpd
import pytest
from shapely.geometry import Point

import pipeline.io as pio


def _frame(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"cell": [str(i) for i in range(n)], "risk": [float(i) for i in range(n)]},
        geometry=[Point(i * 0.1, i * 0.05).buffer(0.01) for i in range(n)],
        crs="EPSG:4326",
    )


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_threads_writing_geopackages_both_keep_the_fixed_date(tmp_path, monkeypatch):
    frame = _frame(5)
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    want = {}
    for p in (a, b):  # one at a time: the reference bytes
        pio.write_geopackage(frame, p)
        want[p] = _sha(p)
        p.unlink()

    real = pio._write_ogr
    first_inside = threading.Event()
    second_entered = threading.Event()
    calls: list[str] = []

    def paced(ready, path, **options):
        calls.append(options["layer"])
        if options["layer"] == "a":
            first_inside.set()
            # the second writer gets its turn to set the date and start before this one ends
            second_entered.wait(0.5)
            return real(ready, path, **options)
        second_entered.set()
        # ... and writes only after the first one has finished (and restored the setting)
        done_a.wait(5)
        return real(ready, path, **options)

    done_a = threading.Event()

    def write_a():
        pio.write_geopackage(frame, a)
        done_a.set()

    def write_b():
        first_inside.wait(5)
        pio.write_geopackage(frame, b)

    monkeypatch.setattr(pio, "_write_ogr", paced)
    threads = [threading.Thread(target=write_a), threading.Thread(target=write_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(calls) == ["a", "b"]
    assert {p: _sha(p) for p in (a, b)} == want


def test_the_date_setting_is_restored_after_a_failed_write(tmp_path, monkeypatch):
    import pyogrio

    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")

    def failing(ready, path, **options):
        raise RuntimeError("boom")

    monkeypatch.setattr(pio, "_write_ogr", failing)
    with pytest.raises(RuntimeError, match="boom"):
        pio.write_geopackage(_frame(2), tmp_path / "x.gpkg")
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") == before
    assert not (tmp_path / "x.gpkg").exists()
