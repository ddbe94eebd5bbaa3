"""Small truths on the map and in the back-test notes (review hET).

Each test failed before its fix: the back-test area ratio printed in exponent form, the
emerging hot-spot section did not say its p-values were corrected, and fixed geography
(a distance to the coast) was called present data, a possible look-ahead.
"""

from __future__ import annotations

import re

import pytest

from pipeline.render._panels import universe_text


def _evaluation(area_km2: float) -> dict:
    return {"origins": [{"n_cells": 50, "area_km2": area_km2}], "universe": "the cells ranked"}


@pytest.mark.parametrize(
    ("area_km2", "shown"),
    [(123_000.0, "120"), (2_600.0, "2.6"), (12_345_678.0, "12,000"), (1.2, "0.0012")],
)
def test_back_test_area_ratio_reads_without_an_exponent(area_km2, shown):
    # the map shows 1,000 km²; a back-test area 123 times it read "1.2e+02 % of the map's"
    text = universe_text(_evaluation(area_km2), 1_000.0, 10)
    assert f"1 % of the area ranked is {shown} % of the map's" in text
    assert not re.search(r"\de[+-]\d", text), text
