"""Fresh-eyes review of the diff 5dce36d..3abd2fc: false refusals and untrue messages it made.

Each test here failed before the fix it names (see the commit that added it).
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from pipeline import grid
from pipeline.errors import InputError
from pipeline.hotspots import cells_to_weights, gi_star, gi_summary
from pipeline.sphere import EARTH_RADIUS_KM, lonlat_to_xyz


def _ring(lon: float, lat: float, res: int) -> np.ndarray:
    return np.sort(grid.grid_disk_cells(grid.points_to_cells([lon], [lat], res), 1))


def _nearest_centres_km(cells: np.ndarray) -> float:
    lat, lon = grid.cells_to_latlng(cells)
    xyz = lonlat_to_xyz(lon, lat)
    i, j = np.triu_indices(cells.size, 1)
    chord = np.sqrt(((xyz[i] - xyz[j]) ** 2).sum(axis=1))
    return float((2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2.0, 1.0))).min())


# --- Gi* distance band: refused only below the grid's spacing ------------------------------


def test_a_band_wider_than_the_grid_spacing_is_not_refused_for_cells_far_apart():
    """4d02fe6 refused any band that left no pair of the *given* cells: with the risk as
    values the runner gives gi_star the observed cells only, and three seizures far apart at
    resolution 6 (centres ~6 km apart) made a 10 km band 'leave every cell without a
    neighbour ... use a band of at least 1.1e+03 km' -- exit 2 for the night, where k_rings
    (the same isolation) publishes.  README: only a band shorter than the distance between
    neighbouring centres is refused; lone cells are counted (cells_without_neighbours)."""
    cells = grid.points_to_cells([-61.0, -50.0, -40.0], [10.0, 12.0, 14.0], 6)
    out = gi_star(cells, [1.0, 2.0, 3.0], {"distance_band_km": 10.0})
    assert (out["gi_neighbours"] == 1).all()
    assert gi_summary(out, {"distance_band_km": 10.0})["cells_without_neighbours"] == 3
    # a band below the grid's own spacing is still refused, for far-apart cells too
    with pytest.raises(InputError, match=r"distance_band_km 2\.0 leaves every one of the 3"):
        gi_star(cells, [1.0, 2.0, 3.0], {"distance_band_km": 2.0})


def test_a_band_equal_to_the_distance_between_two_centres_joins_them():
    """Centres exactly at the band are within it (<=), but the arc -> chord round trip lost
    the last bit: near Trinidad at resolution 6 a band of the two nearest centres' own
    distance was refused as leaving every cell without a neighbour."""
    cells = _ring(-61.5, 10.5, 6)
    band = _nearest_centres_km(cells)
    w = cells_to_weights(cells, distance_band_km=band)
    assert w.neighbours.max() >= 2


@pytest.mark.parametrize("where", [(-61.5, 10.5, 6), (-30.0, -45.0, 3), (140.0, 35.0, 9)])
def test_the_band_a_refusal_asks_for_is_accepted_and_joins_cells(where):
    """The refusal said 'the nearest two cell centres are 5.9 km apart; use a band of at
    least that' with the distance rounded to 3 digits, often down: 5.9 or 120 km, given as
    asked, was refused again.  It now names a band (rounded up) that joins the centres."""
    cells = _ring(*where)
    with pytest.raises(InputError) as err:
        cells_to_weights(cells, distance_band_km=0.01)
    asked = re.search(r"use a band of at least ([0-9.e+]+) km", str(err.value))
    assert asked is not None, str(err.value)
    w = cells_to_weights(cells, distance_band_km=float(asked.group(1)))
    assert w.neighbours.max() >= 2


# --- rejects files: names that one case-insensitive file system takes as one ---------------


def test_inputs_whose_names_differ_only_in_case_keep_two_rejects_files(tmp_path):
    """'AIS.csv' and 'ais.csv' (two folders merged, a feed that renamed its files), or
    'Polícia.csv' with its 'í' composed and decomposed, gave rejects/tracks-AIS.csv and
    rejects/tracks-ais.csv: one file on macOS, Windows or an SMB share, where the second
    overwrote the first's rejected records while the manifest listed both."""
    import unicodedata

    from _ingest_stage import feed_of_one_reject_each, ingest_alone

    stems = ["AIS", "ais", "Polic\u00eda", "Polici\u0301a"]
    files = feed_of_one_reject_each(tmp_path / "feed", stems)
    state = ingest_alone(tmp_path, "night", files, None)
    recorded = [os.path.basename(e["rejects_file"]) for e in state.ingest_report["tracks"]]
    assert len(recorded) == len(stems)
    folded = {
        unicodedata.normalize("NFC", unicodedata.normalize("NFD", r).casefold()) for r in recorded
    }
    assert len(folded) == len(stems), recorded


# --- clock columns: a time zone is no clock --------------------------------------------------


@pytest.mark.parametrize("kind", ["seizures", "tracks"])
@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Time zone", ["0300", "0530", "1000", "0000"]),  # new in the diff (HHMM rule)
        ("Time zone", ["03:00", "05:30", "10:00", "00:00"]),  # older: by content
        ("Time offset", ["03:00", "05:30", "10:00", "00:00"]),  # older: by name
        ("UTC offset time", ["0300", "0530", "1000", "0000"]),
    ],
)
def test_a_time_zone_column_is_not_read_as_the_records_clock(tmp_path, kind, header, values):
    """d2e506e/7f87619 tried digits of up to four under any header naming a time as HHMM
    clocks: a 'Time zone' of 0300/0530/1000/0000 (offsets from UTC) beside a 'Date' of days
    was read as the records' clocks 03:00, 05:30, 10:00 - a quiet wrong time on every record
    (the time of day's role vetoes 'zone').  The same held before for a 'Time zone' of 03:00
    (content) and a 'Time offset' (name: 'offset' was no veto).  Such a column is the
    records' UTC offset (zones.py), which dates without a time leave at 00:00 UTC."""
    from _kinds import read_beside_dates

    res = read_beside_dates(kind, tmp_path, header, values, n=8, date_header="Date")
    assert sorted(set(res.frame["time"].dt.strftime("%H:%M"))) == ["00:00"]
    assert "time_of_day" not in res.assumptions["columns"]


# --- emerging: a cube too short for any trend to be significant is said so ------------------


def test_a_cube_too_short_for_a_significant_trend_says_so():
    """f3cdba4 reads the trend from bins w..T-1 only: with the defaults (window 1,
    trend_alpha 0.1, min_periods 4) a 5-month cube gives 4 bins, whose smallest possible p
    is 0.16 (it was 0.087 on 5 bins).  A cluster rising 1 -> 100 events was trend 'none',
    no cell could be intensifying (the 90 % cells all 'persistent'), and nothing said the
    test could not have found a trend.  The summary now says so (trend_unreachable)."""
    from scipy.stats import norm

    from pipeline.hotspots import (
        SpaceTimeCube,
        emerging_hotspots,
        emerging_summary,
        window_variance_ratio,
    )

    cells = np.sort(grid.grid_disk_cells(grid.points_to_cells([10.0], [40.0], 6), 3))
    values = np.zeros((cells.size, 5))
    values[:7] = [1.0, 5.0, 20.0, 50.0, 100.0]  # a cluster rising every month
    cube = SpaceTimeCube(cells, [f"2024-{m:02d}" for m in range(1, 6)], values)
    result = emerging_hotspots(cube)
    assert not (result.cells["trend"] == "up").any()  # what the test cannot do here
    said = emerging_summary(result)["trend_unreachable"]
    assert said is not None and said["bins"] == 4
    # a hand Mann-Kendall of a rise in all four bins (S = 6, continuity, window-1 variance)
    var = 4 * 3 * 13 / 18 * window_variance_ratio(4, 1, full_windows=True)
    p = 2 * norm.sf((6 - 1) / np.sqrt(var))
    assert said["smallest_p"] == pytest.approx(p, rel=1e-2) and p > 0.1
    # twelve months can: nothing to say
    longer = SpaceTimeCube(
        cells, [f"2024-{m:02d}" for m in range(1, 13)], np.tile(values[:, :1], 12)
    )
    assert emerging_summary(emerging_hotspots(longer))["trend_unreachable"] is None


@pytest.mark.parametrize("header", ["Time (TZ=UTC)", "Time [tz: UTC]", "Time (zone UTC)"])
def test_a_clock_whose_header_states_its_zone_is_still_read(tmp_path, header):
    """Guard of the fix above: a header naming the clock's zone is no time-zone column
    (zones.py's rule decides which is); its clocks are read, as before the diff."""
    from _kinds import read_beside_dates

    res = read_beside_dates(
        "seizures", tmp_path, header, ["07:30", "14:15", "23:05", "00:05"], n=8, date_header="Date"
    )
    assert sorted(set(res.frame["time"].dt.strftime("%H:%M"))) == [
        "00:05",
        "07:30",
        "14:15",
        "23:05",
    ]


# --- clock columns: HHMM digits whose zeros a spreadsheet dropped ----------------------------


@pytest.mark.parametrize("kind", ["seizures", "tracks"])
@pytest.mark.parametrize("header", ["Time stamp", "Timestamp"])
def test_morning_hhmm_without_zeros_does_not_displace_the_date_column(tmp_path, kind, header):
    """7f87619 tried '730' beside '1415' (noted, 50 %); a log of morning clocks only, their
    zeros dropped by a spreadsheet (930, 815, 745, 605), fit no clock at all, so the time
    role trusted the header 'Time stamp' by its name over the file's 'Date' (100 % dates):
    every record was rejected as date_unparseable.  Now the 'Date' is the date and the
    column is named as clocks not read (precision: day)."""
    from _kinds import read_beside_dates

    res = read_beside_dates(
        kind, tmp_path, header, ["930", "815", "745", "605"], n=8, date_header="Date"
    )  # asserts that all 8 records are kept and accounted for
    assert res.assumptions["columns"]["time"]["column"] == "Date"
    assert sorted(set(res.frame["time"].dt.strftime("%H:%M"))) == ["00:00"]
    assert any(f"{header!r} (e.g. '930')" in n and "precision: day" in n for n in res.notes)


@pytest.mark.parametrize("kind", ["seizures", "tracks"])
@pytest.mark.parametrize(
    "values",
    [["1715", "1830", "2000", "0930"], ["0730", "1830", "2000", "2130"]],
)
def test_evening_hhmm_under_a_stamp_header_is_no_date_column(tmp_path, kind, values):
    """3367070 made 1715 or 2230 a clock for the time of day unless every value is a year,
    but the time role still took each such value for a year: a log of clocks mostly
    17:00-22:59 under 'Time stamp' was the records' *date* column over the file's 'Date',
    and its records were dated 1715-01-01, 1830-01-01 and 2000-01-01 (6 kept, exit 0; the
    others date_out_of_range).  Now the Date is the date and the clocks are read."""
    from _kinds import read_beside_dates

    res = read_beside_dates(kind, tmp_path, "Time stamp", values, n=8, date_header="Date")
    assert res.assumptions["columns"]["time"]["column"] == "Date"
    assert (res.frame["time"].dt.year == 2023).all()
    assert sorted(set(res.frame["time"].dt.strftime("%H:%M"))) == sorted(
        f"{v[:2]}:{v[2:]}" for v in values
    )


@pytest.mark.parametrize("values", [["2019", "2020", "2021", "2022"], ["1", "2", "3", "4"]])
def test_years_or_a_sequence_under_a_stamp_header_are_not_called_unpadded_clocks(tmp_path, values):
    """The unpadded-HHMM note is for values that lost their zeros (three digits, 930):
    years or a sequence under 'Timestamp' are not said to be such clocks."""
    from _kinds import read_beside_dates

    res = read_beside_dates("seizures", tmp_path, "Timestamp", values, n=8, date_header="Date")
    assert not any("leading zeros" in n for n in res.notes)


def test_a_timestamp_of_years_with_a_typo_does_not_date_the_records_by_year(tmp_path):
    """Older than the diff, mended by the evening rule above: 'Timestamp' of 2019, 2020,
    2021 and one '0' beside a 'Date' was the records' date column (its years not all
    years, so the rule preferring whole dates to years did not apply): 6 of 8 records
    dated 1 January of those years, exit 0, the Date unused."""
    from _kinds import read_beside_dates

    res = read_beside_dates(
        "seizures", tmp_path, "Timestamp", ["2019", "2020", "2021", "0"], n=8, date_header="Date"
    )
    assert res.assumptions["columns"]["time"]["column"] == "Date"
    assert (res.frame["time"].dt.year == 2023).all()
