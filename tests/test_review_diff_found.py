"""A fresh-eyes review of the changes between 19476c3 and eb69521 (review hCB).

Each test here failed on the code before its fix.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import LIGHT, QUICK, config_from, small_config


def _vessel_hours(small_demo: Path, folder: Path, resolution: int) -> pd.Series:
    """Publish a :data:`LIGHT` run at ``resolution`` into ``folder``; its vessel-hours."""
    import pipeline

    area = {"bbox": [-85, -10, 10, 45], "resolution": resolution}
    cfg = small_config(small_demo, folder, **LIGHT, area=area)
    res = pipeline.run_pipeline(cfg)
    table = pd.read_parquet(res.out_dir / "features.parquet", columns=["cell", "vessel_hours"])
    return table.set_index("cell")["vessel_hours"]


def test_transit_pass_is_not_reused_across_resolutions(small_demo, tmp_path):
    """A night at another ``area.resolution`` bins the tracks to its own cells again.

    The pass over the tracks was cached by the data and options alone (``no_cells``: the
    back-test's reuse), not by the resolution it binned to: a rerun at resolution 4 of a
    folder last run at 3 took the resolution-3 pass, whose cells are none of the run's, and
    published every cell with 0 vessel-hours (a cold run: 1,119 hours over 426 cells).
    """
    _vessel_hours(small_demo, tmp_path / "night", 3)
    again = _vessel_hours(small_demo, tmp_path / "night", 4)  # the same folder: its cache
    cold = _vessel_hours(small_demo, tmp_path / "cold", 4)
    assert cold.sum() > 0
    pd.testing.assert_series_equal(again, cold)


#: Six seizures at six ports (one row each): the port names are all distinct.
_AT_PORTS = [
    ("2024-01-05", "Rotterdam", 51.95, 4.14, "cocaine", 120.5),
    ("2024-02-11", "Antwerp", 51.26, 4.40, "cocaine", 80.0),
    ("2024-03-02", "Hamburg", 53.54, 9.97, "heroin", 15.2),
    ("2024-03-20", "Le Havre", 49.48, 0.11, "cocaine", 300.0),
    ("2024-04-14", "Algeciras", 36.13, -5.44, "hashish", 900.0),
    ("2024-05-30", "Valencia", 39.44, -0.32, "cocaine", 55.0),
]


def test_seizures_at_distinct_ports_are_not_a_ports_list(tmp_path):
    """A seizure table naming its port, substance and weight is read, not refused.

    A ``Port`` column of distinct names beside ``Substance`` and ``Weight (kg)`` was
    refused as 'a list of ports ... no column names an event or what was seized': only
    ``commodity``, ``drug``, ``quantity`` and event words counted, not the substance or mass
    headers the seizures' own commodity and quantity columns are found by.
    """
    from pipeline.ingest import read_seizures

    cols = ["Date", "Port", "Latitude", "Longitude", "Substance", "Weight (kg)"]
    path = tmp_path / "seizures.csv"
    pd.DataFrame(_AT_PORTS, columns=cols).to_csv(path, index=False)
    got = read_seizures(path)
    assert len(got.frame) == len(_AT_PORTS) and got.rejects.empty
    assert sorted(got.frame["quantity"]) == sorted(r[-1] for r in _AT_PORTS)


def test_interdictions_with_a_vessel_and_its_speed_are_seizures(tmp_path):
    """Seizures of a drug and a quantity, two rows a vessel with its speed, are read.

    One row per commodity seized (cocaine and cannabis of each vessel) gives two records
    per MMSI on the median, beside the interdicted boat's ``speed_kn``: refused as 'vessel
    positions, not seizure records', though ``drug`` and ``quantity_kg`` name what was seized.
    """
    from pipeline.ingest import read_seizures

    rows = [
        (f"2024-0{i + 1}-1{k}", 36.0 + i / 10, -5.0 - i / 10, f"24700{i}00{i}", 25.0 + i, c, q)
        for i in range(4)
        for k, (c, q) in enumerate([("cocaine", 100.0 + i), ("cannabis", 50.0 + i)])
    ]
    cols = ["date", "lat", "lon", "mmsi", "speed_kn", "drug", "quantity_kg"]
    path = tmp_path / "interdictions.csv"
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)
    got = read_seizures(path)
    assert len(got.frame) == len(rows) and got.rejects.empty


def _fleet(folder: Path) -> Path:
    """Write a land layer (the area's west half), seizures at sea and a fleet; return folder.

    Seven ships of 100 positions at sea and four trucks of 200 on land: 53 % of the
    positions on the land layer.
    """
    import json

    import numpy as np

    folder.mkdir(parents=True)
    ring = [[9, 39], [14.5, 39], [14.5, 46], [9, 46], [9, 39]]
    feature = {"type": "Feature", "properties": {"featurecla": "Land"}}
    feature["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    (folder / "land.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]})
    )
    rng = np.random.default_rng(5)
    frames = []
    for name, n, lon0, minutes, day in (("SHIPa", 7, 14.6, 10, 20), ("TRUCKa", 4, 14.0, 5, 21)):
        for k in range(n):
            m = 100 if name.startswith("SHIP") else 200
            t = pd.Timestamp(f"2026-05-{day}") + pd.to_timedelta(
                np.arange(m) * minutes + k, unit="min"
            )
            frames.append(
                pd.DataFrame(
                    {
                        "vessel_id": f"{name}-{k}",
                        "timestamp": t.strftime("%Y-%m-%d %H:%M:%S"),
                        "lat": np.linspace(45.25, 45.65, m).round(5),
                        "lon": (lon0 + k / 20 + rng.normal(0, 0.001, m)).round(5),
                    }
                )
            )
    pd.concat(frames).to_csv(folder / "ais.csv", index=False)
    pd.DataFrame(
        {
            "date": "2026-05-01",
            "lat": [45.3, 45.4, 45.5, 45.35, 45.45],
            "lon": [14.6, 14.62, 14.64, 14.66, 14.7],
            "commodity": "cocaine",
        }
    ).to_csv(folder / "seizures.csv", index=False)
    return folder


def test_land_theatre_check_samples_the_same_pings_whole_or_spilled(tmp_path, monkeypatch):
    """A fleet's theatre is decided alike whether its tracks are held whole or spilled.

    The sample was every k-th ping of a table held whole but the first bucket group of
    whole vessels of a spilled one (``ingest.chunk_rows``): with the sample at 200 pings
    (100,000 in a run), trucks on land beside ships at sea were refused read whole and, read
    in chunks of 300, cut to the sea quietly (17 cells of vessel-hours, the road's gone).
    """
    import pipeline
    from pipeline.errors import ConfigError

    monkeypatch.setattr("pipeline.runner.stages._cells._PING_SAMPLE", 200)
    folder = _fleet(tmp_path / "data")
    said = []
    for chunk_rows in (None, 300):
        raw = {
            "run": {"as_of": "2026-05-31", "out_dir": str(tmp_path / f"out-{chunk_rows}")},
            "area": {"bbox": [13.9, 45.2, 14.9, 45.7], "resolution": 6},
            "inputs": {
                "seizures": [{"path": str(folder / "seizures.csv")}],
                "tracks": [{"path": str(folder / "ais.csv")}],
                "context": [{"path": str(folder / "land.geojson"), "kind": "land"}],
            },
            "ingest": {"chunk_rows": chunk_rows},
            "score": {"factors": {"seizure_density": {"weight": 2}, "vessel_hours": {"weight": 1}}},
            "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
        }
        cfg = config_from(raw, tmp_path / f"c-{chunk_rows}", **QUICK)
        with pytest.raises(ConfigError, match="track positions") as e:
            pipeline.run_pipeline(cfg)
        said.append(str(e.value))
    assert said[0] == said[1]


def test_card_values_keep_every_whole_digit():
    """A factor value of 12,345 reads 12,345 on the card, not 12,350.

    Since aca7f7e each value travelled with 4 significant digits; route_risk.js ``fmt``
    writes a value from 1,000 on with all its whole digits, so 12,345 distinct vessels or
    21,098.6 vessel-hours read ``12,350`` and ``21,100``: numbers the tables do not hold.
    """
    import numpy as np

    from pipeline import schema as S
    from pipeline.render import RenderOptions
    from pipeline.render._payload import risk_payload, sorted_cells, transit_payload
    from pipeline.testing import sample_map_data

    data = sample_map_data(200, uncovered_fraction=0.0)
    scores = data.scores
    hours = np.linspace(0.0, 1.0, len(scores))
    hours[:4] = [12345.0, 21098.6, 0.04, 1234.4]
    scores[S.VESSEL_HOURS] = hours
    scores, cells = sorted_cells(scores, "scores")
    payload = risk_payload(data, scores, cells, RenderOptions())
    sent = next(f for f in payload["factors"] if f["label"] == "Vessel-hours")["values"]
    want = scores[S.VESSEL_HOURS].to_numpy(dtype="float64")
    big = want >= 1000
    assert big.sum() == 3
    np.testing.assert_array_equal(np.round(np.asarray(sent)[big]), np.round(want[big]))

    transit = data.transit.copy()
    transit[S.VESSEL_HOURS] = np.r_[[12345.0, 21098.6], np.ones(len(transit) - 2)]
    layer, _ = transit_payload(transit, RenderOptions())
    frame, _ = sorted_cells(transit, "transit")
    got = np.asarray(layer["values"], dtype="float64")
    np.testing.assert_array_equal(np.round(got), np.round(frame[S.VESSEL_HOURS].to_numpy()))
