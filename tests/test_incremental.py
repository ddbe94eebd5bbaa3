"""Incremental nightly runs (issue 15): reused work is exactly the work a full run does.

A night adds a day of AIS pings (a new track file) and appends seizure rows.  Unchanged
track files are not parsed again (their spill is rebuilt from the per-file cache), and the
products of the nightly run equal those of a full run of the same inputs byte for byte.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from _corpus import CORPUS, IGNORE_PENDING_DEPRECATION

from pipeline.ingest.stream import (
    PingStore,
    record_to_spill,
    spill_to_record,
    spill_tracks,
)

pytestmark = IGNORE_PENDING_DEPRECATION


def _spill(src, folder: Path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spill_tracks(src, folder, **kw)


@pytest.mark.parametrize("n_buckets", [3, 5])
@pytest.mark.parametrize("name", ["t_generic.csv", "t_dma.csv", "t_marinecadastre.csv"])
def test_spill_record_rebuilds_the_same_spill(tmp_path, name, n_buckets):
    """A spill rebuilt from its record (any bucket count) holds the same pings and rejects."""
    src = CORPUS / name
    spill = _spill(src, tmp_path / "a", chunk_rows=3, n_buckets=3)
    record = spill_to_record(spill)
    again = record_to_spill(record, tmp_path / "b", n_buckets)
    fresh = _spill(src, tmp_path / "c", chunk_rows=3, n_buckets=n_buckets)
    assert (again.n_read, again.n_accepted, again.by_rule) == (
        fresh.n_read,
        fresh.n_accepted,
        fresh.by_rule,
    )
    assert list(again.vessels) == list(fresh.vessels)
    assert list(again.vessel_rows) == list(fresh.vessel_rows)
    assert (again.time_max, again.extent) == (fresh.time_max, fresh.extent)
    assert sorted(again.buckets) == sorted(fresh.buckets)
    for k, path in fresh.buckets.items():
        assert again.buckets[k].read_bytes() == path.read_bytes()
    a = again.write_rejects(tmp_path / "ra")
    b = fresh.write_rejects(tmp_path / "rb")
    assert a.read_bytes() == b.read_bytes()
    pa_ = PingStore([again], chunk_rows=4).write_parquet(tmp_path / "a.parquet")
    pb = PingStore([fresh], chunk_rows=4).write_parquet(tmp_path / "b.parquet")
    assert pa_.read_bytes() == pb.read_bytes()


def test_spill_record_of_a_file_with_rejects_keeps_them_all(tmp_path):
    rows = "mmsi,timestamp,lat,lon,sog\n" + "".join(
        f"2111111{v:02d},2024-01-01T0{h}:00:00Z,{10 + h * 0.01},{20 + v * 0.01},5\n"
        for v in range(4)
        for h in range(6)
    )
    rows += "211111100,bad time,1,1,1\n211111101,2024-01-01T00:00:00Z,95,1,1\nragged\n"
    src = tmp_path / "ais.csv"
    src.write_text(rows)
    spill = _spill(src, tmp_path / "a", chunk_rows=5, n_buckets=2)
    record = spill_to_record(spill)
    assert spill.n_rejected == 3 and len(record.rejects) == 3
    assert set(record.rejects["rule"]) == {"time_unparseable", "lat_out_of_range", "ragged_row"}
    again = record_to_spill(record, tmp_path / "b", 2)
    assert again.write_rejects(tmp_path / "x").read_bytes() == (
        spill.write_rejects(tmp_path / "y").read_bytes()
    )
    pd.testing.assert_frame_equal(PingStore([again]).to_frame(), PingStore([spill]).to_frame())
