"""The runner on a small generated theatre: options reach the stages, outputs are stable."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

import pipeline
from pipeline.demo import generate_demo
from pipeline.errors import DataQualityError


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("small")
    generate_demo(d / "inputs", n_seizures=800, n_vessels=12, days=4)
    return d


def config(small_demo, tmp_path, **sections):
    inputs = small_demo / "inputs"
    raw = {
        "run": {"as_of": "2026-06-30", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [-85, -10, 10, 45], "resolution": 4},
        "inputs": {
            "seizures": [{"path": str(inputs / "seizures.csv")}],
            "tracks": [{"path": str(inputs / "ais.csv")}],
            "rasters": [{"path": str(inputs / "nightlights.tif"), "name": "nightlights"}],
        },
        "score": {
            "factors": {
                "seizure_density": {"weight": 2},
                "vessel_hours": {"weight": 1},
                "nightlights_mean": {"weight": 1},
            }
        },
        "render": {"timeline_months": 3, "geojson": False, "preview_png": False},
    }
    for k, v in sections.items():
        raw.setdefault(k, {}).update(v)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    return pipeline.load_config(path)


def test_small_run_end_to_end(small_demo, tmp_path):
    res = pipeline.run_pipeline(config(small_demo, tmp_path))
    s = res.scores
    assert len(s) > 100
    assert {"nightlights_mean", "nightlights_mean__contrib", "vessel_hours__norm"} <= set(s.columns)
    assert res.manifest["features"]["density"]["kernel"] == "quartic"
    assert "methods" in res.manifest["evaluation"]
    assert not (res.out_dir / "scores.geojson").exists()
    ev = json.loads((res.out_dir / "evaluation.json").read_text())
    assert ev["n_train"] + ev["n_test"] <= 800


def test_edge_correction_and_bandwidth_rule_reach_the_density(small_demo, tmp_path):
    plain = pipeline.run_pipeline(config(small_demo, tmp_path / "a"))
    edge = pipeline.run_pipeline(
        config(
            small_demo,
            tmp_path / "b",
            density={"edge_correction": True, "bandwidth_km": "silverman"},
            area={"bbox": [-70, 10, -55, 25], "resolution": 4},
        )
    )
    info = edge.manifest["features"]["density"]
    assert info["bandwidth_rule"] == "silverman" and info["bandwidth_km"] > 0
    assert plain.manifest["features"]["density"]["bandwidth_km"] == 25.0


def test_as_of_moves_the_window(small_demo, tmp_path):
    early = pipeline.run_pipeline(config(small_demo, tmp_path), as_of="2025-06-30")
    assert early.manifest["as_of"] == "2025-06-30"
    seiz = pd.read_parquet(early.out_dir / "seizures.parquet")
    assert seiz["time"].max() <= pd.Timestamp("2025-07-01", tz="UTC")


def test_reject_ceiling_fails_closed_and_keeps_last_map(small_demo, tmp_path):
    good = pipeline.run_pipeline(config(small_demo, tmp_path))
    before = good.map_path.read_bytes()
    broken = pd.read_csv(small_demo / "inputs" / "seizures.csv", dtype=str)
    broken.loc[broken.index % 4 == 0, "lat"] = "not a number"
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    bad = config(
        small_demo,
        tmp_path,
        ingest={"max_reject_rate": 0.2},
        inputs={"seizures": [{"path": str(path)}]},
    )
    with pytest.raises(DataQualityError, match=r"broken.csv: 200 of 800 .*25.0%"):
        pipeline.run_pipeline(bad)
    assert good.map_path.read_bytes() == before


def test_outside_area_is_rejected_but_not_a_quality_failure(small_demo, tmp_path):
    res = pipeline.run_pipeline(
        config(
            small_demo, tmp_path, area={"bbox": [-70, 5, -50, 25]}, ingest={"max_reject_rate": 0.05}
        )
    )
    entry = res.manifest["inputs"]["seizures"][0]
    assert entry["by_rule"]["outside_aoi"] == entry["rejected"] > 400
    rejects = pd.read_csv(res.out_dir / "rejects" / "seizures.csv")
    assert len(rejects) == entry["rejected"]
