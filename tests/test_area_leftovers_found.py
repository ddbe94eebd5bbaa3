"""Two area leftovers (found by a review, hDO).

1. ``area.bbox: [10, -5, -10, 5]``, its longitudes swapped (meant -10..10), is read as a box
   340° wide across 180°: the records in -10..10 were rejected as outside the area without a
   word.  A file whose positions mostly lie in the box its longitudes read plainly would give
   is refused naming both readings; a Pacific box whose records lie in it is read as before.
2. A tiny area at ``area.resolution`` 0-2 is one cell of millions of km²: a run note says so
   and names the resolution that fits.
"""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import assert_accounted, write_text

from pipeline.area import Area, coarse_cells_note, read_area
from pipeline.errors import InputError
from pipeline.grid import region_to_cells
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest.stream import spill_tracks

SWAPPED = (10.0, -5.0, -10.0, 5.0)
PACIFIC = (170.0, -5.0, -170.0, 5.0)


def _seizures_csv(tmp_path, lons, name="s.csv"):
    rows = "".join(f"2024-03-{1 + i % 28:02d},{(i % 7) - 3},{lon}\n" for i, lon in enumerate(lons))
    return write_text(tmp_path, name, "Date,Latitude,Longitude\n" + rows)


def _pings_csv(tmp_path, lons, name="p.csv"):
    rows = "".join(
        f"219000001,2023-01-01 {i // 60:02d}:{i % 60:02d}:00,{(i % 7) - 3},{lon},5,90\n"
        for i, lon in enumerate(lons)
    )
    return write_text(tmp_path, name, "mmsi,timestamp,lat,lon,speed,course\n" + rows)


# -20..20, most of it in the middle (the area meant: -10..10)
SPREAD = [-18.0, -15.0, -12.0, -8.0, -5.0, -2.0, 0.5, 3.0, 6.0, 9.0, 14.0, 19.0]


def test_a_swapped_bbox_is_refused_for_seizures(tmp_path):
    with pytest.raises(InputError) as err:
        read_seizures(_seizures_csv(tmp_path, SPREAD), aoi_bbox=SWAPPED)
    msg = str(err.value)
    assert "\n" not in msg
    assert "340° wide across 180°" in msg and "7 of the 12 positions" in msg
    assert "area.bbox: [-10.0, -5.0, 10.0, 5.0]" in msg


@pytest.mark.parametrize("how", ["whole", "chunks", "parts"])
def test_a_swapped_bbox_is_refused_for_pings_however_read(tmp_path, how):
    from pipeline.engine import LocalEngine
    from pipeline.ingest.stream import spill_tracks_partitioned

    path = _pings_csv(tmp_path, SPREAD)
    with pytest.raises(InputError, match="write the west edge first"):
        if how == "whole":
            read_tracks(path, aoi_bbox=SWAPPED)
        elif how == "chunks":
            spill_tracks(path, tmp_path / "s", chunk_rows=5, n_buckets=2, aoi_bbox=SWAPPED)
        else:
            spill_tracks_partitioned(
                [path], [tmp_path / "s"], LocalEngine(), chunk_rows=5, n_buckets=2, aoi_bbox=SWAPPED
            )


def test_the_meant_bbox_and_a_pacific_box_are_read_as_before(tmp_path):
    res = read_seizures(_seizures_csv(tmp_path, SPREAD), aoi_bbox=(-10.0, -5.0, 10.0, 5.0))
    assert_accounted(res)
    assert len(res.frame) == 7
    # a Pacific box (20° across 180°) holding its records, some outside it
    pacific = [171.0, 175.0, 179.5, -179.0, -175.0, -171.0, 160.0, -160.0]
    res = read_seizures(_seizures_csv(tmp_path, pacific, "pac.csv"), aoi_bbox=PACIFIC)
    assert_accounted(res)
    assert len(res.frame) == 6
    # a genuine wide box across 180° (340°) whose records lie in it
    wide = [20.0, 90.0, 150.0, -170.0, -60.0, -30.0, 5.0]
    res = read_seizures(_seizures_csv(tmp_path, wide, "wide.csv"), aoi_bbox=SWAPPED)
    assert_accounted(res)
    assert len(res.frame) == 6 and res.by_rule == {"outside_aoi": 1}
    # a Pacific box under 180° wide with a world's records mostly elsewhere is not second-guessed
    world = [0.0, 5.0, -5.0, 30.0, -30.0, 175.0]
    res = read_seizures(_seizures_csv(tmp_path, world, "world.csv"), aoi_bbox=PACIFIC)
    assert len(res.frame) == 1


def test_a_polygons_bounds_are_not_second_guessed(tmp_path):
    """A polygon more than 180° wide across 180° (IHO's Pacific) gets such bounds rightly."""
    import shapely

    res = read_seizures(_seizures_csv(tmp_path, SPREAD), aoi_bbox=SWAPPED, bbox_as_written=False)
    assert_accounted(res)
    assert res.by_rule == {"outside_aoi": 7}
    polygon = shapely.MultiPolygon([shapely.box(10, -5, 180, 5), shapely.box(-180, -5, -10, 5)])
    path = _pings_csv(tmp_path, SPREAD)
    res = read_tracks(path, aoi_bbox=SWAPPED, aoi_polygon=polygon)
    assert res.by_rule.get("outside_aoi") == 7
    spilled = spill_tracks(
        path, tmp_path / "s", chunk_rows=5, n_buckets=2, aoi_bbox=SWAPPED, aoi_polygon=polygon
    )
    assert spilled.by_rule.get("outside_aoi") == 7


def test_a_tiny_area_at_a_coarse_resolution_is_noted(tmp_path):
    bbox = (10.0, 54.0, 10.2, 54.1)  # ~145 km², a harbour approach
    area = read_area(bbox, None)
    (note,) = coarse_cells_note(area, region_to_cells(bbox, 0), 0)
    assert "area.resolution 0" in note and "area.resolution 6 or finer" in note
    assert coarse_cells_note(area, region_to_cells(bbox, 6), 6) == []


def test_a_tiny_polygon_at_a_coarse_resolution_is_noted(tmp_path):
    import shapely

    poly = shapely.box(10.0, 54.0, 10.2, 54.1)
    area = Area((10.0, 54.0, 10.2, 54.1), None, poly)
    cells = region_to_cells(poly, 2)
    (note,) = coarse_cells_note(area, cells, 2)
    assert "area.resolution 2" in note and "times the area's own 14" in note
    # a country-sized area at resolution 2 is covered by cells of about its size
    big = (0.0, 40.0, 20.0, 50.0)
    assert coarse_cells_note(read_area(big, None), region_to_cells(big, 2), 2) == []
    assert coarse_cells_note(Area(None), np.array([], dtype="uint64"), 0) == []


def test_a_bbox_run_after_a_polygon_run_of_the_same_bounds_still_checks_the_swap(tmp_path):
    """The seizures' parse is cached by the area's bounds: a polygon 340° wide across 180°
    and an ``area.bbox`` of the same bounds share them, but only the bbox's reading is
    checked for a swap, so the bbox run must not take the polygon run's parse."""
    import json

    from conftest import config_from

    import pipeline

    cut = {  # RFC 7946: cut at 180°
        "type": "MultiPolygon",
        "coordinates": [
            [[[10, -5], [180, -5], [180, 5], [10, 5], [10, -5]]],
            [[[-180, -5], [-10, -5], [-10, 5], [-180, 5], [-180, -5]]],
        ],
    }
    poly = tmp_path / "all_but_the_middle.geojson"
    poly.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": cut}))
    seizures = _seizures_csv(tmp_path, SPREAD)
    base = {
        "run": {"as_of": "2024-04-01", "out_dir": str(tmp_path / "out")},
        "inputs": {"seizures": [{"path": str(seizures)}]},
        "ingest": {"max_reject_rate": 0.9},
        "score": {"factors": {"seizure_density": {"weight": 1}}},
        "timeline": {"months": 0},
        "evaluate": {"enabled": False},
        "hotspots": {"enabled": False},
        "render": {"geojson": False, "preview_png": False},
    }
    area = read_area(None, poly)
    assert area.bbox == SWAPPED
    first = config_from({**base, "area": {"polygon": str(poly), "resolution": 3}}, tmp_path / "a")
    pipeline.run_pipeline(first)
    again = config_from({**base, "area": {"bbox": list(SWAPPED), "resolution": 3}}, tmp_path / "b")
    with pytest.raises(InputError, match="write the west edge first"):
        pipeline.run_pipeline(again)
