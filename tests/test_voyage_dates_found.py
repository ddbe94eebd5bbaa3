"""A seizure table dated only by a voyage's departure or arrival says so, or is refused.

Found on 2026-12-07 (left alone since 2026-12-04): a table whose only dates were a
``Departure date`` was dated by it with nothing said beyond the header matching ``date``,
and one holding ``Date of departure`` beside ``Arrival date`` (a cargo's voyage, a
container's booking) was dated by the departure because it came first - a seizure on
arrival, days or weeks after, read as on the day the ship sailed, exit 0.  Now a voyage's
end taken as the record's time is said in the column's evidence (summary and manifest), and
two of them with no date of the record's own are refused in one line asking which.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.ingest.options import SeizureSource
from pipeline.ingest.seizures import read_seizures

ROWS = "A,2023-01-05,2023-01-19,10.5,-60.2,cocaine\nB,2023-02-07,2023-02-21,11.5,-61.2,cannabis\n"


def _file(tmp_path: Path, header: str, rows: str = ROWS) -> Path:
    path = tmp_path / "seizures.csv"
    path.write_text(header + "\n" + rows)
    return path


@pytest.mark.parametrize(
    "header",
    [
        "Vessel,Date of departure,Arrival date,Latitude,Longitude,Commodity",
        "Vessel,Fecha de salida,Fecha de llegada,Latitude,Longitude,Commodity",
        "Vessel,ETD,ATA,Latitude,Longitude,Commodity",
    ],
    ids=["english", "spanish", "etd-ata"],
)
def test_a_departure_beside_an_arrival_and_no_own_date_is_refused(tmp_path, header):
    with pytest.raises(InputError, match=r"a voyage's departure and arrival .* set columns: "):
        read_seizures(_file(tmp_path, header))


def test_the_column_configured_dates_the_records(tmp_path):
    path = _file(tmp_path, "Vessel,Date of departure,Arrival date,Latitude,Longitude,Commodity")
    res = read_seizures(SeizureSource(path=path, columns={"time": "Arrival date"}))
    assert [str(d) for d in res.frame["time"].dt.date] == ["2023-01-19", "2023-02-21"]


def test_a_departure_alone_dates_the_records_and_says_so(tmp_path):
    rows = "A,2023-01-05,10.5,-60.2,cocaine\nB,2023-02-07,11.5,-61.2,cannabis\n"
    res = read_seizures(_file(tmp_path, "Vessel,Departure date,Latitude,Longitude,Commodity", rows))
    assert [str(d) for d in res.frame["time"].dt.date] == ["2023-01-05", "2023-02-07"]
    evidence = res.assumptions["columns"]["time"]["evidence"]
    assert "names the voyage's departure, not the record's own moment" in evidence


def test_a_seizure_date_beside_the_voyage_dates_is_the_records_time(tmp_path):
    rows = "A,2023-01-05,2023-01-19,2023-01-17,10.5,-60.2,cocaine\n"
    header = "Vessel,Departure date,Arrival date,Seizure date,Latitude,Longitude,Commodity"
    res = read_seizures(_file(tmp_path, header, rows))
    assert res.assumptions["columns"]["time"]["column"] == "Seizure date"
    assert "voyage" not in res.assumptions["columns"]["time"]["evidence"]


def test_an_etd_alone_found_by_its_values_dates_the_records_and_says_so(tmp_path):
    rows = "A,2023-01-05,10.5,-60.2,cocaine\nB,2023-02-07,11.5,-61.2,cannabis\n"
    res = read_seizures(_file(tmp_path, "Vessel,ETD,Latitude,Longitude,Commodity", rows))
    assert res.assumptions["columns"]["time"]["column"] == "ETD"
    assert "names the voyage's etd" in res.assumptions["columns"]["time"]["evidence"]
