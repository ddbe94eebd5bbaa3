"""The hot-spot timeline refuses an infinite score; explicit breaks keep open end classes.

Found on 2026-12-07 (the twenty-fifth session's left-alone item): ``timeline_table`` put a
scoring function's ``inf`` in class -1, the class of a missing value, so a cell whose score
had overflowed read as "no data" on the slider.  It is refused now, naming the period.
Breaks given explicitly (an earlier timeline's, to keep its scale) class a value below the
first break in the bottom class and one above the last in the top: documented and checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import disk_cells

from pipeline.errors import InputError
from pipeline.hotspots import timeline_table

PERIODS = ["2026-01", "2026-02"]


def _events(cells: np.ndarray) -> pd.DataFrame:
    times = pd.to_datetime(["2026-01-10", "2026-02-10", "2026-02-20"], utc=True)
    return pd.DataFrame({"cell": cells[:3], "time": times})


def _scores(values_by_period: dict[str, list[float]], cells: np.ndarray):
    def score(past: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
        return pd.Series(values_by_period[cutoff.strftime("%Y-%m")], index=cells[:4])

    return score


@pytest.mark.parametrize("bad", [np.inf, -np.inf], ids=["inf", "minus-inf"])
def test_an_infinite_score_is_refused_naming_its_period(bad):
    cells = disk_cells(2)
    score = _scores({"2026-01": [1.0, 2.0, 3.0, 4.0], "2026-02": [1.0, bad, 3.0, np.nan]}, cells)
    with pytest.raises(InputError, match=r"1 infinite 'risk' value\(s\), e.g. in period '2026-02'"):
        timeline_table(_events(cells), PERIODS, score)


def test_a_missing_score_is_class_minus_one_and_the_rest_are_classed():
    cells = disk_cells(2)
    score = _scores({"2026-01": [1.0, 2.0, 3.0, 4.0], "2026-02": [1.0, 2.0, 3.0, np.nan]}, cells)
    tl = timeline_table(_events(cells), PERIODS, score, breaks=[1.0, 2.5, 4.0])
    feb = tl.table[tl.table.period == "2026-02"].set_index("cell")["class"]
    assert feb.reindex(cells[:4]).tolist() == [0, 0, 1, -1]


def test_explicit_breaks_keep_open_end_classes():
    cells = disk_cells(2)
    score = _scores({"2026-01": [-5.0, 1.0, 2.5, 9.0], "2026-02": [0.0, 1.0, 4.0, 100.0]}, cells)
    tl = timeline_table(_events(cells), PERIODS, score, breaks=[0.0, 2.5, 5.0])
    got = tl.table.pivot(index="cell", columns="period", values="class").reindex(cells[:4])
    # below the first break: bottom class; a break itself: the class it opens; above: top
    assert got["2026-01"].tolist() == [0, 0, 1, 1]
    assert got["2026-02"].tolist() == [0, 0, 1, 1]
    assert tl.breaks == [0.0, 2.5, 5.0]
