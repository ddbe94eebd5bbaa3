import sys
import time

import numpy as np

from pipeline import grid
from pipeline.hotspots import gi_star

cells = grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], 6), 12)
n = cells.size
R = int(sys.argv[1]) if len(sys.argv) > 1 else 200
rng = np.random.default_rng(1)
for lam in (0.05, 0.3, 3.0):
    for fdr in (False, True):
        for pv in ("exact", "normal", "permutation"):
            if pv == "permutation" and R > 100:
                continue
            t = time.time()
            flag = np.zeros(3)
            anyf = np.zeros(3)
            hot = np.zeros(3)
            cold = np.zeros(3)
            for r in range(R):
                y = rng.poisson(lam, n).astype(float)
                f = gi_star(
                    cells,
                    y,
                    {
                        "permutations": 199 if pv == "permutation" else 0,
                        "p_value": pv,
                        "fdr": fdr,
                        "seed": r,
                    },
                )
                b = f["gi_bin"].to_numpy()
                for i, lev in enumerate((1, 2, 3)):
                    m = np.abs(b) >= lev
                    flag[i] += m.mean()
                    anyf[i] += m.any()
                    hot[i] += (b >= lev).mean()
                    cold[i] += (b <= -lev).mean()
            print(
                f"lam={lam} fdr={fdr} p={pv}: per-cell rate 90/95/99 = {np.round(flag / R, 4)} (nominal .1 .05 .01) hot={np.round(hot / R, 4)} cold={np.round(cold / R, 4)}; P(any) = {np.round(anyf / R, 3)}  [{time.time() - t:.1f}s]",
                flush=True,
            )
