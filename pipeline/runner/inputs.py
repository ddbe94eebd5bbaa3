"""The inputs of a run as files: paths, hashes taken at the start, ages and the run key.

The manifest records the hashes taken when the run starts, never at its end: an input rewritten
while the run reads it must not be recorded with bytes the run never saw.  The freshness policy
(``run.max_input_age_days``, ``run.freshness``) warns or fails on inputs that stopped changing.

An input is more than the file the config names where its reader takes files beside it
(:func:`companion_files`): a Shapefile's records are in its ``.dbf``, and GDAL reads a raster's
nodata, scale and georeferencing from an ``.aux.xml``.  Their hashes go into the run key and
the cache keys with the file's own, so a night that edits only a companion is not served the
tables of the old one.

A seizure or track input may name its files by a pattern (``/data/ais/aisdk-*.csv``,
``exports/**/*.zip``): :func:`expand_patterns` turns it into one input per file, sorted by
path, each with the pattern's options, when the run starts.  A nightly job then needs no
config change when a day's file arrives (it is the only file parsed: the others come from the
ingest cache) or an old one is removed; the manifest records each pattern and what it matched.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import glob
import logging
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from ..config import Config, config_to_dict
from ..errors import ConfigError, DataQualityError
from ..io import sha256_file
from . import manifest as M
from .cache import digest

__all__ = [
    "carry_unsettled_since",
    "check_freshness",
    "companion_files",
    "companion_hashes",
    "companion_stats",
    "describe_long_unsettled",
    "describe_pattern",
    "describe_stale",
    "expand_patterns",
    "input_files",
    "input_freshness",
    "input_identities",
    "input_paths",
    "inputs_changed",
    "is_pattern",
    "pattern_matches",
    "pattern_refusal",
    "plugin_digests",
    "run_key",
    "unsettled_files",
]

log = logging.getLogger(__name__)


#: Files beside a data file that its reader reads with it, by the file's suffix: a
#: Shapefile's index, attributes (every field of every record), projection and code page;
#: the write-ahead log of a GeoPackage (SQLite), holding edits not yet written into the file.
_COMPANION_SUFFIXES = {
    ".shp": (".shx", ".dbf", ".prj", ".cpg", ".SHX", ".DBF", ".PRJ", ".CPG"),
}
_COMPANION_ENDINGS = {".gpkg": ("-wal",), ".sqlite": ("-wal",)}
#: GDAL's companions of any dataset it opens (a raster): auxiliary metadata (nodata, scale,
#: offset, georeferencing, which override the file's own), an external mask, overviews.
_GDAL_ENDINGS = (".aux.xml", ".msk", ".ovr")
#: World files (a raster's georeferencing) replace the suffix.
_WORLD_SUFFIXES = (".tfw", ".tifw", ".tiffw", ".wld")


def companion_files(path: str | Path) -> list[Path]:
    """Return the files beside ``path`` that its reader reads with it (those that exist).

    A Shapefile's ``.shx``, ``.dbf``, ``.prj`` and ``.cpg``; a GeoPackage's ``-wal``;
    GDAL's ``.aux.xml``, ``.msk``, ``.ovr`` and world files.  Sorted by name.

    Examples
    --------
    >>> companion_files("/nonexistent/seizures.shp")
    []
    """
    p = Path(path)
    suffix = p.suffix.lower()
    names = [p.with_suffix(s) for s in (*_COMPANION_SUFFIXES.get(suffix, ()), *_WORLD_SUFFIXES)]
    names += [
        p.with_name(p.name + e) for e in (*_COMPANION_ENDINGS.get(suffix, ()), *_GDAL_ENDINGS)
    ]
    return sorted({c for c in names if c != p and c.is_file()}, key=lambda c: c.name)


def companion_hashes(path: str | Path) -> dict[str, str]:
    """Return ``{file name: sha256}`` of the :func:`companion_files` of ``path`` (may be empty)."""
    return {c.name: sha256_file(c) for c in companion_files(path)}


#: The characters that make an input's path a pattern (:mod:`glob`'s).
_MAGIC = re.compile(r"[*?[]")
#: A pattern matching more files than this is refused: one cache entry and one rejects file
#: per file, and a pattern this wide is more likely a mistake (``/**``) than a feed.
MAX_PATTERN_FILES = 100_000
#: The inputs that may be patterns: tables of records, one input per file.  A raster is named
#: (``rasters[].name``, one layer each) and a context layer is one file.
PATTERN_KINDS = ("seizures", "tracks")


def is_pattern(path: str | os.PathLike) -> bool:
    """Tell whether an input's path is a pattern (:mod:`glob`'s ``*``, ``?`` or ``[``).

    A path naming a file that exists is not one: a file named ``ais[1].csv`` is read as named.

    Examples
    --------
    >>> is_pattern("/data/ais/aisdk-*.csv"), is_pattern("/data/ais/aisdk-2024-01-01.csv")
    (True, False)
    """
    text = os.fspath(path)
    return bool(_MAGIC.search(text)) and not os.path.lexists(text)


class PatternMatches(NamedTuple):
    """What an input pattern matches now (:func:`pattern_matches`)."""

    #: the files, sorted by path, each file once
    files: list[str]
    #: the folders matched, left out
    folders: list[str]
    #: more than :data:`MAX_PATTERN_FILES` entries matched, or folders walked (lists cut there)
    too_many: bool
    #: the names left out because they lead to a file or folder already matched or walked
    #: (a linked folder, a link beside its file, a link looping back): each is read once
    repeated: list[str] = []
    #: the folders that could not be listed and the links that could not be read (no
    #: permission): what they hold is not matched
    unreadable: list[str] = []
    #: the parts of the pattern (``feed[eu]``) that name an existing file or folder as written
    literal_names: list[str] = []


def pattern_matches(pattern: str) -> PatternMatches:
    """Return the files and the folders ``pattern`` matches now, each sorted by path.

    As :func:`glob.glob` with ``recursive=True`` (``*``, ``?``, ``[...]`` within a name,
    ``**`` across folders; names starting with ``.`` are matched only by a part starting
    with ``.``), except that a file or folder is matched once: ``**`` follows a link to a
    folder only to a folder not walked yet (glob walked a link looping back forty levels
    deep, each file once per level), and of several names of one file (a linked folder, a
    link beside its file) the one without a link is kept.  A broken link is a file here
    (its reader says it does not exist, rather than it being skipped).

    Examples
    --------
    >>> pattern_matches("/nonexistent/*.csv").files
    []
    """
    found = _PatternWalk(pattern, MAX_PATTERN_FILES).run()
    folders = sorted(f for f in found.names if os.path.isdir(f))
    names = [] if pattern.endswith(os.sep) else found.names  # a/*/ matches folders only
    files, repeated, unresolved = _one_name_per_file(f for f in names if not os.path.isdir(f))
    return PatternMatches(
        files,
        folders,
        found.too_many,
        sorted(repeated + found.repeated_folders),
        sorted(found.unreadable + unresolved),
        sorted(set(found.literal_names)),
    )


def _one_name_per_file(names: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """Return the names of distinct files (the name without a link first), the others, and more.

    The third list holds the names whose links this user may not read (``/proc/1/fd/0``):
    left out, as unreadable, never a traceback.
    """
    by_file: dict[Any, list[str]] = {}
    unresolved: list[str] = []
    resolved: dict[str, str] = {}
    for name in names:
        try:
            resolved[name] = os.path.realpath(name)
        except OSError:  # a link not ours to read: said with the pattern, never a traceback
            unresolved.append(name)
            continue
        try:
            st = os.stat(name)
        except OSError:  # a broken link, a name gone: itself
            key: Any = name
        else:
            key = (st.st_dev, st.st_ino)
        by_file.setdefault(key, []).append(name)
    kept, repeated = [], []
    for same in by_file.values():
        same.sort(key=lambda n: (resolved[n] != os.path.abspath(n), n))
        kept.append(same[0])
        repeated += same[1:]
    return sorted(kept), sorted(repeated), sorted(unresolved)


class _PatternWalk:
    """One walk of a pattern's folders, part by part (see :func:`pattern_matches`)."""

    def __init__(self, pattern: str, limit: int) -> None:
        self.absolute = pattern.startswith(os.sep)
        self.parts = [p for p in pattern.split(os.sep) if p]
        self.limit = limit
        self.names: list[str] = []
        self.repeated_folders: list[str] = []
        self.unreadable: list[str] = []
        self.literal_names: list[str] = []
        self.too_many = False
        self.walked = 0

    def run(self) -> _PatternWalk:
        # no part ("", "/": a pattern only a hand-edited manifest holds): nothing matches
        pending = [(os.sep if self.absolute else "", 0)] if self.parts else []
        while pending and not self.too_many:
            folder, i = pending.pop()
            part, last = self.parts[i], i == len(self.parts) - 1
            if part == "**":
                while not last and self.parts[i + 1] == "**":  # a/**/**/b is a/**/b
                    i, last = i + 1, i + 2 == len(self.parts)
                for sub in self._tree(folder):
                    if last:  # a/**: everything below a
                        self._found(*(os.path.join(sub, e.name) for e in self._visible(sub)))
                    else:
                        pending.append((sub, i + 1))
            elif _MAGIC.search(part):
                if os.path.lexists(os.path.join(folder, part)):
                    self.literal_names.append(os.path.join(folder, part))
                names = fnmatch.filter([e.name for e in self._visible(folder, part)], part)
                for name in names:
                    path = os.path.join(folder, name)
                    if last:
                        self._found(path)
                    elif os.path.isdir(path):
                        pending.append((path, i + 1))
            else:
                path = os.path.join(folder, part)
                if last and os.path.lexists(path):
                    self._found(path)
                elif not last and os.path.isdir(path):
                    pending.append((path, i + 1))
        return self

    def _found(self, *names: str) -> None:
        self.names += names
        self.too_many = self.too_many or len(self.names) > self.limit

    def _visible(self, folder: str, part: str = "") -> list[os.DirEntry]:
        """Return the entries of ``folder`` a part may match: hidden ones for ``.x`` only."""
        try:
            with os.scandir(folder or os.curdir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError:  # no permission: said with the pattern, never matched in silence
            self.unreadable.append(folder or os.curdir)
            return []
        return entries if part.startswith(".") else [e for e in entries if e.name[0] != "."]

    def _tree(self, root: str) -> list[str]:
        """Return ``root`` and every folder below it that is not hidden, each folder once.

        Folders are told apart by device and inode: a link to a folder already walked (a
        link looping back, a second name of a folder) is not entered again, and links are
        walked after every folder reached without one, so a folder keeps its own name.
        """
        seen: set[tuple[int, int]] = set()
        out: list[str] = []
        pending: list[str] = [root]
        links: list[str] = []
        while pending or links:
            folder = pending.pop() if pending else links.pop(0)
            try:
                st = os.stat(folder or os.curdir)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in seen:
                self.repeated_folders.append(folder)
                continue
            seen.add((st.st_dev, st.st_ino))
            out.append(folder)
            self.walked += 1
            if self.walked > self.limit:
                self.too_many = True
                break
            for e in self._visible(folder):
                try:
                    if e.is_dir(follow_symlinks=False):
                        pending.append(os.path.join(folder, e.name))
                    elif e.is_symlink() and e.is_dir():
                        links.append(os.path.join(folder, e.name))
                except OSError:
                    continue
        return out


def pattern_refusal(pattern: str, found: PatternMatches) -> str | None:
    """Return why a run refuses what ``pattern`` matches (:func:`pattern_matches`), or None.

    No file, too many, a file whose name is not UTF-8, or a part of the pattern that names
    an existing file or folder as written (``feed[eu]``: its brackets match ``feede``).
    """
    for name in found.literal_names:
        part = os.path.basename(name)
        what = "folder" if os.path.isdir(name) else "file"
        return (
            f"in {pattern!r}, {part!r} is the name of a {what} that exists, yet it reads as a "
            f"pattern (*, ? and [...] match other names); write it as {glob.escape(part)!r} "
            f"to name that {what}, or rename it"
        )
    if found.too_many:
        n = len(found.files) + len(found.folders) + len(found.repeated)
        what = (
            "matches more than {:,} files"
            if n > MAX_PATTERN_FILES
            else "walks more than {:,} folders"
        )
        return f"{pattern!r} {what.format(MAX_PATTERN_FILES)}; narrow the pattern"
    if not found.files:
        folders = found.folders
        only = f" (only folders: {', '.join(map(repr, folders[:3]))})" if folders else ""
        return (
            f"no file matches {pattern!r}{only}; is the folder mounted and the feed that "
            "fills it running?"
        )
    for name in found.files:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:  # refused as a config naming it is (pipeline.config),
            # not in a traceback when the name reaches the tables
            return (
                f"{pattern!r} matches {ascii(name)}, whose name is not UTF-8 text (a byte "
                "of another encoding); rename the file"
            )
    return None


def expand_patterns(
    config: Config, now: float | None = None
) -> tuple[Config, list[dict[str, Any]]]:
    """Return ``config`` with each seizure or track pattern replaced by one input per file.

    The files a pattern matches (:func:`pattern_matches`: as :func:`glob.glob`, ``**``
    spans folders, names starting with ``.`` are not matched: editors' and downloaders'
    temporary files; each file once) are sorted by path and each becomes an input with the
    pattern's options; folders it matches are left out.  A path that is not a pattern
    (:func:`is_pattern`) is kept as it is.  With the input's ``settle_minutes``, a file
    modified (it or a companion) less than that long before ``now`` (seconds since the
    epoch, the run's start; the clock when None), or after it, is still being written and
    is left for a later run (:func:`unsettled_files`).

    Returns
    -------
    (Config, list of dict)
        The config to run, and per pattern: ``input`` (``tracks[0]``), ``pattern``, ``files``
        and ``folders_skipped``; ``repeated`` (the second names of files and folders, left
        out) and ``unreadable`` (folders that could not be listed) when there are any;
        ``settle_minutes`` and ``unsettled`` (the files left for a later run, with their
        modification time) with the option.  A config without patterns is returned
        unchanged, with ``[]``.

    Raises
    ------
    ConfigError
        A pattern matches no file (a feed that stopped, a folder not mounted: a nightly run
        must not publish a map without them), more than :data:`MAX_PATTERN_FILES`, a file
        whose name is not UTF-8, or a part of it names an existing file or folder as written
        (``feed[eu]``: the brackets would match ``feede``); every file it matches is still
        being written (``settle_minutes``); ``settle_minutes`` is given for a path that is
        not a pattern.
    """
    now = time.time() if now is None else now
    patterns: list[dict[str, Any]] = []
    update: dict[str, list] = {}
    for kind in PATTERN_KINDS:
        sources = getattr(config.inputs, kind)
        for i, src in enumerate(sources):
            if src.settle_minutes is not None and not is_pattern(src.path):
                raise ConfigError(
                    f"inputs.{kind}[{i}].settle_minutes applies to a path that is a pattern "
                    f"(a feed folder's files, one left for a later run while it is being "
                    f"written); {str(src.path)!r} names one file: name its folder's files by a "
                    "pattern, or remove settle_minutes"
                )
        if not any(is_pattern(s.path) for s in sources):
            continue
        out = []
        # a file the config names, or an earlier pattern matched, is read once, as named there
        # (with its options): a second reading would reject all of it as duplicate_across_files
        taken = {_file_identity(s.path) for s in sources if not is_pattern(s.path)} - {None}
        for i, src in enumerate(sources):
            if not is_pattern(src.path):
                out.append(src)
                continue
            found = pattern_matches(os.fspath(src.path))
            if (refused := pattern_refusal(os.fspath(src.path), found)) is not None:
                raise ConfigError(f"inputs.{kind}[{i}].path: {refused}")
            ids = [_file_identity(f) for f in found.files]
            files = [
                f for f, k in zip(found.files, ids, strict=True) if k is None or k not in taken
            ]
            elsewhere = [f for f in found.files if f not in files]
            taken |= set(ids) - {None}
            settle: dict[str, Any] = {}
            if src.settle_minutes is not None:
                unsettled = unsettled_files(files, src.settle_minutes, now)
                if len(unsettled) == len(files) and files:
                    raise ConfigError(
                        f"inputs.{kind}[{i}].path: every file {os.fspath(src.path)!r} "
                        f"matches ({len(files)}) was modified within settle_minutes "
                        f"({src.settle_minutes:g}) of the run's start: all still being "
                        "written? Nothing is read; run again later"
                    )
                files = [f for f in files if f not in unsettled]
                settle = {
                    "settle_minutes": src.settle_minutes,
                    "unsettled": [{"path": f, "modified": m} for f, m in unsettled.items()],
                }
            out += [src.model_copy(update={"path": Path(f)}) for f in files]
            patterns.append(
                {
                    "input": f"{kind}[{i}]",
                    "pattern": os.fspath(src.path),
                    "files": files,
                    "folders_skipped": found.folders,
                    **({"named_elsewhere": elsewhere} if elsewhere else {}),
                    **({"repeated": found.repeated} if found.repeated else {}),
                    **({"unreadable": found.unreadable} if found.unreadable else {}),
                    **settle,
                }
            )
        update[kind] = out
    if not update:
        return config, []
    return config.model_copy(update={"inputs": config.inputs.model_copy(update=update)}), patterns


def unsettled_files(files: Iterable[str], minutes: float, now: float) -> dict[str, str]:
    """Return the files still being written: modified within ``minutes`` before ``now``.

    A file's time is the latest of its own and its companions' (:func:`companion_files`: a
    Shapefile's ``.dbf`` written last).  A time after ``now`` (a writer's clock ahead, or a
    write since) counts as being written.  Returns ``{path: modification time, ISO UTC}``
    in the order of ``files``.

    Examples
    --------
    >>> unsettled_files([], 10, 0.0)
    {}
    """
    out = {}
    for f in files:
        try:
            times = [os.stat(f).st_mtime, *(c.stat().st_mtime for c in companion_files(f))]
        except OSError:  # gone since it was matched: its reader says so
            continue
        if now - max(times) < minutes * 60:
            out[f] = dt.datetime.fromtimestamp(max(times), dt.UTC).isoformat(timespec="seconds")
    return out


#: A file left out as still being written for longer than this (days) is one that never
#: settles (a logger that never starts a new file): its records would never be read.
UNSETTLED_WARN_DAYS = 2.0


def carry_unsettled_since(
    patterns: list[dict[str, Any]], previous: dict[str, Any] | None, started: dt.datetime
) -> list[str]:
    """Date each file left out as unsettled by the first run that left it out; say the old.

    Sets ``since`` (ISO UTC) on each ``unsettled`` entry of ``patterns``: the ``since`` of
    the same file left out by the same pattern in ``previous`` (the published run's
    manifest), else ``started``; a ``since`` that is not a time with its offset, or is
    after ``started`` (a clock set back since), is not carried: it would hold the warning
    off for good.  Returns a line for each file left out for longer than
    :data:`UNSETTLED_WARN_DAYS` or modified in the future (:func:`describe_long_unsettled`),
    and for each that ``previous`` read (its records, in the published tables, are missing
    from this run's until it settles).
    """
    before: dict[tuple[str, str], str] = {}
    read: set[tuple[str, str]] = set()
    recorded = (previous or {}).get("input_patterns")
    for m in recorded if isinstance(recorded, list) else []:
        if not isinstance(m, dict):
            continue
        files = m.get("files")
        if isinstance(files, list):
            read |= {(str(m.get("pattern")), f) for f in files if isinstance(f, str)}
        left = m.get("unsettled")
        for u in left if isinstance(left, list) else []:
            age = _days_since(u.get("since"), started) if isinstance(u, dict) else None
            if age is not None and age > -FUTURE_SLACK_DAYS:
                before[(str(m.get("pattern")), str(u.get("path")))] = u["since"]
    now = started.isoformat(timespec="seconds")
    said = []
    for m in patterns:
        for u in m.get("unsettled", []):
            u["since"] = before.get((m["pattern"], u["path"]), now)
            if (m["pattern"], u["path"]) in read:
                said.append(
                    f"{u['path']!r} ({m['pattern']!r}), read by the published run, was "
                    "modified within settle_minutes of this run's start: it is left out as "
                    "still being written, and its records are missing from this run's "
                    "tables until it settles"
                )
    return said + describe_long_unsettled(patterns, started)


def _days_since(text: Any, now: dt.datetime) -> float | None:
    """Return the days from an ISO time with its offset to ``now``; None: not such a time."""
    try:  # a manifest edited by hand may hold anything
        return (now - dt.datetime.fromisoformat(text)).total_seconds() / 86400
    except (TypeError, ValueError):  # not text, not a time, no offset (naive)
        return None


def describe_long_unsettled(patterns: list[dict[str, Any]], now: dt.datetime) -> list[str]:
    """Return a line per file left out as unsettled that is not about to settle.

    One left out since (``since``) more than :data:`UNSETTLED_WARN_DAYS` before ``now``,
    or modified (``modified``) more than :data:`FUTURE_SLACK_DAYS` after it: a clock is
    wrong, and the file is left out until that time.  Entries without such times are
    passed over.
    """
    out = []
    for m in patterns:
        for u in m.get("unsettled", []):
            age = _days_since(u.get("modified"), now)
            days = _days_since(u.get("since"), now)
            if age is not None and age < -FUTURE_SLACK_DAYS:
                out.append(
                    f"{u['path']!r} ({m['pattern']!r}) is modified {-age:.2f} days in the "
                    "future (a clock is wrong, here or where the file is written): it is "
                    "left out as still being written until then"
                )
            elif days is not None and days > UNSETTLED_WARN_DAYS:
                out.append(
                    f"{u['path']!r} ({m['pattern']!r}) has been left out as still being "
                    f"written for {days:.1f} days (modified within settle_minutes of every "
                    "run since): its records are not read until it stops changing; have "
                    "the writer start a new file each day"
                )
    return out


def _file_identity(path: str | os.PathLike) -> tuple[int, int] | None:
    """Return a file's device and inode (None: not found), what tells two names of it apart."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def describe_pattern(matched: dict[str, Any]) -> str:
    """Return one line on what a pattern matched (an entry :func:`expand_patterns` returns).

    Examples
    --------
    >>> describe_pattern({"input": "tracks[0]", "pattern": "/ais/*.csv", "files": ["/ais/a.csv"]})
    "inputs.tracks[0] '/ais/*.csv': 1 file(s)"
    """
    said = [f"{len(matched['files'])} file(s)"]
    if folders := matched.get("folders_skipped"):
        said.append(f"{len(folders)} folder(s) left out")
    if elsewhere := matched.get("named_elsewhere"):
        said.append(f"{len(elsewhere)} read as another input names them")
    if repeated := matched.get("repeated"):
        said.append(
            f"{len(repeated)} more name(s) of a file or folder matched once (a link): "
            + ", ".join(map(repr, repeated[:3]))
            + (", ..." if len(repeated) > 3 else "")
        )
    if unsettled := matched.get("unsettled"):
        said.append(
            f"{len(unsettled)} modified within settle_minutes "
            f"({matched.get('settle_minutes', 0):g}) left for a later run (still being "
            "written): "
            + ", ".join(repr(os.path.basename(u["path"])) for u in unsettled[:3])
            + (", ..." if len(unsettled) > 3 else "")
        )
    if unreadable := matched.get("unreadable"):
        said.append(
            f"{len(unreadable)} folder(s) or link(s) that could not be read, what they hold "
            "NOT read: "
            + ", ".join(map(repr, unreadable[:3]))
            + (", ..." if len(unreadable) > 3 else "")
        )
    return f"inputs.{matched['input']} {matched['pattern']!r}: " + ", ".join(said)


def input_paths(config: Config) -> list[Path]:
    """Every input file a config names (tables, rasters and their masks, ports, area polygon)."""
    groups = (config.inputs.seizures, config.inputs.tracks, config.inputs.rasters)
    files = [Path(s.path) for g in groups for s in g]
    # a raster's companion mask (VIIRS cf_cvg) decides which of its pixels are values
    masks = [Path(r.mask.path) for r in config.inputs.rasters if r.mask is not None]
    files += [m for m in dict.fromkeys(masks) if m not in files]
    files += [Path(c.path) for c in config.inputs.context_sources()]
    return files + [Path(config.area.polygon)] if config.area.polygon is not None else files


def companion_stats(path: str | Path) -> dict[str, dict[str, int]]:
    """Return ``{file name: {"bytes": size, "mtime_ns": modified}}`` of its companions.

    What ``route-risk status`` compares first to tell whether a companion changed since a
    run without hashing it (:func:`pipeline.runner.status.run_status`).
    """
    out = {}
    for c in companion_files(path):
        st = c.stat()
        out[c.name] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
    return out


def input_files(
    config: Config, patterns: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Path, sha256, size and modification time of every input, taken now (a run's start).

    An input with :func:`companion_files` also has ``companions``: their sha256 by name.
    Every input found has ``companion_stats`` (:func:`companion_stats`, taken before the
    hashes; empty without companions).  ``config`` is one :func:`expand_patterns` returned,
    ``patterns`` what it matched: a file a pattern matched has that ``pattern``.

    The manifest records these, not hashes taken at the end: an input rewritten while the
    run reads it must not be recorded with bytes the run never saw.
    """
    out: list[dict[str, Any]] = []
    matched = {f: m["pattern"] for m in patterns or () for f in m["files"]}
    for p in input_paths(config):
        try:
            st = p.stat()
            if not p.is_file():  # a folder: ingest says what is wrong with it
                raise IsADirectoryError(str(p))
        except OSError:
            out.append({"path": str(p), "sha256": None, "bytes": None, "modified": None})
            continue
        entry = {
            "path": str(p),
            "sha256": sha256_file(p),
            "bytes": st.st_size,
            "modified": dt.datetime.fromtimestamp(st.st_mtime, dt.UTC).isoformat(
                timespec="seconds"
            ),
        }
        stats = companion_stats(p)  # before the hashes: a later write shows in the times
        companions = companion_hashes(p)
        if companions:  # a Shapefile's .dbf holds its records: edited alone, still a change
            entry["companions"] = companions
        entry["companion_stats"] = stats
        out.append(entry)
    for entry in out:
        if (pattern := matched.get(entry["path"])) is not None:
            entry["pattern"] = pattern
    return out


def input_identities(paths: Iterable[str | os.PathLike]) -> dict[str, tuple[int, ...] | None]:
    """Return each input's device, inode, size and modification time (ns); None: not found.

    Taken when a run starts, before the hashes, and compared with :func:`inputs_changed`
    after its stages: a file written while the run read it (a download writing in place)
    changes them, however little of it the run read.  The :func:`companion_files` of each
    input are entries too (a Shapefile's ``.dbf`` holds its records, read with it).
    """
    out: dict[str, tuple[int, ...] | None] = {}
    for p in paths:
        for name in (os.fspath(p), *map(os.fspath, companion_files(os.fspath(p)))):
            try:
                st = os.stat(name)
            except OSError:
                out[name] = None
            else:
                out[name] = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def inputs_changed(before: dict[str, tuple[int, ...] | None]) -> list[str]:
    """Return the inputs (or companions) whose :func:`input_identities` differ from ``before``."""
    now = input_identities(before)
    return [p for p, was in before.items() if now.get(p) != was]


# run options that change how runs are kept or judged, never what they compute
_OPERATIONS_ONLY = ("keep_runs", "max_input_age_days", "freshness")


def plugin_digests(config: Config) -> dict[str, str]:
    """Return the code digest of each plug-in factor a run of ``config`` computes, by name.

    Built-in factors are left out: the package's :func:`~pipeline.runner.manifest.code_version`
    covers them.  See :meth:`pipeline.factors.Factor.code_digest`.
    """
    from .plan import factors_to_compute

    return {f.name: f.code_digest() for f in factors_to_compute(config) if not f.builtin}


def run_key(
    config: Config,
    as_of: dt.date | str | None,
    files: list[dict[str, Any]],
    code_key: str | None = None,
) -> str:
    """Hash of everything a run's outputs depend on: inputs, config, as_of, code version.

    The code is the package's with its libraries' versions
    (:func:`~pipeline.runner.manifest.key_version`, or ``code_key``, the value the run took
    of it: an upgraded library reruns) and that of
    every plug-in factor the run computes (:func:`plugin_digests`): an edited plug-in module
    reruns, never "up to date".
    """
    cfg = config_to_dict(config)
    cfg["run"] = {k: v for k, v in cfg["run"].items() if k not in _OPERATIONS_ONLY}
    digests = [
        (f["path"], f["sha256"], *([f["companions"]] if f.get("companions") else [])) for f in files
    ]
    code: list[Any] = [M.key_version() if code_key is None else code_key]
    if plugins := plugin_digests(config):  # none: the key of a run without plug-ins is kept
        code.append(sorted(plugins.items()))
    return digest([digests, cfg, None if as_of is None else str(as_of), *code])


def input_freshness(
    files: list[dict[str, Any]], max_age_days: float | None, now: dt.datetime
) -> list[dict[str, Any]]:
    """Age in days of each input file (since its last modification) and whether it is stale.

    Parameters
    ----------
    files : list of dict
        Entries of :func:`input_files` (``path`` and ``modified``).
    max_age_days : float or None
        The policy (``run.max_input_age_days``); None: nothing is stale.
    now : datetime
        The moment to measure from (timezone-aware).

    Returns
    -------
    list of dict
        ``path``, ``age_days`` (None for a missing file), ``stale`` and ``future`` (modified
        after ``now`` by more than a few minutes: a clock is wrong, so its age - and whether
        the feed still runs - is unknown; under a policy such a file counts as stale).  The
        files of one pattern (``pattern``) are one feed: last month's daily file is old by
        right, so they are stale together when the newest of them is, and then only.
    """
    out = []
    exact: list[float | None] = []  # the feeds are judged by these, not the rounded ages
    for f in files:
        age = None
        if f.get("modified"):
            age = (now - dt.datetime.fromisoformat(f["modified"])).total_seconds() / 86400
        future = age is not None and age < -FUTURE_SLACK_DAYS
        exact.append(age)
        stale = max_age_days is not None and age is not None and (age > max_age_days or future)
        out.append(
            {
                "path": f["path"],
                "age_days": None if age is None else round(age, 2),
                "stale": bool(stale),
                "future": bool(future),
                **({"pattern": f["pattern"]} if f.get("pattern") else {}),
            }
        )
    feeds: dict[str, list[tuple[dict[str, Any], float | None]]] = {}
    for a, age in zip(out, exact, strict=True):
        if a.get("pattern"):
            feeds.setdefault(a["pattern"], []).append((a, age))
    for members in feeds.values():
        # by the exact ages, as a single file is: a feed 3.004 days old (shown as 3.0) is
        # stale under a limit of 3 days, as a file of that age is
        ages = [age for a, age in members if age is not None and not a["future"]]
        stale = max_age_days is not None and bool(ages) and min(ages) > max_age_days
        for a, _ in members:
            if not a["future"] and a["age_days"] is not None:  # a wrong clock stays its own
                a["stale"] = stale
    return out


#: Modification times this far after now are a wrong clock (here or on the machine that
#: wrote the file), not a fresh file.
FUTURE_SLACK_DAYS = 5 / (24 * 60)


def describe_stale(stale: list[dict[str, Any]]) -> list[str]:
    """Return what to say of stale inputs (:func:`input_freshness`), a pattern's files once.

    Examples
    --------
    >>> describe_stale([{"path": "/d/a.csv", "age_days": 3.0, "future": False, "stale": True}])
    ["'a.csv' (3.0 days)"]
    """
    said: list[str] = []
    feeds: dict[str, float] = {}
    for a in stale:
        name = repr(Path(a["path"]).name)
        if a["future"]:
            said.append(f"{name} (modified {-a['age_days']} days in the future: a clock is wrong)")
        elif a.get("pattern"):
            feeds[a["pattern"]] = min(feeds.get(a["pattern"], a["age_days"]), a["age_days"])
        else:
            said.append(f"{name} ({a['age_days']} days)")
    return said + [f"{p!r} (its newest file {age} days)" for p, age in feeds.items()]


def check_freshness(
    config: Config,
    files: list[dict[str, Any]],
    now: dt.datetime,
    patterns: list[dict[str, Any]] | None = None,
) -> dict:
    """Apply ``run.max_input_age_days``: warn (logged, in the manifest) or fail the run.

    The files a pattern left for a later run as still being written (``unsettled`` of
    ``patterns``, :func:`expand_patterns`) are part of their feed's freshness, as in
    ``route-risk status``: a file modified within ``settle_minutes`` shows the feed runs,
    and one modified in the future shows a wrong clock.
    """
    limit = config.run.max_input_age_days
    left = [
        {"path": u["path"], "modified": u["modified"], "pattern": m["pattern"]}
        for m in patterns or ()
        for u in m.get("unsettled", [])
    ]
    ages = input_freshness(files + left, limit, now)
    stale = [a for a in ages if a["stale"]]
    if stale:
        text = ", ".join(describe_stale(stale))
        message = (
            f"input(s) not shown to be modified within run.max_input_age_days = {limit!r} "
            f"days: {text}; is the feed that updates them still running?"
        )
        if config.run.freshness == "fail":
            raise DataQualityError(message + " (run.freshness: fail; the last set stays)")
        log.warning("%s", message)
    return {
        "max_input_age_days": limit,
        "policy": config.run.freshness,
        "stale": [a["path"] for a in stale],
        "age_days": {a["path"]: a["age_days"] for a in ages},
    }
