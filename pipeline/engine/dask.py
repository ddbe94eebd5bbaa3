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

What a task logs on a worker (a library's warning, GDAL's messages, a ``pipeline`` logger's
record) is kept with the task's result and logged by the client, in task order, through the
command's own log (its format, level and JSON lines): a worker process has no such log,
and printed its warnings as bare text on the run's stderr (:func:`_logged_task`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dask.utils import funcname

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
        n = len(items)
        level = logging.getLogger().getEffectiveLevel()  # what the client's log lets through
        futures = self.client.map(
            _logged_task,
            list(items),
            [func] * n,
            [level] * n,
            *[[s] * n for s in shipped],
            key=funcname(func),  # the tasks named by the stage's function, not the wrapper's
            pure=False,
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
                        _result_of(f)  # raises the task's own exception
                if fut.status != "finished":
                    self.check_workers()
                    raise EngineError(
                        f"a task of {func.__name__} was {fut.status!r} by the cluster"
                    )
                result = _result_of(fut)
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


#: The attribute of a task's exception that carries the records the task logged before it.
_LOGS_ATTR = "route_risk_task_logs"


class _TaskLogs(logging.Handler):
    """The records logged by the tasks running in this worker process, kept per thread.

    One handler on the worker's root logger; a record of a thread that runs no task (the
    worker's own machinery) goes where it went before: to the worker's own root handlers,
    else to stderr from WARNING on (:data:`logging.lastResort`).
    """

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.kept: dict[int, list[dict[str, Any]]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        kept = self.kept.get(record.thread or 0)
        if kept is not None:
            kept.append(_record_dict(record))
        elif (
            logging.lastResort is not None
            and record.levelno >= logging.lastResort.level
            and logging.getLogger().handlers == [self]  # no handler of the worker's own
        ):
            logging.lastResort.handle(record)


_task_logs: _TaskLogs | None = None
_task_logs_lock = threading.Lock()
_gdal_threads = threading.local()


def _worker_logs() -> _TaskLogs:
    """Install, once a process, the handler that keeps the tasks' records; return it.

    Warnings become records too (``py.warnings``, as the command makes them), and GDAL's
    messages of pyogrio calls become warnings in every task thread (its handler is per
    thread: GDAL printed ``Warning 1: ...`` from a thread without it).
    """
    global _task_logs
    with _task_logs_lock:
        if _task_logs is None:
            _task_logs = _TaskLogs()
            logging.getLogger().addHandler(_task_logs)
            logging.captureWarnings(True)
    if not getattr(_gdal_threads, "done", False):
        _gdal_threads.done = True
        from ..io import gdal_messages_as_warnings

        gdal_messages_as_warnings()
    return _task_logs


def _record_dict(record: logging.LogRecord) -> dict[str, Any]:
    """Return ``record`` as plain, picklable values: its message formatted, its traceback text."""
    d = dict(record.__dict__)
    d["msg"] = record.getMessage()
    d["args"] = None
    if record.exc_info:
        d["exc_text"] = logging.Formatter().formatException(record.exc_info)
    d["exc_info"] = None
    d.pop("message", None)
    for k, v in d.items():
        if not isinstance(v, (str, int, float, bool, type(None))):
            d[k] = str(v)
    return d


@dataclass
class _Logged:
    """A task's result and the log records it made on its worker."""

    value: Any
    records: list[dict[str, Any]]


def _logged_task(item: Any, func: Callable[..., R], level: int, *args: Any) -> _Logged:
    """Run ``func(item, *args)`` on a worker, keeping what it logs (at ``level`` and above).

    ``level`` is the client's: a record the client's log would drop is not kept.  A
    failing task's records travel on its exception (:data:`_LOGS_ATTR`).
    """
    logs = _worker_logs()
    root = logging.getLogger()
    if root.level != level:
        root.setLevel(level)
    thread = threading.get_ident()
    kept: list[dict[str, Any]] = []
    logs.kept[thread] = kept
    try:
        value = func(item, *args)
    except BaseException as exc:
        with contextlib.suppress(AttributeError, TypeError):
            setattr(exc, _LOGS_ATTR, kept)
        raise
    finally:
        logs.kept.pop(thread, None)
    return _Logged(value, kept)


def _log_here(records: Sequence[dict[str, Any]]) -> None:
    """Log a task's records through this process's loggers (the command's format and level)."""
    for d in records:
        record = logging.makeLogRecord(d)
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def _result_of(fut: Any) -> Any:
    """Return a finished task's value (raise its exception), logging its records first."""
    try:
        got = fut.result()
    except BaseException as exc:
        _log_here(getattr(exc, _LOGS_ATTR, None) or [])
        raise
    if isinstance(got, _Logged):
        _log_here(got.records)
        return got.value
    return got


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
