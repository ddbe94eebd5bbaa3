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
