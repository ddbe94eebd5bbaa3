"""Found reviewing ingest's time-of-day and position-pair columns after diff4b.

Each test of a fix failed on the code before it; the guards (genuine clocks, two pairs of the
vessel's own position) pass before and after.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted
from _kinds import KINDS, dated_table, read_kind, read_own_beside, record_table

from pipeline.errors import InputError

pytestmark = IGNORE_PENDING_DEPRECATION


def _with_clock(kind, tmp_path, header, columns=None):
    frame = dated_table(kind)
    frame[header] = ["14:30", "09:05"] * (len(frame) // 2)
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path, columns)
    assert_accounted(res)
    assert len(res.frame) == len(frame)
    return res, sorted((res.frame["time"] - res.frame["time"].dt.normalize()).unique())


# ---------------------------------------------------------------- a clock of another moment


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "header",
    [
        "ETA time",
        "Arrival time",
        "Departure time",
        "Time of report",
        "Reported time",
        "Updated time",
        "Created time",
        "Time sent",
        "ETA",
        "Hora de llegada",
        "Heure d'arrivée",
        "Ankunftszeit",
        "Czas przybycia",
        "Время прибытия",
        "Varış saati",
        "到达时间",
        "到着時刻",
    ],
)
def test_a_clock_naming_another_moment_is_not_the_records_time_of_day(tmp_path, kind, header):
    # '14:30' of a voyage's ETA, an arrival, a report or a message sent was added to each
    # record's date as its time of day, exit 0 (picked by the header's clock word or by
    # content), while the date role already refused such a column as the record's date
    res, offsets = _with_clock(kind, tmp_path, header)
    assert offsets == [pd.Timedelta(0)]
    assert "time_of_day" not in res.assumptions
    note = [n for n in res.notes if repr(header) in n and "another moment" in n]
    assert note and "precision: day" in note[0]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "header",
    [
        "Time",
        "Time (UTC)",
        "Incident time",
        "Time of incident",
        "Hora",
        "Uhrzeit",
        "Heure",
        "Время",
        "Czas",
        "时间",
        "Saat",
    ],
)
def test_a_genuine_clock_is_still_the_time_of_day(tmp_path, kind, header):
    res, offsets = _with_clock(kind, tmp_path, header)
    assert offsets == [pd.Timedelta("09:05:00"), pd.Timedelta("14:30:00")]
    assert res.assumptions["time_of_day"]["column"] == header


@pytest.mark.parametrize("kind", KINDS)
def test_a_local_clock_beside_another_moment_is_the_time_of_day(tmp_path, kind):
    frame = dated_table(kind)
    frame["ETA time"] = "23:00"
    frame["Local time"] = "14:30"
    frame["utc_offset"] = "+02:00"
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path)
    assert (res.frame["time"].dt.strftime("%H:%M") == "12:30").all()
    assert res.assumptions["time_of_day"]["column"] == "Local time"


@pytest.mark.parametrize("kind", KINDS)
def test_a_clock_of_another_moment_named_in_the_config_is_read(tmp_path, kind):
    res, offsets = _with_clock(kind, tmp_path, "Arrival time", {"time_of_day": "Arrival time"})
    assert offsets == [pd.Timedelta("09:05:00"), pd.Timedelta("14:30:00")]


# ---------------------------------------------------------------- the vessel's last position

_LAST = ("lastPositionUpdate.latitude", "lastPositionUpdate.longitude")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("own", "other"),
    [
        # Spire's vessels flattened: the last position beside the destination port's centre
        (_LAST, ("port.centerPoint.latitude", "port.centerPoint.longitude")),
        (
            _LAST,
            (
                "currentVoyage.matchedPort.port.centerPoint.latitude",
                "currentVoyage.matchedPort.port.centerPoint.longitude",
            ),
        ),
        (("current_position_lat", "current_position_lon"), ("anchorage_lat", "anchorage_lon")),
        (("latest_position_lat", "latest_position_lon"), ("origin_lat", "origin_lon")),
        (("reported_location_lat", "reported_location_lon"), ("home_lat", "home_lon")),
    ],
    ids=["spire-port", "spire-voyage-port", "current-anchorage", "latest-origin", "reported-home"],
)
def test_the_vessels_last_position_beside_a_secondary_place_is_read(tmp_path, kind, own, other):
    # refused (exit 2) as two pairs of which no header says which is the event's: only a
    # pair naming nothing but the fix ('position_lat', 'gps_lat') was the record's own
    res = read_own_beside(kind, tmp_path, own, other)
    assert "secondary place" in res.assumptions["columns"]["lat"]["evidence"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "second",
    [
        ("lat", "lon"),
        ("position_lat", "position_lon"),
        ("corrected_position_lat", "corrected_position_lon"),
        ("last_lat", "last_lon"),
    ],
    ids=["plain", "position", "corrected", "last-alone"],
)
def test_the_last_position_beside_another_fix_is_still_a_choice(tmp_path, kind, second):
    # guard: two pairs that may each be the vessel's own position are never taken either way
    frame = record_table(kind, 1.05, 104.2).rename(columns={"lat": _LAST[0], "lon": _LAST[1]})
    frame[second[0]], frame[second[1]] = frame[_LAST[0]] + 0.01, frame[_LAST[1]]
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"2 latitude/longitude pairs could each be"):
        read_kind(kind, path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("own", ["position", "current_position"])
def test_a_position_named_after_a_secondary_place_is_still_the_records(tmp_path, kind, own):
    # seizures: 'anchorage_lat', 'anchorage_lon', 'position_lat', 'position_lon' read every
    # record at the anchorage, exit 0 - 'position_lat' (one number a row) was taken as the
    # coords column, so the pair rule saw the anchorage's pair alone
    frame = record_table(kind, 1.05, 104.2)
    place = pd.DataFrame({"anchorage_lat": 1.26, "anchorage_lon": 103.8}, index=frame.index)
    frame = pd.concat(
        [place, frame.rename(columns={"lat": f"{own}_lat", "lon": f"{own}_lon"})], axis=1
    )
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path)
    assert_accounted(res)
    assert res.assumptions["columns"]["lat"]["column"] == f"{own}_lat"
    assert sorted(res.frame["lat"]) == sorted(frame[f"{own}_lat"])
    assert sorted(res.frame["lon"]) == sorted(frame[f"{own}_lon"])
