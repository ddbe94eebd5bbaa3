"""Review of the seventh sweep's changes: inputs they read wrongly, or too slowly, before these fixes.

Inputs are shaped like real exports (AIS CSVs of the Danish Maritime Authority and
MarineCadastre, UCDP GED event tables, ports tables, QGIS GeoPackages) and built in tmp_path.
"""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from _corpus import IGNORE_PENDING_DEPRECATION, write_text

from pipeline.errors import InputError, RouteRiskError
from pipeline.ingest import read_context, read_seizures, read_tracks
from pipeline.ingest._positions import read_positions
from pipeline.ingest.options import SeizureSource
from pipeline.ingest.stream import PingStore, spill_tracks
from pipeline.schema import TIME

pytestmark = IGNORE_PENDING_DEPRECATION

# ------------------------------------------------------------------ positions: a hot path


@pytest.mark.parametrize("crs", [None, "EPSG:32632"])
def test_positions_of_a_track_of_plain_numbers_are_read_in_one_vectorised_pass(crs):
    """A track's 300,000 plain latitudes/longitudes went through per-value regexes (~10 s).

    Degrees without a crs, or UTM eastings/northings under their projected crs.
    """
    n = 300_000
    rng = np.random.default_rng(7)
    scale = 1.0 if crs is None else 100_000.0
    lat = pd.Series(rng.uniform(54.0, 58.0, n) * scale)
    lon = pd.Series(rng.uniform(7.0, 13.0, n) * scale)
    start = time.perf_counter()
    pos = read_positions(lat, lon, crs=crs, lat_col="Latitude", lon_col="Longitude", name="x")
    took = time.perf_counter() - start
    assert np.array_equal(pos.lat.to_numpy(), lat.to_numpy())
    assert np.array_equal(pos.lon.to_numpy(), lon.to_numpy())
    assert took < 1.5, f"{took:.1f} s for {n} plain positions"


# ------------------------------------------------- a header with a blank name is the header


def test_a_header_with_a_blank_name_over_a_record_of_text_is_still_the_header(tmp_path):
    """A piracy log: one unnamed column, and its first record all text (DMS positions).

    The row-of-column-groups rule took the real header for a group row and the first record
    for the header: the file was refused (no coordinate columns among '5-Jan-2024', ...).
    """
    path = write_text(
        tmp_path,
        "log.csv",
        "Date,Vessel,,Latitude,Longitude\n"
        "5-Jan-2024,MV Alpha,boarded,12°30'N,45°10'E\n"
        "6-Jan-2024,MV Beta,boarded,12.5,45.1\n"
        "7-Jan-2024,MV Gamma,robbed,12.6,45.2\n",
    )
    res = read_seizures(path)
    assert res.n_read == 3 == len(res.frame)
    assert res.frame["source_row"].tolist() == [2, 3, 4]
    assert res.frame["lat"].round(4).tolist() == [12.5, 12.5, 12.6]
    assert res.frame["lon"].round(4).tolist() == [45.1667, 45.1, 45.2]
    assert not any("column groups" in n for n in res.notes)


# ------------------------------------------ a GeoPackage's table of records is not passed over


def _area_and_records(path) -> None:
    """A study area polygon layer and an incidents table without geometry (lat/lon columns)."""
    area = gpd.GeoDataFrame(
        {"name": ["study area"]}, geometry=[shapely.box(100, 0, 110, 5)], crs=4326
    )
    area.to_file(path, layer="study_area", driver="GPKG")
    records = pd.DataFrame(
        {
            "name": ["A", "B"],
            "date": ["2024-01-05", "2024-02-01"],
            "lat": [1.2, 1.5],
            "lon": [104.0, 104.5],
        }
    )
    pyogrio.write_dataframe(records, path, layer="incidents", driver="GPKG")


@pytest.mark.parametrize("kind", ["seizures", "ports"])
def test_a_geopackage_table_of_records_beside_an_area_layer_is_not_passed_over(tmp_path, kind):
    """The records' table (no geometry) was skipped as if a QGIS style, the area layer read.

    Seizures were refused for a missing date column of the area; ports were taken from the
    study area's polygon, silently.  Both are refused naming the layers, as before the change.
    """
    path = tmp_path / f"{kind}.gpkg"
    _area_and_records(path)
    with pytest.raises(RouteRiskError, match=r"2 layers.*study_area.*incidents.*set layer"):
        read_seizures(path) if kind == "seizures" else read_context(path, "ports")
    # told which layer, the records are read
    if kind == "seizures":
        res = read_seizures(SeizureSource(path=path, layer="incidents"))
        assert res.frame["lat"].tolist() == [1.2, 1.5]


# ------------------------------------------- GPS week rollover: an old voyage is no rollover


def _voyage(mmsi: int, start: str, lat0: float, lon0: float, n: int) -> list[str]:
    """DMA-shaped rows of a ship at 10 kn, a ping every 10 minutes (day-first timestamps)."""
    out = []
    for i in range(n):
        t = pd.Timestamp(start) + pd.Timedelta(minutes=10 * i)
        lon = lon0 + i * 0.0045  # ~1.6 nm east per 10 minutes at 55 N
        out.append(
            f"{t:%d/%m/%Y %H:%M:%S},Class A,{mmsi},{lat0:.6f},{lon:.6f},"
            "Under way using engine,0.0,10.0,90.0,90"
        )
    return out


_DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading"
)


@pytest.mark.parametrize("stream", [False, True])
def test_an_archived_voyage_of_twenty_years_ago_is_no_gps_week_rollover(tmp_path, stream):
    """An archive of one MMSI: a voyage off Skagen in 2004 and voyages off Bornholm in 2024.

    2004-06-10 is 7168 days (1024 GPS weeks) before 2024-01-25, within the 2024 span: every
    2004 ping was rejected as gps_week_rollover. Shifted, they land 300 km from where the
    ship was at that time, so they are no fixes of the 2024 track and are kept.
    """
    rows = _voyage(219000001, "2004-06-10 08:00", 57.8, 10.0, 12)
    rows += _voyage(219000001, "2024-01-25 07:00", 55.1, 14.5, 24)
    rows += _voyage(219000001, "2024-03-01 07:00", 55.2, 14.6, 24)
    path = write_text(tmp_path, "aisdk.csv", _DMA_HEADER + "\n" + "\n".join(rows) + "\n")
    if stream:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = spill_tracks(str(path), tmp_path / "spill", chunk_rows=20)
        pings = PingStore([res], root=tmp_path / "spill").to_frame()
    else:
        res = read_tracks(str(path))
        pings = res.frame
    assert res.by_rule == {}
    assert len(pings) == res.n_read == 60
    assert pings[TIME].dt.year.value_counts().to_dict() == {2024: 48, 2004: 12}


def test_a_rolled_over_ping_inside_a_dense_track_is_still_rejected(tmp_path):
    """The ping of a receiver with the rollover bug, among its vessel's pings: rejected."""
    rows = _voyage(219000001, "2024-01-25 07:00", 55.1, 14.5, 24)
    fields = rows[10].split(",")
    t = pd.to_datetime(fields[0], dayfirst=True)
    fields[0] = f"{t - pd.Timedelta(days=7168):%d/%m/%Y %H:%M:%S}"
    rows[10] = ",".join(fields)
    path = write_text(tmp_path, "aisdk.csv", _DMA_HEADER + "\n" + "\n".join(rows) + "\n")
    res = read_tracks(str(path))
    assert res.by_rule == {"gps_week_rollover": 1}
    assert res.rejects["row"].tolist() == [12]


def _fast_log(tmp_path, speed: float, minutes: int) -> str:
    """A go-fast boat at 58 kn east at 10 N, pings ``minutes`` apart."""
    rows = []
    t0 = pd.Timestamp("2024-03-01T00:00:00Z")
    for i in range(60):
        t = t0 + pd.Timedelta(minutes=minutes * i)
        lon = -80 + i * minutes * 58 / 60 / 60 / 0.9848
        rows.append(f"gofast1,{t:%Y-%m-%dT%H:%M:%SZ},10.0,{lon:.5f},{speed if i % 4 else 95.0}")
    path = tmp_path / "log.csv"
    path.write_text("vessel,time,lat,lon,speed\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def test_speeds_above_102_kn_are_told_apart_by_the_positions(tmp_path):
    # 107 km/h (58 kn) under a plain 'speed' header was refused as tenths of a knot with the
    # advice speed_unit: '0.1 kn', which would read the boat at 11 kn
    with pytest.raises(InputError, match=r"km/h\? set speed_unit: 'km/h'") as got:
        read_tracks(_fast_log(tmp_path, 107.4, 1))
    assert "0.1 kn" not in str(got.value)
    # tenths of a knot (580 for 58 kn) are still told to be tenths
    with pytest.raises(InputError, match=r"tenths of a knot .*set speed_unit: '0.1 kn'"):
        read_tracks(_fast_log(tmp_path, 580.0, 1))
    # pings 4 h apart say nothing: both readings are named
    with pytest.raises(InputError, match=r"tenths of a knot \(AIS raw units\) or km/h\?"):
        read_tracks(_fast_log(tmp_path, 107.4, 240))
