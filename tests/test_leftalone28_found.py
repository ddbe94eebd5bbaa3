"""Left alone on the 28th: a refusal told by its words, repeated headers with blank fields.

``decided_both_ways`` told the refusal of dates proving both day/month orders from the
others by a phrase of its message: reworded, a file joining two agencies' exports (each in
its own order) was refused instead of read by agency.  The refusal is now its own type,
:class:`~pipeline.errors.DatesDecideBothWays`.

The seizures reader took a record whose filled fields all name their columns (two at
least), some blank, for the header again (``repeated_header``); the tracks reader matched
only the whole header and rejected the same line as a record (``mmsi_invalid``,
``vessel_missing``).  Both now reject it as ``repeated_header`` (read = accepted + rejected),
whole and in chunks.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text
from _ingest_stage import track_outcome

from pipeline.errors import DatesDecideBothWays, InputError
from pipeline.ingest import _dates as dates_module
from pipeline.ingest import open_raster, read_seizures, read_tracks
from pipeline.ingest._dates import parse_times
from pipeline.ingest.options import RasterSource
from pipeline.ingest.rasters import _select_dim

pytestmark = IGNORE_PENDING_DEPRECATION

# ------------------------------------------------------------------ dates proving both orders

# two agencies' exports joined: NCA's day-first, USCG's month-first, each with a date either
# order could read
AGENCIES = [
    ("NCA", "13/02/2021", "2021-02-13"),
    ("NCA", "04/05/2021", "2021-05-04"),
    ("USCG", "02/14/2021", "2021-02-14"),
    ("USCG", "04/06/2021", "2021-04-06"),
]


def _agencies_csv(tmp_path):
    lines = ["date,agency,lat,lon,commodity"]
    for i, (agency, written, _) in enumerate(AGENCIES):
        lines.append(f"{written},{agency},{1 + i / 10},{104 + i / 10},cocaine")
    return write_text(tmp_path, "joined.csv", "\n".join(lines) + "\n")


def test_dates_deciding_both_ways_are_refused_as_their_own_type():
    import pandas as pd

    values = pd.Series([w for _, w, _ in AGENCIES])
    with pytest.raises(DatesDecideBothWays, match="values decide both ways") as refused:
        parse_times(values, dayfirst=None, name="f.csv", column="date")
    assert isinstance(refused.value, InputError) and isinstance(refused.value, ValueError)
    assert dates_module.decided_both_ways(refused.value)
    # a message of the same words that is not the refusal is not it
    assert not dates_module.decided_both_ways(InputError(str(refused.value)))


@pytest.mark.parametrize("wording", ["as_written", "reworded"])
def test_agencies_dates_are_read_apart_however_the_refusal_is_worded(
    tmp_path, monkeypatch, wording
):
    # before: a reworded refusal left the joined file refused ('... decide both ways')
    if wording == "reworded":
        monkeypatch.setattr(
            dates_module,
            "order_undecided",
            lambda where, n, examples, n_day, n_month: f"{where}: {n} date(s) are ambiguous",
        )
    res = read_seizures(_agencies_csv(tmp_path))
    assert_accounted(res)
    assert res.assumptions["dates"]["order"] == "by agency"
    got = sorted(res.frame["time"].dt.strftime("%Y-%m-%d").tolist())
    assert got == sorted(meant for _, _, meant in AGENCIES)


# --------------------------------------------------------- a repeated header with blank fields

TRACK_HEAD = "time,latitude,longitude,sog,mmsi"
PINGS = [f"2023-01-01T00:{i}0:00Z,50.1{i},-1.2{i},5.0,23500000{i % 2 + 1}" for i in range(6)]
SEIZURE_HEAD = "date,lat,lon,commodity,agency"
SEIZURES = [f"2023-01-0{i + 1},1.{i},104.{i},cocaine,NCA" for i in range(6)]

# which fields of the header the line again leaves blank (by position), as a case's id
BLANKS = {
    "one_inside": (3,),
    "the_last": (4,),
    "all_but_two_ends": (1, 2, 3),
    "both_ends": (0, 3, 4),
}


def _again(head: str, blank: tuple[int, ...], quoted: bool = False) -> str:
    fields = head.split(",")
    return ",".join(
        "" if i in blank else (f'"{f.upper()}"' if quoted else f" {f} ")
        for i, f in enumerate(fields)
    )


@pytest.mark.parametrize("case", sorted(BLANKS))
def test_a_repeated_header_with_blank_fields_is_a_repeated_header_in_both_readers(tmp_path, case):
    # before: the tracks reader rejected it as 'mmsi_invalid' or 'vessel_missing', the
    # seizures reader as 'repeated_header'
    again = _again(TRACK_HEAD, BLANKS[case], quoted=case == "both_ends")
    path = write_text(
        tmp_path, "t.csv", "\n".join([TRACK_HEAD, *PINGS[:3], again, *PINGS[3:]]) + "\n"
    )
    res = read_tracks(path)
    assert_accounted(res)
    assert (res.n_read, len(res.frame), res.by_rule) == (7, 6, {"repeated_header": 1})
    assert res.rejects[["row", "value"]].values.tolist() == [[5, again]]
    if case == "one_inside":  # in chunks alike, the cut at the line (one case: 1 s each)
        whole = track_outcome(path, "whole", 0, tmp_path / "w")
        assert track_outcome(path, "chunks", 3, tmp_path / "c")[:3] == whole[:3]

    again = _again(SEIZURE_HEAD, BLANKS[case], quoted=case == "both_ends")
    lines = [SEIZURE_HEAD, *SEIZURES[:3], again, *SEIZURES[3:]]
    res = read_seizures(write_text(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert_accounted(res)
    assert (res.n_read, len(res.frame), res.by_rule) == (7, 6, {"repeated_header": 1})
    assert res.rejects["row"].tolist() == [5]


@pytest.mark.parametrize("line", ["only_delimiters", "one_name"])
def test_a_line_naming_fewer_than_two_columns_is_no_header_in_either_reader(tmp_path, line):
    fields = {"only_delimiters": (0, 1, 2, 3, 4), "one_name": (1, 2, 3, 4)}[line]
    again = _again(TRACK_HEAD, fields)
    path = write_text(
        tmp_path, "t.csv", "\n".join([TRACK_HEAD, *PINGS[:3], again, *PINGS[3:]]) + "\n"
    )
    res = read_tracks(path)
    assert_accounted(res)
    assert res.n_read == 7 and len(res.frame) == 6 and "repeated_header" not in res.by_rule
    again = _again(SEIZURE_HEAD, fields)
    lines = [SEIZURE_HEAD, *SEIZURES[:3], again, *SEIZURES[3:]]
    res = read_seizures(write_text(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert_accounted(res)
    assert res.n_read == 7 and len(res.frame) == 6 and "repeated_header" not in res.by_rule


# ----------------------------------------------------------------- a raster's select: by value

LAT = np.arange(30.0, 31.0, 0.25) + 0.125
LON = np.arange(-20.0, -19.0, 0.25) + 0.125


def _axis_nc(path, dim: str, values, attrs=None) -> None:
    """Write v(dim, latitude, longitude) whose every pixel at a step is that step's index."""
    n = len(values)
    cube = np.broadcast_to(np.arange(float(n))[:, None, None], (n, LAT.size, LON.size))
    ds = xr.Dataset(
        {"v": ((dim, "latitude", "longitude"), cube)},
        coords={
            dim: (dim, values, attrs or {}),
            "latitude": ("latitude", LAT, {"units": "degrees_north"}),
            "longitude": ("longitude", LON, {"units": "degrees_east"}),
        },
    )
    ds.to_netcdf(path, engine="h5netcdf")


def _picked(path, select, **kw) -> tuple[int, str]:
    da = open_raster(RasterSource(path=path, variable="v", select=select, **kw))
    said = da.attrs["assumptions"].get("selection", {})
    return int(da.max()), next(iter(said.values()), "")


def _sel(dim: str, values, spec) -> tuple[int, str]:
    """Select as ``open_raster`` does (its ``select:``, validated as a config's), in memory."""
    src = RasterSource(path="mem.nc", select={dim: spec})
    steps = xr.DataArray(np.arange(len(values)), coords={dim: values}, dims=dim)
    got, said = _select_dim(steps, dim, src.select[dim], "mem.nc")
    return int(got), said


def _xarray_nearest(values, value, tol) -> int:
    """The step xarray's own ``.sel(method='nearest', tolerance=tol)`` picks (KeyError: none)."""
    steps = xr.DataArray(np.arange(len(values)), coords={"d": values}, dims="d")
    return int(steps.sel(d=value, method="nearest", tolerance=tol))


HOURS_1900 = np.arange(1091000, 1091024, dtype="float64")  # hourly, 2024-06 in hours since 1900

# (axis values, its attributes, value selected, the step meant); xarray's nearest step
# within 1e-6 of the value (a hundredth of the axis's step at most) gives the same
NUMERIC = {
    # before: isclose's 1e-5 relative took 21 steps and read the last, 10 hours later
    "hours_since_1900": (HOURS_1900, {"units": "hours since 1900-01-01", "calendar": "360_day"},
                         1091003, 3),
    "close_levels_exact": (np.array([0.0, 1.0, 1.00001, 1.00002, 5.0]), {}, 1.00001, 2),
    "close_levels_one": (np.array([0.0, 1.0, 1.00001, 1.00002, 5.0]), {}, 1, 1),
    "noise_whole": (np.array([0.0, 5.0000001, 10.000001, 20.0]), {"units": "m"}, 10, 2),
    "pascal_noise": (np.array([100000.0, 92500.0, 85000.01, 70000.0]), {"units": "Pa"}, 85000, 2),
    "noise_descending": (np.array([1000.0, 925.0, 850.000001, 700.0]), {"units": "hPa"}, 850, 2),
    "float32_as_listed": (np.array([0.494025, 9.572997, 11.405], dtype="float32"), {}, 9.572997, 1),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(NUMERIC))
def test_a_number_selects_the_nearest_step_within_float_noise_as_xarray_does(tmp_path, case):
    values, attrs, value, meant = NUMERIC[case]
    if case == "hours_since_1900":  # end to end: an axis left undecoded (its calendar)
        path = tmp_path / f"{case}.nc"
        _axis_nc(path, "level", values, attrs)
        got, said = _picked(path, {"level": value})
    else:
        got, said = _sel("level", values, value)
    steps = np.diff(np.unique(values.astype("float64")))
    tol = min(1e-8 + 1e-6 * abs(value), 0.01 * steps.min())
    assert got == meant == _xarray_nearest(values.astype("float64"), value, tol), said
    assert said.startswith(f"value {value!r} -> index {meant} ")


@pytest.mark.parametrize(
    ("values", "value"),
    [
        (1704067200 + 3600 * np.arange(24, dtype="int64"), 1704067300),  # 100 s past a step
        (HOURS_1900, 1091003.5),  # half an hour between two steps
        (np.array([0.0, 1.0, 1.00002]), 1.00001),  # between two close levels
        (np.array([0.0, 10.0, 20.0]), 10.00005),  # 5e-6 of it away: no float noise
        (np.array([0, 1000, 2000]), 1000.0005),  # whole numbers: the equal one only
    ],
    ids=["int_seconds", "half_hour", "between_close", "past_the_noise", "whole_axis"],
)
def test_a_number_between_steps_is_refused_not_read_as_a_near_one(values, value):
    # before: 100 s past 1704067200 read the step 4 hours later; 1091003.5 the one at +10 h
    with pytest.raises(InputError, match=rf"select step: {value!r} matches no step"):
        _sel("step", values, value)


DESCENDING = pd.date_range("2024-01-01", periods=16, freq="3h")[::-1]  # newest first


@pytest.mark.parametrize("how", ["select", "time"])
def test_a_day_on_a_time_axis_running_back_is_its_latest_step(tmp_path, how):
    # before: the 00:00 step (written last), said as 'the last of the 8 steps that day'
    path = tmp_path / "back.nc"
    _axis_nc(path, "time", DESCENDING)
    if how == "select":
        got, said = _picked(path, {"time": "2024-01-01"})
        assert said.endswith("(2024-01-01T21:00:00, the last of the 8 steps that day)")
    else:
        got, _ = _picked(path, {}, time=dt.date(2024, 1, 1))
    meant = int(np.flatnonzero(DESCENDING == pd.Timestamp("2024-01-01T21:00"))[0])
    assert got == meant == 8
    # a time of day reads that step only, as xarray's exact .sel does
    got, _ = _sel("time", DESCENDING, "2024-01-01T06:00")
    ref = xr.DataArray(np.arange(16), coords={"time": DESCENDING}, dims="time")
    assert got == int(ref.sel(time=np.datetime64("2024-01-01T06:00"))) == 13


@pytest.mark.parametrize(
    ("values", "value", "refused"),
    [
        # within the values' span but past the steps: no step, never an IndexError
        (np.array([0.5, 5.5, 25.5]), 3, "matches no step"),
        # heights (positive up): -3 among the values, -3 a place from the end too
        (np.array([-10.5, -5.5, 0.5]), -3, "is no value of 'z'.* it is step 0 \\(-10.5\\)"),
        (np.array([-10.5, -5.5, 0.5]), -4, "matches no step"),
        # a step without a value (NaN) is no end of the span
        (np.array([0.5, np.nan, 5.5, 25.5]), 3, "is no value of 'z'.*span 0.5..25.5"),
    ],
    ids=["past_the_steps", "minus_size", "beyond_minus_size", "nan_step"],
)
def test_a_whole_number_among_the_values_or_past_the_steps_is_refused(values, value, refused):
    with pytest.raises(InputError, match=rf"select z: {value} {refused}"):
        _sel("z", values, value)


THREE_HOURLY = pd.date_range("2024-01-01", periods=16, freq="3h")


@pytest.mark.parametrize(
    ("value", "meant"),
    [
        ("2024-01-01T06", 2),  # an hour without minutes is a moment, not a day
        ("2024-01-02T00", 8),  # before: read as the day, its last step (21:00, 15)
        ("20240102T00Z", 8),
        ("2024-01-02 00:00", 8),  # a clock after a space
        ("2024-01-02 12am", 8),  # midnight without a colon or a T
        ("2024-01-02 0000", 8),
        (dt.datetime(2024, 1, 2), 8),  # a YAML time at midnight is that step, not 21:00
        (dt.datetime(2024, 1, 1, 3, tzinfo=dt.timezone(dt.timedelta(hours=-3))), 2),
        (dt.date(2024, 1, 2), 15),  # a YAML date is its day's last step
    ],
    ids=[
        "hour_only",
        "hour_only_midnight",
        "basic_midnight_z",
        "space_midnight",
        "twelve_am",
        "four_zeros",
        "yaml_midnight",
        "yaml_minus_three",
        "yaml_date",
    ],
)
def test_a_time_is_that_step_and_a_date_its_days_last(value, meant):
    ref = xr.DataArray(np.arange(16), coords={"time": THREE_HOURLY}, dims="time")
    want = pd.Timestamp(value)
    if isinstance(value, dt.datetime) or isinstance(value, str):
        want = want.tz_convert("UTC").tz_localize(None) if want.tz else want
        assert int(ref.sel(time=want.to_datetime64())) == meant
    else:  # xarray's day: every step of it, the last one meant
        assert int(ref.sel(time=str(value))[-1]) == meant
    assert _sel("time", THREE_HOURLY, value)[0] == meant


def test_a_text_on_a_numeric_axis_is_matched_as_text_and_refused():
    with pytest.raises(InputError, match=r"select level: 'surface' matches no step"):
        _sel("level", np.array([1000.0, 925.0, 850.0]), "surface")


@pytest.mark.parametrize(("index", "meant"), [(3, None), (-3, 0), (2, 2), (-4, None)])
def test_an_index_is_a_place_among_the_steps_or_refused(index, meant):
    values = np.array([0.5, 5.5, 25.5])
    if meant is None:  # past either end: never the step it wraps to (3 % 3: the first)
        with pytest.raises(InputError, match=r"matches no step; 'z' has 3 step\(s\)"):
            _sel("z", values, {"index": index})
    else:
        assert _sel("z", values, {"index": index}) == (
            meant,
            f"index {index} -> index {meant} ({[0.5, 5.5, 25.5][meant]})",
        )


def test_a_day_on_a_daily_axis_is_said_as_its_day_alone():
    days = pd.date_range("2024-01-01", periods=3, freq="D")
    assert _sel("time", days, "2024-01-02") == (1, "value '2024-01-02' -> index 1 (2024-01-02)")


def test_a_value_given_explicitly_or_a_place_on_named_steps_is_said_as_given():
    levels = np.array([0.0, 5.0000001, 10.000001, 20.0])
    assert _sel("z", levels, {"value": 10}) == (2, "value 10.0 -> index 2 (10.000001)")
    members = np.array(["ens01", "ens02", "ens03"])  # named steps: a whole number is a place
    assert _sel("member", members, 1) == (1, "index 1 -> index 1 (ens02)")
    assert _sel("member", members, "ens03") == (2, "value 'ens03' -> index 2 (ens03)")


def test_a_time_step_held_twice_selected_by_its_value_is_refused_by_index_read():
    # before: the second grid of 2024-01-02 read unsaid, as time: a date no longer does
    days = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"])
    for value in ("2024-01-02", dt.datetime(2024, 1, 2)):
        with pytest.raises(InputError, match=r"appears 2 times .*\{time: \{index: 2\}\}"):
            _sel("time", days, value)
    assert _sel("time", days, {"index": 1}) == (1, "index 1 -> index 1 (2024-01-02)")
    assert _sel("time", days, "2024-01-03")[0] == 3
