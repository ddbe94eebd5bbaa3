"""Found reviewing diff4's time-of-day vetoes, coordinate pairs and header folding (diff5).

Each test of a fix failed on the code before it; the vetoes it keeps are checked beside.
"""

from __future__ import annotations

import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted
from _kinds import KINDS, dated_table, read_beside_dates, read_kind, record_table

from pipeline.errors import InputError

pytestmark = IGNORE_PENDING_DEPRECATION

_CLOCKS = ["01:07", "03:20", "14:45", "23:59"]


def _read_with_clock(kind, tmp_path, header, *, date_header=None, values=_CLOCKS, n=8):
    """Read a dated table with ``header`` holding ``values``; return (result, clocks read)."""
    res = read_beside_dates(kind, tmp_path, header, values, n=n, date_header=date_header)
    return res, sorted(set(res.frame["time"].dt.strftime("%H:%M")))


# ---------------------------------------------------------------- 'at' is no duration alone


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "header", ["Time at incident", "Boarded at", "Time at", "Seized at", "Time (UTC) at position"]
)
def test_a_clock_named_with_at_is_the_time_of_day(tmp_path, kind, header):
    # diff4 took every header with the word 'at' for a duration ('Time at sea'): an IMB
    # list's 'Boarded at' of '01:07' or a 'Time at incident' lost its clock (precision:
    # day) under a note that it held durations; 'Time (UTC) at position' was taken as the
    # text column of coordinate pairs (its 'position'), and the clock was lost unsaid
    res, clocks = _read_with_clock(kind, tmp_path, header)
    assert clocks == sorted(_CLOCKS)
    assert res.assumptions["time_of_day"]["column"] == header
    assert not any("durations" in n for n in res.notes)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("header", ["Time at sea", "Time at anchor", "Hours at berth"])
def test_a_time_spent_at_a_place_is_still_a_duration(tmp_path, kind, header):
    res, clocks = _read_with_clock(kind, tmp_path, header)
    assert clocks == ["00:00"]
    assert any(header in n and "durations" in n and "precision: day" in n for n in res.notes)


# ---------------------------------------------------------------- the date's own moment


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("date_header", "header"),
    [
        ("Report date", "Report time"),
        ("Date reported", "Time reported"),
        ("Date sent", "Time sent"),
        ("Arrival date", "Arrival time"),
        ("Fecha de reporte", "Hora de reporte"),
        ("Date du rapport", "Heure du rapport"),
    ],
)
def test_a_clock_naming_the_dates_own_moment_is_its_time_of_day(
    tmp_path, kind, date_header, header
):
    # a piracy report list ('Report date', 'Report time'), a tracker's messages ('Date
    # sent', 'Time sent'): the date column is the record's time and the clock beside it
    # names the same moment; diff4 dropped the clock as "another moment than the record's
    # own" and kept every record at 00:00 of its day
    res, clocks = _read_with_clock(kind, tmp_path, header, date_header=date_header)
    assert clocks == sorted(_CLOCKS)
    assert res.assumptions["time_of_day"]["column"] == header
    assert res.frame["time"].dt.strftime("%Y-%m-%d").iloc[0] == "2023-03-10"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("date_header", "header"),
    [("Date", "Report time"), ("Report date", "Arrival time"), ("Date sent", "ETA time")],
)
def test_a_clock_of_another_moment_than_the_dates_is_still_not_used(
    tmp_path, kind, date_header, header
):
    res, clocks = _read_with_clock(kind, tmp_path, header, date_header=date_header)
    assert clocks == ["00:00"]
    assert any(header in n and "another moment" in n for n in res.notes)


# ---------------------------------------------------------------- coordinate pairs


@pytest.mark.parametrize("header", ["Position time", "Date/time at position", "Position date"])
def test_dates_under_a_position_header_are_the_records_time(tmp_path, header):
    # a column named with 'position' was taken as the text column of coordinate pairs
    # whatever it held, so its dates were no time: "no date column found" (exit 2) for a
    # seizure table with 'lat'/'lon' and a 'Position time' of full timestamps
    frame = dated_table("seizures").drop(columns="date")
    frame[header] = [f"2023-03-{10 + i:02d} {_CLOCKS[i % 4]}" for i in range(len(frame))]
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    res = read_kind("seizures", path)
    assert_accounted(res)
    assert res.assumptions["columns"]["time"]["column"] == header
    assert sorted(set(res.frame["time"].dt.strftime("%H:%M"))) == sorted(_CLOCKS)


def _two_pairs(kind, tmp_path, other, offset_deg, *, dms=False):
    """A table at six decimals with a second pair ``other`` ``offset_deg`` away (or in DMS)."""
    frame = record_table(kind, 10.512345, -61.234567)
    frame["lat"] = [round(10.512345 + i * 0.001237, 6) for i in range(len(frame))]
    frame["lon"] = [round(-61.234567 - i * 0.000913, 6) for i in range(len(frame))]
    if dms:
        frame[other[0]] = [_dms(v + offset_deg, "N", "S") for v in frame["lat"]]
        frame[other[1]] = [_dms(v + offset_deg, "E", "W") for v in frame["lon"]]
    else:
        frame[other[0]] = (frame["lat"] + offset_deg).round(6)
        frame[other[1]] = (frame["lon"] + offset_deg).round(6)
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _dms(x: float, pos: str, neg: str) -> str:
    """Degrees, minutes and whole seconds (``10°30'45"N``)."""
    h = pos if x >= 0 else neg
    sec = round(abs(x) * 3600)
    return f"{sec // 3600}°{sec // 60 % 60:02d}'{sec % 60:02d}\"{h}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "other", [("tender_lat", "tender_lon"), ("lat_corrected", "lon_corrected")]
)
def test_two_pairs_fifteen_metres_apart_at_six_decimals_are_two_positions(tmp_path, kind, other):
    # diff4 took any pair within 2e-4 degree (about 20 m) of another on every row for that
    # position written again: a vessel and its tender 15 m apart, or a position corrected
    # by 15 m, both to six decimals, read the first pair silently (exit 0) where which is
    # the record's is the user's choice, as it is 110 m apart
    path, _ = _two_pairs(kind, tmp_path, other, 1.3e-4)
    with pytest.raises(InputError, match=r"2 latitude/longitude pairs could each be"):
        read_kind(kind, path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("offset", "dms"), [(0.0, True), (0.4e-6, False)])
def test_a_pair_written_again_within_its_rounding_is_one_position(tmp_path, kind, offset, dms):
    # guard: the same fix in whole seconds of arc (up to 1.4e-4 degree off), or to six
    # decimals again from another float, is one position
    path, frame = _two_pairs(kind, tmp_path, ("lat_dms", "lon_dms"), offset, dms=dms)
    res = read_kind(kind, path)
    assert_accounted(res)
    assert sorted(res.frame["lat"]) == pytest.approx(sorted(frame["lat"]), abs=2e-4)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("header", ["Heure de passage", "Time of passage", "Time of transit"])
def test_the_time_of_a_passage_is_its_time_of_day(tmp_path, kind, header):
    # a French VTS log's 'Heure de passage' (when a ship passed the station), a canal's
    # 'Time of transit': diff4 took 'passage' and 'transit' for durations wherever they
    # stood, and the records kept their date only (precision: day)
    res, clocks = _read_with_clock(kind, tmp_path, header)
    assert clocks == sorted(_CLOCKS)
    assert res.assumptions["time_of_day"]["column"] == header


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("header", ["Passage time", "Transit time", "Durée du passage"])
def test_a_passage_or_transit_time_is_still_a_duration(tmp_path, kind, header):
    res, clocks = _read_with_clock(kind, tmp_path, header)
    assert clocks == ["00:00"]
    assert any(header in n and "durations" in n for n in res.notes)
