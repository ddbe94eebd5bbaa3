"""The hand-written table writers against the libraries they replace, side by side.

route-risk formats two outputs itself, because the library was the slow part of the export:

* ``scores.geojson`` (polygon tables): :func:`pipeline.io.write_geojson` formats the features
  with Arrow, column by column; the peer is GDAL's GeoJSON driver through pyogrio with the
  options the export used before (RFC 7946, 6-decimal coordinates).
* ``scores.csv``: :func:`pipeline.io.write_csv` formats numbers with Arrow and each distinct
  text once; the peer is :meth:`pandas.DataFrame.to_csv` on the same rounded, formula-safe
  table.

GeoPackage and FlatGeobuf are written by GDAL in both cases; the row shows what the Arrow
interface saves against the feature-by-feature writer.  Each pair must give the same data
(the CSV the same bytes; the GeoJSON the same parsed features) or the benchmark fails.

    .venv/bin/python bench/bench_export.py [--quick]

A table of hexagons at resolution 6 with a score table's column types (floats with missing
values, integers, text with formula-like values, a timestamp, factors that are mostly zero,
coverage flags and rounded shares); 40,000 and 200,000 cells
(``--quick``: 20,000).  Results: ``bench/results/export.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, write_results  # noqa: E402
from pipeline import io as rio  # noqa: E402
from pipeline.grid import cells_to_geodataframe, grid_disk_cells, points_to_cells  # noqa: E402


def scores_table(n: int, seed: int = 14):
    """A seeded score-like GeoDataFrame of about ``n`` hexagons."""
    rings = int(np.ceil((np.sqrt((4 * n - 1) / 3) - 1) / 2)) + 1
    cells = grid_disk_cells(points_to_cells([-30.0], [20.0], 6), rings)[:n]
    rng = np.random.default_rng(seed)
    risk = rng.gamma(0.6, 20.0, cells.size)
    risk[rng.random(cells.size) < 0.1] = np.nan  # no coverage: missing, not zero
    labels = np.array(["very low", "low", "medium", "high", "=HYPERLINK(1)"], dtype=object)
    gdf = cells_to_geodataframe(
        cells,
        risk=risk,
        expected_events=rng.exponential(0.01, cells.size),
        vessel_hours=rng.lognormal(2, 2, cells.size),
        seizures=rng.poisson(0.3, cells.size).astype("int64"),
        risk_class=labels[rng.integers(0, labels.size, cells.size)],
        first_seen=pd.Timestamp("2026-01-01", tz="UTC")
        + pd.to_timedelta(rng.integers(0, 10**7, cells.size), unit="s"),
    )
    for k in range(8):  # factors: mostly zero away from the lanes, with their coverage flags
        value = np.where(rng.random(cells.size) < 0.8, 0.0, rng.lognormal(0, 1, cells.size))
        gdf[f"factor{k}"] = value
        gdf[f"factor{k}__covered"] = rng.random(cells.size) < 0.9
        gdf[f"factor{k}__share"] = np.round(rng.uniform(0.5, 2.0, cells.size), 2)
    return gdf


def _gdal_geojson(frame, path: Path) -> None:
    rio.round_floats(frame).to_crs("EPSG:4326").to_file(
        path,
        driver="GeoJSON",
        engine="pyogrio",
        RFC7946="YES",
        COORDINATE_PRECISION=rio.FLOAT_DECIMALS,
        WRITE_NAME="NO",
    )


def _pandas_csv(frame, path: Path) -> None:
    safe = rio.neutralise_formulas(rio._iso_times(rio.round_floats(frame)))
    safe.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _ogr(frame, path: Path, arrow: bool) -> None:
    import pyogrio

    pyogrio.write_dataframe(
        rio._ogr_ready(frame),
        path,
        layer="scores",
        driver="FlatGeobuf",
        promote_to_multi=True,
        use_arrow=arrow,
        SPATIAL_INDEX="YES",
    )


def _same_features(a: Path, b: Path) -> bool:
    fa = json.loads(a.read_text())["features"]
    fb = json.loads(b.read_text())["features"]
    return fa == fb


def main() -> None:
    """Time each writer against its peer and write ``bench/results/export.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one small table")
    args = ap.parse_args()
    sizes = [20_000] if args.quick else [40_000, 200_000]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        d = Path(tmp)
        for n in sizes:
            frame = scores_table(n)
            table = pd.DataFrame(frame.drop(columns="geometry"))
            cases = [
                (
                    "GeoJSON",
                    "GDAL (pyogrio)",
                    lambda f=frame: _gdal_geojson(f, d / "peer.geojson"),
                    lambda f=frame: rio.write_geojson(f, d / "ours.geojson"),
                    lambda: _same_features(d / "peer.geojson", d / "ours.geojson"),
                ),
                (
                    "CSV",
                    "pandas to_csv",
                    lambda t=table: _pandas_csv(t, d / "peer.csv"),
                    lambda t=table: rio.write_csv(t, d / "ours.csv"),
                    lambda: (d / "peer.csv").read_bytes() == (d / "ours.csv").read_bytes(),
                ),
                (
                    "FlatGeobuf",
                    "GDAL feature writer",
                    lambda f=frame: _ogr(f, d / "peer.fgb", arrow=False),
                    lambda f=frame: _ogr(f, d / "ours.fgb", arrow=True),
                    lambda: (d / "peer.fgb").read_bytes() == (d / "ours.fgb").read_bytes(),
                ),
            ]
            for fmt, peer_name, peer, ours, same in cases:
                for p in d.glob("*"):
                    p.unlink()
                t_peer, m_peer, _ = measure(peer, repeat=2)
                t_ours, m_ours, _ = measure(ours, repeat=2)
                if not same():
                    raise SystemExit(f"{fmt}: ours and {peer_name} disagree at {n} cells")
                rows.append(
                    {
                        "format": fmt,
                        "cells": len(frame),
                        "peer": peer_name,
                        "peer_s": round(t_peer, 3),
                        "ours_s": round(t_ours, 3),
                        "speedup": round(t_peer / t_ours, 2),
                        "peer_peak_mb": round(m_peer / 2**20, 1),
                        "ours_peak_mb": round(m_ours / 2**20, 1),
                    }
                )
    write_results("export", rows, quick=args.quick)


if __name__ == "__main__":
    main()
