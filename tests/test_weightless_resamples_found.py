"""The bootstrap of the risk resamples the seizures that weigh in its density, no others.

A seizure of a commodity weighted 0 changes no risk, but it was drawn among the N events of
each resample, thinning the others: adding such records to a run changed the published
``risk_lower``/``risk_upper``/``risk_class_stability`` (intervals 2-3 % wider on average).
"""

from __future__ import annotations

import json

import pandas as pd

from tests.conftest import config_from

_UNC = ["risk", "risk_lower", "risk_upper", "risk_class_stability"]
ROWS = [
    ("2024-02-05", 41.0, 1.5),
    ("2024-03-09", 41.2, 1.7),
    ("2024-05-21", 40.7, 2.2),
    ("2024-06-02", 41.05, 1.55),
    ("2024-08-14", 40.9, 2.0),
    ("2024-10-30", 41.4, 1.2),
]


def _scores(tmp_path, rows):
    import pipeline

    tmp_path.mkdir(parents=True)
    path = tmp_path / "seizures.csv"
    path.write_text(
        "date,lat,lon,commodity\n" + "".join(f"{d},{a},{o},{c}\n" for d, a, o, c in rows)
    )
    raw = {
        "run": {"as_of": "2024-12-31", "out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0.0, 40.0, 3.0, 42.0], "resolution": 5},
        "inputs": {"seizures": [{"path": str(path)}]},
        "score": {"factors": {"seizure_density": {"weight": 1}}},
        "density": {"commodity_weights": {"cocaine": 1.0, "cannabis": 0.0}},
        "evaluate": {"enabled": False},
        "timeline": {"months": 0},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }
    res = pipeline.run_pipeline(config_from(raw, tmp_path))
    said = json.loads((res.out_dir / "manifest.json").read_text())["hotspots"]["uncertainty"]
    return pd.read_parquet(res.out_dir / "scores.parquet").set_index("cell")[_UNC], said


def test_records_of_weight_zero_change_no_interval(tmp_path):
    cocaine = [(*r, "cocaine") for r in ROWS]
    # at the cocaine's places (a record's cell is part of the area: no other cells)
    cannabis = [(d, a, o, "cannabis") for d, a, o in ROWS[::2]]
    alone, alone_said = _scores(tmp_path / "alone", cocaine)
    beside, beside_said = _scores(tmp_path / "beside", cocaine + cannabis)
    assert alone["risk_upper"].gt(alone["risk_lower"]).any()  # an interval, not a point
    pd.testing.assert_frame_equal(alone, beside)
    # the manifest says what each resample drew: the 6 that weigh, the 3 of weight 0 counted
    assert (alone_said["n_events"], alone_said["n_events_weight_0"]) == (6, 0)
    assert (beside_said["n_events"], beside_said["n_events_weight_0"]) == (6, 3)
