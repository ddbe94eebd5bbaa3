"""Silent wrong answers of track inputs found by the seventh sweep, each read the right way now.

Inputs are shaped like real exports: an AIS CSV with a ping from a receiver with the GPS
week-number rollover bug; raw decoder exports with COG in tenths of a degree and SOG in
tenths of a knot; a logger's local times whose offset column turns into map zones further
down the file.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks
from pipeline.schema import COG, SOG, TIME
from pipeline.transit import transit_features

T0 = pd.Timestamp("2024-03-01T00:00:00Z")
ROLLOVER = pd.Timedelta(days=7168)  # 1024 GPS weeks


def _ais(mmsi: int, lat: float, n: int = 12, lon0: float = 5.0, shift: dict | None = None):
    """CSV rows of a ship sailing east at about 10 kn, a ping every 10 minutes.

    ``shift`` maps a ping's index to a time offset (a receiver's clock error).
    """
    out = []
    for i in range(n):
        t = T0 + pd.Timedelta(minutes=10 * i) - (shift or {}).get(i, pd.Timedelta(0))
        out.append(f"{mmsi},{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{lat},{lon0 + i * 0.03:.4f},10.0")
    return out


def _read(path, tmp_path, stream: bool, chunk_rows: int = 1000):
    """Read a track file whole, or in chunks into a spill; (result, pings, rejects by line)."""
    if not stream:
        res = read_tracks(str(path))
        return res, res.frame, res.rejects.sort_values("row", kind="stable")
    folder = tmp_path / f"spill-{chunk_rows}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = spill_tracks(str(path), folder, chunk_rows=chunk_rows)
    parts = [p for p in res.iter_rejects() if len(p)]
    rej = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["row"])
    return res, PingStore([res], root=folder).to_frame(), rej


# ------------------------------------------------------------------ GPS week-number rollover


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("cycles", [1, 2])
def test_a_gps_week_rollover_ping_is_rejected_not_a_172000_hour_gap(tmp_path, stream, cycles):
    """One ping 1024 weeks (or 2x) early made a ~172,000-hour gap event and vessel-hours nonsense."""
    path = tmp_path / "ais.csv"
    rows = _ais(257000001, 43.0, shift={5: cycles * ROLLOVER}) + _ais(257000002, 44.0)
    path.write_text("mmsi,timestamp,lat,lon,sog\n" + "\n".join(rows) + "\n")
    res, pings, rej = _read(path, tmp_path, stream)
    assert res.n_read == 24
    assert res.by_rule == {"gps_week_rollover": 1}
    assert len(pings) == 23 and res.n_read == len(pings) + 1
    assert rej["row"].tolist() == [7]  # the header is line 1, the sixth ping line 7
    assert f"{cycles * 1024} weeks" in rej["message"].iloc[0]
    assert pings[TIME].min() >= T0
    out = transit_features(pings, 5)
    assert out.features["vessel_hours"].sum() < 2 * 2  # two ships, under two hours each
    assert (out.events["duration_hours"] < 24).all()


def test_a_long_track_and_an_old_ping_of_another_span_are_not_taken_for_rollover(tmp_path):
    """Only a ping that lands among its vessel's pings 1024 weeks later is rejected."""
    path = tmp_path / "ais.csv"
    # 1000 days early (a stale clock, not a week-number rollover): kept, not this rule
    rows = _ais(257000001, 43.0, shift={5: pd.Timedelta(days=1000)})
    path.write_text("mmsi,timestamp,lat,lon,sog\n" + "\n".join(rows) + "\n")
    res = read_tracks(str(path))
    assert "gps_week_rollover" not in res.by_rule


# ------------------------------------------------------------------ AIS raw tenths


def _raw_decoder_export(tmp_path, sog_header="SOG", cog_header="COG", n=40):
    """A raw NMEA decoder's export: SOG in tenths of a knot, COG in tenths of a degree.

    Pings 4 h apart (satellite AIS), so the positions give no speed to compare with.
    """
    rows = [f"MMSI,BaseDateTime,LAT,LON,{sog_header},{cog_header}"]
    for i in range(n):
        t = (T0 + pd.Timedelta(hours=4 * i)).strftime("%Y-%m-%dT%H:%M:%S")
        sog = [0, 35, 87, 123, 1023, 142][i % 6]  # 0, 3.5, 8.7, 12.3 kn, n/a, 14.2 kn
        cog = [0, 250, 900, 1805, 3600, 3412][i % 6]  # 0, 25, 90, 180.5 deg, n/a, 341.2 deg
        rows.append(f"{366000000 + i % 3},{t},{30 + i * 0.01:.2f},-70,{sog},{cog}")
    path = tmp_path / "raw.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("stream", [False, True])
def test_sog_and_cog_in_raw_tenths_under_plain_headers_are_refused(tmp_path, stream):
    """SOG 87 (8.7 kn) was taken as 87 kn and COG 250 (25 deg) as 250 deg, silently."""
    path = _raw_decoder_export(tmp_path)
    with pytest.raises(InputError, match=r"speed column 'SOG'.*tenths of a knot"):
        _read(path, tmp_path, stream)
    path = _raw_decoder_export(tmp_path, sog_header="SOG [0.1 kn]")
    with pytest.raises(InputError, match=r"course column 'COG'.*tenths of a degree"):
        _read(path, tmp_path, stream)


@pytest.mark.parametrize("stream", [False, True])
def test_raw_tenths_with_the_scale_in_the_header_are_read_as_knots_and_degrees(tmp_path, stream):
    """The scale written in the header is honoured; 1023 and 3600 are 'not available'."""
    path = _raw_decoder_export(tmp_path, sog_header="SOG [0.1 kn]", cog_header="COG [0.1 deg]")
    res, pings, _ = _read(path, tmp_path, stream)
    assert len(pings) == 40
    assert sorted(pings[SOG].dropna().round(1).unique()) == [0.0, 3.5, 8.7, 12.3, 14.2]
    assert sorted(pings[COG].dropna().round(1).unique()) == [0.0, 25.0, 90.0, 180.5, 341.2]
    assert pings[SOG].isna().sum() == pings[COG].isna().sum() > 0  # the n/a rows


def test_knots_with_the_ais_not_available_value_are_not_taken_for_tenths(tmp_path):
    """SOG 102.3 (AIS 'not available') is missing, never a speed, and no reason to refuse."""
    path = tmp_path / "ais.csv"
    rows = [
        r[: -len("10.0")] + ("102.3" if i % 2 else "10.0")
        for i, r in enumerate(_ais(257000001, 43.0))
    ]
    path.write_text("mmsi,timestamp,lat,lon,sog\n" + "\n".join(rows) + "\n")
    pings = read_tracks(str(path)).frame
    assert pings[SOG].isna().sum() == 6 and (pings[SOG].dropna() == 10.0).all()


# ------------------------------------------------------------------ streamed read = whole read


def _logger(tmp_path, zone, n: int = 3200, sog=lambda i: "10.0"):
    """A logger export of two vessels, ``n`` records (several 64 KiB chunks), a 'Zone' column."""
    rows = ["mmsi,timestamp,lat,lon,sog,Zone"]
    for i in range(n):
        t = (T0 + pd.Timedelta(minutes=10 * (i // 2))).strftime("%Y-%m-%dT%H:%M:%S")
        rows.append(
            f"{257000001 + i % 2},{t},{43 + i % 2},{5 + (i // 2) * 0.03:.4f},{sog(i)},{zone(i)}"
        )
    path = tmp_path / "logger.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    "zone",
    [
        lambda i: "+02:00" if i < 1600 else "31",  # offsets first, UTM zones later
        lambda i: "31" if i < 1600 else "+02:00",  # UTM zones first, offsets later
    ],
)
def test_a_zone_column_of_offsets_and_map_zones_is_refused_whole_and_streamed(tmp_path, zone):
    """Streamed, the first chunk decided: offsets applied to half the file, the rest rejected.

    Read whole, the same file had its offsets ignored (times 2 h off, silently).
    """
    path = _logger(tmp_path, zone)
    for stream in (False, True):
        with pytest.raises(InputError, match=r"column 'Zone' holds UTC offsets .* and other"):
            _read(path, tmp_path, stream)


def test_a_zone_column_of_offsets_throughout_is_applied_alike_whole_and_streamed(tmp_path):
    path = _logger(tmp_path, lambda i: "+02:00")
    whole, w, _ = _read(path, tmp_path, False)
    streamed, s, _ = _read(path, tmp_path, True)
    assert whole.by_rule == streamed.by_rule == {}
    pd.testing.assert_frame_equal(w.reset_index(drop=True), s.reset_index(drop=True))
    assert w[TIME].min() == T0 - pd.Timedelta(hours=2)


# ------------------------------------------------------------------ overlapping track files


def test_pings_given_by_two_overlapping_track_files_are_counted_once_and_said(tmp_path):
    """A history file and a day file that overlap: transit dropped the repeats without a word."""
    day = tmp_path / "day.csv"
    day.write_text("mmsi,timestamp,lat,lon,sog\n" + "\n".join(_ais(257000001, 43.0)) + "\n")
    history = tmp_path / "history.csv"
    history.write_text(
        "mmsi,timestamp,lat,lon,sog\n" + "\n".join(_ais(257000001, 43.0, n=8)) + "\n"
    )
    both = pd.concat([read_tracks(str(history)).frame, read_tracks(str(day)).frame])
    once = read_tracks(str(day)).frame
    res = transit_features(both.reset_index(drop=True), 5)
    ref = transit_features(once, 5)
    pd.testing.assert_frame_equal(res.features, ref.features)
    assert any(n.startswith("8 ping(s) at the same time as another ping") for n in res.notes)
    assert not any("same time as another ping" in n for n in ref.notes)


# --------------------------------------------------------- positions read as seizures' are


def _log(tmp_path, lat: list[str], lon: list[str], header: str = "Latitude,Longitude"):
    rows = [f"vessel,time,{header}"]
    for i, (a, b) in enumerate(zip(lat, lon, strict=True)):
        t = T0 + pd.Timedelta(minutes=10 * i)
        rows.append(f"V1,{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{a},{b}")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("stream", [False, True])
def test_a_logs_seconds_written_with_their_s_are_north_as_the_file_says(tmp_path, stream):
    # A position log that writes every second with its unit: '01 15 30s' beside
    # '103 45 12s'. Read per value, each latitude was put south of the equator.
    lat = [f"01 15 {30 + i}s" for i in range(6)]
    lon = [f"103 45 {12 + i}s" for i in range(6)]
    res, pings, _ = _read(_log(tmp_path, lat, lon), tmp_path, stream)
    assert len(pings) == 6
    assert (pings["lat"] > 1.25).all() and (pings["lat"] < 1.27).all()
    assert any("seconds' unit" in n for n in res.notes)


def test_a_log_of_utm_eastings_and_northings_is_refused_not_half_read(tmp_path):
    # '110547N' was read as 11°05'47"N while its easting failed as a longitude
    lat = [f"{110547 + 10 * i}N" for i in range(6)]
    lon = [f"{388736 + 10 * i}E" for i in range(6)]
    path = _log(tmp_path, lat, lon, header="UTM Northing,UTM Easting")
    with pytest.raises(InputError, match="projected coordinates"):
        read_tracks(str(path))
