"""Every file of the adversarial corpus (tests/data/ingest, see its README) with its exact outcome."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from _corpus import CORPUS, IGNORE_PENDING_DEPRECATION

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import (
    RasterSource,
    SeizureSource,
    TrackSource,
    describe_raster,
    open_raster,
    read_seizures,
    read_tracks,
)
from pipeline.ingest.seizures import COMMODITY_ORIGINAL
from pipeline.schema import PING_COLUMNS, REJECT_COLUMNS, SEIZURE_COLUMNS

pytestmark = IGNORE_PENDING_DEPRECATION
AS_OF = "2024-06-30"

# file -> (records read, accepted, rejects by rule)
SEIZURE_CASES = {
    "s_basic.csv": (5, 5, {}),
    "s_tab.tsv": (2, 2, {}),
    # Dutch headers (datum, breedtegraad, lengtegraad) are recognised since issue 11.
    "s_semicolon_decimal_comma.csv": (3, 3, {}),
    "s_bom_utf8.csv": (2, 2, {}),
    "s_cp1252.csv": (2, 2, {}),
    "s_utf16.csv": (2, 2, {}),
    "s_missing_tokens.csv": (7, 2, {"coord_missing": 4, "date_missing": 1}),
    "s_dms.csv": (7, 4, {"coord_unparseable": 2, "latlon_swapped": 1}),
    "s_dms_pair.csv": (4, 3, {"coord_missing": 1}),
    "s_dates_mixed.csv": (11, 8, {"date_missing": 1, "date_unparseable": 2}),
    "s_future.csv": (4, 2, {"after_as_of": 1, "date_future": 1}),
    "s_out_of_range.csv": (
        5,
        2,
        {"lat_out_of_range": 1, "latlon_swapped": 1, "lon_out_of_range": 1},
    ),
    "s_null_island.csv": (4, 2, {"null_island": 2}),
    "s_swapped.csv": (4, 1, {"latlon_swapped": 3}),
    "s_duplicates.csv": (5, 3, {"duplicate": 2}),
    "s_quantity.csv": (
        6,
        3,
        {"quantity_negative": 1, "quantity_not_finite": 1, "quantity_unparseable": 1},
    ),
    "s_huge_values.csv": (
        5,
        1,
        {"lat_out_of_range": 1, "lon_out_of_range": 2, "quantity_not_finite": 1},
    ),
    "s_html_js.csv": (3, 3, {}),
    "s_ragged.csv": (4, 2, {"ragged_row": 2}),
    "s_header_only.csv": (0, 0, {}),
    "s_blank_lines_multiline.csv": (4, 2, {"lat_out_of_range": 1, "null_island": 1}),
    "s_aoi.csv": (4, 4, {}),
    "s_points.geojson": (
        6,
        2,
        {"geometry_invalid": 1, "geometry_missing": 1, "geometry_not_point": 2},
    ),
    "s_points.gpkg": (4, 2, {"null_island": 1, "quantity_negative": 1}),
    "s_points.parquet": (4, 2, {"null_island": 1, "quantity_negative": 1}),
    "s_points_shp.zip": (4, 2, {"null_island": 1, "quantity_negative": 1}),
    "s_polygons.gpkg": (2, 1, {"geometry_not_point": 1}),
    "s_seizures.xlsx": (4, 3, {"date_missing": 1}),
}

SEIZURE_ERRORS = {
    "s_empty.csv": (SourceUnreadable, "is empty"),
    "s_html_page.csv": (SourceUnreadable, "looks like HTML"),
    "s_no_coords.csv": (InputError, "no coordinate columns"),
    "s_dates_ambiguous.csv": (InputError, "set dayfirst"),
    "s_corrupt.gpkg": (SourceUnreadable, "s_corrupt.gpkg: cannot read as gpkg"),
    "s_truncated.xlsx": (SourceUnreadable, "s_truncated.xlsx"),
    "s_projected_utm.csv": (InputError, "hold projected coordinates"),
}

TRACK_CASES = {
    # file -> (read, accepted, by_rule, vessels)
    "t_generic.csv": (6, 5, {"position_unavailable": 1}, 2),
    "t_dma.csv": (5, 2, {"mmsi_not_vessel": 2, "position_unavailable": 1}, 1),
    "t_marinecadastre.csv": (
        8,
        3,
        {"mmsi_invalid": 1, "mmsi_not_vessel": 3, "vessel_missing": 1},
        2,
    ),
    "t_speed_antimeridian.csv": (9, 7, {"impossible_speed": 2}, 2),
    "t_duplicates_timezones.csv": (
        6,
        2,
        {"duplicate": 2, "time_missing": 1, "time_unparseable": 1},
        1,
    ),
    "t_tracks.gpx": (7, 6, {"time_missing": 1}, 2),
    "t_routes.geojson": (5, 5, {}, 2),
    "t_points.gpkg": (4, 4, {}, 2),
    "t_points.parquet": (4, 4, {}, 2),
}

RASTER_ERRORS = {
    "r_no_crs.tif": (InputError, "has no CRS"),
    "r_no_latlon.nc": (InputError, "expected latitude and longitude"),
    "r_not_a_tiff.tif": (SourceUnreadable, "not a GeoTIFF"),
    "r_truncated.tif": (SourceUnreadable, "truncated"),
}


#: The files this module covers; test_ingest_real_shapes covers the rest of the corpus and
#: checks that together they cover every file.
COVERED = (
    set(SEIZURE_CASES)
    | set(SEIZURE_ERRORS)
    | set(TRACK_CASES)
    | set(RASTER_ERRORS)
    | {
        "t_empty.csv",
        "r_4326_nodata.tif",
        "r_utm_2band.tif",
        "r_custom_crs.tif",
        "r_cf_0360_packed.nc",
    }
)


def test_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.suffix != ".py" and p.name != "README.md"}
    assert COVERED <= files
    assert len(files) >= 40
    readme = (CORPUS / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in files)


def _check_result(res, n_read, accepted, by_rule, columns):
    assert res.n_read == n_read
    assert len(res.frame) == accepted
    assert res.by_rule == by_rule
    assert list(res.frame.columns) == list(columns)
    assert list(res.rejects.columns) == list(REJECT_COLUMNS)
    assert len(res.rejects) == sum(by_rule.values())
    assert len(res.frame) + len(res.rejects) == res.n_read  # nothing lost
    assert res.rejects["rule"].notna().all() and (res.rejects["message"] != "").all()


@pytest.mark.parametrize("name", sorted(SEIZURE_CASES))
def test_seizure_corpus(name):
    n_read, accepted, by_rule = SEIZURE_CASES[name]
    res = read_seizures(CORPUS / name, as_of=AS_OF)
    _check_result(res, n_read, accepted, by_rule, (*SEIZURE_COLUMNS, COMMODITY_ORIGINAL))
    f = res.frame
    if len(f):
        assert str(f["time"].dtype) == "datetime64[ns, UTC]"
        assert f["lat"].between(-90, 90).all() and f["lon"].between(-180, 180).all()
        assert (f["source_file"] == name).all()


@pytest.mark.parametrize("name", sorted(SEIZURE_ERRORS))
def test_seizure_corpus_errors(name):
    cls, text = SEIZURE_ERRORS[name]
    with pytest.raises(cls, match=None) as info:
        read_seizures(CORPUS / name)
    assert text in str(info.value)
    assert name in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", sorted(TRACK_CASES))
def test_track_corpus(name):
    n_read, accepted, by_rule, vessels = TRACK_CASES[name]
    res = read_tracks(CORPUS / name)
    _check_result(res, n_read, accepted, by_rule, PING_COLUMNS)
    f = res.frame
    assert f["vessel_id"].nunique() == vessels
    key = f.assign(t=f["time"].fillna(pd.Timestamp.max.tz_localize("UTC")))
    assert key.equals(key.sort_values(["vessel_id", "t"], kind="stable"))


def test_track_empty_file():
    with pytest.raises(SourceUnreadable, match="t_empty.csv: file is empty"):
        read_tracks(CORPUS / "t_empty.csv")


@pytest.mark.parametrize("name", sorted(RASTER_ERRORS))
def test_raster_corpus_errors(name):
    cls, text = RASTER_ERRORS[name]
    with pytest.raises(cls) as info:
        open_raster(CORPUS / name)
    assert text in str(info.value) and name in str(info.value)


# ---------------------------------------------------------------- values, not just counts


def test_basic_values_and_utc():
    f = read_seizures(CORPUS / "s_basic.csv").frame
    assert f["time"].iloc[3] == pd.Timestamp("2023-02-28T17:00:00Z")  # +07:00 -> UTC
    assert f["commodity"].tolist()[:2] == ["cocaine", "heroin"]
    assert f["quantity"].tolist() == [120, 5.5, 40, 300, 1500]
    assert f["note"].iloc[1] == "" and f["agency"].iloc[4] == "Guardia Civil"
    assert f["source_row"].tolist() == [2, 3, 4, 5, 6]


def test_decimal_comma_with_column_override():
    src = SeizureSource(
        path=CORPUS / "s_semicolon_decimal_comma.csv",
        columns={"lat": "breedtegraad", "lon": "lengtegraad", "time": "datum"},
    )
    res = read_seizures(src)
    assert len(res.frame) == 3 and res.by_rule == {}
    assert res.frame["lat"].tolist() == [51.95, 51.90, 51.22]
    assert res.frame["quantity"].tolist() == [12.5, 1200.75, 3.0]


def test_encodings_keep_accents():
    res = read_seizures(CORPUS / "s_cp1252.csv")
    assert res.frame["agency"].tolist() == ["Almería", "Málaga"]
    assert res.frame["note"].iloc[0] == "coste 5 000 €"
    assert any("cp1252" in n for n in res.notes)
    bom = read_seizures(CORPUS / "s_bom_utf8.csv")
    assert bom.frame["agency"].iloc[0] == "Guardia Civil – Almería"
    assert not any("cp1252" in n for n in bom.notes)


def test_dms_values():
    f = read_seizures(CORPUS / "s_dms.csv").frame
    np.testing.assert_allclose(f["lat"], [13 + 43 / 60, -(13 + 43 / 60 + 30 / 3600), 5.5, -12.5])
    np.testing.assert_allclose(
        f["lon"], [121 + 2 / 60, -(121 + 2 / 60 + 30 / 3600), 100 + 15.5 / 60, 45.25]
    )
    rej = read_seizures(CORPUS / "s_dms.csv").rejects
    swapped = rej[rej["rule"] == "latlon_swapped"]
    assert swapped["row"].tolist() == [8] and "swapped" in swapped["message"].iloc[0]


def test_dms_pair_values():
    f = read_seizures(CORPUS / "s_dms_pair.csv").frame
    np.testing.assert_allclose(f["lat"], [13 + 43 / 60, -(6 + 10 / 60), 13.5])
    np.testing.assert_allclose(f["lon"], [121 + 2 / 60, 106 + 49 / 60, 121.25])


def test_mixed_dates_values():
    res = read_seizures(CORPUS / "s_dates_mixed.csv")
    t = res.frame["time"].dt.strftime("%Y-%m-%d").tolist()
    assert t == [
        "2020-12-25",
        "2020-12-25",
        "2020-12-26",
        "2020-12-25",
        "2020-12-25",
        "2020-01-01",
        "2020-01-12",
        "2020-12-25",
    ]
    assert any("precision: year" in n for n in res.notes)
    assert any("mixes day-first (2) and month-first (1)" in n for n in res.notes)
    rows = res.rejects.set_index("row")["rule"].to_dict()
    assert rows == {10: "date_unparseable", 11: "date_missing", 12: "date_unparseable"}


@pytest.mark.parametrize(("dayfirst", "month"), [(True, 4), (False, 3)])
def test_ambiguous_dates_follow_config(dayfirst, month):
    res = read_seizures(SeizureSource(path=CORPUS / "s_dates_ambiguous.csv", dayfirst=dayfirst))
    assert res.frame["time"].dt.month.iloc[0] == month
    assert any("decided by config" in n for n in res.notes)
    assert res.assumptions["dates"]["order_by"] == "config"


def test_ambiguous_dates_without_dayfirst_are_refused_not_guessed():
    # Issue 11: the old expectation (read day-first with a note) was a silent guess.
    with pytest.raises(InputError, match=r"column 'date': 2 date\(s\) such as \['03/04/2020'"):
        read_seizures(CORPUS / "s_dates_ambiguous.csv")


def test_future_boundary_is_end_of_as_of_day():
    res = read_seizures(CORPUS / "s_future.csv", as_of=dt.date(2024, 6, 30))
    assert res.rejects["row"].tolist() == [4, 5]
    # 2024-07-01 is real, only after the map's day; 2099 cannot have happened yet
    assert res.rejects["rule"].tolist() == ["after_as_of", "date_future"]
    assert read_seizures(CORPUS / "s_future.csv").by_rule == {}  # no as_of, no check


def test_swapped_says_how_to_fix():
    res = read_seizures(CORPUS / "s_swapped.csv")
    assert "set columns: {lat: 'lon', lon: 'lat'}" in res.rejects["message"].iloc[0]
    assert any("evidently swapped" in n for n in res.notes)
    fixed = read_seizures(
        SeizureSource(path=CORPUS / "s_swapped.csv", columns={"lat": "lon", "lon": "lat"})
    )
    assert len(fixed.frame) == 4


def test_html_kept_verbatim_as_text():
    f = read_seizures(CORPUS / "s_html_js.csv").frame
    assert f["note"].iloc[0] == "<script>alert('x')</script>"
    assert f["commodity"].iloc[0] == "<img src=x onerror=alert(1)>"
    assert f["agency"].iloc[2] == 'O\'Brien "Unit"'


def test_ragged_rows_report_lines():
    rej = read_seizures(CORPUS / "s_ragged.csv").rejects
    assert rej["row"].tolist() == [3, 4]
    assert rej["message"].tolist() == [
        "line has 6 fields, header has 4",
        "line has 2 fields, header has 4",
    ]


def test_line_numbers_with_blank_lines_and_multiline_values():
    res = read_seizures(CORPUS / "s_blank_lines_multiline.csv")
    assert res.frame["source_row"].tolist() == [2, 6]
    assert res.rejects["row"].tolist() == [5, 9]
    assert res.frame["note"].iloc[1] == "a\n\nb"


def test_projected_csv_with_crs():
    with pytest.raises(InputError, match="set crs"):
        read_seizures(CORPUS / "s_projected_utm.csv")
    res = read_seizures(SeizureSource(path=CORPUS / "s_projected_utm.csv", crs="EPSG:32633"))
    assert res.by_rule == {}
    np.testing.assert_allclose(res.frame["lon"].iloc[0], 15.0, atol=1e-6)
    np.testing.assert_allclose(res.frame["lat"].iloc[0], 42.0, atol=1e-3)


def test_aoi_across_antimeridian():
    res = read_seizures(CORPUS / "s_aoi.csv", aoi_bbox=(170, 0, -170, 20))
    assert res.frame["lon"].tolist() == [179.5, -179.5]
    assert res.by_rule == {"outside_aoi": 2}


def test_polygons_to_points():
    res = read_seizures(SeizureSource(path=CORPUS / "s_polygons.gpkg", polygons_to_points=True))
    assert len(res.frame) == 2 and res.by_rule == {}
    assert 100 < res.frame["lon"].iloc[0] < 101


def test_shapefile_is_reprojected():
    f = read_seizures(CORPUS / "s_points_shp.zip").frame
    np.testing.assert_allclose(f["lon"], [100.0, 101.0], atol=1e-9)
    np.testing.assert_allclose(f["lat"], [10.0, 11.0], atol=1e-9)


def test_excel_values():
    f = read_seizures(CORPUS / "s_seizures.xlsx").frame
    assert f["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2023-01-01 00:00",
        "2023-01-02 10:30",
        "2023-01-15 00:00",
    ]
    np.testing.assert_allclose(f["lat"], [10, 11, 12.5])
    assert f["commodity"].tolist() == ["cocaine", "unknown", "heroin"]
    assert np.isnan(f["quantity"].iloc[2])


# ---------------------------------------------------------------- tracks: values


def test_generic_ais_sentinels_and_order():
    f = read_tracks(CORPUS / "t_generic.csv").frame
    v1 = f[f["vessel_id"] == "235000001"]
    assert v1["time"].dt.strftime("%H:%M").tolist() == ["00:00", "00:10", "00:30"]
    assert np.isnan(v1["sog_kn"].iloc[2]) and np.isnan(v1["cog_deg"].iloc[2])
    assert v1["sog_kn"].iloc[0] == 10.0


def test_dma_dayfirst_and_schema():
    res = read_tracks(CORPUS / "t_dma.csv")
    assert any("'dma'" in n for n in res.notes)
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-01", "2024-02-13"]
    msgs = " ".join(res.rejects["message"])
    assert "coast/base station" in msgs and "aid to navigation" in msgs


def test_marinecadastre_reasons():
    res = read_tracks(CORPUS / "t_marinecadastre.csv")
    assert any("'marinecadastre'" in n for n in res.notes)
    by_row = res.rejects.set_index("row")["message"].to_dict()
    assert "placeholder" in by_row[6] and "SAR aircraft" in by_row[8]
    assert "not 9 digits" in by_row[7]


def test_speed_and_antimeridian():
    res = read_tracks(CORPUS / "t_speed_antimeridian.csv")
    assert res.rejects["row"].tolist() == [4, 7]
    hop = res.frame[res.frame["vessel_id"] == "538000001"]
    assert len(hop) == 3  # crossing 180° is a 6 km hop, not a trip around the globe
    strict = read_tracks(CORPUS / "t_speed_antimeridian.csv", max_speed_kn=5)
    assert strict.by_rule.get("impossible_speed", 0) > 2


def test_timezones_to_utc():
    f = read_tracks(CORPUS / "t_duplicates_timezones.csv").frame
    assert f["time"].tolist() == [
        pd.Timestamp("2024-05-01T00:00Z"),
        pd.Timestamp("2024-05-01T00:10Z"),
    ]
    assert f["lat"].tolist() == [52.0, 52.01]


def test_gpx_tracks_and_untimed_route():
    res = read_tracks(CORPUS / "t_tracks.gpx")
    f = res.frame
    assert sorted(f["vessel_id"].unique()) == ["patrol-1", "planned"]
    assert f[f["vessel_id"] == "planned"]["time"].isna().all()
    assert f[f["vessel_id"] == "planned"]["lat"].tolist() == [11.0, 11.1, 11.2]
    assert any("waypoint" in n for n in res.notes)


def test_routes_interpolated_times():
    f = read_tracks(CORPUS / "t_routes.geojson").frame
    r1 = f[f["vessel_id"] == "R1"]
    assert r1["time"].dt.strftime("%H:%M").tolist() == ["00:00", "00:40", "02:00"]
    assert f[f["vessel_id"] == "R2"]["time"].isna().all()


def test_points_gpkg_reprojected():
    f = read_tracks(CORPUS / "t_points.gpkg").frame
    np.testing.assert_allclose(f["lon"].iloc[:3], [5.0, 5.01, 5.02], atol=1e-6)
    assert np.isnan(f["sog_kn"].iloc[3])


def test_vessel_id_override():
    res = read_tracks(
        TrackSource(path=CORPUS / "t_duplicates_timezones.csv", columns={"vessel_id": "MMSI"})
    )
    assert res.frame["vessel_id"].unique().tolist() == ["244000001"]


# ---------------------------------------------------------------- rasters: values


def test_geotiff_nodata_masked():
    da = open_raster(CORPUS / "r_4326_nodata.tif")
    assert da.dims == ("band", "y", "x") and da.dtype.kind == "f"
    d = describe_raster(da)
    assert d["crs"] == "EPSG:4326" and d["shape"] == [1, 20, 30]
    assert d["valid_fraction"] == pytest.approx(1 - 26 / 600)
    assert d["bounds"] == [100.0, 13.0, 103.0, 15.0]


def test_no_crs_with_config_crs():
    da = open_raster(RasterSource(path=CORPUS / "r_no_crs.tif", crs="EPSG:4326"))
    assert describe_raster(da)["bounds"] == [100.0, 13.0, 103.0, 15.0]


def test_projected_and_custom_crs_land_in_place():
    d = describe_raster(open_raster(CORPUS / "r_utm_2band.tif"))
    assert d["crs"] == "EPSG:32647" and d["bands"] == 2
    assert 98.9 < d["bounds"][0] < 99.1 and 14.8 < d["bounds"][1] < 15.1
    d = describe_raster(open_raster(CORPUS / "r_custom_crs.tif"))
    assert d["bounds"][0] == pytest.approx(10.0, abs=1e-6)
    assert d["bounds"][3] == pytest.approx(52.0, abs=1e-6)
    one = open_raster(RasterSource(path=CORPUS / "r_utm_2band.tif", band=2))
    assert one.sizes["band"] == 1
    with pytest.raises(InputError, match="band 3"):
        open_raster(RasterSource(path=CORPUS / "r_utm_2band.tif", band=3))


def test_netcdf_cf_wrap_flip_unpack_time():
    da = open_raster(CORPUS / "r_cf_0360_packed.nc")
    assert da.dims == ("band", "y", "x")
    x = da["x"].to_numpy()
    assert x.min() == -180 and x.max() == 170 and np.all(np.diff(x) > 0)
    assert da["y"].to_numpy()[0] == 5.0  # north-up
    vals = da.to_numpy()
    assert np.nanmax(vals) == 3.0  # latest step, unpacked from int16*0.5+1
    assert np.isnan(vals[0, -1, x.tolist().index(0.0)])  # the fill value at lat -5, lon 0
    day = open_raster(RasterSource(path=CORPUS / "r_cf_0360_packed.nc", time=dt.date(2024, 1, 2)))
    assert np.nanmax(day.to_numpy()) == 2.0
    for agg, expect in [("mean", 2.0), ("sum", 6.0), ("max", 3.0)]:
        w = open_raster(
            RasterSource(
                path=CORPUS / "r_cf_0360_packed.nc",
                time={"start": "2024-01-01", "end": "2024-01-03", "aggregate": agg},
            ),
            memory_budget_mb=0.001,
        )
        assert np.nanmax(w.to_numpy()) == expect
        assert np.isnan(w.to_numpy()[0, -1, x.tolist().index(0.0)])
    with pytest.raises(InputError, match="no time step on '2025-01-01'"):
        open_raster(RasterSource(path=CORPUS / "r_cf_0360_packed.nc", time=dt.date(2025, 1, 1)))
