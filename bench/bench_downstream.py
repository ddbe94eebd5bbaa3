"""The stages a night always recomputes, map and exports, timed and their bytes compared.

The model, statistics, back-test, map and exports depend on every seizure, so a night redoes
them whatever the cache holds (issue 15): their own time is the nightly run's floor.  This
runs the demo once (filling the stage cache), then ``--runs`` times more with ``force``, as
``route-risk run CONFIG --force`` does on a folder whose cache holds everything, and prints
the render and export seconds of each (the manifest's timings).  In one process, as the
nightly bench's second night: the modules are imported by the first run.

The published files of the last run can be kept (``--keep DIR``) and compared byte for byte
with files kept before (``--compare DIR``): run it with the old code and ``--keep``, then
with the new code and ``--compare``.  The map differs only in its run id, which is masked;
the manifest (timings, run ids, hashes of the map) is not compared.

    .venv/bin/python bench/bench_downstream.py [--quick] [--runs N] [--keep DIR] [--compare DIR]

``--quick``: a small demo (800 seizures, 12 vessels over 4 days) and two runs.

Results: ``bench/results/downstream.json``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import write_results  # noqa: E402

#: A run id (``20261204T014437Z-74d224``), the one part of the map that differs run to run.
RUN_ID = re.compile(rb"\d{8}T\d{6}Z-[0-9a-f]{6}")


def published_files(out: Path) -> dict[str, bytes]:
    """Return the published files of ``out`` (through ``current``) by relative path."""
    current = (out / "current").resolve()
    files = {}
    for path in sorted(current.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            data = path.read_bytes()
            files[str(path.relative_to(current))] = (
                RUN_ID.sub(b"RUN-ID", data) if path.suffix == ".html" else data
            )
    return files


def compare(kept: Path, files: dict[str, bytes]) -> list[str]:
    """Return a line for each file that differs from (or is missing beside) those in ``kept``."""
    old = {
        str(p.relative_to(kept)): p.read_bytes()
        for p in sorted(kept.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    lines = [f"only in {kept}: {name}" for name in sorted(set(old) - set(files))]
    lines += [f"only in this run: {name}" for name in sorted(set(files) - set(old))]
    for name in sorted(set(old) & set(files)):
        a, b = RUN_ID.sub(b"RUN-ID", old[name]), files[name]
        if a != b:
            at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
            lines.append(f"differs: {name} ({len(a)} vs {len(b)} bytes, first at {at})")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small demo, two runs")
    ap.add_argument("--runs", type=int, help="downstream runs after the first (default 5)")
    ap.add_argument("--keep", type=Path, help="copy the last run's published files here")
    ap.add_argument("--compare", type=Path, help="compare them with the files kept here")
    args = ap.parse_args()

    import os

    import pipeline
    from pipeline.demo import generate_demo

    root = Path(tempfile.mkdtemp(prefix="route-risk-downstream-"))
    try:
        if args.quick:
            generate_demo(root / "inputs", n_seizures=800, n_vessels=12, days=4)
        else:
            generate_demo(root / "inputs")
        runs = args.runs or (2 if args.quick else 5)
        os.environ["ROUTE_RISK_DEMO_DATA"] = str(root / "inputs")
        config = Path(pipeline.__file__).parent / "configs" / "demo.yaml"
        cfg = pipeline.load_config(config)
        out = root / "out"
        pipeline.run_pipeline(cfg, out_dir=out)
        rows = []
        for k in range(runs):
            res = pipeline.run_pipeline(cfg, out_dir=out, force=True)
            t = res.manifest["timings_s"]
            rows.append({"run": k + 1, "render_s": t["render"], "export_s": t["export"]})
            print(f"run {k + 1}: render {t['render']:.3f} s, export {t['export']:.3f} s")
        total = [r["render_s"] + r["export_s"] for r in rows]
        print(f"render + export: median {statistics.median(total):.3f} s, min {min(total):.3f} s")
        files = published_files(out)
        if args.keep is not None:
            shutil.rmtree(args.keep, ignore_errors=True)
            for name, data in files.items():
                (args.keep / name).parent.mkdir(parents=True, exist_ok=True)
                (args.keep / name).write_bytes(data)
            print(f"kept {len(files)} files in {args.keep}")
        differ = compare(args.compare, files) if args.compare is not None else []
        if args.compare is not None:
            print("\n".join(differ) or f"all {len(files)} files identical to {args.compare}")
        write_results(
            "downstream", rows, quick=args.quick, identical=not differ if args.compare else None
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
