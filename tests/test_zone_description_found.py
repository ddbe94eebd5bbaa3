"""A ship's log's zone description places local times with the nautical sign.

A deck log writes its times in zone time beside the zone description (``ZD +5``): the hours
that, added to the local time, give UTC - the opposite sign of a UTC offset (``ZD +5`` is
UTC-5).  A ``ZD`` or ``Zone description`` column was not read at all (taken for a note, or
passed over): every time was taken as UTC, hours off, exit 0.  A bare ``Zone`` of signed
hours only (``+5``) was read as UTC offsets, ten hours from the zone description's reading
when it was one; its sign's meaning is a guess, and it is refused naming both ways out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from _corpus import write_ais_with
from test_seizures_time_zones import _read, _times

from pipeline.errors import InputError
from pipeline.ingest import read_tracks

LOCAL = "2021-03-05 10:00"


def _utc_of_zone_time(local: str, zd: float) -> str:
    """UTC of a zone time by the nautical rule, UTC = zone time + ZD (hand reference)."""
    t = datetime.strptime(local, "%Y-%m-%d %H:%M") + timedelta(hours=zd)
    return t.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("header", ["ZD", "Zone Description", "zone_desc", "Time zone description"])
def test_a_zone_description_column_places_seizure_times_the_nautical_way(tmp_path, header):
    zds = ["+5", "-3", "5", "-5.5", "0", "+12", "-10"]
    res = _read(tmp_path, f'date,"{header}"', *[f"{LOCAL},{z}" for z in zds])
    assert _times(res) == [_utc_of_zone_time(LOCAL, float(z)) for z in zds]
    assert res.n_rejected == 0
    assert res.assumptions["columns"]["utc_offset"]["column"] == header
    assert "zone description" in res.assumptions["columns"]["utc_offset"]["evidence"]
    assert "note" not in res.assumptions["columns"]  # the column is no free-text note
    assert any("nautical" in n for n in res.notes)


def test_a_zone_description_holds_hours_only(tmp_path):
    # a zone name or abbreviation other than UTC's is no zone description: which sign it
    # would take is a guess, so its row is rejected, not read as an offset
    res = _read(
        tmp_path, "date,ZD", f"{LOCAL},CET", f"{LOCAL},Europe/Oslo", f"{LOCAL},Z", f"{LOCAL},+2"
    )
    assert res.n_rejected == 2
    assert set(res.rejects["rule"]) == {"time_zone_unknown"}
    assert _times(res) == [LOCAL, _utc_of_zone_time(LOCAL, 2)]


def test_a_time_s_own_offset_is_compared_with_its_zone_description(tmp_path):
    # 10:00+02:00 is 08:00 UTC; ZD -2 says the same (local = UTC + 2), ZD +2 does not
    same = _read(tmp_path, "date,ZD", "2021-03-05T10:00+02:00,-2")
    assert _times(same) == ["2021-03-05 08:00"]
    assert not any("carry an offset of their own" in n for n in same.notes)
    other = _read(tmp_path, "date,ZD", "2021-03-05T10:00+02:00,+2")
    assert _times(other) == ["2021-03-05 08:00"]
    assert any("carry an offset of their own" in n for n in other.notes)


def test_a_zone_description_column_places_pings_whole_and_streamed(tmp_path):
    from pipeline.ingest.stream import spill_tracks

    zds = ["+4", "-9", "+0", "-3.5"]
    path = write_ais_with(tmp_path, "ZD", zds)
    got = read_tracks(path)
    assert got.n_rejected == 0
    # row i is 10:00 on 2023-01-0<i+1>, zone time
    want = [_utc_of_zone_time(f"2023-01-0{1 + i} 10:00", float(z)) for i, z in enumerate(zds)]
    have = got.frame.sort_values("time")["time"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert have == sorted(want)
    spilled = spill_tracks(path, tmp_path / "spill", chunk_rows=2, n_buckets=2)
    assert spilled.n_accepted == 4 and spilled.n_rejected == 0
    assert any("nautical" in n for n in spilled.notes)


@pytest.mark.parametrize("values", [["+5", "-3"], ["+1", "0", "-5", "+2"], ["+9.5"]])
def test_a_bare_zone_of_signed_hours_is_refused_naming_both_readings(tmp_path, values):
    with pytest.raises(InputError, match=r"UTC\+?-?\d.*UTC.*utc_offset or zone_description"):
        _read(tmp_path, "date,Zone", *[f"{LOCAL},{v}" for v in values])
    with pytest.raises(InputError, match="utc_offset or zone_description"):
        read_tracks(write_ais_with(tmp_path, "Zone", values))


def test_the_refusal_gives_each_reading_s_offset(tmp_path):
    with pytest.raises(InputError) as err:
        _read(tmp_path, "date,Zone", f"{LOCAL},-3", f"{LOCAL},+5")
    assert "'-3'" in str(err.value)
    assert "UTC-3" in str(err.value) and "UTC+3" in str(err.value)


def test_a_bare_zone_that_writes_offsets_as_offsets_is_still_read(tmp_path):
    # '+05:00' is written as no zone description is: the column is offsets, '-3' with it
    res = _read(tmp_path, "date,Zone", f"{LOCAL},+05:00", f"{LOCAL},-3")
    assert _times(res) == ["2021-03-05 05:00", "2021-03-05 13:00"]
    # zeros only are UTC either way
    res = _read(tmp_path, "date,Zone", f"{LOCAL},0", f"{LOCAL},+0")
    assert _times(res) == [LOCAL, LOCAL]
    # a utc_offset column of signed hours says its convention
    res = _read(tmp_path, "date,utc_offset", f"{LOCAL},+5")
    assert _times(res) == ["2021-03-05 05:00"]


@pytest.mark.parametrize(
    ("header", "zd"),
    [("Time (ZD+5)", 5), ("Date [ZD: -3]", -3), ("Time ZD -5.5", -5.5), ("Local time (ZD +9)", 9)],
)
def test_a_zone_description_in_the_time_header_places_the_times(tmp_path, header, zd):
    # before, no zone was read from such a header: the times were taken as UTC
    res = _read(tmp_path, f'"{header}"', LOCAL, "2021-03-06 23:30")
    assert _times(res) == [
        _utc_of_zone_time(LOCAL, zd),
        _utc_of_zone_time("2021-03-06 23:30", zd),
    ]
    assert res.assumptions["columns"]["utc_offset"]["by"] == "header"


@pytest.mark.parametrize("header", ["Time (zone +5)", "Time (ZD+13)", "Time (ZD +4.25)"])
def test_a_time_header_s_zone_hours_of_no_known_sign_or_no_zone_are_refused(tmp_path, header):
    with pytest.raises(InputError, match="zone"):
        _read(tmp_path, f'"{header}"', LOCAL)


@pytest.mark.parametrize("header", ["time_offset", '"Time offset (s)"', '"Time offset [min]"'])
def test_a_time_offset_of_elapsed_seconds_is_not_applied_as_a_utc_offset(tmp_path, header):
    # a GPS log's seconds since the recording began: 'Time offset (s)' of 37 moved the time
    # 37 s earlier as a UTC offset, exit 0; an offset is a whole number of quarter hours
    rows = [f"2021-03-0{i + 1} 10:00,{v}" for i, v in enumerate(["0", "37", "3600"])]
    res = _read(tmp_path, f"date,{header}", *rows)
    assert _times(res) == ["2021-03-01 10:00", "2021-03-02 10:00", "2021-03-03 10:00"]
    assert any("no UTC offset" in n and "'37'" in n for n in res.notes)
    assert "utc_offset" not in res.assumptions["columns"]


def test_a_time_offset_of_quarter_hours_or_zones_is_still_applied(tmp_path):
    res = _read(tmp_path, "date,time_offset", f"{LOCAL},+02:00", "2021-03-06 10:00,-5.75")
    assert _times(res) == ["2021-03-05 08:00", "2021-03-06 15:45"]
    res = _read(tmp_path, "date,time_offset", f"{LOCAL},Europe/Oslo")
    assert _times(res) == ["2021-03-05 09:00"]
    # a header naming UTC says what the offset is: an odd value there is its row's reject
    res = _read(tmp_path, "date,utc_offset", f"{LOCAL},+02:00", "2021-03-06 10:00,37")
    assert res.n_rejected == 1
