"""Review of real track and raster products as an analyst meets them, round 28.

Copernicus Marine's depths are the levels of its model (0.494, 1.541, 2.646, ... 9.573,
11.405 m): ``select: {depth: 10}`` names no step, and was read as a 0-based index, the 11th
level, 15.81 m, stated only as ``index 10 -> index 10 (15.81)``: the 10 m meant became
another depth's temperatures without a word in the run's output.  And on a 3-hourly
file (Copernicus Marine's hourly/3-hourly currents), ``select: {time: "2024-01-01T06:00"}``
read the day's last step, 21:00, stated as ``-> index 7 (2024-01-01)``: any time of a day
matched every step of that day, and the steps were listed by their day alone.

A vehicle fleet's telematics export (Teltonika, Geotab: ``vehicle,timestamp,latitude,
longitude,speed,angle``) writes its speed in km/h under a plain ``speed``; a phone logger's
CSV (GPSLogger for Android) in m/s.  Both were read as knots, the AIS unit, under a note-less
"knots assumed": trucks at 46 km/h sailed at 46 kn (1.85 times), a walker at 1.4 m/s at
1.4 kn (half), and a truck crawling at 3 km/h (1.6 kn, loitering) was not.  Only a tenfold
ratio to the positions' speed was refused, and a logger writing a fix every 10 s gave no
stretch to compare at all (successive pings under a minute apart were skipped).

Google Takeout's ``Records.json`` wrote some negative ``latitudeE7``/``longitudeE7`` as
unsigned 32-bit numbers (``4294962296`` for -5000, -0.0005 degrees; every reader of the
format subtracts 2^32): a phone's fixes west of Greenwich were rejected as out of range.

Global Fishing Watch's events (``id,type,start,end,lat,lon,vessel_id,...``: loitering,
encounters, port visits) and a tracker's stops report (``Start Time``, ``End Time``) given
as tracks were read as pings at each row's start ("time taken from column 'start' by its
values"): a vessel loitering five hours at one place left a ping, its hours were lost or
drawn along a line to its next event.  Such a table whose time no header names is now
refused; a stops report's ``Start Time`` is read at each start, said in a note.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from _corpus import IGNORE_PENDING_DEPRECATION

from pipeline.errors import InputError
from pipeline.ingest import open_raster, read_tracks
from pipeline.ingest.options import RasterSource, TrackSource

pytestmark = IGNORE_PENDING_DEPRECATION

#: The first twelve depths of Copernicus Marine's global physics (metres, float32).
CMEMS_DEPTHS = np.array(
    [0.494025, 1.541375, 2.645669, 3.819495, 5.078224, 6.440614, 7.92956, 9.572997,
     11.405, 13.46714, 15.81007, 18.49556],
    dtype="float32",
)  # fmt: skip


def write_cmems(path, depths=CMEMS_DEPTHS) -> None:
    """Write thetao(time, depth, latitude, longitude), packed; a pixel's value is 100 + level."""
    lat = np.arange(6.0, 7.01, 0.25, dtype="float32")
    lon = np.arange(-4.0, -2.99, 0.25, dtype="float32")
    cube = np.broadcast_to(
        (100.0 + np.arange(depths.size, dtype="float32"))[None, :, None, None],
        (1, depths.size, lat.size, lon.size),
    )
    ds = xr.Dataset(
        {"thetao": (("time", "depth", "latitude", "longitude"), cube, {"units": "degrees_C"})},
        coords={
            "time": ("time", pd.date_range("2024-01-01", periods=1)),
            "depth": ("depth", depths, {"units": "m", "positive": "down"}),
            "latitude": ("latitude", lat, {"units": "degrees_north"}),
            "longitude": ("longitude", lon, {"units": "degrees_east"}),
        },
    )
    enc = {"dtype": "int16", "scale_factor": 0.01, "add_offset": 100.0, "_FillValue": -32767}
    ds.to_netcdf(path, engine="h5netcdf", encoding={"thetao": enc})


def _level(path, select) -> float:
    da = open_raster(RasterSource(path=path, select=select))
    return round(float(da.max()) - 100.0, 3)


@pytest.mark.parametrize("depth", [10, 1, 3], ids=["10m", "1m", "3m"])
def test_a_whole_depth_among_the_levels_is_refused_not_read_as_an_index(tmp_path, depth):
    path = tmp_path / "cmems_mod_glo_phy-thetao_anfc_0.083deg_P1D-m.nc"
    write_cmems(path)
    with pytest.raises(InputError, match=rf"select depth: {depth} is no value of 'depth'") as err:
        open_raster(RasterSource(path=path, select={"depth": depth}))
    text = str(err.value)
    assert "span 0.494025..18.49556" in text
    assert f"depth: {{index: {depth}}}" in text and "depth: {value: V}" in text
    near = CMEMS_DEPTHS[np.argsort(np.abs(CMEMS_DEPTHS - depth), kind="stable")[:2]]
    assert f"nearest: {sorted(float(str(v)) for v in near)!r}" in text
    assert f"step {depth} ({float(str(CMEMS_DEPTHS[depth]))})" in text


def test_a_whole_depth_beyond_its_steps_is_refused_as_matching_none(tmp_path):
    path = tmp_path / "deep.nc"
    write_cmems(path, np.array([0.5, 5.5, 25.5], dtype="float32"))
    with pytest.raises(InputError, match=r"select depth: 10 matches no step"):
        open_raster(RasterSource(path=path, select={"depth": 10}))


def test_a_depth_step_by_its_value_its_index_or_outside_the_values_is_read(tmp_path):
    path = tmp_path / "cmems.nc"
    write_cmems(path)
    assert _level(path, {"depth": {"index": 10}}) == 10
    assert _level(path, {"depth": {"value": 9.572997}}) == 7
    assert _level(path, {"depth": 9.572997}) == 7
    # below the shallowest value, a whole number is the documented index: the surface step
    assert _level(path, {"depth": 0}) == 0
    assert _level(path, {"depth": -1}) == 11
    # an axis of whole values holding the number reads it as the value
    levels = tmp_path / "levels.nc"
    write_cmems(levels, np.array([0, 5, 10, 20], dtype="float32"))
    assert _level(levels, {"depth": 10}) == 2


# ----------------------------------------------------------------------------- speeds


def _moving_csv(path, header: str, unit_per_kn: float, *, step_s: int, vehicles: int = 3):
    """Write vehicles heading north, each ping's speed in the unit given (1 kn = unit_per_kn)."""
    rows = [f"vehicle,timestamp,latitude,longitude,{header},angle"]
    truth = []
    for v in range(vehicles):
        lat, t = 45.0 + 0.2 * v, pd.Timestamp("2024-03-05 08:00:00")
        for k in range(40):
            kn = 15.0 + 5.0 * np.sin(k / 7 + v)
            rows.append(f"T{v},{t:%Y-%m-%d %H:%M:%S},{lat:.7f},14.0,{kn * unit_per_kn:.3f},0")
            truth.append(round(kn * unit_per_kn, 3) / unit_per_kn)
            lat += kn * 1.852 * step_s / 3600 / 111.195  # due north at that speed
            t += pd.Timedelta(seconds=step_s)
    path.write_text("\n".join(rows) + "\n")
    return path, np.array(truth)


@pytest.mark.parametrize(
    ("unit", "per_kn", "step_s"),
    [("km/h", 1.852, 60), ("m/s", 1852 / 3600, 10), ("km/h", 1.852, 5)],
    ids=["kmh-minutely", "ms-every-10s", "kmh-every-5s"],
)
def test_a_plain_speed_in_another_unit_than_knots_is_refused(tmp_path, unit, per_kn, step_s):
    path, _ = _moving_csv(tmp_path / "fleet.csv", "speed", per_kn, step_s=step_s)
    with pytest.raises(InputError, match=rf"names no unit, read as knots gives .* {unit}\?") as e:
        read_tracks(path)
    assert f"speed_unit: {unit!r}" in str(e.value) and f"'speed [{unit}]'" in str(e.value)
    # told the unit, the speeds are the positions' in knots
    told = read_tracks(TrackSource(path=path, speed_unit=unit))
    _, truth = _moving_csv(tmp_path / "again.csv", "speed", per_kn, step_s=step_s)
    np.testing.assert_allclose(told.frame.sort_values(["vessel_id", "time"])["sog_kn"], truth)


def test_a_speed_whose_header_or_config_names_its_unit_is_read_as_named(tmp_path):
    path, truth = _moving_csv(tmp_path / "geotab.csv", "Speed (km/h)", 1.852, step_s=60)
    got = read_tracks(path).frame.sort_values(["vessel_id", "time"])
    np.testing.assert_allclose(got["sog_kn"], truth)
    plain, _ = _moving_csv(tmp_path / "plain.csv", "speed", 1.852, step_s=60)
    as_knots = read_tracks(TrackSource(path=plain, speed_unit="kn")).frame
    assert as_knots["sog_kn"].max() > 20 * 1.85 - 1  # read as told, 1.85 times the positions'


def test_a_plain_speed_in_knots_is_read_as_knots(tmp_path):
    path, truth = _moving_csv(tmp_path / "ais.csv", "speed", 1.0, step_s=10)
    got = read_tracks(path).frame.sort_values(["vessel_id", "time"])
    np.testing.assert_allclose(got["sog_kn"], truth)


# ----------------------------------------------------------------------------- Takeout


def test_takeout_records_written_unsigned_are_read_signed(tmp_path):
    lons_e7 = [30000, 15000, 0, -15000, -30000, -45000]
    locations = [
        {
            "latitudeE7": 515000000,
            "longitudeE7": v % 2**32,  # as Takeout wrote the negative ones
            "accuracy": 10,
            "timestamp": f"2022-03-01T10:0{k}:00Z",
        }
        for k, v in enumerate(lons_e7)
    ]
    # a number from 2^31 that no sign makes a latitude stays out of range, rejected
    locations.append(
        {"latitudeE7": 3_000_000_000, "longitudeE7": 0, "timestamp": "2022-03-01T10:09:00Z"}
    )
    path = tmp_path / "Records.json"
    path.write_text(json.dumps({"locations": locations}, indent=2))
    got = read_tracks(TrackSource(path=path, vessel_id="phone"))
    f = got.frame.sort_values("time")
    np.testing.assert_allclose(f["lon"], np.array(lons_e7) / 1e7, atol=1e-12)
    np.testing.assert_allclose(f["lat"], 51.5)
    assert got.rejects["rule"].tolist() == ["lat_out_of_range"]
    assert any(
        n.endswith(
            "3 position(s) with a latitudeE7/longitudeE7 from 2^31 up, Takeout's "
            "negative numbers written unsigned, read signed (value - 2^32: "
            "4294967295 is -1e-7 degrees), as its readers do"
        )
        for n in got.notes
    )


# ----------------------------------------------------------------------------- sub-daily steps


def write_three_hourly(path) -> None:
    """Write uo(time, latitude, longitude) every 3 h over two days; a step's value is its index."""
    lat = np.arange(30.0, 31.0, 0.25) + 0.125
    lon = np.arange(-20.0, -19.0, 0.25) + 0.125
    steps = pd.date_range("2024-01-01", periods=16, freq="3h")
    cube = np.broadcast_to(np.arange(16.0)[:, None, None], (16, lat.size, lon.size))
    ds = xr.Dataset(
        {"uo": (("time", "latitude", "longitude"), cube)},
        coords={
            "time": steps,
            "latitude": ("latitude", lat, {"units": "degrees_north"}),
            "longitude": ("longitude", lon, {"units": "degrees_east"}),
        },
    )
    ds.to_netcdf(path, engine="h5netcdf")


@pytest.mark.parametrize(
    ("value", "step", "said"),
    [
        ("2024-01-01T06:00", 2, "index 2 (2024-01-01T06:00:00)"),
        ({"value": "2024-01-02 12:00:00"}, 12, "index 12 (2024-01-02T12:00:00)"),
        ("2024-01-01T00:00", 0, "index 0 (2024-01-01T00:00:00)"),
        ("2024-01-01", 7, "index 7 (2024-01-01T21:00:00, the last of the 8 steps that day)"),
        (-1, 15, "index 15 (2024-01-02T21:00:00)"),
    ],
    ids=["six", "noon-value", "midnight", "day", "last"],
)
def test_a_time_of_day_selects_that_step_and_says_its_clock(tmp_path, value, step, said):
    path = tmp_path / "cmems_mod_glo_phy_anfc_0.083deg_PT3H-i.nc"
    write_three_hourly(path)
    da = open_raster(RasterSource(path=path, variable="uo", select={"time": value}))
    assert float(da.max()) == step
    assert da.attrs["assumptions"]["selection"]["time"].endswith(f"-> {said}")


def test_a_time_of_day_no_step_holds_is_refused_listing_the_clocks(tmp_path):
    path = tmp_path / "uo.nc"
    write_three_hourly(path)
    with pytest.raises(InputError, match=r"matches no step.*'2024-01-01T03:00:00', '2024-01"):
        open_raster(RasterSource(path=path, variable="uo", select={"time": "2024-01-01T07:00"}))


# ----------------------------------------------------------------------------- periods

GFW_EVENTS = """id,type,start,end,lat,lon,vessel_id,vessel_ssvid,vessel_name,duration_hrs
e1,loitering,2023-01-01T02:00:00Z,2023-01-01T07:30:00Z,-5.10,-81.40,v1,412000001,SHIP A,5.5
e2,loitering,2023-01-01T09:00:00Z,2023-01-01T13:00:00Z,-5.20,-81.30,v1,412000001,SHIP A,4.0
e3,loitering,2023-01-03T01:00:00Z,2023-01-03T06:00:00Z,-6.00,-82.00,v1,412000001,SHIP A,5.0
e4,loitering,2023-01-01T03:00:00Z,2023-01-01T10:00:00Z,-4.90,-81.20,v2,412000002,SHIP B,7.0
e5,loitering,2023-01-02T03:00:00Z,2023-01-02T10:00:00Z,-4.95,-81.25,v2,412000002,SHIP B,7.0
"""

STOPS = """Device,Start Time,End Time,Latitude,Longitude,Duration,Address
van-1,2024-03-05 08:00:00,2024-03-05 08:40:00,45.3301,14.4402,40 min,Riva 1
van-1,2024-03-05 09:10:00,2024-03-05 09:25:00,45.3421,14.4102,15 min,Korzo 5
van-2,2024-03-05 08:05:00,2024-03-05 10:00:00,45.3201,14.4702,115 min,Pomerio 3
van-2,2024-03-05 10:30:00,2024-03-05 11:00:00,45.3101,14.4802,30 min,Riva 9
"""


def test_a_table_of_periods_whose_time_no_header_names_is_refused(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(GFW_EVENTS)
    with pytest.raises(InputError, match=r"'start' and 'end' give each record a period"):
        read_tracks(path)
    told = read_tracks(TrackSource(path=path, columns={"time": "start"}))
    assert len(told.frame) == 5 and not any("period" in n for n in told.notes)


def test_a_stops_report_is_read_at_each_start_and_says_so(tmp_path):
    path = tmp_path / "stops.csv"
    path.write_text(STOPS)
    got = read_tracks(path)
    assert len(got.frame) == 4
    assert (
        "stops.csv: 'Start Time' and 'End Time' give each record a period: each is read as one "
        "ping at its start, the hours it lasted not attributed to its place"
    ) in " ".join(got.notes)


def test_a_ping_time_beside_another_periods_end_is_read(tmp_path):
    path = tmp_path / "ais.csv"
    path.write_text(
        "mmsi,timestamp,lat,lon,sog,voyage_start,voyage_end\n"
        "412000001,2023-01-01T02:00:00Z,-5.10,-81.40,8.0,2022-12-30,2023-01-05\n"
        "412000001,2023-01-01T02:10:00Z,-5.10,-81.38,8.0,2022-12-30,2023-01-05\n"
    )
    assert len(read_tracks(path).frame) == 2
