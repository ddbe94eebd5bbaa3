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
        options=BacktestOptions(**EVALUATE),
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
