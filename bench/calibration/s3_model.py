"""Scenario 3: does the fitted model recover a known log-linear model?"""

import logging
import sys
import time

import numpy as np
import pandas as pd
from _common import study_area

from pipeline.model import FittedModel
from pipeline.model.options import FittedOptions

logging.disable(logging.WARNING)

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")
cells, lat, lon, area = study_area(9, res=5)
n = cells.size


def simulate(rng, b0, b1, alpha, block, W=730, x=None):
    """Events from a rate exp(b0 + b1 x) per cell per day x area share; gamma frailty per cell-block."""
    nb = int(np.ceil(W / block))
    lam = np.exp(b0 + b1 * x) * area / area.mean()
    if alpha > 0:
        g = rng.gamma(1 / alpha, alpha, (n, nb))
    else:
        g = np.ones((n, nb))
    counts = rng.poisson(lam[:, None] * block * g)
    ci, bi = np.nonzero(counts)
    reps = counts[ci, bi]
    ci = np.repeat(ci, reps)
    bi = np.repeat(bi, reps)
    # block bi covers [-(bi+1) block, -bi block) days
    t = -(bi + rng.random(bi.size)) * block
    keep = t >= -W
    t, ci = t[keep], ci[keep]
    times = ORIGIN + pd.to_timedelta(t, unit="D")
    return pd.DataFrame({"time": times, "lon": lon[ci], "lat": lat[ci]})


#: What the SE diagnostics (s3_diag, s3_se) keep of the history features, by KIND.
HISTORY_KINDS = {
    "default": {},
    "xonly": dict(count_windows_days=(), bandwidths_km=(), recency=False, min_history_days=30.0),
    "xonly365": dict(
        count_windows_days=(), bandwidths_km=(), recency=False, min_history_days=365.0
    ),
    "counts": dict(bandwidths_km=(), recency=False),
    "kde": dict(count_windows_days=(), recency=False),
}


def noise_options(kind, family="poisson"):
    """30-day labels, no selection, a true factor ``x`` and a pure-noise one, linear."""
    return FittedOptions(
        horizon_days=30.0,
        selection="none",
        family=family,
        factor_transforms={"x": "linear", "noise": "linear"},
        **HISTORY_KINDS[kind],
    )


def fit_with_noise(rng, opts, alpha=0.0):
    """Draw ``x``, a noise factor and events of rate exp(-4 + 0.5 x); return the fitted model."""
    x = rng.standard_normal(n)
    x2 = rng.standard_normal(n)
    ev = simulate(rng, -4.0, 0.5, alpha, 30.0, x=x)
    table = pd.DataFrame({"cell": cells, "x": x, "noise": x2})
    return FittedModel(opts).fit(ev, cells, ORIGIN, factors=table)


def run(R, alpha, selection, family, horizon, b1=0.5, b0=-4.0, seed=0):
    rng = np.random.default_rng(seed)
    opts = FittedOptions(
        horizon_days=horizon,
        selection=selection,
        family=family,
        factor_transforms={"x": "linear", "noise": "linear"},
    )
    cov = {"x": 0, "noise": 0}
    sel = {"x": 0, "noise": 0}
    pn = 0
    alphas = []
    fams = []
    zs = []
    t0 = time.time()
    for _r in range(R):
        x = rng.standard_normal(n)
        x2 = rng.standard_normal(n)
        ev = simulate(rng, b0, b1, alpha, horizon if alpha > 0 else 30.0, x=x)
        fac = pd.DataFrame({"cell": cells, "x": x, "noise": x2})
        m = FittedModel(opts).fit(ev, cells, ORIGIN, factors=fac)
        rep = m.report()
        fams.append(rep["model"])
        alphas.append(rep.get("alpha") or 0.0)
        f = {row["name"]: row for row in rep["factors"]}
        sd = {"x": f["x"]["sd"], "noise": f["noise"]["sd"]}
        for k, truth in (("x", b1), ("noise", 0.0)):
            if f[k]["selected"]:
                sel[k] += 1
                lo, hi = np.log(f[k]["rr_ci95"])
                cov[k] += lo <= truth * sd[k] <= hi
                if k == "x":
                    zs.append((f[k]["coef"] - truth * sd[k]) / f[k]["se"])
                if k == "noise":
                    pn += f[k]["p_value"] <= 0.05
    zs = np.array(zs)
    print(
        f"b1={b1} alpha={alpha} sel={selection} fam={family} h={horizon}: x selected {sel['x']}/{R}, 95% CI covers true {cov['x']}/{max(sel['x'], 1)}"
        f" = {cov['x'] / max(sel['x'], 1):.3f} (se {np.sqrt(0.05 * 0.95 / max(sel['x'], 1)):.3f}); z mean {zs.mean():.2f} sd {zs.std():.2f};"
        f" noise selected {sel['noise']}/{R}, covers {cov['noise']}/{max(sel['noise'], 1)}, p<=.05 {pn}/{R};"
        f" families {pd.Series(fams).value_counts().to_dict()}; alpha mean {np.mean(alphas):.3f} median {np.median(alphas):.3f} (true {alpha}) [{time.time() - t0:.0f}s]",
        flush=True,
    )


if __name__ == "__main__":
    R = int(sys.argv[1])
    for args in [
        (0.0, "none", "auto", 30.0),
        (0.0, "bic", "auto", 91.0),
        (0.5, "none", "auto", 30.0),
        (0.5, "bic", "auto", 30.0),
        # a weak true factor: how often selection keeps it (power)
        (0.0, "bic", "auto", 91.0, 0.05),
    ]:
        run(R, *args)
