"""Gaps found by a mutation pass on the JSON records reader (``pipeline/ingest/_json.py``, hHB).

Each test kills a mutant the suite let live, or shows a wrong value the reader gave.  The
expected values come from the file itself (its physical lines counted by hand or by
``bytes.split``), Python's strict ``json`` module reading the same bytes, or hand values;
tests ``test_mutants_readers_found.py`` already holds are not repeated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import SourceUnreadable
from pipeline.ingest._json import read_json_records


def _json(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return read_json_records(path)


def _nonblank(data: bytes) -> int:
    return sum(1 for x in data.split(b"\n") if x.strip())


def test_a_dotted_name_given_twice_once_flattened_is_a_reject_of_its_line(tmp_path):
    # {"position": {"lat": 1}} and "position.lat" are one column: the last one used to win
    # without a word (a latitude of 2 read where 1 was also written)
    data = (
        b'{"mmsi": 1, "position": {"lat": 60.5}}\n'
        b'{"mmsi": 2, "position": {"lat": 1}, "position.lat": 2}\r\n'
        b"\n"
        b'{"mmsi": 3, "position.lat": 3, "position": {"lat": 4}}\n'
        b'{"mmsi": 4, "position": {"lat": 61.5}}\n'
    )
    table = _json(tmp_path, "t.jsonl", data)
    assert table.frame["mmsi"].tolist() == ["1", "4"]
    assert table.frame["position.lat"].tolist() == ["60.5", "61.5"]
    assert table.lines.tolist() == [1, 5]
    assert table.bad_rows[["row", "rule"]].values.tolist() == [
        [2, "malformed_json"],
        [4, "malformed_json"],
    ]
    assert table.bad_rows["value"].iloc[1] == data.split(b"\n")[3].decode()
    assert "'position.lat' is given twice" in table.bad_rows["message"].iloc[0]
    assert len(table.frame) + table.n_bad == _nonblank(data)


def test_a_dotted_name_given_twice_in_an_array_refuses_the_file(tmp_path):
    # as a key given twice in an array: the file is refused, naming the record's line
    data = b'[{"pos": {"lat": 1}},\n {"pos": {"lat": 1}, "pos.lat": 2}]\n'
    with pytest.raises(SourceUnreadable, match=r"line 2: the key 'pos\.lat' is given twice"):
        _json(tmp_path, "t.json", data)


def test_every_line_clashing_is_no_records_at_all(tmp_path):
    data = b'{"a": {"b": 1}, "a.b": 2}\n'
    with pytest.raises(SourceUnreadable, match="no JSON object records found; line 1"):
        _json(tmp_path, "t.jsonl", data)
