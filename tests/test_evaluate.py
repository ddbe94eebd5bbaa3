import numpy as np
import pandas as pd

from pipeline.evaluate import back_test, ranking_metrics
from pipeline.grid import cell_area_km2, cells_to_latlng, region_to_cells


def test_ranking_metrics_perfect_and_uniform():
    area = np.ones(100)
    counts = np.zeros(100)
    counts[:5] = 10  # all events in 5 % of the area
    perfect = ranking_metrics(-np.arange(100.0), area, counts, [0.05, 0.5])
    assert perfect[0] == {"area_fraction": 0.05, "hit_rate": 1.0, "pai": 20.0, "pei": 1.0}
    reverse = ranking_metrics(np.arange(100.0), area, counts, [0.05])
    assert reverse[0]["hit_rate"] == 0.0 and reverse[0]["pei"] == 0.0


def _seizures(rng, n, lon, lat, start, days):
    t = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.uniform(0, days, n), unit="D")
    return pd.DataFrame(
        {
            "time": t,
            "lon": rng.normal(lon, 0.1, n),
            "lat": rng.normal(lat, 0.1, n),
            "commodity": "cocaine",
        }
    )


def test_back_test_beats_uniform_on_a_persistent_hot_spot():
    rng = np.random.default_rng(3)
    s = pd.concat(
        [
            _seizures(rng, 400, 0.0, 40.0, "2025-01-01", 540),
            _seizures(rng, 50, 2.0, 41.0, "2025-01-01", 540),
        ],
        ignore_index=True,
    )
    cells = region_to_cells((-1, 39, 3, 42), 6)

    def density(train, c, split):
        lat, lon = cells_to_latlng(c)
        d = np.zeros(len(c))
        for x, y in zip(train["lon"], train["lat"], strict=True):
            d += np.exp(-((lon - x) ** 2 + (lat - y) ** 2) / 0.02)
        return d / cell_area_km2(c)

    r = back_test(
        s, cells, as_of=pd.Timestamp("2026-06-24", tz="UTC"), density_fn=density, test_days=120
    )
    assert r["n_test"] > 50
    model = {row["area_fraction"]: row for row in r["methods"]["model_density"]}
    uniform = {row["area_fraction"]: row for row in r["methods"]["uniform"]}
    assert model[0.05]["pai"] > 5
    assert 0.3 < uniform[0.2]["pai"] < 2
    assert model[0.05]["hit_rate"] > uniform[0.05]["hit_rate"]


def test_back_test_skips_when_too_little_data():
    rng = np.random.default_rng(0)
    s = _seizures(rng, 5, 0, 40, "2025-01-01", 10)
    r = back_test(
        s,
        region_to_cells((-1, 39, 1, 41), 5),
        as_of=pd.Timestamp("2026-01-01", tz="UTC"),
        density_fn=lambda *a: None,
    )
    assert "skipped" in r
