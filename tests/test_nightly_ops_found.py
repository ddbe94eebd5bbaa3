"""An ops engineer's review of the nightly command: signals, logs, streams, status of a kill.

Each test names what went wrong before its fix.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import LIGHT, small_config

from pipeline.cli import main
from pipeline.run import run_status

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def _copy(published, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(published[1], out, symlinks=True)
    return out


def _json_lines(err: str) -> list[dict]:
    """Every line of ``err`` as JSON (fails on a line that is not)."""
    return [json.loads(line) for line in err.splitlines()]


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


def test_a_stop_signal_while_publishing_is_held_until_the_set_is_published(
    published, small_demo, tmp_path, monkeypatch, capsys
):
    # Before: the signal mask held SIGTERM in the main thread only; the kernel gave it to
    # one of Arrow's or BLAS's threads and Python raised it in the main thread, half-way
    # through the publish.  And a stop held until after the switch said "the last published
    # set is unchanged" and wrote status.json "stopped" into the run it had just published.
    import pipeline.runner.publish as P

    out = _copy(published, tmp_path)
    cfg = small_config(small_demo, tmp_path, **LIGHT)
    real = P.publish
    go = threading.Event()

    def pool_thread():  # started before the publish, as Arrow's and BLAS's threads are
        go.wait(60)
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)  # the kernel's choice

    helper = threading.Thread(target=pool_thread)
    helper.start()

    def publish_as_sigterm_arrives(*args, **kwargs):
        go.set()
        helper.join()
        return real(*args, **kwargs)

    monkeypatch.setattr(P, "publish", publish_as_sigterm_arrives)
    capsys.readouterr()
    assert main(["run", str(cfg.source), "--force", "--log-format", "json"]) == 143
    last = _json_lines(capsys.readouterr().err)[-1]
    new = os.readlink(out / "current").removeprefix("runs/")
    assert new != published[2] and f"run {new} had been published" in last["message"]
    assert last["exit_code"] == 143
    assert not (out / "runs" / new / "status.json").exists()
    st = run_status(out)
    assert st["last_run"]["status"] == "ok" and st["published"]["verified"] is True
    assert st["attention"] == []


def test_a_second_stop_signal_does_not_cut_the_cleanup_of_the_first(
    published, tmp_path, monkeypatch, capsys
):
    # Before: `kill` twice (or Ctrl-C after SIGTERM) raised again inside the cleanup of the
    # first: a run folder was left without its status.json, "not made by route-risk".
    import pipeline.run

    out = _copy(published, tmp_path)
    cleaned = []
    before = signal.getsignal(signal.SIGTERM)

    def stopped_twice(*args, **kwargs):
        try:
            signal.raise_signal(signal.SIGTERM)
        finally:  # the cleanup the stop starts
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGINT)
            cleaned.append(True)

    monkeypatch.setattr(pipeline.run, "run_status", stopped_twice)
    assert main(["status", str(out), "--log-format", "json"]) == 143
    assert cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) is before  # put back for this process

    def hung_up(*args, **kwargs):  # a lost terminal: a stop as SIGTERM, not a sudden death
        signal.raise_signal(signal.SIGHUP)

    monkeypatch.setattr(pipeline.run, "run_status", hung_up)
    capsys.readouterr()
    # a SIGHUP ignored when the command starts stays ignored (nohup): this test process may
    # have been started so (`nohup make test`); give it a handler of its own for the test
    hup = signal.signal(signal.SIGHUP, lambda *_: None)
    try:
        code = main(["status", str(out), "--log-format", "json"])
    finally:
        signal.signal(signal.SIGHUP, hup)
    assert code == 129
    [line] = _json_lines(capsys.readouterr().err)
    assert "SIGHUP" in line["message"] and line["exit_code"] == 129


def test_a_bug_is_one_json_line_with_its_traceback_exit_70_and_a_recorded_failure(
    small_demo, tmp_path, monkeypatch, capsys
):
    # Before: a bug's traceback went to a JSON-lines log as a page of plain text, with
    # exit 1, which `status` uses for ATTENTION
    import pipeline.io as io_mod
    from pipeline.run import run_history

    cfg = small_config(small_demo, tmp_path, **LIGHT)

    def broken_geoparquet(frame, path, **kwargs):
        raise RuntimeError("a bug in a writer\nits second line")

    monkeypatch.setattr(io_mod, "write_geoparquet", broken_geoparquet)
    capsys.readouterr()
    assert main(["run", str(cfg.source), "--log-format", "json"]) == 70
    last = _json_lines(capsys.readouterr().err)[-1]
    assert last["level"] == "CRITICAL" and last["exit_code"] == 70
    assert "Traceback" in last["exc_info"] and "a bug in a writer" in last["exc_info"]
    [rec] = run_history(tmp_path / "out")
    assert rec["status"] == "failed" and "RuntimeError: a bug in a writer" in rec["error"]


def test_a_stop_while_the_export_writes_waits_for_its_writers(
    small_demo, tmp_path, monkeypatch, capsys
):
    # Before: a SIGTERM while the export waited for its writer threads ended the wait; the
    # run removed its staging folder while a writer still wrote into it (it was left behind)
    import time

    import pipeline.io as io_mod
    from pipeline.run import run_history

    cfg = small_config(small_demo, tmp_path, **LIGHT)
    main_thread, finished, waiting = threading.main_thread().ident, [], threading.Event()
    real_csv = io_mod.write_csv

    def csv_then_wait(*args, **kwargs):  # the last file the main thread writes itself
        try:
            return real_csv(*args, **kwargs)
        finally:
            waiting.set()

    def slow_geopackage(frame, path, **kwargs):
        assert main_thread is not None and waiting.wait(60)
        time.sleep(0.1)  # the run now waits for its writers
        signal.pthread_kill(main_thread, signal.SIGTERM)
        time.sleep(0.5)
        Path(path).write_bytes(b"x")
        finished.append(path)
        return Path(path)

    monkeypatch.setattr(io_mod, "write_csv", csv_then_wait)
    monkeypatch.setattr(io_mod, "write_geopackage", slow_geopackage)
    assert main(["run", str(cfg.source), "--log-format", "json"]) == 143
    assert finished  # the writer ended before the run that started it
    out = tmp_path / "out"
    (rec,) = run_history(out)
    assert rec["status"] == "stopped"
    # said, not "Terminated: " (a stop carries no message)
    assert rec["error"] == "terminated (a stop signal) before publishing"
    assert not list((out / "runs").glob(".staging-*"))


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "{tmp}/nothing"],  # a user error
        ["run"],  # a command line argparse refuses (its usage text, before)
        ["status", "{tmp}", "--bogus"],
    ],
)
def test_in_json_mode_the_last_line_is_json_too(tmp_path, capsys, argv):
    # Before: "route-risk: error: ..." and argparse's usage were plain text in a JSON log
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    try:
        code = main([*argv, "--log-format", "json"])
    except SystemExit as exc:
        code = exc.code
    [line] = _json_lines(capsys.readouterr().err)
    assert code == 2 and line["exit_code"] == 2 and line["level"] == "ERROR"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_streams_that_cannot_be_written_never_change_the_exit_code(tmp_path):
    """A real process each: what fails is the interpreter's last flush."""
    out = tmp_path / "o"
    run = out / "runs" / "20260101T000000Z-abcdef"
    run.mkdir(parents=True)
    (run / "status.json").write_text('{"status": "failed", "error": "x"}')
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as cron runs it
    cmd = [sys.executable, "-m", "pipeline.cli", "history", str(out)]
    # stdout's reader gone: 141 and nothing more (before: 120 and "Exception ignored ...")
    read, write = os.pipe()
    os.close(read)
    proc = subprocess.run(cmd, stdout=write, stderr=subprocess.PIPE, env=env, timeout=120)
    os.close(write)
    assert proc.returncode == 141 and proc.stderr == b""
    # stdout and stderr on a full disk: 74 (before: 1, from a traceback nobody could read)
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(cmd, stdout=full, stderr=full, env=env, timeout=120)
    assert proc.returncode == 74
    # stderr closed: the command works (before: exit 1 while setting up its log)
    closed = ["sh", "-c", 'exec "$@" 2>&-', "sh", *cmd]
    proc = subprocess.run(closed, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and run.name in proc.stdout


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
