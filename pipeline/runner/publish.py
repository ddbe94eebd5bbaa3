"""Output folders: the lock, link-safe paths, run folders and the atomic publish.

The layout of an output folder ``OUT``::

    OUT/runs/<run_id>/           one complete set per run: outputs, rejects/, manifest.json
                                 (a failed run's folder holds status.json and its rejects)
    OUT/runs/.staging-<run_id>/  the run being made; removed when it fails, by the next run
                                 when the process was killed
    OUT/current -> runs/<run_id> the published run: one symbolic link, replaced by rename
    OUT/risk_map.html -> current/risk_map.html, and so for every output, manifest.json and
                                 rejects: fixed links, so the paths users open never change
    OUT/.cache/ .spill/ .route-risk.lock

1. A lock (``.route-risk.lock``, ``fcntl.flock``) stops overlapping runs.
2. Publishing is one :func:`os.replace` of ``current``: a reader - or a browser following
   ``OUT/risk_map.html`` - sees the whole previous set or the whole new one.  The links of
   output names the new run adds are made before the switch (they point at nothing until
   it), and those it no longer makes are removed after it.  A run killed at any moment leaves
   ``current`` on a complete set whose ``manifest.json`` matches its files.
3. route-risk only ever writes, replaces or deletes the links it made: ``current`` pointing
   at ``runs/<run_id>`` and ``<name>`` pointing at ``current/<name>``.  Any other link at a
   name the run uses - or a link on the way to the run folders, the cache or the lock - ends
   the run with one line naming it, before anything is touched; files are never deleted
   through a link (:func:`shutil.rmtree` does not follow the links inside a folder).
4. An output folder that is an input's folder, or that holds an input where the run writes
   (its root, ``runs/``, ``.cache/``), is refused: outputs must never overwrite inputs.
   Inputs in a sub-folder the run never writes (the demo's ``inputs/``) are fine.
5. The last ``run.keep_runs`` run folders are kept (and always the published one); older
   ones are pruned.  A folder published by route-risk before run folders existed (outputs at
   the top level) becomes a run folder of its own at the first publish, without a moment
   where its map is missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import socket
import stat
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ENVIRONMENT_ERRNOS, ConfigError, RunLockedError
from ..io import read_json_object

__all__ = [
    "CURRENT",
    "FAILPOINT_ENV",
    "LOCK",
    "RUNS",
    "RUN_ID_PATTERN",
    "check_links_possible",
    "check_no_links",
    "check_out_dir",
    "current_run",
    "describe_holder",
    "failpoint",
    "holds_a_record",
    "is_route_risk_link",
    "lock",
    "lock_file_problem",
    "lock_held",
    "lock_holder",
    "make_out_dir",
    "new_run_id",
    "next_run_id",
    "prune_runs",
    "publish",
    "remove_stale_staging",
    "run_dirs",
    "signals_held",
    "staged_run_ids",
    "staging_dir",
]

log = logging.getLogger(__name__)

RUNS = "runs"
CURRENT = "current"
LOCK = ".route-risk.lock"
MANIFEST = "manifest.json"
REJECTS = "rejects"
#: ``20261130T021500Z-3fa9c1``: UTC start time (sorts by time) and a random suffix.
RUN_ID_PATTERN = r"\d{8}T\d{6}Z-[0-9a-f]{6}"
#: Crash tests set this to a failpoint's name: the process kills itself there (SIGKILL).
FAILPOINT_ENV = "ROUTE_RISK_FAILPOINT"
WRITTEN_SUBFOLDERS = (RUNS, ".cache", ".spill")
_LEGACY_PREVIOUS = ".manifest.previous.json"
_TEMP_LINK = rf"\.{CURRENT}-{RUN_ID_PATTERN}|\..+\.link-[0-9a-f]{{8}}"


_ID_TIME = "%Y%m%dT%H%M%SZ"


def new_run_id(now: dt.datetime | None = None, after: str | None = None) -> str:
    """Return a fresh run id (UTC start time plus a random suffix).

    With ``after`` (the newest run id of the folder), the id sorts after it even when the
    clock went backwards: its time is then one second after ``after``'s.
    """
    # an id is UTC time: a clock given in another zone is converted, never spelled as UTC
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    if after is not None and re.fullmatch(RUN_ID_PATTERN, after):
        last = dt.datetime.strptime(after[: len("20260101T000000Z")], _ID_TIME)
        last = last.replace(tzinfo=dt.UTC)
        if now.replace(microsecond=0) <= last:
            now = last + dt.timedelta(seconds=1)
    return now.strftime(_ID_TIME) + "-" + uuid.uuid4().hex[:6]


def next_run_id(out: Path, now: dt.datetime) -> tuple[str, str | None]:
    """Return the id of a new run of ``out`` and a note when the clock is behind its runs.

    Run ids order the history (the last run, what is pruned), so a new id always sorts
    after every run folder of ``out``: a clock set back (NTP step, a restored VM) must not
    make ``status`` report an older run as the last one, nor make pruning take the new run
    for an old one.  When that needs an id later than the clock, the note says so.
    """
    # only runs' own folders: one planted far in the future must not drag every id after it
    latest = max((d.name for d in run_dirs(out) if holds_a_record(d)), default=None)
    try:
        run_id = new_run_id(now, after=latest)
    except OverflowError:  # dated 9999-12-31T23:59:59: no second after it has an id
        raise ConfigError(
            f"the run folder {str(Path(out) / RUNS / str(latest))!r} is dated at the end of "
            "the calendar, so no new run id sorts after it (route-risk never made it: a "
            "clock that far ahead?); move it out of the folder, nothing was changed"
        ) from None
    clock = now.astimezone(dt.UTC).strftime(_ID_TIME)
    # a run started within the second of the newest one (a refusal, then a rerun) sorts
    # after it one second on: the clock is not behind, nothing to say
    if run_id[:16] == clock or latest is None or clock >= latest[:16]:
        return run_id, None
    return run_id, (
        f"the system clock ({now.isoformat(timespec='seconds')}) is behind the newest run "
        f"folder {latest}: the clock went backwards, or that folder was made with a clock "
        f"that was ahead; this run is {run_id} so that it sorts after it"
    )


def failpoint(name: str) -> None:
    """Kill this process with SIGKILL when ``$ROUTE_RISK_FAILPOINT`` equals ``name``.

    The crash tests stop a real run at exact moments (a stage, each step of the publish)
    to check that whatever it left behind is one complete set and that the next run needs
    no cleanup.  Unset, this costs one dictionary lookup.
    """
    if os.environ.get(FAILPOINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def check_no_links(root: Path, path: Path) -> None:
    """Raise :class:`ConfigError` if ``path`` or a folder between ``root`` and it is a link."""
    root, path = Path(root), Path(path)
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = ()
    p = root
    for part in ("", *parts):
        p = p / part if part else p
        if p.is_symlink() and p == root:  # named by the operator (a deploy link): say where
            raise ConfigError(
                f"the output folder {str(p)!r} is itself a symbolic link (to "
                f"{os.readlink(p)!r}); route-risk writes through no link: give the folder "
                f"it leads to ({str(_resolved(p))!r}) as the output folder"
            )
        if p.is_symlink():
            raise ConfigError(
                f"refusing to write through the symbolic link {str(p)!r} in the output folder; "
                "remove the link (route-risk never follows links when writing or deleting)"
            )


def _is_our_link(out: Path, name: str) -> bool:
    """Tell whether ``out/name`` is a link route-risk made (see the module docstring)."""
    p = out / name
    if not p.is_symlink():
        return False
    target = os.readlink(p)
    if name == CURRENT:
        return re.fullmatch(f"{RUNS}/{RUN_ID_PATTERN}", target) is not None
    return target == f"{CURRENT}/{name}"


def is_route_risk_link(out: Path, name: str) -> bool:
    """Tell whether ``out/name`` is a link route-risk made (``current`` or ``current/<name>``)."""
    return _is_our_link(Path(out), name)


def _check_top_level(out: Path, names: Iterable[str]) -> None:
    """Refuse a link at a top-level name that route-risk did not make."""
    for name in names:
        p = out / name
        if p.is_symlink() and not _is_our_link(out, name):
            raise ConfigError(
                f"refusing to use {str(p)!r}: it is a symbolic link to {os.readlink(p)!r} "
                f"that route-risk did not make (its own point at '{CURRENT}/{name}'); "
                "remove or rename it"
            )


def current_run(out: Path) -> str | None:
    """Return the id of the published run of ``out`` (None when nothing is published).

    Raises :class:`ConfigError` when ``out/current`` exists but is not the link route-risk
    made: it is never read through, replaced or deleted.
    """
    out = Path(out)
    p = out / CURRENT
    if not p.is_symlink():
        if p.exists():
            raise ConfigError(
                f"{str(p)!r} is not the link route-risk makes (a link to {RUNS}/<run_id>); "
                "move it away (a copy of an output folder keeps links with 'cp -P' or "
                "'shutil.copytree(..., symlinks=True)')"
            )
        return None
    if not _is_our_link(out, CURRENT):
        raise ConfigError(
            f"refusing to use {str(p)!r}: it links to {os.readlink(p)!r}, not to a run "
            f"folder {RUNS}/<run_id>; remove the link"
        )
    return Path(os.readlink(p)).name


def _run_folder_names(out: Path, pattern: str) -> list[str]:
    """Names matching ``pattern`` of the real folders (not links) in ``out/runs``, sorted."""
    root = Path(out) / RUNS
    if not root.is_dir() or root.is_symlink():
        return []
    with os.scandir(root) as it:
        return sorted(
            e.name for e in it if re.fullmatch(pattern, e.name) and e.is_dir(follow_symlinks=False)
        )


def run_dirs(out: Path) -> list[Path]:
    """Run folders of ``out`` (real folders named like a run id), oldest first."""
    return [Path(out) / RUNS / name for name in _run_folder_names(out, RUN_ID_PATTERN)]


def _previous_outputs(out: Path) -> list[str]:
    """Output names the published manifest lists (top-level names to check for links)."""
    path = out / MANIFEST
    if path.is_symlink() and not _is_our_link(out, MANIFEST):
        return []  # refused by the caller's check of MANIFEST itself
    outputs = (read_json_object(path, follow_links=True) or {}).get("outputs", {})
    if not isinstance(outputs, dict):
        return []
    return [Path(str(v.get("path", ""))).name for v in outputs.values() if isinstance(v, dict)]


#: Every top-level name a run may publish (each a link to ``current/<name>``).
OUTPUT_NAMES = (
    "risk_map.html",
    "preview.png",
    "scores.parquet",
    "scores.gpkg",
    "scores.fgb",
    "scores.csv",
    "scores.geojson",
    "features.parquet",
    "seizures.parquet",
    "pings.parquet",
    "events.parquet",
    "timeline.parquet",
    "evaluation.json",
    "evaluation.png",
    "model_report.json",
)


def _legacy_names(out: Path) -> set[str]:
    """Top-level names of a set published before run folders (its own manifest lists them)."""
    manifest = out / MANIFEST
    if manifest.is_symlink() or not manifest.is_file():
        return set()
    try:
        old = read_json_object(manifest)
        if old is None:
            return set()
        if not re.fullmatch(RUN_ID_PATTERN, str(old["run_id"])):
            return set()
        names = {Path(str(v["path"])).name for v in old.get("outputs", {}).values()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()
    return names | {MANIFEST, REJECTS}


def _check_not_occupied(out: Path) -> None:
    """Refuse a file or folder route-risk did not publish at a name the run publishes."""
    legacy = None
    for name in (*OUTPUT_NAMES, MANIFEST, REJECTS):
        p = out / name
        if p.is_symlink() or not os.path.lexists(p):
            continue  # links: checked by _check_top_level
        legacy = _legacy_names(out) if legacy is None else legacy
        if name in legacy:
            continue  # a set published before run folders: adopted by publish()
        kind = "folder" if p.is_dir() else "file"
        raise ConfigError(
            f"{str(p)!r} is a {kind} route-risk did not publish, at a name the run publishes "
            f"(as a link to '{CURRENT}/{name}'); move it away, nothing was changed"
        )


def _resolved(path: Path) -> Path:
    """Return ``path`` with its links followed; a link loop is the user's (ConfigError)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:  # Python < 3.13 raises RuntimeError on a loop
        raise ConfigError(f"cannot resolve {str(path)!r}: {exc}") from None


def check_out_dir(out: Path, inputs: Iterable[str | os.PathLike]) -> None:
    """Refuse an output folder where the run could overwrite or delete an input or follow a link.

    Raises
    ------
    ConfigError
        The folder holds an input where the run writes, a link, file or folder route-risk
        did not make sits at a name the run uses, or ``current`` is not route-risk's link.
    """
    out = Path(out)
    resolved = _resolved(out)
    guarded = [resolved, *(resolved / d for d in WRITTEN_SUBFOLDERS)]
    for raw in inputs:
        p = _resolved(Path(raw))
        # inside runs/ (a published set: pruned one day), .cache/ or .spill/ at any depth
        inside = any(p.is_relative_to(g) for g in guarded[1:])
        if p == resolved or p.parent in guarded or inside:
            raise ConfigError(
                f"output folder {str(resolved)!r} holds the input {str(raw)!r} where the run "
                "writes; choose an output folder that does not contain the inputs"
            )
    if not out.is_dir():
        return
    for name in (*WRITTEN_SUBFOLDERS, LOCK):
        check_no_links(out, out / name)
    for name in WRITTEN_SUBFOLDERS:  # a file (or FIFO) there would fail the run mid-way
        try:
            mode = os.lstat(out / name).st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(mode):
            raise ConfigError(
                f"{str(out / name)!r} must be the folder route-risk writes its {name.lstrip('.')}"
                " in, not a file; move it away"
            )
    current_run(out)
    _check_top_level(out, [MANIFEST, REJECTS])
    _check_top_level(out, _previous_outputs(out))
    _check_not_occupied(out)


#: The stop signals held back while a set is published.
_HELD = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGTERM, SIGINT and SIGHUP back for the block (delivered right after it).

    A stop in the middle of a publish would leave links half made; SIGKILL cannot be held,
    which is why :func:`publish` orders its steps so that every moment is a complete set.
    The signals are held by a Python handler that notes them, not by the thread's signal
    mask: the kernel gives a process's signal to any thread that does not block it (Arrow's,
    GDAL's, BLAS's own threads), and Python then runs the handler in the main thread
    whatever that thread's mask (a SIGTERM under the mask stopped the publish half-way).
    A signal ignored stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be set from the main thread
        return
    pending: list[int] = []

    def note(signum: int, frame: Any) -> None:
        pending.append(signum)

    previous = {}
    for sig in _HELD:
        # None: a handler set outside Python, which could not be put back
        if signal.getsignal(sig) not in (signal.SIG_IGN, None):
            previous[sig] = signal.signal(sig, note)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pending:  # the first: the stop it asked for now happens (the others add nothing)
            signal.raise_signal(pending[0])


def make_out_dir(out: str | Path) -> None:
    """Make the output folder ``out`` (and its parents) if it is not there.

    One that cannot be made (a path under a file, under ``/proc``, a file's own name) is the
    user's mistake, said in one line (:class:`ConfigError`, exit 2; before, ``demo`` and
    ``ingest --out`` ended in a traceback); a full or read-only disk is the machine's
    (the :class:`OSError` goes on: exit 74).
    """
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in ENVIRONMENT_ERRNOS:
            raise
        raise ConfigError(f"cannot use output folder {str(out)!r}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def lock(out: Path) -> Iterator[None]:
    """Hold ``out/.route-risk.lock`` for the block; another holder raises RunLockedError."""
    make_out_dir(out)
    path = out / LOCK
    check_no_links(out, path)
    fd = _open_lock_file(path, os.O_RDWR | os.O_CREAT)
    with os.fdopen(fd, "a+") as f:
        try:
            _flock_within(f, _LOCK_PATIENCE_S)
        except BlockingIOError:
            holder = lock_holder(out)
            elsewhere = holder is not None and holder.get("host", socket.gethostname()) != (
                socket.gethostname()
            )
            raise RunLockedError(
                f"another route-risk run holds {str(path)!r}"
                + (f" ({describe_holder(holder)})" if holder else "")
                + "; wait for it to finish"
                + (
                    " (a host that went down keeps its lock until the file server ends "
                    "it: the folder is shared)"
                    if elsewhere
                    else ""
                )
            ) from None
        except OSError as exc:
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            # NFS without a lock daemon, some FUSE mounts: without a lock, two runs could
            # publish into one folder at once; refused, never run unlocked
            raise ConfigError(
                f"cannot lock {str(path)!r}: {exc.strerror or exc} (a network or FUSE file "
                "system without locks?); use an output folder on a local disk"
            ) from None
        _write_holder(f)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):  # no holder is said while nobody holds it
                f.truncate(0)
                f.flush()
            fcntl.flock(f, fcntl.LOCK_UN)


def _not_a_lock_file(path: Path, what: str) -> ConfigError:
    return ConfigError(
        f"{str(path)!r} is {what}, not the lock file route-risk makes (a regular file); "
        "move it away, nothing was changed"
    )


def lock_file_problem(out: Path) -> str | None:
    """Return why a run would refuse the lock file of ``out`` (None: it may lock there).

    A folder, FIFO, socket or device at its name is refused by :func:`lock` (and a link,
    by :func:`check_no_links`) before a run can record anything in the folder: ``status``
    says it, or a monitor would hear "ok" while every night exits 2.
    """
    path = Path(out) / LOCK
    try:
        mode = os.lstat(path).st_mode
    except OSError:  # none yet (the first run makes it), or not ours to see
        return None
    if stat.S_ISLNK(mode):
        return f"{str(path)!r} is a symbolic link; route-risk never follows links: remove it"
    if stat.S_ISDIR(mode):
        return str(_not_a_lock_file(path, "a folder"))
    if not stat.S_ISREG(mode):
        return str(_not_a_lock_file(path, "a FIFO, socket or device"))
    return None


def _open_lock_file(path: Path, flags: int) -> int:
    """Open the lock file with ``flags``; refuse a folder, FIFO or device planted at its name.

    Opened without waiting (``O_NONBLOCK``: a FIFO opened for reading waits for a writer,
    and ``status`` hung there for good) and checked on the open descriptor, so nothing
    swapped in after a check is used.
    """
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except IsADirectoryError:
        raise _not_a_lock_file(path, "a folder") from None
    except OSError as exc:
        if exc.errno != errno.ENXIO:  # ENXIO: a socket, or a device with no driver
            raise
        raise _not_a_lock_file(path, "a socket or device") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _not_a_lock_file(path, "a FIFO, socket or device")
    return fd


def _write_holder(f) -> None:
    """Write who holds the lock into the lock file (its process id, host and start, UTC).

    On a folder shared by hosts (NFS), ``status`` and a run refused as busy on one host then
    say which host's process holds it: a process of another host is not in ``ps`` here.
    A file that cannot be written is no reason to stop: the lock itself is what counts.
    """
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    with contextlib.suppress(OSError):
        f.truncate(0)
        f.write(json.dumps(record) + "\n")
        f.flush()


def lock_holder(out: Path) -> dict[str, Any] | None:
    """Return who holds (or last held) the lock of ``out``: ``pid``, ``host``, ``since``.

    None when the lock file says nothing (empty once a run releases it, or a file of a
    version that wrote nothing); a run killed with SIGKILL leaves its record, so only call
    this while the lock is held (:func:`lock_held`).  A record route-risk never writes (a
    ``pid`` of ``true``, text, a negative; a host that is no text; a ``since`` that is no
    time; a file that is no JSON object) is ``{"malformed": why}``: said as such, never
    shown as a process ("process True").
    """
    path = Path(out) / LOCK
    rec = read_json_object(path, max_bytes=4096)
    if rec is None:
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if stat.S_ISREG(st.st_mode) and st.st_size > 0:
            return {"malformed": "it is not a JSON object of at most 4096 bytes"}
        return None
    if (why := _holder_problem(rec)) is not None:
        return {"malformed": why}
    return {"pid": rec["pid"], "host": rec["host"], "since": rec["since"]}


def _holder_problem(rec: dict[str, Any]) -> str | None:
    """Return why a lock file's record is not one :func:`_write_holder` writes, or None."""
    pid, host, since = rec.get("pid"), rec.get("host"), rec.get("since")
    # bool is an int to Python: "pid": true was shown as "process True"
    if not (isinstance(pid, int) and not isinstance(pid, bool) and 0 < pid < 2**31):
        return f"pid {_short(pid)} is not a process id"
    if not (isinstance(host, str) and 0 < len(host) <= 255):
        return f"host {_short(host)} is not a host name"
    try:
        when = dt.datetime.fromisoformat(since) if isinstance(since, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        return f"since {_short(since)} is not a time with its UTC offset"
    return None


def _short(value: Any) -> str:
    """Return a JSON value of a file others may write as a short ``repr``."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe_holder(holder: dict[str, Any] | None) -> str:
    """Return who holds a lock in words (``process 4242 on host nas-a since ...``), or ''."""
    if holder is None:
        return ""
    if "malformed" in holder:
        return f"its lock file holds no record route-risk writes: {holder['malformed']}"
    return f"process {holder['pid']} on host {holder['host']!r} since {holder['since']}"


#: How long a run waits for the lock before it is busy (exit 75): ``route-risk status`` takes
#: it shared for an instant (:func:`lock_held`), which must never cost a night's run.
_LOCK_PATIENCE_S = 1.0


def _flock_within(f, seconds: float) -> None:
    """Take ``f``'s exclusive lock, trying again for ``seconds``; raise BlockingIOError after."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def lock_held(out: Path) -> bool | None:
    """Tell whether a process holds the lock of ``out`` now (None: this user cannot tell).

    The lock is taken shared for an instant, never waited for, and never created; a run
    starting in that instant waits for it (:func:`lock`).  A staging folder while nobody
    holds the lock is a killed run's (:func:`staged_run_ids`).
    """
    try:
        fd = _open_lock_file(Path(out) / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except (OSError, ConfigError):  # not ours to read, a link, or no lock file (a FIFO)
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # a file system without locks
        return None
    finally:
        os.close(fd)  # closing releases a lock taken
    return False


def staged_run_ids(out: Path) -> list[str]:
    """Run ids whose staging folder ``runs/.staging-<run_id>`` exists (oldest first)."""
    names = _run_folder_names(out, rf"\.staging-{_STAGING_ID}")
    return [name.removeprefix(".staging-") for name in names]


def _runs_root(out: Path) -> Path:
    root = out / RUNS
    check_no_links(out, root)
    root.mkdir(exist_ok=True)
    return root


@contextlib.contextmanager
def staging_dir(out: Path, run_id: str) -> Iterator[Path]:
    """Yield the run's private staging folder ``runs/.staging-<run_id>``.

    It is removed afterwards unless :func:`publish` renamed it into ``runs/<run_id>``.
    """
    staging = _runs_root(out) / f".staging-{run_id}"
    staging.mkdir()
    try:
        yield staging
    finally:
        if staging.is_dir() and not staging.is_symlink():
            shutil.rmtree(staging, ignore_errors=True)


#: What follows ``.staging-`` in a staging folder's name: a run id (every version's).
_STAGING_ID = RUN_ID_PATTERN


def remove_stale_staging(out: Path) -> list[str]:
    """Remove the staging folders of runs that were killed; return their run ids.

    Called under the lock, so no live run owns them.  Each killed run gets a
    ``runs/<run_id>/status.json`` saying so (the history lists it).
    """
    found: list[tuple[str, Path]] = []
    for parent in (out, out / RUNS):
        if not parent.is_dir() or parent.is_symlink():
            continue
        with os.scandir(parent) as it:
            for e in it:
                rid = e.name.removeprefix(".staging-")
                # only the names route-risk gives them: a user's '.staging-backup' stays
                if (
                    rid != e.name
                    and re.fullmatch(_STAGING_ID, rid)
                    and e.is_dir(follow_symlinks=False)
                ):
                    found.append((rid, Path(e.path)))
    with os.scandir(out) as it:  # links a killed publish made but never renamed into place
        for e in it:
            if e.is_symlink() and re.fullmatch(_TEMP_LINK, e.name):
                os.unlink(e.path)
    killed = []
    for rid, path in sorted(found):
        shutil.rmtree(path, ignore_errors=True)
        if os.path.lexists(path):  # files of another user (a run as root): said, not hidden
            log.warning(
                "could not remove the staging folder %s of the killed run %s; it stays until "
                "it can be removed",
                path,
                rid,
            )
        if re.fullmatch(RUN_ID_PATTERN, rid) and not (out / RUNS / rid).exists():
            write_status(
                out,
                rid,
                {
                    "run_id": rid,
                    "status": "killed",
                    "error": "the process ended without finishing or cleaning up "
                    "(SIGKILL, power loss, out of memory); its staging folder was removed",
                },
            )
        killed.append(rid)
    return killed


def write_status(out: Path, run_id: str, status: dict[str, Any]) -> Path:
    """Write ``runs/<run_id>/status.json`` atomically (failed and killed runs)."""
    from ..io import atomic_write_text

    folder = _runs_root(out) / run_id
    check_no_links(out, folder / "status.json")
    folder.mkdir(exist_ok=True)
    return atomic_write_text(folder / "status.json", json.dumps(status, indent=2) + "\n")


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: What ``symlink`` fails with on a file system that has no symbolic links (vfat, exFAT, an
#: SMB share without Unix extensions, some FUSE mounts).
_NO_LINKS = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)


def check_links_possible(out: Path) -> None:
    """Refuse an output folder where no symbolic link can be made, before any work.

    The published set is reached through links (``current``, ``risk_map.html`` ->
    ``current/risk_map.html``): on a file system without them a run would compute for
    minutes, then fail to publish.  The probe is a link named like :func:`_link`'s temporary
    ones, so a run killed in between leaves nothing the next run does not remove.
    """
    probe = out / f".probe.link-{uuid.uuid4().hex[:8]}"
    try:
        os.symlink(f"{CURRENT}/probe", probe)
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        raise ConfigError(
            f"cannot make a symbolic link in the output folder {str(out)!r} "
            f"({exc.strerror or exc}): its file system has none (vfat, exFAT, an SMB share "
            "without Unix extensions?); route-risk publishes through links (current, "
            "risk_map.html -> current/risk_map.html): choose a folder on a local Linux file "
            "system, and copy the published set from there with 'cp -rL' where it must go"
        ) from None
    with contextlib.suppress(FileNotFoundError):
        probe.unlink()


def _link(out: Path, name: str, target: str) -> None:
    """Make ``out/name`` the link ``target`` in one rename."""
    tmp = out / f".{name}.link-{uuid.uuid4().hex[:8]}"
    os.symlink(target, tmp)
    try:
        os.replace(tmp, out / name)
    except OSError:
        tmp.unlink()
        raise


def _adopt_legacy(out: Path) -> None:
    """Turn outputs published at the top level (before run folders) into a run folder.

    The files are hard-linked (copied where links are not possible) into
    ``runs/<their run_id>`` and ``current`` is pointed there, so the links that replace them
    next resolve to the same bytes: the old map never disappears.
    """
    manifest = out / MANIFEST
    if manifest.is_symlink() or not manifest.is_file():
        return
    old = read_json_object(manifest)
    if old is None:
        return
    try:
        rid = str(old["run_id"])
        names = [Path(str(v["path"])).name for v in old.get("outputs", {}).values()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return
    if not re.fullmatch(RUN_ID_PATTERN, rid) or (out / RUNS / rid).exists():
        return
    staging = _runs_root(out) / f".staging-{rid}"
    staging.mkdir()
    files = [(n, out / n) for n in [*names, MANIFEST] if (out / n).is_file()]
    rejects = out / REJECTS
    if rejects.is_dir() and not rejects.is_symlink():
        (staging / REJECTS).mkdir()
        files += [(f"{REJECTS}/{p.name}", p) for p in rejects.iterdir() if p.is_file()]
    for rel, src in files:
        if src.is_symlink():
            continue
        try:
            os.link(src, staging / rel)
        except OSError:
            shutil.copy2(src, staging / rel)
    os.rename(staging, out / RUNS / rid)
    _link(out, CURRENT, f"{RUNS}/{rid}")
    if rejects.is_dir() and not rejects.is_symlink():
        shutil.rmtree(rejects)  # its files live on, linked into the legacy run folder
    previous = out / _LEGACY_PREVIOUS
    if previous.is_file() and not previous.is_symlink():
        previous.unlink()
    log.info("outputs published before run folders were kept as run %s", rid)


def publish(staging: Path, out: Path, run_id: str, names: Iterable[str]) -> Path:
    """Publish the staged set as ``runs/<run_id>`` and switch ``current`` to it.

    Parameters
    ----------
    staging : Path
        The staging folder, holding every output and ``manifest.json`` (written last).
    out : Path
        The output folder.
    run_id : str
        The run's id.
    names : iterable of str
        File names of the outputs in ``staging`` (each gets a top-level link).

    Returns
    -------
    Path
        The run folder ``out/runs/<run_id>``.
    """
    names = sorted({*names, MANIFEST} | ({REJECTS} if (staging / REJECTS).is_dir() else set()))
    _check_top_level(out, [*names, CURRENT])
    current_run(out)
    _adopt_legacy(out)
    _fsync_dir(staging)
    folder = out / RUNS / run_id
    os.rename(staging, folder)
    _fsync_dir(out / RUNS)
    failpoint("publish: run folder")
    for name in names:  # links of names the last run did not have: dangling until the switch
        p = out / name
        if p.is_symlink():
            continue  # ours (checked above)
        if p.is_dir():  # a rejects folder of a set that had no manifest: not ours to merge
            raise ConfigError(
                f"{str(p)!r} is a folder route-risk did not publish; move it away "
                f"(route-risk links {name!r} to '{CURRENT}/{name}')"
            )
        _link(out, name, f"{CURRENT}/{name}")
    failpoint("publish: links")
    tmp = out / f".{CURRENT}-{run_id}"
    os.symlink(f"{RUNS}/{run_id}", tmp)
    failpoint("publish: switch")
    os.replace(tmp, out / CURRENT)
    _fsync_dir(out)
    failpoint("publish: switched")
    with os.scandir(out) as it:
        for e in it:
            if e.name not in names and e.name != CURRENT and _is_our_link(out, e.name):
                os.unlink(e.path)  # an output this run does not make: its link would dangle
    return folder


def holds_a_record(folder: Path) -> bool:
    """Tell whether a run folder holds a run's record (a regular manifest.json or status.json)."""
    return any(
        (folder / name).is_file() and not (folder / name).is_symlink()
        for name in (MANIFEST, "status.json")
    )


def prune_runs(out: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` run folders (never the published one).

    Only real folders named like a run id inside ``out/runs`` that hold a run's record
    (``manifest.json`` or ``status.json``) are deleted, without following any link inside
    them; an empty one (a run stopped before its record was written) is removed too, and
    another folder there is left alone with a warning.  Returns the ids removed (not the
    empty folders).
    """
    published = current_run(out)
    dirs: list[Path] = []
    foreign: list[Path] = []
    for d in run_dirs(out):
        if holds_a_record(d):
            dirs.append(d)
        elif d.name != published:
            # an empty one is a run's that stopped before its record was written: nothing
            # in it to lose (rmdir removes only an empty folder)
            with contextlib.suppress(OSError):
                d.rmdir()
                continue
            foreign.append(d)
    if foreign:  # named like a run, but no record of one: someone else's, never deleted
        log.warning(
            "not pruning %s: no manifest.json or status.json, so route-risk did not make "
            "them; move them out of %s",
            [d.name for d in foreign],
            out / RUNS,
        )
    removed = []
    for d in dirs[: max(len(dirs) - keep, 0)]:
        if d.name == published:
            continue
        try:
            shutil.rmtree(d)
        except OSError as exc:  # the new set is published: an old folder left is a warning
            log.warning(
                "could not remove the old run folder %s (%s); it stays until it can be removed",
                d,
                exc.strerror or exc,
            )
            continue
        removed.append(d.name)
        failpoint("publish: pruning")
    return removed
