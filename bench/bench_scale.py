"""Ingest + transit of 1e7 and 1e8 AIS pings on the Dask engine, memory set by the partition.

A seeded generator writes AIS pings for N vessels (2,000 pings a vessel about a minute apart,
moving and slow spells, rare silences, every 50th vessel shadowed by a companion: the
vessels of ``bench_memory.py``) as partitioned Parquet (one file of 2,500 vessels each,
``ais_<n>/part-00000.parquet``..., text columns as a raw feed holds them), streaming a block
of 250 vessels at a time, plus a seizures CSV in the same sea.

Each measured run is a fresh child process that opens an engine, reads every track file
into vessel buckets (:func:`~pipeline.ingest.stream.spill_tracks_partitioned`: the chunks
and buckets as tasks, with the rejects accounting; a chunk writes one Arrow IPC file sorted
by bucket, and the buckets are in proportion to the input, about half a partition each) and
computes the transit features over the buckets (:func:`~pipeline.transit.transit_features`:
groups of whole vessels as tasks, each sending per-cell totals in fixed point to the
combine).  These are the functions a run calls.  A run also hands ``transit_features`` the
nightly memo of vessel-day blocks (sharded: each partition reads and writes its own vessels'
blocks); runs named ``dask+memo`` measure that path: transit twice, a night that writes the
memo and one that takes every block from it, with the same result.  Memory is the peak
of the sum of the resident memory of the child and every process under it (scheduler
thread, nannies, workers), sampled every 0.2 s, plus each worker's own high-water mark
(VmHWM).

    .venv/bin/python bench/bench_scale.py [--quick] [--sizes 1e7 1e8] [--data DIR]

Runs, in order: the local engine at 1e7 (the partition functions in-process), Dask with 1
and 2 workers at 1e7, then Dask with 2 workers at 1e8 (the 1e8 input is generated once,
kept in ``--data``).  Goals (issue 16): RSS(1e8)/RSS(1e7) <= 1.2 and the whole 1e8 run
within 2 GiB on 2 cores.  Results: ``bench/results/scale.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import write_results  # noqa: E402
from bench.bench_memory import PER_VESSEL, _vessel_block, write_seizures_csv  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VESSELS_PER_FILE = 2_500  # 5,000,000 pings a Parquet file
BLOCK_VESSELS = 250  # vessels generated at a time (500,000 pings)
PARTITION_ROWS = 250_000
RESOLUTION = 5
MEMORY_LIMIT = "1536MiB"  # per worker; the nanny restarts a worker above it (the run fails)
LIMIT_GIB = 2.0
LIMIT_RATIO = 1.2


def _as_text(table: pa.Table) -> pa.Table:
    """Every column as text, as a raw AIS feed stores it (the ingest reads fields as text)."""
    return pa.table({n: pc.cast(table.column(n), pa.string()) for n in table.column_names})


def write_ais_parquet(folder: Path, n_pings: int, seed: int = 7) -> list[Path]:
    """Write ``n_pings`` seeded AIS pings as Parquet files of whole vessels, streaming."""
    folder.mkdir(parents=True, exist_ok=True)
    n_vessels = max(1, n_pings // PER_VESSEL)
    rng = np.random.default_rng(seed)
    paths = []
    for f, a in enumerate(range(0, n_vessels, VESSELS_PER_FILE)):
        path = folder / f"part-{f:05d}.parquet"
        tmp = path.with_suffix(".tmp")
        writer = None
        for b in range(a, min(a + VESSELS_PER_FILE, n_vessels), BLOCK_VESSELS):
            table = _as_text(
                _vessel_block(b, min(BLOCK_VESSELS, n_vessels - b, a + VESSELS_PER_FILE - b), rng)
            )
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=100_000)
        assert writer is not None
        writer.close()
        tmp.replace(path)
        paths.append(path)
    return paths


def dataset(root: Path, n: int) -> list[Path]:
    """The Parquet files of ``n`` pings under ``root`` (generated once, then reused)."""
    folder = root / f"ais_{n}"
    done = folder / "COMPLETE"
    if not done.exists():
        t0 = time.perf_counter()
        paths = write_ais_parquet(folder, n)
        done.write_text(json.dumps({"files": len(paths), "seconds": time.perf_counter() - t0}))
        print(f"generated {n:,} pings in {time.perf_counter() - t0:.0f} s", flush=True)
    return sorted(folder.glob("part-*.parquet"))


_CHILD = r"""
import json, os, sys, threading, time, shutil, warnings
from pathlib import Path
warnings.simplefilter("ignore")
import psutil

def main():
    from pipeline.config import DaskConfig
    from pipeline.engine import open_engine
    from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned
    from pipeline.transit import transit_features

    spec = json.loads(sys.argv[1])
    paths = [Path(p) for p in spec["paths"]]
    work = Path(spec["work"])
    me = psutil.Process()
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    cfg = DaskConfig(workers=max(spec["workers"], 1), threads_per_worker=1,
                     memory_limit=spec["memory_limit"], partition_rows=spec["rows"])
    with open_engine(spec["engine"], cfg) as eng:
        t0 = time.perf_counter()
        folders = [work / f"{i:03d}" for i in range(len(paths))]
        if spec["engine"] == "local":  # the local engine's reader: a file at a time
            spills = [spill_tracks(p, f, chunk_rows=spec["rows"], n_buckets=spec["buckets"])
                      for p, f in zip(paths, folders)]
        else:
            spills = spill_tracks_partitioned(paths, folders, eng, chunk_rows=spec["rows"],
                                              n_buckets=spec["buckets"])
        t_ingest = time.perf_counter() - t0
        store = PingStore(spills, work, chunk_rows=spec["rows"])
        same = None
        if spec["memo"]:  # a first night writes the memo's shards, a second takes every block
            from pipeline.runner.cache import StageCache

            cache = StageCache(work / "memo-cache")
            memo = lambda: cache.memo("transit hours", [1], sharded=True)
            first = transit_features(store, spec["resolution"], engine=eng, memo=memo())
            t_first = time.perf_counter() - t0
            res = transit_features(store, spec["resolution"], engine=eng, memo=memo())
            same = bool(first.features.equals(res.features) and first.events.equals(res.events))
            del first
        else:
            res = transit_features(store, spec["resolution"], engine=eng)
        seconds = time.perf_counter() - t0
        workers = eng.peak_memory() if spec["engine"] == "dask" else {}
    stop.set()
    print(json.dumps({
        "seconds": seconds,
        "ingest_s": t_ingest,
        "read": sum(s.n_read for s in spills),
        "accepted": sum(s.n_accepted for s in spills),
        "rejected": sum(s.n_rejected for s in spills),
        "cells": len(res.features),
        "events": len(res.events),
        "vessel_hours": float(res.features["vessel_hours"].sum()),
        "memo_same": same,
        "peak_total_mib": peak[0] / 2**20,
        "client_hwm_mib": me.memory_info().rss / 2**20,
        "client_peak_mib": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024,
        "worker_peak_mib": {k: v / 2**20 for k, v in workers.items()},
    }))

if __name__ == "__main__":
    main()
"""


def n_buckets(n_pings: int) -> int:
    """Vessel buckets: at least two per partition and 4, a power of two (as the runner's
    ``ingest.stream.n_buckets_for``).

    A bucket holds a quarter to half a partition of pings at any input size.
    """
    least = int(max(4, 2 * np.ceil(n_pings / PARTITION_ROWS)))
    return 1 << (least - 1).bit_length()


def run_child(paths: list[Path], engine: str, workers: int, work: Path, memo: bool = False) -> dict:
    """One measured ingest + transit in a fresh process (``memo``: transit twice, as two
    nights with the sharded memo of vessel-day blocks: written, then read)."""
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    spec = {
        "paths": [str(p) for p in paths],
        "work": str(work),
        "engine": engine,
        "workers": workers,
        "rows": PARTITION_ROWS,
        "buckets": n_buckets(sum(pq.ParquetFile(p).metadata.num_rows for p in paths)),
        "resolution": RESOLUTION,
        "memory_limit": MEMORY_LIMIT,
        "memo": memo,
    }
    script = work.parent / "bench_scale_child.py"
    script.write_text(_CHILD)
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(script), json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=work.parent,
    )
    wall = time.perf_counter() - t0
    shutil.rmtree(work, ignore_errors=True)
    if out.returncode != 0:
        raise SystemExit(f"child failed ({out.returncode}):\n{out.stderr[-4000:]}")
    got = json.loads(out.stdout.strip().splitlines()[-1])
    got["process_s"] = wall
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="1e5 and 1e6 pings")
    ap.add_argument("--sizes", nargs="+", type=float, help="sizes to run (default 1e7 1e8)")
    ap.add_argument("--data", type=Path, default=Path("/tmp/route-risk-bench-scale"))
    ap.add_argument("--only", choices=["small", "large"], help="run only the small/large part")
    ap.add_argument(
        "--runs",
        nargs="+",
        help="runs as SIZE:ENGINE:WORKERS (e.g. 1e7:dask:1, or 1e8:dask+memo:2 for transit"
        " twice with the nightly memo); the other rows of scale.json stay",
    )
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    sizes = [int(s) for s in (args.sizes or ([1e5, 1e6] if args.quick else [1e7, 1e8]))]
    small, large = sizes[0], sizes[-1]
    root = args.data
    root.mkdir(parents=True, exist_ok=True)
    write_seizures_csv(root / "seizures.csv")
    previous = json.loads(RESULTS_PATH.read_text())["rows"] if RESULTS_PATH.exists() else []
    plan = []
    if args.runs:
        for r in args.runs:
            size, engine, workers = r.split(":")
            plan.append((int(float(size)), engine, int(workers)))
        # the summary compares the sizes run now (the file may hold a quick run's rows)
        run_sizes = sorted({n for n, _, _ in plan})
        sizes = (
            run_sizes if len(run_sizes) > 1 else sorted(run_sizes + [r["pings"] for r in previous])
        )
        small, large = sizes[0], sizes[-1]
    else:
        if args.only != "large":
            plan += [(small, "local", 0), (small, "dask", 1), (small, "dask", 2)]
        if args.only != "small" and large != small:
            plan += [(large, "dask", 2)]
    keys = {(n, e, w) for n, e, w in plan}
    rows: list[dict] = [r for r in previous if (r["pings"], r["engine"], r["workers"]) not in keys]
    for n, engine, workers in plan:
        paths = dataset(root, n)
        memo = engine.endswith("+memo")
        got = run_child(paths, engine.removesuffix("+memo"), workers, root / "work", memo)
        row = {
            "pings": n,
            "engine": engine,
            "workers": workers,
            "seconds": round(got["seconds"], 1),
            "ingest_s": round(got["ingest_s"], 1),
            "pings_per_s": round(n / got["seconds"]),
            "peak_total_mib": round(got["peak_total_mib"]),
            "client_peak_mib": round(got["client_peak_mib"]),
            "worker_peak_mib": round(max(got["worker_peak_mib"].values(), default=0)),
            "accepted": got["accepted"],
            "rejected": got["rejected"],
            "cells": got["cells"],
            "events": got["events"],
            "vessel_hours": round(got["vessel_hours"], 3),
            **({"memo_same_result": got["memo_same"]} if memo else {}),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
        _write(rows, small, large)  # after each run: a long run that fails keeps the others


def _write(rows: list[dict], small: int, large: int) -> None:
    rows = sorted(rows, key=lambda r: (r["pings"], r["engine"] != "local", r["workers"]))
    by = {(r["pings"], r["engine"], r["workers"]): r for r in rows}
    summary: dict = {}
    if (small, "dask", 1) in by and (small, "dask", 2) in by:
        summary["time_1w_over_2w"] = round(
            by[(small, "dask", 1)]["seconds"] / by[(small, "dask", 2)]["seconds"], 2
        )
    if (small, "local", 0) in by and (small, "dask", 2) in by:
        a, b = by[(small, "local", 0)], by[(small, "dask", 2)]
        summary["same_result_local_vs_dask"] = all(
            a[k] == b[k] for k in ("accepted", "rejected", "cells", "events", "vessel_hours")
        )
    if (large, "dask", 2) in by and (small, "dask", 2) in by:
        big, sm = by[(large, "dask", 2)], by[(small, "dask", 2)]
        summary["rss_ratio_pings"] = [small, large]
        summary["rss_ratio_large_over_small"] = round(
            big["peak_total_mib"] / sm["peak_total_mib"], 3
        )
        summary["ratio_ok"] = summary["rss_ratio_large_over_small"] <= LIMIT_RATIO
        summary["large_within_limit"] = big["peak_total_mib"] <= LIMIT_GIB * 1024
    print(json.dumps(summary))
    write_results(
        "scale",
        rows,
        summary=summary,
        partition_rows=PARTITION_ROWS,
        n_buckets="at least two per partition of the input and 4, a power of two (as ingest.stream.n_buckets_for)",
        resolution=RESOLUTION,
        memory_limit_per_worker=MEMORY_LIMIT,
        limit_gib=LIMIT_GIB,
        limit_ratio=LIMIT_RATIO,
    )


RESULTS_PATH = Path(__file__).resolve().parent / "results" / "scale.json"

if __name__ == "__main__":
    main()
