"""Task functions for the Dask tests' workers, in a module that imports nothing heavy.

A function the workers run is pickled by reference to its module: one defined in
``test_dask`` makes every worker process import that test module (hypothesis, the test
corpus, the ingest tests) before it runs.  Defined here, a worker imports only this file.
"""

from __future__ import annotations

import time


def wait_on_worker(seconds: float) -> int:
    """Stay in the task for ``seconds`` (sleeping, not spinning); return the wake-ups.

    The task holds a worker thread for that long without using a CPU: what a test of the
    worker's periodic bookkeeping (the profiler's cycle, once a second) needs is the time.
    """
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        time.sleep(0.05)
        n += 1
    return n


def warn_on_worker(text: str) -> str:
    """Warn, and log a warning and an info line on the ``pipeline`` logger; return ``text``.

    What a library (pandas, GDAL through pyogrio) or a stage's code does inside a task.
    """
    import logging
    import warnings

    warnings.warn(f"{text}: a library's warning", RuntimeWarning, stacklevel=1)
    logging.getLogger("pipeline.task").warning("%s: a stage's warning", text)
    logging.getLogger("pipeline.task").info("%s: a stage's info line", text)
    return text


def fail_on_worker(text: str) -> str:
    """Log a warning, then fail as an input refused on a worker does."""
    import logging

    from pipeline.errors import InputError

    logging.getLogger("pipeline.task").warning("%s: said before failing", text)
    raise InputError(f"{text}: refused")


def kill_once_at(flag: str, moment: str, victim: int | None = None) -> str:
    """Make this worker SIGKILL itself (or process ``victim``) at ``moment``, once a cluster.

    ``moment`` is ``"shard"`` (a transit partition has written the first of its shard's two
    files to the cache's memo, not the second) or ``"spill"`` (a task of a track file's
    partitioned spill has just finished).  The first worker to get there creates ``flag``
    (the other workers then leave it be) and kills.  Undone by :func:`kill_nowhere`.
    """
    import os
    import signal

    import pipeline.ingest.stream as stream
    import pipeline.runner.cache as cache

    def kill() -> bool:
        try:
            os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        os.kill(victim or os.getpid(), signal.SIGKILL)
        return True

    kill_nowhere()
    if moment == "shard":
        write = cache._write

        def write_then_kill(path, data):
            if ".shards" in str(path) and str(path).endswith("rows.arrow") and kill():
                time.sleep(0.5)  # the run's process is being killed: write after it
            return write(path, data)

        cache._route_risk_original = {"_write": write}  # type: ignore[attr-defined]
        cache._write = write_then_kill
    elif moment == "spill":
        kept = {}
        for name in ("_chunk_task", "_bucket_task", "_whole_task"):
            task = kept[name] = getattr(stream, name)

            def task_then_kill(*args, _task=task, **kwargs):
                out = _task(*args, **kwargs)
                kill()
                return out

            setattr(stream, name, task_then_kill)
        stream._route_risk_original = kept  # type: ignore[attr-defined]
    else:
        raise ValueError(f"moment must be 'shard' or 'spill', got {moment!r}")
    return moment


def kill_nowhere() -> bool:
    """Undo :func:`kill_once_at` in this worker."""
    import pipeline.ingest.stream as stream
    import pipeline.runner.cache as cache

    for module in (cache, stream):
        for name, func in getattr(module, "_route_risk_original", {}).items():
            setattr(module, name, func)
        module.__dict__.pop("_route_risk_original", None)
    return True


def log_info_on_worker(name: str) -> str:
    """Log an info line on the logger ``name``; return ``name``."""
    import logging

    logging.getLogger(name).info("%s: an info line of a quieted logger", name)
    logging.getLogger(name).warning("%s: a warning of a quieted logger", name)
    return name


def die_on_worker(code: int) -> int:
    """End this worker process at once (as the kernel's OOM killer or a crash in C code)."""
    import os

    os._exit(code)


def fail_on_worker_or_wait(text: str, release: str) -> str:
    """Fail at once for ``"late"``; otherwise wait (up to 90 s) until the file ``release`` exists."""
    import os

    if text == "late":
        return fail_on_worker(text)
    end = time.monotonic() + 90.0
    while time.monotonic() < end and not os.path.exists(release):
        time.sleep(0.05)
    return text
