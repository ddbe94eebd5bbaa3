"""Seizure and incident tables as Latin-American and European open-data portals publish them.

Each file is written to ``tmp_path`` in the shape its portal exports: Colombia's datos.gov.co
seizure tables (``;``, decimal commas, Latin-1, ``KILOGRAMO``/``GRAMOS``/``TONELADAS``, a
municipality code and no coordinates), Brazil's ``quantidade``/``unidade_medida`` in
Portuguese, Chicago's Socrata ``Location`` pair ``(41.88, -87.62)``, an EMCDDA-like table of
a country and a year, and tables of totals per municipality and month disguised as records.
"""

from __future__ import annotations

import numpy as np
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

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
