"""Incident and track files in shapes real exports take, read wrongly before: round 9.

Each file is written to ``tmp_path`` in the shape its source writes it: a vessel-positions
export whose only recognised date is the voyage's ``ETA`` (its position time under a header
the readers do not know, ``last_update``); seizure tables dated only when their records
were kept (``created_at``, ``fecha_registro``); a GPS logger's NMEA degrees and minutes run
together without their letters (``5130.1234``), refused with advice that would have read
them as metres; an incident workbook with merged column groups over its header row.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks

pytestmark = IGNORE_PENDING_DEPRECATION


# ------------------------------------------------ a time found by its values is the record's


def test_an_eta_is_never_the_position_time_found_by_values(tmp_path):
    # A vessel-positions answer: 'ETA' (the voyage's arrival, the same on every ping) came
    # first of the columns of dates and was taken as each ping's time when no header named
    # one: every ping of the voyage at its arrival, all but the first rejected as
    # duplicate_time, without a word on the ETA.
    text = (
        "mmsi,ETA,lat,lon,last_update\n"
        "257000001,2024-03-20T10:00:00Z,60.10,5.1,2024-03-15T10:00:00Z\n"
        "257000001,2024-03-20T10:00:00Z,60.12,5.1,2024-03-15T10:10:00Z\n"
        "257000001,2024-03-20T10:00:00Z,60.14,5.1,2024-03-15T10:20:00Z\n"
    )
    res = read_tracks(write_text(tmp_path, "positions.csv", text))
    assert_accounted(res)
    assert res.by_rule == {}
    assert res.frame["time"].dt.strftime("%H:%M").tolist() == ["10:00", "10:10", "10:20"]
    assert res.assumptions["columns"]["time"]["column"] == "last_update"


def test_a_file_whose_only_dates_are_an_eta_is_refused_naming_it(tmp_path):
    text = "mmsi,eta,lat,lon\n257000001,2024-03-20T10:00:00Z,60.1,5.1\n" * 1
    text += "257000001,2024-03-20T10:00:00Z,60.12,5.1\n"
    with pytest.raises(InputError, match=r"no time column.*'eta'.*columns: \{time") as err:
        read_tracks(write_text(tmp_path, "eta.csv", text))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("header", ["created_at", "date_uploaded", "fecha_registro"])
def test_a_seizure_table_dated_only_when_its_records_were_kept_is_refused(tmp_path, header):
    # the record-keeping moment was taken for the event's date by its values, with a note
    text = (
        f"id,{header},lat,lon,type\n"
        "1,2024-03-20T10:00:00Z,1.5,104.2,Robbery\n2,2024-03-21T10:00:00Z,1.6,104.3,Robbery\n"
    )
    with pytest.raises(InputError, match=rf"no date column.*{header!r}.*columns: \{{time"):
        read_seizures(write_text(tmp_path, "kept.csv", text))


# ------------------------------------------- NMEA's degrees and minutes run together, no letter


def _nmea_rows(n: int = 12) -> list[tuple[str, str]]:
    """A GPS logger's positions as NMEA writes them, ddmm.mmmm and dddmm.mmmm, signed."""
    return [(f"{5130.1234 + 0.37 * i:09.4f}", f"-{1030.5 + 0.41 * i:010.4f}") for i in range(n)]


def test_nmea_minutes_without_letters_are_refused_naming_that_reading(tmp_path):
    # A logger writes NMEA's ddmm.mmmm as the numbers they are ('5130.1234' = 51°30.1234').
    # The refusal called them metres and told the user to set crs: to read them, which reads
    # every ping as metres from a projection's origin: a wrong position for each.
    lines = ["device,datetime,latitude,longitude"]
    lines += [f"logger1,2024-03-15 10:{i:02d}:00,{a},{o}" for i, (a, o) in enumerate(_nmea_rows())]
    path = write_text(tmp_path, "logger.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"degrees and minutes run together.*51°30\.1234'") as err:
        read_tracks(path)
    assert "\n" not in str(err.value)
    seizures = ["date,latitude,longitude,type"]
    seizures += [f"2024-03-{1 + i:02d},{a},{o},Robbery" for i, (a, o) in enumerate(_nmea_rows())]
    path = write_text(tmp_path, "incidents.csv", "\n".join(seizures) + "\n")
    with pytest.raises(InputError, match=r"degrees and minutes run together"):
        read_seizures(path)


def test_metres_whose_last_two_digits_pass_59_are_not_said_to_be_minutes(tmp_path):
    lines = ["device,datetime,latitude,longitude"]
    lines += [
        f"logger1,2024-03-15 10:{i:02d}:00,{5170.5 + 7.3 * i:.1f},{1080.5 + 9.1 * i:.1f}"
        for i in range(12)
    ]
    path = write_text(tmp_path, "metres.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"projected coordinates.*set crs") as err:
        read_tracks(path)
    assert "minutes run together" not in str(err.value)


def test_a_run_places_each_ping_at_its_update_time_not_the_voyages_eta(small_demo, tmp_path):
    """The run publishes every ping of the positions export at its own time."""
    from conftest import LIGHT, small_config

    import pipeline

    rows = ["mmsi,ETA,lat,lon,last_update"]
    t0 = pd.Timestamp("2026-06-20T00:00:00Z")
    for v in range(2):
        for i in range(24):
            t = t0 + pd.Timedelta(minutes=30 * i)
            rows.append(
                f"36600000{v},2026-06-25T12:00:00Z,{30 + v + i * 0.01:.2f},-70.0,"
                f"{t:%Y-%m-%dT%H:%M:%SZ}"
            )
    path = write_text(tmp_path, "positions.csv", "\n".join(rows) + "\n")
    cfg = small_config(
        small_demo,
        tmp_path,
        **{**LIGHT, "inputs": {"tracks": [{"path": str(path)}], "rasters": []}},
    )
    res = pipeline.run_pipeline(cfg)
    report = res.manifest["inputs"]["tracks"][0]
    assert (report["read"], report["accepted"], report["rejected"]) == (48, 48, 0)
    pings = pd.read_parquet(res.out_dir / "pings.parquet")
    assert pings["time"].min() == t0 and pings["time"].max() == t0 + pd.Timedelta(hours=11.5)


# ------------------------------------------------ a workbook's merged group cells over the header


def test_a_workbook_row_of_merged_column_groups_over_the_header_is_skipped(tmp_path):
    # 'Incident' merged over Date and Time, 'Position' over Lat and Lon: the group row was
    # taken for the header, and the file refused as having no date column among 'Incident',
    # 'Unnamed: 1', ... with advice (set columns: {time: ...}) no column name could follow.
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Incident", None, "Position", None, "Seizure", None])
    for cells in ("A1:B1", "C1:D1", "E1:F1"):
        ws.merge_cells(cells)
    ws.append(["Date", "Time", "Lat", "Lon", "Commodity", "Kg"])
    ws.append([dt.datetime(2024, 3, 15), dt.time(14, 30), 1.5, 104.2, "cocaine", 10])
    ws.append([dt.datetime(2024, 3, 16), dt.time(9, 5), 1.6, 104.3, "heroin", 5.5])
    path = tmp_path / "groups.xlsx"
    wb.save(path)
    res = read_seizures(path)
    assert_accounted(res)
    assert res.by_rule == {}
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-03-15 14:30",
        "2024-03-16 09:05",
    ]
    assert res.frame["lat"].tolist() == [1.5, 1.6]
    assert res.frame["quantity"].tolist() == [10.0, 5.5]
    assert res.frame["source_row"].tolist() == [3, 4]  # the sheet's rows
    assert any("column groups" in n and "header is row 2" in n for n in res.notes)


def test_a_workbook_header_over_records_of_text_is_still_the_header(tmp_path):
    # a header with a blank cell over records: the first row is the header, as before
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Date", "Type", None, "Latitude", "Longitude"])
    ws.append(["2024-03-15", "Robbery", "boarded", "01°15'N", "104°05'E"])
    ws.append(["2024-03-16", "Theft", "boarded", "01°16'N", "104°06'E"])
    path = tmp_path / "plain.xlsx"
    wb.save(path)
    res = read_seizures(path)
    assert_accounted(res)
    assert res.frame["source_row"].tolist() == [2, 3]
    assert not any("column groups" in n for n in res.notes)
