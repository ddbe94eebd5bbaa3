"""Mutation check of the context layers (``ingest/context.py``) and time zones (``zones.py``).

Each test kills a hand-made mutant that the suite let live, checked against a value worked
out by hand here: ``zoneinfo``/``datetime`` for the times, the files' own line numbers and
shapely/pyproj for the layers.  Tiny files in ``tmp_path``; no pipeline run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import shapely
from pyproj import Transformer

from pipeline.errors import InputError
from pipeline.ingest import read_context, read_seizures
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


def _times(res) -> list[str]:
    times = res.frame["time"]
    assert str(times.dt.tz) == "UTC"
    return list(times.dt.strftime("%Y-%m-%d %H:%M"))


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


def _seizures(tmp_path, header: str, *values: str, name: str = "s.csv"):
    lines = [f"lat,lon,drug,{header}", *(f"10.5,-61.2,cocaine,{v}" for v in values)]
    return read_seizures(_csv(tmp_path / name, *lines))


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
