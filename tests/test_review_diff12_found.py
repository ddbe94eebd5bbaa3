"""Review of dd236c3's density changes (sphere factor, widest bandwidth, fft limit): found.

Tiny synthetic inputs, in-process calls.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from pipeline.density import (
    MAX_BANDWIDTH_KM,
    bandwidth_too_wide,
    kernel_density,
    select_bandwidth,
)
from pipeline.errors import ConfigError
from pipeline.grid import region_to_cells

# six points spread round a hemisphere (each within 90° of their centre): the 'spatial'
# rule gives 5,317 km, so cv's default search range, twice that, reached past the widest
# bandwidth accepted
_WIDE_LON = np.array([-70.0, 70.0, 0.0, 0.0, -50.0, 50.0])
_WIDE_LAT = np.array([0.0, 0.0, 70.0, -70.0, 40.0, -40.0])


def test_cv_default_range_stops_at_the_widest_bandwidth():
    # the spatial rule's own bandwidth is accepted; cv without bandwidth_range_km was refused
    # with "bandwidth_range_km's max 10634.6 km is wider than ...", a key nobody had written
    spatial = select_bandwidth((_WIDE_LON, _WIDE_LAT), "spatial", kernel="gaussian")
    assert MAX_BANDWIDTH_KM / 2 < spatial < MAX_BANDWIDTH_KM
    cells = region_to_cells((-1.0, -1.0, 1.0, 1.0), 2)
    res = kernel_density(
        (_WIDE_LON, _WIDE_LAT), cells, bandwidth_km="cv", kernel="gaussian", return_result=True
    )
    assert res.bandwidth_rule == "cv"
    assert 0.05 * spatial <= res.bandwidth_km <= MAX_BANDWIDTH_KM
    assert np.isfinite(res.density).all() and res.density.max() > 0


def test_too_wide_refusal_names_a_limit_the_fix_can_meet():
    # 10,008 km was refused as "wider than ... (10,008 km) ...; use a bandwidth of at most
    # 10,008 km": the limit (10,007.56 km) rounded to the km, up, in the fix itself
    msg = bandwidth_too_wide("density.bandwidth_km", 10008.0)
    assert msg is not None and "\n" not in msg
    said = re.search(r"at most ([\d,.]+) km", msg)
    assert said is not None, msg
    fix = float(said.group(1).replace(",", ""))
    assert fix < 10008.0 and bandwidth_too_wide("density.bandwidth_km", fix) is None
    assert fix > MAX_BANDWIDTH_KM - 1.0


def test_fft_refusal_names_a_limit_below_the_bandwidth_refused():
    # 114.29 km (the limit is 800 / 7 = 114.2857 km) was refused as "up to 114.3 km ...,
    # got 114.3 km": the limit rounded up, the bandwidth rounded to the limit's digits
    cells = region_to_cells((-0.5, -0.5, 0.5, 0.5), 3)
    with pytest.raises(ConfigError) as info:
        kernel_density(([0.0], [0.0]), cells, bandwidth_km=114.29, method="fft")
    msg = str(info.value)
    said = re.search(r"up to ([\d.]+) km .*got ([\d.]+) km", msg)
    assert said is not None, msg
    limit, got = float(said.group(1)), float(said.group(2))
    assert limit < 114.29 and got == 114.29
    # the limit said is one the method takes
    fine = kernel_density(([0.0], [0.0]), cells, bandwidth_km=limit, method="fft")
    assert fine.max() > 0
