"""A track file's file-level decisions do not depend on the block it is read in (found by a
review, hBJ): the Solent AIS file with a burst of 400 speeds of 200-900 kn in one place (2 %
of the file, 40 % of one block of 1,000) was read whole by the local engine and refused as
"tenths of a knot" by the Dask engine reading blocks of 1,000 (``dask.partition_rows``).

The scale of the speed and course columns (AIS raw tenths, speeds ten times the positions')
was decided on each block's values; it is now counted over the blocks and decided once, as
the misplaced positions are.  Whole, in chunks (``ingest.chunk_rows``) and as partitions (the
tasks a Dask run gives its workers) must refuse alike or publish the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from _ingest_stage import track_outcome
from conftest import SHARED_DATA

from pipeline.cli import main
from pipeline.ingest import read_tracks

SOLENT = SHARED_DATA / "tracks" / "SolentAIS_20160112_130211.csv"

_T0 = pd.Timestamp("2016-01-12 10:00:00")


def _ships(n_vessels: int, minutes: int, sog: float = 10.0) -> pd.DataFrame:
    """Ships steaming north-east at 10 kn, a ping a minute each; ``sog`` is what they report."""
    m = np.repeat(np.arange(minutes), n_vessels)
    k = np.tile(np.arange(n_vessels), minutes)
    nm = 10.0 / 60 * m  # nautical miles made good
    return pd.DataFrame(
        {
            "Time": (_T0 + pd.to_timedelta(m, unit="min")).strftime("%Y-%m-%d %H:%M:%S"),
            "MMSI": (235000000 + k).astype(str),
            "Latitude_degrees": (50.6 + 0.01 * k + nm / 60 * np.cos(np.pi / 4)).round(6),
            "Longitude_degrees": (
                -1.5 + nm / 60 * np.sin(np.pi / 4) / np.cos(np.radians(50.7))
            ).round(6),
            "COG_degrees": 45.0,
            "SOG_knots": float(sog),
        }
    )


def _outcome(path: Path, how: str, rows: int, tmp: Path):
    """What reading ``path`` gives (:func:`_ingest_stage.track_outcome`)."""
    return track_outcome(path, how, rows, tmp)


def _assert_block_free(path: Path, tmp: Path, rows: int, notes: bool = True):
    """Whole == chunks of ``rows`` == partitions of ``rows``; return the whole outcome.

    ``notes=False``: the notes of the chunks and the partitions are alike, not the whole
    file's (a streamed file's date notes are per chunk).
    """
    whole = _outcome(path, "whole", rows, tmp)
    chunks = _outcome(path, "chunks", rows, tmp)
    assert _outcome(path, "parts", rows, tmp) == chunks
    if notes or whole[0] == "refused":
        assert chunks == whole
    else:
        assert chunks[:3] == whole[:3]
    return whole


def _burst(frame: pd.DataFrame, at: int, n: int, seed: int = 1) -> pd.DataFrame:
    """Speeds of 200-900 (no knots, no tenths either) in ``n`` records from record ``at``."""
    out = frame.copy()
    rng = np.random.default_rng(seed)
    out.loc[at : at + n - 1, "SOG_knots"] = rng.uniform(200, 900, n).round(1)
    return out


# Parquet is read in record batches of exactly ``chunk_rows`` (a CSV's pieces are 64 KiB at
# least), so small blocks cost little here.
@pytest.mark.parametrize("at", [0, 150, 450])  # the burst in the first, a middle, the last block
def test_a_burst_of_high_speeds_is_judged_on_the_file_not_its_block(tmp_path, at):
    """20 speeds above 102.3 in 600 records (3 %): not tenths of a knot for the file, but 40 %
    of a block of 50; each block refused the file on its own values."""
    path = tmp_path / "burst.parquet"
    _burst(_ships(3, 200), at, 20).astype(str).to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 50)
    assert whole[0] != "refused"
    top = _burst(_ships(3, 200), at, 20)["SOG_knots"].max()
    (said,) = [n for n in whole[3] if "no speed" in n]  # kept, and said once for the file
    assert f"'SOG_knots' holds 20 above 102.2 kn, AIS's largest speed (up to {top:g})" in said
    assert "read as not available" in said


def test_speeds_and_courses_no_ais_means_are_counted_not_dropped_silently(tmp_path):
    """Negative speeds, courses of 400 degrees: missing values, and the summary says so;
    AIS's own 'not available' (102.3 kn, 360 degrees) is counted in a note of its own."""
    f = _ships(2, 300)
    f.loc[10:14, "SOG_knots"] = -1.5
    f.loc[[20, 400], "SOG_knots"] = 102.3
    f.loc[[30, 500, 580], "COG_degrees"] = [400.0, 360.0, 512.5]
    path = tmp_path / "odd.parquet"
    f.astype(str).to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 100)
    speed = [n for n in whole[3] if "speed column" in n]
    course = [n for n in whole[3] if "course column" in n]
    assert speed == [
        f"{path.name}: speed column 'SOG_knots' holds 5 negative value(s) that are no speed: "
        "read as not available (the pings are kept without a speed)",
        f"{path.name}: speed column 'SOG_knots' holds 2 value(s) of 102.3 kn, AIS's 'not "
        "available' (ITU-R M.1371): read as missing (the pings are kept without a speed)",
    ]
    assert len(course) == 2
    assert "'COG_degrees' holds 2 above 359.9 degrees (up to 512.5)" in course[0]
    assert "'COG_degrees' holds 1 value(s) of 360 degrees, AIS's 'not available'" in course[1]
    r = read_tracks(path)
    assert r.frame["sog_kn"].isna().sum() == 7 and r.frame["cog_deg"].isna().sum() == 3
    f.loc[[30, 580], "COG_degrees"] = 45.0
    f.loc[10:14, "SOG_knots"] = 10.0
    f.astype(str).to_parquet(path, index=False)
    said = [n for n in read_tracks(path).notes if "column" in n and "holds" in n]
    assert len(said) == 2 and all("AIS's 'not available'" in n for n in said)


def test_tenths_spread_thin_are_refused_in_blocks_too(tmp_path):
    """Raw tenths in 6 % of the records, one in 16: too few in any block of 10 to refuse it
    (3 at least), so the chunks published speeds the whole file is refused for."""
    f = _ships(3, 100)
    f.loc[::16, "SOG_knots"] = 500.0
    path = tmp_path / "thin.parquet"
    f.astype(str).to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 10)
    assert whole[0] == "refused" and "between 102.3 and 1023" in whole[1]


def test_speeds_ten_times_the_positions_are_measured_across_blocks(tmp_path):
    """Speeds in tenths of a knot (100 for 10 kn) under a plain header: the ratio to the
    positions' speed is measured on stretches between a vessel's successive pings, which a
    block of 4 records (3 vessels) hardly holds; the file is refused read any way."""
    path = tmp_path / "ratio.parquet"
    _ships(3, 60, sog=100).astype(str).to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 4)
    assert whole[0] == "refused" and "ten times the speed the positions give" in whole[1]


def test_a_first_block_of_blank_speeds_decides_nothing(tmp_path):
    """The first block's speeds blank, the rest in raw tenths (300): refused alike, with the
    same reason (the first block had left the ratio rule to decide on the second alone)."""
    f = _ships(3, 100, sog=300)
    f["SOG_knots"] = f["SOG_knots"].astype(object)
    f.loc[:29, "SOG_knots"] = ""
    path = tmp_path / "blank.parquet"
    f.astype(str).to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 30)
    assert whole[0] == "refused" and "holds 270 value(s) between 102.3 and 1023" in whole[1]


@pytest.mark.parametrize("first", ["0", "", "nan"])
def test_a_first_block_of_zero_or_missing_speeds_is_read_alike(tmp_path, first):
    f = _ships(3, 100).astype(str)
    f.loc[:29, "SOG_knots"] = first
    path = tmp_path / "first.parquet"
    f.to_parquet(path, index=False)
    assert _assert_block_free(path, tmp_path, 30)[0] != "refused"


def test_speeds_whose_unit_changes_mid_file_are_decided_for_the_file(tmp_path):
    """The last half of the file (a second export appended) in tenths of a knot: the blocks
    of that half were refused on their own ratio, the first half's read, and the whole file
    (median of both halves) read: one outcome now, whatever the block."""
    f = _ships(3, 100)
    f.loc[150:, "SOG_knots"] = 100.0
    path = tmp_path / "half.parquet"
    f.astype(str).to_parquet(path, index=False)
    _assert_block_free(path, tmp_path, 50)


def test_a_burst_of_raw_courses_is_judged_on_the_file(tmp_path):
    """Courses of 360-3600 in 2 % of the file, half of one block: not tenths of a degree."""
    f = _ships(3, 200)
    f.loc[300:311, "COG_degrees"] = 2000.0
    path = tmp_path / "course.parquet"
    f.astype(str).to_parquet(path, index=False)
    assert _assert_block_free(path, tmp_path, 24)[0] != "refused"


# --------------------------------------------------------------------------- the real file


def _solent_burst(tmp_path: Path) -> Path:
    """The Solent file with 400 speeds of 200-900 kn from record 5,100 (in one block of 1,000)."""
    f = pd.read_csv(SOLENT, dtype=str)
    rng = np.random.default_rng(1)
    f.loc[5100:5499, "SOG_knots"] = rng.uniform(200, 900, 400).round(1).astype(str)
    path = tmp_path / "burst.csv"
    f.to_csv(path, index=False)
    return path


@pytest.mark.skipif(not SOLENT.is_file(), reason="the shared real data is not here")
def test_solent_with_a_burst_of_speeds_is_read_alike_whole_and_in_blocks_of_1000(tmp_path):
    whole = _assert_block_free(_solent_burst(tmp_path), tmp_path, 1000)
    assert whole[0] != "refused"


@pytest.mark.skipif(not SOLENT.is_file(), reason="the shared real data is not here")
def test_route_risk_ingest_of_the_burst_exits_alike_whole_and_in_chunks(tmp_path, capsys):
    path = _solent_burst(tmp_path)
    codes, summaries = [], []
    for chunk_rows in (None, 1000):
        cfg = tmp_path / f"c{chunk_rows}.yaml"
        raw = {
            "inputs": {"tracks": [{"path": str(path)}]},
            "area": {"bbox": [-1.6, 50.6, -0.9, 50.95]},
            "score": {"factors": {"vessel_hours": {"weight": 1}}, "model": "weighted"},
            "ingest": {"chunk_rows": chunk_rows},
        }
        cfg.write_text(yaml.safe_dump(raw))
        out = tmp_path / f"out{chunk_rows}"
        out.mkdir()
        codes.append(
            main(
                [
                    "ingest",
                    "tracks",
                    str(path),
                    "--config",
                    str(cfg),
                    "--out",
                    str(out),
                    "--json",
                    "-q",
                ]
            )
        )
        summaries.append(json.loads(capsys.readouterr().out))
        summaries[-1].pop("rejects_file")
        # the columns' evidence counts the rows looked at (the first chunk's when streamed)
        summaries[-1]["assumptions"].pop("columns")
    assert codes == [0, 0]
    assert summaries[0] == summaries[1]
    a, b = (tmp_path / f"out{c}" / "rejects" / "tracks-burst.csv" for c in (None, 1000))
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(not SOLENT.is_file(), reason="the shared real data is not here")
def test_solent_burst_on_a_dask_cluster_publishes_what_the_local_engine_does(
    tmp_path, dask_cluster
):
    """The reviewed run itself: local engine (whole) against 2 Dask workers, blocks of 1,000.

    The run connects to conftest's 2-worker LocalCluster (``run.engine: dask`` with
    ``dask.workers: 2`` starts the same; one of its own was 4.5 s of CPU more).
    """
    import pipeline

    path = _solent_burst(tmp_path)

    def config(name: str, **sections):
        raw = {
            "run": {"as_of": "2016-01-14", "out_dir": str(tmp_path / name)},
            "area": {"bbox": [-1.6, 50.6, -0.9, 50.95], "resolution": 8},
            "inputs": {"tracks": [{"path": str(path)}]},
            "score": {"factors": {"vessel_hours": {"weight": 1}}, "model": "weighted"},
            "timeline": {"months": 0},
            "evaluate": {"enabled": False},
            "hotspots": {"enabled": False},
            "render": {"geojson": False, "preview_png": False, "flatgeobuf": False},
            **sections,
        }
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(raw))
        return pipeline.load_config(tmp_path / f"{name}.yaml")

    local = pipeline.run_pipeline(config("local"))
    dask = pipeline.run_pipeline(
        config(
            "dask",
            run={"as_of": "2016-01-14", "out_dir": str(tmp_path / "dask"), "engine": "dask"},
            dask={
                "scheduler": dask_cluster.engine().client.scheduler.address,
                "partition_rows": 1000,
            },
        )
    )
    for name in ("pings.parquet", "features.parquet", "scores.csv", "rejects/tracks-burst.csv"):
        assert (local.out_dir / name).read_bytes() == (dask.out_dir / name).read_bytes(), name
    assert local.manifest["counts"] == dask.manifest["counts"]


# --------------------------------------------------------------------------- the date order


def _dates_decided_late(rows: int) -> pd.DataFrame:
    """Dates ``01/02/2016`` (either order) until record ``rows``, then ``13/02/2016``: only a
    later block says they are day-first."""
    f = _ships(3, max(100, rows // 3 + 50))
    t = pd.to_datetime(f["Time"]) + pd.Timedelta(days=20)  # 1 February
    t[rows:] += pd.Timedelta(days=12)
    f["Time"] = t.dt.strftime("%d/%m/%Y %H:%M:%S")
    return f


def test_a_parquet_files_date_order_is_decided_by_a_later_batch(tmp_path):
    """A streamed CSV whose first chunk did not decide the order scanned the file's dates;
    a Parquet file (and every file on Dask) was refused as ambiguous."""
    path = tmp_path / "dates.parquet"
    _dates_decided_late(250).astype(str).to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 100, notes=False)
    assert whole[0] != "refused"


def test_a_csvs_date_order_is_decided_by_a_later_partition_on_dask(tmp_path):
    path = tmp_path / "dates.csv"
    _dates_decided_late(3000).to_csv(path, index=False)  # a CSV's pieces are 64 KiB at least
    whole = _assert_block_free(path, tmp_path, 1000, notes=False)
    assert whole[0] != "refused"


# --------------------------------------------------------------------------- the positions


def _dms(frame: pd.DataFrame, lat: str, lon: str, rows: slice = slice(None)) -> pd.DataFrame:
    """The positions of ``rows`` written as degree-minute-second text ``lat`` / ``lon``."""
    out = frame.astype(str)
    out.loc[rows, "Latitude_degrees"] = lat
    out.loc[rows, "Longitude_degrees"] = lon
    return out


def test_a_lowercase_s_the_blocks_read_both_ways_is_refused_in_blocks_too(tmp_path):
    """The first block's 's' the seconds' unit (its longitudes end in it, no letter), a
    later block's latitudes ending so beside longitudes with a W: the whole file says both,
    and is refused; in blocks of 100 the first was read north, the third south, no word."""
    f = _dms(_ships(3, 100), "50 42 10 N", "1 30 10 W")
    f = _dms(f, "50 42 10s", "1 30 10s", slice(0, 99))
    f.loc[200:, "Latitude_degrees"] = "50 42 10s"
    path = tmp_path / "s.parquet"
    f.to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 100)
    assert whole[0] == "refused" and "does not say whether it is south" in whole[1]


def test_a_lowercase_s_is_decided_by_letters_of_an_earlier_block(tmp_path):
    """Hemisphere letters in the first block only, latitudes ending in 's' in the third
    beside plain longitudes: south for the file (its letters say), refused by the third
    block alone (nothing in it says)."""
    f = _dms(_ships(3, 100), "50 42 10 N", "1 30 10 W")
    f = _dms(f, "50 42 10s", "1 30 10", slice(200, None))
    path = tmp_path / "s.parquet"
    f.to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 100)
    assert whole[0] != "refused"
    assert any("100 latitude(s)" in n and "read as south" in n for n in whole[3])


def test_a_csvs_lowercase_s_is_decided_for_the_file(tmp_path):
    """As above, a CSV in pieces of 1,000 records (64 KiB at least): the CSV's own scan."""
    f = _dms(_ships(3, 1500), "50 42 10 N", "1 30 10 W")
    f = _dms(f, "50 42 10s", "1 30 10", slice(1500, None))  # pieces with no letter
    path = tmp_path / "s.csv"
    f.to_csv(path, index=False)
    whole = _assert_block_free(path, tmp_path, 1000)
    assert whole[0] != "refused"


def test_a_burst_of_metres_is_judged_on_the_file_not_its_block(tmp_path):
    """Eastings and northings in 36 of 300 records (12 %), 72 % of a block of 50: read
    whole (the values rejected as out of range), refused in blocks as projected."""
    f = _ships(3, 100).astype(str)
    f.loc[150:185, "Latitude_degrees"] = "5620000"
    f.loc[150:185, "Longitude_degrees"] = "620000"
    path = tmp_path / "metres.parquet"
    f.to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 50)
    assert whole[0] == {"lat_out_of_range": 36}


def test_metres_are_refused_naming_the_files_first_metre_value(tmp_path):
    """Metres in 40 % of the first block and all of the rest: refused read any way, naming
    the file's first value that is no degree value (the whole read named the first value,
    a degree; the blocks the first value of the first block they refused)."""
    f = _ships(3, 100).astype(str)
    f.loc[30:, "Latitude_degrees"] = (5620000 + np.arange(270)).astype(str)
    f.loc[30:, "Longitude_degrees"] = (620000 + np.arange(270)).astype(str)
    path = tmp_path / "metres.parquet"
    f.to_parquet(path, index=False)
    whole = _assert_block_free(path, tmp_path, 75)
    assert whole[0] == "refused" and "'620000' is no degree value" in whole[1]
