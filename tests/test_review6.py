"""Review of the latest fixes (review 6): compact degrees, the area's checks, UTC offsets."""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import write_ais_with

from pipeline.errors import InputError

# ----------------------------------------------------------------- compact degree-minutes


def test_compact_degrees_in_a_parquet_file_saved_with_its_pandas_index_are_read(tmp_path):
    # a frame filtered or concatenated without ignore_index and saved with to_parquet keeps
    # its repeated index; the compact-degree reader set its values by label and ended in a
    # ValueError traceback ('cannot set using a list-like indexer ...')
    from pipeline.ingest import read_seizures

    frame = pd.DataFrame(
        {
            "date": ["2023-01-05", "2023-01-06", "2023-01-07"],
            "latitude": ["1206N", "1300N", "0115.5S"],
            "longitude": ["06856W", "06900W", "10345E"],
            "commodity": ["cocaine"] * 3,
            "quantity_kg": [1.0, 2.0, 3.0],
        },
        index=[4, 4, 7],
    )
    path = tmp_path / "seizures.parquet"
    frame.to_parquet(path)
    got = read_seizures(path)
    assert got.n_rejected == 0
    assert got.frame["lat"].round(4).tolist() == [12.1, 13.0, -1.2583]
    assert got.frame["lon"].round(4).tolist() == [-68.9333, -69.0, 103.75]


# ------------------------------------------------------------------------- area polygon


def test_an_area_geopackage_with_its_qgis_style_table_is_read(tmp_path):
    # QGIS saves a layer's style into its GeoPackage as the table 'layer_styles' (no
    # geometry): the several-layers check counted it and refused the area
    import geopandas as gpd
    import pyogrio
    import shapely

    from pipeline.area import read_area

    path = tmp_path / "aoi.gpkg"
    gpd.GeoDataFrame({"name": ["aoi"]}, geometry=[shapely.box(-80, 20, -70, 30)], crs=4326).to_file(
        path, layer="aoi"
    )
    styles = pd.DataFrame({"f_table_name": ["aoi"], "styleName": ["aoi"], "styleQML": ["<q/>"]})
    pyogrio.write_dataframe(styles, path, layer="layer_styles")
    area = read_area(None, path)
    assert area.bbox == (-80.0, 20.0, -70.0, 30.0)
    # two layers of geometries are still refused
    gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(path, layer="other")
    with pytest.raises(InputError, match="holds 2 layers"):
        read_area(None, path)


def test_an_area_multipolygon_of_overlapping_parts_is_their_union(tmp_path):
    # QGIS 'Collect geometries' of two overlapping polygons gives one MultiPolygon whose
    # parts overlap (invalid: 'Self-intersection'); its area() counts the overlap twice, so
    # the repair looked like a change and the area was refused, while the same two polygons
    # as two features were read as their union
    import geopandas as gpd
    import shapely

    from pipeline.area import read_area

    parts = [shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)]
    path = tmp_path / "aoi.geojson"
    gpd.GeoDataFrame(geometry=[shapely.MultiPolygon(parts)], crs=4326).to_file(path)
    area = read_area(None, path)
    assert area.bbox == (0.0, 0.0, 3.0, 3.0)
    assert shapely.equals(area.polygon, shapely.union_all(parts))
    # a part inside another may be a hole written as a part: still refused
    nested = shapely.MultiPolygon([shapely.box(0, 0, 4, 4), shapely.box(1, 1, 2, 2)])
    gpd.GeoDataFrame(geometry=[nested], crs=4326).to_file(path)
    with pytest.raises(InputError, match="not a valid polygon"):
        read_area(None, path)


# --------------------------------------------------------------------- tracks: UTC offsets


@pytest.mark.parametrize(
    ("values", "hours"),
    [
        (["+1", "0", "-5", "+2"], [9, 10, 15, 8]),  # UTC written as a bare 0
        (["CET", "CEST", "cet", "JST"], [9, 8, 9, 1]),  # abbreviations of one meaning
    ],
    ids=["bare-zero", "abbreviations"],
)
def test_a_zone_column_of_offsets_with_a_bare_zero_or_of_abbreviations_places_the_times(
    tmp_path, values, hours
):
    # the UTM-zone guard took a bare '0' (UTC) or 'CET' for a map zone: the whole 'Zone'
    # column was passed over and every time read as UTC, off by its offset, with a note
    # naming '+1' as 'a UTM or map zone?'; a 'timezone' column of 'CET' rejected every ping
    from pipeline.errors import InputError
    from pipeline.ingest import read_tracks
    from pipeline.ingest.stream import spill_tracks

    for header in ("Zone", "timezone"):
        path = write_ais_with(tmp_path, header, values)
        if header == "Zone" and values[0] == "+1":
            # a bare 'Zone' of signed hours only: an offset's sign or a ship's log's zone
            # description's (UTC-1)? refused since, naming both ways out
            with pytest.raises(InputError, match="utc_offset or zone_description"):
                read_tracks(path)
            continue
        got = read_tracks(path)
        assert got.n_rejected == 0, header
        # one ping a day, in the file's order: the hours in day order are the rows'
        assert got.frame.sort_values("time")["time"].dt.hour.tolist() == hours
        assert any("placed in UTC" in n and repr(header) in n for n in got.notes)
    spilled = spill_tracks(path, tmp_path / "spill", chunk_rows=2, n_buckets=2)
    assert spilled.n_accepted == 4
    assert any("placed in UTC" in n for n in spilled.notes)


def test_a_zone_column_of_ambiguous_abbreviations_is_rejected_not_passed_over(tmp_path):
    # 'EST' (US or Australian eastern) is a time zone, not a map zone: the column is taken
    # and its values rejected as time_zone_unknown; passed over, every ping was read as UTC
    from pipeline.ingest import read_tracks

    got = read_tracks(write_ais_with(tmp_path, "Zone", ["EST"] * 4))
    assert got.n_rejected == 4
    assert set(got.rejects["rule"]) == {"time_zone_unknown"}
    # UTM zone numbers and fishing zones are still passed over, naming a value they hold
    got = read_tracks(write_ais_with(tmp_path, "Zone", ["A1", "B2", "+1", "C"]))
    assert got.n_rejected == 0
    assert any("'Zone'" in n and "'A1'" in n for n in got.notes)


# ------------------------------------------------------------------ files joined end to end


def test_two_excel_utf8_exports_joined_end_to_end_reject_the_second_header(tmp_path):
    # Excel's 'CSV UTF-8' starts each file with a BOM: 'cat a.csv b.csv' puts the second
    # one's BOM at the start of its header line, read into the first field ('\ufeffdate'),
    # so the line was not seen as the header again and was rejected as an unparseable
    # latitude ('latitude')
    from pipeline.ingest import read_seizures

    one = "date,latitude,longitude,commodity,quantity_kg\r\n2023-01-05,12.1,-68.9,cocaine,1\r\n"
    two = "date,latitude,longitude,commodity,quantity_kg\r\n2023-02-07,13.5,-70.2,heroin,2\r\n"
    path = tmp_path / "joined.csv"
    path.write_bytes(b"\xef\xbb\xbf" + one.encode() + b"\xef\xbb\xbf" + two.encode())
    got = read_seizures(path)
    assert got.n_accepted == 2
    assert got.rejects[["row", "rule"]].to_dict("records") == [
        {"row": 3, "rule": "repeated_header"}
    ]
    assert got.frame["commodity"].tolist() == ["cocaine", "heroin"]
