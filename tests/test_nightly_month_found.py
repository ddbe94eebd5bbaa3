"""An operator's month of nights: what the monitor and the scheduler saw that was wrong.

Each test names what went wrong before its fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import LIGHT, small_config

import pipeline
from pipeline.cli import main
from pipeline.errors import SourceUnreadable
from pipeline.run import run_history, run_status

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def _published(small_demo, tmp_path: Path) -> tuple[Path, str]:
    """A folder with one published light run (a copy would not be up to date: its
    ``out_dir`` is part of the run's key): the folder and the run's id."""
    res = pipeline.run_pipeline(small_config(small_demo, tmp_path, **LIGHT))
    return res.out_dir, res.run_id


def _failed_night(small_demo, tmp_path: Path) -> None:
    """A night whose track file was missing (a mount that failed): the run fails."""
    missing = {"rasters": [], "tracks": [{"path": str(tmp_path / "gone" / "ais.csv")}]}
    cfg = small_config(
        small_demo,
        tmp_path / "bad",
        **{**LIGHT, "inputs": missing},
        run={"out_dir": str(tmp_path / "out")},
    )
    with pytest.raises(SourceUnreadable):
        pipeline.run_pipeline(cfg)


def test_a_night_up_to_date_after_a_failed_one_is_the_last_run(small_demo, tmp_path):
    # Before: the file came back unchanged, the next night was "up to date" (exit 0) but
    # left no record, so `status` said "the last run ... is failed" (exit 1) every morning
    # until an input changed: a monitor paged for a folder that was fine.
    out, run_id = _published(small_demo, tmp_path)
    _failed_night(small_demo, tmp_path)
    assert run_status(out)["last_run"]["status"] == "failed"
    again = pipeline.run_pipeline(small_config(small_demo, tmp_path, **LIGHT))
    assert again.up_to_date and again.run_id == run_id
    st = run_status(out)
    assert st["attention"] == [] and st["last_run"]["status"] == "up_to_date", st["attention"]
    assert st["published"]["run_id"] == run_id
    history = run_history(out)
    assert [r["status"] for r in history] == ["ok", "failed", "up_to_date"]
    assert history[-1]["matched"] == run_id and not history[-1]["published"]
    # a night up to date after a good one still leaves no folder
    pipeline.run_pipeline(small_config(small_demo, tmp_path, **LIGHT))
    assert len(run_history(out)) == 3


def test_a_lowered_keep_runs_prunes_on_a_night_up_to_date(small_demo, tmp_path):
    # Before: run.keep_runs lowered to make room was not acted on while the inputs did not
    # change: every night was "up to date" and pruned nothing.
    out, run_id = _published(small_demo, tmp_path)
    for _ in range(3):
        _failed_night(small_demo, tmp_path)
    assert len(run_history(out)) == 4
    pipeline.run_pipeline(small_config(small_demo, tmp_path, **LIGHT, run={"keep_runs": 1}))
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert run_id in runs and len(runs) == 2, runs  # the published run and tonight's


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "{tmp}/nothing", "--json"],
        ["history", "{tmp}/nothing", "--json"],
        ["status", "{tmp}/out", "--json"],  # its `current` is not route-risk's link
        ["ingest", "seizures", "{tmp}/none.csv", "--json"],
        ["status", "{tmp}/out", "--json", "--max-map-age", "soon"],  # refused by argparse
    ],
)
def test_json_output_is_json_on_an_error_too(tmp_path, capsys, argv):
    # Before: `route-risk status OUT --json | jq .attention` got an empty stdout on any
    # error (the one line went to the log only): "parse error" in place of the reason.
    (tmp_path / "out" / "runs").mkdir(parents=True)
    (tmp_path / "out" / "current").mkdir()
    try:
        code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    except SystemExit as exc:
        code = exc.code
    printed = json.loads(capsys.readouterr().out)
    assert code == 2 and printed["exit_code"] == 2 and printed["error"].startswith("error: ")


def test_a_record_of_a_night_up_to_date_that_cannot_be_written_fails_nothing(
    small_demo, tmp_path, monkeypatch, caplog
):
    """The map is up to date whether or not its night's record is written (a full disk)."""
    import logging

    from pipeline.runner import publish

    out, run_id = _published(small_demo, tmp_path)
    _failed_night(small_demo, tmp_path)

    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish, "write_status", full)
    with caplog.at_level(logging.WARNING):
        res = pipeline.run_pipeline(small_config(small_demo, tmp_path, **LIGHT))
    assert res.run_id == run_id
    assert "could not record the night up to date" in caplog.text
