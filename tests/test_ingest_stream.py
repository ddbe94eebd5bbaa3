"""Tracks read a chunk at a time (issue 12): the same records accepted and rejected, at the
same lines, as the file read whole, byte for byte in the published tables, and memory set
by the chunk size."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from _corpus import CORPUS, IGNORE_PENDING_DEPRECATION
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import RouteRiskError
from pipeline.ingest import TrackSource, read_tracks, write_rejects
from pipeline.ingest.stream import PingStore, spill_tracks
from pipeline.io import write_parquet

pytestmark = IGNORE_PENDING_DEPRECATION

TRACK_FILES = sorted(p.name for p in CORPUS.glob("t_*") if p.name != "t_empty.csv")


def _both(src, tmp: Path, chunk_rows: int, n_buckets: int = 3, **kw):
    """Read ``src`` whole and in chunks; return (IngestResult, TrackSpill, PingStore)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = read_tracks(src, **kw)
        spill = spill_tracks(src, tmp / "spill", chunk_rows=chunk_rows, n_buckets=n_buckets, **kw)
    return whole, spill, PingStore([spill], root=tmp / "spill")


def _assert_same(whole, spill, store, tmp: Path) -> None:
    assert spill.n_read == whole.n_read
    assert spill.n_accepted == len(whole.frame)
    assert spill.by_rule == whole.by_rule
    assert spill.notes == whole.notes
    assert len(store) == len(whole.frame)
    pd.testing.assert_frame_equal(store.to_frame(), whole.frame)
    a = write_rejects(whole, tmp / "a")
    b = spill.write_rejects(tmp / "b")
    assert a.read_bytes() == b.read_bytes()
    pa_ = write_parquet(whole.frame, tmp / "a.parquet")
    pb = store.write_parquet(tmp / "b.parquet")
    assert pa_.read_bytes() == pb.read_bytes()


@pytest.mark.parametrize("chunk_rows", [1, 3, 1000])
@pytest.mark.parametrize("name", TRACK_FILES)
def test_corpus_file_in_chunks_equals_whole(tmp_path, name, chunk_rows):
    try:
        whole, spill, store = _both(CORPUS / name, tmp_path, chunk_rows)
    except RouteRiskError as exc:  # a file the whole reader refuses is refused alike
        with pytest.raises(type(exc)):
            spill_tracks(CORPUS / name, tmp_path / "s2", chunk_rows=chunk_rows)
        return
    _assert_same(whole, spill, store, tmp_path)


def test_area_bbox_and_polygon_in_chunks(tmp_path):
    src = CORPUS / "t_generic.csv"
    whole = read_tracks(src)
    lon, lat = whole.frame["lon"].to_numpy(), whole.frame["lat"].to_numpy()
    bbox = (float(lon.min()) - 0.01, float(lat.min()) - 0.01, float(lon.mean()), 90.0)
    poly = shapely.box(bbox[0], bbox[1], bbox[2], float(np.median(lat)))
    w, s, store = _both(src, tmp_path, 2, aoi_bbox=bbox, aoi_polygon=poly)
    assert w.by_rule.get("outside_aoi", 0) > 0
    _assert_same(w, s, store, tmp_path)


_LINES = ("ok", "ok", "ok", "ragged", "bad_lat", "no_time", "dup", "dup_time", "jump", "blank")


@st.composite
def ais_csv(draw) -> str:
    """A small AIS CSV of a few vessels with every kind of bad record, any line end."""
    out = ["mmsi,timestamp,lat,lon,sog,note"]
    vessels = ["235000001", "235000002", "366000003"]
    for i in range(draw(st.integers(0, 40))):
        v = draw(st.sampled_from(vessels))
        kind = draw(st.sampled_from(_LINES))
        t = f"2024-01-01T{i // 6:02d}:{(i % 6) * 10:02d}:00Z"
        lat, lon = f"{10 + i / 1000:.4f}", f"{100 + i / 1000:.4f}"
        note = draw(st.sampled_from(["x", '"a, b"', '"multi\nline"', ""]))
        if kind == "ragged":
            out.append(f"{v},{t},{lat},{lon},5,x,extra")
        elif kind == "bad_lat":
            out.append(f"{v},{t},north,{lon},5,{note}")
        elif kind == "no_time":
            out.append(f"{v},,{lat},{lon},5,{note}")
        elif kind == "dup" and len(out) > 1:
            out.append(out[-1])
        elif kind == "dup_time":
            out.append(f"{v},2024-01-01T00:00:00Z,{lat},{lon},5,{note}")
        elif kind == "jump":
            out.append(f"{v},{t},{-10 - i / 100:.3f},{lon},5,{note}")
        elif kind == "blank":
            out.append("")
        else:
            out.append(f"{v},{t},{lat},{lon},5,{note}")
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(x.replace("\n", eol) for x in out) + eol


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=ais_csv(), chunk_rows=st.integers(1, 12), n_buckets=st.integers(1, 4))
def test_hostile_ais_in_chunks_equals_whole(tmp_path_factory, text, chunk_rows, n_buckets):
    tmp = tmp_path_factory.mktemp("st")
    path = tmp / "ais.csv"
    path.write_bytes(text.encode())
    cols = {"vessel_id": "mmsi", "time": "timestamp", "lat": "lat", "lon": "lon"}
    src = TrackSource(path=path, columns=cols)
    try:
        whole, spill, store = _both(src, tmp, chunk_rows, n_buckets)
    except RouteRiskError:
        return
    _assert_same(whole, spill, store, tmp)


def test_encoding_decided_on_the_whole_file(tmp_path):
    """A cp1252 byte in the last chunk only: the whole file is read as cp1252, as read whole."""
    rows = [f"235000001,2024-01-01T00:{i:02d}:00Z,10.{i:02d},100.0,5,x" for i in range(30)]
    rows[-1] = rows[-1][:-1] + "caf\xe9"
    data = ("mmsi,timestamp,lat,lon,sog,note\n" + "\n".join(rows) + "\n").encode("cp1252")
    path = tmp_path / "enc.csv"
    path.write_bytes(data)
    whole, spill, store = _both(path, tmp_path, 4)
    assert any("decoded as cp1252" in n for n in whole.notes)
    _assert_same(whole, spill, store, tmp_path)
