"""Small loose ends in inputs (task hM).

The raster companion mask from ``route-risk ingest``, its short form in a config, per-vertex
epoch times on a GeoJSON route, and FitCSVTool's ``position_long``/``position_lat`` columns.
Inputs are built in ``tmp_path`` in the shapes the real exports take.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from _corpus import IGNORE_PENDING_DEPRECATION
from _rasters import write_tif
from rasterio.transform import from_origin

import pipeline
from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.ingest import read_tracks, summarise_ingest
from pipeline.ingest.options import RasterSource, TrackSource
from pipeline.ingest.stream import read_buckets, spill_tracks

RES = 0.05
N = 120
GRID = from_origin(-3.0, 13.0, RES, RES)
BBOX = (-2.0, 8.0, 2.0, 12.0)

pytestmark = IGNORE_PENDING_DEPRECATION


def viirs_pair(folder):
    """``avg_rade9h`` (float32) with 0 where ``cf_cvg`` (uint8, no nodata) is 0; 3 elsewhere."""
    lat = 13.0 - RES * (np.arange(N) + 0.5)
    rad = np.repeat((lat + 100)[:, None], N, axis=1).astype("float32")
    cf = np.full((N, N), 3, dtype="uint8")
    cf[40:50, :] = 0
    cf[:, 0:30] = 0
    cf[60:70, 60:90] = 2  # observed twice: kept at min 1, missing at min 3
    rad[cf == 0] = 0.0
    avg = write_tif(folder / "avg_rade9h.tif", rad, GRID)
    cvg = write_tif(folder / "cf_cvg.tif", cf, GRID, dtype="uint8")
    return avg, cvg, cf


def write_config(folder, raster: dict):
    """Write ``folder/c.yaml`` with one seizures file and this raster entry; load it."""
    (folder / "seizures.csv").write_text("date,lat,lon\n2024-01-02,9.5,0.5\n")
    raw = {
        "area": {"bbox": list(BBOX), "resolution": 4},
        "inputs": {"seizures": [{"path": "seizures.csv"}], "rasters": [raster]},
    }
    (folder / "c.yaml").write_text(yaml.safe_dump(raw))
    return pipeline.load_config(folder / "c.yaml")


def ingest_json(capsys, *args) -> dict:
    capsys.readouterr()
    code = main(["ingest", *map(str, args), "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


# --------------------------------------------------------------- 1. ingest raster --mask


def test_ingest_raster_takes_the_companion_mask_as_a_run_does(tmp_path, capsys):
    avg, cvg, cf = viirs_pair(tmp_path)
    got = ingest_json(capsys, "raster", avg, "--mask", cvg)
    want = summarise_ingest("raster", RasterSource(path=avg, mask={"path": cvg}))
    assert got == json.loads(json.dumps(want, allow_nan=False))
    assert got["assumptions"]["mask"]["value"] == "cf_cvg.tif >= 1"
    assert got["coverage"]["masked_in_area"] == int((cf == 0).sum())
    # --mask-min: the threshold, also over a config's entry (the run's own summary)


def test_ingest_raster_mask_min_and_a_configs_mask_give_the_runs_summary(tmp_path, capsys):
    avg, cvg, cf = viirs_pair(tmp_path)
    cfg = write_config(tmp_path, {"path": str(avg), "name": "r", "mask": {"path": str(cvg)}})
    run = summarise_ingest(
        "raster", cfg.inputs.rasters[0], options=cfg.ingest, as_of=cfg.run.as_of, aoi_bbox=BBOX
    )
    flag = ingest_json(capsys, "raster", avg, "--config", tmp_path / "c.yaml")
    assert flag["coverage"] == json.loads(json.dumps(run["coverage"], allow_nan=False))
    over = ingest_json(capsys, "raster", avg, "--config", tmp_path / "c.yaml", "--mask-min", 3)
    window = (slice(20, 100), slice(20, 100))
    assert flag["coverage"]["masked_in_area"] == int((cf[window] == 0).sum())
    assert over["coverage"]["masked_in_area"] == int((cf[window] < 3).sum())
    # --mask-max: pixels above the bound are missing too (a config's mask: {max: ...})
    both = ingest_json(
        capsys, "raster", avg, "--config", tmp_path / "c.yaml", "--mask-min", 1, "--mask-max", 2
    )
    masked = int(((cf[window] < 1) | (cf[window] > 2)).sum())
    assert masked > over["coverage"]["masked_in_area"] > flag["coverage"]["masked_in_area"]
    assert both["coverage"]["masked_in_area"] == masked
    assert both["assumptions"]["mask"]["value"] == "cf_cvg.tif >= 1 and <= 2"


@pytest.mark.parametrize(
    "args, said",
    [
        (["raster", "{avg}", "--mask-min", "2"], "--mask-min needs --mask"),
        (["raster", "{avg}", "--mask-max", "2"], "--mask-max needs --mask"),
        (["tracks", "{csv}", "--mask-max", "2"], "apply to rasters"),
        (["tracks", "{csv}", "--mask", "{cvg}"], "apply to rasters"),
        (["raster", "{avg}", "--mask", "{cvg}", "--mask-min", "nan"], "mask.min"),
    ],
)
def test_mask_flags_misused_are_refused_in_one_line(tmp_path, capsys, args, said):
    avg, cvg, _ = viirs_pair(tmp_path)
    csv = tmp_path / "t.csv"
    csv.write_text("time,lat,lon,mmsi\n2024-01-01T00:00:00Z,1,1,1\n")
    capsys.readouterr()
    code = main(["ingest", *(a.format(avg=avg, cvg=cvg, csv=csv) for a in args)])
    err = capsys.readouterr().err
    assert code == 2
    assert said in err and "Traceback" not in err


# ------------------------------------------------------ 2. the short form mask: PATH


def test_a_bare_mask_path_is_the_mask_with_defaults_relative_to_the_config(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    avg, cvg, cf = viirs_pair(data)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative to the config's folder, not the working one
    (data / "sub").mkdir()
    short = write_config(data / "sub", {"path": "../avg_rade9h.tif", "mask": "../cf_cvg.tif"})
    long = write_config(tmp_path, {"path": str(avg), "mask": {"path": str(cvg)}})
    got, want = short.inputs.rasters[0], long.inputs.rasters[0]
    assert got.mask == want.mask
    assert got.mask is not None and got.mask.path == cvg.resolve() and got.mask.min == 1
    summary = summarise_ingest("raster", got, aoi_bbox=BBOX)
    assert summary["coverage"]["masked_in_area"] == int((cf[20:100, 20:100] == 0).sum())
    assert summary == summarise_ingest("raster", want, aoi_bbox=BBOX)


# ------------------------------------------- 3. per-vertex epoch times on a GeoJSON route

T0 = 1709251200  # 2024-03-01T00:00:00Z
#: 1.5 km steps east at 60 N: 10 minutes apart, about 5 knots
LINE = {"type": "LineString", "coordinates": [[5.0, 60.0], [5.027, 60.0], [5.054, 60.0]]}


def route_layer(path, *features):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": n, **props}, "geometry": LINE}
            for n, props in features
        ],
    }
    path.write_text(json.dumps(doc))
    return path


def test_a_routes_epoch_timestamps_are_its_vertex_times(tmp_path):
    """Before: every vertex of these routes was untimed, without a word."""
    steps = [T0, T0 + 600, T0 + 1200]
    path = route_layer(
        tmp_path / "routes.geojson",
        ("S", {"timestamps": steps}),
        ("M", {"timestamps": [t * 1000 for t in steps]}),  # milliseconds
        ("X", {"timestamps": steps[:2]}),  # 2 times for 3 vertices
    )
    res = read_tracks(path)
    want = pd.to_datetime(steps, unit="s", utc=True).tolist()
    f = res.frame.set_index("vessel_id")
    assert f.loc["S", "time"].tolist() == want
    assert f.loc["M", "time"].tolist() == want
    assert "X" not in f.index
    assert res.rejects[["row", "column", "value", "rule"]].values.tolist() == [
        [3, "timestamps", "2 time(s) for 3 vertices", "vertex_times_count"]
    ]
    assert res.n_read == len(res.frame) + len(res.rejects) == 7
    assert any("vertices of 2 route feature(s) read from 'timestamps'" in n for n in res.notes)
    assert any("1 route feature(s) list a number of times" in n for n in res.notes)
    assert not any("untimed" in n for n in res.notes)
    # streamed as the run reads it: the same pings and notes
    spill = spill_tracks(path, tmp_path / "spill", chunk_rows=2, n_buckets=2)
    assert spill.notes == res.notes
    streamed = read_buckets([sorted(spill.buckets.values())])
    pd.testing.assert_frame_equal(
        streamed.sort_values(["vessel_id", "time"]).reset_index(drop=True),
        res.frame.sort_values(["vessel_id", "time"]).reset_index(drop=True),
    )


def test_only_the_way_each_route_was_timed_is_said(tmp_path):
    span = {"start": "2024-03-01T00:00:00Z", "end": "2024-03-01T00:20:00Z"}
    listed = [f"2024-03-01T0{h}:00:00Z" for h in (1, 2, 3)]
    both = route_layer(tmp_path / "both.geojson", ("A", {**span, "times": listed}))
    res = read_tracks(both)
    assert res.frame["time"].dt.hour.tolist() == [1, 2, 3]  # the list, not the span
    assert any("read from 'times'" in n for n in res.notes)
    assert not any("interpolated" in n for n in res.notes)
    # a layer mixing the three: each counted once
    mixed = route_layer(
        tmp_path / "mixed.geojson",
        ("A", {**span, "times": listed}),
        ("B", span),
        ("C", {}),
    )
    res = read_tracks(mixed)
    assert any("vertices of 1 route feature(s) read from 'times'" in n for n in res.notes)
    assert any("route times of 1 feature(s) interpolated" in n for n in res.notes)
    assert any("1 LineString route feature(s) without" in n for n in res.notes)


# ------------------------------------------------- 4. FIT's position_long is the longitude


def fit_records(path, lat_col, lon_col, lat, lon, extra=""):
    """A FIT activity's records as a FitCSVTool-style table (ISO times, one device)."""
    head = f"record.timestamp,{lat_col},{lon_col},record.enhanced_speed[m/s]{extra}"
    rows = [
        f"2024-03-01T00:{i:02d}:00Z,{a},{o},2.5{',7.5,Buoy' if extra else ''}"
        for i, (a, o) in enumerate(zip(lat, lon, strict=True))
    ]
    path.write_text("\n".join([head, *rows]) + "\n")
    return path


@pytest.mark.parametrize(
    "lat_col, lon_col",
    [
        ("record.position_lat[degrees]", "record.position_long[degrees]"),
        ("record.position_lat", "record.position_long"),
        ("position_lat", "position_long"),
    ],
)
def test_fit_position_long_is_the_longitude(tmp_path, lat_col, lon_col):
    """Before: 'record.position_long' named no longitude (refused: no lat/lon columns)."""
    lat = [60.0 + i * 0.001 for i in range(6)]
    lon = [5.0 + i * 0.002 for i in range(6)]
    # beside them, an accuracy in degrees and a long name: neither is the longitude
    path = fit_records(
        tmp_path / "activity.csv", lat_col, lon_col, lat, lon, ",longitude_error,long_name"
    )
    res = read_tracks(TrackSource(path=path, vessel_id="FR945"))
    cols = res.assumptions["columns"]
    assert (cols["lat"]["column"], cols["lon"]["column"]) == (lat_col, lon_col)
    assert res.frame["lon"].tolist() == pytest.approx(lon)
    assert res.frame["lat"].tolist() == pytest.approx(lat)


def test_fit_semicircles_under_position_long_are_still_refused(tmp_path):
    deg = 2**31 / 180  # semicircles per degree
    lat = [round((60.0 + i * 0.001) * deg) for i in range(6)]
    lon = [round((5.0 + i * 0.002) * deg) for i in range(6)]
    path = fit_records(
        tmp_path / "activity.csv",
        "record.position_lat[semicircles]",
        "record.position_long[semicircles]",
        lat,
        lon,
    )
    with pytest.raises(InputError) as err:
        read_tracks(TrackSource(path=path, vessel_id="FR945"))
    assert "\n" not in str(err.value)
    # said as what they are: a projected crs (the hint for metres) would misread them
    assert "FIT semicircles" in str(err.value) and "set crs" not in str(err.value)


def test_fit_semicircles_without_a_unit_in_the_header_are_named_not_taken_for_metres(tmp_path):
    """``record.position_lat`` of 715827883 (60 degrees) was refused as projected metres with
    the advice to set a UTM crs, which would misread every position."""
    from pipeline.ingest import read_tracks
    from pipeline.ingest.options import TrackSource

    path = tmp_path / "activity.csv"
    path.write_text(
        "record.timestamp,record.position_lat,record.position_long\n"
        "2024-03-01T00:00:00Z,715827883,59652324\n"
        "2024-03-01T00:01:00Z,715828883,59653324\n"
        "2024-03-01T00:02:00Z,715829883,59654324\n"
    )
    with pytest.raises(InputError, match="FIT semicircles") as got:
        read_tracks(TrackSource(path=path, vessel_id="X"))
    assert "EPSG" not in str(got.value)
    # UTM metres (northings within 10,000 km) still get the metres advice
    utm = tmp_path / "utm.csv"
    utm.write_text(
        "id,time,northing,easting\n"
        "a,2024-03-01T00:00:00Z,5000000,500000\n"
        "a,2024-03-01T00:01:00Z,5000100,500100\n"
    )
    with pytest.raises(InputError, match="projected coordinates"):
        cols = {"vessel_id": "id", "lat": "northing", "lon": "easting", "time": "time"}
        read_tracks(TrackSource(path=utm, columns=cols))
