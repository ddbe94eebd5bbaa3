"""Two cache and coverage rules a mutation pass (hGB) found no test for (hGE).

B24: the back-test's cache key holds the code digest of the plug-ins that count seizures;
their values at the back-test's origins are in no table the key digests, so a plug-in whose
code changed only those values reused the back-test of the old code.

F06: a smoothed transit event count (``transit.smooth_events_km``) reaches as far as its
kernel, and so does what the factor observes: its coverage radius is the larger of
``coverage_km`` and ``smooth_events_km``; further away it is "no AIS coverage" (NaN), not 0.
"""

from __future__ import annotations

import importlib
import json
import sys

import h3
import numpy as np
import pandas as pd
import pytest
from conftest import config_from, small_config

import pipeline
from pipeline import schema as S
from pipeline.sphere import EARTH_RADIUS_KM, haversine_km

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

# ----------------------------------------------------------------------------- B24

PLUGIN = "hge_backtest_plugin"
FACTOR = "hge_seizures_given_history"

PLUGIN_SOURCE = """
import numpy as np
import pandas as pd

import pipeline
from pipeline import schema as S

#: fewer days of seizures before as_of than this: too little history to say (NaN)
MIN_HISTORY_DAYS = {days}


@pipeline.factor(
    name="{name}",
    unit="seizures",
    description="Seizures in the cell in the year before as_of, given enough history.",
    needs=("seizures",),
)
def counted(ctx):
    s = ctx.seizures[ctx.seizures[S.TIME] <= ctx.as_of]
    if not len(s) or (ctx.as_of - s[S.TIME].min()).days < MIN_HISTORY_DAYS:
        return np.full(len(ctx.cells), np.nan)
    s = s[s[S.TIME] > ctx.as_of - pd.Timedelta(days=365)]
    cells = pipeline.points_to_cells(s[S.LON].to_numpy(), s[S.LAT].to_numpy(), ctx.resolution)
    return pd.Series(cells).value_counts().reindex(ctx.cells, fill_value=0).to_numpy("float64")
"""


@pytest.fixture()
def backtest_plugin(tmp_path, monkeypatch):
    """Return ``write(days)``: (re)write the plug-in module with ``MIN_HISTORY_DAYS = days``.

    Each write drops the module from ``sys.modules``: the next run imports the file again,
    as the next night's process does (no bytecode is written, so none can be stale).
    """
    from pipeline.factors import default_registry

    mods = tmp_path / "mods"
    mods.mkdir()
    monkeypatch.syspath_prepend(str(mods))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)

    def write(days: int) -> None:
        (mods / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE.format(days=days, name=FACTOR))
        sys.modules.pop(PLUGIN, None)
        importlib.invalidate_caches()

    yield write
    sys.modules.pop(PLUGIN, None)
    default_registry._factors.pop(FACTOR, None)
    if FACTOR in default_registry._entries:
        default_registry._entries.remove(FACTOR)


def test_a_back_test_cached_before_a_plugin_s_code_changed_is_not_reused(
    small_demo, tmp_path, backtest_plugin
):
    """A plug-in counting seizures, edited between two nights so that its values change at
    the back-test's origins only (more history asked than they have, less than ``as_of``
    has): the features table is the same, the back-test is not.  The night after the edit
    publishes the evaluation a cold run of the edited code does, not the old code's."""
    seizures = pd.read_csv(small_demo / "inputs" / "seizures.csv", parse_dates=["date"])
    history = (pd.Timestamp("2026-06-30") - seizures["date"].min()).days

    def run(out):
        factors = {"seizure_density": {"weight": 1}, FACTOR: {"weight": 1}}
        cfg = small_config(
            small_demo,
            out,
            inputs={"rasters": []},
            factors={"plugins": [f"{PLUGIN}:counted"]},
            score={"factors": factors},
            evaluate={"origins": 3},
            timeline={"months": 0},
            hotspots={"enabled": False},
            render={"geojson": False, "flatgeobuf": False, "preview_png": False},
        )
        return pipeline.run_pipeline(cfg)

    def evaluation(result) -> dict:
        return json.loads((result.out_dir / "evaluation.json").read_text())

    backtest_plugin(0)
    before = run(tmp_path / "nights")
    old = evaluation(before)  # read now: the next night publishes into the same folder
    # as_of has the history asked for; the back-test's origins (from 91 days before) have not
    backtest_plugin(history - 60)
    after = run(tmp_path / "nights")
    assert not after.up_to_date
    cold = run(tmp_path / "cold")
    codes = [r.manifest["factors"][FACTOR]["code_digest"] for r in (before, after, cold)]
    assert codes[0] != codes[1] == codes[2]
    # the edit changed no value the features table holds (as of the run's day) ...
    pd.testing.assert_frame_equal(before.scores, after.scores)
    # ... but the origins' values: the old code's back-test is not the edited code's
    assert old["origins"] != evaluation(cold)["origins"]
    assert evaluation(after)["origins"] == evaluation(cold)["origins"]
    assert after.manifest["stages"]["back-test"]["parts"]["back-test"] is False


# ----------------------------------------------------------------------------- F06


def _drift_theatre(folder) -> tuple[pd.DataFrame, object]:
    """Write one vessel drifting north at 1 kn for 6 h from (40° W, 20° N) (a loiter, away
    from any port) and three seizures near it; return (the pings, the raw config)."""
    from conftest import QUICK_TABLES

    folder.mkdir(parents=True, exist_ok=True)
    minutes = np.arange(0.0, 361.0, 10.0)
    km_per_deg = np.radians(1.0) * EARTH_RADIUS_KM
    ais = pd.DataFrame(
        {
            "mmsi": 232374568,
            "timestamp": (
                pd.Timestamp("2024-06-01", tz="UTC") + pd.to_timedelta(minutes, unit="min")
            ).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lat": 20.0 + 1.852 * minutes / 60 / km_per_deg,
            "lon": -40.0,
            "sog": 1.0,
            "cog": 0.0,
        }
    )
    ais.to_csv(folder / "ais.csv", index=False)
    pd.DataFrame(
        {"date": ["2024-01-05", "2024-02-05", "2024-03-05"], "lat": [19.0, 21.0, 20.5]}
    ).assign(lon=[-41.0, -39.0, -40.5]).to_csv(folder / "seizures.csv", index=False)
    raw = {
        "run": {"as_of": "2024-06-30", "out_dir": str(folder / "out")},
        "area": {"bbox": [-42.5, 17.5, -37.5, 22.5], "resolution": 5, "cells": "all"},
        "inputs": {
            "seizures": [{"path": str(folder / "seizures.csv")}],
            "tracks": [{"path": str(folder / "ais.csv")}],
        },
        "score": {"factors": {"seizure_density": {"weight": 1}, S.LOITER_EVENTS: {"weight": 1}}},
        **QUICK_TABLES,
    }
    return ais, raw


def _nearest_position_km(cells: np.ndarray, ais: pd.DataFrame) -> np.ndarray:
    """Each cell centre's great-circle distance to the nearest received position (h3, haversine)."""
    lat, lon = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in cells]).T
    return haversine_km(
        lon[:, None], lat[:, None], ais["lon"].to_numpy()[None, :], ais["lat"].to_numpy()[None, :]
    ).min(axis=1)


def test_smoothed_event_counts_cover_as_far_as_their_kernel_and_no_further(tmp_path):
    """``smooth_events_km`` 80 with ``coverage_km`` 5 at resolution 5 (cells ~17 km apart):
    every cell within 80 km of a received position has a smoothed loiter count (a value, a
    0 where the kernel ends), though ``coverage_km`` alone reaches about two rings; a cell
    beyond both (over 160 km away) is "no AIS coverage" (NaN), never 0."""
    ais, raw = _drift_theatre(tmp_path)
    raw["transit"] = {"coverage_km": 5.0, "smooth_events_km": 80.0}
    res = pipeline.run_pipeline(config_from(raw, tmp_path))
    s = res.scores
    d = _nearest_position_km(s[S.CELL].to_numpy(dtype="uint64"), ais)
    values = s[S.LOITER_EVENTS].to_numpy(dtype="float64")
    covered = s[S.LOITER_EVENTS + S.COVERED_SUFFIX].to_numpy(dtype=bool)
    within, beyond = d <= 80.0, d > 160.0
    # cells coverage_km alone leaves out (over four rings away), the kernel reaches
    assert (within & (d > 4 * 17.5)).sum() >= 10 and beyond.sum() > 500
    assert covered[within].all() and np.isfinite(values[within]).all()
    assert (values[d < 40.0] > 0).all()  # the loiter's smoothed count, not a 0
    assert not covered[beyond].any() and np.isnan(values[beyond]).all()
    assert res.manifest["factors"][S.LOITER_EVENTS]["missing_text"] == "no AIS coverage"


@pytest.mark.parametrize(
    ("lon", "lat", "res"),
    [(-40.0, 20.0, 7), (-40.0, 20.0, 8), (150.0, -62.0, 8)],
    ids=["atlantic-res7", "atlantic-res8", "southern-res8"],
)
def test_ais_coverage_reaches_every_cell_within_its_radius_at_fine_resolutions(lon, lat, res):
    """40 km (``coverage_km``'s default) is 16 to 45 cell spacings at resolutions 7 and 8:
    the grid disks of ``ceil(40 / spacing) + 1`` rings reached 40 km at their corners only
    (their sides ~35 km at resolution 8), so 8 of the 952 cells within 40 km of a position at
    resolution 7 and 794 of 6,694 at resolution 8 were "no AIS coverage".  Every cell whose
    centre is within the radius of a position (haversine, h3 centres) is covered; none much
    beyond it (the disks' corners) is."""
    from pipeline.builtin_factors import ais_coverage

    km_per_deg = np.radians(1.0) * EARTH_RADIUS_KM
    minutes = np.arange(0.0, 121.0, 10.0)  # 2 h north at 10 kn: 37 km of positions
    pings = pd.DataFrame(
        {
            S.TIME: pd.Timestamp("2024-06-01", tz="UTC") + pd.to_timedelta(minutes, unit="min"),
            S.LON: lon,
            S.LAT: lat + 10 * 1.852 * minutes / 60 / km_per_deg,
        }
    )
    start = h3.latlng_to_cell(lat, lon, res)
    spacing = h3.average_hexagon_edge_length(res, unit="km") * np.sqrt(3)
    ring = int(np.ceil(90.0 / spacing))
    cells = np.array(sorted(h3.str_to_int(c) for c in h3.grid_disk(start, ring)), dtype="uint64")
    d = _nearest_position_km(cells, pings.rename(columns={S.LON: "lon", S.LAT: "lat"}))
    covered = ais_coverage(pings, cells, res, 40.0)
    beyond = d > 1.1 * 40.0 + 2 * spacing  # past the disks' corners (rounded outwards)
    assert (d <= 40.0).sum() > 900 and beyond.sum() > 900
    assert covered[d <= 40.0].all(), f"{int((~covered[d <= 40.0]).sum())} cells left out"
    assert not covered[beyond].any()


# ----------------------------------------------------------------------------- review


def test_a_changed_preset_fails_the_test_that_changed_it_and_no_later_one(tmp_path):
    """``_section_presets_unchanged`` failed the test that changed :data:`conftest.QUICK`
    but left it changed: every later test on the worker then failed too, each said to be
    the one that changed it (and ran with the changed preset).  Run as pytest runs two
    tests in order: the first fails (at its teardown), the second sees QUICK as defined."""
    import os
    import subprocess
    from pathlib import Path

    tests = Path(__file__).parent
    (tmp_path / "test_order.py").write_text(
        "from conftest import LIGHT, QUICK\n\n\n"
        "def test_a_changes_it():\n"
        '    QUICK["evaluate"]["enabled"] = True\n\n\n'
        "def test_b_leaves_it():\n"
        '    assert QUICK["evaluate"] == {"enabled": False} == LIGHT["evaluate"]\n'
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},
        "PYTHONPATH": os.pathsep.join([str(tests), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", "-rA"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stdout
    assert "ERROR test_order.py::test_a_changes_it" in out, out
    assert "PASSED test_order.py::test_b_leaves_it" in out, out
    assert "FAILED" not in out and "2 passed, 1 error" in out, out  # one teardown error
