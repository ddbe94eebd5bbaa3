"""An API answer whose one array of records is empty is said to hold no records.

``{"data": [], "count": 0}`` - a nightly fetch on a day with nothing new - was read as one
record of the keys ``data`` and ``count`` and refused for "no coordinate columns found
among ['data', 'count']", which sends an operator looking for a column mapping.  A record
that happens to hold an empty list (``"tags": []``) is still read as a record.
"""

from __future__ import annotations

import json

import pytest

from pipeline.errors import SourceUnreadable
from pipeline.ingest import read_seizures

EMPTY = {
    "count 0": ({"data": [], "count": 0}, "its array 'data' is empty and it says count=0"),
    "paging only": ({"results": [], "next": None}, "its array 'results' is empty$"),
    "array alone": ({"results": []}, "its array 'results' is empty$"),
    "graphql": (
        {
            "data": {
                "vessels": {
                    "nodes": [],
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                    "totalCount": {"value": 0},
                }
            }
        },
        "its array 'data.vessels.nodes' is empty and it says data.vessels.totalCount.value=0",
    ),
    "count above 0": (
        {"data": [], "total": 3},
        r"its array 'data' is empty and it says total=3 \(its records are on another page, "
        r"or the answer was cut short\)",
    ),
}


@pytest.mark.parametrize(("answer", "said"), EMPTY.values(), ids=EMPTY.keys())
def test_an_empty_answer_holds_no_records(tmp_path, answer, said):
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(answer))
    with pytest.raises(SourceUnreadable, match="the answer holds no records: " + said):
        read_seizures(str(path))


RECORDS = {
    "empty tags": {"lat": 10.5, "lon": 20.5, "date": "2024-01-02", "tags": []},
    "empty tags and a count": {
        "lat": 10.5,
        "lon": 20.5,
        "date": "2024-01-02",
        "tags": [],
        "count": 0,
    },
}


@pytest.mark.parametrize("record", RECORDS.values(), ids=RECORDS.keys())
def test_one_record_holding_an_empty_list_is_still_a_record(tmp_path, record):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(record))
    frame = read_seizures(str(path)).frame
    assert frame[["lat", "lon"]].values.tolist() == [[10.5, 20.5]]


def test_two_empty_arrays_are_not_taken_for_an_answer(tmp_path):
    # which of them would hold the records is unknown: refused as before, not said empty
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"a": [], "b": [], "count": 0}))
    with pytest.raises(Exception, match="no coordinate columns") as err:
        read_seizures(str(path))
    assert "holds no records" not in str(err.value)
