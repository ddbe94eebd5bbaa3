"""A feed of daily track files publishes what the same pings in one file publish.

A nightly job reads a folder of daily AIS files (``aisdk-*.csv``), each an input of its own,
parsed once and then taken from the per-file cache.  Its pings table must be the one a
single file of the same pings gives, and its rejects the same records at the same lines of
their own files.  Two things differ by right: each file has its own rejects file
(``tracks-<stem>.csv``), and a ping that repeats one of an earlier *file* is
``duplicate_across_files`` (with that file and line), where in one file it is a
``duplicate``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _ingest_stage import ingest_alone as _ingest

T0 = pd.Timestamp("2024-03-01T00:00:00Z")
HEADER = "mmsi,timestamp,lat,lon,sog"
DAYS = 30
REPEATED_DAY = 10  # the next day's file starts with this day's last ping again


def _day_rows(day: int) -> list[str]:
    """Three ships, a ping every 4 hours; a few records each day that rules reject."""
    rows = []
    for k, (mmsi, lat) in enumerate(((257000001, 43.0), (257000002, 44.0), (257000003, 42.0))):
        for h in range(0, 24, 4):
            i = day * 6 + h // 4
            t = T0 + pd.Timedelta(hours=4 * i, minutes=7 * k)
            rows.append(f"{mmsi},{t:%Y-%m-%dT%H:%M:%SZ},{lat},{2 + i * 0.01:.4f},3.0")
    if day % 3 == 0:
        rows.insert(4, rows[3])  # a duplicate within the day
    if day % 4 == 1:
        rows.insert(
            2, f"257000002,{T0 + pd.Timedelta(days=day, hours=1):%Y-%m-%dT%H:%M:%SZ},95.5,3.0,3.0"
        )
    if day % 5 == 2:
        rows.insert(7, "257000001,not a time,43.0,3.0,3.0")
    return rows


def _feed(tmp_path) -> tuple[list, object]:
    """Write the daily files and one file of the same lines in the same order."""
    feed = tmp_path / "feed"
    feed.mkdir()
    days = [_day_rows(d) for d in range(DAYS)]
    days[REPEATED_DAY + 1].insert(0, days[REPEATED_DAY][-1])
    paths = []
    for d, rows in enumerate(days):
        paths.append(feed / f"aisdk-{(T0 + pd.Timedelta(days=d)).date()}.csv")
        paths[-1].write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    one = tmp_path / "one" / "aisdk-all.csv"
    one.parent.mkdir()
    one.write_text(HEADER + "\n" + "\n".join(r for rows in days for r in rows) + "\n")
    return paths, one


def _rejects_by_line(state, paths) -> pd.DataFrame:
    """The feed's rejects, each file's lines placed in the file of all its lines."""
    frames, offset = [], 0
    for p in paths:
        rej = pd.read_csv(
            state.staging / "rejects" / f"tracks-{p.stem}.csv", dtype=str, keep_default_na=False
        )
        rej["row"] = rej["row"].astype(int) + offset
        frames.append(rej)
        offset += len(p.read_text().splitlines()) - 1  # its lines after the header
    return pd.concat(frames, ignore_index=True).drop(columns="source_file")


@pytest.mark.parametrize("chunk_rows", [None, 40], ids=["whole", "spilled"])
def test_a_feed_of_daily_files_publishes_the_pings_and_rejects_of_one_file(
    tmp_path, monkeypatch, chunk_rows
):
    import pipeline.ingest.stream as stream

    paths, one = _feed(tmp_path)
    single = _ingest(tmp_path, "single", [one], chunk_rows)
    written = []
    real = stream.write_csv_chunks
    monkeypatch.setattr(
        stream, "write_csv_chunks", lambda c, p, cols: written.append(p.name) or real(c, p, cols)
    )
    for night in (1, 2):  # the second night takes every file from the cache
        written.clear()
        feed = _ingest(tmp_path, "feed", paths, chunk_rows)
        report = feed.ingest_report["tracks"]
        assert [e["cached"] for e in report] == [night == 2] * DAYS
        if chunk_rows is not None:
            # a spill's rejects CSV is written once and kept with it; a night writes only
            # that of the file whose rejects depend on the files before it
            again = [f"tracks-{paths[REPEATED_DAY + 1].stem}.csv"]
            assert sorted(written) == sorted(
                ["rejects.csv"] * DAYS + again if night == 1 else again
            )
        assert (feed.staging / "pings.parquet").read_bytes() == (
            single.staging / "pings.parquet"
        ).read_bytes()
        pd.testing.assert_frame_equal(feed.vessel_identity, single.vessel_identity)
        # one rejects file per daily file, named after it; none for the one file's name
        names = sorted(p.name for p in (feed.staging / "rejects").iterdir())
        assert names == sorted(f"tracks-{p.stem}.csv" for p in paths)
        mine = _rejects_by_line(feed, paths)
        theirs = pd.read_csv(
            single.staging / "rejects" / "tracks-aisdk-all.csv", dtype=str, keep_default_na=False
        ).drop(columns="source_file")
        theirs["row"] = theirs["row"].astype(int)
        across = mine["rule"] == "duplicate_across_files"
        # the repeated ping: the next day's first record (line 2 of its file), rejected in
        # both readings
        before = sum(len(p.read_text().splitlines()) - 1 for p in paths[: REPEATED_DAY + 1])
        assert mine.loc[across, "row"].tolist() == [before + 2]
        last = len(paths[REPEATED_DAY].read_text().splitlines())
        assert mine.loc[across, "value"].tolist() == [f"{paths[REPEATED_DAY].name} line {last}"]
        same = theirs["row"] == before + 2
        assert theirs.loc[same, "rule"].tolist() == ["duplicate"]
        pd.testing.assert_frame_equal(
            mine[~across].reset_index(drop=True), theirs[~same].reset_index(drop=True)
        )
        assert set(theirs["rule"]) == {
            "duplicate",
            "lat_out_of_range",
            "time_unparseable",
        }
        # the counts of the report add up to the one file's
        assert sum(e["read"] for e in report) == single.ingest_report["tracks"][0]["read"]
        assert sum(e["accepted"] for e in report) == single.ingest_report["tracks"][0]["accepted"]


@pytest.mark.parametrize("chunk_rows", [None, 4], ids=["whole", "spilled"])
def test_a_later_file_repeating_an_untimed_route_is_caught_whatever_its_days(tmp_path, chunk_rows):
    """Files whose times do not meet are not compared, except by their untimed pings: a
    route (a vessel without any time) given again by a later day's file is a repeat."""
    route = ["257000009,,43.5,3.1,", "257000009,,43.6,3.2,", "257000009,,43.7,3.3,"]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("\n".join([HEADER, *_day_rows(7)[:6], *route]) + "\n")
    b.write_text("\n".join([HEADER, *_day_rows(11)[:6], route[1], route[2]]) + "\n")
    state = _ingest(tmp_path, "out", [a, b], chunk_rows)
    one, two = state.ingest_report["tracks"]
    assert one["by_rule"] == {}
    assert two["by_rule"] == {"duplicate_across_files": 2}
    rej = pd.read_csv(state.staging / "rejects" / "tracks-b.csv", dtype=str)
    assert rej["row"].tolist() == ["8", "9"]
    assert rej["value"].tolist() == ["a.csv line 9", "a.csv line 10"]
    pings = pd.read_parquet(state.staging / "pings.parquet")
    assert len(pings) == 6 + 3 + 6 and pings["time"].isna().sum() == 3
