"""Tests that a hand mutation analysis of Gi* and its spatial weights found missing (task hFV).

Each test fails on one small, plausible mutant of ``pipeline/hotspots/_gistar.py`` or
``pipeline/hotspots/_weights.py`` that left every other test passing, or on the code as it
was (constant values that are no double made every cell a 99 % spot).  References: esda's
``G_Local``, statsmodels' ``multipletests``, scipy's normal law, enumeration, hand values.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import grid
from pipeline.hotspots import (
    GI_BIN,
    GI_P,
    GI_Z,
    gi_star,
)


def _disk(rings: int, res: int = 6) -> np.ndarray:
    return np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], res), rings))


@pytest.mark.parametrize("value", [0.1, 0.7, 1.0 / 3.0, 1e-5])
def test_constant_values_that_are_no_double_have_z_zero_not_round_off(value):
    """All cells equal: ``S = 0`` and every z is 0, whatever the mean's round-off.

    ``np.full(37, 0.1).mean()`` is not 0.1; its ``S`` came out ~1e-17 instead of 0 and the
    numerator's round-off over it gave ``|z| = 6.6`` at every cell: 37 "99 %" spots of a
    constant risk under the normal p.
    """
    cells = _disk(3)
    x = np.full(cells.size, value)
    assert x.mean() != value  # the case: the mean is not the value
    frame = gi_star(cells, x, {"permutations": 0, "p_value": "normal"})
    np.testing.assert_array_equal(frame[GI_Z].to_numpy(), 0.0)
    np.testing.assert_array_equal(frame[GI_P].to_numpy(), 1.0)
    assert (frame[GI_BIN] == 0).all()
