"""The command as a scheduler sees it: exit codes, signals, logs."""

from __future__ import annotations

import fcntl
import json
import os
import signal

import pytest
from conftest import small_config

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def test_overlapping_run_exits_75(small_demo, tmp_path):
    from _forked import run_forked  # another process (the lock is per open file)

    cfg = small_config(small_demo, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".route-risk.lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, _, err = run_forked(["run", str(cfg.source), "--out", str(out)], tmp_path / "logs")
    assert code == 75, err
    assert "another route-risk run" in err and "Traceback" not in err


#: The interrupted runs' settings: the stages a signal is sent at (cells, features, render)
#: and the publishing are all there; the raster, the timeline, the hot spots and the back-test
#: are not (a signal's handling does not depend on them, and each costs every forked run).
_LIGHT = {
    "inputs": {"rasters": []},
    "score": {"factors": {"seizure_density": {"weight": 2}, "vessel_hours": {"weight": 1}}},
    "timeline": {"months": 0},
    "hotspots": {"enabled": False},
    "evaluate": {"enabled": False},
}


@pytest.fixture(scope="module")
def published(small_demo, tmp_path_factory):
    """One good published run to interrupt the next ones over."""
    from _forked import run_forked

    tmp = tmp_path_factory.mktemp("published")
    cfg = small_config(small_demo, tmp, **_LIGHT)
    code, _, err = run_forked(["run", str(cfg.source), "--out", str(tmp / "out")], tmp / "logs")
    assert code == 0, err
    return tmp / "out"


@pytest.mark.slow  # a CLI process per case (forked: see _forked.py)
@pytest.mark.parametrize("stage", ["stage cells", "stage features", "stage render"])
def test_sigterm_exits_143_and_keeps_the_last_good_set(small_demo, tmp_path, published, stage):
    import shutil
    import time

    from _forked import run_forked, start_forked

    out = tmp_path / "out"
    shutil.copytree(published, out, symlinks=True)
    before = (out / "manifest.json").read_bytes()
    changed = small_config(small_demo, tmp_path / "b", density={"bandwidth_km": 33}, **_LIGHT)
    argv = ["run", str(changed.source), "--out", str(out)]
    run = start_forked([*argv, "-v", "--log-format", "json"], tmp_path / "logs")
    deadline = time.monotonic() + 120
    while True:  # stop it as soon as it reaches the stage (its log lines, as they are written)
        err = run.stderr.read_text(errors="replace") if run.stderr.exists() else ""
        if stage in err:
            os.kill(run.proc.pid, signal.SIGTERM)
            break
        assert run.proc.is_alive() and time.monotonic() < deadline, err
        time.sleep(0.01)
    code, _, err = run.wait(120)
    assert code == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert (out / "manifest.json").read_bytes() == before
    assert not list(out.glob("runs/.staging-*"))
    if stage == "stage render":  # the next run needs no cleanup
        code, _, err = run_forked(argv, tmp_path / "logs")
        assert code == 0, err


@pytest.mark.slow  # a CLI process per case
def test_json_logs_and_verbosity_after_the_subcommand(small_demo, tmp_path):
    """Every line the command writes to its stderr descriptor is JSON (Python's and C's).

    Each command is its own process, forked from a server that imported the command once.
    """
    from _forked import run_forked

    cfg = small_config(small_demo, tmp_path)
    logs = tmp_path / "logs"
    code, out, err = run_forked(["validate", str(cfg.source), "-v", "--log-format", "json"], logs)
    assert code == 0, err
    assert "valid" in out
    code, _, err = run_forked(["run", str(cfg.source), "-v", "--log-format", "json"], logs)
    assert code == 0, err
    records = [json.loads(line) for line in err.splitlines()]  # every line, the summary too
    assert any(r.get("message", "").startswith("stage ") for r in records)
    assert any(r["message"].endswith(f"outputs in {tmp_path / 'out'}") for r in records)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    code, _, err = run_forked(["run", str(cfg.source), "--log-format", "json"], logs)  # up to date
    assert code == 0 and "up to date" in json.loads(err.splitlines()[-1])["message"]
    code, _, err = run_forked(["run", str(cfg.source), "-q", "--force"], logs)
    assert code == 0
    assert err == ""  # -q: errors only


def test_demo_leaves_the_inputs_of_a_running_run_alone(tmp_path):
    from _forked import run_forked  # another process (the lock is per open file)

    out = tmp_path / "demo"
    (out / "inputs").mkdir(parents=True)
    (out / "inputs" / "seizures.csv").write_text("being read\n")
    with open(out / ".route-risk.lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, _, err = run_forked(["demo", "--out", str(out)], tmp_path / "logs")
    assert code == 75, err
    assert (out / "inputs" / "seizures.csv").read_text() == "being read\n"


def test_the_dask_engines_info_lines_need_vv(capsys):
    """``distributed`` sets its loggers to INFO when imported; the handler still applies the
    command's level, so a nightly log holds none of its ~40 lines a run unless -vv."""
    import logging

    from pipeline.cli import setup_logging

    root = logging.getLogger()
    chatty = logging.getLogger("distributed.scheduler")
    saved = (root.handlers[:], root.level, chatty.level)
    chatty.setLevel(logging.INFO)  # as distributed's own logging config does
    try:
        for verbose, shown in ((0, False), (1, False), (2, True)):
            setup_logging(verbose, log_format="text")
            chatty.info("Register worker addr")
            logging.getLogger("pipeline.runner").info("stage score")
            err = capsys.readouterr().err
            assert ("Register worker addr" in err) is shown, verbose
            assert ("stage score" in err) is (verbose >= 1), verbose
        setup_logging(0, log_format="text")
        chatty.warning("Lost all workers")
        assert "Lost all workers" in capsys.readouterr().err
        setup_logging(0, quiet=True, log_format="text")
        chatty.warning("Lost all workers")
        logging.getLogger("pipeline.runner").warning("stale input")
        assert capsys.readouterr().err == ""
    finally:
        root.handlers, _ = saved[0], root.setLevel(saved[1])
        chatty.setLevel(saved[2])


def test_a_link_loop_or_a_folder_as_input_is_one_line_exit_2(tmp_path, capsys):
    """Before: RuntimeError 'Symlink loop' tracebacks from validate and run (exit 1)."""
    from pipeline.cli import main

    (tmp_path / "loopA").symlink_to("loopB")
    (tmp_path / "loopB").symlink_to("loopA")
    (tmp_path / "folder").mkdir()
    head = "run: {as_of: 2026-06-30, out_dir: out}\narea: {bbox: [-85, -10, 10, 45]}\n"
    for name, path, verdict in (
        ("relative", "loopA", "Symlink loop"),
        ("absolute", str(tmp_path / "loopA"), "Symlink loop"),
        ("folder", "folder", "is not a file"),
    ):
        cfg = tmp_path / f"{name}.yaml"
        cfg.write_text(head + f"inputs: {{seizures: [{{path: {path}}}]}}\n")
        for command in ("validate", "run"):
            capsys.readouterr()
            assert main([command, str(cfg), "-q"]) == 2, (name, command)
            err = capsys.readouterr().err
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
            if command == "validate" and name == "folder":
                assert "a folder, not a file" in err
            elif command == "validate" and name == "absolute":
                assert "a broken link or a link loop" in err
            else:
                assert verdict in err, (name, command, err)


def test_status_says_the_disk_use_and_warns_before_the_disk_fills(
    small_demo, tmp_path, capsys, monkeypatch
):
    """'Will tonight's run fit?': the kept runs, the cache and the space left, and attention
    when less than twice the published run is free (a full disk ends a run with exit 74)."""
    import collections
    import shutil

    from conftest import QUICK
    from test_cli import cli_here

    import pipeline
    from pipeline.runner import status as S

    cfg = small_config(small_demo, tmp_path, **QUICK)
    pipeline.run_pipeline(cfg)
    pipeline.run_pipeline(cfg, force=True)
    out = tmp_path / "out"
    code, text, _ = cli_here(capsys, "status", str(out), "--json")
    disk = json.loads(text)["disk"]
    runs = sorted(p for p in (out / "runs").iterdir())
    published = os.path.realpath(out / "current")
    sizes = {
        p: sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())
        for p in runs
    }
    assert code == 0 and disk["runs_kept"] == 2
    assert disk["published_run_bytes"] == sizes[next(p for p in runs if str(p) == published)]
    assert disk["runs_bytes"] == sum(sizes.values())
    assert disk["cache_bytes"] > 0
    # the disk's free space as the file system says it (other writers move it meanwhile)
    assert abs(disk["free_bytes"] - shutil.disk_usage(out).free) < 2e9
    code, text, _ = cli_here(capsys, "status", str(out))
    assert code == 0 and "disk           runs " in text and "2 kept" in text
    usage = collections.namedtuple("usage", "total used free")
    tight = disk["published_run_bytes"] * 2 - 1
    monkeypatch.setattr(S.shutil, "disk_usage", lambda path: usage(10**12, 10**12 - tight, tight))
    code, text, _ = cli_here(capsys, "status", str(out), "--json")
    attention = json.loads(text)["attention"]
    assert code == 1 and len(attention) == 1 and "may end 'disk full' (exit 74" in attention[0]


def test_gdal_messages_of_the_export_threads_go_to_the_log(
    small_demo, tmp_path, capfd, monkeypatch
):
    """pyogrio's GDAL handler is per thread (CPLPushErrorHandler, at its import): a GDAL
    warning in an export writer thread was printed on stderr as 'Warning 1: ...', past the
    JSON log.  The writers now install it too, and the warning is a log line."""
    import contextlib

    import pyogrio
    from conftest import QUICK
    from test_cli import cli_here

    import pipeline.io as io_mod

    ring = tmp_path / "ring.geojson"  # its polygon's first position not repeated: a warning
    ring.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}}]}'
    )
    real = io_mod.write_geopackage

    def noisy(frame, path, **kwargs):  # a GDAL warning in the writer's thread
        with contextlib.suppress(Exception):
            pyogrio.read_dataframe(ring)
        return real(frame, path, **kwargs)

    monkeypatch.setattr(io_mod, "write_geopackage", noisy)
    cfg = small_config(small_demo, tmp_path, **QUICK)
    code, _, err = cli_here(capfd, "run", cfg.source, "--log-format", "json")
    assert code == 0, err
    assert "Warning 1" not in err
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [r for r in logged if "Non closed ring" in r["message"]], err
