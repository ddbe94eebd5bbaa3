"""Time-zone statements of one record that disagree are counted, never silent (hIU).

A time may be told its zone by its own ISO offset or ``Z``, by its row's offset column
(``utc_offset``, ``Zone``, ``ZD``), and by its header (``Time (UTC+5)``, ``Time (UTC)``,
``Time (LT)``).  The precedence stays the documented one - the value's own offset, else a
header saying UTC (the column is then the local zone kept beside it), else the row's
column, else the header's zone - and every row where the statement applied disagrees with
another is now counted in a note naming both (a zone name compared at the time's
instant).  Before, a value's own offset under ``Time (UTC+5)`` or ``Time (UTC)``, a ``Z``
under ``Time (LT)``, and which rows of an offset column disagreed with the header's zone
were all silent.  Seizures and tracks, whole or in chunks, read and say the same.  Every
UTC time below is pandas' of the statement the rule applies, worked out here.
"""

from __future__ import annotations

import warnings
from datetime import timedelta, timezone

import pandas as pd
import pytest
from test_ingest_stream import _assert_same, _both

from pipeline.ingest import read_seizures, read_tracks

OWN_HEADER = "carry an offset of their own other than the zone"
COLUMN_HEADER = "placed by column"
OWN_COLUMN = "carry an offset of their own other than the one column"
Z_LOCAL = "name UTC (Z, UTC, GMT) under header"


def _utc_local(wall: str, zone: str | float) -> str:
    """UTC of a wall-clock time in ``zone`` (hours east, or a tz name), by pandas."""
    tz = timezone(timedelta(hours=zone)) if isinstance(zone, int | float) else zone
    return pd.Timestamp(wall).tz_localize(tz).tz_convert("UTC").strftime("%Y-%m-%d %H:%M")


def _utc_own(text: str) -> str:
    """UTC of a time that carries its offset, by pandas."""
    return pd.Timestamp(text).tz_convert("UTC").strftime("%Y-%m-%d %H:%M")


def _seizures(tmp_path, header: str, rows: list[str]):
    path = tmp_path / "s.csv"
    path.write_text(
        "\n".join([f"lat,lon,drug,{header}", *(f"10.5,-61.2,cocaine,{r}" for r in rows)]) + "\n",
        encoding="utf-8",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_seizures(path)


def _track_file(tmp_path, header: str, rows: list[str]):
    path = tmp_path / "t.csv"
    path.write_text(
        "\n".join(
            [f"mmsi,lat,lon,{header}"]
            + [f"257000001,{10.5 + k * 1e-3:.4f},-61.2,{r}" for k, r in enumerate(rows)]
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def _tracks(tmp_path, header: str, rows: list[str]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_tracks(_track_file(tmp_path, header, rows))


def _times(res) -> list[str]:
    times = res.frame["time"]
    assert str(times.dt.tz) == "UTC"
    return list(times.dt.strftime("%Y-%m-%d %H:%M"))


def _said(res, words: str) -> list[str]:
    return [n for n in res.notes if words in n]


# ------------------------------------------------------------ header's zone vs offset column


@pytest.mark.parametrize(
    ("header", "rows", "zones", "n"),
    [
        (  # two rows of +03:00 under UTC+5, one of +05:00 agreeing
            '"Time (UTC+5)",utc_offset',
            ["2021-03-05 10:00,+03:00", "2021-03-05 11:00,+05:00", "2021-03-05 12:00,+03:00"],
            [3, 5, 3],
            2,
        ),
        (  # Berlin is +01:00 in March and +02:00 in July: the July row disagrees
            '"Time [Europe/Berlin]",utc_offset',
            ["2021-03-05 10:00,+01:00", "2021-07-05 10:00,+01:00"],
            [1, 1],
            1,
        ),
        (  # ZD +5 is UTC-5; the column's ZD +3 (UTC-3) is not
            '"Time (ZD+5)",ZD',
            ["2021-03-05 10:00,+3", "2021-03-05 11:00,+5"],
            [-3, -5],
            1,
        ),
        (  # every row agrees: nothing to count
            '"Time (UTC+5)",utc_offset',
            ["2021-03-05 10:00,+05:00", "2021-03-05 11:00,+05"],
            [5, 5],
            0,
        ),
    ],
    ids=["offsets", "zone-name-at-instant", "zone-description", "agree"],
)
def test_rows_whose_column_is_not_the_headers_zone_are_counted(tmp_path, header, rows, zones, n):
    res = _seizures(tmp_path, header, rows)
    # the row's column is applied, as documented
    assert _times(res) == [_utc_local(r.split(",")[0], z) for r, z in zip(rows, zones, strict=True)]
    said = _said(res, COLUMN_HEADER)
    column = header.split(",")[1]
    hdr = header.split(",")[0].strip('"')
    if n:
        assert len(said) == 1 and said[0].startswith(
            f"s.csv: {n} local time(s) placed by column {column!r} at an offset other than "
            "the zone "
        )
        assert said[0].endswith(
            f"header {hdr!r} names; each is read by its column - check which is right"
        )
    else:
        assert said == []
    assert res.n_rejected == 0


def test_a_row_without_an_offset_is_rejected_not_counted_as_disagreeing(tmp_path):
    # the blank row is the column's time_zone_unknown reject (missing is not the header's
    # zone); only the +03:00 row disagrees with UTC+5
    rows = ["2021-03-05 10:00,+03:00", "2021-03-05 11:00,", "2021-03-05 12:00,+05:00"]
    res = _seizures(tmp_path, '"Time (UTC+5)",utc_offset', rows)
    assert _times(res) == [_utc_local("2021-03-05 10:00", 3), _utc_local("2021-03-05 12:00", 5)]
    assert res.rejects[["row", "rule", "column"]].to_dict("records") == [
        {"row": 3, "rule": "time_zone_unknown", "column": "utc_offset"}
    ]
    assert [n.split(" local")[0] for n in _said(res, COLUMN_HEADER)] == ["s.csv: 1"]


# ---------------------------------------------------------- own offset vs the header's zone


#: Values naming their zone in words, as ISO 8601 writes them (by hand: CET is +1; MSK was
#: +4 from 2011-03-27 to 2014-10-26, +3 since).
_WORDS_ISO = {
    "2021-03-05 10:00 CET": "2021-03-05T10:00+01:00",
    "2021-03-05 10:00 UTC": "2021-03-05T10:00Z",
    "2021-03-05 10:00 GMT": "2021-03-05T10:00Z",
    "2012-06-01 10:00 MSK": "2012-06-01T10:00+04:00",
    "2021-03-05 10:00 MSK": "2021-03-05T10:00+03:00",
}


@pytest.mark.parametrize(
    ("header", "values", "n"),
    [
        (
            '"Time (UTC+5)"',
            ["2021-03-05T10:00+02:00", "2021-03-05T10:00Z", "2021-03-05T10:00+05:00"],
            2,
        ),
        ('"Time (UTC)"', ["2021-03-05T10:00+02:00", "2021-03-05T10:00Z"], 1),
        ("time_utc", ["2021-03-05T10:00-0300", "2021-03-05T10:00+00:00"], 1),
        (  # +02:00 is Berlin's in July, not in March
            '"Time [Europe/Berlin]"',
            ["2021-07-05T10:00+02:00", "2021-03-05T10:00+02:00"],
            1,
        ),
        ('"Time (ZD+5)"', ["2021-03-05T10:00-05:00", "2021-03-05T10:00+05:00"], 1),
        # a zone word of one meaning is the value's own zone as an ISO offset is
        ('"Time (UTC+5)"', ["2021-03-05 10:00 CET", "2021-03-05 10:00 UTC"], 2),
        ('"Time (UTC+1)"', ["2021-03-05 10:00 CET", "2021-03-05 10:00 GMT"], 1),
        # MSK was UTC+4 from 2011-03-27 to 2014-10-26, UTC+3 since: by the time's date
        ('"Time (UTC+4)"', ["2012-06-01 10:00 MSK", "2021-03-05 10:00 MSK"], 1),
    ],
    ids=[
        "offset",
        "utc",
        "utc-name",
        "zone-name",
        "zone-description",
        "word",
        "word-agrees",
        "msk-by-date",
    ],
)
def test_a_times_own_offset_against_its_headers_zone_is_counted(tmp_path, header, values, n):
    res = _seizures(tmp_path, header, values)
    iso = [_WORDS_ISO.get(v, v) for v in values]
    assert _times(res) == [_utc_own(v) for v in iso]  # each by its own offset
    said = _said(res, OWN_HEADER)
    assert len(said) == 1 and said[0].startswith(f"s.csv: {n} time(s) {OWN_HEADER} ")
    assert said[0].endswith("each is read by its own offset - check which is right")
    assert repr(header.strip('"')) in said[0]


def test_own_offsets_that_agree_with_the_header_are_not_counted(tmp_path):
    res = _seizures(
        tmp_path, '"Time (UTC+5)"', ["2021-03-05T10:00+05:00", "2021-03-05 11:00", "2021-03-05"]
    )
    assert _times(res) == [
        _utc_own("2021-03-05T10:00+05:00"),
        _utc_local("2021-03-05 11:00", 5),
        "2021-03-05 00:00",  # a date without a time of day stays midnight UTC
    ]
    assert not _said(res, OWN_HEADER)
    res = _seizures(tmp_path, '"Time (UTC)"', ["2021-03-05T10:00Z", "2021-03-05T11:00+00:00"])
    assert not _said(res, OWN_HEADER)


def test_own_header_and_column_all_disagreeing_each_say_so(tmp_path):
    # the value's own offset wins over both; the column's row over the header's zone
    rows = ["2021-03-05T10:00+02:00,+03:00", "2021-03-05 11:00,+03:00"]
    res = _seizures(tmp_path, '"Time (UTC+5)",utc_offset', rows)
    assert _times(res) == [_utc_own("2021-03-05T10:00+02:00"), _utc_local("2021-03-05 11:00", 3)]
    assert [len(_said(res, w)) for w in (OWN_HEADER, OWN_COLUMN, COLUMN_HEADER)] == [1, 1, 1]
    assert all(
        n.startswith("s.csv: 1 ") for w in (OWN_HEADER, COLUMN_HEADER) for n in _said(res, w)
    )


# ------------------------------------------------------------------------ Z under local time


def test_z_under_a_header_saying_local_time_is_counted(tmp_path):
    values = [
        "2021-03-05T10:00Z",
        "2021-03-05T11:00:00Z",
        "2021-03-05T12:00+03:00",
        "2021-03-05 13:00 UTC",
    ]
    res = _seizures(tmp_path, '"Time (LT)"', values)
    assert _times(res) == [_utc_own(v.replace(" UTC", "Z")) for v in values]
    # +03:00 is a local time with its offset; Z says UTC, not local
    assert _said(res, Z_LOCAL) == [
        "s.csv: 3 time(s) name UTC (Z, UTC, GMT) under header 'Time (LT)', which says local "
        "time; each is read as UTC - check which is right"
    ]


def test_z_under_local_time_beside_a_column_is_compared_with_the_column_only(tmp_path):
    rows = ["2021-03-05T10:00Z,+03:00", "2021-03-05 11:00,+03:00", "2021-03-05T12:00Z,+00:00"]
    res = _seizures(tmp_path, '"Time (LT)",utc_offset', rows)
    assert _times(res) == [
        _utc_own("2021-03-05T10:00Z"),
        _utc_local("2021-03-05 11:00", 3),
        _utc_own("2021-03-05T12:00Z"),
    ]
    assert not _said(res, Z_LOCAL)
    assert [n.split(" time(s)")[0] for n in _said(res, OWN_COLUMN)] == ["s.csv: 1"]


# ------------------------------------------------------------- seizures and tracks, chunks


_MIXED = [
    ('"Time (UTC+5)",utc_offset', ["2021-03-05 10:00,+03:00", "2021-03-05 10:05,+05:00"]),
    ('"Time (UTC+5)"', ["2021-03-05T10:00+02:00", "2021-03-05 10:05"]),
    ('"Time (UTC)"', ["2021-03-05T10:00+02:00", "2021-03-05T10:05Z"]),
    ('"Time (LT)"', ["2021-03-05T10:00Z", "2021-03-05T10:05+01:00"]),
]


@pytest.mark.parametrize(("header", "rows"), _MIXED, ids=["column", "own", "utc", "local"])
def test_seizures_and_tracks_place_and_say_alike(tmp_path, header, rows):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    seiz = _seizures(tmp_path / "a", header, rows)
    pings = _tracks(tmp_path / "b", header, rows)
    assert sorted(_times(seiz)) == sorted(_times(pings))

    def counted(res, stem):
        words = (OWN_HEADER, COLUMN_HEADER, Z_LOCAL)
        return sorted(n.replace(stem, "f.csv") for n in res.notes if any(w in n for w in words))

    assert counted(seiz, "s.csv") == counted(pings, "t.csv") != []


def test_counts_are_the_same_whole_or_in_chunks(tmp_path):
    t0 = pd.Timestamp("2021-03-01")
    rows = []
    for k in range(60):
        wall = f"{t0 + pd.Timedelta(minutes=7 * k):%Y-%m-%dT%H:%M}"
        if k % 20 == 13:  # three values with their own offset, spread over the chunks
            rows.append(f"{wall}+02:00,+05:00")
        else:  # every seventh row's column is not the header's UTC+5
            rows.append(f"{wall},{'+03:00' if k % 7 == 3 else '+05:00'}")
    src = _track_file(tmp_path, '"Time (UTC+5)",utc_offset', rows)
    whole, spill, store = _both(src, tmp_path, chunk_rows=9)
    local = [k for k in range(60) if k % 20 != 13]
    off = sum(1 for k in local if k % 7 == 3)
    assert any(n.startswith(f"t.csv: {off} local time(s) {COLUMN_HEADER}") for n in whole.notes)
    assert any(n.startswith(f"t.csv: 3 time(s) {OWN_HEADER}") for n in whole.notes)
    _assert_same(whole, spill, store, tmp_path)
    expected = sorted(
        _utc_own(r.split(",")[0]) if "+02:00" in r else _utc_local(*_wall_zone(r)) for r in rows
    )
    assert whole.by_rule == {}, whole.by_rule
    assert sorted(_times(whole)) == expected


def _wall_zone(row: str) -> tuple[str, int]:
    wall, zone = row.split(",")
    return wall.replace("T", " "), int(zone[:3])
