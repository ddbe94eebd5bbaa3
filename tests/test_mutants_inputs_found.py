"""Promises of a run's inputs (``pipeline/runner/inputs.py``) a mutation check found untested.

Each test kills a hand-made mutant that left every other test passing: what a pattern
matches (checked against :func:`glob.glob`, the rules it follows), the edges of
``settle_minutes`` and of the warnings on files left out, and the freshness of a feed whose
files carry a wrong clock.  Everything is a tiny folder in ``tmp_path``; no run.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
from pathlib import Path

import pytest

import pipeline.runner.inputs as I
from pipeline.config import Config

UTC = dt.UTC


def _touch(path: Path, text: str = "x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture()
def feed(tmp_path: Path) -> Path:
    """``feed/`` with two day files, a hidden partial download that ``*.csv`` would match
    by fnmatch alone, and ``2024/`` holding a file one and two levels down."""
    root = tmp_path / "feed"
    for name in ("a.csv", "b.csv", ".c.csv", "2024/d.csv", "2024/02/e.csv", "2024/notes.txt"):
        _touch(root / name)
    return root


def _glob(pattern: str) -> list[str]:
    return sorted(set(glob.glob(pattern, recursive=True)))


@pytest.mark.parametrize("tail", ["*.csv", "**/*.csv", "**/**/*.csv", "*/", "**/"])
def test_a_pattern_matches_what_glob_matches_each_once(feed, tail):
    """Hidden names are left to a part that starts with ``.`` (a downloader's ``.c.csv``
    partial file is not a day's records), ``a/**/**/b`` is ``a/**/b`` (no file found twice
    and then reported as a second name of itself), and ``a/*/`` matches folders only."""
    pattern = os.path.join(feed, tail)
    found = I.pattern_matches(pattern)
    want = _glob(pattern)
    if tail.endswith("/"):
        assert found.files == []
        assert [f + os.sep for f in found.folders] == [w for w in want if w != str(feed) + "/"]
    else:
        assert found.files == want
        assert not any(os.path.basename(f).startswith(".") for f in found.files)
    assert found.repeated == []


def test_a_hidden_name_is_matched_by_a_part_that_starts_with_a_dot(feed):
    found = I.pattern_matches(os.path.join(feed, ".*.csv"))
    assert found.files == _glob(os.path.join(feed, ".*.csv")) == [str(feed / ".c.csv")]


def test_of_a_file_and_a_link_to_it_the_file_s_own_name_is_kept(tmp_path):
    """Two names of one file are read once, under the name without a link: a link sorted
    first (``a.csv -> z.csv``) must not give the records the link's name."""
    real = _touch(tmp_path / "feed" / "z.csv")
    (tmp_path / "feed" / "a.csv").symlink_to(real)
    found = I.pattern_matches(os.path.join(tmp_path, "feed", "*.csv"))
    assert found.files == [str(real)]
    assert found.repeated == [str(tmp_path / "feed" / "a.csv")]


def test_a_pattern_matching_exactly_the_limit_is_read_one_more_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(I, "MAX_PATTERN_FILES", 3)
    for name in ("a", "b", "c"):
        _touch(tmp_path / "feed" / f"{name}.csv")
    pattern = os.path.join(tmp_path, "feed", "*.csv")
    at_limit = I.pattern_matches(pattern)
    assert not at_limit.too_many and len(at_limit.files) == 3
    assert I.pattern_refusal(pattern, at_limit) is None
    _touch(tmp_path / "feed" / "d.csv")
    over = I.pattern_matches(pattern)
    assert over.too_many
    assert (
        I.pattern_refusal(pattern, over)
        == f"{pattern!r} matches more than 3 files; narrow the pattern"
    )


def test_settle_minutes_ends_exactly_at_its_length(tmp_path):
    """A file last modified ``settle_minutes`` ago has settled; a millisecond less has not."""
    f = _touch(tmp_path / "a.csv")
    os.utime(f, (1_700_000_000, 1_700_000_000))
    assert I.unsettled_files([str(f)], 10, 1_700_000_000 + 600.0) == {}
    assert I.unsettled_files([str(f)], 10, 1_700_000_000 + 599.999) == {
        str(f): "2023-11-14T22:13:20+00:00"
    }


def test_a_pattern_whose_files_another_input_names_is_no_feed_still_being_written(tmp_path):
    """Every file a settling pattern matches is named by another input (read as named
    there): nothing is left to read through the pattern, which is not "every file still
    being written" - the run goes on."""
    named = _touch(tmp_path / "ais" / "a.csv")
    pattern = os.path.join(tmp_path, "ais", "*.csv")
    cfg = Config.model_validate(
        {
            "inputs": {
                "seizures": [{"path": str(_touch(tmp_path / "s.csv"))}],
                "tracks": [{"path": str(named)}, {"path": pattern, "settle_minutes": 10}],
            }
        }
    )
    expanded, patterns = I.expand_patterns(cfg, now=os.stat(named).st_mtime + 1.0)
    assert [str(t.path) for t in expanded.inputs.tracks] == [str(named)]
    assert patterns[0]["files"] == [] and patterns[0]["named_elsewhere"] == [str(named)]
    assert patterns[0]["unsettled"] == []


def _left_out(now: dt.datetime, *, modified: dt.timedelta, since: dt.timedelta) -> list[dict]:
    entry = {
        "path": "/feed/a.csv",
        "modified": (now + modified).isoformat(timespec="seconds"),
        "since": (now - since).isoformat(timespec="seconds"),
    }
    return [{"pattern": "/feed/*.csv", "unsettled": [entry]}]


def test_a_file_left_out_is_said_after_two_days_not_at_two_days():
    now = dt.datetime(2024, 3, 5, 12, tzinfo=UTC)
    two = dt.timedelta(days=I.UNSETTLED_WARN_DAYS)
    at = _left_out(now, modified=-dt.timedelta(minutes=1), since=two)
    assert I.describe_long_unsettled(at, now) == []
    past = _left_out(now, modified=-dt.timedelta(minutes=1), since=two + dt.timedelta(seconds=1))
    (line,) = I.describe_long_unsettled(past, now)
    assert "left out as still being written for 2.0 days" in line


def test_a_minute_of_clock_skew_is_no_file_modified_in_the_future():
    """A writer's clock a minute ahead is within the slack (five minutes) the freshness
    check allows too; ten minutes ahead is a wrong clock and said."""
    now = dt.datetime(2024, 3, 5, 12, tzinfo=UTC)
    skew = _left_out(now, modified=dt.timedelta(minutes=1), since=dt.timedelta(0))
    assert I.describe_long_unsettled(skew, now) == []
    wrong = _left_out(now, modified=dt.timedelta(minutes=10), since=dt.timedelta(0))
    (line,) = I.describe_long_unsettled(wrong, now)
    assert "modified 0.01 days in the future" in line


def test_a_feed_s_file_from_the_future_stays_stale_however_fresh_the_feed():
    """A feed is judged by its newest file, but a file dated in the future is a wrong clock
    of its own: under a policy it is stale (said), even beside yesterday's file."""
    now = dt.datetime(2024, 3, 5, 12, tzinfo=UTC)
    files = [
        {"path": "/feed/a.csv", "modified": "2024-03-04T12:00:00+00:00", "pattern": "/feed/*"},
        {"path": "/feed/b.csv", "modified": "2024-03-06T12:00:00+00:00", "pattern": "/feed/*"},
    ]
    ages = {a["path"]: a for a in I.input_freshness(files, 3.0, now)}
    assert ages["/feed/a.csv"]["stale"] is False
    assert ages["/feed/b.csv"]["stale"] is True and ages["/feed/b.csv"]["future"] is True


def test_a_stale_feed_is_said_by_its_newest_file_whatever_their_order():
    stale = [
        {"path": "/feed/a.csv", "age_days": 4.0, "future": False, "stale": True, "pattern": "/f/*"},
        {"path": "/feed/b.csv", "age_days": 5.0, "future": False, "stale": True, "pattern": "/f/*"},
    ]
    assert I.describe_stale(stale) == ["'/f/*' (its newest file 4.0 days)"]


@pytest.mark.parametrize(
    ("name", "beside", "read_with_it"),
    [
        ("zones.gpkg", ["zones.gpkg-wal", "zones.gpkg-shm"], ["zones.gpkg-wal"]),
        ("PORTS.SHP", ["PORTS.DBF", "PORTS.SHX", "PORTS.PRJ", "PORTS.txt"], None),
        ("ports.shp", ["ports.dbf", "ports.cpg", "ports.qmd"], ["ports.cpg", "ports.dbf"]),
        ("sst.tif", ["sst.tif.aux.xml", "sst.tfw", "sst.tif.msk", "sst.xml"], None),
    ],
    ids=["gpkg-wal", "upper-case-shapefile", "shapefile", "raster"],
)
def test_the_files_a_reader_reads_beside_an_input_are_its_companions(
    tmp_path, name, beside, read_with_it
):
    """A GeoPackage's write-ahead log holds edits not yet in the file (SQLite reads it with
    the file; the ``-shm`` index is not data); a Shapefile written in capitals
    (``PORTS.SHP``, as old ArcView and DOS tools wrote them) has its records in ``PORTS.DBF``;
    GDAL reads a raster's ``.aux.xml``, world file and mask.  Their edits are changes of the
    input (hashes, cache keys, settling)."""
    path = _touch(tmp_path / name)
    for b in beside:
        _touch(tmp_path / b)
    want = read_with_it
    if want is None:  # every file beside it but the one that is no companion
        want = sorted(
            b for b in beside if not b.endswith((".txt", ".xml")) or b.endswith(".aux.xml")
        )
    assert [c.name for c in I.companion_files(path)] == sorted(want)


def test_a_file_rewritten_in_place_at_its_size_is_a_changed_input(tmp_path):
    """A download that rewrites a file in place while the run reads it keeps its inode and,
    for fixed-width records, its size: the modification time tells the change."""
    f = _touch(tmp_path / "ais.csv", "mmsi,time\n1,2\n")
    os.utime(f, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    before = I.input_identities([f])
    with open(f, "r+") as fh:  # same inode, same size
        fh.write("MMSI")
    os.utime(f, ns=(1_700_000_000_000_000_001, 1_700_000_000_000_000_001))
    assert I.inputs_changed(before) == [str(f)]


def test_the_area_polygon_is_an_input_its_edit_a_new_run_key(tmp_path):
    """``area.polygon`` decides the cells of every table: it is hashed with the inputs (the
    manifest lists it), and a night that edits only the polygon is no "up to date" run."""
    poly = _touch(
        tmp_path / "aoi.geojson",
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}',
    )
    seizures = _touch(tmp_path / "s.csv")
    cfg = Config.model_validate(
        {"inputs": {"seizures": [{"path": str(seizures)}]}, "area": {"polygon": str(poly)}}
    )
    assert I.input_paths(cfg) == [seizures, poly]
    key = I.run_key(cfg, None, I.input_files(cfg))
    poly.write_text(poly.read_text().replace("[1, 1]", "[2, 2]"))
    assert I.run_key(cfg, None, I.input_files(cfg)) != key


def test_an_input_that_is_a_folder_has_no_hash_and_no_traceback(tmp_path):
    """A config naming a folder where a file belongs: the run's start records the input
    with no hash (ingest then says what is wrong with it in one line)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    cfg = Config.model_validate({"inputs": {"seizures": [{"path": str(folder)}]}})
    (entry,) = I.input_files(cfg)
    assert entry == {"path": str(folder), "sha256": None, "bytes": None, "modified": None}
