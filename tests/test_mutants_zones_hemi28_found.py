"""Time-zone conflict counts, chunked note order and unnamed hemisphere letters (hJF).

A mutation pass over ``pipeline/ingest/zones.py``'s disagreement notes (hIU), ``_State.note``'s
order of a later chunk's new note (hJC) and ``_refuse_unnamed_hemispheres``' letter counts
(hIX) left the gaps killed below; every UTC time is pandas' ``tz_localize``/``tz_convert``
(or ``zoneinfo``) of the statement the rule applies, worked out here.  Found with it:

- epoch numbers under ``Time (UTC+5)`` (or ``Time (LT)``) were read as the instants they
  count with nothing said, the header's zone ignored: now a counted note;
- ``+02:00`` in July under ``Time (CET)`` was counted as a disagreement with the header,
  where CET is also written for the time kept in Central Europe, summer time included (tz
  list, 2015-10: "Central European Time ... to denote either UTC+1 or UTC+2"; CLDR gives
  ``CET`` to the generic form): a note of its own now says so, and that the header's times
  without an offset are read at +01:00 all year; ``+02:00`` in January stays a disagreement;
- read in chunks, a column of hemisphere letters with a stray value on a record of the first
  chunk that the whole read's spaced records pass over was dropped before its S were
  counted: its southern records read north, exit 0, where the whole read refuses.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pandas as pd
import pytest
from test_ingest_stream import _assert_same, _both
from test_parity_ingest27_found import _pieces_of
from test_zone_conflicts27_found import (
    COLUMN_HEADER,
    OWN_COLUMN,
    OWN_HEADER,
    Z_LOCAL,
    _said,
    _seizures,
    _times,
    _track_file,
    _utc_local,
    _utc_own,
)

from pipeline.errors import InputError

EPOCH = "are epoch numbers (instants, UTC by definition) under header"
SUMMER = "carry the summer time of the zone whose standard time"


def _utc_epoch(seconds: int) -> str:
    return pd.to_datetime(seconds, unit="s", utc=True).strftime("%Y-%m-%d %H:%M")


# ------------------------------------------------------------------ epoch under a header zone


def test_epoch_numbers_under_a_headers_zone_are_instants_and_said(tmp_path):
    # 1614938400 is 2021-03-05 10:00 UTC; the header's UTC+5 is not applied to an instant
    values = ["1614938400", "1614942000", "1614945600000", "2021-03-05 12:00"]
    res = _seizures(tmp_path, '"Time (UTC+5)"', values)
    assert _times(res) == [
        _utc_epoch(1614938400),
        _utc_epoch(1614942000),
        _utc_epoch(1614945600),
        _utc_local("2021-03-05 12:00", 5),
    ]
    assert _said(res, EPOCH) == [
        "s.csv: 3 time(s) are epoch numbers (instants, UTC by definition) under header "
        "'Time (UTC+5)', whose zone 'UTC+5' is not applied to them; each is read as the "
        "instant it counts - check that they were not counted from that zone's clock"
    ]
    assert not _said(res, OWN_HEADER)  # not counted twice


@pytest.mark.parametrize(
    "header", ['"Time (UTC)"', "time_utc", '"Time [Europe/London]"'], ids=["utc", "name", "gmt"]
)
def test_epoch_numbers_under_a_header_of_utc_are_not_said(tmp_path, header):
    # London keeps UTC in March: the instant agrees with the header's zone there
    res = _seizures(tmp_path, header, ["1614938400", "1614942000"])
    assert _times(res) == [_utc_epoch(1614938400), _utc_epoch(1614942000)]
    assert not _said(res, EPOCH) and not _said(res, OWN_HEADER)


def test_epoch_numbers_under_local_time_are_said(tmp_path):
    res = _seizures(tmp_path, '"Time (LT)"', ["1614938400", "2021-03-05T10:00Z"])
    assert _times(res) == [_utc_epoch(1614938400), _utc_own("2021-03-05T10:00Z")]
    assert [n.split(" time(s)")[0] for n in _said(res, EPOCH)] == ["s.csv: 1"]
    assert [n.split(" time(s)")[0] for n in _said(res, Z_LOCAL)] == ["s.csv: 1"]


# ------------------------------------------------------- CET written for the summer's CEST


def _utc_zone(wall: str, zone: str) -> str:
    """UTC of a wall-clock time in tz database zone ``zone``, by zoneinfo."""
    t = datetime.fromisoformat(wall).replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("header", "values", "summer", "other"),
    [
        (  # July's +02:00 is CEST, the CET zone's summer; January's +02:00 is no CET's
            '"Time (CET)"',
            ["2021-07-05T10:00+02:00", "2021-01-05T10:00+02:00", "2021-07-05T10:00+01:00"],
            1,
            1,
        ),
        ('"Time (CET)"', ["2021-07-05 10:00 CEST", "2021-07-05T10:00+03:00"], 1, 1),
        ('"Time (EET)"', ["2021-07-05T10:00+03:00", "2021-01-05T10:00+03:00"], 1, 1),
        # an offset keeps no summer time: +02:00 under UTC+1 disagrees all year
        ('"Time (UTC+1)"', ["2021-07-05T10:00+02:00"], 0, 1),
    ],
    ids=["cet", "cest-word", "eet", "offset"],
)
def test_the_summer_time_of_a_headers_zone_is_said_apart(tmp_path, header, values, summer, other):
    res = _seizures(tmp_path, header, values)
    iso = [v.replace(" CEST", "+02:00") for v in values]
    assert _times(res) == [_utc_own(v) for v in iso]  # each by its own offset
    zone = header.strip('"')[6:-1]
    # the summer rows are those whose own offset is the tz zone's at the instant
    by_zoneinfo = [
        pd.Timestamp(v).utcoffset()
        == pd.Timestamp(v).tz_convert(zoneinfo.ZoneInfo(zone)).utcoffset()
        if zone.isalpha()
        else False
        for v in iso
    ]
    assert sum(by_zoneinfo) == summer
    said = _said(res, SUMMER)
    if summer:
        assert said == [
            f"s.csv: {summer} time(s) {SUMMER} {zone!r} (UTC+0{1 + (zone == 'EET')}:00) header "
            f"{header.strip(chr(34))!r} names, as {zone} is also written for the time kept "
            f"there all year; each is read by its own offset, and a time without one under the "
            f"header by {zone}'s standard offset, summer or winter - check those dated in summer"
        ]
    else:
        assert said == []
    assert [n.split(" time(s)")[0] for n in _said(res, OWN_HEADER)] == [f"s.csv: {other}"]


def test_a_naive_summer_time_under_cet_is_read_at_its_standard_offset(tmp_path):
    # the note's claim, by hand: CET is +01:00 all year where the value says nothing
    res = _seizures(tmp_path, '"Time (CET)"', ["2021-07-05 10:00", "2021-07-05T10:00+02:00"])
    assert _times(res) == [
        _utc_local("2021-07-05 10:00", 1),
        _utc_zone("2021-07-05 10:00", "Europe/Berlin"),
    ]


# ------------------------------------------------- unnamed hemisphere letters, a stray value


def _letters_with_stray(n: int, south: list[int], stray: int) -> pd.DataFrame:
    h = pd.Series("N", index=pd.RangeIndex(n))
    h.iloc[south] = "S"
    h.iloc[stray] = "X"
    return pd.DataFrame({"Lat": [f"{10 + k * 1e-5:.5f}" for k in range(n)], "H": h, "Lon": "75.0"})


@pytest.mark.parametrize(("stray", "refused"), [(1, True), (4, False)], ids=["between", "spaced"])
def test_a_stray_first_chunk_value_is_judged_as_the_whole_read_judges_it(stray, refused):
    # 20,000 records: the whole read looks at every 4th; a stray 'X' on record 1 lies
    # between them (refused: two S), one on record 4 among them (the column is no letters')
    frame = _letters_with_stray(20_000, [9_001, 12_002], stray)
    whole = _parts(frame)
    assert ("'H' holds hemisphere letters (N/S; 2 like 'S')" in whole) is refused, whole
    assert _parts(frame, 1000) == whole


def test_a_stray_first_chunk_value_in_a_track_file_read_in_chunks(tmp_path):
    # the reader's own path, > 64 KiB: 10,000 pings (spaced every 2nd), 'X' on record 1
    lines = ["mmsi,time,lat,H,lon,sog"]
    for i in range(10_000):
        h = "S" if i in (4_001, 9_003) else ("X" if i == 1 else "N")
        t = f"2021-03-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
        lines.append(f"2446600{i % 10:02d},{t},{10 + i % 100 / 1000:.3f},{h},20.5,5")
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 65536
    from _ingest_stage import track_outcome

    whole = track_outcome(path, "whole", 0, tmp_path)
    assert whole[0] == "refused" and "(N/S; 2 like 'S')" in whole[1], whole
    assert track_outcome(path, "chunks", 1, tmp_path) == whole


# ---------------------------------------------- a zone the value names inside it, not last


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("Fri Mar 05 10:00:00 CET 2021", "2021-03-05T10:00+01:00"),  # date's Unix layout
        ("2021-03-05T10:00+01:00 (CET)", "2021-03-05T10:00+01:00"),
    ],
    ids=["unix-date", "bracketed-word"],
)
def test_a_zone_named_inside_the_value_is_compared_with_the_header(tmp_path, value, iso):
    # the suffix read only what a value ends with: these disagreed with UTC+5 silently
    res = _seizures(tmp_path, '"Time (UTC+5)"', [value, "2021-03-05T10:00+05:00"])
    assert _times(res) == [_utc_own(iso), _utc_own("2021-03-05T10:00+05:00")]
    assert [n.split(" time(s)")[0] for n in _said(res, OWN_HEADER)] == ["s.csv: 1"]


def test_a_zone_named_inside_the_value_is_compared_with_the_column(tmp_path):
    rows = ["Fri Mar 05 10:00:00 CET 2021,+05:00", "Fri Mar 05 11:00:00 CET 2021,+01:00"]
    res = _seizures(tmp_path, "time,utc_offset", rows)
    assert _times(res) == [_utc_local("2021-03-05 10:00", 1), _utc_local("2021-03-05 11:00", 1)]
    assert [n.split(" time(s)")[0] for n in _said(res, OWN_COLUMN)] == ["s.csv: 1"]


# --------------------------------------------------------- UTC under a header of local time


@pytest.mark.parametrize(
    ("header", "values", "n"),
    [
        (
            '"Time (LT)"',
            ["2021-03-05 10:00 GMT", "2021-03-05 11:00 UT", "2021-03-05T12:00+00:00"],
            2,
        ),
        # EST says local time of some zone as LT does (never UTC): a Z under it was silent
        ('"Time (EST)"', ["2021-03-05T10:00Z", "2021-03-05T11:00-05:00"], 1),
    ],
    ids=["gmt-ut", "several"],
)
def test_utc_named_under_local_time_is_counted(tmp_path, header, values, n):
    res = _seizures(tmp_path, header, values)
    iso = [v.replace(" GMT", "Z").replace(" UT", "Z") for v in values]
    assert _times(res) == [_utc_own(v) for v in iso]
    assert _said(res, Z_LOCAL) == [
        f"s.csv: {n} time(s) name UTC (Z, UTC, GMT) under header {header.strip(chr(34))!r}, "
        "which says local time; each is read as UTC - check which is right"
    ]


def test_an_own_offset_beside_a_blank_column_is_not_counted(tmp_path):
    # the column says nothing on that row: no disagreement (and no reject, the value is placed)
    rows = ["2021-03-05T10:00+02:00,", "2021-03-05T11:00+02:00,+05:00", "2021-03-05 12:00,+05:00"]
    res = _seizures(tmp_path, "time,utc_offset", rows)
    assert _times(res) == [
        _utc_own("2021-03-05T10:00+02:00"),
        _utc_own("2021-03-05T11:00+02:00"),
        _utc_local("2021-03-05 12:00", 5),
    ]
    assert res.n_rejected == 0
    assert [n.split(" time(s)")[0] for n in _said(res, OWN_COLUMN)] == ["s.csv: 1"]


# ------------------------------------------------------------- the new notes, read in chunks


def test_epoch_and_summer_notes_add_up_in_chunks_in_the_whole_reads_order(tmp_path):
    # under 'Time (CET)', in July: epoch numbers, CEST offsets and naive times spread over
    # chunks of 9; the first chunk holds naive times only, so each counted note is first
    # said by a later chunk and goes where the whole read says it (before the count placed)
    t0 = pd.Timestamp("2021-07-05 08:00")
    rows = []
    for k in range(40):
        wall = t0 + pd.Timedelta(minutes=7 * k)
        if k >= 9 and k % 5 == 0:
            rows.append(str(int((wall - pd.Timestamp("1970-01-01")).total_seconds())))
        elif k >= 9 and k % 5 == 1:
            rows.append(f"{wall:%Y-%m-%dT%H:%M}+02:00")
        else:
            rows.append(f"{wall:%Y-%m-%d %H:%M}")
    src = _track_file(tmp_path, '"Time (CET)"', rows)
    whole, spill, store = _both(src, tmp_path, chunk_rows=9)
    n_epoch = sum(1 for k in range(9, 40) if k % 5 == 0)
    n_summer = sum(1 for k in range(9, 40) if k % 5 == 1)
    counted = [n.split(" time(s)")[0] for n in whole.notes if EPOCH in n or SUMMER in n]
    assert counted == [f"t.csv: {n_summer}", f"t.csv: {n_epoch}"]
    placed = next(i for i, n in enumerate(whole.notes) if "local time(s) placed" in n)
    assert all(i < placed for i, n in enumerate(whole.notes) if EPOCH in n or SUMMER in n)
    _assert_same(whole, spill, store, tmp_path)


# ----------------------------------------------------- a header's ZD, its bounds and halves


@pytest.mark.parametrize(
    ("zd", "east"),
    [("ZD+12", "-12:00"), ("ZD-12", "+12:00"), ("ZD+11.5", "-11:30"), ("ZD-0", "+00:00")],
    ids=["m", "y", "half", "zero"],
)
def test_a_header_zd_at_its_bounds_is_read(zd, east):
    # by hand: zones M and Y are the last, 12 h from UTC; ZD +h is h hours west of UTC
    from pipeline.ingest.zones import header_zone

    assert header_zone(f"Time ({zd})", "f.csv") == (f"UTC{east}", None)


@pytest.mark.parametrize("zd", ["ZD+13", "ZD+5.25", "ZD+5:15", "ZD-12:30"])
def test_a_header_zd_past_12_or_of_quarter_hours_is_refused(zd):
    from pipeline.ingest.zones import header_zone

    with pytest.raises(InputError, match="which is none"):
        header_zone(f"Time ({zd})", "f.csv")


def test_epoch_numbers_are_counted_where_the_headers_zone_is_not_utc_at_their_instant():
    # London keeps UTC in January, +01:00 in July (zoneinfo): one of the two disagrees
    import tempfile
    from pathlib import Path

    jan, jul = 1609502400, 1625486400  # 2021-01-01 12:00Z, 2021-07-05 12:00Z
    london = zoneinfo.ZoneInfo("Europe/London")
    offsets = [datetime.fromtimestamp(t, tz=london).utcoffset().total_seconds() for t in (jan, jul)]
    assert offsets == [0.0, 3600.0]
    with tempfile.TemporaryDirectory() as d:
        res = _seizures(Path(d), '"Time [Europe/London]"', [str(jan), str(jul)])
    assert _times(res) == [_utc_epoch(jan), _utc_epoch(jul)]
    assert [n.split(" time(s)")[0] for n in _said(res, EPOCH)] == ["s.csv: 1"]


@pytest.mark.parametrize("header", ['"Time (MSK)"', "time,utc_offset"], ids=["header", "column"])
def test_msk_is_compared_at_the_instant_across_moscows_2014_change(tmp_path, header):
    # Moscow went from +04:00 to +03:00 at 2014-10-25 22:00Z (zoneinfo): 01:30 local on the
    # 26th was at +04:00 (21:30Z) and again at +03:00 (22:30Z); each value names the one
    # Moscow kept at its instant, so neither disagrees with MSK taken at that instant
    values = ["2014-10-26T01:30+04:00", "2014-10-26T01:30+03:00"]
    moscow = zoneinfo.ZoneInfo("Europe/Moscow")
    for v in values:
        t = pd.Timestamp(v)
        assert t.utcoffset() == t.tz_convert(moscow).utcoffset()
    rows = values if header.startswith('"') else [f"{v},MSK" for v in values]
    res = _seizures(tmp_path, header, rows)
    assert _times(res) == ["2014-10-25 21:30", "2014-10-25 22:30"]
    assert not _said(res, OWN_HEADER) and not _said(res, OWN_COLUMN)


def test_a_column_is_compared_with_the_headers_zone_at_the_instant_it_places(tmp_path):
    # Berlin went from +01:00 to +02:00 at 2021-03-28 01:00Z (zoneinfo): 01:30 at +01:00 is
    # 00:30Z, still +01:00 there (agrees); read at its wall clock taken as UTC it was not
    rows = ["2021-03-28 01:30,+01:00", "2021-03-28 04:30,+01:00"]
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    at = [pd.Timestamp(_utc_local(r.split(",")[0], 1), tz="UTC") for r in rows]
    assert [t.tz_convert(berlin).utcoffset().total_seconds() for t in at] == [3600.0, 7200.0]
    res = _seizures(tmp_path, '"Time [Europe/Berlin]",utc_offset', rows)
    assert _times(res) == [_utc_local("2021-03-28 01:30", 1), _utc_local("2021-03-28 04:30", 1)]
    assert [n.split(" local")[0] for n in _said(res, COLUMN_HEADER)] == ["s.csv: 1"]


def _parts(frame: pd.DataFrame, rows: int | None = None) -> str:
    """The unnamed-letters refusal of ``frame``, read whole or in pieces of ``rows``."""
    from pipeline.ingest._columns import coordinate_parts

    raw, whole = (frame, None) if rows is None else (frame.iloc[:rows], _pieces_of(frame, rows))
    try:
        return str(coordinate_parts(raw, "Lat", "lat", {"Lat", "Lon"}, "f.csv", whole))
    except InputError as exc:
        return str(exc)


def test_the_refusals_example_is_the_first_southern_record_whole_or_in_pieces():
    # 'Sur' (Spanish) first, in the first piece; 'S' after it in later ones
    frame = _letters_with_stray(3_000, [100, 1_500, 2_500], 0)
    frame.loc[0, "H"] = "N"
    frame.loc[100, "H"] = "Sur"
    whole = _parts(frame)
    assert "(N/S; 3 like 'SUR')" in whole, whole
    assert _parts(frame, 1_000) == whole


def test_one_letter_column_with_s_beside_one_without_is_refused_in_pieces():
    frame = _letters_with_stray(3_000, [1_500, 2_500], 0)
    frame.loc[0, "H"] = "N"
    frame.insert(1, "K", "N")  # another column of letters, north only
    whole = _parts(frame)
    assert "column 'H' holds hemisphere letters (N/S; 2 like 'S')" in whole, whole
    assert _parts(frame, 1_000) == whole


def test_zero_degrees_carry_no_sign_and_do_not_spare_the_letters():
    # 0.0 on the equator is neither north nor south by its sign: the letters still decide
    frame = _letters_with_stray(3_000, [1_500, 2_500], 0)
    frame.loc[0, "H"] = "N"
    frame.loc[[0, 1_500], "Lat"] = "0.00000"
    assert "(N/S; 2 like 'S')" in _parts(frame)


def test_epoch_numbers_beside_an_offset_column_are_said_as_epoch(tmp_path):
    # the column is not applied to an instant; an epoch number carries no offset of its own
    rows = ["1614938400,+05:00", "1614942000,+00:00", "2021-03-05T12:00+02:00,+05:00"]
    res = _seizures(tmp_path, "time,utc_offset", rows)
    assert _times(res) == [
        _utc_epoch(1614938400),
        _utc_epoch(1614942000),
        _utc_own("2021-03-05T12:00+02:00"),
    ]
    assert [n.split(" time(s)")[0] for n in res.notes if "beside column 'utc_offset'" in n] == [
        "s.csv: 1"
    ]
    assert [n.split(" time(s)")[0] for n in _said(res, OWN_COLUMN)] == ["s.csv: 1"]


@pytest.mark.parametrize("first", [None, "None", "NaN"], ids=["missing", "none", "nan"])
def test_a_blank_first_record_does_not_spare_the_letters_in_pieces(first):
    frame = _letters_with_stray(3_000, [1_500, 2_500], 0)
    frame["H"] = frame["H"].astype(object)
    frame.loc[0, "H"] = first
    whole = _parts(frame)
    assert "(N/S; 2 like 'S')" in whole, whole
    assert _parts(frame, 1_000) == whole


def test_a_null_first_letter_in_a_parquet_file_does_not_spare_the_column(tmp_path):
    # a Parquet (or GeoJSON) null on the first record: astype(str) kept it NaN, the glance
    # at the first values failed and the two southern records were read north, exit 0
    from pipeline.ingest import read_seizures

    n = 200
    h = ["N"] * n
    h[0], h[50], h[120] = None, "S", "S"
    frame = pd.DataFrame(
        {
            "Lat": [f"{10 + k * 1e-3:.4f}" for k in range(n)],
            "H": h,
            "Lon": "75.0",
            "drug": "cocaine",
            "date": "2021-03-05",
        }
    )
    frame.to_parquet(tmp_path / "s.parquet")
    with pytest.raises(InputError, match=r"'H' holds hemisphere letters \(N/S; 2 like 'S'\)"):
        read_seizures(tmp_path / "s.parquet")


def test_minutes_after_a_courses_degrees_are_no_layout_it_reads(tmp_path):
    # '(deg min)' is a position's layout (12 30.5); a course's '45' under it is not read as
    # 45 degrees (its minutes would be lost): refused in one line naming the unit
    from pipeline.ingest import read_tracks

    path = tmp_path / "t.csv"
    rows = [f"244660000,2021-03-01T00:{i:02d}:00Z,10.{i:02d},20.5,45" for i in range(5)]
    path.write_text("\n".join(["mmsi,time,lat,lon,COG (deg min)", *rows]) + "\n")
    with pytest.raises(InputError, match=r"'COG \(deg min\)', read as the course, is in 'deg min'"):
        read_tracks(path)
