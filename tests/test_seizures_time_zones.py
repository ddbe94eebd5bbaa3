"""Seizure times are placed in UTC by the zone a header or an offset column names, as pings are."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks


def _csv(tmp_path, header: str, *rows: str, name: str = "s.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _seizures(tmp_path, columns: str, *values: str):
    """A seizures CSV of one place and drug, ``columns`` and ``values`` after them per row."""
    return _csv(tmp_path, f"lat,lon,drug,{columns}", *(f"10.5,-61.2,cocaine,{v}" for v in values))


def _read(tmp_path, columns: str, *values: str):
    """Read the seizures of :func:`_seizures`."""
    return read_seizures(_seizures(tmp_path, columns, *values))


def _times(result) -> list[str]:
    """The records' times as ``yyyy-mm-dd HH:MM`` of UTC (checked to be UTC)."""
    times = result.frame["time"]
    assert str(times.dt.tz) == "UTC"
    return list(times.dt.strftime("%Y-%m-%d %H:%M"))


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ('"Date (UTC+5)"', "2021-03-05 10:00", "2021-03-05 05:00"),
        ('"time (UTC-03:30)"', "2021-03-05 10:00", "2021-03-05 13:30"),
        ('"Date [CET]"', "2021-03-05 10:00", "2021-03-05 09:00"),
        ('"when (Europe/Berlin)"', "2021-07-01 12:00", "2021-07-01 10:00"),
    ],
)
def test_a_zone_the_header_names_applies_to_naive_times(tmp_path, header, value, expected):
    res = _read(tmp_path, header, value)
    assert _times(res) == [expected]
    assert res.assumptions["columns"]["utc_offset"]["by"] == "header"
    assert any("placed in UTC by the zone or offset" in n for n in res.notes)


def test_a_value_with_its_own_offset_keeps_it_beside_a_header_zone(tmp_path):
    res = _read(
        tmp_path,
        '"Date (UTC+5)"',
        "2021-03-05T10:00+02:00",
        "2021-03-05T10:00Z",
        "2021-03-05 10:00",
    )
    assert _times(res) == ["2021-03-05 08:00", "2021-03-05 10:00", "2021-03-05 05:00"]
    assert any("1 local time(s) placed" in n for n in res.notes)


def test_an_offset_column_places_each_row_and_rejects_a_row_without_one(tmp_path):
    res = _read(
        tmp_path,
        "date,utc_offset",
        "2021-03-05 10:00,+02:00",
        "2021-03-05 10:00,-5",
        "2021-03-05T10:00+01:00,+02:00",
        "2021-03-05 10:00,",
        "2021-03-05,+02:00",
    )
    # the last: a date without a time of day stays midnight UTC
    assert _times(res) == [
        "2021-03-05 08:00",
        "2021-03-05 15:00",
        "2021-03-05 09:00",
        "2021-03-05 00:00",
    ]
    assert res.rejects[["row", "rule", "column"]].to_dict("records") == [
        {"row": 5, "rule": "time_zone_unknown", "column": "utc_offset"}
    ]
    assert res.assumptions["utc_offset"]["placed"] == 2
    assert res.assumptions["columns"]["utc_offset"]["column"] == "utc_offset"


@pytest.mark.parametrize(
    ("header", "says"),
    [("date_local", "says local time"), ('"Date (EST)"', "abbreviation of several zones")],
)
def test_a_header_saying_local_time_without_a_known_zone_is_refused(tmp_path, header, says):
    path = _seizures(tmp_path, header, "2021-03-05 10:00")
    with pytest.raises(InputError, match=says):
        read_seizures(path)


def test_a_local_header_with_zoned_values_is_read(tmp_path):
    res = _read(tmp_path, "date_local", "2021-03-05T10:00+02:00")
    assert _times(res) == ["2021-03-05 08:00"]


def test_seizures_and_pings_place_a_header_zone_alike(tmp_path):
    seiz = _read(tmp_path, '"Time [CET]"', "2021-03-05 10:00")
    pings = read_tracks(
        _csv(
            tmp_path,
            'mmsi,lat,lon,"Time [CET]"',
            "257000001,10.5,-61.2,2021-03-05 10:00",
            "257000001,10.51,-61.2,2021-03-05 10:05",
            name="t.csv",
        )
    )
    assert _times(seiz)[0] == _times(pings)[0]


@pytest.mark.parametrize(
    ("columns", "value", "old_rule"),
    [
        # 00:30 to 23:30 of one day at UTC+12 spans 23 h; the end read as UTC made it 35 h
        ('"date_start (UTC+12)","date_end (UTC+12)"', "2024-03-01 00:30,2024-03-01 23:30", "wide"),
        # the end's own header says nothing: the start's zone is the range's
        ('"date_start (UTC+12)",date_end', "2024-03-01 00:30,2024-03-01 23:30", "wide"),
        # 23:00 to 01:00 at UTC-12 ends 2 h after it starts, not 10 h before
        ('"date_start (UTC-12)","date_end (UTC-12)"', "2024-03-01 23:00,2024-03-02 01:00", "back"),
        # a row's offset column places both ends
        ("date_start,date_end,utc_offset", "2024-03-01 23:00,2024-03-02 01:00,-12", "back"),
    ],
)
def test_the_end_of_a_date_range_is_placed_in_the_zone_of_its_start(
    tmp_path, columns, value, old_rule
):
    """The end column of a range only feeds the count of records spanning days, but that
    count is in the summary: read as UTC while its start was placed by a zone, a range of
    hours showed as a day or more, or as ending before it starts."""
    res = _read(tmp_path, columns, value)
    assert len(res.frame) == 1
    assert "date_range" not in res.assumptions["dates"]  # none spans a day, none ends early
    assert not any("date range" in n for n in res.notes)


def test_a_range_whose_end_names_another_zone_is_read_in_that_zone(tmp_path):
    """Start 2024-03-01 20:00 at UTC-10 (06:00 UTC on the 2nd), end 2024-03-02 08:00 at
    UTC+2 (06:00 UTC on the 2nd): no time between them, not the 12 h the end's own header
    being ignored would give."""
    res = _read(
        tmp_path,
        '"date_start (UTC-10)","date_end (UTC+2)"',
        "2024-03-01 20:00,2024-03-02 08:00",
        "2024-03-01 20:00,2024-03-04 08:00",
    )
    report = res.assumptions["dates"]["date_range"]
    assert report["records_spanning_days"] == 1 and report["longest_days"] == 2.0
    assert report["end_before_start"] == 0
