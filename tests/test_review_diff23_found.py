"""What a review of the day's changes (since 200aad5) found by trying to break them.

Coordinate columns whose names state a scale (``latitudeE7``, ``lat_e6``) are read as
value / 10^k.  A column so named that holds degrees (``lat_e7`` of 51.5074, a Parquet float
column ``latE7`` of degrees, ``latitude_e7_deg``) was divided too: every point lay within a
metre of Null Island, with exit 0 and nothing rejected.  Numbers every one within ±90/±180
(degrees as written) contradict the names and the file is refused; a stray number with a
fraction among whole ones (51.5 in a Location History) is no value of the unit and is
rejected as unparseable, never put beside Null Island.
A geographic ``crs:`` (``EPSG:4326``) beside such names rejected every record as
``lat_out_of_range``: the names' scale is read under it too.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from _corpus import assert_accounted, write_lines

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.options import SeizureSource

LAT = [51.5074, 51.5084, -33.8688]
LON = [-0.1278, -0.1268, 151.2093]


def _seizure_lines(lat_col: str, lon_col: str, lats, lons) -> list[str]:
    lines = [f"date,{lat_col},{lon_col},drug"]
    for i, (la, lo) in enumerate(zip(lats, lons, strict=True)):
        lines.append(f"2024-03-0{i + 1},{la},{lo},cocaine")
    return lines


@pytest.mark.parametrize(
    ("lat_col", "lon_col"),
    [("lat_e7", "lon_e7"), ("latitude_e7_deg", "longitude_e7_deg"), ("lat_e6", "lon_e6")],
    ids=["e7", "e7-deg", "e6"],
)
def test_degrees_under_names_of_a_scale_are_refused_not_put_at_null_island(
    tmp_path, lat_col, lon_col
):
    path = write_lines(tmp_path / "s.csv", _seizure_lines(lat_col, lon_col, LAT, LON))
    with pytest.raises(InputError, match="every number is within ±90/±180"):
        read_seizures(path)


def test_whole_degrees_under_names_of_a_scale_are_refused(tmp_path):
    # every number within ±90/±180: read as 10^-7 degrees, all within 2 m of Null Island
    lines = _seizure_lines("lat_e7", "lon_e7", [51, 52, -33], [-1, 0, 151])
    with pytest.raises(InputError, match="within ±90/±180"):
        read_seizures(write_lines(tmp_path / "s.csv", lines))


def test_a_parquet_float_column_named_e7_holding_degrees_is_refused(tmp_path):
    path = tmp_path / "s.parquet"
    pd.DataFrame(
        {"date": ["2024-03-01", "2024-03-02"], "latE7": LAT[:2], "lonE7": LON[:2], "drug": "c"}
    ).to_parquet(path)
    with pytest.raises(InputError, match="every number is within ±90/±180"):
        read_seizures(path)


def test_a_stray_fraction_among_whole_numbers_is_rejected_not_put_at_null_island(tmp_path):
    lines = ["mmsi,timestamp,latitudeE7,longitudeE7"]
    for i in range(6):
        lines.append(f"247000001,2024-03-01T10:{i:02d}:00Z,{515074000 + i * 1000},-1278000")
    lines.append("247000001,2024-03-01T10:07:00Z,51.5,-1278000")  # a degree value
    lines.append("247000001,2024-03-01T10:08:00Z,515080000,-1278000.5")
    res = read_tracks(write_lines(tmp_path / "t.csv", lines))
    assert_accounted(res)
    assert len(res.frame) == 6 and (res.frame["lat"] > 51).all()
    assert sorted(res.rejects["row"]) == [8, 9]
    assert set(res.rejects["rule"]) == {"coord_unparseable"}
    assert any("with a fraction" in n for n in res.notes)
    # a seizure file the same: the stray row rejected, never a seizure at 5e-06, -0.1278
    lines = _seizure_lines("lat_e7", "lon_e7", [515074000, 51.5], [-1278000, -1278000])
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    assert_accounted(res)
    assert res.frame["lat"].tolist() == [51.5074]
    assert res.rejects["rule"].tolist() == ["coord_unparseable"]


def test_whole_numbers_written_as_floats_are_still_read(tmp_path):
    # a Parquet float column of whole numbers, and 5.15074E8 text, are the column's unit
    path = tmp_path / "s.parquet"
    pd.DataFrame(
        {
            "date": ["2024-03-01", "2024-03-02"],
            "latE7": [515074000.0, 515084000.0],
            "lonE7": [-1278000.0, -1268000.0],
            "drug": "c",
        }
    ).to_parquet(path)
    res = read_seizures(path)
    assert_accounted(res)
    np.testing.assert_allclose(res.frame["lat"], LAT[:2], rtol=0, atol=1e-12)
    lines = _seizure_lines("lat_e7", "lon_e7", ["5.15074E8", "515084000"], ["-1.278E6", "-1268000"])
    res = read_seizures(write_lines(tmp_path / "s.csv", lines))
    np.testing.assert_allclose(res.frame["lon"], LON[:2], rtol=0, atol=1e-12)


@pytest.mark.parametrize("crs", ["EPSG:4326", "OGC:CRS84"], ids=["epsg4326", "crs84"])
def test_names_of_a_scale_are_read_under_a_geographic_crs(tmp_path, crs):
    lines = _seizure_lines(
        "lat_e7", "lon_e7", [round(v * 1e7) for v in LAT], [round(v * 1e7) for v in LON]
    )
    res = read_seizures(SeizureSource(path=write_lines(tmp_path / "s.csv", lines), crs=crs))
    assert_accounted(res)
    assert len(res.rejects) == 0
    np.testing.assert_allclose(res.frame["lat"], LAT, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.frame["lon"], LON, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "self_weight", [np.complex128(1 + 2j), np.complex64(1)], ids=["complex128", "complex64"]
)
def test_a_complex_self_weight_is_refused_not_cut_to_its_real_part(self_weight):
    # numpy's complex passed "a finite number > 0" and float() dropped its imaginary part
    import h3
    from scipy import sparse

    from pipeline.hotspots import weights_from_sparse

    cells = [h3.str_to_int(h3.latlng_to_cell(10.0, 10.0 + 0.1 * i, 7)) for i in range(3)]
    with pytest.raises(InputError, match="self_weight must be a finite number > 0"):
        weights_from_sparse(cells, sparse.csr_array((3, 3)), self_weight=self_weight)


@pytest.mark.parametrize(
    ("value", "end"),
    [
        ("Dec 2024 00:00 +05:00", "2025-01-01T00:00+05:00"),
        ("Dec 2024 00:00 JST", "2025-01-01T00:00+09:00"),
        ("December 2024", "2025-01-01T00:00Z"),
    ],
    ids=["plus5", "jst", "naive"],
)
def test_a_zoned_month_ends_where_its_local_month_ends(value, end):
    # 'Dec 2024 00:00 +05:00' starts 2024-11-30 19:00 UTC: its period ended with November's
    # UTC month, on 2024-12-01 00:00 UTC, five hours after its start
    from pipeline.ingest._dates import parse_times

    got = parse_times(pd.Series([value, "2024-01-02"]), name="f", column="d").period_end[0]
    assert got == pd.Timestamp(end).timestamp()


def test_a_zoned_month_holding_as_of_is_noted(tmp_path):

    lines = ["date,lat,lon,drug", "Dec 2024 00:00 +05:00,5.1,1.2,cocaine", "2024-11-02,5.2,1.2,x"]
    res = read_seizures(write_lines(tmp_path / "s.csv", lines), as_of=dt.date(2024, 12, 5))
    assert any("holds as_of 2024-12-05" in n for n in res.notes)
    assert res.assumptions["dates"]["periods_holding_as_of"] == 1


@pytest.mark.parametrize(
    ("kwargs", "value"),
    [
        ({"as_of": dt.date(4, 6, 30)}, "datetime.date(4, 6, 30)"),
        ({"as_of": dt.date(1680, 9, 20)}, "datetime.date(1680, 9, 20)"),
        ({"as_of": dt.date(2262, 4, 11)}, "datetime.date(2262, 4, 11)"),
        ({"as_of": dt.date(1680, 9, 21), "days": 1100}, "1100"),
    ],
    ids=["year-4", "seizures-before-1677-09-22", "after-2262-04-10", "ais-window-before"],
)
def test_a_demo_outside_the_dates_the_tables_hold_is_a_config_error(tmp_path, kwargs, value):
    # year 4 (allowed by the new 'year 4 or later') wrote seizures of the year 1 and a SAR
    # time axis of int32 nanoseconds wrapped round (1970-01-01 00:00:01.43), exit 0
    from pipeline.demo import generate_demo
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(value)):
        small = {"n_seizures": 20, "n_vessels": 8, "days": 2, "raster_res_deg": 1.0}
        generate_demo(tmp_path, **{**small, **kwargs})
    assert not any(tmp_path.iterdir())


def test_a_demo_on_the_first_day_allowed_holds_its_dates(tmp_path):
    import h5py

    from pipeline.demo import generate_demo

    as_of = dt.date(1680, 9, 21)
    files = generate_demo(
        tmp_path, n_seizures=200, n_vessels=8, days=2, raster_res_deg=1.0, as_of=as_of
    )
    dates = pd.to_datetime(pd.read_csv(files.seizures)["date"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp(1677, 9, 22) and dates.max() <= pd.Timestamp(as_of)
    with h5py.File(files.sar) as f:
        days = f["time"][:]
        assert f["time"].attrs["units"] == "days since 1970-01-01"
    months = pd.Timestamp("1970-01-01") + pd.to_timedelta(days, unit="D")
    assert list(months) == list(pd.date_range(end="1680-09-01", periods=12, freq="MS"))
