"""Errors of the engines (to move into :mod:`pipeline.errors` with the others)."""

from __future__ import annotations

from ..errors import RouteRiskError

__all__ = ["EngineError", "SchedulerUnreachable", "WorkerLost"]


class EngineError(RouteRiskError, RuntimeError):
    """The distributed engine failed: the run fails closed and publishes nothing."""


class SchedulerUnreachable(EngineError, ConnectionError):
    """The Dask scheduler did not answer within the connect timeout."""


class WorkerLost(EngineError):
    """A worker left the cluster (died, was killed or restarted) while the run used it."""
