"""A spilled track file whose repeats of an earlier file change keeps no stale part (hFZ's R21).

A track file's pings that repeat an earlier input file's are rejects
(``duplicate_across_files``); which they are depends on the earlier file, so the spill that
is left is keyed by the earlier files' keys too (``_read._ingest_one``).  Each file's cells
with AIS reception are memoised under that key: kept under the file's own key alone, a night
whose earlier file lost its last pings reused the cells of the night before, when those
pings were repeats, and the stretch they alone cover lost its AIS coverage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from _nights import differences, published

import pipeline
from pipeline.grid import cells_to_latlng

#: km per degree of longitude at 43° N
KM_PER_DEG = 111.32 * np.cos(np.radians(43.0))


def _track() -> pd.DataFrame:
    """270 pings of one vessel at 12 kn going east: every 2 min, but every 30 min for
    pings 130-149 (a 220 km stretch that no other ping comes within 5 km of)."""
    minutes = np.r_[np.full(130, 2.0), np.full(20, 30.0), np.full(119, 2.0)]
    t = np.r_[0.0, np.cumsum(minutes)]
    km = t / 60.0 * 12 * 1.852
    return pd.DataFrame(
        {
            "mmsi": "227000001",
            "timestamp": (
                pd.Timestamp("2024-03-01T00:00:00Z") + pd.to_timedelta(t, unit="min")
            ).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lat": "43.0",
            "lon": [f"{2.0 + k / KM_PER_DEG:.6f}" for k in km],
        }
    )


def _night(root: Path):
    raw = {
        "run": {"out_dir": str(root / "out"), "as_of": "2024-03-05"},
        "area": {"bbox": [0, 40, 10, 46], "resolution": 5},
        "inputs": {"tracks": [{"path": str(root / "feed" / "*.csv")}]},
        "ingest": {"chunk_rows": 100},  # each file holds 130-150 records: spilled
        "transit": {"coverage_km": 5},
        "score": {"factors": {"vessel_hours": {"weight": 1}}},
        "evaluate": {"enabled": False},
        "hotspots": {"enabled": False},
        "timeline": {"months": 0},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }
    (root / "night.yaml").write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(root / "night.yaml")
    night = pipeline.run_pipeline(cfg)
    cold = pipeline.run_pipeline(cfg, out_dir=root / "cold", cold=True)
    return night, cold


def test_a_file_whose_repeats_change_with_the_earlier_file_keeps_no_stale_cells(tmp_path):
    feed = tmp_path / "feed"
    feed.mkdir()
    track = _track()
    later = track.iloc[120:]  # its first 30 pings repeat a.csv's last 30
    track.iloc[:150].to_csv(feed / "a.csv", index=False)
    later.to_csv(feed / "b.csv", index=False)
    first, _ = _night(tmp_path)
    (entry,) = [e for e in first.manifest["inputs"]["tracks"] if e["path"].endswith("b.csv")]
    assert entry["by_rule"] == {"duplicate_across_files": 30}

    # the earlier file loses its last 20 pings: b.csv (unchanged) now holds them alone
    track.iloc[:130].to_csv(feed / "a.csv", index=False)
    night, cold = _night(tmp_path)
    (entry,) = [e for e in night.manifest["inputs"]["tracks"] if e["path"].endswith("b.csv")]
    assert entry["by_rule"] == {"duplicate_across_files": 10}
    assert not differences(published(night), published(cold))
    # and the cells the 20 pings were received in have AIS coverage
    scores = pd.read_parquet(Path(night.out_dir) / "scores.parquet")
    covered = scores["vessel_hours__covered"].to_numpy(dtype=bool)
    lon = cells_to_latlng(scores["cell"].to_numpy(dtype="uint64"))[1]
    mid = (lon > 3.5) & (lon < 5.5)  # between pings 130 and 149, at 12 kn every 30 min
    assert covered[mid].sum() >= 10, (mid.sum(), covered[mid].sum())
