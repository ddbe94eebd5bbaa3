"""Left-alone items of earlier sessions, closed: dates giving two zones, micro-degrees.

Free-text dates that give two zones are refused, never read one way.

``14:00Z+02:00`` says UTC (``Z``) and +02:00; dateutil read the offset the POSIX way
(``Z+02:00`` as 16:00 UTC, ``Z-05`` as 09:00 UTC) or dropped it (``14:00Z +0200`` as 14:00
UTC) - hours off, exit 0.  Such a value is rejected as ``date_unparseable`` with a note of its
own, as a zone name whose offset disagrees (``+0200 (CET)``) is; a single zone, however
spelled, is read as before (the expected instants are worked out by hand below).
Coordinates as whole micro-degrees are refused naming that reading too.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.ingest import read_seizures

TWO_ZONES = [
    "5 Mar 2024 14:00 Z+02:00",
    "2024-03-05 14:00 Z+02:00",
    "2024-03-05T14:00:00Z+02:00",
    "5 Mar 2024 14:00Z +0200",
    "5 Mar 2024 14:00 Z-05",
    "5 Mar 2024 14:00 z-0500",
    "5 Mar 2024 14:00 +0200 (CET)",
]

#: One zone each: the value and its instant in UTC, by hand.
ONE_ZONE = {
    "5 Mar 2024 14:00 Z": "2024-03-05 14:00",
    "5 Mar 2024 14:00 UTC+02:00": "2024-03-05 12:00",
    "5 Mar 2024 14:00 GMT+2": "2024-03-05 12:00",
    "5 Mar 2024 14:00 UTC -0500": "2024-03-05 19:00",
    "5 Mar 2024 14:00 CET+01:00": "2024-03-05 13:00",
    "5 Mar 2024 14:00 +0100 (CET)": "2024-03-05 13:00",
    "5 Mar 2024 14:00 -0500": "2024-03-05 19:00",
}


def _read(tmp_path, values):
    path = tmp_path / "events.csv"
    path.write_text("date,lat,lon\n" + "".join(f'"{v}",10,20\n' for v in values))
    return read_seizures(path)


@pytest.mark.parametrize("value", TWO_ZONES)
def test_a_value_giving_two_zones_is_rejected_with_its_own_note(tmp_path, value):
    res = _read(tmp_path, [value, "5 Mar 2024 14:00 Z"])
    assert res.rejects["value"].tolist() == [value]
    assert res.rejects["rule"].tolist() == ["date_unparseable"]
    assert res.frame["time"].tolist() == [pd.Timestamp("2024-03-05 14:00", tz="UTC")]
    note = " ".join(res.notes)
    assert "give two zones" in note and value in note
    assert "ambiguous or unknown" not in note  # not the unknown-abbreviation note: Z is known


def test_one_zone_however_spelled_is_read_as_written(tmp_path):
    res = _read(tmp_path, list(ONE_ZONE))
    assert res.rejects.empty, res.rejects.to_dict("records")
    got = res.frame.sort_values("source_row")["time"].tolist()
    assert got == [pd.Timestamp(t, tz="UTC") for t in ONE_ZONE.values()]
    assert "give two zones" not in " ".join(res.notes)


def test_micro_degrees_are_named_among_the_scaled_readings(tmp_path):
    """Latitudes as whole micro-degrees (42,123,456 for 42.123456) were refused naming
    degrees x 10^7 (4.2 degrees: a plausible, wrong place) and semicircles, not 10^6."""
    from pipeline.errors import InputError

    path = tmp_path / "e6.csv"
    path.write_text("date,lat,lon\n2024-03-05,42123456,-8123456\n2024-03-06,42124456,-8124456\n")
    with pytest.raises(InputError) as err:
        read_seizures(path)
    text = str(err.value)
    assert "10^6" in text and "/ 1000000)" in text and "10^7" in text
