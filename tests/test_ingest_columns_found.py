"""Silent wrong answers of seizure ingest found by a hostile-input sweep, with the right value.

A hidden first sheet read instead of the visible one, typed numbers read as locale text,
money or package counts taken as the quantity, units after the number dropped or overridden,
a port's coordinates taken for the event's, a lon/lat order written in a header ignored, and
headers in Spanish, Portuguese, French and German not recognised.
"""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from pipeline.errors import InputError
from pipeline.ingest import read_seizures

HEADER = ["date", "lat", "lon", "commodity", "quantity"]
ROWS = [
    [dt.datetime(2023, 3, 4, 10), 10.51, 20.25, "cocaine", 12.5],
    [dt.datetime(2023, 5, 6, 11), 11.52, 21.25, "heroin", 3.25],
]


def _csv(tmp_path, text, name="s.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_seizures(path)


# ----------------------------------------------------------------------------- sheets


@pytest.mark.parametrize("hidden_rows", ["old", "empty", "lists"])
def test_a_hidden_first_sheet_is_not_read(tmp_path, hidden_rows):
    wb = Workbook()
    first = wb.active
    first.title = "hidden"
    if hidden_rows == "old":
        first.append(HEADER)
        first.append([dt.datetime(2019, 1, 2), 1.1, 2.2, "tobacco", 999])
    elif hidden_rows == "lists":
        for v in ("cocaine", "heroin", "cannabis"):
            first.append([v])
    first.sheet_state = "hidden"
    data = wb.create_sheet("seizures")
    data.append(HEADER)
    for r in ROWS:
        data.append(r)
    wb.active = 1
    path = tmp_path / "book.xlsx"
    wb.save(path)
    res = read_seizures(path)
    assert res.frame["quantity"].tolist() == [12.5, 3.25]
    assert res.assumptions["sheet"]["value"] == "seizures"
    if hidden_rows != "empty":
        assert any("hidden sheet(s) ['hidden']" in n for n in res.notes)


# ----------------------------------------------------------------------------- typed numbers


def _book(tmp_path, header, rows):
    wb = Workbook()
    wb.active.append(header)
    for r in rows:
        wb.active.append(r)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_a_numeric_cell_is_not_read_with_the_texts_decimal_comma(tmp_path):
    # 1.234 is a number in the workbook; the coordinates' '53,55' text must not make it 1234.
    path = _book(
        tmp_path,
        ["date", "lat", "lon", "commodity", "quantity_kg"],
        [
            ["2023-03-04", "53,55", "9,99", "cocaine", 1.234],
            ["2023-05-06", "53,56", "9,98", "cocaine", 12.345],
            ["2023-07-08", "53,57", "9,97", "heroin", 250],
        ],
    )
    res = read_seizures(path)
    assert res.frame["quantity"].tolist() == [1.234, 12.345, 250.0]
    assert res.frame["lat"].tolist() == [53.55, 53.56, 53.57]


def test_numeric_cells_beside_german_text_in_one_column(tmp_path):
    path = _book(
        tmp_path,
        ["date", "lat", "lon", "commodity", "quantity_kg"],
        [
            ["2023-03-04", 53.55, 9.99, "cocaine", 1.234],
            ["2023-05-06", 53.56, 9.98, "cocaine", 2.5],
            ["2023-07-08", 53.57, 9.97, "heroin", "1.200,5"],
        ],
    )
    res = read_seizures(path)
    assert res.frame["quantity"].tolist() == [1.234, 2.5, 1200.5]


def test_numeric_coordinates_do_not_decide_the_marks_of_text_quantities(tmp_path):
    # '1.234 kg' in a German workbook is 1234 kg; typed 53.55 says nothing of how text is written.
    path = _book(
        tmp_path,
        ["date", "lat", "lon", "commodity", "quantity"],
        [
            ["2023-03-04", 53.55, 9.99, "cocaine", "1.234"],
            ["2023-05-06", 53.56, 9.98, "cocaine", "12.000"],
        ],
    )
    with pytest.raises(InputError, match="nothing in the file decides"):
        read_seizures(path)


@pytest.mark.parametrize("lat", ['"53,55"', "53"])
def test_a_json_number_is_the_number_it_is(tmp_path, lat):
    path = tmp_path / "s.jsonl"
    path.write_text(
        f'{{"date":"2023-03-04","lat":{lat},"lon":10,"commodity":"cocaine","quantity_kg":1.234}}\n'
        f'{{"date":"2023-05-06","lat":{lat},"lon":9,"commodity":"cocaine","quantity_kg":12.345}}\n',
        encoding="utf-8",
    )
    res = read_seizures(path)
    assert res.frame["quantity"].tolist() == [1.234, 12.345]


def test_a_parquet_decimal_is_the_number_it_is(tmp_path):
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "date": ["2023-03-04", "2023-05-06"],
            "lat": [10, 11],  # whole numbers: no decimal mark to borrow
            "lon": [20, 21],
            "commodity": ["a", "b"],
            "quantity_kg": pa.array(
                [decimal.Decimal("1.250"), decimal.Decimal("12.500")], pa.decimal128(10, 3)
            ),
        }
    )
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    res = read_seizures(path)
    assert res.frame["quantity"].tolist() == [1.25, 12.5]


# ----------------------------------------------------------------------------- quantity column


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Amount (USD),Net weight (kg)", ("250000,12.5", "90000,3.25")),
        ("Quantity,Weight (kg)", ("3,12.5", "40,3.25")),
        ("Amount EUR,Gross weight", ("250000,12.5", "90000,3.25")),
    ],
)
def test_the_quantity_is_a_mass_not_money_or_a_count(tmp_path, header, values):
    res = _csv(
        tmp_path,
        f"date,lat,lon,commodity,{header}\n"
        f"2023-03-04,10.51,20.25,cocaine,{values[0]}\n"
        f"2023-05-06,11.52,21.25,heroin,{values[1]}\n",
    )
    assert res.frame["quantity"].tolist() == [12.5, 3.25]


def test_money_alone_is_no_quantity(tmp_path):
    res = _csv(
        tmp_path,
        "date,lat,lon,commodity,Amount (USD)\n2023-03-04,10.51,20.25,cocaine,250000\n",
    )
    assert res.frame["quantity"].isna().all()
    assert "quantity" not in res.assumptions["columns"]


@pytest.mark.parametrize("header", ["Quantity seized", "Net weight"])
def test_quantities_with_units_under_a_header_that_is_not_a_known_name(tmp_path, header):
    res = _csv(
        tmp_path,
        f"date,lat,lon,commodity,{header}\n"
        "2023-03-04,10.51,20.25,cocaine,1200 kg\n"
        "2023-05-06,11.52,21.25,cocaine,500 g\n"
        '2023-07-08,12.53,22.25,heroin,"1,234.5 kg"\n',
    )
    assert res.frame["quantity"].tolist() == [1200.0, 0.5, 1234.5]


def test_the_unit_written_with_the_number_wins_over_the_unit_column(tmp_path):
    res = _csv(
        tmp_path,
        "date,lat,lon,commodity,quantity,unit\n"
        "2023-03-04,10.51,20.25,cocaine,300 g,kg\n"
        "2023-05-06,11.52,21.25,heroin,2.5,kg\n"
        "2023-05-07,11.53,21.26,heroin,1500 grams,g\n",
    )
    assert res.frame["quantity"].tolist() == [0.3, 2.5, 1.5]
    assert res.assumptions["quantity_unit"]["unit_conflicts"]["count"] == 1
    assert any("differs from column 'unit'" in n for n in res.notes)


@pytest.mark.parametrize(
    ("header", "rows", "want", "said"),
    [
        # a 'Unit' column of agency names beside 'Weight (g)': before, grams were read as kg
        (
            "Weight (g)",
            ("1250,Narcotics Unit", "325,Coast Guard"),
            [1.25, 0.325],
            "take the header's unit 'g'",
        ),
        # a unit column that contradicts the header: the record's unit, and it is said
        ("Quantity (kg)", ("12.5,g", "3.25,kg"), [0.0125, 3.25], "differs from the header's 'kg'"),
    ],
)
def test_the_headers_unit_and_the_unit_column(tmp_path, header, rows, want, said):
    res = _csv(
        tmp_path,
        f"date,lat,lon,commodity,{header},Unit\n"
        f"2023-03-04,10.51,20.25,cocaine,{rows[0]}\n"
        f"2023-05-06,11.52,21.25,heroin,{rows[1]}\n",
    )
    assert res.frame["quantity"].tolist() == want
    assert any(said in n for n in res.notes)


# ----------------------------------------------------------------------------- positions


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        # the event's position pair beats the port's latitude and longitude
        (
            "date,position,port,Latitude of port,Longitude of port,commodity",
            ('"10.51, 20.25",Port A,12.00,22.00', '"11.52, 21.25",Port A,12.00,22.00'),
        ),
        # an incident latitude beats a plain one
        (
            "date,lat,lon,incident_lat,incident_lon,commodity",
            ("12.00,22.00,10.51,20.25", "12.00,22.00,11.52,21.25"),
        ),
    ],
)
def test_the_events_own_position_beats_another_place(tmp_path, header, rows):
    res = _csv(
        tmp_path,
        f"{header}\n2023-03-04,{rows[0]},cocaine\n2023-05-06,{rows[1]},heroin\n",
    )
    assert res.frame["lat"].tolist() == [10.51, 11.52]
    assert res.frame["lon"].tolist() == [20.25, 21.25]


@pytest.mark.parametrize("header", ["coordinates (lon/lat)", "lon_lat", "position x/y"])
def test_a_pair_columns_header_decides_its_order(tmp_path, header):
    res = _csv(
        tmp_path,
        f'date,"{header}",commodity\n'
        '2023-03-04,"20.25, 10.51",cocaine\n'
        '2023-05-06,"21.25 11.52",heroin\n'
        "2023-05-07,POINT (22.25 12.53),heroin\n",
    )
    assert res.frame["lat"].tolist() == [10.51, 11.52, 12.53]
    assert res.frame["lon"].tolist() == [20.25, 21.25, 22.25]
    assert any("longitude first" in n for n in res.notes)


# ----------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    "header",
    [
        "fecha_registro,fecha_incautacion,latitud,longitud,droga,cantidad,unidad",
        "data do registro,data da apreensão,latitude,longitude,substância,quantidade,unidade",
        "Erfassung Datum,Datum der Beschlagnahme,Breite,Länge,Droge,Menge,Einheit",
        "date d'enregistrement,date de saisie,latitude,longitude,produit,quantité,unité",
    ],
)
def test_headers_in_spanish_portuguese_german_and_french(tmp_path, header):
    res = _csv(
        tmp_path,
        f"{header}\n"
        "2023-06-30,2023-03-04,10.51,-75.25,cocaína,500,g\n"
        "2023-06-30,2023-05-06,11.52,-74.25,cocaína,2.5,kg\n",
    )
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == ["2023-03-04", "2023-05-06"]
    assert res.frame["commodity"].tolist() == ["cocaína", "cocaína"]
    assert res.frame["quantity"].tolist() == [0.5, 2.5]


# ----------------------------------------------------------------------------- tracks


def test_a_point_counter_id_is_not_the_vessel(tmp_path):
    """An 'id' counting each track's points (1, 2, 3 per ship) made 3 vessels of 2 ships."""
    from pipeline.ingest import read_tracks

    path = tmp_path / "t.csv"
    rows = [
        f"{i},{ship},2024-01-01T0{i}:00:00Z,{60 + k + i / 10},5.{i}"
        for k, ship in enumerate(["OCEAN ONE", "SEA STAR"])
        for i in (1, 2, 3)
    ]
    path.write_text("id,vessel_name,timestamp,lat,lon\n" + "\n".join(rows) + "\n")
    res = read_tracks(path)
    assert res.frame["vessel_id"].value_counts().to_dict() == {"OCEAN ONE": 3, "SEA STAR": 3}
    assert res.by_rule == {}
