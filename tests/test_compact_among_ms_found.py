"""Twelve digits among epoch milliseconds that spell a compact date are refused, not 1976.

Before (hGH's finding): a seizure file whose time column held epoch milliseconds and a few
values written ``yyyymmddHHMM`` (``200103011430``, 1 March 2001 14:30) read those as
milliseconds: 1976-05-06, kept without a word by the seizures reader.  Twelve-digit epoch
milliseconds that spell a valid date all lie in January-August 1976, so such a value is
either; it is rejected with a note.  Expected instants come from ``datetime`` by hand.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.ingest import read_seizures

UTC = dt.UTC


def _ms(*args) -> str:
    return str(int(dt.datetime(*args, tzinfo=UTC).timestamp() * 1000))


def _write(tmp_path, times: list[str]):
    frame = pd.DataFrame(
        {
            "time": times,
            "lat": [1.0 + 0.01 * i for i in range(len(times))],
            "lon": [10.0 + 0.01 * i for i in range(len(times))],
            "drug": "cocaine",
        }
    )
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    return path


def test_compact_dates_among_twelve_digit_milliseconds_are_rejected(tmp_path):
    epochs = [_ms(2000, 6, d) for d in range(1, 7)]  # 12 digits, none spelling a date
    compact = ["200103011430", "199912312359"]
    res = read_seizures(_write(tmp_path, epochs + compact))
    assert res.n_read == 8
    assert res.by_rule == {"date_unparseable": 2}
    got = sorted(t.to_pydatetime() for t in res.frame["time"].dt.tz_convert("UTC"))
    assert got == [dt.datetime.fromtimestamp(int(e) / 1000, UTC) for e in epochs]
    assert any("yyyymmddHHMM" in n and "1976" in n for n in res.notes)


def test_twelve_digit_dates_beside_thirteen_digit_milliseconds_are_dates(tmp_path):
    # every 12-digit value spells a date and no 12-digit value is a millisecond here: the
    # column's 12-digit numbers are dates (noted), as before
    epochs = [_ms(2024, 3, d) for d in range(1, 7)]
    res = read_seizures(_write(tmp_path, epochs + ["200103011430", "199912312359"]))
    assert not res.by_rule
    want = [dt.datetime.fromtimestamp(int(e) / 1000, UTC) for e in epochs]
    want += [
        dt.datetime(2001, 3, 1, 14, 30, tzinfo=UTC),
        dt.datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
    ]
    assert [t.to_pydatetime() for t in res.frame["time"].dt.tz_convert("UTC")] == want


def test_epoch_milliseconds_of_1976_that_spell_no_date_are_read(tmp_path):
    # 1976 milliseconds whose digits are no yyyymmddHHMM (month 00, 13, ...) are read as ever
    epochs = ["190000000000", "191300000000", _ms(1976, 3, 1)]
    res = read_seizures(_write(tmp_path, epochs))
    assert not res.by_rule
    want = [dt.datetime.fromtimestamp(int(e) / 1000, UTC) for e in epochs]
    assert [t.to_pydatetime() for t in res.frame["time"].dt.tz_convert("UTC")] == want
