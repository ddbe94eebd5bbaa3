"""Invariants of the kernel-density core under hypothesis.

Non-negative; mass conserved within 0.5 % on cells covering the support; symmetric in the point
order; linear in the weights; one point gives the kernel's shape.  Cells are fine relative to
the bandwidth (edge ≤ h/5 for the smooth gaussian, ≤ h/10 for the kernels with a kink at the
edge of their support, ≤ h/40 for the discontinuous uniform kernel) so that the cell sum is a
good quadrature of the kernel.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.density import KERNELS, kernel_density, kernel_profile
from pipeline.grid import cell_area_km2, cells_to_latlng, mean_cell_edge_km, region_to_cells
from pipeline.sphere import haversine_km

KM_PER_DEG = 111.195
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scenes(draw, max_points=12):
    """A few weighted points in a ~40 km patch anywhere on Earth (poles, antimeridian too)."""
    lat0 = draw(st.floats(-86.0, 86.0))
    lon0 = draw(st.floats(-180.0, 180.0))
    n = draw(st.integers(1, max_points))
    dy = np.array(draw(st.lists(st.floats(-20.0, 20.0), min_size=n, max_size=n)))
    dx = np.array(draw(st.lists(st.floats(-20.0, 20.0), min_size=n, max_size=n)))
    # Weights near 1e-308 make densities subnormal (relative precision lost): not a property.
    weight = st.one_of(st.just(0.0), st.floats(1e-100, 10.0))
    w = np.array(draw(st.lists(weight, min_size=n, max_size=n)))
    lat = lat0 + dy / KM_PER_DEG
    lon = (lon0 + dx / (KM_PER_DEG * np.cos(np.radians(lat))) + 180.0) % 360.0 - 180.0
    kernel = draw(st.sampled_from(KERNELS))
    h = draw(st.floats(4.0, 15.0))
    return lon, lat, w, kernel, h, lon0, lat0


#: Cell edge per bandwidth: the quadrature error grows with the kernel's roughness (a kink at
#: the support's edge for the compact kernels, a jump for the uniform one).
_CELLS_PER_BANDWIDTH = {"gaussian": 5, "uniform": 40}


def _cells(lon0, lat0, h, kernel, reach=None):
    res = next(
        r for r in range(16) if mean_cell_edge_km(r) <= h / _CELLS_PER_BANDWIDTH.get(kernel, 10)
    )
    reach = reach if reach is not None else 25.0 + (7.5 if kernel == "gaussian" else 1.1) * h
    dlat = reach / KM_PER_DEG
    dlon = dlat / np.cos(np.radians(abs(lat0) + dlat))
    lo, hi = lon0 - dlon, lon0 + dlon
    wrap = lambda v: (v + 180.0) % 360.0 - 180.0  # noqa: E731
    return region_to_cells((wrap(lo), lat0 - dlat, wrap(hi), lat0 + dlat), res)


@SETTINGS
@given(scenes())
def test_non_negative_and_mass_conserved(scene):
    lon, lat, w, kernel, h, lon0, lat0 = scene
    cells = _cells(lon0, lat0, h, kernel)
    f = kernel_density((lon, lat), cells, bandwidth_km=h, kernel=kernel, weights=w)
    assert np.all(f >= 0)
    total = w.sum()
    mass = (f * cell_area_km2(cells)).sum()
    assert abs(mass - total) <= 5e-3 * total + 1e-12


@SETTINGS
@given(scenes(), st.randoms(use_true_random=False))
def test_symmetric_in_point_order(scene, rnd):
    lon, lat, w, kernel, h, lon0, lat0 = scene
    cells = _cells(lon0, lat0, h, kernel, reach=30.0)
    perm = np.array(rnd.sample(range(lon.size), lon.size))
    for method in ("direct", "fft") if kernel == "gaussian" else ("direct",):
        a = kernel_density(
            (lon, lat), cells, bandwidth_km=h, kernel=kernel, weights=w, method=method
        )
        b = kernel_density(
            (lon[perm], lat[perm]),
            cells,
            bandwidth_km=h,
            kernel=kernel,
            weights=w[perm],
            method=method,
        )
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12 * max(a.max(), 1e-300))


@SETTINGS
@given(scenes(), st.floats(1e-3, 1e3))
def test_scaling_weights_scales_density(scene, factor):
    lon, lat, w, kernel, h, lon0, lat0 = scene
    cells = _cells(lon0, lat0, h, kernel, reach=30.0)
    for method in ("direct", "fft") if kernel == "gaussian" else ("direct",):
        a = kernel_density(
            (lon, lat), cells, bandwidth_km=h, kernel=kernel, weights=w, method=method
        )
        b = kernel_density(
            (lon, lat), cells, bandwidth_km=h, kernel=kernel, weights=factor * w, method=method
        )
        # FFT round-off is ~1e-16 of the peak, so far tails are compared absolutely
        np.testing.assert_allclose(b, factor * a, rtol=1e-9, atol=1e-12 * factor * a.max())


@SETTINGS
@given(scenes(max_points=1), st.floats(0.1, 50.0))
def test_single_point_gives_the_kernel_shape(scene, weight):
    lon, lat, _, kernel, h, lon0, lat0 = scene
    cells = _cells(lon0, lat0, h, kernel, reach=25.0 + 3 * h)
    clat, clon = cells_to_latlng(cells)
    shape = weight * kernel_profile(kernel, haversine_km(clon, clat, lon[0], lat[0]), h)
    for method in ("direct", "fft") if kernel == "gaussian" else ("direct",):
        f = kernel_density(
            (lon, lat), cells, bandwidth_km=h, kernel=kernel, weights=[weight], method=method
        )
        big = shape >= 0.01 * shape.max()
        assert big.any()
        tol = 1e-3 if method == "fft" else 1e-9
        np.testing.assert_allclose(f[big], shape[big], rtol=tol)
        assert np.all(f[~big] <= 0.011 * shape.max())
