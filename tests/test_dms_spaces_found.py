"""Degree texts with long runs of white space are parsed in linear time, as with one space.

The degree-minute-second pattern lets white space fall on either side of each optional
field; where a cell did not match, a run of spaces was split between them every possible
way: one 304-character cell (``1``, 100 spaces, ``2``, ``3``, ``4``) took 43 s, so a hostile
file of such cells held a run for hours.  Runs are now read as one space.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from pipeline.ingest._common import parse_coordinate


def test_a_column_of_long_space_runs_is_parsed_at_once_and_rejected():
    hostile = "1" + " " * 100 + "2" + " " * 100 + "3" + " " * 100 + "4"
    values = pd.Series([hostile] * 20 + ["12" + " " * 5000 + "30" + "\t" * 300 + "N"])
    began = time.process_time()
    deg, miss, wrong = parse_coordinate(values, "lat")
    assert time.process_time() - began < 10  # was 20 x 43 s
    assert deg.iloc[:20].isna().all() and not miss.any() and not wrong.any()
    assert deg.iloc[20] == 12.5


def test_runs_of_white_space_read_as_one_space():
    texts = ["12 30 45 N", "12°  30'\t45\" S", " 61  45.5  W ", "N   12   30"]
    padded = pd.Series([t.replace(" ", "   ") for t in texts])
    want, _, _ = parse_coordinate(pd.Series([" ".join(t.split()) for t in texts]), "lat")
    got, _, _ = parse_coordinate(padded, "lat")
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert got.iloc[0] == 12 + 30 / 60 + 45 / 3600
