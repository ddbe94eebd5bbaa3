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
import glob
import itertools
import logging
import os
import re
from pathlib import Path
from typing import Any

from ..config import Config, config_to_dict
from ..errors import ConfigError, DataQualityError
from ..io import sha256_file
from . import manifest as M
from .cache import digest

__all__ = [
    "check_freshness",
    "companion_files",
    "companion_hashes",
    "companion_stats",
    "describe_stale",
    "expand_patterns",
    "input_files",
    "input_freshness",
    "input_paths",
    "is_pattern",
    "pattern_matches",
    "plugin_digests",
    "run_key",
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


def pattern_matches(pattern: str) -> tuple[list[str], list[str], bool]:
    """Return the files and the folders ``pattern`` matches now, each sorted by path.

    The third value says the pattern matched more than :data:`MAX_PATTERN_FILES` entries
    (the lists then stop there).  Names starting with ``.`` are never matched; a broken
    link is a file here (its reader says it does not exist, rather than it being skipped).
    """
    found = list(itertools.islice(glob.iglob(pattern, recursive=True), MAX_PATTERN_FILES + 1))
    too_many = len(found) > MAX_PATTERN_FILES
    folders = sorted(f for f in found if os.path.isdir(f))
    return sorted(f for f in found if not os.path.isdir(f)), folders, too_many


def _matches(kind: str, i: int, pattern: str) -> tuple[list[str], list[str]]:
    """Return what :func:`pattern_matches` finds; refuse too many files, or none."""
    files, folders, too_many = pattern_matches(pattern)
    if too_many:
        raise ConfigError(
            f"inputs.{kind}[{i}].path: {pattern!r} matches more than {MAX_PATTERN_FILES:,} "
            "files; narrow the pattern"
        )
    if not files:
        where = f" (only folders: {', '.join(map(repr, folders[:3]))})" if folders else ""
        raise ConfigError(
            f"inputs.{kind}[{i}].path: no file matches {pattern!r}{where}; is the folder "
            "mounted and the feed that fills it running?"
        )
    return files, folders


def expand_patterns(config: Config) -> tuple[Config, list[dict[str, Any]]]:
    """Return ``config`` with each seizure or track pattern replaced by one input per file.

    The files a pattern matches (:func:`glob.glob`, ``**`` spans folders, names starting
    with ``.`` are not matched: editors' and downloaders' temporary files) are sorted by path
    and each becomes an input with the pattern's options; folders it matches are left out.
    A path that is not a pattern (:func:`is_pattern`) is kept as it is.

    Returns
    -------
    (Config, list of dict)
        The config to run, and per pattern: ``input`` (``tracks[0]``), ``pattern``, ``files``
        and ``folders_skipped``.  A config without patterns is returned unchanged, with ``[]``.

    Raises
    ------
    ConfigError
        A pattern matches no file (a feed that stopped, a folder not mounted: a nightly run
        must not publish a map without them), or more than :data:`MAX_PATTERN_FILES`.
    """
    patterns: list[dict[str, Any]] = []
    update: dict[str, list] = {}
    for kind in PATTERN_KINDS:
        sources = getattr(config.inputs, kind)
        if not any(is_pattern(s.path) for s in sources):
            continue
        out = []
        for i, src in enumerate(sources):
            if not is_pattern(src.path):
                out.append(src)
                continue
            files, folders = _matches(kind, i, os.fspath(src.path))
            out += [src.model_copy(update={"path": Path(f)}) for f in files]
            patterns.append(
                {
                    "input": f"{kind}[{i}]",
                    "pattern": os.fspath(src.path),
                    "files": files,
                    "folders_skipped": folders,
                }
            )
        update[kind] = out
    if not update:
        return config, []
    return config.model_copy(update={"inputs": config.inputs.model_copy(update=update)}), patterns


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


# run options that change how runs are kept or judged, never what they compute
_OPERATIONS_ONLY = ("keep_runs", "max_input_age_days", "freshness")


def plugin_digests(config: Config) -> dict[str, str]:
    """Return the code digest of each plug-in factor a run of ``config`` computes, by name.

    Built-in factors are left out: the package's :func:`~pipeline.runner.manifest.code_version`
    covers them.  See :meth:`pipeline.factors.Factor.code_digest`.
    """
    from .plan import factors_to_compute

    return {f.name: f.code_digest() for f in factors_to_compute(config) if not f.builtin}


def run_key(config: Config, as_of: dt.date | str | None, files: list[dict[str, Any]]) -> str:
    """Hash of everything a run's outputs depend on: inputs, config, as_of, code version.

    The code is the package's and that of every plug-in factor the run computes
    (:func:`plugin_digests`): an edited plug-in module reruns, never "up to date".
    """
    cfg = config_to_dict(config)
    cfg["run"] = {k: v for k, v in cfg["run"].items() if k not in _OPERATIONS_ONLY}
    digests = [
        (f["path"], f["sha256"], *([f["companions"]] if f.get("companions") else [])) for f in files
    ]
    code: list[Any] = [M.code_version()]
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
    for f in files:
        age = None
        if f.get("modified"):
            age = (now - dt.datetime.fromisoformat(f["modified"])).total_seconds() / 86400
        future = age is not None and age < -FUTURE_SLACK_DAYS
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
    feeds: dict[str, list[dict[str, Any]]] = {}
    for a in out:
        if a.get("pattern"):
            feeds.setdefault(a["pattern"], []).append(a)
    for members in feeds.values():
        ages = [a["age_days"] for a in members if a["age_days"] is not None and not a["future"]]
        stale = max_age_days is not None and bool(ages) and min(ages) > max_age_days
        for a in members:
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


def check_freshness(config: Config, files: list[dict[str, Any]], now: dt.datetime) -> dict:
    """Apply ``run.max_input_age_days``: warn (logged, in the manifest) or fail the run."""
    limit = config.run.max_input_age_days
    ages = input_freshness(files, limit, now)
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
