"""Gaps found by a hand mutation analysis of ingest's inference (hFB).

Each test here kills a mutant of the inference and refusal logic that the suite let live
(``_columns.py``: row counters, point numbers and constants as vessel ids; ``_dates.py``:
day/month order, two-digit years, offsets, epoch units; ``_common.py``: physical line
numbers; ``summary.py``: the reject ceiling).  Every expected value is computed
independently of the code under test (``datetime`` by hand, the file's own line numbers).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_tracks


def _write(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n")
    return path


def _stamp(minutes: int) -> str:
    return (dt.datetime(2024, 3, 1) + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:00Z")


# ---------------------------------------------------------------------- vessel ids


@pytest.mark.parametrize("first", [0, 1])
def test_a_point_number_from_0_or_1_beside_the_name_is_not_the_vessel_id(tmp_path, first):
    # GPX/ogr2ogr's track_seg_point_id counts from 0: only 1, 2, 3 ... was seen as a point
    # number, so 0, 1, 2 ... again for each ship was the vessel id (each n-th ping a "vessel")
    lines = ["id,name,time,lat,lon"]
    for v in range(2):
        for k in range(5):
            lines.append(
                f"{first + k},SHIP{v},{_stamp(60 * v + 10 * k)},{10 + v:.3f},{-60 + 0.001 * k:.4f}"
            )
    res = read_tracks(_write(tmp_path / "t.csv", lines))
    assert sorted(res.frame["vessel_id"].unique()) == ["SHIP0", "SHIP1"]
    assert res.assumptions["columns"]["vessel_id"]["column"] == "name"


def test_a_point_number_of_two_points_per_ship_is_not_the_vessel_id(tmp_path):
    # three ships of two pings each, 'id' 1, 2 again for each: read by 'id', the first ping of
    # every ship was one "vessel" and the second another
    lines = ["id,name,time,lat,lon"]
    for v in range(3):
        for k in range(2):
            lines.append(
                f"{k + 1},SHIP{v},{_stamp(60 * v + 10 * k)},{10 + v:.3f},{-60 + 0.001 * k:.4f}"
            )
    res = read_tracks(_write(tmp_path / "t.csv", lines))
    assert sorted(res.frame["vessel_id"].unique()) == ["SHIP0", "SHIP1", "SHIP2"]
    assert res.frame.groupby("vessel_id").size().tolist() == [2, 2, 2]


def test_vessels_polled_in_turn_with_one_missing_from_a_poll_keep_their_ids(tmp_path):
    # a radar's targets 1..4 polled five times, target 2 silent in one poll (1, 3 is a step of
    # 2): no row number, which steps by one or starts again; the one code column is the vessel
    lines = ["target,time,lat,lon"]
    for poll in range(5):
        for v in range(1, 5):
            if poll == 2 and v == 2:
                continue
            lat, lon = 10 + v + 0.01 * poll, -60 + 0.001 * poll
            lines.append(f"{v},{_stamp(10 * poll)},{lat:.3f},{lon:.4f}")
    res = read_tracks(_write(tmp_path / "t.csv", lines))
    assert res.assumptions["columns"]["vessel_id"]["column"] == "target"
    sizes = res.frame.groupby("vessel_id").size()
    assert sizes.to_dict() == {"1": 5, "2": 4, "3": 5, "4": 5}


def test_a_row_number_starting_again_past_its_first_50000_rows_is_no_vessel_id(tmp_path):
    # two exports joined end to end, the first longer than the rows the order rules read:
    # 0, 1, 2, ... had not started again there, so '#' was the vessel id by its values
    # (each row number one "vessel" of one ping from each export, exit 0)
    first, second = 50_005, 10
    n = first + second
    k = list(range(first)) + list(range(second))
    minutes = pd.Series(range(n)) % 1440
    frame = pd.DataFrame(
        {
            "#": k,
            "time": (pd.Timestamp("2024-03-01") + pd.to_timedelta(minutes, unit="min")).dt.strftime(
                "%Y-%m-%dT%H:%M:00Z"
            ),
            "lat": 10 + (pd.Series(range(n)) % 1000) * 1e-4,
            "lon": -60.0,
        }
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"'#' \(numbers the rows.*a row number"):
        read_tracks(tmp_path / "t.csv")
