"""Tests that a mutation review of the nightly runner (publish, prune, status, cache) found missing.

Each test pins one promise of the nightly job (issue 15) that a small, plausible hand-made bug
broke with every other test still passing.  Expected values come from the promise itself (the
docstrings of :mod:`pipeline.runner.publish` and :func:`pipeline.run.run_status`), never from the
code under test.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from pipeline.runner.inputs import input_freshness
from pipeline.runner.publish import publish


def _stage(out: Path, run_id: str, names: list[str]) -> Path:
    """A staging folder of ``run_id`` holding ``names`` and a manifest naming the run."""
    staging = out / "runs" / f".staging-{run_id}"
    staging.mkdir(parents=True)
    for name in names:
        (staging / name).write_text(f"{run_id} {name}\n")
    (staging / "manifest.json").write_text(f"{run_id} manifest\n")
    return staging


def test_every_step_of_a_publish_leaves_one_whole_set_reachable(tmp_path, monkeypatch):
    """``current`` is replaced by one rename: after each file-system step of a publish the
    fixed paths (``OUT/a.csv``, ``OUT/manifest.json``) open, and they open the same run's set.

    A switch that removes ``current`` and writes the new link in its place leaves a moment
    where the published map is missing (a browser or a copy job gets "not found").
    """
    out = tmp_path / "out"
    old, new = "20240101T000000Z-aaaaaa", "20240102T000000Z-bbbbbb"
    publish(_stage(out, old, ["a.csv"]), out, old, ["a.csv"])
    seen: list[str] = []

    def whole_set(step: str) -> None:
        try:
            a = (out / "a.csv").read_text().split()[0]
            m = (out / "manifest.json").read_text().split()[0]
        except OSError as exc:
            raise AssertionError(
                f"after {step}: the published set is not reachable ({exc})"
            ) from None
        assert a == m, f"after {step}: a.csv is run {a}'s, manifest.json run {m}'s"
        seen.append(a)

    for fn in ("symlink", "unlink", "remove", "replace", "rename", "rmdir"):
        real = getattr(os, fn)

        def step(*args, _real=real, _fn=fn, **kwargs):
            result = _real(*args, **kwargs)
            whole_set(f"os.{_fn}{tuple(map(str, args))}")
            return result

        monkeypatch.setattr(os, fn, step)
    publish(_stage(out, new, ["a.csv", "b.csv"]), out, new, ["a.csv", "b.csv"])
    monkeypatch.undo()
    assert seen[0] == old and seen[-1] == new  # the steps were watched, old set to new
    assert os.readlink(out / "current") == f"runs/{new}"
    assert (out / "b.csv").read_text() == f"{new} b.csv\n"


def test_an_input_exactly_max_input_age_days_old_is_not_stale():
    """Stale means not modified *within* ``run.max_input_age_days``: a file modified exactly
    that long ago was modified within it; one second more and it is stale."""
    now = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    modified = now - dt.timedelta(days=3)
    files = [
        {"path": "/d/at.csv", "modified": modified.isoformat()},
        {"path": "/d/over.csv", "modified": (modified - dt.timedelta(seconds=1)).isoformat()},
        {"path": "/f/a.csv", "modified": modified.isoformat(), "pattern": "/f/*.csv"},
        {
            "path": "/g/a.csv",
            "modified": (modified - dt.timedelta(seconds=1)).isoformat(),
            "pattern": "/g/*.csv",
        },
    ]
    got = {f["path"]: f["stale"] for f in input_freshness(files, 3, now)}
    assert got == {"/d/at.csv": False, "/d/over.csv": True, "/f/a.csv": False, "/g/a.csv": True}


def test_a_feed_is_stale_only_when_its_newest_file_is():
    """A pattern's files are one feed: last month's daily file is old by right."""
    now = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    files = [
        {
            "path": f"/f/{d}.csv",
            "modified": (now - dt.timedelta(days=d)).isoformat(),
            "pattern": "/f/*.csv",
        }
        for d in (1, 30)
    ]
    assert [f["stale"] for f in input_freshness(files, 2, now)] == [False, False]
    assert [f["stale"] for f in input_freshness(files, 0.5, now)] == [True, True]


@pytest.mark.parametrize("offset_s, attention", [(0, False), (1, True)], ids=["at", "over"])
def test_a_map_exactly_max_map_age_old_needs_no_attention(published, offset_s, attention):
    """``--max-map-age``: a map *older than* the limit needs attention, one of its age not."""
    from pipeline.run import run_status

    _, out, _ = published
    finished = dt.datetime.fromisoformat(run_status(out, verify=False)["published"]["finished"])
    now = finished + dt.timedelta(hours=2, seconds=offset_s)
    st = run_status(out, now=now, max_map_age_hours=2.0, verify=False)
    said = [a for a in st["attention"] if a.startswith("the map is")]
    assert bool(said) is attention, st["attention"]


def _with_run(cfg, **run):
    """``cfg`` with ``run`` settings replaced."""
    return cfg.model_copy(update={"run": cfg.run.model_copy(update=run)})


def test_after_a_failed_night_the_next_run_names_the_published_run_as_previous(published, tmp_path):
    """The manifest's ``previous_run`` (and a failed run's ``status.json``) name the run that
    was published when the run started, never a failed run's folder; ``started`` is the
    run's start, before its first stage, not the moment the manifest was written."""
    import json
    import time

    from conftest import copy_published

    import pipeline
    from pipeline.errors import DataQualityError

    cfg, _, first = published
    out, _ = copy_published(published, tmp_path)
    strict = _with_run(cfg, out_dir=out, max_input_age_days=1e-9, freshness="fail")
    with pytest.raises(DataQualityError):
        pipeline.run_pipeline(strict, out_dir=out)
    failed = [p for p in (out / "runs").iterdir() if p.name != first]
    assert len(failed) == 1
    status = json.loads((failed[0] / "status.json").read_text())
    assert status["status"] == "failed" and status["previous_run"] == first

    first_stage: list[dt.datetime] = []

    def slow(_name):  # the run takes over a second: its start and end differ
        if not first_stage:
            first_stage.append(dt.datetime.now(dt.UTC))
            time.sleep(1.1)

    res = pipeline.run_pipeline(_with_run(cfg, out_dir=out), out_dir=out, force=True, progress=slow)
    m = res.manifest
    assert m["previous_run"] == first != failed[0].name
    started = dt.datetime.fromisoformat(m["started"])  # to the second
    assert started <= first_stage[0] < dt.datetime.fromisoformat(m["finished"])


def test_the_code_version_changes_with_the_bytes_of_a_module(tmp_path, monkeypatch):
    """Cache and run keys hold :func:`code_version`: an edited module (same names, other
    bytes) must change it, or a fixed reader would serve tables parsed by the old one."""
    from pipeline.runner import manifest as M

    pkg = tmp_path / "pkg"
    (pkg / "runner").mkdir(parents=True)
    (pkg / "runner" / "manifest.py").write_text("X = 1\n")
    (pkg / "reader.py").write_text("SEP = ','\n")
    # the package's folder is read once at import (_ROOT); the hash is kept until a reload
    monkeypatch.setattr(M, "_ROOT", pkg)
    monkeypatch.setattr(M, "_code_hash", None)
    before = M.code_version()
    (pkg / "reader.py").write_text("SEP = ';'\n")
    monkeypatch.setattr(M, "_code_hash", None)
    assert M.code_version() != before


def test_a_run_folder_whose_manifest_is_a_link_is_not_a_run_and_is_never_pruned(tmp_path):
    """Only a *regular* manifest.json or status.json makes a folder a run's record: a folder
    named like a run whose manifest is a link was not made by route-risk and is never
    deleted, nor does its date decide the next run's id."""
    from pipeline.runner.publish import next_run_id, prune_runs

    out = tmp_path / "out"
    mine = out / "runs" / "20240101T000000Z-aaaaaa"
    mine.mkdir(parents=True)
    (mine / "manifest.json").write_text("{}")
    foreign = out / "runs" / "29990101T000000Z-bbbbbb"  # dated far ahead: not a run's
    foreign.mkdir()
    (tmp_path / "elsewhere.json").write_text("{}")
    (foreign / "manifest.json").symlink_to(tmp_path / "elsewhere.json")
    (foreign / "notes.txt").write_text("keep me\n")
    now = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    assert next_run_id(out, now)[0].startswith("20261130T020000Z-")
    assert prune_runs(out, keep=0) == ["20240101T000000Z-aaaaaa"]
    assert (foreign / "notes.txt").read_text() == "keep me\n"
    assert (foreign / "manifest.json").is_symlink()


def _publish_two(out: Path) -> tuple[str, str]:
    """Publish two synthetic runs into ``out`` (a.csv each): (old id, new id)."""
    old, new = "20240101T000000Z-aaaaaa", "20240102T000000Z-bbbbbb"
    publish(_stage(out, old, ["a.csv"]), out, old, ["a.csv"])
    publish(_stage(out, new, ["a.csv"]), out, new, ["a.csv"])
    return old, new


def test_a_users_own_links_in_the_output_folder_survive_a_publish(tmp_path):
    """route-risk deletes only the links it made (``<name>`` -> ``current/<name>``): a user's
    link to an output under another name, or a hidden link of theirs, stays."""
    from pipeline.runner.publish import remove_stale_staging

    out = tmp_path / "out"
    old = "20240101T000000Z-aaaaaa"
    publish(_stage(out, old, ["a.csv"]), out, old, ["a.csv"])
    (out / "latest.csv").symlink_to("current/a.csv")  # a user's alias of the output
    (out / ".backup").symlink_to(tmp_path)  # a user's hidden link
    new = "20240102T000000Z-bbbbbb"
    publish(_stage(out, new, ["a.csv"]), out, new, ["a.csv"])
    assert remove_stale_staging(out) == []
    assert os.readlink(out / "latest.csv") == "current/a.csv"
    assert (out / "latest.csv").read_text() == f"{new} a.csv\n"
    assert os.readlink(out / ".backup") == str(tmp_path)


def test_current_leading_out_of_the_run_folders_is_refused(tmp_path):
    """``current`` is route-risk's only when it names ``runs/<run_id>`` exactly."""
    from pipeline.errors import ConfigError
    from pipeline.runner.publish import current_run

    out = tmp_path / "out"
    _, new = _publish_two(out)
    assert current_run(out) == new
    (out / "current").unlink()
    (out / "current").symlink_to(f"runs/{new}/../../elsewhere")
    with pytest.raises(ConfigError, match="not to a run"):
        current_run(out)


def test_a_status_is_never_written_through_a_linked_run_folder(tmp_path):
    """``write_status`` follows no link on its way: a run folder that is a link is refused
    and nothing is written where it leads."""
    from pipeline.errors import ConfigError
    from pipeline.runner.publish import write_status

    out = tmp_path / "out"
    _publish_two(out)
    victim = tmp_path / "victim"
    victim.mkdir()
    rid = "20240103T000000Z-cccccc"
    (out / "runs" / rid).symlink_to(victim, target_is_directory=True)
    with pytest.raises(ConfigError, match="symbolic link"):
        write_status(out, rid, {"run_id": rid, "status": "failed"})
    assert list(victim.iterdir()) == []


def test_a_linked_staging_folder_is_no_killed_run(tmp_path):
    """Only real ``.staging-<run_id>`` folders are a killed run's: a link with that name is
    neither followed nor recorded as a killed run."""
    from pipeline.runner.publish import remove_stale_staging

    out = tmp_path / "out"
    _publish_two(out)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine\n")
    rid = "20240103T000000Z-cccccc"
    (out / "runs" / f".staging-{rid}").symlink_to(elsewhere, target_is_directory=True)
    assert remove_stale_staging(out) == []
    assert not (out / "runs" / rid).exists()
    assert (elsewhere / "keep.txt").read_text() == "mine\n"


def test_a_status_holding_the_lock_shared_is_no_run_in_progress(tmp_path):
    """``status`` takes the lock shared for an instant: two at once are not a run."""
    import fcntl

    from pipeline.runner.publish import lock, lock_held

    out = tmp_path / "out"
    with lock(out):
        pass
    with open(out / ".route-risk.lock") as other:  # another status, mid-look
        fcntl.flock(other, fcntl.LOCK_SH | fcntl.LOCK_NB)
        assert lock_held(out) is False
        fcntl.flock(other, fcntl.LOCK_UN)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a run
        assert lock_held(out) is True


def test_a_run_id_made_within_the_second_of_the_last_sorts_after_it():
    """Run ids order the history: one made in the same second as the newest (a refusal, then
    a rerun) must still sort after it, whatever the random suffixes."""
    from pipeline.runner.publish import new_run_id

    now = dt.datetime(2026, 11, 30, 2, 0, 0, 500_000, tzinfo=dt.UTC)
    last = "20261130T020000Z-ffffff"  # the highest suffix of that second
    assert all(new_run_id(now, after=last) > last for _ in range(5))
    assert new_run_id(now, after=last).startswith("20261130T020001Z-")


def test_a_few_seconds_of_clock_skew_are_no_future_file_or_future_map(published):
    """A file (or a map) modified a minute after now is clock skew between machines, not a
    wrong clock; ten minutes after is."""
    from pipeline.run import run_status

    now = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    files = [
        {"path": f"/d/{s}.csv", "modified": (now + dt.timedelta(seconds=s)).isoformat()}
        for s in (60, 600)
    ]
    got = input_freshness(files, 3, now)
    assert [(f["future"], f["stale"]) for f in got] == [(False, False), (True, True)]
    _, out, _ = published
    finished = dt.datetime.fromisoformat(run_status(out, verify=False)["published"]["finished"])
    for seconds, said in ((60, False), (600, True)):
        st = run_status(out, now=finished - dt.timedelta(seconds=seconds), verify=False)
        assert any("after now" in a for a in st["attention"]) is said, (seconds, st["attention"])


def test_each_stop_is_recorded_as_what_it_was_and_failed_nights_are_pruned(published, tmp_path):
    """Ctrl-C is ``interrupted``, a stop (SIGTERM's exception, SystemExit) ``stopped``, an
    error ``failed``; and failed nights are pruned to ``run.keep_runs`` like good ones
    (never the published run)."""
    import json

    from conftest import copy_published

    import pipeline
    from pipeline.run import run_history

    cfg, _, first = published
    out, _ = copy_published(published, tmp_path)
    cfg = _with_run(cfg, out_dir=out, keep_runs=2)

    def newest_status() -> dict:
        newest = max(p for p in (out / "runs").iterdir() if not p.name.startswith("."))
        return json.loads((newest / "status.json").read_text())

    for exc, said in (
        (KeyboardInterrupt(), "interrupted"),
        (SystemExit(3), "stopped"),
        (RuntimeError("boom"), "failed"),
    ):

        def stop(_name, _exc=exc):
            raise _exc

        with pytest.raises(type(exc)):
            pipeline.run_pipeline(cfg, out_dir=out, force=True, progress=stop)
        assert newest_status()["status"] == said
        assert newest_status()["published"] == first
    kept = sorted(p.name for p in (out / "runs").iterdir())
    assert len(kept) == 3 and kept[0] == first  # the published run and the newest two
    assert [
        json.loads((out / "runs" / k / "status.json").read_text())["status"] for k in kept[1:]
    ] == [
        "stopped",
        "failed",
    ]
    history = run_history(out)  # one run is published: the first, not the newer failures
    assert [(r["run_id"], r["published"]) for r in history] == [
        (kept[0], True),
        (kept[1], False),
        (kept[2], False),
    ]


def test_a_removed_output_link_a_cold_run_or_a_copied_run_folder_is_never_up_to_date(
    published, tmp_path
):
    """A set whose top-level link was removed is not up to date (the next run publishes it
    again), and ``cold`` is a full run whatever the published set (it implies force)."""
    import shutil

    from conftest import copy_published

    import pipeline
    from pipeline.run import run_history

    cfg, _, first = published
    out, _ = copy_published(published, tmp_path)
    cfg = _with_run(cfg, out_dir=out)
    mine = pipeline.run_pipeline(cfg, out_dir=out).run_id  # a new folder: a run of its own
    assert pipeline.run_pipeline(cfg, out_dir=out).up_to_date
    # a night up to date after a good run leaves no record: the last run is still that one
    assert [r["run_id"] for r in run_history(out)][-1] == mine
    (out / "risk_map.html").unlink()
    again = pipeline.run_pipeline(cfg, out_dir=out)
    assert not again.up_to_date and again.run_id not in (first, mine)
    assert (out / "risk_map.html").is_file()
    cold = pipeline.run_pipeline(cfg, out_dir=out, cold=True)
    assert not cold.up_to_date and cold.run_id not in (first, again.run_id)
    assert cold.manifest["cache"] == "not read (a cold run)"
    # a run folder copied under another id (by hand) holds a manifest of another run: its
    # set is not one route-risk can vouch for as that run, so the next night runs again
    copied = cold.run_id[:17] + ("ffffff" if cold.run_id[17:] != "ffffff" else "fffffe")
    shutil.copytree(out / "runs" / cold.run_id, out / "runs" / copied, symlinks=True)
    (out / "current").unlink()
    (out / "current").symlink_to(f"runs/{copied}")
    last = pipeline.run_pipeline(cfg, out_dir=out)
    assert not last.up_to_date and last.manifest["previous_run"] == copied


def test_an_old_run_folder_that_is_not_removed_is_never_said_pruned(tmp_path, monkeypatch, caplog):
    """A folder ``rmtree`` could not remove (the file system refused its last step) is a
    warning and not in the ids pruned: it is still there."""
    from pipeline.runner.publish import prune_runs

    out = tmp_path / "out"
    _, new = _publish_two(out)
    old = out / "runs" / "20240101T000000Z-aaaaaa"
    real = os.rmdir

    def refuse(path, *args, **kwargs):
        if os.fspath(path) == os.fspath(old):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", refuse)
    with caplog.at_level("WARNING", logger="pipeline.runner.publish"):
        assert prune_runs(out, keep=1) == []
    assert old.is_dir() and "could not remove" in caplog.text
    assert os.readlink(out / "current") == f"runs/{new}"


def test_where_the_lock_cannot_be_read_a_staging_folder_is_a_run_not_a_killed_one(
    published, tmp_path
):
    """When nobody can tell whether the lock is held (its file is a FIFO here), a staging
    folder may be a live run's: ``running`` says so, and it is never called killed."""
    from conftest import copy_published

    from pipeline.run import run_status

    out, _ = copy_published(published, tmp_path)
    (out / ".route-risk.lock").unlink(missing_ok=True)
    os.mkfifo(out / ".route-risk.lock")
    st = run_status(out, verify=False)
    assert st["running"] is False and st["killed"] == []
    staged = "29990101T000000Z-abcdef"  # newer than every recorded run
    (out / "runs" / f".staging-{staged}").mkdir()
    st = run_status(out, verify=False)
    assert st["running"] is True and st["killed"] == []
    assert st["last_run"]["status"] == "ok"
    assert any("FIFO" in a for a in st["attention"])  # the lock file itself is said


def test_the_cache_prune_deletes_unused_entries_but_never_a_link(tmp_path):
    """``StageCache.prune`` deletes the regular files of entries the run did not use and
    leaves links alone (a link named like an entry is not route-risk's), and keeps what the
    run used."""
    import pandas as pd

    from pipeline.runner.cache import StageCache

    cache = StageCache(tmp_path / ".cache")
    cache.get_or_build("used", ["a"], lambda: pd.DataFrame({"x": [1]}))
    (tmp_path / ".cache").mkdir(exist_ok=True)
    (tmp_path / ".cache" / "stale-0123456789abcdef.json").write_text("{}")
    (tmp_path / "mine.json").write_text("{}")
    (tmp_path / ".cache" / "linked-0123456789abcdef.json").symlink_to(tmp_path / "mine.json")
    before = sorted(p.name for p in (tmp_path / ".cache").iterdir())
    cache.prune()
    after = sorted(p.name for p in (tmp_path / ".cache").iterdir())
    assert after == [n for n in before if not n.startswith("stale-")]
    assert any(n.startswith("used") for n in after)
    assert (tmp_path / ".cache" / "linked-0123456789abcdef.json").is_symlink()
    assert (tmp_path / "mine.json").read_text() == "{}"


def test_a_run_id_made_without_a_time_is_utc_whatever_the_time_zone(monkeypatch):
    """``new_run_id()`` names the UTC time it was made (the ``Z`` it ends its time with)."""
    import time

    from pipeline.runner.publish import new_run_id

    monkeypatch.setenv("TZ", "Pacific/Auckland")  # UTC+13 in December, +12 in June
    time.tzset()
    try:
        before = dt.datetime.now(dt.UTC).replace(microsecond=0)
        made = dt.datetime.strptime(new_run_id()[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        after = dt.datetime.now(dt.UTC)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert before <= made <= after


def test_an_input_gone_since_the_run_needs_attention(published, tmp_path):
    """``status``: an input of the published run that no longer exists is said (missing is
    not fresh, and its age is unknown, not 0)."""
    import json

    from conftest import copy_published

    from pipeline.run import run_status

    out, manifest = copy_published(published, tmp_path)
    m = json.loads(manifest.read_text())
    gone = str(tmp_path / "gone" / "seizures.csv")
    m["input_files"][0] = {**m["input_files"][0], "path": gone}
    m["input_files"][0].pop("pattern", None)
    manifest.write_text(json.dumps(m))
    st = run_status(out, verify=False)
    entry = next(f for f in st["inputs"] if f["path"] == gone)
    assert entry["exists"] is False and entry["age_days"] is None
    assert f"input {gone} is missing" in st["attention"]


def test_the_run_key_holds_as_of_and_the_companions_but_not_the_operations(published):
    """A night is up to date only when its key equals the published run's: another
    ``--as-of`` (the config unchanged) or an edited companion file (a Shapefile's ``.dbf``)
    is another run; ``keep_runs`` and the freshness policy change no output."""
    from pipeline.runner.inputs import run_key

    cfg = published[0]
    files = [{"path": "/d/a.shp", "sha256": "ab" * 32, "companions": {"a.dbf": "cd" * 32}}]
    edited = [{**files[0], "companions": {"a.dbf": "ef" * 32}}]
    key = run_key(cfg, "2026-06-30", files, "code")
    assert run_key(cfg, "2026-06-30", files, "code") == key
    assert run_key(cfg, "2026-06-29", files, "code") != key
    assert run_key(cfg, "2026-06-30", edited, "code") != key
    ops = _with_run(cfg, keep_runs=2, max_input_age_days=3.0, freshness="fail")
    assert run_key(ops, "2026-06-30", files, "code") == key


def _exit_cases():
    import errno

    from pipeline.cli import HungUp, Terminated
    from pipeline.errors import ConfigError, RunLockedError

    return [
        ("busy", lambda: RunLockedError("another route-risk run holds it"), 75),
        ("ctrl-c", KeyboardInterrupt, 130),
        ("sigterm", Terminated, 143),
        ("sighup", HungUp, 129),
        ("broken-pipe", lambda: BrokenPipeError(errno.EPIPE, "Broken pipe"), 141),
        ("full-disk", lambda: OSError(errno.ENOSPC, "No space left on device", "/o"), 74),
        ("quota", lambda: OSError(errno.EDQUOT, "Disk quota exceeded", "/o"), 74),
        ("read-only", lambda: OSError(errno.EROFS, "Read-only file system", "/o"), 74),
        ("io-error", lambda: OSError(errno.EIO, "Input/output error", "/o"), 74),
        ("user-error", lambda: ConfigError("a mistake"), 2),
        ("permission", lambda: PermissionError(errno.EACCES, "Permission denied", "/o"), 2),
        ("bug", lambda: RuntimeError("a bug"), 70),
    ]


@pytest.mark.parametrize(
    "make, code", [c[1:] for c in _exit_cases()], ids=[c[0] for c in _exit_cases()]
)
def test_each_way_a_run_ends_has_its_exit_code(published, monkeypatch, make, code):
    """The exit codes a scheduler acts on (``route-risk run``): 75 busy, 130 Ctrl-C, 143
    SIGTERM, 129 SIGHUP, 141 stdout's reader gone, 74 the machine's disk (full, quota,
    read-only, failing), 2 the user's mistake, 70 a bug."""
    import pipeline.run
    from pipeline.cli import main

    def run_pipeline(*args, **kwargs):
        raise make()

    monkeypatch.setattr(pipeline.run, "run_pipeline", run_pipeline)
    assert main(["run", str(published[0].source), "-q"]) == code


def test_density_tiles_of_another_bandwidth_are_never_served_from_the_memo(tmp_path):
    """The memo of kernel-sum tiles is keyed by the bandwidth: 101 km after 100 km, with the
    same points within reach of every tile, gives the bits of a fresh 101 km evaluation."""
    import numpy as np

    from pipeline.density import density_memo, kernel_density
    from pipeline.grid import region_to_cells
    from pipeline.runner.cache import StageCache

    rng = np.random.default_rng(5)
    cells = region_to_cells((0.0, 0.0, 1.0, 1.0), 5)
    lon, lat = rng.uniform(0.3, 0.7, 50), rng.uniform(0.3, 0.7, 50)

    def memo(folder="night"):
        (tmp_path / folder).mkdir(exist_ok=True)  # an output folder holds its cache
        return StageCache(tmp_path / folder / ".cache").memo("m", [1])

    with density_memo(memo()):
        at_100 = kernel_density((lon, lat), cells, bandwidth_km=100.0, kernel="quartic")
    with density_memo(memo()):
        at_101 = kernel_density((lon, lat), cells, bandwidth_km=101.0, kernel="quartic")
    with density_memo(memo("fresh")):
        fresh = kernel_density((lon, lat), cells, bandwidth_km=101.0, kernel="quartic")
    assert not np.array_equal(at_100, fresh)
    np.testing.assert_array_equal(at_101, fresh)


def test_each_factor_gets_the_settings_of_its_config_section(published):
    """The seizure density is computed with ``density.bandwidth_km`` as configured (its
    options object comes from the ``density`` section), not the options' defaults; transit
    gets ``ingest.max_speed_kn``. A nightly-versus-cold comparison cannot see a setting
    both runs ignore."""
    from pipeline.runner.plan import factor_options, factors_to_compute

    cfg = published[0]
    cfg = cfg.model_copy(
        update={
            "density": cfg.density.model_copy(update={"bandwidth_km": 150.0, "kernel": "gaussian"}),
            "ingest": cfg.ingest.model_copy(update={"max_speed_kn": 33.0}),
        }
    )
    by_section = {f.section: f for f in factors_to_compute(cfg) if f.section}
    density = factor_options(cfg, by_section["density"])
    assert (density.bandwidth_km, density.kernel) == (150.0, "gaussian")
    assert factor_options(cfg, by_section["transit"]).max_speed_kn == 33.0
