"""Shared fixtures: the real data in ../shared/data and a headless Chromium page."""

from __future__ import annotations

import copy
import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: ``make test`` (CI) runs the "ci" profile, whose examples are derived from
# each test's own source, so a run is reproducible and never fails by the luck of a seed;
# ``make fuzz`` runs "explore" (random seeds, ten times the examples: see ``_property.py``).  A case exploration finds is
# fixed and pinned with ``@example`` on its test, so CI keeps checking it.  CI has no deadline:
# an example that took 260 ms on a loaded machine failed the 200 ms default (speed is ``make bench``'s).
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile(
    "explore",
    max_examples=1000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ROUTE_RISK_SHARED_DATA", REPO.parent / "shared" / "data"))
CHROMIUM = os.environ.get("ROUTE_RISK_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def disk_cells(radius: int, res: int = 6):
    """The sorted H3 cells within ``radius`` rings of (40° N, 10° E) at ``res``: a study area."""
    import numpy as np

    from pipeline import grid

    return np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], res), radius))


def write_rewritten_modules(config, paths) -> int:
    """Write pytest's rewritten bytecode of each module in ``paths`` that has none yet.

    pytest rewrites the asserts of every test module (and plug-in) it imports and caches the
    result beside it (``__pycache__/*-pytest-*.pyc``, keyed by the source's hash), unless
    bytecode writing is off: under ``PYTHONDONTWRITEBYTECODE=1`` (CI) each xdist worker
    rewrote all 150+ test files again (5.6 s of CPU a worker, loaded).  xdist's controller
    writes them once here, before it starts the workers, and the workers read them (pytest
    reads its cache whatever the flag); the code is pytest's own rewrite, so a worker runs
    what it would have made.  Return the number of files written.
    """
    import importlib.util

    try:
        from _pytest.assertion import assertstate_key
        from _pytest.assertion.rewrite import PYC_TAIL, _rewrite_test, _write_pyc, get_cache_dir
    except ImportError:  # another pytest: its workers rewrite the files themselves
        return 0
    state = config.stash[assertstate_key]
    written = 0
    for fn in paths:
        pyc = get_cache_dir(fn) / (fn.name[:-3] + PYC_TAIL)
        try:
            with open(pyc, "rb") as fp:
                header = fp.read(16)
        except OSError:
            header = b""
        try:
            if header[8:16] == importlib.util.source_hash(fn.read_bytes())[:8]:
                continue  # made before, for these bytes (pytest checks the rest as it reads it)
            source_hash, co = _rewrite_test(fn, config)
            pyc.parent.mkdir(parents=True, exist_ok=True)
        except (OSError, SyntaxError, ValueError):
            # unreadable, not Python, a read-only folder: the workers import (and report) it
            continue
        written += _write_pyc(state, co, source_hash, pyc)
    return written


def pytest_sessionstart(session):
    """In xdist's controller, write the rewritten bytecode once for its workers.

    The test files under the run's arguments and the plug-ins' modules the controller rewrote
    as it loaded them (hypothesis's whole package, xdist), which each worker loads again.
    Runs before xdist's own ``pytest_sessionstart`` (``trylast``), which starts the workers.
    """
    import fnmatch

    config = session.config
    if (
        not config.pluginmanager.has_plugin("dsession")
        or config.getoption("assertmode") != "rewrite"
    ):
        return  # one process: it rewrites each module once, as it imports it
    hook = next((f for f in sys.meta_path if type(f).__name__ == "AssertionRewritingHook"), None)
    paths = {Path(fn) for fn in getattr(hook, "_rewritten_names", {}).values()}
    patterns = [*config.getini("python_files"), "conftest.py"]
    for arg in config.args:
        p = Path(arg.split("::")[0]).resolve()
        for f in p.rglob("*.py") if p.is_dir() else [p] if p.is_file() else []:
            if any(fnmatch.fnmatch(f.name, pat) for pat in patterns):
                paths.add(f)
    write_rewritten_modules(config, sorted(paths))


@pytest.fixture(autouse=True)
def _root_logger_restored():
    """Give each test the root logger as it found it.

    An in-process command (``cli.main``) configures the root logger for its run: its
    handler and level (ERROR under ``-q``) stayed for the tests after it on the same
    worker, so a test reading a warning through ``caplog`` passed or failed by the order
    xdist gave it.
    """
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _section_presets_unchanged():
    """Fail the test that changes :data:`QUICK`, :data:`QUICK_TABLES` or :data:`LIGHT`.

    The presets' section dicts are shared by every test that spreads them: a config helper
    that updated ``raw["evaluate"]`` in place turned the back-test on (with a 365-day window)
    for every later test on the same worker, so a config check failed or passed by the
    order xdist gave the tests.
    """
    yield
    changed = restore_presets()
    assert not changed, f"this test changed the shared config preset(s) {changed}"


def restore_presets() -> list[str]:
    """Put back, in place, each preset that differs from its definition; return their names.

    Left changed, the preset failed every later test on the worker with the same message,
    each named as the one that changed it.
    """
    changed = []
    for name, now, was in _PRESETS_AS_DEFINED:
        if now != was:
            changed.append(name)
            now.clear()
            now.update(copy.deepcopy(was))
    return changed


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return ``../shared/data``, skipping the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def chromium_browser():
    """A headless Debian Chromium driven by Playwright (skip when Chromium is missing)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; run 'make test-deps'")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def night_theatre(tmp_path_factory) -> Path:
    """:func:`_nights.tiny_theatre`, generated once for the worker's session (about 1 s).

    Read, never written, by tests/test_nights_sequence.py, test_dask_nights.py and
    test_cache_keys.py (each copies what it changes into a folder of its own).
    """
    from _nights import tiny_theatre

    return tiny_theatre(tmp_path_factory.mktemp("night-theatre"))


def two_workers_back(eng, wait_s: float = 60) -> None:
    """Wait until the engine's LocalCluster runs two workers; start one its nanny did not.

    A SIGKILLed worker's nanny starts another within seconds, but on CI's loaded machine none
    had come back after a minute, three times in two full suites ("Only 1/2 workers arrived
    after 60"): the cluster is then given a worker of its own.
    """
    try:
        eng.client.wait_for_workers(2, timeout=wait_s)
    except TimeoutError:
        if eng.cluster is None:
            raise
        eng.cluster.scale(len(eng.cluster.worker_spec) + 1)
        eng.client.wait_for_workers(2, timeout=2 * wait_s)


class SharedCluster:
    """A 2-worker LocalCluster, as ``run.engine: dask`` starts one, shared by modules.

    :meth:`engine` returns the running one, or starts another where the last was closed: a
    task that fails closes its engine (the run fails closed); the tests make theirs fail
    through a client of their own (tests/test_dask.py).
    """

    #: Seconds to wait for a worker the nanny restarts before starting another cluster.
    wait_s = 60

    def __init__(self) -> None:
        self._engine = None

    def engine(self):
        eng = self._engine
        if eng is None or eng.client.status != "running":
            eng = self._restart()
        # a test that killed a worker (tests/test_dask_nights.py) leaves the nanny starting
        # another: the next run saw it leave and join and failed closed (WorkerLost, once in
        # a full suite): hand the cluster on once both workers are back
        try:
            eng.client.wait_for_workers(2, timeout=self.wait_s)
        except TimeoutError:
            # the nanny's new worker had not come back a minute later (CI, a loaded 2-core
            # machine: "Only 1/2 workers arrived after 60", two modules failed): a cluster of
            # its own, as the tests after a failed task get, rather than a test failed by
            # the one before it
            eng = self._restart()
            eng.client.wait_for_workers(2, timeout=2 * self.wait_s)
        # a run's engine fails closed when a worker it counted leaves (``check_workers``); the
        # shared engine outlives the runs, so the killed worker stayed counted and the next
        # module's run on it failed with WorkerLost (test_ids_chunks_found.py after
        # test_dask_nights.py): each test's run counts the workers it starts with
        eng.workers = set(eng.client.sync(eng.client.scheduler.identity, n_workers=-1)["workers"])
        return eng

    def _restart(self):
        """Close the engine (and its cluster) if any, and start a 2-worker one."""
        from pipeline.config import DaskConfig
        from pipeline.engine.dask import DaskEngine

        if self._engine is not None:
            self._engine.close()
        self._engine = DaskEngine.start(DaskConfig(workers=2, memory_limit="1GiB"))
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()


@pytest.fixture(scope="session")
def dask_cluster():
    """The worker's :class:`SharedCluster`, for the modules that run on a LocalCluster.

    Each module started a cluster of its own, whose two worker processes imported the
    pipeline again (about 7 s of CPU a cluster).  Their tests only submit tasks and connect
    runs to it; tests/test_dask_nights.py kills its workers from a run that connects to it
    (the run's engine fails closed on a worker gone; the cluster's nanny starts another
    worker, and the test undoes its trap).  Each module makes the engine current for its
    tests (``use_engine``), as ``open_engine`` did; it is not current for the session.
    A test whose task fails does so through a client of its own connected to the
    scheduler (``dask.scheduler``): the engine that runs a failed task closes itself, and
    the cluster it started (:meth:`SharedCluster.engine` then starts another).
    """
    shared = SharedCluster()
    try:
        yield shared
    finally:
        shared.close()


#: The viewport of a test's page, restored before each test.
VIEWPORT = {"width": 1280, "height": 900}


def _new_page(browser):
    """Open a context and page whose console and page errors are collected in ``page.errors``."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.request_listeners = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    return pg


@pytest.fixture(scope="session")
def _worker_page(chromium_browser):
    """One page for the worker's browser tests, opened again if a test closed or crashed it."""
    pages = [_new_page(chromium_browser)]
    yield pages
    pages[0].context.close()


@pytest.fixture()
def page(_worker_page, chromium_browser):
    """A page as a fresh one would be: each test opens its own map in it.

    A new browser context per test starts a new renderer process that compiles the map's
    scripts again (about 1.5 s of CPU a test).  One page is reused instead: each test gets it
    on ``about:blank`` (no document, script, timer or listener of the test before), at the
    default viewport, with the pointer outside the view (nothing hovered), no route and an
    empty ``page.errors``; the map's script keeps no state outside its document (no storage).
    A test that listens to requests appends its handler to ``page.request_listeners``, which
    are removed after it.
    """
    if _worker_page[0].is_closed():
        _worker_page[0] = _new_page(chromium_browser)
    pg = _worker_page[0]
    pg.set_viewport_size(VIEWPORT)
    pg.mouse.move(-1, -1)
    pg.errors.clear()
    yield pg
    if pg.is_closed():
        return
    pg.unroute_all(behavior="ignoreErrors")
    while pg.request_listeners:
        pg.remove_listener("request", pg.request_listeners.pop())
    pg.mouse.move(-1, -1)
    pg.goto("about:blank")


@pytest.fixture(scope="session")
def small_run(small_demo, tmp_path_factory) -> Path:
    """The out_dir of one default small run (weighted score, hot spots, uncertainty,
    back-test, three months on the slider), made once per session for tests that only read
    what it published (the map's consistency and its mutation tests)."""
    import pipeline

    cfg = small_config(small_demo, tmp_path_factory.mktemp("small_run"))
    pipeline.run_pipeline(cfg)
    return Path(cfg.run.out_dir)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """A small generated theatre (800 seizures, 12 vessels over 4 days), made once per session.

    Its night-lights raster has 0.2-degree pixels (475 x 275), not the demo's 0.05: still
    several pixels per resolution-4 cell, and each run that reads and draws it is about a
    second faster.
    """
    from pipeline.demo import generate_demo

    d = tmp_path_factory.mktemp("small")
    generate_demo(d / "inputs", n_seizures=800, n_vessels=12, days=4, raster_res_deg=0.2)
    return d


#: The stages a small run's test may leave out when its claim reads none of their outputs
#: (``small_config(..., **QUICK)``): the monthly timeline, the back-test and the hot spots.
QUICK = {
    "timeline": {"months": 0},
    "evaluate": {"enabled": False},
    "hotspots": {"enabled": False},
}

#: :data:`QUICK` without the exports a test reads none of (GeoJSON, FlatGeobuf, the preview).
QUICK_TABLES = {
    **QUICK,
    "render": {"geojson": False, "flatgeobuf": False, "preview_png": False},
}

#: A light run for the tests of the publish and the operations: no rasters, two factors, no
#: timeline, back-test or hot spots.
LIGHT = {
    **QUICK,
    "inputs": {"rasters": []},
    "score": {"factors": {"seizure_density": {"weight": 2}, "vessel_hours": {"weight": 1}}},
}


#: The presets and a deep copy of each as defined (``_section_presets_unchanged`` compares).
_PRESETS_AS_DEFINED = [
    (name, preset, copy.deepcopy(preset))
    for name, preset in (("QUICK", QUICK), ("QUICK_TABLES", QUICK_TABLES), ("LIGHT", LIGHT))
]


def publish_light(small_demo: Path, base: Path) -> tuple:
    """Publish one :data:`LIGHT` run into ``base/out``: (config, output folder, run id)."""
    import pipeline

    cfg = small_config(small_demo, base, **LIGHT)
    res = pipeline.run_pipeline(cfg)
    return cfg, res.out_dir, res.run_id


def seizures_per_cell(ctx, seizures):
    """The count of ``seizures`` in each of a factor context's cells (a plug-in's body)."""
    import pandas as pd

    import pipeline
    from pipeline import schema as S

    cells = pipeline.points_to_cells(
        seizures[S.LON].to_numpy(), seizures[S.LAT].to_numpy(), ctx.resolution
    )
    return pd.Series(cells).value_counts().reindex(ctx.cells, fill_value=0).to_numpy("float64")


def factor_context(cells):
    """A :class:`pipeline.factors.FactorContext` of ``cells`` as of 2024-01-01, no tables."""
    import pandas as pd

    from pipeline import grid
    from pipeline.factors import FactorContext

    return FactorContext(
        cells=cells,
        resolution=int(grid.cells_resolutions(cells[:1])[0]),
        as_of=pd.Timestamp("2024-01-01", tz="UTC"),
        seizures=pd.DataFrame(),
        pings=pd.DataFrame(),
    )


def km_plugin(name: str, description: str, options, compute):
    """Return an unregistered plug-in factor in km whose options are the model ``options``."""
    import pipeline

    return pipeline.factor(
        name=name, unit="km", description=description, options=options, register=False
    )(compute)


@pytest.fixture(scope="module")
def published(small_demo, tmp_path_factory):
    """One published light run a module shares: (config, output folder, run id).

    A module that needs another run defines its own ``published``.
    """
    return publish_light(small_demo, tmp_path_factory.mktemp("published"))


def copy_published(published: tuple, tmp_path: Path) -> tuple[Path, Path]:
    """Copy :func:`publish_light`'s folder (links kept) to ``tmp_path/out``: (folder, manifest)."""
    import shutil

    _, src, run_id = published
    out = tmp_path / "out"
    shutil.copytree(src, out, symlinks=True)
    return out, out / "runs" / run_id / "manifest.json"


def small_config(small_demo: Path, tmp_path: Path, **sections):
    """A config on ``small_demo`` writing into ``tmp_path/out``; ``sections`` update it."""
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
        "timeline": {"months": 3},
        "render": {"geojson": False, "preview_png": False},
    }
    return config_from(raw, tmp_path, **sections)


def tracks_from_may(small_demo: Path, path: Path) -> Path:
    """Write the demo's tracks plus a copy (other MMSIs) moved to start at 06:00 on 1 May 2026.

    The demo's own tracks are the last days of June, so the slider's earlier months have no
    transit (missing); with these May is recomputed from its own positions as well
    (:func:`pipeline.runner.stages.timeline`).
    """
    import pandas as pd

    ais = pd.read_csv(small_demo / "inputs" / "ais.csv")
    t = pd.to_datetime(ais["timestamp"], utc=True)
    may = ais.assign(
        mmsi=ais["mmsi"] + 1,
        timestamp=t - (t.min() - pd.Timestamp("2026-05-01 06:00", tz="UTC")),
    )
    tracks = pd.concat([ais.assign(timestamp=t), may], ignore_index=True)
    tracks["timestamp"] = tracks["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    tracks.to_csv(path, index=False)
    return path


def config_from(raw: dict, tmp_path: Path, **sections):
    """Load ``raw`` (a config's sections; ``sections`` update them) from ``tmp_path/c.yaml``."""
    import yaml

    import pipeline

    # a copy: ``raw`` may hold a shared preset's own section dicts (``{**QUICK, ...}``), and
    # updating those in place changed :data:`QUICK` for every later test on the worker
    raw = {k: dict(v) if isinstance(v, dict) else v for k, v in raw.items()}
    for k, v in sections.items():
        raw[k] = {**raw.get(k, {}), **v}
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    return pipeline.load_config(path)


def plugin_config(small_demo: Path, tmp_path: Path, plugin: str, name: str, options):
    """A ``small_config`` loading plug-in ``plugin`` (``module:attr``) with ``options`` for ``name``."""
    return small_config(
        small_demo, tmp_path, factors={"plugins": [plugin], "options": {name: options}}
    )


def small_config_with_seizures(small_demo: Path, tmp_path: Path, seizures, **sections):
    """A ``small_config`` reading ``seizures`` (a frame in the demo's layout) in place of the
    demo's file, without hot spots or back-test unless ``sections`` say otherwise."""
    path = tmp_path / "seizures_given.csv"
    tmp_path.mkdir(parents=True, exist_ok=True)
    seizures.to_csv(path, index=False)
    sections = {"hotspots": {"enabled": False}, "evaluate": {"enabled": False}, **sections}
    return small_config(
        small_demo, tmp_path, inputs={"seizures": [{"path": str(path)}]}, **sections
    )


# Demo-size fixtures: the tests that use them are slow (make test-fast leaves them out).
_DEMO_SIZE = ("demo_run", "full")


#: Files whose tests take minutes: first in the collection, so the first worker of
#: ``--dist worksteal`` runs them from the start (its half of the tests is stolen from the end)
#: and their module fixtures (the demo run, a Dask cluster) are built on one worker only.
_LONG_FILES = (
    "test_notebooks.py",
    "test_nightly_kill.py",
    "test_cli.py",
    "test_dask_found.py",  # before test_dask.py: they share a cluster (``dask_cluster``)
    "test_dask.py",
)


def pytest_collection_modifyitems(config, items):
    """Mark the tests that use a demo-size fixture ``slow``; put the long files first."""
    for item in items:
        if any(f in getattr(item, "fixturenames", ()) for f in _DEMO_SIZE):
            item.add_marker(pytest.mark.slow)
    rank = {name: i for i, name in enumerate(_LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
