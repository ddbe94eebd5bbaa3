"""Silent wrong answers of track inputs found by the fourth sweep, each read the right way now.

Inputs are shaped like real exports: an untimed route beside timed AIS; a logger's local
times with a UTC offset or time-zone column; ...
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import config_from

from pipeline.builtin_factors import ais_coverage
from pipeline.errors import InputError
from pipeline.grid import points_to_cells
from pipeline.ingest import read_tracks, write_rejects
from pipeline.ingest.stream import PingStore, spill_tracks
from pipeline.schema import LAT, LON, TIME
from pipeline.transit import transit_features

T0 = pd.Timestamp("2024-03-01T00:00:00Z")


def _ais_rows(mmsi: int, lat: float, n: int = 12, lon0: float = 5.0) -> list[str]:
    """CSV rows of a ship sailing east at about 10 kn, a ping every 10 minutes."""
    return [
        f"{mmsi},{(T0 + pd.Timedelta(minutes=10 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')},"
        f"{lat},{lon0 + i * 0.03:.4f},10.0"
        for i in range(n)
    ]


# ----------------------------------------------------------------------------- untimed routes


def _timed_and_untimed(tmp_path):
    """An AIS export where one vessel's positions carry no time (a planned route pasted in)."""
    path = tmp_path / "ais.csv"
    untimed = [f"257000002,,44.5,{6.0 + i * 0.05:.3f},10.0" for i in range(8)]
    path.write_text(
        "mmsi,timestamp,lat,lon,sog\n" + "\n".join(_ais_rows(257000001, 43.0) + untimed) + "\n"
    )
    return path


def _read(path, tmp_path, stream: bool, chunk_rows: int):
    """Read a track file whole, or in chunks of ``chunk_rows`` into a spill; (result, pings)."""
    if not stream:
        res = read_tracks(str(path))
        return res, res.frame
    folder = tmp_path / "spill"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = spill_tracks(str(path), folder, chunk_rows=chunk_rows)
    return res, PingStore([res], root=folder).to_frame()


def test_untimed_positions_are_counted_as_unused_not_silently_dropped(tmp_path):
    """An untimed route's positions were dropped by the transit pass without a word."""
    pings = read_tracks(_timed_and_untimed(tmp_path)).frame
    n_untimed = int(pings[TIME].isna().sum())
    assert n_untimed == 8  # kept by ingest as an untimed route
    res = transit_features(pings, 5)
    assert res.untimed == n_untimed
    assert any(f"{n_untimed} position(s) without a time" in n for n in res.notes)
    # the timed vessel alone gives the same features
    ref = transit_features(pings[pings[TIME].notna()].reset_index(drop=True), 5)
    pd.testing.assert_frame_equal(res.features, ref.features)
    assert ref.untimed == 0 and not any("without a time" in n for n in ref.notes)


def test_untimed_positions_give_no_ais_coverage(tmp_path):
    """Cells only an untimed route reached read '0 vessel-hours, 0 vessels' as if observed.

    Coverage is where positions were received; a position without a time says nothing of
    when, so those cells are 'no AIS coverage' (missing), not zero.
    """
    path = _timed_and_untimed(tmp_path)
    pings = read_tracks(path).frame
    untimed = pings[pings[TIME].isna()]
    route_cells = np.unique(points_to_cells(untimed[LON].to_numpy(), untimed[LAT].to_numpy(), 5))
    timed = pings[pings[TIME].notna()]
    ship_cells = np.unique(points_to_cells(timed[LON].to_numpy(), timed[LAT].to_numpy(), 5))
    cells = np.concatenate([route_cells, ship_cells])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spill = spill_tracks(str(path), tmp_path / "spill", chunk_rows=5, n_buckets=2)
    store = PingStore([spill], root=tmp_path / "spill")
    for source in (pings, store):
        covered = ais_coverage(source, cells, 5, radius_km=1.0)
        assert covered[route_cells.size :].all()
        assert not covered[: route_cells.size].any()
    # a file of untimed routes only: nothing is covered (no error)
    only = ais_coverage(untimed.reset_index(drop=True), cells, 5, radius_km=1.0)
    assert not only.any()


def _tiny_run(tmp_path, tracks: list[dict], **sections):
    """Run the pipeline on a few seizures and ``tracks`` with the slow stages off."""
    import pipeline

    seizures = tmp_path / "seizures.csv"
    seizures.write_text(
        "date,lat,lon,commodity,quantity,unit\n"
        + "".join(
            f"2024-0{1 + i}-10,{43 + 0.1 * i},{5 + 0.1 * i},cocaine,10,kg\n" for i in range(5)
        )
    )
    raw = {
        "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0.0, 40.0, 10.0, 46.0], "resolution": 5},
        "inputs": {"seizures": [{"path": str(seizures)}], "tracks": tracks},
        "ingest": {"chunk_rows": None},
        "score": {"factors": {"seizure_density": {"weight": 1}, "vessel_hours": {"weight": 1}}},
        "evaluate": {"enabled": False},
        "hotspots": {"enabled": False},
        "timeline": {"months": 0},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }
    return pipeline.run_pipeline(config_from(raw, tmp_path, **sections))


def test_untimed_positions_are_not_counted_as_used_in_the_manifest(tmp_path):
    """pings_used counted an untimed route's positions, which the map never used."""
    res = _tiny_run(tmp_path, [{"path": str(_timed_and_untimed(tmp_path))}])
    counts = res.manifest["counts"]
    assert counts["pings_untimed"] == 8
    assert counts["pings_used"] == 12
    assert any("without a time" in n for n in res.manifest["features"]["transit_notes"])


# ----------------------------------------------------------------------------- local times

_LOCAL = (
    "mmsi,time_local,{zone},lat,lon\n"
    "257000001,2024-03-31 01:30:00,{a},60.0,5.00\n"  # CET: 00:30 UTC
    "257000001,2024-03-31 02:30:00,{a},60.0,5.05\n"  # skipped by the DST change: unusable
    "257000001,2024-03-31 03:30:00,{a},60.0,5.10\n"  # CEST: 01:30 UTC
    "257000001,2024-03-31 04:30:00,{b},60.0,5.15\n"
    "257000001,2024-03-31 05:30:00,,60.0,5.20\n"  # no offset: cannot be placed
    "257000001,2024-03-31 06:30:00,GMT-05:30,60.0,5.25\n"
    "257000001,2024-03-31 07:30:00,+0200,60.0,5.30\n"
    "257000001,2024-03-31 08:30:00,+2,60.0,5.35\n"
    "257000001,2024-03-31T09:30:00Z,+2,60.0,5.40\n"  # names its zone: the column is not applied
)


@pytest.mark.parametrize("stream", [False, True])
def test_local_times_are_placed_in_utc_by_their_offset_column(tmp_path, stream):
    """A logger's 'time_local' beside 'timezone' was read as UTC: every ping 1-2 h off."""
    path = tmp_path / "t.csv"
    path.write_text(_LOCAL.format(zone="timezone", a="Europe/Oslo", b="Mars/Olympus"))
    res, frame = _read(path, tmp_path, stream, chunk_rows=4)
    got = list(frame[TIME].dt.strftime("%H:%M"))
    assert got == ["00:30", "01:30", "05:30", "06:30", "09:30", "12:00"]
    assert res.by_rule == {"time_zone_unknown": 3}
    assert any("'timezone'" in n and "placed in UTC" in n for n in res.notes)
    if not stream:
        assert res.assumptions["columns"]["utc_offset"]["column"] == "timezone"
        assert res.assumptions["utc_offset"]["placed"] == 5
        rejects = pd.read_csv(write_rejects(res, tmp_path / "rej"))
        assert sorted(rejects["row"]) == [3, 5, 6]
        assert set(rejects["column"]) == {"timezone"}


@pytest.mark.parametrize(
    ("header", "value", "hhmm"),
    [
        ("utc_offset", "+02:00", "08:00"),
        ("UTCOffset", "-5", "15:00"),
        ("tz_offset_min", "120", "08:00"),
    ],
)
def test_offset_spellings_and_units(tmp_path, header, value, hhmm):
    path = tmp_path / "t.csv"
    path.write_text(
        f"mmsi,LocalTime,{header},lat,lon\n"
        f"257000001,2024-01-01 10:00:00,{value},60.0,5.0\n"
        f"257000001,2024-01-01 11:00:00,{value},60.0,5.3\n"
    )
    assert read_tracks(str(path)).frame[TIME].dt.strftime("%H:%M").iloc[0] == hhmm


def test_local_time_header_without_an_offset_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "mmsi,LocalTime,lat,lon\n"
        "257000001,2024-01-01 12:00:00,60.0,5.0\n"
        "257000001,2024-01-01 13:00:00,60.0,5.3\n"
    )
    with pytest.raises(InputError, match=r"'LocalTime' says local time.*offset"):
        read_tracks(str(path))
    # the same times with their offset written in the values are read
    path.write_text(
        "mmsi,LocalTime,lat,lon\n"
        "257000001,2024-01-01T12:00:00+02:00,60.0,5.0\n"
        "257000001,2024-01-01T13:00:00+02:00,60.0,5.3\n"
    )
    assert read_tracks(str(path)).frame[TIME].dt.hour.tolist() == [10, 11]


def test_a_utc_time_column_outranks_a_local_one(tmp_path):
    """'LocalTime' before 'UTCTime' was taken as the time (the first of two equal names)."""
    path = tmp_path / "t.csv"
    path.write_text(
        "mmsi,LocalTime,UTCTime,lat,lon\n"
        "257000001,2024-01-01 12:00:00,2024-01-01 10:00:00,60.0,5.0\n"
        "257000001,2024-01-01 13:00:00,2024-01-01 11:00:00,60.0,5.3\n"
    )
    res = read_tracks(str(path))
    assert res.assumptions["columns"]["time"]["column"] == "UTCTime"
    assert res.frame[TIME].dt.hour.tolist() == [10, 11]


# ----------------------------------------------------------------------------- clock resets


@pytest.mark.parametrize("stream", [False, True])
def test_a_receiver_clock_reset_to_the_epoch_is_rejected(tmp_path, stream):
    """Pings stamped 1970-01-01 (a reset clock) were accepted: a 54-year 'going dark' event."""
    rows = _ais_rows(257000001, 43.0, n=30)
    for i in (12, 13, 14):  # the receiver's clock restarts at the Unix epoch
        stamp = (pd.Timestamp("1970-01-01") + pd.Timedelta(seconds=30 * (i - 12))).isoformat()
        parts = rows[i].split(",")
        rows[i] = ",".join([parts[0], stamp + "Z", *parts[2:]])
    path = tmp_path / "ais.csv"
    path.write_text("mmsi,timestamp,lat,lon,sog\n" + "\n".join(rows) + "\n")
    res, frame = _read(path, tmp_path, stream, chunk_rows=7)
    assert res.by_rule == {"time_before_gps": 3}
    assert (frame[TIME] >= T0).all() and len(frame) == 27
    events = transit_features(frame, 5, gap_hours=6).events
    assert not (events["event_type"] == "gap").any()


# ----------------------------------------------------------------------------- header scales


@pytest.mark.parametrize(
    ("header", "value", "knots"),
    [("Speed over ground [kn/10]", "85", 8.5), ("SOG (knots / 10)", "85", 8.5)],
)
def test_speed_in_knots_over_ten_is_tenths(tmp_path, header, value, knots):
    """'[kn/10]' (the unit is a tenth of a knot) was read as knots: every ship ten times as fast."""
    path = tmp_path / "t.csv"
    rows = [
        f"257000001,{(T0 + pd.Timedelta(hours=h)).isoformat()},60.0,{5 + h * 0.28:.3f},{value},900"
        for h in range(4)
    ]
    path.write_text(f'mmsi,timestamp,lat,lon,"{header}",COG [deg/10]\n' + "\n".join(rows) + "\n")
    res = read_tracks(str(path))
    assert res.frame["sog_kn"].to_numpy() == pytest.approx(knots)
    assert res.frame["cog_deg"].to_numpy() == pytest.approx(90.0)
