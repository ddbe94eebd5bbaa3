"""Third mutation pass on the context layers (``ingest/context.py``) and time zones (``zones.py``).

Each test kills a hand-made mutant that the two earlier passes and the rest of the suite let
live.  Expected values are worked out here, never by the code under test: a CSV's physical
line numbers, shapely for geometry, ``zoneinfo``/``datetime`` for times.  Tiny files in
``tmp_path``; no pipeline run.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import shapely
from test_seizures_time_zones import _read, _times

from pipeline.errors import InputError
from pipeline.ingest import read_context, read_tracks


def _csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _geojson(path: Path, *geoms: dict, props: list[dict] | None = None) -> Path:
    feats = [
        {"type": "Feature", "properties": (props or [{}] * len(geoms))[i], "geometry": g}
        for i, g in enumerate(geoms)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def _rejects(res) -> list[tuple[int, str]]:
    return sorted(zip(res.rejects["row"].astype(int), res.rejects["rule"], strict=True))


# --- context layers ---------------------------------------------------------------------------


def test_a_wkt_lanes_table_with_its_geometry_column_named_is_taken_as_told(tmp_path):
    # 'featurecla: Coastline' on every row says land, but the config named the geometry
    # column: the layer is taken as told (as a vector file's is), not refused
    path = _csv(
        tmp_path / "lanes.csv",
        "featurecla,shape_wkt",
        'Coastline,"LINESTRING (0 0, 1 1)"',
        'Coastline,"LINESTRING (2 2, 3 3)"',
    )
    res = read_context(path, "lanes", {"geometry": "shape_wkt"}, crs="EPSG:4326")
    assert res.n_read == 2 and len(res.frame) == 2 and len(res.rejects) == 0


def test_a_multipoint_port_with_a_berth_past_180_is_rejected_like_a_point(tmp_path):
    # a port's second berth at 181 degrees east in EPSG:4326 is no place, as a point there
    # is not: both are lon_out_of_range (lines and areas may reach past 180, points may not)
    path = _geojson(
        tmp_path / "ports.geojson",
        {"type": "MultiPoint", "coordinates": [[179.0, 10.0], [181.0, 10.0]]},
        {"type": "Point", "coordinates": [181.0, 10.0]},
        {"type": "MultiPoint", "coordinates": [[179.0, 10.0], [179.5, 10.0]]},
    )
    res = read_context(path, "ports")
    assert _rejects(res) == [(1, "lon_out_of_range"), (2, "lon_out_of_range")]
    assert res.frame["source_row"].tolist() == [3]


def test_a_ports_csv_counts_its_ragged_rows_as_read(tmp_path):
    # read = accepted + rejected: a row of too many fields is read (and rejected), so the
    # count read is the three data lines, not the two whole rows
    path = _csv(
        tmp_path / "ports.csv",
        "name,lat,lon",
        "A,51.9,4.1",
        "B,53.5,9.9,extra,fields",
        "C,1.26,103.8",
    )
    res = read_context(path, "ports")
    assert res.frame["name"].tolist() == ["A", "C"]
    assert _rejects(res) == [(3, "ragged_row")]
    assert res.n_read == 3 == len(res.frame) + len(res.rejects)


def test_an_overpass_land_relation_of_closed_member_ways_is_an_area(tmp_path):
    # a multipolygon relation (an island) given with 'out geom': its outer member ways
    # close a ring, so the land is the area inside it, not the outline as a coastline
    outer = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)]
    inner = [(0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.5, 1.0), (0.5, 0.5)]
    rel = {
        "type": "relation",
        "id": 9,
        "tags": {"type": "multipolygon", "place": "island"},
        "members": [
            {
                "type": "way",
                "role": "outer",
                "geometry": [{"lat": y, "lon": x} for x, y in outer[:3]],
            },
            {
                "type": "way",
                "role": "outer",
                "geometry": [{"lat": y, "lon": x} for x, y in outer[2:]],
            },
            {"type": "way", "role": "inner", "geometry": [{"lat": y, "lon": x} for x, y in inner]},
        ],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"version": 0.6, "elements": [rel]}))
    res = read_context(path, "land")
    assert res.n_read == 1 and len(res.frame) == 1
    geom = res.frame.geometry.iloc[0]
    want = shapely.Polygon(outer, [inner])
    assert shapely.get_dimensions(geom) == 2
    assert shapely.equals(shapely.normalize(geom), shapely.normalize(want))
    # the lake (the inner ring) is no land; the rest of the island is
    assert not shapely.contains_xy(geom, 0.75, 0.75)
    assert shapely.contains_xy(geom, 1.5, 1.5)


def test_a_feature_collection_with_an_elements_member_is_read_as_geojson(tmp_path):
    # RFC 7946 6.1 allows foreign members: an 'elements' list beside 'features' does not make
    # the file an Overpass answer (whose elements, none here, would have been the ports)
    feats = [
        {
            "type": "Feature",
            "properties": {"name": n},
            "geometry": {"type": "Point", "coordinates": c},
        }
        for n, c in (("Rotterdam", [4.14, 51.95]), ("Hamburg", [9.98, 53.54]))
    ]
    doc = {"type": "FeatureCollection", "elements": [], "features": feats}
    path = tmp_path / "ports.json"
    path.write_text(json.dumps(doc))
    res = read_context(path, "ports")
    assert res.n_read == 2 and res.frame["name"].tolist() == ["Rotterdam", "Hamburg"]
    assert "Overpass" not in str(res.assumptions.get("format", ""))


def test_a_dated_ports_layer_with_its_columns_named_is_taken_as_told(tmp_path):
    # dates and an event's words among its attributes read as incidents, refused; naming
    # the layer's columns in the config says it is ports all the same (as for a CSV)
    props = [
        {"incident_date": "2021-03-05", "attack_type": "boarded", "label": "Berth 1"},
        {"incident_date": "2021-04-07", "attack_type": "attempted", "label": "Berth 2"},
    ]
    path = _geojson(
        tmp_path / "berths.geojson",
        {"type": "Point", "coordinates": [4.1, 51.9]},
        {"type": "Point", "coordinates": [9.9, 53.5]},
        props=props,
    )
    with pytest.raises(InputError, match="dated events, not ports"):
        read_context(path, "ports")
    res = read_context(path, "ports", {"name": "label"})
    assert res.frame["name"].tolist() == ["Berth 1", "Berth 2"]


def test_land_drawn_across_180_without_the_cut_is_cut_there_and_said(tmp_path):
    # a Fijian island written the short way (179 -> -179): two degrees of land cut at 180,
    # not a band of 358 degrees round the globe; the note says what was done
    ring = [[179.0, -17.0], [-179.0, -17.0], [-179.0, -16.0], [179.0, -16.0], [179.0, -17.0]]
    path = _geojson(tmp_path / "land.geojson", {"type": "Polygon", "coordinates": [ring]})
    res = read_context(path, "land")
    geom = res.frame.geometry.iloc[0]
    assert geom.area == pytest.approx(2.0)
    assert geom.bounds == pytest.approx((-180.0, -17.0, 180.0, -16.0))
    assert shapely.contains_xy(geom, [179.5, -179.5, 0.0], [-16.5, -16.5, -16.5]).tolist() == [
        True,
        True,
        False,
    ]
    assert any("1 polygon(s) across 180° were read the short way" in n for n in res.notes)


def test_an_island_across_180_is_unwrapped_before_its_validity_is_checked(tmp_path):
    # read as written, this outline's two steps across 180° cross each other: make_valid
    # (or the cut at 180°) worked on a bow tie.  Read the short way it is a valid island of
    # 1.5 square degrees, cut at 180° into the two halves worked out here by shapely
    from shapely import affinity

    ring = [(179.5, -17), (-179.5, -16), (-179, -16.5), (-179.5, -15), (179.5, -16), (179, -16.5)]
    ring.append(ring[0])
    path = _geojson(tmp_path / "land.geojson", {"type": "Polygon", "coordinates": [ring]})
    island = shapely.Polygon([(x + 360 if x < 0 else x, y) for x, y in ring])
    east = shapely.intersection(island, shapely.box(0, -90, 180, 90))
    west = affinity.translate(shapely.intersection(island, shapely.box(180, -90, 360, 90)), -360)
    want = shapely.union(east, west)
    res = read_context(path, "land")
    assert len(res.frame) == 1 and len(res.rejects) == 0
    geom = res.frame.geometry.iloc[0]
    assert geom.area == pytest.approx(island.area) == pytest.approx(1.5)
    assert shapely.symmetric_difference(geom, want).area == pytest.approx(0.0, abs=1e-9)
    assert "repaired_geometries" not in res.assumptions


# --- time zones -------------------------------------------------------------------------------


def _utc(local: str, zone) -> str:
    """``local`` (``yyyy-mm-dd HH:MM``) in ``zone`` (a tzinfo) as UTC text, by hand."""
    at = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def test_a_time_with_its_own_offset_beside_a_blank_offset_cell_is_no_disagreement(tmp_path):
    # a row whose offset cell is blank gives no offset to disagree with: only the row whose
    # column says +05:00 beside its own +02:00 is counted
    res = _read(
        tmp_path,
        "date,utc_offset",
        "2021-03-05T10:00+02:00,",
        "2021-03-05T10:00+02:00,+05:00",
        "2021-03-05 10:00,+05:00",
    )
    plus2, plus5 = timezone(timedelta(hours=2)), timezone(timedelta(hours=5))
    assert _times(res) == [
        _utc("2021-03-05 10:00", plus2),
        _utc("2021-03-05 10:00", plus2),
        _utc("2021-03-05 10:00", plus5),
    ]
    said = [n for n in res.notes if "carry an offset of their own" in n]
    assert len(said) == 1 and ": 1 time(s) carry" in said[0]


@pytest.mark.parametrize("header", ['"Time (Z)"', '"DTG [Z]"'])
def test_a_header_saying_zulu_places_nothing(tmp_path, header):
    # Z is UTC, as UTC and GMT are: no header zone is said to place the times
    res = _read(tmp_path, header, "2021-03-05 10:00")
    assert _times(res) == ["2021-03-05 10:00"]
    assert "utc_offset" not in res.assumptions["columns"]
    assert not any("placed in UTC" in n for n in res.notes)


def test_a_header_zone_beside_an_abbreviation_of_several_zones_is_refused(tmp_path):
    # the date's header names CET and the time of day's names EST (New York or Sydney?):
    # the times were placed by CET, a zone the time's own header contradicts
    with pytest.raises(InputError, match="names the zone 'EST', an abbreviation of several"):
        _read(tmp_path, '"Date (CET)","Time (EST)"', "2021-03-05,10:00")


def test_a_time_with_its_own_offset_is_compared_with_its_rows_zone_at_that_instant(tmp_path):
    # Europe/Berlin is +02:00 in July and +01:00 in January (zoneinfo): a July time written
    # +02:00 agrees with it, a July +05:00 and a January +02:00 do not
    berlin = ZoneInfo("Europe/Berlin")
    values = [("2021-07-01T12:00", 5), ("2021-07-01T12:00", 2), ("2021-01-01T12:00", 2)]
    differ = 0
    for local, hours in values:
        at = datetime.fromisoformat(local).replace(tzinfo=timezone(timedelta(hours=hours)))
        differ += at.astimezone(berlin).utcoffset() != timedelta(hours=hours)
    assert differ == 2
    res = _read(tmp_path, "date,timezone", *[f"{t}+{h:02d}:00,Europe/Berlin" for t, h in values])
    said = [n for n in res.notes if "carry an offset of their own" in n]
    assert len(said) == 1 and f": {differ} time(s) carry" in said[0]
    # each is read by its own offset, not placed again as Berlin's wall-clock time
    assert _times(res) == [
        _utc(t.replace("T", " "), timezone(timedelta(hours=h))) for t, h in values
    ]


def test_zoned_times_under_a_header_zone_and_an_ambiguous_one_say_no_zone_was_applied(tmp_path):
    # every time of day names its offset, so nothing is refused and nothing is placed by a
    # header: the assumptions do not say the header's CET was applied
    res = _read(tmp_path, '"Date (CET)","Time (EST)"', "2021-03-05,10:00+02:00")
    assert _times(res) == [_utc("2021-03-05 10:00", timezone(timedelta(hours=2)))]
    assert "utc_offset" not in res.assumptions["columns"]


def test_a_refusal_of_local_time_names_the_column_that_says_local(tmp_path):
    # the date's header says nothing; the time of day's says local time: the one line
    # names that column, not the date's
    with pytest.raises(InputError, match=r"time column 'Time \(local\)' says local time"):
        _read(tmp_path, 'date,"Time (local)"', "2021-03-05,10:00")


def test_a_zone_column_blank_in_the_first_chunk_and_zones_later_is_applied_streamed(tmp_path):
    # the first chunk (at least 64 KiB) has a blank 'Zone' column, so it was not applied;
    # 'CET' further on (an offset, though written as no map zone is not) was left unapplied
    # too: those times read as UTC, an hour off.  Streamed, the file was then refused in one
    # line; the whole file's zones decide now (hIQ), as a whole read: 'CET' places its times
    # an hour before UTC, the blank ones are rejected
    from pipeline.ingest.stream import spill_tracks

    rows = ["mmsi,timestamp,lat,lon,Zone"]
    for i in range(4000):
        zone = "CET" if i >= 2000 else ""
        rows.append(
            f"244000001,2024-03-01 {i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d},10,-60,{zone}"
        )
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n")
    assert len("\n".join(rows[:2001]).encode()) > 65536  # the blank ones fill the first chunk
    spilled = spill_tracks(path, tmp_path / "spill", chunk_rows=100, n_buckets=2)
    whole = read_tracks(path)
    placed = "2000 local time(s) placed in UTC by their offset or zone in column 'Zone'"
    assert any(placed in n for n in spilled.notes) and any(placed in n for n in whole.notes)
    assert spilled.by_rule == whole.by_rule == {"time_zone_unknown": 2000}
    assert whole.frame["time"].min() == pd.Timestamp("2024-02-29 23:33:20", tz="UTC")


def test_a_zone_column_of_offsets_and_map_zones_is_refused_naming_it(tmp_path):
    # the one line names the column to rename or leave out
    with pytest.raises(InputError, match="column 'Zone' holds UTC offsets or zone names"):
        _read(tmp_path, "date,Zone", "2021-03-05 10:00,+02:00", "2021-03-05 11:00,17")


def test_a_time_with_its_own_offset_written_without_a_colon_is_compared(tmp_path):
    # '+0200' (ISO 8601 basic) is an offset as '+02:00' is: beside +05:00, one disagreement
    res = _read(tmp_path, "date,utc_offset", "2021-03-05T10:00+0200,+05:00")
    assert _times(res) == [_utc("2021-03-05 10:00", timezone(timedelta(hours=2)))]
    assert any(": 1 time(s) carry an offset of their own" in n for n in res.notes)


def test_antarctica_in_polar_stereographic_is_land_to_the_pole(tmp_path):
    # Antarctica as polar data give it (EPSG:3031, a ring round the South Pole, a lake cut
    # out): moved vertex by vertex its outline was a ring along 70 S of no area, so no cell
    # was on land and the distance to the coast from inland (80 S) was 1,100 km, not 0
    import geopandas as gpd
    from pyproj import Geod, Transformer

    from pipeline.builtin_factors import distance_to_features_km

    to_polar = Transformer.from_crs("EPSG:4326", "EPSG:3031", always_xy=True)
    lons = np.linspace(-180.0, 180.0, 145)[:-1]
    coast = np.column_stack(to_polar.transform(lons, np.full(lons.size, -70.0)))
    lake_ll = [(-5, -82), (5, -82), (5, -78), (-5, -78)]
    lake = np.column_stack(to_polar.transform(*zip(*lake_ll, strict=True)))
    # a second lake across 180 degrees, past the seam of the coast's ring (which starts at 180 W)
    seam_ll = [(175, -82), (-175, -82), (-175, -78), (175, -78)]
    seam = np.column_stack(to_polar.transform(*zip(*seam_ll, strict=True)))
    islet = shapely.Polygon(
        to_polar.transform(lo, la) for lo, la in [(160, -60), (161, -60), (161, -59)]
    )
    land = shapely.MultiPolygon([shapely.Polygon(coast, [lake, seam]), islet])
    assert land.is_valid
    path = tmp_path / "antarctica.gpkg"
    gpd.GeoDataFrame({"name": ["Antarctica"]}, geometry=[land], crs="EPSG:3031").to_file(path)
    res = read_context(path, "land")
    assert res.n_read == 1 and len(res.frame) == 1 and len(res.rejects) == 0
    assert any("1 polygon(s) around a pole in EPSG:3031" in n for n in res.notes)
    geom = res.frame.geometry.iloc[0]
    assert geom.bounds[0] == pytest.approx(-180.0) and geom.bounds[2] == pytest.approx(180.0)
    assert geom.bounds[1] == pytest.approx(-90.0)
    lon = np.array([30.0, 90.0, -170.0, 179.9, 0.0, 0.0, 160.7])
    lat = np.array([-80.0, -75.0, -89.0, -72.0, -60.0, -81.0, -59.7])
    # land inland and at the pole, the sea north of 70 S, the lake, the islet off the coast
    assert shapely.contains_xy(geom, lon, lat).tolist() == [1, 1, 1, 1, 0, 0, 1]
    # the lake across 180 degrees, on both sides of it
    assert not shapely.contains_xy(geom, [178.0, -178.0], [-80.0, -80.0]).any()
    km = distance_to_features_km(
        lon[:5], lat[:5], res.frame.geometry.to_numpy(), inside_is_zero=True
    )
    geod = Geod(ellps="WGS84")
    assert km[:4].tolist() == [0.0] * 4
    assert km[4] == pytest.approx(geod.inv(0.0, -60.0, 0.0, -70.0)[2] / 1000, rel=0.01)


def _overpass(path: Path, *elements: dict) -> Path:
    path.write_text(json.dumps({"version": 0.6, "elements": list(elements)}))
    return path


def _nodes(*lonlat: tuple[float, float]) -> list[dict]:
    return [{"lat": y, "lon": x} for x, y in lonlat]


def test_an_open_overpass_coastline_way_is_a_line_not_a_closed_polygon(tmp_path):
    # four nodes whose ends differ: a stretch of coast, not land (shapely would close it)
    way = {
        "type": "way",
        "id": 1,
        "tags": {"natural": "coastline"},
        "geometry": _nodes((0, 0), (1, 0), (1, 1), (0, 1)),
    }
    res = read_context(_overpass(tmp_path / "export.json", way), "land")
    assert res.frame.geom_type.tolist() == ["LineString"]


def test_an_overpass_lanes_relation_is_lines_even_where_its_ways_close_a_ring(tmp_path):
    # a route relation that runs round an island is a lane (lines), never an area: only a
    # land layer builds areas from its relations
    ring = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
    rel = {
        "type": "relation",
        "id": 2,
        "tags": {"type": "route", "route": "ferry"},
        "members": [{"type": "way", "role": "", "geometry": _nodes(*ring)}],
    }
    res = read_context(_overpass(tmp_path / "export.json", rel), "lanes")
    assert res.frame.geom_type.tolist() == ["MultiLineString"]
    assert "lane_areas" not in res.assumptions


def test_configured_port_columns_win_over_a_geometry_column_found_by_name(tmp_path):
    # lat/lon named in the config: a 'geometry' column (here the berth's shape as text) is
    # not taken for WKT, which would reject every port as unparseable
    path = _csv(tmp_path / "ports.csv", "name,geometry,y,x", "A,quay,51.9,4.1", "B,jetty,53.5,9.9")
    res = read_context(path, "ports", {"lat": "y", "lon": "x"})
    assert len(res.rejects) == 0
    assert res.frame.geometry.to_wkt().tolist() == ["POINT (4.1 51.9)", "POINT (9.9 53.5)"]


def test_ports_missing_their_positions_do_not_count_toward_degree_ranges(tmp_path):
    # one port beyond 90 and two without a position: every position there is outside the
    # degree ranges, and the file is refused as such (the two blanks made it look 1/3 so)
    path = _csv(tmp_path / "ports.csv", "name,lat,lon", "A,,", "B,,", "C,95.5,4.1")
    with pytest.raises(InputError, match="mostly outside degree ranges"):
        read_context(path, "ports")


def test_a_shapefile_without_prj_is_read_in_the_configured_crs(tmp_path):
    # no .prj: the configured CRS (UTM 31N) places it, transformed by pyproj here too
    import geopandas as gpd
    from pyproj import Transformer

    path = tmp_path / "land.shp"
    square = shapely.box(500000, 5700000, 510000, 5710000)
    with warnings.catch_warnings():  # pyogrio: "'crs' was not provided" - as meant here
        warnings.simplefilter("ignore", UserWarning)
        gpd.GeoDataFrame({"name": ["sq"]}, geometry=[square], crs=None).to_file(path)
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(InputError, match="declares no CRS"):
        read_context(path, "land")
    res = read_context(path, "land", crs="EPSG:32631")
    to_deg = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)
    lon, lat = to_deg.transform(
        [500000, 510000, 510000, 500000], [5700000, 5700000, 5710000, 5710000]
    )
    assert res.assumptions["crs"]["by"] == "config"
    want = (min(lon), min(lat), max(lon), max(lat))
    assert res.frame.geometry.iloc[0].bounds == pytest.approx(want, abs=1e-6)


def test_zoned_times_under_a_header_naming_several_zones_are_read(tmp_path):
    # 'Time (EST)' names no one zone, but every time names its own: nothing to guess
    res = _read(tmp_path, '"Time (EST)"', "2021-03-05T10:00Z", "2021-03-05T10:00-05:00")
    assert _times(res) == [
        "2021-03-05 10:00",
        _utc("2021-03-05 10:00", timezone(timedelta(hours=-5))),
    ]


def test_a_lane_area_around_the_north_pole_is_closed_along_the_north_pole(tmp_path):
    # an Arctic routeing area north of 80 N in EPSG:3413 (NSIDC polar stereographic north),
    # its ring starting at 100 E so that its seam is not at 180: 3600 square degrees
    import geopandas as gpd
    from pyproj import Transformer

    to_polar = Transformer.from_crs("EPSG:4326", "EPSG:3413", always_xy=True)
    # drawn westward (clockwise seen from above the pole): it runs from 100 E down to 260 W
    lons = (np.linspace(100.0, -260.0, 145)[:-1] + 180.0) % 360.0 - 180.0
    ring = np.column_stack(to_polar.transform(lons, np.full(lons.size, 80.0)))
    path = tmp_path / "arctic.gpkg"
    area = shapely.Polygon(ring)
    gpd.GeoDataFrame({"name": ["arctic"]}, geometry=[area], crs="EPSG:3413").to_file(path)
    res = read_context(path, "lanes")
    geom = res.frame.geometry.iloc[0]
    assert geom.bounds == pytest.approx((-180.0, 80.0, 180.0, 90.0), abs=1e-6)
    assert geom.area == pytest.approx(3600.0, rel=1e-6)
    got = shapely.contains_xy(geom, [0.0, 100.0, -170.0, 0.0], [85.0, 89.0, 81.0, 79.0])
    assert got.tolist() == [True, True, True, False]


def test_a_lane_line_through_the_pole_is_a_line_moved_vertex_by_vertex(tmp_path):
    # a transpolar route drawn through the pole in EPSG:3413: a line, not an area round it
    import geopandas as gpd

    path = tmp_path / "route.gpkg"
    line = shapely.LineString([(0.0, -1e6), (0.0, 0.0), (0.0, 1e6)])
    gpd.GeoDataFrame({"name": ["transpolar"]}, geometry=[line], crs="EPSG:3413").to_file(path)
    res = read_context(path, "lanes")
    assert res.frame.geom_type.tolist() == ["LineString"]
    assert not any("around a pole" in n for n in res.notes)
    lat = shapely.get_coordinates(res.frame.geometry.to_numpy())[:, 1]
    assert lat.max() == pytest.approx(90.0)
