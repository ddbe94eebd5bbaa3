"""What the review of one process's state (tests/test_process_state_found.py) left over.

``write_geopackage`` fixes the GeoPackage's ``last_change`` through ``OGR_CURRENT_DATE``, a
setting of the whole process.  Two threads writing GeoPackages (a notebook's thread pool, a
Dask worker's threads): the first one to finish restored the setting while the second was
still writing, and the second file held the real date - its bytes changed with the clock.
And a fallback model expecting no event anywhere published its area share as NaN.
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


def test_shares_of_a_fallback_that_expects_no_event_anywhere_are_ones_without_a_warning():
    """Found beside the process-state review: events in the training window but none near the
    cells give a fallback whose expected events are 0 everywhere; ``shares()`` took the mean of
    an empty reference ("Mean of empty slice") and published ``area`` as NaN, while every
    relative risk is 1."""
    import warnings

    import numpy as np
    import pandas as pd

    from pipeline.grid import region_to_cells
    from pipeline.model import FittedModel

    cells = region_to_cells((0.0, 0.0, 1.0, 1.0), 5)
    ev = pd.DataFrame(
        {
            "time": pd.to_datetime(["2023-05-01", "2023-08-01", "2023-11-01"], utc=True),
            "lon": [40.0, 40.02, 41.0],
            "lat": [40.0, 40.01, 41.0],
        }
    )
    m = FittedModel().fit(ev, cells, pd.Timestamp("2024-01-01", tz="UTC"))
    assert m.report()["model"] == "fallback"
    assert m.predict()["expected"].max() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = m.shares()
    assert np.array_equal(s["area"].to_numpy(), np.ones(len(cells)))
    assert np.array_equal(s["relative_risk"].to_numpy(), np.ones(len(cells)))
