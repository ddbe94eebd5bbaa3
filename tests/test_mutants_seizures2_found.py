"""Gaps found by a second hand mutation analysis of ``pipeline/ingest/seizures.py`` (hGQ).

The first pass is ``test_mutants_seizures_found.py`` (hFN); these tests kill other mutants
(units, the header's unit, duplicates, rejects' lines and counts, approximate dates) and pin
two wrong readings fixed with them.  Expected values are computed here from the units' legal
definitions (1 lb = 0.45359237 kg exactly; a short ton is 2000 lb, a long ton 2240 lb) and
the files' own line numbers, never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.ingest import read_seizures

#: The international avoirdupois pound (1959), exactly.
_LB = 0.45359237


def _write(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------- units of mass


def test_short_and_long_tons_convert_by_their_pounds_and_a_bare_ton_is_kept(tmp_path):
    rows = [
        ("1", "short ton", 2000 * _LB),  # 907.18474 kg
        ("2", "Short Tons", 2 * 2000 * _LB),
        ("1", "long ton", 2240 * _LB),  # 1016.0469088 kg
        ("3", "LONG TONS", 3 * 2240 * _LB),
        ("1", "metric ton", 1000.0),
        ("4", "ton", 4.0),  # none of the three: kept as reported
    ]
    lines = ["date,lat,lon,drug,quantity,unit"]
    lines += [f"2024-01-0{i},10.{i},20.{i},cannabis,{q},{u}" for i, (q, u, _) in enumerate(rows, 1)]
    res = read_seizures(_write(tmp_path / "tons.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], [kg for *_, kg in rows], rtol=1e-12)
    assert res.frame["quantity"].iloc[0] == pytest.approx(907.18474, abs=1e-9)
    assert res.frame["quantity"].iloc[2] == pytest.approx(1016.0469088, abs=1e-9)
    assert res.assumptions["quantity_unit"]["kept_as_reported"] == {"ton": 1}


@pytest.mark.parametrize(
    ("header", "unit_column", "cells", "expected_kg"),
    [
        # 'Weight (kg)': one value written '500 g'; the others, bare, are kg as the header says
        ("Weight (kg)", None, ["500 g", "3", "4"], [0.5, 3.0, 4.0]),
        # 'Quantity (lbs)' with a unit column blank but once: the blank is the header's pounds
        ("Quantity (lbs)", ["", "kg"], ["100", "3"], [100 * _LB, 3.0]),
    ],
    ids=["unit-in-one-value", "unit-column-once"],
)
def test_a_blank_unit_takes_the_headers_unit_not_another_records(
    tmp_path, header, unit_column, cells, expected_kg
):
    head = f"date,lat,lon,drug,{header}" + (",unit" if unit_column else "")
    lines = [head]
    for i, cell in enumerate(cells, 1):
        line = f"2024-01-0{i},10.{i},20.{i},coke,{cell}"
        lines.append(line + (f",{unit_column[i - 1]}" if unit_column else ""))
    res = read_seizures(_write(tmp_path / "head.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], expected_kg, rtol=1e-12)
