"""A column of clocks written mostly as HHMM digits is named, not lost unsaid (hGM's M38).

The time-of-day search by values passes over a column that reads as numbers (a quantity of
1430 is no clock), so ``0930`` x17 beside ``14:20`` x3 under a header naming no clock was
never the records' time of day and no note said so: every record kept its date only.  The
written clocks among the digits now make a note that names the column and the setting that
takes it; a column of numbers without a written clock gets no such note.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.ingest import read_seizures


def _write(path, clocks: list[str]):
    rows = ["date,Slot,lat,lon"] + [
        f"2024-03-{1 + k:02d},{c},{10 + k * 0.1:.2f},{50 + k * 0.1:.2f}"
        for k, c in enumerate(clocks)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def _digits_and_clocks() -> list[str]:
    return ["14:20" if k % 7 == 3 else f"{9 + k % 8:02d}{(k * 7) % 60:02d}" for k in range(20)]


def test_hhmm_digits_beside_written_clocks_are_named_with_the_setting(tmp_path):
    res = read_seizures(_write(tmp_path / "s.csv", _digits_and_clocks()))
    said = [n for n in res.notes if "'Slot'" in n]
    assert len(said) == 1
    assert "HHMM digits" in said[0] and "time_of_day" in said[0] and "date only" in said[0]
    # unchanged otherwise: the records keep their dates at midnight
    assert [t.time() for t in res.frame["time"]] == [dt.time(0, 0)] * 20


def test_the_setting_the_note_names_reads_the_clocks(tmp_path):
    from pipeline.ingest.options import SeizureSource

    path = _write(tmp_path / "s.csv", _digits_and_clocks())
    res = read_seizures(SeizureSource(path=path, columns={"time_of_day": "Slot"}))
    want = [
        dt.datetime.combine(dt.date(2024, 3, 1 + k), dt.time(*map(int, c.split(":"))))
        if ":" in c
        else dt.datetime.combine(dt.date(2024, 3, 1 + k), dt.time(int(c[:2]), int(c[2:])))
        for k, c in enumerate(_digits_and_clocks())
    ]
    assert [t.replace(tzinfo=None) for t in res.frame["time"]] == want


@pytest.mark.parametrize(
    "values",
    [
        [str(900 + 37 * k) for k in range(20)],
        [f"{9 + k % 8:02d}{(k * 7) % 60:02d}" for k in range(20)],
    ],
    ids=["quantities", "digits-only"],
)
def test_numbers_without_a_written_clock_get_no_such_note(tmp_path, values):
    res = read_seizures(_write(tmp_path / "s.csv", values))
    assert not [n for n in res.notes if "HHMM digits" in n]
