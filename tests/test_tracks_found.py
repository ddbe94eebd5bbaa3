"""Silent wrong answers of track ingest found by the third sweep, each read the right way now.

Speed in tenths of a knot or in mph/km/t, one ship's id written as an integer in one file and
as a float in another, a float32 MMSI column, an AIS "UTC second" column named ``timestamp``,
epoch times in micro- and nanoseconds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import TrackSource, read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks


def _eastward(knots: float, n: int = 7, step_h: float = 1.0, lat: float = 60.0) -> list[float]:
    """Longitudes of a ship sailing east at ``knots`` along ``lat``, one ping per ``step_h``."""
    deg = knots * 1.852 * step_h / (111.195 * math.cos(math.radians(lat)))
    return [5.0 + i * deg for i in range(n)]


def _csv(path, header: str, lons: list[float], sog: float, step_h: float = 1.0) -> str:
    rows = [f"mmsi,timestamp,lat,lon,{header}"]
    t0 = pd.Timestamp("2024-01-01T00:00:00Z")
    for i, lon in enumerate(lons):
        t = (t0 + pd.Timedelta(hours=i * step_h)).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(f"257000000,{t},60.0,{lon:.6f},{sog}")
    path.write_text("\n".join(rows) + "\n")
    return str(path)


@pytest.mark.parametrize(
    ("header", "value", "knots"),
    [
        ("SOG [0.1 kn]", "10", 1.0),
        ("sog_tenths", "85", 8.5),
        ("speed_knots_x10", "85", 8.5),
        ("SOG [kn*10]", "85", 8.5),
        ("speed_mph", "11.5", 11.5 * 1609.344 / 1852),
        ("Speed (mph)", "11.5", 11.5 * 1609.344 / 1852),
        ("speed_kmph", "18.5", 18.5 / 1.852),
        ("SOG(km/t)", "18.5", 18.5 / 1.852),
        ("speed_kph", "18.5", 18.5 / 1.852),
    ],
)
def test_speed_header_unit_and_scale_are_honoured(tmp_path, header, value, knots):
    path = _csv(tmp_path / "t.csv", header, _eastward(knots), value)
    res = read_tracks(path)
    assert res.frame["sog_kn"].to_numpy() == pytest.approx(knots, rel=1e-6)
    assert res.assumptions["speed_unit"]["by"] == "header"


def test_tenths_sentinel_is_judged_after_the_scale(tmp_path):
    # 1023 tenths is AIS 'not available'; 150 tenths is 15 kn, not a sentinel
    path = tmp_path / "t.csv"
    lons = _eastward(15.0, n=3)
    path.write_text(
        "mmsi,timestamp,lat,lon,SOG [0.1 kn]\n"
        f"257000000,2024-01-01T00:00:00Z,60.0,{lons[0]:.6f},150\n"
        f"257000000,2024-01-01T01:00:00Z,60.0,{lons[1]:.6f},1023\n"
        f"257000000,2024-01-01T02:00:00Z,60.0,{lons[2]:.6f},150\n"
    )
    sog = read_tracks(str(path)).frame["sog_kn"].to_numpy()
    assert sog[[0, 2]] == pytest.approx(15.0)
    assert np.isnan(sog[1])


def test_speed_header_naming_an_unknown_unit_is_refused(tmp_path):
    path = _csv(tmp_path / "t.csv", "speed (furlongs)", _eastward(10.0), "10")
    with pytest.raises(InputError, match=r"'speed \(furlongs\)'.*unit not known"):
        read_tracks(path)
    # the config says what the unit is: read as told
    res = read_tracks(TrackSource(path=path, speed_unit="kn"))
    assert res.frame["sog_kn"].to_numpy() == pytest.approx(10.0)


def test_speed_header_with_unknown_words_notes_the_assumption(tmp_path):
    path = _csv(tmp_path / "t.csv", "speed_fps", _eastward(10.0), "10")
    res = read_tracks(path)
    assert any("'speed_fps'" in n and "knots assumed" in n for n in res.notes)
    assert "'fps'" in res.assumptions["speed_unit"]["evidence"]


def test_course_header_in_tenths_is_scaled(tmp_path):
    path = _csv(tmp_path / "t.csv", "sog,COG [0.1 deg]", _eastward(10.0, n=3), "10,900")
    assert read_tracks(path).frame["cog_deg"].to_numpy() == pytest.approx(90.0)


@pytest.mark.parametrize("stream", [False, True])
def test_plain_sog_in_tenths_is_refused(tmp_path, stream):
    # 85 under 'sog' while the positions give 8.5 kn: tenths of a knot, not knots
    path = _csv(tmp_path / "t.csv", "sog", _eastward(8.5), "85")
    with pytest.raises(InputError, match=r"'sog'.*ten times.*median ratio 10\.0"):
        if stream:
            spill_tracks(path, tmp_path / "spill", chunk_rows=1000)
        else:
            read_tracks(path)
    told = read_tracks(TrackSource(path=path, speed_unit="kn"))
    assert told.frame["sog_kn"].to_numpy() == pytest.approx(85.0)
    # knots that roughly agree with the positions, fast or slow, are read as they are
    for knots, sog in ((8.5, "8.5"), (8.5, "7.9"), (1.0, "1.2")):
        res = read_tracks(_csv(tmp_path / "k.csv", "sog", _eastward(knots), sog))
        assert res.frame["sog_kn"].to_numpy() == pytest.approx(float(sog))


@pytest.mark.parametrize("stream", [False, True])
def test_integral_float_vessel_id_is_the_integer(tmp_path, stream):
    # one ship, its id written 257000000 and 257000000.0 (a float export), under 'vessel_id'
    csv = tmp_path / "t.csv"
    csv.write_text(
        "vessel_id,timestamp,lat,lon\n"
        "257000000,2024-01-01T00:00:00Z,60.0,5.0\n"
        "257000000.0,2024-01-01T01:00:00Z,60.0,5.3\n"
        "257000000.00,2024-01-01T02:00:00Z,60.0,5.6\n"
    )
    pq = tmp_path / "t.parquet"
    pd.DataFrame(
        {
            "vessel_id": [257000000.0, 257000000.0, np.nan],
            "timestamp": pd.to_datetime(["2024-01-01T03:00Z"] * 2 + ["2024-01-01T04:00Z"]),
            "lat": [60.0, 60.0, 60.0],
            "lon": [6.0, 6.0, 6.3],
        }
    ).to_parquet(pq)
    for path in (csv, pq):
        if stream:
            folder = tmp_path / f"s-{path.suffix}"
            spill = spill_tracks(str(path), folder, chunk_rows=2)
            frame = PingStore([spill], root=folder).to_frame()
        else:
            frame = read_tracks(str(path)).frame
        assert set(frame["vessel_id"]) == {"257000000"}


@pytest.mark.parametrize("stream", [False, True])
def test_narrow_float_mmsi_column_is_refused(tmp_path, stream):
    # float32 holds 257123457 and 257123459 both as 257123456: two ships made one
    path = tmp_path / "t.parquet"
    pd.DataFrame(
        {
            "mmsi": np.array([257123457, 257123457, 257123459, 257123459], dtype="float32"),
            "timestamp": pd.to_datetime(["2024-01-01T00:00Z", "2024-01-01T01:00Z"] * 2),
            "lat": [60.0, 60.0, 58.0, 58.0],
            "lon": [5.0, 5.33, 10.0, 10.33],
        }
    ).to_parquet(path)
    with pytest.raises(InputError, match=r"'mmsi' is stored as 'float32'"):
        if stream:
            spill_tracks(str(path), tmp_path / "spill", chunk_rows=2)
        else:
            read_tracks(str(path))


def test_ais_utc_second_named_timestamp_is_not_the_time(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "mmsi,received_at,timestamp,lat,lon\n"
        "257000001,2024-01-01T00:00:07Z,5,60.0,5.0\n"
        "257000001,2024-01-01T01:00:12Z,10,60.0,5.3\n"
        "257000001,2024-01-01T02:00:03Z,1,60.0,5.6\n"
    )
    res = read_tracks(str(path))
    assert res.assumptions["columns"]["time"]["column"] == "received_at"
    assert list(res.frame["time"].dt.strftime("%H:%M:%S")) == ["00:00:07", "01:00:12", "02:00:03"]


@pytest.mark.parametrize("scale", [10**6, 10**9])
def test_epoch_micro_and_nanoseconds_are_read(tmp_path, scale):
    path = tmp_path / "t.csv"
    path.write_text(
        "mmsi,timestamp,lat,lon\n"
        f"257000000,{1704067200 * scale},60.0,5.0\n"
        f"257000000,{1704070800 * scale},60.0,5.3\n"
    )
    res = read_tracks(str(path))
    assert list(res.frame["time"]) == list(
        pd.to_datetime(["2024-01-01T00:00Z", "2024-01-01T01:00Z"], utc=True)
    )


def test_a_speed_column_named_in_another_language_is_the_speed(tmp_path):
    """'Fart (knop)' of a Norwegian export was not recognised as the speed at all."""
    path = tmp_path / "t.csv"
    rows = [f"257000001,2024-01-01T0{h}:00:00Z,60.0,{5 + h / 3:.3f},10.0" for h in range(3)]
    path.write_text("mmsi,tidspunkt,lat,lon,Fart (knop)\n" + "\n".join(rows) + "\n")
    res = read_tracks(path)
    assert res.assumptions["columns"]["sog"]["column"] == "Fart (knop)"
    assert res.frame["sog_kn"].tolist() == [10.0, 10.0, 10.0]
