"""Demo generator speed: wall time and peak memory of ``generate_demo`` at full size.

``generate_demo`` (6,000 seizures, 220 vessels over 30 days, about 630,000 AIS pings, the
0.05-degree night lights and twelve monthly SAR grids) is run into a fresh temporary folder
``--repeat`` times (default 2) in this process.  Reported: the best wall time, the best
process CPU time (steadier than wall time on a shared machine; it includes the memory
sampler's small share), the peak RSS above the level before the call (sampled every 2 ms, see
``bench/_common.py``) and a digest of the files (the same seed must write the same bytes).
The demo's own CSV writer (``ais.csv``, numpy) is timed beside the peer it replaces, pandas
``DataFrame.to_csv``, on the generated pings in this process: the ratio, each one's peak
memory, and a check that both wrote the same bytes.
The first run pays the one-time imports (xarray, rasterio, scipy, pyproj), so the best of 2
is the steady state; the first run's time is printed as well.  An old-vs-new comparison needs
two checkouts: run this script in each.  With ``--phases`` the main stages are timed too (one
more run, with timing wrappers around the module's stage functions).

    .venv/bin/python bench/bench_demo_gen.py [--repeat N] [--phases] [--quick]

``--quick``: one generation of a small theatre (1,000 seizures, 20 vessels over 7 days).

Results: ``bench/results/demo_gen.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, write_results  # noqa: E402
from pipeline import demo  # noqa: E402

STAGES = ("_make_seizures", "_make_tracks", "_nightlights", "_sar", "_write_csv", "_replace_into")


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _phases() -> dict[str, float]:
    """Time the stage functions of one more full-size run (nested calls counted in both)."""
    spent = dict.fromkeys(STAGES, 0.0)
    originals = {name: getattr(demo, name) for name in STAGES}

    def wrap(name, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t0

        return timed

    try:
        for name, fn in originals.items():
            setattr(demo, name, wrap(name, fn))
        with tempfile.TemporaryDirectory() as tmp:
            demo.generate_demo(tmp)
    finally:
        for name, fn in originals.items():
            setattr(demo, name, fn)
    return spent


def _writer_vs_pandas(folder: Path, repeat: int) -> list[dict]:
    """Time the demo's ``ais.csv`` writer against ``DataFrame.to_csv`` on the same columns."""
    import numpy as np
    import pandas as pd

    ais = pd.read_csv(folder / "ais.csv", dtype={"timestamp": str})
    columns = {c: ais[c].to_numpy() for c in ais.columns}
    columns["timestamp"] = columns["timestamp"].astype("S20")
    decimals = {"lat": 6, "lon": 6, "sog": 1, "cog": 1}
    with tempfile.TemporaryDirectory() as tmp:
        mine, theirs = Path(tmp) / "mine.csv", Path(tmp) / "pandas.csv"
        t_mine, m_mine, _ = measure(
            lambda: demo._write_plain_csv(columns, decimals, mine), repeat=repeat
        )
        t_pd, m_pd, _ = measure(
            lambda: ais.to_csv(theirs, index=False, lineterminator="\n", encoding="utf-8"),
            repeat=repeat,
        )
        same = mine.read_bytes() == theirs.read_bytes()
    if not same:
        raise SystemExit("the demo's CSV writer and pandas wrote different bytes")
    n = int(np.int64(len(ais)))
    return [
        {"what": f"ais.csv writer, {n:,} rows: pandas to_csv", "best_s": t_pd,
         "peak_rss_mib": m_pd / 2**20},
        {"what": f"ais.csv writer, {n:,} rows: route-risk (numpy)", "best_s": t_mine,
         "peak_rss_mib": m_mine / 2**20, "speedup_vs_pandas": t_pd / t_mine,
         "same_bytes": same},
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--phases", action="store_true")
    parser.add_argument("--quick", action="store_true", help="one run of a small theatre")
    args = parser.parse_args()
    size = {}
    if args.quick:
        args.repeat, size = 1, {"n_seizures": 1000, "n_vessels": 20, "days": 7}
    writer_rows: list[dict] = []
    times, cpu = [], []
    digests = set()
    peak = 0
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            c0 = time.process_time()
            seconds, extra, _files = measure(lambda tmp=tmp: demo.generate_demo(tmp, **size))
            cpu.append(time.process_time() - c0)
            digests.add(_digest(Path(tmp)))
            if not writer_rows:
                writer_rows = _writer_vs_pandas(Path(tmp), 1 if args.quick else 3)
        times.append(seconds)
        peak = max(peak, extra)
    rows = [
        {
            "what": "generate_demo (small)" if args.quick else "generate_demo (full size)",
            "best_s": min(times),
            "first_s": times[0],
            "best_cpu_s": min(cpu),  # the process's CPU time: steadier on a shared machine
            "peak_rss_mib": peak / 2**20,
            "files_sha256_16": ",".join(sorted(digests)),
        }
    ]
    rows += writer_rows
    if args.phases:
        rows += [{"what": f"  {k} (one run)", "best_s": v} for k, v in _phases().items()]
    write_results("demo_gen", rows, repeat=args.repeat, quick=args.quick)
    if len(digests) != 1:
        raise SystemExit("the same seed wrote different files in two runs")


if __name__ == "__main__":
    main()
