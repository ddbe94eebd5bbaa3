"""The default bandwidths follow the cells' resolution.

The seizure density, the back-test's KDE and the fitted model's smoothed counts are taken at
cell centres; their defaults (25 km; 25 km; 25, 50, 100 km) are 2.5 cell edges at resolution 5
but one edge at resolution 4, where a centre is typically half off its cell's mean
(:mod:`pipeline.density._centres`).  ``bench/bench_res_defaults.py`` measured the back-test
with defaults of at least ``CENTRE_EDGES`` edges on a universe pinned for both: no worse at
resolutions 3 and 4, the same at 5.  A key the user leaves unset now takes its resolution's
default, stated in the run's notes; a written value is kept.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import config_from

import pipeline
from pipeline.runner.stages import narrow_kernel_notes

EXPECTED = {3: 140.0, 4: 55.0, 5: 25.0, 6: 25.0}  # two edges (69, 26.1, 9.85, 3.7 km), >= 25


def _seizures(folder):
    """400 seeded seizures over three years, clustered in a box of about 500 km."""
    rng = np.random.default_rng(7)
    centres = rng.uniform([1.0, 40.5], [5.0, 44.5], size=(12, 2))
    k = rng.integers(0, 12, 400)
    lonlat = centres[k] + rng.normal(0, 0.15, size=(400, 2))
    days = rng.integers(0, 3 * 365, 400)
    frame = pd.DataFrame(
        {
            "date": (pd.Timestamp("2021-07-01") + pd.to_timedelta(days, "D")).strftime("%Y-%m-%d"),
            "lat": lonlat[:, 1].round(4),
            "lon": lonlat[:, 0].round(4),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "seizures.csv"
    frame.to_csv(path, index=False)
    return path


def _config(tmp_path, resolution: int, **sections):
    raw = {
        "run": {"as_of": "2024-06-30", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0.0, 40.0, 6.0, 45.0], "resolution": resolution},
        "inputs": {"seizures": [{"path": str(_seizures(tmp_path))}]},
        "score": {
            "model": "fitted",
            "factors": {"seizure_density": {"weight": 1}},
            "fitted": {"min_events": 20},
        },
        "evaluate": {"origins": 2, "min_train_events": 5},
        "hotspots": {"enabled": False},
        "timeline": {"months": 0},
        "render": {"geojson": False, "flatgeobuf": False, "preview_png": False},
    }
    return config_from(raw, tmp_path, **sections)


@pytest.mark.parametrize("resolution", sorted(EXPECTED))
def test_an_unset_bandwidth_takes_two_cell_edges_and_never_less_than_25_km(tmp_path, resolution):
    cfg = _config(tmp_path, resolution)
    h = EXPECTED[resolution]
    assert cfg.density.bandwidth_km == h
    assert cfg.evaluate.kde_bandwidth_km == h
    assert cfg.score.fitted.bandwidths_km == (h, 2 * h, 4 * h)  # the three scales kept
    assert cfg.evaluate.universe_km == h  # the back-test's universe follows its KDE
    said = cfg.resolution_default_notes()
    if h == 25.0:
        assert said == []
    else:
        assert [n.split(":")[0] for n in said] == [
            f"density.bandwidth_km {h:g} km",
            f"evaluate.kde_bandwidth_km {h:g} km",
            f"score.fitted.bandwidths_km [{h:g}, {2 * h:g}, {4 * h:g}] km "
            f"([25, 50, 100] km times {h / 25:.3g})",
        ]
        assert f"the default at area.resolution {resolution} " in said[0]
        assert narrow_kernel_notes(cfg, cfg.density.bandwidth_km) == []  # wide enough


def test_each_default_follows_its_own_kernel(tmp_path):
    # a gaussian's bandwidth is its standard deviation: one edge; a disc needs three
    cfg = _config(
        tmp_path,
        4,
        density={"kernel": "gaussian"},
        evaluate={"kde_kernel": "uniform"},
    )
    assert cfg.density.bandwidth_km == 30.0  # 26.1 km, rounded up to 5 km
    assert cfg.evaluate.kde_bandwidth_km == 80.0  # 78.2 km
    assert cfg.score.fitted.bandwidths_km == (55.0, 110.0, 220.0)  # quartic
    five = _config(tmp_path / "5", 5, density={"kernel": "uniform"})
    assert five.density.bandwidth_km == 30.0  # three 9.85 km edges: 29.6 km


def test_a_written_bandwidth_is_kept_and_still_noted_when_narrow(tmp_path, capsys):
    from pipeline.cli import main

    cfg = _config(
        tmp_path,
        4,
        density={"bandwidth_km": 25},
        evaluate={"kde_bandwidth_km": 25},
        score={"fitted": {"bandwidths_km": [25, 100]}},
    )
    assert cfg.density.bandwidth_km == 25.0
    assert cfg.evaluate.kde_bandwidth_km == 25.0
    assert cfg.score.fitted.bandwidths_km == (25.0, 100.0)
    assert cfg.resolution_default_notes() == []
    notes = narrow_kernel_notes(cfg, 25.0)
    assert [n.split(" km ")[0] for n in notes] == [
        "density.bandwidth_km 25",
        "score.fitted.bandwidths_km 25",
        "evaluate.kde_bandwidth_km 25",
    ]
    # one written, the others left to the resolution: only those are stated
    half = _config(tmp_path / "half", 4, density={"bandwidth_km": 40})
    assert half.density.bandwidth_km == 40.0 and half.evaluate.kde_bandwidth_km == 55.0
    assert [n.split(" ")[0] for n in half.resolution_default_notes()] == [
        "evaluate.kde_bandwidth_km",
        "score.fitted.bandwidths_km",
    ]
    assert main(["-q", "validate", str(half.source)]) == 0  # said before a night is spent
    out = capsys.readouterr().out
    assert "note: evaluate.kde_bandwidth_km 55 km: the default at area.resolution 4" in out


@pytest.mark.parametrize(
    ("resolution", "written"),
    [(4, {"h": 55, "fitted": [55, 110, 220]}), (5, {"h": 25, "fitted": [25, 50, 100]})],
    ids=["res4", "res5"],
)
def test_a_run_with_the_defaults_equals_one_with_them_written_and_says_so(
    tmp_path, resolution, written
):
    # resolution 4: the defaults are 55 km; resolution 5: today's 25 km, every output as before
    default = pipeline.run_pipeline(_config(tmp_path / "default", resolution))
    h, fitted = written["h"], written["fitted"]
    explicit = pipeline.run_pipeline(
        _config(
            tmp_path / "written",
            resolution,
            density={"bandwidth_km": h},
            evaluate={"kde_bandwidth_km": h},
            score={"fitted": {"bandwidths_km": fitted}},
        )
    )
    for name in ("scores.csv", "features.parquet"):
        assert (default.out_dir / name).read_bytes() == (explicit.out_dir / name).read_bytes()
    ev = [json.loads((r.out_dir / "evaluation.json").read_text()) for r in (default, explicit)]
    assert ev[0]["summary"] == ev[1]["summary"] and ev[0]["summary"]
    assert default.manifest["features"]["density"]["bandwidth_km"] == h
    said = [n for n in default.manifest.get("notes", []) if "the default at area.resolution" in n]
    if resolution == 5:
        assert said == []
    else:
        assert [n.split(":")[0] for n in said] == [
            "density.bandwidth_km 55 km",
            "evaluate.kde_bandwidth_km 55 km",
            "score.fitted.bandwidths_km [55, 110, 220] km ([25, 50, 100] km times 2.2)",
        ]
    assert not any("the default at area" in n for n in explicit.manifest.get("notes", []))
