"""Scenario 2b: the weighted score's bootstrap interval against the risk the true intensity gives."""

import sys
import time

import numpy as np

from pipeline import grid
from pipeline.hotspots import bootstrap_cells, density_operator, density_risk_statistic
from pipeline.score import normalise

cells = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], 6), 12))
n = cells.size
lat, lon = grid.cells_to_latlng(cells)
K_cc = density_operator(
    lon, lat, cells, bandwidth_km=25.0, kernel="quartic"
)  # truth: events at centres


def run(R, total, smooth=True):
    rng = np.random.default_rng(6)
    cover = []
    width = []
    t0 = time.time()
    for r in range(R):
        c = rng.integers(0, n, 3)
        d2 = (lat[:, None] - lat[c]) ** 2 + (lon[:, None] - lon[c]) ** 2
        lam = np.exp(2 * np.exp(-d2 / 0.05).sum(axis=1))
        lam = lam / lam.sum() * total
        k = rng.poisson(lam)
        ci = np.repeat(np.arange(n), k)
        K = density_operator(lon[ci], lat[ci], cells, bandwidth_km=25.0, kernel="quartic")
        b = np.ones(ci.size)
        d = K @ b
        risk = 100 * normalise(d)
        stat = density_risk_statistic(K, b, d, risk, risk, np.ones(n))
        got = bootstrap_cells(ci.size, stat, cells, seed=r, name="risk")
        truth = 100 * normalise(K_cc @ lam)
        lo, hi = got.risk_lower.to_numpy(), got.risk_upper.to_numpy()
        cover.append(((truth >= lo - 1e-9) & (truth <= hi + 1e-9)).mean())
        width.append(np.median(hi - lo))
    cover = np.array(cover)
    print(
        f"weighted (density only), {total} events: 90% bootstrap interval covers the risk of the true intensity in {cover.mean():.3f} of cells (+- {cover.std(ddof=1) / np.sqrt(R):.3f}, {R} reps); median width {np.median(width):.1f} [{time.time() - t0:.0f}s]",
        flush=True,
    )


if __name__ == "__main__":
    R = int(sys.argv[1])
    for total in (100, 1000, 10000):
        run(R, total)
