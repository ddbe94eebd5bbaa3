"""Dotted degrees.minutes.seconds are never read as decimal degrees (found by a review, hBX).

Some navy, coast-guard and ship-log exports write positions as ``01.15.30N`` /
``104.05.50E``: such a record was rejected as ``coord_unparseable``, and ``04.10S`` beside it
was read as 4.10°S (4°10'S, 7 km off) without a word.  Two dots leave no decimal reading;
one dot with two digits below 60 and a letter is decided for the whole file: degrees.minutes
where the file writes dotted degrees.minutes.seconds, decimal where it writes one-dot values
that no minutes are (``04.75S``), refused where it writes both.  Read whole, in chunks or as
partitions, the file decides alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _corpus import assert_accounted, write_text
from _ingest_stage import track_outcome

from pipeline.errors import InputError
from pipeline.ingest import read_context, read_seizures, read_tracks

DMS_1_15_30 = 1 + 15 / 60 + 30 / 3600
DMS_104_05_50 = 104 + 5 / 60 + 50 / 3600


def _seizures(tmp_path: Path, rows: list[tuple[str, str]], name: str = "log.csv"):
    text = "Date,Latitude,Longitude\n" + "".join(
        f"2024-03-{15 + i:02d},{lat},{lon}\n" for i, (lat, lon) in enumerate(rows)
    )
    return read_seizures(write_text(tmp_path, name, text))


@pytest.mark.parametrize(
    ("lat", "lon", "want"),
    [
        ("01.15.30N", "104.05.50E", (DMS_1_15_30, DMS_104_05_50)),
        ("01.15.30 N", "104.05.50 E", (DMS_1_15_30, DMS_104_05_50)),
        ("01.15.30S", "104.05.50.5W", (-DMS_1_15_30, -(DMS_104_05_50 + 0.5 / 3600))),
        ("N 01.15.30", "E 104.05.50", (DMS_1_15_30, DMS_104_05_50)),
        ("-01.15.30", "104.05.50", (-DMS_1_15_30, DMS_104_05_50)),
        ("01.15.30s", "104.05.50e", (-DMS_1_15_30, DMS_104_05_50)),  # letters, lower case
    ],
)
def test_dotted_degrees_minutes_seconds_are_read(tmp_path, lat, lon, want):
    res = _seizures(tmp_path, [(lat, lon)])
    assert_accounted(res)
    assert res.by_rule == {}
    np.testing.assert_allclose(res.frame[["lat", "lon"]].to_numpy()[0], want, atol=1e-9)


def test_dotted_minutes_or_seconds_that_are_none_are_rejected(tmp_path):
    """Minutes or seconds of 60 or more, or not two digits: no dotted value, rejected."""
    res = _seizures(
        tmp_path,
        [
            ("01.15.30N", "104.05.50E"),
            ("01.60.30N", "104.05.50E"),
            ("01.15.75N", "104.05.50E"),
            ("01.15.30N", "104.5.50E"),
        ],
    )
    assert_accounted(res)
    assert res.by_rule == {"coord_unparseable": 3}
    assert res.rejects["row"].tolist() == [3, 4, 5]
    np.testing.assert_allclose(res.frame["lat"], [DMS_1_15_30])


def test_one_dot_values_are_degrees_minutes_in_a_file_of_dotted_dms(tmp_path):
    """The review's file: '04.10S' was 4.10°S beside a rejected '01.15.30N'."""
    res = _seizures(
        tmp_path,
        [("01.15.30N", "104.05.50E"), ("04.10S", "039.40E"), ("-4.10", "39.40"), ("01.15N", "S")],
    )
    assert_accounted(res)
    assert res.by_rule == {"coord_unparseable": 1}  # 'S' is no longitude
    np.testing.assert_allclose(
        res.frame[["lat", "lon"]].to_numpy(),
        [[DMS_1_15_30, DMS_104_05_50], [-(4 + 10 / 60), 39 + 40 / 60], [-4.10, 39.40]],
        atol=1e-9,
    )  # a plain decimal stays decimal, always
    assert res.assumptions["dotted_degrees"]["value"] == "degrees.minutes"
    (note,) = [n for n in res.notes if "one dot" in n]
    assert "3 position value(s)" in note and "'04.10S'" in note and "'01.15.30N'" in note
    assert "read as degrees.minutes" in note


def test_one_dot_values_are_decimal_in_a_file_of_decimals(tmp_path):
    res = _seizures(tmp_path, [("04.10S", "039.40E"), ("04.75S", "039.125E")])
    assert res.frame[["lat", "lon"]].values.tolist() == [[-4.10, 39.40], [-4.75, 39.125]]
    assert res.assumptions["dotted_degrees"]["value"] == "decimal degrees"
    assert "'04.75S'" in res.assumptions["dotted_degrees"]["evidence"]
    assert any("2 position value(s)" in n and "decimal degrees" in n for n in res.notes)


def test_one_dot_values_without_evidence_are_decimal_and_say_so(tmp_path):
    res = _seizures(tmp_path, [("04.10S", "039.40E")])
    assert res.frame[["lat", "lon"]].values.tolist() == [[-4.10, 39.40]]
    assert res.assumptions["dotted_degrees"]["value"] == "decimal degrees"
    assert any("no value of the file writes dotted" in n for n in res.notes)


def test_a_file_of_dotted_dms_and_one_dot_decimals_is_refused(tmp_path):
    with pytest.raises(InputError) as err:
        _seizures(
            tmp_path, [("01.15.30N", "104.05.50E"), ("04.10S", "039.40E"), ("04.755S", "39.4E")]
        )
    msg = str(err.value)
    assert "\n" not in msg
    assert "'04.10S'" in msg and "'01.15.30N'" in msg and "'04.755S'" in msg


def test_a_pair_column_of_dotted_dms_is_read(tmp_path):
    text = 'Date,Position\n2024-03-15,"01.15.30N 104.05.50E"\n2024-03-16,"04.10S, 039.40E"\n'
    res = read_seizures(write_text(tmp_path, "pairs.csv", text))
    assert_accounted(res)
    np.testing.assert_allclose(
        res.frame[["lat", "lon"]].to_numpy(),
        [[DMS_1_15_30, DMS_104_05_50], [-(4 + 10 / 60), 39 + 40 / 60]],
        atol=1e-9,
    )


def test_a_ports_table_decides_its_dotted_values_alike(tmp_path):
    path = tmp_path / "ports.csv"
    path.write_text("name,lat,lon\nA,01.15.30N,104.05.50E\nB,04.10S,039.40E\n")
    res = read_context(path, kind="ports")
    np.testing.assert_allclose(
        [(p.y, p.x) for p in res.frame.geometry],
        [[DMS_1_15_30, DMS_104_05_50], [-(4 + 10 / 60), 39 + 40 / 60]],
        atol=1e-9,
    )
    assert res.assumptions["dotted_degrees"]["value"] == "degrees.minutes"


# ------------------------------------------------------------------ tracks, whole and in blocks

_T0 = pd.Timestamp("2016-01-12 10:00:00")


def _moored(n_vessels: int, minutes: int, lat: str, lon: str) -> pd.DataFrame:
    """Ships moored at 50°4k'N 1°30'W (k: the vessel), a ping a minute, positions as text."""
    m = np.repeat(np.arange(minutes), n_vessels)
    k = np.tile(np.arange(n_vessels), minutes)
    return pd.DataFrame(
        {
            "Time": (_T0 + pd.to_timedelta(m, unit="min")).strftime("%Y-%m-%d %H:%M:%S"),
            "MMSI": (235000000 + k).astype(str),
            "Latitude": [lat.format(k=v) for v in k],
            "Longitude": lon,
            "SOG": "0.0",
        }
    )


def _outcome(path: Path, how: str, rows: int, tmp: Path):
    """What reading ``path`` gives (:func:`_ingest_stage.track_outcome`)."""
    return track_outcome(path, how, rows, tmp, "dotted_degrees")


def _read_alike(path: Path, tmp: Path, rows: int):
    """Whole == chunks of ``rows`` == partitions of ``rows``; return the whole outcome."""
    whole = _outcome(path, "whole", rows, tmp)
    assert _outcome(path, "chunks", rows, tmp) == whole
    assert _outcome(path, "parts", rows, tmp) == whole
    return whole


def _three_blocks(tmp_path: Path, third: tuple[str, str]):
    """A log of three ships: D.MM.SS in its first block of 100 records, D.MM in the second,
    ``third`` (latitude, longitude) in the last; read alike whole, in chunks and parts."""
    f = pd.concat(
        [
            _moored(3, 34, "50.4{k}.00N", "001.30.00W"),
            _moored(3, 33, "50.4{k}N", "001.30W"),
            _moored(3, 33, *third),
        ],
        ignore_index=True,
    )
    f["Time"] = (_T0 + pd.to_timedelta(np.repeat(np.arange(100), 3), unit="min")).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    path = tmp_path / "log.parquet"
    f.to_parquet(path, index=False)
    return _read_alike(path, tmp_path, 100)


def test_a_tracks_one_dot_values_are_decided_by_an_earlier_block(tmp_path):
    """Dotted D.MM.SS in the first block of 100 only, one-dot D.MM in the third: read as
    degrees.minutes read any way (the third block alone says nothing: decimal)."""
    whole = _three_blocks(tmp_path, ("50.4{k}N", "001.30W"))
    assert whole[0] == {}
    pings = read_tracks(tmp_path / "log.parquet").frame
    np.testing.assert_allclose(np.sort(pings["lat"].unique()), 50 + np.arange(40, 43) / 60)
    np.testing.assert_allclose(pings["lon"].unique(), [-1.5])
    assert whole[4]["value"] == "degrees.minutes"
    assert any("396 position value(s)" in n and "degrees.minutes" in n for n in whole[3])


def test_a_tracks_dotted_dms_and_decimals_in_other_blocks_are_refused(tmp_path):
    """D.MM.SS in the first block, one-dot decimals in the last, D.MM in between: refused
    read any way (each block alone was read without a word)."""
    whole = _three_blocks(tmp_path, ("50.683{k}N", "001.5000W"))
    assert whole[0] == "refused"
    assert "'50.40.00N'" in whole[1] and "'50.6830N'" in whole[1]


def test_a_track_csvs_one_dot_values_are_decided_for_the_file(tmp_path):
    """As above, a CSV in pieces of 1,000 records (64 KiB at least): the CSV's own scan."""
    f = pd.concat(
        [_moored(3, 500, "50.4{k}.00N", "001.30.00W"), _moored(3, 1000, "50.4{k}N", "001.30W")],
        ignore_index=True,
    )
    f["Time"] = (_T0 + pd.to_timedelta(np.repeat(np.arange(1500), 3), unit="min")).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    path = tmp_path / "log.csv"
    f.to_csv(path, index=False)
    whole = _read_alike(path, tmp_path, 1000)
    assert whole[0] == {}
    assert whole[4]["value"] == "degrees.minutes"
