"""Pings in global vessel order (``pings.parquet``) from many small buckets: scan vs split.

A run publishes its pings sorted by vessel then time, gathered range of vessels by range
from the spilled vessel buckets (:meth:`pipeline.ingest.stream.PingStore.sorted_tables`).
When the AIS history comes as daily files (every file holds every vessel), each track file's
share of a bucket is small and its row groups span every vessel range, so scanning the row
groups range by range reads the data once per range; splitting every bucket file once by
range reads it twice in all.  The store picks whichever its row-group statistics say reads
fewer rows.  This benchmark spills seeded AIS pings (the vessels of ``bench_scale.py``) cut
into 20 daily-like files, then gathers them both ways and checks the tables are equal.

    .venv/bin/python bench/bench_pings_order.py [--quick]

Results: ``bench/results/pings_order.json``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, write_results  # noqa: E402
from bench.bench_scale import write_ais_parquet  # noqa: E402

FILES = 20
PARTITION_ROWS = 100_000


def _daily_files(src: list[Path], folder: Path) -> list[Path]:
    """Cut the vessels' tracks into ``FILES`` files, 100 pings of every vessel at a time."""
    folder.mkdir(parents=True)
    writers: dict[int, pq.ParquetWriter] = {}
    for p in src:
        pf = pq.ParquetFile(p)
        offset = 0
        for g in range(pf.metadata.num_row_groups):
            t = pf.read_row_group(g)
            f = (np.arange(offset, offset + t.num_rows) // 100) % FILES
            offset += t.num_rows
            for k in range(FILES):
                part = t.filter(pa.array(f == k))
                if k not in writers:
                    writers[k] = pq.ParquetWriter(folder / f"day-{k:02d}.parquet", part.schema)
                writers[k].write_table(part)
    for w in writers.values():
        w.close()
    return sorted(folder.glob("day-*.parquet"))


def main() -> None:
    """Spill the daily files, gather the pings by scan and by split, write the results."""
    from pipeline.ingest.stream import PingStore, _scanned_rows, n_buckets_for, spill_tracks

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200,000 pings instead of 2,000,000")
    args = ap.parse_args()
    n = 200_000 if args.quick else 2_000_000
    root = Path(tempfile.mkdtemp(prefix="bench-pings-order-"))
    try:
        files = _daily_files(write_ais_parquet(root / "src", n), root / "daily")
        n_buckets = n_buckets_for(60 * n, PARTITION_ROWS)  # the runner's, for ~60-byte lines
        spills = [
            spill_tracks(p, root / "spill" / p.stem, chunk_rows=PARTITION_ROWS, n_buckets=n_buckets)
            for p in files
        ]
        store = PingStore(spills, chunk_rows=PARTITION_ROWS)
        ranges = list(store.vessel_ranges(PARTITION_ROWS))
        scanned = _scanned_rows(store._row_group_stats(), ranges)
        rows, tables = [], {}
        for method in ("scan", "split"):
            seconds, peak, got = measure(
                lambda m=method: pa.concat_tables(store.sorted_tables(PARTITION_ROWS, method=m))
            )
            tables[method] = got
            rows.append(
                {
                    "method": method,
                    "seconds": round(seconds, 2),
                    "peak_mib": round(peak / 2**20),
                    "rows_read": scanned if method == "scan" else 2 * len(store),
                }
            )
        same = tables["scan"].equals(tables["split"])
        chosen = "scan" if scanned <= 2 * len(store) else "split"
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ratio = rows[0]["seconds"] / max(rows[1]["seconds"], 1e-9)
    write_results(
        "pings_order",
        rows,
        quick=args.quick,
        pings=n,
        track_files=FILES,
        bucket_files=sum(len(v) for v in store.files.values()),
        ranges=len(ranges),
        default_method=chosen,
        scan_over_split_seconds=round(ratio, 2),
        same_tables=same,
    )
    print(f"\nscan / split = {ratio:.2f}; default: {chosen}; same tables: {same}")
    if not same:
        raise SystemExit("the two ways gave different tables")


if __name__ == "__main__":
    main()
