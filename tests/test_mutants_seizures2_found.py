"""Gaps found by a second hand mutation analysis of ``pipeline/ingest/seizures.py`` (hGQ).

The first pass is ``test_mutants_seizures_found.py`` (hFN); these tests kill other mutants
(units, the header's unit, duplicates, rejects' lines and counts, approximate dates) and pin
two wrong readings fixed with them.  Expected values are computed here from the units' legal
definitions (1 lb = 0.45359237 kg exactly; a short ton is 2000 lb, a long ton 2240 lb) and
the files' own line numbers, never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.ingest import read_seizures
from pipeline.ingest._quantity import parse_quantities
from tests._corpus import write_lines

#: The international avoirdupois pound (1959), exactly.
_LB = 0.45359237


# ---------------------------------------------------------------------- units of mass


def test_short_and_long_tons_convert_by_their_pounds_and_a_bare_ton_is_kept(tmp_path):
    rows = [
        ("1", "short ton", 2000 * _LB),  # 907.18474 kg
        ("2", "Short Tons", 2 * 2000 * _LB),
        ("1", "long ton", 2240 * _LB),  # 1016.0469088 kg
        ("3", "LONG TONS", 3 * 2240 * _LB),
        ("1", "metric ton", 1000.0),
        ("4", "ton", 4.0),  # none of the three: kept as reported
    ]
    lines = ["date,lat,lon,drug,quantity,unit"]
    lines += [f"2024-01-0{i},10.{i},20.{i},cannabis,{q},{u}" for i, (q, u, _) in enumerate(rows, 1)]
    res = read_seizures(write_lines(tmp_path / "tons.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], [kg for *_, kg in rows], rtol=1e-12)
    assert res.frame["quantity"].iloc[0] == pytest.approx(907.18474, abs=1e-9)
    assert res.frame["quantity"].iloc[2] == pytest.approx(1016.0469088, abs=1e-9)
    assert res.assumptions["quantity_unit"]["kept_as_reported"] == {"ton": 1}


def test_a_unit_of_two_words_is_read_whatever_spaces_join_them(tmp_path):
    # a no-break space (a spreadsheet's, a web page's) or two spaces between the words
    lines = [
        "date,lat,lon,drug,quantity,unit",
        "2024-01-01,10.1,20.1,coke,2,metric\u00a0tons",
        "2024-01-02,10.2,20.2,coke,3,short  ton",
        "2024-01-03,10.3,20.3,coke,4 long\u00a0tons,",
    ]
    res = read_seizures(write_lines(tmp_path / "spaces.csv", lines))
    want = [2000.0, 3 * 2000 * _LB, 4 * 2240 * _LB]
    np.testing.assert_allclose(res.frame["quantity"], want, rtol=1e-12)


@pytest.mark.parametrize(
    ("header", "unit_column", "cells", "expected_kg"),
    [
        # 'Weight (kg)': one value written '500 g'; the others, bare, are kg as the header says
        ("Weight (kg)", None, ["500 g", "3", "4"], [0.5, 3.0, 4.0]),
        # 'Quantity (lbs)' with a unit column blank but once: the blank is the header's pounds
        ("Quantity (lbs)", ["", "kg"], ["100", "3"], [100 * _LB, 3.0]),
    ],
    ids=["unit-in-one-value", "unit-column-once"],
)
def test_a_blank_unit_takes_the_headers_unit_not_another_records(
    tmp_path, header, unit_column, cells, expected_kg
):
    head = f"date,lat,lon,drug,{header}" + (",unit" if unit_column else "")
    lines = [head]
    for i, cell in enumerate(cells, 1):
        line = f"2024-01-0{i},10.{i},20.{i},coke,{cell}"
        lines.append(line + (f",{unit_column[i - 1]}" if unit_column else ""))
    res = read_seizures(write_lines(tmp_path / "head.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], expected_kg, rtol=1e-12)


def test_a_unit_in_brackets_is_that_unit(tmp_path):
    # 'kilogram(s)', '[lb]', '(g)': the brackets a form puts round a unit say nothing more
    lines = [
        "date,lat,lon,drug,quantity,unit",
        "2024-01-01,10.1,20.1,coke,2,kilogram(s)",
        "2024-01-02,10.2,20.2,coke,3,[lb]",
        "2024-01-03,10.3,20.3,coke,500,(g)",
    ]
    res = read_seizures(write_lines(tmp_path / "brackets.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], [2.0, 3 * _LB, 0.5], rtol=1e-12)
    assert res.assumptions["quantity_unit"]["kept_as_reported"] == {}


def test_a_header_naming_two_units_converts_nothing(tmp_path):
    # 'Weight (lb/kg)': which of the two a bare number is in is not said; kept as reported
    lines = [
        "date,lat,lon,drug,Weight (lb/kg)",
        "2024-01-01,10.1,20.1,coke,10",
        "2024-01-02,10.2,20.2,coke,20",
    ]
    res = read_seizures(write_lines(tmp_path / "two.csv", lines))
    np.testing.assert_array_equal(res.frame["quantity"], [10.0, 20.0])
    assert res.assumptions["quantity_unit"]["by"] == "no unit stated"


@pytest.mark.parametrize(
    ("header", "expected"),
    [("quantity", [10.0, 20.0]), ("Quantity (lb)", [10 * _LB, 20 * _LB])],
    ids=["no-unit-anywhere", "the-headers-unit"],
)
def test_a_unit_column_left_blank_throughout_is_no_unit(tmp_path, header, expected):
    lines = [f"date,lat,lon,drug,{header},unit"]
    lines += ["2024-01-01,10.1,20.1,coke,10,", "2024-01-02,10.2,20.2,coke,20,"]
    res = read_seizures(write_lines(tmp_path / "blank_units.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], expected, rtol=1e-12)


def test_a_unit_column_of_other_things_under_a_unit_header_is_not_kept_as_reported(tmp_path):
    # the header names the unit; a 'Unit' column naming the seizing unit (agency) is no mass,
    # and no quantity is 'kept as reported': every one is in the header's kg
    lines = [
        "date,lat,lon,drug,Weight (kg),Unit",
        "2024-01-01,10.1,20.1,coke,10,Coast Guard",
        "2024-01-02,10.2,20.2,coke,500 g,Navy",
    ]
    res = read_seizures(write_lines(tmp_path / "agency.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], [10.0, 0.5], rtol=1e-12)
    report = res.assumptions["quantity_unit"]
    assert report["kept_as_reported"] == {}
    # one quantity names a mass other than the header's ('500 g'); 'Coast Guard' names none
    assert sum("the unit in column" in n and "differs from the header" in n for n in res.notes) == 1
    assert any(": 1 quantit(ies) of 'Weight (kg)': the unit in column" in n for n in res.notes)


def test_a_unit_after_the_number_beside_a_blank_unit_cell_is_no_conflict(tmp_path):
    lines = [
        "date,lat,lon,drug,quantity,unit",
        "2024-01-01,10.1,20.1,coke,300 g,",  # the column says nothing: nothing to disagree
        "2024-01-02,10.2,20.2,coke,2 kg,kilograms",  # one unit in two spellings
        "2024-01-03,10.3,20.3,coke,4 lb,kg",  # a real disagreement
    ]
    res = read_seizures(write_lines(tmp_path / "conflict.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], [0.3, 2.0, 4 * _LB], rtol=1e-12)
    conflicts = res.assumptions["quantity_unit"]["unit_conflicts"]
    assert conflicts == {"count": 1, "examples": ["lb vs kg"]}


#: Each spelling read, by the definition of its unit in kg (SI prefixes; the tonne is 1000 kg;
#: the pound 0.45359237 kg, its ounce a sixteenth).
_SPELLINGS_KG = {
    1.0: "kg kgs kilo kilos kilogram kilograms kilogramme kilogrammes kilogramo kilogramos "
    "quilo quilos quilograma quilogramas kilogramm chilogrammo chilogrammi chilo",
    1e-3: "g gr grs gm gms gram grams gramme grammes gramo gramos grama gramas gramm grammo grammi",
    1e-6: "mg milligram milligrams miligramo miligramos miligrama miligramas milligramm "
    "milligramme milligrammes milligrammo milligrammi",
    1000.0: "t tonne tonnes mt tonelada toneladas tm tonnen tonnellata tonnellate",
    _LB: "lb lbs pound pounds",
    _LB / 16: "oz ounce ounces",
}
_PHRASES_KG = {
    1000.0: [
        "metric ton",
        "metric tons",
        "metric tonne",
        "metric tonnes",
        "tonelada métrica",
        "toneladas métricas",
        "tonelada metrica",
        "toneladas metricas",
        "tonne métrique",
        "tonnes métriques",
    ],
}


def test_every_spelling_of_a_unit_of_mass_converts_by_its_definition(tmp_path):
    pairs = [(u, kg) for kg, words in _SPELLINGS_KG.items() for u in words.split()]
    pairs += [(u, kg) for kg, phrases in _PHRASES_KG.items() for u in phrases]
    lines = ["date,lat,lon,drug,quantity,unit"]
    lines += [f"2024-01-01,{10 + i / 1000:.3f},20,coke,3,{u}" for i, (u, _) in enumerate(pairs)]
    res = read_seizures(write_lines(tmp_path / "every.csv", lines))
    assert len(res.frame) == len(pairs) and res.rejects.empty
    got = dict(zip((u for u, _ in pairs), res.frame["quantity"], strict=True))
    assert got == pytest.approx({u: 3 * kg for u, kg in pairs}, rel=1e-12)
    # a kg spelling is read as kg, not kept as reported (which would give the same number)
    assert res.assumptions["quantity_unit"]["kept_as_reported"] == {}


# ---------------------------------------------------------------------- number formats


def test_the_files_coordinates_decide_a_quantity_either_mark_explains(tmp_path):
    # '1.500' is 1500 or 1.5; a file whose coordinates write '36,5' writes decimals with a
    # comma, so its point groups thousands (a European UNODC-like export), and the reverse
    lines = [
        "Date;Lat;Lon;Drug;Quantity;Unit",
        "2019-05-01;36,5;-6,2;Cocaine;1.500;kg",
        "2019-05-02;36,1;-5,4;Cannabis;2.250;kg",
    ]
    res = read_seizures(write_lines(tmp_path / "comma.csv", lines))
    np.testing.assert_array_equal(res.frame["quantity"], [1500.0, 2250.0])
    lines = [
        "Date,Lat,Lon,Drug,Quantity,Unit",
        '2019-05-01,36.5,-6.2,Cocaine,"1,500",kg',
        '2019-05-02,36.1,-5.4,Cannabis,"2,250",lb',
    ]
    res = read_seizures(write_lines(tmp_path / "point.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], [1500.0, 2250 * _LB], rtol=1e-12)


# ---------------------------------------------------------------------- dates


def test_a_split_date_with_no_month_keeps_its_year_whatever_its_day_says(tmp_path):
    # GTD: imonth 0 is 'unknown'; its iday 3 is no month, and the record stays at 1 January
    # of its year (year precision), not on 1 March
    lines = [
        "eventid,iyear,imonth,iday,latitude,longitude,attacktype1_txt",
        "1,2019,5,0,10.1,20.1,Hijacking",  # month only: 1 May
        "2,2019,0,3,10.2,20.2,Hijacking",  # year only: 1 January
        "3,2019,6,4,10.3,20.3,Hijacking",
    ]
    res = read_seizures(write_lines(tmp_path / "gtd.csv", lines))
    got = res.frame["time"].dt.strftime("%Y-%m-%d").tolist()
    assert got == ["2019-05-01", "2019-01-01", "2019-06-04"]


def test_a_record_of_tomorrow_is_after_as_of_not_in_the_future(tmp_path):
    # a day of slack past today (a record dated in a zone east of UTC); three days is the
    # future: the dates are relative to the day the test runs, computed here
    today = pd.Timestamp.now(tz="UTC").normalize()
    days = [
        today - pd.Timedelta(days=20),
        today + pd.Timedelta(days=1),
        today + pd.Timedelta(days=3),
    ]
    lines = ["date,lat,lon"] + [
        f"{d.strftime('%Y-%m-%d')},10.{i},20.{i}" for i, d in enumerate(days, 1)
    ]
    as_of = (today - pd.Timedelta(days=10)).strftime("%Y-%m-%d")
    res = read_seizures(write_lines(tmp_path / "tomorrow.csv", lines), as_of=as_of)
    assert res.frame["source_row"].tolist() == [2]
    assert res.rejects[["row", "rule"]].values.tolist() == [[3, "after_as_of"], [4, "date_future"]]


# ---------------------------------------------------------------------- records


def test_a_record_whose_fields_echo_two_headers_is_a_record_not_the_header_again(tmp_path):
    lines = [
        "date,lat,lon,type,source",
        "2024-01-01,10.1,20.1,Type,Source",  # a record: its date and place are real
        "date,lat,lon,type,source",  # the header line again (two exports joined)
        "2024-01-02,10.2,20.2,boarding,IMB",
    ]
    res = read_seizures(write_lines(tmp_path / "echo.csv", lines))
    assert res.frame["source_row"].tolist() == [2, 4]
    assert res.rejects[["row", "rule"]].values.tolist() == [[3, "repeated_header"]]
    assert res.n_read == len(res.frame) + len(res.rejects)


def test_eight_records_of_one_months_first_week_keep_their_days(tmp_path):
    # days never past 7 over 8 records say 'weekday numbers' only across two months or more:
    # a file of one month's first week is that week
    lines = ["year,month,day,lat,lon"]
    lines += [f"2019,5,{1 + i % 7},10.{i},20.{i}" for i in range(8)]
    res = read_seizures(write_lines(tmp_path / "week.csv", lines))
    got = res.frame["time"].dt.day.tolist()
    assert got == [1 + i % 7 for i in range(8)]


def test_control_characters_are_dropped_from_the_records_text(tmp_path):
    # a BEL or a vertical tab pasted into a cell is no part of a category, agency or note
    lines = [
        "date,lat,lon,drug,agency,note",
        "2024-01-01,10.1,20.1,co\x07ke,Na\x01vy,seized\x0b here",
    ]
    res = read_seizures(write_lines(tmp_path / "ctrl.csv", lines))
    got = res.frame[["commodity", "agency", "note", "commodity_original"]].values.tolist()
    assert got == [["coke", "Navy", "seized here", "coke"]]


def test_the_assumed_columns_are_listed_in_one_order_for_a_table_and_a_layer(tmp_path):
    import json

    csv = write_lines(
        tmp_path / "order.csv", ["date,drug,qty,lat,lon", "2024-01-01,coke,5 kg,10,20"]
    )
    feature = {
        "type": "Feature",
        "properties": {"date": "2024-01-01", "drug": "coke", "qty": "5 kg"},
        "geometry": {"type": "Point", "coordinates": [20.0, 10.0]},
    }
    layer = tmp_path / "order.geojson"
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    want = ["lat", "lon", "time", "quantity", "commodity"]
    for path in (csv, layer):
        assert list(read_seizures(path).assumptions["columns"]) == want, path.name


@pytest.mark.parametrize(
    ("values", "file_decimal", "expected"),
    [
        # no number is written with a thousands group after a lone 0: '0,500' is half a unit,
        # whatever the coordinates' point says
        (["0,500", "12"], ".", [0.5, 12.0]),
        (["0.500", "12"], ",", [0.5, 12.0]),
    ],
    ids=["zero-comma", "zero-point"],
)
def test_a_lone_zero_before_three_digits_is_a_decimal(values, file_decimal, expected):
    q, _, report = parse_quantities(pd.Series(values), file_decimal=file_decimal)
    np.testing.assert_array_equal(q, expected)
    assert report["decimal_mark"] == values[0][1]


def test_each_approximation_word_is_taken_at_its_value(tmp_path):
    words = ["~", "≈", "c.", "ca.", "ca", "circa", "approx.", "approx", "approximately", "about"]
    q, unit, report = parse_quantities(pd.Series([f"{w} 300 kg" for w in words]))
    np.testing.assert_array_equal(q, np.full(len(words), 300.0))
    assert unit.tolist() == ["kg"] * len(words)
    assert report["approximate"] == len(words)


def test_thousands_grouped_by_spaces_are_counted_as_grouped():
    q, _, report = parse_quantities(pd.Series(["1 200 kg", "1\u00a0500", "12"]))
    np.testing.assert_array_equal(q, [1200.0, 1500.0, 12.0])
    assert report["grouped"] == 2


@pytest.mark.parametrize(
    ("header", "per_kg"),
    [
        ("Quantity (metric tons)", 1000.0),
        ("Weight_short_tons", 2000 * _LB),
        ("Cantidad (toneladas métricas)", 1000.0),
        ("Quantity (metric tonnes)", 1000.0),
    ],
    ids=["metric-tons", "short-tons", "toneladas-metricas", "metric-tonnes"],
)
def test_a_header_naming_a_unit_of_two_words_converts_by_it(tmp_path, header, per_kg):
    lines = [
        f"date,lat,lon,drug,{header}",
        "2024-01-01,10.1,20.1,coke,2",
        "2024-01-02,10.2,20.2,coke,3",
    ]
    res = read_seizures(write_lines(tmp_path / "phrase.csv", lines))
    np.testing.assert_allclose(res.frame["quantity"], [2 * per_kg, 3 * per_kg], rtol=1e-12)


def test_precision_grades_are_counted_over_the_accepted_records(tmp_path):
    lines = [
        "event_date,latitude,longitude,geo_precision,event_type",
        "2019-05-03,4.35,6.97,1,Attack",
        "2019-05-04,4.45,6.97,1,Attack",
        "2019-05-05,,6.97,3,Attack",  # rejected (coord_missing): its grade is of no record used
    ]
    res = read_seizures(write_lines(tmp_path / "acled.csv", lines))
    assert res.rejects["rule"].tolist() == ["coord_missing"]
    assert res.assumptions["precision_columns"] == {"geo_precision": {"1": 2}}


def test_a_count_of_events_that_is_one_per_row_is_no_aggregate(tmp_path):
    # 'number of incidents' of 1 (or 0) on every row: each row is one event, read as such
    lines = [
        "date,lat,lon,number of incidents",
        "2024-01-01,10.1,20.1,1",
        "2024-01-02,10.2,20.2,1",
        "2024-01-03,10.3,20.3,0",
    ]
    res = read_seizures(write_lines(tmp_path / "ones.csv", lines))
    assert res.frame["source_row"].tolist() == [2, 3, 4]


def test_an_as_of_instant_with_an_offset_is_that_instant_in_utc(tmp_path):
    lines = [
        "date,lat,lon",
        "2024-01-10T06:59:00Z,10.1,20.1",  # line 2: before 12:00+05:00 = 07:00 UTC
        "2024-01-10T08:00:00Z,10.2,20.2",  # line 3: after it (and before 12:00 UTC)
    ]
    res = read_seizures(
        write_lines(tmp_path / "offset.csv", lines), as_of="2024-01-10T12:00:00+05:00"
    )
    assert res.frame["source_row"].tolist() == [2]
    assert res.rejects[["row", "rule"]].values.tolist() == [[3, "after_as_of"]]


# ---------------------------------------------------------------------- spreadsheets


def test_a_serial_date_saved_to_15_digits_keeps_its_minute(tmp_path):
    import openpyxl

    # 08:00 and 17:00 as a spreadsheet saves them (15 significant digits): a hair under the
    # minute, which is the minute, not 07:59:59
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Date", "Latitude", "Longitude"])
    ws.append([43831.3333333333, 10.1, 20.1])  # 2020-01-01 08:00 (day 43831 of the 1900 system)
    ws.append([43832.7083333333, 10.2, 20.2])
    wb.save(tmp_path / "serial.xlsx")
    res = read_seizures(tmp_path / "serial.xlsx")
    got = res.frame["time"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
    assert got == ["2020-01-01 08:00:00", "2020-01-02 17:00:00"]


def test_a_sheet_of_two_columns_under_a_title_has_its_header_on_row_2(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Piracy report"])  # row 1: a title, one value
    ws.append(["Date", "Position"])  # row 2: the header, two values
    ws.append(["2019-05-03", "01:15.00N 104:10.00E"])
    ws.append(["2019-05-04", "bad"])
    wb.save(tmp_path / "two.xlsx")
    res = read_seizures(tmp_path / "two.xlsx")
    assert res.frame["source_row"].tolist() == [3]
    assert res.frame[["lat", "lon"]].values.tolist() == [[1.25, pytest.approx(104 + 10 / 60)]]
    assert res.rejects["row"].tolist() == [4]


# ---------------------------------------------------------------------- across files


def test_a_repeat_across_files_names_the_first_of_the_earlier_records(tmp_path):
    from pipeline.ingest import reject_repeated_records

    # a.csv gives the record twice in two spellings (kept: different text), b.csv once more
    a = read_seizures(
        write_lines(
            tmp_path / "a.csv",
            [
                "date,lat,lon,drug",
                "2024-01-01,10.1,20.1,Coke",  # line 2
                "2024-01-02,10.2,20.2,heroin",  # line 3
                "2024-01-01,10.1,20.1,coke",  # line 4: the same record as line 2, normalised
            ],
        )
    )
    assert a.frame["source_row"].tolist() == [2, 3, 4]
    b = read_seizures(
        write_lines(tmp_path / "b.csv", ["date,lat,lon,drug", "2024-01-01,10.1,20.1,COKE"])
    )
    out = reject_repeated_records(b, [a.frame])
    assert out.frame.empty
    assert out.rejects[["row", "value"]].values.tolist() == [[2, "a.csv line 2"]]


def test_records_equal_but_for_their_spelling_sort_by_it_before_their_file():
    from pipeline.ingest import sort_seizures

    base = {
        "time": pd.Timestamp("2024-01-01", tz="UTC"),
        "lon": 20.0,
        "lat": 10.0,
        "commodity": "coke",
        "quantity": np.nan,
        "agency": "",
        "note": "",
    }
    frame = pd.DataFrame(
        [
            {**base, "commodity_original": "coke", "source_file": "a.csv", "source_row": 2},
            {**base, "commodity_original": "COKE", "source_file": "b.csv", "source_row": 2},
        ]
    )
    got = sort_seizures(frame)
    assert got["commodity_original"].tolist() == ["COKE", "coke"]  # 'C' sorts before 'c'


def test_a_range_end_is_read_in_the_order_its_start_column_decided(tmp_path):
    # '25/05/2019' decides day-first for date_start; date_end's values decide nothing alone
    # and are read day-first too: 25 May to 2 June spans 8 days
    lines = [
        "date_start,date_end,latitude,longitude",
        "25/05/2019,02/06/2019,10.1,20.1",
        "01/06/2019,03/06/2019,10.2,20.2",
    ]
    res = read_seizures(write_lines(tmp_path / "ucdp.csv", lines))
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == ["2019-05-25", "2019-06-01"]
    span = res.assumptions["dates"]["date_range"]
    assert (span["records_spanning_days"], span["longest_days"]) == (2, 8.0)
