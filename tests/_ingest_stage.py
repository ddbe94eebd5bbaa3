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
