"""What an output folder says about its runs: ``route-risk status`` and ``route-risk history``."""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..io import read_json_object, sha256_file
from . import publish as P
from .inputs import (
    companion_files,
    describe_long_unsettled,
    describe_stale,
    input_freshness,
    pattern_matches,
    pattern_refusal,
    unsettled_files,
)

__all__ = ["format_bytes", "run_history", "run_status"]


#: The outcomes a run folder can record; any other value was not written by route-risk.
STATUSES = ("ok", "failed", "refused", "stopped", "interrupted", "killed", "up_to_date")

#: The outcomes that need no attention: a run published, or a night that found it up to date.
GOOD = ("ok", "up_to_date")


#: Clocks of one machine disagree by seconds; a map "finished" further in the future than
#: this means the clock went backwards (or was ahead when the run finished).
_CLOCK_SLACK_HOURS = 5 / 60


def _read_json(path: Path) -> dict[str, Any] | None:
    """Return the JSON object in a regular file (never read through a link), or None."""
    return read_json_object(path)


def _aware(text: Any) -> dt.datetime:
    """Return an ISO time with its UTC offset; raise ValueError for one without (or no text)."""
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return when


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """Return a run's manifest if it has the shape route-risk writes, else None (unreadable).

    A manifest edited or damaged by hand is reported as unknown, never a traceback.
    """
    m = _read_json(path)
    if m is None:
        return None
    try:
        _aware(m["finished"])  # a time without an offset cannot be compared with now
        ok = m.get("status", "ok") == "ok"
        tables = [m.get(k, {}) for k in ("stages", "timings_s", "counts", "outputs", "config")]
        files = m.get("input_files", [])
        ok = ok and all(isinstance(t, dict) for t in tables) and isinstance(files, list)
        ok = ok and isinstance(m.get("config", {}).get("run", {}), dict)
        ok = ok and all(isinstance(v, dict) for v in m.get("stages", {}).values())
        ok = ok and all(isinstance(v, dict) for v in m.get("outputs", {}).values())
        # an output's path is joined to the folder (the map's, shown by status): text only
        ok = ok and all(isinstance(v.get("path", ""), str) for v in m.get("outputs", {}).values())
        ok = ok and all(_is_number(v) for v in m.get("timings_s", {}).values())
        # a path, not '' (Path('') is '.', whose companions cannot be named)
        ok = ok and all(
            isinstance(f, dict) and f.get("path") and isinstance(f["path"], str) for f in files
        )
        limit = m.get("config", {}).get("run", {}).get("max_input_age_days")
        ok = ok and (limit is None or _is_number(limit))
    except (KeyError, TypeError, ValueError, AttributeError):  # "config": null
        return None
    return m if ok else None


def _companions_changed(recorded: dict[str, Any]) -> list[str]:
    """Return the companion files of an input that changed since the run recorded it.

    A companion that appeared or vanished changed; one whose size differs changed; one whose
    size and modification time (nanoseconds) are those recorded did not - the test ``make``
    and ``rsync`` rely on, defeated only by a rewrite of the same size that sets the old
    time back.  Otherwise (only its time differs, or a manifest from before the times were
    recorded) its sha256 is compared: a touched file is not a changed one, and no big file
    (a Shapefile's ``.dbf``) is read while nothing happened to it.  An entry of a manifest
    written before companions were recorded has none: one found now counts as changed.
    """
    hashes = recorded.get("companions") or {}
    stats = recorded.get("companion_stats") or {}
    if not isinstance(hashes, dict) or not isinstance(stats, dict):
        return ["(unreadable companions in the manifest)"]
    now = {c.name: c for c in companion_files(recorded["path"])}
    changed = sorted(set(now) ^ set(hashes))
    for name in sorted(set(now) & set(hashes)):
        try:
            st = now[name].stat()
            was = stats.get(name)
            was = was if isinstance(was, dict) else {}  # edited by hand: compare the hashes
            if was.get("bytes") is not None and st.st_size != was["bytes"]:
                changed.append(name)
            elif (was.get("bytes"), was.get("mtime_ns")) != (st.st_size, st.st_mtime_ns):
                if sha256_file(now[name]) != hashes[name]:
                    changed.append(name)
        except OSError:  # gone since it was listed
            changed.append(name)
    return sorted(changed)


def _texts(entry: dict[str, Any]) -> list[str]:
    """Return a pattern's files another input names (``named_elsewhere``), if any is text."""
    named = entry.get("named_elsewhere")
    return [f for f in named if isinstance(f, str)] if isinstance(named, list) else []


def _unsettled(entry: dict[str, Any]) -> list[str]:
    """Return a pattern's files the run left for a later one (``unsettled``: being written)."""
    left = entry.get("unsettled")
    if not isinstance(left, list):
        return []
    return [u["path"] for u in left if isinstance(u, dict) and isinstance(u.get("path"), str)]


def _is_number(value: Any) -> bool:
    """Tell whether a JSON value is a finite number of a double's range (``true`` is not one).

    An integer of 400 digits is JSON, and a sum of it with a float raises OverflowError.
    """
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _seconds(timings: dict[str, Any]) -> float | None:
    """Return the sum of a run's stage timings to 0.1 s (None: no timing or no finite sum).

    A run has stages: a manifest without timings (edited by hand) took unknown seconds, not 0.
    """
    if not timings:
        return None
    total = sum(timings.values())
    return round(total, 1) if math.isfinite(total) else None


def _text_or_none(value: Any) -> str | None:
    """Return ``value`` if it is text (a manifest entry edited by hand may hold anything)."""
    return value if isinstance(value, str) else None


def _file_now(path: str, pattern: str | None) -> dict[str, Any]:
    """Return an input's modification time and size now (None, None: it is gone)."""
    entry: dict[str, Any] = {"path": path, "modified": None, "bytes": None}
    if pattern:
        entry["pattern"] = pattern
    try:
        st = Path(path).stat()
    except OSError:
        return entry
    if not stat.S_ISREG(st.st_mode):  # replaced by a folder (or a pipe): no input the run reads
        return entry | {"not_a_file": "a folder" if stat.S_ISDIR(st.st_mode) else "no file"}
    modified = dt.datetime.fromtimestamp(st.st_mtime, dt.UTC).isoformat(timespec="seconds")
    return entry | {"modified": modified, "bytes": st.st_size}


def _patterns_now(
    manifest: dict[str, Any], status: dict[str, Any], now: dt.datetime
) -> list[dict[str, Any]]:
    """Match the published run's input patterns again: files new and gone since the run.

    Fills ``status["patterns"]``; a pattern that matches no file now needs attention (the
    next run is refused), and so does a file left out as still being written for longer
    than :data:`.inputs.UNSETTLED_WARN_DAYS` that is still being written now (its records
    are never read).  Entries not of the shape route-risk writes are left out.
    """
    out = []
    recorded = manifest.get("input_patterns")
    for m in recorded if isinstance(recorded, list) else []:
        if not (
            isinstance(m, dict)
            and isinstance(m.get("pattern"), str)
            and isinstance(m.get("files"), list)
            and all(isinstance(f, str) for f in m["files"])
        ):
            continue
        found = pattern_matches(m["pattern"])
        files = found.files
        left = _unsettled(m)
        entry = {
            "input": m.get("input"),
            "pattern": m["pattern"],
            "files": len(files),
            "new_since_run": sorted(set(files) - set(m["files"]) - set(_texts(m)) - set(left)),
            "gone_since_run": sorted(set(m["files"]) - set(files)),
            # still being written when the run started (settle_minutes): for the next run
            "left_unsettled": sorted(set(left) & set(files)),
        }
        out.append(entry)
        minutes = m.get("settle_minutes")
        if entry["left_unsettled"] and isinstance(minutes, int | float):
            still = unsettled_files(entry["left_unsettled"], minutes, now.timestamp())
            long = [
                u
                for u in m["unsettled"]
                if isinstance(u, dict) and isinstance(u.get("path"), str) and u["path"] in still
            ]
            status["attention"] += describe_long_unsettled([{**m, "unsettled": long}], now)
        if not files:
            status["attention"].append(
                f"input pattern {m['pattern']!r} matches no file now: the next run will be "
                "refused (is the folder mounted?)"
            )
        elif (refused := pattern_refusal(m["pattern"], found)) is not None:
            status["attention"].append(
                f"input pattern {m['pattern']!r}: the next run will be refused: {refused}"
            )
        if found.unreadable:  # this user may not read them: what they hold is never read
            status["attention"].append(
                f"input pattern {m['pattern']!r}: {len(found.unreadable)} folder(s) or link(s) "
                "could not be read (no permission), what they hold is NOT read: "
                + ", ".join(map(repr, found.unreadable[:3]))
                + (", ..." if len(found.unreadable) > 3 else "")
            )
    status["patterns"] = out
    return out


def _run_record(folder: Path, published: str | None) -> dict[str, Any]:
    """One line of the history: a run folder's manifest, or its status.json."""
    manifest = _read_manifest(folder / "manifest.json")
    status = _read_json(folder / "status.json")
    rec: dict[str, Any] = {"run_id": folder.name, "published": folder.name == published}
    # a run that failed after its set was staged whole (the links, the switch: a full disk)
    # has its manifest and the status.json of the failure, written only when the run was not
    # published: it failed, whatever its manifest says
    failed = (
        status is not None
        and status.get("status") in STATUSES
        and status.get("status") not in GOOD
        and not rec["published"]
    )
    if manifest is not None and not failed:
        stages = manifest.get("stages", {})
        rec |= {
            "status": "ok",
            "started": manifest.get("started"),
            "finished": manifest.get("finished"),
            "as_of": manifest.get("as_of"),
            "seconds": _seconds(manifest.get("timings_s", {})),
            "cells": manifest.get("counts", {}).get("cells"),
            "stages_cached": sorted(k for k, v in stages.items() if v.get("cached")),
            "previous_run": manifest.get("previous_run"),
            "code_version": manifest.get("code_version"),
        }
    elif status is not None:
        rec |= {k: status.get(k) for k in ("status", "started", "finished", "error")}
        if rec["status"] not in STATUSES:  # a hand-edited or foreign status.json
            rec["status"] = "unknown"
        elif rec["status"] == "up_to_date":  # a night after a failed one: the run it matched
            rec["matched"] = _text_or_none(status.get("matched"))
    else:
        rec["status"] = "unknown"
    return rec


def _verify(out: Path, folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Return what in the published set no longer matches its manifest (empty: all matches).

    Each output listed must be a regular file in the run folder with the recorded size and
    sha256, and its top-level name must be route-risk's link to ``current/<name>``: a file
    replaced, truncated or swapped for a link after the run is found here, never reported ok.
    """
    problems = []
    for info in manifest.get("outputs", {}).values():
        name = Path(str(info.get("path", ""))).name
        p = folder / name
        if not name or p.is_symlink() or not p.is_file():
            problems.append(f"{name or info.get('path')!r} is missing or not a plain file")
        elif p.stat().st_size != info.get("bytes") or sha256_file(p) != info.get("sha256"):
            problems.append(f"{name!r} does not match its size or sha256 in the manifest")
        elif not P.is_route_risk_link(out, name):
            problems.append(f"{str(out / name)!r} is not route-risk's link to {P.CURRENT}/{name}")
    return problems


def run_history(out_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """One record per kept run of an output folder, oldest first.

    Parameters
    ----------
    out_dir : path-like
        An output folder of :func:`run_pipeline`.

    Returns
    -------
    list of dict
        ``run_id``, ``status`` (``ok``, ``failed``, ``refused`` (for its output folder),
        ``stopped``, ``interrupted``, ``killed``, ``up_to_date`` - a night after one that
        did not succeed, which found the published run up to date - or ``unknown``),
        ``published``, ``started``, ``finished`` and, for a finished run, ``as_of``,
        ``seconds``, ``cells`` and ``stages_cached``; ``error`` for a failed one;
        ``matched`` (the run it found up to date) for ``up_to_date``.

    Raises
    ------
    ConfigError
        ``out_dir/runs`` is a symbolic link, or ``current`` is not route-risk's link.
    """
    out = Path(out_dir)
    runs = out / P.RUNS
    if runs.is_symlink():
        # a run refuses the folder (it writes through no link); read through, the sets
        # elsewhere were reported as this folder's, 'verified', and history said "no run"
        raise ConfigError(
            f"{str(runs)!r} is a symbolic link (to {os.readlink(runs)!r}), not the folder "
            "route-risk keeps its runs in; it is not read, and every run into this folder is "
            "refused until it is replaced by that folder"
        )
    published = P.current_run(out)
    records = [_run_record(d, published) for d in P.run_dirs(out)]
    if published is not None and not any(r["published"] for r in records):
        # route-risk's 'current' names a run whose folder was deleted (the only one, with
        # keep_runs: 1): a published map gone, listed as status lists it - not "no run"
        records.append({"run_id": published, "published": True, "status": "unknown"})
        records.sort(key=lambda r: r["run_id"])
    return records


def run_status(
    out_dir: str | os.PathLike,
    *,
    now: dt.datetime | None = None,
    max_map_age_hours: float | None = None,
    verify: bool = True,
) -> dict[str, Any]:
    """Report whether the last run succeeded, how old the map is and how fresh the inputs are.

    Parameters
    ----------
    out_dir : path-like
        An output folder of :func:`run_pipeline`.
    now : datetime, optional
        The moment ages are measured from, with its UTC offset (default: now, UTC).
    max_map_age_hours : float, optional
        A published map older than this needs attention (default: no limit).
    verify : bool, default True
        Check every published output against the size and sha256 its manifest records
        (``published["verified"]``: True, False - with ``published["problems"]`` and an
        attention line - or None when not checked).

    Returns
    -------
    dict
        ``last_run`` (the newest run's record, see :func:`run_history`; None while the folder's
        first run is in progress), ``published`` (the
        published run's record plus ``map_age_hours``), ``inputs`` (per input file of the
        published run: ``age_days``, ``stale`` under its ``run.max_input_age_days``,
        ``changed_since_run`` - the file's modification time or size, or one of its companion
        files (a Shapefile's ``.dbf``, a raster's ``.aux.xml``) - and ``companions_changed``,
        their names), ``stages`` (name to ``cached``), ``running`` (a process holds the
        folder's lock: a run is in progress; where the lock cannot be read, a staging folder
        exists), ``lock_holder`` (while a process holds the lock: its ``pid``, ``host`` and
        ``since``, UTC, as it wrote them; or ``malformed``, why, for a record route-risk
        never writes), ``killed`` (ids of runs newer than the last recorded one whose staging
        folder remains while nobody holds the lock: killed, and the newest is then
        ``last_run``, ``killed``) and ``attention``: one line per reason a monitor should
        look (the last run did not succeed, nothing is published, the map is older than
        ``max_map_age_hours``, an input is stale or missing); empty when all is well.

    Raises
    ------
    ConfigError
        ``out_dir`` holds no run, its ``runs`` is a link, or its ``current`` is not
        route-risk's link; ``max_map_age_hours`` is negative or NaN; ``now`` has no UTC
        offset.
    """
    if max_map_age_hours is not None and not max_map_age_hours >= 0:  # NaN: never old
        raise ConfigError(f"max_map_age_hours must be >= 0, got {max_map_age_hours!r}")
    if now is not None and now.utcoffset() is None:  # a local time read as UTC: hours off
        raise ConfigError(f"now must be a time with its UTC offset, got {now.isoformat()!r}")
    out = Path(out_dir)
    now = now or dt.datetime.now(dt.UTC)
    history = run_history(out)
    published_id = P.current_run(out)
    staged = P.staged_run_ids(out)
    held = P.lock_held(out)
    # (a 'current' whose run folder was deleted is in the history: a map gone, not no run)
    # a first run killed is a run; one in progress (it holds the lock) is said as such: a
    # monitor polling the folder during its first night must not read a user error (exit 2)
    if not history and not (staged and held is False) and not held:
        raise ConfigError(f"{str(out)!r} holds no route-risk run (no {P.RUNS}/<run_id> folder)")
    # a staging folder while no process holds the lock is a killed run's (SIGKILL, out of
    # memory, power loss): the next run records it, and until then it is the last run
    newest = history[-1]["run_id"] if history else ""
    killed = [rid for rid in staged if rid > newest] if held is False else []
    status: dict[str, Any] = {
        "out_dir": str(out),
        "now": now.isoformat(timespec="seconds"),
        "last_run": history[-1] if history else None,
        "published": None,
        "inputs": [],
        "patterns": [],
        "stages": {},
        "running": bool(held) if held is not None else bool(staged),
        # who: on a folder hosts share, the process may be another host's
        "lock_holder": P.lock_holder(out) if held else None,
        "killed": killed,
        "attention": [],
    }
    if killed:
        status["last_run"] = {
            "run_id": killed[-1],
            "published": False,
            "status": "killed",
            "error": "the process ended without finishing or cleaning up (SIGKILL, out of "
            "memory, power loss): its staging folder remains; the next run records it and "
            "removes it",
        }
    if (problem := P.lock_file_problem(out)) is not None:
        status["attention"].append(f"the next run will be refused: {problem}")
    for problem in _written_folder_problems(out):
        status["attention"].append(f"the next run will be refused: {problem}")
    last = status["last_run"]
    if last is None:  # the folder's first run is in progress
        running = f" ({staged[-1]})" if staged else ""
        status["attention"].append(
            f"no map is published yet: the folder's first run{running} is in progress"
        )
        return status
    if last["status"] not in GOOD:
        status["attention"].append(f"the last run {last['run_id']} is {last['status']}")
    elif last["status"] == "ok" and not last["published"]:
        # a whole set that 'current' does not name: the run was killed between putting its
        # folder in place and switching to it (SIGKILL, power loss), or current was pointed
        # back by hand; either way the map is not the last run's
        status["attention"].append(
            f"the last run {last['run_id']} finished but is not the published one "
            f"({published_id or 'nothing'} is): killed while it published, or '{P.CURRENT}' "
            "was pointed back by hand"
        )
    folder = out / P.RUNS / str(published_id)
    if published_id is not None and folder.is_symlink():
        raise ConfigError(
            f"the published run {str(folder)!r} is a link, not a run folder route-risk made; "
            "it is not read"
        )
    if published_id is not None and not folder.exists():
        # deleted by hand (or by another tool): the map's links lead nowhere; a monitor
        # must hear it as 'needs attention', and the next good run publishes again
        status["attention"].append(
            f"no map is published: the published run's folder {str(folder)!r} is missing "
            "(deleted after the run); the next good run publishes a new set"
        )
        return status
    if published_id is not None and not folder.is_dir():
        raise ConfigError(
            f"the published run {str(folder)!r} is not a run folder route-risk made; it is not read"
        )
    manifest = (
        None
        if published_id is None
        else _read_manifest(out / P.RUNS / published_id / "manifest.json")
    )
    rec = next((r for r in history if r["run_id"] == published_id), None)
    if manifest is None or rec is None:
        status["attention"].append("no map is published")
        return status
    finished = dt.datetime.fromisoformat(manifest["finished"])
    status["published"] = rec | {
        # + 0.0: a map finished seconds after now (within the clocks' slack) is 0.0 h old,
        # never "-0.0"
        "map_age_hours": round((now - finished).total_seconds() / 3600, 2) + 0.0,
        "map": str(out / manifest.get("outputs", {}).get("map", {}).get("path", "risk_map.html")),
    }
    problems = _verify(out, folder, manifest) if verify else []
    status["published"] |= {"verified": not problems if verify else None, "problems": problems}
    if problems:
        status["attention"].append(
            "the published set does not match its manifest (changed after the run): "
            + "; ".join(problems)
        )
    limit = manifest.get("config", {}).get("run", {}).get("max_input_age_days")
    recorded = manifest.get("input_files", [])
    patterns = _patterns_now(manifest, status, now)
    now_files = [_file_now(f["path"], _text_or_none(f.get("pattern"))) for f in recorded]
    # a file a pattern matched since the run (or one being written then) is part of its
    # feed's freshness
    arrived = [
        _file_now(new, m["pattern"])
        for m in patterns
        for new in m["new_since_run"] + m["left_unsettled"]
    ]
    ages = input_freshness(now_files + arrived, limit, now)
    for f, cur, age in zip(recorded, now_files, ages[: len(recorded)], strict=True):
        changed = (cur["modified"], cur["bytes"]) != (f.get("modified"), f.get("bytes"))
        companions = _companions_changed(f) if cur["modified"] is not None else []
        status["inputs"].append(
            age
            | {k: cur[k] for k in ("not_a_file",) if k in cur}
            | {
                "exists": cur["modified"] is not None,
                "changed_since_run": changed or bool(companions),
                "companions_changed": companions,
            }
        )
    status["max_input_age_days"] = limit
    hours = (now - finished).total_seconds() / 3600
    if hours < -_CLOCK_SLACK_HOURS:
        status["attention"].append(
            f"the published run finished at {manifest['finished']}, after now "
            f"({status['now']}): the clock went backwards or was ahead; its age is unknown"
        )
    if max_map_age_hours is not None and hours > max_map_age_hours:
        status["attention"].append(f"the map is {hours:.2f} h old (limit {max_map_age_hours} h)")
    stale_feeds = []
    for f in status["inputs"]:
        if not f["exists"] and f.get("pattern"):
            continue  # a file gone from a pattern's feed (rolled off): the pattern is said below
        if f.get("not_a_file"):
            status["attention"].append(
                f"input {f['path']} is {f['not_a_file']} now, not a file: the next run will be "
                "refused"
            )
        elif not f["exists"]:
            status["attention"].append(f"input {f['path']} is missing")
        elif f["future"] and limit is not None:
            status["attention"].append(
                f"input {f['path']} was modified {-f['age_days']} days in the future "
                "(a clock is wrong): its freshness is unknown"
            )
        elif f["stale"] and f.get("pattern"):
            stale_feeds.append(f)
        elif f["stale"]:
            status["attention"].append(
                f"input {f['path']} has not changed for {f['age_days']} days "
                f"(run.max_input_age_days {limit})"
            )
    for text in describe_stale(stale_feeds):
        status["attention"].append(
            f"input pattern {text}: no file it matches changed within "
            f"run.max_input_age_days {limit}"
        )
    status["stages"] = {k: bool(v.get("cached")) for k, v in manifest.get("stages", {}).items()}
    status["disk"] = disk = _disk_use(out, folder)
    if disk["free_bytes"] is not None and disk["free_bytes"] < 2 * disk["published_run_bytes"]:
        status["attention"].append(
            f"{format_bytes(disk['free_bytes'])} free where the output folder is, less than twice the "
            f"published run ({format_bytes(disk['published_run_bytes'])}): the next run may end "
            "'disk full' (exit 74, the last set kept); make room or lower run.keep_runs"
        )
    return status


def format_bytes(n: int | None) -> str:
    """Return a byte count as text for people: MB below a GB, else GB.

    Examples
    --------
    >>> format_bytes(31_400_000), format_bytes(2_104_000_000), format_bytes(None)
    ('31.4 MB', '2.10 GB', 'unknown')
    """
    if n is None:
        return "unknown"
    return f"{n / 1e6:.1f} MB" if n < 1e9 else f"{n / 1e9:.2f} GB"


def _written_folder_problems(out: Path) -> list[str]:
    """Return why a run would refuse a folder it writes in beside ``runs`` (``.cache``, ``.spill``).

    A link there (to another disk, say) or a file is refused by every run (one line, exit 2,
    nothing recorded in the folder's history): ``status`` says it, as it says a lock file a
    run refuses, or a monitor would hear "ok" while every night exits 2.
    """
    problems = []
    for name in P.WRITTEN_SUBFOLDERS:
        path = out / name
        if name == P.RUNS:  # a link is refused by run_history, a file is "no run"
            continue
        try:
            mode = os.lstat(path).st_mode
        except OSError:  # none yet (the first run that needs it makes it)
            continue
        if stat.S_ISLNK(mode):
            problems.append(
                f"{str(path)!r} is a symbolic link (to {os.readlink(path)!r}); route-risk "
                "never follows links: replace it by a folder"
            )
        elif not stat.S_ISDIR(mode):
            problems.append(f"{str(path)!r} must be the folder route-risk writes in: move it away")
    return problems


def _disk_use(out: Path, published: Path) -> dict[str, Any]:
    """Return the bytes of the kept runs, the published run and the cache, and those free.

    Regular files only, each counted once (a file linked into two runs is one), no link
    followed (``cache_bytes`` is None where ``.cache`` is a link: it is not read);
    ``free_bytes`` is None where the file system cannot say.  Twice the
    published run free is what a next run needs at least (its staging folder, the cache's
    new parts and the spill of its tracks), the attention line's rule.
    """
    seen: set[tuple[int, int]] = set()

    def size(folder: Path) -> int:
        total = 0
        for root, _dirs, files in os.walk(folder):  # links to folders are not entered
            for name in files:
                try:
                    st = os.lstat(os.path.join(root, name))
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    total += st.st_size
        return total

    run_bytes = size(published)
    runs = [p for p in (out / P.RUNS).iterdir() if p.is_dir() and not p.is_symlink()]
    try:
        free: int | None = shutil.disk_usage(out).free
    except OSError:
        free = None
    return {
        "published_run_bytes": run_bytes,
        "runs_bytes": run_bytes + sum(size(p) for p in runs if p != published),
        "runs_kept": sum(not p.name.startswith(".") for p in runs),  # not a staging folder
        # os.walk enters a linked top folder: a .cache linked elsewhere is not this folder's
        "cache_bytes": None if (out / ".cache").is_symlink() else size(out / ".cache"),
        "free_bytes": free,
    }
