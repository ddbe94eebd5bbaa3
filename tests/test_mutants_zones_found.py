"""Second mutation pass over the time zones (``pipeline/ingest/zones.py``).

Each test kills a hand-made mutant the suite let live, or pins a wrong value found on the
way; every expected time is worked out here by ``zoneinfo``/``datetime``, never by the code
under test.  Tiny seizure CSVs in ``tmp_path``; no pipeline run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from test_seizures_time_zones import _read, _times

from pipeline.errors import InputError


def _utc(local: str, zone) -> str:
    """``local`` (``yyyy-mm-dd HH:MM``) in ``zone`` (a tzinfo) as UTC text, by hand."""
    at = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _hours(h: float) -> timezone:
    """A fixed offset of ``h`` hours east of UTC."""
    return timezone(timedelta(minutes=round(h * 60)))


def _rejects(res) -> list[tuple[int, str]]:
    return sorted(zip(res.rejects["row"].astype(int), res.rejects["rule"], strict=True))


# --- an offset in decimal hours -------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "hours"),
    [
        # 'UTC+5.5' was read as 'UTC+5': every time 30 min off, no word said
        ('"Date (UTC+5.5)"', 5.5),
        ('"Time [GMT+5.75]"', 5.75),
        ('"Time (UTC-3.5)"', -3.5),
        # a bare '(+5.5)' was no zone at all: the local times were read as UTC
        ('"Date (+5.5)"', 5.5),
        ('"Date [-9.5]"', -9.5),
    ],
)
def test_a_header_offset_in_decimal_hours_applies_whole(tmp_path, header, hours):
    res = _read(tmp_path, header, "2021-03-05 10:00")
    assert _times(res) == [_utc("2021-03-05 10:00", _hours(hours))]
    assert len(res.rejects) == 0


def test_an_offset_column_reads_utc_plus_decimal_hours(tmp_path):
    # 'UTC+5.5' was no offset (rejected as time_zone_unknown) where a plain '5.5' was one
    res = _read(
        tmp_path,
        "date,utc_offset",
        "2021-03-05 10:00,UTC+5.5",
        "2021-03-05 10:00,GMT-3.5",
        "2021-03-05 10:00,UTC+15.5",  # beyond 14 h: still no offset
    )
    assert _times(res) == [
        _utc("2021-03-05 10:00", _hours(5.5)),
        _utc("2021-03-05 10:00", _hours(-3.5)),
    ]
    assert _rejects(res) == [(4, "time_zone_unknown")]


# --- what a time header names -----------------------------------------------------------------


@pytest.mark.parametrize(
    "abbr", "EST EDT CST CDT PST PDT MST MDT AST ADT IST BST NST NDT ET CT MT PT".split()
)
def test_a_header_naming_an_abbreviation_of_several_zones_is_refused(tmp_path, abbr):
    # each one of them: left out of the set, 'Time (BST)' (London or Dhaka?) named no zone
    # and its local times were read as UTC, hours off
    with pytest.raises(InputError, match=f"names the zone '{abbr}', an abbreviation of several"):
        _read(tmp_path, f'"Time ({abbr})"', "2021-03-05 10:00")


@pytest.mark.parametrize("header", ['"Time (GMT)"', '"TIMESTAMP GMT"', '"Date [UT]"'])
def test_a_header_saying_gmt_places_nothing(tmp_path, header):
    # GMT is UTC: the times are read as they are, and no header zone is said to place them
    res = _read(tmp_path, header, "2021-03-05 10:00")
    assert _times(res) == ["2021-03-05 10:00"]
    assert "utc_offset" not in res.assumptions["columns"]
    assert not any("placed in UTC" in n for n in res.notes)


# a bare signed number among fishing zones ('+1' beside 'A1') is a zone like them:
# tests/test_mutants_context_found.py::test_a_bare_zone_column_of_map_zones_is_not_applied


def test_a_zone_name_in_an_offset_column_is_read_in_any_case(tmp_path):
    # a header's 'europe/berlin' was the tz database's zone; a column's was rejected as
    # time_zone_unknown (every row of an export that writes zones in lower case)
    res = _read(
        tmp_path,
        "date,timezone",
        "2021-07-01 12:00,europe/berlin",
        "2021-07-01 12:00,ASIA/KOLKATA",
        "2021-07-01 12:00,Europe/Berln",  # no zone in any case: still rejected
    )
    assert _times(res) == [
        _utc("2021-07-01 12:00", ZoneInfo("Europe/Berlin")),
        _utc("2021-07-01 12:00", ZoneInfo("Asia/Kolkata")),
    ]
    assert _rejects(res) == [(4, "time_zone_unknown")]
