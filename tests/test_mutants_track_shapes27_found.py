"""Mutation pass over today's track CSV shapes: repeated and reordered headers, joined exports.

Found by mutating ``header_again_pattern``, ``_headers_again``, ``_drop_headers_again``,
``_headers_reordered`` (``pipeline/ingest/_common.py``) and ``_header_again_at_end``
(``pipeline/ingest/stream.py``) and by probing the shapes joined exports take:

- a header ending with the delimiter (an export that ends every line so) over another export's
  plain header: the second header matched neither the repeated header's pattern nor the
  reordered one's, so a second export of other column order was read under the first header
  (latitude -1.4 and longitude 50.3 for a ship at 50.3N 1.4W, exit 0), and one of other units
  had its units row rejected as a ragged row, its knots read as m s-1 (1.94 times too fast);
- read in chunks, a repeated header starting with the second file's byte-order mark (``cat`` of
  two exports saved with one) at the end of a piece was not handed to the next piece: its
  units row, the next chunk's first line, was read as a record, the knots below it as m s-1,
  where the whole file is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, write_text
from _ingest_stage import track_outcome
from test_erddap_units_row_found import MPS_TO_KN
from test_track_csv_shapes27_found import write_cut_at

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._common import header_again_pattern, read_text_table
from pipeline.schema import SOG

pytestmark = IGNORE_PENDING_DEPRECATION

HEAD = "time,latitude,longitude,sog,mmsi"
UNITS = "UTC,degrees_north,degrees_east,{},"


def _rows(mmsi: int, lat0: float, end: str = "", day: int = 1) -> list[str]:
    return [
        f"2023-01-0{day}T00:{i}0:00Z,{lat0 + i / 100:.2f},-1.2{i},5.0,{mmsi}{end}" for i in range(3)
    ]


# ------------------------------------------------------------ a header ending with the delimiter


def test_a_plain_reordered_header_below_one_ending_with_the_delimiter_is_refused(tmp_path):
    # before: the second header an mmsi_invalid reject, its records read with latitude and
    # longitude swapped, exit 0
    second = [f"2023-01-02T00:{i}0:00Z,-1.4{i},50.3{i},5.0,235000002" for i in range(3)]
    lines = [HEAD + ",", *_rows(235000001, 50.1, ","), "time,longitude,latitude,sog,mmsi", *second]
    path = write_text(tmp_path, "o.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 5 'time,longitude,latitude,sog,mmsi' names"):
        read_tracks(path)


def test_other_units_below_a_plain_header_again_under_one_ending_with_the_delimiter_refused(
    tmp_path,
):
    # before: the header again an mmsi_invalid reject, its units row a ragged row (one
    # trailing delimiter dropped from every line), the knots below read as m s-1
    lines = [HEAD + ",", UNITS.format("m s-1") + ",", *_rows(235000001, 50.1, ",")]
    lines += [HEAD, UNITS.format("knots"), *_rows(235000002, 50.3, day=2)]
    path = write_text(tmp_path, "u.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 7 is a units row below the header repeated"):
        read_tracks(path)


def test_a_plain_header_again_below_one_ending_with_the_delimiter_is_a_repeated_header(tmp_path):
    lines = [HEAD + ",", *_rows(235000001, 50.1, ","), HEAD, *_rows(235000002, 50.3, day=2)]
    res = read_tracks(write_text(tmp_path, "p.csv", "\n".join(lines) + "\n"))
    assert (res.n_read, len(res.frame), res.by_rule) == (7, 6, {"repeated_header": 1})
    assert res.rejects["row"].tolist() == [5]
    assert sorted(res.lines.tolist()) == [2, 3, 4, 6, 7, 8]


@pytest.mark.parametrize(
    ("header", "line", "found"),
    [
        ("a,b,", "\na,b\n", True),
        ("a,b,", "\na,b,\n", True),
        ("a,b", "\na,b,\n", True),
        ("a,b", "\na,b,,\n", False),
        ("a,,b", "\na,b\n", False),
    ],
    ids=["trailing-plain", "trailing-trailing", "plain-trailing", "plain-two-more", "blank-inside"],
)
def test_header_again_pattern_takes_one_trailing_delimiter_either_way(header, line, found):
    assert (header_again_pattern(header.encode(), ",").search(line.encode()) is not None) is found


# ------------------------------------------------------------ read in chunks: a BOM at the cut


def _at_the_cut(tmp_path, last: bytes, tail: list[str], name: str = "cut.csv"):
    """An ERDDAP export whose first piece ends with the line ``last``, ``tail`` below it."""
    head = f"{HEAD}\n{UNITS.format('m s-1')}\n".encode()
    return write_cut_at(tmp_path / name, head, last, tail)


def _bom_at_the_cut(tmp_path, unit: str):
    """An ERDDAP export whose first piece ends with the header again, after a BOM."""
    tail = [UNITS.format(unit), *_rows(235000002, 50.3, day=2)]
    return _at_the_cut(tmp_path, b"\xef\xbb\xbf" + HEAD.encode(), tail, "bom.csv")


def test_a_bom_header_again_at_a_cut_over_other_units_is_refused_read_in_chunks(tmp_path):
    # before, in chunks: the units row a vessel_missing reject, the knots read as m s-1
    path, n = _bom_at_the_cut(tmp_path, "knots")
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, "chunks", 2, tmp_path)
    assert whole[0] == chunks[0] == "refused"
    assert whole[1] == chunks[1] and f"line {n + 4} is a units row" in whole[1]


def test_a_bom_header_again_at_a_cut_over_the_same_units_reads_as_whole(tmp_path):
    path, n = _bom_at_the_cut(tmp_path, "m s-1")
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, "chunks", 2, tmp_path)
    assert whole[0] == chunks[0] == {"repeated_header": 2}
    assert whole[1] == chunks[1] and whole[2] == chunks[2]
    res = read_tracks(path)
    assert sorted(res.rejects["row"].tolist()) == [n + 3, n + 4]
    np.testing.assert_allclose(np.unique(res.frame[SOG].to_numpy()), [5.0 * MPS_TO_KN])


def test_read_text_table_finds_a_bom_header_again(tmp_path):
    text = "\n".join([HEAD, *_rows(1, 50.1)]) + "\n\ufeff" + "\n".join([HEAD, *_rows(2, 50.3)])
    table = read_text_table(write_text(tmp_path, "b.csv", text + "\n"), header_again=True)
    assert table.bad_rows["row"].tolist() == [5]
    assert table.bad_rows["rule"].tolist() == ["repeated_header"]


# ------------------------------------------------------------ seizures: a column without a name


def test_a_seizures_header_reordered_beside_a_blank_named_column_is_refused(tmp_path):
    # a blank name is read as 'column_4', not 'Unnamed: 3': it stood in the set compared, the
    # second header's blank cell was no name, and its seizure at 13.4N 52.5E was read at
    # 52.5N 13.4E, exit 0
    lines = [
        "date,latitude,longitude,,drug",
        "2024-01-01,10.1,20.1,x,cocaine",
        "date,longitude,latitude,,drug",
        "2024-01-03,52.5,13.4,x,heroin",
    ]
    with pytest.raises(InputError, match=r"line 3 .*another order"):
        read_seizures(write_text(tmp_path, "s.csv", "\n".join(lines) + "\n"))


def test_a_seizures_header_again_beside_a_blank_named_column_is_a_repeated_header(tmp_path):
    lines = [
        "date,latitude,longitude,,drug",
        "2024-01-01,10.1,20.1,x,cocaine",
        "date,latitude,longitude,,drug",
        "2024-01-03,13.4,52.5,x,heroin",
    ]
    res = read_seizures(write_text(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert (res.n_read, len(res.frame), res.by_rule) == (3, 2, {"repeated_header": 1})
    np.testing.assert_allclose(np.sort(res.frame["lat"].to_numpy()), [10.1, 13.4])


# ------------------------------------------------------------ gaps the mutants showed


def test_a_header_again_with_blanks_around_its_names_is_a_repeated_header(tmp_path):
    # a hand-edited join pads the names: still the header, its units row compared
    lines = [HEAD, UNITS.format("m s-1"), *_rows(235000001, 50.1)]
    lines += [" time , latitude ,longitude,\tsog,mmsi ", UNITS.format("knots")]
    lines += _rows(235000002, 50.3, day=2)
    with pytest.raises(InputError, match="line 7 is a units row below the header repeated"):
        read_tracks(write_text(tmp_path, "b.csv", "\n".join(lines) + "\n"))
    lines[6] = UNITS.format("m s-1")
    res = read_tracks(write_text(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert (res.n_read, len(res.frame), res.by_rule) == (8, 6, {"repeated_header": 2})
    assert res.rejects["row"].tolist() == [6, 7]


_SECOND = [f"2023-01-02T00:{i}0:00Z,-1.4{i},50.3{i},5.0,235000002" for i in range(3)]


@pytest.mark.parametrize(
    ("second", "end"),
    [
        ('"time","longitude","latitude","sog","mmsi"', ""),
        ("TIME,LONGITUDE,LATITUDE,SOG,MMSI", ""),
        ("time,longitude,latitude,sog,mmsi,", ","),
    ],
    ids=["quoted", "upper-case", "records-ending-with-the-delimiter"],
)
def test_another_exports_header_reordered_in_its_own_shape_is_refused(tmp_path, second, end):
    # the other export quotes its names, writes them in upper case, or ends every line with
    # the delimiter (as this file's records do, below a header that does not)
    lines = [HEAD, *_rows(235000001, 50.1, end), second, *[r + end for r in _SECOND]]
    path = write_text(tmp_path, "r.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 5 .* names the header's columns in another order"):
        read_tracks(path)


@pytest.mark.parametrize(
    ("text", "notes", "lines"),
    [
        ('mmsi,note\n1,"a\nnote,mmsi\nb"\n2,y\n', ["a\nnote,mmsi\nb", "y"], [2, 5]),
        ('mmsi,note\n1,"a\nmmsi,"note"\nUTC,kg\n2,y\n', ['a\nmmsi,note"', "kg", "y"], [2, 4, 5]),
    ],
    ids=["reordered-inside-a-value", "units-below-a-header-line-ending-a-value"],
)
def test_header_lines_inside_a_quoted_value_are_part_of_it(tmp_path, text, notes, lines):
    # a line naming the columns reordered inside a note is no other export's header (not
    # refused); a units-like record below a header line that closes a note is a record
    table = read_text_table(write_text(tmp_path, "q.csv", text), header_again=True)
    assert table.frame["note"].tolist() == notes
    assert table.lines.tolist() == lines
    assert table.n_bad == 0


def test_a_reordered_header_below_a_title_and_units_row_is_refused_at_its_physical_line(tmp_path):
    # the title (line 1) and the units row (line 3) count: the header again is line 7
    lines = ["Vessel track export 2026-06-01", HEAD, UNITS.format("m s-1")]
    lines += [*_rows(235000001, 50.1), "time,longitude,latitude,sog,mmsi", *_SECOND]
    path = write_text(tmp_path, "t.csv", "\n".join(lines) + "\n")
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, "chunks", 2, tmp_path)
    assert whole[0] == chunks[0] == "refused"
    assert whole[1] == chunks[1] and "line 7 'time,longitude,latitude,sog,mmsi'" in whole[1]


def test_a_header_line_closing_a_quoted_value_at_a_cut_stays_in_its_piece(tmp_path):
    # the piece's last line is the header's names after a quote opened the line above:
    # the piece's end is a record's end as the reader finds it; whole and in chunks alike
    last = b'2023-01-01T23:00:00Z,50.1,-1.2,5.0,"235000001\ntime,latitude,longitude,sog,"mmsi"'
    path, _ = _at_the_cut(tmp_path, last, _rows(235000002, 50.3, day=2))
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, "chunks", 2, tmp_path)
    assert whole[0] == chunks[0]
    assert whole[1] == chunks[1] and whole[2] == chunks[2]


@pytest.mark.parametrize("how", ["chunks", "parts"])
def test_a_file_ending_with_its_header_again_reads_as_whole_in_chunks(tmp_path, how):
    lines = [HEAD, *_rows(235000001, 50.1), *_rows(235000002, 50.3, day=2), HEAD]
    path = write_text(tmp_path, "e.csv", "\n".join(lines) + "\n")
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, how, 2, tmp_path)
    assert whole[0] == chunks[0] == {"repeated_header": 1}
    assert whole[2] == chunks[2]


def test_a_seizures_record_of_column_names_short_of_the_set_is_a_record(tmp_path):
    # every named column holds a name, but 'longitude' is none of them: no header reordered
    lines = [
        "date,latitude,longitude,drug",
        "2024-01-01,10.1,20.1,cocaine",
        "date,latitude,latitude,drug",
        "2024-01-03,13.4,52.5,heroin",
    ]
    res = read_seizures(write_text(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert (res.n_read, len(res.frame)) == (3, 2)
    assert res.rejects["row"].tolist() == [3]


def test_a_workbooks_header_reordered_beside_an_unnamed_column_is_refused(tmp_path):
    # pandas names a workbook's blank header cell 'Unnamed: 3': left out of the set compared
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [
        ["date", "latitude", "longitude", None, "drug"],
        ["2024-01-01", 10.1, 20.1, "x", "cocaine"],
        ["date", "longitude", "latitude", None, "drug"],
        ["2024-01-03", 52.5, 13.4, "x", "heroin"],
    ]:
        sheet.append(row)
    path = tmp_path / "s.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"line 3 .*another order"):
        read_seizures(path)
