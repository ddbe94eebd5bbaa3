"""State kept in one process (a researcher's notebook kernel, a Dask worker) gives the values
a fresh process gives: a second call that differs from the first (other cells of the same
length, another thread's universe, a redefined factor, a changed global) is never answered
from what the first call left behind."""

from __future__ import annotations

import numpy as np

from pipeline.evaluate.baselines import cell_areas
from pipeline.grid import cell_area_km2, points_to_cells


def _universe(lon0: float, lat0: float, n: int = 300, res: int = 5) -> np.ndarray:
    rng = np.random.default_rng(int(lon0 * 1000 + lat0))
    cells = np.unique(
        points_to_cells(rng.uniform(lon0, lon0 + 4, 4 * n), rng.uniform(lat0, lat0 + 4, 4 * n), res)
    )
    return cells[:n]


def test_cell_areas_is_read_once_when_another_thread_replaces_the_universe(monkeypatch):
    """A back-test in one thread and another universe's in a second (a Dask worker's threads,
    a notebook's thread pool): the second replaced the remembered universe while the first
    compared its cells, and the first got the second's areas (same length: unnoticed, every
    per-km² rate and PAI of that origin wrong).  The interleaving is replayed here: the
    comparison itself lets the other universe in, as a thread switch inside it did (3-7 of
    6,000 calls of two threads were wrong before the fix)."""
    mine, other = _universe(0.0, 0.0), _universe(60.0, 50.0)
    assert mine.size == other.size
    cell_areas(mine)  # remembered
    original = np.array_equal
    switched = []

    def equal_then_switch(a, b, *args, **kwargs):
        out = original(a, b, *args, **kwargs)
        if not switched:
            switched.append(True)
            cell_areas(other)  # the other thread, between the comparison and the read
        return out

    monkeypatch.setattr(np, "array_equal", equal_then_switch)
    got = cell_areas(mine)
    monkeypatch.undo()
    assert switched
    np.testing.assert_array_equal(got, cell_area_km2(mine))


def test_cell_areas_returned_cannot_be_changed_by_the_caller():
    """The remembered areas are the array returned: a caller's in-place change (km² to m²)
    must not reach the next call on the same cells."""
    cells = _universe(10.0, 10.0)
    first = cell_areas(cells)
    assert not first.flags.writeable
    np.testing.assert_array_equal(cell_areas(cells), cell_area_km2(cells))
