import numpy as np
import pandas as pd
import pytest

from pipeline.errors import ConfigError
from pipeline.grid import points_to_cells
from pipeline.score import FactorWeight, classify, normalise, score_cells


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
    s = score_cells(f, {"a": 2.0, "b": FactorWeight(weight=1.0, transform="log")})
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
    s = score_cells(f, {"a": 1, "b": 1}).set_index("cell")
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
    out = normalise(np.array([np.nan, 0.0]))
    assert np.isnan(out[0]) and out[1] == 0  # missing stays missing


def test_classify_lower_break_included():
    labels = classify(
        np.array([0, 19.94, 20, 20.01, 79.94, 80, 100]), [0, 20, 40, 60, 80, 100], list("abcde")
    )
    assert labels.tolist() == ["a", "a", "b", "b", "d", "e", "e"]
    # classed as the map shows the risk, at 0.1, as quantile and natural classes are: 19.96
    # reads 20.0 on the map and in the legend's class from 20 (it was 'a' beside '20.0')
    labels = classify(np.array([19.96, 79.951]), [0, 20, 40, 60, 80, 100], list("abcde"))
    assert labels.tolist() == ["b", "e"]


def test_missing_factor_lists_available():
    with pytest.raises(ConfigError, match=r"\['zz'\].*available: \['a', 'b'\]"):
        score_cells(features(), {"zz": 1})


def test_negative_values_rejected():
    with pytest.raises(ConfigError, match=">= 0"):
        normalise(np.array([-1.0, 2.0]))


def test_missing_factor_is_not_zero_weights_rescale_over_covered():
    f = pd.DataFrame(
        {
            "cell": points_to_cells([0, 1, 2, 3], [0, 1, 2, 3], 5),
            "a": [1.0, 2.0, 4.0, 4.0],
            "b": [1.0, np.nan, 4.0, 0.0],
        }
    )
    cov = pd.DataFrame({"b__covered": [True, False, True, True]})
    s = score_cells(f, {"a": 1, "b": 3}, covered=cov, cap_quantile=1.0)
    s = s.set_index("cell").loc[f["cell"]]
    # cell 1: b not covered -> risk from a alone, with a's weight rescaled to 1
    assert s["b__covered"].tolist() == [True, False, True, True]
    assert np.isnan(s["b__norm"].iloc[1]) and s["b__contrib"].iloc[1] == 0
    assert s["risk"].iloc[1] == pytest.approx(100 * 2 / 4)
    # cell 3: b covered and 0 -> a real low value, full weight on b
    assert s["risk"].iloc[3] == pytest.approx(100 * 1 / 4 * 1.0)
    np.testing.assert_allclose(s[["a__contrib", "b__contrib"]].sum(axis=1), s["risk"])


def test_cell_no_factor_covers_is_no_data():
    f = pd.DataFrame({"cell": points_to_cells([0, 1], [0, 1], 5), "a": [np.nan, 1.0]})
    s = score_cells(f, {"a": 1}).set_index("cell").loc[f["cell"]]
    assert np.isnan(s["risk"].iloc[0]) and s["risk_class"].iloc[0] == "no data"


def test_area_percentile_ties_near_equal_rates_at_their_lowest_rank():
    from scipy import stats

    from pipeline.score import area_percentile

    rng = np.random.default_rng(2)
    distinct = rng.gamma(0.5, 1e-7, 500)
    ref = stats.rankdata(distinct, method="min") / distinct.size * 100
    np.testing.assert_allclose(area_percentile(distinct), ref)
    # a block of quiet cells at one rate, computed as exp(log area + c) / area: the last
    # bits differ, the cells do not
    area = rng.uniform(1e4, 1.3e4, 4000)
    quiet = np.exp(np.log(area) + np.log(3.17e-8)) / area
    assert np.unique(quiet).size > 1
    rates = np.concatenate([quiet, distinct + 1e-6])
    got = area_percentile(rates)
    assert np.unique(got[:4000]).size == 1 and got[0] == pytest.approx(100 / rates.size)
    np.testing.assert_allclose(got[4000:], (4000 + ref / 100 * 500) / rates.size * 100)
    assert np.isnan(area_percentile(np.array([np.nan, 1.0])))[0]


@pytest.mark.parametrize("seed", range(4))
def test_fast_stable_argsort_is_the_stable_sort_to_the_element(seed):
    from pipeline.score import _stable_argsort, area_percentile

    rng = np.random.default_rng(seed)
    n = 5000
    # many runs of equal values (quiet cells), signed zeros, and distinct values
    x = np.concatenate(
        [
            rng.choice([0.0, -0.0, 1.5, 2.5e-8], n),
            rng.gamma(0.5, 1e-7, n),
            np.repeat(rng.random(50), 40),
        ]
    )
    x = x[rng.permutation(x.size)]
    np.testing.assert_array_equal(_stable_argsort(x), np.argsort(x, kind="stable"))
    distinct = rng.random(n)
    np.testing.assert_array_equal(_stable_argsort(distinct), np.argsort(distinct, kind="stable"))
    # the percentiles are summed in sorted order: bit for bit the stable sort's
    area = rng.uniform(1e4, 1.3e4, x.size)
    order = np.argsort(x, kind="stable")
    v = x[order]
    new = np.r_[True, np.diff(v) > 1e-9 * np.maximum(np.abs(v[1:]), np.abs(v[:-1]))]
    block = np.cumsum(new) - 1
    block_area = np.bincount(block, weights=area[order])
    below = np.r_[0.0, np.cumsum(block_area)[:-1]]
    want = np.empty(x.size)
    want[order] = (
        (below[block] + (block_area / np.bincount(block))[block]) / block_area.sum() * 100.0
    )
    assert area_percentile(x, area=area).tobytes() == want.tobytes()
