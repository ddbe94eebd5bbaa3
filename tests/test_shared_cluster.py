"""The tests' shared LocalCluster hands on two workers, even when one never came back.

CI failed two modules on "Only 1/2 workers arrived after 60": a worker killed by an earlier
test (or by its memory limit) had not been restarted by its nanny a minute later, and the
shared cluster was handed on with one.  :meth:`conftest.SharedCluster.engine` now starts a
cluster of its own when the wait runs out.
"""

from __future__ import annotations

import time

import pytest
from conftest import SharedCluster, two_workers_back

pytestmark = pytest.mark.slow


def _running_workers(eng) -> int:
    info = eng.client.sync(eng.client.scheduler.identity, n_workers=-1)
    return sum(w["status"] == "running" for w in info["workers"].values())


def test_a_cluster_left_with_one_worker_is_replaced_by_one_with_two():
    shared = SharedCluster()
    shared.wait_s = 5
    try:
        first = shared.engine()
        assert _running_workers(first) == 2
        first.cluster.scale(1)  # a worker gone for good: no nanny starts it again
        deadline = time.monotonic() + 30
        while _running_workers(first) != 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _running_workers(first) == 1

        second = shared.engine()
        assert second is not first
        assert _running_workers(second) == 2
        assert second.workers == set(
            second.client.sync(second.client.scheduler.identity, n_workers=-1)["workers"]
        )
        assert shared.engine() is second  # a healthy cluster is kept
    finally:
        shared.close()


def test_a_worker_no_nanny_brings_back_is_started_by_the_cluster():
    shared = SharedCluster()
    try:
        eng = shared.engine()
        eng.cluster.scale(1)
        deadline = time.monotonic() + 30
        while _running_workers(eng) != 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _running_workers(eng) == 1
        two_workers_back(eng, wait_s=3)
        assert _running_workers(eng) == 2
    finally:
        shared.close()
