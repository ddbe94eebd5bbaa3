"""A wide export (hundreds of columns) is read with bounded work per column.

Column inference asked each column for its missing values about six times, every time
anew (a 400-column CSV of two rows took 3-4 s); the masks are now found once per column
while the columns are inferred.  The work is counted, not timed.
"""

from __future__ import annotations

import pandas as pd

from pipeline.ingest import read_seizures
from pipeline.ingest._common import MISSING_MASK_COMPUTED, missing_mask, missing_memo


def _wide(path, n_junk: int):
    names = ["date", "lat", "lon", *(f"junk_attr_{i}" for i in range(n_junk))]
    rows = [[f"2024-01-0{k}", f"10.{k}", "100.1", *["x"] * n_junk] for k in (1, 2)]
    path.write_text("\n".join(",".join(r) for r in [names, *rows]) + "\n")
    return path


def _masks_computed(path) -> tuple[int, object]:
    MISSING_MASK_COMPUTED[0] = 0
    res = read_seizures(path)
    return MISSING_MASK_COMPUTED[0], res


def test_missing_values_are_found_about_once_per_column(tmp_path):
    few, res_few = _masks_computed(_wide(tmp_path / "few.csv", 10))
    many, res_many = _masks_computed(_wide(tmp_path / "many.csv", 50))
    for res in (res_few, res_many):
        assert res.n_accepted == 2 and res.by_rule == {}
        assert res.frame["lat"].tolist() == [10.1, 10.2]
    # 40 more columns: each one's mask is found once (six times each before)
    assert many - few <= 2 * 40


def test_the_memo_does_not_serve_a_mask_after_the_values_changed():
    s = pd.Series(["x", "NA", "y"], dtype="str")
    with missing_memo():
        assert missing_mask(s).tolist() == [False, True, False]
        s.iloc[0] = "null"
        assert missing_mask(s).tolist() == [True, True, False]
        m = missing_mask(s)
        m[:] = False  # a caller's change to its mask does not reach the memo
        assert missing_mask(s).tolist() == [True, True, False]
