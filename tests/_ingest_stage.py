"""Run route-risk's ingest stage alone on a tracks-only config (tests of cross-file repeats)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml


def ingest_alone(tmp_path: Path, label: str, tracks: list, chunk_rows: int | None):
    """Run the ingest stage on ``tracks`` (its cache in ``tmp_path/label``); return its state.

    The staging folder is made afresh each call; the cache stays, so a second call with the
    same ``label`` is a night that takes unchanged files from it.
    """
    import pipeline
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import RunState, ingest

    out = tmp_path / label
    raw = {
        "run": {"out_dir": str(out)},
        "area": {"bbox": [0, 40, 10, 46], "resolution": 5},
        "inputs": {"tracks": [{"path": str(p)} for p in tracks]},
        "ingest": {"chunk_rows": chunk_rows},
        "score": {"factors": {"vessel_hours": {"weight": 1}}},
    }
    (tmp_path / f"{label}.yaml").write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(tmp_path / f"{label}.yaml")
    staging = out / "staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    state = RunState(cfg, None, out, staging, StageCache(out / ".cache"))
    ingest(state)
    state.background.take("pings").result()
    return state


def track_outcome(path: Path, how: str, rows: int, tmp: Path, assumption: str | None = None):
    """What reading a track file gives, read ``how``: whole, in chunks or as a Dask run's tasks.

    ``how`` is ``"whole"`` (:func:`read_tracks`), ``"chunks"`` (:func:`spill_tracks` in
    ``rows``-record chunks) or ``"parts"`` (the chunk and bucket tasks of a Dask run, on
    the in-process engine).  Returns ``("refused", message)`` (an :class:`InputError`: exit
    2, one line) or the rules' counts, the pings' and rejects' bytes and the notes, with the
    file's ``assumption`` of that key last when one is named.
    """
    import warnings

    from pipeline.engine import LocalEngine
    from pipeline.errors import InputError, RouteRiskError
    from pipeline.ingest import read_tracks, write_rejects
    from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned
    from pipeline.io import write_parquet

    d = tmp / f"{how}-{rows}"
    d.mkdir(parents=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if how == "whole":
                r = read_tracks(path)
                pings = write_parquet(r.frame, d / "p.parquet").read_bytes()
                got = (r.by_rule, pings, write_rejects(r, d / "r").read_bytes(), r.notes)
                return got if assumption is None else (*got, r.assumptions.get(assumption))
            if how == "chunks":
                s = spill_tracks(path, d / "s", chunk_rows=rows, n_buckets=3)
            else:
                (s,) = spill_tracks_partitioned(
                    [path], [d / "s"], LocalEngine(), chunk_rows=rows, n_buckets=3
                )
        pings = PingStore([s], chunk_rows=64).write_parquet(d / "p.parquet").read_bytes()
        got = (s.by_rule, pings, s.write_rejects(d / "r").read_bytes(), s.notes)
        return got if assumption is None else (*got, s.assumptions.get(assumption))
    except RouteRiskError as exc:
        assert isinstance(exc, InputError)  # exit 2, one line
        return "refused", str(exc)


def feed_of_one_reject_each(folder: Path, stems: list[str]) -> list[Path]:
    """Write ``folder/<stem>.csv`` for each stem: two pings of one vessel, the second rejected.

    For the tests of the rejects files' names (one rejects file per input, named after it).
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for k, stem in enumerate(stems):
        path = folder / f"{stem}.csv"
        path.write_text(
            "mmsi,timestamp,lat,lon,sog\n"
            f"{211000000 + k},2024-01-01T00:00:00Z,43.0,5.0,10.0\n"
            f"{211000000 + k},2024-01-01T00:10:00Z,91.0,5.1,10.0\n"
        )
        files.append(path)
    return files


def assert_spilled_as_whole(path: Path, folder: Path, whole, chunk_rows: int = 2) -> None:
    """A track file spilled in chunks of ``chunk_rows`` holds the pings and notes of ``whole``
    (its :func:`pipeline.ingest.read_tracks` result); the spill goes to ``folder/spill``."""
    import pandas as pd

    from pipeline.ingest.stream import PingStore, spill_tracks

    spill = spill_tracks(path, folder / "spill", chunk_rows=chunk_rows, n_buckets=2)
    store = PingStore([spill], root=folder / "spill")
    pd.testing.assert_frame_equal(store.to_frame(), whole.frame)
    assert spill.notes == whole.notes
