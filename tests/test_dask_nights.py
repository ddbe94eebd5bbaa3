"""Nights that switch between the local and the Dask engine: each publishes a cold local run.

tests/test_dask.py runs one night on each engine; tests/test_nights_sequence.py and
tests/test_cache_keys.py run sequences of nights on the local engine only, and take
``run.engine`` and the ``dask.*`` options to change no table.  Here one output folder is run
night after night with the engine switched between nights (local, then Dask with another
day of pings and new seizures, local reading its tracks whole, Dask with another
``dask.partition_rows``), on a feed of daily track files named by a pattern (a file with bad
rows, files that repeat the day before's last pings), and each night's published tables,
rejects and manifest sections (:func:`_nights.published`) are compared byte for byte with a
cold local run of the same inputs.  The memos of parts cross engines: a Dask night takes the
vessel-day blocks and encounter days a local night kept, and the other way round.  The
``slow`` test kills a worker while it writes its transit shard, one while the tracks are
spilled, and the whole run (SIGKILL) while the shards are written; the night after each
publishes a cold run's bytes again.

The manifest's evidence for a track file's columns counts the records of the file's first
chunk (``ingest.chunk_rows`` locally, ``dask.partition_rows`` on Dask; both decide alike): the
cold run reads in the night's chunks.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from _forked import start_forked
from _nights import differences, inputs_key, night_raw, published
from _speed_dask import kill_nowhere, kill_once_at
from conftest import two_workers_back

from pipeline.engine import WorkerLost

pytestmark = IGNORE_PENDING_DEPRECATION

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster(dask_cluster):
    """The worker's 2-worker LocalCluster, as ``run.engine: dask`` starts one (conftest's).

    The nights connect to its scheduler: a cluster a night would start two more worker
    processes that import the pipeline again (as in tests/test_dask.py).  The nanny starts
    a worker the slow test kills again, and :func:`kill_nowhere` undoes its trap, so the
    cluster is shared with the other modules (a cluster is about 4.5 s of CPU).
    """
    return dask_cluster.engine()


@pytest.fixture(scope="module")
def theatre(night_theatre) -> Path:
    """A tiny generated theatre (:func:`_nights.tiny_theatre`, conftest's, shared)."""
    return night_theatre


class _Nights:
    """One output folder, night after night on either engine, each compared with a cold
    local run of the same inputs into a fresh folder."""

    def __init__(self, theatre: Path, root: Path, scheduler: str) -> None:
        self.theatre, self.root, self.scheduler = theatre, root, scheduler
        self.data = root / "data"
        self.data.mkdir(parents=True)
        self.out = root / "out"
        self.refs: dict[str, dict] = {}
        self.memo_lines: list[str] = []

    def raw(self, engine: str, chunk_rows: int | None) -> dict:
        """The night's config: the feed ``ais-*.csv`` read ``chunk_rows`` records a chunk."""
        raw = night_raw(self.theatre, self.data, self.out, ["ais-*.csv"], "2026-06-30")
        raw["run"]["engine"] = engine
        raw["ingest"] = {"chunk_rows": chunk_rows, "max_reject_rate": 0.5}
        if engine == "dask":  # the Dask engine reads partition_rows records a chunk
            raw["ingest"]["chunk_rows"] = None
            raw["dask"] = {"scheduler": self.scheduler, "partition_rows": chunk_rows}
        return raw

    def config(self, raw: dict, name: str = "night"):
        import yaml

        import pipeline

        path = self.root / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw))
        return pipeline.load_config(path)

    def cold(self, chunk_rows: int | None) -> dict:
        """What a cold local run of the inputs as they are now publishes (made once)."""
        import pipeline

        raw = self.raw("local", chunk_rows)
        files = sorted(p for p in self.data.iterdir() if p.is_file())
        key = inputs_key(files, raw)
        if key not in self.refs:
            folder = self.root / f"cold-{len(self.refs)}"
            res = pipeline.run_pipeline(self.config(raw, "cold"), out_dir=folder, cold=True)
            self.refs[key] = published(res)
            shutil.rmtree(folder)
        return self.refs[key]

    def night(self, label: str, engine: str, chunk_rows: int | None):
        """Run a night into the folder on ``engine``; compare it with a cold local run."""
        import pipeline

        handler = _MemoLines(self.memo_lines)
        logger = logging.getLogger("pipeline")
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        self.memo_lines.clear()
        try:
            res = pipeline.run_pipeline(self.config(self.raw(engine, chunk_rows)))
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        bad = differences(published(res), self.cold(chunk_rows))
        assert not bad, f"night {label!r} ({engine}): differs from a cold local run: {bad}"
        return res

    def from_memo(self, what: str) -> int:
        """Parts of ``what`` ("vessel-day block", "day") the last night took from a memo."""
        got = [
            int(m.group(1))
            for line in self.memo_lines
            if (m := re.search(rf"(\d+) {what}\(s\) from the memo", line))
        ]
        assert got, (what, self.memo_lines)
        return sum(got)


class _MemoLines(logging.Handler):
    """Keep the transit's lines of parts taken from its memos."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.INFO)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.startswith("transit:") and "from the memo" in msg:
            self.lines.append(msg)


def _feed(theatre: Path, data: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[pd.DataFrame]]:
    """The theatre's seizures, ports and its pings by UTC day, and the first night's files.

    Day 1's file has a latitude out of range and a time that is no time (rejects).
    """
    seizures = pd.read_csv(theatre / "seizures.csv", dtype=str, keep_default_na=False)
    ais = pd.read_csv(theatre / "ais.csv", dtype=str, keep_default_na=False)
    day = ais["timestamp"].str[:10]
    days = [ais[day == d] for d in sorted(day.unique())]
    assert len(days) == 3
    seizures.iloc[:-20].to_csv(data / "seizures.csv", index=False)
    shutil.copyfile(theatre / "ports.csv", data / "ports.csv")
    first = days[0].copy()
    first.loc[first.index[5], "lat"] = "95.0"
    first.loc[first.index[9], "timestamp"] = "not a time"
    first.to_csv(data / "ais-1.csv", index=False)
    return seizures, ais, days


def _with_overlap(before: pd.DataFrame, day: pd.DataFrame, n: int) -> pd.DataFrame:
    """A day's file that starts with the day before's last ``n`` pings (a feed's overlap)."""
    return pd.concat([before.iloc[-n:], day])


def test_nights_switching_engines_each_equal_a_cold_local_run(theatre, tmp_path, cluster):
    n = _Nights(theatre, tmp_path, cluster.client.scheduler.address)
    seizures, _, days = _feed(theatre, n.data)
    first = n.night("history, local, read in chunks", "local", 1000)
    rules = first.manifest["inputs"]["tracks"][0]["by_rule"]
    assert sum(rules.values()) >= 2, rules  # the bad rows are rejects, on every night

    # Dask: seizures appended, a day's file that repeats the day before's last pings
    seizures.to_csv(n.data / "seizures.csv", index=False)
    _with_overlap(days[0], days[1], 25).to_csv(n.data / "ais-2.csv", index=False)
    res = n.night("a new day on Dask", "dask", 300)
    assert res.manifest["inputs"]["tracks"][1]["by_rule"].get("duplicate_across_files") == 25

    # local, the tracks read whole (no spill): the Dask night's shards serve its first day
    _with_overlap(days[1], days[2], 10).to_csv(n.data / "ais-3.csv", index=False)
    n.night("a new day, local, read whole", "local", None)
    assert n.from_memo("vessel-day block") > 0

    # Dask in other partitions, the oldest day gone, a seizure corrected in place: the
    # local night's blocks of the other days serve it
    fixed = seizures.copy()
    fixed.loc[40, "date"] = "2026-06-02"
    fixed.to_csv(n.data / "seizures.csv", index=False)
    (n.data / "ais-1.csv").unlink()
    n.night("the oldest day removed, on Dask, dask.partition_rows changed", "dask", 200)
    assert n.from_memo("vessel-day block") > 0
    assert n.from_memo("day") > 0  # encounter days
    n.night("the same inputs, local", "local", 1000)


def _published_manifest(out: Path) -> bytes:
    return (out / "manifest.json").read_bytes()


@pytest.mark.slow  # eight runs and a run of the command (~15 s)
def test_a_dask_night_killed_then_the_next_nights_equal_a_cold_local_run(
    theatre, tmp_path, cluster
):
    """A worker killed between the two files of its transit shard, one killed while the
    tracks are spilled, and the whole run SIGKILLed (by a worker) while the shards are
    written: the published set stays, and the next night - on Dask or locally - publishes
    what a cold local run does (no half-written part is read)."""
    client = cluster.client
    n = _Nights(theatre, tmp_path, client.scheduler.address)
    seizures, _, days = _feed(theatre, n.data)
    _with_overlap(days[0], days[1], 25).to_csv(n.data / "ais-2.csv", index=False)
    n.night("history on Dask", "dask", 300)

    seizures.to_csv(n.data / "seizures.csv", index=False)
    _with_overlap(days[1], days[2], 10).to_csv(n.data / "ais-3.csv", index=False)
    for k, moment in enumerate(("shard", "spill")):
        if moment == "spill":  # a changed file: spilled again
            days[2].iloc[:-30].to_csv(n.data / "ais-3.csv", index=False)
        before = _published_manifest(n.out)
        flag = tmp_path / f"killed-{k}"
        client.run(kill_once_at, str(flag), moment)
        try:
            with pytest.raises(WorkerLost, match="left the cluster"):
                n.night(f"a worker killed at the {moment}", "dask", 300)
        finally:
            two_workers_back(cluster)  # its nanny starts another (or the cluster does)
            client.run(kill_nowhere)
        assert flag.exists()
        assert _published_manifest(n.out) == before
        n.night(f"after a worker killed at the {moment}, on Dask", "dask", 300)
        n.night(f"after a worker killed at the {moment}, local", "local", 1000)

    # the whole run killed while its partitions write their shards
    _with_overlap(days[1], days[2], 10).to_csv(n.data / "ais-3.csv", index=False)
    before = _published_manifest(n.out)
    cfg = n.config(n.raw("dask", 300))
    # a process of its own, forked from the server that imported the command once (a fresh
    # interpreter spent about 3.5 s of CPU importing it): the worker SIGKILLs its pid
    run = start_forked(["run", str(cfg.source), "-q"], tmp_path / "logs", cwd=REPO)
    flag = tmp_path / "killed-run"
    try:
        client.run(kill_once_at, str(flag), "shard", run.proc.pid)
        code, _, err = run.wait(timeout=120)
    finally:
        if run.proc.is_alive():
            run.proc.kill()
            run.proc.join()
        time.sleep(0.6)  # the worker wrote its shard's second file after the kill
        client.run(kill_nowhere)
    assert code == -9 and flag.exists(), err[-2000:]
    assert _published_manifest(n.out) == before
    assert list((n.out / ".cache").glob("memo_transit_hours-*.shards"))  # left by the kill
    n.night("after the run was killed, on Dask", "dask", 300)
    n.night("after the run was killed, local", "local", None)
