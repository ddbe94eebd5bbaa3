"""Raw AIS logged by two receivers: the same transmission in both files is one ping.

Each base station's log holds every transmission it heard, timed by its own clock (a few ms
to seconds off another's).  Within one file a report heard again within 30 s is
``nmea_duplicate``; across the files of a run only pings of the same vessel and *time*
were repeats, so the overlap of two receivers' logs was published twice (pings, dwell,
speeds between a ping and its twin), exit 0.  A raw AIS ping now carries its report's bits
(a hash, never published) and an earlier file's ping of the same bits within the window is
``duplicate_across_files``, read whole, in chunks and as the Dask run's partitioned tasks.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _ingest_stage import ingest_alone
from _nmea_text import tag as _tag

pyais = pytest.importorskip("pyais")
from pyais.encode import encode_dict  # noqa: E402

T0 = 1_709_251_200  # 2024-03-01T00:00:00Z


def _report(mmsi: int, lat: float, lon: float) -> str:
    (s,) = encode_dict(
        {"type": 1, "mmsi": mmsi, "lat": lat, "lon": lon, "speed": 8.0, "course": 90.0},
        radio_channel="B",
    )
    return s


R1, R2, R4, R5 = (_report(257_000_001, 43.0, 3.0 + 0.001 * k) for k in (1, 2, 4, 5))
R3 = _report(257_000_002, 44.0, 4.0)


def _log(path, station: str, heard: list[tuple[str, float]]):
    """A receiver's log: each report behind a tag block of its station and its clock's time."""
    path.write_text("".join(f"{_tag(f's:{station},c:{T0 + t:.3f}')}{s}\n" for s, t in heard))
    return path


def _receivers(folder):
    """Three receivers' logs of one sea; b's clock 2 s ahead of a's, c's 5 s ahead."""
    folder.mkdir(parents=True, exist_ok=True)
    a = _log(folder / "a.nmea", "2570001", [(R1, 0), (R2, 60), (R3, 65), (R4, 120)])
    b = _log(
        folder / "b.nmea",
        "2570002",
        # R2, R3 and R4 as a heard them; R4's bits again 40 s after a's (no longer the same
        # transmission: a frozen report's next) and R5, which a did not hear
        [(R2, 62.2), (R3, 67.0), (R4, 121.0), (R4, 160.0), (R5, 180.0)],
    )
    c = _log(folder / "c.nmea", "2570003", [(R4, 125.0)])  # its times do not meet a's
    return [a, b, c]


#: (file, line) of each repeat and the earlier ping it names.
REPEATS = {
    ("b.nmea", 1): "a.nmea line 2",
    ("b.nmea", 2): "a.nmea line 3",
    ("b.nmea", 3): "a.nmea line 4",
    ("c.nmea", 1): "a.nmea line 4",
}


def _published(state) -> dict[str, bytes]:
    files = {"pings.parquet": (state.staging / "pings.parquet").read_bytes()}
    for p in sorted((state.staging / "rejects").iterdir()):
        files[p.name] = p.read_bytes()
    return files


def test_two_receivers_logs_of_one_transmission_publish_one_ping_whole_and_in_chunks(tmp_path):
    files = _receivers(tmp_path / "in")
    whole = ingest_alone(tmp_path, "whole", files, None)
    chunks = ingest_alone(tmp_path, "chunks", files, 2)
    assert _published(whole) == _published(chunks)
    keys = ("read", "accepted", "rejected", "by_rule", "notes")
    assert [[r[k] for k in keys] for r in whole.ingest_report["tracks"]] == [
        [r[k] for k in keys] for r in chunks.ingest_report["tracks"]
    ]
    pings = pd.read_parquet(whole.staging / "pings.parquet")
    assert len(pings) == 4 + 2 and "report" not in pings.columns
    for state in (whole, chunks):
        report = {r["path"].rsplit("/", 1)[-1]: r for r in state.ingest_report["tracks"]}
        assert [(r["read"], r["accepted"]) for r in report.values()] == [(4, 4), (5, 2), (1, 0)]
        assert report["b.nmea"]["by_rule"] == {"duplicate_across_files": 3}
        assert report["c.nmea"]["by_rule"] == {"duplicate_across_files": 1}
        assert any(
            "3 of them: the same raw AIS report heard within 30 s" in n
            for n in report["b.nmea"]["notes"]
        )
    got = {}
    for name in ("b", "c"):
        rej = pd.read_csv(whole.staging / "rejects" / f"tracks-{name}.csv")
        for row in rej.itertuples():
            got[(row.source_file, row.row)] = row.value
            assert row.rule == "duplicate_across_files" and "same bits" in row.message
    assert got == REPEATS
    # a night that takes the files' readings from the cache: the reports ride along
    for label, rows, first in (("whole", None, whole), ("chunks", 2, chunks)):
        night = ingest_alone(tmp_path, label, files, rows)
        assert all(r["cached"] for r in night.ingest_report["tracks"])
        assert _published(night) == _published(first)
    kept = pings[pings["vessel_id"] == "257000001"]["time"].dt.strftime("%H:%M:%S")
    assert kept.tolist() == ["00:00:00", "00:01:00", "00:02:00", "00:02:40", "00:03:00"]


def test_the_partitioned_read_of_a_dask_run_finds_the_same_repeats(tmp_path):
    from pipeline.engine import LocalEngine
    from pipeline.ingest import read_tracks
    from pipeline.ingest.stream import reject_repeated_spill, spill_tracks_partitioned
    from pipeline.ingest.tracks import reject_repeated_pings

    files = _receivers(tmp_path / "in")
    folders = [tmp_path / f"s{k}" for k in range(3)]
    spills = spill_tracks_partitioned(files, folders, LocalEngine(), chunk_rows=2, n_buckets=3)
    earlier: list = []
    for k, s in enumerate(spills):
        earlier.append(reject_repeated_spill(s, earlier, tmp_path / f"r{k}"))
    assert [(s.n_accepted, s.by_rule) for s in earlier] == [
        (4, {}),
        (2, {"duplicate_across_files": 3}),
        (0, {"duplicate_across_files": 1}),
    ]
    whole: list = []
    for f in files:
        whole.append(reject_repeated_pings(read_tracks(f), whole))
    for s, r in zip(earlier, whole, strict=True):
        assert (s.n_read, s.n_accepted, s.by_rule) == (r.n_read, len(r.frame), r.by_rule)
        cols = ["row", "value", "message"]
        rejects = [x for f in s.iter_rejects() for x in f[cols].astype(str).values.tolist()]
        assert rejects == r.rejects[cols].astype(str).values.tolist()
        assert s.notes == r.notes


def test_pings_not_from_raw_ais_keep_the_exact_rule(tmp_path):
    # a decoded table of the same reports, 2 s apart in another export, is no report's bits:
    # only the same vessel and time repeats, as before
    from pipeline.ingest import read_tracks
    from pipeline.ingest.tracks import reject_repeated_pings

    head = "mmsi,timestamp,lat,lon,sog\n"
    rows = [
        "257000001,2024-03-01T00:01:{:02d}Z,43.0,3.02,8.0",
        "257000001,2024-03-01T00:02:00Z,43.0,3.04,8.0",
    ]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(head + "\n".join(r.format(0) for r in rows) + "\n")
    b.write_text(head + "\n".join(r.format(2) for r in rows) + "\n")
    got = reject_repeated_pings(read_tracks(b), [read_tracks(a)])
    assert got.by_rule == {"duplicate_across_files": 1} and len(got.frame) == 1
    # and a raw AIS ping that is a decoded table's ping (same vessel and time) still repeats
    nmea = _log(tmp_path / "d.nmea", "2570001", [(R4, 120)])
    got = reject_repeated_pings(read_tracks(nmea), [read_tracks(a)])
    assert got.by_rule == {"duplicate_across_files": 1}
    assert got.rejects["value"].tolist() == ["a.csv line 3"]
