"""Ingest API: real shared files, rejects files, reject-rate ceiling, summaries, windowing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _corpus import CORPUS, IGNORE_PENDING_DEPRECATION
from _rasters import write_tif
from rasterio.transform import from_origin

from pipeline.errors import DataQualityError
from pipeline.ingest import (
    IngestOptions,
    check_reject_rate,
    classify_mmsi,
    describe_raster,
    format_summary,
    open_raster,
    raster_windows,
    read_seizures,
    read_tracks,
    summarise_ingest,
    write_rejects,
)
from pipeline.schema import REJECT_COLUMNS

pytestmark = IGNORE_PENDING_DEPRECATION


@pytest.mark.shared
def test_solent_ais(shared_data):
    res = read_tracks(shared_data / "tracks" / "SolentAIS_20160112_130211.csv")
    assert res.n_read == 18623
    assert res.frame["vessel_id"].nunique() == 91
    assert res.by_rule == {"duplicate": 3, "impossible_speed": 1}
    jump = res.rejects[res.rejects["rule"] == "impossible_speed"].iloc[0]
    lat, lon = (float(v) for v in jump["value"].split())
    assert lon > 50  # the ~3,900 km jump east of the Solent (-1.1°E)
    assert res.frame["lon"].between(-2, 0).all() and res.frame["lat"].between(50, 51.5).all()
    assert str(res.frame["time"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.shared
def test_pirate_attacks_every_row_accounted(shared_data):
    path = shared_data / "events" / "pirate_attacks.csv"
    res = read_seizures(path, as_of="2021-01-01")
    assert res.n_read == 7511
    assert len(res.frame) + len(res.rejects) == 7511
    assert set(res.rejects["rule"]) <= {"duplicate", "null_island"}
    assert res.by_rule["null_island"] == 1
    assert res.by_rule["duplicate"] > 0
    raw = pd.read_csv(path)
    assert raw["longitude"].iloc[0] == pytest.approx(res.frame["lon"].iloc[0])  # lon before lat
    assert raw.duplicated().sum() == res.by_rule["duplicate"]
    rows = np.sort(np.r_[res.frame["source_row"].to_numpy(), res.rejects["row"].to_numpy()])
    assert len(np.unique(rows)) == 7511


@pytest.mark.shared
def test_rgb_byte_lands_in_bahamas(shared_data):
    d = describe_raster(open_raster(shared_data / "rasters" / "RGB.byte.tif"))
    lon0, lat0, lon1, lat1 = d["bounds"]
    assert d["crs"] == "EPSG:32618" and d["bands"] == 3
    assert -79.5 < lon0 < lon1 < -76 and 23 < lat0 < lat1 < 26
    assert 0.5 < d["valid_fraction"] < 0.9  # nodata 0 masked


@pytest.mark.shared
def test_ignf_raster(shared_data):
    d = describe_raster(open_raster(shared_data / "rasters" / "float_raster_with_nodata.tif"))
    assert d["crs"] == "IGNF:ETRS89LAEA" and d["valid_fraction"] < 1


@pytest.mark.shared
def test_korita_gpx(shared_data):
    res = read_tracks(shared_data / "tracks" / "korita-zbevnica.gpx")
    assert res.n_read == 871 and len(res.frame) == 871
    assert res.frame["time"].notna().sum() == 513
    # a Garmin's 'ACTIVE LOG' and date-named saved tracks are this device's, not any vessel's
    assert res.frame["vessel_id"].str.startswith("korita-zbevnica:").all()


def test_write_rejects_and_ceiling(tmp_path):
    res = read_seizures(CORPUS / "s_missing_tokens.csv")
    path = write_rejects(res, tmp_path)
    assert path == tmp_path / "rejects" / "s_missing_tokens.csv"
    back = pd.read_csv(path, keep_default_na=False)
    assert list(back.columns) == list(REJECT_COLUMNS) and len(back) == 5
    check_reject_rate(res, 0.8)
    with pytest.raises(
        DataQualityError,
        match=r"5 of 7 records in scope rejected \(71.4%\).*"
        r"coord_missing 4",
    ):
        check_reject_rate(res, 0.5)


def test_summarise_tracks_and_raster(tmp_path):
    s = summarise_ingest(
        "tracks",
        CORPUS / "t_marinecadastre.csv",
        out_dir=tmp_path,
        options=IngestOptions(max_reject_rate=0.7),
    )
    assert (s["accepted"], s["rejected"], s["vessels"]) == (3, 5, 2)
    assert Path(s["rejects_file"]).exists()
    with pytest.raises(DataQualityError):
        summarise_ingest(
            "tracks", CORPUS / "t_marinecadastre.csv", options=IngestOptions(max_reject_rate=0.2)
        )
    assert "mmsi_not_vessel" in format_summary(s)
    r = summarise_ingest("raster", CORPUS / "r_4326_nodata.tif")
    assert r["crs"] == "EPSG:4326" and "valid fraction" in format_summary(r)


def test_large_raster_is_windowed(tmp_path):
    path = tmp_path / "big.tif"
    arr = np.ones((1, 400, 300), dtype="float32")
    arr[0, 100:200] = -1
    write_tif(path, arr, from_origin(0, 40, 0.1, 0.1), nodata=-1)
    da = open_raster(path, memory_budget_mb=0.1)
    assert da.attrs["windowed"] and da.attrs["window_rows"] < 400
    assert not isinstance(da.variable._data, np.ndarray)  # still lazy
    slices = [sl for sl, _ in raster_windows(da)]
    assert slices[0].start == 0 and slices[-1].stop == 400 and len(slices) > 1
    assert describe_raster(da)["valid_fraction"] == pytest.approx(0.75)


def test_classify_mmsi():
    ids = pd.Series(
        [
            "235000001",
            "002190047",
            "992191234",
            "111232001",
            "123456789",
            "970123456",
            "12345",
            "982351234",
            "235000001.0",
            "777777777",
        ]
    )
    invalid, not_vessel, _ = classify_mmsi(ids)
    assert invalid.tolist() == [False] * 6 + [True] + [False] * 3
    assert not_vessel.tolist() == [False, True, True, True, True, True, False, False, False, True]


def test_same_time_other_position_is_rejected_not_dropped_later(tmp_path):
    from pipeline.ingest import read_tracks

    p = tmp_path / "t.csv"
    p.write_text(
        "mmsi,timestamp,lat,lon,sog,cog\n"
        "244123456,2024-01-01T00:00:00Z,50.0,1.0,10,90\n"
        "244123456,2024-01-01T01:00:00Z,50.0,1.2,10,90\n"
        "244123456,2024-01-01T01:00:00Z,50.0001,1.2001,10,90\n"
        "244123456,2024-01-01T01:00:00Z,50.0,1.2,10,90\n"
        "244123456,2024-01-01T02:00:00Z,50.0,1.4,10,90\n"
    )
    r = read_tracks(p)
    assert len(r.frame) == 3
    assert r.by_rule == {"duplicate": 1, "duplicate_time": 1}
    row = r.rejects.set_index("rule").loc["duplicate_time"]
    assert int(row["row"]) == 4


@pytest.mark.parametrize(
    ("text", "ragged_line", "accepted_lines"),
    [
        (
            "date,lat,lon\n2024-01-01,10,20\n\n\n2024-01-02,10,20,extra\n2024-01-03,11,21\n",
            5,
            [2, 6],
        ),
        (
            'date,lat,lon,note\n2024-01-01,10,20,"multi\nline"\n2024-01-02,10,20,x,extra\n'
            "2024-01-03,11,21,y\n",
            4,
            [2, 5],
        ),
    ],
    ids=["blank-lines", "multi-line-value"],
)
def test_ragged_rows_report_their_physical_line(tmp_path, text, ragged_line, accepted_lines):
    from pipeline.ingest import read_seizures

    p = tmp_path / "s.csv"
    p.write_text(text)
    r = read_seizures(p)
    assert r.rejects["row"].astype(int).tolist() == [ragged_line]
    assert r.frame["source_row"].tolist() == accepted_lines


def test_records_given_by_an_earlier_file_are_rejected_once(tmp_path):
    from pipeline.ingest import read_seizures, reject_repeated_records

    head = "date,lat,lon,commodity,quantity,agency\n"
    (tmp_path / "a.csv").write_text(
        head + "2024-01-02,10.5,-60.25,cocaine,,Navy\n2024-01-03,11,-61,heroin,5,Navy\n"
    )
    # line 2: the same record (a missing quantity is equal to a missing one); line 3: another
    # agency, a different record; lines 4-5: the same values twice in this file, once before
    (tmp_path / "b.csv").write_text(
        head + "2024-01-02,10.5,-60.25,Cocaine,,Navy\n2024-01-03,11,-61,heroin,5,Police\n"
        "2024-01-03,11.0,-61.0,heroin,5.0,Navy\n2024-01-03,11.00,-61,heroin,5,Navy\n"
    )
    a = read_seizures(tmp_path / "a.csv")
    b = reject_repeated_records(read_seizures(tmp_path / "b.csv"), [a.frame])
    assert b.by_rule == {"duplicate_across_files": 3}
    assert b.n_read == len(b.frame) + len(b.rejects) == 4
    assert b.frame["agency"].tolist() == ["Police"]
    assert b.rejects["row"].tolist() == [2, 4, 5]
    assert b.rejects["value"].tolist() == ["a.csv line 2", "a.csv line 3", "a.csv line 3"]
    assert any("duplicate_across_files" in n for n in b.notes)
    # nothing earlier, or nothing in common: the result is returned as it is
    assert reject_repeated_records(a, []) is a
