"""A mutation pass over the area of interest (``pipeline/area.py``) and its use of the grid.

Found wrong, with independent references (h3's own disks, great circles by hand, shapely's
``intersects`` at the point written the other way round 180°):

1. -180° and 180° are one meridian, but a record at lon -180 with ``area.bbox`` ending at
   180 (or an area polygon drawn up to 180) was rejected as ``outside_aoi``, while the
   same position written 180 was kept, and its cell scored.
2. ``area.margin_km`` counted rings as if k rings reached k neighbour steps every way; the
   k-ring is a hexagon whose sides are only 1.5 k edges away, and H3's hexagons are uneven:
   a 200 km margin at the equator left out cells whose centres lie 174 km from the area.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from _corpus import write_text

from pipeline import schema as S
from pipeline.area import polygon_holds_xy, reject_outside_polygon
from pipeline.grid import cells_to_latlng, grid_disk_cells, region_to_cells
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._common import in_bbox, outside_aoi_rules

R_KM = 6371.007180918475

WEST_OF_180 = (170.0, -20.0, 180.0, -10.0)
EAST_OF_180 = (-180.0, -20.0, -170.0, -10.0)


def _km(lon1, lat1, lon2, lat2):
    """Great-circle distance by the haversine formula, written out here."""
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_KM * np.arcsin(np.sqrt(h))


# -- 1. the antimeridian is one meridian -------------------------------------------------------


@pytest.mark.parametrize(
    ("bbox", "lon"), [(WEST_OF_180, -180.0), (EAST_OF_180, 180.0)], ids=["west", "east"]
)
def test_a_position_on_180_written_the_other_way_is_on_the_boxs_edge(bbox, lon):
    lat = np.array([-15.0, -15.0, -25.0])
    got = in_bbox(np.array([lon, -lon, lon]), lat, bbox)
    assert got.tolist() == [True, True, False]  # on the edge either way; the latitude still counts


def test_a_seizure_and_a_ping_at_lon_minus_180_are_inside_a_box_to_180(tmp_path):
    s = write_text(
        tmp_path,
        "s.csv",
        "date,lat,lon\n2023-01-01,-15,-180\n2023-01-02,-15,180\n2023-01-03,-15,175\n"
        "2023-01-04,-15,-179.5\n",
    )
    res = read_seizures(s, aoi_bbox=WEST_OF_180)
    assert (res.n_read, res.n_accepted, res.by_rule) == (4, 3, {"outside_aoi": 1})
    assert sorted(res.frame[S.LON].tolist()) == [-180.0, 175.0, 180.0]
    p = write_text(
        tmp_path,
        "p.csv",
        "mmsi,timestamp,lat,lon,speed,course\n"
        "219000001,2023-01-01 00:00:00,-15,-180,5,90\n"
        "219000001,2023-01-01 01:00:00,-15,180,5,90\n"
        "219000001,2023-01-01 02:00:00,-15,179.9,5,90\n",
    )
    pings = read_tracks(p, aoi_bbox=WEST_OF_180)
    assert (pings.n_read, pings.n_accepted) == (3, 3)


def test_a_position_at_minus_180_is_on_a_polygon_drawn_to_180():
    west = shapely.box(170.0, -20.0, 180.0, -10.0)
    lon = np.array([-180.0, 180.0, -180.0, -179.9, 175.0])
    lat = np.array([-15.0, -15.0, -21.0, -15.0, -15.0])
    want = [True, True, False, False, True]  # shapely.intersects at the point's twin, by hand
    assert polygon_holds_xy(west, lon, lat).tolist() == want
    east = shapely.box(-180.0, -20.0, -170.0, -10.0)
    assert polygon_holds_xy(east, -lon, lat).tolist() == want
    rules = outside_aoi_rules(
        lon,
        lat,
        np.ones(5, dtype=bool),
        (170.0, -20.0, 180.0, -10.0),
        column="lat/lon",
        values=pd.Series(list("abcde")),
        aoi_polygon=west,
    )
    rejected = np.logical_or.reduce([r.mask for r in rules])
    assert rejected.tolist() == [False, False, True, True, False]


def test_a_seizure_at_minus_180_stays_inside_a_polygon_drawn_to_180(tmp_path):
    s = write_text(
        tmp_path,
        "s.csv",
        "date,lat,lon\n2023-01-01,-15,-180\n2023-01-02,-15,179\n2023-01-03,-15,-179\n",
    )
    res = read_seizures(s)
    out = reject_outside_polygon(res, shapely.box(170.0, -20.0, 180.0, -10.0))
    assert out.frame[S.LON].tolist() == [-180.0, 179.0]
    assert out.by_rule == {"outside_aoi": 1} and out.rejects["row"].tolist() == [4]
    assert out.n_read == len(out.frame) + len(out.rejects)


# -- 2. the margin is km in every direction ----------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "res", "margin"),
    [(0.0, 0.0, 5, 200.0), (165.0, 10.0, 6, 100.0)],
    ids=["equator-r5", "pacific-r6"],
)
def test_a_wide_margin_holds_every_cell_within_it_in_every_direction(lon, lat, res, margin):
    box = (lon - 0.3, lat - 0.2, lon + 0.3, lat + 0.2)
    own = region_to_cells(box, res)
    grown = region_to_cells(box, res, margin_km=margin)
    near = grid_disk_cells(own, 25)  # h3's own disk, well past the margin
    o_lat, o_lon = cells_to_latlng(own)
    n_lat, n_lon = cells_to_latlng(near)
    d = _km(n_lon[:, None], n_lat[:, None], o_lon[None, :], o_lat[None, :]).min(axis=1)
    assert (d > 1.2 * margin).any()  # the disk reaches past the margin: a real check
    missing = near[(d <= margin) & ~np.isin(near, grown)]
    assert missing.size == 0, f"{missing.size} cells within {margin} km left out"
    assert set(own) <= set(grown)


def test_a_margin_grows_a_bbox_across_180_on_both_sides():
    own = region_to_cells((179.0, -1.0, -179.0, 1.0), 5)
    grown = region_to_cells((179.0, -1.0, -179.0, 1.0), 5, margin_km=100.0)
    lat, lon = cells_to_latlng(grown)
    assert set(own) < set(grown)
    # 100 km is 0.9°: the grown cells reach about 178.1° E and W, never Greenwich
    assert (np.abs(lon) > 177.0).all()
    assert lon[lon > 0].min() < 178.4 and lon[lon < 0].max() > -178.4
