"""Raw AIS sentences (``!AIVDM``) are decoded into pings, checked against pyais.

What a coast guard's own receiver logs was refused ("not positions yet; decode them first").
The position reports (types 1-3, 18, 19, 27) are decoded vectorised over the file; every
other line is rejected at its physical line with its rule (another message type, a part of
a multi-sentence message, a wrong checksum, a short payload, no moment, no sentence).  The
values are checked against pyais, the reference decoder, on encoded random messages.
"""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from _nmea_text import tag as _tag

pyais = pytest.importorskip("pyais")
from pyais.encode import encode_dict  # noqa: E402

from pipeline.ingest import TrackSource, read_tracks  # noqa: E402
from pipeline.ingest._nmea import read_nmea_positions  # noqa: E402

POSITION_TYPES = (1, 2, 3, 18, 19, 27)


def _message(rng, kind: int) -> dict:
    d = {
        # pyais takes the class from 'type' and the type field from 'msg_type' (default
        # 1): without it types 2 and 3 were encoded as type 1, never decoded as theirs
        "type": kind,
        "msg_type": kind,
        "mmsi": int(rng.integers(200_000_000, 775_999_999)),
        "lat": round(float(rng.uniform(-89.9, 89.9)), 4),
        "lon": round(float(rng.uniform(-179.9, 179.9)), 4),
        "speed": round(float(rng.uniform(0, 60)), 1),
        "course": round(float(rng.uniform(0, 359.9)), 1),
    }
    if kind == 27:  # tenths of a minute, whole knots and degrees
        d.update(lat=round(d["lat"], 1), lon=round(d["lon"], 1))
        d.update(speed=int(d["speed"]), course=int(d["course"]))
    if kind == 5:
        d = {"type": 5, "mmsi": d["mmsi"], "shipname": "ATLANTIC STAR", "destination": "NLRTM"}
    if kind == 21:
        d = {"type": 21, "mmsi": d["mmsi"], "lat": d["lat"], "lon": d["lon"], "name": "BUOY 7"}
    return d


def test_position_reports_decode_as_pyais_does():
    rng = np.random.default_rng(20)
    lines, want = [], []
    for i in range(400):
        kind = int(rng.choice([*POSITION_TYPES, 4, 5, 21]))
        sentences = encode_dict(_message(rng, kind), radio_channel="B")
        lines += [f"{_tag(f's:rORBCOMM,c:{1_600_000_000 + i}')}{s}" for s in sentences]
        if kind in POSITION_TYPES:
            m = pyais.decode(*sentences).asdict()
            want.append((str(m["mmsi"]), m["lat"], m["lon"], m["speed"], m["course"]))
    got = read_nmea_positions(("\n".join(lines) + "\n").encode(), "feed.nmea")
    ref = pd.DataFrame(want, columns=["mmsi", "lat", "lon", "sog", "cog"])
    assert len(got.frame) == len(ref) > 200
    assert list(got.frame["mmsi"]) == list(ref["mmsi"])
    for col in ("lat", "lon", "sog", "cog"):
        np.testing.assert_allclose(got.frame[col], ref[col].astype(float), atol=1e-9)
    assert got.n_read == len(lines) == len(got.frame) + len(got.rejects)
    assert set(got.rejects["rule"]) == {"nmea_not_position", "nmea_multipart"}


def _feed(tmp_path, name="feed.nmea"):
    """Two vessels, 30 reports each, a tag block's epoch; bad lines at known lines."""
    lines = []
    for i in range(30):
        for v, (lat, lon) in enumerate([(50.70, -1.10), (50.75, -1.20)]):
            msg = {"type": 1, "mmsi": 235_000_001 + v, "lat": lat + i / 1000, "lon": lon + i / 1000}
            msg.update(speed=10.0, course=45.0)
            (s,) = encode_dict(msg, radio_channel="B")
            lines.append(f"{_tag(f's:2573535,c:{1_600_000_000 + 60 * i + v}')}{s}")
    good = lines[6]
    body, cs = good.rsplit("*", 1)
    lines.insert(4, "# receiver restarted")  # line 5
    lines.insert(7, f"{body}*{int(cs, 16) ^ 0x55:02X}")  # line 8: damaged
    lines.insert(9, good.split("\\", 2)[2])  # line 10: no tag block, no moment
    lines.insert(11, "")  # line 12: blank, no record
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_feed_is_read_with_every_line_accounted_for(tmp_path):
    res = read_tracks(_feed(tmp_path))
    assert res.n_read == 63 and len(res.frame) == 60
    got = dict(zip(res.rejects["row"], res.rejects["rule"], strict=True))
    assert got == {5: "nmea_comment", 8: "nmea_checksum", 10: "nmea_no_time"}
    assert sorted(res.frame["vessel_id"].unique()) == ["235000001", "235000002"]
    first = res.frame.iloc[0]
    assert first["time"] == pd.Timestamp(1_600_000_000, unit="s", tz="UTC")
    assert first["lat"] == pytest.approx(50.70, abs=1e-5)
    assert res.assumptions["schema"] == "nmea"


@pytest.mark.parametrize("shape", ["prefix", "suffix"])
def test_a_receiver_time_in_front_or_an_epoch_after_the_checksum(tmp_path, shape):
    (s,) = encode_dict(
        {"type": 18, "mmsi": 244_123_456, "lat": 52.1, "lon": 4.3, "speed": 5.0, "course": 90.0},
        radio_channel="A",
    )
    if shape == "prefix":
        lines = [f"2021-03-04 05:{6 + k:02d}:00.250 {s}" for k in range(3)]  # a minute apart
    else:
        lines = [f"{s},{1_614_834_366 + 60 * k}" for k in range(3)]  # a minute apart
    path = tmp_path / "log.txt"  # a receiver's log under another suffix: read by content
    path.write_text("\n".join(lines) + "\n")
    res = read_tracks(TrackSource(path=path))
    assert len(res.frame) == 3 and res.frame["lon"].iloc[0] == pytest.approx(4.3, abs=1e-5)
    first = res.frame["time"].iloc[0]
    assert first == pd.Timestamp(
        "2021-03-04 05:06:00.250" if shape == "prefix" else "2021-03-04 05:06:06", tz="UTC"
    )


def test_a_gzipped_feed_reads_as_the_plain_one(tmp_path):
    plain = read_tracks(_feed(tmp_path))
    packed = tmp_path / "feed.nmea.gz"
    packed.write_bytes(gzip.compress(_feed(tmp_path, "again.nmea").read_bytes()))
    got = read_tracks(packed)
    pd.testing.assert_frame_equal(got.frame, plain.frame)
    assert list(got.rejects["row"]) == list(plain.rejects["row"])


@pytest.mark.parametrize("how", ["chunks", "parts"])
def test_a_feed_spills_as_it_reads_whole(tmp_path, how):
    from pipeline.engine import LocalEngine
    from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned

    path = _feed(tmp_path, "feed.txt")  # found by its content, chunked readers included
    whole = read_tracks(path)
    folder = tmp_path / "spill"
    folder.mkdir()
    if how == "chunks":
        spill = spill_tracks(path, folder, chunk_rows=7, n_buckets=2)
    else:
        (spill,) = spill_tracks_partitioned([path], [folder], LocalEngine(), chunk_rows=7)
    store = PingStore([spill], root=folder)
    assert spill.n_read == whole.n_read and spill.by_rule == whole.by_rule
    pd.testing.assert_frame_equal(store.to_frame(), whole.frame)


def test_a_report_heard_by_two_stations_is_one_ping():
    # an aggregated feed holds each transmission once per station that heard it, a few ms
    # apart: each was a ping of its own (the pings table and counts doubled, unsaid)
    (s,) = encode_dict(
        {"type": 1, "mmsi": 257_000_001, "lat": 60.1, "lon": 5.3, "speed": 9.0, "course": 10.0}
    )
    (t,) = encode_dict(
        {"type": 1, "mmsi": 257_000_002, "lat": 60.2, "lon": 5.4, "speed": 9.0, "course": 10.0}
    )
    lines = [
        _tag("s:2573535,c:1600000000.120") + s,  # heard by one station
        _tag("s:2573345,c:1600000000.125") + s,  # and by another, 5 ms later
        _tag("s:2573345,c:1600000000.300") + t,  # another vessel
        _tag("s:2573535,c:1600000060.120") + s,  # the same bits a minute later: a new report
    ]
    got = read_nmea_positions(("\n".join(lines) + "\n").encode(), "feed.nmea")
    assert list(got.lines) == [1, 3, 4]
    assert list(got.rejects["row"]) == [2] and list(got.rejects["rule"]) == ["nmea_duplicate"]
    assert (
        "line 1" in got.rejects["message"].iloc[0] and "0.005 s" in got.rejects["message"].iloc[0]
    )
    assert got.n_read == len(got.frame) + len(got.rejects) == 4


def test_a_column_mapping_on_raw_ais_is_said_unused(tmp_path):
    # the decoder names its own fields: a mapping given for the file was dropped unsaid
    res = read_tracks(TrackSource(path=_feed(tmp_path), columns={"vessel_id": "callsign"}))
    assert any("not used: raw AIS sentences" in n for n in res.notes)
    assert sorted(res.frame["vessel_id"].unique()) == ["235000001", "235000002"]
