"""Gaps found by a hand mutation analysis of coordinate parsing (hGN).

Each test here kills a mutant of ``_positions.py`` or of the coordinate half of
``_common.py`` that the suite let live, or pins a wrong value found on the way.  Every
expected value is computed by hand in the test (degrees + minutes / 60 + seconds / 3600
written out), never by the code under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _corpus import assert_accounted, write_text

from pipeline.errors import InputError
from pipeline.ingest import read_seizures

# ---------------------------------------------------------------------- decimal-comma pairs


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("52,5 13,4", (52.5, 13.4)),  # Berlin: had read 52° and 5°13.4' (the Netherlands)
        ("-0,5 10,25", (-0.5, 10.25)),  # had read -0° and 5°10.25'
        ("48,8566 2,3522", (48.8566, 2.3522)),  # had been lost as lon_out_of_range (8566°)
        ("52,5; 13,4", (52.5, 13.4)),
        ("52,5/13,4", (52.5, 13.4)),
        ("48,8566, 2,3522", (48.8566, 2.3522)),
    ],
    ids=["space", "negative-space", "paris-space", "semicolon", "slash", "comma-space"],
)
def test_a_pair_of_decimal_comma_numbers_splits_between_them(tmp_path, value, want):
    # a German/French export's one-column position: the pair split at its first comma
    res = read_seizures(write_text(tmp_path, "p.csv", f'Date,Position\n2024-03-01,"{value}"\n'))
    assert_accounted(res)
    assert res.by_rule == {}
    np.testing.assert_allclose(res.frame[["lat", "lon"]].to_numpy()[0], want, atol=1e-12)


def _read_clean(tmp_path, name: str, text: str, want, *, exact: bool = False):
    """Read ``text`` as a seizures file: every record accepted, at the positions ``want``."""
    res = read_seizures(write_text(tmp_path, name, text))
    assert res.by_rule == {}
    got = res.frame[["lat", "lon"]].to_numpy()
    if exact:
        assert got.tolist() == want
    else:
        np.testing.assert_allclose(got, want, atol=1e-12)
    return res


def test_decimal_comma_pairs_in_a_semicolon_file(tmp_path):
    text = "Datum;Position\n2024-03-01;48,8566 2,3522\n2024-03-02;-0,5 104,25\n"
    _read_clean(tmp_path, "de.csv", text, [[48.8566, 2.3522], [-0.5, 104.25]])


# ---------------------------------------------------------------------- DMS field bounds


def _one_position(tmp_path, lat: str, lon: str = "104.1"):
    lat_q = lat.replace('"', '""')
    text = f'Date,Latitude,Longitude\n2024-03-01,"{lat_q}",{lon}\n'
    return read_seizures(write_text(tmp_path, "one.csv", text))


@pytest.mark.parametrize("lat", ["1°15'61\"S", "1°15'60.5\"S", "1 15 61 S"])
def test_seconds_beyond_60_are_no_seconds(tmp_path, lat):
    # 60 carries into the next minute (official logs write 5°60'00"S); above it is an error
    res = _one_position(tmp_path, lat)
    assert_accounted(res)
    assert res.by_rule == {"coord_unparseable": 1}


@pytest.mark.parametrize("lat", ["1°15'60\"S", "1 15 60 S"])
def test_seconds_of_60_carry_into_the_minute(tmp_path, lat):
    res = _one_position(tmp_path, lat)
    assert res.by_rule == {}
    assert res.frame["lat"].iloc[0] == pytest.approx(-(1 + 15 / 60 + 60 / 3600), abs=1e-12)


# ---------------------------------------------------------------------- letters before the values


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("N 12° 30.000' W 061° 45.000'", (12 + 30 / 60, -(61 + 45 / 60))),  # Garmin hddd°mm.mmm'
        ("S1 15.300 E104 10.200", (-(1 + 15.3 / 60), 104 + 10.2 / 60)),
        ("N12 30.000, W61 45.000", (12 + 30 / 60, -(61 + 45 / 60))),
        ("E104.1 S1.25", (-1.25, 104.1)),  # the letters say longitude first
        ("W 061° 45.000' N 12° 30.000'", (12 + 30 / 60, -(61 + 45 / 60))),
    ],
    ids=["garmin-marks", "garmin-spaces", "garmin-comma", "lon-first", "lon-first-marks"],
)
def test_a_pair_with_its_letters_before_the_values_is_read(tmp_path, value, want):
    # each part led by its hemisphere letter: split at its first space, the record had been
    # rejected as coord_unparseable ('N 12° ...') or as latlon_swapped ('E104.1 S1.25')
    value_q = value.replace('"', '""')
    res = read_seizures(write_text(tmp_path, "g.csv", f'Date,Position\n2024-03-01,"{value_q}"\n'))
    assert_accounted(res)
    assert res.by_rule == {}
    np.testing.assert_allclose(res.frame[["lat", "lon"]].to_numpy()[0], want, atol=1e-12)


# ---------------------------------------------------------------------- sign against letter


@pytest.mark.parametrize(("lat", "lon"), [("1.25", "-104.1 E"), ("-1.25 N", "104.1")])
def test_a_minus_sign_against_a_north_or_east_letter_is_refused(tmp_path, lat, lon):
    # '-104.1 E': the sign and the letter disagree and either may be the slip
    text = f"Date,Latitude,Longitude\n2024-03-01,{lat},{lon}\n2024-03-02,-1.25 S,104.1 W\n"
    res = read_seizures(write_text(tmp_path, "s.csv", text))
    assert_accounted(res)
    assert res.by_rule == {"coord_unparseable": 1}
    # '-1.25 S' says south twice: kept
    np.testing.assert_allclose(res.frame[["lat", "lon"]].to_numpy(), [[-1.25, -104.1]])


# ---------------------------------------------------------------------- lowercase letters


def test_lowercase_hemisphere_letters_are_hemispheres(tmp_path):
    text = (
        "Date,Latitude,Longitude\n"
        '2024-03-01,"1°15.3\'s","104°10.2\'w"\n'
        '2024-03-02,"1°15.3\'n","104°10.2\'e"\n'
    )
    lat, lon = 1 + 15.3 / 60, 104 + 10.2 / 60
    _read_clean(tmp_path, "lc.csv", text, [[-lat, -lon], [lat, lon]])


def test_a_seconds_s_in_the_letter_style_is_no_south_in_a_file_with_letters(tmp_path):
    # '1d15m30s' marks its minutes with 'm': its 's' is the seconds' unit, whatever the other
    # records write (taken as a lone 's' the file said both and was refused)
    text = (
        "Date,Latitude,Longitude\n"
        "2024-03-01,1d15m30s,104d10m12s\n"
        "2024-03-02,1d20m00sS,104d10m00sE\n"
    )
    want = [[1 + 15 / 60 + 30 / 3600, 104 + 10 / 60 + 12 / 3600], [-(1 + 20 / 60), 104 + 10 / 60]]
    _read_clean(tmp_path, "ds.csv", text, want)


def test_a_lone_s_the_file_says_both_ways_is_refused(tmp_path):
    # longitudes end in the seconds' 's' and another record writes hemisphere letters: the
    # latitude's lone 's' could be either, and the file is refused rather than read south
    text = (
        "Date,Latitude,Longitude\n"
        "2024-03-01,01 15 30s,104 10 12s\n"
        "2024-03-02,01 20 00 N,104 10 00 E\n"
    )
    with pytest.raises(InputError, match="lowercase 's' after the seconds"):
        read_seizures(write_text(tmp_path, "both.csv", text))


# ---------------------------------------------------------------------- projected metres with commas


def _utm(tmp_path, text: str, crs: str):
    from pipeline.ingest.options import SeizureSource

    return read_seizures(SeizureSource(path=write_text(tmp_path, "utm.csv", text), crs=crs))


def _utm_reference(crs: str, x: float, y: float) -> tuple[float, float]:
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return lat, lon


@pytest.mark.parametrize(
    ("rows", "crs", "want"),
    [
        # a spreadsheet's thousands separators: '9,861,808' says so for the file
        ('"388,736","9,861,808"', "EPSG:32748", (388736.0, 9861808.0)),
        ('"388,736.5","110,547.25"', "EPSG:32648", (388736.5, 110547.25)),
        ('"388,736E","9,861,808N"', "EPSG:32748", (388736.0, 9861808.0)),
    ],
    ids=["two-groups", "group-and-point", "letters"],
)
def test_projected_metres_with_thousands_separators(tmp_path, rows, crs, want):
    # '388,736' had been read as 388.736 m: 400 km from the point, exit 0
    res = _utm(tmp_path, f"Date,Easting,Northing\n2024-03-01,{rows}\n", crs)
    assert res.by_rule == {}
    np.testing.assert_allclose(
        res.frame[["lat", "lon"]].to_numpy()[0], _utm_reference(crs, *want), atol=1e-9
    )


def test_projected_metres_with_a_decimal_comma(tmp_path):
    text = "Date;Easting;Northing\n2024-03-01;388736,5;110547,25\n"
    res = _utm(tmp_path, text, "EPSG:32648")
    assert res.by_rule == {}
    np.testing.assert_allclose(
        res.frame[["lat", "lon"]].to_numpy()[0],
        _utm_reference("EPSG:32648", 388736.5, 110547.25),
        atol=1e-9,
    )


@pytest.mark.parametrize(
    "rows",
    [
        '"388,736","110,547"',  # 388736 or 388.736: nothing says
        '"388,736.5","110,547"\n2024-03-02,"388736,5","110547"',  # says both
    ],
    ids=["either", "both"],
)
def test_projected_metres_whose_commas_nothing_decides_are_refused(tmp_path, rows):
    with pytest.raises(InputError, match="ambiguous"):
        _utm(tmp_path, f"Date,Easting,Northing\n2024-03-01,{rows}\n", "EPSG:32648")


# ---------------------------------------------------------------------- compact and partial DMS


@pytest.mark.parametrize("lat", ['12°30"N', "12°30''N", '1230"N'], ids=["dq", "two-sq", "no-deg"])
def test_seconds_without_minutes_are_rejected(tmp_path, lat):
    # '12°30"N' is a slip for 12°30'N or for 12°0'30"N: neither reading is taken (its
    # digits had been split into 3' and 0", and the position read as 12.05°N)
    res = _one_position(tmp_path, lat)
    assert_accounted(res)
    assert res.by_rule == {"coord_unparseable": 1}


@pytest.mark.parametrize(
    ("lat", "lon", "want"),
    [
        ("011530S", "1041012W", (-(1 + 15 / 60 + 30 / 3600), -(104 + 10 / 60 + 12 / 3600))),
        ("0115.5S", "10410.2E", (-(1 + 15.5 / 60), 104 + 10.2 / 60)),
        ("N011530.5", "E1041012.25", (1 + 15 / 60 + 30.5 / 3600, 104 + 10 / 60 + 12.25 / 3600)),
    ],
    ids=["ddmmss", "ddmm-fraction", "letter-first-seconds-fraction"],
)
def test_compact_degrees_minutes_seconds(tmp_path, lat, lon, want):
    res = _one_position(tmp_path, lat, lon)
    assert res.by_rule == {}
    np.testing.assert_allclose(res.frame[["lat", "lon"]].to_numpy()[0], want, atol=1e-12)


def test_compact_minutes_of_60_are_left_to_the_other_readers(tmp_path):
    # '0160N' is no compact DDMM (minutes end at 59): read as 160° it is out of range
    res = _one_position(tmp_path, "0160N")
    assert_accounted(res)
    assert res.by_rule == {"lat_out_of_range": 1}


# ---------------------------------------------------------------------- ranges


def test_the_poles_and_the_antimeridian_are_positions(tmp_path):
    text = "Date,Latitude,Longitude\n2024-03-01,90,180\n2024-03-02,-90.0,-180.0\n"
    _read_clean(tmp_path, "edges.csv", text, [[90.0, 180.0], [-90.0, -180.0]], exact=True)


# ---------------------------------------------------------------------- misplaced files


def _aoi_file(tmp_path, positions: list[tuple[float, float]], bbox):
    return read_seizures(_numbers_file(tmp_path, positions), aoi_bbox=bbox)


#: lon 0..20, lat 0..10: (lat 8, lon 5) is inside read either way; (lat 15, lon 5) only
#: with latitude and longitude swapped (lon 15, lat 5).
_BOX = (0.0, 0.0, 20.0, 10.0)


def test_a_file_a_tenth_inside_and_wholly_inside_swapped_is_refused(tmp_path):
    # the documented share: at most a tenth of the positions inside the area
    positions = [(8.0, 5.0)] + [(15.0 + 0.1 * i, 5.0) for i in range(9)]
    with pytest.raises(InputError, match="latitude and longitude swapped"):
        _aoi_file(tmp_path, positions, _BOX)


def test_a_file_a_fifth_inside_is_no_misread_file(tmp_path):
    positions = [(8.0, 5.0), (6.0, 7.0)] + [(15.0 + 0.1 * i, 5.0) for i in range(8)]
    res = _aoi_file(tmp_path, positions, _BOX)
    assert res.by_rule == {"outside_aoi": 8}
    assert res.frame[["lat", "lon"]].to_numpy().tolist() == [[8.0, 5.0], [6.0, 7.0]]


def test_a_file_four_fifths_inside_swapped_is_no_misread_file(tmp_path):
    # nine tenths must fit the misreading: 8 of 10 is no proof, the records are rejected
    positions = [(15.0 + 0.1 * i, 5.0) for i in range(8)] + [(50.0, 50.0), (-40.0, 60.0)]
    res = _aoi_file(tmp_path, positions, _BOX)
    assert res.by_rule == {"outside_aoi": 10}


def test_a_swap_that_gives_no_position_is_no_misreading(tmp_path):
    # (lat 20, lon 120) swapped is latitude 120: no position, not in an Arctic box by a clip
    positions = [(20.0 + i, 120.0 + i) for i in range(5)]
    res = _aoi_file(tmp_path, positions, (0.0, 60.0, 60.0, 90.0))
    assert res.by_rule == {"outside_aoi": 5}


def test_a_box_180_wide_across_180_is_taken_as_written(tmp_path):
    # [90, -10, -90, 10] is 180° wide either way round: no reading is the wider one, and
    # positions in the other half are outside the area, not a sign of swapped longitudes
    positions = [(1.0, 10.0 + i) for i in range(5)]
    res = _aoi_file(tmp_path, positions, (90.0, -10.0, -90.0, 10.0))
    assert res.by_rule == {"outside_aoi": 5}


def test_degrees_under_a_projected_crs_are_refused_east_of_90(tmp_path):
    # longitudes beyond 90° are degrees too: read as metres they land 100 m from the origin
    text = "Date,Latitude,Longitude\n2024-03-01,1.25,104.1\n2024-03-02,-1.3,170.5\n"
    with pytest.raises(InputError, match="look like degrees"):
        _utm(tmp_path, text, "EPSG:32648")


def test_a_file_whose_latitudes_lost_their_south_is_refused(tmp_path):
    # Java's south coast written without the S: every position north of the equator
    positions = [(7.0 + 0.1 * i, 110.0 + 0.1 * i) for i in range(5)]
    with pytest.raises(InputError, match="north/south lost"):
        _aoi_file(tmp_path, positions, (105.0, -9.0, 115.0, -5.0))


# ---------------------------------------------------------------------- pair order


def test_a_pair_whose_letter_contradicts_its_header_is_not_read(tmp_path):
    # the header says longitude first, the first part's S says latitude: neither wins
    text = 'Date,Position (lon/lat)\n2024-03-01,"1.25S 104.1"\n2024-03-02,"104.1 -1.3"\n'
    res = read_seizures(write_text(tmp_path, "ll.csv", text))
    assert_accounted(res)
    assert res.n_accepted == 1
    assert len(res.rejects) == 1
    assert res.frame[["lat", "lon"]].to_numpy().tolist() == [[-1.3, 104.1]]


def test_a_pair_of_small_metres_under_a_projected_crs_says_no_order(tmp_path):
    # '150.5, 100.2' under UTM: beyond 90 as a latitude, so metres, in no stated order
    text = 'Date,Position\n2024-03-01,"150.5, 100.2"\n'
    with pytest.raises(InputError, match="whose order"):
        _utm(tmp_path, text, "EPSG:32648")


def test_a_file_mostly_of_metres_is_refused_without_a_crs(tmp_path):
    # 7 of 10 positions are UTM metres under plain latitude/longitude headers: more than half
    positions = [(110547 + i, 388736 + i) for i in range(7)] + [(1.0, 104.0)] * 3
    with pytest.raises(InputError, match="projected coordinates"):
        read_seizures(_numbers_file(tmp_path, positions))


# ---------------------------------------------------------------------- scaled whole numbers


def _numbers_file(tmp_path: Path, positions: list[tuple[float, float]]) -> Path:
    """A seizures CSV of ``(latitude, longitude)`` rows under Latitude/Longitude headers."""
    rows = "".join(f"2024-03-{i + 1:02d},{la},{lo}\n" for i, (la, lo) in enumerate(positions))
    return write_text(tmp_path, "n.csv", "Date,Latitude,Longitude\n" + rows)


def test_ais_longitude_not_available_is_named(tmp_path):
    # AIS's 1/10,000 minute: 181° (not available) is 181 x 600,000 = 108,600,000
    positions = [(round(-1.25 * 600_000), round(104.1 * 600_000)), (-750_000, 181 * 600_000)]
    with pytest.raises(InputError, match="longitude not available"):
        read_seizures(_numbers_file(tmp_path, positions))


def test_metres_with_decimals_are_not_called_scaled_whole_numbers(tmp_path):
    # one northing beyond 21,000 km among metres with decimals: still metres, not whole numbers
    positions = [(110547.5 + i, 388736.25 + i) for i in range(4)] + [(25000000.5, 388736.25)]
    with pytest.raises(InputError, match="set crs") as err:
        read_seizures(_numbers_file(tmp_path, positions))
    assert "whole numbers" not in str(err.value)


def test_nmea_degrees_and_minutes_are_shown_as_nmea_means_them(tmp_path):
    # ddmm.mmmm without its letters: 5130.1234 is 51°30.1234', shown so in the refusal
    positions = [(5130.1234, 12.5), (5131.5, 12.6)]
    with pytest.raises(InputError, match="'5130.1234' = 51°30.1234'"):
        read_seizures(_numbers_file(tmp_path, positions))


@pytest.mark.parametrize(
    "value",
    ["104.1, -1.25", "POINT (104.1 -1.25)", "1°15'S 104°06'E"],
    ids=["header-order", "wkt", "letters"],
)
def test_a_lon_lat_header_swaps_only_the_pairs_that_say_no_order(tmp_path, value):
    # WKT is x y and letters say their axes whatever the header: swapped by it, they were lost
    text = f'Date,Position (lon/lat)\n2024-03-01,"{value}"\n'
    _read_clean(tmp_path, "lonlat.csv", text, [(-1.25, 104.1)])


def test_a_pair_of_degrees_under_a_projected_crs_is_refused_as_degrees(tmp_path):
    # '1.25, 104.1' is no pair of metres in an unknown order: it is degrees, said so
    text = 'Date,Position\n2024-03-01,"1.25, 104.1"\n2024-03-02,"-1.3, 104.2"\n'
    with pytest.raises(InputError, match="look like degrees"):
        _utm(tmp_path, text, "EPSG:32648")


def test_metres_with_their_axis_letter_before_them(tmp_path):
    text = "Date,Northing,Easting\n2024-03-01,N110547,E388736\n2024-03-02,N 110547 m,E 388736 m\n"
    res = _utm(tmp_path, text, "EPSG:32648")
    assert res.by_rule == {}
    want = _utm_reference("EPSG:32648", 388736.0, 110547.0)
    np.testing.assert_allclose(res.frame[["lat", "lon"]].to_numpy(), [want, want], atol=1e-9)
