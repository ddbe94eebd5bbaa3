"""Vessel ids and areas of real exports, hostile round 15: siblings of two silent wrong answers.

- A bare ``id`` that numbers the points of each track (``id,name,...`` with 1, 2, 3, ... again
  for each ``name``) was taken as the vessel id: every n-th point of every ship became one
  "vessel" (6 vessels instead of 2, or half the pings rejected as ``duplicate_time``).
- A ``track_id`` cut per voyage beside the ship's ``vessel_name`` (every track one ship's,
  most ships two or more tracks) was the vessel id: each ship counted once per voyage.
- A column of one value (a speed ``unit`` of ``kn`` on every row) was the vessel id by its
  values: every ship in the file one vessel.
- A row number that starts again where two exports were joined (pandas' ``level_0``, a
  PostGIS ``gid``, ``#``, ``No.``) was taken as the vessel id by its values: the n-th row of
  every export one "vessel".
- A GPX ``track_points`` layer saved as CSV by QGIS/ogr2ogr (``track_fid``,
  ``track_seg_id``, ``track_seg_point_id``, ``ele``, ...): its elevation, 0 at sea on every
  point, was taken as the vessel id by its values, so every track was one vessel.
- An area feature of several polygons (an EEZ with a small island or rock part, a few
  harbours drawn as one multi-part feature): a part too small to hold a cell centre got no
  cell, while the same part drawn as a feature of its own got its cell; the records there
  were accepted as inside the area, and their cell was left out of the map.
- An area polygon file in lon/lat drawn across 180° without the cut (a box from 179° E to
  179° W, as land and seizure zones are read the short way) was the band of its latitudes
  round the globe less the 2° meant: Fiji's records outside it, the world's inside.
- An area feature without geometry (one EEZ of several whose export lost its shape) was left
  out without a word; it is now a run note.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from pipeline.area import read_area, region_cells
from pipeline.errors import InputError
from pipeline.grid import points_to_cells, region_to_cells
from pipeline.ingest import TrackSource, read_tracks
from pipeline.ingest.stream import PingStore, spill_tracks


def _numbered_points(path, *, same_hours: bool):
    """Two ships, 6 pings each, ``id`` numbering each ship's points 1..6."""
    lines = ["id,name,time,lat,lon"]
    for v in range(2):
        for k in range(6):
            hour = 0 if same_hours else v
            t = f"2024-03-01T{hour:02d}:{10 * k:02d}:00Z"
            lines.append(
                f"{k + 1},SHIP{v},{t},{10 + 0.5 * v + 0.001 * k:.4f},{-60 + 0.001 * k:.4f}"
            )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("same_hours", [False, True])
def test_a_point_number_beside_the_name_is_not_the_vessel_id(tmp_path, same_hours):
    res = read_tracks(_numbered_points(tmp_path / "t.csv", same_hours=same_hours))
    assert sorted(res.frame["vessel_id"].unique()) == ["SHIP0", "SHIP1"]
    assert len(res.frame) == 12 and not res.by_rule
    said = res.assumptions["columns"]["vessel_id"]
    assert said["column"] == "name" and "point number" in said["evidence"]


def test_a_point_number_read_in_chunks_is_not_the_vessel_id_either(tmp_path):
    path = _numbered_points(tmp_path / "t.csv", same_hours=True)
    spill = spill_tracks(str(path), tmp_path / "s", chunk_rows=4)
    frame = PingStore([spill], root=tmp_path / "s").to_frame()
    assert sorted(frame["vessel_id"].unique()) == ["SHIP0", "SHIP1"]


def test_a_real_id_that_repeats_per_poll_is_still_the_vessel_id(tmp_path):
    # a snapshot feed: vessels 1..3 polled every 10 minutes, rows ordered by poll
    lines = ["id,time,lat,lon"]
    for k in range(4):
        for v in range(1, 4):
            lines.append(f"{v},2024-03-01T00:{10 * k:02d}:00Z,{10 + v:.4f},{-60 + 0.001 * k:.4f}")
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    res = read_tracks(tmp_path / "t.csv")
    assert sorted(res.frame["vessel_id"].unique()) == ["1", "2", "3"]


def _voyages(path, header: str, ships: int = 2, voyages: int = 2):
    """Each ship sails ``voyages`` tracks, a ``track_id`` per voyage beside the ship's name."""
    lines = [header]
    for v in range(ships):
        for k in range(6 * voyages):
            t = f"2024-03-01T{k // 6:02d}:{10 * (k % 6):02d}:00Z"
            track = f"{100 * v + k // 6}"
            cells = {"track_id": track, "vessel_name": f"SHIP {v}", "callsign": f"C{v}"}
            ids = ",".join(cells[c] for c in header.split(",")[:2])
            lines.append(f"{ids},{t},{10 + 0.5 * v + 0.001 * k:.4f},{-60 + 0.001 * k:.4f}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "header", ["track_id,vessel_name,time,lat,lon", "vessel_name,track_id,time,lat,lon"]
)
def test_a_track_id_per_voyage_beside_the_ship_is_not_the_vessel_id(tmp_path, header):
    res = read_tracks(_voyages(tmp_path / "t.csv", header))
    assert sorted(res.frame["vessel_id"].unique()) == ["SHIP 0", "SHIP 1"]
    said = res.assumptions["columns"]["vessel_id"]
    assert said["column"] == "vessel_name" and "per voyage or day" in said["evidence"]


def test_one_track_per_ship_keeps_its_track_id(tmp_path):
    res = read_tracks(_voyages(tmp_path / "t.csv", "track_id,callsign,time,lat,lon", voyages=1))
    assert sorted(res.frame["vessel_id"].unique()) == ["0", "100"]


def _joined_exports(path, header: str, codes: bool = False):
    """Two days' exports joined end to end, each with its own row number from 0, no id."""
    lines = [header]
    for day in range(2):
        for k in range(6):
            t = f"2024-03-0{day + 1}T00:{10 * k:02d}:00Z"
            code = f"V{day}," if codes else ""
            lines.append(f"{k},{code}{t},{10 + 0.5 * day + 0.001 * k:.4f},{-60 + 0.001 * k:.4f}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("header", ["level_0", "gid", "#", "No."])
def test_a_row_number_that_starts_again_is_no_vessel_id_by_its_values(tmp_path, header):
    path = _joined_exports(tmp_path / "t.csv", f"{header},time,lat,lon")
    with pytest.raises(InputError, match=r"refused: .*a row number"):
        read_tracks(path)
    beside = _joined_exports(tmp_path / "c.csv", f"{header},code,time,lat,lon", codes=True)
    assert sorted(read_tracks(beside).frame["vessel_id"].unique()) == ["V0", "V1"]


def _qgis_track_points(path, ele=lambda k: "0"):
    """Two GPX tracks saved by QGIS/ogr2ogr as CSV (``-lco GEOMETRY=AS_XY``), ele 0 at sea."""
    lines = ["X,Y,track_fid,track_seg_id,track_seg_point_id,ele,time,name,cmt,desc,src"]
    for v in range(2):
        for k in range(6):
            t = f"2024-03-01T{v:02d}:{10 * k:02d}:00Z"
            lon, lat = -60 + 0.5 * v + 0.001 * k, 10 + 0.001 * k
            lines.append(f"{lon:.4f},{lat:.4f},{v},0,{k},{ele(k)},{t},,,,")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("ele", ["0", "whole metres"])
def test_a_gpx_track_points_export_is_not_one_vessel_by_its_elevation(tmp_path, ele):
    metres = (lambda k: "0") if ele == "0" else (lambda k: str(3 + k // 2))  # 3, 3, 4, 4, ...
    path = _qgis_track_points(tmp_path / "track_points.csv", metres)
    with pytest.raises(InputError, match=r"no vessel id column.*'track_fid'"):
        read_tracks(path)
    told = read_tracks(TrackSource(path=path, columns={"vessel_id": "track_fid"}))
    assert sorted(told.frame["vessel_id"].unique()) == ["0", "1"]


def test_a_small_part_of_a_multi_part_area_gets_its_cell_as_a_feature_would():
    main = shapely.box(0.0, 0.0, 2.0, 2.0)
    islet = shapely.box(5.0, 5.0, 5.01, 5.01)  # ~1 km², far smaller than a cell at 5
    cell = points_to_cells([5.005], [5.005], 5)
    as_parts = region_to_cells(shapely.MultiPolygon([main, islet]), 5)
    as_features = region_to_cells(gpd.GeoDataFrame(geometry=[main, islet], crs="EPSG:4326"), 5)
    assert np.isin(cell, as_parts).all()
    np.testing.assert_array_equal(as_parts, as_features)


def _area_file(path, *polygons):
    features = [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": p}}
        for p in polygons
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_an_area_drawn_across_180_without_the_cut_is_the_short_way_round(tmp_path):
    drawn = [[[179, -20], [-179, -20], [-179, -15], [179, -15], [179, -20]]]
    west = [[[179, -20], [180, -20], [180, -15], [179, -15], [179, -20]]]
    east = [[[-180, -20], [-179, -20], [-179, -15], [-180, -15], [-180, -20]]]
    area = read_area(None, _area_file(tmp_path / "drawn.geojson", drawn))
    cut = read_area(None, _area_file(tmp_path / "cut.geojson", west, east))
    assert shapely.contains_xy(area.polygon, [179.5, -179.5], [-17, -17]).all()
    assert not shapely.contains_xy(area.polygon, 0.0, -17.0)
    assert area.bbox == cut.bbox == (179.0, -20.0, -179.0, -15.0)
    none = gpd.GeoDataFrame({"lon": [], "lat": []})
    np.testing.assert_array_equal(
        region_cells(area, none, None, 4, 0.0), region_cells(cut, none, None, 4, 0.0)
    )
    assert any("read the short way" in n for n in area.notes) and not cut.notes


def test_a_cap_round_a_pole_along_180_stays_as_drawn(tmp_path):
    cap = [[[-180, -90], [180, -90], [180, -60], [-180, -60], [-180, -90]]]
    area = read_area(None, _area_file(tmp_path / "cap.geojson", cap))
    assert area.bbox == (-180.0, -90.0, 180.0, -60.0) and not area.notes


def test_a_column_of_one_value_is_no_vessel_id_by_its_values(tmp_path):
    # a speed 'unit' of 'kn' on every row beside two ships reporting in turn: read as the
    # id, the two were one vessel zigzagging between them
    lines = ["unit,time,lat,lon,sog"]
    for k in range(12):
        lines.append(f"kn,2024-03-01T00:{5 * k:02d}:00Z,{10 + 0.1 * (k % 2):.4f},-60.0,5.0")
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"'unit' \(one value, 'kn', on every row"):
        read_tracks(tmp_path / "t.csv")
    told = read_tracks(TrackSource(path=tmp_path / "t.csv", vessel_id="ONE"))
    assert set(told.frame["vessel_id"]) == {"ONE"}


def test_an_area_feature_without_geometry_is_said_to_be_left_out(tmp_path):
    path = tmp_path / "eez.geojson"
    box = [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]
    features = [
        {"type": "Feature", "properties": {"n": "A"}, "geometry": None},
        {
            "type": "Feature",
            "properties": {"n": "B"},
            "geometry": {"type": "Polygon", "coordinates": box},
        },
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    area = read_area(None, path)
    assert area.bbox == (0.0, 0.0, 2.0, 2.0)
    assert any(
        "1 of 2 feature(s) have no geometry (the first is feature 1)" in n for n in area.notes
    )
