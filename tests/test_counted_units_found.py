"""A unit that counts things, written with the number, under a header naming a mass.

``Qty (g)`` holding ``300 tablets`` was read as 300 g = 0.3 kg (the header's unit taken for
every quantity whose own unit is no mass), exit 0: tablets weighed as grams beside real
grams.  A counting unit written with the number (:data:`~pipeline.ingest.seizures.COUNT_UNITS`)
is now the quantity's unit, kept as reported and said; another word after a number
(``(approx)``) and a blank still take the header's unit.
"""

from __future__ import annotations

import numpy as np

from pipeline.ingest import read_seizures


def _read(tmp_path, header, cells, unit_column=None):
    lines = [f"date,lat,lon,drug,{header}" + (",unit" if unit_column else "")]
    for i, cell in enumerate(cells, 1):
        extra = f",{unit_column[i - 1]}" if unit_column else ""
        lines.append(f"2024-01-{i:02d},10.{i},20.{i},coke,{cell}{extra}")
    path = tmp_path / "seizures.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_seizures(path)


def test_tablets_under_a_header_of_grams_are_kept_as_tablets(tmp_path):
    res = _read(tmp_path, "Qty (g)", ["300 tablets", "500", "2 kg", "40 (approx)", "12 Cartons"])
    # by hand: tablets and cartons as reported; 500 g; 2 kg; '(approx)' is no unit: grams
    np.testing.assert_allclose(res.frame["quantity"], [300.0, 0.5, 2.0, 0.04, 12.0], rtol=1e-12)
    unit = res.assumptions["quantity_unit"]
    assert unit["kept_as_reported"] == {"tablets": 1, "cartons": 1}
    said = [n for n in res.notes if "count things" in n]
    assert len(said) == 1 and "2 quantit(ies)" in said[0] and "'tablets'" in said[0]


def test_a_unit_column_of_agency_names_still_takes_the_headers_unit(tmp_path):
    # the rule is for a unit written with the number: a 'unit' column of agency names is no
    # unit at all, and 'Qty (kg)' holds
    res = _read(tmp_path, "Qty (kg)", ["3", "4"], unit_column=["Coast Guard", "Customs"])
    np.testing.assert_allclose(res.frame["quantity"], [3.0, 4.0], rtol=1e-12)
    res = _read(tmp_path, "Qty (g)", ["300", "400"], unit_column=["Coast Guard", "Customs"])
    np.testing.assert_allclose(res.frame["quantity"], [0.3, 0.4], rtol=1e-12)


def test_without_a_header_unit_counted_things_are_kept_as_before(tmp_path):
    res = _read(tmp_path, "quantity", ["300 tablets", "2 kg", "500 g"])
    np.testing.assert_allclose(res.frame["quantity"], [300.0, 2.0, 0.5], rtol=1e-12)
    assert res.assumptions["quantity_unit"]["kept_as_reported"] == {"tablets": 1}
