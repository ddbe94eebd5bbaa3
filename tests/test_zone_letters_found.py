"""A ship's log's zone letters, ``Time (ZD)`` headers, ZD columns read in chunks, MSK by date.

A ``ZD`` column of nautical zone letters (``R`` is ZD +5, UTC-5; ``Romeo`` its word) was
rejected row by row as ``time_zone_unknown``; ``J`` (the observer's local time) names no
zone and stays rejected, its message saying so.  A time header ``Time (ZD)`` (zone time, no
hours) with no column of zone descriptions beside it was read as UTC, hours off, exit 0: it
is refused.  A ZD column whose first chunk held only blanks or words was passed over for
the whole file read in chunks: later zone descriptions unread, times hours off; the decision
is now the whole file's.  ``MSK`` was always UTC+3, but Moscow's standard time was UTC+4
from 2011-03-27 to 2014-10-26: read by the date, in all four places that read abbreviations.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from _corpus import write_ais_with
from hypothesis import given, settings
from hypothesis import strategies as st
from test_seizures_time_zones import _read, _times

from pipeline.errors import InputError
from pipeline.ingest import read_tracks, write_rejects
from pipeline.ingest.stream import PingStore, spill_tracks

LOCAL = "2021-03-05 10:00"

#: The zone letters and their hours east of UTC, written out by hand (the zone description
#: is the opposite: R is ZD +5).
EAST = {
    "Z": 0, "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8, "I": 9, "K": 10,
    "L": 11, "M": 12, "N": -1, "O": -2, "P": -3, "Q": -4, "R": -5, "S": -6, "T": -7, "U": -8,
    "V": -9, "W": -10, "X": -11, "Y": -12,
}  # fmt: skip


def _utc(local: str, east_hours: float) -> str:
    """UTC of a local time ``east_hours`` east of UTC (hand reference)."""
    t = datetime.strptime(local, "%Y-%m-%d %H:%M") - timedelta(hours=east_hours)
    return t.strftime("%Y-%m-%d %H:%M")


def test_every_zone_letter_places_its_time(tmp_path):
    res = _read(tmp_path, "date,ZD", *[f"{LOCAL},{c}" for c in EAST])
    assert res.n_rejected == 0
    assert _times(res) == [_utc(LOCAL, h) for h in EAST.values()]


@pytest.mark.parametrize(
    ("value", "east"),
    [
        ("r", -5),
        ("Romeo", -5),
        ("ROMEO", -5),
        ("zulu", 0),
        ("Alfa", 1),
        ("Alpha", 1),
        ("Mike", 12),
        ("November", -1),
        ("Whiskey", -10),
        ("X-ray", -11),
        ("Yankee", -12),
        ("+5 (R)", -5),
        ("-3 (C)", 3),
        ("+0 (Z)", 0),
    ],
)
def test_a_letter_in_any_case_or_its_word_reads_as_the_hours(tmp_path, value, east):
    res = _read(tmp_path, '"date","Zone description"', f'{LOCAL},"{value}"')
    assert res.n_rejected == 0
    assert _times(res) == [_utc(LOCAL, east)]


def test_numbers_and_letters_in_one_column_each_read_by_its_kind(tmp_path):
    # ZD +5 and R are both UTC-5; ZD -3 and C both UTC+3; 0 and Z UTC
    values = ["+5", "R", "-3", "c", "0", "Z", "-5.5"]
    res = _read(tmp_path, "date,ZD", *[f"{LOCAL},{v}" for v in values])
    assert res.n_rejected == 0
    assert _times(res) == [_utc(LOCAL, h) for h in (-5, -5, 3, 3, 0, 0, 5.5)]


@pytest.mark.parametrize("value", ["J", "j", "Juliet", "Juliett"])
def test_juliet_is_rejected_saying_it_is_local_time(tmp_path, value):
    res = _read(tmp_path, "date,ZD", f"{LOCAL},{value}", f"{LOCAL},R")
    assert _times(res) == [_utc(LOCAL, -5)]
    assert list(res.rejects["rule"]) == ["time_zone_unknown"]
    assert "J is the observer's local time" in res.rejects["message"].iloc[0]
    assert any("are J (Juliet" in n for n in res.notes)


def test_hours_and_a_letter_that_disagree_are_rejected(tmp_path):
    # +5 is R, not C: which of the two is right is not known
    res = _read(tmp_path, "date,ZD", f"{LOCAL},+5 (C)", f"{LOCAL},+5 (R)")
    assert _times(res) == [_utc(LOCAL, -5)]
    assert list(res.rejects["rule"]) == ["time_zone_unknown"]
    assert not any("Juliet" in n for n in res.notes)  # no J among them


def test_zone_letters_place_pings(tmp_path):
    letters = ["R", "Kilo", "z", "-3 (C)"]
    got = read_tracks(write_ais_with(tmp_path, "ZD", letters))
    assert got.n_rejected == 0
    want = sorted(_utc(f"2023-01-0{1 + i} 10:00", h) for i, h in enumerate((-5, 10, 0, 3)))
    assert sorted(got.frame["time"].dt.strftime("%Y-%m-%d %H:%M")) == want


@pytest.mark.parametrize(
    "columns", ['"Time (ZD)"', "time_zd", 'date,"Time (ZD)"'], ids=["header", "snake", "clock"]
)
def test_a_zone_time_header_without_hours_and_no_zd_column_is_refused(tmp_path, columns):
    # read as UTC before: 10:00 zone time, hours off, exit 0
    row = "2021-03-05,10:00" if columns.startswith("date") else LOCAL
    with pytest.raises(InputError, match=r"says zone time.*ZD"):
        _read(tmp_path, columns, row)


def test_a_zone_time_header_beside_a_zd_column_of_words_is_refused(tmp_path):
    with pytest.raises(InputError, match="says zone time"):
        _read(tmp_path, '"Time (ZD)","Zone description"', f"{LOCAL},Territorial sea")


def test_a_zone_time_header_beside_a_zd_column_reads_the_column(tmp_path):
    res = _read(tmp_path, '"Time (ZD)",ZD', f"{LOCAL},+5", f"{LOCAL},Romeo", f"{LOCAL},-2")
    assert _times(res) == [_utc(LOCAL, -5), _utc(LOCAL, -5), _utc(LOCAL, 2)]
    assert res.assumptions["columns"]["utc_offset"]["column"] == "ZD"


def test_a_zone_time_header_beside_a_bare_zone_of_signed_offsets_is_refused(tmp_path):
    # '+05:00' was read as UTC+5 (05:00 UTC); as the zone description the header says the
    # times are in it is UTC-5 (15:00 UTC): ten hours apart, exit 0
    with pytest.raises(InputError, match=r"says zone time.*'Zone'.*'\+05:00'"):
        _read(tmp_path, '"Time (ZD)",Zone', f"{LOCAL},+05:00")
    # a zone's name has no sign to mistake
    assert _times(_read(tmp_path, '"Time (ZD)",Zone', f"{LOCAL},Europe/Oslo")) == [_utc(LOCAL, 1)]


def _pings(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return sorted(
        zip(
            frame["vessel_id"].astype(str),
            frame["time"].dt.strftime("%Y-%m-%d %H:%M"),
            strict=True,
        )
    )


def _log(tmp_path, first: list[str], later: list[str]):
    """A log of 2,000 pings of five ships a minute apart in zone time (a piece is 64 KiB:
    about 1,450 records), its first 1,600 ZD values cycling ``first``, the rest ``later``."""
    rows = ["mmsi,timestamp,lat,lon,sog,ZD"]
    for i in range(2000):
        k = i // 5
        t = f"2024-01-{1 + k // 1440:02d}T{(k // 60) % 24:02d}:{k % 60:02d}:00"
        zd = first[i % len(first)] if i < 1600 else later[i % len(later)]
        rows.append(f"{235000000 + i % 5},{t},{43 + k * 1e-4:.5f},{5 + k * 1e-4:.5f},10.0,{zd}")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("first", [[""], ["Territorial sea", "", "EEZ"]], ids=["blank", "words"])
def test_a_zd_column_read_in_chunks_is_read_as_whole(tmp_path, first):
    # the first piece gives no zone description, the later ones do (R, +5, Romeo: UTC-5):
    # passed over for the whole file, the 2,000 times were read as UTC, 5 h off, exit 0
    path = _log(tmp_path, first, ["R", "+5", "Romeo"])
    whole = read_tracks(path)
    spill = spill_tracks(path, tmp_path / "s", chunk_rows=1, n_buckets=2)
    store = PingStore([spill], root=tmp_path / "s")  # removes the folder when it goes
    assert len(spill.reject_parts) >= 2  # read in two pieces or more
    # record 1600 is at 05:20 zone time on 1 January (k = 320 minutes): 10:20 UTC
    assert (whole.n_read, len(whole.frame), whole.n_rejected) == (2000, 400, 1600)
    assert str(whole.frame["time"].min()) == "2024-01-01 10:20:00+00:00"
    frame = store.to_frame()
    assert _pings(frame) == _pings(whole.frame)
    assert (spill.n_read, spill.n_accepted, spill.n_rejected) == (2000, 400, 1600)
    chunked = spill.write_rejects(tmp_path / "chunked").read_bytes()
    assert chunked == write_rejects(whole, tmp_path / "whole").read_bytes()


# --------------------------------------------------------------------------- MSK by the date

#: Wall-clock times in MSK and their UTC by hand: Moscow's standard time was UTC+3 in 2005
#: (its summer time was MSD), UTC+4 from 2011-03-27 02:00 to 2014-10-26 02:00, UTC+3 after;
#: 02:30 on 2011-03-27 was skipped, 01:30 on 2014-10-26 came twice (None: rejected).
MSK = [
    ("2005-07-01 10:00", "2005-07-01 07:00"),
    ("2011-03-27 01:59", "2011-03-26 22:59"),
    ("2011-03-27 02:30", None),
    ("2011-03-27 03:00", "2011-03-26 23:00"),
    ("2012-03-05 10:00", "2012-03-05 06:00"),
    ("2014-10-26 01:30", None),
    ("2014-10-26 02:00", "2014-10-25 23:00"),
    ("2016-01-01 10:00", "2016-01-01 07:00"),
]


def _msk_read(tmp_path, how: str):
    """Read :data:`MSK` by one of the four places that read an abbreviation."""
    if how == "header":
        return _read(tmp_path, '"Time (MSK)"', *[w for w, _ in MSK])
    if how == "column":
        return _read(tmp_path, "date,tz", *[f"{w},MSK" for w, _ in MSK])
    if how == "clock":
        return _read(tmp_path, "date,time", *[f"{w[:10]},{w[11:]} MSK" for w, _ in MSK])
    return _read(tmp_path, "date", *[f"{w} MSK" for w, _ in MSK])


@pytest.mark.parametrize("how", ["header", "column", "clock", "text"])
def test_msk_is_read_by_the_date(tmp_path, how):
    res = _msk_read(tmp_path, how)
    assert _times(res) == [u for _, u in MSK if u is not None]
    assert res.n_rejected == sum(u is None for _, u in MSK)
    assert any("UTC+4 from 2011-03-27 to 2014-10-26" in n for n in res.notes)
    if how == "column":  # the note counts the times placed by MSK
        assert any("6 local time(s) by column 'tz'" in n for n in res.notes)


def test_an_offset_written_beside_msk_is_checked_at_the_date():
    from pipeline.ingest._dates import parse_times

    values = [
        "2012-03-05 10:00 +0400 (MSK)",  # right in 2012
        "2005-03-05 10:00 +0400 (MSK)",  # MSK was +3 then: two zones
        "2012-03-05 10:00 +0300 (MSK)",
        "2014-10-26 01:30 +0400 (MSK)",  # the first of the repeated hour, said by its offset
    ]
    got = parse_times(pd.Series(values, dtype=object), name="t.csv", column="t").times
    assert [None if pd.isna(t) else t.strftime("%Y-%m-%d %H:%M") for t in got] == [
        "2012-03-05 06:00",
        None,
        None,
        "2014-10-25 21:30",
    ]


def test_a_time_s_own_offset_is_compared_with_msk_at_its_date(tmp_path):
    same = _read(tmp_path, "date,tz", "2012-03-05T10:00+04:00,MSK")
    assert not any("carry an offset of their own" in n for n in same.notes)
    other = _read(tmp_path, "date,tz", "2012-03-05T10:00+03:00,MSK")
    assert any("carry an offset of their own" in n for n in other.notes)
    # 01:30+03:00 on 2014-10-26 is 22:30 UTC, after the change back to +3: MSK's offset at
    # that instant (its UTC, not its clock read as a wall time, which falls before it)
    after = _read(tmp_path, "date,tz", "2014-10-26T01:30+03:00,MSK")
    assert _times(after) == ["2014-10-25 22:30"]
    assert not any("carry an offset of their own" in n for n in after.notes)


def test_an_msk_clock_is_read_on_its_date_s_own_day():
    from pipeline.ingest._dates import times_with_clock

    # the date's midnight in +03:00 is 21:00 UTC the day before; 03:00 MSK on 2011-03-27 is
    # +4, not the date's +3: two zones, rejected; on 2011-03-28 both are +4
    parsed, _ = times_with_clock(
        pd.Series(["2011-03-27+03:00", "2011-03-28+04:00"], dtype=object),
        pd.Series(["03:00 MSK", "03:00 MSK"], dtype=object),
        dayfirst=None,
        order_by="values",
        name="t.csv",
        date_column="d",
        clock_column="c",
    )
    assert [None if pd.isna(t) else str(t) for t in parsed.times] == [
        None,
        "2011-03-27 23:00:00+00:00",
    ]


def _msk_by_zoneinfo(wall: datetime) -> datetime | None:
    """UTC of a wall-clock time in MSK by ``zoneinfo`` alone (None: not one instant).

    MSK is Moscow's standard time (``utcoffset() - dst()``): each standard offset the wall
    time may have (either fold) is kept where zoneinfo gives that offset at the instant it
    makes; one such offset is the answer, none (skipped) or two (repeated) are none.
    """
    moscow = ZoneInfo("Europe/Moscow")
    found = set()
    for fold in (0, 1):
        at = wall.replace(tzinfo=moscow, fold=fold)
        std = at.utcoffset() - at.dst()
        utc = (wall - std).replace(tzinfo=UTC).astimezone(moscow)
        if utc.utcoffset() - utc.dst() == std:
            found.add(wall - std)
    return found.pop() if len(found) == 1 else None


#: Minutes around the changes of Moscow's standard time, most likely to go wrong.
_EDGES = [datetime(2011, 3, 27, 1), datetime(2014, 10, 26, 0)]
_WALLS = st.one_of(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2020, 12, 31)),
    st.builds(
        lambda edge, minutes: edge + timedelta(minutes=minutes),
        st.sampled_from(_EDGES),
        st.integers(0, 180),
    ),
).map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=25, deadline=None)
@given(walls=st.lists(_WALLS, min_size=1, max_size=12))
def test_msk_agrees_with_zoneinfo_in_every_place_it_is_read(walls):
    from pipeline.ingest._dates import parse_times, times_with_clock, zone_abbreviation_offsets

    want = [_msk_by_zoneinfo(w) for w in walls]
    wall_s = np.array([(w - datetime(1970, 1, 1)).total_seconds() for w in walls])
    off = zone_abbreviation_offsets(["MSK"] * len(walls), wall_s)
    assert [
        None if np.isnan(o) else w - timedelta(seconds=o) for w, o in zip(walls, off, strict=True)
    ] == want
    text = pd.Series([f"{w:%Y-%m-%d %H:%M} MSK" for w in walls], dtype=object)
    dates = pd.Series([f"{w:%Y-%m-%d}" for w in walls], dtype=object)
    clocks = pd.Series([f"{w:%H:%M} MSK" for w in walls], dtype=object)
    by_text = parse_times(text, name="t.csv", column="t").times
    by_clock = times_with_clock(
        dates,
        clocks,
        dayfirst=None,
        order_by="values",
        name="t.csv",
        date_column="d",
        clock_column="c",
    )[0].times
    for got in (by_text, by_clock):
        assert [None if pd.isna(t) else t.tz_convert(None).to_pydatetime() for t in got] == want
