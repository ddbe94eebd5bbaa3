"""Nightly operations: run folders, the atomic switch, retention, history, status, freshness."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import QUICK, small_config

import pipeline
from pipeline.errors import ConfigError, DataQualityError, InputError
from pipeline.io import sha256_file
from pipeline.run import run_history, run_status

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


@pytest.fixture(scope="module")
def first_run(small_demo, tmp_path_factory):
    """One published run of the small config (its command line ``x y``), never changed.

    The tests that start from a folder holding one good run take a copy of its folder
    (:func:`copy_of_first`).
    """
    tmp = tmp_path_factory.mktemp("first")
    return pipeline.run_pipeline(small_config(small_demo, tmp), command_line=["x", "y"])


def copy_of_first(first_run, tmp_path: Path) -> Path:
    """Copy the first run's output folder (runs, links, cache) to ``tmp_path/out``.

    ``small_config(small_demo, tmp_path)`` writes there.
    """
    out = tmp_path / "out"
    shutil.copytree(first_run.out_dir, out, symlinks=True)
    return out


def _inputs_copy(small_demo: Path, tmp_path: Path) -> dict:
    """Copies of the small demo's inputs (tests change their modification times)."""
    d = tmp_path / "inputs"
    shutil.copytree(small_demo / "inputs", d)
    return {
        "seizures": [{"path": str(d / "seizures.csv")}],
        "tracks": [{"path": str(d / "ais.csv")}],
        "rasters": [{"path": str(d / "nightlights.tif"), "name": "nightlights"}],
    }


def assert_published_set_is_whole(out: Path) -> dict:
    """The manifest reached through ``OUT/manifest.json`` matches every file it lists."""
    current = os.readlink(out / "current")
    assert current.startswith("runs/")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run_id"] == Path(current).name
    for name, info in manifest["outputs"].items():
        top = out / info["path"]
        assert os.readlink(top) == f"current/{info['path']}", name
        assert sha256_file(top) == info["sha256"], name
    assert manifest["run_id"] in (out / "risk_map.html").read_text()
    return manifest


def test_each_run_is_a_folder_switched_in_by_one_link(small_demo, tmp_path, first_run):
    first = first_run
    # the result's paths are the stable top-level ones
    assert first.map_path == first.out_dir / "risk_map.html"
    out = copy_of_first(first, tmp_path)
    second = pipeline.run_pipeline(
        small_config(small_demo, tmp_path, density={"bandwidth_km": 33}), command_line=None
    )
    m = assert_published_set_is_whole(out)
    assert m["run_id"] == second.run_id and m["previous_run"] == first.run_id
    assert first.manifest["command_line"] == ["x", "y"] and first.manifest["previous_run"] is None
    assert m["host"] and m["code_version"] == m["versions"]["route-risk"]
    recorded = {Path(f["path"]).name: f["sha256"] for f in m["input_files"]}
    assert recorded == {
        "seizures.csv": sha256_file(small_demo / "inputs" / "seizures.csv"),
        "ais.csv": sha256_file(small_demo / "inputs" / "ais.csv"),
        "nightlights.tif": sha256_file(small_demo / "inputs" / "nightlights.tif"),
    }
    raster = m["inputs"]["rasters"][0]
    assert "4326" in raster["crs"] and len(raster["shape"]) >= 2
    # the first run's set is still whole in its own folder, and differs from the new one
    old = out / "runs" / first.run_id
    old_manifest = json.loads((old / "manifest.json").read_text())
    for info in old_manifest["outputs"].values():
        assert sha256_file(old / info["path"]) == info["sha256"]
    assert old_manifest["outputs"]["scores_csv"]["sha256"] != m["outputs"]["scores_csv"]["sha256"]
    assert second.map_path == out / "risk_map.html"
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted([first.run_id, second.run_id])
    hist = run_history(out)
    assert [(h["run_id"], h["status"], h["published"]) for h in hist] == [
        (first.run_id, "ok", False),
        (second.run_id, "ok", True),
    ]


def test_keep_runs_prunes_old_runs_but_never_the_published_one(small_demo, tmp_path, first_run):
    out = copy_of_first(first_run, tmp_path)  # the oldest of three runs
    ids = [first_run.run_id]
    for bw in (31, 32):
        cfg = small_config(
            small_demo, tmp_path, run={"keep_runs": 2}, density={"bandwidth_km": bw}, **QUICK
        )
        ids.append(pipeline.run_pipeline(cfg).run_id)
    assert sorted(p.name for p in (out / "runs").iterdir()) == ids[1:]
    assert os.readlink(out / "current") == f"runs/{ids[2]}"
    # an operations-only option does not make a new run
    again = pipeline.run_pipeline(
        small_config(
            small_demo, tmp_path, run={"keep_runs": 5}, density={"bandwidth_km": 32}, **QUICK
        )
    )
    assert again.up_to_date and again.run_id == ids[2]


def test_links_route_risk_did_not_make_are_refused_and_left_alone(small_demo, tmp_path, first_run):
    victim = tmp_path / "victim.html"
    victim.write_text("mine")
    cfg = small_config(small_demo, tmp_path)
    out = copy_of_first(first_run, tmp_path)  # a published run
    (out / "risk_map.html").unlink()
    (out / "risk_map.html").symlink_to(victim)
    with pytest.raises(ConfigError, match=r"risk_map.html.*symbolic link.*victim"):
        pipeline.run_pipeline(cfg, force=True)
    assert victim.read_text() == "mine" and (out / "risk_map.html").is_symlink()
    (out / "risk_map.html").unlink()
    os.replace(out / "current", out / "was-current")
    (out / "current").symlink_to(tmp_path, target_is_directory=True)
    for call in (
        lambda: pipeline.run_pipeline(cfg, force=True),
        lambda: run_status(out),
        lambda: run_history(out),
    ):
        with pytest.raises(ConfigError, match="current"):
            call()
    assert victim.read_text() == "mine"
    (out / "current").unlink()
    (out / "current").mkdir()  # a copy that followed the links
    with pytest.raises(ConfigError, match="symlinks=True"):
        pipeline.run_pipeline(cfg, force=True)


def test_files_and_folders_route_risk_did_not_make_are_refused_before_any_work(
    small_demo, tmp_path, monkeypatch
):
    """A user's file or folder at an output name stops the run up front; nothing changes."""
    import pipeline.run as run_module

    cfg = small_config(small_demo, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "scores.csv").write_text("my notes")
    (out / ".staging-old-backup").mkdir()
    (out / ".staging-old-backup" / "data.txt").write_text("keep")
    ran = []
    monkeypatch.setattr(run_module, "_run", lambda *a, **k: ran.append(1))
    with pytest.raises(ConfigError, match=r"scores.csv.*a file route-risk did not publish"):
        pipeline.run_pipeline(cfg)
    assert (out / "scores.csv").read_text() == "my notes"
    (out / "scores.csv").unlink()
    (out / "preview.png").mkdir()
    with pytest.raises(ConfigError, match=r"preview.png.*a folder route-risk did not publish"):
        pipeline.run_pipeline(cfg)
    assert not ran and not (out / "runs").exists() and not (out / "current").exists()
    assert sorted(p.name for p in out.iterdir()) == [".staging-old-backup", "preview.png"]
    monkeypatch.undo()
    (out / "preview.png").rmdir()
    res = pipeline.run_pipeline(cfg)  # a user's '.staging-*' folder is not a staging folder
    assert (out / ".staging-old-backup" / "data.txt").read_text() == "keep"
    assert (out / "scores.csv").is_symlink() and res.run_id
    from pipeline.runner.publish import OUTPUT_NAMES  # every name a run publishes is known

    assert {p.name for p in (out / "current").iterdir()} - {"manifest.json", "rejects"} <= set(
        OUTPUT_NAMES
    )
    # once the folder holds runs, a refused run is in its history (a nightly job refused
    # every night shows in `status`, not only in the scheduler's exit code)
    (out / "scores.csv").unlink()
    (out / "scores.csv").mkdir()
    with pytest.raises(ConfigError, match=r"scores.csv.*a folder route-risk did not publish"):
        pipeline.run_pipeline(cfg, force=True)
    last = run_history(out)[-1]
    assert last["status"] == "refused" and "scores.csv" in last["error"]
    attention = run_status(out)["attention"]  # and OUT/scores.csv no longer opens the set
    assert attention[0] == f"the last run {last['run_id']} is refused"
    assert len(attention) == 2 and "scores.csv' is not route-risk's link" in attention[1]
    assert (out / "scores.csv").is_dir() and os.readlink(out / "current").endswith(res.run_id)


@pytest.mark.parametrize("name", ["runs", ".cache", ".spill"])
@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_a_file_where_the_run_writes_a_folder_is_refused_in_one_line(
    small_demo, tmp_path, monkeypatch, capsys, name, kind
):
    """A file or FIFO at ``.cache`` or ``.spill`` failed the run mid-way as an internal error
    (exit 70, a FileExistsError traceback); it is the user's to move, like one at ``runs``."""
    import pipeline.run as run_module
    from pipeline.cli import main

    cfg = small_config(small_demo, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    if kind == "file":
        (out / name).write_text("x")
    else:
        os.mkfifo(out / name)
    ran = []
    monkeypatch.setattr(run_module, "_run", lambda *a, **k: ran.append(1))
    capsys.readouterr()
    assert main(["run", str(cfg.source), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{name}' must be the folder" in err, err
    assert not ran and sorted(p.name for p in out.iterdir()) == [name]


def test_refused_nights_are_pruned_to_keep_runs(small_demo, tmp_path, first_run):
    """A nightly job refused every night (here a file at ``.spill``) recorded one run folder
    a night and never pruned them: 12 refusals left 19 folders with ``keep_runs`` 7.  They
    are pruned as failed runs are: the newest ``keep_runs`` and the published run stay."""
    from pipeline.runner.publish import run_dirs

    cfg = small_config(small_demo, tmp_path, run={"keep_runs": 3})
    out = copy_of_first(first_run, tmp_path)
    shutil.rmtree(out / ".spill", ignore_errors=True)
    (out / ".spill").write_text("x")
    for _ in range(5):
        with pytest.raises(ConfigError, match=r"\.spill' must be the folder"):
            pipeline.run_pipeline(cfg)
    history = run_history(out)  # the newest 3, and the published run: never pruned
    assert len(run_dirs(out)) == len(history) == 4
    assert history[0]["run_id"] == first_run.run_id
    assert [h["status"] for h in history[1:]] == ["refused"] * 3
    assert os.readlink(out / "current").endswith(first_run.run_id)


def test_status_and_history_of_a_damaged_folder_say_so_in_one_line(
    small_demo, tmp_path, capsys, first_run
):
    from pipeline.cli import main

    cfg = small_config(small_demo, tmp_path)
    out = copy_of_first(first_run, tmp_path)  # one published run
    manifest = out / "runs" / first_run.run_id / "manifest.json"
    good = manifest.read_text()
    for bad in ("{}", '{"finished": null}', json.dumps({**json.loads(good), "stages": []})):
        manifest.write_text(bad)
        st = run_status(out)
        assert st["published"] is None and st["last_run"]["status"] == "unknown"
        assert [r["status"] for r in run_history(out)] == ["unknown"]
        # an unreadable last run needs attention: status exits 1, history lists it
        assert main(["status", str(out)]) == 1 and main(["history", str(out)]) == 0
        assert "ATTENTION      the last run" in capsys.readouterr().out
    manifest.write_text(good)
    res = pipeline.run_pipeline(cfg, force=True)  # the published run is now the second
    moved = tmp_path / "elsewhere"
    os.replace(out / "runs" / res.run_id, moved)
    (out / "runs" / res.run_id).symlink_to(moved, target_is_directory=True)
    capsys.readouterr()
    assert main(["status", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a link, not a run folder route-risk made" in err and "Traceback" not in err


def test_an_impossible_date_in_the_config_is_one_line(tmp_path, capsys):
    from pipeline.cli import main

    path = tmp_path / "c.yaml"
    for day in ("2026-02-30", "2026-13-01"):
        path.write_text(f"run:\n  as_of: {day}\n")
        assert main(["validate", str(path)]) == 2
        assert "is no date" in capsys.readouterr().err


def test_outputs_published_before_run_folders_become_a_run(small_demo, tmp_path, first_run):
    """An old folder (outputs at the top level) is adopted without losing its map."""
    res = first_run  # read only: its run folder is copied
    legacy = tmp_path / "legacy"
    shutil.copytree(res.out_dir / "runs" / res.run_id, legacy)  # plain files, as before
    (legacy / ".manifest.previous.json").write_text("{}")
    new = pipeline.run_pipeline(
        small_config(small_demo, tmp_path / "b", density={"bandwidth_km": 30}), out_dir=legacy
    )
    assert_published_set_is_whole(legacy)
    kept = legacy / "runs" / res.run_id
    old = json.loads((kept / "manifest.json").read_text())
    for info in old["outputs"].values():
        assert sha256_file(kept / info["path"]) == info["sha256"]
    assert (kept / "rejects" / "seizures-seizures.csv").is_file()
    assert not (legacy / ".manifest.previous.json").exists()
    assert [h["run_id"] for h in run_history(legacy)] == [res.run_id, new.run_id]


def test_a_failed_run_is_recorded_and_keeps_the_published_set(
    small_demo, tmp_path, monkeypatch, first_run
):
    import pipeline.runner.stages as stages_mod

    cfg = small_config(small_demo, tmp_path)
    good = first_run
    out = copy_of_first(good, tmp_path)  # a good run published there
    before = (out / "manifest.json").read_bytes()

    def boom(state):
        raise RuntimeError("disk full")

    monkeypatch.setitem(stages_mod.STAGE_FUNCTIONS, "export", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.run_pipeline(cfg, force=True)
    assert (out / "manifest.json").read_bytes() == before
    assert not list((out / "runs").glob(".staging-*"))
    hist = run_history(out)
    assert [h["status"] for h in hist] == ["ok", "failed"]
    assert "disk full" in hist[-1]["error"] and hist[0]["published"]
    st = run_status(out)
    assert st["last_run"]["status"] == "failed"
    assert st["published"]["run_id"] == good.run_id
    assert st["attention"] == [f"the last run {hist[-1]['run_id']} is failed"]


def test_reject_ceiling_leaves_the_rejects_in_the_failed_runs_folder(small_demo, tmp_path):
    import pandas as pd

    broken = pd.read_csv(small_demo / "inputs" / "seizures.csv", dtype=str)
    broken.loc[broken.index % 4 == 0, "lat"] = "not a number"
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    cfg = small_config(
        small_demo,
        tmp_path,
        ingest={"max_reject_rate": 0.2},
        inputs={"seizures": [{"path": str(path)}]},
    )
    with pytest.raises(DataQualityError, match="rejected records are in") as info:
        pipeline.run_pipeline(cfg)
    where = Path(str(info.value).rsplit("in '", 1)[1].rstrip("'"))
    assert where.parent.parent.parent == tmp_path / "out" / "runs"
    assert len(pd.read_csv(where)) == 200
    assert run_history(tmp_path / "out")[0]["status"] == "failed"


def test_freshness_policy_warns_or_fails(small_demo, tmp_path, caplog):
    inputs = _inputs_copy(small_demo, tmp_path)
    old = time.time() - 30 * 86400
    os.utime(inputs["tracks"][0]["path"], (old, old))
    warn = small_config(small_demo, tmp_path, inputs=inputs, run={"max_input_age_days": 7}, **QUICK)
    # the warning comes from pipeline.runner.inputs: the level is set on the package's
    # logger, not left to the root's (an in-process `-q` command test leaves it at ERROR)
    with caplog.at_level("WARNING", logger="pipeline"):
        res = pipeline.run_pipeline(warn)
    assert "ais.csv" in caplog.text and "max_input_age_days" in caplog.text
    assert res.manifest["freshness"]["stale"] == [inputs["tracks"][0]["path"]]
    st = run_status(res.out_dir)
    stale = {Path(f["path"]).name: f["stale"] for f in st["inputs"]}
    assert stale == {"seizures.csv": False, "ais.csv": True, "nightlights.tif": False}
    assert (
        len(st["attention"]) == 1
        and "ais.csv has not changed for 30.0 days" in (st["attention"][0])
    )
    assert not any(f["changed_since_run"] for f in st["inputs"])
    assert 0 <= st["published"]["map_age_hours"] < 1
    fail = small_config(
        small_demo,
        tmp_path,
        inputs=inputs,
        run={"max_input_age_days": 7, "freshness": "fail"},
        **QUICK,
    )
    # the same inputs and settings: up to date, but a stopped feed must still fail the run
    with pytest.raises(DataQualityError, match=r"'ais.csv' \(30.0 days\)"):
        pipeline.run_pipeline(fail)
    assert run_status(res.out_dir)["published"]["run_id"] == res.run_id
    assert run_history(res.out_dir)[-1]["status"] == "failed"
    # a rewritten input shows in status
    Path(inputs["seizures"][0]["path"]).write_text(
        Path(inputs["seizures"][0]["path"]).read_text() + "\n"
    )
    st = run_status(res.out_dir)
    assert [f["changed_since_run"] for f in st["inputs"]] == [True, False, False]


def test_status_reports_an_edit_of_only_a_companion_file_hashing_it_only_when_needed(
    small_demo, tmp_path, capsys, monkeypatch
):
    # before: only the named file's time and size were compared: an edited .aux.xml (GDAL
    # reads the raster's scale and nodata from it) left every input "unchanged"
    import pipeline.runner.status as status_module
    from pipeline.cli import main

    inputs = _inputs_copy(small_demo, tmp_path)
    raster = Path(inputs["rasters"][0]["path"])
    aux = raster.with_name(raster.name + ".aux.xml")
    first_text = '<PAMDataset><Metadata><MDI key="note">a</MDI></Metadata></PAMDataset>'
    aux.write_text(first_text)
    res = pipeline.run_pipeline(small_config(small_demo, tmp_path, inputs=inputs, **QUICK))
    entry = next(f for f in res.manifest["input_files"] if f["path"] == str(raster))
    assert entry["companion_stats"][aux.name]["bytes"] == aux.stat().st_size
    hashed: list[str] = []

    def counted(path):
        hashed.append(Path(path).name)
        return sha256_file(path)

    monkeypatch.setattr(status_module, "sha256_file", counted)

    def changed() -> dict[str, list[str] | bool]:
        st = run_status(res.out_dir, verify=False)
        return {
            Path(f["path"]).name: f["changed_since_run"] and f["companions_changed"]
            for f in st["inputs"]
        }

    unchanged = {"seizures.csv": False, "ais.csv": False, "nightlights.tif": False}
    assert changed() == unchanged and hashed == []  # times and sizes as recorded: not read
    later = aux.stat().st_mtime + 5
    os.utime(aux, (later, later))  # touched, not changed: its hash says so
    assert changed() == unchanged and hashed == [aux.name]
    aux.write_text(aux.read_text().replace(">a<", ">b<"))  # the same size, other bytes
    assert changed() == unchanged | {"nightlights.tif": [aux.name]}
    assert main(["status", str(res.out_dir)]) == 0
    assert f"changed since the run ({aux.name})" in capsys.readouterr().out
    hashed.clear()
    aux.write_text(aux.read_text() + " ")  # another size: changed without reading it
    assert changed() == unchanged | {"nightlights.tif": [aux.name]} and hashed == []
    aux.unlink()  # gone, and a world file that was not there
    raster.with_suffix(".tfw").write_text("0.2\n0\n0\n-0.2\n-85\n45\n")
    assert changed() == unchanged | {"nightlights.tif": ["nightlights.tfw", aux.name]}
    # a manifest written before the companions' times were: their hashes are compared
    aux.write_text(first_text)  # the bytes the run read, back
    raster.with_suffix(".tfw").unlink()
    manifest = res.out_dir / "runs" / res.run_id / "manifest.json"
    m = json.loads(manifest.read_text())
    for f in m["input_files"]:
        f.pop("companion_stats")
    manifest.write_text(json.dumps(m))
    hashed.clear()
    assert changed() == unchanged and hashed == [aux.name]


def test_status_and_history_commands(small_demo, tmp_path, capsys, first_run):
    from pipeline.cli import main

    cfg = small_config(small_demo, tmp_path)
    out = copy_of_first(first_run, tmp_path)  # a first run, its cache filled
    assert main(["run", str(cfg.source), "--force", "-q"]) == 0
    capsys.readouterr()
    assert main(["status", str(out), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["last_run"]["status"] == "ok" and st["published"]["published"]
    assert st["attention"] == []
    assert st["stages"]["ingest"] is True and st["stages"]["render"] is False
    m = json.loads((out / "manifest.json").read_text())
    assert m["command_line"] == ["route-risk", "run", str(cfg.source), "--force", "-q"]
    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    assert m["run_id"] in text and "map age" in text and "seizures.csv" in text
    assert main(["history", str(out), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["history", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("* " + m["run_id"])
    assert main(["status", str(tmp_path / "nothing")]) == 2
    assert "holds no route-risk run" in capsys.readouterr().err
    assert main(["history", str(tmp_path / "nothing")]) == 2
    assert "holds no route-risk run" in capsys.readouterr().err
    # a monitor's limit on the map's age: exit 1 with the reason once the map is older
    assert main(["status", str(out), "--max-map-age", "1"]) == 0
    assert "ATTENTION" not in capsys.readouterr().out
    assert main(["status", str(out), "--max-map-age", "0", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["attention"][0].startswith("the map is ")


def test_full_disk_is_one_line_exit_74_and_keeps_the_set(
    small_demo, tmp_path, monkeypatch, capsys, first_run
):
    import errno

    import pipeline.runner.stages as stages_mod
    from pipeline.cli import EXIT_IOERR, main

    cfg = small_config(small_demo, tmp_path)
    out = copy_of_first(first_run, tmp_path)  # a good run published there
    before = (out / "manifest.json").read_bytes()

    def full(state):
        raise OSError(errno.ENOSPC, "No space left on device", str(state.staging / "scores.csv"))

    monkeypatch.setitem(stages_mod.STAGE_FUNCTIONS, "export", full)
    capsys.readouterr()
    assert main(["run", str(cfg.source), "-q", "--force"]) == EXIT_IOERR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "scores.csv" in err
    assert (out / "manifest.json").read_bytes() == before
    assert run_history(out)[-1]["status"] == "failed"


def test_cache_keeps_geodataframes(tmp_path):
    """Context layers (ports, lanes, land) are GeoDataFrames: cached as GeoParquet."""
    import geopandas as gpd
    import shapely

    from pipeline.runner.cache import StageCache

    cache = StageCache(tmp_path / ".cache")
    g = gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[shapely.Point(1, 2), shapely.Point(3, 4)], crs="EPSG:4326"
    )
    _, hit = cache.get_or_build("ports", [1], lambda: g)
    assert not hit and list(tmp_path.joinpath(".cache").glob("ports-*.parquet"))
    back, hit = cache.get_or_build("ports", [1], lambda: 1 / 0)
    assert hit and isinstance(back, gpd.GeoDataFrame) and back.crs.to_epsg() == 4326
    assert back.geom_equals(g).all() and back["name"].tolist() == ["a", "b"]


_CACHE_SCRIPT = """
import sys
from pipeline.runner.cache import StageCache
cache = StageCache(sys.argv[1])
assert "pipeline.transit" not in sys.modules
value, hit = cache.get_or_build("transit", [1], lambda: None)
print(hit, type(value).__module__, value.notes[0].replace(" ", "_"))
"""


def test_a_cached_dataclass_loads_in_a_process_that_has_not_imported_its_module(tmp_path):
    """A fresh run reads the transit result before anything imports pipeline.transit.

    The entry is stored here (this process may have imported anything); only the load needs
    a fresh interpreter.
    """
    import subprocess
    import sys

    from pipeline.runner.cache import StageCache
    from pipeline.transit import TransitResult

    frame = pd.DataFrame({"a": [1]})
    _, hit = StageCache(tmp_path / ".cache").get_or_build(
        "transit", [1], lambda: TransitResult(frame, frame, ["a note"])
    )
    assert not hit  # stored
    loaded = subprocess.run(
        [sys.executable, "-c", _CACHE_SCRIPT, str(tmp_path / ".cache")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert loaded == ["True", "pipeline.transit", "a_note"]


def test_a_cache_entry_never_imports_foreign_code(tmp_path):
    from pipeline.runner.cache import _from_bundle

    meta = {"__kind__": "dataclass", "class": "antigravity:Thing", "fields": {}}
    with pytest.raises(TypeError, match="not a loaded dataclass"):
        _from_bundle({}, meta)
    assert "antigravity" not in __import__("sys").modules


def test_a_cold_run_reads_nothing_from_the_cache_and_gives_the_same_tables(small_demo, tmp_path):
    """``--cold``: the full run one flag away; the nightly path must equal it.

    Two full computations of the same inputs give byte-identical tables: the fitted model,
    with the tracks read in chunks (the spilled path), as the demo runs.
    """
    from pipeline.cli import main

    cfg = small_config(
        small_demo,
        tmp_path,
        timeline={"months": 0},
        score={"model": "fitted"},
        ingest={"chunk_rows": 400},
    )
    first = pipeline.run_pipeline(cfg)
    out = first.out_dir
    assert main(["run", str(cfg.source), "-q", "--cold"]) == 0
    cold = json.loads((out / "manifest.json").read_text())
    assert cold["run_id"] != first.run_id and cold["cache"] == "not read (a cold run)"
    assert not any(s["cached"] for s in cold["stages"].values())
    assert not any(v for s in cold["stages"].values() for v in s.get("parts", {}).values())
    tables = ("scores_csv", "scores_parquet", "scores_gpkg", "features", "events", "seizures")
    for name in (*tables, "pings", "model_report", "evaluation"):
        assert cold["outputs"][name]["sha256"] == first.manifest["outputs"][name]["sha256"], name
    # the cold run stored what it computed: the next forced run is served from the cache
    assert main(["run", str(cfg.source), "-q", "--force"]) == 0
    warm = json.loads((out / "manifest.json").read_text())
    assert warm["cache"] == "read" and warm["stages"]["features"]["cached"]


def test_a_store_write_told_to_stop_leaves_no_file(tmp_path):
    """The background pings writer stops between batches and leaves nothing behind."""
    import threading

    from pipeline.ingest.stream import PingStore, spill_tracks

    src = Path(__file__).parent / "data" / "ingest" / "t_generic.csv"
    spill = spill_tracks(src, tmp_path / "spill", chunk_rows=2, n_buckets=2)
    store = PingStore([spill], root=tmp_path / "spill", chunk_rows=2)
    stop = threading.Event()
    stop.set()
    with pytest.raises(InterruptedError, match="pings.parquet: the run stopped"):
        store.write_parquet(tmp_path / "out" / "pings.parquet", stop=stop)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert store.write_parquet(tmp_path / "pings.parquet", stop=threading.Event()).is_file()


def test_a_failed_run_waits_for_the_pings_writer_before_removing_staging(
    small_demo, tmp_path, monkeypatch
):
    """The pings are written on a second thread from the end of ingest; a later failure
    stops that thread and waits for it, so no thread writes into a removed staging folder."""
    import threading

    from pipeline.runner import stages

    seen: dict[str, object] = {}

    def slow_writer(pings, path, stop):
        seen["staging"] = path.parent
        seen["stopped"] = stop.wait(30)  # until the failed run tells it to stop
        time.sleep(0.2)  # a row group still being written
        seen["finished"] = True
        raise InterruptedError("stopped")

    def failing_score(state):
        raise DataQualityError("the model could not be fitted (test)")

    monkeypatch.setattr(stages._read, "write_pings", slow_writer)
    monkeypatch.setitem(stages.STAGE_FUNCTIONS, "score", failing_score)
    cfg = small_config(small_demo, tmp_path)
    with pytest.raises(DataQualityError, match="test"):
        pipeline.run_pipeline(cfg)
    # the run returned only after the writer had been stopped and had finished
    assert seen.get("stopped") is True and seen.get("finished") is True
    assert not Path(seen["staging"]).exists()
    assert threading.active_count() == 1 or all(
        not t.name.startswith("background") for t in threading.enumerate()
    )


def test_a_failed_pings_write_ends_the_run_before_the_model(small_demo, tmp_path, monkeypatch):
    """The pings are written while the stages run; a full disk there stops the run at the
    next stage instead of after the model, statistics and map."""
    import errno

    from pipeline.runner import stages

    reached: list[str] = []

    def full_disk(pings, path, stop):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    def score(state):
        reached.append("score")

    monkeypatch.setattr(stages._read, "write_pings", full_disk)
    monkeypatch.setitem(stages.STAGE_FUNCTIONS, "score", score)
    before = time.perf_counter()
    with pytest.raises(OSError, match="No space left"):
        pipeline.run_pipeline(small_config(small_demo, tmp_path))
    assert reached == [], "the run went on to the model after the write had failed"
    assert time.perf_counter() - before < 60


def test_a_run_whose_every_record_was_rejected_keeps_its_rejects(small_demo, tmp_path):
    """Before: 'see the rejects files', and the files were removed with the staging folder."""
    import pandas as pd

    cfg = small_config(
        small_demo,
        tmp_path,
        area={"bbox": [100, -10, 110, 0]},
        inputs={"rasters": []},
        score={"factors": {"seizure_density": {"weight": 1}}},
    )
    with pytest.raises(InputError, match="no seizure record survived") as info:
        pipeline.run_pipeline(cfg)
    where = Path(str(info.value).rsplit("in '", 1)[1].rstrip("'"))
    assert where.parent.parent == tmp_path / "out" / "runs"
    seizures = pd.read_csv(where / "seizures-seizures.csv")
    assert len(seizures) > 100 and set(seizures["rule"]) == {"outside_aoi"}
    assert run_history(tmp_path / "out")[-1]["status"] == "failed"


def test_as_of_is_a_utc_day_an_instant_is_refused_a_future_day_warned(small_demo, tmp_path):
    """Before: '2026-03-31T20:00:00-05:00' became the whole of 1 April (UTC), so records after
    the instant counted; a future --as-of gave no warning (run.as_of in a config does)."""
    from pipeline.errors import FutureDateWarning
    from pipeline.runner.stages import resolve_as_of

    cfg = small_config(small_demo, tmp_path)
    for value in ("2026-03-31T20:00:00-05:00", "2026-03-31 12:00", "2026-03-31T00:00:00+02:00"):
        with pytest.raises(InputError, match="as_of is a day"):
            pipeline.run_pipeline(cfg, as_of=value)
    with pytest.raises(InputError, match="got the number 20260331"):
        resolve_as_of(20260331)  # not nanoseconds since 1970
    end = pd.Timestamp("2026-03-31T23:59:59.999999", tz="UTC")
    for value in ("2026-03-31", dt.date(2026, 3, 31), "2026-03-31T00:00:00Z"):
        assert resolve_as_of(value) == end
    (tmp_path / "a_file").write_text("")  # the run stops right after the check: no work
    with pytest.warns(FutureDateWarning, match="2099-01-01 is in the future"):
        with pytest.raises(ConfigError, match="cannot use output folder"):
            pipeline.run_pipeline(cfg, as_of="2099-01-01", out_dir=tmp_path / "a_file" / "x")
