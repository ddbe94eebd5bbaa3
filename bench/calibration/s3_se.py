"""Scenario 3, selection none: the noise factor's published robust SE against its MC spread.

``s3_se.py R KIND [SEED] [FAMILY] [ALPHA]``; KIND ``default`` (history features), ``xonly``
(the factors alone), ``counts`` or ``kde`` (one kind of history feature).  Per fit: the
published CR1 SE (statsmodels' factor), CR0, a leverage-adjusted CR2 (Bell-McCaffrey, one
small matrix per cell: a bench, not a hot path) and the model-based SE; the rejection rate
of |z| > 1.96 for the pure-noise factor under each.
"""

import logging
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from s3_model import fit_with_noise, noise_options

logging.disable(logging.WARNING)
warnings.simplefilter("ignore")
R = int(sys.argv[1])
kind = sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 11
fam = sys.argv[4] if len(sys.argv) > 4 else "poisson"
ALPHA = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
rng = np.random.default_rng(seed)
opts = noise_options(kind, fam)
rows = []
t0 = time.time()
for _r in range(R):
    m = fit_with_noise(rng, opts, ALPHA)
    f = m.features_
    b = m.fit_
    names = [f.names[i] for i in b.active]
    z = (f.x_train - m.mean_) / np.where(m.sd_ > 0, m.sd_, 1.0)
    X = np.column_stack([np.ones(len(z)), z[:, b.active]])
    y = f.y_train
    mu = b.mu
    g = f.cell_train
    k = names.index("noise") + 1
    kx = names.index("x") + 1
    a = b.alpha if b.family != "poisson" else 0.0
    w = mu / (1 + a * mu)
    H = (X * w[:, None]).T @ X
    Hi = np.linalg.inv(H)
    u = X * ((y - mu) / (1 + a * mu))[:, None]
    _, gi = np.unique(g, return_inverse=True)
    G = gi.max() + 1
    S = np.column_stack([np.bincount(gi, u[:, j], G) for j in range(X.shape[1])])
    V0 = Hi @ S.T @ S @ Hi
    # CR2-like (bias-reduced, Bell-McCaffrey) per cluster: (I - H_gg)^{-1/2}
    Sa = np.zeros_like(S)
    for c in range(G):
        idx = gi == c
        Xg = X[idx]
        wg = w[idx]
        Hgg = (np.sqrt(wg)[:, None] * Xg) @ Hi @ (Xg * np.sqrt(wg)[:, None]).T
        ev_, V_ = np.linalg.eigh(np.eye(idx.sum()) - Hgg)
        A = V_ @ np.diag(1 / np.sqrt(np.maximum(ev_, 1e-12))) @ V_.T
        # u_g = Xg^T W^1/2 A_g W^1/2 e_g, e the working residual (y - mu) / mu
        wr = (y[idx] - mu[idx]) / mu[idx]
        Sa[c] = (Xg * np.sqrt(wg)[:, None]).T @ (A @ (np.sqrt(wg) * wr))
    V2 = Hi @ Sa.T @ Sa @ Hi
    rows.append(
        dict(
            n=b.params[k],
            n_se=np.sqrt(m.cov_[k, k]),
            n_se0=np.sqrt(V0[k, k]),
            n_se2=np.sqrt(V2[k, k]),
            n_naive=np.sqrt(Hi[k, k]),
            x=b.params[kx] - 0.5 * m.sd_[f.names.index("x")],
            x_se=np.sqrt(m.cov_[kx, kx]),
            x_se2=np.sqrt(V2[kx, kx]),
            rows=len(y),
            K=X.shape[1],
            G=G,
            alpha=b.alpha or 0,
            family=b.family,
        )
    )
d = pd.DataFrame(rows)


def rej(c, s):
    return (abs(d[c] / d[s]) > 1.96).mean()


print(
    kind,
    fam,
    ALPHA,
    f"R={R} rows={d.rows.iloc[0]} K={d.K.iloc[0]} G={d.G.iloc[0]}: noise sd {d.n.std():.4f} | mean se CR1 {d.n_se.mean():.4f} CR0 {d.n_se0.mean():.4f} CR2 {d.n_se2.mean():.4f} naive {d.n_naive.mean():.4f}"
    f" | rej CR1 {rej('n', 'n_se'):.3f} CR2 {rej('n', 'n_se2'):.3f} naive {rej('n', 'n_naive'):.3f} | x err sd {d.x.std():.4f} se {d.x_se.mean():.4f} se2 {d.x_se2.mean():.4f} | z sd {(d.n / d.n_se).std():.3f} [{time.time() - t0:.0f}s]",
    flush=True,
)
