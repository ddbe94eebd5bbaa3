"""Measure: today's default bandwidths against resolution-aware ones, on one universe of cells.

The seizure density, the fitted model's smoothed counts and the back-test's plain KDE are
taken at cell centres (:mod:`pipeline.density._centres`).  Their defaults (``density.bandwidth_km``
25 km, ``evaluate.kde_bandwidth_km`` 25 km, ``score.fitted.bandwidths_km`` [25, 50, 100]) are
about 2.5 cell edges at resolution 5 and about one edge at resolution 4.  This script runs the
whole pipeline (``score.model: fitted``, seizures only, no hot spots, timeline or exports
beyond the map) with two or three arms at resolutions 3, 4 and 5:

* ``today``: 25 km; 25 km; [25, 50, 100] km;
* ``aware``: each default at least ``CENTRE_EDGES[kernel]`` cell edges (2 for the quartic),
  rounded up to 5 km: ``max(25, 5 * ceil(N * edge / 5))``; the fitted list scaled by the same
  factor (its three scales kept);
* ``aware-clamp`` (unless ``--quick``): the same density and KDE, the fitted list each
  ``max(h, that bandwidth)`` (duplicates dropped: [55, 100] at resolution 4).

The back-test's universe (``evaluate.support_km``) is pinned per resolution, the same for
every arm, so every arm ranks the same cells and "1 % of the area" is the same number of cells
(with ``support_km`` left to default, a wider KDE widened the universe and its hit rates were
not comparable): ``wide``, the widest KDE bandwidth of the arms (the aware one), and, unless
``--quick``, ``narrow``, 25 km (today's).  Reported per data set, universe, resolution and arm,
over the back-test's origins: the hit rate and PAI at 1 % and 5 % of the area (mean +/- sd over
origins) of the published risk (``published``: the fitted model), the seizure density factor alone
(``density``: what a weighted score of seizures alone publishes; quartic, 365-day half-life),
the plain KDE (``kde``) and all prior counts
(``all_prior_counts``: the same in every arm, a check that the universe is the same); and,
origins paired, each aware arm's hit rate minus today's (``vs today``: mean +/- sd of the
difference, origins better / equal / worse).

Data: the real pirate attacks (``../shared/data/events/pirate_attacks.csv``, 7,510 with a
position, 1993-2020; area the world's seas, [-180, -60, 180, 75], 12 origins 91 days apart,
2018-2020) and the project's seeded demo seizures (:func:`pipeline.demo.generate_demo`,
3,000 seizures over three years, its Atlantic box; 4 origins: three years hold four after a
730-day training window).  ``--quick``: resolutions 4 and 5, two arms, 6 origins.

Run ``python bench/bench_res_defaults.py [--quick] [--data pirates|demo|both]``; writes
``bench/results/res_defaults.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pipeline  # noqa: E402
from bench._common import write_results  # noqa: E402
from pipeline.density import CENTRE_EDGES  # noqa: E402
from pipeline.grid import average_hexagon_edge_length  # noqa: E402

PIRATES = Path(__file__).resolve().parents[2] / "shared" / "data" / "events" / "pirate_attacks.csv"
FRACTIONS = (0.01, 0.05)
METHODS = ("published", "density", "kde", "all_prior_counts")
TODAY = {"density": 25.0, "kde": 25.0, "fitted": (25.0, 50.0, 100.0)}


def aware(resolution: int, kernel: str = "quartic") -> float:
    """Smallest default of at least ``CENTRE_EDGES`` cell edges, 25 km at least, 5 km steps."""
    least = CENTRE_EDGES[kernel] * average_hexagon_edge_length(resolution)
    return max(25.0, 5.0 * math.ceil(least / 5.0))


def arms(resolution: int, quick: bool) -> dict[str, dict]:
    """The bandwidths of each arm at ``resolution``."""
    h = aware(resolution)
    out = {
        "today": TODAY,
        "aware": {"density": h, "kde": h, "fitted": tuple(x * h / 25.0 for x in TODAY["fitted"])},
    }
    if not quick:
        clamp = tuple(sorted({max(x, h) for x in TODAY["fitted"]}))
        out["aware-clamp"] = {"density": h, "kde": h, "fitted": clamp}
    return out


def base_config(data: str, inputs: Path) -> dict:
    """The config of one data set, without resolution or bandwidths."""
    if data == "pirates":
        return {
            "run": {"as_of": "2021-01-01"},
            "area": {"bbox": [-180, -60, 180, 75], "cells": "support"},
            "inputs": {"seizures": [{"path": str(PIRATES)}]},
        }
    return {
        "run": {"as_of": "2026-06-30"},
        "area": {"bbox": [-85, -10, 10, 45], "cells": "support"},
        "inputs": {"seizures": [{"path": str(inputs / "seizures.csv")}]},
    }


def run_arm(
    data: str, inputs: Path, res: int, arm: dict, support_km: float, origins: int, work: Path
) -> dict:
    """Run the pipeline once; return the back-test's summary rows of ``METHODS``."""
    raw = base_config(data, inputs)
    raw["run"]["out_dir"] = str(work / "out")
    raw["area"]["resolution"] = res
    raw["density"] = {"bandwidth_km": arm["density"], "kernel": "quartic"}
    raw["score"] = {
        "model": "fitted",
        "factors": {"seizure_density": {"weight": 1}},
        "fitted": {"bandwidths_km": list(arm["fitted"])},
    }
    raw["evaluate"] = {
        "origins": origins,
        "kde_bandwidth_km": arm["kde"],
        "support_km": support_km,
        "baselines": ["all_prior_counts", "kde", "density"],
    }
    raw["hotspots"] = {"enabled": False}
    raw["timeline"] = {"months": 0}
    raw["render"] = {"geojson": False, "flatgeobuf": False, "preview_png": False}
    path = work / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = pipeline.run_pipeline(pipeline.load_config(path))
    ev = json.loads((result.out_dir / "evaluation.json").read_text())
    return ev


def rows_of(ev: dict, label: dict, today: dict | None) -> list[dict]:
    """One row per method: hit rate and PAI at each share, mean +/- sd over origins.

    With ``today`` (the ``today`` arm's evaluation on the same universe), the hit rate's
    paired difference from it at each share: mean +/- sd, origins better/equal/worse.
    """
    out = []
    n = len(ev.get("origins", []))
    cells = sorted({o["n_cells"] for o in ev.get("origins", [])})
    for name in METHODS:
        s = ev["summary"].get(name)
        if s is None:
            continue
        at = {a["area_fraction"]: a for a in s["at"]}
        row = {**label, "method": name, "origins": n, "cells": f"{cells[0]}-{cells[-1]}"}
        for f in FRACTIONS:
            for m in ("hit_rate", "pai"):
                v = at[f][m]
                row[f"{m}@{f * 100:g}%"] = f"{v['mean']:.3f} ± {v['sd']:.3f}"
                row[f"_{m}@{f}"] = [v["mean"], v["sd"], v["values"]]
            if today is not None and name != "all_prior_counts":
                was = {a["area_fraction"]: a for a in today["summary"][name]["at"]}
                d = np.asarray(at[f]["hit_rate"]["values"]) - np.asarray(
                    was[f]["hit_rate"]["values"]
                )
                better, worse = int((d > 1e-9).sum()), int((d < -1e-9).sum())
                row[f"vs today@{f * 100:g}%"] = (
                    f"{d.mean():+.3f} ± {d.std(ddof=1):.3f} "
                    f"{better}/{d.size - better - worse}/{worse}"
                )
        out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="resolutions 4-5, two arms, 6 origins")
    ap.add_argument("--data", choices=["pirates", "demo", "both"], default="both")
    args = ap.parse_args()
    logging.getLogger("pipeline").setLevel(logging.ERROR)
    sets = ["pirates", "demo"] if args.data == "both" else [args.data]
    resolutions = (4, 5) if args.quick else (3, 4, 5)
    universes = ("wide",) if args.quick else ("wide", "narrow")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "demo"
        if "demo" in sets:
            from pipeline.demo import generate_demo

            generate_demo(inputs, n_seizures=3000, n_vessels=8, days=2, raster_res_deg=1.0)
        for data in sets:
            if data == "pirates" and not PIRATES.exists():
                print(f"skipped: {PIRATES} is absent")
                continue
            origins = 6 if args.quick else (12 if data == "pirates" else 4)
            for universe in universes:
                for res in resolutions:
                    the_arms = arms(res, args.quick)
                    wide = max(a["kde"] for a in the_arms.values())
                    support = wide if universe == "wide" else TODAY["kde"]
                    today = None
                    for name, arm in the_arms.items():
                        work = Path(tmp) / f"{data}-{universe}-{res}-{name}"
                        work.mkdir()
                        t0 = time.perf_counter()
                        ev = run_arm(data, inputs, res, arm, support, origins, work)
                        label = {
                            "data": data,
                            "universe km": f"{support:g}",
                            "res": res,
                            "arm": name,
                            "density/kde km": f"{arm['density']:g}",
                            "fitted km": ",".join(f"{h:g}" for h in arm["fitted"]),
                            "s": round(time.perf_counter() - t0, 1),
                        }
                        rows += rows_of(ev, label, today)
                        today = ev if name == "today" else today
                        print(rows[-3:], flush=True)
    shown = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    write_results("res_defaults", shown, raw=rows, quick=args.quick)


if __name__ == "__main__":
    main()
