"""The configured area's own size is measured along its edges as they are read.

A polygon's edges are straight in longitude and latitude (as its cells are filled); the
geodesic between two vertices far apart leaves them.  A cap drawn from 66°N to the pole in
four vertices along 66°N measured 14.7 of its 22.0 million km² (the coarse-cells note
compares the cells' total with it).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.area import area_km2, read_area
from pipeline.sphere import EARTH_RADIUS_KM


def _polygon(tmp_path, ring) -> object:
    path = tmp_path / "area.geojson"
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return read_area(None, path)


def test_a_polar_cap_drawn_along_a_parallel(tmp_path):
    ring = [[-180, 66], [-90, 66], [0, 66], [90, 66], [180, 66], [180, 90], [-180, 90], [-180, 66]]
    cap = 2 * np.pi * EARTH_RADIUS_KM**2 * (1 - np.sin(np.radians(66)))
    assert area_km2(_polygon(tmp_path, ring)) == pytest.approx(cap, rel=1e-3)


def test_a_box_drawn_as_a_polygon_equals_the_bbox(tmp_path):
    box = (-60.0, 10.0, 0.0, 50.0)
    ring = [
        [box[0], box[1]],
        [box[2], box[1]],
        [box[2], box[3]],
        [box[0], box[3]],
        [box[0], box[1]],
    ]
    from_bbox = area_km2(read_area(list(box), None))
    assert area_km2(_polygon(tmp_path, ring)) == pytest.approx(from_bbox, rel=1e-3)
