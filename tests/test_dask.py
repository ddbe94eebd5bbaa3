"""The Dask engine (issue 16): the same stage functions as tasks, the same tables as local.

Fast tests run the partitioned ingest on the in-process engine (the same partition functions
the Dask workers run) against the one-pass reader; the ``slow`` ones start a 2-worker
``LocalCluster``, a scheduler and workers as separate processes, and kill a worker mid-run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _corpus import CORPUS, IGNORE_PENDING_DEPRECATION
from _property import examples
from _speed_dask import wait_on_worker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ingest_stream import SAME_TABLES, ais_csv

import pipeline
from pipeline.config import DaskConfig, load_config
from pipeline.engine import (
    EngineError,
    LocalEngine,
    SchedulerUnreachable,
    WorkerLost,
    current_engine,
    map_combine,
    open_engine,
    use_engine,
)
from pipeline.errors import ConfigError, RouteRiskError
from pipeline.ingest import TrackSource
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned
from pipeline.transit import transit_features

pytestmark = IGNORE_PENDING_DEPRECATION

REPO = Path(__file__).resolve().parents[1]
#: Records per block and pings per transit partition in the runs (the demo has ~3,800 pings).
PARTITION_ROWS = 700
TRACK_FILES = sorted(p.name for p in CORPUS.glob("t_*"))

#: Published tables a run on either engine must write byte for byte alike.
TABLES = [*SAME_TABLES, "scores.gpkg", "timeline.parquet"]
#: The runs compared here leave out what no engine runs as tasks and TABLES does not hold:
#: the Gi* hot spots (test_hotspots_gistar) and the FlatGeobuf scores (~1 s of each run).
LEAN = {"hotspots": {"enabled": False}, "render": {"flatgeobuf": False}}


# --------------------------------------------------------------------------- helpers


def _spills(src, tmp: Path, engine, chunk_rows: int, n_buckets: int = 3, **kw):
    """One file read in one pass and as partitions on ``engine``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = spill_tracks(src, tmp / "one", chunk_rows=chunk_rows, n_buckets=n_buckets, **kw)
        (part,) = spill_tracks_partitioned(
            [src], [tmp / "part"], engine, chunk_rows=chunk_rows, n_buckets=n_buckets, **kw
        )
    return one, part


def _assert_same_spill(one, part, tmp: Path) -> None:
    for key in ("source", "n_read", "n_accepted", "by_rule", "notes", "assumptions"):
        assert getattr(part, key) == getattr(one, key), key
    assert part.time_max == one.time_max and part.extent == one.extent
    np.testing.assert_array_equal(part.vessels, one.vessels)
    np.testing.assert_array_equal(part.vessel_rows, one.vessel_rows)
    a, b = one.write_rejects(tmp / "ra"), part.write_rejects(tmp / "rb")
    assert a.read_bytes() == b.read_bytes()
    sa = PingStore([one], chunk_rows=4).write_parquet(tmp / "a.parquet")
    sb = PingStore([part], chunk_rows=4).write_parquet(tmp / "b.parquet")
    assert sa.read_bytes() == sb.read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _same_run(a, b) -> None:
    """Two runs published the same tables, rejects and manifest counts."""
    for name in TABLES:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
    assert a.manifest["counts"] == b.manifest["counts"]
    for kind in ("seizures", "tracks"):
        for ea, eb in zip(a.manifest["inputs"][kind], b.manifest["inputs"][kind], strict=True):
            for key in ("read", "accepted", "rejected", "by_rule", "notes", "assumptions"):
                assert ea[key] == eb[key], (kind, key)


# --------------------------------------------------------------------------- config and engines


def test_dask_section_is_validated_with_clear_messages():
    assert DaskConfig().scheduler == "local" and DaskConfig().workers == 2
    assert DaskConfig(scheduler="tcp://10.0.0.5:8786").scheduler == "tcp://10.0.0.5:8786"
    for bad, needle in (
        ({"scheduler": "10.0.0.5"}, "'10.0.0.5'"),
        ({"memory_limit": "12KB"}, "'12KB'"),
        ({"memory_limit": "lots"}, "'lots'"),
        ({"workers": 0}, "greater than or equal to 1"),
        ({"partition_rows": True}, "True"),
        ({"threads": 2}, "threads"),
    ):
        with pytest.raises(ValueError, match=needle):
            DaskConfig(**bad)


def test_run_engine_accepts_dask_only_besides_local(small_demo, tmp_path):
    from conftest import small_config

    cfg = small_config(small_demo, tmp_path, run={"engine": "dask"}, dask={"workers": 3})
    assert cfg.run.engine == "dask" and cfg.dask.workers == 3
    with pytest.raises(ConfigError, match="engine"):
        small_config(small_demo, tmp_path / "b", run={"engine": "spark"})


def test_local_engine_maps_in_order_and_combines():
    eng = LocalEngine()
    assert list(eng.map(divmod, [7, 9, 11], 4)) == [(1, 3), (2, 1), (2, 3)]
    assert map_combine(eng, str, [1, 2, 3], lambda a, b: a + b) == "123"  # order kept
    with pytest.raises(ValueError, match=r"\[\]"):
        map_combine(eng, str, [], lambda a, b: a + b)


def test_current_engine_is_local_unless_set():
    assert isinstance(current_engine(), LocalEngine)
    marker = LocalEngine()
    with use_engine(marker):
        assert current_engine() is marker
    assert current_engine() is not marker
    with pytest.raises(ConfigError, match="'spark'"), open_engine("spark"):
        pass


def test_unreachable_scheduler_fails_fast_with_one_line(tmp_path, small_demo, capsys):
    """Nothing listens on the port: one clear line and exit 2 within the timeout, no hang."""
    from conftest import small_config

    port = _free_port()
    cfg = DaskConfig(scheduler=f"tcp://127.0.0.1:{port}", connect_timeout_s=1)
    t0 = time.monotonic()
    with pytest.raises(SchedulerUnreachable, match=f"'tcp://127.0.0.1:{port}'"):
        with open_engine("dask", cfg):
            pass
    assert time.monotonic() - t0 < 10
    assert issubclass(SchedulerUnreachable, RouteRiskError)
    small_config(
        small_demo,
        tmp_path,
        run={"engine": "dask"},
        dask={"scheduler": f"tcp://127.0.0.1:{port}", "connect_timeout_s": 1},
    )
    from pipeline.cli import main

    t0 = time.monotonic()
    code = main(["run", str(tmp_path / "c.yaml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert time.monotonic() - t0 < 30
    assert len(err) == 1 and "did not answer within 1 s" in err[0], err
    assert not (tmp_path / "out" / "risk_map.html").exists()


# --------------------------------------------------------------------------- partitioned ingest


@pytest.mark.parametrize("chunk_rows", [1, 1000])
@pytest.mark.parametrize("name", TRACK_FILES)
def test_partitioned_ingest_equals_one_pass(tmp_path, name, chunk_rows):
    """Chunks and buckets as tasks: the same records, rules, lines, notes and bytes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one = spill_tracks(CORPUS / name, tmp_path / "one", chunk_rows=chunk_rows, n_buckets=3)
    except RouteRiskError as exc:  # refused alike, with the same message
        with pytest.raises(type(exc)) as got:
            spill_tracks_partitioned(
                [CORPUS / name], [tmp_path / "s2"], LocalEngine(), chunk_rows=chunk_rows
            )
        assert str(got.value) == str(exc)
        return
    # the one-pass spill above is the reference (``_spills`` would read the file again)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (part,) = spill_tracks_partitioned(
            [CORPUS / name], [tmp_path / "part"], LocalEngine(), chunk_rows=chunk_rows, n_buckets=3
        )
    _assert_same_spill(one, part, tmp_path)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=ais_csv(), chunk_rows=st.integers(1, 9))
def test_hostile_ais_partitioned_equals_one_pass(tmp_path_factory, text, chunk_rows):
    tmp = tmp_path_factory.mktemp("hp")
    path = tmp / "ais.csv"
    path.write_bytes(text.encode())
    cols = {"vessel_id": "mmsi", "time": "timestamp", "lat": "lat", "lon": "lon"}
    src = TrackSource(path=path, columns=cols)
    try:
        one, part = _spills(src, tmp, LocalEngine(), chunk_rows, n_buckets=2)
    except RouteRiskError:
        return
    _assert_same_spill(one, part, tmp)


def test_parquet_blocks_read_only_their_rows(tmp_path):
    """Row ranges across row-group edges give the rows a one-pass batch reader gives."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.ingest.stream import _parquet_rows

    n = 1000
    pq.write_table(pa.table({"a": np.arange(n)}), tmp_path / "x.parquet", row_group_size=300)
    for start, stop in ((0, 250), (250, 500), (299, 301), (900, 1000), (0, 1000), (5, 5)):
        got = _parquet_rows(tmp_path / "x.parquet", start, stop).column("a").to_numpy()
        np.testing.assert_array_equal(got, np.arange(start, stop))


def test_several_files_partitioned_at_once(tmp_path):
    """Files are planned together (their chunks interleave as tasks) and stay apart."""
    names = ["t_generic.csv", "t_dma.csv"]
    srcs = [CORPUS / n for n in names if (CORPUS / n).exists()]
    assert len(srcs) == 2
    folders = [tmp_path / f"p{i}" for i in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = spill_tracks_partitioned(srcs, folders, LocalEngine(), chunk_rows=3, n_buckets=4)
    for i, (src, part) in enumerate(zip(srcs, parts, strict=True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one = spill_tracks(src, tmp_path / f"o{i}", chunk_rows=3, n_buckets=4)
        _assert_same_spill(one, part, tmp_path / f"cmp{i}")


# --------------------------------------------------------------------------- on a Dask cluster


@pytest.fixture(scope="module")
def cluster_engine(dask_cluster):
    """A 2-worker LocalCluster, as ``run.engine: dask`` starts one (conftest's, shared),
    the current engine for the module's tests."""
    with use_engine(engine := dask_cluster.engine()):
        yield engine


def test_local_cluster_workers_keep_no_profile_history(cluster_engine):
    """The workers' statistical profiler is off: its call trees (one a second, 1,000 kept)
    would grow a worker's memory with the run's length, not its partitions.

    Both workers hold a task for 1.3 s, more than a profile cycle: with the profiler on, each
    would have a cycle in its history by then.  (The task sleeps: the cycle needs the time,
    not a busy CPU; and it lives in ``_speed_dask``, so the workers do not import this
    module.)"""
    assert all(n > 0 for n in cluster_engine.map(wait_on_worker, [1.3, 1.3]))

    def history(dask_worker):
        return len(dask_worker.profile_history) + len(dask_worker.profile_keys_history)

    assert set(cluster_engine.client.run(history).values()) == {0}


@pytest.mark.slow
def test_density_tiles_as_tasks_equal_the_local_engine(cluster_engine):
    """The FFT density's tiles run as tasks: on 2 workers the same numbers as in-process."""
    from pipeline.density._fft import density_fft
    from pipeline.engine import use_engine

    rng = np.random.default_rng(3)
    # 30 x 25 degrees: 40 tiles of 25 km (80 x 70 degrees made 221 tiles, 10 s of tasks)
    p_lon, p_lat = rng.uniform(-30, 0, 4000), rng.uniform(0, 25, 4000)
    t_lon, t_lat = rng.uniform(-30, 0, 20000), rng.uniform(0, 25, 20000)
    w = rng.uniform(0.5, 2, 4000)
    tasks: list[int] = []

    class Counting(LocalEngine):
        def map(self, func, items, *args):
            tasks.append(len(items))
            return super().map(func, items, *args)

    with use_engine(Counting()):
        local = density_fft(t_lon, t_lat, p_lon, p_lat, w, 25.0)
    with use_engine(cluster_engine):
        dist = density_fft(t_lon, t_lat, p_lon, p_lat, w, 25.0)
    np.testing.assert_array_equal(local, dist)
    assert local.max() > 0
    assert tasks[0] > 10, tasks  # many more tiles than workers


@pytest.mark.slow
@pytest.mark.parametrize("lazy", [False, True], ids=["in-memory", "file-backed"])
def test_zonal_reads_as_tasks_equal_the_local_engine(cluster_engine, tmp_path, lazy):
    """Zonal statistics per read of raster rows as tasks: the local engine's numbers.

    (Before the test whose failing task closes the module's cluster.)
    """
    import rioxarray
    import xarray as xr
    from affine import Affine
    from distributed import get_task_stream

    from pipeline.engine import use_engine
    from pipeline.grid import points_to_cells
    from pipeline.zonal import zonal_stats_to_cells

    rng = np.random.default_rng(16)
    values = rng.gamma(2.0, 3.0, (2, 300, 400)).astype("float32")
    values[0, 40:60, 100:180] = np.nan  # a hole of nodata
    da = xr.DataArray(values, dims=("band", "y", "x"), coords={"band": [1, 2]})
    da = da.rio.write_crs("EPSG:4326").rio.write_transform(Affine(0.01, 0, 10, 0, -0.01, 45))
    if lazy:
        da.rio.to_raster(tmp_path / "r.tif", tiled=True, blockxsize=64, blockysize=16)
        da = rioxarray.open_rasterio(tmp_path / "r.tif")
    cells = np.unique(points_to_cells(rng.uniform(10, 14, 3000), rng.uniform(42, 45, 3000), 7))
    kw = dict(stats=["mean", "max", "min", "sum", "valid_fraction"], memory_budget_mb=0.05)
    local = zonal_stats_to_cells(da, cells, **kw)
    with use_engine(cluster_engine), get_task_stream(cluster_engine.client) as stream:
        dist = zonal_stats_to_cells(da, cells, **kw)
    tasks = [t for t in stream.data if "_read_partial" in str(t["key"])]
    assert len(tasks) > 10  # the reads ran on the workers
    pd.testing.assert_frame_equal(local, dist, check_exact=True)
    assert local["raster_b1_mean"].notna().sum() > 100 and local["raster_b1_max"].max() > 0
    whole = zonal_stats_to_cells(da, cells, **(kw | {"memory_budget_mb": 256}))
    pd.testing.assert_frame_equal(local, whole, rtol=1e-9)  # reads only split the sums


@pytest.fixture(scope="module")
def local_run(small_demo, tmp_path_factory):
    """The small demo on the local engine (the reference of the Dask runs).

    Read in chunks of the Dask runs' partitions: a track file's assumptions (the evidence
    for its columns, sampled from its first chunk) then describe the same first block.  The
    published tables are those of a file read whole either way (test_ingest_stream).
    """
    from conftest import small_config

    cfg = small_config(
        small_demo,
        tmp_path_factory.mktemp("local"),
        ingest={"chunk_rows": PARTITION_ROWS},
        **LEAN,
    )
    return pipeline.run_pipeline(cfg)


@pytest.mark.slow
def test_demo_run_on_a_local_cluster_equals_local(small_demo, tmp_path, local_run, cluster_engine):
    """The small demo on the module's 2-worker LocalCluster: the local engine's tables.

    The run connects to the cluster's scheduler (a cluster of its own would start two more
    worker processes that import the pipeline again, ~8 s of CPU); ``cluster_engine`` is
    started by ``DaskEngine.start`` as ``run.engine: dask`` starts one, and the run's tasks
    are seen on its workers.  (Before the test whose failing task closes that cluster.)
    """
    from conftest import small_config
    from distributed import get_task_stream

    address = cluster_engine.client.scheduler.address
    assert len(cluster_engine.workers) == 2
    cfg = small_config(
        small_demo,
        tmp_path,
        run={"engine": "dask"},
        dask={"scheduler": address, "partition_rows": PARTITION_ROWS},
        **LEAN,
    )
    with get_task_stream(cluster_engine.client) as stream:
        res = pipeline.run_pipeline(cfg)
    _same_run(local_run, res)
    assert res.manifest["counts"]["pings_used"] > 2 * PARTITION_ROWS  # several partitions
    assert not list((res.out_dir / ".spill").glob("*")), "spill folder left behind"
    ran_on = {t["worker"] for t in stream.data}
    assert ran_on and ran_on <= set(cluster_engine.workers), ran_on  # the run's tasks ran there


@pytest.mark.slow
def test_dask_tasks_equal_one_pass_and_transit(cluster_engine, tmp_path):
    """Ingest and transit as tasks on 2 workers: the bytes and features of one pass."""
    src = CORPUS / "t_generic.csv"
    one, part = _spills(src, tmp_path, cluster_engine, chunk_rows=3)
    _assert_same_spill(one, part, tmp_path)
    a = transit_features(PingStore([one], chunk_rows=5), 6, engine=LocalEngine())
    b = transit_features(PingStore([part], chunk_rows=5), 6, engine=cluster_engine)
    pd.testing.assert_frame_equal(a.features, b.features)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert a.notes == b.notes
    # a task's error is the error, and the engine fails closed: through a client of its own
    # (a run's, connected to the scheduler), so the shared cluster serves the next modules
    address = cluster_engine.client.scheduler.address
    with open_engine("dask", DaskConfig(scheduler=address)) as eng:
        with pytest.raises(ValueError, match="invalid literal"):
            list(eng.map(int, ["1", "x"]))
        assert eng.client.status != "running"
    assert cluster_engine.client.status == "running"


@pytest.fixture()
def scheduler_process(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on localhost (no nanny)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    dask_bin = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    worker_bin = [sys.executable, "-m", "distributed.cli.dask_worker"]
    log = open(tmp_path / "cluster.log", "wb")  # noqa: SIM115 (closed at teardown)
    procs = [
        subprocess.Popen(
            [*dask_bin, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=log,
            stderr=log,
        )
    ]
    for _ in range(2):
        procs.append(
            subprocess.Popen(
                [*worker_bin, address, "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                env=env,
                stdout=log,
                stderr=log,
                cwd=tmp_path,
            )
        )
    try:
        from distributed import Client

        with Client(address, timeout=30) as c:
            c.wait_for_workers(2, timeout=60)
        yield address, procs[1:]
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:  # a worker whose scheduler is going may wait on it: killed after 5 s
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()


@pytest.mark.slow
def test_separate_scheduler_run_equals_local_and_a_killed_worker_fails_closed(
    small_demo, tmp_path, local_run, scheduler_process, monkeypatch
):
    """A run on a scheduler started as its own process; then a worker killed mid-run."""
    from conftest import small_config

    from pipeline.engine.dask import DaskEngine

    address, workers = scheduler_process
    cfg = small_config(
        small_demo,
        tmp_path,
        run={"engine": "dask"},
        dask={"scheduler": address, "partition_rows": PARTITION_ROWS},
        **LEAN,
    )
    res = pipeline.run_pipeline(cfg)
    _same_run(local_run, res)
    published = {p.name: p.read_bytes() for p in res.out_dir.iterdir() if p.is_file() and p.suffix}
    assert "risk_map.html" in published and "manifest.json" in published

    # the second run loses a worker process (SIGKILL) once its first tasks are submitted
    original = DaskEngine.map
    victim = workers[0]

    def map_then_kill(self, func, items, *args):
        if victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(timeout=10)
            deadline = time.monotonic() + 20  # the scheduler sees the closed connection
            while len(self.client.scheduler_info()["workers"]) > 1:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        yield from original(self, func, items, *args)

    monkeypatch.setattr(DaskEngine, "map", map_then_kill)
    t0 = time.monotonic()
    with pytest.raises(WorkerLost, match="left the cluster"):
        pipeline.run_pipeline(cfg, as_of="2026-06-29")  # a new run, not up to date
    assert time.monotonic() - t0 < 60
    assert issubclass(WorkerLost, EngineError)
    after = {p.name: p.read_bytes() for p in res.out_dir.iterdir() if p.is_file() and p.suffix}
    assert after == published  # the published map and manifest stay
    assert not list((res.out_dir / ".spill").glob("*")), "spill folder left behind"


def test_config_file_engine_round_trip(tmp_path):
    """The engine section from YAML, as the CLI reads it."""
    (tmp_path / "s.csv").write_text("lat,lon,date\n1,2,2024-01-01\n")
    (tmp_path / "c.yaml").write_text(
        "run: {engine: dask}\n"
        "dask: {scheduler: 'tcp://127.0.0.1:8786', partition_rows: 5000, memory_limit: 3GiB}\n"
        "inputs: {seizures: [{path: s.csv}]}\n"
    )
    cfg = load_config(tmp_path / "c.yaml")
    assert (cfg.run.engine, cfg.dask.partition_rows, cfg.dask.memory_limit) == (
        "dask",
        5000,
        "3GiB",
    )
