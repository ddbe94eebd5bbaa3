"""Promises of the weighted score's helpers that a mutation check of ``pipeline/score.py`` found untested.

Each test kills one hand-made mutant that left the rest of the suite passing: the risk held
to [0, 100] where the shares' round-off reaches past it, coverage flags that are numbers
other than 0/1, an infinite rate ranked, the count of seizures within a bandwidth of 0, and
which commodities keep a column of their own (ties by label, the merged label never one, a
file with exactly the bound).  Expected values are worked out here by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import schema as S
from pipeline.errors import InputError
from pipeline.grid import points_to_cells
from pipeline.score import (
    OTHER_COMMODITIES,
    area_percentile,
    score_cells,
    seizure_cell_stats,
    seizures_within,
)

CELLS = np.unique(points_to_cells(np.array([-9.5, -9.0, -8.5]), np.array([36.5, 36.6, 36.7]), 5))


def test_a_cell_at_every_factors_cap_scores_100_not_more():
    # 100 * 0.1/7.1 + 100 * 7/7.1 is 100.00000000000001 in floating point
    assert 100.0 * (0.1 / 7.1) + 100.0 * (7 / 7.1) > 100.0
    feats = pd.DataFrame({S.CELL: CELLS[:1], "a": [1.0], "b": [1.0]})
    out = score_cells(feats, {"a": 0.1, "b": 7.0})
    assert out[S.RISK].iloc[0] == 100.0
    assert out[S.RISK_CLASS].iloc[0] == "very high"


def test_coverage_flags_of_numbers_other_than_0_and_1_are_refused():
    feats = pd.DataFrame({S.CELL: CELLS, "a": [1.0, 2.0, 3.0]})
    ok = pd.DataFrame({"a" + S.COVERED_SUFFIX: [1.0, 0.0, np.nan]})
    out = score_cells(feats, {"a": 1.0}, covered=ok)
    assert out["a" + S.COVERED_SUFFIX].tolist() == [True, False, False]
    bad = pd.DataFrame({"a" + S.COVERED_SUFFIX: [1, 2, 0]})  # a count, not a flag
    with pytest.raises(InputError, match=r"'a__covered' must hold booleans.*int64"):
        score_cells(feats, {"a": 1.0}, covered=bad)


def test_a_rate_that_is_not_finite_has_no_percentile():
    got = area_percentile(np.array([1.0, np.inf, 2.0, -np.inf, np.nan]))
    # the three finite rates alone: 1 of 2, 2 of 2 (an overflowed rate is no highest rank)
    np.testing.assert_allclose(got[[0, 2]], [50.0, 100.0])
    assert np.isnan(got[[1, 3, 4]]).all()


@pytest.mark.parametrize("bandwidth", [0, None])
def test_seizures_within_no_bandwidth_are_none(bandwidth):
    s = pd.DataFrame({S.LON: [-9.0], S.LAT: [36.6]})
    got = seizures_within(s, CELLS, bandwidth)
    assert got.dtype == np.int64 and got.tolist() == [0] * len(CELLS)


def _seizures(labels: list[str]) -> pd.DataFrame:
    n = len(labels)
    return pd.DataFrame(
        {
            S.LON: np.full(n, -9.0),
            S.LAT: np.full(n, 36.6),
            S.COMMODITY: labels,
            S.TIME: pd.Timestamp("2024-01-01", tz="UTC"),
        }
    )


def _count_columns(stats: pd.DataFrame) -> dict[str, int]:
    return {
        c[len(S.SEIZURES_PREFIX) :]: int(stats[c].sum())
        for c in stats.columns
        if c.startswith(S.SEIZURES_PREFIX)
    }


def test_commodities_tied_in_count_keep_their_columns_by_label():
    labels = ["a"] * 5 + ["c"] * 3 + ["b"] * 3 + ["d"]
    got = _count_columns(seizure_cell_stats(_seizures(labels), CELLS, 5, max_commodities=3))
    # a (5) and, of b and c (3 each), b: the first label
    assert got == {"a": 5, "b": 3, OTHER_COMMODITIES: 4}


def test_the_merged_label_in_a_file_never_takes_a_place_of_its_own():
    labels = ["cocaine"] * 20 + [OTHER_COMMODITIES] * 15 + ["heroin"] * 10 + ["x", "y", "z"]
    got = _count_columns(seizure_cell_stats(_seizures(labels), CELLS, 5, max_commodities=3))
    assert got == {"cocaine": 20, "heroin": 10, OTHER_COMMODITIES: 18}


def test_exactly_the_bound_of_commodities_keeps_every_column():
    labels = ["a", "b", "b", "c"]
    got = _count_columns(seizure_cell_stats(_seizures(labels), CELLS, 5, max_commodities=3))
    assert got == {"a": 1, "b": 2, "c": 1}


def test_a_support_factor_observes_a_cell_at_exactly_its_fraction_of_the_maximum():
    from pipeline.factors import Factor
    from pipeline.features import support_mask

    def never(ctx):  # pragma: no cover - only the support rule is read
        raise AssertionError

    dens = Factor(name="d", unit="u", description="d", compute=never, support=0.25)
    hours = Factor(name="h", unit="u", description="h", compute=never, support=0.0)
    table = pd.DataFrame({"d": [8.0, 2.0, 1.999, np.nan, 0.0], "h": [0.0, 0.0, 0.0, 0.0, 0.5]})
    # 2.0 is 0.25 of 8.0: reached; 1.999 is not; the second factor observes any value > 0
    assert support_mask(table, [dens]).tolist() == [True, True, False, False, False]
    assert support_mask(table, [dens, hours]).tolist() == [True, True, False, False, True]
    # a factor the table lacks, or no value anywhere, observes nothing
    assert not support_mask(table[["h"]].assign(h=0.0), [dens, hours]).any()
