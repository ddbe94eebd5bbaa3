"""Track inputs read the same way whoever reads them: the eighth sweep.

Inputs are shaped like real exports: a history file of AIS pings and a day file that
overlaps it (or one file listed twice under two names); an export that spells the
position twice (``Latitude``/``Longitude`` and ``Lat DD``/``Lon DD``) and leaves one
spelling blank for a stretch of records.
"""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest
from _ingest_stage import ingest_alone as _ingest

from pipeline.ingest import read_tracks
from pipeline.ingest.stream import PingStore, reject_repeated_spill, spill_tracks
from pipeline.ingest.tracks import reject_repeated_pings
from pipeline.schema import LAT, LON, TIME, VESSEL_ID
from pipeline.transit import transit_features

T0 = pd.Timestamp("2024-03-01T00:00:00Z")
HEADER = "mmsi,timestamp,lat,lon,sog"


def _ais(mmsi: int, lat: float, n: int, start: int = 0) -> list[str]:
    """CSV rows of a ship sailing east at about 10 kn, a ping every 10 minutes."""
    out = []
    for i in range(start, start + n):
        t = T0 + pd.Timedelta(minutes=10 * i)
        out.append(f"{mmsi},{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{lat},{5 + i * 0.03:.4f},10.0")
    return out


def _overlapping(tmp_path):
    """A history (two ships, 8 pings each) and a day file: 8 of its pings the history's."""
    history = tmp_path / "history.csv"
    history.write_text(
        HEADER + "\n" + "\n".join(_ais(257000001, 43.0, 8) + _ais(257000002, 44.0, 8)) + "\n"
    )
    day = tmp_path / "day.csv"
    # a ragged line first: the day file's own reject stays where it is
    rows = ["257000001,oops"] + _ais(257000001, 43.0, 12) + _ais(257000003, 42.0, 5)
    day.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return history, day


def _spill(path, folder, n_buckets=4):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spill_tracks(str(path), folder, chunk_rows=5, n_buckets=n_buckets)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values([VESSEL_ID, TIME], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ pings given by two files


def test_pings_an_earlier_file_gave_are_rejected_with_its_file_and_line(tmp_path):
    """pings.parquet and pings_used held the 8 repeats while transit used them once."""
    history, day = _overlapping(tmp_path)
    first = read_tracks(str(history))
    res = reject_repeated_pings(read_tracks(str(day)), [first])
    assert res.n_read == 18 and len(res.frame) == 9  # 17 pings + a ragged line
    assert res.by_rule == {"duplicate_across_files": 8, "ragged_row": 1}
    assert res.n_read == len(res.frame) + len(res.rejects)
    rep = res.rejects[res.rejects["rule"] == "duplicate_across_files"]
    # the day file's lines 3-10 repeat the history's lines 2-9 (header: line 1)
    assert rep["row"].tolist() == list(range(3, 11))
    assert rep["value"].tolist() == [f"history.csv line {k}" for k in range(2, 10)]
    assert (rep["source_file"] == "day.csv").all()
    assert any("8 ping(s) repeat pings of an earlier input file" in n for n in res.notes)
    both = _sorted(pd.concat([first.frame, res.frame]))
    out = transit_features(both, 5)
    assert not any("same time as another ping" in n for n in out.notes)  # nothing left to drop
    # the day file's ship 1 ends later: its last 4 pings are its own
    assert (res.frame[VESSEL_ID] == "257000001").sum() == 4


def test_one_file_listed_twice_gives_its_pings_once(tmp_path):
    history, _ = _overlapping(tmp_path)
    again = tmp_path / "history-copy.csv"
    shutil.copyfile(history, again)
    first = read_tracks(str(history))
    res = reject_repeated_pings(read_tracks(str(again)), [first])
    assert res.frame.empty and res.by_rule == {"duplicate_across_files": 16}


def test_spilled_files_reject_the_same_pings_and_keep_their_cached_files(tmp_path):
    """The streamed path (the default for large runs) publishes what the whole read does."""
    history, day = _overlapping(tmp_path)
    whole_first = read_tracks(str(history))
    whole = reject_repeated_pings(read_tracks(str(day)), [whole_first])
    first = _spill(history, tmp_path / "a")
    spill = _spill(day, tmp_path / "b")
    before = {k: p.read_bytes() for k, p in spill.buckets.items()}
    kept = reject_repeated_spill(spill, [first], tmp_path / "c")
    # the spill's own files (the cache's, on a nightly run) are left as they were
    assert {k: p.read_bytes() for k, p in spill.buckets.items()} == before
    assert (kept.n_read, kept.n_accepted, kept.by_rule) == (
        whole.n_read,
        len(whole.frame),
        whole.by_rule,
    )
    assert kept.n_read == kept.n_accepted + kept.n_rejected
    pings = PingStore([first, kept]).to_frame()
    pd.testing.assert_frame_equal(pings, _sorted(pd.concat([whole_first.frame, whole.frame])))
    assert len(PingStore([first, kept])) == len(pings)
    assert sorted(kept.vessels) == ["257000001", "257000003"]
    assert list(kept.vessel_rows) == [4, 5]
    assert kept.time_max == whole.frame[TIME].max()
    assert kept.extent == (
        whole.frame[LON].min(),
        whole.frame[LAT].min(),
        whole.frame[LON].max(),
        whole.frame[LAT].max(),
    )
    text = kept.write_rejects(tmp_path / "out", "day").read_text().splitlines()
    rows = [int(line.split(",")[1]) for line in text[1:]]
    assert rows == sorted(rows) == list(range(2, 11))  # in line order, the ragged line first
    assert text[2].startswith("day.csv,3,*,history.csv line 2,duplicate_across_files,")


def test_a_day_file_after_the_history_is_checked_without_reading_the_history(tmp_path, monkeypatch):
    # the nightly case: the day's pings all come after the history's; the check for repeats
    # read every history bucket, every night (3 s of a demo night's ingest)
    import pyarrow.parquet as pq

    history = tmp_path / "history.csv"
    history.write_text(HEADER + "\n" + "\n".join(_ais(257000001, 43.0, 8)) + "\n")
    day = tmp_path / "day.csv"
    day.write_text(HEADER + "\n" + "\n".join(_ais(257000001, 43.0, 6, start=100)) + "\n")
    first, spill = _spill(history, tmp_path / "a"), _spill(day, tmp_path / "b")
    read = []
    real = pq.read_table
    monkeypatch.setattr(pq, "read_table", lambda p, *a, **k: read.append(p) or real(p, *a, **k))
    kept = reject_repeated_spill(spill, [first], tmp_path / "c")
    assert kept is spill and not read
    # a day that reaches back into the history's times is read and checked
    back = tmp_path / "back.csv"
    back.write_text(HEADER + "\n" + "\n".join(_ais(257000001, 43.0, 6, start=5)) + "\n")
    kept = reject_repeated_spill(_spill(back, tmp_path / "d"), [first], tmp_path / "e")
    assert read and kept.by_rule.get("duplicate_across_files") == 3


def test_a_feed_of_day_files_is_checked_day_by_day_and_a_late_repeat_still_found(
    tmp_path, monkeypatch
):
    """Read whole (no spill), each file was checked against every earlier file's pings: a
    year of daily files (an input pattern) took 6 minutes of ingest a night.  Files whose
    times do not meet are not compared; a file repeating a day long before it still is."""
    import pipeline.ingest.tracks as T

    days = []
    for d in range(6):
        path = tmp_path / f"ais-{d}.csv"
        path.write_text(HEADER + "\n" + "\n".join(_ais(257000001, 43.0, 6, start=200 * d)) + "\n")
        days.append(read_tracks(str(path)))
    compared = []
    real = T.repeated_pings
    monkeypatch.setattr(
        T, "repeated_pings", lambda new, old: compared.append(len(old)) or real(new, old)
    )
    earlier = []
    for r in days:
        kept = reject_repeated_pings(r, earlier)
        assert kept is r  # nothing repeats
        earlier.append(kept)
    assert compared == []  # no day was compared with another
    # a re-export of day 1 (its last 2 pings, and 2 new ones) after day 5: found, by line
    late = tmp_path / "late.csv"
    late.write_text(HEADER + "\n" + "\n".join(_ais(257000001, 43.0, 4, start=204)) + "\n")
    res = reject_repeated_pings(read_tracks(str(late)), earlier)
    assert compared == [6]  # day 1's pings only
    assert res.by_rule == {"duplicate_across_files": 2}
    rep = res.rejects[res.rejects["rule"] == "duplicate_across_files"]
    assert rep["value"].tolist() == ["ais-1.csv line 6", "ais-1.csv line 7"]


@pytest.mark.parametrize("chunk_rows", [None, 5], ids=["whole", "spilled"])
def test_the_ingest_stage_publishes_repeated_pings_once(tmp_path, chunk_rows):
    """pings.parquet and the report held the repeats; a second (cached) night says the same."""
    history, day = _overlapping(tmp_path)
    for night in (1, 2):  # the second night's files come from the cache
        state = _ingest(tmp_path, "out", [history, day], chunk_rows)
        one, two = state.ingest_report["tracks"]
        assert two["cached"] is (night == 2)
        assert (one["accepted"], two["read"], two["accepted"]) == (16, 18, 9)
        assert two["by_rule"] == {"duplicate_across_files": 8, "ragged_row": 1}
        assert len(state.pings) == 25
        pings = pd.read_parquet(state.staging / "pings.parquet")
        assert len(pings) == 25 and not pings.duplicated([VESSEL_ID, TIME]).any()
        rej = pd.read_csv(state.staging / "rejects" / "tracks-day.csv")
        assert rej["row"].tolist() == list(range(2, 11))
        assert rej["value"].tolist()[1:] == [f"history.csv line {k}" for k in range(2, 10)]
    if chunk_rows is not None:  # what the day file holds now is a function of the history
        assert state.pings.spills[1].content_key != state.pings.spills[0].content_key


@pytest.mark.slow
def test_a_run_publishes_overlapping_files_pings_once_whole_and_in_chunks(small_demo, tmp_path):
    """pings.parquet, pings_used and the manifest agree with what transit used.

    The claim reads the ingest's pings, rejects and counts: no timeline, back-test, hot
    spots or optional exports (``QUICK_TABLES``; ~1.5 s of the two runs)."""
    from conftest import QUICK_TABLES, small_config

    import pipeline

    src = small_demo / "inputs" / "ais.csv"
    copy = tmp_path / "ais-again.csv"
    shutil.copyfile(src, copy)
    outs = {}
    for label, rows in (("whole", None), ("chunks", 700)):
        inputs = {"tracks": [{"path": str(src)}, {"path": str(copy)}]}
        cfg = small_config(
            small_demo, tmp_path / label, inputs=inputs, ingest={"chunk_rows": rows}, **QUICK_TABLES
        )
        outs[label] = pipeline.run_pipeline(cfg)
    for res in outs.values():
        one, two = res.manifest["inputs"]["tracks"]
        assert two["accepted"] == 0 and two["by_rule"] == {
            "duplicate_across_files": one["accepted"]
        }
        assert two["read"] == two["accepted"] + two["rejected"]
        pings = pd.read_parquet(res.out_dir / "pings.parquet")
        assert len(pings) == one["accepted"]
        assert not pings.duplicated([VESSEL_ID, TIME]).any()
        assert res.manifest["counts"]["pings_used"] <= one["accepted"]
        rej = pd.read_csv(res.out_dir / "rejects" / "tracks-ais-again.csv")
        assert (rej["rule"] == "duplicate_across_files").sum() == one["accepted"]
        assert rej["value"].str.startswith("ais.csv line ").all()
    a, b = outs["whole"], outs["chunks"]
    assert (a.out_dir / "pings.parquet").read_bytes() == (b.out_dir / "pings.parquet").read_bytes()
    assert a.manifest["counts"]["pings_used"] == b.manifest["counts"]["pings_used"]


# ------------------------------------------------------------------ a blank spelling


def _two_spellings(tmp_path, blank, n: int = 3200):
    """Two vessels; 'Latitude'/'Longitude' blank where ``blank(i)``, 'Lat DD'/'Lon DD' filled."""
    rows = ["mmsi,timestamp,Latitude,Longitude,Lat DD,Lon DD,sog"]
    for i in range(n):
        t = (T0 + pd.Timedelta(minutes=10 * (i // 2))).strftime("%Y-%m-%dT%H:%M:%S")
        lat, lon = 43 + i % 2, f"{5 + (i // 2) * 0.03:.4f}"
        a = ("", "") if blank(i) else (lat, lon)
        rows.append(f"{257000001 + i % 2},{t},{a[0]},{a[1]},{lat},{lon},10.0")
    path = tmp_path / "two.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    "blank",
    [lambda i: i < 1600, lambda i: i >= 1600, lambda i: i % 3 == 0],
    ids=["blank-first", "blank-later", "blank-scattered"],
)
def test_a_blank_stretch_of_one_spelling_is_read_from_the_other_whole_and_streamed(tmp_path, blank):
    """Whole, 'Latitude' was picked and 1600 records rejected; streamed, 'Lat DD', none."""
    path = _two_spellings(tmp_path, blank)
    whole = read_tracks(str(path))
    spill = _spill(path, tmp_path / "s", n_buckets=2)
    streamed = PingStore([spill]).to_frame()
    assert whole.by_rule == spill.by_rule == {}
    assert len(whole.frame) == spill.n_accepted == 3200
    pd.testing.assert_frame_equal(whole.frame, streamed)
    assert any("blank it is read from the other column" in n for n in whole.notes)
    assert whole.assumptions["columns"]["lat"].get("blank_filled_from") in ("Lat DD", "Latitude")


def test_a_start_position_never_fills_a_blank_position(tmp_path):
    """Only another spelling of the position fills it: 'Start Lat' is another place."""
    rows = ["mmsi,timestamp,Latitude,Longitude,Start Lat,Start Lon"]
    for i in range(12):
        t = (T0 + pd.Timedelta(minutes=10 * i)).strftime("%Y-%m-%dT%H:%M:%S")
        lat = "" if i < 3 else "43.0"
        rows.append(f"257000001,{t},{lat},{5 + i * 0.03:.4f},40.0,1.0")
    path = tmp_path / "voyage.csv"
    path.write_text("\n".join(rows) + "\n")
    res = read_tracks(str(path))
    assert res.by_rule == {"coord_missing": 3}
    assert "blank_filled_from" not in res.assumptions["columns"]["lat"]


@pytest.mark.parametrize("chunk_rows", [None, 5], ids=["whole", "spilled"])
def test_a_compressed_inputs_rejects_file_is_named_without_its_suffixes(tmp_path, chunk_rows):
    """``day.csv.gz``'s rejects are ``tracks-day.csv``, as the plain file's (not ``…day.csv.csv``)."""
    import gzip

    history, day = _overlapping(tmp_path)
    packed = tmp_path / "day.csv.gz"
    packed.write_bytes(gzip.compress(day.read_bytes(), mtime=0))
    day.unlink()
    again = tmp_path / "again"  # a plain file of the same stem: a second rejects file
    again.mkdir()
    shutil.copyfile(history, again / "day.csv")
    state = _ingest(tmp_path, "out", [history, packed, again / "day.csv"], chunk_rows)
    names = sorted(p.name for p in (state.staging / "rejects").iterdir())
    assert names == ["tracks-day-2.csv", "tracks-day.csv", "tracks-history.csv"]
    rej = pd.read_csv(state.staging / "rejects" / "tracks-day.csv")
    assert rej["rule"].tolist() == ["ragged_row"] + ["duplicate_across_files"] * 8
    rej = pd.read_csv(state.staging / "rejects" / "tracks-day-2.csv")
    assert (rej["rule"] == "duplicate_across_files").sum() == 16


def test_source_stem_drops_the_format_and_compression_suffixes():
    from pipeline.ingest import source_stem

    assert source_stem("feed/ais.csv.gz") == "ais"
    assert source_stem("feed/AIS.CSV.ZST") == "AIS"
    assert source_stem("2024.01.02.csv") == "2024.01.02"
    assert source_stem("seizures.xlsx") == "seizures"
    assert source_stem("noext") == "noext"
    assert source_stem("x.gz") == "x"
