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
