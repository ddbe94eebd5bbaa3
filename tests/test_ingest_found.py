"""Silent wrong answers found by a hostile-input sweep, each with the value it must give.

Date ranges read by dateutil as one (wrong) date, the lost sign of ``-0°30'``, 12-digit
``yyyymmddHHMM`` read as epoch milliseconds, a spreadsheet's time column ignored next to its
date cells, fractional seconds in a clock column, a refusal that depended on the chunk
size, and a traceback when stdout is closed by its reader.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._common import dms_to_degrees
from pipeline.ingest._dates import parse_clock, parse_times
from pipeline.ingest.stream import read_buckets, spill_tracks

REPO = Path(__file__).resolve().parents[1]


def _times(values):
    return parse_times(pd.Series(values, dtype=object), name="t", column="date")


def _utc(text):
    return pd.Timestamp(text, tz="UTC")


# ----------------------------------------------------------------------------- coordinates


@given(st.integers(0, 89), st.integers(0, 59), st.sampled_from(["°", " ", "d", ":"]))
def test_a_minus_sign_holds_for_zero_degrees(deg, mins, sep):
    got, _ = dms_to_degrees(pd.Series([f"-{deg}{sep}{mins:02d}'"]), "lon")
    assert got.iloc[0] == pytest.approx(-(deg + mins / 60))
    assert got.iloc[0] < 0 or (deg == 0 and mins == 0)


def test_west_of_greenwich_stays_west(tmp_path):
    path = tmp_path / "greenwich.csv"
    path.write_text(
        "date,lat,lon,commodity\n"
        '2021-03-01,51°30\'N,"-0°07\'39""",cocaine\n'
        "2021-03-02,-0°30',-0 15.5,cocaine\n"
        "2021-03-03,0°30'S,0°15'W,cocaine\n",
        encoding="utf-8",
    )
    res = read_seizures(path)
    assert res.frame["lon"].round(4).tolist() == [-0.1275, -0.2583, -0.25]
    assert res.frame["lat"].round(4).tolist() == [51.5, -0.5, -0.5]


# ----------------------------------------------------------------------------- dates


RANGES = [
    "12-13 March 2021",
    "March 12-14, 2021",
    "2020-01-01/2020-01-03",
    "2021/03/12-13",
    "12 March 2021 - 14 March 2021",
    "12/03/2021 - 14/03/2021",
    "2020-01-01 to 2020-01-03",
    "3-4 PM 12 March 2021",
]


def test_a_range_of_days_or_two_dates_is_rejected_not_misread():
    got = _times(RANGES)
    assert got.times.isna().all() and got.unparseable.all()
    assert any("range of days or times or hold two dates" in n for n in got.notes)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("12 March 2021", "2021-03-12"),
        ("March 12, 2021", "2021-03-12"),
        ("Fri, 12 Mar 2021 14:00:00 GMT", "2021-03-12 14:00"),  # 12 March 2021 was a Friday
        ("12-Mar-2021", "2021-03-12"),
        ("2021-Mar-12", "2021-03-12"),
        ("12 Mar 2021 14:00 -0500", "2021-03-12 19:00"),
        ("12-03-2021 14:00 CET", "2021-03-12 13:00"),
        ("12 March 2021 1430", "2021-03-12 14:30"),
        ("12.03.2021 2030 UTC", "2021-03-12 20:30"),
        ("2021/03/12 2030", "2021-03-12 20:30"),
        ("2021-03-12+01:00", "2021-03-11 23:00"),
        ("2021-03-12 14:00-05", "2021-03-12 19:00"),
        ("12th of March, 2021", "2021-03-12"),
    ],
)
def test_single_dates_in_free_text_still_read(text, want):
    got = _times([text, "25/12/2021"])  # the second value decides day-first
    assert got.times.iloc[0] == _utc(want)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # an offset after UTC/GMT is east when positive, however the rest is spelled; dateutil
        # alone read 'UTC+5' as 5 h west and dropped 'UTC +5' (blank before the sign)
        ("12 Mar 2021 10:00 UTC+5", "2021-03-12 05:00"),
        ("12 Mar 2021 10:00 UTC +5", "2021-03-12 05:00"),
        ("12 Mar 2021 10:00 GMT-3", "2021-03-12 13:00"),
        ("12 Mar 2021 10:00 GMT+0530", "2021-03-12 04:30"),
        ("12 March 2021 10:00 (UTC+05:30)", "2021-03-12 04:30"),
        ("Friday 12 March 2021 02:00 utc+5", "2021-03-11 21:00"),  # the weekday of the 12th
        ("12/03/2021 10:00 UTC +5", "2021-03-12 05:00"),
        ("2021-03-12 10:00 UTC +05:00", "2021-03-12 05:00"),
    ],
)
def test_an_offset_after_utc_or_gmt_is_east_when_positive(text, want):
    got = _times([text, "25/12/2021"])
    assert got.times.iloc[0] == _utc(want)


@pytest.mark.parametrize("text", ["12 Mar 2021 10:00 UTC+15", "12 Mar 2021 10:00 GMT-5:75"])
def test_an_offset_no_place_uses_is_unparseable(text):
    got = _times([text, "25/12/2021"])
    assert pd.isna(got.times.iloc[0]) and got.unparseable[0]


@pytest.mark.parametrize(
    ("values", "want", "form"),
    [
        (["202103011430", "202103051500"], ["2021-03-01 14:30", "2021-03-05 15:00"], "HHMM"),
        (["2021030114"], ["2021-03-01 14:00"], "yyyymmddHH"),
        (["20210301143015", "20210301000000"], ["2021-03-01 14:30:15", "2021-03-01"], "HHMMSS"),
    ],
)
def test_compact_dates_are_not_read_as_epoch_time(values, want, form):
    got = _times(values)
    assert got.times.tolist() == [_utc(w) for w in want]
    assert any(form in n and "not as epoch time" in n for n in got.notes)


def test_epoch_time_stays_epoch_time_and_milliseconds_are_exact():
    assert _times(["1615000000", "1615003600"]).times.tolist() == [
        _utc("2021-03-06 03:06:40"),
        _utc("2021-03-06 04:06:40"),
    ]
    ms = _times(["1615000001430", "1615000000999"]).times
    assert ms.tolist() == [_utc("2021-03-06 03:06:41.430"), _utc("2021-03-06 03:06:40.999")]
    # one 12-digit value that is no compact date: the column's 12 digits are milliseconds,
    # and the one that spells a date (or a millisecond of 1976) is read neither way
    mixed = _times(["202103011430", "123456789012"])
    assert mixed.times.iloc[1] == pd.Timestamp(123456789012, unit="ms", tz="UTC")
    assert pd.isna(mixed.times.iloc[0]) and mixed.unparseable.tolist() == [True, False]


def test_a_clock_with_fractional_seconds_is_read():
    secs, zoned, _, bad = parse_clock(
        pd.Series(["10:15:30.250", "101530.5", "10:15:30,125 UTC", "10:15", "x"])
    )
    assert secs[:4].tolist() == [36930.25, 36930.5, 36930.125, 36900.0]
    assert np.isnan(secs[4]) and bad.tolist() == [False] * 4 + [True]
    assert zoned.tolist() == [False, False, True, False, False]


def test_a_time_column_with_fractions_is_combined(tmp_path):
    path = tmp_path / "clock.csv"
    path.write_text(
        "date,time,lat,lon,commodity\n2023-03-01,10:15:30.250,4.0,5,cocaine\n"
        "2023-03-01,11:15:30.250,4.01,5,cocaine\n",
        encoding="utf-8",
    )
    res = read_seizures(path)
    assert res.frame["time"].tolist() == [
        _utc("2023-03-01 10:15:30.250"),
        _utc("2023-03-01 11:15:30.250"),
    ]


def test_a_spreadsheets_time_column_joins_its_date_cells(tmp_path):
    path = tmp_path / "cells.xlsx"
    pd.DataFrame(
        {
            "Date": [dt.datetime(2021, 3, 1), dt.datetime(2021, 3, 2)],
            "Time": [dt.time(14, 30), dt.time(9, 5, 30)],
            "Latitude": [4.5, 4.6],
            "Longitude": [-7.0, -7.0],
            "Commodity": ["cocaine", "cocaine"],
        }
    ).to_excel(path, index=False)
    res = read_seizures(path)
    assert res.frame["time"].tolist() == [_utc("2021-03-01 14:30"), _utc("2021-03-02 09:05:30")]
    # a date column whose values carry their own times keeps them
    path2 = tmp_path / "timed.xlsx"
    pd.DataFrame(
        {
            "Date": [dt.datetime(2021, 3, 1, 6), dt.datetime(2021, 3, 2)],
            "Time": [dt.time(14, 30), dt.time(9, 5)],
            "Latitude": [4.5, 4.6],
            "Longitude": [-7.0, -7.0],
        }
    ).to_excel(path2, index=False)
    assert read_seizures(path2).frame["time"].iloc[0] == _utc("2021-03-01 06:00")


# ----------------------------------------------------------------------------- chunks


def _ambiguous_first_days(path: Path, dayfirst: bool) -> None:
    """Two vessels every 20 minutes from 1 March: days 1-12 say nothing of the order."""
    t0 = dt.datetime(2023, 3, 1)
    fmt = "%d/%m/%Y %H:%M" if dayfirst else "%m/%d/%Y %H:%M"
    lines = ["mmsi,time,lat,lon"]
    for k in range(1300):
        t = t0 + dt.timedelta(minutes=20 * k)
        for v in range(2):
            lines.append(f"25712345{v},{t:{fmt}},{60 + v * 0.5 + k * 1e-5:.5f},{5 + k * 1e-5:.5f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("dayfirst", [True, False])
def test_the_date_order_does_not_depend_on_the_chunk_size(tmp_path, dayfirst):
    path = tmp_path / "tracks.csv"
    _ambiguous_first_days(path, dayfirst)
    whole = spill_tracks(path, tmp_path / "whole", chunk_rows=10**6)
    chunked = spill_tracks(path, tmp_path / "chunked", chunk_rows=500)
    a, b = (read_buckets([sorted(sp.buckets.values())]) for sp in (whole, chunked))
    assert len(a) == len(b) == 2600 and whole.n_read == chunked.n_read
    pd.testing.assert_frame_equal(a, b)
    assert a["time"].min() == _utc("2023-03-01") and a["time"].max() == _utc("2023-03-19 01:00")
    # the chunks' note of the order is the whole file's, decided by its values (hEB)
    assert chunked.notes == whole.notes
    assert chunked.assumptions["dates"] == whole.assumptions["dates"]


def test_a_file_no_date_of_which_decides_is_still_refused(tmp_path):
    path = tmp_path / "tracks.csv"
    lines = ["mmsi,time,lat,lon"] + [
        f"257123450,0{d}/0{d + 1}/2023 10:00,60.{d},5.{d}" for d in range(1, 8)
    ]
    path.write_text("\n".join(lines * 1) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="could be day-first or month-first"):
        spill_tracks(path, tmp_path / "s", chunk_rows=2)


# ----------------------------------------------------------------------------- CLI


def test_stdout_closed_by_its_reader_ends_quietly(tmp_path):
    path = tmp_path / "tracks.csv"
    _ambiguous_first_days(path, True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "ingest", "tracks", str(path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err


# --------------------------------------------------------------------------- mixed encodings

_LETTERS = "abcXYZ 019,.-ØøéüßÇ€’"


@given(
    st.lists(
        st.tuples(st.text(alphabet=_LETTERS, max_size=12), st.sampled_from(["utf-8", "cp1252"])),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_each_line_keeps_its_own_encoding(lines, eol):
    """A UTF-8 export appended to a cp1252 one (or the reverse): every line reads right."""
    from pipeline.ingest._common import decode_lines

    encoded = [text.encode(enc) for text, enc in lines]
    for (_, enc), raw in zip(lines, encoded, strict=True):
        if enc == "cp1252" and not raw.isascii():
            try:  # a cp1252 line that is also valid UTF-8 is read as UTF-8 by design
                raw.decode("utf-8")
                return
            except UnicodeDecodeError:
                pass
    data = eol.encode().join(encoded)
    got = decode_lines(data)
    assert got.text == eol.join(text for text, _ in lines)
    legacy = [
        i
        for i, ((_, enc), raw) in enumerate(zip(lines, encoded, strict=True))
        if enc == "cp1252" and not raw.isascii()
    ]
    assert got.legacy_lines == len(legacy)
    assert got.first_legacy == (legacy[0] + 1 if legacy else 0)
    if all(enc == "cp1252" for _, enc in lines):  # a legacy file throughout: as decoded whole
        assert got.text == data.decode("cp1252") and not got.utf8_non_ascii


def test_a_file_of_two_encodings_keeps_its_vessels_apart_only_by_id(tmp_path):
    """Before: decoded whole as cp1252, 'SKØLD' (UTF-8) became 'SKÃ˜LD', a second vessel."""
    head = "vessel,timestamp,lat,lon\n"
    old = "".join(f"SKØLD,2024-01-01T0{h}:00:00Z,60.{h},5.0\n" for h in range(3))
    new = "".join(f"SKØLD,2024-01-02T0{h}:00:00Z,61.{h},5.0\n" for h in range(3))
    for order, data in (
        ("cp1252 first", (head + old).encode("cp1252") + new.encode()),
        ("utf-8 first", (head + new).encode() + old.encode("cp1252")),
    ):
        path = tmp_path / "mixed.csv"
        path.write_bytes(data)
        res = read_tracks(path)
        assert set(res.frame["vessel_id"]) == {"SKØLD"} and len(res.frame) == 6, order
        assert res.assumptions["encoding"] == "utf-8+cp1252"
        (note,) = [n for n in res.notes if "mixes encodings" in n]
        assert "3 line(s) are not valid UTF-8" in note
        assert f"the first is line {2 if order == 'cp1252 first' else 5}" in note
        spill = spill_tracks(path, tmp_path / f"spill-{order}", chunk_rows=2, n_buckets=2)
        assert spill.notes == res.notes
        streamed = read_buckets([sorted(spill.buckets.values())])
        pd.testing.assert_frame_equal(streamed.reset_index(drop=True), res.frame)


# --------------------------------------------------------------------------- vertex times


def _feature(name, geometry, **props):
    return {"type": "Feature", "properties": {"name": name, **props}, "geometry": geometry}


def test_routes_keep_the_vertex_times_a_converter_wrote(tmp_path):
    """togeojson's shapes of a GPX/KML track; before, every vertex was untimed."""
    import json

    line = {"type": "LineString", "coordinates": [[5.0, 60.0], [5.1, 60.0], [5.1, 60.2]]}
    # the second part runs back to the first's end: line_merge would reverse it
    multi = {
        "type": "MultiLineString",
        "coordinates": [[[7.0, 62.0], [7.1, 62.0]], [[7.3, 62.0], [7.1, 62.0]]],
    }
    doc = {
        "type": "FeatureCollection",
        "features": [
            _feature(
                "A",
                line,
                coordTimes=[
                    "2024-01-01T00:00:00Z",
                    "2024-01-01T01:00:00Z",
                    "2024-01-01T03:00:00+01:00",
                ],
            ),
            _feature(
                "B",
                {"type": "LineString", "coordinates": [[6.0, 61.0], [6.1, 61.0]]},
                coordinateProperties={"times": ["2024-01-02T00:00:00Z", "garbage"]},
            ),
            _feature(
                "C",
                multi,
                coordTimes=[
                    ["2024-01-03T00:00:00Z", "2024-01-03T01:00:00Z"],
                    ["2024-01-03T05:00:00Z", "2024-01-03T06:00:00Z"],
                ],
            ),
            _feature("D", line, coordTimes=["2024-01-04T00:00:00Z"]),  # 1 time, 3 vertices
        ],
    }
    path = tmp_path / "tracks.geojson"
    path.write_text(json.dumps(doc))
    res = read_tracks(path)
    f = res.frame.set_index("vessel_id")
    assert f.loc["A", "time"].dt.strftime("%d %H").tolist() == ["01 00", "01 01", "01 02"]
    assert f.loc[["C"], ["lon", "time"]].values.tolist() == [
        [7.0, _utc("2024-01-03T00:00:00Z")],
        [7.1, _utc("2024-01-03T01:00:00Z")],
        [7.3, _utc("2024-01-03T05:00:00Z")],
        [7.1, _utc("2024-01-03T06:00:00Z")],
    ]
    assert f.loc[["B"], "time"].tolist() == [_utc("2024-01-02T00:00:00Z")]
    assert "D" not in f.index  # which of its vertices its one time is for is unknown
    # the rejects name the columns the times came from (this layer uses both); D is one row
    assert res.rejects[["row", "column", "value", "rule"]].values.tolist() == [
        [2, "coordTimes / coordinateProperties", "garbage", "time_unparseable"],
        [4, "coordTimes / coordinateProperties", "1 time(s) for 3 vertices", "vertex_times_count"],
    ]
    assert res.n_read == len(res.frame) + len(res.rejects) == 10
    assert any("vertices of 3 route feature(s)" in n for n in res.notes)
    assert any("1 route feature(s) list a number of times" in n for n in res.notes)
    assert not any("untimed routes" in n for n in res.notes)


# --------------------------------------------------------------------------- KML placemark times

_KML = """<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>B</name><TimeStamp><when>2021-03-05</when></TimeStamp>
<Point><coordinates>-7.2,4.6</coordinates></Point></Placemark>
<Placemark><name>C</name><ExtendedData><Data name="date"><value>2021-03-07</value></Data>
<Data name="commodity"><value>cocaine</value></Data></ExtendedData>
<Point><coordinates>-7.3,4.7</coordinates></Point></Placemark>
<Placemark><name>A</name><TimeSpan><begin>2021-03-01</begin><end>2021-03-03</end></TimeSpan>
<Point><coordinates>-7.1,4.5</coordinates></Point></Placemark>
<Placemark><name>D</name><TimeSpan><begin>2021-03-02T10:00:00Z</begin></TimeSpan>
<Point><coordinates>-7.4,4.5</coordinates></Point></Placemark>
<Placemark><name>E</name><TimeSpan><begin>2021-03-04</begin><end>2021-03-04</end></TimeSpan>
<Point><coordinates>-7.5,4.5</coordinates></Point></Placemark>
</Document></kml>"""


def test_kml_time_spans_and_extended_data_dates_are_placemark_times(tmp_path):
    """Before: TimeSpan placemarks and a placemark dated only in ExtendedData were rejected
    as date_missing once another placemark had a TimeStamp."""
    path = tmp_path / "seizures.kml"
    path.write_text(_KML)
    res = read_seizures(path)
    got = dict(zip(res.frame["lon"], res.frame["time"].dt.strftime("%m-%d %H:%M"), strict=True))
    assert got == {
        -7.2: "03-05 00:00",
        -7.3: "03-07 00:00",
        -7.4: "03-02 10:00",
        -7.5: "03-04 00:00",
    }
    # a span of several days is a range: refused, as in a CSV, not placed at one end
    assert res.rejects[["row", "rule"]].values.tolist() == [[3, "date_unparseable"]]
    assert res.rejects["value"].iloc[0].startswith("2021-03-01T00:00:00")
    assert any("range of days" in n for n in res.notes)


def _legacy_file(name: str) -> bytes:
    rows = [f"60.{i:02d},5.0,2024-01-01T{i % 24:02d}:00:00Z,SHIP{i % 3}" for i in range(40)]
    rows[7] = rows[7].replace("60.07", "north")  # a reject: its column must be named right
    if name == "bom, cp1252 header":
        return b"\xef\xbb\xbf" + ("lat,lon,timestamp,n\xe4me\n" + "\n".join(rows) + "\n").encode(
            "cp1252"
        )
    if name == "bom, cp1252 rows":
        rows = [r.replace("SHIP", "SK\xc5NE") for r in rows]
        return b"\xef\xbb\xbf" + ("lat,lon,timestamp,name\n" + "\n".join(rows) + "\n").encode(
            "cp1252"
        )
    # the only non-UTF-8 byte is the file's last, a cp1252 letter with no newline after it
    return ("lat,lon,timestamp,name\n" + "\n".join(rows) + "\xe9").encode("cp1252")


@pytest.mark.parametrize(
    "name",
    ["bom, cp1252 header", "bom, cp1252 rows", "cp1252 last byte, no final newline"],
)
def test_streamed_legacy_text_reads_as_the_whole_file(tmp_path, name):
    """Found by a review: the streamed reader decoded a BOM as cp1252 ('ï»¿lat') or counted
    it as UTF-8 text; and a cp1252 letter ending a file without a newline was a UTF-8 error."""
    from pipeline.ingest import write_rejects

    path = tmp_path / "t.csv"
    path.write_bytes(_legacy_file(name))
    whole = read_tracks(path)
    spill = spill_tracks(path, tmp_path / "spill", chunk_rows=7, n_buckets=2)
    assert spill.notes == whole.notes and spill.n_read == whole.n_read == 40
    assert whole.assumptions["encoding"] == "cp1252"
    a = write_rejects(whole, tmp_path / "a").read_bytes()
    assert a == spill.write_rejects(tmp_path / "b").read_bytes()
    assert b",lat,north," in a
    streamed = read_buckets([sorted(spill.buckets.values())]).reset_index(drop=True)
    pd.testing.assert_frame_equal(streamed, whole.frame)
