"""What a run published, to compare a nightly run with a cold one byte for byte.

Shared by tests/test_nights_sequence.py (a week of input changes),
tests/test_dask_nights.py (nights that switch engine) and tests/test_cache_keys.py (every
option and input changed, one at a time).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

#: The factors both night sequences score: the seizures' density and every transit factor.
NIGHT_FACTORS: dict[str, dict[str, float]] = {
    "seizure_density": {"weight": 2},
    "vessel_hours": {"weight": 1},
    "gap_events": {"weight": 1},
    "loiter_events": {"weight": 1},
    "encounter_events": {"weight": 1},
}

#: The manifest's sections about what the run computed (not when, where or how fast).
SECTIONS = ("as_of", "inputs", "counts", "factors", "features", "evaluation", "hotspots")


def strip_cached(x: Any) -> Any:
    """``x`` without the ``cached`` flags (whether a part came from the cache)."""
    if isinstance(x, dict):
        return {k: strip_cached(v) for k, v in x.items() if k != "cached"}
    if isinstance(x, list):
        return [strip_cached(v) for v in x]
    return x


def published(res) -> dict:
    """What a run published: each output's bytes (not the map: it names its run), the
    rejects files' bytes and the manifest's sections about the inputs and results."""
    out = Path(res.out_dir)
    m = res.manifest
    files = {k: v["sha256"] for k, v in m["outputs"].items() if k != "map"}
    run = out / "runs" / m["run_id"]
    rejects = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((run / "rejects").glob("*"))
    }
    sections = {k: strip_cached(m.get(k)) for k in SECTIONS}
    for kind in ("seizures", "tracks", "context"):
        for e in (sections["inputs"] or {}).get(kind, []):
            e["path"] = Path(e["path"]).name  # the cold run reads the same files
    return {"files": files, "rejects": rejects, "manifest": json.loads(json.dumps(sections))}


def differences(got: dict, want: dict) -> list[str]:
    """Return ``part: name`` for each output, rejects file or manifest section that differs."""
    return [
        f"{part}: {k}"
        for part in ("files", "rejects", "manifest")
        for k in sorted(set(got[part]) | set(want[part]))
        if got[part].get(k) != want[part].get(k)
    ]


def tiny_theatre(folder: Path) -> Path:
    """Generate a tiny theatre into ``folder``: 300 seizures, 8 vessels over 3 days."""
    from pipeline.demo import generate_demo

    generate_demo(folder, n_seizures=300, n_vessels=8, days=3, raster_res_deg=0.5)
    return folder


def night_raw(theatre: Path, data: Path, out: Path, tracks: list[str], as_of: str) -> dict:
    """The config of a night on a tiny theatre: seizures, ports and ``tracks`` in ``data``.

    The model is fitted on :data:`NIGHT_FACTORS` and the theatre's night lights, with a
    two-origin back-test; hot spots and the optional map outputs are off (fast nights).
    """
    return {
        "run": {"as_of": as_of, "out_dir": str(out)},
        "area": {"bbox": [-85, -10, 10, 45], "resolution": 3},
        "inputs": {
            "seizures": [{"path": str(data / "seizures.csv")}],
            "tracks": [{"path": str(data / t)} for t in tracks],
            "rasters": [{"path": str(theatre / "nightlights.tif"), "name": "nightlights"}],
            "ports": str(data / "ports.csv"),
        },
        "ingest": {},
        "transit": {"smooth_events_km": 0},
        "density": {"kernel": "quartic", "bandwidth_km": 150.0},
        "score": {
            "model": "fitted",
            "fitted": {"min_events": 5},
            "factors": {**NIGHT_FACTORS, "nightlights_mean": {"weight": 1}},
        },
        "timeline": {"months": 2},
        "evaluate": {"enabled": True, "origins": 2},
        "hotspots": {"enabled": False},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }


def inputs_key(files: list[Path], raw: dict) -> str:
    """A key of the inputs' bytes and the config: a cold run of each key is made once."""
    return hashlib.sha256(
        json.dumps(
            [[p.name, hashlib.sha256(p.read_bytes()).hexdigest()] for p in files] + [raw]
        ).encode()
    ).hexdigest()
