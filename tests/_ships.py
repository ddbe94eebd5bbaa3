"""Transit of one track file read three ways (whole, streamed, partitioned), for the tests of
vessel ids that are one ship (test_vessel_identity_events, test_vessel_identity_checks)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.engine import LocalEngine
from pipeline.ingest import read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned
from pipeline.schema import VESSEL_ID
from pipeline.transit import transit_features


def read_quietly(path: Path):
    """``read_tracks(path)`` with its warnings (column guesses) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_tracks(path)


def transit_three_ways(tmp_path: Path, path: Path, ids, **kw):
    """Transit of ``path`` read whole, spilled (streamed) and partitioned: all three equal.

    The two vessel ``ids`` (one ship's, where both are in the file) must land in two
    partitions, so the combine is what joins them.
    """
    whole = read_quietly(path)
    tr = transit_features(whole.frame, 7, vessel_identity=whole.identity, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spill = spill_tracks(path, tmp_path / "spill", chunk_rows=7, n_buckets=3)
        (parted,) = spill_tracks_partitioned(
            [path], [tmp_path / "p"], LocalEngine(), chunk_rows=9, n_buckets=8
        )
    streamed = transit_features(PingStore([spill], chunk_rows=7), 7, **kw)
    store = PingStore([parted], chunk_rows=3)  # a bucket a partition
    ids = np.array([str(i) for i in ids], dtype=object)
    if set(ids) <= set(whole.frame[VESSEL_ID]):
        groups = store.bucket_group_keys(3)
        where = [next(i for i, g in enumerate(groups) if b in g) for b in store.bucket_of(ids)]
        assert where[0] != where[1]  # the ship's two ids are in two partitions
    part = transit_features(store, 7, engine=LocalEngine(), **kw)
    for other in (streamed, part):
        pd.testing.assert_frame_equal(other.events, tr.events)
        pd.testing.assert_frame_equal(other.features, tr.features)
        assert other.notes == tr.notes
    return tr


#: The header of a MarineCadastre AIS CSV, and the moment the tests' minutes count from.
MC_COLUMNS = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)
T0 = pd.Timestamp("2024-03-01T00:00:00")


def marinecadastre_csv(path: Path, rows) -> Path:
    """Write a MarineCadastre-shaped CSV of ``rows``.

    Each row is (mmsi, minutes after :data:`T0`, lat, lon, sog, (imo, name, call sign,
    transceiver class)); the vessel type, size and cargo columns hold one ship's values.
    """
    lines = [MC_COLUMNS]
    for mmsi, m, lat, lon, sog, (imo, name, call, cls) in rows:
        t = (T0 + pd.Timedelta(minutes=float(m))).strftime("%Y-%m-%dT%H:%M:%S")
        lines.append(
            f"{mmsi},{t},{lat:.7f},{lon:.7f},{sog},90.0,90,{name},{imo},{call},70,0,180,30,"
            f"9.1,70,{cls}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path
