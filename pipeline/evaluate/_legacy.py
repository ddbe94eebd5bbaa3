"""Back-testing: does past density predict where the next seizures happen.

The seizures before a split date (``as_of - test_days``) train the model; those in
``(split, as_of]`` test it.  Cells are ranked by the model and, for each share of the area
(``area_fractions``), we report

hit rate
    share of the test seizures that fall in the top-ranked cells covering that share of area;
PAI (predictive accuracy index, Chainey et al. 2008)
    hit rate / area share: how much better than a uniform guess (PAI = 1);
PEI (predictive efficiency index, Hunt 2016)
    hit rate / the best hit rate any ranking could have reached with the same area.

Two baselines are scored the same way: ``uniform`` (PAI 1 by construction, computed, not
assumed) and ``recent_counts`` (cells ranked by the number of seizures in the last
``test_days`` before the split - the "last period's hot spots" rule analysts use).  The model
is the seizure-density factor alone, the one factor that has a history as long as the test
window; transit and raster factors describe the present.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .. import schema as S
from ..grid import cell_area_km2, points_to_cells

__all__ = ["back_test", "ranking_metrics"]


def ranking_metrics(
    score: np.ndarray,
    area_km2: np.ndarray,
    test_counts: np.ndarray,
    area_fractions: Sequence[float],
) -> list[dict[str, float]]:
    """Hit rate, PAI and PEI of a ranking at each area fraction.

    Parameters
    ----------
    score : numpy.ndarray
        Higher = riskier; ties are broken by cell order (stable sort).
    area_km2 : numpy.ndarray
        Area of each cell.
    test_counts : numpy.ndarray
        Test events per cell.
    area_fractions : sequence of float
        Shares of the total area at which to measure, in (0, 1].

    Returns
    -------
    list of dict
        One ``{"area_fraction", "hit_rate", "pai", "pei"}`` per fraction.
    """
    total_events = float(test_counts.sum())
    total_area = float(area_km2.sum())
    order = np.argsort(-score, kind="stable")
    best = np.argsort(-(test_counts / area_km2), kind="stable")
    cum_area = np.cumsum(area_km2[order]) / total_area
    cum_hits = np.cumsum(test_counts[order])
    best_area = np.cumsum(area_km2[best]) / total_area
    best_hits = np.cumsum(test_counts[best])
    rows = []
    for frac in area_fractions:
        k = int(np.searchsorted(cum_area, frac, side="right"))
        hits = float(cum_hits[k - 1]) if k > 0 else 0.0
        kb = int(np.searchsorted(best_area, frac, side="right"))
        best_h = float(best_hits[kb - 1]) if kb > 0 else 0.0
        real_frac = float(cum_area[k - 1]) if k > 0 else 0.0
        hit_rate = hits / total_events if total_events else float("nan")
        rows.append(
            {
                "area_fraction": float(frac),
                "hit_rate": round(hit_rate, 6),
                "pai": round(hit_rate / real_frac, 6) if real_frac > 0 else float("nan"),
                "pei": round(hits / best_h, 6) if best_h > 0 else float("nan"),
            }
        )
    return rows


def back_test(
    seizures: pd.DataFrame,
    cells: np.ndarray,
    *,
    as_of: pd.Timestamp,
    density_fn: Callable[[pd.DataFrame, np.ndarray, pd.Timestamp], np.ndarray],
    test_days: int = 180,
    area_fractions: Sequence[float] = (0.01, 0.05, 0.1, 0.2),
    seed: int = 0,
) -> dict:
    """Back-test the seizure-density model against baselines on a held-out later window.

    Parameters
    ----------
    seizures : pandas.DataFrame
        The seizures table (``time``, ``lon``, ``lat``, ...).
    cells : numpy.ndarray of uint64
        The cells being ranked (the run's cells).
    as_of : pandas.Timestamp
        End of the test window.
    density_fn : callable
        ``density_fn(train_seizures, cells, split) -> density``: the model, i.e. the run's
        configured kernel density evaluated as of the split date.
    test_days : int, default 180
        Length of the test window.
    area_fractions : sequence of float
        Area shares at which hit rate, PAI and PEI are reported.
    seed : int
        Seed of the random tie-breaking of the uniform baseline.

    Returns
    -------
    dict
        ``split``, ``n_train``, ``n_test``, ``n_test_in_cells`` and per method a list of
        metric rows (see :func:`ranking_metrics`); ``{"skipped": reason}`` when there is not
        enough data.
    """
    split = as_of - pd.Timedelta(days=test_days)
    train = seizures[seizures[S.TIME] <= split]
    test = seizures[(seizures[S.TIME] > split) & (seizures[S.TIME] <= as_of)]
    if len(train) < 10 or len(test) < 10:
        return {"skipped": f"too few seizures to back-test (train {len(train)}, test {len(test)})"}
    cells = np.asarray(cells, dtype="uint64")
    res = _resolution(cells)
    index = pd.Index(cells)

    def per_cell(frame: pd.DataFrame) -> np.ndarray:
        c = points_to_cells(frame[S.LON].to_numpy(), frame[S.LAT].to_numpy(), res)
        counts = pd.Series(c).value_counts()
        return counts.reindex(index, fill_value=0).to_numpy(dtype="float64")

    test_counts = per_cell(test)
    recent = per_cell(train[train[S.TIME] > split - pd.Timedelta(days=test_days)])
    area = cell_area_km2(cells)
    rng = np.random.default_rng(seed)
    methods = {
        "model_density": density_fn(train, cells, split),
        "recent_counts": recent / area,
        "uniform": rng.random(len(cells)),
    }
    return {
        "split": split.date().isoformat(),
        "test_days": int(test_days),
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "n_test_in_cells": int(test_counts.sum()),
        "methods": {
            name: ranking_metrics(score, area, test_counts, area_fractions)
            for name, score in methods.items()
        },
    }


def _resolution(cells: np.ndarray) -> int:
    from ..grid import cells_resolutions

    res = np.unique(cells_resolutions(cells[:1000]))
    return int(res[0])


def plot_back_test(result: dict, path) -> None:
    """Write the hit-rate curve of each method to a PNG (atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import atomic_path

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for name, rows in result["methods"].items():
        ax.plot(
            [r["area_fraction"] * 100 for r in rows],
            [r["hit_rate"] * 100 for r in rows],
            marker="o",
            label=name.replace("_", " "),
        )
    ax.set_xlabel("share of area flagged (%)")
    ax.set_ylabel("share of later seizures captured (%)")
    ax.set_title(f"Back-test: {result['n_test']} seizures after {result['split']}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
    plt.close(fig)
