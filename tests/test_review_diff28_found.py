"""Review of the 48 commits 2bedd4a..671d486 for quiet wrong values: what was found.

A track CSV of ERDDAP exports joined end to end is refused when a repeated header's units
row names other units than the first one's, and when the first header has none and the
repeated one has one.  The case turned round was read: a first export with its units row
(``m s-1``) joined to an export of the same columns without one (another tool's, knots) had
the second export's speeds read in the first one's units, 5 kn read as 9.72 kn, exit 0.
Such a repeated header is now refused naming its line, read whole, in chunks and as a Dask
run's tasks.  The seizures reader had the same gap (a second export's 1500 kg, under no
units row, read as 1.5 kg under the first one's ``g``), refused the same way.
"""

from __future__ import annotations

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, write_text
from _ingest_stage import track_outcome

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks

pytestmark = IGNORE_PENDING_DEPRECATION

ERDDAP_HEAD = "time,latitude,longitude,sog,mmsi"


def _export(unit: str | None, mmsi: int, lat0: float) -> list[str]:
    rows = [f"2023-01-01T00:{i}0:00Z,{lat0 + i / 100:.2f},-1.2{i},5.0,{mmsi}" for i in range(3)]
    units = [f"UTC,degrees_north,degrees_east,{unit},"] if unit else []
    return [ERDDAP_HEAD, *units, *rows]


def test_a_repeated_track_header_without_the_first_ones_units_row_is_refused(tmp_path):
    # before: the second export's 5 kn read under the first one's 'm s-1' as 9.72 kn, exit 0
    lines = _export("m s-1", 235000001, 50.1) + _export(None, 235000002, 50.3)
    path = write_text(tmp_path, "j.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"line 6 is the header repeated .* no units row"):
        read_tracks(path)
    for how, rows in (("chunks", 2), ("chunks", 3), ("chunks", 4), ("parts", 2)):
        got = track_outcome(path, how, rows, tmp_path / f"{how}{rows}")
        assert got[0] == "refused" and "line 6 is the header repeated" in got[1]


def test_a_repeated_track_header_at_the_end_or_with_the_same_units_is_no_refusal(tmp_path):
    # nothing read below the last line; the same units row below it is the header again
    last = _export("m s-1", 235000001, 50.1) + [ERDDAP_HEAD]
    res = read_tracks(write_text(tmp_path, "e.csv", "\n".join(last) + "\n"))
    assert (res.n_read, len(res.frame), res.by_rule) == (4, 3, {"repeated_header": 1})
    same = _export("m s-1", 235000001, 50.1) + _export("m s-1", 235000002, 50.3)
    res = read_tracks(write_text(tmp_path, "s.csv", "\n".join(same) + "\n"))
    assert (res.n_read, len(res.frame), res.by_rule) == (8, 6, {"repeated_header": 2})
    # neither export with a units row: a plain repeated header, as before
    plain = _export(None, 235000001, 50.1) + _export(None, 235000002, 50.3)
    res = read_tracks(write_text(tmp_path, "p.csv", "\n".join(plain) + "\n"))
    assert (res.n_read, len(res.frame), res.by_rule) == (7, 6, {"repeated_header": 1})


SEIZURE_HEAD = "time,latitude,longitude,drug,quantity"
GRAMS = [
    SEIZURE_HEAD,
    "UTC,degrees_north,degrees_east,,g",
    "2024-01-01T00:00:00Z,10.1,20.1,coke,300",
    "2024-01-02T00:00:00Z,10.2,20.2,coke,1500",
]


def test_a_repeated_seizure_header_without_the_first_ones_units_row_is_refused(tmp_path):
    # before: the second export's 1500 (kg) read under the first one's 'g' as 1.5 kg, exit 0
    lines = [*GRAMS, SEIZURE_HEAD, "2024-01-03T00:00:00Z,10.3,20.3,coke,1500"]
    path = write_text(tmp_path, "s.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"line 5 is the header repeated .* no units row"):
        read_seizures(path)


def test_a_repeated_seizure_header_with_the_same_units_row_or_last_is_read(tmp_path):
    same = [*GRAMS, SEIZURE_HEAD, GRAMS[1], "2024-01-03T00:00:00Z,10.3,20.3,coke,1500"]
    res = read_seizures(write_text(tmp_path, "s.csv", "\n".join(same) + "\n"))
    assert (res.n_read, len(res.frame)) == (5, 3)
    assert sorted(res.frame["quantity"].round(9).tolist()) == [0.3, 1.5, 1.5]
    last = [*GRAMS, SEIZURE_HEAD]
    res = read_seizures(write_text(tmp_path, "e.csv", "\n".join(last) + "\n"))
    assert (res.n_read, len(res.frame)) == (3, 2)
    # the header twice in a row: the units row below the second one is compared
    twice = [*GRAMS, SEIZURE_HEAD, *same[4:]]
    res = read_seizures(write_text(tmp_path, "t.csv", "\n".join(twice) + "\n"))
    assert (res.n_read, len(res.frame)) == (6, 3)
    # neither export with a units row: a plain repeated header, as before
    plain = [GRAMS[0], *GRAMS[2:], SEIZURE_HEAD, same[-1]]
    res = read_seizures(write_text(tmp_path, "p.csv", "\n".join(plain) + "\n"))
    assert (res.n_read, len(res.frame)) == (4, 3)
    assert sorted(res.frame["quantity"].round(9).tolist()) == [300.0, 1500.0, 1500.0]


@pytest.mark.parametrize(
    "header",
    ["time,latitude,longitude,sog,mmsi", "time,latitude,longitude,sog,mmsi,,"],
    ids=["named", "excel-blank-columns"],
)
def test_a_spreadsheets_blank_rows_are_not_parsed_one_by_one_for_a_reordered_header(
    monkeypatch, header
):
    # every blank row (',,,,') matched the reordered header's pattern and was parsed by the
    # csv module in a Python loop: 200,000 of them took 4 s of a read, now none
    import csv as csv_module

    from pipeline.ingest import _common

    calls = []

    class Counting:
        Error = csv_module.Error

        @staticmethod
        def reader(*args, **kwargs):
            calls.append(1)
            return csv_module.reader(*args, **kwargs)

    monkeypatch.setattr(_common, "csv", Counting)
    blank = "," * header.count(",")
    rows = [f"2023-01-01T00:0{i}:00Z,50.1,-1.2,5.0,235000001" for i in range(3)]
    other = "mmsi,time,latitude,longitude,sog" + header[len("time,latitude,longitude,sog,mmsi") :]
    text = "\n".join([header, *rows, *[blank] * 500, other]) + "\n"
    found = _common._headers_reordered(text.encode(), ",")
    assert [line for line, _ in found] == [505]
    assert len(calls) == 2  # the header's line and the reordered one's


def _ambiguous_then(tmp_path, second: list[str]):
    """An ERDDAP export whose first 64 KiB piece leaves the date order open, ``second`` below.

    The read in chunks scans the later pieces for the order (day 13 decides): that scan is
    the first read of the repeated header below.
    """
    rows = [
        f"{1 + i // 1440 % 12:02d}/{1 + i // 200 % 9:02d}/2023 {i // 60 % 24:02d}:{i % 60:02d}:00,"
        f"{50 + i / 100000:.5f},-1.2{i % 10},5.0,235000001"
        for i in range(2000)
    ]
    later = [f"13/01/2023 00:{i}0:00,50.3{i},-1.4{i},5.0,235000002" for i in range(3)]
    lines = [ERDDAP_HEAD, "UTC,degrees_north,degrees_east,m s-1,", *rows, *second, *later]
    path = write_text(tmp_path, "scan.csv", "\n".join(lines) + "\n")
    assert path.stat().st_size > 1 << 16  # the repeated header is in a later piece
    return path


@pytest.mark.parametrize(
    ("second", "said"),
    [
        ([ERDDAP_HEAD], "line 2003 is the header repeated"),
        ([ERDDAP_HEAD, "UTC,degrees_north,degrees_east,knots,"], "line 2004 is a units row"),
        (["time,longitude,latitude,sog,mmsi"], "line 2003 'time,longitude,latitude,sog,mmsi'"),
    ],
    ids=["no-units-row", "other-units", "reordered"],
)
def test_a_refusal_met_by_a_whole_file_scan_of_a_later_piece_names_the_files_line(
    tmp_path, second, said
):
    # before: the date-order scan read the later piece without its line offset and the
    # refusal named the piece's line (666 for the file's 2003)
    path = _ambiguous_then(tmp_path, second)
    whole = track_outcome(path, "whole", 0, tmp_path)
    chunks = track_outcome(path, "chunks", 500, tmp_path)
    assert whole[0] == chunks[0] == "refused"
    assert said in whole[1] and whole[1] == chunks[1]
