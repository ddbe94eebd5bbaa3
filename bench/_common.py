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


def peer_and_ours_rows(
    peer: str, peer_s: float, peer_mem: int, ours_s: float, ours_mem: int, **label: Any
) -> list[dict[str, Any]]:
    """Return the two rows of a side-by-side timing: the peer tool's, then ours with the speedup.

    ``label`` (``references="distinct"``) leads each row.
    """
    return [
        {
            **label,
            "method": peer,
            "seconds": round(peer_s, 3),
            "peak_mb": round(peer_mem / 2**20, 1),
        },
        {
            **label,
            "method": "route-risk, vectorised",
            "seconds": round(ours_s, 3),
            "peak_mb": round(ours_mem / 2**20, 1),
            "speedup": round(peer_s / ours_s, 1),
        },
    ]


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


def random_walk_tracks(
    rng,
    n_vessels: int,
    per: int,
    *,
    mean_dt_s: float,
    dt_range_s: tuple[float, float],
    gap_rate: float,
    max_step_h: float,
    lat_range: tuple[float, float],
):
    """AIS-like random walks (vectorised): ``per`` pings per vessel, sorted by vessel and time.

    Spells of ~300 pings are slow with probability 0.2; a ping starts a 7-12 h silence with
    probability ``gap_rate``; every 50th vessel has a companion 220 m away and 30 s behind
    (encounters when both are slow).  Returns seconds since the start, lat, lon, speed (kn)
    and heading (degrees), one array each, and the index of each vessel's first ping.
    """
    import numpy as np

    n = n_vessels * per
    first = np.arange(n_vessels) * per
    dt_s = np.clip(rng.exponential(mean_dt_s, n), *dt_range_s)
    gap = rng.random(n) < gap_rate
    dt_s[gap] = rng.uniform(7, 12, gap.sum()) * 3600
    dt_s[first] = rng.uniform(0, 86400, n_vessels)
    t_s = np.cumsum(dt_s)
    t_s -= np.repeat(t_s[first], per) - np.repeat(dt_s[first], per)
    spell = np.arange(n) // 300
    slow = rng.random(spell.max() + 1) < 0.2
    speed = np.where(
        slow[spell],
        rng.uniform(0.1, 1.5, spell.max() + 1)[spell],
        rng.uniform(8, 15, spell.max() + 1)[spell],
    )
    heading = np.cumsum(rng.normal(0, 3, n))
    heading -= np.repeat(heading[first], per)
    heading += np.repeat(rng.uniform(0, 360, n_vessels), per)
    step_h = np.r_[0.0, np.diff(t_s)] / 3600
    step_h[first] = 0
    step_h = np.minimum(step_h, max_step_h)  # a vessel does not travel during a silence
    dist_km = speed * 1.852 * step_h
    cx = np.cumsum(dist_km * np.sin(np.radians(heading)))
    cy = np.cumsum(dist_km * np.cos(np.radians(heading)))
    cx -= np.repeat(cx[first], per)
    cy -= np.repeat(cy[first], per)
    lat0 = np.repeat(rng.uniform(*lat_range, n_vessels), per)
    lon0 = np.repeat(rng.uniform(0, 20, n_vessels), per)
    lat = lat0 + cy / 111.2
    lon = lon0 + cx / (111.2 * np.cos(np.radians(lat0)))
    lead = np.arange(0, n_vessels - 1, 50)
    src = (lead[:, None] * per + np.arange(per)).ravel()
    for arr in (lat, lon, t_s, speed, heading):
        arr[src + per] = arr[src]
    lat[src + per] += 0.002
    t_s[src + per] += 30.0
    return t_s, lat, lon, speed, heading, first
