"""Scenario 4: does the back-test rank a model with a real factor above counts and KDE, and not a noise one?"""

import logging
import sys
import time

import numpy as np
import pandas as pd
from _common import study_area

from pipeline.evaluate import rolling_back_test
from pipeline.model import fitted_method
from pipeline.model.options import FittedOptions

logging.disable(logging.WARNING)

END = pd.Timestamp("2024-01-01", tz="UTC")
cells, lat, lon, area = study_area(12)
n = cells.size


def events(rng, x, b, per_cell_year=1.0, days=5 * 365):
    lam = per_cell_year / 365 * np.exp(b * x - b * b / 2) * area / area.mean()
    k = rng.poisson(lam * days)
    ci = np.repeat(np.arange(n), k)
    t = END - pd.to_timedelta(rng.random(ci.size) * days, unit="D")
    return pd.DataFrame({"time": t, "lon": lon[ci], "lat": lat[ci]})


def one(rng, b, origins=8):
    x = rng.standard_normal(n)
    noise = rng.standard_normal(n)
    ev = events(rng, x, b)

    def o(k):
        return FittedOptions(factor_transforms={k: "linear"})

    methods = {
        "fit_x": fitted_method(o("x"), factors=pd.DataFrame({"cell": cells, "x": x})),
        "fit_noise": fitted_method(
            o("noise"), factors=pd.DataFrame({"cell": cells, "noise": noise})
        ),
        "fit_none": fitted_method(FittedOptions()),
    }
    res = rolling_back_test(
        ev,
        cells,
        methods=methods,
        origins=origins,
        end=END.date(),
        baselines=("uniform", "all_prior_counts", "kde"),
    )
    s = res["summary"]
    out = {m: [a["hit_rate"]["mean"] for a in s[m]["at"]] for m in s}
    # spread reported = sd over origins?
    for m in s:
        for a in s[m]["at"]:
            v = np.array(a["hit_rate"]["values"], float)
            assert abs(np.nanstd(v, ddof=1) - a["hit_rate"]["sd"]) < 1e-6
    return out, res


if __name__ == "__main__":
    R = int(sys.argv[1])
    for b in (1.0, 0.0):
        rng = np.random.default_rng(5)
        t0 = time.time()
        acc = {}
        for _r in range(R):
            out, res = one(rng, b)
            for m, v in out.items():
                acc.setdefault(m, []).append(v)
        fr = res["options"]["area_fractions"]
        print(
            f"b={b}: R={R}, hit rate at area {fr} (mean over replicates of mean over origins; +- MC se) [{time.time() - t0:.0f}s]"
        )
        for m, v in acc.items():
            v = np.array(v, float)
            print(
                f"   {m:18s}",
                " ".join(
                    f"{a:.3f}+-{e:.3f}"
                    for a, e in zip(v.mean(0), v.std(0, ddof=1) / np.sqrt(R), strict=False)
                ),
            )
        d = np.array(acc["fit_noise"]) - np.array(acc["fit_none"])
        print(
            "   fit_noise - fit_none",
            " ".join(
                f"{a:+.4f}+-{e:.4f}"
                for a, e in zip(d.mean(0), d.std(0, ddof=1) / np.sqrt(R), strict=False)
            ),
            flush=True,
        )
