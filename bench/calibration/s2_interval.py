"""Scenario 2: do the published 90 % risk intervals cover the true risk 90 % of the time?"""

import logging
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from _common import Coverage
from s3_model import ORIGIN, area, cells, lat, lon, n, simulate

from pipeline.hotspots import FittedCoefficients, fitted_risk_statistic, parametric_cells
from pipeline.model import FittedModel
from pipeline.model.options import FittedOptions
from pipeline.score import area_percentile

logging.disable(logging.WARNING)


def coefficient_interval(m, seed):
    """The run's interval of a fitted model: its risk over draws of the coefficients."""
    fc = FittedCoefficients.from_model(m)
    return parametric_cells(
        fc.params, fc.cov, fitted_risk_statistic(fc), fc.cells, seed=seed, name="risk"
    )


def run(R, kind, b1=0.7, b2=0.4):
    rng = np.random.default_rng(3)
    kw = dict(horizon_days=30.0, factor_transforms={"x": "linear", "x2": "linear"})
    if kind == "factors only":
        kw.update(
            count_windows_days=(),
            bandwidths_km=(),
            recency=False,
            min_history_days=30.0,
            selection="none",
        )
    opts = FittedOptions(**kw)
    cov = Coverage()
    for r in range(R):
        x = rng.standard_normal(n)
        x2 = rng.standard_normal(n)
        eta = b1 * x + b2 * x2
        ev = simulate(rng, -4.0, 1.0, 0.0, 30.0, x=eta)  # rate exp(-4 + eta) per day x area share
        m = FittedModel(opts).fit(
            ev, cells, ORIGIN, factors=pd.DataFrame({"cell": cells, "x": x, "x2": x2})
        )
        got = coefficient_interval(m, seed=r)
        true_rate = np.exp(-4 + eta) * area / area.mean() / area  # events per km^2 per day
        truth = area_percentile(true_rate, area=area)
        cov.add(truth, got)
    cov.report(f"{kind}: 90% interval of the risk covers the true risk percentile")


def run_latent(R, b=1.0, smooth=True):
    """The rate follows a latent field the model only sees through past counts (no factor)."""
    rng = np.random.default_rng(4)
    opts = FittedOptions(horizon_days=30.0)
    cov = Coverage()
    for r in range(R):
        if smooth:  # a smooth field: a few gaussian bumps
            c = rng.integers(0, n, 4)
            d2 = (lat[:, None] - lat[c]) ** 2 + (lon[:, None] - lon[c]) ** 2
            f = np.exp(-d2 / 0.3).sum(axis=1)
            f = (f - f.mean()) / f.std()
        else:
            f = rng.standard_normal(n)
        ev = simulate(rng, -4.0, b, 0.0, 30.0, x=f)
        m = FittedModel(opts).fit(ev, cells, ORIGIN)
        got = coefficient_interval(m, seed=r)
        truth = area_percentile(np.exp(b * f) / area.mean(), area=area)
        cov.add(truth, got)
    field = "smooth" if smooth else "iid"
    cov.report(f"latent {field} field (no factor): 90% interval covers the true risk percentile")


if __name__ == "__main__":
    R = int(sys.argv[1])
    run(R, "factors only")
    run(R, "default features + factors")
    run_latent(R, smooth=True)
    run_latent(R, smooth=False)
