"""An ops engineer's review of the nightly command: signals, logs, streams, status of a kill.

Each test names what went wrong before its fix.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from pathlib import Path

import pytest
from conftest import QUICK, small_config

import pipeline
from pipeline.cli import main
from pipeline.run import run_status

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

#: A light run: the publish, the export's writers and the record are all there.
LIGHT = {
    **QUICK,
    "inputs": {"rasters": []},
    "score": {"factors": {"seizure_density": {"weight": 2}, "vessel_hours": {"weight": 1}}},
}


@pytest.fixture(scope="module")
def published(small_demo, tmp_path_factory):
    """One published light run: (config, output folder, run id)."""
    base = tmp_path_factory.mktemp("ops")
    cfg = small_config(small_demo, base, **LIGHT)
    res = pipeline.run_pipeline(cfg)
    return cfg, res.out_dir, res.run_id


def _copy(published, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(published[1], out, symlinks=True)
    return out


def test_a_killed_run_is_attention_until_the_next_run_records_it(published, tmp_path, capsys):
    # Before: a run killed by SIGKILL or the OOM killer left only its staging folder, and
    # `status` said all was well (exit 0, "running ... or was killed") until the next night.
    _, _, run_id = published
    out = _copy(published, tmp_path)
    killed = "29990101T000000Z-abcdef"  # newer than every recorded run
    (out / "runs" / f".staging-{killed}").mkdir()
    (out / "runs" / ".staging-mine").mkdir()  # a user's folder is no run's
    st = run_status(out)
    assert st["killed"] == [killed] and not st["running"]
    assert st["last_run"]["run_id"] == killed and st["last_run"]["status"] == "killed"
    assert st["attention"] == [f"the last run {killed} is killed"]
    assert st["published"]["run_id"] == run_id  # the set it left is still the published one
    capsys.readouterr()
    assert main(["status", str(out), "--no-verify"]) == 1
    assert f"{killed}  killed" in capsys.readouterr().out
    # while a process holds the lock, the staging folder is that run's work in progress
    with open(out / ".route-risk.lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        st = run_status(out)
    assert st["running"] and st["killed"] == [] and st["attention"] == []
    assert st["last_run"]["run_id"] == run_id
    # the first run of a folder killed: attention (1), not "no run here" (2)
    first = tmp_path / "first"
    (first / "runs" / f".staging-{killed}").mkdir(parents=True)
    st = run_status(first)
    assert st["last_run"]["status"] == "killed" and st["published"] is None
    assert main(["status", str(first)]) == 1


def test_status_never_costs_a_run_the_lock(tmp_path, monkeypatch):
    # `status` takes the lock shared for an instant; a run starting then waits for it
    # instead of leaving as busy (exit 75, counted as success: a night without a map)
    import pipeline.runner.publish as P

    real, calls = P.fcntl.flock, []

    def busy_twice(f, op):
        calls.append(op)
        if op & fcntl.LOCK_EX and len(calls) <= 2:
            raise BlockingIOError(errno.EWOULDBLOCK, "held")
        return real(f, op)

    monkeypatch.setattr(P.fcntl, "flock", busy_twice)
    with P.lock(tmp_path / "out"):
        assert P.lock_held(tmp_path / "out") is True
    assert P.lock_held(tmp_path / "out") is False


def test_an_empty_run_folder_is_pruned_a_foreign_one_kept(published, tmp_path):
    # Before: a run stopped between making its folder and writing its status.json (a
    # second SIGTERM did it) left an empty folder that was "not made by route-risk" forever
    from pipeline.runner.publish import prune_runs

    out = _copy(published, tmp_path)
    (out / "runs" / "20000101T000000Z-aaaaaa").mkdir()
    mine = out / "runs" / "20000102T000000Z-bbbbbb"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    prune_runs(out, 7)
    assert sorted(p.name for p in (out / "runs").iterdir()) == [mine.name, published[2]]


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
