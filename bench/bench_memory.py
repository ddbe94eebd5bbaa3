"""Peak memory of a whole local run against the number of AIS pings (issue 12).

A seeded AIS CSV of 1,000,000 and 10,000,000 pings (``mmsi,timestamp,lat,lon,sog,cog``; 2,000
pings a vessel about a minute apart, moving or slow spells, rare silences, every 50th vessel
shadowed by a companion 220 m away) and a small seizures file in the same sea are run through
``route-risk run`` (ingest, cells, features, timeline, score, back-test, render, export) in a
fresh subprocess each; its peak RSS is the child's ``ru_maxrss``.  Memory must be set by
``ingest.chunk_rows``, not by the input: the 1e7 run within 1.5 GiB and the ratio of the two
peaks at most 1.5.

    .venv/bin/python bench/bench_memory.py [--quick] [--keep DIR]

``--quick`` runs 100,000 and 1,000,000 pings; ``--chunk-rows N`` sets ``ingest.chunk_rows``
(default: the option's default).  Results: ``bench/results/memory.json``.  ``make bench`` runs
it with the other benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import random_walk_tracks, write_results  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PER_VESSEL = 2000
BLOCK_VESSELS = 250  # vessels generated (and written) at a time
AREA = [-6.0, 30.0, 36.0, 46.0]
LIMIT_GIB = 1.5
LIMIT_RATIO = 1.5


def _vessel_block(first_vessel: int, n_vessels: int, rng: np.random.Generator) -> pa.Table:
    """AIS pings of ``n_vessels`` vessels numbered from ``first_vessel`` (vectorised)."""
    per = PER_VESSEL
    n = n_vessels * per
    t_s, lat, lon, speed, heading, first = random_walk_tracks(
        rng,
        n_vessels,
        per,
        mean_dt_s=60.0,
        dt_range_s=(5, 300),
        gap_rate=1.0 / 1500,
        max_step_h=0.1,
        lat_range=(34, 42),
    )
    times = np.datetime64("2024-01-01T00:00:00", "s") + t_s.astype("int64").astype("timedelta64[s]")
    ids = np.char.add("235", np.char.zfill((first_vessel + np.arange(n_vessels)).astype(str), 6))
    sog = np.round(speed + rng.normal(0, 0.2, n).clip(-0.3, 0.3), 1).clip(0)
    return pa.table(
        {
            "mmsi": pa.array(np.repeat(ids, per)),
            "timestamp": pa.array(np.char.add(np.datetime_as_string(times, unit="s"), "Z")),
            "lat": pa.array(np.round(lat, 6)),
            "lon": pa.array(np.round(lon, 6)),
            "sog": pa.array(sog),
            "cog": pa.array(np.round(np.mod(heading, 360), 1)),
        }
    )


def write_ais_csv(path: Path, n_pings: int, seed: int = 7) -> Path:
    """Write ``n_pings`` seeded AIS pings (a multiple of 2,000) as CSV, a block at a time."""
    n_vessels = max(1, n_pings // PER_VESSEL)
    rng = np.random.default_rng(seed)
    with pacsv.CSVWriter(path, _vessel_block(0, 1, rng).schema) as writer:
        for a in range(0, n_vessels, BLOCK_VESSELS):
            writer.write_table(_vessel_block(a, min(BLOCK_VESSELS, n_vessels - a), rng))
    return path


def write_seizures_csv(path: Path, n: int = 600, seed: int = 11) -> Path:
    """Seizures in the tracks' sea over two years, a few hotspots."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([2, 35], [18, 41], size=(6, 2))
    k = rng.integers(0, len(centres), n)
    lon = centres[k, 0] + rng.normal(0, 0.6, n)
    lat = centres[k, 1] + rng.normal(0, 0.4, n)
    days = rng.integers(0, 730, n)
    date = np.datetime64("2022-01-01") + days.astype("timedelta64[D]")
    table = pa.table(
        {
            "date": pa.array(np.datetime_as_string(date, unit="D")),
            "lat": pa.array(np.round(lat, 5)),
            "lon": pa.array(np.round(lon, 5)),
            "commodity": pa.array(rng.choice(["cocaine", "cannabis", "heroin"], n)),
            "quantity": pa.array(np.round(rng.lognormal(3, 1, n), 1)),
        }
    )
    pacsv.write_csv(table, path)
    return path


def write_config(folder: Path, tracks: Path, seizures: Path, chunk_rows: int | None) -> Path:
    """A run config: tracks + seizures, no raster, area bbox of the sea, resolution 5."""
    import yaml

    raw: dict = {
        "run": {"name": "memory bench", "as_of": "2024-01-06", "out_dir": str(folder / "out")},
        "area": {"bbox": AREA, "resolution": 5},
        "inputs": {"seizures": [{"path": str(seizures)}], "tracks": [{"path": str(tracks)}]},
        "score": {"factors": {"seizure_density": {"weight": 2}, "vessel_hours": {"weight": 1}}},
        "timeline": {"months": 3},
        "render": {"geojson": False, "preview_png": False},
    }
    if chunk_rows is not None:
        raw["ingest"] = {"chunk_rows": chunk_rows}
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def run_measured(config: Path, python: str = sys.executable) -> dict:
    """Run ``route-risk run`` on ``config`` in a child; return seconds, peak RSS, exit code."""
    code = (
        "import json, resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "t = time.perf_counter() - t;"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(json.dumps({'rc': p.returncode, 'seconds': t, 'maxrss_kb': r,"
        " 'stderr': p.stderr[-3000:]}))"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [python, "-c", code, python, "-m", "pipeline.cli", "run", str(config)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    got = json.loads(out.stdout)
    got["peak_mib"] = got.pop("maxrss_kb") / 1024
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="1e5 and 1e6 pings")
    ap.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    ap.add_argument("--chunk-rows", type=int, default=None, help="ingest.chunk_rows")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    from pipeline.ingest import IngestOptions

    chunk_rows = args.chunk_rows if args.chunk_rows is not None else IngestOptions().chunk_rows
    sizes = [100_000, 1_000_000] if args.quick else [1_000_000, 10_000_000]
    tmp = None
    if args.keep:
        root = args.keep
        root.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-memory-")
        root = Path(tmp.name)
    seizures = write_seizures_csv(root / "seizures.csv")
    rows = []
    for n in sizes:
        tracks = root / f"ais_{n}.csv"
        if not tracks.exists():
            t0 = time.perf_counter()
            write_ais_csv(tracks, n)
            print(
                f"wrote {n:,} pings ({tracks.stat().st_size / 2**20:,.0f} MiB) in "
                f"{time.perf_counter() - t0:.0f} s"
            )
        folder = root / f"run_{n}"
        shutil.rmtree(folder, ignore_errors=True)  # no cache from an earlier run
        folder.mkdir()
        cfg = write_config(folder, tracks, seizures, args.chunk_rows)
        got = run_measured(cfg)
        if got["rc"] != 0:
            raise SystemExit(f"run on {n:,} pings failed (exit {got['rc']}):\n{got['stderr']}")
        print(f"{n:>12,} pings: peak RSS {got['peak_mib']:,.0f} MiB in {got['seconds']:,.0f} s")
        rows.append(
            {
                "pings": n,
                "peak_rss_mib": round(got["peak_mib"], 1),
                "seconds": round(got["seconds"], 1),
                "input_mib": round(tracks.stat().st_size / 2**20, 1),
            }
        )
    ratio = rows[-1]["peak_rss_mib"] / rows[0]["peak_rss_mib"]
    ok = rows[-1]["peak_rss_mib"] <= LIMIT_GIB * 1024 and ratio <= LIMIT_RATIO
    print(
        f"RSS({rows[-1]['pings']:.0e}) / RSS({rows[0]['pings']:.0e}) = {ratio:.2f} "
        f"(limits: {LIMIT_GIB} GiB, ratio {LIMIT_RATIO}); {'OK' if ok else 'ABOVE THE LIMITS'}"
    )
    write_results(
        "memory",
        rows,
        ratio=round(ratio, 3),
        limit_gib=LIMIT_GIB,
        limit_ratio=LIMIT_RATIO,
        within_limits=ok,
        chunk_rows=chunk_rows,
        quick=args.quick,
        maxrss_self_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
