"""The Dask engine against the local one on awkward-but-valid inputs (found by moving a
nightly job from ``run.engine: local`` to ``dask``).

Fast tests run the partition functions the workers run on the in-process engine (a run
with ``ingest.chunk_rows`` spills its tracks as a Dask run does); the ``slow`` ones start a
LocalCluster of their own (small memory) and compare published bytes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

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
    for k, v in sections.items():
        raw.setdefault(k, {}).update(v)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    return pipeline.load_config(path)


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
