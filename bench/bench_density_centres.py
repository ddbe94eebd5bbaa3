"""Measure: the density at a cell's centre against the density averaged over the cell.

The seizure density (and the fitted model's smoothed counts, the back-test's KDE, smoothed
transit events) is the kernel sum taken at each cell's centre.  With a kernel about a cell
wide, the centre of a cell holding an event may lie near the kernel's edge, or outside it,
while most of the cell is well inside it.  For each kernel and bandwidth / cell-edge ratio
this script draws seeded point patterns on resolution-5 cells and compares, over the cells
holding at least one point, the density at the centre with its mean over the cell's
resolution+3 children's centres (343 per hexagon):

* ``median`` and ``p90``: of ``|centre - mean| / mean``;
* ``<10%``: the share of those cells whose centre density is below a tenth of their mean.

Patterns: ``sparse`` (uniform, about one point per two cells, the piracy case), ``dense``
(uniform, about 20 points per cell) and ``clustered`` (Thomas process: clusters of about 8
points, spread with a standard deviation of half an edge).  The cell edge is H3's average
hexagon edge of the resolution (:func:`pipeline.grid.average_hexagon_edge_length`), the one
the config compares bandwidths with.  With ``--piracy PATH`` the same on real incidents
(``pirate_attacks.csv``, 7,510 attacks 1993-2020) on resolution 4 and 5 cells (600 cells
holding attacks drawn, the mean over 49 resolution+2 children), with the signed median of
``(centre - mean) / mean``.  Run ``python bench/bench_density_centres.py [--quick] [--piracy
PATH]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.density import kernel_density  # noqa: E402
from pipeline.grid import (  # noqa: E402
    average_hexagon_edge_length,
    change_resolution,
    points_to_cells,
)

RES = 5
FINER = 3
KERNELS = ("quartic", "epanechnikov", "gaussian", "triangular", "uniform")
RATIOS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
LAT0, LON0 = 5.0, 60.0  # open sea, far from the poles and the antimeridian


def pattern(name: str, rng: np.random.Generator, box_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(lon, lat)`` of a seeded point pattern in a ``box_km`` square."""
    edge = average_hexagon_edge_length(RES)
    cell_km2 = 3 * np.sqrt(3) / 2 * edge**2
    cells = box_km**2 / cell_km2
    if name == "sparse":
        xy = rng.uniform(0, box_km, size=(int(cells / 2), 2))
    elif name == "dense":
        xy = rng.uniform(0, box_km, size=(int(cells * 20), 2))
    else:  # thomas
        parents = rng.uniform(0, box_km, size=(int(cells / 8), 2))
        n = rng.poisson(8, size=len(parents))
        xy = np.repeat(parents, n, axis=0) + rng.normal(0, 0.5 * edge, size=(n.sum(), 2))
    km_per_deg = 111.195
    lat = LAT0 + xy[:, 1] / km_per_deg
    lon = LON0 + xy[:, 0] / (km_per_deg * np.cos(np.radians(lat)))
    return lon, lat


def centre_vs_mean(
    lon: np.ndarray, lat: np.ndarray, kernel: str, h: float, max_cells: int, rng
) -> np.ndarray:
    """Return ``(centre, mean)`` densities of (a sample of) the cells holding points."""
    cells = np.unique(points_to_cells(lon, lat, RES))
    if cells.size > max_cells:
        cells = np.sort(rng.choice(cells, max_cells, replace=False))
    kids = change_resolution(cells, RES + FINER)
    per = kids.size // cells.size
    assert per * cells.size == kids.size  # no pentagon in the box
    centre = kernel_density((lon, lat), cells, bandwidth_km=h, kernel=kernel, method="direct")
    fine = kernel_density((lon, lat), kids, bandwidth_km=h, kernel=kernel, method="direct")
    return np.stack([centre, fine.reshape(cells.size, per).mean(axis=1)])


def measure(kernel: str, ratio: float, name: str, seed: int, quick: bool) -> dict:
    """Return the error statistics of one kernel, ratio and pattern."""
    rng = np.random.default_rng(seed)
    edge = average_hexagon_edge_length(RES)
    h = ratio * edge
    box = (12 if quick else 30) * edge + 2 * h
    lon, lat = pattern(name, rng, box)
    centre, mean = centre_vs_mean(lon, lat, kernel, h, 150 if quick else 600, rng)
    rel = np.abs(centre - mean) / mean
    return {
        "median": float(np.median(rel)),
        "p90": float(np.quantile(rel, 0.9)),
        "below10": float(np.mean(centre < 0.1 * mean)),
        "cells": int(mean.size),
    }


def measure_piracy(path: Path, kernel: str, ratio: float, res: int, max_cells: int) -> dict:
    """Return the error statistics on real incidents (``pirate_attacks.csv``) at ``res``."""
    import pandas as pd

    d = pd.read_csv(path, na_values=["NA"]).dropna(subset=["longitude", "latitude"])
    d = d[(d["longitude"] != 0) | (d["latitude"] != 0)]  # the one (0, 0) row
    lon, lat = d["longitude"].to_numpy(float), d["latitude"].to_numpy(float)
    cells = np.unique(points_to_cells(lon, lat, res))
    rng = np.random.default_rng(20261204)
    if cells.size > max_cells:
        cells = np.sort(rng.choice(cells, max_cells, replace=False))
    kids = change_resolution(cells, res + 2)
    owner = np.searchsorted(cells, change_resolution(kids, res))
    h = ratio * average_hexagon_edge_length(res)
    centre = kernel_density((lon, lat), cells, bandwidth_km=h, kernel=kernel, method="direct")
    fine = kernel_density((lon, lat), kids, bandwidth_km=h, kernel=kernel, method="direct")
    mean = np.bincount(owner, fine, cells.size) / np.bincount(owner, minlength=cells.size)
    rel = (centre - mean) / mean
    return {
        "median": float(np.median(np.abs(rel))),
        "p90": float(np.quantile(np.abs(rel), 0.9)),
        "below10": float(np.mean(centre < 0.1 * mean)),
        "signed": float(np.median(rel)),
    }


def main() -> None:
    """Print one table per pattern: kernels down, ratios across."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="150 cells per case, not 600")
    ap.add_argument("--kernels", default=",".join(KERNELS), help="comma-separated kernels")
    ap.add_argument(
        "--piracy",
        type=Path,
        help="also measure on this pirate_attacks.csv (Benden et al. 2021), resolutions 4 and 5",
    )
    args = ap.parse_args()
    kernels = args.kernels.split(",")
    t0 = time.perf_counter()
    if args.piracy:
        for res in (4, 5):
            print(f"\npiracy, resolution {res}: median / p90 / share < 10 % / signed median")
            print("kernel        " + "".join(f"{r:>25g}" for r in RATIOS))
            for k in kernels:
                row = [measure_piracy(args.piracy, k, r, res, 600) for r in RATIOS]
                print(
                    f"{k:<14}"
                    + "".join(
                        f"  {s['median']:5.3f}/{s['p90']:5.3f}/{s['below10']:5.3f}/{s['signed']:+5.2f}"
                        for s in row
                    )
                )
    edge = average_hexagon_edge_length(RES)
    print(f"resolution {RES}, edge {edge:.3f} km, mean over {7**FINER} children per cell")
    for name in () if args.piracy else ("sparse", "clustered", "dense"):
        print(f"\n{name}: median / p90 of |centre - mean| / mean, share with centre < 10 % mean")
        print("kernel        " + "".join(f"{r:>19g}" for r in RATIOS))
        for k in kernels:
            row = [measure(k, r, name, 20261204, args.quick) for r in RATIOS]
            print(
                f"{k:<14}"
                + "".join(f"  {s['median']:5.3f}/{s['p90']:5.3f}/{s['below10']:5.3f}" for s in row)
            )
    print(f"\n{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
