"""Cache keys that missed something their stage reads: a nightly run served last night's values.

Found by the sweep of tests/test_cache_keys.py (every option and input changed, one at a time,
each night compared with a cold run); each test here reproduces one finding on its own.
"""

from __future__ import annotations

from pathlib import Path

from _corpus import IGNORE_PENDING_DEPRECATION
from conftest import LIGHT, small_config

pytestmark = IGNORE_PENDING_DEPRECATION

#: The outputs that hold the cells' values.
_TABLES = ("features", "scores_parquet", "scores_csv", "events", "pings")


def _same_tables(night, cold) -> list[str]:
    """Return the names of the outputs whose bytes differ between two runs."""
    got, want = night.manifest["outputs"], cold.manifest["outputs"]
    return [k for k in _TABLES if k in want and got.get(k, {}).get("sha256") != want[k]["sha256"]]


def test_a_changed_resolution_bins_the_tracks_at_the_new_one(small_demo, tmp_path):
    """``area.resolution`` changed (3 to 2) and nothing else: the pass over the tracks (kept
    under its data and options, not the cells, so that the back-test's other cells reuse
    it) bins the vessel hours and events into cells of that resolution.  Its key lacked the
    resolution: the night took the resolution-3 pass, whose cells the resolution-2 table
    does not hold, and published a vessel-hours column and a cell set unlike a cold run's
    (207 cells for 227 on the small theatre)."""
    import pipeline

    def config(resolution: int, out: Path):
        return small_config(
            small_demo,
            tmp_path,
            **{
                **LIGHT,
                "run": {"out_dir": str(out)},
                "area": {"bbox": [-85, -10, 10, 45], "resolution": resolution},
                "density": {"bandwidth_km": 300.0},
            },
        )

    pipeline.run_pipeline(config(3, tmp_path / "out"))
    night = pipeline.run_pipeline(config(2, tmp_path / "out"))
    cold = pipeline.run_pipeline(config(2, tmp_path / "cold"), cold=True)
    assert night.manifest["counts"]["cells"] == cold.manifest["counts"]["cells"]
    assert _same_tables(night, cold) == []


def test_an_upgraded_library_is_not_served_the_tables_the_old_one_computed(
    small_demo, tmp_path, monkeypatch
):
    """The keys held route-risk's own source and not the libraries that compute the values
    (pandas and pyogrio parse the inputs, h3 makes the cells, scipy and statsmodels fit):
    after an upgrade the night was "up to date" (the run key) and, with a new record, took
    every stage it could from the cache, so its tables were last night's libraries' while
    its manifest listed the new versions.  Here numpy's version changes between two nights
    of the same inputs, as the next night's process sees an upgrade: in the installed
    metadata and in the module it imports (the imported one's stands where both exist,
    tests/test_process_state_found.py)."""
    import importlib.metadata as md

    import numpy as np

    import pipeline

    cfg = small_config(small_demo, tmp_path, **LIGHT)
    pipeline.run_pipeline(cfg)
    real = md.version
    monkeypatch.setattr(md, "version", lambda n: "999.0" if n == "numpy" else real(n))
    monkeypatch.setattr(np, "__version__", "999.0")
    night = pipeline.run_pipeline(cfg)
    assert not night.up_to_date
    assert night.manifest["versions"]["numpy"] == "999.0"
    assert not any(s["cached"] for s in night.manifest["stages"].values())


def test_a_gdal_setting_of_the_environment_is_part_of_the_key(small_demo, tmp_path, monkeypatch):
    """GDAL reads settings from the environment that change the values it gives: with
    ``GDAL_PAM_ENABLED=NO`` it ignores a raster's ``.aux.xml`` (here a scale of 3 and an
    offset of 5), so the night-lights means are another third of them.  A night whose
    only change was that variable (a cron job's environment is not the shell's) was "up to
    date" and kept the tables of the values with the scale applied, unlike a cold run."""
    import shutil

    import pipeline

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy2(small_demo / "inputs" / "nightlights.tif", data / "nightlights.tif")
    (data / "nightlights.tif.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><Offset>5</Offset><Scale>3</Scale>'
        "</PAMRasterBand></PAMDataset>"
    )
    sections = {
        **LIGHT,
        "inputs": {"rasters": [{"path": str(data / "nightlights.tif"), "name": "nightlights"}]},
        "score": {"factors": {"seizure_density": {"weight": 1}, "nightlights_mean": {"weight": 1}}},
        "area": {"bbox": [-85, -10, 10, 45], "resolution": 3},
        "density": {"bandwidth_km": 150.0},
    }
    monkeypatch.delenv("GDAL_PAM_ENABLED", raising=False)
    first = pipeline.run_pipeline(small_config(small_demo, tmp_path, **sections))
    monkeypatch.setenv("GDAL_PAM_ENABLED", "NO")
    night = pipeline.run_pipeline(small_config(small_demo, tmp_path, **sections))
    cold = pipeline.run_pipeline(
        small_config(small_demo, tmp_path, **sections), out_dir=tmp_path / "cold", cold=True
    )
    assert not night.up_to_date
    assert night.manifest["reader_settings"] == ["GDAL_PAM_ENABLED"]
    assert _same_tables(night, cold) == []
    assert _same_tables(first, cold) == ["features", "scores_parquet", "scores_csv"]
