"""The Dask engine: partition functions run as tasks on a ``distributed`` cluster.

A :class:`DaskEngine` holds a :class:`distributed.Client`, on a ``LocalCluster`` of worker
processes started for the run (``dask.scheduler: local``) or on a running scheduler
(``dask.scheduler: tcp://host:8786``; start one with ``dask scheduler`` and ``dask worker
tcp://host:8786`` on each machine, or with dask-kubernetes / dask-jobqueue on a cluster).
Workers read and write the run's files themselves (input blocks, spill buckets), so on a
cluster of several machines the inputs and the output folder must be on storage every worker
sees at the same path.

Failing closed rather than hanging:

- an unreachable scheduler, or one without workers, ends the run within
  ``dask.connect_timeout_s`` (:class:`SchedulerUnreachable`);
- a worker leaving the cluster while the run uses it (killed, out of memory and restarted by
  its nanny) ends the run (:class:`WorkerLost`), even where Dask could retry its tasks
  elsewhere: a run that lost a machine is reported, not published;
- the loss of the scheduler itself ends the run too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from ..errors import EngineError, SchedulerUnreachable, WorkerLost

__all__ = ["DaskEngine"]

log = logging.getLogger(__name__)

R = TypeVar("R")

#: Seconds between two looks at the cluster while waiting for tasks.
_POLL_S = 0.5
#: Seconds between two looks at a task's state (local, no network).
_SLEEP_S = 0.01


class DaskEngine:
    """Run partition functions as tasks on a Dask cluster.

    Use :meth:`start` (or :func:`pipeline.engine.open_engine`) rather than the constructor.

    Parameters
    ----------
    client : distributed.Client
        A connected client.
    cluster : distributed.LocalCluster, optional
        The cluster started for the run, shut down by :meth:`close`.
    """

    name = "dask"

    def __init__(self, client: Any, cluster: Any = None) -> None:
        self.client = client
        self.cluster = cluster
        self._closed = False
        self.workers = set(self._workers())

    @classmethod
    def start(cls, cfg: Any) -> DaskEngine:
        """Start a ``LocalCluster`` or connect to ``cfg.scheduler``, within the timeout.

        Parameters
        ----------
        cfg : DaskConfig
            The ``dask`` section.

        Raises
        ------
        SchedulerUnreachable
            If the scheduler does not answer, or has no worker, within
            ``cfg.connect_timeout_s``.
        """
        import dask
        from distributed import Client, LocalCluster

        timeout = float(cfg.connect_timeout_s)
        settings = {
            "distributed.comm.timeouts.connect": f"{timeout}s",
            "distributed.worker.daemon": False,
            # The workers' statistical profiler keeps a call tree a second (1,000 of them) and
            # one per task key: about 100 MiB a worker after a quarter of an hour, memory that
            # grows with the run's length.  Nobody reads it here (no dashboard).
            "distributed.worker.profile.enabled": False,
        }
        with dask.config.set(settings):
            if cfg.scheduler == "local":
                try:
                    cluster = LocalCluster(
                        n_workers=cfg.workers,
                        threads_per_worker=cfg.threads_per_worker,
                        memory_limit=cfg.memory_limit,
                        processes=True,
                        # no dashboard; the scheduler's small HTTP server on a free port
                        dashboard_address=None,
                        scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
                        worker_dashboard_address=None,
                        silence_logs=logging.CRITICAL,
                    )
                except (OSError, RuntimeError, TimeoutError) as exc:
                    raise EngineError(
                        f"could not start a LocalCluster of {cfg.workers} worker(s): {exc}"
                    ) from None
                client = Client(cluster, set_as_default=False)
                log.info("dask: LocalCluster of %d worker(s) started", cfg.workers)
                return cls(client, cluster)
            try:
                client = Client(cfg.scheduler, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise SchedulerUnreachable(
                    f"dask.scheduler {cfg.scheduler!r} did not answer within {timeout:g} s"
                    f" ({type(exc).__name__}); start it with 'dask scheduler' or fix the address"
                ) from None
            try:
                client.wait_for_workers(1, timeout=timeout)
            except (OSError, TimeoutError):
                client.close()
                raise SchedulerUnreachable(
                    f"dask.scheduler {cfg.scheduler!r} has no worker after {timeout:g} s;"
                    f" start one with 'dask worker {cfg.scheduler}'"
                ) from None
        engine = cls(client)
        log.info("dask: connected to %s (%d worker(s))", cfg.scheduler, len(engine.workers))
        return engine

    def _workers(self) -> dict[str, Any]:
        if self.client.status != "running":
            raise EngineError(f"the Dask scheduler connection is {self.client.status!r}")
        # asked of the scheduler each time: Client.scheduler_info() returns a cache that the
        # client's periodic refresh (which lists no worker) can overwrite at any moment
        try:
            info = self.client.sync(self.client.scheduler.identity, n_workers=-1)
        except OSError as exc:
            raise EngineError(f"the Dask scheduler stopped answering: {exc}") from None
        return dict(info["workers"])

    def check_workers(self) -> None:
        """Raise :class:`WorkerLost` if a worker the run used has left the cluster."""
        now = self._workers()
        gone = sorted(self.workers - set(now))
        if gone:
            raise WorkerLost(
                f"dask worker(s) {', '.join(map(repr, gone))} left the cluster during the run"
                " (killed, out of memory or restarted); the run fails closed"
            )
        self.workers |= set(now)  # workers that joined later count from now on

    def map(self, func: Callable[..., R], items: Sequence[Any], *args: Any) -> Iterator[R]:
        """Yield ``func(item, *args)`` for every item, in order, computed on the cluster.

        Every task is submitted at once; results are fetched in order as soon as they are
        ready.  ``args`` are scattered once.

        Raises
        ------
        WorkerLost, EngineError
            If a worker leaves, or the scheduler goes away, before every task is done.
        Exception
            The exception of a task that failed (the same as the local engine would raise).
        """
        if not len(items):
            return
        self.check_workers()
        shipped = [self.client.scatter(a, broadcast=False, hash=False) for a in args]
        futures = self.client.map(
            func, list(items), *[[s] * len(items) for s in shipped], pure=False
        )
        try:
            for fut in futures:
                last_check = time.monotonic()
                while fut.status == "pending":
                    time.sleep(_SLEEP_S)
                    if any(f.status == "error" for f in futures):
                        break
                    if time.monotonic() - last_check > _POLL_S:
                        self.check_workers()
                        last_check = time.monotonic()
                for f in futures:
                    if f.status == "error":
                        f.result()  # raises the task's own exception
                if fut.status != "finished":
                    self.check_workers()
                    raise EngineError(
                        f"a task of {func.__name__} was {fut.status!r} by the cluster"
                    )
                result = fut.result()
                fut.release()
                yield result
            self.check_workers()
        except Exception as exc:
            self._cancel(futures)
            self.close()  # the run fails: its cluster is of no further use
            killed = type(exc).__name__ == "KilledWorker"
            if killed:
                raise WorkerLost(
                    f"a task of {func.__name__} killed its worker(s): {exc}; the run fails closed"
                ) from None
            raise
        finally:
            self._cancel(futures)

    def _cancel(self, futures: list[Any]) -> None:
        if self.client.status == "running":
            try:
                self.client.cancel([f for f in futures if f.status == "pending"])
            except Exception:  # noqa: BLE001 (cleaning up after a failure: keep the first error)
                log.debug("dask: cancelling tasks failed", exc_info=True)

    def peak_memory(self) -> dict[str, int]:
        """Return the peak resident memory (bytes) of each worker process so far."""
        return self.client.run(_peak_rss_bytes)

    def close(self) -> None:
        """Close the client, and shut down the cluster started for the run (once)."""
        if self._closed:
            return
        self._closed = True
        t0 = time.monotonic()
        try:
            self.client.close(timeout=10)
        except Exception:  # noqa: BLE001 (closing a dead connection: nothing left to release)
            log.debug("dask: closing the client failed", exc_info=True)
        if self.cluster is not None:
            try:
                self.cluster.close(timeout=20)
            except Exception:  # noqa: BLE001 (as above)
                log.debug("dask: closing the cluster failed", exc_info=True)
        log.debug("dask: closed in %.1f s", time.monotonic() - t0)

    def __repr__(self) -> str:
        return f"DaskEngine({self.client.scheduler.address!r}, workers={len(self.workers)})"


def _peak_rss_bytes() -> int:
    """Peak resident set size of this process (VmHWM), in bytes."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
