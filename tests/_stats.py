"""Shared inputs of the statistics tests: the fitted model on given factors, real incidents."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import grid

#: Fitted-model options that use only the factors a test gives (no counts, densities, recency).
FACTORS_ONLY = {
    "horizon_days": 30.0,
    "count_windows_days": (),
    "bandwidths_km": (),
    "recency": False,
    "min_history_days": 30.0,
    "selection": "none",
}

#: Fitted-model options of quarterly training origins with the horizon's count window and no
#: kernel or recency features: fast fits whose windows a test can count by hand.
QUARTERLY_COUNTS = {
    "count_windows_days": ("horizon",),
    "bandwidths_km": (),
    "recency": False,
    "stride_days": 91.0,
    "min_history_days": 91.0,
}


def one_factor_events(bbox=(0.0, 0.0, 2.0, 2.0), rate=0.4, origin="2024-01-01"):
    """Two years of events before ``origin`` on the res-5 cells of ``bbox``: each cell's rate
    per 91 days is ``rate * exp(0.7 x)`` with one standard-normal factor ``x`` (seed 11).

    Returns the cells, the events (``time``, ``lon``, ``lat``) and the factor table
    (``cell``, ``x``).
    """
    import numpy as np

    from pipeline import grid

    cells = grid.region_to_cells(bbox, 5)
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, cells.size)
    n = rng.poisson(rate * np.exp(0.7 * x) * 730 / 91)
    idx = np.repeat(np.arange(cells.size), n)
    lat, lon = grid.cells_to_latlng(cells)
    events = pd.DataFrame(
        {
            "time": pd.Timestamp(origin, tz="UTC")
            - pd.to_timedelta(rng.uniform(0, 730, idx.size), unit="D"),
            "lon": lon[idx] + rng.normal(0, 0.01, idx.size),
            "lat": lat[idx] + rng.normal(0, 0.01, idx.size),
        }
    )
    return cells, events, pd.DataFrame({"cell": cells, "x": x})


def pirate_events(shared_data) -> pd.DataFrame:
    """``pirate_attacks.csv`` without its rows at 0,0 or without a position, with a UTC ``time``."""
    raw = pd.read_csv(
        shared_data / "events" / "pirate_attacks.csv",
        usecols=["date", "longitude", "latitude"],
        na_values=["NA"],
    ).dropna()
    raw = raw[(raw.longitude != 0) | (raw.latitude != 0)]
    return raw.assign(time=pd.to_datetime(raw.date, utc=True))


def nb2_fit_report(seed: int, scale: float, b1: float, b2: float, shape: float) -> dict:
    """Report of the fitted model (family ``auto``) on 8 quarters of NB2 counts over res-5 cells.

    Each cell's rate is ``scale`` times its relative area times ``exp(b1 x1 + b2 x2)`` with a
    gamma frailty of shape ``shape`` (mean 1) per cell and quarter; the factors ``x1``, ``x2``
    are standard normal.
    """
    import numpy as np

    from pipeline.grid import cell_area_km2, cells_to_latlng, region_to_cells
    from pipeline.model import FittedModel, FittedOptions

    origin, horizon = pd.Timestamp("2024-01-01", tz="UTC"), 91.0
    cells = region_to_cells((0.0, 0.0, 2.0, 2.0), 5)
    lat, lon = cells_to_latlng(cells)
    area = cell_area_km2(cells)
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(0, 1, cells.size), rng.normal(0, 1, cells.size)
    base = scale * area / area.mean() * np.exp(b1 * x1 + b2 * x2)
    parts = []
    for k in range(8):  # gamma frailty per cell and quarter: NB2 counts
        n = rng.poisson(base * rng.gamma(shape, 1.0 / shape, cells.size))
        idx = np.repeat(np.arange(cells.size), n)
        start = origin - pd.Timedelta(days=horizon * k)
        t = start - pd.to_timedelta(rng.uniform(0, horizon, idx.size), unit="D")
        parts.append(pd.DataFrame({"time": t, "lon": lon[idx], "lat": lat[idx]}))
    opts = FittedOptions(
        count_windows_days=(),
        bandwidths_km=(),
        recency=False,
        stride_days=horizon,
        family="auto",
        min_history_days=horizon,
    )
    factors = pd.DataFrame({"cell": cells, "x1": x1, "x2": x2})
    return FittedModel(opts).fit(pd.concat(parts), cells, origin, factors).report()


def disk_cells(rings: int, res: int = 6) -> np.ndarray:
    """The H3 disk of ``rings`` around 40 N 10 E at ``res``, sorted: a small lattice."""
    return np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], res), rings))


def area_share_hits(score, area, test, fraction: float) -> float:
    """Test events the cells of highest ``score`` hold within ``fraction`` of the area, by hand.

    Cells of one score are one group, taken whole or in the share of its area the budget
    leaves (ties split by area).
    """
    budget, hit = fraction * area.sum(), 0.0
    for value in np.unique(score)[::-1]:
        group = score == value
        take = min(area[group].sum(), budget)
        hit += test[group].sum() * take / area[group].sum()
        budget -= take
        if budget <= 0:
            break
    return hit


#: Five class labels of the score, and score options of fixed classes over them (a linear
#: scale capped at the highest value, breaks every 20 points), for tests that score by hand.
CLASS_LABELS = ["very low", "low", "medium", "high", "very high"]
FIXED_CLASSES = {
    "normalisation": "cap",
    "cap_quantile": 1.0,
    "class_breaks": [0, 20, 40, 60, 80, 100],
    "class_labels": CLASS_LABELS,
}


def back_test_kwargs(end, baselines=("uniform",), **more) -> dict:
    """`rolling_back_test` keywords of a small test: one event suffices to train and to test.

    ``end`` is a timestamp (its date is the back-test's end); ``more`` adds or overrides.
    """
    return {
        "end": end.date(),
        "min_train_events": 1,
        "min_test_events": 1,
        "require_full_history": False,
        "baselines": tuple(baselines),
        **more,
    }
