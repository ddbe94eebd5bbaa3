"""The published folder as operators handle it: copied, moved, served, shared, odd paths, clocks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import QUICK, small_config

import pipeline
from pipeline.run import run_history, run_status

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

#: A light run: no rasters, two factors, no timeline, back-test or hot spots.
LIGHT = {
    **QUICK,
    "inputs": {"rasters": []},
    "score": {"factors": {"seizure_density": {"weight": 2}, "vessel_hours": {"weight": 1}}},
}


@pytest.fixture(scope="module")
def published(small_demo, tmp_path_factory):
    """One published light run: (config, output folder, run id)."""
    base = tmp_path_factory.mktemp("folder")
    cfg = small_config(small_demo, base, **LIGHT)
    res = pipeline.run_pipeline(cfg)
    return cfg, res.out_dir, res.run_id


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``route-risk`` as a scheduler would (a new process, text logs)."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args, "--log-format", "text"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        check=False,
    )


def test_a_run_into_a_copy_given_by_out_is_a_new_run_that_names_its_folder(published, tmp_path):
    cfg, out, run_id = published
    copy = tmp_path / "moved"
    shutil.copytree(out, copy, symlinks=True)
    # the README: the output folder is part of a run's key, so the first run into a copied
    # or moved folder is a new run (its stages from the copied cache) - also when the folder
    # is given by --out rather than by an edited run.out_dir
    res = pipeline.run_pipeline(cfg, out_dir=copy)
    assert not res.up_to_date and res.run_id != run_id
    assert all(res.manifest["stages"][s]["cached"] for s in ("ingest", "cells", "features"))
    # the manifest names the folder the run published into, not the config's other one
    assert res.manifest["config"]["run"]["out_dir"] == str(copy)
    assert pipeline.run_pipeline(cfg, out_dir=copy).up_to_date  # the next night: nothing to do
    # and so for the config's own folder: unchanged, still up to date
    assert pipeline.run_pipeline(cfg).up_to_date


def test_an_output_folder_that_is_itself_a_link_is_refused_naming_the_folder_it_leads_to(
    published, tmp_path
):
    cfg, out, _ = published
    real = tmp_path / "data" / "out"
    shutil.copytree(out, real, symlinks=True)
    before = sorted(p.name for p in real.iterdir())
    link = tmp_path / "www-maps"  # a deploy link: the web server serves this path
    link.symlink_to(real, target_is_directory=True)
    proc = _cli("run", str(cfg.source), "--out", str(link), "--force")
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in proc.stderr
    # the link is the output folder itself, not one inside it, and removing the operator's
    # deploy link is not the way out: the folder it leads to is
    assert "in the output folder" not in err[0]
    assert f"output folder {str(link)!r} is itself a symbolic link" in err[0]
    assert str(real) in err[0]
    assert sorted(p.name for p in real.iterdir()) == before and link.is_symlink()
    # reached through a linked parent, the same folder runs (only links inside it are refused)
    parent = tmp_path / "via"
    parent.symlink_to(real.parent, target_is_directory=True)
    assert _cli("run", str(cfg.source), "--out", str(parent / "out")).returncode == 0
    assert run_status(parent / "out")["attention"] == []


def test_a_busy_folder_says_which_host_s_process_holds_its_lock(published, tmp_path, monkeypatch):
    import pipeline.runner.publish as P

    cfg, out, _ = published
    shared = tmp_path / "nfs" / "out"  # a folder two hosts run into (NFS)
    shutil.copytree(out, shared, symlinks=True)
    # a run of the other host holds the lock (this process, named as that host): on this
    # host no process holds it, so 'wait for it to finish' alone sends the operator to ps
    monkeypatch.setattr("socket.gethostname", lambda: "nas-a")
    with P.lock(shared):
        busy = _cli("run", str(cfg.source), "--out", str(shared))
        status = _cli("status", str(shared))
        st = run_status(shared)
    assert busy.returncode == 75, busy.stderr
    said = f"process {os.getpid()} on host 'nas-a' since "
    assert said in busy.stderr and "a host that went down keeps its lock" in busy.stderr
    assert f"running        a run is in progress (it holds the folder's lock: {said}" in (
        status.stdout
    )
    assert st["running"] and st["lock_holder"]["host"] == "nas-a"
    assert st["lock_holder"]["pid"] == os.getpid()
    # released: nobody is named, and a record a killed holder left is not a holder
    assert P.lock_holder(shared) is None
    (shared / P.LOCK).write_text(json.dumps({"pid": 1, "host": "nas-a", "since": "x"}))
    st = run_status(shared)
    assert not st["running"] and st["lock_holder"] is None
    assert "running" not in _cli("status", str(shared)).stdout
    # the run that follows takes the lock over that record
    assert _cli("run", str(cfg.source), "--out", str(shared)).returncode == 0
    assert (shared / P.LOCK).read_text() == ""
