"""Acceptance review of ingest and outputs on the shapes real exports take and on hostile files.

Each case here was a silent wrong answer or a traceback before its fix: a column of the right
kind but the wrong meaning taken (ACLED's upload ``timestamp`` for the event date, Global
Fishing Watch's ``seg_id`` for the vessel), a header naming two different columns, a
``Year`` column refused as times of day, ...  Files are tiny and written to ``tmp_path``;
the readers are called directly (they are what the CLI and the runner call).
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.errors import InputError
from pipeline.ingest import SeizureSource, read_seizures, read_tracks

pytestmark = IGNORE_PENDING_DEPRECATION


# ------------------------------------------------------------------ which column is the time


ACLED = (
    "event_id_cnty,event_date,year,time_precision,event_type,actor1,country,latitude,"
    "longitude,source,notes,fatalities,timestamp\n"
    "NGA1,15 January 2023,2023,1,Violence against civilians,Pirates,Nigeria,4.4333,7.1667,"
    'Reuters,"Pirates boarded, 3 kidnapped",0,1674000000\n'
    "NGA2,03 February 2023,2023,1,Battles,Pirates,Nigeria,4.4,7.2,Reuters,x,0,1676000000\n"
    "NGA3,2023-03-05,2023,1,Battles,Pirates,Nigeria,4.5,7.3,Reuters,x,2,1678000000\n"
)


def test_acled_event_date_wins_over_the_upload_timestamp(tmp_path):
    # ACLED's `timestamp` is when the row was last uploaded (epoch seconds), not the event.
    res = read_seizures(write_text(tmp_path, "acled.csv", ACLED))
    assert_accounted(res)
    assert res.assumptions["columns"]["time"]["column"] == "event_date"
    assert "timestamp" in res.assumptions["columns"]["time"]["evidence"]
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-01-15",
        "2023-02-03",
        "2023-03-05",
    ]


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Year", ["2019", "2020", "2021"]),
        ("year", ["2001", "2002", "2003"]),
        ("date", ["2019", "2020", "2021"]),
    ],
)
def test_year_only_column_is_years_not_times_of_day(tmp_path, header, values):
    # 2019 also reads as the clock 20:19; under a header naming a year or a date it is a year.
    rows = "".join(f"{v},{10 + i},-60.{i},cocaine\n" for i, v in enumerate(values))
    res = read_seizures(write_text(tmp_path, "y.csv", f"{header},lat,lon,drug\n{rows}"))
    assert_accounted(res)
    assert res.assumptions["columns"]["time"]["column"] == header
    assert res.frame["time"].dt.year.tolist() == [int(v) for v in values]


def test_clock_values_under_a_time_header_stay_times_of_day(tmp_path):
    # The converse: '1430' under 'Incident Time' beside a date column is a time of day.
    text = (
        "Incident Date,Incident Time,lat,lon\n2023-01-15,1430,1.2,104.1\n2023-01-16,0230,1.3,104\n"
    )
    res = read_seizures(write_text(tmp_path, "t.csv", text))
    assert res.assumptions["columns"]["time"]["column"] == "Incident Date"
    assert res.frame["time"].dt.strftime("%d %H:%M").tolist() == ["15 14:30", "16 02:30"]


# ------------------------------------------------------------------ which column is the vessel


GFW = (
    "ssvid,seg_id,timestamp,lat,lon,speed_knots,course\n"
    "219000001,219000001-2023-01-01T00:00:00.000000Z-1,2023-01-01 00:00:00 UTC,55.0,10.0,10,90\n"
    "219000001,219000001-2023-01-01T00:00:00.000000Z-1,2023-01-01 00:10:00 UTC,55.01,10.01,10,90\n"
    "219000001,219000001-2023-01-01T09:00:00.000000Z-2,2023-01-01 09:00:00 UTC,55.5,10.5,10,90\n"
    "219000001,219000001-2023-01-01T09:00:00.000000Z-2,2023-01-01 09:10:00 UTC,55.51,10.51,10,90\n"
    "219000002,219000002-2023-01-01T00:00:00.000000Z-1,2023-01-01 00:00:00 UTC,56.0,11.0,10,90\n"
    "219000002,219000002-2023-01-01T00:00:00.000000Z-1,2023-01-01 00:10:00 UTC,56.01,11.01,10,90\n"
)


def test_gfw_ssvid_is_the_vessel_not_the_segment(tmp_path):
    # A GFW segment ends where the vessel went dark: taking seg_id as the vessel splits one
    # vessel in two and hides exactly the AIS gap the transit factors look for.
    res = read_tracks(write_text(tmp_path, "gfw.csv", GFW))
    assert_accounted(res)
    assert res.assumptions["columns"]["vessel_id"]["column"] == "ssvid"
    assert sorted(res.frame["vessel_id"].unique()) == ["219000001", "219000002"]
    assert len(res.frame) == 6


@pytest.mark.parametrize("header", ["seg_id", "segment_id", "voyage_id", "leg_id"])
def test_a_segment_or_voyage_id_is_never_taken_for_a_vessel(tmp_path, header):
    text = (
        f"{header},time,lat,lon\n"
        "s1,2023-01-01T00:00:00Z,55.0,10.0\n"
        "s1,2023-01-01T00:10:00Z,55.01,10.01\n"
        "s2,2023-01-01T09:00:00Z,55.5,10.5\n"
    )
    with pytest.raises(InputError, match="vessel"):
        read_tracks(write_text(tmp_path, "seg.csv", text))


# ------------------------------------------------------------------ one header, two columns


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("date,lat,lon,lat,lon\n2023-01-05,10.5,-60.2,0,0\n2023-01-06,11.5,-61.2,0,0\n", "lat"),
        (
            "Date,Date,lat,lon\n2023-01-05,2022-12-01,10.5,-60.2\n2023-01-06,2022-12-02,11,-61\n",
            "time",
        ),
        ("date,LAT,lon,lat\n2023-01-05,10.5,-60.2,0\n2023-01-06,11.5,-61.2,0\n", "lat"),
    ],
)
def test_a_header_naming_two_different_columns_is_refused(tmp_path, text, role):
    with pytest.raises(InputError, match="names 2 columns") as info:
        read_seizures(write_text(tmp_path, "dup.csv", text))
    assert "columns:" in str(info.value) and role in str(info.value)


def test_a_repeated_identical_column_is_not_ambiguous(tmp_path):
    text = "date,lat,lon,lat\n2023-01-05,10.5,-60.2,10.5\n2023-01-06,11.5,-61.2,11.5\n"
    res = read_seizures(write_text(tmp_path, "same.csv", text))
    assert res.frame["lat"].tolist() == [10.5, 11.5]


def test_a_duplicated_header_is_read_with_a_columns_override(tmp_path):
    text = "date,lat,lon,lat,lon\n2023-01-05,0,0,10.5,-60.2\n2023-01-06,0,0,11.5,-61.2\n"
    path = write_text(tmp_path, "dup.csv", text)
    res = read_seizures(SeizureSource(path=path, columns={"lat": "lat.1", "lon": "lon.1"}))
    assert res.frame["lat"].tolist() == [10.5, 11.5]
    assert res.frame["lon"].tolist() == [-60.2, -61.2]


def test_excel_duplicate_headers_are_refused_too(tmp_path):
    path = tmp_path / "dup.xlsx"
    frame = pd.DataFrame(
        [["2023-01-05", 10.5, -60.2, 0.0], ["2023-01-06", 11.5, -61.2, 0.0]],
        columns=["date", "lat", "lon", "lat"],
    )
    frame.to_excel(path, index=False)
    with pytest.raises(InputError, match="names 2 columns"):
        read_seizures(path)


# ------------------------------------------------------------------ positions that fit only misread

DENMARK = (5.0, 50.0, 15.0, 60.0)
CARIBBEAN = (-70.0, 5.0, -55.0, 20.0)


def _points(lat_lon: list[tuple[float, float]], header: str = "date,lat,lon,commodity") -> str:
    rows = "".join(f"2023-01-{i + 1:02d},{a},{b},cocaine\n" for i, (a, b) in enumerate(lat_lon))
    return header + "\n" + rows


@pytest.mark.parametrize(
    ("text", "bbox", "what"),
    [
        # Danish positions (lat 55, lon 10) with the columns exchanged: valid, but off Somalia.
        (_points([(10 + i / 100, 55 + i / 100) for i in range(5)]), DENMARK, "swapped"),
        # Caribbean positions whose W was lost in the export: valid, but in the Indian Ocean.
        (_points([(11 + i / 10, 60 + i / 10) for i in range(5)]), CARIBBEAN, "longitudes' sign"),
    ],
    ids=["swapped", "west-lost"],
)
def test_seizures_that_fit_the_area_only_misread_are_refused(tmp_path, text, bbox, what):
    # Before: every record rejected as outside_aoi (not counted by the reject ceiling) and
    # the run went on without the file.
    with pytest.raises(InputError, match=what) as info:
        read_seizures(write_text(tmp_path, "m.csv", text), aoi_bbox=bbox)
    assert "outside the area" in str(info.value)


def test_geojson_written_lat_lon_is_refused_in_its_area(tmp_path):
    import json

    feats = [
        {
            "type": "Feature",
            "properties": {"date": f"2023-01-0{i + 1}", "commodity": "cocaine"},
            "geometry": {"type": "Point", "coordinates": [55.0 + i / 10, 10.0 + i / 10]},
        }
        for i in range(4)
    ]
    path = tmp_path / "latlon.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with pytest.raises(InputError, match="latitude first"):
        read_seizures(path, aoi_bbox=DENMARK)


def test_tracks_that_fit_the_area_only_swapped_are_refused(tmp_path):
    rows = "".join(
        f"219000001,2023-01-01T00:{i:02d}:00Z,{10 + i / 1000},{55 + i / 1000}\n" for i in range(5)
    )
    path = write_text(tmp_path, "t.csv", "mmsi,time,lat,lon\n" + rows)
    with pytest.raises(InputError, match="swapped"):
        read_tracks(path, aoi_bbox=DENMARK)


def test_tracks_read_in_chunks_or_tasks_refuse_a_swapped_file_too(tmp_path):
    """The chunked and partitioned readers sum each chunk's counts and decide once."""
    from pipeline.engine import LocalEngine
    from pipeline.ingest.stream import spill_tracks, spill_tracks_partitioned

    rows = "".join(
        f"21900000{i % 3},2023-01-01T{i // 60:02d}:{i % 60:02d}:00Z,{10 + i / 1000},"
        f"{55 + i / 1000}\n"
        for i in range(40)
    )
    path = write_text(tmp_path, "t.csv", "mmsi,time,lat,lon\n" + rows)
    with pytest.raises(InputError, match="swapped") as whole:
        read_tracks(path, aoi_bbox=DENMARK)
    with pytest.raises(InputError, match="swapped") as chunked:
        spill_tracks(path, tmp_path / "a", chunk_rows=7, n_buckets=3, aoi_bbox=DENMARK)
    assert str(chunked.value) == str(whole.value)
    assert not list((tmp_path / "a").rglob("*.arrow"))  # no candidates left behind
    with pytest.raises(InputError, match="swapped") as tasks:
        spill_tracks_partitioned(
            [path], [tmp_path / "b"], LocalEngine(), chunk_rows=7, n_buckets=3, aoi_bbox=DENMARK
        )
    assert str(tasks.value) == str(whole.value)
    # the same positions the right way round are read by every path
    right = write_text(tmp_path, "r.csv", "mmsi,time,lon,lat\n" + rows)
    n = len(read_tracks(right, aoi_bbox=DENMARK).frame)
    assert (
        spill_tracks(right, tmp_path / "c", chunk_rows=7, n_buckets=3, aoi_bbox=DENMARK).n_accepted
        == n
        > 0
    )


def test_a_file_of_another_area_is_rejected_with_a_note_not_refused(tmp_path):
    # Gulf of Guinea points in a Danish run: no misreading brings them in.
    text = _points([(4 + i / 10, 7 + i / 10) for i in range(4)])
    res = read_seizures(write_text(tmp_path, "far.csv", text), aoi_bbox=DENMARK)
    assert_accounted(res)
    assert res.by_rule == {"outside_aoi": 4}
    assert any("none of the 4 positions" in n for n in res.notes)


def test_a_file_mostly_in_the_area_is_left_alone(tmp_path):
    pts = [(55 + i / 10, 10 + i / 10) for i in range(8)] + [(10.0, 55.0), (10.5, 55.5)]
    res = read_seizures(write_text(tmp_path, "ok.csv", _points(pts)), aoi_bbox=DENMARK)
    assert len(res.frame) == 8 and res.by_rule == {"outside_aoi": 2}
    assert not any("positions" in n for n in res.notes)


# ------------------------------------------------------------------ time zones by abbreviation


def test_zone_abbreviations_are_applied_or_refused_never_dropped(tmp_path):
    # Before: dateutil dropped CET/JST/EST (UnknownTimezoneWarning, silenced) and the times
    # were taken as UTC, hours off; on a machine in that zone they were read right.
    text = (
        "date,lat,lon\n"
        "5 Jan 2023 23:30 CET,10,-60\n"
        "2023-01-05 23:30 JST,10,-60.1\n"
        '"Thu, 05 Jan 2023 23:30:00 GMT",10,-60.2\n'
        "2023-01-05 23:30 IST,10,-60.3\n"  # India, Israel or Ireland
        "2023-01-05 23:30 EST,10,-60.4\n"  # US or Australian eastern
        "2023-01-05 23:30 PST,10,-60.5\n"  # US Pacific or Philippine
    )
    res = read_seizures(write_text(tmp_path, "tz.csv", text))
    assert_accounted(res)
    got = res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert got == ["2023-01-05 22:30", "2023-01-05 14:30", "2023-01-05 23:30"]
    assert res.by_rule == {"date_unparseable": 3}
    assert res.rejects["row"].tolist() == [5, 6, 7]
    assert any("ambiguous or unknown" in n and "IST" in n for n in res.notes)


def test_accented_headers_are_recognised(tmp_path):
    # German cp1252 export: 'Länge' was split into 'l' + 'nge' and no longitude was found.
    path = tmp_path / "de.csv"
    path.write_bytes("Datum;Breite;Länge\n25.01.2023;10,5;-60,2\n".encode("cp1252"))
    res = read_seizures(path)
    assert res.assumptions["columns"]["lon"]["column"] == "Länge"
    assert (res.frame["lat"].tolist(), res.frame["lon"].tolist()) == ([10.5], [-60.2])


# ------------------------------------------------------------------ Excel serial day numbers


@pytest.mark.parametrize("date1904", [False, True])
def test_excel_serial_numbers_in_a_date_column_are_dates(tmp_path, date1904):
    # A date cell formatted 'General' holds its serial day number; every record was rejected.
    from openpyxl import Workbook

    wb = Workbook()
    if date1904:
        wb.epoch = __import__("openpyxl").utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["Date", "Latitude", "Longitude", "Year"])
    ws.append([44927, 10.5, -60.2, 2023])
    ws.append([44958.25, 11.5, -61.2, 2023])
    path = tmp_path / "serial.xlsx"
    wb.save(path)
    res = read_seizures(path)
    assert_accounted(res)
    got = res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    if date1904:
        assert got == ["2027-01-02 00:00", "2027-02-02 06:00"]  # 1,462 days later
    else:
        assert got == ["2023-01-01 00:00", "2023-02-01 06:00"]
    serials = res.assumptions["excel_serial_dates"]
    assert list(serials) == ["Date"]  # the Year column of 2023 is not touched
    assert serials["Date"]["date_system"] == ("1904" if date1904 else "1900")


def test_excel_serial_numbers_in_a_csv_are_rejected_with_a_reason(tmp_path):
    res = read_seizures(write_text(tmp_path, "s.csv", "date,lat,lon\n44927,10,-60\n44928,10,-61\n"))
    assert res.by_rule == {"date_unparseable": 2}
    assert any("Excel serial" in n for n in res.notes)


# ------------------------------------------------------------------ a title above the header


def test_csv_title_lines_above_the_header_are_skipped_lines_stay_physical(tmp_path):
    # Before: the title was taken for the header and the file refused ("no coordinate columns").
    text = (
        "Seizure report 2023\n"
        "Generated 2024-01-01\n"
        "\n"
        "date;lat;lon;commodity;quantity\n"
        "2023-01-05;10,5;-60,2;cocaine;5\n"
        "2023-02-05;11,5;-61,2;cannabis;3\n"
        "Total;;;;8\n"
    )
    res = read_seizures(write_text(tmp_path, "report.csv", text))
    assert_accounted(res)
    assert res.assumptions["header_line"] == 4
    assert res.frame["source_row"].tolist() == [5, 6]
    assert res.frame["lat"].tolist() == [10.5, 11.5]
    assert res.rejects["row"].tolist() == [7]  # the Total line, at its own line
    assert any("skipped as a title" in n for n in res.notes)


def test_excel_title_rows_above_the_header_are_skipped(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["UNODC-style seizures export"])
    ws.append([])
    ws.append(["Date", "Latitude", "Longitude", "Drug"])
    ws.append(["2023-01-05", 10.5, -60.2, "cocaine"])
    ws.append(["2023-01-06", 11.5, -61.2, "heroin"])
    path = tmp_path / "title.xlsx"
    wb.save(path)
    res = read_seizures(path)
    assert res.assumptions["header_line"] == 3
    assert res.frame["source_row"].tolist() == [4, 5]
    assert res.frame["commodity"].tolist() == ["cocaine", "heroin"]


# ------------------------------------------------------------------ quantities in several units


def test_quantities_in_units_of_mass_are_converted_to_kg(tmp_path):
    # UNODC-style amount + unit: 300 g and 2 t were summed with 5 kg as 305 + 2 'units'.
    text = (
        "date,lat,lon,commodity,quantity,unit\n"
        "2023-01-05,10,-60,cocaine,5,kg\n"
        "2023-01-06,10,-60.1,cocaine,300,g\n"
        "2023-01-07,10,-60.2,cocaine,2,t\n"
        "2023-01-08,10,-60.3,MDMA,1200,tablets\n"
        "2023-01-09,10,-60.4,cocaine,7,\n"
        "2023-01-10,10,-60.5,cocaine,3,Kg.\n"
    )
    res = read_seizures(write_text(tmp_path, "units.csv", text))
    assert res.frame["quantity"].tolist() == [5.0, 0.3, 2000.0, 1200.0, 7.0, 3.0]
    report = res.assumptions["quantity_unit"]
    assert report["converted_to_kg"] == {"kg": 2, "g": 1, "t": 1}
    assert report["kept_as_reported"] == {"tablets": 1, "(blank)": 1}
    assert any("kept as reported" in n for n in res.notes)


@pytest.mark.parametrize(
    ("header", "value", "kg"), [("Qty (g)", "500", 0.5), ("weight_t", "2", 2000.0)]
)
def test_a_unit_in_the_quantity_header_converts_it(tmp_path, header, value, kg):
    res = read_seizures(
        write_text(tmp_path, "h.csv", f"date,lat,lon,{header}\n2023-01-05,10,-60,{value}\n")
    )
    assert res.frame["quantity"].tolist() == [kg]
    assert res.assumptions["quantity_unit"]["unit"] == "kg"


@pytest.mark.parametrize("header", ["Unnamed: 0", "", "FID", "OBJECTID", "row", "index"])
def test_a_row_number_that_restarts_is_never_a_vessel(tmp_path, header):
    # Daily exports concatenated, each with its own row numbers 0, 1, 2: the numbers repeat
    # like an id, and were taken as the vessel "by content" with only a note.
    rows = "".join(
        f"{i % 3},2023-01-0{1 + i // 3}T00:0{i % 3}:00Z,{55 + i / 100},{10 + i / 100}\n"
        for i in range(9)
    )
    with pytest.raises(InputError, match="no vessel id column"):
        read_tracks(write_text(tmp_path, "idx.csv", f"{header},time,lat,lon\n{rows}"))


# ------------------------------------------------------------------ coordinates split over columns


@pytest.mark.parametrize(
    "header",
    [
        "date,lat_deg,lat_min,lat_hem,lon_deg,lon_min,lon_hem",
        "date,Lat Deg,Lat Min,N/S,Long Deg,Long Min,E/W",
    ],
)
def test_degrees_minutes_and_hemisphere_columns_are_composed(tmp_path, header):
    # Before: the whole degrees alone were read, minutes and hemisphere dropped: (-10.5,
    # -60.25) became (10, 60), a hemisphere away.
    text = f"{header}\n2023-01-05,10,30,S,60,15,W\n2023-01-06,11,45,N,61,10,W\n"
    res = read_seizures(write_text(tmp_path, "dm.csv", text))
    assert res.frame["lat"].round(6).tolist() == [-10.5, 11.75]
    assert res.frame["lon"].round(6).tolist() == [-60.25, -61.166667]
    assert set(res.assumptions["columns"]["lat"]["parts"]) == {"minutes", "hemisphere"}


def test_a_hemisphere_column_signs_decimal_degrees(tmp_path):
    text = "date,latitude,ns,longitude,ew\n2023-01-05,10.5,S,60.25,W\n2023-01-06,11.75,N,61.1,E\n"
    res = read_seizures(write_text(tmp_path, "hem.csv", text))
    assert res.frame["lat"].tolist() == [-10.5, 11.75]
    assert res.frame["lon"].tolist() == [-60.25, 61.1]


def test_a_flag_column_of_n_is_not_a_hemisphere(tmp_path):
    text = "date,lat,lon,armed\n2023-01-05,-10.5,-60.25,N\n2023-01-06,-11.75,-61.1,N\n"
    res = read_seizures(write_text(tmp_path, "flag.csv", text))
    assert res.frame["lat"].tolist() == [-10.5, -11.75]
    assert "parts" not in res.assumptions["columns"]["lat"]


def test_a_negative_five_digit_number_is_not_called_an_excel_serial(tmp_path):
    res = read_seizures(write_text(tmp_path, "n.csv", "date,lat,lon\n-86400,10,-60\n"))
    assert res.by_rule == {"date_unparseable": 1}
    assert not any("Excel" in n for n in res.notes)


def test_wkt_points_in_a_csv_are_longitude_first(tmp_path):
    # A PostGIS/QGIS CSV export: 'POINT (x y)'.  Before: refused, or with columns: {coords: ..}
    # every record rejected; a pair column reads latitude first, WKT is x (longitude) first.
    text = (
        "date,geom\n"
        "2023-01-05,POINT (-60.2 10.5)\n"
        "2023-01-06,SRID=4326;POINT Z (-62 12 5)\n"
        "2023-01-07,SRID=3857;POINT(-6702000 1175000)\n"  # not degrees: never read as such
    )
    res = read_seizures(write_text(tmp_path, "wkt.csv", text))
    assert_accounted(res)
    assert res.frame["lon"].tolist() == [-60.2, -62.0]
    assert res.frame["lat"].tolist() == [10.5, 12.0]
    assert res.by_rule == {"coord_unparseable": 1}


def test_excel_sep_line_above_the_header_is_skipped(tmp_path):
    # Excel writes 'sep=;' as the first line of a CSV it should open with that delimiter.
    res = read_seizures(
        write_text(tmp_path, "sep.csv", "sep=;\ndate;lat;lon\n2023-01-05;10,5;-60,2\n")
    )
    assert (res.frame["lat"].tolist(), res.frame["source_row"].tolist()) == ([10.5], [3])


@pytest.mark.parametrize("kind", ["seizures", "tracks"])
def test_a_long_narrative_in_the_last_record_is_read(tmp_path, kind):
    # Before: csv's 128 KiB field limit raised _csv.Error (a traceback) when the last record
    # held a long quoted text.
    note = "A" * 200_000
    if kind == "seizures":
        path = write_text(tmp_path, "s.csv", f'date,lat,lon,note\n2023-01-01,10,20,"{note}"\n')
        res = read_seizures(path)
        assert res.frame["note"].str.len().tolist() == [200_000]
    else:
        path = write_text(
            tmp_path,
            "t.csv",
            f'mmsi,time,lat,lon,note\n219000001,2023-01-01T00:00:00Z,10,20,"{note}"\n',
        )
        assert len(read_tracks(path).frame) == 1


def test_unnamed_gpx_tracks_of_two_files_are_two_vessels(tmp_path):
    # Both used to be 'track_0': a run reading both merged two phones into one vessel.
    body = (
        '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
        '<trk><trkseg><trkpt lat="{lat}" lon="10"><time>2023-01-01T00:00:00Z</time></trkpt>'
        "</trkseg></trk></gpx>"
    )
    ids = set()
    for i, lat in enumerate((55, 56)):
        path = write_text(tmp_path, f"phone{i}.gpx", body.format(lat=lat))
        ids |= set(read_tracks(path).frame["vessel_id"])
    assert ids == {"phone0:track_0", "phone1:track_0"}


# ------------------------------------------------------------------ degrees under a CRS in metres


def test_degrees_labelled_web_mercator_are_refused(tmp_path):
    # A GeoJSON whose legacy crs member says EPSG:3857 over degree coordinates: read as
    # metres they became a point 100 m off (0, 0), accepted (null_island needs exactly 0).
    import json

    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"date": "2023-01-05"},
                "geometry": {"type": "Point", "coordinates": [-60.2, 10.5]},
            }
        ],
    }
    path = tmp_path / "mislabelled.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="look like degrees"):
        read_seizures(path)


def test_degrees_with_a_projected_crs_in_the_config_are_refused(tmp_path):
    path = write_text(tmp_path, "c.csv", "date,lat,lon\n2023-01-05,10.5,-60.2\n")
    with pytest.raises(InputError, match="look like degrees"):
        read_seizures(SeizureSource(path=path, crs="EPSG:32620"))


def test_a_year_with_a_fraction_is_not_a_year(tmp_path):
    # '2021.12' (December 2021?) was read as 1 January 2021; '2019.0' from a spreadsheet stays.
    res = read_seizures(
        write_text(tmp_path, "y.csv", "year,lat,lon\n2021.12,10,-60\n2019.0,10,-61\n")
    )
    assert res.frame["time"].dt.year.tolist() == [2019]
    assert res.by_rule == {"date_unparseable": 1}


@pytest.mark.parametrize(
    ("value", "lat"),
    [
        ("10,500.5", None),  # was 10,5° + 0.5' = 10.508°
        ("10.5 30", None),  # was 10.5° + 30' = 11°
        ("10 30.5 15", None),
        ("10 30.5", 10.508333),
        ("\u221210.5", -10.5),  # a typeset minus sign (was rejected)
    ],
)
def test_only_the_last_dms_field_has_a_fraction(tmp_path, value, lat):
    res = read_seizures(write_text(tmp_path, "d.csv", f'date,lat,lon\n2023-01-05,"{value}",-60\n'))
    got = res.frame["lat"].round(6).tolist()
    assert got == ([] if lat is None else [lat])
    assert res.by_rule == ({"coord_unparseable": 1} if lat is None else {})


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_a_device_is_refused_not_read_forever(tmp_path, kind):
    # Before: a FIFO blocked the read for ever, a link to /dev/zero read until memory ran out.
    import os

    from pipeline.errors import SourceUnreadable
    from pipeline.ingest import open_raster

    path = tmp_path / "in.csv"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        if not os.path.exists("/dev/zero"):
            pytest.skip("no /dev/zero")
        path.symlink_to("/dev/zero")
    for reader in (read_seizures, read_tracks, open_raster):
        with pytest.raises(SourceUnreadable, match="not a regular file"):
            reader(path)


def test_an_xlsx_bomb_is_refused_before_it_is_read(tmp_path):
    # An .xlsx is a zip; its sheet was read whatever it expanded to.
    import zipfile

    from pipeline.errors import SourceUnreadable

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<row/>" * (4 << 20))  # 24 MiB of rows
    with pytest.raises(SourceUnreadable, match="max_uncompressed_mb"):
        read_seizures(path, max_uncompressed_mb=16)


@pytest.mark.parametrize("kind", ["seizures", "tracks"])
def test_a_parquet_bomb_is_refused_before_it_is_read(tmp_path, kind):
    # 4 million equal values compress to a few KiB and expanded whatever they held.
    import numpy as np

    from pipeline.errors import SourceUnreadable

    path = tmp_path / "bomb.parquet"
    pd.DataFrame({"lat": np.zeros(4 << 20), "lon": np.zeros(4 << 20)}).to_parquet(path)
    assert path.stat().st_size < 1 << 20
    reader = read_seizures if kind == "seizures" else read_tracks
    with pytest.raises(SourceUnreadable, match="max_uncompressed_mb"):
        reader(path, max_uncompressed_mb=16)


# ------------------------------------------------------------------ one run, end to end


def test_a_hostile_report_runs_end_to_end_with_safe_outputs(tmp_path, capsys):
    """A titled export with hostile text: right values in, nothing executable out."""
    import json

    import yaml

    from pipeline.cli import main

    evil = ["<img src=x onerror=alert(1)>", '=HYPERLINK("http://x","y")', "@SUM(1+1)", "cocaine"]
    lines = ["Seizures export", "", "date;lat;lon;commodity;quantity;unit;note"]
    for i in range(60):
        lines.append(
            f"2026-0{1 + i % 5}-1{i % 9};{10 + (i % 7) / 10:.1f};{-60 - (i % 5) / 10:.1f};"
            f"{evil[i % 4]};{1 + i % 3};{'g' if i % 2 else 'kg'};{evil[(i + 1) % 4]}"
        )
    lines.append("2026-01-01;=1+1;-60;x;1;kg;n")  # a rejected formula
    src = tmp_path / "seizures.csv"
    src.write_text("\n".join(lines) + "\n")
    cfg = {
        "run": {"as_of": "2026-06-30", "out_dir": str(tmp_path / "out"), "name": "<b>T</b>"},
        "area": {"bbox": [-62, 8, -58, 12], "resolution": 5},
        "inputs": {"seizures": [{"path": str(src)}]},
        "score": {"factors": {"seizure_density": {"weight": 1}}},
        "timeline": {"months": 0},
        "evaluate": {"enabled": False},
        "hotspots": {"enabled": False},
        "render": {"geojson": False, "flatgeobuf": False, "preview_png": False},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["run", str(tmp_path / "c.yaml")]) == 0
    out = tmp_path / "out"
    seizures = pd.read_parquet(out / "seizures.parquet")
    assert len(seizures) == 60 and seizures["source_row"].min() == 4
    assert sorted(seizures["quantity"].unique().round(3)) == [0.001, 0.002, 0.003, 1, 2, 3]
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["inputs"]["seizures"][0]
    assert entry["assumptions"]["header_line"] == 3
    assert entry["by_rule"] == {"coord_unparseable": 1}
    rejects = (out / "rejects" / "seizures-seizures.csv").read_text()
    assert ",'=1+1," in rejects
    html = (out / "risk_map.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "<b>T</b>" not in html


def test_world_port_index_split_columns_place_ports_right(tmp_path):
    # WPI-style degrees/minutes/hemisphere columns: Santos was put at (46 E, 23 N).
    from pipeline.ingest import read_context

    text = (
        "PORT_NAME,LATITUDE_DEGREES,LATITUDE_MINUTES,LATITUDE_HEMISPHERE,"
        "LONGITUDE_DEGREES,LONGITUDE_MINUTES,LONGITUDE_HEMISPHERE\n"
        "SANTOS,23,57,S,46,19,W\nROTTERDAM,51,54,N,4,29,E\n"
    )
    res = read_context(write_text(tmp_path, "wpi.csv", text), "ports")
    xy = [(round(p.x, 4), round(p.y, 4)) for p in res.frame.geometry]
    assert xy == [(-46.3167, -23.95), (4.4833, 51.9)]


def test_misplaced_counts_of_chunks_sum_to_the_whole_files():
    # What the chunked track reader needs to make the same decision as the whole-file one.
    import numpy as np

    from pipeline.ingest._common import decide_misplaced, misplaced_counts

    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(9, 11, 50), rng.uniform(54, 56, 50)  # Danish, columns swapped
    usable = np.ones(50, dtype=bool)
    whole = misplaced_counts(lon, lat, usable, DENMARK)
    parts = sum(
        misplaced_counts(lon[i : i + 7], lat[i : i + 7], usable[i : i + 7], DENMARK)
        for i in range(0, 50, 7)
    )
    assert whole.tolist() == parts.tolist()
    with pytest.raises(InputError, match="swapped"):
        decide_misplaced(parts, DENMARK, "t.csv", fix="")


def test_device_default_gpx_names_are_scoped_by_file(tmp_path):
    """Two phones' 'ACTIVE LOG' (and date-named saved tracks) are two vessels, not one."""
    from pipeline.ingest import read_tracks

    def gpx(names):
        trks = "".join(
            f"<trk><name>{n}</name><trkseg>"
            f'<trkpt lat="{10 + i}" lon="{20 + i}"><time>2024-01-0{i + 1}T00:00:00Z</time></trkpt>'
            "</trkseg></trk>"
            for i, n in enumerate(names)
        )
        return f'<?xml version="1.0"?><gpx version="1.1" creator="t">{trks}</gpx>'

    names = ["ACTIVE LOG", "03-OCT-10 #2", "Current Track: 05 JAN 2024 08:12", "MV Sea Star"]
    (tmp_path / "phone1.gpx").write_text(gpx(names))
    (tmp_path / "phone2.gpx").write_text(gpx(names))
    one = read_tracks(tmp_path / "phone1.gpx")
    two = read_tracks(tmp_path / "phone2.gpx")
    assert set(one.frame["vessel_id"]) == {
        "phone1:ACTIVE LOG",
        "phone1:03-OCT-10 #2",
        "phone1:Current Track: 05 JAN 2024 08:12",
        "MV Sea Star",  # a real name still links a vessel across files
    }
    assert set(one.frame["vessel_id"]) & set(two.frame["vessel_id"]) == {"MV Sea Star"}
    assert any("device defaults" in n for n in one.notes)
