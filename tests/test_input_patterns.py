"""Inputs named by a pattern: a folder a feed fills with a file a day, read by one config.

A nightly job reads an AIS feed that drops one file a day (``aisdk-2024-01-01.csv``, the
Danish Maritime Authority's daily files; MarineCadastre's ``AIS_2024_01_01.zip``) and an
export folder of seizure records.  ``inputs.tracks[].path: /data/ais/aisdk-*.csv`` names
them all: each run reads the files it matches then (sorted by path, one input each with the
pattern's options), so a day's file is picked up without a config change, it is the only file
parsed (the others come from the per-file ingest cache), and the published tables are those
of a cold run given the same files one by one.  A pattern matching nothing is refused (exit
2): a folder not mounted must not publish a map without its data.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from conftest import QUICK, small_config
from test_cli import cli_here

pytestmark = IGNORE_PENDING_DEPRECATION


@pytest.fixture(scope="module")
def daily(small_demo: Path, tmp_path_factory) -> Path:
    """The small demo's AIS pings split into one file a day (``ais/ais-YYYY-MM-DD.csv``)."""
    root = tmp_path_factory.mktemp("daily")
    ais = pd.read_csv(small_demo / "inputs" / "ais.csv", dtype=str, keep_default_na=False)
    days = ais["timestamp"].str[:10]
    folder = root / "all-days"
    folder.mkdir()
    for day in sorted(days.unique()):
        ais[days == day].to_csv(folder / f"ais-{day}.csv", index=False)
    return folder


def _feed(daily: Path, where: Path, n: int) -> Path:
    """A feed folder holding the first ``n`` daily files (copies: their times are theirs)."""
    where.mkdir(parents=True, exist_ok=True)
    for f in sorted(daily.glob("ais-*.csv"))[:n]:
        if not (where / f.name).exists():
            shutil.copyfile(f, where / f.name)
    return where


def _config(small_demo, tmp_path, tracks, out: Path, **sections):
    cfg = small_config(small_demo, tmp_path, inputs={"tracks": tracks}, **QUICK, **sections)
    return cfg.model_copy(update={"run": cfg.run.model_copy(update={"out_dir": out})})


# -- expanding a pattern ---------------------------------------------------------------------


def test_a_pattern_becomes_one_input_per_file_sorted_with_its_options(small_demo, tmp_path):
    from pipeline.runner.inputs import expand_patterns

    feed = tmp_path / "feed"
    (feed / "2024" / "02").mkdir(parents=True)
    for name in ("b.csv", "a.csv", ".a.csv.swp", "notes.txt", "2024/02/c.csv"):
        (feed / name).write_text("x\n")
    (feed / "folder.csv").mkdir()  # a folder the pattern matches is left out
    explicit = small_demo / "inputs" / "ais.csv"
    cfg = _config(
        small_demo,
        tmp_path,
        [
            {"path": str(explicit)},
            {"path": str(feed / "*.csv"), "speed_unit": "kn", "dayfirst": True},
            {"path": str(feed / "**" / "c.csv")},
        ],
        tmp_path / "out",
    )
    expanded, patterns = expand_patterns(cfg)
    paths = [str(s.path) for s in expanded.inputs.tracks]
    assert paths == [
        str(explicit),
        str(feed / "a.csv"),  # sorted; the hidden swap file and the .txt are not matched
        str(feed / "b.csv"),
        str(feed / "2024" / "02" / "c.csv"),  # ** spans folders
    ]
    assert [(s.speed_unit, s.dayfirst) for s in expanded.inputs.tracks[1:3]] == [("kn", True)] * 2
    assert [m["input"] for m in patterns] == ["tracks[1]", "tracks[2]"]
    assert patterns[0]["folders_skipped"] == [str(feed / "folder.csv")]
    assert expanded.inputs.seizures == cfg.inputs.seizures  # no pattern: as written
    # a config without patterns is returned as it is
    same, none = expand_patterns(expanded)
    assert same is expanded and none == []


def test_a_file_whose_name_looks_like_a_pattern_is_read_as_named(small_demo, tmp_path):
    from pipeline.runner.inputs import expand_patterns, is_pattern

    odd = tmp_path / "ais[1].csv"
    odd.write_text("x\n")
    (tmp_path / "ais1.csv").write_text("x\n")  # what [1] would match as a pattern
    assert not is_pattern(odd) and is_pattern(tmp_path / "ais[12].csv")
    cfg = _config(small_demo, tmp_path, [{"path": str(odd)}], tmp_path / "out")
    expanded, patterns = expand_patterns(cfg)
    assert [s.path for s in expanded.inputs.tracks] == [odd] and patterns == []


def test_a_pattern_matching_nothing_or_too_much_is_refused(small_demo, tmp_path, monkeypatch):
    from pipeline.errors import ConfigError
    from pipeline.runner import inputs as I

    (tmp_path / "feed").mkdir()
    cfg = _config(
        small_demo, tmp_path, [{"path": str(tmp_path / "feed" / "*.csv")}], tmp_path / "out"
    )
    with pytest.raises(ConfigError, match=r"inputs\.tracks\[0\]\.path: no file matches"):
        I.expand_patterns(cfg)
    (tmp_path / "feed" / "only-a-folder.csv").mkdir()
    with pytest.raises(ConfigError, match="only folders"):
        I.expand_patterns(cfg)
    for i in range(3):
        (tmp_path / "feed" / f"{i}.csv").write_text("x\n")
    monkeypatch.setattr(I, "MAX_PATTERN_FILES", 2)
    with pytest.raises(ConfigError, match="more than 2 files; narrow the pattern"):
        I.expand_patterns(cfg)


def test_a_run_whose_pattern_matches_nothing_exits_2_in_one_line_and_is_in_the_history(
    small_demo, daily, tmp_path, capsys
):
    import yaml

    feed = _feed(daily, tmp_path / "feed", 1)
    out = tmp_path / "out"
    cfg = _config(small_demo, tmp_path, [{"path": str(feed / "ais-*.csv")}], out)
    path = tmp_path / "night.yaml"
    raw = cfg.model_dump(mode="json", exclude={"source"})
    path.write_text(yaml.safe_dump(raw))
    code, _, err = cli_here(capsys, "run", str(path), "-q")
    assert code == 0, err
    for f in feed.iterdir():
        f.unlink()  # the feed's folder is empty tonight (not mounted, a feed that stopped)
    code, _, err = cli_here(capsys, "run", str(path), "-q")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "no file matches" in err
    code, text, _ = cli_here(capsys, "history", str(out), "--json")
    import json

    runs = json.loads(text)
    assert [r["status"] for r in runs] == ["ok", "refused"]
    assert "no file matches" in runs[-1]["error"]


def test_a_pattern_reaching_into_the_output_folder_is_refused(small_demo, daily, tmp_path):
    """``/data/**/*.csv`` with the output folder under /data would read the published
    ``scores.csv`` (and a run folder pruned one day): refused, as an input in ``runs/`` is."""
    import pipeline
    from pipeline.errors import ConfigError

    data = tmp_path / "data"
    _feed(daily, data / "ais", 1)
    out = data / "out"
    cfg = _config(small_demo, tmp_path, [{"path": str(data / "ais" / "*.csv")}], out)
    res = pipeline.run_pipeline(cfg)
    published = out / "runs" / res.run_id / "scores.csv"
    assert published.is_file()
    for tracks in (
        [{"path": str(data / "**" / "*.csv")}],
        [{"path": str(data / "ais" / "*.csv")}, {"path": str(published)}],
    ):
        with pytest.raises(ConfigError, match="holds the input"):
            pipeline.run_pipeline(_config(small_demo, tmp_path, tracks, out))


# -- nights ----------------------------------------------------------------------------------


@pytest.mark.slow  # three small runs
def test_a_days_file_joining_the_pattern_is_the_only_file_parsed_and_equals_a_cold_run(
    small_demo, daily, tmp_path
):
    import pipeline

    feed = _feed(daily, tmp_path / "feed", 2)
    out = tmp_path / "out"
    cfg = _config(small_demo, tmp_path, [{"path": str(feed / "ais-*.csv")}], out)
    first = pipeline.run_pipeline(cfg)
    assert [Path(f).name for f in first.manifest["input_patterns"][0]["files"]] == sorted(
        p.name for p in feed.iterdir()
    )
    _feed(daily, feed, 3)  # the night's file arrives; the config is the same
    night = pipeline.run_pipeline(cfg)
    assert not night.up_to_date
    files = night.manifest["input_patterns"][0]["files"]
    assert len(files) == 3
    cached = {Path(e["path"]).name: e["cached"] for e in night.manifest["inputs"]["tracks"]}
    assert cached == {
        Path(files[0]).name: True,
        Path(files[1]).name: True,
        Path(files[2]).name: False,
    }
    assert all(
        f.get("pattern") == str(feed / "ais-*.csv") for f in night.manifest["input_files"][1:4]
    )
    # the same files named one by one, cold, into a fresh folder: the same tables
    cold_cfg = _config(small_demo, tmp_path / "c", [{"path": f} for f in files], tmp_path / "cold")
    cold = pipeline.run_pipeline(cold_cfg, cold=True)
    for name, entry in cold.manifest["outputs"].items():
        if name != "map":
            assert night.manifest["outputs"][name]["sha256"] == entry["sha256"], name
    # an unchanged feed is up to date; the pattern itself is not what the key holds
    assert pipeline.run_pipeline(cfg).up_to_date


# -- status and freshness --------------------------------------------------------------------


def _age(path: Path, days: float) -> None:
    t = time.time() - days * 86400
    os.utime(path, (t, t))


def test_the_files_of_a_pattern_are_fresh_while_its_newest_file_is(tmp_path):
    from pipeline.runner.inputs import describe_stale, input_freshness

    now = dt.datetime.now(dt.UTC)

    def entry(name, days, pattern="/feed/*.csv"):
        when = (now - dt.timedelta(days=days)).isoformat(timespec="seconds")
        return {"path": f"/feed/{name}", "modified": when, "pattern": pattern}

    feed = [entry("a.csv", 30), entry("b.csv", 10), entry("c.csv", 0.5)]
    alone = {"path": "/x/ports.csv", "modified": (now - dt.timedelta(days=9)).isoformat()}
    ages = input_freshness([*feed, alone], 2, now)
    assert [a["stale"] for a in ages] == [False, False, False, True]
    ages = input_freshness([*feed[:2], alone], 2, now)  # the newest file stopped coming
    assert [a["stale"] for a in ages] == [True, True, True]
    said = describe_stale([a for a in ages if a["stale"]])
    assert said == ["'ports.csv' (9.0 days)", "'/feed/*.csv' (its newest file 10.0 days)"]


def test_status_says_what_a_pattern_matches_now(small_demo, daily, tmp_path, capsys):
    import json

    import pipeline
    from pipeline.runner.inputs import pattern_matches

    feed = _feed(daily, tmp_path / "feed", 2)
    out = tmp_path / "out"
    pattern = str(feed / "ais-*.csv")
    cfg = _config(small_demo, tmp_path, [{"path": pattern}], out, run={"max_input_age_days": 2})
    pipeline.run_pipeline(cfg)
    code, text, _ = cli_here(capsys, "status", str(out), "--json")
    st = json.loads(text)
    assert code == 0, st["attention"]
    assert st["patterns"][0]["files"] == 2 and st["patterns"][0]["new_since_run"] == []
    # a day arrives, the oldest rolls off: no attention (the next run reads the new set)
    first = sorted(feed.iterdir())[0]
    first.unlink()
    third = sorted(daily.glob("ais-*.csv"))[2]
    shutil.copyfile(third, feed / third.name)
    code, text, _ = cli_here(capsys, "status", str(out), "--json")
    st = json.loads(text)
    assert code == 0, st["attention"]
    (p,) = st["patterns"]
    assert p["gone_since_run"] == [str(first)] and len(p["new_since_run"]) == 1
    code, text, _ = cli_here(capsys, "status", str(out))
    assert f"{pattern}  2 file(s) now" in text and "1 new, 1 gone" in text
    assert text.count("ais-") == 1  # one line for the pattern, not one per file
    # every file old: the feed is stale, said once for the pattern
    for f in pattern_matches(pattern)[0]:
        _age(Path(f), 5)
    code, text, _ = cli_here(capsys, "status", str(out), "--json")
    st = json.loads(text)
    assert code == 1
    assert [a for a in st["attention"] if "input pattern" in a] == [
        f"input pattern {pattern!r} (its newest file 5.0 days): no file it matches changed "
        "within run.max_input_age_days 2.0"
    ]
    # the folder emptied: the next run is refused, and status says so now
    for f in feed.iterdir():
        f.unlink()
    code, text, _ = cli_here(capsys, "status", str(out), "--json")
    assert code == 1 and any("matches no file now" in a for a in json.loads(text)["attention"])


def test_validate_lists_what_a_pattern_matches(small_demo, daily, tmp_path, capsys):
    import yaml

    feed = _feed(daily, tmp_path / "feed", 3)
    cfg = _config(small_demo, tmp_path, [{"path": str(feed / "ais-*.csv")}], tmp_path / "out")
    path = tmp_path / "v.yaml"
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json", exclude={"source"})))
    code, text, err = cli_here(capsys, "validate", str(path))
    assert code == 0, err
    assert "3 track" in text and f"inputs.tracks[0] {str(feed / 'ais-*.csv')!r}: 3 file(s)" in text


def test_a_feed_of_seizure_exports_rejects_a_late_repeat_with_its_first_file_and_line(tmp_path):
    """Each file is compared only with the earlier files whose times meet its own (a feed
    of 300 monthly exports compared each with all before it: 55 s of a 63 s night); a
    record repeated months later is still found, and so is one inside a wide earlier file."""
    from pipeline.ingest import read_seizures, reject_repeated_records

    def export(name: str, days: list[str]) -> Path:
        path = tmp_path / name
        rows = [f"{d},10.5,-61.{i},cocaine" for i, d in enumerate(days)]
        path.write_text("date,lat,lon,drug\n" + "\n".join(rows) + "\n")
        return path

    files = [export(f"m{m}.csv", [f"2024-{m:02d}-0{d}" for d in (1, 2, 3)]) for m in (1, 2, 3)]
    wide = export("wide.csv", ["2023-06-01", "2024-12-01"])  # spans the months above
    late = tmp_path / "late.csv"  # m2.csv's line 3, wide.csv's line 3, a new record
    late.write_text(
        "date,lat,lon,drug\n2024-02-02,10.5,-61.1,cocaine\n2024-12-01,10.5,-61.1,cocaine\n"
        "2024-07-07,10.5,-61.1,cocaine\n"
    )
    seen: list[pd.DataFrame] = []
    for path in [*files, wide]:
        res = reject_repeated_records(read_seizures(path), seen)
        assert "duplicate_across_files" not in res.by_rule
        seen.append(res.frame)
    late_res = reject_repeated_records(read_seizures(late), seen)
    rep = late_res.rejects[late_res.rejects["rule"] == "duplicate_across_files"]
    assert rep["row"].tolist() == [2, 3]
    assert rep["value"].tolist() == ["m2.csv line 3", "wide.csv line 3"]
    assert len(late_res.frame) == 1


def test_a_run_hashes_each_input_file_once(small_demo, daily, tmp_path, monkeypatch):
    """The manifest's hashes (taken at the start) key the ingest caches too: a year of
    daily files was read twice a night, once for the manifest and once for the cache key."""
    import pipeline
    import pipeline.io
    from pipeline.runner import inputs as I
    from pipeline.runner import stages as ST

    feed = _feed(daily, tmp_path / "feed", 3)
    cfg = _config(small_demo, tmp_path, [{"path": str(feed / "ais-*.csv")}], tmp_path / "out")
    hashed: list[str] = []

    def counting(path, *a, **k):
        hashed.append(os.fspath(path))
        return pipeline.io.sha256_file(path, *a, **k)

    monkeypatch.setattr(I, "sha256_file", counting)
    monkeypatch.setattr(ST._state, "sha256_file", counting)
    res = pipeline.run_pipeline(cfg)
    inputs = [f["path"] for f in res.manifest["input_files"]]
    assert sorted(hashed) == sorted(inputs)  # each once: tracks, seizures, the raster


def test_a_file_changed_since_the_start_is_hashed_again_for_its_cache_key(small_demo, tmp_path):
    """The start-of-run hash keys a cache entry only while the file is as it was hashed:
    a file rewritten since is hashed again (and the run ends unpublished, cfc50be)."""
    from pipeline.io import sha256_file
    from pipeline.runner.inputs import input_identities
    from pipeline.runner.stages import RunState

    path = tmp_path / "day.csv"
    path.write_text("mmsi,timestamp,lat,lon\n1,2024-01-01T00:00:00Z,10,10\n")
    state = RunState.__new__(RunState)
    state.input_hashes = {str(path): sha256_file(path)}
    state.input_identities = input_identities([path])
    assert state.file_sha(path) == sha256_file(path)
    state.input_hashes[str(path)] = "0" * 64  # what a start hash of other bytes would be
    assert state.file_sha(path) == "0" * 64  # unchanged file: the start hash is used
    path.write_text("mmsi,timestamp,lat,lon\n22,2024-01-01T00:00:00Z,10,10\n")  # rewritten
    assert state.file_sha(path) == sha256_file(path)


def test_a_file_named_and_matched_is_read_once_as_named(small_demo, tmp_path):
    """A file the config names (with its own options) and a pattern also matches, or two
    patterns both match, was read twice: the second reading rejected whole as repeats."""
    from pipeline.runner.inputs import describe_pattern, expand_patterns

    feed = tmp_path / "feed"
    feed.mkdir()
    for name in ("ais-1.csv", "ais-2.csv", "ais-3.csv"):
        (feed / name).write_text("x\n")
    cfg = _config(
        small_demo,
        tmp_path,
        [
            {"path": str(feed / "ais-*.csv")},
            {"path": str(feed / "ais-2.csv"), "speed_unit": "kn"},  # named after the pattern
            {"path": str(feed / "*-3.csv")},  # all its files an earlier pattern matched
        ],
        tmp_path / "out",
    )
    expanded, patterns = expand_patterns(cfg)
    got = [(Path(s.path).name, s.speed_unit) for s in expanded.inputs.tracks]
    assert got == [("ais-1.csv", "auto"), ("ais-3.csv", "auto"), ("ais-2.csv", "kn")]
    assert patterns[0]["named_elsewhere"] == [str(feed / "ais-2.csv")]
    assert patterns[1]["files"] == [] and patterns[1]["named_elsewhere"] == [
        str(feed / "ais-3.csv")
    ]
    assert "1 read as another input names them" in describe_pattern(patterns[0])


# -- a feed whose newest file is still being written (settle_minutes) ------------------------


def test_a_file_modified_within_settle_minutes_is_left_for_a_later_run(small_demo, tmp_path):
    """A logger appending to the day's file all day made every night that read it end
    'modified while the run read it' (exit 2): with ``settle_minutes`` such a file is left
    out, said, and read once it has settled."""
    from pipeline.errors import ConfigError
    from pipeline.runner.inputs import describe_pattern, expand_patterns

    feed = tmp_path / "feed"
    feed.mkdir()
    for name in ("ais-1.csv", "ais-2.csv", "ais-3.csv"):
        (feed / name).write_text("x\n")
    now = time.time()
    for name, minutes_ago in (("ais-1.csv", 600), ("ais-2.csv", 31), ("ais-3.csv", 5)):
        os.utime(feed / name, (now - minutes_ago * 60,) * 2)
    pattern = str(feed / "ais-*.csv")

    def expand(settle, when=now, path=pattern):
        cfg = _config(
            small_demo, tmp_path, [{"path": path, "settle_minutes": settle}], tmp_path / "out"
        )
        return expand_patterns(cfg, now=when)

    expanded, (m,) = expand(30)
    assert [Path(s.path).name for s in expanded.inputs.tracks] == ["ais-1.csv", "ais-2.csv"]
    assert m["settle_minutes"] == 30 and [u["path"] for u in m["unsettled"]] == [
        str(feed / "ais-3.csv")
    ]
    assert m["unsettled"][0]["modified"].endswith("+00:00")
    assert "1 modified within settle_minutes (30) left for a later run" in describe_pattern(m)
    assert "'ais-3.csv'" in describe_pattern(m)
    # the minutes are the option's: 60 leaves two, none leaves none (key absent)
    assert len(expand(60)[1][0]["unsettled"]) == 2
    _, (plain,) = expand(None)
    assert len(plain["files"]) == 3 and "unsettled" not in plain
    # a file modified after the run's start (a write since, or a writer's clock ahead)
    assert len(expand(1, when=now - 3600)[1][0]["unsettled"]) == 2
    with pytest.raises(ConfigError, match=r"every file .* matches \(3\) was modified within"):
        expand(24 * 60)
    with pytest.raises(ConfigError, match="settle_minutes applies to a path that is a pattern"):
        expand(10, path=str(feed / "ais-1.csv"))


def test_a_companion_written_last_keeps_its_file_unsettled(tmp_path):
    from pipeline.runner.inputs import unsettled_files

    shp = tmp_path / "tracks.shp"
    for suffix in (".shp", ".shx", ".dbf"):
        shp.with_suffix(suffix).write_bytes(b"x")
    now = time.time()
    for suffix in (".shp", ".shx"):
        os.utime(shp.with_suffix(suffix), (now - 3600,) * 2)
    os.utime(shp.with_suffix(".dbf"), (now - 60,) * 2)  # the records, written last
    assert list(unsettled_files([str(shp)], 10, now)) == [str(shp)]
    assert unsettled_files([str(shp)], 0.5, now) == {}
    assert unsettled_files([str(tmp_path / "gone.shp")], 10, now) == {}


def test_a_nightly_feed_with_a_file_being_written_reads_it_the_night_it_settled(
    small_demo, daily, tmp_path, capsys
):
    import json

    import pipeline

    feed = _feed(daily, tmp_path / "feed", 3)
    for f in sorted(feed.iterdir())[:2]:
        _age(f, 1)
    today = sorted(feed.iterdir())[2]  # just written: the logger is still appending
    out = tmp_path / "out"
    pattern = str(feed / "ais-*.csv")
    cfg = _config(small_demo, tmp_path, [{"path": pattern, "settle_minutes": 30}], out)
    first = pipeline.run_pipeline(cfg)
    (m,) = first.manifest["input_patterns"]
    assert [Path(f).name for f in m["files"]] == [f.name for f in sorted(feed.iterdir())[:2]]
    assert [u["path"] for u in m["unsettled"]] == [str(today)]
    assert str(today) not in {f["path"] for f in first.manifest["input_files"]}
    # status: the file is not "new since the run" but the one being written then
    code, text, _ = cli_here(capsys, "status", str(out), "--json")
    (p,) = json.loads(text)["patterns"]
    assert code == 0 and p["new_since_run"] == [] and p["left_unsettled"] == [str(today)]
    code, text, _ = cli_here(capsys, "status", str(out))
    assert "0 new, 0 gone, 0 changed since the run, 1 being written at the run" in text
    # still being written: the same inputs, up to date
    assert pipeline.run_pipeline(cfg).up_to_date
    # settled: read, the other two from the ingest cache, and a longer settle_minutes
    # changes which files are read, not how (no file parsed again for it)
    _age(today, 1)
    longer = cfg.model_copy(
        update={
            "inputs": cfg.inputs.model_copy(
                update={"tracks": [cfg.inputs.tracks[0].model_copy(update={"settle_minutes": 45})]}
            )
        }
    )
    night = pipeline.run_pipeline(longer)
    assert not night.up_to_date
    (m,) = night.manifest["input_patterns"]
    assert len(m["files"]) == 3 and m["unsettled"] == []
    cached = {Path(e["path"]).name: e["cached"] for e in night.manifest["inputs"]["tracks"]}
    assert cached == {f.name: f != today for f in sorted(feed.iterdir())}
    # the tables of the night it settled are those of a cold run naming the same files
    cold_cfg = _config(
        small_demo, tmp_path / "c", [{"path": f} for f in m["files"]], tmp_path / "k"
    )
    cold = pipeline.run_pipeline(cold_cfg, cold=True).manifest["outputs"]
    assert {n: e["sha256"] for n, e in night.manifest["outputs"].items() if n != "map"} == {
        n: e["sha256"] for n, e in cold.items() if n != "map"
    }


def test_a_feed_file_written_during_the_run_names_settle_minutes(
    small_demo, daily, tmp_path, monkeypatch
):
    """The refusal of a file written while the run read it names the option that avoids it
    when the file came from a pattern."""
    import pipeline
    import pipeline.run as R
    from pipeline.errors import SourceUnreadable

    feed = _feed(daily, tmp_path / "feed", 2)
    cfg = _config(small_demo, tmp_path, [{"path": str(feed / "ais-*.csv")}], tmp_path / "out")
    written = str(sorted(feed.iterdir())[1])
    # what the check says when the file's size or time moved during the run
    monkeypatch.setattr(R, "inputs_changed", lambda before: [written])
    with pytest.raises(SourceUnreadable) as err:
        pipeline.run_pipeline(cfg)
    assert "was modified while the run read it" in str(err.value)
    assert "set inputs.tracks[0].settle_minutes" in str(err.value)


def test_a_file_that_never_settles_is_said_after_two_days(small_demo, daily, tmp_path, capsys):
    """A logger that never starts a new file keeps its file 'being written' at every run:
    left out each night, its records would never be read.  The run dates the file by the
    first run that left it out and warns, and status needs attention, once that is more
    than two days ago while the file is still being written."""
    import datetime as dt
    import json

    from pipeline.runner.inputs import carry_unsettled_since

    feed = _feed(daily, tmp_path / "feed", 2)
    for f in feed.iterdir():
        _age(f, 3)
    live = sorted(feed.iterdir())[1]
    os.utime(live, None)  # written to now
    out = tmp_path / "out"
    pattern = str(feed / "ais-*.csv")
    cfg = _config(small_demo, tmp_path, [{"path": pattern, "settle_minutes": 30}], out)
    import pipeline

    first = pipeline.run_pipeline(cfg)
    (u,) = first.manifest["input_patterns"][0]["unsettled"]
    assert u["path"] == str(live) and u["since"] == first.manifest["started"]
    code, text, _ = cli_here(capsys, "status", str(out), "--json")
    assert code == 0, json.loads(text)["attention"]
    # as the next runs see it: the date is carried from the published run, not renewed
    started = dt.datetime.fromisoformat(first.manifest["started"])
    for days, said in ((1, 0), (2.5, 1)):
        m = {"pattern": pattern, "unsettled": [{"path": str(live), "modified": "x"}]}
        lines = carry_unsettled_since([m], first.manifest, started + dt.timedelta(days=days))
        assert m["unsettled"][0]["since"] == u["since"] and len(lines) == said
    assert "left out as still being written for 2.5 days" in lines[0]
    # another file, or the same file of another pattern, is dated anew
    m = {"pattern": pattern + "x", "unsettled": [{"path": str(live), "modified": "x"}]}
    assert carry_unsettled_since([m], first.manifest, started + dt.timedelta(days=5)) == []
    # status, three days on: attention while the file is still being written, none once
    # it settled (the next run reads it)
    later = (started + dt.timedelta(days=3)).timestamp()
    os.utime(live, (later, later))
    from pipeline.runner.status import run_status

    st = run_status(out, now=started + dt.timedelta(days=3, minutes=5))
    assert [a for a in st["attention"] if "still being written for 3.0 days" in a], st
    st = run_status(out, now=started + dt.timedelta(days=3, hours=1))
    assert not [a for a in st["attention"] if "still being written" in a], st
    # a manifest edited by hand (or another tool's) with odd entries: said, never a traceback
    manifest = out / "runs" / first.run_id / "manifest.json"
    data = json.loads(manifest.read_text())
    data["input_patterns"][0]["unsettled"] = [
        {"path": str(live), "since": "2020-01-01T00:00:00"},  # naive: no date then
        {"path": [str(live)]},
        {"path": {"a": 1}, "since": 5},
        3,
        None,
    ]
    manifest.write_text(json.dumps(data))
    for args in (("status",), ("status", "--json"), ("history",), ("history", "--json")):
        code, _, err = cli_here(capsys, args[0], str(out), *args[1:])
        assert code in (0, 1) and "Traceback" not in err, (args, err)


def test_a_file_being_written_shows_its_feed_runs(small_demo, daily, tmp_path):
    """The freshness policy counted only the files a run read: a feed whose newest file was
    left out as still being written (a file a week, appended to) was 'stale: is the feed
    still running?', and under ``freshness: fail`` no night published.  The file left out
    is part of its feed's freshness, as in ``status``; one modified in the future is a
    wrong clock, said as for a file read."""
    import pipeline
    from pipeline.errors import DataQualityError

    feed = _feed(daily, tmp_path / "feed", 3)
    for f in feed.iterdir():
        _age(f, 3)
    live = sorted(feed.iterdir())[2]
    os.utime(live, None)  # the logger is appending to it
    out = tmp_path / "out"
    policy = {"max_input_age_days": 2, "freshness": "fail"}
    tracks = [{"path": str(feed / "ais-*.csv"), "settle_minutes": 30}]
    cfg = _config(small_demo, tmp_path, tracks, out, run=policy)
    res = pipeline.run_pipeline(cfg)
    assert [u["path"] for u in res.manifest["input_patterns"][0]["unsettled"]] == [str(live)]
    assert res.manifest["freshness"]["stale"] == []
    ahead = time.time() + 86400  # the writer's clock a day ahead: its feed's age unknown
    os.utime(live, (ahead, ahead))
    with pytest.raises(DataQualityError, match=rf"'{live.name}' \(modified [\d.]+ days in the fu"):
        pipeline.run_pipeline(cfg)


def test_a_companion_written_while_the_run_reads_it_is_a_change(tmp_path):
    """The check of inputs written while the run read them looked at the files the config
    names only: a Shapefile's ``.dbf`` (its records) rewritten during the run was read
    half-written and published with the hash taken at the start."""
    from pipeline.runner.inputs import input_identities, inputs_changed

    shp = tmp_path / "tracks.shp"
    for suffix in (".shp", ".shx", ".dbf"):
        shp.with_suffix(suffix).write_bytes(b"x")
    before = input_identities([shp])
    assert inputs_changed(before) == []
    with open(shp.with_suffix(".dbf"), "ab") as f:  # the records, written last
        f.write(b"more records")
    assert inputs_changed(before) == [str(shp.with_suffix(".dbf"))]
    shp.with_suffix(".shx").unlink()
    assert inputs_changed(before) == [str(shp.with_suffix(s)) for s in (".dbf", ".shx")]


def test_what_a_file_left_out_costs_is_said_and_only_a_real_date_is_carried():
    """Three silences of a file left out as still being written: a file the published run
    read, left out now (its records vanish from the tables for the night), was said at
    -v only; one modified in the future (a wrong clock: left out until then) likewise; and
    a ``since`` that is no time with its offset, or is after the run's start (a clock set
    back), was carried from run to run, holding the two days' warning off for good."""
    from pipeline.runner.inputs import carry_unsettled_since

    start = dt.datetime(2026, 6, 30, 2, 15, tzinfo=dt.UTC)
    iso = functools.partial(dt.datetime.isoformat, timespec="seconds")

    def feed(modified=start, **u):
        left = {"path": "/f/b.csv", "modified": iso(modified), **u}
        return [{"pattern": "/f/*.csv", "files": ["/f/a.csv"], "unsettled": [left]}]

    later = start + dt.timedelta(days=3)
    for since in ("2020-01-01T00:00:00", 5, None, iso(start + dt.timedelta(days=30))):
        now = feed()
        assert carry_unsettled_since(now, {"input_patterns": feed(since=since)}, later) == []
        assert now[0]["unsettled"][0]["since"] == iso(later), since
    now = feed()
    (said,) = carry_unsettled_since(now, {"input_patterns": feed(since=iso(start))}, later)
    assert "left out as still being written for 3.0 days" in said
    # the published run read the file
    previous = {"input_patterns": [{"pattern": "/f/*.csv", "files": ["/f/a.csv", "/f/b.csv"]}]}
    (said,) = carry_unsettled_since(feed(), previous, start)
    assert said.startswith("'/f/b.csv' ('/f/*.csv'), read by the published run, was modified")
    # modified a day after the run's start
    (said,) = carry_unsettled_since(feed(start + dt.timedelta(days=1)), None, start)
    assert "is modified 1.00 days in the future (a clock is wrong" in said
