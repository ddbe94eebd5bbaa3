"""Tests that a mutation review of ``route-risk status`` / ``history`` and the manifest found missing.

Each test pins a promise of :func:`pipeline.run.run_status`, :func:`pipeline.run.run_history`
or :mod:`pipeline.runner.manifest` that a small hand-made bug broke with every other test
still passing (or that the code broke itself).  Expected values come from folders, links,
file times and manifests written here by hand, read back with ``json.loads``, ``os.lstat``,
``hashlib.sha256`` and ages worked out with :mod:`datetime`; no pipeline run is needed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from test_mutants_publish_found import MID, NEW, NOW, OLD, _input, _published

from pipeline.run import run_status


def _victim(tmp_path: Path, n_bytes: int = 100_000) -> Path:
    """A folder elsewhere holding a file of ``n_bytes``: none of it is the output folder's."""
    victim = tmp_path / "elsewhere"
    victim.mkdir()
    (victim / "big.bin").write_bytes(b"x" * n_bytes)
    return victim


def test_a_cache_folder_linked_elsewhere_is_not_counted_and_the_refused_next_run_is_said(tmp_path):
    """A run refuses ``.cache`` (or ``.spill``) that is a link or a file (nothing written
    through a link): ``status`` says the next run will be refused, and never walks the link
    to count the bytes of the folder it leads to as the output folder's cache."""
    victim = _victim(tmp_path)
    out = _published(tmp_path / "out", finished=NOW)
    (out / ".cache").mkdir()
    (out / ".cache" / "entry.parquet").write_bytes(b"y" * 1234)
    st = run_status(out, now=NOW, verify=False)
    assert st["disk"]["cache_bytes"] == 1234 and st["attention"] == []
    (out / ".cache" / "entry.parquet").unlink()
    (out / ".cache").rmdir()
    (out / ".cache").symlink_to(victim, target_is_directory=True)
    st = run_status(out, now=NOW, verify=False)
    assert st["disk"]["cache_bytes"] is None  # not read: unknown, not the 100,000 elsewhere
    assert len(st["attention"]) == 1
    assert "the next run will be refused" in st["attention"][0]
    assert repr(str(out / ".cache")) in st["attention"][0]
    (out / ".spill").write_text("not a folder\n")
    st = run_status(out, now=NOW, verify=False)
    assert len(st["attention"]) == 2 and repr(str(out / ".spill")) in st["attention"][1]


def test_pandas_missing_values_are_null_in_the_json_route_risk_writes():
    """``dumps_strict`` writes NaN as null, and so pandas' own missing values: the maximum of
    a nullable column with no value (``pd.NA``) and a missing time (``pd.NaT``) were written
    as the text ``"<NA>"`` and ``"NaT"``, a value where a reader expects a number or null."""
    import numpy as np
    import pandas as pd

    from pipeline.runner.manifest import dumps_strict

    empty = pd.Series([None, None], dtype="Int64")
    some = pd.Series([4, None], dtype="Int64")
    got = json.loads(
        dumps_strict(
            {
                "cells_max": empty.max(),
                "seen_max": some.max(),
                "first": pd.NaT,
                "last": np.datetime64("NaT"),
                "share": np.float32("nan"),
                "n": np.int64(3),
            }
        )
    )
    assert got == {
        "cells_max": None,
        "seen_max": 4,
        "first": None,
        "last": None,
        "share": None,
        "n": 3,
    }


def _rewrite(out: Path, rid: str, **changes) -> dict:
    """Replace top-level entries of run ``rid``'s manifest; return the manifest as written."""
    path = out / "runs" / rid / "manifest.json"
    m = json.loads(path.read_text()) | changes
    path.write_text(json.dumps(m))
    return m


def test_an_input_age_limit_that_is_no_number_makes_the_run_unknown_not_a_traceback(
    tmp_path, capsys
):
    """``run.max_input_age_days`` of a hand-edited manifest that is text or ``true`` is no
    limit route-risk wrote: the run is unknown (never compared with an age: TypeError)."""
    from test_cli import cli_here

    from pipeline.run import run_history

    data = _input(tmp_path, "a,b\n1,2\n", NOW - dt.timedelta(days=5))
    out = _published(tmp_path / "out", finished=NOW, inputs=[data], run={"max_input_age_days": 2})
    assert run_status(out, now=NOW, verify=False)["inputs"][0]["stale"] is True
    for raw in ("2", True, [2]):
        _rewrite(out, OLD, config={"run": {"max_input_age_days": raw}})
        assert [r["status"] for r in run_history(out)] == ["unknown"]
        st = run_status(out, now=NOW, verify=False)
        assert st["published"] is None and "no map is published" in st["attention"]
        code, text, err = cli_here(capsys, "status", out, "--json", "--no-verify")
        assert code == 1 and json.loads(text)["published"] is None, err


def _with_companion_record(out: Path, data: Path) -> None:
    """Record ``data``'s companions in the manifest as a run does: sha256, bytes, ns time."""
    import hashlib
    import os

    path = out / "runs" / OLD / "manifest.json"
    m = json.loads(path.read_text())
    hashes, stats = {}, {}
    for c in sorted(data.parent.glob(data.name + ".*")):
        st = os.lstat(c)
        hashes[c.name] = hashlib.sha256(c.read_bytes()).hexdigest()
        stats[c.name] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
    m["input_files"][0] |= {"companions": hashes, "companion_stats": stats}
    path.write_text(json.dumps(m))


def test_a_companion_that_appeared_changed_or_vanished_since_the_run_is_named(tmp_path):
    """A raster's ``.aux.xml`` (its nodata, scale, offset) is read with it: one that appeared
    since the run, one rewritten to other bytes of the same size, and one deleted are each a
    change of the input, by name; one only touched (same bytes, later time) is not."""
    import os

    then = NOW - dt.timedelta(days=1)
    data = _input(tmp_path, "raster bytes\n", then)
    aux = tmp_path / "seizures.csv.aux.xml"
    aux.write_text("<PAMDataset>0</PAMDataset>\n")
    out = _published(tmp_path / "out", finished=NOW, inputs=[data])
    _with_companion_record(out, data)

    def said() -> tuple[bool, list[str]]:
        f = run_status(out, now=NOW, verify=False)["inputs"][0]
        return f["changed_since_run"], f["companions_changed"]

    assert said() == (False, [])
    world = tmp_path / "seizures.wld"  # a world file: the raster's georeferencing
    world.write_text("1\n0\n0\n-1\n0\n0\n")
    assert said() == (True, ["seizures.wld"])
    world.unlink()
    later = then + dt.timedelta(hours=2)
    os.utime(aux, (later.timestamp(), later.timestamp()))  # touched: the same bytes
    assert said() == (False, [])
    aux.write_text("<PAMDataset>1</PAMDataset>\n")  # the same size, another scale
    os.utime(aux, (later.timestamp(), later.timestamp()))
    assert said() == (True, ["seizures.csv.aux.xml"])
    aux.unlink()
    assert said() == (True, ["seizures.csv.aux.xml"])


def test_a_companion_gone_between_listing_and_reading_is_a_change(tmp_path, monkeypatch):
    """A companion listed beside the input and gone before it is read (deleted meanwhile)
    changed: it is named, never passed over as unchanged."""
    from pipeline.runner import status as S

    data = _input(tmp_path, "raster bytes\n", NOW - dt.timedelta(days=1))
    aux = tmp_path / "seizures.csv.aux.xml"
    aux.write_text("<PAMDataset/>\n")
    out = _published(tmp_path / "out", finished=NOW, inputs=[data])
    _with_companion_record(out, data)
    aux.unlink()
    monkeypatch.setattr(S, "companion_files", lambda path: [aux])  # listed while it was there
    f = run_status(out, now=NOW, verify=False)["inputs"][0]
    assert (f["changed_since_run"], f["companions_changed"]) == (True, [aux.name])


def test_history_puts_a_published_run_whose_folder_was_deleted_in_its_place_by_time(tmp_path):
    """A run id is its UTC start time: a published run whose folder was deleted is listed
    where its time puts it (between the runs before and after it), and the newest run stays
    the last one ``status`` reports."""
    import shutil

    from pipeline.run import run_history

    new = NEW
    out = _published(tmp_path / "out", finished=NOW, runs=(OLD, MID))
    (out / "runs" / new).mkdir()
    (out / "runs" / new / "status.json").write_text(
        json.dumps({"run_id": new, "status": "failed", "error": "disk said no"})
    )
    shutil.rmtree(out / "runs" / MID)  # 'current' still names it
    got = [(r["run_id"], r["status"], r["published"]) for r in run_history(out)]
    assert got == [(OLD, "ok", False), (MID, "unknown", True), (new, "failed", False)]
    st = run_status(out, now=NOW, verify=False)
    assert (st["last_run"]["run_id"], st["last_run"]["status"]) == (new, "failed")


def test_the_disk_use_counts_a_file_linked_into_two_runs_once_and_no_link(tmp_path):
    """``disk.runs_bytes`` is the bytes the kept runs hold: a file hard-linked into two run
    folders is one file (``os.lstat``'s device and inode), and a symbolic link in a run
    folder counts nothing of the file it leads to."""
    import os

    victim = _victim(tmp_path, 50_000)
    out = _published(tmp_path / "out", finished=NOW, runs=(OLD, MID))
    runs = out / "runs"
    (runs / OLD / "scores.parquet").write_bytes(b"z" * 7000)
    os.link(runs / OLD / "scores.parquet", runs / MID / "scores.parquet")
    (runs / MID / "elsewhere.bin").symlink_to(victim / "big.bin")
    manifests = {rid: os.lstat(runs / rid / "manifest.json").st_size for rid in (OLD, MID)}
    disk = run_status(out, now=NOW, verify=False)["disk"]
    assert disk["published_run_bytes"] == manifests[MID] + 7000
    assert disk["runs_bytes"] == manifests[OLD] + manifests[MID] + 7000
    assert disk["runs_kept"] == 2


def test_an_output_entry_is_the_files_name_sha256_and_size(tmp_path):
    """The manifest records each output by its name in the run folder (never the staging
    path, which is gone once the run is published), its sha256 and its size in bytes."""
    import hashlib

    from pipeline.runner.manifest import output_entries

    staging = tmp_path / ".staging-x"
    staging.mkdir()
    (staging / "risk_map.html").write_text("<html>map</html>\n")
    (staging / "scores.csv").write_text("cell,risk\n85,0.5\n")
    got = output_entries({"scores": staging / "scores.csv", "map": staging / "risk_map.html"})
    assert list(got) == ["map", "scores"]
    for name, file in (("map", "risk_map.html"), ("scores", "scores.csv")):
        data = (staging / file).read_bytes()
        assert got[name] == {
            "path": file,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }


def test_a_moment_without_its_utc_offset_is_refused_in_one_line(tmp_path):
    """Ages are measured from an aware ``now``: one without an offset (a local time) is a
    :class:`ConfigError` naming it, never a ``TypeError`` from the subtraction; the same
    moment given in another zone measures the same age (3 h after the finish)."""
    import pytest

    from pipeline.errors import ConfigError

    out = _published(tmp_path / "out", finished=NOW)
    with pytest.raises(ConfigError, match="now must be a time with its UTC offset"):
        run_status(out, now=dt.datetime(2026, 12, 1, 15, 0), verify=False)
    paris = dt.timezone(dt.timedelta(hours=1))
    later = dt.datetime(2026, 12, 1, 16, 0, tzinfo=paris)  # 15:00 UTC
    assert run_status(out, now=later, verify=False)["published"]["map_age_hours"] == 3.0


def test_a_map_finished_seconds_after_now_is_no_hours_old_not_minus_zero(tmp_path):
    out = _published(tmp_path / "out", finished=NOW)
    age = run_status(out, now=NOW - dt.timedelta(seconds=10), verify=False)
    assert json.dumps(age["published"]["map_age_hours"]) == "0.0"
    assert not age["attention"]  # within the clocks' slack: nothing to say


def test_the_published_set_is_verified_by_size_and_sha256_and_its_link(tmp_path):
    """``verified`` holds only while each output is a regular file of the size *and* the
    sha256 its manifest records, reached by route-risk's link ``<name> -> current/<name>``:
    a manifest whose size disagrees with the file is not verified, though the hash agrees."""
    import hashlib

    out = _published(tmp_path / "out", finished=NOW)
    data = b"cell,risk\n85,0.5\n"
    (out / "runs" / OLD / "scores.csv").write_bytes(data)
    (out / "scores.csv").symlink_to("current/scores.csv")
    entry = {"path": "scores.csv", "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    _rewrite(out, OLD, outputs={"scores": entry})
    st = run_status(out, now=NOW)
    assert (st["published"]["verified"], st["attention"]) == (True, [])
    _rewrite(out, OLD, outputs={"scores": entry | {"bytes": len(data) + 1}})
    st = run_status(out, now=NOW)
    assert st["published"]["verified"] is False
    assert st["published"]["problems"] == [
        "'scores.csv' does not match its size or sha256 in the manifest"
    ]
    _rewrite(out, OLD, outputs={"scores": entry})
    (out / "scores.csv").unlink()
    st = run_status(out, now=NOW)
    assert st["published"]["verified"] is False and len(st["attention"]) == 1
    assert run_status(out, now=NOW, verify=False)["published"]["verified"] is None


def test_an_input_replaced_by_a_folder_needs_attention_the_next_run_is_refused(tmp_path):
    """A folder where the run read a file is no input: said as the refusal to come, not as an
    input that merely changed (it was ``changed_since_run`` with no attention line)."""
    data = _input(tmp_path, "a,b\n1,2\n", NOW - dt.timedelta(days=1))
    out = _published(tmp_path / "out", finished=NOW, inputs=[data])
    data.unlink()
    data.mkdir()
    st = run_status(out, now=NOW, verify=False)
    assert st["inputs"][0]["not_a_file"] == "a folder" and not st["inputs"][0]["exists"]
    assert st["attention"] == [
        f"input {data} is a folder now, not a file: the next run will be refused"
    ]


def test_an_input_modified_in_the_future_needs_attention_only_under_an_age_policy(tmp_path):
    """A file modified 10 days after now (a clock ahead) is ``future`` either way; it needs
    attention under ``run.max_input_age_days`` (its freshness is unknown), while a run with
    no such policy judges no input's age: no line, exit 0."""
    data = _input(tmp_path, "a,b\n1,2\n", NOW + dt.timedelta(days=10))
    out = _published(tmp_path / "out", finished=NOW, inputs=[data])
    st = run_status(out, now=NOW, verify=False)
    f = st["inputs"][0]
    assert (f["future"], f["stale"], f["age_days"], st["attention"]) == (True, False, -10.0, [])
    _rewrite(out, OLD, config={"run": {"max_input_age_days": 30}})
    st = run_status(out, now=NOW, verify=False)
    assert st["inputs"][0]["stale"] is True
    assert st["attention"] == [
        f"input {data} was modified 10.0 days in the future (a clock is wrong): its "
        "freshness is unknown"
    ]


def test_less_than_twice_the_published_run_free_needs_attention(tmp_path, monkeypatch):
    """The next run needs twice the published run's bytes free: exactly twice is enough,
    a byte less is an attention line ('disk full', exit 74 ahead)."""
    import collections
    import os

    from pipeline.runner import status as S

    out = _published(tmp_path / "out", finished=NOW)
    run_bytes = os.lstat(out / "runs" / OLD / "manifest.json").st_size
    usage = collections.namedtuple("usage", "total used free")
    for free, lines in ((2 * run_bytes, 0), (2 * run_bytes - 1, 1)):
        monkeypatch.setattr(S.shutil, "disk_usage", lambda path, f=free: usage(10**9, 0, f))
        st = run_status(out, now=NOW, verify=False)
        assert (st["disk"]["published_run_bytes"], st["disk"]["free_bytes"]) == (run_bytes, free)
        assert len(st["attention"]) == lines


def test_a_history_record_is_what_the_manifest_says_and_unknown_where_it_says_nothing(tmp_path):
    """A finished run's line of the history holds its manifest's values: its start and
    finish, its seconds (the sum of the stage timings, to 0.1 s), its cells and the stages
    served from the cache; a manifest without timings or counts took unknown seconds over
    unknown cells (None), never 0."""
    from pipeline.run import run_history

    out = _published(tmp_path / "out", finished=NOW)
    m = _rewrite(out, OLD, timings_s={"ingest": 1.14, "score": 2.0}, previous_run=None)
    (rec,) = run_history(out)
    assert rec == {
        "run_id": OLD,
        "published": True,
        "status": "ok",
        "started": m["started"],
        "finished": m["finished"],
        "as_of": "2026-11-30",
        "seconds": 3.1,
        "cells": 7,
        "stages_cached": ["score"],
        "previous_run": None,
        "code_version": None,
    }
    assert dt.datetime.fromisoformat(rec["finished"]) - dt.datetime.fromisoformat(
        rec["started"]
    ) == dt.timedelta(minutes=5)
    _rewrite(out, OLD, timings_s={}, counts={})
    (rec,) = run_history(out)
    assert (rec["status"], rec["seconds"], rec["cells"]) == ("ok", None, None)


def _feed_run(tmp_path: Path, limit: float | None) -> tuple[Path, Path, str]:
    """A published run that read ``feed/day-1.csv`` (5 days old) of the pattern
    ``feed/day-*.csv``, while ``feed/day-0.csv`` was named by another input."""
    import os

    feed = tmp_path / "feed"
    feed.mkdir()
    pattern = str(feed / "day-*.csv")
    for name, days in (("day-0.csv", 6), ("day-1.csv", 5)):
        when = (NOW - dt.timedelta(days=days)).timestamp()
        (feed / name).write_text("a,b\n1,2\n")
        os.utime(feed / name, (when, when))
    run = {} if limit is None else {"max_input_age_days": limit}
    out = _published(tmp_path / "out", finished=NOW, inputs=[feed / "day-1.csv"], run=run)
    m = json.loads((out / "runs" / OLD / "manifest.json").read_text())
    m["input_files"][0]["pattern"] = pattern
    m["input_patterns"] = [
        {
            "input": "seizures",
            "pattern": pattern,
            "files": [str(feed / "day-1.csv")],
            "named_elsewhere": [str(feed / "day-0.csv")],
        }
    ]
    _rewrite(out, OLD, **m)
    return out, feed, pattern


def test_a_patterns_new_file_is_one_no_input_read_and_it_shows_the_feed_runs(tmp_path):
    """``new_since_run`` is a file the pattern matches now that the run neither read for it
    nor left to another input naming it; such a file, modified today, shows the feed still
    runs: the feed whose read file is 5 days old is stale under a 2-day limit until it
    arrives, then not."""
    out, feed, pattern = _feed_run(tmp_path, 2)
    st = run_status(out, now=NOW, verify=False)
    (p,) = st["patterns"]
    assert (p["files"], p["new_since_run"], p["gone_since_run"]) == (2, [], [])
    assert st["inputs"][0]["stale"] is True
    assert st["attention"] == [
        f"input pattern {pattern!r} (its newest file 5.0 days): no file it matches changed "
        "within run.max_input_age_days 2"
    ]
    import os

    (feed / "day-2.csv").write_text("a,b\n3,4\n")  # today's file, an hour old
    when = (NOW - dt.timedelta(hours=1)).timestamp()
    os.utime(feed / "day-2.csv", (when, when))
    st = run_status(out, now=NOW, verify=False)
    (p,) = st["patterns"]
    assert p["new_since_run"] == [str(feed / "day-2.csv")]
    assert st["inputs"][0]["stale"] is False and st["attention"] == []
