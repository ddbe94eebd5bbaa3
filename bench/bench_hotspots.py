"""Gi* and emerging hot spots on H3 cells: ours vs esda (PySAL), time and peak memory.

Full run:

* Gi* with 99 conditional permutations on ~1,000,000 resolution-8 cells (a grid disk of 577
  rings), 1-ring binary weights, sparse clustered counts (Poisson with a few hot areas, ~94 %
  zeros).  esda's ``G_Local(star=True)`` runs on a 20,000-cell disk drawn from the same
  process and is extrapolated linearly in cells (its cost is one loop step per cell); ours
  runs on both sizes, so the ratio at 20,000 cells is measured, not extrapolated.
* Emerging hot spots on 100,000 cells x 36 monthly slices (time window 1).  esda has no
  emerging hot-spot analysis; its parts are timed on 2,000 cells x 36: ``G_Local`` (z only) on
  the space-time weights (libpysal W of the Kronecker product) plus ``scipy.stats.kendalltau``
  per cell, and extrapolated linearly in cells.

libpysal weights are built from our sparse matrix, outside esda's timing.  esda's z-scores are
compared with ours on the shared sizes (max abs difference).

    .venv/bin/python bench/bench_hotspots.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import sparse, stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, write_results  # noqa: E402
from pipeline import grid  # noqa: E402
from pipeline.hotspots import (  # noqa: E402
    SpaceTimeCube,
    cells_to_weights,
    emerging_hotspots,
    gi_star,
    space_time_z,
)

CENTRE = (-30.0, 20.0)  # lon, lat: open Atlantic, far from pentagons
RES = 8


def disk(rings: int) -> np.ndarray:
    return grid.grid_disk_cells(grid.points_to_cells([CENTRE[0]], [CENTRE[1]], RES), rings)


def rings_for(n_cells: int) -> int:
    return int(np.ceil((-3 + np.sqrt(9 + 12 * (n_cells - 1))) / 6))


def clustered_counts(cells: np.ndarray, seed: int, periods: int = 0) -> np.ndarray:
    """Poisson counts: a low background plus gaussian hot areas (and a trend per period)."""
    rng = np.random.default_rng(seed)
    lat, lon = grid.cells_to_latlng(cells)
    span = max(np.ptp(lat), 1e-6)
    rate = np.full(cells.size, 0.02)
    for _ in range(12):
        c = rng.integers(0, cells.size)
        r = span * rng.uniform(0.01, 0.05)
        d2 = (lat - lat[c]) ** 2 + ((lon - lon[c]) * np.cos(np.radians(lat[c]))) ** 2
        rate += rng.uniform(0.5, 3.0) * np.exp(-d2 / (2 * r * r))
    if not periods:
        return rng.poisson(rate).astype(float)
    tilt = rng.uniform(-1, 1, 12)
    t = np.linspace(0, 1, periods)
    scale = 1 + 0.5 * np.outer(np.sign(lat - lat.mean()) * tilt[0], t - 0.5)
    return rng.poisson(rate[:, None] * np.clip(scale, 0.1, None) / 6).astype(float)


def to_w(matrix):
    import libpysal

    off = sparse.csr_matrix(matrix)
    off.setdiag(0)
    off.eliminate_zeros()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return libpysal.weights.WSP(off).to_W(silence_warnings=True)


def esda_g(y, w, permutations):
    import esda

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.G_Local(y, w, transform="B", star=True, permutations=permutations, seed=1)


def bench_gi(n_big: int, n_small: int, permutations: int, rows: list) -> None:
    small = disk(rings_for(n_small))
    y_small = clustered_counts(small, 1)
    big = disk(rings_for(n_big))
    y_big = clustered_counts(big, 2)
    print(f"Gi*: {big.size:,} cells (zeros {np.mean(y_big == 0):.0%}); esda on {small.size:,}")
    opts = {"k_rings": 1, "permutations": permutations, "seed": 0}

    w_small = cells_to_weights(small, k_rings=1)
    t0 = time.perf_counter()
    W = to_w(w_small.matrix)
    t_w = time.perf_counter() - t0
    t_es, m_es, g = measure(lambda: esda_g(y_small, W, permutations))
    t_es_z, m_es_z, g0 = measure(lambda: esda_g(y_small, W, 0))
    t_os, m_os, ours_small = measure(lambda: gi_star(small, y_small, opts))
    t_oz, m_oz, _ = measure(lambda: gi_star(small, y_small, {**opts, "permutations": 0}))
    dz = float(np.abs(ours_small["gi_z"].to_numpy() - g0.Zs).max())
    # esda counts ties as "larger" and folds, so a cell whose neighbourhood is all zeros gets
    # p_sim = 1/(P+1), a "significant cold spot"; ours counts ties on both sides.
    ours_p = ours_small["gi_p_sim"].to_numpy()
    tied = (w_small.matrix @ y_small) == 0
    mc = float(np.abs(ours_p - g.p_sim)[~tied].mean())
    esda_cold_by_ties = float(np.mean(g.p_sim[tied] <= 1.0 / (permutations + 1)))

    t_wb, m_wb, w_big = measure(lambda: cells_to_weights(big, k_rings=1))
    t_ob, m_ob, _ = measure(lambda: gi_star(big, y_big, opts, weights=w_big))
    t_obz, m_obz, _ = measure(
        lambda: gi_star(big, y_big, {**opts, "permutations": 0}, weights=w_big)
    )
    scale = big.size / small.size
    rows += [
        {
            "task": f"Gi* {permutations} perm",
            "cells": small.size,
            "tool": "esda G_Local",
            "s": t_es,
            "peak_MB": m_es / 2**20,
            "note": f"libpysal W built in {t_w:.2f} s (not counted)",
        },
        {
            "task": f"Gi* {permutations} perm",
            "cells": small.size,
            "tool": "ours gi_star (weights given)",
            "s": t_os,
            "peak_MB": m_os / 2**20,
            "ratio": t_es / t_os,
            "note": f"max |dz| vs esda {dz:.1e}; mean |dp_sim| {mc:.3f} off all-zero"
            f" neighbourhoods, where esda gives {esda_cold_by_ties:.0%} of them p=1/(P+1)",
        },
        {
            "task": "Gi* z only",
            "cells": small.size,
            "tool": "esda G_Local",
            "s": t_es_z,
            "peak_MB": m_es_z / 2**20,
        },
        {
            "task": "Gi* z only",
            "cells": small.size,
            "tool": "ours gi_star",
            "s": t_oz,
            "peak_MB": m_oz / 2**20,
            "ratio": t_es_z / t_oz,
        },
        {
            "task": f"Gi* {permutations} perm",
            "cells": big.size,
            "tool": "esda G_Local (extrapolated)",
            "s": t_es * scale,
            "peak_MB": m_es * scale / 2**20,
            "note": "linear in cells",
        },
        {
            "task": "weights 1 ring",
            "cells": big.size,
            "tool": "ours cells_to_weights",
            "s": t_wb,
            "peak_MB": m_wb / 2**20,
        },
        {
            "task": f"Gi* {permutations} perm",
            "cells": big.size,
            "tool": "ours gi_star (weights given)",
            "s": t_ob,
            "peak_MB": m_ob / 2**20,
            "ratio": t_es * scale / t_ob,
        },
        {
            "task": f"Gi* {permutations} perm + weights",
            "cells": big.size,
            "tool": "ours",
            "s": t_ob + t_wb,
            "peak_MB": max(m_ob, m_wb) / 2**20,
            "ratio": t_es * scale / (t_ob + t_wb),
        },
        {
            "task": "Gi* z only",
            "cells": big.size,
            "tool": "esda G_Local (extrapolated)",
            "s": t_es_z * scale,
            "peak_MB": m_es_z * scale / 2**20,
        },
        {
            "task": "Gi* z only",
            "cells": big.size,
            "tool": "ours gi_star",
            "s": t_obz,
            "peak_MB": m_obz / 2**20,
            "ratio": t_es_z * scale / t_obz,
        },
    ]


def esda_emerging(cube: SpaceTimeCube, w_space, window: int) -> tuple[np.ndarray, np.ndarray]:
    """The peer: esda Gi* z on the space-time weights, then kendalltau per cell."""
    n, t = cube.values.shape
    lag = np.zeros((t, t))
    for d in range(window + 1):
        lag += np.eye(t, k=-d)
    W = to_w(sparse.kron(w_space.matrix, sparse.csr_array(lag)))
    z = esda_g(cube.values.reshape(-1), W, 0).Zs.reshape(n, t)
    taus = np.array([stats.kendalltau(np.arange(t), row).statistic for row in z])
    return z, taus


def bench_emerging(n_big: int, n_small: int, periods: int, rows: list) -> None:
    window = 1
    opts = {"k_rings": 1, "emerging": {"time_step_window": window}}
    small = np.sort(disk(rings_for(n_small)))
    big = np.sort(disk(rings_for(n_big)))
    labels = [f"m{i:02d}" for i in range(periods)]
    cube_s = SpaceTimeCube(small, labels, clustered_counts(small, 3, periods))
    cube_b = SpaceTimeCube(big, labels, clustered_counts(big, 4, periods))
    print(f"emerging: {big.size:,} cells x {periods}; esda parts on {small.size:,} x {periods}")
    ws = cells_to_weights(small, k_rings=1)
    t_es, m_es, (z_es, _) = measure(lambda: esda_emerging(cube_s, ws, window))
    dz = float(np.abs(space_time_z(ws, cube_s.values, window) - z_es).max())
    t_os, m_os, _ = measure(lambda: emerging_hotspots(cube_s, opts))
    t_ob, m_ob, res = measure(lambda: emerging_hotspots(cube_b, opts))
    scale = big.size / small.size
    rows += [
        {
            "task": f"emerging x{periods}",
            "cells": small.size,
            "tool": "esda G_Local (space-time W, z) + kendalltau",
            "s": t_es,
            "peak_MB": m_es / 2**20,
            "note": "incl. building the space-time libpysal W; no categories",
        },
        {
            "task": f"emerging x{periods}",
            "cells": small.size,
            "tool": "ours emerging_hotspots",
            "s": t_os,
            "peak_MB": m_os / 2**20,
            "ratio": t_es / t_os,
            "note": f"incl. weights and categories; max |dz| vs esda {dz:.1e}",
        },
        {
            "task": f"emerging x{periods}",
            "cells": big.size,
            "tool": "esda + kendalltau (extrapolated)",
            "s": t_es * scale,
            "peak_MB": m_es * scale / 2**20,
        },
        {
            "task": f"emerging x{periods}",
            "cells": big.size,
            "tool": "ours emerging_hotspots",
            "s": t_ob,
            "peak_MB": m_ob / 2**20,
            "ratio": t_es * scale / t_ob,
            "note": f"{(res.cells['emerging_category'] != 'no pattern detected').sum():,} cells"
            " with a pattern",
        },
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes (< 30 s)")
    args = ap.parse_args()
    rows: list = []
    if args.quick:
        bench_gi(100_000, 5_000, 99, rows)
        bench_emerging(10_000, 500, 36, rows)
    else:
        bench_gi(1_000_000, 20_000, 99, rows)
        bench_emerging(100_000, 2_000, 36, rows)
    write_results(
        "hotspots",
        rows,
        note="esda without numba runs its permutation loop in Python, one step per cell",
    )


if __name__ == "__main__":
    main()
