"""A raw-AIS moment whose digits are no epoch is refused at its line, never read years off.

A tag block's ``c:`` was read from its first 13 digits: ``c:20240305140000`` (a clock's
digits, as a logger of its own might write them) became 2034-02-20 06:41:54 UTC and
``c:16000000001`` (11 digits) the year 2477, both accepted; an epoch of 11 or 12 digits
after the checksum too.  An epoch of 1973-2286 has 9-10 digits in seconds, 13 in ms, 16 in
microseconds and 19 in nanoseconds: those are read (the finer ones to the millisecond), any
other ``c:`` is an ``nmea_no_time`` reject that quotes it.
"""

from __future__ import annotations

import pytest
from test_mutants_nmea_found import _armour, _class_a, _line, _read, _sentence

BITS = _class_a(211000001, 600_000, 600_000, 0, 0)
NO_EPOCH = " is no epoch (seconds: 9-10 digits; ms: 13; us: 16; ns: 19)"


@pytest.mark.parametrize(
    ("moment", "time"),
    [
        ("c:1600000000", "2020-09-13T12:26:40.000Z"),
        ("c:1600000000.25", "2020-09-13T12:26:40.250Z"),
        ("c:1600000000123", "2020-09-13T12:26:40.123Z"),
        ("c:1600000000123456", "2020-09-13T12:26:40.123Z"),
        ("c:1600000000123456789", "2020-09-13T12:26:40.123Z"),
        ("s:r003669945,c:1600000000", "2020-09-13T12:26:40.000Z"),
    ],
    ids=["s", "s-fraction", "ms", "us", "ns", "after-station"],
)
def test_an_epoch_in_any_unit_is_read(moment, time):
    got = _read([_line(BITS, moment=moment)])
    assert list(got.frame["time"]) == [time] and got.rejects.empty


@pytest.mark.parametrize(
    "digits",
    ["20240305140000", "16000000001", "160000000012", "16000000001234", "160000000012345", "x1"],
    ids=["clock-digits", "11", "12", "14", "15", "text"],
)
def test_a_tag_block_c_that_is_no_epoch_is_refused_at_its_line(digits):
    got = _read([_line(BITS, moment="c:1600000000"), _line(BITS, moment=f"c:{digits}")])
    assert list(got.frame["time"]) == ["2020-09-13T12:26:40.000Z"]
    assert got.rejects[["row", "rule", "message"]].values.tolist() == [
        [2, "nmea_no_time", f"tag block's c:{digits}{NO_EPOCH}"]
    ]


@pytest.mark.parametrize("digits", ["16000000001", "160000000012", "20240305140000"])
def test_an_epoch_after_the_checksum_of_no_epoch_length_is_no_moment(digits):
    payload, fill = _armour(BITS)
    got = _read([_sentence(f"AIVDM,1,1,,A,{payload},{fill}") + f",{digits}"])
    assert got.frame.empty
    assert list(got.rejects["rule"]) == ["nmea_no_time"]
