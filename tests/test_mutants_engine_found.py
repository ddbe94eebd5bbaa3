"""Promises of the Dask engine that a mutation check of ``pipeline/engine`` found untested.

Each test kills a hand-made mutant of ``pipeline/engine/dask.py`` that left the rest of the
suite passing: a scheduler with no worker let through (a run that would wait for ever), a task
that killed its worker raised as Dask's own ``KilledWorker`` rather than the product's
:class:`~pipeline.errors.WorkerLost`, and a worker's record logged by the client through a
logger the command had quieted.
"""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.slow


def test_a_scheduler_without_workers_is_refused_within_the_timeout():
    """A scheduler that answers but has no worker would take the run's tasks and never run
    them: the engine must give up within ``connect_timeout_s`` with a line that says so."""
    from distributed import LocalCluster

    from pipeline.config import DaskConfig
    from pipeline.engine.dask import DaskEngine
    from pipeline.errors import SchedulerUnreachable

    with LocalCluster(
        n_workers=0, processes=False, protocol="tcp", dashboard_address=None
    ) as empty:
        cfg = DaskConfig(scheduler=empty.scheduler_address, connect_timeout_s=1.0)
        with pytest.raises(SchedulerUnreachable, match="has no worker after 1 s"):
            DaskEngine.start(cfg)


@pytest.fixture(scope="module")
def cluster():
    """Two single-thread worker processes that give up on a task at its first lost worker
    (``allowed-failures: 0``; Dask's default retries it three times).  Each test connects an
    engine of its own: a failing task closes its engine and client, not this cluster."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            memory_limit="1GiB",
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as lc:
            yield lc


def _engine_on(cluster):
    from distributed import Client

    from pipeline.engine.dask import DaskEngine

    cluster.wait_for_workers(2, timeout=60)
    return DaskEngine(Client(cluster, set_as_default=False))


def test_a_task_that_kills_its_worker_fails_the_run_as_a_worker_lost(cluster, monkeypatch):
    """Dask raises its own ``KilledWorker`` for a task whose worker died under it (a crash in
    C code, the OOM killer); the runner maps :class:`WorkerLost` to its exit code and line.
    The engine's own look at its workers is put off so that the task's error comes first."""
    from _speed_dask import die_on_worker

    import pipeline.engine.dask as engine_dask
    from pipeline.errors import WorkerLost

    monkeypatch.setattr(engine_dask, "_POLL_S", 3600.0)
    engine = _engine_on(cluster)
    try:
        with pytest.raises(WorkerLost, match="killed its worker"):
            list(engine.map(die_on_worker, [3]))
    finally:
        engine.close()


def test_a_failed_task_ends_the_run_without_waiting_for_the_tasks_before_it(cluster, tmp_path):
    """Results are yielded in order, but a later task's failure must not wait for an earlier,
    long task to finish (on a national run, hours): the run fails as soon as it fails."""
    import time

    from _speed_dask import fail_on_worker_or_wait

    from pipeline.errors import InputError

    release = tmp_path / "release"
    engine = _engine_on(cluster)
    t0 = time.monotonic()
    try:
        with pytest.raises(InputError, match="late: refused"):
            list(engine.map(fail_on_worker_or_wait, ["slow", "late"], str(release)))
        waited = time.monotonic() - t0
    finally:
        release.touch()  # the slow task ends (a running task is not cancelled)
        engine.close()
    assert waited < 40.0, waited


def test_a_worker_s_record_of_a_quieted_logger_stays_quiet(dask_cluster, caplog):
    """The client drops a task's record where its own logger would: a logger the command set
    to WARNING (a chatty library's) says nothing at INFO from a worker either, while the root
    level lets INFO through; its warning is still logged."""
    from _speed_dask import log_info_on_worker

    name = "route_risk_test.quieted"
    caplog.set_level(logging.INFO)
    quieted = logging.getLogger(name)
    old = quieted.level
    quieted.setLevel(logging.WARNING)
    try:
        assert list(dask_cluster.engine().map(log_info_on_worker, [name])) == [name]
    finally:
        quieted.setLevel(old)
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == name]
    assert said == [(logging.WARNING, f"{name}: a warning of a quieted logger")]


def test_the_workers_peak_memory_is_in_bytes(dask_cluster):
    """The scaling benchmark prints each worker's peak memory: it is at least what the
    worker holds now as psutil measures it, in bytes (a worker that imported pandas holds
    tens of MiB), and under the machine's memory."""
    import os

    import psutil

    engine = dask_cluster.engine()
    now = engine.client.run(lambda: psutil.Process(os.getpid()).memory_info().rss)
    peaks = engine.peak_memory()  # after: a peak is never below what was held before it
    assert set(peaks) == set(now) and len(peaks) == 2
    total = psutil.virtual_memory().total
    for worker, peak in peaks.items():
        assert 16 * 2**20 <= now[worker] <= peak < total, (worker, peak, now[worker])


def test_an_opened_engine_is_closed_after_its_block_even_on_error(monkeypatch):
    """``open_engine`` shuts the run's cluster down when the run ends, well or not: a
    LocalCluster left open keeps its worker processes (and their memory) until the command
    exits, and a notebook's kernel until it is restarted."""
    from pipeline.config import DaskConfig
    from pipeline.engine import current_engine, open_engine
    from pipeline.engine.dask import DaskEngine

    class Recorded:
        name = "dask"
        closed = 0

        def close(self):
            self.closed += 1

    opened: list[Recorded] = []

    def start(cfg):
        assert isinstance(cfg, DaskConfig)
        opened.append(Recorded())
        return opened[-1]

    monkeypatch.setattr(DaskEngine, "start", staticmethod(start))
    with open_engine("dask") as engine:
        assert current_engine() is engine is opened[0]
        assert engine.closed == 0
    assert opened[0].closed == 1
    with pytest.raises(RuntimeError, match="a stage failed"), open_engine("dask"):
        raise RuntimeError("a stage failed")
    assert opened[1].closed == 1
    assert current_engine().name == "local"


def test_a_worker_that_joined_during_the_run_and_left_fails_it():
    """The run counts the workers it started with and every worker that joined later (it
    may hold the run's tasks and results): one of those leaving ends the run too."""
    from pipeline.engine.dask import DaskEngine
    from pipeline.errors import WorkerLost

    seen = iter([{"tcp://a": {}}, {"tcp://a": {}, "tcp://b": {}}, {"tcp://a": {}}])
    engine = DaskEngine.__new__(DaskEngine)
    engine._workers = lambda: next(seen)  # the scheduler's answers, one per look
    engine.workers = set(engine._workers())
    engine.check_workers()
    assert engine.workers == {"tcp://a", "tcp://b"}
    with pytest.raises(WorkerLost, match="'tcp://b'.* left the cluster"):
        engine.check_workers()
