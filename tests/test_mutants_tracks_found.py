"""Mutation check of track reading (whole file and in chunks): tests for the gaps it found.

Each test kills a hand-made mutant of ``pipeline/ingest/tracks.py`` or
``pipeline/ingest/stream.py`` that the suite let through, and checks the reading against an
independent value: hand counts, the file's own line numbers, ``pipeline.sphere.haversine_km``,
or the whole-file reader against the chunked one.  The files are tiny and written here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_tracks, write_rejects
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned
from pipeline.sphere import haversine_km

HEADER = "mmsi,timestamp,lat,lon,sog"


def _write(path: Path, lines: list[str], eol: str = "\n") -> Path:
    path.write_bytes((eol.join(lines) + eol).encode("utf-8"))
    return path


def _read(src, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_tracks(src, **kw)


def _read_hourly(tmp_path: Path, pos: list[tuple[float, float]]):
    """Read one vessel's pings at ``pos`` (lat, lon), an hour apart from 2024-01-01 00:00Z."""
    t0 = pd.Timestamp("2024-01-01T00:00:00Z")
    rows = [
        f"257000000,{(t0 + pd.Timedelta(hours=k)).strftime('%Y-%m-%dT%H:%M:%SZ')},{y},{x},5"
        for k, (y, x) in enumerate(pos)
    ]
    return _read(_write(tmp_path / "t.csv", [HEADER, *rows]))


def _rules(res) -> dict[int, str]:
    """Rejected line -> rule."""
    return dict(zip(res.rejects["row"].astype(int), res.rejects["rule"], strict=True))


# --------------------------------------------------------------------------- schemas


def test_a_timestamp_first_header_without_hash_is_no_dma_file(tmp_path):
    # DMA's header starts '# Timestamp' and its dates are day-first; a generic export whose
    # first column is 'timestamp' has its dates read by their values: 04/25 is month-first
    src = _write(
        tmp_path / "t.csv",
        [
            "timestamp,mmsi,lat,lon",
            "04/25/2024 10:00:00,257000000,60.0,5.0",
            "04/25/2024 11:00:00,257000000,60.0,5.1",
        ],
    )
    res = _read(src)
    assert res.assumptions["schema"] == "generic"
    assert len(res.frame) == 2 and not len(res.rejects)
    assert res.frame["time"].iloc[0] == pd.Timestamp("2024-04-25T10:00:00Z")


def test_a_base_date_time_column_without_mmsi_is_no_marinecadastre_file(tmp_path):
    src = _write(
        tmp_path / "t.csv",
        [
            "vessel,BaseDateTime,lat,lon",
            "a,2024-01-01T00:00:00,60.0,5.0",
            "a,2024-01-01T01:00:00,60.0,5.1",
            "b,2024-01-01T00:00:00,61.0,5.0",
        ],
    )
    assert _read(src).assumptions["schema"] == "generic"


# --------------------------------------------------------------------------- boundaries


def test_a_fix_at_the_very_start_of_gps_time_is_kept(tmp_path):
    # 'before 1980-01-06' rejects 1980-01-05T23:59:59, never 1980-01-06T00:00:00 itself
    src = _write(
        tmp_path / "t.csv",
        [
            HEADER,
            "257000000,1980-01-05T23:59:59Z,60.0,5.0,1",
            "257000000,1980-01-06T00:00:00Z,60.0,5.0001,1",
            "257000000,1980-01-06T00:10:00Z,60.0,5.01,1",
        ],
    )
    res = _read(src)
    assert _rules(res) == {2: "time_before_gps"}
    assert res.frame["time"].min() == pd.Timestamp("1980-01-06T00:00:00Z")


def _spike_file(tmp_path: Path, dlon: float, dt_s: int) -> tuple[Path, float]:
    """A ship A -> B -> A (B ``dlon`` east, ``dt_s`` seconds each way); B's speed in knots."""
    t0 = pd.Timestamp("2024-01-01T00:00:00Z")
    times = [t0 + pd.Timedelta(seconds=k * dt_s) for k in range(3)]
    lons = [5.0, 5.0 + dlon, 5.0]
    src = _write(
        tmp_path / "t.csv",
        [HEADER]
        + [
            f"257000000,{t.strftime('%Y-%m-%dT%H:%M:%SZ')},60.0,{x:.6f},5"
            for t, x in zip(times, lons, strict=True)
        ],
    )
    km = float(
        haversine_km(np.array([5.0]), np.array([60.0]), np.array([lons[1]]), np.array([60.0]))[0]
    )
    return src, km / 1.852 / (dt_s / 3600)


def test_a_ping_exactly_at_max_speed_is_kept_and_one_above_is_rejected(tmp_path):
    # 'faster than max_speed_kn' is rejected: the limit itself is a possible speed
    src, kn = _spike_file(tmp_path, 0.05, 600)
    assert 5 < kn < 30
    assert len(_read(src, max_speed_kn=kn).frame) == 3
    above = _read(src, max_speed_kn=kn * 0.999)
    assert _rules(above) == {3: "impossible_speed"}
    assert len(above.frame) == 2


def test_speeds_are_knots_not_kilometres_per_hour(tmp_path):
    # B is 2.78 km from A, 6 minutes each way: 27.8 km/h, 15.0 kn; a limit of 20 kn keeps it,
    # a limit of 14 kn rejects it (in km/h it would be rejected by both)
    src, kn = _spike_file(tmp_path, 0.05, 360)
    assert 14 < kn < 20 < kn * 1.852
    assert len(_read(src, max_speed_kn=20).frame) == 3
    assert _rules(_read(src, max_speed_kn=14)) == {3: "impossible_speed"}


def test_a_spike_seconds_apart_is_judged_by_its_seconds(tmp_path):
    # 500 m away and back, 10 s each way: 97 kn (a GPS jump); time is floored at 1 s only
    # (at a minute it read 16 kn, a sane speed)
    src, kn = _spike_file(tmp_path, 0.009, 10)
    assert 90 < kn < 100
    res = _read(src)
    assert _rules(res) == {3: "impossible_speed"}
    assert len(res.frame) == 2


# --------------------------------------------------------------------------- chunk boundaries

#: A CSV is cut into pieces of at least 64 KiB (``spill_tracks``): the first piece ends at
#: the last line end outside quotes before this byte.
_FIRST_BLOCK = 1 << 16


def _boundary_file(path: Path, eol: str) -> tuple[Path, dict[str, int]]:
    """A CSV whose 64 KiB cut falls inside a quoted newline, with tricky records after it.

    Returns the file and the physical lines (counted here, as written) of its records of
    interest.  Line 2 opens a quote that line 4 closes (``unbalanced_quote``, line 4
    ragged: the first piece's), ship A (257000001) fills the first piece, one ping a minute; then ship B's
    record whose note holds a line end straddles the cut; then, in the second piece: a
    ragged record, a ping of A at the time of its 500th ping but elsewhere (a
    ``duplicate_time``: the earlier one, in the first piece, is kept), a ping of ship C
    without time (C's timed pings are all in the first piece: ``time_missing``), more of
    B, and a last record whose quote is never closed (``unbalanced_quote``, its line named
    in a note).
    """
    t0 = pd.Timestamp("2024-01-01T00:00:00Z")

    def ts(minutes: int) -> str:
        return (t0 + pd.Timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    lines = [HEADER + ",note", f'257000009,{ts(0)},60.000000,5.000000,5,"early']
    lines += [f"257000003,{ts(0)},62.000000,5.000000,5,c", 'closing" here,x']
    size = sum(len(x) + len(eol) for x in lines)
    head = f'257000002,{ts(0)},61.000000,5.000000,5,"two{eol}'
    k = 1
    while True:
        c = [f"257000003,{ts(k)},62.000000,5.{k:06d},5,c"] if k < 3 else []
        row = c or [f"257000001,{ts(k)},60.000000,5.{k:06d},5,a"]
        if size + len(row[0]) + len(eol) + len(head) >= _FIRST_BLOCK:
            break
        lines += row
        size += len(row[0]) + len(eol)
        k += 1
    at = {"straddling": len(lines) + 1}
    lines.append(head + "lines, the second longer than the gap to the cut " + "x" * 60 + '"')
    at["ragged"] = at["straddling"] + 2
    lines.append(f"257000002,{ts(1)},61.000000,5.000100,5,b,extra")
    at["dup_time"] = at["ragged"] + 1
    lines.append(f"257000001,{ts(500)},60.500000,5.500000,5,late")
    at["time_missing"] = at["dup_time"] + 1
    lines.append("257000003,,62.000000,5.000003,5,c")
    at["b_last"] = at["time_missing"] + 1
    lines.append(f"257000002,{ts(2)},61.000000,5.000200,5,b")
    at["unclosed"] = at["b_last"] + 1
    lines.append(f'257000002,{ts(3)},61.000000,5.000300,5,"a quote never closed')
    path.write_bytes(eol.join(lines).encode() + eol.encode())
    assert _FIRST_BLOCK - 120 < len(head) + size - len(eol) < _FIRST_BLOCK  # the cut is inside
    return path, at


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_a_record_across_the_chunk_cut_and_the_records_after_it(tmp_path, eol):
    src, at = _boundary_file(tmp_path / "t.csv", eol)
    whole = _read(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spill = spill_tracks(src, tmp_path / "spill", chunk_rows=1, n_buckets=3)
    # three pieces: up to the straddling record (the cut is exercised), up to the last
    # record, whose open quote keeps it out of the second piece
    assert len(spill.reject_parts) == 3
    # the hand counts: the lines as written, the rules the records break
    want = {2: "unbalanced_quote", 4: "ragged_row", at["ragged"]: "ragged_row"}
    want[at["dup_time"]] = "duplicate_time"
    want[at["time_missing"]] = "time_missing"
    want[at["unclosed"]] = "unbalanced_quote"
    assert _rules(whole) == want
    # one note of the file's two unclosed quotes, one in each piece
    said = [n for n in whole.notes if "open a quote" in n]
    assert len(said) == 1 and ": 2 line(s) open" in said[0]
    assert f"(line(s) 2, {at['unclosed']})" in said[0]
    b = whole.frame[whole.frame["vessel_id"] == "257000002"]
    assert len(b) == 2  # the straddling record and the last one, whole
    assert whole.lines[whole.frame.index[whole.frame["vessel_id"] == "257000002"]].tolist() == [
        at["straddling"],
        at["b_last"],
    ]
    # the chunked read says the same, line for line and byte for byte
    store = PingStore([spill], root=tmp_path / "spill")
    assert spill.n_read == whole.n_read == len(whole.frame) + len(whole.rejects)
    assert spill.by_rule == whole.by_rule
    assert spill.notes == whole.notes
    pd.testing.assert_frame_equal(store.to_frame(), whole.frame)
    a = write_rejects(whole, tmp_path / "a")
    assert spill.write_rejects(tmp_path / "b").read_bytes() == a.read_bytes()


#: Exports that lack one mark of a provider's schema, whose speed unit the schema would set:
#: each is a generic file, its speeds in knots as written.
NOT_A_PROVIDER = {
    # GTFS-realtime names a trip and a vehicle or route, its speed in m/s; a fleet log with
    # a 'trip' number and a plain 'speed' is not one
    "gtfs-without-vehicle": [
        "boat,trip,timestamp,lat,lon,speed",
        "a,1,2024-01-01T00:00:00Z,60.0,5.0,7.5",
        "a,1,2024-01-01T01:00:00Z,60.0,5.1,7.5",
        "b,2,2024-01-01T00:00:00Z,61.0,5.0,7.5",
    ],
    # MarineTraffic's API answer (MMSI, SHIP_ID, SPEED) writes knots x10; an AIS export with
    # 'mmsi' and a whole-number 'speed' but no SHIP_ID is not one
    "marinetraffic-without-ship-id": [
        "mmsi,timestamp,lat,lon,speed",
        "257000000,2024-01-01T00:00:00Z,60.0,5.0,12",
        "257000000,2024-01-01T01:00:00Z,60.0,5.4,12",
        "257000001,2024-01-01T00:00:00Z,61.0,5.0,3",
    ],
    # a FIT record has position_lat and position_long (speeds in m/s); one alone is not one
    "fit-position-lat-alone": [
        "mmsi,timestamp,position_lat,lon,speed",
        "257000000,2024-01-01T00:00:00Z,60.0,5.0,8",
        "257000000,2024-01-01T01:00:00Z,60.0,5.3,8",
        "257000001,2024-01-01T00:00:00Z,61.0,5.0,8",
    ],
}


@pytest.mark.parametrize("case", sorted(NOT_A_PROVIDER))
def test_a_header_without_a_providers_mark_is_generic_in_knots(tmp_path, case):
    lines = NOT_A_PROVIDER[case]
    res = _read(_write(tmp_path / "t.csv", lines))
    assert res.assumptions["schema"] == "generic"
    written = sorted(float(line.rsplit(",", 1)[1]) for line in lines[1:])
    assert sorted(res.frame["sog_kn"].tolist()) == written


# --------------------------------------------------------------------------- MMSI classes


@pytest.mark.parametrize(
    ("mmsi", "why"),
    [
        ("812345678", "handheld"),
        ("972345678", "SART"),
        ("222222222", "placeholder"),
        ("111234567", "SAR aircraft"),
        ("992345678", "aid to navigation"),
        ("002345678", "coast/base station"),
        ("023456789", "group call"),
        ("235000001", None),
        ("982345678", None),
    ],
)
def test_mmsi_kinds_by_their_leading_digits(tmp_path, mmsi, why):
    # ITU-R M.585 (the MMSI's leading digits say what kind of station it is)
    src = _write(
        tmp_path / "t.csv",
        [
            HEADER,
            f"{mmsi},2024-01-01T00:00:00Z,60.0,5.0,1",
            "235999999,2024-01-01T00:00:00Z,60.0,5.0,1",
        ],
    )
    res = _read(src)
    if why is None:
        assert len(res.frame) == 2 and not len(res.rejects)
    else:
        assert _rules(res) == {2: "mmsi_not_vessel"}
        assert why in res.rejects["message"].iloc[0]


# --------------------------------------------------------------------------- positions


def test_null_island_is_both_zeros_not_either(tmp_path):
    # (0, 0) is a placeholder; a ship on the equator or on the prime meridian is not
    src = _write(
        tmp_path / "t.csv",
        [
            HEADER,
            "257000000,2024-01-01T00:00:00Z,0.0,5.0,1",
            "257000000,2024-01-01T01:00:00Z,0.0,5.01,1",
            "257000001,2024-01-01T00:00:00Z,50.0,0.0,1",
            "257000001,2024-01-01T01:00:00Z,50.01,0.0,1",
            "257000002,2024-01-01T00:00:00Z,0.0,0.0,1",
        ],
    )
    res = _read(src)
    assert _rules(res) == {6: "null_island"}
    assert len(res.frame) == 4


# --------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize("moved", ["lat", "lon"])
def test_same_vessel_and_time_at_another_position_is_a_duplicate_time(tmp_path, moved):
    # the position is both coordinates: one differing makes another position
    lat, lon = ("60.1", "5.0") if moved == "lat" else ("60.0", "5.1")
    src = _write(
        tmp_path / "t.csv",
        [
            HEADER,
            "257000000,2024-01-01T00:00:00Z,60.0,5.0,1",
            f"257000000,2024-01-01T00:00:00Z,{lat},{lon},1",
            "257000000,2024-01-01T00:00:00Z,60.0,5.0,1",
        ],
    )
    res = _read(src)
    assert _rules(res) == {3: "duplicate_time", 4: "duplicate"}
    assert res.lines.tolist() == [2]


# --------------------------------------------------------------------------- speeds


def test_a_spike_and_then_the_end_it_hid_are_both_peeled(tmp_path):
    # X (first, 2 degrees north), A, B, S (a spike 2 degrees south), C, D, an hour apart
    # each: X is judged only once the spike S is gone (a track with a spike has its ends
    # left alone): a second pass of the rule
    res = _read_hourly(
        tmp_path, [(62.0, 5.0), (60.0, 5.0), (60.0, 5.05), (58.0, 5.1), (60.0, 5.15), (60.0, 5.2)]
    )
    assert _rules(res) == {2: "impossible_speed", 5: "impossible_speed"}
    assert res.lines.tolist() == [3, 4, 6, 7]


def test_an_impossible_speed_message_gives_the_faster_of_its_two_legs(tmp_path):
    # A -> S -> B: S reached over 1.5 degrees of latitude in an hour, left over 3 degrees
    res = _read_hourly(tmp_path, [(60.0, 5.0), (61.5, 5.0), (58.5, 5.0), (58.5, 5.01)])
    assert _rules(res) == {3: "impossible_speed"}
    legs = haversine_km(np.array([5.0, 5.0]), np.array([60.0, 61.5]), 5.0, np.array([61.5, 58.5]))
    fastest = float(legs.max()) / 1.852  # km in an hour, in knots
    assert f"ping implies {fastest:.0f} kn" in res.rejects["message"].iloc[0]


@pytest.mark.parametrize("header", ["speed [m/s]", "speed_mps"])
def test_metres_per_second_are_converted_to_knots(tmp_path, header):
    # 5 m/s = 18 km/h = 9.72 kn (1 kn = 1852 m an hour)
    src = _write(
        tmp_path / "t.csv",
        [
            f"mmsi,timestamp,lat,lon,{header}",
            "257000000,2024-01-01T00:00:00Z,60.0,5.0,5",
            "257000000,2024-01-01T01:00:00Z,60.0,5.3,5",
        ],
    )
    res = _read(src)
    assert res.frame["sog_kn"].to_numpy() == pytest.approx(5 * 3600 / 1852)


@pytest.mark.parametrize(("lat", "lon"), [("91", "5.0"), ("60.0", "181")], ids=["lat91", "lon181"])
def test_either_ais_position_sentinel_alone_is_position_unavailable(tmp_path, lat, lon):
    # ITU-R M.1371: latitude 91 or longitude 181 is 'not available', each on its own
    src = _write(
        tmp_path / "t.csv",
        [
            HEADER,
            "257000000,2024-01-01T00:00:00Z,60.0,5.0,1",
            f"257000000,2024-01-01T01:00:00Z,{lat},{lon},1",
        ],
    )
    assert _rules(_read(src)) == {3: "position_unavailable"}


# --------------------------------------------------------------------------- GPX, routes

_GPX = '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">{}</gpx>'


def _trk(lat: float, hour: int) -> str:
    return (
        f'<trk><trkseg><trkpt lat="{lat}" lon="10"><time>2023-01-01T{hour:02d}:00:00Z</time>'
        "</trkpt></trkseg></trk>"
    )


def test_two_unnamed_tracks_of_one_gpx_file_are_two_vessels_named_by_the_file(tmp_path):
    # 55 N then 56 N an hour later: one vessel, it would be a 60 kn jump; two, each kept
    path = tmp_path / "phone.gpx"
    path.write_text(_GPX.format(_trk(55, 0) + _trk(56, 1)))
    res = _read(path)
    assert sorted(res.frame["vessel_id"]) == ["phone:track_0", "phone:track_1"]
    assert not len(res.rejects)


def _routes(tmp_path: Path, features: list[dict]) -> Path:
    import json

    path = tmp_path / "routes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _line(coords: list[list[float]], **props) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def test_route_vertices_are_timed_by_distance_along_their_own_feature(tmp_path):
    # along a meridian distance is in proportion to latitude: 0.1 then 0.2 degree is a
    # third then the rest of 3 hours; the second feature starts at its own start time
    path = _routes(
        tmp_path,
        [
            _line(
                [[5.0, 60.0], [5.0, 60.1], [5.0, 60.3]],
                start_time="2024-01-01T00:00:00Z",
                end_time="2024-01-01T03:00:00Z",
            ),
            _line(
                [[6.0, 61.0], [6.0, 61.2]],
                start_time="2024-01-01T02:00:00Z",
                end_time="2024-01-01T04:00:00Z",
            ),
        ],
    )
    res = _read(path)
    hours = (res.frame["time"] - pd.Timestamp("2024-01-01T00:00:00Z")) / pd.Timedelta(hours=1)
    assert hours.round(6).tolist() == [0.0, 1.0, 3.0, 2.0, 4.0]
    assert res.frame["vessel_id"].tolist() == ["routes:route_1"] * 3 + ["routes:route_2"] * 2
    assert res.lines.tolist() == [1, 1, 1, 2, 2]  # a vertex's line is its feature's number


def test_route_features_rejected_whole_are_at_their_feature_number(tmp_path):
    # feature 1 lists a time per vertex, feature 2 one time for two vertices, feature 3 has
    # no geometry
    times = ["2024-01-01T00:00:00Z", "2024-01-01T00:30:00Z", "2024-01-01T02:00:00Z"]
    path = _routes(
        tmp_path,
        [
            _line([[5.0, 60.0], [5.0, 60.1], [5.0, 60.3]], coordTimes=times),
            _line([[6.0, 61.0], [6.0, 61.2]], coordTimes=times[:1]),
            {"type": "Feature", "properties": {"coordTimes": times[:1]}, "geometry": None},
        ],
    )
    res = _read(path)
    assert _rules(res) == {2: "vertex_times_count", 3: "geometry_missing"}
    assert res.frame["time"].dt.strftime("%H:%M").tolist() == ["00:00", "00:30", "02:00"]
    assert res.lines.tolist() == [1, 1, 1]


def test_the_ping_after_a_spike_at_a_tracks_end_is_not_blamed(tmp_path):
    # A, B, S (2 degrees south), C (back, the last ping): only S is rejected; C is reached
    # fast from S, but S is the outlier and C is where the track goes on from B
    res = _read_hourly(tmp_path, [(60.0, 5.0), (60.0, 5.05), (58.0, 5.1), (60.0, 5.15)])
    assert _rules(res) == {4: "impossible_speed"}
    assert res.lines.tolist() == [2, 3, 5]


@pytest.mark.parametrize("limit", [0.0, -5.0, float("nan")], ids=["zero", "negative", "nan"])
def test_a_speed_limit_that_is_no_positive_number_is_refused_whole_or_in_chunks(tmp_path, limit):
    # 0 rejected every moving ping as impossible_speed, NaN none: never a limit
    src = _write(
        tmp_path / "t.csv",
        [
            HEADER,
            "257000000,2024-01-01T00:00:00Z,60.0,5.0,1",
            "257000000,2024-01-01T01:00:00Z,60.0,5.1,1",
        ],
    )
    with pytest.raises(InputError, match="max_speed_kn must be > 0"):
        read_tracks(src, max_speed_kn=limit)
    with pytest.raises(InputError, match="max_speed_kn must be > 0"):
        spill_tracks(src, tmp_path / "spill", max_speed_kn=limit)
    with pytest.raises(InputError, match="max_speed_kn must be > 0"):
        spill_tracks_partitioned([src], [tmp_path / "parts"], None, max_speed_kn=limit)


def test_an_untimed_routes_points_are_no_duplicates_of_each_other(tmp_path):
    # a vessel without any time is an untimed route: its points, all at no time, are kept
    # (a missing time equals no other); the same point twice is still a duplicate
    src = _write(
        tmp_path / "t.csv",
        [
            HEADER,
            "257000000,2024-01-01T00:00:00Z,60.0,5.0,1",
            "257000001,,61.0,5.0,1",
            "257000001,,61.1,5.0,1",
            "257000001,,61.2,5.0,1",
            "257000001,,61.2,5.0,1",
        ],
    )
    res = _read(src)
    assert _rules(res) == {6: "duplicate"}
    assert res.lines.tolist() == [2, 3, 4, 5]


def _spilled(src, tmp_path: Path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spill = spill_tracks(src, tmp_path / "spill", **kw)
    return spill, PingStore([spill], root=tmp_path / "spill")


def test_a_quoted_value_longer_than_two_chunks_is_one_record_in_chunks(tmp_path):
    # a note of 150 KB over 1500 lines: no line end outside quotes in the first pieces read
    # after it starts, so the piece waits for its end (up to four chunks) rather than cut it
    note = "\n".join(["a long note line " + "z" * 83] * 1500)
    lines = [HEADER + ",note"]
    lines += [f"257000000,2024-01-01T0{h}:00:00Z,60.0,5.0{h},5,x" for h in range(3)]
    lines.append(f'257000001,2024-01-01T00:00:00Z,61.0,5.0,5,"{note}"')
    lines += [f"257000001,2024-01-01T0{h}:00:00Z,61.0,5.0{h},5,x" for h in range(1, 4)]
    src = _write(tmp_path / "t.csv", lines)
    whole = _read(src)
    assert len(whole.frame) == 7 and not len(whole.rejects)
    assert whole.lines.tolist() == [2, 3, 4, 5, 1505, 1506, 1507]  # 1499 line ends inside
    spill, store = _spilled(src, tmp_path, chunk_rows=1, n_buckets=2)
    assert spill.n_read == 7 and spill.by_rule == {}
    pd.testing.assert_frame_equal(store.to_frame(), whole.frame)


@pytest.mark.parametrize("where", ["given", "found"])
def test_a_cp1252_vessel_name_reads_alike_whole_and_in_chunks(tmp_path, monkeypatch, where):
    # 'given': encoding cp1252 set in the options; 'found': no encoding set, the one byte
    # that is not UTF-8 far past the first block the survey of the encoding reads (made
    # 64 bytes here): the whole file decides, never its first block
    rows = [f"Bergen,2024-01-01T0{h}:00:00Z,60.0,5.0{h}" for h in range(6)]
    rows += [f"Sjøblomst,2024-01-01T0{h}:00:00Z,61.0,5.0{h}" for h in range(3)]
    src = tmp_path / "t.csv"
    src.write_bytes(("\n".join(["boat,timestamp,lat,lon", *rows]) + "\n").encode("cp1252"))
    if where == "given":
        from pipeline.ingest import TrackSource

        source = TrackSource(path=src, encoding="cp1252")
    else:
        from pipeline.ingest import stream

        monkeypatch.setattr(stream, "_SURVEY_BLOCK", 64)
        source = src
    whole = _read(source)
    assert sorted(set(whole.frame["vessel_id"])) == ["Bergen", "Sjøblomst"]
    spill, store = _spilled(source, tmp_path, chunk_rows=1, n_buckets=2)
    pd.testing.assert_frame_equal(store.to_frame(), whole.frame)


def test_a_rule_broken_in_several_buckets_is_counted_over_all_of_them(tmp_path):
    # eight vessels, each with one exact duplicate: 8 duplicates, whatever bucket each is in
    rows = []
    for v in range(8):
        ping = f"25700000{v},2024-01-01T00:00:00Z,6{v}.0,5.0,1"
        rows += [ping, ping, f"25700000{v},2024-01-01T01:00:00Z,6{v}.0,5.01,1"]
    src = _write(tmp_path / "t.csv", [HEADER, *rows])
    assert _read(src).by_rule == {"duplicate": 8}
    spill, _ = _spilled(src, tmp_path, chunk_rows=1, n_buckets=5)
    assert spill.by_rule == {"duplicate": 8}


def test_of_two_pings_too_far_apart_the_later_is_rejected_not_both(tmp_path):
    # a track of two pings 2 degrees apart in an hour: the one reached too fast is the
    # second; the first has nothing sane after it to vouch for it being the outlier
    src = _write(
        tmp_path / "t.csv",
        [
            HEADER,
            "257000000,2024-01-01T00:00:00Z,60.0,5.0,1",
            "257000000,2024-01-01T01:00:00Z,62.0,5.0,1",
        ],
    )
    res = _read(src)
    assert _rules(res) == {3: "impossible_speed"}
    assert res.lines.tolist() == [2]


def test_a_layer_of_as_many_lines_as_points_is_read_as_pings(tmp_path):
    # a stray line beside pings (no more lines than points) is a feature of the wrong type
    # in a layer of pings, not a reason to read the layer as routes
    props = {"vessel": "a", "time": "2024-01-01T00:00:00Z"}
    point = {"type": "Feature", "properties": props}
    point["geometry"] = {"type": "Point", "coordinates": [5.0, 60.0]}
    path = _routes(tmp_path, [point, _line([[5.0, 60.0], [5.1, 60.1]], **props)])
    res = _read(path)
    assert _rules(res) == {2: "geometry_wrong_type"}
    assert res.frame[["lon", "lat"]].values.tolist() == [[5.0, 60.0]]
