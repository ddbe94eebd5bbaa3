"""Found reviewing the pair rule, the plug-in options check and the MarineTraffic schema.

Each test failed on the code before its fix (a refusal of a good export, or a value read
quietly wrong); the guards beside them keep the refusals that are right.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydantic
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text
from _kinds import KINDS, read_kind, read_own_beside, record_table
from conftest import km_plugin, plugin_config
from pydantic.alias_generators import to_camel

from pipeline.errors import ConfigError, InputError
from pipeline.ingest import read_seizures, read_tracks

pytestmark = IGNORE_PENDING_DEPRECATION


def _dms(x: float, pos: str, neg: str) -> str:
    """Degrees and decimal minutes with a hemisphere letter (``1°03.000'N``)."""
    h = pos if x >= 0 else neg
    x = abs(x)
    deg = int(x)
    return f"{deg}°{(x - deg) * 60:06.3f}'{h}"


# ----------------------------------------------------------------- one position written twice


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("form", ["snapped", "dms"])
def test_one_position_snapped_or_in_another_notation_is_one_pair(tmp_path, kind, form):
    # ArcGIS's 'Add XY Coordinates' writes the point snapped to its 1e-9 degree grid
    # (POINT_Y 1.0500000003 beside lat 1.05), and an incident list gives its position as
    # degrees and minutes ('Lat' 1°03.000'N) beside the decimal degrees ('Lat_Dec' 1.05).
    # Both were refused as two pairs "no header says which is the event's" (exit 2): only a
    # copy equal to the last digit was one position.
    frame = record_table(kind, 1.05, 104.2)
    if form == "snapped":
        frame["POINT_Y"] = [repr(v + 3e-10) for v in frame["lat"]]
        frame["POINT_X"] = [repr(v - 4e-10) for v in frame["lon"]]
    else:
        decimal = frame[["lat", "lon"]].copy()
        frame["lat"] = [_dms(v, "N", "S") for v in decimal["lat"]]
        frame["lon"] = [_dms(v, "E", "W") for v in decimal["lon"]]
        frame["lat_dec"], frame["lon_dec"] = decimal["lat"].round(4), decimal["lon"].round(4)
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path)
    assert_accounted(res)
    assert len(res.frame) == len(frame)
    want = [round(1.05 + i / 1000, 4) for i in range(len(frame))]
    assert sorted(res.frame["lat"].round(4)) == want


@pytest.mark.parametrize("kind", KINDS)
def test_a_pair_a_hundred_metres_away_is_still_another_pair(tmp_path, kind):
    # guard: a corrected position 0.001 degree (110 m) from the reported one is a choice
    frame = record_table(kind, 1.05, 104.2)
    frame["lat_corrected"] = (frame["lat"] + 0.001).round(6)
    frame["lon_corrected"] = frame["lon"]
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"2 latitude/longitude pairs could each be"):
        read_kind(kind, path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("own", "other"),
    [
        # a FIT dump with its session's start beside each record's position
        (("position_lat", "position_long"), ("start_position_lat", "start_position_long")),
        # a logger's fix beside the port it is bound for
        (("gps_lat", "gps_lon"), ("port_lat", "port_lon")),
        (("location_lat", "location_lon"), ("home_location_lat", "home_location_lon")),
        # Global Fishing Watch's port visit events flattened from the API's JSON
        (
            ("position.lat", "position.lon"),
            ("port_visit.startAnchorage.lat", "port_visit.startAnchorage.lon"),
        ),
    ],
    ids=["fit-start", "gps-port", "location-home", "gfw-port-visit"],
)
def test_a_pair_naming_the_fix_beside_a_secondary_place_is_read(tmp_path, kind, own, other):
    # Refused before (exit 2) as two pairs of which no header says which is the event's: only
    # a bare 'lat'/'lon' was the record's own beside a start or a port, not 'position_lat'.
    read_own_beside(kind, tmp_path, own, other)


@pytest.mark.parametrize("kind", KINDS)
def test_two_pairs_naming_a_fix_are_still_a_choice(tmp_path, kind):
    # guard: a GPS fix beside a plain position (another source) is not taken either way
    frame = record_table(kind, 1.05, 104.2)
    frame["gps_lat"], frame["gps_lon"] = frame["lat"] + 0.01, frame["lon"]
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"2 latitude/longitude pairs could each be"):
        read_kind(kind, path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("lat", "lon"), [("Breitengrad", "Längengrad"), ("Latitudine", "Longitudine")], ids=["de", "it"]
)
def test_one_word_latitude_and_longitude_in_german_and_italian_are_read(tmp_path, kind, lat, lon):
    # Refused before (exit 2): no header named a latitude ('Breite' did, 'Breitengrad' not),
    # and off Hamburg (53.5 N, 9.9 E) the values alone do not say which is which.
    frame = record_table(kind, 1.05, 104.2)
    frame["lat"], frame["lon"] = frame["lat"] + 52.45, frame["lon"] - 94.3
    frame = frame.rename(columns={"lat": lat, "lon": lon})
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path)
    assert_accounted(res)
    cols = res.assumptions["columns"]
    assert (cols["lat"]["column"], cols["lon"]["column"]) == (lat, lon)
    assert sorted(res.frame["lat"]) == sorted(frame[lat])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "errors", [("y.se", "x.se"), ("lat_sd", "lon_sd"), ("lat_std", "lon_std")], ids=str
)
def test_standard_errors_of_a_position_are_no_pair(tmp_path, kind, errors):
    # A fitted track (aniMotum's lon, lat, x, y, x.se, y.se) gives each position's standard
    # errors: small numbers within +-90, taken as a second pair and the file refused (exit 2),
    # read before 7a8d902 from 'lat'/'lon'.
    frame = record_table(kind, 1.05, 104.2)
    frame[errors[0]] = [round(0.8 + i / 10, 2) for i in range(len(frame))]
    frame[errors[1]] = [round(1.2 + i / 10, 2) for i in range(len(frame))]
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    res = read_kind(kind, path)
    assert_accounted(res)
    cols = res.assumptions["columns"]
    assert (cols["lat"]["column"], cols["lon"]["column"]) == ("lat", "lon")


# ----------------------------------------------------------------- seizures beside vessel ids


@pytest.mark.parametrize("what", ["Contraband", "Contrabando"])
def test_interdictions_naming_their_contraband_are_seizures(tmp_path, what):
    # A coast guard's interdictions, two rows per boarded vessel (one per contraband), with
    # its MMSI and speed: read before 0d77b28 through 'Weight (kg)', since then refused as
    # "vessel positions, not seizure records" (exit 2): 'contraband' named no seized thing.
    rows = [
        {
            "Date": f"2023-03-{10 + i // 2:02d}",
            "Vessel": f"GO FAST {i // 2}",
            "MMSI": f"36600000{i // 2}",
            "Lat": 10 + i / 10,
            "Lon": -80 + i / 10,
            "Speed (kn)": 25,
            what: ["cocaine", "marijuana"][i % 2],
            "Weight (kg)": 100 + i,
        }
        for i in range(8)
    ]
    path = tmp_path / "interdictions.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    res = read_seizures(path)
    assert_accounted(res)
    assert len(res.frame) == len(rows)


@pytest.mark.parametrize("clock", ["{:02d}00", "{}"], ids=["hhmm", "hour"])
def test_an_incident_list_with_its_clock_as_bare_hours_is_not_a_grid(tmp_path, clock):
    # 7ab0fdd let a bare 'Hours' column of an incident list pass when it held '14:30', but
    # a ship's log writes the clock '0300' (or the hour alone): refused (exit 2) as "a
    # gridded product, not seizure records" beside a date without a clock.
    text = "Date,Hours,Lat,Lon,Incident Type\n" + "".join(
        f"2023-03-{10 + i:02d},{clock.format((3 + i) % 24)},{1.2 + i / 100:.2f},103.9,Robbery\n"
        for i in range(8)
    )
    res = read_seizures(write_text(tmp_path, "incidents.csv", text))
    assert_accounted(res)
    assert len(res.frame) == 8


# ----------------------------------------------------------------- plug-in options by alias


class RenamedOptions(pydantic.BaseModel):
    """An option renamed with its old key still read (``AliasChoices``)."""

    scale_km: float = pydantic.Field(
        50.0, validation_alias=pydantic.AliasChoices("scale_km", "scale")
    )


class CamelOptions(pydantic.BaseModel):
    """Options read under camelCase keys only (an alias generator, no validation by name)."""

    model_config = pydantic.ConfigDict(alias_generator=to_camel)

    scale_km: float = 50.0


def _scaled(ctx):
    return np.full(len(ctx.cells), float(ctx.options.scale_km))


RENAMED = ("test_review_diff3_found:renamed", "review_renamed")
CAMEL = ("test_review_diff3_found:camel", "review_camel")
renamed = km_plugin(
    "review_renamed", "A plug-in whose option has an old name too.", RenamedOptions, _scaled
)
camel = km_plugin("review_camel", "A plug-in whose options are camelCase.", CamelOptions, _scaled)


def test_an_option_read_under_another_alias_is_not_refused(small_demo, tmp_path):
    # Refused at load before (exit 2): 'scale' is one of the keys AliasChoices reads, but
    # only string aliases counted as known, so the option was "unknown".
    from pipeline.runner.plan import factor_options

    cfg = plugin_config(small_demo, tmp_path, *RENAMED, {"scale": 200})
    assert factor_options(cfg, renamed).scale_km == 200


def test_a_field_name_the_model_does_not_read_is_refused(small_demo, tmp_path):
    # Before: 'scale_km' counted as known (a field's name), but a model that validates by
    # alias only ignores it, and the factor ran on its default 50 km in silence.
    with pytest.raises(ConfigError, match=r"unknown option\(s\) \['scale_km'\].*\['scaleKm'\]"):
        plugin_config(small_demo, tmp_path, *CAMEL, {"scale_km": 200})
    from pipeline.runner.plan import factor_options

    cfg = plugin_config(small_demo, tmp_path, *CAMEL, {"scaleKm": 200})
    assert factor_options(cfg, camel).scale_km == 200


# ----------------------------------------------------------------- MarineTraffic's SPEED


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_marinetraffic_columns_with_speeds_in_knots_are_read_in_knots(tmp_path, fmt):
    # An export with the API's columns whose SPEED is already knots (0.3 to 0.5 kn, written
    # with decimals: the API writes whole tenths) was divided by ten, exit 0: a ship drifting
    # at 0.4 kn read at 0.04.
    rows = [
        {
            "MMSI": mmsi,
            "SHIP_ID": str(100000 + k),
            "LAT": f"{37.90 + k * 0.3 + i * 0.0033:.5f}",  # 0.2 nm an hour
            "LON": "23.60000",
            "SPEED": f"{0.3 + (i % 3) / 10:.1f}",
            "COURSE": "0",
            "TIMESTAMP": f"2023-03-12T{8 + i:02d}:00:00",
        }
        for k, mmsi in enumerate(("241087000", "636019825"))
        for i in range(12)
    ]
    frame = pd.DataFrame(rows)
    path = tmp_path / f"mt.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    res = read_tracks(path)
    assert_accounted(res)
    assert res.frame["sog_kn"].round(6).tolist() == frame["SPEED"].astype(float).tolist()
    assert res.assumptions["speed_unit"]["unit"] == "kn"
    assert "whole tenths" in res.assumptions["speed_unit"]["evidence"]
