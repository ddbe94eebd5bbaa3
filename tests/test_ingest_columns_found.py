"""Silent wrong answers of seizure ingest found by a hostile-input sweep, with the right value.

A hidden first sheet read instead of the visible one, typed numbers read as locale text,
money or package counts taken as the quantity, units after the number dropped or overridden,
a port's coordinates taken for the event's, a lon/lat order written in a header ignored, and
headers in Spanish, Portuguese, French and German not recognised.
"""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from pipeline.ingest import read_seizures

HEADER = ["date", "lat", "lon", "commodity", "quantity"]
ROWS = [
    [dt.datetime(2023, 3, 4, 10), 10.51, 20.25, "cocaine", 12.5],
    [dt.datetime(2023, 5, 6, 11), 11.52, 21.25, "heroin", 3.25],
]


def _csv(tmp_path, text, name="s.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_seizures(path)


# ----------------------------------------------------------------------------- sheets


@pytest.mark.parametrize("hidden_rows", ["old", "empty", "lists"])
def test_a_hidden_first_sheet_is_not_read(tmp_path, hidden_rows):
    wb = Workbook()
    first = wb.active
    first.title = "hidden"
    if hidden_rows == "old":
        first.append(HEADER)
        first.append([dt.datetime(2019, 1, 2), 1.1, 2.2, "tobacco", 999])
    elif hidden_rows == "lists":
        for v in ("cocaine", "heroin", "cannabis"):
            first.append([v])
    first.sheet_state = "hidden"
    data = wb.create_sheet("seizures")
    data.append(HEADER)
    for r in ROWS:
        data.append(r)
    wb.active = 1
    path = tmp_path / "book.xlsx"
    wb.save(path)
    res = read_seizures(path)
    assert res.frame["quantity"].tolist() == [12.5, 3.25]
    assert res.assumptions["sheet"]["value"] == "seizures"
    if hidden_rows != "empty":
        assert any("hidden sheet(s) ['hidden']" in n for n in res.notes)
