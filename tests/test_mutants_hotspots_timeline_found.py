"""Mutation pass over the hot-spot timeline, the risk's uncertainty and the hot-spot options.

Modules :mod:`pipeline.hotspots._timeline`, :mod:`pipeline.hotspots._risk_uncertainty` and
:mod:`pipeline.hotspots._options`: the gaps the pass found.  Each test names the mutants it
kills.  References are computed independently: quantiles by :func:`numpy.quantile` on the
values written out, densities and scores by :func:`pipeline.score.score_cells` on a kernel
matrix summed by hand, percentiles by hand arithmetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import disk_cells
from scipy import sparse

from pipeline.hotspots import (
    density_risk_statistic,
    global_breaks,
    timeline_summary,
    timeline_table,
)
from pipeline.score import score_cells

CELLS = disk_cells(1)  # 7 res-6 cells


def _events(times: list[str], cells: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"time": pd.to_datetime(times, utc=True), "cell": CELLS[np.asarray(cells)]})


def _counts(past: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    return past.groupby("cell").size().astype(float)


# --- timeline ------------------------------------------------------------------------------


def test_breaks_ignore_values_that_are_not_finite_and_fall_back_without_any():
    """Mutants: ``isfinite`` made ``~isnan`` (an infinite value made the top break inf), the
    fallback of no finite value made ``[0, 0]`` (no class at all)."""
    want = [float(x) for x in np.quantile([1.0, 2.0, 3.0, 4.0], [0, 0.25, 0.5, 0.75, 1])]
    assert want == [1.0, 1.75, 2.5, 3.25, 4.0]
    assert global_breaks([1.0, np.inf, 2.0, np.nan, 3.0, -np.inf, 4.0], 4) == want
    assert global_breaks([np.nan, np.inf], 3) == [0.0, 1.0]
    assert global_breaks([], 3) == [0.0, 1.0]


def test_all_equal_values_make_one_class_that_holds_them():
    """Mutants: the single value's breaks made ``[v, v]`` (not increasing: the value fell in
    class 0 of no class), the equal-values branch dropped (quantile breaks all ``v``)."""
    ev = _events(["2026-01-03", "2026-01-09", "2026-02-11"], [0, 1, 2])
    tl = timeline_table(ev, ["2026-02"], _counts)  # every cell seen once: all values 1
    assert tl.breaks == [1.0, 2.0]
    assert tl.table["class"].tolist() == [0, 0, 0]
    assert timeline_summary(tl)["cells_per_class"] == {"2026-02": [3]}


def test_quantile_breaks_that_coincide_are_merged_into_fewer_classes():
    """Mutant: ``np.unique`` dropped: eight zeros of ten gave the breaks 0, 0, 0, 0 and the
    zeros the class 3 of 5 (searchsorted past the equal breaks), not the lowest."""
    values = [0.0] * 8 + [1.0, 5.0]
    # numpy's linear quantiles at 0, .2, .4, .6, .8, 1: 0, 0, 0, 0, 0 + 0.2 x (1 - 0), 5
    assert global_breaks(values, 5) == pytest.approx([0.0, 0.2, 5.0], abs=1e-12)

    def score(past, cutoff):  # seven cells: 0 x 5, 1, 5
        return pd.Series([0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 5.0], index=CELLS)

    tl = timeline_table(_events(["2026-01-02"], [0]), ["2026-01"], score)
    # quantiles at 0, 1.2, 2.4, 3.6, 4.8 and 6 of the sorted seven: 0, 0, 0, 0, 0.8, 5
    assert tl.breaks == pytest.approx([0.0, 0.8, 5.0], abs=1e-12)
    assert tl.table["class"].tolist() == [0, 0, 0, 0, 0, 1, 1]


# --- uncertainty of the published risk -----------------------------------------------------


def _weighted(density: np.ndarray, other: np.ndarray, other_covered: np.ndarray):
    """The published weighted score of a density (NaN: not covered) and one other factor."""
    cells = disk_cells(2)[: density.size]
    feats = pd.DataFrame({"cell": cells, "seizure_density": density, "other": other})
    feats["seizure_density__covered"] = np.isfinite(density)
    feats["other__covered"] = other_covered
    weights = {"seizure_density": 2.0, "other": 1.0}
    return feats, score_cells(feats, weights, covered=feats)


def test_a_cell_without_density_keeps_the_risk_of_its_other_factors():
    """Product fix: a cell whose density is missing (NaN, not covered) and whose other factor
    covers it was given a NaN risk by every resample (``0 × NaN`` points), against the
    docstring's finite values; :func:`bootstrap_cells` then refused the whole run.  The
    published score gives it the other factor's points alone."""
    rng = np.random.default_rng(4)
    n_cells, n_events = 9, 6
    k = rng.random((n_cells, n_events)) * (rng.random((n_cells, n_events)) < 0.6)
    k[7] = 0.0  # a cell no event reaches
    b = rng.uniform(0.5, 2.0, n_events)
    density = k @ b
    density[[2, 5]] = np.nan  # not covered
    other = rng.random(n_cells)
    other_covered = np.ones(n_cells, dtype=bool)
    other_covered[4] = False
    feats, scores = _weighted(density, other, other_covered)
    assert np.isfinite(scores["risk"]).all()
    total = np.where(np.isfinite(density), 2.0, 0.0) + np.where(other_covered, 1.0, 0.0)
    share = np.where(np.isfinite(density), 2.0 / total, 0.0)
    stat = density_risk_statistic(
        sparse.csr_matrix(k),
        b,
        scores["seizure_density"],
        scores["risk"],
        scores["seizure_density__contrib"],
        share,
    )
    np.testing.assert_allclose(stat(np.ones(n_events)), scores["risk"], atol=1e-9)
    m = np.array([2.0, 0.0, 1.0, 3.0, 0.0, 0.0])
    again = feats.assign(seizure_density=np.where(np.isfinite(density), k @ (b * m), np.nan))
    want = score_cells(again, {"seizure_density": 2.0, "other": 1.0}, covered=again)["risk"]
    np.testing.assert_allclose(stat(m), want, atol=1e-9)
    # the cells without density: the other factor's 100 × norm alone
    np.testing.assert_allclose(stat(m)[[2, 5]], 100.0 * scores["other__norm"].to_numpy()[[2, 5]])


# --- options -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ok", "bad"),
    [
        ({"emerging": {"alpha": 1e-9}}, {"emerging": {"alpha": 0.0}}),
        ({"emerging": {"trend_alpha": 0.99}}, {"emerging": {"trend_alpha": 1.0}}),
        ({"emerging": {"trend_alpha": 1e-9}}, {"emerging": {"trend_alpha": 0.0}}),
    ],
    ids=["alpha-0", "trend_alpha-1", "trend_alpha-0"],
)
def test_emerging_levels_take_the_bound_and_refuse_past_it(ok, bad):
    """Mutants: ``gt=0`` made ``ge=0`` on ``emerging.alpha`` or ``trend_alpha`` (a level of 0
    makes no spot and no trend, quietly), ``lt=1`` made ``le=1`` on ``trend_alpha`` (every
    series a significant trend)."""
    from pipeline.errors import ConfigError
    from pipeline.hotspots import validate_options

    ((key, value),) = ok["emerging"].items()
    assert getattr(validate_options(ok).emerging, key) == value
    with pytest.raises(ConfigError, match=f"hotspots option emerging.{key}"):
        validate_options(bad)
