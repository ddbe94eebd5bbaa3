"""Transit features of 10,000,000 AIS pings: ours vs MovingPandas gap splitting + stop detection.

Synthetic but AIS-like pings (seeded): 2,000 vessels x 5,000 pings, a ping every ~2 min, moving
(8-15 kn) or slow (< 1.5 kn) spells, heading random walk, rare 7-12 h silences, and every 50th
vessel shadowed by a companion 220 m away (encounters while both are slow).  Our
``transit_features`` does everything (great-circle time attribution to resolution-7 cells,
distinct vessels, gaps, loitering, encounters); MovingPandas does only the gap splitting
(``ObservationGapSplitter``, 6 h) and stop detection (``TrajectoryStopDetector``, 4 h within 2 km)
and is run on a subset of whole vessels and extrapolated linearly in pings (it works trajectory by
trajectory).  Both are also run on the same subset, and their gap and stop counts compared.

    .venv/bin/python bench/bench_transit.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import measure, random_walk_tracks, write_results  # noqa: E402
from pipeline.schema import COG, LAT, LON, SOG, TIME, VESSEL_ID  # noqa: E402
from pipeline.transit import transit_features  # noqa: E402

RESOLUTION = 7


def make_pings(n_vessels: int, per_vessel: int, seed: int = 7) -> pd.DataFrame:
    """AIS-like pings sorted by vessel then time (vectorised; no per-row loop)."""
    rng = np.random.default_rng(seed)
    n = n_vessels * per_vessel
    vessel = np.repeat(np.arange(n_vessels), per_vessel)
    t_s, lat, lon, speed, heading, _ = random_walk_tracks(
        rng,
        n_vessels,
        per_vessel,
        mean_dt_s=120.0,
        dt_range_s=(10, 600),
        gap_rate=1.0 / 2500,
        max_step_h=0.2,
        lat_range=(33, 43),
    )
    t0 = np.datetime64("2024-01-01T00:00:00", "ns")
    times = t0 + (t_s * 1e9).astype("int64").astype("timedelta64[ns]")
    ids = np.char.add("23500", np.char.zfill(np.arange(n_vessels).astype(str), 5))
    return pd.DataFrame(
        {
            VESSEL_ID: pd.Series(ids[vessel], dtype="str"),
            TIME: pd.DatetimeIndex(times).tz_localize("UTC"),
            LON: lon,
            LAT: lat,
            SOG: np.round(speed + rng.normal(0, 0.2, n).clip(-0.3, 0.3), 1).clip(0),
            COG: np.mod(heading, 360),
        }
    )


def movingpandas_gaps_and_stops(pings: pd.DataFrame):
    import geopandas as gpd
    import movingpandas as mpd

    gdf = gpd.GeoDataFrame(
        pings[[VESSEL_ID, TIME, SOG]].copy(),
        geometry=gpd.points_from_xy(pings[LON], pings[LAT]),
        crs="EPSG:4326",
    )
    gdf[TIME] = gdf[TIME].dt.tz_localize(None)
    tc = mpd.TrajectoryCollection(gdf, traj_id_col=VESSEL_ID, t=TIME)
    split = mpd.ObservationGapSplitter(tc).split(gap=timedelta(hours=6))
    stops = mpd.TrajectoryStopDetector(split).get_stop_segments(
        max_diameter=2000, min_duration=timedelta(hours=4)
    )
    return len(split.trajectories) - len(tc.trajectories), len(stops.trajectories)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="200,000 pings smoke run (< 30 s)")
    args = ap.parse_args()
    n_vessels, per_vessel = (40, 5000) if args.quick else (2000, 5000)
    sub_vessels = 4 if args.quick else 20
    warnings.filterwarnings("ignore", module="movingpandas")
    pings = make_pings(n_vessels, per_vessel)
    n = len(pings)
    subset = pings[pings[VESSEL_ID].isin(pings[VESSEL_ID].unique()[:sub_vessels])]
    subset = subset.reset_index(drop=True)
    print(f"{n:,} pings of {n_vessels} vessels; MovingPandas subset {len(subset):,} pings")

    # Small runs first: peak memory is the RSS growth, which a big run before would hide.
    t_ours_sub, m_ours_sub, res_sub = measure(lambda: transit_features(subset, RESOLUTION))
    t_mp_sub, m_mp_sub, (mp_gaps, mp_stops) = measure(lambda: movingpandas_gaps_and_stops(subset))
    t_ours, m_ours, res = measure(lambda: transit_features(pings, RESOLUTION))
    t_mp = t_mp_sub * n / len(subset)
    ev = res_sub.events["event_type"].value_counts().to_dict()
    ev_all = res.events["event_type"].value_counts().to_dict()
    rows = [
        dict(
            tool="route-risk transit_features (all factors)",
            pings=n,
            seconds=t_ours,
            ratio_vs_ours=1.0,
            peak_mb=m_ours / 2**20,
            cells=len(res.features),
            gaps=ev_all.get("gap", 0),
            loiters=ev_all.get("loiter", 0),
            encounters=ev_all.get("encounter", 0),
        ),
        dict(
            tool="MovingPandas gap split + stops (extrapolated)",
            pings=n,
            seconds=t_mp,
            ratio_vs_ours=t_mp / t_ours,
            peak_mb=float("nan"),
        ),
        dict(
            tool="route-risk on subset",
            pings=len(subset),
            seconds=t_ours_sub,
            ratio_vs_ours=t_ours_sub / t_ours,
            peak_mb=m_ours_sub / 2**20,
            gaps=ev.get("gap", 0),
            loiters=ev.get("loiter", 0),
        ),
        dict(
            tool="MovingPandas on subset",
            pings=len(subset),
            seconds=t_mp_sub,
            ratio_vs_ours=t_mp_sub / t_ours,
            peak_mb=m_mp_sub / 2**20,
            gaps=mp_gaps,
            loiters=mp_stops,
        ),
    ]
    write_results(
        "transit_quick" if args.quick else "transit",
        rows,
        quick=args.quick,
        resolution=RESOLUTION,
        notes=(
            "MovingPandas 'gaps' = trajectories added by ObservationGapSplitter(6 h); 'loiters' = "
            "TrajectoryStopDetector(2 km, 4 h) stops.  Ours: gaps need SOG >= 1 kn before the "
            "silence, loitering is SOG < 2 kn for >= 4 h (speed-based, not diameter-based)."
        ),
        goals={"speedup_vs_movingpandas": 20, "peak_mb": 2048},
        met={
            "speedup_vs_movingpandas": t_mp / t_ours,
            "speedup_ok": t_mp / t_ours >= 20,
            "memory_ok": m_ours <= 2 * 2**30,
        },
    )


if __name__ == "__main__":
    main()
