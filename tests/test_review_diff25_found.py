"""Review of the day's new input readings: ordinary files read as before.

A ``Zone description`` (or ``Fishing zone description``, ``zone_desc``) column of a sea or
fishing zone in words (``Territorial sea``, ``EEZ``) beside the dates was taken for a ship's
log's zone description: every record was rejected as ``time_zone_unknown`` (0 accepted,
where the day before the column was the note and every record was read).  Such a column is
the note again when its values say so, or passed over with a note; a column of signed
hours is still the zone description.  A header naming another zone (``Fishing zone
description``) of small numbers moved the times by them, read as zone descriptions.

A CF climatology's ``climatology_bnds(time, nv)`` (named by the time's ``climatology``
attribute, as ``time_bnds`` is by ``bounds``) was a second gridded variable: the NetCDF was
refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from test_seizures_time_zones import _read, _times

from pipeline.ingest import open_raster


@pytest.mark.parametrize("header", ["Zone description", "Fishing zone description"])
def test_a_zone_description_in_words_is_the_note(tmp_path, header):
    res = _read(
        tmp_path,
        f"date,{header}",
        "2021-03-05 10:00,Exclusive economic zone of Trinidad",
        "2021-03-05 11:00,Territorial sea",
    )
    assert res.n_rejected == 0
    assert _times(res) == ["2021-03-05 10:00", "2021-03-05 11:00"]  # UTC, as written
    assert res.assumptions["columns"]["note"]["column"] == header
    assert "utc_offset" not in res.assumptions["columns"]


def test_a_zone_description_in_words_beside_a_description_is_passed_over(tmp_path):
    res = _read(
        tmp_path,
        "date,Zone description,Description",
        "2021-03-05 10:00,EEZ,boarded at night",
        "2021-03-05 11:00,Territorial sea,found in the hold",
    )
    assert res.n_rejected == 0
    assert _times(res) == ["2021-03-05 10:00", "2021-03-05 11:00"]
    assert res.assumptions["columns"]["note"]["column"] == "Description"
    assert "utc_offset" not in res.assumptions["columns"]
    assert any("'Zone description'" in n and "not applied" in n for n in res.notes)


def test_zone_desc_of_words_is_not_applied(tmp_path):
    res = _read(tmp_path, "date,zone_desc", "2021-03-05 10:00,EEZ", "2021-03-05 11:00,ICES IVa")
    assert res.n_rejected == 0
    assert _times(res) == ["2021-03-05 10:00", "2021-03-05 11:00"]


def test_a_zone_description_of_hours_is_still_applied_not_a_note(tmp_path):
    # ZD +5: UTC = 10:00 + 5 h; ZD -3: 10:00 - 3 h (hand arithmetic)
    res = _read(tmp_path, "date,Zone description", "2021-03-05 10:00,+5", "2021-03-06 10:00,-3")
    assert _times(res) == ["2021-03-05 15:00", "2021-03-06 07:00"]
    assert res.assumptions["columns"]["utc_offset"]["column"] == "Zone description"
    assert "note" not in res.assumptions["columns"]


@pytest.mark.parametrize(
    "values", [["+5 (R)", "-3 (C)"], ["R", "C"]], ids=["hours-and-letter", "letter-only"]
)
def test_a_zone_description_with_its_letter_is_no_note(tmp_path, values):
    # no note: taken as a note the times were read as UTC without a word.  The zone letter
    # reads as its hours (R: ZD +5, UTC-5; C: ZD -3, UTC+3; test_zone_letters_found.py)
    res = _read(
        tmp_path,
        "date,Zone description",
        *[f"2021-03-0{i + 5} 10:00,{v}" for i, v in enumerate(values)],
    )
    assert "note" not in res.assumptions["columns"]
    assert res.assumptions["columns"]["utc_offset"]["column"] == "Zone description"
    assert res.n_rejected == 0
    assert _times(res) == ["2021-03-05 15:00", "2021-03-06 07:00"]


@pytest.mark.parametrize(
    "header", ["Fishing zone description", "EEZ zone description", "Sea zone desc"]
)
def test_another_zone_s_description_of_small_numbers_is_no_zone_description(tmp_path, header):
    # fishing zones 4 and 7: read as ship's log's zone descriptions the times moved 4 and 7
    # hours (UTC-4, UTC-7) without a word; a header naming another zone gives no hours
    res = _read(tmp_path, f"date,{header}", "2021-03-05 10:00,4", "2021-03-06 10:00,7")
    assert _times(res) == ["2021-03-05 10:00", "2021-03-06 10:00"]
    assert res.n_rejected == 0
    assert "utc_offset" not in res.assumptions["columns"]


def _climatology(path):
    """A CF climatology (WOA, ERSST): ``time`` names its ``climatology_bnds(time, nv)``."""
    lats, lons = np.array([10.0, 10.5, 11.0, 11.5]), np.array([100.0, 100.5, 101.0])
    times = pd.date_range("2024-01-01", periods=2, freq="D")
    v = np.random.default_rng(3).uniform(0, 30, (2, 4, 3)).round(3)
    ds = xr.Dataset(
        {
            "sst": (("time", "lat", "lon"), v),
            "climatology_bnds": (("time", "nv"), np.stack([times, times + pd.Timedelta("1D")], 1)),
        },
        coords={
            "time": ("time", times, {"climatology": "climatology_bnds"}),
            "lat": ("lat", lats, {"standard_name": "latitude", "units": "degrees_north"}),
            "lon": ("lon", lons, {"standard_name": "longitude", "units": "degrees_east"}),
        },
    )
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def test_a_climatology_s_bounds_are_no_gridded_variable(tmp_path):
    # 'climatology_bnds(time, nv)' was counted a second gridded variable beside 'sst': the
    # ordinary CF climatology was refused (set variable); it places the time axis, as
    # 'time_bnds' named by 'bounds' does
    path = _climatology(tmp_path / "clim.nc")
    got = open_raster(path)
    ref = xr.open_dataset(path, engine="h5netcdf")["sst"]
    assert got.shape[-2:] == (4, 3)
    # north-up: the top row is the file's last latitude row (11.5 N), read by xarray
    rows = [ref.isel(time=t).values[::-1] for t in range(ref.sizes["time"])]
    assert any(np.array_equal(got.values[0], r) for r in rows)
    assert float(got["y"][0]) == 11.5 and float(got["x"][0]) == 100.0


def test_a_date_time_group_beside_a_date_is_the_records_moment(tmp_path):
    # 'DTG' ranked last among the time's known names, below 'Date': a report's Date beside
    # its DTG gave each record its date at 00:00 UTC, the DTG's moment (and, for a date
    # written in local time, its UTC day) lost; 051430R MAR 21 is 14:30 at UTC-5 (zone
    # Romeo), 19:30 UTC; 050130K MAR 21 is 01:30 at UTC+10, 15:30 UTC the day before
    res = _read(
        tmp_path,
        "Date,DTG",
        "2021-03-05,051430R MAR 21",
        "2021-03-05,050130K MAR 21",
    )
    assert res.assumptions["columns"]["time"]["column"] == "DTG"
    assert _times(res) == ["2021-03-05 19:30", "2021-03-04 15:30"]


@pytest.mark.parametrize(
    ("time_header", "offset_header", "offset"),
    [
        ("Time (UTC)", "ZD", "+5"),
        ("time_utc", "ZD", "-3"),
        ("Time (UTC)", "utc_offset", "-5"),
        ("Zulu time", "timezone", "+2"),
    ],
    ids=["time-utc-brackets-zd", "time-utc-zd", "time-utc-offset", "zulu-timezone"],
)
def test_times_a_header_says_are_utc_are_not_moved_by_an_offset_column(
    tmp_path, time_header, offset_header, offset
):
    # a deck log keeps its times in UTC beside the zone description of its local clock:
    # applied, 'ZD +5' moved 10:00 UTC to 15:00 with exit 0
    res = _read(tmp_path, f'"{time_header}",{offset_header}', f"2021-03-05 10:00,{offset}")
    assert _times(res) == ["2021-03-05 10:00"]
    assert "utc_offset" not in res.assumptions["columns"]
    assert any("says its times are UTC" in n and "not applied" in n for n in res.notes)
