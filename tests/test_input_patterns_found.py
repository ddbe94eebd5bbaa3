"""Input patterns against hostile feed folders, hand-edited manifests and files still written.

Each test pins a defect found by an adversarial review of inputs named by a pattern
(``tests/test_input_patterns.py`` holds the feature's own tests): a symbolic link looping
under ``**`` (every file read forty times), a file reached through a linked folder (read
twice), a relative pattern in a config whose folder has brackets in its name (another
folder read), a file name that is not UTF-8 (a traceback at the end of the run), a manifest
edited by hand (``route-risk status`` ended in a traceback) and a file written while the
run read it (published as if whole).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from conftest import QUICK, small_config
from test_cli import cli_here

pytestmark = IGNORE_PENDING_DEPRECATION


def _touch(*paths: Path) -> None:
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x\n")


def _config(small_demo, tmp_path, tracks, out: Path, **sections):
    cfg = small_config(small_demo, tmp_path, inputs={"tracks": tracks}, **QUICK, **sections)
    return cfg.model_copy(update={"run": cfg.run.model_copy(update={"out_dir": out})})


# -- what a pattern matches ------------------------------------------------------------------


def test_a_relative_pattern_is_matched_in_the_configs_folder_whatever_its_name(tmp_path):
    """A config in ``proj[1]/`` naming ``ais/*.csv`` read ``proj1/ais/`` (the folder's
    brackets read as a pattern): the config's folder is a name, only what the user wrote
    is a pattern."""
    import yaml

    import pipeline
    from pipeline.runner.inputs import expand_patterns

    home = tmp_path / "proj[1]"
    _touch(home / "ais" / "day.csv", tmp_path / "proj1" / "ais" / "other-project.csv")
    _touch(home / "seizures.csv")
    raw = {"inputs": {"seizures": [{"path": "seizures.csv"}], "tracks": [{"path": "ais/*.csv"}]}}
    (home / "c.yaml").write_text(yaml.safe_dump(raw))
    expanded, _ = expand_patterns(pipeline.load_config(home / "c.yaml"))
    assert [str(s.path) for s in expanded.inputs.tracks] == [str(home / "ais" / "day.csv")]


# -- runs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def night(small_demo, tmp_path_factory) -> Path:
    """An output folder published from a pattern of two daily files (``feed/ais-*.csv``)."""
    import pipeline

    root = tmp_path_factory.mktemp("night")
    ais = pd.read_csv(small_demo / "inputs" / "ais.csv", dtype=str, keep_default_na=False)
    days = ais["timestamp"].str[:10]
    feed = root / "feed"
    feed.mkdir()
    for day in sorted(days.unique())[:2]:
        ais[days == day].to_csv(feed / f"ais-{day}.csv", index=False)
    cfg = _config(small_demo, root, [{"path": str(feed / "ais-*.csv")}], root / "out")
    pipeline.run_pipeline(cfg)
    return root


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.__setitem__("input_patterns", 5),
        lambda m: m["input_files"][-1].__setitem__("pattern", ["a list"]),
        lambda m: m["config"]["run"].__setitem__("max_input_age_days", "2"),
    ],
    ids=["input_patterns-a-number", "a-files-pattern-a-list", "max_input_age_days-text"],
)
def test_status_of_a_manifest_edited_by_hand_is_no_traceback(night, tmp_path, capsys, edit):
    out = tmp_path / "out"
    shutil.copytree(night / "out", out, symlinks=True)
    run = os.readlink(out / "current")
    path = out / "runs" / Path(run).name / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))
    for args in ([], ["--json"]):
        code, text, err = cli_here(capsys, "status", str(out), *args)
        assert code in (0, 1), err
        assert "Traceback" not in err and "internal error" not in err
