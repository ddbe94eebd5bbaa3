"""``json_safe`` writes pandas containers and sets as data, not as their printed text.

Found on 2026-12-07 (left alone by hHT the session before): a back-test method's ``info``
holding a pandas Series (per-origin values), an Index or a set went into evaluation.json as
the text pandas or Python prints for it (``"0    1.5\\n1    2.0\\ndtype: float64"``): numbers
no reader could use, and a set's text in an order that can change between runs.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from pipeline.evaluate import json_safe


def test_a_series_is_its_labels_and_values():
    s = pd.Series([1.5, np.nan, 2.0], index=["2024-01", "2024-02", "2024-03"])
    assert json_safe(s) == {"2024-01": 1.5, "2024-02": None, "2024-03": 2.0}


def test_a_frame_is_its_rows_an_index_its_values():
    frame = pd.DataFrame(
        {"origin": pd.to_datetime(["2024-01-31"], utc=True), "hits": [np.int64(3)]}
    )
    assert json_safe(frame) == [{"origin": "2024-01-31T00:00:00+00:00", "hits": 3}]
    assert json_safe(pd.Index([3, 1, 2])) == [3, 1, 2]


def test_a_set_is_sorted_and_the_text_is_the_same_each_time():
    got = json_safe({"cells": {"8a2a", "1b", "3c"}, "mixed": frozenset({2, "a", 1.0})})
    assert got == {"cells": ["1b", "3c", "8a2a"], "mixed": [1.0, 2, "a"]}
    assert json.dumps(json_safe({"s": set("route")})) == json.dumps(json_safe({"s": set("etour")}))
