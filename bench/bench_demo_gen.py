"""Demo generator speed: wall time and peak memory of ``generate_demo`` at full size.

``generate_demo`` (6,000 seizures, 220 vessels over 30 days, about 630,000 AIS pings, the
0.05-degree night lights and twelve monthly SAR grids) is run into a fresh temporary folder
``--repeat`` times (default 2) in this process.  Reported: the best wall time, the best
process CPU time (steadier than wall time on a shared machine; it includes the memory
sampler's small share), the peak RSS above the level before the call (sampled every 2 ms, see
``bench/_common.py``) and a digest of the files (the same seed must write the same bytes).
The first run pays the one-time imports (xarray, rasterio, scipy, pyproj), so the best of 2
is the steady state; the first run's time is printed as well.  An old-vs-new comparison needs
two checkouts: run this script in each.  With ``--phases`` the main stages are timed too (one
more run, with timing wrappers around the module's stage functions).

    .venv/bin/python bench/bench_demo_gen.py [--repeat N] [--phases]

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args()
    times, cpu = [], []
    digests = set()
    peak = 0
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            c0 = time.process_time()
            seconds, extra, _files = measure(lambda tmp=tmp: demo.generate_demo(tmp))
            cpu.append(time.process_time() - c0)
            digests.add(_digest(Path(tmp)))
        times.append(seconds)
        peak = max(peak, extra)
    rows = [
        {
            "what": "generate_demo (full size)",
            "best_s": min(times),
            "first_s": times[0],
            "best_cpu_s": min(cpu),  # the process's CPU time: steadier on a shared machine
            "peak_rss_mib": peak / 2**20,
            "files_sha256_16": ",".join(sorted(digests)),
        }
    ]
    if args.phases:
        rows += [{"what": f"  {k} (one run)", "best_s": v} for k, v in _phases().items()]
    write_results("demo_gen", rows, repeat=args.repeat)
    if len(digests) != 1:
        raise SystemExit("the same seed wrote different files in two runs")


if __name__ == "__main__":
    main()
