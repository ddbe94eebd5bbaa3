"""Scenario 2b: the weighted score's bootstrap interval against the risk the true intensity gives."""

import sys

import numpy as np
from _common import Coverage, study_area

from pipeline.hotspots import bootstrap_cells, density_operator, density_risk_statistic
from pipeline.score import normalise

cells, lat, lon, _ = study_area(12)
n = cells.size
K_cc = density_operator(
    lon, lat, cells, bandwidth_km=25.0, kernel="quartic"
)  # truth: events at centres


def run(R, total, smooth=True):
    rng = np.random.default_rng(6)
    cov = Coverage()
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
        cov.add(truth, got)
    cov.report(
        f"weighted (density only), {total} events: 90% bootstrap interval covers the risk of "
        "the true intensity"
    )


if __name__ == "__main__":
    R = int(sys.argv[1])
    for total in (100, 1000, 10000):
        run(R, total)
