"""Found reviewing header and date inference after diff4c: two small false refusals.

Each test of a fix failed on the code before it; the guards (``HHMM`` clocks read as clocks)
pass before and after.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted

from pipeline.errors import InputError
from pipeline.ingest import read_seizures

pytestmark = IGNORE_PENDING_DEPRECATION

_YEAR_NOTE = "1 value(s) give only a year; placed on 1 January (precision: year)"


def _placemark(i: int, when: str) -> str:
    return (
        f"<Placemark><name>s{i}</name><TimeStamp><when>{when}</when></TimeStamp>"
        f"<Point><coordinates>{-61.2 - i * 0.01:.2f},{10.5 + i * 0.01:.2f},0"
        "</coordinates></Point></Placemark>"
    )


def _times(res) -> list[str]:
    assert_accounted(res)
    return res.frame.sort_values("source_row")["time"].dt.strftime("%Y-%m-%d %H:%M").tolist()


# ---------------------------------------------------------------- a year beside full dates


def test_a_kml_year_beside_a_full_date_is_a_year_not_a_clock(tmp_path):
    # with 2 placemarks the year 2023 was the clock 20:23 for half the values: refused as
    # "no date column found ... 'timestamp' (50% of sampled values are times of day ...)"
    body = _placemark(0, "2023-03-10T12:00:00Z") + _placemark(1, "2023")
    path = tmp_path / "seizures.kml"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?><kml xmlns='http://www.opengis.net/kml/2.2'>"
        f"<Document>{body}</Document></kml>"
    )
    res = read_seizures(path, as_of="2025-01-01")
    assert _times(res) == ["2023-03-10 12:00", "2023-01-01 00:00"]
    assert any(_YEAR_NOTE in n for n in res.notes)


@pytest.mark.parametrize(
    ("header", "first"),
    [
        ("timestamp", "2023-03-10T12:00:00Z"),  # named a timestamp
        ("time", "2023-03-10 12:00"),  # named a clock, but its other value is a full date
        ("when", "2023/03/10 12:00"),
    ],
)
def test_a_csv_year_beside_a_full_date_is_a_year_not_a_clock(tmp_path, header, first):
    path = tmp_path / "seizures.csv"
    path.write_text(f"lat,lon,{header}\n10.5,-61.2,{first}\n10.51,-61.21,2023\n")
    res = read_seizures(path, as_of="2025-01-01")
    assert _times(res) == ["2023-03-10 12:00", "2023-01-01 00:00"]
    assert any(_YEAR_NOTE in n for n in res.notes)


def test_years_alone_under_a_timestamp_header_are_years(tmp_path):
    path = tmp_path / "seizures.csv"
    path.write_text("lat,lon,timestamp\n10.5,-61.2,2021\n10.51,-61.21,2023\n")
    res = read_seizures(path, as_of="2025-01-01")
    assert _times(res) == ["2021-01-01 00:00", "2023-01-01 00:00"]


# ---------------------------------------------------------------- guards: HHMM clocks


@pytest.mark.parametrize("header", ["timestamp", "time"])
def test_hhmm_clocks_alone_are_still_no_date_column(tmp_path, header):
    path = tmp_path / "seizures.csv"
    path.write_text(f"lat,lon,{header}\n10.5,-61.2,0300\n10.51,-61.21,1430\n")
    with pytest.raises(InputError, match=r"no date column found.*times of day without a date"):
        read_seizures(path, as_of="2025-01-01")


def test_hhmm_clocks_beside_a_date_column_are_its_time_of_day(tmp_path):
    frame = pd.DataFrame(
        {
            "lat": [10.5, 10.51, 10.52],
            "lon": [-61.2, -61.21, -61.22],
            "date": ["2023-03-10", "2023-03-11", "2023-03-12"],
            "time": ["0300", "1430", "2023"],
        }
    )
    path = tmp_path / "seizures.csv"
    frame.to_csv(path, index=False)
    res = read_seizures(path, as_of="2025-01-01")
    assert _times(res) == ["2023-03-10 03:00", "2023-03-11 14:30", "2023-03-12 20:23"]


def test_a_clock_column_with_one_full_date_is_still_clocks(tmp_path):
    # the full date is one value in three: the others are clocks, not years
    path = tmp_path / "seizures.csv"
    path.write_text("lat,lon,time\n10.5,-61.2,14:30\n10.51,-61.21,09:05\n10.52,-61.22,2023-03-10\n")
    with pytest.raises(InputError, match=r"times of day without a date"):
        read_seizures(path, as_of="2025-01-01")


# ---------------------------------------------------------------- invisible header characters


@pytest.mark.parametrize("mark", ["\u200b", "\u200c", "\u200d", "\u00ad", "\u2060"])
def test_an_invisible_character_inside_a_header_word_does_not_split_it(tmp_path, mark):
    # 'La\u200btitude' was split into 'la titude' and no header named a position
    path = tmp_path / "seizures.csv"
    path.write_text(
        f"La{mark}titude,Longi{mark}tude,Da{mark}te\n"
        "10.5,-61.2,2023-03-10\n10.51,-61.21,2023-03-11\n",
        encoding="utf-8",
    )
    res = read_seizures(path, as_of="2025-01-01")
    assert _times(res) == ["2023-03-10 00:00", "2023-03-11 00:00"]
    assert res.frame.sort_values("source_row")["lat"].tolist() == [10.5, 10.51]
    assert res.assumptions["columns"]["lat"]["column"] == f"La{mark}titude"
