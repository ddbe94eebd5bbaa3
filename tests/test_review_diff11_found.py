"""Problems found reviewing the non-ingest changes of a7ced74..a51048c (hEA).

- A run with ``density.bandwidth_km: auto`` at a coarse resolution did not state its
  candidates scaled to the cells (``density.auto_bandwidths_km``) nor, with the back-test
  off, the KDE bandwidth that sets auto's universe: the notes were taken from the config
  after auto's choice had replaced ``auto`` by a number.
- ``route-risk validate`` printed the area polygon's file name raw (an escape sequence
  or line separator in it reached the terminal).
- The back-test's ``unreached_expected`` wrap (``stages._backtest._backtest_table``): its smoothed
  factors on the universe cells the run's table left out log no warning, while a factor whose
  points reach none of the run's own cells still warns.
"""

from __future__ import annotations

import logging
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml

WARNING = "kernel density is 0 in every cell"


def _plugin_module(folder, name: str, lon: float, lat: float) -> str:
    """Write a plug-in module whose factor is a 2 km quartic KDE of one point at ``lon, lat``."""
    (folder / f"{name}.py").write_text(
        textwrap.dedent(
            f"""
            import pipeline
            from pipeline.density import kernel_density


            @pipeline.factor(name={name!r}, unit="per km2", description="One point's KDE.")
            def {name}(ctx):
                return kernel_density(([{lon}], [{lat}]), ctx.cells, bandwidth_km=2.0, kernel="quartic")
            """
        )
    )
    return f"{name}:{name}"


def _run_through_features(tmp_path, raw: dict, spread_deg: float = 0.02):
    """Run ingest, cells, density-parameters and features of ``raw`` in process.

    ``raw`` gets 40 seizures about (5 E, 45 N), ``spread_deg`` apart, over two years (2022-23),
    its output folder and its ``as_of`` (2023-12-01).  Returns the run's state.
    """
    import pipeline
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import STAGE_FUNCTIONS, RunState

    rng = np.random.default_rng(7)
    n = 40
    days = np.sort(rng.uniform(0, 700, n))
    pd.DataFrame(
        {
            "date": (pd.Timestamp("2022-01-01") + pd.to_timedelta(days, "D")).strftime("%Y-%m-%d"),
            "lat": 45.0 + rng.normal(0, spread_deg, n),
            "lon": 5.0 + rng.normal(0, spread_deg, n),
        }
    ).to_csv(tmp_path / "seizures.csv", index=False)
    out = tmp_path / "out"
    raw = {
        **raw,
        "run": {"out_dir": str(out), "as_of": "2023-12-01"},
        "inputs": {"seizures": [{"path": str(tmp_path / "seizures.csv")}]},
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(tmp_path / "run.yaml")
    staging = out / "staging"
    staging.mkdir(parents=True)
    state = RunState(
        cfg, pd.Timestamp(cfg.run.as_of, tz="UTC"), out, staging, StageCache(out / ".cache")
    )
    for stage in ("ingest", "cells", "density-parameters", "features"):
        STAGE_FUNCTIONS[stage](state)
    return state


def _state_through_features(tmp_path, monkeypatch, plugin_at: tuple[float, float], name: str):
    """A tiny run through its features stage whose plug-in is a KDE of one point.

    A 5 km density at resolution 6 and a back-test universe of 20 km: the universe's cells
    beyond the density's reach are left out of the run's table, and the back-test computes
    the plug-in's factor on them.
    """
    monkeypatch.syspath_prepend(str(tmp_path))
    ref = _plugin_module(tmp_path, name, *plugin_at)
    raw = {
        "area": {"bbox": [4.0, 44.0, 6.0, 46.0], "resolution": 6},
        "density": {"bandwidth_km": 5},
        "factors": {"plugins": [ref]},
        "score": {"factors": {"seizure_density": {"weight": 1}, name: {"weight": 1}}},
        "evaluate": {"origins": 2, "train_days": 180, "horizon_days": 90, "support_km": 20},
        "hotspots": {"enabled": False},
    }
    return _run_through_features(tmp_path, raw)


def test_back_test_universe_cells_no_point_reaches_log_no_warning(tmp_path, monkeypatch, caplog):
    from pipeline.runner.stages import STAGE_FUNCTIONS

    state = _state_through_features(tmp_path, monkeypatch, (5.0, 45.0), "diff11_near_point")
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="pipeline"):
        STAGE_FUNCTIONS["back-test"](state)
    assert state.evaluation
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [m for m in warned if WARNING in m], warned
    assert any(
        WARNING in r.getMessage() and "as expected" in r.getMessage() for r in caplog.records
    )


def test_a_factor_reaching_none_of_the_runs_cells_still_warns(tmp_path, monkeypatch, caplog):
    # the plug-in's one point lies in the Caribbean: its factor is 0 on every cell of the run,
    # which the run must say (a WARNING), back-test or not
    from pipeline.runner.stages import STAGE_FUNCTIONS

    with caplog.at_level(logging.DEBUG, logger="pipeline"):
        state = _state_through_features(tmp_path, monkeypatch, (-60.0, 10.0), "diff11_far_point")
        STAGE_FUNCTIONS["back-test"](state)
    assert state.evaluation
    warned = [
        r for r in caplog.records if r.levelno >= logging.WARNING and WARNING in r.getMessage()
    ]
    assert len(warned) == 1, [r.getMessage() for r in caplog.records if WARNING in r.getMessage()]
    assert "1 weighted point(s)" in warned[0].getMessage()


@pytest.mark.parametrize("back_test", [False, True])
def test_a_runs_notes_state_auto_candidates_scaled_to_coarse_cells(tmp_path, back_test):
    # Before: the density-parameters stage put auto's choice (numbers) in the run's config,
    # and the features stage took the notes from it: 'density.auto_bandwidths_km [55, ...]'
    # (and, with the back-test off, the 55 km KDE that sets auto's universe) were said by
    # validate but missing from the run's summary and manifest
    raw = {
        "area": {"bbox": [2.0, 42.0, 8.0, 48.0], "resolution": 4},
        "density": {"bandwidth_km": "auto"},
        "evaluate": {"enabled": back_test, "origins": 2, "train_days": 180, "horizon_days": 90},
        "hotspots": {"enabled": False},
    }
    state = _run_through_features(tmp_path, raw, spread_deg=0.5)
    assert state.density_choice is not None
    assert state.config.density.bandwidth_km in (55.0, 137.5, 275.0, 550.0)
    said = [n.split(" ")[0] for n in state.notes]
    assert "density.auto_bandwidths_km" in said, state.notes
    assert "evaluate.kde_bandwidth_km" in said, state.notes


def test_validate_writes_the_area_polygons_name_on_one_line(tmp_path, capsys):
    # Before: a0adc45 put the area polygon's file name in validate's 'valid (...)' line,
    # printed as it is: an escape sequence in the name reached the terminal (ESC [2J clears
    # it) and a newline began a line of the file's choosing; the pattern lines are escaped
    from pipeline.cli import main

    (tmp_path / "s.csv").write_text("date,lat,lon\n2024-01-01,45,5\n")
    name = "aoi\x1b[2J\u2028x.geojson"
    (tmp_path / name).write_text(
        '{"type": "Polygon", "coordinates": [[[4, 44], [6, 44], [6, 46], [4, 46], [4, 44]]]}'
    )
    raw = {
        "area": {"polygon": str(tmp_path / name), "resolution": 5},
        "inputs": {"seizures": [{"path": str(tmp_path / "s.csv")}]},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    assert main(["validate", str(tmp_path / "c.yaml"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u2028" not in out
    (valid,) = [line for line in out.splitlines() if ": valid (" in line]
    assert valid.endswith("; area polygon aoi\\x1b[2J\\u2028x.geojson)"), valid
