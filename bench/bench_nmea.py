"""Benchmark: decoding raw AIS sentences, pyais (the reference library) against ours.

A feed of ``!AIVDM`` position reports (types 1, 3, 18; a tag block's epoch on each line) is
decoded to MMSI, time, latitude, longitude, speed and course: with pyais, one
``NMEASentenceFactory.produce``/``decode`` per line (what a script built on it does), and with
:func:`pipeline.ingest._nmea.read_nmea_positions`, vectorised over the file.  Both give the
same values (checked here, as ``tests/test_nmea_tracks.py`` checks them on every message
type); the table gives seconds, the ratio and the peak memory above the start.

    .venv/bin/python bench/bench_nmea.py [--quick]

``--quick``: 20,000 sentences (default 1,000,000; best of two runs each).  Results: ``bench/results/nmea.json``.
"""

from __future__ import annotations

import argparse
import sys
from functools import reduce
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, peer_and_ours_rows, write_results  # noqa: E402


def _tag(text: str) -> str:
    """A tag block with its checksum (XOR of its characters), as receivers write it."""
    return f"\\{text}*{reduce(lambda a, c: a ^ ord(c), text, 0):02X}\\"


def _feed(n: int) -> bytes:
    from pyais.encode import encode_dict

    rng = np.random.default_rng(7)
    base = []
    for _ in range(1000):
        msg = {
            "type": int(rng.choice([1, 3, 18])),
            "mmsi": int(rng.integers(200_000_000, 775_999_999)),
            "lat": round(float(rng.uniform(-60, 60)), 4),
            "lon": round(float(rng.uniform(-170, 170)), 4),
            "speed": round(float(rng.uniform(0, 30)), 1),
            "course": round(float(rng.uniform(0, 359)), 1),
        }
        (sentence,) = encode_dict(msg, radio_channel="B")
        base.append(sentence)
    lines = [f"{_tag(f's:2573535,c:{1_600_000_000 + i}')}{base[i % 1000]}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def _pyais(data: bytes) -> list[tuple]:
    """Decode line by line with pyais, the moment from the tag block."""
    from pyais.messages import NMEASentenceFactory

    out = []
    for line in data.splitlines():
        msg = NMEASentenceFactory.produce(line)
        fields = msg.decode()
        epoch = None
        if msg.tag_block is not None:
            msg.tag_block.init()
            epoch = msg.tag_block.receiver_timestamp
        out.append((fields.mmsi, epoch, fields.lat, fields.lon, fields.speed, fields.course))
    return out


def main() -> None:
    """Decode the same feed both ways; write ``bench/results/nmea.json``."""
    from pipeline.ingest._nmea import read_nmea_positions

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 sentences")
    args = ap.parse_args()
    n = 20_000 if args.quick else 1_000_000
    data = _feed(n)
    peer_s, peer_mem, ref = measure(lambda: _pyais(data), repeat=2)
    ours_s, ours_mem, got = measure(lambda: read_nmea_positions(data, "feed.nmea"), repeat=2)
    frame = got.frame
    assert len(frame) == len(ref) == n
    lat = np.array([r[2] for r in ref], dtype=float)
    lon = np.array([r[3] for r in ref], dtype=float)
    same = bool(
        np.allclose(frame["lat"], lat, atol=1e-9)
        and np.allclose(frame["lon"], lon, atol=1e-9)
        and list(frame["mmsi"]) == [str(r[0]) for r in ref]
    )
    rows = peer_and_ours_rows("pyais, a message at a time", peer_s, peer_mem, ours_s, ours_mem)
    write_results("nmea", rows, quick=args.quick, sentences=n, same_values=same)
    if not same:
        raise SystemExit("the decoded values differ from pyais's")


if __name__ == "__main__":
    main()
