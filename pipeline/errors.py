"""Exceptions and warnings of route-risk.

One root, :class:`RouteRiskError`; every concrete error also subclasses the builtin it
resembles, so ``except ValueError`` in a notebook still catches a bad config value (the
rasterio pattern).  The CLI turns any :class:`RouteRiskError` into one line on stderr and
exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno

__all__ = [
    "ENVIRONMENT_ERRNOS",
    "ConfigError",
    "DataQualityError",
    "DatesDecideBothWays",
    "EngineError",
    "FactorError",
    "FutureDateWarning",
    "InputError",
    "RouteRiskError",
    "RouteRiskWarning",
    "RunLockedError",
    "SchedulerUnreachable",
    "SourceUnreadable",
    "WorkerLost",
]

#: OSError numbers of the machine, not of the user's data or paths: a full disk or quota, a
#: read-only or vanished mount (the CLI's exit 74, never a user error's 2).
ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


class RouteRiskError(Exception):
    """Root of every error raised on purpose by route-risk."""


class ConfigError(RouteRiskError, ValueError):
    """The configuration is invalid: unknown key, bad value, missing file."""


class InputError(RouteRiskError, ValueError):
    """An input file was read but cannot be used (no usable column, wrong CRS, ...)."""


class NoTimeStepBefore(InputError):
    """Every time step of a raster opened with ``time: latest`` is after the run's ``as_of``."""


class AmbiguousDateOrder(InputError):
    """Dates could be day-first or month-first and none of the values read decides."""


class DatesDecideBothWays(InputError):
    """Some dates prove day-first, others month-first, and others could be either.

    Its own type, so that a reader that can read such a column apart (two agencies' exports
    joined, each in its own order) tells it from the other refusals of a date column by
    what it is, never by its message's words.
    """


class SourceUnreadable(RouteRiskError, OSError):
    """An input file is missing, truncated, corrupt or of an unsupported format."""


class DataQualityError(RouteRiskError, ValueError):
    """Too many records were rejected: the run fails closed instead of publishing."""


class FactorError(RouteRiskError, RuntimeError):
    """A plug-in factor's ``compute`` raised: its code, not route-risk, failed (the cause kept)."""


class RunLockedError(RouteRiskError, RuntimeError):
    """Another run holds the lock of the output folder."""


class EngineError(RouteRiskError, RuntimeError):
    """The distributed engine failed: the run fails closed and publishes nothing."""


class SchedulerUnreachable(EngineError, ConnectionError):
    """The Dask scheduler did not answer within the connect timeout."""


class WorkerLost(EngineError):
    """A worker left the cluster (died, was killed or restarted) while the run used it."""


class RouteRiskWarning(UserWarning):
    """Something the user should know about, but not an error."""


class FutureDateWarning(RouteRiskWarning):
    """A date the user gave (``as_of``) lies in the future."""
