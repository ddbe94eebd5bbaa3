"""Track CSVs as exports and spreadsheets shape them: title lines, group rows, joined files.

A track CSV with a title line above its header (``Vessel track export 2026-06-01``, a
MarineTraffic-style report name and date) or an Excel row of merged column groups
(``Position;;Time;;Vessel;;``) was refused: the title was taken for the header ("no
latitude/longitude columns among ['Vessel track export 2026-06-01']"), while the seizures
reader skips such lines.  Track exports joined end to end (``cat a.csv b.csv``) kept the
second header as a record (rejected as ``mmsi_invalid``, or read into the column
recognition), and a second ERDDAP units row below it was never looked at: the second
export's speeds in ``knots`` were read under the first one's ``m s-1``, 1.94 times too fast
(5 kn read as 9.72 kn), exit 0, the units row itself rejected as ``vessel_missing``.

The tracks reader now skips title lines and a group row as the seizures reader does (lines
stay physical), rejects a repeated header and a units row below it naming the same units as
``repeated_header`` (read = accepted + rejected), and refuses in one line a units row below a
repeated header naming other units.  Read in chunks, a cut between a repeated header and its
units row no longer drops the units row unseen as a chunk's own units row.
"""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, write_text
from _ingest_stage import track_outcome
from test_erddap_units_row_found import MPS_TO_KN

from pipeline.errors import InputError
from pipeline.ingest import read_tracks
from pipeline.ingest._common import read_text_table
from pipeline.schema import SOG

pytestmark = IGNORE_PENDING_DEPRECATION

HEADER = "mmsi,time,latitude,longitude,sog"
PINGS = [
    f"23500000{v},2023-01-01T00:{i}0:00Z,50.{v}{i},-1.2{i},{4 + v}.0"
    for v in (1, 2)
    for i in range(3)
]


def _sorted_sog(res) -> list[float]:
    return np.sort(res.frame[SOG].to_numpy()).tolist()


# ------------------------------------------------------------------ title lines, group rows


@pytest.mark.parametrize(
    "above",
    [
        ["Vessel track export 2026-06-01,,,,"],
        ["MarineTraffic - Vessel Positions Report", "Generated: 2026-06-01 10:00 UTC", ""],
    ],
    ids=["title-commas", "report-title-date-blank"],
)
def test_title_lines_above_a_tracks_header_are_skipped_lines_stay_physical(tmp_path, above):
    bad = "235000001,2023-01-01T00:30:00Z,95.0,-1.23,5.0"  # a latitude of 95, at its line
    path = write_text(tmp_path, "t.csv", "\n".join([*above, HEADER, *PINGS, bad]) + "\n")
    res = read_tracks(path)
    first = len(above) + 2
    assert (res.n_read, len(res.frame), len(res.rejects)) == (7, 6, 1)
    assert sorted(res.lines.tolist()) == list(range(first, first + 6))
    assert res.rejects["row"].tolist() == [first + 6]
    assert _sorted_sog(res) == [5.0] * 3 + [6.0] * 3
    assert res.assumptions["header_line"] == len(above) + 1
    assert any("skipped as a title" in n for n in res.notes)


def _excel(rows: list[str], above: list[str]) -> str:
    head = "latitude;longitude;time;sog;mmsi;;"
    body = []
    for r in rows:
        mmsi, t, lat, lon, sog = r.split(",")
        body.append(";".join([lat.replace(".", ","), lon.replace(".", ","), t, sog, mmsi]) + ";;")
    return "\r\n".join([*above, head, *body]) + "\r\n"


@pytest.mark.parametrize(
    "above",
    [["Position;;Time;;Vessel;;"], ["Track report;;;;;;", "Position;;Time;;Vessel;;"]],
    ids=["groups", "title-groups"],
)
def test_an_excel_group_row_above_a_tracks_header_is_skipped(tmp_path, above):
    path = write_text(tmp_path, "g.csv", "\ufeff" + _excel(PINGS, above))
    res = read_tracks(path)
    first = len(above) + 2
    assert (res.n_read, len(res.frame), res.by_rule) == (6, 6, {})
    assert sorted(res.lines.tolist()) == list(range(first, first + 6))
    np.testing.assert_allclose(
        np.sort(res.frame["lat"].to_numpy()), [50.10, 50.11, 50.12] + [50.20, 50.21, 50.22]
    )
    assert res.assumptions["header_line"] == len(above) + 1


def test_a_units_row_below_a_title_and_header_is_read_at_its_line(tmp_path):
    head = "time,latitude,longitude,sog,mmsi"
    rows = [f"2023-01-01T00:{i}0:00Z,50.1{i},-1.2{i},5.0,235000001" for i in range(3)]
    lines = ["ERDDAP export", head, "UTC,degrees_north,degrees_east,m s-1,", *rows]
    res = read_tracks(write_text(tmp_path, "u.csv", "\n".join(lines) + "\n"))
    assert (res.n_read, len(res.frame), res.by_rule) == (3, 3, {})
    assert res.assumptions["units_row"]["line"] == 3
    assert sorted(res.lines.tolist()) == [4, 5, 6]
    np.testing.assert_allclose(res.frame[SOG].to_numpy(), [5.0 * MPS_TO_KN] * 3)


# ------------------------------------------------------------------ exports joined end to end

ERDDAP_HEAD = "time,latitude,longitude,sog,mmsi"


def _erddap(unit: str, mmsi: int, lat0: float) -> list[str]:
    rows = [f"2023-01-01T00:{i}0:00Z,{lat0 + i / 100:.2f},-1.2{i},5.0,{mmsi}" for i in range(3)]
    return [ERDDAP_HEAD, f"UTC,degrees_north,degrees_east,{unit},", *rows]


def test_units_rows_of_track_exports_joined_end_to_end_naming_other_units_are_refused(tmp_path):
    # before: the second export's 5 knots read under the first one's 'm s-1' as 9.72 kn
    lines = _erddap("m s-1", 235000001, 50.1) + _erddap("knots", 235000002, 50.3)
    path = write_text(tmp_path, "j.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"line 7 is a units row below the header repeated"):
        read_tracks(path)
    for rows in (2, 3, 4):  # the cut before, at and after the repeated header
        got = track_outcome(path, "chunks", rows, tmp_path / f"c{rows}")
        assert got[0] == "refused" and "line 7" in got[1]


def test_a_units_row_below_a_repeated_header_but_none_below_the_first_is_refused(tmp_path):
    lines = [ERDDAP_HEAD, *_erddap("m s-1", 235000001, 50.1)[2:]] + _erddap(
        "m s-1", 235000002, 50.3
    )
    with pytest.raises(InputError, match="line 6 .* the first one names 'none'"):
        read_tracks(write_text(tmp_path, "n.csv", "\n".join(lines) + "\n"))


def test_a_repeated_header_and_its_units_row_naming_the_same_units_are_rejected(tmp_path):
    lines = _erddap("m s-1", 235000001, 50.1) + _erddap("m s-1", 235000002, 50.3)
    res = read_tracks(write_text(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert (res.n_read, len(res.frame), res.by_rule) == (8, 6, {"repeated_header": 2})
    assert res.rejects["row"].tolist() == [6, 7]
    assert res.rejects["value"].tolist() == [ERDDAP_HEAD, "UTC,degrees_north,degrees_east,m s-1,"]
    np.testing.assert_allclose(res.frame[SOG].to_numpy(), [5.0 * MPS_TO_KN] * 6)
    assert sorted(res.lines.tolist()) == [3, 4, 5, 8, 9, 10]


def test_a_plain_repeated_header_is_one_repeated_header_reject(tmp_path):
    # before: rejected as 'mmsi_invalid' (its MMSI 'mmsi'), said as a bad vessel id
    path = write_text(tmp_path, "p.csv", "\n".join([HEADER, *PINGS[:3], HEADER, *PINGS[3:]]) + "\n")
    res = read_tracks(path)
    assert (res.n_read, len(res.frame), res.by_rule) == (7, 6, {"repeated_header": 1})
    assert res.rejects["row"].tolist() == [5]
    assert _sorted_sog(res) == [5.0] * 3 + [6.0] * 3


PIECE = 1 << 16  # a chunk's piece is at least 64 KiB, cut at the last line end in it
SECOND = [f"2023-01-02T00:{i}0:00Z,50.3{i},-1.4{i},5.0,235000002" for i in range(3)] + ["x,y"]


def write_cut_at(path, head: bytes, last: bytes, tail: list[str]):
    """Write ``head``, ERDDAP records and the line ``last`` ending the first 64 KiB piece.

    ``tail`` follows below the cut; returns the path and the number of records above ``last``.
    """
    rec = "2023-01-01T{h:02d}:{m:02d}:{s:02d}Z,50.1{pad},-1.2,5.0,235000001\n"
    size = len(rec.format(h=0, m=0, s=0, pad=""))
    n, rest = divmod(PIECE - len(head) - len(last) - 1, size)
    body = [
        rec.format(h=i // 3600, m=i // 60 % 60, s=i % 60, pad="0" * rest if i == n - 1 else "")
        for i in range(n)
    ]
    data = head + "".join(body).encode() + last + b"\n"
    assert data.rfind(b"\n", 0, PIECE) == len(data) - 1 == PIECE - 1  # the cut is there
    path.write_bytes(data + ("\n".join(tail) + "\n").encode())
    return path, n


def _at_the_cut(tmp_path, last: str, tail: list[str]):
    """A titled ERDDAP export whose first piece ends with the line ``last``, ``tail`` below."""
    top = ["Vessel track export 2026-06-01", ERDDAP_HEAD, "UTC,degrees_north,degrees_east,m s-1,"]
    head = ("\n".join(top) + "\n").encode()
    return write_cut_at(tmp_path / "cut.csv", head, last.encode(), tail)


@pytest.mark.parametrize("how", ["chunks", "parts"])
def test_a_cut_between_a_repeated_header_and_its_units_row_reads_as_whole(tmp_path, how):
    # cut there, the units row was the next chunk's first line: read as a record below the
    # file's header (or before, dropped unseen as that chunk's own units row)
    path, n = _at_the_cut(tmp_path, ERDDAP_HEAD, ["UTC,degrees_north,degrees_east,m s-1,", *SECOND])
    whole = track_outcome(path, "whole", 0, tmp_path, "header_line")
    chunks = track_outcome(path, how, 2, tmp_path, "header_line")
    assert whole[0] == chunks[0] == {"ragged_row": 1, "repeated_header": 2}
    assert whole[1] == chunks[1]  # the pings, bytes
    assert whole[2] == chunks[2]  # the rejects, bytes
    assert whole[4] == chunks[4] == 2
    res = read_tracks(path)
    assert res.n_read == n + 3 + 3 and len(res.frame) == n + 3
    assert sorted(res.rejects["row"].tolist()) == [n + 4, n + 5, n + 9]
    np.testing.assert_allclose(np.unique(res.frame[SOG].to_numpy()), [5.0 * MPS_TO_KN])


def test_a_cut_between_a_repeated_header_and_other_units_is_refused_as_whole(tmp_path):
    path, n = _at_the_cut(tmp_path, ERDDAP_HEAD, ["UTC,degrees_north,degrees_east,knots,", *SECOND])
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, "chunks", 2, tmp_path)
    assert whole[0] == chunks[0] == "refused"
    assert whole[1] == chunks[1] and f"line {n + 5} is a units row" in whole[1]


def test_a_chunk_starting_with_a_units_like_record_keeps_it_as_a_record(tmp_path):
    # a later chunk's first line was looked at as that chunk's own units row: a record of
    # 'UTC' and 'm s-1' alone (its vessel and position missing) was dropped unseen, read
    # whole it is a record, rejected
    last = "2023-01-01T23:00:00Z,50.1,-1.2,5.0,235000001"
    path, n = _at_the_cut(tmp_path, last, ["UTC,,,m s-1,", *SECOND])
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, "chunks", 2, tmp_path)
    assert whole[0] == chunks[0] == {"ragged_row": 1, "vessel_missing": 1}
    assert whole[2] == chunks[2]


def test_read_text_table_keeps_a_header_repeated_inside_a_quoted_value(tmp_path):
    text = 'mmsi,note\n1,"two lines\nmmsi,note\nend"\n2,x\nmmsi,note\n3,y\n'
    table = read_text_table(write_text(tmp_path, "q.csv", text), header_again=True)
    assert table.frame["mmsi"].tolist() == ["1", "2", "3"]
    assert table.frame["note"].tolist()[0] == "two lines\nmmsi,note\nend"
    assert table.lines.tolist() == [2, 5, 7]
    assert table.bad_rows["row"].tolist() == [6]
    assert table.bad_rows["rule"].tolist() == ["repeated_header"]


def test_a_half_quoted_header_line_is_no_header_again(tmp_path):
    text = 'mmsi,note\n1,x\nmmsi,"note\nUTC,kg"\n2,y\n'
    table = read_text_table(write_text(tmp_path, "h.csv", text), header_again=True)
    assert table.frame["note"].tolist() == ["x", "note\nUTC,kg", "y"]
    assert table.n_bad == 0


def test_a_repeated_header_in_other_case_with_other_units_is_refused(tmp_path):
    # another tool's export of the same columns, upper case: its units row is compared too
    second = [ERDDAP_HEAD.upper(), *_erddap("knots", 235000002, 50.3)[1:]]
    lines = _erddap("m s-1", 235000001, 50.1) + second
    with pytest.raises(InputError, match="line 7 is a units row"):
        read_tracks(write_text(tmp_path, "c.csv", "\n".join(lines) + "\n"))


def test_an_export_of_other_column_order_joined_end_to_end_is_refused(tmp_path):
    # before: the second export's header a record (rejected as mmsi_invalid) and its
    # records read under the first header: latitude -1.4 and longitude 50.3, exit 0
    first = [ERDDAP_HEAD, *_erddap("m s-1", 235000001, 50.1)[2:]]
    second = ["time,longitude,latitude,sog,mmsi"]
    second += [f"2023-01-02T00:{i}0:00Z,-1.4{i},50.3{i},5.0,235000002" for i in range(3)]
    path = write_text(tmp_path, "o.csv", "\n".join(first + second) + "\n")
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, "chunks", 2, tmp_path)
    assert whole[0] == chunks[0] == "refused"
    assert whole[1] == chunks[1] and "line 5 'time,longitude,latitude,sog,mmsi'" in whole[1]
