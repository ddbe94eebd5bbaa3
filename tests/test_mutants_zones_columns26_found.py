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

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from _corpus import write_lines
from pydantic import ValidationError
from test_seizures_time_zones import _read, _times

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._columns import local_time_header
from pipeline.ingest.options import SeizureSource
from pipeline.ingest.stream import PingStore, spill_tracks


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


@pytest.mark.parametrize(
    ("header", "east"),
    [
        ('"Time (ZD+05:30)"', -5.5),
        ('"Time (ZD\u221205:30)"', 5.5),
        ('"Time (ZD\u22125)"', 5),
        ('"Time (ZD-0:30)"', 0.5),
    ],
    ids=["clock", "clock-unicode-minus", "unicode-minus", "minus-half-hour"],
)
def test_a_header_zone_description_as_a_clock_or_with_a_unicode_minus(tmp_path, header, east):
    # 'ZD+05:30' was refused as naming no zone description, though a ZD column reads it
    res = _read(tmp_path, header, "2021-03-05 10:00")
    assert _times(res) == [_utc("2021-03-05 10:00", east)]


def test_a_header_zone_description_of_three_digits_is_no_twelve(tmp_path):
    with pytest.raises(InputError, match="says zone time"):
        _read(tmp_path, '"Time (ZD+123)"', "2021-03-05 10:00")


def test_a_bare_zone_with_a_quarter_hour_is_offsets_not_zone_descriptions(tmp_path):
    # Nepal's +5:45 is written 5.75: no zone description is a quarter hour, so the column
    # is offsets (UTC+5:45, UTC+5), not refused as signed hours of unknown sign
    res = _read(tmp_path, "date,Zone", "2021-03-05 10:00,+5.75", "2021-03-06 10:00,+5")
    assert _times(res) == [_utc("2021-03-05 10:00", 5.75), _utc("2021-03-06 10:00", 5)]


@pytest.mark.parametrize("header", ['"Time (ZD+5)"', '"Time (ZD)"'], ids=["hours", "no-hours"])
def test_a_zd_header_beside_a_bare_zone_of_signed_offsets_is_refused(tmp_path, header):
    # 'Time (ZD+5)' beside 'Zone: +05:00' was read as UTC+5 (05:00 UTC), ten hours from
    # the header's zone time (15:00 UTC), with a note only
    with pytest.raises(InputError, match="says zone time .* gives signed offsets"):
        _read(tmp_path, f"{header},Zone", "2021-03-05 10:00,+05:00", "2021-03-06 10:00,+05:00")


# ---------------------------------------------------------------------- MSK read in chunks


def test_msk_across_both_changes_is_read_alike_whole_and_in_chunks(tmp_path):
    """2,000 pings of five ships in MSK every 3 minutes across 2011-03-27 02:00 (skipped) and
    2014-10-26 01:00-02:00 (repeated), read whole and in pieces of about 1,450 records;
    the reference is Moscow's standard time (utcoffset - dst) from ``zoneinfo``."""
    mow = ZoneInfo("Europe/Moscow")

    def standard(utc: datetime) -> timedelta:
        t = utc.replace(tzinfo=UTC).astimezone(mow)
        return t.utcoffset() - t.dst()  # type: ignore[operator]

    rows, expected = ["mmsi,timestamp,tz,lat,lon,sog"], []
    for i in range(2000):
        k = (i % 1000) // 5
        start = datetime(2011, 3, 26, 20) if i < 1000 else datetime(2014, 10, 25, 20)
        wall = start + timedelta(minutes=3 * k)
        rows.append(f"{273000000 + i % 5},{wall:%Y-%m-%dT%H:%M},MSK,{55 + k * 1e-4:.4f},37.5,9")
        fits = [o for o in (timedelta(hours=3), timedelta(hours=4)) if standard(wall - o) == o]
        if len(fits) == 1:  # none: skipped, two: repeated; rejected
            expected.append((str(273000000 + i % 5), f"{wall - fits[0]:%Y-%m-%d %H:%M}"))
    path = write_lines(tmp_path / "msk.csv", rows)
    whole = read_tracks(path)
    spill = spill_tracks(path, tmp_path / "s", chunk_rows=1, n_buckets=2)
    store = PingStore([spill], root=tmp_path / "s")
    assert len(spill.reject_parts) >= 2
    assert len(expected) == 1800  # 20 skipped and 20 repeated minutes' steps of 5 ships
    assert _pings(whole.frame) == sorted(expected)
    assert _pings(store.to_frame()) == sorted(expected)
    assert (spill.n_read, spill.n_rejected) == (whole.n_read, whole.n_rejected) == (2000, 200)


def _pings(frame: pd.DataFrame) -> list[tuple[str, str]]:
    times = frame["time"].dt.strftime("%Y-%m-%d %H:%M")
    return sorted(zip(frame["vessel_id"].astype(str), times, strict=True))


# ---------------------------------------------------------------------- synonym chains


def test_two_spellings_of_one_category_mapped_apart_are_refused():
    with pytest.raises(ValidationError, match="synonyms map 'robbers ' to both 'robbery' and"):
        SeizureSource(path="s.csv", synonyms={"Robbers": "robbery", "robbers ": "theft"})


@pytest.mark.parametrize(
    "synonyms", [{"pirates": "  "}, {" ": "piracy"}], ids=["empty-target", "empty-key"]
)
def test_a_synonym_with_an_empty_side_is_refused(synonyms):
    with pytest.raises(ValidationError, match="has an empty side"):
        SeizureSource(path="s.csv", synonyms=synonyms)


def test_an_offset_header_naming_utc_beside_an_offset_column_applies_the_column(tmp_path):
    # 'Time (UTC+5)' names an offset, not UTC: the row's own offset is applied and the
    # header's said not to be (taken for 'Time (UTC)', the column was dropped instead)
    res = _read(tmp_path, '"Time (UTC+5)",utc_offset', "2021-03-05 10:00,+02:00")
    assert _times(res) == [_utc("2021-03-05 10:00", 2)]
    assert any("the header's zone is not" in n for n in res.notes)


@pytest.mark.parametrize(
    ("columns", "value", "east"),
    [("date,ZD", "\u22125", 5), ("date,utc_offset", "\u221205:00", -5)],
    ids=["zd", "utc_offset"],
)
def test_a_unicode_minus_in_an_offset_column_is_a_minus(tmp_path, columns, value, east):
    # read as a minus in a header, each such row was rejected as time_zone_unknown
    res = _read(tmp_path, columns, f"2021-03-05 10:00,{value}", "2021-03-06 10:00,+03:00")
    assert res.n_rejected == 0
    assert _times(res)[0] == _utc("2021-03-05 10:00", east)


def test_a_bare_zone_of_hours_with_a_unicode_minus_is_refused_as_signed_hours(tmp_path):
    with pytest.raises(InputError, match="holds signed hours"):
        _read(tmp_path, "date,Zone", "2021-03-05 10:00,\u22125", "2021-03-06 10:00,+3")


def test_a_time_header_saying_utc_beside_an_offset_column_keeps_utc(tmp_path):
    res = _read(tmp_path, '"Time (UTC)",utc_offset', "2021-03-05 10:00,+02:00")
    assert _times(res) == ["2021-03-05 10:00"]
    assert any("says its times are UTC" in n and "not applied" in n for n in res.notes)


# ---------------------------------------------------------------------- placeholder edges


@pytest.mark.parametrize(
    ("first_other", "rejected"),
    [("1970-03-05", 0), ("1970-12-31", 0), ("1971-01-01", 0), ("1971-01-02", 1)],
    ids=["months-after", "a-day-short-of-a-year", "a-year-to-the-day", "a-year-and-a-day"],
)
def test_the_epoch_is_a_day_within_a_year_of_the_earliest_record(tmp_path, first_other, rejected):
    # a file of 1970s events: 1970-01-01 00:00 is a placeholder only more than 365 days
    # before the earliest other record (1971-01-01 is 365 days after it), whatever the last
    lines = ["Date,Lat,Lon", "1970-01-01 00:00,12.1,44.1", f"{first_other},12.2,44.2"]
    lines += [f"197{y}-06-01,12.{y},44.{y}" for y in range(2, 10)]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert (pd.Timestamp("1971-01-01") - pd.Timestamp("1970-01-01")).days == 365
    assert res.n_rejected == rejected
    assert res.by_rule == ({"date_placeholder": 1} if rejected else {})


def test_a_record_out_of_range_near_the_equator_makes_no_zero_latitude_a_place(tmp_path):
    lines = ["Date,Lat,Long"] + [f"2020-02-{d:02d},{10 + d},{-10 - 2 * d}" for d in range(1, 21)]
    lines += ["2020-03-01,0,-18.5", "2020-03-02,0.5,-300"]  # lines 22, 23
    res = read_seizures(write_lines(tmp_path / "maoc.csv", lines))
    assert res.by_rule == {"coord_placeholder": 1, "lon_out_of_range": 1}
    assert sorted(res.rejects["row"].tolist()) == [22, 23]


@pytest.mark.parametrize(
    "day", ["1899-12-31", "1904-01-01", "1753-01-01"], ids=["lotus", "excel-mac", "sql-server"]
)
def test_the_other_null_days_far_before_the_records_are_placeholders(tmp_path, day):
    lines = ["Date,Lat,Lon", f"{day},12.1,44.1"] + [
        f"2021-03-{d:02d},12.{d},44.{d}" for d in range(10, 16)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.by_rule == {"date_placeholder": 1}


def test_a_file_of_null_days_only_is_all_placeholders(tmp_path):
    # no other record to be near: every date is the export's empty one
    lines = ["Date,Lat,Lon"] + [f"1904-01-01,12.{d},44.{d}" for d in range(1, 6)]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.by_rule == {"date_placeholder": 5}


@pytest.mark.parametrize(
    ("nearest", "rejected"), [("1.0", 0), ("1.5", 1)], ids=["one-degree", "one-and-a-half"]
)
def test_a_zero_latitude_is_a_place_only_with_a_record_within_one_degree(
    tmp_path, nearest, rejected
):
    lines = ["Date,Lat,Long", f"2020-02-01,{nearest},-20.5"]
    lines += [f"2020-02-{d:02d},{5 + d},{-20 - d}" for d in range(2, 12)]
    lines += ["2020-03-01,0,-21.5"]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.by_rule == ({"coord_placeholder": 1} if rejected else {})


@pytest.mark.parametrize(("others", "rejected"), [(4, 0), (5, 1)], ids=["four", "five"])
def test_a_lone_zero_longitude_needs_five_other_records_to_be_judged(tmp_path, others, rejected):
    lines = ["Date,Lat,Long"] + [f"2020-02-{d:02d},{20 + d},{40 + d}" for d in range(1, others + 1)]
    lines += ["2020-03-01,25.5,0"]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.by_rule == ({"coord_placeholder": 1} if rejected else {})


def test_an_offset_beyond_fourteen_hours_is_no_offset(tmp_path):
    # UTC+14 (Kiribati) is the furthest; +14:30 is a typo, not a place's clock
    res = _read(tmp_path, "date,utc_offset", "2021-03-05 10:00,+14:30", "2021-03-06 10:00,+14:00")
    assert res.by_rule == {"time_zone_unknown": 1}
    assert _times(res) == [_utc("2021-03-06 10:00", 14)]


# ---------------------------------------------------------------------- hemisphere columns


def test_lower_case_hemisphere_letters_under_an_unknown_header_are_refused(tmp_path):
    lines = ["Date,Lat,H,Lon"] + [
        f"2024-01-{d:02d},{d / 10 + 0.5:.3f},{'s' if d % 2 else 'n'},{100 + d / 10:.3f}"
        for d in range(1, 16)
    ]
    with pytest.raises(InputError, match=r"'H' holds hemisphere letters .* 'Lat'"):
        read_seizures(write_lines(tmp_path / "s.csv", lines))


@pytest.mark.parametrize(
    ("axis", "south", "north"),
    [
        ("lat", "Sur", "Norte"),
        ("lat", "Sud", "Nord"),
        ("lon", "Oeste", "Este"),
        ("lon", "Ovest", "Est"),
    ],
    ids=["es-lat", "fr-it-lat", "es-lon", "it-lon"],
)
def test_hemisphere_words_of_other_languages_under_an_unknown_header_are_refused(
    tmp_path, axis, south, north
):
    # 'Sur' or 'Ovest' are read under a hemisphere header, but under 'H' were passed over:
    # each southern (western) record put north (east), exit 0
    lines = ["Date,Lat,Lon,H"] + [
        f"2024-01-{d:02d},{d / 10 + 0.5:.3f},{100 + d / 10:.3f},{south if d % 2 else north}"
        for d in range(1, 16)
    ]
    column = "Lat" if axis == "lat" else "Lon"
    with pytest.raises(InputError, match=rf"'H' holds hemisphere letters .* beside '{column}'"):
        read_seizures(write_lines(tmp_path / "s.csv", lines))


# ---------------------------------------------------------------------- voyage ends

_PORTS = ["Lagos", "Tema", "Lome", "Cotonou"]


def test_a_port_of_departure_beside_an_arrival_date_is_a_place_not_a_rival(tmp_path):
    # 'Departure port' names a voyage's end but holds places: no second date to choose from
    lines = ["Departure port,Arrival date,quantity_kg,lat,lon"] + [
        f"{_PORTS[i % 4]},2020-01-{i + 1:02d},{i + 1},6.{i},1.{i}" for i in range(8)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    evidence = res.assumptions["columns"]["time"]
    assert evidence["column"] == "Arrival date"
    assert "names the voyage's arrival" in evidence["evidence"]
    assert res.frame["time"].dt.strftime("%m-%d").tolist()[:2] == ["01-01", "01-02"]


def test_german_departure_and_arrival_dates_and_no_own_date_are_refused(tmp_path):
    lines = ["Datum Abfahrt,Datum Ankunft,lat,lon"] + [
        f"2020-01-{i + 1:02d},2020-01-{i + 9:02d},6.{i},1.{i}" for i in range(8)
    ]
    with pytest.raises(InputError, match="a voyage's departure and arrival"):
        read_seizures(write_lines(tmp_path / "s.csv", lines))


#: Zone descriptions as a log writes them and their hours east of UTC by hand: a letter beside
#: decimal hours of its own, the letters' spellings in use, the hours as a clock (ZD +05:30 is
#: UTC-5:30).
_WRITTEN_ZD = [
    ("+5.0 (R)", -5), ("-9.0 (I)", 9), ("Whisky", -10), ("Whiskey", -10), ("X-ray", -11),
    ("+05:30", -5.5), ("-03:00", 3), ("+0930", -9.5),
]  # fmt: skip


def test_zone_descriptions_as_written_read_with_the_nautical_sign(tmp_path):
    res = _read(tmp_path, "date,ZD", *[f"2021-03-05 10:00,{v}" for v, _ in _WRITTEN_ZD])
    assert res.n_rejected == 0
    assert _times(res) == [_utc("2021-03-05 10:00", east) for _, east in _WRITTEN_ZD]


def test_hemisphere_letters_south_only_after_the_first_rows_are_refused(tmp_path):
    # 30 northern records first, then southern ones: the glance at the first rows finds only
    # N, the records sampled across the file find the S
    lines = ["Date,Lat,H,Lon"] + [
        f"2024-02-{1 + d % 28:02d},{d / 10 + 0.5:.3f},{'N' if d < 30 else 'S'},{100 + d / 10:.3f}"
        for d in range(60)
    ]
    with pytest.raises(InputError, match=r"'H' holds hemisphere letters \(N/S; 30 like 'S'\)"):
        read_seizures(write_lines(tmp_path / "s.csv", lines))


@pytest.mark.parametrize(
    ("lats", "letters"),
    [(["-0.6", "0.7"], ["S", "N"]), (["0.6", "0.7"], ["N", "N"])],
    ids=["signed-degrees", "north-only"],
)
def test_letters_under_an_unknown_header_that_change_nothing_are_read(tmp_path, lats, letters):
    # signed degrees need no letter; a column of N only puts no record in the other
    # hemisphere: neither is refused, and the degrees are read as written
    lines = ["Date,Lat,H,Lon"] + [
        f"2024-01-{d:02d},{lats[d % 2]},{letters[d % 2]},{100 + d / 10:.3f}" for d in range(1, 16)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.n_rejected == 0
    assert res.frame["lat"].tolist()[:2] == [float(lats[1]), float(lats[0])]


def test_a_juliet_beside_a_date_without_a_clock_is_not_said_rejected(tmp_path):
    # a date has no local time to place: its J rejects nothing, and no note says it does
    res = _read(tmp_path, "date,ZD", "2021-03-05,J", "2021-03-06 10:00,+5")
    assert res.n_rejected == 0
    assert not [n for n in res.notes if "Juliet" in n]
    assert _times(res) == ["2021-03-05 00:00", _utc("2021-03-06 10:00", -5)]


def test_a_fishing_zone_description_of_letters_is_no_zone_of_the_times(tmp_path):
    # fishing zones lettered A, C are no nautical zone letters (A: ZD -1): times stay UTC
    res = _read(
        tmp_path,
        "date,Fishing zone description",
        "2021-03-05 10:00,A",
        "2021-03-06 10:00,C",
    )
    assert _times(res) == ["2021-03-05 10:00", "2021-03-06 10:00"]


def test_a_german_ost_west_header_reads_o_as_east(tmp_path):
    # German 'Ost' is east: under 'Ost/West' an O is E, a W west
    lines = ["Datum,Breite,Länge,Ost/West"] + [
        f"2024-01-{d:02d},{50 + d / 10:.1f},{5 + d / 10:.1f},{'O' if d % 2 else 'W'}"
        for d in range(1, 11)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.n_rejected == 0
    assert res.frame["lon"].tolist()[:2] == [5.1, -5.2]


def test_a_time_header_saying_lt_is_local_time_and_refused_without_a_zone(tmp_path):
    with pytest.raises(InputError, match="says local time"):
        _read(tmp_path, '"Time (LT)"', "2021-03-05 10:00", "2021-03-06 10:00")


@pytest.mark.parametrize(
    "header", ["Местное время", "Time (LT)", "現地時刻", "Czas lokalny"], ids=str
)
def test_local_time_headers_in_the_languages_read(header):
    assert local_time_header(header)


def test_a_date_column_of_no_voyage_end_is_taken_before_an_etd_left_of_it(tmp_path):
    lines = ["Vessel,ETD,Seen,Latitude,Longitude,Commodity"] + [
        f"V{i},2023-01-{i + 1:02d},2023-01-{i + 11:02d},10.{i},-60.{i},cocaine" for i in range(6)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.assumptions["columns"]["time"]["column"] == "Seen"
    assert res.frame["time"].dt.strftime("%m-%d").tolist()[0] == "01-11"


def test_a_departure_time_of_words_beside_an_arrival_date_is_no_rival(tmp_path):
    lines = ["Arrival date,Departure time,lat,lon"] + [
        f"2020-01-{i + 1:02d},{'morning' if i % 2 else 'unknown'},6.{i},1.{i}" for i in range(8)
    ]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert res.assumptions["columns"]["time"]["column"] == "Arrival date"
