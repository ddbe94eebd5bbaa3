"""Incremental nightly runs (issue 15): reused work is exactly the work a full run does.

A night adds a day of AIS pings (a new track file) and appends seizure rows.  Unchanged
track files are not parsed again (their spill's files are used where the cache keeps them,
or bucketed anew from those files when the number of buckets changed), and the products of
the nightly run equal those of a full run of the same inputs byte for byte.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from _corpus import CORPUS, IGNORE_PENDING_DEPRECATION

from pipeline.ingest.stream import (
    PingStore,
    record_to_spill,
    spill_to_record,
    spill_tracks,
)

pytestmark = IGNORE_PENDING_DEPRECATION


def _spill(src, folder: Path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spill_tracks(src, folder, **kw)


@pytest.mark.parametrize("n_buckets", [3, 5])
@pytest.mark.parametrize("name", ["t_generic.csv", "t_dma.csv", "t_marinecadastre.csv"])
def test_spill_record_rebuilds_the_same_spill(tmp_path, name, n_buckets):
    """A spill rebuilt from its record (any bucket count) holds the same pings and rejects."""
    src = CORPUS / name
    spill = _spill(src, tmp_path / "a", chunk_rows=3, n_buckets=3)
    record = spill_to_record(spill)
    again = record_to_spill(record, tmp_path / "b", n_buckets)
    fresh = _spill(src, tmp_path / "c", chunk_rows=3, n_buckets=n_buckets)
    assert (again.n_read, again.n_accepted, again.by_rule) == (
        fresh.n_read,
        fresh.n_accepted,
        fresh.by_rule,
    )
    assert list(again.vessels) == list(fresh.vessels)
    assert list(again.vessel_rows) == list(fresh.vessel_rows)
    assert (again.time_max, again.extent) == (fresh.time_max, fresh.extent)
    assert sorted(again.buckets) == sorted(fresh.buckets)
    for k, path in fresh.buckets.items():
        assert again.buckets[k].read_bytes() == path.read_bytes()
    a = again.write_rejects(tmp_path / "ra")
    b = fresh.write_rejects(tmp_path / "rb")
    assert a.read_bytes() == b.read_bytes()
    pa_ = PingStore([again], chunk_rows=4).write_parquet(tmp_path / "a.parquet")
    pb = PingStore([fresh], chunk_rows=4).write_parquet(tmp_path / "b.parquet")
    assert pa_.read_bytes() == pb.read_bytes()


def _many_vessels(path: Path) -> Path:
    """60 vessels of random MMSI, 5 pings each, in file order by time, and two bad lines."""
    import numpy as np

    rng = np.random.default_rng(4)
    mmsi = np.unique(rng.integers(201_000_000, 775_000_000, 60))
    rows = [
        f"{m},2024-01-01T0{h}:{i % 60:02d}:00Z,{30 + i * 0.01:.4f},{10 + h * 0.01:.4f},5"
        for h in range(5)
        for i, m in enumerate(mmsi)
    ]
    path.write_text("mmsi,timestamp,lat,lon,sog\n" + "\n".join(rows) + "\nbad,x,1,1,1\n1,2,3\n")
    return path


@pytest.mark.parametrize(("n_from", "n_to"), [(4, 8), (2, 16), (8, 2), (4, 4), (3, 5)])
@pytest.mark.parametrize("name", ["t_generic.csv", "t_dma.csv", "t_marinecadastre.csv", "many"])
def test_a_spill_bucketed_anew_is_the_spill_of_that_count(
    tmp_path, monkeypatch, name, n_from, n_to
):
    """rebucket_spill gives the bucket files (bytes), rejects and pings a fresh spill of that
    count gives; between powers of two it goes a bucket at a time (no whole-file record)."""
    import pipeline.ingest.stream as stream

    src = _many_vessels(tmp_path / "ais.csv") if name == "many" else CORPUS / name
    chunk = 70 if name == "many" else 3
    spill = _spill(src, tmp_path / "a", chunk_rows=chunk, n_buckets=n_from)
    fresh = _spill(src, tmp_path / "c", chunk_rows=chunk, n_buckets=n_to)
    if n_to % n_from == 0 or n_from % n_to == 0:

        def whole(_spill):
            raise AssertionError("the whole file's pings were read at once")

        monkeypatch.setattr(stream, "spill_to_record", whole)
    again = stream.rebucket_spill(spill, tmp_path / "b", n_to)
    assert again.counts() == fresh.counts()
    assert list(again.vessels) == list(fresh.vessels)
    assert list(again.vessel_rows) == list(fresh.vessel_rows)
    assert (again.time_max, again.extent, again.n_buckets) == (
        fresh.time_max,
        fresh.extent,
        n_to,
    )
    assert sorted(again.buckets) == sorted(fresh.buckets)
    for k, path in fresh.buckets.items():
        assert again.buckets[k].read_bytes() == path.read_bytes()
    a = again.write_rejects(tmp_path / "ra")
    assert a.read_bytes() == fresh.write_rejects(tmp_path / "rb").read_bytes()
    pa_ = PingStore([again], chunk_rows=chunk + 1).write_parquet(tmp_path / "a.parquet")
    pb = PingStore([fresh], chunk_rows=chunk + 1).write_parquet(tmp_path / "b.parquet")
    assert pa_.read_bytes() == pb.read_bytes()


def test_spill_record_of_a_file_with_rejects_keeps_them_all(tmp_path):
    rows = "mmsi,timestamp,lat,lon,sog\n" + "".join(
        f"2111111{v:02d},2024-01-01T0{h}:00:00Z,{10 + h * 0.01},{20 + v * 0.01},5\n"
        for v in range(4)
        for h in range(6)
    )
    rows += "211111100,bad time,1,1,1\n211111101,2024-01-01T00:00:00Z,95,1,1\nragged\n"
    src = tmp_path / "ais.csv"
    src.write_text(rows)
    spill = _spill(src, tmp_path / "a", chunk_rows=5, n_buckets=2)
    record = spill_to_record(spill)
    assert spill.n_rejected == 3 and len(record.rejects) == 3
    assert set(record.rejects["rule"]) == {"time_unparseable", "lat_out_of_range", "ragged_row"}
    again = record_to_spill(record, tmp_path / "b", 2)
    assert again.write_rejects(tmp_path / "x").read_bytes() == (
        spill.write_rejects(tmp_path / "y").read_bytes()
    )
    pd.testing.assert_frame_equal(PingStore([again]).to_frame(), PingStore([spill]).to_frame())


# ----------------------------------------------------------------------------- whole runs

TABLES = ("scores_csv", "scores_parquet", "features", "events", "seizures", "pings", "timeline")


def _nights(small_demo: Path, root: Path) -> tuple[dict, dict]:
    """Night 1: all but the last day of pings and 1 % of the seizures; night 2: everything."""
    import numpy as np

    inputs = small_demo / "inputs"
    root.mkdir(parents=True, exist_ok=True)
    seizures = pd.read_csv(inputs / "seizures.csv", dtype=str, keep_default_na=False)
    new = np.zeros(len(seizures), dtype=bool)
    new[np.random.default_rng(15).choice(len(seizures), len(seizures) // 100, replace=False)] = True
    seizures[~new].to_csv(root / "seizures-1.csv", index=False)
    pd.concat([seizures[~new], seizures[new]]).to_csv(root / "seizures-2.csv", index=False)
    ais = pd.read_csv(inputs / "ais.csv", dtype=str, keep_default_na=False)
    day = ais["timestamp"].str[:10]
    ais[day != day.max()].to_csv(root / "ais-history.csv", index=False)
    ais[day == day.max()].to_csv(root / "ais-last.csv", index=False)
    history = [{"path": str(root / "ais-history.csv")}]
    one = {"seizures": [{"path": str(root / "seizures-1.csv")}], "tracks": history}
    two = {
        "seizures": [{"path": str(root / "seizures-2.csv")}],
        "tracks": [*history, {"path": str(root / "ais-last.csv")}],
    }
    return one, two


def _config(small_demo: Path, tmp: Path, inputs: dict):
    from conftest import small_config

    inputs = {
        **inputs,
        "rasters": [{"path": str(small_demo / "inputs/nightlights.tif"), "name": "nightlights"}],
    }
    return small_config(
        small_demo,
        tmp,
        inputs=inputs,
        ingest={"chunk_rows": 400},  # read in chunks: the spilled path, cached per file
        transit={"smooth_events_km": 60.0},
        density={"kernel": "quartic", "bandwidth_km": 80.0},
        score={
            "factors": {
                "seizure_density": {"weight": 2},
                "vessel_hours": {"weight": 1},
                "gap_events": {"weight": 1},
                "nightlights_mean": {"weight": 1},
            }
        },
        evaluate={"enabled": False},
        # the Gi* hot spots and the FlatGeobuf copy of the scores are not among the TABLES
        # compared here (hot spots: test_hotspots, test_timeline): ~1 s of each run
        hotspots={"enabled": False},
        render={"flatgeobuf": False},
    )


def _hashes(res) -> dict[str, str]:
    return {k: res.manifest["outputs"][k]["sha256"] for k in TABLES if k in res.manifest["outputs"]}


@pytest.fixture(scope="module")
def nights(small_demo, tmp_path_factory):
    """The two nights' inputs and a full run of night 2 (the reference), made once.

    The tests below that compare with it do not change these input files.
    """
    import pipeline

    tmp = tmp_path_factory.mktemp("nights")
    one, two = _nights(small_demo, tmp / "data")
    full = pipeline.run_pipeline(
        _config(small_demo, tmp / "c3", two), out_dir=tmp / "full", force=True
    )
    return one, two, full


def test_nightly_run_equals_a_full_run_and_reuses_unchanged_work(
    small_demo, nights, tmp_path, caplog
):
    import logging

    import pipeline

    one, two, full = nights
    out = tmp_path / "nightly"
    pipeline.run_pipeline(_config(small_demo, tmp_path / "c1", one), out_dir=out)
    with caplog.at_level(logging.DEBUG, logger="pipeline"):
        nightly = pipeline.run_pipeline(_config(small_demo, tmp_path / "c2", two), out_dir=out)
    assert set(_hashes(full)) == set(TABLES)
    assert _hashes(nightly) == _hashes(full)
    for k in ("seizures", "tracks"):  # the same rejects, counts and notes
        strip = [{**e, "cached": None} for e in nightly.manifest["inputs"][k]]
        assert strip == [{**e, "cached": None} for e in full.manifest["inputs"][k]]
    # the unchanged history file was not parsed again; the new day and the seizures were
    cached = {Path(e["path"]).name: e["cached"] for e in nightly.manifest["inputs"]["tracks"]}
    assert cached == {"ais-history.csv": True, "ais-last.csv": False}
    assert not nightly.manifest["inputs"]["seizures"][0]["cached"]
    assert not any(e["cached"] for e in full.manifest["inputs"]["tracks"])
    text = caplog.text
    # transit: only the vessel-days the new pings touch were computed
    import re

    ((memo, computed),) = re.findall(
        r"time of (\d+) vessel-day block\(s\) from the memo, (\d+) computed", text
    )
    # (each vessel's last two days: the new day, and the day before with its last segment)
    assert int(memo) > 0 and 0 < int(computed) <= 2 * 12
    # the history's spill: 16 buckets on night 1, 32 now (the track inputs more than
    # doubled in bytes), so bucketed anew from its kept files, not parsed
    assert "tracks ais-history.csv: kept spill bucketed anew (32 buckets)" in text
    # AIS coverage: the history file's received cells came from the memo (other bucket
    # bytes, the same pings)
    assert "AIS received cells: 1 track file(s) from the memo, 1 read" in text
    # ... and the new day's received cells grew the last run's neighbourhood
    assert "neighbourhood grown from the last run's" in text
    # density: the tiles away from the new seizures came from the memo
    tiles = re.findall(r"kernel sums: (\d+) tile\(s\) from the memo, (\d+) computed", text)
    assert sum(int(a) for a, _ in tiles) > 0 and sum(int(b) for _, b in tiles) > 0


def test_a_changed_track_file_is_parsed_again(small_demo, tmp_path):
    import pipeline

    _, two = _nights(small_demo, tmp_path / "data")
    out = tmp_path / "nightly"
    pipeline.run_pipeline(_config(small_demo, tmp_path / "c1", two), out_dir=out)
    history = Path(two["tracks"][0]["path"])
    lines = history.read_text().splitlines(keepends=True)
    history.write_text("".join(lines[:-3]))  # the history loses its last pings
    again = pipeline.run_pipeline(_config(small_demo, tmp_path / "c2", two), out_dir=out)
    full = pipeline.run_pipeline(
        _config(small_demo, tmp_path / "c3", two), out_dir=tmp_path / "full", force=True
    )
    cached = {Path(e["path"]).name: e["cached"] for e in again.manifest["inputs"]["tracks"]}
    assert cached == {"ais-history.csv": False, "ais-last.csv": True}
    assert again.manifest["inputs"]["tracks"][0]["read"] == len(lines) - 4
    assert _hashes(again) == _hashes(full)


def test_an_unchanged_history_s_spill_is_used_where_it_lies(small_demo, nights, tmp_path, caplog):
    """With the number of buckets unchanged, the track files' bucket files kept in the cache
    are read where they lie; a kept file that was changed or replaced by a link is not
    trusted (that track file is parsed again); every run equals a full one."""
    import logging
    import re

    import pipeline

    one, two, full = nights
    out = tmp_path / "nightly"
    # the folder's first run is the fixture's full run of night 2 (the same inputs into a
    # new folder): a copy of its folder, cache and kept spills included (its links are
    # relative: the copy's runs do not touch the fixture's folder)
    shutil.copytree(full.out_dir, out, symlinks=True)
    kept = sorted((out / ".cache").glob("*.kept"))
    assert len(kept) == 2  # the two track files' spills

    refs = {id(two): _hashes(full)}  # a full run of each night's inputs, made once

    def night(seizures):
        # the seizures change each night (else the run is up to date), the tracks do not:
        # the same number of buckets
        inputs = {**two, "seizures": seizures["seizures"]}
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="pipeline"):
            res = pipeline.run_pipeline(_config(small_demo, tmp_path / "c2", inputs), out_dir=out)
        if id(seizures) not in refs:
            refs[id(seizures)] = _hashes(
                pipeline.run_pipeline(
                    _config(small_demo, tmp_path / "c4", inputs),
                    out_dir=tmp_path / "ref",
                    force=True,
                )
            )
        assert _hashes(res) == refs[id(seizures)]
        strip = [{**e, "cached": None} for e in res.manifest["inputs"]["tracks"]]
        assert strip == [{**e, "cached": None} for e in full.manifest["inputs"]["tracks"]]
        assert "bucketed anew" not in caplog.text
        used = len(re.findall(r"spill's files kept in the cache are used", caplog.text))
        return used, sum(e["cached"] for e in res.manifest["inputs"]["tracks"])

    assert night(one) == (2, 2)
    assert sorted((out / ".cache").glob("*.kept")) == kept  # used, not written again
    bucket = sorted(kept[0].glob("pings-*.parquet"))[0]
    data = bytearray(bucket.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bucket.write_bytes(bytes(data))
    assert night(two) == (1, 1)  # the changed spill's file parsed again
    assert "do not match their hashes" in caplog.text
    kept = sorted((out / ".cache").glob("*.kept"))
    assert len(kept) == 2  # the changed one replaced by a new folder
    bucket = sorted(kept[1].glob("pings-*.parquet"))[0]
    target = tmp_path / "elsewhere.parquet"
    target.write_bytes(bucket.read_bytes())
    bucket.unlink()
    bucket.symlink_to(target)
    assert night(one) == (1, 1)
    assert target.exists()
    assert night(two) == (2, 2)
    # an entry naming a file its hashes do not cover (written by someone else) is not used
    import json

    folder = sorted((out / ".cache").glob("*.kept"))[0]
    meta_path = folder.parent / (folder.name.split(".", 1)[0] + ".json")
    meta = json.loads(meta_path.read_text())
    buckets = meta["data"]["fields"]["buckets"]
    buckets[next(iter(buckets))] = "../../elsewhere.parquet"
    meta_path.write_text(json.dumps(meta))
    assert night(one) == (1, 1)


def test_a_spill_that_cannot_be_kept_leaves_the_run_alone(
    small_demo, tmp_path, monkeypatch, caplog
):
    """A spill the cache cannot keep is logged and the run goes on; the next run parses."""
    import logging

    import pipeline
    import pipeline.ingest.stream as stream

    def refuse(_spill):
        raise ValueError("a spill's files must have distinct names")

    monkeypatch.setattr(stream, "spill_files", refuse)
    _, two = _nights(small_demo, tmp_path / "data")
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        res = pipeline.run_pipeline(
            _config(small_demo, tmp_path / "c1", two), out_dir=tmp_path / "o"
        )
    assert res.manifest["inputs"]["tracks"][0]["accepted"] > 0
    assert caplog.text.count("spill not kept") == 2
    assert not list((tmp_path / "o" / ".cache").glob("*.kept"))


@dataclasses.dataclass
class _Kept:
    """An entry of kept files (a class of a module the process imported)."""

    folder: str
    files: dict


def test_kept_files_entries_are_checked_and_pruned(tmp_path):
    """StageCache.keep / kept: files linked or copied in, checked by sha256 when used, the
    earlier folder of an entry replaced, folders of entries a run did not use pruned."""
    from pipeline.runner.cache import StageCache

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(b"a" * 100)
    (src / "b.bin").write_bytes(b"b" * 100)
    root = tmp_path / "out" / ".cache"
    root.parent.mkdir()
    files = {"a.bin": src / "a.bin", "b.bin": src / "b.bin"}
    first = StageCache(root).keep("ingest tracks", [1], files, _Kept)
    assert first is not None and (first / "a.bin").read_bytes() == b"a" * 100
    (src / "a.bin").unlink()  # the run's spill goes: the kept file stays
    got = StageCache(root).kept("ingest tracks", [1])
    assert got is not None and got[1] == first and set(got[0].files) == {"a.bin", "b.bin"}
    assert StageCache(root).kept("ingest tracks", [2]) is None
    assert StageCache(root, read=False).kept("ingest tracks", [1]) is None
    # a name that is a path, or a link as the source, is not kept
    (tmp_path / "link.bin").symlink_to(src / "b.bin")
    assert StageCache(root).keep("x", [1], {"../b.bin": src / "b.bin"}, _Kept) is None
    assert StageCache(root).keep("x", [1], {"l.bin": tmp_path / "link.bin"}, _Kept) is None
    assert not list(root.glob("x-*"))
    # keeping the entry again replaces its folder
    second = StageCache(root).keep("ingest tracks", [1], {"b.bin": src / "b.bin"}, _Kept)
    assert second is not None and not first.exists() and second.exists()
    # a run that used other entries prunes this one's folder
    other = StageCache(root)
    other.get_or_build("features", [1], lambda: pd.DataFrame({"x": [1]}))
    other.prune()
    assert not second.exists() and not list(root.glob("*.kept"))


def _entry_files(root: Path, name: str) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.split(".", 1)[0] == name)


def _rename_entry(root: Path, old: str, new: str) -> None:
    """Give entry ``old``'s files the names of entry ``new`` (its own are deleted first)."""
    for p in _entry_files(root, new):
        p.unlink()
    for p in _entry_files(root, old):
        p.rename(root / (new + "." + p.name.split(".", 1)[1]))


@pytest.mark.parametrize("kind", ["stage", "memo"])
def test_an_entry_copied_under_another_key_is_a_miss(tmp_path, kind):
    """The sha256 in an entry's JSON vouches for its tables, not for its key: another key's
    entry renamed to this one's (another output folder's cache, a swap) used to be served,
    its tables matching their hashes, and a run published another input's seizures."""
    import numpy as np

    from pipeline.runner.cache import StageCache

    root = tmp_path / ".cache"
    cache = StageCache(root)
    if kind == "stage":
        names = [cache.touch("s", [k]) for k in (1, 2)]
        for k in (1, 2):
            cache.get_or_build("s", [k], lambda k=k: pd.DataFrame({"v": [k]}))
        _rename_entry(root, names[0], names[1])
        value, hit = StageCache(root).get_or_build("s", [2], lambda: pd.DataFrame({"v": [2]}))
        assert not hit and value["v"].tolist() == [2]
    else:
        for k in (1, 2):
            cache.memo("m", [k]).save(np.array([f"p{k}"], object), {"v": np.array([k])})
        names = [cache.touch("m", [k]) for k in (1, 2)]
        _rename_entry(root, names[0], names[1])
        assert StageCache(root).memo("m", [2]).known() == frozenset()


_EDITS = {  # the text an entry's JSON is replaced with, from its content
    "objects removed": lambda m: json.dumps({k: v for k, v in m.items() if k != "objects"}),
    "objects emptied": lambda m: json.dumps({**m, "objects": {}}),
    "data a list": lambda m: json.dumps({**m, "data": []}),
    "tables a list": lambda m: json.dumps({**m, "tables": []}),
    "a table name a path": lambda m: json.dumps({**m, "tables": {"../x": "0" * 64}}),
    "a list": lambda m: json.dumps([m]),
    "deeply nested": lambda m: "[" * 100_000 + "]" * 100_000,
    "a huge number": lambda m: json.dumps(m)[:-1] + ', "n": ' + "9" * 5000 + "}",
}


@pytest.mark.parametrize("edit", sorted(_EDITS))
@pytest.mark.parametrize("kind", ["stage", "memo"])
def test_an_entry_whose_json_was_edited_is_rebuilt_not_a_traceback(tmp_path, kind, edit):
    """Its tables still match their sha256, but the JSON was edited: a miss.  A memo's JSON
    with no ``objects`` or a list as ``data`` raised a KeyError / AttributeError out of the
    run; a stage entry without its ``objects`` gave text columns of another Parquet type
    (another ``seizures.parquet``)."""
    import numpy as np

    from pipeline.runner.cache import StageCache

    root = tmp_path / ".cache"
    frame = pd.DataFrame({"id": np.array(["a", "b"], dtype=object), "v": [1, 2]})
    cache = StageCache(root)
    if kind == "stage":
        cache.get_or_build("s", [1], lambda: frame)
        name = cache.touch("s", [1])
    else:
        cache.memo("m", [1]).save(np.array(["p", "p"], object), {"v": np.array([1, 2])})
        name = cache.touch("m", [1])
    path = root / f"{name}.json"
    path.write_text(_EDITS[edit](json.loads(path.read_text())))
    if kind == "stage":
        value, hit = StageCache(root).get_or_build("s", [1], lambda: frame)
        assert not hit
        value, hit = StageCache(root).get_or_build("s", [1], lambda: 1 / 0)  # stored again
        assert hit and value["id"].tolist() == ["a", "b"]
    else:
        assert StageCache(root).memo("m", [1]).known() == frozenset()


def test_a_shard_index_names_only_its_own_memo_s_shards(tmp_path):
    """A (well-formed) index of one sharded memo naming another memo's shards folder is not
    opened: the shards are read only from the folder the memo itself wrote."""
    import numpy as np

    from pipeline.runner.cache import ShardIndex, StageCache, write_shard

    root = tmp_path / ".cache"
    m = StageCache(root).memo("m", [1], sharded=True)
    prefix = m.output(0)
    assert prefix is not None
    one = np.array(["p"], dtype=object)
    w = write_shard(prefix, one, np.array(["v"], object), {"x": np.array([1.0])}, np.array([1]))
    m.commit([w])
    assert StageCache(root).memo("m", [1], sharded=True).reads_for(np.array(["v"], object))
    cache = StageCache(root)
    index = cache._load(m.name)
    assert isinstance(index, ShardIndex)
    other = cache.touch("n", [1])
    cache._store(other, ShardIndex(index.vessels, index.folder, index.shas))
    got = StageCache(root).memo("n", [1], sharded=True)
    assert got.reads_for(np.array(["v"], object)) == []


def test_a_track_file_parsed_again_makes_the_ingest_stage_not_cached(tmp_path):
    """A miss of a kept entry counts: the manifest said ``ingest`` came from the cache on
    nights that parsed a new track file beside a kept one (engine switched, a new file)."""
    from pipeline.runner.cache import StageCache

    (tmp_path / "a.bin").write_bytes(b"a")
    cache = StageCache(tmp_path / ".cache")
    cache.keep("ingest tracks", [1], {"a.bin": tmp_path / "a.bin"}, _Kept)
    again = StageCache(tmp_path / ".cache")
    assert again.kept("ingest tracks", [1]) is not None and again.hits["ingest tracks"]
    assert again.kept("ingest tracks", [2]) is None and not again.hits["ingest tracks"]
    assert again.kept("ingest tracks", [1]) is not None and not again.hits["ingest tracks"]


# ----------------------------------------------------------------------------- parts and memos


def _memo(root: Path, name: str = "m", sharded: bool = False):
    from pipeline.runner.cache import StageCache

    return StageCache(root / ".cache").memo(name, [1], sharded=sharded)


def test_part_memo_keeps_the_parts_of_the_last_run(tmp_path):
    import numpy as np

    memo = _memo(tmp_path)
    assert memo.known() == frozenset()
    memo.add(np.array(["a", "a", "b"], dtype=object), {"v": np.array([1.0, 2.0, 3.0])})
    memo.add(np.array(["a"], dtype=object), {"v": np.array([9.0])})  # added once only
    memo.flush()
    again = _memo(tmp_path)
    assert again.known() == {"a", "b"}
    cols, counts = again.take(["b", "a"])
    assert cols["v"].tolist() == [3.0, 1.0, 2.0] and counts.tolist() == [1, 2]
    again.flush()  # nothing added: the memo stays
    assert _memo(tmp_path).known() == {"a", "b"}
    again.save(np.array(["c"], dtype=object), {"v": np.array([4.0])})
    assert _memo(tmp_path).known() == {"c"}  # replaced by this run's parts


@pytest.mark.parametrize("reuse", [False, True])
def test_part_memo_writes_a_night_s_new_parts_not_the_history(tmp_path, reuse):
    """Generations: a night that still uses most of the earlier parts keeps their file as it
    is and writes only its new parts; a generation mostly unused, or too many, is rewritten.
    The same whether a known part is taken and added again, or reused (no rows handed back)."""
    import numpy as np

    from pipeline.runner.cache import PartMemo

    def night(parts):
        memo = _memo(tmp_path)
        for p in parts:  # each part: 10 rows whose values say which part they are
            if p in memo.known():
                cols, _ = memo.reuse([p]) if reuse else memo.take([p])
                assert cols["v"].tolist() == [float(ord(p))] * 10  # the right rows, always
                if reuse:
                    continue
            memo.add(np.full(10, p, dtype=object), {"v": np.full(10, float(ord(p)))})
        memo.flush()
        files = sorted((tmp_path / ".cache").glob("m-*.g*.parquet"))
        return {f.name: os.stat(f).st_ino for f in files}

    import os

    one = night("ab")
    assert len(one) == 1
    two = night("abc")  # the history is used whole: its file stays, c is a new generation
    assert len(two) == 2 and set(one.items()) <= set(two.items())
    three = night("bcd")  # a gone, b still half of its generation: kept (a is dead weight)
    assert len(three) == 3 and set(two.items()) <= set(three.items())
    assert _memo(tmp_path).known() == {"a", "b", "c", "d"}
    four = night("cde")  # the first generation is no longer used: deleted
    assert len(four) == 3 and not set(one) & set(four)
    assert _memo(tmp_path).known() == {"c", "d", "e"}
    nights = [night("cdefghijklmnop"[: k + 3]) for k in range(PartMemo.MAX_GENERATIONS + 2)]
    assert max(len(n) for n in nights) <= PartMemo.MAX_GENERATIONS
    assert _memo(tmp_path).known() == set("cdefghijklmn")
    # the entry lists its generations: a flush with nothing new leaves every file alone
    before = night("cdefghijklmn")
    assert night("cdefghijklmn") == before


def test_prune_keeps_memos_the_run_did_not_open(tmp_path):
    """A run that served a factor whole from the cache (only the score changed) keeps its
    memos for the next night; a memo replaced by another key of its kind is deleted."""
    import numpy as np

    from pipeline.runner.cache import StageCache

    root = tmp_path / ".cache"
    first = StageCache(root)
    first.memo("memo transit hours", [1]).save(np.array(["a"], dtype=object), {"v": [1.0]})
    first.get_or_build("features", [1], lambda: pd.DataFrame({"x": [1]}))
    first.prune()
    second = StageCache(root)  # only the score changed: the memo is not opened
    second.get_or_build("features", [1], lambda: pd.DataFrame({"x": [1]}))
    second.get_or_build("score", [2], lambda: pd.DataFrame({"y": [1]}))
    second.prune()
    assert StageCache(root).memo("memo transit hours", [1]).known() == {"a"}
    third = StageCache(root)  # new transit options: the memo of the old key goes
    third.memo("memo transit hours", [2]).save(np.array(["b"], dtype=object), {"v": [2.0]})
    third.prune()
    assert StageCache(root).memo("memo transit hours", [1]).known() == frozenset()
    assert StageCache(root).memo("memo transit hours", [2]).known() == {"b"}


def test_prune_removes_the_temporary_files_of_writes_a_killed_run_left(tmp_path):
    """A run killed while it wrote a cache file leaves ``atomic_path``'s temporary file;
    each such kill added one to ``.cache`` for good (a month of nights with a kill a week:
    one more file a week, as large as the table being written)."""
    from pipeline.io import atomic_path
    from pipeline.runner.cache import StageCache

    root = tmp_path / ".cache"
    first = StageCache(root)
    first.get_or_build("features", [1], lambda: pd.DataFrame({"x": [1]}))
    name = first.touch("features", [1])
    # the killed write: atomic_path's own temporary file, left as SIGKILL leaves it
    killed = atomic_path(root / f"{name}.frame.parquet")
    tmp = killed.__enter__()
    tmp.write_bytes(b"half a table")
    (root / "notes.tmp").write_text("a user's file")
    (root / ".notes.tmp").write_text("not a name atomic_path gives")
    second = StageCache(root)
    got, hit = second.get_or_build("features", [1], lambda: pd.DataFrame({"x": [2]}))
    assert hit and got["x"].tolist() == [1]
    second.prune()
    assert not tmp.exists()
    assert sorted(p.name for p in root.iterdir() if p.name.endswith(".tmp")) == [
        ".notes.tmp",
        "notes.tmp",
    ]
    assert StageCache(root).get_or_build("features", [1], lambda: None)[1]


def test_density_tiles_from_a_memo_equal_a_fresh_evaluation(tmp_path):
    import numpy as np

    from pipeline.density import density_memo, kernel_density
    from pipeline.grid import region_to_cells

    rng = np.random.default_rng(3)
    cells = region_to_cells((0.0, 0.0, 8.0, 6.0), 5)
    lon, lat = rng.uniform(0, 8, 300), rng.uniform(0, 6, 300)
    w = rng.uniform(0.5, 2.0, 300)
    kw = {"bandwidth_km": 30.0, "kernel": "quartic"}
    plain = kernel_density((lon, lat), cells, weights=w, **kw)
    with density_memo(_memo(tmp_path)):
        first = kernel_density((lon, lat), cells, weights=w, **kw)
    np.testing.assert_allclose(first, plain, rtol=1e-12, atol=1e-300)
    # a new point: tiles near it are computed, the rest come from the memo, bits as fresh
    lon2, lat2, w2 = np.r_[lon, 4.0], np.r_[lat, 3.0], np.r_[w, 1.0]
    with density_memo(_memo(tmp_path)):
        nightly = kernel_density((lon2, lat2), cells, weights=w2, **kw)
    with density_memo(_memo(tmp_path / "fresh")):
        fresh = kernel_density((lon2[::-1], lat2[::-1]), cells, weights=w2[::-1], **kw)
    assert np.array_equal(nightly, fresh)  # the rows' order does not matter either
    assert not np.array_equal(nightly, first)


def test_a_night_a_day_later_takes_every_density_tile_from_the_memo(tmp_path, caplog):
    """as_of moves a day each night: decayed from as_of, every seizure's weight changed and
    no map tile of the memo served; decayed from a fixed anchor, a night without new
    seizures computes no tile, and its density has the bits of a fresh evaluation."""
    import logging
    import re

    import numpy as np

    from pipeline.builtin_factors import density_on_cells
    from pipeline.config import DensityConfig
    from pipeline.density import density_memo
    from pipeline.grid import region_to_cells

    rng = np.random.default_rng(5)
    cells = region_to_cells((0.0, 0.0, 8.0, 6.0), 5)
    n = 300
    seizures = pd.DataFrame(
        {
            "time": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.uniform(0, 700, n), unit="D"),
            "lon": rng.uniform(0, 8, n),
            "lat": rng.uniform(0, 6, n),
        }
    )
    opts = DensityConfig(kernel="quartic", bandwidth_km=30.0, half_life_days=90.0)
    day1 = pd.Timestamp("2025-12-31 23:59:59", tz="UTC")
    day2 = day1 + pd.Timedelta(days=1)

    def computed() -> int:
        got = [re.search(r"(\d+) computed", r.getMessage()) for r in caplog.records]
        return sum(int(m.group(1)) for m in got if m)

    with caplog.at_level(logging.DEBUG, logger="pipeline.density"):
        with density_memo(_memo(tmp_path)):
            first, _ = density_on_cells(seizures, cells, day1, opts, None)
        assert computed() > 0
        caplog.clear()
        with density_memo(_memo(tmp_path)):
            nightly, _ = density_on_cells(seizures, cells, day2, opts, None)
        assert computed() == 0  # every tile from the memo
    with density_memo(_memo(tmp_path / "fresh")):  # a cold run's: its own memo
        fresh, _ = density_on_cells(seizures, cells, day2, opts, None)
    assert np.array_equal(nightly, fresh)
    # a day's decay, and the values of a density decayed from as_of itself
    np.testing.assert_allclose(nightly, first * 0.5 ** (1 / 90.0), rtol=1e-12)
    from pipeline.density import kernel_density, seizure_weights

    w = seizure_weights(seizures, as_of=day2, half_life_days=90.0)
    plain = kernel_density(
        (seizures["lon"], seizures["lat"]), cells, weights=w, bandwidth_km=30.0, kernel="quartic"
    )
    np.testing.assert_allclose(nightly, plain, rtol=1e-12, atol=1e-300)


def test_transit_blocks_from_a_memo_equal_a_fresh_pass(tmp_path, caplog):
    import logging
    import re

    import numpy as np

    from pipeline.transit import transit_features

    rng = np.random.default_rng(5)
    n = 1600  # every 5 minutes: fewer encounter grid points (10 min) than pings, in memory
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(n) * 5, unit="min")
    path = (10 + np.cumsum(rng.normal(0, 0.002, n)), 40 + np.cumsum(rng.normal(0, 0.002, n)))
    frames = [  # three vessels on one slow path a few hundred metres apart: encounters
        pd.DataFrame(
            {
                "vessel_id": f"v{k}",
                "time": t,
                "lon": path[0] + k * 0.002,
                "lat": path[1],
                "sog_kn": rng.uniform(0, 2, n),
            }
        )
        for k in range(3)
    ]
    pings = pd.concat(frames, ignore_index=True)
    day = pings["time"].dt.floor("D")
    before = pings[day < day.max()].reset_index(drop=True)
    kw = {"encounter_distance_m": 500.0, "loiter_speed_kn": 1.0}
    transit_features(
        before, 6, memo=_memo(tmp_path, sharded=True), pairs_memo=_memo(tmp_path, "p"), **kw
    )
    with caplog.at_level(logging.INFO, logger="pipeline.transit"):
        nightly = transit_features(
            pings, 6, memo=_memo(tmp_path, sharded=True), pairs_memo=_memo(tmp_path, "p"), **kw
        )
    ((old, computed),) = re.findall(
        r"time of (\d+) vessel-day block\(s\) from the memo, (\d+)", caplog.text
    )
    assert int(old) == 3 * 4 and int(computed) == 3 * 2  # 6 days a vessel: 2 touched
    ((old, computed),) = re.findall(
        r"encounter pairs of (\d+) day\(s\) from the memo, (\d+)", caplog.text
    )
    assert int(old) == 5 and int(computed) == 1  # the last segments end before midnight
    fresh = transit_features(pings, 6, **kw)
    assert (fresh.events["event_type"] == "encounter").sum() > 0
    pd.testing.assert_frame_equal(nightly.features, fresh.features, check_exact=True)
    pd.testing.assert_frame_equal(nightly.events, fresh.events, check_exact=True)


def test_a_tampered_or_linked_shard_is_computed_again(tmp_path, caplog):
    """The shards of the transit memo are checked against their sha256 when the memo opens:
    a changed shard, or one replaced by a link, is dropped (its blocks computed again) and
    the result is a fresh pass's; the client's index holds vessels, not blocks."""
    import logging
    import re

    import numpy as np

    from pipeline.runner.cache import ShardIndex, StageCache
    from pipeline.transit import transit_features

    rng = np.random.default_rng(2)
    n = 900
    t = pd.Timestamp("2024-05-01", tz="UTC") + pd.to_timedelta(np.arange(n) * 7, unit="min")
    pings = pd.concat(
        [
            pd.DataFrame(
                {
                    "vessel_id": f"v{k}",
                    "time": t,
                    "lon": 5 + k * 0.3 + np.cumsum(rng.normal(0, 0.01, n)),
                    "lat": 50 + np.cumsum(rng.normal(0, 0.01, n)),
                    "sog_kn": rng.uniform(3, 9, n),
                }
            )
            for k in range(4)
        ],
        ignore_index=True,
    )
    fresh = transit_features(pings, 6)
    transit_features(pings, 6, memo=_memo(tmp_path, sharded=True))
    index = StageCache(tmp_path / ".cache")._load(_memo(tmp_path, sharded=True).name)
    assert isinstance(index, ShardIndex)
    assert sorted(index.vessels["vessel"]) == ["v0", "v1", "v2", "v3"]  # by vessel
    (folder,) = (tmp_path / ".cache").glob("*.shards")
    rows = next(folder.glob("*.rows.arrow"))
    data = bytearray(rows.read_bytes())
    data[-200] ^= 0xFF
    rows.write_bytes(bytes(data))

    def run():
        caplog.clear()
        with caplog.at_level(logging.INFO):
            got = transit_features(pings, 6, memo=_memo(tmp_path, sharded=True))
        pd.testing.assert_frame_equal(got.features, fresh.features, check_exact=True)
        return [
            (int(a), int(b))
            for a, b in re.findall(
                r"time of (\d+) vessel-day block\(s\) from the memo, (\d+)", caplog.text
            )
        ]

    assert run() == [(0, 4 * 5)] and "does not match its hash" in caplog.text
    assert run() == [(4 * 5, 0)]  # rewritten whole by the run that recomputed it
    (folder,) = (tmp_path / ".cache").glob("*.shards")
    rows = next(folder.glob("*.rows.arrow"))
    target = tmp_path / "elsewhere.arrow"
    target.write_bytes(rows.read_bytes())
    rows.unlink()
    rows.symlink_to(target)
    assert run() == [(0, 4 * 5)]
    assert target.exists()


def test_transit_memos_on_pings_on_disk_equal_a_fresh_pass(tmp_path, caplog):
    """Pings read in chunks (a PingStore) with spilled encounter points: the same memos."""
    import logging
    import re

    import numpy as np

    from pipeline.transit import transit_features

    rng = np.random.default_rng(8)
    n = 1200
    t = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(np.arange(n) * 5, unit="min")
    path = (20 + np.cumsum(rng.normal(0, 0.002, n)), 35 + np.cumsum(rng.normal(0, 0.002, n)))
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "vessel_id": f"boat{k}",
                    "timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "lat": path[1],
                    "lon": path[0] + k * 0.002,
                    "sog": rng.uniform(0, 2, n).round(2),
                }
            )
            for k in range(3)
        ]
    )
    last = rows["timestamp"].str[:10] == rows["timestamp"].str[:10].max()
    rows[~last].to_csv(tmp_path / "history.csv", index=False)
    rows[last].to_csv(tmp_path / "day.csv", index=False)

    def store(files, name):
        spills = [
            _spill(tmp_path / f, tmp_path / name / f, chunk_rows=300, n_buckets=2) for f in files
        ]
        return PingStore(spills, chunk_rows=100)  # encounter points above 100: spilled

    kw = {"encounter_distance_m": 500.0}
    memos = {"memo": _memo(tmp_path, sharded=True), "pairs_memo": _memo(tmp_path, "p")}
    transit_features(store(["history.csv"], "a"), 6, **memos, **kw)
    with caplog.at_level(logging.INFO, logger="pipeline.transit"):
        nightly = transit_features(
            store(["history.csv", "day.csv"], "b"),
            6,
            memo=_memo(tmp_path, sharded=True),
            pairs_memo=_memo(tmp_path, "p"),
            **kw,
        )
    fresh = transit_features(store(["history.csv", "day.csv"], "c"), 6, **kw)
    days = re.findall(r"encounter pairs of (\d+) day\(s\) from the memo, (\d+)", caplog.text)
    assert sum(int(a) for a, _ in days) > 0 and sum(int(b) for _, b in days) > 0
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pipeline.transit"):
        again = transit_features(  # every day from the memo: no spilled point is read
            store(["history.csv", "day.csv"], "d"),
            6,
            memo=_memo(tmp_path, sharded=True),
            pairs_memo=_memo(tmp_path, "p"),
            **kw,
        )
        assert not list(tmp_path.rglob("encounters-*"))  # the spill is removed all the same
    days = re.findall(r"encounter pairs of (\d+) day\(s\) from the memo, (\d+)", caplog.text)
    assert sum(int(b) for _, b in days) == 0
    pd.testing.assert_frame_equal(again.events, fresh.events, check_exact=True)
    assert (fresh.events["event_type"] == "encounter").sum() > 0
    pd.testing.assert_frame_equal(nightly.features, fresh.features, check_exact=True)
    pd.testing.assert_frame_equal(nightly.events, fresh.events, check_exact=True)


def _day_encounters(memo, g, lon, lat, vess, names, spill=None):
    """Encounter events of grid points by day with ``memo`` (spilled above 50 points)."""
    import numpy as np

    from pipeline.transit import _EncounterPoints, _encounters_by_day, _point_day_digests

    points = _EncounterPoints(50 if spill else 10**9, spill)
    for v in np.unique(vess):  # a partition's points: whole vessels
        mine = vess == v
        points.add((g[mine], lon[mine], lat[mine], vess[mine]))
    digests = _point_day_digests((g, lon, lat, vess))
    got = _encounters_by_day(points, digests, 500.0, 1.0, memo, names, 6)
    memo.flush()
    return got


@pytest.mark.parametrize("spill", [False, True])
def test_encounter_days_from_the_memo_follow_vessel_codes_that_moved(tmp_path, spill):
    """Days taken from the encounter memo name the same vessels when this run's codes shifted.

    The memo holds a pair's vessels as positions in its day's vessels; a vessel that first
    appears tonight (its id sorting first) moves every code, and a changed middle day puts
    a fresh part between the memo's parts.  The events must be those of one pass over all
    the pairs, also for runs that cross midnight into a changed or a new day.
    """
    import numpy as np

    from pipeline.transit import _encounter_pairs, _encounter_runs

    rng = np.random.default_rng(7)
    per_day = 144  # 10-minute grid times in a day

    def points(ids_of_day, jitter_day=None):
        rows = []
        for d, (ids, first, last) in ids_of_day.items():
            g = np.arange(d * per_day + first, d * per_day + last)
            for k, v in enumerate(ids):
                lon = 10.0 + 0.001 * (k % 3) + np.zeros(g.size)  # close: all pairs meet
                if d == jitter_day:
                    lon = lon + rng.normal(0, 1e-5, g.size)
                rows.append((g, lon, np.full(g.size, 50.0), np.full(g.size, v, dtype=object)))
        g, lon, lat, vid = (np.concatenate(x) for x in zip(*rows, strict=True))
        return g, lon, lat, vid

    def coded(g, lon, lat, vid):
        names = np.array(sorted(set(vid)), dtype=object)
        return g, lon, lat, pd.Index(names).get_indexer(vid).astype("int64"), names

    # day 0 ends in runs at midnight that go on in day 1; day 2 starts at its midnight
    days = {
        0: (["m", "p", "q"], 100, 144),
        1: (["p", "q", "r"], 0, 30),
        2: (["m", "q", "s", "t"], 0, 60),
    }
    first = coded(*points(days))
    _day_encounters(_memo(tmp_path, "pairs"), *first, spill=tmp_path if spill else None)
    # tonight: vessel "a" sorts before all (codes move), day 1 changed, day 3 is new and
    # goes on from day 2's last grid time
    tonight = {**days, 2: (["m", "q", "s", "t"], 0, 144), 3: (["a", "m", "q"], 0, 40)}
    g, lon, lat, vess, names = coded(*points(tonight, jitter_day=1))
    again = _memo(tmp_path, "pairs")
    assert len(again.known()) == 3
    got = _day_encounters(again, g, lon, lat, vess, names, spill=tmp_path if spill else None)
    fresh = _encounter_runs(_encounter_pairs(g, lon, lat, vess, 500.0), names, 1.0, 6)
    pd.testing.assert_frame_equal(got, fresh, check_exact=True)
    crossing = fresh[fresh["start_time"].dt.day != fresh["end_time"].dt.day]
    assert len(crossing) >= 3  # m-q, p-q over midnight 0/1; m-q over 2/3
    assert {"a", "m", "p", "q", "r", "s", "t"} <= {*fresh["vessel_id"], *fresh["other_vessel_id"]}


def _drifters(days: int = 3) -> pd.DataFrame:
    """Vessel ``a`` drifting slowly for ``days`` days; ``b`` beside it over two midnights.

    ``b`` reports from day 1 20:00 to day 2 02:00 (a run over the first midnight), and
    from day 2 09:00 to day 3 03:00 (over the second): encounters and loitering that
    cross midnight, and one encounter inside day 2's last hours as well.
    """
    import numpy as np

    rng = np.random.default_rng(11)
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    t = t0 + pd.to_timedelta(np.arange(days * 144) * 10, unit="min")
    lon = 10 + np.cumsum(rng.normal(0, 2e-5, t.size))
    lat = 40 + np.cumsum(rng.normal(0, 2e-5, t.size))
    a = pd.DataFrame({"vessel_id": "a", "time": t, "lon": lon, "lat": lat, "sog_kn": 0.5})
    hours = (t - t0) / pd.Timedelta(hours=1)
    near = ((hours >= 20) & (hours <= 26)) | ((hours >= 33) & (hours <= 51))
    b = a[near].assign(vessel_id="b", lon=lambda f: f["lon"] + 0.003)
    return pd.concat([a, b], ignore_index=True)


def _night_pair(tmp_path, before: pd.DataFrame, after: pd.DataFrame, **kw):
    """Run ``before`` then ``after`` with memos; return (night 1, night 2, fresh night 2)."""
    from pipeline.transit import transit_features

    def memos():
        return {"memo": _memo(tmp_path, sharded=True), "pairs_memo": _memo(tmp_path, "p")}

    kw1 = {k: v for k, v in kw.items() if k != "ports"}
    first = transit_features(before, 6, **memos(), **kw1)
    nightly = transit_features(after, 6, **memos(), **kw)
    fresh = transit_features(after, 6, **kw)
    pd.testing.assert_frame_equal(nightly.features, fresh.features, check_exact=True)
    pd.testing.assert_frame_equal(nightly.events, fresh.events, check_exact=True)
    return first, nightly, fresh


def _kinds(res) -> dict[str, int]:
    return res.events["event_type"].value_counts().to_dict()


@pytest.mark.parametrize("change", ["position", "sog"])
def test_a_changed_ping_inside_a_run_over_midnight_is_not_served_stale(tmp_path, change):
    """One of ``a``'s pings at day 2 00:30, inside the loiter run and the encounter that
    cross the first midnight, moves 850 m (the pair is apart at those grid times) or reports
    5 kn (the runs break there); the day is not the newest one.  The memos of the night
    before must not give the old runs: the result is a fresh pass's."""
    import numpy as np

    before = _drifters()
    after = before.copy()
    at = np.flatnonzero(
        (after["vessel_id"] == "a") & (after["time"] == pd.Timestamp("2024-01-02 00:30Z"))
    )
    if change == "position":
        after.loc[at, "lon"] += 0.01
    else:
        after.loc[at, "sog_kn"] = 5.0
    kw = {"encounter_distance_m": 500.0, "loiter_speed_kn": 2.0}
    first, _, fresh = _night_pair(tmp_path, before, after, **kw)
    assert _kinds(first)["encounter"] >= 2 and _kinds(first)["loiter"] >= 1
    enc = fresh.events[fresh.events["event_type"] == "encounter"]
    old = first.events[first.events["event_type"] == "encounter"]
    assert not enc[["start_time", "end_time"]].equals(old[["start_time", "end_time"]])
    if change == "sog":
        assert _kinds(fresh)["loiter"] > _kinds(first)["loiter"]  # the run broke in two


def test_a_port_added_near_a_loiter_removes_it_on_a_nightly_run(tmp_path):
    """A ports layer that arrives on a later night filters the events the memos hold."""
    pings = _drifters()
    ports = pd.DataFrame({"lon": [10.0], "lat": [40.0]})
    kw = {"encounter_distance_m": 500.0, "ports": ports, "port_radius_km": 5.0}
    first, _, fresh = _night_pair(tmp_path, pings, pings, **kw)
    assert _kinds(first)["loiter"] >= 1 and _kinds(first)["encounter"] >= 1
    assert set(_kinds(fresh)) <= {"gap"}


def test_a_vessel_whose_first_day_moved_is_not_served_stale(tmp_path):
    """Night 2 drops the first day (a retention window: ``a``'s and ``b``'s first day move,
    ``b``'s run over the first midnight now starts at it) and brings vessel ``0c`` beside
    ``a`` on day 2 (a late file; its id sorts first, so every vessel's code moves).  The
    runs of those days are a fresh pass's, not the memo's."""
    before = _drifters(4)
    a = before[before["vessel_id"] == "a"]
    late = a[(a["time"] >= "2024-01-02 04:00Z") & (a["time"] < "2024-01-02 08:00Z")]
    after = pd.concat(
        [
            before[before["time"] >= "2024-01-02"],
            late.assign(vessel_id="0c", lon=lambda f: f["lon"] + 0.002),
        ],
        ignore_index=True,
    )
    first, _, fresh = _night_pair(tmp_path, before, after, encounter_distance_m=500.0)
    starts = fresh.events.groupby(["event_type", "vessel_id"])["start_time"].min()
    midnight = pd.Timestamp("2024-01-02", tz="UTC")
    assert starts["loiter", "a"] == midnight
    assert starts["encounter", "0c"] == pd.Timestamp("2024-01-02 04:00Z")
    assert starts["encounter", "a"] == midnight  # a-b over the first midnight, cut at it
    assert first.events["start_time"].min() < midnight
