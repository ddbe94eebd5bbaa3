"""The Dask engine against the local one on awkward-but-valid inputs (found by moving a
nightly job from ``run.engine: local`` to ``dask``).

Fast tests run the partition functions the workers run on the in-process engine (a run
with ``ingest.chunk_rows`` spills its tracks as a Dask run does); the ``slow`` ones start a
LocalCluster of their own (small memory) and compare published bytes.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED_DATA, config_from

import pipeline

#: Solent-like pings: three vessels, a ping a minute, around UTC midnight.
_T0 = pd.Timestamp("2016-01-12 23:50:00")


def _pings(vessels: list[int], minutes: int, lat0: float = 50.75) -> pd.DataFrame:
    rows = []
    for k, v in enumerate(vessels):
        for m in range(minutes):
            rows.append(
                {
                    "Time": (_T0 + pd.Timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S"),
                    "MMSI": v,
                    "Latitude_degrees": round(lat0 + 0.01 * k + 0.001 * m, 6),
                    "Longitude_degrees": round(-1.3 + 0.002 * m, 6),
                    "COG_degrees": 45.0,
                    "SOG_knots": 6.0,
                }
            )
    return pd.DataFrame(rows)


def _config(tmp_path: Path, tracks: list[Path], **sections) -> pipeline.config.Config:
    raw = {
        "run": {"as_of": "2016-01-14", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [-1.6, 50.6, -0.9, 50.95], "resolution": 8},
        "inputs": {"tracks": [{"path": str(p)} for p in tracks]},
        "ingest": {"max_reject_rate": 1.0},
        "score": {"factors": {"vessel_hours": {"weight": 1}}, "model": "weighted"},
        "timeline": {"months": 0},
        "evaluate": {"enabled": False},
        "hotspots": {"enabled": False},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }
    return config_from(raw, tmp_path, **sections)


def _overlapping_files(tmp_path: Path) -> list[Path]:
    """Two track files; the second repeats the first's last pings, then a ping off the area."""
    first = _pings([235070762, 235013375, 232002939], 20)
    second = pd.concat(
        [
            first.iloc[-5:],  # lines 2-6: given by the first file too (duplicate_across_files)
            _pings([235070762], 3).assign(Time=lambda f: f["Time"].str.replace("23:5", "00:5")),
            _pings([235999001], 1, lat0=50.5),  # line 10: south of the area (outside_aoi)
        ],
        ignore_index=True,
    )
    second.loc[5:7, "Time"] = ["2016-01-13 00:30:00", "2016-01-13 00:31:00", "2016-01-13 00:32:00"]
    tmp_path.mkdir(parents=True, exist_ok=True)
    a, b = tmp_path / "day1.csv", tmp_path / "day2.csv"
    first.to_csv(a, index=False)
    second.to_csv(b, index=False)
    return [a, b]


def test_rejects_of_a_file_repeating_an_earlier_one_are_in_line_order_on_every_engine(tmp_path):
    """A day file that repeats the history's last pings: its rejects file was written in
    line order by the partitioned (Dask) ingest, but with the ``duplicate_across_files``
    rows appended after the other rules' by the whole-file reader of the local engine, so
    the two engines published different ``rejects/`` bytes for the same records."""
    files = _overlapping_files(tmp_path / "in")
    whole = pipeline.run_pipeline(_config(tmp_path / "whole", files))
    # the partitioned ingest the Dask workers run, on the in-process engine
    parts = pipeline.run_pipeline(_config(tmp_path / "parts", files, ingest={"chunk_rows": 4}))
    name = "rejects/tracks-day2.csv"
    rejects = pd.read_csv(whole.out_dir / name)
    assert set(rejects["rule"]) == {"duplicate_across_files", "outside_aoi"}
    assert rejects["row"].is_monotonic_increasing, rejects[["row", "rule"]]
    assert (whole.out_dir / name).read_bytes() == (parts.out_dir / name).read_bytes()
    for key in ("read", "accepted", "rejected", "by_rule"):
        assert (
            whole.manifest["inputs"]["tracks"][1][key] == parts.manifest["inputs"]["tracks"][1][key]
        )


# --------------------------------------------------------------------------- on a Dask cluster


@pytest.fixture(scope="module")
def cluster(dask_cluster):
    """A LocalCluster of 2 single-thread workers, as ``run.engine: dask`` starts one
    (conftest's, shared with tests/test_dask.py), the current engine for the module's tests."""
    from pipeline.engine import use_engine

    with use_engine(engine := dask_cluster.engine()):
        yield engine


@pytest.mark.slow
def test_what_a_task_logs_on_a_worker_is_logged_by_the_client_in_task_order(cluster, caplog):
    """A task's warnings and log records on a worker were printed by the worker process as
    bare text on the run's stderr (a JSON log broken by non-JSON lines) or not at all: the
    worker has no product log.  They now reach the client's log, in task order, at the
    client's level (an INFO record is dropped at WARNING, kept at INFO)."""
    from _speed_dask import fail_on_worker, warn_on_worker

    from pipeline.config import DaskConfig
    from pipeline.engine import open_engine
    from pipeline.errors import InputError

    caplog.set_level(logging.WARNING)
    assert list(cluster.map(warn_on_worker, ["one", "two", "three"])) == ["one", "two", "three"]
    said = [(r.name, r.getMessage()) for r in caplog.records if r.name != "py.warnings"]
    assert said == [("pipeline.task", f"{t}: a stage's warning") for t in ("one", "two", "three")]
    warned = [r.getMessage() for r in caplog.records if r.name == "py.warnings"]
    assert any("one: a library's warning" in w and "RuntimeWarning" in w for w in warned)
    caplog.clear()
    caplog.set_level(logging.INFO)
    list(cluster.map(warn_on_worker, ["four"]))
    assert "four: a stage's info line" in [r.getMessage() for r in caplog.records]
    caplog.clear()
    # a failing task closes its engine: a cluster of its own (a second client connecting to
    # the module's scheduler from this process met distributed's register-client race once)
    with open_engine("dask", DaskConfig(workers=1, memory_limit="1GiB")) as own:
        with pytest.raises(InputError, match="five: refused"):
            list(own.map(fail_on_worker, ["five"]))
    assert "five: said before failing" in [r.getMessage() for r in caplog.records]


@pytest.mark.slow
def test_a_gdal_warning_on_a_worker_is_a_json_line_of_a_refused_dask_run(cluster, tmp_path, capsys):
    """A GeoJSON track layer with an unclosed polygon ring among its points, on Dask: GDAL's
    warning (a Python warning through pyogrio) was printed by the worker as two bare text
    lines on stderr, past the JSON log that the local engine's run writes it into; the run
    still ends refused in one line with exit code 2."""
    from test_cli import cli_here

    feats = [
        {
            "type": "Feature",
            "properties": {"mmsi": 235000001 + v, "time": f"2016-01-12T23:{10 + i}:00Z"},
            "geometry": {"type": "Point", "coordinates": [-1.2 + i / 100 + v / 50, 50.7]},
        }
        for v in range(3)
        for i in range(6)
    ]
    ring = [[-1.2, 50.7], [-1.1, 50.7], [-1.1, 50.8]]  # its first position not repeated
    feats.append(
        {
            "type": "Feature",
            "properties": {"mmsi": 235000009, "time": "2016-01-12T23:30:00Z"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
    )
    layer = tmp_path / "tracks.geojson"
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    cfg = _config(
        tmp_path,
        [layer],
        run={"engine": "dask"},
        dask={"scheduler": cluster.client.scheduler.address, "partition_rows": 50},
    )
    code, _, err = cli_here(capsys, "run", cfg.source, "--log-format", "json")
    lines = [json.loads(line) for line in err.splitlines()]  # every line a JSON object
    assert code == 2 and lines[-1]["exit_code"] == 2, err
    assert "polygon ring is not closed" in lines[-1]["message"]
    assert any(r["logger"] == "py.warnings" and "Non closed ring" in r["message"] for r in lines), (
        err
    )


SOLENT = SHARED_DATA / "tracks" / "SolentAIS_20160112_130211.csv"
#: What each engine must publish alike (the rejects files are compared one by one).
_TABLES = (
    "scores.csv",
    "scores.parquet",
    "features.parquet",
    "events.parquet",
    "pings.parquet",
    "seizures.parquet",
)


def _awkward_solent(folder: Path) -> list[Path]:
    """Real AIS pings (the Solent, 84 min) moved across UTC midnight, cut into files of five
    formats: a vessel's pings in several files and buckets, times with offsets, a file
    repeating another's pings, an empty file, a file of rejects only, one-ping vessels."""
    d = pd.read_csv(SOLENT)
    t = pd.to_datetime(d["Time"])
    t = t + (pd.Timestamp("2016-01-12 23:20") - t.min())
    d["Time"] = t.dt.strftime("%Y-%m-%d %H:%M:%S.%f").str[:-3]
    folder.mkdir(parents=True, exist_ok=True)
    n = len(d)
    a, b, c = d.iloc[: n // 3], d.iloc[n // 3 : 2 * n // 3].copy(), d.iloc[2 * n // 3 :].copy()
    paths = [folder / "a.csv", folder / "b.parquet", folder / "c.jsonl"]
    a.to_csv(paths[0], index=False)
    b["Time"] = pd.to_datetime(b["Time"]).dt.tz_localize("UTC")
    b.to_parquet(paths[1], index=False)
    c = pd.concat([a.iloc[-40:], c])  # repeats a's last pings
    local = pd.to_datetime(c["Time"]).dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo")
    c["Time"] = local.dt.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    c.to_json(paths[2], orient="records", lines=True)
    (folder / "empty.csv").write_text(",".join(d.columns) + "\n")
    (folder / "rejects_only.csv").write_text(
        ",".join(d.columns) + "\n2016-01-12 23:30:00,235999201,95.0,-1.2,0,0\n"
        "not a date,235999202,50.7,-1.2,0,0\n"
    )
    pd.DataFrame(
        {
            "Time": ["2016-01-13 00:00:00", "2016-01-13 00:00:00", "2016-01-12 23:59:59.999"]
            + ["2016-01-12 23:50:00", "2016-01-12 23:55:00"],
            "MMSI": [235999101, 235999102, 235999103, 235999104, 235999104],
            "Latitude_degrees": [50.7, 50.71, 50.72, 50.73, 50.731],
            "Longitude_degrees": [-1.2, -1.21, -1.22, -1.23, -1.231],
            "COG_degrees": [0.0] * 5,
            "SOG_knots": [0.0] * 5,
        }
    ).to_csv(folder / "midnight.csv", index=False)
    return [*paths, folder / "empty.csv", folder / "rejects_only.csv", folder / "midnight.csv"]


@pytest.mark.slow
@pytest.mark.skipif(not SOLENT.is_file(), reason="the shared real data is not here")
def test_real_ais_in_awkward_files_publishes_the_same_on_dask_as_locally(cluster, tmp_path):
    """The nightly job moved from the local engine (each file read whole) to Dask (blocks of
    700 records, tasks on 2 workers): the same tables, rejects files, counts and notes."""
    files = _awkward_solent(tmp_path / "in")
    lean = {
        "score": {"factors": {"vessel_hours": {"weight": 1}, "distinct_vessels": {"weight": 1}}}
    }
    local = pipeline.run_pipeline(_config(tmp_path / "local", files, **lean))
    address = cluster.client.scheduler.address
    dask = pipeline.run_pipeline(
        _config(
            tmp_path / "dask",
            files,
            run={"engine": "dask"},
            dask={"scheduler": address, "partition_rows": 700},
            **lean,
        )
    )
    for name in _TABLES:
        assert (local.out_dir / name).read_bytes() == (dask.out_dir / name).read_bytes(), name
    rejects = sorted(p.name for p in (local.out_dir / "rejects").iterdir())
    assert rejects == sorted(p.name for p in (dask.out_dir / "rejects").iterdir())
    for name in rejects:
        a, b = local.out_dir / "rejects" / name, dask.out_dir / "rejects" / name
        assert a.read_bytes() == b.read_bytes(), name
    assert local.manifest["counts"] == dask.manifest["counts"]
    assert local.manifest["counts"]["pings_used"] > 10 * 700  # many blocks and buckets
    for key in ("notes", "features"):  # the run's notes, transit's among the features'
        assert local.manifest.get(key) == dask.manifest.get(key), key
    for ea, eb in zip(
        local.manifest["inputs"]["tracks"], dask.manifest["inputs"]["tracks"], strict=True
    ):
        assert ea["read"] == ea["accepted"] + ea["rejected"], ea["path"]
        for key in ("read", "accepted", "rejected", "by_rule", "notes"):
            assert ea[key] == eb[key], (ea["path"], key)
    by_rule = {Path(e["path"]).name: e["by_rule"] for e in dask.manifest["inputs"]["tracks"]}
    assert by_rule["c.jsonl"]["duplicate_across_files"] > 30  # of a's last 40 (some were rejects)
    assert by_rule["rejects_only.csv"] and by_rule["empty.csv"] == {}
