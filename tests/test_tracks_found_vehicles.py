"""Road-vehicle GPS and fleet-telematics exports: each shape read as the file means it.

Traccar keeps the server's receipt time beside the fix time and flags fixes it has not got;
fleet exports write local times with the zone in the header, a ``Time Zone`` column, and a
``Vehicle``, ``Driver`` or ``IMEI`` column.  Each test failed before its fix: a wrong time,
a stale position or a vehicle id that was no vehicle, all without a word.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import TrackSource, read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks


def _read(path: Path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_tracks(TrackSource(path=path, **kw) if kw else path)


def _times(res) -> list[str]:
    return [t.strftime("%Y-%m-%d %H:%M:%S") for t in res.frame["time"]]


TRACCAR = (
    "id,deviceId,protocol,serverTime,deviceTime,fixTime,outdated,valid,latitude,longitude,"
    "altitude,speed,course,address,attributes\n"
    "101,7,osmand,2024-03-01T10:05:30Z,2024-03-01T10:00:00Z,2024-03-01T10:00:00Z,false,true,"
    '52.52,13.405,34,10,90,"Unter den Linden, Berlin","{""ignition"":true}"\n'
    "102,7,osmand,2024-03-01T10:06:30Z,2024-03-01T10:01:10Z,2024-03-01T10:01:00Z,false,true,"
    '52.52,13.41,34,10,90,Berlin,"{}"\n'
    # no fix: the device reports its last position again, flagged invalid
    "103,7,osmand,2024-03-01T10:07:30Z,2024-03-01T10:02:10Z,2024-03-01T10:01:00Z,false,false,"
    '52.52,13.41,34,0,0,Berlin,"{}"\n'
    "104,7,osmand,2024-03-01T10:08:30Z,2024-03-01T10:03:10Z,2024-03-01T10:03:00Z,false,true,"
    '52.52,13.415,34,10,90,Berlin,"{}"\n'
    "105,9,gt06,2024-03-01T10:05:31Z,2024-03-01T10:00:00Z,2024-03-01T10:00:00Z,false,true,"
    '48.8566,2.3522,34,20,180,Paris,"{}"\n'
    "106,9,gt06,2024-03-01T10:06:31Z,2024-03-01T10:01:00Z,2024-03-01T10:01:00Z,false,true,"
    '48.85,2.3522,34,20,180,Paris,"{}"\n'
)


def test_traccar_position_time_is_the_fix_time_not_the_server_receipt(tmp_path):
    """``serverTime`` (first in the export) is when the server got the record."""
    p = tmp_path / "traccar.csv"
    p.write_text(TRACCAR)
    res = _read(p)
    assert res.assumptions["columns"]["time"]["column"] == "fixTime"
    assert _times(res) == [
        "2024-03-01 10:00:00",
        "2024-03-01 10:01:00",
        "2024-03-01 10:03:00",
        "2024-03-01 10:00:00",
        "2024-03-01 10:01:00",
    ]
    assert list(res.frame["vessel_id"]) == ["7", "7", "7", "9", "9"]


def test_traccar_invalid_fix_is_rejected_at_its_line(tmp_path):
    """A record flagged ``valid`` false repeats the last position: no fix, a reject."""
    p = tmp_path / "traccar.csv"
    p.write_text(TRACCAR)
    res = _read(p)
    assert res.by_rule == {"fix_invalid": 1}
    rej = res.rejects.iloc[0]
    assert (rej["row"], rej["column"], rej["value"]) == (4, "valid", "false")
    assert res.n_read == len(res.frame) + len(res.rejects) == 6


def test_traccar_json_export_reads_alike(tmp_path):
    """The JSON export of the same positions: the fix time, the invalid fix rejected."""
    rows = pd.read_csv(pd.io.common.StringIO(TRACCAR)).drop(columns=["attributes"])
    p = tmp_path / "positions.json"
    rows.to_json(p, orient="records")
    res = _read(p)
    assert res.by_rule == {"fix_invalid": 1}
    assert _times(res)[:3] == ["2024-03-01 10:00:00", "2024-03-01 10:01:00", "2024-03-01 10:03:00"]


@pytest.mark.parametrize(
    "header", ["IMEI,server_time,gps_time", "IMEI,received_at_server,GNSS Time"]
)
def test_tracker_log_gps_time_over_server_time_and_imei_exact(tmp_path, header):
    """A tracker log's server time is receipt; its 15-digit IMEI is the device, kept exact."""
    p = tmp_path / "teltonika.csv"
    p.write_text(
        header + ",latitude,longitude,satellites,hdop,speed\n"
        "356307042441013,2024-03-01 10:03:12,2024-03-01 10:00:00,52.52,13.405,9,0.8,36\n"
        "356307042441013,2024-03-01 10:03:12,2024-03-01 10:01:00,52.52,13.415,9,0.8,36\n"
        "356307042441021,2024-03-01 10:00:05,2024-03-01 10:00:00,48.8566,2.3522,7,1.1,0\n"
        "356307042441021,2024-03-01 10:01:05,2024-03-01 10:01:00,48.8566,2.3522,7,1.1,0\n"
    )
    res = _read(p)
    assert _times(res) == ["2024-03-01 10:00:00", "2024-03-01 10:01:00"] * 2
    assert list(res.frame["vessel_id"].unique()) == ["356307042441013", "356307042441021"]


FLEET = (
    "Vehicle,Driver,Date,{clock},Latitude,Longitude,Speed (km/h),Odometer,Ignition,Address\n"
    'Truck 7,John Smith,2024-03-01,14:05:00,40.7128,-74.0060,30,12345.6,On,"123 Main St"\n'
    'Truck 7,John Smith,2024-03-01,14:04:00,40.7128,-74.0160,30,12345.1,On,"125 Main St"\n'
    'ABC-123,Jane Doe,2024-03-01,14:05:00,40.7500,-73.9900,0,5000.0,Off,"1 Broadway"\n'
    'ABC-123,Jane Doe,2024-03-01,14:03:00,40.7500,-73.9900,0,5000.0,Off,"1 Broadway"\n'
)


@pytest.mark.parametrize(
    ("clock", "hours"),
    [("Time (CET)", 1), ("Time [UTC+2]", 2), ("Time (GMT-05:00)", -5), ("Time JST", 9)],
)
def test_fleet_clock_header_naming_its_zone_is_applied(tmp_path, clock, hours):
    """``Time (CET)`` is local time: placed in UTC, not taken as UTC."""
    p = tmp_path / "fleet.csv"
    p.write_text(FLEET.format(clock=clock))
    res = _read(p)
    got = res.frame.set_index("vessel_id")["time"]
    want = pd.Timestamp("2024-03-01 14:05:00", tz="UTC") - pd.Timedelta(hours=hours)
    assert got["Truck 7"].max() == want
    assert sorted(res.frame["vessel_id"].unique()) == ["ABC-123", "Truck 7"]
    assert any("placed in UTC" in n for n in res.notes)


def test_fleet_header_zone_name_applies_daylight_saving(tmp_path):
    """``Time [Europe/Berlin]`` in July is UTC+2, in January UTC+1."""
    p = tmp_path / "fleet.csv"
    p.write_text(
        "vehicle_id,Timestamp [Europe/Berlin],lat,lon\n"
        "V1,2024-07-01 10:00:00,52.52,13.40\nV1,2024-07-01 10:01:00,52.52,13.401\n"
        "V1,2024-01-02 10:00:00,52.52,13.40\n"
    )
    res = _read(p)
    assert _times(res) == ["2024-01-02 09:00:00", "2024-07-01 08:00:00", "2024-07-01 08:01:00"]


@pytest.mark.parametrize("clock", ["Time (EST)", "Time PST", "Local Time"])
def test_fleet_clock_header_of_an_unknown_zone_is_refused(tmp_path, clock):
    """``EST`` names US and Australian zones; ``Local Time`` none: refused, not taken as UTC."""
    p = tmp_path / "fleet.csv"
    p.write_text(FLEET.format(clock=clock))
    with pytest.raises(InputError, match="local time|several"):
        _read(p)


def test_time_zone_and_driver_columns_are_no_vehicle_id(tmp_path):
    """A ``Time Zone`` column repeats like an id; a ``Driver`` drives several vehicles."""
    p = tmp_path / "drivers.csv"
    p.write_text(
        "Driver,Timestamp,Time Zone,Latitude,Longitude\n"
        "John Smith,2024-03-01 10:00,CET,52.52,13.40\n"
        "John Smith,2024-03-01 10:01,CET,52.52,13.41\n"
        "Jane Doe,2024-03-01 10:00,CET,52.50,13.40\n"
        "Jane Doe,2024-03-01 10:01,CET,52.50,13.40\n"
    )
    with pytest.raises(InputError, match="no vessel id column"):
        _read(p)
    res = _read(p, columns={"vessel_id": "Driver"})
    assert sorted(res.frame["vessel_id"].unique()) == ["Jane Doe", "John Smith"]
    assert _times(res)[0] == "2024-03-01 09:00:00"


def test_fleet_vehicle_column_beside_time_zone_column(tmp_path):
    """``Vehicle`` names the vehicle; the ``Time Zone`` column places its local times."""
    p = tmp_path / "fleet.csv"
    p.write_text(
        "Vehicle,Date,Time,Time Zone,Latitude,Longitude,Speed (mph)\n"
        "Truck 7,2024-03-01,14:05:00,Europe/Berlin,52.52,13.405,30\n"
        "Truck 7,2024-03-01,14:04:00,Europe/Berlin,52.52,13.395,30\n"
        "Truck 8,2024-03-01,14:05:00,Europe/Berlin,52.50,13.40,0\n"
        "Truck 8,2024-03-01,14:03:00,Europe/Berlin,52.50,13.40,0\n"
    )
    res = _read(p)
    assert res.assumptions["columns"]["vessel_id"]["column"] == "Vehicle"
    assert list(res.frame["vessel_id"]) == ["Truck 7", "Truck 7", "Truck 8", "Truck 8"]
    assert _times(res)[:2] == ["2024-03-01 13:04:00", "2024-03-01 13:05:00"]


@pytest.mark.parametrize("chunk_rows", [1, 2, 1000])
@pytest.mark.parametrize("which", ["traccar", "cet"])
def test_vehicle_exports_in_chunks_equal_whole(tmp_path, which, chunk_rows):
    """The fix flag and the header zone hold in every chunk of a file read in chunks."""
    p = tmp_path / f"{which}.csv"
    p.write_text(TRACCAR if which == "traccar" else FLEET.format(clock="Time (CET)"))
    whole = _read(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spill = spill_tracks(p, tmp_path / "spill", chunk_rows=chunk_rows, n_buckets=2)
    store = PingStore([spill], root=tmp_path / "spill")
    first = {"traccar": "2024-03-01 10:00:00", "cet": "2024-03-01 13:03:00"}[which]
    assert _times(whole)[0] == first
    assert spill.by_rule == whole.by_rule
    assert spill.n_read == whole.n_read
    pd.testing.assert_frame_equal(store.to_frame(), whole.frame)


def test_degrees_times_ten_million_are_named_as_such_not_only_as_semicircles(tmp_path):
    """A tracker log's latitude/longitude as whole numbers of 10^-7 degree (Teltonika) were
    refused with only the FIT semicircle formula, which would misplace them by 16 %."""
    p = tmp_path / "teltonika.csv"
    p.write_text(
        "imei,gps_time,latitude,longitude\n"
        "356307042441013,2024-03-01T10:00:00Z,525200000,134050000\n"
        "356307042441013,2024-03-01T10:01:00Z,525210000,134060000\n"
    )
    with pytest.raises(InputError) as err:
        _read(p)
    text = str(err.value)
    assert "\n" not in text and "10^7" in text and "/ 10000000" in text
    assert "semicircles" in text  # values within both ranges: both readings named
    # beyond 90 degrees x 10^7 they can only be semicircles (85 degrees = 1,014,178,000)
    p.write_text(
        "imei,gps_time,latitude,longitude\n"
        "356307042441013,2024-03-01T10:00:00Z,1014178000,59652324\n"
        "356307042441013,2024-03-01T10:01:00Z,1014179000,59653324\n"
    )
    with pytest.raises(InputError) as err:
        _read(p)
    assert "FIT semicircles" in str(err.value) and "10^7" not in str(err.value)


def test_a_zone_in_the_header_beside_an_offset_column_is_said_not_to_be_applied(tmp_path):
    """'Time (CET)' beside a 'utc_offset' column: the row's offset wins, and the summary says
    the header's zone was not applied (before, nothing said so), read whole or streamed."""
    from pipeline.ingest import IngestOptions, summarise_ingest

    path = tmp_path / "both.csv"
    path.write_text(
        "vehicle,Time (CET),lat,lon,utc_offset\n"
        "V1,2024-03-01 10:00:00,52.5,13.4,+00:00\n"
        "V1,2024-03-01 10:30:00,52.51,13.41,+00:00\n"
    )
    got = read_tracks(path)
    assert [t.isoformat() for t in got.frame["time"]] == [
        "2024-03-01T10:00:00+00:00",
        "2024-03-01T10:30:00+00:00",
    ]
    said = [n for n in got.notes if "names the zone 'CET'" in n]
    assert said and "'utc_offset'" in said[0] and "is not" in said[0], got.notes
    for chunk_rows in (None, 1):
        out = tmp_path / f"o{chunk_rows}"
        out.mkdir()
        summary = summarise_ingest(
            "tracks", path, options=IngestOptions(chunk_rows=chunk_rows), out_dir=out
        )
        assert [n for n in summary["notes"] if "names the zone 'CET'" in n] == said
