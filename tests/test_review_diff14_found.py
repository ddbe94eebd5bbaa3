"""Review of the last session's code changes (74ba226..2307ff0): what the review found.

Dates giving ``Z`` and an offset were refused as two zones (``_dates._ZULU_THEN_OFFSET``);
the rule also refused values that give UTC twice (``14:00Z+00:00``, read right as 14:00 UTC
before it), and called a watch of two clocks in Z (``14:00Z-16:00Z``) two zones.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION

from pipeline.ingest import read_seizures
from pipeline.ingest._dates import parse_times

pytestmark = IGNORE_PENDING_DEPRECATION


def _read(tmp_path, values):
    path = tmp_path / "events.csv"
    path.write_text("date,lat,lon\n" + "".join(f'"{v}",10,20\n' for v in values))
    return read_seizures(path)


#: Z then an offset of zero: UTC said twice, one zone (14:00 UTC, as 74ba226 read them).
UTC_TWICE = [
    "5 Mar 2024 14:00 Z+00:00",
    "2024-03-05 14:00Z -0000",
    "2024-03-05T14:00:00.000Z+0000",
    "5 Mar 2024 14:00 Z +00",
]


def test_z_then_a_zero_offset_is_one_zone_read_as_utc(tmp_path):
    res = _read(tmp_path, UTC_TWICE)
    assert res.rejects.empty, res.rejects.to_dict("records")
    assert res.frame["time"].tolist() == [pd.Timestamp("2024-03-05 14:00", tz="UTC")] * 4
    assert "give two zones" not in " ".join(res.notes)


@pytest.mark.parametrize("value", ["5 Mar 2024 14:00 Z+00:30", "5 Mar 2024 14:00Z -0100"])
def test_z_then_an_offset_not_zero_is_still_two_zones(tmp_path, value):
    res = _read(tmp_path, [value, "5 Mar 2024 14:00 Z"])
    assert res.rejects["value"].tolist() == [value]
    assert "give two zones" in " ".join(res.notes)


@pytest.mark.parametrize(
    "value", ["5 Mar 2024 14:00Z-16:00Z", "5 Mar 2024 1400Z - 1600Z", "2024-03-05T14:00Z-16:00Z"]
)
def test_a_watch_of_two_clocks_in_z_is_a_range_not_two_zones(tmp_path, value):
    res = _read(tmp_path, [value, "5 Mar 2024 14:00 Z"])
    assert res.rejects["value"].tolist() == [value]
    note = " ".join(res.notes)
    assert "range" in note and value in note
    assert "give two zones" not in note


def _tagged(body: str, sentence: str) -> str:
    """``sentence`` behind a tag block ``body`` with its checksum."""
    check = 0
    for ch in body:
        check ^= ord(ch)
    return f"\\{body}*{check:02X}\\{sentence}"


def test_a_sentence_commented_out_is_a_comment_not_a_position(tmp_path):
    """'#' lines of a raw AIS log are comments (nmea_comment, 2307ff0), but one holding a
    sentence ('# \\c:...\\!AIVDM,...': a report its log's author took out) was decoded as a
    position all the same: vessel 257000009 appeared on the map."""
    import pyais.encode

    from pipeline.ingest import read_tracks

    def sentence(mmsi: int, lat: float) -> str:
        msg = {"type": 1, "mmsi": mmsi, "lat": lat, "lon": 3.7}
        (s,) = pyais.encode.encode_dict(msg, talker_id="AI", sentence_type="VDM")
        return s

    lines = [
        _tagged(f"c:{1_709_251_200 + 600 * i}", sentence(257000001, 43 + i / 100)) for i in range(5)
    ]
    lines.insert(2, "# " + _tagged("c:1709251300", sentence(257000009, 10.0)))
    lines.insert(3, "#" + sentence(257000008, 11.0) + ",1709251400")
    path = tmp_path / "night.nmea"
    path.write_text("\n".join(lines) + "\n")
    res = read_tracks(path)
    assert res.n_read == 7 == len(res.frame) + len(res.rejects)
    assert sorted(res.frame["vessel_id"].unique()) == ["257000001"]
    assert dict(zip(res.rejects["row"], res.rejects["rule"], strict=True)) == {
        3: "nmea_comment",
        4: "nmea_comment",
    }


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 01 Mar 2024 14:00:00 +0100 (GMT)",
        "2024-03-01 14:00 +0100 (UTC)",
        "2024-03-01 2:00 PM -0500 (GMT)",
        "2024-03-01T14:00:00+01:00Z",
    ],
)
def test_an_offset_then_a_name_of_utc_is_two_zones(tmp_path, value):
    """dateutil gives UTC, GMT and Z an offset of 0 and drops the one written before them:
    'Fri, 01 Mar 2024 14:00:00 +0100 (GMT)' was read 14:00 UTC (an hour off, exit 0), past
    the two-zones rule of 2307ff0, which sees only Z then an offset."""
    res = _read(tmp_path, [value, "5 Mar 2024 14:00 Z"])
    assert res.rejects["value"].tolist() == [value]
    assert "give two zones" in " ".join(res.notes)


def test_a_zero_offset_then_a_name_of_utc_is_utc(tmp_path):
    res = _read(tmp_path, ["Fri, 01 Mar 2024 14:00:00 +0000 (GMT)", "1 Mar 2024 14:00 -0000 (UTC)"])
    assert res.rejects.empty, res.rejects.to_dict("records")
    assert res.frame["time"].tolist() == [pd.Timestamp("2024-03-01 14:00", tz="UTC")] * 2


#: ``date '+%F %T %z %Z'`` and Java's ``Z z``: an offset, then the zone's name; by hand.
OFFSET_THEN_NAME = {
    "2024-03-01 14:00:00 +0100 CET": "2024-03-01 13:00",
    "2024-03-01T14:00:00.250+01:00 CET": "2024-03-01 13:00:00.250",
    "Fri Mar  1 14:00:00 +0200 EET 2024": "2024-03-01 12:00",
    "2024-03-01 2:00 PM -0500 EST": "2024-03-01 19:00",
    "2024-03-01 14:00:00 +0000 UTC": "2024-03-01 14:00",
}


def test_an_offset_then_the_zone_s_name_is_read(tmp_path):
    """A date then an offset then a name that agrees (the brief's 'a date then +02:00 then
    a name that agrees') was unparseable, every record rejected: dateutil reads '+0100 (CET)'
    but not '+0100 CET'."""
    res = _read(tmp_path, list(OFFSET_THEN_NAME))
    assert res.rejects.empty, res.rejects.to_dict("records")
    got = res.frame.sort_values("source_row")["time"].tolist()
    assert got == [pd.Timestamp(t, tz="UTC") for t in OFFSET_THEN_NAME.values()]


@pytest.mark.parametrize(
    "value", ["2024-03-01 14:00:00 +0200 CET", "2024-03-01 14:00:00 +0100 UTC"]
)
def test_an_offset_then_a_name_that_disagrees_is_two_zones(tmp_path, value):
    res = _read(tmp_path, [value, "5 Mar 2024 14:00 Z"])
    assert res.rejects["value"].tolist() == [value]
    assert "give two zones" in " ".join(res.notes)


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-01T14:00:00+00:00Z",
        "2024-03-01T14:00:00-00:00Z",
        "2024-03-01 14:00 +0000 Z",
        "Fri, 01 Mar 2024 14:00:00 +0000Z",
    ],
)
def test_a_zero_offset_then_z_is_utc_not_unreadable(text):
    # isoformat() of a UTC time with 'Z' added: UTC twice; dateutil could not read it and the
    # record was rejected with no note saying why
    got = parse_times(pd.Series([text, "2024-03-01T14:00:00+01:00Z"]))
    assert got.times.iloc[0] == pd.Timestamp("2024-03-01T14:00:00Z")
    assert got.unparseable.tolist() == [False, True]  # a non-zero offset then Z: two zones
    assert len(got.notes) == 1 and "two zones" in got.notes[0]
