"""An encounter distance beyond what the pair search can hold is refused, not half-searched.

Before: ``transit.encounter_distance_m`` had no upper bound; the pair search buckets points in
H3 cells at least twice the distance wide and fell back to resolution 0 (~1,100 km edges)
beyond ~554 km, where a partner can lie outside a point's cell and its neighbours: pairs
were missed with no word.  An encounter is two ships alongside or in sight: 50 km is the
bound, in the config and in :func:`pipeline.transit.transit_features`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import pipeline
from pipeline.config import TransitConfig
from pipeline.errors import ConfigError
from pipeline.schema import LAT, LON, SOG, TIME, VESSEL_ID
from pipeline.sphere import haversine_km
from pipeline.transit import ENCOUNTER_MAX_M, transit_features

T0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")


def _two_still_vessels(dlon: float) -> pd.DataFrame:
    """Two vessels at rest on the equator, ``dlon`` degrees apart, pinging 4 h every 10 min."""
    minutes = np.arange(0.0, 241.0, 10.0)
    frames = [
        pd.DataFrame(
            {
                VESSEL_ID: name,
                TIME: T0 + pd.to_timedelta(minutes, unit="min"),
                LON: lon,
                LAT: 0.0,
                SOG: 0.5,
            }
        )
        for name, lon in (("a", 10.0), ("b", 10.0 + dlon))
    ]
    return pd.concat(frames, ignore_index=True)


def _encounters(res) -> int:
    return int((res.events["event_type"] == "encounter").sum())


def test_the_config_and_the_transit_step_share_one_bound():
    le = [
        m.le
        for m in TransitConfig.model_fields["encounter_distance_m"].metadata
        if hasattr(m, "le")
    ]
    assert le == [ENCOUNTER_MAX_M]


@pytest.mark.parametrize("metres", [ENCOUNTER_MAX_M + 1, 600_000.0])
def test_a_wider_encounter_distance_is_refused_by_the_transit_step(metres):
    with pytest.raises(ConfigError, match=r"encounter_distance_m must be at most 50000"):
        transit_features(_two_still_vessels(0.1), 6, encounter_distance_m=metres)


def test_a_wider_encounter_distance_is_refused_when_the_config_loads(tmp_path):
    path = tmp_path / "c.yaml"
    raw = {
        "run": {"as_of": "2024-03-02", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [9, -1, 11, 1], "resolution": 6},
        "inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]},
        "transit": {"encounter_distance_m": 60_000},
    }
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"encounter_distance_m"):
        pipeline.load_config(path)


def test_two_vessels_just_inside_the_widest_distance_meet():
    # 0.44 degrees on the equator is ~48.9 km: inside 50 km, an encounter; at 0.46 (~51.2 km)
    # none.  Checked against the haversine distance, not the code's own.
    near, far = 0.44, 0.46
    assert haversine_km(10.0, 0.0, 10.0 + near, 0.0) * 1000 < ENCOUNTER_MAX_M
    assert haversine_km(10.0, 0.0, 10.0 + far, 0.0) * 1000 > ENCOUNTER_MAX_M
    met = transit_features(_two_still_vessels(near), 6, encounter_distance_m=ENCOUNTER_MAX_M)
    apart = transit_features(_two_still_vessels(far), 6, encounter_distance_m=ENCOUNTER_MAX_M)
    assert _encounters(met) == 1
    assert _encounters(apart) == 0
