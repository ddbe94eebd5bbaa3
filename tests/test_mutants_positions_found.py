"""Gaps found by a hand mutation analysis of coordinate parsing (hGN).

Each test here kills a mutant of ``_positions.py`` or of the coordinate half of
``_common.py`` that the suite let live, or pins a wrong value found on the way.  Every
expected value is computed by hand in the test (degrees + minutes / 60 + seconds / 3600
written out), never by the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import assert_accounted, write_text

from pipeline.ingest import read_seizures

# ---------------------------------------------------------------------- decimal-comma pairs


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("52,5 13,4", (52.5, 13.4)),  # Berlin: had read 52° and 5°13.4' (the Netherlands)
        ("-0,5 10,25", (-0.5, 10.25)),  # had read -0° and 5°10.25'
        ("48,8566 2,3522", (48.8566, 2.3522)),  # had been lost as lon_out_of_range (8566°)
        ("52,5; 13,4", (52.5, 13.4)),
        ("52,5/13,4", (52.5, 13.4)),
        ("48,8566, 2,3522", (48.8566, 2.3522)),
    ],
    ids=["space", "negative-space", "paris-space", "semicolon", "slash", "comma-space"],
)
def test_a_pair_of_decimal_comma_numbers_splits_between_them(tmp_path, value, want):
    # a German/French export's one-column position: the pair split at its first comma
    res = read_seizures(write_text(tmp_path, "p.csv", f'Date,Position\n2024-03-01,"{value}"\n'))
    assert_accounted(res)
    assert res.by_rule == {}
    np.testing.assert_allclose(res.frame[["lat", "lon"]].to_numpy()[0], want, atol=1e-12)


def test_decimal_comma_pairs_in_a_semicolon_file(tmp_path):
    text = "Datum;Position\n2024-03-01;48,8566 2,3522\n2024-03-02;-0,5 104,25\n"
    res = read_seizures(write_text(tmp_path, "de.csv", text))
    assert res.by_rule == {}
    np.testing.assert_allclose(
        res.frame[["lat", "lon"]].to_numpy(), [[48.8566, 2.3522], [-0.5, 104.25]], atol=1e-12
    )
