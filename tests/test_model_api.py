"""One interface for both models, their back-test adapters and the parameter choice."""

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.evaluate import BacktestOptions, rolling_back_test
from pipeline.grid import region_to_cells
from pipeline.model import (
    FittedModel,
    FittedOptions,
    RiskModel,
    WeightedModel,
    as_method,
    fitted_method,
    select_density_parameters,
)
from pipeline.score import FactorWeight, score_cells


def _clustered(rng, n, centres, sd_deg, start, days):
    k = rng.integers(0, len(centres), n)
    c = np.asarray(centres)[k]
    t = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.uniform(0, days, n), unit="D")
    return pd.DataFrame(
        {
            "time": t,
            "lon": c[:, 0] + rng.normal(0, sd_deg, n),
            "lat": c[:, 1] + rng.normal(0, sd_deg, n),
        }
    )


@pytest.fixture(scope="module")
def events():
    rng = np.random.default_rng(21)
    return _clustered(rng, 1500, [(1.0, 1.0), (2.5, 2.0), (1.5, 3.0)], 0.08, "2021-01-01", 1460)


def test_both_models_implement_the_interface():
    assert isinstance(FittedModel(), RiskModel)
    assert isinstance(WeightedModel({"a": 1.0}), RiskModel)


def test_weighted_model_is_score_cells_behind_the_interface():
    cells = region_to_cells((0, 0, 1, 1), 5)
    rng = np.random.default_rng(0)
    feats = pd.DataFrame(
        {"cell": cells, "a": rng.uniform(0, 5, cells.size), "b": rng.uniform(0, 1, cells.size)}
    )
    specs = {"a": FactorWeight(weight=0.7, transform="log"), "b": 0.3}
    m = WeightedModel(specs).fit(pd.DataFrame(), cells, "2024-01-01", feats)
    ref = score_cells(feats, specs)
    np.testing.assert_allclose(m.predict()["score"], ref["risk"])
    ex = m.explain(cells[3])
    assert sum(f["points"] for f in ex["factors"]) == pytest.approx(ex["risk"])
    assert m.report()["factors"][0]["weight"] == pytest.approx(0.7)
    with pytest.raises(InputError, match="features table"):
        WeightedModel(specs).fit(pd.DataFrame(), cells, "2024-01-01")


def test_fitted_model_in_the_rolling_back_test_beats_uniform_and_is_calibrated(events):
    opts = BacktestOptions(origins=3, horizon_days=91, train_days=730, baselines=("uniform", "kde"))
    r = rolling_back_test(
        events, None, resolution=5, methods={"fitted": fitted_method(FittedOptions())}, options=opts
    )
    json.dumps(r, allow_nan=False)
    at = {a["area_fraction"]: a for a in r["summary"]["fitted"]["at"]}
    assert at[0.05]["pai"]["mean"] > 3
    assert r["wins"]["fitted"]["uniform"][2]["wins"] == 3
    cal = r["calibration"]["fitted"]
    assert 0.7 < cal["totals"]["observed_over_expected"] < 1.3
    info = r["origins"][0]["methods"]["fitted"]["info"]
    assert info["model"] in ("poisson", "negative_binomial") and info["selected"]


def test_as_method_passes_factors_computed_at_the_origin(events):
    seen = []

    def factors(train, cells, origin):
        seen.append(origin)
        return pd.DataFrame({"cell": cells, "f": np.ones(len(cells))})

    opts = BacktestOptions(origins=2, horizon_days=91, train_days=730, baselines=())
    rolling_back_test(
        events,
        None,
        resolution=5,
        methods={"fitted": as_method(lambda: FittedModel(), factors)},
        options=opts,
    )
    assert len(seen) == 2 and seen[0] < seen[1]


def test_density_parameters_are_chosen_by_the_back_test_and_reported(events):
    opts = BacktestOptions(origins=3, horizon_days=91, train_days=365, area_fractions=(0.02, 0.05))
    choice = select_density_parameters(
        events,
        None,
        resolution=6,
        bandwidths_km=(5.0, 300.0),
        half_lives_days=(None, 180.0),
        options=opts,
    )
    json.dumps(choice, allow_nan=False)
    # Tight clusters of ~9 km: a 300 km kernel spreads the risk over the whole region.
    assert choice["bandwidth_km"] == 5.0
    assert len(choice["table"]) == 4 and choice["table"][0]["criterion"] == choice["best"]
    assert choice["origins"] == 3 and "hit rate" in choice["criterion"]
    with pytest.raises(InputError, match="give"):
        select_density_parameters(
            events.iloc[:5], None, resolution=6, bandwidths_km=(5.0,), half_lives_days=(None,)
        )
