"""Benchmark: the direct (exact-distance) kernel sums, dense blocks vs KD-tree pairs vs sklearn.

The ``direct`` evaluator sums each compact block of targets densely over the points within
reach of its ball, and targets too sparse for such blocks over the pairs a KD-tree finds
(``pipeline/density/_direct.py``).  Side by side in one process, on clustered points and
every H3 cell of a region:

* ours, ``density_tree`` (what method ``direct`` and the runs' tiles use);
* KD-tree pair sums alone (``scipy.spatial.cKDTree.sparse_distance_matrix`` for every target,
  our evaluator before the dense blocks) - its sums must have the same bits as ours;
* scikit-learn ``KernelDensity`` (haversine, ball tree, ``rtol=1e-4``) where it has the kernel,
  timed on a sample of cells and extrapolated linearly (plus its fit time).

Three theatres: a wide gaussian (200 km, which ``auto`` sends to ``direct``: no fft tile holds
its reach), the demo's quartic (40 km at resolution 5) and a narrow gaussian (10 km at
resolution 7).  Accuracy: the maximum relative error against the brute-force haversine sum on
a sample of cells whose density is at least 1 % of the maximum.
Run ``python bench/bench_density_direct.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, write_results  # noqa: E402
from bench.bench_density import KM_PER_DEG, make_points, max_rel_err, run_sklearn  # noqa: E402
from pipeline.density._direct import _tree_sums, density_brute, density_tree  # noqa: E402
from pipeline.density._kernels import kernel_support_km  # noqa: E402
from pipeline.grid import cells_to_latlng, region_to_cells  # noqa: E402
from pipeline.sphere import EARTH_RADIUS_KM, arc_to_chord_km, lonlat_to_xyz  # noqa: E402


def tree_only(t_lon, t_lat, p_lon, p_lat, w, h, kernel) -> np.ndarray:
    pxyz = lonlat_to_xyz(p_lon, p_lat) * EARTH_RADIUS_KM
    txyz = lonlat_to_xyz(t_lon, t_lat) * EARTH_RADIUS_KM
    r = float(arc_to_chord_km(kernel_support_km(kernel, h)))
    return _tree_sums(txyz, pxyz, cKDTree(pxyz), np.asarray(w, "float64"), r, h, kernel)


def theatre(name, n, span, res, kernel, h, n_sample, rows, tree_every=1):
    lon0, lat0 = 10.0, 35.0
    half = span / 2 / KM_PER_DEG
    c = np.cos(np.radians(lat0))
    cells = region_to_cells((lon0 - half / c, lat0 - half, lon0 + half / c, lat0 + half), res)
    clat, clon = cells_to_latlng(cells)
    lon, lat, w = make_points(n, span, lon0, lat0)
    head = f"{name}: {n:,} points, {cells.size:,} res-{res} cells, {kernel} {h:g} km"
    print(head, flush=True)
    secs, peak, ours = measure(lambda: density_tree(clon, clat, lon, lat, w, h, kernel), 2)
    # the tree's pairs on every tree_every-th cell (minutes for all of them), time scaled up
    part = np.arange(0, cells.size, tree_every)
    t_secs, t_peak, tree = measure(
        lambda: tree_only(clon[part], clat[part], lon, lat, w, h, kernel)
    )
    t_secs *= cells.size / part.size
    rng = np.random.default_rng(2)
    sample = rng.choice(cells.size, min(n_sample, cells.size), replace=False)
    ref = density_brute(clon[sample], clat[sample], lon, lat, w, h, kernel)
    fmax = float(ours.max())
    same = bool(np.array_equal(ours[part].view("int64"), tree.view("int64")))
    rows.append(
        {
            "theatre": head,
            "tool": "ours (dense blocks + KD-tree pairs)",
            "seconds": secs,
            "x_ours": 1.0,
            "max_rel_err": max_rel_err(ours[sample], ref, fmax),
            "peak_mem_mb": peak / 2**20,
            "note": "",
        }
    )
    rows.append(
        {
            "theatre": head,
            "tool": "KD-tree pairs only (scipy cKDTree)",
            "seconds": t_secs,
            "x_ours": t_secs / secs,
            "max_rel_err": float("nan"),
            "peak_mem_mb": t_peak / 2**20,
            "note": f"same bits as ours: {same}"
            + (f"; {part.size:,} cells timed, scaled up" if tree_every > 1 else ""),
        }
    )
    if kernel == "gaussian":
        sub = sample[: min(200, sample.size)]
        sk, _, sk_dens = run_sklearn(lon, lat, w, h, clon[sub], clat[sub], cells.size)
        rows.append(
            {
                "theatre": head,
                "tool": "scikit-learn KernelDensity (haversine)",
                "seconds": sk,
                "x_ours": sk / secs,
                "max_rel_err": max_rel_err(sk_dens, ref[: sub.size], fmax),
                "peak_mem_mb": float("nan"),
                "note": f"fit + eval of {sub.size} cells extrapolated",
            }
        )
    if not same:
        raise SystemExit(f"{name}: dense and tree sums differ in bits")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small smoke run (< 30 s)")
    args = ap.parse_args()
    q = 10 if args.quick else 1
    rows: list[dict] = []
    every = 10  # the tree's pairs on a tenth of the cells: minutes for all of them
    wide_res = 5 if not args.quick else 4
    theatre("wide", 20_000 // q, 4000.0, wide_res, "gaussian", 200.0, 200, rows, every)
    theatre("demo-like", 50_000 // q, 1500.0, 5, "quartic", 40.0, 200, rows)
    narrow_span = 400.0 if not args.quick else 150.0
    theatre("narrow", 200_000 // q, narrow_span, 7, "gaussian", 10.0, 200, rows, every)
    write_results(
        "density_direct",
        rows,
        quick=args.quick,
        goal="ours faster than KD-tree pairs alone on every theatre, same bits",
    )


if __name__ == "__main__":
    main()
