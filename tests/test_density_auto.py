"""``density: {bandwidth_km: auto, half_life_days: auto}``: chosen by the rolling back-test."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import pipeline
from pipeline.errors import ConfigError
from pipeline.evaluate import BacktestOptions
from pipeline.model import select_density_parameters
from pipeline.runner.plan import planned_stages
from pipeline.runner.stages import resolve_as_of
from pipeline.schema import empty_seizures
from tests.conftest import small_config

EVALUATE = {"origins": 3, "horizon_days": 60, "train_days": 365, "min_train_events": 5}


def test_auto_parameters_are_chosen_by_the_back_test_used_and_reported(small_demo, tmp_path):
    density = {
        "bandwidth_km": "auto",
        "half_life_days": "auto",
        "auto_bandwidths_km": [30, 120],
        "auto_half_lives_days": [None, 60],
    }
    cfg = small_config(small_demo, tmp_path, density=density, evaluate=EVALUATE)
    assert "density-parameters" in planned_stages(cfg)
    result = pipeline.run_pipeline(cfg)
    man = result.manifest
    choice = man["features"]["density_parameters"]
    assert choice["bandwidth_km"] in (30, 120) and choice["half_life_days"] in (None, 60)
    assert len(choice["table"]) == 4 and choice["why"]
    # the density the run published was computed with the chosen bandwidth
    assert man["features"]["density"]["bandwidth_km"] == pytest.approx(choice["bandwidth_km"])
    assert "density-parameters" in man["stages"]
    # the back-test does not score the choice on the origins that made it: each origin's
    # density takes the pair chosen on the origins whose test windows had ended by then
    ev = json.loads((result.map_path.parent / "evaluation.json").read_text())
    nested = ev["density_parameters_by_origin"]
    assert [n["origin"] for n in nested] == [o["origin"] for o in ev["origins"]]
    ends = [pd.Timestamp(o["test_end"]) for o in choice["by_origin"]]
    for n in nested:
        known = [i for i, e in enumerate(ends) if e <= pd.Timestamp(n["origin"])]
        assert n["origins"] == len(known)
        if not known:  # nothing prefers a pair: the smoothest
            assert (n["bandwidth_km"], n["half_life_days"]) == (120, None)
            continue
        crit = [
            sum(choice["by_origin"][i]["criterion"][k] for i in known) / len(known)
            for k in range(len(choice["pairs"]))
        ]
        best = max(crit)
        tied = [tuple(choice["pairs"][k]) for k, c in enumerate(crit) if c >= best]
        smooth = max(tied, key=lambda bh: (bh[0], float("inf") if bh[1] is None else bh[1]))
        assert (n["bandwidth_km"], n["half_life_days"]) == smooth
    assert any("nested" in note for note in ev["notes"])
    # a rerun with a changed score only: the choice comes from the cache
    cfg2 = small_config(
        small_demo,
        tmp_path,
        density=density,
        evaluate=EVALUATE,
        score={"factors": {"seizure_density": {"weight": 1}}},
    )
    again = pipeline.run_pipeline(cfg2)
    assert again.manifest["stages"]["density-parameters"]["cached"] is True
    assert again.manifest["features"]["density_parameters"] == json.loads(json.dumps(choice))


def test_the_run_choice_equals_the_library_choice(small_demo, tmp_path):
    density = {"bandwidth_km": "auto", "auto_bandwidths_km": [20, 60, 150], "half_life_days": 180}
    cfg = small_config(small_demo, tmp_path, density=density, evaluate=EVALUATE)
    result = pipeline.run_pipeline(cfg)
    seizures = pd.read_parquet(result.map_path.parent / "seizures.parquet")
    expected = select_density_parameters(
        seizures[seizures["time"] <= resolve_as_of(result.manifest["as_of"])],
        None,
        resolution=cfg.area.resolution,
        bandwidths_km=[20, 60, 150],
        half_lives_days=[180],
        kernel=cfg.density.kernel,
        # the run's back-test options: its KDE's default (and so its universe) is the
        # resolution's (55 km on resolution 4)
        options=BacktestOptions(**cfg.evaluate.model_dump(exclude={"enabled"})),
    )
    got = result.manifest["features"]["density_parameters"]
    assert got["bandwidth_km"] == expected["bandwidth_km"]
    assert got["half_life_days"] == 180
    assert [r["criterion"] for r in got["table"]] == pytest.approx(
        [r["criterion"] for r in expected["table"]]
    )


def test_auto_outside_a_run_is_a_clear_error(small_demo, tmp_path):
    from pipeline.builtin_factors import density_on_cells

    cfg = small_config(small_demo, tmp_path, density={"bandwidth_km": "auto"})
    with pytest.raises(ConfigError, match="select_density_parameters"):
        density_on_cells(
            empty_seizures(),
            [],
            resolve_as_of("2026-01-01"),
            cfg.density,
            None,
        )


def test_bad_candidates_fail_at_load(small_demo, tmp_path):
    with pytest.raises(ConfigError, match="auto_bandwidths_km"):
        small_config(small_demo, tmp_path, density={"auto_bandwidths_km": []})
    with pytest.raises(ConfigError, match="half_life_days"):
        small_config(small_demo, tmp_path, density={"half_life_days": -3})


def test_a_nested_choice_never_sees_a_later_origin():
    from pipeline.model import density_parameters_at

    # pair 0 wins the first two origins, pair 1 wins the last two by far
    choice = {
        "pairs": [[30.0, None], [120.0, 60.0]],
        "tolerance": 0.0,
        "by_origin": [
            {"origin": "2026-01-01", "test_end": "2026-03-01", "criterion": [0.4, 0.1]},
            {"origin": "2026-03-01", "test_end": "2026-05-01", "criterion": [0.3, 0.2]},
            {"origin": "2026-05-01", "test_end": "2026-07-01", "criterion": [0.0, 0.9]},
            {"origin": "2026-07-01", "test_end": "2026-09-01", "criterion": [0.0, 0.9]},
        ],
    }
    first = density_parameters_at(choice, "2026-01-01")
    assert first == {"bandwidth_km": 120.0, "half_life_days": 60.0, "origins": 0}  # smoothest
    assert density_parameters_at(choice, "2026-05-01")["bandwidth_km"] == 30.0
    # an origin whose test window has not ended does not count (2026-07-01 ends 2026-09-01)
    at = density_parameters_at(choice, "2026-08-01")
    assert at["origins"] == 3 and at["bandwidth_km"] == 120.0
    none_scored = {
        **choice,
        "by_origin": [{**o, "criterion": [None, None]} for o in choice["by_origin"]],
    }
    assert density_parameters_at(none_scored, "2027-01-01")["bandwidth_km"] == 120.0
