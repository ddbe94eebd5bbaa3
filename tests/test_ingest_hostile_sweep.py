"""A fresh adversarial sweep of the readers (hBC): hostile files a user or an attacker sends.

Each case was a silent wrong value, a traceback or an unbounded read before its fix.  Files
are tiny and written to ``tmp_path``; the readers are called directly (the CLI and the runner
call them), and every result accounts for every record read.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.ingest import TrackSource, read_tracks

pytestmark = IGNORE_PENDING_DEPRECATION


def _ais(values: list[tuple[str, str]]) -> str:
    """AIS CSV text of one vessel, a ping every 10 minutes at the given (lat, lon) texts."""
    rows = [
        f"366000001,2023-07-01T{i // 6:02d}:{i % 6 * 10:02d}:00Z,{lat},{lon}\n"
        for i, (lat, lon) in enumerate(values)
    ]
    return "mmsi,timestamp,lat,lon\n" + "".join(rows)


def test_an_infinite_track_coordinate_is_out_of_range_not_a_ping(tmp_path):
    """``inf``, ``-Infinity``, ``1e999`` (overflows to inf) were pings at an infinite latitude."""
    from pipeline.ingest.stream import spill_tracks

    values = [("36.0", "-9"), ("inf", "-9"), ("1e999", "-9"), ("-Infinity", "-9")]
    values += [("36.1", "1e400"), ("36.2", "-9")]
    path = write_text(tmp_path, "t.csv", _ais(values))
    res = read_tracks(path)
    assert_accounted(res)
    assert res.frame["lat"].abs().max() <= 90 and res.frame["lon"].abs().max() <= 180
    got = dict(zip(res.rejects["row"], res.rejects["rule"], strict=True))
    assert got == {
        3: "lat_out_of_range",
        4: "lat_out_of_range",
        5: "lat_out_of_range",
        6: "lon_out_of_range",
    }
    assert set(res.rejects["value"]) == {"inf", "1e999", "-Infinity", "1e400"}
    # the streamed reader (files of any size) applies the same row rules
    spilled = spill_tracks(path, tmp_path / "s", chunk_rows=2, n_buckets=2)
    assert spilled.n_accepted == len(res.frame) == 2
    assert spilled.by_rule == {"lat_out_of_range": 3, "lon_out_of_range": 1}


def test_an_infinite_float_in_a_parquet_track_is_rejected(tmp_path):
    lat = [36.0, float("inf"), float("-inf"), 36.1]
    table = pa.table(
        {
            "mmsi": [366000001] * 4,
            "timestamp": pa.array([f"2023-07-01T0{i}:00:00Z" for i in range(4)], pa.string()),
            "lat": lat,
            "lon": [-9.0, -9.0, -9.0, float("nan")],
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    res = read_tracks(tmp_path / "t.parquet")
    assert_accounted(res)
    assert len(res.frame) == 1
    assert res.rejects.set_index("row")["rule"].to_dict() == {
        2: "lat_out_of_range",
        3: "lat_out_of_range",
        4: "coord_missing",
    }


def test_a_track_position_the_crs_cannot_place_is_rejected_not_kept_without_one(tmp_path):
    """With a projected ``crs``, an easting of 1e30 became NaN after reprojection and was kept."""
    text = (
        "mmsi,timestamp,y,x\n"
        "366000001,2023-07-01T00:00:00Z,4000000,500000\n"
        "366000001,2023-07-01T00:10:00Z,4001000,1e30\n"
        "366000001,2023-07-01T00:20:00Z,4002000,500000\n"
    )
    path = write_text(tmp_path, "utm.csv", text)
    res = read_tracks(TrackSource(path=path, crs="EPSG:32629", columns={"lat": "y", "lon": "x"}))
    assert_accounted(res)
    assert res.frame[["lat", "lon"]].notna().all().all()
    assert len(res.frame) == 2
    (rej,) = res.rejects.itertuples()
    assert (rej.row, rej.rule, rej.column, rej.value) == (
        3,
        "coord_out_of_crs",
        "y/x",
        "4001000 1e30",
    )


# ------------------------------------------------- a commodity column of free text, one per row


def test_commodity_count_columns_are_bounded_and_every_seizure_counted():
    """One column per distinct commodity: 3000 free-text commodities gave 3000 columns over
    every cell (4 GB, and GeoPackage's 2000-field limit failed the export with a traceback)."""
    import numpy as np
    import pandas as pd

    from pipeline import schema as S
    from pipeline.grid import points_to_cells
    from pipeline.score import MAX_COMMODITY_COLUMNS, OTHER_COMMODITIES, seizure_cell_stats

    n = 400
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(-10, -9, n), rng.uniform(36, 37, n)
    commodity = [f"container {i}" for i in range(n)]
    commodity[:30] = ["cocaine"] * 20 + ["heroin"] * 10  # the frequent ones keep their columns
    seizures = pd.DataFrame(
        {
            S.LON: lon,
            S.LAT: lat,
            S.COMMODITY: commodity,
            S.TIME: pd.Timestamp("2024-01-01", tz="UTC"),
        }
    )
    cells = np.unique(points_to_cells(lon, lat, 5))
    stats = seizure_cell_stats(seizures, cells, 5)
    counts = [c for c in stats.columns if c.startswith(S.SEIZURES_PREFIX)]
    assert len(counts) == MAX_COMMODITY_COLUMNS
    assert {"seizures_cocaine", "seizures_heroin", S.SEIZURES_PREFIX + OTHER_COMMODITIES} <= set(
        counts
    )
    assert stats[counts].to_numpy().sum() == stats["n_seizures"].sum() == n
    assert (stats[counts].sum(axis=1) == stats["n_seizures"]).all()
    assert stats["seizures_cocaine"].sum() == 20
    # a smaller bound; a commodity written as the merged label is merged too, never doubled
    seizures.loc[30, S.COMMODITY] = OTHER_COMMODITIES
    few = seizure_cell_stats(seizures, cells, 5, max_commodities=3)
    assert [c for c in few.columns if c.startswith(S.SEIZURES_PREFIX)] == [
        "seizures_cocaine",
        "seizures_heroin",
        S.SEIZURES_PREFIX + OTHER_COMMODITIES,
    ]
    assert few[S.SEIZURES_PREFIX + OTHER_COMMODITIES].sum() == n - 30
    # at most the bound, nothing changes
    plain = seizure_cell_stats(seizures.iloc[:30], cells, 5)
    assert [c for c in plain.columns if c.startswith(S.SEIZURES_PREFIX)] == [
        "seizures_cocaine",
        "seizures_heroin",
    ]


# ---------------------------------------------------- a NetCDF declaring an endless time axis


def test_a_netcdf_time_axis_beyond_the_memory_budget_is_refused_before_it_is_loaded(tmp_path):
    """A NetCDF-4 of 8 MB declaring 10^8 unwritten time steps asked for GiBs on opening (its
    time coordinate is loaded and decoded into an index before any pixel is read)."""
    import h5netcdf
    import numpy as np

    from pipeline.errors import SourceUnreadable
    from pipeline.ingest import open_raster

    path = tmp_path / "endless.nc"
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"time": 10**8, "lat": 4, "lon": 4}
        t = f.create_variable("time", ("time",), "f8", chunks=(1_000_000,))
        t.attrs["units"] = "days since 2000-01-01"
        lat = f.create_variable("lat", ("lat",), "f8")
        lat[:] = [36, 36.5, 37, 37.5]
        lon = f.create_variable("lon", ("lon",), "f8")
        lon[:] = [-10, -9.5, -9, -8.5]
        v = f.create_variable("v", ("time", "lat", "lon"), "f4", chunks=(1, 4, 4))
        v[0] = np.ones((4, 4))
        t[0] = 8000.0
    assert path.stat().st_size < 16 << 20
    with pytest.raises(SourceUnreadable, match=r"dimension 'time' declares 100,000,000 steps"):
        open_raster(path)


@pytest.mark.parametrize("engine", ["scipy", "h5netcdf"])
def test_a_netcdf_axis_is_measured_against_the_budget_given(tmp_path, engine, monkeypatch):
    """Above its floor (64 MiB, lowered here to keep the file small) the budget given
    bounds an axis; a tiny budget alone (windowed reads) refuses no axis."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    from pipeline.errors import SourceUnreadable
    from pipeline.ingest import open_raster

    n = 40_000  # 40,000 steps x 8 bytes x 4 copies: 1.2 MiB
    ds = xr.Dataset(
        {"v": (("time", "lat", "lon"), np.zeros((n, 2, 2), "f4"))},
        coords={
            "time": pd.date_range("2000-01-01", periods=n, freq="h"),
            "lat": [36.0, 36.5],
            "lon": [-10.0, -9.5],
        },
    )
    path = tmp_path / f"{engine}.nc"
    ds.to_netcdf(path, engine=engine)
    assert open_raster(path, memory_budget_mb=0.001).shape[-2:] == (2, 2)  # under the floor
    monkeypatch.setattr("pipeline.ingest.rasters._AXIS_FLOOR_MB", 0.5)
    with pytest.raises(SourceUnreadable, match=r"above 1 MiB \(ingest.memory_budget_mb=1, "):
        open_raster(path, memory_budget_mb=1)
    assert open_raster(path, memory_budget_mb=2).shape[-2:] == (2, 2)  # latest step read


def test_formula_cells_without_a_saved_value_are_said(tmp_path):
    """A workbook written by a program (openpyxl, a report server) holds formulas and no
    value of theirs until a spreadsheet calculates it: the coordinates read as empty and
    every record was rejected coord_missing without the reason."""
    from openpyxl import Workbook

    from pipeline.ingest import read_seizures

    wb = Workbook()
    ws = wb.active
    ws.append(["date", "latitude", "longitude", "commodity"])
    for i in range(5):
        ws.append([f"2024-01-0{i + 1}", f"=10+{i}/10", "=-60.5", "cocaine"])
    ws.append(["2024-01-09", 12.5, -61.0, "cocaine"])  # typed values: read as they are
    wb.save(tmp_path / "report.xlsx")
    res = read_seizures(tmp_path / "report.xlsx")
    assert_accounted(res)
    assert len(res.frame) == 1 and set(res.rejects["rule"]) == {"coord_missing"}
    said = [n for n in res.notes if "formula cell(s) hold no saved value" in n]
    assert said and said[0].startswith("report.xlsx: 10 formula cell(s)") and "B2" in said[0]


def test_a_formula_whose_saved_value_is_an_empty_string_is_not_said(tmp_path):
    """Excel saves a formula that gives "" (=IF(...,"",...), common in a notes column) as
    t="str" with an empty <v/>: a calculated value, not a workbook never calculated."""
    import zipfile

    from openpyxl import Workbook

    from pipeline.ingest import read_seizures

    wb = Workbook()
    ws = wb.active
    ws.append(["date", "latitude", "longitude", "commodity", "note"])
    ws.append(["2024-01-01", 12.5, -61.0, "cocaine", '=IF(1=1,"","x")'])
    wb.save(tmp_path / "made.xlsx")
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(tmp_path / "made.xlsx") as src:
        files = {n: src.read(n) for n in src.namelist()}
    assert b'<c r="E2"><f>' in files[member]  # openpyxl: no value saved, said
    files[member] = files[member].replace(b'<c r="E2"><f>', b'<c r="E2" t="str"><f>')
    with zipfile.ZipFile(tmp_path / "calculated.xlsx", "w") as out:
        for n, data in files.items():
            out.writestr(n, data)
    said = "formula cell(s) hold no saved value"
    assert any(said in n for n in read_seizures(tmp_path / "made.xlsx").notes)
    res = read_seizures(tmp_path / "calculated.xlsx")
    assert len(res.frame) == 1
    assert not [n for n in res.notes if said in n]


@pytest.mark.parametrize("suffix", [".geojson", ".geojsonseq"])
def test_a_geojson_feature_giving_a_key_twice_is_refused(tmp_path, suffix):
    """GDAL keeps the last of two values under one key: a feature with two "date"
    properties was read with the second without a word (JSON records reject it)."""
    from pipeline.errors import SourceUnreadable
    from pipeline.ingest import read_seizures

    good = '{"type": "Feature", "properties": {"date": "2024-01-02"}, "geometry": {"type": "Point", "coordinates": [-60.5, 12.0]}}'
    twice = '{"type": "Feature", "properties": {"date": "2024-01-03", "date": "1999-01-01"}, "geometry": {"type": "Point", "coordinates": [-60.0, 12.5]}}'
    path = tmp_path / f"s{suffix}"
    if suffix == ".geojson":
        path.write_text('{"type": "FeatureCollection", "features": [' + good + ", " + twice + "]}")
    else:
        path.write_text(good + "\n" + twice + "\n")
    with pytest.raises(SourceUnreadable, match="gives the key 'date' twice"):
        read_seizures(path)
    path.write_text(path.read_text().replace('"date": "1999-01-01"', '"note": "x"'))
    assert len(read_seizures(path).frame) == 2


def test_a_file_name_holding_a_newline_stays_one_line_in_text_logs(tmp_path, capsys):
    """A file named 'bad<newline>name.csv' made each message naming it two lines of the
    text log and of the ingest summary (a monitor or grep read half a message)."""
    from pipeline.cli import main

    path = tmp_path / "bad\nname.csv"
    path.write_text("date,lat,lon\n2024-01-01,12.0,-60.0\n2024-01-02,95,-60\n")
    code = main(
        ["ingest", "seizures", str(path), "--log-format", "text", "-v", "--out", str(tmp_path)]
    )
    assert code == 0
    out, err = capsys.readouterr()
    assert "bad\\nname.csv (seizures)" in out.splitlines()[0]
    assert "name.csv" not in "".join(line for line in out.splitlines() if "bad" not in line)
    logged = [line for line in err.splitlines() if line.strip()]
    assert logged and all(line[:2].isdigit() for line in logged), logged  # each a timestamp
    assert any("bad\\nname.csv: 2 read" in line for line in logged)


def test_a_zip_member_that_is_a_symbolic_link_is_refused(tmp_path):
    """A zip made with `zip --symlinks` holding a link named seizures.csv: its bytes are the
    link's target path, read as a CSV of no records (exit 0, nothing said)."""
    import stat
    import zipfile

    from pipeline.errors import SourceUnreadable
    from pipeline.ingest import read_seizures

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("seizures.csv")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(SourceUnreadable, match="'seizures.csv' is a symbolic link"):
        read_seizures(path)


def test_the_netcdf_axis_check_holds_on_an_xarray_without_create_default_indexes(
    tmp_path, monkeypatch
):
    """pyproject allows xarray releases whose open_dataset has no create_default_indexes:
    there the check raised TypeError, was caught, and silently did nothing."""
    import h5netcdf
    import numpy as np
    import xarray as xr

    from pipeline.errors import SourceUnreadable
    from pipeline.ingest import open_raster

    opened = xr.open_dataset

    def older(*args, **kwargs):
        if "create_default_indexes" in kwargs:
            raise TypeError("open_dataset() got an unexpected keyword 'create_default_indexes'")
        return opened(*args, **kwargs)

    monkeypatch.setattr(xr, "open_dataset", older)
    path = tmp_path / "endless.nc"
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"time": 10**8, "lat": 2, "lon": 2}
        t = f.create_variable("time", ("time",), "f8", chunks=(1_000_000,))
        t.attrs["units"] = "days since 2000-01-01"
        f.create_variable("lat", ("lat",), "f8")[:] = [36.0, 36.5]
        f.create_variable("lon", ("lon",), "f8")[:] = [-10.0, -9.5]
        f.create_variable("v", ("time", "lat", "lon"), "f4", chunks=(1, 2, 2))[0] = np.ones((2, 2))
        t[0] = 8000.0
    with pytest.raises(SourceUnreadable, match=r"dimension 'time' declares 100,000,000 steps"):
        open_raster(path)
