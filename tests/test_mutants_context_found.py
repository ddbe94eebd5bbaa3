"""Mutation check of the context layers (``ingest/context.py``) and time zones (``zones.py``).

Each test kills a hand-made mutant that the suite let live, checked against a value worked
out by hand here: ``zoneinfo``/``datetime`` for the times, the files' own line numbers and
shapely/pyproj for the layers.  Tiny files in ``tmp_path``; no pipeline run.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import shapely
from pyproj import Transformer
from test_seizures_time_zones import _read as _seizures
from test_seizures_time_zones import _times

from pipeline.errors import InputError, SourceUnreadable
from pipeline.ingest import read_context
from pipeline.ingest.options import ContextSource


def _geojson(path: Path, *geoms: dict, props: list[dict] | None = None, crs: str | None = None):
    """Write a FeatureCollection of ``geoms`` (GeoJSON geometry dicts, None for none)."""
    doc: dict = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": (props or [{}] * len(geoms))[i], "geometry": g}
            for i, g in enumerate(geoms)
        ],
    }
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rejects(res) -> list[tuple[int, str]]:
    return sorted(zip(res.rejects["row"].astype(int), res.rejects["rule"], strict=True))


def _utc(local: str, zone) -> str:
    """``local`` (``yyyy-mm-dd HH:MM``) in ``zone`` (a tzinfo) as UTC text, by hand."""
    at = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


# --- context layers: the geometry kinds each layer takes ------------------------------------

_SQUARE = {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]]}


def test_a_ports_layer_takes_points_and_multipoints_and_rejects_a_polygon(tmp_path):
    path = _geojson(
        tmp_path / "ports.geojson",
        {"type": "Point", "coordinates": [4.1, 51.9]},
        _SQUARE,
        {"type": "MultiPoint", "coordinates": [[9.9, 53.5], [9.8, 53.4]]},
        {"type": "LineString", "coordinates": [[1, 1], [2, 2]]},
        props=[{"name": n} for n in ("Rotterdam", "area", "Hamburg", "line")],
    )
    res = read_context(path, "ports")
    assert list(res.frame["name"]) == ["Rotterdam", "Hamburg"]
    assert list(res.frame.geom_type) == ["Point", "MultiPoint"]
    # the features' own order in the file: 1-based
    assert _rejects(res) == [(2, "geometry_wrong_type"), (4, "geometry_wrong_type")]
    assert res.n_read == len(res.frame) + len(res.rejects) == 4


def test_a_land_layer_rejects_a_point_and_takes_polygons_and_coastlines(tmp_path):
    path = _geojson(
        tmp_path / "land.geojson",
        _SQUARE,
        {"type": "Point", "coordinates": [4.1, 51.9]},
        {"type": "LineString", "coordinates": [[5, 5], [6, 6]]},
        {"type": "MultiPoint", "coordinates": [[9.9, 53.5]]},
    )
    res = read_context(path, "land")
    assert list(res.frame.geom_type) == ["Polygon", "LineString"]
    assert list(res.frame["source_row"]) == [1, 3]
    assert _rejects(res) == [(2, "geometry_wrong_type"), (4, "geometry_wrong_type")]


def test_a_kind_other_than_its_sources_is_refused(tmp_path):
    path = _geojson(tmp_path / "ports.geojson", {"type": "Point", "coordinates": [4.1, 51.9]})
    with pytest.raises(InputError, match="kind 'land' given for a 'ports' source"):
        read_context(ContextSource(path=path, kind="ports"), "land")


def test_a_declared_crs_is_used_and_a_configured_one_only_where_none_is_declared(tmp_path):
    # Rotterdam in Web Mercator metres, the file saying so; the configured crs (for files
    # that declare none) would put it at 463 km N, 6.8 Mm E read as UTM 31N
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(4.1, 51.9)
    path = _geojson(
        tmp_path / "ports.geojson",
        {"type": "Point", "coordinates": [x, y]},
        crs="urn:ogc:def:crs:EPSG::3857",
    )
    res = read_context(path, "ports", crs="EPSG:32631")
    pt = res.frame.geometry.iloc[0]
    assert (round(pt.x, 6), round(pt.y, 6)) == (4.1, 51.9)
    assert res.assumptions["crs"]["by"] == "file"
    assert res.assumptions["crs"]["value"] == "EPSG:3857"


# --- degree ranges: exactly 90 and 180 are degrees ------------------------------------------


def test_positions_at_exactly_90_and_180_degrees_are_accepted_from_a_csv(tmp_path):
    path = _csv(tmp_path / "ports.csv", "name,lat,lon", "n,90,180", "s,-90,-180", "x,90.5,10")
    res = read_context(path, "ports")
    xy = [(p.x, p.y) for p in res.frame.geometry]
    assert xy == [(180.0, 90.0), (-180.0, -90.0)]
    assert _rejects(res) == [(4, "lat_out_of_range")]
    assert res.assumptions["crs"]["by"] == "default"


def test_geometries_at_exactly_90_and_180_degrees_are_accepted_from_a_vector_file(tmp_path):
    path = _geojson(
        tmp_path / "ports.geojson",
        {"type": "Point", "coordinates": [180, 90]},
        {"type": "Point", "coordinates": [-180, -90]},
        {"type": "Point", "coordinates": [-180.5, 10]},
        {"type": "Point", "coordinates": [10, -90.5]},
        {"type": "Point", "coordinates": [10, 90.5]},
    )
    res = read_context(path, "ports")
    assert [(p.x, p.y) for p in res.frame.geometry] == [(180.0, 90.0), (-180.0, -90.0)]
    assert _rejects(res) == [
        (3, "lon_out_of_range"),
        (4, "lat_out_of_range"),
        (5, "lat_out_of_range"),
    ]


def test_a_lane_reaching_past_180_is_kept_and_a_point_there_is_not(tmp_path):
    path = _geojson(
        tmp_path / "lanes.geojson",
        {"type": "LineString", "coordinates": [[179.0, 10.0], [180.4, 10.5]]},
        {"type": "LineString", "coordinates": [[-180.4, 10.0], [-179.0, 10.5]]},
    )
    res = read_context(path, "lanes")
    assert list(res.frame["source_row"]) == [1, 2]
    assert len(res.rejects) == 0


def test_a_port_on_the_equator_or_the_meridian_is_no_null_island(tmp_path):
    path = _csv(tmp_path / "ports.csv", "name,lat,lon", "a,0,10", "b,10,0", "c,0,0")
    res = read_context(path, "ports")
    assert list(res.frame["name"]) == ["a", "b"]
    assert _rejects(res) == [(4, "null_island")]


def test_a_multipoint_port_with_a_part_at_null_island_is_rejected(tmp_path):
    # a port's second berth written as zeros: the feature was kept, a port at 0°, 0°
    path = _geojson(
        tmp_path / "ports.geojson",
        {"type": "MultiPoint", "coordinates": [[10.0, 54.0], [0.0, 0.0]]},
        {"type": "MultiPoint", "coordinates": [[10.0, 54.0], [0.0, 5.0], [5.0, 0.0]]},
        {"type": "Point", "coordinates": [0.0, 0.0]},
    )
    res = read_context(path, "ports")
    assert list(res.frame["source_row"]) == [2]
    assert sorted(r for _, r in _rejects(res)) == ["null_island", "null_island"]


# --- rejects: the rule and the file's own line -------------------------------------------------


def test_a_ports_csv_rejects_each_row_at_its_line_with_its_first_rule(tmp_path):
    path = _csv(
        tmp_path / "ports.csv",
        "name,lat,lon",
        "A,10,20",  # line 2
        "",  # line 3: blank, not a record
        "B,abc,4.1",  # line 4
        "C,,5",  # line 5: one of the two missing
        "D,95,21",  # line 6
        "E,11,21",  # line 7
    )
    res = read_context(path, "ports")
    assert list(res.frame["source_row"]) == [2, 7]
    assert res.rejects[["row", "rule", "column", "value"]].to_dict("records") == [
        {"row": 4, "rule": "coord_unparseable", "column": "lat/lon", "value": "abc 4.1"},
        {"row": 5, "rule": "coord_missing", "column": "lat/lon", "value": " 5"},
        {"row": 6, "rule": "lat_out_of_range", "column": "lat", "value": "95"},
    ]
    assert res.n_read == 5


def test_a_wkt_table_rejects_blank_empty_and_unreadable_geometry_by_their_rules(tmp_path):
    path = _csv(
        tmp_path / "ports.csv",
        "name,WKT",
        'a,"POINT (1 2)"',
        "b,",
        'c,"POINT EMPTY"',
        "d,not a shape",
    )
    res = read_context(path, "ports", crs="EPSG:4326")
    assert list(res.frame["name"]) == ["a"]
    assert _rejects(res) == [
        (3, "geometry_missing"),
        (4, "geometry_missing"),
        (5, "geometry_unparseable"),
    ]
    assert res.assumptions["columns"]["geometry"]["column"] == "WKT"


def test_a_configured_name_column_names_the_ports(tmp_path):
    path = _csv(
        tmp_path / "ports.csv",
        "name,port_name,lat,lon",
        "x1,Rotterdam,51.9,4.1",
        "x2,Hamburg,53.5,9.9",
    )
    res = read_context(path, "ports", columns={"name": "port_name", "lat": "lat", "lon": "lon"})
    assert list(res.frame["name"]) == ["Rotterdam", "Hamburg"]


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def test_the_configured_member_of_a_zip_is_read_and_two_without_it_are_refused(tmp_path):
    path = _zip(
        tmp_path / "ports.zip",
        {"a/one.csv": "name,lat,lon\nA,1,2\n", "b/two.csv": "name,lat,lon\nB,3,4\n"},
    )
    for member in ("two.csv", "b/two.csv"):
        res = read_context(ContextSource(path=path, kind="ports", member=member))
        assert list(res.frame["name"]) == ["B"], member
    with pytest.raises(SourceUnreadable, match="holds 2 data files"):
        read_context(path, "ports")


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_geometry_with_a_non_finite_vertex_is_rejected_though_its_bounds_are_finite(tmp_path):
    # GEOS leaves a NaN vertex out of the envelope: this line's bounds are (0, 0, 2, 2)
    assert list(shapely.bounds(shapely.from_wkt("LINESTRING (0 0, NaN 1, 2 2)"))) == [0, 0, 2, 2]
    path = _csv(
        tmp_path / "lanes.csv",
        "name,wkt",
        'a,"LINESTRING (0 0, NaN 1, 2 2)"',
        'b,"POINT (NaN 1)"',
        'c,"LINESTRING (0 0, 1 1)"',
        'd,"LINESTRING (0 0, 1 inf)"',
    )
    res = read_context(path, "lanes", crs="EPSG:4326")
    assert list(res.frame["name"]) == ["c"]
    assert _rejects(res) == [
        (2, "geometry_invalid"),
        (3, "geometry_wrong_type"),
        (5, "geometry_invalid"),
    ]
    assert "repaired_geometries" not in res.assumptions


# --- CRS: declared, configured, or degrees only when they fit --------------------------------


def test_ports_in_the_east_with_longitudes_past_90_are_degrees(tmp_path):
    path = _csv(
        tmp_path / "ports.csv",
        "name,lat,lon",
        "Singapore,1.26,103.84",
        "Shanghai,31.23,121.47",
        "Tokyo,35.62,139.78",
    )
    res = read_context(path, "ports")
    assert [(p.x, p.y) for p in res.frame.geometry] == [
        (103.84, 1.26),
        (121.47, 31.23),
        (139.78, 35.62),
    ]
    assert res.assumptions["crs"] == {
        "by": "default",
        "evidence": "CSV latitude/longitude columns within degree ranges read as EPSG:4326",
        "value": "EPSG:4326",
    }


@pytest.mark.parametrize(
    "rows",
    [("a,95,4.1", "b,345,4.2", "c,10,4.3"), ("a,10,200", "b,11,345", "c,12,4.3")],
    ids=["latitudes", "longitudes"],
)
def test_a_column_mostly_past_its_degree_range_is_refused_though_the_other_fits(tmp_path, rows):
    # two of three latitudes beyond 90 (longitudes beyond 180) beside the other column in
    # degrees: the layer is misread, not two bad rows (values too small for
    # read_positions' projected-metres check)
    path = _csv(tmp_path / "ports.csv", "name,lat,lon", *rows)
    with pytest.raises(InputError, match="mostly outside degree ranges"):
        read_context(path, "ports")


def test_a_csv_in_a_configured_projected_crs_is_transformed(tmp_path):
    # Rotterdam in UTM 31N (EPSG:32631) metres, worked out by pyproj here
    x, y = Transformer.from_crs(4326, 32631, always_xy=True).transform(4.1, 51.9)
    path = _csv(tmp_path / "ports.csv", "name,lat,lon", f"Rotterdam,{y:.3f},{x:.3f}")
    res = read_context(path, "ports", crs="epsg:32631")  # said as the authority spells it
    pt = res.frame.geometry.iloc[0]
    assert (round(pt.x, 5), round(pt.y, 5)) == (4.1, 51.9)
    assert res.assumptions["crs"] == {
        "by": "config",
        "evidence": "crs set in the config",
        "value": "EPSG:32631",
    }


def test_a_position_the_configured_crs_cannot_place_is_rejected_as_out_of_crs(tmp_path):
    # pyproj gives (inf, inf) for UTM 31N metres of 1e9: not a latitude beyond 90
    far = Transformer.from_crs(32631, 4326, always_xy=True).transform(1e9, 1e9)
    assert far == (float("inf"), float("inf"))
    path = _csv(
        tmp_path / "ports.csv", "name,lat,lon", "far,1000000000,1000000000", "near,5750000,600000"
    )
    res = read_context(path, "ports", crs="EPSG:32631")
    assert list(res.frame["name"]) == ["near"]
    assert _rejects(res) == [(2, "coord_out_of_crs")]


def test_wkt_without_a_crs_is_refused_and_with_one_is_read(tmp_path):
    path = _csv(tmp_path / "lanes.csv", "name,wkt", 'a,"LINESTRING (1 1, 2 2)"')
    with pytest.raises(InputError, match="WKT geometry has no CRS"):
        read_context(path, "lanes")
    res = read_context(path, "lanes", crs="EPSG:4326")
    assert list(res.frame.geometry.to_wkt()) == ["LINESTRING (1 1, 2 2)"]


# --- repairs -----------------------------------------------------------------------------------


def test_a_repaired_land_polygon_stays_a_polygon_and_a_collapsed_one_is_rejected(tmp_path):
    path = _csv(
        tmp_path / "land.csv",
        "name,wkt",
        'bowtie,"POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))"',
        'spike,"POLYGON((0 0, 2 0, 2 2, 0 2, 0 0, -1 -1, 0 0))"',
        'dot,"POLYGON((1 1, 1 1, 1 1, 1 1))"',
        'flat,"POLYGON((5 5, 6 6, 7 7, 5 5))"',
        'fine,"POLYGON((3 3, 4 3, 4 4, 3 3))"',
    )
    res = read_context(path, "land", crs="EPSG:4326")
    frame = res.frame.set_index("name")
    assert list(frame.index) == ["bowtie", "spike", "fine"]
    # by hand: the bowtie is two triangles of area 1 each; the spike's square has area 4
    assert frame.geometry["bowtie"].geom_type == "MultiPolygon"
    assert frame.geometry["bowtie"].area == pytest.approx(2.0)
    assert frame.geometry["spike"].geom_type == "Polygon"
    assert frame.geometry["spike"].equals(shapely.box(0, 0, 2, 2))
    assert _rejects(res) == [(4, "geometry_invalid"), (5, "geometry_invalid")]
    assert res.assumptions["repaired_geometries"] == 2
    assert any("2 invalid geometr(ies) repaired" in n for n in res.notes)
    assert res.n_read == 5


# --- time zones a header names ----------------------------------------------------------------


def test_a_date_layout_in_the_time_header_is_no_zone(tmp_path):
    # 'dd/mm/yyyy' has a slash as 'Europe/Berlin' has: it was taken for a zone name and
    # every record with a time was rejected as time_zone_unknown ("skipped or repeated")
    res = _seizures(tmp_path, '"Date (dd/mm/yyyy hh:mm)"', "25/03/2021 10:00", "26/03/2021 11:00")
    assert _times(res) == ["2021-03-25 10:00", "2021-03-26 11:00"]  # naive, read as UTC
    assert len(res.rejects) == 0
    assert "utc_offset" not in res.assumptions["columns"]


def test_a_zone_name_in_any_case_is_the_tz_database_zone(tmp_path):
    res = _seizures(tmp_path, '"when (europe/berlin)"', "2021-07-01 12:00", "2021-01-10 12:00")
    berlin = ZoneInfo("Europe/Berlin")
    assert _times(res) == [_utc("2021-07-01 12:00", berlin), _utc("2021-01-10 12:00", berlin)]
    assert _times(res) == ["2021-07-01 10:00", "2021-01-10 11:00"]
    assert "'Europe/Berlin'" in res.assumptions["columns"]["utc_offset"]["evidence"]


def test_a_misspelt_zone_name_in_the_time_header_is_refused_in_one_line(tmp_path):
    with pytest.raises(InputError, match=r"s\.csv: .*'Europe/Berln', which is no IANA time zone"):
        _seizures(tmp_path, '"when (Europe/Berln)"', "2021-07-01 12:00")


# --- time zones: an offset or zone column --------------------------------------------------


def _east(minutes: int) -> timezone:
    """A fixed offset of ``minutes`` east of UTC."""
    return timezone(timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("offset", "zone"),
    [
        ("+0545", _east(5 * 60 + 45)),
        ("+05:45", _east(5 * 60 + 45)),
        ("-0330", _east(-(3 * 60 + 30))),
        ("UTC+5:30", _east(5 * 60 + 30)),
        ("GMT-3", _east(-3 * 60)),
        ("+530", _east(5 * 60 + 30)),
        ("5.5", _east(5 * 60 + 30)),
        ("-9.5", _east(-(9 * 60 + 30))),
        ("+14:00", _east(14 * 60)),
        ("-12", _east(-12 * 60)),
        ("cet", _east(60)),
        ("UTC +2", _east(120)),
    ],
)
def test_an_offset_column_places_each_spelling_of_an_offset(tmp_path, offset, zone):
    res = _seizures(tmp_path, "date,utc_offset", f"2021-03-05 10:00,{offset}")
    assert _times(res) == [_utc("2021-03-05 10:00", zone)]
    assert len(res.rejects) == 0


@pytest.mark.parametrize("offset", ["+14:30", "15", "-15:00", "+05:60", "Mars/Olympus"])
def test_an_offset_beyond_14_hours_or_no_offset_is_rejected_not_read(tmp_path, offset):
    res = _seizures(
        tmp_path, "date,utc_offset", "2021-03-05 10:00,+01:00", f"2021-03-05 10:00,{offset}"
    )
    assert _times(res) == ["2021-03-05 09:00"]
    assert _rejects(res) == [(3, "time_zone_unknown")]
    assert res.rejects["column"].tolist() == ["utc_offset"]


@pytest.mark.parametrize(
    ("header", "value", "hours"),
    [
        ("utc_offset_min", "-300", -5),
        ("UTC offset (minutes)", "330", 5.5),
        ("tz_offset_s", "7200", 2),
    ],
)
def test_an_offset_column_in_minutes_or_seconds_is_read_in_its_unit(tmp_path, header, value, hours):
    res = _seizures(tmp_path, f'date,"{header}"', f"2021-03-05 10:00,{value}")
    zone = _east(round(hours * 60))
    assert _times(res) == [_utc("2021-03-05 10:00", zone)]


def test_a_zone_name_per_row_applies_its_summer_time_and_rejects_gaps_and_folds(tmp_path):
    berlin = ZoneInfo("Europe/Berlin")
    res = _seizures(
        tmp_path,
        "date,timezone",
        "2021-07-01 12:00,Europe/Berlin",
        "2021-01-10 12:00,Europe/Berlin",
        "2021-03-28 02:30,Europe/Berlin",  # skipped: clocks went from 02:00 to 03:00
        "2021-10-31 02:30,Europe/Berlin",  # repeated: 02:00-03:00 came twice
        "2021-07-01 12:00,America/New_York",
    )
    assert _times(res) == [
        _utc("2021-07-01 12:00", berlin),
        _utc("2021-01-10 12:00", berlin),
        _utc("2021-07-01 12:00", ZoneInfo("America/New_York")),
    ]
    assert _times(res) == ["2021-07-01 10:00", "2021-01-10 11:00", "2021-07-01 16:00"]
    assert _rejects(res) == [(4, "time_zone_unknown"), (5, "time_zone_unknown")]
    assert any(
        "3 local time(s) placed in UTC by their offset or zone in column 'timezone'; "
        "2 without a usable one rejected" in n
        for n in res.notes
    )
    assert "taken as UTC" not in res.assumptions["time_zone"]  # the rejected ones neither


def test_a_header_zone_rejects_the_times_it_skips_or_repeats(tmp_path):
    res = _seizures(
        tmp_path,
        '"time (Europe/Berlin)"',
        "2021-03-28 02:30",
        "2021-10-31 02:30",
        "2021-10-31 03:30",
    )
    assert _times(res) == [_utc("2021-10-31 03:30", ZoneInfo("Europe/Berlin"))]
    assert _rejects(res) == [(2, "time_zone_unknown"), (3, "time_zone_unknown")]
    assert any("2 that zone skips or repeats rejected" in n for n in res.notes)
    assert any("1 local time(s) placed in UTC by the zone" in n for n in res.notes)
    # the assumptions say which zone placed them, and that no column did
    assert res.assumptions["time_zone"] == (
        "1 local time(s) placed in UTC by the zone or offset 'Europe/Berlin' that header "
        "'time (Europe/Berlin)' names"
    )


def test_a_date_without_a_time_stays_midnight_utc_beside_an_offset(tmp_path):
    res = _seizures(tmp_path, "date,utc_offset", "2021-03-05,+05:00", "2021-03-05 10:00,+05:00")
    assert _times(res) == ["2021-03-05 00:00", "2021-03-05 05:00"]
    said = res.assumptions["time_zone"]
    assert said.startswith(
        "1 local time(s) placed in UTC by their offset or zone in column 'utc_offset'"
    )
    assert "1 value(s) are dates without a time (00:00 UTC)" in said
    assert "taken as UTC" not in said


def test_two_offset_columns_are_refused(tmp_path):
    with pytest.raises(InputError, match="several columns name a UTC offset"):
        _seizures(tmp_path, "date,utc_offset,timezone", "2021-03-05 10:00,+01:00,+02:00")


@pytest.mark.parametrize(
    "zones",
    [("17", "31"), ("+1", "A1")],
    # '+1' beside 'A1' is a map zone, not an offset written as no map zone is (hGS)
    ids=["numbers", "signed-beside-letters"],
)
def test_a_bare_zone_column_of_map_zones_is_not_applied(tmp_path, zones):
    # passed over (said in a note), not refused; the times stay as written (UTC)
    rows = (f"2021-03-05 {10 + i}:00,{z}" for i, z in enumerate(zones))
    res = _seizures(tmp_path, "date,Zone", *rows)
    assert _times(res) == ["2021-03-05 10:00", "2021-03-05 11:00"]
    assert any("column 'Zone' holds no UTC offset" in n for n in res.notes)


def test_a_bare_zone_column_of_abbreviations_places_each_row(tmp_path):
    # hFL's Z39: a bare 'Zone' is the records' zone only when its values are zones; the
    # abbreviations of one meaning are (CET, JST, by hand), one of several (EST) is a reject
    res = _seizures(
        tmp_path,
        "date,Zone",
        "2021-03-05 10:00,CET",
        "2021-03-05 11:00,JST",
        "2021-03-05 12:00,EST",
    )
    assert _times(res) == [
        _utc("2021-03-05 10:00", timezone(timedelta(hours=1))),
        _utc("2021-03-05 11:00", timezone(timedelta(hours=9))),
    ]
    assert res.rejects["rule"].tolist() == ["time_zone_unknown"]


@pytest.mark.parametrize("header", ['"Time (LT)"', '"Date (IST)"'])
def test_a_header_saying_local_time_without_which_zone_is_refused(tmp_path, header):
    with pytest.raises(InputError, match="which zone is a guess|cannot be placed in UTC"):
        _seizures(tmp_path, header, "2021-03-05 10:00")


def test_the_offset_column_is_applied_and_the_header_zone_is_said_not_to_be(tmp_path):
    res = _seizures(tmp_path, '"Date (UTC+5)",utc_offset', "2021-03-05 10:00,+01:00")
    assert _times(res) == ["2021-03-05 09:00"]
    assert res.assumptions["columns"]["utc_offset"]["by"] == "name"
    assert any("the header's zone is not" in n for n in res.notes)


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ('"Date (UTC+0545)"', "2021-03-05 10:00", "2021-03-05 04:15"),
        ('"Date (UTC\u22123)"', "2021-03-05 10:00", "2021-03-05 13:00"),
        ("Date CET", "2021-03-05 10:00", "2021-03-05 09:00"),
        # a bare offset in brackets was no zone: the times were read as UTC, 2 h off
        ('"Time (+02:00)"', "2021-03-05 10:00", "2021-03-05 08:00"),
        ('"Date [-0530]"', "2021-03-05 10:00", "2021-03-05 15:30"),
        # the tz database's Etc/GMT-3 is 3 h east of UTC (POSIX signs): read as GMT-3, 6 h off
        (
            '"Time (Etc/GMT-3)"',
            "2021-03-05 10:00",
            _utc("2021-03-05 10:00", ZoneInfo("Etc/GMT-3")),
        ),
    ],
)
def test_a_header_offset_in_each_spelling_applies(tmp_path, header, value, expected):
    res = _seizures(tmp_path, header, value)
    assert _times(res) == [expected]


def test_a_bare_zone_column_of_offsets_and_map_zones_is_refused(tmp_path):
    with pytest.raises(InputError, match="holds UTC offsets or zone names"):
        _seizures(tmp_path, "date,Zone", "2021-03-05 10:00,+02:00", "2021-03-05 11:00,17")


def test_a_bare_zone_column_of_zone_names_is_applied(tmp_path):
    res = _seizures(
        tmp_path, "date,Zone", "2021-03-05 10:00,Etc/GMT+5", "2021-03-05 10:00,Europe/Oslo"
    )
    assert _times(res) == [
        _utc("2021-03-05 10:00", ZoneInfo("Etc/GMT+5")),
        _utc("2021-03-05 10:00", ZoneInfo("Europe/Oslo")),
    ]
    assert _times(res) == ["2021-03-05 15:00", "2021-03-05 09:00"]


def test_a_header_saying_utc_places_nothing(tmp_path):
    res = _seizures(tmp_path, '"Time (UTC)"', "2021-03-05 10:00")
    assert _times(res) == ["2021-03-05 10:00"]
    assert "utc_offset" not in res.assumptions["columns"]
    assert not any("placed in UTC" in n for n in res.notes)


def _boxes(path: Path, values: list[str], key: str) -> Path:
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    return _geojson(path, *[square] * len(values), props=[{key: v} for v in values])


@pytest.mark.parametrize(
    ("kind", "key", "value", "what"),
    [
        ("land", "THEMELAYER", "Traffic Separation Schemes", "shipping lanes, not land"),
        ("lanes", "featurecla", "Land", "land or coastline, not shipping lanes"),
        ("land", "location", "tile_07.tif", "raster footprints, not land"),
    ],
)
def test_a_layer_four_fifths_of_another_kind_is_refused(tmp_path, kind, key, value, what):
    # exactly 80 % of the features say what they are: the bound is inclusive
    path = _boxes(tmp_path / "layer.geojson", [value] * 4 + ["other"], key)
    with pytest.raises(InputError, match=what):
        read_context(path, kind)
    three = _boxes(tmp_path / "three.geojson", [value] * 3 + ["other"] * 2, key)
    assert len(read_context(three, kind).frame) == 5


def test_a_zone_column_of_offsets_may_hold_a_bare_0_for_utc(tmp_path):
    # 0 is UTC whichever way it is read, so it is an offset beside '+02:00', not a map zone
    res = _seizures(tmp_path, "date,Zone", "2021-03-05 10:00,+02:00", "2021-03-05 10:00,0")
    assert _times(res) == ["2021-03-05 08:00", "2021-03-05 10:00"]
    assert res.assumptions["columns"]["utc_offset"]["column"] == "Zone"


def test_a_lanes_layer_counts_its_areas_not_its_lines(tmp_path):
    path = _geojson(
        tmp_path / "lanes.geojson",
        _SQUARE,
        {"type": "LineString", "coordinates": [[1, 1], [2, 2]]},
        {"type": "MultiLineString", "coordinates": [[[3, 3], [4, 4]]]},
    )
    res = read_context(path, "lanes")
    assert res.assumptions["lane_areas"] == 1
    assert any("1 lane(s) are areas" in n for n in res.notes)


def test_a_wkt_table_of_land_given_as_lanes_is_refused(tmp_path):
    path = _csv(
        tmp_path / "lanes.csv",
        "featurecla,wkt",
        'Land,"POLYGON ((0 0, 1 0, 1 1, 0 0))"',
        'Land,"POLYGON ((2 2, 3 2, 3 3, 2 2))"',
    )
    with pytest.raises(InputError, match="land or coastline, not shipping lanes"):
        read_context(path, "lanes", crs="EPSG:4326")


def test_an_overpass_land_way_cut_by_the_query_box_is_rejected_not_drawn_as_lines(tmp_path):
    ring = [
        {"lat": 0.0, "lon": 0.0},
        {"lat": 0.0, "lon": 1.0},
        None,  # a node outside the query's bbox
        {"lat": 1.0, "lon": 1.0},
        {"lat": 1.0, "lon": 0.0},
        {"lat": 0.0, "lon": 0.0},
    ]
    doc = {
        "version": 0.6,
        "elements": [
            {"type": "way", "id": 7, "geometry": ring, "tags": {"natural": "coastline"}},
            {
                "type": "way",
                "id": 8,
                "geometry": [{"lat": 2.0, "lon": 2.0}, {"lat": 2.0, "lon": 3.0}],
                "tags": {"natural": "coastline"},
            },
        ],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    res = read_context(path, "land")
    assert list(res.frame["source_row"]) == [2]
    assert _rejects(res) == [(1, "geometry_missing")]
    assert "cannot be closed" in res.rejects["value"].iloc[0]
