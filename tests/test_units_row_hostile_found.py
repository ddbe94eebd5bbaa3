"""Units rows (ERDDAP's ``.csv``) and ``.csvp`` units: false positives and conflicting units.

A line below the header whose fields were all short unit-like tokens (``1``, ``m``, ``kg``)
was taken for the header's units row: a record with its position missing (``,,,1,kg,``)
was dropped unseen, read 2 of 3 lines, no reject.  A units row now needs one unit no record
would hold (``UTC``, ``degrees_north``, ``m s-1``, ``knots``); the others stay records and
are judged (rejected for their missing position).

Units naming another convention than the one read were ignored: ``degrees_south`` or
``radians`` over a latitude (a units row, or ``.csvp``'s ``latitude (degrees_south)``) read
as degrees north, ``seconds since 2000-01-01`` over a numeric time read as Unix time (30
years early), ``mg/l`` over a quantity converted as milligrams, exit 0.  Units rows the
product did not know (``degrees_south``, ``ft``, ``oz``) were read as a record and rejected,
their units lost.  Each is now refused in one line naming the column and the unit; units of
columns not read (``depth`` in ``m``, ``sst`` in ``degree_C``) change nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _ingest_stage import track_outcome
from test_erddap_units_row_found import MPS_TO_KN, _write

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._common import read_text_table, refuse_role_units, stated_unit, units_row
from pipeline.ingest.seizures import _refuse_mass_per
from pipeline.schema import LAT, LON, SOG, TIME

HEADER = "time,latitude,longitude,sog,cog,mmsi,depth,sst"
UNITS = ["UTC", "degrees_north", "degrees_east", "m s-1", "degrees_true", "", "m", "degree_C"]
RECORDS = [
    "2023-01-01T00:00:00Z,50.10,-1.20,5.0,90,235000001,3.0,12.5",
    "2023-01-01T00:10:00Z,50.11,-1.19,5.0,90,235000001,3.0,12.5",
    "2023-01-01T00:20:00Z,50.12,-1.18,5.0,90,235000001,3.0,12.5",
]


def _units(**changed):
    cols = HEADER.split(",")
    out = list(UNITS)
    for col, unit in changed.items():
        out[cols.index(col)] = unit
    return ",".join(out)


# ------------------------------------------------------------------ false positives


@pytest.mark.parametrize(
    ("line", "is_units"),
    [
        (",,,1,,m,,", False),  # a record: speed 1, vessel 'm'
        ("m,,,1,,,,", False),
        ("h,,,kg,,t,,", False),
        (",,,1,,count,,", False),
        (",,,lbs,,1,,", False),  # a unit column's 'lbs' is a value too
        ("UTC,degrees_north,degrees_east,m s-1,,,m,degree_C,kg", False),  # a field more
        (",,,,,,m,degree_C", True),  # a unit no record holds
        (",,,m s-1,,1,,", True),
        (",,,knots,,1,,", True),
    ],
    ids=[
        "one-and-m",
        "m-and-one",
        "h-kg-t",
        "one-and-count",
        "lbs-and-one",
        "field-more",
        "degree-c",
        "m-s-1",
        "knots",
    ],
)
def test_short_tokens_alone_make_no_units_row(line, is_units):
    assert bool(units_row(line.encode(), HEADER.split(","), ",")) is is_units


def test_a_seizure_record_of_one_and_kg_is_rejected_not_dropped_as_units(tmp_path):
    lines = [
        "id,date,latitude,longitude,quantity,unit",
        "1,,,,1,kg",  # a real record whose date and position are missing
        "2,2024-01-01,10.1,20.1,5,kg",
        "3,2024-01-02,10.2,20.2,7,kg",
    ]
    res = read_seizures(_write(tmp_path, lines, "seizures.csv"))
    assert res.n_read == 3 and len(res.frame) == 2 and len(res.rejects) == 1
    assert res.rejects["row"].tolist() == [2]
    assert "units_row" not in res.assumptions


def test_a_track_record_of_m_and_one_is_rejected_not_dropped_as_units(tmp_path):
    lines = [
        "mmsi,sog,latitude,longitude,time",
        "m,1,,,",
        *[f"235000001,5.0,50.1{i},-1.2{i},2023-01-01T00:{i}0:00Z" for i in range(3)],
    ]
    res = read_tracks(_write(tmp_path, lines))
    assert res.n_read == 4 and len(res.frame) == 3 and len(res.rejects) == 1
    assert res.rejects["row"].tolist() == [2]
    assert "units_row" not in res.assumptions


def test_a_units_row_on_line_3_below_a_title_and_one_record(tmp_path):
    lines = [
        "Seizures export 2024",
        "time,latitude,longitude,drug,quantity",
        "UTC,degrees_north,degrees_east,,g",
        "2024-01-01T00:00:00Z,10.1,20.1,coke,300",
    ]
    res = read_seizures(_write(tmp_path, lines, "seizures.csv"))
    assert res.n_read == 1 and len(res.frame) == 1 and res.by_rule == {}
    assert res.assumptions["units_row"]["line"] == 3
    np.testing.assert_allclose(res.frame["quantity"].to_numpy(), [0.3], rtol=1e-12)


# ------------------------------------------------------------------ conflicting units

PICK = {"lat": "latitude", "lon": "longitude", "time": "time", "cog": "cog"}


@pytest.mark.parametrize(
    ("column", "unit", "refused"),
    [
        ("latitude", "degrees_south", True),
        ("longitude", "degrees_west", True),
        ("latitude", "radians", True),
        ("longitude", "rad", True),
        ("latitude", "degrees_east", True),
        ("latitude", "degrees_S", True),
        ("cog", "radians", True),
        ("time", "seconds since 2000-01-01", True),
        ("time", "days since 1970-01-01", True),
        ("time", "hours", True),
        ("latitude", "degree_north", False),  # CF's singular
        ("latitude", "degrees_N", False),
        ("longitude", "degrees", False),
        ("longitude", "deg", False),
        ("cog", "degrees_true", False),
        ("time", "UTC", False),
        ("time", "seconds since 1970-01-01T00:00:00Z", False),
        ("depth", "ft", False),  # not read
        ("mmsi", "degrees_south", False),
    ],
    ids=[
        "lat-south",
        "lon-west",
        "lat-radians",
        "lon-rad",
        "lat-east",
        "lat-s",
        "cog-radians",
        "time-epoch-2000",
        "time-days",
        "time-hours",
        "lat-cf-singular",
        "lat-n",
        "lon-degrees",
        "lon-deg",
        "cog-true",
        "time-utc",
        "time-unix",
        "depth-ft",
        "mmsi-south",
    ],
)
def test_which_stated_units_are_refused(column, unit, refused):
    units = {column: unit}
    if not refused:
        refuse_role_units(PICK, units, "f.csv")
        return
    with pytest.raises(InputError) as err:
        refuse_role_units(PICK, units, "f.csv")
    message = str(err.value)
    assert "\n" not in message and repr(column) in message and repr(unit) in message


@pytest.mark.parametrize(
    ("column", "unit"),
    [
        ("latitude", "degrees_south"),
        ("cog", "radians"),
        ("time", "seconds since 2000-01-01"),
        ("sog", "ft s-1"),  # a units row of 'ft' was read as a record before
    ],
    ids=["lat-south", "cog-radians", "time-epoch-2000", "sog-ft"],
)
def test_a_unit_other_than_the_one_read_is_refused_in_one_line(tmp_path, column, unit):
    path = _write(tmp_path, [HEADER, _units(**{column: unit}), *RECORDS])
    with pytest.raises(InputError) as err:
        read_tracks(path)
    message = str(err.value)
    assert "\n" not in message and column in message and unit in message


def test_csvp_header_units_other_than_the_one_read_are_refused(tmp_path):
    cols = HEADER.split(",")
    head = [f"{c} ({u})" if u else c for c, u in zip(cols, UNITS, strict=True)]
    head[cols.index("longitude")] = "longitude (degrees_west)"
    with pytest.raises(InputError, match="degrees_west"):
        read_tracks(_write(tmp_path, [",".join(head), *RECORDS], "erddap.csvp.csv"))
    assert stated_unit("Latitude (WGS84)", None) is None  # no unit: not judged
    assert stated_unit("latitude (degrees_south)", None) == ("degrees_south", "its header")


def test_latitude_units_of_degrees_north_are_read(tmp_path):
    res = read_tracks(_write(tmp_path, [HEADER, _units(latitude="degree_north"), *RECORDS]))
    assert len(res.frame) == 3 and res.by_rule == {}
    np.testing.assert_allclose(np.sort(res.frame[LAT].to_numpy()), [50.10, 50.11, 50.12])
    np.testing.assert_allclose(np.sort(res.frame[LON].to_numpy()), [-1.20, -1.19, -1.18])


def test_numeric_unix_time_in_seconds_since_1970_is_read(tmp_path):
    t0 = 1672531200  # 2023-01-01T00:00:00Z
    rows = [f"{t0 + 600 * i},50.1{i},-1.2{i},5.0,90,235000001,3.0,12.5" for i in range(3)]
    unit = "seconds since 1970-01-01T00:00:00Z"
    res = read_tracks(_write(tmp_path, [HEADER, _units(time=unit), *rows]))
    assert len(res.frame) == 3 and res.by_rule == {}
    got = np.sort((res.frame[TIME] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1))
    np.testing.assert_array_equal(got, [t0, t0 + 600, t0 + 1200])


def test_units_of_columns_not_read_change_nothing(tmp_path):
    plain = read_tracks(_write(tmp_path, [HEADER, *RECORDS], "plain.csv"))
    odd = _units(sog="knots", depth="ft", sst="degrees_south", mmsi="1")
    res = read_tracks(_write(tmp_path, [HEADER, odd, *RECORDS]))
    assert res.by_rule == {} and len(res.frame) == 3
    assert res.assumptions["units_row"]["units"]["sst"] == "degrees_south"
    for col in (LAT, LON, SOG, TIME):
        assert res.frame[col].tolist() == plain.frame[col].tolist()


@pytest.mark.parametrize(
    ("unit", "refused"),
    [("mg/l", True), ("kg m-2", True), ("g s-1", True), ("lb/kg", False), ("metric tons", False)],
    ids=["mg-l", "kg-m2", "g-s", "two-masses", "metric-tons"],
)
def test_which_quantity_units_are_a_mass_per_something(unit, refused):
    if not refused:
        _refuse_mass_per("quantity", {"quantity": unit}, "s.csv")
        return
    with pytest.raises(InputError, match="mass per"):
        _refuse_mass_per("quantity", {"quantity": unit}, "s.csv")


def test_a_seizure_quantity_in_mg_per_litre_is_refused(tmp_path):
    lines = [
        "time,latitude,longitude,drug,quantity",
        "UTC,degrees_north,degrees_east,,mg/l",
        "2024-01-01T00:00:00Z,10.1,20.1,coke,300",
    ]
    with pytest.raises(InputError, match="quantity"):
        read_seizures(_write(tmp_path, lines, "seizures.csv"))


def test_a_seizure_quantity_in_ounces_from_the_units_row_converts(tmp_path):
    lines = [
        "time,latitude,longitude,drug,quantity",
        "UTC,degrees_north,degrees_east,,oz",  # read as a record before (oz not a unit)
        "2024-01-01T00:00:00Z,10.1,20.1,coke,300",
        "2024-01-02T00:00:00Z,10.2,20.2,coke,1500",
    ]
    res = read_seizures(_write(tmp_path, lines, "seizures.csv"))
    assert res.n_read == 2 and res.by_rule == {}
    oz = 0.028349523125  # kg, exact (avoirdupois)
    np.testing.assert_allclose(np.sort(res.frame["quantity"].to_numpy()), [300 * oz, 1500 * oz])


def test_a_seizure_units_row_naming_no_mass_says_so(tmp_path):
    lines = [
        "time,latitude,longitude,drug,quantity",
        "UTC,degrees_north,degrees_east,,tons",
        "2024-01-01T00:00:00Z,10.1,20.1,coke,300",
    ]
    res = read_seizures(_write(tmp_path, lines, "seizures.csv"))
    np.testing.assert_allclose(res.frame["quantity"].to_numpy(), [300.0])
    said = str(res.assumptions)
    assert "no unit stated" not in said and "'tons'" in said


# ------------------------------------------------------------------ shapes and chunks


def test_tsv_units_row_is_read_as_csv(tmp_path):
    lines = [line.replace(",", "\t") for line in [HEADER, _units(), *RECORDS]]
    res = read_tracks(_write(tmp_path, lines, "erddap.tsv"))
    assert res.n_read == 3 and res.by_rule == {}
    np.testing.assert_allclose(res.frame[SOG].to_numpy(), [5.0 * MPS_TO_KN] * 3)
    assert res.assumptions["units_row"]["units"]["depth"] == "m"


def test_whole_and_chunked_reads_agree_on_rejects_below_a_units_row(tmp_path):
    rows = 1
    bad = "2023-01-01T00:30:00Z,,-1.17,5.0,90,235000001,3.0,12.5"
    path = _write(tmp_path, [HEADER, _units(), RECORDS[0], bad, *RECORDS[1:]])
    whole = track_outcome(path, "whole", 0, tmp_path, "units_row")
    chunks = track_outcome(path, "chunks", rows, tmp_path, "units_row")
    assert whole[0] == chunks[0] and sum(whole[0].values()) == 1
    assert whole[1] == chunks[1] and whole[2] == chunks[2]
    assert whole[4] == chunks[4] and whole[4]["line"] == 2


def test_a_conflicting_unit_is_refused_in_chunks_too(tmp_path):
    rows = 1
    path = _write(tmp_path, [HEADER, _units(latitude="degrees_south"), *RECORDS])
    got = track_outcome(path, "chunks", rows, tmp_path)
    assert got[0] == "refused" and "degrees_south" in got[1]


def test_read_text_table_keeps_physical_lines_below_a_tsv_units_row(tmp_path):
    lines = [line.replace(",", "\t") for line in [HEADER, _units(), *RECORDS[:2], "x", RECORDS[2]]]
    table = read_text_table(_write(tmp_path, lines, "erddap.tsv"))
    assert table.lines.tolist() == [3, 4, 6] and table.bad_rows["row"].tolist() == [5]


def test_eastings_and_northings_in_metres_are_read_under_a_crs_and_refused_without(tmp_path):
    from pipeline.ingest.options import TrackSource

    lines = [
        "time,y,x,mmsi",
        "UTC,m,m,",
        *[
            f"2023-01-01T00:{i}0:00Z,{5550000 + 100 * i},{600000 + 100 * i},235000001"
            for i in range(3)
        ],
    ]
    path = _write(tmp_path, lines)
    cols = {"lat": "y", "lon": "x"}
    with pytest.raises(InputError, match="crs"):
        read_tracks(TrackSource(path=path, columns=cols))
    res = read_tracks(TrackSource(path=path, columns=cols, crs="EPSG:32630"))
    assert len(res.frame) == 3 and res.by_rule == {}
    # EPSG:32630 (UTM 30N) puts 600000 E, 5550000 N at 50.0938 N, 1.6019 W (pyproj)
    np.testing.assert_allclose(res.frame[LAT].min(), 50.0938, atol=1e-3)
    np.testing.assert_allclose(res.frame[LON].min(), -1.6019, atol=1e-3)


@pytest.mark.parametrize(
    ("second", "read", "kg"),
    [
        (["UTC", "degrees_north", "degrees_east", None, "g"], 2, [0.3, 1.5]),
        ([None, None, None, "1", "kg"], 3, [300.0, 1500.0]),  # a record: rejected
        ([None] * 5, 3, [300.0, 1500.0]),  # a blank row, then units: no units row (as in CSV)
    ],
    ids=["units", "record", "blank-then-units"],
)
def test_a_workbook_units_row_is_read_as_a_csv_one(tmp_path, second, read, kg):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    rows = (
        [second] if any(second) else [second, ["UTC", "degrees_north", "degrees_east", None, "g"]]
    )
    for row in [
        ["time", "latitude", "longitude", "drug", "quantity"],
        *rows,
        ["2024-01-01T00:00:00Z", 10.1, 20.1, "coke", 300],
        ["2024-01-02T00:00:00Z", 10.2, 20.2, "coke", 1500],
    ]:
        sheet.append(row)
    book.save(tmp_path / "seizures.xlsx")
    res = read_seizures(tmp_path / "seizures.xlsx")
    assert res.n_read == read and len(res.frame) == 2
    assert res.rejects["row"].tolist() == ([] if read == 2 else [2] if any(second) else [3])
    np.testing.assert_allclose(np.sort(res.frame["quantity"].to_numpy()), kg, rtol=1e-12)
    assert ("units_row" in res.assumptions) is (read == 2)


def test_a_units_row_ending_with_the_records_delimiter_is_read(tmp_path):
    # every line below the header ends with ',' (a spreadsheet's export): the units row
    # too; read as a ragged record before, rejected as vessel_missing, its 'm s-1' lost and
    # the speeds read as knots (5.0 for 9.72)
    head = "time,latitude,longitude,sog,mmsi"
    rows = [",".join(r.split(",")[:4] + [r.split(",")[5]]) + "," for r in RECORDS]
    path = _write(tmp_path, [head, "UTC,degrees_north,degrees_east,m s-1,,", *rows])
    res = read_tracks(path)
    assert res.n_read == 3 and res.by_rule == {}
    np.testing.assert_allclose(res.frame[SOG].to_numpy(), [5.0 * MPS_TO_KN] * 3)
    assert res.assumptions["units_row"]["units"]["sog"] == "m s-1"


def test_a_seizure_latitude_in_degrees_south_is_refused(tmp_path):
    lines = [
        "time,latitude,longitude,drug,quantity",
        "UTC,degrees_south,degrees_east,,kg",
        "2024-01-01T00:00:00Z,10.1,20.1,coke,300",
    ]
    with pytest.raises(InputError, match="degrees_south"):
        read_seizures(_write(tmp_path, lines, "seizures.csv"))


def test_units_are_keyed_by_the_names_read_not_the_headers_text(tmp_path):
    # ' sog' (a space after the comma) is read as 'sog': its 'm s-1' was keyed ' sog' and
    # missed it (speeds read as knots, 5.0 for 9.72); of two 'latitude' columns, the
    # second's 'degrees_north' overwrote the first's 'degrees_south' (read as north)
    head = "time, latitude, longitude, sog, mmsi"
    rows = [f"2023-01-01T00:{i}0:00Z, 50.1{i}, -1.2{i}, 5.0, 235000001" for i in range(3)]
    res = read_tracks(_write(tmp_path, [head, "UTC, degrees_north, degrees_east, m s-1, ", *rows]))
    np.testing.assert_allclose(res.frame[SOG].to_numpy(), [5.0 * MPS_TO_KN] * 3)
    assert res.assumptions["units_row"]["units"]["sog"] == "m s-1"
    head = "time,latitude,longitude,latitude,longitude,mmsi"
    rows = [f"2023-01-01T00:{i}0:00Z,50.1{i},-1.2{i},50.1{i},-1.2{i},235000001" for i in range(3)]
    units = "UTC,degrees_south,degrees_east,degrees_north,degrees_east,"
    with pytest.raises(InputError, match="degrees_south"):
        read_tracks(_write(tmp_path, [head, units, *rows], "twice.csv"))


@pytest.mark.parametrize(
    ("role", "header", "refused"),
    [
        ("lon", "Longitude (deg W)", True),
        ("lon", "Longitude (°W)", True),  # read as east before
        ("lon", "longitude (degrees west)", True),  # read as east before
        ("lat", "Latitude (S)", True),
        ("lat", "Latitude (°N)", False),
        ("lat", "Latitude (N)", False),
        ("lon", "Longitude (deg E)", False),
        ("lat", "Latitude (WGS84)", False),  # no unit
    ],
    ids=["deg-w", "degree-sign-w", "degrees-west", "s", "degree-sign-n", "n", "deg-e", "wgs84"],
)
def test_a_hemisphere_in_a_position_headers_brackets_is_judged(role, header, refused):
    pick = {role: header}
    if not refused:
        refuse_role_units(pick, None, "f.csv")
        return
    with pytest.raises(InputError, match="only degrees"):
        refuse_role_units(pick, None, "f.csv")


def test_sensor_units_not_known_here_beside_position_units_keep_the_units_row(tmp_path):
    # ERDDAP's rows carry whatever UDUNITS the dataset has ('umol kg-1', '1e-3'): one unit
    # not known here made the row a record (rejected) and the speeds' 'm s-1' was lost
    head = "time,latitude,longitude,sog,mmsi,oxygen,salinity"
    rows = [f"2023-01-01T00:{i}0:00Z,50.1{i},-1.2{i},5.0,235000001,250.5,35.1" for i in range(3)]
    units = "UTC,degrees_north,degrees_east,m s-1,,umol kg-1,1e-3"
    res = read_tracks(_write(tmp_path, [head, units, *rows]))
    assert res.n_read == 3 and res.by_rule == {}
    np.testing.assert_allclose(res.frame[SOG].to_numpy(), [5.0 * MPS_TO_KN] * 3)
    # without a position's unit, a row of words stays a record: 'UTC' is a zone's value too
    assert units_row(b"UTC,cocaine,Colombia", ["tz", "drug", "country"], ",") == {}


@pytest.mark.parametrize(("second", "refused"), [("kg", True), ("g", False)], ids=["kg", "g"])
def test_units_rows_of_seizure_exports_joined_end_to_end(tmp_path, second, refused):
    # the first units row's 'g' was applied to every record: the second export's 1500
    # below its own 'kg' read as 1.5 kg (its units row a coord_unparseable reject), exit 0
    head = "time,latitude,longitude,drug,quantity"
    lines = [
        head,
        "UTC,degrees_north,degrees_east,,g",
        "2024-01-01T00:00:00Z,10.1,20.1,coke,300",
        head,
        f"UTC,degrees_north,degrees_east,,{second}",
        "2024-01-02T00:00:00Z,10.2,20.2,coke,1500",
    ]
    path = _write(tmp_path, lines, "seizures.csv")
    if refused:
        with pytest.raises(InputError, match="line 5"):
            read_seizures(path)
        return
    res = read_seizures(path)
    assert res.n_read == 4 and res.by_rule == {"repeated_header": 2}
    assert res.rejects["row"].tolist() == [4, 5]
    assert res.rejects["value"].tolist() == [head, "UTC,degrees_north,degrees_east,,g"]
    np.testing.assert_allclose(np.sort(res.frame["quantity"].to_numpy()), [0.3, 1.5])
