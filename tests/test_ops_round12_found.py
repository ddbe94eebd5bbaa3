"""A hostile round on the nightly operations and the output folder (round 12).

An operator's cron job runs ``route-risk run`` every night and a monitor runs ``route-risk
status``; whoever may write into the output folder plants odd files and strings there.
Each test names what went wrong before its fix.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
from conftest import copy_published

from pipeline.cli import main, setup_logging
from pipeline.errors import ConfigError
from pipeline.ingest import format_summary
from pipeline.run import run_history, run_status
from pipeline.runner.cache import StageCache

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def _config(published) -> str:
    return str(published[0].source)


def _edited(text: str, path: tuple, raw: str) -> str:
    """``text`` (a manifest) with the value at ``path`` replaced by the JSON text ``raw``."""
    marker = "__ROUND12__"
    m = json.loads(text)
    node = m
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = marker
    return json.dumps(m).replace(f'"{marker}"', raw)


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        (("timings_s", "ingest"), "NaN"),  # Python's json reads NaN and Infinity...
        (("counts", "cells"), "Infinity"),
        (("as_of",), "-Infinity"),
        (("previous_run",), "1e400"),  # ...and a float beyond a double as inf
        (("timings_s", "score"), "1" + "0" * 400),  # a sum with a float: OverflowError
        (("outputs", "map", "path"), "5"),  # joined to the folder: TypeError
        (("config",), "null"),  # AttributeError
        (("config", "run"), "null"),
        (("input_files", 0, "path"), '""'),  # Path('') is '.': its companions, ValueError
    ],
)
def test_a_manifest_with_what_route_risk_never_writes_is_unknown_never_a_traceback(
    published, tmp_path, capsys, path, raw
):
    # Before: NaN, Infinity or 1e400 in a manifest reached json.dumps(allow_nan=False) and
    # `status --json` / `history --json` ended in exit 70 with a traceback (a monitor's
    # check, of a folder others may write); a 400-digit timing overflowed the sum of the
    # run's seconds, and a map path that is a number failed `status` in text mode too.
    out, manifest = copy_published(published, tmp_path)
    manifest.write_text(_edited(manifest.read_text(), path, raw))
    assert [r["status"] for r in run_history(out)] == ["unknown"]
    capsys.readouterr()
    for argv in (["status", str(out), "--json"], ["history", str(out), "--json"]):
        assert main(argv) in (0, 1)
        json.loads(capsys.readouterr().out)
    assert main(["status", str(out)]) == 1
    assert "no map is published" in capsys.readouterr().out


@pytest.mark.parametrize("pattern", ["", "/"])
def test_an_input_pattern_of_no_part_in_the_manifest_matches_nothing(
    published, tmp_path, capsys, pattern
):
    # Before: status matched a hand-edited manifest's pattern "" or "/" again and ended in
    # IndexError (exit 70); it is a pattern that matches no file now.
    out, manifest = copy_published(published, tmp_path)
    m = json.loads(manifest.read_text())
    m["input_patterns"] = [{"input": "tracks", "pattern": pattern, "files": []}]
    manifest.write_text(json.dumps(m))
    capsys.readouterr()
    assert main(["status", str(out), "--no-verify"]) == 1
    assert f"input pattern {pattern!r} matches no file now" in capsys.readouterr().out


def test_timings_whose_sum_is_no_number_are_unknown_seconds(published, tmp_path, capsys):
    # Before: two timings of 1e308 summed to inf, which `history --json` could not write.
    out, manifest = copy_published(published, tmp_path)
    m = json.loads(manifest.read_text())
    m["timings_s"] = {"ingest": 1e308, "score": 1e308}
    manifest.write_text(json.dumps(m))
    assert run_history(out)[0]["seconds"] is None
    capsys.readouterr()
    assert main(["history", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "ok"


def test_a_companion_record_edited_by_hand_is_compared_by_its_hash(published, tmp_path):
    # Before: a companion's recorded stats that were not an object ended `status` in an
    # AttributeError (exit 70).
    out, manifest = copy_published(published, tmp_path)
    data = tmp_path / "x.csv"
    data.write_text("a\n")
    (tmp_path / "x.csv.aux.xml").write_text("<PAMDataset/>")
    m = json.loads(manifest.read_text())
    m["input_files"][0] |= {
        "path": str(data),
        "companions": {"x.csv.aux.xml": "0" * 64},
        "companion_stats": {"x.csv.aux.xml": [1, 2]},
    }
    manifest.write_text(json.dumps(m))
    entry = run_status(out, verify=False)["inputs"][0]
    assert entry["companions_changed"] == ["x.csv.aux.xml"]


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_lock_file_that_is_a_folder_or_a_fifo_is_one_line_and_status_answers(
    published, tmp_path, capsys, kind
):
    # Before: a folder at .route-risk.lock ended `run` in IsADirectoryError (exit 70), a
    # FIFO in "not seekable" (exit 70), and `status` opened the FIFO for reading, which
    # waits for a writer: the monitor's check hung for good.
    out, _ = copy_published(published, tmp_path)
    lock = out / ".route-risk.lock"
    lock.unlink()
    lock.mkdir() if kind == "folder" else os.mkfifo(lock)
    answer: dict = {}
    t = threading.Thread(target=lambda: answer.update(st=run_status(out, verify=False)))
    t.start()
    t.join(20)
    hung = t.is_alive()
    if hung:  # free the thread: a writer opens the FIFO
        os.close(os.open(lock, os.O_WRONLY | os.O_NONBLOCK))
        t.join()
    assert not hung, "status waited on the FIFO at the lock's name"
    assert answer["st"]["published"]["run_id"] == published[2]
    # every night is refused (below) before it can record anything: status must say so
    # (before: all well, exit 0)
    assert any(".route-risk.lock" in a for a in answer["st"]["attention"])
    capsys.readouterr()
    assert main(["run", _config(published), "--out", str(out), "--log-format", "text"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert ".route-risk.lock" in err and "move it away" in err
    assert os.readlink(out / "current") == f"runs/{published[2]}"


def test_a_run_folder_dated_at_the_end_of_the_calendar_is_one_line(published, tmp_path, capsys):
    # Before: a planted runs/99991231T235959Z-... (with a status.json) made every run's id
    # "one second after it" overflow: exit 70, each night, with a traceback.
    out, _ = copy_published(published, tmp_path)
    planted = out / "runs" / "99991231T235959Z-abcdef"
    planted.mkdir()
    (planted / "status.json").write_text('{"status": "failed"}')
    capsys.readouterr()
    assert main(["run", _config(published), "--out", str(out), "--log-format", "text"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert "99991231T235959Z-abcdef" in err and "move it out" in err
    # a refusal for another reason is said as itself (before: replaced by this one, as its
    # record, which needs a run id, was being made)
    (out / "scores.geojson").write_text("{}")
    assert main(["run", _config(published), "--out", str(out), "--log-format", "text"]) == 2
    err = capsys.readouterr().err
    assert "scores.geojson" in err and "99991231T235959Z" not in err, err


def test_status_and_history_of_a_folder_whose_runs_is_a_link_refuse_to_read_it(
    published, tmp_path, capsys
):
    # Before: with OUT/runs a link to runs kept elsewhere (every run refuses the folder,
    # exit 2), `status` read the sets through it and said "verified yes: every output
    # matches its manifest" of them, while `history` said the folder held no run.
    out, _ = copy_published(published, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    os.rename(out / "runs", elsewhere)
    os.symlink(elsewhere, out / "runs")
    capsys.readouterr()
    for argv in (["status", str(out)], ["history", str(out)], ["status", str(out), "--json"]):
        assert main([*argv, "--log-format", "text"]) == 2
        captured = capsys.readouterr()
        assert "runs' is a symbolic link" in captured.err
        assert "verified" not in captured.out
    assert main(["run", _config(published), "--out", str(out), "--log-format", "text"]) == 2
    assert "symbolic link" in capsys.readouterr().err


@pytest.mark.parametrize("hours", ["nan", "-1"])
def test_a_map_age_limit_that_no_age_can_pass_is_refused(published, capsys, hours):
    # Before: --max-map-age nan compared false with every age: a monitor whose template
    # gave it NaN never heard of a map weeks old (exit 0); -1 flagged every map.
    out = published[1]
    with pytest.raises(SystemExit) as refused:  # a refused command line
        main(["status", str(out), "--no-verify", f"--max-map-age={hours}"])
    assert refused.value.code == 2
    assert f"got {hours!r}" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="max_map_age_hours"):
        run_status(out, verify=False, max_map_age_hours=float(hours))


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal (a run started by hand)."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("flags", [["-q"], ["--log-format", "json"]])
def test_on_a_terminal_quiet_or_json_logs_draw_no_progress_bar(
    published, tmp_path, monkeypatch, flags
):
    # Before: the stage bar (tqdm) was drawn whenever stderr was a terminal: under -q
    # (errors only) too, and under --log-format json, where its lines are not JSON.
    out, _ = copy_published(published, tmp_path)
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["run", _config(published), "--out", str(out), "--force", *flags]) == 0
    text = err.getvalue()
    if flags == ["-q"]:
        assert text == ""
    else:
        assert text and all(json.loads(line) for line in text.splitlines())


def test_a_cache_folder_the_run_may_not_write_costs_the_memo_not_the_night(
    published, tmp_path, monkeypatch, capsys
):
    # Before: with .cache/ not writable by the nightly user (made by a run as root), a
    # stage the cache could not store was a warning, but the transit memo's shard folder
    # raised PermissionError: exit 2 on every night that computed transit, no map.
    out, _ = copy_published(published, tmp_path)
    mkdir = Path.mkdir

    def refused(self, *args, **kwargs):
        if self.name.endswith(".shards"):
            raise PermissionError(13, "Permission denied", str(self))
        return mkdir(self, *args, **kwargs)

    before = sorted((out / ".cache").glob("*.shards"))
    monkeypatch.setattr(Path, "mkdir", refused)
    capsys.readouterr()
    argv = ["run", _config(published), "--out", str(out), "--cold", "--log-format", "text"]
    assert main(argv) == 0
    assert "not cached: [Errno 13] Permission denied" in capsys.readouterr().err
    assert sorted((out / ".cache").glob("*.shards")) == before  # the last memo is kept


def test_cache_files_the_run_may_not_delete_are_a_warning_after_the_publish(
    tmp_path, monkeypatch, caplog
):
    # Before: the cache's pruning, which runs after the set is published, raised on a file
    # of a .cache/ written by another user (a run as root): every night exited 2 ("had
    # been published, whole, before that") although its map was published.
    root = tmp_path / ".cache"
    root.mkdir()
    for name in ("ingest_tracks-0123.identity.parquet", "cells-4567.json", "cells-89ab.json"):
        (root / name).write_text("{}")
    unlink = os.unlink

    def refused(path, *args, **kwargs):
        if os.path.basename(path).startswith("ingest_tracks-"):
            raise PermissionError(13, "Permission denied", str(path))
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refused)
    StageCache(root).prune(keep={"cells-4567"})
    assert sorted(p.name for p in root.iterdir()) == [
        "cells-4567.json",
        "ingest_tracks-0123.identity.parquet",
    ]
    assert "could not remove 1 unused cache file(s)" in caplog.text


#: Characters a terminal acts on beyond C0: a C1 CSI (ESC [ in one character), NEL, the line
#: separator, a right-to-left override and an isolate.
HOSTILE = "x\x9b31mRED\x85nel\u2028ls\u202eevil\u2066iso"


def test_a_run_after_a_killed_one_from_a_clock_ahead_is_the_last_run(published, tmp_path, capsys):
    # Before: the run took its id before recording the killed runs it cleans up after, so
    # a run killed while the clock was ahead (then stepped back) got its 'killed' record
    # after the new run's id: status said "the last run ... is killed" of a good night.
    out, _ = copy_published(published, tmp_path)
    killed = "20991231T000000Z-abcdef"
    (out / "runs" / f".staging-{killed}").mkdir()
    capsys.readouterr()
    argv = ["run", _config(published), "--out", str(out), "--force", "--log-format", "text"]
    assert main(argv) == 0
    history = run_history(out)
    assert [r["status"] for r in history[-2:]] == ["killed", "ok"]
    assert history[-1]["published"] and history[-1]["run_id"] > killed
    assert run_status(out, verify=False)["attention"] == []


def test_history_lists_a_published_run_whose_folder_was_deleted(published, tmp_path, capsys):
    # Before: with the only run folder deleted, status said "no map is published" (exit 1)
    # but history said the folder held no route-risk run, a user error (exit 2).
    out, _ = copy_published(published, tmp_path)
    shutil.rmtree(out / "runs" / published[2])
    capsys.readouterr()
    assert main(["history", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"* {published[2]}  unknown")
    assert main(["status", str(out)]) == 1


def test_a_killed_runs_staging_folder_that_stays_is_said(tmp_path, monkeypatch, caplog):
    # Before: a staging folder rmtree could not remove (files of another user) was passed
    # over in silence, and the run logged that it had removed it, every night.
    import pipeline.runner.publish as P

    staging = tmp_path / "runs" / ".staging-20261204T020000Z-abcdef"
    staging.mkdir(parents=True)
    (staging / "scores.csv").write_text("x")
    monkeypatch.setattr(P.shutil, "rmtree", lambda *a, **k: None)  # as if nothing could go
    assert P.remove_stale_staging(tmp_path) == ["20261204T020000Z-abcdef"]
    assert "could not remove the staging folder" in caplog.text


def test_names_stdout_cannot_encode_are_escaped_not_a_bug(published, tmp_path, monkeypatch):
    # Before: under an ASCII or Latin-1 stdout (a legacy locale, PYTHONIOENCODING=ascii) a
    # run's error naming 'Polícia' or '東京' ended `history` in UnicodeEncodeError, exit 70.
    out, _ = copy_published(published, tmp_path)
    planted = out / "runs" / "20991231T000000Z-abcdef"
    planted.mkdir()
    error = {"status": "failed", "error": "Polícia 東京"}
    (planted / "status.json").write_text(json.dumps(error))
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))
    assert main(["history", str(out)]) == 0
    assert main(["status", str(out), "--no-verify"]) == 1
    sys.stdout.flush()
    assert raw.getvalue().decode("ascii").count("Pol\\xedcia \\u6771\\u4eac") == 2


def test_a_bugs_traceback_on_a_terminal_escapes_what_the_terminal_acts_on(
    published, monkeypatch, capsys
):
    # Before: the message line was escaped but the traceback after it (which repeats the
    # exception's text, a file name's) reached the terminal raw: ESC [2J cleared it.
    import pipeline.run

    def bug(*args, **kwargs):
        raise RuntimeError(f"cannot read {HOSTILE}\x1b[2J")

    monkeypatch.setattr(pipeline.run, "run_status", bug)
    capsys.readouterr()
    assert main(["status", str(published[1]), "--log-format", "text"]) == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err
    assert not [c for c in "\x1b\x9b\x85\u2028\u202e\u2066" if c in err]
    assert err.splitlines()[-1].endswith("\\u2066iso\\x1b[2J")  # the traceback's last line
    # and so in a text log line of a library with its traceback (log.exception)
    setup_logging(log_format="text")
    try:
        bug()
    except RuntimeError:
        logging.getLogger("pipeline.some_library").exception("reading failed")
    err = capsys.readouterr().err
    assert "Traceback" in err and not [c for c in "\x1b\x9b\u202e" if c in err]


def test_status_and_history_escape_c1_controls_separators_and_overrides(
    published, tmp_path, capsys
):
    # Before: only C0 controls were escaped: a run's error holding U+009B (CSI) coloured or
    # moved the monitor's terminal, U+2028 and U+0085 split a line for a line reader, and
    # U+202E printed the rest of the line reversed.
    out, _ = copy_published(published, tmp_path)
    planted = out / "runs" / "20991231T000000Z-abcdef"
    planted.mkdir()
    (planted / "status.json").write_text(json.dumps({"status": "failed", "error": HOSTILE}))
    capsys.readouterr()
    assert main(["history", str(out)]) == 0
    text = capsys.readouterr().out
    assert main(["status", "--no-verify", str(out)]) == 1
    text += capsys.readouterr().out
    assert not [c for c in "\x9b\x85\u2028\u202e\u2066" if c in text]
    assert "x\\x9b31mRED\\x85nel\\u2028ls\\u202eevil\\u2066iso" in text
    assert len(text.splitlines()) == text.count("\n")
    summary = {"source": "s.csv", "kind": "seizures", "read": 1, "accepted": 1, "rejected": 0}
    lines = format_summary(summary | {"reject_rate": 0.0, "notes": [HOSTILE]})
    assert "\\x9b31mRED\\x85nel\\u2028ls\\u202eevil\\u2066iso" in lines
    assert not [c for c in "\x9b\x85\u2028\u202e\u2066" if c in lines]
    assert len(lines.splitlines()) == lines.count("\n") + 1
