import numpy as np
import pandas as pd
import pytest

from pipeline.errors import ConfigError
from pipeline.grid import points_to_cells
from pipeline.score import FactorSpec, classify, normalise, score_cells


def features(n=200, seed=0):
    rng = np.random.default_rng(seed)
    cells = np.unique(points_to_cells(rng.uniform(-10, 10, n * 2), rng.uniform(30, 40, n * 2), 6))[
        :n
    ]
    return pd.DataFrame(
        {
            "cell": cells,
            "a": rng.gamma(1.0, 2.0, len(cells)) * (rng.random(len(cells)) > 0.2),
            "b": rng.poisson(2, len(cells)).astype(float),
        }
    )


def test_contributions_sum_to_risk_and_risk_in_range():
    f = features()
    s = score_cells(f, [FactorSpec("a", 2.0), FactorSpec("b", 1.0, "log")])
    total = s["a__contrib"] + s["b__contrib"]
    np.testing.assert_allclose(total, s["risk"], atol=1e-9)
    assert s["risk"].between(0, 100).all()
    assert s["a__contrib"].max() <= 100 * 2 / 3 + 1e-9
    assert s["b__contrib"].max() <= 100 / 3 + 1e-9
    assert list(s["cell"]) == sorted(s["cell"])
    assert s["hex_id"].str.len().eq(15).all()


def test_top_factor_and_observed():
    f = pd.DataFrame(
        {
            "cell": points_to_cells([0, 1, 2], [0, 1, 2], 5),
            "a": [0.0, 5.0, 1.0],
            "b": [0.0, 1.0, 9.0],
        }
    )
    s = score_cells(f, [FactorSpec("a", 1), FactorSpec("b", 1)]).set_index("cell")
    by = dict(zip(f["cell"], range(3), strict=True))
    order = s.loc[f["cell"]]
    assert order["top_factor"].iloc[by[f["cell"][0]]] is None
    assert order["top_factor"].iloc[1] == "a"
    assert order["top_factor"].iloc[2] == "b"
    assert list(order["observed"]) == [False, True, True]


def test_normalise_cap_and_rank():
    x = np.array([0, 1, 2, 3, 100.0])
    n = normalise(x, cap_quantile=0.5)
    assert n[0] == 0 and n[-1] == 1
    np.testing.assert_allclose(n[1:4], [1 / 2.5, 2 / 2.5, 1.0])
    r = normalise(x, method="rank")
    np.testing.assert_allclose(r, [0, 0.25, 0.5, 0.75, 1.0])
    assert normalise(np.array([np.nan, 0.0])).tolist() == [0, 0]


def test_classify_lower_break_included():
    labels = classify(
        np.array([0, 19.99, 20, 20.01, 79.99, 80, 100]), [0, 20, 40, 60, 80, 100], list("abcde")
    )
    assert labels.tolist() == ["a", "a", "b", "b", "d", "e", "e"]


def test_missing_factor_lists_available():
    with pytest.raises(ConfigError, match=r"\['zz'\].*available: \['a', 'b'\]"):
        score_cells(features(), [FactorSpec("zz", 1)])


def test_negative_values_rejected():
    with pytest.raises(ConfigError, match=">= 0"):
        normalise(np.array([-1.0, 2.0]))
