"""The per-stage cache: data only, content-hashed, never followed through a link.

An entry is a JSON file ``<stage>-<key>.json`` (plain data plus the sha256 of each table) and
one Parquet file per table ``<stage>-<key>.<table>.parquet``.  Nothing is unpickled or
imported: no cache file can make the run execute code.  Before an entry is used its tables'
sha256 are checked against the JSON; a corrupt, foreign or linked entry is ignored (and
rebuilt).  The JSON names its own entry and holds the sha256 of its text, so an entry copied
or renamed from another key (another output folder's cache, another track file's spill) or a
JSON edited by hand is a miss too.  None of this authenticates a writer: whoever may write
the cache folder can write a consistent entry holding other values, so it must be writable
only by the user who runs route-risk (``--cold`` reads nothing from it).  The key is the hash
of everything the stage's result depends on: the content of its inputs, its own options and
the code version (route-risk's source and its libraries' versions,
:func:`~pipeline.runner.manifest.key_version`), so changing the score weights does not
recompute transit.

A value is stored only if it reads back as it is (a table's column types, names and index;
data that JSON gives back unchanged): one that would not (a number of numpy's as its text, a
tuple as a list, times in seconds as milliseconds) is not cached, and is computed each run.

Two kinds of entry hold files of their own, each listed with its sha256 in the entry's JSON
and checked before use: a sharded memo (``*.shards``, :class:`ShardMemo`) and a folder of
kept files (``*.kept``, :meth:`StageCache.keep`: a track file's spill, read in place).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..io import atomic_path, sha256_file
from .publish import check_no_links

__all__ = [
    "PartMemo",
    "ShardIndex",
    "ShardMemo",
    "StageCache",
    "digest",
    "frame_digest",
    "range_indices",
    "read_shards",
    "write_shard",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
_MAX_META_BYTES = 16 << 20
#: Suffix of the folder of files of an entry stored by :meth:`StageCache.keep`.
_KEPT = ".kept"
_SAFE_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
#: A table's name in an entry (a field name, ``frame``, a memo's generation ``g<hex>``).
_TABLE = re.compile(r"[A-Za-z0-9_]+")
#: A temporary file :func:`_write` makes beside a cache file (``atomic_path``'s mkstemp name):
#: one a killed run left is deleted by :meth:`StageCache.prune`.
_TEMP = re.compile(r"\.[A-Za-z0-9_][A-Za-z0-9_.-]*\.[a-z0-9_]{8}\.tmp")


def digest(obj: Any) -> str:
    """Short sha256 of JSON-able ``obj`` (sorted keys; other objects by ``str``)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


def frame_digest(frame: pd.DataFrame | np.ndarray | None) -> str:
    """Content hash of a table (values, column names and dtypes) or an array (values, shape).

    An array of objects is hashed by its values (as a table's column), never by the bytes
    it holds: those are the addresses of its objects, which differ between two arrays of
    the same text and repeat for other text once the first array's are freed.
    """
    h = hashlib.sha256()
    if frame is None:
        return "none"
    if isinstance(frame, np.ndarray):
        h.update(f"{frame.dtype}{frame.shape}".encode())
        if frame.dtype.hasobject:
            h.update(frame_digest(pd.DataFrame({"v": frame.ravel()})).encode())
        else:
            h.update(np.ascontiguousarray(frame).tobytes())
        return h.hexdigest()[:20]
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    try:
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    except TypeError:  # unhashable cells (lists): hash their text
        h.update(frame.astype(str).to_csv(index=False).encode())
    return h.hexdigest()[:20]


def _array_frame(value: np.ndarray) -> pd.DataFrame:
    """Return a 1-D array as a table of one column ``v`` of its type (objects stay objects).

    Built by ``pd.DataFrame({"v": value})`` an array of text objects became a column of
    pandas' text type, read back with NaN where the array held None.
    """
    if value.ndim != 1 or value.dtype.kind in "USV":
        raise TypeError(f"cannot cache a {value.ndim}-dimensional array of {value.dtype}")
    return pd.DataFrame({"v": pd.Series(value, dtype=value.dtype, copy=False)})


def _to_bundle(value: Any) -> tuple[dict[str, pd.DataFrame], Any]:
    """Split a result into its tables and plain data."""
    if isinstance(value, pd.DataFrame):
        return {"frame": value}, {"__kind__": "frame"}
    if isinstance(value, np.ndarray):
        return {"frame": _array_frame(value)}, {"__kind__": "array"}
    if isinstance(value, dict):
        return {}, {"__kind__": "json", "value": value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        frames, data = {}, {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if isinstance(v, pd.DataFrame):
                frames[f.name] = v
            elif isinstance(v, np.ndarray):
                frames[f.name] = _array_frame(v)
                data[f.name] = {"__array__": True}
            else:
                data[f.name] = v
        cls = type(value)
        return frames, {
            "__kind__": "dataclass",
            "class": f"{cls.__module__}:{cls.__qualname__}",
            "fields": data,
        }
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _from_bundle(frames: dict[str, pd.DataFrame], meta: dict) -> Any:
    if meta["__kind__"] == "frame":
        return frames["frame"]
    if meta["__kind__"] == "array":
        return frames["frame"]["v"].to_numpy()
    if meta["__kind__"] == "json":
        return meta["value"]
    # Only a class of this package (imported here if the run has not needed it yet - the
    # transit result is read before anything imported pipeline.transit) or of a module this
    # process already imported: a cache entry never makes Python import foreign code.
    module, _, qualname = str(meta["class"]).partition(":")
    cls: Any = sys.modules.get(module)
    if cls is None and module.split(".")[0] == __name__.split(".")[0]:
        with contextlib.suppress(ImportError):
            cls = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"cached class {meta['class']!r} is not a loaded dataclass")
    kwargs = dict(frames)
    for name, v in meta["fields"].items():
        if isinstance(v, dict) and v.get("__array__"):
            kwargs[name] = frames[name]["v"].to_numpy()
        else:
            kwargs[name] = v
    return cls(**kwargs)


def _table_bytes(frame: pd.DataFrame) -> bytes:
    """Parquet bytes of a table and its index; a GeoDataFrame as GeoParquet (WKB, CRS kept).

    A ``RangeIndex`` is kept as its bounds; any other index as columns, read back as the index.
    """
    buf = io.BytesIO()
    frame.to_parquet(buf, index=None)
    return buf.getvalue()


def _read_table(source: Path | bytes) -> pd.DataFrame:
    """Read a cached table back: a GeoParquet file (``geo`` metadata) as a GeoDataFrame."""
    import pyarrow.parquet as pq

    def opened() -> Path | io.BytesIO:
        return io.BytesIO(source) if isinstance(source, bytes) else source

    if b"geo" in (pq.read_schema(opened()).metadata or {}):
        import geopandas as gpd

        return gpd.read_parquet(opened())
    return pd.read_parquet(opened())


def _json_difference(value: Any, back: Any, where: str) -> str | None:
    """Return where ``back`` (``value`` through JSON) is not ``value`` (None: nowhere).

    A float subclass (numpy's ``float64``) may come back a float of the same value; any
    other change of type is a difference: a tuple that comes back a list, a number as its
    text (numpy's ``int64``), a time stamp as its text, a dict's number keys as text.
    """
    if isinstance(value, float) and type(back) is float:
        return None if value == back or (value != value and back != back) else where
    if type(value) is not type(back):
        return f"{where} (a {type(value).__name__})"
    if isinstance(value, dict):
        if list(value) != list(back):
            return f"{where} (its keys {list(value)[:3]!r})"
        pairs: Iterable[tuple[Any, Any, str]] = (
            (value[k], back[k], f"{where}[{k!r}]") for k in value
        )
    elif isinstance(value, list):
        if len(value) != len(back):
            return where
        pairs = ((a, b, f"{where}[{i}]") for i, (a, b) in enumerate(zip(value, back, strict=True)))
    else:
        return None if value == back else where
    for a, b, at in pairs:
        if (found := _json_difference(a, b, at)) is not None:
            return found
    return None


#: The type of each value of an object array (a loop in C, not in Python).
_KIND_OF = np.frompyfunc(type, 1, 1)


def _same_schema(a: bytes, b: bytes) -> bool:
    """Tell whether two Parquet files' columns have the same names and types (footers only)."""
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(io.BytesIO(x)).remove_metadata() for x in (a, b)]
    return bool(schemas[0].equals(schemas[1]))


def _table_difference(frame: pd.DataFrame, back: pd.DataFrame) -> str | None:
    """Return what of ``frame`` the table read back from it (``back``) lost (None: nothing).

    Parquet holds no time in seconds (read back in milliseconds), gives a categorical of
    numbers back as its numbers, column names as text, lists in an object column as arrays
    and the integers of a column of numbers as floats: such a table is not cached.
    """
    if not all(isinstance(c, str) for c in frame.columns):
        return "has column names that are not text"
    if list(back.columns) != list(frame.columns):
        return "does not read back with its columns"
    lost = [c for c, a, b in zip(frame.columns, frame.dtypes, back.dtypes, strict=True) if a != b]
    if lost:
        return f"reads back with other types (column {lost[0]!r}: {frame[lost[0]].dtype})"
    for c in [c for c in frame.columns if frame[c].dtype == object]:
        a, b = frame[c].to_numpy(), back[c].to_numpy()
        known = ~pd.isna(a)  # None and NaN are both missing; the cache gives None back
        if not np.array_equal(known, ~pd.isna(b)) or np.any(
            _KIND_OF(a[known]) != _KIND_OF(b[known])
        ):
            return f"reads back with other kinds of values in column {c!r} (a list as an array, an integer as a float)"
    i, j = frame.index, back.index
    if not (i.equals(j) and i.names == j.names and i.dtype.kind == j.dtype.kind):
        return "does not read back with its index"
    if type(back) is not type(frame) or getattr(frame, "crs", None) != getattr(back, "crs", None):
        return f"reads back as another kind of table ({type(back).__name__})"
    return None


def _typed_as_written(frame: pd.DataFrame) -> bool:
    """Tell whether ``frame`` reads back from Parquet as written by its column types alone.

    A table (or a GeoDataFrame: GeoParquet keeps its geometry and CRS) of text column names,
    a ``RangeIndex`` and columns of numpy's bool, integers, 32- and 64-bit floats, times in
    nanoseconds (with or without a zone), pandas' text type, or objects that are all text or
    missing, comes back as it was (each such type is checked through the store in
    tests/test_mutants_cache_found.py): its store skips writing and reading back a sample.
    Anything else (an object column of numbers or lists, times in seconds, a categorical,
    another index) is read back.
    """
    import geopandas as gpd
    import pyarrow as pa

    if type(frame) not in (pd.DataFrame, gpd.GeoDataFrame):
        return False
    if type(frame.index) is not pd.RangeIndex:
        return False
    for c, t in frame.dtypes.items():
        if not isinstance(c, str):
            return False
        if isinstance(t, np.dtype) and t.kind == "O":
            try:  # Arrow's own inference of the column, as the Parquet writer makes it
                kind = pa.array(frame[c].to_numpy(), from_pandas=True).type
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return False
            if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                if not pa.types.is_null(kind):  # no value at all (an empty table's columns)
                    return False
        elif isinstance(t, np.dtype):
            if not (t.kind in "biu" or t in (np.float32, np.float64) or t == "datetime64[ns]"):
                return False
        elif isinstance(t, pd.DatetimeTZDtype):
            if t.unit != "ns":
                return False
        elif not isinstance(t, (pd.StringDtype, gpd.array.GeometryDtype)):
            return False
    return True


def _entry_json(name: str, meta: dict[str, Any]) -> bytes:
    """Return the JSON of entry ``name``: ``meta`` with the entry's name and their sha256.

    The name binds the JSON to its key (a copy under another name is a miss) and the sha256
    to its text (an edit is a miss); see :func:`_entry_meta`.
    """
    body = json.loads(json.dumps({"entry": name, **meta}, default=str))
    body["sha256"] = hashlib.sha256(json.dumps(body).encode()).hexdigest()
    return json.dumps(body).encode()


def _entry_meta(name: str, text: bytes) -> dict[str, Any]:
    """Return the meta data of entry ``name`` from its JSON, checked (see :func:`_entry_json`).

    Raises
    ------
    ValueError
        If the JSON is not this entry's, was edited, or is not of the shape this module writes.
    """
    meta = json.loads(text)
    if not isinstance(meta, dict):
        raise ValueError("its JSON is not an object")
    sha = meta.pop("sha256", None)
    if meta.get("entry") != name:
        raise ValueError(f"its JSON is the entry {meta.get('entry')!r}'s, not this one's")
    if sha != hashlib.sha256(json.dumps(meta).encode()).hexdigest():
        raise ValueError("its JSON does not match its sha256 (edited or damaged)")
    tables, objects = meta.get("tables"), meta.get("objects")
    if not (
        isinstance(tables, dict)
        and all(isinstance(t, str) and _TABLE.fullmatch(t) for t in tables)
        and all(isinstance(v, str) for v in tables.values())
        and isinstance(objects, dict)
        and all(isinstance(v, list) for v in objects.values())
        and isinstance(meta.get("data"), dict)
    ):
        raise ValueError("its JSON is not of the shape route-risk writes")
    return meta


def _write(path: Path, data: bytes) -> None:
    """Write a cache file by rename, without waiting for the disk (no fsync).

    A file a crash leaves short or empty fails its hash check and is rebuilt, so the cache
    needs no durability, and a night's many small entries do not each wait for the disk.
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _with_objects(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Return ``frame`` with ``columns`` as the object columns they were when stored.

    Parquet gives text back as pandas' string dtype; a fresh table holds Python objects, and
    the two are written differently (``string`` and ``large_string``): a table served from
    the cache must give the bytes of a fresh one.
    """
    for c in columns:
        if c in frame.columns and frame[c].dtype != object:
            frame[c] = pd.Series(
                frame[c].to_numpy(dtype=object, na_value=None), index=frame.index, dtype=object
            )
    return frame


class StageCache:
    """A folder of cached stage results (see the module docstring).

    Parameters
    ----------
    root : path-like
        The cache folder (``<out_dir>/.cache``); it must not be a symbolic link.
    enabled : bool
        False: every lookup misses and nothing is written.
    read : bool
        False: every lookup misses but results are still stored (a cold run: everything is
        computed from the inputs, and the next run can reuse it).
    """

    def __init__(self, root: str | os.PathLike, *, enabled: bool = True, read: bool = True) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self.read = read
        self.used: set[str] = set()
        self.hits: dict[str, bool] = {}

    def get_or_build(self, stage: str, key_parts: Any, build: Callable[[], T]) -> tuple[T, bool]:
        """Return the cached result of ``stage`` for ``key_parts`` or build and store it."""
        name = self.touch(stage, key_parts)
        if self.enabled and self.read:
            got = self._load(name)
            if got is not None:
                self.hits[stage] = self.hits.get(stage, True)
                return got, True
        value = build()
        self.hits[stage] = False
        if self.enabled:
            try:
                self._store(name, value)
            except (TypeError, ValueError, OSError) as exc:
                log.warning("stage %s not cached: %s", stage, exc)
        return value, False

    def memo(self, stage: str, key_parts: Any, *, sharded: bool = False) -> PartMemo | ShardMemo:
        """Return the memo of parts of ``stage`` for ``key_parts`` (loaded, empty if none).

        A :class:`PartMemo` (one table, loaded here), or with ``sharded`` a
        :class:`ShardMemo` (one file pair per partition, read by the partitions).
        """
        name = self.touch(stage, key_parts)
        if sharded:
            return ShardMemo(self, name)
        got = self._load_frames(name) if self.enabled and self.read else None
        if got is None or got[0].get("data", {}).get("__kind__") != "memo":
            return PartMemo(self, name, None)
        meta, frames = got
        gens = [
            (g, {"sha": meta["tables"][g], "objects": meta["objects"].get(g, [])}, frames[g])
            for g in meta["tables"]
        ]
        return PartMemo(self, name, gens)

    def touch(self, stage: str, key_parts: Any) -> str:
        """Mark the entry of ``stage`` for ``key_parts`` as used by this run; return its name.

        :meth:`prune` keeps it, whether or not the run read it.
        """
        name = f"{re.sub(r'[^A-Za-z0-9_]+', '_', stage)}-{digest(key_parts)}"
        self.used.add(name)
        return name

    def kept(self, stage: str, key_parts: Any) -> tuple[Any, Path] | None:
        """Return an entry stored by :meth:`keep` and its folder of files, or None.

        Every file the entry names is checked against its sha256 first: a file missing,
        changed, or not a regular file (a link), or a folder that is a link, is a miss.
        """
        name = self.touch(stage, key_parts)
        got = self._kept(name) if self.enabled and self.read else None
        # a miss is built by the caller: the stage did not come whole from the cache
        self.hits[stage] = False if got is None else self.hits.get(stage, True)
        return got

    def _kept(self, name: str) -> tuple[Any, Path] | None:
        value = self._load(name)
        folder_name, files = getattr(value, "folder", None), getattr(value, "files", None)
        if not (
            isinstance(folder_name, str)
            and re.fullmatch(rf"{re.escape(name)}\.[0-9a-f]+{re.escape(_KEPT)}", folder_name)
            and isinstance(files, dict)
            and all(isinstance(f, str) and _SAFE_FILE.fullmatch(f) for f in files)
        ):
            return None
        folder = self.root / folder_name
        try:
            ok = stat.S_ISDIR(os.lstat(folder).st_mode) and all(
                stat.S_ISREG(os.lstat(folder / f).st_mode) and sha256_file(folder / f) == sha
                for f, sha in files.items()
            )
        except (OSError, ValueError, TypeError):
            ok = False
        if not ok:
            log.warning("cache entry %s: its files do not match their hashes; rebuilt", name)
            return None
        return value, folder

    def keep(
        self,
        stage: str,
        key_parts: Any,
        files: dict[str, Path],
        make: Callable[[str, dict[str, str]], Any],
    ) -> Path | None:
        """Store ``files`` (name: path, regular files) in a folder of the cache as an entry.

        The files are hard-linked (copied across file systems) into a new folder; the entry
        is ``make(folder name, {name: sha256})``, a dataclass with those two as its
        ``folder`` and ``files``, for :meth:`kept`.  Earlier folders of the entry go once
        it is stored.  Returns the new folder (None: nothing kept).
        """
        if not self.enabled:
            return None
        name = self.touch(stage, key_parts)
        check_no_links(self.root.parent, self.root)
        self.root.mkdir(exist_ok=True)
        folder = self.root / f"{name}.{secrets.token_hex(8)}{_KEPT}"
        try:
            folder.mkdir()
            shas = {}
            for f, src in files.items():
                if not (_SAFE_FILE.fullmatch(f) and stat.S_ISREG(os.lstat(src).st_mode)):
                    raise ValueError(f"not a plain file name or a regular file: {f!r}")
                try:
                    os.link(src, folder / f, follow_symlinks=False)
                except OSError:
                    shutil.copyfile(src, folder / f, follow_symlinks=False)
                shas[f] = sha256_file(folder / f)
            self._store(name, make(folder.name, shas))
        except (TypeError, ValueError, OSError) as exc:
            log.warning("stage %s not kept: %s", stage, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        for entry in os.scandir(self.root):  # earlier folders (also of runs that were killed)
            if (
                entry.name.startswith(f"{name}.")
                and entry.name.endswith(_KEPT)
                and entry.name != folder.name
                and entry.is_dir(follow_symlinks=False)
            ):
                shutil.rmtree(entry.path, ignore_errors=True)
        return folder

    def _load(self, name: str) -> Any | None:
        got = self._load_frames(name)
        if got is None:
            return None
        meta, frames = got
        try:
            return _from_bundle(frames, meta["data"])
        except Exception as exc:  # a corrupt or foreign entry is rebuilt, never trusted
            log.warning("ignoring cache entry %s: %s", name, exc)
            return None

    def _load_frames(self, name: str) -> tuple[dict, dict[str, pd.DataFrame]] | None:
        """Return an entry's meta data and tables, each table checked against its sha256."""
        meta_path = self.root / f"{name}.json"
        try:
            st = os.lstat(meta_path)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_META_BYTES:
                raise ValueError("not a regular file of bounded size")
            meta = _entry_meta(name, meta_path.read_bytes())
            frames = {}
            objects = meta["objects"]
            for part, sha in meta["tables"].items():
                path = self.root / f"{name}.{part}.parquet"
                if not stat.S_ISREG(os.lstat(path).st_mode) or sha256_file(path) != sha:
                    raise ValueError(f"table {part!r} does not match its hash")
                frames[part] = _with_objects(_read_table(path), objects.get(part, []))
            return meta, frames
        except Exception as exc:  # a corrupt or foreign entry is rebuilt, never trusted
            log.warning("ignoring cache entry %s: %s", name, exc)
            return None

    def _store_memo(self, name: str, kept: dict[str, dict], frame: pd.DataFrame | None) -> None:
        """Store a memo as its ``kept`` generation files plus one new one holding ``frame``.

        ``kept`` maps each earlier generation still used to its ``sha``/``objects``; files
        of the memo's other generations are deleted once the new entry is written.
        """
        check_no_links(self.root.parent, self.root)
        self.root.mkdir(exist_ok=True)
        gens = dict(kept)
        if frame is not None and len(frame):
            data_bytes = _table_bytes(frame.reset_index(drop=True))
            sha = hashlib.sha256(data_bytes).hexdigest()
            gen = f"g{sha[:16]}"
            path = self.root / f"{name}.{gen}.parquet"
            check_no_links(self.root, path)
            _write(path, data_bytes)
            gens[gen] = {
                "sha": sha,
                "objects": [str(c) for c in frame.columns if frame[c].dtype == object],
            }
        meta = _entry_json(
            name,
            {
                "tables": {g: v["sha"] for g, v in gens.items()},
                "data": {"__kind__": "memo"},
                "objects": {g: v["objects"] for g, v in gens.items()},
            },
        )
        check_no_links(self.root, self.root / f"{name}.json")
        _write(self.root / f"{name}.json", meta)
        with os.scandir(self.root) as it:  # generations no longer listed
            for entry in it:
                stem, _, rest = entry.name.partition(".")
                if (
                    stem == name
                    and rest.endswith(".parquet")
                    and rest[: -len(".parquet")] not in gens
                    and entry.is_file(follow_symlinks=False)
                ):
                    os.unlink(entry.path)

    def _store(self, name: str, value: Any) -> None:
        """Store ``value`` as entry ``name``.

        Raises
        ------
        TypeError
            If the value would not come back as it is (see :func:`_json_difference` and
            :func:`_table_difference`): it is not cached, never served changed.
        """
        frames, data = _to_bundle(value)
        at = _json_difference(data, json.loads(json.dumps(data, default=str)), "")
        if at is not None:
            raise TypeError(f"its data would not read back as they are (at {at or 'the top'})")
        check_no_links(self.root.parent, self.root)
        self.root.mkdir(exist_ok=True)
        tables = {}
        objects = {}
        for part, frame in frames.items():
            path = self.root / f"{name}.{part}.parquet"
            check_no_links(self.root, path)
            objects[part] = [str(c) for c in frame.columns if frame[c].dtype == object]
            data_bytes = _table_bytes(frame)
            if not _typed_as_written(frame):
                # what Parquet keeps of a table is its schema's (types, names, index): where
                # the first row's schema is the table's, that row is read back, not the table
                probe, probe_bytes = frame.iloc[:1], _table_bytes(frame.iloc[:1])
                if not _same_schema(probe_bytes, data_bytes):
                    probe, probe_bytes = frame, data_bytes
                back = _with_objects(_read_table(probe_bytes), objects[part])
                if (lost := _table_difference(probe, back)) is not None:
                    raise TypeError(f"table {part!r} {lost}")
            _write(path, data_bytes)
            tables[part] = hashlib.sha256(data_bytes).hexdigest()
        # key order is kept: a cached report must serialise like a fresh one
        meta = _entry_json(name, {"tables": tables, "data": data, "objects": objects})
        check_no_links(self.root, self.root / f"{name}.json")
        _write(self.root / f"{name}.json", meta)

    def prune(self, keep: Iterable[str] | None = None) -> None:
        """Delete regular cache files of entries this run did not use (links are left alone).

        Memos of parts (``memo_*``) the run did not open are kept: a run whose factor was
        served whole from the cache (only the score changed) must not cost the next night
        its parts.  A memo is deleted once the run opened another key of its kind.  The
        temporary files of cache writes that a killed run left (``.<file>.<random>.tmp``)
        go too: the run lock keeps any other writer out, and nothing else removes them.
        """
        if not self.enabled or not self.root.is_dir() or self.root.is_symlink():
            return
        keep = set(keep if keep is not None else self.used)
        # a memo of parts this run did not open (its factor came whole from the cache) stays
        # for the next night; one another key of its kind replaced (options, code) goes
        opened = {name.rsplit("-", 1)[0] for name in keep}
        failed: list[str] = []

        def unlink(path: str) -> None:
            # the set is published when this runs: a file this user may not delete (a
            # .cache/ written by a run as root) is a warning, as an old run folder is, not
            # a night that exits 2 after publishing its map
            try:
                os.unlink(path)
            except OSError as exc:
                failed.append(f"{os.path.basename(path)} ({exc.strerror or exc})")

        with os.scandir(self.root) as it:
            for entry in it:
                if _TEMP.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    unlink(entry.path)  # a write a killed run did not finish
                    continue
                stem = entry.name.split(".", 1)[0]
                if stem in keep:
                    continue
                if stem.startswith("memo_") and stem.rsplit("-", 1)[0] not in opened:
                    continue
                if entry.is_dir(follow_symlinks=False) and entry.name.endswith((_SHARDS, _KEPT)):
                    shutil.rmtree(entry.path, ignore_errors=True)  # links in it are unlinked
                elif entry.is_file(follow_symlinks=False) and entry.name.endswith(
                    (".json", ".parquet")
                ):
                    unlink(entry.path)
        if failed:
            log.warning(
                "could not remove %d unused cache file(s) from %s (%s%s); they stay until "
                "they can be removed",
                len(failed),
                self.root,
                ", ".join(failed[:3]),
                ", ..." if len(failed) > 3 else "",
            )


class PartMemo:
    """Results of the parts of one computation (map tiles, day blocks), each under its hash.

    A part's key is the content hash of everything its result depends on (its inputs, in
    order); the memo's own key (the stage, the options, the code version) covers the rest.
    So a part whose inputs did not change is taken from the memo, one that did is computed,
    and either way the part's rows are those the same function gives for the same inputs.

    The memo is one cache entry stored as *generations*: files of parts, each written once.
    :meth:`flush` keeps every earlier generation whose parts this run still used for at
    least half its rows, and writes only the rest of the run's parts (those computed, and
    those of generations mostly no longer used) as one new generation; a night that adds a
    day writes that day, not the history.  A kept generation may hold parts the inputs no
    longer have (harmless: a part's rows are a function of its hash) until it falls below
    half, or the memo reaches ``MAX_GENERATIONS`` and is rewritten as one.

    A part added although the memo held it counts as reused when its rows are the stored
    ones; with other rows (a caller that keeps one part under a fixed name, such as the last
    run's AIS neighbourhood) it replaces them: a generation holding it is not kept (its other
    parts still used are moved to the new one).
    """

    #: Generations beyond which a flush rewrites the memo as one.
    MAX_GENERATIONS = 8

    def __init__(
        self,
        cache: StageCache | None,
        name: str,
        generations: list[tuple[str, dict, pd.DataFrame]] | None,
    ) -> None:
        self.cache, self.name = cache, name
        self._cols: dict[str, np.ndarray] = {}
        self._where: dict[str, tuple[int, int]] = {}
        self._rows: list[dict[str, np.ndarray]] = []
        self._added: set[str] = set()
        self._reused: set[str] = set()  # parts of the memo this run used as they are
        self._replaced: set[str] = set()  # parts of the memo this run added with other rows
        self._gens: dict[str, dict] = {}  # generation -> sha, objects, rows, parts
        frames = []
        for gen, info, frame in generations or []:
            if "part" not in frame.columns:
                continue
            parts = pd.unique(frame["part"].to_numpy(dtype=object))
            self._gens[gen] = {**info, "rows": len(frame), "parts": set(map(str, parts))}
            frames.append(frame)
        if frames:
            frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
            part = frame["part"].to_numpy(dtype=object)
            starts = np.flatnonzero(np.r_[True, part[1:] != part[:-1]])
            stops = np.r_[starts[1:], len(part)]
            self._where = {
                str(part[a]): (int(a), int(b)) for a, b in zip(starts, stops, strict=True)
            }
            self._cols = {c: frame[c].to_numpy() for c in frame.columns if c != "part"}

    def known(self) -> frozenset[str]:
        """Return the part hashes the memo holds."""
        return frozenset(self._where)

    def take(self, parts: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Return the rows of ``parts`` (all known), concatenated, and the rows of each part."""
        bounds = np.array([self._where[p] for p in parts], dtype="int64").reshape(-1, 2)
        n = bounds[:, 1] - bounds[:, 0]
        idx = np.repeat(bounds[:, 0] - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(int(n.sum()))
        return {c: v[idx] for c, v in self._cols.items()}, n

    def reuse(self, parts: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """:meth:`take` the rows of ``parts`` and count the parts as used by this run.

        The same for :meth:`flush` as :meth:`add` of those rows, without handing them back:
        a night that takes the history's parts from the memo moves no row of them, unless
        their generation is rewritten.
        """
        got = self.take(parts)
        self._reused.update(parts)
        return got

    def add(self, part_of_row: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        """Add parts this run used (each part's rows together, ``part_of_row`` its hash).

        A part added or reused before in this run is not added again.  A part the memo
        holds is compared with its stored rows: the same rows count as reused, other rows
        replace them (see the class).
        """
        part_of_row = np.asarray(part_of_row, dtype=object)
        if part_of_row.size == 0:
            return
        columns = {c: np.asarray(v) for c, v in columns.items()}
        parts = pd.unique(part_of_row).tolist()
        again = [p for p in parts if p in self._added or p in self._reused]
        for p in parts:  # a handful at most: callers add the parts the memo lacked
            if p in self._where and p not in again:
                if self._same_rows(p, {c: v[part_of_row == p] for c, v in columns.items()}):
                    self._reused.add(p)
                    again.append(p)
                else:
                    self._replaced.add(p)
        if again:
            fresh = ~pd.Series(part_of_row).isin(again).to_numpy()
            part_of_row = part_of_row[fresh]
            columns = {c: v[fresh] for c, v in columns.items()}
        self._added.update(p for p in parts if p not in self._reused)
        self._rows.append({"part": part_of_row, **columns})

    def _same_rows(self, part: str, columns: dict[str, np.ndarray]) -> bool:
        """Whether ``columns`` are the rows the memo holds for ``part`` (NaN equal to NaN)."""
        stored, _ = self.take([part])
        if set(stored) != set(columns):
            return False
        for c, v in columns.items():
            a = stored[c]
            if a.shape != v.shape:
                return False
            try:
                same = bool(
                    np.array_equal(a, v, equal_nan=a.dtype.kind in "fc" and v.dtype.kind in "fc")
                )
            except TypeError:
                same = pd.Series(a, dtype=object).equals(pd.Series(v, dtype=object))
            if not same:
                return False
        return True

    def flush(self) -> None:
        """Store the parts added in this run (if any): see the class for what is rewritten.

        Nothing added (the computation was served whole from the stage cache): the memo
        is kept as it is, for a later run.
        """
        rows, reused = self._rows, self._reused
        used = self._added | reused
        again = self._replaced  # parts the memo held, added with other rows
        self._rows, self._added, self._reused, self._replaced = [], set(), set(), set()
        if self.cache is None or not self.cache.enabled or not used:
            return
        kept: dict[str, dict] = {}
        if len(self._gens) < self.MAX_GENERATIONS:
            for gen, g in self._gens.items():
                if g["parts"] & again:  # its rows of those parts are replaced
                    continue
                live = g["parts"] & used
                live_rows = sum(self._where[p][1] - self._where[p][0] for p in live)
                if live and 2 * live_rows >= g["rows"]:
                    kept[gen] = g
        held = set().union(*(g["parts"] for g in kept.values())) if kept else set()
        frames = []
        if rows:
            fresh = pd.DataFrame({c: np.concatenate([r[c] for r in rows]) for c in rows[0]})
            frames.append(fresh[~fresh["part"].isin(held).to_numpy()] if held else fresh)
        moved = sorted(reused - held)  # reused parts of generations not kept: rewritten
        if moved:
            cols, n = self.take(moved)
            frames.append(pd.DataFrame({"part": np.repeat(np.asarray(moved, object), n), **cols}))
        frame = pd.concat(frames, ignore_index=True) if frames else None
        if (frame is None or not len(frame)) and set(kept) == set(self._gens):
            return  # every part used is in a kept generation: the entry stands
        if frame is not None:  # a part's hash repeats on its rows: stored once, a dictionary
            frame["part"] = pd.Categorical(frame["part"].to_numpy(dtype=object))
        try:
            self.cache._store_memo(
                self.name,
                {g: {"sha": v["sha"], "objects": v["objects"]} for g, v in kept.items()},
                frame,
            )
        except (TypeError, ValueError, OSError) as exc:
            log.warning("memo %s not cached: %s", self.name, exc)

    def save(self, part_of_row: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        """Replace the memo by these rows (:meth:`add` then :meth:`flush`)."""
        self.add(part_of_row, columns)
        self.flush()


# ----------------------------------------------------------------------------- sharded memo

_SHARDS = ".shards"
_BLOCKS, _ROWS = "blocks.arrow", "rows.arrow"


@dataclasses.dataclass
class ShardIndex:
    """The cache entry of a :class:`ShardMemo`: where each vessel's parts are.

    ``vessels`` has one row per (vessel, shard): ``vessel``, ``shard`` and the vessel's
    parts ``first``..``stop`` (rows of the shard's parts file); ``folder`` is the shards'
    folder in the cache, ``shas`` the sha256 of each shard's two files.
    """

    vessels: pd.DataFrame
    folder: str
    shas: list


class ShardMemo:
    """Results of parts kept as one file pair per partition, read and written by the partitions.

    A :class:`PartMemo` is one table the client loads whole; on a large theatre the parts of a
    computation over the tracks (a vessel's day blocks) are many times the memory of a
    partition.  Here every partition writes the parts of its vessels to its own shard (an
    Arrow IPC file of parts, ``part`` hash, ``vessel`` and row count ``n``, and one of their
    rows), and a later run's partition reads, memory-mapped, only the row ranges of its own
    vessels (:meth:`reads_for`, :func:`read_shards`).  The client keeps an index by vessel,
    so its memory is set by the number of vessels, not by the tracks.

    The shards' sha256 are checked when the memo is opened (a shard that does not match, or
    is not a regular file, is dropped: its parts are computed again).  :meth:`commit` stores
    the index of this run's shards and removes the earlier shards; until then the earlier
    memo is untouched, so a run that fails keeps it.  The workers read and write the shards
    in the cache folder: with a cluster, the output folder must be on a file system the
    workers share (as the track spill is).
    """

    def __init__(self, cache: StageCache | None, name: str) -> None:
        self.cache, self.name = cache, name
        self._folder: Path | None = None
        self._index: pd.DataFrame | None = None
        self._paths: list[tuple[str, str]] = []
        usable = cache is not None and cache.enabled
        self.enabled = usable
        if usable and cache is not None and cache.read:
            got = cache._load(name)
            if isinstance(got, ShardIndex):
                self._open(got)

    def _open(self, index: ShardIndex) -> None:
        assert self.cache is not None
        folder = self.cache.root / index.folder
        if not re.fullmatch(
            rf"{re.escape(self.name)}\.[0-9a-f]+{re.escape(_SHARDS)}", index.folder
        ):
            return
        good = []
        for shard, shas in enumerate(index.shas):
            paths = [folder / f"{shard:05d}.{_BLOCKS}", folder / f"{shard:05d}.{_ROWS}"]
            try:
                ok = not folder.is_symlink() and all(
                    stat.S_ISREG(os.lstat(p).st_mode) and sha256_file(p) == sha
                    for p, sha in zip(paths, shas, strict=True)
                )
            except (OSError, ValueError, TypeError):
                ok = False
            if ok:
                good.append(shard)
            else:
                log.warning(
                    "memo %s: shard %d does not match its hash; computed again", self.name, shard
                )
            self._paths.append((str(paths[0]), str(paths[1])))
        v = index.vessels
        self._index = v[v["shard"].isin(good)].reset_index(drop=True)
        self._old = folder

    def reads_for(self, vessels: np.ndarray) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
        """Return where the earlier run's parts of ``vessels`` are.

        One item per shard: its two files and the ranges of parts (``first``, ``stop``) of
        those vessels, for :func:`read_shards`.
        """
        if self._index is None or not len(self._index) or not len(vessels):
            return []
        v = self._index
        hit = v[v["vessel"].isin(pd.unique(np.asarray(vessels, dtype=object)))]
        out = []
        for shard, g in hit.groupby("shard", sort=True):
            blocks, rows = self._paths[int(shard)]
            out.append((blocks, rows, g["first"].to_numpy("int64"), g["stop"].to_numpy("int64")))
        return out

    def output(self, i: int) -> str | None:
        """Return the file prefix partition ``i`` writes its shard to (None: nothing is kept)."""
        if not self.enabled:
            return None
        assert self.cache is not None
        if self._folder is None:
            check_no_links(self.cache.root.parent, self.cache.root)
            folder = self.cache.root / f"{self.name}.{secrets.token_hex(8)}{_SHARDS}"
            try:
                self.cache.root.mkdir(exist_ok=True)
                folder.mkdir()
            except OSError as exc:
                # as a stage the cache cannot store (a .cache/ of another user, a full
                # disk): the run goes on without keeping the parts; it failed here, exit 2
                log.warning("memo %s not cached: %s", self.name, exc)
                self.enabled = False
                return None
            self._folder = folder
        return str(self._folder / f"{i:05d}.")

    def commit(
        self, written: list[tuple[np.ndarray, np.ndarray, np.ndarray, list[str]] | None]
    ) -> None:
        """Store the index of this run's shards and remove the earlier shards.

        ``written[i]`` is what :func:`write_shard` gave partition ``i`` (None: nothing).
        """
        if not self.enabled or self._folder is None:
            return
        assert self.cache is not None
        frames = [
            pd.DataFrame({"vessel": w[0], "shard": np.int32(i), "first": w[1], "stop": w[2]})
            for i, w in enumerate(written)
            if w is not None
        ]
        vessels = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame({"vessel": [], "shard": [], "first": [], "stop": []})
        )
        vessels["vessel"] = vessels["vessel"].astype(object)
        shas = [list(w[3]) if w is not None else ["", ""] for w in written]
        try:
            self.cache._store(self.name, ShardIndex(vessels, self._folder.name, shas))
        except (TypeError, ValueError, OSError) as exc:
            log.warning("memo %s not cached: %s", self.name, exc)
            return
        # earlier shards of this memo (also of runs that stopped before their commit)
        for entry in os.scandir(self.cache.root):
            if (
                entry.name.startswith(f"{self.name}.")
                and entry.name.endswith(_SHARDS)
                and entry.name != self._folder.name
                and entry.is_dir(follow_symlinks=False)
            ):
                shutil.rmtree(entry.path, ignore_errors=True)


def write_shard(
    prefix: str, part: np.ndarray, vessel: np.ndarray, columns: dict[str, np.ndarray], n: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Write a partition's parts (each vessel's together) as a shard; return its index rows.

    ``part``, ``vessel`` and ``n`` are per part (its hash, its vessel, its number of rows);
    ``columns`` hold the parts' rows, part after part.  Returns the vessels, their ranges of
    parts (``first``, ``stop``) and the sha256 of the two files.
    """
    import pyarrow as pa
    import pyarrow.feather as feather

    vessel = np.asarray(vessel, dtype=object)
    starts = (
        np.flatnonzero(np.r_[True, vessel[1:] != vessel[:-1]])
        if vessel.size
        else np.empty(0, "int64")
    )
    stops = np.r_[starts[1:], vessel.size].astype("int64")[: starts.size]  # none if empty
    if pd.Series(vessel[starts]).duplicated().any():
        raise ValueError("a shard's parts must hold each vessel's parts together")
    shas = []
    for name, table in (
        (
            _BLOCKS,
            pa.table(
                {
                    "part": pa.array(part, pa.string()),
                    "vessel": pa.array(vessel, pa.string()),
                    "n": np.asarray(n, "int64"),
                }
            ),
        ),
        (_ROWS, pa.table({c: np.asarray(v) for c, v in columns.items()})),
    ):
        buf = pa.BufferOutputStream()
        feather.write_feather(table, buf, compression="uncompressed")
        data = buf.getvalue().to_pybytes()
        _write(Path(prefix + name), data)
        shas.append(hashlib.sha256(data).hexdigest())
    return vessel[starts], starts.astype("int64"), stops, shas


def read_shards(
    reads: list[tuple[str, str, np.ndarray, np.ndarray]], columns: list[str]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Return the parts :meth:`ShardMemo.reads_for` names: hashes, rows per part, their rows.

    The files are memory-mapped; only the named ranges are read.
    """
    import pyarrow as pa
    import pyarrow.ipc as ipc

    hashes, counts = [], []
    cols: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    for blocks_path, rows_path, first, stop in reads:
        k = range_indices(first, stop)
        with pa.memory_map(blocks_path) as src:
            blocks = ipc.open_file(src).read_all()
            n = blocks.column("n").to_numpy().astype("int64")
            hashes.append(blocks.column("part").take(pa.array(k)).to_numpy(zero_copy_only=False))
            del blocks
        offset = np.r_[0, np.cumsum(n)]
        counts.append(n[k])
        idx = range_indices(offset[k], offset[k + 1])
        with pa.memory_map(rows_path) as src:
            rows = ipc.open_file(src).read_all()
            for c in columns:
                cols[c].append(rows.column(c).take(pa.array(idx)).to_numpy().copy())
            del rows
    if not hashes:
        return np.empty(0, dtype=object), np.empty(0, "int64"), {c: np.empty(0) for c in columns}
    return (
        np.concatenate(hashes).astype(object),
        np.concatenate(counts).astype("int64"),
        {c: np.concatenate(v) for c, v in cols.items()},
    )


def range_indices(first: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Return the integers of the ranges ``first[i]..stop[i]``, range after range."""
    n = np.asarray(stop, "int64") - np.asarray(first, "int64")
    if not n.size:
        return np.empty(0, "int64")
    return np.repeat(np.asarray(first, "int64") - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(
        int(n.sum())
    )
