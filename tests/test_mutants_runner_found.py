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
