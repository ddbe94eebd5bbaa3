"""What a mutation pass over the stage cache and the manifest found untested or wrong.

Each test kills hand-made mutants of ``pipeline/runner/cache.py`` or
``pipeline/runner/manifest.py`` that every other test let live (named in its docstring), or
pins a fix: an array of text objects hashed by the addresses of its objects, and values
that the cache served changed (a table's index, a number as its text) instead of not
caching them.  The values are checked against independent ones: pandas' own comparison of
a served table with the fresh one, JSON parsed strictly, files compared byte for byte.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.runner.cache import StageCache, frame_digest, write_shard


def _served(root: Path, value, stage: str = "s"):
    """Store ``value`` as a stage's result, then ask a fresh cache for it: (value, hit).

    A value the cache did not keep is built again by the second lookup (``value`` itself).
    """
    StageCache(root).get_or_build(stage, [1], lambda: value)
    return StageCache(root).get_or_build(stage, [1], lambda: value)


def _entry(root: Path, stage: str = "s", key=(1,)) -> str:
    return StageCache(root).touch(stage, list(key))


# ------------------------------------------------------------------------------- digests


def test_a_table_s_digest_holds_its_column_names_types_order_and_every_column():
    """Mutants: the dtype header dropped, names only, dtypes only, sorted (column order
    ignored), only the first column's values hashed.  An int32 column of the values of an
    int64 one gives the same row hashes: only the header tells them apart."""
    base = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    assert frame_digest(base) == frame_digest(pd.DataFrame({"a": [1, 2], "b": [3, 4]}))
    others = {
        "a column renamed": pd.DataFrame({"a": [1, 2], "c": [3, 4]}),
        "a column of another type": base.astype({"b": "int32"}),
        "the columns' names swapped": pd.DataFrame({"b": [1, 2], "a": [3, 4]}),
        "the second column changed": pd.DataFrame({"a": [1, 2], "b": [3, 5]}),
        "the rows swapped": pd.DataFrame({"a": [2, 1], "b": [4, 3]}),
    }
    for what, other in others.items():
        assert frame_digest(other) != frame_digest(base), what


def test_no_table_is_not_an_empty_table():
    """Mutant: ``frame_digest(None)`` hashed as an empty table.  A key part that is an
    optional table must tell "none given" from "given, with no rows"."""
    assert frame_digest(None) != frame_digest(pd.DataFrame())
    assert frame_digest(None) != frame_digest(pd.DataFrame({"cell": np.array([], "uint64")}))


def test_an_array_s_digest_holds_its_type_and_shape():
    """Mutant: the dtype not hashed (zeros of any type are the same bytes).  Fix: the shape
    was not hashed either: a 2 x 3 array had the digest of its 3 x 2 reshape and of the
    flat six."""
    assert frame_digest(np.zeros(3, "int64")) != frame_digest(np.zeros(3, "float64"))
    six = np.arange(6.0)
    digests = {frame_digest(six), frame_digest(six.reshape(2, 3)), frame_digest(six.reshape(3, 2))}
    assert len(digests) == 3


def test_an_array_of_text_objects_is_hashed_by_its_text():
    """Fix: an object array was hashed by its bytes, the addresses of its objects.  Two
    arrays of the same text built apart had other digests, and once an array's strings were
    freed the next one's reused their addresses: other text, the same digest (a key that
    does not change with its input serves a stale entry)."""

    def array(word: str) -> np.ndarray:
        out = np.empty(1, dtype=object)
        out[0] = "".join(word)  # a new object, not an interned constant
        return out

    assert frame_digest(array("abc")) == frame_digest(array("abc"))
    seen: dict[str, bytes] = {}
    for i in range(50):
        a = array(f"vessel {i:04d}")
        d, text = frame_digest(a), a[0].encode()
        del a
        assert seen.setdefault(d, text) == text, "two texts share a digest"


# ---------------------------------------------------------------------------- round trips


def test_a_served_table_equals_the_fresh_one_in_every_type(tmp_path):
    """Mutants: object columns not restored (served as pandas' text type), restored with NaN
    for None, or their list left empty.  A table served from the cache must be the fresh
    one: pandas' own comparison, dtypes and None included."""
    fresh = pd.DataFrame(
        {
            "id": pd.Series(["a", None, "c"], dtype=object),
            "kind": pd.Categorical(["x", "x", "y"], categories=["x", "y", "z"]),
            "t": pd.to_datetime(["2026-03-29 00:30"] * 3).tz_localize("Europe/Lisbon"),
            "n": pd.array([1, None, 3], dtype="Int64"),
            "flag": pd.array([True, None, False], dtype="boolean"),
            "cell": np.array([2**63 + 5, 1, 2], dtype="uint64"),
            "v": [0.5, np.nan, -0.0],
        }
    )
    got, hit = _served(tmp_path, fresh)
    assert hit
    pd.testing.assert_frame_equal(got, fresh, check_exact=True)
    assert got["id"].tolist() == ["a", None, "c"]


def test_a_served_array_of_objects_keeps_its_none(tmp_path):
    """Fix: an array was stored as ``pd.DataFrame({"v": array})``, which makes an array of
    text objects a column of pandas' text type: it came back with NaN where it held None."""
    ids = np.array(["p", None], dtype=object)
    got, hit = _served(tmp_path, ids)
    assert hit and got.dtype == object and got.tolist() == ["p", None]


@dataclasses.dataclass
class _Result:
    """A stage's result (a dataclass of a module the process imported)."""

    table: pd.DataFrame
    n: object


_NOT_AS_THEY_WERE = {  # values Parquet or JSON gave back changed; the cache served them so
    "a table indexed by cell": pd.DataFrame(
        {"v": [1.0, 2.0]}, index=pd.Index(np.array([7, 3], "uint64"), name="cell")
    ),
    "a table of numbered columns": pd.DataFrame({0: [1.0], 1: [2.0]}),
    "a categorical of numbers": pd.DataFrame({"c": pd.Categorical([3, 1], categories=[1, 2, 3])}),
    "times in seconds": pd.DataFrame({"t": pd.to_datetime(["2026-01-01 05:00"]).as_unit("s")}),
    "zoned times in seconds": pd.DataFrame(
        {"t": pd.to_datetime(["2026-01-01 05:00"]).tz_localize("UTC").as_unit("s")}
    ),
    "lists in an object column": pd.DataFrame({"c": pd.Series([[1, 2], [3]], dtype=object)}),
    "integers then floats in an object column": pd.DataFrame(
        {"c": pd.Series([1, 2.5], dtype=object)}  # its first row alone reads back as it is
    ),
    "a dict with number keys": {1: "one", 2: "two"},
    "a tuple": {"bounds": (1, 2)},
    "a numpy integer": {"rows": np.int64(3)},
    "a dataclass with a numpy integer": _Result(pd.DataFrame({"v": [1]}), np.int64(3)),
    "a dataclass with a time stamp": _Result(pd.DataFrame({"v": [1]}), pd.Timestamp("2026-01-01")),
}


@pytest.mark.parametrize("what", sorted(_NOT_AS_THEY_WERE))
def test_a_value_the_cache_cannot_give_back_as_it_is_is_built_again(tmp_path, what, caplog):
    """Fix: Parquet gave a table back without its index, with its column names as text, a
    categorical of numbers as numbers, seconds as milliseconds, an object column's lists as
    arrays and its integers as floats (when it also held floats), and JSON a dict's number
    keys as text, a tuple as a list, numpy's ``int64`` and a time stamp as their text
    (``default=str``): the cache served those (a plug-in's shared value indexed by cell came
    back indexed 0, 1, ... on the night after).  A value that does not come back as it is
    is not cached (a warning says so); one whose index comes back is served with it."""
    value = _NOT_AS_THEY_WERE[what]
    with caplog.at_level(logging.WARNING):
        got, hit = _served(tmp_path, value)
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(got, value, check_exact=True)
    elif isinstance(value, _Result):
        pd.testing.assert_frame_equal(got.table, value.table, check_exact=True)
        assert type(got.n) is type(value.n) and got.n == value.n
    else:
        assert got == value and all(
            type(got[k]) is type(value[k]) and type(k) is type(j)
            for k, j in zip(value, got, strict=True)
        )
    assert hit == (what == "a table indexed by cell")
    assert hit or "not cached" in caplog.text


def test_numpy_floats_and_nan_in_a_value_are_served(tmp_path):
    """Mutant: a float subclass (numpy's ``float64``) that JSON gives back as a float taken
    for a change: a stage's result holding one (a bandwidth, a score's scale) was no longer
    cached.  It comes back the same number, NaN included."""
    value = {"bandwidth_km": np.float64(12.5), "scale": float("nan"), "n": 3, "ok": True}
    got, hit = _served(tmp_path, value)
    assert hit and got["bandwidth_km"] == 12.5 and got["scale"] != got["scale"]
    assert got["n"] == 3 and got["ok"] is True


def test_a_table_replaced_by_another_valid_table_is_rebuilt(tmp_path):
    """Mutant: a table's sha256 not checked against the entry's JSON.  Another entry's
    Parquet file put in its place (a copy, a half-finished restore) read as this entry's:
    the stage served another key's values."""
    root = tmp_path / ".cache"
    for k in (1, 2):
        StageCache(root).get_or_build("s", [k], lambda k=k: pd.DataFrame({"v": [k]}))
    one, two = _entry(root, key=(1,)), _entry(root, key=(2,))
    (root / f"{one}.frame.parquet").write_bytes((root / f"{two}.frame.parquet").read_bytes())
    got, hit = StageCache(root).get_or_build("s", [1], lambda: pd.DataFrame({"v": [1]}))
    assert not hit and got["v"].tolist() == [1]


@pytest.mark.parametrize("which", ["json", "table"])
def test_an_entry_file_replaced_by_a_link_is_a_miss_and_never_written_through(tmp_path, which):
    """Mutants: the entry's JSON or table read through a link (no ``lstat`` check).  The link
    leads to a file of the same bytes: still a miss, and nothing is written through it (the
    stage is not cached while the link is there; the file it leads to stays as it was)."""
    root = tmp_path / ".cache"
    StageCache(root).get_or_build("s", [1], lambda: pd.DataFrame({"v": [1]}))
    name = _entry(root)
    path = root / (f"{name}.json" if which == "json" else f"{name}.frame.parquet")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    got, hit = StageCache(root).get_or_build("s", [1], lambda: pd.DataFrame({"v": [1]}))
    assert not hit and got["v"].tolist() == [1]
    assert path.is_symlink() and elsewhere.read_bytes() == before
    assert not StageCache(root).get_or_build("s", [1], lambda: pd.DataFrame({"v": [1]}))[1]


def test_a_memo_json_of_another_shape_is_an_empty_memo_not_a_traceback(tmp_path):
    """Mutant: the shape of an entry's JSON not checked.  Its sha256 vouches only for its
    text (anyone can compute it): a JSON of another writer with ``data`` a list made
    :meth:`StageCache.memo` raise an AttributeError out of the run."""
    root = tmp_path / ".cache"
    root.mkdir()
    name = _entry(root, "m")
    body = {"entry": name, "tables": {}, "data": [], "objects": {}}
    body["sha256"] = hashlib.sha256(json.dumps(body).encode()).hexdigest()
    (root / f"{name}.json").write_text(json.dumps(body))
    assert StageCache(root).memo("m", [1]).known() == frozenset()


def test_a_read_false_cache_builds_and_its_result_is_served_next(tmp_path):
    """Mutant: ``read=False`` (``--cold``) still read the cache.  A cold run builds every
    stage, and stores what it built for the next run."""
    root = tmp_path / ".cache"
    StageCache(root).get_or_build("s", [1], lambda: pd.DataFrame({"v": [1]}))
    got, hit = StageCache(root, read=False).get_or_build("s", [1], lambda: pd.DataFrame({"v": [2]}))
    assert not hit and got["v"].tolist() == [2]
    got, hit = StageCache(root).get_or_build("s", [1], lambda: 1 / 0)
    assert hit and got["v"].tolist() == [2]


def test_a_stage_with_one_entry_built_is_not_said_cached(tmp_path):
    """Mutants: a miss did not set the stage's ``hits`` to False; a hit set it True.  A stage
    one of whose entries was built is not "cached" in the manifest, whatever the order."""
    root = tmp_path / ".cache"
    StageCache(root).get_or_build("features: x", [1], lambda: pd.DataFrame({"v": [1]}))
    cache = StageCache(root)
    assert cache.get_or_build("features: x", [1], lambda: 1 / 0)[1]
    assert cache.hits == {"features: x": True}
    assert not cache.get_or_build("features: x", [2], lambda: pd.DataFrame({"v": [2]}))[1]
    assert cache.hits == {"features: x": False}
    later = StageCache(root)  # built first, then served: not cached either (mutant: = True)
    assert not later.get_or_build("features: x", [3], lambda: pd.DataFrame({"v": [3]}))[1]
    assert later.get_or_build("features: x", [1], lambda: 1 / 0)[1]
    assert later.hits == {"features: x": False}


# ---------------------------------------------------------------------------------- links


def test_a_linked_cache_folder_is_never_written_or_pruned_through(tmp_path):
    """Mutants: ``_store`` without its check of the cache folder, ``prune`` without its
    check that the folder is no link.  Through ``.cache`` linked elsewhere, a run wrote its
    entries there and pruned that folder's files named like unused entries."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "old-0123456789abcdef0123.json").write_text("{}")
    (tmp_path / "out").mkdir()
    root = tmp_path / "out" / ".cache"
    root.symlink_to(elsewhere)
    cache = StageCache(root)
    got, hit = cache.get_or_build("s", [1], lambda: pd.DataFrame({"v": [1]}))
    assert not hit and got["v"].tolist() == [1]
    cache.prune()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["old-0123456789abcdef0123.json"]


def test_a_memo_s_clean_up_leaves_a_link_named_like_its_generation(tmp_path):
    """Mutant: the memo's clean-up of generations no longer listed followed links.  A link
    in ``.cache`` is not route-risk's (as :meth:`StageCache.prune` leaves it): it stays."""
    root = tmp_path / ".cache"
    memo = StageCache(root).memo("m", [1])
    memo.save(np.array(["p"], object), {"v": np.array([1.0])})
    target = tmp_path / "mine.parquet"
    target.write_bytes(b"mine")
    link = root / f"{_entry(root, 'm')}.g0123456789abcdef.parquet"
    link.symlink_to(target)
    StageCache(root).memo("m", [1]).save(np.array(["q"], object), {"v": np.array([2.0])})
    assert link.is_symlink() and target.read_bytes() == b"mine"
    assert StageCache(root).memo("m", [1]).known() == {"q"}


@dataclasses.dataclass
class _Kept:
    folder: str
    files: dict


def _keep(root: Path, tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(b"a" * 64)
    folder = StageCache(root).keep("ingest tracks", [1], {"a.bin": src / "a.bin"}, _Kept)
    assert folder is not None and StageCache(root).kept("ingest tracks", [1]) is not None
    return folder


def test_a_kept_entry_naming_another_entry_s_folder_is_a_miss(tmp_path):
    """Mutant: the folder an entry of kept files names not checked to be its own.  An entry
    of another key naming this one's folder (its files matching their sha256) was served:
    another track file's spill, and a folder that ``prune`` deletes with its own entry."""
    root = tmp_path / ".cache"
    folder = _keep(root, tmp_path)
    got = StageCache(root).kept("ingest tracks", [1])
    assert got is not None
    StageCache(root).get_or_build("ingest tracks", [2], lambda: got[0])
    assert StageCache(root).get_or_build("ingest tracks", [2], lambda: 1 / 0)[1]
    assert folder.is_dir() and StageCache(root).kept("ingest tracks", [2]) is None


def test_a_kept_file_changed_in_place_is_a_miss(tmp_path):
    """Mutant: the kept files' sha256 not checked.  A spill's file changed after it was kept
    (same name, other bytes) was read as the track file's pings."""
    folder = _keep(tmp_path / ".cache", tmp_path)
    with open(folder / "a.bin", "ab") as f:
        f.write(b"more")
    assert StageCache(tmp_path / ".cache").kept("ingest tracks", [1]) is None


@pytest.mark.parametrize("which", ["file", "folder"])
def test_a_kept_file_or_folder_replaced_by_a_link_is_a_miss(tmp_path, which):
    """Mutants: a kept file, or the entry's folder, read through a link (``lstat`` checks
    replaced by ones that follow).  The link leads to the same bytes: still a miss."""
    folder = _keep(tmp_path / ".cache", tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    if which == "file":
        (folder / "a.bin").unlink()
        (folder / "a.bin").symlink_to(copy / "a.bin")
    else:
        shutil.rmtree(folder)
        folder.symlink_to(copy, target_is_directory=True)
    assert StageCache(tmp_path / ".cache").kept("ingest tracks", [1]) is None


def test_a_linked_shards_folder_is_not_read(tmp_path):
    """Mutant: the shards' folder not checked for a link (each shard file was).  A folder
    replaced by a link to a copy of it, shards and all matching their sha256, is dropped."""
    root = tmp_path / ".cache"
    memo = StageCache(root).memo("m", [1], sharded=True)
    prefix = memo.output(0)
    assert prefix is not None
    w = write_shard(
        prefix, np.array(["h"], object), np.array(["v"], object), {"x": np.array([1.0])}, [1]
    )
    memo.commit([w])
    assert StageCache(root).memo("m", [1], sharded=True).reads_for(np.array(["v"], object))
    (folder,) = root.glob("*.shards")
    shutil.copytree(folder, tmp_path / "copy")
    shutil.rmtree(folder)
    folder.symlink_to(tmp_path / "copy", target_is_directory=True)
    assert StageCache(root).memo("m", [1], sharded=True).reads_for(np.array(["v"], object)) == []


# ---------------------------------------------------------------------------------- memos


def test_a_part_added_with_other_rows_replaces_the_stored_ones(tmp_path):
    """Mutants: ``_same_rows`` always true, and a generation holding a replaced part kept.
    A part kept under a fixed name whose rows changed (the last run's AIS neighbourhood) was
    served with its old rows on the next night.  And (mutant: NaN unequal to NaN) a part
    added again with the same rows, NaN included, is reused: nothing is written."""
    root = tmp_path / ".cache"
    StageCache(root).memo("m", [1]).save(
        np.array(["p", "q"], object), {"v": np.array([1.0, np.nan])}
    )
    before = sorted((p.name, p.read_bytes()) for p in root.iterdir())
    StageCache(root).memo("m", [1]).save(np.array(["q"], object), {"v": np.array([np.nan])})
    assert sorted((p.name, p.read_bytes()) for p in root.iterdir()) == before
    memo = StageCache(root).memo("m", [1])
    memo.reuse(["q"])
    memo.add(np.array(["p"], object), {"v": np.array([5.0])})
    memo.flush()
    rows, n = StageCache(root).memo("m", [1]).take(["p", "q"])
    assert n.tolist() == [1, 1] and rows["v"][0] == 5.0 and np.isnan(rows["v"][1])


# ------------------------------------------------------------------------------- manifest


def test_strict_json_has_no_bare_nan_and_no_numpy():
    """Mutants: ``jsonable`` leaving NaN and infinities as they are, ``dumps_strict`` without
    ``jsonable`` (and allowing NaN), numpy scalars not made Python numbers, sets in the
    order they iterate.  Parsed by a parser that refuses NaN tokens, the values are null,
    plain numbers and sorted lists."""
    from pipeline.runner.manifest import dumps_strict

    def refuse(token: str):
        raise ValueError(f"bare {token} in strict JSON")

    obj = {
        "nan": float("nan"),
        "inf": [float("inf"), -float("inf")],
        "f32 nan": np.float32("nan"),
        "f32": np.float32(0.5),
        "i64": np.int64(7),
        "array": np.array([1.5, np.nan]),
        "set": {f"s{i}" for i in range(12)},
        3: "a number key",
        np.int64(4): "a numpy key",
        "path": Path("/data/ais.csv"),
        "when": pd.Timestamp("2026-06-30", tz="UTC"),
    }
    got = json.loads(dumps_strict(obj), parse_constant=refuse)
    assert got == {
        "nan": None,
        "inf": [None, None],
        "f32 nan": None,
        "f32": 0.5,
        "i64": 7,
        "array": [1.5, None],
        "set": sorted(f"s{i}" for i in range(12)),
        "3": "a number key",
        "4": "a numpy key",
        "path": "/data/ais.csv",
        "when": "2026-06-30 00:00:00+00:00",
    }
    assert type(got["i64"]) is int


@pytest.mark.parametrize("prefix", ["GDAL_", "CPL_", "OGR_", "OSR_", "PROJ_", "SHAPE_", "DXF_"])
def test_each_reader_setting_of_the_environment_is_keyed(monkeypatch, prefix):
    """Mutants: a prefix left out of the reader settings (``PROJ_NETWORK`` fetches datum
    grids, ``SHAPE_ENCODING`` decodes a ``.dbf``'s text).  Each kind of GDAL, OGR and PROJ
    setting is recorded and changes the key the cache is read by."""
    from pipeline.runner.manifest import key_version, reader_settings

    libraries = {"numpy": "1"}
    monkeypatch.delenv(prefix + "HGL_TEST", raising=False)
    before = key_version(libraries)
    monkeypatch.setenv(prefix + "HGL_TEST", "ON")
    assert reader_settings()[prefix + "HGL_TEST"] == "ON"
    assert key_version(libraries) != before


def test_the_code_version_changes_with_a_module_of_a_subpackage(tmp_path, monkeypatch):
    """Mutant: only the package's top folder hashed (``glob`` for ``rglob``).  The readers
    and stages are in subpackages: an edit of one must change the code version."""
    from pipeline.runner import manifest as M

    pkg = tmp_path / "pkg"
    (pkg / "ingest").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ingest" / "reader.py").write_text("SEP = ','\n")
    monkeypatch.setattr(M, "_ROOT", pkg)
    monkeypatch.setattr(M, "_code_hash", None)
    before = M.code_version()
    (pkg / "ingest" / "reader.py").write_text("SEP = ';'\n")
    monkeypatch.setattr(M, "_code_hash", None)
    assert M.code_version() != before


def test_an_input_rewritten_to_another_size_at_its_old_time_is_changed(tmp_path):
    """Mutant: an input's identity without its size.  A file rewritten in place (same inode)
    whose modification time was given back (``cp -p``, ``rsync -t``, a clock of coarse
    resolution) but whose size changed is a changed input: its hash from the run's start is
    not reused and the run does not publish from the bytes it no longer has."""
    import os

    from pipeline.runner.inputs import input_identities, inputs_changed

    path = tmp_path / "seizures.csv"
    path.write_text("lon,lat\n1,2\n")
    before = input_identities([path])
    st = path.stat()
    with open(path, "r+") as f:  # the same inode, other bytes and size
        f.write("lon,lat\n1,2\n3,4\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_ino == st.st_ino and path.stat().st_mtime_ns == st.st_mtime_ns
    assert inputs_changed(before) == [str(path)]


def _typed_tables() -> dict[str, pd.DataFrame]:
    """A table of each column type whose store skips reading back a sample."""
    import geopandas as gpd
    from shapely.geometry import Point

    utc = pd.to_datetime(["2026-03-29 00:30", "2026-10-25 01:30"]).tz_localize("UTC")
    return {
        "numbers": pd.DataFrame(
            {
                "b": np.array([True, False]),
                "i8": np.array([-3, 7], "int8"),
                "u64": np.array([2**64 - 1, 0], "uint64"),
                "f32": np.array([0.1, np.nan], "float32"),
                "f64": [-0.0, np.inf],
            }
        ),
        "times": pd.DataFrame({"t": utc.tz_localize(None), "tz": utc.tz_convert("Asia/Kolkata")}),
        "text": pd.DataFrame(
            {
                "o": pd.Series(["a", None], dtype=object),
                "none": pd.Series([None, None], dtype=object),
                "s": pd.Series(["x", None], dtype="str"),
                "sp": pd.array(["y", None], dtype="string"),
            }
        ),
        "an empty table": pd.DataFrame({"o": pd.Series([], dtype=object), "f": []}),
        "a range not from 0": pd.DataFrame({"v": [1.0, 2.0]}, index=pd.RangeIndex(5, 9, 2)),
        "places in degrees": gpd.GeoDataFrame(
            {"name": ["p", "q"]}, geometry=[Point(179.5, -16.5), Point(-0.1, 51.5)], crs=4326
        ),
        "places in metres": gpd.GeoDataFrame(
            {"n": [1, 2]}, geometry=[Point(500000, 0), Point(1, 2)], crs="EPSG:32760"
        ),
    }


@pytest.mark.parametrize("what", sorted(_typed_tables()))
def test_a_table_stored_by_its_types_alone_is_served_as_it_was(tmp_path, what):
    """The store reads back no sample of a table whose column types Parquet keeps
    (``_typed_as_written``): each such type, served from a fresh cache, must be the table
    itself - a type wrongly taken as kept would be served changed here."""
    fresh = _typed_tables()[what]
    got, hit = _served(tmp_path, fresh)
    assert hit and type(got) is type(fresh)
    pd.testing.assert_frame_equal(got, fresh, check_exact=True)
    assert getattr(got, "crs", None) == getattr(fresh, "crs", None)
    if "o" in fresh.columns:
        assert got["o"].tolist() == fresh["o"].tolist()
