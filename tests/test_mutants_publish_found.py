"""Tests that a mutation review of the publish, ``status`` and ``history`` found missing.

Each test pins a promise of :mod:`pipeline.runner.publish` (its module docstring: nothing is
deleted through a link, killed runs are cleaned up) or of :func:`pipeline.run.run_status` /
:func:`pipeline.run.run_history` that a small hand-made bug broke with every other test still
passing.  Expected values come from folders, links and file times set here by hand, never from
the code under test; no pipeline run is needed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from pipeline.runner.publish import prune_runs, remove_stale_staging, staging_dir

OLD, MID, NEW = "20240101T000000Z-aaaaaa", "20240102T000000Z-bbbbbb", "20240103T000000Z-cccccc"


def _victim(tmp_path: Path) -> Path:
    """A folder elsewhere holding run-like folders with records: must never be touched."""
    victim = tmp_path / "victim"
    for rid in (OLD, MID):
        (victim / rid).mkdir(parents=True)
        (victim / rid / "manifest.json").write_text("{}")
        (victim / rid / "keep.csv").write_text("mine\n")
    return victim


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_pruning_deletes_nothing_through_a_linked_runs_folder(tmp_path):
    """``runs`` that is a link (to a user's archive) is no run folder: ``prune_runs`` lists
    nothing through it and deletes nothing where it leads."""
    victim = _victim(tmp_path)
    before = _tree(victim)
    out = tmp_path / "out"
    out.mkdir()
    (out / "runs").symlink_to(victim, target_is_directory=True)
    assert prune_runs(out, keep=1) == []
    assert _tree(victim) == before


def test_a_staging_folder_swapped_for_a_link_is_not_followed_when_cleaned_up(tmp_path):
    """The staging folder is removed after a run that did not publish it, but never through a
    link: one put in its place (by another process, mid-run) leaves its target whole."""
    victim = _victim(tmp_path)
    before = _tree(victim)
    out = tmp_path / "out"
    out.mkdir()
    with staging_dir(out, NEW) as staging:
        (staging / "scores.csv").write_text("cell,risk\n")
        for p in staging.iterdir():
            p.unlink()
        staging.rmdir()
        staging.symlink_to(victim, target_is_directory=True)
    assert _tree(victim) == before


def test_a_killed_run_of_a_version_that_staged_at_the_top_level_is_cleaned_up(tmp_path):
    """Before run folders, a run staged in ``OUT/.staging-<run_id>``: one left by a killed run
    of that version is removed by the next run and recorded as killed, as today's are; a
    user's folder named alike but not for a run id stays."""
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    old_staging = out / f".staging-{MID}"
    old_staging.mkdir()
    (old_staging / "risk_map.html").write_text("<html></html>\n")
    (out / ".staging-backup").mkdir()
    assert remove_stale_staging(out) == [MID]
    assert not old_staging.exists()
    assert (out / ".staging-backup").is_dir()
    record = json.loads((out / "runs" / MID / "status.json").read_text())
    assert (record["run_id"], record["status"]) == (MID, "killed")


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def _published(out: Path, *, finished: dt.datetime, inputs=(), runs=(OLD,), run=None) -> Path:
    """``out`` with the run folders ``runs`` (each a hand-written manifest), the last one
    published; ``inputs`` recorded as they are now (path, modification time, size)."""
    files = []
    for path in inputs:
        st = Path(path).stat()
        when = dt.datetime.fromtimestamp(st.st_mtime, dt.UTC)
        files.append({"path": str(path), "modified": _iso(when), "bytes": st.st_size})
    for rid in runs:
        (out / "runs" / rid).mkdir(parents=True)
        manifest = {
            "run_id": rid,
            "status": "ok",
            "started": _iso(finished - dt.timedelta(minutes=5)),
            "finished": _iso(finished),
            "as_of": "2026-11-30",
            "stages": {"score": {"cached": True}, "ingest": {}},
            "timings_s": {"ingest": 1.0, "score": 2.0},
            "counts": {"cells": 7},
            "outputs": {},
            "config": {"run": run or {}},
            "input_files": files,
        }
        (out / "runs" / rid / "manifest.json").write_text(json.dumps(manifest))
    (out / "current").symlink_to(f"runs/{runs[-1]}")
    return out


NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _input(tmp_path: Path, text: str, when: dt.datetime) -> Path:
    path = tmp_path / "seizures.csv"
    path.write_text(text)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def test_an_input_touched_or_resized_since_the_run_changed_since_it(tmp_path):
    """``changed_since_run`` is the file's modification time *or* size against those the
    manifest records: a file touched (same bytes, later time) changed, and so did one
    rewritten to another size whose time was set back to the recorded one."""
    from pipeline.run import run_status

    then = NOW - dt.timedelta(days=1)
    data = _input(tmp_path, "a,b\n1,2\n", then)
    out = _published(tmp_path / "out", finished=NOW, inputs=[data])
    assert run_status(out, now=NOW, verify=False)["inputs"][0]["changed_since_run"] is False
    later = then + dt.timedelta(hours=3)
    os.utime(data, (later.timestamp(), later.timestamp()))
    assert run_status(out, now=NOW, verify=False)["inputs"][0]["changed_since_run"] is True
    _input(tmp_path, "a,b\n1,2\n3,4\n", then)  # another size, the recorded time
    assert run_status(out, now=NOW, verify=False)["inputs"][0]["changed_since_run"] is True


def test_a_run_id_is_the_utc_time_whatever_zone_the_clock_is_given_in():
    """A run id is the UTC start time (``...Z``): 03:00 at +01:00 is ``T020000Z``, with or
    without an older run to sort after, never the local time spelled as UTC (an hour off,
    so the history's times and the clock-behind note would be wrong)."""
    from pipeline.runner.publish import new_run_id, next_run_id

    paris = dt.timezone(dt.timedelta(hours=1))
    now = dt.datetime(2026, 11, 30, 3, 0, 0, tzinfo=paris)
    assert new_run_id(now).startswith("20261130T020000Z-")
    assert new_run_id(now, after="20261130T010000Z-ffffff").startswith("20261130T020000Z-")
    assert new_run_id(now, after="20261130T024500Z-ffffff").startswith("20261130T024501Z-")
    assert next_run_id(Path("/nonexistent-out"), now)[0].startswith("20261130T020000Z-")


def test_a_staging_folder_beside_its_runs_own_record_is_no_killed_run(tmp_path):
    """``killed`` lists runs *newer* than the last recorded one whose staging folder remains:
    a run that wrote its own record (failed) and was stopped while removing its staging
    folder is its record, ``failed`` with its error, not an unrecorded killed run; a newer
    staging folder is one, and the newest of them is the last run."""
    from pipeline.run import run_status

    out = _published(tmp_path / "out", finished=NOW, runs=(OLD,))
    (out / "runs" / MID).mkdir()
    failed = {"run_id": MID, "status": "failed", "error": "disk said no"}
    (out / "runs" / MID / "status.json").write_text(json.dumps(failed))
    (out / "runs" / f".staging-{MID}").mkdir()
    st = run_status(out, now=NOW, verify=False)
    assert st["killed"] == []
    assert (st["last_run"]["run_id"], st["last_run"]["status"]) == (MID, "failed")
    assert st["last_run"]["error"] == "disk said no"
    newest = "20240104T000000Z-dddddd"
    (out / "runs" / f".staging-{newest}").mkdir()
    (out / "runs" / f".staging-{NEW}").mkdir()
    st = run_status(out, now=NOW, verify=False)
    assert st["killed"] == [NEW, newest]  # oldest first; the newest is the last run
    assert (st["last_run"]["run_id"], st["last_run"]["status"]) == (newest, "killed")


def test_status_names_the_input_age_limit_it_judged_an_input_by(tmp_path, capsys):
    """An input older than ``run.max_input_age_days`` is STALE under that limit: the JSON
    gives the limit as ``max_input_age_days`` and the text names it (never ``None``)."""
    from test_cli import cli_here

    now = dt.datetime.now(dt.UTC)  # the command measures from the clock
    data = _input(tmp_path, "a,b\n1,2\n", now - dt.timedelta(days=5))
    out = _published(tmp_path / "out", finished=now, inputs=[data], run={"max_input_age_days": 2})
    code, text, err = cli_here(capsys, "status", out, "--json", "--no-verify")
    st = json.loads(text)
    assert code == 1, err
    assert st["max_input_age_days"] == 2 and st["inputs"][0]["stale"] is True
    code, text, err = cli_here(capsys, "status", out, "--no-verify")
    assert code == 1, err
    assert (
        "seizures.csv  modified 5.0 days ago  unchanged, STALE (run.max_input_age_days 2)" in text
    )


def test_the_runs_kept_are_run_folders_not_a_staging_folder(tmp_path):
    """``disk.runs_kept`` counts the run folders kept, not a run's staging folder beside
    them (a run in progress, or a killed one's)."""
    from pipeline.run import run_status

    out = _published(tmp_path / "out", finished=NOW, runs=(OLD, MID))
    (out / "runs" / f".staging-{NEW}").mkdir()
    assert run_status(out, now=NOW, verify=False)["disk"]["runs_kept"] == 2


def test_the_published_set_is_ok_even_beside_a_failure_record(tmp_path):
    """A run that failed after its set was staged whole has its manifest and a failure
    ``status.json``: it failed while it is not published, but a set ``current`` names (put
    back by hand) is the published, complete one: ``ok``, its map's age shown."""
    from pipeline.run import run_history, run_status

    out = _published(tmp_path / "out", finished=NOW, runs=(OLD, MID))
    failure = {"run_id": MID, "status": "failed", "error": "No space left on device"}
    (out / "runs" / MID / "status.json").write_text(json.dumps(failure))
    (out / "current").unlink()
    (out / "current").symlink_to(f"runs/{OLD}")
    assert [(r["run_id"], r["status"]) for r in run_history(out)] == [(OLD, "ok"), (MID, "failed")]
    (out / "current").unlink()
    (out / "current").symlink_to(f"runs/{MID}")
    assert [(r["run_id"], r["status"]) for r in run_history(out)] == [(OLD, "ok"), (MID, "ok")]
    st = run_status(out, now=NOW + dt.timedelta(hours=3), verify=False)
    assert st["attention"] == [] and st["published"]["map_age_hours"] == 3.0
