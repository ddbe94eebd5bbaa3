"""The baselines every evaluation includes: what an analyst could do without a model.

Each baseline is a method ``(train_events, cells, origin) -> score per cell`` like any other,
so the back-test treats them alike.  Counts are divided by the cell's area (events per km²) so
that a ranking by area share is fair between cells of unequal size.

``uniform``
    a constant: every cell equally risky (hit rate = area share, PAI = 1, exactly).
``all_prior_counts``
    training events per km² in each cell ("where it happened before").
``recent_counts``
    events per km² in the last ``horizon_days`` before the origin ("last period's hot spots").
``kde``
    a plain kernel density of the training events (``kde_kernel``, ``kde_bandwidth_km``, fixed
    bandwidth, no time decay, no weights), computed by :func:`pipeline.density.kernel_density`.
``density``
    the pipeline's own density factor alone (time decay, commodity weights), passed in by the
    caller as ``density_fn``; skipped when none is given.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .. import schema as S
from ..grid import cell_area_km2
from .options import BacktestOptions

__all__ = ["Method", "baseline_methods", "cell_areas", "events_to_counts"]

#: A method of the back-test: ``(train_events, cells, origin) -> score`` (or a Forecast).
Method = Callable[[pd.DataFrame, np.ndarray, pd.Timestamp], object]


_AREA_CACHE: list[tuple[np.ndarray, np.ndarray]] = []


def cell_areas(cells: np.ndarray) -> np.ndarray:
    """Return :func:`pipeline.grid.cell_area_km2` of ``cells``, remembering the last universe.

    Exact H3 areas cost ~2 µs a cell; every method of every origin asks for the same universe's.
    """
    cells = np.asarray(cells, dtype="uint64")
    # one read of the entry: another thread may replace it while the cells are compared,
    # and the areas then returned were another universe's (of the same length, unnoticed)
    entry = _AREA_CACHE[0] if _AREA_CACHE else None
    if entry is not None and np.array_equal(entry[0], cells):
        return entry[1]
    area = cell_area_km2(cells)
    area.flags.writeable = False  # the areas every later call on these cells returns
    _AREA_CACHE[:] = [(cells.copy(), area)]
    return area


def events_to_counts(cells_of_events: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Count events per cell of the sorted ``cells``; events outside them are ignored.

    Parameters
    ----------
    cells_of_events : numpy.ndarray of uint64
        The cell of each event (same resolution as ``cells``).
    cells : numpy.ndarray of uint64
        Sorted, unique cells.

    Returns
    -------
    numpy.ndarray of float64
        Events per cell, aligned with ``cells``.
    """
    cells = np.asarray(cells, dtype="uint64")
    ev = np.asarray(cells_of_events, dtype="uint64")
    if cells.size == 0 or ev.size == 0:
        return np.zeros(cells.size)
    pos = np.searchsorted(cells, ev)
    pos_c = np.minimum(pos, cells.size - 1)
    inside = cells[pos_c] == ev
    return np.bincount(pos_c[inside], minlength=cells.size).astype("float64")


def _cell_counts(train: pd.DataFrame, cells: np.ndarray) -> np.ndarray:
    from ..grid import cells_resolutions, points_to_cells

    if len(train) == 0 or cells.size == 0:
        return np.zeros(cells.size)
    res = int(cells_resolutions(cells[:1])[0])
    ev = points_to_cells(train[S.LON].to_numpy(), train[S.LAT].to_numpy(), res)
    return events_to_counts(ev, cells)


def baseline_methods(
    options: BacktestOptions,
    density_fn: Method | None = None,
) -> dict[str, Method]:
    """Return the baselines named in ``options.baselines`` as back-test methods.

    Parameters
    ----------
    options : BacktestOptions
        Names the baselines and the plain KDE's kernel and bandwidth.
    density_fn : callable, optional
        ``(train_events, cells, origin) -> density``: the pipeline's density factor; the
        ``density`` baseline is left out without it.

    Returns
    -------
    dict of str to callable
        In the order of ``options.baselines``.
    """
    from ..density import kernel_density

    horizon = pd.Timedelta(days=options.horizon_days)

    def uniform(train, cells, origin):
        return np.ones(len(cells))

    def all_prior_counts(train, cells, origin):
        return _cell_counts(train, cells) / cell_areas(cells)

    def recent_counts(train, cells, origin):
        recent = train[train[S.TIME] >= origin - horizon]
        return _cell_counts(recent, cells) / cell_areas(cells)

    def kde(train, cells, origin):
        if len(train) == 0:
            return np.zeros(len(cells))
        return kernel_density(
            (train[S.LON].to_numpy(), train[S.LAT].to_numpy()),
            cells,
            bandwidth_km=options.kde_bandwidth_km,
            kernel=options.kde_kernel,
        )

    table: dict[str, Method] = {
        "uniform": uniform,
        "all_prior_counts": all_prior_counts,
        "recent_counts": recent_counts,
        "kde": kde,
    }
    if density_fn is not None:
        table["density"] = density_fn
    return {name: table[name] for name in options.baselines if name in table}
