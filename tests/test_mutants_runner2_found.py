"""Cache-key parts and a killed run's record that a mutation review of the runner left untested.

Each test pins a part of a stage's cache key (or of the clean-up after a killed run) that a
hand-made mutant removed with every other test still passing: two nights into one output
folder that differ in one setting only must publish what a cold run of the second publishes.
"""

from __future__ import annotations

from pathlib import Path

from _corpus import IGNORE_PENDING_DEPRECATION
from conftest import LIGHT, small_config

pytestmark = IGNORE_PENDING_DEPRECATION


def _sha(result, name: str) -> str | None:
    """The sha256 of output ``name`` of a run (None when it wrote none)."""
    return result.manifest["outputs"].get(name, {}).get("sha256")


def test_a_changed_bandwidth_over_all_cells_recomputes_the_timeline(small_demo, tmp_path):
    """``area.cells: all`` scores every cell of the area whatever the density: a changed
    ``density.bandwidth_km`` then leaves the features' cells (part of the timeline's key)
    as they were while every month's density changes.  Only the density config in the
    timeline stage's key tells the night that its months are stale."""
    import pipeline

    def config(bandwidth: float, out: Path):
        return small_config(
            small_demo,
            tmp_path / out.name,
            **{
                **LIGHT,
                "run": {"out_dir": str(out)},
                "area": {"bbox": [-85, -10, 10, 45], "resolution": 2, "cells": "all"},
                "density": {"bandwidth_km": bandwidth},
                "timeline": {"months": 2},
            },
        )

    first = pipeline.run_pipeline(config(250.0, tmp_path / "out"))
    night = pipeline.run_pipeline(config(400.0, tmp_path / "out"))
    cold = pipeline.run_pipeline(config(400.0, tmp_path / "cold"), cold=True)
    # the claim's premise: the same cells, another density
    assert night.manifest["counts"]["cells"] == first.manifest["counts"]["cells"]
    assert _sha(night, "features") != _sha(first, "features")
    assert _sha(cold, "timeline") is not None
    assert _sha(night, "timeline") == _sha(cold, "timeline")
    assert night.manifest["stages"]["timeline"]["cached"] is False


def _paired_seizures(n: int = 30):
    """``n`` places each holding two seizures of one day: one of cocaine, one of cannabis.

    The places lie on a 5-degree grid (over 400 km apart): a kernel of 150 km reaches each
    cell from one place at most, so a cell's density sums the same numbers, exactly, when
    a place's two seizures weigh 1 and 1 or 2 and 0.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    grid = [(la, lo) for la in range(5, 41, 5) for lo in range(-70, -19, 5)]
    lat, lon = np.array([grid[i] for i in rng.choice(len(grid), n, replace=False)], float).T
    days = pd.Timestamp("2026-06-01") - pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    one = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "lat": lat,
            "lon": lon,
            "quantity": 10.0,
            "unit": "kg",
        }
    )
    return pd.concat(
        [one.assign(commodity="cocaine"), one.assign(commodity="cannabis")], ignore_index=True
    )


def test_commodity_weights_that_keep_the_density_still_change_the_risk_interval(
    small_demo, tmp_path
):
    """Each place holds a cocaine and a cannabis seizure of one day: weighing them 1 and 1
    or 2 and 0 gives every cell the same density, the same risk and the same published
    columns (the uncertainty stage's key holds them), but the bootstrap resamples other
    weights (a cannabis seizure drawn twice adds nothing at 0).  Only the density config in
    that stage's key tells the night that its interval is stale."""
    import pandas as pd

    import pipeline

    path = tmp_path / "seizures.csv"
    _paired_seizures().to_csv(path, index=False)

    def config(weights: dict[str, float], out: Path):
        return small_config(
            small_demo,
            tmp_path / out.name,
            **{
                **LIGHT,
                "run": {"out_dir": str(out)},
                "inputs": {"seizures": [{"path": str(path)}], "rasters": []},
                "area": {"bbox": [-85, -10, 10, 45], "resolution": 2},
                "density": {"bandwidth_km": 150.0, "commodity_weights": weights},
                "hotspots": {"enabled": True, "uncertainty": {"n_resamples": 49}},
            },
        )

    cols = ["risk_lower", "risk_upper", "risk_class_stability"]
    first = pipeline.run_pipeline(config({}, tmp_path / "out"))
    night = pipeline.run_pipeline(config({"cocaine": 2.0, "cannabis": 0.0}, tmp_path / "out"))
    cold = pipeline.run_pipeline(
        config({"cocaine": 2.0, "cannabis": 0.0}, tmp_path / "cold"), cold=True
    )
    # the claim's premise: the same density and risk, another interval
    same = ["cell", "risk", "seizure_density", "seizure_density__contrib"]
    pd.testing.assert_frame_equal(night.scores[same], first.scores[same], check_exact=True)
    assert not cold.scores[cols].equals(first.scores[cols])
    pd.testing.assert_frame_equal(night.scores[cols], cold.scores[cols])


def test_a_lower_max_speed_is_not_served_the_tracks_read_under_the_higher_one(small_demo, tmp_path):
    """``ingest.max_speed_kn`` rejects a position implying a faster speed while the tracks
    are read: the file is the same bytes and its source options are the same, so only the
    ingest options in the ingest stage's key tell the night that the table parsed under the
    old limit is not this night's."""
    import pipeline

    def config(max_speed_kn: float, out: Path):
        return small_config(
            small_demo,
            tmp_path / out.name,
            **{
                **LIGHT,
                "run": {"out_dir": str(out)},
                "area": {"bbox": [-85, -10, 10, 45], "resolution": 2},
                "density": {"bandwidth_km": 300.0},
                "ingest": {"max_speed_kn": max_speed_kn},
            },
        )

    first = pipeline.run_pipeline(config(60.0, tmp_path / "out"))
    night = pipeline.run_pipeline(config(14.0, tmp_path / "out"))
    cold = pipeline.run_pipeline(config(14.0, tmp_path / "cold"), cold=True)
    # the claim's premise: the lower limit rejects positions the higher one kept
    assert cold.manifest["counts"]["pings_used"] < first.manifest["counts"]["pings_used"]
    assert night.manifest["counts"] == cold.manifest["counts"]
    for name in ("pings", "features", "scores_csv"):
        assert _sha(night, name) == _sha(cold, name), name


def test_a_killed_run_is_recorded_once_and_a_runs_own_record_is_kept(published, tmp_path):
    """After a SIGKILL the run's staging folder is all that is left: the next run's clean-up
    removes it and writes ``runs/<run_id>/status.json`` saying ``killed``, so history and
    status list the night.  A run that wrote its own record (failed) and was killed while
    removing its staging folder keeps that record: it is not rewritten as killed."""
    import json

    from conftest import copy_published

    from pipeline.run import run_history, run_status
    from pipeline.runner.publish import remove_stale_staging, write_status

    out, _ = copy_published(published, tmp_path)
    killed, failed = "29990101T000000Z-abcdef", "29990102T000000Z-fedcba"
    (out / "runs" / f".staging-{killed}").mkdir()
    (out / "runs" / f".staging-{killed}" / "scores.csv").write_text("cell,risk\n")
    write_status(out, failed, {"run_id": failed, "status": "failed", "error": "boom"})
    (out / "runs" / f".staging-{failed}").mkdir()

    assert remove_stale_staging(out) == [killed, failed]
    assert not list((out / "runs").glob(".staging-*"))
    record = json.loads((out / "runs" / killed / "status.json").read_text())
    assert record["run_id"] == killed and record["status"] == "killed"
    history = {r["run_id"]: r["status"] for r in run_history(out)}
    assert history[killed] == "killed" and history[failed] == "failed"
    assert json.loads((out / "runs" / failed / "status.json").read_text())["error"] == "boom"
    st = run_status(out, verify=False)
    assert st["killed"] == [] and st["last_run"]["run_id"] == failed
    assert remove_stale_staging(out) == []  # recorded once: nothing left to record
