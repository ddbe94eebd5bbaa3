"""Review of the hostile-input fixes of one day: what they still let through (review 5)."""

from __future__ import annotations

import pytest
from _corpus import write_ais_with

from pipeline.config import load_config
from pipeline.errors import ConfigError

SEIZURES_ONLY = "inputs:\n  seizures:\n    - path: s.csv\n"


@pytest.mark.parametrize("key", ["\\uD800x", "a\\0b"], ids=["surrogate", "nul"])
def test_a_config_key_that_is_not_text_is_refused_at_load(tmp_path, key):
    # commodity_weights names the user's own categories: a YAML "\uD800" escape in a key
    # passed the text check (values only) and ended the run in a UnicodeEncodeError
    # traceback from pyarrow when the density weighed the categories
    path = tmp_path / "c.yaml"
    path.write_text(
        SEIZURES_ONLY + f'density:\n  commodity_weights: {{"{key}": 1.0, cocaine: 0.5}}\n'
    )
    with pytest.raises(ConfigError, match=r"density\.commodity_weights: the key .* is not text"):
        load_config(path)


# --------------------------------------------------------------------- tracks: UTC offsets


def test_a_zone_column_of_utm_zone_numbers_does_not_move_the_times(tmp_path):
    # MarineCadastre's AIS came by UTM zone (1-20 for the US): a 'Zone' column of 10 was read
    # as UTC+10 and every ping moved ten hours back, silently (17 and above: every ping
    # rejected as time_zone_unknown)
    from pipeline.ingest import read_tracks

    got = read_tracks(write_ais_with(tmp_path, "Zone", ["10"] * 4))
    assert got.n_rejected == 0
    hours = got.frame["time"].dt.hour.unique().tolist()
    assert hours == [10]
    assert any("'Zone'" in n and "not" in n for n in got.notes)


def test_a_zone_column_of_offsets_still_places_local_times(tmp_path):
    from pipeline.ingest import read_tracks

    got = read_tracks(write_ais_with(tmp_path, "Zone", ["+02:00", "UTC-5", "Europe/Oslo", "-3"]))
    assert got.n_rejected == 0
    assert sorted(got.frame["time"].dt.hour.tolist()) == [8, 9, 13, 15]


def _points_geojson(tmp_path, props: list[dict]):
    import json

    feats = [
        {
            "type": "Feature",
            "properties": p,
            "geometry": {"type": "Point", "coordinates": [10.0 + i * 0.01, 60.0]},
        }
        for i, p in enumerate(props)
    ]
    path = tmp_path / "gps.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_a_point_layer_places_local_times_by_its_offset_column(tmp_path):
    # the same pings as a CSV were placed in UTC by their utc_offset column; as GeoJSON (or
    # a GeoPackage, a shapefile) the column was not looked at: read as UTC, two hours off
    from pipeline.ingest import read_tracks

    props = [
        {"mmsi": "257000001", "local_time": f"2023-06-01 1{i}:00:00", "utc_offset": "+02:00"}
        for i in range(4)
    ]
    got = read_tracks(_points_geojson(tmp_path, props))
    assert got.n_rejected == 0
    assert got.frame["time"].dt.hour.tolist() == [8, 9, 10, 11]
    assert got.assumptions["columns"]["utc_offset"]["column"] == "utc_offset"


def test_a_point_layer_of_local_times_without_an_offset_is_refused(tmp_path):
    from pipeline.errors import InputError
    from pipeline.ingest import read_tracks

    props = [{"mmsi": "257000001", "LocalTime": f"2023-06-01 1{i}:00:00"} for i in range(4)]
    with pytest.raises(InputError, match="says local time"):
        read_tracks(_points_geojson(tmp_path, props))


# --------------------------------------------------------------------- coordinates: DMS


def test_an_s_after_the_seconds_of_a_longitude_is_their_unit(tmp_path):
    # a lowercase 's' after the seconds became the south hemisphere: right for a latitude
    # ('01 15 30 s'), but a longitude has no south: '103 45 12s' was rejected as
    # latlon_swapped (the record lost), though 's' can only be the seconds' unit there
    from pipeline.ingest import read_seizures

    path = tmp_path / "dms.csv"
    path.write_text(
        "date,latitude,longitude,drug\n"
        "2020-01-01,01 15 30 N,103 45 12s,cocaine\n"
        "2020-01-02,01 16 30 N,103 46 00s,cocaine\n"
    )
    got = read_seizures(path)
    assert got.n_rejected == 0
    assert got.frame["lon"].round(4).tolist() == [103.7533, 103.7667]


# --------------------------------------------------------------------- dates and times


def test_a_midnight_time_cell_written_as_the_day_zero_alone_keeps_the_clock_column(tmp_path):
    # a time-only cell of 00:00 is written as its day zero with no time ('1899-12-30'), as
    # any midnight date-time is: that one value made the 'Incident Time' column no clock
    # column at all, and every event was put at 00:00, silently
    from pipeline.ingest import read_seizures

    path = tmp_path / "access.csv"
    path.write_text(
        "Incident Date,Incident Time,lat,lon,type\n"
        "2024-03-15,1899-12-30 14:30:00,1.1,104.1,Robbery\n"
        "2024-03-16,1899-12-30 02:15:00,1.2,104.2,Robbery\n"
        "2024-03-17,1899-12-30,1.3,104.3,Hijack\n"
        "2024-03-18,12/30/1899,1.4,104.4,Hijack\n"
    )
    got = read_seizures(path)
    assert got.n_rejected == 0
    assert got.assumptions["columns"]["time_of_day"]["column"] == "Incident Time"
    assert got.frame["time"].dt.strftime("%d %H:%M").tolist() == [
        "15 14:30",
        "16 02:15",
        "17 00:00",
        "18 00:00",
    ]
