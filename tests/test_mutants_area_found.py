"""A mutation pass over the area of interest (``pipeline/area.py``) and its use of the grid.

Found wrong, with independent references (h3's own disks, great circles by hand, shapely's
``intersects`` at the point written the other way round 180°):

1. -180° and 180° are one meridian, but a record at lon -180 with ``area.bbox`` ending at
   180 (or an area polygon drawn up to 180) was rejected as ``outside_aoi``, while the
   same position written 180 was kept, and its cell scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from _corpus import write_text

from pipeline import schema as S
from pipeline.area import polygon_holds_xy, reject_outside_polygon
from pipeline.ingest import read_seizures, read_tracks
from pipeline.ingest._common import in_bbox, outside_aoi_rules

WEST_OF_180 = (170.0, -20.0, 180.0, -10.0)
EAST_OF_180 = (-180.0, -20.0, -170.0, -10.0)


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
