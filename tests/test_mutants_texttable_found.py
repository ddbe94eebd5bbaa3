"""Mutation pass over reading text tables (the text-table half of ``ingest/_common.py``).

Each test kills a mutant that the suite let live, or pins a wrong value found on the way.
Every expectation is made independently of the code under test: the bytes are written by
hand here, their physical lines counted by hand, and the values read back with Python's
``csv`` module or ``pandas.read_csv``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.ingest import read_seizures
from pipeline.ingest._common import Rule, first_failing, read_text_table, repair_mojibake


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


# --------------------------------------------------------------------------- encodings


def test_a_byte_order_mark_is_no_letter_of_the_first_name_when_the_encoding_is_given():
    """Excel's "CSV UTF-8" (a BOM, CRLF) with ``encoding: utf-8`` set in the config: the
    mark stayed in front of the first name ('\\ufeffdate' is not 'date')."""
    data = b"\xef\xbb\xbfdate,lat,lon\r\n2024-01-05,10.5,20.5\r\n"
    want = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    table = _read(data, encoding="utf-8")
    assert list(table.frame.columns) == want == ["date", "lat", "lon"]
    assert table.lines.tolist() == [2]


def test_a_big_endian_utf16_file_is_read_by_its_byte_order_mark():
    """UTF-16 with the big-endian mark (FE FF): followed as the little-endian one is; read
    as UTF-8 it was one NUL-strewn record under names like 'þÿ\\x00i\\x00d'."""
    text = "id\tname\tlat\tlon\r\n1\tSkøld\t1.5\t2.5\r\n2\tB\t3\t4\r\n"
    data = b"\xfe\xff" + text.encode("utf-16-be")
    want = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    table = _read(data)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert list(table.frame.columns) == want[0]
    assert table.frame.to_numpy().tolist() == want[1:]
    assert table.lines.tolist() == [2, 3]


# --------------------------------------------------------------------------- names and lines


def test_names_with_spaces_around_them_are_kept_by_usecols():
    """``id, lat, lon`` (a space after each comma): the names are stripped, so the columns
    asked for by name are kept (unstripped, ' lat' was not 'lat' and the column dropped)."""
    data = b"id, lat, lon\n1,10.5,20.5\n2,11.5,21.5\n"
    rows = list(csv.reader(io.StringIO(data.decode())))
    table = read_text_table(Path("t.csv"), data=data, usecols=["lat", "lon"])
    assert list(table.frame.columns) == ["lat", "lon"]
    assert table.frame["lat"].tolist() == [r[1] for r in rows[1:]]


def test_a_sep_line_and_title_lines_above_the_header_count_in_its_line():
    """``sep=;``, two title lines, the header on line 4 (counted by hand), records on 5..7
    with a value of two lines on 6..7: the note and ``header_line`` name line 4."""
    data = (
        b"sep=;\r\nSeizures 2024\r\nexported by hand\r\nid;name;lat;lon\r\n"
        b'1;A;54,1;10,5\r\n2;"B\r\nC";55,2;11,5\r\n3;D;56,3;12,5\r\n'
    )
    table = _read(data)
    physical = data.split(b"\r\n")
    assert physical[3] == b"id;name;lat;lon"
    assert table.header_line == 4
    assert any("the header is line 4" in n for n in table.notes), table.notes
    assert table.lines.tolist() == [5, 6, 8]
    assert table.frame["name"].tolist() == ["A", "B\nC", "D"]


@pytest.mark.parametrize("find_header", [True, False], ids=["titles-looked-for", "plain"])
def test_an_upper_case_sep_line_names_the_delimiter(find_header):
    """``SEP=|`` (Excel takes the line in any case): the delimiter it names is used, not one
    sniffed, and the line is said to be the delimiter line.  Read as a title, the
    header's commas won over the '|' it names; read as the header (a tracks file, no
    titles looked for), the file was one column 'SEP=|'."""
    data = b"SEP=|\r\nid|name, alias|lat|lon\r\n1|A, B|54.1|10.5\r\n2|C, D|55.2|11.5\r\n"
    rows = list(csv.reader(io.StringIO(data.decode(), newline=""), delimiter="|"))[1:]
    table = read_text_table(Path("t.csv"), data=data, find_header=find_header)
    assert table.delimiter == "|"
    assert list(table.frame.columns) == rows[0]
    assert table.frame.to_numpy().tolist() == rows[1:]
    assert table.lines.tolist() == [3, 4]
    assert table.header_line == 2
    assert any("line 1 'SEP=|'" in n for n in table.notes), table.notes


# --------------------------------------------------------------------------- title lines


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_title_above_records_that_end_with_the_delimiter_is_skipped(eol):
    """A report's title, a blank line, then ``id;name;lat;lon`` over records that each end
    with ``;`` (the header does not).  The header was looked for among lines with as many
    fields as the records, which have one more (empty): the title was read as the header
    and every record rejected as ragged.  Lines counted by hand: header 3, records 4..7 (the
    second on two lines)."""
    lines = [
        "Seizures at the port of Rotterdam",
        "",
        "id;name;lat;lon",
        "1;A;51,9;4,1;",
        '2;"B',
        'C";51,8;4,2;',
        "3;D;51,7;4,3;",
        "4;E;51,6;4,4;",
    ]
    data = eol.join(lines).encode() + eol.encode()
    want = list(csv.reader(io.StringIO("\n".join(lines[2:]) + "\n"), delimiter=";"))
    table = _read(data)
    assert table.header_line == 3
    assert list(table.frame.columns) == want[0]
    assert table.frame.to_numpy().tolist() == [r[:-1] for r in want[1:]]
    assert table.lines.tolist() == [4, 5, 7, 8]
    assert table.n_bad == 0


# --------------------------------------------------------------------------- trailing delimiters


def test_a_value_ending_with_a_doubled_quote_is_no_empty_quoted_last_field():
    """An export that quotes every value and ends each record with ``,""`` (an empty column
    past the named ones); its last record forgot it, and its last value ends with a quote
    written doubled (``say "hi"`` quoted): the three quotes at the line end are the
    value's, not a delimiter and ``""``.  Values by the csv module."""
    lines = [
        '"id","lat","name"',
        *[f'"{k}","{50 + k}","ship {k}",""' for k in range(1, 10)],
        '"10","60","say ""hi"""',
    ]
    data = ("\n".join(lines) + "\n").encode()
    want = list(csv.reader(io.StringIO("\n".join(lines) + "\n")))
    table = _read(data)
    assert table.frame.to_numpy().tolist() == [r[:3] for r in want[1:]]
    assert table.frame["name"].iloc[-1] == 'say "hi"'
    assert table.lines.tolist() == list(range(2, 12))
    assert table.n_bad == 0


# --------------------------------------------------------------------------- group rows


def test_a_header_with_a_blank_name_over_records_of_text_is_no_group_row():
    """``Name,,Flag,Remarks`` (one column left unnamed) over records of words only: the
    first record names every column with text and has more of them than the header, as
    a header under a row of column groups does, but records of no number have no header
    below a group row; read so, the first record was taken for the header and lost."""
    text = "Name,,Flag,Remarks\nAlpha,x,Panama,boarded\nBeta,y,Liberia,searched\nGamma,z,Malta,ok\n"
    want = list(csv.reader(io.StringIO(text)))
    table = _read(text.encode())
    assert table.header_line == 1
    assert list(table.frame.columns) == ["Name", "column_2", "Flag", "Remarks"]
    assert table.frame.to_numpy().tolist() == want[1:]
    assert table.lines.tolist() == [2, 3, 4]


@pytest.mark.parametrize("header_too", [False, True], ids=["records-only", "header-too"])
def test_the_last_record_without_a_line_end_loses_its_trailing_delimiter_too(header_too):
    """Records that end with ``;`` in a file whose last line has no line end (as many
    editors save it): the last record's empty last field is dropped as the others' are
    (kept, it was the one ragged record of the file)."""
    lines = ["Datum;lat;lon" + (";" if header_too else "")]
    lines += [f"0{k}.01.2024;5{k},1;1{k},5;" for k in range(1, 6)]
    data = "\n".join(lines).encode()  # no line end after the last record
    assert not data.endswith(b"\n")
    want = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=";"))
    table = _read(data)
    assert table.n_bad == 0
    assert table.frame.to_numpy().tolist() == [r[:3] for r in want[1:]]
    assert table.lines.tolist() == [2, 3, 4, 5, 6]


# --------------------------------------------------------------------------- mixed encodings


def test_utf8_degree_signs_beside_a_cp1252_line_keep_their_letters():
    """Two exports appended: UTF-8 lines whose only non-ASCII letters are two-byte ones led
    by C2 (``°``, ``º``, a no-break space), and a cp1252 line (``é`` as E9).  Each line
    is read in its own encoding (decoded whole as cp1252, '12°30' was '12Â°30')."""
    utf8 = "id,pos,note\n1,12°30'N,nº 5\n2,13°10'N,a\u00a0b\n".encode()
    legacy = "3,14°00'N,café\n".encode("cp1252")
    table = _read(utf8 + legacy)
    assert table.encoding == "utf-8+cp1252"
    assert table.frame["pos"].tolist() == ["12°30'N", "13°10'N", "14°00'N"]
    assert table.frame["note"].tolist() == ["nº 5", "a\u00a0b", "café"]
    assert any("the first is line 4" in n for n in table.notes), table.notes


def test_a_byte_order_mark_starting_a_record_inside_the_file_is_no_letter_of_its_id():
    """``cat a.csv b.csv`` where b.csv is records only, saved with a BOM: the mark starts
    line 4 and was read into the first record's id ('\\ufeff3' is not vessel 3)."""
    first = b"\xef\xbb\xbfid,lat,lon\r\n1,54.1,10.5\r\n2,54.2,10.6\r\n"
    second = b"\xef\xbb\xbf3,54.3,10.7\r\n4,54.4,10.8\r\n"
    want = list(csv.reader(io.StringIO((first + second).decode("utf-8").replace("\ufeff", ""))))
    table = _read(first + second)
    assert table.frame.to_numpy().tolist() == want[1:]
    assert table.lines.tolist() == [2, 3, 4, 5]
    assert any("1 byte-order mark(s)" in n for n in table.notes), table.notes


# --------------------------------------------------------------------------- physical lines


def test_a_ragged_record_after_blank_lines_is_rejected_at_its_physical_line():
    """Blank lines above a ragged record: its reject names line 5 (counted by hand), not
    its number among the records (3)."""
    data = b"id,lat,lon\n\n1,54.1,10.5\n\n4,5\n6,54.2,10.6\n"
    assert data.split(b"\n")[4] == b"4,5"
    table = _read(data)
    assert table.bad_rows[["row", "rule", "value"]].to_dict("records") == [
        {"row": 5, "rule": "ragged_row", "value": "4,5"}
    ]
    assert table.lines.tolist() == [3, 6]


def test_a_two_column_note_whose_second_line_holds_a_comma_is_one_record():
    """Two columns, a quoted note on two lines whose second line holds one comma: read
    alone that line has two fields, as a record of this file does, but with two columns
    that says nothing (a note's line often has one comma); the record is whole, not an
    unclosed quote followed by a bogus record."""
    text = 'vessel,note\nAlpha,"boarded at dawn\nheld, then released"\nBeta,searched\n'
    want = list(csv.reader(io.StringIO(text)))
    table = _read(text.encode())
    assert table.n_bad == 0
    assert table.frame.to_numpy().tolist() == want[1:]
    assert table.lines.tolist() == [2, 4]


def test_the_title_note_quotes_the_titles_not_the_blank_lines():
    """A title, a blank line, then the header on line 3: the note says 2 lines were skipped
    and quotes the title alone."""
    table = _read(b"Seizures 2024\n\nid,lat,lon\n1,54.1,10.5\n2,54.2,10.6\n")
    assert table.header_line == 3
    said = [n for n in table.notes if "above the header skipped" in n]
    assert said == [
        "t.csv: 2 line(s) above the header skipped as a title or a row of column groups "
        "(['Seizures 2024']); the header is line 3"
    ]


def test_a_header_line_longer_than_the_sample_is_read_whole():
    """A header of 700 long names (about 70 KiB, past the 64 KiB sample the reader looks
    at first): every name is read, and the records keep their values (the header cut at
    the sample's end named fewer columns than the records hold)."""
    names = [f"measurement_{k:03d}_" + "x" * 90 for k in range(700)]
    header = ",".join(names)
    assert len(header) > 1 << 16
    records = [",".join(str(k * 10 + r) for k in range(700)) for r in range(3)]
    text = "\n".join([header, *records]) + "\n"
    want = list(csv.reader(io.StringIO(text)))
    table = _read(text.encode())
    assert list(table.frame.columns) == want[0]
    assert table.frame.to_numpy().tolist() == want[1:]
    assert table.n_bad == 0


def test_a_cp1252_last_line_without_a_line_end_after_utf8_lines():
    """UTF-8 lines, then a cp1252 line that ends the file with no line end: each is read
    in its own encoding (the codec's scan must resume at the file's end, not past it)."""
    data = "id,name\n1,Skøld\n".encode() + "2,café".encode("cp1252")
    table = _read(data)
    assert table.frame["name"].tolist() == ["Skøld", "café"]
    assert table.lines.tolist() == [2, 3]


def test_mojibake_made_through_latin_1_is_repaired():
    """UTF-8 read as Latin-1 (a tool without cp1252): 'Á' (C3 81) becomes 'Ã' and the C1
    control U+0081, which cp1252 cannot encode back; Latin-1 can."""
    right = pd.Series(["ÁFRICA OCCIDENTAL", "OCÉANO ÍNDICO"], dtype=object)
    mangled = right.map(lambda s: s.encode("utf-8").decode("latin-1"))
    assert "\x81" in mangled.iloc[0]
    fixed, count, _ = repair_mojibake(mangled)
    assert fixed.tolist() == right.tolist()
    assert count == 2


# --------------------------------------------------------------------------- rejects


def test_a_missing_raw_value_is_written_empty_in_its_reject():
    """A record rejected for a value it does not have: the reject's value is empty, and
    so is the value its message quotes (not the text 'None' or 'nan', which read as a
    value the file held)."""
    values = pd.Series(["12.5x", None, float("nan"), "ok"], dtype=object)
    mask = np.array([True, True, True, False])
    rule = Rule("lat_unparseable", mask, "lat", "bad {value}", values)
    accepted, rejects = first_failing([rule], n=4, source_file="t.csv", rows=np.array([2, 3, 4, 5]))
    assert accepted.tolist() == [False, False, False, True]
    assert rejects["value"].tolist() == ["12.5x", "", ""]
    assert rejects["message"].tolist() == ["bad '12.5x'", "bad ''", "bad ''"]
    assert rejects["row"].tolist() == [2, 3, 4]
