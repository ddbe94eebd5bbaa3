"""What a new user met following README.md and the notebooks (session hDX's walkthrough).

Each test fails on the code or the documents as they were before its fix.
"""

from __future__ import annotations

import logging

import numpy as np
from conftest import disk_cells

from pipeline.density import kernel_density, unreached_expected


def _density_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("pipeline.density") and r.levelno >= logging.WARNING
    ]


def test_unreached_cells_of_the_back_test_are_no_warning(caplog):
    # the back-test's universe cells outside the run's table took the smoothed transit
    # events' density on those cells only: 0 there is the expected value, and `make demo`
    # logged three "kernel density is 0 in every cell" warnings for it
    cells = disk_cells(2)  # about (10 E, 40 N)
    far = (np.array([-60.0, -61.0]), np.array([10.0, 11.0]))
    caplog.set_level(logging.DEBUG, logger="pipeline.density")
    with unreached_expected("back-test universe cells outside the run's table"):
        got = kernel_density(far, cells, bandwidth_km=50)
    assert not got.any()
    assert _density_warnings(caplog) == []
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("as expected: back-test universe cells" in m for m in said), said


def test_points_reaching_no_cell_of_the_run_still_warn(caplog):
    # the published run's density on the area's cells: points elsewhere are worth a warning
    # (swapped coordinates, as a rule), the context reset after the block above
    cells = disk_cells(2)
    with unreached_expected("not this call"):
        pass
    caplog.set_level(logging.DEBUG, logger="pipeline.density")
    kernel_density((np.array([40.0]), np.array([10.0])), cells, bandwidth_km=50)
    warned = _density_warnings(caplog)
    assert len(warned) == 1 and "kernel density is 0 in every cell" in warned[0]
    assert "longitude and latitude swapped" in warned[0]
