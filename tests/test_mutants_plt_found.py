"""Gaps a mutation pass over ``pipeline/ingest/_plt.py`` (OziExplorer / Geolife ``.plt``) found (hHD).

Moments are worked with :mod:`datetime` (a Delphi day count is days since 1899-12-30, in
which 1900 is no leap year: day 60 is 1900-02-28, day 61 1900-03-01), never with the code
under test.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipeline.errors import InputError
from pipeline.ingest._plt import read_plt_points

_HEAD = (
    "OziExplorer Track Point File Version 2.1\r\n{datum}\r\nAltitude is in Feet\r\n"
    "Reserved 3\r\n0,2,255,MV Alpha,0,0,2,8421376\r\n2\r\n"
)


def _points(days: str, datum: str = "WGS 84"):
    text = _HEAD.format(datum=datum) + f"-33.85943,151.21116,0,-777,{days}\r\n"
    text += "-33.85953,151.21126,0,-777,40179.5\r\n"
    return read_plt_points(text.encode(), "log.plt")


def _iso(days: float) -> str:
    at = datetime(1899, 12, 30) + timedelta(days=days)
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


@pytest.mark.parametrize(
    "days",
    ["2", "60", "61", "2958465"],
    ids=["first-of-1900", "day-60", "day-61", "last-of-9999"],
)
def test_the_day_counts_of_the_years_1900_to_9999_are_read_to_their_ends(days):
    got = _points(days)
    assert got.frame["time"].tolist() == [_iso(float(days)), _iso(40179.5)]
    assert _iso(2.0) == "1900-01-01 00:00:00.000"
    assert _iso(2958465.0) == "9999-12-31 00:00:00.000"
    assert _iso(60.0)[:10] == "1900-02-28" and _iso(61.0)[:10] == "1900-03-01"


@pytest.mark.parametrize("days", ["1.5", "2958466"], ids=["before-1900", "after-9999"])
def test_a_day_count_outside_those_years_is_said_as_written_not_read(days):
    got = _points(days)
    assert got.frame["time"].tolist() == [f"day count {days}", _iso(40179.5)]


@pytest.mark.parametrize(
    "datum", ["WGS 84", "wgs84", "WGS-84", "Wgs_84"], ids=["plain", "lower", "dash", "under"]
)
def test_wgs_84_is_read_however_spelled(datum):
    assert len(_points("40179.25", datum).frame) == 2


@pytest.mark.parametrize("datum", ["Tokyo", "WGS 72", "European 1950"], ids=str)
def test_another_datum_is_refused(datum):
    with pytest.raises(InputError, match="only WGS 84 is read"):
        _points("40179.25", datum)


def test_a_file_whose_second_line_is_a_point_is_refused_for_its_datum_line():
    # line 2 is the datum's: a point there says no datum, refused with its text (a mutant
    # that began the points at line 2 failed with an IndexError)
    text = "OziExplorer Track Point File Version 2.1\n-33.85943,151.21116,0,-777,40179.5\n"
    text += "-33.85953,151.21126,0,-777,40179.6\n"
    with pytest.raises(InputError, match="datum '-33.85943'"):
        read_plt_points(text.encode(), "log.plt")


@pytest.mark.parametrize("blank", ["", "\r\n"], ids=["adjacent", "blank-line-between"])
def test_a_tie_of_five_and_seven_field_lines_is_decided_by_the_first_point(blank):
    # a blank line after the header says nothing (it is not a first line of no fields)
    text = _HEAD.format(datum="WGS 84") + blank
    at = 7 + len(blank) // 2
    text += "-33.85943,151.21116,0,-777,40179.5,2010-01-01,12:00:00\r\n"  # line 7 (8)
    text += "-33.85953,151.21126,0,-777,40179.6\r\n"
    text += "-33.85963,151.21136,0,-777,40179.7,2010-01-01,16:48:00\r\n"
    text += "-33.85973,151.21146,0,-777,40179.8\r\n"
    got = read_plt_points(text.encode(), "log.plt")
    assert got.frame["line"].tolist() == [at, at + 2]
    assert got.frame["time"].tolist() == [_iso(40179.5), _iso(40179.7)]
    assert got.rejects["row"].tolist() == [at + 1, at + 3]


def test_a_count_that_a_rejected_line_makes_up_says_no_file_cut_short():
    text = _HEAD.format(datum="WGS 84")  # line 6 says 2 points
    text += "-33.85943,151.21116,0,-777,40179.5\r\n-33.85953,151.21126,0\r\n"
    got = read_plt_points(text.encode(), "log.plt")
    assert len(got.frame) == 1 and got.rejects["row"].tolist() == [8]
    assert not any("cut short" in n for n in got.notes)


def test_a_short_track_line_of_whole_numbers_is_a_header_line_not_a_point():
    # a track line cut to five fields ('0,2,255,Track 7,1') has the shape of a point line
    # but no decimals in its first two fields: taken for a point it was one at (0, 2)
    text = _HEAD.format(datum="WGS 84").replace(
        "0,2,255,MV Alpha,0,0,2,8421376", "0,2,255,Track 7,1"
    )
    text += "-33.85943,151.21116,0,-777,40179.5\r\n-33.85953,151.21126,0,-777,40179.6\r\n"
    got = read_plt_points(text.encode(), "log.plt")
    assert got.track_name == "Track 7"
    assert got.frame["line"].tolist() == [7, 8] and got.rejects.empty
    assert got.frame["lat"].tolist() == ["-33.85943", "-33.85953"]
