"""Gaps of a mutation pass over the zone letters, ``Time (ZD)``, MSK by date, voyage ends,
hemisphere columns, placeholder dates and coordinates, and category synonym chains (hIN).

Each test kills mutants the older tests let live; expected values come from ``zoneinfo``,
hand arithmetic or pandas, never from the code under test.  One reading was wrong: a null
day (Excel's 1899-12-30 00:00) beside an offset column was moved out of midnight by the
offset before the placeholder rule looked at it, and kept as a record of 1899 with exit 0;
a local 02:00 of 1900-01-01 at UTC+2 was midnight UTC and rejected as a placeholder.  The
rule now reads the wall clock as written (and the epoch also as an instant).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from _corpus import write_lines
from test_seizures_time_zones import _read, _times

from pipeline.ingest import read_seizures


def _utc(local: str, east_hours: float) -> str:
    """UTC of a local time ``east_hours`` east of UTC (hand reference)."""
    t = datetime.strptime(local, "%Y-%m-%d %H:%M") - timedelta(hours=east_hours)
    return t.strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------- placeholder dates


def _later(n: int = 12) -> list[str]:
    return [f"2021-03-{d:02d} 10:00,+03:00,12.{d},44.{d}" for d in range(10, 10 + n)]


def test_a_null_day_beside_an_offset_column_is_a_placeholder_as_written(tmp_path):
    # Excel's day 0 at midnight, with the row's offset filled: 1899-12-29 21:00 UTC was kept
    lines = ["Date,utc_offset,Lat,Lon", "1899-12-30 00:00,+03:00,12.1,44.1", *_later()]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.by_rule == {"date_placeholder": 1}
    assert res.rejects["row"].tolist() == [2]
    assert res.frame["time"].min() == pd.Timestamp("2021-03-10 07:00", tz="UTC")


def test_a_null_days_local_clock_that_is_midnight_utc_is_a_time(tmp_path):
    # 02:00 at UTC+2 on 1900-01-01 is 00:00 UTC: a clock as written, no empty date
    lines = ['"Time (UTC+2)",Lat,Lon', "1900-01-01 02:00,12.1,44.1"]
    lines += [f"2021-03-{d:02d} 10:00,12.{d},44.{d}" for d in range(10, 20)]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.n_rejected == 0
    assert _times(res)[0] == _utc("1900-01-01 02:00", 2) == "1900-01-01 00:00"


def test_the_epoch_written_in_a_local_zone_is_still_a_placeholder(tmp_path):
    # a zero timestamp rendered at UTC+3 reads 03:00: the epoch, an instant
    lines = ['"Time (UTC+3)",Lat,Lon', "1970-01-01 03:00,12.1,44.1"]
    lines += [f"2021-03-{d:02d} 10:00,12.{d},44.{d}" for d in range(10, 20)]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.by_rule == {"date_placeholder": 1}


# ---------------------------------------------------------------------- ZD in a time header


@pytest.mark.parametrize(("zd", "east"), [("+12", -12), ("-12", 12)], ids=["plus12", "minus12"])
def test_a_header_zone_description_of_twelve_hours_places_the_times(tmp_path, zd, east):
    res = _read(tmp_path, f'"Time (ZD{zd})"', "2021-03-05 10:00")
    assert _times(res) == [_utc("2021-03-05 10:00", east)]
