"""``route-risk`` in its own process without paying the interpreter's imports each time.

A fresh ``python -m pipeline.cli`` spends about three seconds of CPU importing the pipeline
before it does anything.  The crash tests start a dozen runs and kill each one, so they fork
them instead from a multiprocessing *forkserver* that imported the command once: every
attempt is still a separate process (its own memory, file descriptors and locks, killed by
a real SIGKILL), started from a clean single-threaded parent rather than from pytest.
:func:`run_code_forked` runs a script the same way (the memory test measures each read in
a process of its own).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
from pathlib import Path

_PRELOAD = ["pipeline.cli", "pipeline.run", "pipeline.transit"]
_CALLS = itertools.count()


def _main(argv: list[str], env: dict[str, str | None], stdout_path: str, stderr_path: str) -> None:
    """Run ``route-risk ARGV`` with ``env`` applied, its output into files (in the child)."""
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    for fd, path in ((1, stdout_path), (2, stderr_path)):  # the descriptors: C libraries too
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    from pipeline.cli import main

    sys.exit(main(argv))


def _exec(code: str, argv: list[str], stdout_path: str, stderr_path: str) -> None:
    """Run the script ``code`` with ``sys.argv[1:]`` = ``argv``, its output into files."""
    for fd, path in ((1, stdout_path), (2, stderr_path)):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    sys.argv = ["-c", *argv]
    exec(compile(code, "<forked>", "exec"), {"__name__": "__main__"})
    sys.stdout.flush()


def _start(target, args: tuple, folder: Path, timeout, label: str) -> tuple[int | None, str, str]:
    """Run ``target(*args, STDOUT_PATH, STDERR_PATH)`` forked; return its code and output."""
    n = next(_CALLS)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{n}.stdout", folder / f"{n}.stderr"]
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)  # no effect once the server runs: it has them
    proc = ctx.Process(target=target, args=(*args, *map(str, paths)))
    proc.start()
    proc.join(timeout)
    if proc.exitcode is None:
        proc.kill()
        proc.join()
        raise TimeoutError(f"{label} ran over {timeout} s")
    out, err = (p.read_text(errors="replace") for p in paths)
    return proc.exitcode, out, err


def run_code_forked(code: str, argv: list[str], folder: Path, timeout=600) -> str:
    """Run the Python script ``code`` (as ``python -c CODE ARGV``) in a forked process.

    Return its stdout; raise :class:`RuntimeError` with its stderr when it exits non-zero.
    The process is forked from the forkserver, which has imported the pipeline.
    """
    code_, out, err = _start(_exec, (code, list(argv)), folder, timeout, "a forked script")
    if code_ != 0:
        raise RuntimeError(f"forked script exited {code_}:\n{err}")
    return out


def run_forked(
    argv: list[str], folder: Path, env: dict[str, str | None] | None = None, timeout=300
) -> tuple[int | None, str, str]:
    """Run ``route-risk ARGV`` in a forked process; return its exit code, stdout and stderr.

    The exit code is the process's: the command's return value, or ``-signal`` when a
    signal ended it (``-9`` for SIGKILL), as :attr:`subprocess.CompletedProcess.returncode`.
    ``env`` sets (or, with ``None``, removes) environment variables in the child only.
    The output is kept in ``folder`` (``N.stdout`` and ``N.stderr``, N counting the calls).
    """
    args = (list(argv), dict(env or {}))
    return _start(_main, args, folder, timeout, f"route-risk {' '.join(argv)}")
