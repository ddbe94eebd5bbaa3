"""The map's view of cells spread round the world is cut where no cell is (hFY's finding).

``view_bounds`` tried two cuts of the circle of longitudes only, at 180° and at 0°: cells at
10°, 100°, 170°, 170° W and 10° W were framed -171..171 (342°, every cell on screen but the
world's width) where -10..190 (200°) holds them all.  The view is now the circle less its widest
stretch without a cell; checked against that stretch found by brute force over the cells.
"""

from __future__ import annotations

import h3
import numpy as np
import pytest

from pipeline.render._payload import view_bounds


def _cells(lons, lat=5.0, res=3) -> np.ndarray:
    return np.array([int(h3.latlng_to_cell(lat, lon, res), 16) for lon in lons], dtype="uint64")


def _narrowest_span(cells: np.ndarray) -> float:
    """The narrowest arc holding every cell centre: 360° less the widest empty arc, by brute
    force (each centre tried as the arc's start)."""
    lon = np.array([h3.cell_to_latlng(h3.int_to_str(int(c)))[1] for c in cells])
    return min(float(np.max(np.mod(lon - start, 360.0))) for start in lon)


@pytest.mark.parametrize(
    "lons",
    [
        (10, 100, 170, -170, -10),
        (-150, -60, 30, 120),
        (0, 60, 120, 170, -175),
        (178, -178),
        (10, 40),
    ],
    ids=["five", "four-quarters", "wide-east", "across-180", "narrow"],
)
def test_the_view_is_the_narrowest_arc_holding_the_cells(lons):
    cells = _cells(lons)
    (_, lo), (_, hi) = view_bounds(cells)
    single = view_bounds(cells[:1])
    # one cell's padding on each side at this latitude (the cells' largest area sets it: ~0.3°)
    pad = (single[1][1] - single[0][1]) / 2
    assert hi - lo == pytest.approx(_narrowest_span(cells) + 2 * pad, abs=1.0)
    # every cell lies in the view's one continuous range
    lon = np.array([h3.cell_to_latlng(h3.int_to_str(int(c)))[1] for c in cells])
    inside = np.mod(lon - lo, 360.0) + lo
    assert (inside <= hi).all()
