"""Zonal statistics of a large float32 raster onto its H3 cells: ours vs exactextract, rasterstats.

Full run: a 10,000 x 10,000 float32 GeoTIFF (100 Mpx, 0.001 deg pixels over 10 x 10 deg at
lat 40-50, with a nodata patch) onto the ~170,000 resolution-7 cells covering it.  Every tool
reads the same file from disk in the same process.  rasterstats is run on a random subset of the
cells and extrapolated (it takes minutes on the whole set).  Accuracy is the maximum relative
difference from exactextract's coverage-weighted mean (the reference).

    .venv/bin/python bench/bench_zonal.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, write_results  # noqa: E402
from pipeline.grid import cells_to_geodataframe, region_to_cells  # noqa: E402
from pipeline.zonal import zonal_stats_to_cells  # noqa: E402

NODATA = -9999.0
STATS = ("mean", "max", "sum", "count")


def make_raster(path: Path, size: int, step: float, lon0: float, lat0: float) -> None:
    """Write a smooth field plus noise, float32, tiled, with a nodata patch, block by block."""
    rng = np.random.default_rng(42)
    profile = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(step, 0, lon0, 0, -step, lat0),
        nodata=NODATA,
        tiled=True,
        blockxsize=512,
        blockysize=512,
    )
    x = np.arange(size) / size
    with rasterio.open(path, "w", **profile) as dst:
        rows = 512
        for r0 in range(0, size, rows):
            r1 = min(size, r0 + rows)
            y = (np.arange(r0, r1) / size)[:, None]
            block = (
                100
                + 30 * np.sin(6 * x)[None, :] * np.cos(9 * y)
                + rng.normal(0, 5, (r1 - r0, size))
            )
            block = block.astype("float32")
            yy = np.arange(r0, r1)[:, None]
            patch = (yy > size * 0.3) & (yy < size * 0.45) & (x[None, :] > 0.6) & (x[None, :] < 0.8)
            block[patch] = NODATA
            dst.write(block, 1, window=rasterio.windows.Window(0, r0, size, r1 - r0))


def rel_diff(a: np.ndarray, ref: np.ndarray) -> float:
    ok = np.isfinite(ref) & np.isfinite(a)
    if (np.isfinite(ref) != np.isfinite(a)).any():
        return float("inf")
    return float(np.max(np.abs(a[ok] - ref[ok]) / np.abs(ref[ok]))) if ok.any() else 0.0


def main() -> None:
    # The same bounded GDAL block cache for every tool (the default, 5 % of RAM, would let the
    # first tool to read the file grow it and the others find it warm).
    os.environ["GDAL_CACHEMAX"] = "64"
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="2,000 x 2,000 smoke run (< 30 s)")
    args = ap.parse_args()
    size = 2000 if args.quick else 10_000
    step = 0.001 * (10_000 / size) if not args.quick else 0.001
    lon0, lat0 = 0.0, 50.0
    import exactextract
    import rasterstats
    import rioxarray

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.tif"
        t = time.perf_counter()
        make_raster(path, size, step, lon0, lat0)
        print(f"raster {size}x{size} written in {time.perf_counter() - t:.1f} s")
        ext = size * step
        # Cells whose centre lies in the raster: "its" cells.
        cells = region_to_cells((lon0, lat0 - ext, lon0 + ext, lat0), 7)
        gdf = cells_to_geodataframe(cells)
        print(f"{cells.size} resolution-7 cells")
        rows = []

        def ours(method: str):
            da = rioxarray.open_rasterio(path, cache=False)
            return zonal_stats_to_cells(da, cells, stats=STATS, method=method, name="v")

        # Ours first, so that its peak includes warming GDAL's block cache (capped at 64 MB
        # for every tool, see main).
        t_ours, m_ours, res = measure(lambda: ours("exact"))
        t_c, m_c, res_c = measure(lambda: ours("centre"))
        t_ee, m_ee, ref = measure(
            lambda: exactextract.exact_extract(str(path), gdf, list(STATS), output="pandas")
        )
        ref_mean = ref["mean"].to_numpy(dtype="float64")
        n_sub = min(cells.size, 2000 if not args.quick else 500)
        sub = np.random.default_rng(0).choice(cells.size, n_sub, replace=False)
        t_rs_sub, m_rs, rs = measure(
            lambda: rasterstats.zonal_stats(
                gdf.iloc[sub], str(path), stats=list(STATS), nodata=NODATA
            )
        )
        t_rs = t_rs_sub * cells.size / n_sub
        rs_mean = np.array([np.nan if r["mean"] is None else r["mean"] for r in rs])
        exact_err = rel_diff(res["v_mean"].to_numpy(), ref_mean)
        max_equal = bool(
            np.array_equal(res["v_max"].to_numpy(), ref["max"].to_numpy(), equal_nan=True)
        )
        centre_err = np.abs(res_c["v_mean"].to_numpy() - ref_mean) / np.abs(ref_mean)
        rs_err = np.abs(rs_mean - ref_mean[sub]) / np.abs(ref_mean[sub])
        common = dict(raster_px=size * size, cells=int(cells.size))
        rows.append(
            dict(
                tool="exactextract 0.3 (reference)",
                **common,
                seconds=t_ee,
                ratio_vs_ours=t_ee / t_ours,
                peak_mb=m_ee / 2**20,
                mean_max_rel_diff=0.0,
            )
        )
        rows.append(
            dict(
                tool="route-risk exact",
                **common,
                seconds=t_ours,
                ratio_vs_ours=1.0,
                peak_mb=m_ours / 2**20,
                mean_max_rel_diff=exact_err,
                max_identical=max_equal,
            )
        )
        rows.append(
            dict(
                tool="route-risk centre",
                **common,
                seconds=t_c,
                ratio_vs_ours=t_c / t_ours,
                peak_mb=m_c / 2**20,
                mean_max_rel_diff=float(np.nanmax(centre_err)),
                mean_median_rel_diff=float(np.nanmedian(centre_err)),
            )
        )
        rows.append(
            dict(
                tool=f"rasterstats (centre; {n_sub} cells, extrapolated)",
                **common,
                seconds=t_rs,
                ratio_vs_ours=t_rs / t_ours,
                peak_mb=m_rs / 2**20,
                mean_max_rel_diff=float(np.nanmax(rs_err)),
                mean_median_rel_diff=float(np.nanmedian(rs_err)),
            )
        )
        write_results(
            "zonal_quick" if args.quick else "zonal",
            rows,
            quick=args.quick,
            goals={"speedup_vs_exactextract": 5, "max_rel_diff": 1e-6, "peak_mb": 1024},
            met={
                "speedup_vs_exactextract": t_ee / t_ours,
                "speedup_ok": t_ee / t_ours >= 5,
                "accuracy_ok": exact_err <= 1e-6,
                "memory_ok": m_ours <= 2**30,
            },
        )


if __name__ == "__main__":
    main()
