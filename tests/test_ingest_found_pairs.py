"""Tables with several latitude/longitude pairs: never pick one quietly, never mix two.

Trip and event exports hold more than one position per record: a start and an end
(bike-share trips, Global Fishing Watch loitering events), a pickup and a dropoff (taxi
trips), an origin and a destination, a reported and a corrected position, a vessel and a
port, two receivers, the corners of a bounding box.  The pick among equally named pairs
fell to header order: the first latitude and the first longitude, read without a word, and
taken each on its own, so that ``end_lat`` could be read with ``start_lon``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import IGNORE_PENDING_DEPRECATION, assert_accounted, write_text

from pipeline.errors import InputError
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.options import SeizureSource, TrackSource

pytestmark = IGNORE_PENDING_DEPRECATION

#: Where each pair lies (latitude, longitude): far apart, so a mixed pair is seen.
PLACES = {"a": (10.0, 100.0), "b": (30.0, 120.0), "c": (50.0, 140.0)}


def _value(col: str, pair: str, i: int) -> str:
    lat, lon = PLACES[pair]
    lower = col.lower()
    base = lat if any(w in lower for w in ("lat", "south", "north")) else lon
    return f"{base + i / 100:.2f}"


def _file(tmp_path, kind: str, cols: list[tuple[str, str]], n: int = 8):
    """A seizure or track CSV whose position columns are ``(header, pair)``."""
    if kind == "seizures":
        head, row = "date,drug,quantity_kg", "2023-03-{d:02d},cocaine,{q}"
    else:
        head, row = "mmsi,timestamp,sog", "36600000{v},2023-03-10T10:{d:02d}:00Z,8"
    lines = [",".join([head] + [c for c, _ in cols])]
    for i in range(n):
        fixed = row.format(d=10 + i, q=i + 1, v=i % 2)
        lines.append(",".join([fixed] + [_value(c, p, i) for c, p in cols]))
    path = write_text(tmp_path, f"{kind}.csv", "\n".join(lines) + "\n")
    return path, pd.read_csv(path, dtype=str)


def _read(kind: str, path, columns: dict | None = None):
    if kind == "seizures":
        return read_seizures(SeizureSource(path=path, columns=columns or {}))
    return read_tracks(TrackSource(path=path, columns=columns or {}))


KINDS = ["seizures", "tracks"]

#: Two pairs, neither of which the header says is the event's.  Each was read (exit 0) with
#: the first latitude and the first longitude of the header.
EQUALS = {
    "start-end": ["start_lat", "start_lon", "end_lat", "end_lon"],
    "lat_start-end_lat": ["lat_start", "end_lat", "lon_start", "end_lon"],
    "pickup-dropoff": [
        "pickup_latitude",
        "pickup_longitude",
        "dropoff_latitude",
        "dropoff_longitude",
    ],
    "origin-dest": ["origin_lat", "origin_lon", "dest_lat", "dest_lon"],
    "from-to": ["lat_from", "lon_from", "lat_to", "lon_to"],
    "reported-geocoded": ["reported_lat", "reported_lon", "geocoded_lat", "geocoded_lon"],
    "plain-corrected": ["lat", "lon", "lat_corrected", "lon_corrected"],
    "vessel-port": ["vessel_lat", "vessel_lon", "port_lat", "port_lon"],
    "first-last-seen": ["first_seen_lat", "first_seen_lon", "last_seen_lat", "last_seen_lon"],
    "two-receivers": ["gps1_lat", "gps1_lon", "gps2_lat", "gps2_lon"],
}


def _pairs(headers: list[str]) -> list[tuple[str, str]]:
    """Columns with the pair each belongs to: the first lat/lon of a name 'a', the next 'b'."""
    out, seen = [], {"lat": 0, "lon": 0}
    for h in headers:
        axis = "lat" if "lat" in h else "lon"
        out.append((h, "ab"[seen[axis]]))
        seen[axis] += 1
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("headers", list(EQUALS.values()), ids=list(EQUALS))
def test_two_equally_named_pairs_are_refused_naming_both(tmp_path, kind, headers):
    path, _ = _file(tmp_path, kind, _pairs(headers))
    with pytest.raises(InputError, match=r"2 latitude/longitude pairs could each be") as err:
        _read(kind, path)
    text = str(err.value)
    assert "\n" not in text
    assert "columns: {lat: ..., lon: ...}" in text
    lats = [h for h in headers if "lat" in h]
    lons = [h for h in headers if "lat" not in h]
    for lat, lon in zip(lats, lons, strict=True):
        assert f"{lat!r}/{lon!r}" in text


@pytest.mark.parametrize("kind", KINDS)
def test_a_latitude_is_never_read_with_another_pairs_longitude(tmp_path, kind):
    # 'end_lat' first among the latitudes, 'start_lon' among the longitudes: read as one
    # position (30.0, 100.0) that is neither the start (10, 100) nor the end (30, 120).
    cols = [("end_lat", "b"), ("start_lat", "a"), ("start_lon", "a"), ("end_lon", "b")]
    path, _ = _file(tmp_path, kind, cols)
    with pytest.raises(InputError, match=r"2 latitude/longitude pairs") as err:
        _read(kind, path)
    assert "'start_lat'/'start_lon'" in str(err.value)
    assert "'end_lat'/'end_lon'" in str(err.value)


@pytest.mark.parametrize("kind", KINDS)
def test_a_latitude_without_its_longitude_is_not_joined_to_another_pair(tmp_path, kind):
    # 'lat_start' has no longitude: it was read with 'end_lon', (10, 120), nowhere at all.
    cols = [("lat_start", "a"), ("end_lat", "b"), ("end_lon", "b")]
    path, raw = _file(tmp_path, kind, cols)
    res = _read(kind, path)
    assert sorted(res.frame["lat"]) == sorted(raw["end_lat"].astype(float))
    assert sorted(res.frame["lon"]) == sorted(raw["end_lon"].astype(float))
    assert res.assumptions["columns"]["lat"]["column"] == "end_lat"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("given", "follows"), [("lat", "lon"), ("lon", "lat")])
def test_one_coordinate_named_in_the_config_takes_its_own_pairs_other(
    tmp_path, kind, given, follows
):
    # columns: {lat: end_lat} was read with 'start_lon', the first longitude.
    cols = [("start_lat", "a"), ("start_lon", "a"), ("end_lat", "b"), ("end_lon", "b")]
    path, raw = _file(tmp_path, kind, cols)
    res = _read(kind, path, {given: f"end_{given}"})
    assert_accounted(res)
    assert sorted(res.frame[follows]) == sorted(raw[f"end_{follows}"].astype(float))
    assert res.assumptions["columns"][follows]["column"] == f"end_{follows}"


@pytest.mark.parametrize("kind", KINDS)
def test_both_coordinates_named_in_the_config_are_read_as_given(tmp_path, kind):
    cols = [("start_lat", "a"), ("start_lon", "a"), ("end_lat", "b"), ("end_lon", "b")]
    path, raw = _file(tmp_path, kind, cols)
    res = _read(kind, path, {"lat": "end_lat", "lon": "end_lon"})
    assert sorted(res.frame["lat"]) == sorted(raw["end_lat"].astype(float))
    assert sorted(res.frame["lon"]) == sorted(raw["end_lon"].astype(float))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "headers",
    [
        ["start_lat", "start_lon", "event_lat", "event_lon"],
        ["port_lat", "port_lon", "incident_latitude", "incident_longitude"],
    ],
)
def test_the_pair_naming_the_event_is_read_and_the_others_are_stated(tmp_path, kind, headers):
    # Read before from the event's pair, with no word of the other pair in the assumptions.
    path, raw = _file(tmp_path, kind, _pairs(headers))
    res = _read(kind, path)
    lat, lon = headers[2], headers[3]
    assert sorted(res.frame["lat"]) == sorted(raw[lat].astype(float))
    cols = res.assumptions["columns"]
    assert (cols["lat"]["column"], cols["lon"]["column"]) == (lat, lon)
    for role in ("lat", "lon"):
        assert f"other pairs not used: {headers[0]!r}/{headers[1]!r}" in cols[role]["evidence"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "headers",
    [
        ["min_lat", "min_lon", "max_lat", "max_lon"],
        ["lat_min", "lat_max", "lon_min", "lon_max"],
        ["minimum_latitude", "minimum_longitude", "maximum_latitude", "maximum_longitude"],
    ],
)
def test_a_bounding_box_is_refused_as_no_point(tmp_path, kind, headers):
    # Read before as points at the box's lower-left corner ('min_lat', 'min_lon'), exit 0.
    path, _ = _file(tmp_path, kind, _pairs(headers))
    with pytest.raises(InputError, match=r"corners of a bounding box \(min/max\), not a point"):
        _read(kind, path)


@pytest.mark.parametrize("kind", KINDS)
def test_a_point_beside_its_bounding_box_is_read_and_the_box_stated(tmp_path, kind):
    cols = [("lat", "a"), ("lon", "a"), ("min_lat", "b"), ("min_lon", "b")]
    cols += [("max_lat", "c"), ("max_lon", "c")]
    path, raw = _file(tmp_path, kind, cols)
    res = _read(kind, path)
    assert sorted(res.frame["lat"]) == sorted(raw["lat"].astype(float))
    assert (
        "'min_lat'/'min_lon', 'max_lat'/'max_lon'" in res.assumptions["columns"]["lat"]["evidence"]
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "cols",
    [
        # a plain pair beside a secondary place's: the plain one is the record's (as before)
        [("lat", "a"), ("lon", "a"), ("port_lat", "b"), ("port_lon", "b")],
        [("LAT", "a"), ("LON", "a"), ("prev_lat", "b"), ("prev_lon", "b")],
        [("latitude", "a"), ("longitude", "a"), ("end_latitude", "b"), ("end_longitude", "b")],
        [("lat", "a"), ("lon", "a"), ("centroid_lat", "b"), ("centroid_lon", "b")],
        # two spellings of one position (the first filled, as before)
        [("Latitude", "a"), ("Longitude", "a"), ("Lat DD", "a"), ("Lon DD", "a")],
    ],
    ids=["port", "previous", "end", "centroid", "spellings"],
)
def test_a_plain_pair_beside_another_place_is_still_read(tmp_path, kind, cols):
    path, raw = _file(tmp_path, kind, cols)
    res = _read(kind, path)
    assert_accounted(res)
    assert sorted(res.frame["lat"]) == sorted(raw[cols[0][0]].astype(float))
    assert sorted(res.frame["lon"]) == sorted(raw[cols[1][0]].astype(float))
    if cols[2][1] == "b":  # the other pair is named in the assumptions
        said = res.assumptions["columns"]["lat"]["evidence"]
        assert f"other pairs not used: {cols[2][0]!r}/{cols[3][0]!r}" in said


def test_degrees_and_minutes_are_one_position_not_two_pairs(tmp_path):
    text = "date,drug,Lat Deg,Lat Min,Lat NS,Lon Deg,Lon Min,Lon EW\n" + "".join(
        f"2023-03-{10 + i:02d},cocaine,10,{30 + i},N,100,{15 + i},E\n" for i in range(6)
    )
    res = read_seizures(write_text(tmp_path, "dm.csv", text))
    assert res.frame["lat"].round(4).tolist() == [round(10 + (30 + i) / 60, 4) for i in range(6)]


def test_the_command_exits_2_with_one_line(tmp_path, capsys):
    from pipeline.cli import main

    cols = [("pickup_latitude", "a"), ("pickup_longitude", "a")]
    cols += [("dropoff_latitude", "b"), ("dropoff_longitude", "b")]
    path, _ = _file(tmp_path, "seizures", cols)
    code = main(["ingest", "seizures", str(path), "--log-format", "text", "--out", str(tmp_path)])
    assert code == 2
    _, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if "latitude/longitude pairs" in line]
    assert len(lines) == 1 and "'pickup_latitude'/'pickup_longitude'" in lines[0]


@pytest.mark.parametrize("kind", KINDS)
def test_a_bounding_box_of_edges_is_refused_as_no_point(tmp_path, kind):
    # Refused before as columns that "do not decide which is which", no word of a box.
    cols = [("bbox_south", "a"), ("bbox_west", "a"), ("bbox_north", "b"), ("bbox_east", "b")]
    path, _ = _file(tmp_path, kind, cols)
    with pytest.raises(InputError, match=r"edges of a bounding box .*, not a point") as err:
        _read(kind, path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("kind", KINDS)
def test_arcgis_point_xy_beside_other_degrees_is_refused(tmp_path, kind):
    # ArcGIS's 'Add XY Coordinates' columns holding another place: 'lat' was read quietly.
    path, raw = _file(tmp_path, kind, [("lat", "a"), ("lon", "a")])
    raw["POINT_Y"] = (raw["lat"].astype(float) + 20).round(2)
    raw["POINT_X"] = (raw["lon"].astype(float) + 20).round(2)
    raw.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"'lat'/'lon', 'POINT_Y'/'POINT_X'"):
        _read(kind, path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("form", ["same", "metres"])
def test_a_position_written_twice_or_in_metres_is_one_pair(tmp_path, kind, form):
    path, raw = _file(tmp_path, kind, [("lat", "a"), ("lon", "a")])
    if form == "same":  # the same degrees at another precision: nothing to choose
        raw["lat_corrected"] = raw["lat"].astype(float).map("{:.4f}".format)
        raw["lon_corrected"] = raw["lon"].astype(float).map("{:.4f}".format)
    else:  # projected metres are no position in degrees
        raw["POINT_Y"] = [f"{1_100_000 + i}" for i in range(len(raw))]
        raw["POINT_X"] = [f"{388_000 + i}" for i in range(len(raw))]
    raw.to_csv(path, index=False)
    res = _read(kind, path)
    assert_accounted(res)
    assert sorted(res.frame["lat"]) == sorted(raw["lat"].astype(float))
