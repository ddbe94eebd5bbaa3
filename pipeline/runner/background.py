"""Outputs written on a second thread while the later stages compute.

A table that is final early in the run - the cleaned pings, known once ingest is done - need
not wait for the export stage: its file is written into the staging folder on a thread of
its own while features, model and statistics run.  The local engine and the model (one BLAS
thread) keep one core busy, so on a two-core machine the write costs no wall time; on the
2,200-vessel nightly bench the 6.2 M-ping ``pings.parquet`` took about 10 s of the export.

The export stage collects each job's result (:meth:`Background.take`), and the runner checks
before each stage that none has failed (:meth:`Background.check`); a run that fails or
is stopped first calls :meth:`Background.cancel`, which asks the jobs to stop between row
groups and waits for them, so that no thread writes into a staging folder being removed.
The bytes do not depend on when a file is written.

Only writing goes here, which spends its time in Arrow with the GIL released.  Computing a
stage on this thread was tried and not kept: the back-test beside timeline, score and hot
spots (all of them numpy and pandas calls on mid-sized arrays, holding the GIL between them)
made each of them slower, and the demo run gained 0.5 s of 24 s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["Background"]


class Background:
    """A single writer thread for the run's early outputs, started on first use.

    Examples
    --------
    >>> bg = Background()
    >>> _ = bg.submit("x", lambda stop: 42)
    >>> bg.take("x").result()
    42
    >>> bg.take("x") is None
    True
    >>> bg.close()
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: dict[str, Future] = {}
        #: Set by :meth:`cancel`; a job checks it between the pieces it writes.
        self.stop = threading.Event()

    def submit(self, name: str, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args, stop)`` on the writer thread; its result is :meth:`take`-n by name."""
        if self._pool is None:
            from ..io import gdal_messages_as_warnings

            self._pool = ThreadPoolExecutor(
                1, thread_name_prefix="background", initializer=gdal_messages_as_warnings
            )
        job = self._pool.submit(fn, *args, self.stop)
        self._jobs[name] = job
        return job

    def take(self, name: str) -> Future | None:
        """Return the job submitted under ``name`` (and forget it), or None."""
        return self._jobs.pop(name, None)

    def check(self) -> None:
        """Raise the error of a job that already failed (a full disk ends the run now)."""
        for job in list(self._jobs.values()):
            if job.done() and job.exception() is not None:
                raise job.exception()  # type: ignore[misc]

    def cancel(self) -> None:
        """Ask the jobs to stop and wait for them; their errors are dropped (the run failed)."""
        self.stop.set()
        self.close()

    def close(self) -> None:
        """Wait for the thread to finish and release it."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._jobs.clear()
