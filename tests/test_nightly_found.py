"""An operator's hostile review of the nightly features: damaged, tampered or odd output folders."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import small_config

import pipeline
from pipeline.cli import main
from pipeline.run import run_history, run_status

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

DEEP = "[" * 100_000 + "]" * 100_000  # Python's JSON parser recurses once per level


@pytest.fixture(scope="module")
def published(small_demo, tmp_path_factory):
    """One published run on the small demo: (config, output folder, run id)."""
    base = tmp_path_factory.mktemp("found")
    cfg = small_config(small_demo, base)
    res = pipeline.run_pipeline(cfg)
    return cfg, res.out_dir, res.run_id


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
