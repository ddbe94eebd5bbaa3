"""A night of new data: the run on top of the last one against a full run (issue 15).

Night 1 runs the demo without its last day of AIS pings (kept in a separate daily file) and
without 1 % of its seizures (random rows).  Night 2 adds both: the daily file arrives in the
feed folder the config's ``inputs.tracks`` pattern (``feed/ais-*.csv``) reads, and the seizure
rows are appended to the CSV; the config is the same both nights.  Night 2 runs twice:

* ``nightly``: into night 1's output folder, reusing its per-stage cache (what the scheduler
  does every night);
* ``full``: into a fresh folder with ``--force`` and no cache.

Both must publish byte-identical tables (the map differs only in its run id and the
manifest in run ids, timings and cache flags).  The nightly run reuses what did not change:
the unchanged AIS history file is rebuilt from the per-file ingest cache (not parsed), transit
time is recomputed only for the vessel-days the new pings touch (the memo's shards, read
by the partitions), the seizure densities only for the map tiles near the new seizures
(``PartMemo`` entries of the cache).  The goal of the issue is a nightly run in at
most 25 % of the full run's time; the per-stage timings say where the time goes.

    .venv/bin/python bench/bench_nightly.py [--quick] [--keep DIR] [--vessels N]

``--quick`` uses a small demo (800 seizures, 12 vessels over 4 days); ``--vessels N`` the demo
with N vessels (a theatre where the AIS history, not the seizures, sets the cost).  Results:
``bench/results/nightly.json`` (``nightly-N.json``).  ``make bench`` runs it with the other benchmarks.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import write_results  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TABLES = (
    "scores_csv",
    "scores_geoparquet",
    "scores_geojson",
    "features",
    "events",
    "seizures",
    "pings",
    "evaluation",
    "model_report",
)
TARGET_RATIO = 0.25


def _nights(root: Path, quick: bool, vessels: int | None = None) -> tuple[Path, list, dict]:
    """Write the demo data and one config for both nights; return it, the nights and sizes.

    The config names the seizures file of a feed folder and its AIS files by a pattern
    (``feed/ais-*.csv``), as a nightly job's does: each night copies its seizures into the
    feed and night 2 drops the day's AIS file beside the history, the config unchanged.
    """
    from pipeline.demo import generate_demo

    data = root / "inputs"
    if quick:
        generate_demo(data, n_seizures=800, n_vessels=12, days=4)
    elif vessels:
        generate_demo(data, n_vessels=vessels)
    else:
        generate_demo(data)
    seizures = pd.read_csv(data / "seizures.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(15)
    new = np.zeros(len(seizures), dtype=bool)
    new[rng.choice(len(seizures), size=max(1, len(seizures) // 100), replace=False)] = True
    seizures[~new].to_csv(data / "seizures-night1.csv", index=False)
    pd.concat([seizures[~new], seizures[new]]).to_csv(data / "seizures-night2.csv", index=False)

    ais = pd.read_csv(data / "ais.csv", dtype=str, keep_default_na=False)
    day = ais["timestamp"].str[:10]
    last = day.max()
    ais[day != last].to_csv(data / "ais-history.csv", index=False)
    ais[day == last].to_csv(data / f"ais-{last}.csv", index=False)
    feed = root / "feed"
    feed.mkdir()

    def night(n: int) -> None:
        shutil.copyfile(data / f"seizures-night{n}.csv", feed / "seizures.csv")
        for name in ["ais-history.csv"] + ([f"ais-{last}.csv"] if n == 2 else []):
            if not (feed / name).exists():
                shutil.copyfile(data / name, feed / name)

    text = (REPO / "pipeline" / "configs" / "demo.yaml").read_text()
    raw = yaml.safe_load(text.replace("${ROUTE_RISK_DEMO_DATA:-../../out/demo/inputs}", str(data)))
    raw["inputs"] = dict(raw["inputs"])
    raw["inputs"]["seizures"] = [{"path": str(feed / "seizures.csv")}]
    raw["inputs"]["tracks"] = [{"path": str(feed / "ais-*.csv")}]
    raw["run"] = {**raw["run"], "out_dir": str(root / "out")}
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True))
    sizes = {
        "seizures": len(seizures),
        "new_seizures": int(new.sum()),
        "pings": len(ais),
        "new_day": last,
        "new_pings": int((day == last).sum()),
    }
    return config, [lambda: night(1), lambda: night(2)], sizes


def _run(config: Path, out: Path, force: bool) -> tuple[float, dict]:
    import pipeline

    cfg = pipeline.load_config(config)
    t0 = time.perf_counter()
    res = pipeline.run_pipeline(cfg, out_dir=out, force=force)
    return time.perf_counter() - t0, res.manifest


def main() -> None:
    """Run the two nights and write ``bench/results/nightly.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small demo")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    ap.add_argument(
        "--vessels",
        type=int,
        metavar="N",
        help="a larger theatre: the demo with N vessels instead of 220 (results: nightly-N.json)",
    )
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-nightly-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        config, nights, sizes = _nights(root, args.quick, args.vessels)
        nights[0]()
        base_s, _ = _run(config, root / "out", force=False)
        nights[1]()  # the same config: the day's file joins the pattern
        nightly_s, nightly = _run(config, root / "out", force=False)
        full_s, full = _run(config, root / "out-full", force=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    identical = {
        name: nightly["outputs"][name]["sha256"] == full["outputs"][name]["sha256"]
        for name in TABLES
        if name in full["outputs"]
    }
    ratio = nightly_s / full_s
    rows = [
        {
            "run": "night 1 (cold)",
            "seconds": round(base_s, 2),
        },
        {
            "run": "night 2 nightly",
            "seconds": round(nightly_s, 2),
            **{k: v["seconds"] for k, v in nightly["stages"].items()},
        },
        {
            "run": "night 2 full",
            "seconds": round(full_s, 2),
            **{k: v["seconds"] for k, v in full["stages"].items()},
        },
    ]
    write_results(
        f"nightly-{args.vessels}" if args.vessels else "nightly",
        rows,
        quick=args.quick,
        data=sizes,
        ratio=round(ratio, 3),
        target_ratio=TARGET_RATIO,
        target_met=ratio <= TARGET_RATIO,
        tables_identical=identical,
        all_identical=all(identical.values()),
        cached_in_nightly=sorted(k for k, v in nightly["stages"].items() if v["cached"]),
        # which input files the nightly run took from the per-file cache (not parsed again)
        inputs_cached={
            Path(e["path"]).name: e["cached"]
            for k in ("seizures", "tracks")
            for e in nightly["inputs"].get(k, [])
        },
    )
    print(
        f"\nnightly / full = {ratio:.3f} (target <= {TARGET_RATIO}); tables identical: {identical}"
    )


if __name__ == "__main__":
    main()
