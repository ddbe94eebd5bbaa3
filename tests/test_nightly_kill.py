"""SIGKILL at every step of a run: the published set is always one whole run.

Each attempt is a real ``route-risk run`` in its own process (forked from a server that
imported the command once: see ``_forked.py``) that kills itself with SIGKILL at a failpoint
(:func:`pipeline.runner.publish.failpoint`): at the start of stages from ingest to export, after the manifest
is staged, after the run folder is renamed into ``runs/``, after the links, just before and
just after ``current`` is switched, and while old runs are pruned.  After every kill the
published set must be the previous run or the killed one, complete, its manifest matching its
files; the next attempt needs no cleanup.
"""

from __future__ import annotations

import json
import signal

import pytest
from _forked import run_forked
from conftest import small_config
from test_nightly import assert_published_set_is_whole

from pipeline.runner.publish import FAILPOINT_ENV

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]

MOMENTS = [
    "stage ingest",
    "stage features",
    "stage hotspots",
    "stage render",
    "stage export",
    "publish: manifest written",
    "publish: run folder",
    "publish: links",
    "publish: switch",
    "publish: switched",
    "publish: pruning",
]


class _Ran:
    """The exit code and stderr of one attempt (the names of a finished subprocess)."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stderr = returncode, stderr


def _run(cfg, out, failpoint=None):
    argv = ["run", str(cfg.source), "--out", str(out), "-q", "--force"]
    return _Ran(*run_forked(argv, out.parent / "attempts", env={FAILPOINT_ENV: failpoint}))


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory):
    """A smaller theatre than ``small_demo``: 200 seizures, 8 vessels over 2 days.

    The thirteen runs below read its seizures and tracks (the pings are still written on
    their background thread while the stages run), not its raster: a raster costs each forked
    run about half a second of imports and reading, and publishing is the same without it.
    """
    from pipeline.demo import generate_demo

    d = tmp_path_factory.mktemp("tiny")
    generate_demo(d / "inputs", n_seizures=200, n_vessels=8, days=2, raster_res_deg=1.0)
    return d


def test_sigkill_at_any_moment_leaves_one_whole_set(tiny_demo, tmp_path):
    out = tmp_path / "out"
    configs = [
        small_config(  # light stages: the kills are about publishing, not the statistics
            tiny_demo,
            tmp_path / f"c{bw}",
            run={"keep_runs": 3},
            inputs={"rasters": []},
            score={"factors": {"seizure_density": {"weight": 2}, "vessel_hours": {"weight": 1}}},
            density={"bandwidth_km": bw},
            timeline={"months": 0},
            evaluate={"enabled": False},
            hotspots={"uncertainty": {"enabled": False}},
        )
        for bw in (30, 34)
    ]
    first = _run(configs[0], out)
    assert first.returncode == 0, first.stderr
    published = assert_published_set_is_whole(out)
    kills = 0
    for i, moment in enumerate(MOMENTS):
        cfg = configs[(i + 1) % 2]  # every attempt changes the density: a new set each time
        proc = _run(cfg, out, moment)
        assert proc.returncode == -signal.SIGKILL, (moment, proc.returncode, proc.stderr)
        kills += 1
        now = assert_published_set_is_whole(out)
        if now["run_id"] != published["run_id"]:  # only once the switch happened
            assert moment in ("publish: switched", "publish: pruning"), moment
            assert now["config"]["density"]["bandwidth_km"] == cfg.density.bandwidth_km
            assert now["previous_run"] == published["run_id"]
        else:
            assert moment not in ("publish: switched", "publish: pruning"), moment
        published = now
    assert kills >= 10
    final = _run(configs[0], out)  # no cleanup in between
    assert final.returncode == 0, final.stderr
    m = assert_published_set_is_whole(out)
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".") and p.is_symlink()]
    assert leftovers == []
    assert not list((out / "runs").glob(".staging-*"))
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert len(runs) == 3 and m["run_id"] == runs[-1]
    statuses = [
        json.loads((out / "runs" / r / "status.json").read_text())["status"]
        for r in runs
        if (out / "runs" / r / "status.json").exists()
    ]
    assert set(statuses) <= {"killed"}
