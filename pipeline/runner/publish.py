"""Output folders: the lock, link-safe paths, staging and the atomic publish.

1. A lock (``.route-risk.lock``, ``fcntl.flock``) stops overlapping runs.
2. Nothing is written or deleted through a symbolic link inside the output folder: a linked
   ``rejects/``, ``.cache/``, output file or lock ends the run with one line naming the link,
   before anything is touched.
3. An output folder that is an input's folder, or that holds an input where the run writes
   (its root, ``rejects/``, ``.cache/``), is refused: outputs must never overwrite inputs.
   Inputs in a sub-folder the run never writes (the demo's ``inputs/``) are fine.
4. Every output is written into a private staging folder, the previous ``manifest.json`` is
   moved aside, each output is moved onto its published name with :func:`os.replace`, and the
   new manifest is written last.  A reader that finds a manifest finds the set it describes.
5. Deletions are limited to files the previous manifest lists (outputs this run no longer
   makes) and rejects files of the previous run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import ConfigError, RunLockedError

__all__ = [
    "PREVIOUS_MANIFEST",
    "check_no_links",
    "check_out_dir",
    "lock",
    "publish",
    "remove_stale",
    "signals_held",
    "staging_dir",
]

PREVIOUS_MANIFEST = ".manifest.previous.json"
WRITTEN_SUBFOLDERS = ("rejects", ".cache")


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
        if p.is_symlink():
            raise ConfigError(
                f"refusing to write through the symbolic link {str(p)!r} in the output folder; "
                "remove the link (route-risk never follows links when writing or deleting)"
            )


def check_out_dir(out: Path, inputs: Iterable[str | os.PathLike]) -> None:
    """Refuse an output folder where the run could overwrite or delete an input."""
    out = Path(out).resolve()
    guarded = [out, *(out / d for d in WRITTEN_SUBFOLDERS)]
    for raw in inputs:
        p = Path(raw).resolve()
        if p == out or p.parent in guarded:
            raise ConfigError(
                f"output folder {str(out)!r} holds the input {str(raw)!r} where the run writes; "
                "choose an output folder that does not contain the inputs"
            )
    for name in (*WRITTEN_SUBFOLDERS, "manifest.json", ".route-risk.lock"):
        check_no_links(out, out / name)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGTERM and SIGINT back for the block (delivered right after it).

    Publishing moves several files and writes the manifest: a stop in the middle would leave
    a mix of two runs.  SIGKILL cannot be held; :func:`publish` keeps the old manifest aside
    until the new one is written, so such a set is never described by a manifest.
    """
    held = {signal.SIGTERM, signal.SIGINT}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # not the main thread / not POSIX
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def lock(out: Path) -> Iterator[None]:
    """Hold ``out/.route-risk.lock`` for the block; another holder raises RunLockedError."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / ".route-risk.lock"
    check_no_links(out, path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(
                f"another route-risk run holds {str(path)!r}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def staging_dir(out: Path, run_id: str) -> Iterator[Path]:
    """Yield a private staging folder inside ``out``, removed afterwards whatever happens."""
    staging = out / f".staging-{run_id}"
    staging.mkdir(parents=True)
    try:
        yield staging
    finally:
        if staging.is_dir() and not staging.is_symlink():
            shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, out: Path, outputs: dict[str, Path]) -> dict[str, Path]:
    """Move every staged file onto its published name (atomic per file); rejects too."""
    targets = [out / p.name for p in outputs.values()]
    for t in [*targets, out / "rejects", out / "manifest.json"]:
        check_no_links(out, t)
    if (out / "manifest.json").exists():
        os.replace(out / "manifest.json", out / PREVIOUS_MANIFEST)
    published = {}
    rejects = staging / "rejects"
    fresh_rejects = set()
    if rejects.is_dir():
        (out / "rejects").mkdir(exist_ok=True)
        for f in sorted(rejects.iterdir()):
            check_no_links(out, out / "rejects" / f.name)
            os.replace(f, out / "rejects" / f.name)
            fresh_rejects.add(f.name)
    for name, path in outputs.items():
        target = out / path.name
        os.replace(path, target)
        published[name] = target
    if (out / "rejects").is_dir():
        with os.scandir(out / "rejects") as it:
            for e in it:
                if (
                    e.is_file(follow_symlinks=False)
                    and e.name.endswith(".csv")
                    and e.name not in fresh_rejects
                ):
                    os.unlink(e.path)
    return published


def remove_stale(out: Path, published: dict[str, Path]) -> list[str]:
    """Delete outputs the previous manifest lists that this run did not produce."""
    previous = out / PREVIOUS_MANIFEST
    if not previous.exists() or previous.is_symlink():
        return []
    try:
        old = json.loads(previous.read_text(encoding="utf-8")).get("outputs", {})
    except (OSError, ValueError, AttributeError):
        old = {}
    current = {p.name for p in published.values()}
    removed = []
    for info in old.values() if isinstance(old, dict) else ():
        name = Path(str(info.get("path", ""))).name if isinstance(info, dict) else ""
        target = out / name
        if name and name not in current and target.is_file() and not target.is_symlink():
            target.unlink()
            removed.append(name)
    previous.unlink()
    return sorted(removed)
