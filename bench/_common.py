"""Shared helpers for the benchmarks: timing with peak-memory sampling, result tables.

Every benchmark runs the peer and our code side by side in one process and writes
``bench/results/<name>.json``.  Peak memory is the high-water mark of the process RSS above the
level before the call, sampled every 2 ms by a thread (tracemalloc misses allocations made in
Rust/C libraries such as h3ronpy and GDAL).
"""

from __future__ import annotations

import gc
import json
import platform
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
_PAGE = 4096


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def measure(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, int, Any]:
    """Run ``fn`` ``repeat`` times; return (best seconds, peak extra RSS bytes, last result)."""
    best = float("inf")
    peak = 0
    result = None
    for _ in range(repeat):
        gc.collect()
        base = _rss_bytes()
        high = [base]
        stop = threading.Event()

        def sample(stop: threading.Event = stop, high: list[int] = high) -> None:
            while not stop.is_set():
                high[0] = max(high[0], _rss_bytes())
                time.sleep(0.002)

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
        stop.set()
        t.join()
        high[0] = max(high[0], _rss_bytes())
        best = min(best, elapsed)
        peak = max(peak, high[0] - base)
    return best, peak, result


def write_results(name: str, rows: list[dict[str, Any]], **meta: Any) -> Path:
    """Write rows plus machine metadata to ``bench/results/<name>.json`` and print a table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    import os

    payload = {
        "benchmark": name,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **meta,
        "rows": rows,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print_table(name, rows)
    return path


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    """Print rows as an aligned text table."""
    if not rows:
        return
    cols = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[_fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print(f"\n== {title}")
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
