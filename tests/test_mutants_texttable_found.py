"""Mutation pass over reading text tables (the text-table half of ``ingest/_common.py``).

Each test kills a mutant that the suite let live, or pins a wrong value found on the way.
Every expectation is made independently of the code under test: the bytes are written by
hand here, their physical lines counted by hand, and the values read back with Python's
``csv`` module or ``pandas.read_csv``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from pipeline.ingest import read_seizures
from pipeline.ingest._common import read_text_table


def _read(data: bytes, **kw):
    return read_text_table(Path("t.csv"), data=data, find_header=True, **kw)


# --------------------------------------------------------------------------- header names


@pytest.mark.parametrize(
    "header",
    ["id,lat,lat,lat.1,lon", "id,lat.1,lat,lat,lon", "id,,column_2,lon,lon"],
    ids=["suffix-taken-later", "suffix-taken-before", "blank-named-as-a-real-name"],
)
def test_duplicate_names_never_give_two_columns_one_name(header):
    """``lat,lat,lat.1``: the second ``lat`` was named ``lat.1``, as the fourth column is; the
    frame had two columns of one name (a column asked for was a frame: a traceback in the
    reader).  The names are pandas's, each column's values its own (by hand, by position)."""
    record = "1,10,20,30,40"
    data = f"{header}\n{record}\n".encode()
    table = _read(data)
    want = pd.read_csv(io.StringIO(data.decode()), dtype=str)
    assert table.frame.columns.is_unique
    if header.startswith("id,,"):  # pandas names a blank one 'Unnamed: 1'; ours column_2
        assert list(table.frame.columns) == ["id", "column_2", "column_2.1", "lon", "lon.1"]
    else:
        assert list(table.frame.columns) == list(want.columns)
    assert [table.frame[c].iloc[0] for c in table.frame.columns] == record.split(",")


def test_a_seizure_table_with_a_name_twice_and_its_suffix_is_read(tmp_path):
    """End to end: the duplicate column made the reader fail with a traceback."""
    path = tmp_path / "notes.csv"
    path.write_text(
        "date,latitude,longitude,note,note,note.1\n"
        "2024-01-05,10.5,20.5,a,b,c\n"
        "2024-01-06,11.5,21.5,d,e,f\n"
    )
    result = read_seizures(path)
    assert (result.n_read, result.n_accepted, result.n_rejected) == (2, 2, 0)
    assert result.frame["lat"].tolist() == [10.5, 11.5]
    assert result.frame["source_row"].tolist() == [2, 3]
