"""ERDDAP's ``.csv``: the line below the header is the columns' units, not a record.

NOAA ERDDAP's tabledap/griddap ``.csv`` downloads write a second header line of units::

    time,latitude,longitude,sog,mmsi
    UTC,degrees_north,degrees_east,m s-1,
    2023-01-01T00:00:00Z,50.1,-1.2,5.0,235000001

Read before as a record, that line was rejected (one reject a file, counted) and its units
were lost: a ``sog`` in ``m s-1`` was read as knots (every ship 1.94 times slower), a
seizure ``quantity`` in ``g`` as kilograms (a thousand times heavier), exit 0.  It is now
the header's units row: no record and no reject, stated in the ``units_row`` assumption,
and its units read as the header's own (a speed unit converts, a mass unit converts to kg).
Line numbers stay physical; whole and chunked reads agree.  The values' own checks still
judge them: ``degrees_north`` over a latitude of 500 does not make 500 a latitude.
ERDDAP's ``.csvp`` (units in the header, ``sog (m s-1)``) was read so already.
"""

from __future__ import annotations

import numpy as np
import pytest
from _ingest_stage import track_outcome

from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._common import read_text_table, units_row
from pipeline.schema import SOG

HEADER = "time,latitude,longitude,sog,mmsi"
RECORDS = [
    "2023-01-01T00:00:00Z,50.10,-1.20,5.0,235000001",
    "2023-01-01T00:10:00Z,50.11,-1.19,5.0,235000001",
    "2023-01-01T00:20:00Z,50.12,-1.18,5.0,235000001",
    "2023-01-01T00:00:00Z,50.30,-1.40,2.0,235000002",
    "2023-01-01T00:10:00Z,50.31,-1.39,2.0,235000002",
    "2023-01-01T00:20:00Z,50.32,-1.38,2.0,235000002",
]
MPS_TO_KN = 3600 / 1852  # 1 m/s = 3.6 km/h, 1 kn = 1.852 km/h (exact)


def _write(tmp_path, lines, name="erddap.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_units_row_is_no_record_and_no_reject_and_lines_stay_physical(tmp_path):
    lines = [HEADER, "UTC,degrees_north,degrees_east,m s-1,", *RECORDS[:2], "2023,1,2", RECORDS[2]]
    table = read_text_table(_write(tmp_path, lines))
    assert len(table.frame) == 3
    assert table.frame["sog"].tolist() == ["5.0", "5.0", "5.0"]
    assert table.lines.tolist() == [3, 4, 6]  # physical lines: header 1, units 2
    assert table.bad_rows["row"].tolist() == [5]  # the ragged line, where it is
    assert table.units == {
        "time": "UTC",
        "latitude": "degrees_north",
        "longitude": "degrees_east",
        "sog": "m s-1",
    }
    assert any("line 2" in n and "units row" in n for n in table.notes)


@pytest.mark.parametrize(
    ("line", "is_units"),
    [
        ("UTC,degrees_north,degrees_east,knots,", True),
        ("UTC,,,,", True),  # one unit only a units row holds
        (",,,m/s,1", True),
        ("seconds since 1970-01-01T00:00:00Z,degrees_north,degrees_east,m.s-1,", True),
        (",,,kg,", False),  # a lone mass: a record of one cell stays a record
        ("1,1,1,1,1", False),  # numbers, no unit word
        ("10,20,1,kg,", False),
        ("2023-01-01T00:00:00Z,50.1,-1.2,5.0,235000001", False),
        ("UTC,degrees_north,degrees_east,knots", False),  # a field short
    ],
    ids=[
        "knots",
        "utc-alone",
        "ms-and-1",
        "since",
        "lone-kg",
        "ones",
        "numbers",
        "record",
        "short",
    ],
)
def test_what_is_a_units_row(line, is_units):
    got = units_row(line.encode(), HEADER.split(","), ",")
    assert bool(got) is is_units


def test_speed_in_m_s_from_the_units_row_converts_to_knots(tmp_path):
    path = _write(tmp_path, [HEADER, "UTC,degrees_north,degrees_east,m s-1,", *RECORDS])
    res = read_tracks(path)
    assert res.n_read == 6 and len(res.frame) == 6 and res.by_rule == {}
    np.testing.assert_allclose(
        np.sort(res.frame[SOG].to_numpy()), np.sort([5.0 * MPS_TO_KN] * 3 + [2.0 * MPS_TO_KN] * 3)
    )
    assert res.assumptions["speed_unit"]["unit"] == "m/s"
    assert res.assumptions["units_row"]["line"] == 2
    assert res.assumptions["units_row"]["units"]["sog"] == "m s-1"
    assert res.assumptions["units_row"]["utc_columns"] == ["time"]


def test_knots_in_the_units_row_stay_knots_and_the_header_decides_with_it(tmp_path):
    path = _write(tmp_path, [HEADER, "UTC,degrees_north,degrees_east,knots,", *RECORDS])
    res = read_tracks(path)
    np.testing.assert_allclose(np.sort(res.frame[SOG].to_numpy()), [2.0] * 3 + [5.0] * 3)
    assert res.assumptions["speed_unit"]["unit"] == "kn"
    assert res.assumptions["speed_unit"]["by"] == "header"


def test_csvp_units_in_the_header_read_alike(tmp_path):
    head = "time (UTC),latitude (degrees_north),longitude (degrees_east),sog (m s-1),mmsi"
    res = read_tracks(_write(tmp_path, [head, *RECORDS], "erddap.csvp.csv"))
    assert len(res.frame) == 6 and res.by_rule == {}
    np.testing.assert_allclose(np.sort(res.frame[SOG].to_numpy())[-1], 5.0 * MPS_TO_KN)


def test_a_units_row_is_no_evidence_over_the_values(tmp_path):
    bad = "2023-01-01T00:30:00Z,500,-1.17,5.0,235000001"
    path = _write(tmp_path, [HEADER, "UTC,degrees_north,degrees_east,m s-1,", *RECORDS, bad])
    res = read_tracks(path)
    assert res.n_read == 7 and len(res.frame) == 6
    assert sum(res.by_rule.values()) == 1
    assert res.rejects["row"].tolist() == [9]  # physical line of the latitude of 500
    assert res.rejects["column"].tolist() == ["latitude"]


@pytest.mark.parametrize("rows", [2, 4], ids=["rows-2", "rows-4"])
def test_whole_and_chunked_reads_agree(tmp_path, rows):
    lines = [HEADER, "UTC,degrees_north,degrees_east,m s-1,", *RECORDS[:4], "x,y", *RECORDS[4:]]
    path = _write(tmp_path, lines)
    whole = track_outcome(path, "whole", 0, tmp_path, "units_row")
    chunks = track_outcome(path, "chunks", rows, tmp_path, "units_row")
    assert whole[0] == chunks[0] == {"ragged_row": 1}
    assert whole[1] == chunks[1]  # the pings, bytes
    assert whole[2] == chunks[2]  # the rejects (line 7), bytes
    assert whole[4] == chunks[4] and whole[4]["line"] == 2


def test_a_seizure_quantity_in_grams_from_the_units_row_converts_to_kg(tmp_path):
    lines = [
        "time,latitude,longitude,drug,quantity",
        "UTC,degrees_north,degrees_east,,g",
        "2024-01-01T00:00:00Z,10.1,20.1,coke,300",
        "2024-01-02T00:00:00Z,10.2,20.2,coke,1500",
    ]
    res = read_seizures(_write(tmp_path, lines, "seizures.csv"))
    assert res.n_read == 2 and len(res.frame) == 2 and res.by_rule == {}
    np.testing.assert_allclose(np.sort(res.frame["quantity"].to_numpy()), [0.3, 1.5], rtol=1e-12)
    assert res.assumptions["units_row"]["units"]["quantity"] == "g"


def test_notes_below_the_units_row_name_physical_lines(tmp_path):
    broken = '2023-01-01T00:10:00Z,"50.11,-1.19,5.0,235000001'
    lines = [HEADER, "UTC,degrees_north,degrees_east,m s-1,", RECORDS[0], broken, RECORDS[2]]
    table = read_text_table(_write(tmp_path, lines))
    assert table.lines.tolist() == [3, 5]
    assert table.bad_rows["row"].tolist() == [4]
    assert any("(line(s) 4)" in n for n in table.notes), table.notes


@pytest.mark.parametrize(
    ("header", "unit", "kg"),
    [
        ("quantity_kg", "g", None),
        ("quantity_kg", "kg", [300.0, 1500.0]),
        ("quantity_g", "g", [0.3, 1.5]),
    ],
    ids=["clash", "kg-twice", "g-twice"],
)
def test_a_header_and_units_row_naming_different_masses_are_refused(tmp_path, header, unit, kg):
    from pipeline.errors import InputError

    lines = [
        f"time,latitude,longitude,drug,{header}",
        f"UTC,degrees_north,degrees_east,,{unit}",
        "2024-01-01T00:00:00Z,10.1,20.1,coke,300",
        "2024-01-02T00:00:00Z,10.2,20.2,coke,1500",
    ]
    path = _write(tmp_path, lines, "seizures.csv")
    if kg is None:
        with pytest.raises(InputError, match="units row"):
            read_seizures(path)
        return
    res = read_seizures(path)
    np.testing.assert_allclose(np.sort(res.frame["quantity"].to_numpy()), kg, rtol=1e-12)
