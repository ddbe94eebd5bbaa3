"""The features stage: every factor on the cells, with its coverage.

Which cells: the area's cells (``region``); when the config gives no area, the cells that
support factors observed (the cells tracks cross) join them.  Support factors (seizure
density, transit) are computed on every candidate cell; with ``area.cells: support`` the
table is then cut to cells with any observation (a seizure in the cell, or a support
factor's value) before the costlier factors (rasters, plug-ins) run on what is left.

The result has one row per cell, sorted by cell: ``cell``, one float64 column per factor (NaN
where the factor does not cover the cell) and one bool ``<factor>__covered`` column each.

In a run (``memo_for`` given) each factor computes with memos of parts: its kernel sums by
map tiles (:func:`pipeline.density.density_memo`), transit by vessel-day blocks, AIS coverage
by track file; a part whose inputs did not change since the last run is reused, so a night
with a few new events recomputes little and gives the bits of a full run.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from . import schema as S
from .factors import Factor, FactorContext, FactorValues

__all__ = ["FeatureTable", "compute_features", "support_mask"]

ProgressFn = Callable[[str], None]
CacheFn = Callable[[str, Any, Callable[[], Any]], tuple[Any, bool]]


@dataclass
class FeatureTable:
    """What the features stage produced.

    Attributes
    ----------
    table : pandas.DataFrame
        ``cell``, per factor its value (NaN = not covered) and ``<factor>__covered``.
    info : dict
        Per factor what its compute reported (the density's bandwidth, ...).
    shared : dict
        Shared computations (``"transit"``: the transit result with the events table).
    window_cells : numpy.ndarray
        The area's cells (edge-correction window of the density).
    """

    table: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)
    window_cells: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="uint64"))

    @property
    def covered(self) -> pd.DataFrame:
        """The ``<factor>__covered`` columns."""
        return self.table[[c for c in self.table.columns if c.endswith(S.COVERED_SUFFIX)]]


def support_mask(table: pd.DataFrame, factors: Sequence[Factor]) -> np.ndarray:
    """Cells with any observation in a support factor (see :attr:`Factor.support`)."""
    keep = np.zeros(len(table), dtype=bool)
    for f in factors:
        if f.support is None or f.name not in table:
            continue
        v = np.nan_to_num(table[f.name].to_numpy(dtype="float64"), nan=0.0)
        top = v.max(initial=0.0)
        if f.support > 0:
            if top > 0:
                keep |= v >= f.support * top
        else:
            keep |= v > 0
    return keep


def _holds_a_seizure(cells: np.ndarray, base: FactorContext) -> np.ndarray:
    """Mask of the cells a seizure lies in: observed, whatever their density at the centre.

    A seizure far from its cell's centre (a cell wider than the bandwidth) or old (decayed
    to below the support fraction of the busiest cell) gives its cell no density there; the
    cut would drop the cell, and the seizure with it, from the scores and the map.
    """
    seizures = base.seizures
    if seizures is None or not len(seizures):
        return np.zeros(len(cells), dtype=bool)
    from .grid import cells_in, points_to_cells

    held = points_to_cells(
        seizures[S.LON].to_numpy(dtype="float64"),
        seizures[S.LAT].to_numpy(dtype="float64"),
        base.resolution,
    )
    return cells_in(cells, held)


def _memo_with_code(hook: Callable[..., Any], code: list[str], key: str, parts: Any, **kw: Any):
    """Call the runner's memo hook with a plug-in's code digest among the key's parts."""
    return hook(key, [parts, *code], **kw)


def compute_features(
    factors: Sequence[Factor],
    base: FactorContext,
    *,
    area_given: bool,
    cells_mode: str,
    options_for: Callable[[Factor], BaseModel],
    key_for: Callable[[Factor], Any],
    cached: CacheFn | None = None,
    progress: ProgressFn | None = None,
    memo_for: Callable[..., Any] | None = None,
    reuse: Mapping[str, Any] | None = None,
) -> FeatureTable:
    """Compute ``factors`` on the candidate cells (see the module docstring).

    Parameters
    ----------
    factors : sequence of Factor
        In output column order; support factors are computed first.
    base : FactorContext
        Inputs; ``base.cells`` are the area's cells.
    area_given : bool
        The config gives a bbox or polygon: cells outside it are never added.
    cells_mode : {'support', 'all'}
        ``support`` cuts the table to observed cells before the non-support factors.
    options_for : callable
        The factor's validated options.
    key_for : callable
        What the factor's result depends on besides the cells (input digests, options, code).
    cached : callable, optional
        ``cached(stage, key_parts, build)`` returning ``(value, hit)``.
    progress : callable, optional
        Called with each stage name.
    memo_for : callable, optional
        ``memo_for(name, key_parts, sharded=False)`` returning the runner's
        :class:`~pipeline.runner.cache.PartMemo` (or with ``sharded`` its
        :class:`~pipeline.runner.cache.ShardMemo`; see :meth:`FactorContext.memo`).
    reuse : mapping, optional
        Shared computations of another call on other cells that read no cell
        (``FactorContext.shared(..., no_cells=True)``: the pass over the tracks), used as
        they are.
    """
    from .runner.cache import frame_digest

    region = np.asarray(base.cells, dtype="uint64")
    shared: dict[str, Any] = dict(reuse or {})
    if memo_for is not None:
        base = dataclasses.replace(base, memo_hook=memo_for)

    def run(f: Factor, cells: np.ndarray) -> FactorValues:
        if memo_for is None:
            return compute(f, cells)
        from .density import density_memo

        # the factor's kernel sums by tiles, each kept under the hash of its inputs
        with density_memo(memo_for(f"density {f.name}", [f.name])):
            return compute(f, cells)

    def compute(f: Factor, cells: np.ndarray) -> FactorValues:
        ctx = dataclasses.replace(base, cells=cells, options=options_for(f), _shared=shared)
        key = [f.name, key_for(f), frame_digest(cells), frame_digest(region)]
        # what a plug-in builds or memoises is its code's: kept under its code digest too
        # (the runner's keys hold the package's code version, not the plug-in's)
        code = [] if f.builtin else [f.code_digest()]
        if code and ctx.memo_hook is not None:
            ctx.memo_hook = functools.partial(_memo_with_code, ctx.memo_hook, code)
        if cached is not None:
            ctx.cache_hook = lambda k, build: cached(
                f"features: {k}", [k, key_for(f), frame_digest(cells)], build
            )[0]
            ctx.cells_hook = lambda k, build: cached(
                f"features: {k}", [k, frame_digest(cells), *code], build
            )[0]
            # no cell is read, but the cells' resolution is (the pass bins the tracks to it);
            # base's, not ctx's: a hook of ctx reading ctx would be a cycle holding the pings
            ctx.data_hook = lambda k, build: cached(
                f"features: {k}", [k, key_for(f), base.resolution], build
            )[0]
            if f.shared_key is not None:
                # derived from a cached shared computation: cheap, and the shared products
                # (the transit events) are then always at hand
                return f(ctx)
            out, _ = cached(f"features: {f.name}", key, lambda: f(ctx))
            return FactorValues.coerce(out, len(cells), f.name)
        return f(ctx)

    support = [f for f in factors if f.support is not None]
    rest = [f for f in factors if f.support is None]
    cells = region
    if not area_given:
        for f in support:
            if f.adds_cells is not None:
                ctx = dataclasses.replace(
                    base, cells=region, options=options_for(f), _shared=shared
                )
                if cached is not None:
                    ctx.cache_hook = lambda k, build, f=f: cached(
                        f"features: {k}", [k, key_for(f), base.resolution], build
                    )[0]
                cells = np.union1d(cells, np.asarray(f.adds_cells(ctx), dtype="uint64"))
    columns: dict[str, np.ndarray] = {}
    covered: dict[str, np.ndarray] = {}
    info: dict[str, Any] = {}
    for group, todo in (("support", support), ("rest", rest)):
        if group == "rest" and cells_mode == "support" and len(cells):
            keep = support_mask(pd.DataFrame(columns), support) | _holds_a_seizure(cells, base)
            cells = cells[keep]
            columns = {k: v[keep] for k, v in columns.items()}
            covered = {k: v[keep] for k, v in covered.items()}
        for f in todo:
            if progress is not None:
                progress(f"features: {f.name}")
            got = run(f, cells)
            columns[f.name], covered[f.name] = got.values, got.covered
            if got.info:
                info[f.name] = got.info
    table = pd.DataFrame({S.CELL: cells, **columns})
    for name, mask in covered.items():
        table[name + S.COVERED_SUFFIX] = mask
    order = np.argsort(table[S.CELL].to_numpy(), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    return FeatureTable(table, info, shared, region)
