"""An operator's hostile review of the nightly features: damaged, tampered or odd output folders."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import small_config, small_config_with_seizures

import pipeline
from pipeline.cli import main
from pipeline.run import run_history, run_status

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

DEEP = "[" * 100_000 + "]" * 100_000  # Python's JSON parser recurses once per level


# ``published``: conftest's light run (config, output folder, run id). These tests read the
# folder's runs, links, manifests and status, and run the same config again over a copy:
# nothing of the timeline, back-test or hot spots the default small run also made.


def _copy(published, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the published output folder (links kept) and its run's manifest path."""
    _, out, run_id = published
    dst = tmp_path / "out"
    shutil.copytree(out, dst, symlinks=True)
    return dst, dst / "runs" / run_id / "manifest.json"


def test_a_hand_edited_manifest_or_status_is_unknown_never_a_traceback(published, tmp_path, capsys):
    out, manifest = _copy(published, tmp_path)
    good = json.loads(manifest.read_text())
    for bad in (
        DEEP,  # truncated or hostile nesting: RecursionError
        json.dumps({**good, "finished": "2026-11-30T02:00:00"}),  # no UTC offset
        json.dumps({**good, "status": None}),
        json.dumps({**good, "status": ["ok"]}),
    ):
        manifest.write_text(bad)
        assert [r["status"] for r in run_history(out)] == ["unknown"]
        assert run_status(out)["published"] is None
        assert main(["status", str(out)]) == 1
        assert main(["history", str(out)]) == 0
        assert main(["history", str(out), "--json"]) == 0
        assert "unknown" in capsys.readouterr().out
    manifest.write_text(json.dumps(good))
    # a status.json without (or with a foreign) status: the run's outcome is unknown
    foreign = out / "runs" / "20991231T000000Z-abcdef"
    foreign.mkdir()
    for bad in ("{}", '{"status": 3}', DEEP):
        (foreign / "status.json").write_text(bad)
        assert run_history(out)[-1]["status"] == "unknown"
        assert main(["history", str(out)]) == 0
        assert main(["status", str(out)]) == 1
        assert "the last run 20991231T000000Z-abcdef is unknown" in capsys.readouterr().out


def test_a_rerun_over_a_hand_edited_published_manifest_runs_again(published, tmp_path):
    cfg, _, run_id = published
    out, manifest = _copy(published, tmp_path)
    good = json.loads(manifest.read_text())
    # same run key (so 'up to date' reads on) but outputs no longer a mapping
    manifest.write_text(json.dumps({**good, "outputs": list(good["outputs"])}))
    again = pipeline.run_pipeline(cfg, out_dir=out)
    assert not again.up_to_date and again.run_id != run_id
    assert os.readlink(out / "current") == f"runs/{again.run_id}"
    (out / "runs" / again.run_id / "manifest.json").write_text(DEEP)
    third = pipeline.run_pipeline(cfg, out_dir=out)
    assert not third.up_to_date and third.run_id != again.run_id


def test_status_never_says_ok_for_a_published_set_changed_after_the_run(
    published, tmp_path, capsys
):
    out, manifest = _copy(published, tmp_path)
    folder = manifest.parent
    assert run_status(out)["published"]["verified"] is True
    assert run_status(out)["attention"] == []
    scores = folder / "scores.csv"
    original = scores.read_bytes()
    scores.write_bytes(original.replace(b"1", b"2", 1))  # same size, other bytes
    st = run_status(out)
    assert st["published"]["verified"] is False
    assert "'scores.csv' does not match" in st["attention"][0]
    assert main(["status", str(out)]) == 1
    assert "verified       NO: 'scores.csv'" in capsys.readouterr().out
    # not checked is said, never 'ok'
    assert main(["status", str(out), "--no-verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["published"]["verified"] is None
    # a run file swapped for a link, a top-level link pointed elsewhere
    scores.unlink()
    scores.symlink_to(tmp_path / "elsewhere.csv")
    (tmp_path / "elsewhere.csv").write_bytes(original)
    (out / "risk_map.html").unlink()
    (out / "risk_map.html").symlink_to(tmp_path / "elsewhere.csv")
    problems = run_status(out)["published"]["problems"]
    assert len(problems) == 2
    assert "'scores.csv' is missing or not a plain file" in problems[0] + problems[1]
    assert "risk_map.html' is not route-risk's link" in problems[0] + problems[1]


def test_a_clock_set_back_keeps_the_last_run_last_and_says_so(published, tmp_path):
    import datetime as dt

    cfg, _, run_id = published
    out, _ = _copy(published, tmp_path)
    # a run made while the clock was two hours ahead (then NTP stepped it back); it failed
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    failed = ahead.strftime("%Y%m%dT%H%M%SZ") + "-abcdef"
    (out / "runs" / failed).mkdir()
    (out / "runs" / failed / "status.json").write_text(
        json.dumps({"run_id": failed, "status": "failed", "error": "boom"})
    )
    res = pipeline.run_pipeline(cfg, out_dir=out, force=True)
    assert res.run_id > failed
    hist = run_history(out)
    assert [h["run_id"] for h in hist] == [run_id, failed, res.run_id]
    st = run_status(out)
    assert st["last_run"]["run_id"] == res.run_id and st["last_run"]["status"] == "ok"
    assert any("clock" in n and failed in n for n in res.manifest["notes"])
    # a published map that 'finished' in the future has no age to trust
    manifest = out / "runs" / res.run_id / "manifest.json"
    m = json.loads(manifest.read_text())
    m["finished"] = (ahead + dt.timedelta(days=1)).isoformat(timespec="seconds")
    manifest.write_text(json.dumps(m))
    st = run_status(out)
    assert st["published"]["map_age_hours"] < 0
    assert any("clock went backwards" in a for a in st["attention"])


def test_an_input_modified_in_the_future_is_not_fresh(published, small_demo, tmp_path, capsys):
    import time

    from pipeline.errors import DataQualityError

    cfg, _, _ = published
    copied = tmp_path / "inputs"
    shutil.copytree(small_demo / "inputs", copied)
    ahead = time.time() + 10 * 86400  # a feed host whose clock is ten days ahead
    os.utime(copied / "ais.csv", (ahead, ahead))
    inputs = {
        "seizures": [{"path": str(copied / "seizures.csv")}],
        "tracks": [{"path": str(copied / "ais.csv")}],
        "rasters": [{"path": str(copied / "nightlights.tif"), "name": "nightlights"}],
    }
    fail = small_config(
        small_demo,
        tmp_path / "fail",
        inputs=inputs,
        run={"max_input_age_days": 7, "freshness": "fail"},
    )
    with pytest.raises(DataQualityError, match=r"'ais.csv' \(modified 10.0 days in the future"):
        pipeline.run_pipeline(fail)
    # status of a published run whose inputs are these files, under the same policy
    out, manifest = _copy(published, tmp_path)
    m = json.loads(manifest.read_text())
    for f in m["input_files"]:
        f["path"] = str(copied / Path(f["path"]).name)
    m["config"]["run"]["max_input_age_days"] = 7
    manifest.write_text(json.dumps(m))
    st = run_status(out)
    ais = next(f for f in st["inputs"] if f["path"].endswith("ais.csv"))
    assert ais["future"] and ais["stale"]
    assert any("ais.csv was modified 10.0 days in the future" in a for a in st["attention"])
    assert main(["status", str(out)]) == 1
    assert "in the future" in capsys.readouterr().out


def test_pruning_leaves_a_folder_route_risk_did_not_make(published, tmp_path, caplog):
    from pipeline.runner.publish import prune_runs

    _, _, run_id = published
    out, _ = _copy(published, tmp_path)
    planted = out / "runs" / "20000101T000000Z-abcdef"  # named like a run, holds no record
    planted.mkdir()
    (planted / "notes.txt").write_text("mine")
    old_failed = out / "runs" / "20000102T000000Z-abcdef"
    old_failed.mkdir()
    (old_failed / "status.json").write_text('{"status": "failed"}')
    with caplog.at_level("WARNING", logger="pipeline.runner.publish"):
        assert prune_runs(out, 1) == [old_failed.name]
    assert (planted / "notes.txt").read_text() == "mine"
    assert "20000101T000000Z-abcdef" in caplog.text and "did not make" in caplog.text
    assert sorted(p.name for p in (out / "runs").iterdir()) == [planted.name, run_id]


def test_an_old_run_that_cannot_be_removed_is_a_warning_after_a_good_publish(
    published, tmp_path, caplog, monkeypatch
):
    # Before: a PermissionError from pruning (an old run folder made read-only, or owned by
    # another user) ended a run whose new set was already published in a traceback.
    import pipeline.runner.publish as P

    out, _ = _copy(published, tmp_path)
    old = out / "runs" / "20000102T000000Z-abcdef"
    old.mkdir()
    (old / "status.json").write_text('{"status": "failed"}')

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(P.shutil, "rmtree", refuse)
    with caplog.at_level("WARNING", logger="pipeline.runner.publish"):
        assert P.prune_runs(out, 1) == []
    assert old.is_dir() and "could not remove" in caplog.text and "Permission denied" in caplog.text


def test_a_folder_the_user_may_not_write_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    # Before: a PermissionError (the lock file in a folder this user may not write) left
    # main() as a traceback; it is the user's to fix, like any other wrong folder.
    import pipeline.cli as cli

    def denied(args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out" / ".lock"))

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "_cmd_status", denied)
    monkeypatch.setattr(cli, "build_parser", lambda: _with_status(parser, denied))
    code = main(["status", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Permission denied" in err and ".lock" in err


def _with_status(parser, func):
    """The parser with ``status`` bound to ``func`` (its subparser keeps the function)."""
    sub = next(a for a in parser._actions if a.dest == "command")
    sub.choices["status"].set_defaults(func=func)
    return parser


def test_status_and_history_print_one_line_per_field_for_odd_folder_names(
    published, tmp_path, capsys
):
    # Before: a newline in the folder's name split the 'output folder' line in two, and a
    # byte that is not UTF-8 (a name from another system) could not be printed.
    _, out, _ = published
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/o\nX\xff"))
    shutil.copytree(out, odd, symlinks=True)
    capsys.readouterr()
    assert main(["status", "--no-verify", str(odd)]) in (0, 1)
    text = capsys.readouterr().out
    first = text.splitlines()[0]
    assert first.startswith("output folder") and first.endswith("o\\nX\\udcff")
    assert not any(line.startswith("X") for line in text.splitlines())
    assert main(["history", str(odd)]) == 0
    hist = capsys.readouterr().out
    assert len(hist.splitlines()) == len(run_history(odd))


def test_a_deleted_published_run_is_attention_not_a_user_error(published, tmp_path, capsys):
    # Before: exit 2 ("not a run folder route-risk made"), as for a mistyped folder; a
    # monitor must hear "needs attention" (exit 1): nothing is published any more.
    _, _, run_id = published
    out, _ = _copy(published, tmp_path)
    shutil.rmtree(out / "runs" / run_id)
    (out / "runs" / "20000102T000000Z-abcdef").mkdir()  # an older failed run is still there
    (out / "runs" / "20000102T000000Z-abcdef" / "status.json").write_text('{"status": "failed"}')
    capsys.readouterr()
    assert main(["status", str(out)]) == 1
    text = capsys.readouterr().out
    assert "published      nothing" in text and "is missing" in text
    st = run_status(out)
    assert st["published"] is None and any("missing" in a for a in st["attention"])


def test_an_output_folder_without_locks_is_refused_in_one_line(tmp_path, monkeypatch):
    # Before: flock on NFS without a lock daemon (ENOLCK) ended the run in a traceback;
    # running unlocked would let two runs publish into one folder.
    import errno

    import pipeline.runner.publish as P
    from pipeline.errors import ConfigError

    def no_locks(f, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(P.fcntl, "flock", no_locks)
    with pytest.raises(ConfigError, match="cannot lock .*No locks available.*local disk"):
        with P.lock(tmp_path / "out"):
            pass


def test_a_run_that_rejected_records_dated_after_its_day_is_not_up_to_date_a_day_later(
    small_demo, tmp_path
):
    # a record dated after the day of reading is date_future; on a later day the same record
    # may be in range: unchanged inputs were "up to date" and kept yesterday's reading
    import pandas as pd

    seizures = pd.read_csv(small_demo / "inputs" / "seizures.csv")
    future = seizures.iloc[:1].copy()
    future.iloc[0, 0] = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=5)).strftime("%Y-%m-%d")
    cfg = small_config_with_seizures(
        small_demo, tmp_path, pd.concat([seizures, future]), timeline={"months": 0}
    )
    first = pipeline.run_pipeline(cfg)
    assert first.manifest["inputs"]["seizures"][0]["by_rule"].get("date_future") == 1
    assert pipeline.run_pipeline(cfg).up_to_date  # the same day: nothing to read otherwise
    # the published run as if made yesterday
    manifest = first.out_dir / "runs" / first.run_id / "manifest.json"
    doc = json.loads(manifest.read_text())
    day = pd.Timestamp(doc["started"]) - pd.Timedelta(days=1)
    doc["started"] = day.isoformat()
    manifest.write_text(json.dumps(doc))
    again = pipeline.run_pipeline(cfg)
    assert not again.up_to_date and again.run_id != first.run_id
