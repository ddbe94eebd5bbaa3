"""Tests that a mutation review of the command line (``pipeline/cli.py``) found missing.

Each test pins a promise of the command that a small hand-made bug broke with every other
test still passing.  Expected values come from the promise (the module docstring of
:mod:`pipeline.cli`, the README's "Exit codes ... Logs" paragraph, the help texts) and from
output folders and manifests written here by hand, never from the code under test.  The
library is replaced by fakes where only the command is under test (no pipeline run).
"""

from __future__ import annotations

import datetime as dt
import errno
import inspect
import json
import logging
import os
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_cli import cli_here

import pipeline.demo
import pipeline.run
from pipeline.cli import main
from pipeline.errors import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

RUN = "20261201T000000Z-aaaaaa"
LATER = "20261202T000000Z-bbbbbb"


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def _folder(
    tmp_path: Path, *, finished: dt.datetime, started: dt.datetime, inputs=(), pattern=None
) -> Path:
    """An output folder holding one published run, its manifest written by hand (the
    ``inputs`` are the files ``pattern`` matched when it is given)."""
    out = tmp_path / "out"
    run = out / "runs" / RUN
    run.mkdir(parents=True)
    files = []
    for path in inputs:
        st = Path(path).stat()
        files.append(
            {
                "path": str(path),
                "modified": _iso(dt.datetime.fromtimestamp(st.st_mtime, dt.UTC)),
                "bytes": st.st_size,
            }
            | ({"pattern": pattern} if pattern else {})
        )
    manifest = {
        "run_id": RUN,
        "status": "ok",
        "started": _iso(started),
        "finished": _iso(finished),
        "as_of": "2026-11-30",
        "stages": {"score": {"cached": True}, "ingest": {"cached": True}, "render": {}},
        "timings_s": {"ingest": 1.25, "score": 2.0, "render": 0.5},
        "counts": {"cells": 7},
        "outputs": {},
        "config": {"run": {}},
        "input_files": files,
    }
    if pattern:
        manifest["input_patterns"] = [
            {"input": "tracks", "pattern": pattern, "files": [str(f) for f in inputs]}
        ]
    (run / "manifest.json").write_text(json.dumps(manifest))
    (out / "current").symlink_to(f"runs/{RUN}")
    return out


def _lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines()]


def test_status_measures_the_maps_age_from_its_finish_in_hours_and_days(tmp_path, capsys):
    """``map_age_hours`` is now minus the published run's *finish*, in hours; the text says
    it in days past 48 h, an input's age too, and the last run's finish time."""
    now = dt.datetime.now(dt.UTC)
    data = tmp_path / "seizures.csv"
    data.write_text("x\n")
    three_days = (now - dt.timedelta(days=3)).timestamp()
    os.utime(data, (three_days, three_days))
    finished, started = now - dt.timedelta(hours=72), now - dt.timedelta(hours=80)
    out = _folder(tmp_path, finished=finished, started=started, inputs=[data])
    code, text, err = cli_here(capsys, "status", out, "--json", "--no-verify")
    assert code == 0, err
    st = json.loads(text)
    assert abs(st["published"]["map_age_hours"] - 72.0) < 0.05
    assert st["published"]["verified"] is None
    assert st["last_run"]["finished"] == _iso(finished)
    dt.datetime.fromisoformat(st["now"])  # text, an ISO time
    code, text, err = cli_here(capsys, "status", out, "--no-verify")
    assert code == 0, err
    assert "map age 3.0 days" in text
    assert f"finished {_iso(finished).replace('+00:00', 'Z')}" in text
    assert "verified       not checked" in text
    assert "seizures.csv  modified 3.0 days ago  unchanged" in text


def test_status_says_the_age_of_a_patterns_newest_file(tmp_path, capsys):
    """A feed's line gives the age of its *newest* file read (the feed is as fresh as it)."""
    now = dt.datetime.now(dt.UTC)
    feed = tmp_path / "feed"
    feed.mkdir()
    files = []
    for name, hours in (("a.csv", 120), ("b.csv", 30)):
        (feed / name).write_text("x\n")
        when = (now - dt.timedelta(hours=hours)).timestamp()
        os.utime(feed / name, (when, when))
        files.append(feed / name)
    pattern = str(feed / "*.csv")
    out = _folder(tmp_path, finished=now, started=now, inputs=files, pattern=pattern)
    code, text, err = cli_here(capsys, "status", out, "--no-verify")
    assert code == 0, (text, err)
    assert f"{pattern}  2 file(s) now, newest read modified 30.0 h ago, 0 new" in text


def test_history_lists_every_run_oldest_first_with_its_error(tmp_path, capsys):
    """The published run marked ``*``, a later failed night listed with its error, the
    timings summed into ``seconds``; status then needs attention (exit 1)."""
    now = dt.datetime.now(dt.UTC)
    out = _folder(tmp_path, finished=now, started=now - dt.timedelta(minutes=5))
    failed = out / "runs" / LATER
    failed.mkdir()
    (failed / "status.json").write_text(
        json.dumps(
            {
                "status": "failed",
                "started": _iso(now),
                "finished": _iso(now),
                "error": "disk said no",
            }
        )
    )
    code, text, err = cli_here(capsys, "history", out, "--json")
    assert code == 0, err
    runs = json.loads(text)
    assert [r["run_id"] for r in runs] == [RUN, LATER]
    assert [r["published"] for r in runs] == [True, False]
    assert runs[0]["seconds"] == 3.8 and runs[0]["cells"] == 7
    assert runs[0]["stages_cached"] == ["ingest", "score"]
    assert runs[1]["status"] == "failed" and runs[1]["error"] == "disk said no"
    code, text, err = cli_here(capsys, "history", out)
    assert code == 0, err
    first, second = text.splitlines()
    assert first.startswith(f"* {RUN}  ok") and "3.8 s  7 cells" in first
    assert second.startswith(f"  {LATER}  failed") and second.endswith("disk said no")
    code, text, _ = cli_here(capsys, "status", out, "--no-verify")
    assert code == 1
    assert f"ATTENTION      the last run {LATER} is failed" in text
    assert "error: disk said no" in text


def test_an_error_line_is_json_by_default_off_a_terminal_with_every_field(tmp_path, capsys):
    """Off a terminal the logs are JSON lines without ``--log-format``: the error line has
    time (with its UTC offset), level, logger, message and exit_code, and stays one valid
    line when the folder's name holds a newline and quotes; stdout stays empty."""
    where = tmp_path / 'no "such"\nfolder'
    for _ in range(2):  # a second command in the same process: still one line
        code, text, err = cli_here(capsys, "status", where)
        assert code == 2 and text == ""
        [line] = _lines(err)
        assert {"time", "level", "logger", "message", "exit_code"} <= set(line)
        assert line["level"] == "ERROR" and line["exit_code"] == 2
        assert repr(str(where)) in line["message"]  # the name as Python writes it
        assert dt.datetime.fromisoformat(line["time"]).utcoffset() is not None


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["status", "{tmp}/nothing", "--json"], "holds no route-risk run"),
        (["history", "{tmp}/nothing", "--bogus", "--json"], "unrecognized arguments: --bogus"),
    ],
    ids=["user-error", "refused-command-line"],
)
def test_with_json_an_error_is_a_json_object_on_stdout(tmp_path, capsys, argv, said):
    """``route-risk status OUT --json | jq`` gets JSON on an error too: the ``error`` text
    and the ``exit_code`` (README: the line that ends a failed command has one)."""
    code, text, _ = cli_here(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2
    answer = json.loads(text)
    assert answer["exit_code"] == 2 and said in answer["error"]


def test_a_refused_command_line_in_text_logs_is_text(tmp_path, capsys):
    """``--log-format text`` holds for a refused command line too: usage and a plain line."""
    code, text, err = cli_here(capsys, "status", tmp_path, "--bogus", "--log-format", "text")
    assert code == 2 and text == ""
    lines = err.splitlines()
    assert lines[0].startswith("usage: route-risk ")
    assert lines[-1].startswith("route-risk: error: unrecognized arguments: --bogus")


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbosity_and_quiet_apply_before_or_after_the_subcommand(tmp_path, capsys, where):
    """-q keeps errors only, -v adds info, -vv debug, and none of them info; anywhere on
    the command line.  Text log lines are one line each."""
    probe = logging.getLogger("pipeline.probe")
    nothing = str(tmp_path / "nothing")

    def command(*flags):
        argv = [*flags, "status", nothing] if where == "before" else ["status", nothing, *flags]
        return cli_here(capsys, *argv, "--log-format", "text")

    for flags, shown in (
        ((), {"WARNING", "ERROR"}),
        (("-q",), {"ERROR"}),
        (("-v",), {"INFO", "WARNING", "ERROR"}),
        (("-vv",), {"DEBUG", "INFO", "WARNING", "ERROR"}),
    ):
        code, _, err = command(*flags)
        assert code == 2 and "holds no route-risk run" in err, (flags, err)
        for level in ("DEBUG", "INFO", "WARNING", "ERROR"):
            probe.log(getattr(logging, level), "probe %s\nsecond line", level)
        err = capsys.readouterr().err
        said = {level for level in ("DEBUG", "INFO", "WARNING", "ERROR") if f"probe {level}" in err}
        assert said == shown, (flags, err)
        assert len(err.splitlines()) == len(shown) and "probe ERROR\\nsecond line" in err


def _result(out: Path, *, up_to_date: bool = False):
    manifest = {"counts": {"cells": 7, "seizures_used": 5, "pings_used": 11}, "inputs": {}}
    return SimpleNamespace(
        up_to_date=up_to_date,
        run_id=RUN,
        map_path=out / "risk_map.html",
        manifest=manifest,
        out_dir=out,
    )


@pytest.fixture
def config(tmp_path):
    """A config the command loads (its run is faked)."""
    (tmp_path / "s.csv").write_text("lat,lon,date\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "run: {as_of: 2026-06-30, out_dir: out}\narea: {bbox: [-85, -10, 10, 45]}\n"
        "inputs: {seizures: [{path: s.csv}]}\n"
    )
    return cfg


def test_run_summary_takes_the_logs_form_and_q_silences_it(tmp_path, capsys, monkeypatch, config):
    """A published run's summary is on stderr by default (a JSON line off a terminal), none
    under -q; stdout is the map's path either way.  A relative --out is the working
    folder's, --cold reaches the run, and a library's warning is a log line."""
    calls = []

    def run_pipeline(cfg, **kwargs):
        calls.append(kwargs | {"cwd": os.getcwd()})
        warnings.warn("a library's warning", UserWarning, stacklevel=1)
        return _result(Path(os.path.abspath(kwargs["out_dir"] or "x")))

    monkeypatch.setattr(pipeline.run, "run_pipeline", run_pipeline)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, text, err = cli_here(capsys, "run", config, "--out", "rel/o", "--cold")
    assert code == 0, err
    assert os.path.join(calls[-1]["cwd"], calls[-1]["out_dir"]) == str(work / "rel" / "o")
    assert calls[-1]["cold"] is True
    assert text == f"{work / 'rel' / 'o' / 'risk_map.html'}\n"
    records = _lines(err)  # every line JSON: the warning and the summary too
    assert any("a library's warning" in r["message"] for r in records)
    assert (
        records[-1]["message"]
        == f"7 cells scored, 5 seizures, 11 pings; outputs in {work / 'rel' / 'o'}"
    )
    assert all("exit_code" not in r for r in records)  # a command that succeeds has none
    code, text, err = cli_here(capsys, "run", config, "--out", "rel/o", "-q")
    assert code == 0 and err == "" and text.endswith("risk_map.html\n")
    assert calls[-1]["cold"] is False


class _FullDisk:
    """A stdout on a full disk."""

    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self):
        pass


@pytest.mark.parametrize("up_to_date", [False, True], ids=["published", "up-to-date"])
def test_a_report_that_cannot_be_written_says_what_became_of_the_set(
    tmp_path, capfd, monkeypatch, config, up_to_date
):
    """Exit 74 on a full disk; the line names the run published before the report failed,
    or says the set is unchanged when the night found it up to date (nothing published)."""
    import sys

    monkeypatch.setattr(
        pipeline.run, "run_pipeline", lambda cfg, **kw: _result(tmp_path, up_to_date=up_to_date)
    )
    capfd.readouterr()
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    code = main(["run", str(config), "--log-format", "json"])
    monkeypatch.undo()
    assert code == 74
    last = _lines(capfd.readouterr().err)[-1]
    assert last["exit_code"] == 74
    if up_to_date:
        assert last["message"].endswith("the last published set is unchanged")
    else:
        assert last["message"].endswith(f"run {RUN} had been published, whole, before that")


def test_a_bug_in_text_logs_keeps_its_traceback(tmp_path, capsys, monkeypatch, config):
    """70 and the traceback (its lines escaped), the message itself on one line."""

    def run_pipeline(cfg, **kwargs):
        raise RuntimeError("boom\nsecond")

    monkeypatch.setattr(pipeline.run, "run_pipeline", run_pipeline)
    code, _, err = cli_here(capsys, "run", config, "--log-format", "text")
    assert code == 70
    lines = err.splitlines()
    assert (
        lines[0].startswith("route-risk: internal error")
        and "RuntimeError: boom\\nsecond" in lines[0]
    )
    assert "Traceback (most recent call last):" in lines and len(lines) > 3


def test_demo_puts_its_data_under_the_working_folders_out_demo_with_the_seeded_data(
    tmp_path, capsys, monkeypatch
):
    """``route-risk demo`` (help: default out/demo) writes the generator's seeded data (its
    default seed) and runs the packaged config on it, wherever the command is started."""
    made, ran = [], []
    seed = inspect.signature(pipeline.demo.generate_demo).parameters["seed"].default
    monkeypatch.setattr(pipeline.demo, "generate_demo", lambda d, seed: made.append((d, seed)))

    def run_pipeline(cfg, **kwargs):
        ran.append((cfg, kwargs))
        raise ConfigError("stop here")

    monkeypatch.setattr(pipeline.run, "run_pipeline", run_pipeline)
    monkeypatch.delenv("ROUTE_RISK_DEMO_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    code, _, err = cli_here(capsys, "demo")
    assert code == 2 and "stop here" in err
    data = tmp_path / "out" / "demo" / "inputs"
    assert made == [(data, seed)]
    cfg, kwargs = ran[0]
    assert Path(kwargs["out_dir"]) == tmp_path / "out" / "demo"
    assert Path(cfg.inputs.seizures[0].path) == data / "seizures.csv"


def test_v_before_and_after_the_subcommand_add_up(tmp_path, capsys):
    """``-v run CONFIG -v`` is ``-vv`` (debug): -v is counted anywhere on the line.

    Before: the subcommand's count started again from nothing and replaced the first, so
    the debug lines a night was started for were missing from its log.
    """
    code, _, err = cli_here(capsys, "-v", "status", tmp_path / "nothing", "-v")
    assert code == 2, err
    logging.getLogger("pipeline.probe").debug("probe DEBUG")
    assert "probe DEBUG" in capsys.readouterr().err


def test_a_logged_tracebacks_terminal_escapes_are_escaped_in_text_logs(tmp_path, capsys):
    """A traceback in a text log keeps its lines, each escaped as a message is: an ESC in
    an exception's text (a file name) never reaches the terminal."""
    code, _, _ = cli_here(capsys, "status", tmp_path / "nothing", "--log-format", "text")
    assert code == 2
    try:
        raise ValueError("bad \x1b[2J name")
    except ValueError:
        logging.getLogger("pipeline.probe").exception("it failed")
    err = capsys.readouterr().err
    assert "ValueError: bad \\x1b[2J name" in err and "\x1b" not in err
    assert "Traceback (most recent call last):" in err.splitlines()


def test_status_says_why_nothing_is_published_from_the_folder(tmp_path, capsys):
    """The 'published' line says what the folder shows.

    Before: it was read from the last run's record, so a published run whose folder was
    deleted before a failed night was "no complete run yet", and a published run whose
    manifest cannot be read was a folder "missing" while it is there.
    """
    now = dt.datetime.now(dt.UTC)
    out = _folder(tmp_path, finished=now, started=now)
    failed = out / "runs" / LATER
    failed.mkdir()
    (failed / "status.json").write_text(json.dumps({"status": "failed", "error": "x"}))
    manifest = out / "runs" / RUN / "manifest.json"
    manifest.write_text("{}")  # damaged: the folder is there, what it published is unknown
    code, text, _ = cli_here(capsys, "status", out)
    assert code == 1
    assert f"published      nothing readable (the manifest of the published run {RUN}" in text
    assert "missing" not in text.split("ATTENTION")[0]
    manifest.unlink()
    (out / "runs" / RUN).rmdir()  # deleted after the run: the next good run publishes again
    code, text, _ = cli_here(capsys, "status", out)
    assert code == 1
    assert "published      nothing (the published run's folder is missing)" in text
    assert "no complete run yet" not in text
    assert f"last run       {LATER}  failed" in text  # the newest run, not the one gone
    code, listed, _ = cli_here(capsys, "history", out, "--json")
    assert code == 0 and [r["run_id"] for r in json.loads(listed)] == [RUN, LATER]  # oldest first
    (out / "current").unlink()  # a folder that never published: nothing yet
    code, text, _ = cli_here(capsys, "status", out)
    assert code == 1 and "published      nothing (no complete run yet)" in text


def test_status_during_a_folders_first_run_says_it_is_in_progress(tmp_path, capsys):
    """While the first run of a folder holds the lock (its staging folder, no run folder
    yet), status says the run is in progress and nothing is published yet, exit 1 (needs
    attention: no map), never a user error (exit 2, as it was) or a traceback; a killed first
    run (nobody holds the lock) is a run that needs attention (exit 1)."""
    import fcntl

    out = tmp_path / "out"
    (out / "runs" / f".staging-{RUN}").mkdir(parents=True)
    with open(out / ".route-risk.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, text, err = cli_here(capsys, "status", out)
        assert code == 1 and "exc_info" not in err
        assert "last run       none finished yet (the folder's first run is in progress)" in text
        assert "running        a run is in progress" in text
        assert f"first run ({RUN}) is in progress" in text
        code, text, _ = cli_here(capsys, "status", out, "--json")
        st = json.loads(text)
        assert code == 1 and st["running"] is True and st["last_run"] is None
        assert st["published"] is None and len(st["attention"]) == 1
    code, text, _ = cli_here(capsys, "status", out)
    assert code == 1 and f"{RUN}  killed" in text


def test_a_runs_json_log_lines_carry_its_run_id(small_demo, tmp_path, capsys):
    """Every JSON line logged once the run has its id names it (``run_id``, as the manifest
    says), the summary that ends the command too, so a log collector can group a night's
    lines; the next command in the process (status) starts without one."""
    from conftest import LIGHT, small_config

    import pipeline.run

    cfg = small_config(small_demo, tmp_path, **LIGHT)
    code, _, err = cli_here(capsys, "run", str(cfg.source), "-v", "--log-format", "json")
    assert code == 0, err
    run_id = json.loads((tmp_path / "out" / "manifest.json").read_text())["run_id"]
    lines = _lines(err)
    labelled = [line for line in lines if "run_id" in line]
    assert len(labelled) >= 5 and {line["run_id"] for line in labelled} == {run_id}
    first = lines.index(labelled[0])
    missing = [line for line in lines[first:] if "run_id" not in line]
    assert not missing, missing
    code, _, err = cli_here(capsys, "status", str(tmp_path / "out"), "--log-format", "json")
    assert all("run_id" not in line for line in _lines(err))
    assert pipeline.run.current_run_id() is None


def test_status_names_a_complete_run_that_was_never_switched_to(tmp_path, capsys):
    """A run killed between putting its whole folder in place and switching ``current`` to
    it is complete and unpublished: the 'published' line said "no complete run yet"."""
    now = dt.datetime.now(dt.UTC)
    out = _folder(tmp_path, finished=now, started=now)
    (out / "current").unlink()  # the switch never happened
    code, text, _ = cli_here(capsys, "status", out)
    assert code == 1
    assert f"published      nothing (the complete run {RUN} was never switched to)" in text
    assert "no complete run yet" not in text
    assert "finished but is not the published one" in text  # the attention line says how
