"""A record dated only to a month, week or year that holds ``as_of`` is kept with a note.

``2024-12`` is placed on the 1st (noted as month precision) and so passed an ``as_of`` of
2024-12-05 unremarked, though the seizure may have been on the 20th, outside the map's time
(the twenty-second session's left-alone item).  Such records are still kept (rejecting them
would drop the ones that did happen by the 5th), and the summary now says how many, with an
example, and the assumptions count them.
"""

from __future__ import annotations

import pytest
from _corpus import assert_accounted, write_lines

from pipeline.ingest import read_seizures

ROWS = {
    "2024-12": True,  # December holds the 5th
    "2024": True,
    "2024-W49": True,  # Monday 2 December to Sunday 8 December
    "December 2024": True,
    "2024-11": False,  # ends before as_of
    "2024-W48": False,  # 25 Nov - 1 Dec
    "2024-12-03": False,  # a day: no period
    "2024-12-05T23:00:00Z": False,
    "2025": None,  # after as_of: rejected, not noted
}


def _read(tmp_path, as_of, rows):
    lines = ["date,lat,lon,drug", *(f"{d},12.5,-70.2,cocaine" for d in rows)]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines), as_of=as_of)
    assert_accounted(res)
    return res


def _note(res) -> str | None:
    found = [n for n in res.notes if "that holds as_of" in n]
    assert len(found) <= 1
    return found[0] if found else None


def test_periods_holding_as_of_are_counted_and_kept(tmp_path):
    res = _read(tmp_path, "2024-12-05", ROWS)
    want = sum(v is True for v in ROWS.values())
    note = _note(res)
    assert note is not None
    assert f"{want} record(s) dated only to a month, week or year" in note
    assert "'2024-12'" in note
    assert res.assumptions["dates"]["periods_holding_as_of"] == want
    # kept: everything but the year after as_of
    assert len(res.frame) == len(ROWS) - 1
    assert res.rejects["rule"].tolist() == ["after_as_of"]


@pytest.mark.parametrize(
    ("as_of", "value"),
    [
        ("2024-11-30", "2024-11"),  # the month ends where as_of's day ends
        ("2024-12-31", "2024"),
        ("2024-12-01", "2024-W48"),  # the week's last day
    ],
    ids=["month-end", "year-end", "week-end"],
)
def test_a_period_ending_with_as_of_s_day_is_not_noted(tmp_path, as_of, value):
    assert _note(_read(tmp_path, as_of, [value, "2024-01-02"])) is None


@pytest.mark.parametrize("as_of", ["2024-12-31T23:59:58", "2024-12-31T23:59:59"])
def test_an_as_of_instant_before_the_period_s_end_is_noted(tmp_path, as_of):
    # an as_of with a clock is that instant: December runs on past 23:59:59 by a second
    assert _note(_read(tmp_path, as_of, ["2024-12", "2024-01-02"])) is not None


def test_no_note_without_as_of(tmp_path):
    assert _note(_read(tmp_path, None, list(ROWS))) is None
