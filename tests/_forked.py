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

# pipeline.render: folium compiles its ~100 Jinja templates on import (1.5 s a process)
_PRELOAD = ["pipeline.cli", "pipeline.run", "pipeline.transit", "pipeline.render"]
_CALLS = itertools.count()


def _main(
    argv: list[str],
    env: dict[str, str | None],
    cwd: str | None,
    stdout_path: str,
    stderr_path: str,
) -> None:
    """Run ``route-risk ARGV`` with ``env`` applied in ``cwd``, its output into files (in the child)."""
    if cwd is not None:
        os.chdir(cwd)
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    for fd, path in ((1, stdout_path), (2, stderr_path)):  # the descriptors: C libraries too
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    from pipeline.cli import main

    sys.argv = ["route-risk", *argv]  # as the console script: main() reads sys.argv
    sys.exit(main())


def _exec(code: str, argv: list[str], stdout_path: str, stderr_path: str) -> None:
    """Run the script ``code`` with ``sys.argv[1:]`` = ``argv``, its output into files."""
    for fd, path in ((1, stdout_path), (2, stderr_path)):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    sys.argv = ["-c", *argv]
    exec(compile(code, "<forked>", "exec"), {"__name__": "__main__"})
    sys.stdout.flush()


class Forked:
    """A started forked process and the files its stdout and stderr go to."""

    def __init__(self, target, args: tuple, folder: Path, label: str) -> None:
        n = next(_CALLS)
        folder.mkdir(parents=True, exist_ok=True)
        self.stdout, self.stderr = folder / f"{n}.stdout", folder / f"{n}.stderr"
        self.label = label
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)  # no effect once the server runs: it has them
        self.proc = ctx.Process(target=target, args=(*args, str(self.stdout), str(self.stderr)))
        self.proc.start()

    def wait(self, timeout=300) -> tuple[int | None, str, str]:
        """Wait for the process; return its exit code, stdout and stderr."""
        self.proc.join(timeout)
        if self.proc.exitcode is None:
            self.proc.kill()
            self.proc.join()
            raise TimeoutError(f"{self.label} ran over {timeout} s")
        out, err = (p.read_text(errors="replace") for p in (self.stdout, self.stderr))
        return self.proc.exitcode, out, err


def run_code_forked(code: str, argv: list[str], folder: Path, timeout=600) -> str:
    """Run the Python script ``code`` (as ``python -c CODE ARGV``) in a forked process.

    Return its stdout; raise :class:`RuntimeError` with its stderr when it exits non-zero.
    The process is forked from the forkserver, which has imported the pipeline.
    """
    code_, out, err = Forked(_exec, (code, list(argv)), folder, "a forked script").wait(timeout)
    if code_ != 0:
        raise RuntimeError(f"forked script exited {code_}:\n{err}")
    return out


def run_forked(
    argv: list[str],
    folder: Path,
    env: dict[str, str | None] | None = None,
    timeout=300,
    cwd: Path | None = None,
) -> tuple[int | None, str, str]:
    """Run ``route-risk ARGV`` in a forked process; return its exit code, stdout and stderr.

    The exit code is the process's: the command's return value, or ``-signal`` when a
    signal ended it (``-9`` for SIGKILL), as :attr:`subprocess.CompletedProcess.returncode`.
    ``env`` sets (or, with ``None``, removes) environment variables in the child only, and
    ``cwd`` is its working directory (a relative path on the command line).  The output is kept in ``folder`` (``N.stdout`` and ``N.stderr``, N counting the calls).
    """
    return start_forked(argv, folder, env, cwd).wait(timeout)


def start_forked(
    argv: list[str],
    folder: Path,
    env: dict[str, str | None] | None = None,
    cwd: Path | None = None,
) -> Forked:
    """Start ``route-risk ARGV`` as :func:`run_forked` does; return it running.

    Its stderr is written to ``Forked.stderr`` as it goes (a test can wait for a line).
    """
    args = (list(argv), dict(env or {}), None if cwd is None else str(cwd))
    return Forked(_main, args, folder, f"route-risk {' '.join(argv)}")
