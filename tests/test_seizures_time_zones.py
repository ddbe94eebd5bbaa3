"""Seizure times are placed in UTC by the zone a header or an offset column names, as pings are."""

from __future__ import annotations

import pandas as pd
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


def _times(result) -> list[pd.Timestamp]:
    return list(result.frame["time"])


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


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
    res = read_seizures(_seizures(tmp_path, header, value))
    assert _times(res) == [_utc(expected)]
    assert res.assumptions["columns"]["utc_offset"]["by"] == "header"
    assert any("placed in UTC by the zone or offset" in n for n in res.notes)


def test_a_value_with_its_own_offset_keeps_it_beside_a_header_zone(tmp_path):
    res = read_seizures(
        _seizures(
            tmp_path,
            '"Date (UTC+5)"',
            "2021-03-05T10:00+02:00",
            "2021-03-05T10:00Z",
            "2021-03-05 10:00",
        )
    )
    assert _times(res) == [
        _utc("2021-03-05 08:00"),
        _utc("2021-03-05 10:00"),
        _utc("2021-03-05 05:00"),
    ]
    assert any("1 local time(s) placed" in n for n in res.notes)


def test_an_offset_column_places_each_row_and_rejects_a_row_without_one(tmp_path):
    res = read_seizures(
        _seizures(
            tmp_path,
            "date,utc_offset",
            "2021-03-05 10:00,+02:00",
            "2021-03-05 10:00,-5",
            "2021-03-05T10:00+01:00,+02:00",
            "2021-03-05 10:00,",
            "2021-03-05,+02:00",
        )
    )
    assert _times(res) == [
        _utc("2021-03-05 08:00"),
        _utc("2021-03-05 15:00"),
        _utc("2021-03-05 09:00"),
        _utc("2021-03-05 00:00"),  # a date without a time of day stays midnight UTC
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
    res = read_seizures(_seizures(tmp_path, "date_local", "2021-03-05T10:00+02:00"))
    assert _times(res) == [_utc("2021-03-05 08:00")]


def test_seizures_and_pings_place_a_header_zone_alike(tmp_path):
    seiz = read_seizures(_seizures(tmp_path, '"Time [CET]"', "2021-03-05 10:00"))
    pings = read_tracks(
        _csv(
            tmp_path,
            'mmsi,lat,lon,"Time [CET]"',
            "257000001,10.5,-61.2,2021-03-05 10:00",
            "257000001,10.51,-61.2,2021-03-05 10:05",
            name="t.csv",
        )
    )
    assert _times(seiz)[0] == pings.frame["time"].iloc[0]
