"""Measure: the mass of one point's kernel density integrated over the sphere.

A density of unit weight should integrate to 1 over the Earth.  For each kernel and bandwidth
this script prints

* ``quad``: ``∫_0^{πR} K(d) 2πR sin(d/R) dd`` by adaptive quadrature (scipy ``quad``) of
  :func:`pipeline.density.kernel_profile` in the great-circle distance ``d``;
* ``cells``: ``Σ_c f(c) area(c)`` of :func:`pipeline.density.kernel_density` (method
  ``exact``) over the H3 cells covering the kernel's support, at the coarsest resolution whose
  average edge is at most ``h/20`` (all the cells of that resolution, at most 5, where the
  support reaches a quarter of the way round the globe);

for one point at (10° E, 50° N).  Run ``python bench/bench_density_sphere_mass.py [--quick]``.

Measured with the kernels normalised in the plane (before ``sphere_factor``), ``quad``::

    h km          25        100       370      1000     3000     6400
    gaussian      0.999995  0.99992   0.99888  0.99183  0.92927  0.72330
    quartic       0.9999994 0.99999   0.99986  0.99897  0.99080  0.95879
    epanechnikov  0.9999991 0.99999   0.99981  0.99863  0.98775  0.94533
    triangular    0.9999992 0.99999   0.99983  0.99877  0.98897  0.95074
    uniform       0.9999987 0.99998   0.99972  0.99795  0.98166  0.91868

(``cells`` agreed within the cells' sampling; 0.51 for a quartic of 25,650 km and 0.11 for a
uniform of 38,450 km, the resolution-0 ``auto`` candidates then.)  Normalised on the sphere:
1.00000000 for every kernel and bandwidth by ``quad``; ``cells`` within 1e-5 (gaussian),
6e-5 (quartic), 2.3e-3 (uniform, whose disc edge cuts cells).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import h3
import numpy as np
from scipy.integrate import quad

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.density import KERNELS, kernel_density, kernel_profile  # noqa: E402
from pipeline.grid import average_hexagon_edge_length, cell_area_km2  # noqa: E402
from pipeline.sphere import EARTH_RADIUS_KM  # noqa: E402

R = EARTH_RADIUS_KM
LON, LAT = 10.0, 50.0


def quad_mass(kernel: str, h: float) -> float:
    """Return the sphere integral of one point's density by adaptive quadrature."""
    top = np.pi * R if kernel == "gaussian" else min(h, np.pi * R)

    def f(d: float) -> float:
        return float(kernel_profile(kernel, np.array([d]), h)[0]) * 2 * np.pi * R * np.sin(d / R)

    brk = [x for x in (h, 2 * h, 4 * h, 7 * h) if x < top] if kernel == "gaussian" else []
    val, _ = quad(f, 0.0, top, points=brk or None, limit=400, epsabs=1e-14, epsrel=1e-13)
    return float(val)


def _cells(kernel: str, h: float) -> np.ndarray:
    support = 7 * h if kernel == "gaussian" else h
    res = next((r for r in range(0, 16) if average_hexagon_edge_length(r) <= h / 20), 15)
    if support >= 0.5 * np.pi * R:
        res = min(res, 5)
        base = sorted(h3.get_res0_cells())
        out = [c for b in base for c in h3.cell_to_children(b, res)]
    else:
        k = int(np.ceil(support / (1.5 * average_hexagon_edge_length(res)))) + 2
        out = list(h3.grid_disk(h3.latlng_to_cell(LAT, LON, res), k))
    return np.array(sorted(h3.str_to_int(c) for c in out), dtype="uint64")


def cell_mass(kernel: str, h: float) -> float:
    """Return ``Σ_c f(c) area(c)`` over cells covering the support."""
    cells = _cells(kernel, h)
    f = kernel_density(([LON], [LAT]), cells, bandwidth_km=h, kernel=kernel, method="exact")
    return float((f * cell_area_km2(cells)).sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="quadrature only, no cell sums")
    ap.add_argument(
        "--bandwidths",
        type=float,
        nargs="+",
        default=[25.0, 100.0, 370.0, 1000.0, 3000.0, 6400.0],
        help="bandwidths (km)",
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    print(f"{'kernel':<13} {'h km':>7} {'quad':>12} {'cells':>12}")
    for kernel in KERNELS:
        for h in args.bandwidths:
            q = quad_mass(kernel, h)
            c = float("nan") if args.quick else cell_mass(kernel, h)
            print(f"{kernel:<13} {h:>7g} {q:>12.8f} {c:>12.8f}")
    print(f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
