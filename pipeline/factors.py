"""The factor registry: the one definition of what a risk factor is.

A :class:`Factor` has a name, a unit, a one-line description, the inputs it needs, an
options model and a ``compute(context)`` that returns per-cell values **and a coverage
mask**: where the factor was observable at all (no AIS received near a cell, a raster that
does not cover it).  A cell outside a factor's coverage carries NaN and ``covered=False``;
the score treats it as missing, never as a low value.

Built-in factors are registered exactly the way a plug-in is:

- a Python package declares an entry point in the group ``route_risk.factors`` whose object
  is a :class:`Factor` (or an iterable of them), or
- a config lists ``factors.plugins: ["module:attribute"]`` (``__main__:my_factor`` works from
  a notebook), or
- code calls :func:`register_factor` / decorates a function with :func:`factor`.

Factors that share one expensive computation (the five transit factors come from one pass
over the tracks) get it through :meth:`FactorContext.shared`, which computes it once per run
and lets the runner cache it.  A *family* makes factors from the config's inputs (one per
raster and zonal statistic, named ``<raster>_<stat>``).

Examples
--------
>>> import numpy as np
>>> from pipeline.factors import factor
>>> @factor(name="latitude_abs", unit="degrees", description="Distance from the equator.")
... def latitude_abs(ctx):
...     lon, lat = ctx.cell_centres()
...     return np.abs(lat)
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import importlib.metadata
import inspect
import logging
import os
import pickle
import sys
import traceback
import types
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import __version__
from . import schema as S
from .errors import (
    ConfigError,
    EngineError,
    FactorError,
    InputError,
    RouteRiskError,
    RunLockedError,
)

if TYPE_CHECKING:
    from .ingest.stream import PingStore

__all__ = [
    "ENTRY_POINT_GROUP",
    "Factor",
    "FactorContext",
    "FactorRegistry",
    "FactorValues",
    "InputsView",
    "default_registry",
    "factor",
    "load_plugins",
    "register_factor",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "route_risk.factors"


@dataclass(frozen=True)
class FactorValues:
    """Per-cell values of one factor and where it was observable.

    Attributes
    ----------
    values : numpy.ndarray
        float64, aligned with the context's cells; NaN where not covered.
    covered : numpy.ndarray
        bool, False where the factor could not be observed.
    """

    values: np.ndarray
    covered: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def coerce(
        cls, result: Any, n_cells: int, name: str, cells: np.ndarray | None = None
    ) -> FactorValues:
        """Accept what a ``compute`` returns: FactorValues, an array or a Series, or (values, covered).

        With ``cells`` (the context's cells), a pandas Series indexed by cells is matched to
        them by id (:func:`pipeline.grid.align_to_cells`): a cell it lacks is not covered,
        never 0.  A one-column DataFrame is its column; a masked array (``np.ma``,
        rasterio's ``read(masked=True)``) is not covered where it is masked.
        """
        covered = None
        info: dict[str, Any] = {}
        if isinstance(result, FactorValues):
            values, covered, info = result.values, result.covered, dict(result.info)
        elif isinstance(result, tuple) and len(result) == 2:
            values, covered = result
        else:
            values = result
        what = f"factor {name!r}"
        # `return ctx.cell_centres()` (lon, lat) is a pair too: its lat read as the coverage
        said = (
            what if not isinstance(result, tuple) else f"{what} (a pair, read as (values, covered))"
        )
        if isinstance(values, np.ma.MaskedArray):
            values = _unmasked(values)
        if values is None:
            raise InputError(
                f"{what}: compute() returned None; return one value per cell of ctx.cells "
                "(a missing 'return'?)"
            )
        values = _one_column(_labelled(values), what)
        covered = _labelled(covered)
        if cells is not None:
            from .grid import align_to_cells

            values = align_to_cells(values, cells, what)
            covered = _one_column(covered, what)
            if isinstance(covered, pd.Series) and not isinstance(covered.dtype, np.dtype):
                covered = pd.Series(_as_mask(covered, said), index=covered.index)
            covered = align_to_cells(covered, cells, what, fill=False)
        values = _as_float_values(values, what)
        if len(values) != n_cells:
            raise InputError(
                f"factor {name!r} returned {len(values)} values for {n_cells} cells; "
                "compute() must return one value per cell of ctx.cells, in that order"
            )
        if covered is None:
            covered = ~np.isnan(values)
        else:
            covered = _as_mask(covered, said)
        if len(covered) != n_cells:
            raise InputError(
                f"{said} returned a coverage mask of {len(covered)} flags for {n_cells} cells"
            )
        if np.isinf(values).any():
            raise InputError(f"factor {name!r} returned infinite values")
        if (
            cells is not None
            and n_cells
            and np.array_equal(values, np.asarray(cells, dtype="uint64").astype("float64"))
        ):
            # `return counts.index` (or ctx.cells): ids near 6e17 normalised to ~1 everywhere
            raise InputError(
                f"factor {name!r} returned the cells' own H3 ids as its values (an index "
                "returned in place of the values?); return one value per cell"
            )
        values = np.where(covered, values, np.nan)
        covered = covered & ~np.isnan(values)
        return cls(values, covered, info)


def _unmasked(values: np.ma.MaskedArray) -> Any:
    """Return a masked array's values with NaN (not covered) where it is masked.

    ``np.asarray`` drops the mask: the fill under it (rasterio's nodata, a 0) was published
    as an observed value.  Values that are not numbers are left for the caller to refuse.
    """
    try:
        return np.ma.filled(values.astype("float64"), np.nan)
    except (TypeError, ValueError):
        return values


def _labelled(values: Any) -> Any:
    """Return a 1-D xarray DataArray with an index (a ``cell`` coordinate) as a pandas Series.

    Taken as an array, its values went to the cells by position: a DataArray labelled by
    cell in another order gave each cell another cell's value.  As a Series it is matched
    by id (or refused, its labels being no cells); one without an index stays positional.
    """
    if type(values).__name__ == "DataArray" and hasattr(values, "to_series"):
        if values.ndim == 1 and len(values.indexes) == 1:
            return values.to_series()
    return values


def _one_column(values: Any, what: str) -> Any:
    """Return the one column of a DataFrame (an error for several), anything else unchanged."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InputError(
                f"{what} returned a DataFrame with columns {list(values.columns)!r}; return one "
                "value per cell: a Series indexed by cell, or an array in the order of ctx.cells"
            )
        return values.iloc[:, 0]
    return values


def _as_float_values(values: Any, what: str) -> np.ndarray:
    """Return ``values`` as a flat float64 array; refuse times, complex and text."""
    if isinstance(values, pd.Series | pd.Index) and not isinstance(
        values.dtype, np.dtype
    ):  # nullable pandas dtypes: <NA> is missing
        if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            values = values.astype("float64")
    if isinstance(values, pd.Series | pd.Index) and pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        values = np.asarray(values, dtype="datetime64[ns]")
    arr = np.asarray(values)
    if arr.dtype.kind in "mMc":
        kind = {"m": "durations", "M": "dates", "c": "complex numbers"}[arr.dtype.kind]
        raise InputError(
            f"{what} returned {kind} ({arr.dtype}); return plain numbers in the factor's unit "
            "(a duration in hours: .dt.total_seconds() / 3600)"
        )
    try:
        return np.asarray(arr, dtype="float64").reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} returned values that are not numbers: {exc}") from None


def _as_mask(covered: Any, what: str) -> np.ndarray:
    """Return a coverage mask as bool; only booleans or 0/1 are accepted.

    A missing flag of a nullable boolean (``<NA>``) is not covered, as in
    :func:`pipeline.score.score_cells`.
    """
    if isinstance(covered, pd.Series | pd.Index | pd.api.extensions.ExtensionArray) and (
        pd.api.types.is_bool_dtype(covered.dtype) and not isinstance(covered.dtype, np.dtype)
    ):
        covered = pd.Series(covered).fillna(False).to_numpy(dtype=bool)
    arr = np.asarray(covered)
    if arr.dtype == object:
        flat = pd.Series(arr.reshape(-1))
        if flat.isin([True, False]).all():
            return flat.astype(bool).to_numpy()
    elif arr.dtype.kind == "b":
        return arr.reshape(-1)
    elif arr.dtype.kind in "iuf" and np.isin(arr, (0, 1)).all():
        return arr.astype(bool).reshape(-1)
    raise InputError(
        f"{what} returned a coverage mask of {arr.dtype} that is not True/False (or 0/1) "
        f"everywhere, e.g. {arr.ravel()[:3].tolist()!r}; covered must be booleans"
    )


def _check_fixed_geography(f: Factor) -> None:
    """Refuse ``fixed_geography=True`` on a factor whose values can change with the date.

    Said fixed, a factor is taken as it is at every back-test origin and month of the slider
    with no word of a look-ahead: one made from the tracks or the seizures, or recomputed
    for each ``as_of``, would hide one.
    """
    records = [n for n in f.needs if n in ("tracks", "seizures")]
    if records:
        raise ConfigError(
            f"factor {f.name!r} says fixed_geography=True but needs {records[0]!r}: values "
            f"made from the {records[0]} change as they grow, and taken as they are today "
            "at every back-test origin they may be a look-ahead; drop fixed_geography=True"
        )
    if f.time_dependent:
        raise ConfigError(
            f"factor {f.name!r} says fixed_geography=True but time_dependent=True: a fixed "
            "geography is the same on every day; set time_dependent=False as well (or drop "
            "fixed_geography=True if its values depend on ctx.as_of)"
        )


class NoOptions(BaseModel):
    """The options model of a factor that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class InputsView:
    """What a config provides, as factor availability sees it.

    Attributes
    ----------
    needs : frozenset of str
        ``"seizures"``, ``"tracks"``, ``"ports"``, ``"raster:<name>"`` for each input present.
    rasters : tuple of str
        Raster names, in config order.
    zonal_stats : tuple of str
        Statistics computed for each raster.
    """

    needs: frozenset[str]
    rasters: tuple[str, ...] = ()
    zonal_stats: tuple[str, ...] = ()


@dataclass(frozen=True)
class Factor:
    """One risk factor.

    Parameters
    ----------
    name : str
        Column name in the features and scores tables.
    unit : str
        Unit of the raw value, shown in the map card (``"per km²"``, ``"hours"``).
    description : str
        One line shown in the map card and the manifest.
    compute : callable
        ``compute(ctx: FactorContext)`` returning :class:`FactorValues`, an array of one value
        per ``ctx.cells`` (NaN = not covered), or ``(values, covered)``.  A pandas Series
        indexed by cell is matched to ``ctx.cells`` by id: a cell it lacks is not covered
        (never 0; fill it yourself where absence means zero).
    needs : tuple of str
        Inputs it needs (``"seizures"``, ``"tracks"``, ``"ports"``, ``"raster:<name>"``); a
        factor whose needs the config does not meet is not available.
    options : pydantic model class, optional
        Validates the factor's options (``factors.options.<name>`` in the config, or the
        built-in section named by ``section``).
    section : str, optional
        Built-ins only: the config section holding the options.
    missing_text : str
        What the map says where the factor is not covered (``"no AIS coverage"``).
    support : float, optional
        Part of the cells' support: computed on every candidate cell, before
        ``area.cells: support`` cuts the table; a cell whose value reaches this fraction of
        the factor's maximum (``>=``; 0: any value > 0) is observed.  None: not a support
        factor.
    time_dependent : bool
        Depends on ``as_of`` (part of its cache key).
    fixed_geography : bool
        Its values are a fixed geography (a distance to the coast): the same at every date,
        so the back-test's origins and the slider's months take them as they are and say
        so ("fixed geography: the same at every origin"), not as present data that may be a
        look-ahead.  Needs ``time_dependent=False``; refused with ``"tracks"`` or
        ``"seizures"`` among the needs (values made from records change as they grow).
    adds_cells : callable, optional
        ``adds_cells(ctx)`` returns cells this factor observed that join the candidate cells
        when the config gives no area (the cells tracks cross).
    shared_key : str, optional
        Key of the shared computation it reads (:meth:`FactorContext.shared`); factors with
        one key receive one options object.
    """

    name: str
    unit: str
    description: str
    compute: Callable[[FactorContext], Any]
    needs: tuple[str, ...] = ()
    options: type[BaseModel] = NoOptions
    section: str | None = None
    missing_text: str = "not observed"
    support: float | None = None
    time_dependent: bool = True
    adds_cells: Callable[[FactorContext], np.ndarray] | None = None
    shared_key: str | None = None
    fixed_geography: bool = False
    #: Hash of the plug-in's code taken when it is made (its module is being imported):
    #: the code this process runs, not a file edited since (see :meth:`code_digest`); None
    #: where the module has no file (a notebook's ``__main__``: :func:`live_digest`).
    _source: str | None = field(default="", init=False, repr=False, compare=False)
    #: ``name==version`` of the installed distribution that declared it (entry points).
    _distribution: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # needs="seizures" is one input, not the letters s, e, i, z, ... (never available)
        needs = (self.needs,) if isinstance(self.needs, str) else tuple(self.needs)
        object.__setattr__(self, "needs", needs)
        if not self.name.isidentifier() or self.name.startswith("_") or "__" in self.name:
            raise ConfigError(
                f"factor name must be a Python identifier without '__' or a leading '_', "
                f"got {self.name!r}"
            )
        for s in (S.NORM_SUFFIX, S.CONTRIB_SUFFIX, S.COVERED_SUFFIX):
            if self.name.endswith(s):
                raise ConfigError(f"factor name {self.name!r} ends with reserved {s!r}")
        if self.name in S.RESERVED_COLUMNS:
            raise ConfigError(
                f"factor name {self.name!r} is a column the scores tables hold already; give "
                f"the factor another name ({self.name}_value, say)"
            )
        for need in needs:
            _check_need(self.name, need)
        for what in ("unit", "description", "missing_text"):
            if not isinstance(getattr(self, what), str):
                # None was published as the card's unit "None" and a null in the manifest
                raise ConfigError(
                    f"factor {self.name!r}: {what} must be text (unit='km', "
                    f"description='One line for the map card.'), got {getattr(self, what)!r}"
                )
        if not (isinstance(self.options, type) and issubclass(self.options, BaseModel)):
            # a dataclass or dict ended the config's load in AttributeError (exit 70, a bug)
            raise ConfigError(
                f"factor {self.name!r}: options must be a pydantic model class "
                f"(class MyOptions(pydantic.BaseModel): scale_km: float = 50.0), got "
                f"{getattr(self.options, '__name__', self.options)!r}"
            )
        if "seizures" in needs and not self.time_dependent:
            # taken as it is at every back-test and training origin, its values as of today
            # counted the seizures of the windows it was tested against, without a word
            raise ConfigError(
                f"factor {self.name!r} reads the seizures (needs 'seizures') but says "
                "time_dependent=False: its values of today would count the seizures of the "
                "back-test's test windows at every origin; drop time_dependent=False (it is "
                "then recomputed from the seizures before each origin, ctx.as_of the origin)"
            )
        if self.fixed_geography:
            _check_fixed_geography(self)
        if not self.builtin:
            object.__setattr__(self, "_source", _source_digest(self.compute))

    @property
    def builtin(self) -> bool:
        """Defined by route-risk itself (computed whenever the inputs allow it)."""
        return (getattr(self.compute, "__module__", "") or "").startswith("pipeline.")

    def code_digest(self) -> str:
        """Return what a change of the factor's code changes: part of its cache key and the run key.

        A built-in: the package version (the run key and every cache key also hold the hash
        of the package's source).  A plug-in: the sha256 of the whole source file of the
        module that defines ``compute`` (its helpers, constants and imports with it), as it
        was when the factor was made - the code this process runs; where there is no file
        (a notebook's ``__main__``), :func:`live_digest` of ``compute`` as it is now (its
        code, and the constants, tables and functions it reads from the notebook).  An
        entry-point plug-in adds its distribution's name and version.
        """
        if self.builtin:
            return __version__
        source = self._source if self._source is not None else live_digest(self.compute)
        if self._distribution is None:
            return source
        return hashlib.sha256(f"{source} {self._distribution}".encode()).hexdigest()[:16]

    def _when(self, ctx: FactorContext) -> str:
        """Say as of when ``compute`` ran: a factor reading the seizures runs at many dates.

        It ran fine as of the run's day and raised at an early back-test origin (fewer
        seizures then), the refusal not saying which date, nor why that date was asked.
        """
        try:
            day = pd.Timestamp(ctx.as_of).date().isoformat()
        except (TypeError, ValueError):
            return ""
        if "seizures" not in self.needs:
            return f" (ctx.as_of {day})"
        return (
            f" (ctx.as_of {day}: a factor that reads the seizures is also computed as of "
            "each back-test and training origin, from the seizures before it)"
        )

    def __call__(self, ctx: FactorContext) -> FactorValues:
        """Compute the factor on ``ctx`` and return values with coverage.

        A plug-in that does not declare ``needs=("seizures",)`` gets no seizures: reading
        them ends the run with one line saying to declare them.  Undeclared, a factor that
        counts the seizures as of ``as_of`` was taken as it is at every back-test and
        training origin, counting the seizures it was tested against.
        """
        if self.builtin:
            result = self.compute(ctx)
        else:
            ctx = _guarded(ctx)
            if "seizures" not in self.needs:
                ctx = dataclasses.replace(ctx, seizures=_Undeclared(self.name, "seizures"))
            try:
                result = self.compute(ctx)
            except (RunLockedError, EngineError, MemoryError):
                raise
            except RouteRiskError as exc:
                if str(exc).startswith(f"factor {self.name!r}"):
                    raise  # it says which factor and what to do (an undeclared input)
                # a helper called with bad values ("point 0 has invalid coordinates") read
                # as a fault of the run's own inputs, the factor never named
                raise FactorError(_raised(self.name, exc, self.compute, self._when(ctx))) from exc
            except (Exception, SystemExit) as exc:
                # sys.exit() in a plug-in ended the run with its code (3, say) and no line
                raise FactorError(_raised(self.name, exc, self.compute, self._when(ctx))) from exc
        cells = np.asarray(ctx.cells)
        if self.builtin:
            return FactorValues.coerce(result, len(cells), self.name, cells=cells)
        try:
            return FactorValues.coerce(result, len(cells), self.name, cells=cells)
        except InputError as exc:
            # values kept from the run's cells fit no back-test origin's cells: say where
            raise InputError(f"{exc}{self._when(ctx)}") from None


def _known_by(pings: Any, as_of: Any) -> Any:
    """Return the positions of ``pings`` up to ``as_of`` (a table; anything else as it is).

    The runner hands a plug-in the seizures up to ``as_of`` and the pings of every file: a
    plug-in that reads both counted the positions after the map's day (the built-in transit
    factors leave them out, and say so), at a back-test origin those of its test window.
    An untimed route's positions (no time) are kept: no date places them after ``as_of``
    (``time <= as_of`` dropped them whenever a position was later: a nightly run of
    yesterday handed a plug-in none of the routes).
    """
    if not isinstance(pings, pd.DataFrame) or S.TIME not in pings.columns or as_of is None:
        return pings
    limit = pd.Timestamp(as_of)
    limit = limit.tz_localize("UTC") if limit.tzinfo is None else limit.tz_convert("UTC")
    later = (pd.to_datetime(pings[S.TIME], utc=True) > limit).to_numpy()  # NaT: False
    if not later.any():
        return pings
    return pings[~later].reset_index(drop=True)


def _guarded(ctx: FactorContext) -> FactorContext:
    """Return ``ctx`` whose tables, cells and rasters a plug-in cannot change for the run.

    The run's own seizures table was the plug-in's ``ctx.seizures``: a hurried
    ``s["lon"] += 5`` there moved the published seizure counts and hot spots of every later
    stage, with no error; ``da[:] = 0`` on a raster blanked the map's raster overlay.
    Tables are shallow copies (pandas' copy-on-write: a write copies the column it changes,
    nothing is copied up front); the cells and in-memory rasters are read-only views (a
    write raises, naming the plug-in's line); a raster read lazily from its file is a fresh
    copy-on-write wrapper of it (nothing read), a dask-backed one a copy of its graph.
    """

    def own(table: Any) -> Any:
        return table.copy(deep=False) if isinstance(table, pd.DataFrame) else table

    def read_only(cells: Any) -> Any:
        if not isinstance(cells, np.ndarray):
            return cells
        view = cells.view()
        view.flags.writeable = False
        return view

    def raster(da: Any) -> Any:
        # a write into ctx.rasters[...] (da[:] = 0) reached the map's raster overlay
        if isinstance(da, np.ndarray):
            return read_only(da)
        variable = getattr(da, "variable", None)
        if variable is None or not hasattr(da, "copy"):
            return da
        if getattr(da, "chunks", None) is not None:
            # a dask array's setitem rewrites the object it is given
            view = da.copy(deep=False)
            view.data = da.data.copy()
        elif getattr(variable, "_in_memory", False):
            view = da.copy(deep=False)
            view.data = read_only(da.data)
        else:
            # read lazily from its file (the run's rasters): `.data` read the whole raster
            # into memory, for every plug-in and at every back-test origin (an 8000 x 8000
            # GeoTIFF: 1.6 s and 470 MiB a call); a deep copy is a fresh copy-on-write
            # wrapper of the same file: nothing is read, a write copies into the plug-in's
            view = da.copy(deep=True)
        return view

    return dataclasses.replace(
        ctx,
        cells=read_only(ctx.cells),
        rasters={k: raster(v) for k, v in ctx.rasters.items()},
        window_cells=read_only(ctx.window_cells),
        seizures=own(ctx.seizures),
        pings=_known_by(own(ctx.pings), ctx.as_of),
        ports=own(ctx.ports),
        vessel_identity=own(ctx.vessel_identity),
        context={k: own(v) for k, v in ctx.context.items()},
    )


def _check_need(name: str, need: Any) -> None:
    """Refuse a need that names no input: such a factor was never available.

    ``needs=("seizure",)`` made the factor "unknown" in every config, the message saying
    the config did not give 'seizure' - an input no config can give.
    """
    if need in ("seizures", "tracks", "ports"):
        return
    kind, sep, rest = str(need).partition(":")
    if sep and rest and kind == "raster":
        return
    from .ingest.context import CONTEXT_KINDS

    if sep and kind == "context" and rest in CONTEXT_KINDS:
        return
    raise ConfigError(
        f"factor {name!r} needs {need!r}, which is no input; needs are 'seizures', 'tracks', "
        f"'ports', 'raster:<name>' (a raster of inputs.rasters) or 'context:<kind>' "
        f"(kinds {sorted(CONTEXT_KINDS)!r})"
    )


def _raised(
    name: str, exc: BaseException, compute: Callable[..., Any] | None = None, when: str = ""
) -> str:
    """Say in one line that plug-in ``name`` raised ``exc``, and where: the plug-in's line.

    Uncaught, a plug-in's exception ended the run as route-risk's own bug (exit 70, "please
    report it") with a traceback that never named the factor.  The line named is the
    innermost one in the file of ``compute``, else in the user's own code: the innermost
    frame was pandas' (``base.py, in get_loc`` for a missing label) or route-risk's.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    own = _code_file(compute)
    roots = _installed_roots()
    mine = [f for f in frames if own is not None and f.filename == own] or [
        f for f in frames if not os.path.realpath(f.filename).startswith(roots)
    ]
    where = ""
    if mine:
        last = mine[-1]
        where = f" at {Path(last.filename).name}, line {last.lineno}, in {last.name}"
    elif len(frames) <= 1 and isinstance(exc, TypeError):
        where = " (compute(ctx) is called with one argument, the FactorContext)"
    if isinstance(exc, ValueError) and "read-only" in str(exc):
        where += (
            " (ctx.cells and ctx.rasters are read-only: work on a copy, np.sort(ctx.cells) "
            "or ctx.rasters[name].copy())"
        )
    text = " ".join(str(exc).split()) or "(no message)"
    return (
        f"factor {name!r}: compute() raised {type(exc).__name__}: {text}{where}{when}; "
        "fix the plug-in (in Python the exception's __cause__ holds its traceback)"
    )


def _code_file(compute: Callable[..., Any] | None) -> str | None:
    """Return the file that defines ``compute`` (a function, a partial, a callable object)."""
    fn: Any = compute
    while isinstance(fn, functools.partial):
        fn = fn.func
    code = getattr(fn, "__code__", None) or getattr(type(fn).__call__, "__code__", None)
    return code.co_filename if code is not None else None


class _Undeclared:
    """Stands for an input a plug-in did not declare: any use of it is refused, saying why."""

    def __init__(self, factor: str, what: str) -> None:
        self._say = (
            f"factor {factor!r} reads ctx.{what} but does not declare it: add "
            f"needs=({what!r},) to its definition (a factor that reads the seizures is "
            "recomputed from the seizures before each back-test and training origin)"
        )

    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        raise ConfigError(self._say)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        self._refuse()

    __len__ = __getitem__ = __iter__ = __bool__ = __contains__ = __array__ = _refuse


def _file_digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:16]


def _module_file(module: types.ModuleType) -> str | None:
    """Return the source file of ``module``, None without one (a notebook's ``__main__``)."""
    try:
        path = inspect.getsourcefile(module)
    except TypeError:  # a built-in module
        return None
    return path if path is not None and os.path.isfile(path) else None


@functools.cache
def _installed_roots() -> tuple[str, ...]:
    """Folders of code a version stands for: the standard library, site-packages, route-risk."""
    import site
    import sysconfig

    roots = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots |= set(site.getsitepackages()) | {site.getusersitepackages()}
    roots.add(os.path.dirname(os.path.abspath(__file__)))  # the package hash covers pipeline
    return tuple(sorted(os.path.realpath(r) + os.sep for r in roots))


#: The most local modules one plug-in's digest follows (a bound on a walk over imports).
_MAX_LOCAL_MODULES = 256


def _imported_names(module: types.ModuleType, path: str) -> list[str]:
    """Return the modules the source of ``module`` imports, by name (relative ones resolved).

    ``from .helpers import SCALE`` names ``pkg.helpers`` (and ``pkg.helpers.SCALE``, in case
    it is a module); imports inside functions count too.  A file that does not parse names
    none (it was imported, so it parses; this is for a file edited since).
    """
    import ast

    try:
        with open(path, "rb") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return []
    package = module.__package__ or ""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                keep = len(parts) - (node.level - 1)
                if keep <= 0 and node.level > 1:
                    continue
                base = ".".join([*parts[: max(keep, 0)], *([base] if base else [])])
            if base:
                names.append(base)
                names += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
    return names


def _local_modules(module: types.ModuleType) -> list[tuple[str, str]]:
    """Return ``(name, file)`` of ``module`` and of the local modules it reaches.

    Local: a file outside the standard library, site-packages and route-risk (a helper
    beside the plug-in, another module of the user's project).  A local module reaches the
    modules its source imports (``from .helpers import SCALE``, ``import helpers``; those
    imported by now) and those of the functions, classes and modules among its globals.
    """
    roots = _installed_roots()
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    todo = [module]
    while todo and len(out) < _MAX_LOCAL_MODULES:
        mod = todo.pop(0)
        if mod.__name__ in seen:
            continue
        seen.add(mod.__name__)
        path = _module_file(mod)
        if path is None or os.path.realpath(path).startswith(roots):
            continue
        out.append((mod.__name__, path))
        deps: list[Any] = [sys.modules.get(n) for n in _imported_names(mod, path)]
        for value in list(vars(mod).values()):
            if isinstance(value, types.ModuleType):
                deps.append(value)
                continue
            try:
                deps.append(sys.modules.get(getattr(value, "__module__", None) or ""))
            except Exception:  # an object whose attributes raise
                continue
        todo += [d for d in deps if isinstance(d, types.ModuleType) and d.__name__ not in seen]
    return out


def _file_based_digest(module: types.ModuleType, path: str) -> str:
    """Hash the source file of ``module`` and those of the local modules it reaches."""
    files = [(name, _file_digest(f)) for name, f in _local_modules(module)] or [
        (module.__name__, _file_digest(path))  # a plug-in installed in site-packages
    ]
    if len(files) == 1:  # the digest a module without local helpers always had
        return files[0][1]
    return hashlib.sha256(repr(files).encode()).hexdigest()[:16]


def _unwrapped(compute: Any) -> Any:
    fn = compute
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def _source_digest(compute: Callable[..., Any]) -> str | None:
    """Hash the source files of the module defining ``compute`` and its local helpers.

    Taken when the factor is made, usually while that module is imported: the bytes hashed
    are the code that runs.  The helpers are the local modules its globals reach
    (:func:`_local_modules`: ``from .helpers import scale`` in the plug-in's package or a
    module beside it); installed packages are covered by their versions.  None for a module
    without a file (a notebook's ``__main__``): its code and the globals it reads live in
    the process and change without an import, so :func:`live_digest` hashes them each time
    the digest is asked for.  A module imported only inside a function, when it runs, is
    not seen.
    """
    fn = _unwrapped(compute)
    where = _defining_file(fn if isinstance(fn, types.FunctionType | type) else type(fn))
    return _file_based_digest(*where) if where is not None else None


def _defining_file(obj: Any) -> tuple[types.ModuleType, str] | None:
    """Return the module of a function or class and its source file; None without one.

    A function whose globals are not its module's was not defined by the module's file
    (code run by ``exec``, a cell run under the module's name): the file is not its code.
    """
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    path = _module_file(module) if module is not None else None
    if module is None or path is None:
        return None
    glob = getattr(obj, "__globals__", None)
    return (module, path) if glob is None or glob is vars(module) else None


#: How deep :func:`live_digest` follows the functions a notebook's function calls (and the
#: values they hold); one deeper makes the digest one no other call gives (a miss, never
#: stale values: a helper twelve calls down edited was not seen at a limit of 8).
_MAX_LIVE_DEPTH = 40


def _code_shape(code: types.CodeType) -> str:
    """Return what a code object computes, without its file name and line numbers."""
    consts = [_const_text(c) for c in code.co_consts]
    return repr((code.co_code.hex(), consts, code.co_names, code.co_varnames, code.co_freevars))


def _const_text(c: Any) -> str:
    """Return a code object's constant as text that is the same in every process."""
    if isinstance(c, types.CodeType):
        return _code_shape(c)
    if isinstance(c, frozenset):  # `x in {"a", "b"}`: its order follows the string hashes
        return "frozenset(" + repr(sorted(_const_text(x) for x in c)) + ")"
    if isinstance(c, tuple):
        return "(" + ", ".join(_const_text(x) for x in c) + ",)"
    return f"{type(c).__name__}:{c!r}"


def _global_names(code: types.CodeType) -> list[str]:
    """Names a code object (and the functions nested in it) reads from its globals.

    The global loads only, not every name of ``co_names``: ``ctx.seizures`` names the
    attribute ``seizures``, and a notebook's own ``seizures`` table was hashed with it.
    """
    import dis

    names = {
        ins.argval
        for ins in dis.get_instructions(code)
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(ins.argval, str)
    }
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names.update(_global_names(c))
    return sorted(names)


def live_digest(compute: Callable[..., Any]) -> str:
    """Hash a function defined where there is no file (a notebook cell), as it is now.

    A notebook's function is its compiled code (file name and line numbers left out: the
    same code in another cell or another kernel is the same), its defaults and closure, and what
    it reads from the notebook's globals, taken now: a constant (``SCALE_KM = 50``
    changed in another cell), a table, another function of the notebook (followed the
    same way), a class; a module or a function of an installed package by its name (its
    version is in the run key), of a local module by its file.  Before, only the source of
    ``compute`` was hashed, or, without it, its name: a factor redefined at a prompt, or
    whose helper or constant was changed in another cell, kept its digest, and the run's
    cache served the values of the code before.
    """
    seen: set[int] = set()

    def value(v: Any, depth: int) -> str:
        if isinstance(v, Factor):
            v = v.compute
        if isinstance(v, types.ModuleType):
            return f"module {v.__name__}"
        if isinstance(v, set | frozenset):  # pickled in the order of the values' hashes
            return repr((type(v).__name__, sorted(value(x, depth) for x in v)))
        if isinstance(v, functools.partial):
            return repr(("partial", *(value(p, depth) for p in (v.func, v.args, v.keywords))))
        if isinstance(v, types.MethodType):
            return repr(("method", value(v.__func__, depth), value(v.__self__, depth)))
        if isinstance(v, types.BuiltinFunctionType | np.ufunc):
            return f"{getattr(v, '__module__', '')}:{getattr(v, '__qualname__', v.__name__)}"
        if isinstance(v, types.FunctionType | type):
            name = f"{getattr(v, '__module__', '')}:{getattr(v, '__qualname__', '')}"
            module = sys.modules.get(getattr(v, "__module__", None) or "")
            file = getattr(module, "__file__", None)
            if getattr(v, "__module__", None) in sys.builtin_module_names:
                return name  # int, dict, a datetime: the interpreter's own (its version)
            if isinstance(file, str) and os.path.realpath(file).startswith(_installed_roots()):
                # its distribution's version (or the package hash) covers it; an extension
                # module's class (scipy's cKDTree) too, whose source no file holds
                return name
            where = _defining_file(v)
            if where is not None:
                return f"{name} {_file_based_digest(*where)}"
            if id(v) in seen:  # being hashed, higher up (a function that recurses)
                return name
            if depth > _MAX_LIVE_DEPTH:
                return f"{name} not followed {uuid.uuid4()}"
            seen.add(id(v))
            if isinstance(v, types.FunctionType):
                return of_function(v, depth + 1)
            try:
                return f"{name} {inspect.getsource(v)}"
            except (OSError, TypeError):
                own = sorted(vars(v).items(), key=lambda kv: kv[0])
                return repr((name, [(k, value(a, depth + 1)) for k, a in own if k[:2] != "__"]))
        try:
            return _pickled_digest(v, lambda inner: value(inner, depth + 1))
        except Exception:
            # not picklable (an open raster, a connection): its repr need not tell its state
            # ("<open DatasetReader name='depth.tif'>" of the file written again), and an id
            # is the same object changed in place: a digest no other call gives, a miss
            return f"{type(v).__module__}.{type(v).__qualname__} not picklable {uuid.uuid4()}"

    def of_function(fn: types.FunctionType, depth: int) -> str:
        # the compiled code, not the source: the same whether or not the source is kept
        # (a prompt keeps none), and across processes; a comment changes nothing
        text = _code_shape(fn.__code__)
        glob = fn.__globals__
        reads = [(n, value(glob[n], depth)) for n in _global_names(fn.__code__) if n in glob]
        closure = [value(c.cell_contents, depth) for c in fn.__closure__ or () if _filled(c)]
        defaults = value((fn.__defaults__, fn.__kwdefaults__), depth)
        # hashed: a caller's text holds this one's, and repr doubles its backslashes at each
        # level (a chain of 40 helpers took all the memory)
        return hashlib.sha256(repr((text, reads, closure, defaults)).encode()).hexdigest()

    fn = _unwrapped(compute)
    if isinstance(fn, types.FunctionType):
        text = value(compute, 0)
    else:  # a callable object: its class and its state
        text = repr((value(type(fn), 0), value(fn, 0)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _HashSink:
    """A file that hashes what is written to it (a pickle is never held whole in memory)."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()

    def write(self, data: Any) -> int:
        self.sha.update(data)
        return len(data)

    def buffer(self, buf: pickle.PickleBuffer) -> None:
        raw = buf.raw()  # an array's data, out of band: hashed as it is, no copy made
        self.sha.update(len(raw).to_bytes(8, "little"))
        self.sha.update(raw)


def _pickled_digest(v: Any, code_text: Callable[[Any], str]) -> str:
    """Hash ``v`` pickled, each function or class it holds by ``code_text`` of it.

    A plain pickle names a function or class of ``__main__`` by its name alone: a dict of
    a notebook's functions, or an instance of a notebook's class, kept its digest when the
    function or the class's method was defined again with other code (stale values served
    from the cache).  Here each of them is what :func:`live_digest` says of it (its code
    and what it reads); the arrays' data are hashed where they lie.
    """
    sink = _HashSink()

    class Hashing(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if not isinstance(obj, types.FunctionType | type) or (
                getattr(obj, "__module__", None) in sys.builtin_module_names
            ):
                return NotImplemented  # by value, or by name (str, int: the interpreter's)
            return (str, (code_text(obj),))

    Hashing(sink, protocol=5, buffer_callback=sink.buffer).dump(v)
    return sink.sha.hexdigest()


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018  (an empty cell raises)
    except ValueError:
        return False
    return True


@dataclass
class FactorContext:
    """Everything a factor's ``compute`` may read.

    Attributes
    ----------
    cells : numpy.ndarray
        uint64 H3 cells to compute on, sorted.
    resolution : int
        Their H3 resolution.
    as_of : pandas.Timestamp
        Reference time (UTC) of the run.
    seizures, pings : pandas.DataFrame
        Ingested tables (contract in :mod:`pipeline.schema`).  In a run that reads tracks in
        chunks (``ingest.chunk_rows``) the built-in transit factors get ``pings`` as a
        :class:`~pipeline.ingest.stream.PingStore` (on disk, read a group of whole vessels at
        a time); a plug-in that needs ``tracks`` always gets the table, its positions up
        to ``as_of`` (an untimed route's kept).
    rasters : dict
        Raster name to opened ``xarray.DataArray``.
    ports : pandas.DataFrame or None
        Ports (``name``, ``lon``, ``lat``) when the config gives a ports layer.
    context : dict
        Context layers by kind (``"ports"``, ``"lanes"``, ``"land"``): GeoDataFrames in
        EPSG:4326.
    window_cells : numpy.ndarray
        Cells of the area (the density's edge-correction window).
    vessel_identity : pandas.DataFrame or None
        Each vessel id's ship identity keys read beside the pings (``vessel_id``, ``kind``,
        ``key``, ``n``; :mod:`pipeline.ingest.identity`): which vessel ids are one ship.
    options : pydantic.BaseModel
        This factor's validated options (set by the runner before each compute).
    """

    cells: np.ndarray
    resolution: int
    as_of: pd.Timestamp
    seizures: pd.DataFrame
    pings: pd.DataFrame | PingStore
    rasters: Mapping[str, Any] = field(default_factory=dict)
    ports: pd.DataFrame | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    window_cells: np.ndarray | None = None
    vessel_identity: pd.DataFrame | None = None
    options: BaseModel = field(default_factory=NoOptions)
    cache_hook: Callable[[str, Callable[[], Any]], Any] | None = field(default=None, repr=False)
    cells_hook: Callable[[str, Callable[[], Any]], Any] | None = field(default=None, repr=False)
    data_hook: Callable[[str, Callable[[], Any]], Any] | None = field(default=None, repr=False)
    memo_hook: Callable[..., Any] | None = field(default=None, repr=False)
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)

    def shared(
        self,
        key: str,
        build: Callable[[FactorContext], Any] | None = None,
        *,
        cells_only: bool = False,
        no_cells: bool = False,
    ) -> Any:
        """Return a computation shared by several factors, computing it once.

        The runner's ``cache_hook`` may serve it from its cache; otherwise ``build`` runs
        once per context.  ``cells_only``: ``build`` reads nothing but the cells (their
        areas, say), so the runner's ``cells_hook`` keys it by the cells alone and a night
        with new data reuses it.  ``no_cells``: ``build`` does not read the cells (the pass
        over the tracks gives every cell they cross), so the runner's ``data_hook`` keys it
        by the data and options alone, and another set of cells (the back-test's) reuses it.
        """
        if key not in self._shared:
            if build is None:
                raise KeyError(f"no shared computation {key!r} has been built yet")
            fn = build
            hook = self.cache_hook
            if cells_only:
                hook = self.cells_hook
            elif no_cells and self.data_hook is not None:
                hook = self.data_hook
            if hook is not None:
                self._shared[key] = hook(key, lambda: fn(self))
            else:
                self._shared[key] = fn(self)
        return self._shared[key]

    def memo(self, key: str, key_parts: Any, *, sharded: bool = False) -> Any:
        """Return the runner's memo of parts for ``key`` (None outside a run with a cache).

        A computation made of parts (day blocks, map tiles) keeps each part's result under
        the hash of the part's inputs (:class:`pipeline.runner.cache.PartMemo`);
        ``key_parts`` are what every part depends on besides its inputs (the options).
        ``sharded``: parts of partitions of the tracks, kept by the partitions themselves
        (:class:`pipeline.runner.cache.ShardMemo`), so the client never holds them all.
        """
        if self.memo_hook is None:
            return None
        if sharded:
            return self.memo_hook(key, key_parts, sharded=True)
        return self.memo_hook(key, key_parts)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Return lon, lat of the cell centres."""
        from .grid import cells_to_latlng

        lat, lon = cells_to_latlng(self.cells)
        return lon, lat


class FactorRegistry:
    """Named factors and factor families; built-ins and plug-ins alike."""

    def __init__(self) -> None:
        self._factors: dict[str, Factor] = {}
        # registration order, families in their place: the features table keeps it
        self._entries: list[str | Callable[[InputsView], Iterable[Factor]]] = []
        self._loaded: set[str] = set()
        self._paths_seen: tuple | None = None  # sys.path and its folders' mtimes, last read
        #: The ``module:attribute`` reference each plug-in factor was registered from: the
        #: same reference naming another object later (the cell run again with other code,
        #: the module reloaded) replaces it; another reference's factor of that name does not.
        self._refs: dict[str, str] = {}

    def register(self, f: Factor, *, replace: bool = False) -> Factor:
        """Add a factor; a second factor of the same name is an error unless ``replace``."""
        if not isinstance(f, Factor):
            raise ConfigError(f"expected a pipeline.factors.Factor, got {type(f).__name__}")
        old = self._factors.get(f.name)
        if old is not None and old is not f and not replace:
            same_code = old.code_digest() == f.code_digest() and old.unit == f.unit
            if not same_code and old.builtin and not f.builtin:
                raise ConfigError(
                    f"a built-in factor is named {f.name!r} ({old.description}); give your "
                    "factor another name (or register_factor(f, replace=True) to replace it "
                    "on purpose)"
                )
            if not same_code:
                raise ConfigError(f"a factor named {f.name!r} is already registered")
        if f.name not in self._factors:
            self._entries.append(f.name)
        self._factors[f.name] = f
        return f

    def register_family(
        self, family: Callable[[InputsView], Iterable[Factor]]
    ) -> Callable[[InputsView], Iterable[Factor]]:
        """Add a function that makes factors from the config's inputs."""
        if family not in self._entries:
            self._entries.append(family)
        return family

    def names(self) -> list[str]:
        """Names of the registered (non-family) factors."""
        return sorted(self._factors)

    def available(self, inputs: InputsView) -> dict[str, Factor]:
        """Factors whose needs ``inputs`` meet, by name, in registration order."""
        return {name: made[0] for name, made in self._made(inputs).items()}

    def _made(self, inputs: InputsView) -> dict[str, list[Factor]]:
        """Every factor ``inputs`` make available, by name: the first one is used."""
        out: dict[str, list[Factor]] = {}
        for entry in self._entries:
            made = [self._factors[entry]] if isinstance(entry, str) else list(entry(inputs))
            for f in made:
                if set(f.needs) <= inputs.needs:
                    out.setdefault(f.name, []).append(f)
        return out

    def resolve(self, names: Iterable[str], inputs: InputsView) -> list[Factor]:
        """Return the factors named, in order; an unknown name lists the available ones.

        A plug-in named as a factor a built-in family makes from the inputs (a raster's
        ``nightlights_mean``) is refused: the built-in came first and the plug-in was never
        computed, its name in the scores holding the raster's values.
        """
        made = self._made(inputs)
        avail = {name: fs[0] for name, fs in made.items()}
        names = list(names)
        for n in names:
            plugins = [f for f in made.get(n, ()) if not f.builtin]
            if plugins and made[n][0].builtin:
                raise ConfigError(
                    f"a built-in factor is named {n!r} ({made[n][0].description}), made from "
                    "the config's inputs; give the plug-in factor of that name another name"
                )
        unknown = [n for n in names if n not in avail]
        if unknown:
            missing_inputs = {
                n: sorted(set(self._factors[n].needs) - inputs.needs)
                for n in unknown
                if n in self._factors
            }
            hint = "".join(
                f"; {n!r} needs input(s) {need!r} that the config does not give"
                for n, need in missing_inputs.items()
            )
            raise ConfigError(
                f"unknown factor(s) {unknown!r}; available: {sorted(avail)!r}{hint} "
                "(plug-ins: entry points 'route_risk.factors' or factors.plugins 'module:name')"
            )
        return [avail[n] for n in names]

    def load_entry_points(self) -> None:
        """Register the factors that installed packages declare (once per process).

        The installed distributions are read again only when ``sys.path`` or one of its
        folders changed since the last read (installing a package writes its metadata
        folder there): reading them costs ~12 ms, and a run asks eight times.
        """
        seen = path_state()
        if seen == self._paths_seen:
            return
        self._paths_seen = seen
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            ref = f"ep:{ep.name}={ep.value}"
            if ref in self._loaded:
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plug-in must not take the run down silently
                raise ConfigError(
                    f"factor plug-in entry point {ep.name!r} ({ep.value}) failed to load: {exc}"
                ) from None
            dist = ep.dist
            if dist is not None:
                for f in _factors_in(obj):
                    # a release of the package changes what the factor computes, whichever
                    # of its files the change is in
                    object.__setattr__(f, "_distribution", f"{dist.name}=={dist.version}")
            self._add_object(obj, ep.value)
            self._loaded.add(ref)

    def load_reference(self, ref: str) -> list[Factor]:
        """Register the factor(s) at ``module:attribute`` and return them."""
        module_name, sep, attr = ref.partition(":")
        if not sep or not module_name or not attr:
            raise ConfigError(f"a factor plug-in must be 'module:attribute', got {ref!r}")
        if not all(part.isidentifier() for part in module_name.split(".")):
            # '../plugins/mine' and '.mine' raised TypeError in importlib (exit 70, a bug)
            raise ConfigError(
                f"factor plug-in {ref!r}: {module_name!r} is not a module name; name the "
                "module as Python imports it ('mine:factor' for mine.py, 'pkg.mine:factor'), "
                "with its folder on PYTHONPATH or the package installed, not a file path"
            )
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(
                f"factor plug-in {ref!r}: cannot import {module_name!r}: {exc}"
            ) from None
        except MemoryError:
            raise
        except (Exception, SystemExit) as exc:
            # the module's own NameError or SyntaxError ended validate and run as route-risk's
            # bug; a factor it defines that route-risk refuses is said with the reference too
            raise ConfigError(_import_failed(ref, exc)) from exc
        obj: Any = module
        for part in attr.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise ConfigError(
                    f"factor plug-in {ref!r}: {module_name!r} has no {attr!r}"
                ) from None
        return self._add_object(obj, ref)

    def _add_object(self, obj: Any, ref: str) -> list[Factor]:
        if isinstance(obj, list | tuple) and not obj:
            raise ConfigError(
                f"factor plug-in {ref!r} is an empty {type(obj).__name__}: it holds no factor "
                "(name a Factor, or a list of them, made with @pipeline.factor(...))"
            )
        if isinstance(obj, Factor):
            made = self.register(obj, replace=self._refs.get(obj.name) == ref)
            self._refs[obj.name] = ref
            return [made]
        if isinstance(obj, list | tuple):
            return [f for o in obj for f in self._add_object(o, ref)]
        raise ConfigError(
            f"factor plug-in {ref!r} is a {type(obj).__name__}, not a pipeline.factors.Factor "
            "(decorate the function with @pipeline.factor(...))"
        )


def _import_failed(ref: str, exc: BaseException) -> str:
    """Say in one line that plug-in ``ref``'s module raised ``exc`` on import, and where."""
    where = ""
    if isinstance(exc, SyntaxError):
        if exc.filename and Path(exc.filename).name not in str(exc):
            where = f" at {Path(exc.filename).name}, line {exc.lineno}"
    else:
        roots = _installed_roots()
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if not os.path.realpath(f.filename).startswith(roots) and not f.filename.startswith("<")
        ]
        if frames:
            where = f" at {Path(frames[-1].filename).name}, line {frames[-1].lineno}"
    text = " ".join(str(exc).split()) or "(no message)"
    if isinstance(exc, RouteRiskError):
        return f"factor plug-in {ref!r}: importing its module{where}: {text}"
    return (
        f"factor plug-in {ref!r}: importing its module raised {type(exc).__name__}: "
        f"{text}{where}; fix the module"
    )


def _factors_in(obj: Any) -> list[Factor]:
    """Return the factors of a plug-in object (a Factor or nested lists of them)."""
    if isinstance(obj, Factor):
        return [obj]
    if isinstance(obj, list | tuple):
        return [f for o in obj for f in _factors_in(o)]
    return []


default_registry = FactorRegistry()


def register_factor(f: Factor, *, replace: bool = False) -> Factor:
    """Register ``f`` in the default registry (see :class:`FactorRegistry`)."""
    return default_registry.register(f, replace=replace)


def factor(
    *,
    name: str,
    unit: str,
    description: str,
    needs: Iterable[str] = (),
    options: type[BaseModel] = NoOptions,
    missing_text: str = "not observed",
    time_dependent: bool = True,
    fixed_geography: bool = False,
    register: bool = True,
) -> Callable[[Callable[[FactorContext], Any]], Factor]:
    """Decorate ``compute(ctx)`` into a :class:`Factor` (registered in the default registry).

    ``time_dependent=False`` says the values do not depend on ``ctx.as_of`` (a distance to
    the coast): the cache keeps them across days, and a back-test takes them as they are.
    ``fixed_geography=True`` (with ``time_dependent=False``) says they are the same at every
    date: the back-test and the slider name them as fixed geography, not as present data
    (today's values at a past date: a possible look-ahead).
    A time-dependent factor that needs ``"seizures"`` is recomputed at each back-test origin
    from the seizures before it (its values now would count the test windows' seizures).

    Examples
    --------
    >>> from pipeline import factor
    >>> @factor(name="cell_lat", unit="degrees", description="Latitude of the cell centre.",
    ...         register=False)
    ... def cell_lat(ctx):
    ...     return ctx.cell_centres()[1]
    >>> cell_lat.unit
    'degrees'
    """

    def wrap(fn: Callable[[FactorContext], Any]) -> Factor:
        f = Factor(
            name=name,
            unit=unit,
            description=description,
            compute=fn,
            needs=(needs,) if isinstance(needs, str) else tuple(needs),
            options=options,
            missing_text=missing_text,
            time_dependent=time_dependent,
            fixed_geography=fixed_geography,
        )
        if not register:
            return f
        old = default_registry._factors.get(name)
        if old is not None and old.builtin and not f.builtin:
            # replace=True is for a notebook cell run again, not for shadowing a built-in
            raise ConfigError(
                f"a built-in factor is named {name!r} ({old.description}); give your factor "
                "another name (or register_factor(f, replace=True) to replace it on purpose)"
            )
        return default_registry.register(f, replace=True)

    return wrap


def path_state() -> tuple:
    """Return ``sys.path`` with each folder's modification time (None where it is none).

    Installing, upgrading or removing a package writes or removes its metadata folder in one
    of these folders, which changes its modification time: what was read from the installed
    metadata while this is unchanged is still what the metadata says.
    """
    state: list[tuple[str, int | None]] = []
    for p in sys.path:
        try:
            state.append((p, os.stat(p or ".").st_mtime_ns))
        except OSError:
            state.append((p, None))
    return tuple(state)


def load_plugins(refs: Iterable[str] = (), registry: FactorRegistry | None = None) -> None:
    """Load entry-point plug-ins and the ``module:attribute`` references into ``registry``."""
    from . import builtin_factors  # noqa: F401  (registers the built-ins)

    reg = registry or default_registry
    reg.load_entry_points()
    for ref in refs:
        reg.load_reference(ref)


class PluginOptions(BaseModel):
    """The ``factors`` config section: plug-in references and per-factor options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plugins: tuple[str, ...] = Field(
        (),
        description="'module:attribute' references to Factor objects (a notebook: '__main__:f').",
    )
    options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Options of plug-in factors, by factor name."
    )

    @field_validator("options", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # 'options:' or '<name>:' left empty is YAML's null: no options, the defaults
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            return value
        out = {}
        for name, opts in value.items():
            if opts is not None and not isinstance(opts, Mapping):
                raise ValueError(
                    f"the options of {name!r} must be a table ({name}: {{option: value}}) "
                    f"or empty for the defaults, got {opts!r}"
                )
            out[name] = {} if opts is None else opts
        return out
