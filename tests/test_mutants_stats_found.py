"""Tests a hand mutation analysis of the defended statistics found missing (task hEW).

Each test fails on one small, plausible mutant of ``pipeline/hotspots``, ``pipeline/model`` or
``pipeline/evaluate`` that left every other test passing (an off-by-one in a rank or a window,
``<`` for ``<=``, a one-sided p, the pseudo p without its ``+ 1``...).  Each checks a value
against an independent reference: a hand computation on a tiny case, scipy or statsmodels.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import grid
from pipeline.hotspots import (
    GI_P_SIM,
    cell_counts,
    cells_to_weights,
    exact_p,
    gi_star,
    permutation_p,
)
from pipeline.hotspots._gistar import tail_side


def _disk(rings: int, res: int = 6) -> np.ndarray:
    return np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], res), rings))


# --------------------------------------------------------------------------- Gi*, pseudo p


def test_pseudo_p_of_a_sum_no_draw_reaches_is_one_over_permutations_plus_one():
    """``p_sim = (#extreme + 1) / (P + 1)``: its floor is ``1/(P+1)``, never 0 or ``1/P``.

    The six neighbours of the centre hold the only non-zero values of 37 cells: a draw of six
    other cells reaches their sum only by drawing exactly them (1 in C(36, 6) = 1.9 M), so
    none of the 99 draws does and the folded count is 0.  The observation counts as one of
    the permutations (Davison & Hinkley 1997; esda's ``p_sim``): p = 1/100.
    """
    cells = _disk(3)
    w = cells_to_weights(cells, k_rings=1)
    centre = grid.points_to_cells([10.0], [40.0], 6)[0]
    i = int(np.searchsorted(w.cells, centre))
    ring = w.matrix.indices[w.matrix.indptr[i] : w.matrix.indptr[i + 1]]
    values = np.zeros(w.cells.size)
    values[ring[ring != i]] = 10.0
    p = permutation_p(w.matrix, values, 99, seed=3)
    assert p[i] == pytest.approx(1.0 / 100.0, abs=1e-15)
    assert p.min() >= 1.0 / 100.0 - 1e-15  # no cell below the floor
    frame = gi_star(w.cells, values, {"permutations": 99, "p_value": "permutation", "seed": 3})
    assert frame[GI_P_SIM].to_numpy()[i] == pytest.approx(1.0 / 100.0, abs=1e-15)
    assert frame[GI_P_SIM].min() >= 1.0 / 100.0 - 1e-15


def test_tail_side_keeps_the_fallback_where_the_two_tails_are_equal():
    """Equal tails (a sum at the median of its distribution) take no side from the tails."""
    side = tail_side([0.5, 0.01, 0.9, 0.6], [0.5, 0.9, 0.01, 0.6], [-1.0, 1.0, -1.0, 0.0])
    np.testing.assert_array_equal(side, [-1.0, -1.0, 1.0, 0.0])


def test_cell_counts_leave_out_events_in_cells_outside_the_study_area():
    """An event in a cell that is not among ``cells`` is not counted in any of them."""
    cells = _disk(2)
    inside, outside = cells[[3, 10]], np.setdiff1d(_disk(3), cells)
    # ids sorted: an outside id between two inside ids lands on the next one if not matched
    between = outside[(outside > cells[0]) & (outside < cells[-1])]
    assert between.size
    events = np.concatenate([inside, inside[:1], between[:2], outside[-1:]])
    counts = cell_counts(events, cells)
    expected = np.zeros(cells.size)
    expected[3], expected[10] = 2.0, 1.0
    np.testing.assert_array_equal(counts, expected)


def test_permutation_p_of_sparse_counts_converges_to_the_exact_p():
    """The draws of sparse counts (the two-step hypergeometric path) follow the exact null.

    Counts on 9 of 19 cells (the zeros are a run of at least a quarter of the cells, so the
    number of drawn non-zero cells is sampled from a hypergeometric law over the ``n − 1``
    other cells).  With 20,000 permutations the pseudo p is the exact conditional p up to
    its Monte Carlo error: a population of ``n`` (the cell itself counted) moved it by
    10-18 standard errors.
    """
    cells = _disk(2)
    w = cells_to_weights(cells, k_rings=1)
    rng = np.random.default_rng(1)
    perms = 20_000
    for _ in range(2):
        v = np.zeros(cells.size)
        v[rng.choice(cells.size, 9, replace=False)] = rng.integers(1, 4, 9)
        exact = exact_p(w.matrix, v)
        pseudo = permutation_p(w.matrix, v, perms, seed=1)
        se = np.sqrt(exact * (1.0 - exact) / perms) + 1.0 / perms
        assert (np.abs(pseudo - exact) <= 5.0 * se).all()
