"""A night that changes a transit option recomputes the slider's months (hFX's F18).

The timeline stage recomputes the weighted transit factors of each month the positions reach
back to; its cache key holds those factors' options.  hFX found no test would notice the
options missing from the key: the demo's tracks start after every month's first day, so no
month's transit values are recomputed at all.  Here the tracks reach back to May's first
morning; a second night with another ``transit.gap_hours`` must publish a cold run's
timeline.
"""

from __future__ import annotations

import pandas as pd
from _nights import differences, published
from conftest import small_config, tracks_from_may

import pipeline


def test_a_transit_option_changed_between_nights_recomputes_the_months(small_demo, tmp_path):
    tracks_from_may(small_demo, tmp_path / "ais_may.csv")

    def config(hours: float, out: str):
        return small_config(
            small_demo,
            tmp_path / out,
            inputs={"tracks": [{"path": str(tmp_path / "ais_may.csv")}], "rasters": []},
            hotspots={"enabled": False},
            evaluate={"enabled": False},
            transit={"gap_hours": hours},
            score={
                "factors": {
                    "seizure_density": {"weight": 1},
                    "vessel_hours": {"weight": 1},
                    "gap_events": {"weight": 1},
                }
            },
        )

    first = pipeline.run_pipeline(config(6.0, "night"))
    night = pipeline.run_pipeline(config(0.5, "night"))  # more silences are gaps
    cold = pipeline.run_pipeline(config(0.5, "cold"), cold=True)
    assert not differences(published(night), published(cold))
    # the option reached May's recomputed values (else the test proves nothing)
    may_rows = [
        pd.read_parquet(r.out_dir / "runs" / r.manifest["run_id"] / "timeline.parquet")
        for r in (first, night)  # each night's own set (out_dir/current is the last one)
    ]
    before, after = (tl[tl["period"] == "2026-05"] for tl in may_rows)
    assert len(before) == len(after)  # the same cells: the key's cells do not tell the nights apart
    assert not before.reset_index(drop=True).equals(after.reset_index(drop=True))
