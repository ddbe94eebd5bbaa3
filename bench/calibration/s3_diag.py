import logging
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from s3_model import fit_with_noise, noise_options

logging.disable(logging.WARNING)
R = int(sys.argv[1])
kind = sys.argv[2]
rng = np.random.default_rng(11)
opts = noise_options(kind)
rows = []
t0 = time.time()
for _r in range(R):
    m = fit_with_noise(rng, opts)
    rep = m.report()
    f = {q["name"]: q for q in rep["factors"]}
    se_naive = dict(
        zip([rep["factors"][i]["name"] for i in m.fit_.active], m.fit_.bse_naive[1:], strict=False)
    )
    rows.append(
        {
            "x": f["x"]["coef"] - 0.5 * f["x"]["sd"],
            "x_se": f["x"]["se"],
            "n": f["noise"]["coef"],
            "n_se": f["noise"]["se"],
            "n_se_naive": se_naive.get("noise"),
            "rows": rep["n_rows"],
            "feats": len(m.fit_.active),
        }
    )
d = pd.DataFrame(rows)
print(
    kind,
    f"R={R} rows={d.rows.iloc[0]} feats={d.feats.iloc[0]}: x err sd {d.x.std():.4f} mean se {d.x_se.mean():.4f} | noise coef sd {d.n.std():.4f} mean robust se {d.n_se.mean():.4f} naive {d.n_se_naive.mean():.4f}; noise |z|>1.96 {(abs(d.n / d.n_se) > 1.96).mean():.3f}; x cover {(abs(d.x / d.x_se) <= 1.96).mean():.3f} [{time.time() - t0:.0f}s]",
)
