"""Found reviewing ingest's time-of-day and position columns after diff4.

Each test of a fix failed on the code before it; the genuine clocks are read before and after.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted
from _kinds import KINDS, beside_width_and_length, dated_table, read_beside_dates, read_kind

from pipeline.ingest import read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION


def _times_of_day(kind, tmp_path, header, values, n=8):
    res = read_beside_dates(kind, tmp_path, header, values, n=n)
    return res, (res.frame["time"] - res.frame["time"].dt.normalize()).unique()


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "header",
    [
        "Czas trwania",
        "Время в пути",
        "Duration",
        "Duration time",
        "Elapsed",
        "Dauer",
        "Durée",
        "Duración",
        "Time at sea",
        "Hours underway",
        "Transit time",
        "Dwell time",
    ],
)
def test_a_column_whose_header_names_a_duration_is_no_time_of_day(tmp_path, kind, header):
    # '01:07' / '3:20:00' of a duration were added to each date as its time of day, exit 0:
    # 2023-03-10 became a record at 01:07 (picked by the header's clock word, or by content)
    res, offsets = _times_of_day(kind, tmp_path, header, ["01:07", "3:20:00"])
    assert list(offsets) == [pd.Timedelta(0)]
    assert "time_of_day" not in res.assumptions
    assert any(header in n and "durations" in n and "precision: day" in n for n in res.notes)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("span", ["25:30", "36:00:00", "1 day 02:00", "0 days 01:07:00", "PT1H7M"])
def test_a_column_holding_a_duration_is_no_time_of_day(tmp_path, kind, span):
    # an unnamed column of 19 clock-like spans and one only a duration has: read as the
    # records' clock (19 of 20 dates given 01:07 or 03:20), the span itself unparseable
    values = ["01:07", "3:20:00", "00:45", "02:10"] * 4 + ["01:07", "3:20:00", "00:45", span]
    res, offsets = _times_of_day(kind, tmp_path, "Leg", values, n=20)
    assert list(offsets) == [pd.Timedelta(0)]
    assert any("'Leg'" in n and repr(span) in n and "durations" in n for n in res.notes)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "header",
    ["Time", "Time (UTC)", "Hora", "Uhrzeit", "Heure", "Время", "Czas", "时间", "Saat", "Zeit"],
)
def test_a_clock_beside_a_date_is_still_its_time_of_day(tmp_path, kind, header):
    res, offsets = _times_of_day(kind, tmp_path, header, ["01:07", "3:20:00", "23:59"])
    assert sorted(offsets) == [pd.Timedelta(s) for s in ("01:07:00", "03:20:00", "23:59:00")]
    assert res.assumptions["time_of_day"]["column"] == header


@pytest.mark.parametrize("kind", KINDS)
def test_a_clock_beside_a_duration_is_the_time_of_day(tmp_path, kind):
    frame = dated_table(kind)
    frame["Duration"] = ["01:07"] * len(frame)
    frame["Uhrzeit"] = ["14:30"] * len(frame)
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path)
    assert (res.frame["time"].dt.strftime("%H:%M") == "14:30").all()


# ---------------------------------------------------------------- named positions


@pytest.mark.parametrize(
    "position", ["Position", "Pozycja", "Coordinates", "Koordinaten", "Posición", "Współrzędne"]
)
def test_a_named_position_beside_a_bare_width_and_length_is_read(tmp_path, position):
    # refused since 29dfcbd (before 1af255c, 'Position' was read as the coords): a column
    # named as a position and holding pairs says which is the record's place
    path, frame = beside_width_and_length(tmp_path, position)
    res = read_seizures(path, as_of="2025-01-01")
    assert_accounted(res)
    assert len(res.frame) == len(frame)
    want_lat = [54 + (30 + i % 20) / 60 for i in range(len(frame))]
    want_lon = [18 + (36 - i % 20) / 60 for i in range(len(frame))]
    assert res.frame["lat"].tolist() == pytest.approx(want_lat)
    assert res.frame["lon"].tolist() == pytest.approx(want_lon)
    assert res.assumptions["columns"]["coords"]["column"] == position
    note = [n for n in res.notes if "not coordinates" in n]
    assert note and "'Szerokość'" in note[0] and "'Długość'" in note[0]
