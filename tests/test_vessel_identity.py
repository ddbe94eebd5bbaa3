"""One ship under two MMSIs must not meet itself.

Real AIS exports carry the ship's identity beside the MMSI (MarineCadastre: ``IMO``,
``VesselName``, ``CallSign``; the Danish Maritime Authority: ``IMO``, ``Callsign``,
``Name``).  A ship with two transponders (class A and class B, or a second one after a
refit) sends under two MMSIs at once: its two ids sail metres apart for hours.  Keyed by
MMSI alone, transit published that as an encounter at sea (a ship-to-ship transfer) and
counted the ship twice in ``distinct_vessels``: a silent wrong value.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import pipeline
from pipeline.engine import LocalEngine
from pipeline.ingest import read_tracks
from pipeline.ingest.identity import imo_keys, ship_groups, text_keys
from pipeline.ingest.stream import PingStore, spill_tracks, spill_tracks_partitioned
from pipeline.schema import DISTINCT_VESSELS, EVENT_TYPE, OTHER_VESSEL_ID, VESSEL_ID
from pipeline.transit import transit_features

T0 = pd.Timestamp("2024-03-01T00:00:00")
MC_COLUMNS = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)
#: One ship's two MMSIs (class A and class B) and a real other ship.
SHIP_A, SHIP_B, OTHER = 538001234, 538009876, 235000001


def _marinecadastre(path: Path, ships, hours: float = 8.0, gap_m: float = 60.0) -> Path:
    """A MarineCadastre-shaped CSV: each ship drifts at 0.5 kn, a ping every 10 minutes.

    ``ships``: (mmsi, imo, name, call sign, transceiver class, lane); lanes are ``gap_m``
    apart, so every ship is within reach of the others (an encounter is 500 m).
    """
    lines = [MC_COLUMNS]
    for mmsi, imo, name, call, cls, lane in ships:
        for k in range(int(hours * 6)):
            t = (T0 + pd.Timedelta(minutes=10 * k)).strftime("%Y-%m-%dT%H:%M:%S")
            lat = 10.0 + lane * gap_m / 111_195.0
            lon = -60.0 + k * 0.00014  # 0.5 kn eastwards
            lines.append(
                f"{mmsi},{t},{lat:.6f},{lon:.6f},0.5,90.0,90,{name},{imo},{call},70,0,180,30,9.1,"
                f"70,{cls}"
            )
    path.write_text("\n".join(lines) + "\n")
    return path


def _one_ship_and_another(tmp_path: Path, imo_b: str = "IMO9074729") -> Path:
    return _marinecadastre(
        tmp_path / "AIS_2024_03_01.csv",
        [
            (SHIP_A, "IMO9074729", "NORDIC STAR", "V7AB2", "A", 0),
            (SHIP_B, imo_b, "Nordic Star ", "v7ab2", "B", 1),
        ],
    )


def _encounters(events: pd.DataFrame) -> set[tuple[str, str]]:
    enc = events[events[EVENT_TYPE] == "encounter"]
    return set(zip(enc[VESSEL_ID].astype(str), enc[OTHER_VESSEL_ID].astype(str), strict=True))


def _transit(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = read_tracks(path)
    return res, transit_features(res.frame, 7, vessel_identity=res.identity)


# --------------------------------------------------------------------------- the rules


def test_imo_numbers_are_checked_by_their_check_digit_and_placeholders_are_none():
    got = imo_keys(
        pd.Series(["IMO9074729", " 9074729 ", "9074729.0", "IMO 9176187", "9074728", "0"])
    ).tolist()
    assert got == ["9074729", "9074729", "9074729", "9176187", "", ""]
    placeholders = ["0000000", "1111111", "9999999", "1234567", "5555555", "IMO0000000"]
    assert imo_keys(pd.Series(placeholders)).tolist() == [""] * len(placeholders)
    assert imo_keys(pd.Series([9074729.0, np.nan])).tolist() == ["9074729", ""]
    assert text_keys(pd.Series([" Nordic  STAR ", "UNKNOWN", "N/A", "0", "", "--"])).tolist() == [
        "nordic star",
        "",
        "",
        "",
        "",
        "",
    ]


def test_identity_columns_are_read_beside_the_mmsi_which_stays_the_vessel_id(tmp_path):
    res, _ = _transit(_one_ship_and_another(tmp_path))
    assert set(res.frame[VESSEL_ID]) == {str(SHIP_A), str(SHIP_B)}
    assert res.assumptions["identity_columns"] == {
        "imo": "IMO",
        "ship_name": "VesselName",
        "callsign": "CallSign",
    }
    imo = res.identity[res.identity["kind"] == "imo"]
    assert dict(zip(imo["vessel_id"], imo["key"], strict=True)) == {
        str(SHIP_A): "9074729",
        str(SHIP_B): "9074729",
    }
    assert list(res.frame.columns) == list(pipeline.schema.PING_COLUMNS)  # no new ping column


# --------------------------------------------------------------------------- transit


def test_two_mmsis_of_one_imo_sailing_together_are_no_encounter(tmp_path):
    """Before: an 8 h 'encounter at sea' of one ship with itself, and 2 vessels a cell."""
    _, tr = _transit(_one_ship_and_another(tmp_path))
    assert _encounters(tr.events) == set()
    assert tr.features[DISTINCT_VESSELS].max() == 1.0
    assert (tr.events[EVENT_TYPE] == "loiter").any()  # the tracks were used
    (note,) = [n for n in tr.notes if "one ship" in n]
    assert f"{SHIP_A} and {SHIP_B} are one ship (IMO 9074729)" in note
    assert "1 encounter(s) between two ids of one ship dropped" in note


def test_class_a_and_b_of_one_ship_by_name_and_call_sign_are_no_encounter(tmp_path):
    """A class B transponder sends no IMO: the name and call sign (any case) join them."""
    _, tr = _transit(_one_ship_and_another(tmp_path, imo_b=""))
    assert _encounters(tr.events) == set()
    assert tr.features[DISTINCT_VESSELS].max() == 1.0
    (note,) = [n for n in tr.notes if "one ship" in n]
    assert "name 'nordic star' and call sign 'v7ab2'" in note


def test_two_ships_that_really_meet_still_meet(tmp_path):
    """Different IMO numbers: even the same name and call sign do not make them one ship."""
    path = _marinecadastre(
        tmp_path / "meet.csv",
        [
            (SHIP_A, "IMO9074729", "NORDIC STAR", "V7AB2", "A", 0),
            (OTHER, "IMO9176187", "NORDIC STAR", "V7AB2", "A", 1),
            (SHIP_B, "IMO9074729", "NORDIC STAR", "V7AB2", "B", 2),
        ],
    )
    _, tr = _transit(path)
    # OTHER meets the ship once: its encounters with the two ids overlap in time
    assert _encounters(tr.events) == {(str(OTHER), str(SHIP_A))}  # ties: the smaller id
    assert tr.features[DISTINCT_VESSELS].max() == 2.0  # two ships, three MMSIs


@pytest.mark.parametrize(
    "a, b",
    [
        (("0", "NORDIC STAR", "V7AB2"), ("0", "NORDIC STAR", "C6XY9")),
        (("1111111", "ANNA", "V7AB2"), ("1111111", "BETTY", "C6XY9")),
        (("IMO0000000", "ANNA", "V7AB2"), ("IMO0000000", "BETTY", "C6XY9")),
        (("", "NORDIC STAR", "V7AB2"), ("", "NORDIC STAR", "UNKNOWN")),
        (("", "UNKNOWN", "V7AB2"), ("", "UNKNOWN", "V7AB2")),
    ],
    ids=["imo-0-same-name", "imo-1111111", "imo-zeros", "name-alone", "unknown-name"],
)
def test_a_placeholder_imo_or_a_shared_name_joins_nothing(tmp_path, a, b):
    path = _marinecadastre(
        tmp_path / "two.csv", [(SHIP_A, *a, "A", 0), (SHIP_B, *b, "A", 1)], hours=4
    )
    res, tr = _transit(path)
    assert len(ship_groups(res.identity, res.frame[VESSEL_ID].unique())) == 0
    assert _encounters(tr.events) == {(str(SHIP_B), str(SHIP_A))} or _encounters(tr.events) == {
        (str(SHIP_A), str(SHIP_B))
    }
    assert tr.features[DISTINCT_VESSELS].max() == 2.0


def test_a_key_many_vessel_ids_give_is_a_default_not_one_ship(tmp_path):
    """Six MMSIs sending one valid IMO (a vendor default) are six ships, and it is said."""
    ships = [(SHIP_A + i, "IMO9074729", f"S{i}", f"CS{i}", "A", i * 5) for i in range(6)]
    res, tr = _transit(_marinecadastre(tmp_path / "many.csv", ships, hours=3))
    assert len(_encounters(tr.events)) > 0
    assert any("IMO 9074729 (6 vessel ids)" in n for n in tr.notes)


# --------------------------------------------------------------------------- streamed


def test_a_streamed_read_gives_the_events_and_counts_of_the_whole_read(tmp_path):
    path = _marinecadastre(
        tmp_path / "AIS.csv",
        [
            (SHIP_A, "IMO9074729", "NORDIC STAR", "V7AB2", "A", 0),
            (SHIP_B, "", "NORDIC STAR", "V7AB2", "B", 1),
            (OTHER, "IMO9176187", "OTHER", "GABC", "A", 2),
        ],
        hours=5,
    )
    whole, tr = _transit(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spill = spill_tracks(path, tmp_path / "spill", chunk_rows=7, n_buckets=3)
    store = PingStore([spill], chunk_rows=7)
    pd.testing.assert_frame_equal(store.vessel_identity, whole.identity)
    streamed = transit_features(store, 7)  # the store carries its identity
    pd.testing.assert_frame_equal(streamed.events, tr.events)
    pd.testing.assert_frame_equal(streamed.features, tr.features)
    assert streamed.notes == tr.notes
    assert _encounters(tr.events) == {(str(OTHER), str(SHIP_A))}  # ties: the smaller id


def test_partitions_that_split_one_ship_count_it_once(tmp_path):
    """Its two ids in two partitions (buckets): distinct_vessels still counts one ship."""
    path = _one_ship_and_another(tmp_path)
    whole, tr = _transit(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (spill,) = spill_tracks_partitioned(
            [path], [tmp_path / "p"], LocalEngine(), chunk_rows=9, n_buckets=8
        )
    store = PingStore([spill], chunk_rows=40)  # about one vessel per partition
    ids = np.array([str(SHIP_A), str(SHIP_B)], dtype=object)
    groups = store.bucket_group_keys(40)
    where = [next(i for i, g in enumerate(groups) if b in g) for b in store.bucket_of(ids)]
    assert where[0] != where[1]  # the two ids of the ship are in two partitions
    part = transit_features(store, 7, engine=LocalEngine())
    pd.testing.assert_frame_equal(part.features, tr.features)
    pd.testing.assert_frame_equal(part.events, tr.events)
    assert part.features[DISTINCT_VESSELS].max() == 1.0


# --------------------------------------------------------------------------- a run


def _config_file(tmp_path: Path, path: Path, chunk_rows=None) -> Path:
    """A run of the encounters alone on ``path``, in the ships' small area."""
    raw = {
        "run": {"out_dir": str(tmp_path / "out")},
        "area": {"bbox": [-60.05, 9.95, -59.9, 10.05], "resolution": 7},
        "inputs": {"tracks": [{"path": str(path)}]},
        "ingest": {"chunk_rows": chunk_rows},
        "score": {"factors": {"encounter_events": {"weight": 1}}},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    return tmp_path / "c.yaml"


def _run(tmp_path: Path, path: Path, chunk_rows):
    return pipeline.run_pipeline(
        pipeline.load_config(_config_file(tmp_path, path, chunk_rows)), force=True
    )


@pytest.mark.parametrize("chunk_rows", [None, 20], ids=["whole", "spilled"])
def test_a_run_publishes_no_encounter_of_one_ship_and_says_why(tmp_path, chunk_rows):
    res = _run(tmp_path, _one_ship_and_another(tmp_path), chunk_rows)
    events = pd.read_parquet(res.out_dir / "events.parquet")
    assert _encounters(events) == set()
    assert (events[EVENT_TYPE] == "loiter").any()
    features = pd.read_parquet(res.out_dir / "features.parquet")
    assert features[DISTINCT_VESSELS].max() == 1.0
    notes = " ".join(res.manifest["features"]["transit_notes"])
    assert f"{SHIP_A} and {SHIP_B} are one ship (IMO 9074729)" in notes


@pytest.mark.parametrize("chunk_rows", [None, 20], ids=["whole", "spilled"])
def test_the_identity_of_a_track_file_read_from_the_cache_is_the_parsed_ones(tmp_path, chunk_rows):
    """A night that takes a file's reading (or its kept spill) from the cache keeps it."""
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import RunState, ingest

    path = _one_ship_and_another(tmp_path)
    out = tmp_path / "out"
    cfg = pipeline.load_config(_config_file(tmp_path, path, chunk_rows))
    got = []
    for night in (1, 2):
        staging = out / f"staging{night}"
        staging.mkdir(parents=True)
        state = RunState(cfg, None, out, staging, StageCache(out / ".cache"))
        ingest(state)
        state.background.take("pings").result()
        assert state.ingest_report["tracks"][0]["cached"] is (night == 2)
        assert (chunk_rows is None) is isinstance(state.pings, pd.DataFrame)
        got.append(state.vessel_identity)
    pd.testing.assert_frame_equal(got[0], got[1])
    groups = ship_groups(got[1], np.array([str(SHIP_A), str(SHIP_B)], dtype=object))
    assert groups.ship_of(np.array([str(SHIP_B)], dtype=object)).tolist() == [str(SHIP_A)]


def test_the_run_summary_says_which_vessel_ids_are_one_ship(tmp_path, capsys):
    """What transit assumed is stated in the summary on stderr, not only in the manifest."""
    from test_cli import cli_here

    path = _one_ship_and_another(tmp_path)
    code, _, err = cli_here(capsys, "run", _config_file(tmp_path, path), "--log-format", "text")
    assert code == 0, err
    said = [line.split("note: ", 1)[1] for line in err.splitlines() if " note: " in f" {line}"]
    assert any(f"{SHIP_A} and {SHIP_B} are one ship (IMO 9074729)" in n for n in said), err
    # said once (transit's note; the manifest's run notes do not repeat it)
    assert sum("no ports layer" in n for n in said) == 1, err
