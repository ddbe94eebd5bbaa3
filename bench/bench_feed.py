"""A feed of daily AIS files: the ingest stage's cost per file, cold and nightly.

route-risk reads a folder of daily track files through a pattern (``aisdk-*.csv``), each file
an input of its own, parsed into a spill and cached per file.  What a run pays per file
whatever its size (column recognition on a sample, checks on tiny frames, cache entries,
rejects files) adds up over a feed: this measures it.  The demo's AIS (90 days, 30 vessels,
about 271,000 pings; ``--quick``: 10 days, read in chunks of 25,000 pings so that they are
spilled as the 90 days are with the default 250,000) is split by the day of its
``timestamp``:

* ``one file``: the same pings as one input, cold (the floor the feed is measured against);
* ``feed cold``: the daily files but the last, nothing cached;
* ``feed nightly``: every daily file, the others from the first run's per-file cache.

Only the ingest stage runs (:func:`pipeline.runner.stages.ingest`, what ``route-risk run``
calls first); wall and CPU seconds of the stage, per file and in all.  The pings table and
the rejects of the nightly run must equal a cold run's (checked: pings.parquet bytes, and
every rejects file).

    .venv/bin/python bench/bench_feed.py [--quick] [--keep DIR]

Results: ``bench/results/feed.json``.  ``make bench`` runs it with the other benchmarks.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import write_results  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _data(root: Path, days: int) -> tuple[Path, list[Path]]:
    """Write the demo and its AIS split into daily files; return the whole file and the days."""
    from pipeline.demo import generate_demo

    data = root / "inputs"
    generate_demo(data, n_seizures=2000, n_vessels=30, days=days, raster_res_deg=0.5)
    ais = pd.read_csv(data / "ais.csv", dtype=str, keep_default_na=False)
    day = ais["timestamp"].str[:10]
    feed = root / "all-days"
    feed.mkdir()
    files = []
    for d in sorted(day.unique()):
        files.append(feed / f"aisdk-{d}.csv")
        ais[day == d].to_csv(files[-1], index=False)
    return data / "ais.csv", files


def _ingest(
    root: Path, out: Path, tracks: list[Path], label: str, chunk_rows: int
) -> tuple[float, float, dict]:
    """Run the ingest stage on the demo config with ``tracks``; return wall, CPU, report."""
    import pipeline
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import RunState, ingest, resolve_as_of

    text = (REPO / "pipeline" / "configs" / "demo.yaml").read_text()
    data = root / "inputs"
    raw = yaml.safe_load(text.replace("${ROUTE_RISK_DEMO_DATA:-../../out/demo/inputs}", str(data)))
    raw["inputs"] = {**raw["inputs"], "tracks": [{"path": str(p)} for p in tracks]}
    raw["ingest"] = {**raw["ingest"], "chunk_rows": chunk_rows}
    config = root / f"{label}.yaml"
    config.write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(config)
    staging = out / f"staging-{label}"
    staging.mkdir(parents=True)
    state = RunState(cfg, resolve_as_of(cfg.run.as_of), out, staging, StageCache(out / ".cache"))
    t0, c0 = time.perf_counter(), time.process_time()
    ingest(state)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    state.background.close()  # pings.parquet, written beside the next stages (not timed)
    return wall, cpu, state.ingest_report


def _same_files(a: Path, b: Path) -> dict[str, bool]:
    """Whether each file under ``a`` has the bytes of its namesake under ``b``."""
    out = {}
    for p in sorted(a.rglob("*")):
        if p.is_file():
            q = b / p.relative_to(a)
            out[p.relative_to(a).as_posix()] = q.is_file() and q.read_bytes() == p.read_bytes()
    return out


def main() -> None:
    """Run the one-file, cold and nightly ingests and write ``bench/results/feed.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 days instead of 90")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-feed-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        whole, files = _data(root, 10 if args.quick else 90)
        pings = len(pd.read_csv(whole, usecols=[0]))
        rows = 25_000 if args.quick else 250_000  # the default; a feed larger is spilled
        one = _ingest(root, root / "one", [whole], "one", rows)
        cold = _ingest(root, root / "feed", files[:-1], "cold", rows)
        nightly = _ingest(root, root / "feed", files, "nightly", rows)
        # the nightly tables against a cold run of the same files
        _ingest(root, root / "check", files, "check", rows)
        same = _same_files(root / "check" / "staging-check", root / "feed" / "staging-nightly")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    rows = []
    for run, (wall, cpu, report), n in (
        ("one file", one, 1),
        ("feed cold", cold, len(files) - 1),
        ("feed nightly", nightly, len(files)),
    ):
        cached = sum(bool(e["cached"]) for e in report["tracks"])
        rows.append(
            {
                "run": run,
                "track files": n,
                "cached": cached,
                "seconds": round(wall, 2),
                "cpu seconds": round(cpu, 2),
                "ms per file": round(1000 * wall / n, 1),
            }
        )
    write_results(
        "feed",
        rows,
        quick=args.quick,
        pings=pings,
        days=len(files),
        nightly_equals_cold=all(same.values()),
        compared=len(same),
    )
    print(f"\nnightly tables equal a cold run's: {all(same.values())} ({len(same)} files)")


if __name__ == "__main__":
    main()
