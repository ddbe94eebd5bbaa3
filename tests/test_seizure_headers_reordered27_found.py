"""Seizure exports joined end to end whose second header names the columns in another order.

``cat a.csv b.csv`` of two exports, the second with ``date,longitude,latitude`` below the
first's ``date,latitude,longitude``: the second header line was a record with unparseable
coordinates (a reject) and its records were read under the first header's columns - a
seizure at 13.4°N 52.5°E put at 52.5°N 13.4°E, exit 0.  The tracks reader refuses such a
file naming the line; the seizures reader now does too.
"""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_seizures


def _write(tmp_path, lines, name="seizures.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_second_header_of_other_column_order_is_refused_naming_its_line(tmp_path):
    path = _write(
        tmp_path,
        [
            "date,latitude,longitude,drug",
            "2024-01-01,10.1,20.1,cocaine",
            "2024-01-02,10.2,20.2,cocaine",
            "Date,Longitude,Latitude,Drug",
            "2024-01-03,52.5,13.4,heroin",
        ],
    )
    with pytest.raises(InputError, match=r"line 4 .*another order"):
        read_seizures(path)


def test_a_second_header_in_the_same_order_is_a_repeated_header_reject(tmp_path):
    path = _write(
        tmp_path,
        [
            "date,latitude,longitude,drug",
            "2024-01-01,10.1,20.1,cocaine",
            "DATE, Latitude ,longitude,drug",
            "2024-01-03,13.4,52.5,heroin",
        ],
    )
    res = read_seizures(path)
    assert res.n_read == 3 and res.by_rule == {"repeated_header": 1}
    assert res.rejects["row"].tolist() == [3]
    assert sorted(res.frame["lat"].round(6).tolist()) == [10.1, 13.4]


@pytest.mark.parametrize(
    "record",
    [
        "2024-01-03,13.4,52.5,latitude",  # a value that is a column's name, in another column
        "2024-01-03,13.4,52.5,drug",
        ",longitude,latitude,",  # two names swapped, not every column's: a record, rejected
    ],
    ids=["one-name", "own-name", "partial"],
)
def test_records_holding_some_column_names_are_records(tmp_path, record):
    path = _write(
        tmp_path,
        ["date,latitude,longitude,drug", "2024-01-01,10.1,20.1,cocaine", record],
    )
    res = read_seizures(path)
    assert res.n_read == 2
    assert "repeated_header" not in res.by_rule
    assert len(res.frame) + len(res.rejects) == 2
