"""Gaps a hand mutation check of the raw-AIS (NMEA 0183) decoder found, each pinned here.

The sentences are packed by hand from their fields (ITU-R M.1371-5, annex 8: each field's
bits, two's complement where signed, the 6-bit armour, the fill bits, the XOR checksum), so
the expected values are the ones packed, not another decoder's.  Each test names the
mutants of ``pipeline/ingest/_nmea.py`` it kills.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from _nmea_text import sentence as _sentence
from _nmea_text import tag as _tag

from pipeline.ingest import TrackSource, _nmea, read_tracks
from pipeline.ingest._nmea import read_nmea_positions

#: Latitude 91 and longitude 181 degrees (AIS's 'not available') in 1/10,000 minute.
LAT_NA, LON_NA = 91 * 600_000, 181 * 600_000


def _bits(fields: list[tuple[int, int]]) -> str:
    """The bits of ``(width, value)`` fields, negative values in two's complement."""
    return "".join(format(v & ((1 << w) - 1), f"0{w}b") for w, v in fields)


def _armour(bits: str) -> tuple[str, int]:
    """The 6-bit armoured payload of ``bits`` and its fill bits (0-5)."""
    fill = -len(bits) % 6
    bits += "0" * fill
    values = [int(bits[i : i + 6], 2) for i in range(0, len(bits), 6)]
    return "".join(chr(v + 48 if v < 40 else v + 56) for v in values), fill


def _class_a(mmsi, lon, lat, sog, cog, kind=1) -> str:
    """Bits of a type 1-3 report (168): speed 50-59, lon 61-88, lat 89-115, course 116-127."""
    head = [(6, kind), (2, 0), (30, mmsi), (4, 0), (8, -128), (10, sog), (1, 1)]
    return _bits(head + [(28, lon), (27, lat), (12, cog), (9, 511), (6, 60), (25, 0)])


def _class_b(mmsi, lon, lat, sog, cog, kind=18) -> str:
    """Bits of a type 18 (168) or 19 (312) report: speed 46-55, lon 57-84, lat 85-111,
    course 112-123."""
    fields = [(6, kind), (2, 0), (30, mmsi), (8, 0), (10, sog), (1, 0), (28, lon), (27, lat)]
    fields += [(12, cog), (9, 511), (6, 60)]
    fields += [(2, 0), (7, 0b1011000), (20, 0)] if kind == 18 else [(4, 0), (169, 0)]
    return _bits(fields)


def _long_range(mmsi, lon, lat, sog, cog) -> str:
    """Bits of a type 27 report (96): lon 44-61, lat 62-78 in 1/10 minute, speed 79-84
    (kn), course 85-93 (degrees)."""
    head = [(6, 27), (2, 0), (30, mmsi), (1, 0), (1, 0), (4, 0)]
    return _bits(head + [(18, lon), (17, lat), (6, sog), (9, cog), (1, 0), (1, 0)])


def _line(bits: str, moment: str = "c:1600000000", talker: str = "AIVDM") -> str:
    payload, fill = _armour(bits)
    return _tag(moment) + _sentence(f"{talker},1,1,,A,{payload},{fill}")


def _read(lines: list[str]) -> _nmea.NmeaPositions:
    return read_nmea_positions(("\n".join(lines) + "\n").encode("latin-1"), "feed.nmea")


# (bits, mmsi, lat, lon, sog, cog) packed by hand; nan: a missing value
NAN = math.nan
HAND = {
    # the armour's two ranges meet between 'W' (39) and '`' (40): MMSI bits 4-27 armour
    # to 'W', '`', 'w', '0' (A4 read 'W' as 31; A2 '`' as 48)
    "armour-W`w0": (
        _class_a(39 << 20 | 40 << 14 | 63 << 8, 600_000, 600_000, 0, 0),
        "041565952",
        1.0,
        1.0,
        0.0,
        0.0,
    ),
    # the most negative longitude the 28 bits hold (F2: read as +2**27)
    "type1-most-negative": (
        _class_a(257010001, -(1 << 27), -(1 << 26), 1023, 3600),
        "257010001",
        -(1 << 26) / 600_000,
        -(1 << 27) / 600_000,
        102.3,
        360.0,  # 'not available' kept as the code (L17 made it missing)
    ),
    "type3": (
        _class_a(2570100, LON_NA, LAT_NA, 98, 2345, kind=3),
        "002570100",
        91,
        181,
        9.8,
        234.5,
    ),
    "type2": (
        _class_a(311000123, -3_000_001, 30_000_000, 5, 1, kind=2),
        "311000123",
        50.0,
        -3_000_001 / 600_000,
        0.5,
        0.1,
    ),
    "type18": (
        _class_b(244123456, 2_580_000, -31_260_000, 50, 900),
        "244123456",
        -52.1,
        4.3,
        5.0,
        90.0,
    ),
    "type19": (
        _class_b(244123457, -2_580_000, 31_260_000, 1022, 3599, kind=19),
        "244123457",
        52.1,
        -4.3,
        102.2,
        359.9,
    ),
    "type27": (
        _long_range(257000001, -600, 54_599, 62, 359),
        "257000001",
        54_599 / 600,
        -1.0,
        62,
        359,
    ),
    # type 27's own 'not available' (speed 63, course 511) is missing; its position's
    # 'not available' (181/91 in 1/10 minute) is kept as the codes
    "type27-na": (_long_range(257000002, 108_600, 54_600, 63, 511), "257000002", 91, 181, NAN, NAN),
    # a type 27 course of 360 is no value its 0-359 uses (L16 kept 360)
    "type27-360": (
        _long_range(257000003, -108_000, -54_000, 0, 360),
        "257000003",
        -90,
        -180,
        0,
        NAN,
    ),
}


def test_hand_packed_reports_decode_to_their_fields():
    # kills A2, A4, F2, L13-L17, N4, N5, D23, D24 (and any bit offset or width off)
    lines = [
        _line(bits, f"c:{1_600_000_000 + 60 * i}") for i, (bits, *_) in enumerate(HAND.values())
    ]
    assert "W`w0" in lines[0]
    got = _read(lines)
    assert got.rejects.empty, got.rejects.to_dict("records")
    want = pd.DataFrame(
        [w for _, *w in HAND.values()], columns=["mmsi", "lat", "lon", "sog", "cog"]
    ).astype({c: float for c in ("lat", "lon", "sog", "cog")})
    pd.testing.assert_frame_equal(
        got.frame[["mmsi", "lat", "lon", "sog", "cog"]], want, check_exact=False, atol=1e-9
    )
    assert any("1 position report(s) with a course above 360" in n for n in got.notes)


@pytest.mark.parametrize(
    "bits, needed",
    [
        (_class_a(257010001, 0, 0, 0, 0), 143),
        (_class_a(257010001, 0, 0, 0, 0, kind=3), 143),
        (_class_b(244123456, 0, 0, 0, 0), 139),
        (_long_range(257000001, 0, 0, 0, 0), 94),
    ],
    ids=["type1", "type3", "type18", "type27"],
)
def test_a_payload_is_short_one_bit_below_what_its_fields_need(bits, needed):
    # the fill bits count: 143 bits (24 characters, fill 1) hold a type 1's fields, 142
    # do not (N2, N3, N7, N8, N10-N13: short at the wrong bit, the fill ignored or read
    # wrong; R5: the rule's name)
    lines = [_line(bits[:needed]), _line(bits[: needed - 1], "c:1600000060")]
    assert [_armour(bits[:n])[1] for n in (needed, needed - 1)] != [0, 0]
    got = _read(lines)
    assert list(got.lines) == [1] and list(got.rejects["row"]) == [2]
    assert list(got.rejects["rule"]) == ["nmea_short"]
    assert f"payload of {needed - 1} bits" in got.rejects["message"].iloc[0]


def test_a_checksum_in_lower_case_hex_is_read_and_a_wrong_one_is_rejected_either_way():
    # NMEA writes the checksum in hex: 'a5' is A5 (C1, C2 refused it); a checksum one
    # above or below the right one is damaged (C6 saw only those above)
    good = _line(_class_a(257010001, 600_000, 600_000, 10, 10))
    body, check = good.rsplit("*", 1)
    value = int(check, 16)
    lines = [f"{body}*{check.lower()}", f"{body}*{value + 1:02X}", f"{body}*{value - 1:02X}"]
    assert check.lower() != check and 0 < value < 255
    got = _read(lines)
    assert list(got.lines) == [1]
    assert list(got.rejects["rule"]) == ["nmea_checksum"] * 2


def test_a_byte_of_0x80_to_0xbf_is_checked_as_the_one_byte_it_is():
    # a station name with a degree sign (0xB0, latin-1 'two bytes' C2 B0 as text): only
    # the bytes from 0xC0 were brought back to one (C10): a right checksum was 'damaged'
    text = "s:Troms\xb0,c:1600000000"
    bits = _class_a(257010001, 600_000, 600_000, 10, 10)
    got = _read([_line(bits, text), _line(bits, "s:\xb0,c:1600000060").replace("\xb0,", "\xb1,")])
    assert list(got.lines) == [1]
    assert list(got.rejects["rule"]) == ["nmea_checksum"]


@pytest.mark.parametrize("talker", ["BSVDM", "ABVDM", "AIVDO", "SAVDM"])
def test_any_talker_of_vdm_or_vdo_is_read(talker):
    # a base station's (BS, Norway's feed), an AIS unit's (AB): Y3 read AI only
    got = _read([_line(_class_a(257010001, 600_000, 600_000, 10, 10), talker=talker)])
    assert list(got.frame["lat"]) == [1.0] and got.rejects.empty


@pytest.mark.parametrize(
    "payload, fill",
    [("13aDvs001RO`0r2P0000X000000", "0"), ("13aDvs001RO`0r2P00000000000", "6")],
    ids=["X-no-armour", "fill-6"],
)
def test_a_character_outside_the_armour_or_a_fill_above_5_is_unreadable(payload, fill):
    # 'X' is no 6-bit character (Y5 decoded it as a value), fill bits are 0-5 (Y6)
    bad = _tag("c:1600000000") + _sentence(f"AIVDM,1,1,,A,{payload},{fill}")
    got = _read([bad, _line(_class_a(257010001, 600_000, 600_000, 10, 10), "c:1600000060")])
    assert list(got.lines) == [2] and list(got.rejects["rule"]) == ["nmea_unreadable"]


def test_a_first_fragment_of_two_holding_a_position_type_is_no_position():
    # a message of two sentences is rejected whole (count 2), its first fragment too,
    # whatever its first six bits say (P1: only a fragment numbered 1 was taken)
    payload, _ = _armour(_class_a(257010001, 600_000, 600_000, 10, 10))
    lines = [
        _tag("c:1600000000") + _sentence(f"AIVDM,2,1,7,A,{payload},0"),
        _tag("c:1600000000") + _sentence("AIVDM,2,2,7,A,00000000000,2"),
    ]
    got = _read(lines)
    assert got.frame.empty and list(got.rejects["rule"]) == ["nmea_multipart"] * 2


def test_the_moment_is_the_tag_blocks_c_field_before_any_other():
    bits = _class_a(257010001, 600_000, 600_000, 10, 10)
    payload, fill = _armour(bits)
    plain = _sentence(f"AIVDM,1,1,,A,{payload},{fill}")
    lines = [
        # a tag block of no field (its checksum 00), an epoch after the checksum; before a
        # line with a tag block (C13 XORed that line's first byte for the empty one)
        "\\*00\\" + plain + ",1600000180",
        # a tag block's c: and an epoch after the checksum: the tag block's (T5)
        _tag("s:rx1,c:1600000000") + plain + ",1600000999",
        # 'c:' inside another field (a station named 'abc:...') is not the moment (T3)
        _tag("s:abc:1600000500,c:1600000060") + plain,
        # an epoch after the checksum behind a space (T6)
        plain + " 1600000120",
        # nine digits: before September 2001 (T4)
        _tag("c:999999999") + plain,
        # a receiver's time, then ';' or ',' before the sentence: the time alone (T7)
        "2020-09-13 12:30:40.5; " + plain,
        "2020-09-13 12:31:40, " + plain,
        # an epoch of nine digits after the checksum (T10), one with a space after it (T11)
        plain + ",999999900",
        plain + ",1600000360 ",
    ]
    got = _read(lines)
    assert got.rejects.empty
    assert list(got.frame["time"]) == [
        "2020-09-13T12:29:40.000Z",
        "2020-09-13T12:26:40.000Z",
        "2020-09-13T12:27:40.000Z",
        "2020-09-13T12:28:40.000Z",
        "2001-09-09T01:46:39.000Z",
        "2020-09-13 12:30:40.5",
        "2020-09-13 12:31:40",
        "2001-09-09T01:45:00.000Z",
        "2020-09-13T12:32:40.000Z",
    ]


def test_physical_lines_stay_right_across_blocks(monkeypatch):
    # the file is decoded in blocks of lines; a block's first line is counted on from the
    # last (Y2: one line off per block).  Blocks of ~64 bytes: one or two lines each.
    monkeypatch.setattr(_nmea, "_BLOCK", 1)
    lines = [
        _line(_class_a(257010001, 600_000 + i, 600_000, 10, 10), f"c:{1_600_000_000 + 60 * i}")
        for i in range(12)
    ]
    lines[5] = "# receiver restarted"
    lines[8] = ""
    lines[9] = lines[9].replace("*", "x*", 1)  # a damaged tag block
    got = _read(lines)
    assert list(got.lines) == [1, 2, 3, 4, 5, 7, 8, 11, 12]
    assert list((got.frame["lon"] * 600_000 - 600_000).round()) == [0, 1, 2, 3, 4, 6, 7, 10, 11]
    assert dict(zip(got.rejects["row"], got.rejects["rule"], strict=True)) == {
        6: "nmea_comment",
        10: "nmea_checksum",
    }


def test_not_available_positions_are_rejected_by_the_tracks_reader(tmp_path):
    # lat 91 / lon 181 kept as the codes (type 1 and type 27's coarser ones): the tracks
    # reader rejects them as AIS's sentinel, never a ping at (91, 181)
    lines = [
        _line(_class_a(257010001, LON_NA, 600_000, 10, 10), "c:1600000000"),
        _line(_class_a(257010001, 600_000, LAT_NA, 10, 10), "c:1600000060"),
        _line(_long_range(257010001, 108_600, 600, 10, 10), "c:1600000120"),
        _line(_class_a(257010001, 600_000, 600_000, 10, 10), "c:1600000180"),
        _line(_class_a(257010001, 606_000, 600_000, 10, 10), "c:1600000240"),
    ]
    path = tmp_path / "feed.nmea"
    path.write_text("\n".join(lines) + "\n")
    res = read_tracks(TrackSource(path=path))
    assert list(res.lines) == [4, 5]
    assert list(res.rejects["rule"]) == ["position_unavailable"] * 3


@pytest.mark.parametrize("kind, n_bits", [(5, 424), (24, 168), (4, 168), (21, 272)])
def test_static_data_in_one_sentence_is_no_position(kind, n_bits):
    # static and voyage data (type 5) fits one sentence where a receiver does not split it,
    # a class B static report (24) always does: neither is a position (N9 read type 5 as one)
    static = _bits([(6, kind), (2, 0), (30, 257010001), (n_bits - 38, 0)])
    got = _read(
        [_line(static), _line(_class_a(257010001, 600_000, 600_000, 10, 10), "c:1600000060")]
    )
    assert list(got.lines) == [2] and list(got.rejects["rule"]) == ["nmea_not_position"]
    assert got.rejects["message"][0].startswith(f"message type {kind}: ")


@pytest.mark.parametrize("header", ["1,2", "1,0", "0,1", "2,3"])
def test_a_fragment_number_its_message_cannot_have_is_unreadable(header):
    # 'part 2 of a message of 1 sentence' (a damaged header, its checksum right) was read as
    # a whole message: a position decoded from what may be a torn one; 0 of 1 alike
    payload, _ = _armour(_class_a(257010001, 600_000, 600_000, 10, 10))
    lines = [
        _tag("c:1600000000") + _sentence(f"AIVDM,{header},,A,{payload},0"),
        _tag("c:1600000060") + _sentence(f"AIVDM,1,1,,A,{payload},0"),
    ]
    got = _read(lines)
    assert list(got.lines) == [2] and list(got.rejects["rule"]) == ["nmea_unreadable"]
    count, part = header.split(",")
    assert f"fragment {part} of a message of {count} sentence(s)" in got.rejects["message"][0]


@pytest.mark.parametrize(
    "payload, fill, n_bits",
    [("", "0", 0), ("1", "5", 1), ("1", "1", 5)],
    ids=["empty", "one-bit", "five-bits"],
)
def test_a_payload_without_a_message_type_is_short_not_type_0(payload, fill, n_bits):
    # an empty payload was rejected as 'message type 0: not a position report', a type it
    # does not hold
    lines = [
        _tag("c:1600000000") + _sentence(f"AIVDM,1,1,,A,{payload},{fill}"),
        _line(_class_a(257010001, 600_000, 600_000, 10, 10), "c:1600000060"),
    ]
    got = _read(lines)
    assert list(got.lines) == [2] and list(got.rejects["rule"]) == ["nmea_short"]
    assert got.rejects["message"][0] == f"payload of {n_bits} bits: no message type (6 bits)"


def test_crlf_blank_and_indented_comment_lines_are_what_they_are():
    # a line of blanks (a tab, spaces) is no record (Y11 made it nmea_unreadable); a '#'
    # comment indented is a comment (Y12); a CRLF line's reject shows the line without
    # its CR (Y10 kept the CR in the rejects' value)
    bits = _class_a(257010001, 600_000, 600_000, 10, 10)
    damaged = _line(bits, "c:1600000060").replace("*", "x*", 1)
    lines = [_line(bits), " \t ", "   # receiver restarted", damaged, _line(bits, "c:1600000120")]
    got = read_nmea_positions(("\r\n".join(lines) + "\r\n").encode(), "feed.nmea")
    assert got.n_read == 4 and list(got.lines) == [1, 5]
    assert list(got.rejects["row"]) == [3, 4]
    assert list(got.rejects["rule"]) == ["nmea_comment", "nmea_checksum"]
    assert list(got.rejects["value"]) == ["   # receiver restarted", damaged]


@pytest.mark.parametrize("talker", ["BSVDM", "ABVDO"])
def test_a_receivers_log_of_another_talker_is_found_to_be_raw_ais(tmp_path, talker):
    # the sniff of a .txt or .log reads any talker (S2: 'AI' only, a base station's log
    # of !BSVDM was refused as no track file)
    lines = [
        _line(
            _class_a(257010001, 600_000 + i, 600_000, 10, 10), f"c:{1_600_000_000 + 60 * i}", talker
        )
        for i in range(3)
    ]
    path = tmp_path / "station.log"
    path.write_text("\n".join(lines) + "\n")
    res = read_tracks(TrackSource(path=path))
    assert res.assumptions["schema"] == "nmea" and len(res.frame) == 3
