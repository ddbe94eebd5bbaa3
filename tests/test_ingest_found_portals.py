"""Seizure and incident tables as Latin-American and European open-data portals publish them.

Each file is written to ``tmp_path`` in the shape its portal exports: Colombia's datos.gov.co
seizure tables (``;``, decimal commas, Latin-1, ``KILOGRAMO``/``GRAMOS``/``TONELADAS``, a
municipality code and no coordinates), Brazil's ``quantidade``/``unidade_medida`` in
Portuguese, Chicago's Socrata ``Location`` pair ``(41.88, -87.62)``, an EMCDDA-like table of
a country and a year, and tables of totals per municipality and month disguised as records.
"""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.errors import InputError
from pipeline.ingest import read_seizures
from pipeline.ingest.options import SeizureSource

pytestmark = IGNORE_PENDING_DEPRECATION


def _latin1(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    return path


# ------------------------------------------------ units of mass written in Spanish/Portuguese


def test_spanish_units_of_mass_are_converted_to_kg(tmp_path):
    # datos.gov.co writes the unit in Spanish capitals.  'GRAMOS' and 'TONELADAS' were kept
    # "as reported": 350 g weighed 350 beside 12.5 kg, 2 t weighed 2, silently in the sum.
    text = (
        "FECHA HECHO;DEPARTAMENTO;MUNICIPIO;CODIGO DANE;LATITUD;LONGITUD;CANTIDAD;UNIDAD;DROGA\n"
        "15/01/2023;ANTIOQUIA;MEDELLÍN;05001000;6,2442;-75,5812;12,5;KILOGRAMO;COCAINA\n"
        "16/01/2023;NARIÑO;TUMACO;52835000;1,7986;-78,8156;1.250,75;KILOGRAMOS;COCAINA\n"
        "17/01/2023;BOGOTÁ D.C.;BOGOTÁ D.C.;11001000;4,6097;-74,0817;350;GRAMOS;MARIHUANA\n"
        "18/01/2023;CAUCA;POPAYÁN;19001000;2,4448;-76,6147;2;TONELADAS;MARIHUANA\n"
        "19/01/2023;CAUCA;POPAYÁN;19001000;2,4448;-76,6147;40;MATAS;MARIHUANA\n"
        "20/01/2023;VALLE;CALI;76001000;3,4516;-76,5320;5;LITROS;INSUMOS\n"
    )
    res = read_seizures(_latin1(tmp_path, "incautaciones.csv", text))
    assert_accounted(res)
    assert len(res.frame) == 6
    np.testing.assert_allclose(res.frame["quantity"], [12.5, 1250.75, 0.35, 2000.0, 40.0, 5.0])
    kept = res.assumptions["quantity_unit"]["kept_as_reported"]
    assert set(kept) == {"matas", "litros"}  # plants and litres are no mass: as reported


def test_portuguese_units_of_mass_are_converted_to_kg(tmp_path):
    text = (
        "id;data_ocorrencia;uf;municipio;latitude;longitude;tipo_droga;quantidade;unidade_medida\n"
        "1;15/03/2024;MS;PONTA PORÃ;-22,5361;-55,7256;Maconha;1.250,5;Quilograma\n"
        "2;16/03/2024;PR;FOZ DO IGUAÇU;-25,5163;-54,5854;Cocaína;350;Grama\n"
        "3;17/03/2024;DF;BRASÍLIA;-15,7801;-47,9292;Cocaína;12,75;Quilogramas\n"
        "4;18/03/2024;SP;SÃO PAULO;-23,5505;-46,6333;Maconha;3;Toneladas\n"
        "5;19/03/2024;MS;CORUMBÁ;-19,0089;-57,6510;Comprimidos;500;Unidade\n"
    )
    res = read_seizures(_latin1(tmp_path, "prf.csv", text))
    assert_accounted(res)
    np.testing.assert_allclose(res.frame["quantity"], [1250.5, 0.35, 12.75, 3000.0, 500.0])
    np.testing.assert_allclose(res.frame["lat"], [-22.5361, -25.5163, -15.7801, -23.5505, -19.0089])


def test_a_unit_written_after_the_number_in_spanish_is_converted(tmp_path):
    text = (
        "fecha;latitud;longitud;droga;cantidad\n"
        "15/01/2023;6,2442;-75,5812;cocaina;350 gramos\n"
        "16/01/2023;1,7986;-78,8156;cocaina;2 kilogramos\n"
    )
    res = read_seizures(write_text(tmp_path, "inline.csv", text))
    np.testing.assert_allclose(res.frame["quantity"], [0.35, 2.0])


# ------------------------------------------------------------- Socrata's '(lat, lon)' pair


def _socrata(tmp_path):
    text = (
        "ID,Case Number,Date,Primary Type,Location\n"
        '1,JG1,03/01/2024 10:15:00 PM,NARCOTICS,"(41.891398861, -87.744384567)"\n'
        '2,JG2,03/13/2024 10:15:00 PM,NARCOTICS,"(41.773371528, -87.665319468)"\n'
        "3,JG3,03/14/2024 10:15:00 PM,NARCOTICS,\n"
    )
    return write_text(tmp_path, "crimes.csv", text)


def test_a_socrata_location_pair_in_parentheses_is_read_latitude_first(tmp_path):
    # Every '(41.89, -87.74)' was rejected as coord_unparseable: the brackets stuck to the
    # numbers.
    res = read_seizures(SeizureSource(path=_socrata(tmp_path), columns={"coords": "Location"}))
    assert_accounted(res)
    assert len(res.frame) == 2
    np.testing.assert_allclose(res.frame["lat"], [41.891398861, 41.773371528])
    np.testing.assert_allclose(res.frame["lon"], [-87.744384567, -87.665319468])
    assert res.by_rule == {"coord_missing": 1}


def test_a_file_whose_only_position_is_an_unnamed_pair_column_is_told_its_name(tmp_path):
    # The refusal asked for latitude/longitude columns; the file has a pair column.
    with pytest.raises(InputError, match=r"'Location' holds coordinate pairs.*coords: 'Location'"):
        read_seizures(_socrata(tmp_path))


# ------------------------------------------------------ records placed by area, not point


def test_a_table_placed_by_municipality_code_only_is_refused_saying_so(tmp_path):
    # A datos.gov.co seizure table with a DANE municipality code and no coordinates: the
    # refusal asked to "set columns: {lat: ..., lon: ...}", columns the file does not have.
    text = (
        "FECHA HECHO;DEPARTAMENTO;MUNICIPIO;CODIGO DANE;CANTIDAD;UNIDAD\n"
        "15/01/2023;ANTIOQUIA;MEDELLÍN;05001000;12,5;KILOGRAMO\n"
        "16/01/2023;NARIÑO;TUMACO;52835000;1.250,75;KILOGRAMO\n"
    )
    with pytest.raises(InputError, match=r"placed only by area \('DEPARTAMENTO', 'MUNICIPIO'"):
        read_seizures(_latin1(tmp_path, "sin_coordenadas.csv", text))


# ------------------------------------------------------------ totals disguised as records


@pytest.mark.parametrize(
    "header",
    ["NUMERO DE CASOS", "cantidad de incautaciones", "Number of seizures", "incident_count"],
)
def test_a_table_of_event_counts_per_row_is_refused(tmp_path, header):
    # One row per municipality and month with its number of cases: each row was read as one
    # event (14 cases counted once), and 'cantidad de incautaciones' was even taken as the
    # seized quantity, silently.
    text = (
        f"fecha,municipio,latitud,longitud,{header},droga\n"
        "2023-01-31,Medellin,6.2442,-75.5812,14,cocaina\n"
        "2023-02-28,Medellin,6.2442,-75.5812,9,cocaina\n"
        "2023-01-31,Tumaco,1.7986,-78.8156,3,cocaina\n"
    )
    with pytest.raises(InputError, match=f"{header!r} counts events per row"):
        read_seizures(write_text(tmp_path, "totales.csv", text))


def test_an_id_named_like_a_count_or_a_count_the_user_maps_is_no_table_of_totals(tmp_path):
    text = (
        "Case Number,date,latitude,longitude,number of seizures,type\n"
        "20240001,2023-01-31,6.2442,-75.5812,2,cocaine\n"
        "20240002,2023-02-28,6.2442,-75.5812,1,cocaine\n"
    )
    path = write_text(tmp_path, "cases.csv", text)
    res = read_seizures(SeizureSource(path=path, columns={"note": "number of seizures"}))
    assert_accounted(res)
    assert len(res.frame) == 2


def test_a_bare_count_column_is_said_not_to_be_used(tmp_path):
    text = (
        "date,district,latitude,longitude,count,crime_type\n"
        "2023-01-31,Central,51.50,-0.12,14,drugs\n"
        "2023-02-28,Central,51.50,-0.12,9,drugs\n"
    )
    res = read_seizures(write_text(tmp_path, "counts.csv", text))
    assert len(res.frame) == 2
    assert any("'count' holds counts such as 14, 9" in n for n in res.notes)


def test_a_total_of_seizures_by_mass_is_a_quantity_not_a_count_of_events(tmp_path):
    """'Total seizures (kg)' over whole numbers names a mass: read as the quantity."""
    text = (
        "date,latitude,longitude,Total seizures (kg),drug\n"
        "2023-01-31,6.2442,-75.5812,120,cocaine\n"
        "2023-02-28,6.2442,-75.5812,45,cocaine\n"
    )
    res = read_seizures(write_text(tmp_path, "kg.csv", text))
    assert_accounted(res)
    assert res.frame["quantity"].tolist() == [120.0, 45.0]


def test_a_header_naming_only_a_unit_of_mass_is_the_quantity_and_several_are_named(tmp_path):
    """'Seized (kg)' had no quantity word and was dropped without a word; one column per
    drug ('Cocaine (kg)', 'Heroin (kg)') is no one quantity: the summary names them."""
    text = "date,latitude,longitude,Seized (kg),drug\n2023-01-31,6.24,-75.58,120,cocaine\n"
    res = read_seizures(write_text(tmp_path, "one.csv", text))
    assert res.frame["quantity"].tolist() == [120.0]
    assert res.assumptions["quantity_unit"]["unit"] == "kg"
    text = (
        "date,latitude,longitude,Cocaine (kg),Heroin (kg),drug\n"
        "2023-01-31,6.24,-75.58,120,,cocaine\n"
        "2023-02-28,6.24,-75.58,,45,heroin\n"
    )
    res = read_seizures(write_text(tmp_path, "wide.csv", text))
    assert res.frame["quantity"].isna().all()
    note = [n for n in res.notes if "['Cocaine (kg)', 'Heroin (kg)']" in n]
    assert note and "would be a guess" in note[0], res.notes


def test_a_date_split_over_ano_mes_dia_with_month_names_is_joined(tmp_path):
    """'AÑO'/'MES'/'DIA' (an accented header; months written out) was no date at all."""
    text = (
        "AÑO;MES;DIA;LATITUD;LONGITUD;DROGA;CANTIDAD\n"
        "2023;ENERO;15;6,2442;-75,5812;COCAINA;12,5\n"
        "2023;Febrero;3;6,2442;-75,5812;COCAINA;3\n"
        "2023;MARZO;;6,25;-75,58;MARIHUANA;2\n"
    )
    res = read_seizures(_latin1(tmp_path, "anomes.csv", text))
    assert_accounted(res)
    assert [t.date().isoformat() for t in res.frame["time"]] == [
        "2023-01-15",
        "2023-02-03",
        "2023-03-01",
    ]
    assert any("placed on the 1st (precision: month)" in n for n in res.notes), res.notes


def test_state_plane_feet_are_refused_naming_feet_and_read_with_their_crs(tmp_path):
    """A city portal's 'X Coordinate'/'Y Coordinate' in US survey feet: the refusal no
    longer says metres only, and the CRS it names reads them to the published degrees."""
    text = (
        "Date,X Coordinate,Y Coordinate,Primary Type\n"
        "03/13/2024 10:15:00 PM,1177323,1898056,NARCOTICS\n"
        "03/14/2024 09:00:00 AM,1144602,1903566,NARCOTICS\n"
        "03/15/2024 01:30:00 PM,1170135,1925111,NARCOTICS\n"
    )
    path = write_text(tmp_path, "chicago.csv", text)
    with pytest.raises(InputError, match="metres or feet.*EPSG:3435"):
        read_seizures(path)
    res = read_seizures(SeizureSource(path=path, crs="EPSG:3435"))
    assert_accounted(res)
    np.testing.assert_allclose(res.frame["lat"], [41.8756, 41.8914, 41.95], atol=1e-4)
    np.testing.assert_allclose(res.frame["lon"], [-87.6244, -87.7444, -87.65], atol=1e-4)
