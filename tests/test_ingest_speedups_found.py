"""Guards on the track-ingest speed-ups: what they publish is what the plain path publishes.

An adversarial review of the spill speed-ups (small buckets checked in one call; a file's
rejects CSV written once and copied from the cache) compared their published bytes with the
code before them on the Solent AIS, GPX and synthetic feeds and found none differing; these
tests keep the two riskiest claims checked on small inputs.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _ingest_stage import ingest_alone as _ingest

T0 = pd.Timestamp("2024-03-01T00:00:00Z")
HEADER = "mmsi,timestamp,lat,lon,sog,note"
NOTE = "x" * 200  # long lines: more buckets a chunk, each small enough to share a call


def _rows(hours: range, lines_extra: list[str] | None = None) -> list[str]:
    """Sixteen ships, a ping an hour; a few records that rules reject."""
    rows = [
        f"{257000001 + k},{T0 + pd.Timedelta(hours=h, minutes=k):%Y-%m-%dT%H:%M:%SZ},"
        f"{42 + k * 0.2:.2f},{2 + h * 0.01:.4f},3.0,{NOTE}"
        for h in hours
        for k in range(16)
    ]
    rows.insert(3, rows[2])  # a duplicate
    rows.insert(5, "=cmd|' /C calc'!A0,2024-03-01T00:00:00Z,43.0,2.0,3.0," + NOTE)  # a formula
    rows.insert(9, "257000002,not a time,43.0,3.0,3.0," + NOTE)
    return rows + (lines_extra or [])


def _write(path, rows):
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def _published(state) -> dict[str, bytes]:
    files = {"pings.parquet": (state.staging / "pings.parquet").read_bytes()}
    for p in sorted((state.staging / "rejects").iterdir()):
        files[p.name] = p.read_bytes()
    return files


def test_buckets_checked_together_publish_what_one_at_a_time_publishes(tmp_path, monkeypatch):
    import pipeline.ingest.stream as stream

    day = _write(tmp_path / "day.csv", _rows(range(3)))
    calls: list[int] = []
    check = stream._check_buckets
    monkeypatch.setattr(
        stream,
        "_check_buckets",
        lambda keys, *a, **k: calls.append(len(keys)) or check(keys, *a, **k),
    )
    together = _ingest(tmp_path, "together", [day], 40)
    assert max(calls) > 1  # some buckets were checked in one call
    real = stream._check_context

    def one_at_a_time(*args, **kwargs):
        return {**real(*args, **kwargs), "batch_rows": 1}  # each bucket its own call

    monkeypatch.setattr(stream, "_check_context", one_at_a_time)
    calls.clear()
    alone = _ingest(tmp_path, "alone", [day], 40)
    assert max(calls) == 1
    assert _published(together) == _published(alone)
    assert together.ingest_report == alone.ingest_report


@pytest.mark.parametrize("chunk_rows", [None, 16], ids=["whole", "spilled"])
def test_a_cached_rejects_csv_follows_the_earlier_files_of_each_night(tmp_path, chunk_rows):
    first = _write(tmp_path / "a.csv", _rows(range(4)))
    # b repeats a's last hour (duplicate_across_files while a is read before it)
    second = _write(tmp_path / "b.csv", _rows(range(3, 7)))
    for n, tracks in enumerate(([first, second], [second], [second, first], [first, second])):
        nightly = _ingest(tmp_path, "nightly", tracks, chunk_rows)
        cold = _ingest(tmp_path, f"cold{n}", tracks, chunk_rows)
        assert _published(nightly) == _published(cold), n
        across = pd.read_csv(nightly.staging / "rejects" / "tracks-b.csv", dtype=str)
        repeats = (across["rule"] == "duplicate_across_files").sum()
        assert repeats == (16 if tracks[0] == first else 0), n
