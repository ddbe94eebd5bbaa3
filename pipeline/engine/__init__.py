"""Executors of the partitioned stages: in-process (``local``) or on a Dask cluster (``dask``).

Every scalable stage is written as a *map* of a pure partition function over partition
descriptors (small, picklable: file names, byte ranges, row ranges, bucket files) followed by
an associative *combine* on the caller's side (DESIGN.md §5).  An :class:`Engine` only runs the
map; the partition functions and the combine are the same code whichever engine runs them, so
both engines give the same tables.

The engine of a run is opened once by the runner (:func:`open_engine`) and made current for
the stages (:func:`use_engine`); a stage function reaches it with :func:`current_engine`
(the local engine when none was set), the way dask itself finds its default client.

Examples
--------
>>> from pipeline.engine import LocalEngine, map_combine
>>> map_combine(LocalEngine(), abs, [-1, 2, -3], lambda a, b: a + b)
6
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from ..errors import EngineError, SchedulerUnreachable, WorkerLost
from .local import LocalEngine

if TYPE_CHECKING:
    from ..config import DaskConfig

__all__ = [
    "Engine",
    "EngineError",
    "LocalEngine",
    "SchedulerUnreachable",
    "WorkerLost",
    "current_engine",
    "map_combine",
    "open_engine",
    "use_engine",
]

T = TypeVar("T")
R = TypeVar("R")

_CURRENT: contextvars.ContextVar[Engine | None] = contextvars.ContextVar(
    "route_risk_engine", default=None
)


@runtime_checkable
class Engine(Protocol):
    """What the partitioned stages need of an executor."""

    #: ``"local"`` or ``"dask"``.
    name: str

    def map(self, func: Callable[..., R], items: Sequence[Any], *args: Any) -> Iterator[R]:
        """Yield ``func(item, *args)`` for every item, in the order of ``items``.

        ``func`` must be a module-level function and ``items``/``args`` picklable; ``args``
        are shipped once, not once per item.  Any failure of a task, or the loss of a worker,
        raises (an :class:`EngineError` for the engine's own failures).
        """
        ...

    def close(self) -> None:
        """Release the engine's resources (a local cluster is shut down)."""
        ...


def map_combine(
    engine: Engine,
    func: Callable[..., R],
    items: Sequence[Any],
    combine: Callable[[R, R], R],
    *args: Any,
) -> R:
    """Map ``func`` over ``items`` on ``engine`` and fold the results with ``combine``.

    ``combine`` must be associative; the results are folded in the order of ``items``, so a
    combine that is not commutative (a concatenation) still gives one answer.

    Raises
    ------
    ValueError
        If ``items`` is empty (there is nothing to combine).
    """
    if not len(items):
        raise ValueError(f"map_combine needs at least one item, got {items!r}")
    results = engine.map(func, items, *args)
    acc = next(results)
    for r in results:
        acc = combine(acc, r)
    return acc


def current_engine() -> Engine:
    """Return the engine set by :func:`use_engine`, else a :class:`LocalEngine`."""
    engine = _CURRENT.get()
    return engine if engine is not None else LocalEngine()


@contextlib.contextmanager
def use_engine(engine: Engine) -> Iterator[Engine]:
    """Make ``engine`` the current one inside the ``with`` block."""
    token = _CURRENT.set(engine)
    try:
        yield engine
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def open_engine(name: str, dask: DaskConfig | None = None) -> Iterator[Engine]:
    """Open the engine ``name`` (``"local"`` or ``"dask"``), make it current, close it after.

    Parameters
    ----------
    name : {"local", "dask"}
        ``run.engine``.
    dask : DaskConfig, optional
        The ``dask`` section (its defaults when None).

    Raises
    ------
    ConfigError
        If ``name`` is not an engine.
    SchedulerUnreachable
        If the scheduler cannot be reached within ``dask.connect_timeout_s``.
    """
    from ..errors import ConfigError

    if name == "local":
        engine: Engine = LocalEngine()
    elif name == "dask":
        from ..config import DaskConfig
        from .dask import DaskEngine

        engine = DaskEngine.start(dask if dask is not None else DaskConfig())
    else:
        raise ConfigError(f"run.engine must be 'local' or 'dask', got {name!r}")
    try:
        with use_engine(engine):
            yield engine
    finally:
        engine.close()
