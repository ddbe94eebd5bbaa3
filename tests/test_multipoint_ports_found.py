"""A ports layer of MultiPoints (ports of several berths) is checked for swapped axes too.

The check that refuses a ports layer written latitude for longitude looked at Point ports
only: a GeoJSON of MultiPoint ports with their axes swapped (every port 60-77 S instead of
the Caribbean) passed unchecked, each distance to a port measured to the wrong side of the
world.
"""

from __future__ import annotations

import json

import pytest

from pipeline.errors import InputError
from pipeline.ingest.context import check_ports_placement, read_context

PORTS = [(-60.0, 10.5), (-70.2, 18.4), (-75.1, 20.0), (-61.5, 15.9), (-77.0, 25.1)]
AREA = (-85.0, -10.0, 10.0, 45.0)


def _layer(path, swap: bool):
    feats = [
        {
            "type": "Feature",
            "properties": {"name": f"P{i}"},
            "geometry": {
                "type": "MultiPoint",
                "coordinates": [
                    [y, x] if swap else [x, y],
                    [y, x + 0.01] if swap else [x + 0.01, y],
                ],
            },
        }
        for i, (x, y) in enumerate(PORTS)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return read_context(path, "ports")


def test_multipoint_ports_with_axes_swapped_are_refused(tmp_path):
    assert check_ports_placement(_layer(tmp_path / "right.geojson", False), AREA) == []
    with pytest.raises(InputError, match="5 of 5 positions lie outside"):
        check_ports_placement(_layer(tmp_path / "swapped.geojson", True), AREA)
