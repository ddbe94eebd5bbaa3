"""Nightly runs over two AIS receivers' raw daily logs: what an operator finds.

Two base stations log what they hear into a file a day each (``rx-a/2024-03-01.log``,
``rx-b/2024-03-01.log.gz``), each timed by its own clock; their coverage overlaps, so many
transmissions are in both logs and the later file's copy is ``duplicate_across_files``
(tests/test_nmea_across_files_found.py).  The logs are built here with
tests/_nmea_text.py's tag blocks and pyais's encoder: a type 1 report per vessel every 20
minutes, and a two-sentence type 5 (static data) whose parts straddle midnight.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from _ingest_stage import ingest_alone
from _nmea_text import tag

pyais = pytest.importorskip("pyais")
from pyais.encode import encode_dict  # noqa: E402

T0 = pd.Timestamp("2024-03-01T00:00:00Z")
STEP_S = 20 * 60
#: vessel -> where it sails from; receiver a hears 1 and 2, b hears 2 and 3 (and 1 at times)
VESSELS = {257000001: (43.0, 3.0), 257000002: (44.0, 4.0), 257000003: (42.5, 5.0)}
#: each receiver's clock ahead of UTC (s)
CLOCK = {"a": 0.4, "b": -1.7}


def _position(mmsi: int, lat: float, lon: float) -> str:
    (s,) = encode_dict(
        {"type": 1, "mmsi": mmsi, "lat": lat, "lon": lon, "speed": 8.0, "course": 90.0},
        radio_channel="A",
        talker_id="AI",
        sentence_type="VDM",
    )
    return s


def _static(mmsi: int) -> list[str]:
    return encode_dict(
        {"type": 5, "mmsi": mmsi, "shipname": "NIGHT OWL", "destination": "SETE"},
        radio_channel="A",
        talker_id="AI",
        sentence_type="VDM",
    )


def _heard(rx: str, mmsi: int, k: int) -> bool:
    if rx == "a":
        return mmsi != 257000003
    return mmsi != 257000001 or k % 4 == 0


def _stamp(rx: str, t: float, sentence: str) -> str:
    """A line of ``rx``'s log: a tag block (a), or the receiver's time in front (b)."""
    t += CLOCK[rx]
    if rx == "a":
        return f"{tag(f's:rx{rx},c:{T0.value // 10**9 + t:.3f}')}{sentence}"
    return f"{(T0 + pd.Timedelta(seconds=t)).strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} {sentence}"


def day_lines(rx: str, day: int, extra: list[tuple[float, str]] = ()) -> list[str]:
    """Receiver ``rx``'s log of ``day``: what it heard, a type 5 across each midnight."""
    heard = list(extra)
    for j, (mmsi, (lat, lon)) in enumerate(VESSELS.items()):
        for i in range(86400 // STEP_S):
            t = day * 86400 + i * STEP_S + 37 * j
            k = t // STEP_S
            if _heard(rx, mmsi, k):
                heard.append((t, _position(mmsi, lat + 0.001 * i, lon + 0.004 * i)))
    first, second = _static(257000002)
    if day > 0:  # the second part of the type 5 the day before ended with
        heard.append((day * 86400 - 0.5, second))
    heard.append(((day + 1) * 86400 - 0.5, first))
    return [_stamp(rx, t, s) for t, s in sorted(heard, key=lambda h: h[0])]


def write_log(folder: Path, rx: str, day: int, gz: bool = False, **kw) -> Path:
    """Write ``folder/rx-<rx>/<date>.log`` (or ``.log.gz``): the same names in both folders."""
    text = "\n".join(day_lines(rx, day, **kw)) + "\n"
    path = folder / f"rx-{rx}" / f"{(T0 + pd.Timedelta(days=day)).date()}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        path.write_text(text)
    return path


def _lines(path: Path) -> list[str]:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode().splitlines()


def _payload(line: str) -> str:
    return line.split("!AIVDM,", 1)[1].split(",")[4]


def _rejects(state, path: Path) -> pd.DataFrame:
    (entry,) = [e for e in state.ingest_report["tracks"] if e["path"] == str(path)]
    return pd.read_csv(state.staging / entry["rejects_file"], dtype=str, keep_default_na=False)


# ------------------------------------------------------------------------ the earlier file named


@pytest.mark.parametrize("chunk_rows", [None, 40], ids=["whole", "chunks"])
def test_a_repeat_names_the_other_receiver_s_log_of_the_same_name(tmp_path, chunk_rows):
    # Both receivers name a day's log by its date.  The value of b's repeats said
    # '2024-03-01.log line 2' - b's own file's name, as if b repeated itself - and an operator
    # could not tell which receiver's log holds the ping kept.
    a = write_log(tmp_path / "feed", "a", 0, gz=True)
    b = write_log(tmp_path / "feed", "b", 0, gz=True)
    state = ingest_alone(tmp_path, "run", [a, b], chunk_rows)
    rej = _rejects(state, b)
    dup = rej[rej["rule"] == "duplicate_across_files"]
    assert len(dup) > 50
    a_lines, b_lines = _lines(a), _lines(b)
    for row in dup.itertuples():
        name, _, line = row.value.rpartition(" line ")
        assert name == "rx-a/2024-03-01.log.gz", row.value
        # the line named holds the same report as the line rejected
        assert _payload(a_lines[int(line) - 1]) == _payload(b_lines[int(row.row) - 1])
    entry = state.ingest_report["tracks"][1]
    assert entry["read"] == entry["accepted"] + entry["rejected"]


# ---------------------------------------------------------------------- the reject-rate ceiling


def _base_station() -> str:
    """A coast station's type 4 report (its time and place): no vessel's position."""
    (s,) = encode_dict(
        {"type": 4, "mmsi": 2579999, "year": 2024, "month": 3, "day": 1, "lat": 43.4, "lon": 3.7},
        radio_channel="A",
        talker_id="AI",
        sentence_type="VDM",
    )
    return s


def test_a_second_receiver_s_log_is_not_refused_for_the_reports_the_first_one_heard(tmp_path):
    # b logs a coast station's type 4 every 20 minutes beside the ships' positions, and a
    # second station of its own hears vessel 3 again 2 s later (nmea_duplicate).  Read alone
    # the log passed the ceiling (145 of its 307 lines no new position, 47%); beside a's log,
    # whose positions it mostly repeats, the repeats left the ceiling's count (given by an
    # earlier file) while the other lines stayed: '145 of 217 records in scope rejected
    # (66.8%), above the ceiling max_reject_rate=0.5', and the night failed for a receiver
    # added.  Lines read right that are no position (another message type, a part of one, a
    # report heard again) are no bad data: out of the ceiling's count, as repeats are.
    from pipeline.errors import DataQualityError

    base = _base_station()
    again = [
        (t + 2, _position(257000003, 42.5 + 0.001 * i, 5.0 + 0.004 * i))
        for i in range(86400 // STEP_S)
        for t in [i * STEP_S + 74]
    ]
    extra = [(float(t), base) for t in range(0, 86400, 1200)] + again
    b = write_log(tmp_path / "feed", "b", 0, extra=extra)
    alone = ingest_alone(tmp_path, "alone", [b], None)
    (entry,) = alone.ingest_report["tracks"]
    assert entry["by_rule"] == {"nmea_duplicate": 72, "nmea_multipart": 1, "nmea_not_position": 72}
    a = write_log(tmp_path / "feed", "a", 0)
    for rows in (None, 40):
        try:
            both = ingest_alone(tmp_path, f"both-{rows}", [a, b], rows)
        except DataQualityError as exc:
            pytest.fail(f"refused: {exc}")
        entry = both.ingest_report["tracks"][1]
        assert entry["accepted"] == 72  # vessel 3's, which only b heard
        assert entry["by_rule"]["duplicate_across_files"] == 72 + 18
        assert entry["read"] == entry["accepted"] + entry["rejected"]


# ------------------------------------------------------------------------------------ nights


def _night(root: Path, label: str):
    """Run a night over ``root/feed/*/*`` into ``root/out``, and a cold run of the same files;
    return the night's result once its published tables equal the cold run's."""
    import shutil

    import yaml
    from _nights import differences, published

    import pipeline

    raw = {
        "run": {"out_dir": str(root / "out"), "as_of": "2024-03-05"},
        "area": {"bbox": [0, 40, 10, 46], "resolution": 5},
        "inputs": {"tracks": [{"path": str(root / "feed" / "*" / "*")}]},
        "ingest": {"chunk_rows": 100},
        "score": {"factors": {"vessel_hours": {"weight": 1}}},
        "hotspots": {"enabled": False},
        "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
    }
    (root / "night.yaml").write_text(yaml.safe_dump(raw))
    cfg = pipeline.load_config(root / "night.yaml")
    res = pipeline.run_pipeline(cfg)
    cold = pipeline.run_pipeline(cfg, out_dir=root / "cold", cold=True)
    assert not differences(published(res), published(cold)), label
    shutil.rmtree(root / "cold")
    for e in res.manifest["inputs"]["tracks"]:
        assert e["read"] == e["accepted"] + e["rejected"], (label, e["path"])
    return res


def test_the_manifest_says_which_file_is_earlier_and_names_it(tmp_path):
    # Which of two receivers' logs keeps a transmission both heard is the inputs' order (a
    # pattern's files sorted by path: rx-a/ before rx-b/).  The manifest said only that the
    # pings 'repeat pings of an earlier input file': not which file, nor what made it
    # earlier - so a late log of rx-a, arriving the night after rx-b's of the same day, took
    # the pings from rx-b's without a word on why.
    feed = tmp_path / "feed"
    b0 = write_log(feed, "b", 0, gz=True)
    write_log(feed, "a", 1)
    res = _night(tmp_path, "rx-b's day and rx-a's next day")
    notes = {
        Path(e["path"]).relative_to(feed).as_posix(): e for e in res.manifest["inputs"]["tracks"]
    }
    assert notes["rx-b/2024-03-01.log.gz"]["by_rule"] == {"nmea_multipart": 1}
    write_log(feed, "a", 0, gz=True)  # rx-a's log of the first day, late
    res = _night(tmp_path, "rx-a's first day late")
    (entry,) = [e for e in res.manifest["inputs"]["tracks"] if e["path"] == str(b0)]
    assert entry["cached"] and entry["by_rule"]["duplicate_across_files"] == 90
    (note,) = [n for n in entry["notes"] if "duplicate_across_files" in n]
    assert "a file is earlier when it comes before this one in the inputs" in note
    assert "a pattern's files in the order of their paths" in note
    assert note.endswith("paths: here rx-a/2024-03-01.log.gz)")


def test_the_run_s_summary_tells_two_receivers_logs_of_one_name_apart(tmp_path):
    # route-risk run's lines on stderr named each input by its file name alone: two lines
    # '2024-03-01.log.gz (tracks): read ...', one of them 'accepted 57, rejected 106
    # (duplicate_across_files 105, ...)', and the log did not say which receiver's it was.
    from pipeline.cli import run_summary_lines

    a = write_log(tmp_path / "feed", "a", 0, gz=True)
    b = write_log(tmp_path / "feed", "b", 0, gz=True)
    state = ingest_alone(tmp_path, "run", [a, b], None)
    manifest = {
        "inputs": {"tracks": state.ingest_report["tracks"]},
        "counts": {"cells": 1, "seizures_used": 0, "pings_used": 1},
    }
    heads = [ln.split(":")[0] for ln in run_summary_lines(manifest, tmp_path) if "(tracks)" in ln]
    assert heads == ["rx-a/2024-03-01.log.gz (tracks)", "rx-b/2024-03-01.log.gz (tracks)"]


def test_a_repeated_seizure_names_the_other_export_of_the_same_name(tmp_path):
    # The same defect for seizures: two years' exports of one database, each
    # 'seizures.csv' in its year's folder and overlapping at the turn of the year; the value
    # of 2025's repeat said 'seizures.csv line 3', the name of its own file.
    import yaml

    import pipeline
    from pipeline.runner.cache import StageCache
    from pipeline.runner.stages import RunState, ingest

    head = "date,lat,lon,commodity,quantity,agency\n"
    older, newer = tmp_path / "2024" / "seizures.csv", tmp_path / "2025" / "seizures.csv"
    older.parent.mkdir()
    newer.parent.mkdir()
    older.write_text(
        head + "2024-12-30,43.1,5.2,cocaine,3,Navy\n2024-12-31,43.2,5.3,heroin,1,Navy\n"
    )
    newer.write_text(
        head + "2024-12-31,43.2,5.3,heroin,1,Navy\n2025-01-02,43.4,5.5,cocaine,2,Navy\n"
    )
    raw = {
        "run": {"out_dir": str(tmp_path / "out")},
        "area": {"bbox": [0, 40, 10, 46], "resolution": 5},
        "inputs": {"seizures": [{"path": str(older)}, {"path": str(newer)}]},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    staging = tmp_path / "out" / "staging"
    staging.mkdir(parents=True)
    cfg = pipeline.load_config(tmp_path / "c.yaml")
    state = RunState(cfg, None, tmp_path / "out", staging, StageCache(tmp_path / "out" / ".cache"))
    ingest(state)
    entry = state.ingest_report["seizures"][1]
    assert entry["by_rule"] == {"duplicate_across_files": 1}
    rej = pd.read_csv(staging / entry["rejects_file"], dtype=str)
    assert rej["value"].tolist() == ["2024/seizures.csv line 3"]
