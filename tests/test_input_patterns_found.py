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


def test_a_link_looping_under_double_star_is_walked_once(tmp_path):
    """``feed/loop -> .`` made ``feed/**/*.csv`` match every file once per level, forty
    levels deep (the kernel's link limit): each file read forty times, its copies rejected
    as repeats, or more than 100,000 matches refused as "narrow the pattern"."""
    from pipeline.runner.inputs import pattern_matches

    feed = tmp_path / "feed"
    _touch(feed / "a.csv", feed / "2024" / "b.csv")
    (feed / "loop").symlink_to(".")
    (feed / "2024" / "back").symlink_to("..")
    found = pattern_matches(str(feed / "**" / "*.csv"))
    assert found[0] == [str(feed / "2024" / "b.csv"), str(feed / "a.csv")]  # files
    assert not found[2]  # too many
    assert sorted(found.repeated) == [str(feed / "2024" / "back"), str(feed / "loop")]


def test_a_file_reached_through_a_linked_folder_is_read_once_under_its_own_name(
    small_demo, tmp_path
):
    """``feed/latest -> 2024-06`` made ``feed/*/*.csv`` name each June file twice: read
    twice (the second copy rejected whole as repeats).  Each file is read once, under the
    path without the link, and the name left out is recorded with the pattern."""
    from pipeline.runner.inputs import expand_patterns

    feed = tmp_path / "feed"
    _touch(feed / "2024-05" / "a.csv", feed / "2024-06" / "b.csv")
    (feed / "latest").symlink_to("2024-06")
    (feed / "2024-06" / "today.csv").symlink_to("b.csv")  # a link to a file beside it
    cfg = _config(small_demo, tmp_path, [{"path": str(feed / "*" / "*.csv")}], tmp_path / "out")
    expanded, (m,) = expand_patterns(cfg)
    assert [str(s.path) for s in expanded.inputs.tracks] == [
        str(feed / "2024-05" / "a.csv"),
        str(feed / "2024-06" / "b.csv"),
    ]
    assert m["files"] == [str(s.path) for s in expanded.inputs.tracks]
    assert m["repeated"] == [
        str(feed / "2024-06" / "today.csv"),
        str(feed / "latest" / "b.csv"),
        str(feed / "latest" / "today.csv"),
    ]


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


def test_a_pattern_part_naming_an_existing_folder_is_refused(small_demo, tmp_path):
    """``/data/feed[eu]/*.csv`` with a folder ``feed[eu]``: ``[eu]`` matches one letter, so
    the run read ``feede/`` (or nothing); refused in one line saying how to write it."""
    from pipeline.errors import ConfigError
    from pipeline.runner.inputs import expand_patterns

    _touch(tmp_path / "feed[eu]" / "a.csv", tmp_path / "feede" / "wrong.csv")
    pattern = str(tmp_path / "feed[eu]" / "*.csv")
    cfg = _config(small_demo, tmp_path, [{"path": pattern}], tmp_path / "out")
    with pytest.raises(ConfigError, match=r"'feed\[eu\]' is the name of a folder.*\[\[\]"):
        expand_patterns(cfg)


def test_a_matched_file_whose_name_is_not_utf8_is_refused_before_the_run(small_demo, tmp_path):
    """A seizure file named in Latin-1 ended the run in a traceback (exit 70) when its name
    reached the tables; a config naming it is refused at load, and so is a pattern now."""
    from pipeline.errors import ConfigError
    from pipeline.runner.inputs import expand_patterns

    feed = tmp_path / "feed"
    _touch(feed / "a.csv")
    try:
        (Path(os.fsdecode(os.fsencode(str(feed)) + b"/caf\xe9.csv"))).write_text("x\n")
    except (OSError, UnicodeError):  # a file system that refuses such names cannot hold one
        pytest.skip("this file system refuses names that are not UTF-8")
    cfg = _config(small_demo, tmp_path, [{"path": str(feed / "*.csv")}], tmp_path / "out")
    with pytest.raises(ConfigError, match=r"caf\\udce9\.csv.*not UTF-8"):
        expand_patterns(cfg)


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


def test_status_says_when_the_next_run_will_refuse_what_a_pattern_matches(night, tmp_path, capsys):
    """Status said only "matches no file" or "too many"; a file that arrived with a name
    that is not UTF-8 (refused by the next run) was no attention."""
    out = tmp_path / "out"
    shutil.copytree(night / "out", out, symlinks=True)
    feed = tmp_path / "feed"
    shutil.copytree(night / "feed", feed)
    try:
        Path(os.fsdecode(os.fsencode(str(feed)) + b"/caf\xe9.csv")).write_text("x\n")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    path = out / "runs" / Path(os.readlink(out / "current")).name / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["input_patterns"][0]["pattern"] = str(feed / "*.csv")  # the feed, moved here
    path.write_text(json.dumps(manifest))
    code, text, err = cli_here(capsys, "status", str(out), "--json")
    assert code == 1, err
    (said,) = [a for a in json.loads(text)["attention"] if "next run will be refused" in a]
    assert "caf\\udce9.csv" in said and "not UTF-8" in said


def test_an_input_written_while_the_run_reads_it_is_not_published(
    small_demo, night, tmp_path, capsys, monkeypatch
):
    """``curl -o feed/ais-day.csv`` writing in place as the run starts: the run read part
    of the file and published it as if whole, its manifest naming the hash of other bytes.
    It now ends in one line, exit 2, the published set as it was."""
    import yaml

    from pipeline.runner import stages

    out = tmp_path / "out"
    shutil.copytree(night / "out", out, symlinks=True)
    feed = tmp_path / "feed"
    shutil.copytree(night / "feed", feed)
    before = os.readlink(out / "current")
    day = sorted(feed.iterdir())[-1]
    ingest = stages.STAGE_FUNCTIONS["ingest"]

    def ingest_while_written(state):
        ingest(state)
        with day.open("a") as f:  # the writer goes on after the run read the file
            f.write(day.read_text().splitlines()[-1] + "\n")

    monkeypatch.setitem(stages.STAGE_FUNCTIONS, "ingest", ingest_while_written)
    cfg = _config(small_demo, tmp_path, [{"path": str(feed / "ais-*.csv")}], out)
    path = tmp_path / "night.yaml"
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json", exclude={"source"})))
    code, _, err = cli_here(capsys, "run", str(path), "-q")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1
    assert f"{str(day)!r} was modified while the run read it" in err
    assert os.readlink(out / "current") == before
    code, text, _ = cli_here(capsys, "history", str(out), "--json")
    assert json.loads(text)[-1]["status"] == "failed"
