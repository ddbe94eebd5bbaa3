"""Issue 11: the shapes real exports take, each with its exact outcome (tests/data/ingest).

Every class of silently wrong answer the issue lists has a file here: PostgreSQL/GeoPackage
short offsets, US month-first dates, years outside the nanosecond range, time-of-day columns,
tokenised and content-recognised headers, a bus feed whose id is unique per row, categories
spelled several ways, DMS with 60 in a field, trailing delimiters, zipped inputs and zip
bombs, rasters without CRS or with impossible bounds, NetCDF with extra dimensions, context
layers.  The README of the corpus describes each file.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from _corpus import CORPUS, IGNORE_PENDING_DEPRECATION
from _property import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import (
    COMMODITY_ORIGINAL,
    ContextSource,
    RasterSource,
    SeizureSource,
    TrackSource,
    describe_raster,
    open_raster,
    raster_coverage,
    read_context,
    read_seizures,
    read_tracks,
    summarise_ingest,
)
from pipeline.ingest._dates import parse_times
from pipeline.ingest._quantity import parse_quantities
from pipeline.schema import PING_COLUMNS, REJECT_COLUMNS, SEIZURE_COLUMNS

pytestmark = IGNORE_PENDING_DEPRECATION
AS_OF = "2024-06-30"
UTC = "UTC"

# file -> (read, accepted, rejects by rule)
SEIZURES = {
    "s_pg_short_offset.csv": (5, 5, {}),
    "s_us_month_first.csv": (4, 4, {}),
    "s_old_years.csv": (7, 2, {"date_out_of_range": 5}),
    "s_time_of_day.csv": (8, 8, {}),
    "s_short_headers.csv": (2, 2, {}),
    "s_content_only.csv": (3, 3, {}),
    "s_asam_like.csv": (4, 3, {"coord_unparseable": 1}),
    "s_categories.csv": (7, 7, {}),
    "s_trailing_delimiter.csv": (3, 3, {}),
    "s_cr_only.csv": (2, 2, {}),
    "s_ctrl_z.csv": (2, 2, {}),
    "s_zipped_csv.zip": (4, 4, {}),
    "s_shp_no_prj.zip": (2, 2, {}),
    "s_yy_mm_dd.csv": (4, 4, {}),
    "s_quantity_units_in_values.csv": (4, 4, {}),
    "s_quantity_decimal_comma.csv": (3, 3, {}),
    "s_incidents.jsonl": (5, 3, {"latlon_swapped": 1, "malformed_json": 1}),
    "s_basic.csv.bz2": (5, 5, {}),
    "s_incidents.kml": (4, 3, {"geometry_missing": 1}),
    "s_incidents.kmz": (4, 3, {"geometry_missing": 1}),
}
SEIZURE_ERRORS = {
    "s_us_undecided.csv": (InputError, "could be day-first or month-first and no value decides"),
    "s_dates_both_ways.csv": (InputError, "values decide both ways (1 day-first, 1 month-first)"),
    "s_content_ambiguous.csv": (InputError, "the numeric columns ['a', 'b'] do not decide"),
    "s_zip_two_tables.zip": (SourceUnreadable, "holds 2 data files ['a.csv', 'b.csv']"),
    "s_yy_mm_dd_mixed.csv": (InputError, "mixes year-first (yy-mm-dd) and day/month-first"),
    "s_quantity_undecided.csv": (InputError, "such as ['1,200'] could be thousands"),
    "s_two_layers.gpkg": (
        SourceUnreadable,
        "holds 2 layers ['seizures_2023', 'seizures_2024']; set layer: to the one to read",
    ),
}
# file -> (read, accepted, rejects by rule, vessels)
TRACKS = {
    # raw AIS: no moment on any line (a sentence alone has none); a tag block's checksum
    # damaged on line 1 (its moment may be wrong), a sound one on line 2
    "t_raw_nmea.nmea": (2, 0, {"nmea_no_time": 2}, 0),
    "t_raw_nmea_tagged.txt": (2, 1, {"nmea_checksum": 1}, 1),
    "t_bus_polls.csv": (6, 6, {}, 2),
    "t_track_no.csv": (4, 4, {}, 2),
    "t_date_time_columns.csv": (3, 3, {}, 1),
    "t_marinecadastre_snake.csv": (3, 3, {}, 2),
    "t_gpx_zones.gpx": (3, 3, {}, 1),
    "t_gx_track.kml": (2, 2, {}, 1),
    "t_dma_zipped.zip": (5, 2, {"mmsi_not_vessel": 2, "position_unavailable": 1}, 1),
    "t_id_by_content.csv": (4, 4, {}, 2),
    "t_barentswatch.jsonl": (
        7,
        4,
        {"coord_missing": 1, "malformed_json": 1, "not_a_json_object": 1},
        2,
    ),
    "t_api_array.json": (4, 4, {}, 2),
    "t_marinecadastre.csv.gz": (
        8,
        3,
        {"mmsi_invalid": 1, "mmsi_not_vessel": 3, "vessel_missing": 1},
        2,
    ),
}
TRACK_ERRORS = {
    "t_bus_snapshot.csv": "refused: 'vehicle_id' (a different value on every row (4 of 4): a "
    "record id); columns whose values repeat across rows: ['route_id']",
    "t_record_id.csv": "'id' (a different value on every row (3 of 3): a record id); no column "
    "has values that repeat across rows",
}
#: Files that are not position tables yet: refused with what to do.
TRACK_UNREADABLE = {
    "t_kml_places.kml": "holds no track (gx:Track): its 1 placemark(s) are places",
}
RASTERS = {
    "r_metres_no_crs.tif",
    "r_impossible_bounds.tif",
    "r_all_nodata.tif",
    "r_far_away.tif",
    "r_packed_int16.tif",
    "r_undeclared_9999.tif",
    "r_nc_time_level.nc",
    "r_nc_three_dims.nc",
    "r_nc_metres_no_crs.nc",
}
CONTEXT = {
    # file -> (kind, read, accepted, by_rule)
    "c_ports.csv": ("ports", 4, 2, {"coord_missing": 1, "lat_out_of_range": 1}),
    "c_lanes.geojson": ("lanes", 4, 2, {"geometry_missing": 1, "geometry_wrong_type": 1}),
    "c_land_shp.zip": ("land", 2, 2, {}),
}
CONTEXT_ERRORS = {"c_lanes_wkt.csv": "lanes", "c_land_no_prj.zip": "land"}
OTHER = {"s_zip_bomb.zip", "s_gzip_bomb.csv.gz"}

NEW_FILES = (
    set(SEIZURES)
    | set(SEIZURE_ERRORS)
    | set(TRACKS)
    | set(TRACK_ERRORS)
    | set(TRACK_UNREADABLE)
    | RASTERS
    | set(CONTEXT)
    | set(CONTEXT_ERRORS)
    | OTHER
)


def test_whole_corpus_is_covered_and_documented():
    from test_ingest_corpus import COVERED

    files = {p.name for p in CORPUS.iterdir() if p.suffix != ".py" and p.name != "README.md"}
    assert files == COVERED | NEW_FILES
    readme = (CORPUS / "README.md").read_text()
    missing = [name for name in files if f"`{name}`" not in readme]
    assert not missing


def _accounted(res, n_read, accepted, by_rule):
    assert (res.n_read, len(res.frame), res.by_rule) == (n_read, accepted, by_rule)
    assert len(res.frame) + len(res.rejects) == res.n_read
    assert list(res.rejects.columns) == list(REJECT_COLUMNS)
    for col in ("source_file", "row", "rule", "message"):
        assert res.rejects[col].notna().all()
    json.dumps(res.assumptions, allow_nan=False)


@pytest.mark.parametrize("name", sorted(SEIZURES))
def test_seizure_shapes(name):
    res = read_seizures(CORPUS / name, as_of=AS_OF)
    _accounted(res, *SEIZURES[name])
    assert list(res.frame.columns) == [*SEIZURE_COLUMNS, COMMODITY_ORIGINAL]
    assert str(res.frame["time"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize("name", sorted(SEIZURE_ERRORS))
def test_seizure_shapes_refused(name):
    cls, text = SEIZURE_ERRORS[name]
    with pytest.raises(cls) as info:
        read_seizures(CORPUS / name)
    msg = str(info.value)
    assert text in msg and name in msg and "\n" not in msg


@pytest.mark.parametrize("name", sorted(TRACKS))
def test_track_shapes(name):
    n_read, accepted, by_rule, vessels = TRACKS[name]
    res = read_tracks(CORPUS / name)
    _accounted(res, n_read, accepted, by_rule)
    assert list(res.frame.columns) == list(PING_COLUMNS)
    assert res.frame["vessel_id"].nunique() == vessels


@pytest.mark.parametrize("name", sorted(TRACK_UNREADABLE))
def test_undecoded_ais_is_refused_with_what_to_do(name):
    with pytest.raises(SourceUnreadable) as info:
        read_tracks(CORPUS / name)
    assert TRACK_UNREADABLE[name] in str(info.value)


@pytest.mark.parametrize("name", sorted(TRACK_ERRORS))
def test_track_id_unique_per_row_is_refused(name):
    with pytest.raises(InputError) as info:
        read_tracks(CORPUS / name)
    assert TRACK_ERRORS[name] in str(info.value)
    assert "set columns: {vessel_id: ...}" in str(info.value)


# ------------------------------------------------------------------ dates, exact values


def test_postgres_short_offsets_are_offsets_not_day_month():
    res = read_seizures(CORPUS / "s_pg_short_offset.csv")
    assert res.frame["time"].tolist() == [
        pd.Timestamp("2008-12-11 04:42:14", tz=UTC),
        pd.Timestamp("2008-12-10 23:12:14", tz=UTC),  # +0530
        pd.Timestamp("2008-12-11 12:42:14", tz=UTC),  # -08
        pd.Timestamp("2008-12-11 04:42:14.250", tz=UTC),
        pd.Timestamp("2008-12-10 23:12:14", tz=UTC),  # +05:30
    ]
    a = res.assumptions
    assert a["columns"]["time"]["column"] == "event_time_utc"
    assert a["columns"]["lat"]["column"] == "Latitude (WGS84)"
    assert a["time_zone"] == "5 value(s) name their zone or offset, or are epoch time (UTC)"


def test_us_month_first_decided_by_values_and_stated():
    res = read_seizures(CORPUS / "s_us_month_first.csv")
    assert res.frame["time"].tolist() == [
        pd.Timestamp("2018-02-01 17:30", tz=UTC),
        pd.Timestamp("2018-02-13 09:05", tz=UTC),
        pd.Timestamp("2018-12-31 23:59:59", tz=UTC),
        pd.Timestamp("2018-02-01 00:00", tz=UTC),
    ]
    dates = res.assumptions["dates"]
    assert (dates["order"], dates["order_by"]) == ("month-first", "values")
    assert "2 a second field > 12 (month-first)" in dates["order_evidence"]
    assert any("read month-first (decided by values" in n for n in res.notes)


def test_two_digit_years_written_first_are_proven_by_the_values_and_stated():
    res = read_seizures(CORPUS / "s_yy_mm_dd.csv")
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "1998-03-25 00:00",
        "2005-12-31 00:00",
        "2018-03-07 00:00",  # not 18 March 2007
        "2000-01-15 14:30",
    ]
    dates = res.assumptions["dates"]
    assert "4 date(s) read year-month-day" in dates["year_first"]
    assert "'98-03-25'" in dates["year_first"]
    assert any("read year-month-day with a two-digit year" in n for n in res.notes)


def test_year_first_beside_day_first_with_undecidable_dates_is_refused():
    with pytest.raises(InputError, match=r"mixes year-first .* \['18-03-07'\] could be either"):
        read_seizures(CORPUS / "s_yy_mm_dd_mixed.csv")


def test_two_digit_years_that_could_be_year_first_say_so():
    src = CORPUS / "s_us_month_first.csv"  # four-digit years: nothing to say
    assert "year_first_evidence" not in read_seizures(src).assumptions["dates"]
    res = parse_times(pd.Series(["18-03-25", "19-11-02"]), name="f", column="d")
    assert res.times.dt.strftime("%Y-%m-%d").tolist() == ["2025-03-18", "2002-11-19"]
    assert any("could also be yy-mm-dd; none is written year first" in n for n in res.notes)


def test_quantities_with_grouping_and_units_in_the_value_are_read_and_stated():
    res = read_seizures(CORPUS / "s_quantity_units_in_values.csv")
    assert res.frame["quantity"].tolist() == [1200.0, 0.5, 12000.0, 2500.0]
    q = res.assumptions["quantity_unit"]
    assert q["converted_to_kg"] == {"kg": 1, "g": 1, "t": 1}
    assert q["kept_as_reported"] == {"cartons": 1}
    assert q["number_format"]["decimal_mark"] == "." and q["number_format"]["grouped"] == 2
    assert any("1 quantit(ies) marked approximate" in n for n in res.notes)
    res = read_seizures(CORPUS / "s_quantity_decimal_comma.csv")
    assert res.frame["quantity"].tolist() == [1200.5, 1200.0, 300.0]
    assert res.frame["lat"].tolist() == [36.512, 36.7, 36.8]
    assert (
        "only a decimal comma explains"
        in res.assumptions["quantity_unit"]["number_format"]["decided_by"]
    )


@pytest.mark.parametrize(
    ("values", "file_decimal", "expected"),
    [
        (["1,200", "300"], ".", [1200.0, 300.0]),  # the coordinates decide
        (["1,200", "300"], ",", [1.2, 300.0]),
        (["1 200", "1\u202f200,5", "2,25"], None, [1200.0, 1200.5, 2.25]),
        (
            ["1.2E+03", "-3", "approx. 7", "ca. 8 kg", "1,20,0", "kg"],
            None,
            [1200, -3, 7, 8] + [np.nan] * 2,
        ),
    ],
)
def test_quantity_number_formats(values, file_decimal, expected):
    q, _, _ = parse_quantities(pd.Series(values), file_decimal=file_decimal)
    np.testing.assert_array_equal(q, np.asarray(expected, dtype="float64"))


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(st.integers(0, 10**12), min_size=1, max_size=20),
    st.sampled_from(["us", "eu", "space", "plain"]),
    st.sampled_from(["", " kg", " cartons"]),
)
def test_quantities_written_in_any_locale_read_back(cents, style, unit):
    """Two decimals in every value decide the mark, whatever the grouping."""
    us = [f"{c / 100:,.2f}" for c in cents]
    written = {
        "us": us,
        "eu": [v.replace(",", "_").replace(".", ",").replace("_", ".") for v in us],
        "space": [v.replace(",", "\u202f").replace(".", ",") for v in us],
        "plain": [f"{c / 100:.2f}" for c in cents],
    }[style]
    q, units, _ = parse_quantities(pd.Series([w + unit for w in written]))
    np.testing.assert_array_equal(q, np.asarray(cents, dtype="float64") / 100)
    assert set(units) == {unit.strip()}


def test_quantities_with_both_decimal_marks_are_refused():
    with pytest.raises(InputError, match="quantities use both decimal marks"):
        parse_quantities(pd.Series(["12,5", "2.5"]))


def test_dotted_dates_nothing_decides_are_day_first_by_convention_and_say_so():
    res = parse_times(pd.Series(["04.03.2021", "05.03.2021 14:30"]), name="f", column="Datum")
    assert res.times.dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2021-03-04 00:00",
        "2021-03-05 14:30",
    ]
    assert res.assumptions["order_by"].startswith("convention (dotted dates")
    assert any("decided by convention" in n for n in res.notes)
    # the values still decide when they can, and slashes beside dots get no convention
    got = parse_times(pd.Series(["04.03.2021", "03.13.2021"]), name="f", column="Datum")
    assert got.times.dt.strftime("%Y-%m-%d").tolist() == ["2021-04-03", "2021-03-13"]
    with pytest.raises(InputError, match="no value decides"):
        parse_times(pd.Series(["04.03.2021", "05/03/2021"]), name="f", column="Datum")


def test_undecided_dates_follow_dayfirst_when_given():
    src = SeizureSource(path=CORPUS / "s_us_undecided.csv", dayfirst=False)
    res = read_seizures(src)
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2018-02-01 17:30",
        "2018-02-03 05:30",
    ]
    assert res.assumptions["dates"]["order_by"] == "config"


def test_years_outside_the_range_have_their_own_rule_never_wrap_or_future():
    res = read_seizures(CORPUS / "s_old_years.csv", as_of=AS_OF)
    rules = res.rejects.set_index("value")["rule"].to_dict()
    assert rules == {
        "1583-05-01": "date_out_of_range",
        "1583": "date_out_of_range",
        "1677-09-21": "date_out_of_range",
        "2262-04-12": "date_out_of_range",
        "12 Jan 1583": "date_out_of_range",
    }
    assert res.frame["time"].tolist() == [
        pd.Timestamp("1677-09-22", tz=UTC),
        pd.Timestamp("2023-01-01", tz=UTC),
    ]


def test_time_of_day_column_is_combined_and_counted():
    res = read_seizures(CORPUS / "s_time_of_day.csv")
    assert res.frame["time"].dt.strftime("%m-%d %H:%M").tolist() == [
        "01-01 14:30",  # 14:30 UTC
        "01-02 14:30",  # 1430Z
        "01-03 14:30",  # 14:30, no zone: UTC
        "01-04 00:00",  # 0230 LT: local, no zone to convert: date only
        "01-05 14:30",  # 2:30 PM
        "01-06 00:00",  # 18:85 UTC is not a time
        "01-07 00:00",  # NA
        "01-08 11:30",  # 14:30 +03:00
    ]
    tod = res.assumptions["time_of_day"]
    assert tod == {
        "column": "time",
        "combined": 5,
        "zoned": 3,
        "naive_as_utc": 2,
        "local_not_combined": 1,
        "unparseable": 1,
    }
    assert res.assumptions["columns"]["time_of_day"]["column"] == "time"


def test_pirate_log_time_of_day(shared_data):
    res = read_seizures(shared_data / "events" / "pirate_attacks.csv", as_of="2021-01-01")
    tod = res.assumptions["time_of_day"]
    assert (tod["combined"], tod["zoned"], tod["unparseable"]) == (1148, 743, 1)
    t = res.frame["time"]
    assert ((t.dt.hour != 0) | (t.dt.minute != 0)).sum() >= 1100


# ------------------------------------------------------------------ columns


def test_short_and_decorated_headers_by_name():
    res = read_seizures(CORPUS / "s_short_headers.csv")
    cols = {k: v["column"] for k, v in res.assumptions["columns"].items()}
    assert cols == {
        "time": "ts",
        "lat": "y_coord",
        "lon": "x_coord",
        "commodity": "Hostility",
        "quantity": "Qty (kg)",
    }
    assert res.frame["quantity"].iloc[1] == 5.0


def test_columns_by_content_with_evidence():
    res = read_seizures(CORPUS / "s_content_only.csv")
    cols = res.assumptions["columns"]
    assert {k: (v["column"], v["by"]) for k, v in cols.items()} == {
        "time": ("c", "content"),
        "lon": ("a", "content"),
        "lat": ("b", "content"),
    }
    assert "beyond ±90" in cols["lon"]["evidence"]
    assert res.frame["lon"].tolist() == [120.5, 121.0, 119.8]


def test_override_wins_over_inference():
    src = SeizureSource(path=CORPUS / "s_content_ambiguous.csv", columns={"lat": "a", "lon": "b"})
    res = read_seizures(src)
    assert res.frame["lat"].tolist() == [14.2, 13.9]
    assert res.assumptions["columns"]["lat"] == {
        "column": "a",
        "by": "config",
        "evidence": "columns: {lat: 'a'}",
    }


def test_bus_feed_polls_real_id_speed_in_metres_per_second():
    res = read_tracks(CORPUS / "t_bus_polls.csv")
    assert res.assumptions["schema"] == "gtfs_rt"
    assert res.assumptions["columns"]["vessel_id"]["column"] == "vehicle_id"
    assert res.assumptions["speed_unit"]["unit"] == "m/s"
    np.testing.assert_allclose(res.frame["sog_kn"].iloc[0], 10 * 3600 / 1852)
    assert res.frame["time"].iloc[0] == pd.Timestamp(1527621900, unit="s", tz=UTC)


def test_bus_snapshot_with_a_constant_or_mapped_id():
    res = read_tracks(TrackSource(path=CORPUS / "t_bus_snapshot.csv", vessel_id="fleet"))
    assert res.frame["vessel_id"].unique().tolist() == ["fleet"]
    mapped = read_tracks(
        TrackSource(path=CORPUS / "t_bus_snapshot.csv", columns={"vessel_id": "vehicle_id"})
    )
    assert mapped.frame["vessel_id"].nunique() == 4


def test_vessel_id_by_content_when_no_header_names_one():
    res = read_tracks(CORPUS / "t_id_by_content.csv")
    e = res.assumptions["columns"]["vessel_id"]
    assert (e["column"], e["by"]) == ("k", "content")
    assert "2 distinct over 4 rows" in e["evidence"]
    assert any("vessel_id taken from column 'k' by its values" in n for n in res.notes)
    assert res.frame["vessel_id"].tolist() == ["A7", "A7", "B2", "B2"]


def test_track_no_and_kmh():
    f = read_tracks(CORPUS / "t_track_no.csv").frame
    assert f["vessel_id"].tolist() == ["7", "7", "8", "8"]
    np.testing.assert_allclose(f["sog_kn"], [10.0, 10.0, 0.0, 1.0])


def test_date_and_time_columns_in_tracks():
    res = read_tracks(CORPUS / "t_date_time_columns.csv")
    assert res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-02-01 00:10",
        "2024-02-13 00:20",
        "2024-02-13 00:30",
    ]
    assert res.assumptions["dates"]["order"] == "day-first"


def test_gpx_offsets_to_utc():
    f = read_tracks(CORPUS / "t_gpx_zones.gpx").frame
    assert f["time"].dt.strftime("%H:%M:%S.%f").tolist() == [
        "10:00:00.000000",
        "10:05:00.000000",
        "10:10:00.500000",
    ]


# ------------------------------------------------------------------ categories, DMS, text


def test_categories_normalised_original_kept():
    f = read_seizures(CORPUS / "s_categories.csv").frame
    assert f["commodity"].tolist() == [
        "pirates",
        "pirates",
        "pirates",
        "cocaína",
        "cocaína",
        "armed robbers",
        "unknown",
    ]
    assert f[COMMODITY_ORIGINAL].tolist()[:3] == ["PIRATES", "Pirates", "pirates"]
    assert f[COMMODITY_ORIGINAL].iloc[3] != f[COMMODITY_ORIGINAL].iloc[4]  # NFD vs NFC


def test_category_synonyms():
    src = SeizureSource(
        path=CORPUS / "s_categories.csv",
        synonyms={"Armed Robbers": "Robbery", "PIRATES": "piracy"},
    )
    res = read_seizures(src)
    assert res.frame["commodity"].value_counts().to_dict() == {
        "piracy": 3,
        "cocaína": 2,
        "robbery": 1,
        "unknown": 1,
    }
    assert res.assumptions["categories"]["synonyms_applied"] == {
        "armed robbers": "robbery",
        "pirates": "piracy",
    }


def test_asam_dms_with_sixty_and_hostility_categories():
    res = read_seizures(CORPUS / "s_asam_like.csv")
    np.testing.assert_allclose(res.frame["lat"], [-6.0, 1.0 + 15 / 60 + 60 / 3600, 1 + 10 / 60])
    np.testing.assert_allclose(res.frame["lon"], [105.5, 104 + 10 / 60, 104.0])
    assert res.frame["commodity"].tolist() == ["pirates", "pirates", "armed robbers"]
    bad = res.rejects.iloc[0]
    assert (bad["row"], bad["column"], bad["rule"]) == (4, "latitude", "coord_unparseable")
    assert "time_of_day" not in res.assumptions["columns"]  # 'reference' 2019-101 is no clock


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("s_trailing_delimiter.csv", "every line ends with ';'"),
        ("s_cr_only.csv", "CR only"),
        ("s_ctrl_z.csv", "Ctrl-Z"),
    ],
)
def test_last_record_kept(name, note):
    res = read_seizures(CORPUS / name)
    assert res.frame["source_row"].tolist() == list(range(2, 2 + len(res.frame)))
    assert res.frame["lon"].iloc[-1] in (100.5, 101.0)
    assert any(note in n for n in res.notes)


# ------------------------------------------------------------------ zips


def test_zipped_csv_reads_its_member():
    res = read_seizures(CORPUS / "s_zipped_csv.zip")
    assert res.assumptions["archive_member"]["member"] == "export/seizures.csv"
    assert res.source == "s_zipped_csv.zip"
    two = read_seizures(SeizureSource(path=CORPUS / "s_zip_two_tables.zip", member="b.csv"))
    assert len(two.frame) == 4


def test_zip_bomb_refused_without_expanding():
    with pytest.raises(
        SourceUnreadable, match=r"expands to 64 MiB, above ingest\.max_uncompressed_mb=16"
    ):
        read_seizures(CORPUS / "s_zip_bomb.zip", max_uncompressed_mb=16)


def test_compressed_files_are_read_bounded_and_like_the_plain_file(tmp_path):
    """``.csv.gz`` and friends: the same pings as the plain file, the codec stated; a gzip
    bomb is refused once it passes the bound (never expanded whole); a corrupt or truncated
    stream, a tar archive or a compressed GeoPackage end in one line."""
    import gzip
    import lzma

    plain, packed = (
        read_tracks(CORPUS / "t_marinecadastre.csv"),
        read_tracks(CORPUS / "t_marinecadastre.csv.gz"),
    )
    pd.testing.assert_frame_equal(plain.frame, packed.frame)
    assert packed.assumptions["compression"]["codec"] == "gzip"
    with pytest.raises(SourceUnreadable, match=r"expands to more than 16 MiB, above ingest"):
        read_seizures(CORPUS / "s_gzip_bomb.csv.gz", max_uncompressed_mb=16)
    xz = tmp_path / "seizures.csv.xz"
    xz.write_bytes(lzma.compress((CORPUS / "s_basic.csv").read_bytes()))
    assert len(read_seizures(xz).frame) == 5
    import pyarrow as pa

    with pa.CompressedOutputStream(str(tmp_path / "seizures.csv.zst"), "zstd") as out:
        out.write((CORPUS / "s_basic.csv").read_bytes())
    zst = read_seizures(tmp_path / "seizures.csv.zst")
    assert len(zst.frame) == 5 and zst.assumptions["compression"]["codec"] == "zstd"
    truncated = tmp_path / "ais.csv.gz"
    truncated.write_bytes((CORPUS / "t_marinecadastre.csv.gz").read_bytes()[:-12])
    with pytest.raises(SourceUnreadable, match="ais.csv.gz: cannot decompress"):
        read_tracks(truncated)
    for name, match in (
        ("ais.tar.gz", "a tar archive is not read"),
        ("ais.gpkg.gz", "gzip-compressed .gpkg"),
        ("ais.gz", "gzip-compressed a file"),
    ):
        (tmp_path / name).write_bytes(gzip.compress(b"x", mtime=0))
        with pytest.raises(SourceUnreadable, match=match):
            read_tracks(tmp_path / name)


def test_zipped_shapefile_without_prj_says_crs_assumed():
    res = read_seizures(CORPUS / "s_shp_no_prj.zip")
    assert res.frame["lon"].tolist() == [100.0, 101.0]
    assert res.assumptions["crs"]["by"] == "default"


def test_zipped_dma_day_first_by_schema():
    res = read_tracks(CORPUS / "t_dma_zipped.zip")
    assert res.assumptions["dates"]["order_by"] == "schema"
    assert res.frame["time"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-01", "2024-02-13"]


# ------------------------------------------------------------------ rasters


def test_raster_without_crs_in_metres_is_never_read_as_degrees():
    with pytest.raises(InputError, match="raster has no CRS.*never assumed"):
        open_raster(CORPUS / "r_metres_no_crs.tif")
    with pytest.raises(InputError, match="latitudes beyond ±90"):
        open_raster(RasterSource(path=CORPUS / "r_metres_no_crs.tif", crs="EPSG:4326"))
    da = open_raster(RasterSource(path=CORPUS / "r_metres_no_crs.tif", crs="EPSG:32633"))
    assert describe_raster(da)["bounds"][0] == pytest.approx(15.0, abs=1e-6)
    assert da.attrs["assumptions"]["crs"]["by"] == "config"
    with pytest.raises(InputError, match=r"coordinates \(x 500000\.\.504000.*not degrees"):
        open_raster(CORPUS / "r_nc_metres_no_crs.nc")
    nc = open_raster(RasterSource(path=CORPUS / "r_nc_metres_no_crs.nc", crs="EPSG:32633"))
    assert 14.9 < describe_raster(nc)["bounds"][0] < 15.1


def test_packed_raster_values_are_decoded_not_read_as_stored_integers():
    """A band scale and offset (MODIS NDVI's 0.0001, a reflectance's 2.75e-5 - 0.2): the
    stored integers are never taken for the values."""
    from pipeline.grid import points_to_cells
    from pipeline.zonal import zonal_stats_to_cells

    da = open_raster(CORPUS / "r_packed_int16.tif")
    values = da.values[0]
    assert np.isnan(values[0, 0])  # nodata stays missing
    assert values[0, 1] == pytest.approx(10 * 0.0001 + 0.5)
    assert values[9, 19] == pytest.approx(1990 * 0.0001 + 0.5)
    assert "band scales [0.0001], offsets [0.5]" in da.attrs["assumptions"]["scale_offset"]
    assert "scale_offset" in describe_raster(da)["assumptions"]
    cell = points_to_cells(np.array([101.05]), np.array([14.45]), 5)
    got = zonal_stats_to_cells(da, cell, stats=("mean",))
    assert 0.5 < float(got.iloc[0, -1]) < 0.7  # decoded values near the cell, not ~1000
    # a raster without packing says nothing about it
    assert "scale_offset" not in open_raster(CORPUS / "r_far_away.tif").attrs["assumptions"]


def test_undeclared_nodata_sentinel_is_refused_then_masked_when_named(capsys):
    """-9999 in 30 % of the cells and no nodata in the file: averaging it in would be a
    silent wrong value; the run is refused naming the fix, which then masks it."""
    path = CORPUS / "r_undeclared_9999.tif"
    with pytest.raises(InputError, match=r"60 of 200 cells hold -9999.*set nodata: -9999\.0"):
        raster_coverage(open_raster(path))
    da = open_raster(RasterSource(path=path, nodata=-9999))
    assert raster_coverage(da)["valid_fraction_in_area"] == pytest.approx(0.7)
    assert float(np.nanmin(da.values)) == 60.0
    assert da.attrs["assumptions"]["nodata"]["by"] == "config"
    code, out, err = _cli(capsys, "ingest", "raster", path)
    assert code == 2 and "--nodata -9999.0" in err and "\n" not in err.strip()
    code, out, _ = _cli(capsys, "ingest", "raster", path, "--nodata", "-9999")
    assert code == 0 and "nodata         -9999.0 (config" in out
    # a raster that declares its nodata, or holds no sentinel, is not questioned
    packed = raster_coverage(open_raster(CORPUS / "r_packed_int16.tif"))  # declares -32768
    assert packed["valid_fraction_in_area"] == pytest.approx(0.995)
    assert raster_coverage(open_raster(CORPUS / "r_far_away.tif"))["note"] is None


def test_impossible_bounds_one_line():
    with pytest.raises(InputError) as info:
        open_raster(CORPUS / "r_impossible_bounds.tif")
    msg = str(info.value)
    assert "r_impossible_bounds.tif" in msg and "latitudes beyond ±90" in msg
    assert "\n" not in msg and len(msg) < 300


def test_coverage_refusals_and_partial():
    with pytest.raises(InputError, match="every value is nodata"):
        raster_coverage(open_raster(CORPUS / "r_all_nodata.tif"))
    far = open_raster(CORPUS / "r_far_away.tif")
    with pytest.raises(InputError, match=r"do not overlap the area \(100, 0, 110, 10\)"):
        raster_coverage(far, (100, 0, 110, 10))
    assert raster_coverage(far)["note"] is None
    part = raster_coverage(open_raster(CORPUS / "r_4326_nodata.tif"), (101, 13, 110, 20))
    assert 0 < part["overlap_fraction"] < 0.1 and "covers 6%" in part["note"]
    across = raster_coverage(open_raster(CORPUS / "r_cf_0360_packed.nc"), (170, -5, -170, 5))
    assert across["overlap_fraction"] == pytest.approx(1.0)


def test_netcdf_extra_dimensions_by_value_or_index():
    default = open_raster(CORPUS / "r_nc_time_level.nc")
    assert default.sizes["band"] == 4  # level read as bands, time: latest
    assert default.attrs["assumptions"]["bands"] == "dimension 'level' read as bands"
    sel = open_raster(
        RasterSource(path=CORPUS / "r_nc_time_level.nc", select={"level": 850, "time": -1})
    )
    assert sel.sizes["band"] == 1 and float(sel.max()) == 300 + 85
    assert sel.attrs["assumptions"]["selection"] == {
        "level": "value 850 -> index 1 (850.0)",
        "time": "index -1 -> index 2 (2024-01-03)",
    }
    idx = open_raster(
        RasterSource(
            path=CORPUS / "r_nc_time_level.nc",
            select={"level": {"index": 0}, "time": "2024-01-02"},
        )
    )
    assert float(idx.max()) == 200 + 100
    with pytest.raises(InputError, match=r"select level: 925 matches no step.*\[1000\.0, 850\.0"):
        open_raster(RasterSource(path=CORPUS / "r_nc_time_level.nc", select={"level": 925}))
    with pytest.raises(InputError, match=r"select names \['depth'\]"):
        open_raster(RasterSource(path=CORPUS / "r_nc_time_level.nc", select={"depth": 1}))
    with pytest.raises(InputError, match=r"\{'member': 2, 'level': 4\}; pick one step"):
        open_raster(CORPUS / "r_nc_three_dims.nc")
    three = open_raster(
        RasterSource(path=CORPUS / "r_nc_three_dims.nc", select={"member": 1, "level": 500})
    )
    assert float(three.max()) == 300 + 50


def test_netcdf_opens_without_rioxarray_imported_first():
    code = (
        "import sys\n"
        "from pipeline.ingest import open_raster\n"
        "assert 'rioxarray' not in sys.modules, 'imported at package import'\n"
        f"da = open_raster({str(CORPUS / 'r_cf_0360_packed.nc')!r})\n"
        "print(da.rio.crs)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "EPSG:4326" in out.stdout


# ------------------------------------------------------------------ context layers


@pytest.mark.parametrize("name", sorted(CONTEXT))
def test_context_layers(name):
    kind, n_read, accepted, by_rule = CONTEXT[name]
    res = read_context(CORPUS / name, kind)
    _accounted(res, n_read, accepted, by_rule)
    assert res.frame.crs.to_epsg() == 4326
    assert list(res.frame.columns) == ["name", "source_file", "source_row", "geometry"]


def test_context_values():
    ports = read_context(CORPUS / "c_ports.csv", "ports").frame
    assert ports["name"].tolist() == ["Rotterdam", "Singapore"]
    assert ports.geometry.x.tolist() == [4.05, 103.84]
    land = read_context(CORPUS / "c_land_shp.zip", "land")
    assert land.assumptions["repaired_geometries"] == 1
    np.testing.assert_allclose(land.frame.geometry.iloc[0].bounds, (10, 10, 11, 11), atol=1e-9)
    assert land.frame.geometry.is_valid.all()


@pytest.mark.parametrize("name", sorted(CONTEXT_ERRORS))
def test_context_without_crs_refused_unless_given(name):
    kind = CONTEXT_ERRORS[name]
    with pytest.raises(InputError, match="never assumed|has no CRS"):
        read_context(CORPUS / name, kind)
    crs = "EPSG:4326" if name.endswith(".csv") else "EPSG:3857"
    res = read_context(ContextSource(path=CORPUS / name, kind=kind, crs=crs))  # type: ignore[arg-type]
    assert len(res.frame) == 2 if name.endswith(".csv") else len(res.frame) == 1


def test_context_from_shared_natural_earth(shared_data):
    land = read_context(shared_data / "context" / "ne_110m_land.json", "land")
    assert (land.n_read, len(land.frame)) == (127, 127)
    assert land.assumptions["repaired_geometries"] == 1
    coast = read_context(shared_data / "context" / "ne_110m_coastline.json", "land")
    # a coastline (lines) is a land layer for the distance to the coast, with a note
    assert (coast.n_read, len(coast.frame), coast.by_rule) == (134, 134, {})
    assert any("holds lines (a coastline)" in n for n in coast.notes)


def test_context_unknown_kind():
    with pytest.raises(InputError, match=r"one of \['land', 'lanes', 'ports'\]"):
        read_context(CORPUS / "c_ports.csv", "harbours")


# ------------------------------------------------------------------ summary and CLI


def test_summary_is_strict_json_with_assumptions(tmp_path):
    s = summarise_ingest("seizures", CORPUS / "s_quantity.csv", out_dir=tmp_path)
    text = json.dumps(s, allow_nan=False)
    assert '"assumptions"' in text and "NaN" not in text
    r = summarise_ingest("raster", CORPUS / "r_4326_nodata.tif", aoi_bbox=(101, 13, 110, 20))
    json.dumps(r, allow_nan=False)
    assert r["coverage"]["overlap_fraction"] < 0.1 and r["notes"]


def _cli(capsys, *args):
    from pipeline.cli import main

    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_ingest_columns_dayfirst_crs(capsys):
    code, out, err = _cli(capsys, "ingest", "seizures", CORPUS / "s_us_undecided.csv")
    assert code == 2 and "--dayfirst/--monthfirst" in err and "Traceback" not in err
    code, out, _ = _cli(
        capsys, "ingest", "seizures", CORPUS / "s_us_undecided.csv", "--monthfirst", "--json"
    )
    s = json.loads(out)
    assert code == 0 and s["accepted"] == 2 and s["assumptions"]["dates"]["order_by"] == "config"
    code, out, _ = _cli(
        capsys,
        "ingest",
        "seizures",
        CORPUS / "s_content_ambiguous.csv",
        "--columns",
        "lat=a,lon=b",
        "--json",
    )
    assert code == 0 and json.loads(out)["accepted"] == 2
    code, out, _ = _cli(
        capsys, "ingest", "raster", CORPUS / "r_metres_no_crs.tif", "--crs", "EPSG:32633"
    )
    assert code == 0 and "CRS            EPSG:32633" in out and "config" in out
    code, out, _ = _cli(
        capsys, "ingest", "raster", CORPUS / "r_nc_time_level.nc", "--select", "level=850,time=-1"
    )
    assert code == 0 and "selection" in out
    code, _, err = _cli(capsys, "ingest", "seizures", CORPUS / "s_basic.csv", "--columns", "lat")
    assert code == 2 and "NAME=COLUMN" in err


def test_cli_ingest_config_applies_that_inputs_options(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "area: {resolution: 5}\n"
        "inputs:\n"
        "  seizures:\n"
        f"    - path: {CORPUS / 's_content_ambiguous.csv'}\n"
        "      columns: {lat: a, lon: b}\n"
        f"    - path: {CORPUS / 's_us_undecided.csv'}\n"
        "      dayfirst: false\n"
    )
    code, out, err = _cli(
        capsys, "ingest", "seizures", CORPUS / "s_content_ambiguous.csv", "--config", cfg, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["assumptions"]["columns"]["lat"]["by"] == "config"
    code, out, err = _cli(
        capsys, "ingest", "seizures", CORPUS / "s_us_undecided.csv", "--config", cfg, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["assumptions"]["dates"]["order"] == "month-first"
    # the command line wins over the config
    code, out, err = _cli(
        capsys,
        "ingest",
        "seizures",
        CORPUS / "s_us_undecided.csv",
        "--config",
        cfg,
        "--dayfirst",
        "--json",
    )
    assert code == 0 and json.loads(out)["assumptions"]["dates"]["order"] == "day-first"


def test_human_summary_lists_assumptions(capsys):
    code, out, _ = _cli(capsys, "ingest", "seizures", CORPUS / "s_time_of_day.csv")
    assert code == 0
    assert "assumed:" in out and "time of day    'time': 5 combined" in out
    assert "column time_of_day  'time'" in out


def test_results_cached_before_assumptions_still_load():
    import pickle

    res = read_seizures(CORPUS / "s_basic.csv")
    state = dict(res.__dict__)
    del state["assumptions"]
    old = res.__class__.__new__(res.__class__)
    old.__setstate__(state)
    assert old.assumptions == {}
    assert pickle.loads(pickle.dumps(res)).assumptions == res.assumptions


def test_json_records_keep_their_text_and_physical_lines(tmp_path):
    """JSON numbers are read as written (an MMSI never becomes a float), nested objects are
    dotted columns, rejects name their physical line; a GeoJSON saved as .json stays GeoJSON;
    JSON Lines in a zip are read like the file."""
    import zipfile

    res = read_tracks(CORPUS / "t_barentswatch.jsonl")
    assert sorted(res.frame["vessel_id"].unique()) == ["257000001", "257000002"]
    assert res.rejects.set_index("rule")["row"].to_dict() == {
        "coord_missing": 5,
        "malformed_json": 6,
        "not_a_json_object": 7,
    }
    assert "delimiter" not in res.assumptions
    arr = read_tracks(CORPUS / "t_api_array.json")
    assert arr.assumptions["columns"]["lat"]["column"] == "position.lat"
    assert arr.assumptions["columns"]["vessel_id"]["column"] == "vessel.mmsi"
    from pipeline.ingest._json import read_json_records

    assert read_json_records(CORPUS / "t_api_array.json").lines.tolist() == [2, 8, 14, 15]
    sz = read_seizures(CORPUS / "s_incidents.jsonl", as_of="2024-06-30")
    assert sz.frame["quantity"].tolist()[:2] == [120.5, 15.0]
    # a FeatureCollection saved as .json is still GeoJSON
    fc = tmp_path / "points.json"
    fc.write_text((CORPUS / "s_points.geojson").read_text())
    assert len(read_seizures(fc, as_of="2030-01-01").frame) == len(
        read_seizures(CORPUS / "s_points.geojson", as_of="2030-01-01").frame
    )
    # zipped JSON Lines
    z = tmp_path / "feed.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("feed.jsonl", (CORPUS / "t_barentswatch.jsonl").read_bytes())
    zres = read_tracks(z)
    assert (zres.n_read, len(zres.frame)) == (7, 4)


def test_hostile_json_records_are_rejected_or_refused(tmp_path):
    deep = tmp_path / "deep.jsonl"
    deep.write_text(
        '{"mmsi": "257000001", "lat": 1, "lon": 1, "t": "2024-01-01T00:00:00Z"}\n'
        + "[" * 100_000
        + "\n"
        + '{"mmsi": "257000001", "lat": 1.01, "lon": 1, "t": "2024-01-01T00:10:00Z", "x": '
        + '{"a": ' * 50
        + "1"
        + "}" * 50
        + "}\n"
    )
    res = read_tracks(deep)
    assert res.n_read == 3 and len(res.frame) == 2, res.by_rule
    assert res.by_rule == {"malformed_json": 1}
    broken = tmp_path / "broken.json"
    broken.write_text('[\n {"a": 1},\n {"a": 2\n]\n')
    with pytest.raises(SourceUnreadable, match=r"broken.json: not a valid JSON array .* line 4"):
        read_seizures(broken, as_of="2030-01-01")
    scalars = tmp_path / "scalars.jsonl"
    scalars.write_text("1\n2\n")
    with pytest.raises(SourceUnreadable, match="no JSON object records found; line 1"):
        read_seizures(scalars, as_of="2030-01-01")


def test_json_lines_fast_path_keeps_lines_and_refuses_two_objects_on_one_line(tmp_path):
    from pipeline.ingest._json import read_json_records

    clean = tmp_path / "clean.jsonl"
    clean.write_text('\n{"a": 1, "b": true}\n\n{"a": 2.50, "c": {"d": null}}\n')
    t = read_json_records(clean)
    assert t.lines.tolist() == [2, 4] and t.n_bad == 0
    assert t.frame.to_dict("list") == {"a": ["1", "2.50"], "b": ["true", ""], "c.d": ["", ""]}
    two = tmp_path / "two.jsonl"
    two.write_text('{"a": 1}\n{"a": 2}, {"a": 3}\n')
    t = read_json_records(two)
    assert t.lines.tolist() == [1] and t.bad_rows["row"].tolist() == [2]
    assert t.bad_rows["rule"].tolist() == ["malformed_json"]


def test_kml_placemarks_of_every_folder_with_their_times_and_one_layer_by_name():
    """Every folder of a KML/KMZ is read (a folder is a layer to GDAL); TimeStamps are the
    dates; a GeoPackage of several layers is read only with ``layer`` set."""
    res = read_seizures(CORPUS / "s_incidents.kml", as_of="2024-06-30")
    assert sorted(res.frame["time"].dt.strftime("%Y-%m-%d %H:%M").tolist()) == [
        "2023-11-30 00:00",
        "2024-01-05 03:00",
        "2024-01-06 00:00",
    ]
    assert res.assumptions["columns"]["time"]["column"] == "timestamp"
    assert res.rejects["row"].tolist() == [3]  # the third placemark, in the first folder
    one = read_seizures(SeizureSource(path=CORPUS / "s_two_layers.gpkg", layer="seizures_2023"))
    assert (one.n_read, one.by_rule) == (2, {"quantity_negative": 1})  # that layer's rows only


def test_a_workbook_with_records_in_several_sheets_needs_sheet(tmp_path):
    """Yearly sheets: reading the first would drop the others without a word."""
    from openpyxl import Workbook

    wb = Workbook()
    first = wb.active
    first.title = "2023"
    for row in (["date", "lat", "lon"], ["2023-01-01", 10.0, -61.0], ["2023-02-01", 10.5, -61.5]):
        first.append(row)
    second = wb.create_sheet("2024")
    for row in (["date", "lat", "lon"], ["2024-01-01", 11.0, -62.0]):
        second.append(row)
    wb.create_sheet("Sheet3")  # empty: does not count
    notes = wb.create_sheet("notes")
    notes.append(["source: coast guard"])  # one line: not records
    path = tmp_path / "seizures.xlsx"
    wb.save(path)
    with pytest.raises(InputError, match=r"2 sheets hold records \['2023', '2024'\]; set sheet"):
        read_seizures(path, as_of="2024-06-30")
    got = read_seizures(SeizureSource(path=path, sheet="2024"), as_of="2024-06-30")
    assert got.frame["lat"].tolist() == [11.0]
    del wb["2024"]
    wb.save(path)
    assert len(read_seizures(path, as_of="2024-06-30").frame) == 2
