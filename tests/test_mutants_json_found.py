"""Gaps found by a mutation pass on the JSON records reader (``pipeline/ingest/_json.py``, hHB).

Each test kills a mutant the suite let live, or shows a wrong value the reader gave.  The
expected values come from the file itself (its physical lines counted by hand or by
``bytes.split``), Python's strict ``json`` module reading the same bytes, or hand values;
tests ``test_mutants_readers_found.py`` already holds are not repeated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import SourceUnreadable
from pipeline.ingest._json import geometries_as_written, key_given_twice, read_json_records


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


@pytest.mark.parametrize("flag", ["false", "no", "", "null"], ids=["false", "no", "blank", "null"])
def test_an_error_flag_written_as_a_no_in_text_is_no_error_answer(tmp_path, flag):
    # a header saying ERROR "false" in quotes: its records are read, not refused as an error
    data = json.dumps([{"ERROR": flag, "RECORDS": 2}, [{"mmsi": 1}, {"mmsi": 2}]]).encode()
    table = _json(tmp_path, "a.json", data)
    assert table.frame["mmsi"].tolist() == ["1", "2"]


def test_an_empty_errors_list_beside_the_data_is_no_error_answer(tmp_path):
    # GraphQL may write "errors": [] on success: the records are read
    data = b'{"errors": [],\n "data": {"nodes": [{"mmsi": 1},\n {"mmsi": 2}]}}\n'
    table = _json(tmp_path, "a.json", data)
    assert table.frame["mmsi"].tolist() == ["1", "2"]
    assert table.lines.tolist() == [2, 3]


@pytest.mark.parametrize("told", [1, 3], ids=["fewer", "more"])
def test_an_answer_counting_other_than_it_holds_says_so_either_way(tmp_path, told):
    # RECORDS=1 over 2 records is as wrong as 3 over 2: one of the two is not what was sent
    data = json.dumps([{"ERROR": False, "RECORDS": told}, [{"mmsi": 1}, {"mmsi": 2}]]).encode()
    notes = _json(tmp_path, "a.json", data).notes
    assert any(f"RECORDS={told} but holds 2" in n for n in notes), notes


def test_a_value_key_that_counts_nothing_is_no_count(tmp_path):
    # "unit": {"value": 7} beside the records is no count of them (totalCount.value is)
    data = (
        b'{"unit": {"value": 7}, "hits": {"total": {"value": 2}},\n "data": [{"a": 1}, {"a": 2}]}'
    )
    notes = _json(tmp_path, "a.json", data).notes
    assert not any("but holds" in n for n in notes), notes
    data = data.replace(b'"total": {"value": 2}', b'"total": {"value": 5}')
    assert any("hits.total.value=5 but holds 2" in n for n in _json(tmp_path, "a.json", data).notes)


def test_an_answers_true_beside_its_records_is_noted_as_json_writes_it(tmp_path):
    data = b'{"ok": true, "data": [{"a": 1}]}'
    notes = _json(tmp_path, "a.json", data).notes
    assert any("beside it, not read: ok=true" in n for n in notes), notes


def test_an_array_of_two_record_arrays_after_a_header_is_refused(tmp_path):
    data = b'[{"ERROR": false}, [{"a": 1}], [{"a": 2}]]'
    with pytest.raises(SourceUnreadable, match="holds 2 arrays of records beside each other"):
        _json(tmp_path, "a.json", data)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (b"5", "number"),
        (b'"x"', "string"),
        (b"null", "null"),
        (b"[1]", "array"),
        (b"true", "boolean"),
    ],
    ids=["number", "text", "null", "array", "true"],
)
def test_a_json_lines_line_that_is_no_object_is_a_reject_at_its_line(tmp_path, line, kind):
    # the message names JSON's kinds: it said 'a JSON _JsonNumber' (a private class), 'list'
    data = b'{"a": 1}\n\n' + line + b'\n{"a": 2}\n'
    table = _json(tmp_path, "t.jsonl", data)
    assert table.frame["a"].tolist() == ["1", "2"]
    assert table.lines.tolist() == [1, 4]
    assert table.bad_rows[["row", "rule", "value"]].values.tolist() == [
        [3, "not_a_json_object", line.decode()]
    ]
    assert table.bad_rows["message"].iloc[0] == f"a JSON {kind}, not an object"


def test_json_lines_in_a_json_named_file_are_all_read(tmp_path):
    # a '.json' holding JSON Lines: the first line is no whole-file object
    data = b'{"a": 1}\n{"a": 2}\n{"a": 3}\n'
    table = _json(tmp_path, "t.json", data)
    assert table.frame["a"].tolist() == [str(json.loads(x)["a"]) for x in data.splitlines()]
    assert table.lines.tolist() == [1, 2, 3]


def test_json_lines_in_a_json_named_file_with_a_key_given_twice_reject_one_line(tmp_path):
    data = b'{"a": 1, "a": 2}\n{"a": 3}\n'
    table = _json(tmp_path, "t.json", data)
    assert table.frame["a"].tolist() == ["3"]
    assert table.bad_rows[["row", "rule"]].values.tolist() == [[1, "malformed_json"]]


def test_a_crlf_line_that_is_no_json_is_rejected_with_its_text_without_the_cr(tmp_path):
    data = b'{"a": 1}\r\n  {"a": 2  \r\n{"a": 3}\r\n'
    table = _json(tmp_path, "t.jsonl", data)
    assert table.bad_rows[["row", "value"]].values.tolist() == [[2, '{"a": 2']]


def test_true_and_false_are_their_json_words(tmp_path):
    data = b'{"a": true, "b": {"c": false}}\n'
    table = _json(tmp_path, "t.jsonl", data)
    assert table.frame.iloc[0].tolist() == ["true", "false"]


def test_objects_deeper_than_eight_levels_stay_json_text(tmp_path):
    # the documented bound: eight dotted levels, the ninth object kept as its JSON text
    record: dict = {"j": 1}
    for key in "ihgfedcba":
        record = {key: record}
    table = _json(tmp_path, "t.jsonl", (json.dumps(record) + "\n").encode())
    assert table.frame.columns.tolist() == ["a.b.c.d.e.f.g.h.i"]
    assert json.loads(table.frame.iloc[0, 0]) == {"j": 1}


def test_coordinates_of_numbers_hold_no_text():
    data = b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.50, 2]}}'
    assert geometries_as_written(data) == [("[1.50, 2]", False)]


def test_has_next_page_in_quotes_false_says_no_more_pages(tmp_path):
    # only a JSON true says more pages exist: the text "false" is not one
    data = b'{"pageInfo": {"hasNextPage": "false"}, "nodes": [{"a": 1}]}'
    notes = _json(tmp_path, "a.json", data).notes
    assert not any("more pages" in n for n in notes), notes


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ({"status": "error", "message": "Invalid API key", "data": None}, "Invalid API key"),
        ({"status": "fail", "data": {"mmsi": "required"}}, "status=fail"),
        ({"success": False, "error": {"code": 401, "message": "no"}}, '"message": "no"'),
        ({"success": False, "data": [{"a": 1}]}, "success=false"),
    ],
    ids=["jsend-error", "jsend-fail", "success-false-error", "success-false"],
)
def test_an_answer_that_says_it_failed_is_refused_with_its_message(tmp_path, answer, why):
    # read as one record it was refused downstream for 'no coordinate columns among
    # [status, message, data]': the answer's own message says why there are no records
    with pytest.raises(SourceUnreadable, match="reports an error, not records") as err:
        _json(tmp_path, "a.json", json.dumps(answer, indent=1).encode())
    assert why in str(err.value)


@pytest.mark.parametrize(
    "answer",
    [{"status": "ok", "data": [{"a": 1}]}, {"status": 500, "data": [{"a": 1}]}],
    ids=["ok", "number"],
)
def test_a_status_that_is_no_failure_reads_the_records(tmp_path, answer):
    assert _json(tmp_path, "a.json", json.dumps(answer).encode()).frame["a"].tolist() == ["1"]


_DEEP = b'{"b": 2, "a": ' + b"[" * 600 + b"]" * 600 + b"}"


def test_a_line_nested_some_hundreds_deep_is_a_reject_not_a_traceback(tmp_path):
    # 600 arrays deep parses (Python's json takes it) but writing the value back as its
    # JSON text recursed past the limit: a RecursionError traceback, exit 70
    assert json.loads(_DEEP)["b"] == 2
    data = b'{"b": 1}\n' + _DEEP + b'\n{"b": 3}\n'
    table = _json(tmp_path, "t.jsonl", data)
    assert table.frame["b"].tolist() == ["1", "3"]
    assert table.lines.tolist() == [1, 3]
    assert table.bad_rows[["row", "rule", "message"]].values.tolist() == [
        [2, "malformed_json", "nested too deeply"]
    ]


def test_a_record_nested_some_hundreds_deep_in_an_array_refuses_the_file(tmp_path):
    with pytest.raises(SourceUnreadable, match="the record at line 2: nested too deeply"):
        _json(tmp_path, "t.json", b'[{"b": 1},\n' + _DEEP + b"]")


def test_a_header_reporting_an_error_refuses_the_records_beside_it(tmp_path):
    # an AISHub-style header that says ERROR true: the records after it are not the answer
    data = b'[{"ERROR": true, "ERROR_MESSAGE": "Too frequent requests!"}, [{"mmsi": 1}]]'
    with pytest.raises(SourceUnreadable, match="Too frequent requests!"):
        _json(tmp_path, "a.json", data)


def test_numbers_in_quotes_are_no_typed_numbers(tmp_path):
    data = b'{"a": "12.5"}\n{"a": 3}\n{"a": null}\n'
    table = _json(tmp_path, "t.jsonl", data)
    assert table.typed_numbers["a"].tolist() == [False, True, False]


def test_a_key_given_twice_after_a_record_separator_is_found():
    # GeoJSONSeq (RFC 8142) starts each text with RS (0x1e), perhaps with no newline
    data = b'\x1e{"a": 1}\x1e{"b": 1, "b": 2}\n'
    assert key_given_twice(data, sequence=True) == "b"


def test_a_graphql_error_is_refused_with_the_first_errors_message(tmp_path):
    data = b'{"errors": [{"message": "Rate limited", "path": ["vessels"]}], "data": null}'
    with pytest.raises(SourceUnreadable, match="not records: 'Rate limited'; request"):
        _json(tmp_path, "a.json", data)
