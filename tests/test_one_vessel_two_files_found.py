"""Two track files of one name whose vessels are named after it are refused, not joined.

Google writes every phone's history as ``Timeline.json``; a GPX track without a name is
``<stem>:track_0``.  Two phones' ``a/Timeline.json`` and ``b/Timeline.json`` in one run
named the same vessel, their pings one track jumping between the phones, exit 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION
from conftest import QUICK, small_config

from pipeline.errors import InputError
from pipeline.ingest.tracks import distinct_names
from pipeline.runner.stages._read import refuse_one_vessel_of_two_files

pytestmark = IGNORE_PENDING_DEPRECATION


def _history(path: Path, rows: pd.DataFrame) -> Path:
    """Write ``rows`` (timestamp, lat, lon) as an Android Timeline's raw positions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    signals = [
        {"position": {"LatLng": f"{r.lat}°, {r.lon}°", "timestamp": r.timestamp}}
        for r in rows.itertuples()
    ]
    path.write_text(json.dumps({"rawSignals": signals}, ensure_ascii=False))
    return path


def test_two_phones_histories_in_one_run_are_refused_naming_both(small_demo, tmp_path):
    from pipeline.run import run_pipeline

    ais = pd.read_csv(small_demo / "inputs" / "ais.csv", dtype=str)
    ais = ais.rename(columns=str.lower)
    lat = next(c for c in ais.columns if c.startswith("lat"))
    lon = next(c for c in ais.columns if c.startswith("lon"))
    ais = ais.rename(columns={lat: "lat", lon: "lon"})
    one = ais[ais["mmsi"] == ais["mmsi"].iloc[0]].head(20)
    two = ais[ais["mmsi"] != ais["mmsi"].iloc[0]].head(20)
    a = _history(tmp_path / "phone-a" / "Timeline.json", one)
    b = _history(tmp_path / "phone-b" / "Timeline.json", two)
    cfg = small_config(
        small_demo, tmp_path, inputs={"tracks": [{"path": str(a)}, {"path": str(b)}]}, **QUICK
    )
    with pytest.raises(InputError, match=r"'phone-a/Timeline.json' and 'phone-b/Timeline.json'"):
        run_pipeline(cfg, out_dir=tmp_path / "out")
    # named by the config, they are two vessels and the run goes on
    named = [{"path": str(a), "vessel_id": "phone A"}, {"path": str(b), "vessel_id": "phone B"}]
    cfg = small_config(small_demo, tmp_path, inputs={"tracks": named}, **QUICK)
    run_pipeline(cfg, out_dir=tmp_path / "out2")


@pytest.mark.parametrize(
    ("paths", "ids", "refused"),
    [
        (["a/trip.gpx", "b/trip.gpx"], [["trip:track_0"], ["trip:track_0"]], True),
        (["a/trip.gpx", "b/trip.gpx"], [["trip:track_0"], ["trip:track_1"]], False),
        (["a/trip.gpx", "b/trip.gpx"], [["MV Alpha"], ["MV Alpha"]], False),  # its own data
        (["a/log.gpx", "b/trip.gpx"], [["x:track_0"], ["x:track_0"]], False),
        (["a/Timeline.json", "a/Timeline.json"], [["Timeline.json"], []], False),
    ],
    ids=["placeholder-twice", "two-placeholders", "named-in-data", "other-names", "one-file"],
)
def test_only_a_file_name_vessel_of_two_files_of_that_name_is_refused(
    tmp_path, paths, ids, refused
):
    sources = [SimpleNamespace(path=tmp_path / p) for p in paths]
    results = [pd.DataFrame({"vessel_id": pd.Series(v, dtype=object)}) for v in ids]
    names = distinct_names([s.path for s in sources])
    if refused:
        with pytest.raises(InputError, match="set vessel_id for each"):
            refuse_one_vessel_of_two_files(sources, results, names)
    else:
        refuse_one_vessel_of_two_files(sources, results, names)
    # a spill gives its vessels as an array
    spills = [SimpleNamespace(vessels=pd.Series(v, dtype=object).to_numpy()) for v in ids]
    if refused:
        with pytest.raises(InputError):
            refuse_one_vessel_of_two_files(sources, spills, names)
